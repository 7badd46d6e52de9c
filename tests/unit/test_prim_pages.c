/* Platform layer, address space: reserve / commit / decommit / discard / release /
 * protect / map, locking pages in RAM, and the dual RW+RX mapping. Every effect is
 * checked against the kernel's view (/proc/self/maps, /proc/self/status, mincore,
 * a fault in a forked child), and every documented error is provoked. */
#define _GNU_SOURCE
#include "test_prim_support.h"

#include <dirent.h>
#include <sys/resource.h>

static size_t ps;

static int setup(void **state) {
    (void)state;
    ps = la_prim_caps()->page_size;
    return 0;
}

static void assert_perms(const void *p, const char *want) {
    char got[5];
    assert_true(prim_maps_perms(p, got));
    if (strcmp(got, want) != 0) fail_msg("mapping at %p is %s, want %s", p, got, want);
}

static bool all_zero(const void *p, size_t n) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; ++i)
        if (c[i]) return false;
    return true;
}

/* ---- reserve ------------------------------------------------------------------------- */

static void t_reserve_aligns_and_is_inaccessible(void **state) {
    (void)state;
    const size_t aligns[] = {0, 64, 4096, 65536, 2u << 20, (size_t)1 << 30};
    for (size_t i = 0; i < LA_ARRAY_SIZE(aligns); ++i) {
        void *p = NULL;
        size_t size = 3 * ps;
        assert_int_equal(la_prim_reserve(size, aligns[i], &p), 0);
        size_t want = aligns[i] > ps ? aligns[i] : ps;
        assert_int_equal((uintptr_t)p % want, 0);
        assert_perms(p, "---p");
        assert_perms((char *)p + size - 1, "---p");
        assert_true(prim_expect_fault(p, false));
        assert_true(prim_expect_fault((char *)p + size - 1, true));
        assert_int_equal(la_prim_release(p, size), 0);
        assert_false(prim_is_mapped(p));
    }
}

static void t_reserve_trims_the_over_reservation(void **state) {
    (void)state;
    /* A 1 GiB alignment over-reserves ~1 GiB; all of it but `size` must go back. */
    long long before = prim_status_kb("VmSize");
    void *p;
    size_t size = 16 * ps;
    assert_int_equal(la_prim_reserve(size, (size_t)1 << 30, &p), 0);
    long long after = prim_status_kb("VmSize");
    assert_true(before > 0 && after > 0);
    long long grew = (after - before) * 1024;
    if (grew < (long long)size || grew >= (long long)(size + ((size_t)64 << 20)))
        fail_msg("VmSize grew by %lld bytes for a %zu-byte reservation", grew, size);
    assert_int_equal(la_prim_release(p, size), 0);
}

static void t_reserve_rejects_bad_arguments(void **state) {
    (void)state;
    void *p = (void *)0x1234;
    assert_int_equal(la_prim_reserve(0, 0, &p), EINVAL);
    assert_int_equal(la_prim_reserve(ps - 1, 0, &p), EINVAL);
    assert_int_equal(la_prim_reserve(ps + 1, 0, &p), EINVAL);
    assert_int_equal(la_prim_reserve(ps, 3 * ps, &p), EINVAL);      /* not a power of two */
    assert_int_equal(la_prim_reserve(ps, 12345, &p), EINVAL);
    assert_int_equal(la_prim_reserve(ps, 0, NULL), EINVAL);
    assert_ptr_equal(p, (void *)0x1234); /* out-parameter untouched on failure */
    size_t huge = SIZE_MAX & ~(ps - 1);
    assert_int_equal(la_prim_reserve(huge, 0, &p), ENOMEM);           /* no such space */
    assert_int_equal(la_prim_reserve(ps, (size_t)1 << 63, &p), ENOMEM); /* size+align overflows */
    assert_int_equal(la_prim_map(0, 0, &p), EINVAL);
    assert_int_equal(la_prim_map(huge, 0, &p), ENOMEM);
    assert_ptr_equal(p, (void *)0x1234);
}

/* ---- commit / decommit / discard ----------------------------------------------------- */

