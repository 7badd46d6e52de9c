/* lookaside/wdk/lists.h — LIST_ENTRY, SINGLE_LIST_ENTRY and SLIST_HEADER
 * operations, spin locks and the ExInterlocked* list functions. Part of
 * <lookaside/wdk.h>; include that header, not this one.
 *
 * Rules:
 *   - InitializeListHead … AppendTailList behave as the modern WDK inlines do,
 *     including the neighbour checks: before writing a link they verify that the
 *     neighbour points back (ListHead->Flink->Blink == ListHead on an insert at the
 *     head, Entry->Flink->Blink == Entry && Entry->Blink->Flink == Entry on a
 *     removal, ...). A failed check is Windows' FAST_FAIL_CORRUPT_LIST_ENTRY
 *     (bugcheck 0x139, argument 3); here it is la_fatal(LA_FATAL_LIST_CORRUPT)
 *     naming the entry and the caller's file:line, which aborts unless a handler
 *     is installed. If the handler returns, nothing is modified: inserts do not
 *     link, RemoveEntryList returns FALSE, RemoveHeadList/RemoveTailList return
 *     NULL. Defining NO_KERNEL_LIST_ENTRY_CHECKS before including <lookaside/wdk.h>
 *     drops the checks, as it does with the WDK.
 *   - RemoveHeadList/RemoveTailList on an EMPTY list return the head itself (test
 *     IsListEmpty first); PopEntryList on an empty list returns NULL. Removed
 *     entries keep their stale links, as on a Windows free build.
 *   - These functions work on LIST_ENTRY itself rather than casting to the native
 *     la_list_entry_t: the two structures have the same layout, but C's aliasing
 *     rules forbid reaching one through the other in inline code. The checks,
 *     fatal code and back-out rule are those of <lookaside/list.h>.
 *   - The ExInterlocked* list functions take a KSPIN_LOCK and return the previous
 *     first (or last) entry, or NULL when the list was empty. Spin locks are real
 *     locks (a holder that sleeps makes waiters yield, never deadlock the CPU);
 *     IRQL is emulated per thread: KeAcquireSpinLock returns the thread's
 *     current IRQL and raises it to DISPATCH_LEVEL, KeReleaseSpinLock restores
 *     the value given. Acquiring a lock the thread already holds, or releasing one
 *     it does not hold, is reported (LA_FATAL_BAD_ARGUMENT) instead of hanging.
 *   - The S-list functions are the native la_sslist_* on the header's `la` view:
 *     entries must be 16-byte aligned (checked builds report a misaligned push),
 *     the sequence number changes on every push, depth is 16 bits. The spin-lock
 *     argument of the ExInterlocked*SList names is ignored, as on x64 Windows.
 */
#ifndef LOOKASIDE_WDK_LISTS_H
#define LOOKASIDE_WDK_LISTS_H

#ifndef LOOKASIDE_WDK_H
#error "include <lookaside/wdk.h>, not <lookaside/wdk/lists.h>"
#endif

LA_BEGIN_DECLS

/* ---- list checks (helpers, not API) ------------------------------------------------ */

#ifdef NO_KERNEL_LIST_ENTRY_CHECKS
#define LA_WDK_LIST_CHECKS 0
#else
#define LA_WDK_LIST_CHECKS 1
#endif

/* Report a broken link: `what` names it, `seen` is its value, `expected` what it
 * should have been. Always returns FALSE (the caller backs out). */
LA_INLINE BOOLEAN la_wdk_list_corrupt(const void *entry, const char *op, const char *what,
                                      const void *seen, const void *expected, const char *file,
                                      int line) {
    la_fatal(LA_FATAL_LIST_CORRUPT, entry, file, line,
             "FAST_FAIL_CORRUPT_LIST_ENTRY in %s: %s is %p, should be %p", op, what, seen,
             expected);
    return FALSE;
}

/* TRUE when `link` (read from `what`) can be followed and links back to `self`
 * through `back` (Flink->Blink or Blink->Flink); reports otherwise. */
LA_INLINE BOOLEAN la_wdk_list_link_ok(const LIST_ENTRY *link, BOOLEAN back_is_blink,
                                      const LIST_ENTRY *self, const void *entry, const char *op,
                                      const char *what, const char *back_what, const char *file,
                                      int line) {
    if (LA_UNLIKELY(link == NULL))
        return la_wdk_list_corrupt(entry, op, what, NULL, self, file, line);
    const LIST_ENTRY *back = back_is_blink ? link->Blink : link->Flink;
    if (LA_UNLIKELY(back != self)) return la_wdk_list_corrupt(entry, op, back_what, back, self, file, line);
    return TRUE;
}

