/* lookaside_depot.c — the depot of a lookaside list and the backing behind it.
 *
 * 1. What
 *    Three things that sit between the magazines and the memory:
 *      a. The Windows-shaped depot (lai_depot_*): GENERAL_LOOKASIDE's field block
 *         with Windows' per-block semantics on a sequenced S-list. The WDK layer's
 *         ExAllocateFromLookasideListEx / ExFreeToLookasideListEx land here directly,
 *         and so does every call of a native cache created with
 *         LA_LOOKASIDE_DEPOT_ONLY.
 *      b. The magazine store of a native cache (lai_store_*): full magazines that
 *         threads deposited and spare empty ones, bounded by the depot's Depth.
 *      c. The backing (lai_backing_*): the tagged pool, a region (blocks carved
 *         in order, returned ones kept on a free list threaded through their first
 *         word under cc_rg_lock, a leaf lock), or the caller's callbacks, with the
 *         constructor / destructor and, in checked builds, the block trailer that
 *         lets misuse be reported.
 *
 * 2. Why a lock for the store and an S-list for blocks
 *    The store is visited once per magazine (16..1024 operations), so its cost is
 *    amortised either way; a lock makes it simple to count exactly, to split a
 *    magazine (trim to a block count) and to free magazines of any size at any
 *    time. A lock-free list of magazines would need them type-stable (the S-list's
 *    memory rule) and could not split them. The per-block path keeps Windows'
 *    S-list because that path *is* Windows' semantics: one CAS per call, counters
 *    as plain increments, the first pointer of a cached block used as the link.
 *
 * 3. Invariants
 *    - cc_depot_blocks == sum of mg_count over cc_full (changed under cc_lock only;
 *      read anywhere as a recent value). Every magazine on cc_full has rounds;
 *      every one on cc_empty has none; cc_nempty <= LAI_EMPTY_KEEP.
 *    - A deposit is accepted when blocks + its rounds <= Depth, when the store is
 *      empty (one magazine, at most MaximumDepth rounds, is always welcome: without
 *      it a producer / consumer pair could hand nothing over while Depth is small,
 *      e.g. right after an idle spell shrank it to 4), or when forced (a thread
 *      exiting or flushing its magazines: the blocks stay available to other
 *      threads and the tuner gives back what exceeds Depth).
 *    - Checked builds: a block the cache holds carries a trailer
 *      {cache ^ key, FREE, ~FREE}; a handed-out block {cache ^ key, LIVE, ~LIVE};
 *      a block given back to the backing has its trailer cleared.
 *    - WDK depot counters are 32-bit plain increments (relaxed load + store): they
 *      lose counts under races and wrap, as Windows' inline functions do.
 *
 * 4. Lock order: cc_lock is a leaf; nothing here calls out (backing callbacks,
 *    constructors, destructors, la_fatal) while holding it.
 */
#include "lookaside_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- a. the Windows-shaped depot ----------------------------------------------------------- */

void lai_depot_init(lai_depot_t *d, uint32_t kind, int32_t type, uint32_t tag, uint32_t size) {
    memset(d, 0, sizeof *d);
    la_sslist_init(&d->dp_list);
    d->dp_depth = LAI_WDK_DEFAULT_DEPTH;
    d->dp_max_depth = LAI_WDK_DEFAULT_MAX_DEPTH;
    d->dp_type = type;
    d->dp_tag = tag;
    d->dp_size = size;
    d->dp_kind = kind;
    la_list_init(&d->dp_link);
}

static void *depot_backing_alloc(lai_depot_t *d) {
    switch (d->dp_kind) {
    case LAI_DEPOT_KIND_PLAIN: return d->dp_alloc.plain(d->dp_type, d->dp_size, d->dp_tag);
    case LAI_DEPOT_KIND_EX: return d->dp_alloc.ex(d->dp_type, d->dp_size, d->dp_tag, d);
    default: return lai_backing_alloc(lai_cache_of(d));
    }
}

static void depot_backing_free(lai_depot_t *d, void *b) {
    switch (d->dp_kind) {
    case LAI_DEPOT_KIND_PLAIN: d->dp_free.plain(b); break;
    case LAI_DEPOT_KIND_EX: d->dp_free.ex(b, d); break;
    default: lai_backing_free(lai_cache_of(d), b); break;
    }
}

void *lai_depot_alloc(lai_depot_t *d) {
    LAI_BUMP(&d->dp_total_allocs);
    void *b = la_sslist_pop(&d->dp_list);
    if (b) return b;
    LAI_BUMP(&d->dp_alloc_misses);
    return depot_backing_alloc(d);
}

