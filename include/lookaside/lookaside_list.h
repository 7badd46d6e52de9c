/* lookaside/lookaside_list.h — lookaside lists: fixed-size block caches with the
 * Windows lookaside semantics (Depth, MaximumDepth, TotalAllocates, AllocateMisses,
 * TotalFrees, FreeMisses, a periodic depth tuner, !lookaside) and a per-thread
 * fast path that makes them faster than a general-purpose malloc.
 *
 * What
 *   A cache (la_lookaside_t) hands out blocks of one size. Three tiers:
 *
 *     thread magazine   two pointer arrays per thread and cache ("loaded" and
 *                       "previous", Bonwick's magazines). Allocate pops, free
 *                       pushes: no atomics, no locks. Any thread may use any cache
 *                       with no registration; a thread's magazines go back to the
 *                       depot when it exits. Magazine capacity adapts: a thread
 *                       that keeps exchanging magazines with the depot doubles its
 *                       capacity (up to MaximumDepth blocks per magazine).
 *     depot             the Windows-shaped core: Depth, MaximumDepth, the four
 *                       counters, pool type, tag, size; holds full magazines (and,
 *                       with LA_LOOKASIDE_DEPOT_ONLY, single blocks on an S-list).
 *                       It takes a magazine while it stays within Depth blocks, and
 *                       always one when it is empty (so threads can hand blocks
 *                       over at any Depth); the tuner moves Depth.
 *     backing           where blocks come from and go back to: the tagged pool
 *                       (la_pool_alloc with the cache's pool type and tag; the
 *                       default), a region (blocks carved from one la_region_t:
 *                       contiguous, huge-page, NUMA-bound or locked memory), or the
 *                       caller's allocate/free callbacks.
 *
 *   Counters are counted by the thread that does the work and summed when read, so
 *   they are exact under cross-thread frees (a block may be freed on any thread).
 *
 * Rules
 *   - Block size: sizes below LA_LOOKASIDE_MIN_BLOCK (16) are rounded up to it, and
 *     every size is rounded up to a multiple of the alignment. la_lookaside_block_size()
 *     tells the rounded size; the !lookaside view shows it as Size.
 *   - Alignment: a power of two from 16 up to the page size (0 means 16). Larger or
 *     non-power-of-two alignments, a zero size, or a size above LA_LOOKASIDE_MAX_BLOCK
 *     fail creation with EINVAL.
 *   - Depth: MaximumDepth is 1..1024 (0 means 1024); Depth starts at the given
 *     initial depth (0 means LA_LOOKASIDE_MIN_DEPTH = 4, as Windows) and the tuner
 *     keeps it within [min(4, MaximumDepth), MaximumDepth].
 *   - Miss accounting: AllocateMisses counts allocations served by the backing
 *     (no magazine or depot block was available); FreeMisses counts blocks that the
 *     free path sent to the backing because the depot was at Depth. Blocks returned
 *     by flush, trim, the tuner and destroy are counted as `released`, not as misses.
 *   - Constructor / destructor (optional): the constructor runs when a block enters
 *     the cache from the backing (on an allocation miss), the destructor when it
 *     leaves for the backing; in between the block keeps its constructed state
 *     across free and reuse (the cache never writes into blocks, except the first
 *     pointer-sized word with LA_LOOKASIDE_DEPOT_ONLY, which therefore refuses a
 *     constructor). A constructor that returns non-zero fails that allocation with
 *     that errno value; the block goes straight back to the backing.
 *   - free(NULL) does nothing. A block may be freed on any thread, to the cache
 *     that allocated it, once.
 *   - Destroy: no thread may use the cache during or after la_lookaside_destroy,
 *     and every thread's last use must happen-before the destroy (a join, a mutex,
 *     ...). Destroy returns every cached block to the backing — the depot's, those
 *     in magazines of exited threads and of live threads — runs the destructor on
 *     each, and reports blocks still outstanding (returned, and printed through
 *     la_printf as one line when not zero).
 *   - Live magazines: flush and trim can reach the depot and the calling thread's
 *     magazines only. Other live threads give their surplus back at their next
 *     slow-path visit after a flush, trim or tuner shrink, or when they exit, or when
 *     they call la_lookaside_thread_flush(). Their blocks are counted as cached.
 *   - Backing callbacks, constructors and destructors run without library locks
 *     held; they may allocate from other caches but must not destroy caches.
 *
 * Misuse (checked builds, LA_CONFIG_CHECKED — the default build)
 *   Each block carries a 16-byte trailer (owner and state) and freed caches stay as
 *   tombstones (the last LA_LOOKASIDE_TOMBSTONES of them), so the library reports
 *     free of a block of another cache          LA_FATAL_WRONG_OWNER
 *     free of a pointer no cache handed out     LA_FATAL_BAD_POINTER (also misaligned)
 *     a second free of the same block           LA_FATAL_DOUBLE_FREE
 *     any use of a destroyed cache              LA_FATAL_USE_AFTER_DESTROY
 *     a cached block whose trailer was overwritten
 *       (a write past the end), when it would be
 *       handed out again                        LA_FATAL_CORRUPT_BLOCK
 *   naming the block and the caller's file:line (la_lookaside_free_at / the
 *   LA_LOOKASIDE_FREE macro). If an installed fatal handler returns, the operation
 *   is abandoned: the free does nothing, the allocation returns NULL with errno
 *   EFAULT (a corrupt block is dropped and stays counted as outstanding). A block
 *   of another cache is recognised as such when both caches have the same block
 *   size; otherwise it is reported as a bad pointer. In checked builds the inline fast path calls the checked out-of-line
 *   functions. Unchecked builds do not look: such misuse corrupts the cache.
 *   la_lookaside_alloc_sized() refuses (NULL, errno EINVAL) a size or alignment
 *   the cache cannot serve, in every build.
 *
 * Fast path
 *   la_lookaside_alloc / la_lookaside_free are out of line (one call each).
 *   la_lookaside_alloc_inline / la_lookaside_free_inline do the same thing inline
 *   for the first LA_LOOKASIDE_TLS_SLOTS - 1 live caches (a per-thread array of
 *   magazine views indexed by the cache's slot); any other case calls the
 *   out-of-line function. Mixing the two forms on one cache is fine.
 *
 * The pool fronting its own size classes with caches
 *   Give the cache explicit allocate/free callbacks (params.alloc / params.free)
 *   that reach the pool's slab allocator directly. A cache with callbacks never
 *   calls la_pool_alloc or la_pool_free, and the cache's own metadata (magazines,
 *   thread records) comes from the C library's malloc, so there is no cycle.
 *
 * Threads
 *   Every function is thread-safe except that destroy must not race with any use
 *   of the same cache (see Destroy). The tuner runs on a background thread the
 *   library starts at the first cache creation (la_lookaside_tuner_enable(false)
 *   before that, or LA_LOOKASIDE_TUNER=0 in the environment, keeps it off);
 *   la_lookaside_tune_now() runs one pass on the calling thread.
 *
 * Example (compiled and run by tests/api/test_lookaside_api.c):
 *
 *     la_lookaside_params_t p = {0};
 *     p.name = "requests";
 *     p.size = 100;                                // rounded up to 112
 *     p.tag = LA_TAG('R', 'e', 'q', 's');          // pool tag (default backing)
 *     p.pool_type = LA_POOL_PAGED;
 *     la_lookaside_t *cache;
 *     int err = la_lookaside_create(&p, &cache);
 *     if (err) return err;                         // EINVAL, ENOMEM
 *     void *a = la_lookaside_alloc(cache);         // first one: a miss (from the pool)
 *     la_lookaside_free(cache, a);                 // cached in this thread's magazine
 *     void *b = la_lookaside_alloc_inline(cache);  // a hit: the same block (LIFO)
 *     la_lookaside_free_inline(cache, b);
 *     la_lookaside_stats_t s = {.size = sizeof s};
 *     la_lookaside_query(cache, &s);               // total_allocates 2, allocate_misses 1
 *     la_lookaside_print(cache);                   // the !lookaside view via la_printf
 *     size_t leaked = la_lookaside_destroy(cache); // 0: the cached block goes back
 */
