/* LIST_ENTRY, SINGLE_LIST_ENTRY, SLIST_HEADER, spin locks and ExInterlocked* lists,
 * written against <lookaside/wdk.h> only (driver style). The scripts follow the
 * checks of the ReactOS ExDoubleList / ExSingleList / ExSequencedList tests and
 * Wine's test_slist, re-expressed; the IRQL checks become "IRQL unchanged, lock
 * released". */
#include "test_support.h"

#include <lookaside/wdk.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct _ITEM {
    ULONG Id;
    LIST_ENTRY Link;          /* not the first member, as in the seed driver */
    SINGLE_LIST_ENTRY SLink;
} ITEM;

/* The exact wiring of `head` followed by entries e[0..n-1] in that order. */
static void expect_wiring(PLIST_ENTRY head, PLIST_ENTRY const *e, int n) {
    PLIST_ENTRY prev = head;
    for (int i = 0; i < n; i++) {
        assert_ptr_equal(prev->Flink, e[i]);
        assert_ptr_equal(e[i]->Blink, prev);
        prev = e[i];
    }
    assert_ptr_equal(prev->Flink, head);
    assert_ptr_equal(head->Blink, prev);
    assert_int_equal(IsListEmpty(head), n == 0);
}

static void t_initialize_points_both_links_at_head(void **state) {
    (void)state;
    LIST_ENTRY head;
    memset(&head, 0xAB, sizeof head);
    InitializeListHead(&head);
    assert_ptr_equal(head.Flink, &head);
    assert_ptr_equal(head.Blink, &head);
    assert_true(IsListEmpty(&head));
}

static void t_wiring_zero_to_three_entries(void **state) {
    (void)state;
    for (int n = 0; n <= 3; n++) {
        ITEM items[3];
        LIST_ENTRY head;
        PLIST_ENTRY order[3] = {NULL, NULL, NULL};
        /* tail inserts keep insertion order */
        InitializeListHead(&head);
        for (int i = 0; i < n; i++) {
            InsertTailList(&head, &items[i].Link);
            order[i] = &items[i].Link;
        }
        expect_wiring(&head, order, n);
        /* head inserts reverse it */
        InitializeListHead(&head);
        for (int i = 0; i < n; i++) {
            InsertHeadList(&head, &items[i].Link);
            order[n - 1 - i] = &items[i].Link;
        }
        expect_wiring(&head, order, n);
        /* removing from the head returns them in list order, then the head itself */
        for (int i = 0; i < n; i++) {
            PLIST_ENTRY e = RemoveHeadList(&head);
            assert_ptr_equal(e, order[i]);
            expect_wiring(&head, order + i + 1, n - i - 1);
        }
        assert_ptr_equal(RemoveHeadList(&head), &head);
        expect_wiring(&head, NULL, 0);
    }
}

static void t_mixed_inserts_make_exact_three_entry_list(void **state) {
    (void)state;
    ITEM a, b, c;
    LIST_ENTRY head;
    InitializeListHead(&head);
    InsertHeadList(&head, &b.Link); /* b */
    InsertTailList(&head, &c.Link); /* b c */
    InsertHeadList(&head, &a.Link); /* a b c */
    PLIST_ENTRY order[3] = {&a.Link, &b.Link, &c.Link};
    expect_wiring(&head, order, 3);
    assert_ptr_equal(RemoveTailList(&head), &c.Link);
    expect_wiring(&head, order, 2);
}

static void t_remove_on_empty_list_returns_head_and_changes_nothing(void **state) {
    (void)state;
    LIST_ENTRY head;
    InitializeListHead(&head);
    assert_ptr_equal(RemoveHeadList(&head), &head);
    assert_ptr_equal(RemoveTailList(&head), &head);
    assert_ptr_equal(head.Flink, &head);
    assert_ptr_equal(head.Blink, &head);
}

static void t_remove_entry_reports_list_now_empty(void **state) {
    (void)state;
    for (int n = 1; n <= 3; n++) {
        for (int victim = 0; victim < n; victim++) {
            ITEM items[3];
            LIST_ENTRY head;
            PLIST_ENTRY rest[3];
            int k = 0;
            InitializeListHead(&head);
            for (int i = 0; i < n; i++) InsertTailList(&head, &items[i].Link);
            for (int i = 0; i < n; i++)
                if (i != victim) rest[k++] = &items[i].Link;
            BOOLEAN empty = RemoveEntryList(&items[victim].Link);
            assert_int_equal(empty, n == 1);
            expect_wiring(&head, rest, k);
            /* free build: the removed entry keeps its stale links */
            assert_non_null(items[victim].Link.Flink);
        }
    }
}

