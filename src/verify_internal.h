/* verify_internal.h — the verifier's hooks, called by the lookaside sources
 * (src/lookaside*.c) for verified caches only (c->cc_verify != NULL). verify.c
 * opens with the design comment. */
#ifndef LA_VERIFY_INTERNAL_H
#define LA_VERIFY_INTERNAL_H

#include "internal.h"

struct la_lookaside;
typedef struct lai_verify lai_verify_t;

/* Size of the per-block record appended to verified blocks. */
#define LAI_VERIFY_REC_SIZE 64u

/* At create: a verifier record for a cache named `name` when the configuration
 * selects it (*out NULL otherwise). `has_ctor` turns fill off. 0 or ENOMEM. */
LA_INTERNAL int lai_verify_new(const char *name, bool has_ctor, lai_verify_t **out);
/* Redzone bytes the record asks for (a multiple of 16). */
LA_INTERNAL size_t lai_verify_redzone(const lai_verify_t *v);
/* At create, after the cache's fields are set: attach `v` (passthrough swaps the backing). */
LA_INTERNAL void lai_verify_attach(struct la_lookaside *c, lai_verify_t *v);
/* Free a record that was never attached (create failed). */
LA_INTERNAL void lai_verify_discard(lai_verify_t *v);
/* At destroy, after the flush: leak report (callsites) and free the record. */
LA_INTERNAL void lai_verify_destroy(struct la_lookaside *c);

/* Allocation: fault injection, the block (backing with depth0, else the cache's
 * slow path) and the free-pattern check of a reused block. NULL with errno. */
LA_INTERNAL void *lai_verify_take(struct la_lookaside *c);
/* Allocation, after the checked trailer: record, patterns, checker annotations. */
LA_INTERNAL void lai_verify_hand_out(struct la_lookaside *c, void *b, const char *file, int line,
                                     const void *ra);
/* Free (after the checked build's own checks). */
LA_INTERNAL void lai_verify_free(struct la_lookaside *c, void *b, const char *file, int line);
/* lai_backing_alloc got a fresh block / lai_backing_free is giving one back. */
LA_INTERNAL void lai_verify_fresh(struct la_lookaside *c, void *b);
LA_INTERNAL void lai_verify_forget(struct la_lookaside *c, void *b);

#endif /* LA_VERIFY_INTERNAL_H */
