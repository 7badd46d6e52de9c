/* Every adapter through the same conformance test (issue 6): allocate, write the
 * whole block, free; many blocks live at once never overlap; alignment honoured;
 * size 0 and free(NULL); requests above the adapter's size or alignment refused
 * cleanly (NULL + EINVAL, nothing allocated, nothing corrupted); a bad alignment
 * refused by every adapter; the resize rules (each adapter's documented rule, the
 * block's contents kept when resize says no, the whole new size usable when it
 * says yes); and no leak at the end (each adapter's own accounting).
 *
 * Adapters: libc; pool (paged, tag "CfPl"); lookaside without fallback (refuses);
 * lookaside with a pool fallback (routes by size); the fault wrapper over libc
 * with nothing armed (a pass-through); an arena over a 32 MiB region. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TAG_POOL LA_TAG('C', 'f', 'P', 'l')
#define TAG_CACHE LA_TAG('C', 'f', 'L', 'k')
#define TAG_FALLBACK LA_TAG('C', 'f', 'F', 'b')

#define ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))
#define UNLIMITED SIZE_MAX
#define TEST_SIZE_CAP (64u * 1024u)   /* largest size the test asks an unlimited adapter for */
#define TEST_ALIGN_CAP 4096u          /* largest alignment tried */

typedef struct adapter_case adapter_case_t;
struct adapter_case {
    const char *label;
    void (*setup)(adapter_case_t *c);
    void (*teardown)(adapter_case_t *c);
    /* 1: resize must succeed, 0: must fail, for a block of old_size at p. */
    int (*resize_expect)(adapter_case_t *c, void *p, size_t old_size, size_t new_size, size_t align);
    /* Blocks this adapter's memory holds for the caller now (leak check). */
    uint64_t (*outstanding)(adapter_case_t *c);
    size_t max_size, max_align;     /* what it serves; beyond: EINVAL */
    const la_allocator_t *a;
    la_pool_allocator_t pool, fallback_pool;
    la_lookaside_allocator_t lk;
    la_lookaside_t *cache;
    la_fault_allocator_t fault;
    la_region_t *region;
    la_region_allocator_t arena;
};

static uint64_t pool_outstanding(la_tag_t tag) {
    la_pool_tag_info_t info;
    if (la_pool_tag_query(tag, LA_POOL_KIND_PAGED, &info) != 0) return 0;
    return info.outstanding;
}

static uint64_t cache_outstanding(la_lookaside_t *cache) {
    la_lookaside_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    assert_int_equal(la_lookaside_query(cache, &s), 0);
    return s.outstanding;
}

/* ---- libc ---- */
static void libc_setup(adapter_case_t *c) { c->a = la_allocator_libc(); }
static void no_teardown(adapter_case_t *c) { (void)c; }
static int libc_resize(adapter_case_t *c, void *p, size_t o, size_t n, size_t al) {
    (void)c, (void)p, (void)al;
    return n <= o;
}
static uint64_t no_count(adapter_case_t *c) { (void)c; return 0; }

/* ---- pool ---- */
static size_t page_size(void) {
    la_platform_info_t info;
    assert_int_equal(la_platform_info_get(&info), 0);
    return (size_t)info.page_size;
}
static void pool_setup(adapter_case_t *c) {
    assert_int_equal(la_pool_allocator_init(&c->pool, LA_POOL_PAGED, TAG_POOL, 0), 0);
    c->a = &c->pool.allocator;
    c->max_align = page_size();                        /* the pool's largest alignment */
}
static int pool_resize(adapter_case_t *c, void *p, size_t o, size_t n, size_t al) {
    (void)c, (void)o, (void)al;
    return n <= la_pool_block_size(p);
}
static uint64_t pool_count(adapter_case_t *c) { (void)c; return pool_outstanding(TAG_POOL); }

