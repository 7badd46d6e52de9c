/* pool_tags.c — the tagged pool as a driver writer would watch it in PoolMon.
 *
 * Three "subsystems" allocate under their own tags: a request path (small blocks,
 * freed on a worker thread), a cache of buffers (big blocks), and a locked
 * (non-paged) ring. Then the program shows the PoolMon-style table sorted by bytes,
 * a wildcard filter, a budget at work, a wrong-tag free reported once, the JSON
 * form, and the leak report of what is deliberately still outstanding. */
#include <lookaside/lookaside.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define REQUESTS 1000

static const la_tag_t TAG_REQ = LA_TAG('R', 'e', 'q', 's');
static const la_tag_t TAG_BUF = LA_TAG('B', 'u', 'f', 'C');
static const la_tag_t TAG_RING = LA_TAG('R', 'i', 'n', 'g');
static const la_tag_t TAG_LOG = LA_TAG('L', 'o', 'g', ' ');

static void *requests[REQUESTS];

/* A worker completes (frees) every other request: cross-thread frees are counted
 * against the tag that allocated them. */
static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < REQUESTS; i += 2) la_pool_free_tag(requests[i], TAG_REQ);
    return NULL;
}

/* The library prints through its output callback (standard error by default);
 * send it to standard output so it interleaves with ours. */
static void to_stdout(const char *text, void *arg) {
    (void)arg;
    fputs(text, stdout);
}

int main(void) {
    la_output_set(to_stdout, NULL);
    /* Requests: 1000 blocks of 200 bytes (served from the 224-byte class). */
    for (int i = 0; i < REQUESTS; ++i) {
        requests[i] = la_pool_alloc(LA_POOL_PAGED, 200, TAG_REQ, LA_POOL_F_ZERO);
        if (!requests[i]) return 1;
    }
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);

    /* Buffers: 8 blocks of 64 KiB, three given back. */
    void *bufs[8];
    for (int i = 0; i < 8; ++i) bufs[i] = la_pool_alloc(LA_POOL_PAGED, 65536, TAG_BUF, 0);
    for (int i = 0; i < 3; ++i) la_pool_free(bufs[i]);

    /* A locked (non-paged) ring of 16 cache-aligned 1 KiB slots. */
    void *ring[16];
    for (int i = 0; i < 16; ++i) {
        ring[i] = la_pool_alloc(LA_POOL_LOCKED | LA_POOL_CACHE_ALIGNED, 1024, TAG_RING, 0);
        if (!ring[i]) printf("locked ring slot %d: %s\n", i, strerror(errno));
    }

    printf("== PoolMon-style table, sorted by bytes ==\n");
    la_pool_report_opts_t all = {.sort = LA_POOL_SORT_BYTES, .totals = true, .hide_idle = true};
    la_pool_table_print(&all);

    printf("== only tags matching \"R*\" ==\n");
    la_pool_report_opts_t r = {.sort = LA_POOL_SORT_TAG, .include = "R*"};
    la_pool_table_print(&r);

    /* A log buffer with a budget: 4 KiB soft (one warning), 8 KiB hard. */
    printf("== budget: soft 4 KiB, hard 8 KiB for 'Log ' ==\n");
    la_pool_tag_budget_set(TAG_LOG, LA_POOL_KIND_PAGED, 4096, 8192);
    int ok = 0, refused = 0;
    void *logs[16];
    for (int i = 0; i < 16; ++i) {
        logs[i] = la_pool_alloc(LA_POOL_PAGED, 1024, TAG_LOG, 0);
        if (logs[i]) ok++;
        else if (errno == EDQUOT) refused++;
    }
    printf("log buffers: %d allocated, %d refused by the hard budget (EDQUOT)\n", ok, refused);
    for (int i = 0; i < 16; ++i) la_pool_free(logs[i]);

    /* A wrong-tag free: without strict mode it is freed, counted, reported once. */
    printf("== a free with the wrong tag ==\n");
    la_pool_free_tag(requests[1], TAG_BUF);
    la_pool_free_tag(requests[3], TAG_BUF); /* counted, not reported again */
    la_pool_tag_info_t info;
    la_pool_tag_query(TAG_REQ, LA_POOL_KIND_PAGED, &info);
    printf("Reqs: allocs %llu frees %llu outstanding %llu bytes %llu mismatches %llu\n",
           (unsigned long long)info.allocs, (unsigned long long)info.frees,
           (unsigned long long)info.outstanding, (unsigned long long)info.bytes,
           (unsigned long long)info.tag_mismatches);

    printf("== JSON (tags R*) ==\n");
    la_pool_json_print(&r);

    /* Give most back; keep two requests and one buffer to show the leak report. */
    for (int i = 9; i < REQUESTS; i += 2) la_pool_free(requests[i]);
    for (int i = 3; i < 7; ++i) la_pool_free(bufs[i]);
    for (int i = 0; i < 16; ++i) la_pool_free(ring[i]);
    printf("== leak report ==\n");
    uint64_t left = la_pool_leak_report();
    printf("outstanding blocks: %llu\n", (unsigned long long)left);
    /* requests[5], requests[7] and bufs[7] are still out, on purpose. */
    return left == 3 ? 0 : 1;
}
