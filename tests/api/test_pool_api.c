/* Tagged pool through the public header only: the header example, alignment,
 * zeroing, sizes, tags, accounting, budgets, raise handler, reports. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The example from lookaside/pool.h, compiled as written. */
static int header_example(void) {
    la_tag_t tag = LA_TAG('D', 'e', 'm', 'o');
    char *p = la_pool_alloc(LA_POOL_PAGED, 100, tag, LA_POOL_F_ZERO);
    if (!p) return errno;                       // ENOMEM, EDQUOT, ...
    p[99] = 1;                                  // 100 usable bytes, zeroed
    la_pool_tag_info_t info;
    la_pool_tag_query(tag, LA_POOL_KIND_PAGED, &info); // info.outstanding == 1
    la_pool_free_tag(p, tag);                   // checks the tag
    la_pool_table_print(NULL);                  // PoolMon-style table via la_printf
    return 0;
}

static void t_header_example(void **state) {
    (void)state;
    la_test_capture_begin();
    assert_int_equal(header_example(), 0);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "Demo"));
    assert_non_null(strstr(out, "PerAlloc"));
    la_pool_tag_info_t info;
    assert_int_equal(la_pool_tag_query(LA_TAG('D', 'e', 'm', 'o'), LA_POOL_KIND_PAGED, &info), 0);
    assert_int_equal(info.allocs, 1);
    assert_int_equal(info.frees, 1);
    assert_int_equal(info.outstanding, 0);
    assert_int_equal(info.bytes, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
    };
    return la_test_run("pool_api", tests);
}
