/* Intrusive lists through the public header: every operation on lists of 0, 1, 2
 * and 3 entries with exact link checks, Windows semantics (empty-list returns,
 * "now empty", AppendTailList, LIFO), stale links after unchecked removal and
 * poison after checked removal, iteration macros, and seeded random operation
 * sequences checked against an array model after every step (both the plain and
 * the checked functions). Corruption detection lives in test_list_checked.c.
 *
 * This file pins the plain names to the unchecked functions; the checked ones are
 * reached through the LA_LIST_* / *_checked names. */
#define LA_LIST_CHECKED 0
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <stdio.h>
#include <string.h>

/* ---- the header example, as written ------------------------------------------------- */

static void t_header_example(void **state) {
    (void)state;
    la_test_fatal_trap_begin();

    struct job { int id; la_list_entry_t link; };
    struct job jobs[3];
    la_list_entry_t queue, *pos, *tmp;
    la_list_init(&queue);
    for (int i = 0; i < 3; i++) {
        jobs[i].id = i + 1;
        LA_LIST_INSERT_TAIL(&queue, &jobs[i].link);  // checked; reports this line
    }
    LA_LIST_FOR_EACH_SAFE(pos, tmp, &queue) {         // pos may be unlinked here
        if (LA_CONTAINER_OF(pos, struct job, link)->id == 2)
            LA_LIST_REMOVE_ENTRY(pos);
    }
    la_list_entry_t *first = la_list_remove_head(&queue); // &jobs[0].link
    int left = LA_CONTAINER_OF(queue.next, struct job, link)->id;  // 3

    struct page { la_single_list_entry_t link; };
    struct page pages[2];
    la_single_list_entry_t free_pages;
    la_single_list_init(&free_pages);
    la_single_list_push(&free_pages, &pages[0].link);
    la_single_list_push(&free_pages, &pages[1].link);
    la_single_list_entry_t *top = la_single_list_pop(&free_pages); // &pages[1].link

    assert_int_equal(la_test_fatal_trap_end(), 0);
    assert_ptr_equal(first, &jobs[0].link);
    assert_int_equal(left, 3);
    assert_int_equal(la_list_count(&queue), 1);
    assert_ptr_equal(queue.prev, &jobs[2].link);
    assert_ptr_equal(jobs[1].link.next, LA_LIST_POISON_NEXT); /* removed by the checked macro */
    assert_ptr_equal(top, &pages[1].link);
    assert_ptr_equal(la_single_list_pop(&free_pages), &pages[0].link);
    assert_null(la_single_list_pop(&free_pages));
}

/* ---- exact-wiring helpers ---------------------------------------------------------------- */

typedef struct node {
    int id;
    la_list_entry_t link;
} node_t;

#define NODES 48
static node_t nodes[NODES];
static char ctx[256]; /* what the test was doing, for failure messages */

static la_list_entry_t *L(int id) { return &nodes[id].link; }
static int id_of(const la_list_entry_t *e) { return LA_CONTAINER_OF(e, node_t, link)->id; }

static void reset_nodes(void) {
    memset(nodes, 0xA5, sizeof nodes); /* garbage links: inserts must not read them */
    for (int i = 0; i < NODES; i++) nodes[i].id = i;
}

/* Wire head + ids by hand (independent of the code under test). */
static void build(la_list_entry_t *head, const int *ids, size_t n) {
    la_list_entry_t *prev = head;
    for (size_t i = 0; i < n; i++) {
        prev->next = L(ids[i]);
        L(ids[i])->prev = prev;
        prev = L(ids[i]);
    }
    prev->next = head;
    head->prev = prev;
}

/* Every link of head and of each listed entry is exactly as the model says, and
 * the walking helpers agree. */
static void expect_list(const la_list_entry_t *head, const int *ids, size_t n) {
    const la_list_entry_t *ring[NODES + 1];
    ring[0] = head;
    for (size_t i = 0; i < n; i++) ring[i + 1] = L(ids[i]);
    for (size_t i = 0; i <= n; i++) {
        const la_list_entry_t *want_next = ring[(i + 1) % (n + 1)];
        const la_list_entry_t *want_prev = ring[(i + n) % (n + 1)];
        if (ring[i]->next != want_next || ring[i]->prev != want_prev)
            fail_msg("%s: position %zu of %zu (%s %d): next %p prev %p, want %p %p", ctx, i, n,
                     i ? "id" : "head", i ? ids[i - 1] : -1, (void *)ring[i]->next,
                     (void *)ring[i]->prev, (const void *)want_next, (const void *)want_prev);
    }
    if (la_list_count(head) != n) fail_msg("%s: count %zu, want %zu", ctx, la_list_count(head), n);
    if (la_list_is_empty(head) != (n == 0)) fail_msg("%s: is_empty wrong for %zu entries", ctx, n);
    if (!la_list_check(head, LA_HERE)) fail_msg("%s: la_list_check failed", ctx);
}

