/* The depth tuner, driven synchronously with a fake clock (no sleeping): growth
 * from allocation misses in proportion to the miss ratio, no change for negligible
 * misses, idle shrink toward the minimum with the surplus given back, rates per
 * second of clock time, NO_TUNE, the shrink request to threads, WDK-style depots
 * (Windows per-block semantics and the tuner on them), and the background thread
 * switch. */
#include "test_support.h"
#include "lookaside_fixture.h"

#include "lookaside_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fake_now;
static uint64_t fake_clock(void *arg) {
    (void)arg;
    return fake_now;
}
#define SECOND 1000000000ull

typedef la_test_backing_t backing_t;

static la_lookaside_t *make(backing_t *b, unsigned max_depth, unsigned depth, unsigned flags) {
    return la_test_cache_on(b, "tuned", 32, max_depth, depth, flags);
}

/* One second of clock, then one pass. The first pass after a setup settles the
 * Last* snapshots. */
static size_t tick(void) {
    fake_now += SECOND;
    return la_lookaside_tune_now();
}

static int setup(void **state) {
    (void)state;
    fake_now = 1000 * SECOND;
    lai_tuner_clock_set(fake_clock, NULL);
    return 0;
}

/* n allocations of which every one misses (blocks kept), then freed at the end. */
static void miss_n(la_lookaside_t *c, void **keep, size_t n) {
    for (size_t i = 0; i < n; ++i) keep[i] = la_lookaside_alloc(c);
}

static void t_all_misses_grow_to_maximum(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 256, 4, LA_LOOKASIDE_DEPOT_ONLY);
    tick();
    static void *x[1000];
    miss_n(c, x, 1000);
    assert_int_equal(la_test_stats(c).allocate_misses, 1000);
    assert_true(tick() >= 1);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.depth, 256);
    assert_int_equal(s.tuner_grows, 1);
    for (int i = 0; i < 1000; ++i) la_lookaside_free(c, x[i]);
    assert_int_equal(la_test_stats(c).cached_depot, 256); /* the larger Depth keeps more */
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

static void t_growth_is_proportional_to_the_miss_ratio(void **state) {
    (void)state;
    backing_t b;
    /* 1000 allocations, 50 misses (5%): gain 4 * 5% = 20% of the gap 204 -> +40. */
    la_lookaside_t *c = make(&b, 204, 4, LA_LOOKASIDE_DEPOT_ONLY);
    static void *x[50];
    miss_n(c, x, 50);
    for (int i = 0; i < 4; ++i) la_lookaside_free(c, x[i]); /* 4 cached */
    tick();                                              /* settle Last* */
    la_lookaside_set_depth(c, 4, 204);
    void *h[4];
    for (int r = 0; r < 237; ++r) { /* 948 hits */
        for (int i = 0; i < 4; ++i) h[i] = la_lookaside_alloc(c);
        for (int i = 0; i < 4; ++i) la_lookaside_free(c, h[i]);
    }
    for (int i = 0; i < 4; ++i) h[i] = la_lookaside_alloc(c); /* 4 more hits: 952 */
    static void *y[48];
    miss_n(c, y, 48); /* 48 misses: 1000 allocations, 48 misses */
    la_lookaside_stats_t before = la_test_stats(c);
    assert_int_equal(before.depth, 4);
    tick();
    /* gain = 48 * 1000 * 4 / 1000 = 192 per mille; step = 200 * 192 / 1000 = 38 */
    assert_int_equal(la_test_stats(c).depth, 4 + 38);
    for (int i = 0; i < 4; ++i) la_lookaside_free(c, h[i]);
    for (int i = 0; i < 48; ++i) la_lookaside_free(c, y[i]);
    for (int i = 4; i < 50; ++i) la_lookaside_free(c, x[i]);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

static void t_negligible_misses_change_nothing(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 256, 10, LA_LOOKASIDE_DEPOT_ONLY);
    void *x = la_lookaside_alloc(c); /* 1 miss */
    la_lookaside_free(c, x);
    tick(); /* a quiet second: shrinks; put Depth back */
    la_lookaside_set_depth(c, 10, 256);
    for (int i = 0; i < 999; ++i) la_lookaside_free(c, la_lookaside_alloc(c)); /* hits */
    x = la_lookaside_alloc(c);
    void *y = la_lookaside_alloc(c); /* 1 miss in 1001 (< 0.5%) */
    assert_int_equal(tick(), 0);
    assert_int_equal(la_test_stats(c).depth, 10);
    la_lookaside_free(c, x);
    la_lookaside_free(c, y);
    la_lookaside_destroy(c);
}

