/* verify.c — the verifier for lookaside caches (include/lookaside/verify.h).
 *
 * 1. What
 *    A run-time configuration (LA_VERIFY or la_verify_configure) selects caches by
 *    name at creation. A selected cache gets a record (lai_verify_t) and no fast
 *    slot, so every allocation and free reaches lookaside_magazine.c's slow-path
 *    functions, which hand verified caches to this file. Unselected caches pay
 *    nothing but one pointer test on their slow path.
 *
 * 2. Block layout of a verified cache (cc_alloc_size bytes from the backing)
 *        [ block: cc_size ][ redzone: R ][ trailer: 16, checked builds ][ record: 64 ]
 *    The record (lai_vrec_t) says who owns the block and in which state it is
 *    (NEW from the backing, LIVE handed out, FREE cached) plus its call site; LIVE
 *    records are linked on the cache's vf_live list for reports. Because the record
 *    travels with the block, double-free / wrong-cache detection works in
 *    unchecked builds too.
 *
 * 3. Why this shape
 *    umem's approach (style-anchors §2): debug features are per-cache flags chosen
 *    at run time, patterns have names, the option parser is a table. Taking the
 *    slow path instead of testing a flag in the fast path keeps release speed.
 *    Fault injection hashes (seed, cache name, allocation number) instead of
 *    sharing a generator, so it is deterministic per cache and needs no lock.
 *
 * 4. Invariants
 *    - A verified block is NEW, LIVE or FREE exactly while it is fresh from the
 *      backing, handed out, or cached; lai_verify_forget clears the state when
 *      it goes back to the backing.
 *    - vf_live holds exactly the LIVE blocks (vf_lock); vf_nlive counts them.
 *    - A FREE block with fill on holds LA_VERIFY_FREE_PATTERN from byte `skip`
 *      (16 with DEPOT_ONLY, else 0) to cc_size; a LIVE block with redzone on holds
 *      LA_VERIFY_REDZONE_PATTERN in its redzone.
 *    - A check that fails reports through la_fatal before anything is modified;
 *      a free that is abandoned leaves the checked trailer LIVE again.
 *
 * 5. Lock order: cfg_lock (the configuration) and vf_lock (one cache's live list)
 *    are leaves; neither is held across la_printf, la_fatal or the backing.
 */
#include "lookaside_internal.h"

#include <lookaside/verify.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration ----------------------------------------------------------------------- */

#define VF_DEPTH0 0x01u
#define VF_FILL 0x02u
#define VF_REDZONE 0x04u
#define VF_CALLSITES 0x08u
#define VF_PASSTHROUGH 0x10u
#define VF_ON 0x80u        /* the configuration verifies something */

#define VF_DEFAULT_SEED 1u
#define VF_REPORT_LINES 64u

typedef struct vf_config {
    uint32_t flags;
    uint32_t redzone;
    uint64_t fail_nth;
    double fail_share;
    uint64_t seed;
    char caches[LA_VERIFY_PATTERNS_MAX + 1]; /* "" = every cache */
} vf_config_t;

static la_prim_lock_t cfg_lock = LA_PRIM_LOCK_INIT;
static vf_config_t cfg;        /* cfg_lock */
static bool cfg_settled;       /* cfg_lock: LA_VERIFY read, or la_verify_configure called */

typedef enum { OPT_FLAG, OPT_REDZONE, OPT_UINT, OPT_SHARE, OPT_PATTERN, OPT_OFF } opt_kind_t;

typedef struct opt {
    const char *name;
    opt_kind_t kind;
    uint32_t flags;            /* OPT_FLAG / OPT_REDZONE: flags set */
    size_t field;              /* OPT_UINT: offset of the uint64_t in vf_config_t */
    const char *help;
} opt_t;

