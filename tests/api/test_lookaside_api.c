/* Lookaside caches through the public header only: the header example, hit/miss
 * accounting (native and Windows per-block semantics), callbacks, flush, trim,
 * destroy, bulk calls, creation errors, snapshots, JSON and the !lookaside view. */
#include "test_support.h"
#include "lookaside_fixture.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- a counting backing (lookaside_fixture.h) with a constructor ---------------------- */

typedef la_test_backing_t backing_t;

static int b_ctor(void *block, void *arg) {
    backing_t *b = arg;
    if (b->ctor_error) return b->ctor_error;
    b->ctors++;
    memset(block, 0xC5, 16);
    return 0;
}

static void b_dtor(void *block, void *arg) {
    backing_t *b = arg;
    b->dtors++;
    assert_int_equal(((unsigned char *)block)[0], 0xC5);
}

static la_lookaside_t *make(backing_t *b, size_t size, unsigned max_depth, unsigned depth, unsigned flags) {
    return la_test_cache_on(b, "test", size, max_depth, depth, flags);
}

/* The accounting identity every quiet cache satisfies. */
static void check_identity(const la_lookaside_t *c, const backing_t *b) {
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.outstanding, s.total_allocates - s.total_frees);
    assert_int_equal(s.cached, s.cached_depot + s.cached_magazines);
    /* Every block the backing has out is either outstanding or cached. */
    assert_int_equal(b->live, s.outstanding + s.cached);
}

/* ---- the header example, as written ----------------------------------------------------------- */

static int header_example(void) {
    la_lookaside_params_t p = {0};
    p.name = "requests";
    p.size = 100;                                // rounded up to 112
    p.tag = LA_TAG('R', 'e', 'q', 's');          // pool tag (default backing)
    p.pool_type = LA_POOL_PAGED;
    la_lookaside_t *cache;
    int err = la_lookaside_create(&p, &cache);
    if (err) return err;                         // EINVAL, ENOMEM
    void *a = la_lookaside_alloc(cache);         // first one: a miss (from the pool)
    la_lookaside_free(cache, a);                 // cached in this thread's magazine
    void *b = la_lookaside_alloc_inline(cache);  // a hit: the same block (LIFO)
    la_lookaside_free_inline(cache, b);
    la_lookaside_stats_t s = {.size = sizeof s};
    la_lookaside_query(cache, &s);               // total_allocates 2, allocate_misses 1
    la_lookaside_print(cache);                   // the !lookaside view via la_printf
    size_t leaked = la_lookaside_destroy(cache); // 0: the cached block goes back

    assert_ptr_equal(a, b);
    assert_int_equal(s.total_allocates, 2);
    assert_int_equal(s.allocate_misses, 1);
    assert_int_equal(s.block_size, 112);
    assert_int_equal(leaked, 0);
    return 0;
}

static void t_header_example(void **state) {
    (void)state;
    la_test_capture_begin();
    assert_int_equal(header_example(), 0);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "Lookaside \"requests\""));
    assert_non_null(strstr(out, "\"Reqs\""));
    assert_non_null(strstr(out, "PagedPool"));
}

/* ---- hit / miss accounting ---------------------------------------------------------------------- */

static void t_first_alloc_misses_then_lifo_hit(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 64, 0, 0, 0);
    void *a = la_lookaside_alloc(c);
    assert_non_null(a);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 1);
    assert_int_equal(s.allocate_misses, 1);
    assert_int_equal(b.allocs, 1);
    la_lookaside_free(c, a);
    s = la_test_stats(c);
    assert_int_equal(s.total_frees, 1);
    assert_int_equal(s.free_misses, 0);
    assert_int_equal(s.cached, 1);
    assert_int_equal(s.cached_magazines, 1);
    void *again = la_lookaside_alloc(c);
    assert_ptr_equal(again, a); /* LIFO reuse: the block just freed */
    s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 2);
    assert_int_equal(s.allocate_misses, 1);
    assert_int_equal(b.allocs, 1);
    /* LIFO over several blocks, as the seeds' demonstration shows. */
    void *x = la_lookaside_alloc(c), *y = la_lookaside_alloc(c);
    la_lookaside_free(c, again);
    la_lookaside_free(c, x);
    la_lookaside_free(c, y);
    assert_ptr_equal(la_lookaside_alloc(c), y);
    assert_ptr_equal(la_lookaside_alloc(c), x);
    assert_ptr_equal(la_lookaside_alloc(c), again);
    la_lookaside_free(c, again);
    la_lookaside_free(c, x);
    la_lookaside_free(c, y);
    check_identity(c, &b);
    assert_int_equal(la_lookaside_destroy(c), 0);
    assert_int_equal(b.live, 0);
}

