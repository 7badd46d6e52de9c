/* pool_slab.c — size classes, segments and slabs: where pool blocks of up to 32 KiB
 * live.
 *
 * What: memory of each pool kind (paged, locked, and both executable) is mapped in
 * 4 MiB segments aligned to 4 MiB, cut into 64 slabs of 64 KiB. A slab is given
 * one size class the first time it is used and keeps it for the life of the
 * process. Each slab has an out-of-line array with one 32-bit record per slot: the
 * index of the (tag, kind) record the block is charged to, or 0 while it is free.
 * That array is how a free on any thread finds the block's tag, how a double free
 * is caught, and how a pointer the pool never handed out is told apart.
 *
 * Why this shape:
 *   - Alignment rules without headers: sub-page slots are laid out per 4 KiB unit
 *     (floor(4096 / size) slots per unit), so a block under a page never crosses a
 *     page; slot sizes are multiples of 16 (64 for the cache-aligned classes) and
 *     units are page-aligned, so blocks are 16- (64-) byte aligned; blocks of a page
 *     or more start on a page.
 *   - Address -> slab without a chain of lookups: segments are 4 MiB-aligned and
 *     keep their descriptor in their own first slab, so the descriptor is the
 *     address rounded down; a bitmap with one bit per 4 MiB granule (lai_seg_bits)
 *     says whether that address is a pool segment at all (checked first, so a
 *     foreign pointer is never dereferenced). The slab descriptor holds a copy of
 *     its class's layout next to its slot-record pointer (one cache line), and the
 *     slot is an exact multiply-shift division.
 *   - Memory comes back without unmapping: when a slab's last block comes back and
 *     its class already holds LAI_EMPTY_KEEP (64) wholly free slabs — 4 MiB, enough
 *     that a batch working set does not fault its pages back in on every round (the
 *     trap glibc's default trim threshold falls into) — the slab's pages are
 *     discarded; past LAI_EMPTY_KEEP_TOTAL (16 MiB) in the process the oldest empty
 *     slab anywhere goes first
 *     (MADV_DONTNEED through la_prim_discard; locked slabs are unlocked first). The
 *     mapping stays read-write, so a lock-free S-list reader that touches a block
 *     after it went back to the pool reads zeros instead of faulting. Rule: the pool
 *     never unmaps memory that has been handed out (segments live until exit).
 *   - Locked (non-paged) memory is locked one slab at a time when the slab is put in
 *     service; RLIMIT_MEMLOCK therefore fails a refill with ENOMEM, leaving nothing
 *     locked or handed out.
 *   - Executable kinds use dual-mapped segments (la_prim_map_dual): blocks are the
 *     read-write view, lai_slab_exec_view() gives the read-execute alias. Discarding
 *     a shared mapping drops it from RSS, but the memory object keeps its pages, so
 *     executable pool memory is not returned to the system until exit (documented).
 *
 * Invariants:
 *   - slab->meta, klass, front_idx and front_off are written once, before any block of the slab is
 *     handed out, and published with a release store of meta; readers that find meta
 *     NULL treat the address as not a block.
 *   - A block is in exactly one place: with a user (record != 0), in a thread front
 *     or in its slab's free list / unbumped range (record == 0).
 *   - slab->used counts blocks out of the slab (fronts + users); a slab is on its
 *     class's available list iff it has a free or unbumped slot.
 * Lock order: class lock -> segment lock (per kind). Neither is held while calling
 * out of this file except into prim. */
#include "pool_impl.h"

#include <stdlib.h>
#include <string.h>

#define INV(d) ((uint32_t)((((uint64_t)1 << 32) + (d) - 1) / (d)))
/* Thread front capacity: LAI_FRONT_MAX blocks for classes up to 1 KiB (a batch of
 * 1000 plus a refill must fit, or every batch pushes half a front back to the
 * slabs and takes it again), else LAI_FRONT_BYTES worth, at least 4. */
#define FRONT_CAP(s)                                                                    \
    ((s) <= 1024u ? LAI_FRONT_MAX                                                       \
     : (LAI_FRONT_BYTES / (s)) > LAI_FRONT_MAX ? LAI_FRONT_MAX                          \
     : (LAI_FRONT_BYTES / (s)) < 4             ? 4u                                     \
                                               : (LAI_FRONT_BYTES / (s)))
#define CLASS(s, sh)                                                                   \
    {(s), (sh), (1u << (sh)) - 1, (1u << (sh)) / (s),                                   \
     ((1u << (sh)) / (s)) * (1u << (LAI_SLAB_SHIFT - (sh))), INV(s), FRONT_CAP(s), 0}

