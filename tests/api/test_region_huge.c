/* Regions on real hugetlb pages. Where the test may write
 * /proc/sys/vm/nr_hugepages (root), it reserves a few pages of the default huge
 * page size, exercises the real path — hugetlb given and counted, preflight
 * showing the pages in use, physical contiguity verified through pagemap,
 * CONTIGUOUS served from one huge page — and restores the setting on every path
 * (also from an atexit hook if an assertion ends the run early). Otherwise it
 * reports a skip. test_region_huge.cmake serialises it with other tests that
 * touch the huge page pool (RESOURCE_LOCK hugepages). */
#define _GNU_SOURCE
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NR_PATH "/proc/sys/vm/nr_hugepages"
#define WANT 8

static long saved = -1;

static long read_nr(void) {
    FILE *f = fopen(NR_PATH, "r");
    if (!f) return -1;
    long v = -1;
    if (fscanf(f, "%ld", &v) != 1) v = -1;
    fclose(f);
    return v;
}

static bool write_nr(long v) {
    FILE *f = fopen(NR_PATH, "w");
    if (!f) return false;
    bool ok = fprintf(f, "%ld\n", v) > 0;
    ok = (fclose(f) == 0) && ok;
    return ok;
}

static void restore(void) {
    if (saved >= 0) {
        write_nr(saved);
        saved = -1;
    }
}

/* Reserve WANT default-size pages beyond what is there; false (skip) if we may not. */
static bool reserve(void) {
    long cur = read_nr();
    if (cur < 0 || access(NR_PATH, W_OK) != 0) return false;
    saved = cur;
    atexit(restore);
    if (!write_nr(cur + WANT)) {
        restore();
        return false;
    }
    if (read_nr() < cur + WANT) { /* memory too fragmented to get them all */
        restore();
        return false;
    }
    return true;
}

static size_t default_huge(const la_huge_avail_t *av, size_t n) {
    long kb = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Hugepagesize: %ld kB", &kb) == 1) break;
        fclose(f);
    }
    for (size_t i = 0; i < n; ++i)
        if (av[i].size == (size_t)kb * 1024) return av[i].size;
    return 0;
}

static void t_real_huge_pages(void **state) {
    (void)state;
    la_huge_avail_t av[8];
    size_t n;
    assert_int_equal(la_region_huge_preflight(av, 8, &n), 0);
    size_t hs = default_huge(av, n);
    assert_true(hs != 0);
    uint64_t free0 = 0;
    for (size_t i = 0; i < n; ++i)
        if (av[i].size == hs) free0 = av[i].free;
    assert_true(free0 >= WANT);

    la_region_stats_t s0, s1;
    la_region_stats_get(&s0);
    la_region_spec_t s;
    memset(&s, 0, sizeof s);
    s.size = hs + 1; /* rounds up to two huge pages */
    s.node = LA_NODE_ANY;
    s.flags = LA_REGION_HUGE | LA_REGION_HUGE_ONLY | LA_REGION_ZERO;
    la_region_t *r;
    assert_int_equal(la_region_alloc(&s, &r), 0);
    la_region_info_t info;
    assert_int_equal(la_region_query(r, &info), 0);
    assert_int_equal(info.huge_size, hs);
    assert_int_equal(info.page_size, hs);
    assert_int_equal(info.size, 2 * hs);
    assert_false(info.huge_fallback);
    assert_int_equal((uintptr_t)info.base % hs, 0);
    unsigned char *p = info.base;
    for (size_t i = 0; i < info.size; i += 4096) assert_int_equal(p[i], 0);
    memset(p, 7, info.size);
    la_region_stats_get(&s1);
    assert_int_equal(s1.huge_asked - s0.huge_asked, 1);
    assert_int_equal(s1.huge_given - s0.huge_given, 1);
    assert_int_equal(s1.thp_fallbacks + s1.base_fallbacks, s0.thp_fallbacks + s0.base_fallbacks);
    /* Preflight sees the two pages in use. */
    assert_int_equal(la_region_huge_preflight(av, 8, &n), 0);
    for (size_t i = 0; i < n; ++i)
        if (av[i].size == hs) assert_int_equal(av[i].free, free0 - 2);
    la_region_free(r);

    /* CONTIGUOUS: one huge page, contiguity verified when frame numbers are readable. */
    memset(&s, 0, sizeof s);
    s.size = hs / 2 + 12345;
    s.node = LA_NODE_ANY;
    s.boundary = hs;
    s.highest = 0;
    s.flags = LA_REGION_CONTIGUOUS;
    assert_int_equal(la_region_alloc(&s, &r), 0);
    la_region_query(r, &info);
    assert_int_equal(info.huge_size, hs);
    if (info.phys_base) {
        assert_int_equal(info.contiguity, LA_REGION_CHECK_VERIFIED);
        assert_int_equal(info.range, LA_REGION_CHECK_VERIFIED);
        assert_true(info.contiguous_bytes >= hs);
        assert_int_equal(info.phys_base % hs, 0); /* a huge page is physically aligned */
    } else {
        assert_int_equal(info.contiguity, LA_REGION_CHECK_UNVERIFIABLE);
    }
    la_region_free(r);

    /* Exhaust the pool: HUGE_ONLY fails with ENOMEM, HUGE falls back (counted). */
    la_region_t *all[WANT + 8];
    int k = 0;
    memset(&s, 0, sizeof s);
    s.size = hs;
    s.node = LA_NODE_ANY;
    s.flags = LA_REGION_HUGE | LA_REGION_HUGE_ONLY;
    while (k < WANT + 8 && la_region_alloc(&s, &all[k]) == 0) k++;
    assert_true(k >= WANT && k < WANT + 8);
    assert_int_equal(la_region_alloc(&s, &r), ENOMEM);
    s.flags = LA_REGION_HUGE;
    la_region_stats_get(&s0);
    assert_int_equal(la_region_alloc(&s, &r), 0);
    la_region_query(r, &info);
    assert_true(info.huge_fallback);
    la_region_stats_get(&s1);
    assert_int_equal((s1.thp_fallbacks - s0.thp_fallbacks) + (s1.base_fallbacks - s0.base_fallbacks), 1);
    la_region_free(r);
    while (k > 0) la_region_free(all[--k]);
    restore();
    assert_int_equal(read_nr() >= 0, 1);
}

int main(void) {
    if (!reserve()) {
        /* Reported to ctest as a skip (SKIP_RETURN_CODE), so unprivileged runs count it. */
        fprintf(stderr, "test_region_huge: cannot reserve hugetlb pages here (not root, or no memory): skipped\n");
        return LA_TEST_SKIP_CODE;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_real_huge_pages),
    };
    int rc = la_test_run("region_huge", tests);
    restore();
    return rc;
}
