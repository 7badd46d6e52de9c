/* lookaside/allocator.h — one allocator interface for every container: a small
 * vtable (la_allocator_t), adapters that put each of our memory kinds behind it
 * (lookaside cache, tagged pool, region, the C library), a fault-injecting
 * wrapper for out-of-memory tests, and typed allocate-and-construct /
 * destruct-and-free helpers. <lookaside/allocator.hpp> puts the same allocators
 * under std::pmr::memory_resource and an STL allocator template.
 *
 * The interface
 *   A container takes a `const la_allocator_t *` and calls
 *       la_allocator_alloc(a, size, align)            -> block or NULL + errno
 *       la_allocator_free(a, p, size, align)          -> gives it back
 *       la_allocator_resize(a, p, old, new, align)    -> true: grown/shrunk in place
 *   Every call carries the block's layout (size and alignment), as C++'s sized
 *   aligned delete and Rust's Layout do: an adapter never has to guess which of its
 *   sources a block came from, so it can route by size (see the lookaside adapter's
 *   fallback) and check what it is given.
 *
 * Rules (for callers)
 *   - `align` is 0 or a power of two; 0 means LA_ALLOCATOR_DEFAULT_ALIGN (the
 *     fundamental alignment, as malloc). A non-power-of-two fails with EINVAL.
 *     `size` 0 is served as 1 byte (a unique block that must be freed).
 *   - Free and resize take the block's current size and the alignment it was
 *     allocated with (0 and LA_ALLOCATOR_DEFAULT_ALIGN are the same thing).
 *     After a successful resize the block's size is the new size.
 *   - Resize never moves and never fails loudly: false means nothing changed (the
 *     block keeps its old size and contents). la_allocator_realloc() tries resize
 *     and falls back to allocate + copy + free; on failure the old block is intact.
 *   - Allocation failures return NULL and set errno:
 *       ENOMEM  out of memory (or an injected failure)
 *       EINVAL  a request this allocator can never serve: a bad alignment, or a
 *               size or alignment above what the adapter's memory offers (a
 *               lookaside cache without a fallback, a pool alignment above the
 *               page, more than a whole region). Retrying will not help; ENOMEM
 *               might pass later.
 *       EDQUOT  a pool tag's hard budget (from the pool)
 *   - Thread safety is the underlying memory's: the libc, pool and lookaside
 *     adapters may be used from any thread at once; the fault wrapper too
 *     (its counters are atomic); the region adapter too (lock-free bump pointer).
 *   - Adapters keep their state in a struct the caller owns (hand
 *     `&x.allocator` to containers); it must outlive every block allocated through it.
 *
 * Rules (for people writing an adapter)
 *   The vtable functions are called with size >= 1 and align a power of two (the
 *   la_allocator_* wrappers guarantee it), never with p == NULL. allocate returns
 *   NULL + errno; free must accept exactly what allocate handed out; resize may be
 *   NULL (then only same-size "resizes" succeed). `name` is for reports and stats.
 *
 * The adapters
 *   libc       la_allocator_libc(): malloc / aligned_alloc / free. Resize succeeds
 *              for shrinks (free ignores the size) and fails for growth.
 *   lookaside  la_lookaside_allocator_init(): blocks of one cache. A request with
 *              size > block size or align > the cache's alignment is refused with
 *              EINVAL (never a too-small block) — unless a fallback allocator was
 *              given: then such requests go to the fallback, and free/resize route
 *              by the same rule on the layout they are given (route-by-size).
 *              Resize succeeds while the new size fits the block (cache blocks), is
 *              the fallback's resize while both sizes need the fallback, and fails
 *              cleanly when the block would change source. A free with a layout the
 *              adapter could not have handed out (no fallback) is reported
 *              (LA_FATAL_BAD_ARGUMENT) and abandoned.
 *   pool       la_pool_allocator_init(): la_pool_alloc(type, size, tag, flags),
 *              charged to (tag, kind of type); freed with la_pool_free_tag, so a
 *              block of another tag is caught. Alignment: 16 for small blocks; up
 *              to 64 through LA_POOL_CACHE_ALIGNED (same accounting kind); up to the
 *              page size by asking for a page-sized (page-aligned) block; above the
 *              page EINVAL. Resize succeeds while the new size fits
 *              la_pool_block_size(p) (the pool frees by address, never by size).
 *   region     la_region_allocator_init(): an arena over one region of
 *              <lookaside/region.h> (contiguous, huge-page, NUMA, locked memory):
 *              allocation bumps a pointer (any power-of-two alignment, by padding);
 *              freeing the most recent block gives its bytes back, any other free
 *              only counts (the bytes return at la_region_allocator_reset or when
 *              the region is freed). A request larger than the region: EINVAL;
 *              the region full: ENOMEM. Resize succeeds for a shrink, and for a
 *              growth of the most recent block while the region has room.
 *              Lock-free (one compare-and-swap per call); a free of a pointer
 *              outside the region is reported (LA_FATAL_BAD_POINTER) and abandoned.
 *   fault      la_fault_allocator_init(): wraps any allocator; fails the Nth call
 *              (and optionally the next ones) or a seeded share of calls with
 *              ENOMEM, counts calls, failures and live blocks/bytes. Allocate and
 *              resize calls both count as "calls" and both can be failed (a failed
 *              resize returns false); a free with no block live is reported
 *              (LA_FATAL_BAD_POINTER) and abandoned. Tests walk every failure path:
 *                  for (n = 1;; n++) { arm(n); run; if (no failure injected) break;
 *                                      check state; check live == 0 after cleanup; }
 *
 * Typed helpers
 *   la_allocator_new(a, size, align, ctor, arg) allocates and runs ctor; a ctor that
 *   fails (non-zero) gets the memory freed before NULL returns (errno = its value
 *   when positive, else ECANCELED): nothing stays allocated. la_allocator_delete runs
 *   the destructor first and only then releases the memory. LA_ALLOCATOR_NEW /
 *   LA_ALLOCATOR_DELETE do it for a C type without ctor (the object is zeroed);
 *   LA_ALLOCATOR_DEFINE_TYPE(prefix, type, ctor, dtor) defines type-checked
 *   prefix_new(a, arg) / prefix_delete(a, obj, arg) with your ctor and dtor.
 *
 * Example (compiled and run as written by tests/api/test_allocator.c):
 *
 *     struct point { double x, y; };
 *     la_pool_allocator_t pa;
 *     int err = la_pool_allocator_init(&pa, LA_POOL_PAGED, LA_TAG('P','n','t','s'), 0);
 *     if (err) return err;                          // EINVAL: bad tag, type or flags
 *     const la_allocator_t *a = &pa.allocator;      // what a container takes
 *     struct point *pt = LA_ALLOCATOR_NEW(a, struct point);  // zeroed, charged to "Pnts"
 *     if (!pt) return errno;
 *     pt->x = 1.5;
 *     char *buf = la_allocator_alloc(a, 100, 64);   // 100 bytes, 64-byte aligned
 *     if (!buf) { LA_ALLOCATOR_DELETE(a, struct point, pt); return errno; }
 *     bool grown = la_allocator_resize(a, buf, 100, 112, 64); // in place, or nothing changed
 *     la_allocator_free(a, buf, grown ? 112 : 100, 64);    // free with the current size
 *     LA_ALLOCATOR_DELETE(a, struct point, pt);
 */
