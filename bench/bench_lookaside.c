/* bench_lookaside.c — lookaside caches against the general-purpose allocators and
 * the Windows-shaped depot alone, in the four cases of the perf anchors, at 16, 64,
 * 256 and 1024 bytes; then instruction counts per pair from callgrind.
 *
 * Cases (ns per object = one allocate + one free, BENCH_BALLAST live objects of the
 * size per thread, each object has one word written):
 *   a  LIFO: allocate, touch, free; one thread.
 *   b  allocate 1000 (touching each), then free them in allocation order; one thread.
 *   c  two threads each doing b independently (aggregate ns per pair; the scaling
 *      column is b / c: 2.0 is ideal).
 *   d  thread 0 allocates, writes i and passes the pointer through a 1024-slot
 *      single-producer/single-consumer ring (indices cached, published every 16
 *      items or before waiting); thread 1 checks i and frees (cross-thread free).
 *      ns per object.
 * Threads are pinned (CPU 0, 1). Calibrated ~10 ms repetitions, 1 warm-up + 7
 * timed per case (bench.h); the whole set runs in ROUNDS rounds (default 3,
 * --rounds N) with the back ends in a rotated order each round. A cell shows the
 * median over rounds of each round's median, and (best..worst) round medians.
 *
 * Rows (back ends):
 *   lookaside          la_lookaside_alloc / la_lookaside_free (out of line), a cache
 *                      per size with MaximumDepth 1024 and initial Depth 1024, pool
 *                      backing, background tuner on (as shipped)
 *   lookaside inline   la_lookaside_alloc_inline / la_lookaside_free_inline, same caches
 *   depot (Windows)    the depot alone, as the WDK layer drives it: S-list push/pop on
 *                      every call, Windows counters, Depth = MaximumDepth = 1024,
 *                      malloc backing for misses
 *   glibc              malloc / free, default settings (in this process)
 *   glibc-tuned        child process with GLIBC_TUNABLES=glibc.malloc.trim_threshold=
 *                      1073741824:glibc.malloc.tcache_count=1024
 *   mimalloc           child bench_lookaside_mimalloc: mi_malloc / mi_free (2.0.9)
 *   jemalloc           child bench_lookaside_jemalloc linked with -ljemalloc (it
 *                      replaces malloc; checked with dladdr at start)
 *   tcmalloc           child bench_lookaside_tcmalloc linked with -ltcmalloc_minimal
 *                      (gperftools 2.10)
 *   DPDK rte_mempool is not built (libdpdk-dev pulls ~228 packages; optional in the issue).
 * Ratios are against the best peer of each cell is what the goals use; the table's
 * ratio column divides by tcmalloc (the best single-thread peer in the anchors), and
 * the summary after the tables states each goal against the best peer.
 *
 * Instruction counts: the program re-runs itself under valgrind --tool=callgrind
 * (when valgrind is installed) with CALLGRIND_TOGGLE_COLLECT around case a at
 * 64 B for 100k and 200k pairs; Ir per pair = (Ir(200k) - Ir(100k)) / 100k,
 * which includes the loop (about 6-7 instructions inline, 16 with two calls).
 *
 * Build it unchecked (-DLOOKASIDE_CHECKED=OFF): a checked build adds the block
 * trailer checks and sends the inline path out of line; the header says which. */
#define _GNU_SOURCE
#include "bench.h"

#include <lookaside/lookaside.h>

#include "lookaside_internal.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#else
#define CALLGRIND_TOGGLE_COLLECT
#define HAVE_CALLGRIND 0
#endif

#if defined(BENCH_PEER_MIMALLOC)
#include <mimalloc.h>
#define PEER_NAME "mimalloc"
#define PEER_ALLOC(n) mi_malloc(n)
#define PEER_FREE(p) mi_free(p)
#elif defined(BENCH_PEER_JEMALLOC)
#define PEER_NAME "jemalloc"
#elif defined(BENCH_PEER_TCMALLOC)
#define PEER_NAME "tcmalloc"
#else
#define PEER_NAME "glibc"
#define BENCH_MAIN 1
#endif
#ifndef PEER_ALLOC
#define PEER_ALLOC(n) malloc(n)
#define PEER_FREE(p) free(p)
#endif

