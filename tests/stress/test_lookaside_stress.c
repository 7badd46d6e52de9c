/* Lookaside caches under threads: random allocate / free / bulk / flush / trim /
 * thread-flush mixes on three caches (magazines with room, magazines squeezed
 * against a small MaximumDepth, and DEPOT_ONLY), blocks passed between threads
 * through a mailbox (cross-thread frees), threads exiting while others run, a
 * tuner pass and snapshots running concurrently. Ends in a census:
 *   - every hand-out flips a per-block state word NOT_LIVE -> LIVE atomically and
 *     every free flips it back, so a block handed out twice is caught at once;
 *   - at the end, blocks the backing has out == blocks the cache says it holds,
 *     and after destroy the backing has nothing out: no block was lost.
 * Seeded (LA_TEST_SEED replays); bounded; scaled down under sanitizers. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NCACHES 3
#define NTHREADS 4
#define STASH 1024
#define MAILBOX 64

enum { NOT_LIVE = 0x6e6f6e65, LIVE = 0x6c697665 };

typedef struct blockhead {
    uint64_t link_room[2];      /* DEPOT_ONLY caches use the first word as their link */
    _Atomic uint32_t state;     /* NOT_LIVE / LIVE */
    uint32_t cache;             /* which cache handed it out */
} blockhead_t;

typedef struct backing {
    _Atomic long live;
    _Atomic long allocs;
} backing_t;

static backing_t backings[NCACHES];
static la_lookaside_t *caches[NCACHES];
static _Atomic(void *) mailbox[MAILBOX];
static _Atomic long errors;
static _Atomic int running;

static void *la_test_backing_alloc(la_lookaside_t *c, size_t size, size_t align, void *arg) {
    (void)c;
    backing_t *b = arg;
    blockhead_t *p = aligned_alloc(align, (size + align - 1) / align * align);
    if (!p) return NULL;
    atomic_init(&p->state, NOT_LIVE);
    atomic_fetch_add(&b->live, 1);
    atomic_fetch_add(&b->allocs, 1);
    return p;
}

static void la_test_backing_free(la_lookaside_t *c, void *block, size_t size, void *arg) {
    (void)c;
    (void)size;
    backing_t *b = arg;
    blockhead_t *p = block;
    if (atomic_load(&p->state) != NOT_LIVE) atomic_fetch_add(&errors, 1); /* a live block returned */
    atomic_fetch_sub(&b->live, 1);
    free(block);
}

static void took(unsigned ci, void *blk) {
    blockhead_t *h = blk;
    if (atomic_exchange(&h->state, LIVE) != NOT_LIVE) atomic_fetch_add(&errors, 1); /* handed out twice */
    h->cache = ci;
}

static void giving(unsigned ci, void *blk) {
    blockhead_t *h = blk;
    if (h->cache != ci || atomic_exchange(&h->state, NOT_LIVE) != LIVE) atomic_fetch_add(&errors, 1);
}

typedef struct worker {
    unsigned id;
    uint64_t seed;
    long iters;
    void *stash[NCACHES][STASH];
    unsigned n[NCACHES];
} worker_t;

static void free_one(worker_t *w, unsigned ci, unsigned k) {
    void *b = w->stash[ci][k];
    w->stash[ci][k] = w->stash[ci][--w->n[ci]];
    giving(ci, b);
    la_lookaside_free(caches[ci], b);
}

static void *work(void *arg) {
    worker_t *w = arg;
    la_test_rng_t rng;
    la_test_rng_init(&rng, w->seed);
    for (long it = 0; it < w->iters; ++it) {
        unsigned ci = (unsigned)la_test_rng_below(&rng, NCACHES);
        la_lookaside_t *c = caches[ci];
        unsigned op = (unsigned)la_test_rng_below(&rng, 1000);
        if (op < 420) { /* allocate a burst */
            unsigned k = 1 + (unsigned)la_test_rng_below(&rng, 64);
            for (unsigned i = 0; i < k && w->n[ci] < STASH; ++i) {
                void *b = (i & 1) ? la_lookaside_alloc_inline(c) : la_lookaside_alloc(c);
                if (!b) {
                    atomic_fetch_add(&errors, 1);
                    break;
                }
                took(ci, b);
                w->stash[ci][w->n[ci]++] = b;
            }
        } else if (op < 840) { /* free a burst, in random order */
            unsigned k = 1 + (unsigned)la_test_rng_below(&rng, 64);
            for (unsigned i = 0; i < k && w->n[ci]; ++i) free_one(w, ci, (unsigned)la_test_rng_below(&rng, w->n[ci]));
        } else if (op < 960) { /* post a block to the mailbox; free whatever was there */
            if (!w->n[ci]) continue;
            void *b = w->stash[ci][--w->n[ci]];
            /* The block carries its cache index; the exchange publishes it. */
            void *old = atomic_exchange(&mailbox[la_test_rng_below(&rng, MAILBOX)], b);
            if (old) {
                unsigned oc = ((blockhead_t *)old)->cache;
                giving(oc, old);
                la_lookaside_free(caches[oc], old); /* most likely a cross-thread free */
            }
        } else if (op < 975) { /* bulk */
            void *tmp[32];
            if (la_lookaside_alloc_bulk(c, tmp, 32) == 0) {
                for (int i = 0; i < 32; ++i) took(ci, tmp[i]);
                for (int i = 0; i < 32; ++i) giving(ci, tmp[i]);
                la_lookaside_free_bulk(c, tmp, 32);
            } else {
                atomic_fetch_add(&errors, 1);
            }
        } else if (op < 985) {
            la_lookaside_flush(c);
        } else if (op < 993) {
            la_lookaside_trim(c, (size_t)la_test_rng_below(&rng, 64));
        } else if (op < 998) {
            la_lookaside_thread_flush();
        } else {
            la_lookaside_tune_now();
        }
    }
    for (unsigned ci = 0; ci < NCACHES; ++ci)
        while (w->n[ci]) free_one(w, ci, w->n[ci] - 1);
    return NULL;
}

