/* wdk_showcase.c — the WDK layer in one run: the seeds' scenarios written as
 * driver code, a multi-threaded producer/consumer workload on one lookaside list and
 * a spin-lock protected queue, the tuner adjusting Depth, then the !lookaside,
 * !poolused and PoolMon views and a one-line speed comparison with malloc.
 * Everything below uses <lookaside/wdk.h> only (plus pthreads and the clock). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <lookaside/wdk.h>
#include <lookaside/lookaside_list.h> /* la_lookaside_tuner_enable: the demo drives the tuner */

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void title(const char *text) { DbgPrint("\n== %s ==\n", text); }

/* ---- 1. the book: LIFO reuse ------------------------------------------------------------------ */

static int lifo_reuse(void) {
    static NPAGED_LOOKASIDE_LIST list;
    title("the book: the block freed is the block the next allocation returns");
    ExInitializeNPagedLookasideList(&list, NULL, NULL, POOL_NX_ALLOCATION, 128, 'ofiL', 0);
    PVOID first = ExAllocateFromNPagedLookasideList(&list);
    ExFreeToNPagedLookasideList(&list, first);
    PVOID second = ExAllocateFromNPagedLookasideList(&list);
    DbgPrint("first %p, freed, then %p: %s\n", first, second, first == second ? "the same block" : "different");
    ExFreeToNPagedLookasideList(&list, second);
    ExDeleteNPagedLookasideList(&list);
    return first == second ? 0 : 1;
}

/* ---- 2. the article: lookaside blocks linked into a LIST_ENTRY list ---------------------------- */

typedef struct _SOME_STRUCTURE {
    ULONG SomeField1;
    ULONG SomeField2;
    LIST_ENTRY ListEntry;
    ULONG SomeFieldX;
} SOME_STRUCTURE;

static int article_driver(void) {
    static PAGED_LOOKASIDE_LIST list;
    LIST_ENTRY head;
    ULONG index = 0;
    title("the article: five rounds of add-add-remove, then drain");
    ExInitializePagedLookasideList(&list, NULL, NULL, 0, sizeof(SOME_STRUCTURE), 'msaW', 0);
    InitializeListHead(&head);
    for (int round = 0; round < 5; round++) {
        for (int k = 0; k < 2; k++) {
            SOME_STRUCTURE *p = ExAllocateFromPagedLookasideList(&list);
            if (!p) return 1;
            p->SomeField1 = ++index;
            InsertHeadList(&head, &p->ListEntry);
        }
        SOME_STRUCTURE *p = CONTAINING_RECORD(RemoveHeadList(&head), SOME_STRUCTURE, ListEntry);
        DbgPrint("round %d: removed entry #%u\n", round + 1, (unsigned)p->SomeField1);
        ExFreeToPagedLookasideList(&list, p);
    }
    DbgPrint("drain:");
    while (!IsListEmpty(&head)) {
        SOME_STRUCTURE *p = CONTAINING_RECORD(RemoveHeadList(&head), SOME_STRUCTURE, ListEntry);
        DbgPrint(" #%u", (unsigned)p->SomeField1);
        ExFreeToPagedLookasideList(&list, p);
    }
    DbgPrint("\n");
    la_wdk_lookaside_print(&list);
    ExDeletePagedLookasideList(&list);
    return 0;
}

/* ---- 3. the Rust crate's FFI contexts -------------------------------------------------------- */

static int ffi_contexts(void) {
    static LOOKASIDE_LIST_EX list;
    title("the Rust crate's FFI example: contexts 1..4, removed 1, 3, 4, 2");
    if (!NT_SUCCESS(ExInitializeLookasideListEx(&list, NULL, NULL, PagedPool, 0, sizeof(PVOID), 'aabb', 0)))
        return 1;
    PVOID ctx[4];
    for (int i = 0; i < 4; i++) ctx[i] = ExAllocateFromLookasideListEx(&list);
    static const int order[4] = {0, 2, 3, 1};
    for (int i = 0; i < 4; i++) ExFreeToLookasideListEx(&list, ctx[order[i]]);
    la_wdk_lookaside_print(&list);
    ExDeleteLookasideListEx(&list);
    return 0;
}

/* ---- 4. a multi-threaded workload ---------------------------------------------------------------- */

typedef struct _REQUEST {
    ULONG Sequence;
    ULONG Producer;
    LIST_ENTRY Link;
    UCHAR Data[80];
} REQUEST;

#define REQUESTS_PER_PRODUCER 200000
#define MAX_IN_FLIGHT 64 /* the producer waits when this many requests are queued */
static LOOKASIDE_LIST_EX Requests;
static LIST_ENTRY Queue;
static KSPIN_LOCK QueueLock;
static volatile LONG ProducersDone;
static volatile LONG InFlight;

