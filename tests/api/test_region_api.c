/* Regions through the public header: the header example, page alignment and
 * rounding, zeroing, spec validation (cache types, boundary, address range, nodes,
 * flags), boundaries honoured, physical checks (verified as root, unverifiable
 * without frame numbers), huge-page fallback without reserved pages, NUMA node,
 * locked memory, executable forms (NX default, W^X flip, dual view), freeing by
 * base and its misuse report, preflight and counters. Huge pages WITH a reserved
 * pool are exercised by test_region_huge.c. */
#define _GNU_SOURCE
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The example from lookaside/region.h, compiled as written. */
static int header_example(void) {
    la_region_spec_t spec = {0};
    spec.size = 1 << 20;
    spec.node = LA_NODE_ANY;
    spec.flags = LA_REGION_HUGE | LA_REGION_ZERO;  // huge pages if reserved
    la_region_t *r;
    int err = la_region_alloc(&spec, &r);
    if (err) return err;
    la_region_info_t info;
    la_region_query(r, &info);       // info.huge_size: 2 MiB, or 0 after a fallback
    memset(info.base, 1, spec.size);
    la_region_free(r);
    return 0;
}

static void t_header_example(void **state) {
    (void)state;
    la_region_stats_t s0, s1;
    la_region_stats_get(&s0);
    assert_int_equal(header_example(), 0);
    la_region_stats_get(&s1);
    assert_int_equal(s1.huge_asked - s0.huge_asked, 1);
    /* Either hugetlb was given or exactly one counted fallback happened. */
    assert_int_equal((s1.huge_given - s0.huge_given) + (s1.thp_fallbacks - s0.thp_fallbacks) +
                         (s1.base_fallbacks - s0.base_fallbacks), 1);
    assert_int_equal(s1.regions_live, s0.regions_live);
}

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static la_region_spec_t spec_of(size_t size) {
    la_region_spec_t s;
    memset(&s, 0, sizeof s);
    s.size = size;
    s.node = LA_NODE_ANY;
    return s;
}

static void perms_of(const void *p, char out[5]) {
    out[0] = '\0';
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && (uintptr_t)p >= lo && (uintptr_t)p < hi) {
            memcpy(out, perms, 5);
            break;
        }
    }
    fclose(f);
}

static void t_pageable_basics(void **state) {
    (void)state;
    const size_t sizes[] = {1, 4095, 4096, 4097, 100000, 3u << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
        la_region_spec_t s = spec_of(sizes[i]);
        s.flags = LA_REGION_ZERO;
        la_region_t *r;
        assert_int_equal(la_region_alloc(&s, &r), 0);
        la_region_info_t info;
        assert_int_equal(la_region_query(r, &info), 0);
        assert_ptr_equal(info.base, la_region_base(r));
        assert_int_equal((uintptr_t)info.base % page_size(), 0);
        assert_true(info.size >= sizes[i] && info.size % page_size() == 0 && info.size - sizes[i] < page_size());
        assert_int_equal(info.page_size, page_size());
        assert_int_equal(info.huge_size, 0);
        assert_false(info.locked);
        assert_false(info.huge_fallback);
        assert_null(info.exec_base);
        assert_int_equal(info.contiguity, LA_REGION_CHECK_NOT_ASKED);
        assert_int_equal(info.range, LA_REGION_CHECK_NOT_ASKED);
        unsigned char *p = info.base;
        for (size_t b = 0; b < info.size; b += 511) assert_int_equal(p[b], 0);
        memset(p, 0xCD, info.size);
        char perms[5];
        perms_of(p, perms);
        if (perms[0]) assert_string_equal(perms, "rw-p"); /* never executable by default */
        la_region_free(r);
    }
}

