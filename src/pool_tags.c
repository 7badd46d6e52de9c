/* pool_tags.c — per-tag accounting: the (tag, kind) registry, per-thread counters
 * summed on read, thread state and its exit hook, peaks and budgets.
 *
 * What: every (tag, kind) pair gets a small index (1..LAI_MAX_RECS-1) the first
 * time it is used; slab slot records and big-block entries store that index, so
 * a free on any thread knows the block's tag. Each thread owns an array of
 * counters indexed the same way (allocs, frees, bytes in, bytes out, failures):
 * the owner updates them with plain relaxed load+store (no atomic read-modify-write,
 * no shared cache line), readers sum every thread's counters plus the totals left
 * by exited threads. On the hot path each direction is one packed word,
 * (bytes << LAI_PEND_SHIFT) + operations since the last drain, so an operation is
 * one add; lai_fold drains both words into the wide counters every LAI_FOLD_BYTES
 * of traffic. A drain is the only write that moves counts between fields, so it is
 * bracketed by the counter's `seq` (odd while draining) and readers retry around
 * it (a seqlock with one writer, the owner): sums stay exact and never go back. A block freed on another thread is counted as a free by that
 * thread, so the sums stay exact whichever thread frees.
 *
 * Why: PoolMon-style accounting must be exact, yet a global atomic per allocation
 * costs ~6 ns and a cache-line transfer between cores ~220 ns on our machines
 * (research/perf-anchors.md). Counting where the work happens and summing on read
 * is the DESIGN.md rule for every statistic.
 *
 * Peaks and budgets: exact current bytes need a sum over threads, so each thread
 * folds its drift (bytes_in - bytes_out - mark) into the record's `folded` total
 * whenever its allocation or free traffic on the record since its last fold
 * reaches LAI_FOLD_BYTES (a compare of the packed word on the hot path), at exit,
 * and when it reads the counters; the peak is taken at fold points and at every read. Records with a budget fold on every operation, which makes their
 * budget checks and peaks exact at the price of one atomic add per operation.
 *
 * Invariants:
 *   - records are never removed; an index, once published in the hash, is valid
 *     forever and its record's tag/kind never change;
 *   - exact bytes of a record = sum(bytes_in - bytes_out) over live threads +
 *     retired totals = folded + sum(bytes_in - bytes_out - mark) over live threads;
 *   - a thread's counters are read only under the registry lock, which the thread
 *     takes to register, to retire at exit and to grow nothing else (counter chunks
 *     are published with release stores and freed only at exit, under the lock).
 * Lock order: registry lock -> (nothing). The orphan lock (state shared by threads
 * that already exited) is taken before the registry lock when both are needed. */
#include "pool_impl.h"

#include <stdlib.h>
#include <string.h>

#define HASH_SIZE (2u * LAI_MAX_RECS)

static la_prim_lock_t reg_lock = LA_PRIM_LOCK_INIT;
static _Atomic uint64_t tag_hash[HASH_SIZE];          /* (key << 14) | index, 0 empty */
static _Atomic(lai_tag_rec_t *) rec_chunks[LAI_MAX_RECS / LAI_REC_CHUNK];
static _Atomic uint32_t nrecs = 1;
static lai_thread_t *threads;                          /* live threads, under reg_lock */
static lai_thread_t orphan = {.orphan = true};
static la_prim_lock_t orphan_lock = LA_PRIM_LOCK_INIT;
_Atomic uint32_t lai_budgeted_recs;

lai_thread_t lai_no_thread = {.mru_key = UINT64_MAX};
_Thread_local lai_tls_t lai_tls __attribute__((tls_model("initial-exec"))) = {.thread = &lai_no_thread};
static _Thread_local bool tl_exited __attribute__((tls_model("initial-exec")));

static la_prim_tls_key_t exit_key;
static _Atomic int init_state; /* 0 none, 1 done */

static void thread_exit(void *value);

