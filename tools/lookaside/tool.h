/* tool.h — the subcommands of the `lookaside` command-line tool.
 * Each lives in its own file (cmd_<name>.c) and is listed in main.c's table. */
#ifndef LA_TOOL_H
#define LA_TOOL_H

int cmd_demo(int argc, char **argv);

#endif