#define BATCH 1000
#define RING 1024
#define PUBLISH 16
#define NSIZES 4
#define TUNABLES "glibc.malloc.trim_threshold=1073741824:glibc.malloc.tcache_count=1024"

static const size_t sizes[NSIZES] = {16, 64, 256, 1024};

/* ---- the SPSC ring of case d ------------------------------------------------------------------ */

typedef struct ring {
    _Alignas(64) _Atomic uint64_t head; /* consumer's position */
    _Alignas(64) _Atomic uint64_t tail; /* producer's position */
    _Alignas(64) void *slot[RING];
} ring_t;

/* Per-case argument: size, the back end's object (cache or depot), the ring. */
typedef struct bench_arg {
    size_t size;
    void *obj;
    ring_t *ring;
} bench_arg_t;

typedef struct tls {
    void *ballast[BENCH_BALLAST];
    void *batch[BATCH];
} tls_t;

/* One set of bodies per back end, so every call is direct. ALLOC(a) / FREE(a, p)
 * receive the bench_arg_t. */
#define BACKEND(name, ALLOC, FREE)                                                            \
    static void *name##_setup(void *arg, unsigned thread) {                                   \
        (void)thread;                                                                         \
        bench_arg_t *a = arg;                                                                 \
        tls_t *t = calloc(1, sizeof *t);                                                      \
        if (!t) abort();                                                                      \
        for (unsigned i = 0; i < BENCH_BALLAST; i++) t->ballast[i] = ALLOC(a);                \
        return t;                                                                             \
    }                                                                                         \
    static void name##_teardown(void *arg, void *tls, unsigned thread) {                      \
        (void)thread;                                                                         \
        bench_arg_t *a = arg;                                                                 \
        (void)a;                                                                              \
        tls_t *t = tls;                                                                       \
        for (unsigned i = 0; i < BENCH_BALLAST; i++) FREE(a, t->ballast[i]);                  \
        free(t);                                                                              \
    }                                                                                         \
    static void name##_lifo(void *arg, void *tls, unsigned thread, uint64_t iters) {          \
        (void)tls;                                                                            \
        (void)thread;                                                                         \
        bench_arg_t local = *(bench_arg_t *)arg, *a = &local;                         \
        for (uint64_t i = 0; i < iters; i++) {                                                \
            uint64_t *p = ALLOC(a);                                                           \
            *(volatile uint64_t *)p = i;                                                      \
            FREE(a, p);                                                                       \
        }                                                                                     \
    }                                                                                         \
    static void name##_batch(void *arg, void *tls, unsigned thread, uint64_t iters) {         \
        (void)thread;                                                                         \
        bench_arg_t local = *(bench_arg_t *)arg, *a = &local;                         \
        void **v = ((tls_t *)tls)->batch;                                                     \
        for (uint64_t i = 0; i < iters; i++) {                                                \
            for (unsigned k = 0; k < BATCH; k++) {                                            \
                v[k] = ALLOC(a);                                                              \
                *(volatile uint64_t *)v[k] = k;                                               \
            }                                                                                 \
            for (unsigned k = 0; k < BATCH; k++) FREE(a, v[k]);                               \
        }                                                                                     \
    }                                                                                         \
    static void name##_pipe(void *arg, void *tls, unsigned thread, uint64_t iters) {          \
        (void)tls;                                                                            \
        bench_arg_t local = *(bench_arg_t *)arg, *a = &local;                         \
        ring_t *r = a->ring;                                                                  \
        if (thread == 0) {                                                                    \
            uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);             \
            uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);             \
            for (uint64_t i = 0; i < iters; i++) {                                            \
                uint64_t *p = ALLOC(a);                                                       \
                *p = i;                                                                       \
                while (tail - head == RING) {                                                 \
                    atomic_store_explicit(&r->tail, tail, memory_order_release);              \
                    head = atomic_load_explicit(&r->head, memory_order_acquire);              \
                }                                                                             \
                r->slot[tail % RING] = p;                                                     \
                if (++tail % PUBLISH == 0) atomic_store_explicit(&r->tail, tail, memory_order_release); \
            }                                                                                 \
            atomic_store_explicit(&r->tail, tail, memory_order_release);                      \
        } else {                                                                              \
            uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);             \
            uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);             \
            uint64_t base = head;                                                             \
            for (uint64_t i = 0; i < iters; i++) {                                            \
                while (head == tail) {                                                        \
                    atomic_store_explicit(&r->head, head, memory_order_release);              \
                    tail = atomic_load_explicit(&r->tail, memory_order_acquire);              \
                }                                                                             \
                uint64_t *p = r->slot[head % RING];                                           \
                if (*p != head - base) {                                                      \
                    fprintf(stderr, "bench_lookaside: %s handed out a live object\n", #name); \
                    abort();                                                                  \
                }                                                                             \
                FREE(a, p);                                                                   \
                if (++head % PUBLISH == 0) atomic_store_explicit(&r->head, head, memory_order_release); \
            }                                                                                 \
            atomic_store_explicit(&r->head, head, memory_order_release);                      \
        }                                                                                     \
    }

