/* publish_internal.h — the one hook other parts of the library call into the
 * statistics publisher (src/publish.c). */
#ifndef LA_PUBLISH_INTERNAL_H
#define LA_PUBLISH_INTERNAL_H

#include "internal.h"

/* Honour LA_PUBLISH (read once per process; later calls return at once). Called when
 * the library is loaded, at the first cache creation and at the pool's first use, so
 * a statically linked program that never names a la_publish* function still links
 * the publisher and still publishes when asked. Takes no library lock on entry. */
LA_INTERNAL void lai_publish_from_env_once(void);

#endif