const lai_class_t lai_classes[LAI_NCLASSES] = {
    CLASS(16, 12),
    CLASS(32, 12),
    CLASS(48, 12),
    CLASS(64, 12),
    CLASS(80, 12),
    CLASS(96, 12),
    CLASS(112, 12),
    CLASS(128, 12),
    CLASS(160, 12),
    CLASS(192, 12),
    CLASS(224, 12),
    CLASS(256, 12),
    CLASS(320, 12),
    CLASS(384, 12),
    CLASS(448, 12),
    CLASS(512, 12),
    CLASS(640, 12),
    CLASS(768, 12),
    CLASS(1024, 12),
    CLASS(1360, 12),
    CLASS(2048, 12),
    CLASS(4096, 12),
    CLASS(8192, 16),
    CLASS(12288, 16),
    CLASS(16384, 16),
    CLASS(32768, 16),
};

const uint8_t lai_small_class[257] = {
    0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 12, 12, 13, 13, 13,
    13, 14, 14, 14, 14, 15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 17, 17,
    17, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 19, 19, 19, 19, 19, 19, 19,
    19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
    20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
    20, 20, 20, 20, 20, 20, 20, 20, 20, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
    21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
    21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
    21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
    21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
    21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
};
static const uint8_t aligned_class[65] = {
    3, 3, 7, 9, 11, 12, 13, 14, 15, 16, 16, 17, 17, 18, 18, 18, 18, 20, 20, 20, 20, 20, 20, 20,
    20, 20, 20, 20, 20, 20, 20, 20, 20, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
    21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
};

int lai_class_of(size_t size, bool cache_aligned) {
    if (size == 0) size = 1;
    if (size <= LAI_UNIT)
        return cache_aligned ? aligned_class[(size + 63) >> 6] : lai_small_class[(size + 15) >> 4];
    for (int c = 0; c < LAI_NCLASSES; ++c)
        if (lai_classes[c].size >= size) return c; /* page classes are 64-byte multiples */
    return -1;
}

/* ---- registry ------------------------------------------------------------------------ */

_Atomic uint64_t lai_seg_bits[LAI_SEG_WORDS];

static void seg_register(const lai_segment_t *seg) {
    uintptr_t g = (uintptr_t)seg >> LAI_SEG_SHIFT;
    atomic_fetch_or_explicit(&lai_seg_bits[g >> 6], (uint64_t)1 << (g & 63), memory_order_release);
}

/* ---- segments ------------------------------------------------------------------------- */

typedef struct kind_state {
    la_prim_lock_t lock;       /* segment lock */
    lai_segment_t *current;    /* segment slabs are taken from */
    uint64_t segments;
} kind_state_t;

typedef struct class_state {
    la_prim_lock_t lock;
    lai_slab_t *head, *tail;   /* available: slabs with a free or unbumped slot */
    uint32_t empty;            /* active slabs with used == 0 */
} class_state_t;

static kind_state_t kinds[LA_POOL_KIND_COUNT];
static class_state_t classes[LA_POOL_KIND_COUNT][LAI_NCLASSES];

static _Atomic uint64_t st_mapped, st_locked, st_cached, st_discarded;

_Atomic int lai_pool_refuse_exec;

static bool kind_exec(unsigned kind) { return (kind & 2u) != 0; }
static bool kind_locked(unsigned kind) { return (kind & 1u) != 0; }

/* Map one 4 MiB-aligned segment of `kind` and write its descriptor into its first slab. */
static int map_segment(unsigned kind, lai_segment_t **out) {
    char *base, *rx = NULL;
    int e;
    if (kind_exec(kind)) {
        if (atomic_load_explicit(&lai_pool_refuse_exec, memory_order_relaxed)) return EACCES;
        /* Map twice the size, keep the 4 MiB-aligned window of the writable view and
         * the same window of the executable view; unmap the rest (never handed out),
         * and the executable alias of the descriptor slab too. */
        void *rwv, *rxv;
        e = la_prim_map_dual(2 * LAI_SEG_SIZE, &rwv, &rxv);
        if (e) return e;
        char *r = rwv, *x = rxv;
        base = (char *)(((uintptr_t)r + LAI_SEG_SIZE - 1) & ~(uintptr_t)(LAI_SEG_SIZE - 1));
        size_t head = (size_t)(base - r), tail = LAI_SEG_SIZE - head;
        if (head) {
            la_prim_release(r, head);
            la_prim_release(x, head);
        }
        if (tail) {
            la_prim_release(base + LAI_SEG_SIZE, tail);
            la_prim_release(x + head + LAI_SEG_SIZE, tail);
        }
        rx = x + head;
        la_prim_release(rx, LAI_SLAB_SIZE);
    } else {
        void *m;
        e = la_prim_map(LAI_SEG_SIZE, LAI_SEG_SIZE, &m);
        if (e) return e;
        base = m;
    }
    if (((uintptr_t)base >> LAI_ADDR_BITS) != 0) { /* beyond the bitmap: never handed out */
        la_prim_release(base, LAI_SEG_SIZE);
        if (rx) la_prim_release(rx + LAI_SLAB_SIZE, LAI_SEG_SIZE - LAI_SLAB_SIZE);
        return ENOMEM;
    }
    lai_segment_t *seg = (lai_segment_t *)(void *)base; /* fresh pages read as zero */
    seg->rx = rx;
    seg->kind = (uint8_t)kind;
    seg->formatted = 1;
    for (unsigned i = 0; i < LAI_SEG_SLABS; ++i) {
        seg->slabs[i].base = base + i * LAI_SLAB_SIZE;
        seg->slabs[i].kind = (uint8_t)kind;
    }
    seg_register(seg);
    atomic_fetch_add_explicit(&st_mapped, LAI_SEG_SIZE, memory_order_relaxed);
    *out = seg;
    return 0;
}

