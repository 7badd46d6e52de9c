/* The OOM loop (issue 6, style-anchors §3): the example container
 * (examples/hashmap.h) runs a script of operations — inserts that grow the table,
 * removals, a copy, a reserve — over the fault-injecting wrapper, with call
 * 1, 2, 3, ... failed in turn until the script succeeds. After every failure:
 * the error is ENOMEM, the map holds exactly what the model says (operations that
 * failed changed nothing), the copy is empty, and once the maps are destroyed no
 * block is live anywhere (wrapper, cache, fallback tag). The loop must take one
 * iteration per allocation call of the successful run, so every failure point is
 * visited.
 *
 * Variants: failures in front of the lookaside adapter (the map's own calls), the
 * same with every call failing from N on (cleanup must not allocate), failures
 * *behind* a lookaside cache (its backing refills fail; the cache is recreated
 * each time and must give every block back), and a seeded random share. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include "../../examples/hashmap.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define KEYS 300u
#define TAG_NODES LA_TAG('O', 'm', 'N', 'd')
#define TAG_BUCKETS LA_TAG('O', 'm', 'B', 'k')
#define TAG_BACKING LA_TAG('O', 'm', 'B', 'g')

typedef struct model {
    bool present[KEYS];
    size_t count;
} model_t;

static void model_put(model_t *md, uint64_t k) {
    if (!md->present[k]) md->count++;
    md->present[k] = true;
}

static void check_against(const hm_map_t *m, const model_t *md) {
    assert_int_equal(hm_check(m), 0);
    assert_int_equal(hm_count(m), md->count);
    for (uint64_t k = 0; k < KEYS; k++) {
        uint64_t v = 0;
        assert_int_equal(hm_get(m, k, &v), md->present[k]);
        if (md->present[k]) assert_int_equal(v, k * 3 + 1);
    }
}

/* The operation under test. The model is updated only by what succeeded. */
static int script(hm_map_t *m, hm_map_t *copy, model_t *md, bool *copied) {
    int err;
    *copied = false;
    for (uint64_t k = 0; k < 200; k++) {           /* grows 8 -> 16 -> ... -> 512 */
        if ((err = hm_put(m, k, k * 3 + 1))) return err;
        model_put(md, k);
    }
    for (uint64_t k = 0; k < 200; k += 3) {         /* removals never fail */
        assert_true(hm_remove(m, k));
        md->present[k] = false;
        md->count--;
    }
    for (uint64_t k = 200; k < KEYS; k++) {
        if ((err = hm_put(m, k, k * 3 + 1))) return err;
        model_put(md, k);
    }
    if ((err = hm_copy(copy, m, m->alloc))) return err;  /* all or nothing */
    *copied = true;
    if ((err = hm_reserve(m, 1000))) return err;
    return 0;
}

typedef struct rig {
    la_lookaside_t *cache;
    la_pool_allocator_t buckets, backing_pool;
    la_lookaside_allocator_t nodes;
    la_fault_allocator_t front;    /* between the map and the adapter */
    la_fault_allocator_t back;     /* between the cache and the pool */
    bool fault_behind;             /* the cache's backing goes through `back` */
} rig_t;

/* Backing callbacks that send a cache's refills through an la_allocator_t. */
static void *backing_alloc(la_lookaside_t *cache, size_t size, size_t align, void *arg) {
    (void)cache;
    return la_allocator_alloc(arg, size, align);
}
static void backing_free(la_lookaside_t *cache, void *block, size_t size, void *arg) {
    la_allocator_free(arg, block, size, la_lookaside_alignment(cache));
}

static uint64_t tag_outstanding(la_tag_t tag) {
    la_pool_tag_info_t info;
    return la_pool_tag_query(tag, LA_POOL_KIND_PAGED, &info) ? 0 : info.outstanding;
}

static uint64_t cache_outstanding(la_lookaside_t *c) {
    la_lookaside_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    assert_int_equal(la_lookaside_query(c, &s), 0);
    return s.outstanding;
}

static void rig_up(rig_t *r, bool fault_behind) {
    memset(r, 0, sizeof *r);
    r->fault_behind = fault_behind;
    la_lookaside_params_t p;
    memset(&p, 0, sizeof p);
    p.name = "oom-nodes";
    p.size = HM_NODE_SIZE;
    p.tag = TAG_NODES;
    p.pool_type = LA_POOL_PAGED;
    assert_int_equal(la_pool_allocator_init(&r->backing_pool, LA_POOL_PAGED, TAG_BACKING, 0), 0);
    if (fault_behind) {
        assert_int_equal(la_fault_allocator_init(&r->back, &r->backing_pool.allocator), 0);
        p.alloc = backing_alloc;
        p.free = backing_free;
        p.backing_arg = &r->back.allocator;
    }
    assert_int_equal(la_lookaside_create(&p, &r->cache), 0);
    assert_int_equal(la_pool_allocator_init(&r->buckets, LA_POOL_PAGED, TAG_BUCKETS, 0), 0);
    assert_int_equal(la_lookaside_allocator_init(&r->nodes, r->cache, &r->buckets.allocator), 0);
    assert_int_equal(la_fault_allocator_init(&r->front, &r->nodes.allocator), 0);
}