#ifndef LOOKASIDE_ALLOCATOR_H
#define LOOKASIDE_ALLOCATOR_H

#include <lookaside/base.h>
#include <lookaside/lookaside_list.h>
#include <lookaside/pool.h>
#include <lookaside/region.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Alignment of a type, in C11 and C++. */
#ifndef LA_ALIGNOF
#ifdef __cplusplus
#define LA_ALIGNOF(type) alignof(type)
#else
#define LA_ALIGNOF(type) _Alignof(type)
#endif
#endif

LA_BEGIN_DECLS

/* ---- the interface ---------------------------------------------------------------- */

/* What align 0 means: the fundamental alignment (malloc's). */
#define LA_ALLOCATOR_DEFAULT_ALIGN ((size_t)LA_ALIGNOF(max_align_t))

/* Preconditions for all three: size/old_size/new_size >= 1, align a power of two,
 * p != NULL (see "Rules for people writing an adapter"). */
typedef void *la_allocator_alloc_fn(void *ctx, size_t size, size_t align);
typedef void la_allocator_free_fn(void *ctx, void *p, size_t size, size_t align);
typedef bool la_allocator_resize_fn(void *ctx, void *p, size_t old_size, size_t new_size,
                                    size_t align);

typedef struct la_allocator {
    la_allocator_alloc_fn *allocate;         /* required */
    la_allocator_free_fn *free;              /* required */
    la_allocator_resize_fn *resize_in_place; /* optional (NULL: never resizes) */
    void *ctx;                               /* first argument of the three */
    const char *name;                        /* for reports and stats; never NULL */
} la_allocator_t;

