/* Lookaside caches across threads: producer/consumer with exact counters, thread
 * exit handing magazines back, destroy reclaiming a live thread's magazines,
 * magazine growth (a thread cycling 1000 objects stops touching the depot), the
 * shrink request, and the thread-flush call. Internals are read to see tiers. */
#include "test_support.h"
#include "lookaside_fixture.h"

#include "lookaside_internal.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

typedef la_test_backing_t backing_t;

static la_lookaside_t *make(backing_t *b, size_t size, unsigned max_depth, unsigned depth) {
    return la_test_cache_on(b, "threads", size, max_depth, depth, LA_LOOKASIDE_NO_TUNE);
}

/* ---- producer / consumer --------------------------------------------------------------------- */

#define RING 256
typedef struct ring {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void *slot[RING];
    size_t head, tail; /* head: next to read, tail: next to write */
    bool done;
} ring_t;

typedef struct pc {
    la_lookaside_t *c;
    ring_t ring;
    size_t n;
    size_t bad;
} pc_t;

static void *producer(void *arg) {
    pc_t *pc = arg;
    for (size_t i = 0; i < pc->n; ++i) {
        uint64_t *blk = la_lookaside_alloc(pc->c);
        assert_non_null(blk);
        blk[0] = i;
        pthread_mutex_lock(&pc->ring.mu);
        while (pc->ring.tail - pc->ring.head == RING) pthread_cond_wait(&pc->ring.cv, &pc->ring.mu);
        pc->ring.slot[pc->ring.tail++ % RING] = blk;
        pthread_cond_broadcast(&pc->ring.cv);
        pthread_mutex_unlock(&pc->ring.mu);
    }
    pthread_mutex_lock(&pc->ring.mu);
    pc->ring.done = true;
    pthread_cond_broadcast(&pc->ring.cv);
    pthread_mutex_unlock(&pc->ring.mu);
    return NULL;
}

static void *consumer(void *arg) {
    pc_t *pc = arg;
    for (size_t i = 0;; ++i) {
        pthread_mutex_lock(&pc->ring.mu);
        while (pc->ring.head == pc->ring.tail && !pc->ring.done) pthread_cond_wait(&pc->ring.cv, &pc->ring.mu);
        if (pc->ring.head == pc->ring.tail) {
            pthread_mutex_unlock(&pc->ring.mu);
            break;
        }
        uint64_t *blk = pc->ring.slot[pc->ring.head++ % RING];
        pthread_cond_broadcast(&pc->ring.cv);
        pthread_mutex_unlock(&pc->ring.mu);
        if (blk[0] != i) pc->bad++;
        la_lookaside_free(pc->c, blk);
    }
    return NULL;
}

static void t_producer_consumer_exact_counters(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 64, 1024, 1024);
    pc_t pc;
    memset(&pc, 0, sizeof pc);
    pthread_mutex_init(&pc.ring.mu, NULL);
    pthread_cond_init(&pc.ring.cv, NULL);
    pc.c = c;
    pc.n = la_test_under_sanitizer() ? 20000 : 200000;
    pthread_t tp, tcn;
    pthread_create(&tp, NULL, producer, &pc);
    pthread_create(&tcn, NULL, consumer, &pc);
    pthread_join(tp, NULL);
    pthread_join(tcn, NULL);
    assert_int_equal(pc.bad, 0);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_allocates, pc.n); /* counted on the producer */
    assert_int_equal(s.total_frees, pc.n);     /* counted on the consumer */
    assert_int_equal(s.outstanding, 0);
    assert_int_equal(s.threads, 0);            /* both exited */
    assert_int_equal(s.cached_magazines, 0);   /* their magazines went to the depot */
    assert_int_equal(s.cached, s.cached_depot);
    assert_int_equal(atomic_load(&b.live), s.cached);
    assert_int_equal(s.allocate_misses, atomic_load(&b.allocs));
    /* The depot carried blocks from the consumer back to the producer. */
    assert_true(s.allocate_misses < pc.n / 2);
    size_t cached = s.cached;
    size_t frees = atomic_load(&b.frees);
    assert_int_equal(la_lookaside_destroy(c), 0);
    assert_int_equal(atomic_load(&b.frees) - frees, cached);
    assert_int_equal(atomic_load(&b.live), 0);
    pthread_mutex_destroy(&pc.ring.mu);
    pthread_cond_destroy(&pc.ring.cv);
}

/* ---- thread exit, destroy with a live thread ----------------------------------------------------- */

typedef struct parked {
    la_lookaside_t *c;
    la_lookaside_t *other;
    sem_t go, done;
    int keep;       /* blocks to leave in the magazines */
    int step;
} parked_t;

