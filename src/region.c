/* region.c — regions: page-granular memory with properties (lookaside/region.h).
 *
 * What: one fresh mapping per region, chosen from the spec — hugetlb pages, base
 * pages (with transparent huge pages advised when huge pages were asked and are not
 * reserved), a dual read-write / read-execute mapping, or plain read-write pages —
 * then bound to a node, populated, locked, and finally checked against the
 * physical constraints through frame numbers where the process may read them.
 *
 * Why this order: a NUMA binding applies to pages faulted after it, so it comes
 * before the first touch; locking populates, so it comes after binding; physical
 * addresses exist only once pages are resident, so checks come last and a region
 * that fails them is unmapped (it was never handed out).
 *
 * Honesty rules (the "never pretend"):
 *   - non-cached / write-combined user memory does not exist here: ENOTSUP;
 *   - physical placement cannot be chosen, only checked: where frame numbers are
 *     hidden the result says UNVERIFIABLE (or fails with LA_REGION_VERIFY);
 *   - a huge-page fallback is counted and visible in the query;
 *   - we never create a mapping that is writable and executable at one address.
 *
 * Invariants: every live region is on the registry list (for la_region_free_base
 * and misuse detection); the counters describe live regions exactly.
 * Lock order: reg_lock is a leaf; no prim call or output happens with it held,
 * except list manipulation. */
#include "region_impl.h"

#include <lookaside/region.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "prim/prim.h"

/* At most this many base pages are checked one by one (each costs a pagemap read);
 * larger base-page regions report their physical checks as unverifiable. */
#define VERIFY_MAX_PAGES 16384u

struct la_region {
    char *base;
    char *rx;                 /* dual view, else NULL */
    size_t size;
    size_t page_size;
    size_t huge_size;
    unsigned flags;
    unsigned node_asked;
    bool locked;
    bool huge_fallback;
    bool executable_now;      /* W^X form currently RX */
    uint64_t phys_base;
    size_t contiguous_bytes;
    la_region_check_t contiguity, range;
    struct la_region *next, *prev;
};

static la_prim_lock_t reg_lock = LA_PRIM_LOCK_INIT;
static la_region_t *live;
static uint64_t n_live, b_live, b_locked;
static _Atomic uint64_t n_huge_asked, n_huge_given, n_thp_fb, n_base_fb, n_fail, n_lock_fail;

_Atomic int lai_region_refuse_exec;

static bool pow2_u64(uint64_t x) { return x && !(x & (x - 1)); }

static size_t smallest_huge_at_least(const la_prim_caps_t *c, size_t want) {
    for (unsigned i = 0; i < c->huge_size_count; ++i)
        if (c->huge[i].size >= want) return c->huge[i].size;
    return 0;
}

static bool huge_offered(const la_prim_caps_t *c, size_t hs) {
    for (unsigned i = 0; i < c->huge_size_count; ++i)
        if (c->huge[i].size == hs) return true;
    return false;
}

static int check_spec(const la_region_spec_t *s, const la_prim_caps_t *c, size_t *rsize) {
    if (!s || s->size == 0 || (s->flags & ~LA_REGION_FLAGS_MASK)) return EINVAL;
    if (s->cache == LA_CACHE_NONCACHED || s->cache == LA_CACHE_WRITE_COMBINED) return ENOTSUP;
    if (s->cache != LA_CACHE_CACHED) return EINVAL;
    if ((s->flags & LA_REGION_DUAL_VIEW) && !(s->flags & LA_REGION_EXECUTE)) return EINVAL;
    if ((s->flags & LA_REGION_HUGE_ONLY) && !(s->flags & LA_REGION_HUGE)) return EINVAL;
    if (s->node != LA_NODE_ANY && (s->node >= 64 || !((c->numa_node_mask >> s->node) & 1))) return EINVAL;
    if (lai_align_up_overflows(s->size, c->page_size, rsize)) return ENOMEM;
    if (s->boundary && (!pow2_u64(s->boundary) || s->boundary < *rsize)) return EINVAL;
    uint64_t hi = s->highest ? s->highest : UINT64_MAX;
    if (s->lowest > hi || hi - s->lowest < (uint64_t)*rsize - 1) return EINVAL;
    if (s->huge_size && (!(s->flags & LA_REGION_HUGE) || !pow2_u64(s->huge_size))) return EINVAL;
    if ((s->flags & LA_REGION_DUAL_VIEW) && (s->flags & (LA_REGION_HUGE | LA_REGION_CONTIGUOUS)))
        return ENOTSUP; /* an executable alias of hugetlb memory is not offered */
    return 0;
}

