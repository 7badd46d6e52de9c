/* cmd_top.c — `lookaside top <pid|path> [--interval ms] [--count n] [--sort k] [--tags P]`:
 * a compact view of a publishing process, refreshed every interval with per-second
 * rates (PoolMon's delta columns), until interrupted or n frames are shown. On a
 * terminal each frame replaces the last; otherwise frames follow one another.
 * Exit codes: 0 done (or interrupted), 1 could not read, 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include "tool.h"

#include <lookaside/lookaside.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

static int usage(void) {
    fprintf(stderr, "usage: lookaside top <pid|path> [--interval ms] [--count n] [--sort a|f|d|b|m|t] "
                    "[--tags PATTERN]\n");
    return 2;
}

static bool parse_uint(const char *s, unsigned long *out) {
    char *end;
    if (!s || !*s || *s == '-') return false;
    *out = strtoul(s, &end, 10);
    return *end == '\0';
}

int cmd_top(int argc, char **argv) {
    const char *target = NULL;
    unsigned long interval = 1000, count = 0;
    la_publish_view_t view = {.sort = LA_POOL_SORT_BYTES};
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
            if (!parse_uint(argv[++i], &interval) || interval == 0) return usage();
        } else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
            if (!parse_uint(argv[++i], &count)) return usage();
        } else if (!strcmp(argv[i], "--sort") && i + 1 < argc) {
            if (tool_parse_sort(argv[++i], &view.sort)) return usage();
        } else if (!strcmp(argv[i], "--tags") && i + 1 < argc) {
            view.tags = argv[++i];
        } else if (argv[i][0] != '-' && !target) {
            target = argv[i];
        } else {
            return usage();
        }
    }
    char path[LA_PUBLISH_PATH_MAX];
    if (!target || tool_target_path(target, path, sizeof path)) return usage();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bool tty = isatty(STDOUT_FILENO);
    tool_output_stdout();
    la_published_t *before = NULL;
    int rc = 0;
    for (unsigned long frame = 0; !interrupted && (count == 0 || frame < count); ++frame) {
        if (frame) {
            struct timespec ts = {(time_t)(interval / 1000), (long)(interval % 1000) * 1000000L};
            nanosleep(&ts, NULL); /* an interrupting signal ends it early */
            if (interrupted) break;
        }
        la_published_t *now;
        if (tool_read(path, &now)) {
            rc = 1;
            break;
        }
        if (tty) fputs("\033[H\033[2J", stdout);
        else if (frame) fputs("\n", stdout);
        la_published_print_delta(now, before, &view);
        fflush(stdout);
        la_published_free(before);
        before = now;
    }
    la_published_free(before);
    return rc;
}
