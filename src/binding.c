/* binding.c — replaceable callback pairs (see binding.h for the design). */
#include "binding.h"

#include <errno.h>
#include <stdlib.h>

int lai_binding_set(lai_binding_slot_t *slot, lai_any_fn *fn, void *arg) {
    lai_binding_t *b = NULL;
    if (fn) {
        b = malloc(sizeof *b);
        if (!b) return ENOMEM;
        b->fn = fn;
        b->arg = arg;
        b->older = atomic_load_explicit(&slot->all, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&slot->all, &b->older, b, memory_order_release,
                                                      memory_order_relaxed)) {
        }
    }
    atomic_store_explicit(&slot->current, b, memory_order_release);
    return 0;
}