/* Windows' per-block rule (DEPOT_ONLY): the free that finds depth >= Depth misses. */
static void t_depot_only_free_past_depth_misses(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 32, 16, 4, LA_LOOKASIDE_DEPOT_ONLY | LA_LOOKASIDE_NO_TUNE);
    void *blk[6];
    for (int i = 0; i < 6; ++i) blk[i] = la_lookaside_alloc(c);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 6);
    assert_int_equal(s.allocate_misses, 6);
    assert_int_equal(s.depth, 4);
    for (int i = 0; i < 6; ++i) la_lookaside_free(c, blk[i]);
    s = la_test_stats(c);
    assert_int_equal(s.total_frees, 6);
    assert_int_equal(s.free_misses, 2); /* frees 5 and 6 found 4 cached */
    assert_int_equal(s.cached_depot, 4);
    assert_int_equal(b.frees, 2);
    /* LIFO: the last block cached (blk[3]) comes back first. */
    void *h = la_lookaside_alloc(c);
    assert_ptr_equal(h, blk[3]);
    s = la_test_stats(c);
    assert_int_equal(s.allocate_misses, 6);
    la_lookaside_free(c, h);
    check_identity(c, &b);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

/* Magazines: a thread keeps two magazines; the depot takes a full one while it
 * stays within Depth; beyond that the free path hands rounds to the backing. */
static void t_magazine_free_past_depth_misses(void **state) {
    (void)state;
    backing_t b;
    /* MaximumDepth 4: magazines of 4 rounds, Depth 4: the depot holds one. */
    la_lookaside_t *c = make(&b, 32, 4, 4, LA_LOOKASIDE_NO_TUNE);
    enum { N = 16 };
    void *blk[N];
    for (int i = 0; i < N; ++i) blk[i] = la_lookaside_alloc(c);
    assert_int_equal(la_test_stats(c).allocate_misses, N);
    for (int i = 0; i < N; ++i) la_lookaside_free(c, blk[i]);
    la_lookaside_stats_t s = la_test_stats(c);
    /* 8 in the thread's two magazines, 4 in the depot, the rest missed. */
    assert_int_equal(s.total_frees, N);
    assert_int_equal(s.cached_magazines, 8);
    assert_int_equal(s.cached_depot, 4);
    assert_int_equal(s.free_misses, N - 12);
    assert_int_equal(b.frees, N - 12);
    check_identity(c, &b);
    /* Allocating 12 again: all hits (8 from magazines, 4 from the depot). */
    for (int i = 0; i < 12; ++i) blk[i] = la_lookaside_alloc(c);
    s = la_test_stats(c);
    assert_int_equal(s.allocate_misses, N);
    assert_int_equal(s.cached, 0);
    for (int i = 0; i < 12; ++i) la_lookaside_free(c, blk[i]);
    check_identity(c, &b);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

static void t_inline_and_out_of_line_mix(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 24, 0, 0, 0);
    void *p[100];
    for (int i = 0; i < 100; ++i) p[i] = (i & 1) ? la_lookaside_alloc_inline(c) : la_lookaside_alloc(c);
    for (int i = 0; i < 100; ++i) {
        if (i & 1)
            la_lookaside_free(c, p[i]);
        else
            la_lookaside_free_inline(c, p[i]);
    }
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 100; ++i) p[i] = la_lookaside_alloc_inline(c);
        for (int i = 0; i < 100; ++i) la_lookaside_free_inline(c, p[i]);
    }
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 400);
    assert_int_equal(s.total_frees, 400);
    assert_int_equal(s.outstanding, 0);
    check_identity(c, &b);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

/* ---- callbacks -------------------------------------------------------------------------------------- */

