/* pages.c — address space on Linux: reserve / commit / decommit / discard /
 * release / protect, locking pages in RAM, and the dual (RW + RX) mapping.
 *
 * What and why: the Windows VirtualAlloc model (reserve address space, commit
 * pages into it, decommit them, release the whole) expressed with mmap/mprotect/
 * madvise/munmap, so region and pool code above can manage memory the way the
 * Windows kernel does without knowing the OS.
 *
 *   reserve   mmap(PROT_NONE), over-reserved by align - page and trimmed, so any
 *             power-of-two alignment comes out exact without wasting address space.
 *             Not MAP_NORESERVE: committing (mprotect to RW) is then charged against
 *             the kernel's commit limit, which is what "commit" means on Windows.
 *   commit    mprotect(RW); untouched pages read as zero.
 *   decommit  madvise(MADV_DONTNEED) then mprotect(PROT_NONE): the pages go back to
 *             the kernel and the range faults on access; it stays reserved.
 *   discard   madvise(MADV_DONTNEED) only: pages go back, mapping stays RW and reads
 *             zero — for memory lock-free readers may still touch (S-list entries).
 *   release   munmap.
 *
 * Differences from Windows worth knowing: decommit frees the pages but the kernel
 * keeps the range's commit charge (dropping it would mean remapping with MAP_FIXED,
 * which can leave a hole if it fails — not acceptable for S-list memory); and each
 * commit/decommit/protect of part of a mapping splits it, so a region that flips
 * many small pieces should batch them (the kernel allows vm.max_map_count mappings,
 * 65530 by default).
 *
 * Invariants: every function validates its arguments before touching the address
 * space (EINVAL, nothing changed); la_prim_lock_pages leaves nothing locked when it
 * fails; la_prim_map_dual leaves nothing mapped and no descriptor open when it fails.
 * Lock order: no locks. */
#define _GNU_SOURCE
#include "linux.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: ask for an executable memfd explicitly */
#endif

/* Map `size` bytes aligned to `align` with protection `prot`. */
static int map_aligned(size_t size, size_t align, int prot, void **out) {
    size_t ps = lai_linux_page_size();
    if (!out || size == 0 || (size & (ps - 1)) != 0) return EINVAL;
    if (align == 0) align = ps;
    if (!LA_IS_POW2(align)) return EINVAL;
    if (align < ps) align = ps;
    size_t span;
    if (lai_add_overflows(size, align - ps, &span)) return ENOMEM;
    char *p = mmap(NULL, span, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return errno == EINVAL ? ENOMEM : errno; /* EINVAL: span too large */
    char *start = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
    size_t head = (size_t)(start - p), tail = span - head - size;
    if (head) munmap(p, head);
    if (tail) munmap(start + size, tail);
    *out = start;
    return 0;
}

int la_prim_reserve(size_t size, size_t align, void **out) {
    return map_aligned(size, align, PROT_NONE, out);
}

int la_prim_map(size_t size, size_t align, void **out) {
    return map_aligned(size, align, PROT_READ | PROT_WRITE, out);
}

int la_prim_commit(void *addr, size_t size) {
    if (!lai_linux_range_ok(addr, size)) return EINVAL;
    return mprotect(addr, size, PROT_READ | PROT_WRITE) == 0 ? 0 : errno;
}

int la_prim_decommit(void *addr, size_t size) {
    if (!lai_linux_range_ok(addr, size)) return EINVAL;
    /* Protect first: a range that is not mapped fails here (ENOMEM) before any page
     * is dropped, and nothing can write between the two calls. */
    if (mprotect(addr, size, PROT_NONE) != 0) return errno;
    return madvise(addr, size, MADV_DONTNEED) == 0 ? 0 : errno;
}

int la_prim_discard(void *addr, size_t size) {
    if (!lai_linux_range_ok(addr, size)) return EINVAL;
    return madvise(addr, size, MADV_DONTNEED) == 0 ? 0 : errno;
}

int la_prim_release(void *addr, size_t size) {
    if (!lai_linux_range_ok(addr, size)) return EINVAL;
    return munmap(addr, size) == 0 ? 0 : errno;
}

static int prot_bits(la_prim_prot_t prot, int *bits) {
    switch (prot) {
    case LA_PRIM_PROT_NONE: *bits = PROT_NONE; return 0;
    case LA_PRIM_PROT_READ: *bits = PROT_READ; return 0;
    case LA_PRIM_PROT_RW: *bits = PROT_READ | PROT_WRITE; return 0;
    case LA_PRIM_PROT_RX: *bits = PROT_READ | PROT_EXEC; return 0;
    }
    return EINVAL;
}

int la_prim_protect(void *addr, size_t size, la_prim_prot_t prot) {
    int bits;
    if (!lai_linux_range_ok(addr, size) || prot_bits(prot, &bits) != 0) return EINVAL;
    if (mprotect(addr, size, bits) == 0) return 0;
    int e = errno;
    /* SELinux execmem, MDWE and seccomp policies refuse with EACCES or EPERM. */
    return e == EPERM ? EACCES : e;
}

/* ---- locking pages in RAM ---------------------------------------------------------- */

/* The raw system calls: ASan, TSan and the other sanitizers replace mlock/munlock
 * with no-ops that report success, which would make locking (and its limits)
 * silently disappear in sanitized builds. */
static int sys_mlock(void *addr, size_t size) { return (int)syscall(SYS_mlock, addr, size); }
static int sys_munlock(void *addr, size_t size) { return (int)syscall(SYS_munlock, addr, size); }

int la_prim_lock_pages(void *addr, size_t size) {
    if (!lai_linux_range_ok(addr, size)) return EINVAL;
    if (sys_mlock(addr, size) == 0) return 0;
    int e = errno;
    /* mlock may have locked the mappings before a hole, or locked everything and then
     * failed to fault the pages in: undo it so nothing stays locked. */
    (void)sys_munlock(addr, size);
    if (e == EAGAIN) e = ENOMEM; /* "could not be locked": treat as out of lockable memory */
    return e;
}

int la_prim_unlock_pages(void *addr, size_t size) {
    if (!lai_linux_range_ok(addr, size)) return EINVAL;
    return sys_munlock(addr, size) == 0 ? 0 : errno;
}

/* ---- executable memory -------------------------------------------------------------- */

int la_prim_map_dual(size_t size, void **rw_view, void **rx_view) {
    size_t ps = lai_linux_page_size();
    if (!rw_view || !rx_view || size == 0 || (size & (ps - 1)) != 0) return EINVAL;
    int fd = memfd_create("lookaside-dual", MFD_CLOEXEC | MFD_EXEC);
    if (fd < 0 && errno == EINVAL) fd = memfd_create("lookaside-dual", MFD_CLOEXEC);
    if (fd < 0) return errno == ENOSYS ? ENOTSUP : errno;
    int e = 0;
    void *rw = MAP_FAILED, *rx = MAP_FAILED;
    if (ftruncate(fd, (off_t)size) != 0) {
        e = errno == EINVAL || errno == EFBIG ? ENOMEM : errno;
        goto out;
    }
    rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (rw == MAP_FAILED) {
        e = errno;
        goto out;
    }
    rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (rx == MAP_FAILED) {
        e = errno;
        if (e == EPERM) e = EACCES; /* refused by policy (noexec memfd, seccomp, LSM) */
        munmap(rw, size);
        goto out;
    }
    *rw_view = rw;
    *rx_view = rx;
out:
    close(fd);
    return e;
}
