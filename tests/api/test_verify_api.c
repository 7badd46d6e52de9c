/* The verifier (lookaside/verify.h) through the public headers: the header's
 * example, the option parser, selection by name, fill patterns, redzones,
 * double free / wrong cache / bad pointer, depth0 counting, fault injection,
 * passthrough and the leak report with call sites. */
#include "test_support.h"
#include "lookaside_fixture.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes that a verified cache must notice; not instrumented, so an ASan build
 * lets them through (the block is poisoned there) and the verifier's own check runs. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((no_sanitize_address))
#endif
static void poke(void *p, size_t off, unsigned char v) {
    ((volatile unsigned char *)p)[off] = v;
}

static la_lookaside_t *make(const char *name, size_t size) {
    la_lookaside_params_t p = {0};
    p.name = name;
    p.size = size;
    p.tag = LA_TAG('V', 'r', 'f', 'y');
    la_lookaside_t *c = NULL;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    return c;
}

static int example(void) {
    int err = la_verify_configure("caches=net.*,fill,redzone,callsites");
    if (err) return err;                          // EINVAL: reported via la_printf
    la_lookaside_params_t p = {0};
    p.name = "net.rx";
    p.size = 64;
    p.tag = LA_TAG('N', 'e', 't', 'R');
    la_lookaside_t *rx;
    err = la_lookaside_create(&p, &rx);
    if (err) return err;
    bool on = la_verify_enabled(rx);              // true: "net.rx" matches net.*
    void *a = LA_LOOKASIDE_ALLOC(rx);             // this file:line is recorded
    size_t live = la_verify_report(rx);           // 1, printed with its call site
    la_lookaside_free(rx, a);                     // redzone checked, block filled
    size_t leaked = la_lookaside_destroy(rx);     // 0
    la_verify_configure(NULL);                    // later caches are not verified
    return on && a && live == 1 && leaked == 0 ? 0 : -1;
}

static void t_example(void **state) {
    (void)state;
    la_test_capture_begin();
    assert_int_equal(example(), 0);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "\"net.rx\": 1 block handed out"));
    assert_non_null(strstr(out, "test_verify_api.c:"));
    la_lookaside_t *c = make("net.tx", 64); /* configured off again */
    assert_false(la_verify_enabled(c));
    la_lookaside_destroy(c);
}

static void t_parser(void **state) {
    (void)state;
    assert_int_equal(la_verify_configure("fill"), 0);
    const char *bad[] = {"fill,bogus", "fail_share=2", "fail_share=x", "redzone=0", "redzone=5000",
                         "fail_nth=", "fail_nth=12a", "caches=", "depth0=1", "seed"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        la_test_capture_begin();
        assert_int_equal(la_verify_configure(bad[i]), EINVAL);
        const char *out = la_test_capture_end();
        assert_non_null(strstr(out, "la_verify_configure"));
    }
    la_test_capture_begin();
    assert_int_equal(la_verify_configure("bogus,fill,nope=3"), EINVAL);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "unknown option \"bogus\""));
    assert_non_null(strstr(out, "unknown option \"nope=3\""));
    /* the previous configuration ("fill") is kept */
    la_lookaside_t *c = make("kept", 32);
    assert_true(la_verify_enabled(c));
    la_lookaside_destroy(c);
    assert_int_equal(la_verify_configure("fill,,redzone=24,fail_share=0.25,seed=9,off"), 0);
    c = make("kept", 32); /* "off" last: nothing verified */
    assert_false(la_verify_enabled(c));
    la_lookaside_destroy(c);
    assert_int_equal(la_verify_configure(""), 0);
}

static void t_selection(void **state) {
    (void)state;
    assert_int_equal(la_verify_configure("caches=net.*|disk?,fill"), 0);
    const char *yes[] = {"net.rx", "net.", "disk1"};
    const char *no[] = {"netrx", "disk12", "xnet.rx", ""};
    for (size_t i = 0; i < 3; ++i) {
        la_lookaside_t *c = make(yes[i], 32);
        assert_true(la_verify_enabled(c));
        la_lookaside_destroy(c);
    }
    for (size_t i = 0; i < 4; ++i) {
        la_lookaside_t *c = make(no[i], 32);
        assert_false(la_verify_enabled(c));
        la_lookaside_destroy(c);
    }
    assert_false(la_verify_enabled(NULL));
    assert_int_equal(la_verify_configure(NULL), 0);
}

