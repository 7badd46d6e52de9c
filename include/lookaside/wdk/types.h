/* lookaside/wdk/types.h — the Windows kernel's basic types, constants and
 * memory structures, with their x64 layouts. Part of <lookaside/wdk.h>; include
 * that header, not this one.
 *
 * What: the integer types (UCHAR…ULONG64, SIZE_T, LARGE_INTEGER), NTSTATUS and the
 * status codes this layer returns or raises, POOL_TYPE / POOL_FLAGS, LIST_ENTRY,
 * SINGLE_LIST_ENTRY, SLIST_ENTRY / SLIST_HEADER, the lookaside structures
 * (GENERAL_LOOKASIDE, GENERAL_LOOKASIDE_POOL, NPAGED_/PAGED_LOOKASIDE_LIST,
 * LOOKASIDE_LIST_EX) and the helper macros drivers use with them.
 *
 * Rules:
 *   - Windows x64 is LLP64: LONG and ULONG are 32 bits here too, and every
 *     structure has the size and field offsets it has on x64 Windows; the
 *     _Static_asserts at the end of this file prove it (a 64-bit target is required).
 *   - The field names and anonymous unions are those of the public wdm.h, so driver
 *     code that reads `List.L.TotalAllocates` or `List.L.ListHead` compiles unchanged.
 *   - Everything here is a declaration; nothing allocates.
 *   - SLIST_HEADER is the same 16 bytes as the native la_sslist_header_t (member
 *     `la`), laid out as Windows' HeaderX64 view: low qword Depth:16 | Sequence:48,
 *     high qword the first entry's address (16-byte aligned, so its low 4 bits are
 *     the Reserved bits of HeaderX64 and NextEntry is the address >> 4).
 */
#ifndef LOOKASIDE_WDK_TYPES_H
#define LOOKASIDE_WDK_TYPES_H

#ifndef LOOKASIDE_WDK_H
#error "include <lookaside/wdk.h>, not <lookaside/wdk/types.h>"
#endif

#include <lookaside/base.h>
#include <lookaside/sslist.h>

#include <stddef.h>
#include <stdint.h>

/* ---- calling conventions, annotations, alignment ------------------------------ */

/* x64 has one calling convention: every Windows convention keyword is empty. */
#define NTAPI
#define NTSYSAPI
#define NTKERNELAPI
#define FASTCALL
#define WINAPI
#define CALLBACK
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define FORCEINLINE static inline __attribute__((always_inline))
#ifdef __cplusplus
#define DECLSPEC_ALIGN(x) alignas(x)
#else
#define DECLSPEC_ALIGN(x) _Alignas(x)
#endif
#define SYSTEM_CACHE_ALIGNMENT_SIZE 64
/* Whole-structure alignment to a cache line (GENERAL_LOOKASIDE). */
#define DECLSPEC_CACHEALIGN __attribute__((aligned(SYSTEM_CACHE_ALIGNMENT_SIZE)))
#define MEMORY_ALLOCATION_ALIGNMENT 16

/* SAL annotations and IRQL annotations: documentation only, empty here. */
#define _In_
#define _In_opt_
#define _Out_
#define _Out_opt_
#define _Inout_
#define _Inout_opt_
#define _In_reads_bytes_(n)
#define _Out_writes_bytes_(n)
#define _Outptr_
#define _Outptr_result_maybenull_
#define _Must_inspect_result_
#define _Success_(expr)
#define _Ret_maybenull_
#define _When_(a, b)
#define _IRQL_requires_(x)
#define _IRQL_requires_max_(x)
#define _IRQL_requires_same_
#define _IRQL_raises_(x)
#define _IRQL_saves_
#define _IRQL_restores_
#define _Function_class_(x)
#define _Use_decl_annotations_
#define _Requires_lock_held_(x)
#define _Requires_lock_not_held_(x)
#define _Acquires_lock_(x)
#define _Releases_lock_(x)
#define _Post_invalid_
#define _Frees_ptr_(x)
#define _Frees_ptr_opt_(x)
#define _Post_writable_byte_size_(x)
#define _Post_maybenull_
#define _Check_return_
#define _Dispatch_type_(x)
#define DRIVER_INITIALIZE_ANNOTATION

