/* examples/hashmap.h — a small chained hash map (uint64_t key -> uint64_t value)
 * written against the allocator interface only, so any of our memory kinds can
 * hold it. examples/hashmap.c runs it with nodes from a lookaside cache and bucket
 * arrays from a tagged pool; tests/api/test_allocator_hashmap.c checks it against a
 * model; tests/fault/test_allocator_oom.c fails its allocations one by one.
 *
 * Shape: `buckets` is a power-of-two array of singly linked chains of hm_node_t.
 * A node is HM_NODE_SIZE bytes aligned to HM_NODE_ALIGN, always: give the map a
 * lookaside cache of that block size (la_lookaside_allocator_init with a fallback
 * for the bucket arrays) and every node is a cache block.
 *
 * Failure rules (every operation that allocates):
 *   hm_put     allocates the node first, then grows the table if the load would
 *              pass 3/4; if either fails the node is freed and the map is exactly
 *              as before (ENOMEM, or whatever errno the allocator set).
 *   hm_reserve grows in place when the allocator can resize the bucket array
 *              (the chains are split within it), else builds a new array and frees
 *              the old one; on failure nothing changed.
 *   hm_copy    all or nothing: on failure the copy is freed and `dst` is empty.
 *   hm_remove, hm_clear, hm_destroy never allocate.
 * hm_check() verifies every invariant (counts, placement, no duplicate keys, load).
 *
 * Everything is `static inline` so the example and the tests share one copy of the
 * code without a library of its own. Not thread-safe (one map, one thread). */
#ifndef LA_EXAMPLE_HASHMAP_H
#define LA_EXAMPLE_HASHMAP_H

#include <lookaside/allocator.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct hm_node {
    struct hm_node *next;
    uint64_t key;
    uint64_t value;
} hm_node_t;

#define HM_NODE_SIZE sizeof(hm_node_t)
#define HM_NODE_ALIGN LA_ALIGNOF(hm_node_t)
#define HM_MIN_BUCKETS 8u

typedef struct hm_map {
    const la_allocator_t *alloc;
    hm_node_t **buckets;     /* NULL while nbuckets == 0 */
    size_t nbuckets;         /* 0 or a power of two */
    size_t count;
} hm_map_t;

static inline uint64_t hm_hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ull;
    return key ^ (key >> 33);
}

static inline size_t hm_slot(uint64_t key, size_t nbuckets) {
    return (size_t)(hm_hash(key) & (nbuckets - 1));
}

/* Allocates nothing. */
static inline void hm_init(hm_map_t *m, const la_allocator_t *a) {
    m->alloc = a;
    m->buckets = NULL;
    m->nbuckets = 0;
    m->count = 0;
}

static inline size_t hm_count(const hm_map_t *m) { return m->count; }

static inline hm_node_t **hm_find_link(const hm_map_t *m, uint64_t key) {
    if (!m->nbuckets) return NULL;
    hm_node_t **link = &m->buckets[hm_slot(key, m->nbuckets)];
    while (*link && (*link)->key != key) link = &(*link)->next;
    return *link ? link : NULL;
}

static inline bool hm_get(const hm_map_t *m, uint64_t key, uint64_t *value) {
    hm_node_t **link = hm_find_link(m, key);
    if (!link) return false;
    if (value) *value = (*link)->value;
    return true;
}

/* Largest count a table of n buckets holds (load 3/4). */
static inline size_t hm_capacity(size_t nbuckets) { return nbuckets - nbuckets / 4; }

/* Make room for `n` entries without passing the load limit. */
static inline int hm_reserve(hm_map_t *m, size_t n) {
    size_t want = m->nbuckets ? m->nbuckets : HM_MIN_BUCKETS;
    while (hm_capacity(want) < n) {
        if (want > SIZE_MAX / 2 / sizeof(hm_node_t *)) return ENOMEM;
        want *= 2;
    }
    if (want == m->nbuckets) return 0;
    const size_t psz = sizeof(hm_node_t *), pal = LA_ALIGNOF(hm_node_t *);
    size_t old_n = m->nbuckets;

    /* In place: the array grows where it is; chain i splits into i, i+old_n, ... */
    if (old_n && la_allocator_resize(m->alloc, m->buckets, old_n * psz, want * psz, pal)) {
        memset(m->buckets + old_n, 0, (want - old_n) * psz);
        for (size_t i = 0; i < old_n; i++) {
            hm_node_t *chain = m->buckets[i];
            m->buckets[i] = NULL;
            while (chain) {
                hm_node_t *next = chain->next;
                size_t s = hm_slot(chain->key, want);
                chain->next = m->buckets[s];
                m->buckets[s] = chain;
                chain = next;
            }
        }
        m->nbuckets = want;
        return 0;
    }

    hm_node_t **fresh = la_allocator_alloc_array(m->alloc, want, psz, pal);
    if (!fresh) return errno ? errno : ENOMEM;
    memset(fresh, 0, want * psz);
    for (size_t i = 0; i < old_n; i++) {
        hm_node_t *chain = m->buckets[i];
        while (chain) {
            hm_node_t *next = chain->next;
            size_t s = hm_slot(chain->key, want);
            chain->next = fresh[s];
            fresh[s] = chain;
            chain = next;
        }
    }
    la_allocator_free_array(m->alloc, m->buckets, old_n, psz, pal);
    m->buckets = fresh;
    m->nbuckets = want;
    return 0;
}

