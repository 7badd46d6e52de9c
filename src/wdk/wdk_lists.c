/* wdk_lists.c — KSPIN_LOCK, the emulated IRQL and the ExInterlocked* list
 * functions of <lookaside/wdk.h>.
 *
 * What: the out-of-line half of the WDK list layer. The LIST_ENTRY and
 * SINGLE_LIST_ENTRY operations themselves are inline in wdk/lists.h; this file adds
 * the spin lock that the ExInterlocked* functions take, and those functions.
 *
 * Why: driver code protects shared lists with a KSPIN_LOCK and expects the
 * ExInterlocked* calls to return NULL for an empty list (docs; ReactOS
 * ExDoubleList/ExSingleList tests). A user-space thread can be preempted while it
 * holds a spin lock, so a waiter spins briefly and then yields its CPU instead of
 * burning its time slice (two cores are shared by every process here).
 *
 * Invariants:
 *   - A KSPIN_LOCK holds 0 when free and the holder's la_prim_thread_id() (never 0)
 *     when held; it is only written with atomic builtins (acquire on take, release
 *     on give), so the lock orders the list accesses made under it.
 *   - Acquiring a lock the calling thread already holds (a certain deadlock) and
 *     releasing a lock the thread does not hold are reported with
 *     la_fatal(LA_FATAL_BAD_ARGUMENT); if the handler returns, the call does
 *     nothing (the lock keeps its state).
 *   - IRQL is per thread (thread-local), starts at PASSIVE_LEVEL, and only the
 *     Ke*SpinLock / KeRaiseIrql / KeLowerIrql calls change it; the ExInterlocked*
 *     functions leave it as they found it, as on Windows.
 * Lock order: a KSPIN_LOCK is a leaf; no library lock is taken while holding one
 * (list corruption reports run la_fatal, which takes none).
 */
#include "internal.h"

#include "prim/prim.h"

#include <lookaside/wdk.h>

/* Spins before yielding the CPU to a (possibly preempted) holder. */
#define SPIN_BEFORE_YIELD 64

static _Thread_local KIRQL current_irql = PASSIVE_LEVEL;

/* False (after a report the handler returned from) when the thread already holds it. */
static bool spin_acquire(PKSPIN_LOCK lock, const char *who) {
    const ULONG_PTR me = (ULONG_PTR)la_prim_thread_id();
    if (LA_UNLIKELY(__atomic_load_n(lock, __ATOMIC_RELAXED) == me)) {
        la_fatal(LA_FATAL_BAD_ARGUMENT, lock, NULL, 0,
                 "%s: spin lock %p is already held by this thread (it would deadlock)", who,
                 (void *)lock);
        return false;
    }
    for (;;) {
        ULONG_PTR expected = 0;
        if (__atomic_compare_exchange_n(lock, &expected, me, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return true;
        for (unsigned spins = 0; __atomic_load_n(lock, __ATOMIC_RELAXED) != 0; ++spins) {
            if (spins >= SPIN_BEFORE_YIELD) {
                la_prim_yield();
                spins = 0;
            }
        }
    }
}

static bool spin_release(PKSPIN_LOCK lock, const char *who) {
    const ULONG_PTR me = (ULONG_PTR)la_prim_thread_id();
    ULONG_PTR holder = __atomic_load_n(lock, __ATOMIC_RELAXED);
    if (LA_UNLIKELY(holder != me)) {
        la_fatal(LA_FATAL_BAD_ARGUMENT, lock, NULL, 0,
                 "%s: spin lock %p is not held by this thread (holder id %lu)", who,
                 (void *)lock, (unsigned long)holder);
        return false;
    }
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
    return true;
}

/* ---- IRQL and spin locks ------------------------------------------------------------ */

KIRQL KeGetCurrentIrql(void) { return current_irql; }

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) {
    KIRQL old = current_irql;
    if (spin_acquire(SpinLock, "KeAcquireSpinLock")) current_irql = DISPATCH_LEVEL;
    return old;
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql) {
    if (spin_release(SpinLock, "KeReleaseSpinLock")) current_irql = NewIrql;
}

VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
    (void)spin_acquire(SpinLock, "KeAcquireSpinLockAtDpcLevel");
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) {
    (void)spin_release(SpinLock, "KeReleaseSpinLockFromDpcLevel");
}

KIRQL KfRaiseIrql(KIRQL NewIrql) {
    KIRQL old = current_irql;
    current_irql = NewIrql;
    return old;
}

VOID KfLowerIrql(KIRQL NewIrql) { current_irql = NewIrql; }

/* ---- ExInterlocked* doubly linked lists ------------------------------------------------ */

PLIST_ENTRY la_wdk_interlocked_insert_head_list(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                                PKSPIN_LOCK Lock, const char *file, int line) {
    if (!spin_acquire(Lock, "ExInterlockedInsertHeadList")) return NULL;
    PLIST_ENTRY first = ListHead->Flink;
    la_wdk_insert_head_list(ListHead, ListEntry, file, line);
    bool linked = ListHead->Flink == ListEntry; /* false: a report's handler returned */
    spin_release(Lock, "ExInterlockedInsertHeadList");
    return (first == ListHead || !linked) ? NULL : first;
}

PLIST_ENTRY la_wdk_interlocked_insert_tail_list(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                                PKSPIN_LOCK Lock, const char *file, int line) {
    if (!spin_acquire(Lock, "ExInterlockedInsertTailList")) return NULL;
    PLIST_ENTRY last = ListHead->Blink;
    la_wdk_insert_tail_list(ListHead, ListEntry, file, line);
    bool linked = ListHead->Blink == ListEntry;
    spin_release(Lock, "ExInterlockedInsertTailList");
    return (last == ListHead || !linked) ? NULL : last;
}

PLIST_ENTRY la_wdk_interlocked_remove_head_list(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock,
                                                const char *file, int line) {
    PLIST_ENTRY entry = NULL;
    if (!spin_acquire(Lock, "ExInterlockedRemoveHeadList")) return NULL;
    if (ListHead->Flink != ListHead) entry = la_wdk_remove_head_list(ListHead, file, line);
    spin_release(Lock, "ExInterlockedRemoveHeadList");
    return entry;
}

PLIST_ENTRY (ExInterlockedInsertHeadList)(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                          PKSPIN_LOCK Lock) {
    return la_wdk_interlocked_insert_head_list(ListHead, ListEntry, Lock, NULL, 0);
}

PLIST_ENTRY (ExInterlockedInsertTailList)(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                          PKSPIN_LOCK Lock) {
    return la_wdk_interlocked_insert_tail_list(ListHead, ListEntry, Lock, NULL, 0);
}

PLIST_ENTRY (ExInterlockedRemoveHeadList)(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock) {
    return la_wdk_interlocked_remove_head_list(ListHead, Lock, NULL, 0);
}

/* ---- ExInterlocked* singly linked lists ------------------------------------------------- */

PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead,
                                              PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock) {
    if (!spin_acquire(Lock, "ExInterlockedPushEntryList")) return NULL;
    PSINGLE_LIST_ENTRY first = ListHead->Next;
    PushEntryList(ListHead, ListEntry);
    spin_release(Lock, "ExInterlockedPushEntryList");
    return first;
}

PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock) {
    if (!spin_acquire(Lock, "ExInterlockedPopEntryList")) return NULL;
    PSINGLE_LIST_ENTRY entry = PopEntryList(ListHead);
    spin_release(Lock, "ExInterlockedPopEntryList");
    return entry;
}