static const opt_t options[] = {
    {"caches", OPT_PATTERN, 0, 0, "caches=PAT[|PAT...]: verify only caches whose name matches"},
    {"depth0", OPT_FLAG, VF_DEPTH0, 0, "nothing cached: every free goes to the backing"},
    {"fill", OPT_FLAG, VF_FILL, 0, "fill freed and handed-out blocks with patterns"},
    {"redzone", OPT_REDZONE, VF_REDZONE, 0, "redzone[=N]: N guarded bytes after each block"},
    {"callsites", OPT_FLAG, VF_CALLSITES, 0, "destroy lists leaks with their call sites"},
    {"fail_nth", OPT_UINT, 0, offsetof(vf_config_t, fail_nth), "fail_nth=N: the Nth allocation fails"},
    {"fail_share", OPT_SHARE, 0, 0, "fail_share=F: a seeded share F (0..1) of allocations fails"},
    {"seed", OPT_UINT, 0, offsetof(vf_config_t, seed), "seed=N: seed of fail_share"},
    {"passthrough", OPT_FLAG, VF_PASSTHROUGH | VF_DEPTH0, 0, "every block from aligned_alloc/free"},
    {"all", OPT_FLAG, VF_FILL | VF_REDZONE | VF_CALLSITES, 0, "fill,redzone,callsites"},
    {"off", OPT_OFF, 0, 0, "verify nothing"},
};

static bool parse_u64(const char *s, size_t n, uint64_t *out) {
    if (n == 0 || n > 20) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* "0", "1", "0.25", ".5": a share in [0, 1] without locale-dependent strtod. */
static bool parse_share(const char *s, size_t n, double *out) {
    double v = 0, scale = 1;
    bool dot = false, digit = false;
    for (size_t i = 0; i < n; ++i) {
        if (s[i] == '.' && !dot) {
            dot = true;
        } else if (s[i] >= '0' && s[i] <= '9') {
            digit = true;
            if (dot) {
                scale /= 10;
                v += (s[i] - '0') * scale;
            } else {
                v = v * 10 + (s[i] - '0');
            }
        } else {
            return false;
        }
    }
    if (!digit || v > 1.0) return false;
    *out = v;
    return true;
}

/* Parse `text` into *out; every bad item is reported (prefixed by `who`). */
static int parse(const char *text, const char *who, vf_config_t *out) {
    vf_config_t c;
    memset(&c, 0, sizeof c);
    c.seed = VF_DEFAULT_SEED;
    int bad = 0;
    bool any = false;
    const char *p = text ? text : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        const char *val = eq ? eq + 1 : NULL;
        size_t vlen = eq ? len - nlen - 1 : 0;
        if (len == 0) goto next;
        const opt_t *o = NULL;
        for (size_t i = 0; i < LA_ARRAY_SIZE(options); ++i)
            if (strlen(options[i].name) == nlen && memcmp(options[i].name, p, nlen) == 0) o = &options[i];
        if (!o) {
            la_printf("lookaside: %s: unknown option \"%.*s\" (known: caches, depth0, fill, redzone, "
                      "callsites, fail_nth, fail_share, seed, passthrough, all, off)\n",
                      who, (int)len, p);
            ++bad;
            goto next;
        }
        bool ok = true;
        switch (o->kind) {
        case OPT_FLAG:
        case OPT_OFF:
            ok = val == NULL;
            if (ok && o->kind == OPT_OFF) {
                c.flags = 0;
                c.fail_nth = 0;
                c.fail_share = 0;
                c.caches[0] = '\0';
                any = false;
            } else if (ok) {
                c.flags |= o->flags;
                any = true;
            }
            break;
        case OPT_REDZONE: {
            uint64_t v = LA_VERIFY_REDZONE_DEFAULT;
            if (val) ok = parse_u64(val, vlen, &v) && v >= 1 && v <= LA_VERIFY_REDZONE_MAX;
            if (ok) {
                c.flags |= o->flags;
                c.redzone = (uint32_t)LA_ALIGN_UP(v, (uint64_t)16);
                any = true;
            }
            break;
        }
        case OPT_UINT: {
            uint64_t v;
            ok = val && parse_u64(val, vlen, &v);
            if (ok) {
                memcpy((char *)&c + o->field, &v, sizeof v);
                if (o->field == offsetof(vf_config_t, fail_nth) && v) any = true;
            }
            break;
        }
        case OPT_SHARE:
            ok = val && parse_share(val, vlen, &c.fail_share);
            if (ok && c.fail_share > 0) any = true;
            break;
        case OPT_PATTERN:
            ok = val && vlen > 0 && vlen <= LA_VERIFY_PATTERNS_MAX;
            if (ok) {
                memcpy(c.caches, val, vlen);
                c.caches[vlen] = '\0';
                any = true; /* selected caches get the record checks at least */
            }
            break;
        }
        if (!ok) {
            la_printf("lookaside: %s: bad value in \"%.*s\" (%s)\n", who, (int)len, p, o->help);
            ++bad;
        }
    next:
        if (!end) break;
        p = end + 1;
    }
    if (bad) return EINVAL;
    if (any) c.flags |= VF_ON;
    *out = c;
    return 0;
}

