/* bench_pool.c — tagged pool allocate+free against glibc malloc (default and tuned)
 * and mimalloc, sizes 16..4096, LIFO and batch-of-1000; then RSS around a burst.
 *
 * Cases (ns per alloc+free pair, one thread, BENCH_BALLAST live objects of the size):
 *   LIFO   allocate one object, write a byte, free it.
 *   batch  allocate 1000 objects (writing a byte into each), then free them in
 *          allocation order; one iteration counts as 1000 pairs.
 * Rows:
 *   pool         la_pool_alloc(LA_POOL_PAGED, size, tag, 0) / la_pool_free, with the
 *                per-tag accounting that is always on
 *   glibc        malloc / free, default settings
 *   glibc-tuned  the same code in a child process started with
 *                GLIBC_TUNABLES=glibc.malloc.trim_threshold=1073741824:glibc.malloc.tcache_count=1024
 *                (tunables are read at process start only)
 *   mimalloc     mi_malloc / mi_free in the peer binary bench_pool_mimalloc (linking
 *                mimalloc replaces malloc process-wide, so it runs in its own process)
 * Ratios are against glibc-tuned: the goal is "no slower than tuned glibc
 * at any size". Children print "RESULT" lines that the parent puts in its tables.
 * The four back ends run in interleaved rounds (3, or BENCH_POOL_ROUNDS; 1 with
 * --quick), the order rotating each round; each cell shows the round with the
 * lowest median, since a noisy neighbour only ever adds time.
 *
 * RSS: a burst of 256 MiB in blocks of 16..4096 bytes is allocated (each block
 * touched), then freed; RSS is read before, at the peak, after the frees and (pool
 * only) after la_pool_trim. Each back end starts from its own "before". */
#define _GNU_SOURCE
#include "bench.h"

#include <lookaside/pool.h>

#include "prim/prim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef BENCH_PEER_MIMALLOC
#include <mimalloc.h>
#define PEER_NAME "mimalloc"
#define PEER_ALLOC(n) mi_malloc(n)
#define PEER_FREE(p) mi_free(p)
#else
#define PEER_NAME "glibc"
#define PEER_ALLOC(n) malloc(n)
#define PEER_FREE(p) free(p)
#endif

#define BATCH 1000
#define TUNABLES "glibc.malloc.trim_threshold=1073741824:glibc.malloc.tcache_count=1024"

static const size_t sizes[] = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
static const la_tag_t TAG = LA_TAG('B', 'n', 'c', 'h');

typedef struct tls {
    void *ballast[BENCH_BALLAST];
    void *batch[BATCH];
} tls_t;

/* One set of bodies per back end, so every call is direct. */
#define BACKEND(name, ALLOC, FREE)                                                          \
    static void *name##_setup(void *arg, unsigned thread) {                                 \
        (void)thread;                                                                       \
        size_t n = *(const size_t *)arg;                                                    \
        tls_t *t = calloc(1, sizeof *t);                                                    \
        if (!t) abort();                                                                    \
        for (unsigned i = 0; i < BENCH_BALLAST; i++) t->ballast[i] = ALLOC(n);              \
        return t;                                                                           \
    }                                                                                       \
    static void name##_teardown(void *arg, void *tls, unsigned thread) {                    \
        (void)arg;                                                                          \
        (void)thread;                                                                       \
        tls_t *t = tls;                                                                     \
        for (unsigned i = 0; i < BENCH_BALLAST; i++) FREE(t->ballast[i]);                   \
        free(t);                                                                            \
    }                                                                                       \
    static void name##_lifo(void *arg, void *tls, unsigned thread, uint64_t iters) {        \
        (void)tls;                                                                          \
        (void)thread;                                                                       \
        size_t n = *(const size_t *)arg;                                                    \
        for (uint64_t i = 0; i < iters; i++) {                                              \
            char *p = ALLOC(n);                                                             \
            *(volatile char *)p = (char)i;                                                  \
            FREE(p);                                                                        \
        }                                                                                   \
    }                                                                                       \
    static void name##_batch(void *arg, void *tls, unsigned thread, uint64_t iters) {       \
        (void)thread;                                                                       \
        size_t n = *(const size_t *)arg;                                                    \
        void **v = ((tls_t *)tls)->batch;                                                   \
        for (uint64_t i = 0; i < iters; i++) {                                              \
            for (unsigned k = 0; k < BATCH; k++) {                                          \
                v[k] = ALLOC(n);                                                            \
                *(volatile char *)v[k] = (char)k;                                           \
            }                                                                               \
            for (unsigned k = 0; k < BATCH; k++) FREE(v[k]);                                \
        }                                                                                   \
    }

