/* examples/hashmap.c — a container that knows nothing of lookaside lists gets its
 * nodes from one anyway, through the allocator interface.
 *
 * The map (examples/hashmap.h) asks its la_allocator_t for two kinds of memory:
 * nodes (always HM_NODE_SIZE bytes) and bucket arrays (growing). We hand it a
 * lookaside adapter over a cache whose block is exactly a node, with a tagged-pool
 * fallback: every node is a cache block (charged to the cache's tag "HmNd"), every
 * bucket array comes from the pool (tag "HmBk"). Removing and re-inserting reuses
 * the nodes the cache kept (up to its depth plus this thread's magazines); only
 * the rest of the second wave reaches the backing.
 *
 * Then the same map behind the fault-injecting wrapper: an insert whose allocation
 * fails leaves the map exactly as it was. */
#include <lookaside/lookaside.h>

#include "hashmap.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TAG_NODES LA_TAG('H', 'm', 'N', 'd')
#define TAG_BUCKETS LA_TAG('H', 'm', 'B', 'k')

static void sum_values(uint64_t key, uint64_t value, void *arg) {
    (void)key;
    *(uint64_t *)arg += value;
}

static void to_stdout(const char *text, void *arg) {
    (void)arg;
    fputs(text, stdout);
}

static la_lookaside_stats_t cache_stats(la_lookaside_t *cache) {
    la_lookaside_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    la_lookaside_query(cache, &s);
    return s;
}

int main(void) {
    la_output_set(to_stdout, NULL); /* the library's tables in order with ours */
    /* 1. The memory: a cache of nodes, a pool for everything else. */
    la_lookaside_params_t params;
    memset(&params, 0, sizeof params);
    params.name = "hashmap-nodes";
    params.size = HM_NODE_SIZE;
    params.tag = TAG_NODES;
    params.pool_type = LA_POOL_PAGED;
    params.max_depth = 1024;        /* keep up to 1024 free nodes in the depot */
    params.depth = 1024;
    la_lookaside_t *cache;
    int err = la_lookaside_create(&params, &cache);
    if (err) {
        printf("cache: error %d\n", err);
        return 1;
    }
    la_pool_allocator_t buckets;
    la_pool_allocator_init(&buckets, LA_POOL_PAGED, TAG_BUCKETS, 0);
    la_lookaside_allocator_t nodes;
    la_lookaside_allocator_init(&nodes, cache, &buckets.allocator);
    printf("node %zu bytes -> cache block %zu bytes\n", HM_NODE_SIZE, la_lookaside_block_size(cache));

    /* 2. The container, through the interface only. */
    hm_map_t map;
    hm_init(&map, &nodes.allocator);
    for (uint64_t id = 1; id <= 10000; id++)
        if (hm_put(&map, id, id * 2)) return 1;
    uint64_t v = 0, sum = 0;
    bool found = hm_get(&map, 4242, &v);
    printf("entries %zu, get(4242) %s %" PRIu64 "\n", hm_count(&map), found ? "found" : "missing", v);
    for (uint64_t id = 2; id <= 10000; id += 2) hm_remove(&map, id);
    hm_foreach(&map, sum_values, &sum);
    printf("after removing the even ids: entries %zu, sum %" PRIu64 "\n", hm_count(&map), sum);

    la_lookaside_stats_t s1 = cache_stats(cache);
    for (uint64_t id = 20001; id <= 25000; id++) /* reuses the 5000 cached nodes */
        if (hm_put(&map, id, 1)) return 1;
    la_lookaside_stats_t s2 = cache_stats(cache);
    uint64_t misses = s2.allocate_misses - s1.allocate_misses;
    printf("second wave: 5000 inserts, %" PRIu64 " reused cached nodes, %" PRIu64
           " from the backing\n", 5000 - misses, misses);
    printf("nodes outstanding in the cache: %" PRIu64 " (map holds %zu)\n", s2.outstanding,
           hm_count(&map));
    printf("consistent: %s\n", hm_check(&map) == 0 ? "yes" : "NO");

    la_pool_report_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.include = "Hm*";
    la_pool_table_print(&opts);

    /* 3. The same map behind the fault wrapper: the insert's allocation fails. */
    la_fault_allocator_t fault;
    la_fault_allocator_init(&fault, &nodes.allocator);
    hm_map_t small;
    hm_init(&small, &fault.allocator);
    for (uint64_t k = 0; k < 6; k++) hm_put(&small, k, k); /* 6 nodes + 1 bucket array */
    la_fault_allocator_fail_nth(&fault, 1, 1);
    err = hm_put(&small, 100, 100);
    printf("insert under an injected failure: %s, entries %zu, consistent: %s\n",
           err == ENOMEM ? "ENOMEM" : "unexpected", hm_count(&small),
           hm_check(&small) == 0 && !hm_get(&small, 100, NULL) ? "yes" : "NO");
    hm_destroy(&small);
    printf("fault wrapper: live blocks after destroy %" PRIu64 "\n", la_fault_allocator_live(&fault));

    /* 4. Tear down: nothing may be left. */
    hm_destroy(&map);
    la_pool_tag_info_t bk;
    la_pool_tag_query(TAG_BUCKETS, LA_POOL_KIND_PAGED, &bk);
    printf("bucket arrays outstanding: %" PRIu64 "\n", bk.outstanding);
    printf("cache destroyed, blocks leaked: %zu\n", la_lookaside_destroy(cache));
    la_output_set(NULL, NULL);
    return 0;
}
