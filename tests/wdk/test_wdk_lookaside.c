/* Lookaside lists through <lookaside/wdk.h> only: init values (Wine's conformance
 * test on Windows), ExInitializeLookasideListEx status codes, the 16-byte alignment
 * rule, hit/miss/free-miss accounting in the structure's own fields, callback
 * counts, flush, delete, misuse reports, the !lookaside view, the tuner, and two
 * threads sharing one list. The background tuner is off (LA_LOOKASIDE_TUNER=0, set
 * by test_wdk_lookaside.cmake) so only ExAdjustLookasideDepth moves Depth. */
#include "test_support.h"

#include <lookaside/wdk.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct _BLOCK {
    ULONG64 Words[6]; /* 48 bytes */
} BLOCK;

/* ---- callbacks that count ------------------------------------------------------------------ */

static int allocs, frees;
static POOL_TYPE seen_type;
static SIZE_T seen_size;
static ULONG seen_tag;
static PLOOKASIDE_LIST_EX seen_list;
static BOOLEAN fail_allocations;

static PVOID NTAPI counting_allocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
    allocs++;
    seen_type = PoolType;
    seen_size = NumberOfBytes;
    seen_tag = Tag;
    if (fail_allocations) return NULL;
    return ExAllocatePoolWithTag(PagedPool, NumberOfBytes, Tag);
}

static VOID NTAPI counting_free(PVOID Buffer) {
    frees++;
    ExFreePool(Buffer);
}

static PVOID NTAPI counting_allocate_ex(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                       PLOOKASIDE_LIST_EX Lookaside) {
    seen_list = Lookaside;
    return counting_allocate(PoolType, NumberOfBytes, Tag);
}

static VOID NTAPI counting_free_ex(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside) {
    seen_list = Lookaside;
    counting_free(Buffer);
}

static void reset_counts(void) {
    allocs = frees = 0;
    seen_type = (POOL_TYPE)-1;
    seen_size = 0;
    seen_tag = 0;
    seen_list = NULL;
    fail_allocations = FALSE;
}

/* ---- initialisation --------------------------------------------------------------------------- */

static void expect_fresh(const GENERAL_LOOKASIDE *L, POOL_TYPE type, SIZE_T size, ULONG tag) {
    assert_int_equal(L->Depth, 4);
    assert_int_equal(L->MaximumDepth, 256);
    assert_int_equal(L->TotalAllocates, 0);
    assert_int_equal(L->AllocateMisses, 0);
    assert_int_equal(L->AllocateHits, 0);
    assert_int_equal(L->TotalFrees, 0);
    assert_int_equal(L->FreeMisses, 0);
    assert_int_equal(L->LastTotalAllocates, 0);
    assert_int_equal(L->LastAllocateMisses, 0);
    assert_int_equal(L->Type, type);
    assert_int_equal(L->Tag, tag);
    assert_int_equal(L->Size, size);
}

static void t_npaged_and_paged_init_values(void **state) {
    (void)state;
    static NPAGED_LOOKASIDE_LIST np;
    static PAGED_LOOKASIDE_LIST pg;
    memset(&np, 0xFF, sizeof np);
    ExInitializeNPagedLookasideList(&np, NULL, NULL, POOL_NX_ALLOCATION, LOOKASIDE_MINIMUM_BLOCK_SIZE,
                                    'tinI', 0);
    expect_fresh(&np.L, (POOL_TYPE)(NonPagedPool | POOL_NX_ALLOCATION), LOOKASIDE_MINIMUM_BLOCK_SIZE, 'tinI');
    assert_ptr_equal(np.L.Allocate, ExAllocatePoolWithTag);
    assert_ptr_equal(np.L.Free, ExFreePool);
    assert_int_equal(ExQueryDepthSList(&np.L.ListHead), 0);
    ExDeleteNPagedLookasideList(&np);
    /* Depth argument 20 is ignored; no flags */
    ExInitializeNPagedLookasideList(&np, NULL, NULL, 0, 64, 'tinI', 20);
    expect_fresh(&np.L, NonPagedPool, 64, 'tinI');
    ExDeleteNPagedLookasideList(&np);
    ExInitializePagedLookasideList(&pg, NULL, NULL, POOL_NX_ALLOCATION, 100, 'tinI', 20);
    expect_fresh(&pg.L, (POOL_TYPE)(PagedPool | POOL_NX_ALLOCATION), 100, 'tinI');
    ExDeletePagedLookasideList(&pg);
    ExInitializePagedLookasideList(&pg, counting_allocate, counting_free, 0, 3, 'tinI', 0);
    expect_fresh(&pg.L, PagedPool, LOOKASIDE_MINIMUM_BLOCK_SIZE, 'tinI'); /* 3 rounds up */
    assert_ptr_equal(pg.L.Allocate, counting_allocate);
    assert_ptr_equal(pg.L.Free, counting_free);
    ExDeletePagedLookasideList(&pg);
}