/* ---- LIST_ENTRY ---------------------------------------------------------------------- */

/* An empty list: both links point at the head. */
FORCEINLINE VOID InitializeListHead(PLIST_ENTRY ListHead) {
    ListHead->Flink = ListHead;
    ListHead->Blink = ListHead;
}

FORCEINLINE BOOLEAN IsListEmpty(const LIST_ENTRY *ListHead) {
    return (BOOLEAN)(ListHead->Flink == ListHead);
}

FORCEINLINE VOID la_wdk_insert_head_list(PLIST_ENTRY ListHead, PLIST_ENTRY Entry, const char *file,
                                         int line) {
    PLIST_ENTRY Flink = ListHead->Flink;
    if (LA_WDK_LIST_CHECKS &&
        !la_wdk_list_link_ok(Flink, TRUE, ListHead, Entry, "InsertHeadList", "ListHead->Flink",
                             "ListHead->Flink->Blink", file, line))
        return;
    Entry->Flink = Flink;
    Entry->Blink = ListHead;
    Flink->Blink = Entry;
    ListHead->Flink = Entry;
}

FORCEINLINE VOID la_wdk_insert_tail_list(PLIST_ENTRY ListHead, PLIST_ENTRY Entry, const char *file,
                                         int line) {
    PLIST_ENTRY Blink = ListHead->Blink;
    if (LA_WDK_LIST_CHECKS &&
        !la_wdk_list_link_ok(Blink, FALSE, ListHead, Entry, "InsertTailList", "ListHead->Blink",
                             "ListHead->Blink->Flink", file, line))
        return;
    Entry->Flink = ListHead;
    Entry->Blink = Blink;
    Blink->Flink = Entry;
    ListHead->Blink = Entry;
}

/* Unlink Entry; TRUE when the list it was on is now empty. */
FORCEINLINE BOOLEAN la_wdk_remove_entry_list(PLIST_ENTRY Entry, const char *file, int line) {
    PLIST_ENTRY Flink = Entry->Flink;
    PLIST_ENTRY Blink = Entry->Blink;
    if (LA_WDK_LIST_CHECKS &&
        (!la_wdk_list_link_ok(Flink, TRUE, Entry, Entry, "RemoveEntryList", "Entry->Flink",
                              "Entry->Flink->Blink", file, line) ||
         !la_wdk_list_link_ok(Blink, FALSE, Entry, Entry, "RemoveEntryList", "Entry->Blink",
                              "Entry->Blink->Flink", file, line)))
        return FALSE;
    Blink->Flink = Flink;
    Flink->Blink = Blink;
    return (BOOLEAN)(Flink == Blink);
}

/* Unlink and return the first entry; the head itself when the list is empty. */
FORCEINLINE PLIST_ENTRY la_wdk_remove_head_list(PLIST_ENTRY ListHead, const char *file, int line) {
    PLIST_ENTRY Entry = ListHead->Flink;
    if (LA_WDK_LIST_CHECKS &&
        !la_wdk_list_link_ok(Entry, TRUE, ListHead, ListHead, "RemoveHeadList", "ListHead->Flink",
                             "ListHead->Flink->Blink", file, line))
        return NULL;
    PLIST_ENTRY Flink = Entry->Flink;
    if (LA_WDK_LIST_CHECKS &&
        !la_wdk_list_link_ok(Flink, TRUE, Entry, Entry, "RemoveHeadList", "Entry->Flink",
                             "Entry->Flink->Blink", file, line))
        return NULL;
    ListHead->Flink = Flink;
    Flink->Blink = ListHead;
    return Entry;
}

/* Unlink and return the last entry; the head itself when the list is empty. */
FORCEINLINE PLIST_ENTRY la_wdk_remove_tail_list(PLIST_ENTRY ListHead, const char *file, int line) {
    PLIST_ENTRY Entry = ListHead->Blink;
    if (LA_WDK_LIST_CHECKS &&
        !la_wdk_list_link_ok(Entry, FALSE, ListHead, ListHead, "RemoveTailList",
                             "ListHead->Blink", "ListHead->Blink->Flink", file, line))
        return NULL;
    PLIST_ENTRY Blink = Entry->Blink;
    if (LA_WDK_LIST_CHECKS &&
        !la_wdk_list_link_ok(Blink, FALSE, Entry, Entry, "RemoveTailList", "Entry->Blink",
                             "Entry->Blink->Flink", file, line))
        return NULL;
    ListHead->Blink = Blink;
    Blink->Flink = ListHead;
    return Entry;
}