void lai_depot_free(lai_depot_t *d, void *b) {
    LAI_BUMP(&d->dp_total_frees);
    if (la_sslist_depth(&d->dp_list) >= LAI_LOAD(&d->dp_depth)) {
        LAI_BUMP(&d->dp_free_misses);
        depot_backing_free(d, b);
        return;
    }
    la_sslist_push(&d->dp_list, b);
}

size_t lai_depot_trim_blocks(lai_depot_t *d, size_t keep) {
    size_t n = 0;
    while (la_sslist_depth(&d->dp_list) > keep) {
        void *b = la_sslist_pop(&d->dp_list);
        if (!b) break;
        depot_backing_free(d, b);
        ++n;
    }
    return n;
}

size_t lai_depot_flush(lai_depot_t *d) {
    size_t n = 0;
    la_sslist_entry_t *e = la_sslist_flush(&d->dp_list);
    while (e) {
        la_sslist_entry_t *next = e->next;
        depot_backing_free(d, e);
        e = next;
        ++n;
    }
    return n;
}

void lai_depot_delete(lai_depot_t *d) {
    lai_depot_unregister(d);
    lai_depot_flush(d);
}

/* ---- b. the magazine store ------------------------------------------------------------------ */

static void store_lock(la_lookaside_t *c) {
    if (LA_LIKELY(la_prim_lock_try(&c->cc_lock))) return;
    la_prim_lock_acquire(&c->cc_lock);
    c->cc_depot_contention++;
}

static void store_unlock(la_lookaside_t *c) { la_prim_lock_release(&c->cc_lock); }

static void blocks_add(la_lookaside_t *c, int64_t delta) {
    uint64_t v = atomic_load_explicit(&c->cc_depot_blocks, memory_order_relaxed);
    atomic_store_explicit(&c->cc_depot_blocks, v + (uint64_t)delta, memory_order_relaxed);
}

/* Under cc_lock: keep `m` as a spare, or return it for the caller to free. */
static lai_mag_t *keep_empty_locked(la_lookaside_t *c, lai_mag_t *m) {
    if (c->cc_nempty >= LAI_EMPTY_KEEP) return m;
    m->mg_count = 0;
    m->mg_next = c->cc_empty;
    c->cc_empty = m;
    c->cc_nempty++;
    return NULL;
}

/* Under cc_lock: unlink a spare with at least `cap` rounds of room. */
static lai_mag_t *take_empty_locked(la_lookaside_t *c, uint32_t cap) {
    for (lai_mag_t **pp = &c->cc_empty; *pp; pp = &(*pp)->mg_next) {
        lai_mag_t *m = *pp;
        if (m->mg_cap >= cap) {
            *pp = m->mg_next;
            c->cc_nempty--;
            m->mg_next = NULL;
            return m;
        }
    }
    return NULL;
}

lai_mag_t *lai_store_take_full(la_lookaside_t *c, lai_mag_t *give_empty) {
    lai_mag_t *spill = NULL;
    store_lock(c);
    lai_mag_t *m = c->cc_full;
    if (m) {
        c->cc_full = m->mg_next;
        m->mg_next = NULL;
        blocks_add(c, -(int64_t)m->mg_count);
        if (give_empty) spill = keep_empty_locked(c, give_empty);
    }
    store_unlock(c);
    free(spill);
    return m;
}

bool lai_store_put_full(la_lookaside_t *c, lai_mag_t *m, bool force, uint32_t want_cap,
                        lai_mag_t **empty_out) {
    store_lock(c);
    uint64_t blocks = atomic_load_explicit(&c->cc_depot_blocks, memory_order_relaxed);
    bool ok = force || blocks == 0 || blocks + m->mg_count <= LAI_LOAD(&c->cc_depot.dp_depth);
    if (ok) {
        m->mg_next = c->cc_full;
        c->cc_full = m;
        blocks_add(c, m->mg_count);
        if (empty_out) *empty_out = take_empty_locked(c, want_cap);
    }
    store_unlock(c);
    return ok;
}

lai_mag_t *lai_store_take_empty(la_lookaside_t *c, uint32_t want_cap) {
    store_lock(c);
    lai_mag_t *m = take_empty_locked(c, want_cap);
    store_unlock(c);
    return m;
}

void lai_store_put_empty(la_lookaside_t *c, lai_mag_t *m) {
    if (!m) return;
    store_lock(c);
    lai_mag_t *spill = keep_empty_locked(c, m);
    store_unlock(c);
    free(spill);
}

