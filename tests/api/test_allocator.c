/* <lookaside/allocator.h> through the public headers only: the header example, the
 * wrappers' layout rules, realloc and arrays, the typed helpers (a failed
 * constructor leaves nothing allocated; the destructor runs before the memory goes
 * back), the libc adapter, and the fault-injecting wrapper (Nth call, repeat count,
 * seeded share, resize injection, counters, free with nothing live). */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the header example, as written ------------------------------------------------ */

static int header_example(void) {
    struct point { double x, y; };
    la_pool_allocator_t pa;
    int err = la_pool_allocator_init(&pa, LA_POOL_PAGED, LA_TAG('P','n','t','s'), 0);
    if (err) return err;                          // EINVAL: bad tag, type or flags
    const la_allocator_t *a = &pa.allocator;      // what a container takes
    struct point *pt = LA_ALLOCATOR_NEW(a, struct point);  // zeroed, charged to "Pnts"
    if (!pt) return errno;
    pt->x = 1.5;
    char *buf = la_allocator_alloc(a, 100, 64);   // 100 bytes, 64-byte aligned
    if (!buf) { LA_ALLOCATOR_DELETE(a, struct point, pt); return errno; }
    bool grown = la_allocator_resize(a, buf, 100, 112, 64); // in place, or nothing changed
    la_allocator_free(a, buf, grown ? 112 : 100, 64);    // free with the current size
    LA_ALLOCATOR_DELETE(a, struct point, pt);
    return 0;
}

static void t_header_example(void **state) {
    (void)state;
    assert_int_equal(header_example(), 0);
    la_pool_tag_info_t info;
    assert_int_equal(la_pool_tag_query(LA_TAG('P', 'n', 't', 's'), LA_POOL_KIND_PAGED, &info), 0);
    assert_int_equal(info.allocs, 2);
    assert_int_equal(info.frees, 2);
    assert_int_equal(info.outstanding, 0);
}

/* ---- a recording allocator: what the wrappers pass down, and when ---------------------- */

typedef struct rec_event {
    char what;           /* 'a' allocate, 'f' free, 'r' resize, 'd' destructor */
    size_t size, size2, align;
    void *p;
} rec_event_t;

typedef struct recorder {
    la_allocator_t allocator;
    rec_event_t ev[64];
    int n;
    size_t grow_limit;   /* resize succeeds up to this size */
} recorder_t;

#define LA_ARRAY_SIZE_T(a) (sizeof(a) / sizeof((a)[0]))

static void rec_push(recorder_t *r, char what, void *p, size_t size, size_t size2, size_t align) {
    if (r->n < (int)LA_ARRAY_SIZE_T(r->ev)) {
        rec_event_t e = {what, size, size2, align, p};
        r->ev[r->n++] = e;
    }
}
static void *rec_alloc(void *ctx, size_t size, size_t align) {
    recorder_t *r = ctx;
    size_t cap = r->grow_limit > size ? r->grow_limit : size;
    size_t bytes = (cap + 63) & ~(size_t)63;
    void *p = aligned_alloc(align < 16 ? 16 : align, bytes);
    if (p) memset(p, 0xAB, bytes); /* garbage, so zeroing by the helpers is visible */
    rec_push(r, 'a', p, size, 0, align);
    return p;
}
static void rec_free(void *ctx, void *p, size_t size, size_t align) {
    recorder_t *r = ctx;
    rec_push(r, 'f', p, size, 0, align);
    memset(p, 0xDD, size); /* poison: a destructor running after this would see it */
    free(p);
}
static bool rec_resize(void *ctx, void *p, size_t old_size, size_t new_size, size_t align) {
    recorder_t *r = ctx;
    rec_push(r, 'r', p, old_size, new_size, align);
    return new_size <= r->grow_limit;
}

static void rec_init(recorder_t *r, size_t grow_limit) {
    memset(r, 0, sizeof *r);
    r->allocator.allocate = rec_alloc;
    r->allocator.free = rec_free;
    r->allocator.resize_in_place = rec_resize;
    r->allocator.ctx = r;
    r->allocator.name = "recorder";
    r->grow_limit = grow_limit;
}

