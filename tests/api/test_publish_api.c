/* test_publish_api.c — <lookaside/publish.h>: the header example, exact values
 * read back (same process and a child process), every documented error, growth
 * of the file, the views (text, JSON, delta rates, OpenMetrics), the background
 * thread, LA_PUBLISH, and a forked child that must not write its parent's file. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char self_exe[512];

/* ---- the header example, as written ---------------------------------------------------- */

static int header_example(void) {
    char path[LA_PUBLISH_PATH_MAX];
    la_publish_default_path(0, path, sizeof path); // /dev/shm/lookaside-<our pid>
    int err = la_publish_start(NULL, 0);         // NULL = that path; 0 = on demand
    if (err) return err;
    la_publish_now();                            // write a snapshot now
    la_published_t *snap;                        // in the viewer process:
    err = la_publish_read(path, &snap);
    if (err) { la_printf("%s\n", la_publish_strerror(err)); return err; }
    for (size_t i = 0; i < la_published_lookaside_count(snap); ++i)
        la_lookaside_stats_print(la_published_lookaside(snap, i));
    la_published_print(snap, NULL);              // !lookaside -all + PoolMon
    la_published_free(snap);
    la_publish_stop();                           // removes the file
    return 0;
}

static void t_example(void **state) {
    (void)state;
    la_test_capture_begin();
    int err = header_example();
    const char *out = la_test_capture_end();
    assert_int_equal(err, 0);
    assert_non_null(strstr(out, "lookaside: process "));
    assert_non_null(strstr(out, "Tag  Type"));
    char path[LA_PUBLISH_PATH_MAX];
    la_publish_default_path(0, path, sizeof path);
    assert_int_equal(access(path, F_OK), -1); /* stop removed it */
}

/* ---- exact values ---------------------------------------------------------------------- */

typedef struct fixture {
    la_lookaside_t *cache;
    void *blocks[3];
    void *pool[2];
} fixture_t;

static void fixture_make(fixture_t *f, const char *name, la_tag_t ctag, la_tag_t ptag) {
    la_lookaside_params_t p = {0};
    p.name = name;
    p.size = 100;
    p.tag = ctag;
    assert_int_equal(la_lookaside_create(&p, &f->cache), 0);
    for (int i = 0; i < 3; ++i) assert_non_null(f->blocks[i] = la_lookaside_alloc(f->cache));
    la_lookaside_free(f->cache, f->blocks[2]);
    f->blocks[2] = NULL;
    for (int i = 0; i < 2; ++i) assert_non_null(f->pool[i] = la_pool_alloc(LA_POOL_PAGED, 200, ptag, 0));
    la_pool_free(f->pool[1]);
    f->pool[1] = NULL;
}

static void fixture_free(fixture_t *f) {
    for (int i = 0; i < 3; ++i) la_lookaside_free(f->cache, f->blocks[i]);
    assert_int_equal(la_lookaside_destroy(f->cache), 0);
    la_pool_free(f->pool[0]);
}

static const la_lookaside_stats_t *find_list(const la_published_t *s, const char *name) {
    for (size_t i = 0; i < la_published_lookaside_count(s); ++i)
        if (!strcmp(la_published_lookaside(s, i)->name, name)) return la_published_lookaside(s, i);
    return NULL;
}

static const la_pool_tag_info_t *find_tag(const la_published_t *s, la_tag_t tag) {
    for (size_t i = 0; i < la_published_pool_count(s); ++i)
        if (la_published_pool_tag(s, i)->tag == tag) return la_published_pool_tag(s, i);
    return NULL;
}

/* Published values equal the live ones (no thread is using them). */
static void check_values(const la_published_t *s, const char *name, la_tag_t ctag, la_tag_t ptag,
                         size_t pool_block) {
    const la_lookaside_stats_t *l = find_list(s, name);
    assert_non_null(l);
    assert_int_equal(l->tag, ctag);
    assert_int_equal(l->kind, LA_LOOKASIDE_KIND_NATIVE);
    assert_int_equal(l->block_size, 112);
    assert_int_equal(l->total_allocates, 3);
    assert_int_equal(l->total_frees, 1);
    assert_int_equal(l->allocate_misses, 3);
    assert_int_equal(l->free_misses, 0);
    assert_int_equal(l->outstanding, 2);
    assert_int_equal(l->cached, 1);
    assert_int_equal(l->depth, 4);
    assert_int_equal(l->max_depth, 1024);
    const la_pool_tag_info_t *t = find_tag(s, ptag);
    assert_non_null(t);
    assert_int_equal(t->kind, LA_POOL_KIND_PAGED);
    assert_int_equal(t->allocs, 2);
    assert_int_equal(t->frees, 1);
    assert_int_equal(t->outstanding, 1);
    assert_int_equal(t->bytes, pool_block);
    assert_true(t->peak_bytes >= pool_block);
}

