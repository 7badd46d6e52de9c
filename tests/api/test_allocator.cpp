// <lookaside/allocator.hpp> from C++17: std::vector, std::list and
// std::unordered_map on a tagged pool and on a lookaside cache, through
// la::memory_resource (std::pmr) and through la::allocator<T>, with each tag's
// accounting checked against an independent count (a fault wrapper with nothing
// armed counts the live blocks) and printed; a lookaside cache without a fallback
// refuses what does not fit its block (std::bad_alloc, the container unchanged),
// with a fallback it routes by size; la::make_unique frees the memory when the
// constructor throws and destroys before it frees; resources compare equal when
// they share an allocator. Debian's cmocka.h has no extern "C" guard: include it
// first with C linkage.
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
extern "C" {
#include <cmocka.h>
}
#include "test_support.h"

#include <lookaside/allocator.hpp>
#include <lookaside/lookaside.h>

#include <cinttypes>
#include <cstring>
#include <list>
#include <memory_resource>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

constexpr la_tag_t kTagPmr = LA_TAG('C', 'x', 'P', 'm');
constexpr la_tag_t kTagStl = LA_TAG('C', 'x', 'S', 't');
constexpr la_tag_t kTagCache = LA_TAG('C', 'x', 'L', 'k');
constexpr la_tag_t kTagFallback = LA_TAG('C', 'x', 'F', 'b');

la_pool_tag_info_t tag_info(la_tag_t tag) {
    la_pool_tag_info_t info;
    std::memset(&info, 0, sizeof info);
    int err = la_pool_tag_query(tag, LA_POOL_KIND_PAGED, &info);
    assert_true(err == 0 || err == ENOENT);
    return info;
}

// One accounting line through la_printf (the closing note quotes these).
void print_tag(const char *what, la_tag_t tag) {
    la_pool_tag_info_t i = tag_info(tag);
    char t[5];
    la_printf("accounting %-34s tag %s: allocs %" PRIu64 " frees %" PRIu64 " outstanding %" PRIu64
              " bytes %" PRIu64 "\n",
              what, la_tag_format(tag, t), i.allocs, i.frees, i.outstanding, i.bytes);
}

la_lookaside_t *make_cache(const char *name, size_t size) {
    la_lookaside_params_t p;
    std::memset(&p, 0, sizeof p);
    p.name = name;
    p.size = size;
    p.tag = kTagCache;
    p.pool_type = LA_POOL_PAGED;
    la_lookaside_t *c = nullptr;
    assert_int_equal(la_lookaside_create(&p, &c), 0);
    return c;
}

la_lookaside_stats_t cache_stats(la_lookaside_t *c) {
    la_lookaside_stats_t s;
    std::memset(&s, 0, sizeof s);
    s.size = sizeof s;
    assert_int_equal(la_lookaside_query(c, &s), 0);
    return s;
}

// ---- the header example, as written ------------------------------------------------------

void t_header_example(void **) {
    {
        la_pool_allocator_t pa;
        la_pool_allocator_init(&pa, LA_POOL_PAGED, LA_TAG('C','x','x','1'), 0);
        la::memory_resource res(&pa.allocator);
        std::pmr::vector<int> v(&res);                 // buffer charged to "Cxx1"
        v.assign(100, 7);
        std::list<int, la::allocator<int>> l(la::allocator<int>(&pa.allocator));
        l.push_back(1);                                // one node, charged to "Cxx1"
        auto p = la::make_unique<std::string>(&pa.allocator, "hello");
        la_pool_tag_info_t info;
        la_pool_tag_query(LA_TAG('C','x','x','1'), LA_POOL_KIND_PAGED, &info);
        // info.outstanding == 3: the vector's buffer, the node and the string object
        assert_int_equal(info.outstanding, 3);
        assert_string_equal(p->c_str(), "hello");
    }
    assert_int_equal(tag_info(LA_TAG('C', 'x', 'x', '1')).outstanding, 0);
}

