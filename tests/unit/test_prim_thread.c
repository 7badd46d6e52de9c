/* Platform layer, threads: the thread-exit hook runs exactly once for every thread
 * that set a value (and never for one that did not, or that cleared it), values are
 * per thread, a slot set from inside another slot's hook still gets its hook run
 * (whichever key is older), a hook may re-arm its own slot, thread ids are unique
 * and non-zero, and la_prim_thread_start/join work with signals blocked in the
 * started thread. Threads here are raw pthreads on purpose: the hooks must work
 * for threads the library did not create. */
#define _GNU_SOURCE
#include "test_prim_support.h"

#include <pthread.h>

#define THREADS 8

/* ---- exactly once per thread that set a value ------------------------------------------ */

static la_prim_tls_key_t census_key;
static _Atomic int census_runs[THREADS];
static _Atomic int census_wrong_value;

static void census_hook(void *value) {
    _Atomic int *slot = value;
    ptrdiff_t i = slot - census_runs;
    if (i < 0 || i >= THREADS) {
        atomic_fetch_add(&census_wrong_value, 1);
        return;
    }
    atomic_fetch_add(slot, 1);
    if (la_prim_tls_get(&census_key) != NULL) atomic_fetch_add(&census_wrong_value, 1);
}

static void *census_thread(void *arg) {
    intptr_t i = (intptr_t)arg;
    if (i % 3 == 0) return NULL; /* never sets */
    if (la_prim_tls_set(&census_key, &census_runs[i]) != 0) atomic_fetch_add(&census_wrong_value, 1);
    if (la_prim_tls_get(&census_key) != &census_runs[i]) atomic_fetch_add(&census_wrong_value, 1);
    if (i % 3 == 2) la_prim_tls_set(&census_key, NULL); /* sets, then disarms */
    return NULL;
}

static void t_exit_hook_runs_once_per_thread_that_set(void **state) {
    (void)state;
    assert_int_equal(la_prim_tls_create(&census_key, census_hook), 0);
    pthread_t th[THREADS];
    for (intptr_t i = 0; i < THREADS; ++i)
        assert_int_equal(pthread_create(&th[i], NULL, census_thread, (void *)i), 0);
    for (int i = 0; i < THREADS; ++i) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < THREADS; ++i)
        if (atomic_load(&census_runs[i]) != (i % 3 == 1 ? 1 : 0))
            fail_msg("thread %d: hook ran %d times", i, atomic_load(&census_runs[i]));
    assert_int_equal(atomic_load(&census_wrong_value), 0);
    /* The main thread's value is its own and never ran a hook. */
    assert_null(la_prim_tls_get(&census_key));
}

/* ---- values are per thread ----------------------------------------------------------------- */

static la_prim_tls_key_t own_key;

static void *own_thread(void *arg) {
    if (la_prim_tls_get(&own_key) != NULL) return (void *)1;
    if (la_prim_tls_set(&own_key, arg) != 0) return (void *)2;
    for (int i = 0; i < 1000; ++i) {
        if (la_prim_tls_get(&own_key) != arg) return (void *)3;
        la_prim_yield();
    }
    return la_prim_tls_set(&own_key, NULL) == 0 ? NULL : (void *)4;
}

static void t_values_are_per_thread(void **state) {
    (void)state;
    assert_int_equal(la_prim_tls_create(&own_key, NULL), 0);
    int a, b, c;
    assert_int_equal(la_prim_tls_set(&own_key, &a), 0);
    pthread_t t1, t2;
    void *r1, *r2;
    assert_int_equal(pthread_create(&t1, NULL, own_thread, &b), 0);
    assert_int_equal(pthread_create(&t2, NULL, own_thread, &c), 0);
    assert_int_equal(pthread_join(t1, &r1), 0);
    assert_int_equal(pthread_join(t2, &r2), 0);
    assert_null(r1);
    assert_null(r2);
    assert_ptr_equal(la_prim_tls_get(&own_key), &a);
}

/* ---- setting a slot from another slot's hook ------------------------------------------------ */

typedef struct chain {
    la_prim_tls_key_t first;   /* its hook sets `second` */
    la_prim_tls_key_t second;
    _Atomic int first_runs, second_runs, second_bad;
    int token;
} chain_t;

static chain_t chain_fwd, chain_rev; /* second key newer / older than the first */

static void chain_second_hook(void *value) {
    chain_t *c = value;
    atomic_fetch_add(&c->second_runs, 1);
    if (value != &chain_fwd && value != &chain_rev) atomic_fetch_add(&c->second_bad, 1);
}

static void chain_first_hook(void *value) {
    chain_t *c = value;
    atomic_fetch_add(&c->first_runs, 1);
    /* A library flush at thread exit touching another per-thread slot. */
    if (la_prim_tls_get(&c->second) != NULL) atomic_fetch_add(&c->second_bad, 1);
    if (la_prim_tls_set(&c->second, c) != 0) atomic_fetch_add(&c->second_bad, 1);
}

static void *chain_thread(void *arg) {
    chain_t *c = arg;
    la_prim_tls_set(&c->first, c);
    return NULL;
}

static void run_chain(chain_t *c) {
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, chain_thread, c), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(atomic_load(&c->first_runs), 1);
    assert_int_equal(atomic_load(&c->second_runs), 1);
    assert_int_equal(atomic_load(&c->second_bad), 0);
}

