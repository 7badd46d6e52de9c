/* bench.c — the benchmark harness (see bench.h for the method and API).
 *
 * Threads: a case gets its own worker threads, pinned, created before calibration
 * and joined after the last repetition. Between repetitions the workers block on a
 * semaphore each (so an unpinned main thread is never starved by spinners); on
 * release they meet at a spin gate, read the clock, run the body, read the clock.
 * Main blocks on a semaphore until the last worker is done. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bench_options_t bench_opt = {false, 7, 10.0, NULL};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* ---- options and run header ----------------------------------------------------- */

static void usage(const char *prog, FILE *f) {
    fprintf(f,
            "usage: %s [--quick] [--reps N] [--target-ms N] [--filter TEXT]\n"
            "  --quick        2 ms repetitions, 3 of them\n"
            "  --reps N       timed repetitions per case (default 7, max %d)\n"
            "  --target-ms N  duration of one repetition (default 10)\n"
            "  --filter TEXT  only cases whose \"name/column\" contains TEXT\n",
            prog, BENCH_MAX_REPS);
}

static void cpu_model(char *buf, size_t len) {
    snprintf(buf, len, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ') p++;
                p[strcspn(p, "\n")] = '\0';
                snprintf(buf, len, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

void bench_init(int argc, char **argv, const char *purpose) {
    bool reps_set = false, target_set = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) {
            bench_opt.quick = true;
        } else if (strcmp(a, "--reps") == 0 && i + 1 < argc) {
            bench_opt.reps = (unsigned)strtoul(argv[++i], NULL, 10);
            reps_set = true;
        } else if (strcmp(a, "--target-ms") == 0 && i + 1 < argc) {
            bench_opt.target_ms = strtod(argv[++i], NULL);
            target_set = true;
        } else if (strcmp(a, "--filter") == 0 && i + 1 < argc) {
            bench_opt.filter = argv[++i];
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(argv[0], stdout);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown option '%s'\n", argv[0], a);
            usage(argv[0], stderr);
            exit(2);
        }
    }
    if (bench_opt.quick) {
        if (!reps_set) bench_opt.reps = 3;
        if (!target_set) bench_opt.target_ms = 2.0;
    }
    if (bench_opt.reps < 1) bench_opt.reps = 1;
    if (bench_opt.reps > BENCH_MAX_REPS) bench_opt.reps = BENCH_MAX_REPS;
    if (!(bench_opt.target_ms > 0.01)) bench_opt.target_ms = 0.01;

    char model[256];
    cpu_model(model, sizeof model);
    time_t t = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
    printf("# %s\n", purpose);
    printf("# %s, %u online CPUs, compiler %s, %s\n", model, online_cpus(), __VERSION__, when);
    printf("# method: threads pinned to CPU 0,1,...; calibrated to ~%.0f ms per repetition; "
           "1 warm-up + %u timed repetitions%s\n",
           bench_opt.target_ms, bench_opt.reps, bench_opt.quick ? " (--quick)" : "");
    fflush(stdout);
}

/* ---- worker threads -------------------------------------------------------------- */

typedef struct pool pool_t;

typedef struct worker {
    pool_t *pool;
    unsigned index;
    pthread_t thread;
    sem_t go;
    void *tls;
    uint64_t t0, t1;
    int pin_error;
} worker_t;

struct pool {
    const bench_case_t *c;
    unsigned n;
    worker_t w[BENCH_MAX_THREADS];
    uint64_t iters;
    _Atomic unsigned arrived; /* gate: workers that reached it this repetition */
    _Atomic unsigned finished;
    _Atomic int quit;
    sem_t ready; /* a worker finished setup */
    sem_t done;  /* the last worker finished a repetition */
};

static void *worker_main(void *arg) {
    worker_t *w = arg;
    pool_t *p = w->pool;
    unsigned cpus = online_cpus();
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(w->index % cpus, &set);
    w->pin_error = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    w->tls = p->c->setup ? p->c->setup(p->c->arg, w->index) : NULL;
    sem_post(&p->ready);
    for (;;) {
        while (sem_wait(&w->go) != 0 && errno == EINTR) {
        }
        if (atomic_load(&p->quit)) break;
        /* start gate: nobody starts before everybody is awake */
        atomic_fetch_add(&p->arrived, 1);
        while (atomic_load_explicit(&p->arrived, memory_order_acquire) < p->n) {
        }
        w->t0 = now_ns();
        p->c->body(p->c->arg, w->tls, w->index, p->iters);
        w->t1 = now_ns();
        if (atomic_fetch_add(&p->finished, 1) + 1 == p->n) sem_post(&p->done);
    }
    if (p->c->teardown) p->c->teardown(p->c->arg, w->tls, w->index);
    return NULL;
}

/* One repetition of `iters` per thread; returns its wall time in ns. */
static uint64_t run_rep(pool_t *p, uint64_t iters) {
    p->iters = iters;
    atomic_store(&p->arrived, 0);
    atomic_store(&p->finished, 0);
    for (unsigned i = 0; i < p->n; i++) sem_post(&p->w[i].go);
    while (sem_wait(&p->done) != 0 && errno == EINTR) {
    }
    uint64_t start = UINT64_MAX, end = 0;
    for (unsigned i = 0; i < p->n; i++) {
        if (p->w[i].t0 < start) start = p->w[i].t0;
        if (p->w[i].t1 > end) end = p->w[i].t1;
    }
    return end > start ? end - start : 1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool filtered_out(const bench_case_t *c) {
    if (!bench_opt.filter) return false;
    char key[256];
    snprintf(key, sizeof key, "%s/%s", c->name, c->column ? c->column : "");
    return strstr(key, bench_opt.filter) == NULL;
}

bool bench_run(const bench_case_t *c, bench_result_t *out) {
    memset(out, 0, sizeof *out);
    if (filtered_out(c)) return false;
    if (c->threads < 1 || c->threads > BENCH_MAX_THREADS || !c->body) {
        fprintf(stderr, "bench: case %s/%s: bad thread count or no body\n", c->name, c->column);
        return false;
    }
    pool_t *p = calloc(1, sizeof *p);
    if (!p) return false;
    p->c = c;
    p->n = c->threads;
    sem_init(&p->ready, 0, 0);
    sem_init(&p->done, 0, 0);
    unsigned started = 0;
    for (; started < p->n; started++) {
        worker_t *w = &p->w[started];
        w->pool = p;
        w->index = started;
        sem_init(&w->go, 0, 0);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) break;
    }
    bool ok = started == p->n;
    for (unsigned i = 0; i < started; i++)
        while (sem_wait(&p->ready) != 0 && errno == EINTR) {
        }
    for (unsigned i = 0; ok && i < p->n; i++)
        if (p->w[i].pin_error) {
            fprintf(stderr, "bench: %s/%s: could not pin thread %u (error %d); running unpinned\n",
                    c->name, c->column, i, p->w[i].pin_error);
            break;
        }

    if (ok) {
        const double target = bench_opt.target_ms * 1e6;
        /* calibrate: a cold first repetition (page faults, thread start) is thrown
         * away; then double until a repetition is long enough to scale from */
        (void)run_rep(p, 1);
        uint64_t iters = 1, t = run_rep(p, iters);
        while ((double)t < target / 8 && iters < (UINT64_C(1) << 40)) {
            iters *= (double)t < target / 1000 ? 16 : 2;
            t = run_rep(p, iters);
        }
        double scaled = (double)iters * target / (double)t;
        iters = scaled < 1 ? 1 : (uint64_t)scaled;
        /* warm-up at the chosen count; if it lands far from the target (the
         * scaling sample was disturbed), rescale once and warm up again */
        t = run_rep(p, iters);
        if ((double)t < target / 2 || (double)t > target * 2) {
            scaled = (double)iters * target / (double)t;
            iters = scaled < 1 ? 1 : (uint64_t)scaled;
            (void)run_rep(p, iters);
        }
        double ns[BENCH_MAX_REPS];
        const double ops = (double)iters * (c->ops_per_iter > 0 ? c->ops_per_iter : 1.0) * p->n;
        for (unsigned r = 0; r < bench_opt.reps; r++) ns[r] = (double)run_rep(p, iters) / ops;
        qsort(ns, bench_opt.reps, sizeof ns[0], cmp_double);
        out->min_ns = ns[0];
        out->max_ns = ns[bench_opt.reps - 1];
        out->median_ns = bench_opt.reps % 2 ? ns[bench_opt.reps / 2]
                                            : (ns[bench_opt.reps / 2 - 1] + ns[bench_opt.reps / 2]) / 2;
        out->iters = iters;
        out->reps = bench_opt.reps;
        out->ran = true;
    } else {
        fprintf(stderr, "bench: %s/%s: could not start %u threads\n", c->name, c->column, p->n);
    }

    atomic_store(&p->quit, 1);
    for (unsigned i = 0; i < started; i++) sem_post(&p->w[i].go);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(p->w[i].thread, NULL);
        sem_destroy(&p->w[i].go);
    }
    sem_destroy(&p->ready);
    sem_destroy(&p->done);
    free(p);
    return ok;
}

