/* bench_wdk.c — what the WDK layer's Windows semantics cost, beside the native path.
 *
 * Method: the shared harness (bench/bench.h: calibrated repetitions, warm-up,
 * pinned threads, medians and min..max). Each case measures one allocate + free
 * pair of a 64-byte block, LIFO, with BENCH_BALLAST blocks per thread kept live from
 * the same source. "2 threads" means both cores doing pairs at once on the SAME
 * list or cache (aggregate ns per pair: lower is better).
 *
 * Rows:
 *   wdk ExAllocateFromLookasideListEx  the WDK path: the Windows structure's S-list on
 *                                      every call (16-byte CAS pop + push), counters
 *                                      in the structure — expected ~14 ns per pair
 *   wdk ExAllocateFromNPagedLookasideList  the same through the NPaged names
 *   sslist push+pop                    the bare S-list: the floor of the WDK path
 *   native la_lookaside_alloc/free     the engine's per-thread magazines, out of line
 *   native la_lookaside_*_inline       the same, inline
 *   wdk ExAllocatePool2/ExFreePool     the tagged pool through the WDK names
 *   malloc/free                        glibc (default tunables), the baseline
 * Nothing is asserted. */
#include "bench.h"

#include <lookaside/lookaside_list.h>
#include <lookaside/wdk.h>

#include <stdio.h>
#include <stdlib.h>

#define BLOCK 64

static LOOKASIDE_LIST_EX ex_list;
static NPAGED_LOOKASIDE_LIST np_list;
static la_lookaside_t *native;
static SLIST_HEADER bare_list;

typedef struct ballast {
    void *blocks[BENCH_BALLAST];
} ballast_t;

/* ---- bodies --------------------------------------------------------------------------- */

static void body_ex(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)arg, (void)tls, (void)thread;
    for (uint64_t i = 0; i < iters; i++) {
        void *p = ExAllocateFromLookasideListEx(&ex_list);
        bench_keep(p);
        ExFreeToLookasideListEx(&ex_list, p);
    }
}

static void body_np(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)arg, (void)tls, (void)thread;
    for (uint64_t i = 0; i < iters; i++) {
        void *p = ExAllocateFromNPagedLookasideList(&np_list);
        bench_keep(p);
        ExFreeToNPagedLookasideList(&np_list, p);
    }
}

static void body_sslist(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)arg, (void)thread;
    PSLIST_ENTRY mine = (PSLIST_ENTRY)((ballast_t *)tls)->blocks[0];
    for (uint64_t i = 0; i < iters; i++) {
        InterlockedPushEntrySList(&bare_list, mine);
        mine = InterlockedPopEntrySList(&bare_list);
        bench_keep(mine);
    }
}

static void body_native(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)arg, (void)tls, (void)thread;
    for (uint64_t i = 0; i < iters; i++) {
        void *p = la_lookaside_alloc(native);
        bench_keep(p);
        la_lookaside_free(native, p);
    }
}

static void body_native_inline(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)arg, (void)tls, (void)thread;
    for (uint64_t i = 0; i < iters; i++) {
        void *p = la_lookaside_alloc_inline(native);
        bench_keep(p);
        la_lookaside_free_inline(native, p);
    }
}

static void body_pool(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)arg, (void)tls, (void)thread;
    for (uint64_t i = 0; i < iters; i++) {
        void *p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED, BLOCK, 'hcnB');
        bench_keep(p);
        ExFreePool(p);
    }
}

static void body_malloc(void *arg, void *tls, unsigned thread, uint64_t iters) {
    (void)arg, (void)tls, (void)thread;
    for (uint64_t i = 0; i < iters; i++) {
        void *p = malloc(BLOCK);
        bench_keep(p);
        free(p);
    }
}

/* ---- ballast: each back end keeps BENCH_BALLAST of its own blocks live per thread ---------- */

enum source { SRC_EX, SRC_NP, SRC_SSLIST, SRC_NATIVE, SRC_POOL, SRC_MALLOC };

