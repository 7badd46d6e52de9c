/* demo_speed.c — one line of speed against malloc. A rough single-run figure for
 * the demo; the benchmarks in bench/ are the real measurement (medians, peers). */
#include "tool.h"

#include <lookaside/lookaside.h>
#include <stdio.h>
#include <stdlib.h>

enum { BATCH = 1000, REPS = 2000, SIZE = 64 };

/* The two loops below are the same on purpose: sharing one loop would call the
 * allocator through a function pointer, which keeps the inline fast path from
 * being inlined — the very thing being shown. */
static double per_pair_malloc(void) {
    static void *held[BATCH];
    uint64_t best = UINT64_MAX;
    for (int t = 0; t < 5; ++t) {
        uint64_t t0 = demo_now_ns();
        for (int r = 0; r < REPS / 5; ++r) {
            for (int i = 0; i < BATCH; ++i) {
                held[i] = malloc(SIZE);
                *(volatile char *)held[i] = 1;
            }
            for (int i = 0; i < BATCH; ++i) free(held[i]);
        }
        uint64_t d = demo_now_ns() - t0;
        if (d < best) best = d;
    }
    return (double)best / ((double)(REPS / 5) * BATCH);
}

static double per_pair_lookaside(la_lookaside_t *cache) {
    static void *held[BATCH];
    uint64_t best = UINT64_MAX;
    for (int t = 0; t < 5; ++t) {
        uint64_t t0 = demo_now_ns();
        for (int r = 0; r < REPS / 5; ++r) {
            for (int i = 0; i < BATCH; ++i) {
                held[i] = la_lookaside_alloc_inline(cache);
                *(volatile char *)held[i] = 1;
            }
            for (int i = 0; i < BATCH; ++i) la_lookaside_free_inline(cache, held[i]);
        }
        uint64_t d = demo_now_ns() - t0;
        if (d < best) best = d;
    }
    return (double)best / ((double)(REPS / 5) * BATCH);
}

int demo_speed(void) {
    demo_title("speed (one quick run; bench/ has the real figures)");
    la_lookaside_params_t p = {0};
    p.name = "demo.speed";
    p.size = SIZE;
    p.tag = LA_TAG('S', 'p', 'e', 'd');
    la_lookaside_t *cache;
    if (la_lookaside_create(&p, &cache)) return 1;
    double la = per_pair_lookaside(cache), ma = per_pair_malloc();
    printf("allocate %d x %d B then free them: lookaside %.2f ns/pair, glibc malloc %.2f ns/pair "
           "(%.1fx)%s\n", BATCH, SIZE, la, ma, la > 0 ? ma / la : 0.0,
           LA_CONFIG_CHECKED ? " [checked build: owner checks on every free]" : "");
    return la_lookaside_destroy(cache) == 0 ? 0 : 1;
}