/* Layout normalisation shared by the wrappers: false for a bad alignment. */
LA_INLINE bool la_allocator_layout_(size_t *size, size_t *align) {
    if (*size == 0) *size = 1;
    if (*align == 0) *align = LA_ALLOCATOR_DEFAULT_ALIGN;
    return (*align & (*align - 1)) == 0;
}

/* `size` bytes aligned to `align` (0 = default), or NULL + errno (see Rules). */
LA_INLINE void *la_allocator_alloc(const la_allocator_t *a, size_t size, size_t align) {
    if (LA_UNLIKELY(!la_allocator_layout_(&size, &align))) {
        errno = EINVAL;
        return NULL;
    }
    return a->allocate(a->ctx, size, align);
}

/* Give back a block with the layout it has (NULL does nothing). */
LA_INLINE void la_allocator_free(const la_allocator_t *a, void *p, size_t size, size_t align) {
    if (!p) return;
    if (LA_UNLIKELY(!la_allocator_layout_(&size, &align))) {
        la_fatal(LA_FATAL_BAD_ARGUMENT, p, NULL, 0,
                 "allocator '%s': free with alignment %zu (not a power of two)", a->name, align);
        return;
    }
    a->free(a->ctx, p, size, align);
}

/* Change the size of a block without moving it: true when the block now holds
 * `new_size` bytes (contents kept up to the smaller size), false when nothing
 * changed. Never aborts, never moves. */
LA_INLINE bool la_allocator_resize(const la_allocator_t *a, void *p, size_t old_size,
                                   size_t new_size, size_t align) {
    size_t al = align;
    if (!p || !la_allocator_layout_(&old_size, &al)) return false;
    if (new_size == 0) new_size = 1;
    if (new_size == old_size) return true;
    return a->resize_in_place ? a->resize_in_place(a->ctx, p, old_size, new_size, al) : false;
}

/* Resize in place if possible, else allocate new_size, copy min(old, new) bytes and
 * free the old block. p == NULL allocates. NULL + errno on failure: the old block is
 * then untouched and still owned by the caller. */
LA_API LA_NODISCARD void *la_allocator_realloc(const la_allocator_t *a, void *p, size_t old_size,
                                               size_t new_size, size_t align);

/* `count` elements of `size` bytes; NULL + ENOMEM when count * size overflows. */
LA_API LA_NODISCARD void *la_allocator_alloc_array(const la_allocator_t *a, size_t count,
                                                   size_t size, size_t align);
/* Free what la_allocator_alloc_array returned (same count, size, align). */
LA_API void la_allocator_free_array(const la_allocator_t *a, void *p, size_t count, size_t size,
                                    size_t align);

/* ---- typed helpers ------------------------------------------------------------------ */

/* Constructor: 0 when the object is ready, else an errno value (nothing else may
 * remain allocated by it). Destructor: releases what the object owns. */
typedef int la_allocator_ctor_fn(void *obj, void *arg);
typedef void la_allocator_dtor_fn(void *obj, void *arg);

/* Allocate an object and construct it: ctor(obj, arg), or zero-fill when ctor is
 * NULL. A failing ctor has the memory freed before NULL returns (errno = its value
 * if positive, else ECANCELED). */
LA_API LA_NODISCARD void *la_allocator_new(const la_allocator_t *a, size_t size, size_t align,
                                           la_allocator_ctor_fn *ctor, void *arg);
