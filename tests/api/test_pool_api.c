/* Tagged pool through the public header only: the header example, alignment,
 * zeroing, sizes, tags, accounting, snapshots, budgets, the raise handler, strict
 * mode, misuse reports, executable and locked pools, reports, memory coming back.
 * Every test uses its own tags, so the process-wide accounting of one test never
 * disturbs another. */
#define _GNU_SOURCE
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The example from lookaside/pool.h, compiled as written. */
static int header_example(void) {
    la_tag_t tag = LA_TAG('D', 'e', 'm', 'o');
    char *p = la_pool_alloc(LA_POOL_PAGED, 100, tag, LA_POOL_F_ZERO);
    if (!p) return errno;                       // ENOMEM, EDQUOT, ...
    p[99] = 1;                                  // 100 usable bytes, zeroed
    la_pool_tag_info_t info;
    la_pool_tag_query(tag, LA_POOL_KIND_PAGED, &info); // info.outstanding == 1
    la_pool_free_tag(p, tag);                   // checks the tag
    la_pool_table_print(NULL);                  // PoolMon-style table via la_printf
    return 0;
}

static void t_header_example(void **state) {
    (void)state;
    la_test_capture_begin();
    assert_int_equal(header_example(), 0);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "Demo"));
    assert_non_null(strstr(out, "PerAlloc"));
    la_pool_tag_info_t info;
    assert_int_equal(la_pool_tag_query(LA_TAG('D', 'e', 'm', 'o'), LA_POOL_KIND_PAGED, &info), 0);
    assert_int_equal(info.allocs, 1);
    assert_int_equal(info.frees, 1);
    assert_int_equal(info.outstanding, 0);
    assert_int_equal(info.bytes, 0);
}

static la_pool_tag_info_t query(la_tag_t tag, la_pool_kind_t kind) {
    la_pool_tag_info_t info;
    memset(&info, 0, sizeof info);
    assert_int_equal(la_pool_tag_query(tag, kind, &info), 0);
    return info;
}

/* ---- tags ------------------------------------------------------------------------ */

static void t_tag_byte_order(void **state) {
    (void)state;
    char out[5];
    assert_string_equal(la_tag_format(LA_TAG('F', 'r', 'e', 'd'), out), "Fred");
    /* The value of the C multi-character constant 'Fred' (first character in the
     * highest byte, as gcc, clang and MSVC lay it out) shows reversed, as in PoolMon. */
    la_tag_t multichar = ((la_tag_t)'F' << 24) | ((la_tag_t)'r' << 16) | ((la_tag_t)'e' << 8) | 'd';
    assert_string_equal(la_tag_format(multichar, out), "derF");
    assert_string_equal(la_tag_format(0x00417f41u, out), "A.A.");
}

static void t_invalid_tags_rejected(void **state) {
    (void)state;
    const la_tag_t bad[] = {0, LA_TAG('A', 'b', 'c', 0x1f), LA_TAG(0x7f, 'b', 'c', 'd'),
                            LA_TAG('A', 0x80, 'c', 'd'), LA_TAG('A', 'b', 0xff, 'd'), LA_TAG(0, 'b', 'c', 'd')};
    la_pool_stats_t before, after;
    la_pool_stats_get(&before);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        assert_false(la_tag_valid(bad[i]));
        errno = 0;
        assert_null(la_pool_alloc(LA_POOL_PAGED, 32, bad[i], 0));
        assert_int_equal(errno, EINVAL);
        errno = 0;
        assert_null(la_pool_alloc(LA_POOL_PAGED, 100000, bad[i], 0));
        assert_int_equal(errno, EINVAL);
    }
    la_pool_stats_get(&after);
    assert_int_equal(after.invalid_tag_failures - before.invalid_tag_failures, 2 * (sizeof bad / sizeof bad[0]));
    assert_true(la_tag_valid(LA_TAG(' ', '~', 'a', '0')));
    void *p = la_pool_alloc(LA_POOL_PAGED, 8, LA_TAG(' ', '~', 'a', '0'), 0);
    assert_non_null(p);
    la_pool_free(p);
    assert_int_equal(la_pool_tag_query(0, LA_POOL_KIND_PAGED, &(la_pool_tag_info_t){0}), EINVAL);
    assert_int_equal(la_pool_tag_query(LA_TAG('N', 'e', 'v', 'r'), LA_POOL_KIND_PAGED,
                                       &(la_pool_tag_info_t){0}), ENOENT);
}

static void t_unknown_type_and_flag_bits_rejected(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('B', 'i', 't', 's');
    errno = 0;
    assert_null(la_pool_alloc(0x100, 16, tag, 0));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(la_pool_alloc(LA_POOL_PAGED, 16, tag, 0x80));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(la_pool_alloc(0x8, 16, tag, 0));
    assert_int_equal(errno, EINVAL);
}

/* ---- sizes and alignment ----------------------------------------------------------- */

