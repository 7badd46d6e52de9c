// The lookaside header in C++17: the inline fast path (thread_local slots),
// creation, the out-of-line calls and a snapshot compile, link and work.
#include <lookaside/lookaside.h>

#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

static int fail(const char *what) {
    std::printf("FAILED: %s\n", what);
    return 1;
}

int main() {
    la_lookaside_tuner_enable(false);
    la_lookaside_params_t p{};
    p.name = "c++";
    p.size = 40;
    p.tag = LA_TAG('C', 'x', 'x', ' ');
    la_lookaside_t *cache = nullptr;
    if (la_lookaside_create(&p, &cache) != 0) return fail("create");
    void *a = la_lookaside_alloc_inline(cache);
    if (!a) return fail("alloc");
    la_lookaside_free_inline(cache, a);
    void *b = la_lookaside_alloc_inline(cache);
    if (b != a) return fail("LIFO reuse");
    la_lookaside_free(cache, b);
    std::thread t([cache] {
        std::vector<void *> v;
        for (int i = 0; i < 100; ++i) v.push_back(la_lookaside_alloc_inline(cache));
        for (void *x : v) la_lookaside_free_inline(cache, x);
    });
    t.join();
    la_lookaside_stats_t s{};
    s.size = sizeof s;
    if (la_lookaside_query(cache, &s) != 0) return fail("query");
    if (s.total_allocates != 102 || s.total_frees != 102 || s.outstanding != 0) return fail("counts");
    if (la_lookaside_destroy(cache) != 0) return fail("destroy");
    std::printf("lookaside inline path ok in C++\n");
    return 0;
}
