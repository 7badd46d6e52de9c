/* Output callback and fatal reports through the public header only. */
#include "test_support.h"

#include <lookaside/lookaside.h>
#include <string.h>

/* The example from lookaside/base.h, compiled as written. */
static void quiet(const char *text, void *arg) { (void)text; (void)arg; }
static void keep_going(const la_fatal_report_t *r, void *arg) {
    ++*(int *)arg;
    (void)r;
}

static void t_header_example(void **state) {
    (void)state;
    int seen = 0;
    la_output_set(quiet, NULL);
    la_fatal_handler_set(keep_going, &seen);
    la_fatal(LA_FATAL_DOUBLE_FREE, &seen, LA_HERE, "example %d", 1);
    la_fatal_handler_set(NULL, NULL);
    la_output_set(NULL, NULL);
    assert_int_equal(seen, 1);
}

static void t_version(void **state) {
    (void)state;
    assert_int_equal(la_version(), LA_VERSION);
}

static void t_output_goes_to_callback(void **state) {
    (void)state;
    la_test_capture_begin();
    la_printf("hello %s %d\n", "world", 42);
    const char *got = la_test_capture_end();
    assert_string_equal(got, "hello world 42\n");
}

static void t_long_output_is_delivered_whole(void **state) {
    (void)state;
    static char big[10000];
    memset(big, 'x', sizeof big - 1);
    la_test_capture_begin();
    la_printf("%s|", big);
    const char *got = la_test_capture_end();
    assert_int_equal(strlen(got), sizeof big); /* 9999 x's and the bar */
    assert_int_equal(got[sizeof big - 1], '|');
}

static void t_fatal_report_names_code_object_and_line(void **state) {
    (void)state;
    int obj;
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_fatal(LA_FATAL_WRONG_OWNER, &obj, "caller.c", 123, "block %d", 7);
    assert_int_equal(la_test_fatal_trap_end(), 1);
    const char *got = la_test_capture_end();
    assert_non_null(strstr(got, "FATAL WRONG_OWNER"));
    assert_non_null(strstr(got, "caller.c:123"));
    assert_non_null(strstr(got, "block 7"));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_WRONG_OWNER);
    assert_string_equal(la_test_fatal_last_file(), "caller.c");
    assert_int_equal(la_test_fatal_last_line(), 123);
}

static void die_now(void *arg) {
    la_fatal(LA_FATAL_LIST_CORRUPT, arg, "driver.c", 42, "Flink->Blink != entry");
}

static void t_default_handler_aborts_with_report(void **state) {
    (void)state;
    static const char *const expect[] = {"FATAL LIST_CORRUPT", "driver.c:42", "Flink->Blink", NULL};
    assert_true(la_test_dies_with(die_now, NULL, expect));
}

static void t_code_names(void **state) {
    (void)state;
    assert_string_equal(la_fatal_code_name(LA_FATAL_TAG_MISMATCH), "TAG_MISMATCH");
    assert_string_equal(la_fatal_code_name((la_fatal_code_t)999), "UNKNOWN");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        cmocka_unit_test(t_version),
        cmocka_unit_test(t_output_goes_to_callback),
        cmocka_unit_test(t_long_output_is_delivered_whole),
        cmocka_unit_test(t_fatal_report_names_code_object_and_line),
        cmocka_unit_test(t_default_handler_aborts_with_report),
        cmocka_unit_test(t_code_names),
    };
    return la_test_run("base", tests);
}
