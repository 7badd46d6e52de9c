/* pool.c — the tagged pool's front end: la_pool_alloc / la_pool_free and friends.
 *
 * What: checks arguments, picks the size class or the big path, charges the block
 * to its (tag, kind) record on the calling thread, and detects misuse on free (a
 * pointer the pool never handed out, a double free, a wrong tag). Also the raise
 * handler, strict mode and the process-wide figures.
 *
 * Why the two paths: the common case — a valid small request on a registered
 * thread with no budget anywhere, with the (tag, kind) the thread used last — runs
 * against the thread's state with no lock and no atomic read-modify-write: a pop
 * from the thread front, one slot-record store and one add to the thread's packed
 * counter word (pool_impl.h, LAI_PEND_*); a free is the exact slot lookup, one
 * store, a push and one add. Each fast path is a leaf that reaches its slow path
 * by one tail call with the caller's arguments (no registers saved), and reads the
 * thread pointer as initial-exec TLS (one %fs load, also in the shared library).
 * Everything else (other tags, cache-aligned, big blocks, budgets, threads past
 * their exit hook, failures) takes alloc_slow / alloc_general, which are correct
 * for every case; the fast path is only a shortcut through them.
 *
 * Misuse rules (pool.h): bad pointer -> LA_FATAL_BAD_POINTER, double free ->
 * LA_FATAL_DOUBLE_FREE, wrong tag -> LA_FATAL_TAG_MISMATCH in strict mode, else
 * counted and reported once per allocating tag. If a fatal handler returns, the
 * free is abandoned before anything is modified.
 *
 * Invariants: a block's slot record is non-zero exactly while a user owns it; the
 * record is set before the block is returned and cleared before it goes back to a
 * front, so a second free sees 0. Output (la_printf, la_fatal, the raise handler)
 * is never produced while a slab or big-block lock is held.
 * Lock order: see pool_impl.h. */
#include "pool_impl.h"

#include "binding.h"
#include "publish_internal.h"

#include <stdlib.h>
#include <string.h>

static _Atomic uint64_t st_invalid_tags, st_mismatches, st_bad_frees;

/* ---- small helpers ------------------------------------------------------------------ */

/* la_tag_valid without a loop: every byte in 0x20..0x7E. */
static inline bool tag_ok(la_tag_t x) {
    const uint32_t h = 0x80808080u;
    uint32_t ge20 = (x | h) - 0x20202020u;            /* high bit set iff byte >= 0x20 */
    uint32_t le7e = 0xFEFEFEFEu - (x & 0x7F7F7F7Fu);  /* high bit set iff low 7 bits <= 0x7E */
    return (ge20 & le7e & ~x & h) == h;
}

const char *la_pool_kind_name(la_pool_kind_t kind) {
    static const char *const names[LA_POOL_KIND_COUNT] = {"Paged", "Nonp", "PgEx", "NpEx"};
    return (unsigned)kind < LA_POOL_KIND_COUNT ? names[kind] : "?";
}

static const char *err_name(int e) {
    switch (e) {
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EDQUOT: return "EDQUOT";
    case EACCES: return "EACCES";
    case ENOTSUP: return "ENOTSUP";
    default: return "error";
    }
}

static bool rec_budgeted(uint32_t idx) {
    lai_tag_rec_t *r = lai_tag_rec(idx);
    return atomic_load_explicit(&r->hard, memory_order_relaxed) ||
           atomic_load_explicit(&r->soft, memory_order_relaxed);
}

/* ---- strict mode ---------------------------------------------------------------------- */

static _Atomic int strict_mode = -1; /* -1: not decided yet (environment at first use) */

void la_pool_strict_set(bool strict) {
    atomic_store_explicit(&strict_mode, strict ? 1 : 0, memory_order_relaxed);
}

bool la_pool_strict(void) {
    int s = atomic_load_explicit(&strict_mode, memory_order_relaxed);
    if (s < 0) {
        lai_pool_env_init();
        s = atomic_load_explicit(&strict_mode, memory_order_relaxed);
    }
    return s > 0;
}