static void t_ex_init_status_codes_and_type(void **state) {
    (void)state;
    static LOOKASIDE_LIST_EX x;
    assert_int_equal(ExInitializeLookasideListEx(&x, NULL, NULL, DontUseThisType, 0, 32, 'xEtI', 0),
                     STATUS_INVALID_PARAMETER_4);
    assert_int_equal(ExInitializeLookasideListEx(&x, NULL, NULL, (POOL_TYPE)77, 0, 32, 'xEtI', 0),
                     STATUS_INVALID_PARAMETER_4);
    assert_int_equal(ExInitializeLookasideListEx(&x, NULL, NULL, PagedPool,
                                                 EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL |
                                                     EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE,
                                                 32, 'xEtI', 0),
                     STATUS_INVALID_PARAMETER_5);
    assert_int_equal(ExInitializeLookasideListEx(&x, NULL, NULL, PagedPool, 4, 32, 'xEtI', 0),
                     STATUS_INVALID_PARAMETER_5);
    assert_int_equal(ExInitializeLookasideListEx(&x, NULL, NULL, PagedPool, 0,
                                                 (SIZE_T)0x100000000ULL, 'xEtI', 0),
                     STATUS_INVALID_PARAMETER_6);
    assert_int_equal(ExInitializeLookasideListEx(&x, NULL, NULL, NonPagedPoolNx,
                                                 EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, 4, 'xEtI', 7),
                     STATUS_SUCCESS);
    assert_int_equal(x.L.Type, NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE);
    assert_int_equal(x.L.Size, LOOKASIDE_MINIMUM_BLOCK_SIZE);
    assert_int_equal(x.L.Depth, 4);
    assert_int_equal(x.L.MaximumDepth, 256);
    assert_non_null(x.L.AllocateEx);
    assert_non_null(x.L.FreeEx);
    ExDeleteLookasideListEx(&x);
    assert_int_equal(ExInitializeLookasideListEx(&x, NULL, NULL, PagedPool,
                                                 EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE, 24, 'xEtI', 0),
                     STATUS_SUCCESS);
    assert_int_equal(x.L.Type, PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE);
    ExDeleteLookasideListEx(&x);
}

static void t_list_object_must_be_16_byte_aligned(void **state) {
    (void)state;
    static union {
        NPAGED_LOOKASIDE_LIST aligned;
        UCHAR bytes[sizeof(NPAGED_LOOKASIDE_LIST) + 16];
    } u;
    PNPAGED_LOOKASIDE_LIST odd = (PNPAGED_LOOKASIDE_LIST)(void *)(u.bytes + 8);
    PLOOKASIDE_LIST_EX odd_ex = (PLOOKASIDE_LIST_EX)(void *)(u.bytes + 8);
    memset(u.bytes, 0x77, sizeof u.bytes);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    ExInitializeNPagedLookasideList(odd, NULL, NULL, 0, 32, 'ngiA', 0);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_MISALIGNED);
    for (size_t i = 0; i < sizeof u.bytes; i++) assert_int_equal(u.bytes[i], 0x77); /* untouched */
    assert_int_equal(ExInitializeLookasideListEx(odd_ex, NULL, NULL, PagedPool, 0, 32, 'ngiA', 0),
                     STATUS_DATATYPE_MISALIGNMENT);
    assert_int_equal(la_test_fatal_trap_end(), 2);
    la_test_capture_end();
    for (size_t i = 0; i < sizeof u.bytes; i++) assert_int_equal(u.bytes[i], 0x77);
}