static void t_alignment_and_page_rules(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('A', 'l', 'i', 'g');
    la_test_rng_t rng;
    la_test_rng_init(&rng, la_test_seed());
    for (size_t size = 0; size <= 70000; size += (size < 4200 ? 1 : 997)) {
        for (int ca = 0; ca < 2; ++ca) {
            unsigned type = ca ? LA_POOL_CACHE_ALIGNED : LA_POOL_PAGED;
            char *p = la_pool_alloc(type, size, tag, 0);
            assert_non_null(p);
            uintptr_t a = (uintptr_t)p;
            if (size <= LA_POOL_SMALL_MAX) {
                assert_int_equal(a % 16, 0);
                size_t last = a + (size ? size - 1 : 0);
                assert_int_equal(a / 4096, last / 4096); /* never crosses a page */
            } else {
                assert_int_equal(a % 4096, 0);
            }
            if (ca) assert_int_equal(a % LA_POOL_CACHE_ALIGNMENT, 0);
            size_t bs = la_pool_block_size(p);
            assert_true(bs >= size);
            if (size > LA_POOL_SMALL_MAX) assert_int_equal(bs % 4096, 0);
            if (size) {
                p[0] = 1;
                p[size - 1] = 2;
            }
            assert_int_equal(la_pool_block_tag(p), tag);
            la_pool_free_tag(p, tag);
        }
    }
    (void)rng;
}

static void t_zero_size_gives_unique_pointers(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('Z', 'e', 'r', '0');
    void *v[64];
    for (int i = 0; i < 64; ++i) {
        v[i] = la_pool_alloc(LA_POOL_PAGED, 0, tag, 0);
        assert_non_null(v[i]);
        for (int j = 0; j < i; ++j) assert_ptr_not_equal(v[i], v[j]);
    }
    assert_int_equal(query(tag, LA_POOL_KIND_PAGED).outstanding, 64);
    for (int i = 0; i < 64; ++i) la_pool_free(v[i]);
    assert_int_equal(query(tag, LA_POOL_KIND_PAGED).outstanding, 0);
}

static void t_zero_fill(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('Z', 'f', 'i', 'l');
    const size_t sizes[] = {1, 16, 100, 1000, 4000, 5000, 70000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; ++k) {
        /* Dirty blocks of the size, free them, then every zeroed allocation reads 0. */
        unsigned char *dirty[32];
        for (int i = 0; i < 32; ++i) {
            dirty[i] = la_pool_alloc(LA_POOL_PAGED, sizes[k], tag, 0);
            assert_non_null(dirty[i]);
            memset(dirty[i], 0xAB, sizes[k]);
        }
        for (int i = 0; i < 32; ++i) la_pool_free(dirty[i]);
        for (int i = 0; i < 32; ++i) {
            dirty[i] = la_pool_alloc(LA_POOL_PAGED, sizes[k], tag, LA_POOL_F_ZERO);
            assert_non_null(dirty[i]);
            for (size_t b = 0; b < sizes[k]; ++b) assert_int_equal(dirty[i][b], 0);
        }
        for (int i = 0; i < 32; ++i) la_pool_free(dirty[i]);
    }
}

static void t_sizes_near_size_max_fail_and_count(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('H', 'u', 'g', 'e');
    const size_t sizes[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 4095, SIZE_MAX / 2 + 1, (size_t)1 << 62};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
        errno = 0;
        assert_null(la_pool_alloc(LA_POOL_PAGED, sizes[i], tag, 0));
        assert_int_equal(errno, ENOMEM);
    }
    la_pool_tag_info_t info = query(tag, LA_POOL_KIND_PAGED);
    assert_int_equal(info.failures, sizeof sizes / sizeof sizes[0]);
    assert_int_equal(info.allocs, 0);
    assert_int_equal(info.outstanding, 0);
}

/* ---- accounting ------------------------------------------------------------------------ */

static void t_accounting_per_tag_and_kind(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('A', 'c', 'c', 't');
    void *paged[10], *locked[3];
    for (int i = 0; i < 10; ++i) paged[i] = la_pool_alloc(LA_POOL_PAGED, 100, tag, 0);
    for (int i = 0; i < 3; ++i) locked[i] = la_pool_alloc(LA_POOL_LOCKED, 5000, tag, 0);
    la_pool_tag_info_t p = query(tag, LA_POOL_KIND_PAGED), l = query(tag, LA_POOL_KIND_LOCKED);
    assert_int_equal(p.allocs, 10);
    assert_int_equal(p.outstanding, 10);
    assert_int_equal(p.bytes, 10 * la_pool_block_size(paged[0]));
    assert_int_equal(l.allocs, 3);
    assert_int_equal(l.bytes, 3 * la_pool_block_size(locked[0]));
    assert_int_equal(l.kind, LA_POOL_KIND_LOCKED);
    for (int i = 0; i < 4; ++i) la_pool_free(paged[i]);
    p = query(tag, LA_POOL_KIND_PAGED);
    assert_int_equal(p.frees, 4);
    assert_int_equal(p.outstanding, 6);
    assert_int_equal(p.bytes, 6 * la_pool_block_size(paged[5]));
    assert_true(p.peak_bytes >= 10 * la_pool_block_size(paged[5]));
    for (int i = 4; i < 10; ++i) la_pool_free(paged[i]);
    for (int i = 0; i < 3; ++i) la_pool_free(locked[i]);
    p = query(tag, LA_POOL_KIND_PAGED);
    l = query(tag, LA_POOL_KIND_LOCKED);
    assert_int_equal(p.outstanding + p.bytes + l.outstanding + l.bytes, 0);
    assert_int_equal(p.frees, 10);
    assert_int_equal(l.frees, 3);
}

