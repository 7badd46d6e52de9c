/* wdk_views.c — the pool views a Windows developer knows: !poolused and PoolMon.
 *
 * What: per-tag tables built from the native pool's snapshot (la_pool_snapshot),
 * with tags shown as Windows shows them (lowest byte first: 'Fred' → "derF").
 * The !lookaside view lives with the lists (wdk_lookaside.c).
 *
 * Why: leak hunting on Windows is "which tag grows" (research §1.5, §4); the same
 * tables over our accounting let a driver developer read them without learning a
 * new format.
 *
 * Invariants: read-only; works on a snapshot copied out of the pool, so the pool's
 * locks are never held while printing. Non-paged = the locked kinds, paged = the
 * pageable kinds (executable or not).
 * Lock order: none held here.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lookaside/wdk.h>

typedef struct tag_row {
    la_tag_t tag;
    uint64_t np_outstanding, np_bytes, p_outstanding, p_bytes;
    uint64_t allocs, frees, failures;
} tag_row_t;

/* Row order: mode 2 by non-paged bytes, 4 by paged bytes (both descending), then by
 * the tag as displayed. */
static int cmp_rows(const tag_row_t *x, const tag_row_t *y, ULONG mode) {
    if (mode == 2 && x->np_bytes != y->np_bytes) return x->np_bytes < y->np_bytes ? 1 : -1;
    if (mode == 4 && x->p_bytes != y->p_bytes) return x->p_bytes < y->p_bytes ? 1 : -1;
    char tx[5], ty[5];
    return strcmp(la_tag_format(x->tag, tx), la_tag_format(y->tag, ty));
}

/* Insertion sort: a few hundred tags at most, and no global comparator state. */
static void sort_rows(tag_row_t *rows, size_t n, ULONG mode) {
    for (size_t i = 1; i < n; i++) {
        tag_row_t key = rows[i];
        size_t j = i;
        while (j > 0 && cmp_rows(&rows[j - 1], &key, mode) > 0) {
            rows[j] = rows[j - 1];
            j--;
        }
        rows[j] = key;
    }
}

/* Snapshot of every (tag, kind) record; *n set. NULL with errno on failure. */
static la_pool_tag_info_t *snapshot(size_t *n) {
    for (int attempt = 0; attempt < 8; attempt++) {
        size_t count = 0;
        la_pool_snapshot(NULL, 0, &count);
        size_t cap = count + 16;
        la_pool_tag_info_t *recs = malloc(cap * sizeof *recs);
        if (!recs) return NULL;
        int rc = la_pool_snapshot(recs, cap, &count);
        if (rc == 0) {
            *n = count;
            return recs;
        }
        free(recs);
        if (rc != ENOBUFS) {
            errno = rc;
            return NULL;
        }
    }
    errno = EAGAIN;
    return NULL;
}

ULONG la_wdk_poolused_print(ULONG Flags, PCSTR TagString) {
    size_t n = 0;
    la_pool_tag_info_t *recs = snapshot(&n);
    if (!recs) {
        la_printf("!poolused: cannot read the pool's accounting (errno %d)\n", errno);
        return 0;
    }
    tag_row_t *rows = calloc(n ? n : 1, sizeof *rows);
    size_t nrows = 0;
    for (size_t i = 0; rows && i < n; i++) {
        const la_pool_tag_info_t *r = &recs[i];
        if (TagString && !la_pool_tag_match(r->tag, TagString)) continue;
        size_t j = 0;
        while (j < nrows && rows[j].tag != r->tag) j++;
        if (j == nrows) rows[nrows++].tag = r->tag;
        bool nonpaged = r->kind == LA_POOL_KIND_LOCKED || r->kind == LA_POOL_KIND_LOCKED_EXEC;
        if (nonpaged) {
            rows[j].np_outstanding += r->outstanding;
            rows[j].np_bytes += r->bytes;
        } else {
            rows[j].p_outstanding += r->outstanding;
            rows[j].p_bytes += r->bytes;
        }
        rows[j].allocs += r->allocs;
        rows[j].frees += r->frees;
        rows[j].failures += r->failures;
    }
    free(recs);
    if (!rows) {
        la_printf("!poolused: out of memory\n");
        return 0;
    }
    ULONG sort_mode = (Flags & 2) ? 2 : (Flags & 4) ? 4 : 0;
    sort_rows(rows, nrows, sort_mode);
    bool verbose = (Flags & 1) != 0;
    la_printf("   Sorting by %s\n\n", sort_mode == 2   ? "NonPaged Pool Consumed"
                                      : sort_mode == 4 ? "Paged Pool Consumed"
                                                       : "Tag");
    la_printf("  Pool Used:\n"
              "            NonPaged            Paged%s\n"
              " Tag    Allocs     Used    Allocs     Used%s\n",
              verbose ? "               Lifetime" : "",
              verbose ? "     Allocs      Frees   Failures" : "");
    uint64_t t_np = 0, t_npb = 0, t_p = 0, t_pb = 0;
    for (size_t i = 0; i < nrows; i++) {
        const tag_row_t *r = &rows[i];
        char tag[5];
        if (verbose)
            la_printf(" %-4s %8llu %8llu  %8llu %8llu %10llu %10llu %10llu\n", la_tag_format(r->tag, tag),
                      (unsigned long long)r->np_outstanding, (unsigned long long)r->np_bytes,
                      (unsigned long long)r->p_outstanding, (unsigned long long)r->p_bytes,
                      (unsigned long long)r->allocs, (unsigned long long)r->frees,
                      (unsigned long long)r->failures);
        else
            la_printf(" %-4s %8llu %8llu  %8llu %8llu\n", la_tag_format(r->tag, tag),
                      (unsigned long long)r->np_outstanding, (unsigned long long)r->np_bytes,
                      (unsigned long long)r->p_outstanding, (unsigned long long)r->p_bytes);
        t_np += r->np_outstanding;
        t_npb += r->np_bytes;
        t_p += r->p_outstanding;
        t_pb += r->p_bytes;
    }
    la_printf(" TOTAL %7llu %8llu  %8llu %8llu\n", (unsigned long long)t_np, (unsigned long long)t_npb,
              (unsigned long long)t_p, (unsigned long long)t_pb);
    free(rows);
    return (ULONG)nrows;
}

ULONG la_wdk_poolmon_print(void) {
    la_pool_report_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.sort = LA_POOL_SORT_BYTES;
    opts.totals = true;
    return (ULONG)la_pool_table_print(&opts);
}
