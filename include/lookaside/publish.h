/* lookaside/publish.h — publishing a process's statistics for the live viewer
 * (`lookaside stat`, `lookaside top`, `lookaside ls`), and the reader API that
 * viewer uses.
 *
 * What
 *   Opt-in: a process calls la_publish_start() (or runs with LA_PUBLISH=1 in the
 *   environment, see below) and the library keeps a snapshot of its statistics in
 *   a small shared-memory file, by default /dev/shm/lookaside-<pid>, created 0600:
 *   every registered lookaside list (the la_lookaside_foreach snapshots), every
 *   pool tag record (la_pool_snapshot), the process-wide pool figures, a
 *   monotonic and a wall-clock timestamp and a publication sequence number.
 *   Another process reads it with la_publish_read() without stopping or
 *   signalling the publisher. The reader returns an opaque la_published_t with
 *   accessors (as FreeBSD's libmemstat: the layout never leaks into tools) and
 *   formatters that share the library's own !lookaside and PoolMon printers.
 *
 * The file (layout version LA_PUBLISH_LAYOUT_VERSION)
 *   Starts with uint32 magic "LAPB" (bytes 'L','A','P','B'), uint32 header size,
 *   uint32 layout version, then a 64-bit sequence. The writer makes the sequence
 *   odd, writes the body, makes it even again (a seqlock); a reader copies the body
 *   between two reads of an equal even sequence and checks the body's checksum.
 *   Records carry their own size, so later libraries may append fields within one
 *   layout version; a different layout version is refused (EPROTONOSUPPORT).
 *   Values are in the publisher's byte order: read on the same machine. When the
 *   content outgrows the file the writer builds a bigger file beside it and renames
 *   it over the path, so a reader always opens a complete file.
 *
 * Rules
 *   - One publisher per process. la_publish_start while publishing: EBUSY.
 *   - interval_ms 0 means publish only when la_publish_now() is called; otherwise a
 *     background thread (all signals blocked) republishes every interval_ms
 *     (at least LA_PUBLISH_MIN_INTERVAL_MS). It is stopped and joined by
 *     la_publish_stop(), and at process exit.
 *   - la_publish_stop() removes the file; a process that dies without stopping
 *     leaves it behind (`lookaside ls` skips files whose pid is gone).
 *   - LA_PUBLISH in the environment: "1" publishes to the default path every
 *     1000 ms, a number N > 1 every N ms, "0" or unset does nothing. It is read
 *     once per process: when the library is loaded, or at the first cache
 *     creation or pool use, whichever comes first (so static programs that never
 *     call a la_publish_* function publish too).
 *   - Publishing takes la_lookaside_foreach and la_pool_snapshot snapshots; it
 *     does not allocate from the pool, so it never changes what it reports.
 *
 * Errors (0 or a positive errno value; la_publish_strerror() explains each)
 *   la_publish_start / la_publish_now:
 *     EBUSY   already publishing (start);  ENOENT not publishing (now, stop)
 *     EINVAL  path too long (LA_PUBLISH_PATH_MAX) or empty
 *     EACCES, ENOSPC, ENOMEM, ...  the file could not be created or mapped
 *   la_publish_read:
 *     ENOENT           no publication at that path (process not publishing)
 *     EACCES           not allowed to open it (another user's 0600 file)
 *     EBADMSG          not a lookaside publication, or a damaged one
 *     EPROTONOSUPPORT  a layout version this library does not read
 *     EAGAIN           no consistent copy after many tries (the publisher was
 *                      killed in the middle of an update, or is never idle)
 *     ENOMEM, EINVAL (NULL argument)
 *
 * Example (compiled and run by tests/api/test_publish_api.c):
 *
 *     char path[LA_PUBLISH_PATH_MAX];
 *     la_publish_default_path(0, path, sizeof path); // /dev/shm/lookaside-<our pid>
 *     int err = la_publish_start(NULL, 0);         // NULL = that path; 0 = on demand
 *     if (err) return err;
 *     la_publish_now();                            // write a snapshot now
 *     la_published_t *snap;                        // in the viewer process:
 *     err = la_publish_read(path, &snap);
 *     if (err) { la_printf("%s\n", la_publish_strerror(err)); return err; }
 *     for (size_t i = 0; i < la_published_lookaside_count(snap); ++i)
 *         la_lookaside_stats_print(la_published_lookaside(snap, i));
 *     la_published_print(snap, NULL);              // !lookaside -all + PoolMon
 *     la_published_free(snap);
 *     la_publish_stop();                           // removes the file
 */
#ifndef LOOKASIDE_PUBLISH_H
#define LOOKASIDE_PUBLISH_H

#include <lookaside/base.h>
#include <lookaside/lookaside_list.h>
#include <lookaside/pool.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

LA_BEGIN_DECLS