#define P_ALLOC(a) PEER_ALLOC((a)->size)
#define P_FREE(a, p) PEER_FREE(p)
BACKEND(peer, P_ALLOC, P_FREE)

#ifdef BENCH_MAIN
#define LK_ALLOC(a) la_lookaside_alloc((la_lookaside_t *)(a)->obj)
#define LK_FREE(a, p) la_lookaside_free((la_lookaside_t *)(a)->obj, (p))
BACKEND(lk, LK_ALLOC, LK_FREE)
#define LI_ALLOC(a) la_lookaside_alloc_inline((la_lookaside_t *)(a)->obj)
#define LI_FREE(a, p) la_lookaside_free_inline((la_lookaside_t *)(a)->obj, (p))
BACKEND(li, LI_ALLOC, LI_FREE)
#define DP_ALLOC(a) lai_depot_alloc((lai_depot_t *)(a)->obj)
#define DP_FREE(a, p) lai_depot_free((lai_depot_t *)(a)->obj, (p))
BACKEND(dp, DP_ALLOC, DP_FREE)

static void *depot_malloc(int32_t type, size_t size, uint32_t tag) {
    (void)type;
    (void)tag;
    return aligned_alloc(16, (size + 15) & ~(size_t)15);
}
static void depot_free(void *b) { free(b); }
#endif

typedef struct backend {
    const char *row;
    bench_body_fn *lifo, *batch, *pipe;
    bench_setup_fn *setup;
    bench_teardown_fn *teardown;
} backend_t;

#define BACKEND_ROW(row, name) \
    {row, name##_lifo, name##_batch, name##_pipe, name##_setup, name##_teardown}

static char colname[NSIZES][16];
static const char *col(unsigned i) {
    snprintf(colname[i], sizeof colname[i], "%zu B", sizes[i]);
    return colname[i];
}

/* Run the four cases of one back end at every size; call `put` with each result. */
typedef void put_fn(unsigned kase, unsigned size_index, const bench_result_t *r, void *ctx);

static void run_backend(const backend_t *be, void *const objs[NSIZES], put_fn *put, void *ctx) {
    static ring_t ring;
    for (unsigned i = 0; i < NSIZES; i++) {
        bench_arg_t arg = {sizes[i], objs ? objs[i] : NULL, &ring};
        for (unsigned k = 0; k < 4; k++) {
            bench_case_t c = {.name = be->row, .column = col(i), .threads = k >= 2 ? 2 : 1,
                              .arg = &arg, .setup = be->setup, .teardown = be->teardown};
            c.body = k == 0 ? be->lifo : k == 3 ? be->pipe : be->batch;
            c.ops_per_iter = k == 0 ? 1 : k == 3 ? 0.5 : BATCH;
            char filt[128];
            snprintf(filt, sizeof filt, "%s/%s/%c", be->row, col(i), "abcd"[k]);
            if (bench_opt.filter && !strstr(filt, bench_opt.filter)) continue;
            atomic_store(&ring.head, 0);
            atomic_store(&ring.tail, 0);
            bench_case_t run = c;
            run.name = filt;
            run.column = "";
            bench_result_t r;
            const char *saved = bench_opt.filter;
            bench_opt.filter = NULL; /* filtered above, with the case letter */
            bool ok = bench_run(&run, &r);
            bench_opt.filter = saved;
            if (ok && r.ran) put(k, i, &r, ctx);
        }
    }
}

/* ---- callgrind: case a at 64 B, N pairs, collecting only the loop ---------------------------- */

static void callgrind_loop(const backend_t *be, void *obj, uint64_t n) {
    bench_arg_t arg = {64, obj, NULL};
    void *t = be->setup(&arg, 0);
    be->lifo(&arg, t, 0, 1000); /* warm */
    CALLGRIND_TOGGLE_COLLECT;
    be->lifo(&arg, t, 0, n);
    CALLGRIND_TOGGLE_COLLECT;
    be->teardown(&arg, t, 0);
}

/* ---- child mode: one round of this process's peer, RESULT lines for the parent -------------- */

static void put_line(unsigned k, unsigned i, const bench_result_t *r, void *ctx) {
    (void)ctx;
    printf("RESULT %u %zu %.4f %.4f %.4f\n", k, sizes[i], r->min_ns, r->median_ns, r->max_ns);
    fflush(stdout);
}

static const backend_t peer_be = BACKEND_ROW(PEER_NAME, peer);

static int child_main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "--callgrind") == 0) { /* --callgrind [row] N */
        callgrind_loop(&peer_be, NULL, strtoull(argv[argc - 1], NULL, 10));
        return 0;
    }
    run_backend(&peer_be, NULL, put_line, NULL);
    return 0;
}