/* ---- lookaside (with or without a fallback) ---- */
static void cache_create(adapter_case_t *c, size_t size, size_t align) {
    la_lookaside_params_t p;
    memset(&p, 0, sizeof p);
    p.name = "conformance";
    p.size = size;
    p.align = align;
    p.tag = TAG_CACHE;
    p.pool_type = LA_POOL_PAGED;
    assert_int_equal(la_lookaside_create(&p, &c->cache), 0);
}
static void lk_setup(adapter_case_t *c) {
    cache_create(c, 200, 64);                          /* block 256, 64-aligned */
    assert_int_equal(la_lookaside_allocator_init(&c->lk, c->cache, NULL), 0);
    c->a = &c->lk.allocator;
    c->max_size = la_lookaside_block_size(c->cache);
    c->max_align = la_lookaside_alignment(c->cache);
    assert_int_equal(c->max_size, 256);
    assert_int_equal(c->max_align, 64);
}
static void lk_fb_setup(adapter_case_t *c) {
    cache_create(c, 48, 16);                           /* block 48, 16-aligned */
    assert_int_equal(la_pool_allocator_init(&c->fallback_pool, LA_POOL_PAGED, TAG_FALLBACK, 0), 0);
    assert_int_equal(la_lookaside_allocator_init(&c->lk, c->cache, &c->fallback_pool.allocator), 0);
    c->a = &c->lk.allocator;
    c->max_align = page_size();                        /* the fallback pool's */
}
static void lk_teardown(adapter_case_t *c) {
    assert_int_equal(la_lookaside_destroy(c->cache), 0);   /* nothing outstanding */
    c->cache = NULL;
}
static bool lk_fits(adapter_case_t *c, size_t size, size_t align) {
    return size <= c->lk.block_size && align <= c->lk.block_align;
}
static int lk_resize(adapter_case_t *c, void *p, size_t o, size_t n, size_t al) {
    (void)p, (void)o;
    return lk_fits(c, n, al);
}
static int lk_fb_resize(adapter_case_t *c, void *p, size_t o, size_t n, size_t al) {
    if (lk_fits(c, o, al)) return lk_fits(c, n, al);
    if (lk_fits(c, n, al)) return 0;                   /* would change source */
    return n <= la_pool_block_size(p);                 /* the fallback pool's rule */
}
static uint64_t lk_count(adapter_case_t *c) { return cache_outstanding(c->cache); }
static uint64_t lk_fb_count(adapter_case_t *c) {
    return cache_outstanding(c->cache) + pool_outstanding(TAG_FALLBACK);
}

/* ---- fault wrapper over libc, nothing armed ---- */
static void fault_setup(adapter_case_t *c) {
    assert_int_equal(la_fault_allocator_init(&c->fault, la_allocator_libc()), 0);
    c->a = &c->fault.allocator;
}
static uint64_t fault_count(adapter_case_t *c) { return la_fault_allocator_live(&c->fault); }

/* ---- an arena over a region ---- */
#define REGION_SIZE (32u << 20)
static void region_setup(adapter_case_t *c) {
    la_region_spec_t spec;
    memset(&spec, 0, sizeof spec);
    spec.size = REGION_SIZE;
    spec.node = LA_NODE_ANY;
    assert_int_equal(la_region_alloc(&spec, &c->region), 0);
    assert_int_equal(la_region_allocator_init(&c->arena, c->region), 0);
    c->a = &c->arena.allocator;
    c->max_size = c->arena.capacity;
}
static void region_teardown(adapter_case_t *c) {
    la_region_free(c->region);
    c->region = NULL;
}
static int region_resize(adapter_case_t *c, void *p, size_t o, size_t n, size_t al) {
    (void)c, (void)p, (void)al;
    return n <= o;   /* the block under test is never the last one (see t_resize) */
}
static uint64_t region_count(adapter_case_t *c) {
    la_region_allocator_stats_t s;
    la_region_allocator_stats_get(&c->arena, &s);
    return s.live;
}

