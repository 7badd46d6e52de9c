/* bench_sslist.c — S-list push+pop pairs: ours against a mutex-guarded list and
 * Concurrency Kit's ck_stack, single-threaded and with two threads contending.
 *
 * One iteration = pop an entry, write one word into it, push it back (one "pair").
 * The list is shared by the case's threads and pre-filled with BENCH_BALLAST
 * entries per thread, so a pop never finds it empty. Two threads hammer the same
 * header: that is the worst case an S-list sees (a lookaside depot should see it
 * rarely), and on this VM every transfer of the header's cache line costs ~200 ns.
 *
 * Rows:
 *   sslist              la_sslist_push / la_sslist_pop, lock-free mode
 *   sslist (locked)     the same functions on a list forced into locked mode
 *   mutex list          a singly linked list under a pthread mutex
 *   ck_stack mpmc       ck_stack_push_mpmc / ck_stack_pop_mpmc (when libck was found)
 *   2 x cas16 (floor)   two lock cmpxchg16b on one shared 16-byte word: the cost of
 *                       the atomics alone, without list work
 * Ratios are against ck_stack (the mutex list when CK is absent). */
#include "bench.h"

#include <lookaside/sslist.h>

#include "prim/cas16.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BENCH_HAVE_CK
#define BENCH_HAVE_CK 0 /* set by bench_sslist.cmake when libck is found */
#endif
#if BENCH_HAVE_CK
#include <ck_stack.h>
#endif

#define MAX_ENTRIES (BENCH_BALLAST * BENCH_MAX_THREADS)

/* An object cached in a list: the link first (16-byte aligned), then payload. */
typedef struct object {
    LA_ALIGNAS(16) la_sslist_entry_t link;
    uint64_t payload;
} object_t;

/* ---- our S-list ------------------------------------------------------------------ */

typedef struct sslist_case {
    LA_ALIGNAS(64) la_sslist_header_t list;
    char pad[48];
    object_t *objects;
} sslist_case_t;

static void *sslist_setup(void *arg, unsigned thread) {
    sslist_case_t *c = arg;
    for (unsigned i = 0; i < BENCH_BALLAST; i++)
        la_sslist_push(&c->list, &c->objects[thread * BENCH_BALLAST + i].link);
    return NULL;
}

static void sslist_body(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)tls;
    sslist_case_t *c = arg;
    for (uint64_t i = 0; i < iters; i++) {
        la_sslist_entry_t *e = la_sslist_pop(&c->list);
        if (!e) continue;
        ((object_t *)(void *)e)->payload = i + thread;
        la_sslist_push(&c->list, e);
    }
}

/* ---- mutex-guarded list ----------------------------------------------------------------- */

typedef struct mutex_case {
    LA_ALIGNAS(64) pthread_mutex_t lock;
    la_sslist_entry_t *head;
    object_t *objects;
} mutex_case_t;

static void *mutex_setup(void *arg, unsigned thread) {
    mutex_case_t *c = arg;
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 0; i < BENCH_BALLAST; i++) {
        la_sslist_entry_t *e = &c->objects[thread * BENCH_BALLAST + i].link;
        e->next = c->head;
        c->head = e;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static void mutex_body(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)tls;
    mutex_case_t *c = arg;
    for (uint64_t i = 0; i < iters; i++) {
        pthread_mutex_lock(&c->lock);
        la_sslist_entry_t *e = c->head;
        if (e) c->head = e->next;
        pthread_mutex_unlock(&c->lock);
        if (!e) continue;
        ((object_t *)(void *)e)->payload = i + thread;
        pthread_mutex_lock(&c->lock);
        e->next = c->head;
        c->head = e;
        pthread_mutex_unlock(&c->lock);
    }
}

/* ---- Concurrency Kit ------------------------------------------------------------------- */

#if BENCH_HAVE_CK
typedef struct ck_object {
    ck_stack_entry_t link;
    uint64_t payload;
} ck_object_t;

typedef struct ck_case {
    LA_ALIGNAS(64) ck_stack_t stack; /* cmpxchg16b needs 16-byte alignment */
    char pad[48];
    ck_object_t *objects;
} ck_case_t;

static void *ck_setup(void *arg, unsigned thread) {
    ck_case_t *c = arg;
    for (unsigned i = 0; i < BENCH_BALLAST; i++)
        ck_stack_push_mpmc(&c->stack, &c->objects[thread * BENCH_BALLAST + i].link);
    return NULL;
}