static void t_snapshot(void **state) {
    (void)state;
    la_tag_t tags[3] = {LA_TAG('S', 'n', 'p', '1'), LA_TAG('S', 'n', 'p', '2'), LA_TAG('S', 'n', 'p', '3')};
    void *v[3];
    for (int i = 0; i < 3; ++i) v[i] = la_pool_alloc(LA_POOL_PAGED, 64 * (size_t)(i + 1), tags[i], 0);
    size_t count = 0;
    assert_int_equal(la_pool_snapshot(NULL, 0, &count), ENOBUFS);
    assert_true(count >= 3);
    la_pool_tag_info_t *recs = calloc(count, sizeof *recs);
    assert_non_null(recs);
    la_pool_tag_info_t one;
    assert_int_equal(la_pool_snapshot(&one, 1, &count), ENOBUFS);
    size_t count2;
    assert_int_equal(la_pool_snapshot(recs, count, &count2), 0);
    assert_int_equal(count2, count);
    int found = 0;
    for (size_t i = 0; i < count; ++i)
        for (int k = 0; k < 3; ++k)
            if (recs[i].tag == tags[k] && recs[i].kind == LA_POOL_KIND_PAGED) {
                assert_int_equal(recs[i].outstanding, 1);
                assert_int_equal(recs[i].bytes, la_pool_block_size(v[k]));
                found++;
            }
    assert_int_equal(found, 3);
    free(recs);
    for (int i = 0; i < 3; ++i) la_pool_free(v[i]);
    assert_int_equal(la_pool_snapshot(NULL, 5, &count), EINVAL);
}

/* ---- budgets ---------------------------------------------------------------------------- */

static void t_budgets(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('B', 'u', 'd', 'g');
    assert_int_equal(la_pool_tag_budget_set(tag, LA_POOL_KIND_PAGED, 4096, 8192), 0);
    la_test_capture_begin();
    void *v[8] = {0};
    int got = 0;
    for (int i = 0; i < 8; ++i) {
        errno = 0;
        v[i] = la_pool_alloc(LA_POOL_PAGED, 1024, tag, 0); /* 1024-byte blocks */
        if (v[i]) got++;
        else assert_int_equal(errno, EDQUOT);
    }
    const char *out = la_test_capture_end();
    assert_int_equal(got, 8); /* exactly 8 KiB fit */
    errno = 0;
    assert_null(la_pool_alloc(LA_POOL_PAGED, 1, tag, 0));
    assert_int_equal(errno, EDQUOT);
    /* One soft warning, naming the tag. */
    const char *w = strstr(out, "soft budget");
    assert_non_null(w);
    assert_null(strstr(w + 1, "soft budget"));
    assert_non_null(strstr(out, "Budg"));
    la_pool_tag_info_t info = query(tag, LA_POOL_KIND_PAGED);
    assert_int_equal(info.budget_denials, 1);
    assert_int_equal(info.failures, 1);
    assert_int_equal(info.peak_bytes, 8192);
    /* Freeing makes room again; other kinds of the tag are not limited. */
    la_pool_free(v[0]);
    v[0] = la_pool_alloc(LA_POOL_PAGED, 1000, tag, 0);
    assert_non_null(v[0]);
    void *other = la_pool_alloc(LA_POOL_PAGED | LA_POOL_CACHE_ALIGNED, 0, LA_TAG('B', 'u', 'd', 'H'), 0);
    assert_non_null(other); /* another tag is not limited */
    la_pool_free(other);
    for (int i = 0; i < 8; ++i) la_pool_free(v[i]);
    /* Budget of big blocks too. */
    assert_int_equal(la_pool_tag_budget_set(tag, LA_POOL_KIND_PAGED, 0, 100000), 0);
    errno = 0;
    assert_null(la_pool_alloc(LA_POOL_PAGED, 200000, tag, 0));
    assert_int_equal(errno, EDQUOT);
    void *big = la_pool_alloc(LA_POOL_PAGED, 50000, tag, 0);
    assert_non_null(big);
    la_pool_free(big);
    assert_int_equal(la_pool_tag_budget_set(tag, LA_POOL_KIND_PAGED, 0, 0), 0);
    big = la_pool_alloc(LA_POOL_PAGED, 200000, tag, 0);
    assert_non_null(big);
    la_pool_free(big);
    assert_int_equal(query(tag, LA_POOL_KIND_PAGED).outstanding, 0);
    assert_int_equal(la_pool_tag_budget_set(0, LA_POOL_KIND_PAGED, 1, 1), EINVAL);
}