static adapter_case_t cases[] = {
    {.label = "libc", .setup = libc_setup, .teardown = no_teardown, .resize_expect = libc_resize,
     .outstanding = no_count, .max_size = UNLIMITED, .max_align = UNLIMITED},
    {.label = "pool", .setup = pool_setup, .teardown = no_teardown, .resize_expect = pool_resize,
     .outstanding = pool_count, .max_size = UNLIMITED, .max_align = 4096},
    {.label = "lookaside", .setup = lk_setup, .teardown = lk_teardown, .resize_expect = lk_resize,
     .outstanding = lk_count, .max_size = 256, .max_align = 64},
    {.label = "lookaside+fallback", .setup = lk_fb_setup, .teardown = lk_teardown,
     .resize_expect = lk_fb_resize, .outstanding = lk_fb_count, .max_size = UNLIMITED,
     .max_align = 4096},
    {.label = "fault(libc)", .setup = fault_setup, .teardown = no_teardown,
     .resize_expect = libc_resize, .outstanding = fault_count, .max_size = UNLIMITED,
     .max_align = UNLIMITED},
    {.label = "region", .setup = region_setup, .teardown = region_teardown,
     .resize_expect = region_resize, .outstanding = region_count, .max_size = REGION_SIZE,
     .max_align = UNLIMITED},
};

static int case_setup(void **state) {
    adapter_case_t *c = *state;
    c->setup(c);
    return 0;
}
static int case_teardown(void **state) {
    adapter_case_t *c = *state;
    c->teardown(c);
    return 0;
}

/* ---- the checks --------------------------------------------------------------------- */

static unsigned char pattern(size_t block, size_t i) { return (unsigned char)(block * 31 + i * 7 + 1); }
static void fill(unsigned char *p, size_t n, size_t id) {
    for (size_t i = 0; i < n; i++) p[i] = pattern(id, i);
}
static void verify(const unsigned char *p, size_t n, size_t id) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(id, i)) fail_msg("block %zu byte %zu overwritten", id, i);
}

static size_t capped(size_t v, size_t cap) { return v < cap ? v : cap; }

typedef struct live_block { unsigned char *p; size_t size, align; } live_block_t;

/* Allocate a spread of sizes and alignments within what the adapter serves, all
 * live at once; write every byte; then verify every byte and free. */
static void t_allocate_write_free(void **state) {
    adapter_case_t *c = *state;
    uint64_t before = c->outstanding(c);
    static const size_t sizes[] = {1, 2, 7, 8, 15, 16, 17, 24, 31, 48, 64, 100, 200, 255, 256,
                                   257, 1000, 4080, 4096, 5000, 65536};
    live_block_t blocks[ARRAY_N(sizes) * 14];
    size_t n = 0;
    size_t max_size = capped(c->max_size, TEST_SIZE_CAP), max_align = capped(c->max_align, TEST_ALIGN_CAP);
    for (size_t si = 0; si < ARRAY_N(sizes); si++) {
        if (sizes[si] > max_size) continue;
        for (size_t align = 0; align <= max_align; align = align ? align * 2 : 1) {
            unsigned char *p = la_allocator_alloc(c->a, sizes[si], align);
            if (!p) fail_msg("%s: %zu bytes aligned %zu: errno %d", c->label, sizes[si], align, errno);
            size_t eff = align ? align : LA_ALLOCATOR_DEFAULT_ALIGN;
            assert_int_equal((uintptr_t)p % eff, 0);
            fill(p, sizes[si], n);
            blocks[n].p = p;
            blocks[n].size = sizes[si];
            blocks[n].align = align;
            n++;
        }
    }
    assert_true(n > 10);
    assert_int_equal(c->outstanding(c) - before, c->outstanding == no_count ? 0 : n);
    for (size_t i = 0; i < n; i++) verify(blocks[i].p, blocks[i].size, i);
    for (size_t i = 0; i < n; i++) la_allocator_free(c->a, blocks[i].p, blocks[i].size, blocks[i].align);
    assert_int_equal(c->outstanding(c), before);
}