/* Destroy the cache; nothing may remain anywhere. */
static void rig_down(rig_t *r) {
    assert_int_equal(la_fault_allocator_live(&r->front), 0);
    assert_int_equal(cache_outstanding(r->cache), 0);
    assert_int_equal(la_lookaside_destroy(r->cache), 0);
    if (r->fault_behind) assert_int_equal(la_fault_allocator_live(&r->back), 0);
    assert_int_equal(tag_outstanding(TAG_BUCKETS), 0);
    assert_int_equal(tag_outstanding(TAG_BACKING), 0);
    assert_int_equal(tag_outstanding(TAG_NODES), 0);
}

/* One run of the script with the fault armed by `arm`; returns the script's result
 * after checking the state it left and tearing everything down. */
typedef void arm_fn(rig_t *r, uint64_t n);

static int one_run(arm_fn *arm, uint64_t n, bool fault_behind, uint64_t *calls, uint64_t *injected) {
    rig_t r;
    rig_up(&r, fault_behind);
    static model_t md;
    memset(&md, 0, sizeof md);
    hm_map_t m, copy;
    hm_init(&m, &r.front.allocator);
    hm_init(&copy, &r.front.allocator);
    arm(&r, n);
    bool copied;
    int err = script(&m, &copy, &md, &copied);
    la_fault_allocator_t *f = fault_behind ? &r.back : &r.front;
    la_fault_allocator_fail_nth(f, 0, 0);          /* disarm for the checks and cleanup */
    la_fault_allocator_fail_share(f, 0, 0);
    la_fault_stats_t s;
    la_fault_allocator_stats_get(f, &s);
    *calls = s.calls;
    *injected = s.failures;
    if (err) {
        assert_int_equal(err, ENOMEM);
        assert_true(s.failures > 0);               /* only injected failures happen here */
        check_against(&m, &md);                    /* a failed step changed nothing */
        if (copied)
            check_against(&copy, &md);             /* the reserve failed: the copy is whole */
        else if (hm_count(&copy) != 0 || copy.buckets != NULL)
            fail_msg("copy left half made");       /* all or nothing */
    } else {
        check_against(&m, &md);
        check_against(&copy, &md);
        assert_true(m.nbuckets >= 1024);
    }
    /* Every node the map holds is a cache block. */
    assert_int_equal(cache_outstanding(r.cache), hm_count(&m) + hm_count(&copy));
    hm_destroy(&copy);
    hm_destroy(&m);
    rig_down(&r);
    return err;
}

static void arm_front_once(rig_t *r, uint64_t n) { la_fault_allocator_fail_nth(&r->front, n, 1); }
static void arm_front_from(rig_t *r, uint64_t n) {
    la_fault_allocator_fail_nth(&r->front, n, UINT64_MAX);
}
static void arm_back_once(rig_t *r, uint64_t n) { la_fault_allocator_fail_nth(&r->back, n, 1); }

/* Fail call 1, 2, 3, ... until the script succeeds with nothing injected. */
static void oom_loop(const char *what, arm_fn *arm, bool fault_behind) {
    uint64_t clean_calls = 0, injected = 0;
    assert_int_equal(one_run(arm, 0, fault_behind, &clean_calls, &injected), 0);
    assert_int_equal(injected, 0);
    assert_true(clean_calls > 300);                /* the script really allocates */
    uint64_t n, failures = 0, recovered = 0;
    for (n = 1;; n++) {
        uint64_t calls;
        int err = one_run(arm, n, fault_behind, &calls, &injected);
        if (!err && injected == 0) break;
        if (err)
            failures++;
        else
            recovered++;    /* a failed resize the map worked around (alloc + move) */
        assert_true(n <= clean_calls + 1);
    }
    /* Each call of the clean run was failed once, in turn. */
    assert_int_equal(n, clean_calls + 1);
    assert_int_equal(failures + recovered, clean_calls);
    la_printf("%s: %" PRIu64 " allocation calls, each failed in turn: %" PRIu64
              " failed the script (consistent, no leak), %" PRIu64 " worked around\n",
              what, clean_calls, failures, recovered);
}

static void t_fail_each_call_once(void **state) {
    (void)state;
    oom_loop("map calls, fail Nth once", arm_front_once, false);
}

static void t_fail_every_call_from_n(void **state) {
    (void)state;
    oom_loop("map calls, fail Nth and all after", arm_front_from, false);
}

static void t_fail_behind_the_cache(void **state) {
    (void)state;
    oom_loop("cache backing calls, fail Nth once", arm_back_once, true);
}

static uint64_t share_seed;
static void arm_front_share(rig_t *r, uint64_t n) {
    la_fault_allocator_fail_share(&r->front, 20000, share_seed + n); /* 2% of calls */
}

static void t_seeded_share(void **state) {
    (void)state;
    share_seed = la_test_seed();
    int runs = la_test_under_sanitizer() ? 20 : 100, failed = 0;
    for (int i = 1; i <= runs; i++) {
        uint64_t calls, injected;
        if (one_run(arm_front_share, (uint64_t)i, false, &calls, &injected)) failed++;
    }
    assert_true(failed > 0);                       /* 2% of ~600 calls: most runs hit one */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_fail_each_call_once),
        cmocka_unit_test(t_fail_every_call_from_n),
        cmocka_unit_test(t_fail_behind_the_cache),
        cmocka_unit_test(t_seeded_share),
    };
    return la_test_run("allocator_oom", tests);
}