static void t_ctor_dtor_run_on_entry_and_exit(void **state) {
    (void)state;
    backing_t b;
    la_test_backing_reset(&b);
    la_lookaside_params_t p = {0};
    p.size = 40;
    p.alloc = la_test_backing_alloc;
    p.free = la_test_backing_free;
    p.backing_arg = &b;
    p.ctor = b_ctor;
    p.dtor = b_dtor;
    p.ctor_arg = &b;
    p.flags = LA_LOOKASIDE_NO_TUNE;
    la_lookaside_t *c;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    void *x[10];
    for (int i = 0; i < 10; ++i) x[i] = la_lookaside_alloc(c);
    assert_int_equal(b.ctors, 10);
    for (int i = 0; i < 10; ++i) la_lookaside_free(c, x[i]);
    for (int i = 0; i < 10; ++i) x[i] = la_lookaside_alloc(c);
    assert_int_equal(b.ctors, 10); /* reused blocks stay constructed */
    assert_int_equal(((unsigned char *)x[0])[0], 0xC5);
    for (int i = 0; i < 10; ++i) la_lookaside_free(c, x[i]);
    assert_int_equal(b.dtors, b.frees);
    size_t cached = la_test_stats(c).cached;
    size_t before = b.dtors;
    la_lookaside_destroy(c);
    assert_int_equal(b.dtors - before, cached);
    assert_int_equal(b.ctors, b.dtors);
    assert_int_equal(b.allocs, b.frees);
    assert_int_equal(b.last_align, 16);
    assert_true(b.last_size >= 48);
}

static void t_ctor_failure_fails_the_allocation(void **state) {
    (void)state;
    backing_t b;
    la_test_backing_reset(&b);
    b.ctor_error = EBUSY;
    la_lookaside_params_t p = {0};
    p.size = 16;
    p.alloc = la_test_backing_alloc;
    p.free = la_test_backing_free;
    p.backing_arg = &b;
    p.ctor = b_ctor;
    p.ctor_arg = &b;
    la_lookaside_t *c;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    errno = 0;
    assert_null(la_lookaside_alloc(c));
    assert_int_equal(errno, EBUSY);
    assert_int_equal(b.live, 0); /* the block went straight back */
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 0);
    assert_int_equal(s.allocate_misses, 0);
    la_lookaside_destroy(c);
}

static void t_backing_failure_is_enomem(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 16, 0, 0, 0);
    b.fail_after = 2;
    void *x = la_lookaside_alloc(c), *y = la_lookaside_alloc(c);
    assert_non_null(x);
    assert_non_null(y);
    errno = 0;
    assert_null(la_lookaside_alloc(c));
    assert_int_equal(errno, ENOMEM);
    la_lookaside_free(c, x);
    assert_ptr_equal(la_lookaside_alloc(c), x); /* a cached block still comes back */
    la_lookaside_free(c, x);
    la_lookaside_free(c, y);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

/* ---- flush, trim, destroy ------------------------------------------------------------------------------ */

static void t_flush_frees_exactly_the_cached_blocks(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 48, 64, 64, LA_LOOKASIDE_NO_TUNE);
    void *x[200];
    for (int i = 0; i < 200; ++i) x[i] = la_lookaside_alloc(c);
    for (int i = 0; i < 150; ++i) la_lookaside_free(c, x[i]);
    la_lookaside_stats_t s = la_test_stats(c);
    size_t frees_before = b.frees;
    assert_true(s.cached > 0);
    size_t n = la_lookaside_flush(c);
    assert_int_equal(n, s.cached);
    assert_int_equal(b.frees - frees_before, s.cached);
    la_lookaside_stats_t t = la_test_stats(c);
    assert_int_equal(t.cached, 0);
    assert_int_equal(t.released, s.cached);
    assert_int_equal(t.total_frees, s.total_frees);     /* counters unchanged */
    assert_int_equal(t.free_misses, s.free_misses);
    assert_int_equal(b.live, 50);
    for (int i = 150; i < 200; ++i) la_lookaside_free(c, x[i]);
    check_identity(c, &b);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