/* Touch one byte per page so the pages exist (binding applied, frames assigned). */
static void populate(char *p, size_t size, size_t ps) {
    for (size_t off = 0; off < size; off += ps) ((volatile char *)p)[off] = 0;
}

/* Physical checks. Fills contiguity / range / phys_base / contiguous_bytes.
 * Returns 0, ERANGE (verified outside the constraints) or ENOMEM (contiguity asked,
 * verified not contiguous). */
static int verify(la_region_t *r, const la_region_spec_t *s) {
    bool range_asked = s->lowest || s->highest || s->boundary;
    bool contig_asked = (s->flags & LA_REGION_CONTIGUOUS) != 0;
    uint64_t hi = s->highest ? s->highest : UINT64_MAX;
    size_t step = r->page_size; /* a hugetlb page is contiguous inside */
    size_t pages = r->size / step;
    uint64_t pa;
    int e = la_prim_phys_addr(r->base, &pa);
    bool readable = e == 0 && pages <= VERIFY_MAX_PAGES;
    r->contiguity = contig_asked ? LA_REGION_CHECK_UNVERIFIABLE : LA_REGION_CHECK_NOT_ASKED;
    r->range = range_asked ? LA_REGION_CHECK_UNVERIFIABLE : LA_REGION_CHECK_NOT_ASKED;
    if (e == 0) r->phys_base = pa;
    if (!readable) return 0;
    size_t contig = step;
    bool still = true, in_range = true;
    uint64_t prev = pa;
    for (size_t i = 0; i < pages; ++i) {
        uint64_t cur = pa;
        if (i && la_prim_phys_addr(r->base + i * step, &cur) != 0) {
            /* A page vanished (should not happen for populated memory): unverifiable. */
            return 0;
        }
        if (i) {
            if (still && cur == prev + step) contig += step;
            else still = false;
        }
        if (cur < s->lowest || cur + step - 1 > hi) in_range = false;
        prev = cur;
    }
    r->contiguous_bytes = contig;
    bool whole = contig >= r->size;
    if (s->boundary && whole && (pa / s->boundary) != ((pa + r->size - 1) / s->boundary)) in_range = false;
    if (range_asked) {
        if (!in_range) return ERANGE;
        r->range = LA_REGION_CHECK_VERIFIED;
    }
    if (contig_asked) {
        if (!whole) return ENOMEM;
        r->contiguity = LA_REGION_CHECK_VERIFIED;
    }
    return 0;
}

static void unmap(la_region_t *r) {
    if (r->locked) la_prim_unlock_pages(r->base, r->size);
    la_prim_release(r->base, r->size);
    if (r->rx) la_prim_release(r->rx, r->size);
}

static int fail(int e) {
    atomic_fetch_add_explicit(&n_fail, 1, memory_order_relaxed);
    return e;
}