static void *parked_thread(void *arg) {
    parked_t *pk = arg;
    void *x[64];
    for (int i = 0; i < pk->keep; ++i) x[i] = la_lookaside_alloc(pk->c);
    for (int i = 0; i < pk->keep; ++i) la_lookaside_free(pk->c, x[i]);
    sem_post(&pk->done); /* parked: blocks sit in this thread's magazines */
    sem_wait(&pk->go);
    if (pk->other) {
        /* After the first cache was destroyed under it: another cache still works,
         * and so would a new cache that reused the first one's slot. */
        for (int i = 0; i < 10; ++i) x[i] = la_lookaside_alloc(pk->other);
        for (int i = 0; i < 10; ++i) la_lookaside_free(pk->other, x[i]);
    }
    return NULL;
}

static void t_thread_exit_hands_magazines_back(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 32, 64, 4);
    parked_t pk;
    memset(&pk, 0, sizeof pk);
    pk.c = c;
    pk.keep = 20;
    sem_init(&pk.go, 0, 0);
    sem_init(&pk.done, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, parked_thread, &pk);
    sem_wait(&pk.done);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.threads, 1);
    assert_int_equal(s.cached_magazines, 20);
    assert_int_equal(s.cached_depot, 0);
    sem_post(&pk.go);
    pthread_join(t, NULL);
    s = la_test_stats(c);
    assert_int_equal(s.threads, 0);
    assert_int_equal(s.cached_magazines, 0);
    assert_int_equal(s.cached_depot, 20); /* handed back, even above Depth 4 */
    assert_int_equal(s.total_allocates, 20);
    assert_int_equal(s.total_frees, 20);
    /* This thread now takes them from the depot: no new misses. */
    void *x[20];
    for (int i = 0; i < 20; ++i) x[i] = la_lookaside_alloc(c);
    assert_int_equal(la_test_stats(c).allocate_misses, 20);
    assert_int_equal(atomic_load(&b.allocs), 20);
    for (int i = 0; i < 20; ++i) la_lookaside_free(c, x[i]);
    la_lookaside_destroy(c);
    assert_int_equal(atomic_load(&b.live), 0);
    sem_destroy(&pk.go);
    sem_destroy(&pk.done);
}

static void t_destroy_takes_a_live_threads_magazines(void **state) {
    (void)state;
    backing_t b, b2;
    la_lookaside_t *c = make(&b, 32, 64, 4);
    la_lookaside_t *other = make(&b2, 48, 64, 4);
    parked_t pk;
    memset(&pk, 0, sizeof pk);
    pk.c = c;
    pk.other = other;
    pk.keep = 30;
    sem_init(&pk.go, 0, 0);
    sem_init(&pk.done, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, parked_thread, &pk);
    sem_wait(&pk.done); /* the thread's last use of c happens-before this */
    assert_int_equal(la_test_stats(c).cached_magazines, 30);
    assert_int_equal(la_lookaside_destroy(c), 0);
    assert_int_equal(atomic_load(&b.live), 0); /* all 30 came back from the live thread */
    assert_int_equal(atomic_load(&b.frees), 30);
    /* A new cache may now reuse the destroyed one's slot; the thread's slot was reset. */
    backing_t b3;
    la_lookaside_t *reuse = make(&b3, 16, 64, 4);
    sem_post(&pk.go);
    pthread_join(t, NULL);
    la_lookaside_stats_t s = la_test_stats(other);
    assert_int_equal(s.total_allocates, 10);
    assert_int_equal(s.total_frees, 10);
    assert_int_equal(la_test_stats(reuse).total_allocates, 0);
    la_lookaside_destroy(reuse);
    la_lookaside_destroy(other);
    assert_int_equal(atomic_load(&b2.live), 0);
    sem_destroy(&pk.go);
    sem_destroy(&pk.done);
}

/* ---- magazine growth and shrink ----------------------------------------------------------------------- */

static uint64_t my_exchanges(la_lookaside_t *c) {
    lai_tcache_t *tc = lai_tcache_find(c);
    return tc ? tc->tc_exchanges : 0;
}

static void cycle(la_lookaside_t *c, void **x, int n) {
    for (int i = 0; i < n; ++i) x[i] = la_lookaside_alloc(c);
    for (int i = 0; i < n; ++i) la_lookaside_free(c, x[i]);
}

static void t_cycling_1000_grows_magazines_then_stays_local(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 64, 1024, 4);
    static void *x[1000];
    for (int r = 0; r < 8; ++r) cycle(c, x, 1000);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_true(s.magazine_max >= 512); /* two magazines of 512 hold 1000 */
    uint64_t ex = my_exchanges(c), misses = s.allocate_misses;
    for (int r = 0; r < 20; ++r) cycle(c, x, 1000);
    s = la_test_stats(c);
    assert_int_equal(my_exchanges(c), ex);     /* no depot traffic any more */
    assert_int_equal(s.allocate_misses, misses); /* nor backing traffic */
    assert_int_equal(s.cached_magazines, 1000);
    la_lookaside_destroy(c);
    assert_int_equal(atomic_load(&b.live), 0);
}