// ---- the three containers on a tagged pool ----------------------------------------------------

template <class Vec, class List, class Map>
void fill_containers(Vec &v, List &l, Map &m, int n) {
    for (int i = 0; i < n; i++) {
        v.push_back(i);
        l.push_back(i);
        m[i] = i * i;
    }
    for (int i = 0; i < n; i += 3) m.erase(i);
    l.remove_if([](int x) { return x % 2 == 0; });
    for (int i = 0; i < n; i++) {
        assert_int_equal(v[static_cast<size_t>(i)], i);
        auto it = m.find(i);
        if (i % 3 == 0)
            assert_true(it == m.end());
        else
            assert_int_equal(it->second, i * i);
    }
    assert_int_equal(l.size(), static_cast<size_t>(n / 2));
}

void t_pmr_on_pool(void **) {
    la_pool_allocator_t pa;
    assert_int_equal(la_pool_allocator_init(&pa, LA_POOL_PAGED, kTagPmr, 0), 0);
    la_fault_allocator_t counter;  // nothing armed: counts live blocks independently
    assert_int_equal(la_fault_allocator_init(&counter, &pa.allocator), 0);
    la::memory_resource res(&counter.allocator);
    uint64_t base = tag_info(kTagPmr).outstanding;
    {
        std::pmr::vector<int> v(&res);
        std::pmr::list<int> l(&res);
        std::pmr::unordered_map<int, int> m(&res);
        fill_containers(v, l, m, 300);
        la_pool_tag_info_t i = tag_info(kTagPmr);
        la_fault_stats_t s;
        la_fault_allocator_stats_get(&counter, &s);
        // Every live block of the three containers, and nothing else, is charged to the tag.
        assert_int_equal(i.outstanding - base, s.live);
        assert_true(s.live >= l.size() + m.size() + 2);  // nodes + vector buffer + buckets
        assert_true(i.bytes >= s.live_bytes);
        print_tag("pmr vector+list+unordered_map (live)", kTagPmr);
    }
    assert_int_equal(la_fault_allocator_live(&counter), 0);
    la_pool_tag_info_t after = tag_info(kTagPmr);
    assert_int_equal(after.outstanding, base);
    assert_int_equal(after.bytes, 0);
    assert_int_equal(after.allocs, after.frees);
    print_tag("pmr containers destroyed", kTagPmr);
}

void t_stl_allocator_on_pool(void **) {
    la_pool_allocator_t pa;
    assert_int_equal(la_pool_allocator_init(&pa, LA_POOL_PAGED, kTagStl, 0), 0);
    la_fault_allocator_t counter;
    assert_int_equal(la_fault_allocator_init(&counter, &pa.allocator), 0);
    const la_allocator_t *a = &counter.allocator;
    uint64_t base = tag_info(kTagStl).outstanding;
    {
        using Pair = std::pair<const int, int>;
        std::vector<int, la::allocator<int>> v{la::allocator<int>(a)};
        std::list<int, la::allocator<int>> l{la::allocator<int>(a)};
        std::unordered_map<int, int, std::hash<int>, std::equal_to<int>, la::allocator<Pair>> m(
            16, std::hash<int>(), std::equal_to<int>(), la::allocator<Pair>(a));
        fill_containers(v, l, m, 300);
        la_fault_stats_t s;
        la_fault_allocator_stats_get(&counter, &s);
        assert_int_equal(tag_info(kTagStl).outstanding - base, s.live);
        assert_true(s.live >= l.size() + m.size() + 2);
        print_tag("la::allocator<T> containers (live)", kTagStl);

        // Copies keep the allocator (propagate on copy); swaps too.
        auto v2 = v;
        assert_true(v2.get_allocator() == v.get_allocator());
        assert_int_equal(tag_info(kTagStl).outstanding - base, s.live + 1);
    }
    assert_int_equal(la_fault_allocator_live(&counter), 0);
    assert_int_equal(tag_info(kTagStl).outstanding, base);
    print_tag("la::allocator<T> containers destroyed", kTagStl);
}