int la_region_alloc(const la_region_spec_t *spec, la_region_t **out) {
    if (!out) return EINVAL;
    const la_prim_caps_t *c = la_prim_caps_refresh();
    size_t rsize;
    int e = check_spec(spec, c, &rsize);
    if (e) return fail(e);
    const unsigned f = spec->flags;
    la_region_t *r = calloc(1, sizeof *r);
    if (!r) return fail(ENOMEM);
    r->flags = f;
    r->node_asked = spec->node;
    r->page_size = c->page_size;

    /* 1. Huge pages: hugetlb of the chosen size, or a counted fallback. */
    bool want_huge = (f & LA_REGION_HUGE) != 0;
    bool contig_big = (f & LA_REGION_CONTIGUOUS) && rsize > c->page_size;
    if (want_huge) atomic_fetch_add_explicit(&n_huge_asked, 1, memory_order_relaxed);
    if (want_huge || contig_big) {
        size_t hs = spec->huge_size;
        if (!hs) hs = contig_big ? smallest_huge_at_least(c, rsize) : (c->huge_size_count ? c->huge[0].size : 0);
        if (contig_big && hs && hs < rsize) hs = 0; /* one huge page must hold it all */
        int he = ENOMEM;
        if (hs && huge_offered(c, hs)) {
            size_t hsize;
            if (lai_align_up_overflows(rsize, hs, &hsize)) {
                free(r);
                return fail(ENOMEM);
            }
            void *m;
            he = la_prim_map_huge(hsize, hs, &m);
            if (he == 0 && spec->boundary &&
                ((uintptr_t)m / spec->boundary) != (((uintptr_t)m + hsize - 1) / spec->boundary)) {
                la_prim_release(m, hsize); /* crosses the boundary virtually: give up on it */
                he = ERANGE;
            }
            if (he == 0) {
                r->base = m;
                r->size = hsize;
                r->huge_size = hs;
                r->page_size = hs;
                if (want_huge) atomic_fetch_add_explicit(&n_huge_given, 1, memory_order_relaxed);
            }
        }
        if (!r->base && ((f & LA_REGION_HUGE_ONLY) || contig_big)) {
            free(r);
            return fail(he == ERANGE ? ERANGE : ENOMEM); /* no huge pages reserved (or not enough) */
        }
        r->huge_fallback = want_huge && !r->base;
    }

    /* 2. Base pages (plain, dual view, or the huge-page fallback). */
    if (!r->base) {
        size_t align = c->page_size;
        if (r->huge_fallback && c->thp_size && c->thp_enabled) align = c->thp_size;
        if (spec->boundary && spec->boundary > align) align = (size_t)spec->boundary;
        r->size = rsize;
        if (f & LA_REGION_DUAL_VIEW) {
            void *rw, *rx;
            e = atomic_load_explicit(&lai_region_refuse_exec, memory_order_relaxed) ? EACCES
                                                                                    : la_prim_map_dual(rsize, &rw, &rx);
            if (!e && spec->boundary &&
                ((uintptr_t)rw / spec->boundary) != (((uintptr_t)rw + rsize - 1) / spec->boundary)) {
                la_prim_release(rw, rsize);
                la_prim_release(rx, rsize);
                e = ERANGE;
            }
            if (e) {
                free(r);
                return fail(e);
            }
            r->base = rw;
            r->rx = rx;
        } else {
            void *m;
            e = la_prim_map(rsize, align, &m);
            if (e) {
                free(r);
                return fail(e);
            }
            r->base = m;
        }
        if (r->huge_fallback) {
            if (la_prim_advise_thp(r->base, r->size) == 0) atomic_fetch_add_explicit(&n_thp_fb, 1, memory_order_relaxed);
            else atomic_fetch_add_explicit(&n_base_fb, 1, memory_order_relaxed);
        }
    }

    /* 3. NUMA binding before the first touch (hugetlb pages are moved if needed). */
    if (spec->node != LA_NODE_ANY) {
        e = la_prim_bind_node(r->base, r->size, spec->node);
        /* Without binding on a one-node system the memory is on that node anyway. */
        if (e == ENOTSUP && c->numa_node_count == 1) e = 0;
        if (e) goto undo;
    }
    /* 4. Populate, then lock (W^X form: executable needs no touch difference). */
    if (!r->huge_size) populate(r->base, r->size, c->page_size);
    if (f & LA_REGION_LOCKED) {
        e = la_prim_lock_pages(r->base, r->size);
        if (e) {
            atomic_fetch_add_explicit(&n_lock_fail, 1, memory_order_relaxed);
            e = ENOMEM;
            goto undo;
        }
        r->locked = true;
    }
    /* 5. The node actually holding it. */
    if (spec->node != LA_NODE_ANY) {
        unsigned got;
        if (la_prim_node_of(r->base, &got) == 0 && got != spec->node) {
            e = ENOMEM;
            goto undo;
        }
    }
    /* 6. Physical checks. */
    e = verify(r, spec);
    if (e) goto undo;
    if ((f & LA_REGION_VERIFY) &&
        (r->range == LA_REGION_CHECK_UNVERIFIABLE || r->contiguity == LA_REGION_CHECK_UNVERIFIABLE)) {
        e = ENOTSUP;
        goto undo;
    }

    la_prim_lock_acquire(&reg_lock);
    r->next = live;
    if (live) live->prev = r;
    live = r;
    n_live++;
    b_live += r->size;
    if (r->locked) b_locked += r->size;
    la_prim_lock_release(&reg_lock);
    *out = r;
    return 0;
undo:
    unmap(r);
    free(r);
    return fail(e);
}

/* Remove from the registry; false when `r` is not a live region. */
static bool unlink_region(la_region_t *r) {
    bool found = false;
    la_prim_lock_acquire(&reg_lock);
    for (la_region_t *x = live; x; x = x->next)
        if (x == r) {
            found = true;
            break;
        }
    if (found) {
        if (r->prev) r->prev->next = r->next; else live = r->next;
        if (r->next) r->next->prev = r->prev;
        n_live--;
        b_live -= r->size;
        if (r->locked) b_locked -= r->size;
    }
    la_prim_lock_release(&reg_lock);
    return found;
}