static void t_small_working_set_does_not_grow(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 64, 1024, 4);
    void *x[20];
    for (int r = 0; r < 1000; ++r) cycle(c, x, 20); /* fits in 2 x 16 */
    assert_int_equal(la_test_stats(c).magazine_max, LAI_MAG_INITIAL);
    la_lookaside_destroy(c);
}

static void t_trim_asks_threads_to_shrink(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 64, 1024, 1024);
    static void *x[1000];
    for (int r = 0; r < 8; ++r) cycle(c, x, 1000);
    assert_true(la_test_stats(c).magazine_max >= 512);
    la_lookaside_trim(c, 0);
    /* The thread's next slow-path visit sees the new epoch: capacity back to the
     * start, previous magazine handed to the depot. (Called directly: the loaded
     * magazine still has rounds, so a plain allocation would stay on the fast path.) */
    lai_tcache_t *tc = lai_tcache_find(c);
    assert_non_null(tc);
    void *y = lai_alloc_slow(c);
    assert_non_null(y);
    if (LA_CONFIG_CHECKED) lai_trailer_set(c, y, LAI_BLOCK_LIVE); /* as la_lookaside_alloc does */
    assert_int_equal(tc->tc_cap, LAI_MAG_INITIAL);
    assert_null(tc->tc_prev);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.magazine_max, LAI_MAG_INITIAL);
    assert_int_equal(s.cached + s.outstanding, atomic_load(&b.live));
    la_lookaside_free(c, y);
    la_lookaside_destroy(c);
    assert_int_equal(atomic_load(&b.live), 0);
}

static void *flush_then_exit(void *arg) {
    la_lookaside_t *c = arg;
    void *x[40];
    cycle(c, x, 40);
    la_lookaside_thread_flush();
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.cached_magazines, 0);
    assert_int_equal(s.cached_depot, 40);
    cycle(c, x, 40); /* still usable afterwards */
    return NULL;
}

static void t_thread_flush(void **state) {
    (void)state;
    backing_t b;
    la_lookaside_t *c = make(&b, 64, 64, 64);
    pthread_t t;
    pthread_create(&t, NULL, flush_then_exit, c);
    pthread_join(t, NULL);
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 80);
    assert_int_equal(s.allocate_misses, 40);
    assert_int_equal(s.cached, 40);
    la_lookaside_destroy(c);
    assert_int_equal(atomic_load(&b.live), 0);
}

/* A thread that frees after its exit hook ran (another key's destructor) goes to
 * the depot directly; counts stay exact. */
static pthread_key_t late_key;
static la_lookaside_t *late_cache;

static void late_destructor(void *p) { la_lookaside_free(late_cache, p); }

static void *late_thread(void *arg) {
    (void)arg;
    void *x = la_lookaside_alloc(late_cache);
    void *y = la_lookaside_alloc(late_cache);
    la_lookaside_free(late_cache, y);
    pthread_setspecific(late_key, x);
    return NULL;
}

static void t_free_after_exit_hook(void **state) {
    (void)state;
    backing_t b;
    late_cache = make(&b, 64, 64, 64);
    pthread_key_create(&late_key, late_destructor);
    pthread_t t;
    pthread_create(&t, NULL, late_thread, NULL);
    pthread_join(t, NULL);
    la_lookaside_stats_t s = la_test_stats(late_cache);
    assert_int_equal(s.total_allocates, 2);
    assert_int_equal(s.total_frees, 2);
    assert_int_equal(s.outstanding, 0);
    assert_int_equal(s.cached, 2);
    la_lookaside_destroy(late_cache);
    assert_int_equal(atomic_load(&b.live), 0);
    pthread_key_delete(late_key);
}

int main(void) {
    la_lookaside_tuner_enable(false);
    la_test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_producer_consumer_exact_counters),
        cmocka_unit_test(t_thread_exit_hands_magazines_back),
        cmocka_unit_test(t_destroy_takes_a_live_threads_magazines),
        cmocka_unit_test(t_cycling_1000_grows_magazines_then_stays_local),
        cmocka_unit_test(t_small_working_set_does_not_grow),
        cmocka_unit_test(t_trim_asks_threads_to_shrink),
        cmocka_unit_test(t_thread_flush),
        cmocka_unit_test(t_free_after_exit_hook),
    };
    return la_test_run("lookaside_threads", tests);
}