/* ---- integer types (LLP64) ------------------------------------------------------ */

#define VOID void
typedef char CHAR, *PCHAR, *PSTR;
typedef const char *PCSTR;
typedef unsigned char UCHAR, *PUCHAR;
typedef int16_t SHORT, *PSHORT, CSHORT;
typedef uint16_t USHORT, *PUSHORT, WCHAR, *PWCHAR, *PWSTR;
typedef const uint16_t *PCWSTR;
typedef int32_t LONG, *PLONG, INT32;
typedef uint32_t ULONG, *PULONG, UINT32, DWORD;
typedef int INT;
typedef unsigned int UINT;
typedef int64_t LONGLONG, *PLONGLONG, LONG64, *PLONG64, INT64;
typedef uint64_t ULONGLONG, *PULONGLONG, ULONG64, *PULONG64, UINT64, DWORD64;
typedef intptr_t LONG_PTR, *PLONG_PTR, INT_PTR;
typedef uintptr_t ULONG_PTR, *PULONG_PTR, UINT_PTR;
typedef size_t SIZE_T, *PSIZE_T;
typedef intptr_t SSIZE_T;
typedef void *PVOID, **PPVOID;
typedef const void *PCVOID;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef ULONG LOGICAL;
typedef CHAR CCHAR;
typedef UCHAR KIRQL, *PKIRQL;
typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;
typedef ULONG NODE_REQUIREMENT; /* a NUMA node number or MM_ANY_NODE_OK */

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        ULONG LowPart;
        ULONG HighPart;
    };
    struct {
        ULONG LowPart;
        ULONG HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

/* ---- IRQL ---------------------------------------------------------------------------- */

#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define HIGH_LEVEL 15

/* ---- helper macros ---------------------------------------------------------------------- */

#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) \
    (offsetof(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
/* The address of the structure of `type` whose member `field` is at `address`. */
#define CONTAINING_RECORD(address, type, field) \
    ((type *)(void *)((char *)(address) - offsetof(type, field)))
/* Windows defines it as (P); the cast keeps -Wall -Wextra quiet. */
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
#define PAGED_CODE() ((void)0)
#define PAGED_CODE_LOCKED() ((void)0)

/* Windows' page on x64. (The host page may be larger; regions use the host's.) */
#ifndef PAGE_SIZE
#define PAGE_SIZE 0x1000
#endif
#define PAGE_SHIFT 12L
#define BYTES_TO_PAGES(size) (((size) >> PAGE_SHIFT) + (((size) & (PAGE_SIZE - 1)) != 0))
#define ROUND_TO_PAGES(size) (((ULONG_PTR)(size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))

/* ---- NTSTATUS ------------------------------------------------------------------------------- */

typedef LONG NTSTATUS, *PNTSTATUS;
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

#define STATUS_SUCCESS                   ((NTSTATUS)0x00000000L)
#define STATUS_DATATYPE_MISALIGNMENT     ((NTSTATUS)0x80000002L)
#define STATUS_UNSUCCESSFUL              ((NTSTATUS)0xC0000001L)
#define STATUS_NOT_IMPLEMENTED           ((NTSTATUS)0xC0000002L)
#define STATUS_ACCESS_VIOLATION          ((NTSTATUS)0xC0000005L)
#define STATUS_INVALID_PARAMETER         ((NTSTATUS)0xC000000DL)
#define STATUS_NO_MEMORY                 ((NTSTATUS)0xC0000017L)
#define STATUS_CONFLICTING_ADDRESSES     ((NTSTATUS)0xC0000018L)
#define STATUS_ACCESS_DENIED             ((NTSTATUS)0xC0000022L)
#define STATUS_INVALID_PARAMETER_MIX     ((NTSTATUS)0xC0000030L)
#define STATUS_QUOTA_EXCEEDED            ((NTSTATUS)0xC0000044L)
#define STATUS_INTEGER_OVERFLOW          ((NTSTATUS)0xC0000095L)
#define STATUS_INSUFFICIENT_RESOURCES    ((NTSTATUS)0xC000009AL)
#define STATUS_NOT_SUPPORTED             ((NTSTATUS)0xC00000BBL)
#define STATUS_INVALID_PARAMETER_1       ((NTSTATUS)0xC00000EFL)
#define STATUS_INVALID_PARAMETER_2       ((NTSTATUS)0xC00000F0L)
#define STATUS_INVALID_PARAMETER_3       ((NTSTATUS)0xC00000F1L)
#define STATUS_INVALID_PARAMETER_4       ((NTSTATUS)0xC00000F2L)
#define STATUS_INVALID_PARAMETER_5       ((NTSTATUS)0xC00000F3L)
#define STATUS_INVALID_PARAMETER_6       ((NTSTATUS)0xC00000F4L)
#define STATUS_INVALID_ADDRESS           ((NTSTATUS)0xC0000141L)
#define STATUS_DEVICE_CONFIGURATION_ERROR ((NTSTATUS)0xC0000182L)

/* ---- pool types and flags ------------------------------------------------------------------- */

typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    NonPagedPoolExecute = NonPagedPool,
    PagedPool = 1,
    NonPagedPoolMustSucceed = 2,
    DontUseThisType = 3,
    NonPagedPoolCacheAligned = 4,
    PagedPoolCacheAligned = 5,
    NonPagedPoolCacheAlignedMustS = 6,
    MaxPoolType = 7,
    NonPagedPoolBase = 0,
    NonPagedPoolBaseMustSucceed = 2,
    NonPagedPoolBaseCacheAligned = 4,
    NonPagedPoolBaseCacheAlignedMustS = 6,
    NonPagedPoolSession = 32,
    PagedPoolSession = 33,
    NonPagedPoolMustSucceedSession = 34,
    DontUseThisTypeSession = 35,
    NonPagedPoolCacheAlignedSession = 36,
    PagedPoolCacheAlignedSession = 37,
    NonPagedPoolCacheAlignedMustSSession = 38,
    NonPagedPoolNx = 512,
    NonPagedPoolNxCacheAligned = 516,
    NonPagedPoolSessionNx = 544
} POOL_TYPE;

/* Modifier bits OR'ed into a POOL_TYPE. */
#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16
#define POOL_COLD_ALLOCATION 256
#define POOL_NX_ALLOCATION 512
#define POOL_ZERO_ALLOCATION 1024
/* Bits of a POOL_TYPE: 1 paged, 2 must-succeed, 4 cache-aligned, 32 session. */
#define BASE_POOL_TYPE_MASK 1
#define POOL_TYPE_MUST_SUCCEED_BIT 2
#define POOL_TYPE_CACHE_ALIGNED_BIT 4
#define POOL_TYPE_SESSION_BIT 32

/* ExAllocatePool2 flags: the low 32 bits are required (an unknown one fails the
 * call), the high 32 bits optional (unknown ones are ignored). */
typedef ULONG64 POOL_FLAGS;
#define POOL_FLAG_REQUIRED_START          0x0000000000000001ULL
#define POOL_FLAG_USE_QUOTA               0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED           0x0000000000000002ULL
#define POOL_FLAG_SESSION                 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED           0x0000000000000008ULL
#define POOL_FLAG_RESERVED1               0x0000000000000010ULL
#define POOL_FLAG_RAISE_ON_FAILURE        0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED               0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE       0x0000000000000080ULL
#define POOL_FLAG_PAGED                   0x0000000000000100ULL
#define POOL_FLAG_RESERVED2               0x0000000000000200ULL
#define POOL_FLAG_RESERVED3               0x0000000000000400ULL
#define POOL_FLAG_LAST_KNOWN_REQUIRED     POOL_FLAG_RESERVED3
#define POOL_FLAG_REQUIRED_END            0x0000000080000000ULL
#define POOL_FLAG_OPTIONAL_START          0x0000000100000000ULL
#define POOL_FLAG_SPECIAL_POOL            0x0000000100000000ULL
#define POOL_FLAG_LAST_KNOWN_OPTIONAL     POOL_FLAG_SPECIAL_POOL
#define POOL_FLAG_OPTIONAL_END            0x8000000000000000ULL
#define POOL_FLAG_REQUIRED_MASK           0x00000000FFFFFFFFULL
#define POOL_FLAG_OPTIONAL_MASK           0xFFFFFFFF00000000ULL
/* Down-level support switch for ExAllocatePoolZero; nothing to switch here. */
#define POOL_ZERO_DOWN_LEVEL_SUPPORT

/* ---- contiguous memory ---------------------------------------------------------------------- */

typedef enum _MEMORY_CACHING_TYPE_ORIG {
    MmFrameBufferCached = 2
} MEMORY_CACHING_TYPE_ORIG;

typedef enum _MEMORY_CACHING_TYPE {
    MmNonCached = 0,
    MmCached = 1,
    MmWriteCombined = MmFrameBufferCached,
    MmHardwareCoherentCached,
    MmNonCachedUnordered,
    MmUSWCCached,
    MmMaximumCacheType,
    MmNotMapped = -1
} MEMORY_CACHING_TYPE;

#define MM_ANY_NODE_OK 0x80000000

/* ---- lists ---------------------------------------------------------------------------------- */

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY, *PRLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

/* An S-list entry: 16-byte aligned on x64 (the header keeps address >> 4). */
typedef struct _SLIST_ENTRY {
    DECLSPEC_ALIGN(16) struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

/* The x64 SLIST_HEADER: 16 bytes, 16-aligned, swapped whole with a 16-byte CAS. */
typedef union _SLIST_HEADER {
    struct {
        DECLSPEC_ALIGN(16) ULONGLONG Alignment;
        ULONGLONG Region;
    };
    struct {
        ULONGLONG Depth : 16;
        ULONGLONG Sequence : 48;
        ULONGLONG Reserved : 4;
        ULONGLONG NextEntry : 60;
    } HeaderX64;
    la_sslist_header_t la; /* the native view the S-list functions operate on */
} SLIST_HEADER, *PSLIST_HEADER;

/* ---- lookaside lists -------------------------------------------------------------------------- */

typedef struct _LOOKASIDE_LIST_EX *PLOOKASIDE_LIST_EX;

/* Allocate / Free callbacks: the block source of a lookaside list. The Ex forms
 * also receive the list (ExInitializeLookasideListEx). */
typedef PVOID NTAPI ALLOCATE_FUNCTION(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
typedef VOID NTAPI FREE_FUNCTION(PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;
typedef PVOID NTAPI ALLOCATE_FUNCTION_EX(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                         PLOOKASIDE_LIST_EX Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;
typedef VOID NTAPI FREE_FUNCTION_EX(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

/* The field block shared by GENERAL_LOOKASIDE and GENERAL_LOOKASIDE_POOL
 * (0x60 bytes on x64). `Depth` is the adaptive limit on cached blocks,
 * `ListHead`'s own depth the number cached now. */
#define GENERAL_LOOKASIDE_LAYOUT                           \
    union {                                                \
        SLIST_HEADER ListHead;                             \
        SINGLE_LIST_ENTRY SingleListHead;                  \
    };                                                     \
    USHORT Depth;                                          \
    USHORT MaximumDepth;                                   \
    ULONG TotalAllocates;                                  \
    union {                                                \
        ULONG AllocateMisses;                              \
        ULONG AllocateHits;                                \
    };                                                     \
    ULONG TotalFrees;                                      \
    union {                                                \
        ULONG FreeMisses;                                  \
        ULONG FreeHits;                                    \
    };                                                     \
    POOL_TYPE Type;                                        \
    ULONG Tag;                                             \
    ULONG Size;                                            \
    union {                                                \
        PALLOCATE_FUNCTION_EX AllocateEx;                  \
        PALLOCATE_FUNCTION Allocate;                       \
    };                                                     \
    union {                                                \
        PFREE_FUNCTION_EX FreeEx;                          \
        PFREE_FUNCTION Free;                               \
    };                                                     \
    LIST_ENTRY ListEntry;                                  \
    ULONG LastTotalAllocates;                              \
    union {                                                \
        ULONG LastAllocateMisses;                          \
        ULONG LastAllocateHits;                            \
    };                                                     \
    ULONG Future[2];

/* 0x80 bytes, as on x64. Windows declares it cache-aligned (64); here it is
 * 16-byte aligned and padded to the same size, because Windows itself only
 * requires 16-byte alignment of a list (pool blocks are 16-byte aligned and drivers
 * put lists in them): with a 64-byte aligned type every such list would be a
 * misaligned object in C (UBSan reports it). Offsets and size are Windows'; only a
 * list embedded in a larger structure may start at another offset than with MSVC. */
typedef struct _GENERAL_LOOKASIDE {
    GENERAL_LOOKASIDE_LAYOUT
    UCHAR CacheLinePadding[0x80 - 0x60];
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

typedef struct _GENERAL_LOOKASIDE_POOL {
    GENERAL_LOOKASIDE_LAYOUT
} GENERAL_LOOKASIDE_POOL, *PGENERAL_LOOKASIDE_POOL;

typedef struct _NPAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

typedef struct _PAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;

typedef struct _LOOKASIDE_LIST_EX {
    GENERAL_LOOKASIDE_POOL L;
} LOOKASIDE_LIST_EX;

#define LOOKASIDE_MINIMUM_BLOCK_SIZE (RTL_SIZEOF_THROUGH_FIELD(SLIST_ENTRY, Next))
#define EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL 0x00000001UL
#define EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE 0x00000002UL
#define EX_MAXIMUM_LOOKASIDE_DEPTH_BASE 256
#define EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT 1024

/* ---- driver objects (a stand-in, not the Windows layout) ----------------------------------------- */

typedef struct _UNICODE_STRING {
    USHORT Length;        /* bytes, without a terminator */
    USHORT MaximumLength; /* bytes */
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

struct _DRIVER_OBJECT;
typedef VOID NTAPI DRIVER_UNLOAD(struct _DRIVER_OBJECT *DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;
/* Only what seed drivers touch: an unload routine and a free pointer. Real driver
 * objects (device lists, dispatch tables) have no user-space meaning here. */
typedef struct _DRIVER_OBJECT {
    PDRIVER_UNLOAD DriverUnload;
    PVOID DriverExtension;
} DRIVER_OBJECT, *PDRIVER_OBJECT;
typedef NTSTATUS NTAPI DRIVER_INITIALIZE(PDRIVER_OBJECT DriverObject,
                                         PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;

/* ---- the x64 layouts, proved -------------------------------------------------------------------- */

#ifdef __cplusplus
#define WDK_STATIC_ASSERT(e, m) static_assert(e, m)
#define WDK_ALIGNOF(t) alignof(t)
#else
#define WDK_STATIC_ASSERT(e, m) _Static_assert(e, m)
#define WDK_ALIGNOF(t) _Alignof(t)
#endif

WDK_STATIC_ASSERT(sizeof(void *) == 8, "<lookaside/wdk.h> reproduces x64 layouts: 64-bit targets only");
WDK_STATIC_ASSERT(sizeof(UCHAR) == 1 && sizeof(USHORT) == 2 && sizeof(ULONG) == 4 && sizeof(LONG) == 4 &&
                      sizeof(ULONG64) == 8 && sizeof(SIZE_T) == 8 && sizeof(ULONG_PTR) == 8,
                  "LLP64 integer sizes");
WDK_STATIC_ASSERT(sizeof(NTSTATUS) == 4 && sizeof(BOOLEAN) == 1 && sizeof(KIRQL) == 1, "NTSTATUS/BOOLEAN/KIRQL");
WDK_STATIC_ASSERT(sizeof(KSPIN_LOCK) == 8, "KSPIN_LOCK");
WDK_STATIC_ASSERT(sizeof(LARGE_INTEGER) == 8 && offsetof(LARGE_INTEGER, HighPart) == 4, "LARGE_INTEGER");
WDK_STATIC_ASSERT(sizeof(POOL_TYPE) == 4 && sizeof(POOL_FLAGS) == 8, "POOL_TYPE / POOL_FLAGS");
WDK_STATIC_ASSERT(sizeof(LIST_ENTRY) == 16 && offsetof(LIST_ENTRY, Blink) == 8, "LIST_ENTRY");
WDK_STATIC_ASSERT(sizeof(SINGLE_LIST_ENTRY) == 8, "SINGLE_LIST_ENTRY");
WDK_STATIC_ASSERT(sizeof(SLIST_ENTRY) == 16 && WDK_ALIGNOF(SLIST_ENTRY) == 16, "SLIST_ENTRY");
WDK_STATIC_ASSERT(sizeof(SLIST_HEADER) == 16 && WDK_ALIGNOF(SLIST_HEADER) == 16, "SLIST_HEADER");
WDK_STATIC_ASSERT(sizeof(la_sslist_header_t) == 16, "SLIST_HEADER aliases la_sslist_header_t");
WDK_STATIC_ASSERT(LOOKASIDE_MINIMUM_BLOCK_SIZE == 8, "LOOKASIDE_MINIMUM_BLOCK_SIZE");

#define WDK_ASSERT_LOOKASIDE_LAYOUT(T)                                                        \
    WDK_STATIC_ASSERT(offsetof(T, ListHead) == 0x00 && offsetof(T, SingleListHead) == 0x00, \
                      #T ".ListHead");                                                      \
    WDK_STATIC_ASSERT(offsetof(T, Depth) == 0x10, #T ".Depth");                               \
    WDK_STATIC_ASSERT(offsetof(T, MaximumDepth) == 0x12, #T ".MaximumDepth");                 \
    WDK_STATIC_ASSERT(offsetof(T, TotalAllocates) == 0x14, #T ".TotalAllocates");             \
    WDK_STATIC_ASSERT(offsetof(T, AllocateMisses) == 0x18 && offsetof(T, AllocateHits) == 0x18, \
                      #T ".AllocateMisses");                                                \
    WDK_STATIC_ASSERT(offsetof(T, TotalFrees) == 0x1c, #T ".TotalFrees");                     \
    WDK_STATIC_ASSERT(offsetof(T, FreeMisses) == 0x20 && offsetof(T, FreeHits) == 0x20,       \
                      #T ".FreeMisses");                                                    \
    WDK_STATIC_ASSERT(offsetof(T, Type) == 0x24, #T ".Type");                                 \
    WDK_STATIC_ASSERT(offsetof(T, Tag) == 0x28, #T ".Tag");                                   \
    WDK_STATIC_ASSERT(offsetof(T, Size) == 0x2c, #T ".Size");                                 \
    WDK_STATIC_ASSERT(offsetof(T, Allocate) == 0x30 && offsetof(T, AllocateEx) == 0x30,       \
                      #T ".Allocate");                                                      \
    WDK_STATIC_ASSERT(offsetof(T, Free) == 0x38 && offsetof(T, FreeEx) == 0x38, #T ".Free");  \
    WDK_STATIC_ASSERT(offsetof(T, ListEntry) == 0x40, #T ".ListEntry");                       \
    WDK_STATIC_ASSERT(offsetof(T, LastTotalAllocates) == 0x50, #T ".LastTotalAllocates");     \
    WDK_STATIC_ASSERT(offsetof(T, LastAllocateMisses) == 0x54 &&                              \
                          offsetof(T, LastAllocateHits) == 0x54,                              \
                      #T ".LastAllocateMisses");                                            \
    WDK_STATIC_ASSERT(offsetof(T, Future) == 0x58, #T ".Future")

WDK_ASSERT_LOOKASIDE_LAYOUT(GENERAL_LOOKASIDE);
WDK_ASSERT_LOOKASIDE_LAYOUT(GENERAL_LOOKASIDE_POOL);
WDK_STATIC_ASSERT(sizeof(GENERAL_LOOKASIDE) == 0x80 && WDK_ALIGNOF(GENERAL_LOOKASIDE) == 16,
                  "GENERAL_LOOKASIDE is 0x80 bytes, 16-byte aligned (see its comment)");
WDK_STATIC_ASSERT(sizeof(GENERAL_LOOKASIDE_POOL) == 0x60 && WDK_ALIGNOF(GENERAL_LOOKASIDE_POOL) == 16,
                  "GENERAL_LOOKASIDE_POOL is 0x60 bytes");
WDK_STATIC_ASSERT(sizeof(NPAGED_LOOKASIDE_LIST) == 0x80 && sizeof(PAGED_LOOKASIDE_LIST) == 0x80,
                  "NPAGED_/PAGED_LOOKASIDE_LIST are 0x80 bytes on x64");
WDK_STATIC_ASSERT(sizeof(LOOKASIDE_LIST_EX) == 0x60, "LOOKASIDE_LIST_EX is 0x60 bytes on x64");

#endif /* LOOKASIDE_WDK_TYPES_H */
