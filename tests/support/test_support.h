/* test_support.h — shared helpers for every test: cmocka, a seeded random
 * generator whose seed is printed on failure, capture of the library's output,
 * and death tests (run a function in a child process and expect a fatal report).
 *
 * Usage:
 *     #include "test_support.h"
 *     static void t_something(void **state) { ... assert_int_equal(...); }
 *     int main(void) {
 *         const struct CMUnitTest tests[] = { cmocka_unit_test(t_something) };
 *         return la_test_run("something", tests);
 *     }
 */
#ifndef LA_TEST_SUPPORT_H
#define LA_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lookaside/base.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <cmocka.h> /* Debian's cmocka.h has no extern "C" of its own */

/* Run a cmocka group; returns the process exit code. */
#define la_test_run(name, tests) _cmocka_run_group_tests((name), (tests), \
    sizeof(tests) / sizeof((tests)[0]), NULL, NULL)

/* ---- seeded randomness ---------------------------------------------------------------- */

/* Seed from LA_TEST_SEED if set, else from the clock; printed once so a failure can
 * be replayed with LA_TEST_SEED=<n>. */
uint64_t la_test_seed(void);
/* xorshift64* generator. */
typedef struct la_test_rng { uint64_t s; } la_test_rng_t;
void la_test_rng_init(la_test_rng_t *r, uint64_t seed);
uint64_t la_test_rng_next(la_test_rng_t *r);
/* Uniform in [0, bound). */
uint64_t la_test_rng_below(la_test_rng_t *r, uint64_t bound);

/* ---- capturing library output ------------------------------------------------------------ */

/* Route la_printf output into an in-memory buffer (cleared by this call). */
void la_test_capture_begin(void);
/* Stop capturing and restore stderr output; returns the captured text (valid until
 * the next capture_begin). */
const char *la_test_capture_end(void);
/* Captured text so far without stopping. */
const char *la_test_captured(void);

/* ---- fatal reports without dying ----------------------------------------------------------- */

/* Install a handler that records fatal reports and returns (so the library backs out). */
void la_test_fatal_trap_begin(void);
/* Remove it; returns how many fatal reports were seen since begin. */
int la_test_fatal_trap_end(void);
/* Code and message of the last trapped report (code 0 if none). */
la_fatal_code_t la_test_fatal_last_code(void);
const char *la_test_fatal_last_message(void);
const char *la_test_fatal_last_file(void);
int la_test_fatal_last_line(void);

/* ---- death tests ---------------------------------------------------------------------------- */

/* Run fn(arg) in a forked child with the default (aborting) fatal handler.
 * Returns true when the child died of SIGABRT and its standard error contains every
 * string in the NULL-terminated list `expect`. On mismatch prints what it got. */
bool la_test_dies_with(void (*fn)(void *), void *arg, const char *const *expect);

/* ---- process facts ------------------------------------------------------------------------ */

/* A "Name:   N kB" field of /proc/self/status (VmLck, VmRSS, ...) in KiB, or
 * UINT64_MAX when absent. Reads with open/read: no stdio buffer is allocated. */
uint64_t la_test_status_kib(const char *field);
/* As root, become the unprivileged user "nobody" (uid and gid 65534) for good, so
 * limits such as RLIMIT_MEMLOCK apply; a no-op for other users. False on failure.
 * Meant for forked children. */
bool la_test_become_nobody(void);

/* Exit code ctest treats as "skipped". */
#define LA_TEST_SKIP_CODE 77

/* True when built with ThreadSanitizer or AddressSanitizer (tests scale work down). */
bool la_test_under_sanitizer(void);

#ifdef __cplusplus
}
#endif

#endif