/* ---- tables ------------------------------------------------------------------------ */

#define TABLE_MAX 32

struct bench_table {
    char *title, *unit;
    char *rows[TABLE_MAX], *cols[TABLE_MAX];
    unsigned nrows, ncols;
    bench_result_t cell[TABLE_MAX][TABLE_MAX];
};

bench_table_t *bench_table_new(const char *title, const char *unit) {
    bench_table_t *t = calloc(1, sizeof *t);
    if (!t) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    t->title = strdup(title);
    t->unit = strdup(unit);
    return t;
}

static int find_or_add(char **names, unsigned *n, const char *name) {
    for (unsigned i = 0; i < *n; i++)
        if (strcmp(names[i], name) == 0) return (int)i;
    if (*n == TABLE_MAX) return -1;
    names[*n] = strdup(name);
    return (int)(*n)++;
}

void bench_table_add(bench_table_t *t, const char *row, const char *column, const bench_result_t *r) {
    int i = find_or_add(t->rows, &t->nrows, row);
    int j = find_or_add(t->cols, &t->ncols, column ? column : "");
    if (i < 0 || j < 0) {
        fprintf(stderr, "bench: table '%s' is full\n", t->title);
        return;
    }
    t->cell[i][j] = *r;
}

void bench_run_into(bench_table_t *t, const bench_case_t *c) {
    bench_result_t r;
    if (filtered_out(c)) return;
    bench_run(c, &r);
    bench_table_add(t, c->name, c->column, &r);
    if (r.ran)
        fprintf(stderr, "  %-24s %-22s median %9.2f  min %9.2f  max %9.2f  (%llu iters x %u threads)\n",
                c->name, c->column, r.median_ns, r.min_ns, r.max_ns, (unsigned long long)r.iters,
                c->threads);
}

