/* lookaside/wdk/mm.h — contiguous memory: MmAllocateContiguousMemory*,
 * MmFreeContiguousMemory and MmGetPhysicalAddress over regions
 * (<lookaside/region.h>). Part of <lookaside/wdk.h>; include that header, not this.
 *
 * Rules (Windows' contract, and what user space can honour of it):
 *   - The memory is non-paged (mlock'ed: counts against RLIMIT_MEMLOCK),
 *     page-aligned, not zeroed (fresh pages happen to be), never executable.
 *   - Physically contiguous: a single base page is; anything larger comes from one
 *     hugetlb page (2 MiB here) reserved in /proc/sys/vm/nr_hugepages. Without
 *     reserved huge pages a request larger than a page returns NULL — Windows, too,
 *     returns NULL when it cannot find contiguous memory. The best-effort policy
 *     (la_wdk_contiguous_policy_set, or LA_WDK_CONTIGUOUS=best-effort in the
 *     environment at first use) returns locked pages anyway, huge pages where
 *     available, and la_wdk_contiguous_query says what was obtained.
 *   - Lowest/HighestAcceptableAddress and BoundaryAddressMultiple are PHYSICAL, as
 *     on Windows. User space cannot choose physical placement, only check it: where
 *     the process may read frame numbers (root) a block outside the range, or
 *     crossing the boundary, is refused (NULL); where it may not, the block is
 *     returned and la_wdk_contiguous_query reports the range as unverifiable.
 *     Boundary must be 0 or a power of two not smaller than the rounded size.
 *   - CacheType: MmCached (and MmHardwareCoherentCached, which is cached memory on
 *     coherent systems) only. MmNonCached, MmWriteCombined and the rest do not exist
 *     for user memory on Linux: NULL.
 *   - PreferredNode: a NUMA node, or MM_ANY_NODE_OK. If the node cannot hold the
 *     memory the call returns NULL (as Windows does for a node it cannot satisfy).
 *   - MmFreeContiguousMemory of an address no MmAllocateContiguousMemory* returned
 *     is Windows' BAD_POOL_CALLER 0x60: la_fatal(LA_FATAL_BAD_POINTER) naming the
 *     caller's file:line; if the handler returns nothing is freed.
 *   - MmGetPhysicalAddress returns the physical address where the process may read
 *     frame numbers (root / CAP_SYS_ADMIN) and the page is resident; otherwise a
 *     documented 0. It never faults a page in (touching an untouched page would
 *     map the shared zero page and report its address).
 *   - On failure the Mm allocators return NULL with errno set (ENOMEM, ENOTSUP,
 *     EINVAL, ERANGE, EACCES) — Windows returns only NULL.
 */
#ifndef LOOKASIDE_WDK_MM_H
#define LOOKASIDE_WDK_MM_H

#ifndef LOOKASIDE_WDK_H
#error "include <lookaside/wdk.h>, not <lookaside/wdk/mm.h>"
#endif

#include <lookaside/region.h>

LA_BEGIN_DECLS

LA_API PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress);
LA_API PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
                                                    PHYSICAL_ADDRESS LowestAcceptableAddress,
                                                    PHYSICAL_ADDRESS HighestAcceptableAddress,
                                                    PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                                    MEMORY_CACHING_TYPE CacheType);
LA_API PVOID MmAllocateContiguousMemorySpecifyCacheNode(SIZE_T NumberOfBytes,
                                                        PHYSICAL_ADDRESS LowestAcceptableAddress,
                                                        PHYSICAL_ADDRESS HighestAcceptableAddress,
                                                        PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                                        MEMORY_CACHING_TYPE CacheType,
                                                        NODE_REQUIREMENT PreferredNode);

LA_API VOID la_wdk_free_contiguous(PVOID BaseAddress, const char *file, int line);
LA_API VOID MmFreeContiguousMemory(PVOID BaseAddress);
/* NumberOfBytes and CacheType must match the allocation (not checked, as on Windows). */
LA_API VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes,
                                               MEMORY_CACHING_TYPE CacheType);
#define MmFreeContiguousMemory(BaseAddress) la_wdk_free_contiguous((BaseAddress), LA_HERE)
#define MmFreeContiguousMemorySpecifyCache(BaseAddress, NumberOfBytes, CacheType) \
    ((void)(NumberOfBytes), (void)(CacheType), la_wdk_free_contiguous((BaseAddress), LA_HERE))

/* The physical address backing BaseAddress, or 0 (see the rules). */
LA_API PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress);

/* ---- extensions ------------------------------------------------------------------------- */

typedef enum la_wdk_contiguous_policy {
    LA_WDK_CONTIGUOUS_STRICT = 0,     /* larger than a page: a hugetlb page or NULL (default) */
    LA_WDK_CONTIGUOUS_BEST_EFFORT = 1 /* larger than a page without huge pages: locked base pages */
} la_wdk_contiguous_policy_t;
/* Set the policy for later allocations (process-wide). */
LA_API VOID la_wdk_contiguous_policy_set(la_wdk_contiguous_policy_t policy);
LA_API la_wdk_contiguous_policy_t la_wdk_contiguous_policy(VOID);

/* What a block returned by MmAllocateContiguousMemory* actually is (huge page size,
 * node, locked, physical base, contiguity and range verified or unverifiable).
 * 0, or EINVAL when BaseAddress is not such a block. */
LA_API int la_wdk_contiguous_query(PVOID BaseAddress, la_region_info_t *out);

LA_END_DECLS

#endif /* LOOKASIDE_WDK_MM_H */