#define LA_PUBLISH_LAYOUT_VERSION 1u
#define LA_PUBLISH_MAGIC 0x4250414cu        /* "LAPB" in little-endian byte order */
#define LA_PUBLISH_PATH_MAX 256u
#define LA_PUBLISH_MIN_INTERVAL_MS 10u
#define LA_PUBLISH_DEFAULT_INTERVAL_MS 1000u

/* ---- publishing (in the observed process) ------------------------------------------- */

/* Start publishing to `path` (NULL: la_publish_default_path of this process) and
 * write the first snapshot before returning. interval_ms 0: only on la_publish_now;
 * otherwise a background thread republishes every max(interval_ms,
 * LA_PUBLISH_MIN_INTERVAL_MS) ms. Errors: see the header comment. */
LA_API int la_publish_start(const char *path, unsigned interval_ms);
/* Stop: join the thread, remove the file. ENOENT when not publishing. */
LA_API int la_publish_stop(void);
/* Write a snapshot now (any thread). ENOENT when not publishing. */
LA_API int la_publish_now(void);
/* True while publishing. */
LA_API bool la_publish_active(void);
/* The directory publications go to by default ("/dev/shm"). */
LA_API const char *la_publish_dir(void);
/* "<dir>/lookaside-<pid>" into buf (pid 0: this process). Returns the length the
 * whole path needs (snprintf-style; buf always terminated when cap > 0). */
LA_API size_t la_publish_default_path(uint64_t pid, char *buf, size_t cap);

/* ---- reading (in the viewer) ----------------------------------------------------------- */

typedef struct la_published la_published_t;

/* Copy a consistent snapshot out of the publication at `path`. *out is written only
 * on success; free it with la_published_free. Errors: see the header comment. */
LA_API int la_publish_read(const char *path, la_published_t **out);
LA_API void la_published_free(la_published_t *snap);
/* Text for an error of la_publish_* ("no publication at that path (is the process
 * publishing? LA_PUBLISH=1)", ...); strerror-like text for other values. */
LA_API const char *la_publish_strerror(int err);

LA_API uint64_t la_published_pid(const la_published_t *snap);
/* Publications written so far by the publisher (1 for the first). */
LA_API uint64_t la_published_sequence(const la_published_t *snap);
/* The publisher's monotonic clock at the snapshot (ns; compare two snapshots of one
 * process for rates) and wall-clock time (ns since 1970-01-01 UTC). */
LA_API uint64_t la_published_time_ns(const la_published_t *snap);
LA_API uint64_t la_published_wall_ns(const la_published_t *snap);
LA_API unsigned la_published_interval_ms(const la_published_t *snap);
LA_API size_t la_published_lookaside_count(const la_published_t *snap);
/* Snapshot i (creation order), NULL when i is out of range. */
LA_API const la_lookaside_stats_t *la_published_lookaside(const la_published_t *snap, size_t i);
LA_API size_t la_published_pool_count(const la_published_t *snap);
/* Pool record i (first-use order), NULL when out of range. */
LA_API const la_pool_tag_info_t *la_published_pool_tag(const la_published_t *snap, size_t i);
LA_API const la_pool_stats_t *la_published_pool_stats(const la_published_t *snap);

/* ---- views of a published snapshot (through la_printf) ------------------------------------ */

typedef struct la_publish_view {
    la_pool_sort_t sort;     /* PoolMon table order */
    const char *tags;        /* only lists and pool tags whose tag matches ('*', '?'); NULL = all */
    bool totals;             /* PoolMon totals line */
} la_publish_view_t;

/* A title line, the !lookaside -all view (la_lookaside_stats_print per list) and the
 * PoolMon table (la_pool_table_print_rows). NULL view = all, sorted by tag. */
LA_API void la_published_print(const la_published_t *snap, const la_publish_view_t *view);
/* The same content as one JSON object: {"pid":..,"sequence":..,"time_ns":..,
 * "wall_ns":..,"lookaside":[...],"pool":{"pool_tags":[...]},"pool_stats":{...}}. */
LA_API void la_published_json_print(const la_published_t *snap, const la_publish_view_t *view);
/* `lookaside top`'s compact frame: one line per list and per pool record with
 * per-second rates (PoolMon's delta columns) from `before` to `now` (two snapshots of
 * one process; before NULL or not older: rates 0). A rate is the counter's growth
 * times 1e9 / the time between the snapshots, truncated. */
LA_API void la_published_print_delta(const la_published_t *now, const la_published_t *before,
                                     const la_publish_view_t *view);
/* OpenMetrics text exposition of a snapshot (snprintf-style: at most cap bytes,
 * terminated when cap > 0; returns the length the whole text needs). */
LA_API size_t la_published_openmetrics(const la_published_t *snap, char *buf, size_t cap);

LA_END_DECLS

#endif /* LOOKASIDE_PUBLISH_H */