static void t_spec_validation(void **state) {
    (void)state;
    la_region_t *r = NULL;
    la_region_spec_t s = spec_of(8192);
    la_region_stats_t s0, s1;
    la_region_stats_get(&s0);
    s.cache = LA_CACHE_NONCACHED;
    assert_int_equal(la_region_alloc(&s, &r), ENOTSUP);
    s.cache = LA_CACHE_WRITE_COMBINED;
    assert_int_equal(la_region_alloc(&s, &r), ENOTSUP);
    s.cache = (la_cache_type_t)7;
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s = spec_of(0);
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s = spec_of(8192);
    s.flags = 0x100;
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s = spec_of(8192);
    s.boundary = 4096; /* smaller than the size */
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s.boundary = 3 * 8192; /* not a power of two */
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s = spec_of(8192);
    s.lowest = 1 << 20;
    s.highest = 1 << 19; /* lowest above highest */
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s.lowest = 1 << 20;
    s.highest = (1 << 20) + 4095; /* range smaller than the size */
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s = spec_of(8192);
    s.node = 63; /* no such node */
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s = spec_of(8192);
    s.flags = LA_REGION_DUAL_VIEW; /* without EXECUTE */
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s.flags = LA_REGION_HUGE_ONLY; /* without HUGE */
    assert_int_equal(la_region_alloc(&s, &r), EINVAL);
    s = spec_of(SIZE_MAX);
    assert_int_equal(la_region_alloc(&s, &r), ENOMEM);
    s = spec_of(SIZE_MAX / 2);
    assert_int_equal(la_region_alloc(&s, &r), ENOMEM);
    assert_null(r);
    assert_int_equal(la_region_alloc(NULL, &r), EINVAL);
    la_region_stats_get(&s1);
    assert_int_equal(s1.failures - s0.failures, 15);
    assert_int_equal(s1.regions_live, s0.regions_live);
}

static void t_boundary_honoured(void **state) {
    (void)state;
    for (size_t size = 4096; size <= (1u << 20); size *= 3) {
        la_region_spec_t s = spec_of(size);
        uint64_t b = 1;
        while (b < size) b <<= 1;
        s.boundary = b;
        la_region_t *r;
        assert_int_equal(la_region_alloc(&s, &r), 0);
        uintptr_t a = (uintptr_t)la_region_base(r);
        la_region_info_t info;
        la_region_query(r, &info);
        assert_int_equal(a / b, (a + info.size - 1) / b);
        la_region_free(r);
    }
}

/* Physical checks: with frame numbers readable (root), a range covering everything
 * is verified and a range no RAM can be in is refused with ERANGE; without them
 * the result is unverifiable, and LA_REGION_VERIFY turns that into ENOTSUP. */
static int physical_checks(bool expect_readable) {
    la_region_t *r;
    la_region_spec_t s = spec_of(4096);
    s.lowest = 0;
    s.highest = UINT64_MAX;
    s.boundary = 4096;
    s.flags = LA_REGION_CONTIGUOUS;
    if (la_region_alloc(&s, &r) != 0) return 10;
    la_region_info_t info;
    la_region_query(r, &info);
    la_region_check_t want = expect_readable ? LA_REGION_CHECK_VERIFIED : LA_REGION_CHECK_UNVERIFIABLE;
    if (info.range != want || info.contiguity != want) return 11;
    if (expect_readable && (info.phys_base == 0 || info.contiguous_bytes < 4096)) return 12;
    if (!expect_readable && info.phys_base != 0) return 13;
    la_region_free(r);
    s = spec_of(4096);
    s.lowest = (uint64_t)1 << 62; /* no machine has RAM up there */
    s.highest = ((uint64_t)1 << 62) + (1 << 20);
    int e = la_region_alloc(&s, &r);
    if (expect_readable && e != ERANGE) return 14;
    if (!expect_readable) {
        if (e != 0) return 15;
        la_region_query(r, &info);
        if (info.range != LA_REGION_CHECK_UNVERIFIABLE) return 16;
        la_region_free(r);
        s.flags = LA_REGION_VERIFY;
        if (la_region_alloc(&s, &r) != ENOTSUP) return 17;
    }
    return 0;
}

static void t_physical_checks(void **state) {
    (void)state;
    /* Are frame numbers readable here? Ask through a throwaway region. */
    la_region_spec_t s = spec_of(4096);
    la_region_t *r;
    assert_int_equal(la_region_alloc(&s, &r), 0);
    la_region_info_t info;
    la_region_query(r, &info);
    bool readable = info.phys_base != 0;
    la_region_free(r);
    assert_int_equal(physical_checks(readable), 0);
    if (!readable || geteuid() != 0) return;
    /* As root, also the unprivileged view: a child that drops to nobody. */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!la_test_become_nobody()) _exit(50);
        _exit(physical_checks(false));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 50) return;
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* No hugetlb pages reserved for a size: LA_REGION_HUGE falls back (counted, shown),
 * HUGE_ONLY and CONTIGUOUS refuse with ENOMEM. Uses a size whose pool is empty. */
