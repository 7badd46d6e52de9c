/* publish.c — publishing statistics for the live viewer, and reading them back.
 *
 * 1. What
 *    A publishing process keeps a snapshot of every registered lookaside list,
 *    every pool tag record and the process-wide pool figures in a shared-memory
 *    file (publish.h says where and when). A viewer copies it out with
 *    la_publish_read() into an opaque la_published_t and formats it with the
 *    library's own printers (la_lookaside_stats_print, la_pool_table_print_rows),
 *    so live and published data look the same. The layout is private to this file:
 *    tools use only the reader API (FreeBSD's libmemstat model).
 *
 * 2. The file
 *        header (64 bytes, written once per file except the sequence)
 *          u32 magic "LAPB"  u32 header size  u32 layout version  u32 flags
 *          u64 sequence (seqlock: odd while the body is being written)
 *          u64 body capacity in bytes   u64 publisher pid   3 x u64 reserved
 *        body (u64 words, rewritten at every publication)
 *          [0] body bytes in use  [1] checksum  [2] publication number
 *          [3] monotonic ns  [4] wall-clock ns  [5] interval ms
 *          [6] list count  [7] list record bytes  [8] pool count  [9] pool record bytes
 *          [10..16] la_pool_stats_t  [17..19] reserved
 *          list records, then pool records (wire_la_t, wire_pool_t below)
 *    Record sizes travel with the data: a later library may append fields to a
 *    record without changing the layout version; readers copy what they know.
 *
 * 3. Why a seqlock (and a checksum)
 *    The writer must never wait for readers, and a reader may be another user's
 *    process we cannot signal. The writer makes the sequence odd, stores the body
 *    word by word with release stores (so the odd sequence is ordered before each
 *    word), then makes it even with a release store. A reader loads the sequence
 *    (acquire), copies the body with acquire loads, and reloads the sequence: if
 *    any word came from a later publication, that publication's odd sequence is
 *    visible to the reload, so equal and even means the copy is one publication
 *    (a fence-free C11 seqlock: ThreadSanitizer does not model fences, and on x86
 *    these orders cost nothing; word-sized atomics keep the copy race-free). The checksum over the body
 *    is a second line of defence (a damaged file, a writer killed mid-update whose
 *    file somebody else patched) and what the torn-read test checks.
 *    Growing: when a snapshot outgrows the file, the writer creates a larger file
 *    "<path>.new", fills it, and renames it over <path>. Readers open the file for
 *    every read, so they always see a complete file.
 *
 * Invariants: only the writer (holding pub.lock) stores into the mapping; the
 * sequence of a path never goes backwards (a new file starts at the old value);
 * nothing here allocates from the pool (publishing must not change what it shows).
 * Lock order: pub.ctl (start/stop) -> pub.lock (the mapping) -> the lookaside
 * registry lock and the pool tag lock (taken inside la_lookaside_foreach and
 * la_pool_snapshot). The background thread takes only pub.lock; la_publish_stop
 * joins it holding pub.ctl only.
 */
#include "prim/prim.h"
#include "publish_internal.h"

#include <lookaside/publish.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the layout -------------------------------------------------------------------- */

#define HDR_BYTES 64u
#define HDR_SEQ 16u
#define HDR_CAPACITY 24u
#define HDR_PID 32u

enum {
    B_BYTES, B_SUM, B_SEQ, B_MONO, B_WALL, B_INTERVAL, B_LA_COUNT, B_LA_REC, B_POOL_COUNT,
    B_POOL_REC, B_POOL_STATS, B_RECORDS = B_POOL_STATS + 10
};

typedef struct wire_la {
    uint64_t wl_address;
    char wl_name[LA_LOOKASIDE_NAME_MAX];
    uint64_t wl_kind, wl_pool_type, wl_tag, wl_flags, wl_block_size, wl_depth, wl_max_depth;
    uint64_t wl_total_allocates, wl_allocate_misses, wl_total_frees, wl_free_misses;
    uint64_t wl_cached, wl_cached_depot, wl_cached_magazines, wl_outstanding, wl_bytes_cached;
    uint64_t wl_released, wl_tuner_grows, wl_tuner_shrinks, wl_tuner_trimmed, wl_threads,
        wl_magazine_max;
} wire_la_t;

typedef struct wire_pool {
    uint64_t wp_tag, wp_kind, wp_allocs, wp_frees, wp_outstanding, wp_bytes, wp_peak_bytes,
        wp_failures, wp_budget_denials, wp_tag_mismatches;
} wire_pool_t;

_Static_assert(sizeof(wire_la_t) % 8 == 0, "records are whole words");
_Static_assert(sizeof(wire_pool_t) % 8 == 0, "records are whole words");
_Static_assert(LA_LOOKASIDE_NAME_MAX % 8 == 0, "the name keeps the record word-aligned");

static uint64_t checksum(const uint64_t *w, size_t words) {
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < words; ++i) {
        h ^= i == B_SUM ? 0 : w[i];
        h *= 0x100000001b3u;
        h ^= h >> 29;
    }
    return h;
}

