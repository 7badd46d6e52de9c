/* The platform snapshot through the public header only: the header example as
 * written, each field against an independent source (sysconf, getrlimit, sysfs),
 * the formatted text (contents, truncation, errors) and the printer. */
#define _GNU_SOURCE
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The example from lookaside/platform.h, compiled as written. */
static void t_header_example(void **state) {
    (void)state;
    la_test_capture_begin();

    la_platform_info_t info;
    int enough = 0;
    if (la_platform_info_get(&info) == 0)
        for (unsigned i = 0; i < info.huge_count; i++)
            if (info.huge[i].size == (2u << 20) && info.huge[i].free >= 4)
                enough = 1;                    // four 2 MiB pages are there for us
    char text[1024];
    if (la_platform_format(text, sizeof text) == 0)
        la_printf("%s", text);                 // "page size      4 KiB\n..."

    const char *got = la_test_capture_end();
    assert_non_null(strstr(got, "page size"));
    assert_string_equal(got, text);
    assert_true(enough == 0 || enough == 1);
}

static void t_info_matches_the_system(void **state) {
    (void)state;
    la_platform_info_t info;
    memset(&info, 0xee, sizeof info);
    assert_int_equal(la_platform_info_get(&info), 0);
    assert_int_equal(info.page_size, (uint64_t)sysconf(_SC_PAGESIZE));
    assert_int_equal(info.cpu_count, (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
    assert_true(info.numa_node_count >= 1);
    assert_int_equal((unsigned)__builtin_popcountll(info.numa_node_mask), info.numa_node_count);
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
    assert_int_equal(info.memlock_limit, rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur);
    assert_true(info.huge_count <= LA_PLATFORM_MAX_HUGE_SIZES);
    for (unsigned i = 0; i < info.huge_count; ++i) {
        assert_true(info.huge[i].size > info.page_size);
        assert_true(info.huge[i].free <= info.huge[i].total);
        char path[160];
        snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%llukB",
                 (unsigned long long)(info.huge[i].size / 1024));
        assert_int_equal(access(path, F_OK), 0);
    }
    for (unsigned i = info.huge_count; i < LA_PLATFORM_MAX_HUGE_SIZES; ++i)
        assert_int_equal(info.huge[i].size, 0); /* unused entries are zero, not garbage */
    if (info.thp_enabled) assert_true(info.thp_size > info.page_size);
}

static void t_info_follows_the_memlock_limit(void **state) {
    (void)state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
    if (rl.rlim_cur == 0) skip();
    struct rlimit lower = {rl.rlim_cur == RLIM_INFINITY ? (rlim_t)5 << 20 : rl.rlim_cur / 2, rl.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &lower), 0);
    la_platform_info_t info;
    int e = la_platform_info_get(&info);
    assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
    assert_int_equal(e, 0);
    assert_int_equal(info.memlock_limit, (uint64_t)lower.rlim_cur); /* a fresh reading */
}

static void t_info_get_null_is_einval(void **state) {
    (void)state;
    assert_int_equal(la_platform_info_get(NULL), EINVAL);
}

static la_platform_info_t sample(void) {
    la_platform_info_t s;
    memset(&s, 0, sizeof s);
    s.page_size = 4096;
    s.huge_count = 2;
    s.huge[0] = (la_platform_huge_t){2u << 20, 8, 3};
    s.huge[1] = (la_platform_huge_t){1u << 30, 1, 0};
    s.thp_size = 2u << 20;
    s.thp_enabled = true;
    s.numa_node_count = 5;
    s.numa_node_mask = 0x2f; /* 0-3,5 */
    s.numa_bind = true;
    s.cas16 = true;
    s.memlock_limit = 8u << 20;
    s.memlock_exempt = false;
    s.pagemap_readable = false;
    s.cpu_count = 16;
    return s;
}