int la_verify_configure(const char *text) {
    vf_config_t c;
    int err = parse(text, "la_verify_configure", &c);
    if (err) return err;
    la_prim_lock_acquire(&cfg_lock);
    cfg = c;
    cfg_settled = true;
    la_prim_lock_release(&cfg_lock);
    return 0;
}

/* The configuration a new cache sees (LA_VERIFY read at the first call). */
static void config_get(vf_config_t *out) {
    la_prim_lock_acquire(&cfg_lock);
    bool settled = cfg_settled;
    la_prim_lock_release(&cfg_lock);
    if (!settled) {
        vf_config_t c;
        const char *env = getenv("LA_VERIFY");
        bool ok = parse(env, "LA_VERIFY", &c) == 0;
        la_prim_lock_acquire(&cfg_lock);
        if (!cfg_settled) {
            if (ok) cfg = c;
            cfg_settled = true;
        }
        la_prim_lock_release(&cfg_lock);
    }
    la_prim_lock_acquire(&cfg_lock);
    *out = cfg;
    la_prim_lock_release(&cfg_lock);
}

/* '*' matches any run, '?' one character; the whole name must match. */
static bool glob(const char *pat, size_t plen, const char *name) {
    size_t p = 0, star = SIZE_MAX;
    const char *n = name, *mark = NULL;
    while (*n) {
        if (p < plen && (pat[p] == '?' || pat[p] == *n)) {
            ++p;
            ++n;
        } else if (p < plen && pat[p] == '*') {
            star = p++;
            mark = n;
        } else if (star != SIZE_MAX) {
            p = star + 1;
            n = ++mark;
        } else {
            return false;
        }
    }
    while (p < plen && pat[p] == '*') ++p;
    return p == plen;
}

static bool selected(const char *pats, const char *name) {
    if (!pats[0]) return true;
    for (const char *p = pats;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (glob(p, len, name)) return true;
        if (!bar) return false;
        p = bar + 1;
    }
}

/* ---- records -------------------------------------------------------------------------------- */

#define VR_NEW 0x4e455721u
#define VR_LIVE 0x4c495645u
#define VR_FREE 0x46524545u
#define VR_KEY ((uintptr_t)0x7e51f1edc0ffee11ull)

typedef struct lai_vrec {
    la_list_entry_t vr_link;   /* in vf_live while LIVE */
    uintptr_t vr_owner;        /* (uintptr_t)cache ^ VR_KEY */
    uint32_t vr_state;         /* VR_NEW / VR_LIVE / VR_FREE, 0 after the backing took it */
    uint32_t vr_check;         /* ~vr_state */
    const char *vr_file;       /* LA_LOOKASIDE_ALLOC's file, or NULL */
    const void *vr_ra;         /* return address of the allocating call */
    uint64_t vr_seq;           /* allocation number in this cache (1, 2, ...) */
    int32_t vr_line;
    uint32_t vr_spare;
} lai_vrec_t;
_Static_assert(sizeof(lai_vrec_t) <= LAI_VERIFY_REC_SIZE, "record fits");