static uint64_t wall_ns(void) {
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- building a body (private memory) ------------------------------------------------ */

typedef struct body {
    uint64_t *w;
    size_t words, cap; /* in words */
    bool failed;
} body_t;

static void *body_room(body_t *b, size_t bytes) {
    size_t need = b->words + bytes / 8;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < need) cap *= 2;
        uint64_t *w = realloc(b->w, cap * 8);
        if (!w) {
            b->failed = true;
            return NULL;
        }
        b->w = w;
        b->cap = cap;
    }
    void *p = b->w + b->words;
    memset(p, 0, bytes);
    b->words = need;
    return p;
}

static void add_list(const la_lookaside_stats_t *s, void *arg) {
    body_t *b = arg;
    wire_la_t *r = body_room(b, sizeof *r);
    if (!r) return;
    r->wl_address = (uint64_t)(uintptr_t)s->address;
    memcpy(r->wl_name, s->name, sizeof r->wl_name);
    r->wl_name[sizeof r->wl_name - 1] = '\0';
    r->wl_kind = s->kind;
    r->wl_pool_type = s->pool_type;
    r->wl_tag = s->tag;
    r->wl_flags = s->flags;
    r->wl_block_size = s->block_size;
    r->wl_depth = s->depth;
    r->wl_max_depth = s->max_depth;
    r->wl_total_allocates = s->total_allocates;
    r->wl_allocate_misses = s->allocate_misses;
    r->wl_total_frees = s->total_frees;
    r->wl_free_misses = s->free_misses;
    r->wl_cached = s->cached;
    r->wl_cached_depot = s->cached_depot;
    r->wl_cached_magazines = s->cached_magazines;
    r->wl_outstanding = s->outstanding;
    r->wl_bytes_cached = s->bytes_cached;
    r->wl_released = s->released;
    r->wl_tuner_grows = s->tuner_grows;
    r->wl_tuner_shrinks = s->tuner_shrinks;
    r->wl_tuner_trimmed = s->tuner_trimmed;
    r->wl_threads = s->threads;
    r->wl_magazine_max = s->magazine_max;
}

static int build_body(body_t *b, uint64_t seq, unsigned interval_ms) {
    b->words = 0;
    b->failed = false;
    if (!body_room(b, B_RECORDS * 8)) return ENOMEM;
    size_t lists = la_lookaside_foreach(add_list, b);
    if (b->failed) return ENOMEM;
    size_t count = 0;
    la_pool_tag_info_t *tags = NULL;
    la_pool_snapshot(NULL, 0, &count);
    for (int tries = 0;; ++tries) {
        size_t cap = count + 16;
        la_pool_tag_info_t *v = malloc(cap * sizeof *v);
        if (!v) return ENOMEM;
        if (la_pool_snapshot(v, cap, &count) == 0) {
            tags = v;
            break;
        }
        free(v);
        if (tries == 8) return EAGAIN;
    }
    for (size_t i = 0; i < count; ++i) {
        wire_pool_t *r = body_room(b, sizeof *r);
        if (!r) break;
        r->wp_tag = tags[i].tag;
        r->wp_kind = (uint64_t)tags[i].kind;
        r->wp_allocs = tags[i].allocs;
        r->wp_frees = tags[i].frees;
        r->wp_outstanding = tags[i].outstanding;
        r->wp_bytes = tags[i].bytes;
        r->wp_peak_bytes = tags[i].peak_bytes;
        r->wp_failures = tags[i].failures;
        r->wp_budget_denials = tags[i].budget_denials;
        r->wp_tag_mismatches = tags[i].tag_mismatches;
    }
    free(tags);
    if (b->failed) return ENOMEM;
    la_pool_stats_t ps;
    la_pool_stats_get(&ps);
    uint64_t *w = b->w;
    w[B_BYTES] = b->words * 8;
    w[B_SEQ] = seq;
    w[B_MONO] = la_prim_now_ns();
    w[B_WALL] = wall_ns();
    w[B_INTERVAL] = interval_ms;
    w[B_LA_COUNT] = lists;
    w[B_LA_REC] = sizeof(wire_la_t);
    w[B_POOL_COUNT] = count;
    w[B_POOL_REC] = sizeof(wire_pool_t);
    uint64_t *st = w + B_POOL_STATS;
    st[0] = ps.bytes_mapped;
    st[1] = ps.bytes_locked;
    st[2] = ps.bytes_cached;
    st[3] = ps.slabs_discarded;
    st[4] = ps.invalid_tag_failures;
    st[5] = ps.tag_mismatches;
    st[6] = ps.bad_frees;
    w[B_SUM] = checksum(w, b->words);
    return 0;
}

/* ---- the publisher ------------------------------------------------------------------------ */

static struct {
    la_prim_lock_t ctl;             /* serialises start and stop */
    la_prim_lock_t lock;            /* the mapping and everything below */
    bool active;
    uint64_t owner;                 /* pid that started publishing (a forked child is not it) */
    char path[LA_PUBLISH_PATH_MAX];
    unsigned char *map;
    size_t map_size;
    uint64_t publications;
    unsigned interval_ms;
    body_t body;
    bool thread_running;
    la_prim_thread_t thread;
    _Atomic uint32_t stop;          /* futex word: 1 asks the thread to leave */
} pub = {.ctl = LA_PRIM_LOCK_INIT, .lock = LA_PRIM_LOCK_INIT};

static uint64_t *hdr64(unsigned char *map, size_t off) { return (uint64_t *)(void *)(map + off); }

