/* lookaside/list.h — intrusive lists, header-only: a circular doubly linked list
 * with a sentinel head (the LIST_ENTRY shape) and a singly linked LIFO list (the
 * SINGLE_LIST_ENTRY shape), each with checked variants that catch broken links.
 *
 * What
 *   la_list_entry_t           { next, prev }  — Flink/Blink, same layout as LIST_ENTRY.
 *                              A list is a head of the same type (a sentinel): an
 *                              empty list's head points at itself both ways.
 *   la_single_list_entry_t    { next }        — SINGLE_LIST_ENTRY. The head is the
 *                              same type; the last entry's next is NULL.
 *   (Not the lock-free sequenced S-list: that is la_sslist_*, <lookaside/sslist.h>.)
 *
 *   Cost and capabilities (n = entries in the list)
 *
 *     operation                       la_list_*         la_single_list_*
 *     init, is_empty                  O(1)              O(1)
 *     insert at head / push           O(1)              O(1)
 *     insert at tail                  O(1)              -
 *     remove head / pop               O(1)              O(1)
 *     remove tail                     O(1)              -
 *     remove a given entry            O(1)              -
 *     append headless ring, splice    O(1)              -
 *     iterate forward                 O(n)              O(n)
 *     iterate backward, safe-remove   O(n)              -
 *     count, full consistency check   O(n)              -
 *     size of an entry                2 pointers        1 pointer
 *
 * Rules
 *   - Intrusive: embed an entry in your structure and get the structure back with
 *     LA_CONTAINER_OF(entry, type, member). Nothing here allocates or locks; the
 *     caller serialises access to a list (use la_sslist for lock-free LIFO).
 *   - An entry is in at most one list at a time. Inserting does not read the
 *     entry's old links, so a fresh (uninitialised) entry may be inserted.
 *   - Windows semantics, kept on purpose so <lookaside/wdk.h> maps 1:1:
 *       la_list_remove_head/_tail on an EMPTY list return the head itself and
 *       change nothing — test la_list_is_empty() first;
 *       la_list_remove_entry returns true when the list is now empty;
 *       la_list_append_headless is AppendTailList (see its comment);
 *       la_single_list_pop on an empty list returns NULL; push/pop are LIFO.
 *   - Unchecked removal leaves the removed entry's links stale (as a Windows free
 *     build does). Checked removal poisons them: next becomes LA_LIST_POISON_NEXT,
 *     prev becomes LA_LIST_POISON_PREV (both non-canonical addresses on x86-64, so
 *     following one faults at once), and a later checked remove of a poisoned
 *     entry is reported as a double removal instead of corrupting the list.
 *
 * Checked variants
 *   Every mutating operation X has X_checked(..., file, line) and a macro
 *   LA_LIST_X(...) / LA_SINGLE_LIST_X(...) that passes the caller's LA_HERE.
 *   Before linking or unlinking they validate the neighbours they are about to
 *   write (for a removal: entry->next->prev == entry and entry->prev->next ==
 *   entry; for an insert: the head's neighbour points back at the head), reject
 *   NULL and poisoned links and a few cheap double-insert patterns. On failure
 *   they call la_fatal(LA_FATAL_LIST_CORRUPT, entry, file, line, "<which link is
 *   wrong>"): the report goes to the output callback and the default handler
 *   aborts (the user-mode bugcheck, FAST_FAIL_CORRUPT_LIST_ENTRY). If an
 *   installed handler returns, the operation is abandoned with nothing modified:
 *   inserts and splices do nothing, remove_head/_tail/pop return NULL,
 *   remove_entry returns false.
 *   Checked variants call la_fatal(), so they need liblookaside at link time;
 *   the unchecked ones are pure inline code.
 *
 * The switch: LA_LIST_CHECKED
 *   Define LA_LIST_CHECKED to 1 (or 0) before the first lookaside include (or on
 *   the command line) to make the plain names (la_list_insert_tail, ...,
 *   la_single_list_pop) checked (or not). Undefined, it follows the library's
 *   build (LA_CONFIG_CHECKED, on by default): safe by default, like the modern
 *   WDK. When on, each plain mutating name is a function-like macro forwarding to
 *   its _checked twin with the caller's file:line; `(la_list_insert_tail)(h, e)`
 *   (parenthesised) or taking its address still reaches the unchecked function.
 *
 * Example (compiled and run as written by tests/api/test_list.c and test_list.cpp):
 *
 *     struct job { int id; la_list_entry_t link; };
 *     struct job jobs[3];
 *     la_list_entry_t queue, *pos, *tmp;
 *     la_list_init(&queue);
 *     for (int i = 0; i < 3; i++) {
 *         jobs[i].id = i + 1;
 *         LA_LIST_INSERT_TAIL(&queue, &jobs[i].link);  // checked; reports this line
 *     }
 *     LA_LIST_FOR_EACH_SAFE(pos, tmp, &queue) {         // pos may be unlinked here
 *         if (LA_CONTAINER_OF(pos, struct job, link)->id == 2)
 *             LA_LIST_REMOVE_ENTRY(pos);
 *     }
 *     la_list_entry_t *first = la_list_remove_head(&queue); // &jobs[0].link
 *     int left = LA_CONTAINER_OF(queue.next, struct job, link)->id;  // 3
 *
 *     struct page { la_single_list_entry_t link; };
 *     struct page pages[2];
 *     la_single_list_entry_t free_pages;
 *     la_single_list_init(&free_pages);
 *     la_single_list_push(&free_pages, &pages[0].link);
 *     la_single_list_push(&free_pages, &pages[1].link);
 *     la_single_list_entry_t *top = la_single_list_pop(&free_pages); // &pages[1].link
 *
 * More: docs/lists.md. */
