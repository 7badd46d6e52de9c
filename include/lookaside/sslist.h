/* lookaside/sslist.h — the sequenced S-list: a lock-free LIFO of caller-owned
 * entries with the semantics of the Windows SLIST_HEADER (InterlockedPushEntrySList,
 * InterlockedPopEntrySList, InterlockedFlushSList, InterlockedPushListSListEx,
 * QueryDepthSList). The depot of every lookaside cache is one of these.
 *
 * What
 *   la_sslist_header_t   16 bytes, 16-byte aligned: depth, sequence and the first
 *                        entry, always replaced as one unit by a 16-byte
 *                        compare-and-swap (cmpxchg16b / casp).
 *   la_sslist_entry_t    { next } — embed one, 16-byte aligned, in each object.
 *
 *   operation                           cost (lock-free mode)
 *   init, init_locked                   two stores, not thread-safe
 *   push, push_chain, pop, flush        one 16-byte CAS, retried under contention
 *   depth, first, sequence, modes       one load (a snapshot)
 *
 * Header layout (the x64 SLIST_HEADER "HeaderX64" bit positions; the WDK layer's
 * SLIST_HEADER is these same 16 bytes)
 *
 *     byte 0                              8                                16
 *     +------------------------------------+------------------------------------+
 *     | depth:16 (bits 0-15)               | flags:4 (bits 0-3)                 |
 *     | sequence:48 (bits 16-63)           | first entry address (bits 4-63)    |
 *     +------------------------------------+------------------------------------+
 *     flags: bit 0 initialised, bit 1 locked mode, bit 2 lock held, bit 3 zero.
 *
 * Rules
 *   - Call la_sslist_init (or _init_locked) before any other use and before other
 *     threads can see the header. A header is 16-byte aligned by its type; one
 *     placed at an address that is not (packed structs, hand-made buffers) is
 *     refused by init in checked builds.
 *   - Entries must be 16-byte aligned (the low four bits of the header's pointer
 *     word hold flags). Embed the entry as
 *         LA_ALIGNAS(LA_SSLIST_ALIGN) la_sslist_entry_t link;
 *     and allocate the object with at least 16-byte alignment (64-bit glibc malloc
 *     does). Checked builds
 *     (LA_CONFIG_CHECKED, the default) report a misaligned or NULL entry with
 *     la_fatal(LA_FATAL_MISALIGNED / LA_FATAL_BAD_ARGUMENT, entry, ...); if the
 *     handler returns nothing is pushed and the call returns NULL. Unchecked builds
 *     do not look: a misaligned push corrupts the list.
 *   - THE MEMORY RULE. pop reads first->next before its CAS proves `first` is still
 *     the head; by then another thread may have popped `first` and be using or
 *     freeing it. The stale value is then discarded (the CAS fails), but the read
 *     itself must not fault: memory that has ever held an entry of a list must stay
 *     mapped (readable) for as long as any thread may pop from that list. Reuse it,
 *     or give its pages back in a way that keeps them mapped (zero-filled); never
 *     munmap it.
 *   - An entry is in at most one list at a time; pushing an entry that is already
 *     in the list is not detected and makes a cycle.
 *   - Depth is 16 bits: a list holding 65536 or more entries reports depth modulo
 *     65536 (as Windows does). The list itself is unbounded.
 *   - Sequence (48 bits) is incremented by every push and push_chain (once per
 *     call) and left unchanged by pop and flush, in both modes. It exists for the
 *     ABA argument; do not give its value any other meaning.
 *   - All operations are thread-safe against each other, except init.
 *   - In lock-free mode push, push_chain, pop and flush are also async-signal-safe
 *     (usable from a signal handler that interrupted an operation on the same
 *     list); in locked mode they are not (the handler could spin on its own
 *     thread's lock).
 *
 * Lock-free mode and locked mode
 *   la_sslist_init picks lock-free mode when the CPU has a 16-byte CAS
 *   (la_sslist_lock_free_available()) and locked mode otherwise. Locked mode is the
 *   same list guarded by the lock bit in the header (a spin lock that yields after a
 *   short spin), so the header stays 16 bytes and every operation keeps its meaning;
 *   la_sslist_is_lock_free() tells which mode a list is in. There is no silent
 *   fallback: a caller that needs lock-free behaviour (e.g. pushing from a signal
 *   handler) must check. la_sslist_init_locked forces locked mode (tests, and
 *   debugging with tools that do not understand 16-byte CAS).
 *
 * Example (compiled and run as written by tests/api/test_sslist.c):
 *
 *     typedef struct job {
 *         LA_ALIGNAS(LA_SSLIST_ALIGN) la_sslist_entry_t link;
 *         int id;
 *     } job_t;
 *     static la_sslist_header_t free_jobs;       // 16-byte aligned by its type
 *     static job_t jobs[4];                       // each job 16-byte aligned
 *     la_sslist_init(&free_jobs);
 *     for (int i = 0; i < 4; i++) {
 *         jobs[i].id = i;
 *         la_sslist_push(&free_jobs, &jobs[i].link);
 *     }
 *     la_sslist_entry_t *e = la_sslist_pop(&free_jobs);      // LIFO: job 3
 *     job_t *j = LA_CONTAINER_OF(e, job_t, link);
 *     printf("popped %d, %u left\n", j->id, (unsigned)la_sslist_depth(&free_jobs));
 *     for (e = la_sslist_flush(&free_jobs); e; e = e->next)  // 2, 1, 0; list empty
 *         printf("flushed %d\n", LA_CONTAINER_OF(e, job_t, link)->id);
 */
