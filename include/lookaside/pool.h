/* lookaside/pool.h — tagged pool allocation: the user-space ExAllocatePoolWithTag.
 *
 * What
 *   Variable-size blocks, each charged to a four-byte tag and a pool kind, with
 *   per-tag accounting that PoolMon would recognise (allocs, frees, outstanding
 *   blocks and bytes, peak bytes, failures), budgets per tag, a snapshot API, a
 *   PoolMon-style table, JSON, and a leak report. Every lookaside list created
 *   with a pool type and tag takes its blocks from here.
 *
 * Pool types (la_pool_type_t, a base kind plus modifier bits)
 *   LA_POOL_PAGED    pageable memory (the default, PagedPool).
 *   LA_POOL_LOCKED   memory locked in RAM with mlock (the user-space "non-paged"
 *                    pool). Counts against RLIMIT_MEMLOCK: when the limit is
 *                    reached the allocation fails with ENOMEM (counted).
 *   LA_POOL_EXECUTE  modifier: executable memory. Pool memory is never executable
 *                    unless this bit is given (NX by default). Systems that
 *                    enforce W^X refuse a writable and executable mapping, so the
 *                    library never makes one: the block you get is the writable
 *                    view, la_pool_exec_view() gives the executable address of the
 *                    same bytes (EACCES when the system refuses executable memory).
 *   LA_POOL_CACHE_ALIGNED  modifier: the block starts on a 64-byte boundary.
 *   Accounting is kept per tag and per kind (la_pool_kind_t: paged, locked, and
 *   each of them executable); cache alignment does not make a separate kind.
 *
 * Flags (la_pool_flags_t)
 *   LA_POOL_F_ZERO   zero-fill the block. Without it the contents are
 *                    uninitialised (like malloc; ExAllocatePool2 maps its default
 *                    to LA_POOL_F_ZERO and POOL_FLAG_UNINITIALIZED to 0).
 *   LA_POOL_F_RAISE  on failure call the raise handler (la_raise_handler_set)
 *                    instead of just returning NULL. The default handler reports
 *                    through la_printf and calls la_fatal(LA_FATAL_RAISE, ...).
 *
 * Sizes and alignment
 *   Blocks under a page (size <= LA_POOL_SMALL_MAX) are 16-byte aligned and never
 *   cross a page boundary; anything larger is page-aligned. A zero-byte request
 *   returns a unique pointer that may be freed. la_pool_block_size() reports the
 *   usable size (>= the request). The accounted "bytes" of a block are its block
 *   size, as PoolMon counts pool blocks with their rounding.
 *
 * Tags
 *   Four bytes of printable ASCII (0x20..0x7E). Tag 0 or any byte outside that
 *   range fails with EINVAL. Byte order is Windows': the tag's lowest byte is
 *   shown first. LA_TAG('F','r','e','d') shows as "Fred"; a C multi-character
 *   constant 'Fred' (as in driver code) has 'd' in its lowest byte and shows as
 *   "derF", exactly as PoolMon shows it.
 *
 * Errors (allocations return NULL and set errno; functions return 0 or errno)
 *   EINVAL  bad tag, unknown type or flag bits
 *   ENOMEM  out of memory, size too large (near SIZE_MAX), RLIMIT_MEMLOCK reached
 *   EDQUOT  the tag's hard budget would be exceeded
 *   EACCES  the system refuses executable memory
 *   Every failure with a valid tag is counted in that tag's `failures`.
 *
 * Misuse (la_fatal; if an installed fatal handler returns, nothing is modified)
 *   freeing a pointer the pool never handed out   LA_FATAL_BAD_POINTER
 *   freeing a block twice                         LA_FATAL_DOUBLE_FREE
 *   la_pool_free_tag with the wrong tag           LA_FATAL_TAG_MISMATCH in strict
 *       mode. Otherwise (the default, as Windows without Driver Verifier) the
 *       block is freed, the mismatch is counted and reported once per allocating
 *       tag through la_printf, naming both tags. Strict mode: la_pool_strict_set(),
 *       or the environment variable LA_POOL_STRICT=1 read at first use.
 *
 * Threads
 *   All functions are thread-safe. A block may be freed on any thread. Counters
 *   are kept per thread and summed when read, so counts and bytes are exact under
 *   concurrency and cross-thread frees. `peak_bytes` is the highest total seen when
 *   a thread folds its drift into the tag's total — every 64 KiB of its allocation
 *   or free traffic on the tag, at thread exit, and when it reads the counters — and
 *   at every read, so a short-lived peak may be missed by less than 64 KiB per
 *   thread. Tags with a budget fold on every operation: their peaks and budget checks
 *   are exact (la_pool_tag_budget_set(tag, kind, 0, UINT64_MAX) asks for an exact
 *   peak without a limit, at the cost of one atomic add per operation).
 *
 * Memory comes back: whole free slabs are returned to the OS (discarded, the
 *   address range stays mapped so lock-free readers never fault); each thread
 *   keeps a bounded cache of free blocks, flushed by la_pool_trim() and at thread
 *   exit.
 *
 * Example (compiled by tests/api/test_pool_api.c):
 *
 *     la_tag_t tag = LA_TAG('D', 'e', 'm', 'o');
 *     char *p = la_pool_alloc(LA_POOL_PAGED, 100, tag, LA_POOL_F_ZERO);
 *     if (!p) return errno;                       // ENOMEM, EDQUOT, ...
 *     p[99] = 1;                                  // 100 usable bytes, zeroed
 *     la_pool_tag_info_t info;
 *     la_pool_tag_query(tag, LA_POOL_KIND_PAGED, &info); // info.outstanding == 1
 *     la_pool_free_tag(p, tag);                   // checks the tag
 *     la_pool_table_print(NULL);                  // PoolMon-style table via la_printf
 */