void lai_pool_env_init(void) {
    static _Atomic int done;
    if (atomic_exchange_explicit(&done, 1, memory_order_acq_rel)) return;
    const char *s = getenv("LA_POOL_STRICT");
    int want = (s && s[0] == '1') ? 1 : 0, expect = -1;
    atomic_compare_exchange_strong(&strict_mode, &expect, want);
    const char *l = getenv("LA_POOL_LEAK_REPORT");
    if (l && l[0] == '1') la_pool_leak_report_at_exit(true);
    lai_publish_from_env_once(); /* LA_PUBLISH, also in static programs */
}

/* ---- raise handler ---------------------------------------------------------------------- */

static lai_binding_slot_t raise_slot;

void la_raise_handler_set(la_raise_handler_fn *fn, void *arg) {
    (void)lai_binding_set(&raise_slot, (lai_any_fn *)fn, arg); /* ENOMEM keeps the previous one */
}

/* The allocation failed with `err`: raise if asked, then NULL + errno. */
static LA_NOINLINE void *fail_out(int err, size_t size, la_tag_t tag, unsigned flags) {
    if (flags & LA_POOL_F_RAISE) {
        const lai_binding_t *b = lai_binding_get(&raise_slot);
        if (b) {
            ((la_raise_handler_fn *)b->fn)(err, size, tag, b->arg);
        } else {
            char tb[5];
            la_fatal(LA_FATAL_RAISE, NULL, NULL, 0,
                     "pool allocation of %zu bytes with tag '%s' failed: %s (%d)", size,
                     la_tag_format(tag, tb), err_name(err), err);
        }
    }
    errno = err;
    return NULL;
}

/* ---- allocation -------------------------------------------------------------------------- */

static LA_NOINLINE void *alloc_general(unsigned type, size_t size, la_tag_t tag, unsigned flags) {
    if ((type & ~LA_POOL_TYPE_MASK) || (flags & ~LA_POOL_F_MASK)) return fail_out(EINVAL, size, tag, flags);
    if (!tag_ok(tag)) {
        atomic_fetch_add_explicit(&st_invalid_tags, 1, memory_order_relaxed);
        return fail_out(EINVAL, size, tag, flags);
    }
    unsigned kind = la_pool_kind_of(type);
    int cls = size <= LAI_SLAB_MAX_BLOCK ? lai_class_of(size, (type & LA_POOL_CACHE_ALIGNED) != 0) : -1;
    size_t bsize = cls >= 0 ? lai_classes[cls].size : lai_big_block_size(size);

    lai_thread_t *t = lai_thread();
    lai_orphan_lock(t);
    uint32_t idx = lai_tag_index(t, tag, kind);
    lai_counter_t *c = idx ? lai_counter(t, idx) : NULL;
    if (idx && !c && !t->orphan) {
        t = lai_orphan();
        lai_orphan_lock(t);
        c = lai_counter(t, idx);
    }
    int err = 0;
    void *p = NULL;
    bool budgeted = false;
    if (!idx || !bsize) {
        err = ENOMEM;
        goto fail;
    }
    budgeted = c && atomic_load_explicit(&lai_budgeted_recs, memory_order_relaxed) && rec_budgeted(idx);
    if (budgeted) {
        err = lai_budget_charge(idx, c, bsize);
        if (err) goto fail;
    }
    if (cls >= 0) {
        lai_fitem_t it;
        err = lai_front_refill(t, kind, (unsigned)cls, &it);
        if (!err) {
            p = it.p;
            atomic_store_explicit(it.meta, idx, memory_order_relaxed);
        }
    } else {
        size_t got;
        p = lai_big_alloc(kind, size, idx, &got, &err);
    }
    if (!p) {
        if (budgeted) atomic_fetch_sub_explicit(&lai_tag_rec(idx)->folded, (int64_t)bsize, memory_order_relaxed);
        goto fail;
    }
    if (c) {
        if (budgeted) {
            /* Already charged to the record's total: count it and move the mark. */
            lai_bump(&c->allocs, 1);
            lai_bump(&c->bytes_in, bsize);
            c->mark += bsize;
        } else {
            lai_count_alloc(t, idx, c, bsize);
        }
    }
    lai_orphan_unlock(t);
    if (flags & LA_POOL_F_ZERO) memset(p, 0, size);
    return p;
fail:
    if (c) lai_bump(&c->failures, 1);
    lai_orphan_unlock(t);
    return fail_out(err ? err : ENOMEM, size, tag, flags);
}

