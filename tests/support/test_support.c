/* test_support.c — see test_support.h. */
#define _GNU_SOURCE
#include "test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t la_test_seed(void) {
    static uint64_t seed;
    static bool have;
    if (!have) {
        const char *env = getenv("LA_TEST_SEED");
        if (env && *env) {
            seed = strtoull(env, NULL, 0);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            seed = ((uint64_t)ts.tv_sec * 1000000007ull) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
        }
        have = true;
        fprintf(stderr, "test seed: LA_TEST_SEED=%llu\n", (unsigned long long)seed);
    }
    return seed;
}

void la_test_rng_init(la_test_rng_t *r, uint64_t seed) { r->s = seed ? seed : 0x9e3779b97f4a7c15ull; }

uint64_t la_test_rng_next(la_test_rng_t *r) {
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint64_t la_test_rng_below(la_test_rng_t *r, uint64_t bound) {
    return bound ? la_test_rng_next(r) % bound : 0;
}

/* ---- capture ---- */
static char *cap_buf;
static size_t cap_len, cap_cap;

static void capture_fn(const char *text, void *arg) {
    (void)arg;
    size_t n = strlen(text);
    if (cap_len + n + 1 > cap_cap) {
        size_t nc = (cap_cap ? cap_cap * 2 : 4096);
        while (nc < cap_len + n + 1) nc *= 2;
        char *nb = realloc(cap_buf, nc);
        if (!nb) return;
        cap_buf = nb;
        cap_cap = nc;
    }
    memcpy(cap_buf + cap_len, text, n + 1);
    cap_len += n;
}

void la_test_capture_begin(void) {
    cap_len = 0;
    if (cap_buf) cap_buf[0] = '\0';
    la_output_set(capture_fn, NULL);
}

const char *la_test_captured(void) { return cap_buf ? cap_buf : ""; }

const char *la_test_capture_end(void) {
    la_output_set(NULL, NULL);
    return la_test_captured();
}

/* ---- fatal trap ---- */
static int trap_count;
static la_fatal_code_t trap_code;
static char trap_msg[1024];
static char trap_file[256];
static int trap_line;

static void trap_fn(const la_fatal_report_t *r, void *arg) {
    (void)arg;
    trap_count++;
    trap_code = r->code;
    snprintf(trap_msg, sizeof trap_msg, "%s", r->message);
    snprintf(trap_file, sizeof trap_file, "%s", r->file ? r->file : "");
    trap_line = r->line;
}

void la_test_fatal_trap_begin(void) {
    trap_count = 0;
    trap_code = 0;
    trap_msg[0] = '\0';
    trap_file[0] = '\0';
    trap_line = 0;
    la_fatal_handler_set(trap_fn, NULL);
}

int la_test_fatal_trap_end(void) {
    la_fatal_handler_set(NULL, NULL);
    return trap_count;
}

la_fatal_code_t la_test_fatal_last_code(void) { return trap_code; }
const char *la_test_fatal_last_message(void) { return trap_msg; }
const char *la_test_fatal_last_file(void) { return trap_file; }
int la_test_fatal_last_line(void) { return trap_line; }

/* ---- death tests ---- */
bool la_test_dies_with(void (*fn)(void *), void *arg, const char *const *expect) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        la_output_set(NULL, NULL);
        la_fatal_handler_set(NULL, NULL);
        fn(arg);
        _exit(0); /* survived: the test fails */
    }
    close(fds[1]);
    char buf[16384];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fds[0], buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
        if (len == sizeof buf - 1) break;
    }
    buf[len] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    bool ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    for (const char *const *e = expect; ok && e && *e; ++e)
        if (!strstr(buf, *e)) ok = false;
    if (!ok)
        fprintf(stderr, "death test: status=0x%x (signalled=%d sig=%d) stderr was:\n%s\n", status,
                WIFSIGNALED(status), WIFSIGNALED(status) ? WTERMSIG(status) : 0, buf);
    return ok;
}

bool la_test_under_sanitizer(void) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

uint64_t la_test_status_kib(const char *field) {
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return UINT64_MAX;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
        if (len == sizeof buf - 1) break;
    }
    close(fd);
    buf[len] = '\0';
    size_t flen = strlen(field);
    for (const char *line = buf; *line;) {
        if (!strncmp(line, field, flen) && line[flen] == ':') return strtoull(line + flen + 1, NULL, 10);
        const char *nl = strchr(line, '\n');
        if (!nl) break;
        line = nl + 1;
    }
    return UINT64_MAX;
}

bool la_test_become_nobody(void) {
    if (geteuid() != 0) return true;
    return setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0;
}
