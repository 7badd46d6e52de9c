/* intrusive_lists.c — a driver-style request queue on <lookaside/list.h>.
 *
 * Requests live in a fixed array. Free ones sit on a singly linked list (LIFO:
 * the most recently freed request is reused first, warm in cache); submitted ones
 * sit on a doubly linked pending queue (urgent ones at the head); completed ones
 * move to a done queue that is spliced onto an archive in O(1). A batch arrives as
 * a headless ring and is appended with AppendTailList semantics. Finally a broken
 * link is caught by a checked removal: with a handler installed the report is
 * printed and the list is left untouched (without one, the program would abort).
 *
 * Every mutating call below uses the checked macros, so a corruption would be
 * reported with this file's name and the line of the call. */
#include <lookaside/lookaside.h>

#include <stdio.h>

typedef struct request {
    int id;
    int urgent;
    la_list_entry_t queue_link;       /* pending, done or archive queue */
    la_single_list_entry_t free_link; /* free list while not in use */
} request_t;

#define NREQ 8
static request_t requests[NREQ];
static la_single_list_entry_t free_list;

static request_t *request_alloc(void) {
    la_single_list_entry_t *e = LA_SINGLE_LIST_POP(&free_list);
    return e ? LA_CONTAINER_OF(e, request_t, free_link) : NULL;
}

static void request_free(request_t *r) { LA_SINGLE_LIST_PUSH(&free_list, &r->free_link); }

static void print_queue(const char *name, const la_list_entry_t *head) {
    const la_list_entry_t *pos;
    printf("%s:", name);
    for (pos = head->next; pos != head; pos = pos->next)
        printf(" %d", LA_CONTAINER_OF(pos, const request_t, queue_link)->id);
    printf(" (%zu)\n", la_list_count(head));
}

static void count_report(const la_fatal_report_t *report, void *arg) {
    ++*(int *)arg;
    printf("handler saw %s at line %d: %s\n", report->code_name, report->line, report->message);
}

int main(void) {
    la_list_entry_t pending, done, archive, *pos, *tmp;
    la_list_init(&pending);
    la_list_init(&done);
    la_list_init(&archive);
    la_single_list_init(&free_list);
    for (int i = NREQ - 1; i >= 0; i--) {
        requests[i].id = i;
        request_free(&requests[i]); /* request 0 ends on top */
    }

    /* Submit six: every third one is urgent and jumps the queue. */
    for (int n = 0; n < 6; n++) {
        request_t *r = request_alloc();
        r->urgent = n % 3 == 2;
        if (r->urgent)
            LA_LIST_INSERT_HEAD(&pending, &r->queue_link);
        else
            LA_LIST_INSERT_TAIL(&pending, &r->queue_link);
    }
    print_queue("pending", &pending); /* 5 2 0 1 3 4 */

    /* Cancel the odd ids while walking: the _SAFE walk tolerates unlinking pos. */
    LA_LIST_FOR_EACH_SAFE(pos, tmp, &pending) {
        request_t *r = LA_CONTAINER_OF(pos, request_t, queue_link);
        if (r->id % 2) {
            LA_LIST_REMOVE_ENTRY(pos);
            request_free(r);
        }
    }
    print_queue("after cancel", &pending); /* 2 0 4 */

    /* LIFO reuse: the last cancelled request (3, freed last) comes back first. */
    request_t *again = request_alloc();
    printf("reused request %d first (LIFO)\n", again->id);
    request_free(again);

    /* Complete in order; "now empty" tells us when the queue drained. */
    while (!la_list_is_empty(&pending)) {
        la_list_entry_t *e = LA_LIST_REMOVE_HEAD(&pending);
        LA_LIST_INSERT_TAIL(&done, e);
    }
    print_queue("done", &done);
    LA_LIST_SPLICE_TAIL(&archive, &done); /* O(1), done becomes empty */
    printf("spliced: done is %s\n", la_list_is_empty(&done) ? "empty" : "NOT empty");

    /* A batch built as a headless ring (no sentinel), appended at the tail. */
    request_t *a = request_alloc(), *b = request_alloc(), *c = request_alloc();
    la_list_init(&a->queue_link);                  /* a one-entry ring */
    LA_LIST_INSERT_TAIL(&a->queue_link, &b->queue_link); /* a is the ring's "head" here... */
    LA_LIST_INSERT_TAIL(&a->queue_link, &c->queue_link); /* ...so the ring is a, b, c */
    LA_LIST_APPEND_HEADLESS(&archive, &a->queue_link);
    print_queue("archive", &archive);

    /* Removing a request tells us whether the queue is now empty. */
    bool empty = LA_LIST_REMOVE_ENTRY(&c->queue_link);
    printf("removed %d, archive now empty: %s\n", c->id, empty ? "yes" : "no");
    request_free(c);

    /* Corruption: a stray write breaks a back link. The checked removal reports
     * it (code, entry, file:line, which link) and, because our handler returns,
     * abandons the removal without touching anything. */
    int reports = 0;
    la_fatal_handler_set(count_report, &reports);
    la_list_entry_t *victim = archive.next->next; /* the second archived request */
    la_list_entry_t *saved = victim->next->prev;
    victim->next->prev = &archive; /* the stray write */
    la_list_entry_t *before_next = victim->next, *before_prev = victim->prev;
    bool r = LA_LIST_REMOVE_ENTRY(victim);
    int untouched = victim->next == before_next && victim->prev == before_prev &&
                    before_prev->next == victim;
    printf("corruption caught: %d report(s), removal %s, list %s\n", reports,
           r ? "done" : "abandoned", untouched ? "unchanged" : "CHANGED");
    victim->next->prev = saved; /* repair, then the list checks clean again */
    printf("after repair the archive is %s\n", LA_LIST_CHECK(&archive) ? "consistent" : "BROKEN");
    la_fatal_handler_set(NULL, NULL);
    return 0;
}
