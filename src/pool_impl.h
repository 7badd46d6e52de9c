/* pool_impl.h — what the pool's source files (src/pool*.c) share.
 *
 * Map of the pool (each file opens with its own design comment):
 *   pool.c         front end: argument checks, la_pool_alloc / la_pool_free, raise
 *                  handler, strict mode, misuse reports
 *   pool_tags.c    tag registry (tag, kind) -> index, per-thread counters summed on
 *                  read, thread state and its exit hook, budgets, snapshots
 *   pool_slab.c    size classes, segments, 64 KiB slabs, the address -> slab
 *                  registry, batch refill / release, giving slabs back to the OS
 *   pool_cache.c   the per-thread front of the slab classes (swappable)
 *   pool_big.c     blocks above the largest slab class: one mapping each
 *   pool_report.c  PoolMon-style table, JSON, leak report, wildcard match
 *
 * Lock order (outer to inner): tag registry lock -> slab class lock -> segment lock
 * -> big-block lock. The raise handler, the output callback and la_fatal are never
 * called with a pool lock held. */
#ifndef LA_POOL_IMPL_H
#define LA_POOL_IMPL_H

#include "internal.h"

#include <lookaside/pool.h>

#include <errno.h>
#include <stdatomic.h>

#include "prim/prim.h"

/* ---- tunables (documented in docs/pool.md) -------------------------------------- */

#define LAI_SLAB_SHIFT 16                       /* 64 KiB slabs */
#define LAI_SLAB_SIZE ((size_t)1 << LAI_SLAB_SHIFT)
#define LAI_SEG_SHIFT 22                        /* 4 MiB segments of 64 slabs */
#define LAI_SEG_SIZE ((size_t)1 << LAI_SEG_SHIFT)
#define LAI_SEG_SLABS (LAI_SEG_SIZE / LAI_SLAB_SIZE)
#define LAI_UNIT 4096u                          /* small blocks never cross this */
#define LAI_SLAB_MAX_BLOCK 32768u               /* larger blocks go to pool_big.c */
#define LAI_FOLD_BYTES 65536                    /* per-thread drift before folding */
#define LAI_MAX_RECS 16384u                     /* (tag, kind) records, index 0 unused */
#define LAI_REC_CHUNK 64u
#define LAI_FRONT_BYTES (1024u * 1024u)         /* per-thread cache bound per class > 1 KiB */
#define LAI_FRONT_MAX 2048u                     /* and in blocks (all classes up to 1 KiB) */
#define LAI_EMPTY_KEEP 64u                      /* wholly free slabs kept per class (4 MiB) */
#define LAI_EMPTY_KEEP_TOTAL ((uint64_t)16 << 20) /* and in all classes together (oldest go first) */

/* ---- size classes (pool_slab.c) ------------------------------------------------------- */

#define LAI_NCLASSES 26

typedef struct lai_class {
    uint32_t size;       /* slot size */
    uint32_t unit_shift; /* layout unit: 12 (4 KiB) for sub-page slots, 16 (the slab) else */
    uint32_t unit_mask;  /* (1 << unit_shift) - 1 */
    uint32_t per_unit;   /* slots per unit: slots never straddle a unit */
    uint32_t nslots;     /* slots per slab */
    uint32_t size_inv;   /* ceil(2^32 / size): exact division of offsets < 2^16 */
    uint32_t front_cap;  /* thread cache capacity in blocks */
    uint32_t pad_;
} lai_class_t;

LA_INTERNAL extern const lai_class_t lai_classes[LAI_NCLASSES];

/* Class of a request of up to LAI_UNIT bytes: lai_small_class[(size + 15) >> 4]. */
LA_INTERNAL extern const uint8_t lai_small_class[257];
/* Class for a request (size <= LAI_SLAB_MAX_BLOCK), -1 if none. */
LA_INTERNAL int lai_class_of(size_t size, bool cache_aligned);