static void t_append_tail_list_links_headless_ring_in_order(void **state) {
    (void)state;
    ITEM a, b, c, d;
    LIST_ENTRY head;
    InitializeListHead(&head);
    InsertTailList(&head, &a.Link);
    InsertTailList(&head, &b.Link);
    /* a headless ring c <-> d */
    InitializeListHead(&c.Link);
    InsertTailList(&c.Link, &d.Link);
    AppendTailList(&head, &c.Link);
    PLIST_ENTRY order[4] = {&a.Link, &b.Link, &c.Link, &d.Link};
    expect_wiring(&head, order, 4);
    /* onto an empty list */
    LIST_ENTRY other;
    ITEM e;
    InitializeListHead(&other);
    InitializeListHead(&e.Link);
    AppendTailList(&other, &e.Link);
    PLIST_ENTRY one[1] = {&e.Link};
    expect_wiring(&other, one, 1);
}

static void t_containing_record_finds_the_structure(void **state) {
    (void)state;
    ITEM it;
    it.Id = 7;
    PLIST_ENTRY e = &it.Link;
    ITEM *back = CONTAINING_RECORD(e, ITEM, Link);
    assert_ptr_equal(back, &it);
    assert_int_equal(back->Id, 7);
    assert_int_equal(FIELD_OFFSET(ITEM, Link), 8);
    assert_int_equal(RTL_SIZEOF_THROUGH_FIELD(ITEM, Link), 24);
}

/* ---- corruption ---------------------------------------------------------------------- */

static void t_corrupt_remove_is_reported_with_caller_line_and_backs_out(void **state) {
    (void)state;
    ITEM a, b, c;
    LIST_ENTRY head, bogus;
    InitializeListHead(&head);
    InsertTailList(&head, &a.Link);
    InsertTailList(&head, &b.Link);
    InsertTailList(&head, &c.Link);
    c.Link.Blink = &bogus; /* a use-after-free style overwrite of b <- c */
    LIST_ENTRY saved_head = head, saved_a = a.Link, saved_b = b.Link;
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    int line = __LINE__ + 1;
    BOOLEAN r = RemoveEntryList(&b.Link);
    assert_int_equal(la_test_fatal_trap_end(), 1);
    la_test_capture_end();
    assert_int_equal(r, FALSE);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_LIST_CORRUPT);
    assert_non_null(strstr(la_test_fatal_last_message(), "FAST_FAIL_CORRUPT_LIST_ENTRY"));
    assert_non_null(strstr(la_test_fatal_last_message(), "Entry->Flink->Blink"));
    assert_string_equal(la_test_fatal_last_file(), __FILE__);
    assert_int_equal(la_test_fatal_last_line(), line);
    /* nothing modified */
    assert_memory_equal(&head, &saved_head, sizeof head);
    assert_memory_equal(&a.Link, &saved_a, sizeof a.Link);
    assert_memory_equal(&b.Link, &saved_b, sizeof b.Link);
}

static void t_corrupt_insert_and_remove_head_back_out(void **state) {
    (void)state;
    ITEM a, b;
    LIST_ENTRY head, bogus;
    InitializeListHead(&head);
    InsertTailList(&head, &a.Link);
    a.Link.Blink = &bogus; /* head->Flink->Blink != head */
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    InsertHeadList(&head, &b.Link);
    assert_ptr_equal(head.Flink, &a.Link);     /* not linked */
    assert_null(RemoveHeadList(&head));        /* refused */
    assert_ptr_equal(head.Flink, &a.Link);
    a.Link.Blink = &head;
    a.Link.Flink = &bogus;                     /* head->Blink->Flink != head */
    InsertTailList(&head, &b.Link);
    assert_ptr_equal(head.Blink, &a.Link);
    assert_null(RemoveTailList(&head));        /* ListHead->Blink->Flink is wrong */
    assert_int_equal(la_test_fatal_trap_end(), 4);
    la_test_capture_end();
}

static void corrupt_and_remove(void *arg) {
    (void)arg;
    ITEM a;
    LIST_ENTRY head, bogus;
    InitializeListHead(&head);
    InsertTailList(&head, &a.Link);
    head.Blink = &bogus;
    RemoveEntryList(&a.Link);
}