static void t_destroy_frees_cached_and_reports_outstanding(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 48, 0, 0, 0);
    void *x[30];
    for (int i = 0; i < 30; ++i) x[i] = la_lookaside_alloc(c);
    for (int i = 0; i < 27; ++i) la_lookaside_free(c, x[i]);
    la_lookaside_stats_t s = la_test_stats(c);
    size_t frees_before = b.frees;
    la_test_capture_begin();
    size_t outstanding = la_lookaside_destroy(c);
    const char *out = la_test_capture_end();
    assert_int_equal(outstanding, 3);
    assert_int_equal(b.frees - frees_before, s.cached); /* exactly the cached ones */
    assert_int_equal(b.live, 3);
    assert_non_null(strstr(out, "\"test\" destroyed with 3 blocks outstanding"));
    for (int i = 27; i < 30; ++i) free(x[i]); /* the test's backing is aligned_alloc */
}

static void t_trim_keeps_at_most_keep_in_the_depot(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 16, 8, 8, LA_LOOKASIDE_DEPOT_ONLY | LA_LOOKASIDE_NO_TUNE);
    void *x[8];
    for (int i = 0; i < 8; ++i) x[i] = la_lookaside_alloc(c);
    for (int i = 0; i < 8; ++i) la_lookaside_free(c, x[i]);
    assert_int_equal(la_test_stats(c).cached_depot, 8);
    assert_int_equal(la_lookaside_trim(c, 3), 5);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.cached_depot, 3);
    assert_int_equal(s.released, 5);
    assert_int_equal(b.live, 3);
    check_identity(c, &b);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

/* ---- bulk -------------------------------------------------------------------------------------------------- */

static void t_bulk_all_or_nothing(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 64, 0, 0, 0);
    void *x[300];
    assert_int_equal(la_lookaside_alloc_bulk(c, x, 300), 0);
    for (int i = 0; i < 300; ++i) {
        assert_non_null(x[i]);
        memset(x[i], i, 64);
        for (int j = 0; j < i; j += 37) assert_ptr_not_equal(x[i], x[j]);
    }
    la_lookaside_free_bulk(c, x, 300);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 300);
    assert_int_equal(s.total_frees, 300);
    la_lookaside_flush(c);
    b.fail_after = b.allocs + 10;
    assert_int_equal(la_lookaside_alloc_bulk(c, x, 50), ENOMEM);
    assert_int_equal(la_test_stats(c).outstanding, 0); /* nothing stays allocated */
    check_identity(c, &b);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

/* ---- creation rules ------------------------------------------------------------------------------------------ */

static void t_create_rounds_and_refuses(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 1, 0, 0, 0);
    assert_int_equal(la_lookaside_block_size(c), LA_LOOKASIDE_MIN_BLOCK); /* rounded up */
    assert_int_equal(la_lookaside_alignment(c), 16);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.depth, LA_LOOKASIDE_MIN_DEPTH);
    assert_int_equal(s.max_depth, LA_LOOKASIDE_MAX_DEPTH);
    la_lookaside_destroy(c);

    la_lookaside_params_t p = {0};
    la_lookaside_t *out = (la_lookaside_t *)&p; /* must stay untouched on failure */
    p.alloc = la_test_backing_alloc;
    p.free = la_test_backing_free;
    p.backing_arg = &b;
    p.size = 0;
    assert_int_equal(la_lookaside_create(&p, &out), EINVAL);
    p.size = 100;
    p.align = 48;
    assert_int_equal(la_lookaside_create(&p, &out), EINVAL);
    p.align = 8192; /* above a page */
    assert_int_equal(la_lookaside_create(&p, &out), EINVAL);
    p.align = 0;
    p.max_depth = 1025;
    assert_int_equal(la_lookaside_create(&p, &out), EINVAL);
    p.max_depth = 0;
    p.flags = 0x80;
    assert_int_equal(la_lookaside_create(&p, &out), EINVAL);
    p.flags = 0;
    p.free = NULL; /* only one callback */
    assert_int_equal(la_lookaside_create(&p, &out), EINVAL);
    p.free = la_test_backing_free;
    p.ctor = b_ctor;
    p.flags = LA_LOOKASIDE_DEPOT_ONLY;
    assert_int_equal(la_lookaside_create(&p, &out), EINVAL);
    p.ctor = NULL;
    p.flags = 0;
    p.alloc = NULL;
    p.free = NULL;
    p.tag = 0; /* the pool refuses tag 0 */
    assert_int_equal(la_lookaside_create(&p, &out), EINVAL);
    p.tag = LA_TAG('T', 'e', 's', 't');
    p.pool_type = 0x100;
    assert_int_equal(la_lookaside_create(&p, &out), EINVAL);
    assert_ptr_equal(out, (la_lookaside_t *)&p);
    assert_int_equal(la_lookaside_create(NULL, &out), EINVAL);

    /* Alignment up to a page, size rounded to the alignment. */
    p.pool_type = LA_POOL_PAGED;
    p.align = 4096;
    p.size = 5000;
    assert_int_equal(la_lookaside_create(&p, &out), 0);
    assert_int_equal(la_lookaside_block_size(out), 8192);
    void *pg = la_lookaside_alloc(out);
    assert_non_null(pg);
    assert_int_equal((uintptr_t)pg & 4095, 0);
    la_lookaside_free(out, pg);
    la_lookaside_destroy(out);
    p.align = 256;
    p.size = 100;
    assert_int_equal(la_lookaside_create(&p, &out), 0);
    assert_int_equal(la_lookaside_block_size(out), 256);
    void *q[5];
    for (int i = 0; i < 5; ++i) {
        q[i] = la_lookaside_alloc(out);
        assert_int_equal((uintptr_t)q[i] & 255, 0);
    }
    for (int i = 0; i < 5; ++i) la_lookaside_free(out, q[i]);
    la_lookaside_destroy(out);
}

