/* lookaside_internal.h — what the lookaside sources (src/lookaside*.c) share, and
 * the depot-level API the WDK layer builds on.
 *
 * Map (each file opens with its own design comment):
 *   lookaside.c           create / destroy, the registry of lists, thread records,
 *                         per-thread cache records (tcaches) and the thread-exit hook
 *   lookaside_magazine.c  the per-thread tier: fast paths, slow paths, bulk, flush
 *   lookaside_depot.c     the depot: the Windows-shaped block S-list (lai_depot_*),
 *                         the native caches' magazine store, the backing calls,
 *                         checked-build block trailers
 *   lookaside_tuner.c     the depth tuner (rule and constants), background thread
 *   lookaside_stats.c     snapshots, JSON, the !lookaside view, foreach
 *
 * Lock order (outer to inner): registry lock (lai_reg.lock) -> a cache's depot lock
 * (cc_lock). Neither is held across backing callbacks, constructors, destructors,
 * the output callback or la_fatal.
 *
 * ---- For the WDK layer ------------------------------------------------------------
 * lai_depot_t is the GENERAL_LOOKASIDE_POOL field block (0x60 bytes, the x64 offsets
 * of <lookaside/wdk/types.h>, proved below), so a WDK list can be handed to these
 * functions as `(lai_depot_t *)&list->L`:
 *
 *   lai_depot_init(d, LAI_DEPOT_KIND_PLAIN or _EX, type, tag, size)
 *       Depth 4, MaximumDepth 256, counters and Last* 0, empty S-list; then set
 *       d->dp_alloc.plain / .ex and d->dp_free.plain / .ex (never NULL: the WDK layer
 *       passes its ExAllocatePoolWithTag / ExFreePool stand-ins for NULL).
 *   lai_depot_register(d)   list it for the tuner and the views (!lookaside -all)
 *   lai_depot_alloc(d)      ExAllocateFromLookasideListEx: TotalAllocates++, pop;
 *                           empty -> AllocateMisses++ and Allocate(Type, Size, Tag)
 *                           (AllocateEx(..., d) for KIND_EX)
 *   lai_depot_free(d, b)    ExFreeToLookasideListEx: TotalFrees++; if the S-list
 *                           depth >= Depth -> FreeMisses++ and Free(b) / FreeEx(b, d);
 *                           else push (b must be 16-byte aligned: it becomes an
 *                           S-list entry, its first 16 bytes are overwritten)
 *   lai_depot_flush(d)      ExFlushLookasideListEx: every cached block to Free;
 *                           counters unchanged. Returns the count.
 *   lai_depot_delete(d)     unregister (waits for a tuner pass that is trimming it)
 *                           then flush
 *   Counters are plain 32-bit increments (relaxed atomic load + store: they may lose
 *   counts when threads race, and wrap, exactly as Windows' inline functions do).
 *   The tuner treats registered WDK lists with the same rule as native caches
 *   (lookaside_tuner.c) and gives their surplus back through Free / FreeEx.
 *   Future[0] and Future[1] (dp_kind, dp_state) belong to this layer.
 */
#ifndef LA_LOOKASIDE_INTERNAL_H
#define LA_LOOKASIDE_INTERNAL_H

#include "internal.h"

#include <lookaside/list.h>
#include <lookaside/lookaside_list.h>
#include <lookaside/pool.h>
#include <lookaside/sslist.h>

#include <stdatomic.h>

#include "prim/prim.h"
#include "track.h"
#include "verify_internal.h"

/* ---- tunables (see each file's design comment) ------------------------------------- */

#define LAI_WDK_DEFAULT_DEPTH 4u        /* Depth after ExInitialize*LookasideList* */
#define LAI_WDK_DEFAULT_MAX_DEPTH 256u  /* MaximumDepth after init (EX_MAXIMUM_LOOKASIDE_DEPTH_BASE) */
#define LAI_MAG_INITIAL 16u             /* a thread's first magazine capacity */
#define LAI_GROW_WINDOW 4u              /* grow when exchanges come within 4 magazines of work */
#define LAI_EMPTY_KEEP 8u               /* spare empty magazines a depot keeps */
#define LAI_BATCH 256u                  /* blocks moved per lock hold when giving back */