/* Store the body words into the mapping inside the seqlock. */
static void seq_write(unsigned char *map, const uint64_t *w, size_t words) {
    uint64_t *seq = hdr64(map, HDR_SEQ);
    uint64_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);
    __atomic_store_n(seq, s + 1, __ATOMIC_RELAXED);
    /* Release stores: the odd sequence is ordered before every body word (no
     * fence: ThreadSanitizer does not model fences; on x86 these are plain moves). */
    uint64_t *dst = hdr64(map, HDR_BYTES);
    for (size_t i = 0; i < words; ++i) __atomic_store_n(&dst[i], w[i], __ATOMIC_RELEASE);
    __atomic_store_n(seq, s + 2, __ATOMIC_RELEASE);
}

/* A file for `body_bytes` of body (with room to grow) at `path`; *map, *size set. */
static int new_file(const char *path, size_t body_bytes, uint64_t seq, unsigned char **map,
                    size_t *size) {
    size_t page = la_prim_caps()->page_size, want;
    if (lai_mul_overflows(body_bytes, 2, &want) || lai_add_overflows(want, HDR_BYTES, &want) ||
        lai_align_up_overflows(want, page, &want))
        return ENOMEM;
    void *m;
    int err = la_prim_file_map_create(path, want, &m);
    if (err) return err;
    unsigned char *b = m;
    uint32_t h32[4] = {LA_PUBLISH_MAGIC, HDR_BYTES, LA_PUBLISH_LAYOUT_VERSION, 0};
    memcpy(b, h32, sizeof h32);
    *hdr64(b, HDR_CAPACITY) = want - HDR_BYTES;
    *hdr64(b, HDR_PID) = la_prim_process_id();
    __atomic_store_n(hdr64(b, HDR_SEQ), seq, __ATOMIC_RELEASE);
    *map = b;
    *size = want;
    return 0;
}

/* Build and write one publication. Caller holds pub.lock and pub.active. */
static int publish_locked(void) {
    int err = build_body(&pub.body, pub.publications + 1, pub.interval_ms);
    if (err) return err;
    size_t bytes = pub.body.words * 8;
    if (!pub.map || bytes > pub.map_size - HDR_BYTES) {
        char tmp[LA_PUBLISH_PATH_MAX + 8];
        snprintf(tmp, sizeof tmp, "%s.new", pub.path);
        unsigned char *m;
        size_t size;
        err = new_file(tmp, bytes, pub.publications * 2, &m, &size);
        if (err) return err;
        seq_write(m, pub.body.w, pub.body.words);
        err = la_prim_file_rename(tmp, pub.path);
        if (err) {
            la_prim_file_unlink(tmp);
            la_prim_file_unmap(m, size);
            return err;
        }
        if (pub.map) la_prim_file_unmap(pub.map, pub.map_size);
        pub.map = m;
        pub.map_size = size;
    } else {
        seq_write(pub.map, pub.body.w, pub.body.words);
    }
    ++pub.publications;
    return 0;
}

static bool mine(void) { return pub.active && pub.owner == la_prim_process_id(); }

int la_publish_now(void) {
    la_prim_lock_acquire(&pub.lock);
    int err = mine() ? publish_locked() : ENOENT;
    la_prim_lock_release(&pub.lock);
    return err;
}

static void *publisher_thread(void *arg) {
    uint64_t ns = (uint64_t)(uintptr_t)arg * 1000000u;
    while (!atomic_load_explicit(&pub.stop, memory_order_acquire)) {
        la_prim_wait(&pub.stop, 0, ns);
        if (atomic_load_explicit(&pub.stop, memory_order_acquire)) break;
        la_publish_now(); /* a failure is retried at the next tick */
    }
    return NULL;
}

static void at_exit_stop(void) { la_publish_stop(); }

int la_publish_start(const char *path, unsigned interval_ms) {
    char p[LA_PUBLISH_PATH_MAX];
    if (path) {
        size_t n = strlen(path);
        if (n == 0 || n >= sizeof p - 4) return EINVAL; /* room for ".new" beside it */
        memcpy(p, path, n + 1);
    } else {
        la_publish_default_path(0, p, sizeof p);
    }
    if (interval_ms && interval_ms < LA_PUBLISH_MIN_INTERVAL_MS) interval_ms = LA_PUBLISH_MIN_INTERVAL_MS;
    la_prim_lock_acquire(&pub.ctl);
    la_prim_lock_acquire(&pub.lock);
    int err = 0;
    if (mine()) {
        err = EBUSY;
    } else {
        /* A forked child inherits its parent's state: forget it, keep the parent's file. */
        if (pub.map) la_prim_file_unmap(pub.map, pub.map_size);
        pub.map = NULL;
        pub.map_size = 0;
        pub.thread_running = false;
        memcpy(pub.path, p, sizeof p);
        pub.owner = la_prim_process_id();
        pub.publications = 0;
        pub.interval_ms = interval_ms;
        pub.active = true;
        err = publish_locked();
        if (err) pub.active = false;
    }
    la_prim_lock_release(&pub.lock);
    if (!err && interval_ms) {
        atomic_store_explicit(&pub.stop, 0, memory_order_relaxed);
        err = la_prim_thread_start(&pub.thread, publisher_thread, (void *)(uintptr_t)interval_ms);
        if (err) {
            la_prim_lock_acquire(&pub.lock);
            pub.active = false;
            la_prim_file_unmap(pub.map, pub.map_size);
            pub.map = NULL;
            la_prim_file_unlink(pub.path);
            la_prim_lock_release(&pub.lock);
        } else {
            pub.thread_running = true;
        }
    }
    static bool registered;
    if (!err && !registered) registered = atexit(at_exit_stop) == 0;
    la_prim_lock_release(&pub.ctl);
    return err;
}

