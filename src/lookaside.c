/* lookaside.c — lookaside caches: create and destroy, the registry of lists, and
 * the per-thread records the magazines live in.
 *
 * 1. Overview
 *    A cache (la_lookaside_t) is three tiers: per-thread magazines
 *    (lookaside_magazine.c), the depot (lookaside_depot.c: Windows' fields plus a
 *    store of full magazines) and the backing (the pool or the caller's callbacks).
 *    This file owns the objects that tie them together:
 *      - the registry: every list the tuner and the views know (native caches and
 *        WDK lists, linked through the depot's ListEntry), the index table that
 *        gives each live native cache a small number, and the list of threads
 *        that hold records;
 *      - thread records (lai_thread_t): one per thread that ever used a cache,
 *        created lazily on the first slow-path call — no registration — and armed
 *        with a prim TLS exit hook;
 *      - tcaches (lai_tcache_t): one per (thread, cache), holding the thread's two
 *        magazines and its counters.
 *
 * 2. Why an index and a per-thread slot array
 *    The fast path must find "this thread's magazine for this cache" in O(1)
 *    without a lock or an atomic. A cache's index i (1..63) names slot i of the
 *    thread-local array la_lookaside_tls_; the cache stores the slot's byte offset
 *    (lh_fast_off) so the inline path is one load and an indexed access. Slot 0 is
 *    never used, so a cache with index >= 64 (or a destroyed one, or a verified one,
 *    or any cache of an unchecked build running under ASan / Valgrind: see
 *    verify.c and track.h) has offset 0 and always falls through to the slow path, which finds its record in the thread's
 *    th_tc[] array (a tcache then carries its own slot). Indexes are reused after
 *    destroy, lowest first.
 *
 * 3. Invariants
 *    - A slot is either inactive (top = base = limit = NULL: both inline tests
 *      fail) or views its tcache's loaded magazine: [base, top) are rounds,
 *      limit = base + capacity. Only the owning thread changes an active slot,
 *      except destroy (below).
 *    - Counters of a tcache (slot allocs/frees, tc_alloc_misses, tc_free_misses)
 *      are written only by the owner, with relaxed atomic stores, and read by
 *      snapshots under the registry lock. On thread exit and on destroy they are
 *      folded into the cache's cc_retired under the registry lock, so a sum taken
 *      under that lock counts every operation exactly once.
 *    - A tcache is reachable from its cache (cc_tcaches) and from its thread
 *      (th_tc[index]) exactly while both live; both links change under the
 *      registry lock only.
 *    - Destroy takes every live thread's magazines for the cache, resets those
 *      threads' slots and frees the records. This writes another thread's memory;
 *      it is sound because the contract says no thread uses the cache during or
 *      after destroy and each one's last use happens-before the destroy call.
 *      Those threads keep reading their own other slots concurrently — different
 *      words, no conflict.
 *    - After its exit hook a thread has no record; any later call (another
 *      library's exit hook freeing a block) uses the depot directly, counted in
 *      the cache's cc_orph_* counters.
 *    - Checked builds keep destroyed caches as tombstones (magic LAI_CACHE_DEAD,
 *      fast offset 0) in a ring of LA_LOOKASIDE_TOMBSTONES, so a use after destroy
 *      is reported instead of touching freed memory (the oldest are freed).
 *
 * 4. Lock order
 *    registry lock (lai_reg.lock) -> a cache's depot lock (cc_lock). The registry
 *    lock covers: the lists, the index table, thread records and their th_tc
 *    arrays, every cache's cc_tcaches / cc_retired / cc_baseline. It is never held
 *    across a backing callback, constructor, destructor or output: destroy
 *    collects the blocks under the lock and gives them back after releasing it,
 *    and a tuner pass gives blocks back between two holds, counted in
 *    lai_reg.visitors so that unregistering waits for it to finish.
 */
#include "lookaside_internal.h"
#include "publish_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The fast path's per-thread slots (declared in lookaside_list.h). */
_Alignas(LA_CACHE_LINE) LA_THREAD_LOCAL la_lookaside_slot_t la_lookaside_tls_[LA_LOOKASIDE_TLS_SLOTS];