static void expect_poisoned(const la_list_entry_t *e) {
    if (e->next != LA_LIST_POISON_NEXT || e->prev != LA_LIST_POISON_PREV)
        fail_msg("%s: removed entry %p not poisoned (next %p prev %p)", ctx, (const void *)e,
                 (void *)e->next, (void *)e->prev);
}

static void expect_links(const la_list_entry_t *e, const la_list_entry_t *next,
                         const la_list_entry_t *prev) {
    if (e->next != next || e->prev != prev)
        fail_msg("%s: entry %p links %p/%p, want stale %p/%p", ctx, (const void *)e,
                 (void *)e->next, (void *)e->prev, (const void *)next, (const void *)prev);
}

/* ---- operations, plain or checked ------------------------------------------------------ */

static void insert_head(bool c, la_list_entry_t *h, la_list_entry_t *e) {
    if (c) LA_LIST_INSERT_HEAD(h, e); else la_list_insert_head(h, e);
}
static void insert_tail(bool c, la_list_entry_t *h, la_list_entry_t *e) {
    if (c) LA_LIST_INSERT_TAIL(h, e); else la_list_insert_tail(h, e);
}
static la_list_entry_t *remove_head(bool c, la_list_entry_t *h) {
    return c ? LA_LIST_REMOVE_HEAD(h) : la_list_remove_head(h);
}
static la_list_entry_t *remove_tail(bool c, la_list_entry_t *h) {
    return c ? LA_LIST_REMOVE_TAIL(h) : la_list_remove_tail(h);
}
static bool remove_entry(bool c, la_list_entry_t *e) {
    return c ? LA_LIST_REMOVE_ENTRY(e) : la_list_remove_entry(e);
}
static void append_headless(bool c, la_list_entry_t *h, la_list_entry_t *first) {
    if (c) LA_LIST_APPEND_HEADLESS(h, first); else la_list_append_headless(h, first);
}
static void splice_tail(bool c, la_list_entry_t *h, la_list_entry_t *o) {
    if (c) LA_LIST_SPLICE_TAIL(h, o); else la_list_splice_tail(h, o);
}
static void splice_head(bool c, la_list_entry_t *h, la_list_entry_t *o) {
    if (c) LA_LIST_SPLICE_HEAD(h, o); else la_list_splice_head(h, o);
}

/* The entry's links after removal: poisoned (checked) or its old neighbours (plain). */
static void expect_removed(bool c, const la_list_entry_t *e, const la_list_entry_t *old_next,
                           const la_list_entry_t *old_prev) {
    if (c) expect_poisoned(e); else expect_links(e, old_next, old_prev);
}

/* ---- every operation on 0, 1, 2, 3 entries -------------------------------------------- */

static const int base_ids[3] = {0, 1, 2};