static void t_exact_same_process(void **state) {
    (void)state;
    fixture_t f;
    la_tag_t ct = LA_TAG('P', 'u', 'b', 'C'), pt = LA_TAG('P', 'u', 'b', 'P');
    fixture_make(&f, "pub-exact", ct, pt);
    char path[] = "/dev/shm/la-test-publish-exact";
    assert_int_equal(la_publish_start(path, 0), 0);
    assert_true(la_publish_active());
    la_published_t *s;
    assert_int_equal(la_publish_read(path, &s), 0);
    assert_int_equal(la_published_pid(s), (uint64_t)getpid());
    assert_int_equal(la_published_sequence(s), 1);
    assert_int_equal(la_published_interval_ms(s), 0);
    assert_true(la_published_wall_ns(s) > 1500000000ull * 1000000000ull); /* after 2017 */
    check_values(s, "pub-exact", ct, pt, la_pool_block_size(f.pool[0]));
    la_lookaside_stats_t live = {.size = sizeof live};
    assert_int_equal(la_lookaside_query(f.cache, &live), 0);
    const la_lookaside_stats_t *l = find_list(s, "pub-exact");
    assert_ptr_equal(l->address, live.address);
    assert_null(la_published_lookaside(s, la_published_lookaside_count(s)));
    assert_null(la_published_pool_tag(s, la_published_pool_count(s)));
    la_pool_stats_t ps;
    la_pool_stats_get(&ps);
    assert_int_equal(la_published_pool_stats(s)->bytes_mapped, ps.bytes_mapped);
    uint64_t t1 = la_published_time_ns(s);
    la_published_free(s);
    /* A second publication: sequence 2, the new counts. */
    void *x = la_lookaside_alloc(f.cache);
    assert_int_equal(la_publish_now(), 0);
    assert_int_equal(la_publish_read(path, &s), 0);
    assert_int_equal(la_published_sequence(s), 2);
    assert_true(la_published_time_ns(s) >= t1);
    assert_int_equal(find_list(s, "pub-exact")->total_allocates, 4);
    la_published_free(s);
    la_lookaside_free(f.cache, x);
    assert_int_equal(la_publish_stop(), 0);
    assert_false(la_publish_active());
    assert_int_equal(la_publish_read(path, &s), ENOENT);
    fixture_free(&f);
}

/* A child process publishes; the parent reads it while the child waits. */
static void t_exact_child_process(void **state) {
    (void)state;
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    la_tag_t ct = LA_TAG('K', 'i', 'd', 'C'), pt = LA_TAG('K', 'i', 'd', 'P');
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fixture_t f;
        fixture_make(&f, "child-cache", ct, pt);
        size_t block = la_pool_block_size(f.pool[0]);
        int err = la_publish_start(NULL, 0);
        if (write(ready[1], &block, sizeof block) != (ssize_t)sizeof block || err) _exit(3);
        char c;
        if (read(go[0], &c, 1) != 1) _exit(4);
        la_publish_stop();
        _exit(0);
    }
    size_t block = 0;
    assert_int_equal(read(ready[0], &block, sizeof block), (ssize_t)sizeof block);
    char path[LA_PUBLISH_PATH_MAX];
    la_publish_default_path((uint64_t)pid, path, sizeof path);
    la_published_t *s;
    int err = la_publish_read(path, &s);
    assert_int_equal(write(go[1], "x", 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(err, 0);
    assert_int_equal(la_published_pid(s), (uint64_t)pid);
    check_values(s, "child-cache", ct, pt, block);
    la_published_free(s);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(la_publish_read(path, &s), ENOENT); /* the child's stop removed it */
    close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
}

/* ---- errors ------------------------------------------------------------------------------------ */

static size_t slurp(const char *path, unsigned char *buf, size_t cap) {
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, cap);
    close(fd);
    assert_true(n > 0);
    return (size_t)n;
}

static void spit(const char *path, const unsigned char *buf, size_t n, mode_t mode) {
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    close(fd);
}

