/* cmd_demo.c — `lookaside demo`: the showcase. Sections are added as the
 * capabilities land. */
#include "tool.h"

#include <lookaside/lookaside.h>
#include <stdio.h>

int cmd_demo(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("lookaside %d.%d.%d demo\n", LA_VERSION_MAJOR, LA_VERSION_MINOR, LA_VERSION_PATCH);
    return 0;
}
