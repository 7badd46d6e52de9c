/* Checked lists: every corruption and misuse the checked variants detect, twice —
 * once with a trapping fatal handler (the report names LIST_CORRUPT, the entry,
 * this file and the caller's line, says which link is wrong, and the operation is
 * abandoned with NOTHING modified: the whole fixture is compared byte for byte),
 * once as a death test with the default handler (report on stderr, then abort).
 *
 * LA_LIST_CHECKED is 1 here, so the plain names are the checked ones too; some
 * cases call the plain names to prove they forward the caller's file:line. */
#define LA_LIST_CHECKED 1
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Everything a case may touch, so "nothing modified" is one memcmp. */
typedef struct world {
    la_list_entry_t h, o;
    la_list_entry_t e[6];
    la_single_list_entry_t sh;
    la_single_list_entry_t s[4];
} world_t;

static world_t w;
static int op_line; /* the line of the checked call, set on that same line */

/* head + e[0..n-1] wired by hand */
static void build(la_list_entry_t *head, la_list_entry_t *first_entry, int n) {
    la_list_entry_t *prev = head;
    for (int i = 0; i < n; i++) {
        prev->next = &first_entry[i];
        first_entry[i].prev = prev;
        prev = &first_entry[i];
    }
    prev->next = head;
    head->prev = prev;
}

static void fresh(int n) {
    memset(&w, 0, sizeof w);
    build(&w.h, w.e, n);
    la_list_init(&w.o);
    la_single_list_init(&w.sh);
}

typedef struct corruption {
    const char *name;
    void (*setup)(void);
    intptr_t (*op)(void); /* returns the op's result as an integer: 0 when abandoned */
    const char *says;     /* text the report must contain (which link is wrong) */
    const void *object;   /* the object the report must name (NULL: do not check) */
} corruption_t;

/* ---- doubly linked: inserts ----------------------------------------------------------------- */

static void s_tail_next_broken(void) { fresh(3); w.e[2].next = &w.e[0]; }
static intptr_t o_insert_tail(void) {
    op_line = __LINE__; la_list_insert_tail(&w.h, &w.e[5]); /* plain name, checked by the switch */
    return 0;
}

static void s_first_prev_broken(void) { fresh(3); w.e[0].prev = &w.e[1]; }
static intptr_t o_insert_head(void) {
    op_line = __LINE__; LA_LIST_INSERT_HEAD(&w.h, &w.e[5]);
    return 0;
}

static void s_head_uninitialised(void) { fresh(0); memset(&w.h, 0, sizeof w.h); }

static void s_three(void) { fresh(3); }
static intptr_t o_insert_tail_itself(void) {
    op_line = __LINE__; LA_LIST_INSERT_TAIL(&w.h, &w.h);
    return 0;
}
static intptr_t o_insert_head_itself(void) {
    op_line = __LINE__; LA_LIST_INSERT_HEAD(&w.h, &w.h);
    return 0;
}
static intptr_t o_insert_tail_first(void) {
    op_line = __LINE__; LA_LIST_INSERT_TAIL(&w.h, &w.e[0]);
    return 0;
}
static intptr_t o_insert_head_last(void) {
    op_line = __LINE__; LA_LIST_INSERT_HEAD(&w.h, &w.e[2]);
    return 0;
}
static intptr_t o_insert_tail_twice(void) {
    op_line = __LINE__; LA_LIST_INSERT_TAIL(&w.h, &w.e[2]);
    return 0;
}
static intptr_t o_insert_head_twice(void) {
    op_line = __LINE__; la_list_insert_head(&w.h, &w.e[0]);
    return 0;
}

/* ---- doubly linked: removals ---------------------------------------------------------------- */

static void s_next_back_broken(void) { fresh(3); w.e[2].prev = &w.e[0]; } /* e1->next->prev */
static void s_prev_fwd_broken(void) { fresh(3); w.e[0].next = &w.e[2]; }  /* e1->prev->next */
static intptr_t o_remove_e1(void) {
    bool r;
    op_line = __LINE__; r = la_list_remove_entry(&w.e[1]);
    return r;
}
static intptr_t o_remove_e1_macro(void) {
    bool r;
    op_line = __LINE__; r = LA_LIST_REMOVE_ENTRY(&w.e[1]);
    return r;
}