#ifndef LOOKASIDE_LIST_H
#define LOOKASIDE_LIST_H

#include <stddef.h>
#include <stdint.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

#include <lookaside/base.h>

#ifndef LA_LIST_CHECKED
#define LA_LIST_CHECKED LA_CONFIG_CHECKED
#endif

LA_BEGIN_DECLS

/* ---- types and poison values ------------------------------------------------- */

/* Doubly linked entry and list head (LIST_ENTRY: Flink = next, Blink = prev). */
typedef struct la_list_entry {
    struct la_list_entry *next; /* toward the tail; head->next is the first entry */
    struct la_list_entry *prev; /* toward the head; head->prev is the last entry */
} la_list_entry_t;

/* Singly linked entry and list head (SINGLE_LIST_ENTRY). */
typedef struct la_single_list_entry {
    struct la_single_list_entry *next; /* NULL ends the list */
} la_single_list_entry_t;

/* Poison written by checked removals. 64-bit values; on a 32-bit target the low
 * half is used (0xBADDD0FF, 0xBADDB1FF). The next value is the one Windows
 * checked builds use for both links; prev gets its own so a report says which. */
#define LA_LIST_POISON_NEXT_VALUE 0xBADDD0FFBADDD0FFull
#define LA_LIST_POISON_PREV_VALUE 0xBADDB1FFBADDB1FFull
#define LA_LIST_POISON_NEXT ((la_list_entry_t *)(uintptr_t)LA_LIST_POISON_NEXT_VALUE)
#define LA_LIST_POISON_PREV ((la_list_entry_t *)(uintptr_t)LA_LIST_POISON_PREV_VALUE)
/* A checked pop sets the popped entry's next to this (same bits as POISON_NEXT). */
#define LA_SINGLE_LIST_POISON ((la_single_list_entry_t *)(uintptr_t)LA_LIST_POISON_NEXT_VALUE)

/* ---- iteration (portable C11: no typeof) -------------------------------------- */

/* `head` is evaluated on every step: pass a plain pointer expression. */

/* Visit every entry, head to tail; `pos` is a la_list_entry_t *. The body must not
 * unlink `pos` (use the _SAFE form for that). */
#define LA_LIST_FOR_EACH(pos, head) \
    for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* Visit every entry, tail to head. */
#define LA_LIST_FOR_EACH_REVERSE(pos, head) \
    for ((pos) = (head)->prev; (pos) != (head); (pos) = (pos)->prev)

/* Visit every entry, head to tail; the body may unlink (or free) `pos`, nothing
 * else. `tmp` is a second la_list_entry_t * that holds the next entry. */
#define LA_LIST_FOR_EACH_SAFE(pos, tmp, head) \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
         (pos) = (tmp), (tmp) = (pos)->next)

/* Tail to head; the body may unlink (or free) `pos`. */
#define LA_LIST_FOR_EACH_REVERSE_SAFE(pos, tmp, head) \
    for ((pos) = (head)->prev, (tmp) = (pos)->prev; (pos) != (head); \
         (pos) = (tmp), (tmp) = (pos)->prev)

