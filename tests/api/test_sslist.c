/* The sequenced S-list through its public header: single-thread semantics in both
 * modes (LIFO order, depth after each step, empty pop, flush order, chain push,
 * sequence rules, 16-bit depth wrap), the documented layout, the mode queries and
 * every reported misuse. Concurrency lives in tests/stress/test_sslist_aba.c. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <stdio.h>
#include <string.h>

/* ---- the header's example, compiled and run as written ------------------------ */

typedef struct job {
    LA_ALIGNAS(LA_SSLIST_ALIGN) la_sslist_entry_t link;
    int id;
} job_t;

static void t_header_example(void **state) {
    (void)state;
    static la_sslist_header_t free_jobs;       // 16-byte aligned by its type
    static job_t jobs[4];                       // each job 16-byte aligned
    la_sslist_init(&free_jobs);
    for (int i = 0; i < 4; i++) {
        jobs[i].id = i;
        la_sslist_push(&free_jobs, &jobs[i].link);
    }
    la_sslist_entry_t *e = la_sslist_pop(&free_jobs);      // LIFO: job 3
    job_t *j = LA_CONTAINER_OF(e, job_t, link);
    printf("popped %d, %u left\n", j->id, (unsigned)la_sslist_depth(&free_jobs));
    for (e = la_sslist_flush(&free_jobs); e; e = e->next)  // 2, 1, 0; list empty
        printf("flushed %d\n", LA_CONTAINER_OF(e, job_t, link)->id);

    /* what the example claims */
    assert_int_equal(j->id, 3);
    assert_int_equal(la_sslist_depth(&free_jobs), 0);
    assert_null(la_sslist_pop(&free_jobs));
    assert_ptr_equal(jobs[2].link.next, &jobs[1].link);
    assert_ptr_equal(jobs[1].link.next, &jobs[0].link);
    assert_null(jobs[0].link.next);
}

/* ---- helpers -------------------------------------------------------------------- */

#define N_ITEMS 8

typedef struct item {
    LA_ALIGNAS(LA_SSLIST_ALIGN) la_sslist_entry_t link;
    int id;
} item_t;

static item_t items[N_ITEMS];

enum { MODE_DEFAULT = 0, MODE_LOCKED = 1 };

static void init_list(la_sslist_header_t *list, int mode) {
    memset(list, 0xa5, sizeof *list); /* init must not depend on prior contents */
    if (mode == MODE_LOCKED)
        la_sslist_init_locked(list);
    else
        la_sslist_init(list);
    assert_int_equal(la_sslist_depth(list), 0);
    assert_null(la_sslist_first(list));
    assert_int_equal(la_sslist_sequence(list), 0);
}

static int id_of(la_sslist_entry_t *e) { return LA_CONTAINER_OF(e, item_t, link)->id; }

static void reset_items(void) {
    for (int i = 0; i < N_ITEMS; i++) {
        items[i].link.next = (la_sslist_entry_t *)(uintptr_t)0xdeadbeef0ull;
        items[i].id = i;
    }
}

/* Define t_<name>_default and t_<name>_locked running body(mode). */
#define BOTH_MODES(name)                                                              \
    static void t_##name##_default(void **state) { (void)state; name(MODE_DEFAULT); } \
    static void t_##name##_locked(void **state) { (void)state; name(MODE_LOCKED); }
#define BOTH_TESTS(name) cmocka_unit_test(t_##name##_default), cmocka_unit_test(t_##name##_locked)

/* ---- semantics ------------------------------------------------------------------------ */

static void lifo_and_depth(int mode) {
    la_sslist_header_t list;
    init_list(&list, mode);
    reset_items();
    assert_null(la_sslist_pop(&list)); /* empty pop */
    assert_int_equal(la_sslist_depth(&list), 0);
    for (int i = 0; i < 5; i++) {
        la_sslist_entry_t *prev = la_sslist_push(&list, &items[i].link);
        if (i == 0)
            assert_null(prev);
        else
            assert_ptr_equal(prev, &items[i - 1].link); /* push returns the previous first */
        assert_int_equal(la_sslist_depth(&list), i + 1);
        assert_ptr_equal(la_sslist_first(&list), &items[i].link);
    }
    for (int i = 4; i >= 0; i--) {
        la_sslist_entry_t *e = la_sslist_pop(&list);
        assert_non_null(e);
        assert_int_equal(id_of(e), i); /* LIFO */
        assert_int_equal(la_sslist_depth(&list), i);
    }
    assert_null(la_sslist_pop(&list));
    assert_null(la_sslist_pop(&list));
    assert_int_equal(la_sslist_depth(&list), 0);
    assert_null(la_sslist_first(&list));

    /* interleaved: push 0,1; pop -> 1; push 2; pop -> 2; pop -> 0 */
    la_sslist_push(&list, &items[0].link);
    la_sslist_push(&list, &items[1].link);
    assert_int_equal(id_of(la_sslist_pop(&list)), 1);
    la_sslist_push(&list, &items[2].link);
    assert_int_equal(la_sslist_depth(&list), 2);
    assert_int_equal(id_of(la_sslist_pop(&list)), 2);
    assert_int_equal(id_of(la_sslist_pop(&list)), 0);
    assert_null(la_sslist_pop(&list));
}
BOTH_MODES(lifo_and_depth)

