/* pool_report.c — what the pool's accounting looks like to people and programs:
 * the PoolMon-style table, JSON, the leak report, and tag wildcards.
 *
 * What: each report takes one snapshot (la_pool_snapshot: exact sums, see
 * pool_tags.c) — or rows the caller holds (the *_rows entry points, used for
 * snapshots published by another process, src/publish.c) — filters it
 * (include / exclude patterns with '*' and '?', a set of kinds, idle records),
 * sorts it by one PoolMon key, and prints through la_printf.
 *
 * Why here and not in a tool: the live viewer and the WDK layer's !poolused-like
 * output need the same rows; keeping selection and formatting in one place keeps
 * them consistent. Tags print lowest byte first, as Windows shows them.
 *
 * Invariants: the snapshot buffer is allocated with malloc, never from the pool
 * (reports must work while the pool is out of memory, and must not change the
 * counters they print). Lines are emitted one la_printf call each.
 * Lock order: takes the tag registry lock only inside la_pool_snapshot. */
#include "pool_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

bool la_pool_tag_match(la_tag_t tag, const char *pattern) {
    char t[5];
    la_tag_format(tag, t);
    if (!pattern) return true;
    /* Iterative glob: remember the last '*' and retry from one character further. */
    const char *s = t, *p = pattern, *star = NULL, *mark = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            mark = s;
        } else if (*p == '?' || *p == *s) {
            ++p;
            ++s;
        } else if (star) {
            p = star + 1;
            s = ++mark;
        } else {
            return false;
        }
    }
    while (*p == '*') ++p;
    return *p == '\0';
}

typedef struct rows {
    la_pool_tag_info_t *v;
    size_t n;
} rows_t;

static la_pool_sort_t sort_key;

static uint64_t per_alloc(const la_pool_tag_info_t *r) {
    return r->outstanding ? r->bytes / r->outstanding : 0;
}

static int tag_cmp(const la_pool_tag_info_t *a, const la_pool_tag_info_t *b) {
    char x[5], y[5];
    int c = strcmp(la_tag_format(a->tag, x), la_tag_format(b->tag, y));
    if (c) return c;
    return (int)a->kind - (int)b->kind;
}

static int row_cmp(const void *pa, const void *pb) {
    const la_pool_tag_info_t *a = pa, *b = pb;
    uint64_t x = 0, y = 0;
    switch (sort_key) {
    case LA_POOL_SORT_ALLOCS: x = a->allocs; y = b->allocs; break;
    case LA_POOL_SORT_FREES: x = a->frees; y = b->frees; break;
    case LA_POOL_SORT_DIFF: x = a->outstanding; y = b->outstanding; break;
    case LA_POOL_SORT_BYTES: x = a->bytes; y = b->bytes; break;
    case LA_POOL_SORT_PER_ALLOC: x = per_alloc(a); y = per_alloc(b); break;
    case LA_POOL_SORT_TAG: default: return tag_cmp(a, b);
    }
    if (x != y) return x > y ? -1 : 1; /* descending, like PoolMon */
    return tag_cmp(a, b);
}

static bool selected(const la_pool_report_opts_t *o, const la_pool_tag_info_t *r) {
    if (!o) return true;
    if (o->kinds && !(o->kinds & (1u << r->kind))) return false;
    if (o->hide_idle && r->allocs == 0 && r->failures == 0) return false;
    if (o->include && !la_pool_tag_match(r->tag, o->include)) return false;
    if (o->exclude && la_pool_tag_match(r->tag, o->exclude)) return false;
    return true;
}

static la_prim_lock_t sort_lock = LA_PRIM_LOCK_INIT; /* qsort has no context argument */

/* Filter `v[0..n)` in place and sort what is left; returns the rows kept. */
static size_t select_sort(la_pool_tag_info_t *v, size_t n, const la_pool_report_opts_t *o) {
    size_t k = 0;
    for (size_t i = 0; i < n; ++i)
        if (selected(o, &v[i])) v[k++] = v[i];
    la_prim_lock_acquire(&sort_lock);
    sort_key = o ? o->sort : LA_POOL_SORT_TAG;
    qsort(v, k, sizeof *v, row_cmp);
    la_prim_lock_release(&sort_lock);
    return k;
}

/* Snapshot, filter and sort. Returns false (rows empty) when memory is short. */
static bool collect(const la_pool_report_opts_t *o, rows_t *out) {
    out->v = NULL;
    out->n = 0;
    size_t count = 0;
    la_pool_snapshot(NULL, 0, &count);
    for (int tries = 0; tries < 4; ++tries) {
        size_t cap = count + 16;
        la_pool_tag_info_t *v = malloc(cap * sizeof *v);
        if (!v) return false;
        if (la_pool_snapshot(v, cap, &count) == 0) {
            out->v = v;
            out->n = select_sort(v, count, o);
            return true;
        }
        free(v);
    }
    return false;
}