struct lai_verify {
    uint32_t vf_flags;
    uint32_t vf_redzone;
    uint64_t vf_fail_nth;
    uint64_t vf_fail_threshold;   /* fail when hash < this (0: never) */
    bool vf_fail_all;             /* fail_share = 1 */
    uint64_t vf_seed;             /* seed ^ hash(name) */
    _Atomic uint64_t vf_attempts; /* allocations asked for */
    _Atomic uint64_t vf_seq;
    la_prim_lock_t vf_lock;
    la_list_entry_t vf_live;
    size_t vf_nlive;
};

static lai_vrec_t *rec_of(const la_lookaside_t *c, void *b) {
    return (lai_vrec_t *)(void *)((char *)b + c->cc_trailer_off + (LA_CONFIG_CHECKED ? LAI_TRAILER_SIZE : 0));
}

static void rec_set(lai_vrec_t *r, uint32_t state) {
    r->vr_state = state;
    r->vr_check = ~state;
}

static bool rec_is(const lai_vrec_t *r, uint32_t state) { return r->vr_state == state && r->vr_check == ~state; }

static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int lai_verify_new(const char *name, bool has_ctor, lai_verify_t **out) {
    vf_config_t c;
    config_get(&c);
    *out = NULL;
    if (!(c.flags & VF_ON) || !selected(c.caches, name)) return 0;
    lai_verify_t *v = calloc(1, sizeof *v);
    if (!v) return ENOMEM;
    v->vf_flags = c.flags;
    if (has_ctor) v->vf_flags &= ~VF_FILL;
    v->vf_redzone = (c.flags & VF_REDZONE) ? c.redzone : 0;
    v->vf_fail_nth = c.fail_nth;
    v->vf_fail_all = c.fail_share >= 1.0;
    /* share < 1 is at most 1 - 2^-53, so share * 2^64 fits in a uint64_t. */
    v->vf_fail_threshold =
        c.fail_share > 0 && c.fail_share < 1.0 ? (uint64_t)(c.fail_share * 18446744073709551616.0) : 0;
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the name */
    for (const char *p = name; *p; ++p) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    v->vf_seed = c.seed ^ h;
    la_list_init(&v->vf_live);
    *out = v;
    return 0;
}

size_t lai_verify_redzone(const lai_verify_t *v) { return v->vf_redzone; }

void lai_verify_discard(lai_verify_t *v) { free(v); }

/* passthrough backing: the C library sees every block. */
static void *pt_alloc(la_lookaside_t *c, size_t size, size_t align, void *arg) {
    (void)c;
    (void)arg;
    return aligned_alloc(align, LA_ALIGN_UP(size, align));
}

static void pt_free(la_lookaside_t *c, void *block, size_t size, void *arg) {
    (void)c;
    (void)size;
    (void)arg;
    free(block);
}

void lai_verify_attach(la_lookaside_t *c, lai_verify_t *v) {
    c->cc_verify = v;
    if (v->vf_flags & VF_PASSTHROUGH) {
        c->cc_balloc = pt_alloc;
        c->cc_bfree = pt_free;
        c->cc_region = NULL;
    }
}

/* ---- patterns ---------------------------------------------------------------------------------- */

static size_t fill_skip(const la_lookaside_t *c) { return (c->cc_flags & LA_LOOKASIDE_DEPOT_ONLY) ? 16u : 0u; }

static void pattern_fill(void *p, size_t n, uint64_t pat) {
    for (size_t i = 0; i + 8 <= n; i += 8) memcpy((char *)p + i, &pat, 8);
}

