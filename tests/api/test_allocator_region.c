/* The region adapter's own rules (lookaside/allocator.h, "The adapters"): an
 * arena over one region — bump allocation with any power-of-two alignment (by
 * padding), the last block's bytes come back on free and on shrink, the last block
 * grows in place while there is room, other frees only count, EINVAL above the
 * region's size and ENOMEM when full, reset gives everything back, a free outside
 * the region is reported and abandoned; threads bump it concurrently without
 * overlap; the example hash map runs with its nodes in a locked (or huge-page)
 * region when the system allows one. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include "../../examples/hashmap.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

static la_region_t *make_region(size_t size, unsigned flags) {
    la_region_spec_t spec;
    memset(&spec, 0, sizeof spec);
    spec.size = size;
    spec.node = LA_NODE_ANY;
    spec.flags = flags;
    la_region_t *r = NULL;
    int err = la_region_alloc(&spec, &r);
    if (err) {
        errno = err;
        return NULL;
    }
    return r;
}

static la_region_allocator_stats_t arena_stats(const la_region_allocator_t *ra) {
    la_region_allocator_stats_t s;
    la_region_allocator_stats_get(ra, &s);
    return s;
}

static void t_init(void **state) {
    (void)state;
    la_region_t *r = make_region(1u << 20, 0);
    assert_non_null(r);
    la_region_allocator_t ra;
    assert_int_equal(la_region_allocator_init(NULL, r), EINVAL);
    assert_int_equal(la_region_allocator_init(&ra, NULL), EINVAL);
    assert_int_equal(la_region_allocator_init(&ra, r), 0);
    assert_string_equal(ra.allocator.name, "region 1024 KiB");
    assert_ptr_equal(ra.base, la_region_base(r));
    assert_int_equal(ra.capacity, 1u << 20);
    la_region_allocator_stats_t s = arena_stats(&ra);
    assert_int_equal(s.used, 0);
    assert_int_equal(s.live, 0);
    la_region_free(r);
}

static void t_bump_lifo_and_reset(void **state) {
    (void)state;
    la_region_t *r = make_region(64u << 10, 0);
    assert_non_null(r);
    la_region_allocator_t ra;
    assert_int_equal(la_region_allocator_init(&ra, r), 0);
    const la_allocator_t *a = &ra.allocator;

    unsigned char *p1 = la_allocator_alloc(a, 10, 1);
    unsigned char *p2 = la_allocator_alloc(a, 10, 64);       /* padded to 64 */
    assert_ptr_equal(p1, ra.base);
    assert_ptr_equal(p2, ra.base + 64);
    assert_int_equal(arena_stats(&ra).used, 74);
    la_allocator_free(a, p2, 10, 64);                        /* the last block: back */
    assert_int_equal(arena_stats(&ra).used, 64);
    unsigned char *p3 = la_allocator_alloc(a, 10, 1);        /* lands where p2's padding began */
    assert_ptr_equal(p3, ra.base + 64);
    la_allocator_free(a, p1, 10, 1);                          /* not the last: only counted */
    la_region_allocator_stats_t s = arena_stats(&ra);
    assert_int_equal(s.used, 74);
    assert_int_equal(s.live, 1);

    /* The last block grows in place while there is room; others do not. */
    assert_true(la_allocator_resize(a, p3, 10, 1000, 1));
    assert_int_equal(arena_stats(&ra).used, 64 + 1000);
    assert_false(la_allocator_resize(a, p3, 1000, (64u << 10) - 63, 1)); /* one byte too many */
    assert_true(la_allocator_resize(a, p3, 1000, (64u << 10) - 64, 1));  /* exactly the rest */
    assert_true(la_allocator_resize(a, p3, (64u << 10) - 64, 20, 1));    /* shrink gives back */
    assert_int_equal(arena_stats(&ra).used, 84);
    unsigned char *p4 = la_allocator_alloc(a, 16, 16);
    assert_false(la_allocator_resize(a, p3, 20, 40, 1));                 /* no longer the last */
    assert_true(la_allocator_resize(a, p3, 20, 5, 1));                   /* shrinks always do */

    /* EINVAL above the region, ENOMEM when full. */
    errno = 0;
    assert_null(la_allocator_alloc(a, (64u << 10) + 1, 0));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(la_allocator_alloc(a, 64u << 10, 0));                    /* fits an empty region */
    assert_int_equal(errno, ENOMEM);
    errno = 0;
    assert_null(la_allocator_alloc(a, 16, (size_t)1 << 40));             /* padding past the end */
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(arena_stats(&ra).peak, 64u << 10);

    la_allocator_free(a, p4, 16, 16);
    la_allocator_free(a, p3, 5, 1);
    assert_int_equal(arena_stats(&ra).live, 0);
    la_region_allocator_reset(&ra);
    s = arena_stats(&ra);
    assert_int_equal(s.used, 0);
    assert_int_equal(s.peak, 0);
    unsigned char *all = la_allocator_alloc(a, 64u << 10, 0);            /* now it fits */
    assert_ptr_equal(all, ra.base);
    memset(all, 0x11, 64u << 10);
    la_allocator_free(a, all, 64u << 10, 0);
    assert_int_equal(arena_stats(&ra).used, 0);
    la_region_free(r);
}

