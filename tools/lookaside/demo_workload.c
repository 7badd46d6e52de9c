/* demo_workload.c — caches under a multi-threaded workload: two threads cycle
 * batches on their own caches while a producer hands packets to a consumer that
 * frees them on another thread; then the tuner runs and the !lookaside view shows
 * what happened. Counts are exact even though blocks are freed across threads. */
#define _POSIX_C_SOURCE 200809L
#include "tool.h"

#include <lookaside/lookaside.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

enum { BATCH = 500, ROUNDS = 200, HANDOFF = 200000, RING = 1024 };

typedef struct ring {
    void *slot[RING];
    _Atomic size_t head; /* written by the producer */
    _Atomic size_t tail; /* written by the consumer */
} ring_t;

static la_lookaside_t *inodes, *buffers, *packets;
static ring_t ring;

static void *batch_worker(void *arg) {
    la_lookaside_t *cache = arg;
    void *held[BATCH];
    for (int r = 0; r < ROUNDS; ++r) {
        for (int i = 0; i < BATCH; ++i) held[i] = la_lookaside_alloc(cache);
        for (int i = 0; i < BATCH; ++i) la_lookaside_free(cache, held[i]);
    }
    return NULL;
}

static void *producer(void *arg) {
    (void)arg;
    for (size_t n = 0; n < HANDOFF; ++n) {
        void *p = la_lookaside_alloc(packets);
        *(size_t *)p = n;
        size_t h = atomic_load_explicit(&ring.head, memory_order_relaxed);
        while (h - atomic_load_explicit(&ring.tail, memory_order_acquire) == RING) sched_yield();
        ring.slot[h % RING] = p;
        atomic_store_explicit(&ring.head, h + 1, memory_order_release);
    }
    return NULL;
}

static void *consumer(void *arg) {
    size_t *bad = arg;
    for (size_t n = 0; n < HANDOFF; ++n) {
        size_t t = atomic_load_explicit(&ring.tail, memory_order_relaxed);
        while (atomic_load_explicit(&ring.head, memory_order_acquire) == t) sched_yield();
        void *p = ring.slot[t % RING];
        if (*(size_t *)p != n) ++*bad;
        la_lookaside_free(packets, p);
        atomic_store_explicit(&ring.tail, t + 1, memory_order_release);
    }
    return NULL;
}

static int make(const char *name, size_t size, char a, char b, char c, char d, la_lookaside_t **out) {
    la_lookaside_params_t p = {0};
    p.name = name;
    p.size = size;
    p.tag = LA_TAG(a, b, c, d);
    return la_lookaside_create(&p, out);
}

int demo_workload(void) {
    demo_title("caches under a multi-threaded workload, then !lookaside -all");
    if (make("fs.inode", 64, 'I', 'n', 'o', 'd', &inodes) || make("io.buffer", 1024, 'B', 'u', 'f', 'f', &buffers) ||
        make("net.packet", 256, 'P', 'k', 't', ' ', &packets))
        return 1;
    pthread_t t[4];
    size_t bad = 0;
    uint64_t t0 = demo_now_ns();
    pthread_create(&t[0], NULL, batch_worker, inodes);
    pthread_create(&t[1], NULL, batch_worker, buffers);
    pthread_create(&t[2], NULL, producer, NULL);
    pthread_create(&t[3], NULL, consumer, &bad);
    for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
    uint64_t t1 = demo_now_ns();
    printf("2 batch workers x %d rounds x %d blocks, and %d packets handed across threads: %.1f ms, "
           "%zu corrupted hand-offs\n", ROUNDS, BATCH, HANDOFF, (double)(t1 - t0) / 1e6, bad);
    size_t changed = la_lookaside_tune_now();
    printf("one tuner pass adjusted Depth on %zu list(s)\n", changed);
    la_lookaside_print_all();

    la_lookaside_stats_t s = {0};
    s.size = sizeof s;
    la_lookaside_query(packets, &s);
    int ok = bad == 0 && s.total_allocates == HANDOFF && s.total_frees == HANDOFF && s.outstanding == 0;
    printf("packets: %llu allocated on one thread, %llu freed on another, %llu outstanding -> %s\n",
           (unsigned long long)s.total_allocates, (unsigned long long)s.total_frees,
           (unsigned long long)s.outstanding, ok ? "exact" : "MISMATCH");
    size_t leaked = la_lookaside_destroy(inodes) + la_lookaside_destroy(buffers) + la_lookaside_destroy(packets);
    return ok && leaked == 0 ? 0 : 1;
}
