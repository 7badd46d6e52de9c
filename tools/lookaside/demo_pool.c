/* demo_pool.c — tagged pool accounting: three "drivers" allocate under their own
 * tags, one forgets to free; the PoolMon-style table and the leak report find it. */
#include "tool.h"

#include <lookaside/lookaside.h>
#include <stdio.h>

int demo_pool_tags(void) {
    demo_title("tagged pool: per-tag accounting, PoolMon view, leak report");
    const la_tag_t net = LA_TAG('N', 'e', 't', 'w'), disk = LA_TAG('D', 'i', 's', 'k'),
                   leak = LA_TAG('L', 'e', 'a', 'k');
    void *keep[64];
    int n = 0;
    for (int i = 0; i < 1000; ++i) {
        void *a = la_pool_alloc(LA_POOL_PAGED, 200 + (size_t)(i % 7) * 100, net, 0);
        void *b = la_pool_alloc(LA_POOL_LOCKED, 4096, disk, LA_POOL_F_ZERO);
        if (!a || !b) return 1;
        la_pool_free_tag(a, net);
        la_pool_free_tag(b, disk);
        if (i % 20 == 0) keep[n++] = la_pool_alloc(LA_POOL_PAGED, 48, leak, 0); /* never freed */
    }
    la_pool_report_opts_t opts = {0};
    opts.sort = LA_POOL_SORT_BYTES;
    opts.totals = true;
    la_pool_table_print(&opts);
    printf("\nleak report:\n");
    uint64_t outstanding = la_pool_leak_report();
    la_pool_tag_info_t info;
    int ok = la_pool_tag_query(leak, LA_POOL_KIND_PAGED, &info) == 0 && info.outstanding == (uint64_t)n &&
             outstanding >= (uint64_t)n;
    for (int i = 0; i < n; ++i) la_pool_free(keep[i]);
    return ok ? 0 : 1;
}
