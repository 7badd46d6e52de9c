/* test_prim_support.h — helpers for the platform-layer tests (tests/unit/test_prim*.c).
 *
 * These tests check the Linux implementation against the kernel's own reports
 * (/proc/self/maps, /proc/self/status, sysfs), so they use Linux interfaces
 * directly. When another platform folder is added beside src/prim/linux/, its
 * tests get their own helpers.
 *
 *   prim_child(fn, arg)        run fn in a forked child; returns its wait status.
 *                              fn reports through its exit code (never cmocka).
 *   prim_expect_fault(p, how)  in a child: touch p (read or write), return true
 *                              when that faulted with SIGSEGV/SIGBUS at p.
 *   prim_maps_perms(p, out)    the "rwxp" field of the mapping holding p.
 *   prim_status_kb(field)      a "Vm...:  N kB" value from /proc/self/status.
 *   prim_drop_cap(cap)         drop one capability from this process (for children).
 *   prim_deny_exec()           seccomp: mmap/mprotect asking for PROT_EXEC fail EPERM.
 *
 * Every file defines _GNU_SOURCE before including this. */
#ifndef TEST_PRIM_SUPPORT_H
#define TEST_PRIM_SUPPORT_H

#include "test_support.h"

#include "prim/prim.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PRIM_CHILD_OK 0
#define PRIM_CHILD_FAULTED 42

static inline int prim_child(int (*fn)(void *), void *arg) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) _exit(fn(arg));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return status;
}

/* True when the child exited normally with `code`. */
static inline bool prim_child_exited(int status, int code) {
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

/* ---- faults ---------------------------------------------------------------------- */

static void *volatile prim_fault_expected; /* the pointer itself is volatile: set before the touch */

static inline void prim_fault_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    /* Exit 42 when the fault is at the address we touched, 43 otherwise. */
    _exit(si->si_addr == prim_fault_expected ? PRIM_CHILD_FAULTED : 43);
}

typedef struct prim_touch {
    volatile char *p;
    bool write;
} prim_touch_t;

static inline int prim_touch_child(void *arg) {
    prim_touch_t *t = arg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = prim_fault_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    prim_fault_expected = (void *)t->p;
    if (t->write)
        *t->p = 1;
    else
        (void)*t->p;
    return PRIM_CHILD_OK; /* no fault */
}

/* Touch p in a child: true when it faulted at exactly p. */
static inline bool prim_expect_fault(void *p, bool write) {
    prim_touch_t t = {(volatile char *)p, write};
    return prim_child_exited(prim_child(prim_touch_child, &t), PRIM_CHILD_FAULTED);
}

/* Touch p in a child: true when it did not fault. */
static inline bool prim_expect_no_fault(void *p, bool write) {
    prim_touch_t t = {(volatile char *)p, write};
    return prim_child_exited(prim_child(prim_touch_child, &t), PRIM_CHILD_OK);
}

/* ---- /proc readers (no malloc: safe between mmap calls under sanitizers) ------------ */

static inline size_t prim_read_file(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
        if (got == len - 1) break;
    }
    close(fd);
    buf[got] = '\0';
    return got;
}

/* The permission field ("rw-p", "---p", "r-xs", ...) of the mapping that holds p;
 * false when p is not mapped. */
static inline bool prim_maps_perms(const void *p, char out[5]) {
    static char buf[1 << 20];
    prim_read_file("/proc/self/maps", buf, sizeof buf);
    for (char *line = buf; line && *line;) {
        unsigned long long a, b;
        char perms[5];
        if (sscanf(line, "%llx-%llx %4s", &a, &b, perms) == 3 && (uintptr_t)p >= a &&
            (uintptr_t)p < b) {
            memcpy(out, perms, 5);
            return true;
        }
        line = strchr(line, '\n');
        if (line) ++line;
    }
    return false;
}

/* True when p is mapped at all (mincore answers ENOMEM for unmapped pages). */
static inline bool prim_is_mapped(const void *p) {
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char vec;
    void *page = (void *)((uintptr_t)p & ~(uintptr_t)(ps - 1));
    return mincore(page, ps, &vec) == 0;
}

/* A "Name:   N kB" field of /proc/self/status (VmLck, VmSize, VmRSS); -1 if absent. */
static inline long long prim_status_kb(const char *field) {
    char buf[8192];
    prim_read_file("/proc/self/status", buf, sizeof buf);
    size_t flen = strlen(field);
    for (char *line = buf; line && *line;) {
        if (!strncmp(line, field, flen) && line[flen] == ':') return atoll(line + flen + 1);
        line = strchr(line, '\n');
        if (line) ++line;
    }
    return -1;
}

/* ---- privileges -------------------------------------------------------------------- */

static inline int prim_drop_cap(int cap) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) != 0) return errno;
    d[cap / 32].effective &= ~(1u << (cap % 32));
    d[cap / 32].permitted &= ~(1u << (cap % 32));
    d[cap / 32].inheritable &= ~(1u << (cap % 32));
    return syscall(SYS_capset, &h, d) == 0 ? 0 : errno;
}

/* Install a seccomp filter that fails mmap and mprotect with EPERM whenever they
 * ask for PROT_EXEC (what a W^X policy does). Irreversible: call in a child. */
static inline int prim_deny_exec(void) {
    union { uint32_t u; unsigned char b[4]; } probe = {1};
    uint32_t prot_off = (uint32_t)offsetof(struct seccomp_data, args[2]) + (probe.b[0] ? 0 : 4);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)__NR_mmap, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)__NR_mprotect, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, prot_off),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 ? 0 : errno;
}

#endif
