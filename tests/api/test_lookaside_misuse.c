/* Misuse of lookaside caches in checked builds: double free, a block of another
 * cache, a pointer from nowhere, a misaligned pointer, use after destroy, a write
 * past the end of a block. Each report names the code, the block and the caller's
 * file:line; with a returning fatal handler the operation is abandoned and nothing
 * changes; with the default handler the process aborts with the report. */
#include "test_support.h"
#include "lookaside_fixture.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static la_lookaside_t *make(const char *name, size_t size) {
    la_lookaside_params_t p = {0};
    p.name = name;
    p.size = size;
    p.tag = LA_TAG('M', 'i', 's', 'u');
    la_lookaside_t *c = NULL;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    return c;
}

static void t_double_free(void **state) {
    (void)state;
    la_lookaside_t *c = make("dbl", 64);
    void *x = la_lookaside_alloc(c);
    la_lookaside_free(c, x);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    LA_LOOKASIDE_FREE(c, x); int line = __LINE__;
    assert_int_equal(la_test_fatal_trap_end(), 1);
    const char *out = la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_DOUBLE_FREE);
    assert_int_equal(la_test_fatal_last_line(), line);
    assert_non_null(strstr(out, "freed twice"));
    assert_non_null(strstr(out, "\"dbl\""));
    assert_non_null(strstr(out, "test_lookaside_misuse.c"));
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_frees, 1); /* nothing changed */
    assert_int_equal(s.cached, 1);
    assert_ptr_equal(la_lookaside_alloc(c), x); /* and the block is handed out once */
    void *y = la_lookaside_alloc(c);
    assert_ptr_not_equal(y, x);
    la_lookaside_free(c, x);
    la_lookaside_free(c, y);
    assert_int_equal(la_lookaside_destroy(c), 0);
}

static void t_wrong_owner(void **state) {
    (void)state;
    la_lookaside_t *a = make("a", 64), *b = make("b", 64);
    void *x = la_lookaside_alloc(a);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    LA_LOOKASIDE_FREE(b, x);
    assert_int_equal(la_test_fatal_trap_end(), 1);
    const char *out = la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_WRONG_OWNER);
    assert_non_null(strstr(out, "not to \"b\""));
    assert_int_equal(la_test_stats(b).total_frees, 0);
    la_lookaside_free(a, x); /* still a's, still live */
    assert_int_equal(la_test_stats(a).outstanding, 0);
    la_lookaside_destroy(a);
    la_lookaside_destroy(b);
}

static void t_pointer_from_nowhere(void **state) {
    (void)state;
    la_lookaside_t *c = make("nowhere", 32);
    _Alignas(16) unsigned char stack_block[256];
    memset(stack_block, 0x5a, sizeof stack_block);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_lookaside_free(c, stack_block);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_POINTER);
    la_lookaside_free(c, stack_block + 8); /* misaligned */
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_POINTER);
    assert_int_equal(la_test_fatal_trap_end(), 2);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "was not handed out"));
    assert_non_null(strstr(out, "16-byte aligned"));
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_frees, 0);
    assert_int_equal(s.cached, 0);
    la_lookaside_destroy(c);
}

static void t_use_after_destroy(void **state) {
    (void)state;
    la_lookaside_t *c = make("gone", 32);
    void *x = la_lookaside_alloc(c);
    la_test_capture_begin();
    assert_int_equal(la_lookaside_destroy(c), 1);
    la_test_capture_end();
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    errno = 0;
    assert_null(la_lookaside_alloc(c));
    assert_int_equal(errno, EFAULT);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_USE_AFTER_DESTROY);
    LA_LOOKASIDE_FREE(c, x); /* freeing into a destroyed cache */
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_USE_AFTER_DESTROY);
    assert_null(la_lookaside_alloc_inline(c)); /* the inline path too */
    assert_int_equal(la_lookaside_destroy(c), 0);
    assert_int_equal(la_test_fatal_trap_end(), 4);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "USE_AFTER_DESTROY"));
    assert_non_null(strstr(out, "\"gone\" was destroyed"));
    la_pool_free(x); /* the outstanding block was the pool's all along */
}

static void t_write_past_the_end(void **state) {
    (void)state;
    la_lookaside_t *c = make("overrun", 32);
    unsigned char *x = la_lookaside_alloc(c);
    la_lookaside_free(c, x);
    x[32] = 0xEE; /* past the block, into the trailer, while it is cached */
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    errno = 0;
    assert_null(la_lookaside_alloc(c));
    assert_int_equal(errno, EFAULT);
    assert_int_equal(la_test_fatal_trap_end(), 1);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_CORRUPT_BLOCK);
    assert_non_null(strstr(la_test_capture_end(), "write past its 32 bytes"));
    la_test_capture_begin();
    la_lookaside_destroy(c); /* the corrupt block is dropped, counted outstanding */
    la_test_capture_end();
}

static void double_free_dies(void *arg) {
    (void)arg;
    la_lookaside_t *c = make("death", 16);
    void *x = la_lookaside_alloc(c);
    la_lookaside_free(c, x);
    la_lookaside_free_at(c, x, "driver.c", 77);
}

static void t_default_handler_aborts(void **state) {
    (void)state;
    static const char *const expect[] = {"FATAL DOUBLE_FREE", "driver.c:77", "\"death\"", NULL};
    assert_true(la_test_dies_with(double_free_dies, NULL, expect));
}

int main(void) {
    if (!LA_CONFIG_CHECKED) return LA_TEST_SKIP_CODE; /* the checks are compiled out */
    la_lookaside_tuner_enable(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_double_free),
        cmocka_unit_test(t_wrong_owner),
        cmocka_unit_test(t_pointer_from_nowhere),
        cmocka_unit_test(t_use_after_destroy),
        cmocka_unit_test(t_write_past_the_end),
        cmocka_unit_test(t_default_handler_aborts),
    };
    return la_test_run("lookaside_misuse", tests);
}
