/* Region failures from the system: RLIMIT_MEMLOCK exhausted for locked regions,
 * and a system that refuses executable mappings. Each fails with a clear errno,
 * is counted, and leaves nothing behind (no live region, nothing locked). */
#define _GNU_SOURCE
#include "test_support.h"

#include "region_impl.h"

#include <lookaside/region.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int memlock_child(void) {
    if (!la_test_become_nobody())
        return 50;
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return 51;
    rlim_t want = 1 << 20;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) want = rl.rlim_max;
    if (want < 512 * 1024) return 50; /* too small a hard limit to show anything */
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) return 51;
    la_region_spec_t s;
    memset(&s, 0, sizeof s);
    s.size = 256 * 1024;
    s.node = LA_NODE_ANY;
    s.flags = LA_REGION_LOCKED;
    la_region_t *r[16];
    int n = 0, e = 0;
    while (n < 16 && (e = la_region_alloc(&s, &r[n])) == 0) n++;
    if (n == 16) return 52;
    if (e != ENOMEM) return 53;
    if (n < 1) return 54;
    la_region_stats_t st;
    la_region_stats_get(&st);
    if (st.lock_failures != 1 || st.failures != 1 || st.regions_live != (uint64_t)n) return 55;
    if (st.bytes_locked != (uint64_t)n * s.size) return 56;
    while (n > 0) la_region_free(r[--n]);
    la_region_stats_get(&st);
    if (st.regions_live != 0 || st.bytes_locked != 0) return 57;
    if (la_test_status_kib("VmLck") != 0) return 58;
    if (la_region_alloc(&s, &r[0]) != 0) return 59; /* usable again */
    la_region_free(r[0]);
    return 0;
}

static void t_memlock_exhausted(void **state) {
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(memlock_child());
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 50) skip();
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void t_exec_refused(void **state) {
    (void)state;
    la_region_stats_t s0, s1;
    la_region_stats_get(&s0);
    atomic_store(&lai_region_refuse_exec, 1);
    la_region_spec_t s;
    memset(&s, 0, sizeof s);
    s.size = 8192;
    s.node = LA_NODE_ANY;
    s.flags = LA_REGION_EXECUTE | LA_REGION_DUAL_VIEW;
    la_region_t *r = NULL;
    assert_int_equal(la_region_alloc(&s, &r), EACCES);
    /* The W^X form maps (writable), but refuses to become executable. */
    s.flags = LA_REGION_EXECUTE;
    assert_int_equal(la_region_alloc(&s, &r), 0);
    assert_int_equal(la_region_protect(r, LA_REGION_PROT_RX), EACCES);
    memset(la_region_base(r), 1, 8192); /* still writable: nothing changed */
    la_region_free(r);
    la_region_stats_get(&s1);
    assert_int_equal(s1.failures - s0.failures, 1);
    assert_int_equal(s1.regions_live, s0.regions_live);
    atomic_store(&lai_region_refuse_exec, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_memlock_exhausted),
        cmocka_unit_test(t_exec_refused),
    };
    return la_test_run("region_fault", tests);
}