/* Visit every entry of a singly linked list, top (most recently pushed) first. */
#define LA_SINGLE_LIST_FOR_EACH(pos, head) \
    for ((pos) = (head)->next; (pos) != NULL; (pos) = (pos)->next)

/* ---- doubly linked list: unchecked ------------------------------------------------ */

/* Make `head` an empty list (both links point at the head). Also turns a loose
 * entry into a one-entry headless ring for la_list_append_headless. */
LA_INLINE void la_list_init(la_list_entry_t *head) {
    head->next = head;
    head->prev = head;
}

/* True when the list has no entries. */
LA_INLINE bool la_list_is_empty(const la_list_entry_t *head) {
    return head->next == head;
}

/* Number of entries (walks the list). */
LA_INLINE size_t la_list_count(const la_list_entry_t *head) {
    size_t n = 0;
    for (const la_list_entry_t *p = head->next; p != head; p = p->next) n++;
    return n;
}

/* Link `entry` as the first entry. */
LA_INLINE void la_list_insert_head(la_list_entry_t *head, la_list_entry_t *entry) {
    la_list_entry_t *next = head->next;
    entry->next = next;
    entry->prev = head;
    next->prev = entry;
    head->next = entry;
}

/* Link `entry` as the last entry. */
LA_INLINE void la_list_insert_tail(la_list_entry_t *head, la_list_entry_t *entry) {
    la_list_entry_t *prev = head->prev;
    entry->next = head;
    entry->prev = prev;
    prev->next = entry;
    head->prev = entry;
}

/* Unlink `entry` from whatever list holds it. Returns true when that list is now
 * empty. The entry's own links are left stale. */
LA_INLINE bool la_list_remove_entry(la_list_entry_t *entry) {
    la_list_entry_t *next = entry->next;
    la_list_entry_t *prev = entry->prev;
    prev->next = next;
    next->prev = prev;
    return next == prev;
}

/* Unlink and return the first entry; on an empty list return `head` itself. */
LA_INLINE la_list_entry_t *la_list_remove_head(la_list_entry_t *head) {
    la_list_entry_t *entry = head->next;
    la_list_entry_t *next = entry->next;
    head->next = next;
    next->prev = head;
    return entry;
}

/* Unlink and return the last entry; on an empty list return `head` itself. */
LA_INLINE la_list_entry_t *la_list_remove_tail(la_list_entry_t *head) {
    la_list_entry_t *entry = head->prev;
    la_list_entry_t *prev = entry->prev;
    head->prev = prev;
    prev->next = head;
    return entry;
}

/* AppendTailList: `first` is the first entry of a HEADLESS circular list (a ring of
 * entries with no sentinel, e.g. one entry after la_list_init(first), or entries
 * linked to each other with la_list_insert_tail(first, ...)). Every entry of the
 * ring, starting at `first` and following next, is linked at the tail of `head`
 * in that order; `first` is afterwards an ordinary entry of `head`.
 * Passing another list's HEAD as `first` would make that head an entry here:
 * to move a headed list, use la_list_splice_tail. */
LA_INLINE void la_list_append_headless(la_list_entry_t *head, la_list_entry_t *first) {
    la_list_entry_t *tail = head->prev;
    la_list_entry_t *last = first->prev;
    tail->next = first;
    first->prev = tail;
    last->next = head;
    head->prev = last;
}

/* Move every entry of the headed list `other` to the tail of `head`, keeping their
 * order; `other` is left empty. `other` must not be `head`. */
LA_INLINE void la_list_splice_tail(la_list_entry_t *head, la_list_entry_t *other) {
    if (other->next == other) return;
    la_list_entry_t *first = other->next;
    la_list_entry_t *last = other->prev;
    la_list_entry_t *tail = head->prev;
    tail->next = first;
    first->prev = tail;
    last->next = head;
    head->prev = last;
    la_list_init(other);
}

/* Move every entry of the headed list `other` to the front of `head`, keeping
 * their order; `other` is left empty. `other` must not be `head`. */
LA_INLINE void la_list_splice_head(la_list_entry_t *head, la_list_entry_t *other) {
    if (other->next == other) return;
    la_list_entry_t *first = other->next;
    la_list_entry_t *last = other->prev;
    la_list_entry_t *old_first = head->next;
    head->next = first;
    first->prev = head;
    last->next = old_first;
    old_first->prev = last;
    la_list_init(other);
}