static void s_removed_once(void) {
    fresh(3);
    la_test_fatal_trap_begin();
    bool r = LA_LIST_REMOVE_ENTRY(&w.e[1]);
    int reports = la_test_fatal_trap_end();
    if (r || reports != 0 || w.e[1].next != LA_LIST_POISON_NEXT) {
        la_printf("setup: first removal failed\n");
        memset(&w, 0, sizeof w); /* makes the case fail loudly */
    }
}

/* only the next link poisoned (prev intact): the next check alone must catch it */
static void s_next_poisoned(void) { fresh(3); w.e[1].next = LA_LIST_POISON_NEXT; }
static void s_prev_poisoned(void) { fresh(3); w.e[1].prev = LA_LIST_POISON_PREV; }

static void s_entry_zeroed(void) { fresh(3); memset(&w.e[5], 0, sizeof w.e[5]); }
static intptr_t o_remove_e5(void) {
    bool r;
    op_line = __LINE__; r = LA_LIST_REMOVE_ENTRY(&w.e[5]);
    return r;
}

static void s_second_prev_broken(void) { fresh(3); w.e[1].prev = &w.e[2]; } /* head->next->next->prev */
static intptr_t o_remove_head(void) {
    la_list_entry_t *r;
    op_line = __LINE__; r = la_list_remove_head(&w.h);
    return (intptr_t)r;
}
static void s_first_next_null(void) { fresh(3); w.e[0].next = NULL; }
static void s_last_prev_null(void) { fresh(3); w.e[2].prev = NULL; }
static void s_empty_head_prev_wrong(void) { fresh(0); w.h.prev = &w.e[0]; w.e[0].next = &w.h; }

static void s_second_last_next_broken(void) { fresh(3); w.e[1].next = &w.e[0]; } /* head->prev->prev->next */
static intptr_t o_remove_tail(void) {
    la_list_entry_t *r;
    op_line = __LINE__; r = LA_LIST_REMOVE_TAIL(&w.h);
    return (intptr_t)r;
}

/* ---- doubly linked: append and splice ------------------------------------------------------- */

/* h: e0 e1; ring: e3 e4 whose closing link is broken */
static void s_ring_broken(void) {
    fresh(2);
    build(&w.e[3], &w.e[4], 1);
    w.e[4].next = &w.e[5];
}
static intptr_t o_append_e3(void) {
    op_line = __LINE__; LA_LIST_APPEND_HEADLESS(&w.h, &w.e[3]);
    return 0;
}
static intptr_t o_append_head(void) {
    op_line = __LINE__; la_list_append_headless(&w.h, &w.h);
    return 0;
}
static intptr_t o_append_own_first(void) {
    op_line = __LINE__; LA_LIST_APPEND_HEADLESS(&w.h, &w.e[0]);
    return 0;
}
static void s_ring_poisoned(void) {
    fresh(2);
    w.e[3].next = LA_LIST_POISON_NEXT;
    w.e[3].prev = LA_LIST_POISON_PREV;
}

static intptr_t o_splice_self(void) {
    op_line = __LINE__; LA_LIST_SPLICE_TAIL(&w.h, &w.h);
    return 0;
}
/* other: e3 e4 with e4->next broken; h: e0 e1 */
static void s_other_broken(void) {
    fresh(2);
    build(&w.o, &w.e[3], 2);
    w.e[4].next = &w.e[5];
}
static intptr_t o_splice_tail(void) {
    op_line = __LINE__; la_list_splice_tail(&w.h, &w.o);
    return 0;
}
/* h's first entry's back link broken, other fine */
static void s_head_broken_other_fine(void) {
    fresh(2);
    build(&w.o, &w.e[3], 2);
    w.e[0].prev = &w.e[5];
}
static intptr_t o_splice_head(void) {
    op_line = __LINE__; LA_LIST_SPLICE_HEAD(&w.h, &w.o);
    return 0;
}

/* ---- whole-list check ----------------------------------------------------------------------- */

