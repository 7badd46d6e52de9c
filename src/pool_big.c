/* pool_big.c — pool blocks larger than the largest slab class (32 KiB).
 *
 * What: each big block is its own page-aligned mapping, rounded up to a size step
 * (exact pages up to 8 pages, then four steps per doubling, so a step wastes at
 * most a quarter of the request). A table keyed by address holds every big mapping ever
 * made with its state (live or free), record index and kind: it answers
 * la_pool_block_size, finds the tag on free, and tells a double free (entry free)
 * from a pointer the pool never handed out (no entry). Like the Windows big-page
 * table, big blocks carry no header.
 *
 * Why no munmap: a block handed out may have held S-list entries (a lookaside list
 * of large blocks); DESIGN.md requires such memory to stay mapped while the list can
 * be read. Freed big mappings are therefore kept for reuse by a later request of the
 * same step. Up to LAI_BIG_RESIDENT bytes per kind stay resident for quick reuse; the
 * rest are discarded at once (pages back to the OS, mapping kept). Locked mappings
 * are unlocked before they are discarded and locked again when reused. The only
 * mappings ever unmapped are fresh ones that failed before being handed out.
 *
 * Invariants: an entry's address never changes; `live` entries are owned by a
 * user; free entries sit on their kind's free list for their step.
 * Lock order: big_lock is a leaf (nothing is called with it held except prim). */
#include "pool_impl.h"

#include <stdlib.h>
#include <string.h>

#define LAI_BIG_RESIDENT ((size_t)8 << 20)
#define NBUCKETS_MIN 1024u

typedef struct big_entry {
    char *addr;
    char *rx;                  /* executable view, exec kinds */
    size_t size;               /* mapped bytes (the step) */
    uint32_t idx;              /* record index while live */
    uint8_t kind;
    bool live;
    bool resident;             /* free and not discarded */
    bool locked;               /* pages locked now */
    struct big_entry *hnext;   /* hash chain */
    struct big_entry *fnext;   /* free list of its kind */
} big_entry_t;

static la_prim_lock_t big_lock = LA_PRIM_LOCK_INIT;
static big_entry_t **table;
static size_t nbuckets, nentries;
#define NSTEPS 256u
static big_entry_t *free_list[LA_POOL_KIND_COUNT][NSTEPS]; /* by step index */
static size_t resident_bytes[LA_POOL_KIND_COUNT];
static uint64_t mapped_bytes, locked_bytes;

/* Mapped size for a request, 0 when it cannot be represented. */
static size_t step_of(size_t size) {
    size_t ps = la_prim_caps()->page_size, pages;
    if (size > SIZE_MAX / 2) return 0;
    pages = (size + ps - 1) / ps;
    if (pages > 8) {
        unsigned top = 63u - (unsigned)__builtin_clzll((unsigned long long)pages);
        size_t gran = (size_t)1 << (top - 2);
        pages = (pages + gran - 1) & ~(gran - 1);
    }
    if (pages > SIZE_MAX / ps) return 0;
    return pages * ps;
}

/* Index of a step (a mapped size from step_of): 1..8 for 1..8 pages, then four per
 * doubling. */
static unsigned step_index(size_t bytes) {
    size_t pages = bytes / la_prim_caps()->page_size;
    if (pages <= 8) return (unsigned)pages;
    unsigned top = 63u - (unsigned)__builtin_clzll((unsigned long long)pages);
    unsigned m = (unsigned)(pages >> (top - 2)); /* 4..7 */
    unsigned idx = 8u + (top - 3u) * 4u + (m - 4u);
    return idx < NSTEPS ? idx : NSTEPS - 1; /* the last list holds every larger step */
}

static size_t bucket_of(const void *p) {
    uintptr_t a = (uintptr_t)p >> 12;
    return (size_t)((a * 0x9E3779B97F4A7C15ull) >> 20) & (nbuckets - 1);
}

static big_entry_t *find(const void *p) {
    if (!table) return NULL;
    for (big_entry_t *e = table[bucket_of(p)]; e; e = e->hnext)
        if (e->addr == p) return e;
    return NULL;
}

static int table_insert(big_entry_t *e) {
    if (nentries + 1 > nbuckets) {
        size_t nb = nbuckets ? nbuckets * 2 : NBUCKETS_MIN;
        big_entry_t **nt = calloc(nb, sizeof *nt);
        if (!nt) {
            if (!table) return ENOMEM;
        } else {
            size_t ob = nbuckets;
            big_entry_t **ot = table;
            table = nt;
            nbuckets = nb;
            for (size_t i = 0; i < ob; ++i) {
                for (big_entry_t *x = ot[i], *next; x; x = next) {
                    next = x->hnext;
                    size_t b = bucket_of(x->addr);
                    x->hnext = table[b];
                    table[b] = x;
                }
            }
            free(ot);
        }
    }
    size_t b = bucket_of(e->addr);
    e->hnext = table[b];
    table[b] = e;
    nentries++;
    return 0;
}