/* Exact x / d for x < 2^16 given inv = ceil(2^32 / d). */
static inline uint32_t lai_div(uint32_t x, uint32_t inv) {
    return (uint32_t)(((uint64_t)x * inv) >> 32);
}

/* Slot of offset x (< 2^16) for a slot size d (<= 2^15) with inv = ceil(2^32 / d):
 * true with *j = x / d when x is an exact multiple of d. With inv = (2^32 + r) / d,
 * x = j d + k gives x * inv = j 2^32 + (j r + k inv), and j r < 2^16 < inv while
 * k inv + j r < 2^32 for 0 < k < d: the low half is below inv iff k == 0, so one
 * multiply gives both the quotient and the test (checked for every class and
 * offset by tests/unit/test_pool_slab.c). */
static inline bool lai_slot_of(uint32_t x, uint32_t inv, uint32_t *j) {
    uint64_t prod = (uint64_t)x * inv;
    *j = (uint32_t)(prod >> 32);
    return (uint32_t)prod < inv;
}

/* ---- slabs and segments (pool_slab.c) -------------------------------------------------- */

enum { LAI_SLAB_UNUSED = 0, LAI_SLAB_ACTIVE, LAI_SLAB_DISCARDED };

typedef struct lai_slab {
    /* Read by every free, written once before meta is published (then never): */
    _Atomic(_Atomic uint32_t *) meta; /* per-slot record index, 0 = free */
    uint32_t size;                    /* copies of the class's layout, one line with meta */
    uint32_t size_inv;
    uint16_t unit_mask;
    uint8_t unit_shift;
    uint8_t kind;
    uint16_t per_unit;
    uint16_t front_idx;               /* LAI_FRONT_IDX(kind, class) */
    uint32_t front_off;               /* byte offset of that front in lai_thread_t */
    uint32_t pad0_;
    const lai_class_t *klass;
    /* Under the class lock: */
    char *base;
    void *free;                       /* released blocks, linked through their first word */
    struct lai_slab *next, *prev;     /* class available list */
    uint32_t used;                    /* blocks out of the slab (in fronts or with users) */
    uint32_t bump;                    /* slots [bump, nslots) never handed out since reset */
    uint8_t state;                    /* LAI_SLAB_* */
    bool listed;                      /* on its class's available list */
    bool in_empty;                    /* wholly free and resident: on the global empty list */
    struct lai_slab *e_next, *e_prev; /* global empty list (oldest first), under its lock */
    char pad_[24];                    /* to 128 bytes: a free indexes the array with a shift */
} lai_slab_t;
_Static_assert(sizeof(lai_slab_t) == 128, "slab descriptors are 128 bytes");

/* A segment's descriptor sits in its own first slab (never handed out), so the
 * descriptor of any pool address is `address & ~(LAI_SEG_SIZE - 1)` once the
 * membership bitmap says the segment is ours. */
typedef struct lai_segment {
    lai_slab_t slabs[LAI_SEG_SLABS];  /* slabs[0] is this header: meta stays NULL */
    char *rx;                         /* executable view of the segment (exec kinds) */
    uint8_t kind;
    uint32_t formatted;               /* slabs [1, formatted) have a class */
} lai_segment_t;

/* Which 4 MiB granules of the 47-bit address space hold pool segments: one bit
 * each (4 MiB of zero-initialised address space, touched only where segments are).
 * Bits are set once, after the descriptor is written (segments are never unmapped). */
#define LAI_ADDR_BITS 47
#define LAI_SEG_WORDS ((size_t)1 << (LAI_ADDR_BITS - LAI_SEG_SHIFT - 6))
LA_INTERNAL extern _Atomic uint64_t lai_seg_bits[LAI_SEG_WORDS];