static void t_huge_fallback_without_reserved_pages(void **state) {
    (void)state;
    la_huge_avail_t av[8];
    size_t n = 0;
    assert_int_equal(la_region_huge_preflight(av, 8, &n), 0);
    size_t hs = 0;
    for (size_t i = 0; i < n; ++i)
        if (av[i].free == 0) hs = av[i].size;
    if (!hs) skip(); /* every size has free pages: nothing to fall back from */
    la_region_stats_t s0, s1;
    la_region_stats_get(&s0);
    la_region_spec_t s = spec_of(hs);
    s.flags = LA_REGION_HUGE;
    s.huge_size = hs;
    la_region_t *r;
    assert_int_equal(la_region_alloc(&s, &r), 0);
    la_region_info_t info;
    la_region_query(r, &info);
    assert_true(info.huge_fallback);
    assert_int_equal(info.huge_size, 0);
    assert_int_equal(info.page_size, page_size());
    la_region_free(r);
    la_region_stats_get(&s1);
    assert_int_equal(s1.huge_asked - s0.huge_asked, 1);
    assert_int_equal(s1.huge_given - s0.huge_given, 0);
    assert_int_equal((s1.thp_fallbacks - s0.thp_fallbacks) + (s1.base_fallbacks - s0.base_fallbacks), 1);
    s.flags = LA_REGION_HUGE | LA_REGION_HUGE_ONLY;
    assert_int_equal(la_region_alloc(&s, &r), ENOMEM);
    s.flags = LA_REGION_CONTIGUOUS;
    s.huge_size = 0;
    if (hs == av[0].size && av[0].free == 0) assert_int_equal(la_region_alloc(&s, &r), ENOMEM);
}

static void t_preflight(void **state) {
    (void)state;
    size_t n = 0;
    int e = la_region_huge_preflight(NULL, 0, &n);
    assert_int_equal(e, n ? ENOBUFS : 0);
    la_huge_avail_t av[8];
    size_t m;
    assert_int_equal(la_region_huge_preflight(av, 8, &m), 0);
    assert_int_equal(m, n);
    for (size_t i = 0; i < m; ++i) {
        assert_true(av[i].size > page_size());
        assert_true(av[i].free <= av[i].total);
        if (i) assert_true(av[i].size > av[i - 1].size);
    }
    assert_int_equal(la_region_huge_preflight(NULL, 3, &m), EINVAL);
}

static void t_node(void **state) {
    (void)state;
    la_region_spec_t s = spec_of(1 << 16);
    s.node = 0;
    la_region_t *r;
    int e = la_region_alloc(&s, &r);
    if (e == EINVAL) skip(); /* node 0 has no memory here */
    assert_int_equal(e, 0);
    la_region_info_t info;
    la_region_query(r, &info);
    assert_true(info.node == 0 || info.node == LA_NODE_ANY);
    la_region_free(r);
}

static void t_locked(void **state) {
    (void)state;
    uint64_t before = la_test_status_kib("VmLck");
    la_region_spec_t s = spec_of(256 * 1024);
    s.flags = LA_REGION_LOCKED;
    la_region_t *r;
    int e = la_region_alloc(&s, &r);
    if (e == ENOMEM) skip(); /* a tiny RLIMIT_MEMLOCK: covered by the fault test */
    assert_int_equal(e, 0);
    la_region_info_t info;
    la_region_query(r, &info);
    assert_true(info.locked);
    assert_true(la_test_status_kib("VmLck") >= before + 256);
    la_region_stats_t st;
    la_region_stats_get(&st);
    assert_true(st.bytes_locked >= 256 * 1024);
    la_region_free(r);
    assert_int_equal(la_test_status_kib("VmLck"), before);
}