#define POOL_ALLOC(n) la_pool_alloc(LA_POOL_PAGED, (n), TAG, 0)
#define POOL_FREE(p) la_pool_free(p)
#ifndef BENCH_PEER_MIMALLOC
BACKEND(pool, POOL_ALLOC, POOL_FREE)
#endif
BACKEND(peer, PEER_ALLOC, PEER_FREE)

static char column[2][16][24];

static const char *col(int batch, unsigned i) {
    snprintf(column[batch][i], sizeof column[batch][i], "%zu B", sizes[i]);
    return column[batch][i];
}

#define NSIZES (sizeof sizes / sizeof sizes[0])
#ifndef BENCH_PEER_MIMALLOC
enum { ROW_POOL, ROW_GLIBC, ROW_TUNED, ROW_MIMALLOC, NROWS };
static const char *const row_names[NROWS] = {"pool", "glibc", "glibc-tuned", "mimalloc"};
/* Best round per cell: the round whose median is lowest (noisy neighbours only
 * ever add time, research/perf-anchors.md §5). */
static bench_result_t best[NROWS][2][16];

static void keep_best(int row, int b, unsigned i, const bench_result_t *r) {
    bench_result_t *k = &best[row][b][i];
    if (r->ran && (!k->ran || r->median_ns < k->median_ns)) *k = *r;
}

static void run_backend(int row, bool pool) {
    for (unsigned i = 0; i < NSIZES; i++) {
        for (int b = 0; b < 2; b++) {
            bench_case_t c = {.name = row_names[row], .column = col(b, i), .threads = 1,
                              .body = pool ? (b ? pool_batch : pool_lifo) : (b ? peer_batch : peer_lifo),
                              .arg = (void *)&sizes[i], .setup = pool ? pool_setup : peer_setup,
                              .teardown = pool ? pool_teardown : peer_teardown,
                              .ops_per_iter = b ? BATCH : 1};
            bench_result_t r;
            if (bench_run(&c, &r)) keep_best(row, b, i, &r);
        }
    }
}
#endif

/* ---- children --------------------------------------------------------------------- */

/* Child mode: run the peer rows and print RESULT lines for the parent. */
static int child_main(void) {
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int b = 0; b < 2; b++) {
            bench_case_t c = {.name = PEER_NAME, .column = col(b, i), .threads = 1,
                              .body = b ? peer_batch : peer_lifo, .arg = (void *)&sizes[i],
                              .setup = peer_setup, .teardown = peer_teardown,
                              .ops_per_iter = b ? BATCH : 1};
            bench_result_t r;
            if (bench_run(&c, &r) && r.ran)
                printf("RESULT %d %zu %.4f %.4f %.4f %llu %u\n", b, sizes[i], r.min_ns, r.median_ns,
                       r.max_ns, (unsigned long long)r.iters, r.reps);
        }
    }
    return 0;
}

#ifndef BENCH_PEER_MIMALLOC
/* Run `cmd` (a child in child mode) and keep its RESULT lines as `row`. */
static void run_child(const char *cmd, int row) {
    fflush(stdout);
    FILE *f = popen(cmd, "r");
    if (!f) {
        fprintf(stderr, "bench_pool: cannot run %s\n", cmd);
        return;
    }
    char line[512];
    int got = 0;
    while (fgets(line, sizeof line, f)) {
        int b;
        size_t sz;
        unsigned long long iters;
        bench_result_t r = {0};
        if (sscanf(line, "RESULT %d %zu %lf %lf %lf %llu %u", &b, &sz, &r.min_ns, &r.median_ns,
                   &r.max_ns, &iters, &r.reps) != 7)
            continue;
        r.iters = iters;
        r.ran = true;
        for (unsigned i = 0; i < NSIZES; i++)
            if (sizes[i] == sz) keep_best(row, b != 0, i, &r), got++;
    }
    if (pclose(f) != 0 || !got) fprintf(stderr, "bench_pool: %s: no results (peer skipped)\n", row_names[row]);
}
#endif

/* ---- RSS ------------------------------------------------------------------------------ */

#define BURST_BYTES ((size_t)256 << 20)

static double mib(uint64_t b) { return (double)b / (1024.0 * 1024.0); }

static uint64_t rss(void) {
    uint64_t r = 0;
    la_prim_rss_bytes(&r);
    return r;
}