static void t_commit_makes_rw_zero_pages(void **state) {
    (void)state;
    char *p;
    assert_int_equal(la_prim_reserve(4 * ps, 0, (void **)&p), 0);
    assert_int_equal(la_prim_commit(p + ps, 2 * ps), 0);
    assert_perms(p, "---p");
    assert_perms(p + ps, "rw-p");
    assert_perms(p + 2 * ps, "rw-p");
    assert_perms(p + 3 * ps, "---p");
    assert_true(all_zero(p + ps, 2 * ps));
    memset(p + ps, 0xab, 2 * ps);
    /* Committing again keeps the contents. */
    assert_int_equal(la_prim_commit(p + ps, ps), 0);
    assert_int_equal((unsigned char)p[ps], 0xab);
    assert_true(prim_expect_fault(p, true));
    assert_true(prim_expect_no_fault(p + ps, true));
    assert_int_equal(la_prim_release(p, 4 * ps), 0);
}

static void t_commit_errors(void **state) {
    (void)state;
    char *p;
    assert_int_equal(la_prim_reserve(2 * ps, 0, (void **)&p), 0);
    assert_int_equal(la_prim_commit(p + 1, ps), EINVAL);
    assert_int_equal(la_prim_commit(p, 0), EINVAL);
    assert_int_equal(la_prim_commit(p, ps + 8), EINVAL);
    assert_perms(p, "---p"); /* nothing changed */
    assert_int_equal(la_prim_release(p, 2 * ps), 0);
    assert_int_equal(la_prim_commit(p, ps), ENOMEM); /* no longer mapped */
}

static void t_decommit_returns_pages_and_blocks_access(void **state) {
    (void)state;
    size_t size = 8u << 20;
    char *p;
    assert_int_equal(la_prim_reserve(size, 0, (void **)&p), 0);
    assert_int_equal(la_prim_commit(p, size), 0);
    memset(p, 0x5a, size);
    uint64_t rss_full, rss_after;
    assert_int_equal(la_prim_rss_bytes(&rss_full), 0);
    assert_int_equal(la_prim_decommit(p, size), 0);
    assert_int_equal(la_prim_rss_bytes(&rss_after), 0);
    if (rss_full < rss_after + size / 2)
        fail_msg("RSS only fell from %llu to %llu after decommitting %zu bytes",
                 (unsigned long long)rss_full, (unsigned long long)rss_after, size);
    assert_perms(p, "---p");
    assert_true(prim_expect_fault(p + 12345, false));
    /* Still reserved: commit again and it reads zero. */
    assert_int_equal(la_prim_commit(p, size), 0);
    assert_true(all_zero(p, size));
    assert_int_equal(la_prim_release(p, size), 0);
}

static void t_decommit_errors(void **state) {
    (void)state;
    char *p;
    assert_int_equal(la_prim_map(2 * ps, 0, (void **)&p), 0);
    p[0] = 7;
    assert_int_equal(la_prim_decommit(p + 8, ps), EINVAL);
    assert_int_equal(la_prim_decommit(p, 0), EINVAL);
    assert_int_equal(p[0], 7); /* nothing dropped */
    assert_perms(p, "rw-p");
    assert_int_equal(la_prim_release(p, 2 * ps), 0);
    assert_int_equal(la_prim_decommit(p, ps), ENOMEM);
}

static void t_discard_keeps_mapping_and_zeroes(void **state) {
    (void)state;
    size_t size = 8u << 20;
    char *p;
    assert_int_equal(la_prim_map(size, 0, (void **)&p), 0);
    memset(p, 0x77, size);
    uint64_t rss_full, rss_after;
    assert_int_equal(la_prim_rss_bytes(&rss_full), 0);
    assert_int_equal(la_prim_discard(p, size), 0);
    assert_int_equal(la_prim_rss_bytes(&rss_after), 0);
    if (rss_full < rss_after + size / 2)
        fail_msg("RSS only fell from %llu to %llu after discarding %zu bytes",
                 (unsigned long long)rss_full, (unsigned long long)rss_after, size);
    assert_perms(p, "rw-p");
    assert_true(all_zero(p, size));
    p[100] = 1; /* still writable */
    assert_int_equal(p[100], 1);
    assert_int_equal(la_prim_discard(p + 1, ps), EINVAL);
    assert_int_equal(la_prim_discard(p, 0), EINVAL);
    assert_int_equal(p[100], 1);
    assert_int_equal(la_prim_release(p, size), 0);
}

/* ---- release / protect / map ------------------------------------------------------------- */