/* ---- raise handler -------------------------------------------------------------------------- */

typedef struct raised {
    int calls, error;
    size_t size;
    la_tag_t tag;
} raised_t;

static void on_raise(int error, size_t size, la_tag_t tag, void *arg) {
    raised_t *r = arg;
    r->calls++;
    r->error = error;
    r->size = size;
    r->tag = tag;
}

static void t_raise_handler(void **state) {
    (void)state;
    raised_t r = {0};
    la_raise_handler_set(on_raise, &r);
    la_tag_t tag = LA_TAG('R', 'a', 'i', 's');
    errno = 0;
    assert_null(la_pool_alloc(LA_POOL_PAGED, SIZE_MAX, tag, LA_POOL_F_RAISE));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.error, ENOMEM);
    assert_true(r.size == SIZE_MAX);
    assert_int_equal(r.tag, tag);
    assert_null(la_pool_alloc(LA_POOL_PAGED, 8, 0, LA_POOL_F_RAISE));
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.error, EINVAL);
    /* Without the flag the handler is not called. */
    assert_null(la_pool_alloc(LA_POOL_PAGED, SIZE_MAX, tag, 0));
    assert_int_equal(r.calls, 2);
    la_raise_handler_set(NULL, NULL);
}

static void raise_default(void *arg) {
    (void)arg;
    void *p = la_pool_alloc(LA_POOL_PAGED, SIZE_MAX, LA_TAG('R', 'a', 'i', 'D'), LA_POOL_F_RAISE);
    la_pool_free(p);
}

static void t_default_raise_reports_and_aborts(void **state) {
    (void)state;
    static const char *const expect[] = {"FATAL RAISE", "RaiD", "ENOMEM", NULL};
    assert_true(la_test_dies_with(raise_default, NULL, expect));
}

/* ---- misuse ----------------------------------------------------------------------------------- */

static void t_free_of_foreign_pointers(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('F', 'o', 'r', 'n');
    char *small = la_pool_alloc(LA_POOL_PAGED, 64, tag, 0);
    char *big = la_pool_alloc(LA_POOL_PAGED, 100000, tag, 0);
    assert_non_null(small);
    assert_non_null(big);
    int local;
    void *heap = malloc(64);
    void *bad[] = {&local, heap, small + 16, small + 1, big + 4096, big + 8, (void *)(uintptr_t)0x1000};
    la_pool_tag_info_t before = query(tag, LA_POOL_KIND_PAGED);
    la_pool_stats_t s0, s1;
    la_pool_stats_get(&s0);
    la_test_capture_begin();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        la_test_fatal_trap_begin();
        la_pool_free_at(bad[i], 0, "caller.c", 77);
        assert_int_equal(la_test_fatal_trap_end(), 1);
        assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_POINTER);
        assert_string_equal(la_test_fatal_last_file(), "caller.c");
        assert_int_equal(la_test_fatal_last_line(), 77);
    }
    la_test_fatal_trap_begin();
    assert_int_equal(la_pool_block_size(heap), 0);
    assert_int_equal(la_pool_block_tag(&local), 0);
    assert_int_equal(la_test_fatal_trap_end(), 2);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "FATAL BAD_POINTER"));
    la_pool_stats_get(&s1);
    assert_int_equal(s1.bad_frees - s0.bad_frees, sizeof bad / sizeof bad[0] + 2);
    /* Nothing was modified: the real blocks are still live and counted. */
    la_pool_tag_info_t after = query(tag, LA_POOL_KIND_PAGED);
    assert_int_equal(after.frees, before.frees);
    assert_int_equal(after.outstanding, 2);
    assert_int_equal(la_pool_block_tag(small), tag);
    la_pool_free(small);
    la_pool_free(big);
    free(heap);
    assert_int_equal(query(tag, LA_POOL_KIND_PAGED).outstanding, 0);
}

static void t_double_free_reported(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('D', 'b', 'l', 'F');
    const size_t sizes[] = {16, 1000, 4096, 20000, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
        void *p = la_pool_alloc(LA_POOL_PAGED, sizes[i], tag, 0);
        assert_non_null(p);
        la_pool_free(p);
        la_pool_tag_info_t before = query(tag, LA_POOL_KIND_PAGED);
        la_test_capture_begin();
        la_test_fatal_trap_begin();
        la_pool_free_at(p, 0, "twice.c", 5);
        assert_int_equal(la_test_fatal_trap_end(), 1);
        la_test_capture_end();
        assert_int_equal(la_test_fatal_last_code(), LA_FATAL_DOUBLE_FREE);
        la_pool_tag_info_t after = query(tag, LA_POOL_KIND_PAGED);
        assert_int_equal(after.frees, before.frees); /* not counted twice */
        /* The block is usable again exactly once. */
        void *q = la_pool_alloc(LA_POOL_PAGED, sizes[i], tag, 0);
        assert_non_null(q);
        la_pool_free(q);
    }
}

static void double_free_default(void *arg) {
    (void)arg;
    void *p = la_pool_alloc(LA_POOL_PAGED, 48, LA_TAG('D', 'i', 'e', '!'), 0);
    la_pool_free(p);
    la_pool_free(p);
}

