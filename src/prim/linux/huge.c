/* huge.c — huge pages and physical addresses on Linux.
 *
 * What: explicit hugetlb mappings of any size the kernel offers (MAP_HUGETLB with
 * the size's log2 in the MAP_HUGE_SHIFT bits), transparent-huge-page advice and
 * accounting, and virtual-to-physical translation through /proc/self/pagemap.
 *
 * Why: huge pages are the only physically contiguous memory user space can get
 * (the MmAllocateContiguousMemory analogue, up to one huge page), and they cut TLB
 * misses for large caches. The physical address query lets region code and tests
 * check contiguity, and needs CAP_SYS_ADMIN: without it the kernel reports frame
 * number 0, which we turn into EPERM.
 *
 * Invariants: a private hugetlb mapping reserves its pages at mmap time, so an
 * insufficient pool fails the call (ENOMEM) instead of a later SIGBUS; the mapping
 * is populated before it is returned. Nothing is left mapped on failure.
 * Lock order: no locks. */
#define _GNU_SOURCE
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

static bool huge_size_offered(const la_prim_caps_t *c, size_t huge_size) {
    for (unsigned i = 0; i < c->huge_size_count; ++i)
        if (c->huge[i].size == huge_size) return true;
    return false;
}

int la_prim_map_huge(size_t size, size_t huge_size, void **out) {
    if (!out || size == 0 || !LA_IS_POW2(huge_size) || (size & (huge_size - 1)) != 0)
        return EINVAL;
    if (!huge_size_offered(la_prim_caps(), huge_size)) return ENOTSUP;
    int log2 = __builtin_ctzll((unsigned long long)huge_size);
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE | (log2 << MAP_HUGE_SHIFT);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        /* ENOMEM: the pool cannot reserve the pages; EINVAL here means the kernel does
         * not know the size after all (pool removed since the probe). */
        return e == EINVAL ? ENOTSUP : e;
    }
    if (((uintptr_t)p & (huge_size - 1)) != 0) { /* the kernel aligns hugetlb; be sure */
        munmap(p, size);
        return ENOTSUP;
    }
    *out = p;
    return 0;
}

int la_prim_advise_thp(void *addr, size_t size) {
    if (!lai_linux_range_ok(addr, size)) return EINVAL;
    if (!la_prim_caps()->thp_enabled) return ENOTSUP;
    if (madvise(addr, size, MADV_HUGEPAGE) == 0) return 0;
    return errno == EINVAL ? ENOTSUP : errno; /* EINVAL: kernel without THP */
}

/* Sum, over the mappings of /proc/self/smaps that overlap [addr, addr+size), of
 * min(AnonHugePages of the mapping, bytes of the overlap). Exact when the range
 * is one whole mapping (the usual case); an upper bound otherwise. */
size_t la_prim_thp_backed(void *addr, size_t size) {
    if (!addr || size == 0) return 0;
    FILE *f = fopen("/proc/self/smaps", "re");
    if (!f) return 0;
    uintptr_t lo = (uintptr_t)addr, hi = lo + size;
    if (hi < lo) hi = UINTPTR_MAX;
    size_t total = 0, overlap = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long long a, b, kb;
        if (sscanf(line, "%llx-%llx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            uintptr_t s = (uintptr_t)a > lo ? (uintptr_t)a : lo;
            uintptr_t e = (uintptr_t)b < hi ? (uintptr_t)b : hi;
            overlap = e > s ? (size_t)(e - s) : 0;
        } else if (overlap && sscanf(line, "AnonHugePages: %llu kB", &kb) == 1) {
            size_t bytes = (size_t)kb * 1024;
            total += bytes < overlap ? bytes : overlap;
            overlap = 0;
        }
    }
    fclose(f);
    return total;
}

/* ---- physical addresses ------------------------------------------------------------ */

#define PM_PRESENT ((uint64_t)1 << 63)
#define PM_SWAPPED ((uint64_t)1 << 62)
#define PM_PFN_MASK (((uint64_t)1 << 55) - 1)

int la_prim_phys_addr(const void *addr, uint64_t *out) {
    if (!out) return EINVAL;
    size_t ps = lai_linux_page_size();
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == EACCES ? EPERM : errno;
    uint64_t entry = 0;
    off_t off = (off_t)((uintptr_t)addr / ps * sizeof entry);
    ssize_t n;
    do {
        n = pread(fd, &entry, sizeof entry, off);
    } while (n < 0 && errno == EINTR);
    int e = n == (ssize_t)sizeof entry ? 0 : (n < 0 ? errno : EIO);
    close(fd);
    if (e) return e;
    if (!(entry & PM_PRESENT) || (entry & PM_SWAPPED)) return ENOENT;
    uint64_t pfn = entry & PM_PFN_MASK;
    if (pfn == 0) return EPERM; /* the kernel hides frame numbers from us */
    *out = pfn * ps + ((uintptr_t)addr & (ps - 1));
    return 0;
}
