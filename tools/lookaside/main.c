/* main.c — `lookaside <subcommand> [args]`: dispatch table and help. */
#include "tool.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command_t;

static const command_t commands[] = {
    {"demo", cmd_demo, "show lists, the S-list, caches and pools at work"},
    {"stat", cmd_stat, "<pid|path> [--json] [--sort k] [--tags P]: !lookaside and PoolMon views once"},
    {"top", cmd_top, "<pid|path> [--interval ms] [--count n]: live view with per-second rates"},
    {"ls", cmd_ls, "list processes publishing statistics (LA_PUBLISH=1)"},
};

static int usage(FILE *out) {
    fprintf(out, "usage: lookaside <command> [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
    return out == stdout ? 0 : 2;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "lookaside: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