static void *producer(void *arg) {
    ULONG id = (ULONG)(uintptr_t)arg;
    for (ULONG i = 0; i < REQUESTS_PER_PRODUCER; i++) {
        while (__atomic_load_n(&InFlight, __ATOMIC_ACQUIRE) >= MAX_IN_FLIGHT) sched_yield();
        __atomic_add_fetch(&InFlight, 1, __ATOMIC_RELAXED);
        REQUEST *r = ExAllocateFromLookasideListEx(&Requests);
        while (r == NULL) r = ExAllocateFromLookasideListEx(&Requests);
        r->Sequence = i;
        r->Producer = id;
        r->Data[0] = (UCHAR)i;
        ExInterlockedInsertTailList(&Queue, &r->Link, &QueueLock);
    }
    __atomic_add_fetch(&ProducersDone, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *consumer(void *arg) {
    ULONG *consumed = arg;
    for (;;) {
        PLIST_ENTRY e = ExInterlockedRemoveHeadList(&Queue, &QueueLock);
        if (e == NULL) {
            if (__atomic_load_n(&ProducersDone, __ATOMIC_ACQUIRE) == 1) {
                e = ExInterlockedRemoveHeadList(&Queue, &QueueLock); /* last look */
                if (e == NULL) break;
            } else {
                sched_yield();
                continue;
            }
        }
        REQUEST *r = CONTAINING_RECORD(e, REQUEST, Link);
        if (r->Data[0] != (UCHAR)r->Sequence) return NULL;
        ExFreeToLookasideListEx(&Requests, r);
        __atomic_sub_fetch(&InFlight, 1, __ATOMIC_RELEASE);
        (*consumed)++;
    }
    return NULL;
}

/* One run of the producer and the consumer; returns the requests consumed. */
static ULONG run_workload(void) {
    ULONG consumed = 0;
    pthread_t p, c;
    __atomic_store_n(&ProducersDone, 0, __ATOMIC_RELAXED);
    pthread_create(&c, NULL, consumer, &consumed);
    pthread_create(&p, NULL, producer, (void *)1);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    return consumed;
}

static int workload(void) {
    title("two threads: a producer allocates requests, a consumer frees them");
    /* This scene runs the once-a-second tuner pass itself (ExAdjustLookasideDepth below),
     * so the background tuner is switched off: otherwise, on a slow or busy machine, it
     * may raise Depth during the first run and the "before" picture is lost. */
    la_lookaside_tuner_enable(false);
    ExInitializeLookasideListEx(&Requests, NULL, NULL, NonPagedPoolNx, 0, sizeof(REQUEST), 'tseR', 0);
    InitializeListHead(&Queue);
    KeInitializeSpinLock(&QueueLock);
    ULONG consumed = run_workload();
    DbgPrint("%u requests produced, %u consumed at Depth %u (up to 64 in flight: 4 cached blocks are "
             "too few)\n",
             (unsigned)REQUESTS_PER_PRODUCER, (unsigned)consumed, (unsigned)Requests.L.Depth);
    la_wdk_lookaside_print(&Requests);
    ExAdjustLookasideDepth(); /* what the balance-set manager does once a second */
    DbgPrint("after a tuner pass: Depth %u (MaximumDepth %u); the same workload again:\n",
             (unsigned)Requests.L.Depth, (unsigned)Requests.L.MaximumDepth);
    la_wdk_lookaside_reset_counters(&Requests); /* !lookaside option 1 */
    ULONG again = run_workload();
    la_wdk_lookaside_print(&Requests);
    la_lookaside_tuner_enable(true);
    return consumed == REQUESTS_PER_PRODUCER && again == REQUESTS_PER_PRODUCER ? 0 : 1;
}

/* ---- 5. views and speed -------------------------------------------------------------------------- */

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void speed(void) {
    enum { N = 2000000 };
    void *volatile sink;
    double t0 = now_ns();
    for (int i = 0; i < N; i++) {
        void *b = ExAllocateFromLookasideListEx(&Requests);
        sink = b;
        ExFreeToLookasideListEx(&Requests, b);
    }
    double t1 = now_ns();
    for (int i = 0; i < N; i++) {
        void *b = malloc(sizeof(REQUEST));
        sink = b;
        free(b);
    }
    double t2 = now_ns();
    (void)sink;
    double wdk = (t1 - t0) / N, libc = (t2 - t1) / N;
    DbgPrint("speed: ExAllocateFromLookasideListEx+ExFreeToLookasideListEx %.1f ns per pair, "
             "malloc+free %.1f ns per pair (%.2fx; bench/bench_wdk.c measures it properly)\n",
             wdk, libc, wdk / libc);
}

int main(void) {
    int bad = 0;
    bad |= lifo_reuse();
    bad |= article_driver();
    bad |= ffi_contexts();
    bad |= workload();
    title("!lookaside -all");
    la_wdk_lookaside_print_all();
    title("!poolused");
    PVOID held = ExAllocatePool2(POOL_FLAG_PAGED, 4000, 'dloH'); /* something outstanding */
    la_wdk_poolused_print(0, NULL);
    title("PoolMon");
    la_wdk_poolmon_print();
    ExFreePoolWithTag(held, 'dloH');
    title("speed");
    speed();
    ExDeleteLookasideListEx(&Requests);
    return bad;
}
