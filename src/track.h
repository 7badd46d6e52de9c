/* track.h — telling external memory checkers which bytes the program may touch.
 *
 * What: three calls that describe a block's accessibility to AddressSanitizer and
 * to Valgrind's memcheck (the idea of mimalloc's track.h):
 *     lai_track_noaccess(p, n)   the bytes belong to the library now (a block
 *                                sitting in a cache): any touch is an error
 *     lai_track_undefined(p, n)  handed out; contents are not meaningful
 *     lai_track_defined(p, n)    handed out or given back with meaningful contents
 *                                (a constructed block, a block on its way to a
 *                                destructor or to the backing)
 * and lai_track_running(): true when one of the checkers is watching this process.
 *
 * Why here: this is the ONE place that asks which checker the library is built
 * for. AddressSanitizer is detected from the compiler (__SANITIZE_ADDRESS__ with gcc,
 * __has_feature(address_sanitizer) with clang) and its interface header is
 * included only then. Valgrind's client requests come from <valgrind/memcheck.h>
 * when the build found it (CMake option LOOKASIDE_VALGRIND, default ON, defines
 * LA_HAVE_VALGRIND=1 for the library's own sources); a client request is a few
 * no-op instructions when the program is not running under Valgrind. Without
 * either, every call compiles to nothing. These are tool tests, not OS or
 * architecture tests; callers never #if on them (they call the functions, or test
 * LA_TRACK_COMPILED as an integer).
 *
 * Rules: `p` and `n` may be anything (ASan works on 8-byte granules: a range that
 * does not start on one leaves the granule's head accessible, never a false
 * report). Poisoning is advisory: it never changes what the program computes.
 * Lock order: none. */
#ifndef LA_TRACK_H
#define LA_TRACK_H

#include "internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define LA_TRACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LA_TRACK_ASAN 1
#endif
#endif
#ifndef LA_TRACK_ASAN
#define LA_TRACK_ASAN 0
#endif

#if defined(LA_HAVE_VALGRIND) && LA_HAVE_VALGRIND
#define LA_TRACK_VALGRIND 1
#else
#define LA_TRACK_VALGRIND 0
#endif

/* Some checker's annotations are compiled in (0/1). */
#define LA_TRACK_COMPILED (LA_TRACK_ASAN || LA_TRACK_VALGRIND)

#if LA_TRACK_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if LA_TRACK_VALGRIND
#include <stdlib.h>
#include <string.h>
#include <valgrind/memcheck.h>
#endif

static inline void lai_track_noaccess(const void *p, size_t n) {
#if LA_TRACK_ASAN
    __asan_poison_memory_region(p, n);
#endif
#if LA_TRACK_VALGRIND
    (void)VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
    (void)p;
    (void)n;
}

static inline void lai_track_undefined(const void *p, size_t n) {
#if LA_TRACK_ASAN
    __asan_unpoison_memory_region(p, n);
#endif
#if LA_TRACK_VALGRIND
    (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#endif
    (void)p;
    (void)n;
}

static inline void lai_track_defined(const void *p, size_t n) {
#if LA_TRACK_ASAN
    __asan_unpoison_memory_region(p, n);
#endif
#if LA_TRACK_VALGRIND
    (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
    (void)p;
    (void)n;
}

/* True when AddressSanitizer is compiled in, or the process runs under Valgrind's
 * memcheck — the checkers that read the annotations, for whose sake caches give up
 * the inline fast path. Other Valgrind tools (callgrind, cachegrind, ...) ignore the
 * annotations and must see the real fast path, or instruction counts would describe
 * the slow one: memcheck is recognised by its preload library, which Valgrind puts
 * in LD_PRELOAD. Called at cache creation only. */
static inline bool lai_track_running(void) {
#if LA_TRACK_ASAN
    return true;
#elif LA_TRACK_VALGRIND
    if (!RUNNING_ON_VALGRIND) return false;
    const char *preload = getenv("LD_PRELOAD");
    return preload && strstr(preload, "vgpreload_memcheck");
#else
    return false;
#endif
}

#endif /* LA_TRACK_H */