static void t_alloc_sized_refuses_what_does_not_fit(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 64, 0, 0, 0);
    errno = 0;
    assert_null(la_lookaside_alloc_sized(c, 65, 0));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(la_lookaside_alloc_sized(c, 8, 32));
    assert_int_equal(errno, EINVAL);
    void *x = la_lookaside_alloc_sized(c, 64, 16);
    assert_non_null(x);
    la_lookaside_free(c, x);
    la_lookaside_destroy(c);
}

static void t_set_depth_and_reset(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 16, 0, 0, LA_LOOKASIDE_NO_TUNE);
    assert_int_equal(la_lookaside_set_depth(c, 100, 200), 0);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.depth, 100);
    assert_int_equal(s.max_depth, 200);
    assert_int_equal(la_lookaside_set_depth(c, 500, 200), 0);
    assert_int_equal(la_test_stats(c).depth, 200);
    assert_int_equal(la_lookaside_set_depth(c, 1, 0), EINVAL);
    assert_int_equal(la_lookaside_set_depth(c, 1, 2000), EINVAL);
    void *x = la_lookaside_alloc(c);
    la_lookaside_free(c, x);
    void *y = la_lookaside_alloc(c);
    la_lookaside_reset_counters(c);
    s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 0);
    assert_int_equal(s.allocate_misses, 0);
    assert_int_equal(s.outstanding, 1); /* still there */
    la_lookaside_free(c, y);
    s = la_test_stats(c);
    assert_int_equal(s.total_frees, 1);
    assert_int_equal(s.outstanding, 0);
    la_lookaside_destroy(c);
}

/* ---- the views ------------------------------------------------------------------------------------------------ */

static void t_lookaside_view_format(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 496, 0, 0, LA_LOOKASIDE_DEPOT_ONLY | LA_LOOKASIDE_NO_TUNE);
    /* 3 allocations (3 misses), 3 frees (Depth 4: all cached), 1 more (a hit). */
    void *x[3];
    for (int i = 0; i < 3; ++i) x[i] = la_lookaside_alloc(c);
    for (int i = 0; i < 3; ++i) la_lookaside_free(c, x[i]);
    void *h = la_lookaside_alloc(c);
    la_test_capture_begin();
    la_lookaside_print(c);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "Lookaside \"test\" @ "));
    assert_non_null(strstr(out, "Type           =       0000 PagedPool DepotOnly"));
    assert_non_null(strstr(out, "Current Depth  =          2   Max Depth  =          4"));
    assert_non_null(strstr(out, "Size           =        496   Max Alloc  =       1984"));
    assert_non_null(strstr(out, "AllocateMisses =          3   FreeMisses =          0"));
    assert_non_null(strstr(out, "TotalAllocates =          4   TotalFrees =          3"));
    /* (4 - 3) * 100 / 4 = 25; (3 - 0) * 100 / 3 = 100 */
    assert_non_null(strstr(out, "Hit Rate       =        25%   Hit Rate   =       100%"));
    la_lookaside_free(c, h);
    la_lookaside_destroy(c);
}