static void t_size_zero_and_free_null(void **state) {
    adapter_case_t *c = *state;
    uint64_t before = c->outstanding(c);
    void *p = la_allocator_alloc(c->a, 0, 0);
    void *q = la_allocator_alloc(c->a, 0, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);                        /* unique blocks */
    *(unsigned char *)p = 1;                           /* one usable byte */
    la_allocator_free(c->a, p, 0, 0);
    la_allocator_free(c->a, q, 0, 0);
    la_allocator_free(c->a, NULL, 10, 0);
    assert_int_equal(c->outstanding(c), before);
}

static void t_refusals(void **state) {
    adapter_case_t *c = *state;
    uint64_t before = c->outstanding(c);
    errno = 0;
    assert_null(la_allocator_alloc(c->a, 16, 48));     /* not a power of two: everyone */
    assert_int_equal(errno, EINVAL);
    if (c->max_size != UNLIMITED) {                    /* one byte too many */
        errno = 0;
        assert_null(la_allocator_alloc(c->a, c->max_size + 1, 0));
        assert_int_equal(errno, EINVAL);
        errno = 0;
        assert_null(la_allocator_alloc(c->a, SIZE_MAX, 0));
        assert_int_equal(errno, EINVAL);
    }
    if (c->max_align != UNLIMITED) {                   /* twice the alignment */
        errno = 0;
        assert_null(la_allocator_alloc(c->a, 8, c->max_align * 2));
        assert_int_equal(errno, EINVAL);
    }
    errno = 0;                                         /* and far too much: ENOMEM or EINVAL */
    assert_null(la_allocator_alloc(c->a, SIZE_MAX - 4096, 0));
    assert_true(errno == ENOMEM || errno == EINVAL);
    assert_int_equal(c->outstanding(c), before);       /* nothing allocated by a refusal */

    /* A refusal does not disturb live blocks. */
    size_t sz = capped(c->max_size, 64);
    unsigned char *p = la_allocator_alloc(c->a, sz, 0);
    assert_non_null(p);
    fill(p, sz, 99);
    for (int i = 0; i < 8; i++) {
        if (c->max_size != UNLIMITED) assert_null(la_allocator_alloc(c->a, c->max_size + 1 + (size_t)i, 0));
        if (c->max_align != UNLIMITED) assert_null(la_allocator_alloc(c->a, sz, c->max_align << 1));
    }
    verify(p, sz, 99);
    la_allocator_free(c->a, p, sz, 0);
    assert_int_equal(c->outstanding(c), before);
}

/* Resize from several sizes to several sizes: the adapter's documented rule holds;
 * yes means the whole new size is usable, no means nothing changed. */