static void t_double_free_aborts_by_default(void **state) {
    (void)state;
    static const char *const expect[] = {"FATAL DOUBLE_FREE", "not allocated", NULL};
    assert_true(la_test_dies_with(double_free_default, NULL, expect));
}

static void t_wrong_tag_lenient(void **state) {
    (void)state;
    la_pool_strict_set(false);
    la_tag_t tag = LA_TAG('W', 'r', 'n', 'g'), other = LA_TAG('O', 't', 'h', 'r');
    void *a = la_pool_alloc(LA_POOL_PAGED, 32, tag, 0);
    void *b = la_pool_alloc(LA_POOL_PAGED, 300000, tag, 0);
    la_pool_stats_t s0, s1;
    la_pool_stats_get(&s0);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_pool_free_at(a, other, "lenient.c", 12);
    la_pool_free_tag(b, other);
    assert_int_equal(la_test_fatal_trap_end(), 0); /* not fatal without strict mode */
    const char *out = la_test_capture_end();
    /* Reported once per allocating tag, with both tags. */
    const char *m = strstr(out, "allocated with tag 'Wrng'");
    assert_non_null(m);
    assert_non_null(strstr(out, "freed with tag 'Othr'"));
    assert_non_null(strstr(out, "lenient.c:12"));
    assert_null(strstr(m + 1, "allocated with tag"));
    la_pool_stats_get(&s1);
    assert_int_equal(s1.tag_mismatches - s0.tag_mismatches, 2);
    la_pool_tag_info_t info = query(tag, LA_POOL_KIND_PAGED);
    assert_int_equal(info.tag_mismatches, 2);
    assert_int_equal(info.outstanding, 0); /* both were freed */
    assert_int_equal(info.frees, 2);
}

static void t_wrong_tag_strict(void **state) {
    (void)state;
    la_pool_strict_set(true);
    assert_true(la_pool_strict());
    la_tag_t tag = LA_TAG('S', 't', 'r', 'c'), other = LA_TAG('O', 't', 'h', '2');
    void *a = la_pool_alloc(LA_POOL_PAGED, 32, tag, 0);
    void *b = la_pool_alloc(LA_POOL_PAGED, 300000, tag, 0);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_pool_free_at(a, other, "strict.c", 99);
    la_pool_free_tag(b, other);
    assert_int_equal(la_test_fatal_trap_end(), 2);
    const char *out = la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_TAG_MISMATCH);
    assert_non_null(strstr(out, "FATAL TAG_MISMATCH"));
    assert_non_null(strstr(out, "'Strc'"));
    assert_non_null(strstr(out, "'Oth2'"));
    assert_non_null(strstr(out, "strict.c:99"));
    /* Abandoned: both blocks are still allocated. */
    assert_int_equal(query(tag, LA_POOL_KIND_PAGED).outstanding, 2);
    la_pool_free_tag(a, tag);
    la_pool_free_tag(b, tag);
    assert_int_equal(query(tag, LA_POOL_KIND_PAGED).outstanding, 0);
    la_pool_strict_set(false);
}

static void strict_mismatch_default(void *arg) {
    (void)arg;
    la_pool_strict_set(true);
    void *p = la_pool_alloc(LA_POOL_PAGED, 48, LA_TAG('T', 'a', 'g', 'A'), 0);
    la_pool_free_tag(p, LA_TAG('T', 'a', 'g', 'B'));
}

static void t_strict_mismatch_aborts(void **state) {
    (void)state;
    static const char *const expect[] = {"FATAL TAG_MISMATCH", "TagA", "TagB", NULL};
    assert_true(la_test_dies_with(strict_mismatch_default, NULL, expect));
}

/* LA_POOL_STRICT=1 in the environment: run this program again (the variable is read
 * at the pool's first use) and let it free with a wrong tag. */
static int strict_env_child(void) {
    void *p = la_pool_alloc(LA_POOL_PAGED, 48, LA_TAG('E', 'n', 'v', 'A'), 0);
    la_pool_free_tag(p, LA_TAG('E', 'n', 'v', 'B'));
    return 0; /* not reached when strict */
}

static void t_strict_from_environment(void **state) {
    (void)state;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) skip();
    self[n] = '\0';
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        if (devnull >= 0) dup2(devnull, 2);
        setenv("LA_POOL_STRICT", "1", 1);
        execl(self, self, "--strict-env-child", (char *)NULL);
        _exit(3);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == 6 /* SIGABRT */);
    /* And without the variable the same program survives. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        if (devnull >= 0) dup2(devnull, 2);
        unsetenv("LA_POOL_STRICT");
        execl(self, self, "--strict-env-child", (char *)NULL);
        _exit(3);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- executable pool -------------------------------------------------------------------------- */

/* Permissions of the mapping holding `p` from /proc/self/maps ("rw-p"), or "" if unknown. */
static void perms_of(const void *p, char out[5]) {
    out[0] = '\0';
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && (uintptr_t)p >= lo && (uintptr_t)p < hi) {
            memcpy(out, perms, 5);
            break;
        }
    }
    fclose(f);
}