static void s_middle_prev_broken(void) { fresh(4); w.e[2].prev = &w.e[0]; }
static intptr_t o_check(void) {
    bool r;
    op_line = __LINE__; r = LA_LIST_CHECK(&w.h);
    return r;
}
static void s_poison_in_middle(void) {
    fresh(3);
    w.e[1].next = LA_LIST_POISON_NEXT;
}

/* ---- singly linked -------------------------------------------------------------------------- */

static void s_single_one(void) {
    fresh(0);
    la_single_list_push(&w.sh, &w.s[0]);
}
static intptr_t o_push_s0(void) {
    op_line = __LINE__; la_single_list_push(&w.sh, &w.s[0]);
    return 0;
}
static intptr_t o_push_head(void) {
    op_line = __LINE__; LA_SINGLE_LIST_PUSH(&w.sh, &w.sh);
    return 0;
}
/* s0 pushed, s1 pushed, s0 pushed again (not adjacent: the push check cannot see
 * it), then two pops: the next pop finds s0 already popped. */
static void s_double_push_popped(void) {
    fresh(0);
    la_single_list_entry_t *a = &w.s[0], *b = &w.s[1];
    la_single_list_push(&w.sh, a);
    la_single_list_push(&w.sh, b);
    la_single_list_push(&w.sh, a);
    la_single_list_entry_t *p1 = la_single_list_pop(&w.sh);
    la_single_list_entry_t *p2 = la_single_list_pop(&w.sh);
    if (p1 != a || p2 != b) memset(&w, 0, sizeof w);
}
static intptr_t o_pop(void) {
    la_single_list_entry_t *r;
    op_line = __LINE__; r = LA_SINGLE_LIST_POP(&w.sh);
    return (intptr_t)r;
}
static void s_single_head_poisoned(void) {
    fresh(0);
    w.sh.next = LA_SINGLE_LIST_POISON;
}

static const corruption_t cases[] = {
    {"insert_tail: tail's next broken", s_tail_next_broken, o_insert_tail, "head->prev->next is", &w.e[5]},
    {"insert_head: first's prev broken", s_first_prev_broken, o_insert_head, "head->next->prev is", &w.e[5]},
    {"insert_tail: head never initialised", s_head_uninitialised, o_insert_tail, "head->next is NULL", &w.e[5]},
    {"insert_tail: entry is the head", s_three, o_insert_tail_itself, "list head itself", &w.h},
    {"insert_head: entry is the head", s_three, o_insert_head_itself, "list head itself", &w.h},
    {"insert_tail: already the tail", s_three, o_insert_tail_twice, "inserted twice", &w.e[2]},
    {"insert_tail: already first", s_three, o_insert_tail_first, "inserted twice", &w.e[0]},
    {"insert_head: already first", s_three, o_insert_head_twice, "inserted twice", &w.e[0]},
    {"insert_head: already the tail", s_three, o_insert_head_last, "inserted twice", &w.e[2]},
    {"remove_entry: next's prev broken", s_next_back_broken, o_remove_e1, "entry->next->prev is", &w.e[1]},
    {"remove_entry: prev's next broken", s_prev_fwd_broken, o_remove_e1_macro, "entry->prev->next is", &w.e[1]},
    {"remove_entry: removed twice", s_removed_once, o_remove_e1, "already removed", &w.e[1]},
    {"remove_entry: next poisoned", s_next_poisoned, o_remove_e1, "entry->next is the poison value", &w.e[1]},
    {"remove_entry: prev poisoned", s_prev_poisoned, o_remove_e1, "entry->prev is the poison value", &w.e[1]},
    {"remove_entry: entry never linked", s_entry_zeroed, o_remove_e5, "entry->next is NULL", &w.e[5]},
    {"remove_head: second's prev broken", s_second_prev_broken, o_remove_head, "head->next->next->prev", &w.e[0]},
    {"remove_head: first's prev broken", s_first_prev_broken, o_remove_head, "head->next->prev", &w.e[0]},
    {"remove_head: first's next NULL", s_first_next_null, o_remove_head, "head->next->next is NULL", &w.e[0]},
    {"remove_tail: last's prev NULL", s_last_prev_null, o_remove_tail, "head->prev->prev is NULL", &w.e[2]},
    {"remove_head: empty head, prev wrong", s_empty_head_prev_wrong, o_remove_head, "head->next->prev", &w.h},
    {"remove_tail: second-last's next broken", s_second_last_next_broken, o_remove_tail, "head->prev->prev->next", &w.e[2]},
    {"remove_tail: last's next broken", s_tail_next_broken, o_remove_tail, "head->prev->next", &w.e[2]},
    {"append_headless: ring's closing link broken", s_ring_broken, o_append_e3, "first->prev->next", &w.e[3]},
    {"append_headless: first is the head", s_three, o_append_head, "list head itself", &w.h},
    {"append_headless: first already in the list", s_three, o_append_own_first, "already the first entry", &w.e[0]},
    {"append_headless: first was removed", s_ring_poisoned, o_append_e3, "poison value", &w.e[3]},
    {"splice: onto itself", s_three, o_splice_self, "onto itself", &w.h},
    {"splice_tail: other's last broken", s_other_broken, o_splice_tail, "other->prev->next is", &w.o},
    {"splice_head: head's first broken", s_head_broken_other_fine, o_splice_head, "head->next->prev", &w.o},
    {"check: middle entry's prev broken", s_middle_prev_broken, o_check, "entry 3", &w.e[2]},
    {"check: poison in the middle", s_poison_in_middle, o_check, "entry 2's next is the poison value", &w.e[1]},
    {"single push: pushed twice", s_single_one, o_push_s0, "pushed twice", &w.s[0]},
    {"single push: entry is the head", s_single_one, o_push_head, "list head itself", &w.sh},
    {"single pop: entry popped before", s_double_push_popped, o_pop, "popped before", &w.s[0]},
    {"single pop: head poisoned", s_single_head_poisoned, o_pop, "poison value", &w.sh},
};

