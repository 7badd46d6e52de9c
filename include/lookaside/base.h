/* lookaside/base.h — what every lookaside header needs: declaration macros, the
 * error convention, the output callback and the fatal-report ("bugcheck") hook.
 *
 * Error convention
 *   Functions that can fail return an `int`: 0 on success or a positive errno
 *   value (EINVAL, ENOMEM, EOVERFLOW, ENOTSUP, EPERM, ...). Allocation functions
 *   return NULL and set `errno`. The library never prints behind the caller's back:
 *   every message goes through the output callback (default: standard error).
 *
 * Fatal reports
 *   Misuse that would corrupt memory if the library went on (a broken list link,
 *   a double free, a free to the wrong cache, a tag mismatch in strict mode) ends
 *   in la_fatal(): the report names the code, the object and the caller's
 *   file:line, goes to the output callback, then the fatal handler runs. The
 *   default handler calls abort() — the user-mode equivalent of a bugcheck.
 *   An installed handler may return instead; the operation that detected the
 *   problem is then abandoned without modifying anything (a free becomes a no-op,
 *   an insert does not link, an allocation returns NULL with errno EFAULT).
 *
 * Example (compiled by tests/api/test_base.c):
 *
 *     static void quiet(const char *text, void *arg) { (void)text; (void)arg; }
 *     static void keep_going(const la_fatal_report_t *r, void *arg) {
 *         ++*(int *)arg;                    // count it, let the library back out
 *         (void)r;
 *     }
 *     int seen = 0;
 *     la_output_set(quiet, NULL);
 *     la_fatal_handler_set(keep_going, &seen);
 *     ...                                   // misuse is now counted, not fatal
 *     la_fatal_handler_set(NULL, NULL);     // back to report-and-abort
 *     la_output_set(NULL, NULL);            // back to stderr
 */
#ifndef LOOKASIDE_BASE_H
#define LOOKASIDE_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <lookaside/config.h>

#ifdef __cplusplus
#define LA_BEGIN_DECLS extern "C" {
#define LA_END_DECLS }
#else
#define LA_BEGIN_DECLS
#define LA_END_DECLS
#endif

/* Symbol visibility: the shared library exports only what carries LA_API. */
#if defined(__GNUC__) || defined(__clang__)
#define LA_API __attribute__((visibility("default")))
#define LA_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#define LA_NODISCARD __attribute__((warn_unused_result))
#define LA_MALLOC_LIKE __attribute__((malloc))
#define LA_LIKELY(x) __builtin_expect(!!(x), 1)
#define LA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LA_API
#define LA_PRINTF(fmt_index, first_arg)
#define LA_NODISCARD
#define LA_MALLOC_LIKE
#define LA_LIKELY(x) (x)
#define LA_UNLIKELY(x) (x)
#endif

/* `static inline` that works the same in C11 and C++. */
#define LA_INLINE static inline

/* The caller's location, forwarded by checked macros into reports. */
#define LA_HERE __FILE__, __LINE__

/* Pointer to the structure that contains `member` at address `ptr` (CONTAINING_RECORD). */
#define LA_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

LA_BEGIN_DECLS

/* ---- version ----------------------------------------------------------------- */

/* Version of the library actually linked: major*10000 + minor*100 + patch.
 * Compare with LA_VERSION (the headers' version) to catch a mismatched install. */
#define LA_VERSION (LA_VERSION_MAJOR * 10000 + LA_VERSION_MINOR * 100 + LA_VERSION_PATCH)
LA_API int la_version(void);

/* ---- output ------------------------------------------------------------------ */

/* Receives one complete message (usually ending in '\n'); must not call back into
 * the library's allocation functions. `arg` is the pointer given to la_output_set. */
typedef void la_output_fn(const char *text, void *arg);

/* Route every message the library emits to `fn` (NULL restores standard error).
 * Thread-safe; takes effect for messages started after the call returns. */
LA_API void la_output_set(la_output_fn *fn, void *arg);

/* Emit a formatted message through the current output callback. Views and reports
 * (the !lookaside and PoolMon tables, leak reports) use this too. Messages longer
 * than 4 KiB are delivered in pieces. */
LA_API void la_printf(const char *fmt, ...) LA_PRINTF(1, 2);
LA_API void la_vprintf(const char *fmt, va_list ap) LA_PRINTF(1, 0);

/* ---- fatal reports (the user-mode bugcheck) --------------------------------- */

typedef enum la_fatal_code {
    LA_FATAL_LIST_CORRUPT = 1,   /* list neighbour check failed (FAST_FAIL_CORRUPT_LIST_ENTRY) */
    LA_FATAL_DOUBLE_FREE = 2,    /* a block was freed twice */
    LA_FATAL_WRONG_OWNER = 3,    /* block freed to a cache/pool that did not hand it out */
    LA_FATAL_BAD_POINTER = 4,    /* pointer the library never handed out */
    LA_FATAL_TAG_MISMATCH = 5,   /* free with a tag other than the allocation's (strict mode) */
    LA_FATAL_MISALIGNED = 6,     /* object that must be aligned is not (S-list entry, list head) */
    LA_FATAL_USE_AFTER_DESTROY = 7, /* operation on a destroyed cache/pool */
    LA_FATAL_CORRUPT_BLOCK = 8,  /* guard, redzone or free-pattern overwritten */
    LA_FATAL_BAD_ARGUMENT = 9,   /* argument violates a documented precondition */
    LA_FATAL_RAISE = 10          /* an unhandled "raise" (POOL_RAISE_IF_ALLOCATION_FAILURE) */
} la_fatal_code_t;

typedef struct la_fatal_report {
    la_fatal_code_t code;
    const char *code_name;       /* "LIST_CORRUPT", ... */
    const void *object;          /* the entry, block or cache concerned */
    const char *file;            /* caller's file, or NULL when unknown */
    int line;                    /* caller's line, 0 when unknown */
    const char *message;         /* formatted detail, never NULL */
} la_fatal_report_t;

/* Called after the report has been written. The default (NULL) handler aborts. */
typedef void la_fatal_handler_fn(const la_fatal_report_t *report, void *arg);

/* Install `fn` for every later fatal report (NULL restores report-and-abort). */
LA_API void la_fatal_handler_set(la_fatal_handler_fn *fn, void *arg);

/* Report misuse: writes "lookaside: FATAL <CODE> object <p> at <file>:<line>: <msg>"
 * through the output callback, then runs the fatal handler. Returns only if an
 * installed handler returns; the caller must then abandon its operation. */
LA_API void la_fatal(la_fatal_code_t code, const void *object, const char *file, int line,
                     const char *fmt, ...) LA_PRINTF(5, 6);

/* Name of a fatal code ("LIST_CORRUPT"), "UNKNOWN" for other values. */
LA_API const char *la_fatal_code_name(la_fatal_code_t code);

LA_END_DECLS

#endif /* LOOKASIDE_BASE_H */