static void t_nx_by_default_exec_when_asked(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('C', 'o', 'd', 'e');
    char perms[5];
    const size_t sizes[] = {64, 100000};
    for (size_t i = 0; i < 2; ++i) {
        unsigned char *d = la_pool_alloc(LA_POOL_PAGED, sizes[i], tag, 0);
        assert_non_null(d);
        perms_of(d, perms);
        if (!perms[0]) skip();
        assert_int_equal(perms[2], '-'); /* never executable by default */
        errno = 0;
        assert_null(la_pool_exec_view(d));
        assert_int_equal(errno, EINVAL);
        la_pool_free(d);

        unsigned char *x = la_pool_alloc(LA_POOL_PAGED | LA_POOL_EXECUTE, sizes[i], tag, 0);
        if (!x && errno == EACCES) skip(); /* this system refuses executable memory */
        assert_non_null(x);
        const unsigned char *v = la_pool_exec_view(x);
        assert_non_null(v);
        assert_ptr_not_equal(v, x);
        perms_of(x, perms);
        assert_int_equal(perms[1], 'w');
        assert_int_equal(perms[2], '-'); /* the writable view is not executable */
        perms_of(v, perms);
        assert_int_equal(perms[1], '-'); /* the executable view is not writable */
        assert_int_equal(perms[2], 'x');
        for (int b = 0; b < 64; ++b) x[b] = (unsigned char)(b * 7);
        for (int b = 0; b < 64; ++b) assert_int_equal(v[b], (unsigned char)(b * 7));
        assert_int_equal(query(tag, LA_POOL_KIND_PAGED_EXEC).outstanding, 1);
        la_pool_free(x);
    }
}

/* ---- locked pool --------------------------------------------------------------------------------- */

static void t_locked_memory_is_locked(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('L', 'c', 'k', 'd');
    la_pool_trim();
    la_pool_stats_t s0, s1;
    la_pool_stats_get(&s0);
    void *a = la_pool_alloc(LA_POOL_LOCKED, 64, tag, 0);
    void *b = la_pool_alloc(LA_POOL_LOCKED, 200000, tag, 0);
    if (!a || !b) {
        /* An unprivileged run with a tiny RLIMIT_MEMLOCK: the failure must be ENOMEM. */
        assert_int_equal(errno, ENOMEM);
        la_pool_free(a);
        la_pool_free(b);
        skip();
    }
    la_pool_stats_get(&s1);
    assert_true(s1.bytes_locked >= s0.bytes_locked + 200000);
    uint64_t lck = la_test_status_kib("VmLck");
    if (lck != UINT64_MAX) assert_true(lck * 1024 >= 200000);
    la_pool_free(a);
    la_pool_free(b);
    la_pool_trim();
    la_pool_stats_get(&s1);
    assert_true(s1.bytes_locked <= s0.bytes_locked);
}

/* ---- reports --------------------------------------------------------------------------------------- */