/* Every slot empty and full at once: a thread reads these until its first slow-path
 * visit points lai_slots at its own la_lookaside_tls_. Never written. */
const la_lookaside_slot_t lai_no_slots[LA_LOOKASIDE_TLS_SLOTS];
_Thread_local la_lookaside_slot_t *lai_slots LAI_TLS_IE = (la_lookaside_slot_t *)lai_no_slots;

_Static_assert(sizeof(la_lookaside_slot_t) == 64, "a slot is one cache line");
_Static_assert(offsetof(la_lookaside_t, cc_head) == 0, "the head comes first");

lai_registry_t lai_reg = {
    .lock = LA_PRIM_LOCK_INIT,
    .lists = {&lai_reg.lists, &lai_reg.lists},
    .threads = {&lai_reg.threads, &lai_reg.threads},
};

enum { THREAD_FRESH = 0, THREAD_LIVE = 1, THREAD_GONE = 2 };

static _Thread_local lai_thread_t *tls_thread;
static _Thread_local uint8_t tls_thread_state;
static _Thread_local bool tls_in_pass;

static la_prim_tls_key_t thread_key;  /* created once, under the registry lock */
static bool thread_key_ready;

static la_lookaside_t *tombstones[LA_LOOKASIDE_TOMBSTONES]; /* registry lock */
static unsigned tombstone_next;

/* ---- registry ------------------------------------------------------------------------ */

void lai_registry_lock(void) { la_prim_lock_acquire(&lai_reg.lock); }
void lai_registry_unlock(void) { la_prim_lock_release(&lai_reg.lock); }

bool lai_in_tuner_pass(void) { return tls_in_pass; }
void lai_set_in_tuner_pass(bool on) { tls_in_pass = on; }

void lai_registry_wait_visitors(void) {
    for (;;) {
        uint32_t v = atomic_load_explicit(&lai_reg.visitors, memory_order_acquire);
        if (v == 0) return;
        la_prim_wait(&lai_reg.visitors, v, UINT64_MAX);
    }
}

void lai_depot_register(lai_depot_t *d) {
    lai_registry_lock();
    if (!(d->dp_state & LAI_DEPOT_REGISTERED)) {
        la_list_insert_tail(&lai_reg.lists, &d->dp_link);
        d->dp_state |= LAI_DEPOT_REGISTERED;
        lai_reg.nlists++;
    }
    lai_registry_unlock();
}

static void depot_unlink_locked(lai_depot_t *d) {
    if (d->dp_state & LAI_DEPOT_REGISTERED) {
        la_list_remove_entry(&d->dp_link);
        d->dp_state &= ~LAI_DEPOT_REGISTERED;
        lai_reg.nlists--;
    }
}

void lai_depot_unregister(lai_depot_t *d) {
    lai_registry_lock();
    depot_unlink_locked(d);
    lai_registry_unlock();
    if (!tls_in_pass) lai_registry_wait_visitors();
}

/* ---- thread records ---------------------------------------------------------------- */

static void fold(lai_counts_t *into, const lai_tcache_t *tc) {
    into->allocs += LAI_LOAD(&tc->tc_slot->ls_allocs);
    into->frees += LAI_LOAD(&tc->tc_slot->ls_frees);
    into->alloc_misses += LAI_LOAD(&tc->tc_alloc_misses);
    into->free_misses += LAI_LOAD(&tc->tc_free_misses);
}

static void slot_reset(la_lookaside_slot_t *s) {
    s->ls_top = s->ls_base = s->ls_limit = NULL;
    LAI_STORE(&s->ls_allocs, 0);
    LAI_STORE(&s->ls_frees, 0);
}

/* Take a record apart (registry lock held): its magazines go to the cache's store
 * (whatever Depth says; the tuner trims the surplus), its counters to cc_retired. */
