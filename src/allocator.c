/* allocator.c — the allocator interface's out-of-line helpers (realloc, arrays,
 * typed new/delete) and the C library adapter.
 *
 * What: la_allocator_t is a five-field vtable (allocate, free, resize_in_place,
 * ctx, name) that every container of ours — and the C++ header — takes. The
 * inline wrappers in lookaside/allocator.h normalise the layout (size 0 -> 1,
 * align 0 -> the fundamental alignment, reject non-powers of two) and call
 * through; this file holds what is too big to inline. Each adapter lives in its
 * own file (allocator_lookaside.c, allocator_pool.c, allocator_fault.c) and, as
 * SQLite's mem*.c backends, exposes one init function over static callbacks.
 *
 * Why layouts everywhere: the Rust lookaside crate this replaces ignored the
 * requested layout (a block too small for the request was handed out) and
 * panicked on grow. Passing size and alignment to free and resize lets an adapter
 * check the request and route by it without storing anything per block.
 *
 * Invariants:
 *   - la_allocator_new never returns an object whose constructor failed, and
 *     never leaves memory allocated when it returns NULL.
 *   - la_allocator_delete runs the destructor strictly before the memory goes
 *     back (the hypervisor post's object was released while still in use).
 *   - la_allocator_realloc leaves the old block untouched when it fails.
 *   - The libc adapter's free ignores the size, so every shrink "resizes" in place.
 * Lock order: no locks here; adapters' locks are their memory's. */
#include "internal.h"

#include <lookaside/allocator.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------- */

void *la_allocator_realloc(const la_allocator_t *a, void *p, size_t old_size, size_t new_size,
                           size_t align) {
    if (!p) return la_allocator_alloc(a, new_size, align);
    size_t al = align ? align : LA_ALLOCATOR_DEFAULT_ALIGN;
    if (!LA_IS_POW2(al)) {
        errno = EINVAL;
        return NULL;
    }
    if (old_size == 0) old_size = 1;
    if (new_size == 0) new_size = 1;
    if (la_allocator_resize(a, p, old_size, new_size, al)) return p;
    void *q = la_allocator_alloc(a, new_size, al);
    if (!q) return NULL; /* errno from the allocator; p untouched */
    memcpy(q, p, old_size < new_size ? old_size : new_size);
    la_allocator_free(a, p, old_size, al);
    return q;
}

void *la_allocator_alloc_array(const la_allocator_t *a, size_t count, size_t size, size_t align) {
    size_t bytes;
    if (lai_mul_overflows(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return la_allocator_alloc(a, bytes, align);
}

void la_allocator_free_array(const la_allocator_t *a, void *p, size_t count, size_t size,
                             size_t align) {
    size_t bytes;
    if (!p) return;
    if (lai_mul_overflows(count, size, &bytes)) {
        la_fatal(LA_FATAL_BAD_ARGUMENT, p, NULL, 0,
                 "allocator '%s': free of an array of %zu x %zu bytes (overflows)", a->name, count,
                 size);
        return;
    }
    la_allocator_free(a, p, bytes, align);
}

void *la_allocator_new(const la_allocator_t *a, size_t size, size_t align,
                       la_allocator_ctor_fn *ctor, void *arg) {
    void *obj = la_allocator_alloc(a, size, align);
    if (!obj) return NULL;
    if (!ctor) {
        memset(obj, 0, size ? size : 1);
        return obj;
    }
    int err = ctor(obj, arg);
    if (err) {
        la_allocator_free(a, obj, size, align); /* nothing stays allocated */
        errno = err > 0 ? err : ECANCELED;
        return NULL;
    }
    return obj;
}

void la_allocator_delete(const la_allocator_t *a, void *obj, size_t size, size_t align,
                         la_allocator_dtor_fn *dtor, void *arg) {
    if (!obj) return;
    if (dtor) dtor(obj, arg); /* the object is still whole here */
    la_allocator_free(a, obj, size, align);
}

/* ---- the C library adapter ---------------------------------------------------------- */

static void *libc_alloc(void *ctx, size_t size, size_t align) {
    (void)ctx;
    void *p;
    if (size > PTRDIFF_MAX) { /* no object can be that big; do not even ask */
        errno = ENOMEM;
        return NULL;
    }
    if (align <= LA_ALLOCATOR_DEFAULT_ALIGN) {
        p = malloc(size);
    } else {
        size_t rounded; /* C11 aligned_alloc wants a multiple of the alignment */
        if (lai_align_up_overflows(size, align, &rounded)) {
            errno = ENOMEM;
            return NULL;
        }
        p = aligned_alloc(align, rounded);
    }
    if (!p) errno = ENOMEM;
    return p;
}

static void libc_free(void *ctx, void *p, size_t size, size_t align) {
    (void)ctx;
    (void)size;
    (void)align;
    free(p);
}

static bool libc_resize(void *ctx, void *p, size_t old_size, size_t new_size, size_t align) {
    (void)ctx;
    (void)p;
    (void)align;
    return new_size <= old_size; /* free ignores the size: a shrink is always in place */
}

static const la_allocator_t libc_allocator = {
    .allocate = libc_alloc,
    .free = libc_free,
    .resize_in_place = libc_resize,
    .ctx = NULL,
    .name = "libc",
};

const la_allocator_t *la_allocator_libc(void) { return &libc_allocator; }