static void t_fill(void **state) {
    (void)state;
    assert_int_equal(la_verify_configure("fill"), 0);
    la_lookaside_t *c = make("fill", 48);
    uint64_t *a = la_lookaside_alloc(c);
    assert_non_null(a);
    for (size_t i = 0; i < 48 / 8; ++i) assert_true(a[i] == LA_VERIFY_ALLOC_PATTERN);
    la_lookaside_free(c, a);
    void *b = la_lookaside_alloc(c); /* reused intact: fine */
    assert_ptr_equal(b, a);
    la_lookaside_free(c, b);
    poke(a, 17, 0x42); /* a write after free */
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    errno = 0;
    assert_null(la_lookaside_alloc(c));
    assert_int_equal(errno, EFAULT);
    assert_int_equal(la_test_fatal_trap_end(), 1);
    const char *out = la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_CORRUPT_BLOCK);
    assert_non_null(strstr(out, "written after it was freed (byte 17 of 48"));
    void *d = la_lookaside_alloc(c); /* the corrupt block was dropped */
    assert_non_null(d);
    assert_ptr_not_equal(d, a);
    la_lookaside_free(c, d);
    la_test_capture_begin();
    assert_int_equal(la_lookaside_destroy(c), 1); /* the dropped block */
    la_test_capture_end();
    la_verify_configure(NULL);
}

static void t_redzone(void **state) {
    (void)state;
    assert_int_equal(la_verify_configure("redzone=20"), 0); /* rounded to 32 */
    la_lookaside_t *c = make("rz", 64);
    unsigned char *a = la_lookaside_alloc(c);
    memset(a, 0x11, 64); /* the whole block is the caller's */
    poke(a, 64 + 31, 0); /* the last redzone byte */
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    LA_LOOKASIDE_FREE(c, a); int line = __LINE__;
    assert_int_equal(la_test_fatal_trap_end(), 1);
    const char *out = la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_CORRUPT_BLOCK);
    assert_int_equal(la_test_fatal_last_line(), line);
    assert_non_null(strstr(out, "written past its end (redzone byte 31, at block + 95"));
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_frees, 0); /* abandoned */
    assert_int_equal(s.outstanding, 1);
    poke(a, 64 + 31, (unsigned char)(LA_VERIFY_REDZONE_PATTERN >> 56)); /* repair: now it frees */
    la_lookaside_free(c, a);
    s = la_test_stats(c);
    assert_int_equal(s.total_frees, 1);
    assert_int_equal(la_lookaside_destroy(c), 0);
    la_verify_configure(NULL);
}

static void t_misuse(void **state) {
    (void)state;
    assert_int_equal(la_verify_configure("caches=m*"), 0); /* nothing but the record */
    la_lookaside_t *a = make("ma", 64), *b = make("mb", 64);
    assert_true(la_verify_enabled(a));
    void *x = la_lookaside_alloc(a), *y = la_lookaside_alloc(a);
    la_lookaside_free(a, x);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_lookaside_free(a, x);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_DOUBLE_FREE);
    la_lookaside_free(b, y);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_WRONG_OWNER);
    la_lookaside_free(a, (char *)y + 8);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_POINTER);
    assert_int_equal(la_test_fatal_trap_end(), 3);
    la_test_capture_end();
    la_lookaside_stats_t s = la_test_stats(a);
    assert_int_equal(s.total_frees, 1);
    assert_int_equal(la_test_stats(b).total_frees, 0);
    la_lookaside_free(a, y); /* still live after the abandoned wrong free */
    assert_int_equal(la_lookaside_destroy(a), 0);
    assert_int_equal(la_lookaside_destroy(b), 0);
    la_verify_configure(NULL);
}

static void t_depth0(void **state) {
    (void)state;
    assert_int_equal(la_verify_configure("depth0"), 0);
    la_lookaside_t *c = make("d0", 64);
    for (int i = 0; i < 10; ++i) {
        void *p = la_lookaside_alloc(c);
        assert_non_null(p);
        la_lookaside_free(c, p);
    }
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.total_allocates, 10);
    assert_int_equal(s.allocate_misses, 10);
    assert_int_equal(s.total_frees, 10);
    assert_int_equal(s.free_misses, 10);
    assert_int_equal(s.cached, 0);
    assert_int_equal(la_lookaside_destroy(c), 0);
    la_verify_configure(NULL);
}

static void t_fail_nth(void **state) {
    (void)state;
    assert_int_equal(la_verify_configure("fail_nth=3"), 0);
    la_lookaside_t *c = make("f3", 32);
    void *p[5];
    for (int i = 0; i < 5; ++i) {
        errno = 0;
        p[i] = la_lookaside_alloc(c);
        if (i == 2) {
            assert_null(p[i]);
            assert_int_equal(errno, ENOMEM);
        } else {
            assert_non_null(p[i]);
        }
    }
    for (int i = 0; i < 5; ++i) la_lookaside_free(c, p[i]);
    assert_int_equal(la_test_stats(c).total_allocates, 4);
    assert_int_equal(la_lookaside_destroy(c), 0);
    la_verify_configure(NULL);
}