#ifndef BENCH_MAIN
int main(int argc, char **argv) {
#ifdef BENCH_PEER_JEMALLOC
    Dl_info info;
    if (!dladdr((void *)malloc, &info) || !info.dli_fname || !strstr(info.dli_fname, "jemalloc")) {
        fprintf(stderr, "bench_lookaside_jemalloc: malloc is not jemalloc's (%s)\n",
                info.dli_fname ? info.dli_fname : "?");
        return 1;
    }
#endif
    if (argc >= 2 && strcmp(argv[1], "--callgrind") == 0) return child_main(argc, argv);
    bench_init(argc, argv, "bench_lookaside child (" PEER_NAME ")");
    return child_main(argc, argv);
}
#else

/* ---- the parent --------------------------------------------------------------------------------- */

#define MAX_ROWS 12
#define MAX_ROUNDS 9

typedef struct cell {
    double med[MAX_ROUNDS];
    unsigned n;
} cell_t;

static const char *rows[MAX_ROWS];
static unsigned nrows;
static cell_t cells[MAX_ROWS][4][NSIZES];

static unsigned row_index(const char *row) {
    for (unsigned i = 0; i < nrows; i++)
        if (!strcmp(rows[i], row)) return i;
    rows[nrows] = row;
    return nrows++;
}

static void put_cell(unsigned k, unsigned i, const bench_result_t *r, void *ctx) {
    cell_t *c = &cells[row_index(ctx)][k][i];
    if (c->n < MAX_ROUNDS) c->med[c->n++] = r->median_ns;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median / best / worst over rounds. */
static bool summary(const cell_t *c, bench_result_t *r) {
    if (!c->n) return false;
    double v[MAX_ROUNDS];
    memcpy(v, c->med, c->n * sizeof *v);
    qsort(v, c->n, sizeof *v, cmp_double);
    r->min_ns = v[0];
    r->max_ns = v[c->n - 1];
    r->median_ns = c->n % 2 ? v[c->n / 2] : (v[c->n / 2 - 1] + v[c->n / 2]) / 2;
    r->ran = true;
    r->reps = c->n;
    return true;
}

static char self_path[4096];
static const char *const case_names[4] = {"a LIFO", "b batch 1000", "c 2 threads x b", "d cross-thread"};

/* Run `env exe[suffix] [--child]` with our options and collect its RESULT lines. */
static void run_child(const char *env, const char *suffix, bool child_flag, const char *row) {
    char opts[256], cmd[8192];
    snprintf(opts, sizeof opts, "--reps %u --target-ms %g%s%s%s", bench_opt.reps, bench_opt.target_ms,
             bench_opt.quick ? " --quick" : "", bench_opt.filter ? " --filter " : "",
             bench_opt.filter ? bench_opt.filter : "");
    snprintf(cmd, sizeof cmd, "%s '%s%s'%s %s 2>/dev/null", env, self_path, suffix,
             child_flag ? " --child" : "", opts);
    fflush(stdout);
    FILE *f = popen(cmd, "r");
    if (!f) return;
    char line[512];
    int got = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned k;
        size_t sz;
        bench_result_t r = {0};
        if (sscanf(line, "RESULT %u %zu %lf %lf %lf", &k, &sz, &r.min_ns, &r.median_ns, &r.max_ns) != 5)
            continue;
        for (unsigned i = 0; i < NSIZES; i++)
            if (sizes[i] == sz && k < 4) put_cell(k, i, &r, (void *)row), got++;
    }
    if (pclose(f) != 0 || !got) fprintf(stderr, "bench_lookaside: %s: no results (peer skipped)\n", row);
}

