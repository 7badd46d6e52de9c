/* wdk_pool.c — ExAllocatePool*, ExAllocatePool2, ExFreePool* and
 * ExQueryPoolBlockSize over the native tagged pool (<lookaside/pool.h>).
 *
 * What: translation only. POOL_TYPE values and POOL_FLAGS bits become a native
 * pool type (paged / locked, cache-aligned, execute) and flags (zero); tags are
 * normalised; failures become NULL or a raise with the documented NTSTATUS.
 *
 * Why: driver code allocates with Windows' argument conventions, and the pool's
 * per-tag accounting (PoolMon / !poolused views) must see the driver's tags.
 * The rules and every deliberate difference from Windows are listed in
 * include/lookaside/wdk/ex.h and docs/wdk.md.
 *
 * Invariants: the native pool is always called WITHOUT LA_POOL_F_RAISE; this
 * layer raises itself, so the raise handler receives an NTSTATUS, not an errno.
 * errno is preserved across the raise handler for the caller.
 * Lock order: none here (the pool's own locks only).
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>

#include <lookaside/wdk.h>

#define POOL_TYPE_MODIFIERS                                                                  \
    (POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | POOL_RAISE_IF_ALLOCATION_FAILURE |                   \
     POOL_COLD_ALLOCATION | POOL_NX_ALLOCATION | POOL_ZERO_ALLOCATION)

#define POOL_FLAGS_KNOWN_REQUIRED                                                            \
    (POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_SESSION |                     \
     POOL_FLAG_CACHE_ALIGNED | POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED |            \
     POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED)

#define POOL_FLAGS_KINDS (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED)

int la_wdk_pool_type_map(POOL_TYPE PoolType, unsigned *la_type, unsigned *la_flags,
                         BOOLEAN *raise) {
    unsigned v = (unsigned)PoolType;
    unsigned mods = v & POOL_TYPE_MODIFIERS;
    unsigned base = v & ~(unsigned)POOL_TYPE_MODIFIERS & ~(unsigned)POOL_TYPE_SESSION_BIT;
    if (base > 6 || base == DontUseThisType) return EINVAL;
    unsigned type = (base & BASE_POOL_TYPE_MASK) ? LA_POOL_PAGED : LA_POOL_LOCKED;
    if (base & POOL_TYPE_CACHE_ALIGNED_BIT) type |= LA_POOL_CACHE_ALIGNED;
    *la_type = type;
    *la_flags = (mods & POOL_ZERO_ALLOCATION) ? LA_POOL_F_ZERO : 0u;
    *raise = (BOOLEAN)((mods & POOL_RAISE_IF_ALLOCATION_FAILURE) ||
                       (base & POOL_TYPE_MUST_SUCCEED_BIT));
    return 0;
}

char *la_wdk_pool_type_format(POOL_TYPE PoolType, char *buf, size_t len) {
    static const char *const base_names[8] = {
        "NonPagedPool", "PagedPool", "NonPagedPoolMustSucceed", "DontUseThisType",
        "NonPagedPoolCacheAligned", "PagedPoolCacheAligned", "NonPagedPoolCacheAlignedMustS",
        "MaxPoolType"};
    static const struct {
        unsigned bit;
        const char *name;
    } mods[] = {{POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, "QuotaFailInsteadOfRaise"},
                {POOL_RAISE_IF_ALLOCATION_FAILURE, "RaiseIfAllocationFailure"},
                {POOL_COLD_ALLOCATION, "ColdAllocation"},
                {POOL_NX_ALLOCATION, "NxAllocation"},
                {POOL_ZERO_ALLOCATION, "ZeroAllocation"}};
    if (len == 0) return buf;
    unsigned v = (unsigned)PoolType;
    unsigned base = v & 7u;
    bool session = (v & POOL_TYPE_SESSION_BIT) != 0;
    unsigned rest = v & ~7u & ~(unsigned)POOL_TYPE_SESSION_BIT;
    size_t used = 0;
    int n;
    if ((rest & POOL_NX_ALLOCATION) && (base == 0 || base == 4)) {
        n = snprintf(buf, len, "%s",
                     base == 4 ? (session ? "NonPagedPoolNxCacheAlignedSession"
                                          : "NonPagedPoolNxCacheAligned")
                               : (session ? "NonPagedPoolSessionNx" : "NonPagedPoolNx"));
        rest &= ~(unsigned)POOL_NX_ALLOCATION;
    } else {
        n = snprintf(buf, len, "%s%s", base_names[base], session ? "Session" : "");
    }
    used = n < 0 ? 0 : ((size_t)n < len ? (size_t)n : len - 1);
    for (size_t i = 0; i < LA_ARRAY_SIZE(mods); i++) {
        if (!(rest & mods[i].bit)) continue;
        rest &= ~mods[i].bit;
        n = snprintf(buf + used, len - used, " %s", mods[i].name);
        used += n < 0 ? 0 : ((size_t)n < len - used ? (size_t)n : len - used - 1);
    }
    if (rest) snprintf(buf + used, len - used, " Unknown(0x%x)", rest);
    return buf;
}

/* The tag the native pool is charged with: PROTECTED_POOL stripped, zero bytes
 * (three-letter tags such as 'daB') shown as spaces, 0 → "None". */
