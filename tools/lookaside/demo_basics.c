/* demo_basics.c — the first demo sections: what the platform offers, the LIFO
 * reuse the seeds show, a driver's request queue built from lookaside blocks and
 * intrusive list links, and the sequenced S-list. */
#include "tool.h"

#include <lookaside/lookaside.h>
#include <stdio.h>
#include <string.h>

int demo_platform(void) {
    demo_title("platform");
    return la_platform_print();
}

/* The book's demonstration: the block freed is the block the next allocation gets. */
int demo_lifo_reuse(void) {
    demo_title("LIFO reuse: the block freed is the block handed out next");
    la_lookaside_params_t p = {0};
    p.name = "demo.lifo";
    p.size = 64;
    p.tag = LA_TAG('D', 'e', 'm', 'o');
    la_lookaside_t *cache;
    if (la_lookaside_create(&p, &cache)) return 1;
    void *a = la_lookaside_alloc(cache);
    void *b = la_lookaside_alloc(cache);
    printf("allocate A = %p, B = %p (both misses: the cache starts empty)\n", a, b);
    la_lookaside_free(cache, a);
    void *c = la_lookaside_alloc(cache);
    printf("free A, allocate again      = %p  -> %s\n", c, c == a ? "A again (a hit)" : "a different block");
    la_lookaside_free(cache, b);
    la_lookaside_free(cache, c);
    la_lookaside_print(cache);
    size_t leaked = la_lookaside_destroy(cache);
    return (c == a && leaked == 0) ? 0 : 1;
}

/* The Russian article's driver, natively: blocks from a lookaside list carry a list
 * link (not as their first field), five rounds of add-add-remove, then drain. */
typedef struct request {
    uint32_t id;
    char payload[36];
    la_list_entry_t link;
} request_t;

int demo_driver_queue(void) {
    demo_title("a driver's queue: lookaside blocks linked through LIST_ENTRY-style links");
    la_lookaside_params_t p = {0};
    p.name = "demo.requests";
    p.size = sizeof(request_t);
    p.tag = LA_TAG('R', 'q', 's', 't');
    la_lookaside_t *cache;
    if (la_lookaside_create(&p, &cache)) return 1;
    la_list_entry_t queue;
    la_list_init(&queue);
    uint32_t next_id = 1;
    for (int round = 1; round <= 5; ++round) {
        for (int k = 0; k < 2; ++k) {
            request_t *r = la_lookaside_alloc(cache);
            if (!r) return 1;
            r->id = next_id++;
            snprintf(r->payload, sizeof r->payload, "round %d", round);
            LA_LIST_INSERT_TAIL(&queue, &r->link);
        }
        la_list_entry_t *e = LA_LIST_REMOVE_HEAD(&queue);
        request_t *done = LA_CONTAINER_OF(e, request_t, link);
        printf("round %d: added #%u and #%u, completed #%u; queue holds %zu\n", round, next_id - 2,
               next_id - 1, done->id, la_list_count(&queue));
        la_lookaside_free(cache, done);
    }
    size_t drained = 0;
    while (!la_list_is_empty(&queue)) {
        request_t *r = LA_CONTAINER_OF(LA_LIST_REMOVE_HEAD(&queue), request_t, link);
        la_lookaside_free(cache, r);
        drained++;
    }
    printf("drained %zu requests\n", drained);
    la_lookaside_print(cache);
    return la_lookaside_destroy(cache) == 0 && drained == 5 ? 0 : 1;
}

/* S-list entries must be 16-byte aligned: embed the link at an aligned offset. */
typedef struct work_item {
    LA_ALIGNAS(16) la_sslist_entry_t link;
    int id;
} work_item_t;

int demo_sslist(void) {
    demo_title("sequenced S-list: 16-byte header, depth + sequence, 128-bit CAS");
    static work_item_t items[3];
    la_sslist_header_t list;
    la_sslist_init(&list);
    printf("mode: %s\n", la_sslist_is_lock_free(&list) ? "lock-free (16-byte compare-and-swap)"
                                                        : "locked (no 16-byte CAS on this CPU)");
    for (int i = 0; i < 3; ++i) {
        items[i].id = i;
        la_sslist_push(&list, &items[i].link);
        printf("push item %d -> depth %u, sequence %llu\n", i, la_sslist_depth(&list),
               (unsigned long long)la_sslist_sequence(&list));
    }
    work_item_t *top = LA_CONTAINER_OF(la_sslist_pop(&list), work_item_t, link);
    printf("pop -> item %d (LIFO), depth %u\n", top->id, la_sslist_depth(&list));
    la_sslist_entry_t *chain = la_sslist_flush(&list);
    work_item_t *first = LA_CONTAINER_OF(chain, work_item_t, link);
    printf("flush -> chain of item %d then item %d, depth %u\n", first->id,
           LA_CONTAINER_OF(chain->next, work_item_t, link)->id, la_sslist_depth(&list));
    return top->id == 2 && first->id == 1 && la_sslist_depth(&list) == 0 ? 0 : 1;
}
