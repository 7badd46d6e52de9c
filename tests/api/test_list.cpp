// <lookaside/list.h> from C++17: the header example compiles and runs as written,
// the plain names follow the library's build when LA_LIST_CHECKED is not defined,
// the iteration macros and LA_CONTAINER_OF work on C++ structs, and a checked
// operation on a broken list reports and changes nothing.
// Debian's cmocka.h has no extern "C" guard and test_support.h includes it outside
// its own: include it first with C linkage (its include guard keeps it at that).
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
extern "C" {
#include <cmocka.h>
}
#include "test_support.h"

#include <lookaside/list.h>

#include <cstring>

static_assert(sizeof(la_list_entry_t) == 2 * sizeof(void *), "LIST_ENTRY shape");
static_assert(sizeof(la_single_list_entry_t) == sizeof(void *), "SINGLE_LIST_ENTRY shape");

static void t_header_example(void **) {
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
    assert_ptr_equal(top, &pages[1].link);
    assert_int_equal(la_list_count(&queue), 1);
}

static void t_default_switch_follows_build(void **) {
    assert_int_equal(LA_LIST_CHECKED, LA_CONFIG_CHECKED);
    la_list_entry_t h, e[2];
    la_list_init(&h);
    la_list_insert_tail(&h, &e[0]);
    la_list_insert_tail(&h, &e[1]);
    la_list_entry_t *got = la_list_remove_head(&h);
    assert_ptr_equal(got, &e[0]);
    if (LA_CONFIG_CHECKED)
        assert_ptr_equal(got->next, LA_LIST_POISON_NEXT); // plain names are checked
    else
        assert_ptr_equal(got->next, &e[1]);               // stale links, Windows free build
}

// A C++ type with a list link that is not its first member, walked through const.
struct Widget {
    double weight;
    la_list_entry_t by_weight;
    int serial;
};

static int sum_serials(const la_list_entry_t *head) {
    int sum = 0;
    const la_list_entry_t *p;
    for (p = head->next; p != head; p = p->next)
        sum += LA_CONTAINER_OF(p, const Widget, by_weight)->serial;
    return sum;
}

static void t_cpp_structs_and_iteration(void **) {
    Widget w[4];
    la_list_entry_t head;
    la_list_init(&head);
    for (int i = 0; i < 4; i++) {
        w[i].weight = i * 0.5;
        w[i].serial = 10 + i;
        LA_LIST_INSERT_HEAD(&head, &w[i].by_weight);
    }
    assert_int_equal(sum_serials(&head), 10 + 11 + 12 + 13);
    la_list_entry_t *pos, *tmp;
    int order[4], k = 0;
    LA_LIST_FOR_EACH_REVERSE(pos, &head) order[k++] = LA_CONTAINER_OF(pos, Widget, by_weight)->serial;
    assert_int_equal(order[0], 10);
    assert_int_equal(order[3], 13);
    LA_LIST_FOR_EACH_REVERSE_SAFE(pos, tmp, &head) {
        if (LA_CONTAINER_OF(pos, Widget, by_weight)->serial % 2) LA_LIST_REMOVE_ENTRY(pos);
    }
    assert_int_equal(sum_serials(&head), 10 + 12);
    assert_true(LA_LIST_CHECK(&head));

    la_list_entry_t other;
    la_list_init(&other);
    LA_LIST_INSERT_TAIL(&other, &w[1].by_weight);
    LA_LIST_SPLICE_HEAD(&head, &other);
    assert_true(la_list_is_empty(&other));
    assert_int_equal(sum_serials(&head), 10 + 11 + 12);
    la_list_init(&w[3].by_weight);
    LA_LIST_APPEND_HEADLESS(&head, &w[3].by_weight);
    assert_ptr_equal(head.prev, &w[3].by_weight);
    assert_int_equal(la_list_count(&head), 4);
}

static void t_checked_trap_from_cpp(void **) {
    la_list_entry_t h, e[3];
    la_list_init(&h);
    for (auto &x : e) LA_LIST_INSERT_TAIL(&h, &x);
    e[2].prev = &e[0]; // break e[1]->next->prev
    la_list_entry_t hb = h, eb[3];
    std::memcpy(eb, e, sizeof e);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    bool r = LA_LIST_REMOVE_ENTRY(&e[1]);
    assert_int_equal(la_test_fatal_trap_end(), 1);
    const char *out = la_test_capture_end();
    assert_false(r);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_LIST_CORRUPT);
    assert_non_null(std::strstr(out, "entry->next->prev"));
    assert_non_null(std::strstr(la_test_fatal_last_file(), "test_list.cpp"));
    assert_memory_equal(&hb, &h, sizeof h);
    assert_memory_equal(eb, e, sizeof e);
}

static void t_single_list_cpp(void **) {
    la_single_list_entry_t head, e[3];
    la_single_list_init(&head);
    for (auto &x : e) LA_SINGLE_LIST_PUSH(&head, &x);
    int n = 0;
    la_single_list_entry_t *p;
    LA_SINGLE_LIST_FOR_EACH(p, &head) n++;
    assert_int_equal(n, 3);
    assert_ptr_equal(LA_SINGLE_LIST_POP(&head), &e[2]);
    assert_ptr_equal((la_single_list_pop)(&head), &e[1]); // unchecked by name
    assert_ptr_equal(e[1].next, &e[0]);                  // ... so not poisoned
    assert_ptr_equal(LA_SINGLE_LIST_POP(&head), &e[0]);
    assert_null(LA_SINGLE_LIST_POP(&head));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        cmocka_unit_test(t_default_switch_follows_build),
        cmocka_unit_test(t_cpp_structs_and_iteration),
        cmocka_unit_test(t_checked_trap_from_cpp),
        cmocka_unit_test(t_single_list_cpp),
    };
    return la_test_run("list_cxx", tests);
}
