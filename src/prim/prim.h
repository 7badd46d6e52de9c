/* prim.h — the platform contract: the only OS-aware layer of liblookaside.
 *
 * What: pages (reserve / commit / decommit / release / protect), locking pages
 * in RAM, huge pages (explicit hugetlb of each offered size, transparent huge
 * pages), NUMA binding and queries, a writable+executable dual mapping, a
 * thread-exit hook, a monotonic clock, a futex-backed lock, physical-address
 * queries, and a capabilities struct that callers branch on instead of #ifdef.
 *
 * Why: everything above this layer is portable C11. A platform is one folder
 * (src/prim/linux/ today; posix/ and windows/ can be added beside it) that
 * implements exactly these functions; CMake picks the folder.
 *
 * Rules every function keeps:
 *   - returns 0 or a positive errno value (never -1, never prints, never aborts);
 *   - out-parameters are written only on success;
 *   - `addr` arguments are page-aligned and `size` arguments are non-zero
 *     multiples of the page size (or of the huge page size for huge mappings)
 *     unless the function says otherwise; violating a precondition returns EINVAL;
 *   - safe to call from any thread.
 * src/prim/README.md states the contract in prose (and how to add a platform);
 * docs/prim.md is the user-level page.
 * Lock order: la_prim_lock_t is a leaf lock; prim never takes a library lock. */
#ifndef LA_PRIM_H
#define LA_PRIM_H

#include "../internal.h"

#include <stdatomic.h>

/* ---- capabilities ------------------------------------------------------------ */

#define LA_PRIM_MAX_HUGE_SIZES 4
#define LA_PRIM_MAX_NODES 64

typedef struct la_prim_huge_size {
    size_t size;          /* bytes, e.g. 2 MiB, 1 GiB */
    size_t total;         /* pages reserved for hugetlb in the system pool */
    size_t free;          /* of those, pages a new mapping can still get (free - reserved) */
} la_prim_huge_size_t;

typedef struct la_prim_caps {
    size_t page_size;                 /* base page size */
    unsigned huge_size_count;         /* entries used in huge[] (sorted ascending) */
    la_prim_huge_size_t huge[LA_PRIM_MAX_HUGE_SIZES];
    size_t thp_size;                  /* transparent huge page size, 0 if none */
    bool thp_enabled;                 /* THP "always" or "madvise" */
    unsigned numa_node_count;         /* nodes with memory (>= 1) */
    uint64_t numa_node_mask;          /* bit n set: node n has memory (nodes 0..63) */
    bool numa_bind;                   /* binding a range to a node works */
    bool cas16;                       /* lock-free 16-byte compare-and-swap */
    uint64_t memlock_limit;           /* RLIMIT_MEMLOCK soft limit in bytes, UINT64_MAX = unlimited */
    bool memlock_exempt;              /* privileged (CAP_IPC_LOCK): the limit does not apply */
    bool pagemap_pfn;                 /* /proc/self/pagemap shows frame numbers to us */
    unsigned cpu_count;               /* online CPUs */
} la_prim_caps_t;

/* Probed on first use and cached; never NULL. The pointer is to the calling
 * thread's own copy: read it in this thread (do not hand it to another); its
 * values change only when this thread calls la_prim_caps() after some thread's
 * refresh, or calls la_prim_caps_refresh() itself. Cheap after the first call
 * (one atomic load and a compare); the first call in a process probes (file reads,
 * a lock) and is not async-signal-safe. */
LA_INTERNAL const la_prim_caps_t *la_prim_caps(void);
/* Re-probe the values that change at run time (huge page counts, THP mode, memlock
 * limit and privilege, pagemap access, online CPUs) and publish them to every
 * thread's next la_prim_caps(). Reads sysfs/procfs: not for hot paths. */
LA_INTERNAL const la_prim_caps_t *la_prim_caps_refresh(void);

/* ---- pages ------------------------------------------------------------------- */

typedef enum la_prim_prot {
    LA_PRIM_PROT_NONE = 0,
    LA_PRIM_PROT_READ = 1,
    LA_PRIM_PROT_RW = 2,
    LA_PRIM_PROT_RX = 3,
} la_prim_prot_t;

/* Reserve `size` bytes of address space aligned to `align` (a power of two; 0 or
 * anything below the page size means page alignment), inaccessible and not backed.
 * EINVAL for a bad size or alignment, ENOMEM when address space runs out (or
 * size + align overflows). */
LA_INTERNAL int la_prim_reserve(size_t size, size_t align, void **out);
/* Make [addr, addr+size) of a reservation readable and writable (zero-filled on
 * first touch; pages committed before keep their contents). ENOMEM when the range
 * is not mapped or the kernel refuses the commit charge (strict overcommit). */
LA_INTERNAL int la_prim_commit(void *addr, size_t size);
/* Give the pages back to the OS and make them inaccessible; the range stays reserved
 * (commit it again to use it; it then reads zero). ENOMEM when not mapped. */
LA_INTERNAL int la_prim_decommit(void *addr, size_t size);
/* Give the pages back but keep them mapped read-write (contents become zero). Used for
 * memory that lock-free readers may still touch (S-list entries). */
