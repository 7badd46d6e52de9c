/* test_publish_cli.c — `lookaside stat`, `top` and `ls` against this process's
 * own publication: exact values in the text and JSON views, filters, sorting
 * usage errors, frames of `top`, `ls` listing live publishers and skipping dead
 * pids, and the error messages and exit codes for a missing file, a wrong layout
 * version and a file the user may not read. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LA_TOOL_PATH
#define LA_TOOL_PATH "lookaside"
#endif

static char out[1 << 17];

/* Run the tool with the NULL-terminated arguments, as `uid` when not -1; stdout
 * and stderr go to `out`. Returns the exit code (128 + signal if killed). */
static int tool(int uid, const char **args) {
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        if (uid != -1 && (setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0)) _exit(126);
        char *argv[16] = {"lookaside"};
        for (int i = 0; args[i] && i < 14; ++i) argv[i + 1] = (char *)(uintptr_t)args[i];
        execv(LA_TOOL_PATH, argv);
        _exit(127);
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd[0], out + n, sizeof out - 1 - n)) > 0) n += (size_t)r;
    out[n] = '\0';
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
#define TOOL(...) tool(-1, (const char *[]){__VA_ARGS__, NULL})
#define TOOL_AS(uid, ...) tool(uid, (const char *[]){__VA_ARGS__, NULL})

static la_lookaside_t *cache;
static void *blocks[3], *pool_block;
static char pidtxt[32], path[LA_PUBLISH_PATH_MAX];

static int setup(void **state) {
    (void)state;
    la_lookaside_tuner_enable(false);
    la_lookaside_params_t p = {.name = "cli-cache", .size = 100, .tag = LA_TAG('C', 'l', 'i', 'C')};
    assert_int_equal(la_lookaside_create(&p, &cache), 0);
    for (int i = 0; i < 3; ++i) blocks[i] = la_lookaside_alloc(cache);
    la_lookaside_free(cache, blocks[2]);
    blocks[2] = NULL;
    void *x = la_pool_alloc(LA_POOL_PAGED, 200, LA_TAG('C', 'l', 'i', 'P'), 0);
    pool_block = la_pool_alloc(LA_POOL_PAGED, 200, LA_TAG('C', 'l', 'i', 'P'), 0);
    la_pool_free(x);
    snprintf(pidtxt, sizeof pidtxt, "%d", (int)getpid());
    la_publish_default_path(0, path, sizeof path);
    assert_int_equal(la_publish_start(NULL, 0), 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    la_publish_stop();
    for (int i = 0; i < 3; ++i) la_lookaside_free(cache, blocks[i]);
    la_lookaside_destroy(cache);
    la_pool_free(pool_block);
    return 0;
}

static void t_stat_text(void **state) {
    (void)state;
    assert_int_equal(TOOL("stat", pidtxt), 0);
    assert_non_null(strstr(out, "Lookaside \"cli-cache\""));
    assert_non_null(strstr(out, "TotalAllocates =          3   TotalFrees =          1"));
    char row[128];
    snprintf(row, sizeof row, " CliP Paged %12d %12d %10d %14zu", 2, 1, 1, la_pool_block_size(pool_block));
    assert_non_null(strstr(out, row));
    char head[96];
    snprintf(head, sizeof head, "lookaside: process %s, publication 1,", pidtxt);
    assert_non_null(strstr(out, head));
    assert_int_equal(TOOL("stat", path), 0); /* a path works as well as a pid */
    assert_non_null(strstr(out, "Lookaside \"cli-cache\""));
}

static void t_stat_filters(void **state) {
    (void)state;
    assert_int_equal(TOOL("stat", pidtxt, "--tags", "Zz*"), 0);
    assert_null(strstr(out, "cli-cache"));
    assert_null(strstr(out, "CliP"));
    assert_int_equal(TOOL("stat", pidtxt, "--tags", "Cli?", "--sort", "b"), 0);
    assert_non_null(strstr(out, "cli-cache"));
    assert_non_null(strstr(out, "CliP"));
    assert_int_equal(TOOL("stat", pidtxt, "--json"), 0);
    assert_non_null(strstr(out, "\"name\":\"cli-cache\""));
    assert_non_null(strstr(out, "\"total_allocates\":3"));
    assert_non_null(strstr(out, "{\"tag\":\"CliP\""));
    assert_int_equal(out[0], '{');
    assert_int_equal(TOOL("stat", pidtxt, "--sort", "x"), 2);
    assert_non_null(strstr(out, "usage: lookaside stat"));
    assert_int_equal(TOOL("stat"), 2);
    assert_int_equal(TOOL("stat", pidtxt, "--bogus"), 2);
}

static void t_top(void **state) {
    (void)state;
    assert_int_equal(TOOL("top", pidtxt, "--count", "2", "--interval", "1"), 0);
    const char *a = strstr(out, "lookaside top: process");
    assert_non_null(a);
    assert_non_null(strstr(a + 1, "lookaside top: process")); /* two frames */
    assert_non_null(strstr(out, "cli-cache"));
    assert_non_null(strstr(out, "CliP"));
    assert_int_equal(TOOL("top", pidtxt, "--interval", "0"), 2);
}

static void t_ls(void **state) {
    (void)state;
    /* A publication left behind by a killed process is skipped. */
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0) {
        la_publish_stop(); /* the parent's publication is not the child's */
        char c = la_publish_start(NULL, 0) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1) _exit(1);
        for (;;) pause();
    }
    char c = 0;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    close(ready[1]);
    kill(dead, SIGKILL);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    assert_int_equal(c, 'y');
    char stale[LA_PUBLISH_PATH_MAX];
    la_publish_default_path((uint64_t)dead, stale, sizeof stale);
    assert_int_equal(access(stale, F_OK), 0); /* left behind */
    assert_int_equal(TOOL("ls"), 0);
    unlink(stale);
    assert_non_null(strstr(out, "PID"));
    char line[LA_PUBLISH_PATH_MAX + 16];
    snprintf(line, sizeof line, "  %s\n", path);
    assert_non_null(strstr(out, line));
    assert_null(strstr(out, stale));
    assert_int_equal(TOOL("ls", "extra"), 2);
}

