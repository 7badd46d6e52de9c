/* lookaside/wdk/ex.h — NTSTATUS helpers, raise emulation, DbgPrint and the
 * executive pool (ExAllocatePool*, ExFreePool*). Part of <lookaside/wdk.h>;
 * include that header, not this one.
 *
 * Raise
 *   Windows "raises" an exception (SEH) when an allocation made with
 *   POOL_RAISE_IF_ALLOCATION_FAILURE / POOL_FLAG_RAISE_ON_FAILURE fails, and
 *   ExRaiseStatus raises on request. Here a raise calls the WDK raise handler with
 *   the NTSTATUS (la_wdk_raise_handler_set). The default handler reports the status
 *   through la_fatal(LA_FATAL_RAISE, ...), which aborts unless a fatal handler is
 *   installed. A raise handler may longjmp out (the library holds no lock while it
 *   raises) — the user-space __try/__except; if it returns, the raising call goes
 *   on as documented for it (an allocation returns NULL, ExRaiseStatus returns).
 *
 * Pool (over <lookaside/pool.h>)
 *   POOL_TYPE           native pool type
 *   PagedPool (1)       LA_POOL_PAGED
 *   NonPagedPool (0)    LA_POOL_LOCKED (mlock'ed). NOT executable: NonPagedPool and
 *   NonPagedPoolNx      NonPagedPoolExecute are the same value, so the layer cannot
 *                       tell an explicit request for execute memory from the
 *                       default, and chooses NX (as Wine does; HVCI-style). Ask for
 *                       POOL_FLAG_NON_PAGED_EXECUTE to get executable memory.
 *   ...CacheAligned (4) modifier LA_POOL_CACHE_ALIGNED (64-byte aligned block)
 *   ...MustSucceed (2)  as the base type, raising STATUS_INSUFFICIENT_RESOURCES on
 *                       failure (Windows bugchecks when must-succeed pool runs out)
 *   session types (32+) as their non-session twins: a process has one session
 *   POOL_ZERO_ALLOCATION zero-fill; POOL_RAISE_IF_ALLOCATION_FAILURE raise
 *                       STATUS_INSUFFICIENT_RESOURCES instead of returning NULL;
 *                       POOL_COLD_ALLOCATION, POOL_NX_ALLOCATION accepted (no effect:
 *                       pool is NX already); POOL_QUOTA_FAIL_INSTEAD_OF_RAISE only
 *                       matters for the quota forms.
 *   Other values (DontUseThisType, unknown bits) are misuse: la_fatal(
 *   LA_FATAL_BAD_ARGUMENT) and, if the handler returns, NULL with errno EINVAL.
 *   Blocks under a page are 16-byte aligned and never cross a page; larger ones
 *   are page-aligned. Zero bytes give a unique pointer.
 *
 *   Tags: a C multi-character constant ('Fred') is shown lowest byte first
 *   ("derF"), as PoolMon shows it. ExAllocatePool uses the tag "None". The
 *   PROTECTED_POOL bit (0x80000000) is accepted and stripped. A zero byte (the
 *   three-letter tags 'daB' that drivers use) is charged and shown as a space
 *   ("Bad "), both when allocating and when ExFreePoolWithTag checks the tag.
 *   Tag 0 in ExAllocatePoolWithTag (allowed by Windows) is charged to "None". Any
 *   other tag byte outside printable ASCII fails the allocation (NULL, errno
 *   EINVAL): the native pool keeps tags displayable.
 *
 *   ExAllocatePool2(Flags, Size, Tag): exactly one of POOL_FLAG_NON_PAGED,
 *   POOL_FLAG_NON_PAGED_EXECUTE and POOL_FLAG_PAGED; zero-filled unless
 *   POOL_FLAG_UNINITIALIZED; POOL_FLAG_CACHE_ALIGNED 64-byte aligned;
 *   POOL_FLAG_USE_QUOTA and POOL_FLAG_SESSION accepted (no quota, one session);
 *   unknown required bits (low 32, including RESERVED1..3) fail; optional bits
 *   (high 32) are ignored; Tag 0 fails. An invalid call returns NULL — or raises
 *   STATUS_INVALID_PARAMETER with POOL_FLAG_RAISE_ON_FAILURE — and, unlike
 *   Windows, says why through la_printf ("ExAllocatePool2: invalid Flags ..."),
 *   naming the POOL_TYPE when a POOL_TYPE was passed where POOL_FLAGS belong
 *   (the classic migration slip: PagedPool == POOL_FLAG_USE_QUOTA). Running out
 *   of memory returns NULL or raises STATUS_INSUFFICIENT_RESOURCES.
 *
 *   ExFreePool / ExFreePoolWithTag free through the native pool, which reports a
 *   pointer it never handed out (LA_FATAL_BAD_POINTER), a double free
 *   (LA_FATAL_DOUBLE_FREE) and, in strict mode, a wrong tag (LA_FATAL_TAG_MISMATCH;
 *   otherwise counted and reported once, as Windows without Driver Verifier does
 *   not bugcheck). Reports carry the caller's file:line.
 */
#ifndef LOOKASIDE_WDK_EX_H
#define LOOKASIDE_WDK_EX_H

#ifndef LOOKASIDE_WDK_H
#error "include <lookaside/wdk.h>, not <lookaside/wdk/ex.h>"
#endif