/* AppendTailList: ListToAppend is the first entry of a HEADLESS ring (entries
 * linked to each other with no head); the whole ring is linked at the tail of
 * ListHead, in order. (Passing another list's head makes that head an entry.) */
FORCEINLINE VOID la_wdk_append_tail_list(PLIST_ENTRY ListHead, PLIST_ENTRY ListToAppend,
                                         const char *file, int line) {
    PLIST_ENTRY ListEnd = ListHead->Blink;
    if (LA_WDK_LIST_CHECKS &&
        (!la_wdk_list_link_ok(ListEnd, FALSE, ListHead, ListToAppend, "AppendTailList",
                              "ListHead->Blink", "ListHead->Blink->Flink", file, line) ||
         !la_wdk_list_link_ok(ListToAppend->Blink, FALSE, ListToAppend, ListToAppend,
                              "AppendTailList", "ListToAppend->Blink",
                              "ListToAppend->Blink->Flink", file, line)))
        return;
    ListHead->Blink->Flink = ListToAppend;
    ListHead->Blink = ListToAppend->Blink;
    ListToAppend->Blink->Flink = ListHead;
    ListToAppend->Blink = ListEnd;
}

/* The WDK names. Each is a real inline function (so its address can be taken and
 * `(InsertHeadList)(h, e)` works) and a macro that adds the caller's file:line
 * to a corruption report. */
FORCEINLINE VOID InsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry) {
    la_wdk_insert_head_list(ListHead, Entry, NULL, 0);
}
FORCEINLINE VOID InsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry) {
    la_wdk_insert_tail_list(ListHead, Entry, NULL, 0);
}
FORCEINLINE BOOLEAN RemoveEntryList(PLIST_ENTRY Entry) {
    return la_wdk_remove_entry_list(Entry, NULL, 0);
}
FORCEINLINE PLIST_ENTRY RemoveHeadList(PLIST_ENTRY ListHead) {
    return la_wdk_remove_head_list(ListHead, NULL, 0);
}
FORCEINLINE PLIST_ENTRY RemoveTailList(PLIST_ENTRY ListHead) {
    return la_wdk_remove_tail_list(ListHead, NULL, 0);
}
FORCEINLINE VOID AppendTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListToAppend) {
    la_wdk_append_tail_list(ListHead, ListToAppend, NULL, 0);
}
#define InsertHeadList(ListHead, Entry) la_wdk_insert_head_list((ListHead), (Entry), LA_HERE)
#define InsertTailList(ListHead, Entry) la_wdk_insert_tail_list((ListHead), (Entry), LA_HERE)
#define RemoveEntryList(Entry) la_wdk_remove_entry_list((Entry), LA_HERE)
#define RemoveHeadList(ListHead) la_wdk_remove_head_list((ListHead), LA_HERE)
#define RemoveTailList(ListHead) la_wdk_remove_tail_list((ListHead), LA_HERE)
#define AppendTailList(ListHead, ListToAppend) \
    la_wdk_append_tail_list((ListHead), (ListToAppend), LA_HERE)

/* ---- SINGLE_LIST_ENTRY ------------------------------------------------------------------ */

/* Push Entry on top. */
FORCEINLINE VOID PushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY Entry) {
    Entry->Next = ListHead->Next;
    ListHead->Next = Entry;
}

/* Pop the top entry; NULL when the list is empty. */
FORCEINLINE PSINGLE_LIST_ENTRY PopEntryList(PSINGLE_LIST_ENTRY ListHead) {
    PSINGLE_LIST_ENTRY FirstEntry = ListHead->Next;
    if (FirstEntry != NULL) ListHead->Next = FirstEntry->Next;
    return FirstEntry;
}

/* ---- spin locks and IRQL (emulated per thread) ------------------------------------------------ */

FORCEINLINE VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock) { *SpinLock = 0; }

/* The calling thread's emulated IRQL (PASSIVE_LEVEL unless it holds spin locks). */
LA_API KIRQL KeGetCurrentIrql(void);
/* Acquire the lock, raise the thread's IRQL to DISPATCH_LEVEL, return the old one. */
LA_API KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock);
/* Release the lock and set the thread's IRQL to NewIrql. */
LA_API VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);
/* Acquire / release without changing the IRQL (caller is at DISPATCH_LEVEL). */
LA_API VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
LA_API VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);
/* Set the thread's emulated IRQL (KeRaiseIrql also returns the old value). */
LA_API VOID KfLowerIrql(KIRQL NewIrql);
LA_API KIRQL KfRaiseIrql(KIRQL NewIrql);
#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))
#define KeRaiseIrql(NewIrql, OldIrql) (*(OldIrql) = KfRaiseIrql(NewIrql))
#define KeLowerIrql(NewIrql) KfLowerIrql(NewIrql)

