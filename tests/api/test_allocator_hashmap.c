/* The example container (examples/hashmap.h) on its own: random operations checked
 * against a model on four allocators (libc; pool; a lookaside cache of node-sized
 * blocks with a pool fallback, where every node must be a cache block; a "roomy"
 * allocator whose blocks can grow in place, which takes the in-place rehash path),
 * copy, clear, and no leak at the end. The OOM loop over the same container is
 * tests/fault/test_allocator_oom.c. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include "../../examples/hashmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEYS 512u   /* keys are 0..KEYS-1, so the model is an array */

typedef struct model {
    bool present[KEYS];
    uint64_t value[KEYS];
    size_t count;
} model_t;

static void check_against(const hm_map_t *m, const model_t *md) {
    assert_int_equal(hm_check(m), 0);
    assert_int_equal(hm_count(m), md->count);
    for (uint64_t k = 0; k < KEYS; k++) {
        uint64_t v = 0;
        bool got = hm_get(m, k, &v);
        assert_int_equal(got, md->present[k]);
        if (got) assert_int_equal(v, md->value[k]);
    }
}

/* A libc allocator whose blocks are four times what is asked, so resize can grow
 * in place up to that — the map's in-place rehash path. Each block's capacity sits
 * in a header before it. Counts its blocks and the in-place grows. */
typedef struct roomy {
    la_allocator_t allocator;
    long live;
    long grown;
} roomy_t;

static size_t roomy_header(size_t align) { return align < 16 ? 16 : align; }

static void *roomy_alloc(void *ctx, size_t size, size_t align) {
    roomy_t *r = ctx;
    size_t h = roomy_header(align);
    unsigned char *base = la_allocator_alloc(la_allocator_libc(), h + size * 4, align);
    if (!base) return NULL;
    memcpy(base + h - sizeof(size_t), &(size_t){size * 4}, sizeof(size_t));
    r->live++;
    return base + h;
}
static void roomy_free(void *ctx, void *p, size_t size, size_t align) {
    roomy_t *r = ctx;
    size_t h = roomy_header(align), cap;
    memcpy(&cap, (unsigned char *)p - sizeof(size_t), sizeof cap);
    assert_true(size <= cap);
    r->live--;
    la_allocator_free(la_allocator_libc(), (unsigned char *)p - h, h + cap, align);
}
static bool roomy_resize(void *ctx, void *p, size_t old_size, size_t new_size, size_t align) {
    roomy_t *r = ctx;
    size_t cap;
    (void)align;
    memcpy(&cap, (unsigned char *)p - sizeof(size_t), sizeof cap);
    assert_true(old_size <= cap);
    if (new_size > cap) return false;
    if (new_size > old_size) r->grown++;
    return true;
}

typedef struct env {
    const la_allocator_t *a;
    la_lookaside_t *cache;          /* when nodes must be cache blocks */
    la_pool_allocator_t pool, fallback;
    la_lookaside_allocator_t lk;
    roomy_t roomy;
} env_t;

static uint64_t cache_outstanding(la_lookaside_t *c) {
    la_lookaside_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    assert_int_equal(la_lookaside_query(c, &s), 0);
    return s.outstanding;
}

static void run_model(env_t *e, uint64_t seed) {
    la_test_rng_t rng;
    la_test_rng_init(&rng, seed);
    static model_t md;
    memset(&md, 0, sizeof md);
    hm_map_t m;
    hm_init(&m, e->a);
    int rounds = la_test_under_sanitizer() ? 4000 : 40000;
    for (int r = 0; r < rounds; r++) {
        uint64_t k = la_test_rng_below(&rng, KEYS);
        unsigned op = (unsigned)la_test_rng_below(&rng, 100);
        if (op < 55) {
            uint64_t v = la_test_rng_next(&rng);
            assert_int_equal(hm_put(&m, k, v), 0);
            if (!md.present[k]) md.count++;
            md.present[k] = true;
            md.value[k] = v;
        } else if (op < 95) {
            assert_int_equal(hm_remove(&m, k), md.present[k]);
            if (md.present[k]) md.count--;
            md.present[k] = false;
        } else if (op < 99) {
            uint64_t v = 0;
            assert_int_equal(hm_get(&m, k, &v), md.present[k]);
        } else {
            hm_map_t copy;
            assert_int_equal(hm_copy(&copy, &m, e->a), 0);
            check_against(&copy, &md);
            hm_destroy(&copy);
        }
        if (e->cache) assert_int_equal(cache_outstanding(e->cache), hm_count(&m));
        if (r % 997 == 0) check_against(&m, &md);
    }
    check_against(&m, &md);
    hm_clear(&m);
    assert_int_equal(hm_count(&m), 0);
    assert_int_equal(hm_check(&m), 0);
    assert_false(hm_get(&m, 1, NULL));
    hm_destroy(&m);
    assert_int_equal(hm_check(&m), 0);
}

