/* LA_VERIFY in the environment (registered twice by test_verify_env.cmake): a
 * good value selects caches by name at the first creation; a value with an
 * unknown item is reported through la_printf and leaves the verifier off. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <stdlib.h>
#include <string.h>

static la_lookaside_t *make(const char *name) {
    la_lookaside_params_t p = {0};
    p.name = name;
    p.size = 32;
    p.tag = LA_TAG('E', 'n', 'v', 'V');
    la_lookaside_t *c = NULL;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    return c;
}

static void t_env(void **state) {
    (void)state;
    const char *env = getenv("LA_VERIFY");
    assert_non_null(env);
    bool bad = strstr(env, "bogus") != NULL;
    la_test_capture_begin();
    la_lookaside_t *a = make("env.a"), *b = make("other");
    const char *out = la_test_capture_end();
    if (bad) {
        assert_non_null(strstr(out, "LA_VERIFY: unknown option \"bogus\""));
        assert_false(la_verify_enabled(a));
    } else {
        assert_string_equal(out, "");
        assert_true(la_verify_enabled(a));
        void *p = la_lookaside_alloc(a);
        la_lookaside_free(a, p);
        la_lookaside_stats_t s = {.size = sizeof s};
        assert_int_equal(la_lookaside_query(a, &s), 0);
        assert_int_equal(s.free_misses, 1); /* depth0 */
    }
    assert_false(la_verify_enabled(b));
    la_lookaside_destroy(a);
    la_lookaside_destroy(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_env)};
    return la_test_run("verify_env", tests);
}
