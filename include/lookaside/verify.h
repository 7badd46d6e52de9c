/* lookaside/verify.h — the verifier for lookaside caches: fill patterns, redzones,
 * double-free and wrong-cache detection, leak reports with call sites, seeded
 * fault injection and a malloc pass-through, chosen at run time (no rebuild).
 *
 * What
 *   A cache created while the verifier selects it (by name) is a *verified* cache.
 *   Every allocation and free of a verified cache leaves the per-thread fast path
 *   (the cache gets no fast slot) and goes through the checks below; other caches
 *   are not slowed down. The configuration is a comma-separated list of items,
 *   from the environment variable LA_VERIFY or from la_verify_configure():
 *
 *     caches=PAT[|PAT...]  select caches whose name matches a pattern ('*' any run,
 *                          '?' one character); without it every cache is selected.
 *                          Alone it verifies the selected caches with the checks
 *                          every verified cache has (below)
 *     depth0               nothing is cached: every free goes through the checks to
 *                          the backing, every allocation comes from it
 *     fill                 freed blocks are filled with LA_VERIFY_FREE_PATTERN and
 *                          checked when handed out again (a write after free is an
 *                          LA_FATAL_CORRUPT_BLOCK report); handed-out blocks are
 *                          filled with LA_VERIFY_ALLOC_PATTERN. Not for caches with
 *                          a constructor (their blocks keep their constructed state)
 *     redzone[=N]          N bytes (default 16, rounded up to 16, at most 4096)
 *                          after each block hold LA_VERIFY_REDZONE_PATTERN, checked
 *                          when the block is freed (LA_FATAL_CORRUPT_BLOCK)
 *     callsites            destroy lists each outstanding block with its call site
 *                          (file:line from LA_LOOKASIDE_ALLOC, else the caller's
 *                          return address)
 *     fail_nth=N           the Nth allocation of each verified cache fails (NULL,
 *                          errno ENOMEM); N counts from 1, 0 = off
 *     fail_share=F         a share F (0..1) of allocations fails, chosen by a
 *                          seeded hash of (seed, cache name, allocation number):
 *                          the same program fails the same allocations every run
 *     seed=N               seed for fail_share (default 1)
 *     passthrough          every block comes from the C library's aligned_alloc and
 *                          goes back to free() (implies depth0), so external tools
 *                          (ASan, Valgrind, heap profilers) see each object
 *     all                  fill,redzone,callsites
 *     off                  nothing is verified (also: an empty string)
 *
 *   Every verified cache also detects, in every build (checked or not), a free of
 *   a block it did not hand out (LA_FATAL_BAD_POINTER), a second free
 *   (LA_FATAL_DOUBLE_FREE) and a free of another verified cache's block
 *   (LA_FATAL_WRONG_OWNER). If an installed fatal handler returns, the free is
 *   abandoned with nothing modified; an allocation whose reused block fails its
 *   pattern check returns NULL with errno EFAULT (the block is dropped and stays
 *   counted as outstanding).
 *
 * Rules
 *   - The configuration applies to caches created after it is set; a cache is
 *     verified or not for its whole life. LA_VERIFY is read when the first cache
 *     is created, unless la_verify_configure() was called before.
 *   - An unknown item or a bad value is reported through la_printf, one line per
 *     item, and nothing changes (la_verify_configure returns EINVAL; a bad
 *     LA_VERIFY leaves the verifier off).
 *   - Counters stay exact: with depth0, every allocation counts as a miss and
 *     every free as a free miss. Injected failures count as backing failures.
 *   - Blocks of a verified cache are larger (redzone and a 64-byte record after
 *     the block); la_lookaside_block_size() does not change.
 *   - With DEPOT_ONLY caches the first 16 bytes of a cached block hold the
 *     S-list link and are not pattern-checked.
 *
 * Sanitizers and Valgrind (every cache, verified or not)
 *   Blocks sitting in a cache (magazine, depot) are poisoned for AddressSanitizer
 *   (a touch reports use-after-poison) and marked NOACCESS for Valgrind memcheck
 *   (when the library was built with <valgrind/memcheck.h>); handed-out blocks
 *   are UNDEFINED (DEFINED for caches with a constructor).
 *
 * Example (compiled and run by tests/api/test_verify_api.c):
 *
 *     int err = la_verify_configure("caches=net.*,fill,redzone,callsites");
 *     if (err) return err;                          // EINVAL: reported via la_printf
 *     la_lookaside_params_t p = {0};
 *     p.name = "net.rx";
 *     p.size = 64;
 *     p.tag = LA_TAG('N', 'e', 't', 'R');
 *     la_lookaside_t *rx;
 *     err = la_lookaside_create(&p, &rx);
 *     if (err) return err;
 *     bool on = la_verify_enabled(rx);              // true: "net.rx" matches net.*
 *     void *a = LA_LOOKASIDE_ALLOC(rx);             // this file:line is recorded
 *     size_t live = la_verify_report(rx);           // 1, printed with its call site
 *     la_lookaside_free(rx, a);                     // redzone checked, block filled
 *     size_t leaked = la_lookaside_destroy(rx);     // 0
 *     la_verify_configure(NULL);                    // later caches are not verified
 */
#ifndef LOOKASIDE_VERIFY_H
#define LOOKASIDE_VERIFY_H

#include <lookaside/base.h>
#include <lookaside/lookaside_list.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

LA_BEGIN_DECLS

/* Named memory patterns (64-bit words, native byte order). */
#define LA_VERIFY_FREE_PATTERN 0xdeadbeefdeadbeefull    /* a freed block, while cached */
#define LA_VERIFY_ALLOC_PATTERN 0xbaddcafebaddcafeull   /* a handed-out block, before use */
#define LA_VERIFY_REDZONE_PATTERN 0xfeedfacefeedfaceull /* the bytes after a block */

#define LA_VERIFY_REDZONE_DEFAULT 16u
#define LA_VERIFY_REDZONE_MAX 4096u
#define LA_VERIFY_PATTERNS_MAX 255u   /* bytes of caches=... kept, longer is EINVAL */

/* Replace the verifier configuration for caches created from now on (syntax
 * above; NULL or "" turns it off). 0, or EINVAL with each bad item reported
 * through la_printf and the previous configuration kept. Thread-safe. */
LA_API int la_verify_configure(const char *options);

/* Is `cache` a verified cache? (false for NULL) */
LA_API bool la_verify_enabled(const la_lookaside_t *cache);

/* Print the blocks of a verified cache that are handed out now, each with its
 * call site (at most 64 lines, then a count), through la_printf. Returns how many
 * are handed out; 0 and nothing printed for a cache that is not verified. */
LA_API size_t la_verify_report(const la_lookaside_t *cache);

/* la_lookaside_alloc, recording the caller's file:line for verified caches'
 * reports (other caches: exactly la_lookaside_alloc). */
LA_API LA_NODISCARD void *la_lookaside_alloc_at(la_lookaside_t *cache, const char *file, int line);
#define LA_LOOKASIDE_ALLOC(cache) la_lookaside_alloc_at((cache), LA_HERE)

LA_END_DECLS

#endif /* LOOKASIDE_VERIFY_H */