void bench_table_print(const bench_table_t *t, const char *baseline_row) {
    int base = -1;
    for (unsigned i = 0; baseline_row && i < t->nrows; i++)
        if (strcmp(t->rows[i], baseline_row) == 0) base = (int)i;
    const int name_w = 22, cell_w = 28;
    printf("\n## %s — %s, median (min..max) of %u repetitions", t->title, t->unit, bench_opt.reps);
    if (base >= 0) printf("; ratio = median / median of '%s' (< 1 is faster)", baseline_row);
    printf("\n\n%-*s", name_w, "");
    for (unsigned j = 0; j < t->ncols; j++) {
        printf(" | %-*s", cell_w, t->cols[j]);
        if (base >= 0) printf(" %6s", "ratio");
    }
    printf("\n");
    for (unsigned i = 0; i < t->nrows; i++) {
        printf("%-*s", name_w, t->rows[i]);
        for (unsigned j = 0; j < t->ncols; j++) {
            const bench_result_t *r = &t->cell[i][j];
            char buf[64];
            if (r->ran)
                snprintf(buf, sizeof buf, "%8.2f (%.2f..%.2f)", r->median_ns, r->min_ns, r->max_ns);
            else
                snprintf(buf, sizeof buf, "%8s", "-");
            printf(" | %-*s", cell_w, buf);
            if (base >= 0) {
                const bench_result_t *b = &t->cell[base][j];
                if (r->ran && b->ran && b->median_ns > 0)
                    printf(" %6.2f", r->median_ns / b->median_ns);
                else
                    printf(" %6s", "-");
            }
        }
        printf("\n");
    }
    fflush(stdout);
}

void bench_table_free(bench_table_t *t) {
    if (!t) return;
    for (unsigned i = 0; i < t->nrows; i++) free(t->rows[i]);
    for (unsigned j = 0; j < t->ncols; j++) free(t->cols[j]);
    free(t->title);
    free(t->unit);
    free(t);
}