/* ---- the depot: the Windows field block ---------------------------------------------- */

typedef struct lai_depot lai_depot_t;

typedef void *lai_depot_alloc_fn(int32_t type, size_t size, uint32_t tag);
typedef void *lai_depot_alloc_ex_fn(int32_t type, size_t size, uint32_t tag, lai_depot_t *depot);
typedef void lai_depot_free_fn(void *block);
typedef void lai_depot_free_ex_fn(void *block, lai_depot_t *depot);

/* dp_kind (Future[0]): whose list it is and which callbacks it has. */
#define LAI_DEPOT_KIND_PLAIN 1u   /* WDK NPaged/Paged list: Allocate(Type, Size, Tag) / Free(b) */
#define LAI_DEPOT_KIND_EX 2u      /* WDK LOOKASIDE_LIST_EX: AllocateEx(..., list) / FreeEx(b, list) */
#define LAI_DEPOT_KIND_NATIVE 3u  /* the depot of a la_lookaside_t (backing is the cache's) */

/* dp_state (Future[1]) bits. */
#define LAI_DEPOT_REGISTERED 0x1u
#define LAI_DEPOT_NO_TUNE 0x2u

struct lai_depot {
    la_sslist_header_t dp_list;      /* 0x00 ListHead: cached blocks (WDK, DEPOT_ONLY) */
    uint16_t dp_depth;               /* 0x10 Depth: the adaptive limit */
    uint16_t dp_max_depth;           /* 0x12 MaximumDepth */
    uint32_t dp_total_allocs;        /* 0x14 TotalAllocates (WDK kinds) */
    uint32_t dp_alloc_misses;        /* 0x18 AllocateMisses (WDK kinds) */
    uint32_t dp_total_frees;         /* 0x1c TotalFrees (WDK kinds) */
    uint32_t dp_free_misses;         /* 0x20 FreeMisses (WDK kinds) */
    int32_t dp_type;                 /* 0x24 Type */
    uint32_t dp_tag;                 /* 0x28 Tag */
    uint32_t dp_size;                /* 0x2c Size */
    union {
        lai_depot_alloc_fn *plain;
        lai_depot_alloc_ex_fn *ex;
    } dp_alloc;                      /* 0x30 Allocate / AllocateEx */
    union {
        lai_depot_free_fn *plain;
        lai_depot_free_ex_fn *ex;
    } dp_free;                       /* 0x38 Free / FreeEx */
    la_list_entry_t dp_link;         /* 0x40 ListEntry: the registry */
    uint32_t dp_last_total_allocs;   /* 0x50 LastTotalAllocates (tuner) */
    uint32_t dp_last_alloc_misses;   /* 0x54 LastAllocateMisses (tuner) */
    uint32_t dp_kind;                /* 0x58 Future[0] */
    uint32_t dp_state;               /* 0x5c Future[1] */
};

_Static_assert(offsetof(lai_depot_t, dp_depth) == 0x10, "Depth");
_Static_assert(offsetof(lai_depot_t, dp_max_depth) == 0x12, "MaximumDepth");
_Static_assert(offsetof(lai_depot_t, dp_total_allocs) == 0x14, "TotalAllocates");
_Static_assert(offsetof(lai_depot_t, dp_alloc_misses) == 0x18, "AllocateMisses");
_Static_assert(offsetof(lai_depot_t, dp_total_frees) == 0x1c, "TotalFrees");
_Static_assert(offsetof(lai_depot_t, dp_free_misses) == 0x20, "FreeMisses");
_Static_assert(offsetof(lai_depot_t, dp_type) == 0x24, "Type");
_Static_assert(offsetof(lai_depot_t, dp_tag) == 0x28, "Tag");
_Static_assert(offsetof(lai_depot_t, dp_size) == 0x2c, "Size");
_Static_assert(offsetof(lai_depot_t, dp_alloc) == 0x30, "Allocate");
_Static_assert(offsetof(lai_depot_t, dp_free) == 0x38, "Free");
_Static_assert(offsetof(lai_depot_t, dp_link) == 0x40, "ListEntry");
_Static_assert(offsetof(lai_depot_t, dp_last_total_allocs) == 0x50, "LastTotalAllocates");
_Static_assert(offsetof(lai_depot_t, dp_last_alloc_misses) == 0x54, "LastAllocateMisses");
_Static_assert(offsetof(lai_depot_t, dp_kind) == 0x58, "Future");
_Static_assert(sizeof(lai_depot_t) == 0x60 && _Alignof(lai_depot_t) == 16, "GENERAL_LOOKASIDE_POOL");