#ifndef LOOKASIDE_LOOKASIDE_LIST_H
#define LOOKASIDE_LOOKASIDE_LIST_H

#include <lookaside/base.h>
#include <lookaside/pool.h>
#include <lookaside/region.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Thread-local storage class usable in C11 and C++ declarations. */
#ifndef LA_THREAD_LOCAL
#ifdef __cplusplus
#define LA_THREAD_LOCAL thread_local
#else
#define LA_THREAD_LOCAL _Thread_local
#endif
#endif

LA_BEGIN_DECLS

/* ---- limits ----------------------------------------------------------------------- */

#define LA_LOOKASIDE_MIN_BLOCK 16u          /* smaller sizes are rounded up to this */
#define LA_LOOKASIDE_MAX_BLOCK (1u << 30)   /* larger sizes are refused (EINVAL) */
#define LA_LOOKASIDE_MIN_DEPTH 4u           /* Windows' minimum and initial Depth */
#define LA_LOOKASIDE_MAX_DEPTH 1024u        /* EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT */
#define LA_LOOKASIDE_NAME_MAX 48u           /* name bytes kept, with the terminator */
#define LA_LOOKASIDE_TLS_SLOTS 64u          /* per-thread fast slots (slot 0 unused) */
#define LA_LOOKASIDE_TOMBSTONES 64u         /* destroyed caches remembered (checked builds) */