static void rss_burst(const char *row, bool pool) {
    size_t n = 0, cap = BURST_BYTES / 16, bytes = 0;
    void **v = malloc(cap * sizeof *v);
    if (!v) return;
    unsigned s = 1;
    uint64_t before = rss();
    while (bytes < BURST_BYTES && n < cap) {
        s = s * 1103515245u + 12345u;
        size_t sz = sizes[(s >> 16) % (sizeof sizes / sizeof sizes[0])];
        v[n] = pool ? POOL_ALLOC(sz) : PEER_ALLOC(sz);
        if (!v[n]) break;
        memset(v[n], 1, sz);
        bytes += sz;
        n++;
    }
    uint64_t peak = rss();
    for (size_t i = 0; i < n; i++) {
        if (pool) POOL_FREE(v[i]);
        else PEER_FREE(v[i]);
    }
    uint64_t after = rss();
    free(v);
    if (pool) {
        la_pool_trim();
        printf("RSS %-12s before %8.1f MiB  peak %8.1f MiB  after free %8.1f MiB  after la_pool_trim %8.1f MiB\n",
               row, mib(before), mib(peak), mib(after), mib(rss()));
    } else {
        printf("RSS %-12s before %8.1f MiB  peak %8.1f MiB  after free %8.1f MiB\n", row, mib(before),
               mib(peak), mib(after));
    }
}

int main(int argc, char **argv) {
    bool child = argc > 1 && strcmp(argv[1], "--child") == 0;
    if (child) {
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    bench_init(argc, argv,
               child ? "bench_pool child (" PEER_NAME ")"
                     : "tagged pool allocate+free vs glibc (default, tuned) and mimalloc; RSS after a burst");
    if (child) {
        int r = child_main();
        if (getenv("BENCH_POOL_RSS")) rss_burst(PEER_NAME, false);
        return r;
    }
#ifdef BENCH_PEER_MIMALLOC
    return 0;
#else
    /* The child's options: the same as ours (quick, reps, target). */
    char opts[256];
    snprintf(opts, sizeof opts, "--reps %u --target-ms %g%s", bench_opt.reps, bench_opt.target_ms,
             bench_opt.quick ? " --quick" : "");
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 32);
    if (len <= 0) len = 0;
    self[len] = '\0';
    char cmd[8192];

    /* Rounds, interleaved, the order of the back ends rotating each round. */
    unsigned rounds = bench_opt.quick ? 1 : 3;
    const char *env = getenv("BENCH_POOL_ROUNDS");
    if (env && atoi(env) > 0) rounds = (unsigned)atoi(env);
    for (unsigned round = 0; round < rounds; round++) {
        for (int k = 0; k < NROWS; k++) {
            int row = (int)((k + round) % NROWS);
            fprintf(stderr, "bench_pool: round %u/%u: %s\n", round + 1, rounds, row_names[row]);
            if (row == ROW_POOL) run_backend(ROW_POOL, true);
            else if (row == ROW_GLIBC) run_backend(ROW_GLIBC, false);
            else if (row == ROW_TUNED) {
                snprintf(cmd, sizeof cmd, "GLIBC_TUNABLES=%s '%s' --child %s", TUNABLES, self, opts);
                run_child(cmd, ROW_TUNED);
            } else {
                snprintf(cmd, sizeof cmd, "'%s_mimalloc' --child %s", self, opts);
                run_child(cmd, ROW_MIMALLOC);
            }
        }
    }
    char title[2][160];
    snprintf(title[0], sizeof title[0], "LIFO: allocate, touch, free (best of %u interleaved rounds)", rounds);
    snprintf(title[1], sizeof title[1], "batch: allocate 1000, then free 1000 in order (best of %u interleaved rounds)", rounds);
    for (int b = 0; b < 2; b++) {
        bench_table_t *t = bench_table_new(title[b], "ns per pair");
        for (int row = 0; row < NROWS; row++)
            for (unsigned i = 0; i < NSIZES; i++)
                if (best[row][b][i].ran) bench_table_add(t, row_names[row], col(b, i), &best[row][b][i]);
        bench_table_print(t, "glibc-tuned");
        bench_table_free(t);
    }

    printf("\n## RSS around a burst of %zu MiB (blocks of 16..4096 B, each touched)\n\n",
           BURST_BYTES >> 20);
    rss_burst("pool", true);
    rss_burst("glibc", false);
    fflush(stdout);
    snprintf(cmd, sizeof cmd, "BENCH_POOL_RSS=1 '%s_mimalloc' --child --filter none-at-all 2>/dev/null | grep '^RSS'", self);
    if (system(cmd) != 0) fprintf(stderr, "bench_pool: mimalloc RSS skipped\n");
    return 0;
#endif
}