static void flush_returns_chain(int mode) {
    la_sslist_header_t list;
    init_list(&list, mode);
    reset_items();
    assert_null(la_sslist_flush(&list)); /* empty flush */
    assert_int_equal(la_sslist_depth(&list), 0);
    for (int i = 0; i < 4; i++) la_sslist_push(&list, &items[i].link);
    la_sslist_entry_t *e = la_sslist_flush(&list);
    assert_int_equal(la_sslist_depth(&list), 0);
    assert_null(la_sslist_first(&list));
    assert_null(la_sslist_pop(&list));
    int expect = 3, n = 0;
    for (; e; e = e->next, expect--, n++) assert_int_equal(id_of(e), expect); /* LIFO */
    assert_int_equal(n, 4);
    /* the list works after a flush */
    la_sslist_push(&list, &items[5].link);
    assert_int_equal(la_sslist_depth(&list), 1);
    assert_int_equal(id_of(la_sslist_pop(&list)), 5);
}
BOTH_MODES(flush_returns_chain)

static void push_chain_adds_count(int mode) {
    la_sslist_header_t list;
    init_list(&list, mode);
    reset_items();
    la_sslist_push(&list, &items[0].link);
    la_sslist_push(&list, &items[1].link);
    /* pre-linked chain 4 -> 3 -> 2; last->next is junk and must be overwritten */
    items[4].link.next = &items[3].link;
    items[3].link.next = &items[2].link;
    la_sslist_entry_t *prev = la_sslist_push_chain(&list, &items[4].link, &items[2].link, 3);
    assert_ptr_equal(prev, &items[1].link);
    assert_ptr_equal(items[2].link.next, &items[1].link);
    assert_int_equal(la_sslist_depth(&list), 5);
    const int order[] = {4, 3, 2, 1, 0};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(id_of(la_sslist_pop(&list)), order[i]);
        assert_int_equal(la_sslist_depth(&list), 4 - i);
    }
    assert_null(la_sslist_pop(&list));
    /* a chain onto an empty list ends in NULL; a one-entry chain is a push */
    items[6].link.next = &items[5].link;
    assert_null(la_sslist_push_chain(&list, &items[6].link, &items[5].link, 2));
    assert_null(items[5].link.next);
    assert_ptr_equal(la_sslist_push_chain(&list, &items[7].link, &items[7].link, 1), &items[6].link);
    assert_int_equal(la_sslist_depth(&list), 3);
    assert_int_equal(id_of(la_sslist_flush(&list)), 7);
}
BOTH_MODES(push_chain_adds_count)

static void sequence_rules(int mode) {
    la_sslist_header_t list;
    init_list(&list, mode);
    reset_items();
    uint64_t s = la_sslist_sequence(&list);
    la_sslist_push(&list, &items[0].link);
    assert_int_equal(la_sslist_sequence(&list), s + 1); /* push: +1 */
    la_sslist_push(&list, &items[1].link);
    assert_int_equal(la_sslist_sequence(&list), s + 2);
    items[3].link.next = &items[2].link;
    la_sslist_push_chain(&list, &items[3].link, &items[2].link, 2);
    assert_int_equal(la_sslist_sequence(&list), s + 3); /* chain: +1 per call */
    la_sslist_pop(&list);
    assert_int_equal(la_sslist_sequence(&list), s + 3); /* pop: kept */
    la_sslist_flush(&list);
    assert_int_equal(la_sslist_sequence(&list), s + 3); /* flush: kept */
    assert_null(la_sslist_pop(&list));
    assert_int_equal(la_sslist_sequence(&list), s + 3); /* empty pop: kept */
}
BOTH_MODES(sequence_rules)

/* Depth is 16 bits (as in Windows): it wraps, and never borrows from or carries
 * into the sequence. The count of push_chain is trusted, so one entry can stand
 * for 65535. */