/* The table of rows already selected and sorted. */
static void table_rows(const la_pool_tag_info_t *v, size_t n, const la_pool_report_opts_t *opts) {
    la_printf(" %-4s %-5s %12s %12s %10s %14s %9s\n", "Tag", "Type", "Allocs", "Frees", "Diff",
              "Bytes", "PerAlloc");
    uint64_t ta = 0, tf = 0, td = 0, tb = 0;
    for (size_t i = 0; i < n; ++i) {
        const la_pool_tag_info_t *x = &v[i];
        char t[5];
        la_printf(" %-4s %-5s %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %14" PRIu64 " %9" PRIu64 "\n",
                  la_tag_format(x->tag, t), la_pool_kind_name(x->kind), x->allocs, x->frees,
                  x->outstanding, x->bytes, per_alloc(x));
        ta += x->allocs;
        tf += x->frees;
        td += x->outstanding;
        tb += x->bytes;
    }
    if (opts && opts->totals)
        la_printf(" %-4s %-5s %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %14" PRIu64 " %9" PRIu64 "\n",
                  "Tot", "", ta, tf, td, tb, td ? tb / td : 0);
}

size_t la_pool_table_print(const la_pool_report_opts_t *opts) {
    rows_t r;
    if (!collect(opts, &r)) {
        la_printf("lookaside: pool table: out of memory\n");
        return 0;
    }
    table_rows(r.v, r.n, opts);
    free(r.v);
    return r.n;
}

size_t la_pool_table_print_rows(la_pool_tag_info_t *rows, size_t count, const la_pool_report_opts_t *opts) {
    if (!rows) count = 0;
    size_t n = select_sort(rows, count, opts);
    table_rows(rows, n, opts);
    return n;
}

static void json_rows(const la_pool_tag_info_t *v, size_t n) {
    la_printf("{\"pool_tags\":[");
    for (size_t i = 0; i < n; ++i) {
        const la_pool_tag_info_t *x = &v[i];
        char t[5], esc[16];
        la_tag_format(x->tag, t);
        size_t k = 0;
        for (int j = 0; j < 4; ++j) {
            if (t[j] == '"' || t[j] == '\\') esc[k++] = '\\';
            esc[k++] = t[j];
        }
        esc[k] = '\0';
        la_printf("%s\n{\"tag\":\"%s\",\"tag_value\":%" PRIu32 ",\"type\":\"%s\",\"allocs\":%" PRIu64
                  ",\"frees\":%" PRIu64 ",\"diff\":%" PRIu64 ",\"bytes\":%" PRIu64
                  ",\"per_alloc\":%" PRIu64 ",\"peak_bytes\":%" PRIu64 ",\"failures\":%" PRIu64
                  ",\"budget_denials\":%" PRIu64 ",\"tag_mismatches\":%" PRIu64 "}",
                  i ? "," : "", esc, x->tag, la_pool_kind_name(x->kind), x->allocs, x->frees,
                  x->outstanding, x->bytes, per_alloc(x), x->peak_bytes, x->failures,
                  x->budget_denials, x->tag_mismatches);
    }
    la_printf("\n]}\n");
}

size_t la_pool_json_print(const la_pool_report_opts_t *opts) {
    rows_t r;
    if (!collect(opts, &r)) {
        la_printf("{\"error\":\"out of memory\"}\n");
        return 0;
    }
    json_rows(r.v, r.n);
    free(r.v);
    return r.n;
}

size_t la_pool_json_print_rows(la_pool_tag_info_t *rows, size_t count, const la_pool_report_opts_t *opts) {
    if (!rows) count = 0;
    size_t n = select_sort(rows, count, opts);
    json_rows(rows, n);
    return n;
}

uint64_t la_pool_leak_report(void) {
    la_pool_report_opts_t o = {.sort = LA_POOL_SORT_BYTES};
    rows_t r;
    if (!collect(&o, &r)) {
        la_printf("lookaside: pool leak report: out of memory\n");
        return 0;
    }
    uint64_t blocks = 0, bytes = 0;
    for (size_t i = 0; i < r.n; ++i) {
        blocks += r.v[i].outstanding;
        bytes += r.v[i].bytes;
    }
    if (!blocks) {
        la_printf("lookaside: pool leak report: nothing outstanding\n");
    } else {
        la_printf("lookaside: pool leak report: %" PRIu64 " blocks (%" PRIu64 " bytes) outstanding\n",
                  blocks, bytes);
        la_printf(" %-4s %-5s %10s %14s\n", "Tag", "Type", "Blocks", "Bytes");
        for (size_t i = 0; i < r.n; ++i) {
            if (!r.v[i].outstanding) continue;
            char t[5];
            la_printf(" %-4s %-5s %10" PRIu64 " %14" PRIu64 "\n", la_tag_format(r.v[i].tag, t),
                      la_pool_kind_name(r.v[i].kind), r.v[i].outstanding, r.v[i].bytes);
        }
    }
    free(r.v);
    return blocks;
}

static _Atomic int leak_at_exit;

static void leak_at_exit_hook(void) {
    if (!atomic_load_explicit(&leak_at_exit, memory_order_relaxed)) return;
    la_pool_report_opts_t o = {0};
    rows_t r;
    if (!collect(&o, &r)) return;
    uint64_t blocks = 0;
    for (size_t i = 0; i < r.n; ++i) blocks += r.v[i].outstanding;
    free(r.v);
    if (blocks) la_pool_leak_report();
}

void la_pool_leak_report_at_exit(bool enable) {
    static _Atomic int registered;
    atomic_store_explicit(&leak_at_exit, enable ? 1 : 0, memory_order_relaxed);
    if (enable && atomic_exchange_explicit(&registered, 1, memory_order_acq_rel) == 0) atexit(leak_at_exit_hook);
}