size_t lai_store_take_rounds(la_lookaside_t *c, void **out, size_t max, size_t keep) {
    size_t n = 0;
    lai_mag_t *spill = NULL;
    store_lock(c);
    uint64_t blocks = atomic_load_explicit(&c->cc_depot_blocks, memory_order_relaxed);
    while (n < max && blocks > keep && c->cc_full) {
        lai_mag_t *m = c->cc_full;
        size_t take = m->mg_count;
        if (take > max - n) take = max - n;
        if (take > blocks - keep) take = (size_t)(blocks - keep);
        m->mg_count -= (uint32_t)take;
        memcpy(out + n, m->mg_rounds + m->mg_count, take * sizeof *out);
        n += take;
        blocks -= take;
        if (m->mg_count == 0) {
            c->cc_full = m->mg_next;
            lai_mag_t *s = keep_empty_locked(c, m);
            if (s) {
                s->mg_next = spill;
                spill = s;
            }
        }
    }
    atomic_store_explicit(&c->cc_depot_blocks, blocks, memory_order_relaxed);
    store_unlock(c);
    while (spill) {
        lai_mag_t *next = spill->mg_next;
        free(spill);
        spill = next;
    }
    return n;
}

size_t lai_store_trim(la_lookaside_t *c, size_t keep) {
    void *batch[LAI_BATCH];
    size_t total = 0, n;
    while ((n = lai_store_take_rounds(c, batch, LAI_BATCH, keep)) != 0) {
        lai_backing_release(c, batch, n);
        total += n;
    }
    /* Spare magazines are metadata: give them back too. */
    store_lock(c);
    lai_mag_t *spare = c->cc_empty;
    c->cc_empty = NULL;
    c->cc_nempty = 0;
    store_unlock(c);
    while (spare) {
        lai_mag_t *next = spare->mg_next;
        free(spare);
        spare = next;
    }
    return total;
}

bool lai_store_put_one(la_lookaside_t *c, void *b) {
    bool ok = false;
    store_lock(c);
    uint64_t blocks = atomic_load_explicit(&c->cc_depot_blocks, memory_order_relaxed);
    if (blocks < LAI_LOAD(&c->cc_depot.dp_depth)) {
        lai_mag_t *m = c->cc_full;
        if (!m || m->mg_count == m->mg_cap) {
            m = take_empty_locked(c, 1);
            if (m) {
                m->mg_next = c->cc_full;
                c->cc_full = m;
            }
        }
        if (m) {
            m->mg_rounds[m->mg_count++] = b;
            blocks_add(c, 1);
            ok = true;
        }
    }
    store_unlock(c);
    return ok;
}

void *lai_store_take_one(la_lookaside_t *c) {
    void *b = NULL;
    lai_mag_t *spill = NULL;
    store_lock(c);
    lai_mag_t *m = c->cc_full;
    if (m) {
        b = m->mg_rounds[--m->mg_count];
        blocks_add(c, -1);
        if (m->mg_count == 0) {
            c->cc_full = m->mg_next;
            spill = keep_empty_locked(c, m);
        }
    }
    store_unlock(c);
    free(spill);
    return b;
}

void lai_store_free_all(la_lookaside_t *c) {
    lai_mag_t *lists[2] = {c->cc_full, c->cc_empty};
    c->cc_full = c->cc_empty = NULL;
    c->cc_nempty = 0;
    for (int i = 0; i < 2; ++i) {
        for (lai_mag_t *m = lists[i]; m;) {
            lai_mag_t *next = m->mg_next;
            free(m);
            m = next;
        }
    }
}

uint64_t lai_depot_blocks(la_lookaside_t *c) {
    if (c->cc_flags & LA_LOOKASIDE_DEPOT_ONLY) return la_sslist_depth(&c->cc_depot.dp_list);
    return atomic_load_explicit(&c->cc_depot_blocks, memory_order_relaxed);
}

/* ---- c. the backing ---------------------------------------------------------------------------- */

static void *pool_get(la_lookaside_t *c) {
    unsigned type = c->cc_pool_type;
    size_t size = c->cc_alloc_size;
    if (c->cc_align > 16) {
        /* The pool gives 16-byte alignment below a page, 64 with CACHE_ALIGNED, and
         * page alignment above LA_POOL_SMALL_MAX. */
        if (c->cc_align <= LA_POOL_CACHE_ALIGNMENT)
            type |= LA_POOL_CACHE_ALIGNED;
        else if (size <= LA_POOL_SMALL_MAX)
            size = LA_POOL_SMALL_MAX + 1;
    }
    return la_pool_alloc(type, size, c->cc_tag, (c->cc_flags & LA_LOOKASIDE_RAISE_ON_FAIL) ? LA_POOL_F_RAISE : 0);
}

/* Region backing: reuse a returned block, else carve the next one. */
static void *region_get(la_lookaside_t *c) {
    la_prim_lock_acquire(&c->cc_rg_lock);
    void *b = c->cc_rg_free;
    if (b) {
        c->cc_rg_free = *(void **)b;
    } else if ((size_t)(c->cc_rg_end - c->cc_rg_next) >= c->cc_rg_stride) {
        b = c->cc_rg_next;
        c->cc_rg_next += c->cc_rg_stride;
    }
    la_prim_lock_release(&c->cc_rg_lock);
    if (!b) errno = ENOMEM;
    return b;
}