/* Destruct and free: dtor(obj, arg) runs first (if given) while the memory is still
 * the object's; the memory is released after it returns. NULL does nothing. */
LA_API void la_allocator_delete(const la_allocator_t *a, void *obj, size_t size, size_t align,
                                la_allocator_dtor_fn *dtor, void *arg);

/* A zeroed `type` from `a`, or NULL + errno. */
#define LA_ALLOCATOR_NEW(a, type) \
    ((type *)la_allocator_new((a), sizeof(type), LA_ALIGNOF(type), NULL, NULL))
/* Free an object made by LA_ALLOCATOR_NEW; `obj` must be a `type *` (checked). */
#define LA_ALLOCATOR_DELETE(a, type, obj)                                                   \
    la_allocator_delete((a), (void *)(1 ? (obj) : (type *)0), sizeof(type), LA_ALIGNOF(type), \
                        NULL, NULL)

/* Define, for `type` with `int ctor(type *, void *arg)` and `void dtor(type *, void *arg)`:
 *     static inline type *prefix_new(const la_allocator_t *a, void *arg);
 *     static inline void prefix_delete(const la_allocator_t *a, type *obj, void *arg);
 * The signatures of ctor and dtor are checked by the compiler. */
#define LA_ALLOCATOR_DEFINE_TYPE(prefix, type, ctor, dtor)                                    \
    static inline int prefix##_la_ctor_(void *obj_, void *arg_) {                             \
        return ctor((type *)obj_, arg_);                                                      \
    }                                                                                         \
    static inline void prefix##_la_dtor_(void *obj_, void *arg_) { dtor((type *)obj_, arg_); } \
    static inline type *prefix##_new(const la_allocator_t *a_, void *arg_) {                  \
        return (type *)la_allocator_new(a_, sizeof(type), LA_ALIGNOF(type), prefix##_la_ctor_, \
                                        arg_);                                                \
    }                                                                                         \
    static inline void prefix##_delete(const la_allocator_t *a_, type *obj_, void *arg_) {    \
        la_allocator_delete(a_, obj_, sizeof(type), LA_ALIGNOF(type), prefix##_la_dtor_, arg_); \
    }

/* ---- adapters ------------------------------------------------------------------------- */

/* The C library: malloc / aligned_alloc / free. Never NULL; shared and immutable. */
LA_API const la_allocator_t *la_allocator_libc(void);

#define LA_ALLOCATOR_NAME_MAX 32u   /* adapter names kept, with the terminator */

/* Blocks of one lookaside cache (see "The adapters"). Fields after `allocator` are
 * the adapter's; read them, do not write them. */
typedef struct la_lookaside_allocator {
    la_allocator_t allocator;           /* hand &x.allocator to containers */
    la_lookaside_t *cache;
    size_t block_size;                  /* la_lookaside_block_size(cache) */
    size_t block_align;                 /* la_lookaside_alignment(cache) */
    const la_allocator_t *fallback;     /* NULL: refuse what does not fit (EINVAL) */
    char name[LA_ALLOCATOR_NAME_MAX];   /* "lookaside <cache name>" */
} la_lookaside_allocator_t;

/* EINVAL when out or cache is NULL. The cache and the fallback must outlive the
 * adapter's blocks; *out is written only on success. */
LA_API int la_lookaside_allocator_init(la_lookaside_allocator_t *out, la_lookaside_t *cache,
                                       const la_allocator_t *fallback);

/* Tagged pool memory: la_pool_alloc(type, size, tag, flags). */
typedef struct la_pool_allocator {
    la_allocator_t allocator;           /* hand &x.allocator to containers */
    unsigned type;                      /* la_pool_type_t bits */
    la_tag_t tag;
    unsigned flags;                     /* la_pool_flags_t bits */
    char name[LA_ALLOCATOR_NAME_MAX];   /* "pool <tag>" */
} la_pool_allocator_t;

/* EINVAL for a tag la_tag_valid refuses, unknown type bits or flag bits. */
LA_API int la_pool_allocator_init(la_pool_allocator_t *out, unsigned type, la_tag_t tag,
                                  unsigned flags);

