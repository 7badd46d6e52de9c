/* time_lock.c — monotonic clock, sleeping, futex wait/wake and the prim lock.
 *
 * What: la_prim_now_ns (CLOCK_MONOTONIC), la_prim_sleep_ns (nanosleep, resumed
 * after signals), la_prim_wait / la_prim_wake (FUTEX_WAIT / FUTEX_WAKE, private to
 * the process), and la_prim_lock_t, a three-state futex mutex.
 *
 * Why a futex lock rather than pthread_mutex_t: it is one 32-bit word that is
 * valid when zero-filled (static, inside mmap'd or calloc'd structures, with no
 * init or destroy call), and uncontended acquire/release are one atomic each.
 *
 * The lock (states 0 free, 1 held, 2 held and someone may sleep):
 *   acquire  CAS 0->1 (acquire order). Failing that, spin a little re-trying the
 *            CAS while the word reads 0, then swap in 2 and sleep on the word while
 *            the previous value was not 0. A thread that acquires through the
 *            sleeping path leaves the word at 2, so its release wakes the next
 *            sleeper (at worst one spare wake-up).
 *   release  swap in 0 (release order); if the old value was 2, wake one sleeper.
 * Every hand-off is a C11 atomic with acquire/release order, so ThreadSanitizer
 * sees the happens-before edge; the futex calls only park and unpark threads.
 *
 * Invariants: la_prim_wait never reports a wake-up that did not happen as an error:
 * EAGAIN (value already differed) and EINTR map to 0, callers re-check.
 * Lock order: la_prim_lock_t is a leaf lock. */
#define _GNU_SOURCE
#include "linux.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint64_t la_prim_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for this clock */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec to_timespec(uint64_t ns) {
    struct timespec ts;
    uint64_t sec = ns / 1000000000u;
    /* Cap at ~68 years so the seconds fit any time_t. */
    ts.tv_sec = (time_t)(sec > (uint64_t)INT32_MAX ? (uint64_t)INT32_MAX : sec);
    ts.tv_nsec = (long)(ns % 1000000000u);
    return ts;
}

void la_prim_sleep_ns(uint64_t ns) {
    struct timespec req = to_timespec(ns), rem;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR) req = rem;
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts) {
    return syscall(SYS_futex, (uint32_t *)(void *)word, op, val, ts, NULL, 0);
}

int la_prim_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t timeout_ns) {
    if (atomic_load_explicit(word, memory_order_acquire) != expected) return 0;
    if (timeout_ns == 0) return ETIMEDOUT;
    struct timespec ts, *tsp = NULL;
    if (timeout_ns != UINT64_MAX) {
        ts = to_timespec(timeout_ns);
        tsp = &ts;
    }
    long r = futex(word, FUTEX_WAIT_PRIVATE, expected, tsp);
    if (r == 0) return 0;
    return errno == ETIMEDOUT ? ETIMEDOUT : 0; /* EAGAIN, EINTR: let the caller re-check */
}

void la_prim_wake(_Atomic uint32_t *word, uint32_t count) {
    int n = count > (uint32_t)INT_MAX ? INT_MAX : (int)count;
    (void)futex(word, FUTEX_WAKE_PRIVATE, (uint32_t)n, NULL);
}

/* ---- lock ------------------------------------------------------------------------------ */

enum { LOCK_FREE = 0, LOCK_HELD = 1, LOCK_CONTENDED = 2, SPIN_TRIES = 100 };

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

bool la_prim_lock_try(la_prim_lock_t *lock) {
    uint32_t c = LOCK_FREE;
    return atomic_compare_exchange_strong_explicit(&lock->state, &c, LOCK_HELD,
                                                   memory_order_acquire, memory_order_relaxed);
}

LA_NOINLINE static void lock_slow(la_prim_lock_t *lock) {
    for (int i = 0; i < SPIN_TRIES; ++i) {
        cpu_relax();
        if (atomic_load_explicit(&lock->state, memory_order_relaxed) == LOCK_FREE &&
            la_prim_lock_try(lock))
            return;
    }
    while (atomic_exchange_explicit(&lock->state, LOCK_CONTENDED, memory_order_acquire) != LOCK_FREE)
        (void)futex(&lock->state, FUTEX_WAIT_PRIVATE, LOCK_CONTENDED, NULL);
}

void la_prim_lock_acquire(la_prim_lock_t *lock) {
    if (LA_LIKELY(la_prim_lock_try(lock))) return;
    lock_slow(lock);
}

void la_prim_lock_release(la_prim_lock_t *lock) {
    if (atomic_exchange_explicit(&lock->state, LOCK_FREE, memory_order_release) == LOCK_CONTENDED)
        (void)futex(&lock->state, FUTEX_WAKE_PRIVATE, 1, NULL);
}
