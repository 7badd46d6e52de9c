/* lookaside/region.h — page-granular memory with properties: the user-space home
 * of MmAllocateContiguousMemorySpecifyCacheNode (contiguous, huge-page, NUMA,
 * locked and executable memory).
 *
 * What
 *   la_region_alloc maps a fresh region described by a la_region_spec_t and
 *   la_region_query says what was actually obtained. Regions are the caller's to
 *   free (la_region_free, or la_region_free_base by address like
 *   MmFreeContiguousMemory); freeing unmaps, so free a region only when nothing
 *   (no lock-free reader either) can still touch it.
 *
 * The spec (zero-initialise it, then set what you need)
 *   size       bytes; rounded up to whole pages (to whole huge pages for hugetlb)
 *   lowest, highest
 *              acceptable PHYSICAL addresses (inclusive), as Windows means them;
 *              highest 0 means no upper limit. User space cannot choose physical
 *              placement: the pages are checked after the fact through
 *              /proc/self/pagemap where the process may read frame numbers (root /
 *              CAP_SYS_ADMIN). A region outside the range fails with ERANGE; where
 *              frame numbers are hidden the region is returned and la_region_query
 *              says the range is LA_REGION_CHECK_UNVERIFIABLE (or, with
 *              LA_REGION_VERIFY, the allocation fails with ENOTSUP).
 *   boundary   0 or a power of two >= the rounded size: the region never crosses a
 *              multiple of it (virtually always — the start is aligned — and
 *              physically when verifiable and the region is contiguous).
 *   cache      LA_CACHE_CACHED only. Non-cached and write-combined mappings do not
 *              exist for ordinary user memory on Linux: they fail with ENOTSUP.
 *   node       a NUMA node that has memory, or LA_NODE_ANY. A specific node that
 *              cannot be bound or does not end up holding the memory fails the
 *              allocation (as Windows returns NULL), it never silently moves on.
 *   flags      la_region_flags_t below.
 *   huge_size  hugetlb page size to use with LA_REGION_HUGE (0: the smallest offered).
 *
 * Flags
 *   LA_REGION_LOCKED     mlock: never paged out (the user-space "non-paged").
 *                        RLIMIT_MEMLOCK exhausted -> ENOMEM, counted, nothing left.
 *   LA_REGION_HUGE       back with hugetlb pages of huge_size where the system has
 *                        them reserved (real physical contiguity up to that size);
 *                        otherwise fall back to base pages with transparent huge
 *                        pages advised (or plain base pages). Fallbacks are counted
 *                        (la_region_stats_get) and shown by la_region_query.
 *   LA_REGION_HUGE_ONLY  with HUGE: no fallback; ENOMEM when hugetlb pages are short.
 *   LA_REGION_CONTIGUOUS physically contiguous like MmAllocateContiguousMemory:
 *                        one hugetlb page large enough (or a single base page);
 *                        ENOMEM when no huge pages are reserved.
 *   LA_REGION_ZERO       guarantee zeroed memory (fresh mappings are zeroed by the
 *                        kernel, so this costs nothing; without it the contents are
 *                        unspecified, as MmAllocateContiguousMemory's).
 *   LA_REGION_EXECUTE    executable memory, which is never given otherwise. One view
 *                        that is writable OR executable (W^X): it starts writable,
 *                        la_region_protect(r, LA_REGION_PROT_RX) makes it executable.
 *   LA_REGION_DUAL_VIEW  with EXECUTE: two views of the same pages, writable at
 *                        `base` and executable at `exec_base`, for systems that
 *                        refuse a writable and executable mapping.
 *                        Where executable memory is refused altogether: EACCES.
 *   LA_REGION_VERIFY     fail with ENOTSUP instead of returning memory whose asked
 *                        properties (range, boundary, contiguity) cannot be verified.
 *
 * Errors: EINVAL (bad spec: zero size, unknown flags, boundary not a power of two
 * or smaller than the size, lowest > highest or a range smaller than the size,
 * unknown node, DUAL_VIEW without EXECUTE), ENOTSUP (cache type, unverifiable with
 * VERIFY, combinations the system cannot do), ENOMEM (no memory, no huge pages with
 * HUGE_ONLY / CONTIGUOUS, memlock limit, node cannot hold it), ERANGE (verified
 * outside lowest..highest or across the boundary), EACCES (executable refused).
 * la_region_free_base of an address that is not a live region's base reports
 * LA_FATAL_BAD_POINTER (Windows: BAD_POOL_CALLER 0x60) and does nothing.
 *
 * Example (compiled by tests/api/test_region_api.c):
 *
 *     la_region_spec_t spec = {0};
 *     spec.size = 1 << 20;
 *     spec.node = LA_NODE_ANY;
 *     spec.flags = LA_REGION_HUGE | LA_REGION_ZERO;  // huge pages if reserved
 *     la_region_t *r;
 *     int err = la_region_alloc(&spec, &r);
 *     if (err) return err;
 *     la_region_info_t info;
 *     la_region_query(r, &info);       // info.huge_size: 2 MiB, or 0 after a fallback
 *     memset(info.base, 1, spec.size);
 *     la_region_free(r);
 */
#ifndef LOOKASIDE_REGION_H
#define LOOKASIDE_REGION_H

#include <lookaside/base.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

LA_BEGIN_DECLS

typedef struct la_region la_region_t;