/* The library's own view of this thread's slots (la_lookaside_tls_): an 8-byte
 * initial-exec pointer, so the out-of-line fast path needs no __tls_get_addr call
 * (and no register saves) even in the shared library, while the 4 KiB slot array
 * itself stays in the dynamic TLS model (liblookaside.so can still be dlopen'ed).
 * It points at lai_no_slots (all empty) until the thread's first slow-path visit. */
#if defined(__GNUC__) || defined(__clang__)
#define LAI_TLS_IE __attribute__((tls_model("initial-exec")))
#else
#define LAI_TLS_IE
#endif
LA_INTERNAL extern _Thread_local la_lookaside_slot_t *lai_slots LAI_TLS_IE;
LA_INTERNAL extern const la_lookaside_slot_t lai_no_slots[LA_LOOKASIDE_TLS_SLOTS];

static inline la_lookaside_slot_t *lai_slot(const la_lookaside_t *c);

/* Relaxed accessors for the depot's plain fields (the WDK structure declares them
 * without _Atomic; readers on other threads use these too). */
#define LAI_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define LAI_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define LAI_BUMP(p) LAI_STORE((p), LAI_LOAD(p) + 1) /* a plain, lossy increment */

LA_INTERNAL void lai_depot_init(lai_depot_t *d, uint32_t kind, int32_t type, uint32_t tag, uint32_t size);
LA_INTERNAL void *lai_depot_alloc(lai_depot_t *d);
LA_INTERNAL void lai_depot_free(lai_depot_t *d, void *block);
LA_INTERNAL size_t lai_depot_flush(lai_depot_t *d);
LA_INTERNAL void lai_depot_register(lai_depot_t *d);
LA_INTERNAL void lai_depot_unregister(lai_depot_t *d);
LA_INTERNAL void lai_depot_delete(lai_depot_t *d);

/* Give a WDK depot's blocks beyond `keep` back through its Free routine. */
LA_INTERNAL size_t lai_depot_trim_blocks(lai_depot_t *d, size_t keep);

/* ---- magazines, thread records ------------------------------------------------------- */

typedef struct lai_mag {
    struct lai_mag *mg_next;         /* in the depot's full or empty list */
    uint32_t mg_count;               /* rounds held (while loaded: see the slot's top) */
    uint32_t mg_cap;
    void *mg_rounds[];
} lai_mag_t;

typedef struct lai_thread lai_thread_t;

/* One thread's state for one cache. Written by its thread; read by snapshots
 * (counters, relaxed) under the registry lock; taken apart by destroy and by the
 * thread's exit hook, both under the registry lock. */
typedef struct lai_tcache {
    la_lookaside_slot_t *tc_slot;    /* the fast-path view: in la_lookaside_tls_ or tc_own_slot */
    lai_mag_t *tc_loaded;            /* backs tc_slot (NULL: slot inactive) */
    lai_mag_t *tc_prev;              /* the second magazine, count in mg_count */
    uint32_t tc_cap;                 /* capacity of magazines this thread asks for */
    uint32_t tc_epoch;               /* last cc_epoch seen */
    uint64_t tc_ops_mark;            /* allocs + frees at the last depot exchange */
    uint64_t tc_alloc_misses;        /* relaxed atomic: allocations from the backing */
    uint64_t tc_free_misses;         /* relaxed atomic: blocks the free path gave the backing */
    uint64_t tc_exchanges;           /* depot exchanges (diagnostics) */
    la_lookaside_t *tc_cache;
    lai_thread_t *tc_thread;
    la_list_entry_t tc_clink;        /* in the cache's cc_tcaches (registry lock) */
    la_lookaside_slot_t tc_own_slot; /* for caches without a TLS slot */
} lai_tcache_t;