static void t_hit_rate_truncates_and_zero_total_is_zero(void **state) {
    (void)state;
    la_lookaside_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    s.total_allocates = 272492;
    s.allocate_misses = 8; /* 99.997% -> 99 */
    la_test_capture_begin();
    la_lookaside_stats_print(&s);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "Hit Rate       =        99%   Hit Rate   =         0%"));
}

static void t_type_names(void **state) {
    (void)state;
    char buf[128];
    assert_string_equal(la_lookaside_type_name(LA_LOOKASIDE_KIND_WDK, 0x11, 0, buf, sizeof buf),
                        "PagedPool RaiseIfAllocationFailure");
    assert_string_equal(la_lookaside_type_name(LA_LOOKASIDE_KIND_WDK, 0x200, 0, buf, sizeof buf),
                        "NonPagedPool Nx");
    assert_string_equal(la_lookaside_type_name(LA_LOOKASIDE_KIND_NATIVE, LA_POOL_LOCKED | LA_POOL_CACHE_ALIGNED,
                                               LA_LOOKASIDE_RAISE_ON_FAIL, buf, sizeof buf),
                        "NonPagedPool CacheAligned RaiseIfAllocationFailure");
    assert_string_equal(la_lookaside_type_name(LA_LOOKASIDE_KIND_NATIVE, 0, 0, buf, 5), "Page");
}

typedef struct seen {
    int count;
    int ours;
    const void *want;
} seen_t;

static void visit(const la_lookaside_stats_t *s, void *arg) {
    seen_t *v = arg;
    v->count++;
    if (s->address == v->want) v->ours++;
}

static void t_registry_lists_all_and_json(void **state) {
    (void)state;
    backing_t b1, b2;
    la_lookaside_t *c1 = make(&b1, 16, 0, 0, 0);
    la_lookaside_t *c2 = make(&b2, 32, 0, 0, 0);
    seen_t v = {0, 0, c2};
    size_t n = la_lookaside_foreach(visit, &v);
    assert_true(n >= 2);
    assert_int_equal(v.count, (int)n);
    assert_int_equal(v.ours, 1);
    la_test_capture_begin();
    assert_int_equal(la_lookaside_print_all(), n);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "Size           =         16"));
    assert_non_null(strstr(out, "Size           =         32"));
    la_lookaside_destroy(c2);
    v.count = v.ours = 0;
    assert_int_equal(la_lookaside_foreach(visit, &v), n - 1);
    assert_int_equal(v.ours, 0);

    la_lookaside_stats_t s = la_test_stats(c1);
    char buf[2048];
    size_t need = la_lookaside_stats_json(&s, buf, sizeof buf);
    assert_int_equal(need, strlen(buf));
    assert_non_null(strstr(buf, "\"name\":\"test\""));
    assert_non_null(strstr(buf, "\"size\":16"));
    assert_non_null(strstr(buf, "\"kind\":\"native\""));
    char tiny[8];
    assert_int_equal(la_lookaside_stats_json(&s, tiny, sizeof tiny), need); /* snprintf-style */
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    la_test_capture_begin();
    la_lookaside_json_print_all();
    out = la_test_capture_end();
    assert_true(out[0] == '[');
    assert_non_null(strstr(out, "\"total_allocates\":"));
    la_lookaside_destroy(c1);
}

static void t_versioned_snapshot(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 16, 0, 0, 0);
    void *x = la_lookaside_alloc(c);
    /* An "old" caller knowing only the first fields. */
    la_lookaside_stats_t s;
    memset(&s, 0xAB, sizeof s);
    s.size = (uint32_t)offsetof(la_lookaside_stats_t, name);
    assert_int_equal(la_lookaside_query(c, &s), 0);
    assert_int_equal(s.version, LA_LOOKASIDE_STATS_VERSION);
    assert_ptr_equal(s.address, c);
    assert_int_equal((unsigned char)s.name[0], 0xAB); /* beyond its size: untouched */
    s.size = 4;
    assert_int_equal(la_lookaside_query(c, &s), EINVAL);
    assert_int_equal(la_lookaside_query(c, NULL), EINVAL);
    la_lookaside_free(c, x);
    la_lookaside_destroy(c);
}

