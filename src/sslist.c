/* sslist.c — the sequenced S-list (see lookaside/sslist.h, docs/sslist.md).
 *
 * 1. What and why
 *    A lock-free LIFO of caller-owned entries with Windows SLIST_HEADER semantics.
 *    Lookaside depots, the WDK layer's Interlocked*SList and anything that hands
 *    blocks between threads sit on it. The whole state is one 16-byte header
 *    swapped as a unit with a 16-byte CAS (src/prim/cas16.h), so a push or pop is
 *    one atomic instruction when uncontended (~14 ns per push+pop pair here, of
 *    which ~12 ns are the two CAS instructions).
 *
 * 2. Data
 *    word 0: depth (bits 0-15) | sequence (bits 16-63)
 *    word 1: first entry address (bits 4-63; entries are 16-byte aligned)
 *            | INIT (bit 0) | LOCKED_MODE (bit 1) | LOCK (bit 2)
 *    INIT and LOCKED_MODE are written by init only and never change afterwards;
 *    every update copies them from the value it replaces.
 *
 * 3. Invariants (lock-free mode)
 *    - The chain from word 1 holds exactly the pushed-and-not-popped entries,
 *      each once, ends in NULL and has `depth` entries (mod 2^16).
 *    - Every push and push_chain adds 1 to the sequence (mod 2^48); pop and flush
 *      keep it. (Windows x64 does the same; Wine also bumps on flush; both are
 *      ABA-safe.)
 *
 * 4. The ABA argument
 *    A pop reads word 0 (sequence s) then word 1 (first A), then A->next (B), and
 *    CASes {s, A} -> {s, B}. Suppose the CAS succeeds: the header holds {s, A} at
 *    the CAS. The sequence is the same as at the first read, so no push happened
 *    in between (barring 2^48 pushes during one pop: ~19 days of back-to-back
 *    pushes while this thread sleeps between two loads and a CAS). Without pushes
 *    the only changes are pops and flushes, which move `first` strictly down the
 *    chain or to NULL and so can never bring it back to A; since `first` is A at
 *    the end, nothing at all changed while A was first, and A->next was still B
 *    when we read it. The classic ABA — pop A, pop B, push A with A->next now C —
 *    contains a push and so fails our CAS. Drop the sequence from the compare and
 *    that schedule succeeds and installs B, an entry another thread owns: the
 *    mutant build of tests/stress/test_sslist_aba.c shows the census failing.
 *    The two loads may be torn relative to each other; the argument only needs
 *    both to happen before the read of A->next (acquire loads, word 0 first) and
 *    the CAS to compare all 16 bytes.
 *
 * 5. The memory rule
 *    The read of A->next can happen after another thread popped A and handed it to
 *    its user, who may be writing into it: the value is stale and the CAS fails.
 *    The read must not fault, so entry memory stays mapped while the list may be
 *    popped (documented in the header; the lookaside backing keeps it). The read
 *    goes through lai_load_speculative(), which sanitizers do not instrument: it
 *    is a race by design, validated by the CAS.
 *
 * 6. Locked mode
 *    When the CPU has no 16-byte CAS (la_prim_caps()->cas16 false), or on request,
 *    the list runs in locked mode: bit 2 of word 1 is a spin lock taken with an
 *    8-byte CAS (acquire) and released by the store of the new word 1 (release).
 *    The holder updates word 0 with atomic stores, so readers of depth/sequence
 *    never see a torn value. Spinning yields the CPU after 64 tries: hold times
 *    are a handful of instructions, but a holder can be preempted.
 *
 * 7. Contention
 *    A failed CAS means the header's cache line went to another CPU; retrying at
 *    once mostly sends it back and forth (~200-450 ns per transfer between the
 *    reference VM's two vCPUs). After each failure a thread waits 1, 2, 4 ... 64
 *    spin hints before retrying, so the winner keeps the line for a few operations.
 *    On the reference VM this took two threads hammering one list from ~300-500 ns
 *    to ~17 ns per push+pop pair, aggregate (bench_sslist; both threads keep
 *    progressing, not in lockstep). The uncontended path never reaches it.
 *
 * 8. Lock order: the locked-mode bit is a leaf; nothing else is taken while held,
 *    and no callback runs under it. Lock-free mode takes no locks.
 *
 * 9. Misuse (checked builds, LA_CONFIG_CHECKED): misaligned or NULL entries,
 *    count 0 for push_chain, an uninitialised header and a misaligned header at
 *    init are reported with la_fatal; if the handler returns, nothing is modified
 *    and the call returns NULL. */