static void tcache_retire_locked(lai_tcache_t *tc) {
    la_lookaside_t *c = tc->tc_cache;
    lai_tcache_return(tc);
    fold(&c->cc_retired, tc);
    slot_reset(tc->tc_slot);
    la_list_remove_entry(&tc->tc_clink);
    c->cc_threads--;
    lai_thread_t *t = tc->tc_thread;
    if (c->cc_index < t->th_ntc && t->th_tc[c->cc_index] == tc) t->th_tc[c->cc_index] = NULL;
    free(tc);
}

static void thread_exit_hook(void *value) {
    lai_thread_t *t = value;
    lai_registry_lock();
    for (uint32_t i = 0; i < t->th_ntc; ++i)
        if (t->th_tc[i]) tcache_retire_locked(t->th_tc[i]);
    la_list_remove_entry(&t->th_link);
    lai_registry_unlock();
    free(t->th_tc);
    free(t);
    tls_thread = NULL;
    tls_thread_state = THREAD_GONE;
    lai_slots = (la_lookaside_slot_t *)lai_no_slots;
}

/* Registry lock held. */
static lai_thread_t *thread_record_locked(void) {
    if (tls_thread) return tls_thread;
    if (!thread_key_ready) {
        if (la_prim_tls_create(&thread_key, thread_exit_hook) != 0) return NULL;
        thread_key_ready = true;
    }
    lai_thread_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (la_prim_tls_set(&thread_key, t) != 0) {
        free(t);
        return NULL;
    }
    t->th_id = la_prim_thread_id();
    la_list_insert_tail(&lai_reg.threads, &t->th_link);
    lai_slots = la_lookaside_tls_;
    tls_thread = t;
    tls_thread_state = THREAD_LIVE;
    return t;
}

static lai_tcache_t *tcache_create(la_lookaside_t *c) {
    lai_tcache_t *tc = calloc(1, sizeof *tc);
    if (!tc) return NULL;
    uint32_t i = c->cc_index;
    lai_registry_lock();
    lai_thread_t *t = thread_record_locked();
    if (t && i >= t->th_ntc) {
        uint32_t n = t->th_ntc ? t->th_ntc : 16;
        while (n <= i) n *= 2;
        lai_tcache_t **a = realloc(t->th_tc, n * sizeof *a);
        if (a) {
            memset(a + t->th_ntc, 0, (n - t->th_ntc) * sizeof *a);
            t->th_tc = a;
            t->th_ntc = n;
        }
    }
    if (!t || i >= t->th_ntc) {
        lai_registry_unlock();
        free(tc);
        return NULL;
    }
    tc->tc_slot = i < LA_LOOKASIDE_TLS_SLOTS ? &la_lookaside_tls_[i] : &tc->tc_own_slot;
    slot_reset(tc->tc_slot);
    uint32_t mag_max = atomic_load_explicit(&c->cc_mag_max, memory_order_relaxed);
    tc->tc_cap = c->cc_mag_initial < mag_max ? c->cc_mag_initial : mag_max;
    tc->tc_epoch = atomic_load_explicit(&c->cc_epoch, memory_order_relaxed);
    tc->tc_cache = c;
    tc->tc_thread = t;
    la_list_insert_tail(&c->cc_tcaches, &tc->tc_clink);
    c->cc_threads++;
    t->th_tc[i] = tc;
    lai_registry_unlock();
    return tc;
}

lai_tcache_t *lai_tcache_find(la_lookaside_t *c) {
    lai_thread_t *t = tls_thread;
    uint32_t i = c->cc_index;
    return t != NULL && i < t->th_ntc ? t->th_tc[i] : NULL;
}

lai_tcache_t *lai_tcache_get(la_lookaside_t *c) {
    lai_thread_t *t = tls_thread;
    uint32_t i = c->cc_index;
    if (LA_LIKELY(t != NULL && i < t->th_ntc && t->th_tc[i] != NULL)) return t->th_tc[i];
    if (tls_thread_state == THREAD_GONE) return NULL;
    return tcache_create(c);
}

void la_lookaside_thread_flush(void) {
    lai_thread_t *t = tls_thread;
    if (!t) return;
    lai_registry_lock();
    for (uint32_t i = 0; i < t->th_ntc; ++i)
        if (t->th_tc[i]) lai_tcache_return(t->th_tc[i]);
    lai_registry_unlock();
}