/* Slot-record arrays come from a private bump arena of mapped memory: they live as
 * long as their slab (the whole process), never go through malloc (so the pool
 * does not depend on it and leak checkers, which do not scan our mappings, see no
 * orphaned heap blocks), and read as zero when fresh. */
#define META_CHUNK ((size_t)4 << 20)
static la_prim_lock_t meta_lock = LA_PRIM_LOCK_INIT;
static char *meta_next, *meta_end;

static _Atomic uint32_t *meta_alloc(size_t n) {
    size_t bytes = (n * sizeof(uint32_t) + 63) & ~(size_t)63;
    la_prim_lock_acquire(&meta_lock);
    if (!meta_next || (size_t)(meta_end - meta_next) < bytes) {
        void *m;
        if (la_prim_map(META_CHUNK, 0, &m) != 0) {
            la_prim_lock_release(&meta_lock);
            return NULL;
        }
        meta_next = m; /* the tail of the previous chunk is abandoned (< 16 KiB) */
        meta_end = meta_next + META_CHUNK;
        atomic_fetch_add_explicit(&st_mapped, META_CHUNK, memory_order_relaxed);
    }
    _Atomic uint32_t *r = (_Atomic uint32_t *)(void *)meta_next;
    meta_next += bytes;
    la_prim_lock_release(&meta_lock);
    return r;
}

/* Put a new slab of (kind, cls) in service. Caller holds the class lock. */
static int new_slab(unsigned kind, unsigned cls, lai_slab_t **out) {
    const lai_class_t *c = &lai_classes[cls];
    kind_state_t *ks = &kinds[kind];
    la_prim_lock_acquire(&ks->lock);
    if (!ks->current || ks->current->formatted == LAI_SEG_SLABS) {
        lai_segment_t *seg;
        int e = map_segment(kind, &seg);
        if (e) {
            la_prim_lock_release(&ks->lock);
            return e;
        }
        ks->current = seg;
        ks->segments++;
    }
    lai_slab_t *s = &ks->current->slabs[ks->current->formatted];
    if (kind_locked(kind)) {
        int e = la_prim_lock_pages(s->base, LAI_SLAB_SIZE);
        if (e) {
            la_prim_lock_release(&ks->lock);
            return e == EPERM ? ENOMEM : e;
        }
        atomic_fetch_add_explicit(&st_locked, LAI_SLAB_SIZE, memory_order_relaxed);
    }
    _Atomic uint32_t *meta = meta_alloc(c->nslots);
    if (!meta) {
        if (kind_locked(kind)) {
            la_prim_unlock_pages(s->base, LAI_SLAB_SIZE);
            atomic_fetch_sub_explicit(&st_locked, LAI_SLAB_SIZE, memory_order_relaxed);
        }
        la_prim_lock_release(&ks->lock);
        return ENOMEM;
    }
    ks->current->formatted++;
    la_prim_lock_release(&ks->lock);
    s->state = LAI_SLAB_ACTIVE;
    s->used = 0;
    s->bump = 0;
    s->free = NULL;
    s->klass = c;
    s->size = c->size;
    s->size_inv = c->size_inv;
    s->unit_mask = (uint16_t)c->unit_mask;
    s->unit_shift = (uint8_t)c->unit_shift;
    s->per_unit = (uint16_t)c->per_unit;
    s->front_idx = (uint16_t)LAI_FRONT_IDX(kind, cls);
    s->front_off = (uint32_t)(offsetof(lai_thread_t, front) + LAI_FRONT_IDX(kind, cls) * sizeof(lai_front_t));
    atomic_store_explicit(&s->meta, meta, memory_order_release);
    *out = s;
    return 0;
}