static void ck_body(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)tls;
    ck_case_t *c = arg;
    for (uint64_t i = 0; i < iters; i++) {
        ck_stack_entry_t *e = ck_stack_pop_mpmc(&c->stack);
        if (!e) continue;
        ((ck_object_t *)(void *)e)->payload = i + thread;
        ck_stack_push_mpmc(&c->stack, e);
    }
}
#endif

/* ---- the atomics alone ---------------------------------------------------------------- */

typedef struct cas_case {
    LA_ALIGNAS(64) la_prim_u128_t word;
} cas_case_t;

static void cas_body(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)tls;
    (void)thread;
    cas_case_t *c = arg;
    la_prim_u128_t seen = {0, 0};
    for (uint64_t i = 0; i < iters; i++) {
        /* two successful CAS per iteration when uncontended, like a push and a pop */
        la_prim_u128_t next = {seen.lo + 1, seen.hi};
        if (lai_cas16(&c->word, &seen, next)) seen = next;
        next.lo = seen.lo + 1;
        if (lai_cas16(&c->word, &seen, next)) seen = next;
    }
}

/* ---- driver ----------------------------------------------------------------------------- */

static void *aligned_objects(size_t size) {
    void *p = aligned_alloc(64, (size + 63) & ~(size_t)63);
    if (!p) {
        fprintf(stderr, "bench_sslist: out of memory\n");
        exit(1);
    }
    memset(p, 0, size);
    return p;
}

int main(int argc, char **argv) {
    bench_init(argc, argv, "bench_sslist: S-list push+pop pairs (pop, write one word, push)");
    if (!la_sslist_lock_free_available())
        printf("# NOTE: no 16-byte CAS on this CPU: 'sslist' runs in locked mode\n");
#if !BENCH_HAVE_CK
    printf("# NOTE: Concurrency Kit not found at build time: ck_stack peer skipped\n");
#endif
    bench_table_t *t = bench_table_new("S-list push+pop pairs", "ns per pair, aggregate over threads");
    static const unsigned thread_counts[] = {1, 2};
    static const char *const columns[] = {"1 thread", "2 threads contending"};

    for (unsigned k = 0; k < 2; k++) {
        const unsigned n = thread_counts[k];
        const char *col = columns[k];
#if BENCH_HAVE_CK
        {
            ck_case_t *c = aligned_objects(sizeof *c);
            ck_stack_init(&c->stack);
            c->objects = aligned_objects(sizeof(ck_object_t) * MAX_ENTRIES);
            bench_case_t bc = {.name = "ck_stack mpmc", .column = col, .threads = n,
                               .body = ck_body, .arg = c, .setup = ck_setup, .ops_per_iter = 1};
            bench_run_into(t, &bc);
            free(c->objects);
            free(c);
        }
#endif
        for (int locked = 0; locked < 2; locked++) {
            sslist_case_t *c = aligned_objects(sizeof *c);
            if (locked)
                la_sslist_init_locked(&c->list);
            else
                la_sslist_init(&c->list);
            c->objects = aligned_objects(sizeof(object_t) * MAX_ENTRIES);
            bench_case_t bc = {.name = locked ? "sslist (locked mode)" : "sslist", .column = col,
                               .threads = n, .body = sslist_body, .arg = c,
                               .setup = sslist_setup, .ops_per_iter = 1};
            bench_run_into(t, &bc);
            free(c->objects);
            free(c);
        }
        {
            mutex_case_t *c = aligned_objects(sizeof *c);
            pthread_mutex_init(&c->lock, NULL);
            c->objects = aligned_objects(sizeof(object_t) * MAX_ENTRIES);
            bench_case_t bc = {.name = "mutex list", .column = col, .threads = n,
                               .body = mutex_body, .arg = c, .setup = mutex_setup, .ops_per_iter = 1};
            bench_run_into(t, &bc);
            pthread_mutex_destroy(&c->lock);
            free(c->objects);
            free(c);
        }
        if (la_sslist_lock_free_available()) {
            cas_case_t *c = aligned_objects(sizeof *c);
            bench_case_t bc = {.name = "2 x cas16 (floor)", .column = col, .threads = n,
                               .body = cas_body, .arg = c, .ops_per_iter = 1};
            bench_run_into(t, &bc);
            free(c);
        }
    }
    bench_table_print(t, BENCH_HAVE_CK ? "ck_stack mpmc" : "mutex list");
    bench_table_free(t);
    return 0;
}