static void t_table_sort_filter_totals(void **state) {
    (void)state;
    /* Three tags with distinct allocs / frees / bytes. */
    la_tag_t ta = LA_TAG('T', 'b', 'A', 'a'), tb = LA_TAG('T', 'b', 'B', 'b'), tc = LA_TAG('T', 'x', 'C', 'c');
    void *keep[8];
    int k = 0;
    for (int i = 0; i < 5; ++i) la_pool_free(la_pool_alloc(LA_POOL_PAGED, 16, ta, 0)); /* 5 allocs, 0 diff */
    keep[k++] = la_pool_alloc(LA_POOL_PAGED, 16, ta, 0);                                 /* 6 allocs, 1 diff */
    for (int i = 0; i < 3; ++i) keep[k++] = la_pool_alloc(LA_POOL_PAGED, 1024, tb, 0);   /* 3 allocs, 3 diff */
    keep[k] = la_pool_alloc(LA_POOL_LOCKED, 100000, tc, 0);                              /* 1 alloc, big */
    if (!keep[k]) {
        /* RLIMIT_MEMLOCK too small for 100 KB of locked memory (unprivileged runs). */
        assert_int_equal(errno, ENOMEM);
        for (int i = 0; i < k; ++i) la_pool_free(keep[i]);
        skip();
    }
    k++;

    la_pool_report_opts_t o = {.sort = LA_POOL_SORT_ALLOCS, .include = "Tb*"};
    la_test_capture_begin();
    assert_int_equal(la_pool_table_print(&o), 2);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "Tag"));
    assert_non_null(strstr(out, "Type"));
    assert_non_null(strstr(out, "Allocs"));
    assert_non_null(strstr(out, "Frees"));
    assert_non_null(strstr(out, "Diff"));
    assert_non_null(strstr(out, "Bytes"));
    assert_non_null(strstr(out, "PerAlloc"));
    const char *a = strstr(out, "TbAa"), *b = strstr(out, "TbBb");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b); /* 6 allocs before 3 */
    assert_null(strstr(out, "TxCc"));

    o.sort = LA_POOL_SORT_DIFF;
    la_test_capture_begin();
    la_pool_table_print(&o);
    out = la_test_capture_end();
    assert_true(strstr(out, "TbBb") < strstr(out, "TbAa")); /* diff 3 before diff 1 */

    o.sort = LA_POOL_SORT_TAG;
    o.include = "T?[*"; /* '[' is literal: matches nothing */
    la_test_capture_begin();
    assert_int_equal(la_pool_table_print(&o), 0);
    la_test_capture_end();

    o.include = "T???";
    o.exclude = "*b";
    o.kinds = 1u << LA_POOL_KIND_LOCKED;
    o.totals = true;
    la_test_capture_begin();
    assert_int_equal(la_pool_table_print(&o), 1);
    out = la_test_capture_end();
    assert_non_null(strstr(out, "TxCc"));
    assert_non_null(strstr(out, "Nonp"));
    assert_non_null(strstr(out, "Tot"));
    o.kinds = 0;
    o.sort = LA_POOL_SORT_BYTES;
    o.exclude = NULL;
    o.include = "T[xb]*";
    la_test_capture_begin();
    assert_int_equal(la_pool_table_print(&o), 0);
    la_test_capture_end();
    o.include = "T*";
    o.sort = LA_POOL_SORT_BYTES;
    la_test_capture_begin();
    la_pool_table_print(&o);
    out = la_test_capture_end();
    assert_true(strstr(out, "TxCc") < strstr(out, "TbBb"));
    assert_true(strstr(out, "TbBb") < strstr(out, "TbAa"));
    o.sort = LA_POOL_SORT_PER_ALLOC;
    la_test_capture_begin();
    la_pool_table_print(&o);
    out = la_test_capture_end();
    assert_true(strstr(out, "TbBb") < strstr(out, "TbAa"));
    o.sort = LA_POOL_SORT_FREES;
    la_test_capture_begin();
    la_pool_table_print(&o);
    out = la_test_capture_end();
    assert_true(strstr(out, "TbAa") < strstr(out, "TbBb"));
    for (int i = 0; i < k; ++i) la_pool_free(keep[i]);
}

static void t_wildcards(void **state) {
    (void)state;
    la_tag_t t = LA_TAG('F', 'r', 'e', 'd');
    assert_true(la_pool_tag_match(t, "Fred"));
    assert_true(la_pool_tag_match(t, "F*"));
    assert_true(la_pool_tag_match(t, "*d"));
    assert_true(la_pool_tag_match(t, "F??d"));
    assert_true(la_pool_tag_match(t, "*"));
    assert_true(la_pool_tag_match(t, "*r*e*"));
    assert_false(la_pool_tag_match(t, "fred")); /* case-sensitive */
    assert_false(la_pool_tag_match(t, "F?d"));
    assert_false(la_pool_tag_match(t, "Fre"));
    assert_false(la_pool_tag_match(t, "Fredd"));
    assert_true(la_pool_tag_match(LA_TAG('A', 'b', ' ', ' '), "Ab*"));
}

static void t_json(void **state) {
    (void)state;
    la_tag_t q = LA_TAG('J', '"', '\\', 'n');
    void *p = la_pool_alloc(LA_POOL_PAGED, 40, q, 0);
    la_pool_report_opts_t o = {.include = "J*"};
    la_test_capture_begin();
    assert_int_equal(la_pool_json_print(&o), 1);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "{\"pool_tags\":["));
    assert_non_null(strstr(out, "\"tag\":\"J\\\"\\\\n\""));
    assert_non_null(strstr(out, "\"type\":\"Paged\""));
    assert_non_null(strstr(out, "\"allocs\":1"));
    assert_non_null(strstr(out, "\"diff\":1"));
    assert_non_null(strstr(out, "\"bytes\":48"));
    assert_non_null(strstr(out, "]}"));
    la_pool_free(p);
}

static void t_leak_report(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('L', 'e', 'a', 'k');
    void *p[3];
    for (int i = 0; i < 3; ++i) p[i] = la_pool_alloc(LA_POOL_PAGED, 100, tag, 0);
    la_test_capture_begin();
    uint64_t n = la_pool_leak_report();
    const char *out = la_test_capture_end();
    assert_true(n >= 3);
    assert_non_null(strstr(out, "leak report"));
    const char *line = strstr(out, "Leak");
    assert_non_null(line);
    assert_non_null(strstr(line, " 3 "));
    for (int i = 0; i < 3; ++i) la_pool_free(p[i]);
    la_test_capture_begin();
    la_pool_leak_report();
    out = la_test_capture_end();
    assert_null(strstr(out, "Leak "));
}

/* At exit: run this program again with the report enabled and a block leaked. */
static int leak_at_exit_child(const char *how) {
    if (strcmp(how, "api") == 0) la_pool_leak_report_at_exit(true);
    static void *leaked;
    leaked = la_pool_alloc(LA_POOL_PAGED, 77, LA_TAG('E', 'x', 'i', 't'), 0);
    return leaked ? 0 : 1;
}