static void small_lists(bool c) {
    la_list_entry_t h, o;
    int want[8];
    for (size_t n = 0; n <= 3; n++) {
        /* init / is_empty / count on the built list */
        reset_nodes();
        snprintf(ctx, sizeof ctx, "%s build n=%zu", c ? "checked" : "plain", n);
        build(&h, base_ids, n);
        expect_list(&h, base_ids, n);

        /* insert head and tail */
        snprintf(ctx, sizeof ctx, "%s insert_head n=%zu", c ? "checked" : "plain", n);
        reset_nodes();
        build(&h, base_ids, n);
        insert_head(c, &h, L(9));
        want[0] = 9;
        memcpy(want + 1, base_ids, n * sizeof(int));
        expect_list(&h, want, n + 1);

        snprintf(ctx, sizeof ctx, "%s insert_tail n=%zu", c ? "checked" : "plain", n);
        reset_nodes();
        build(&h, base_ids, n);
        insert_tail(c, &h, L(9));
        memcpy(want, base_ids, n * sizeof(int));
        want[n] = 9;
        expect_list(&h, want, n + 1);

        /* remove head and tail (the head itself on an empty list, nothing changed) */
        snprintf(ctx, sizeof ctx, "%s remove_head n=%zu", c ? "checked" : "plain", n);
        reset_nodes();
        build(&h, base_ids, n);
        la_list_entry_t *got = remove_head(c, &h);
        if (n == 0) {
            assert_ptr_equal(got, &h);
            expect_list(&h, NULL, 0);
        } else {
            assert_ptr_equal(got, L(0));
            expect_list(&h, base_ids + 1, n - 1);
            expect_removed(c, got, n > 1 ? L(1) : &h, &h);
        }

        snprintf(ctx, sizeof ctx, "%s remove_tail n=%zu", c ? "checked" : "plain", n);
        reset_nodes();
        build(&h, base_ids, n);
        got = remove_tail(c, &h);
        if (n == 0) {
            assert_ptr_equal(got, &h);
            expect_list(&h, NULL, 0);
        } else {
            assert_ptr_equal(got, L(base_ids[n - 1]));
            expect_list(&h, base_ids, n - 1);
            expect_removed(c, got, &h, n > 1 ? L(base_ids[n - 2]) : &h);
        }

        /* remove each entry in turn: "now empty" only when it was the last one */
        for (size_t k = 0; k < n; k++) {
            snprintf(ctx, sizeof ctx, "%s remove_entry n=%zu k=%zu", c ? "checked" : "plain", n, k);
            reset_nodes();
            build(&h, base_ids, n);
            la_list_entry_t *old_next = L((int)k)->next, *old_prev = L((int)k)->prev;
            bool now_empty = remove_entry(c, L((int)k));
            assert_int_equal(now_empty, n == 1);
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (i != k) want[m++] = base_ids[i];
            expect_list(&h, want, m);
            expect_removed(c, L((int)k), old_next, old_prev);
        }
        if (n == 0) {
            /* RemoveEntryList on an empty head: true, nothing changed (not poisoned). */
            snprintf(ctx, sizeof ctx, "%s remove_entry(empty head)", c ? "checked" : "plain");
            build(&h, NULL, 0);
            assert_true(remove_entry(c, &h));
            expect_list(&h, NULL, 0);
        }

        /* AppendTailList with a headless ring of 1..3 entries */
        for (size_t r = 1; r <= 3; r++) {
            snprintf(ctx, sizeof ctx, "%s append_headless n=%zu ring=%zu", c ? "checked" : "plain",
                     n, r);
            reset_nodes();
            build(&h, base_ids, n);
            static const int ring_ids[3] = {10, 11, 12};
            build(L(10), ring_ids + 1, r - 1); /* 10 acts as the ring's first entry */
            append_headless(c, &h, L(10));
            memcpy(want, base_ids, n * sizeof(int));
            memcpy(want + n, ring_ids, r * sizeof(int));
            expect_list(&h, want, n + r);
        }

        /* splice another headed list of 0..3 entries at the tail and at the head */
        for (size_t m = 0; m <= 3; m++) {
            static const int other_ids[3] = {20, 21, 22};
            snprintf(ctx, sizeof ctx, "%s splice_tail n=%zu m=%zu", c ? "checked" : "plain", n, m);
            reset_nodes();
            build(&h, base_ids, n);
            build(&o, other_ids, m);
            splice_tail(c, &h, &o);
            memcpy(want, base_ids, n * sizeof(int));
            memcpy(want + n, other_ids, m * sizeof(int));
            expect_list(&h, want, n + m);
            expect_list(&o, NULL, 0);

            snprintf(ctx, sizeof ctx, "%s splice_head n=%zu m=%zu", c ? "checked" : "plain", n, m);
            reset_nodes();
            build(&h, base_ids, n);
            build(&o, other_ids, m);
            splice_head(c, &h, &o);
            memcpy(want, other_ids, m * sizeof(int));
            memcpy(want + m, base_ids, n * sizeof(int));
            expect_list(&h, want, n + m);
            expect_list(&o, NULL, 0);
        }
    }
}

static void t_small_lists_plain(void **state) {
    (void)state;
    small_lists(false);
}

static void t_small_lists_checked(void **state) {
    (void)state;
    la_test_fatal_trap_begin();
    small_lists(true);
    assert_int_equal(la_test_fatal_trap_end(), 0); /* no false alarms on valid lists */
}

