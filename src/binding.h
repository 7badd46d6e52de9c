/* binding.h — a replaceable {callback, argument} pair that threads read without locks.
 *
 * What: the output callback, the fatal handler and the raise handlers are each
 * one of these. Setting publishes a new immutable pair with one atomic store, so
 * a reader never sees one handler's function with another's argument.
 * Invariants: a pair, once published, is never freed (a reader may still be
 * calling through it); every pair ever made stays reachable on the slot's chain,
 * so leak checkers do not report it. Handlers are set a handful of times per
 * process; each pair costs a few bytes.
 * Lock order: none (lock-free). */
#ifndef LA_BINDING_H
#define LA_BINDING_H

#include "internal.h"

#include <stdatomic.h>

/* Any function pointer type is stored as this and cast back by the reader. */
typedef void lai_any_fn(void);

typedef struct lai_binding {
    lai_any_fn *fn;
    void *arg;
    struct lai_binding *older; /* chain of every pair made for this slot */
} lai_binding_t;

typedef struct lai_binding_slot {
    _Atomic(const lai_binding_t *) current; /* NULL: the owner's default */
    _Atomic(lai_binding_t *) all;
} lai_binding_slot_t;

/* Publish {fn, arg} (fn NULL restores the default). Returns ENOMEM, keeping the
 * previous pair, when the pair cannot be allocated. */
LA_INTERNAL int lai_binding_set(lai_binding_slot_t *slot, lai_any_fn *fn, void *arg);

/* The current pair, or NULL for the default. */
static inline const lai_binding_t *lai_binding_get(lai_binding_slot_t *slot) {
    return atomic_load_explicit(&slot->current, memory_order_acquire);
}

#endif
