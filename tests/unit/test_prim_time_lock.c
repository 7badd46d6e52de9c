/* Platform layer, time and locking: the monotonic clock never goes back (in one
 * thread and across threads), sleeping lasts at least what was asked, la_prim_wait
 * returns at once when the word differs, times out when nobody wakes it and is
 * woken by la_prim_wake (one waiter and all), and the futex lock keeps mutual
 * exclusion under contention (a census of plain increments) with try-lock
 * semantics. Lower bounds on elapsed time are properties of the functions, not
 * speed assertions; nothing here sleeps to wait for another thread. */
#define _GNU_SOURCE
#include "test_prim_support.h"

#include <pthread.h>

/* ---- clock ------------------------------------------------------------------------------- */

static void t_clock_never_goes_back(void **state) {
    (void)state;
    uint64_t prev = la_prim_now_ns();
    for (int i = 0; i < 200000; ++i) {
        uint64_t now = la_prim_now_ns();
        if (now < prev) fail_msg("clock went back: %llu after %llu", (unsigned long long)now,
                                 (unsigned long long)prev);
        prev = now;
    }
}

static _Atomic uint64_t shared_stamp;
static _Atomic int clock_violations;

static void *clock_thread(void *arg) {
    (void)arg;
    for (int i = 0; i < 50000; ++i) {
        /* Publish our reading; any reading taken after seeing another's is not smaller. */
        uint64_t seen = atomic_load(&shared_stamp);
        uint64_t now = la_prim_now_ns();
        if (now < seen) atomic_fetch_add(&clock_violations, 1);
        uint64_t cur = seen;
        while (now > cur && !atomic_compare_exchange_weak(&shared_stamp, &cur, now)) {}
    }
    return NULL;
}

static void t_clock_is_monotonic_across_threads(void **state) {
    (void)state;
    pthread_t a, b;
    assert_int_equal(pthread_create(&a, NULL, clock_thread, NULL), 0);
    assert_int_equal(pthread_create(&b, NULL, clock_thread, NULL), 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_int_equal(atomic_load(&clock_violations), 0);
}

static void t_sleep_lasts_at_least_the_request(void **state) {
    (void)state;
    const uint64_t asks[] = {0, 1000, 2000000};
    for (size_t i = 0; i < LA_ARRAY_SIZE(asks); ++i) {
        uint64_t t0 = la_prim_now_ns();
        la_prim_sleep_ns(asks[i]);
        uint64_t t1 = la_prim_now_ns();
        assert_true(t1 - t0 >= asks[i]);
    }
}

/* ---- wait / wake -------------------------------------------------------------------------------- */

static void t_wait_returns_when_value_differs(void **state) {
    (void)state;
    _Atomic uint32_t word = 5;
    assert_int_equal(la_prim_wait(&word, 4, UINT64_MAX), 0); /* would hang if it slept */
    assert_int_equal(la_prim_wait(&word, 4, 0), 0);
}

static void t_wait_times_out(void **state) {
    (void)state;
    _Atomic uint32_t word = 5;
    assert_int_equal(la_prim_wait(&word, 5, 0), ETIMEDOUT);
    uint64_t t0 = la_prim_now_ns();
    int e;
    /* Spurious returns are allowed; the call must eventually time out and not early. */
    while ((e = la_prim_wait(&word, 5, 1000000)) == 0) {}
    assert_int_equal(e, ETIMEDOUT);
    assert_true(la_prim_now_ns() - t0 >= 1000000);
    la_prim_wake(&word, 1); /* nobody waiting: harmless */
}

typedef struct waiter {
    _Atomic uint32_t *word;
    _Atomic int *ready;
    int timeouts;
    uint32_t seen;
} waiter_t;

static void *waiter_thread(void *arg) {
    waiter_t *w = arg;
    atomic_fetch_add(w->ready, 1);
    /* A long timeout, counted: a wake that never comes shows up as a timeout. */
    while (atomic_load_explicit(w->word, memory_order_acquire) == 0)
        if (la_prim_wait(w->word, 0, 60ull * 1000000000u) == ETIMEDOUT) w->timeouts++;
    w->seen = atomic_load(w->word);
    return NULL;
}

static void wake_test(int nwaiters, uint32_t count) {
    _Atomic uint32_t word = 0;
    _Atomic int ready = 0;
    waiter_t w[4];
    pthread_t th[4];
    for (int i = 0; i < nwaiters; ++i) {
        w[i] = (waiter_t){&word, &ready, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, waiter_thread, &w[i]), 0);
    }
    while (atomic_load(&ready) < nwaiters) la_prim_yield();
    atomic_store_explicit(&word, 7, memory_order_release);
    la_prim_wake(&word, count);
    for (int i = 0; i < nwaiters; ++i) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].timeouts, 0);
        assert_int_equal(w[i].seen, 7);
    }
}