/* ---- singly linked list: unchecked ------------------------------------------------ */

/* Make `head` an empty singly linked list. */
LA_INLINE void la_single_list_init(la_single_list_entry_t *head) {
    head->next = NULL;
}

/* True when the list has no entries. */
LA_INLINE bool la_single_list_is_empty(const la_single_list_entry_t *head) {
    return head->next == NULL;
}

/* Push `entry` on top (PushEntryList). */
LA_INLINE void la_single_list_push(la_single_list_entry_t *head, la_single_list_entry_t *entry) {
    entry->next = head->next;
    head->next = entry;
}

/* Pop the top entry (PopEntryList); NULL when the list is empty. The popped
 * entry's next is left stale. */
LA_INLINE la_single_list_entry_t *la_single_list_pop(la_single_list_entry_t *head) {
    la_single_list_entry_t *entry = head->next;
    if (entry != NULL) head->next = entry->next;
    return entry;
}

/* ---- checked variants: helpers (not API) ------------------------------------------ */

/* True when `link` is NULL or a poison value: following it would fault. */
LA_INLINE bool la_list_impl_unfollowable(const void *link) {
    return link == NULL || link == (const void *)LA_LIST_POISON_NEXT ||
           link == (const void *)LA_LIST_POISON_PREV;
}

/* False (after reporting) when `link`, read from `name`, cannot be followed. */
LA_INLINE bool la_list_impl_link_ok(const void *link, const void *object, const char *file,
                                    int line, const char *op, const char *name) {
    if (LA_UNLIKELY(link == NULL)) {
        la_fatal(LA_FATAL_LIST_CORRUPT, object, file, line,
                 "%s: %s is NULL (list head or entry never initialised?)", op, name);
        return false;
    }
    if (LA_UNLIKELY(link == (const void *)LA_LIST_POISON_NEXT ||
                    link == (const void *)LA_LIST_POISON_PREV)) {
        la_fatal(LA_FATAL_LIST_CORRUPT, object, file, line,
                 "%s: %s is the poison value %p: the entry was already removed", op, name, link);
        return false;
    }
    return true;
}

/* False (after reporting) when the link `name` holds `seen` instead of `expected`. */
LA_INLINE bool la_list_impl_link_is(const void *seen, const void *expected, const void *object,
                                    const char *file, int line, const char *op,
                                    const char *name) {
    if (LA_UNLIKELY(seen != expected)) {
        la_fatal(LA_FATAL_LIST_CORRUPT, object, file, line, "%s: %s is %p, should be %p", op,
                 name, seen, expected);
        return false;
    }
    return true;
}

/* Report a misuse that is not a broken link (double insert, self-splice). */
LA_INLINE void la_list_impl_misuse(const void *object, const char *file, int line,
                                   const char *op, const char *what) {
    la_fatal(LA_FATAL_LIST_CORRUPT, object, file, line, "%s: %s", op, what);
}

/* Head's first/last link must be followable and point back at the head. `who`
 * is 0 to name it "head" in reports, 1 to name it "other" (the spliced list). */
LA_INLINE bool la_list_impl_head_ok(const la_list_entry_t *head, const void *object,
                                    const char *file, int line, const char *op, int who) {
    static const char *const names[2][4] = {
        {"head->next", "head->prev", "head->next->prev", "head->prev->next"},
        {"other->next", "other->prev", "other->next->prev", "other->prev->next"},
    };
    const char *const *n = names[who != 0];
    return la_list_impl_link_ok(head->next, object, file, line, op, n[0]) &&
           la_list_impl_link_ok(head->prev, object, file, line, op, n[1]) &&
           la_list_impl_link_is(head->next->prev, head, object, file, line, op, n[2]) &&
           la_list_impl_link_is(head->prev->next, head, object, file, line, op, n[3]);
}

/* ---- doubly linked list: checked ---------------------------------------------------- */

/* la_list_insert_head, after checking the head's links and that `entry` is not the
 * head nor already first or last in this list. */