struct lai_thread {
    la_list_entry_t th_link;         /* in lai_reg.threads */
    lai_tcache_t **th_tc;            /* by cache index; grown under the registry lock */
    uint32_t th_ntc;
    uint64_t th_id;
};

/* ---- the native cache ------------------------------------------------------------------- */

#define LAI_CACHE_MAGIC 0x4c4b4153u  /* "SAKL": alive */
#define LAI_CACHE_DEAD 0x44454144u   /* "DAED": destroyed (tombstone) */

/* Counters summed over a cache's threads. */
typedef struct lai_counts {
    uint64_t allocs, alloc_misses, frees, free_misses;
} lai_counts_t;

struct la_lookaside {
    la_lookaside_head_t cc_head;     /* first: the inline fast path reads lh_fast_off */
    uint32_t cc_magic;
    uint32_t cc_index;               /* registry index (>= 1) */
    uint32_t cc_flags;               /* LA_LOOKASIDE_* */
    size_t cc_size;                  /* block size (rounded) */
    size_t cc_align;
    size_t cc_alloc_size;            /* bytes per block asked of the backing */
    size_t cc_trailer_off;           /* checked trailer: cc_size (+ a verifier redzone) */
    lai_verify_t *cc_verify;         /* verifier record (verify.c), NULL: not verified */
    unsigned cc_pool_type;
    la_tag_t cc_tag;
    la_lookaside_alloc_fn *cc_balloc; /* NULL: the pool */
    la_lookaside_free_fn *cc_bfree;
    void *cc_barg;
    la_lookaside_ctor_fn *cc_ctor;
    la_lookaside_dtor_fn *cc_dtor;
    void *cc_carg;
    la_region_t *cc_region;          /* region backing, or NULL */
    size_t cc_rg_stride;             /* bytes per carved block */
    uint32_t cc_mag_initial;         /* first capacity of a thread's magazines */
    _Atomic uint32_t cc_mag_max;     /* magazine capacity bound (= MaximumDepth) */
    _Atomic uint32_t cc_epoch;       /* bumped by flush / trim / tuner shrink */
    char cc_name[LA_LOOKASIDE_NAME_MAX];

    /* Registry lock: */
    la_list_entry_t cc_tcaches;      /* lai_tcache_t of live threads */
    uint32_t cc_threads;
    lai_counts_t cc_retired;         /* folded from exited threads and destroyed records */
    lai_counts_t cc_baseline;        /* subtracted from reports (reset_counters) */

    /* Atomic, any thread: */
    _Atomic uint64_t cc_orph_allocs; /* threads without a record (exiting, out of memory) */
    _Atomic uint64_t cc_orph_frees;
    _Atomic uint64_t cc_orph_alloc_misses;
    _Atomic uint64_t cc_orph_free_misses;
    _Atomic uint64_t cc_released;    /* blocks given back by flush/trim/tuner/shrink */
    _Atomic uint64_t cc_tune_grows;
    _Atomic uint64_t cc_tune_shrinks;
    _Atomic uint64_t cc_tune_trimmed;
    _Atomic uint64_t cc_backing_failures;

    /* The magazine store (cc_lock), on its own lines: */
    _Alignas(LA_CACHE_LINE) la_prim_lock_t cc_lock;
    lai_mag_t *cc_full;              /* magazines holding rounds, LIFO */
    lai_mag_t *cc_empty;             /* spare empty magazines */
    uint32_t cc_nempty;
    _Atomic uint64_t cc_depot_blocks; /* rounds in cc_full (written under cc_lock) */
    uint64_t cc_depot_contention;    /* cc_lock found held (diagnostics) */

    /* Region backing (cc_rg_lock, a leaf): the uncarved rest and returned blocks. */
    la_prim_lock_t cc_rg_lock;
    char *cc_rg_next, *cc_rg_end;
    void *cc_rg_free;                /* linked through each block's first word */