static void depth_wraps_without_touching_sequence(int mode) {
    la_sslist_header_t list;
    init_list(&list, mode);
    reset_items();
    la_sslist_push_chain(&list, &items[0].link, &items[0].link, 65535);
    assert_int_equal(la_sslist_depth(&list), 65535);
    assert_int_equal(la_sslist_sequence(&list), 1);
    la_sslist_push(&list, &items[1].link);
    assert_int_equal(la_sslist_depth(&list), 0); /* 65536 mod 2^16 */
    assert_int_equal(la_sslist_sequence(&list), 2);
    assert_int_equal(id_of(la_sslist_pop(&list)), 1);
    assert_int_equal(la_sslist_depth(&list), 65535);
    assert_int_equal(la_sslist_sequence(&list), 2);
    assert_int_equal(id_of(la_sslist_pop(&list)), 0);
    assert_int_equal(la_sslist_depth(&list), 65534);
    assert_null(la_sslist_pop(&list));
}
BOTH_MODES(depth_wraps_without_touching_sequence)

/* The layout the WDK layer's SLIST_HEADER relies on (HeaderX64 bit positions). */
static void documented_layout(int mode) {
    la_sslist_header_t list;
    assert_int_equal(sizeof list, 16);
    assert_int_equal(_Alignof(la_sslist_header_t), 16);
    assert_int_equal((uintptr_t)&list & 15, 0);
    init_list(&list, mode);
    reset_items();
    la_sslist_push(&list, &items[0].link);
    la_sslist_push(&list, &items[1].link);
    la_sslist_push(&list, &items[2].link);
    la_sslist_pop(&list);
    assert_int_equal(list.ss_depth_seq & 0xffff, 2);        /* depth, bits 0-15 */
    assert_int_equal(list.ss_depth_seq >> 16, 3);           /* sequence, bits 16-63 */
    assert_int_equal(list.ss_first_flags & ~(uint64_t)15, (uintptr_t)&items[1].link);
    assert_int_equal(list.ss_first_flags & 1, 1);           /* initialised */
    assert_int_equal((list.ss_first_flags >> 1) & 1, mode == MODE_LOCKED ? 1 : !la_sslist_lock_free_available());
    assert_int_equal((list.ss_first_flags >> 2) & 3, 0);    /* lock free, bit 3 zero */
}
BOTH_MODES(documented_layout)

/* ---- modes ------------------------------------------------------------------------------ */

/* Whether the CPU advertises a 16-byte CAS, from the kernel's own report; -1 when
 * it cannot tell (no /proc, unknown architecture). */
static int cpu_reports_cas16(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[4096];
    int answer = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) == 0) { /* x86 */
            answer = strstr(line, " cx16") != NULL;
            break;
        }
        if (strncmp(line, "Features", 8) == 0) { /* AArch64: ldxp/stxp are baseline */
            answer = 1;
            break;
        }
    }
    fclose(f);
    return answer;
}

static void t_modes(void **state) {
    (void)state;
    la_sslist_header_t a, b;
    la_sslist_init(&a);
    la_sslist_init_locked(&b);
    int cpu = cpu_reports_cas16();
    if (cpu >= 0) assert_int_equal(la_sslist_lock_free_available(), cpu);
    print_message("16-byte CAS: cpu reports %d, library %s\n", cpu,
                  la_sslist_lock_free_available() ? "lock-free" : "locked");
    assert_int_equal(la_sslist_is_lock_free(&a), la_sslist_lock_free_available());
    assert_false(la_sslist_is_lock_free(&b)); /* forced locked mode */
    /* re-initialising switches modes */
    la_sslist_init_locked(&a);
    assert_false(la_sslist_is_lock_free(&a));
    la_sslist_init(&b);
    assert_int_equal(la_sslist_is_lock_free(&b), la_sslist_lock_free_available());
}

/* ---- misuse (checked builds) --------------------------------------------------------- */

static void require_checked(void) {
    if (!LA_CONFIG_CHECKED) skip();
}

/* The list after a refused call: depth, first and sequence unchanged. */
static void assert_unchanged(la_sslist_header_t *list, uint16_t depth, la_sslist_entry_t *first,
                             uint64_t seq) {
    assert_int_equal(la_sslist_depth(list), depth);
    assert_ptr_equal(la_sslist_first(list), first);
    assert_int_equal(la_sslist_sequence(list), seq);
}