/* Offset of the first byte that differs from the pattern, or SIZE_MAX. */
static size_t pattern_find_bad(const void *p, size_t n, uint64_t pat) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, (const char *)p + i, 8);
        if (w != pat) {
            for (size_t k = 0; k < 8; ++k)
                if (((const unsigned char *)&w)[k] != ((const unsigned char *)&pat)[k]) return i + k;
        }
    }
    return SIZE_MAX;
}

/* ---- counting (depth0: every operation a miss, as lookaside_magazine.c counts them) --------- */

static void count_alloc_miss(la_lookaside_t *c) {
    lai_tcache_t *tc = lai_tcache_get(c);
    if (tc) {
        LAI_BUMP(&tc->tc_alloc_misses);
        la_lookaside_count_(&tc->tc_slot->ls_allocs);
    } else {
        atomic_fetch_add_explicit(&c->cc_orph_alloc_misses, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&c->cc_orph_allocs, 1, memory_order_relaxed);
    }
}

static void count_free_miss(la_lookaside_t *c) {
    lai_tcache_t *tc = lai_tcache_get(c);
    if (tc) {
        LAI_BUMP(&tc->tc_free_misses);
        la_lookaside_count_(&tc->tc_slot->ls_frees);
    } else {
        atomic_fetch_add_explicit(&c->cc_orph_free_misses, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&c->cc_orph_frees, 1, memory_order_relaxed);
    }
}

/* ---- the hooks ------------------------------------------------------------------------------------- */

static bool inject(lai_verify_t *v) {
    if (!v->vf_fail_nth && !v->vf_fail_threshold && !v->vf_fail_all) return false;
    uint64_t n = atomic_fetch_add_explicit(&v->vf_attempts, 1, memory_order_relaxed) + 1;
    if (v->vf_fail_nth && n == v->vf_fail_nth) return true;
    if (v->vf_fail_all) return true;
    return v->vf_fail_threshold && mix(v->vf_seed ^ mix(n)) < v->vf_fail_threshold;
}

void lai_verify_fresh(la_lookaside_t *c, void *b) {
    lai_vrec_t *r = rec_of(c, b);
    memset(r, 0, sizeof *r);
    r->vr_owner = (uintptr_t)c ^ VR_KEY;
    rec_set(r, VR_NEW);
}

void lai_verify_forget(la_lookaside_t *c, void *b) {
    lai_vrec_t *r = rec_of(c, b);
    rec_set(r, 0);
    r->vr_check = 0;
}

void *lai_verify_take(la_lookaside_t *c) {
    lai_verify_t *v = c->cc_verify;
    if (inject(v)) {
        atomic_fetch_add_explicit(&c->cc_backing_failures, 1, memory_order_relaxed);
        errno = ENOMEM;
        return NULL;
    }
    void *b;
    if (v->vf_flags & VF_DEPTH0) {
        b = lai_backing_alloc(c);
        if (!b) return NULL;
        count_alloc_miss(c);
    } else {
        b = lai_alloc_slow(c);
        if (!b) return NULL;
    }
    lai_track_defined(b, c->cc_size); /* read it: cached blocks are poisoned */
    lai_vrec_t *r = rec_of(c, b);
    uintptr_t key = (uintptr_t)c ^ VR_KEY;
    if (r->vr_owner == key && rec_is(r, VR_NEW)) return b;
    if (r->vr_owner == key && rec_is(r, VR_FREE)) {
        size_t skip = fill_skip(c);
        size_t bad = (v->vf_flags & VF_FILL)
                         ? pattern_find_bad((char *)b + skip, c->cc_size - skip, LA_VERIFY_FREE_PATTERN)
                         : SIZE_MAX;
        if (bad == SIZE_MAX) return b;
        la_fatal(LA_FATAL_CORRUPT_BLOCK, b, NULL, 0,
                 "lookaside cache \"%s\": block %p was written after it was freed (byte %zu of %zu "
                 "differs from the free pattern)",
                 c->cc_name, b, bad + skip, c->cc_size);
    } else {
        la_fatal(LA_FATAL_CORRUPT_BLOCK, b, NULL, 0,
                 "lookaside cache \"%s\": the verifier record after block %p is overwritten", c->cc_name, b);
    }
    errno = EFAULT; /* dropped: stays counted as outstanding */
    return NULL;
}