static void init_once(void) {
    if (atomic_load_explicit(&init_state, memory_order_acquire)) return;
    la_prim_lock_acquire(&reg_lock);
    if (!atomic_load_explicit(&init_state, memory_order_relaxed)) {
        (void)la_prim_tls_create(&exit_key, thread_exit);
        for (size_t i = 0; i < LA_ARRAY_SIZE(orphan.key_cache); ++i) orphan.key_cache[i].v = LAI_KEY_EMPTY;
        orphan.mru_key = UINT64_MAX;
        atomic_store_explicit(&init_state, 1, memory_order_release);
    }
    la_prim_lock_release(&reg_lock);
    lai_pool_env_init();
}

lai_thread_t *lai_orphan(void) { return &orphan; }

void lai_orphan_lock(lai_thread_t *t) {
    if (t->orphan) la_prim_lock_acquire(&orphan_lock);
}
void lai_orphan_unlock(lai_thread_t *t) {
    if (t->orphan) la_prim_lock_release(&orphan_lock);
}

lai_thread_t *lai_thread_slow(void) {
    init_once();
    if (tl_exited || !exit_key.created) return &orphan;
    lai_thread_t *t = calloc(1, sizeof *t);
    if (!t) return &orphan;
    for (size_t i = 0; i < LA_ARRAY_SIZE(t->key_cache); ++i) t->key_cache[i].v = LAI_KEY_EMPTY;
    t->mru_key = UINT64_MAX;
    la_prim_lock_acquire(&reg_lock);
    t->next = threads;
    if (threads) threads->prev = t;
    threads = t;
    la_prim_lock_release(&reg_lock);
    if (la_prim_tls_set(&exit_key, t) != 0) {
        la_prim_lock_acquire(&reg_lock);
        if (t->prev) t->prev->next = t->next; else threads = t->next;
        if (t->next) t->next->prev = t->prev;
        la_prim_lock_release(&reg_lock);
        free(t);
        return &orphan;
    }
    lai_tl_thread = t;
    return t;
}

/* ---- records ---------------------------------------------------------------------------- */

lai_tag_rec_t *lai_tag_rec(uint32_t idx) {
    lai_tag_rec_t *chunk = atomic_load_explicit(&rec_chunks[idx / LAI_REC_CHUNK], memory_order_acquire);
    return chunk + idx % LAI_REC_CHUNK;
}

uint32_t lai_tag_count(void) { return atomic_load_explicit(&nrecs, memory_order_acquire); }

static uint32_t hash_of(uint64_t key) {
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (HASH_SIZE - 1);
}

static uint32_t probe(uint64_t key, uint32_t *empty_slot) {
    for (uint32_t h = hash_of(key), n = 0; n < HASH_SIZE; ++n, h = (h + 1) & (HASH_SIZE - 1)) {
        uint64_t v = atomic_load_explicit(&tag_hash[h], memory_order_acquire);
        if (v == 0) {
            if (empty_slot) *empty_slot = h;
            return 0;
        }
        if ((v >> 14) == key) return (uint32_t)(v & 0x3fff);
    }
    if (empty_slot) *empty_slot = UINT32_MAX;
    return 0;
}

uint32_t lai_tag_find(la_tag_t tag, unsigned kind) {
    return probe(((uint64_t)kind << 32) | tag, NULL);
}