/* Segment holding `p`, NULL if none (lock-free). */
static inline lai_segment_t *lai_segment_of(const void *p) {
    uintptr_t a = (uintptr_t)p;
    uintptr_t word = a >> (LAI_SEG_SHIFT + 6); /* < LAI_SEG_WORDS iff a < 2^47 */
    if (LA_UNLIKELY(word >= LAI_SEG_WORDS)) return NULL;
    uint64_t w = atomic_load_explicit(&lai_seg_bits[word], memory_order_acquire);
    if (LA_UNLIKELY(!((w >> ((a >> LAI_SEG_SHIFT) & 63)) & 1))) return NULL;
    return (lai_segment_t *)(a & ~(uintptr_t)(LAI_SEG_SIZE - 1));
}

/* Where a slab block lives. */
typedef struct lai_blockref {
    lai_slab_t *slab;
    _Atomic uint32_t *meta;   /* this block's slot record */
} lai_blockref_t;

/* Resolve `p` to its slab slot. 0, or ENOENT (not in a slab segment) or EFAULT (in a
 * segment but not the start of a slot of a formatted slab). Lock-free. */
static inline int lai_slab_resolve(const void *p, lai_blockref_t *ref) {
    lai_segment_t *seg = lai_segment_of(p);
    if (LA_UNLIKELY(!seg)) return ENOENT;
    uint32_t off = (uint32_t)((uintptr_t)p & (LAI_SEG_SIZE - 1));
    lai_slab_t *s = &seg->slabs[off >> LAI_SLAB_SHIFT];
    _Atomic uint32_t *meta = atomic_load_explicit(&s->meta, memory_order_acquire);
    if (LA_UNLIKELY(!meta)) return EFAULT;
    uint32_t so = off & (uint32_t)(LAI_SLAB_SIZE - 1);
    uint32_t j;
    if (LA_UNLIKELY(!lai_slot_of(so & s->unit_mask, s->size_inv, &j) || j >= s->per_unit)) return EFAULT;
    ref->slab = s;
    ref->meta = meta + ((so >> s->unit_shift) * s->per_unit + j);
    return 0;
}

/* A free block in a thread front, with its slot record (so allocation needs no lookup). */
typedef struct lai_fitem {
    void *p;
    _Atomic uint32_t *meta;
} lai_fitem_t;

/* Hand out up to n free blocks of (kind, cls) into out[]; returns how many (>= 1) or
 * 0 with *err set (ENOMEM, EACCES). Blocks' slot records are 0 (free). */
LA_INTERNAL unsigned lai_slab_refill(unsigned kind, unsigned cls, lai_fitem_t *out, unsigned n,
                                     int *err);
/* Take back n blocks of (kind, cls) whose slot records are 0. */
LA_INTERNAL void lai_slab_release(unsigned kind, unsigned cls, const lai_fitem_t *items, unsigned n);
/* Give every wholly free slab back to the OS. */
LA_INTERNAL void lai_slab_trim(void);
/* Fill the process-wide figures owned by the slab layer. */
LA_INTERNAL void lai_slab_stats(la_pool_stats_t *out);
/* Executable view of a slab block, NULL if its kind is not executable. */
LA_INTERNAL void *lai_slab_exec_view(const void *p);

/* ---- big blocks (pool_big.c) ------------------------------------------------------------ */

/* Map a big block of at least `size` bytes charged to record `idx`. NULL + *err. */
LA_INTERNAL void *lai_big_alloc(unsigned kind, size_t size, uint32_t idx, size_t *block_size,
                                int *err);
/* Mapped size of a big block for a request, 0 if it cannot be represented. */
LA_INTERNAL size_t lai_big_block_size(size_t size);
/* Look up a live big block: 0 with its record index and size, ENOENT if unknown,
 * EALREADY if it was a big block that is free now. */
LA_INTERNAL int lai_big_lookup(const void *p, uint32_t *idx, size_t *size, void **rx);
/* Free a live big block (after lai_big_lookup said it is live). Returns 0 or EALREADY
 * when another thread freed it first. */
