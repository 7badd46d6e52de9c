/* MmAllocateContiguousMemory*, MmFreeContiguousMemory and MmGetPhysicalAddress
 * through <lookaside/wdk.h>: page alignment, the cache-type, boundary, range and
 * node rules, strict vs best-effort contiguity, physical addresses (where the
 * process may read frame numbers: as root here; checks that need it are skipped
 * otherwise), and the BAD_POOL_CALLER-style report for a bad free. Huge pages are
 * reserved for one case when the process may write /proc/sys/vm/nr_hugepages, and
 * the old value is restored before any assertion. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <lookaside/wdk.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static PHYSICAL_ADDRESS pa(LONGLONG v) {
    PHYSICAL_ADDRESS p;
    p.QuadPart = v;
    return p;
}

#define ANY_HIGH pa(-1) /* MAXULONG64, as drivers pass it */

static bool frames_readable(void) {
    static int readable = -1;
    if (readable < 0) {
        PVOID p = MmAllocateContiguousMemory(PAGE_SIZE, ANY_HIGH);
        readable = p && MmGetPhysicalAddress(p).QuadPart != 0;
        if (p) MmFreeContiguousMemory(p);
    }
    return readable == 1;
}

static void t_one_page_is_page_aligned_locked_and_contiguous(void **state) {
    (void)state;
    PUCHAR p = MmAllocateContiguousMemory(100, ANY_HIGH);
    assert_non_null(p);
    assert_int_equal((ULONG_PTR)p % PAGE_SIZE, 0);
    memset(p, 0x5A, PAGE_SIZE); /* the whole page is ours */
    la_region_info_t info;
    assert_int_equal(la_wdk_contiguous_query(p, &info), 0);
    assert_ptr_equal(info.base, p);
    assert_true(info.locked);
    assert_true(info.size >= PAGE_SIZE);
    assert_null(info.exec_base); /* never executable */
    if (frames_readable()) {
        assert_int_equal(info.contiguity, LA_REGION_CHECK_VERIFIED);
        PHYSICAL_ADDRESS phys = MmGetPhysicalAddress(p);
        assert_int_equal((ULONGLONG)phys.QuadPart, info.phys_base);
        assert_int_equal(MmGetPhysicalAddress(p + 100).QuadPart, phys.QuadPart + 100);
    } else {
        assert_int_equal(MmGetPhysicalAddress(p).QuadPart, 0); /* the documented zero */
    }
    MmFreeContiguousMemory(p);
    assert_int_equal(la_wdk_contiguous_query(p, &info), EINVAL);
}

static void t_cache_types(void **state) {
    (void)state;
    static const struct {
        MEMORY_CACHING_TYPE type;
        bool ok;
    } cases[] = {{MmCached, true},          {MmHardwareCoherentCached, true}, {MmNonCached, false},
                 {MmWriteCombined, false},  {MmNonCachedUnordered, false},    {MmUSWCCached, false},
                 {(MEMORY_CACHING_TYPE)42, false}};
    for (size_t i = 0; i < ARRAYSIZE(cases); i++) {
        errno = 0;
        PVOID p = MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), ANY_HIGH, pa(0), cases[i].type);
        if (cases[i].ok) {
            assert_non_null(p);
            MmFreeContiguousMemorySpecifyCache(p, PAGE_SIZE, cases[i].type);
        } else {
            assert_null(p);
            assert_int_equal(errno, ENOTSUP);
        }
    }
}

static void t_size_boundary_and_range_rules(void **state) {
    (void)state;
    errno = 0;
    assert_null(MmAllocateContiguousMemory(0, ANY_HIGH));
    assert_int_equal(errno, EINVAL);
    /* boundary: a power of two, not smaller than the (rounded) size */
    assert_null(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), ANY_HIGH, pa(0x3000), MmCached));
    assert_int_equal(errno, EINVAL);
    assert_null(MmAllocateContiguousMemorySpecifyCache(2 * PAGE_SIZE, pa(0), ANY_HIGH, pa(PAGE_SIZE), MmCached));
    PUCHAR p = MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), ANY_HIGH, pa(0x10000), MmCached);
    assert_non_null(p);
    assert_true(((ULONG_PTR)p & ~(ULONG_PTR)0xFFFF) == (((ULONG_PTR)p + PAGE_SIZE - 1) & ~(ULONG_PTR)0xFFFF));
    if (frames_readable()) {
        ULONGLONG phys = (ULONGLONG)MmGetPhysicalAddress(p).QuadPart;
        assert_true((phys & ~0xFFFFull) == ((phys + PAGE_SIZE - 1) & ~0xFFFFull));
    }
    MmFreeContiguousMemory(p);
    /* an empty physical range */
    errno = 0;
    assert_null(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0x200000), pa(0x100000), pa(0), MmCached));
    assert_int_equal(errno, EINVAL);
    /* a range no page can be in: refused where frame numbers can be read, else
     * returned and reported unverifiable */
    errno = 0;
    p = MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), pa(0xFFF), pa(0), MmCached);
    if (frames_readable()) {
        assert_null(p);
        assert_int_equal(errno, ERANGE);
    } else {
        assert_non_null(p);
        la_region_info_t info;
        assert_int_equal(la_wdk_contiguous_query(p, &info), 0);
        assert_int_equal(info.range, LA_REGION_CHECK_UNVERIFIABLE);
        MmFreeContiguousMemory(p);
    }
}