static la_tag_t normal_tag(ULONG Tag) {
    Tag &= ~(ULONG)PROTECTED_POOL;
    if (Tag == 0) return (la_tag_t)LA_WDK_TAG_NONE;
    for (int i = 0; i < 4; i++)
        if (((Tag >> (8 * i)) & 0xFFu) == 0) Tag |= 0x20u << (8 * i);
    return (la_tag_t)Tag;
}

/* Raise `status` with errno preserved for the caller. */
static void raise_keep_errno(NTSTATUS status) {
    int saved = errno;
    ExRaiseStatus(status);
    errno = saved;
}

/* quota_raise: -1 ordinary form; 1 quota form (raise unless QUOTA_FAIL_INSTEAD_OF_RAISE). */
static PVOID alloc_typed(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                         unsigned extra_flags, unsigned clear_flags, int quota_form,
                         const char *who) {
    unsigned type, flags;
    BOOLEAN raise;
    if (la_wdk_pool_type_map(PoolType, &type, &flags, &raise) != 0) {
        la_fatal(LA_FATAL_BAD_ARGUMENT, NULL, NULL, 0, "%s: PoolType %d (0x%x) is not a POOL_TYPE",
                 who, (int)PoolType, (unsigned)PoolType);
        errno = EINVAL;
        return NULL;
    }
    if (quota_form && !((unsigned)PoolType & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE)) raise = TRUE;
    flags = (flags | extra_flags) & ~clear_flags;
    void *p = la_pool_alloc(type, NumberOfBytes, normal_tag(Tag), flags);
    if (LA_UNLIKELY(p == NULL) && raise) raise_keep_errno(la_wdk_status_from_errno(errno));
    return p;
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
    return alloc_typed(PoolType, NumberOfBytes, Tag, 0, 0, 0, "ExAllocatePoolWithTag");
}

PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes) {
    return alloc_typed(PoolType, NumberOfBytes, LA_WDK_TAG_NONE, 0, 0, 0, "ExAllocatePool");
}

PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
    return alloc_typed(PoolType, NumberOfBytes, Tag, LA_POOL_F_ZERO, 0, 0, "ExAllocatePoolZero");
}

PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
    return alloc_typed(PoolType, NumberOfBytes, Tag, 0, LA_POOL_F_ZERO,
                       0, "ExAllocatePoolUninitialized");
}

PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
    return alloc_typed(PoolType, NumberOfBytes, Tag, 0, 0, 1, "ExAllocatePoolWithQuotaTag");
}

PVOID ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes) {
    return alloc_typed(PoolType, NumberOfBytes, LA_WDK_TAG_NONE, 0, 0, 1,
                       "ExAllocatePoolWithQuota");
}

PVOID ExAllocatePoolQuotaZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
    return alloc_typed(PoolType, NumberOfBytes, Tag, LA_POOL_F_ZERO, 0, 1,
                       "ExAllocatePoolQuotaZero");
}

PVOID ExAllocatePoolQuotaUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
    return alloc_typed(PoolType, NumberOfBytes, Tag, 0, LA_POOL_F_ZERO, 1,
                       "ExAllocatePoolQuotaUninitialized");
}

/* Why Flags are invalid (NULL when they are valid), with a hint when the value is
 * a POOL_TYPE passed as POOL_FLAGS. */
static const char *pool2_flags_problem(POOL_FLAGS Flags) {
    POOL_FLAGS required = Flags & POOL_FLAG_REQUIRED_MASK;
    int kinds = __builtin_popcountll(required & POOL_FLAGS_KINDS);
    if (required & ~(POOL_FLAGS)POOL_FLAGS_KNOWN_REQUIRED)
        return "unknown or reserved required bits (the low 32 bits must all be known)";
    if (kinds == 0)
        return "no pool kind: exactly one of POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE "
               "and POOL_FLAG_PAGED is required";
    if (kinds > 1) return "more than one pool kind";
    return NULL;
}

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag) {
    const bool raise = (Flags & POOL_FLAG_RAISE_ON_FAILURE) != 0;
    const char *problem = pool2_flags_problem(Flags);
    if (LA_UNLIKELY(problem != NULL)) {
        unsigned t, f;
        BOOLEAN r;
        char name[96];
        bool looks_like_type =
            Flags <= 0xFFFFFFFFu && !(Flags & POOL_FLAGS_KINDS) &&
            la_wdk_pool_type_map((POOL_TYPE)(int)(ULONG)Flags, &t, &f, &r) == 0;
        if (looks_like_type)
            la_printf("lookaside: ExAllocatePool2: invalid Flags 0x%llx: %s; this is the "
                      "POOL_TYPE %s passed where POOL_FLAGS are expected\n",
                      (unsigned long long)Flags, problem,
                      la_wdk_pool_type_format((POOL_TYPE)(int)(ULONG)Flags, name, sizeof name));
        else
            la_printf("lookaside: ExAllocatePool2: invalid Flags 0x%llx: %s\n",
                      (unsigned long long)Flags, problem);
        errno = EINVAL;
        if (raise) raise_keep_errno(STATUS_INVALID_PARAMETER);
        return NULL;
    }
    if (LA_UNLIKELY((Tag & ~(ULONG)PROTECTED_POOL) == 0)) {
        la_printf("lookaside: ExAllocatePool2: tag 0 is not allowed\n");
        errno = EINVAL;
        if (raise) raise_keep_errno(STATUS_INVALID_PARAMETER);
        return NULL;
    }
    unsigned type;
    if (Flags & POOL_FLAG_PAGED)
        type = LA_POOL_PAGED;
    else if (Flags & POOL_FLAG_NON_PAGED_EXECUTE)
        type = LA_POOL_LOCKED | LA_POOL_EXECUTE;
    else
        type = LA_POOL_LOCKED;
    if (Flags & POOL_FLAG_CACHE_ALIGNED) type |= LA_POOL_CACHE_ALIGNED;
    unsigned flags = (Flags & POOL_FLAG_UNINITIALIZED) ? 0u : LA_POOL_F_ZERO;
    void *p = la_pool_alloc(type, NumberOfBytes, normal_tag(Tag), flags);
    if (LA_UNLIKELY(p == NULL) && raise) raise_keep_errno(la_wdk_status_from_errno(errno));
    return p;
}

VOID la_wdk_free_pool(PVOID P, ULONG Tag, const char *file, int line) {
    if (P == NULL) return;
    /* tag 0: no check (ExFreePool); otherwise the tag as ExAllocatePool* charged it */
    la_pool_free_at(P, (Tag & ~(ULONG)PROTECTED_POOL) ? normal_tag(Tag) : 0, file, line);
}

VOID (ExFreePool)(PVOID P) { la_wdk_free_pool(P, 0, NULL, 0); }

VOID (ExFreePoolWithTag)(PVOID P, ULONG Tag) { la_wdk_free_pool(P, Tag, NULL, 0); }

SIZE_T ExQueryPoolBlockSize(PVOID PoolBlock, PBOOLEAN QuotaCharged) {
    if (QuotaCharged) *QuotaCharged = FALSE;
    return la_pool_block_size(PoolBlock);
}