LA_INTERNAL int lai_big_free(void *p);
LA_INTERNAL void lai_big_trim(void);
LA_INTERNAL void lai_big_stats(la_pool_stats_t *out);

/* ---- tags and per-thread state (pool_tags.c) ---------------------------------------------- */

/* Hot counters: each direction's traffic since the thread's last drain packed in one
 * word, (bytes << LAI_PEND_SHIFT) + operations, so counting an operation is one add
 * of a per-class constant and the drain test one compare. A drain (lai_fold) moves
 * both words into the wide counters when either reaches LAI_FOLD_BYTES of bytes;
 * bytes per operation are >= 16, so the operation field stays below 2^13. */
#define LAI_PEND_SHIFT 20
#define LAI_PEND_INC(bytes) (((uint64_t)(bytes) << LAI_PEND_SHIFT) + 1u)
#define LAI_PEND_LIMIT ((uint64_t)LAI_FOLD_BYTES << LAI_PEND_SHIFT)
#define LAI_PEND_OPS(w) ((w) & (((uint64_t)1 << LAI_PEND_SHIFT) - 1))
#define LAI_PEND_BYTES(w) ((w) >> LAI_PEND_SHIFT)

typedef struct lai_counter {
    _Atomic uint64_t pend_in, pend_out; /* owner writes, anyone reads: packed, since the last drain */
    _Atomic uint64_t allocs, frees, bytes_in, bytes_out, failures; /* wide: as of the last drain */
    _Atomic uint64_t seq;              /* odd while a drain moves pend_* into the wide counters */
    uint64_t mark;                     /* owner only: bytes_in - bytes_out at the last fold */
} lai_counter_t;

typedef struct lai_front {
    lai_fitem_t *items;
    uint32_t count;
    uint32_t cap;
    uint64_t pend_inc;                 /* LAI_PEND_INC(class size) */
    uint64_t pad_;                     /* 32 bytes: fronts are indexed with a shift */
} lai_front_t;

/* A thread front's index: [class][kind], so the allocation path needs a shift and an or. */
#define LAI_FRONT_IDX(kind, cls) ((cls) * LA_POOL_KIND_COUNT + (kind))
#define LAI_FRONT_KIND(fidx) ((fidx) % LA_POOL_KIND_COUNT)
#define LAI_FRONT_CLASS(fidx) ((fidx) / LA_POOL_KIND_COUNT)

/* An empty key-cache slot: its key (v >> 14) is above any real key (< 2^34), so it
 * never matches, not even tag 0 of kind 0. */
#define LAI_KEY_EMPTY UINT64_MAX

typedef struct lai_key_slot {
    uint64_t v;                               /* (key << 14) | index; LAI_KEY_EMPTY */
    lai_counter_t *c;                         /* this thread's counter for the index */
} lai_key_slot_t;

typedef struct lai_thread {
    /* The allocation fast path reads these first: the last (tag, kind) used. */
    uint64_t mru_key;                         /* (kind << 32) | tag; UINT64_MAX when none */
    uint32_t mru_idx;
    lai_counter_t *mru_c;
    struct lai_thread *next, *prev;           /* registry, under the tag lock */
    _Atomic(lai_counter_t *) chunks[LAI_MAX_RECS / LAI_REC_CHUNK];
    lai_key_slot_t key_cache[16];             /* recently used (tag, kind) -> index, counter */
    bool orphan;                              /* the shared state of exited threads */
    lai_front_t front[LA_POOL_KIND_COUNT * LAI_NCLASSES]; /* [LAI_FRONT_IDX(kind, class)] */
} lai_thread_t;

typedef struct lai_tag_rec {
    la_tag_t tag;
    uint8_t kind;
    /* counters of exited threads, under the tag lock */
    uint64_t r_allocs, r_frees, r_bytes_in, r_bytes_out, r_failures;
    _Atomic int64_t folded;        /* bytes folded from threads */
    _Atomic uint64_t peak;
    _Atomic uint64_t soft, hard;   /* budgets, 0 = none */
    _Atomic int soft_warned;
    _Atomic uint64_t denials, mismatches;
    _Atomic int mismatch_reported;
} lai_tag_rec_t;