#include <lookaside/pool.h>

LA_BEGIN_DECLS

/* ---- NTSTATUS ------------------------------------------------------------------------ */

/* The NTSTATUS for an errno value (0 → STATUS_SUCCESS, ENOMEM →
 * STATUS_INSUFFICIENT_RESOURCES, EINVAL → STATUS_INVALID_PARAMETER, EDQUOT →
 * STATUS_QUOTA_EXCEEDED, EACCES/EPERM → STATUS_ACCESS_DENIED, ENOTSUP →
 * STATUS_NOT_SUPPORTED, EFAULT → STATUS_ACCESS_VIOLATION, EOVERFLOW →
 * STATUS_INTEGER_OVERFLOW, anything else → STATUS_UNSUCCESSFUL). */
LA_API NTSTATUS la_wdk_status_from_errno(int error);
/* The errno value for an NTSTATUS (the inverse of the above; 0 for success codes,
 * EINVAL for every STATUS_INVALID_PARAMETER*, EIO for unknown errors). */
LA_API int la_wdk_errno_from_status(NTSTATUS status);
/* "STATUS_INSUFFICIENT_RESOURCES" etc. for the codes in wdk/types.h, else NULL. */
LA_API const char *la_wdk_status_name(NTSTATUS status);

/* ---- raise ------------------------------------------------------------------------------ */

/* Receives every raise with its status; `arg` is the pointer given at installation. */
typedef void la_wdk_raise_fn(NTSTATUS status, void *arg);
/* Install `fn` for later raises (NULL restores the default: report and
 * la_fatal(LA_FATAL_RAISE)). Thread-safe. */
LA_API void la_wdk_raise_handler_set(la_wdk_raise_fn *fn, void *arg);
/* Raise `Status`: runs the raise handler. Returns only if the handler returns. */
LA_API VOID ExRaiseStatus(NTSTATUS Status);

/* ---- debug output ----------------------------------------------------------------------- */

/* printf-style output through la_printf (C99 formats; the MS extensions %wZ, %ws,
 * %I64d are not understood). Returns STATUS_SUCCESS. */
LA_API ULONG DbgPrint(PCSTR Format, ...);
LA_API ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);
#define KdPrint(args) ((void)DbgPrint args)
#define KdPrintEx(args) ((void)DbgPrintEx args)
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3

/* ---- memory helpers ----------------------------------------------------------------------- */

#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
#define RtlCompareMemory(Source1, Source2, Length) la_wdk_compare_memory((Source1), (Source2), (Length))
/* Number of leading bytes that match (RtlCompareMemory). */
LA_INLINE SIZE_T la_wdk_compare_memory(const void *a, const void *b, SIZE_T length) {
    const UCHAR *p = (const UCHAR *)a, *q = (const UCHAR *)b;
    SIZE_T i = 0;
    while (i < length && p[i] == q[i]) i++;
    return i;
}

/* ---- pool ------------------------------------------------------------------------------------ */

/* Accepted and stripped from tags (Windows' "protected" tags). */
#define PROTECTED_POOL 0x80000000UL
/* The tag ExAllocatePool uses; PoolMon shows it as "None". */
#define LA_WDK_TAG_NONE ((ULONG)LA_TAG('N', 'o', 'n', 'e'))

LA_API PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* Tag "None". */
LA_API PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
/* Zero-filled / not zero-filled (PoolType as for ExAllocatePoolWithTag). */
LA_API PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
LA_API PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* Quota forms: no quota is charged; failure raises STATUS_INSUFFICIENT_RESOURCES
 * unless PoolType has POOL_QUOTA_FAIL_INSTEAD_OF_RAISE (then NULL). */
LA_API PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
LA_API PVOID ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
LA_API PVOID ExAllocatePoolQuotaZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
LA_API PVOID ExAllocatePoolQuotaUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* The Windows 10 2004 allocator (see the rules above). */
LA_API PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);

/* Free a pool block (NULL is ignored). */
LA_API VOID la_wdk_free_pool(PVOID P, ULONG Tag, const char *file, int line);
LA_API VOID ExFreePool(PVOID P);
LA_API VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
#define ExFreePool(P) la_wdk_free_pool((P), 0, LA_HERE)
#define ExFreePoolWithTag(P, Tag) la_wdk_free_pool((P), (Tag), LA_HERE)

/* Usable bytes of a pool block (>= the request); *QuotaCharged = FALSE. */
LA_API SIZE_T ExQueryPoolBlockSize(PVOID PoolBlock, PBOOLEAN QuotaCharged);

/* The native pool type and flags ExAllocatePoolWithTag uses for PoolType:
 * 0 and *la_type / *la_flags set, or EINVAL for a value that is not a POOL_TYPE.
 * *raise is set when failure must raise (RAISE bit or must-succeed). */
LA_API int la_wdk_pool_type_map(POOL_TYPE PoolType, unsigned *la_type, unsigned *la_flags,
                                BOOLEAN *raise);

/* Write PoolType as the debugger decodes it ("PagedPool RaiseIfAllocationFailure",
 * "NonPagedPoolNx") into buf (always NUL-terminated). Returns buf. */
LA_API char *la_wdk_pool_type_format(POOL_TYPE PoolType, char *buf, size_t len);

LA_END_DECLS

#endif /* LOOKASIDE_WDK_EX_H */