void la_region_free(la_region_t *r) {
    if (!r) return;
    if (!unlink_region(r)) {
        la_fatal(LA_FATAL_BAD_POINTER, r, NULL, 0, "%p is not a live region", (void *)r);
        return;
    }
    unmap(r);
    free(r);
}

void la_region_free_base(void *base) {
    if (!base) return;
    la_region_t *r = NULL;
    la_prim_lock_acquire(&reg_lock);
    for (la_region_t *x = live; x; x = x->next)
        if (x->base == base) {
            r = x;
            break;
        }
    la_prim_lock_release(&reg_lock);
    if (!r) {
        la_fatal(LA_FATAL_BAD_POINTER, base, NULL, 0,
                 "%p is not the base of a live region (MmFreeContiguousMemory: BAD_POOL_CALLER 0x60)", base);
        return;
    }
    la_region_free(r);
}

void *la_region_base(const la_region_t *r) { return r ? r->base : NULL; }

int la_region_query(const la_region_t *r, la_region_info_t *out) {
    if (!r || !out) return EINVAL;
    memset(out, 0, sizeof *out);
    out->base = r->base;
    out->exec_base = r->rx ? r->rx : (r->flags & LA_REGION_EXECUTE) ? r->base : NULL;
    out->size = r->size;
    out->page_size = r->page_size;
    out->huge_size = r->huge_size;
    out->thp_bytes = r->huge_size ? 0 : la_prim_thp_backed(r->base, r->size);
    out->huge_fallback = r->huge_fallback;
    out->locked = r->locked;
    unsigned node;
    out->node = la_prim_node_of(r->base, &node) == 0 ? node : LA_NODE_ANY;
    out->phys_base = r->phys_base;
    out->contiguous_bytes = r->contiguous_bytes;
    out->contiguity = r->contiguity;
    out->range = r->range;
    return 0;
}

int la_region_protect(la_region_t *r, la_region_prot_t prot) {
    if (!r || !(r->flags & LA_REGION_EXECUTE) || r->rx || (prot != LA_REGION_PROT_RW && prot != LA_REGION_PROT_RX))
        return EINVAL;
    if (prot == LA_REGION_PROT_RX && atomic_load_explicit(&lai_region_refuse_exec, memory_order_relaxed))
        return EACCES;
    int e = la_prim_protect(r->base, r->size, prot == LA_REGION_PROT_RX ? LA_PRIM_PROT_RX : LA_PRIM_PROT_RW);
    if (e == EPERM) e = EACCES;
    if (!e) r->executable_now = prot == LA_REGION_PROT_RX;
    return e;
}

int la_region_huge_preflight(la_huge_avail_t *out, size_t cap, size_t *count) {
    if (!count || (cap && !out)) return EINVAL;
    const la_prim_caps_t *c = la_prim_caps_refresh();
    /* prim reports system-wide pools; on a one-node system that is node 0's. */
    unsigned node = LA_NODE_ANY;
    if (c->numa_node_count == 1 && c->numa_node_mask) node = (unsigned)__builtin_ctzll(c->numa_node_mask);
    size_t n = c->huge_size_count;
    for (size_t i = 0; i < n && i < cap; ++i) {
        out[i].size = c->huge[i].size;
        out[i].node = node;
        out[i].total = c->huge[i].total;
        out[i].free = c->huge[i].free;
    }
    *count = n;
    return cap < n ? ENOBUFS : 0;
}

void la_region_stats_get(la_region_stats_t *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    la_prim_lock_acquire(&reg_lock);
    out->regions_live = n_live;
    out->bytes_live = b_live;
    out->bytes_locked = b_locked;
    la_prim_lock_release(&reg_lock);
    out->huge_asked = atomic_load_explicit(&n_huge_asked, memory_order_relaxed);
    out->huge_given = atomic_load_explicit(&n_huge_given, memory_order_relaxed);
    out->thp_fallbacks = atomic_load_explicit(&n_thp_fb, memory_order_relaxed);
    out->base_fallbacks = atomic_load_explicit(&n_base_fb, memory_order_relaxed);
    out->failures = atomic_load_explicit(&n_fail, memory_order_relaxed);
    out->lock_failures = atomic_load_explicit(&n_lock_fail, memory_order_relaxed);
}
