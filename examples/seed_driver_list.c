/* seed_driver_list.c — the driver of the Russian article "Kernel-mode drivers,
 * part 7: working with memory, using lookaside lists" (Four-F, wasm.ru, 2003),
 * rewritten from MASM in C against <lookaside/wdk.h> and run in user space.
 *
 * The driver keeps a PAGED lookaside list of SOME_STRUCTURE blocks. Each block
 * embeds a LIST_ENTRY — deliberately not as the first member, "the more general
 * solution" — that links it into a doubly linked list, so the blocks handed out can
 * be found again. Five rounds of add-add-remove, then the rest is drained back to
 * the lookaside list, which is deleted. Every step is printed as the original's
 * DbgPrint calls did, and the !lookaside view is printed before the deletion.
 *
 * As in the article, the PAGED_LOOKASIDE_LIST control structure itself lives in
 * nonpaged pool (the documentation requires it), allocated with ExAllocatePool. */
#include <lookaside/wdk.h>

typedef struct _SOME_STRUCTURE {
    ULONG SomeField1;
    ULONG SomeField2;
    /* ... any number of other members ... */
    LIST_ENTRY ListEntry; /* links the structures; not first, on purpose */
    /* ... */
    ULONG SomeFieldX;
} SOME_STRUCTURE, *PSOME_STRUCTURE;

static PPAGED_LOOKASIDE_LIST g_pPagedLookasideList;
static LIST_ENTRY g_ListHead;
static ULONG g_dwIndex;

static VOID AddEntry(VOID) {
    PSOME_STRUCTURE p = (PSOME_STRUCTURE)ExAllocateFromPagedLookasideList(g_pPagedLookasideList);
    if (p != NULL) {
        DbgPrint("LookasideList: + Memory block allocated from lookaside list at address %p\n", (void *)p);
        RtlZeroMemory(p, sizeof(SOME_STRUCTURE));
        InsertHeadList(&g_ListHead, &p->ListEntry);
        p->SomeField1 = ++g_dwIndex;
        DbgPrint("LookasideList: + Entry #%u added\n", (unsigned)p->SomeField1);
    } else {
        DbgPrint("LookasideList: Very bad. Couldn't allocate from lookaside list\n");
    }
}

static VOID RemoveEntry(VOID) {
    if (!IsListEmpty(&g_ListHead)) {
        PLIST_ENTRY e = RemoveHeadList(&g_ListHead);
        PSOME_STRUCTURE p = CONTAINING_RECORD(e, SOME_STRUCTURE, ListEntry);
        DbgPrint("LookasideList: - Entry #%u removed\n", (unsigned)p->SomeField1);
        ExFreeToPagedLookasideList(g_pPagedLookasideList, p);
        DbgPrint("LookasideList: - Memory block at address %p returned to lookaside list\n", (void *)p);
    } else {
        DbgPrint("LookasideList: An attempt was made to remove entry from empty lookaside list\n");
    }
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT pDriverObject, PUNICODE_STRING pusRegistryPath) {
    UNREFERENCED_PARAMETER(pDriverObject);
    UNREFERENCED_PARAMETER(pusRegistryPath);
    DbgPrint("\nLookasideList: Entering DriverEntry\n");
    g_pPagedLookasideList = (PPAGED_LOOKASIDE_LIST)ExAllocatePool(NonPagedPool, sizeof(PAGED_LOOKASIDE_LIST));
    if (g_pPagedLookasideList != NULL) {
        DbgPrint("LookasideList: Nonpaged memory for lookaside list allocated at address %p\n",
                 (void *)g_pPagedLookasideList);
        ExInitializePagedLookasideList(g_pPagedLookasideList, NULL, NULL, 0, sizeof(SOME_STRUCTURE),
                                       'msaW', 0);
        DbgPrint("LookasideList: Lookaside list initialized\n");
        InitializeListHead(&g_ListHead);
        DbgPrint("LookasideList: Doubly linked list head initialized\n");
        DbgPrint("\nLookasideList: Start to allocate/free from/to lookaside list\n");
        g_dwIndex = 0;
        for (int i = 0; i < 5; i++) {
            AddEntry();
            AddEntry();
            RemoveEntry();
        }
        DbgPrint("\nLookasideList: Free the rest to lookaside list\n");
        for (;;) {
            RemoveEntry();
            if (IsListEmpty(&g_ListHead)) {
                DbgPrint("LookasideList: Doubly linked list is empty\n\n");
                break;
            }
        }
        /* What the article's "!lookaside" in the kernel debugger would show now. */
        la_wdk_lookaside_print(g_pPagedLookasideList);
        ExDeletePagedLookasideList(g_pPagedLookasideList);
        DbgPrint("LookasideList: Lookaside list deleted\n");
        ExFreePool(g_pPagedLookasideList);
        DbgPrint("LookasideList: Nonpaged memory for lookaside list at address %p released\n",
                 (void *)g_pPagedLookasideList);
    } else {
        DbgPrint("LookasideList: Couldn't allocate nonpaged memory for lookaside list control structure\n");
    }
    DbgPrint("LookasideList: Leaving DriverEntry\n");
    /* The driver does its work in DriverEntry and refuses to stay loaded. */
    return STATUS_DEVICE_CONFIGURATION_ERROR;
}

int main(void) {
    DRIVER_OBJECT driver = {NULL, NULL};
    NTSTATUS status = DriverEntry(&driver, NULL);
    DbgPrint("DriverEntry returned 0x%08X\n", (unsigned)status);
    return status == STATUS_DEVICE_CONFIGURATION_ERROR ? 0 : 1;
}
