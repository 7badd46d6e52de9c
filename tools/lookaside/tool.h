/* tool.h — the subcommands of the `lookaside` command-line tool and the demo's
 * sections. Each subcommand lives in cmd_<name>.c and is listed in main.c's table;
 * each demo section in demo_<topic>.c. */
#ifndef LA_TOOL_H
#define LA_TOOL_H

#include <stdint.h>

#include <lookaside/publish.h>

int cmd_demo(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_ls(int argc, char **argv);

/* Shared by stat and top (cmd_stat.c): a pid (all digits) names the default
 * publication path of that process, anything else is a path; EINVAL when too long. */
int tool_target_path(const char *target, char *path, size_t cap);
/* la_publish_read, printing "lookaside: <path>: <reason>" to stderr on failure. */
int tool_read(const char *path, la_published_t **out);
/* PoolMon sort letter (t a f d b m) to la_pool_sort_t; EINVAL otherwise. */
int tool_parse_sort(const char *s, la_pool_sort_t *out);
/* Route the library's output (its formatters) to standard output. */
void tool_output_stdout(void);

/* Demo sections, in the order `lookaside demo` runs them. Each prints a titled
 * block and returns 0, or non-zero when something did not behave as documented. */
int demo_platform(void);
int demo_lifo_reuse(void);
int demo_driver_queue(void);
int demo_sslist(void);
int demo_workload(void);
int demo_pool_tags(void);
int demo_speed(void);
/* examples/wdk_showcase.c's main(), compiled into the tool under this name. */
int demo_wdk_showcase(void);

/* Shared helpers (demo_util.c). */
void demo_title(const char *title);
uint64_t demo_now_ns(void);

#endif