/* ---- accounting ------------------------------------------------------------------------------------ */

static void t_hits_misses_and_free_misses_in_the_fields(void **state) {
    (void)state;
    static PAGED_LOOKASIDE_LIST l;
    ExInitializePagedLookasideList(&l, NULL, NULL, 0, sizeof(BLOCK), 'tnuC', 0);
    BLOCK *a = ExAllocateFromPagedLookasideList(&l); /* empty list: a miss */
    assert_non_null(a);
    assert_int_equal((ULONG_PTR)a % 16, 0);
    assert_int_equal(l.L.TotalAllocates, 1);
    assert_int_equal(l.L.AllocateMisses, 1);
    a->Words[5] = 0x1234;
    ExFreeToPagedLookasideList(&l, a); /* cached */
    assert_int_equal(l.L.TotalFrees, 1);
    assert_int_equal(l.L.FreeMisses, 0);
    assert_int_equal(ExQueryDepthSList(&l.L.ListHead), 1);
    BLOCK *b = ExAllocateFromPagedLookasideList(&l); /* a hit: the same block */
    assert_ptr_equal(b, a);
    assert_int_equal(b->Words[5], 0x1234); /* contents kept beyond the link */
    assert_int_equal(l.L.TotalAllocates, 2);
    assert_int_equal(l.L.AllocateMisses, 1);
    /* Depth + 1 blocks out, all back: the last free finds Depth cached: a free miss */
    BLOCK *many[5];
    many[0] = b;
    for (int i = 1; i < 5; i++) many[i] = ExAllocateFromPagedLookasideList(&l);
    assert_int_equal(l.L.AllocateMisses, 5);
    for (int i = 0; i < 5; i++) ExFreeToPagedLookasideList(&l, many[i]);
    assert_int_equal(l.L.TotalFrees, 6);
    assert_int_equal(l.L.FreeMisses, 1);
    assert_int_equal(ExQueryDepthSList(&l.L.ListHead), 4);
    /* LIFO: the last block cached comes out first */
    assert_ptr_equal(ExAllocateFromPagedLookasideList(&l), many[3]);
    ExFreeToPagedLookasideList(&l, many[3]);
    ExDeletePagedLookasideList(&l);
}

static void t_callbacks_get_type_size_tag_and_run_on_misses_only(void **state) {
    (void)state;
    static NPAGED_LOOKASIDE_LIST l;
    reset_counts();
    ExInitializeNPagedLookasideList(&l, counting_allocate, counting_free,
                                    POOL_RAISE_IF_ALLOCATION_FAILURE, 40, 'bllC', 0);
    PVOID blocks[6];
    for (int i = 0; i < 6; i++) blocks[i] = ExAllocateFromNPagedLookasideList(&l);
    assert_int_equal(allocs, 6);
    assert_int_equal(seen_type, NonPagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE);
    assert_int_equal(seen_size, 40);
    assert_int_equal(seen_tag, 'bllC');
    for (int i = 0; i < 6; i++) ExFreeToNPagedLookasideList(&l, blocks[i]);
    assert_int_equal(frees, 2); /* 4 cached, 2 free misses */
    assert_int_equal(l.L.FreeMisses, 2);
    for (int i = 0; i < 3; i++) blocks[i] = ExAllocateFromNPagedLookasideList(&l);
    assert_int_equal(allocs, 6); /* hits call nothing */
    for (int i = 0; i < 3; i++) ExFreeToNPagedLookasideList(&l, blocks[i]);
    assert_int_equal(frees, 2);
    ExDeleteNPagedLookasideList(&l);
    assert_int_equal(frees, 6); /* once per cached block */
    /* an allocator that fails: NULL comes back, the miss is counted */
    reset_counts();
    ExInitializeNPagedLookasideList(&l, counting_allocate, counting_free, 0, 40, 'bllC', 0);
    fail_allocations = TRUE;
    assert_null(ExAllocateFromNPagedLookasideList(&l));
    assert_int_equal(l.L.AllocateMisses, 1);
    ExDeleteNPagedLookasideList(&l);
    assert_int_equal(frees, 0);
}