#ifndef LOOKASIDE_POOL_H
#define LOOKASIDE_POOL_H

#include <lookaside/base.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

LA_BEGIN_DECLS

/* ---- tags ----------------------------------------------------------------------- */

typedef uint32_t la_tag_t;

/* A tag from its four characters in display order: LA_TAG('F','r','e','d') shows "Fred". */
#define LA_TAG(a, b, c, d)                                                              \
    ((la_tag_t)(uint8_t)(a) | ((la_tag_t)(uint8_t)(b) << 8) | ((la_tag_t)(uint8_t)(c) << 16) | \
     ((la_tag_t)(uint8_t)(d) << 24))

/* True when `tag` is acceptable: non-zero, every byte printable ASCII 0x20..0x7E. */
LA_INLINE bool la_tag_valid(la_tag_t tag) {
    if (tag == 0) return false;
    for (int i = 0; i < 4; ++i) {
        unsigned c = (tag >> (8 * i)) & 0xffu;
        if (c < 0x20u || c > 0x7eu) return false;
    }
    return true;
}

/* Write the tag as PoolMon shows it (lowest byte first) into out[5], NUL-terminated;
 * bytes that are not printable are shown as '.'. Returns out. */
LA_INLINE char *la_tag_format(la_tag_t tag, char out[5]) {
    for (int i = 0; i < 4; ++i) {
        unsigned c = (tag >> (8 * i)) & 0xffu;
        out[i] = (char)((c >= 0x20u && c <= 0x7eu) ? c : '.');
    }
    out[4] = '\0';
    return out;
}

/* ---- pool types, kinds and flags -------------------------------------------------- */

typedef enum la_pool_type {
    LA_POOL_PAGED = 0x0,          /* pageable (default) */
    LA_POOL_LOCKED = 0x1,         /* mlock'ed: never paged out ("non-paged") */
    LA_POOL_EXECUTE = 0x2,        /* modifier: executable (see la_pool_exec_view) */
    LA_POOL_CACHE_ALIGNED = 0x4   /* modifier: 64-byte aligned block */
} la_pool_type_t;

/* Bits of a pool type the library understands; anything else is EINVAL. */
#define LA_POOL_TYPE_MASK 0x7u

/* The accounting kind: base type x executable (= type & 3). PoolMon's "Type" column. */
typedef enum la_pool_kind {
    LA_POOL_KIND_PAGED = 0,
    LA_POOL_KIND_LOCKED = 1,
    LA_POOL_KIND_PAGED_EXEC = 2,
    LA_POOL_KIND_LOCKED_EXEC = 3
} la_pool_kind_t;
#define LA_POOL_KIND_COUNT 4

/* Kind of a pool type. */
LA_INLINE la_pool_kind_t la_pool_kind_of(unsigned type) {
    return (la_pool_kind_t)(type & (LA_POOL_LOCKED | LA_POOL_EXECUTE));
}