static void t_nodes(void **state) {
    (void)state;
    PVOID p = MmAllocateContiguousMemorySpecifyCacheNode(PAGE_SIZE, pa(0), ANY_HIGH, pa(0), MmCached, 0);
    assert_non_null(p);
    la_region_info_t info;
    assert_int_equal(la_wdk_contiguous_query(p, &info), 0);
    assert_true(info.node == 0 || info.node == LA_NODE_ANY);
    MmFreeContiguousMemory(p);
    p = MmAllocateContiguousMemorySpecifyCacheNode(PAGE_SIZE, pa(0), ANY_HIGH, pa(0), MmCached, MM_ANY_NODE_OK);
    assert_non_null(p);
    MmFreeContiguousMemory(p);
    errno = 0;
    assert_null(MmAllocateContiguousMemorySpecifyCacheNode(PAGE_SIZE, pa(0), ANY_HIGH, pa(0), MmCached, 63));
    assert_int_equal(errno, EINVAL);
}

/* ---- larger than a page ------------------------------------------------------------------ */

static long read_nr_hugepages(void) {
    FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1) v = -1;
        fclose(f);
    }
    return v;
}

static bool write_nr_hugepages(long v) {
    FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");
    if (!f) return false;
    bool ok = fprintf(f, "%ld\n", v) > 0;
    ok = (fclose(f) == 0) && ok;
    return ok;
}

static void t_strict_needs_huge_pages_best_effort_does_not(void **state) {
    (void)state;
    const SIZE_T size = 16 * PAGE_SIZE;
    long old = read_nr_hugepages();
    if (old == 0) {
        /* no reserved huge pages: strict refuses, best effort gives locked base pages */
        errno = 0;
        assert_null(MmAllocateContiguousMemory(size, ANY_HIGH));
        assert_int_equal(errno, ENOMEM);
    }
    la_wdk_contiguous_policy_set(LA_WDK_CONTIGUOUS_BEST_EFFORT);
    PUCHAR p = MmAllocateContiguousMemory(size, ANY_HIGH);
    la_wdk_contiguous_policy_set(LA_WDK_CONTIGUOUS_STRICT);
    assert_non_null(p);
    memset(p, 1, size);
    la_region_info_t info;
    assert_int_equal(la_wdk_contiguous_query(p, &info), 0);
    assert_true(info.locked);
    if (info.huge_size == 0) assert_true(info.huge_fallback); /* said, not hidden */
    MmFreeContiguousMemory(p);

    /* with a huge page reserved (root only), strict succeeds: one physical run */
    if (old != 0 || access("/proc/sys/vm/nr_hugepages", W_OK) != 0 || !write_nr_hugepages(2)) {
        print_message("skipping the reserved-huge-page case (cannot write nr_hugepages)\n");
        return;
    }
    p = MmAllocateContiguousMemory(size, ANY_HIGH);
    int got = p ? la_wdk_contiguous_query(p, &info) : -1;
    if (p) {
        memset(p, 2, size);
        MmFreeContiguousMemory(p);
    }
    bool restored = write_nr_hugepages(old);
    assert_true(restored);
    if (read_nr_hugepages() < 2 && !p) {
        print_message("skipping: the kernel could not reserve huge pages\n");
        return;
    }
    assert_non_null(p);
    assert_int_equal(got, 0);
    assert_true(info.huge_size >= size);
    if (frames_readable()) {
        assert_int_equal(info.contiguity, LA_REGION_CHECK_VERIFIED);
        assert_true(info.contiguous_bytes >= size);
    }
}

/* ---- misuse ---------------------------------------------------------------------------------- */

static void t_bad_free_is_reported_at_the_caller(void **state) {
    (void)state;
    static UCHAR not_contiguous[64];
    PVOID pool = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tnoC');
    PVOID p = MmAllocateContiguousMemory(PAGE_SIZE, ANY_HIGH);
    assert_non_null(p);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    int line = __LINE__ + 1;
    MmFreeContiguousMemory(not_contiguous);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_POINTER);
    assert_int_equal(la_test_fatal_last_line(), line);
    assert_non_null(strstr(la_test_fatal_last_message(), "BAD_POOL_CALLER 0x60"));
    MmFreeContiguousMemory(pool);      /* pool memory is not contiguous memory */
    MmFreeContiguousMemory((PUCHAR)p + 16); /* not the base */
    MmFreeContiguousMemory(p);
    MmFreeContiguousMemory(p);         /* twice */
    assert_int_equal(la_test_fatal_trap_end(), 4);
    la_test_capture_end();
    ExFreePool(pool);
}

static void t_physical_address_of_other_memory(void **state) {
    (void)state;
    volatile ULONG64 on_stack = 7;
    PHYSICAL_ADDRESS phys = MmGetPhysicalAddress((PVOID)&on_stack);
    if (frames_readable())
        assert_int_equal(phys.QuadPart & (PAGE_SIZE - 1), (ULONG_PTR)&on_stack & (PAGE_SIZE - 1));
    else
        assert_int_equal(phys.QuadPart, 0);
    (void)on_stack;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_one_page_is_page_aligned_locked_and_contiguous),
        cmocka_unit_test(t_cache_types),
        cmocka_unit_test(t_size_boundary_and_range_rules),
        cmocka_unit_test(t_nodes),
        cmocka_unit_test(t_strict_needs_huge_pages_best_effort_does_not),
        cmocka_unit_test(t_bad_free_is_reported_at_the_caller),
        cmocka_unit_test(t_physical_address_of_other_memory),
    };
    return la_test_run("wdk_mm", tests);
}
