/* publish_impl.h — private to src/publish*.c: the file-mapping seam of the
 * statistics publisher (src/publish_map.c) used by src/publish.c.
 *
 * These few calls are the only place the publisher touches files and process
 * ids. They are POSIX (open, ftruncate, mmap, rename, unlink, getpid) with no
 * #ifdef; a platform without them replaces this one file (they are candidates
 * for src/prim/ when a second platform arrives). Each returns 0 or a positive
 * errno value and writes out-parameters only on success. */
#ifndef LA_PUBLISH_IMPL_H
#define LA_PUBLISH_IMPL_H

#include "internal.h"

/* Create (or truncate) `path` with mode 0600, size it to `size` bytes (zero-filled)
 * and map it read-write, shared. The file is complete and mapped when this returns. */
LA_INTERNAL int lai_pubmap_create(const char *path, size_t size, void **map);
/* Map an existing file read-only, shared; *size is its size at open time. */
LA_INTERNAL int lai_pubmap_open(const char *path, const void **map, size_t *size);
LA_INTERNAL void lai_pubmap_unmap(const void *map, size_t size);
/* Atomically replace `to` by `from` (readers opening `to` see the old or the new file). */
LA_INTERNAL int lai_pubmap_rename(const char *from, const char *to);
LA_INTERNAL int lai_pubmap_unlink(const char *path);
LA_INTERNAL uint64_t lai_pubmap_pid(void);
LA_INTERNAL const char *lai_pubmap_dir(void);
LA_INTERNAL size_t lai_pubmap_page(void);

#endif