static void t_idle_shrinks_and_gives_surplus_back(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 256, 100, LA_LOOKASIDE_DEPOT_ONLY);
    static void *x[100];
    miss_n(c, x, 100);
    for (int i = 0; i < 100; ++i) la_lookaside_free(c, x[i]);
    tick(); /* busy second: 100 allocations, all misses -> grows */
    la_lookaside_set_depth(c, 100, 256);
    assert_int_equal(la_test_stats(c).cached_depot, 100);
    assert_int_equal(b.live, 100);
    /* Idle seconds: Depth halves its distance to 4: 100 -> 52 -> 28 -> 16 -> 10 -> 7 -> 5 -> 4. */
    static const unsigned expect[] = {52, 28, 16, 10, 7, 5, 4, 4};
    for (size_t i = 0; i < LA_ARRAY_SIZE(expect); ++i) {
        tick();
        la_lookaside_stats_t s = la_test_stats(c);
        assert_int_equal(s.depth, expect[i]);
        assert_int_equal(s.cached_depot, expect[i]); /* the surplus went back */
        assert_int_equal(b.live, expect[i]);
    }
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.tuner_shrinks, 7);
    assert_int_equal(s.tuner_trimmed, 96);
    assert_int_equal(s.released, 96);
    assert_int_equal(s.total_frees, 100); /* not free misses */
    assert_int_equal(s.free_misses, 0);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

static void t_rate_is_per_second_of_clock(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 256, 64, LA_LOOKASIDE_DEPOT_ONLY);
    void *x = la_lookaside_alloc(c);
    la_lookaside_free(c, x);
    tick(); /* a quiet second: shrinks; put Depth back */
    la_lookaside_set_depth(c, 64, 256);
    /* 150 allocations (all hits) in one second: busy, no misses -> unchanged. */
    for (int i = 0; i < 150; ++i) la_lookaside_free(c, la_lookaside_alloc(c));
    assert_int_equal(tick(), 0);
    assert_int_equal(la_test_stats(c).depth, 64);
    /* The same 150 over two seconds: 75/s < 100/s -> idle. */
    for (int i = 0; i < 150; ++i) la_lookaside_free(c, la_lookaside_alloc(c));
    fake_now += SECOND;
    tick();
    assert_int_equal(la_test_stats(c).depth, 4 + (64 - 4) / 2);
    la_lookaside_destroy(c);
}

static void t_no_tune_is_left_alone(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 256, 50, LA_LOOKASIDE_NO_TUNE);
    tick();
    tick();
    assert_int_equal(la_test_stats(c).depth, 50);
    assert_int_equal(la_test_stats(c).tuner_shrinks, 0);
    la_lookaside_destroy(c);
}

/* Magazine caches: an idle pass asks threads to shrink; the depot surplus after a
 * thread exit (hand-back ignores Depth) is trimmed by the next pass. */
static void *grow_and_exit(void *arg) {
    la_lookaside_t *c = arg;
    static void *x[1000];
    for (int r = 0; r < 4; ++r) {
        for (int i = 0; i < 1000; ++i) x[i] = la_lookaside_alloc(c);
        for (int i = 0; i < 1000; ++i) la_lookaside_free(c, x[i]);
    }
    return NULL;
}

