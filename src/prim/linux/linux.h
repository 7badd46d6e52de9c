/* linux.h — helpers shared by the Linux platform files (the .c files of src/prim/linux).
 *
 * Private to this folder: nothing outside src/prim/linux/ includes it. Every file
 * here defines _GNU_SOURCE before any include (the library builds with
 * -std=c11, which hides the Linux and POSIX extensions otherwise). */
#ifndef LA_PRIM_LINUX_H
#define LA_PRIM_LINUX_H

#include "../prim.h"

#include <stdint.h>
#include <stddef.h>

/* Read a small text file (sysfs, procfs) into buf, NUL-terminated. Returns 0 or an
 * errno value; ENOSPC never happens: longer files are truncated to len - 1 bytes. */
LA_INTERNAL int lai_linux_read_text(const char *path, char *buf, size_t len);

/* Read a file holding one unsigned decimal number. */
LA_INTERNAL int lai_linux_read_u64(const char *path, uint64_t *out);

/* Parse a kernel node/cpu list ("0-3,5,7-8\n") into a bit mask of the ids below 64.
 * Returns 0, or EINVAL when the text is not a list. Ids >= 64 are ignored. */
LA_INTERNAL int lai_linux_parse_list(const char *text, uint64_t *mask);

/* The base page size, cached (sysconf is not free). */
LA_INTERNAL size_t lai_linux_page_size(void);

/* True when addr and size are page-aligned and size is non-zero. */
LA_INTERNAL bool lai_linux_range_ok(const void *addr, size_t size);

#endif /* LA_PRIM_LINUX_H */
