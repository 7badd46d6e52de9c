/* lookaside_tuner.c — the depth tuner: about once a second, move every registered
 * list's Depth with its load, and give memory back when the load drops.
 *
 * 1. What Windows documents (and what we keep)
 *    A system thread visits every lookaside list once a second: lists that are
 *    allocated from often keep more blocks, lists that are not shrink; the new
 *    limit goes into Depth, clamped to [minimum, MaximumDepth], and the deltas are
 *    taken against LastTotalAllocates / LastAllocateMisses (research notes,
 *    windows-semantics.md §1.6). Windows' own formula is not public; the rule
 *    below is ours, written from those facts alone.
 *
 * 2. The rule (per list, per pass)
 *      A = TotalAllocates - LastTotalAllocates     (32-bit wrap-around arithmetic)
 *      M = AllocateMisses - LastAllocateMisses
 *      rate = A per second of clock time since the previous pass
 *      min = min(LA_LOOKASIDE_MIN_DEPTH (4), MaximumDepth)
 *      if rate < LAI_TUNE_IDLE_PER_S (100 allocations/s)          -> idle:
 *          Depth = min + (Depth - min) / 2          (halve the distance to min)
 *      else if M * 1000 >= A * LAI_TUNE_MISS_FLOOR (5, i.e. 0.5%) -> missing:
 *          Depth += max(1, (MaximumDepth - Depth) * min(1, LAI_TUNE_GAIN (4) * M / A))
 *          (a list that misses half its allocations jumps to MaximumDepth; one that
 *          misses 5% closes 20% of the gap)
 *      else                                                        -> unchanged.
 *    Then Last* = the current counters, and if the depot holds more than Depth
 *    blocks, the surplus goes back to the backing ("trimmed"). An idle native
 *    cache also bumps its epoch, so each thread drops its previous magazine and
 *    its grown capacity at its next slow-path visit (see lookaside_magazine.c).
 *    Lists created with LA_LOOKASIDE_NO_TUNE are skipped. Constants are in the
 *    LAI_TUNE_* macros below.
 *
 * 3. How it runs
 *    la_lookaside_tune_now() runs one pass on the caller's thread. The background
 *    thread (started at the first cache creation unless la_lookaside_tuner_enable
 *    (false) came first or LA_LOOKASIDE_TUNER=0) waits LAI_TUNE_PERIOD_NS on a
 *    futex word between passes, so turning it off wakes and joins it at once. The
 *    clock is replaceable (lai_tuner_clock_set) so tests drive passes with a fake
 *    clock and no sleeping.
 *
 * 4. Invariants and lock order
 *    A pass decides under the registry lock (sampling a native cache's counters
 *    needs it), then releases it and gives surplus blocks back with
 *    lai_reg.visitors raised, so a concurrent destroy / delete waits for it rather
 *    than freeing a list the pass is trimming. registry lock -> cc_lock only; no
 *    backing callback runs under either. tuner.lock guards starting and stopping
 *    the thread and is never taken by the thread itself.
 */
#include "lookaside_internal.h"

#include <stdlib.h>
#include <string.h>

#define LAI_TUNE_PERIOD_NS 1000000000ull /* one pass per second */
#define LAI_TUNE_IDLE_PER_S 100u         /* fewer allocations per second: idle */
#define LAI_TUNE_MISS_FLOOR 5u           /* misses per 1000 allocations that count */
#define LAI_TUNE_GAIN 4u                 /* growth = gap * min(1, GAIN * miss ratio) */

static struct {
    la_prim_lock_t lock;       /* start / stop */
    bool decided;              /* autostart happened or was refused */
    bool running;
    la_prim_thread_t thread;
    _Atomic uint32_t stop;
    _Atomic bool on;           /* la_lookaside_tuner_enabled() */
    lai_clock_fn *clock;       /* registry lock */
    void *clock_arg;
    uint64_t last_pass_ns;     /* registry lock */
} tuner;

void lai_tuner_clock_set(lai_clock_fn *fn, void *arg) {
    lai_registry_lock();
    tuner.clock = fn;
    tuner.clock_arg = arg;
    tuner.last_pass_ns = 0;
    lai_registry_unlock();
}

/* The rule of section 2. */
static unsigned next_depth(unsigned depth, unsigned max, uint32_t allocs, uint32_t misses,
                           uint64_t elapsed_ns) {
    unsigned min = max < LA_LOOKASIDE_MIN_DEPTH ? max : LA_LOOKASIDE_MIN_DEPTH;
    if (depth < min) depth = min;
    if (depth > max) depth = max;
    uint64_t per_s = elapsed_ns ? (uint64_t)allocs * 1000000000ull / elapsed_ns : allocs;
    if (per_s < LAI_TUNE_IDLE_PER_S) return min + (depth - min) / 2;
    if (misses > allocs) misses = allocs;
    if ((uint64_t)misses * 1000u < (uint64_t)allocs * LAI_TUNE_MISS_FLOOR) return depth;
    uint64_t gain = (uint64_t)misses * 1000u * LAI_TUNE_GAIN / allocs; /* per mille */
    if (gain > 1000u) gain = 1000u;
    uint64_t step = (uint64_t)(max - depth) * gain / 1000u;
    if (step == 0) step = 1;
    uint64_t d = depth + step;
    return d > max ? max : (unsigned)d;
}