#define NCASES (sizeof cases / sizeof cases[0])

/* ---- trapped: report contents, nothing modified, abandoned result -------------------------- */

static void t_trapped_reports_leave_everything_unmodified(void **state) {
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        const corruption_t *c = &cases[i];
        c->setup();
        world_t before = w;
        la_test_capture_begin();
        la_test_fatal_trap_begin();
        intptr_t r = c->op();
        int reports = la_test_fatal_trap_end();
        const char *out = la_test_capture_end();
        if (reports != 1) fail_msg("case '%s': %d reports, want 1", c->name, reports);
        if (la_test_fatal_last_code() != LA_FATAL_LIST_CORRUPT)
            fail_msg("case '%s': code %d", c->name, (int)la_test_fatal_last_code());
        if (!strstr(la_test_fatal_last_message(), c->says))
            fail_msg("case '%s': message '%s' lacks '%s'", c->name, la_test_fatal_last_message(), c->says);
        const char *file = la_test_fatal_last_file();
        if (!strstr(file, "test_list_checked.c") || la_test_fatal_last_line() != op_line)
            fail_msg("case '%s': reported at %s:%d, want this file line %d", c->name, file,
                     la_test_fatal_last_line(), op_line);
        char object[64];
        snprintf(object, sizeof object, "object %p ", c->object);
        if (!strstr(out, "FATAL LIST_CORRUPT") || !strstr(out, object))
            fail_msg("case '%s': output '%s' lacks the code or '%s'", c->name, out, object);
        if (r != 0) fail_msg("case '%s': abandoned operation returned %ld, want 0/NULL/false", c->name, (long)r);
        if (memcmp(&before, &w, sizeof w) != 0) fail_msg("case '%s': the lists were modified", c->name);
    }
}

/* ---- default handler: report on stderr, then abort ----------------------------------------- */

static void run_case(void *arg) {
    const corruption_t *c = (const corruption_t *)arg;
    c->setup();
    (void)c->op();
}

static void t_death_reports_and_aborts(void **state) {
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        const corruption_t *c = &cases[i];
        /* op_line is only known after a run: take it from a trapped run first */
        c->setup();
        la_test_capture_begin();
        la_test_fatal_trap_begin();
        (void)c->op();
        (void)la_test_fatal_trap_end();
        (void)la_test_capture_end();
        char where[64];
        snprintf(where, sizeof where, "test_list_checked.c:%d", op_line);
        const char *const expect[] = {"FATAL LIST_CORRUPT", where, c->says, NULL};
        if (!la_test_dies_with(run_case, (void *)c, expect))
            fail_msg("case '%s' did not die with the expected report", c->name);
    }
}

