/* publish_map.c — the file-mapping seam of the statistics publisher.
 *
 * What: create, map, replace and remove the shared-memory file a publishing
 * process writes its snapshot into (src/publish.c), and open it read-only in a
 * viewer. Why a file of its own: these are the publisher's only OS calls, kept
 * in one place so src/publish.c stays portable C11 (see publish_impl.h).
 * Invariants: a file is created complete (sized, zero-filled) before anyone is
 * told its name; files are never shrunk while mapped (a reader never faults).
 * Lock order: none (no library locks are taken here). */
#define _POSIX_C_SOURCE 200809L /* open, ftruncate, mmap, fchmod under -std=c11 */
#include "publish_impl.h"
#include "prim/prim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int lai_pubmap_create(const char *path, size_t size, void **map) {
    if (!path || !*path || !size || !map) return EINVAL;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    int err = 0;
    if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)size) != 0) err = errno;
    void *m = MAP_FAILED;
    if (!err) {
        m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) err = errno;
    }
    close(fd);
    if (err) {
        unlink(path);
        return err;
    }
    *map = m;
    return 0;
}

int lai_pubmap_open(const char *path, const void **map, size_t *size) {
    if (!path || !map || !size) return EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    struct stat st;
    int err = 0;
    if (fstat(fd, &st) != 0) err = errno;
    else if (!S_ISREG(st.st_mode) || st.st_size <= 0) err = EBADMSG;
    void *m = MAP_FAILED;
    if (!err) {
        m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) err = errno;
    }
    close(fd);
    if (err) return err;
    *map = m;
    *size = (size_t)st.st_size;
    return 0;
}

void lai_pubmap_unmap(const void *map, size_t size) {
    if (map) munmap((void *)(uintptr_t)map, size);
}

int lai_pubmap_rename(const char *from, const char *to) { return rename(from, to) == 0 ? 0 : errno; }

int lai_pubmap_unlink(const char *path) { return unlink(path) == 0 ? 0 : errno; }

uint64_t lai_pubmap_pid(void) { return (uint64_t)getpid(); }

const char *lai_pubmap_dir(void) { return "/dev/shm"; }

size_t lai_pubmap_page(void) { return la_prim_caps()->page_size; }
