/* S-list under contention: two threads pop and re-push the same few entries — the
 * ABA pattern — and a census at the end proves that every entry is in the list
 * exactly once, that depth matches and that the sequence counted every push.
 *
 * Phase 1 (both modes): each round a thread pops 1-4 entries (1 round in 64:
 * flushes the whole list), claims each one with an ownership flag (a second claim
 * means the list handed an entry out twice), and pushes them back — half the rounds
 * "rotated" (the first popped goes back on top over a different successor: pop A B
 * C, push B C A), half shuffled — one by one or as a chain. Rotation is the schedule
 * that corrupts a list whose CAS ignores the sequence: a popper that read
 * {A, A->next == B} and stalled installs B, which is no longer next to A.
 *
 * Phase 2 (lock-free mode): a popper's window (from reading the header to its CAS)
 * lasts a cache miss or two, far less than the six operations the other thread
 * needs to rotate A back on top, so in phase 1 hits are rare — a build without the
 * sequence survived phase 1 in about half the runs. So thread 1 now pops and
 * re-pushes one entry at a time (it is inside a pop or push most of the time), and
 * thread 2 interrupts it with SIGUSR1 DEFAULT_IRQS times, staying out of the list
 * until each handler is done. The handler — on thread 1, wherever it was, often
 * inside a pop's window — pops three entries and pushes them back rotated, as an
 * interrupt handler sharing the S-list would (lock-free push and pop are
 * async-signal-safe). The interrupted pop then finds A on top again at the same
 * depth over a different successor: only the sequence tells the difference.
 * Without it the census fails in every run. Not in locked mode: a handler would
 * deadlock on the lock its own thread holds. Thread 2 waits on the handler's
 * progress, never on time.
 *
 * Variants built from this one source (see test_sslist_aba.cmake):
 *   stress/test_sslist_aba          the list in its default mode (lock-free here)
 *   stress/test_sslist_aba_locked   LA_TEST_SSLIST_LOCKED: forced locked mode
 *   sslist_aba_mutant               LA_TEST_SSLIST_MUTANT, linked with a copy of
 *                                   src/sslist.c whose pushes do not bump the
 *                                   sequence. Not a ctest test: run it by hand; it
 *                                   is expected to FAIL.
 * Work is bounded: LA_TEST_SSLIST_ROUNDS phase-1 rounds per thread (default
 * 400000) and LA_TEST_SSLIST_IRQS interrupts (default 256), a tenth and a quarter
 * under sanitizers. The seed is printed; LA_TEST_SEED replays each thread's choices
 * (not the interleaving). */
#define _GNU_SOURCE /* pthread_setaffinity_np */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LA_TEST_SSLIST_LOCKED
#define LA_TEST_SSLIST_LOCKED 0
#endif
#ifndef LA_TEST_SSLIST_MUTANT
#define LA_TEST_SSLIST_MUTANT 0
#endif

#define N_ENTRIES 8
#define N_THREADS 2
#define MAX_HELD N_ENTRIES
#define MAX_POP 4          /* entries popped per round: 1..MAX_POP */
#define DEFAULT_IRQS 256u  /* interrupts in phase 2 (~100-400 us each on the VM) */
#define IRQ_OWNER 3        /* owner id of entries the interrupt handler holds */
#define DEFAULT_ROUNDS 400000u

/* One entry per cache line: a popper's read of first->next then usually misses. */
typedef struct entry {
    LA_ALIGNAS(64) la_sslist_entry_t link;
    _Atomic int owner; /* 0 while in the list, else the thread (1-based) holding it */
    int index;
} entry_t;

static la_sslist_header_t g_list;
static entry_t g_entries[N_ENTRIES];
static _Atomic unsigned g_gate;     /* start gate: threads arrive, then all go */
static _Atomic int g_stop;          /* set on the first error */
static char g_error[256];           /* first error, written by whoever sets g_stop first */
static _Atomic int g_error_claimed;

/* phase 2: interrupts (lock-free mode only) */
static _Atomic int g_phase2_over;
static _Atomic uint64_t g_irqs;          /* interrupts handled (the handler's ack) */
static _Atomic uint64_t g_irq_pushes;    /* push calls made by the handler */
static _Atomic uint64_t g_irq_rotations; /* handler runs that rotated 3 entries */