/* The calling thread's state (created on first use; the orphan after thread exit). */
LA_INTERNAL lai_thread_t *lai_thread_slow(void);
/* What lai_tl_thread points to while a thread has no state of its own (never NULL,
 * so the fast paths need no test of their own): never written, its most-recent key
 * never matches and it has no counters, so both fast paths fall through. */
LA_INTERNAL extern lai_thread_t lai_no_thread;
/* The thread pointer, in a 64-byte-aligned TLS slot at byte 40: every call reads it
 * first, and at an address that is a block start modulo 4 KiB (a multiple of 16 —
 * in a thread it landed on 0x600, a slot of every power-of-two class) the load
 * falsely waited on the caller's store to the first word of a block ("4K aliasing":
 * batch of 1000 at 512 B ran 1.2 ns slower per pair). Offset 40 is never a block start.
 * initial-exec here too, not only at the definition: without it every file that reads
 * the pointer in a -fPIC build calls __tls_get_addr (general dynamic), and the call
 * makes the fast paths save registers even where the linker relaxes it away. */
typedef struct lai_tls {
    _Alignas(64) uint64_t pad_[5];
    lai_thread_t *thread;
} lai_tls_t;
LA_INTERNAL extern _Thread_local lai_tls_t lai_tls __attribute__((tls_model("initial-exec")));
#define lai_tl_thread (lai_tls.thread)
static inline lai_thread_t *lai_thread(void) {
    lai_thread_t *t = lai_tl_thread;
    return LA_LIKELY(t != &lai_no_thread) ? t : lai_thread_slow();
}
/* The state shared by threads that already exited (and used when a thread's own
 * state cannot be allocated). Operations on it hold its lock. */
LA_INTERNAL lai_thread_t *lai_orphan(void);
LA_INTERNAL void lai_orphan_lock(lai_thread_t *t);
LA_INTERNAL void lai_orphan_unlock(lai_thread_t *t);

/* Record index of (tag, kind), creating it; 0 when the table is full or the tag is
 * not valid. Fills the thread's key cache and most-recent key (never the orphan's). */
LA_INTERNAL uint32_t lai_tag_index_slow(lai_thread_t *t, la_tag_t tag, unsigned kind);
static inline unsigned lai_key_hash(la_tag_t tag, unsigned kind) {
    return (uint32_t)((tag + kind) * 0x9E3779B1u) >> 28;
}
static inline uint32_t lai_tag_index(lai_thread_t *t, la_tag_t tag, unsigned kind) {
    uint64_t key = ((uint64_t)kind << 32) | tag;
    uint64_t v = t->key_cache[lai_key_hash(tag, kind)].v;
    if (LA_LIKELY((v >> 14) == key)) return (uint32_t)(v & 0x3fff);
    return lai_tag_index_slow(t, tag, kind);
}
/* Existing index of (tag, kind), 0 if never used (no creation). */
LA_INTERNAL uint32_t lai_tag_find(la_tag_t tag, unsigned kind);
LA_INTERNAL lai_tag_rec_t *lai_tag_rec(uint32_t idx);
LA_INTERNAL uint32_t lai_tag_count(void); /* records in use + 1 */

/* This thread's counter for idx (allocating its chunk); NULL when out of memory. */
LA_INTERNAL lai_counter_t *lai_counter_slow(lai_thread_t *t, uint32_t idx);
static inline lai_counter_t *lai_counter(lai_thread_t *t, uint32_t idx) {
    lai_counter_t *c = atomic_load_explicit(&t->chunks[idx / LAI_REC_CHUNK], memory_order_relaxed);
    if (LA_LIKELY(c != NULL)) return c + (idx % LAI_REC_CHUNK);
    return lai_counter_slow(t, idx);
}