static void region_put(la_lookaside_t *c, void *b) {
    la_prim_lock_acquire(&c->cc_rg_lock);
    *(void **)b = c->cc_rg_free;
    c->cc_rg_free = b;
    la_prim_lock_release(&c->cc_rg_lock);
}

static void raw_free(la_lookaside_t *c, void *b) {
    if (c->cc_bfree)
        c->cc_bfree(c, b, c->cc_alloc_size, c->cc_barg);
    else if (c->cc_region)
        region_put(c, b);
    else
        la_pool_free(b);
}

void *lai_backing_alloc(la_lookaside_t *c) {
    errno = 0;
    void *b = c->cc_balloc  ? c->cc_balloc(c, c->cc_alloc_size, c->cc_align, c->cc_barg)
              : c->cc_region ? region_get(c)
                             : pool_get(c);
    if (LA_UNLIKELY(!b)) {
        atomic_fetch_add_explicit(&c->cc_backing_failures, 1, memory_order_relaxed);
        if (!errno) errno = ENOMEM;
        return NULL;
    }
    if (LA_UNLIKELY((uintptr_t)b & (c->cc_align - 1))) {
        la_fatal(LA_FATAL_MISALIGNED, b, NULL, 0,
                 "lookaside cache \"%s\": the backing returned a block not aligned to %zu", c->cc_name,
                 c->cc_align);
        errno = EFAULT;
        return NULL;
    }
    if (LA_CONFIG_CHECKED) lai_trailer_set(c, b, LAI_BLOCK_FREE);
    if (LA_UNLIKELY(c->cc_verify != NULL)) lai_verify_fresh(c, b); /* verifier hook: a new record */
    if (c->cc_ctor) {
        int err = c->cc_ctor(b, c->cc_carg);
        if (err) {
            raw_free(c, b);
            atomic_fetch_add_explicit(&c->cc_backing_failures, 1, memory_order_relaxed);
            errno = err;
            return NULL;
        }
    }
    return b;
}

void lai_backing_free(la_lookaside_t *c, void *b) {
    /* Checker hook (track.h): a cached block was poisoned; the destructor and the
     * backing may touch all of it again. */
    lai_track_defined(b, c->cc_alloc_size);
    if (LA_UNLIKELY(c->cc_verify != NULL)) lai_verify_forget(c, b);
    if (c->cc_dtor) c->cc_dtor(b, c->cc_carg);
    if (LA_CONFIG_CHECKED) memset(lai_trailer(c, b), 0, sizeof(lai_trailer_t));
    raw_free(c, b);
}

void lai_backing_release(la_lookaside_t *c, void *const *blocks, size_t n) {
    if (!n) return;
    atomic_fetch_add_explicit(&c->cc_released, n, memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) lai_backing_free(c, blocks[i]);
}

/* ---- checked builds: may this block be freed here? ---------------------------------------------- */

bool lai_check_free(la_lookaside_t *c, void *b, const char *file, int line) {
    if ((uintptr_t)b & (c->cc_align - 1)) {
        la_fatal(LA_FATAL_BAD_POINTER, b, file, line,
                 "%p is not a block of lookaside cache \"%s\" (blocks are %zu-byte aligned)", b,
                 c->cc_name, c->cc_align);
        return false;
    }
    lai_trailer_t *t = lai_trailer(c, b);
    uintptr_t key = (uintptr_t)c ^ LAI_TRAILER_KEY;
    bool valid = (t->tr_state == LAI_BLOCK_LIVE || t->tr_state == LAI_BLOCK_FREE) && t->tr_check == ~t->tr_state;
    if (LA_LIKELY(valid && t->tr_owner == key)) {
        if (LA_LIKELY(t->tr_state == LAI_BLOCK_LIVE)) {
            t->tr_state = LAI_BLOCK_FREE;
            t->tr_check = ~LAI_BLOCK_FREE;
            return true;
        }
        la_fatal(LA_FATAL_DOUBLE_FREE, b, file, line, "block %p freed twice to lookaside cache \"%s\"", b,
                 c->cc_name);
        return false;
    }
    if (valid)
        la_fatal(LA_FATAL_WRONG_OWNER, b, file, line,
                 "block %p belongs to lookaside cache %p, not to \"%s\"", b,
                 (void *)(t->tr_owner ^ LAI_TRAILER_KEY), c->cc_name);
    else
        la_fatal(LA_FATAL_BAD_POINTER, b, file, line, "%p was not handed out by lookaside cache \"%s\"", b,
                 c->cc_name);
    return false;
}