LA_INLINE void la_list_insert_head_checked(la_list_entry_t *head, la_list_entry_t *entry,
                                           const char *file, int line) {
    static const char op[] = "la_list_insert_head";
    if (!la_list_impl_head_ok(head, entry, file, line, op, 0)) return;
    if (LA_UNLIKELY(entry == head)) {
        la_list_impl_misuse(entry, file, line, op, "entry is the list head itself");
        return;
    }
    if (LA_UNLIKELY(entry == head->next || entry == head->prev)) {
        la_list_impl_misuse(entry, file, line, op, "entry is already in this list (inserted twice)");
        return;
    }
    la_list_insert_head(head, entry);
}

/* la_list_insert_tail, with the checks of la_list_insert_head_checked. */
LA_INLINE void la_list_insert_tail_checked(la_list_entry_t *head, la_list_entry_t *entry,
                                           const char *file, int line) {
    static const char op[] = "la_list_insert_tail";
    if (!la_list_impl_head_ok(head, entry, file, line, op, 0)) return;
    if (LA_UNLIKELY(entry == head)) {
        la_list_impl_misuse(entry, file, line, op, "entry is the list head itself");
        return;
    }
    if (LA_UNLIKELY(entry == head->next || entry == head->prev)) {
        la_list_impl_misuse(entry, file, line, op, "entry is already in this list (inserted twice)");
        return;
    }
    la_list_insert_tail(head, entry);
}

/* la_list_remove_entry after checking entry->next->prev == entry and
 * entry->prev->next == entry (and that neither link is NULL or poison); the
 * removed entry is poisoned. An entry linked to itself (an empty head, or a loose
 * entry after la_list_init) is left as it is and true is returned. Returns false,
 * changing nothing, if a handler returns from the report. */
LA_INLINE bool la_list_remove_entry_checked(la_list_entry_t *entry, const char *file, int line) {
    static const char op[] = "la_list_remove_entry";
    la_list_entry_t *next = entry->next;
    la_list_entry_t *prev = entry->prev;
    if (!la_list_impl_link_ok(next, entry, file, line, op, "entry->next") ||
        !la_list_impl_link_ok(prev, entry, file, line, op, "entry->prev") ||
        !la_list_impl_link_is(next->prev, entry, entry, file, line, op, "entry->next->prev") ||
        !la_list_impl_link_is(prev->next, entry, entry, file, line, op, "entry->prev->next"))
        return false;
    if (next == entry) return true; /* self-linked: nothing to unlink, never poison a head */
    prev->next = next;
    next->prev = prev;
    entry->next = LA_LIST_POISON_NEXT;
    entry->prev = LA_LIST_POISON_PREV;
    return next == prev;
}

/* la_list_remove_head with the neighbour checks; the removed entry is poisoned.
 * On an empty (and consistent) list returns `head`, changing nothing, with no
 * report. Returns NULL, changing nothing, if a handler returns from a report. */
LA_INLINE la_list_entry_t *la_list_remove_head_checked(la_list_entry_t *head, const char *file,
                                                       int line) {
    static const char op[] = "la_list_remove_head";
    la_list_entry_t *entry = head->next;
    if (!la_list_impl_head_ok(head, entry, file, line, op, 0)) return NULL;
    if (entry == head) return head;
    la_list_entry_t *next = entry->next;
    if (!la_list_impl_link_ok(next, entry, file, line, op, "head->next->next") ||
        !la_list_impl_link_is(next->prev, entry, entry, file, line, op, "head->next->next->prev"))
        return NULL;
    head->next = next;
    next->prev = head;
    entry->next = LA_LIST_POISON_NEXT;
    entry->prev = LA_LIST_POISON_PREV;
    return entry;
}

/* la_list_remove_tail with the neighbour checks; as la_list_remove_head_checked. */
LA_INLINE la_list_entry_t *la_list_remove_tail_checked(la_list_entry_t *head, const char *file,
                                                       int line) {
    static const char op[] = "la_list_remove_tail";
    la_list_entry_t *entry = head->prev;
    if (!la_list_impl_head_ok(head, entry, file, line, op, 0)) return NULL;
    if (entry == head) return head;
    la_list_entry_t *prev = entry->prev;
    if (!la_list_impl_link_ok(prev, entry, file, line, op, "head->prev->prev") ||
        !la_list_impl_link_is(prev->next, entry, entry, file, line, op, "head->prev->prev->next"))
        return NULL;
    head->prev = prev;
    prev->next = head;
    entry->next = LA_LIST_POISON_NEXT;
    entry->prev = LA_LIST_POISON_PREV;
    return entry;
}