static void t_corruption_aborts_by_default(void **state) {
    (void)state;
    const char *expect[] = {"FATAL LIST_CORRUPT", "FAST_FAIL_CORRUPT_LIST_ENTRY",
                            "RemoveEntryList", "test_wdk_lists.c", NULL};
    assert_true(la_test_dies_with(corrupt_and_remove, NULL, expect));
}

/* ---- singly linked lists ------------------------------------------------------------------ */

static void t_push_pop_entry_list_script(void **state) {
    (void)state;
    SINGLE_LIST_ENTRY head = {NULL};
    ITEM e[3];
    assert_null(PopEntryList(&head));
    PushEntryList(&head, &e[0].SLink);
    assert_ptr_equal(head.Next, &e[0].SLink);
    assert_null(e[0].SLink.Next);
    PushEntryList(&head, &e[1].SLink);
    PushEntryList(&head, &e[2].SLink);
    assert_ptr_equal(e[2].SLink.Next, &e[1].SLink);
    assert_ptr_equal(PopEntryList(&head), &e[2].SLink);
    assert_ptr_equal(PopEntryList(&head), &e[1].SLink);
    assert_ptr_equal(head.Next, &e[0].SLink);
    assert_ptr_equal(PopEntryList(&head), &e[0].SLink);
    assert_null(PopEntryList(&head));
    assert_null(head.Next);
}