static void t_magazine_cache_surplus_and_shrink(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 1024, 4, 0);
    tick();
    pthread_t t;
    pthread_create(&t, NULL, grow_and_exit, c);
    pthread_join(t, NULL);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.cached_depot, s.cached); /* all handed back */
    assert_true(s.cached >= 1000);
    size_t busy_misses = s.allocate_misses;
    (void)busy_misses;
    tick(); /* a busy second with many misses: grows, and trims the depot to Depth */
    s = la_test_stats(c);
    assert_true(s.cached_depot <= s.depth);
    assert_int_equal(b.live, s.cached);
    /* Now idle: Depth walks down to 4 and the depot follows. */
    for (int i = 0; i < 12; ++i) tick();
    s = la_test_stats(c);
    assert_int_equal(s.depth, 4);
    assert_true(s.cached_depot <= 4);
    assert_int_equal(b.live, s.cached);
    assert_true(s.tuner_trimmed > 0);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

static void t_idle_pass_shrinks_thread_magazines(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 1024, 1024, 0);
    static void *x[1000];
    for (int r = 0; r < 4; ++r) {
        for (int i = 0; i < 1000; ++i) x[i] = la_lookaside_alloc(c);
        for (int i = 0; i < 1000; ++i) la_lookaside_free(c, x[i]);
    }
    tick();
    assert_true(la_test_stats(c).magazine_max >= 512);
    fake_now += 100 * SECOND; /* a long idle stretch */
    tick();
    assert_true(la_test_stats(c).depth < 1024);
    void *y = lai_alloc_slow(c); /* the thread's next slow-path visit */
    if (LA_CONFIG_CHECKED) lai_trailer_set(c, y, LAI_BLOCK_LIVE); /* as la_lookaside_alloc does */
    assert_int_equal(la_test_stats(c).magazine_max, LAI_MAG_INITIAL);
    la_lookaside_free(c, y);
    la_lookaside_destroy(c);
    assert_int_equal(b.live, 0);
}

/* ---- WDK-style depots ------------------------------------------------------------------------------ */

static size_t wdk_allocs, wdk_frees, wdk_ex_seen;
static lai_depot_t *wdk_expect;

static void *wdk_alloc(int32_t type, size_t size, uint32_t tag) {
    assert_int_equal(type, 1);
    assert_int_equal(tag, LA_TAG('W', 'd', 'k', ' '));
    wdk_allocs++;
    return aligned_alloc(16, (size + 15) & ~(size_t)15);
}
static void wdk_free(void *b) {
    wdk_frees++;
    free(b);
}
static void *wdk_alloc_ex(int32_t type, size_t size, uint32_t tag, lai_depot_t *d) {
    if (d == wdk_expect) wdk_ex_seen++;
    return wdk_alloc(type, size, tag);
}
static void wdk_free_ex(void *b, lai_depot_t *d) {
    if (d == wdk_expect) wdk_ex_seen++;
    wdk_free(b);
}