static int map_new(unsigned kind, size_t size, big_entry_t **out) {
    big_entry_t *e = calloc(1, sizeof *e);
    if (!e) return ENOMEM;
    int err;
    void *m = NULL, *rx = NULL;
    if (kind & 2u) {
        err = atomic_load_explicit(&lai_pool_refuse_exec, memory_order_relaxed)
                  ? EACCES
                  : la_prim_map_dual(size, &m, &rx);
    } else {
        err = la_prim_map(size, 0, &m);
    }
    if (err) {
        free(e);
        return err;
    }
    e->addr = m;
    e->rx = rx;
    e->size = size;
    e->kind = (uint8_t)kind;
    *out = e;
    return 0;
}

static void unmap_fresh(big_entry_t *e) {
    la_prim_release(e->addr, e->size);
    if (e->rx) la_prim_release(e->rx, e->size);
    free(e);
}

size_t lai_big_block_size(size_t size) { return step_of(size); }

void *lai_big_alloc(unsigned kind, size_t size, uint32_t idx, size_t *block_size, int *err) {
    size_t step = step_of(size);
    if (!step) {
        *err = ENOMEM;
        return NULL;
    }
    la_prim_lock_acquire(&big_lock);
    big_entry_t **pp = &free_list[kind][step_index(step)], *e;
    while ((e = *pp) && e->size != step) pp = &e->fnext;
    if (e) {
        if ((kind & 1u) && !e->locked) {
            int le = la_prim_lock_pages(e->addr, e->size);
            if (le) {
                la_prim_lock_release(&big_lock);
                *err = le == EPERM ? ENOMEM : le;
                return NULL;
            }
            e->locked = true;
            locked_bytes += e->size;
        }
        *pp = e->fnext;
        e->fnext = NULL;
        if (e->resident) resident_bytes[kind] -= e->size;
        e->resident = false;
    } else {
        la_prim_lock_release(&big_lock);
        int me = map_new(kind, step, &e);
        if (me) {
            *err = me;
            return NULL;
        }
        if (kind & 1u) {
            int le = la_prim_lock_pages(e->addr, e->size);
            if (le) {
                unmap_fresh(e);
                *err = le == EPERM ? ENOMEM : le;
                return NULL;
            }
            e->locked = true;
        }
        la_prim_lock_acquire(&big_lock);
        if (table_insert(e) != 0) {
            la_prim_lock_release(&big_lock);
            if (e->locked) la_prim_unlock_pages(e->addr, e->size);
            unmap_fresh(e);
            *err = ENOMEM;
            return NULL;
        }
        mapped_bytes += e->size;
        if (e->locked) locked_bytes += e->size;
    }
    e->live = true;
    e->idx = idx;
    la_prim_lock_release(&big_lock);
    *block_size = step;
    return e->addr;
}

int lai_big_lookup(const void *p, uint32_t *idx, size_t *size, void **rx) {
    la_prim_lock_acquire(&big_lock);
    big_entry_t *e = find(p);
    int r = !e ? ENOENT : !e->live ? EALREADY : 0;
    if (r == 0) {
        if (idx) *idx = e->idx;
        if (size) *size = e->size;
        if (rx) *rx = e->rx;
    }
    la_prim_lock_release(&big_lock);
    return r;
}

static void discard(big_entry_t *e) {
    if (e->locked) {
        la_prim_unlock_pages(e->addr, e->size);
        e->locked = false;
        locked_bytes -= e->size;
    }
    la_prim_discard(e->addr, e->size);
    if (e->resident) resident_bytes[e->kind] -= e->size;
    e->resident = false;
}

int lai_big_free(void *p) {
    la_prim_lock_acquire(&big_lock);
    big_entry_t *e = find(p);
    if (!e || !e->live) {
        la_prim_lock_release(&big_lock);
        return EALREADY;
    }
    e->live = false;
    e->idx = 0;
    if (resident_bytes[e->kind] + e->size <= LAI_BIG_RESIDENT) {
        e->resident = true;
        resident_bytes[e->kind] += e->size;
    } else {
        discard(e);
    }
    big_entry_t **head = &free_list[e->kind][step_index(e->size)];
    e->fnext = *head;
    *head = e;
    la_prim_lock_release(&big_lock);
    return 0;
}

void lai_big_trim(void) {
    la_prim_lock_acquire(&big_lock);
    for (unsigned k = 0; k < LA_POOL_KIND_COUNT; ++k)
        for (unsigned i = 0; i < NSTEPS; ++i)
            for (big_entry_t *e = free_list[k][i]; e; e = e->fnext)
                if (e->resident) discard(e);
    la_prim_lock_release(&big_lock);
}

void lai_big_stats(la_pool_stats_t *out) {
    la_prim_lock_acquire(&big_lock);
    out->bytes_mapped += mapped_bytes;
    out->bytes_locked += locked_bytes;
    for (unsigned k = 0; k < LA_POOL_KIND_COUNT; ++k) out->bytes_cached += resident_bytes[k];
    la_prim_lock_release(&big_lock);
}