/* Insert or replace. 0, or an errno value with the map unchanged. */
static inline int hm_put(hm_map_t *m, uint64_t key, uint64_t value) {
    hm_node_t **link = hm_find_link(m, key);
    if (link) {
        (*link)->value = value;
        return 0;
    }
    hm_node_t *node = la_allocator_alloc(m->alloc, HM_NODE_SIZE, HM_NODE_ALIGN);
    if (!node) return errno ? errno : ENOMEM;
    int err = hm_reserve(m, m->count + 1);
    if (err) {
        la_allocator_free(m->alloc, node, HM_NODE_SIZE, HM_NODE_ALIGN);
        return err;
    }
    size_t s = hm_slot(key, m->nbuckets);
    node->key = key;
    node->value = value;
    node->next = m->buckets[s];
    m->buckets[s] = node;
    m->count++;
    return 0;
}

/* Remove `key`; false if it was not there. Never allocates. */
static inline bool hm_remove(hm_map_t *m, uint64_t key) {
    hm_node_t **link = hm_find_link(m, key);
    if (!link) return false;
    hm_node_t *node = *link;
    *link = node->next;
    m->count--;
    la_allocator_free(m->alloc, node, HM_NODE_SIZE, HM_NODE_ALIGN);
    return true;
}

/* Free every node; the bucket array stays. */
static inline void hm_clear(hm_map_t *m) {
    for (size_t i = 0; i < m->nbuckets; i++) {
        hm_node_t *chain = m->buckets[i];
        m->buckets[i] = NULL;
        while (chain) {
            hm_node_t *next = chain->next;
            la_allocator_free(m->alloc, chain, HM_NODE_SIZE, HM_NODE_ALIGN);
            chain = next;
        }
    }
    m->count = 0;
}

/* Free everything; the map is empty and usable again. */
static inline void hm_destroy(hm_map_t *m) {
    hm_clear(m);
    la_allocator_free_array(m->alloc, m->buckets, m->nbuckets, sizeof(hm_node_t *),
                            LA_ALIGNOF(hm_node_t *));
    m->buckets = NULL;
    m->nbuckets = 0;
}

/* Copy `src` into `dst` (initialised here, with allocator `a`): all or nothing. */
static inline int hm_copy(hm_map_t *dst, const hm_map_t *src, const la_allocator_t *a) {
    hm_init(dst, a);
    int err = hm_reserve(dst, src->count);
    for (size_t i = 0; !err && i < src->nbuckets; i++)
        for (const hm_node_t *n = src->buckets[i]; !err && n; n = n->next)
            err = hm_put(dst, n->key, n->value);
    if (err) hm_destroy(dst);
    return err;
}

/* Call fn(key, value, arg) for every entry (order unspecified). */
static inline void hm_foreach(const hm_map_t *m, void (*fn)(uint64_t, uint64_t, void *), void *arg) {
    for (size_t i = 0; i < m->nbuckets; i++)
        for (const hm_node_t *n = m->buckets[i]; n; n = n->next) fn(n->key, n->value, arg);
}

/* 0 when every invariant holds, else a number naming the first one broken. */
static inline int hm_check(const hm_map_t *m) {
    if (!m->alloc) return 1;
    if ((m->nbuckets == 0) != (m->buckets == NULL)) return 2;
    if (m->nbuckets & (m->nbuckets - 1)) return 3;
    if (m->nbuckets && m->count > hm_capacity(m->nbuckets)) return 4;
    size_t seen = 0;
    for (size_t i = 0; i < m->nbuckets; i++) {
        for (const hm_node_t *n = m->buckets[i]; n; n = n->next) {
            if (hm_slot(n->key, m->nbuckets) != i) return 5;
            for (const hm_node_t *o = n->next; o; o = o->next)
                if (o->key == n->key) return 6;
            if (++seen > m->count) return 7;
        }
    }
    return seen == m->count ? 0 : 8;
}

#endif /* LA_EXAMPLE_HASHMAP_H */
