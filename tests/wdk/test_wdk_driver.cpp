// Driver-style code written only against <lookaside/wdk.h>, compiled as C++17 with
// -Wall -Wextra -Werror (test_wdk_driver.cmake adds -Wno-multichar: g++ 12 ignores
// the header's pragma for multi-character tag constants in C++). A small "driver"
// with a device extension, a lookaside list of IRP-like contexts on a spin-lock
// protected queue, an S-list of free buffers and ExAllocatePool2 — the shapes real
// drivers have — run through DriverEntry and DriverUnload.
#include "test_support.h"

#include <lookaside/wdk.h>

#include <cstring>

namespace {

constexpr ULONG kTag = 'vrDT';

struct WORK_ITEM {
    ULONG Sequence;
    LIST_ENTRY QueueLink;
    UCHAR Payload[40];
};

struct alignas(16) FREE_BUFFER {
    SLIST_ENTRY Link;
    UCHAR Bytes[48];
};

struct DEVICE_EXTENSION {
    LOOKASIDE_LIST_EX WorkItems;
    NPAGED_LOOKASIDE_LIST Small;
    LIST_ENTRY Queue;
    KSPIN_LOCK QueueLock;
    SLIST_HEADER FreeBuffers;
    FREE_BUFFER *BufferArray;
    ULONG Queued;
};

DEVICE_EXTENSION *g_Extension;

NTSTATUS QueueWork(ULONG sequence) {
    auto *item = static_cast<WORK_ITEM *>(ExAllocateFromLookasideListEx(&g_Extension->WorkItems));
    if (item == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
    item->Sequence = sequence;
    RtlZeroMemory(item->Payload, sizeof item->Payload);
    ExInterlockedInsertTailList(&g_Extension->Queue, &item->QueueLink, &g_Extension->QueueLock);
    g_Extension->Queued++;
    return STATUS_SUCCESS;
}

ULONG DrainWork() {
    ULONG drained = 0;
    PLIST_ENTRY entry;
    while ((entry = ExInterlockedRemoveHeadList(&g_Extension->Queue, &g_Extension->QueueLock)) != nullptr) {
        WORK_ITEM *item = CONTAINING_RECORD(entry, WORK_ITEM, QueueLink);
        if (item->Sequence != drained + 1) return 0;
        ExFreeToLookasideListEx(&g_Extension->WorkItems, item);
        drained++;
    }
    return drained;
}

VOID NTAPI DriverUnload(PDRIVER_OBJECT DriverObject) {
    UNREFERENCED_PARAMETER(DriverObject);
    ExDeleteLookasideListEx(&g_Extension->WorkItems);
    ExDeleteNPagedLookasideList(&g_Extension->Small);
    while (InterlockedPopEntrySList(&g_Extension->FreeBuffers) != nullptr) {
    }
    ExFreePoolWithTag(g_Extension->BufferArray, kTag);
    ExFreePoolWithTag(g_Extension, kTag);
    g_Extension = nullptr;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    UNREFERENCED_PARAMETER(RegistryPath);
    g_Extension = static_cast<DEVICE_EXTENSION *>(
        ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(DEVICE_EXTENSION), kTag));
    if (g_Extension == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
    NTSTATUS status = ExInitializeLookasideListEx(&g_Extension->WorkItems, nullptr, nullptr, NonPagedPoolNx, 0,
                                                  sizeof(WORK_ITEM), kTag, 0);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(g_Extension, kTag);
        return status;
    }
    ExInitializeNPagedLookasideList(&g_Extension->Small, nullptr, nullptr, POOL_NX_ALLOCATION, 32, kTag, 0);
    InitializeListHead(&g_Extension->Queue);
    KeInitializeSpinLock(&g_Extension->QueueLock);
    InitializeSListHead(&g_Extension->FreeBuffers);
    g_Extension->BufferArray = static_cast<FREE_BUFFER *>(
        ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, 4 * sizeof(FREE_BUFFER), kTag));
    for (int i = 0; i < 4; i++) InterlockedPushEntrySList(&g_Extension->FreeBuffers, &g_Extension->BufferArray[i].Link);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}

}  // namespace

static void t_driver_lifecycle_in_cpp(void **state) {
    (void)state;
    DRIVER_OBJECT driver = {nullptr, nullptr};
    assert_int_equal(DriverEntry(&driver, nullptr), STATUS_SUCCESS);
    assert_int_equal(QueryDepthSList(&g_Extension->FreeBuffers), 4);
    for (ULONG i = 1; i <= 10; i++) assert_int_equal(QueueWork(i), STATUS_SUCCESS);
    assert_int_equal(DrainWork(), 10);
    assert_int_equal(g_Extension->WorkItems.L.TotalAllocates, 10);
    assert_int_equal(g_Extension->WorkItems.L.AllocateMisses, 10);
    assert_int_equal(g_Extension->WorkItems.L.TotalFrees, 10);
    assert_int_equal(g_Extension->WorkItems.L.FreeMisses, 6); // Depth 4
    assert_int_equal(ExQueryDepthSList(&g_Extension->WorkItems.L.ListHead), 4);
    PVOID s = ExAllocateFromNPagedLookasideList(&g_Extension->Small);
    ExFreeToNPagedLookasideList(&g_Extension->Small, s);
    assert_int_equal(g_Extension->Small.L.Depth, 4);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    driver.DriverUnload(&driver);
    assert_null(g_Extension);
}

static void t_cpp_layouts_match_c(void **state) {
    (void)state;
    static_assert(sizeof(GENERAL_LOOKASIDE) == 0x80, "GENERAL_LOOKASIDE");
    static_assert(offsetof(LOOKASIDE_LIST_EX, L) == 0, "L first");
    assert_int_equal(FIELD_OFFSET(GENERAL_LOOKASIDE, ListEntry), 0x40);
    assert_int_equal(LOOKASIDE_MINIMUM_BLOCK_SIZE, 8);
    assert_int_equal(alignof(SLIST_HEADER), 16);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_driver_lifecycle_in_cpp),
        cmocka_unit_test(t_cpp_layouts_match_c),
    };
    return la_test_run("wdk_driver_cxx", tests);
}