/* Ir of one callgrind run of `cmd`; 0 when it failed. */
static double callgrind_ir(const char *env, const char *cmd) {
    char out[] = "/tmp/bench_lookaside_cg.XXXXXX";
    int fd = mkstemp(out);
    if (fd < 0) return 0;
    close(fd);
    char full[8192];
    snprintf(full, sizeof full,
             "%s valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=%s %s >/dev/null 2>&1",
             env, out, cmd);
    double ir = 0;
    if (system(full) == 0) {
        FILE *f = fopen(out, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7)) ir = strtod(strchr(line, ':') + 1, NULL);
        if (f) fclose(f);
    }
    unlink(out);
    return ir;
}

static double ir_per_pair(const char *env, const char *prefix, const char *row) {
    char c1[6000], c2[6000];
    snprintf(c1, sizeof c1, "%s --callgrind %s 100000", prefix, row);
    snprintf(c2, sizeof c2, "%s --callgrind %s 200000", prefix, row);
    double a = callgrind_ir(env, c1), b = callgrind_ir(env, c2);
    return (a > 0 && b > a) ? (b - a) / 100000.0 : -1;
}

static la_lookaside_t *caches[NSIZES];
static lai_depot_t depots[NSIZES];
static void *cache_objs[NSIZES], *depot_objs[NSIZES];

static void make_backends(void) {
    for (unsigned i = 0; i < NSIZES; i++) {
        la_lookaside_params_t p = {0};
        p.name = "bench";
        p.size = sizes[i];
        p.tag = LA_TAG('B', 'n', 'c', 'h');
        p.max_depth = 1024;
        p.depth = 1024;
        if (la_lookaside_create(&p, &caches[i])) abort();
        cache_objs[i] = caches[i];
        lai_depot_init(&depots[i], LAI_DEPOT_KIND_PLAIN, 0, LA_TAG('D', 'e', 'p', 't'), (uint32_t)sizes[i]);
        depots[i].dp_alloc.plain = depot_malloc;
        depots[i].dp_free.plain = depot_free;
        depots[i].dp_depth = depots[i].dp_max_depth = 1024;
        depot_objs[i] = &depots[i];
    }
}

static const backend_t lk_be = BACKEND_ROW("lookaside", lk);
static const backend_t li_be = BACKEND_ROW("lookaside inline", li);
static const backend_t dp_be = BACKEND_ROW("depot (Windows)", dp);

static int callgrind_self(int argc, char **argv) {
    /* --callgrind <row> <n> */
    if (argc < 4) return 2;
    make_backends();
    uint64_t n = strtoull(argv[3], NULL, 10);
    if (!strcmp(argv[2], "lookaside")) callgrind_loop(&lk_be, caches[1], n);
    else if (!strcmp(argv[2], "inline")) callgrind_loop(&li_be, caches[1], n);
    else if (!strcmp(argv[2], "depot")) callgrind_loop(&dp_be, &depots[1], n);
    else callgrind_loop(&peer_be, NULL, n);
    return 0;
}

static void print_goals(void);