typedef struct worker {
    pthread_t thread;
    int id; /* 1-based */
    uint64_t seed;
    unsigned rounds;
    unsigned irqs;    /* thread 2: interrupts to send in phase 2 (0 in locked mode) */
    pthread_t victim; /* thread 1, for thread 2 */
    uint64_t pops, empty_pops, flushes, chains, rotations;
    uint64_t pushes; /* push and push_chain calls */
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

/* SIGUSR1 on thread 1: pop up to three entries and push them back rotated (the
 * first popped ends on top, over the third). */
static void irq_handler(int sig) {
    (void)sig;
    entry_t *got[3];
    unsigned n = 0;
    while (n < 3) {
        la_sslist_entry_t *e = la_sslist_pop(&g_list);
        if (!e) break;
        entry_t *x = entry_of(e);
        int prev = x ? atomic_exchange(&x->owner, IRQ_OWNER) : -1;
        if (prev != 0) {
            record_error("interrupt handler popped %s %d while thread %d held it (handed out twice)",
                         x ? "entry" : "a foreign pointer", x ? x->index : -1, prev);
            atomic_fetch_add(&g_irqs, 1);
            return;
        }
        got[n++] = x;
    }
    for (unsigned i = 0; i < n; i++) atomic_store(&got[i]->owner, 0);
    for (unsigned i = 1; i < n; i++) la_sslist_push(&g_list, &got[i]->link);
    if (n > 0) la_sslist_push(&g_list, &got[0]->link);
    atomic_fetch_add(&g_irq_pushes, n);
    if (n == 3) atomic_fetch_add(&g_irq_rotations, 1);
    atomic_fetch_add(&g_irqs, 1); /* ack last: thread 2 resumes after this */
}

static void pin_to_cpu(unsigned index) {
    cpu_set_t set;
    CPU_ZERO(&set);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    CPU_SET(index % (unsigned)(cpus > 0 ? cpus : 1), &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* best effort */
}

/* One round: take 1..MAX_POP entries (or flush), give them back. False on error. */
static bool round_trip(worker_t *w, la_test_rng_t *rng) {
    entry_t *held[MAX_HELD];
    unsigned n = 0;
    if (la_test_rng_below(rng, 64) == 0) {
        w->flushes++;
        for (la_sslist_entry_t *e = la_sslist_flush(&g_list); e;) {
            la_sslist_entry_t *next = e->next;
            if (n == MAX_HELD) {
                record_error("thread %d flushed more than %d entries (cycle?)", w->id, N_ENTRIES);
                return false;
            }
            if (!claim(w, e)) return false;
            held[n++] = entry_of(e);
            e = next;
        }
    } else {
        unsigned want = 1 + (unsigned)la_test_rng_below(rng, MAX_POP);
        for (unsigned i = 0; i < want; i++) {
            la_sslist_entry_t *e = la_sslist_pop(&g_list);
            if (!e) {
                w->empty_pops++;
                break;
            }
            w->pops++;
            if (!claim(w, e)) return false;
            held[n++] = entry_of(e);
        }
    }
    if (n == 0) return true;
    /* held[] becomes the push order: held[n-1] ends on top */
    if (n > 1 && la_test_rng_below(rng, 2) == 0) {
        w->rotations++; /* pop A B C -> push B C A: A back on top over C */
        entry_t *first_popped = held[0];
        for (unsigned i = 0; i + 1 < n; i++) held[i] = held[i + 1];
        held[n - 1] = first_popped;
    } else {
        for (unsigned i = n - 1; i > 0; i--) {
            unsigned j = (unsigned)la_test_rng_below(rng, i + 1);
            entry_t *t = held[i];
            held[i] = held[j];
            held[j] = t;
        }
    }
    /* release ownership before an entry becomes visible to the other thread */
    for (unsigned i = 0; i < n; i++) atomic_store(&held[i]->owner, 0);
    if (n > 1 && la_test_rng_below(rng, 4) == 0) {
        w->chains++; /* the same final order as n single pushes, in one step */
        for (unsigned i = n - 1; i > 0; i--) held[i]->link.next = &held[i - 1]->link;
        la_sslist_push_chain(&g_list, &held[n - 1]->link, &held[0]->link, n);
        w->pushes++;
    } else {
        for (unsigned i = 0; i < n; i++) la_sslist_push(&g_list, &held[i]->link);
        w->pushes += n;
    }
    return true;
}

static void *worker_main(void *arg) {
    worker_t *w = arg;
    la_test_rng_t rng;
    la_test_rng_init(&rng, w->seed);
    pin_to_cpu((unsigned)w->id - 1); /* one thread per CPU, so they really overlap */

    atomic_fetch_add(&g_gate, 1);
    while (atomic_load(&g_gate) < N_THREADS) {
    } /* spin: both threads start together */

    /* phase 1: both threads contend */
    for (unsigned r = 0; r < w->rounds && !atomic_load_explicit(&g_stop, memory_order_relaxed); r++)
        if (!round_trip(w, &rng)) break;

    /* phase 2 (lock-free mode): thread 1 pops and re-pushes one entry at a time,
     * so it is inside a pop or push most of the time; thread 2 interrupts it
     * w->irqs times and keeps out of the list until each handler is done, so the
     * handler's rotation meets the header thread 1 last read. */
    atomic_fetch_add(&g_gate, 1);
    while (atomic_load(&g_gate) < 2 * N_THREADS && !atomic_load(&g_stop)) {
    }
    if (w->id == 1) {
        while (!atomic_load_explicit(&g_phase2_over, memory_order_relaxed) &&
               !atomic_load_explicit(&g_stop, memory_order_relaxed)) {
            la_sslist_entry_t *e = la_sslist_pop(&g_list);
            if (!e) continue;
            w->pops++;
            if (!claim(w, e)) break;
            atomic_store_explicit(&entry_of(e)->owner, 0, memory_order_release);
            la_sslist_push(&g_list, e);
            w->pushes++;
        }
    } else {
        for (unsigned i = 0; i < w->irqs && !atomic_load(&g_stop); i++) {
            uint64_t want = atomic_load(&g_irqs) + 1;
            if (pthread_kill(w->victim, SIGUSR1) != 0) {
                record_error("pthread_kill failed");
                break;
            }
            while (atomic_load(&g_irqs) < want && !atomic_load(&g_stop)) {
            }
        }
        atomic_store(&g_phase2_over, 1);
    }
    return NULL;
}

/* Every entry in the list exactly once, nothing else, depth and sequence right. */
static bool census(uint64_t pushes, char *why, size_t len) {
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
    if (!LA_TEST_SSLIST_MUTANT && seq != (pushes & ((UINT64_C(1) << 48) - 1)))
        WHY("sequence %llu but %llu pushes; ", (unsigned long long)seq, (unsigned long long)pushes);
#undef WHY
    return ok;
}

static unsigned rounds_per_thread(void) {
    const char *env = getenv("LA_TEST_SSLIST_ROUNDS");
    if (env && *env) return (unsigned)strtoul(env, NULL, 0);
    return la_test_under_sanitizer() ? DEFAULT_ROUNDS / 10 : DEFAULT_ROUNDS;
}

static unsigned irq_count(void) {
    const char *env = getenv("LA_TEST_SSLIST_IRQS");
    if (env && *env) return (unsigned)strtoul(env, NULL, 0);
    return la_test_under_sanitizer() ? DEFAULT_IRQS / 4 : DEFAULT_IRQS;
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

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = irq_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);

    const uint64_t seed = la_test_seed();
    const unsigned rounds = rounds_per_thread();
    worker_t w[N_THREADS];
    memset(w, 0, sizeof w);
    for (int t = 0; t < N_THREADS; t++) {
        w[t].id = t + 1;
        w[t].seed = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(t + 1));
        w[t].rounds = rounds;
    }
    /* thread 1 first, so thread 2 knows whom to interrupt */
    assert_int_equal(pthread_create(&w[0].thread, NULL, worker_main, &w[0]), 0);
    w[1].victim = w[0].thread;
    w[1].irqs = lock_free ? irq_count() : 0;
    assert_int_equal(pthread_create(&w[1].thread, NULL, worker_main, &w[1]), 0);
    for (int t = 0; t < N_THREADS; t++) assert_int_equal(pthread_join(w[t].thread, NULL), 0);
    signal(SIGUSR1, SIG_DFL);

    uint64_t pops = 0, empty = 0, flushes = 0, chains = 0, rotations = 0;
    uint64_t pushes = N_ENTRIES + atomic_load(&g_irq_pushes);
    for (int t = 0; t < N_THREADS; t++) {
        pops += w[t].pops;
        empty += w[t].empty_pops;
        flushes += w[t].flushes;
        chains += w[t].chains;
        rotations += w[t].rotations;
        pushes += w[t].pushes;
    }
    printf("sslist aba%s: %s mode, %u rounds x %d threads: %llu pops (%llu empty), %llu flushes, "
           "%llu rotations, %llu chain pushes, %llu pushes, %llu interrupts (%llu rotating)\n",
           LA_TEST_SSLIST_MUTANT ? " MUTANT (sequence dropped from the CAS)" : "",
           lock_free ? "lock-free" : "locked", rounds, N_THREADS, (unsigned long long)pops,
           (unsigned long long)empty, (unsigned long long)flushes, (unsigned long long)rotations,
           (unsigned long long)chains, (unsigned long long)pushes,
           (unsigned long long)atomic_load(&g_irqs),
           (unsigned long long)atomic_load(&g_irq_rotations));

    char why[1024] = "";
    bool ok = census(pushes, why, sizeof why);
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