/* ---- creation ---------------------------------------------------------------------- */

typedef struct la_lookaside la_lookaside_t;

/* Flags (la_lookaside_params_t.flags). */
#define LA_LOOKASIDE_DEPOT_ONLY 0x1u     /* no magazines: every call goes to the depot's
                                            S-list, with Windows' per-block semantics */
#define LA_LOOKASIDE_RAISE_ON_FAIL 0x2u  /* pool backing: failures call the raise handler
                                            (LA_POOL_F_RAISE) */
#define LA_LOOKASIDE_NO_TUNE 0x4u        /* the tuner leaves Depth (and this cache) alone */
#define LA_LOOKASIDE_FLAGS_MASK 0x7u
/* Reported in la_lookaside_stats_t.flags only: the backing is a region. */
#define LA_LOOKASIDE_REGION_BACKED 0x100u

/* Backing callbacks. `size` is what the cache needs per block (at least the block
 * size; more in checked builds, which append a trailer); the block must be aligned
 * to `align`. Return NULL on failure. */
typedef void *la_lookaside_alloc_fn(la_lookaside_t *cache, size_t size, size_t align, void *arg);
typedef void la_lookaside_free_fn(la_lookaside_t *cache, void *block, size_t size, void *arg);
/* Constructor (0 = constructed, else an errno value) and destructor. */
typedef int la_lookaside_ctor_fn(void *block, void *arg);
typedef void la_lookaside_dtor_fn(void *block, void *arg);

typedef struct la_lookaside_params {
    const char *name;                 /* copied (LA_LOOKASIDE_NAME_MAX - 1 bytes kept); NULL = "" */
    size_t size;                      /* block size in bytes (> 0) */
    size_t align;                     /* 0 = 16; power of two <= page size */
    la_tag_t tag;                     /* pool tag; must be valid (la_tag_valid) with the pool backing */
    unsigned pool_type;               /* la_pool_type_t bits for the pool backing */
    unsigned flags;                   /* LA_LOOKASIDE_* */
    unsigned max_depth;               /* MaximumDepth: 1..1024, 0 = 1024 */
    unsigned depth;                   /* initial Depth: 0 = min(4, max_depth); clamped to max_depth */
    la_lookaside_alloc_fn *alloc;     /* both NULL: the pool; both set: these callbacks */
    la_lookaside_free_fn *free;
    void *backing_arg;
    la_lookaside_ctor_fn *ctor;       /* optional */
    la_lookaside_dtor_fn *dtor;       /* optional */
    void *ctor_arg;
    la_region_t *region;              /* optional backing: carve blocks from this region
                                         (see below); not with alloc/free */
} la_lookaside_params_t;

/* Region backing: blocks are carved from the region, one after the other (each
 * block's backing size rounded up to the alignment), and blocks given back to the
 * backing go on a free list inside the cache for reuse — the memory stays the
 * region's, which also keeps the S-list memory rule. When the region is used up
 * an allocation miss fails with ENOMEM. The region must outlive the cache;
 * pool_type and tag are then labels only. */

/* Create a cache. EINVAL for a bad size, alignment, depth, flag, a tag the pool
 * refuses (pool backing), only one of alloc/free, a region together with alloc/free
 * or too small for one block, or a constructor with LA_LOOKASIDE_DEPOT_ONLY;
 * ENOMEM. *out is written only on success. */
