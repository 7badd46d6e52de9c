/* lookaside/wdk/lookaside.h — Windows lookaside lists: NPAGED_LOOKASIDE_LIST,
 * PAGED_LOOKASIDE_LIST and LOOKASIDE_LIST_EX, and the debugger-style views.
 * Part of <lookaside/wdk.h>; include that header, not this one.
 *
 * Semantics (Windows', from the WDK docs, the WDK inline code and Wine's
 * conformance test):
 *   - The list object lives in the caller's memory and must be 16-byte aligned
 *     (its SLIST_HEADER is swapped with a 16-byte CAS). A misaligned object is
 *     reported (la_fatal LA_FATAL_MISALIGNED); if the handler returns, nothing is
 *     initialised (ExInitializeLookasideListEx returns STATUS_DATATYPE_MISALIGNMENT).
 *   - After initialisation: Depth 4, MaximumDepth 256, the four counters and the
 *     Last* snapshots 0, Type = base | flags (NonPagedPool | Flags for the NPaged
 *     list, PagedPool | Flags for the Paged list, PoolType | the Ex flag's bit for
 *     the Ex list), Tag and Size as given. The Depth argument is ignored. NULL
 *     Allocate / Free select the pool (ExAllocatePoolWithTag / ExFreePool).
 *     Nothing is preallocated.
 *   - Allocate: TotalAllocates += 1; pop the S-list; on empty AllocateMisses += 1
 *     and call Allocate(Type, Size, Tag) (AllocateEx(..., Lookaside) for the Ex
 *     list) and return what it returns (NULL included).
 *     Free: TotalFrees += 1; if the cached count (the S-list's depth) >= Depth,
 *     FreeMisses += 1 and call Free(Entry) (FreeEx(Entry, Lookaside)); else push.
 *     The counters are plain (relaxed, not interlocked) increments in the
 *     structure's own fields, as in the WDK's inline code: under contention they
 *     may lose counts and they wrap at 2^32; only the S-list is atomic.
 *   - A block handed out keeps its contents except its first 8 bytes (the S-list
 *     link). Blocks must be 16-byte aligned (the pool's are; a custom Allocate
 *     must ensure it — checked builds report a misaligned block on free).
 *   - Flush (Ex list) frees every cached block through FreeEx; counters unchanged.
 *     Delete unregisters the list, then frees every cached block through
 *     Free/FreeEx. Blocks still held by callers are not tracked (as on Windows);
 *     with the default allocator they stay visible under the list's tag in the
 *     pool views (la_wdk_poolused_print, la_pool_leak_report).
 *   - Lists are registered (through the structure's ListEntry, as on Windows), so
 *     the depth tuner adjusts their Depth (between 4 and MaximumDepth) and the
 *     views list them. Forgetting Delete before freeing the object corrupts the
 *     registry: the next registration or deletion reports LA_FATAL_LIST_CORRUPT
 *     (Windows bugchecks about a second later).
 *   - Checked builds (LA_CONFIG_CHECKED) report allocating from or freeing to a
 *     list that was deleted (LA_FATAL_USE_AFTER_DESTROY) or never initialised
 *     (LA_FATAL_BAD_ARGUMENT); if the handler returns, Allocate returns NULL and
 *     Free does nothing.
 *
 * ExInitializeLookasideListEx returns STATUS_INVALID_PARAMETER_4 for a PoolType
 * that is not a POOL_TYPE and STATUS_INVALID_PARAMETER_5 for unknown Flags or both
 * EX_LOOKASIDE_LIST_EX_FLAGS_* at once (as documented), STATUS_INVALID_PARAMETER_6
 * for a Size that does not fit in the ULONG field (our choice).
 *
 * Defined here where Windows leaves it open (our choices, documented):
 *   - FAIL_NO_RAISE with the default allocator (undefined in the docs): the pool
 *     allocation returns NULL on failure and nothing raises.
 *   - A Size below LOOKASIDE_MINIMUM_BLOCK_SIZE (docs: "must not be less") is
 *     rounded up to it: a cached block must hold the S-list link.
 */
#ifndef LOOKASIDE_WDK_LOOKASIDE_H
#define LOOKASIDE_WDK_LOOKASIDE_H

