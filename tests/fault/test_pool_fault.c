/* Pool failures that come from the system: RLIMIT_MEMLOCK exhausted for locked
 * memory, and a system that refuses executable mappings. Each must fail with a
 * clear errno, be counted for the tag, and leave nothing behind (no block counted
 * as outstanding, no page left locked, later allocations fine). */
#define _GNU_SOURCE
#include "test_support.h"

#include "pool_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* In a child: lower the limit, exhaust it, check, clean up. Returns an exit code
 * naming the first check that failed (0 = all good). */
static int memlock_child(size_t block) {
    /* Root ignores RLIMIT_MEMLOCK (CAP_IPC_LOCK): become nobody to feel it. */
    if (!la_test_become_nobody()) return 50;
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return 51;
    rlim_t want = 512 * 1024;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) want = rl.rlim_max;
    if (want < 2 * 65536 + 2 * block) return 50; /* too small a hard limit to show anything */
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) return 51;
    la_tag_t tag = LA_TAG('M', 'l', 'c', 'k');
    static void *v[4096];
    int n = 0, err = 0;
    while (n < 4096) {
        errno = 0;
        v[n] = la_pool_alloc(LA_POOL_LOCKED, block, tag, 0);
        if (!v[n]) {
            err = errno;
            break;
        }
        memset(v[n], 1, block);
        n++;
    }
    if (n == 4096) return 52;      /* the limit never bit */
    if (err != ENOMEM) return 53;  /* ENOMEM-style error */
    if (n == 0) return 54;         /* some locked memory must have fit */
    la_pool_tag_info_t info;
    if (la_pool_tag_query(tag, LA_POOL_KIND_LOCKED, &info) != 0) return 55;
    if (info.failures != 1 || info.allocs != (uint64_t)n || info.outstanding != (uint64_t)n) return 56;
    /* Paged memory of the same tag is unaffected. */
    void *paged = la_pool_alloc(LA_POOL_PAGED, block, tag, 0);
    if (!paged) return 57;
    la_pool_free(paged);
    for (int i = 0; i < n; ++i) la_pool_free(v[i]);
    la_pool_trim();
    if (la_pool_tag_query(tag, LA_POOL_KIND_LOCKED, &info) != 0) return 58;
    if (info.outstanding != 0 || info.bytes != 0) return 59;
    la_pool_stats_t st;
    la_pool_stats_get(&st);
    if (st.bytes_locked != 0) return 60;   /* nothing leaked: every page unlocked */
    if (la_test_status_kib("VmLck") != 0) return 61;
    /* And the limit is usable again. */
    void *again = la_pool_alloc(LA_POOL_LOCKED, block, tag, 0);
    if (!again) return 62;
    la_pool_free(again);
    return 0;
}

static void run_memlock(size_t block) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(memlock_child(block));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 50) skip();
    if (WEXITSTATUS(status) != 0) print_error("memlock child (block %zu) failed check %d\n", block, WEXITSTATUS(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void t_memlock_exhausted_small(void **state) {
    (void)state;
    run_memlock(1000);
}

static void t_memlock_exhausted_big(void **state) {
    (void)state;
    run_memlock(100000);
}

static void t_exec_refused(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('N', 'o', 'E', 'x');
    atomic_store(&lai_pool_refuse_exec, 1);
    const size_t sizes[] = {32, 100000};
    for (size_t i = 0; i < 2; ++i) {
        errno = 0;
        assert_null(la_pool_alloc(LA_POOL_PAGED | LA_POOL_EXECUTE, sizes[i], tag, 0));
        assert_int_equal(errno, EACCES);
    }
    la_pool_tag_info_t info;
    assert_int_equal(la_pool_tag_query(tag, LA_POOL_KIND_PAGED_EXEC, &info), 0);
    assert_int_equal(info.failures, 2);
    assert_int_equal(info.outstanding, 0);
    la_pool_stats_t st;
    la_pool_stats_get(&st);
    assert_int_equal(st.bytes_mapped, 0); /* nothing was mapped (first pool use here) */
    /* Non-executable memory is unaffected; executable works once allowed. */
    void *p = la_pool_alloc(LA_POOL_PAGED, 32, tag, 0);
    assert_non_null(p);
    la_pool_free(p);
    atomic_store(&lai_pool_refuse_exec, 0);
    p = la_pool_alloc(LA_POOL_PAGED | LA_POOL_EXECUTE, 32, tag, 0);
    if (!p && errno == EACCES) skip(); /* the system itself refuses */
    assert_non_null(p);
    la_pool_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_exec_refused), /* first: needs a process with no pool memory yet */
        cmocka_unit_test(t_memlock_exhausted_small),
        cmocka_unit_test(t_memlock_exhausted_big),
    };
    return la_test_run("pool_fault", tests);
}
