/* internal.h — the one header every library source includes first.
 *
 * Private to liblookaside (and to tests/unit, which are built against the static
 * library). It pulls in the public base header, names the cross-file internal
 * symbols' linkage, and offers the few helpers every layer uses. Prototypes of
 * cross-file internals live in the header of the file that defines them
 * (src/prim/prim.h for the platform layer, and so on), never here. */
#ifndef LA_INTERNAL_H
#define LA_INTERNAL_H

#include <lookaside/base.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Cross-file internal functions: `lai_` prefix, hidden in the shared library
 * (the whole library is built with -fvisibility=hidden; this states intent). */
#if defined(__GNUC__) || defined(__clang__)
#define LA_INTERNAL __attribute__((visibility("hidden")))
#define LA_NOINLINE __attribute__((noinline))
#define LA_COLD __attribute__((cold))
#else
#define LA_INTERNAL
#define LA_NOINLINE
#define LA_COLD
#endif

#define LA_CACHE_LINE 64

/* Round `x` up to a multiple of `a` (a power of two). The caller guarantees no overflow. */
#define LA_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define LA_IS_POW2(x) ((x) != 0 && ((x) & ((x) - 1)) == 0)
#define LA_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Overflow-checked helpers: return true when the result does not fit. */
static inline bool lai_add_overflows(size_t a, size_t b, size_t *out) {
    return __builtin_add_overflow(a, b, out);
}
static inline bool lai_mul_overflows(size_t a, size_t b, size_t *out) {
    return __builtin_mul_overflow(a, b, out);
}

/* Round up to a power-of-two alignment with overflow detection. */
static inline bool lai_align_up_overflows(size_t x, size_t align, size_t *out) {
    size_t t;
    if (lai_add_overflows(x, align - 1, &t)) return true;
    *out = t & ~(align - 1);
    return false;
}

#endif /* LA_INTERNAL_H */