/* An arena over one region (see "The adapters"). The region stays the caller's:
 * free it (la_region_free) after the last use of the adapter. Fields after
 * `allocator` are the adapter's: use the functions. */
typedef struct la_region_allocator {
    la_allocator_t allocator;           /* hand &x.allocator to containers */
    la_region_t *region;
    unsigned char *base;                /* the region's writable start */
    size_t capacity;                    /* the region's size */
    size_t ra_top;                      /* offset of the first free byte (atomic) */
    size_t ra_peak;                     /* highest ra_top (atomic) */
    uint64_t ra_live;                   /* blocks allocated and not freed (atomic) */
    char name[LA_ALLOCATOR_NAME_MAX];   /* "region <size> KiB" */
} la_region_allocator_t;

typedef struct la_region_allocator_stats {
    size_t capacity;   /* bytes in the region */
    size_t used;       /* bytes from the start to the first free byte (padding included) */
    size_t peak;       /* highest `used` since init or reset */
    uint64_t live;     /* blocks allocated and not freed */
} la_region_allocator_stats_t;

/* EINVAL when out or region is NULL (or la_region_query refuses the region). */
LA_API int la_region_allocator_init(la_region_allocator_t *out, la_region_t *region);
/* Forget every block at once: the whole region is free again. No block handed out
 * before may be used (or freed) after this; not concurrent with other calls. */
LA_API void la_region_allocator_reset(la_region_allocator_t *ra);
LA_API void la_region_allocator_stats_get(const la_region_allocator_t *ra,
                                          la_region_allocator_stats_t *out);

/* ---- the fault-injecting wrapper ----------------------------------------------------------- */

typedef struct la_fault_stats {
    uint64_t calls;          /* allocate + resize calls seen */
    uint64_t failures;       /* of those, failed by injection */
    uint64_t inner_failures; /* of those, failed by the wrapped allocator */
    uint64_t frees;          /* blocks freed */
    uint64_t live;           /* blocks allocated and not freed */
    uint64_t live_bytes;     /* their bytes (sizes as the caller gave them) */
    uint64_t peak_bytes;     /* highest live_bytes */
} la_fault_stats_t;

/* Wraps `inner`. The fields after `allocator` are private: use the functions. */
typedef struct la_fault_allocator {
    la_allocator_t allocator;           /* hand &x.allocator to containers */
    const la_allocator_t *inner;
    char name[LA_ALLOCATOR_NAME_MAX];   /* "fault <inner name>" */
    uint64_t fa_from, fa_count;         /* fail calls number fa_from .. fa_from+fa_count-1 */
    uint32_t fa_share_ppm;              /* and a seeded share of calls (per million) */
    uint64_t fa_seed;
    la_fault_stats_t fa_stats;          /* updated atomically */
} la_fault_allocator_t;

/* Wrap `inner` with nothing armed. EINVAL when out or inner is NULL. */
LA_API int la_fault_allocator_init(la_fault_allocator_t *out, const la_allocator_t *inner);
/* Fail the n-th allocate/resize call from now (n = 1: the next one) and the
 * `count` - 1 calls after it (count 0 means 1; UINT64_MAX: every call from then on).
 * n = 0 disarms. */
LA_API void la_fault_allocator_fail_nth(la_fault_allocator_t *f, uint64_t n, uint64_t count);
/* Also fail about `ppm` calls per million, chosen by `seed` and the call number
 * (the same seed fails the same call numbers). ppm = 0 disarms; ppm is capped at 1e6. */
LA_API void la_fault_allocator_fail_share(la_fault_allocator_t *f, uint32_t ppm, uint64_t seed);
/* Counters (a snapshot). */
LA_API void la_fault_allocator_stats_get(const la_fault_allocator_t *f, la_fault_stats_t *out);
/* Injected failures so far: the OOM loop's "did this run hit the fault?". */
LA_API uint64_t la_fault_allocator_failures(const la_fault_allocator_t *f);
/* Blocks live now: the OOM loop's leak check. */
LA_API uint64_t la_fault_allocator_live(const la_fault_allocator_t *f);

LA_END_DECLS

#endif /* LOOKASIDE_ALLOCATOR_H */