#ifndef LOOKASIDE_SSLIST_H
#define LOOKASIDE_SSLIST_H

#include <stdbool.h>
#include <stdint.h>

#include <lookaside/base.h>

/* Alignment specifier usable in C11 and C++ declarations. */
#ifndef LA_ALIGNAS
#ifdef __cplusplus
#define LA_ALIGNAS(n) alignas(n)
#else
#define LA_ALIGNAS(n) _Alignas(n)
#endif
#endif

/* Required alignment of headers and entries, in bytes. */
#define LA_SSLIST_ALIGN 16

LA_BEGIN_DECLS

typedef struct la_sslist_entry {
    struct la_sslist_entry *next;         /* next entry toward the bottom; NULL ends the chain */
} la_sslist_entry_t;

typedef struct la_sslist_header {
    LA_ALIGNAS(16) uint64_t ss_depth_seq; /* depth:16 | sequence:48 — see the layout above */
    uint64_t ss_first_flags;              /* first entry address | flags:4 */
} la_sslist_header_t;

/* Initialise an empty list in lock-free mode if this CPU has a 16-byte CAS, else in
 * locked mode. Not thread-safe: no other thread may use the header meanwhile.
 * Checked builds: a header that is not 16-byte aligned is reported
 * (LA_FATAL_MISALIGNED) and left untouched. */
LA_API void la_sslist_init(la_sslist_header_t *list);

/* Initialise an empty list in locked mode, whatever the CPU offers. */
LA_API void la_sslist_init_locked(la_sslist_header_t *list);

/* Push `entry` (16-byte aligned, not in any list). Returns the entry that was first
 * before the push, NULL if the list was empty. Depth +1, sequence +1. */
LA_API la_sslist_entry_t *la_sslist_push(la_sslist_header_t *list, la_sslist_entry_t *entry);

/* Push a chain already linked first->...->last through `next` (last->next is
 * overwritten), holding `count` entries (>= 1), in one step: afterwards `first` is
 * the first entry and `last` links to the previous first. Returns the previous
 * first entry. Depth += count (mod 65536), sequence +1. The chain's links and
 * count are the caller's responsibility (a wrong count only makes depth wrong);
 * checked builds reject NULL or misaligned first/last and count 0 (nothing pushed,
 * NULL returned). */
LA_API la_sslist_entry_t *la_sslist_push_chain(la_sslist_header_t *list, la_sslist_entry_t *first,
                                               la_sslist_entry_t *last, unsigned count);

/* Remove and return the first entry, NULL if the list is empty. Depth -1. */
LA_API la_sslist_entry_t *la_sslist_pop(la_sslist_header_t *list);

/* Detach the whole chain and return its first entry (NULL if empty); the chain is
 * in LIFO order and ends with next == NULL. Depth becomes 0. */
LA_API la_sslist_entry_t *la_sslist_flush(la_sslist_header_t *list);

/* Number of entries (mod 65536) at the moment of the call. */
LA_API uint16_t la_sslist_depth(const la_sslist_header_t *list);

/* The first entry at the moment of the call (RtlFirstEntrySList), without removing
 * it. Only a hint under concurrency: it may be popped at once. */
LA_API la_sslist_entry_t *la_sslist_first(const la_sslist_header_t *list);

/* The 48-bit sequence number (diagnostics and tests; see Rules). */
LA_API uint64_t la_sslist_sequence(const la_sslist_header_t *list);

/* True when `list` is in lock-free mode, false in locked mode. */
LA_API bool la_sslist_is_lock_free(const la_sslist_header_t *list);

/* True when la_sslist_init would choose lock-free mode on this machine. */
LA_API bool la_sslist_lock_free_available(void);

LA_END_DECLS

#endif /* LOOKASIDE_SSLIST_H */
