/* The lookaside adapter's own rules (lookaside/allocator.h, "The adapters"):
 * a request above the block or the cache's alignment is refused with EINVAL and
 * never reaches the cache; resize succeeds while the new size fits the block and
 * fails cleanly (no report, no abort) otherwise; a free with a layout the adapter
 * could not have handed out is reported and abandoned; with a fallback, requests
 * are routed by layout and every block goes back where it came from; the cache
 * really serves the blocks (LIFO reuse, counters); threads may share an adapter. */
#include "test_support.h"
#include "lookaside_fixture.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define TAG_CACHE LA_TAG('A', 'l', 'L', 'k')
#define TAG_FB LA_TAG('A', 'l', 'F', 'b')

static la_lookaside_t *make_cache(const char *name, size_t size, size_t align) {
    la_lookaside_params_t p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.size = size;
    p.align = align;
    p.tag = TAG_CACHE;
    p.pool_type = LA_POOL_PAGED;
    la_lookaside_t *c = NULL;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    return c;
}

static uint64_t fb_outstanding(void) {
    la_pool_tag_info_t info;
    if (la_pool_tag_query(TAG_FB, LA_POOL_KIND_PAGED, &info)) return 0;
    return info.outstanding;
}

static uint64_t calls_of(const la_fault_allocator_t *f) {
    la_fault_stats_t s;
    la_fault_allocator_stats_get(f, &s);
    return s.calls;
}

static void t_init(void **state) {
    (void)state;
    la_lookaside_t *c = make_cache("nodes", 40, 0);
    la_lookaside_allocator_t la;
    assert_int_equal(la_lookaside_allocator_init(NULL, c, NULL), EINVAL);
    assert_int_equal(la_lookaside_allocator_init(&la, NULL, NULL), EINVAL);
    assert_int_equal(la_lookaside_allocator_init(&la, c, NULL), 0);
    assert_string_equal(la.allocator.name, "lookaside nodes");
    assert_ptr_equal(la.allocator.ctx, &la);
    assert_ptr_equal(la.cache, c);
    assert_int_equal(la.block_size, 48);               /* 40 rounded to the 16-byte alignment */
    assert_int_equal(la.block_align, 16);
    assert_null(la.fallback);
    assert_int_equal(la_lookaside_destroy(c), 0);
}

static void t_refusal_never_reaches_the_cache(void **state) {
    (void)state;
    la_lookaside_t *c = make_cache("refuse", 64, 32);
    la_lookaside_allocator_t la;
    assert_int_equal(la_lookaside_allocator_init(&la, c, NULL), 0);
    const la_allocator_t *a = &la.allocator;
    unsigned char *ok = la_allocator_alloc(a, 64, 32); /* exactly the block: served */
    assert_non_null(ok);
    memset(ok, 0x5A, 64);
    la_lookaside_stats_t before = la_test_stats(c);
    la_test_fatal_trap_begin();
    static const size_t sizes[] = {65, 100, 4096, SIZE_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        errno = 0;
        assert_null(la_allocator_alloc(a, sizes[i], 0));
        assert_int_equal(errno, EINVAL);
    }
    errno = 0;
    assert_null(la_allocator_alloc(a, 8, 64));          /* more aligned than the cache */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(la_test_fatal_trap_end(), 0);     /* a refusal is not misuse */
    la_lookaside_stats_t after = la_test_stats(c);
    assert_int_equal(after.total_allocates, before.total_allocates);
    assert_int_equal(after.outstanding, before.outstanding);
    for (int i = 0; i < 64; i++) assert_int_equal(ok[i], 0x5A);
    la_allocator_free(a, ok, 64, 32);
    assert_int_equal(la_lookaside_destroy(c), 0);
}

static void t_resize_fits_the_block(void **state) {
    (void)state;
    la_lookaside_t *c = make_cache("resize", 100, 0);  /* block 112 */
    la_lookaside_allocator_t la;
    assert_int_equal(la_lookaside_allocator_init(&la, c, NULL), 0);
    const la_allocator_t *a = &la.allocator;
    unsigned char *p = la_allocator_alloc(a, 10, 0);
    assert_non_null(p);
    memset(p, 1, 10);
    la_test_fatal_trap_begin();
    assert_true(la_allocator_resize(a, p, 10, 112, 0));  /* grows to the whole block */
    memset(p, 2, 112);
    assert_true(la_allocator_resize(a, p, 112, 50, 0));  /* shrinks */
    assert_false(la_allocator_resize(a, p, 50, 113, 0)); /* past the block: no, cleanly */
    assert_false(la_allocator_resize(a, p, 50, SIZE_MAX, 0));
    assert_false(la_allocator_resize(a, p, 50, 60, 32)); /* alignment the cache lacks */
    assert_int_equal(la_test_fatal_trap_end(), 0);       /* never a report */
    for (int i = 0; i < 50; i++) assert_int_equal(p[i], 2);
    void *q = la_allocator_realloc(a, p, 50, 200, 0);     /* cannot move out: NULL, p intact */
    assert_null(q);
    assert_int_equal(errno, EINVAL);
    la_allocator_free(a, p, 50, 0);
    assert_int_equal(la_test_stats(c).outstanding, 0);
    assert_int_equal(la_lookaside_destroy(c), 0);
}

