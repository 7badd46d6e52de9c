/* platform.c — the public platform snapshot (lookaside/platform.h) over la_prim_caps.
 *
 * What: copies a freshly refreshed la_prim_caps_t into the public, fixed-width
 * la_platform_info_t, and renders it as aligned "name  value" lines.
 *
 * Why a separate public struct: la_prim_caps_t is internal and may grow or change
 * with the platform layer; the public struct is the stable promise, with 64-bit
 * fields so it reads the same from every language binding.
 *
 * Invariants: formatting never allocates (snprintf into the caller's buffer) and
 * always leaves a NUL-terminated string; truncation is reported as ERANGE.
 * Lock order: none here (la_prim_caps_refresh takes prim's leaf lock briefly). */
#include "internal.h"

#include "prim/prim.h"

#include <lookaside/platform.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert(LA_PLATFORM_MAX_HUGE_SIZES >= LA_PRIM_MAX_HUGE_SIZES,
               "the public snapshot must hold every huge size prim reports");

int la_platform_info_get(la_platform_info_t *out) {
    if (!out) return EINVAL;
    const la_prim_caps_t *c = la_prim_caps_refresh();
    la_platform_info_t info;
    memset(&info, 0, sizeof info);
    info.page_size = c->page_size;
    info.huge_count = c->huge_size_count;
    for (unsigned i = 0; i < c->huge_size_count; ++i) {
        info.huge[i].size = c->huge[i].size;
        info.huge[i].total = c->huge[i].total;
        info.huge[i].free = c->huge[i].free;
    }
    info.thp_size = c->thp_size;
    info.thp_enabled = c->thp_enabled;
    info.numa_node_count = c->numa_node_count;
    info.numa_node_mask = c->numa_node_mask;
    info.numa_bind = c->numa_bind;
    info.cas16 = c->cas16;
    info.memlock_limit = c->memlock_limit;
    info.memlock_exempt = c->memlock_exempt;
    info.pagemap_readable = c->pagemap_pfn;
    info.cpu_count = c->cpu_count;
    *out = info;
    return 0;
}

/* ---- formatting ------------------------------------------------------------------- */

typedef struct out_buf {
    char *buf;
    size_t len, used;
    bool truncated;
} out_buf_t;

static void put(out_buf_t *o, const char *fmt, ...) LA_PRINTF(2, 3);

static void put(out_buf_t *o, const char *fmt, ...) {
    if (o->truncated) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->len - o->used) {
        o->truncated = true;
        o->used = o->len - 1; /* vsnprintf wrote as much as fits and the NUL */
        return;
    }
    o->used += (size_t)n;
}

/* "4 KiB", "2 MiB", "1 GiB", "1536 KiB", "100 B". */
static void put_bytes(out_buf_t *o, uint64_t v) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = 0;
    while (u + 1 < LA_ARRAY_SIZE(units) && v >= 1024 && v % 1024 == 0) {
        v /= 1024;
        ++u;
    }
    put(o, "%llu %s", (unsigned long long)v, units[u]);
}

/* Node mask as a kernel-style list: "0", "0-3,6". */
static void put_node_list(out_buf_t *o, uint64_t mask) {
    bool first = true;
    for (unsigned n = 0; n < 64;) {
        if (!(mask >> n & 1)) {
            ++n;
            continue;
        }
        unsigned end = n;
        while (end + 1 < 64 && (mask >> (end + 1) & 1)) ++end;
        put(o, end > n ? "%s%u-%u" : "%s%u", first ? "" : ",", n, end);
        first = false;
        n = end + 1;
    }
}

#define LABEL "%-22s "

int la_platform_info_format(const la_platform_info_t *info, char *buf, size_t len) {
    if (!info || !buf || len == 0) return EINVAL;
    out_buf_t o = {buf, len, 0, false};
    buf[0] = '\0';

    put(&o, LABEL, "page size");
    put_bytes(&o, info->page_size);
    put(&o, "\n");

    if (info->huge_count == 0) put(&o, LABEL "none offered\n", "huge pages");
    for (unsigned i = 0; i < info->huge_count && i < LA_PLATFORM_MAX_HUGE_SIZES; ++i) {
        put(&o, LABEL, i == 0 ? "huge pages" : "");
        put_bytes(&o, info->huge[i].size);
        put(&o, ": %llu free of %llu\n", (unsigned long long)info->huge[i].free,
            (unsigned long long)info->huge[i].total);
    }

    put(&o, LABEL, "transparent huge pages");
    if (info->thp_size == 0) {
        put(&o, "not available\n");
    } else {
        put(&o, "%s, ", info->thp_enabled ? "on" : "off");
        put_bytes(&o, info->thp_size);
        put(&o, "\n");
    }

    put(&o, LABEL "%u (", "NUMA nodes", info->numa_node_count);
    put_node_list(&o, info->numa_node_mask);
    put(&o, "), binding %s\n", info->numa_bind ? "works" : "unavailable");

    put(&o, LABEL "%s\n", "16-byte CAS", info->cas16 ? "lock-free" : "absent (S-list uses its locked mode)");

    put(&o, LABEL, "memlock limit");
    if (info->memlock_limit == UINT64_MAX)
        put(&o, "unlimited");
    else
        put_bytes(&o, info->memlock_limit);
    put(&o, "%s\n", info->memlock_exempt ? " (privileged: not enforced)" : "");

    put(&o, LABEL "%s\n", "physical addresses",
        info->pagemap_readable ? "readable" : "hidden (needs CAP_SYS_ADMIN)");
    put(&o, LABEL "%u\n", "CPUs online", info->cpu_count);
    return o.truncated ? ERANGE : 0;
}

int la_platform_format(char *buf, size_t len) {
    if (!buf || len == 0) return EINVAL;
    la_platform_info_t info;
    int e = la_platform_info_get(&info);
    if (e) {
        buf[0] = '\0';
        return e;
    }
    return la_platform_info_format(&info, buf, len);
}

int la_platform_print(void) {
    char text[2048];
    int e = la_platform_format(text, sizeof text);
    if (e == 0 || e == ERANGE) la_printf("%s", text);
    return e;
}