static void to_stdout(const char *text, void *arg) {
    (void)arg;
    fputs(text, stdout);
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--callgrind") == 0) return callgrind_self(argc, argv);
    bool child = argc > 1 && strcmp(argv[1], "--child") == 0;
    if (child) {
        argv[1] = argv[0];
        argv++;
        argc--;
        bench_init(argc, argv, "bench_lookaside child (glibc-tuned)");
        return child_main(argc, argv);
    }
    unsigned rounds = 3;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--rounds")) {
            rounds = (unsigned)atoi(argv[i + 1]);
            memmove(&argv[i], &argv[i + 2], (size_t)(argc - i - 1) * sizeof *argv);
            argc -= 2;
            break;
        }
    if (rounds < 1) rounds = 1;
    if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
    bench_init(argc, argv,
               "lookaside caches vs glibc (default, tuned), mimalloc, jemalloc, tcmalloc and the depot alone: "
               "cases a-d at 16/64/256/1024 B");
    printf("build: LA_CONFIG_CHECKED=%d%s; tunables for glibc-tuned: %s; rounds: %u\n", LA_CONFIG_CHECKED,
           LA_CONFIG_CHECKED ? " (CHECKED BUILD: the inline path goes out of line and blocks carry trailers; "
                               "configure with -DLOOKASIDE_CHECKED=OFF for representative figures)"
                             : "",
           TUNABLES, rounds);
    ssize_t len = readlink("/proc/self/exe", self_path, sizeof self_path - 32);
    self_path[len > 0 ? len : 0] = '\0';
    make_backends();
    /* Rows appear in this order. */
    static const char *const order[] = {"lookaside",  "lookaside inline", "depot (Windows)", "glibc",
                                        "glibc-tuned", "mimalloc",        "jemalloc",        "tcmalloc"};
    for (unsigned i = 0; i < LA_ARRAY_SIZE(order); i++) row_index(order[i]);
    for (unsigned round = 0; round < rounds; round++) {
        for (unsigned j = 0; j < LA_ARRAY_SIZE(order); j++) {
            unsigned b = (j + round * 3) % LA_ARRAY_SIZE(order); /* rotate the order */
            fprintf(stderr, "round %u/%u: %s\n", round + 1, rounds, order[b]);
            switch (b) {
            case 0: run_backend(&lk_be, cache_objs, put_cell, (void *)order[b]); break;
            case 1: run_backend(&li_be, cache_objs, put_cell, (void *)order[b]); break;
            case 2: run_backend(&dp_be, depot_objs, put_cell, (void *)order[b]); break;
            case 3: run_backend(&peer_be, NULL, put_cell, (void *)order[b]); break;
            case 4: run_child("GLIBC_TUNABLES=" TUNABLES, "", true, order[b]); break;
            case 5: run_child("", "_mimalloc", false, order[b]); break;
            case 6: run_child("", "_jemalloc", false, order[b]); break;
            case 7: run_child("", "_tcmalloc", false, order[b]); break;
            }
        }
    }
    for (unsigned k = 0; k < 4; k++) {
        char title[128];
        snprintf(title, sizeof title, "%s: median of %u round medians (best..worst round)", case_names[k], rounds);
        bench_table_t *t = bench_table_new(title, k == 3 ? "ns per object" : "ns per pair");
        for (unsigned r = 0; r < nrows; r++)
            for (unsigned i = 0; i < NSIZES; i++) {
                bench_result_t res = {0};
                if (summary(&cells[r][k][i], &res)) bench_table_add(t, rows[r], col(i), &res);
            }
        bench_table_print(t, "tcmalloc");
        bench_table_free(t);
    }
    print_goals();
    /* Instruction counts. */
    printf("\n## Instructions per pair, case a, 64 B (callgrind; loop included)\n\n");
    if (system("valgrind --version >/dev/null 2>&1") != 0) {
        printf("valgrind not installed: skipped\n");
    } else {
        static const struct {
            const char *row, *env, *prefix_fmt, *arg;
        } cg[] = {
            {"lookaside", "", "'%s'", "lookaside"},
            {"lookaside inline", "", "'%s'", "inline"},
            {"depot (Windows)", "", "'%s'", "depot"},
            {"glibc", "", "'%s'", "glibc"},
            {"glibc-tuned", "GLIBC_TUNABLES=" TUNABLES, "'%s'", "glibc"},
            {"mimalloc", "", "'%s_mimalloc'", "peer"},
            {"jemalloc", "", "'%s_jemalloc'", "peer"},
            {"tcmalloc", "", "'%s_tcmalloc'", "peer"},
        };
        for (unsigned i = 0; i < LA_ARRAY_SIZE(cg); i++) {
            char prefix[4600];
            snprintf(prefix, sizeof prefix, cg[i].prefix_fmt, self_path);
            double ir = ir_per_pair(cg[i].env, prefix, cg[i].arg);
            if (ir < 0)
                printf("%-18s (failed)\n", cg[i].row);
            else
                printf("%-18s %6.1f\n", cg[i].row, ir);
        }
    }
    /* What the caches saw over the whole run (hit rates, Depth after the tuner). */
    printf("\n## The benchmark's caches at the end (!lookaside)\n\n");
    fflush(stdout);
    la_output_set(to_stdout, NULL);
    for (unsigned i = 0; i < NSIZES; i++) la_lookaside_print(caches[i]);
    for (unsigned i = 0; i < NSIZES; i++) la_lookaside_destroy(caches[i]);
    return 0;
}