LA_API int la_lookaside_create(const la_lookaside_params_t *params, la_lookaside_t **out);

/* Destroy a cache (see Destroy in the rules). Returns the number of blocks still
 * outstanding (allocated and never freed); when not zero one line names the cache
 * and the count through la_printf. NULL returns 0. */
LA_API size_t la_lookaside_destroy(la_lookaside_t *cache);

/* ---- allocation ---------------------------------------------------------------------- */

/* One block, or NULL with errno (ENOMEM from the backing, a constructor's error,
 * EFAULT after a misuse report whose handler returned). */
LA_API LA_NODISCARD void *la_lookaside_alloc(la_lookaside_t *cache);
/* A block for an object of `size` bytes aligned to `align` (0 = no requirement):
 * NULL with errno EINVAL when size > block size or align > the cache's alignment. */
LA_API LA_NODISCARD void *la_lookaside_alloc_sized(la_lookaside_t *cache, size_t size, size_t align);
/* Give a block back (NULL is ignored). */
LA_API void la_lookaside_free(la_lookaside_t *cache, void *block);
/* The same, naming the caller in misuse reports. */
LA_API void la_lookaside_free_at(la_lookaside_t *cache, void *block, const char *file, int line);
#define LA_LOOKASIDE_FREE(cache, block) la_lookaside_free_at((cache), (block), LA_HERE)

/* Allocate `count` blocks into out[0..count-1]: all or nothing. Returns 0, or the
 * errno of the failure (then out is not written and nothing stays allocated). */
LA_API int la_lookaside_alloc_bulk(la_lookaside_t *cache, void **out, size_t count);
/* Free `count` blocks (NULL entries are skipped). */
LA_API void la_lookaside_free_bulk(la_lookaside_t *cache, void *const *blocks, size_t count);

/* ---- giving memory back ---------------------------------------------------------------- */

/* Return every block of the depot and of the calling thread's magazines to the
 * backing (destructor run on each). Counters are not changed (as Windows' flush);
 * the blocks are counted in `released`. Other threads' magazines: see the rules.
 * Returns the number of blocks returned. */
LA_API size_t la_lookaside_flush(la_lookaside_t *cache);
/* Return depot blocks to the backing until at most `keep` remain there, free the
 * depot's spare empty magazines, and ask every thread to shrink its magazines at
 * its next slow-path visit. Returns the number of blocks returned. */
LA_API size_t la_lookaside_trim(la_lookaside_t *cache, size_t keep);
/* Hand the calling thread's magazines of every cache back to the depots (as at
 * thread exit). Call before a thread goes idle for long. */
LA_API void la_lookaside_thread_flush(void);

/* ---- depth ------------------------------------------------------------------------------ */

/* Set MaximumDepth (1..1024) and Depth (clamped into [min, max]); `!lookaside`
 * option 2. The depot's surplus goes back at the next trim or tuner visit. EINVAL. */
LA_API int la_lookaside_set_depth(la_lookaside_t *cache, unsigned depth, unsigned max_depth);

/* ---- facts --------------------------------------------------------------------------------- */

LA_API size_t la_lookaside_block_size(const la_lookaside_t *cache);
LA_API size_t la_lookaside_alignment(const la_lookaside_t *cache);
LA_API const char *la_lookaside_name(const la_lookaside_t *cache);

/* ---- statistics -------------------------------------------------------------------------------- */

#define LA_LOOKASIDE_STATS_VERSION 1u

/* What kind of list a snapshot describes. */
#define LA_LOOKASIDE_KIND_NATIVE 0u    /* la_lookaside_t */
#define LA_LOOKASIDE_KIND_WDK 1u       /* a WDK-layer list (NPAGED_/PAGED_LOOKASIDE_LIST, LOOKASIDE_LIST_EX) */

/* A snapshot. Set `size` to sizeof(la_lookaside_stats_t) before a query (newer
 * libraries fill only what an older caller's size covers); `version` is written. */