void lai_cache_counts(la_lookaside_t *c, lai_counts_t *out) {
    *out = c->cc_retired;
    out->allocs += atomic_load_explicit(&c->cc_orph_allocs, memory_order_relaxed);
    out->frees += atomic_load_explicit(&c->cc_orph_frees, memory_order_relaxed);
    out->alloc_misses += atomic_load_explicit(&c->cc_orph_alloc_misses, memory_order_relaxed);
    out->free_misses += atomic_load_explicit(&c->cc_orph_free_misses, memory_order_relaxed);
    la_list_entry_t *e;
    LA_LIST_FOR_EACH(e, &c->cc_tcaches) fold(out, LA_CONTAINER_OF(e, lai_tcache_t, tc_clink));
}

/* ---- create ---------------------------------------------------------------------------- */

static int index_assign_locked(la_lookaside_t *c) {
    uint32_t i = 1;
    while (i < lai_reg.index_cap && lai_reg.by_index[i]) ++i;
    if (i >= lai_reg.index_cap) {
        uint32_t n = lai_reg.index_cap ? lai_reg.index_cap * 2 : 64;
        la_lookaside_t **a = realloc(lai_reg.by_index, n * sizeof *a);
        if (!a) return ENOMEM;
        memset(a + lai_reg.index_cap, 0, (n - lai_reg.index_cap) * sizeof *a);
        lai_reg.by_index = a;
        lai_reg.index_cap = n;
    }
    lai_reg.by_index[i] = c;
    c->cc_index = i;
    c->cc_head.lh_fast_off = i < LA_LOOKASIDE_TLS_SLOTS ? (uint32_t)(i * sizeof(la_lookaside_slot_t)) : 0;
    return 0;
}