static void copy_file(const char *from, const char *to, mode_t mode, int version_delta) {
    static unsigned char buf[1 << 16];
    int fd = open(from, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    assert_true(n > 16);
    uint32_t v;
    memcpy(&v, buf + 8, 4);
    v += (uint32_t)version_delta;
    memcpy(buf + 8, &v, 4);
    unlink(to);
    fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, (size_t)n), n);
    close(fd);
    assert_int_equal(chmod(to, mode), 0);
}

static void t_errors(void **state) {
    (void)state;
    assert_int_equal(TOOL("stat", "/dev/shm/la-test-cli-missing"), 1);
    assert_non_null(strstr(out, "lookaside: /dev/shm/la-test-cli-missing: no publication at that path"));
    assert_int_equal(TOOL("top", "/dev/shm/la-test-cli-missing", "--count", "1"), 1);
    assert_non_null(strstr(out, "no publication at that path"));

    const char *wrong = "/dev/shm/la-test-cli-version";
    copy_file(path, wrong, 0600, 1);
    assert_int_equal(TOOL("stat", wrong), 1);
    assert_non_null(strstr(out, "layout version not supported"));
    unlink(wrong);

    const char *secret = "/dev/shm/la-test-cli-secret";
    copy_file(path, secret, 0600, 0);
    int rc;
    if (geteuid() == 0) {
        rc = TOOL_AS(65534, "stat", secret); /* as "nobody": a 0600 root file */
    } else {
        assert_int_equal(chmod(secret, 0), 0);
        rc = TOOL("stat", secret);
    }
    unlink(secret);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "permission denied"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_stat_text), cmocka_unit_test(t_stat_filters), cmocka_unit_test(t_top),
        cmocka_unit_test(t_ls), cmocka_unit_test(t_errors),
    };
    return _cmocka_run_group_tests("publish_cli", tests, sizeof tests / sizeof tests[0], setup, teardown);
}
