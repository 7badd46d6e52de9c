/* numa.c — NUMA binding and queries on Linux, without libnuma.
 *
 * What: bind a range to one node's memory (mbind MPOL_BIND), ask which node holds
 * a resident page (move_pages in query mode), and read a node's free memory from
 * /sys/devices/system/node/node<N>/meminfo.
 *
 * Why raw syscalls: libnuma would be a run-time dependency for three calls. The
 * node list comes from la_prim_caps() (nodes with memory), so an unknown node is
 * rejected with EINVAL before the kernel is asked.
 *
 * Invariants: move_pages with a NULL node list only reports; it never moves or
 * faults in a page (get_mempolicy(MPOL_F_ADDR) would fault it in, so it is not
 * used). Lock order: no locks. */
#define _GNU_SOURCE
#include "linux.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool node_known(unsigned node) {
    const la_prim_caps_t *c = la_prim_caps();
    return node < 64 && node < LA_PRIM_MAX_NODES && (c->numa_node_mask >> node & 1) != 0;
}

int la_prim_bind_node(void *addr, size_t size, unsigned node) {
    if (!lai_linux_range_ok(addr, size) || !node_known(node)) return EINVAL;
    unsigned long mask[LA_PRIM_MAX_NODES / (8 * sizeof(unsigned long))];
    memset(mask, 0, sizeof mask);
    mask[node / (8 * sizeof(unsigned long))] = 1ul << (node % (8 * sizeof(unsigned long)));
    /* maxnode is one more than the bits passed: the kernel drops the last bit. */
    long r = syscall(SYS_mbind, addr, (unsigned long)size, MPOL_BIND, mask,
                     (unsigned long)LA_PRIM_MAX_NODES + 1, MPOL_MF_MOVE);
    if (r == 0) return 0;
    int e = errno;
    return e == ENOSYS || e == EPERM ? ENOTSUP : e; /* EPERM: filtered (containers) */
}

int la_prim_node_of(const void *addr, unsigned *node) {
    if (!node) return EINVAL;
    size_t ps = lai_linux_page_size();
    void *page = (void *)((uintptr_t)addr & ~(uintptr_t)(ps - 1));
    int status = -1;
    long r = syscall(SYS_move_pages, 0, 1ul, &page, NULL, &status, 0);
    if (r < 0) return errno == ENOSYS || errno == EPERM ? ENOTSUP : errno;
    if (status < 0) return -status; /* ENOENT: not resident; EFAULT: not mapped */
    *node = (unsigned)status;
    return 0;
}

int la_prim_node_free_bytes(unsigned node, uint64_t *out) {
    if (!out || !node_known(node)) return EINVAL;
    char path[96], buf[4096];
    snprintf(path, sizeof path, "/sys/devices/system/node/node%u/meminfo", node);
    int e = lai_linux_read_text(path, buf, sizeof buf);
    if (e == 0) {
        /* "Node 0 MemFree:   123456 kB" */
        const char *line = buf;
        while (line && *line) {
            unsigned n;
            unsigned long long kb;
            if (sscanf(line, "Node %u MemFree: %llu kB", &n, &kb) == 2) {
                *out = (uint64_t)kb * 1024;
                return 0;
            }
            line = strchr(line, '\n');
            if (line) ++line;
        }
        return EIO;
    }
    if (node != 0) return e;
    /* No per-node sysfs (one node, NUMA off): the whole machine is node 0. */
    e = lai_linux_read_text("/proc/meminfo", buf, sizeof buf);
    if (e) return e;
    const char *p = strstr(buf, "MemFree:");
    unsigned long long kb;
    if (!p || sscanf(p, "MemFree: %llu kB", &kb) != 1) return EIO;
    *out = (uint64_t)kb * 1024;
    return 0;
}
