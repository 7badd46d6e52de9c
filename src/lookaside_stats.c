/* lookaside_stats.c — what a lookaside list reports: snapshots, JSON, the
 * !lookaside view, and a visit of every registered list.
 *
 * 1. Where the numbers come from
 *    Native caches: each thread counts its own operations (slot allocs / frees,
 *    record misses); a snapshot sums them with the cache's retired and orphan
 *    counters under the registry lock (lai_cache_counts), so it is exact whenever
 *    no thread is inside an operation, and a recent value otherwise. What is held
 *    follows from the counts, because blocks enter a cache only through
 *    allocation misses:
 *        outstanding = TotalAllocates - TotalFrees
 *        cached      = AllocateMisses - FreeMisses - released - outstanding
 *        depot       = the store's rounds (or the S-list depth, DEPOT_ONLY)
 *        magazines   = cached - depot
 *    (raw counts; la_lookaside_reset_counters only moves the baseline subtracted
 *    from the four reported counters). WDK lists: the Windows fields as they are.
 *
 * 2. The !lookaside view
 *    The layout of the debugger extension (windows-semantics.md §1.4): Type as
 *    four hex digits and decoded names, Current Depth (blocks in the depot), Max
 *    Depth (= Depth, the current limit), Size, Max Alloc (= Max Depth x Size), the
 *    four counters, and the allocate and free hit rates as truncated integer
 *    percent — (total - misses) * 100 / total, 0% for a zero total (our choice; the
 *    documentation shows no such case). Native caches add one line for the
 *    magazine tier.
 *
 * 3. Versioned snapshot: the caller sets `size`; the library fills a complete
 *    struct and copies min(size, sizeof) bytes, then restores `size` and writes
 *    `version`. Fields are only ever appended.
 *
 * Lock order: registry lock -> cc_lock (lai_depot_blocks reads an atomic, no lock).
 * Output (la_printf) and visitor callbacks run with no lock held.
 */
#include "lookaside_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t sub0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

void lai_stats_fill(lai_depot_t *d, la_lookaside_stats_t *s) {
    memset(s, 0, sizeof *s);
    s->size = sizeof *s;
    s->version = LA_LOOKASIDE_STATS_VERSION;
    s->depth = LAI_LOAD(&d->dp_depth);
    s->max_depth = LAI_LOAD(&d->dp_max_depth);
    s->tag = d->dp_tag;
    s->pool_type = (uint32_t)d->dp_type;
    if (d->dp_kind != LAI_DEPOT_KIND_NATIVE) {
        s->address = d;
        s->kind = LA_LOOKASIDE_KIND_WDK;
        s->block_size = d->dp_size;
        s->total_allocates = LAI_LOAD(&d->dp_total_allocs);
        s->allocate_misses = LAI_LOAD(&d->dp_alloc_misses);
        s->total_frees = LAI_LOAD(&d->dp_total_frees);
        s->free_misses = LAI_LOAD(&d->dp_free_misses);
        s->cached = s->cached_depot = la_sslist_depth(&d->dp_list);
        s->outstanding = sub0(s->total_allocates, s->total_frees);
        s->bytes_cached = s->cached * s->block_size;
        return;
    }
    la_lookaside_t *c = lai_cache_of(d);
    lai_counts_t n;
    lai_cache_counts(c, &n);
    s->address = c;
    memcpy(s->name, c->cc_name, sizeof s->name);
    s->kind = LA_LOOKASIDE_KIND_NATIVE;
    s->pool_type = c->cc_pool_type;
    s->flags = c->cc_flags | (c->cc_region ? LA_LOOKASIDE_REGION_BACKED : 0u);
    s->block_size = c->cc_size;
    s->total_allocates = sub0(n.allocs, c->cc_baseline.allocs);
    s->allocate_misses = sub0(n.alloc_misses, c->cc_baseline.alloc_misses);
    s->total_frees = sub0(n.frees, c->cc_baseline.frees);
    s->free_misses = sub0(n.free_misses, c->cc_baseline.free_misses);
    s->released = atomic_load_explicit(&c->cc_released, memory_order_relaxed);
    s->outstanding = sub0(n.allocs, n.frees);
    s->cached = sub0(sub0(sub0(n.alloc_misses, n.free_misses), s->released), s->outstanding);
    s->cached_depot = lai_depot_blocks(c);
    if (s->cached_depot > s->cached) s->cached_depot = s->cached; /* a moving target */
    s->cached_magazines = s->cached - s->cached_depot;
    s->bytes_cached = s->cached * s->block_size;
    s->tuner_grows = atomic_load_explicit(&c->cc_tune_grows, memory_order_relaxed);
    s->tuner_shrinks = atomic_load_explicit(&c->cc_tune_shrinks, memory_order_relaxed);
    s->tuner_trimmed = atomic_load_explicit(&c->cc_tune_trimmed, memory_order_relaxed);
    s->threads = c->cc_threads;
    la_list_entry_t *e;
    LA_LIST_FOR_EACH(e, &c->cc_tcaches) {
        uint32_t cap = LAI_LOAD(&LA_CONTAINER_OF(e, lai_tcache_t, tc_clink)->tc_cap);
        if (cap > s->magazine_max) s->magazine_max = cap;
    }
}

