/* The example in the header comment of <lookaside/wdk.h>, compiled and run as
 * written (inside a function returning NTSTATUS, as driver code would be). */
#include "test_support.h"

#include <lookaside/wdk.h>

#include <string.h>

static PVOID first_block, second_block;

static NTSTATUS header_example(void) {
    typedef struct _REQUEST { ULONG Id; LIST_ENTRY Link; } REQUEST;
    static NPAGED_LOOKASIDE_LIST Requests;        // 16-byte aligned by its type
    static LIST_ENTRY Pending;

    ExInitializeNPagedLookasideList(&Requests, NULL, NULL, POOL_NX_ALLOCATION,
                                    sizeof(REQUEST), 'qeRD', 0);
    InitializeListHead(&Pending);
    REQUEST *r = ExAllocateFromNPagedLookasideList(&Requests); // a miss: pool
    if (r == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    r->Id = 1;
    InsertTailList(&Pending, &r->Link);
    PLIST_ENTRY e = RemoveHeadList(&Pending);
    ExFreeToNPagedLookasideList(&Requests, CONTAINING_RECORD(e, REQUEST, Link));
    REQUEST *again = ExAllocateFromNPagedLookasideList(&Requests); // a hit: r
    ExFreeToNPagedLookasideList(&Requests, again);
    la_wdk_lookaside_print(&Requests);            // the !lookaside view
    ExDeleteNPagedLookasideList(&Requests);       // cached blocks go back

    first_block = r;
    second_block = again;
    return STATUS_SUCCESS;
}

static void t_header_example(void **state) {
    (void)state;
    la_test_capture_begin();
    NTSTATUS status = header_example();
    const char *out = la_test_capture_end();
    assert_int_equal(status, STATUS_SUCCESS);
    assert_ptr_equal(first_block, second_block);
    assert_non_null(strstr(out, "\"DReq\""));
    assert_non_null(strstr(out, "0200 NonPagedPool"));
    assert_non_null(strstr(out, "TotalAllocates =          2"));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_header_example)};
    return la_test_run("wdk_example", tests);
}