/* la_list_append_headless after checking the head's links, the ring's closing
 * link (first->prev->next == first), and that `first` is neither `head` nor the
 * first entry of `head` itself. */
LA_INLINE void la_list_append_headless_checked(la_list_entry_t *head, la_list_entry_t *first,
                                               const char *file, int line) {
    static const char op[] = "la_list_append_headless";
    if (!la_list_impl_head_ok(head, first, file, line, op, 0)) return;
    if (LA_UNLIKELY(first == head)) {
        la_list_impl_misuse(first, file, line, op, "first is the list head itself");
        return;
    }
    la_list_entry_t *last = first->prev;
    if (!la_list_impl_link_ok(first->next, first, file, line, op, "first->next") ||
        !la_list_impl_link_ok(last, first, file, line, op, "first->prev") ||
        !la_list_impl_link_is(last->next, first, first, file, line, op, "first->prev->next"))
        return;
    if (LA_UNLIKELY(last == head)) {
        la_list_impl_misuse(first, file, line, op, "first is already the first entry of this list");
        return;
    }
    la_list_append_headless(head, first);
}

/* Shared checks of the two splices: both heads consistent, distinct. */
LA_INLINE bool la_list_impl_splice_ok(const la_list_entry_t *head, const la_list_entry_t *other,
                                      const char *file, int line, const char *op) {
    if (LA_UNLIKELY(head == other)) {
        la_list_impl_misuse(other, file, line, op, "splicing a list onto itself");
        return false;
    }
    return la_list_impl_head_ok(other, other, file, line, op, 1) &&
           la_list_impl_head_ok(head, other, file, line, op, 0);
}

/* la_list_splice_tail after checking both heads' links (the report's object is
 * `other`) and that they differ. */
LA_INLINE void la_list_splice_tail_checked(la_list_entry_t *head, la_list_entry_t *other,
                                           const char *file, int line) {
    if (!la_list_impl_splice_ok(head, other, file, line, "la_list_splice_tail")) return;
    la_list_splice_tail(head, other);
}

/* la_list_splice_head with the checks of la_list_splice_tail_checked. */
LA_INLINE void la_list_splice_head_checked(la_list_entry_t *head, la_list_entry_t *other,
                                           const char *file, int line) {
    if (!la_list_impl_splice_ok(head, other, file, line, "la_list_splice_head")) return;
    la_list_splice_head(head, other);
}

/* Walk the whole list and check every link both ways: no NULL or poison link,
 * each entry's next points back at it. Reports the first broken entry (by its
 * position, 0 = head) and returns false; true for a consistent list. Always
 * terminates: a walk that loops without reaching the head must break a back link.
 * Use it in a debugger or in assertions; it never modifies anything. */
LA_INLINE bool la_list_check(const la_list_entry_t *head, const char *file, int line) {
    const la_list_entry_t *cur = head;
    size_t pos = 0;
    for (;;) {
        const la_list_entry_t *next = cur->next;
        const la_list_entry_t *prev = cur->prev;
        const char *which = la_list_impl_unfollowable(next)   ? "next"
                            : la_list_impl_unfollowable(prev) ? "prev"
                                                              : NULL;
        if (LA_UNLIKELY(which != NULL)) {
            const la_list_entry_t *bad = which[0] == 'n' ? next : prev;
            la_fatal(LA_FATAL_LIST_CORRUPT, cur, file, line, "la_list_check: entry %zu's %s is %s",
                     pos, which,
                     bad == NULL ? "NULL" : "the poison value (a removed entry is still linked)");
            return false;
        }
        if (LA_UNLIKELY(next->prev != cur)) {
            la_fatal(LA_FATAL_LIST_CORRUPT, next, file, line,
                     "la_list_check: entry %zu (%p) has prev %p, but entry %zu (%p) links to "
                     "it as next",
                     pos + 1, (const void *)next, (const void *)next->prev, pos,
                     (const void *)cur);
            return false;
        }
        if (next == head) return true;
        cur = next;
        pos++;
    }
}

/* ---- singly linked list: checked ---------------------------------------------------- */

/* la_single_list_push after checking that `entry` is neither the head nor already
 * on top (pushed twice in a row would make a loop) and that the top link is not
 * poison. */