static void t_init(void **state) {
    (void)state;
    la_list_entry_t h;
    memset(&h, 0x5A, sizeof h);
    la_list_init(&h);
    assert_ptr_equal(h.next, &h);
    assert_ptr_equal(h.prev, &h);
    assert_true(la_list_is_empty(&h));
    assert_int_equal(la_list_count(&h), 0);
    /* same shape as LIST_ENTRY: two pointers, Flink first */
    assert_int_equal(sizeof(la_list_entry_t), 2 * sizeof(void *));
    assert_int_equal(offsetof(la_list_entry_t, next), 0);
    assert_int_equal(offsetof(la_list_entry_t, prev), sizeof(void *));
    assert_int_equal(sizeof(la_single_list_entry_t), sizeof(void *));
    /* poison values are distinct and not NULL */
    assert_true(LA_LIST_POISON_NEXT != LA_LIST_POISON_PREV);
    assert_non_null(LA_LIST_POISON_NEXT);
    assert_true((void *)LA_SINGLE_LIST_POISON == (void *)LA_LIST_POISON_NEXT);
}

/* ---- iteration macros on 0..3 entries ---------------------------------------------------- */

static void t_iteration(void **state) {
    (void)state;
    la_list_entry_t h, *pos, *tmp;
    int seen[8];
    for (size_t n = 0; n <= 3; n++) {
        reset_nodes();
        build(&h, base_ids, n);
        size_t k = 0;
        LA_LIST_FOR_EACH(pos, &h) seen[k++] = id_of(pos);
        assert_int_equal(k, n);
        for (size_t i = 0; i < n; i++) assert_int_equal(seen[i], base_ids[i]);

        k = 0;
        LA_LIST_FOR_EACH_REVERSE(pos, &h) seen[k++] = id_of(pos);
        assert_int_equal(k, n);
        for (size_t i = 0; i < n; i++) assert_int_equal(seen[i], base_ids[n - 1 - i]);

        /* SAFE: unlink every visited entry, checked (poisons it: a non-safe walk
         * would follow the poison and fault) */
        k = 0;
        LA_LIST_FOR_EACH_SAFE(pos, tmp, &h) {
            seen[k++] = id_of(pos);
            LA_LIST_REMOVE_ENTRY(pos);
        }
        assert_int_equal(k, n);
        for (size_t i = 0; i < n; i++) assert_int_equal(seen[i], base_ids[i]);
        snprintf(ctx, sizeof ctx, "safe removal of all %zu", n);
        expect_list(&h, NULL, 0);

        reset_nodes();
        build(&h, base_ids, n);
        k = 0;
        LA_LIST_FOR_EACH_REVERSE_SAFE(pos, tmp, &h) {
            seen[k++] = id_of(pos);
            if (id_of(pos) != 1) LA_LIST_REMOVE_ENTRY(pos);
        }
        assert_int_equal(k, n);
        for (size_t i = 0; i < n; i++) assert_int_equal(seen[i], base_ids[n - 1 - i]);
        snprintf(ctx, sizeof ctx, "reverse safe removal keeping id 1 of %zu", n);
        static const int one[1] = {1};
        expect_list(&h, one, n >= 2 ? 1 : 0);
    }
}

/* ---- AppendTailList details --------------------------------------------------------------- */

static void t_append_headless_semantics(void **state) {
    (void)state;
    la_list_entry_t h, other;
    reset_nodes();

    /* One loose entry, la_list_init'ed, appends like an insert at the tail. */
    snprintf(ctx, sizeof ctx, "append one initialised entry");
    build(&h, base_ids, 2);
    la_list_init(L(7));
    la_list_append_headless(&h, L(7));
    static const int want1[3] = {0, 1, 7};
    expect_list(&h, want1, 3);

    /* The documented Windows idiom for a headed list: remove the head from its own
     * ring first, then pass the old first entry. */
    snprintf(ctx, sizeof ctx, "append after removing the other head");
    reset_nodes();
    build(&h, base_ids, 1);
    static const int oth[2] = {30, 31};
    build(&other, oth, 2);
    la_list_entry_t *first = other.next;
    la_list_remove_entry(&other);
    la_list_append_headless(&h, first);
    static const int want2[3] = {0, 30, 31};
    expect_list(&h, want2, 3);

    /* Passing a head as `first` makes that head an entry (the documented trap). */
    snprintf(ctx, sizeof ctx, "append a head (Windows semantics)");
    reset_nodes();
    build(&h, base_ids, 1);
    build(&other, oth, 2);
    la_list_append_headless(&h, &other);
    assert_int_equal(la_list_count(&h), 4); /* 0, other-head, 30, 31 */
    assert_ptr_equal(h.next->next, &other);
    assert_ptr_equal(h.prev, L(31));
}