static void t_on_libc(void **state) {
    (void)state;
    env_t e;
    memset(&e, 0, sizeof e);
    la_fault_allocator_t counter;
    assert_int_equal(la_fault_allocator_init(&counter, la_allocator_libc()), 0);
    e.a = &counter.allocator;
    run_model(&e, la_test_seed());
    assert_int_equal(la_fault_allocator_live(&counter), 0);
}

static void t_on_pool(void **state) {
    (void)state;
    env_t e;
    memset(&e, 0, sizeof e);
    const la_tag_t tag = LA_TAG('H', 't', 'P', 'l');
    assert_int_equal(la_pool_allocator_init(&e.pool, LA_POOL_PAGED, tag, 0), 0);
    e.a = &e.pool.allocator;
    run_model(&e, la_test_seed() + 1);
    la_pool_tag_info_t info;
    assert_int_equal(la_pool_tag_query(tag, LA_POOL_KIND_PAGED, &info), 0);
    assert_int_equal(info.outstanding, 0);
}

static void t_nodes_from_a_cache(void **state) {
    (void)state;
    env_t e;
    memset(&e, 0, sizeof e);
    la_lookaside_params_t p;
    memset(&p, 0, sizeof p);
    p.name = "hm-test-nodes";
    p.size = HM_NODE_SIZE;
    p.tag = LA_TAG('H', 't', 'N', 'd');
    p.pool_type = LA_POOL_PAGED;
    assert_int_equal(la_lookaside_create(&p, &e.cache), 0);
    const la_tag_t fb = LA_TAG('H', 't', 'B', 'k');
    assert_int_equal(la_pool_allocator_init(&e.fallback, LA_POOL_PAGED, fb, 0), 0);
    assert_int_equal(la_lookaside_allocator_init(&e.lk, e.cache, &e.fallback.allocator), 0);
    e.a = &e.lk.allocator;
    run_model(&e, la_test_seed() + 2);   /* checks cache outstanding == entries throughout */
    la_pool_tag_info_t info;
    assert_int_equal(la_pool_tag_query(fb, LA_POOL_KIND_PAGED, &info), 0);
    assert_int_equal(info.outstanding, 0);
    assert_true(info.allocs > 0);        /* bucket arrays did go to the fallback */
    assert_int_equal(la_lookaside_destroy(e.cache), 0);
}

static void t_in_place_growth(void **state) {
    (void)state;
    env_t e;
    memset(&e, 0, sizeof e);
    e.roomy.allocator.allocate = roomy_alloc;
    e.roomy.allocator.free = roomy_free;
    e.roomy.allocator.resize_in_place = roomy_resize;
    e.roomy.allocator.ctx = &e.roomy;
    e.roomy.allocator.name = "roomy";
    e.a = &e.roomy.allocator;
    run_model(&e, la_test_seed() + 3);
    assert_true(e.roomy.grown > 0);      /* the in-place rehash ran (and the model agreed) */
    assert_int_equal(e.roomy.live, 0);

    /* And a direct look: one array, grown in place, every key still found. */
    hm_map_t m;
    hm_init(&m, e.a);
    assert_int_equal(hm_put(&m, 1, 1), 0);
    hm_node_t **first = m.buckets;
    for (uint64_t k = 2; k <= 6; k++) assert_int_equal(hm_put(&m, k, k), 0);
    assert_int_equal(m.nbuckets, 8);
    assert_int_equal(hm_put(&m, 7, 7), 0);              /* 7 > 3/4 of 8: doubles */
    assert_int_equal(m.nbuckets, 16);
    assert_ptr_equal(m.buckets, first);                  /* in place */
    for (uint64_t k = 1; k <= 7; k++) assert_true(hm_get(&m, k, NULL));
    assert_int_equal(hm_check(&m), 0);
    hm_destroy(&m);
    assert_int_equal(e.roomy.live, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_on_libc),
        cmocka_unit_test(t_on_pool),
        cmocka_unit_test(t_nodes_from_a_cache),
        cmocka_unit_test(t_in_place_growth),
    };
    return la_test_run("allocator_hashmap", tests);
}