/* Short name of a kind as the table shows it: "Paged", "Nonp", "PgEx", "NpEx". */
LA_API const char *la_pool_kind_name(la_pool_kind_t kind);

typedef enum la_pool_flags {
    LA_POOL_F_ZERO = 0x1,   /* zero-fill; otherwise uninitialised */
    LA_POOL_F_RAISE = 0x2   /* on failure call the raise handler */
} la_pool_flags_t;
#define LA_POOL_F_MASK 0x3u

/* Largest request served as a small (16-byte aligned, headerless, never crossing a
 * page) block; larger requests are page-aligned. */
#define LA_POOL_SMALL_MAX 4080u
/* Alignment of LA_POOL_CACHE_ALIGNED blocks. */
#define LA_POOL_CACHE_ALIGNMENT 64u

/* ---- allocation -------------------------------------------------------------------- */

/* Allocate `size` bytes charged to (`tag`, kind of `type`). NULL + errno on failure
 * (after calling the raise handler if `flags` has LA_POOL_F_RAISE). */
LA_API LA_NODISCARD LA_MALLOC_LIKE void *la_pool_alloc(unsigned type, size_t size, la_tag_t tag,
                                                       unsigned flags);

/* Free a block (NULL is ignored). Misuse is reported with la_fatal. */
LA_API void la_pool_free(void *p);
/* Free and check that the block was allocated with `tag` (see "Misuse" above). */
LA_API void la_pool_free_tag(void *p, la_tag_t tag);
/* Both of the above, with the caller's location for reports (tag 0 = no check). */
LA_API void la_pool_free_at(void *p, la_tag_t tag, const char *file, int line);

/* Usable size of a live block (>= the size asked for; whole pages for big blocks).
 * A pointer the pool did not hand out is reported (LA_FATAL_BAD_POINTER) and 0 returned. */
LA_API size_t la_pool_block_size(const void *p);
/* Tag a live block was allocated with; 0 (after a report) for a bad pointer. */
LA_API la_tag_t la_pool_block_tag(const void *p);
/* Executable address of a block allocated with LA_POOL_EXECUTE (the same bytes as
 * `p`, mapped read+execute). NULL with errno EINVAL for any other block. */
LA_API void *la_pool_exec_view(const void *p);

/* ---- raise handler -------------------------------------------------------------------- */

/* Called for a failed allocation made with LA_POOL_F_RAISE: `error` is the errno
 * value (the WDK layer maps it to an NTSTATUS). If it returns, the allocation
 * returns NULL with errno = error. */
typedef void la_raise_handler_fn(int error, size_t size, la_tag_t tag, void *arg);
/* Replace the raise handler (NULL restores the default: report and la_fatal(LA_FATAL_RAISE)). */
LA_API void la_raise_handler_set(la_raise_handler_fn *fn, void *arg);

/* ---- strict mode -------------------------------------------------------------------------- */

/* Strict mode makes a tag mismatch on free fatal (LA_FATAL_TAG_MISMATCH). Default off,
 * unless the environment variable LA_POOL_STRICT is "1" at first use. */
LA_API void la_pool_strict_set(bool strict);
LA_API bool la_pool_strict(void);

/* ---- accounting ---------------------------------------------------------------------------- */

typedef struct la_pool_tag_info {
    la_tag_t tag;
    la_pool_kind_t kind;
    uint64_t allocs;        /* successful allocations, cumulative */
    uint64_t frees;         /* frees, cumulative */
    uint64_t outstanding;   /* allocs - frees: blocks live now */
    uint64_t bytes;         /* block bytes live now */
    uint64_t peak_bytes;    /* highest `bytes` seen (see "Threads" above) */
    uint64_t failures;      /* failed allocations (no memory, budget, memlock, ...) */
    uint64_t budget_denials;/* of those, refused by the hard budget */
    uint64_t tag_mismatches;/* frees of blocks of this tag with another tag given */
} la_pool_tag_info_t;

/* Counters of one (tag, kind). ENOENT if the pair was never used; EINVAL bad tag. */
LA_API int la_pool_tag_query(la_tag_t tag, la_pool_kind_t kind, la_pool_tag_info_t *out);

/* Copy up to `cap` records (one per tag and kind ever used, in first-use order)
 * into `out` and set *count to the number of records that exist. Returns 0, or
 * ENOBUFS when cap < *count (the first `cap` records are written). out may be NULL
 * when cap is 0. */