LA_INLINE void la_single_list_push_checked(la_single_list_entry_t *head,
                                           la_single_list_entry_t *entry, const char *file,
                                           int line) {
    static const char op[] = "la_single_list_push";
    if (LA_UNLIKELY(head->next == LA_SINGLE_LIST_POISON)) {
        la_list_impl_misuse(entry, file, line, op,
                            "head->next is the poison value: the list head is corrupt");
        return;
    }
    if (LA_UNLIKELY(entry == head)) {
        la_list_impl_misuse(entry, file, line, op, "entry is the list head itself");
        return;
    }
    if (LA_UNLIKELY(entry == head->next)) {
        la_list_impl_misuse(entry, file, line, op, "entry is already on top (pushed twice)");
        return;
    }
    la_single_list_push(head, entry);
}

/* la_single_list_pop after checking that the top entry's next is not the poison
 * value (an entry popped before and still reachable: it was pushed twice or
 * reused while listed); the popped entry's next is set to LA_SINGLE_LIST_POISON.
 * NULL when empty; NULL, changing nothing, if a handler returns from a report. */
LA_INLINE la_single_list_entry_t *la_single_list_pop_checked(la_single_list_entry_t *head,
                                                             const char *file, int line) {
    static const char op[] = "la_single_list_pop";
    la_single_list_entry_t *entry = head->next;
    if (entry == NULL) return NULL;
    if (LA_UNLIKELY(entry == LA_SINGLE_LIST_POISON)) {
        la_list_impl_misuse(head, file, line, op, "head->next is the poison value");
        return NULL;
    }
    if (LA_UNLIKELY(entry->next == LA_SINGLE_LIST_POISON)) {
        la_list_impl_misuse(entry, file, line, op,
                            "top entry's next is the poison value: it was popped before "
                            "(pushed twice?)");
        return NULL;
    }
    head->next = entry->next;
    entry->next = LA_SINGLE_LIST_POISON;
    return entry;
}

LA_END_DECLS

/* ---- checked macros: always checked, report the caller's file:line ------------------ */

#define LA_LIST_INSERT_HEAD(head, entry) la_list_insert_head_checked((head), (entry), LA_HERE)
#define LA_LIST_INSERT_TAIL(head, entry) la_list_insert_tail_checked((head), (entry), LA_HERE)
#define LA_LIST_REMOVE_ENTRY(entry) la_list_remove_entry_checked((entry), LA_HERE)
#define LA_LIST_REMOVE_HEAD(head) la_list_remove_head_checked((head), LA_HERE)
#define LA_LIST_REMOVE_TAIL(head) la_list_remove_tail_checked((head), LA_HERE)
#define LA_LIST_APPEND_HEADLESS(head, first) la_list_append_headless_checked((head), (first), LA_HERE)
#define LA_LIST_SPLICE_TAIL(head, other) la_list_splice_tail_checked((head), (other), LA_HERE)
#define LA_LIST_SPLICE_HEAD(head, other) la_list_splice_head_checked((head), (other), LA_HERE)
#define LA_LIST_CHECK(head) la_list_check((head), LA_HERE)
#define LA_SINGLE_LIST_PUSH(head, entry) la_single_list_push_checked((head), (entry), LA_HERE)
#define LA_SINGLE_LIST_POP(head) la_single_list_pop_checked((head), LA_HERE)

/* ---- the switch: plain names become checked ------------------------------------------ */

#if LA_LIST_CHECKED
#define la_list_insert_head(head, entry) LA_LIST_INSERT_HEAD(head, entry)
#define la_list_insert_tail(head, entry) LA_LIST_INSERT_TAIL(head, entry)
#define la_list_remove_entry(entry) LA_LIST_REMOVE_ENTRY(entry)
#define la_list_remove_head(head) LA_LIST_REMOVE_HEAD(head)
#define la_list_remove_tail(head) LA_LIST_REMOVE_TAIL(head)
#define la_list_append_headless(head, first) LA_LIST_APPEND_HEADLESS(head, first)
#define la_list_splice_tail(head, other) LA_LIST_SPLICE_TAIL(head, other)
#define la_list_splice_head(head, other) LA_LIST_SPLICE_HEAD(head, other)
#define la_single_list_push(head, entry) LA_SINGLE_LIST_PUSH(head, entry)
#define la_single_list_pop(head) LA_SINGLE_LIST_POP(head)
#endif

#endif /* LOOKASIDE_LIST_H */
