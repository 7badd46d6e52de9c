/* The pool adapter's own rules (lookaside/allocator.h, "The adapters"): init
 * refuses a bad tag, type or flags; every block is charged to (tag, kind of type)
 * with the pool's block size; alignment 16 / 64 / page / above the page (EINVAL);
 * the flags reach the pool (zeroing); a block of another tag freed through the
 * adapter is caught by the pool's tag check; resize follows la_pool_block_size. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

static la_pool_tag_info_t tag_info(la_tag_t tag, la_pool_kind_t kind) {
    la_pool_tag_info_t info;
    memset(&info, 0, sizeof info);
    int err = la_pool_tag_query(tag, kind, &info);
    assert_true(err == 0 || err == ENOENT);
    return info;
}

static size_t page_size(void) {
    la_platform_info_t info;
    assert_int_equal(la_platform_info_get(&info), 0);
    return (size_t)info.page_size;
}

static void t_init(void **state) {
    (void)state;
    la_pool_allocator_t pa;
    assert_int_equal(la_pool_allocator_init(NULL, LA_POOL_PAGED, LA_TAG('F', 'r', 'e', 'd'), 0), EINVAL);
    assert_int_equal(la_pool_allocator_init(&pa, LA_POOL_PAGED, 0, 0), EINVAL);
    assert_int_equal(la_pool_allocator_init(&pa, LA_POOL_PAGED, LA_TAG('F', 'r', '\n', 'd'), 0), EINVAL);
    assert_int_equal(la_pool_allocator_init(&pa, ~(unsigned)LA_POOL_TYPE_MASK, LA_TAG('F', 'r', 'e', 'd'), 0), EINVAL);
    assert_int_equal(la_pool_allocator_init(&pa, LA_POOL_PAGED, LA_TAG('F', 'r', 'e', 'd'), ~(unsigned)LA_POOL_F_MASK), EINVAL);
    assert_int_equal(la_pool_allocator_init(&pa, LA_POOL_PAGED, LA_TAG('F', 'r', 'e', 'd'), LA_POOL_F_ZERO), 0);
    assert_string_equal(pa.allocator.name, "pool Fred");
    assert_ptr_equal(pa.allocator.ctx, &pa);
    assert_int_equal(pa.tag, LA_TAG('F', 'r', 'e', 'd'));
    assert_int_equal(pa.flags, LA_POOL_F_ZERO);
}

static void t_accounting(void **state) {
    (void)state;
    const la_tag_t tag = LA_TAG('A', 'p', 'A', 'c');
    la_pool_allocator_t pa;
    assert_int_equal(la_pool_allocator_init(&pa, LA_POOL_PAGED, tag, 0), 0);
    la_pool_tag_info_t i0 = tag_info(tag, LA_POOL_KIND_PAGED);
    void *p[3];
    p[0] = la_allocator_alloc(&pa.allocator, 100, 0);
    p[1] = la_allocator_alloc(&pa.allocator, 8, 64);          /* cache-aligned: same kind */
    p[2] = la_allocator_alloc(&pa.allocator, 5000, 0);
    uint64_t bytes = 0;
    for (int i = 0; i < 3; i++) {
        assert_non_null(p[i]);
        assert_int_equal(la_pool_block_tag(p[i]), tag);
        bytes += la_pool_block_size(p[i]);
    }
    la_pool_tag_info_t i1 = tag_info(tag, LA_POOL_KIND_PAGED);
    assert_int_equal(i1.allocs - i0.allocs, 3);
    assert_int_equal(i1.outstanding - i0.outstanding, 3);
    assert_int_equal(i1.bytes - i0.bytes, bytes);
    la_allocator_free(&pa.allocator, p[0], 100, 0);
    la_allocator_free(&pa.allocator, p[1], 8, 64);
    la_allocator_free(&pa.allocator, p[2], 5000, 0);
    la_pool_tag_info_t i2 = tag_info(tag, LA_POOL_KIND_PAGED);
    assert_int_equal(i2.outstanding, i0.outstanding);
    assert_int_equal(i2.bytes, i0.bytes);
    assert_int_equal(i2.frees - i0.frees, 3);
    assert_int_equal(i2.tag_mismatches, i0.tag_mismatches);
}