uint32_t lai_tag_index_slow(lai_thread_t *t, la_tag_t tag, unsigned kind) {
    if (!la_tag_valid(tag) || kind >= LA_POOL_KIND_COUNT) return 0;
    uint64_t key = ((uint64_t)kind << 32) | tag;
    uint32_t idx = probe(key, NULL);
    if (!idx) {
        la_prim_lock_acquire(&reg_lock);
        uint32_t slot = UINT32_MAX;
        idx = probe(key, &slot);
        if (!idx && slot != UINT32_MAX) {
            uint32_t n = atomic_load_explicit(&nrecs, memory_order_relaxed);
            if (n < LAI_MAX_RECS) {
                _Atomic(lai_tag_rec_t *) *cp = &rec_chunks[n / LAI_REC_CHUNK];
                lai_tag_rec_t *chunk = atomic_load_explicit(cp, memory_order_relaxed);
                if (!chunk) {
                    chunk = calloc(LAI_REC_CHUNK, sizeof *chunk);
                    if (chunk) atomic_store_explicit(cp, chunk, memory_order_release);
                }
                if (chunk) {
                    lai_tag_rec_t *r = chunk + n % LAI_REC_CHUNK;
                    r->tag = tag;
                    r->kind = (uint8_t)kind;
                    atomic_store_explicit(&nrecs, n + 1, memory_order_release);
                    atomic_store_explicit(&tag_hash[slot], (key << 14) | n, memory_order_release);
                    idx = n;
                }
            }
        }
        la_prim_lock_release(&reg_lock);
        if (!idx) return 0;
    }
    /* Cache only on a thread's own state, with its counter: the fast paths find both
     * in one probe. The orphan never caches, so it always takes the locked path. */
    if (!t->orphan) {
        lai_counter_t *c = lai_counter(t, idx);
        if (c) {
            lai_key_slot_t *ks = &t->key_cache[lai_key_hash(tag, kind)];
            ks->v = (key << 14) | idx;
            ks->c = c;
            t->mru_key = key;
            t->mru_idx = idx;
            t->mru_c = c;
        }
    }
    return idx;
}

lai_counter_t *lai_counter_slow(lai_thread_t *t, uint32_t idx) {
    lai_counter_t *chunk = calloc(LAI_REC_CHUNK, sizeof *chunk);
    if (!chunk) return NULL;
    atomic_store_explicit(&t->chunks[idx / LAI_REC_CHUNK], chunk, memory_order_release);
    return chunk + idx % LAI_REC_CHUNK;
}

/* ---- folding, peaks, budgets ---------------------------------------------------------------- */