static void t_wrappers_normalise_layout(void **state) {
    (void)state;
    recorder_t r;
    rec_init(&r, 0);
    const la_allocator_t *a = &r.allocator;
    void *p = la_allocator_alloc(a, 0, 0);            /* size 0 -> 1, align 0 -> default */
    assert_non_null(p);
    assert_int_equal(r.ev[0].size, 1);
    assert_int_equal(r.ev[0].align, LA_ALLOCATOR_DEFAULT_ALIGN);
    la_allocator_free(a, p, 0, 0);                    /* the same normalisation */
    assert_int_equal(r.ev[1].what, 'f');
    assert_int_equal(r.ev[1].size, 1);
    assert_int_equal(r.ev[1].align, LA_ALLOCATOR_DEFAULT_ALIGN);

    errno = 0;
    assert_null(la_allocator_alloc(a, 8, 24));        /* not a power of two */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(r.n, 2);                          /* never reached the adapter */

    la_allocator_free(a, NULL, 8, 8);                 /* NULL: nothing */
    assert_int_equal(r.n, 2);

    /* A free with a bad alignment is a report, and nothing is freed. */
    p = la_allocator_alloc(a, 8, 8);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_allocator_free(a, p, 8, 12);
    assert_int_equal(la_test_fatal_trap_end(), 1);
    la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    assert_int_equal(r.n, 3);
    la_allocator_free(a, p, 8, 8);
    assert_int_equal(r.n, 4);
}

static void t_resize_rules(void **state) {
    (void)state;
    recorder_t r;
    rec_init(&r, 256);
    const la_allocator_t *a = &r.allocator;
    char *p = la_allocator_alloc(a, 100, 0);
    assert_non_null(p);
    int n = r.n;
    assert_true(la_allocator_resize(a, p, 100, 100, 0)); /* same size: true, not passed down */
    assert_int_equal(r.n, n);
    assert_true(la_allocator_resize(a, p, 100, 200, 0));
    assert_int_equal(r.ev[n].what, 'r');
    assert_int_equal(r.ev[n].size, 100);
    assert_int_equal(r.ev[n].size2, 200);
    assert_false(la_allocator_resize(a, p, 200, 300, 0)); /* above the limit */
    assert_false(la_allocator_resize(a, NULL, 1, 2, 0));
    assert_false(la_allocator_resize(a, p, 200, 300, 3));  /* bad alignment: false, no report */
    la_allocator_free(a, p, 200, 0);

    /* No resize callback: only same-size "resizes" succeed. */
    la_allocator_t plain = r.allocator;
    plain.resize_in_place = NULL;
    p = la_allocator_alloc(&plain, 10, 0);
    assert_true(la_allocator_resize(&plain, p, 10, 10, 0));
    assert_false(la_allocator_resize(&plain, p, 10, 5, 0));
    la_allocator_free(&plain, p, 10, 0);
}

static void t_realloc(void **state) {
    (void)state;
    recorder_t r;
    rec_init(&r, 64);
    const la_allocator_t *a = &r.allocator;
    char *p = la_allocator_realloc(a, NULL, 0, 40, 0);  /* NULL: allocate */
    assert_non_null(p);
    memset(p, 'x', 40);
    char *q = la_allocator_realloc(a, p, 40, 64, 0);    /* fits: in place */
    assert_ptr_equal(q, p);
    memset(q, 'y', 64);
    char *m = la_allocator_realloc(a, q, 64, 1000, 0);  /* moves: copy 64, free old */
    assert_non_null(m);
    assert_ptr_not_equal(m, q);
    for (int i = 0; i < 64; i++) assert_int_equal(m[i], 'y');
    assert_int_equal(r.ev[r.n - 1].what, 'f');
    assert_int_equal(r.ev[r.n - 1].size, 64);

    /* Failure leaves the old block alone. */
    la_fault_allocator_t f;
    assert_int_equal(la_fault_allocator_init(&f, la_allocator_libc()), 0);
    char *old = la_allocator_alloc(&f.allocator, 32, 0);
    memset(old, 'k', 32);
    la_fault_allocator_fail_nth(&f, 2, 1);              /* resize is call 1, allocate call 2 */
    errno = 0;
    assert_null(la_allocator_realloc(&f.allocator, old, 32, 4096, 0));
    assert_int_equal(errno, ENOMEM);
    for (int i = 0; i < 32; i++) assert_int_equal(old[i], 'k');
    assert_int_equal(la_fault_allocator_live(&f), 1);
    la_allocator_free(&f.allocator, old, 32, 0);
    assert_int_equal(la_fault_allocator_live(&f), 0);
    la_allocator_free(a, m, 1000, 0);
}