#include "internal.h"

#include <lookaside/sslist.h>

#include "prim/cas16.h"
#include "prim/prim.h"

/* Test-only mutation (tests/stress/test_sslist_aba.cmake builds `sslist_aba_mutant`
 * with it): pushes stop bumping the sequence, so the CAS compares only depth and
 * pointer. Never set in the library. */
#ifndef LA_SSLIST_MUTANT_DROP_SEQUENCE
#define LA_SSLIST_MUTANT_DROP_SEQUENCE 0
#endif

#define FLAG_INIT ((uint64_t)1)
#define FLAG_LOCKED_MODE ((uint64_t)2)
#define FLAG_LOCK ((uint64_t)4)
#define FLAG_MASK ((uint64_t)15)
#define DEPTH_MASK ((uint64_t)0xffff)
#define SEQ_SHIFT 16
#define SEQ_STEP (LA_SSLIST_MUTANT_DROP_SEQUENCE ? (uint64_t)0 : ((uint64_t)1 << SEQ_SHIFT))

#define YIELD_AFTER_SPINS 64
#define BACKOFF_MAX_PAUSES 64 /* ~3.7 us on the reference VM (a pause is ~58 ns there) */

_Static_assert(sizeof(la_sslist_header_t) == 16, "S-list header is 16 bytes");
_Static_assert(_Alignof(la_sslist_header_t) == 16, "S-list header is 16-byte aligned");
_Static_assert(sizeof(la_prim_u128_t) == 16, "u128 is 16 bytes");
_Static_assert(sizeof(uintptr_t) == 8, "the S-list layout assumes 64-bit pointers");

static inline la_sslist_entry_t *first_of(uint64_t w1) {
    return (la_sslist_entry_t *)(uintptr_t)(w1 & ~FLAG_MASK);
}

static inline uint64_t w1_of(const la_sslist_entry_t *first, uint64_t flags) {
    return (uint64_t)(uintptr_t)first | (flags & FLAG_MASK);
}

/* Word 0 after adding `count` entries: depth += count (16 bits), sequence += 1. */
static inline uint64_t w0_after_push(uint64_t w0, uint64_t count) {
    return ((w0 & ~DEPTH_MASK) + SEQ_STEP) | ((w0 + count) & DEPTH_MASK);
}

/* Word 0 after removing one entry: depth -= 1 (16 bits), sequence kept. */
static inline uint64_t w0_after_pop(uint64_t w0) {
    return (w0 & ~DEPTH_MASK) | ((w0 - 1) & DEPTH_MASK);
}

static inline uint64_t load_w0(const la_sslist_header_t *list) {
    return __atomic_load_n(&list->ss_depth_seq, __ATOMIC_ACQUIRE);
}

static inline uint64_t load_w1(const la_sslist_header_t *list) {
    return __atomic_load_n(&list->ss_first_flags, __ATOMIC_ACQUIRE);
}

/* Both words, word 0 first (section 4); possibly torn, validated by the CAS. */
static inline la_prim_u128_t load_header(const la_sslist_header_t *list) {
    la_prim_u128_t v;
    v.lo = load_w0(list);
    v.hi = load_w1(list);
    return v;
}

/* After a failed CAS: wait *pauses spin hints, then double it (up to the cap).
 * Section 7 says why. Never runs on the uncontended path. */
static inline void backoff(unsigned *pauses) {
    for (unsigned i = 0; i < *pauses; i++) lai_cpu_relax();
    if (*pauses < BACKOFF_MAX_PAUSES) *pauses *= 2;
}

/* ---- misuse checks (compiled in when LA_CONFIG_CHECKED) ------------------------- */

LA_COLD LA_NOINLINE static void report_uninitialised(const la_sslist_header_t *list,
                                                     const char *op) {
    la_fatal(LA_FATAL_BAD_ARGUMENT, list, NULL, 0,
             "%s: S-list header %p was not initialised with la_sslist_init", op,
             (const void *)list);
}

static inline bool header_ok(const la_sslist_header_t *list, uint64_t w1, const char *op) {
    if (LA_CONFIG_CHECKED && LA_UNLIKELY(!(w1 & FLAG_INIT))) {
        report_uninitialised(list, op);
        return false;
    }
    return true;
}