static void raise_peak(lai_tag_rec_t *r, int64_t now) {
    if (now <= 0) return;
    uint64_t cur = atomic_load_explicit(&r->peak, memory_order_relaxed);
    while ((uint64_t)now > cur &&
           !atomic_compare_exchange_weak_explicit(&r->peak, &cur, (uint64_t)now,
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

static void check_soft(lai_tag_rec_t *r, int64_t now) {
    uint64_t soft = atomic_load_explicit(&r->soft, memory_order_relaxed);
    if (soft && now > 0 && (uint64_t)now > soft &&
        atomic_exchange_explicit(&r->soft_warned, 1, memory_order_relaxed) == 0) {
        char tb[5];
        la_printf("lookaside: pool: tag '%s' (%s) passed its soft budget: %lld bytes > %llu\n",
                  la_tag_format(r->tag, tb), la_pool_kind_name((la_pool_kind_t)r->kind),
                  (long long)now, (unsigned long long)soft);
    }
}

/* This thread's drift of the record since its last fold (owner only). */
static int64_t drift(const lai_counter_t *c) {
    uint64_t net = atomic_load_explicit(&c->bytes_in, memory_order_relaxed) +
                   LAI_PEND_BYTES(atomic_load_explicit(&c->pend_in, memory_order_relaxed)) -
                   atomic_load_explicit(&c->bytes_out, memory_order_relaxed) -
                   LAI_PEND_BYTES(atomic_load_explicit(&c->pend_out, memory_order_relaxed));
    return (int64_t)(net - c->mark);
}

/* Move the packed words into the wide counters (owner only). Readers see the move
 * as a whole: they retry while `seq` is odd or changed under them (a seqlock whose
 * writer is the counter's owner, so the fast path never touches `seq`). Fence-free,
 * so gcc's ThreadSanitizer builds it: `seq` goes odd first, every store of the move
 * is a release store (a reader that sees one of them, with an acquire load, also
 * sees `seq` odd or newer) and `seq` goes even again with a release store. */
static void bump_rel(_Atomic uint64_t *c, uint64_t by) {
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                          memory_order_release);
}

static void drain(lai_counter_t *c) {
    uint64_t in = atomic_load_explicit(&c->pend_in, memory_order_relaxed);
    uint64_t out = atomic_load_explicit(&c->pend_out, memory_order_relaxed);
    if (!in && !out) return;
    uint64_t q = atomic_load_explicit(&c->seq, memory_order_relaxed);
    atomic_store_explicit(&c->seq, q + 1, memory_order_relaxed);
    bump_rel(&c->allocs, LAI_PEND_OPS(in));
    bump_rel(&c->bytes_in, LAI_PEND_BYTES(in));
    bump_rel(&c->frees, LAI_PEND_OPS(out));
    bump_rel(&c->bytes_out, LAI_PEND_BYTES(out));
    atomic_store_explicit(&c->pend_in, 0, memory_order_release);
    atomic_store_explicit(&c->pend_out, 0, memory_order_release);
    atomic_store_explicit(&c->seq, q + 2, memory_order_release);
}

void lai_count_wide(uint32_t idx, lai_counter_t *c, bool is_free, uint64_t bytes) {
    uint64_t q = atomic_load_explicit(&c->seq, memory_order_relaxed);
    atomic_store_explicit(&c->seq, q + 1, memory_order_relaxed);
    bump_rel(is_free ? &c->frees : &c->allocs, 1);
    bump_rel(is_free ? &c->bytes_out : &c->bytes_in, bytes);
    atomic_store_explicit(&c->seq, q + 2, memory_order_release);
    lai_fold(idx, c);
}

void lai_fold(uint32_t idx, lai_counter_t *c) {
    drain(c);
    int64_t d = drift(c);
    c->mark += (uint64_t)d;
    if (!d) return;
    lai_tag_rec_t *r = lai_tag_rec(idx);
    int64_t now = atomic_fetch_add_explicit(&r->folded, d, memory_order_relaxed) + d;
    /* Only growth says anything about the peak (a fold of frees could otherwise
     * report a budget charge that another thread is just undoing). */
    if (d > 0) {
        raise_peak(r, now);
        check_soft(r, now);
    }
}

void lai_fold_self(void) {
    lai_thread_t *t = lai_tl_thread;
    if (t == &lai_no_thread) return;
    uint32_t n = atomic_load_explicit(&nrecs, memory_order_acquire);
    for (uint32_t i = 1; i < n; ++i) {
        lai_counter_t *chunk = atomic_load_explicit(&t->chunks[i / LAI_REC_CHUNK], memory_order_relaxed);
        if (!chunk) {
            i |= LAI_REC_CHUNK - 1; /* skip the whole chunk */
            continue;
        }
        lai_counter_t *c = &chunk[i % LAI_REC_CHUNK];
        if (drift(c)) lai_fold(i, c);
    }
}

int lai_budget_charge(uint32_t idx, lai_counter_t *c, uint64_t bytes) {
    if (drift(c)) lai_fold(idx, c);
    lai_tag_rec_t *r = lai_tag_rec(idx);
    uint64_t hard = atomic_load_explicit(&r->hard, memory_order_relaxed);
    int64_t now = atomic_fetch_add_explicit(&r->folded, (int64_t)bytes, memory_order_relaxed) +
                  (int64_t)bytes;
    if (hard && now > 0 && (uint64_t)now > hard) {
        atomic_fetch_sub_explicit(&r->folded, (int64_t)bytes, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->denials, 1, memory_order_relaxed);
        return EDQUOT;
    }
    raise_peak(r, now);
    check_soft(r, now);
    return 0;
}

int la_pool_tag_budget_set(la_tag_t tag, la_pool_kind_t kind, uint64_t soft_bytes,
                           uint64_t hard_bytes) {
    if (!la_tag_valid(tag) || (unsigned)kind >= LA_POOL_KIND_COUNT) return EINVAL;
    lai_thread_t *t = lai_thread();
    lai_orphan_lock(t);
    uint32_t idx = lai_tag_index(t, tag, (unsigned)kind);
    lai_orphan_unlock(t);
    if (!idx) return ENOMEM;
    lai_tag_rec_t *r = lai_tag_rec(idx);
    la_prim_lock_acquire(&reg_lock);
    bool was = atomic_load_explicit(&r->soft, memory_order_relaxed) ||
               atomic_load_explicit(&r->hard, memory_order_relaxed);
    bool now = soft_bytes || hard_bytes;
    atomic_store_explicit(&r->soft, soft_bytes, memory_order_relaxed);
    atomic_store_explicit(&r->hard, hard_bytes, memory_order_relaxed);
    atomic_store_explicit(&r->soft_warned, 0, memory_order_relaxed);
    if (was != now) {
        if (now) atomic_fetch_add_explicit(&lai_budgeted_recs, 1, memory_order_seq_cst);
        else atomic_fetch_sub_explicit(&lai_budgeted_recs, 1, memory_order_seq_cst);
    }
    la_prim_lock_release(&reg_lock);
    return 0;
}

/* ---- reading --------------------------------------------------------------------------------- */

static void add_counters(lai_counter_t *c, la_pool_tag_info_t *o, uint64_t *in, uint64_t *out) {
    uint64_t q, pi, po, a, f, bi, bo;
    for (;;) {
        q = atomic_load_explicit(&c->seq, memory_order_acquire);
        if (q & 1) { /* the owner is draining: a few stores, then it is done */
            la_prim_yield();
            continue;
        }
        /* Acquire loads: the final read of `seq` cannot move above them, and seeing
         * any store of a drain makes that read see the drain's odd `seq` or later. */
        pi = atomic_load_explicit(&c->pend_in, memory_order_acquire);
        po = atomic_load_explicit(&c->pend_out, memory_order_acquire);
        a = atomic_load_explicit(&c->allocs, memory_order_acquire);
        f = atomic_load_explicit(&c->frees, memory_order_acquire);
        bi = atomic_load_explicit(&c->bytes_in, memory_order_acquire);
        bo = atomic_load_explicit(&c->bytes_out, memory_order_acquire);
        if (atomic_load_explicit(&c->seq, memory_order_relaxed) == q) break;
    }
    o->allocs += a + LAI_PEND_OPS(pi);
    o->frees += f + LAI_PEND_OPS(po);
    o->failures += atomic_load_explicit(&c->failures, memory_order_relaxed);
    *in += bi + LAI_PEND_BYTES(pi);
    *out += bo + LAI_PEND_BYTES(po);
}

static void thread_add(const lai_thread_t *t, uint32_t idx, la_pool_tag_info_t *o, uint64_t *in,
                       uint64_t *out) {
    lai_counter_t *chunk =
        atomic_load_explicit(&((lai_thread_t *)t)->chunks[idx / LAI_REC_CHUNK], memory_order_acquire);
    if (chunk) add_counters(chunk + idx % LAI_REC_CHUNK, o, in, out);
}

/* Caller holds reg_lock. */
static void sum_locked(uint32_t idx, la_pool_tag_info_t *o) {
    lai_tag_rec_t *r = lai_tag_rec(idx);
    memset(o, 0, sizeof *o);
    o->tag = r->tag;
    o->kind = (la_pool_kind_t)r->kind;
    o->allocs = r->r_allocs;
    o->frees = r->r_frees;
    o->failures = r->r_failures;
    uint64_t in = r->r_bytes_in, out = r->r_bytes_out;
    for (const lai_thread_t *t = threads; t; t = t->next) thread_add(t, idx, o, &in, &out);
    thread_add(&orphan, idx, o, &in, &out);
    /* Another thread's free may be counted before the matching allocation on the
     * allocating thread is visible to us; clamp the momentary negative. */
    o->outstanding = o->allocs >= o->frees ? o->allocs - o->frees : 0;
    o->bytes = in >= out ? in - out : 0;
    raise_peak(r, (int64_t)o->bytes);
    o->peak_bytes = atomic_load_explicit(&r->peak, memory_order_relaxed);
    o->budget_denials = atomic_load_explicit(&r->denials, memory_order_relaxed);
    o->tag_mismatches = atomic_load_explicit(&r->mismatches, memory_order_relaxed);
}

void lai_tag_sum(uint32_t idx, la_pool_tag_info_t *out) {
    la_prim_lock_acquire(&reg_lock);
    sum_locked(idx, out);
    la_prim_lock_release(&reg_lock);
}

int la_pool_tag_query(la_tag_t tag, la_pool_kind_t kind, la_pool_tag_info_t *out) {
    if (!la_tag_valid(tag) || (unsigned)kind >= LA_POOL_KIND_COUNT || !out) return EINVAL;
    uint32_t idx = lai_tag_find(tag, (unsigned)kind);
    if (!idx) return ENOENT;
    lai_fold_self();
    lai_tag_sum(idx, out);
    return 0;
}

int la_pool_snapshot(la_pool_tag_info_t *out, size_t cap, size_t *count) {
    if (!count || (cap && !out)) return EINVAL;
    lai_fold_self();
    la_prim_lock_acquire(&reg_lock);
    uint32_t n = atomic_load_explicit(&nrecs, memory_order_relaxed);
    size_t total = n - 1;
    for (uint32_t i = 1; i < n && i - 1 < cap; ++i) sum_locked(i, &out[i - 1]);
    la_prim_lock_release(&reg_lock);
    *count = total;
    return cap < total ? ENOBUFS : 0;
}

/* ---- thread exit ------------------------------------------------------------------------------- */

static void thread_exit(void *value) {
    lai_thread_t *t = value;
    lai_front_flush_all(t);
    uint32_t n = atomic_load_explicit(&nrecs, memory_order_acquire);
    for (uint32_t i = 1; i < n; ++i) {
        lai_counter_t *chunk = atomic_load_explicit(&t->chunks[i / LAI_REC_CHUNK], memory_order_relaxed);
        if (chunk) lai_fold(i, &chunk[i % LAI_REC_CHUNK]); /* drains: the wide counters are whole */
    }
    la_prim_lock_acquire(&reg_lock);
    for (uint32_t i = 1; i < n; ++i) {
        lai_counter_t *chunk = atomic_load_explicit(&t->chunks[i / LAI_REC_CHUNK], memory_order_relaxed);
        if (!chunk) continue;
        const lai_counter_t *c = &chunk[i % LAI_REC_CHUNK];
        lai_tag_rec_t *r = lai_tag_rec(i);
        r->r_allocs += atomic_load_explicit(&c->allocs, memory_order_relaxed);
        r->r_frees += atomic_load_explicit(&c->frees, memory_order_relaxed);
        r->r_failures += atomic_load_explicit(&c->failures, memory_order_relaxed);
        r->r_bytes_in += atomic_load_explicit(&c->bytes_in, memory_order_relaxed);
        r->r_bytes_out += atomic_load_explicit(&c->bytes_out, memory_order_relaxed);
    }
    if (t->prev) t->prev->next = t->next; else threads = t->next;
    if (t->next) t->next->prev = t->prev;
    la_prim_lock_release(&reg_lock);
    for (size_t i = 0; i < LA_ARRAY_SIZE(t->chunks); ++i)
        free(atomic_load_explicit(&t->chunks[i], memory_order_relaxed));
    free(t);
    lai_tl_thread = &lai_no_thread;
    tl_exited = true; /* later calls on this thread (other exit hooks) use the orphan */
}
