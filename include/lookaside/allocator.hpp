// lookaside/allocator.hpp — C++17 over <lookaside/allocator.h>: any la_allocator_t
// (lookaside cache, tagged pool, the C library, the fault wrapper, your own) as a
// std::pmr::memory_resource, as an STL allocator, and behind a unique_ptr.
//
// What
//   la::memory_resource      std::pmr::memory_resource over a const la_allocator_t *:
//                            do_allocate -> la_allocator_alloc (std::bad_alloc on
//                            NULL), do_deallocate -> la_allocator_free with the same
//                            bytes and alignment. Equal to another la::memory_resource
//                            over the same allocator.
//   la::allocator<T>         an STL allocator (C++17 Allocator requirements) holding
//                            the same pointer; rebinding keeps it. Copies compare
//                            equal; propagates on copy, move and swap.
//   la::make_unique<T>(a, args...)   allocate and construct; la::unique_ptr<T>'s
//                            deleter runs ~T() first and frees afterwards.
//
// Rules
//   - Failure is an exception: std::bad_alloc when the allocator returns NULL
//     (ENOMEM, and EINVAL for a request it can never serve — a lookaside cache
//     without a fallback asked for more than a block), std::bad_array_new_length
//     when n * sizeof(T) overflows. Containers keep their own guarantees (a
//     std::vector that cannot grow is left as it was).
//   - Node containers ask for different sizes: std::list and std::unordered_map
//     allocate nodes (one size) and, for the map, bucket arrays (growing sizes). On
//     a lookaside cache, give the adapter a fallback (la_lookaside_allocator_init's
//     third argument): nodes then come from the cache and the rest from the
//     fallback (route-by-size). Without one, requests above the block throw.
//   - The la_allocator_t (and the adapter struct behind it) must outlive every
//     container and pointer that uses it. Thread safety is the allocator's.
//   - Header-only; compiles with -std=c++17 -Wall -Wextra -Werror under g++ and
//     clang++ (tests/api/test_allocator.cmake proves it with both).
//
// Example (compiled and run as written by tests/api/test_allocator.cpp):
//
//     la_pool_allocator_t pa;
//     la_pool_allocator_init(&pa, LA_POOL_PAGED, LA_TAG('C','x','x','1'), 0);
//     la::memory_resource res(&pa.allocator);
//     std::pmr::vector<int> v(&res);                 // buffer charged to "Cxx1"
//     v.assign(100, 7);
//     std::list<int, la::allocator<int>> l(la::allocator<int>(&pa.allocator));
//     l.push_back(1);                                // one node, charged to "Cxx1"
//     auto p = la::make_unique<std::string>(&pa.allocator, "hello");
//     la_pool_tag_info_t info;
//     la_pool_tag_query(LA_TAG('C','x','x','1'), LA_POOL_KIND_PAGED, &info);
//     // info.outstanding == 3: the vector's buffer, the node and the string object
#ifndef LOOKASIDE_ALLOCATOR_HPP
#define LOOKASIDE_ALLOCATOR_HPP

#include <lookaside/allocator.h>

#include <cstddef>
#include <limits>
#include <memory>
#include <memory_resource>
#include <new>
#include <type_traits>
#include <utility>

namespace la {

// True when blocks of `a` may be freed through `b`.
inline bool same_allocator(const la_allocator_t *a, const la_allocator_t *b) noexcept {
    return a == b || (a && b && a->allocate == b->allocate && a->free == b->free && a->ctx == b->ctx);
}

class memory_resource final : public std::pmr::memory_resource {
public:
    explicit memory_resource(const la_allocator_t *a) noexcept : alloc_(a) {}
    const la_allocator_t *allocator() const noexcept { return alloc_; }

private:
    void *do_allocate(std::size_t bytes, std::size_t alignment) override {
        void *p = la_allocator_alloc(alloc_, bytes, alignment);
        if (!p) throw std::bad_alloc();
        return p;
    }
    void do_deallocate(void *p, std::size_t bytes, std::size_t alignment) override {
        la_allocator_free(alloc_, p, bytes, alignment);
    }
    bool do_is_equal(const std::pmr::memory_resource &other) const noexcept override {
        if (this == &other) return true;
#if defined(__cpp_rtti) || defined(__GXX_RTTI)
        const memory_resource *o = dynamic_cast<const memory_resource *>(&other);
        return o != nullptr && same_allocator(o->alloc_, alloc_);
#else
        return false;
#endif
    }

    const la_allocator_t *alloc_;
};

template <class T>
class allocator {
public:
    using value_type = T;
    using propagate_on_container_copy_assignment = std::true_type;
    using propagate_on_container_move_assignment = std::true_type;
    using propagate_on_container_swap = std::true_type;
    using is_always_equal = std::false_type;

    explicit allocator(const la_allocator_t *a) noexcept : alloc_(a) {}
    template <class U>
    allocator(const allocator<U> &other) noexcept : alloc_(other.get()) {}

    T *allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
        void *p = la_allocator_alloc(alloc_, n * sizeof(T), alignof(T));
        if (!p) throw std::bad_alloc();
        return static_cast<T *>(p);
    }
    void deallocate(T *p, std::size_t n) noexcept {
        la_allocator_free(alloc_, p, n * sizeof(T), alignof(T));
    }
    const la_allocator_t *get() const noexcept { return alloc_; }

private:
    const la_allocator_t *alloc_;
};

template <class T, class U>
bool operator==(const allocator<T> &a, const allocator<U> &b) noexcept {
    return same_allocator(a.get(), b.get());
}
template <class T, class U>
bool operator!=(const allocator<T> &a, const allocator<U> &b) noexcept {
    return !(a == b);
}

// Destroys then frees: the object is gone before its memory is given back.
template <class T>
struct deleter {
    const la_allocator_t *alloc = nullptr;
    void operator()(T *p) const noexcept {
        if (!p) return;
        p->~T();
        la_allocator_free(alloc, p, sizeof(T), alignof(T));
    }
};

template <class T>
using unique_ptr = std::unique_ptr<T, deleter<T>>;

// Allocate a T from `a` and construct it; if the constructor throws, the memory
// is freed and the exception propagates. std::bad_alloc when the allocation fails.
template <class T, class... Args>
unique_ptr<T> make_unique(const la_allocator_t *a, Args &&...args) {
    static_assert(!std::is_array<T>::value, "la::make_unique<T[]> is not provided");
    void *mem = la_allocator_alloc(a, sizeof(T), alignof(T));
    if (!mem) throw std::bad_alloc();
    T *obj;
    try {
        obj = ::new (mem) T(std::forward<Args>(args)...);
    } catch (...) {
        la_allocator_free(a, mem, sizeof(T), alignof(T));
        throw;
    }
    return unique_ptr<T>(obj, deleter<T>{a});
}

}  // namespace la

#endif  // LOOKASIDE_ALLOCATOR_HPP
