/* Platform layer, NUMA: binding a range to each node with memory puts its pages
 * there (checked with la_prim_node_of), unknown nodes are EINVAL, node_of reports
 * ENOENT for a page that is not resident (without faulting it in) and EFAULT for
 * an unmapped one, and a node's free memory is plausible against /proc/meminfo. */
#define _GNU_SOURCE
#include "test_prim_support.h"

static size_t ps;

static int setup(void **state) {
    (void)state;
    ps = la_prim_caps()->page_size;
    return 0;
}

static void t_caps_describe_the_nodes(void **state) {
    (void)state;
    const la_prim_caps_t *c = la_prim_caps();
    assert_true(c->numa_node_count >= 1);
    assert_int_equal((unsigned)__builtin_popcountll(c->numa_node_mask), c->numa_node_count);
    /* Cross-check with sysfs when it is there: nodes in the mask exist and have
     * memory, nodes outside it either do not exist or have none. */
    if (access("/sys/devices/system/node/node0", F_OK) != 0) return;
    for (unsigned n = 0; n < 64; ++n) {
        char path[96], buf[4096];
        snprintf(path, sizeof path, "/sys/devices/system/node/node%u/meminfo", n);
        long long total_kb = 0;
        if (prim_read_file(path, buf, sizeof buf) > 0) {
            const char *t = strstr(buf, "MemTotal:");
            if (t) total_kb = atoll(t + 9);
        }
        if (c->numa_node_mask >> n & 1)
            assert_true(total_kb > 0);
        else
            assert_true(total_kb == 0);
    }
}

static void t_bind_each_node_places_pages_there(void **state) {
    (void)state;
    const la_prim_caps_t *c = la_prim_caps();
    for (unsigned node = 0; node < 64; ++node) {
        if (!(c->numa_node_mask >> node & 1)) continue;
        char *p;
        size_t size = 16 * ps;
        assert_int_equal(la_prim_map(size, 0, (void **)&p), 0);
        int e = la_prim_bind_node(p, size, node);
        if (!c->numa_bind) {
            assert_int_equal(e, ENOTSUP);
            assert_int_equal(la_prim_release(p, size), 0);
            skip();
        }
        assert_int_equal(e, 0);
        memset(p, 1, size);
        for (size_t off = 0; off < size; off += ps) {
            unsigned got = 999;
            assert_int_equal(la_prim_node_of(p + off + 5, &got), 0);
            assert_int_equal(got, node);
        }
        assert_int_equal(la_prim_release(p, size), 0);
    }
}

static void t_bind_rejects_unknown_nodes_and_bad_ranges(void **state) {
    (void)state;
    const la_prim_caps_t *c = la_prim_caps();
    char *p;
    assert_int_equal(la_prim_map(2 * ps, 0, (void **)&p), 0);
    assert_int_equal(la_prim_bind_node(p, ps, 64), EINVAL);
    assert_int_equal(la_prim_bind_node(p, ps, 1000), EINVAL);
    assert_int_equal(la_prim_bind_node(p, ps, UINT32_MAX), EINVAL);
    for (unsigned n = 0; n < 64; ++n) /* a hole in the node numbering, or just past it */
        if (!(c->numa_node_mask >> n & 1)) {
            assert_int_equal(la_prim_bind_node(p, ps, n), EINVAL);
            break;
        }
    unsigned first = (unsigned)__builtin_ctzll(c->numa_node_mask);
    assert_int_equal(la_prim_bind_node(p + 1, ps, first), EINVAL);
    assert_int_equal(la_prim_bind_node(p, 0, first), EINVAL);
    assert_int_equal(la_prim_bind_node(p, ps + 3, first), EINVAL);
    assert_int_equal(la_prim_release(p, 2 * ps), 0);
    if (c->numa_bind) assert_int_equal(la_prim_bind_node(p, ps, first), EFAULT); /* unmapped */
}

static void t_node_of_needs_a_resident_page(void **state) {
    (void)state;
    char *p;
    unsigned node = 777;
    assert_int_equal(la_prim_map(2 * ps, 0, (void **)&p), 0);
    int e = la_prim_node_of(p, &node);
    if (e == ENOTSUP) {
        assert_int_equal(la_prim_release(p, 2 * ps), 0);
        skip();
    }
    assert_int_equal(e, ENOENT);
    assert_int_equal(node, 777);
    /* The query did not fault the page in. */
    unsigned char vec = 1;
    assert_int_equal(mincore(p, ps, &vec), 0);
    assert_int_equal(vec & 1, 0);
    p[ps] = 1;
    assert_int_equal(la_prim_node_of(p + ps, &node), 0);
    assert_true(la_prim_caps()->numa_node_mask >> node & 1);
    assert_int_equal(la_prim_node_of(p, NULL), EINVAL);
    assert_int_equal(la_prim_release(p, 2 * ps), 0);
    assert_int_equal(la_prim_node_of(p + ps, &node), EFAULT);
}

static void t_node_free_bytes(void **state) {
    (void)state;
    const la_prim_caps_t *c = la_prim_caps();
    char buf[4096];
    assert_true(prim_read_file("/proc/meminfo", buf, sizeof buf) > 0);
    const char *t = strstr(buf, "MemTotal:");
    assert_non_null(t);
    unsigned long long total_kb = strtoull(t + 9, NULL, 10);
    uint64_t sum = 0;
    for (unsigned n = 0; n < 64; ++n) {
        if (!(c->numa_node_mask >> n & 1)) continue;
        uint64_t b = 0;
        assert_int_equal(la_prim_node_free_bytes(n, &b), 0);
        assert_true(b > 0);
        sum += b;
    }
    assert_true(sum <= total_kb * 1024);
    uint64_t untouched = 0x55;
    assert_int_equal(la_prim_node_free_bytes(64, &untouched), EINVAL);
    assert_int_equal(la_prim_node_free_bytes(UINT32_MAX, &untouched), EINVAL);
    assert_int_equal(untouched, 0x55);
    assert_int_equal(la_prim_node_free_bytes((unsigned)__builtin_ctzll(c->numa_node_mask), NULL), EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_caps_describe_the_nodes),
        cmocka_unit_test(t_bind_each_node_places_pages_there),
        cmocka_unit_test(t_bind_rejects_unknown_nodes_and_bad_ranges),
        cmocka_unit_test(t_node_of_needs_a_resident_page),
        cmocka_unit_test(t_node_free_bytes),
    };
    return _cmocka_run_group_tests("prim_numa", tests, LA_ARRAY_SIZE(tests), setup, NULL);
}