static void t_set_inside_another_hook_newer_key(void **state) {
    (void)state;
    assert_int_equal(la_prim_tls_create(&chain_fwd.first, chain_first_hook), 0);
    assert_int_equal(la_prim_tls_create(&chain_fwd.second, chain_second_hook), 0);
    run_chain(&chain_fwd);
}

static void t_set_inside_another_hook_older_key(void **state) {
    (void)state;
    /* The second key is created first, so its destructor pass has gone by when the
     * first hook sets it: only a further round runs it. */
    assert_int_equal(la_prim_tls_create(&chain_rev.second, chain_second_hook), 0);
    assert_int_equal(la_prim_tls_create(&chain_rev.first, chain_first_hook), 0);
    run_chain(&chain_rev);
}

/* ---- a hook that re-arms its own slot ------------------------------------------------------- */

static la_prim_tls_key_t rearm_key;
static _Atomic int rearm_runs;

static void rearm_hook(void *value) {
    if (atomic_fetch_add(&rearm_runs, 1) == 0) la_prim_tls_set(&rearm_key, value);
}

static void *rearm_thread(void *arg) {
    la_prim_tls_set(&rearm_key, arg);
    return NULL;
}

static void t_hook_may_rearm_its_own_slot(void **state) {
    (void)state;
    assert_int_equal(la_prim_tls_create(&rearm_key, rearm_hook), 0);
    pthread_t th;
    int token;
    assert_int_equal(pthread_create(&th, NULL, rearm_thread, &token), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(atomic_load(&rearm_runs), 2);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void t_tls_errors(void **state) {
    (void)state;
    la_prim_tls_key_t never = {0, false};
    assert_int_equal(la_prim_tls_set(&never, &never), EINVAL);
    assert_null(la_prim_tls_get(&never));
    assert_int_equal(la_prim_tls_set(NULL, &never), EINVAL);
    assert_null(la_prim_tls_get(NULL));
    assert_int_equal(la_prim_tls_create(NULL, NULL), EINVAL);
    la_prim_tls_key_t k = {0, false};
    assert_int_equal(la_prim_tls_create(&k, NULL), 0);
    unsigned id = k.key;
    assert_int_equal(la_prim_tls_create(&k, NULL), EEXIST);
    assert_int_equal(k.key, id);
    assert_true(k.created);
}

/* ---- thread ids ------------------------------------------------------------------------------ */

static uint64_t ids[THREADS];

static void *id_thread(void *arg) {
    intptr_t i = (intptr_t)arg;
    ids[i] = la_prim_thread_id();
    for (int k = 0; k < 100; ++k)
        if (la_prim_thread_id() != ids[i]) ids[i] = 0;
    return NULL;
}

static void t_thread_ids_unique_nonzero_stable(void **state) {
    (void)state;
    uint64_t mine = la_prim_thread_id();
    assert_int_not_equal(mine, 0);
    pthread_t th[THREADS];
    for (intptr_t i = 0; i < THREADS; ++i)
        assert_int_equal(pthread_create(&th[i], NULL, id_thread, (void *)i), 0);
    for (int i = 0; i < THREADS; ++i) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < THREADS; ++i) {
        assert_int_not_equal(ids[i], 0);
        assert_int_not_equal(ids[i], mine);
        for (int j = 0; j < i; ++j) assert_int_not_equal(ids[i], ids[j]);
    }
    assert_int_equal(la_prim_thread_id(), mine);
}

/* ---- thread start / join ---------------------------------------------------------------------- */

static void *started(void *arg) {
    int *out = arg;
    sigset_t cur;
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    out[0] = sigismember(&cur, SIGINT) && sigismember(&cur, SIGTERM) && sigismember(&cur, SIGUSR1);
    out[1] = 1;
    return NULL;
}

static void t_thread_start_and_join(void **state) {
    (void)state;
    int out[2] = {0, 0};
    la_prim_thread_t t = {0};
    assert_int_equal(la_prim_thread_start(&t, started, out), 0);
    assert_int_not_equal(t.handle, 0);
    assert_int_equal(la_prim_thread_join(&t), 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[0], 1); /* signals blocked in the library thread */
    assert_int_equal(la_prim_thread_join(&t), EINVAL); /* already joined */
    /* The caller's own mask is unchanged. */
    sigset_t cur;
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    assert_false(sigismember(&cur, SIGUSR1));
    assert_int_equal(la_prim_thread_start(NULL, started, out), EINVAL);
    assert_int_equal(la_prim_thread_start(&t, NULL, out), EINVAL);
    assert_int_equal(la_prim_thread_join(NULL), EINVAL);
    la_prim_yield(); /* exists and returns */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_exit_hook_runs_once_per_thread_that_set),
        cmocka_unit_test(t_values_are_per_thread),
        cmocka_unit_test(t_set_inside_another_hook_newer_key),
        cmocka_unit_test(t_set_inside_another_hook_older_key),
        cmocka_unit_test(t_hook_may_rearm_its_own_slot),
        cmocka_unit_test(t_tls_errors),
        cmocka_unit_test(t_thread_ids_unique_nonzero_stable),
        cmocka_unit_test(t_thread_start_and_join),
    };
    return la_test_run("prim_thread", tests);
}