static void t_wake_one_waiter(void **state) {
    (void)state;
    wake_test(1, 1);
}

static void t_wake_all_waiters(void **state) {
    (void)state;
    wake_test(4, UINT32_MAX);
}

/* ---- lock ------------------------------------------------------------------------------------- */

static la_prim_lock_t census_lock = LA_PRIM_LOCK_INIT; /* zero-filled: no init call */
static uint64_t census_counter;                          /* plain: only the lock protects it */
static uint64_t census_iterations;
static _Atomic int census_inside;
static _Atomic int census_overlap;

static void *census_thread(void *arg) {
    bool use_try = arg != NULL;
    for (uint64_t i = 0; i < census_iterations; ++i) {
        if (use_try && (i & 1)) {
            while (!la_prim_lock_try(&census_lock)) la_prim_yield();
        } else {
            la_prim_lock_acquire(&census_lock);
        }
        if (atomic_fetch_add_explicit(&census_inside, 1, memory_order_relaxed) != 0)
            atomic_fetch_add(&census_overlap, 1);
        uint64_t v = census_counter;
        if ((i & 255) == 0) la_prim_yield(); /* let the other thread pile up on the lock */
        census_counter = v + 1;
        atomic_fetch_sub_explicit(&census_inside, 1, memory_order_relaxed);
        la_prim_lock_release(&census_lock);
    }
    return NULL;
}

static void run_census(int threads) {
    census_counter = 0;
    census_iterations = la_test_under_sanitizer() ? 20000 : 200000;
    pthread_t th[4];
    for (int i = 0; i < threads; ++i)
        assert_int_equal(pthread_create(&th[i], NULL, census_thread, (i & 1) ? (void *)1 : NULL), 0);
    for (int i = 0; i < threads; ++i) pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&census_overlap), 0);
    assert_int_equal(census_counter, census_iterations * (uint64_t)threads);
    assert_int_equal(atomic_load(&census_lock.state), 0); /* released, no stale waiter mark */
}

static void t_lock_mutual_exclusion_two_threads(void **state) {
    (void)state;
    run_census(2);
}

static void t_lock_mutual_exclusion_four_threads(void **state) {
    (void)state;
    run_census(4); /* more threads than cores: the sleeping path is taken */
}

static void t_lock_try(void **state) {
    (void)state;
    la_prim_lock_t l = LA_PRIM_LOCK_INIT;
    assert_true(la_prim_lock_try(&l));
    assert_false(la_prim_lock_try(&l));
    la_prim_lock_release(&l);
    assert_true(la_prim_lock_try(&l));
    la_prim_lock_release(&l);
    la_prim_lock_acquire(&l);
    assert_false(la_prim_lock_try(&l));
    la_prim_lock_release(&l);
    assert_int_equal(atomic_load(&l.state), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_clock_never_goes_back),
        cmocka_unit_test(t_clock_is_monotonic_across_threads),
        cmocka_unit_test(t_sleep_lasts_at_least_the_request),
        cmocka_unit_test(t_wait_returns_when_value_differs),
        cmocka_unit_test(t_wait_times_out),
        cmocka_unit_test(t_wake_one_waiter),
        cmocka_unit_test(t_wake_all_waiters),
        cmocka_unit_test(t_lock_mutual_exclusion_two_threads),
        cmocka_unit_test(t_lock_mutual_exclusion_four_threads),
        cmocka_unit_test(t_lock_try),
    };
    la_test_seed(); /* printed for the record; these tests draw no random numbers */
    return la_test_run("prim_time_lock", tests);
}