/* ---- singly linked list -------------------------------------------------------------------- */

typedef struct snode {
    int id;
    la_single_list_entry_t link;
} snode_t;

static snode_t snodes[NODES];
static la_single_list_entry_t *S(int id) { return &snodes[id].link; }

/* Top to bottom equals ids (top first), bounded so a loop cannot hang the test. */
static void expect_stack(const la_single_list_entry_t *head, const int *ids, size_t n) {
    const la_single_list_entry_t *p = head->next;
    for (size_t i = 0; i < n; i++) {
        if (p != S(ids[i])) fail_msg("%s: position %zu is %p, want id %d", ctx, i, (const void *)p, ids[i]);
        p = p->next;
    }
    if (p != NULL) fail_msg("%s: list continues after %zu entries", ctx, n);
    if (la_single_list_is_empty(head) != (n == 0)) fail_msg("%s: is_empty wrong", ctx);
    size_t k = 0;
    const la_single_list_entry_t *q;
    LA_SINGLE_LIST_FOR_EACH(q, head) {
        if (k >= n) fail_msg("%s: FOR_EACH overran", ctx);
        assert_ptr_equal(q, S(ids[k]));
        k++;
    }
    assert_int_equal(k, n);
}

static void single_small(bool c) {
    la_single_list_entry_t h;
    memset(&h, 0x5A, sizeof h);
    la_single_list_init(&h);
    assert_null(h.next);
    int want[4];
    for (size_t n = 0; n <= 3; n++) {
        snprintf(ctx, sizeof ctx, "%s single n=%zu", c ? "checked" : "plain", n);
        /* build n entries by pushing 0, 1, ..., n-1: top is n-1 */
        la_single_list_init(&h);
        memset(snodes, 0xA5, sizeof snodes);
        for (size_t i = 0; i < n; i++) {
            snodes[i].id = (int)i;
            if (c) LA_SINGLE_LIST_PUSH(&h, S((int)i)); else la_single_list_push(&h, S((int)i));
        }
        for (size_t i = 0; i < n; i++) want[i] = (int)(n - 1 - i);
        expect_stack(&h, want, n);
        /* push one more, then pop everything: LIFO, then NULL (twice) */
        if (c) LA_SINGLE_LIST_PUSH(&h, S(9)); else la_single_list_push(&h, S(9));
        want[0] = 9;
        for (size_t i = 0; i < n; i++) want[i + 1] = (int)(n - 1 - i);
        expect_stack(&h, want, n + 1);
        for (size_t i = 0; i <= n; i++) {
            la_single_list_entry_t *below = S(want[i])->next;
            la_single_list_entry_t *e = c ? LA_SINGLE_LIST_POP(&h) : la_single_list_pop(&h);
            assert_ptr_equal(e, S(want[i]));
            if (c) assert_ptr_equal(e->next, LA_SINGLE_LIST_POISON);
            else assert_ptr_equal(e->next, below); /* stale */
            expect_stack(&h, want + i + 1, n - i);
        }
        assert_null(c ? LA_SINGLE_LIST_POP(&h) : la_single_list_pop(&h));
        assert_null(c ? LA_SINGLE_LIST_POP(&h) : la_single_list_pop(&h));
        assert_true(la_single_list_is_empty(&h));
    }
}

static void t_single_small_plain(void **state) {
    (void)state;
    single_small(false);
}

static void t_single_small_checked(void **state) {
    (void)state;
    la_test_fatal_trap_begin();
    single_small(true);
    assert_int_equal(la_test_fatal_trap_end(), 0);
}

/* ---- random sequences against an array model --------------------------------------------- */

typedef struct model {
    int ids[NODES];
    size_t n;
} model_t;

static size_t model_find(const model_t *m, int id) {
    for (size_t i = 0; i < m->n; i++)
        if (m->ids[i] == id) return i;
    return (size_t)-1;
}
static void model_erase(model_t *m, size_t i) {
    memmove(m->ids + i, m->ids + i + 1, (m->n - i - 1) * sizeof(int));
    m->n--;
}
static void model_insert(model_t *m, size_t i, int id) {
    memmove(m->ids + i + 1, m->ids + i, (m->n - i) * sizeof(int));
    m->ids[i] = id;
    m->n++;
}