static void t_resize(void **state) {
    adapter_case_t *c = *state;
    uint64_t before = c->outstanding(c);
    static const size_t olds[] = {1, 16, 40, 48, 100, 256, 3000, 5000};
    static const size_t news[] = {1, 8, 17, 48, 49, 128, 256, 257, 4000, 4096, 9000};
    static const size_t aligns[] = {0, 64};
    size_t max_size = capped(c->max_size, TEST_SIZE_CAP);
    for (size_t ai = 0; ai < ARRAY_N(aligns); ai++) {
        size_t align = aligns[ai], eff = align ? align : LA_ALLOCATOR_DEFAULT_ALIGN;
        if (eff > c->max_align) continue;
        for (size_t oi = 0; oi < ARRAY_N(olds); oi++) {
            size_t old = olds[oi];
            if (old > max_size) continue;
            for (size_t ni = 0; ni < ARRAY_N(news); ni++) {
                size_t nw = news[ni];
                /* Neighbours on both sides in allocation order, to catch overruns. */
                unsigned char *left = la_allocator_alloc(c->a, old, align);
                unsigned char *p = la_allocator_alloc(c->a, old, align);
                unsigned char *right = la_allocator_alloc(c->a, old, align);
                assert_non_null(left);
                assert_non_null(p);
                assert_non_null(right);
                fill(left, old, 1);
                fill(p, old, 2);
                fill(right, old, 3);
                int expect = c->resize_expect(c, p, old, nw, eff);
                bool got = la_allocator_resize(c->a, p, old, nw, align);
                if (nw == old) expect = 1;
                if ((int)got != expect)
                    fail_msg("%s: resize %zu -> %zu aligned %zu: got %d, rule says %d", c->label, old,
                             nw, eff, got, expect);
                size_t now = got ? nw : old;
                verify(p, old < now ? old : now, 2);   /* contents kept */
                fill(p, now, 4);                        /* the whole current size is ours */
                verify(left, old, 1);
                verify(right, old, 3);
                verify(p, now, 4);
                la_allocator_free(c->a, left, old, align);
                la_allocator_free(c->a, p, now, align);
                la_allocator_free(c->a, right, old, align);
            }
        }
    }
    assert_int_equal(c->outstanding(c), before);
}

/* Reuse: a freed block can be handed out again and is fully writable then. */
static void t_churn(void **state) {
    adapter_case_t *c = *state;
    uint64_t before = c->outstanding(c);
    la_test_rng_t rng;
    la_test_rng_init(&rng, la_test_seed());
    live_block_t slots[32];
    memset(slots, 0, sizeof slots);
    size_t max_size = capped(c->max_size, 2048);
    int rounds = la_test_under_sanitizer() ? 2000 : 20000;
    for (int r = 0; r < rounds; r++) {
        size_t i = (size_t)la_test_rng_below(&rng, ARRAY_N(slots));
        if (slots[i].p) {
            verify(slots[i].p, slots[i].size, i);
            la_allocator_free(c->a, slots[i].p, slots[i].size, slots[i].align);
            slots[i].p = NULL;
        } else {
            size_t size = 1 + (size_t)la_test_rng_below(&rng, max_size);
            size_t align = (size_t)1 << la_test_rng_below(&rng, 7);  /* 1..64 */
            if (align > c->max_align) align = 0;
            slots[i].p = la_allocator_alloc(c->a, size, align);
            assert_non_null(slots[i].p);
            slots[i].size = size;
            slots[i].align = align;
            fill(slots[i].p, size, i);
        }
    }
    for (size_t i = 0; i < ARRAY_N(slots); i++)
        if (slots[i].p) {
            verify(slots[i].p, slots[i].size, i);
            la_allocator_free(c->a, slots[i].p, slots[i].size, slots[i].align);
        }
    assert_int_equal(c->outstanding(c), before);
}

static void t_name(void **state) {
    adapter_case_t *c = *state;
    assert_non_null(c->a->name);
    assert_true(strlen(c->a->name) > 0);
    assert_non_null(c->a->allocate);
    assert_non_null(c->a->free);
}

#define CASE_TEST(i, label, f) {label "/" #f, f, case_setup, case_teardown, &cases[i]}
#define CASE_TESTS(i, label)                                                               \
    CASE_TEST(i, label, t_name), CASE_TEST(i, label, t_allocate_write_free),                \
    CASE_TEST(i, label, t_size_zero_and_free_null), CASE_TEST(i, label, t_refusals),        \
    CASE_TEST(i, label, t_resize), CASE_TEST(i, label, t_churn)

int main(void) {
    const struct CMUnitTest tests[] = {
        CASE_TESTS(0, "libc"), CASE_TESTS(1, "pool"), CASE_TESTS(2, "lookaside"),
        CASE_TESTS(3, "lookaside+fallback"), CASE_TESTS(4, "fault(libc)"), CASE_TESTS(5, "region"),
    };
    return la_test_run("allocator_conformance", tests);
}