static char *run_self(const char *arg, const char *env) {
    static char buf[8192];
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return NULL;
    self[n] = '\0';
    int fds[2];
    if (pipe(fds) != 0) return NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        if (env) setenv(env, "1", 1);
        else unsetenv("LA_POOL_LEAK_REPORT");
        execl(self, self, "--leak-child", arg, (char *)NULL);
        _exit(3);
    }
    close(fds[1]);
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf + len, sizeof buf - 1 - len);
        if (r <= 0) break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return buf;
}

static void t_leak_report_at_exit(void **state) {
    (void)state;
    char *out = run_self("api", NULL);
    if (!out) skip();
    assert_non_null(strstr(out, "leak report"));
    assert_non_null(strstr(out, "Exit"));
    out = run_self("env", "LA_POOL_LEAK_REPORT");
    assert_non_null(strstr(out, "Exit"));
    out = run_self("none", NULL);
    assert_null(strstr(out, "leak report"));
}

/* ---- memory comes back ------------------------------------------------------------------------------ */

static uint64_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, res = 0;
    int ok = fscanf(f, "%lu %lu", &size, &res);
    fclose(f);
    return ok == 2 ? (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static void t_memory_comes_back(void **state) {
    (void)state;
    la_pool_trim();
    uint64_t before = rss_bytes();
    if (!before) skip();
    const size_t burst = (size_t)128 << 20;
    size_t cap = burst / 256, n = 0, bytes = 0;
    void **v = malloc(cap * sizeof *v);
    assert_non_null(v);
    la_test_rng_t rng;
    la_test_rng_init(&rng, la_test_seed());
    la_tag_t tag = LA_TAG('B', 'r', 's', 't');
    while (bytes < burst && n < cap) {
        size_t sz = 16 + la_test_rng_below(&rng, la_test_rng_below(&rng, 4) == 0 ? 70000 : 4096);
        v[n] = la_pool_alloc(LA_POOL_PAGED, sz, tag, 0);
        assert_non_null(v[n]);
        memset(v[n], 0x5a, sz);
        bytes += sz;
        n++;
    }
    uint64_t peak = rss_bytes();
    /* Sanitizer runtimes keep shadow memory for every byte touched: RSS figures
     * mean nothing there, so the bounds are checked in plain builds only. */
    bool check = !la_test_under_sanitizer();
    if (check) assert_true(peak >= before + burst / 2);
    for (size_t i = 0; i < n; ++i) la_pool_free(v[i]);
    free(v);
    uint64_t after = rss_bytes();
    /* Without any call: the bounded caches (thread fronts, kept empty slabs, the
     * resident big-block cache) stay; generous bound. */
    if (check) assert_true(after < before + (64u << 20));
    la_pool_trim();
    uint64_t trimmed = rss_bytes();
    if (check) assert_true(trimmed < before + (8u << 20));
    print_message("rss: before %lu KiB, peak %lu KiB, after free %lu KiB, after trim %lu KiB\n",
                  (unsigned long)(before >> 10), (unsigned long)(peak >> 10),
                  (unsigned long)(after >> 10), (unsigned long)(trimmed >> 10));
    assert_int_equal(query(tag, LA_POOL_KIND_PAGED).outstanding, 0);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--strict-env-child") == 0) return strict_env_child();
    if (argc > 2 && strcmp(argv[1], "--leak-child") == 0) return leak_at_exit_child(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        cmocka_unit_test(t_tag_byte_order),
        cmocka_unit_test(t_invalid_tags_rejected),
        cmocka_unit_test(t_unknown_type_and_flag_bits_rejected),
        cmocka_unit_test(t_alignment_and_page_rules),
        cmocka_unit_test(t_zero_size_gives_unique_pointers),
        cmocka_unit_test(t_zero_fill),
        cmocka_unit_test(t_sizes_near_size_max_fail_and_count),
        cmocka_unit_test(t_accounting_per_tag_and_kind),
        cmocka_unit_test(t_snapshot),
        cmocka_unit_test(t_budgets),
        cmocka_unit_test(t_raise_handler),
        cmocka_unit_test(t_default_raise_reports_and_aborts),
        cmocka_unit_test(t_free_of_foreign_pointers),
        cmocka_unit_test(t_double_free_reported),
        cmocka_unit_test(t_double_free_aborts_by_default),
        cmocka_unit_test(t_wrong_tag_lenient),
        cmocka_unit_test(t_wrong_tag_strict),
        cmocka_unit_test(t_strict_mismatch_aborts),
        cmocka_unit_test(t_strict_from_environment),
        cmocka_unit_test(t_nx_by_default_exec_when_asked),
        cmocka_unit_test(t_locked_memory_is_locked),
        cmocka_unit_test(t_table_sort_filter_totals),
        cmocka_unit_test(t_wildcards),
        cmocka_unit_test(t_json),
        cmocka_unit_test(t_leak_report),
        cmocka_unit_test(t_leak_report_at_exit),
        cmocka_unit_test(t_memory_comes_back),
    };
    return la_test_run("pool_api", tests);
}