enum { FREE = 0, IN_H = 1, IN_O = 2 };

static int pick_where(la_test_rng_t *r, const int *where, int which) {
    int cand[NODES], k = 0;
    for (int i = 0; i < NODES; i++)
        if (where[i] == which) cand[k++] = i;
    return k ? cand[la_test_rng_below(r, (uint64_t)k)] : -1;
}

static void random_doubly(bool c, uint64_t seed, int steps) {
    la_test_rng_t r;
    la_test_rng_init(&r, seed ^ (c ? 0x5eedc0deull : 0));
    la_list_entry_t h, o;
    model_t mh = {{0}, 0}, mo = {{0}, 0};
    int where[NODES] = {0};
    reset_nodes();
    la_list_init(&h);
    la_list_init(&o);
    for (int step = 0; step < steps; step++) {
        int op = (int)la_test_rng_below(&r, 13);
        snprintf(ctx, sizeof ctx, "%s model seed %llu step %d op %d", c ? "checked" : "plain",
                 (unsigned long long)seed, step, op);
        int id;
        la_list_entry_t *got;
        switch (op) {
        case 0: /* insert head */
        case 1: /* insert tail */
            if ((id = pick_where(&r, where, FREE)) < 0) break;
            if (op == 0) insert_head(c, &h, L(id)); else insert_tail(c, &h, L(id));
            model_insert(&mh, op == 0 ? 0 : mh.n, id);
            where[id] = IN_H;
            break;
        case 2: /* remove head */
        case 3: /* remove tail */
            got = op == 2 ? remove_head(c, &h) : remove_tail(c, &h);
            if (mh.n == 0) {
                if (got != &h) fail_msg("%s: empty remove returned %p, not the head", ctx, (void *)got);
                break;
            }
            id = mh.ids[op == 2 ? 0 : mh.n - 1];
            if (got != L(id)) fail_msg("%s: removed %p, want id %d", ctx, (void *)got, id);
            model_erase(&mh, op == 2 ? 0 : mh.n - 1);
            where[id] = FREE;
            if (c) expect_poisoned(got);
            break;
        case 4: /* remove a random entry of h */
        case 5: { /* ... of o */
            model_t *m = op == 4 ? &mh : &mo;
            if ((id = pick_where(&r, where, op == 4 ? IN_H : IN_O)) < 0) break;
            la_list_entry_t *old_next = L(id)->next, *old_prev = L(id)->prev;
            bool now_empty = remove_entry(c, L(id));
            model_erase(m, model_find(m, id));
            if (now_empty != (m->n == 0)) fail_msg("%s: remove_entry said %d with %zu left", ctx, now_empty, m->n);
            where[id] = FREE;
            expect_removed(c, L(id), old_next, old_prev);
            break;
        }
        case 6: /* grow o */
        case 7:
            if ((id = pick_where(&r, where, FREE)) < 0) break;
            insert_tail(c, &o, L(id));
            model_insert(&mo, mo.n, id);
            where[id] = IN_O;
            break;
        case 8: /* splice o onto h, tail or head */
        case 9:
            if (op == 8) {
                splice_tail(c, &h, &o);
                memcpy(mh.ids + mh.n, mo.ids, mo.n * sizeof(int));
            } else {
                memmove(mh.ids + mo.n, mh.ids, mh.n * sizeof(int));
                memcpy(mh.ids, mo.ids, mo.n * sizeof(int));
                splice_head(c, &h, &o);
            }
            mh.n += mo.n;
            for (size_t i = 0; i < mo.n; i++) where[mo.ids[i]] = IN_H;
            mo.n = 0;
            break;
        case 10: { /* append a headless ring of 1..4 free entries */
            int ring[4], k = 0, want = 1 + (int)la_test_rng_below(&r, 4);
            while (k < want && (id = pick_where(&r, where, FREE)) >= 0) {
                ring[k++] = id;
                where[id] = IN_H;
            }
            if (k == 0) break;
            for (int i = 0; i < k; i++) { /* wire the ring by hand */
                L(ring[i])->next = L(ring[(i + 1) % k]);
                L(ring[i])->prev = L(ring[(i + k - 1) % k]);
            }
            append_headless(c, &h, L(ring[0]));
            for (int i = 0; i < k; i++) mh.ids[mh.n++] = ring[i];
            break;
        }
        case 11: /* give h's entries to o (keeps both lists busy) */
            if (la_test_rng_below(&r, 3) != 0) break;
            splice_tail(c, &o, &h);
            memcpy(mo.ids + mo.n, mh.ids, mh.n * sizeof(int));
            mo.n += mh.n;
            for (size_t i = 0; i < mh.n; i++) where[mh.ids[i]] = IN_O;
            mh.n = 0;
            break;
        case 12: { /* safe iteration removing one residue class of ids */
            int res = (int)la_test_rng_below(&r, 3);
            la_list_entry_t *pos, *tmp;
            LA_LIST_FOR_EACH_SAFE(pos, tmp, &h) {
                if (id_of(pos) % 3 == res) {
                    remove_entry(c, pos);
                    where[id_of(pos)] = FREE;
                }
            }
            size_t k = 0;
            for (size_t i = 0; i < mh.n; i++)
                if (mh.ids[i] % 3 != res) mh.ids[k++] = mh.ids[i];
            mh.n = k;
            break;
        }
        }
        expect_list(&h, mh.ids, mh.n);
        expect_list(&o, mo.ids, mo.n);
    }
}