typedef struct trim_work {
    lai_depot_t *d;
    size_t keep;
} trim_work_t;

static size_t tune_pass(void) {
    lai_registry_lock();
    uint64_t now = tuner.clock ? tuner.clock(tuner.clock_arg) : la_prim_now_ns();
    uint64_t elapsed = (tuner.last_pass_ns && now > tuner.last_pass_ns) ? now - tuner.last_pass_ns
                                                                         : LAI_TUNE_PERIOD_NS;
    tuner.last_pass_ns = now;
    trim_work_t *work = lai_reg.nlists ? malloc(lai_reg.nlists * sizeof *work) : NULL;
    size_t nwork = 0, changed = 0;
    la_list_entry_t *e;
    LA_LIST_FOR_EACH(e, &lai_reg.lists) {
        lai_depot_t *d = LA_CONTAINER_OF(e, lai_depot_t, dp_link);
        if (d->dp_state & LAI_DEPOT_NO_TUNE) continue;
        bool native = d->dp_kind == LAI_DEPOT_KIND_NATIVE;
        la_lookaside_t *c = native ? lai_cache_of(d) : NULL;
        uint32_t allocs, misses;
        if (native) {
            lai_counts_t n;
            lai_cache_counts(c, &n);
            allocs = (uint32_t)n.allocs;
            misses = (uint32_t)n.alloc_misses;
        } else {
            allocs = LAI_LOAD(&d->dp_total_allocs);
            misses = LAI_LOAD(&d->dp_alloc_misses);
        }
        uint32_t da = allocs - d->dp_last_total_allocs, dm = misses - d->dp_last_alloc_misses;
        d->dp_last_total_allocs = allocs;
        d->dp_last_alloc_misses = misses;
        unsigned depth = LAI_LOAD(&d->dp_depth), max = LAI_LOAD(&d->dp_max_depth);
        unsigned nd = next_depth(depth, max, da, dm, elapsed);
        if (nd != depth) {
            LAI_STORE(&d->dp_depth, (uint16_t)nd);
            ++changed;
            if (native) {
                atomic_fetch_add_explicit(nd > depth ? &c->cc_tune_grows : &c->cc_tune_shrinks, 1,
                                          memory_order_relaxed);
                if (nd < depth) atomic_fetch_add_explicit(&c->cc_epoch, 1, memory_order_relaxed);
            }
        }
        uint64_t held = native ? lai_depot_blocks(c) : la_sslist_depth(&d->dp_list);
        if (held > nd && work) work[nwork++] = (trim_work_t){d, nd};
    }
    if (nwork) atomic_fetch_add_explicit(&lai_reg.visitors, 1, memory_order_acq_rel);
    lai_registry_unlock();

    if (nwork) {
        lai_set_in_tuner_pass(true);
        for (size_t i = 0; i < nwork; ++i) {
            lai_depot_t *d = work[i].d;
            if (d->dp_kind == LAI_DEPOT_KIND_NATIVE) {
                la_lookaside_t *c = lai_cache_of(d);
                size_t n = lai_cache_trim(c, work[i].keep);
                atomic_fetch_add_explicit(&c->cc_tune_trimmed, n, memory_order_relaxed);
            } else {
                lai_depot_trim_blocks(d, work[i].keep);
            }
        }
        lai_set_in_tuner_pass(false);
        atomic_fetch_sub_explicit(&lai_reg.visitors, 1, memory_order_acq_rel);
        la_prim_wake(&lai_reg.visitors, UINT32_MAX);
    }
    free(work);
    return changed;
}

size_t la_lookaside_tune_now(void) { return tune_pass(); }

static void *tuner_main(void *arg) {
    (void)arg;
    while (!atomic_load_explicit(&tuner.stop, memory_order_acquire)) {
        la_prim_wait(&tuner.stop, 0, LAI_TUNE_PERIOD_NS);
        if (atomic_load_explicit(&tuner.stop, memory_order_acquire)) break;
        tune_pass();
    }
    return NULL;
}

/* tuner.lock held. */
static int start_locked(void) {
    if (tuner.running) return 0;
    atomic_store_explicit(&tuner.stop, 0, memory_order_release);
    int err = la_prim_thread_start(&tuner.thread, tuner_main, NULL);
    if (err) return err;
    tuner.running = true;
    atomic_store_explicit(&tuner.on, true, memory_order_release);
    return 0;
}

void lai_tuner_autostart(void) {
    la_prim_lock_acquire(&tuner.lock);
    if (!tuner.decided) {
        tuner.decided = true;
        const char *env = getenv("LA_LOOKASIDE_TUNER");
        if (!(env && env[0] == '0')) start_locked();
    }
    la_prim_lock_release(&tuner.lock);
}

int la_lookaside_tuner_enable(bool on) {
    int err = 0;
    la_prim_lock_acquire(&tuner.lock);
    tuner.decided = true;
    if (on) {
        err = start_locked();
    } else if (tuner.running) {
        atomic_store_explicit(&tuner.stop, 1, memory_order_release);
        la_prim_wake(&tuner.stop, UINT32_MAX);
        la_prim_thread_join(&tuner.thread);
        tuner.running = false;
        atomic_store_explicit(&tuner.on, false, memory_order_release);
    }
    la_prim_lock_release(&tuner.lock);
    return err;
}

bool la_lookaside_tuner_enabled(void) { return atomic_load_explicit(&tuner.on, memory_order_acquire); }
