/* lookaside_magazine.c — the per-thread tier of lookaside caches: allocate and
 * free, their slow paths, bulk calls, flush and trim.
 *
 * 1. Why magazines
 *    On this kind of machine one uncontended 16-byte CAS costs about 6 ns and a
 *    cache line crossing between cores about 220 ns, so a cache that touches a
 *    shared S-list on every call costs 14 ns per pair alone and 200+ ns with two
 *    threads (research/perf-anchors.md). The common case must touch only memory the
 *    thread owns: Bonwick and Adams' magazines (USENIX 2001), as pointer arrays —
 *    an array never reads freed blocks, so there is no dependent miss per
 *    allocation, and constructed blocks stay untouched.
 *
 * 2. Data
 *    Each (thread, cache) record (lai_tcache_t) has a loaded magazine, viewed by the
 *    thread's slot as [base, top, limit), and a previous magazine. The fast path:
 *        allocate:  top != base  ->  return *--top
 *        free:      top != limit ->  *top++ = block
 *    plus one counter each (relaxed store, a plain move on x86-64).
 *
 * 3. Slow path (Bonwick's rules with Windows' Depth as the depot bound)
 *    allocate, loaded empty:
 *        previous has rounds        -> swap loaded and previous
 *        else (both empty)          -> depot exchange: take a full magazine from the
 *                                      store, give the empty previous back; none
 *                                      there -> AllocateMisses++, one block from the
 *                                      backing (constructor runs)
 *    free, loaded full (or none yet):
 *        no loaded                  -> an empty magazine (store or malloc)
 *        previous empty or missing  -> swap (a fresh empty one if missing)
 *        else (both hold rounds)    -> depot exchange: put previous in the store if
 *                                      store blocks + its rounds <= Depth (or the
 *                                      store is empty) and take an empty; else its
 *                                      rounds go to the backing
 *                                      (FreeMisses += rounds, destructor runs)
 *    With LA_LOOKASIDE_DEPOT_ONLY there are no magazines: each call is Windows'
 *    per-block depot operation on the S-list (pop / "depth >= Depth -> Free").
 *    Backing calls and destructors are made with the record in a consistent state,
 *    so they may re-enter the cache (a destructor freeing a sub-object).
 *
 * 4. Adaptive capacity
 *    A thread grows its magazine capacity (x2, up to MaximumDepth) when a depot
 *    exchange comes within LAI_GROW_WINDOW (4) magazines' worth of operations of
 *    the previous one: its working set does not fit in the two magazines it has.
 *    An exchange is a free that finds both magazines full, or an allocation that
 *    finds both empty and gets a full magazine from the depot; an allocation the
 *    backing serves is not one (a bigger magazine would not have held that block).
 *    A thread cycling 1000 objects reaches 1024-round magazines after a few
 *    exchanges and then never touches the depot (two such threads scale ~2x); a
 *    thread whose working set fits never grows. Shrinking: flush, trim and the
 *    tuner's idle shrink bump the cache's epoch; a thread seeing a new epoch at
 *    its next slow-path visit drops back to the initial capacity and gives its
 *    previous magazine back (to the store if Depth allows, else the backing —
 *    counted as released).
 *
 * 5. Counting (exact under cross-thread frees)
 *    TotalAllocates / TotalFrees are counted by the thread doing the call, in its
 *    slot; AllocateMisses / FreeMisses in its record. Nothing is ever decremented
 *    on another thread's behalf. A block freed on thread B after thread A allocated
 *    it counts one allocation on A and one free on B; the sums are exact. Blocks
 *    enter a cache only through allocation misses, so
 *        cached = AllocateMisses - FreeMisses - released - (TotalAllocates - TotalFrees)
 *    holds at every quiet moment (the stats use it; the tests check it).
 *
 * 6. Invariants: the slot is inactive or views tc_loaded; tc_loaded->mg_count is
 *    stale while loaded (top says it) and synced before any swap or hand-back;
 *    tc_prev->mg_count is always current. Lock order: only the store's cc_lock is
 *    taken here (inside lookaside_depot.c), never across a callback.
 */
