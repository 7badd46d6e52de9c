/* Platform layer, capabilities: every field of la_prim_caps() agrees with an
 * independent reading of the same fact (sysconf, getrlimit, sysfs, capget, the
 * S-list's CPU check), la_prim_caps_refresh() picks up changes (memlock limit and
 * privilege, pagemap access, huge page counts), the per-thread copies stay
 * consistent while other threads refresh, and la_prim_rss_bytes follows touched
 * memory. */
#define _GNU_SOURCE
#include "test_prim_support.h"

#include "prim/cas16.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/resource.h>

static void t_page_size_and_cpus(void **state) {
    (void)state;
    const la_prim_caps_t *c = la_prim_caps();
    assert_int_equal(c->page_size, (size_t)getpagesize());
    assert_true(LA_IS_POW2(c->page_size));
    assert_int_equal(c->cpu_count, (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
    assert_true(c->cpu_count >= 1);
    assert_ptr_equal(la_prim_caps(), c); /* cached: same copy for this thread */
}

static void t_cas16_comes_from_the_cpu_check(void **state) {
    (void)state;
    assert_int_equal(la_prim_caps()->cas16, lai_prim_cas16_supported());
}

static void t_huge_sizes_match_sysfs(void **state) {
    (void)state;
    const la_prim_caps_t *c = la_prim_caps_refresh();
    size_t sizes[32];
    unsigned seen = 0;
    DIR *d = opendir("/sys/kernel/mm/hugepages");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL && seen < LA_ARRAY_SIZE(sizes)) {
            unsigned long long kb;
            if (sscanf(e->d_name, "hugepages-%llukB", &kb) == 1) sizes[seen++] = (size_t)kb * 1024;
        }
        closedir(d);
    }
    assert_int_equal(c->huge_size_count, seen < LA_PRIM_MAX_HUGE_SIZES ? seen : LA_PRIM_MAX_HUGE_SIZES);
    /* Every size the kernel offers is listed, unless it is larger than the ones kept. */
    for (unsigned k = 0; k < seen; ++k) {
        unsigned smaller = 0;
        for (unsigned j = 0; j < seen; ++j) smaller += sizes[j] < sizes[k];
        bool found = false;
        for (unsigned i = 0; i < c->huge_size_count; ++i) found |= c->huge[i].size == sizes[k];
        if (!found && smaller < LA_PRIM_MAX_HUGE_SIZES) fail_msg("huge size %zu missing", sizes[k]);
    }
    for (unsigned i = 0; i < c->huge_size_count; ++i) {
        assert_true(LA_IS_POW2(c->huge[i].size));
        assert_true(c->huge[i].size > c->page_size);
        if (i) assert_true(c->huge[i].size > c->huge[i - 1].size); /* ascending */
        assert_true(c->huge[i].free <= c->huge[i].total);
        char path[160], buf[64];
        snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%zukB/nr_hugepages",
                 c->huge[i].size / 1024);
        assert_true(prim_read_file(path, buf, sizeof buf) > 0);
        assert_int_equal(c->huge[i].total, (size_t)atoll(buf));
    }
}

static void t_thp_matches_sysfs(void **state) {
    (void)state;
    const la_prim_caps_t *c = la_prim_caps();
    char buf[128];
    if (prim_read_file("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof buf) == 0) {
        assert_false(c->thp_enabled);
        assert_int_equal(c->thp_size, 0);
        return;
    }
    bool on = strstr(buf, "[always]") || strstr(buf, "[madvise]");
    assert_int_equal(c->thp_enabled, on);
    if (prim_read_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", buf, sizeof buf) > 0)
        assert_int_equal(c->thp_size, (size_t)atoll(buf));
}

static void t_memlock_limit_and_refresh(void **state) {
    (void)state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
    const la_prim_caps_t *c = la_prim_caps_refresh();
    uint64_t want = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
    assert_int_equal(c->memlock_limit, want);
    if (rl.rlim_cur == 0) skip();
    /* Lower the soft limit (it can be raised back up to the hard limit). */
    struct rlimit lower = {rl.rlim_cur == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_cur / 2, rl.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &lower), 0);
    assert_int_equal(la_prim_caps()->memlock_limit, want); /* cached until refreshed */
    c = la_prim_caps_refresh();
    assert_int_equal(c->memlock_limit, (uint64_t)lower.rlim_cur);
    assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
    assert_int_equal(la_prim_caps_refresh()->memlock_limit, want);
}

static bool have_cap(int cap) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) != 0) return false;
    return (d[cap / 32].effective >> (cap % 32)) & 1;
}

static int drop_privilege_child(void *arg) {
    (void)arg;
    if (have_cap(CAP_IPC_LOCK) && prim_drop_cap(CAP_IPC_LOCK) != 0) return 10;
    if (have_cap(CAP_SYS_ADMIN) && prim_drop_cap(CAP_SYS_ADMIN) != 0) return 11;
    const la_prim_caps_t *c = la_prim_caps_refresh();
    if (c->memlock_exempt) return 12;
    if (c->pagemap_pfn) return 13;
    return 0;
}

