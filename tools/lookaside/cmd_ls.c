/* cmd_ls.c — `lookaside ls`: the processes publishing statistics, one line each
 * (pid, publication count, lists, pool records, path). Files left by processes
 * that died are skipped. Exit code 0 (also when there are none), 1 when the
 * directory cannot be read. */
#define _POSIX_C_SOURCE 200809L
#include "tool.h"

#include <lookaside/lookaside.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static bool alive(uint64_t pid) {
    if (pid == 0 || pid > (uint64_t)INT32_MAX) return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int cmd_ls(int argc, char **argv) {
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: lookaside ls\n");
        return 2;
    }
    const char *dir = la_publish_dir();
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "lookaside: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    printf("%8s %12s %6s %6s  %s\n", "PID", "Publications", "Lists", "Tags", "Path");
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        const char *digits = n + strlen("lookaside-");
        if (strncmp(n, "lookaside-", strlen("lookaside-")) || !*digits ||
            strspn(digits, "0123456789") != strlen(digits))
            continue; /* also skips "<path>.new" files being built */
        char path[LA_PUBLISH_PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, n) >= sizeof path) continue;
        la_published_t *snap;
        int err = la_publish_read(path, &snap);
        uint64_t pid = err ? strtoull(digits, NULL, 10) : la_published_pid(snap);
        if (!alive(pid)) {
            if (!err) la_published_free(snap);
            continue;
        }
        if (err) {
            printf("%8llu %12s %6s %6s  %s (%s)\n", (unsigned long long)pid, "-", "-", "-", path,
                   la_publish_strerror(err));
            continue;
        }
        printf("%8llu %12llu %6zu %6zu  %s\n", (unsigned long long)pid,
               (unsigned long long)la_published_sequence(snap), la_published_lookaside_count(snap),
               la_published_pool_count(snap), path);
        la_published_free(snap);
    }
    closedir(d);
    return 0;
}