#include "lookaside_internal.h"

#include <lookaside/verify.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- magazines ------------------------------------------------------------------------- */

lai_mag_t *lai_mag_new(uint32_t cap) {
    lai_mag_t *m = malloc(sizeof *m + (size_t)cap * sizeof(void *));
    if (!m) return NULL;
    m->mg_next = NULL;
    m->mg_count = 0;
    m->mg_cap = cap;
    return m;
}

static void tc_load(lai_tcache_t *tc, lai_mag_t *m) {
    la_lookaside_slot_t *s = tc->tc_slot;
    tc->tc_loaded = m;
    if (m) {
        s->ls_base = m->mg_rounds;
        s->ls_limit = m->mg_rounds + m->mg_cap;
        s->ls_top = m->mg_rounds + m->mg_count;
    } else {
        s->ls_top = s->ls_base = s->ls_limit = NULL;
    }
}

static void tc_sync(lai_tcache_t *tc) {
    if (tc->tc_loaded) tc->tc_loaded->mg_count = (uint32_t)(tc->tc_slot->ls_top - tc->tc_slot->ls_base);
}

static void tc_swap(lai_tcache_t *tc) {
    tc_sync(tc);
    lai_mag_t *l = tc->tc_loaded;
    tc_load(tc, tc->tc_prev);
    tc->tc_prev = l;
}

static lai_mag_t *get_empty(la_lookaside_t *c, uint32_t cap) {
    lai_mag_t *m = lai_store_take_empty(c, cap);
    return m ? m : lai_mag_new(cap);
}

/* An empty magazine the thread keeps as its previous one: one smaller than the
 * thread's capacity goes to the store's spares instead (the free path will fetch
 * a big enough one when it needs it), so magazines from before a growth do not
 * stay in circulation and keep a grown working set split across the depot. */
static lai_mag_t *keep_empty(la_lookaside_t *c, lai_tcache_t *tc, lai_mag_t *m) {
    if (m && m->mg_cap < tc->tc_cap) {
        lai_store_put_empty(c, m);
        return NULL;
    }
    return m;
}

/* Give a magazine that is private to the caller back: rounds to the store if
 * Depth allows (or `force`), else to the backing as `released`; the magazine
 * itself to the store's spares. */
static void mag_give_back(la_lookaside_t *c, lai_mag_t *m, bool force) {
    if (!m) return;
    if (m->mg_count && lai_store_put_full(c, m, force, 0, NULL)) return;
    if (m->mg_count) {
        uint32_t n = m->mg_count;
        m->mg_count = 0;
        lai_backing_release(c, m->mg_rounds, n);
    }
    lai_store_put_empty(c, m);
}

void lai_tcache_return(lai_tcache_t *tc) {
    la_lookaside_t *c = tc->tc_cache;
    tc_sync(tc);
    lai_mag_t *l = tc->tc_loaded, *p = tc->tc_prev;
    tc_load(tc, NULL);
    tc->tc_prev = NULL;
    /* force: exiting threads' blocks stay cached for the others; the tuner trims. */
    mag_give_back(c, l, true);
    mag_give_back(c, p, true);
}

/* The growth rule (section 4). */
static void note_exchange(la_lookaside_t *c, lai_tcache_t *tc) {
    la_lookaside_slot_t *s = tc->tc_slot;
    uint64_t ops = s->ls_allocs + s->ls_frees;
    uint32_t max = atomic_load_explicit(&c->cc_mag_max, memory_order_relaxed);
    if (tc->tc_cap < max && ops - tc->tc_ops_mark <= (uint64_t)LAI_GROW_WINDOW * tc->tc_cap)
        LAI_STORE(&tc->tc_cap, tc->tc_cap * 2 < max ? tc->tc_cap * 2 : max);
    tc->tc_ops_mark = ops;
    tc->tc_exchanges++;
}

