/* caps.c — the capabilities struct (la_prim_caps) and small file-reading helpers
 * for the Linux platform layer.
 *
 * What: probes what this machine and process can do — page size, hugetlb sizes with
 * their pool counts, transparent huge pages, NUMA nodes with memory and whether
 * binding works, 16-byte CAS, RLIMIT_MEMLOCK and CAP_IPC_LOCK, whether
 * /proc/self/pagemap shows frame numbers, online CPUs — so that code above prim
 * branches on data instead of #ifdef. Also the resident-set-size query.
 *
 * Why: every answer comes from the kernel's own reports (sysfs, procfs, getrlimit,
 * capget, a one-page mbind trial) rather than from assumptions, so a container
 * without sysfs or a kernel without NUMA simply reports less.
 *
 * Invariants:
 *   - The master copy `g_caps` changes only under `g_lock`, and each change bumps
 *     `g_gen` (0 means "never probed").
 *   - Callers never see the master copy: la_prim_caps() hands out a pointer to the
 *     calling thread's own copy, re-copied when the generation moved. Values a
 *     caller holds therefore never change under another thread's refresh (no data
 *     race, no retired snapshots to leak); they change only when the same thread
 *     calls la_prim_caps()/la_prim_caps_refresh() again.
 *   - Probing happens outside the lock (it reads files); only the copy is locked.
 *   - The probe never calls la_prim_caps() (no recursion into the lock).
 * Lock order: g_lock is a leaf; nothing else is taken while it is held. */
#define _GNU_SOURCE
#include "linux.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mempolicy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cas16.h" /* lai_prim_cas16_supported (the S-list engineer's file) */

/* ---- helpers shared by the Linux files -------------------------------------------- */

int lai_linux_read_text(const char *path, char *buf, size_t len) {
    if (!buf || len == 0) return EINVAL;
    int fd;
    do {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return errno;
    size_t got = 0;
    while (got < len - 1) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            return e;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    return 0;
}

int lai_linux_read_u64(const char *path, uint64_t *out) {
    char buf[64];
    int e = lai_linux_read_text(path, buf, sizeof buf);
    if (e) return e;
    const char *p = buf;
    while (*p == ' ' || *p == '\t') ++p;
    if (!isdigit((unsigned char)*p)) return EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno) return errno;
    *out = (uint64_t)v;
    return 0;
}

int lai_linux_parse_list(const char *text, uint64_t *mask) {
    uint64_t m = 0;
    const char *p = text;
    while (*p == ' ' || *p == '\t') ++p;
    while (*p && *p != '\n') {
        if (!isdigit((unsigned char)*p)) return EINVAL;
        char *end;
        unsigned long lo = strtoul(p, &end, 10), hi = lo;
        p = end;
        if (*p == '-') {
            ++p;
            if (!isdigit((unsigned char)*p)) return EINVAL;
            hi = strtoul(p, &end, 10);
            p = end;
            if (hi < lo) return EINVAL;
        }
        for (unsigned long i = lo; i <= hi && i < 64; ++i) m |= (uint64_t)1 << i;
        if (*p == ',') ++p;
        else if (*p && *p != '\n') return EINVAL;
    }
    *mask = m;
    return 0;
}

static _Atomic size_t g_page_size;

size_t lai_linux_page_size(void) {
    size_t ps = atomic_load_explicit(&g_page_size, memory_order_relaxed);
    if (LA_UNLIKELY(ps == 0)) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
        atomic_store_explicit(&g_page_size, ps, memory_order_relaxed);
    }
    return ps;
}

bool lai_linux_range_ok(const void *addr, size_t size) {
    size_t mask = lai_linux_page_size() - 1;
    return size != 0 && ((uintptr_t)addr & mask) == 0 && (size & mask) == 0;
}

/* ---- probes ------------------------------------------------------------------------ */

#define HUGE_DIR "/sys/kernel/mm/hugepages"
#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define NODE_DIR "/sys/devices/system/node"