/* Which of 256 allocations fail, as a bit set. */
static void failures(const char *name, uint64_t out[4]) {
    la_lookaside_t *c = make(name, 32);
    memset(out, 0, 4 * sizeof out[0]);
    for (int i = 0; i < 256; ++i) {
        void *p = la_lookaside_alloc(c);
        if (!p) out[i / 64] |= 1ull << (i % 64);
        la_lookaside_free(c, p);
    }
    la_lookaside_destroy(c);
}

static int popcount4(const uint64_t v[4]) {
    int n = 0;
    for (int i = 0; i < 4; ++i) n += __builtin_popcountll(v[i]);
    return n;
}

static void t_fail_share(void **state) {
    (void)state;
    uint64_t a[4], b[4], c[4], d[4];
    assert_int_equal(la_verify_configure("fail_share=0.5,seed=7"), 0);
    failures("share", a);
    failures("share", b);
    assert_memory_equal(a, b, sizeof a); /* deterministic */
    assert_true(popcount4(a) > 64 && popcount4(a) < 192);
    assert_int_equal(la_verify_configure("fail_share=0.5,seed=8"), 0);
    failures("share", c);
    assert_memory_not_equal(a, c, sizeof a); /* the seed matters */
    assert_int_equal(la_verify_configure("fail_share=0"), 0);
    failures("share", d);
    assert_int_equal(popcount4(d), 0);
    assert_int_equal(la_verify_configure("fail_share=1"), 0);
    failures("share", d);
    assert_int_equal(popcount4(d), 256);
    la_verify_configure(NULL);
}

static int backing_calls;
static void *cb_alloc(la_lookaside_t *c, size_t size, size_t align, void *arg) {
    (void)c;
    (void)arg;
    ++backing_calls;
    return aligned_alloc(align, (size + align - 1) / align * align);
}
static void cb_free(la_lookaside_t *c, void *b, size_t size, void *arg) {
    (void)c;
    (void)size;
    (void)arg;
    ++backing_calls;
    free(b);
}

static void t_passthrough(void **state) {
    (void)state;
    assert_int_equal(la_verify_configure("passthrough"), 0);
    la_lookaside_params_t p = {0};
    p.name = "pt";
    p.size = 40;
    p.alloc = cb_alloc;
    p.free = cb_free;
    la_lookaside_t *c;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    backing_calls = 0;
    for (int i = 0; i < 8; ++i) {
        void *b = la_lookaside_alloc(c);
        assert_non_null(b);
        memset(b, 1, 48);
        la_lookaside_free(c, b);
    }
    assert_int_equal(backing_calls, 0); /* the C library served them */
    la_lookaside_stats_t s = la_test_stats(c);
    assert_int_equal(s.allocate_misses, 8);
    assert_int_equal(s.free_misses, 8);
    assert_int_equal(la_lookaside_destroy(c), 0);
    la_verify_configure(NULL);
}

static void t_leak_report(void **state) {
    (void)state;
    assert_int_equal(la_verify_configure("callsites"), 0);
    la_lookaside_t *c = make("leaky", 32);
    void *a = LA_LOOKASIDE_ALLOC(c); int line = __LINE__;
    void *b = la_lookaside_alloc(c);
    void *d = la_lookaside_alloc(c);
    assert_non_null(a);
    assert_non_null(b);
    la_lookaside_free(c, d);
    char want[64];
    snprintf(want, sizeof want, "test_verify_api.c:%d", line);
    la_test_capture_begin();
    assert_int_equal(la_lookaside_destroy(c), 2);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "\"leaky\": 2 blocks outstanding at destroy"));
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "(allocation #2) from return address"));
    assert_null(strstr(out, "allocation #3")); /* freed: not listed */
    la_verify_configure(NULL);
}

int main(void) {
    la_test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_example),     cmocka_unit_test(t_parser),      cmocka_unit_test(t_selection),
        cmocka_unit_test(t_fill),        cmocka_unit_test(t_redzone),     cmocka_unit_test(t_misuse),
        cmocka_unit_test(t_depth0),      cmocka_unit_test(t_fail_nth),    cmocka_unit_test(t_fail_share),
        cmocka_unit_test(t_passthrough), cmocka_unit_test(t_leak_report),
    };
    return la_test_run("verify_api", tests);
}
