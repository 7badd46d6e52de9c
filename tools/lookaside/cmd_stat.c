/* cmd_stat.c — `lookaside stat <pid|path> [--json] [--sort a|f|d|b|m|t] [--tags PATTERN]`:
 * print once the !lookaside -all view and the PoolMon table of a publishing
 * process (see <lookaside/publish.h>). Also the shared target and option parsing
 * of `stat` and `top` (tool.h). Exit codes: 0 shown, 1 could not read, 2 usage. */
#include "tool.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void to_stdout(const char *text, void *arg) {
    (void)arg;
    fputs(text, stdout);
}

void tool_output_stdout(void) { la_output_set(to_stdout, NULL); }

int tool_target_path(const char *target, char *path, size_t cap) {
    size_t n = strlen(target);
    if (n && strspn(target, "0123456789") == n) {
        char *end;
        unsigned long long pid = strtoull(target, &end, 10);
        if (pid == 0) return EINVAL;
        return la_publish_default_path(pid, path, cap) < cap ? 0 : EINVAL;
    }
    if (n == 0 || n >= cap) return EINVAL;
    memcpy(path, target, n + 1);
    return 0;
}

int tool_read(const char *path, la_published_t **out) {
    int err = la_publish_read(path, out);
    if (err) fprintf(stderr, "lookaside: %s: %s\n", path, la_publish_strerror(err));
    return err;
}

int tool_parse_sort(const char *s, la_pool_sort_t *out) {
    static const char keys[] = "tafdbm"; /* la_pool_sort_t order */
    if (!s || strlen(s) != 1 || !strchr(keys, s[0])) return EINVAL;
    *out = (la_pool_sort_t)(strchr(keys, s[0]) - keys);
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: lookaside stat <pid|path> [--json] [--sort a|f|d|b|m|t] [--tags PATTERN]\n");
    return 2;
}

int cmd_stat(int argc, char **argv) {
    const char *target = NULL;
    bool json = false;
    la_publish_view_t view = {.sort = LA_POOL_SORT_TAG, .totals = true};
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
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
    la_published_t *snap;
    if (tool_read(path, &snap)) return 1;
    tool_output_stdout();
    if (json) la_published_json_print(snap, &view);
    else la_published_print(snap, &view);
    la_published_free(snap);
    fflush(stdout);
    return 0;
}