static void t_large_alignment_by_padding(void **state) {
    (void)state;
    la_region_t *r = make_region(4u << 20, 0);
    assert_non_null(r);
    la_region_allocator_t ra;
    assert_int_equal(la_region_allocator_init(&ra, r), 0);
    void *small = la_allocator_alloc(&ra.allocator, 1, 1);
    assert_non_null(small);
    unsigned char *p = la_allocator_alloc(&ra.allocator, 4096, 1u << 20);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % (1u << 20), 0);
    memset(p, 1, 4096);
    la_allocator_free(&ra.allocator, p, 4096, 1u << 20);
    la_allocator_free(&ra.allocator, small, 1, 1);
    la_region_free(r);
}

static void t_free_outside_is_reported(void **state) {
    (void)state;
    la_region_t *r = make_region(64u << 10, 0);
    assert_non_null(r);
    la_region_allocator_t ra;
    assert_int_equal(la_region_allocator_init(&ra, r), 0);
    char stray[32];
    void *p = la_allocator_alloc(&ra.allocator, 32, 0);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    la_allocator_free(&ra.allocator, stray, 32, 0);                     /* not in the region */
    la_allocator_free(&ra.allocator, ra.base + 1024, 32, 0);            /* in it, never handed out */
    assert_int_equal(la_test_fatal_trap_end(), 2);
    const char *out = la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_POINTER);
    assert_non_null(strstr(out, "region 64 KiB"));
    assert_int_equal(arena_stats(&ra).live, 1);                         /* abandoned */
    la_allocator_free(&ra.allocator, p, 32, 0);
    assert_int_equal(arena_stats(&ra).live, 0);
    la_region_free(r);
}

/* ---- threads bumping one arena ------------------------------------------------------- */

typedef struct bumper {
    pthread_t thread;
    const la_allocator_t *a;
    unsigned char id;
    int count;
    unsigned char *blocks[256];
} bumper_t;

static void *bump(void *arg) {
    bumper_t *b = arg;
    for (int i = 0; i < b->count; i++) {
        size_t size = 8 + (size_t)(i % 13) * 8;
        b->blocks[i] = la_allocator_alloc(b->a, size, 8);
        if (b->blocks[i]) memset(b->blocks[i], b->id, size);
    }
    return NULL;
}

static void t_threads_never_overlap(void **state) {
    (void)state;
    la_region_t *r = make_region(1u << 20, 0);
    assert_non_null(r);
    la_region_allocator_t ra;
    assert_int_equal(la_region_allocator_init(&ra, r), 0);
    int rounds = la_test_under_sanitizer() ? 5 : 50;
    for (int round = 0; round < rounds; round++) {
        bumper_t b[4];
        for (int t = 0; t < 4; t++) {
            b[t].a = &ra.allocator;
            b[t].id = (unsigned char)(t + 1);
            b[t].count = 256;
            assert_int_equal(pthread_create(&b[t].thread, NULL, bump, &b[t]), 0);
        }
        for (int t = 0; t < 4; t++) assert_int_equal(pthread_join(b[t].thread, NULL), 0);
        for (int t = 0; t < 4; t++)
            for (int i = 0; i < 256; i++) {
                size_t size = 8 + (size_t)(i % 13) * 8;
                assert_non_null(b[t].blocks[i]);
                for (size_t k = 0; k < size; k++) assert_int_equal(b[t].blocks[i][k], t + 1);
            }
        assert_int_equal(arena_stats(&ra).live, 4 * 256);
        la_region_allocator_reset(&ra);
    }
    la_region_free(r);
}

/* ---- the example container with its nodes in special memory ---------------------------- */

static void t_hashmap_in_a_region(void **state) {
    (void)state;
    /* Locked memory if the limit allows, else huge pages where reserved, else plain. */
    static const unsigned tries[] = {LA_REGION_LOCKED, LA_REGION_HUGE, 0};
    la_region_t *r = NULL;
    unsigned flags = 0;
    for (size_t i = 0; i < sizeof tries / sizeof tries[0] && !r; i++) {
        flags = tries[i];
        r = make_region(2u << 20, flags);
    }
    assert_non_null(r);
    la_region_allocator_t ra;
    assert_int_equal(la_region_allocator_init(&ra, r), 0);
    hm_map_t m;
    hm_init(&m, &ra.allocator);
    for (uint64_t k = 0; k < 5000; k++) assert_int_equal(hm_put(&m, k, k + 1), 0);
    assert_int_equal(hm_check(&m), 0);
    uint64_t v;
    assert_true(hm_get(&m, 4999, &v));
    assert_int_equal(v, 5000);
    la_region_info_t info;
    assert_int_equal(la_region_query(r, &info), 0);
    for (size_t i = 0; i < m.nbuckets; i++)         /* every node lies in the region */
        for (hm_node_t *n = m.buckets[i]; n; n = n->next)
            assert_true((unsigned char *)n >= (unsigned char *)info.base &&
                        (unsigned char *)n < (unsigned char *)info.base + info.size);
    la_printf("hashmap of 5000 in a %s region: %zu KiB used of %zu KiB\n",
              flags == LA_REGION_LOCKED ? "locked" : flags ? "huge-page" : "plain",
              arena_stats(&ra).used / 1024, ra.capacity / 1024);
    hm_destroy(&m);
    assert_int_equal(arena_stats(&ra).live, 0);
    la_region_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_init),
        cmocka_unit_test(t_bump_lifo_and_reset),
        cmocka_unit_test(t_large_alignment_by_padding),
        cmocka_unit_test(t_free_outside_is_reported),
        cmocka_unit_test(t_threads_never_overlap),
        cmocka_unit_test(t_hashmap_in_a_region),
    };
    return la_test_run("allocator_region", tests);
}
