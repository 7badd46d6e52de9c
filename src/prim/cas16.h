/* cas16.h — the 16-byte compare-and-swap, inline, for the S-list's hot path.
 *
 * What: lai_cas16() swaps 16 aligned bytes as one unit; lai_load16() reads them
 * without tearing; lai_prim_cas16_supported() says whether this CPU can do it at
 * all (prim fills la_prim_caps()->cas16 from it). The out-of-line la_prim_cas16 /
 * la_prim_load16 declared in prim.h (src/prim/cas16.c) wrap these.
 *
 * Why inline asm: GCC 12 compiles C11/`__atomic` 16-byte operations into calls to
 * libatomic, which on x86-64 is not lock-free (it may take a lock table entry) and
 * costs ~3 ns more per call. The S-list must be lock-free where the hardware is, so
 * the instruction is written out:
 *   x86-64   `lock cmpxchg16b` (needs CPUID.01H:ECX.CX16; all but the earliest
 *            AMD64 parts have it — lai_prim_cas16_supported checks);
 *   AArch64  `caspal` when the compiler targets LSE (ARMv8.1+), otherwise a
 *            `ldaxp`/`stlxp` retry loop (baseline ARMv8, always present);
 *   other    no lock-free path: lai_prim_cas16_supported() is false and callers
 *            (the S-list) use their explicit locked mode. Calling lai_cas16 there is
 *            a precondition violation and traps.
 * This header is in src/prim/, the one place architecture conditionals may live.
 *
 * Rules:
 *   - `target` is 16-byte aligned and writable (cmpxchg16b faults otherwise, and
 *     lai_load16 writes on x86-64: it is a CAS that stores back the value it read).
 *   - Both operations are full barriers (sequentially consistent RMW).
 *   - On failure lai_cas16 copies the value it found into *expected.
 *
 * Sanitizers: ThreadSanitizer does not see inline asm, so in TSan builds each CAS
 * announces a release on `target` before the instruction and an acquire after it,
 * and lai_load16 an acquire after it; TSan then orders a pusher's writes before a
 * popper's reads exactly as the hardware does. A release is announced even for a
 * CAS that fails — it can only hide a race, never invent one.
 * lai_load_speculative() reads a pointer that another thread may be rewriting or
 * that may lie in memory a sanitizer considers freed (an S-list pop reads
 * first->next before its CAS proves the read was current); it is compiled without
 * TSan/ASan instrumentation, because the CAS, not the read, decides the outcome.
 *
 * Lock order: none (no locks). */
#ifndef LA_PRIM_CAS16_H
#define LA_PRIM_CAS16_H

#include "prim.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- sanitizer detection (compiler feature tests, not OS tests) ---------------- */
#if defined(__SANITIZE_THREAD__)
#define LA_CAS16_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LA_CAS16_TSAN 1
#endif
#endif
#ifndef LA_CAS16_TSAN
#define LA_CAS16_TSAN 0
#endif

#if LA_CAS16_TSAN
#include <sanitizer/tsan_interface.h>
#define LA_CAS16_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define LA_CAS16_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define LA_CAS16_TSAN_RELEASE(p) ((void)0)
#define LA_CAS16_TSAN_ACQUIRE(p) ((void)0)
#endif

/* ---- which instruction ---------------------------------------------------------- */
#if defined(__x86_64__)
#define LA_CAS16_X86_64 1
#elif defined(__aarch64__)
#define LA_CAS16_AARCH64 1
#else
#define LA_CAS16_NONE 1
#endif

/* True when this CPU has a lock-free 16-byte CAS (cached after the first call). */
LA_INTERNAL bool lai_prim_cas16_supported(void);