static int cmp_huge(const void *a, const void *b) {
    const la_prim_huge_size_t *x = a, *y = b;
    return (x->size > y->size) - (x->size < y->size);
}

/* Counts of one hugetlb pool. `free` is what a new mapping can still get:
 * free_hugepages minus pages already promised to existing mappings (resv). */
static void probe_huge_counts(la_prim_huge_size_t *h) {
    char path[128];
    uint64_t total = 0, free_pages = 0, resv = 0;
    snprintf(path, sizeof path, HUGE_DIR "/hugepages-%zukB/nr_hugepages", h->size / 1024);
    (void)lai_linux_read_u64(path, &total);
    snprintf(path, sizeof path, HUGE_DIR "/hugepages-%zukB/free_hugepages", h->size / 1024);
    (void)lai_linux_read_u64(path, &free_pages);
    snprintf(path, sizeof path, HUGE_DIR "/hugepages-%zukB/resv_hugepages", h->size / 1024);
    (void)lai_linux_read_u64(path, &resv);
    h->total = (size_t)total;
    h->free = free_pages > resv ? (size_t)(free_pages - resv) : 0;
}

static void probe_huge_sizes(la_prim_caps_t *c) {
    la_prim_huge_size_t found[16];
    unsigned n = 0;
    DIR *d = opendir(HUGE_DIR);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < LA_ARRAY_SIZE(found)) {
            unsigned long long kb;
            char tail[4];
            if (sscanf(e->d_name, "hugepages-%llu%3s", &kb, tail) != 2 || strcmp(tail, "kB") != 0)
                continue;
            size_t bytes = (size_t)kb * 1024;
            if (!LA_IS_POW2(bytes) || bytes <= lai_linux_page_size()) continue;
            found[n].size = bytes;
            found[n].total = found[n].free = 0;
            ++n;
        }
        closedir(d);
    }
    qsort(found, n, sizeof found[0], cmp_huge);
    if (n > LA_PRIM_MAX_HUGE_SIZES) n = LA_PRIM_MAX_HUGE_SIZES; /* keep the smallest */
    c->huge_size_count = n;
    for (unsigned i = 0; i < n; ++i) c->huge[i] = found[i];
}

static void probe_thp(la_prim_caps_t *c) {
    char buf[128];
    uint64_t sz = 0;
    c->thp_enabled = false;
    c->thp_size = 0;
    if (lai_linux_read_text(THP_DIR "/enabled", buf, sizeof buf) != 0) return;
    /* "always [madvise] never": the bracketed word is the mode in force. */
    const char *open_b = strchr(buf, '[');
    if (open_b)
        c->thp_enabled = !strncmp(open_b, "[always]", 8) || !strncmp(open_b, "[madvise]", 9);
    if (lai_linux_read_u64(THP_DIR "/hpage_pmd_size", &sz) == 0 && LA_IS_POW2(sz))
        c->thp_size = (size_t)sz;
}

static long sys_mbind(void *addr, unsigned long len, int mode, const unsigned long *mask,
                      unsigned long maxnode, unsigned flags) {
    return syscall(SYS_mbind, addr, len, mode, mask, maxnode, flags);
}

static void probe_numa(la_prim_caps_t *c) {
    char buf[512];
    uint64_t mask = 0;
    if (lai_linux_read_text(NODE_DIR "/has_memory", buf, sizeof buf) != 0 ||
        lai_linux_parse_list(buf, &mask) != 0 || mask == 0) {
        if (lai_linux_read_text(NODE_DIR "/online", buf, sizeof buf) != 0 ||
            lai_linux_parse_list(buf, &mask) != 0 || mask == 0)
            mask = 1; /* no sysfs: one node, number 0 */
    }
    c->numa_node_mask = mask;
    c->numa_node_count = (unsigned)__builtin_popcountll(mask);

    /* Does binding work here (kernel built with NUMA, not filtered by seccomp)? Try it
     * on one untouched page bound to the first node with memory. */
    c->numa_bind = false;
    size_t ps = lai_linux_page_size();
    void *p = mmap(NULL, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
        unsigned long nodemask[1] = {(unsigned long)(mask & -mask)};
        c->numa_bind = sys_mbind(p, ps, MPOL_BIND, nodemask, 64 + 1, 0) == 0;
        munmap(p, ps);
    }
}

