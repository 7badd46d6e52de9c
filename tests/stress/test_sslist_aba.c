/* S-list under contention: two threads pop and re-push the same few entries — the
 * ABA pattern — and a census at the end proves that every entry is in the list
 * exactly once, that depth matches and that the sequence counted every push.
 *
 * Each round a thread pops 1-3 entries (sometimes flushes the whole list), claims
 * each one with an ownership flag (a second claim of an entry means the list handed
 * it out twice), and pushes them back in a random order, one by one or as a chain.
 * Popping A and B and pushing them back as A->C is exactly the schedule that a
 * compare without the sequence number gets wrong.
 *
 * Variants built from this one source (see test_sslist_aba.cmake):
 *   stress/test_sslist_aba          the list in its default mode (lock-free here)
 *   stress/test_sslist_aba_locked   LA_TEST_SSLIST_LOCKED: forced locked mode
 *   sslist_aba_mutant               LA_TEST_SSLIST_MUTANT, linked with a copy of
 *                                   src/sslist.c whose pushes do not bump the
 *                                   sequence. Not a ctest test: run it by hand; it
 *                                   is expected to FAIL the census.
 * Work is bounded by rounds (LA_TEST_SSLIST_ROUNDS overrides; a tenth under
 * sanitizers); the seed is printed and LA_TEST_SEED replays a thread's choices
 * (not the interleaving). */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LA_TEST_SSLIST_LOCKED
#define LA_TEST_SSLIST_LOCKED 0
#endif
#ifndef LA_TEST_SSLIST_MUTANT
#define LA_TEST_SSLIST_MUTANT 0
#endif

#define N_ENTRIES 8
#define N_THREADS 2
#define MAX_HELD N_ENTRIES
#define DEFAULT_ROUNDS 400000u

typedef struct entry {
    LA_ALIGNAS(LA_SSLIST_ALIGN) la_sslist_entry_t link;
    _Atomic int owner; /* 0 while in the list, else the thread (1-based) holding it */
    int index;
} entry_t;

static la_sslist_header_t g_list;
static entry_t g_entries[N_ENTRIES];
static _Atomic unsigned g_gate;     /* start gate: threads arrive, then all go */
static _Atomic int g_stop;          /* set on the first error */
static _Atomic uint64_t g_pushes;   /* push and push_chain calls that linked something */
static char g_error[256];           /* first error, written by whoever sets g_stop first */
static _Atomic int g_error_claimed;

typedef struct worker {
    pthread_t thread;
    int id; /* 1-based */
    uint64_t seed;
    unsigned rounds;
    uint64_t pops, empty_pops, flushes, chains;
} worker_t;

static void record_error(const char *fmt, ...) LA_PRINTF(1, 2);
static void record_error(const char *fmt, ...) {
    if (atomic_exchange(&g_error_claimed, 1) == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g_error, sizeof g_error, fmt, ap);
        va_end(ap);
    }
    atomic_store(&g_stop, 1);
}

static entry_t *entry_of(la_sslist_entry_t *e) {
    entry_t *x = LA_CONTAINER_OF(e, entry_t, link);
    if (x < g_entries || x >= g_entries + N_ENTRIES) return NULL;
    return x;
}

/* Take ownership of a popped entry; false (and an error) if the list handed out
 * something that is not ours or that another thread holds. */
static bool claim(worker_t *w, la_sslist_entry_t *e) {
    entry_t *x = entry_of(e);
    if (!x) {
        record_error("thread %d popped %p, which is not one of the entries", w->id, (void *)e);
        return false;
    }
    int prev = atomic_exchange(&x->owner, w->id);
    if (prev != 0) {
        record_error("thread %d popped entry %d while thread %d held it (handed out twice)",
                     w->id, x->index, prev);
        return false;
    }
    return true;
}

static void *worker_main(void *arg) {
    worker_t *w = arg;
    la_test_rng_t rng;
    la_test_rng_init(&rng, w->seed);
    entry_t *held[MAX_HELD];

    atomic_fetch_add(&g_gate, 1);
    while (atomic_load(&g_gate) < N_THREADS) {
    } /* spin: both threads start together */

    for (unsigned r = 0; r < w->rounds && !atomic_load_explicit(&g_stop, memory_order_relaxed); r++) {
        unsigned n = 0;
        if (la_test_rng_below(&rng, 64) == 0) {
            /* flush: take everything that is in the list right now */
            w->flushes++;
            for (la_sslist_entry_t *e = la_sslist_flush(&g_list); e;) {
                la_sslist_entry_t *next = e->next; /* read before the entry is claimed */
                if (n == MAX_HELD) {
                    record_error("thread %d flushed more than %d entries (cycle?)", w->id, N_ENTRIES);
                    return NULL;
                }
                if (!claim(w, e)) return NULL;
                held[n++] = entry_of(e);
                e = next;
            }
        } else {
            unsigned want = 1 + (unsigned)la_test_rng_below(&rng, 3);
            for (unsigned i = 0; i < want; i++) {
                la_sslist_entry_t *e = la_sslist_pop(&g_list);
                if (!e) {
                    w->empty_pops++;
                    break;
                }
                w->pops++;
                if (!claim(w, e)) return NULL;
                held[n++] = entry_of(e);
            }
        }
        if (n == 0) continue;
        /* shuffle, so the order pushed back differs from the order popped */
        for (unsigned i = n - 1; i > 0; i--) {
            unsigned j = (unsigned)la_test_rng_below(&rng, i + 1);
            entry_t *t = held[i];
            held[i] = held[j];
            held[j] = t;
        }
        /* release ownership before the entry becomes visible to the other thread */
        for (unsigned i = 0; i < n; i++) atomic_store(&held[i]->owner, 0);
        if (n > 1 && la_test_rng_below(&rng, 4) == 0) {
            w->chains++;
            for (unsigned i = 0; i + 1 < n; i++) held[i]->link.next = &held[i + 1]->link;
            la_sslist_push_chain(&g_list, &held[0]->link, &held[n - 1]->link, n);
            atomic_fetch_add_explicit(&g_pushes, 1, memory_order_relaxed);
        } else {
            for (unsigned i = 0; i < n; i++) la_sslist_push(&g_list, &held[i]->link);
            atomic_fetch_add_explicit(&g_pushes, n, memory_order_relaxed);
        }
    }
    return NULL;
}