int la_publish_stop(void) {
    la_prim_lock_acquire(&pub.ctl);
    la_prim_lock_acquire(&pub.lock);
    bool ok = mine();
    la_prim_lock_release(&pub.lock);
    if (!ok) {
        la_prim_lock_release(&pub.ctl);
        return ENOENT;
    }
    if (pub.thread_running) {
        atomic_store_explicit(&pub.stop, 1, memory_order_release);
        la_prim_wake(&pub.stop, UINT32_MAX);
        la_prim_thread_join(&pub.thread);
        pub.thread_running = false;
    }
    la_prim_lock_acquire(&pub.lock);
    pub.active = false;
    la_prim_file_unmap(pub.map, pub.map_size);
    pub.map = NULL;
    pub.map_size = 0;
    la_prim_file_unlink(pub.path);
    free(pub.body.w);
    pub.body = (body_t){0};
    la_prim_lock_release(&pub.lock);
    la_prim_lock_release(&pub.ctl);
    return 0;
}

bool la_publish_active(void) {
    la_prim_lock_acquire(&pub.lock);
    bool on = mine();
    la_prim_lock_release(&pub.lock);
    return on;
}

const char *la_publish_dir(void) { return la_prim_shared_dir(); }

size_t la_publish_default_path(uint64_t pid, char *buf, size_t cap) {
    if (!pid) pid = la_prim_process_id();
    int n = snprintf(buf, cap, "%s/lookaside-%" PRIu64, la_prim_shared_dir(), pid);
    return n > 0 ? (size_t)n : 0;
}

/* LA_PUBLISH=1 (every second) or =<ms>: read once, at load time (the constructor)
 * or at the first cache creation / pool use, whichever comes first. */
void lai_publish_from_env_once(void) {
    static _Atomic int read_already;
    if (atomic_exchange_explicit(&read_already, 1, memory_order_acq_rel)) return;
    const char *v = getenv("LA_PUBLISH");
    if (!v || !*v) return;
    char *end;
    unsigned long ms = strtoul(v, &end, 10);
    if (*end || ms == 0) return;
    la_publish_start(NULL, ms == 1 ? LA_PUBLISH_DEFAULT_INTERVAL_MS : (unsigned)(ms > 3600000 ? 3600000 : ms));
}

__attribute__((constructor)) static void publish_from_env(void) { lai_publish_from_env_once(); }

/* ---- the reader ------------------------------------------------------------------------------ */

struct la_published {
    uint64_t pid, seq, mono, wall;
    unsigned interval_ms;
    size_t nlists, npool;
    la_lookaside_stats_t *lists;
    la_pool_tag_info_t *pool;
    la_pool_stats_t stats;
};

#define READ_TRIES 20000

/* Copy one consistent body out of the mapping into *out (malloc'ed words). */
static int seq_read(const unsigned char *map, size_t size, uint64_t **out, size_t *words) {
    const uint64_t *seq = (const uint64_t *)(const void *)(map + HDR_SEQ);
    const uint64_t *src = (const uint64_t *)(const void *)(map + HDR_BYTES);
    uint64_t cap = *(const uint64_t *)(const void *)(map + HDR_CAPACITY);
    if (cap > size - HDR_BYTES || cap < B_RECORDS * 8) return EBADMSG;
    uint64_t *w = malloc((size_t)cap);
    if (!w) return ENOMEM;
    for (int t = 0; t < READ_TRIES; ++t) {
        uint64_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
        if (s1 & 1) {
            la_prim_yield();
            continue;
        }
        /* Acquire loads: a word of a later publication makes its odd sequence
         * visible to the second sequence load below, which then differs. */
        uint64_t bytes = __atomic_load_n(&src[B_BYTES], __ATOMIC_ACQUIRE);
        size_t n = (bytes <= cap && bytes % 8 == 0) ? (size_t)bytes / 8 : 0;
        for (size_t i = 0; i < n; ++i) w[i] = __atomic_load_n(&src[i], __ATOMIC_ACQUIRE);
        uint64_t s2 = __atomic_load_n(seq, __ATOMIC_RELAXED);
        if (s1 != s2) continue;
        if (s1 == 0 || n < B_RECORDS || w[B_BYTES] != bytes || checksum(w, n) != w[B_SUM]) {
            free(w);
            return s1 == 0 ? EAGAIN : EBADMSG; /* 0: created, never written */
        }
        *out = w;
        *words = n;
        return 0;
    }
    free(w);
    return EAGAIN;
}