static void t_ex_callbacks_receive_the_list_and_flush(void **state) {
    (void)state;
    static LOOKASIDE_LIST_EX x;
    reset_counts();
    assert_int_equal(ExInitializeLookasideListEx(&x, counting_allocate_ex, counting_free_ex, PagedPool, 0,
                                                 96, 'xEbC', 0),
                     STATUS_SUCCESS);
    PVOID b[3];
    for (int i = 0; i < 3; i++) b[i] = ExAllocateFromLookasideListEx(&x);
    assert_int_equal(allocs, 3);
    assert_ptr_equal(seen_list, &x);
    assert_int_equal(x.L.TotalAllocates, 3);
    assert_int_equal(x.L.AllocateMisses, 3);
    for (int i = 0; i < 3; i++) ExFreeToLookasideListEx(&x, b[i]);
    assert_int_equal(x.L.TotalFrees, 3);
    assert_int_equal(frees, 0);
    seen_list = NULL;
    ExFlushLookasideListEx(&x);
    assert_int_equal(frees, 3);
    assert_ptr_equal(seen_list, &x);
    assert_int_equal(ExQueryDepthSList(&x.L.ListHead), 0);
    assert_int_equal(x.L.TotalAllocates, 3); /* counters unchanged by flush */
    assert_int_equal(x.L.TotalFrees, 3);
    assert_int_equal(x.L.FreeMisses, 0);
    PVOID again = ExAllocateFromLookasideListEx(&x); /* empty after flush: a miss */
    assert_int_equal(x.L.AllocateMisses, 4);
    ExFreeToLookasideListEx(&x, again);
    ExDeleteLookasideListEx(&x);
    assert_int_equal(frees, 4);
}

/* ---- raise rules ------------------------------------------------------------------------------------ */

static int raises;
static NTSTATUS last_raise;
static void count_raise(NTSTATUS status, void *arg) {
    (void)arg;
    raises++;
    last_raise = status;
}

static void t_raise_on_fail_and_fail_no_raise_with_default_allocator(void **state) {
    (void)state;
    static LOOKASIDE_LIST_EX raising, quiet;
    /* a hard budget of one byte on the tags makes every pool allocation fail */
    assert_int_equal(la_pool_tag_budget_set('1lcF', LA_POOL_KIND_PAGED, 0, 1), 0);
    assert_int_equal(la_pool_tag_budget_set('2lcF', LA_POOL_KIND_PAGED, 0, 1), 0);
    assert_int_equal(ExInitializeLookasideListEx(&raising, NULL, NULL, PagedPool,
                                                 EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, 64, '1lcF', 0),
                     STATUS_SUCCESS);
    assert_int_equal(ExInitializeLookasideListEx(&quiet, NULL, NULL, PagedPool,
                                                 EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE, 64, '2lcF', 0),
                     STATUS_SUCCESS);
    raises = 0;
    la_wdk_raise_handler_set(count_raise, NULL);
    assert_null(ExAllocateFromLookasideListEx(&raising));
    assert_int_equal(raises, 1);
    assert_int_equal(last_raise, STATUS_QUOTA_EXCEEDED);
    assert_null(ExAllocateFromLookasideListEx(&quiet)); /* defined here: NULL, no raise */
    assert_int_equal(raises, 1);
    la_wdk_raise_handler_set(NULL, NULL);
    ExDeleteLookasideListEx(&raising);
    ExDeleteLookasideListEx(&quiet);
    la_pool_tag_budget_set('1lcF', LA_POOL_KIND_PAGED, 0, 0);
    la_pool_tag_budget_set('2lcF', LA_POOL_KIND_PAGED, 0, 0);
}

