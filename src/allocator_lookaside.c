/* allocator_lookaside.c — a lookaside cache behind la_allocator_t.
 *
 * What: allocate hands out one block of the cache when the request fits it
 * (size <= block size and align <= the cache's alignment); free gives it back;
 * resize succeeds while the new size still fits the block. A request that does
 * not fit goes to the optional fallback allocator, or is refused with EINVAL.
 *
 * Why EINVAL and not ENOMEM: a request larger or more aligned than the block can
 * never be served by this cache, however much memory there is; EINVAL tells a
 * container (and an OOM test loop) that retrying is pointless, while ENOMEM stays
 * what it means everywhere else — the backing ran out. The Rust crate this
 * replaces returned a block too small for the layout (corruption) and panicked on
 * grow; here neither can happen.
 *
 * Why route by layout: C++ node containers ask for nodes (one size) and for
 * bucket arrays (growing sizes) from the same allocator. With a fallback the
 * nodes come from the cache and everything else from the fallback; since every
 * free and resize carries the layout, the route is recomputed and never stored.
 *
 * Invariants: fits(size, align) decides the source of a block for its whole
 * life: resize never moves a block across the boundary (it returns false), so a
 * block freed with its current layout goes back where it came from.
 * Lock order: none here (the cache and the fallback have their own). */
#include "internal.h"

#include <lookaside/allocator.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static inline bool fits(const la_lookaside_allocator_t *la, size_t size, size_t align) {
    return size <= la->block_size && align <= la->block_align;
}

static void *lk_alloc(void *ctx, size_t size, size_t align) {
    la_lookaside_allocator_t *la = ctx;
    if (LA_LIKELY(fits(la, size, align))) return la_lookaside_alloc(la->cache);
    if (la->fallback) return la_allocator_alloc(la->fallback, size, align);
    errno = EINVAL;
    return NULL;
}

static void lk_free(void *ctx, void *p, size_t size, size_t align) {
    la_lookaside_allocator_t *la = ctx;
    if (LA_LIKELY(fits(la, size, align))) {
        la_lookaside_free(la->cache, p);
    } else if (la->fallback) {
        la_allocator_free(la->fallback, p, size, align);
    } else {
        la_fatal(LA_FATAL_BAD_ARGUMENT, p, NULL, 0,
                 "allocator '%s': free of %zu bytes aligned %zu, but its blocks are %zu bytes "
                 "aligned %zu (not a block of this allocator)",
                 la->name, size, align, la->block_size, la->block_align);
    }
}

static bool lk_resize(void *ctx, void *p, size_t old_size, size_t new_size, size_t align) {
    la_lookaside_allocator_t *la = ctx;
    bool old_fits = fits(la, old_size, align), new_fits = fits(la, new_size, align);
    if (old_fits) return new_fits;             /* same block, or it would change source */
    if (new_fits || !la->fallback) return false;
    return la_allocator_resize(la->fallback, p, old_size, new_size, align);
}

int la_lookaside_allocator_init(la_lookaside_allocator_t *out, la_lookaside_t *cache,
                                const la_allocator_t *fallback) {
    if (!out || !cache) return EINVAL;
    la_lookaside_allocator_t la;
    memset(&la, 0, sizeof la);
    la.cache = cache;
    la.block_size = la_lookaside_block_size(cache);
    la.block_align = la_lookaside_alignment(cache);
    la.fallback = fallback;
    snprintf(la.name, sizeof la.name, "lookaside %s", la_lookaside_name(cache));
    *out = la;
    out->allocator.allocate = lk_alloc;
    out->allocator.free = lk_free;
    out->allocator.resize_in_place = lk_resize;
    out->allocator.ctx = out;
    out->allocator.name = out->name;
    return 0;
}