/* The raw instruction; no sanitizer annotations. */
static inline bool lai_cas16_raw(void *target, la_prim_u128_t *expected, la_prim_u128_t desired) {
#if defined(LA_CAS16_X86_64)
    bool ok;
    uint64_t lo = expected->lo, hi = expected->hi;
    __asm__ __volatile__("lock cmpxchg16b (%[p])"
                         : "=@ccz"(ok), "+a"(lo), "+d"(hi)
                         : [p] "r"(target), "b"(desired.lo), "c"(desired.hi)
                         : "memory");
    expected->lo = lo;
    expected->hi = hi;
    return ok;
#elif defined(LA_CAS16_AARCH64) && defined(__ARM_FEATURE_ATOMICS)
    /* casp needs an even/odd register pair for each operand. */
    register uint64_t x0 __asm__("x0") = expected->lo;
    register uint64_t x1 __asm__("x1") = expected->hi;
    register uint64_t x2 __asm__("x2") = desired.lo;
    register uint64_t x3 __asm__("x3") = desired.hi;
    const uint64_t old_lo = x0, old_hi = x1;
    __asm__ __volatile__("caspal %[o0], %[o1], %[n0], %[n1], [%[p]]"
                         : [o0] "+r"(x0), [o1] "+r"(x1)
                         : [n0] "r"(x2), [n1] "r"(x3), [p] "r"(target)
                         : "memory");
    bool ok = x0 == old_lo && x1 == old_hi;
    expected->lo = x0;
    expected->hi = x1;
    return ok;
#elif defined(LA_CAS16_AARCH64)
    uint64_t cur_lo, cur_hi;
    uint32_t fail;
    for (;;) {
        __asm__ __volatile__("ldaxp %[lo], %[hi], [%[p]]"
                             : [lo] "=&r"(cur_lo), [hi] "=&r"(cur_hi)
                             : [p] "r"(target)
                             : "memory");
        if (cur_lo != expected->lo || cur_hi != expected->hi) {
            /* Store back what we read to end the exclusive access with a
             * single-copy-atomic pair (an ldxp alone may be torn). */
            __asm__ __volatile__("stlxp %w[f], %[lo], %[hi], [%[p]]"
                                 : [f] "=&r"(fail)
                                 : [lo] "r"(cur_lo), [hi] "r"(cur_hi), [p] "r"(target)
                                 : "memory");
            if (fail) continue;
            expected->lo = cur_lo;
            expected->hi = cur_hi;
            return false;
        }
        __asm__ __volatile__("stlxp %w[f], %[lo], %[hi], [%[p]]"
                             : [f] "=&r"(fail)
                             : [lo] "r"(desired.lo), [hi] "r"(desired.hi), [p] "r"(target)
                             : "memory");
        if (!fail) return true;
    }
#else
    (void)target;
    (void)expected;
    (void)desired;
    __builtin_trap(); /* callers check lai_prim_cas16_supported() first */
#endif
}

/* Compare 16 bytes at `target` with *expected; if equal store `desired` and return
 * true, else copy the current value into *expected and return false. Full barrier. */
static inline bool lai_cas16(void *target, la_prim_u128_t *expected, la_prim_u128_t desired) {
    LA_CAS16_TSAN_RELEASE(target);
    bool ok = lai_cas16_raw(target, expected, desired);
    LA_CAS16_TSAN_ACQUIRE(target);
    return ok;
}

/* Read 16 bytes at `target` as one unit. On x86-64 this is a CAS of the value with
 * itself (a locked write, ~6 ns): use two 8-byte loads and let a later CAS validate
 * them when a torn read is acceptable, as the S-list does. */
static inline la_prim_u128_t lai_load16(void *target) {
    la_prim_u128_t v = {0, 0};
    /* If the bytes are {0,0} this stores {0,0} back (no change); otherwise the CAS
     * fails and hands back the current value. Either way v is the value. */
    (void)lai_cas16_raw(target, &v, v);
    LA_CAS16_TSAN_ACQUIRE(target);
    return v;
}

/* Read the pointer at *p without sanitizer instrumentation: for speculative reads
 * that a following CAS validates (see the header comment). Not inlined into
 * sanitized callers (compilers refuse to inline across differing sanitizer
 * attributes), which is fine: only sanitized builds pay the call. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
#define LA_CAS16_NO_SANITIZE __attribute__((no_sanitize("address", "thread")))
#else
#define LA_CAS16_NO_SANITIZE
#endif
LA_CAS16_NO_SANITIZE static inline void *lai_load_speculative(void *const *p) {
    return *(void *const volatile *)p;
}

/* A spin-wait hint (x86 `pause`, AArch64 `yield`): for lock bits held a few
 * instructions long, such as the S-list's locked mode. */
static inline void lai_cpu_relax(void) {
#if defined(LA_CAS16_X86_64)
    __asm__ __volatile__("pause" ::: "memory");
#elif defined(LA_CAS16_AARCH64)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* LA_PRIM_CAS16_H */