static void probe_memlock(la_prim_caps_t *c) {
    struct rlimit rl;
    c->memlock_limit = 0;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0)
        c->memlock_limit = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;

    /* CAP_IPC_LOCK in the effective set lifts the limit for mlock. */
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    c->memlock_exempt = syscall(SYS_capget, &hdr, data) == 0 &&
                        (data[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32))) != 0;
}

static void probe_pagemap(la_prim_caps_t *c) {
    volatile char probe = 1; /* on the stack, written: resident */
    uint64_t pa;
    c->pagemap_pfn = la_prim_phys_addr((const void *)&probe, &pa) == 0;
    (void)probe;
}

static void probe_cpus(la_prim_caps_t *c) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    c->cpu_count = n > 0 ? (unsigned)n : 1;
}

/* Values that change while the process runs. */
static void probe_dynamic(la_prim_caps_t *c) {
    for (unsigned i = 0; i < c->huge_size_count; ++i) probe_huge_counts(&c->huge[i]);
    probe_thp(c);
    probe_memlock(c);
    probe_pagemap(c);
    probe_cpus(c);
}

static void probe_all(la_prim_caps_t *c) {
    memset(c, 0, sizeof *c);
    c->page_size = lai_linux_page_size();
    probe_huge_sizes(c);
    probe_numa(c);
    c->cas16 = lai_prim_cas16_supported();
    probe_dynamic(c);
}

/* ---- publication ------------------------------------------------------------------- */

static la_prim_lock_t g_lock = LA_PRIM_LOCK_INIT;
static la_prim_caps_t g_caps;      /* guarded by g_lock */
static _Atomic uint32_t g_gen;     /* 0: never probed */
static _Thread_local la_prim_caps_t t_caps;
static _Thread_local uint32_t t_gen;

static void copy_out(void) {
    la_prim_lock_acquire(&g_lock);
    t_caps = g_caps;
    t_gen = atomic_load_explicit(&g_gen, memory_order_relaxed);
    la_prim_lock_release(&g_lock);
}

/* Install `c` as the master copy; with `only_first`, only if nothing was published
 * yet (two threads racing through the first probe publish once). */
static void publish(const la_prim_caps_t *c, bool only_first) {
    la_prim_lock_acquire(&g_lock);
    uint32_t gen = atomic_load_explicit(&g_gen, memory_order_relaxed);
    if (!only_first || gen == 0) {
        g_caps = *c;
        if (++gen == 0) gen = 1; /* 0 stays "never probed" */
        atomic_store_explicit(&g_gen, gen, memory_order_release);
    }
    la_prim_lock_release(&g_lock);
}

const la_prim_caps_t *la_prim_caps(void) {
    uint32_t gen = atomic_load_explicit(&g_gen, memory_order_acquire);
    if (LA_LIKELY(gen != 0 && gen == t_gen)) return &t_caps;
    if (gen == 0) {
        la_prim_caps_t fresh;
        probe_all(&fresh);
        publish(&fresh, true);
    }
    copy_out();
    return &t_caps;
}

const la_prim_caps_t *la_prim_caps_refresh(void) {
    la_prim_caps_t fresh = *la_prim_caps();
    probe_dynamic(&fresh);
    publish(&fresh, false);
    copy_out();
    return &t_caps;
}

/* ---- process facts ------------------------------------------------------------------ */

int la_prim_rss_bytes(uint64_t *out) {
    if (!out) return EINVAL;
    char buf[256];
    int e = lai_linux_read_text("/proc/self/statm", buf, sizeof buf);
    if (e) return e;
    unsigned long long size_pages, rss_pages;
    if (sscanf(buf, "%llu %llu", &size_pages, &rss_pages) != 2) return EIO;
    *out = (uint64_t)rss_pages * lai_linux_page_size();
    return 0;
}