static void t_release_whole_and_part(void **state) {
    (void)state;
    char *p;
    assert_int_equal(la_prim_map(3 * ps, 0, (void **)&p), 0);
    assert_int_equal(la_prim_release(p + ps, ps), 0); /* punch the middle */
    assert_true(prim_is_mapped(p));
    assert_false(prim_is_mapped(p + ps));
    assert_true(prim_is_mapped(p + 2 * ps));
    assert_int_equal(la_prim_release(p + 1, ps), EINVAL);
    assert_int_equal(la_prim_release(p, 0), EINVAL);
    assert_int_equal(la_prim_release(p, 3 * ps), 0); /* holes are fine */
    assert_false(prim_is_mapped(p));
    assert_false(prim_is_mapped(p + 2 * ps));
    assert_int_equal(la_prim_release(p, 3 * ps), 0); /* already gone: not an error */
}

static void t_protect_each_mode(void **state) {
    (void)state;
    char *p;
    assert_int_equal(la_prim_map(ps, 0, (void **)&p), 0);
    p[0] = 42;
    assert_int_equal(la_prim_protect(p, ps, LA_PRIM_PROT_NONE), 0);
    assert_perms(p, "---p");
    assert_true(prim_expect_fault(p, false));
    assert_int_equal(la_prim_protect(p, ps, LA_PRIM_PROT_READ), 0);
    assert_perms(p, "r--p");
    assert_int_equal(p[0], 42);
    assert_true(prim_expect_fault(p + 1, true));
    assert_int_equal(la_prim_protect(p, ps, LA_PRIM_PROT_RX), 0);
    assert_perms(p, "r-xp");
    assert_true(prim_expect_fault(p + 2, true));
    assert_int_equal(la_prim_protect(p, ps, LA_PRIM_PROT_RW), 0);
    assert_perms(p, "rw-p");
    p[1] = 1;
    assert_int_equal(p[0], 42); /* contents survive protection changes */
    assert_int_equal(la_prim_release(p, ps), 0);
}

static void t_protect_errors(void **state) {
    (void)state;
    char *p;
    assert_int_equal(la_prim_map(ps, 0, (void **)&p), 0);
    assert_int_equal(la_prim_protect(p, ps, (la_prim_prot_t)7), EINVAL);
    assert_int_equal(la_prim_protect(p, ps, (la_prim_prot_t)-1), EINVAL);
    assert_int_equal(la_prim_protect(p + 1, ps, LA_PRIM_PROT_NONE), EINVAL);
    assert_int_equal(la_prim_protect(p, 0, LA_PRIM_PROT_NONE), EINVAL);
    assert_perms(p, "rw-p"); /* unchanged */
    assert_int_equal(la_prim_release(p, ps), 0);
    assert_int_equal(la_prim_protect(p, ps, LA_PRIM_PROT_READ), ENOMEM);
}

static int protect_rx_denied_child(void *arg) {
    (void)arg;
    char *p;
    if (la_prim_map(ps, 0, (void **)&p) != 0) return 1;
    if (prim_deny_exec() != 0) return 2;
    if (la_prim_protect(p, ps, LA_PRIM_PROT_RX) != EACCES) return 3;
    char perms[5];
    if (!prim_maps_perms(p, perms) || strcmp(perms, "rw-p") != 0) return 4;
    if (la_prim_protect(p, ps, LA_PRIM_PROT_READ) != 0) return 5; /* others still work */
    return 0;
}

static void t_protect_rx_refused_is_eacces(void **state) {
    (void)state;
    assert_true(prim_child_exited(prim_child(protect_rx_denied_child, NULL), 0));
}

static void t_map_is_rw_aligned_zero(void **state) {
    (void)state;
    char *p;
    size_t size = 5 * ps;
    assert_int_equal(la_prim_map(size, 2u << 20, (void **)&p), 0);
    assert_int_equal((uintptr_t)p % (2u << 20), 0);
    assert_perms(p, "rw-p");
    assert_true(all_zero(p, size));
    memset(p, 1, size);
    assert_int_equal(la_prim_release(p, size), 0);
}

/* ---- locking pages ------------------------------------------------------------------------- */

