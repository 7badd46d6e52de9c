/* cas16.c — out-of-line 16-byte CAS and load (prim.h), and the CPU probe.
 *
 * What: la_prim_cas16 / la_prim_load16 for callers that do not need the inline
 * versions of src/prim/cas16.h, and lai_prim_cas16_supported(), which prim's caps
 * probe uses to fill la_prim_caps()->cas16.
 *
 * Why here: the instruction choice is architecture knowledge, so it lives in
 * src/prim/ with cas16.h; everything else branches on caps.cas16.
 *
 * Invariants: the probe result never changes during a process, so a race between
 * two first callers only computes it twice. Lock order: none. */
#include "../internal.h"

#include "cas16.h"

#include <stdatomic.h>

#if defined(LA_CAS16_X86_64)
#include <cpuid.h>
#endif

bool la_prim_cas16(la_prim_u128_t *target, la_prim_u128_t *expected, la_prim_u128_t desired) {
    return lai_cas16(target, expected, desired);
}

la_prim_u128_t la_prim_load16(la_prim_u128_t *target) { return lai_load16(target); }

static bool probe(void) {
#if defined(LA_CAS16_X86_64)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    return (c & bit_CMPXCHG16B) != 0;
#elif defined(LA_CAS16_AARCH64)
    return true; /* ldxp/stxp are baseline ARMv8-A; casp only when compiled for LSE */
#else
    return false;
#endif
}

bool lai_prim_cas16_supported(void) {
    /* 0 = not probed, 1 = no, 2 = yes */
    static _Atomic int cached;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v == 0) {
        v = probe() ? 2 : 1;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v == 2;
}