/* ---- ExInterlocked* lists (spin-lock protected) ---------------------------------------------- */

/* Insert at the head / tail under Lock. Return the previous first (last) entry, or
 * NULL when the list was empty. */
LA_API PLIST_ENTRY la_wdk_interlocked_insert_head_list(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                                       PKSPIN_LOCK Lock, const char *file, int line);
LA_API PLIST_ENTRY la_wdk_interlocked_insert_tail_list(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                                       PKSPIN_LOCK Lock, const char *file, int line);
/* Remove the first entry under Lock; NULL when the list was empty. */
LA_API PLIST_ENTRY la_wdk_interlocked_remove_head_list(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock,
                                                       const char *file, int line);
/* Push / pop a singly linked list under Lock; push returns the previous top (NULL
 * when empty), pop the popped entry (NULL when empty). */
LA_API PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead,
                                                     PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock);
LA_API PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock);

LA_API PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                               PKSPIN_LOCK Lock);
LA_API PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                               PKSPIN_LOCK Lock);
LA_API PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock);
#define ExInterlockedInsertHeadList(ListHead, ListEntry, Lock) \
    la_wdk_interlocked_insert_head_list((ListHead), (ListEntry), (Lock), LA_HERE)
#define ExInterlockedInsertTailList(ListHead, ListEntry, Lock) \
    la_wdk_interlocked_insert_tail_list((ListHead), (ListEntry), (Lock), LA_HERE)
#define ExInterlockedRemoveHeadList(ListHead, Lock) \
    la_wdk_interlocked_remove_head_list((ListHead), (Lock), LA_HERE)

/* ---- SLIST_HEADER (the native sequenced S-list) ------------------------------------------------ */

FORCEINLINE VOID InitializeSListHead(PSLIST_HEADER SListHead) { la_sslist_init(&SListHead->la); }
/* Push; returns the previous first entry (NULL when the list was empty). */
FORCEINLINE PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry) {
    return (PSLIST_ENTRY)(void *)la_sslist_push(&ListHead->la, (la_sslist_entry_t *)(void *)ListEntry);
}
/* Pop; NULL when the list is empty. */
FORCEINLINE PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead) {
    return (PSLIST_ENTRY)(void *)la_sslist_pop(&ListHead->la);
}
/* Detach the whole chain (first entry, NULL when empty); depth becomes 0. */
FORCEINLINE PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead) {
    return (PSLIST_ENTRY)(void *)la_sslist_flush(&ListHead->la);
}
/* Push the pre-linked chain List…ListEnd (Count entries); returns the previous first. */
FORCEINLINE PSLIST_ENTRY InterlockedPushListSListEx(PSLIST_HEADER ListHead, PSLIST_ENTRY List,
                                                    PSLIST_ENTRY ListEnd, ULONG Count) {
    return (PSLIST_ENTRY)(void *)la_sslist_push_chain(&ListHead->la, (la_sslist_entry_t *)(void *)List,
                                                      (la_sslist_entry_t *)(void *)ListEnd, Count);
}
/* Number of entries (a snapshot). */
FORCEINLINE USHORT QueryDepthSList(PSLIST_HEADER SListHead) {
    return (USHORT)la_sslist_depth(&SListHead->la);
}
FORCEINLINE USHORT ExQueryDepthSList(PSLIST_HEADER SListHead) { return QueryDepthSList(SListHead); }
#define RtlInitializeSListHead InitializeSListHead
#define RtlInterlockedPushEntrySList InterlockedPushEntrySList
#define RtlInterlockedPopEntrySList InterlockedPopEntrySList
#define RtlInterlockedFlushSList InterlockedFlushSList
#define RtlQueryDepthSList QueryDepthSList
#define ExInitializeSListHead InitializeSListHead
#define ExInterlockedPushEntrySList(ListHead, ListEntry, Lock) \
    ((void)(Lock), InterlockedPushEntrySList((ListHead), (ListEntry)))
#define ExInterlockedPopEntrySList(ListHead, Lock) ((void)(Lock), InterlockedPopEntrySList(ListHead))
#define ExInterlockedFlushSList(ListHead) InterlockedFlushSList(ListHead)

LA_END_DECLS

#endif /* LOOKASIDE_WDK_LISTS_H */