static void t_lock_and_unlock_pages(void **state) {
    (void)state;
    size_t size = 64 * ps;
    char *p;
    assert_int_equal(la_prim_map(size, 0, (void **)&p), 0);
    long long before = prim_status_kb("VmLck");
    assert_true(before >= 0);
    int e = la_prim_lock_pages(p, size);
    if (e == EPERM || e == ENOMEM) {
        /* An unprivileged run with a small limit: the error paths are covered below. */
        assert_int_equal(prim_status_kb("VmLck"), before);
        assert_int_equal(la_prim_release(p, size), 0);
        skip();
    }
    assert_int_equal(e, 0);
    assert_int_equal(prim_status_kb("VmLck"), before + (long long)(size / 1024));
    assert_int_equal(la_prim_unlock_pages(p, size), 0);
    assert_int_equal(prim_status_kb("VmLck"), before);
    assert_int_equal(la_prim_lock_pages(p + 1, ps), EINVAL);
    assert_int_equal(la_prim_lock_pages(p, 0), EINVAL);
    assert_int_equal(la_prim_unlock_pages(p + 1, ps), EINVAL);
    assert_int_equal(la_prim_release(p, size), 0);
    assert_int_equal(la_prim_unlock_pages(p, size), ENOMEM); /* not mapped */
    assert_int_equal(la_prim_lock_pages(p, size), ENOMEM);
}

static void t_lock_over_a_hole_leaves_nothing_locked(void **state) {
    (void)state;
    /* The kernel locks the mapping before the hole, then fails: we must undo it. */
    char *p;
    assert_int_equal(la_prim_map(3 * ps, 0, (void **)&p), 0);
    assert_int_equal(la_prim_release(p + ps, ps), 0);
    long long before = prim_status_kb("VmLck");
    assert_int_equal(la_prim_lock_pages(p, 3 * ps), ENOMEM);
    assert_int_equal(prim_status_kb("VmLck"), before);
    assert_int_equal(la_prim_release(p, 3 * ps), 0);
}

/* In a child without CAP_IPC_LOCK and with RLIMIT_MEMLOCK lowered to `limit`,
 * locking 1 MiB must fail with `want` and leave VmLck at 0. */
typedef struct memlock_case {
    rlim_t limit;
    int want;
} memlock_case_t;

static int memlock_child(void *arg) {
    const memlock_case_t *mc = arg;
    if (geteuid() == 0 && prim_drop_cap(CAP_IPC_LOCK) != 0) return 10;
    struct rlimit rl = {mc->limit, mc->limit};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) return 11;
    const la_prim_caps_t *c = la_prim_caps_refresh();
    if (c->memlock_limit != (uint64_t)mc->limit || c->memlock_exempt) return 12;
    size_t size = 1u << 20;
    char *p;
    if (la_prim_map(size, 0, (void **)&p) != 0) return 13;
    int e = la_prim_lock_pages(p, size);
    if (e != mc->want) return 20 + (e < 100 ? e : 99);
    if (prim_status_kb("VmLck") != 0) return 14;
    /* Within the limit it works. */
    if (mc->limit >= 2 * ps) {
        if (la_prim_lock_pages(p, ps) != 0) return 15;
        if (prim_status_kb("VmLck") != (long long)(ps / 1024)) return 16;
    }
    return 0;
}

static void t_lock_pages_over_memlock_limit_is_enomem(void **state) {
    (void)state;
    memlock_case_t mc = {64u << 10, ENOMEM};
    int st = prim_child(memlock_child, &mc);
    if (!prim_child_exited(st, 0)) fail_msg("child status 0x%x", st);
}

static void t_lock_pages_with_zero_limit_is_eperm(void **state) {
    (void)state;
    memlock_case_t mc = {0, EPERM};
    int st = prim_child(memlock_child, &mc);
    if (!prim_child_exited(st, 0)) fail_msg("child status 0x%x", st);
}

/* ---- dual mapping ------------------------------------------------------------------------- */

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d) return -1;
    while (readdir(d)) ++n;
    closedir(d);
    return n;
}

