/* pool_cache.c — the per-thread front of the slab classes.
 *
 * What: each thread keeps, per (kind, size class), a stack of free blocks (an array
 * of pointers, never links through the blocks). la_pool_alloc pops, la_pool_free
 * pushes; only an empty or full stack reaches the shared slab class (its lock), and
 * then half a stack moves at once.
 *
 * Why: Windows serves small pool blocks from per-processor lookaside lists; a
 * shared structure touched on every call costs 13-15 ns per pair here and collapses
 * with two threads (research/perf-anchors.md §6). This front is deliberately the
 * smallest thing that does the job. It is not the lookaside engine's tier because
 * that tier adds a 16-byte trailer per block in checked builds and carries block
 * pointers only, while this one carries each block's slot record (docs/pool.md,
 * "The small-size path"). The interface here (refill one / overflow one / flush all
 * over lai_slab_refill / lai_slab_release) is the seam if that changes.
 *
 * Bounds: a stack holds lai_class_t.front_cap blocks: 2048 for classes up to 1 KiB,
 * 1 MiB worth above (at least 4); refills and overflows move half of that. Arrays are allocated on first use of a
 * class by a thread and freed at thread exit, after their blocks went back.
 *
 * A front also carries its class's packed-counter increment (LAI_PEND_INC of the
 * class size), set when its array is allocated, so both fast paths count with one
 * add; fronts are indexed [class][kind] (LAI_FRONT_IDX) with 32-byte entries.
 *
 * Invariants: every block in a front has slot record 0 and counts in its slab's
 * `used`; a front is touched only by its thread (the orphan's under its lock).
 * Lock order: takes slab class locks only (through pool_slab.c). */
#include "pool_impl.h"

#include <stdlib.h>
#include <string.h>

static bool front_ready(lai_thread_t *t, unsigned kind, unsigned cls) {
    lai_front_t *f = &t->front[LAI_FRONT_IDX(kind, cls)];
    if (f->items) return true;
    if (t->orphan) return false;
    uint32_t cap = lai_classes[cls].front_cap;
    f->items = malloc(cap * sizeof *f->items);
    if (!f->items) return false;
    f->cap = cap;
    f->count = 0;
    f->pend_inc = LAI_PEND_INC(lai_classes[cls].size);
    return true;
}

int lai_front_refill(lai_thread_t *t, unsigned kind, unsigned cls, lai_fitem_t *out) {
    lai_front_t *f = &t->front[LAI_FRONT_IDX(kind, cls)];
    int err = 0;
    if (f->count) {
        *out = f->items[--f->count];
        return 0;
    }
    if (!front_ready(t, kind, cls)) return lai_slab_refill(kind, cls, out, 1, &err) ? 0 : err;
    unsigned n = lai_slab_refill(kind, cls, f->items, f->cap / 2, &err);
    if (!n) return err;
    f->count = n - 1;
    *out = f->items[n - 1];
    return 0;
}

void lai_front_overflow(lai_thread_t *t, unsigned kind, unsigned cls, lai_fitem_t item) {
    lai_front_t *f = &t->front[LAI_FRONT_IDX(kind, cls)];
    if (!front_ready(t, kind, cls)) {
        lai_slab_release(kind, cls, &item, 1);
        return;
    }
    if (f->count == f->cap) {
        /* Give back the older half; keep the most recently freed (cache-hot) blocks. */
        uint32_t half = f->cap / 2;
        lai_slab_release(kind, cls, f->items, half);
        memmove(f->items, f->items + half, (f->cap - half) * sizeof *f->items);
        f->count = f->cap - half;
    }
    f->items[f->count++] = item;
}

void lai_front_flush_all(lai_thread_t *t) {
    for (unsigned k = 0; k < LA_POOL_KIND_COUNT; ++k) {
        for (unsigned c = 0; c < LAI_NCLASSES; ++c) {
            lai_front_t *f = &t->front[LAI_FRONT_IDX(k, c)];
            if (f->count) lai_slab_release(k, c, f->items, f->count);
            f->count = 0;
            free(f->items);
            f->items = NULL;
            f->cap = 0;
        }
    }
}

uint64_t lai_front_cached_bytes(lai_thread_t *t) {
    uint64_t sum = 0;
    for (unsigned k = 0; k < LA_POOL_KIND_COUNT; ++k)
        for (unsigned c = 0; c < LAI_NCLASSES; ++c)
            sum += (uint64_t)t->front[LAI_FRONT_IDX(k, c)].count * lai_classes[c].size;
    return sum;
}