/* The rare tail of the fast path: drain and fold the thread's counter, zero the block. */
static LA_NOINLINE void *alloc_finish(void *p, uint32_t idx, lai_counter_t *c, size_t size,
                                      unsigned flags) {
    if (atomic_load_explicit(&c->pend_in, memory_order_relaxed) >= LAI_PEND_LIMIT) lai_fold(idx, c);
    if (flags & LA_POOL_F_ZERO) memset(p, 0, size);
    return p;
}

/* Every miss of the fast path comes here with the caller's arguments unchanged (one
 * tail call, so the fast path needs no registers saved). When only the key missed —
 * another (tag, kind) than the thread's last one — a hit in the thread's key cache
 * makes it the last one and retries the fast path, which then matches the key, so
 * this is not entered twice for one call; anything else takes the general path. */
static LA_NOINLINE void *alloc_slow(unsigned type, size_t size, la_tag_t tag, unsigned flags) {
    lai_thread_t *t = lai_tl_thread;
    unsigned kind = la_pool_kind_of(type);
    uint64_t key = ((uint64_t)kind << 32) | tag;
    if (t != &lai_no_thread && size <= LAI_UNIT && key != t->mru_key &&
        ((type & ~(unsigned)(LA_POOL_LOCKED | LA_POOL_EXECUTE)) | (flags & ~LA_POOL_F_MASK)) == 0) {
        const lai_key_slot_t *ks = &t->key_cache[lai_key_hash(tag, kind)];
        if ((ks->v >> 14) == key) {
            t->mru_key = key;
            t->mru_idx = (uint32_t)(ks->v & 0x3fff);
            t->mru_c = ks->c;
            return la_pool_alloc(type, size, tag, flags);
        }
    }
    return alloc_general(type, size, tag, flags);
}

void *la_pool_alloc(unsigned type, size_t size, la_tag_t tag, unsigned flags) {
    /* Fast path: a small request, no cache alignment, known flags, no budget
     * anywhere, the (tag, kind) this thread used last (only valid tags get there,
     * never on the orphan), and a block in the thread front: a pop, one slot-record
     * store and one add to the packed counter. Anything else, and every failure,
     * goes through alloc_slow. */
    lai_thread_t *t = lai_tl_thread; /* lai_no_thread fails the key test */
    if (LA_LIKELY(size <= LAI_UNIT && (flags & ~LA_POOL_F_MASK) == 0 &&
                  atomic_load_explicit(&lai_budgeted_recs, memory_order_relaxed) == 0 &&
                  /* The whole type against the kind (< 4) in the key: a modifier or
                   * unknown type bit fails it, and type is the kind past it. */
                  (((uint64_t)type << 32) | tag) == t->mru_key)) {
        lai_front_t *f = &t->front[LAI_FRONT_IDX(type, lai_small_class[(size + 15) >> 4])];
        uint32_t n = f->count;
        if (LA_LIKELY(n != 0)) {
            const lai_fitem_t *it = &f->items[n - 1];
            lai_counter_t *c = t->mru_c;
            void *p = it->p;
            f->count = n - 1;
            atomic_store_explicit(it->meta, t->mru_idx, memory_order_relaxed);
            uint64_t w = atomic_load_explicit(&c->pend_in, memory_order_relaxed) + f->pend_inc;
            atomic_store_explicit(&c->pend_in, w, memory_order_relaxed);
            if (LA_UNLIKELY(w >= LAI_PEND_LIMIT || (flags & LA_POOL_F_ZERO)))
                return alloc_finish(p, t->mru_idx, c, size, flags);
            return p;
        }
    }
    return alloc_slow(type, size, tag, flags);
}