static void t_interlocked_push_pop_entry_list(void **state) {
    (void)state;
    SINGLE_LIST_ENTRY head = {NULL};
    KSPIN_LOCK lock;
    ITEM e[3];
    KeInitializeSpinLock(&lock);
    assert_null(ExInterlockedPushEntryList(&head, &e[0].SLink, &lock));
    assert_ptr_equal(ExInterlockedPushEntryList(&head, &e[1].SLink, &lock), &e[0].SLink);
    assert_ptr_equal(ExInterlockedPushEntryList(&head, &e[2].SLink, &lock), &e[1].SLink);
    assert_int_equal(lock, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_ptr_equal(ExInterlockedPopEntryList(&head, &lock), &e[2].SLink);
    assert_ptr_equal(ExInterlockedPopEntryList(&head, &lock), &e[1].SLink);
    assert_ptr_equal(ExInterlockedPopEntryList(&head, &lock), &e[0].SLink);
    assert_null(ExInterlockedPopEntryList(&head, &lock));
    assert_int_equal(lock, 0);
}

/* ---- ExInterlocked* doubly linked lists --------------------------------------------------- */

static void t_interlocked_lists_return_previous_or_null(void **state) {
    (void)state;
    LIST_ENTRY head;
    KSPIN_LOCK lock;
    ITEM a, b, c;
    InitializeListHead(&head);
    KeInitializeSpinLock(&lock);
    assert_null(ExInterlockedRemoveHeadList(&head, &lock));
    assert_null(ExInterlockedInsertHeadList(&head, &b.Link, &lock));     /* was empty */
    assert_ptr_equal(head.Flink, &b.Link);
    assert_ptr_equal(b.Link.Flink, &head);
    assert_ptr_equal(ExInterlockedInsertHeadList(&head, &a.Link, &lock), &b.Link);
    assert_ptr_equal(ExInterlockedInsertTailList(&head, &c.Link, &lock), &b.Link);
    PLIST_ENTRY order[3] = {&a.Link, &b.Link, &c.Link};
    expect_wiring(&head, order, 3);
    assert_ptr_equal(ExInterlockedRemoveHeadList(&head, &lock), &a.Link);
    assert_ptr_equal(ExInterlockedRemoveHeadList(&head, &lock), &b.Link);
    assert_ptr_equal(ExInterlockedRemoveHeadList(&head, &lock), &c.Link);
    assert_null(ExInterlockedRemoveHeadList(&head, &lock));
    assert_true(IsListEmpty(&head));
    /* tail insert into an empty list returns NULL too */
    assert_null(ExInterlockedInsertTailList(&head, &a.Link, &lock));
    /* the exported (non-macro) forms behave the same */
    assert_ptr_equal((ExInterlockedInsertTailList)(&head, &b.Link, &lock), &a.Link);
    assert_ptr_equal((ExInterlockedRemoveHeadList)(&head, &lock), &a.Link);
    assert_ptr_equal((ExInterlockedInsertHeadList)(&head, &a.Link, &lock), &b.Link);
    /* lock released and IRQL untouched after every call */
    assert_int_equal(lock, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* ---- spin locks and IRQL ------------------------------------------------------------------- */

static void t_spin_lock_raises_and_restores_irql(void **state) {
    (void)state;
    KSPIN_LOCK lock;
    KIRQL old = 99;
    KeInitializeSpinLock(&lock);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeAcquireSpinLock(&lock, &old);
    assert_int_equal(old, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_int_not_equal(lock, 0);
    KeReleaseSpinLock(&lock, old);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(lock, 0);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeAcquireSpinLockAtDpcLevel(&lock);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeReleaseSpinLockFromDpcLevel(&lock);
    KeLowerIrql(old);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void t_spin_lock_misuse_is_reported_not_hung(void **state) {
    (void)state;
    KSPIN_LOCK lock;
    KIRQL old;
    KeInitializeSpinLock(&lock);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    KeReleaseSpinLock(&lock, PASSIVE_LEVEL); /* not held */
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_int_equal(lock, 0);
    KeAcquireSpinLock(&lock, &old);
    KSPIN_LOCK held = lock;
    KIRQL old2;
    KeAcquireSpinLock(&lock, &old2); /* recursive: would deadlock */
    assert_non_null(strstr(la_test_fatal_last_message(), "already held"));
    assert_int_equal(lock, held);
    LIST_ENTRY head;
    ITEM a;
    InitializeListHead(&head);
    assert_null(ExInterlockedInsertHeadList(&head, &a.Link, &lock)); /* refused */
    assert_true(IsListEmpty(&head));
    assert_int_equal(la_test_fatal_trap_end(), 3);
    la_test_capture_end();
    KeReleaseSpinLock(&lock, old);
    assert_int_equal(lock, 0);
}

/* Two threads move entries between a shared list and private stacks under one spin
 * lock; a census at the end proves no entry was lost or linked twice. */
enum { STRESS_ITEMS = 64 };
typedef struct {
    LIST_ENTRY head;
    KSPIN_LOCK lock;
    long rounds;
} SHARED;

static void *stress_worker(void *arg) {
    SHARED *s = arg;
    PLIST_ENTRY mine[STRESS_ITEMS];
    int held = 0;
    for (long i = 0; i < s->rounds; i++) {
        if ((i & 1) == 0 || held == 0) {
            PLIST_ENTRY e = ExInterlockedRemoveHeadList(&s->head, &s->lock);
            if (e) mine[held++] = e;
        } else {
            PLIST_ENTRY e = mine[--held];
            if (i & 2)
                ExInterlockedInsertTailList(&s->head, e, &s->lock);
            else
                ExInterlockedInsertHeadList(&s->head, e, &s->lock);
        }
    }
    while (held) ExInterlockedInsertTailList(&s->head, mine[--held], &s->lock);
    return NULL;
}

static void t_interlocked_lists_census_under_two_threads(void **state) {
    (void)state;
    static ITEM items[STRESS_ITEMS];
    SHARED s;
    InitializeListHead(&s.head);
    KeInitializeSpinLock(&s.lock);
    s.rounds = la_test_under_sanitizer() ? 20000 : 200000;
    for (ULONG i = 0; i < STRESS_ITEMS; i++) {
        items[i].Id = i;
        InsertTailList(&s.head, &items[i].Link);
    }
    pthread_t t[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, stress_worker, &s), 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    int seen[STRESS_ITEMS] = {0};
    int count = 0;
    for (PLIST_ENTRY e = s.head.Flink; e != &s.head; e = e->Flink) {
        assert_ptr_equal(e->Flink->Blink, e);
        ITEM *it = CONTAINING_RECORD(e, ITEM, Link);
        assert_true(it >= items && it < items + STRESS_ITEMS);
        seen[it->Id]++;
        assert_true(++count <= STRESS_ITEMS);
    }
    for (int i = 0; i < STRESS_ITEMS; i++) assert_int_equal(seen[i], 1);
    assert_int_equal(s.lock, 0);
}

/* ---- S-lists ------------------------------------------------------------------------------------ */

typedef struct _SITEM {
    SLIST_ENTRY Entry; /* 16-byte aligned by its type */
    ULONG Id;
} SITEM;

static void t_slist_script(void **state) {
    (void)state;
    SLIST_HEADER h;
    SITEM it[3];
    memset(&h, 0xCD, sizeof h);
    InitializeSListHead(&h);
    assert_int_equal(QueryDepthSList(&h), 0);
    assert_int_equal(h.HeaderX64.Depth, 0);
    assert_null(InterlockedPopEntrySList(&h));
    ULONGLONG seq0 = h.HeaderX64.Sequence;
    assert_null(InterlockedPushEntrySList(&h, &it[0].Entry));
    assert_ptr_equal(InterlockedPushEntrySList(&h, &it[1].Entry), &it[0].Entry);
    assert_ptr_equal(InterlockedPushEntrySList(&h, &it[2].Entry), &it[1].Entry);
    assert_int_equal(QueryDepthSList(&h), 3);
    assert_int_equal(ExQueryDepthSList(&h), 3);
    /* the Windows HeaderX64 view reads the same 16 bytes */
    assert_int_equal(h.HeaderX64.Depth, 3);
    assert_true(h.HeaderX64.Sequence != seq0);
    assert_ptr_equal((void *)(uintptr_t)((ULONGLONG)h.HeaderX64.NextEntry << 4), &it[2].Entry);
    assert_ptr_equal(it[2].Entry.Next, &it[1].Entry);
    ULONGLONG seq3 = h.HeaderX64.Sequence;
    assert_ptr_equal(InterlockedPopEntrySList(&h), &it[2].Entry);
    assert_int_equal(QueryDepthSList(&h), 2);
    PSLIST_ENTRY chain = InterlockedFlushSList(&h);
    assert_ptr_equal(chain, &it[1].Entry);
    assert_ptr_equal(chain->Next, &it[0].Entry);
    assert_null(chain->Next->Next);
    assert_int_equal(QueryDepthSList(&h), 0);
    assert_null(InterlockedFlushSList(&h));
    assert_null(InterlockedPopEntrySList(&h));
    assert_int_equal(h.HeaderX64.Sequence, seq3); /* pop and flush leave it */
}

static void t_slist_push_list_ex_and_ex_names(void **state) {
    (void)state;
    SLIST_HEADER h;
    KSPIN_LOCK unused = 0;
    SITEM it[4];
    ExInitializeSListHead(&h);
    assert_null(ExInterlockedPushEntrySList(&h, &it[3].Entry, &unused));
    /* a pre-linked chain 0 -> 1 -> 2 */
    it[0].Entry.Next = &it[1].Entry;
    it[1].Entry.Next = &it[2].Entry;
    assert_ptr_equal(InterlockedPushListSListEx(&h, &it[0].Entry, &it[2].Entry, 3), &it[3].Entry);
    assert_int_equal(ExQueryDepthSList(&h), 4);
    assert_ptr_equal(it[2].Entry.Next, &it[3].Entry);
    assert_ptr_equal(ExInterlockedPopEntrySList(&h, &unused), &it[0].Entry);
    assert_ptr_equal(ExInterlockedFlushSList(&h), &it[1].Entry);
    assert_int_equal(QueryDepthSList(&h), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_initialize_points_both_links_at_head),
        cmocka_unit_test(t_wiring_zero_to_three_entries),
        cmocka_unit_test(t_mixed_inserts_make_exact_three_entry_list),
        cmocka_unit_test(t_remove_on_empty_list_returns_head_and_changes_nothing),
        cmocka_unit_test(t_remove_entry_reports_list_now_empty),
        cmocka_unit_test(t_append_tail_list_links_headless_ring_in_order),
        cmocka_unit_test(t_containing_record_finds_the_structure),
        cmocka_unit_test(t_corrupt_remove_is_reported_with_caller_line_and_backs_out),
        cmocka_unit_test(t_corrupt_insert_and_remove_head_back_out),
        cmocka_unit_test(t_corruption_aborts_by_default),
        cmocka_unit_test(t_push_pop_entry_list_script),
        cmocka_unit_test(t_interlocked_push_pop_entry_list),
        cmocka_unit_test(t_interlocked_lists_return_previous_or_null),
        cmocka_unit_test(t_spin_lock_raises_and_restores_irql),
        cmocka_unit_test(t_spin_lock_misuse_is_reported_not_hung),
        cmocka_unit_test(t_interlocked_lists_census_under_two_threads),
        cmocka_unit_test(t_slist_script),
        cmocka_unit_test(t_slist_push_list_ex_and_ex_names),
    };
    return la_test_run("wdk_lists", tests);
}