static void t_arrays(void **state) {
    (void)state;
    const la_allocator_t *a = la_allocator_libc();
    int *v = la_allocator_alloc_array(a, 100, sizeof(int), LA_ALIGNOF(int));
    assert_non_null(v);
    for (int i = 0; i < 100; i++) v[i] = i;
    la_allocator_free_array(a, v, 100, sizeof(int), LA_ALIGNOF(int));
    errno = 0;
    assert_null(la_allocator_alloc_array(a, SIZE_MAX / 2, 3, 0));
    assert_int_equal(errno, ENOMEM);
}

/* ---- typed helpers ----------------------------------------------------------------------- */

typedef struct widget {
    uint64_t magic;
    int id;
    char *label;          /* owned: from the same allocator */
} widget_t;

typedef struct widget_env {
    const la_allocator_t *a;
    int fail_with;        /* the constructor fails with this when non-zero */
    recorder_t *rec;      /* when set, the destructor checks its memory is still there */
    int dtor_runs;
} widget_env_t;

static int widget_init(widget_t *w, void *arg) {
    widget_env_t *env = arg;
    w->magic = 0x5749444745540000ull;
    w->id = 7;
    w->label = la_allocator_alloc(env->a, 16, 1);
    if (!w->label) return errno;
    strcpy(w->label, "widget");
    if (env->fail_with) {             /* undo what it did, then fail */
        la_allocator_free(env->a, w->label, 16, 1);
        return env->fail_with;
    }
    return 0;
}

static void widget_fini(widget_t *w, void *arg) {
    widget_env_t *env = arg;
    /* The object is intact: its memory has not been released (nor poisoned). */
    assert_int_equal(w->magic, 0x5749444745540000ull);
    assert_string_equal(w->label, "widget");
    if (env->rec) {
        for (int i = 0; i < env->rec->n; i++)
            assert_false(env->rec->ev[i].what == 'f' && env->rec->ev[i].p == (void *)w);
        rec_push(env->rec, 'd', w, 0, 0, 0);
    }
    env->dtor_runs++;
    la_allocator_free(env->a, w->label, 16, 1);
}

LA_ALLOCATOR_DEFINE_TYPE(widget, widget_t, widget_init, widget_fini)

static void t_typed_new_delete_order(void **state) {
    (void)state;
    recorder_t r;
    rec_init(&r, 0);
    widget_env_t env = {&r.allocator, 0, &r, 0};
    widget_t *w = widget_new(&r.allocator, &env);
    assert_non_null(w);
    assert_int_equal(w->id, 7);
    assert_int_equal(r.ev[0].size, sizeof(widget_t));
    assert_int_equal(r.ev[0].align, LA_ALIGNOF(widget_t));
    widget_delete(&r.allocator, w, &env);
    assert_int_equal(env.dtor_runs, 1);
    /* a(widget) a(label) | d(widget) f(label) f(widget): destructor before the free */
    assert_int_equal(r.n, 5);
    assert_int_equal(r.ev[2].what, 'd');
    assert_int_equal(r.ev[3].what, 'f');
    assert_ptr_equal(r.ev[4].p, w);
    assert_int_equal(r.ev[4].what, 'f');
    assert_int_equal(r.ev[4].size, sizeof(widget_t));
    widget_delete(&r.allocator, NULL, &env);            /* NULL: nothing, no destructor */
    assert_int_equal(env.dtor_runs, 1);
}

static void t_typed_failed_ctor_leaves_nothing(void **state) {
    (void)state;
    la_fault_allocator_t f;
    assert_int_equal(la_fault_allocator_init(&f, la_allocator_libc()), 0);
    widget_env_t env = {&f.allocator, EBUSY, NULL, 0};
    errno = 0;
    assert_null(widget_new(&f.allocator, &env));
    assert_int_equal(errno, EBUSY);                     /* the constructor's error */
    assert_int_equal(la_fault_allocator_live(&f), 0);   /* and nothing left allocated */

    /* The constructor's own allocation fails (call 2): its ENOMEM, nothing left. */
    env.fail_with = 0;
    la_fault_allocator_fail_nth(&f, 2, 1);
    errno = 0;
    assert_null(widget_new(&f.allocator, &env));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(la_fault_allocator_live(&f), 0);

    /* The object's own allocation fails: the constructor never runs. */
    la_fault_allocator_fail_nth(&f, 1, 1);
    assert_null(widget_new(&f.allocator, &env));
    assert_int_equal(la_fault_allocator_live(&f), 0);

    /* A negative constructor result is still a failure (ECANCELED). */
    env.fail_with = -1;
    errno = 0;
    assert_null(widget_new(&f.allocator, &env));
    assert_int_equal(errno, ECANCELED);
    assert_int_equal(la_fault_allocator_live(&f), 0);

    env.fail_with = 0;
    widget_t *w = widget_new(&f.allocator, &env);
    assert_non_null(w);
    assert_int_equal(la_fault_allocator_live(&f), 2);
    widget_delete(&f.allocator, w, &env);
    assert_int_equal(la_fault_allocator_live(&f), 0);
}