static void t_alignment(void **state) {
    (void)state;
    la_pool_allocator_t pa;
    assert_int_equal(la_pool_allocator_init(&pa, LA_POOL_PAGED, LA_TAG('A', 'p', 'A', 'l'), 0), 0);
    size_t page = page_size();
    for (size_t align = 1; align <= page; align <<= 1) {
        for (size_t size = 1; size <= 3 * page; size = size * 3 + 1) {
            unsigned char *p = la_allocator_alloc(&pa.allocator, size, align);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % align, 0);
            memset(p, 0xC3, size);
            la_allocator_free(&pa.allocator, p, size, align);
        }
    }
    errno = 0;
    assert_null(la_allocator_alloc(&pa.allocator, 8, page * 2));
    assert_int_equal(errno, EINVAL);
}

static void t_flags_reach_the_pool(void **state) {
    (void)state;
    la_pool_allocator_t dirty, zero;
    assert_int_equal(la_pool_allocator_init(&dirty, LA_POOL_PAGED, LA_TAG('A', 'p', 'Z', 'r'), 0), 0);
    assert_int_equal(la_pool_allocator_init(&zero, LA_POOL_PAGED, LA_TAG('A', 'p', 'Z', 'r'), LA_POOL_F_ZERO), 0);
    for (int round = 0; round < 16; round++) {
        unsigned char *d = la_allocator_alloc(&dirty.allocator, 200, 0);
        memset(d, 0xEE, 200);
        la_allocator_free(&dirty.allocator, d, 200, 0);    /* likely handed out again next */
        unsigned char *z = la_allocator_alloc(&zero.allocator, 200, 0);
        for (int i = 0; i < 200; i++) assert_int_equal(z[i], 0);
        la_allocator_free(&zero.allocator, z, 200, 0);
    }
}

static void t_other_tag_is_caught(void **state) {
    (void)state;
    const la_tag_t mine = LA_TAG('A', 'p', 'M', 'n'), theirs = LA_TAG('A', 'p', 'T', 'h');
    la_pool_allocator_t a, b;
    assert_int_equal(la_pool_allocator_init(&a, LA_POOL_PAGED, mine, 0), 0);
    assert_int_equal(la_pool_allocator_init(&b, LA_POOL_PAGED, theirs, 0), 0);
    void *p = la_allocator_alloc(&b.allocator, 32, 0);
    la_pool_tag_info_t before = tag_info(theirs, LA_POOL_KIND_PAGED);
    la_test_capture_begin();
    la_allocator_free(&a.allocator, p, 32, 0);             /* wrong adapter: wrong tag */
    const char *out = la_test_capture_end();
    la_pool_tag_info_t after = tag_info(theirs, LA_POOL_KIND_PAGED);
    assert_int_equal(after.tag_mismatches - before.tag_mismatches, 1); /* counted (non-strict) */
    assert_non_null(strstr(out, "ApTh"));
    assert_int_equal(after.outstanding, before.outstanding - 1);      /* and freed */
}

static void t_resize(void **state) {
    (void)state;
    la_pool_allocator_t pa;
    assert_int_equal(la_pool_allocator_init(&pa, LA_POOL_PAGED, LA_TAG('A', 'p', 'R', 's'), 0), 0);
    unsigned char *p = la_allocator_alloc(&pa.allocator, 20, 0);
    size_t block = la_pool_block_size(p);
    assert_true(block >= 20);
    assert_true(la_allocator_resize(&pa.allocator, p, 20, block, 0));
    memset(p, 1, block);
    assert_false(la_allocator_resize(&pa.allocator, p, block, block + 1, 0));
    assert_true(la_allocator_resize(&pa.allocator, p, block, 1, 0));
    unsigned char *q = la_allocator_realloc(&pa.allocator, p, 1, 10000, 0); /* moves */
    assert_non_null(q);
    assert_int_equal(q[0], 1);
    la_allocator_free(&pa.allocator, q, 10000, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_init),
        cmocka_unit_test(t_accounting),
        cmocka_unit_test(t_alignment),
        cmocka_unit_test(t_flags_reach_the_pool),
        cmocka_unit_test(t_other_tag_is_caught),
        cmocka_unit_test(t_resize),
    };
    return la_test_run("allocator_pool", tests);
}