/* ---- the checked paths on valid lists ------------------------------------------------------ */

static void t_poison_after_checked_removal(void **state) {
    (void)state;
    la_test_fatal_trap_begin();
    fresh(3);
    la_list_entry_t *a = la_list_remove_head(&w.h); /* plain name, checked here */
    la_list_entry_t *b = la_list_remove_tail(&w.h);
    bool now_empty = la_list_remove_entry(&w.e[1]);
    assert_int_equal(la_test_fatal_trap_end(), 0);
    assert_ptr_equal(a, &w.e[0]);
    assert_ptr_equal(b, &w.e[2]);
    assert_true(now_empty);
    for (int i = 0; i < 3; i++) {
        assert_ptr_equal(w.e[i].next, LA_LIST_POISON_NEXT);
        assert_ptr_equal(w.e[i].prev, LA_LIST_POISON_PREV);
    }
    assert_true(la_list_is_empty(&w.h));
    /* The poison is what the 64-bit value says (its low half on a 32-bit target). */
    assert_true((uintptr_t)LA_LIST_POISON_NEXT == (uintptr_t)LA_LIST_POISON_NEXT_VALUE);
    assert_true((uintptr_t)LA_LIST_POISON_PREV == (uintptr_t)LA_LIST_POISON_PREV_VALUE);
}

static void t_checked_empty_remove_returns_head_silently(void **state) {
    (void)state;
    fresh(0);
    world_t before = w;
    la_test_fatal_trap_begin();
    assert_ptr_equal(LA_LIST_REMOVE_HEAD(&w.h), &w.h);
    assert_ptr_equal(LA_LIST_REMOVE_TAIL(&w.h), &w.h);
    assert_true(LA_LIST_REMOVE_ENTRY(&w.h)); /* RemoveEntryList(empty head): TRUE */
    assert_null(LA_SINGLE_LIST_POP(&w.sh));
    LA_LIST_SPLICE_TAIL(&w.h, &w.o); /* empty onto empty */
    assert_int_equal(la_test_fatal_trap_end(), 0);
    assert_memory_equal(&before, &w, sizeof w);
}

static void t_checked_reinsert_after_removal(void **state) {
    (void)state;
    /* A removed (poisoned) entry may be inserted again: inserts do not read it. */
    la_test_fatal_trap_begin();
    fresh(2);
    la_list_entry_t *e = la_list_remove_head(&w.h);
    la_list_insert_tail(&w.h, e);
    assert_true(LA_LIST_CHECK(&w.h));
    la_single_list_push(&w.sh, &w.s[0]);
    la_single_list_entry_t *s = la_single_list_pop(&w.sh);
    la_single_list_push(&w.sh, s); /* popped (poisoned) entries can be pushed again */
    assert_ptr_equal(la_single_list_pop(&w.sh), &w.s[0]);
    assert_int_equal(la_test_fatal_trap_end(), 0);
    assert_ptr_equal(w.h.next, &w.e[1]);
    assert_ptr_equal(w.h.prev, &w.e[0]);
}

static void t_switch_is_on(void **state) {
    (void)state;
    assert_int_equal(LA_LIST_CHECKED, 1);
    /* the parenthesised name still reaches the unchecked function: no report, no poison */
    fresh(2);
    la_test_fatal_trap_begin();
    la_list_entry_t *e = (la_list_remove_head)(&w.h);
    assert_int_equal(la_test_fatal_trap_end(), 0);
    assert_ptr_equal(e, &w.e[0]);
    assert_ptr_equal(e->next, &w.e[1]); /* stale, not poisoned */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_trapped_reports_leave_everything_unmodified),
        cmocka_unit_test(t_death_reports_and_aborts),
        cmocka_unit_test(t_poison_after_checked_removal),
        cmocka_unit_test(t_checked_empty_remove_returns_head_silently),
        cmocka_unit_test(t_checked_reinsert_after_removal),
        cmocka_unit_test(t_switch_is_on),
    };
    return la_test_run("list_checked", tests);
}