LA_INTERNAL int la_prim_discard(void *addr, size_t size);
/* Unmap a reservation (or a part of it); unmapping an unmapped range is not an error. */
LA_INTERNAL int la_prim_release(void *addr, size_t size);
/* Change protection. EINVAL for an unknown `prot`; ENOMEM when the range is not
 * mapped; EACCES when the system forbids it (e.g. W^X policy for RX). */
LA_INTERNAL int la_prim_protect(void *addr, size_t size, la_prim_prot_t prot);

/* Map `size` bytes readable+writable directly (reserve+commit in one step); `align`
 * and errors as la_prim_reserve. */
LA_INTERNAL int la_prim_map(size_t size, size_t align, void **out);

/* ---- locking pages in RAM ("non-paged") ------------------------------------------ */

/* Lock the pages in RAM (and fault them in). ENOMEM when RLIMIT_MEMLOCK would be
 * exceeded, when part of the range is not mapped or the pages cannot be faulted in;
 * EPERM when RLIMIT_MEMLOCK is 0 and the process is not privileged. On failure
 * nothing in the range stays locked — including parts locked by earlier calls.
 * Locks do not nest: one unlock undoes any number of locks. */
LA_INTERNAL int la_prim_lock_pages(void *addr, size_t size);
/* Unlock the pages (ENOMEM when part of the range is not mapped). */
LA_INTERNAL int la_prim_unlock_pages(void *addr, size_t size);

/* ---- huge pages ---------------------------------------------------------------------- */

/* Map `size` bytes (a multiple of `huge_size`) from the hugetlb pool of that size,
 * aligned to it, read-write and populated. EINVAL when huge_size is not a power of
 * two or size not a non-zero multiple of it; ENOTSUP when that size is not offered
 * (not in la_prim_caps()->huge[]); ENOMEM when the pool has too few free pages.
 * Release with la_prim_release(addr, size). */
LA_INTERNAL int la_prim_map_huge(size_t size, size_t huge_size, void **out);
/* Ask for transparent huge pages on a range (advice; ENOTSUP when THP is off).
 * Best used on a range aligned to caps->thp_size before first touch. */
LA_INTERNAL int la_prim_advise_thp(void *addr, size_t size);
/* Bytes of [addr, addr+size) currently backed by transparent huge pages (best effort, 0 if unknown). */
LA_INTERNAL size_t la_prim_thp_backed(void *addr, size_t size);

/* ---- NUMA ---------------------------------------------------------------------- */

/* Bind a range (before first touch) to memory of `node`; pages already resident
 * are moved when possible. EINVAL for a node that does not exist (no bit in
 * caps->numa_node_mask); ENOTSUP where binding is unavailable (caps->numa_bind);
 * EFAULT when the range is not mapped. */
LA_INTERNAL int la_prim_bind_node(void *addr, size_t size, unsigned node);
/* Node that holds the page at `addr` (any address within it; the page must be
 * resident: ENOENT otherwise, EFAULT when not mapped). Never faults the page in. */
LA_INTERNAL int la_prim_node_of(const void *addr, unsigned *node);
/* Free bytes of memory on `node`. EINVAL for a node that does not exist. */
LA_INTERNAL int la_prim_node_free_bytes(unsigned node, uint64_t *out);

/* ---- physical addresses ------------------------------------------------------------- */

/* Physical address backing `addr` (the page must be resident). EPERM when the
 * process may not read frame numbers (no CAP_SYS_ADMIN); ENOENT when not resident
 * (or swapped out). Any address within the page; the offset is kept. */
LA_INTERNAL int la_prim_phys_addr(const void *addr, uint64_t *out);

/* ---- executable memory ---------------------------------------------------------------- */

/* Map the same `size` bytes twice: a read-write view and a read-execute view of one
 * anonymous memory object (for systems that refuse W+X mappings). Release both
 * views with la_prim_release. EACCES when the system refuses the executable view
 * (nothing stays mapped); ENOTSUP when the system has no anonymous memory objects. */
LA_INTERNAL int la_prim_map_dual(size_t size, void **rw_view, void **rx_view);

/* ---- threads --------------------------------------------------------------------------- */

typedef void la_prim_thread_exit_fn(void *value);

/* A per-thread slot whose destructor runs when a thread that set it exits. */
typedef struct la_prim_tls_key {
    unsigned key;      /* opaque to callers */
    bool created;
} la_prim_tls_key_t;

/* Create a slot; `on_exit` runs (in the exiting thread) with the thread's value if
 * it is not NULL (the slot reads NULL while it runs). Create keys once (at first
 * use, under a once-flag): EEXIST when `key` is already created, EAGAIN when the
 * process has no keys left. Keys are never deleted. Hooks do not run for a thread
 * that ends the process (exit(), return from main). */
LA_INTERNAL int la_prim_tls_create(la_prim_tls_key_t *key, la_prim_thread_exit_fn *on_exit);
/* Set this thread's value (arms the exit hook for this thread; NULL disarms it).
 * Works inside another slot's exit hook: the hook of the slot set then still runs
 * (the C library runs further rounds, up to 4 in all). EINVAL for a key that was
 * not created. */