/* ---- misuse reports ------------------------------------------------------------------------ */

static LA_NOINLINE void report_bad(void *p, const char *file, int line, int why) {
    atomic_fetch_add_explicit(&st_bad_frees, 1, memory_order_relaxed);
    if (why == EALREADY)
        la_fatal(LA_FATAL_DOUBLE_FREE, p, file, line, "pool block %p is not allocated (double free?)", p);
    else
        la_fatal(LA_FATAL_BAD_POINTER, p, file, line, "pointer %p was not handed out by the pool", p);
}

/* Returns true when the free must be abandoned (strict mode, handler returned). */
static LA_NOINLINE bool tag_mismatch(void *p, uint32_t idx, la_tag_t given, const char *file, int line) {
    lai_tag_rec_t *r = lai_tag_rec(idx);
    char a[5], b[5];
    la_tag_format(r->tag, a);
    la_tag_format(given, b);
    atomic_fetch_add_explicit(&r->mismatches, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st_mismatches, 1, memory_order_relaxed);
    if (la_pool_strict()) {
        la_fatal(LA_FATAL_TAG_MISMATCH, p, file, line,
                 "pool block %p allocated with tag '%s' (%s) freed with tag '%s'", p, a,
                 la_pool_kind_name((la_pool_kind_t)r->kind), b);
        return true;
    }
    if (atomic_exchange_explicit(&r->mismatch_reported, 1, memory_order_relaxed) == 0) {
        if (file)
            la_printf("lookaside: pool: block %p allocated with tag '%s' (%s) freed with tag '%s' "
                      "at %s:%d (counted; reported once per tag; strict mode makes it fatal)\n",
                      p, a, la_pool_kind_name((la_pool_kind_t)r->kind), b, file, line);
        else
            la_printf("lookaside: pool: block %p allocated with tag '%s' (%s) freed with tag '%s' "
                      "(counted; reported once per tag; strict mode makes it fatal)\n",
                      p, a, la_pool_kind_name((la_pool_kind_t)r->kind), b);
    }
    return false;
}

/* ---- free ---------------------------------------------------------------------------------- */

/* Count a free of `bytes` charged to idx on this thread (or the orphan). */
static void count_free_general(uint32_t idx, uint64_t bytes) {
    lai_thread_t *t = lai_thread();
    lai_orphan_lock(t);
    lai_counter_t *c = lai_counter(t, idx);
    if (!c && !t->orphan) {
        t = lai_orphan();
        lai_orphan_lock(t);
        c = lai_counter(t, idx);
    }
    if (c) {
        bool budgeted = atomic_load_explicit(&lai_budgeted_recs, memory_order_relaxed) && rec_budgeted(idx);
        lai_count_free(t, idx, c, bytes, budgeted);
    }
    lai_orphan_unlock(t);
}

static LA_NOINLINE void free_big(void *p, la_tag_t tag, const char *file, int line, int why) {
    if (why == EFAULT) {
        report_bad(p, file, line, EFAULT);
        return;
    }
    uint32_t idx;
    size_t size;
    int e = lai_big_lookup(p, &idx, &size, NULL);
    if (e) {
        report_bad(p, file, line, e);
        return;
    }
    if (tag && lai_tag_rec(idx)->tag != tag && tag_mismatch(p, idx, tag, file, line)) return;
    if (lai_big_free(p) != 0) {
        report_bad(p, file, line, EALREADY); /* another thread freed it meanwhile */
        return;
    }
    count_free_general(idx, size);
}