typedef struct la_lookaside_stats {
    uint32_t size;                    /* in: sizeof the caller's struct */
    uint32_t version;                 /* out: LA_LOOKASIDE_STATS_VERSION */
    const void *address;              /* the cache or the WDK list */
    char name[LA_LOOKASIDE_NAME_MAX];
    uint32_t kind;                    /* LA_LOOKASIDE_KIND_* */
    uint32_t pool_type;               /* native: la_pool_type_t bits; WDK: the POOL_TYPE */
    uint32_t tag;
    uint32_t flags;                   /* native: LA_LOOKASIDE_* */
    uint64_t block_size;              /* "Size" */
    uint32_t depth;                   /* Depth, the current limit: "Max Depth" in !lookaside */
    uint32_t max_depth;               /* MaximumDepth */
    uint64_t total_allocates;
    uint64_t allocate_misses;         /* served by the backing */
    uint64_t total_frees;
    uint64_t free_misses;             /* sent to the backing by the free path */
    uint64_t cached;                  /* blocks held by the cache, all tiers */
    uint64_t cached_depot;            /* of those, in the depot: "Current Depth" */
    uint64_t cached_magazines;        /* of those, in threads' magazines */
    uint64_t outstanding;             /* allocated and not yet freed */
    uint64_t bytes_cached;            /* cached * block_size */
    uint64_t released;                /* blocks given back by flush, trim, tuner, shrink */
    uint64_t tuner_grows;             /* tuner actions that raised Depth */
    uint64_t tuner_shrinks;           /* tuner actions that lowered Depth */
    uint64_t tuner_trimmed;           /* blocks the tuner gave back */
    uint32_t threads;                 /* live threads holding magazines of this cache */
    uint32_t magazine_max;            /* largest magazine capacity among them */
} la_lookaside_stats_t;

/* Snapshot one cache. EINVAL when out is NULL or out->size is too small to hold
 * the header fields (size, version). Exact when no thread is using the cache;
 * while threads run, each counter is a recent value. */
LA_API int la_lookaside_query(const la_lookaside_t *cache, la_lookaside_stats_t *out);
/* Zero the four counters' history (`!lookaside` option 1): afterwards the hit
 * rates describe only what happens next. `outstanding` and `cached` keep their values. */
LA_API void la_lookaside_reset_counters(la_lookaside_t *cache);

/* Called once per registered list (native caches and WDK lists, in creation
 * order) with a snapshot, without library locks held. */
typedef void la_lookaside_visit_fn(const la_lookaside_stats_t *stats, void *arg);
/* Returns the number of lists visited. */
LA_API size_t la_lookaside_foreach(la_lookaside_visit_fn *fn, void *arg);

/* The snapshot as one JSON object, snprintf-style: writes at most `cap` bytes
 * (always terminated when cap > 0) and returns the length the whole text needs. */
LA_API size_t la_lookaside_stats_json(const la_lookaside_stats_t *stats, char *buf, size_t cap);
/* The !lookaside view of one snapshot through la_printf:
 *
 *     Lookaside "requests" @ 0x5581e2c0 "Reqs"
 *         Type           =       0000 PagedPool
 *         Current Depth  =          0   Max Depth  =          4
 *         Size           =        112   Max Alloc  =        448
 *         AllocateMisses =          1   FreeMisses =          0
 *         TotalAllocates =          2   TotalFrees =          2
 *         Hit Rate       =        50%   Hit Rate   =       100%
 *
 * plus, for native caches, a line with the magazine tier. Hit rates are truncated
 * integer percent ((total - misses) * 100 / total), 0% when the total is 0. */
LA_API void la_lookaside_stats_print(const la_lookaside_stats_t *stats);
/* Query and print one cache. */
LA_API void la_lookaside_print(const la_lookaside_t *cache);
/* Print every registered list (`!lookaside -all`); returns how many. */
LA_API size_t la_lookaside_print_all(void);
/* Every registered list as a JSON array through la_printf; returns how many. */
LA_API size_t la_lookaside_json_print_all(void);
/* Decode a pool type as !lookaside does ("PagedPool", "NonPagedPool CacheAligned",
 * "PagedPool RaiseIfAllocationFailure", ...) into buf; returns buf. `kind` says
 * whose encoding `type` is in (native la_pool_type_t bits, or a Windows POOL_TYPE). */
LA_API const char *la_lookaside_type_name(uint32_t kind, uint32_t type, uint32_t flags, char *buf,
                                          size_t cap);

/* ---- the tuner ------------------------------------------------------------------------------- */