void lai_verify_hand_out(la_lookaside_t *c, void *b, const char *file, int line, const void *ra) {
    lai_verify_t *v = c->cc_verify;
    lai_vrec_t *r = rec_of(c, b);
    r->vr_owner = (uintptr_t)c ^ VR_KEY;
    r->vr_file = file;
    r->vr_line = line;
    r->vr_ra = ra;
    r->vr_seq = atomic_fetch_add_explicit(&v->vf_seq, 1, memory_order_relaxed) + 1;
    rec_set(r, VR_LIVE);
    la_prim_lock_acquire(&v->vf_lock);
    la_list_insert_tail(&v->vf_live, &r->vr_link);
    v->vf_nlive++;
    la_prim_lock_release(&v->vf_lock);
    if (v->vf_flags & VF_FILL) pattern_fill(b, c->cc_size, LA_VERIFY_ALLOC_PATTERN);
    lai_track_handed_out(c, b);
    if (v->vf_redzone) {
        char *rz = (char *)b + c->cc_size;
        lai_track_defined(rz, v->vf_redzone);
        pattern_fill(rz, v->vf_redzone, LA_VERIFY_REDZONE_PATTERN);
        lai_track_noaccess(rz, v->vf_redzone); /* ASan / memcheck catch the overflow at once */
    }
}

/* Which verified cache's LIVE or FREE record is this? NULL when none. */
static const char *state_name(const lai_vrec_t *r) {
    return rec_is(r, VR_LIVE) ? "handed out" : rec_is(r, VR_FREE) ? "free" : NULL;
}

void lai_verify_free(la_lookaside_t *c, void *b, const char *file, int line) {
    lai_verify_t *v = c->cc_verify;
    if ((uintptr_t)b & (c->cc_align - 1)) {
        la_fatal(LA_FATAL_BAD_POINTER, b, file, line,
                 "%p is not a block of lookaside cache \"%s\" (blocks are %zu-byte aligned)", b, c->cc_name,
                 c->cc_align);
        return;
    }
    lai_vrec_t *r = rec_of(c, b);
    uintptr_t key = (uintptr_t)c ^ VR_KEY;
    bool fail = true;
    if (r->vr_owner == key && rec_is(r, VR_LIVE))
        fail = false;
    else if (r->vr_owner == key && rec_is(r, VR_FREE))
        la_fatal(LA_FATAL_DOUBLE_FREE, b, file, line, "block %p freed twice to lookaside cache \"%s\"", b,
                 c->cc_name);
    else if (state_name(r))
        la_fatal(LA_FATAL_WRONG_OWNER, b, file, line, "block %p (%s) belongs to lookaside cache %p, not to \"%s\"",
                 b, state_name(r), (void *)(r->vr_owner ^ VR_KEY), c->cc_name);
    else
        la_fatal(LA_FATAL_BAD_POINTER, b, file, line,
                 "%p is not a live block of lookaside cache \"%s\" (never handed out, or freed twice)", b,
                 c->cc_name);
    if (!fail && v->vf_redzone) {
        char *rz = (char *)b + c->cc_size;
        lai_track_defined(rz, v->vf_redzone);
        size_t bad = pattern_find_bad(rz, v->vf_redzone, LA_VERIFY_REDZONE_PATTERN);
        if (bad != SIZE_MAX) {
            fail = true;
            la_fatal(LA_FATAL_CORRUPT_BLOCK, b, file, line,
                     "lookaside cache \"%s\": block %p was written past its end (redzone byte %zu, "
                     "at block + %zu, overwritten)",
                     c->cc_name, b, bad, c->cc_size + bad);
        }
        if (fail) lai_track_noaccess(rz, v->vf_redzone);
    }
    if (fail) {
        /* Abandoned: the checked build's own check already said FREE; undo that. */
        if (LA_CONFIG_CHECKED && lai_trailer(c, b)->tr_owner == ((uintptr_t)c ^ LAI_TRAILER_KEY) &&
            lai_trailer(c, b)->tr_state == LAI_BLOCK_FREE)
            lai_trailer_set(c, b, LAI_BLOCK_LIVE);
        return;
    }
    la_prim_lock_acquire(&v->vf_lock);
    la_list_remove_entry(&r->vr_link);
    v->vf_nlive--;
    la_prim_lock_release(&v->vf_lock);
    rec_set(r, VR_FREE);
    if (v->vf_flags & VF_FILL) {
        size_t skip = fill_skip(c);
        pattern_fill((char *)b + skip, c->cc_size - skip, LA_VERIFY_FREE_PATTERN);
    }
    if (v->vf_flags & VF_DEPTH0) {
        count_free_miss(c);
        lai_backing_free(c, b);
        return;
    }
    lai_track_cached(c, b);
    lai_free_slow(c, b);
}

