/* bench.h — the benchmark harness every bench/bench_*.c program uses.
 *
 * Method (bench/README.md says why):
 *   - A case is a body function that performs `iters` iterations of the measured
 *     operation on one thread. The harness runs it on 1..BENCH_MAX_THREADS worker
 *     threads pinned to CPUs 0, 1, ... (modulo the online CPUs), created once per
 *     case and kept for all its repetitions.
 *   - Per-thread setup/teardown hooks run on the worker thread, outside the timed
 *     region: allocate ballast there (BENCH_BALLAST live objects per thread, so no
 *     allocator ever measures an empty heap) and per-thread state.
 *   - Calibration: iterations double until a repetition takes >= 1/8 of the target,
 *     then scale to the target (10 ms; 2 ms with --quick). One warm-up repetition,
 *     then N timed repetitions (7; 3 with --quick). Each repetition releases all
 *     threads through a spin gate at once; its time is wall time from the first
 *     thread's start to the last thread's end.
 *   - The figure is ns per operation: wall / (iters * ops_per_iter * threads), i.e.
 *     for several threads the AGGREGATE cost (total throughput), as in the perf
 *     anchors. min / median / max over the timed repetitions are kept.
 *   - Nothing is asserted; results are printed as a table whose ratio column
 *     divides each median by the baseline row's median in the same column
 *     (< 1 faster than the baseline).
 *
 * Usage:
 *     static void body(void *arg, void *tls, unsigned thread, uint64_t iters) {...}
 *     int main(int argc, char **argv) {
 *         bench_init(argc, argv, "what this program measures");
 *         bench_table_t *t = bench_table_new("title", "ns per pair");
 *         bench_case_t c = {.name = "peer", .column = "1 thread", .threads = 1,
 *                           .body = body, .ops_per_iter = 1};
 *         bench_run_into(t, &c);
 *         bench_table_print(t, "peer");   // ratios against row "peer"
 *         bench_table_free(t);
 *         return 0;
 *     }
 *
 * Options every bench program accepts (bench_init parses them):
 *   --quick           2 ms repetitions, 3 of them (smoke runs, CI)
 *   --reps N          timed repetitions (default 7)
 *   --target-ms N     target duration of one repetition (default 10)
 *   --filter TEXT     run only cases whose "name/column" contains TEXT
 *   --help
 */
#ifndef LA_BENCH_H
#define LA_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_THREADS 8
#define BENCH_MAX_REPS 64
/* Live objects a thread keeps allocated during a case (see the setup hook). */
#define BENCH_BALLAST 64

/* Options after bench_init. */
typedef struct bench_options {
    bool quick;
    unsigned reps;
    double target_ms;
    const char *filter;
} bench_options_t;

extern bench_options_t bench_opt;

/* Runs `iters` iterations on worker `thread` (0-based). `arg` is the case's arg,
 * `tls` what setup returned for this thread. */
typedef void bench_body_fn(void *arg, void *tls, unsigned thread, uint64_t iters);
/* Per-thread hooks, run on the worker thread before the first / after the last
 * repetition, untimed. setup returns the thread's `tls` (NULL is fine). */
typedef void *bench_setup_fn(void *arg, unsigned thread);
typedef void bench_teardown_fn(void *arg, void *tls, unsigned thread);

typedef struct bench_case {
    const char *name;           /* row: the back end ("sslist", "mutex", ...) */
    const char *column;         /* column: the situation ("1 thread", "2 threads") */
    unsigned threads;           /* 1..BENCH_MAX_THREADS, pinned to CPU 0, 1, ... */
    bench_body_fn *body;
    void *arg;
    bench_setup_fn *setup;      /* optional: ballast, per-thread state */
    bench_teardown_fn *teardown; /* optional */
    double ops_per_iter;        /* operations one iteration counts as (0 means 1) */
} bench_case_t;

typedef struct bench_result {
    double min_ns, median_ns, max_ns; /* per operation, aggregate over threads */
    uint64_t iters;                   /* per thread per repetition, after calibration */
    unsigned reps;
    bool ran;                         /* false when filtered out or it failed to start */
} bench_result_t;

/* Parse the options (exits on --help or a bad option) and print the run header:
 * program purpose, CPU model, online CPUs, compiler, method. */
void bench_init(int argc, char **argv, const char *purpose);

/* Measure one case. Returns false (and prints why) when it cannot run. */
bool bench_run(const bench_case_t *c, bench_result_t *out);

/* ---- tables ------------------------------------------------------------------ */

typedef struct bench_table bench_table_t;

bench_table_t *bench_table_new(const char *title, const char *unit);
/* Record a result in cell (row, column); rows and columns appear in first-use order. */
void bench_table_add(bench_table_t *t, const char *row, const char *column, const bench_result_t *r);
/* bench_run + bench_table_add (a case that did not run leaves its cell empty). */
void bench_run_into(bench_table_t *t, const bench_case_t *c);
/* Print: per column "median (min..max)" and "ratio" = median / baseline row's
 * median (baseline NULL or absent: no ratio column). */
void bench_table_print(const bench_table_t *t, const char *baseline_row);
void bench_table_free(bench_table_t *t);

/* Keep the compiler from deleting a computation whose result is unused. */
static inline void bench_keep(const void *p) { __asm__ __volatile__("" : : "r"(p) : "memory"); }

#endif /* LA_BENCH_H */
