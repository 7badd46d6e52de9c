/* lookaside/wdk.h — the WDK-compatible layer: code written for the Windows kernel
 * (lookaside lists, tagged pool, LIST_ENTRY / SINGLE_LIST_ENTRY / SLIST lists, spin
 * locks, contiguous memory) compiles and runs unmodified in user space, behaving as
 * Microsoft documents it.
 *
 * What
 *   A veneer over the native API: the CamelCase NT names live only here (and in
 *   src/wdk/). The pieces, each with its own rules in its sub-header:
 *     wdk/types.h      UCHAR…ULONG64, SIZE_T, NTSTATUS and status codes, POOL_TYPE,
 *                      POOL_FLAGS, LIST_ENTRY, SLIST_HEADER, GENERAL_LOOKASIDE,
 *                      NPAGED_/PAGED_LOOKASIDE_LIST, LOOKASIDE_LIST_EX (x64 layouts,
 *                      proved by static asserts), CONTAINING_RECORD, FIELD_OFFSET …
 *     wdk/lists.h      InitializeListHead … AppendTailList with the modern WDK's
 *                      neighbour checks, PushEntryList/PopEntryList, KSPIN_LOCK,
 *                      ExInterlocked* lists, the SLIST functions
 *     wdk/ex.h         NTSTATUS <-> errno, the raise handler, DbgPrint,
 *                      ExAllocatePool*, ExAllocatePool2, ExFreePool*
 *     wdk/lookaside.h  Ex*LookasideList* on the lookaside engine's depot, the
 *                      !lookaside, !poolused and PoolMon views
 *     wdk/mm.h         MmAllocateContiguousMemory* over regions, MmGetPhysicalAddress
 *
 * Rules
 *   - x64 Windows layouts: a 64-bit target is required (static assert). LONG and
 *     ULONG are 32 bits (LLP64), as on Windows.
 *   - Pool tags written as multi-character constants ('Fred') are accepted: this
 *     header turns off GCC's and Clang's -Wmultichar for the rest of the file that
 *     includes it (MSVC accepts them silently). G++ before 13 ignores that pragma in
 *     C++: add -Wno-multichar there. Tags show lowest byte first, as on Windows
 *     ('Fred' shows as "derF").
 *   - Misuse that Windows answers with a bugcheck (corrupt list links, a bad pool
 *     pointer, a double free, a misaligned lookaside list) is a la_fatal() report
 *     naming the object and, where the call is a macro, the caller's file:line; the
 *     default handler aborts. If an installed handler returns, the call backs out
 *     with nothing modified (see each sub-header for what it returns).
 *   - "Raise" (POOL_RAISE_IF_ALLOCATION_FAILURE, POOL_FLAG_RAISE_ON_FAILURE,
 *     EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, ExRaiseStatus) calls the raise
 *     handler with the NTSTATUS (la_wdk_raise_handler_set); the default reports and
 *     aborts. A handler may longjmp out, the user-space __try/__except.
 *   - IRQL does not exist in user space; it is emulated per thread so code that
 *     saves and restores it works, and nothing depends on its value.
 *   - Where Windows' behaviour cannot exist in user space or is undefined, this
 *     layer picks a documented answer; docs/wdk.md lists every such difference.
 *
 * Example (compiled and run as written by tests/wdk/test_wdk_example.c):
 *
 *     typedef struct _REQUEST { ULONG Id; LIST_ENTRY Link; } REQUEST;
 *     static NPAGED_LOOKASIDE_LIST Requests;        // 16-byte aligned by its type
 *     static LIST_ENTRY Pending;
 *
 *     ExInitializeNPagedLookasideList(&Requests, NULL, NULL, POOL_NX_ALLOCATION,
 *                                     sizeof(REQUEST), 'qeRD', 0);
 *     InitializeListHead(&Pending);
 *     REQUEST *r = ExAllocateFromNPagedLookasideList(&Requests); // a miss: pool
 *     if (r == NULL) return STATUS_INSUFFICIENT_RESOURCES;
 *     r->Id = 1;
 *     InsertTailList(&Pending, &r->Link);
 *     PLIST_ENTRY e = RemoveHeadList(&Pending);
 *     ExFreeToNPagedLookasideList(&Requests, CONTAINING_RECORD(e, REQUEST, Link));
 *     REQUEST *again = ExAllocateFromNPagedLookasideList(&Requests); // a hit: r
 *     ExFreeToNPagedLookasideList(&Requests, again);
 *     la_wdk_lookaside_print(&Requests);            // the !lookaside view
 *     ExDeleteNPagedLookasideList(&Requests);       // cached blocks go back
 *
 * More: docs/wdk.md. */
#ifndef LOOKASIDE_WDK_H
#define LOOKASIDE_WDK_H

#include <lookaside/base.h>

#include <string.h>

/* Pool tags are multi-character constants ('Fred'); MSVC accepts them silently. */
#pragma GCC diagnostic ignored "-Wmultichar"

#include <lookaside/wdk/types.h>
#include <lookaside/wdk/lists.h>
#include <lookaside/wdk/ex.h>
#include <lookaside/wdk/lookaside.h>
#include <lookaside/wdk/mm.h>

#endif /* LOOKASIDE_WDK_H */