// ---- on a lookaside cache ------------------------------------------------------------------------

// No fallback: what fits a block works, the rest throws and the container is unchanged.
void t_lookaside_refuses_what_does_not_fit(void **) {
    la_lookaside_t *cache = make_cache("cxx-nodes", 32);
    la_lookaside_allocator_t lk;
    assert_int_equal(la_lookaside_allocator_init(&lk, cache, nullptr), 0);
    la::memory_resource res(&lk.allocator);
    {
        std::pmr::list<int> l(&res);  // a node (two pointers and an int) fits 32 bytes
        for (int i = 0; i < 100; i++) l.push_back(i);
        assert_int_equal(cache_stats(cache).outstanding, 100);

        std::pmr::vector<int> v(&res);
        v.reserve(8);                 // 32 bytes: one block
        for (int i = 0; i < 8; i++) v.push_back(i);
        bool threw = false;
        try {
            v.push_back(8);           // needs 64 bytes: refused (EINVAL -> std::bad_alloc)
        } catch (const std::bad_alloc &) {
            threw = true;
        }
        assert_true(threw);
        assert_int_equal(v.size(), 8);  // strong guarantee: unchanged
        for (int i = 0; i < 8; i++) assert_int_equal(v[static_cast<size_t>(i)], i);

        std::pmr::unordered_map<int, int> m(&res);
        threw = false;
        try {
            for (int i = 0; i < 100; i++) m[i] = i;  // its bucket array outgrows the block
        } catch (const std::bad_alloc &) {
            threw = true;
        }
        assert_true(threw);
        for (auto &kv : m) assert_int_equal(kv.first, kv.second);  // still consistent
    }
    assert_int_equal(cache_stats(cache).outstanding, 0);
    assert_int_equal(la_lookaside_destroy(cache), 0);
}

// With a pool fallback: nodes from the cache, everything else from the fallback.
void t_lookaside_with_fallback_routes_by_size(void **) {
    la_lookaside_t *cache = make_cache("cxx-routed", 32);
    la_pool_allocator_t fb;
    assert_int_equal(la_pool_allocator_init(&fb, LA_POOL_PAGED, kTagFallback, 0), 0);
    la_lookaside_allocator_t lk;
    assert_int_equal(la_lookaside_allocator_init(&lk, cache, &fb.allocator), 0);
    la_fault_allocator_t counter;
    assert_int_equal(la_fault_allocator_init(&counter, &lk.allocator), 0);
    la::memory_resource res(&counter.allocator);
    uint64_t fb_base = tag_info(kTagFallback).outstanding;
    {
        std::pmr::vector<int> v(&res);
        std::pmr::list<int> l(&res);
        std::pmr::unordered_map<int, int> m(&res);
        fill_containers(v, l, m, 300);
        la_lookaside_stats_t s = cache_stats(cache);
        uint64_t from_fallback = tag_info(kTagFallback).outstanding - fb_base;
        // Every node is a cache block; the cache and the fallback together hold exactly
        // the live blocks; the cache's backing tag holds its blocks, live or cached.
        assert_true(s.outstanding >= l.size() + m.size());
        assert_int_equal(s.outstanding + from_fallback, la_fault_allocator_live(&counter));
        assert_true(from_fallback >= 2);  // the vector's buffer and the bucket array
        la_pool_tag_info_t backing = tag_info(kTagCache);
        assert_true(backing.outstanding >= s.outstanding + s.cached);
        la_printf("accounting cache '%s': block %zu, outstanding %" PRIu64 ", cached %" PRIu64
                  ", total_allocates %" PRIu64 ", allocate_misses %" PRIu64 "\n",
                  s.name, la_lookaside_block_size(cache), s.outstanding, s.cached,
                  s.total_allocates, s.allocate_misses);
        print_tag("cache backing (blocks live+cached)", kTagCache);
        print_tag("fallback (vector buffer, buckets)", kTagFallback);
    }
    assert_int_equal(la_fault_allocator_live(&counter), 0);
    assert_int_equal(cache_stats(cache).outstanding, 0);
    assert_int_equal(tag_info(kTagFallback).outstanding, fb_base);
    assert_int_equal(la_lookaside_destroy(cache), 0);
    print_tag("cache destroyed", kTagCache);
    print_tag("fallback after", kTagFallback);
    assert_int_equal(tag_info(kTagCache).outstanding, 0);
    la_pool_report_opts_t opts;
    std::memset(&opts, 0, sizeof opts);
    opts.include = "Cx*";
    opts.totals = true;
    la_pool_table_print(&opts);
}