int la_lookaside_create(const la_lookaside_params_t *p, la_lookaside_t **out) {
    lai_publish_from_env_once(); /* LA_PUBLISH, also in static programs (no lock held) */
    if (!p || !out) return EINVAL;
    if (p->size == 0 || p->size > LA_LOOKASIDE_MAX_BLOCK) return EINVAL;
    size_t align = p->align ? p->align : 16;
    if (!LA_IS_POW2(align) || align > la_prim_caps()->page_size) return EINVAL;
    if (align < 16) align = 16;
    if (p->flags & ~LA_LOOKASIDE_FLAGS_MASK) return EINVAL;
    unsigned max_depth = p->max_depth ? p->max_depth : LA_LOOKASIDE_MAX_DEPTH;
    if (max_depth > LA_LOOKASIDE_MAX_DEPTH) return EINVAL;
    unsigned min_depth = max_depth < LA_LOOKASIDE_MIN_DEPTH ? max_depth : LA_LOOKASIDE_MIN_DEPTH;
    unsigned depth = p->depth ? p->depth : min_depth;
    if (depth > max_depth) depth = max_depth;
    if (depth < min_depth) depth = min_depth;
    if ((p->alloc == NULL) != (p->free == NULL)) return EINVAL;
    if (p->region && p->alloc) return EINVAL;
    if (p->ctor && (p->flags & LA_LOOKASIDE_DEPOT_ONLY)) return EINVAL;
    if (!p->alloc && !p->region) {
        if (!la_tag_valid(p->tag) || (p->pool_type & ~LA_POOL_TYPE_MASK)) return EINVAL;
    }

    size_t size = p->size < LA_LOOKASIDE_MIN_BLOCK ? LA_LOOKASIDE_MIN_BLOCK : p->size;
    size = LA_ALIGN_UP(size, align);

    /* Verifier hook (verify.c): a selected cache's blocks carry a redzone after
     * the block (before the trailer) and a record after the trailer. */
    lai_verify_t *vf = NULL;
    int verr = lai_verify_new(p->name ? p->name : "", p->ctor != NULL, &vf);
    if (verr) return verr;
    size_t redzone = vf ? lai_verify_redzone(vf) : 0;
    size_t alloc_size = size + redzone + (LA_CONFIG_CHECKED ? LAI_TRAILER_SIZE : 0) +
                        (vf ? LAI_VERIFY_REC_SIZE : 0);
    la_region_info_t rinfo;
    if (p->region) {
        uintptr_t start = 0;
        if (la_region_query(p->region, &rinfo) == 0)
            start = LA_ALIGN_UP((uintptr_t)rinfo.base, (uintptr_t)align);
        if (!start || start + LA_ALIGN_UP(alloc_size, align) > (uintptr_t)rinfo.base + rinfo.size) {
            lai_verify_discard(vf);
            return EINVAL;
        }
    }

    la_lookaside_t *c = aligned_alloc(LA_CACHE_LINE, LA_ALIGN_UP(sizeof *c, (size_t)LA_CACHE_LINE));
    if (!c) {
        lai_verify_discard(vf);
        return ENOMEM;
    }
    memset(c, 0, sizeof *c);
    if (p->region) {
        c->cc_region = p->region;
        c->cc_rg_stride = LA_ALIGN_UP(alloc_size, align);
        c->cc_rg_next = (char *)LA_ALIGN_UP((uintptr_t)rinfo.base, (uintptr_t)align);
        c->cc_rg_end = (char *)rinfo.base + rinfo.size;
    }
    c->cc_flags = p->flags;
    c->cc_size = size;
    c->cc_align = align;
    c->cc_alloc_size = alloc_size;
    c->cc_trailer_off = size + redzone;
    c->cc_pool_type = p->pool_type;
    c->cc_tag = p->tag;
    c->cc_balloc = p->alloc;
    c->cc_bfree = p->free;
    c->cc_barg = p->backing_arg;
    c->cc_ctor = p->ctor;
    c->cc_dtor = p->dtor;
    c->cc_carg = p->ctor_arg;
    c->cc_mag_initial = max_depth < LAI_MAG_INITIAL ? max_depth : LAI_MAG_INITIAL;
    atomic_init(&c->cc_mag_max, max_depth);
    if (p->name) {
        strncpy(c->cc_name, p->name, sizeof c->cc_name - 1);
        c->cc_name[sizeof c->cc_name - 1] = '\0';
    }
    la_list_init(&c->cc_tcaches);
    lai_depot_init(&c->cc_depot, LAI_DEPOT_KIND_NATIVE, (int32_t)p->pool_type, p->tag,
                   size > UINT32_MAX ? UINT32_MAX : (uint32_t)size);
    c->cc_depot.dp_max_depth = (uint16_t)max_depth;
    c->cc_depot.dp_depth = (uint16_t)depth;
    if (p->flags & LA_LOOKASIDE_NO_TUNE) c->cc_depot.dp_state |= LAI_DEPOT_NO_TUNE;
    c->cc_magic = LAI_CACHE_MAGIC;
    if (vf) lai_verify_attach(c, vf);

    lai_registry_lock();
    int err = index_assign_locked(c);
    /* Verified caches, and every cache while ASan or Valgrind's memcheck watches,
     * get no fast slot: every call reaches the out-of-line slow path, which is the
     * only place that annotates blocks (lookaside_magazine.c), so the fast paths —
     * inline and out of line — carry no checker code at all. */
    if (!err && (vf || lai_track_running())) c->cc_head.lh_fast_off = 0;
    if (!err) {
        la_list_insert_tail(&lai_reg.lists, &c->cc_depot.dp_link);
        c->cc_depot.dp_state |= LAI_DEPOT_REGISTERED;
        lai_reg.nlists++;
    }
    lai_registry_unlock();
    if (err) {
        lai_verify_discard(vf);
        free(c);
        return err;
    }
    lai_tuner_autostart();
    *out = c;
    return 0;
}

/* ---- destroy ----------------------------------------------------------------------------- */

bool lai_check_cache(const la_lookaside_t *c, const char *file, int line) {
    if (LA_UNLIKELY(c == NULL)) {
        la_fatal(LA_FATAL_BAD_ARGUMENT, NULL, file, line, "NULL lookaside cache");
        return false;
    }
    if (LA_LIKELY(c->cc_magic == LAI_CACHE_MAGIC)) return true;
    if (c->cc_magic == LAI_CACHE_DEAD)
        la_fatal(LA_FATAL_USE_AFTER_DESTROY, c, file, line, "lookaside cache \"%s\" was destroyed",
                 c->cc_name);
    else
        la_fatal(LA_FATAL_BAD_ARGUMENT, c, file, line, "%p is not a lookaside cache", (const void *)c);
    return false;
}

