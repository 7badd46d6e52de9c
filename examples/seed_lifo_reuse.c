/* seed_lifo_reuse.c — the demonstration in section 3.7.2 of the Chinese book
 * "Windows kernel programming" (Tan Wen): a block freed to a nonpaged lookaside list
 * is the block the next allocation returns, because the list is a LIFO cache in
 * front of the pool. Written against <lookaside/wdk.h> and run in user space. */
#include <lookaside/wdk.h>

#define MEM_TAG 'tseT'

typedef struct _TEST_BLOCK {
    ULONG Value;
    UCHAR Payload[124]; /* 128 bytes, as in the book */
} TEST_BLOCK;

int main(void) {
    static NPAGED_LOOKASIDE_LIST LookasideList; /* 16-byte aligned on x64: required */
    ExInitializeNPagedLookasideList(&LookasideList, NULL, NULL, POOL_NX_ALLOCATION, sizeof(TEST_BLOCK),
                                    MEM_TAG, 0);

    TEST_BLOCK *pFirstMemory = (TEST_BLOCK *)ExAllocateFromNPagedLookasideList(&LookasideList);
    if (pFirstMemory == NULL) return 1;
    DbgPrint("pFirstMemory  = %p (allocated: the list was empty, so it came from the pool)\n",
             (void *)pFirstMemory);
    ExFreeToNPagedLookasideList(&LookasideList, pFirstMemory);
    DbgPrint("freed %p to the lookaside list\n", (void *)pFirstMemory);

    TEST_BLOCK *pSecondMemory = (TEST_BLOCK *)ExAllocateFromNPagedLookasideList(&LookasideList);
    DbgPrint("pSecondMemory = %p (allocated again)\n", (void *)pSecondMemory);
    DbgPrint("same block: %s\n", pSecondMemory == pFirstMemory ? "yes" : "no");
    DbgPrint("TotalAllocates %u, AllocateMisses %u: the second allocation was a hit\n",
             (unsigned)LookasideList.L.TotalAllocates, (unsigned)LookasideList.L.AllocateMisses);

    ExFreeToNPagedLookasideList(&LookasideList, pSecondMemory);
    ExDeleteNPagedLookasideList(&LookasideList);
    return pSecondMemory == pFirstMemory ? 0 : 1;
}