/* ---- misuse --------------------------------------------------------------------------------------------- */

static void t_use_after_delete_and_uninitialised_and_double_init(void **state) {
    (void)state;
    if (!LA_CONFIG_CHECKED) skip();
    static PAGED_LOOKASIDE_LIST l;
    static LOOKASIDE_LIST_EX never;
    ExInitializePagedLookasideList(&l, NULL, NULL, 0, 32, 'esiM', 0);
    PVOID b = ExAllocateFromPagedLookasideList(&l);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    ExInitializePagedLookasideList(&l, NULL, NULL, 0, 32, 'esiM', 0); /* twice */
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_int_equal(l.L.TotalAllocates, 1); /* untouched */
    ExDeletePagedLookasideList(&l);
    ExFreeToPagedLookasideList(&l, b); /* after delete */
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_USE_AFTER_DESTROY);
    assert_null(ExAllocateFromPagedLookasideList(&l));
    ExDeletePagedLookasideList(&l);
    memset(&never, 0, sizeof never);
    assert_null(ExAllocateFromLookasideListEx(&never));
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_int_equal(la_test_fatal_trap_end(), 5);
    la_test_capture_end();
    ExFreePool(b);
}

/* ---- views ---------------------------------------------------------------------------------------------- */

static void t_lookaside_view_and_debugger_options(void **state) {
    (void)state;
    static PAGED_LOOKASIDE_LIST l;
    ExInitializePagedLookasideList(&l, NULL, NULL, POOL_RAISE_IF_ALLOCATION_FAILURE, 496, 'weiV', 0);
    PVOID b[8];
    for (int i = 0; i < 8; i++) b[i] = ExAllocateFromPagedLookasideList(&l);
    for (int i = 0; i < 8; i++) ExFreeToPagedLookasideList(&l, b[i]);
    for (int r = 0; r < 92; r++) ExFreeToPagedLookasideList(&l, ExAllocateFromPagedLookasideList(&l));
    /* 100 allocations, 8 misses; 100 frees, 4 free misses */
    la_test_capture_begin();
    la_wdk_lookaside_print(&l);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "\"View\""));
    assert_non_null(strstr(out, "0011 PagedPool RaiseIfAllocationFailure"));
    assert_non_null(strstr(out, "Max Alloc  =       1984")); /* 4 x 496 */
    assert_non_null(strstr(out, "AllocateMisses =          8"));
    assert_non_null(strstr(out, "FreeMisses =          4"));
    assert_non_null(strstr(out, "TotalAllocates =        100"));
    assert_non_null(strstr(out, "92%")); /* allocate hit rate */
    assert_non_null(strstr(out, "96%")); /* free hit rate */
    /* -all lists it; option 1 resets the counters; option 2 sets Depth (clamped) */
    la_test_capture_begin();
    ULONG n = la_wdk_lookaside_print_all();
    out = la_test_capture_end();
    assert_true(n >= 1);
    assert_int_equal(n, la_wdk_lookaside_count());
    assert_non_null(strstr(out, "\"View\""));
    la_wdk_lookaside_reset_counters(&l);
    assert_int_equal(l.L.TotalAllocates, 0);
    assert_int_equal(l.L.FreeMisses, 0);
    la_wdk_lookaside_set_depth(&l, 1000);
    assert_int_equal(l.L.Depth, 256);
    la_wdk_lookaside_set_depth(&l, 0);
    assert_int_equal(l.L.Depth, 1);
    ExDeletePagedLookasideList(&l);
    la_test_capture_begin();
    la_wdk_lookaside_print(&l);
    out = la_test_capture_end();
    assert_non_null(strstr(out, "not a registered lookaside list"));
    assert_int_equal(la_wdk_lookaside_count(), n - 1);
}