static void t_free_with_foreign_layout_is_reported(void **state) {
    (void)state;
    la_lookaside_t *c = make_cache("foreign", 32, 0);
    la_lookaside_allocator_t la;
    assert_int_equal(la_lookaside_allocator_init(&la, c, NULL), 0);
    void *p = la_allocator_alloc(&la.allocator, 32, 0);
    assert_non_null(p);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_allocator_free(&la.allocator, p, 33, 0);           /* a layout it never hands out */
    assert_int_equal(la_test_fatal_trap_end(), 1);
    const char *out = la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_non_null(strstr(out, "lookaside foreign"));
    assert_int_equal(la_test_stats(c).outstanding, 1);            /* abandoned: still allocated */
    la_allocator_free(&la.allocator, p, 32, 0);
    assert_int_equal(la_test_stats(c).outstanding, 0);
    assert_int_equal(la_lookaside_destroy(c), 0);
}

static void t_blocks_come_from_the_cache(void **state) {
    (void)state;
    la_lookaside_t *c = make_cache("lifo", 24, 0);
    la_lookaside_allocator_t la;
    assert_int_equal(la_lookaside_allocator_init(&la, c, NULL), 0);
    void *p = la_allocator_alloc(&la.allocator, 24, 8);
    la_allocator_free(&la.allocator, p, 24, 8);
    void *q = la_allocator_alloc(&la.allocator, 1, 1);   /* LIFO reuse of the same block */
    assert_ptr_equal(p, q);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 2);
    assert_int_equal(s.allocate_misses, 1);
    assert_int_equal(s.total_frees, 1);
    la_allocator_free(&la.allocator, q, 1, 1);
    assert_int_equal(la_lookaside_destroy(c), 0);
}

static void t_fallback_routes_by_layout(void **state) {
    (void)state;
    la_lookaside_t *c = make_cache("routed", 48, 16);
    la_pool_allocator_t fb;
    assert_int_equal(la_pool_allocator_init(&fb, LA_POOL_PAGED, TAG_FB, 0), 0);
    la_lookaside_allocator_t la;
    assert_int_equal(la_lookaside_allocator_init(&la, c, &fb.allocator), 0);
    const la_allocator_t *a = &la.allocator;
    uint64_t fb0 = fb_outstanding();

    void *node = la_allocator_alloc(a, 40, 8);            /* fits: the cache */
    assert_int_equal(la_test_stats(c).outstanding, 1);
    assert_int_equal(fb_outstanding(), fb0);
    void *big = la_allocator_alloc(a, 49, 8);             /* one byte more: the fallback */
    assert_int_equal(fb_outstanding(), fb0 + 1);
    void *aligned = la_allocator_alloc(a, 8, 64);         /* small but over-aligned: fallback */
    assert_int_equal((uintptr_t)aligned % 64, 0);
    assert_int_equal(fb_outstanding(), fb0 + 2);
    assert_int_equal(la_test_stats(c).outstanding, 1);
    assert_int_equal(la_pool_block_tag(big), TAG_FB);
    assert_int_equal(la_pool_block_tag(aligned), TAG_FB);

    /* Resize never changes a block's source. */
    assert_true(la_allocator_resize(a, node, 40, 48, 8));
    assert_false(la_allocator_resize(a, node, 48, 49, 8));
    assert_false(la_allocator_resize(a, big, 49, 48, 8)); /* would become a cache-sized block */
    assert_true(la_allocator_resize(a, big, 49, 64, 8));  /* within the fallback's block */
    bool fits16 = 16 <= la_pool_block_size(aligned);      /* over-aligned: the pool's rule */
    assert_int_equal(la_allocator_resize(a, aligned, 8, 16, 64), fits16);

    /* Each goes back where it came from (the pool checks the tag on free). */
    la_allocator_free(a, big, 64, 8);
    la_allocator_free(a, aligned, fits16 ? 16 : 8, 64);
    la_allocator_free(a, node, 48, 8);
    assert_int_equal(fb_outstanding(), fb0);
    assert_int_equal(la_test_stats(c).outstanding, 0);
    la_pool_tag_info_t info;
    assert_int_equal(la_pool_tag_query(TAG_FB, LA_POOL_KIND_PAGED, &info), 0);
    assert_int_equal(info.tag_mismatches, 0);
    assert_int_equal(la_lookaside_destroy(c), 0);
}

