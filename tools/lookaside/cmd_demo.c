/* cmd_demo.c — `lookaside demo [section...]`: the showcase. With no arguments every
 * section runs in order; naming sections runs only those. */
#include "tool.h"

#include <lookaside/lookaside.h>
#include <stdio.h>
#include <string.h>

/* The WDK section: driver-style code written only against <lookaside/wdk.h>. */
static int demo_wdk(void) {
    demo_title("WDK layer: the seeds' driver code, unmodified, on <lookaside/wdk.h>");
    return demo_wdk_showcase();
}

typedef struct section {
    const char *name;
    int (*run)(void);
} section_t;

static const section_t sections[] = {
    {"platform", demo_platform},   {"lifo", demo_lifo_reuse},     {"driver", demo_driver_queue},
    {"sslist", demo_sslist},       {"workload", demo_workload},   {"pool", demo_pool_tags},
    {"wdk", demo_wdk},             {"speed", demo_speed},
};
#define SECTION_COUNT (sizeof sections / sizeof sections[0])

/* Library views (the !lookaside and PoolMon tables) interleave with our own lines. */
static void to_stdout(const char *text, void *arg) {
    (void)arg;
    fputs(text, stdout);
    fflush(stdout); /* a fatal report must reach the terminal before abort() */
}

int cmd_demo(int argc, char **argv) {
    la_output_set(to_stdout, NULL);
    printf("lookaside %d.%d.%d — the Windows kernel's memory toolkit in user space\n",
           LA_VERSION_MAJOR, LA_VERSION_MINOR, LA_VERSION_PATCH);
    int failures = 0;
    for (size_t i = 0; i < SECTION_COUNT; ++i) {
        bool wanted = argc < 2;
        for (int a = 1; a < argc; ++a)
            if (!strcmp(argv[a], sections[i].name)) wanted = true;
        if (!wanted) continue;
        fflush(stdout);
        if (sections[i].run() != 0) {
            printf("!! section '%s' did not behave as documented\n", sections[i].name);
            failures++;
        }
    }
    for (int a = 1; a < argc; ++a) {
        bool known = false;
        for (size_t i = 0; i < SECTION_COUNT; ++i) known |= !strcmp(argv[a], sections[i].name);
        if (!known) {
            fprintf(stderr, "lookaside demo: unknown section '%s' (sections:", argv[a]);
            for (size_t i = 0; i < SECTION_COUNT; ++i) fprintf(stderr, " %s", sections[i].name);
            fprintf(stderr, ")\n");
            return 2;
        }
    }
    fflush(stdout);
    return failures ? 1 : 0;
}