static void *ballast_setup(void *arg, unsigned thread) {
    (void)thread;
    enum source s = (enum source)(uintptr_t)arg;
    ballast_t *b = malloc(sizeof *b);
    if (!b) return NULL;
    for (int i = 0; i < BENCH_BALLAST; i++) {
        switch (s) {
        case SRC_EX: b->blocks[i] = ExAllocateFromLookasideListEx(&ex_list); break;
        case SRC_NP: b->blocks[i] = ExAllocateFromNPagedLookasideList(&np_list); break;
        case SRC_SSLIST: b->blocks[i] = aligned_alloc(16, BLOCK); break;
        case SRC_NATIVE: b->blocks[i] = la_lookaside_alloc(native); break;
        case SRC_POOL: b->blocks[i] = ExAllocatePool2(POOL_FLAG_PAGED, BLOCK, 'hcnB'); break;
        case SRC_MALLOC: b->blocks[i] = malloc(BLOCK); break;
        }
    }
    return b;
}

static void ballast_teardown(void *arg, void *tls, unsigned thread) {
    (void)thread;
    enum source s = (enum source)(uintptr_t)arg;
    ballast_t *b = tls;
    if (!b) return;
    for (int i = 0; i < BENCH_BALLAST; i++) {
        switch (s) {
        case SRC_EX: ExFreeToLookasideListEx(&ex_list, b->blocks[i]); break;
        case SRC_NP: ExFreeToNPagedLookasideList(&np_list, b->blocks[i]); break;
        case SRC_SSLIST: free(b->blocks[i]); break;
        case SRC_NATIVE: la_lookaside_free(native, b->blocks[i]); break;
        case SRC_POOL: ExFreePool(b->blocks[i]); break;
        case SRC_MALLOC: free(b->blocks[i]); break;
        }
    }
    free(b);
}

int main(int argc, char **argv) {
    bench_init(argc, argv,
               "WDK lookaside path (Windows semantics: the shared S-list on every call) beside the "
               "native per-thread path, the bare S-list, the pool and malloc; 64-byte blocks, LIFO pairs");
    if (ExInitializeLookasideListEx(&ex_list, NULL, NULL, NonPagedPoolNx, 0, BLOCK, 'hcnB', 0) != STATUS_SUCCESS)
        return 1;
    ExInitializeNPagedLookasideList(&np_list, NULL, NULL, POOL_NX_ALLOCATION, BLOCK, 'hcnB', 0);
    InitializeSListHead(&bare_list);
    la_lookaside_params_t p = {0};
    p.name = "bench";
    p.size = BLOCK;
    p.tag = LA_TAG('B', 'n', 'c', 'h');
    p.pool_type = LA_POOL_PAGED;
    if (la_lookaside_create(&p, &native) != 0) return 1;

    static const struct {
        const char *name;
        bench_body_fn *body;
        enum source src;
    } rows[] = {
        {"wdk ExAllocateFromLookasideListEx", body_ex, SRC_EX},
        {"wdk ExAllocateFromNPagedLookasideList", body_np, SRC_NP},
        {"sslist push+pop (WDK floor)", body_sslist, SRC_SSLIST},
        {"native la_lookaside_alloc/free", body_native, SRC_NATIVE},
        {"native la_lookaside_*_inline", body_native_inline, SRC_NATIVE},
        {"wdk ExAllocatePool2/ExFreePool", body_pool, SRC_POOL},
        {"malloc/free", body_malloc, SRC_MALLOC},
    };
    static const struct {
        const char *column;
        unsigned threads;
    } cols[] = {{"1 thread", 1}, {"2 threads", 2}};

    bench_table_t *t = bench_table_new("64-byte allocate+free pairs, LIFO", "ns per pair");
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            bench_case_t bc = {.name = rows[r].name,
                               .column = cols[c].column,
                               .threads = cols[c].threads,
                               .body = rows[r].body,
                               .arg = (void *)(uintptr_t)rows[r].src,
                               .setup = ballast_setup,
                               .teardown = ballast_teardown,
                               .ops_per_iter = 1};
            bench_run_into(t, &bc);
        }
    bench_table_print(t, "malloc/free");
    bench_table_free(t);

    printf("\nWDK list after the run (Windows' counters in the structure; lossy under contention):\n");
    fflush(stdout);
    la_wdk_lookaside_print(&ex_list);
    ExDeleteLookasideListEx(&ex_list);
    ExDeleteNPagedLookasideList(&np_list);
    la_lookaside_destroy(native);
    return 0;
}