/* ---- the goals against the best peer of each cell ------------------------------------------- */

static double med(const char *row, unsigned k, unsigned i) {
    for (unsigned r = 0; r < nrows; r++)
        if (!strcmp(rows[r], row)) {
            bench_result_t res;
            return summary(&cells[r][k][i], &res) ? res.median_ns : -1;
        }
    return -1;
}

static const char *const peers[] = {"glibc", "glibc-tuned", "mimalloc", "jemalloc", "tcmalloc"};

static double best_peer(unsigned k, unsigned i, const char **who) {
    double best = -1;
    for (unsigned p = 0; p < LA_ARRAY_SIZE(peers); p++) {
        double v = med(peers[p], k, i);
        if (v > 0 && (best < 0 || v < best)) {
            best = v;
            *who = peers[p];
        }
    }
    return best;
}

static void print_goals(void) {
    printf("\n## Goals (medians; best peer per cell)\n\n");
    for (unsigned i = 0; i < NSIZES; i++) {
        const char *w = "?";
        double lk = med("lookaside", 0, i), li = med("lookaside inline", 0, i);
        printf("%5zu B  a: out of line %.2f ns (goal <= 2.8) %s | inline %.2f ns (goal <= 1.5) %s\n", sizes[i],
               lk, lk > 0 && lk <= 2.8 ? "MET" : "not met", li, li > 0 && li <= 1.5 ? "MET" : "not met");
        double bp = best_peer(1, i, &w), b = med("lookaside", 1, i), bi = med("lookaside inline", 1, i);
        printf("         b: %.2f / inline %.2f ns vs best peer %s %.2f: ratio %.2f / %.2f (goal <= 0.85) %s\n", b, bi, w,
               bp, b / bp, bi / bp, b > 0 && bp > 0 && b / bp <= 0.85 ? "MET" : "not met");
        double cp = best_peer(2, i, &w), c = med("lookaside", 2, i), ci = med("lookaside inline", 2, i);
        printf("         c: %.2f / inline %.2f ns vs best peer %s %.2f: ratio %.2f (goal <= 0.9) %s; scaling "
               "b/c %.2f / inline %.2f (goal >= 1.8) %s\n",
               c, ci, w, cp, c / cp, c > 0 && cp > 0 && c / cp <= 0.9 ? "MET" : "not met", b / c, bi / ci,
               b / c >= 1.8 ? "MET" : "not met");
        double worst_malloc = -1;
        const char *ww = "?";
        for (unsigned p = 0; p < LA_ARRAY_SIZE(peers); p++) {
            double v = med(peers[p], 3, i);
            if (v > 0 && (worst_malloc < 0 || v < worst_malloc)) {
                worst_malloc = v; /* the fastest general-purpose malloc */
                ww = peers[p];
            }
        }
        double d = med("lookaside", 3, i);
        printf("         d: %.2f ns vs fastest malloc %s %.2f: %.2fx faster (goal >= 2x) %s; DPDK not measured\n", d,
               ww, worst_malloc, worst_malloc / d, d > 0 && worst_malloc / d >= 2 ? "MET" : "not met");
    }
}
#endif