static void bury(la_lookaside_t *c) {
    c->cc_magic = LAI_CACHE_DEAD;
    c->cc_head.lh_fast_off = 0;
    if (!LA_CONFIG_CHECKED) {
        free(c);
        return;
    }
    lai_registry_lock();
    la_lookaside_t *old = tombstones[tombstone_next];
    tombstones[tombstone_next] = c;
    tombstone_next = (tombstone_next + 1) % LA_LOOKASIDE_TOMBSTONES;
    lai_registry_unlock();
    free(old);
}

size_t la_lookaside_destroy(la_lookaside_t *c) {
    if (!c) return 0;
    if (LA_CONFIG_CHECKED && !lai_check_cache(c, NULL, 0)) return 0;
    if (tls_in_pass) {
        la_fatal(LA_FATAL_BAD_ARGUMENT, c, NULL, 0,
                 "lookaside cache \"%s\" destroyed from a callback during a tuner pass", c->cc_name);
        return 0;
    }

    lai_registry_lock();
    depot_unlink_locked(&c->cc_depot);
    lai_reg.by_index[c->cc_index] = NULL;
    la_list_entry_t *e, *tmp;
    LA_LIST_FOR_EACH_SAFE(e, tmp, &c->cc_tcaches) tcache_retire_locked(LA_CONTAINER_OF(e, lai_tcache_t, tc_clink));
    lai_registry_unlock();
    lai_registry_wait_visitors();

    /* Nobody else can reach the cache now: give every cached block back. */
    la_lookaside_flush(c);
    lai_store_free_all(c);

    lai_counts_t n;
    lai_registry_lock();
    lai_cache_counts(c, &n);
    lai_registry_unlock();
    size_t outstanding = n.allocs > n.frees ? (size_t)(n.allocs - n.frees) : 0;
    if (outstanding)
        la_printf("lookaside: cache \"%s\" destroyed with %zu block%s outstanding\n", c->cc_name,
                  outstanding, outstanding == 1 ? "" : "s");
    if (c->cc_verify) lai_verify_destroy(c); /* leak report with call sites; frees the record */
    bury(c);
    return outstanding;
}

/* ---- facts and depth ------------------------------------------------------------------------ */

size_t la_lookaside_block_size(const la_lookaside_t *c) { return c ? c->cc_size : 0; }
size_t la_lookaside_alignment(const la_lookaside_t *c) { return c ? c->cc_align : 0; }
const char *la_lookaside_name(const la_lookaside_t *c) { return c ? c->cc_name : ""; }

int la_lookaside_set_depth(la_lookaside_t *c, unsigned depth, unsigned max_depth) {
    if (!c || max_depth == 0 || max_depth > LA_LOOKASIDE_MAX_DEPTH) return EINVAL;
    if (LA_CONFIG_CHECKED && !lai_check_cache(c, NULL, 0)) return EINVAL;
    unsigned min_depth = max_depth < LA_LOOKASIDE_MIN_DEPTH ? max_depth : LA_LOOKASIDE_MIN_DEPTH;
    if (depth < min_depth) depth = min_depth;
    if (depth > max_depth) depth = max_depth;
    LAI_STORE(&c->cc_depot.dp_max_depth, (uint16_t)max_depth);
    LAI_STORE(&c->cc_depot.dp_depth, (uint16_t)depth);
    atomic_store_explicit(&c->cc_mag_max, max_depth, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->cc_epoch, 1, memory_order_relaxed);
    return 0;
}

void la_lookaside_reset_counters(la_lookaside_t *c) {
    if (!c || (LA_CONFIG_CHECKED && !lai_check_cache(c, NULL, 0))) return;
    lai_registry_lock();
    lai_cache_counts(c, &c->cc_baseline);
    lai_registry_unlock();
}