    /* The Windows-shaped fields: Depth, MaximumDepth, type, tag, size, registry link,
     * Last* snapshots, and (DEPOT_ONLY) the block S-list. */
    _Alignas(LA_CACHE_LINE) lai_depot_t cc_depot;
};

static inline la_lookaside_slot_t *lai_slot(const la_lookaside_t *c) {
    return (la_lookaside_slot_t *)(void *)((char *)lai_slots + c->cc_head.lh_fast_off);
}

static inline la_lookaside_t *lai_cache_of(lai_depot_t *d) {
    return LA_CONTAINER_OF(d, la_lookaside_t, cc_depot);
}

/* ---- registry (lookaside.c) ------------------------------------------------------------- */

typedef struct lai_registry {
    la_prim_lock_t lock;
    la_list_entry_t lists;           /* every registered depot, by dp_link, creation order */
    la_list_entry_t threads;         /* lai_thread_t with records */
    la_lookaside_t **by_index;       /* index -> live cache (0 unused) */
    uint32_t index_cap;
    uint32_t nlists;
    _Atomic uint32_t visitors;       /* tuner passes giving blocks back outside the lock */
} lai_registry_t;

LA_INTERNAL extern lai_registry_t lai_reg;

LA_INTERNAL void lai_registry_lock(void);
LA_INTERNAL void lai_registry_unlock(void);
/* Wait until no tuner pass is between its two registry-lock holds. */
LA_INTERNAL void lai_registry_wait_visitors(void);
/* True while the calling thread runs a tuner pass's give-back phase. */
LA_INTERNAL bool lai_in_tuner_pass(void);
LA_INTERNAL void lai_set_in_tuner_pass(bool on);

/* This thread's record for `c`, created on first use; NULL when the thread has
 * passed its exit hook or memory ran out (callers then use the depot directly). */
LA_INTERNAL lai_tcache_t *lai_tcache_get(la_lookaside_t *c);
/* This thread's record for `c` if it has one (never creates). */
LA_INTERNAL lai_tcache_t *lai_tcache_find(la_lookaside_t *c);
/* Hand a record's magazines to the depot (all of them, whatever Depth says) and
 * leave its slot inactive. The record's owner thread only. */
LA_INTERNAL void lai_tcache_return(lai_tcache_t *tc);

/* Sum of a cache's counters (registry lock held). */
LA_INTERNAL void lai_cache_counts(la_lookaside_t *c, lai_counts_t *out);

/* ---- magazines and depot (lookaside_magazine.c, lookaside_depot.c) ---------------------- */

LA_INTERNAL lai_mag_t *lai_mag_new(uint32_t cap);
LA_INTERNAL void *lai_alloc_slow(la_lookaside_t *c);
LA_INTERNAL void lai_free_slow(la_lookaside_t *c, void *block);

/* Backing (with constructor / destructor and checked trailers). */
LA_INTERNAL void *lai_backing_alloc(la_lookaside_t *c);
LA_INTERNAL void lai_backing_free(la_lookaside_t *c, void *block);
/* Free `n` blocks to the backing, counting them as released. */
LA_INTERNAL void lai_backing_release(la_lookaside_t *c, void *const *blocks, size_t n);

/* Magazine store. */
LA_INTERNAL lai_mag_t *lai_store_take_full(la_lookaside_t *c, lai_mag_t *give_empty);
LA_INTERNAL bool lai_store_put_full(la_lookaside_t *c, lai_mag_t *m, bool force, uint32_t want_cap,
                                    lai_mag_t **empty_out);
