/* seed_ffi_contexts.c — the C++ driver of the Rust crate win_lookaside's README
 * ("Rust lookaside list allocator", 2023), written in C: a thin FFI layer
 * (init_lookaside, create_context, remove_context, free_lookaside) over a
 * LOOKASIDE_LIST_EX of fixed-size contexts, and a DriverEntry that creates four
 * contexts and removes them in the order 1, 3, 4, 2, with the !lookaside view
 * printed before free_lookaside, as the README shows it from WinDbg.
 *
 * The README's view was taken from a NonPagedPool run and shows Current Depth 0;
 * with the inline semantics of ExFreeToLookasideListEx the four frees are cached
 * (the list holds up to Depth = 4), so this run shows PagedPool (what the FFI code
 * passes) and Current Depth 4. The counters match: 4 misses, 4 frees, no free
 * miss, hit rates 0% and 100%. The tag 'aabb' shows as "bbaa", as in the README. */
#include <lookaside/wdk.h>

/* ---- the FFI layer (the Rust side in the README) -------------------------------------------- */

typedef struct _CONTEXT_OBJECT {
    PVOID Opaque; /* the README's Context is empty; the list rounds it up to 8 bytes */
} CONTEXT_OBJECT, *PRUST_CTX;

static LOOKASIDE_LIST_EX LOOKASIDE; /* static: 16-byte aligned by its type */

static NTSTATUS init_lookaside(ULONG tag) {
    return ExInitializeLookasideListEx(&LOOKASIDE, NULL, NULL, PagedPool, 0, sizeof(CONTEXT_OBJECT), tag, 0);
}

static NTSTATUS create_context(PRUST_CTX *context) {
    PRUST_CTX ctx = (PRUST_CTX)ExAllocateFromLookasideListEx(&LOOKASIDE);
    if (ctx == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    *context = ctx;
    return STATUS_SUCCESS;
}

static VOID remove_context(PRUST_CTX context) { ExFreeToLookasideListEx(&LOOKASIDE, context); }

static VOID free_lookaside(VOID) { ExDeleteLookasideListEx(&LOOKASIDE); }

/* ---- the C++ driver of the README (no error handling, as there) --------------------------------- */

#define LOOKASIDE_TAG 'aabb'

static VOID NTAPI DriverUnload(PDRIVER_OBJECT DriverObject) {
    PAGED_CODE();
    UNREFERENCED_PARAMETER(DriverObject);
    la_wdk_lookaside_print(&LOOKASIDE); /* kd> !lookaside <address> */
    free_lookaside();
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    UNREFERENCED_PARAMETER(RegistryPath);
    PRUST_CTX context1, context2, context3, context4;
    DriverObject->DriverUnload = DriverUnload;
    init_lookaside(LOOKASIDE_TAG);
    create_context(&context1);
    create_context(&context2);
    create_context(&context3);
    create_context(&context4);
    remove_context(context1);
    remove_context(context3);
    remove_context(context4);
    remove_context(context2);
    return STATUS_SUCCESS;
}

int main(void) {
    DRIVER_OBJECT driver = {NULL, NULL};
    NTSTATUS status = DriverEntry(&driver, NULL);
    if (!NT_SUCCESS(status)) return 1;
    driver.DriverUnload(&driver); /* the service manager unloads the driver */
    return 0;
}