/* ---- reports -------------------------------------------------------------------------------------- */

typedef struct vf_line {
    const void *block;
    const char *file;
    int line;
    const void *ra;
    uint64_t seq;
} vf_line_t;

static size_t report(const la_lookaside_t *c, const char *why) {
    lai_verify_t *v = c->cc_verify;
    vf_line_t lines[VF_REPORT_LINES];
    size_t n = 0, total;
    la_prim_lock_acquire(&v->vf_lock);
    total = v->vf_nlive;
    la_list_entry_t *e;
    LA_LIST_FOR_EACH(e, &v->vf_live) {
        if (n == VF_REPORT_LINES) break;
        const lai_vrec_t *r = LA_CONTAINER_OF(e, lai_vrec_t, vr_link);
        lines[n].block = (const char *)r - c->cc_trailer_off - (LA_CONFIG_CHECKED ? LAI_TRAILER_SIZE : 0);
        lines[n].file = r->vr_file;
        lines[n].line = r->vr_line;
        lines[n].ra = r->vr_ra;
        lines[n].seq = r->vr_seq;
        ++n;
    }
    la_prim_lock_release(&v->vf_lock);
    if (!total) return 0;
    la_printf("lookaside: verifier: cache \"%s\": %zu block%s %s\n", c->cc_name, total, total == 1 ? "" : "s",
              why);
    for (size_t i = 0; i < n; ++i) {
        if (lines[i].file)
            la_printf("    block %p (allocation #%llu) from %s:%d (return address %p)\n", lines[i].block,
                      (unsigned long long)lines[i].seq, lines[i].file, lines[i].line, lines[i].ra);
        else
            la_printf("    block %p (allocation #%llu) from return address %p\n", lines[i].block,
                      (unsigned long long)lines[i].seq, lines[i].ra);
    }
    if (total > n) la_printf("    ... and %zu more\n", total - n);
    return total;
}

bool la_verify_enabled(const la_lookaside_t *c) { return c && c->cc_magic == LAI_CACHE_MAGIC && c->cc_verify; }

size_t la_verify_report(const la_lookaside_t *c) {
    if (!la_verify_enabled(c)) return 0;
    return report(c, "handed out");
}

void lai_verify_destroy(la_lookaside_t *c) {
    lai_verify_t *v = c->cc_verify;
    if (v->vf_flags & VF_CALLSITES) report(c, "outstanding at destroy (leaked)");
    c->cc_verify = NULL;
    free(v);
}