static void t_tuner_grows_depth_on_misses_and_shrinks_idle_lists(void **state) {
    (void)state;
    static NPAGED_LOOKASIDE_LIST l;
    ExInitializeNPagedLookasideList(&l, NULL, NULL, 0, 64, 'nuT', 0);
    ExAdjustLookasideDepth(); /* take the Last* snapshot */
    PVOID b[64];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 64; i++) b[i] = ExAllocateFromNPagedLookasideList(&l);
        for (int i = 0; i < 64; i++) ExFreeToNPagedLookasideList(&l, b[i]);
    }
    assert_int_equal(l.L.Depth, 4);
    ExAdjustLookasideDepth();
    USHORT grown = l.L.Depth;
    assert_true(grown > 4);
    assert_true(grown <= l.L.MaximumDepth);
    assert_int_equal(l.L.LastTotalAllocates, l.L.TotalAllocates);
    for (int pass = 0; pass < 64 && l.L.Depth > 4; pass++) ExAdjustLookasideDepth(); /* idle */
    assert_int_equal(l.L.Depth, 4);
    assert_true(ExQueryDepthSList(&l.L.ListHead) <= 4); /* surplus given back */
    ExDeleteNPagedLookasideList(&l);
}

/* ---- two threads --------------------------------------------------------------------------------------- */

typedef struct {
    PLOOKASIDE_LIST_EX list;
    ULONG id;
    long rounds;
    int bad;
} WORKER;

static void *worker(void *arg) {
    WORKER *w = arg;
    BLOCK *held[8];
    for (long r = 0; r < w->rounds; r++) {
        int n = 1 + (int)(r % 8);
        for (int i = 0; i < n; i++) {
            held[i] = ExAllocateFromLookasideListEx(w->list);
            if (!held[i]) {
                w->bad++;
                n = i;
                break;
            }
            for (int k = 1; k < 6; k++) held[i]->Words[k] = ((ULONG64)w->id << 32) | (ULONG64)r;
        }
        for (int i = 0; i < n; i++) {
            for (int k = 1; k < 6; k++)
                if (held[i]->Words[k] != (((ULONG64)w->id << 32) | (ULONG64)r)) w->bad++;
            ExFreeToLookasideListEx(w->list, held[i]);
        }
    }
    return NULL;
}

static void t_two_threads_share_one_list(void **state) {
    (void)state;
    static LOOKASIDE_LIST_EX x;
    assert_int_equal(ExInitializeLookasideListEx(&x, NULL, NULL, NonPagedPoolNx, 0, sizeof(BLOCK), 'rhT2', 0),
                     STATUS_SUCCESS);
    WORKER w[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        w[i].list = &x;
        w[i].id = (ULONG)i + 1;
        w[i].rounds = la_test_under_sanitizer() ? 20000 : 200000;
        w[i].bad = 0;
        assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    assert_int_equal(w[0].bad + w[1].bad, 0);
    assert_true(ExQueryDepthSList(&x.L.ListHead) <= x.L.Depth + 2); /* frees may overshoot a little */
    ExDeleteLookasideListEx(&x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_npaged_and_paged_init_values),
        cmocka_unit_test(t_ex_init_status_codes_and_type),
        cmocka_unit_test(t_list_object_must_be_16_byte_aligned),
        cmocka_unit_test(t_hits_misses_and_free_misses_in_the_fields),
        cmocka_unit_test(t_callbacks_get_type_size_tag_and_run_on_misses_only),
        cmocka_unit_test(t_ex_callbacks_receive_the_list_and_flush),
        cmocka_unit_test(t_raise_on_fail_and_fail_no_raise_with_default_allocator),
        cmocka_unit_test(t_use_after_delete_and_uninitialised_and_double_init),
        cmocka_unit_test(t_lookaside_view_and_debugger_options),
        cmocka_unit_test(t_tuner_grows_depth_on_misses_and_shrinks_idle_lists),
        cmocka_unit_test(t_two_threads_share_one_list),
    };
    return la_test_run("wdk_lookaside", tests);
}