/* ---- threads sharing one adapter ------------------------------------------------------ */

typedef struct worker {
    pthread_t thread;
    const la_allocator_t *a;
    uint64_t seed;
    int rounds;
    int bad;
} worker_t;

static void *work(void *arg) {
    worker_t *w = arg;
    la_test_rng_t rng;
    la_test_rng_init(&rng, w->seed);
    unsigned char *held[16] = {0};
    size_t sizes[16] = {0};
    for (int r = 0; r < w->rounds; r++) {
        unsigned i = (unsigned)la_test_rng_below(&rng, 16);
        if (held[i]) {
            for (size_t k = 0; k < sizes[i]; k++)
                if (held[i][k] != (unsigned char)(i + sizes[i])) w->bad++;
            la_allocator_free(w->a, held[i], sizes[i], 0);
            held[i] = NULL;
        } else {
            sizes[i] = 1 + (size_t)la_test_rng_below(&rng, 96); /* some fit, some fall back */
            held[i] = la_allocator_alloc(w->a, sizes[i], 0);
            if (!held[i]) { w->bad++; continue; }
            memset(held[i], (int)(i + sizes[i]), sizes[i]);
        }
    }
    for (unsigned i = 0; i < 16; i++) la_allocator_free(w->a, held[i], sizes[i], 0);
    la_lookaside_thread_flush();
    return NULL;
}

/* Backing callbacks that send the cache's refills to an la_allocator_t. */
static void *backing_alloc(la_lookaside_t *cache, size_t size, size_t align, void *arg) {
    (void)cache;
    return la_allocator_alloc(arg, size, align);
}
static void backing_free(la_lookaside_t *cache, void *block, size_t size, void *arg) {
    la_allocator_free(arg, block, size, la_lookaside_alignment(cache));
}

/* The cache is backed by, and falls back to, counting wrappers over libc (the
 * pool's own thread behaviour is the pool's tests' business). */
static void t_threads_share_an_adapter(void **state) {
    (void)state;
    la_fault_allocator_t backing, fb;
    assert_int_equal(la_fault_allocator_init(&backing, la_allocator_libc()), 0);
    assert_int_equal(la_fault_allocator_init(&fb, la_allocator_libc()), 0);
    la_lookaside_params_t p;
    memset(&p, 0, sizeof p);
    p.name = "shared";
    p.size = 64;
    p.alloc = backing_alloc;
    p.free = backing_free;
    p.backing_arg = &backing.allocator;
    la_lookaside_t *c = NULL;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    la_lookaside_allocator_t la;
    assert_int_equal(la_lookaside_allocator_init(&la, c, &fb.allocator), 0);
    uint64_t seed = la_test_seed();
    worker_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i].a = &la.allocator;
        w[i].seed = seed + (uint64_t)i;
        w[i].rounds = la_test_under_sanitizer() ? 5000 : 50000;
        w[i].bad = 0;
        assert_int_equal(pthread_create(&w[i].thread, NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(w[i].thread, NULL), 0);
        assert_int_equal(w[i].bad, 0);
    }
    assert_int_equal(la_test_stats(c).outstanding, 0);
    assert_int_equal(la_fault_allocator_live(&fb), 0);
    assert_true(calls_of(&fb) > 0);     /* some did fall back */
    assert_int_equal(la_lookaside_destroy(c), 0);
    assert_int_equal(la_fault_allocator_live(&backing), 0);   /* every cache block went back */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_init),
        cmocka_unit_test(t_refusal_never_reaches_the_cache),
        cmocka_unit_test(t_resize_fits_the_block),
        cmocka_unit_test(t_free_with_foreign_layout_is_reported),
        cmocka_unit_test(t_blocks_come_from_the_cache),
        cmocka_unit_test(t_fallback_routes_by_layout),
        cmocka_unit_test(t_threads_share_an_adapter),
    };
    return la_test_run("allocator_lookaside", tests);
}