static void copy_out(la_lookaside_stats_t *out, const la_lookaside_stats_t *full) {
    uint32_t size = out->size;
    memcpy(out, full, size < sizeof *full ? size : sizeof *full);
    out->size = size;
    out->version = LA_LOOKASIDE_STATS_VERSION;
}

int la_lookaside_query(const la_lookaside_t *cache, la_lookaside_stats_t *out) {
    if (!cache || !out || out->size < offsetof(la_lookaside_stats_t, address)) return EINVAL;
    la_lookaside_t *c = (la_lookaside_t *)cache;
    if (LA_CONFIG_CHECKED && !lai_check_cache(c, NULL, 0)) return EINVAL;
    la_lookaside_stats_t full;
    lai_registry_lock();
    lai_stats_fill(&c->cc_depot, &full);
    lai_registry_unlock();
    copy_out(out, &full);
    return 0;
}

size_t la_lookaside_foreach(la_lookaside_visit_fn *fn, void *arg) {
    if (!fn) return 0;
    lai_registry_lock();
    size_t n = lai_reg.nlists, i = 0;
    la_lookaside_stats_t *all = n ? malloc(n * sizeof *all) : NULL;
    if (all) {
        la_list_entry_t *e;
        LA_LIST_FOR_EACH(e, &lai_reg.lists) {
            if (i == n) break;
            lai_stats_fill(LA_CONTAINER_OF(e, lai_depot_t, dp_link), &all[i++]);
        }
    }
    lai_registry_unlock();
    for (size_t k = 0; k < i; ++k) fn(&all[k], arg);
    free(all);
    return i;
}

/* ---- type names ------------------------------------------------------------------------------ */

/* Append " word" (no space before the first), truncating at cap - 1 bytes. */
static void add_word(char *buf, size_t cap, size_t *len, const char *w) {
    size_t i = *len;
    if (i && i + 1 < cap) buf[i++] = ' ';
    while (*w && i + 1 < cap) buf[i++] = *w++;
    buf[i] = '\0';
    *len = i;
}

const char *la_lookaside_type_name(uint32_t kind, uint32_t type, uint32_t flags, char *buf, size_t cap) {
    if (!buf || !cap) return buf;
    buf[0] = '\0';
    size_t len = 0;
    if (kind == LA_LOOKASIDE_KIND_WDK) {
        static const char *const base[8] = {"NonPagedPool", "PagedPool", "NonPagedPoolMustSucceed",
                                            "DontUseThisType", "NonPagedPoolCacheAligned",
                                            "PagedPoolCacheAligned", "NonPagedPoolCacheAlignedMustS",
                                            "MaxPoolType"};
        add_word(buf, cap, &len, base[type & 7u]);
        if (type & 0x8u) add_word(buf, cap, &len, "QuotaFailInsteadOfRaise");
        if (type & 0x10u) add_word(buf, cap, &len, "RaiseIfAllocationFailure");
        if (type & 0x20u) add_word(buf, cap, &len, "Session");
        if (type & 0x100u) add_word(buf, cap, &len, "ColdAllocation");
        if (type & 0x200u) add_word(buf, cap, &len, "Nx");
        return buf;
    }
    add_word(buf, cap, &len, (type & LA_POOL_LOCKED) ? "NonPagedPool" : "PagedPool");
    if (type & LA_POOL_CACHE_ALIGNED) add_word(buf, cap, &len, "CacheAligned");
    if (type & LA_POOL_EXECUTE) add_word(buf, cap, &len, "Execute");
    if (flags & LA_LOOKASIDE_RAISE_ON_FAIL) add_word(buf, cap, &len, "RaiseIfAllocationFailure");
    if (flags & LA_LOOKASIDE_DEPOT_ONLY) add_word(buf, cap, &len, "DepotOnly");
    if (flags & LA_LOOKASIDE_REGION_BACKED) add_word(buf, cap, &len, "Region");
    return buf;
}

/* ---- the !lookaside view ----------------------------------------------------------------------- */

static unsigned hit_rate(uint64_t total, uint64_t misses) {
    if (total == 0 || misses > total) return 0;
    return (unsigned)((total - misses) * 100u / total);
}