static void t_format_renders_every_fact(void **state) {
    (void)state;
    la_platform_info_t s = sample();
    char text[2048];
    assert_int_equal(la_platform_info_format(&s, text, sizeof text), 0);
    static const char *const want[] = {
        "page size              4 KiB\n",
        "huge pages             2 MiB: 3 free of 8\n",
        "                       1 GiB: 0 free of 1\n",
        "transparent huge pages on, 2 MiB\n",
        "NUMA nodes             5 (0-3,5), binding works\n",
        "16-byte CAS            lock-free\n",
        "memlock limit          8 MiB\n",
        "physical addresses     hidden (needs CAP_SYS_ADMIN)\n",
        "CPUs online            16\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; ++i)
        if (!strstr(text, want[i])) fail_msg("missing line %zu: '%s' in:\n%s", i, want[i], text);

    s.memlock_limit = UINT64_MAX;
    s.memlock_exempt = true;
    s.huge_count = 0;
    s.thp_size = 0;
    s.cas16 = false;
    s.numa_node_count = 1;
    s.numa_node_mask = 1;
    s.numa_bind = false;
    s.pagemap_readable = true;
    assert_int_equal(la_platform_info_format(&s, text, sizeof text), 0);
    static const char *const want2[] = {
        "huge pages             none offered\n",
        "transparent huge pages not available\n",
        "NUMA nodes             1 (0), binding unavailable\n",
        "16-byte CAS            absent",
        "memlock limit          unlimited (privileged: not enforced)\n",
        "physical addresses     readable\n",
    };
    for (size_t i = 0; i < sizeof want2 / sizeof want2[0]; ++i)
        if (!strstr(text, want2[i])) fail_msg("missing line %zu: '%s' in:\n%s", i, want2[i], text);
}

static void t_format_truncates_with_erange(void **state) {
    (void)state;
    la_platform_info_t s = sample();
    char full[2048];
    assert_int_equal(la_platform_info_format(&s, full, sizeof full), 0);
    size_t n = strlen(full);
    char small[40];
    memset(small, 'Z', sizeof small);
    assert_int_equal(la_platform_info_format(&s, small, sizeof small), ERANGE);
    assert_int_equal(strlen(small), sizeof small - 1); /* as much as fits, terminated */
    assert_memory_equal(small, full, sizeof small - 1);
    char *exact = malloc(n + 1);
    assert_non_null(exact);
    assert_int_equal(la_platform_info_format(&s, exact, n + 1), 0); /* just fits */
    assert_string_equal(exact, full);
    assert_int_equal(la_platform_info_format(&s, exact, n), ERANGE); /* one short */
    free(exact);
    char one[1] = {'Z'};
    assert_int_equal(la_platform_info_format(&s, one, 1), ERANGE);
    assert_int_equal(one[0], '\0');
}

static void t_format_errors(void **state) {
    (void)state;
    la_platform_info_t s = sample();
    char text[64] = "keep";
    assert_int_equal(la_platform_info_format(NULL, text, sizeof text), EINVAL);
    assert_int_equal(la_platform_info_format(&s, NULL, 10), EINVAL);
    assert_int_equal(la_platform_info_format(&s, text, 0), EINVAL);
    assert_string_equal(text, "keep");
    assert_int_equal(la_platform_format(NULL, 10), EINVAL);
    assert_int_equal(la_platform_format(text, 0), EINVAL);
    assert_string_equal(text, "keep");
}

static void t_format_and_print_agree(void **state) {
    (void)state;
    char text[2048];
    assert_int_equal(la_platform_format(text, sizeof text), 0);
    la_test_capture_begin();
    assert_int_equal(la_platform_print(), 0);
    const char *got = la_test_capture_end();
    /* Free huge page counts may move between the two readings; the first line cannot. */
    assert_memory_equal(got, text, strcspn(text, "\n") + 1);
    assert_non_null(strstr(got, "CPUs online"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        cmocka_unit_test(t_info_matches_the_system),
        cmocka_unit_test(t_info_follows_the_memlock_limit),
        cmocka_unit_test(t_info_get_null_is_einval),
        cmocka_unit_test(t_format_renders_every_fact),
        cmocka_unit_test(t_format_truncates_with_erange),
        cmocka_unit_test(t_format_errors),
        cmocka_unit_test(t_format_and_print_agree),
    };
    return la_test_run("platform", tests);
}