static void from_wire_la(const wire_la_t *r, la_lookaside_stats_t *s) {
    memset(s, 0, sizeof *s);
    s->size = sizeof *s;
    s->version = LA_LOOKASIDE_STATS_VERSION;
    s->address = (const void *)(uintptr_t)r->wl_address;
    memcpy(s->name, r->wl_name, sizeof s->name);
    s->name[sizeof s->name - 1] = '\0';
    s->kind = (uint32_t)r->wl_kind;
    s->pool_type = (uint32_t)r->wl_pool_type;
    s->tag = (uint32_t)r->wl_tag;
    s->flags = (uint32_t)r->wl_flags;
    s->block_size = r->wl_block_size;
    s->depth = (uint32_t)r->wl_depth;
    s->max_depth = (uint32_t)r->wl_max_depth;
    s->total_allocates = r->wl_total_allocates;
    s->allocate_misses = r->wl_allocate_misses;
    s->total_frees = r->wl_total_frees;
    s->free_misses = r->wl_free_misses;
    s->cached = r->wl_cached;
    s->cached_depot = r->wl_cached_depot;
    s->cached_magazines = r->wl_cached_magazines;
    s->outstanding = r->wl_outstanding;
    s->bytes_cached = r->wl_bytes_cached;
    s->released = r->wl_released;
    s->tuner_grows = r->wl_tuner_grows;
    s->tuner_shrinks = r->wl_tuner_shrinks;
    s->tuner_trimmed = r->wl_tuner_trimmed;
    s->threads = (uint32_t)r->wl_threads;
    s->magazine_max = (uint32_t)r->wl_magazine_max;
}

/* Turn a consistent body into a la_published_t. */
static int parse(const uint64_t *w, size_t words, uint64_t pid, la_published_t **out) {
    uint64_t nl = w[B_LA_COUNT], ls = w[B_LA_REC], np = w[B_POOL_COUNT], ps = w[B_POOL_REC];
    size_t avail = (words - B_RECORDS) * 8;
    if (ls % 8 || ps % 8 || (nl && ls < 8) || (np && ps < 8) || (nl && nl > avail / ls) ||
        (np && np > avail / ps) || nl * ls + np * ps > avail)
        return EBADMSG;
    la_published_t *p = calloc(1, sizeof *p);
    if (!p) return ENOMEM;
    p->lists = calloc(nl ? (size_t)nl : 1, sizeof *p->lists);
    p->pool = calloc(np ? (size_t)np : 1, sizeof *p->pool);
    if (!p->lists || !p->pool) {
        la_published_free(p);
        return ENOMEM;
    }
    p->pid = pid;
    p->seq = w[B_SEQ];
    p->mono = w[B_MONO];
    p->wall = w[B_WALL];
    p->interval_ms = (unsigned)w[B_INTERVAL];
    const unsigned char *rec = (const unsigned char *)(w + B_RECORDS);
    for (size_t i = 0; i < nl; ++i, rec += ls) {
        wire_la_t r = {0};
        memcpy(&r, rec, ls < sizeof r ? (size_t)ls : sizeof r);
        from_wire_la(&r, &p->lists[i]);
    }
    for (size_t i = 0; i < np; ++i, rec += ps) {
        wire_pool_t r = {0};
        memcpy(&r, rec, ps < sizeof r ? (size_t)ps : sizeof r);
        la_pool_tag_info_t *t = &p->pool[i];
        t->tag = (la_tag_t)r.wp_tag;
        t->kind = (la_pool_kind_t)(r.wp_kind & 3u);
        t->allocs = r.wp_allocs;
        t->frees = r.wp_frees;
        t->outstanding = r.wp_outstanding;
        t->bytes = r.wp_bytes;
        t->peak_bytes = r.wp_peak_bytes;
        t->failures = r.wp_failures;
        t->budget_denials = r.wp_budget_denials;
        t->tag_mismatches = r.wp_tag_mismatches;
    }
    p->nlists = (size_t)nl;
    p->npool = (size_t)np;
    const uint64_t *st = w + B_POOL_STATS;
    p->stats = (la_pool_stats_t){st[0], st[1], st[2], st[3], st[4], st[5], st[6]};
    *out = p;
    return 0;
}

int la_publish_read(const char *path, la_published_t **out) {
    if (!path || !out) return EINVAL;
    const void *m;
    size_t size;
    int err = la_prim_file_map_open(path, &m, &size);
    if (err) return err;
    const unsigned char *map = m;
    uint32_t h32[4] = {0};
    if (size >= HDR_BYTES) memcpy(h32, map, sizeof h32);
    if (size < HDR_BYTES || h32[0] != LA_PUBLISH_MAGIC || h32[1] != HDR_BYTES) {
        err = EBADMSG;
    } else if (h32[2] != LA_PUBLISH_LAYOUT_VERSION) {
        err = EPROTONOSUPPORT;
    } else {
        uint64_t *w = NULL;
        size_t words = 0;
        err = seq_read(map, size, &w, &words);
        if (!err) {
            uint64_t pid = *(const uint64_t *)(const void *)(map + HDR_PID);
            err = parse(w, words, pid, out);
            free(w);
        }
    }
    la_prim_file_unmap(m, size);
    return err;
}

void la_published_free(la_published_t *p) {
    if (!p) return;
    free(p->lists);
    free(p->pool);
    free(p);
}

const char *la_publish_strerror(int err) {
    switch (err) {
    case 0: return "success";
    case ENOENT: return "no publication at that path (is the process running with LA_PUBLISH=1 or la_publish_start?)";
    case EACCES: return "permission denied (publications are readable by their owner only)";
    case EBADMSG: return "not a lookaside publication, or a damaged one";
    case EPROTONOSUPPORT: return "publication layout version not supported by this library (mismatched versions)";
    case EAGAIN: return "no consistent snapshot (the publisher stopped in the middle of an update)";
    case EBUSY: return "already publishing";
    case ENOMEM: return "out of memory";
    case EINVAL: return "invalid argument";
    default: return strerror(err);
    }
}