/* Number of records with a budget (a cheap test on the hot path). */
LA_INTERNAL extern _Atomic uint32_t lai_budgeted_recs;

static inline void lai_bump(_Atomic uint64_t *c, uint64_t by) {
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                          memory_order_relaxed);
}

/* Drain this thread's packed words into the wide counters, then fold its drift
 * (bytes_in - bytes_out - mark) into the record's total: peak and soft budget
 * checks happen here. Owner only (the orphan's under its lock). */
LA_INTERNAL void lai_fold(uint32_t idx, lai_counter_t *c);
/* Charge an allocation of `bytes` to a budgeted record: 0, or EDQUOT (nothing charged). */
LA_INTERNAL int lai_budget_charge(uint32_t idx, lai_counter_t *c, uint64_t bytes);
/* Count one operation of `bytes` straight into the wide counters and fold (blocks
 * of LAI_FOLD_BYTES or more, which the packed words are not made for). */
LA_INTERNAL void lai_count_wide(uint32_t idx, lai_counter_t *c, bool is_free, uint64_t bytes);

/* Count an operation on this thread's counter: one add to the packed word; a drain
 * every LAI_FOLD_BYTES of traffic in either direction (or every operation of a
 * budgeted record). */
static inline void lai_count(uint32_t idx, lai_counter_t *c, bool is_free, uint64_t bytes,
                             bool budgeted) {
    if (LA_UNLIKELY(bytes >= LAI_FOLD_BYTES)) {
        lai_count_wide(idx, c, is_free, bytes);
        return;
    }
    _Atomic uint64_t *pw = is_free ? &c->pend_out : &c->pend_in;
    uint64_t w = atomic_load_explicit(pw, memory_order_relaxed) + LAI_PEND_INC(bytes);
    atomic_store_explicit(pw, w, memory_order_relaxed);
    if (LA_UNLIKELY(w >= LAI_PEND_LIMIT || budgeted)) lai_fold(idx, c);
}
static inline void lai_count_alloc(lai_thread_t *t, uint32_t idx, lai_counter_t *c, uint64_t bytes) {
    (void)t;
    lai_count(idx, c, false, bytes, false);
}
static inline void lai_count_free(lai_thread_t *t, uint32_t idx, lai_counter_t *c, uint64_t bytes,
                                  bool budgeted) {
    (void)t;
    lai_count(idx, c, true, bytes, budgeted);
}

/* Fold every counter of the calling thread that drifted (readers do this first). */
LA_INTERNAL void lai_fold_self(void);

/* Sum of one record over all threads (caller holds nothing). */
LA_INTERNAL void lai_tag_sum(uint32_t idx, la_pool_tag_info_t *out);

/* ---- thread front (pool_cache.c) ------------------------------------------------------------ */

/* Pop a free block of (kind, cls) for this thread (refilling the front); 0 or errno. */
LA_INTERNAL int lai_front_refill(lai_thread_t *t, unsigned kind, unsigned cls, lai_fitem_t *out);
/* Push a free block (its slot record already 0) when the front is full. */
LA_INTERNAL void lai_front_overflow(lai_thread_t *t, unsigned kind, unsigned cls, lai_fitem_t item);
/* Return all of a thread's cached blocks to the slabs. */
LA_INTERNAL void lai_front_flush_all(lai_thread_t *t);
LA_INTERNAL uint64_t lai_front_cached_bytes(lai_thread_t *t);

/* Test hook: non-zero makes every new executable mapping fail with EACCES, as a
 * system that refuses executable memory would (tests/unit, tests/fault). */
LA_INTERNAL extern _Atomic int lai_pool_refuse_exec;

/* ---- misc (pool.c) ------------------------------------------------------------------------ */

LA_INTERNAL void lai_pool_env_init(void);

#endif /* LA_POOL_IMPL_H */
