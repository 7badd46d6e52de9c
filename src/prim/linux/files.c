/* files.c — shared files mapped into memory, and the process id (Linux).
 *
 * What: create, map, replace and remove the shared-memory file a publishing
 * process writes its statistics snapshot into (src/publish.c), and open it
 * read-only in a viewer. Why here: these are OS calls, and the platform layer is
 * the only OS-aware code (contract in prim.h).
 * Invariants: a file is created complete (sized, zero-filled) before anyone is
 * told its name; files are never shrunk while mapped (a reader never faults).
 * Lock order: none (no library locks are taken here). */
#define _POSIX_C_SOURCE 200809L /* open, ftruncate, mmap, fchmod under -std=c11 */
#include "../prim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int la_prim_file_map_create(const char *path, size_t size, void **map) {
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

int la_prim_file_map_open(const char *path, const void **map, size_t *size) {
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

void la_prim_file_unmap(const void *map, size_t size) {
    if (map) munmap((void *)(uintptr_t)map, size);
}

int la_prim_file_rename(const char *from, const char *to) { return rename(from, to) == 0 ? 0 : errno; }

int la_prim_file_unlink(const char *path) { return unlink(path) == 0 ? 0 : errno; }

uint64_t la_prim_process_id(void) { return (uint64_t)getpid(); }

const char *la_prim_shared_dir(void) { return "/dev/shm"; }