// ---- make_unique, equality, overflow ----------------------------------------------------------------

struct Tracked {
    static int constructed, destroyed;
    const la_fault_allocator_t *counter;
    explicit Tracked(const la_fault_allocator_t *c, bool fail) : counter(c) {
        if (fail) throw std::runtime_error("constructor failed");
        constructed++;
    }
    ~Tracked() {
        // The memory is still allocated while the destructor runs.
        assert_int_equal(la_fault_allocator_live(counter), 1);
        destroyed++;
    }
};
int Tracked::constructed = 0;
int Tracked::destroyed = 0;

void t_make_unique(void **) {
    la_fault_allocator_t f;
    assert_int_equal(la_fault_allocator_init(&f, la_allocator_libc()), 0);
    bool threw = false;
    try {
        auto p = la::make_unique<Tracked>(&f.allocator, &f, true);
    } catch (const std::runtime_error &) {
        threw = true;
    }
    assert_true(threw);
    assert_int_equal(la_fault_allocator_live(&f), 0);  // the memory went back
    {
        auto p = la::make_unique<Tracked>(&f.allocator, &f, false);
        assert_int_equal(la_fault_allocator_live(&f), 1);
    }
    assert_int_equal(Tracked::constructed, 1);
    assert_int_equal(Tracked::destroyed, 1);
    assert_int_equal(la_fault_allocator_live(&f), 0);

    la_fault_allocator_fail_nth(&f, 1, 1);
    threw = false;
    try {
        auto p = la::make_unique<Tracked>(&f.allocator, &f, false);
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    assert_true(threw);
    assert_int_equal(Tracked::constructed, 1);
}

void t_equality_and_overflow(void **) {
    la_pool_allocator_t a, b;
    assert_int_equal(la_pool_allocator_init(&a, LA_POOL_PAGED, kTagStl, 0), 0);
    assert_int_equal(la_pool_allocator_init(&b, LA_POOL_PAGED, kTagStl, 0), 0);
    la::memory_resource ra(&a.allocator), ra2(&a.allocator), rb(&b.allocator);
    assert_true(ra == ra2);                             // same allocator: interchangeable
    assert_false(ra == rb);                             // another adapter struct: not
    assert_false(ra == *std::pmr::new_delete_resource());
    la::allocator<int> ia(&a.allocator);
    la::allocator<double> da(ia);                       // rebind keeps the allocator
    assert_true(ia == da);
    assert_true(ia != la::allocator<int>(&b.allocator));
    bool threw = false;
    try {
        (void)ia.allocate(SIZE_MAX / 2);
    } catch (const std::bad_array_new_length &) {
        threw = true;
    }
    assert_true(threw);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_header_example),
        cmocka_unit_test(t_pmr_on_pool),
        cmocka_unit_test(t_stl_allocator_on_pool),
        cmocka_unit_test(t_lookaside_refuses_what_does_not_fit),
        cmocka_unit_test(t_lookaside_with_fallback_routes_by_size),
        cmocka_unit_test(t_make_unique),
        cmocka_unit_test(t_equality_and_overflow),
    };
    return la_test_run("allocator_cxx", tests);
}