static void t_errors(void **state) {
    (void)state;
    la_published_t *s = (la_published_t *)(uintptr_t)1;
    assert_int_equal(la_publish_read("/dev/shm/la-test-publish-none", &s), ENOENT);
    assert_ptr_equal(s, (la_published_t *)(uintptr_t)1); /* out untouched on failure */
    assert_int_equal(la_publish_read(NULL, &s), EINVAL);
    assert_int_equal(la_publish_read("/dev/shm/x", NULL), EINVAL);
    assert_int_equal(la_publish_now(), ENOENT);
    assert_int_equal(la_publish_stop(), ENOENT);
    assert_int_equal(la_publish_start("", 0), EINVAL);
    char longp[LA_PUBLISH_PATH_MAX + 10];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(la_publish_start(longp, 0), EINVAL);
    assert_int_equal(la_publish_start("/nonexistent-dir/la-pub", 0), ENOENT);
    assert_false(la_publish_active());

    const char *path = "/dev/shm/la-test-publish-err";
    assert_int_equal(la_publish_start(path, 0), 0);
    assert_int_equal(la_publish_start(path, 0), EBUSY);
    static unsigned char good[1 << 16], bad[1 << 16];
    size_t n = slurp(path, good, sizeof good);
    assert_int_equal(la_publish_stop(), 0);
    const char *copy = "/dev/shm/la-test-publish-copy";

    spit(copy, good, n, 0600); /* the unmodified copy reads */
    assert_int_equal(la_publish_read(copy, &s), 0);
    la_published_free(s);

    memcpy(bad, good, n); /* not a publication */
    memcpy(bad, "JUNK", 4);
    spit(copy, bad, n, 0600);
    assert_int_equal(la_publish_read(copy, &s), EBADMSG);
    spit(copy, good, 10, 0600); /* too short */
    assert_int_equal(la_publish_read(copy, &s), EBADMSG);
    spit(copy, good, 0, 0600); /* empty */
    assert_int_equal(la_publish_read(copy, &s), EBADMSG);

    memcpy(bad, good, n); /* another layout version */
    uint32_t v = LA_PUBLISH_LAYOUT_VERSION + 1;
    memcpy(bad + 8, &v, 4);
    spit(copy, bad, n, 0600);
    assert_int_equal(la_publish_read(copy, &s), EPROTONOSUPPORT);

    memcpy(bad, good, n); /* the writer died mid-update: odd sequence */
    uint64_t seq;
    memcpy(&seq, bad + 16, 8);
    assert_int_equal(seq % 2, 0);
    seq += 1;
    memcpy(bad + 16, &seq, 8);
    spit(copy, bad, n, 0600);
    assert_int_equal(la_publish_read(copy, &s), EAGAIN);

    memcpy(bad, good, n); /* one body word changed: the checksum catches it */
    bad[64 + 8 * 3] ^= 0x40; /* the monotonic time */
    spit(copy, bad, n, 0600);
    assert_int_equal(la_publish_read(copy, &s), EBADMSG);

    if (geteuid() != 0) { /* root reads any file: the CLI test checks EACCES as another user */
        spit(copy, good, n, 0000);
        assert_int_equal(la_publish_read(copy, &s), EACCES);
    }
    unlink(copy);

    const int codes[] = {ENOENT, EACCES, EBADMSG, EPROTONOSUPPORT, EAGAIN, EBUSY};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; ++i) {
        assert_non_null(la_publish_strerror(codes[i]));
        for (size_t j = 0; j < i; ++j)
            assert_string_not_equal(la_publish_strerror(codes[i]), la_publish_strerror(codes[j]));
    }
    assert_non_null(strstr(la_publish_strerror(EPROTONOSUPPORT), "version"));
    assert_non_null(strstr(la_publish_strerror(ENOENT), "no publication"));
}