static int model_steps(void) { return 20000; }

static void t_random_model_plain(void **state) {
    (void)state;
    random_doubly(false, la_test_seed(), model_steps());
}

static void t_random_model_checked(void **state) {
    (void)state;
    la_test_fatal_trap_begin();
    random_doubly(true, la_test_seed(), model_steps());
    assert_int_equal(la_test_fatal_trap_end(), 0);
}

static void random_single(bool c, uint64_t seed, int steps) {
    la_test_rng_t r;
    la_test_rng_init(&r, seed ^ (c ? 0xabcdefull : 0x1234ull));
    la_single_list_entry_t h;
    la_single_list_init(&h);
    memset(snodes, 0xA5, sizeof snodes);
    int stack[NODES], n = 0, top_first[NODES];
    bool used[NODES] = {false};
    for (int step = 0; step < steps; step++) {
        snprintf(ctx, sizeof ctx, "%s single model seed %llu step %d", c ? "checked" : "plain",
                 (unsigned long long)seed, step);
        if (la_test_rng_below(&r, 2) == 0) {
            int cand[NODES], k = 0;
            for (int i = 0; i < NODES; i++)
                if (!used[i]) cand[k++] = i;
            if (k == 0) continue;
            int id = cand[la_test_rng_below(&r, (uint64_t)k)];
            if (c) LA_SINGLE_LIST_PUSH(&h, S(id)); else la_single_list_push(&h, S(id));
            used[id] = true;
            stack[n++] = id;
        } else {
            la_single_list_entry_t *e = c ? LA_SINGLE_LIST_POP(&h) : la_single_list_pop(&h);
            if (n == 0) {
                if (e != NULL) fail_msg("%s: pop of empty returned %p", ctx, (void *)e);
            } else {
                int id = stack[--n];
                if (e != S(id)) fail_msg("%s: popped %p, want id %d", ctx, (void *)e, id);
                used[id] = false;
                if (c && e->next != LA_SINGLE_LIST_POISON) fail_msg("%s: popped entry not poisoned", ctx);
            }
        }
        for (int i = 0; i < n; i++) top_first[i] = stack[n - 1 - i];
        expect_stack(&h, top_first, (size_t)n);
    }
}

static void t_random_single_plain(void **state) {
    (void)state;
    random_single(false, la_test_seed(), model_steps());
}

static void t_random_single_checked(void **state) {
    (void)state;
    la_test_fatal_trap_begin();
    random_single(true, la_test_seed(), model_steps());
    assert_int_equal(la_test_fatal_trap_end(), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        cmocka_unit_test(t_init),
        cmocka_unit_test(t_small_lists_plain),
        cmocka_unit_test(t_small_lists_checked),
        cmocka_unit_test(t_iteration),
        cmocka_unit_test(t_append_headless_semantics),
        cmocka_unit_test(t_single_small_plain),
        cmocka_unit_test(t_single_small_checked),
        cmocka_unit_test(t_random_model_plain),
        cmocka_unit_test(t_random_model_checked),
        cmocka_unit_test(t_random_single_plain),
        cmocka_unit_test(t_random_single_checked),
    };
    return la_test_run("list", tests);
}
