/* demo_util.c — small helpers shared by the demo sections. */
#define _POSIX_C_SOURCE 200809L
#include "tool.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void demo_title(const char *title) {
    printf("\n== %s ", title);
    for (size_t n = strlen(title); n < 72; ++n) putchar('=');
    putchar('\n');
    fflush(stdout);
}

uint64_t demo_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