/* The file is 0600 and keeps a recorded pid. */
static void t_mode(void **state) {
    (void)state;
    const char *path = "/dev/shm/la-test-publish-mode";
    mode_t old = umask(0);
    assert_int_equal(la_publish_start(path, 0), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(la_publish_stop(), 0);
}

/* More lists than the first file holds: the file is replaced by a bigger one. */
static void t_grow(void **state) {
    (void)state;
    const char *path = "/dev/shm/la-test-publish-grow";
    assert_int_equal(la_publish_start(path, 0), 0);
    struct stat st0, st1;
    assert_int_equal(stat(path, &st0), 0);
    enum { N = 300 };
    static la_lookaside_t *c[N];
    for (int i = 0; i < N; ++i) {
        char name[32];
        snprintf(name, sizeof name, "grow-%d", i);
        la_lookaside_params_t p = {.name = name, .size = 32, .tag = LA_TAG('G', 'r', 'o', 'w')};
        assert_int_equal(la_lookaside_create(&p, &c[i]), 0);
    }
    assert_int_equal(la_publish_now(), 0);
    assert_int_equal(stat(path, &st1), 0);
    assert_true(st1.st_size > st0.st_size);
    la_published_t *s;
    assert_int_equal(la_publish_read(path, &s), 0);
    assert_int_equal(la_published_sequence(s), 2); /* the sequence carries over */
    assert_non_null(find_list(s, "grow-0"));
    assert_non_null(find_list(s, "grow-299"));
    la_published_free(s);
    assert_int_equal(access("/dev/shm/la-test-publish-grow.new", F_OK), -1);
    for (int i = 0; i < N; ++i) la_lookaside_destroy(c[i]);
    assert_int_equal(la_publish_stop(), 0);
}

/* ---- views ------------------------------------------------------------------------------------ */

static void t_views(void **state) {
    (void)state;
    fixture_t f;
    la_tag_t ct = LA_TAG('V', 'w', 'C', 'a'), pt = LA_TAG('V', 'w', 'P', 'o');
    fixture_make(&f, "pub-view", ct, pt);
    const char *path = "/dev/shm/la-test-publish-view";
    assert_int_equal(la_publish_start(path, 0), 0);
    la_published_t *a, *b;
    assert_int_equal(la_publish_read(path, &a), 0);

    la_test_capture_begin();
    la_published_print(a, NULL);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "Lookaside \"pub-view\""));
    assert_non_null(strstr(out, "TotalAllocates =          3   TotalFrees =          1"));
    char row[128];
    snprintf(row, sizeof row, " VwPo Paged %12d %12d %10d %14zu", 2, 1, 1, la_pool_block_size(f.pool[0]));
    assert_non_null(strstr(out, row));

    la_publish_view_t v = {.tags = "Zz*"};
    la_test_capture_begin();
    la_published_print(a, &v);
    out = la_test_capture_end();
    assert_null(strstr(out, "pub-view"));
    assert_null(strstr(out, "VwPo"));
    v.tags = "Vw*";
    v.totals = true;
    la_test_capture_begin();
    la_published_print(a, &v);
    out = la_test_capture_end();
    assert_non_null(strstr(out, "pub-view"));
    assert_non_null(strstr(out, " Tot "));

    la_test_capture_begin();
    la_published_json_print(a, NULL);
    out = la_test_capture_end();
    assert_non_null(strstr(out, "\"name\":\"pub-view\""));
    assert_non_null(strstr(out, "\"total_allocates\":3"));
    assert_non_null(strstr(out, "{\"tag\":\"VwPo\""));
    char pidtxt[64];
    snprintf(pidtxt, sizeof pidtxt, "{\"pid\":%d,", (int)getpid());
    assert_ptr_equal(strstr(out, pidtxt), out);

    /* Delta: 5 more allocations and frees between two snapshots. */
    for (int i = 0; i < 5; ++i) la_lookaside_free(f.cache, la_lookaside_alloc(f.cache));
    assert_int_equal(la_publish_now(), 0);
    assert_int_equal(la_publish_read(path, &b), 0);
    uint64_t dt = la_published_time_ns(b) - la_published_time_ns(a);
    assert_true(dt > 0);
    unsigned long long r = 5ull * 1000000000ull / dt;
    v = (la_publish_view_t){.tags = "VwCa"};
    la_test_capture_begin();
    la_published_print_delta(b, a, &v);
    out = la_test_capture_end();
    snprintf(row, sizeof row, " %-24s %-4s %8d %6d %8d %12d %10llu %12d %10llu %10d\n", "pub-view", "VwCa", 112, 4,
             1, 8, r, 6, r, 2);
    assert_non_null(strstr(out, row));
    la_test_capture_begin();
    la_published_print_delta(b, NULL, &v);
    out = la_test_capture_end();
    assert_non_null(strstr(out, "first frame"));

    size_t need = la_published_openmetrics(b, NULL, 0);
    char *om = malloc(need + 1);
    assert_int_equal(la_published_openmetrics(b, om, need + 1), need);
    assert_int_equal(strlen(om), need);
    assert_non_null(strstr(om, "# TYPE lookaside_allocates counter\n"));
    assert_non_null(strstr(om, "lookaside_allocates_total{list=\"pub-view\",tag=\"VwCa\",size=\"112\"} 8\n"));
    assert_non_null(strstr(om, "lookaside_pool_allocs_total{tag=\"VwPo\",type=\"Paged\"} 2\n"));
    assert_string_equal(om + need - 6, "# EOF\n");
    char small[16];
    assert_int_equal(la_published_openmetrics(b, small, sizeof small), need);
    assert_int_equal(strlen(small), sizeof small - 1);
    free(om);
    la_published_free(a);
    la_published_free(b);
    assert_int_equal(la_publish_stop(), 0);
    fixture_free(&f);
}

