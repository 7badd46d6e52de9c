/* allocator_fault.c — a fault-injecting wrapper around any la_allocator_t.
 *
 * What: forwards every call to the wrapped allocator, counting allocate and
 * resize calls (one sequence of call numbers, 1, 2, 3, ...), and fails chosen
 * calls with ENOMEM (allocate returns NULL, resize returns false) without
 * calling the wrapped allocator. Two triggers, either or both armed:
 *   - fail_nth(n, count): calls number C+n .. C+n+count-1, where C is the call
 *     count when armed (SQLite's faultsim countdown with a repeat count);
 *   - fail_share(ppm, seed): call number k fails when mix(seed, k) mod 10^6 < ppm,
 *     a pure function of (seed, k), so a seed replays the same failures whatever
 *     the threads' interleaving.
 * It also counts frees and the live blocks and bytes, the leak check of an OOM loop.
 *
 * Why: tests walk every failure path of a container by failing call 1, 2, 3, ...
 * until the operation succeeds, checking after each failure that nothing leaked
 * and the container is consistent (style-anchors §3). Doing it through the same
 * interface the container uses means no container needs a test hook.
 *
 * Invariants: `live` never goes below zero: a free with nothing live is reported
 * (LA_FATAL_BAD_POINTER) and abandoned. Counters are updated with relaxed
 * atomic operations (the wrapper may be shared by threads); the configuration is
 * meant to be changed between operations, not during them.
 * Lock order: none (no locks). */
#include "internal.h"

#include <lookaside/allocator.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)

static uint64_t mix64(uint64_t z) { /* splitmix64's finaliser */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Count one call and say whether it must fail. */
static bool inject(la_fault_allocator_t *f) {
    uint64_t k = ADD(f->fa_stats.calls, 1);
    uint64_t from = LD(f->fa_from), count = LD(f->fa_count);
    bool fail = from && k >= from && k - from < count;
    uint32_t ppm = LD(f->fa_share_ppm);
    if (!fail && ppm) fail = mix64(LD(f->fa_seed) ^ mix64(k)) % 1000000u < ppm;
    if (fail) ADD(f->fa_stats.failures, 1);
    return fail;
}

static void note_bytes(la_fault_allocator_t *f, uint64_t bytes) {
    uint64_t peak = LD(f->fa_stats.peak_bytes);
    while (bytes > peak &&
           !__atomic_compare_exchange_n(&f->fa_stats.peak_bytes, &peak, bytes, true,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
}

static void *fault_alloc(void *ctx, size_t size, size_t align) {
    la_fault_allocator_t *f = ctx;
    if (inject(f)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = la_allocator_alloc(f->inner, size, align);
    if (!p) {
        ADD(f->fa_stats.inner_failures, 1);
        return NULL;
    }
    ADD(f->fa_stats.live, 1);
    note_bytes(f, ADD(f->fa_stats.live_bytes, size));
    return p;
}

static void fault_free(void *ctx, void *p, size_t size, size_t align) {
    la_fault_allocator_t *f = ctx;
    uint64_t live = LD(f->fa_stats.live);
    do {
        if (live == 0) {
            la_fatal(LA_FATAL_BAD_POINTER, p, NULL, 0,
                     "allocator '%s': free of %p (%zu bytes) with no block live", f->name, p,
                     size);
            return;
        }
    } while (!__atomic_compare_exchange_n(&f->fa_stats.live, &live, live - 1, true,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    __atomic_sub_fetch(&f->fa_stats.live_bytes, size, __ATOMIC_RELAXED);
    ADD(f->fa_stats.frees, 1);
    la_allocator_free(f->inner, p, size, align);
}

static bool fault_resize(void *ctx, void *p, size_t old_size, size_t new_size, size_t align) {
    la_fault_allocator_t *f = ctx;
    if (inject(f)) return false;
    if (!la_allocator_resize(f->inner, p, old_size, new_size, align)) {
        ADD(f->fa_stats.inner_failures, 1);
        return false;
    }
    if (new_size > old_size)
        note_bytes(f, ADD(f->fa_stats.live_bytes, new_size - old_size));
    else
        __atomic_sub_fetch(&f->fa_stats.live_bytes, old_size - new_size, __ATOMIC_RELAXED);
    return true;
}

int la_fault_allocator_init(la_fault_allocator_t *out, const la_allocator_t *inner) {
    if (!out || !inner) return EINVAL;
    memset(out, 0, sizeof *out);
    out->inner = inner;
    snprintf(out->name, sizeof out->name, "fault %s", inner->name ? inner->name : "?");
    out->allocator.allocate = fault_alloc;
    out->allocator.free = fault_free;
    out->allocator.resize_in_place = fault_resize;
    out->allocator.ctx = out;
    out->allocator.name = out->name;
    return 0;
}

void la_fault_allocator_fail_nth(la_fault_allocator_t *f, uint64_t n, uint64_t count) {
    if (!n) {
        ST(f->fa_from, 0);
        return;
    }
    uint64_t from;
    if (lai_add_overflows(LD(f->fa_stats.calls), n, &from)) from = UINT64_MAX;
    ST(f->fa_count, count ? count : 1);
    ST(f->fa_from, from);
}

void la_fault_allocator_fail_share(la_fault_allocator_t *f, uint32_t ppm, uint64_t seed) {
    ST(f->fa_seed, seed);
    ST(f->fa_share_ppm, ppm > 1000000u ? 1000000u : ppm);
}

void la_fault_allocator_stats_get(const la_fault_allocator_t *f, la_fault_stats_t *out) {
    la_fault_stats_t s;
    s.calls = LD(f->fa_stats.calls);
    s.failures = LD(f->fa_stats.failures);
    s.inner_failures = LD(f->fa_stats.inner_failures);
    s.frees = LD(f->fa_stats.frees);
    s.live = LD(f->fa_stats.live);
    s.live_bytes = LD(f->fa_stats.live_bytes);
    s.peak_bytes = LD(f->fa_stats.peak_bytes);
    *out = s;
}

uint64_t la_fault_allocator_failures(const la_fault_allocator_t *f) {
    return LD(f->fa_stats.failures);
}

uint64_t la_fault_allocator_live(const la_fault_allocator_t *f) { return LD(f->fa_stats.live); }
