/* allocator_pool.c — the tagged pool behind la_allocator_t.
 *
 * What: allocate is la_pool_alloc(type, size, tag, flags), so every block is
 * charged to the adapter's tag (PoolMon's view, la_pool_tag_query); free is
 * la_pool_free_tag, so a block of another tag handed to this adapter is caught
 * by the pool (counted, or fatal in strict mode); resize succeeds while the new
 * size fits the block the pool actually gave (la_pool_block_size).
 *
 * Alignment: the pool gives 16 bytes to small blocks, 64 with
 * LA_POOL_CACHE_ALIGNED (same accounting kind) and the page to big blocks. A
 * request aligned above 64 and up to the page is served as a big block (size
 * raised to LA_POOL_SMALL_MAX + 1 when smaller), which the pool page-aligns; the
 * accounting then shows the whole page, as it would for any big block. Above the
 * page size: EINVAL (no pool block can honour it).
 *
 * Invariants: the pool frees by address, so the size given to free is not needed;
 * misuse (a bad pointer, a double free, another tag) is the pool's to report.
 * Lock order: none here (the pool's own). */
#include "internal.h"

#include <lookaside/allocator.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "prim/prim.h"

static void *pool_alloc(void *ctx, size_t size, size_t align) {
    la_pool_allocator_t *pa = ctx;
    unsigned type = pa->type;
    if (align > 16) {
        if (align <= LA_POOL_CACHE_ALIGNMENT) {
            type |= LA_POOL_CACHE_ALIGNED;
        } else if (align <= la_prim_caps()->page_size) {
            if (size <= LA_POOL_SMALL_MAX) size = LA_POOL_SMALL_MAX + 1; /* a page-aligned big block */
        } else {
            errno = EINVAL;
            return NULL;
        }
    }
    return la_pool_alloc(type, size, pa->tag, pa->flags);
}

static void pool_free(void *ctx, void *p, size_t size, size_t align) {
    la_pool_allocator_t *pa = ctx;
    (void)size; /* the pool frees by address; its own checks name the misuse */
    (void)align;
    la_pool_free_tag(p, pa->tag);
}

static bool pool_resize(void *ctx, void *p, size_t old_size, size_t new_size, size_t align) {
    (void)ctx;
    (void)old_size;
    (void)align;
    return new_size <= la_pool_block_size(p);
}

int la_pool_allocator_init(la_pool_allocator_t *out, unsigned type, la_tag_t tag, unsigned flags) {
    if (!out || !la_tag_valid(tag) || (type & ~(unsigned)LA_POOL_TYPE_MASK) ||
        (flags & ~LA_POOL_F_MASK))
        return EINVAL;
    la_pool_allocator_t pa;
    memset(&pa, 0, sizeof pa);
    pa.type = type;
    pa.tag = tag;
    pa.flags = flags;
    char t[5];
    snprintf(pa.name, sizeof pa.name, "pool %s", la_tag_format(tag, t));
    *out = pa;
    out->allocator.allocate = pool_alloc;
    out->allocator.free = pool_free;
    out->allocator.resize_in_place = pool_resize;
    out->allocator.ctx = out;
    out->allocator.name = out->name;
    return 0;
}