uint64_t la_published_pid(const la_published_t *p) { return p ? p->pid : 0; }
uint64_t la_published_sequence(const la_published_t *p) { return p ? p->seq : 0; }
uint64_t la_published_time_ns(const la_published_t *p) { return p ? p->mono : 0; }
uint64_t la_published_wall_ns(const la_published_t *p) { return p ? p->wall : 0; }
unsigned la_published_interval_ms(const la_published_t *p) { return p ? p->interval_ms : 0; }
size_t la_published_lookaside_count(const la_published_t *p) { return p ? p->nlists : 0; }
size_t la_published_pool_count(const la_published_t *p) { return p ? p->npool : 0; }

const la_lookaside_stats_t *la_published_lookaside(const la_published_t *p, size_t i) {
    return p && i < p->nlists ? &p->lists[i] : NULL;
}
const la_pool_tag_info_t *la_published_pool_tag(const la_published_t *p, size_t i) {
    return p && i < p->npool ? &p->pool[i] : NULL;
}
const la_pool_stats_t *la_published_pool_stats(const la_published_t *p) { return p ? &p->stats : NULL; }

/* ---- views -------------------------------------------------------------------------------------- */

static bool list_shown(const la_publish_view_t *v, const la_lookaside_stats_t *s) {
    return !v || !v->tags || la_pool_tag_match(s->tag, v->tags);
}

static la_pool_report_opts_t pool_opts(const la_publish_view_t *v) {
    la_pool_report_opts_t o = {0};
    if (v) {
        o.sort = v->sort;
        o.include = v->tags;
        o.totals = v->totals;
    }
    return o;
}

/* A copy of the pool rows (the row printers filter and sort in place). */
static la_pool_tag_info_t *pool_copy(const la_published_t *p) {
    la_pool_tag_info_t *c = malloc((p->npool ? p->npool : 1) * sizeof *c);
    if (c && p->npool) memcpy(c, p->pool, p->npool * sizeof *c);
    return c;
}

void la_published_print(const la_published_t *p, const la_publish_view_t *v) {
    if (!p) return;
    la_printf("lookaside: process %" PRIu64 ", publication %" PRIu64 ", %zu lookaside lists, %zu pool records\n\n",
              p->pid, p->seq, p->nlists, p->npool);
    for (size_t i = 0; i < p->nlists; ++i) {
        if (!list_shown(v, &p->lists[i])) continue;
        la_lookaside_stats_print(&p->lists[i]);
        la_printf("\n");
    }
    la_pool_report_opts_t o = pool_opts(v);
    la_pool_tag_info_t *rows = pool_copy(p);
    if (!rows) {
        la_printf("lookaside: pool table: out of memory\n");
        return;
    }
    la_pool_table_print_rows(rows, p->npool, &o);
    free(rows);
    const la_pool_stats_t *s = &p->stats;
    la_printf("\nPool: %" PRIu64 " bytes mapped, %" PRIu64 " locked, %" PRIu64 " cached, %" PRIu64
              " slabs discarded, %" PRIu64 " invalid-tag failures, %" PRIu64 " tag mismatches, %" PRIu64
              " bad frees\n",
              s->bytes_mapped, s->bytes_locked, s->bytes_cached, s->slabs_discarded, s->invalid_tag_failures,
              s->tag_mismatches, s->bad_frees);
}

void la_published_json_print(const la_published_t *p, const la_publish_view_t *v) {
    if (!p) return;
    la_printf("{\"pid\":%" PRIu64 ",\"sequence\":%" PRIu64 ",\"time_ns\":%" PRIu64 ",\"wall_ns\":%" PRIu64
              ",\"interval_ms\":%u,\n\"lookaside\":[",
              p->pid, p->seq, p->mono, p->wall, p->interval_ms);
    size_t shown = 0;
    for (size_t i = 0; i < p->nlists; ++i) {
        if (!list_shown(v, &p->lists[i])) continue;
        char small[1024];
        size_t need = la_lookaside_stats_json(&p->lists[i], small, sizeof small);
        char *text = small;
        if (need >= sizeof small) {
            text = malloc(need + 1);
            if (!text) continue;
            la_lookaside_stats_json(&p->lists[i], text, need + 1);
        }
        la_printf("%s\n  %s", shown++ ? "," : "", text);
        if (text != small) free(text);
    }
    la_printf("\n],\n\"pool\":");
    la_pool_report_opts_t o = pool_opts(v);
    la_pool_tag_info_t *rows = pool_copy(p);
    if (rows) la_pool_json_print_rows(rows, p->npool, &o);
    else la_printf("null\n");
    free(rows);
    const la_pool_stats_t *s = &p->stats;
    la_printf(",\"pool_stats\":{\"bytes_mapped\":%" PRIu64 ",\"bytes_locked\":%" PRIu64 ",\"bytes_cached\":%" PRIu64
              ",\"slabs_discarded\":%" PRIu64 ",\"invalid_tag_failures\":%" PRIu64 ",\"tag_mismatches\":%" PRIu64
              ",\"bad_frees\":%" PRIu64 "}}\n",
              s->bytes_mapped, s->bytes_locked, s->bytes_cached, s->slabs_discarded, s->invalid_tag_failures,
              s->tag_mismatches, s->bad_frees);
}