LA_INTERNAL lai_mag_t *lai_store_take_empty(la_lookaside_t *c, uint32_t want_cap);
LA_INTERNAL void lai_store_put_empty(la_lookaside_t *c, lai_mag_t *m);
/* Move up to `max` rounds out of the store while it holds more than `keep`. */
LA_INTERNAL size_t lai_store_take_rounds(la_lookaside_t *c, void **out, size_t max, size_t keep);
/* Return store rounds beyond `keep` to the backing (released); returns the count. */
LA_INTERNAL size_t lai_store_trim(la_lookaside_t *c, size_t keep);
/* Give depot blocks beyond `keep` back (store or S-list), counted as released. */
LA_INTERNAL size_t lai_cache_trim(la_lookaside_t *c, size_t keep);
/* One block into / out of the store without a thread record (Windows per-block rule). */
LA_INTERNAL bool lai_store_put_one(la_lookaside_t *c, void *block);
LA_INTERNAL void *lai_store_take_one(la_lookaside_t *c);
/* Free every magazine of the store (destroy; no concurrent users). */
LA_INTERNAL void lai_store_free_all(la_lookaside_t *c);

/* Blocks in the depot: the store's rounds, or the S-list's depth (DEPOT_ONLY). */
LA_INTERNAL uint64_t lai_depot_blocks(la_lookaside_t *c);

/* ---- checked builds: the block trailer ---------------------------------------------------- */

typedef struct lai_trailer {
    uintptr_t tr_owner;              /* (uintptr_t)cache ^ LAI_TRAILER_KEY */
    uint32_t tr_state;               /* LAI_BLOCK_LIVE / LAI_BLOCK_FREE */
    uint32_t tr_check;               /* ~tr_state */
} lai_trailer_t;

#define LAI_TRAILER_SIZE 16u
#define LAI_TRAILER_KEY ((uintptr_t)0x5a17b10c4c4b4153ull)
#define LAI_BLOCK_LIVE 0x4c495645u   /* handed out */
#define LAI_BLOCK_FREE 0x46524545u   /* in the cache */

static inline lai_trailer_t *lai_trailer(const la_lookaside_t *c, void *block) {
    return (lai_trailer_t *)(void *)((char *)block + c->cc_trailer_off);
}
static inline void lai_trailer_set(const la_lookaside_t *c, void *block, uint32_t state) {
    lai_trailer_t *t = lai_trailer(c, block);
    t->tr_owner = (uintptr_t)c ^ LAI_TRAILER_KEY;
    t->tr_state = state;
    t->tr_check = ~state;
}

/* ---- external checkers (src/track.h): a block entering / leaving the cache ---------------- */

/* A block the cache now holds: inaccessible to the program (DEPOT_ONLY blocks keep
 * their first 16 bytes open: the S-list link is read by poppers). */
static inline void lai_track_cached(const la_lookaside_t *c, void *b) {
    if (LA_TRACK_COMPILED) {
        size_t skip = (c->cc_flags & LA_LOOKASIDE_DEPOT_ONLY) ? 16u : 0u;
        lai_track_noaccess((char *)b + skip, c->cc_size - skip);
    }
}
/* A block handed out: its contents are the constructor's, or undefined. */
static inline void lai_track_handed_out(const la_lookaside_t *c, void *b) {
    if (LA_TRACK_COMPILED) {
        if (c->cc_ctor)
            lai_track_defined(b, c->cc_size);
        else
            lai_track_undefined(b, c->cc_size);
    }
}

/* Checked builds: is `c` a live cache? Reports and returns false otherwise. */
LA_INTERNAL bool lai_check_cache(const la_lookaside_t *c, const char *file, int line);
/* Checked builds: may `block` be freed to `c`? Reports and returns false otherwise;
 * on true the trailer now says FREE. */
LA_INTERNAL bool lai_check_free(la_lookaside_t *c, void *block, const char *file, int line);

/* ---- tuner (lookaside_tuner.c) ------------------------------------------------------------- */

/* Replace the tuner's clock (NULL restores the monotonic clock). Tests only. */
typedef uint64_t lai_clock_fn(void *arg);
LA_INTERNAL void lai_tuner_clock_set(lai_clock_fn *fn, void *arg);
/* Start the background tuner unless it was turned off (first cache creation). */
LA_INTERNAL void lai_tuner_autostart(void);

/* ---- stats (lookaside_stats.c) ---------------------------------------------------------------- */

/* Fill a snapshot of a registered depot (registry lock held). */
LA_INTERNAL void lai_stats_fill(lai_depot_t *d, la_lookaside_stats_t *out);

#endif /* LA_LOOKASIDE_INTERNAL_H */
