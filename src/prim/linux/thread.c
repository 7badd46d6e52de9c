/* thread.c — per-thread slots with exit hooks, thread ids, and background threads
 * (POSIX threads; nothing here is Linux-only beyond the folder it lives in).
 *
 * What: la_prim_tls_* wraps a pthread key whose destructor is the caller's exit
 * hook; la_prim_thread_id hands out small process-unique ids; la_prim_thread_start
 * starts a thread with every signal blocked (a library thread must not steal the
 * application's signals).
 *
 * Why pthread keys and not C11 _Thread_local destructors: C has none, and keys give
 * the guarantee the magazines need — the hook runs in the exiting thread, for every
 * thread that set a non-NULL value, including threads the library never created.
 *
 * Invariants:
 *   - The exit hook runs once per thread per arming: the C library clears the value
 *     before calling the hook, and runs further rounds (up to
 *     PTHREAD_DESTRUCTOR_ITERATIONS, 4 in glibc) when a hook sets a slot again, so a
 *     la_prim_tls_set() made from inside another slot's hook is honoured whichever
 *     order the keys were created in ("re-arming").
 *   - Thread ids come from one counter starting at 1; they are never reused.
 *   - Hooks do not run for the thread that calls exit() or returns from main (the
 *     C library runs key destructors only on thread exit); pthread_exit from main
 *     does run them.
 * Lock order: no locks. */
#define _GNU_SOURCE
#include "linux.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>

_Static_assert(sizeof(pthread_key_t) <= sizeof(unsigned), "pthread_key_t must fit la_prim_tls_key_t.key");
_Static_assert(sizeof(pthread_t) <= sizeof(uintptr_t), "pthread_t must fit la_prim_thread_t.handle");

int la_prim_tls_create(la_prim_tls_key_t *key, la_prim_thread_exit_fn *on_exit) {
    if (!key) return EINVAL;
    if (key->created) return EEXIST;
    pthread_key_t k;
    int e = pthread_key_create(&k, on_exit);
    if (e) return e; /* EAGAIN: the process ran out of keys */
    key->key = (unsigned)k;
    key->created = true;
    return 0;
}

int la_prim_tls_set(la_prim_tls_key_t *key, void *value) {
    if (!key || !key->created) return EINVAL;
    return pthread_setspecific((pthread_key_t)key->key, value); /* ENOMEM possible */
}

void *la_prim_tls_get(la_prim_tls_key_t *key) {
    if (!key || !key->created) return NULL;
    return pthread_getspecific((pthread_key_t)key->key);
}

static _Atomic uint64_t next_thread_id = 1;
static _Thread_local uint64_t my_thread_id;

uint64_t la_prim_thread_id(void) {
    uint64_t id = my_thread_id;
    if (LA_UNLIKELY(id == 0)) {
        id = atomic_fetch_add_explicit(&next_thread_id, 1, memory_order_relaxed);
        my_thread_id = id;
    }
    return id;
}

void la_prim_yield(void) { sched_yield(); }

int la_prim_thread_start(la_prim_thread_t *t, void *(*fn)(void *), void *arg) {
    if (!t || !fn) return EINVAL;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    int e = pthread_create(&th, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e) return e;
    t->handle = (uintptr_t)th;
    return 0;
}

int la_prim_thread_join(la_prim_thread_t *t) {
    if (!t || t->handle == 0) return EINVAL;
    int e = pthread_join((pthread_t)t->handle, NULL);
    if (e == 0) t->handle = 0;
    return e;
}
