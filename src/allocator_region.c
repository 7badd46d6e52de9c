/* allocator_region.c — an arena over one region behind la_allocator_t.
 *
 * What: a region (lookaside/region.h) is one mapping with properties — huge
 * pages, physically contiguous, bound to a NUMA node, locked. The adapter hands
 * out pieces of it by bumping an offset (`ra_top`): allocate pads to the asked
 * alignment and moves the top past the block; freeing the block that ends at the
 * top moves the top back (so LIFO use, and a shrink of the last block, give bytes
 * back); any other free only counts. la_region_allocator_reset frees everything at
 * once; freeing the region (the caller's) returns the memory to the system.
 *
 * Why an arena and not one region per allocation: a region is at least a page
 * (a huge page with LA_REGION_HUGE) and costs a system call; containers ask for
 * many small blocks. The hypervisor post put both pool and contiguous memory
 * behind one allocator interface; this is the contiguous half: the container's
 * nodes all land in the region with the properties the caller chose.
 *
 * Errors: a request larger than the whole region can never be served: EINVAL (as
 * the lookaside adapter's oversize refusal). The region too full now: ENOMEM.
 *
 * Invariants: 0 <= ra_top <= capacity; every live block lies in [0, ra_top);
 * `ra_live` never goes below zero (a free with nothing live, or of a pointer
 * outside [base, base + ra_top), is reported as LA_FATAL_BAD_POINTER and
 * abandoned). All updates are compare-and-swap loops on the offset, so the arena
 * is lock-free and safe from any number of threads.
 * Lock order: none (no locks). */
#include "internal.h"

#include <lookaside/allocator.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define CAS(x, expect, v) \
    __atomic_compare_exchange_n(&(x), (expect), (v), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)

static void note_peak(la_region_allocator_t *ra, size_t top) {
    size_t peak = LD(ra->ra_peak);
    while (top > peak && !CAS(ra->ra_peak, &peak, top)) {}
}

static void *rg_alloc(void *ctx, size_t size, size_t align) {
    la_region_allocator_t *ra = ctx;
    if (size > ra->capacity) {
        errno = EINVAL;
        return NULL;
    }
    const uintptr_t base = (uintptr_t)ra->base;
    size_t top = LD(ra->ra_top), start;
    do {
        size_t aligned;
        if (lai_align_up_overflows((size_t)(base + top), align, &aligned) ||
            aligned - base > ra->capacity || ra->capacity - (aligned - base) < size) {
            errno = ENOMEM;
            return NULL;
        }
        start = aligned - base;
    } while (!CAS(ra->ra_top, &top, start + size));
    __atomic_add_fetch(&ra->ra_live, 1, __ATOMIC_RELAXED);
    note_peak(ra, start + size);
    return ra->base + start;
}

/* Offset of p when [p, p + size) lies within the used part of the region. */
static bool block_offset(const la_region_allocator_t *ra, const void *p, size_t size, size_t *off) {
    uintptr_t a = (uintptr_t)p, base = (uintptr_t)ra->base;
    size_t top = LD(ra->ra_top);
    if (a < base || a - base >= top || size > top - (a - base)) return false;
    *off = a - base;
    return true;
}

static void rg_free(void *ctx, void *p, size_t size, size_t align) {
    la_region_allocator_t *ra = ctx;
    (void)align;
    size_t off;
    uint64_t live = LD(ra->ra_live);
    if (!block_offset(ra, p, size, &off) || live == 0) {
        la_fatal(LA_FATAL_BAD_POINTER, p, NULL, 0,
                 "allocator '%s': free of %p (%zu bytes), not a live block of region %p", ra->name,
                 p, size, (void *)ra->base);
        return;
    }
    while (live && !CAS(ra->ra_live, &live, live - 1)) {}
    size_t end = off + size;
    (void)CAS(ra->ra_top, &end, off); /* the last block: its bytes come back */
}

static bool rg_resize(void *ctx, void *p, size_t old_size, size_t new_size, size_t align) {
    la_region_allocator_t *ra = ctx;
    (void)align;
    size_t off;
    if (!block_offset(ra, p, old_size, &off)) return false;
    size_t end = off + old_size;
    if (new_size <= old_size) {
        (void)CAS(ra->ra_top, &end, off + new_size); /* the last block gives its tail back */
        return true;
    }
    if (new_size > ra->capacity - off) return false;
    if (!CAS(ra->ra_top, &end, off + new_size)) return false; /* not the last block */
    note_peak(ra, off + new_size);
    return true;
}

int la_region_allocator_init(la_region_allocator_t *out, la_region_t *region) {
    if (!out || !region) return EINVAL;
    la_region_info_t info;
    if (la_region_query(region, &info) != 0 || !info.base || !info.size) return EINVAL;
    memset(out, 0, sizeof *out);
    out->region = region;
    out->base = info.base;
    out->capacity = info.size;
    snprintf(out->name, sizeof out->name, "region %zu KiB", info.size / 1024);
    out->allocator.allocate = rg_alloc;
    out->allocator.free = rg_free;
    out->allocator.resize_in_place = rg_resize;
    out->allocator.ctx = out;
    out->allocator.name = out->name;
    return 0;
}

void la_region_allocator_reset(la_region_allocator_t *ra) {
    ST(ra->ra_top, 0);
    ST(ra->ra_peak, 0);
    ST(ra->ra_live, 0);
}

void la_region_allocator_stats_get(const la_region_allocator_t *ra, la_region_allocator_stats_t *out) {
    la_region_allocator_stats_t s;
    s.capacity = ra->capacity;
    s.used = LD(ra->ra_top);
    s.peak = LD(ra->ra_peak);
    s.live = LD(ra->ra_live);
    *out = s;
}
