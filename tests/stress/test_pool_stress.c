/* Pool under threads: random sizes (small, page classes, big), random tags and
 * kinds, blocks handed to other threads and freed there. Every block carries a
 * stamp (its own address and a serial) checked on free, so a block handed out
 * twice or corrupted is caught; the census at the end compares the pool's
 * per-tag counters with the test's own counts (exact under cross-thread frees).
 * Reads racing with a thread's counter drains never see counts go back. */
#define _GNU_SOURCE
#include "test_support.h"

#include "pool_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define TAGS 6
#define MAILBOX 256

typedef struct stamp {
    uintptr_t self;
    uint64_t serial;
    uint32_t size;
    uint32_t tag_index;
} stamp_t;

typedef struct mailbox {
    pthread_mutex_t lock;
    void *slot[MAILBOX];
    unsigned count;
} mailbox_t;

static mailbox_t boxes[THREADS];
static la_tag_t tags[TAGS];
static uint64_t iterations;
static uint64_t seed;
static _Atomic uint64_t serials;
static _Atomic uint64_t allocs[TAGS], frees[TAGS], bad_stamps;

static size_t pick_size(la_test_rng_t *r) {
    uint64_t k = la_test_rng_below(r, 100);
    if (k < 70) return sizeof(stamp_t) + 1 + la_test_rng_below(r, 512);
    if (k < 90) return sizeof(stamp_t) + 1 + la_test_rng_below(r, 4096);
    if (k < 98) return 4096 + la_test_rng_below(r, 28000);
    return 33000 + la_test_rng_below(r, 200000);
}

static void check_and_free(void *p) {
    stamp_t *s = p;
    if (s->self != (uintptr_t)p || s->tag_index >= TAGS || s->size < sizeof *s) {
        atomic_fetch_add(&bad_stamps, 1);
        return;
    }
    unsigned char *tail = (unsigned char *)p + s->size - 1;
    if (*tail != (unsigned char)s->serial) atomic_fetch_add(&bad_stamps, 1);
    unsigned ti = s->tag_index;
    s->self = 0; /* a second hand-out of the same block would now be caught */
    la_pool_free_tag(p, tags[ti]);
    atomic_fetch_add_explicit(&frees[ti], 1, memory_order_relaxed);
}

static void *worker(void *arg) {
    unsigned me = (unsigned)(uintptr_t)arg;
    la_test_rng_t r;
    la_test_rng_init(&r, seed + me * 7919);
    void *mine[64];
    unsigned n = 0;
    for (uint64_t it = 0; it < iterations; ++it) {
        uint64_t op = la_test_rng_below(&r, 10);
        if (op < 5 && n < 64) {
            unsigned ti = (unsigned)la_test_rng_below(&r, TAGS);
            size_t size = pick_size(&r);
            unsigned type = (la_test_rng_below(&r, 8) == 0 ? LA_POOL_LOCKED : LA_POOL_PAGED) |
                            (la_test_rng_below(&r, 8) == 0 ? LA_POOL_CACHE_ALIGNED : 0u);
            stamp_t *s = la_pool_alloc(type, size, tags[ti], 0);
            if (!s) continue; /* locked memory may run out unprivileged: counted as failure */
            atomic_fetch_add_explicit(&allocs[ti], 1, memory_order_relaxed);
            s->self = (uintptr_t)s;
            s->serial = atomic_fetch_add_explicit(&serials, 1, memory_order_relaxed);
            s->size = (uint32_t)size;
            s->tag_index = ti;
            ((unsigned char *)s)[size - 1] = (unsigned char)s->serial;
            mine[n++] = s;
        } else if (op < 8 && n > 0) {
            /* Hand a block to another thread's mailbox (or free it if full). */
            unsigned to = (me + 1 + (unsigned)la_test_rng_below(&r, THREADS - 1)) % THREADS;
            void *p = mine[--n];
            mailbox_t *b = &boxes[to];
            pthread_mutex_lock(&b->lock);
            if (b->count < MAILBOX) {
                b->slot[b->count++] = p;
                p = NULL;
            }
            pthread_mutex_unlock(&b->lock);
            if (p) check_and_free(p);
        } else {
            mailbox_t *b = &boxes[me];
            void *p = NULL;
            pthread_mutex_lock(&b->lock);
            if (b->count) p = b->slot[--b->count];
            pthread_mutex_unlock(&b->lock);
            if (p) check_and_free(p);
            else if (n > 0) check_and_free(mine[--n]);
        }
    }
    while (n > 0) check_and_free(mine[--n]);
    return NULL;
}

static void t_threads_census(void **state) {
    (void)state;
    seed = la_test_seed();
    iterations = la_test_under_sanitizer() ? 20000 : 200000;
    for (unsigned i = 0; i < TAGS; ++i) tags[i] = LA_TAG('S', 't', 'r', '0' + i);
    for (unsigned i = 0; i < THREADS; ++i) pthread_mutex_init(&boxes[i].lock, NULL);
    pthread_t th[THREADS];
    for (unsigned i = 0; i < THREADS; ++i)
        assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i), 0);
    for (unsigned i = 0; i < THREADS; ++i) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (unsigned i = 0; i < THREADS; ++i)
        while (boxes[i].count) check_and_free(boxes[i].slot[--boxes[i].count]);
    assert_int_equal(atomic_load(&bad_stamps), 0);
    for (unsigned i = 0; i < TAGS; ++i) {
        uint64_t a = 0, f = 0, out = 0, bytes = 0;
        for (unsigned k = 0; k < LA_POOL_KIND_COUNT; ++k) {
            la_pool_tag_info_t info;
            if (la_pool_tag_query(tags[i], (la_pool_kind_t)k, &info) != 0) continue;
            a += info.allocs;
            f += info.frees;
            out += info.outstanding;
            bytes += info.bytes;
        }
        assert_int_equal(a, atomic_load(&allocs[i]));
        assert_int_equal(f, atomic_load(&frees[i]));
        assert_int_equal(out, 0);
        assert_int_equal(bytes, 0);
        assert_true(a > 0);
    }
    /* Every block went back: after a trim nothing is held in slabs or caches. */
    la_pool_trim();
    la_pool_stats_t st;
    la_pool_stats_get(&st);
    assert_int_equal(st.bad_frees, 0);
}