static void t_wdk_depot_windows_semantics(void **state) {
    (void)state;
    static lai_depot_t d;
    lai_depot_init(&d, LAI_DEPOT_KIND_PLAIN, 1, LA_TAG('W', 'd', 'k', ' '), 48);
    d.dp_alloc.plain = wdk_alloc;
    d.dp_free.plain = wdk_free;
    assert_int_equal(d.dp_depth, 4);
    assert_int_equal(d.dp_max_depth, 256);
    wdk_allocs = wdk_frees = 0;
    static void *x[200];
    for (int i = 0; i < 200; ++i) x[i] = lai_depot_alloc(&d);
    assert_int_equal(d.dp_total_allocs, 200);
    assert_int_equal(d.dp_alloc_misses, 200);
    for (int i = 0; i < 200; ++i) lai_depot_free(&d, x[i]);
    assert_int_equal(d.dp_total_frees, 200);
    assert_int_equal(d.dp_free_misses, 196); /* the free that finds depth >= Depth misses */
    assert_int_equal(la_sslist_depth(&d.dp_list), 4);
    assert_ptr_equal(lai_depot_alloc(&d), x[3]); /* LIFO */
    assert_int_equal(d.dp_alloc_misses, 200);
    lai_depot_free(&d, x[3]);

    /* Registered: the views and the tuner see it. */
    lai_depot_register(&d);
    la_test_capture_begin();
    la_lookaside_print_all();
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "\"Wdk \""));
    assert_non_null(strstr(out, "0001 PagedPool"));
    assert_non_null(strstr(out, "Current Depth  =          4   Max Depth  =          4"));
    assert_non_null(strstr(out, "Size           =         48   Max Alloc  =        192"));
    assert_non_null(strstr(out, "Hit Rate       =         0%   Hit Rate   =         2%"));
    tick();
    /* 201 allocations with 200 misses since Last* (0): grows to 256. */
    assert_int_equal(d.dp_depth, 256);
    assert_int_equal(d.dp_last_total_allocs, 201);
    assert_int_equal(d.dp_last_alloc_misses, 200);
    tick(); /* idle */
    assert_int_equal(d.dp_depth, 4 + (256 - 4) / 2);
    assert_int_equal(lai_depot_flush(&d), 4);
    assert_int_equal(wdk_frees, 200);
    lai_depot_delete(&d);
    la_test_capture_begin();
    la_lookaside_print_all();
    out = la_test_capture_end();
    assert_null(strstr(out, "\"Wdk \""));
}

static void t_wdk_ex_callbacks_get_the_list_and_trim(void **state) {
    (void)state;
    static lai_depot_t d;
    lai_depot_init(&d, LAI_DEPOT_KIND_EX, 1, LA_TAG('W', 'd', 'k', ' '), 32);
    d.dp_alloc.ex = wdk_alloc_ex;
    d.dp_free.ex = wdk_free_ex;
    wdk_expect = &d;
    wdk_ex_seen = wdk_allocs = wdk_frees = 0;
    lai_depot_register(&d);
    d.dp_depth = 20;
    void *x[20];
    for (int i = 0; i < 20; ++i) x[i] = lai_depot_alloc(&d);
    for (int i = 0; i < 20; ++i) lai_depot_free(&d, x[i]);
    assert_int_equal(la_sslist_depth(&d.dp_list), 20);
    tick(); /* 20 allocations in a second is idle: 20 -> 12, 8 blocks back through FreeEx */
    assert_int_equal(d.dp_depth, 12);
    assert_int_equal(la_sslist_depth(&d.dp_list), 12);
    assert_int_equal(wdk_frees, 8);
    assert_int_equal(wdk_ex_seen, 20 + 8);
    lai_depot_delete(&d);
    assert_int_equal(wdk_frees, 20);
}

static void t_background_switch(void **state) {
    (void)state;
    assert_int_equal(la_lookaside_tuner_enable(true), 0);
    assert_true(la_lookaside_tuner_enabled());
    assert_int_equal(la_lookaside_tuner_enable(false), 0); /* joins at once */
    assert_false(la_lookaside_tuner_enabled());
}

int main(void) {
    la_lookaside_tuner_enable(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(t_all_misses_grow_to_maximum, setup),
        cmocka_unit_test_setup(t_growth_is_proportional_to_the_miss_ratio, setup),
        cmocka_unit_test_setup(t_negligible_misses_change_nothing, setup),
        cmocka_unit_test_setup(t_idle_shrinks_and_gives_surplus_back, setup),
        cmocka_unit_test_setup(t_rate_is_per_second_of_clock, setup),
        cmocka_unit_test_setup(t_no_tune_is_left_alone, setup),
        cmocka_unit_test_setup(t_magazine_cache_surplus_and_shrink, setup),
        cmocka_unit_test_setup(t_idle_pass_shrinks_thread_magazines, setup),
        cmocka_unit_test_setup(t_wdk_depot_windows_semantics, setup),
        cmocka_unit_test_setup(t_wdk_ex_callbacks_get_the_list_and_trim, setup),
        cmocka_unit_test(t_background_switch),
    };
    return la_test_run("lookaside_tuner", tests);
}