static void list_push_head(class_state_t *cs, lai_slab_t *s) {
    s->prev = NULL;
    s->next = cs->head;
    if (cs->head) cs->head->prev = s; else cs->tail = s;
    cs->head = s;
    s->listed = true;
}

static void list_push_tail(class_state_t *cs, lai_slab_t *s) {
    s->next = NULL;
    s->prev = cs->tail;
    if (cs->tail) cs->tail->next = s; else cs->head = s;
    cs->tail = s;
    s->listed = true;
}

static void list_remove(class_state_t *cs, lai_slab_t *s) {
    if (s->prev) s->prev->next = s->next; else cs->head = s->next;
    if (s->next) s->next->prev = s->prev; else cs->tail = s->prev;
    s->next = s->prev = NULL;
    s->listed = false;
}

static char *slot_addr(const lai_slab_t *s, const lai_class_t *c, uint32_t i) {
    uint32_t u = i / c->per_unit, j = i - u * c->per_unit;
    return s->base + ((size_t)u << c->unit_shift) + (size_t)j * c->size;
}

static uint32_t slot_index(const lai_slab_t *s, const lai_class_t *c, const void *b) {
    uint32_t so = (uint32_t)((const char *)b - s->base);
    return (so >> c->unit_shift) * c->per_unit + lai_div(so & c->unit_mask, c->size_inv);
}

/* ---- wholly free slabs ---------------------------------------------------------------
 * A slab whose last block came back stays resident (its pages mapped in) so the
 * next burst does not fault them in again, up to LAI_EMPTY_KEEP per class and
 * LAI_EMPTY_KEEP_TOTAL bytes in all. Beyond that the oldest empty slab in the
 * process is discarded first — usually one of a class that went idle — so a
 * program moving from one size to another keeps the slabs of the size it uses now.
 * The global list is under empty_lock (a leaf); a slab's in_empty flag and its
 * membership change only with its class lock held too. */
static la_prim_lock_t empty_lock = LA_PRIM_LOCK_INIT;
static lai_slab_t *empty_head, *empty_tail;

static void empty_enter(class_state_t *cs, lai_slab_t *s) {
    cs->empty++;
    s->in_empty = true;
    la_prim_lock_acquire(&empty_lock);
    s->e_next = NULL;
    s->e_prev = empty_tail;
    if (empty_tail) empty_tail->e_next = s; else empty_head = s;
    empty_tail = s;
    la_prim_lock_release(&empty_lock);
    atomic_fetch_add_explicit(&st_cached, LAI_SLAB_SIZE, memory_order_relaxed);
}

static void empty_leave(class_state_t *cs, lai_slab_t *s) {
    cs->empty--;
    s->in_empty = false;
    la_prim_lock_acquire(&empty_lock);
    if (s->e_prev) s->e_prev->e_next = s->e_next; else empty_head = s->e_next;
    if (s->e_next) s->e_next->e_prev = s->e_prev; else empty_tail = s->e_prev;
    s->e_next = s->e_prev = NULL;
    la_prim_lock_release(&empty_lock);
    atomic_fetch_sub_explicit(&st_cached, LAI_SLAB_SIZE, memory_order_relaxed);
}

/* Return a wholly free slab's pages to the OS. Caller holds the class lock. */
static void discard_slab(class_state_t *cs, lai_slab_t *s) {
    if (kind_locked(s->kind)) {
        la_prim_unlock_pages(s->base, LAI_SLAB_SIZE);
        atomic_fetch_sub_explicit(&st_locked, LAI_SLAB_SIZE, memory_order_relaxed);
    }
    la_prim_discard(s->base, LAI_SLAB_SIZE);
    s->free = NULL;
    s->bump = 0;
    s->state = LAI_SLAB_DISCARDED;
    empty_leave(cs, s);
    atomic_fetch_add_explicit(&st_discarded, 1, memory_order_relaxed);
    /* Discarded slabs go last: partly used slabs are preferred, so empties stay empty. */
    if (s->listed) list_remove(cs, s);
    list_push_tail(cs, s);
}

/* Over the process-wide bound: discard the oldest empty slabs. Caller holds `mine`;
 * other classes' locks are only tried (never waited for), so no lock-order cycle. */