static void t_executable_forms(void **state) {
    (void)state;
    char perms[5];
    la_region_spec_t s = spec_of(8192);
    s.flags = LA_REGION_EXECUTE;
    la_region_t *r;
    assert_int_equal(la_region_alloc(&s, &r), 0);
    la_region_info_t info;
    la_region_query(r, &info);
    assert_ptr_equal(info.exec_base, info.base);
    perms_of(info.base, perms);
    if (!perms[0]) skip();
    assert_string_equal(perms, "rw-p"); /* starts writable, not executable */
    memset(info.base, 0x90, 64);
    int e = la_region_protect(r, LA_REGION_PROT_RX);
    if (e == EACCES) skip(); /* this system refuses executable memory */
    assert_int_equal(e, 0);
    perms_of(info.base, perms);
    assert_string_equal(perms, "r-xp"); /* executable, never writable at the same time */
    assert_int_equal(la_region_protect(r, LA_REGION_PROT_RW), 0);
    perms_of(info.base, perms);
    assert_string_equal(perms, "rw-p");
    assert_int_equal(la_region_protect(r, (la_region_prot_t)5), EINVAL);
    la_region_free(r);

    /* Not executable unless asked: protect refuses. */
    s.flags = 0;
    assert_int_equal(la_region_alloc(&s, &r), 0);
    assert_int_equal(la_region_protect(r, LA_REGION_PROT_RX), EINVAL);
    la_region_free(r);

    /* Dual view: writable here, executable there, same bytes. */
    s.flags = LA_REGION_EXECUTE | LA_REGION_DUAL_VIEW;
    e = la_region_alloc(&s, &r);
    if (e == EACCES) skip();
    assert_int_equal(e, 0);
    la_region_query(r, &info);
    assert_non_null(info.exec_base);
    assert_ptr_not_equal(info.exec_base, info.base);
    unsigned char *w = info.base;
    const unsigned char *x = info.exec_base;
    for (int i = 0; i < 256; ++i) w[i] = (unsigned char)(i ^ 0x5a);
    for (int i = 0; i < 256; ++i) assert_int_equal(x[i], (unsigned char)(i ^ 0x5a));
    perms_of(w, perms);
    assert_int_equal(perms[2], '-');
    perms_of(x, perms);
    assert_int_equal(perms[1], '-');
    assert_int_equal(perms[2], 'x');
    assert_int_equal(la_region_protect(r, LA_REGION_PROT_RX), EINVAL); /* dual: nothing to flip */
    la_region_free(r);
}

static void t_free_by_base_and_misuse(void **state) {
    (void)state;
    la_region_spec_t s = spec_of(4096);
    la_region_t *r;
    assert_int_equal(la_region_alloc(&s, &r), 0);
    void *base = la_region_base(r);
    la_region_stats_t s0, s1;
    la_region_stats_get(&s0);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_region_free_base((char *)base + 4096 * 1000); /* never a region */
    la_region_free_base((char *)base + 16);          /* inside, not the base */
    assert_int_equal(la_test_fatal_trap_end(), 2);
    const char *out = la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_POINTER);
    assert_non_null(strstr(out, "not the base of a live region"));
    la_region_stats_get(&s1);
    assert_int_equal(s1.regions_live, s0.regions_live); /* nothing modified */
    la_region_free_base(base);
    la_region_stats_get(&s1);
    assert_int_equal(s1.regions_live, s0.regions_live - 1);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_region_free_base(base); /* twice */
    la_region_free(r);          /* the handle too */
    assert_int_equal(la_test_fatal_trap_end(), 2);
    la_test_capture_end();
    la_region_free(NULL);
    la_region_free_base(NULL);
    assert_int_equal(la_region_query(NULL, NULL), EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        cmocka_unit_test(t_pageable_basics),
        cmocka_unit_test(t_spec_validation),
        cmocka_unit_test(t_boundary_honoured),
        cmocka_unit_test(t_physical_checks),
        cmocka_unit_test(t_huge_fallback_without_reserved_pages),
        cmocka_unit_test(t_preflight),
        cmocka_unit_test(t_node),
        cmocka_unit_test(t_locked),
        cmocka_unit_test(t_executable_forms),
        cmocka_unit_test(t_free_by_base_and_misuse),
    };
    return la_test_run("region_api", tests);
}
