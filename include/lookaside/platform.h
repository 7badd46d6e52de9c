/* lookaside/platform.h — what this machine and process offer, as one snapshot.
 *
 * What: la_platform_info_get() fills a la_platform_info_t with the facts the
 * library itself branches on: the base page size, each huge page size with its
 * pool's total and free pages, transparent huge pages, NUMA nodes and whether
 * binding works, whether the CPU has a lock-free 16-byte compare-and-swap (the
 * S-list's lock-free mode), the locked-memory limit, whether physical addresses
 * can be read, and the online CPU count. la_platform_format() renders the same
 * facts as text and la_platform_print() sends that text through la_printf — a
 * preflight report before asking for huge pages or locked memory.
 *
 * Rules:
 *   - Every call takes a fresh reading (huge page counts, the memlock limit and
 *     privileges change while a process runs). It reads a few sysfs/procfs files:
 *     call it at start-up or before a big decision, not on a hot path.
 *   - Thread-safe. Returns 0 or a positive errno value; the output is written only
 *     on success (la_platform_format: see below).
 *   - A fact the system does not report reads as 0 / false (no sysfs in a
 *     container, a kernel without NUMA or THP); numa_node_count is at least 1.
 *   - huge[] lists at most LA_PLATFORM_MAX_HUGE_SIZES sizes, smallest first. A
 *     size's `free` counts pages a new mapping can still get (free minus pages
 *     promised to existing mappings); pages are added by the administrator
 *     (/proc/sys/vm/nr_hugepages or /sys/kernel/mm/hugepages/<size>/nr_hugepages).
 *
 * Example (compiled by tests/api/test_platform.c):
 *
 *     la_platform_info_t info;
 *     int enough = 0;
 *     if (la_platform_info_get(&info) == 0)
 *         for (unsigned i = 0; i < info.huge_count; i++)
 *             if (info.huge[i].size == (2u << 20) && info.huge[i].free >= 4)
 *                 enough = 1;                    // four 2 MiB pages are there for us
 *     char text[1024];
 *     if (la_platform_format(text, sizeof text) == 0)
 *         la_printf("%s", text);                 // "page size      4 KiB\n..."
 */
#ifndef LOOKASIDE_PLATFORM_H
#define LOOKASIDE_PLATFORM_H

#include <lookaside/base.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

LA_BEGIN_DECLS

#define LA_PLATFORM_MAX_HUGE_SIZES 4

typedef struct la_platform_huge {
    uint64_t size;   /* bytes: 2 MiB, 1 GiB, ... */
    uint64_t total;  /* pages in the system's pool of this size */
    uint64_t free;   /* of those, pages a new mapping can still get */
} la_platform_huge_t;

typedef struct la_platform_info {
    uint64_t page_size;          /* base page size in bytes */
    unsigned huge_count;         /* entries used in huge[] */
    la_platform_huge_t huge[LA_PLATFORM_MAX_HUGE_SIZES];
    uint64_t thp_size;           /* transparent huge page size, 0 when the kernel has none */
    bool thp_enabled;            /* THP mode "always" or "madvise" (not "never") */
    unsigned numa_node_count;    /* nodes with memory, >= 1 */
    uint64_t numa_node_mask;     /* bit n set: node n has memory (nodes 0..63) */
    bool numa_bind;              /* binding memory to a node works here */
    bool cas16;                  /* lock-free 16-byte compare-and-swap */
    uint64_t memlock_limit;      /* RLIMIT_MEMLOCK in bytes, UINT64_MAX = unlimited */
    bool memlock_exempt;         /* privileged (CAP_IPC_LOCK): the limit does not apply */
    bool pagemap_readable;       /* physical addresses can be read (CAP_SYS_ADMIN) */
    unsigned cpu_count;          /* online CPUs, >= 1 */
} la_platform_info_t;

/* Take a fresh snapshot. EINVAL when `out` is NULL. */
LA_API int la_platform_info_get(la_platform_info_t *out);

/* Render `info` as lines of "name  value" text into buf (always NUL-terminated
 * when len > 0). EINVAL when info or buf is NULL or len is 0; ERANGE when the text
 * did not fit (buf then holds as much as fits). */
LA_API int la_platform_info_format(const la_platform_info_t *info, char *buf, size_t len);

/* Take a snapshot and render it (la_platform_info_get + la_platform_info_format). */
LA_API int la_platform_format(char *buf, size_t len);

/* Take a snapshot and write it through la_printf (the output callback). */
LA_API int la_platform_print(void);

LA_END_DECLS

#endif /* LOOKASIDE_PLATFORM_H */