static void count_visit(const la_lookaside_stats_t *s, void *arg) {
    (void)s;
    ++*(long *)arg;
}

static void *observer(void *arg) {
    (void)arg;
    long seen = 0;
    while (atomic_load(&running)) {
        for (unsigned ci = 0; ci < NCACHES; ++ci) {
            la_lookaside_stats_t s = {.size = sizeof s};
            la_lookaside_query(caches[ci], &s);
        }
        la_lookaside_foreach(count_visit, &seen);
    }
    return NULL;
}

static void t_census(void **state) {
    (void)state;
    uint64_t seed = la_test_seed();
    long iters = la_test_under_sanitizer() ? 6000 : 150000;
    static const struct {
        size_t size;
        unsigned max_depth, depth, flags;
    } kinds[NCACHES] = {
        {48, 1024, 64, 0},
        {256, 8, 8, 0},
        {32, 64, 16, LA_LOOKASIDE_DEPOT_ONLY},
    };
    for (unsigned ci = 0; ci < NCACHES; ++ci) {
        la_lookaside_params_t p = {0};
        p.name = "stress";
        p.size = kinds[ci].size;
        p.max_depth = kinds[ci].max_depth;
        p.depth = kinds[ci].depth;
        p.flags = kinds[ci].flags;
        p.alloc = la_test_backing_alloc;
        p.free = la_test_backing_free;
        p.backing_arg = &backings[ci];
        assert_int_equal(la_lookaside_create(&p, &caches[ci]), 0);
    }
    atomic_store(&running, 1);
    pthread_t obs;
    pthread_create(&obs, NULL, observer, NULL);
    static worker_t workers[2][NTHREADS];
    for (int wave = 0; wave < 2; ++wave) {
        pthread_t t[NTHREADS];
        for (unsigned i = 0; i < NTHREADS; ++i) {
            worker_t *w = &workers[wave][i];
            memset(w, 0, sizeof *w);
            w->id = i;
            w->seed = seed * 31 + (uint64_t)wave * 1000 + i + 1;
            w->iters = iters * (long)(i + 1) / NTHREADS; /* exits staggered: others keep running */
            pthread_create(&t[i], NULL, work, w);
        }
        for (unsigned i = 0; i < NTHREADS; ++i) pthread_join(t[i], NULL);
    }
    atomic_store(&running, 0);
    pthread_join(obs, NULL);
    for (unsigned s = 0; s < MAILBOX; ++s) {
        void *b = atomic_exchange(&mailbox[s], NULL);
        if (b) {
            unsigned ci = ((blockhead_t *)b)->cache;
            giving(ci, b);
            la_lookaside_free(caches[ci], b);
        }
    }
    assert_int_equal(atomic_load(&errors), 0);
    for (unsigned ci = 0; ci < NCACHES; ++ci) {
        la_lookaside_stats_t s = {.size = sizeof s};
        assert_int_equal(la_lookaside_query(caches[ci], &s), 0);
        assert_int_equal(s.outstanding, 0);
        assert_int_equal(s.total_allocates, s.total_frees);
        assert_true(s.total_allocates > 0);
        assert_int_equal(s.allocate_misses, (uint64_t)atomic_load(&backings[ci].allocs));
        assert_int_equal((uint64_t)atomic_load(&backings[ci].live), s.cached); /* nothing lost */
        assert_int_equal(s.cached, s.cached_depot + s.cached_magazines);
        assert_int_equal(la_lookaside_destroy(caches[ci]), 0);
        assert_int_equal(atomic_load(&backings[ci].live), 0);
    }
    assert_int_equal(atomic_load(&errors), 0);
}

int main(void) {
    la_lookaside_tuner_enable(false); /* the workers run passes themselves */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_census),
    };
    return la_test_run("lookaside_stress", tests);
}