/* ---- the background thread, LA_PUBLISH, fork --------------------------------------------------- */

static void t_thread(void **state) {
    (void)state;
    const char *path = "/dev/shm/la-test-publish-thread";
    assert_int_equal(la_publish_start(path, 1), 0); /* raised to the minimum */
    la_published_t *s;
    uint64_t seq = 0;
    unsigned interval = 0;
    for (long spins = 0; seq < 3; ++spins) { /* the thread republishes by itself */
        assert_int_equal(la_publish_read(path, &s), 0);
        seq = la_published_sequence(s);
        interval = la_published_interval_ms(s);
        la_published_free(s);
        sched_yield();
    }
    assert_int_equal(interval, LA_PUBLISH_MIN_INTERVAL_MS);
    assert_int_equal(la_publish_stop(), 0); /* joins the thread */
    assert_int_equal(access(path, F_OK), -1);
}

/* Run this test program again with LA_PUBLISH set; returns the child's exit code. */
static int run_env_child(const char *value) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (value) setenv("LA_PUBLISH", value, 1);
        else unsetenv("LA_PUBLISH");
        execl(self_exe, self_exe, "env-child", (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int env_child(void) {
    const char *want = getenv("LA_PUBLISH");
    bool on = la_publish_active();
    unsigned expect = !want || !strcmp(want, "0") ? 0
                      : !strcmp(want, "1")         ? LA_PUBLISH_DEFAULT_INTERVAL_MS
                                                   : (unsigned)atoi(want);
    if (!expect) return on ? 1 : 0;
    if (!on) return 2;
    char path[LA_PUBLISH_PATH_MAX];
    la_publish_default_path(0, path, sizeof path);
    la_published_t *s;
    if (la_publish_read(path, &s)) return 3;
    int rc = la_published_interval_ms(s) == expect && la_published_pid(s) == (uint64_t)getpid() ? 0 : 4;
    la_published_free(s);
    return rc; /* exit stops publishing and removes the file */
}

static void t_env(void **state) {
    (void)state;
    assert_int_equal(run_env_child("1"), 0);
    assert_int_equal(run_env_child("250"), 0);
    assert_int_equal(run_env_child("0"), 0);
    assert_int_equal(run_env_child(NULL), 0);
}

static void t_fork_child_leaves_parent_file(void **state) {
    (void)state;
    const char *path = "/dev/shm/la-test-publish-fork";
    assert_int_equal(la_publish_start(path, 0), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = la_publish_now() == ENOENT && !la_publish_active() && la_publish_stop() == ENOENT ? 0 : 1;
        exit(rc); /* runs the at-exit stop too: must not remove the parent's file */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    la_published_t *s;
    assert_int_equal(la_publish_read(path, &s), 0);
    assert_int_equal(la_published_pid(s), (uint64_t)getpid());
    la_published_free(s);
    assert_int_equal(la_publish_now(), 0);
    assert_int_equal(la_publish_stop(), 0);
}

int main(int argc, char **argv) {
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n > 0) self_exe[n] = '\0';
    if (argc > 1 && !strcmp(argv[1], "env-child")) return env_child();
    la_lookaside_tuner_enable(false); /* Depth stays at its initial value */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_example),
        cmocka_unit_test(t_exact_same_process),
        cmocka_unit_test(t_exact_child_process),
        cmocka_unit_test(t_errors),
        cmocka_unit_test(t_mode),
        cmocka_unit_test(t_grow),
        cmocka_unit_test(t_views),
        cmocka_unit_test(t_thread),
        cmocka_unit_test(t_env),
        cmocka_unit_test(t_fork_child_leaves_parent_file),
    };
    return la_test_run("publish_api", tests);
}
