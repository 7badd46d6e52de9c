/* lookaside_workers.c — the native lookaside API at work: a cache of constructed
 * session objects shared by threads that each cycle a batch, a producer handing
 * objects to a consumer that frees them on its own thread, the !lookaside view,
 * a tuner pass, and a destroy that finds nothing outstanding.
 *
 * What to look for in the output:
 *   - LIFO reuse: the block just freed is the next one handed out;
 *   - the constructor ran once per block the backing produced, not per allocation;
 *   - TotalAllocates / TotalFrees are exact although half the frees happened on
 *     another thread than the allocation;
 *   - the hit rates: before the tuner has seen the cache, its Depth is Windows'
 *     initial 4, too small to hold a magazine, so blocks freed by the consumer go
 *     back to the pool and the producer misses; one tuner pass raises Depth from
 *     the miss rate and the same workload then runs almost entirely from cache. */
#include <lookaside/lookaside.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

typedef struct session {
    unsigned id;
    unsigned uses;
    char user[48];
} session_t;

static _Atomic unsigned constructed, destroyed;

static int session_ctor(void *block, void *arg) {
    (void)arg;
    session_t *s = block;
    memset(s, 0, sizeof *s);
    s->id = atomic_fetch_add(&constructed, 1) + 1;
    return 0;
}

static void session_dtor(void *block, void *arg) {
    (void)block;
    (void)arg;
    atomic_fetch_add(&destroyed, 1);
}

enum { BATCH = 1000, ROUNDS = 50, HANDOFF = 50000, RING = 256 };

static la_lookaside_t *sessions;

static void *cycler(void *arg) {
    (void)arg;
    static _Thread_local session_t *held[BATCH];
    for (int r = 0; r < ROUNDS; ++r) {
        for (int i = 0; i < BATCH; ++i) {
            held[i] = la_lookaside_alloc_inline(sessions);
            held[i]->uses++;
        }
        for (int i = 0; i < BATCH; ++i) la_lookaside_free_inline(sessions, held[i]);
    }
    return NULL;
}

static struct {
    session_t *slot[RING];
    _Atomic unsigned long head, tail;
} ring;

static void *producer(void *arg) {
    (void)arg;
    for (unsigned long i = 0; i < HANDOFF; ++i) {
        session_t *s = la_lookaside_alloc(sessions);
        snprintf(s->user, sizeof s->user, "user-%lu", i);
        while (atomic_load(&ring.tail) - atomic_load(&ring.head) == RING) sched_yield();
        ring.slot[atomic_load(&ring.tail) % RING] = s;
        atomic_fetch_add(&ring.tail, 1);
    }
    return NULL;
}

static void *consumer(void *arg) {
    unsigned long *bad = arg;
    for (unsigned long i = 0; i < HANDOFF; ++i) {
        while (atomic_load(&ring.head) == atomic_load(&ring.tail)) sched_yield();
        session_t *s = ring.slot[atomic_load(&ring.head) % RING];
        atomic_fetch_add(&ring.head, 1);
        char want[48];
        snprintf(want, sizeof want, "user-%lu", i);
        if (strcmp(s->user, want) != 0) ++*bad;
        la_lookaside_free(sessions, s); /* freed on another thread than allocated */
    }
    return NULL;
}

static void to_stdout(const char *text, void *arg) {
    (void)arg;
    fputs(text, stdout);
}

int main(void) {
    la_output_set(to_stdout, NULL);   /* the !lookaside view next to our own lines */
    la_lookaside_tuner_enable(false); /* this example runs the one pass it shows */
    la_lookaside_params_t p = {0};
    p.name = "sessions";
    p.size = sizeof(session_t);
    p.tag = LA_TAG('S', 'e', 's', 's');
    p.pool_type = LA_POOL_PAGED;
    p.ctor = session_ctor;
    p.dtor = session_dtor;
    int err = la_lookaside_create(&p, &sessions);
    if (err) {
        fprintf(stderr, "create: %s\n", strerror(err));
        return 1;
    }
    printf("cache \"%s\": block size %zu (asked %zu)\n", la_lookaside_name(sessions),
           la_lookaside_block_size(sessions), sizeof(session_t));

    session_t *a = la_lookaside_alloc(sessions);
    la_lookaside_free(sessions, a);
    session_t *b = la_lookaside_alloc(sessions);
    printf("LIFO reuse: %s (session %u)\n", a == b ? "yes" : "no", b->id);
    la_lookaside_free(sessions, b);

    unsigned long bad = 0;
    for (int run = 1; run <= 2; ++run) {
        la_lookaside_reset_counters(sessions); /* hit rates of this run only */
        pthread_t t[2];
        pthread_create(&t[0], NULL, cycler, NULL); /* two threads, a batch each */
        pthread_create(&t[1], NULL, cycler, NULL);
        pthread_join(t[0], NULL);
        pthread_join(t[1], NULL);
        pthread_create(&t[0], NULL, producer, NULL); /* hand-over between threads */
        pthread_create(&t[1], NULL, consumer, &bad);
        pthread_join(t[0], NULL);
        pthread_join(t[1], NULL);

        la_lookaside_stats_t s = {.size = sizeof s};
        la_lookaside_query(sessions, &s);
        unsigned long expect = 2ul * ROUNDS * BATCH + HANDOFF;
        printf("\n== run %d: allocations %llu (expected %lu), frees %llu, outstanding after the workload: %llu\n",
               run, (unsigned long long)s.total_allocates, expect, (unsigned long long)s.total_frees,
               (unsigned long long)s.outstanding);
        printf("counts exact: %s; hand-over checks failed: %lu\n",
               s.total_allocates == expect && s.total_frees == expect ? "yes" : "no", bad);
        la_lookaside_print(sessions);
        if (run == 1) {
            size_t changed = la_lookaside_tune_now();
            la_lookaside_query(sessions, &s);
            printf("\ntuner pass: %zu list(s) changed; Depth is now %u (MaximumDepth %u)\n", changed,
                   s.depth, s.max_depth);
        }
    }
    printf("\nconstructor ran %u times in all (once per block from the pool, not per allocation)\n",
           atomic_load(&constructed));

    size_t outstanding = la_lookaside_destroy(sessions);
    printf("destroyed: %zu outstanding; destructor ran %u times, constructor %u times\n", outstanding,
           atomic_load(&destroyed), atomic_load(&constructed));
    return bad == 0 && outstanding == 0 && atomic_load(&destroyed) == atomic_load(&constructed) ? 0 : 1;
}