/* The shrink request (section 4). */
static void maybe_shrink(la_lookaside_t *c, lai_tcache_t *tc) {
    uint32_t e = atomic_load_explicit(&c->cc_epoch, memory_order_relaxed);
    uint32_t max = atomic_load_explicit(&c->cc_mag_max, memory_order_relaxed);
    if (LA_LIKELY(e == tc->tc_epoch && tc->tc_cap <= max)) return;
    tc->tc_epoch = e;
    LAI_STORE(&tc->tc_cap, c->cc_mag_initial < max ? c->cc_mag_initial : max);
    lai_mag_t *p = tc->tc_prev;
    tc->tc_prev = NULL;
    mag_give_back(c, p, false);
}

/* ---- threads without a record (exiting, out of memory) ------------------------------------- */

static void *orphan_alloc(la_lookaside_t *c) {
    void *b = (c->cc_flags & LA_LOOKASIDE_DEPOT_ONLY) ? (void *)la_sslist_pop(&c->cc_depot.dp_list)
                                                      : lai_store_take_one(c);
    if (!b) {
        b = lai_backing_alloc(c);
        if (!b) return NULL;
        atomic_fetch_add_explicit(&c->cc_orph_alloc_misses, 1, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&c->cc_orph_allocs, 1, memory_order_relaxed);
    return b;
}

static void orphan_free(la_lookaside_t *c, void *b) {
    atomic_fetch_add_explicit(&c->cc_orph_frees, 1, memory_order_relaxed);
    bool cached;
    if (c->cc_flags & LA_LOOKASIDE_DEPOT_ONLY) {
        cached = la_sslist_depth(&c->cc_depot.dp_list) < LAI_LOAD(&c->cc_depot.dp_depth);
        if (cached) la_sslist_push(&c->cc_depot.dp_list, b);
    } else {
        cached = lai_store_put_one(c, b);
    }
    if (!cached) {
        atomic_fetch_add_explicit(&c->cc_orph_free_misses, 1, memory_order_relaxed);
        lai_backing_free(c, b);
    }
}

/* ---- slow paths ------------------------------------------------------------------------------ */

LA_NOINLINE void *lai_alloc_slow(la_lookaside_t *c) {
    lai_tcache_t *tc = lai_tcache_get(c);
    if (LA_UNLIKELY(!tc)) return orphan_alloc(c);
    la_lookaside_slot_t *s = tc->tc_slot;
    void *b;
    if (c->cc_flags & LA_LOOKASIDE_DEPOT_ONLY) {
        b = la_sslist_pop(&c->cc_depot.dp_list);
        if (!b) {
            b = lai_backing_alloc(c);
            if (!b) return NULL;
            LAI_BUMP(&tc->tc_alloc_misses);
        }
        la_lookaside_count_(&s->ls_allocs);
        return b;
    }
    maybe_shrink(c, tc);
    for (;;) {
        void **top = s->ls_top;
        if (top != s->ls_base) {
            s->ls_top = --top;
            la_lookaside_count_(&s->ls_allocs);
            return *top;
        }
        if (tc->tc_prev && tc->tc_prev->mg_count) {
            tc_swap(tc);
            tc->tc_prev = keep_empty(c, tc, tc->tc_prev);
            continue;
        }
        tc_sync(tc);
        lai_mag_t *full = lai_store_take_full(c, tc->tc_prev);
        if (!full) break;
        note_exchange(c, tc);
        tc->tc_prev = keep_empty(c, tc, tc->tc_loaded); /* empty (or NULL) */
        tc_load(tc, full);
    }
    b = lai_backing_alloc(c);
    if (!b) return NULL;
    LAI_BUMP(&tc->tc_alloc_misses);
    la_lookaside_count_(&s->ls_allocs);
    return b;
}

LA_NOINLINE void lai_free_slow(la_lookaside_t *c, void *b) {
    lai_tcache_t *tc = lai_tcache_get(c);
    if (LA_UNLIKELY(!tc)) {
        orphan_free(c, b);
        return;
    }
    la_lookaside_slot_t *s = tc->tc_slot;
    if (c->cc_flags & LA_LOOKASIDE_DEPOT_ONLY) {
        la_lookaside_count_(&s->ls_frees);
        if (la_sslist_depth(&c->cc_depot.dp_list) >= LAI_LOAD(&c->cc_depot.dp_depth)) {
            LAI_BUMP(&tc->tc_free_misses);
            lai_backing_free(c, b);
        } else {
            la_sslist_push(&c->cc_depot.dp_list, b);
        }
        return;
    }
    maybe_shrink(c, tc);
    for (;;) {
        void **top = s->ls_top;
        if (top != s->ls_limit) {
            *top = b;
            s->ls_top = top + 1;
            la_lookaside_count_(&s->ls_frees);
            return;
        }
        lai_mag_t *l = tc->tc_loaded;
        if (!l) {
            lai_mag_t *m = get_empty(c, tc->tc_cap);
            if (!m) break;
            tc_load(tc, m);
            continue;
        }
        tc_sync(tc); /* loaded is full */
        lai_mag_t *p = tc->tc_prev;
        if (!p || p->mg_count == 0) {
            if (!p || p->mg_cap < tc->tc_cap) {
                lai_mag_t *bigger = get_empty(c, tc->tc_cap);
                if (!bigger && !p) break;
                if (bigger) {
                    lai_store_put_empty(c, p);
                    tc->tc_prev = p = bigger;
                }
            }
            tc_swap(tc);
            continue;
        }
        /* Both hold rounds: exchange with the depot. */
        note_exchange(c, tc);
        lai_mag_t *empty = NULL;
        tc->tc_prev = NULL;
        if (lai_store_put_full(c, p, false, tc->tc_cap, &empty)) {
            if (!empty) empty = lai_mag_new(tc->tc_cap);
            tc->tc_prev = l;
            tc_load(tc, empty); /* NULL when out of memory: the next pass tries again */
            if (!empty) break;
            continue;
        }
        /* The depot is at Depth: previous's rounds go to the backing. Make the record
         * consistent first (loaded: a fresh empty magazine, previous: the full one),
         * so a destructor that frees into this cache finds a sane state. */
        empty = get_empty(c, tc->tc_cap);
        tc->tc_prev = l;
        tc_load(tc, empty);
        uint32_t n = p->mg_count;
        p->mg_count = 0;
        LAI_STORE(&tc->tc_free_misses, tc->tc_free_misses + n);
        for (uint32_t i = 0; i < n; ++i) lai_backing_free(c, p->mg_rounds[i]);
        if (!empty) {
            tc_load(tc, p);
            continue;
        }
        lai_store_put_empty(c, p);
    }
    /* Could not cache it (no memory for a magazine): the backing takes it. */
    la_lookaside_count_(&s->ls_frees);
    LAI_BUMP(&tc->tc_free_misses);
    lai_backing_free(c, b);
}

/* ---- the out-of-line API ------------------------------------------------------------------- */

/* Checked builds: a block leaving the cache must still carry our FREE trailer;
 * anything else means something wrote past the end of the block while it was
 * cached or handed out. */
static bool checked_hand_out(la_lookaside_t *c, void *b) {
    lai_trailer_t *t = lai_trailer(c, b);
    if (LA_LIKELY(t->tr_owner == ((uintptr_t)c ^ LAI_TRAILER_KEY) && t->tr_state == LAI_BLOCK_FREE &&
                  t->tr_check == ~LAI_BLOCK_FREE)) {
        t->tr_state = LAI_BLOCK_LIVE;
        t->tr_check = ~LAI_BLOCK_LIVE;
        return true;
    }
    la_fatal(LA_FATAL_CORRUPT_BLOCK, b, NULL, 0,
             "lookaside cache \"%s\": the trailer after block %p is overwritten (a write past its %zu bytes?)",
             c->cc_name, b, c->cc_size);
    return false;
}

/* Everything after a missed fast path: the slow path, or the verifier for a
 * verified cache (which has no fast slot, so its every call lands here). */
static LA_NOINLINE void *alloc_slow_path(la_lookaside_t *c, const char *file, int line, const void *ra) {
    void *b = LA_UNLIKELY(c->cc_verify != NULL) ? lai_verify_take(c) : lai_alloc_slow(c);
    if (!b) return NULL;
    if (LA_CONFIG_CHECKED && !checked_hand_out(c, b)) {
        errno = EFAULT;
        return NULL;
    }
    if (LA_UNLIKELY(c->cc_verify != NULL))
        lai_verify_hand_out(c, b, file, line, ra);
    else
        lai_track_handed_out(c, b);
    return b;
}

/* The fast path: pop from this thread's loaded magazine. */
static inline void *alloc_fast(la_lookaside_t *c, la_lookaside_slot_t *s, void **top) {
    s->ls_top = --top;
    la_lookaside_count_(&s->ls_allocs);
    void *b = *top;
    if (LA_CONFIG_CHECKED && !checked_hand_out(c, b)) {
        errno = EFAULT;
        return NULL;
    }
    /* No checker annotation here: a cache a checker watches has no fast slot. */
    return b;
}

void *la_lookaside_alloc(la_lookaside_t *c) {
    if (LA_CONFIG_CHECKED && !lai_check_cache(c, NULL, 0)) {
        errno = EFAULT;
        return NULL;
    }
    la_lookaside_slot_t *s = lai_slot(c);
    void **top = s->ls_top;
    if (LA_LIKELY(top != s->ls_base)) return alloc_fast(c, s, top);
    return alloc_slow_path(c, NULL, 0, __builtin_return_address(0));
}

void *la_lookaside_alloc_at(la_lookaside_t *c, const char *file, int line) {
    if (LA_CONFIG_CHECKED && !lai_check_cache(c, file, line)) {
        errno = EFAULT;
        return NULL;
    }
    la_lookaside_slot_t *s = lai_slot(c);
    void **top = s->ls_top;
    if (LA_LIKELY(top != s->ls_base)) return alloc_fast(c, s, top);
    return alloc_slow_path(c, file, line, __builtin_return_address(0));
}

void *la_lookaside_alloc_sized(la_lookaside_t *c, size_t size, size_t align) {
    if (LA_CONFIG_CHECKED && !lai_check_cache(c, NULL, 0)) {
        errno = EFAULT;
        return NULL;
    }
    if (size > c->cc_size || (align && (!LA_IS_POW2(align) || align > c->cc_align))) {
        errno = EINVAL;
        return NULL;
    }
    return la_lookaside_alloc(c);
}

/* After a missed fast path: the slow path, or the verifier (see alloc_slow_path). */
static LA_NOINLINE void free_slow_path(la_lookaside_t *c, void *b, const char *file, int line) {
    if (LA_UNLIKELY(c->cc_verify != NULL)) {
        lai_verify_free(c, b, file, line);
        return;
    }
    lai_track_cached(c, b); /* lai_backing_free opens it again if it leaves */
    lai_free_slow(c, b);
}

static inline void free_impl(la_lookaside_t *c, void *b, const char *file, int line) {
    if (!b) return;
    if (LA_CONFIG_CHECKED && (!lai_check_cache(c, file, line) || !lai_check_free(c, b, file, line))) return;
    la_lookaside_slot_t *s = lai_slot(c);
    void **top = s->ls_top;
    if (LA_LIKELY(top != s->ls_limit)) { /* never for a watched cache: see alloc_fast */
        *top = b;
        s->ls_top = top + 1;
        la_lookaside_count_(&s->ls_frees);
        return;
    }
    free_slow_path(c, b, file, line);
}

void la_lookaside_free(la_lookaside_t *c, void *b) { free_impl(c, b, NULL, 0); }

void la_lookaside_free_at(la_lookaside_t *c, void *b, const char *file, int line) {
    free_impl(c, b, file, line);
}

int la_lookaside_alloc_bulk(la_lookaside_t *c, void **out, size_t count) {
    if (count && !out) return EINVAL;
    if (LA_CONFIG_CHECKED && !lai_check_cache(c, NULL, 0)) return EFAULT;
    for (size_t i = 0; i < count; ++i) {
        void *b = la_lookaside_alloc(c);
        if (!b) {
            int err = errno ? errno : ENOMEM;
            la_lookaside_free_bulk(c, out, i);
            errno = err;
            return err;
        }
        out[i] = b;
    }
    return 0;
}

void la_lookaside_free_bulk(la_lookaside_t *c, void *const *blocks, size_t count) {
    if (!blocks) return;
    for (size_t i = 0; i < count; ++i)
        if (blocks[i]) free_impl(c, blocks[i], NULL, 0);
}

/* ---- giving memory back ------------------------------------------------------------------------ */

static size_t release_slist(la_lookaside_t *c, size_t keep) {
    size_t n = 0;
    void *batch[LAI_BATCH];
    for (;;) {
        size_t k = 0;
        while (k < LAI_BATCH && la_sslist_depth(&c->cc_depot.dp_list) > keep) {
            void *b = la_sslist_pop(&c->cc_depot.dp_list);
            if (!b) break;
            batch[k++] = b;
        }
        if (!k) return n;
        lai_backing_release(c, batch, k);
        n += k;
    }
}

size_t la_lookaside_flush(la_lookaside_t *c) {
    if (!c || (LA_CONFIG_CHECKED && !lai_check_cache(c, NULL, 0))) return 0;
    atomic_fetch_add_explicit(&c->cc_epoch, 1, memory_order_relaxed);
    size_t n = 0;
    lai_tcache_t *tc = lai_tcache_find(c);
    if (tc && tc->tc_loaded) {
        tc_sync(tc);
        lai_mag_t *mags[2] = {tc->tc_loaded, tc->tc_prev};
        tc_load(tc, NULL);
        tc->tc_prev = NULL;
        for (int i = 0; i < 2; ++i) {
            lai_mag_t *m = mags[i];
            if (!m) continue;
            uint32_t k = m->mg_count;
            m->mg_count = 0;
            lai_backing_release(c, m->mg_rounds, k);
            n += k;
            lai_store_put_empty(c, m);
        }
    } else if (tc && tc->tc_prev) {
        lai_mag_t *m = tc->tc_prev;
        tc->tc_prev = NULL;
        uint32_t k = m->mg_count;
        m->mg_count = 0;
        lai_backing_release(c, m->mg_rounds, k);
        n += k;
        lai_store_put_empty(c, m);
    }
    if (c->cc_flags & LA_LOOKASIDE_DEPOT_ONLY)
        n += release_slist(c, 0);
    else
        n += lai_store_trim(c, 0);
    return n;
}

size_t lai_cache_trim(la_lookaside_t *c, size_t keep) {
    if (c->cc_flags & LA_LOOKASIDE_DEPOT_ONLY) return release_slist(c, keep);
    return lai_store_trim(c, keep);
}

size_t la_lookaside_trim(la_lookaside_t *c, size_t keep) {
    if (!c || (LA_CONFIG_CHECKED && !lai_check_cache(c, NULL, 0))) return 0;
    atomic_fetch_add_explicit(&c->cc_epoch, 1, memory_order_relaxed);
    return lai_cache_trim(c, keep);
}