LA_API int la_pool_snapshot(la_pool_tag_info_t *out, size_t cap, size_t *count);

/* Process-wide figures. */
typedef struct la_pool_stats {
    uint64_t bytes_mapped;      /* address space held by the pool (never unmapped) */
    uint64_t bytes_locked;      /* of it, locked in RAM now */
    uint64_t bytes_cached;      /* free blocks held in thread caches and empty slabs still resident */
    uint64_t slabs_discarded;   /* times a free slab was returned to the OS */
    uint64_t invalid_tag_failures; /* allocations refused for tag 0 / unprintable */
    uint64_t tag_mismatches;    /* frees with a wrong tag (all tags) */
    uint64_t bad_frees;         /* bad pointers and double frees reported */
} la_pool_stats_t;
LA_API void la_pool_stats_get(la_pool_stats_t *out);

/* Return this thread's cached free blocks to the shared slabs and give every wholly
 * free slab back to the OS. Call after a burst to bring RSS down at once. */
LA_API void la_pool_trim(void);

/* ---- budgets ---------------------------------------------------------------------------------- */

/* Set a tag's budgets in bytes, per kind (0 = none). Passing the soft budget emits one
 * warning through la_printf (re-armed by the next call of this function); an
 * allocation that would pass the hard budget fails with EDQUOT and is counted. */
LA_API int la_pool_tag_budget_set(la_tag_t tag, la_pool_kind_t kind, uint64_t soft_bytes,
                                  uint64_t hard_bytes);

/* ---- reports ------------------------------------------------------------------------------------ */

typedef enum la_pool_sort {
    LA_POOL_SORT_TAG = 0,     /* by tag text, ascending (PoolMon 't') */
    LA_POOL_SORT_ALLOCS,      /* descending ('a') */
    LA_POOL_SORT_FREES,       /* descending ('f') */
    LA_POOL_SORT_DIFF,        /* descending ('d') */
    LA_POOL_SORT_BYTES,       /* descending ('b') */
    LA_POOL_SORT_PER_ALLOC    /* descending ('m') */
} la_pool_sort_t;

typedef struct la_pool_report_opts {
    la_pool_sort_t sort;
    const char *include;   /* show only tags matching this pattern ('*', '?'); NULL = all */
    const char *exclude;   /* hide tags matching this pattern; NULL = none */
    unsigned kinds;        /* bit (1 << kind) per kind to show; 0 = all */
    bool totals;           /* add a totals line (PoolMon /e) */
    bool hide_idle;        /* hide records with no allocation at all */
} la_pool_report_opts_t;

/* True when the tag (as displayed) matches a pattern of literal characters, '*'
 * (any run) and '?' (any one character). Case-sensitive, like !poolused. */
LA_API bool la_pool_tag_match(la_tag_t tag, const char *pattern);

/* PoolMon-style table through la_printf; NULL opts = all tags sorted by tag.
 * Columns: Tag Type Allocs Frees Diff Bytes PerAlloc. Returns rows printed. */
LA_API size_t la_pool_table_print(const la_pool_report_opts_t *opts);
/* The same selection as a JSON document through la_printf. Returns rows printed. */
LA_API size_t la_pool_json_print(const la_pool_report_opts_t *opts);
/* The same table and JSON for records the caller holds (a published snapshot of
 * another process, an earlier la_pool_snapshot): `rows` is filtered and sorted in
 * place (kept rows first). Returns rows printed; NULL rows prints an empty table. */
LA_API size_t la_pool_table_print_rows(la_pool_tag_info_t *rows, size_t count,
                                       const la_pool_report_opts_t *opts);
LA_API size_t la_pool_json_print_rows(la_pool_tag_info_t *rows, size_t count,
                                      const la_pool_report_opts_t *opts);
/* Leak report: every (tag, kind) with blocks outstanding, with count and bytes,
 * through la_printf. Returns the number of outstanding blocks. */
LA_API uint64_t la_pool_leak_report(void);
/* Print the leak report at process exit if anything is outstanding (also enabled by
 * the environment variable LA_POOL_LEAK_REPORT=1 at first use). */
LA_API void la_pool_leak_report_at_exit(bool enable);

LA_END_DECLS

#endif /* LOOKASIDE_POOL_H */