void la_lookaside_stats_print(const la_lookaside_stats_t *s) {
    if (!s) return;
    char tag[5], type[160];
    la_tag_format(s->tag, tag);
    la_lookaside_type_name(s->kind, s->pool_type, s->flags, type, sizeof type);
    la_printf("Lookaside \"%s\" @ %p \"%s\"\n"
              "    Type           =       %04" PRIx32 " %s\n"
              "    Current Depth  = %10" PRIu64 "   Max Depth  = %10" PRIu32 "\n"
              "    Size           = %10" PRIu64 "   Max Alloc  = %10" PRIu64 "\n"
              "    AllocateMisses = %10" PRIu64 "   FreeMisses = %10" PRIu64 "\n"
              "    TotalAllocates = %10" PRIu64 "   TotalFrees = %10" PRIu64 "\n"
              "    Hit Rate       = %9u%%   Hit Rate   = %9u%%\n",
              s->name, s->address, tag, s->pool_type, type, s->cached_depot, s->depth, s->block_size,
              (uint64_t)s->depth * s->block_size, s->allocate_misses, s->free_misses, s->total_allocates,
              s->total_frees, hit_rate(s->total_allocates, s->allocate_misses),
              hit_rate(s->total_frees, s->free_misses));
    if (s->kind == LA_LOOKASIDE_KIND_NATIVE)
        la_printf("    Magazines      = %10" PRIu64 "   Threads    = %10" PRIu32 "   (largest %" PRIu32
                  ", outstanding %" PRIu64 ", released %" PRIu64 ")\n",
                  s->cached_magazines, s->threads, s->magazine_max, s->outstanding, s->released);
}

void la_lookaside_print(const la_lookaside_t *cache) {
    la_lookaside_stats_t s = {.size = sizeof s};
    if (la_lookaside_query(cache, &s) == 0) la_lookaside_stats_print(&s);
}

static void print_one(const la_lookaside_stats_t *s, void *arg) {
    (void)arg;
    la_lookaside_stats_print(s);
    la_printf("\n");
}

size_t la_lookaside_print_all(void) { return la_lookaside_foreach(print_one, NULL); }

/* ---- JSON ------------------------------------------------------------------------------------------ */

/* The name as a JSON string body (quotes, backslashes and control bytes escaped). */
static void json_escape(const char *in, char *out, size_t cap) {
    size_t o = 0;
    for (; *in && o + 7 < cap; ++in) {
        unsigned char ch = (unsigned char)*in;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
}

size_t la_lookaside_stats_json(const la_lookaside_stats_t *s, char *buf, size_t cap) {
    if (!s) return 0;
    char name[LA_LOOKASIDE_NAME_MAX * 6 + 8], tag[5], tagesc[32], type[160];
    json_escape(s->name, name, sizeof name);
    json_escape(la_tag_format(s->tag, tag), tagesc, sizeof tagesc);
    la_lookaside_type_name(s->kind, s->pool_type, s->flags, type, sizeof type);
    int n = snprintf(buf, cap,
                     "{\"name\":\"%s\",\"address\":\"%p\",\"kind\":\"%s\",\"tag\":\"%s\","
                     "\"type\":%" PRIu32 ",\"type_name\":\"%s\",\"flags\":%" PRIu32 ","
                     "\"size\":%" PRIu64 ",\"depth\":%" PRIu32 ",\"max_depth\":%" PRIu32 ","
                     "\"total_allocates\":%" PRIu64 ",\"allocate_misses\":%" PRIu64 ","
                     "\"total_frees\":%" PRIu64 ",\"free_misses\":%" PRIu64 ","
                     "\"allocate_hit_rate\":%u,\"free_hit_rate\":%u,"
                     "\"cached\":%" PRIu64 ",\"cached_depot\":%" PRIu64 ",\"cached_magazines\":%" PRIu64 ","
                     "\"outstanding\":%" PRIu64 ",\"bytes_cached\":%" PRIu64 ",\"released\":%" PRIu64 ","
                     "\"tuner_grows\":%" PRIu64 ",\"tuner_shrinks\":%" PRIu64 ",\"tuner_trimmed\":%" PRIu64 ","
                     "\"threads\":%" PRIu32 ",\"magazine_max\":%" PRIu32 "}",
                     name, s->address, s->kind == LA_LOOKASIDE_KIND_WDK ? "wdk" : "native", tagesc,
                     s->pool_type, type, s->flags, s->block_size, s->depth, s->max_depth,
                     s->total_allocates, s->allocate_misses, s->total_frees, s->free_misses,
                     hit_rate(s->total_allocates, s->allocate_misses), hit_rate(s->total_frees, s->free_misses),
                     s->cached, s->cached_depot, s->cached_magazines, s->outstanding, s->bytes_cached,
                     s->released, s->tuner_grows, s->tuner_shrinks, s->tuner_trimmed, s->threads,
                     s->magazine_max);
    return n > 0 ? (size_t)n : 0;
}

typedef struct json_state {
    size_t count;
} json_state_t;

static void json_one(const la_lookaside_stats_t *s, void *arg) {
    json_state_t *st = arg;
    char small[1024];
    size_t need = la_lookaside_stats_json(s, small, sizeof small);
    const char *sep = st->count++ ? ",\n  " : "  ";
    if (need < sizeof small) {
        la_printf("%s%s", sep, small);
        return;
    }
    char *big = malloc(need + 1);
    if (!big) return;
    la_lookaside_stats_json(s, big, need + 1);
    la_printf("%s%s", sep, big);
    free(big);
}

size_t la_lookaside_json_print_all(void) {
    json_state_t st = {0};
    la_printf("[\n");
    la_lookaside_foreach(json_one, &st);
    la_printf("%s]\n", st.count ? "\n" : "");
    return st.count;
}