/* MM_ANY_NODE_OK */
#define LA_NODE_ANY 0x80000000u

typedef enum la_cache_type {
    LA_CACHE_CACHED = 0,          /* MmCached: the only kind user memory has */
    LA_CACHE_NONCACHED = 1,       /* MmNonCached: ENOTSUP */
    LA_CACHE_WRITE_COMBINED = 2   /* MmWriteCombined: ENOTSUP */
} la_cache_type_t;

typedef enum la_region_flags {
    LA_REGION_LOCKED = 0x01,
    LA_REGION_HUGE = 0x02,
    LA_REGION_HUGE_ONLY = 0x04,
    LA_REGION_CONTIGUOUS = 0x08,
    LA_REGION_ZERO = 0x10,
    LA_REGION_EXECUTE = 0x20,
    LA_REGION_DUAL_VIEW = 0x40,
    LA_REGION_VERIFY = 0x80
} la_region_flags_t;
#define LA_REGION_FLAGS_MASK 0xFFu

typedef struct la_region_spec {
    size_t size;
    uint64_t lowest;       /* physical, inclusive */
    uint64_t highest;      /* physical, inclusive; 0 = no upper limit */
    uint64_t boundary;     /* 0 or a power of two >= size */
    la_cache_type_t cache;
    unsigned node;         /* node number or LA_NODE_ANY */
    unsigned flags;        /* la_region_flags_t */
    size_t huge_size;      /* with LA_REGION_HUGE; 0 = smallest offered */
} la_region_spec_t;

/* How a property asked for was established. */
typedef enum la_region_check {
    LA_REGION_CHECK_NOT_ASKED = 0,     /* no such constraint in the spec */
    LA_REGION_CHECK_VERIFIED = 1,      /* checked against the physical frame numbers */
    LA_REGION_CHECK_UNVERIFIABLE = 2   /* the process may not read frame numbers */
} la_region_check_t;

typedef struct la_region_info {
    void *base;                  /* page-aligned start (writable view) */
    void *exec_base;             /* executable view: DUAL_VIEW's alias, base for the
                                  * W^X form (executable after la_region_protect), NULL
                                  * when not executable */
    size_t size;                 /* mapped bytes */
    size_t page_size;            /* size of the pages backing it */
    size_t huge_size;            /* hugetlb page size used, 0 if none */
    size_t thp_bytes;            /* bytes backed by transparent huge pages right now */
    bool huge_fallback;          /* LA_REGION_HUGE asked, hugetlb not given */
    bool locked;
    unsigned node;               /* node holding the first page; LA_NODE_ANY if unknown */
    uint64_t phys_base;          /* physical address of base, 0 if unreadable */
    size_t contiguous_bytes;     /* physically contiguous bytes from base (0 if unreadable) */
    la_region_check_t contiguity;/* the whole region physically contiguous */
    la_region_check_t range;     /* lowest / highest / boundary */
} la_region_info_t;

/* Map a region. 0 and *out, or an errno value (see above); nothing is left behind
 * on failure. */
LA_API int la_region_alloc(const la_region_spec_t *spec, la_region_t **out);
/* Unmap (NULL is ignored). */
LA_API void la_region_free(la_region_t *r);
/* Free the live region whose base is `base` (MmFreeContiguousMemory). */
LA_API void la_region_free_base(void *base);
/* What the region is. Re-reads what can change (THP backing, node). 0 or EINVAL. */
LA_API int la_region_query(const la_region_t *r, la_region_info_t *out);
/* Start of the region (its writable view). */
LA_API void *la_region_base(const la_region_t *r);

typedef enum la_region_prot {
    LA_REGION_PROT_RW = 0,   /* writable, not executable */
    LA_REGION_PROT_RX = 1    /* executable, not writable */
} la_region_prot_t;
/* Switch a LA_REGION_EXECUTE (single view) region between writable and executable.
 * EINVAL for other regions, EACCES when the system refuses. */
LA_API int la_region_protect(la_region_t *r, la_region_prot_t prot);

/* ---- huge page preflight and counters ------------------------------------------ */

typedef struct la_huge_avail {
    size_t size;        /* huge page size */
    unsigned node;      /* node, or LA_NODE_ANY for a system-wide figure */
    uint64_t total;     /* pages reserved in the pool */
    uint64_t free;      /* of them, free now */
} la_huge_avail_t;

/* Free and reserved hugetlb pages per size (and per node where known), probed now.
 * Writes up to `cap` entries, sets *count to the number available; ENOBUFS when
 * cap is too small. */
LA_API int la_region_huge_preflight(la_huge_avail_t *out, size_t cap, size_t *count);

typedef struct la_region_stats {
    uint64_t regions_live, bytes_live, bytes_locked;
    uint64_t huge_asked;          /* allocations with LA_REGION_HUGE */
    uint64_t huge_given;          /* of them, backed by hugetlb pages */
    uint64_t thp_fallbacks;       /* given base pages with THP advised */
    uint64_t base_fallbacks;      /* given plain base pages */
    uint64_t failures;            /* allocations that failed (any reason) */
    uint64_t lock_failures;       /* of them, mlock refused (RLIMIT_MEMLOCK) */
} la_region_stats_t;
LA_API void la_region_stats_get(la_region_stats_t *out);

LA_END_DECLS

#endif /* LOOKASIDE_REGION_H */