LA_COLD LA_NOINLINE static void report_bad_entry(const la_sslist_header_t *list,
                                                 const la_sslist_entry_t *entry,
                                                 const char *what, const char *op) {
    if (entry == NULL)
        la_fatal(LA_FATAL_BAD_ARGUMENT, list, NULL, 0, "%s: NULL %s for S-list %p", op, what,
                 (const void *)list);
    else
        la_fatal(LA_FATAL_MISALIGNED, entry, NULL, 0,
                 "%s: %s %p for S-list %p is not 16-byte aligned", op, what,
                 (const void *)entry, (const void *)list);
}

static inline bool entry_ok(const la_sslist_header_t *list, const la_sslist_entry_t *entry,
                            const char *what, const char *op) {
    if (LA_CONFIG_CHECKED &&
        LA_UNLIKELY(entry == NULL || ((uintptr_t)entry & (LA_SSLIST_ALIGN - 1)) != 0)) {
        report_bad_entry(list, entry, what, op);
        return false;
    }
    return true;
}

/* ---- locked mode ----------------------------------------------------------------- */

/* Take the header's lock bit; returns word 1 as it was (lock bit clear). */
static uint64_t lock_header(la_sslist_header_t *list) {
    unsigned spins = 0;
    for (;;) {
        uint64_t cur = __atomic_load_n(&list->ss_first_flags, __ATOMIC_RELAXED);
        if (!(cur & FLAG_LOCK) &&
            __atomic_compare_exchange_n(&list->ss_first_flags, &cur, cur | FLAG_LOCK, true,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return cur;
        if (++spins < YIELD_AFTER_SPINS) {
            lai_cpu_relax();
        } else {
            spins = 0;
            la_prim_yield();
        }
    }
}

/* Publish the new first entry and drop the lock bit in one release store. */
static void unlock_header(la_sslist_header_t *list, la_sslist_entry_t *first, uint64_t w1) {
    __atomic_store_n(&list->ss_first_flags, w1_of(first, w1 & ~FLAG_LOCK), __ATOMIC_RELEASE);
}

/* The locked paths stay out of line so the lock-free loops keep few registers. */
LA_NOINLINE static la_sslist_entry_t *locked_push_chain(la_sslist_header_t *list,
                                                        la_sslist_entry_t *first,
                                                        la_sslist_entry_t *last, unsigned count) {
    uint64_t w1 = lock_header(list);
    la_sslist_entry_t *prev = first_of(w1);
    uint64_t w0 = __atomic_load_n(&list->ss_depth_seq, __ATOMIC_RELAXED);
    last->next = prev;
    __atomic_store_n(&list->ss_depth_seq, w0_after_push(w0, count), __ATOMIC_RELAXED);
    unlock_header(list, first, w1);
    return prev;
}

LA_NOINLINE static la_sslist_entry_t *locked_pop(la_sslist_header_t *list) {
    uint64_t w1 = lock_header(list);
    la_sslist_entry_t *first = first_of(w1);
    if (first == NULL) {
        unlock_header(list, NULL, w1);
        return NULL;
    }
    uint64_t w0 = __atomic_load_n(&list->ss_depth_seq, __ATOMIC_RELAXED);
    __atomic_store_n(&list->ss_depth_seq, w0_after_pop(w0), __ATOMIC_RELAXED);
    unlock_header(list, first->next, w1);
    return first;
}

LA_NOINLINE static la_sslist_entry_t *locked_flush(la_sslist_header_t *list) {
    uint64_t w1 = lock_header(list);
    la_sslist_entry_t *first = first_of(w1);
    if (first != NULL) {
        uint64_t w0 = __atomic_load_n(&list->ss_depth_seq, __ATOMIC_RELAXED);
        __atomic_store_n(&list->ss_depth_seq, w0 & ~DEPTH_MASK, __ATOMIC_RELAXED);
    }
    unlock_header(list, NULL, w1);
    return first;
}

/* ---- initialisation and queries ------------------------------------------------------ */

static void init_mode(la_sslist_header_t *list, uint64_t flags) {
    if (LA_CONFIG_CHECKED && LA_UNLIKELY(((uintptr_t)list & (LA_SSLIST_ALIGN - 1)) != 0)) {
        la_fatal(LA_FATAL_MISALIGNED, list, NULL, 0,
                 "la_sslist_init: S-list header %p is not 16-byte aligned", (void *)list);
        return;
    }
    __atomic_store_n(&list->ss_depth_seq, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&list->ss_first_flags, flags, __ATOMIC_RELEASE);
}

bool la_sslist_lock_free_available(void) { return la_prim_caps()->cas16; }

void la_sslist_init(la_sslist_header_t *list) {
    init_mode(list, FLAG_INIT | (la_sslist_lock_free_available() ? 0 : FLAG_LOCKED_MODE));
}

void la_sslist_init_locked(la_sslist_header_t *list) {
    init_mode(list, FLAG_INIT | FLAG_LOCKED_MODE);
}

uint16_t la_sslist_depth(const la_sslist_header_t *list) {
    return (uint16_t)(__atomic_load_n(&list->ss_depth_seq, __ATOMIC_RELAXED) & DEPTH_MASK);
}

la_sslist_entry_t *la_sslist_first(const la_sslist_header_t *list) {
    return first_of(load_w1(list));
}

uint64_t la_sslist_sequence(const la_sslist_header_t *list) {
    return __atomic_load_n(&list->ss_depth_seq, __ATOMIC_RELAXED) >> SEQ_SHIFT;
}

bool la_sslist_is_lock_free(const la_sslist_header_t *list) {
    return (load_w1(list) & FLAG_LOCKED_MODE) == 0;
}

/* ---- the operations ---------------------------------------------------------------- */

/* Inlined into both push functions: one call level less on the hot path. */
__attribute__((always_inline)) static inline la_sslist_entry_t *
push_chain(la_sslist_header_t *list, la_prim_u128_t old, la_sslist_entry_t *first,
           la_sslist_entry_t *last, unsigned count) {
    if (old.hi & FLAG_LOCKED_MODE) return locked_push_chain(list, first, last, count);
    la_prim_u128_t new_value;
    unsigned pauses = 1;
    new_value.hi = w1_of(first, old.hi);
    for (;;) {
        last->next = first_of(old.hi);
        new_value.lo = w0_after_push(old.lo, count);
        if (lai_cas16(list, &old, new_value)) return first_of(old.hi);
        backoff(&pauses);
        new_value.hi = w1_of(first, old.hi);
    }
}

la_sslist_entry_t *la_sslist_push(la_sslist_header_t *list, la_sslist_entry_t *entry) {
    la_prim_u128_t old = load_header(list);
    if (!header_ok(list, old.hi, "la_sslist_push")) return NULL;
    if (!entry_ok(list, entry, "entry", "la_sslist_push")) return NULL;
    return push_chain(list, old, entry, entry, 1);
}

la_sslist_entry_t *la_sslist_push_chain(la_sslist_header_t *list, la_sslist_entry_t *first,
                                        la_sslist_entry_t *last, unsigned count) {
    la_prim_u128_t old = load_header(list);
    if (!header_ok(list, old.hi, "la_sslist_push_chain")) return NULL;
    if (!entry_ok(list, first, "first entry", "la_sslist_push_chain")) return NULL;
    if (!entry_ok(list, last, "last entry", "la_sslist_push_chain")) return NULL;
    if (LA_CONFIG_CHECKED) {
        if (LA_UNLIKELY(count == 0)) {
            la_fatal(LA_FATAL_BAD_ARGUMENT, list, NULL, 0,
                     "la_sslist_push_chain: count 0 for a non-empty chain (S-list %p)",
                     (void *)list);
            return NULL;
        }
    }
    return push_chain(list, old, first, last, count);
}

la_sslist_entry_t *la_sslist_pop(la_sslist_header_t *list) {
    la_prim_u128_t old = load_header(list);
    if (!header_ok(list, old.hi, "la_sslist_pop")) return NULL;
    if (old.hi & FLAG_LOCKED_MODE) return locked_pop(list);
    unsigned pauses = 1;
    for (;;) {
        la_sslist_entry_t *first = first_of(old.hi);
        if (first == NULL) return NULL;
        /* Section 5: may read an entry another thread already owns; the CAS decides. */
        la_sslist_entry_t *next = lai_load_speculative((void *const *)&first->next);
        la_prim_u128_t new_value = {w0_after_pop(old.lo), w1_of(next, old.hi)};
        if (lai_cas16(list, &old, new_value)) return first;
        backoff(&pauses);
    }
}

la_sslist_entry_t *la_sslist_flush(la_sslist_header_t *list) {
    la_prim_u128_t old = load_header(list);
    if (!header_ok(list, old.hi, "la_sslist_flush")) return NULL;
    if (old.hi & FLAG_LOCKED_MODE) return locked_flush(list);
    unsigned pauses = 1;
    for (;;) {
        la_sslist_entry_t *first = first_of(old.hi);
        if (first == NULL) return NULL;
        la_prim_u128_t new_value = {old.lo & ~DEPTH_MASK, w1_of(NULL, old.hi)};
        if (lai_cas16(list, &old, new_value)) return first;
        backoff(&pauses);
    }
}