/* Peaks and budgets stay exact with several threads charging one budgeted tag. */
static la_tag_t budget_tag;
static _Atomic uint64_t budget_ok, budget_denied;

static void *budget_worker(void *arg) {
    (void)arg;
    void *v[32];
    for (int round = 0; round < (la_test_under_sanitizer() ? 50 : 500); ++round) {
        int n = 0;
        for (int i = 0; i < 32; ++i) {
            v[n] = la_pool_alloc(LA_POOL_PAGED, 256, budget_tag, 0);
            if (v[n]) {
                n++;
                atomic_fetch_add(&budget_ok, 1);
            } else {
                atomic_fetch_add(&budget_denied, 1);
            }
        }
        while (n) la_pool_free(v[--n]);
    }
    return NULL;
}

static void t_budget_exact_under_threads(void **state) {
    (void)state;
    budget_tag = LA_TAG('B', 'g', 'T', 'h');
    const uint64_t hard = 40 * 256; /* fewer than 2 x 32 blocks fit at once */
    assert_int_equal(la_pool_tag_budget_set(budget_tag, LA_POOL_KIND_PAGED, 0, hard), 0);
    pthread_t th[THREADS];
    for (unsigned i = 0; i < THREADS; ++i) assert_int_equal(pthread_create(&th[i], NULL, budget_worker, NULL), 0);
    for (unsigned i = 0; i < THREADS; ++i) assert_int_equal(pthread_join(th[i], NULL), 0);
    la_pool_tag_info_t info;
    assert_int_equal(la_pool_tag_query(budget_tag, LA_POOL_KIND_PAGED, &info), 0);
    assert_true(info.peak_bytes <= hard); /* never over the hard budget */
    assert_int_equal(info.allocs, atomic_load(&budget_ok));
    assert_int_equal(info.budget_denials, atomic_load(&budget_denied));
    assert_int_equal(info.outstanding, 0);
    assert_int_equal(la_pool_tag_budget_set(budget_tag, LA_POOL_KIND_PAGED, 0, 0), 0);
}

/* ---- readers during drains ----------------------------------------------------------
 * A thread's counts live in packed words drained into wide counters every 64 KiB
 * of traffic; a reader that caught a drain half done would see counts drop (or
 * double). One thread allocates and frees 16-byte blocks (a drain every 4096
 * pairs) while this thread reads the record as fast as it can: counts never go
 * back, at most one block is ever outstanding, and the final figures are exact. */
static const la_tag_t mono_tag = LA_TAG('M', 'o', 'n', 'o');
static _Atomic int mono_done;
static uint64_t mono_pairs;

static void *mono_worker(void *arg) {
    (void)arg;
    for (uint64_t i = 0; i < mono_pairs; ++i) {
        char *p = la_pool_alloc(LA_POOL_PAGED, 16, mono_tag, 0);
        if (!p) abort();
        p[0] = (char)i;
        la_pool_free(p);
    }
    atomic_store(&mono_done, 1);
    return NULL;
}

static void t_reads_during_drains_never_go_back(void **state) {
    (void)state;
    mono_pairs = la_test_under_sanitizer() ? 200000 : 2000000;
    void *warm = la_pool_alloc(LA_POOL_PAGED, 16, mono_tag, 0); /* the record exists */
    la_pool_free(warm);
    la_pool_tag_info_t a, b;
    assert_int_equal(la_pool_tag_query(mono_tag, LA_POOL_KIND_PAGED, &a), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, mono_worker, NULL), 0);
    uint64_t reads = 0;
    while (!atomic_load(&mono_done)) {
        assert_int_equal(la_pool_tag_query(mono_tag, LA_POOL_KIND_PAGED, &b), 0);
        if (b.allocs < a.allocs || b.frees < a.frees)
            fail_msg("counts went back: allocs %llu -> %llu, frees %llu -> %llu",
                     (unsigned long long)a.allocs, (unsigned long long)b.allocs,
                     (unsigned long long)a.frees, (unsigned long long)b.frees);
        assert_true(b.outstanding <= 1);
        assert_true(b.bytes <= 16);
        a = b;
        ++reads;
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(la_pool_tag_query(mono_tag, LA_POOL_KIND_PAGED, &b), 0);
    assert_int_equal(b.allocs, 1 + mono_pairs);
    assert_int_equal(b.frees, 1 + mono_pairs);
    assert_int_equal(b.bytes, 0);
    assert_true(reads > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_threads_census),
        cmocka_unit_test(t_budget_exact_under_threads),
        cmocka_unit_test(t_reads_during_drains_never_go_back),
    };
    return la_test_run("pool_stress", tests);
}