/* Growth of a counter per second over dt_ns, truncated (0 when it did not grow). */
static uint64_t rate(uint64_t now, uint64_t before, uint64_t dt_ns) {
    if (!dt_ns || now <= before) return 0;
    uint64_t d = now - before;
    if (d <= UINT64_MAX / 1000000000u) return d * 1000000000u / dt_ns;
    return (uint64_t)((double)d * 1e9 / (double)dt_ns);
}

static const la_lookaside_stats_t *find_list(const la_published_t *p, const la_lookaside_stats_t *s) {
    if (!p) return NULL;
    for (size_t i = 0; i < p->nlists; ++i)
        if (p->lists[i].address == s->address && p->lists[i].tag == s->tag &&
            !strcmp(p->lists[i].name, s->name))
            return &p->lists[i];
    return NULL;
}

static const la_pool_tag_info_t *find_tag(const la_published_t *p, const la_pool_tag_info_t *t) {
    if (!p) return NULL;
    for (size_t i = 0; i < p->npool; ++i)
        if (p->pool[i].tag == t->tag && p->pool[i].kind == t->kind) return &p->pool[i];
    return NULL;
}

/* Sort key of a row for `lookaside top` (descending counts, then by tag text). */
static uint64_t top_key(const la_pool_tag_info_t *r, la_pool_sort_t sort) {
    switch (sort) {
    case LA_POOL_SORT_ALLOCS: return r->allocs;
    case LA_POOL_SORT_FREES: return r->frees;
    case LA_POOL_SORT_DIFF: return r->outstanding;
    case LA_POOL_SORT_BYTES: return r->bytes;
    case LA_POOL_SORT_PER_ALLOC: return r->outstanding ? r->bytes / r->outstanding : 0;
    case LA_POOL_SORT_TAG: default: return 0;
    }
}

static bool top_before(const la_pool_tag_info_t *a, const la_pool_tag_info_t *b, la_pool_sort_t sort) {
    uint64_t x = top_key(a, sort), y = top_key(b, sort);
    if (x != y) return x > y;
    char ta[5], tb[5];
    int c = strcmp(la_tag_format(a->tag, ta), la_tag_format(b->tag, tb));
    return c ? c < 0 : a->kind < b->kind;
}

void la_published_print_delta(const la_published_t *now, const la_published_t *before,
                              const la_publish_view_t *v) {
    if (!now) return;
    uint64_t dt = before && now->mono > before->mono ? now->mono - before->mono : 0;
    if (before)
        la_printf("lookaside top: process %" PRIu64 ", publication %" PRIu64 ", %" PRIu64
                  " ms since the last frame\n\n", now->pid, now->seq, dt / 1000000u);
    else
        la_printf("lookaside top: process %" PRIu64 ", publication %" PRIu64 ", first frame (rates from the next)\n\n",
                  now->pid, now->seq);
    la_printf(" %-24s %-4s %8s %6s %8s %12s %10s %12s %10s %10s\n", "List", "Tag", "Size", "Depth", "Cached",
              "Allocs", "Allocs/s", "Frees", "Frees/s", "Outstand");
    for (size_t i = 0; i < now->nlists; ++i) {
        const la_lookaside_stats_t *s = &now->lists[i];
        if (!list_shown(v, s)) continue;
        const la_lookaside_stats_t *b = find_list(before, s);
        char tag[5];
        la_printf(" %-24.24s %-4s %8" PRIu64 " %6" PRIu32 " %8" PRIu64 " %12" PRIu64 " %10" PRIu64 " %12" PRIu64
                  " %10" PRIu64 " %10" PRIu64 "\n",
                  s->name, la_tag_format(s->tag, tag), s->block_size, s->depth, s->cached, s->total_allocates,
                  b ? rate(s->total_allocates, b->total_allocates, dt) : 0, s->total_frees,
                  b ? rate(s->total_frees, b->total_frees, dt) : 0, s->outstanding);
    }
    la_pool_report_opts_t o = pool_opts(v);
    la_pool_tag_info_t *rows = pool_copy(now);
    if (!rows) return;
    size_t n = 0;
    for (size_t i = 0; i < now->npool; ++i)
        if (!o.include || la_pool_tag_match(rows[i].tag, o.include)) rows[n++] = rows[i];
    for (size_t i = 1; i < n; ++i) /* PoolMon order (few rows: insertion sort) */
        for (size_t j = i; j > 0 && top_before(&rows[j], &rows[j - 1], o.sort); --j) {
            la_pool_tag_info_t t = rows[j];
            rows[j] = rows[j - 1];
            rows[j - 1] = t;
        }
    la_printf("\n %-4s %-5s %12s %9s %12s %9s %10s %14s %12s %9s\n", "Tag", "Type", "Allocs", "/s", "Frees",
              "/s", "Diff", "Bytes", "Bytes/s", "PerAlloc");
    for (size_t i = 0; i < n; ++i) {
        const la_pool_tag_info_t *x = &rows[i];
        const la_pool_tag_info_t *b = find_tag(before, x);
        char tag[5];
        int64_t bd = 0;
        if (b && dt) {
            uint64_t up = rate(x->bytes, b->bytes, dt), down = rate(b->bytes, x->bytes, dt);
            bd = up ? (int64_t)up : -(int64_t)down;
        }
        la_printf(" %-4s %-5s %12" PRIu64 " %9" PRIu64 " %12" PRIu64 " %9" PRIu64 " %10" PRIu64 " %14" PRIu64
                  " %12" PRId64 " %9" PRIu64 "\n",
                  la_tag_format(x->tag, tag), la_pool_kind_name(x->kind), x->allocs,
                  b ? rate(x->allocs, b->allocs, dt) : 0, x->frees, b ? rate(x->frees, b->frees, dt) : 0,
                  x->outstanding, x->bytes, bd, x->outstanding ? x->bytes / x->outstanding : 0);
    }
    free(rows);
}