static void t_new_without_ctor_zeroes(void **state) {
    (void)state;
    recorder_t r;
    rec_init(&r, 0);
    /* The recorder hands out memory full of 0xAB: every byte must come back zero. */
    for (int k = 0; k < 8; k++) {
        widget_t *w = LA_ALLOCATOR_NEW(&r.allocator, widget_t);
        assert_non_null(w);
        const unsigned char *b = (const unsigned char *)w;
        for (size_t i = 0; i < sizeof *w; i++) assert_int_equal(b[i], 0);
        memset(w, 0xAB, sizeof *w);
        LA_ALLOCATOR_DELETE(&r.allocator, widget_t, w);
    }
    assert_int_equal(r.ev[0].size, sizeof(widget_t));
}

/* ---- the libc adapter ------------------------------------------------------------------ */

static void t_libc(void **state) {
    (void)state;
    const la_allocator_t *a = la_allocator_libc();
    assert_string_equal(a->name, "libc");
    for (size_t align = 1; align <= 8192; align <<= 1) {
        unsigned char *p = la_allocator_alloc(a, 100, align);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % align, 0);
        memset(p, 1, 100);
        assert_true(la_allocator_resize(a, p, 100, 50, align));   /* shrink: in place */
        assert_false(la_allocator_resize(a, p, 50, 5000, align)); /* grow: no */
        la_allocator_free(a, p, 50, align);
    }
    errno = 0;
    assert_null(la_allocator_alloc(a, SIZE_MAX - 10, 4096));     /* rounding overflows */
    assert_int_equal(errno, ENOMEM);
    errno = 0;
    assert_null(la_allocator_alloc(a, SIZE_MAX - 10, 0));
    assert_int_equal(errno, ENOMEM);
}

/* ---- the fault-injecting wrapper --------------------------------------------------------- */

static void t_fault_nth_and_count(void **state) {
    (void)state;
    la_fault_allocator_t f;
    assert_int_equal(la_fault_allocator_init(NULL, la_allocator_libc()), EINVAL);
    assert_int_equal(la_fault_allocator_init(&f, NULL), EINVAL);
    assert_int_equal(la_fault_allocator_init(&f, la_allocator_libc()), 0);
    assert_string_equal(f.allocator.name, "fault libc");
    const la_allocator_t *a = &f.allocator;

    void *p[10] = {0};
    la_fault_allocator_fail_nth(&f, 3, 2);              /* calls 3 and 4 fail */
    for (int i = 0; i < 6; i++) {
        errno = 0;
        p[i] = la_allocator_alloc(a, 10 + (size_t)i, 0);
        if (i == 2 || i == 3) {
            assert_null(p[i]);
            assert_int_equal(errno, ENOMEM);
        } else {
            assert_non_null(p[i]);
        }
    }
    la_fault_stats_t s;
    la_fault_allocator_stats_get(&f, &s);
    assert_int_equal(s.calls, 6);
    assert_int_equal(s.failures, 2);
    assert_int_equal(s.inner_failures, 0);
    assert_int_equal(s.live, 4);
    assert_int_equal(s.live_bytes, 10 + 11 + 14 + 15);
    assert_int_equal(la_fault_allocator_failures(&f), 2);

    /* Relative to the call count when armed; count 0 means 1. */
    la_fault_allocator_fail_nth(&f, 1, 0);
    assert_null(la_allocator_alloc(a, 1, 0));
    p[6] = la_allocator_alloc(a, 1, 0);
    assert_non_null(p[6]);

    /* Resize calls count and can be failed too. */
    la_fault_allocator_fail_nth(&f, 1, 1);
    assert_false(la_allocator_resize(a, p[0], 10, 5, 0));  /* libc would have said yes */
    assert_true(la_allocator_resize(a, p[0], 10, 5, 0));
    assert_false(la_allocator_resize(a, p[0], 5, 5000, 0)); /* the inner allocator's no */
    la_fault_allocator_stats_get(&f, &s);
    assert_int_equal(s.inner_failures, 1);
    assert_int_equal(s.live_bytes, 5 + 11 + 14 + 15 + 1);
    assert_int_equal(s.peak_bytes, 10 + 11 + 14 + 15 + 1);

    /* Persistent: every call from the 2nd on; then disarm. */
    la_fault_allocator_fail_nth(&f, 2, UINT64_MAX);
    p[7] = la_allocator_alloc(a, 1, 0);
    assert_non_null(p[7]);
    for (int i = 0; i < 5; i++) assert_null(la_allocator_alloc(a, 1, 0));
    la_fault_allocator_fail_nth(&f, 0, 0);
    p[8] = la_allocator_alloc(a, 1, 0);
    assert_non_null(p[8]);

    la_allocator_free(a, p[0], 5, 0);
    la_allocator_free(a, p[1], 11, 0);
    la_allocator_free(a, p[4], 14, 0);
    la_allocator_free(a, p[5], 15, 0);
    la_allocator_free(a, p[6], 1, 0);
    la_allocator_free(a, p[7], 1, 0);
    la_allocator_free(a, p[8], 1, 0);
    la_fault_allocator_stats_get(&f, &s);
    assert_int_equal(s.live, 0);
    assert_int_equal(s.live_bytes, 0);
    assert_int_equal(s.frees, 7);
}

