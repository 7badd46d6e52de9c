/* wdk_mm.c — MmAllocateContiguousMemory*, MmFreeContiguousMemory and
 * MmGetPhysicalAddress over regions (<lookaside/region.h>).
 *
 * What: translation of Windows' contiguous-memory calls into region specs (locked,
 * contiguous, physical range and boundary, cache type, node) and back: NULL for
 * every failure, the block's base for success.
 *
 * Why: the hypervisor seed and DMA-style driver code allocate "physically
 * contiguous, non-paged" memory; regions are the native home of that memory and
 * already check physical placement through pagemap where they can. The rules and
 * the differences from Windows are in include/lookaside/wdk/mm.h and docs/wdk.md.
 *
 * Invariants: every block handed out is on `blocks` (base → region) until it is
 * freed; MmFreeContiguousMemory frees only what is on it, so a foreign pointer is
 * reported instead of reaching the region layer. The policy is read once from the
 * environment and then changed only by la_wdk_contiguous_policy_set.
 * Lock order: blocks_lock is a leaf (la_prim_lock); region calls and la_fatal run
 * without it held.
 */
#include "internal.h"

#include "prim/prim.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <lookaside/wdk.h>

typedef struct block {
    void *base;
    la_region_t *region;
    struct block *next;
} block_t;

static la_prim_lock_t blocks_lock = LA_PRIM_LOCK_INIT;
static block_t *blocks;
static _Atomic int policy = -1; /* -1: not read from the environment yet */

la_wdk_contiguous_policy_t la_wdk_contiguous_policy(VOID) {
    int p = atomic_load_explicit(&policy, memory_order_relaxed);
    if (p < 0) {
        const char *env = getenv("LA_WDK_CONTIGUOUS");
        int want = (env && strcmp(env, "best-effort") == 0) ? LA_WDK_CONTIGUOUS_BEST_EFFORT
                                                            : LA_WDK_CONTIGUOUS_STRICT;
        int expected = -1;
        atomic_compare_exchange_strong(&policy, &expected, want);
        p = atomic_load_explicit(&policy, memory_order_relaxed);
    }
    return (la_wdk_contiguous_policy_t)p;
}

VOID la_wdk_contiguous_policy_set(la_wdk_contiguous_policy_t p) {
    atomic_store_explicit(&policy, p == LA_WDK_CONTIGUOUS_BEST_EFFORT ? 1 : 0, memory_order_relaxed);
}

static bool cache_type_map(MEMORY_CACHING_TYPE t, la_cache_type_t *out) {
    switch (t) {
    case MmCached:
    case MmHardwareCoherentCached: *out = LA_CACHE_CACHED; return true;
    case MmNonCached: *out = LA_CACHE_NONCACHED; return true;
    case MmWriteCombined: *out = LA_CACHE_WRITE_COMBINED; return true;
    default: return false; /* MmNonCachedUnordered, MmUSWCCached, invalid values */
    }
}

PVOID MmAllocateContiguousMemorySpecifyCacheNode(SIZE_T NumberOfBytes,
                                                 PHYSICAL_ADDRESS LowestAcceptableAddress,
                                                 PHYSICAL_ADDRESS HighestAcceptableAddress,
                                                 PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                                 MEMORY_CACHING_TYPE CacheType,
                                                 NODE_REQUIREMENT PreferredNode) {
    la_region_spec_t spec;
    memset(&spec, 0, sizeof spec);
    if (NumberOfBytes == 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!cache_type_map(CacheType, &spec.cache)) {
        errno = ENOTSUP;
        return NULL;
    }
    spec.size = NumberOfBytes;
    spec.lowest = (uint64_t)LowestAcceptableAddress.QuadPart;
    spec.highest = (uint64_t)HighestAcceptableAddress.QuadPart;
    spec.boundary = (uint64_t)BoundaryAddressMultiple.QuadPart;
    spec.node = PreferredNode == MM_ANY_NODE_OK ? LA_NODE_ANY : (unsigned)PreferredNode;
    spec.flags = LA_REGION_LOCKED;
    const size_t page = la_prim_caps()->page_size;
    if (NumberOfBytes <= page || la_wdk_contiguous_policy() == LA_WDK_CONTIGUOUS_STRICT)
        spec.flags |= LA_REGION_CONTIGUOUS;
    else
        spec.flags |= LA_REGION_HUGE; /* best effort: a huge page if reserved, else base pages */
    block_t *b = malloc(sizeof *b);
    if (!b) {
        errno = ENOMEM;
        return NULL;
    }
    la_region_t *r;
    int err = la_region_alloc(&spec, &r);
    if (err) {
        free(b);
        errno = err;
        return NULL;
    }
    b->base = la_region_base(r);
    b->region = r;
    la_prim_lock_acquire(&blocks_lock);
    b->next = blocks;
    blocks = b;
    la_prim_lock_release(&blocks_lock);
    return b->base;
}

PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
                                             PHYSICAL_ADDRESS HighestAcceptableAddress,
                                             PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                             MEMORY_CACHING_TYPE CacheType) {
    return MmAllocateContiguousMemorySpecifyCacheNode(NumberOfBytes, LowestAcceptableAddress,
                                                      HighestAcceptableAddress, BoundaryAddressMultiple,
                                                      CacheType, MM_ANY_NODE_OK);
}

PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress) {
    PHYSICAL_ADDRESS zero;
    zero.QuadPart = 0;
    return MmAllocateContiguousMemorySpecifyCacheNode(NumberOfBytes, zero, HighestAcceptableAddress, zero,
                                                      MmCached, MM_ANY_NODE_OK);
}

/* Unlink and return the block at `base` (NULL if none). */
static block_t *take_block(const void *base) {
    la_prim_lock_acquire(&blocks_lock);
    block_t **pp = &blocks;
    while (*pp && (*pp)->base != base) pp = &(*pp)->next;
    block_t *b = *pp;
    if (b) *pp = b->next;
    la_prim_lock_release(&blocks_lock);
    return b;
}

VOID la_wdk_free_contiguous(PVOID BaseAddress, const char *file, int line) {
    block_t *b = take_block(BaseAddress);
    if (!b) {
        la_fatal(LA_FATAL_BAD_POINTER, BaseAddress, file, line,
                 "MmFreeContiguousMemory: %p was not returned by MmAllocateContiguousMemory* or was "
                 "freed already (BAD_POOL_CALLER 0x60)",
                 BaseAddress);
        return;
    }
    la_region_free(b->region);
    free(b);
}

VOID (MmFreeContiguousMemory)(PVOID BaseAddress) { la_wdk_free_contiguous(BaseAddress, NULL, 0); }

VOID (MmFreeContiguousMemorySpecifyCache)(PVOID BaseAddress, SIZE_T NumberOfBytes,
                                          MEMORY_CACHING_TYPE CacheType) {
    (void)NumberOfBytes;
    (void)CacheType;
    la_wdk_free_contiguous(BaseAddress, NULL, 0);
}

int la_wdk_contiguous_query(PVOID BaseAddress, la_region_info_t *out) {
    if (!out) return EINVAL;
    int err = EINVAL;
    la_prim_lock_acquire(&blocks_lock);
    for (block_t *b = blocks; b; b = b->next)
        if (b->base == BaseAddress) {
            err = la_region_query(b->region, out);
            break;
        }
    la_prim_lock_release(&blocks_lock);
    return err;
}

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress) {
    PHYSICAL_ADDRESS pa;
    uint64_t phys;
    pa.QuadPart = la_prim_phys_addr(BaseAddress, &phys) == 0 ? (LONGLONG)phys : 0;
    return pa;
}