LA_INTERNAL int la_prim_tls_set(la_prim_tls_key_t *key, void *value);
/* This thread's value (NULL when unset or the key was not created). */
LA_INTERNAL void *la_prim_tls_get(la_prim_tls_key_t *key);

/* A small process-unique id for the calling thread (never 0). */
LA_INTERNAL uint64_t la_prim_thread_id(void);
/* Let another thread run. */
LA_INTERNAL void la_prim_yield(void);

/* Start a background thread running fn(arg), with every signal blocked (library
 * threads must not take the application's signals). Join it with
 * la_prim_thread_join (EINVAL for a handle not started or already joined). */
typedef struct la_prim_thread {
    uintptr_t handle; /* opaque */
} la_prim_thread_t;
LA_INTERNAL int la_prim_thread_start(la_prim_thread_t *t, void *(*fn)(void *), void *arg);
LA_INTERNAL int la_prim_thread_join(la_prim_thread_t *t);

/* ---- time -------------------------------------------------------------------------------- */

/* Monotonic nanoseconds since an arbitrary start. Never fails. */
LA_INTERNAL uint64_t la_prim_now_ns(void);
/* Sleep for at least `ns` (resumes after signals). */
LA_INTERNAL void la_prim_sleep_ns(uint64_t ns);

/* Wait while *word == expected, for at most timeout_ns (UINT64_MAX = forever).
 * Returns 0 when woken or the value differed, ETIMEDOUT on timeout. Spurious
 * wake-ups are allowed: callers re-check their condition. The word must be in
 * this process's private memory (the futex is process-private). */
LA_INTERNAL int la_prim_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t timeout_ns);
/* Wake up to `count` threads waiting on `word` (UINT32_MAX = all). */
LA_INTERNAL void la_prim_wake(_Atomic uint32_t *word, uint32_t count);

/* ---- lock ----------------------------------------------------------------------------------- */

/* A mutex that needs no initialisation call (zero is unlocked), spins briefly and
 * then sleeps in the kernel. Not recursive, no owner tracking: releasing a lock
 * this thread does not hold is a caller bug that breaks mutual exclusion. Leaf
 * lock: never held across calls into user callbacks. Not fair. */
typedef struct la_prim_lock {
    _Atomic uint32_t state; /* 0 free, 1 held, 2 held with waiters */
} la_prim_lock_t;
#define LA_PRIM_LOCK_INIT {0}

LA_INTERNAL void la_prim_lock_acquire(la_prim_lock_t *lock);
LA_INTERNAL bool la_prim_lock_try(la_prim_lock_t *lock);
LA_INTERNAL void la_prim_lock_release(la_prim_lock_t *lock);

/* ---- process facts ---------------------------------------------------------------------------- */

/* Resident set size of the process in bytes (EINVAL for NULL). */
LA_INTERNAL int la_prim_rss_bytes(uint64_t *out);

/* ---- 16-byte compare-and-swap ------------------------------------------------------------------ */

/* A 16-byte value as two 64-bit words, 16-byte aligned. */
typedef struct la_prim_u128 {
    _Alignas(16) uint64_t lo;
    uint64_t hi;
} la_prim_u128_t;

/* Atomically: if *target == *expected, store desired and return true; otherwise
 * copy the current value into *expected and return false. Full barrier. Only
 * valid when la_prim_caps()->cas16 (the S-list's locked mode is used otherwise).
 * Implemented with cmpxchg16b (x86-64) or casp / ldxp-stxp (AArch64), never
 * through libatomic. */
LA_INTERNAL bool la_prim_cas16(la_prim_u128_t *target, la_prim_u128_t *expected,
                               la_prim_u128_t desired);
/* A 16-byte load that is never torn (may be implemented as a CAS). */
LA_INTERNAL la_prim_u128_t la_prim_load16(la_prim_u128_t *target);


/* ---- shared files ------------------------------------------------------------------------------ */

/* Create (or truncate) `path` with mode 0600, size it to `size` bytes (zero-filled)
 * and map it read-write, shared. The file is complete and mapped when this returns.
 * Used by the statistics publisher. */
LA_INTERNAL int la_prim_file_map_create(const char *path, size_t size, void **map);
/* Map an existing file read-only, shared; *size is its size at open time. */
LA_INTERNAL int la_prim_file_map_open(const char *path, const void **map, size_t *size);
LA_INTERNAL void la_prim_file_unmap(const void *map, size_t size);
/* Atomically replace `to` by `from` (readers opening `to` see the old or the new file). */
LA_INTERNAL int la_prim_file_rename(const char *from, const char *to);
LA_INTERNAL int la_prim_file_unlink(const char *path);
/* This process's id, and the directory for shared-memory files ("/dev/shm"). */
LA_INTERNAL uint64_t la_prim_process_id(void);
LA_INTERNAL const char *la_prim_shared_dir(void);

#endif /* LA_PRIM_H */