static LA_NOINLINE void free_slab_general(void *p, const lai_blockref_t *ref, uint32_t idx) {
    lai_thread_t *t = lai_thread();
    unsigned kind = ref->slab->kind, cls = LAI_FRONT_CLASS(ref->slab->front_idx);
    atomic_store_explicit(ref->meta, 0, memory_order_relaxed);
    count_free_general(idx, ref->slab->size);
    lai_orphan_lock(t);
    lai_fitem_t it = {p, ref->meta};
    lai_front_t *f = &t->front[LAI_FRONT_IDX(kind, cls)];
    if (f->count < f->cap) f->items[f->count++] = it;
    else lai_front_overflow(t, kind, cls, it);
    lai_orphan_unlock(t);
}

/* The fast path's checks passed but the front is full (or not set up): the same
 * free, with the front spilling half its blocks to the slabs. */
static LA_NOINLINE void free_overflow(lai_thread_t *t, const lai_slab_t *s, void *p,
                                      _Atomic uint32_t *meta, uint32_t idx, lai_counter_t *c) {
    atomic_store_explicit(meta, 0, memory_order_relaxed);
    lai_fitem_t it = {p, meta};
    unsigned fidx = s->front_idx;
    lai_front_overflow(t, LAI_FRONT_KIND(fidx), LAI_FRONT_CLASS(fidx), it);
    lai_count_free(t, idx, c, s->size, false);
}

/* Everything but the common case: not a slab block, not allocated, a tag to check,
 * a thread without state, budgets. Re-resolves; correct for every case. */
static LA_NOINLINE void free_general(void *p, la_tag_t tag, const char *file, int line) {
    if (!p) return;
    lai_blockref_t ref;
    int e = lai_slab_resolve(p, &ref);
    if (e != 0) {
        free_big(p, tag, file, line, e);
        return;
    }
    uint32_t idx = atomic_load_explicit(ref.meta, memory_order_relaxed);
    if (idx == 0) {
        report_bad(p, file, line, EALREADY);
        return;
    }
    if (tag && lai_tag_rec(idx)->tag != tag && tag_mismatch(p, idx, tag, file, line)) return;
    free_slab_general(p, &ref, idx);
}

/* The common case inline: a live slab block, no tag check, a registered thread with
 * a counter for the record, no budgets, room in the front. Every check comes before
 * the first store, so a misuse found by free_general leaves everything as it was. */
static inline __attribute__((always_inline)) void free_fast(void *p, la_tag_t tag,
                                                             const char *file, int line) {
    lai_thread_t *t = lai_tl_thread;
    uintptr_t a = (uintptr_t)p;
    uintptr_t word = a >> (LAI_SEG_SHIFT + 6); /* lai_slab_resolve, written out */
    if (LA_UNLIKELY(tag != 0 || word >= LAI_SEG_WORDS)) goto general;
    if (LA_UNLIKELY(!((atomic_load_explicit(&lai_seg_bits[word], memory_order_acquire) >>
                       ((a >> LAI_SEG_SHIFT) & 63)) & 1)))
        goto general;
    lai_slab_t *s = &((lai_segment_t *)(a & ~(uintptr_t)(LAI_SEG_SIZE - 1)))
                         ->slabs[(a >> LAI_SLAB_SHIFT) & (LAI_SEG_SLABS - 1)];
    _Atomic uint32_t *meta = atomic_load_explicit(&s->meta, memory_order_acquire);
    if (LA_UNLIKELY(!meta)) goto general;
    uint32_t so = (uint32_t)a & (uint32_t)(LAI_SLAB_SIZE - 1);
    uint32_t j;
    if (LA_UNLIKELY(!lai_slot_of(so & s->unit_mask, s->size_inv, &j) || j >= s->per_unit)) goto general;
    meta += (so >> s->unit_shift) * s->per_unit + j;
    uint32_t idx = atomic_load_explicit(meta, memory_order_relaxed);
    if (LA_UNLIKELY(idx == 0 || atomic_load_explicit(&lai_budgeted_recs, memory_order_relaxed) != 0))
        goto general;
    /* The counter: the thread's last allocation record's, or from its chunk. */
    lai_counter_t *c = t->mru_c;
    if (LA_UNLIKELY(idx != t->mru_idx)) {
        c = atomic_load_explicit(&t->chunks[idx / LAI_REC_CHUNK], memory_order_relaxed);
        if (LA_UNLIKELY(c == NULL)) goto general;
        c += idx % LAI_REC_CHUNK;
    }
    lai_front_t *f = (lai_front_t *)(void *)((char *)t + s->front_off); /* &t->front[front_idx] */
    uint32_t n = f->count;
    lai_fitem_t *items = f->items;
    uint64_t inc = f->pend_inc;
    if (LA_UNLIKELY(n >= f->cap)) {
        free_overflow(t, s, p, meta, idx, c);
        return;
    }
    atomic_store_explicit(meta, 0, memory_order_relaxed);
    items[n].p = p;
    items[n].meta = meta;
    f->count = n + 1;
    uint64_t w = atomic_load_explicit(&c->pend_out, memory_order_relaxed) + inc;
    atomic_store_explicit(&c->pend_out, w, memory_order_relaxed);
    if (LA_UNLIKELY(w >= LAI_PEND_LIMIT)) lai_fold(idx, c);
    return;
general:
    free_general(p, tag, file, line);
}