static void evict_oldest(class_state_t *mine) {
    for (int tries = 0; tries < 8; ++tries) {
        if (atomic_load_explicit(&st_cached, memory_order_relaxed) <= LAI_EMPTY_KEEP_TOTAL) return;
        la_prim_lock_acquire(&empty_lock);
        lai_slab_t *v = empty_head;
        la_prim_lock_release(&empty_lock);
        if (!v) return;
        class_state_t *vc = &classes[v->kind][v->klass - lai_classes];
        if (vc == mine) {
            if (v->in_empty) discard_slab(mine, v);
            continue;
        }
        if (!la_prim_lock_try(&vc->lock)) return; /* busy: another release will evict */
        if (v->in_empty) discard_slab(vc, v);
        la_prim_lock_release(&vc->lock);
    }
}

unsigned lai_slab_refill(unsigned kind, unsigned cls, lai_fitem_t *out, unsigned n, int *err) {
    const lai_class_t *c = &lai_classes[cls];
    class_state_t *cs = &classes[kind][cls];
    unsigned got = 0;
    la_prim_lock_acquire(&cs->lock);
    while (got < n) {
        lai_slab_t *s = cs->head;
        if (!s) {
            int e = new_slab(kind, cls, &s);
            if (e) {
                *err = e;
                break;
            }
            list_push_head(cs, s);
        } else if (s->state == LAI_SLAB_DISCARDED) {
            if (kind_locked(kind)) {
                int e = la_prim_lock_pages(s->base, LAI_SLAB_SIZE);
                if (e) {
                    *err = e == EPERM ? ENOMEM : e;
                    break;
                }
                atomic_fetch_add_explicit(&st_locked, LAI_SLAB_SIZE, memory_order_relaxed);
            }
            s->state = LAI_SLAB_ACTIVE;
        } else if (s->in_empty) {
            empty_leave(cs, s);
        }
        _Atomic uint32_t *meta = atomic_load_explicit(&s->meta, memory_order_relaxed);
        while (got < n && s->free) {
            void *b = s->free;
            s->free = *(void **)b;
            out[got].p = b;
            out[got++].meta = meta + slot_index(s, c, b);
            s->used++;
        }
        while (got < n && s->bump < c->nslots) {
            out[got].p = slot_addr(s, c, s->bump);
            out[got++].meta = meta + s->bump++;
            s->used++;
        }
        if (!s->free && s->bump == c->nslots) list_remove(cs, s);
    }
    la_prim_lock_release(&cs->lock);
    return got;
}

void lai_slab_release(unsigned kind, unsigned cls, const lai_fitem_t *items, unsigned n) {
    class_state_t *cs = &classes[kind][cls];
    la_prim_lock_acquire(&cs->lock);
    for (unsigned i = 0; i < n; ++i) {
        void *b = items[i].p;
        lai_segment_t *seg = lai_segment_of(b);
        lai_slab_t *s = &seg->slabs[((uintptr_t)b & (LAI_SEG_SIZE - 1)) >> LAI_SLAB_SHIFT];
        *(void **)b = s->free;
        s->free = b;
        if (!s->listed) list_push_head(cs, s);
        if (--s->used == 0) {
            empty_enter(cs, s);
            if (cs->empty > LAI_EMPTY_KEEP) {
                discard_slab(cs, s);
            } else {
                if (s != cs->tail) {
                    list_remove(cs, s);
                    list_push_tail(cs, s);
                }
                evict_oldest(cs);
            }
        }
    }
    la_prim_lock_release(&cs->lock);
}

void lai_slab_trim(void) {
    for (unsigned k = 0; k < LA_POOL_KIND_COUNT; ++k) {
        for (unsigned c = 0; c < LAI_NCLASSES; ++c) {
            class_state_t *cs = &classes[k][c];
            la_prim_lock_acquire(&cs->lock);
            lai_slab_t *s = cs->head;
            while (s && cs->empty) {
                lai_slab_t *next = s->next;
                if (s->in_empty) discard_slab(cs, s);
                s = next;
            }
            la_prim_lock_release(&cs->lock);
        }
    }
}

void lai_slab_stats(la_pool_stats_t *out) {
    out->bytes_mapped += atomic_load_explicit(&st_mapped, memory_order_relaxed);
    out->bytes_locked += atomic_load_explicit(&st_locked, memory_order_relaxed);
    out->bytes_cached += atomic_load_explicit(&st_cached, memory_order_relaxed);
    out->slabs_discarded += atomic_load_explicit(&st_discarded, memory_order_relaxed);
}

void *lai_slab_exec_view(const void *p) {
    lai_segment_t *seg = lai_segment_of(p);
    if (!seg || !seg->rx) return NULL;
    return seg->rx + ((uintptr_t)p & (LAI_SEG_SIZE - 1));
}