static uint64_t share_pattern(uint32_t ppm, uint64_t seed, int calls, uint64_t *mask_out) {
    la_fault_allocator_t f;
    assert_int_equal(la_fault_allocator_init(&f, la_allocator_libc()), 0);
    la_fault_allocator_fail_share(&f, ppm, seed);
    uint64_t mask = 0, failed = 0;
    for (int i = 0; i < calls; i++) {
        void *p = la_allocator_alloc(&f.allocator, 8, 0);
        if (!p) {
            failed++;
            if (i < 64) mask |= 1ull << i;
        }
        la_allocator_free(&f.allocator, p, 8, 0);
    }
    assert_int_equal(la_fault_allocator_live(&f), 0);
    assert_int_equal(la_fault_allocator_failures(&f), failed);
    if (mask_out) *mask_out = mask;
    return failed;
}

static void t_fault_share_is_seeded(void **state) {
    (void)state;
    uint64_t seed = la_test_seed();
    uint64_t m1, m2, m3;
    uint64_t n1 = share_pattern(250000, seed, 4000, &m1);
    uint64_t n2 = share_pattern(250000, seed, 4000, &m2);
    assert_int_equal(n1, n2);                 /* same seed: same calls fail */
    assert_int_equal(m1, m2);
    assert_in_range(n1, 700, 1300);           /* about a quarter of 4000 */
    share_pattern(250000, seed + 1, 4000, &m3);
    assert_int_not_equal(m1, m3);             /* another seed: another pattern (2^-64 chance) */
    assert_int_equal(share_pattern(0, seed, 100, NULL), 0);
    assert_int_equal(share_pattern(2000000, seed, 100, NULL), 100); /* capped: all */
}

static void t_fault_free_with_nothing_live(void **state) {
    (void)state;
    la_fault_allocator_t f;
    assert_int_equal(la_fault_allocator_init(&f, la_allocator_libc()), 0);
    void *stray = malloc(8);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_allocator_free(&f.allocator, stray, 8, 0);
    assert_int_equal(la_test_fatal_trap_end(), 1);
    const char *out = la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_POINTER);
    assert_non_null(strstr(out, "fault libc"));
    la_fault_stats_t s;
    la_fault_allocator_stats_get(&f, &s);
    assert_int_equal(s.frees, 0);            /* abandoned: not passed to libc */
    free(stray);                             /* still ours */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        cmocka_unit_test(t_wrappers_normalise_layout),
        cmocka_unit_test(t_resize_rules),
        cmocka_unit_test(t_realloc),
        cmocka_unit_test(t_arrays),
        cmocka_unit_test(t_typed_new_delete_order),
        cmocka_unit_test(t_typed_failed_ctor_leaves_nothing),
        cmocka_unit_test(t_new_without_ctor_zeroes),
        cmocka_unit_test(t_libc),
        cmocka_unit_test(t_fault_nth_and_count),
        cmocka_unit_test(t_fault_share_is_seeded),
        cmocka_unit_test(t_fault_free_with_nothing_live),
    };
    return la_test_run("allocator", tests);
}
