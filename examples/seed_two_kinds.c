/* seed_two_kinds.c — the hypervisor post's allocator ("I'm writing an AMD
 * hypervisor in Rust ... not all structures use the same memory"), in C against
 * <lookaside/wdk.h>: two kinds of memory behind one allocation interface,
 *
 *   Normal      non-paged pool memory      ExAllocatePoolWithTag / ExFreePool
 *   Contiguous  physically contiguous      MmAllocateContiguousMemorySpecifyCacheNode
 *               memory                     / MmFreeContiguousMemory
 *
 * and objects that are released only after their destructor ran. The post's bug
 * was an object whose memory was released at once (before use) because the
 * allocation did not own its contents; its fix was Box<T, A> with a custom
 * allocator. Here a BOX owns the object's memory and remembers its kind: the
 * destructor runs first, then the memory goes back to the kind it came from — the
 * order is printed and checked. */
#include <lookaside/wdk.h>

#define HV_TAG 'rvyH'

/* ---- one allocation interface, two kinds ---------------------------------------------------- */

typedef struct _ALLOCATOR {
    const char *Name;
    PVOID (*Allocate)(SIZE_T Size);
    VOID (*Free)(PVOID Block);
} ALLOCATOR;

static PVOID PoolAllocate(SIZE_T Size) { return ExAllocatePoolWithTag(NonPagedPoolNx, Size, HV_TAG); }
static VOID PoolFree(PVOID Block) { ExFreePoolWithTag(Block, HV_TAG); }

static PVOID ContiguousAllocate(SIZE_T Size) {
    PHYSICAL_ADDRESS lowest, highest, boundary;
    lowest.QuadPart = 0;
    highest.QuadPart = -1; /* MAXULONG64 */
    boundary.QuadPart = 0;
    return MmAllocateContiguousMemorySpecifyCacheNode(Size, lowest, highest, boundary, MmCached, MM_ANY_NODE_OK);
}
static VOID ContiguousFree(PVOID Block) { MmFreeContiguousMemory(Block); }

static const ALLOCATOR NormalMemory = {"pool", PoolAllocate, PoolFree};
static const ALLOCATOR ContiguousMemory = {"contiguous", ContiguousAllocate, ContiguousFree};

/* ---- objects that own their memory ----------------------------------------------------------- */

/* Box<T, A>: the object's memory, the kind it came from and its destructor, in a
 * small handle kept in pool memory, so the object itself starts where its memory
 * kind puts it (a page, for contiguous memory). */
typedef struct _BOX {
    PVOID Body;
    const ALLOCATOR *Allocator;
    VOID (*Destroy)(PVOID Object);
    const char *Name;
} BOX;

static int steps;      /* destructor and release calls, in order */
static int bad_order;

/* NULL when that kind of memory is unavailable. */
static BOX *BoxNew(const ALLOCATOR *a, SIZE_T Size, const char *Name, VOID (*Destroy)(PVOID)) {
    BOX *b = (BOX *)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(BOX), HV_TAG);
    if (b == NULL) return NULL;
    b->Body = a->Allocate(Size);
    if (b->Body == NULL) {
        ExFreePoolWithTag(b, HV_TAG);
        return NULL;
    }
    b->Allocator = a;
    b->Destroy = Destroy;
    b->Name = Name;
    RtlZeroMemory(b->Body, Size);
    DbgPrint("create  %-4s %6zu bytes of %s memory at %p\n", Name, (size_t)Size, a->Name, b->Body);
    return b;
}

/* Drop: the destructor first, with the memory still valid; then the memory goes
 * back to the kind it came from; then the handle. */
static VOID BoxDrop(BOX *b) {
    int before = steps;
    b->Destroy(b->Body);
    if (steps != before + 1) bad_order = 1;
    DbgPrint("release %-4s back to %s memory\n", b->Name, b->Allocator->Name);
    b->Allocator->Free(b->Body);
    steps++;
    ExFreePoolWithTag(b, HV_TAG);
}

/* Two structures a hypervisor has: a control block in contiguous memory (the
 * processor reads it by physical address) and bookkeeping in pool memory. */
typedef struct _VMCB {
    UCHAR ControlArea[1024];
    UCHAR StateSaveArea[2048];
} VMCB;

typedef struct _VCPU {
    ULONG Index;
    VMCB *Vmcb;
    PHYSICAL_ADDRESS VmcbPhysical;
} VCPU;

static VOID DestroyVmcb(PVOID Object) {
    VMCB *v = (VMCB *)Object;
    DbgPrint("destroy bar (VMCB): control area byte 0 = %u\n", (unsigned)v->ControlArea[0]);
    steps++;
}

static VOID DestroyVcpu(PVOID Object) {
    VCPU *c = (VCPU *)Object;
    DbgPrint("destroy foo (VCPU %u)\n", (unsigned)c->Index);
    steps++;
}

int main(void) {
    /* { let foo = Box::new_in(Vcpu, Global); let bar = Box::new_in(Vmcb, PhysicalAllocator); } */
    BOX *foo = BoxNew(&NormalMemory, sizeof(VCPU), "foo", DestroyVcpu);
    BOX *bar = BoxNew(&ContiguousMemory, sizeof(VMCB), "bar", DestroyVmcb);
    if (foo == NULL || bar == NULL) {
        DbgPrint("allocation failed\n");
        return 1;
    }
    VCPU *vcpu = (VCPU *)foo->Body;
    VMCB *vmcb = (VMCB *)bar->Body;
    vcpu->Index = 0;
    vcpu->Vmcb = vmcb;
    vcpu->VmcbPhysical = MmGetPhysicalAddress(vmcb);
    vmcb->ControlArea[0] = 0x42;
    DbgPrint("bar's VMCB starts on a page: %s; physical address %s\n",
             ((ULONG_PTR)vmcb % PAGE_SIZE) == 0 ? "yes" : "no",
             vcpu->VmcbPhysical.QuadPart ? "known (frame numbers are readable)"
                                         : "0 (frame numbers are hidden from this process)");
    /* end of scope: both are dropped, in reverse order, each destructor first */
    BoxDrop(bar);
    BoxDrop(foo);
    DbgPrint("steps %d (destroy, release per object), order %s\n", steps, bad_order ? "WRONG" : "right");
    return (steps == 4 && !bad_order) ? 0 : 1;
}