static void t_map_dual_shares_one_object(void **state) {
    (void)state;
    int fds = count_fds();
    size_t size = 2 * ps;
    unsigned char *rw, *rx;
    assert_int_equal(la_prim_map_dual(size, (void **)&rw, (void **)&rx), 0);
    assert_ptr_not_equal(rw, rx);
    assert_int_equal(count_fds(), fds); /* the descriptor is closed */
    assert_perms(rw, "rw-s");
    assert_perms(rx, "r-xs");
    assert_true(all_zero(rx, size));
    rw[0] = 0xc3;
    rw[size - 1] = 0x11;
    assert_int_equal(rx[0], 0xc3);
    assert_int_equal(rx[size - 1], 0x11);
    assert_true(prim_expect_fault(rx + 5, true)); /* the RX view is not writable */
#if defined(__x86_64__)
    /* Run code through the RX view: 0xc3 is `ret` on x86-64 (other CPUs: the
     * protection checks above stand in). */
    void (*fn)(void);
    void *code = rx;
    memcpy(&fn, &code, sizeof fn);
    fn();
    /* mov eax, 42; ret */
    const unsigned char ret42[] = {0xb8, 42, 0, 0, 0, 0xc3};
    memcpy(rw + 64, ret42, sizeof ret42);
    int (*fn42)(void);
    code = rx + 64;
    memcpy(&fn42, &code, sizeof fn42);
    assert_int_equal(fn42(), 42);
#endif
    assert_int_equal(la_prim_release(rw, size), 0);
    assert_int_equal(la_prim_release(rx, size), 0);
}

static void t_map_dual_errors(void **state) {
    (void)state;
    void *rw = (void *)1, *rx = (void *)2;
    assert_int_equal(la_prim_map_dual(0, &rw, &rx), EINVAL);
    assert_int_equal(la_prim_map_dual(ps + 1, &rw, &rx), EINVAL);
    assert_int_equal(la_prim_map_dual(ps, NULL, &rx), EINVAL);
    assert_int_equal(la_prim_map_dual(ps, &rw, NULL), EINVAL);
    assert_ptr_equal(rw, (void *)1);
    assert_ptr_equal(rx, (void *)2);
}

static bool maps_mention(const char *needle) {
    static char buf[1 << 20];
    prim_read_file("/proc/self/maps", buf, sizeof buf);
    return strstr(buf, needle) != NULL;
}

static int dual_denied_child(void *arg) {
    (void)arg;
    int fds = count_fds();
    if (prim_deny_exec() != 0) return 2;
    void *rw = (void *)1, *rx = (void *)2;
    int e = la_prim_map_dual(ps, &rw, &rx);
    if (e != EACCES) return 20 + (e < 100 ? e : 99);
    if (rw != (void *)1 || rx != (void *)2) return 3;
    if (maps_mention("lookaside-dual")) return 4; /* RW view left behind */
    if (count_fds() != fds) return 5;             /* descriptor leaked */
    return 0;
}

static void t_map_dual_refused_is_eacces_and_leaves_nothing(void **state) {
    (void)state;
    int st = prim_child(dual_denied_child, NULL);
    if (!prim_child_exited(st, 0)) fail_msg("child status 0x%x", st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_reserve_aligns_and_is_inaccessible),
        cmocka_unit_test(t_reserve_trims_the_over_reservation),
        cmocka_unit_test(t_reserve_rejects_bad_arguments),
        cmocka_unit_test(t_commit_makes_rw_zero_pages),
        cmocka_unit_test(t_commit_errors),
        cmocka_unit_test(t_decommit_returns_pages_and_blocks_access),
        cmocka_unit_test(t_decommit_errors),
        cmocka_unit_test(t_discard_keeps_mapping_and_zeroes),
        cmocka_unit_test(t_release_whole_and_part),
        cmocka_unit_test(t_protect_each_mode),
        cmocka_unit_test(t_protect_errors),
        cmocka_unit_test(t_protect_rx_refused_is_eacces),
        cmocka_unit_test(t_map_is_rw_aligned_zero),
        cmocka_unit_test(t_lock_and_unlock_pages),
        cmocka_unit_test(t_lock_over_a_hole_leaves_nothing_locked),
        cmocka_unit_test(t_lock_pages_over_memlock_limit_is_enomem),
        cmocka_unit_test(t_lock_pages_with_zero_limit_is_eperm),
        cmocka_unit_test(t_map_dual_shares_one_object),
        cmocka_unit_test(t_map_dual_errors),
        cmocka_unit_test(t_map_dual_refused_is_eacces_and_leaves_nothing),
    };
    return _cmocka_run_group_tests("prim_pages", tests, LA_ARRAY_SIZE(tests), setup, NULL);
}