/* NULL fails the segment test (no segment starts at address 0) and is ignored by
 * free_general, so the fast path carries no test of its own for it. */
void la_pool_free_at(void *p, la_tag_t tag, const char *file, int line) {
    free_fast(p, tag, file, line);
}

void la_pool_free(void *p) {
    free_fast(p, 0, NULL, 0);
}

void la_pool_free_tag(void *p, la_tag_t tag) {
    free_fast(p, tag, NULL, 0);
}

/* ---- queries ---------------------------------------------------------------------------------- */

/* Record index and size of a live block; reports and returns false otherwise. */
static bool live_block(const void *p, uint32_t *idx, size_t *size, void **rx) {
    lai_blockref_t ref;
    int e = lai_slab_resolve(p, &ref);
    if (e == 0) {
        *idx = atomic_load_explicit(ref.meta, memory_order_relaxed);
        if (*idx == 0) e = EALREADY;
        *size = ref.slab->size;
        if (rx) *rx = lai_slab_exec_view(p);
    } else if (e == ENOENT) {
        e = lai_big_lookup(p, idx, size, rx);
    }
    if (e) {
        atomic_fetch_add_explicit(&st_bad_frees, 1, memory_order_relaxed);
        la_fatal(LA_FATAL_BAD_POINTER, p, NULL, 0, "pointer %p is not a live pool block", p);
        return false;
    }
    return true;
}

size_t la_pool_block_size(const void *p) {
    uint32_t idx;
    size_t size;
    return live_block(p, &idx, &size, NULL) ? size : 0;
}

la_tag_t la_pool_block_tag(const void *p) {
    uint32_t idx;
    size_t size;
    return live_block(p, &idx, &size, NULL) ? lai_tag_rec(idx)->tag : 0;
}

void *la_pool_exec_view(const void *p) {
    uint32_t idx;
    size_t size;
    void *rx = NULL;
    if (!live_block(p, &idx, &size, &rx)) {
        errno = EINVAL;
        return NULL;
    }
    if (!rx) errno = EINVAL;
    return rx;
}

/* ---- process-wide -------------------------------------------------------------------------------- */

void la_pool_stats_get(la_pool_stats_t *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    lai_slab_stats(out);
    lai_big_stats(out);
    out->invalid_tag_failures = atomic_load_explicit(&st_invalid_tags, memory_order_relaxed);
    out->tag_mismatches = atomic_load_explicit(&st_mismatches, memory_order_relaxed);
    out->bad_frees = atomic_load_explicit(&st_bad_frees, memory_order_relaxed);
}

void la_pool_trim(void) {
    lai_thread_t *t = lai_thread();
    if (!t->orphan) lai_front_flush_all(t);
    lai_slab_trim();
    lai_big_trim();
}