/* ---- OpenMetrics ------------------------------------------------------------------------------------ */

typedef struct om {
    char *buf;
    size_t cap, len;
} om_t;

static void om_add(om_t *o, const char *fmt, ...) LA_PRINTF(2, 3);
static void om_add(om_t *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *at = o->len < o->cap ? o->buf + o->len : NULL;
    int n = vsnprintf(at, at ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

/* A label value with \, " and newline escaped. */
static void om_label(char *out, size_t cap, const char *in) {
    size_t k = 0;
    for (; *in && k + 3 < cap; ++in) {
        if (*in == '\\' || *in == '"') out[k++] = '\\';
        if (*in == '\n') {
            out[k++] = '\\';
            out[k++] = 'n';
            continue;
        }
        out[k++] = *in;
    }
    out[k] = '\0';
}

size_t la_published_openmetrics(const la_published_t *p, char *buf, size_t cap) {
    om_t o = {buf, cap, 0};
    if (buf && cap) buf[0] = '\0';
    if (!p) return 0;
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } lf[] = {
        {"lookaside_allocates", "counter", "TotalAllocates", offsetof(la_lookaside_stats_t, total_allocates)},
        {"lookaside_allocate_misses", "counter", "AllocateMisses", offsetof(la_lookaside_stats_t, allocate_misses)},
        {"lookaside_frees", "counter", "TotalFrees", offsetof(la_lookaside_stats_t, total_frees)},
        {"lookaside_free_misses", "counter", "FreeMisses", offsetof(la_lookaside_stats_t, free_misses)},
        {"lookaside_cached_blocks", "gauge", "Blocks held by the cache", offsetof(la_lookaside_stats_t, cached)},
        {"lookaside_outstanding_blocks", "gauge", "Blocks allocated and not freed", offsetof(la_lookaside_stats_t, outstanding)},
    };
    for (size_t f = 0; f < LA_ARRAY_SIZE(lf); ++f) {
        bool counter = lf[f].type[0] == 'c';
        om_add(&o, "# TYPE %s %s\n# HELP %s %s\n", lf[f].name, lf[f].type, lf[f].name, lf[f].help);
        for (size_t i = 0; i < p->nlists; ++i) {
            const la_lookaside_stats_t *s = &p->lists[i];
            char name[LA_LOOKASIDE_NAME_MAX * 2 + 4], tag[5], tagl[12];
            om_label(name, sizeof name, s->name);
            om_label(tagl, sizeof tagl, la_tag_format(s->tag, tag));
            uint64_t val;
            memcpy(&val, (const char *)s + lf[f].off, sizeof val);
            om_add(&o, "%s%s{list=\"%s\",tag=\"%s\",size=\"%" PRIu64 "\"} %" PRIu64 "\n", lf[f].name,
                   counter ? "_total" : "", name, tagl, s->block_size, val);
        }
    }
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } pf[] = {
        {"lookaside_pool_allocs", "counter", "Pool allocations", offsetof(la_pool_tag_info_t, allocs)},
        {"lookaside_pool_frees", "counter", "Pool frees", offsetof(la_pool_tag_info_t, frees)},
        {"lookaside_pool_failures", "counter", "Failed pool allocations", offsetof(la_pool_tag_info_t, failures)},
        {"lookaside_pool_outstanding_blocks", "gauge", "Pool blocks live", offsetof(la_pool_tag_info_t, outstanding)},
        {"lookaside_pool_bytes", "gauge", "Pool block bytes live", offsetof(la_pool_tag_info_t, bytes)},
        {"lookaside_pool_peak_bytes", "gauge", "Highest pool bytes seen", offsetof(la_pool_tag_info_t, peak_bytes)},
    };
    for (size_t f = 0; f < LA_ARRAY_SIZE(pf); ++f) {
        bool counter = pf[f].type[0] == 'c';
        om_add(&o, "# TYPE %s %s\n# HELP %s %s\n", pf[f].name, pf[f].type, pf[f].name, pf[f].help);
        for (size_t i = 0; i < p->npool; ++i) {
            const la_pool_tag_info_t *t = &p->pool[i];
            char tag[5], tagl[12];
            om_label(tagl, sizeof tagl, la_tag_format(t->tag, tag));
            uint64_t val;
            memcpy(&val, (const char *)t + pf[f].off, sizeof val);
            om_add(&o, "%s%s{tag=\"%s\",type=\"%s\"} %" PRIu64 "\n", pf[f].name, counter ? "_total" : "", tagl,
                   la_pool_kind_name(t->kind), val);
        }
    }
    om_add(&o, "# EOF\n");
    return o.len;
}