/* Every entry in the list exactly once, nothing else, depth and sequence right. */
static bool census(char *why, size_t len) {
    int seen[N_ENTRIES] = {0};
    unsigned depth = la_sslist_depth(&g_list);
    uint64_t seq = la_sslist_sequence(&g_list);
    unsigned walked = 0;
    bool ok = true;
    size_t off = 0;
#define WHY(...)                                                                       \
    do {                                                                               \
        ok = false;                                                                    \
        if (off < len) off += (size_t)snprintf(why + off, len - off, __VA_ARGS__);     \
    } while (0)
    for (la_sslist_entry_t *e = la_sslist_first(&g_list); e; e = e->next) {
        if (walked > N_ENTRIES) {
            WHY("chain longer than %d entries (cycle); ", N_ENTRIES);
            break;
        }
        entry_t *x = entry_of(e);
        if (!x) {
            WHY("foreign pointer %p in the chain; ", (void *)e);
            break;
        }
        seen[x->index]++;
        walked++;
    }
    for (int i = 0; i < N_ENTRIES; i++) {
        if (seen[i] == 0) WHY("entry %d lost (owner %d); ", i, atomic_load(&g_entries[i].owner));
        if (seen[i] > 1) WHY("entry %d present %d times; ", i, seen[i]);
    }
    if (depth != walked) WHY("depth %u but %u entries linked; ", depth, walked);
    if (!LA_TEST_SSLIST_MUTANT && seq != (atomic_load(&g_pushes) & ((UINT64_C(1) << 48) - 1)))
        WHY("sequence %llu but %llu pushes; ", (unsigned long long)seq,
            (unsigned long long)atomic_load(&g_pushes));
#undef WHY
    return ok;
}

static unsigned rounds_per_thread(void) {
    const char *env = getenv("LA_TEST_SSLIST_ROUNDS");
    if (env && *env) return (unsigned)strtoul(env, NULL, 0);
    return la_test_under_sanitizer() ? DEFAULT_ROUNDS / 10 : DEFAULT_ROUNDS;
}

static void t_aba_census(void **state) {
    (void)state;
    if (LA_TEST_SSLIST_LOCKED)
        la_sslist_init_locked(&g_list);
    else
        la_sslist_init(&g_list);
    const bool lock_free = la_sslist_is_lock_free(&g_list);
    if (LA_TEST_SSLIST_LOCKED)
        assert_false(lock_free);
    else
        assert_int_equal(lock_free, la_sslist_lock_free_available());
    for (int i = 0; i < N_ENTRIES; i++) {
        g_entries[i].index = i;
        atomic_store(&g_entries[i].owner, 0);
        la_sslist_push(&g_list, &g_entries[i].link);
    }
    atomic_store(&g_pushes, N_ENTRIES);

    const uint64_t seed = la_test_seed();
    const unsigned rounds = rounds_per_thread();
    worker_t w[N_THREADS];
    memset(w, 0, sizeof w);
    for (int t = 0; t < N_THREADS; t++) {
        w[t].id = t + 1;
        w[t].seed = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(t + 1));
        w[t].rounds = rounds;
        assert_int_equal(pthread_create(&w[t].thread, NULL, worker_main, &w[t]), 0);
    }
    for (int t = 0; t < N_THREADS; t++) assert_int_equal(pthread_join(w[t].thread, NULL), 0);

    uint64_t pops = 0, empty = 0, flushes = 0, chains = 0;
    for (int t = 0; t < N_THREADS; t++) {
        pops += w[t].pops;
        empty += w[t].empty_pops;
        flushes += w[t].flushes;
        chains += w[t].chains;
    }
    printf("sslist aba%s: %s mode, %u rounds x %d threads: %llu pops (%llu empty), %llu flushes, "
           "%llu chain pushes, %llu pushes\n",
           LA_TEST_SSLIST_MUTANT ? " MUTANT (sequence dropped from the CAS)" : "",
           lock_free ? "lock-free" : "locked", rounds, N_THREADS, (unsigned long long)pops,
           (unsigned long long)empty, (unsigned long long)flushes, (unsigned long long)chains,
           (unsigned long long)atomic_load(&g_pushes));

    char why[1024] = "";
    bool ok = census(why, sizeof why);
    if (atomic_load(&g_stop)) fail_msg("during the run: %s; census: %s", g_error, ok ? "ok" : why);
    if (!ok) fail_msg("census failed: %s", why);
    assert_true(pops > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_aba_census)};
    return la_test_run(LA_TEST_SSLIST_LOCKED ? "sslist_aba_locked"
                       : LA_TEST_SSLIST_MUTANT ? "sslist_aba_mutant"
                                                 : "sslist_aba",
                       tests);
}