/* Run one tuner pass over every registered list now, on this thread. Returns the
 * number of lists whose Depth changed. */
LA_API size_t la_lookaside_tune_now(void);
/* Turn the background tuner on or off (off joins the thread). Returns 0 or the
 * error of starting the thread. */
LA_API int la_lookaside_tuner_enable(bool on);
LA_API bool la_lookaside_tuner_enabled(void);

/* ---- the inline fast path ----------------------------------------------------------------------- */

/* Private to the fast path; do not use these names directly. A cache begins with
 * la_lookaside_head_t; lh_fast_off is the byte offset of its slot in the calling
 * thread's la_lookaside_tls_ (0: no fast slot — slot 0 is always empty and full,
 * so both inline tests fail and the out-of-line function takes over). A slot views
 * the thread's loaded magazine: rounds [base, top) are cached blocks. */
typedef struct la_lookaside_head {
    uint32_t lh_fast_off;
    uint32_t lh_reserved;
} la_lookaside_head_t;

typedef struct la_lookaside_slot {
    void **ls_top;                    /* next free round */
    void **ls_base;                   /* empty when top == base */
    void **ls_limit;                  /* full when top == limit */
    uint64_t ls_allocs;               /* this thread's allocations from this cache */
    uint64_t ls_frees;                /* this thread's frees to this cache */
    uint64_t ls_reserved[3];
} la_lookaside_slot_t;

LA_API extern LA_THREAD_LOCAL la_lookaside_slot_t la_lookaside_tls_[LA_LOOKASIDE_TLS_SLOTS];

LA_INLINE la_lookaside_slot_t *la_lookaside_slot_(la_lookaside_t *cache) {
    return (la_lookaside_slot_t *)(void *)((char *)la_lookaside_tls_ +
                                           ((const la_lookaside_head_t *)(const void *)cache)->lh_fast_off);
}

/* Per-thread counters: only their thread writes them; snapshots on other threads
 * read them with relaxed atomic loads. The owner's increment is a plain one (one
 * instruction); compiled for ThreadSanitizer it is a relaxed atomic store instead,
 * so the race detector sees the protocol. (A naturally aligned 64-bit store is
 * single-copy atomic on every target the library supports; C11 calls the plain
 * form a data race, which is why the TSan build spells it out.) */
#if defined(__SANITIZE_THREAD__)
#define LA_LOOKASIDE_ATOMIC_COUNTS_ 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LA_LOOKASIDE_ATOMIC_COUNTS_ 1
#endif
#endif
#ifndef LA_LOOKASIDE_ATOMIC_COUNTS_
#define LA_LOOKASIDE_ATOMIC_COUNTS_ 0
#endif

LA_INLINE void la_lookaside_count_(uint64_t *counter) {
    if (LA_LOOKASIDE_ATOMIC_COUNTS_)
        __atomic_store_n(counter, *counter + 1, __ATOMIC_RELAXED);
    else
        ++*counter;
}

/* la_lookaside_alloc, inline when the calling thread's magazine has a block. */
LA_INLINE LA_NODISCARD void *la_lookaside_alloc_inline(la_lookaside_t *cache) {
    if (!LA_CONFIG_CHECKED) {
        la_lookaside_slot_t *s = la_lookaside_slot_(cache);
        void **top = s->ls_top;
        if (LA_LIKELY(top != s->ls_base)) {
            s->ls_top = --top;
            la_lookaside_count_(&s->ls_allocs);
            return *top;
        }
    }
    return la_lookaside_alloc(cache);
}

/* la_lookaside_free, inline when the calling thread's magazine has room. Unlike
 * la_lookaside_free, `block` must not be NULL (unchecked builds would cache it). */
LA_INLINE void la_lookaside_free_inline(la_lookaside_t *cache, void *block) {
    if (!LA_CONFIG_CHECKED) {
        la_lookaside_slot_t *s = la_lookaside_slot_(cache);
        void **top = s->ls_top;
        if (LA_LIKELY(top != s->ls_limit)) {
            *top = block;
            s->ls_top = top + 1;
            la_lookaside_count_(&s->ls_frees);
            return;
        }
    }
    la_lookaside_free(cache, block);
}

LA_END_DECLS

#endif /* LOOKASIDE_LOOKASIDE_LIST_H */