static void misaligned_entries_reported(int mode) {
    require_checked();
    la_sslist_header_t list;
    init_list(&list, mode);
    reset_items();
    la_sslist_push(&list, &items[0].link);
    static LA_ALIGNAS(16) unsigned char raw[64];
    la_sslist_entry_t *bad = (la_sslist_entry_t *)(void *)(raw + 8);

    la_test_capture_begin();
    la_test_fatal_trap_begin();
    assert_null(la_sslist_push(&list, bad));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_MISALIGNED);
    assert_non_null(strstr(la_test_fatal_last_message(), "not 16-byte aligned"));
    assert_unchanged(&list, 1, &items[0].link, 1);

    assert_null(la_sslist_push_chain(&list, bad, &items[1].link, 2));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_MISALIGNED);
    assert_non_null(strstr(la_test_fatal_last_message(), "first entry"));
    assert_unchanged(&list, 1, &items[0].link, 1);

    assert_null(la_sslist_push_chain(&list, &items[1].link, bad, 2));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_MISALIGNED);
    assert_non_null(strstr(la_test_fatal_last_message(), "last entry"));
    assert_unchanged(&list, 1, &items[0].link, 1);

    assert_int_equal(la_test_fatal_trap_end(), 3);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "FATAL MISALIGNED"));
}
BOTH_MODES(misaligned_entries_reported)

static void bad_arguments_reported(int mode) {
    require_checked();
    la_sslist_header_t list;
    init_list(&list, mode);
    reset_items();
    la_sslist_push(&list, &items[0].link);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    assert_null(la_sslist_push(&list, NULL));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_non_null(strstr(la_test_fatal_last_message(), "NULL entry"));
    assert_null(la_sslist_push_chain(&list, NULL, &items[1].link, 1));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_null(la_sslist_push_chain(&list, &items[1].link, NULL, 1));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_null(la_sslist_push_chain(&list, &items[1].link, &items[1].link, 0));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_non_null(strstr(la_test_fatal_last_message(), "count 0"));
    assert_int_equal(la_test_fatal_trap_end(), 4);
    la_test_capture_end();
    assert_unchanged(&list, 1, &items[0].link, 1);
}
BOTH_MODES(bad_arguments_reported)

static void t_uninitialised_header_reported(void **state) {
    (void)state;
    require_checked();
    la_sslist_header_t list;
    memset(&list, 0, sizeof list);
    reset_items();
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    assert_null(la_sslist_push(&list, &items[0].link));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_non_null(strstr(la_test_fatal_last_message(), "not initialised"));
    assert_null(la_sslist_push_chain(&list, &items[0].link, &items[0].link, 1));
    assert_null(la_sslist_pop(&list));
    assert_null(la_sslist_flush(&list));
    assert_int_equal(la_test_fatal_trap_end(), 4);
    la_test_capture_end();
    assert_int_equal(list.ss_depth_seq, 0);
    assert_int_equal(list.ss_first_flags, 0);
}

static void t_misaligned_header_reported(void **state) {
    (void)state;
    require_checked();
    static LA_ALIGNAS(16) unsigned char raw[48];
    memset(raw, 0x5a, sizeof raw);
    la_sslist_header_t *bad = (la_sslist_header_t *)(void *)(raw + 8);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_sslist_init(bad);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_MISALIGNED);
    la_sslist_init_locked(bad);
    assert_int_equal(la_test_fatal_trap_end(), 2);
    la_test_capture_end();
    for (size_t i = 0; i < sizeof raw; i++) assert_int_equal(raw[i], 0x5a); /* untouched */
}

/* With the default handler, misuse is a report on stderr and abort(). */
static void push_misaligned(void *arg) {
    static la_sslist_header_t list;
    la_sslist_init(&list);
    la_sslist_push(&list, (la_sslist_entry_t *)((unsigned char *)arg + 4));
}

static void t_misaligned_push_aborts_by_default(void **state) {
    (void)state;
    require_checked();
    static LA_ALIGNAS(16) unsigned char raw[32];
    const char *expect[] = {"FATAL MISALIGNED", "la_sslist_push", NULL};
    assert_true(la_test_dies_with(push_misaligned, raw, expect));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        BOTH_TESTS(lifo_and_depth),
        BOTH_TESTS(flush_returns_chain),
        BOTH_TESTS(push_chain_adds_count),
        BOTH_TESTS(sequence_rules),
        BOTH_TESTS(depth_wraps_without_touching_sequence),
        BOTH_TESTS(documented_layout),
        cmocka_unit_test(t_modes),
        BOTH_TESTS(misaligned_entries_reported),
        BOTH_TESTS(bad_arguments_reported),
        cmocka_unit_test(t_uninitialised_header_reported),
        cmocka_unit_test(t_misaligned_header_reported),
        cmocka_unit_test(t_misaligned_push_aborts_by_default),
    };
    return la_test_run("sslist", tests);
}
