/* lookaside_fixture.h — what the lookaside tests share: a counting backing (the
 * allocate/free callbacks of a cache, counting what reaches them, able to fail on
 * demand), cache creation over it, and a checked snapshot.
 *
 * Counters are atomic so threaded tests can use the same backing; single-threaded
 * tests read them as plain values. Header-only: include after test_support.h. */
#ifndef LA_TEST_LOOKASIDE_FIXTURE_H
#define LA_TEST_LOOKASIDE_FIXTURE_H

#include "test_support.h"

#include <lookaside/lookaside_list.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct la_test_backing {
    _Atomic size_t allocs, frees, live; /* blocks handed to / taken back from the cache */
    size_t fail_after;                  /* allocations allowed before failing (SIZE_MAX = never) */
    size_t last_size, last_align;       /* the most recent request */
    size_t ctors, dtors;                /* for tests that count constructor calls */
    int ctor_error;                     /* non-zero: a test constructor fails with it */
} la_test_backing_t;

static inline void la_test_backing_reset(la_test_backing_t *b) {
    memset(b, 0, sizeof *b);
    b->fail_after = SIZE_MAX;
}

static inline void *la_test_backing_alloc(la_lookaside_t *c, size_t size, size_t align, void *arg) {
    (void)c;
    la_test_backing_t *b = (la_test_backing_t *)arg;
    if (atomic_load(&b->allocs) >= b->fail_after) {
        errno = ENOMEM;
        return NULL;
    }
    b->last_size = size;
    b->last_align = align;
    void *p = aligned_alloc(align, (size + align - 1) / align * align);
    if (p) {
        atomic_fetch_add(&b->allocs, 1);
        atomic_fetch_add(&b->live, 1);
    }
    return p;
}

static inline void la_test_backing_free(la_lookaside_t *c, void *block, size_t size, void *arg) {
    (void)c;
    (void)size;
    la_test_backing_t *b = (la_test_backing_t *)arg;
    atomic_fetch_add(&b->frees, 1);
    atomic_fetch_sub(&b->live, 1);
    free(block);
}

/* A cache of `size`-byte blocks over a freshly reset counting backing `b`. */
static inline la_lookaside_t *la_test_cache_on(la_test_backing_t *b, const char *name, size_t size,
                                               unsigned max_depth, unsigned depth, unsigned flags) {
    la_test_backing_reset(b);
    la_lookaside_params_t p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.size = size;
    p.max_depth = max_depth;
    p.depth = depth;
    p.flags = flags;
    p.alloc = la_test_backing_alloc;
    p.free = la_test_backing_free;
    p.backing_arg = b;
    la_lookaside_t *c = NULL;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    assert_non_null(c);
    return c;
}

/* A snapshot of `c`, asserting the query succeeds and the version is current. */
static inline la_lookaside_stats_t la_test_stats(const la_lookaside_t *c) {
    la_lookaside_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    assert_int_equal(la_lookaside_query(c, &s), 0);
    assert_int_equal(s.version, LA_LOOKASIDE_STATS_VERSION);
    return s;
}

#endif