/* ---- region backing ------------------------------------------------------------------------------------------ */

static void t_region_backing(void **state) {
    (void)state;
    la_region_spec_t spec = {0};
    spec.size = 64 * 1024;
    spec.node = LA_NODE_ANY;
    la_region_t *r;
    assert_int_equal(la_region_alloc(&spec, &r), 0);
    la_region_info_t info;
    assert_int_equal(la_region_query(r, &info), 0);
    char *base = info.base;

    la_lookaside_params_t p = {0};
    p.name = "carved";
    p.size = 100;
    p.align = 128;
    p.region = r;
    la_lookaside_t *c;
    backing_t unused;
    p.alloc = la_test_backing_alloc; /* a region and callbacks together: refused */
    p.free = la_test_backing_free;
    p.backing_arg = &unused;
    assert_int_equal(la_lookaside_create(&p, &c), EINVAL);
    p.alloc = NULL;
    p.free = NULL;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    size_t stride = (128 + (LA_CONFIG_CHECKED ? 16 : 0) + 127) / 128 * 128;
    size_t fits = info.size / stride;
    static void *x[1024];
    size_t n = 0;
    for (;;) {
        void *b = la_lookaside_alloc(c);
        if (!b) break;
        assert_true((char *)b >= base && (char *)b + 128 <= base + info.size);
        assert_int_equal((uintptr_t)b & 127, 0);
        memset(b, 0x7e, 128);
        x[n++] = b;
    }
    assert_int_equal(errno, ENOMEM); /* the region is used up */
    assert_int_equal(n, fits);
    for (size_t i = 0; i < n; ++i) la_lookaside_free(c, x[i]);
    la_lookaside_flush(c); /* back to the region's free list */
    for (size_t i = 0; i < n; ++i) {
        x[i] = la_lookaside_alloc(c); /* all served again from the same memory */
        assert_non_null(x[i]);
        assert_true((char *)x[i] >= base && (char *)x[i] < base + info.size);
    }
    la_lookaside_stats_t s = la_test_stats(c);
    assert_true(s.flags & LA_LOOKASIDE_REGION_BACKED);
    char type[64];
    assert_non_null(strstr(la_lookaside_type_name(s.kind, s.pool_type, s.flags, type, sizeof type), "Region"));
    la_lookaside_free_bulk(c, x, n);
    assert_int_equal(la_lookaside_destroy(c), 0);
    la_region_free(r);
}

int main(void) {
    la_lookaside_tuner_enable(false); /* passes are driven by the tuner tests */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        cmocka_unit_test(t_first_alloc_misses_then_lifo_hit),
        cmocka_unit_test(t_depot_only_free_past_depth_misses),
        cmocka_unit_test(t_magazine_free_past_depth_misses),
        cmocka_unit_test(t_inline_and_out_of_line_mix),
        cmocka_unit_test(t_ctor_dtor_run_on_entry_and_exit),
        cmocka_unit_test(t_ctor_failure_fails_the_allocation),
        cmocka_unit_test(t_backing_failure_is_enomem),
        cmocka_unit_test(t_flush_frees_exactly_the_cached_blocks),
        cmocka_unit_test(t_destroy_frees_cached_and_reports_outstanding),
        cmocka_unit_test(t_trim_keeps_at_most_keep_in_the_depot),
        cmocka_unit_test(t_bulk_all_or_nothing),
        cmocka_unit_test(t_create_rounds_and_refuses),
        cmocka_unit_test(t_alloc_sized_refuses_what_does_not_fit),
        cmocka_unit_test(t_set_depth_and_reset),
        cmocka_unit_test(t_lookaside_view_format),
        cmocka_unit_test(t_hit_rate_truncates_and_zero_total_is_zero),
        cmocka_unit_test(t_type_names),
        cmocka_unit_test(t_registry_lists_all_and_json),
        cmocka_unit_test(t_versioned_snapshot),
        cmocka_unit_test(t_region_backing),
    };
    return la_test_run("lookaside_api", tests);
}