#ifndef LOOKASIDE_WDK_H
#error "include <lookaside/wdk.h>, not <lookaside/wdk/lookaside.h>"
#endif

LA_BEGIN_DECLS

/* ---- NPAGED_LOOKASIDE_LIST / PAGED_LOOKASIDE_LIST ------------------------------------------- */

LA_API VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside,
                                            PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
                                            ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth);
LA_API PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
LA_API VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);
LA_API VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);

LA_API VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside,
                                           PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
                                           ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth);
LA_API PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
LA_API VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);
LA_API VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);

/* ---- LOOKASIDE_LIST_EX ----------------------------------------------------------------------- */

LA_API NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside,
                                            PALLOCATE_FUNCTION_EX Allocate, PFREE_FUNCTION_EX Free,
                                            POOL_TYPE PoolType, ULONG Flags, SIZE_T Size, ULONG Tag,
                                            USHORT Depth);
LA_API PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
LA_API VOID ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry);
LA_API VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
LA_API VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);

/* ---- views (the debugger's !lookaside and !poolused, PoolMon) --------------------------------- */

/* Print one list (any of the three kinds: pass the list object) in the !lookaside
 * format through la_printf — the engine's view (la_lookaside_stats_print), so WDK
 * lists and native caches read alike:
 *
 *     Lookaside "" @ 0x5581e2c0a040 "bbaa"
 *         Type           =       0001 PagedPool
 *         Current Depth  =          4   Max Depth  =          4
 *         Size           =          8   Max Alloc  =         32
 *         AllocateMisses =          4   FreeMisses =          0
 *         TotalAllocates =          4   TotalFrees =          4
 *         Hit Rate       =         0%   Hit Rate   =       100%
 *
 * Current Depth is the number of blocks cached, Max Depth the adaptive limit
 * (Depth), Max Alloc = Max Depth x Size; the hit rates are the allocate and free
 * hit rates in integer percent, truncated (0% when there were no calls). The tag is
 * shown lowest byte first, as the debugger shows it. An address that is not a live
 * WDK list prints one line saying so. */
LA_API VOID la_wdk_lookaside_print(const void *Lookaside);
/* The same for every registered WDK list (!lookaside -all); returns how many. */
LA_API ULONG la_wdk_lookaside_print_all(void);
/* Options 1 and 2 of !lookaside: reset a list's counters (and Last* snapshots) /
 * set its Depth (clamped to [1, MaximumDepth]). */
LA_API VOID la_wdk_lookaside_reset_counters(void *Lookaside);
LA_API VOID la_wdk_lookaside_set_depth(void *Lookaside, USHORT Depth);
/* Number of WDK lists registered now. */
LA_API ULONG la_wdk_lookaside_count(void);

/* One pass of the depth tuner over every registered list (WDK lists and native
 * caches), on the calling thread — what Windows' balance-set manager does once a
 * second (ntifs.h: "reserved for system use"). The tuner also runs by itself about
 * once a second on a background thread started with the first list; the
 * environment variable LA_LOOKASIDE_TUNER=0 keeps that thread off (tests do, so
 * that only their own calls move Depth). The rule is the engine's
 * (src/lookaside_tuner.c, docs/lookaside.md): Depth grows toward MaximumDepth when
 * allocations miss, idle lists shrink toward 4 and give their surplus back through
 * Free / FreeEx. */
LA_API VOID ExAdjustLookasideDepth(VOID);

/* !poolused [Flags [TagString]]: per tag, outstanding NonPaged and Paged allocation
 * counts and bytes. Flags: 1 verbose (adds frees and failures), 2 sort by nonpaged
 * bytes, 4 sort by paged bytes (default: by tag); TagString filters with '*' and '?'
 * (case-sensitive; NULL = all). Returns rows printed. */
LA_API ULONG la_wdk_poolused_print(ULONG Flags, PCSTR TagString);
/* PoolMon's table (Tag Type Allocs Frees Diff Bytes Per Alloc), sorted by bytes,
 * with totals. Returns rows printed. */
LA_API ULONG la_wdk_poolmon_print(void);

LA_END_DECLS

#endif /* LOOKASIDE_WDK_LOOKASIDE_H */