static void t_privilege_flags(void **state) {
    (void)state;
    const la_prim_caps_t *c = la_prim_caps_refresh();
    assert_int_equal(c->memlock_exempt, have_cap(CAP_IPC_LOCK));
    /* pagemap shows frame numbers exactly to CAP_SYS_ADMIN in the initial user
     * namespace (uid_map "0 0 4294967295"). */
    char map[128];
    bool init_ns = prim_read_file("/proc/self/uid_map", map, sizeof map) > 0 &&
                   strstr(map, "4294967295") != NULL;
    if (have_cap(CAP_SYS_ADMIN) && init_ns) assert_true(c->pagemap_pfn);
    if (!have_cap(CAP_SYS_ADMIN)) assert_false(c->pagemap_pfn);
    int st = prim_child(drop_privilege_child, NULL);
    if (!prim_child_exited(st, 0)) fail_msg("child status 0x%x", st);
}

/* ---- per-thread copies under concurrent refresh ------------------------------------------- */

static _Atomic int refresh_stop;
static _Atomic int refresh_bad;
static size_t main_page_size;

static void *refresher(void *arg) {
    (void)arg;
    for (int i = 0; i < 200 && !atomic_load(&refresh_stop); ++i) {
        const la_prim_caps_t *c = la_prim_caps_refresh();
        if (c->page_size != main_page_size || c->numa_node_count == 0) atomic_fetch_add(&refresh_bad, 1);
    }
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    const la_prim_caps_t *mine = la_prim_caps();
    for (int i = 0; i < 20000; ++i) {
        const la_prim_caps_t *c = la_prim_caps();
        if (c != mine || c->page_size != main_page_size || c->cpu_count == 0 ||
            c->huge_size_count > LA_PRIM_MAX_HUGE_SIZES)
            atomic_fetch_add(&refresh_bad, 1);
    }
    return NULL;
}

static void t_concurrent_refresh_and_read(void **state) {
    (void)state;
    main_page_size = la_prim_caps()->page_size;
    pthread_t r1, r2, w;
    assert_int_equal(pthread_create(&w, NULL, refresher, NULL), 0);
    assert_int_equal(pthread_create(&r1, NULL, reader, NULL), 0);
    assert_int_equal(pthread_create(&r2, NULL, reader, NULL), 0);
    pthread_join(r1, NULL);
    pthread_join(r2, NULL);
    atomic_store(&refresh_stop, 1);
    pthread_join(w, NULL);
    assert_int_equal(atomic_load(&refresh_bad), 0);
}

static uint64_t other_thread_limit;
static const void *other_thread_copy;

static void *read_limit(void *arg) {
    (void)arg;
    other_thread_copy = la_prim_caps();
    other_thread_limit = la_prim_caps()->memlock_limit;
    return NULL;
}

static void t_refresh_reaches_other_threads(void **state) {
    (void)state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
    if (rl.rlim_cur == 0) skip();
    struct rlimit lower = {rl.rlim_cur == RLIM_INFINITY ? (rlim_t)3 << 20 : rl.rlim_cur / 4, rl.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &lower), 0);
    la_prim_caps_refresh();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, read_limit, NULL), 0);
    pthread_join(t, NULL);
    assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
    la_prim_caps_refresh();
    assert_int_equal(other_thread_limit, (uint64_t)lower.rlim_cur);
    assert_ptr_not_equal(other_thread_copy, la_prim_caps()); /* each thread has its own copy */
}

/* ---- RSS ------------------------------------------------------------------------------------- */

static void t_rss_follows_touched_memory(void **state) {
    (void)state;
    size_t size = 32u << 20;
    char *p;
    uint64_t before, after;
    assert_int_equal(la_prim_map(size, 0, (void **)&p), 0);
    assert_int_equal(la_prim_rss_bytes(&before), 0);
    assert_true(before > 0);
    memset(p, 1, size);
    assert_int_equal(la_prim_rss_bytes(&after), 0);
    if (after < before + size * 3 / 4)
        fail_msg("RSS %llu -> %llu after touching %zu bytes", (unsigned long long)before,
                 (unsigned long long)after, size);
    assert_int_equal(la_prim_release(p, size), 0);
    assert_int_equal(la_prim_rss_bytes(NULL), EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_page_size_and_cpus),
        cmocka_unit_test(t_cas16_comes_from_the_cpu_check),
        cmocka_unit_test(t_huge_sizes_match_sysfs),
        cmocka_unit_test(t_thp_matches_sysfs),
        cmocka_unit_test(t_memlock_limit_and_refresh),
        cmocka_unit_test(t_privilege_flags),
        cmocka_unit_test(t_concurrent_refresh_and_read),
        cmocka_unit_test(t_refresh_reaches_other_threads),
        cmocka_unit_test(t_rss_follows_touched_memory),
    };
    return la_test_run("prim_caps", tests);
}
