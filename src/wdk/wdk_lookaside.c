/* wdk_lookaside.c — ExInitialize*LookasideList*, ExAllocateFrom*, ExFreeTo*,
 * ExFlushLookasideListEx, ExDelete* and the !lookaside view of WDK lists.
 *
 * What: the Windows lookaside lists, whose whole state lives in the caller's
 * GENERAL_LOOKASIDE (NPAGED_/PAGED_LOOKASIDE_LIST) or GENERAL_LOOKASIDE_POOL
 * (LOOKASIDE_LIST_EX) structure, run by the lookaside engine's DEPOT: lai_depot_t is
 * that field block (same offsets, proved in src/lookaside_internal.h), so this
 * layer validates arguments the Windows way, then hands `&list->L` to
 * lai_depot_init / _register / _alloc / _free / _flush / _delete.
 *
 * Why this shape: driver code reads the structure's fields (List.L.TotalAllocates,
 * ExQueryDepthSList(&List.L.ListHead)) and the WDK's inline code fixes how they
 * change, so the structure itself must be the state. The depot does exactly that
 * (TotalAllocates += 1, pop, miss → AllocateMisses += 1 and Allocate; free:
 * TotalFrees += 1, depth >= Depth → FreeMisses += 1 and Free, else push), puts the
 * list in the engine's registry, so the tuner adjusts its Depth and the views
 * (la_lookaside_print_all, la_lookaside_foreach) see it. There is no per-thread tier
 * in front: Windows semantics put the shared S-list on every call (~14 ns per pair
 * here; bench/bench_wdk.c).
 *
 * Invariants:
 *   - Argument checks happen here, before the depot sees the list: 16-byte
 *     alignment (la_fatal LA_FATAL_MISALIGNED), a POOL_TYPE the default allocator
 *     can serve, Flags of the Ex form, Size fitting the ULONG field (sizes under
 *     LOOKASIDE_MINIMUM_BLOCK_SIZE are rounded up), and no second initialisation of
 *     a registered list.
 *   - Future[0] / Future[1] are the depot's dp_kind / dp_state: kind PLAIN or EX
 *     and the REGISTERED bit mean "live"; kind set without the bit means "deleted".
 *     Checked builds test this on every call (one relaxed load each).
 *   - NULL callbacks become ExAllocatePoolWithTag / ExFreePool (the plain lists,
 *     as Windows stores them) or their Ex-shaped wrappers (the Ex list).
 * Lock order: the engine's registry lock, taken only around registry walks here;
 * never held while printing or calling a driver's callback.
 */
#include "internal.h"

#include "lookaside_internal.h"

#include <lookaside/wdk.h>

/* ---- default callbacks of the Ex list ---------------------------------------------------- */

static PVOID NTAPI default_allocate_ex(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                       PLOOKASIDE_LIST_EX Lookaside) {
    (void)Lookaside;
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

static VOID NTAPI default_free_ex(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside) {
    (void)Lookaside;
    (ExFreePool)(Buffer);
}

/* ---- checks --------------------------------------------------------------------------------- */

static bool object_aligned(const void *list, const char *who) {
    if (LA_UNLIKELY(((uintptr_t)list & 15u) != 0)) {
        la_fatal(LA_FATAL_MISALIGNED, list, NULL, 0,
                 "%s: lookaside list object %p is not 16-byte aligned (its SLIST_HEADER needs a "
                 "16-byte compare-exchange)",
                 who, list);
        return false;
    }
    return true;
}

static inline bool wdk_kind(uint32_t kind) {
    return kind == LAI_DEPOT_KIND_PLAIN || kind == LAI_DEPOT_KIND_EX;
}

/* Checked builds: refuse a list that was deleted or never initialised. */
static inline bool alive(lai_depot_t *d, const char *who) {
    if (!LA_CONFIG_CHECKED) return true;
    uint32_t kind = LAI_LOAD(&d->dp_kind);
    uint32_t state = LAI_LOAD(&d->dp_state);
    if (LA_LIKELY(wdk_kind(kind) && (state & LAI_DEPOT_REGISTERED))) return true;
    if (wdk_kind(kind))
        la_fatal(LA_FATAL_USE_AFTER_DESTROY, d, NULL, 0, "%s: lookaside list %p was deleted", who,
                 (void *)d);
    else
        la_fatal(LA_FATAL_BAD_ARGUMENT, d, NULL, 0, "%s: %p is not an initialised lookaside list",
                 who, (void *)d);
    return false;
}

/* The registered WDK depot at `p`, or NULL. Registry lock held. */
static lai_depot_t *find_registered(const void *p) {
    for (la_list_entry_t *e = lai_reg.lists.next; e != &lai_reg.lists; e = e->next) {
        lai_depot_t *d = LA_CONTAINER_OF(e, lai_depot_t, dp_link);
        if ((const void *)d == p && wdk_kind(LAI_LOAD(&d->dp_kind))) return d;
    }
    return NULL;
}

/* A POOL_TYPE the default allocator (ExAllocatePoolWithTag) accepts. */
static bool pool_type_ok(int type) {
    unsigned t, f;
    BOOLEAN r;
    return la_wdk_pool_type_map((POOL_TYPE)type, &t, &f, &r) == 0;
}

/* Everything both initialisers share. `d` is the structure's field block. Returns
 * false (after a report whose handler returned) when the list is left untouched. */
static bool init_depot(lai_depot_t *d, uint32_t kind, int type, SIZE_T size, ULONG tag,
                       bool default_allocator, const char *who) {
    if (!object_aligned(d, who)) return false;
    if (default_allocator && !pool_type_ok(type)) {
        la_fatal(LA_FATAL_BAD_ARGUMENT, d, NULL, 0,
                 "%s: pool type 0x%x is not a POOL_TYPE the pool can serve", who, (unsigned)type);
        return false;
    }
    if (size > 0xFFFFFFFFu) {
        la_fatal(LA_FATAL_BAD_ARGUMENT, d, NULL, 0, "%s: Size %zu does not fit the ULONG field",
                 who, (size_t)size);
        return false;
    }
    if (wdk_kind(LAI_LOAD(&d->dp_kind)) && (LAI_LOAD(&d->dp_state) & LAI_DEPOT_REGISTERED)) {
        lai_registry_lock();
        bool registered = find_registered(d) != NULL;
        lai_registry_unlock();
        if (registered) {
            la_fatal(LA_FATAL_BAD_ARGUMENT, d, NULL, 0,
                     "%s: lookaside list %p is initialised already (delete it first)", who,
                     (void *)d);
            return false;
        }
    }
    if (size < LOOKASIDE_MINIMUM_BLOCK_SIZE) size = LOOKASIDE_MINIMUM_BLOCK_SIZE;
    lai_depot_init(d, kind, (int32_t)type, tag, (uint32_t)size);
    return true;
}

/* ---- NPAGED_LOOKASIDE_LIST / PAGED_LOOKASIDE_LIST --------------------------------------------- */

static void init_plain(GENERAL_LOOKASIDE *L, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
                       int type, SIZE_T Size, ULONG Tag, const char *who) {
    lai_depot_t *d = (lai_depot_t *)(void *)L;
    if (!init_depot(d, LAI_DEPOT_KIND_PLAIN, type, Size, Tag, Allocate == NULL, who)) return;
    L->Allocate = Allocate ? Allocate : ExAllocatePoolWithTag;
    L->Free = Free ? Free : (ExFreePool);
    lai_depot_register(d);
    lai_tuner_autostart();
}

VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                     USHORT Depth) {
    (void)Depth; /* reserved: Windows ignores it too */
    init_plain((GENERAL_LOOKASIDE *)(void *)Lookaside, Allocate, Free, NonPagedPool | (int)Flags, Size, Tag,
               "ExInitializeNPagedLookasideList");
}

VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                    USHORT Depth) {
    (void)Depth;
    init_plain((GENERAL_LOOKASIDE *)(void *)Lookaside, Allocate, Free, PagedPool | (int)Flags, Size, Tag,
               "ExInitializePagedLookasideList");
}

static inline PVOID allocate(void *L, const char *who) {
    lai_depot_t *d = (lai_depot_t *)L;
    if (!alive(d, who)) return NULL;
    return lai_depot_alloc(d);
}

static inline void free_to(void *L, PVOID Entry, const char *who) {
    lai_depot_t *d = (lai_depot_t *)L;
    if (!alive(d, who)) return;
    lai_depot_free(d, Entry);
}

static void delete_list(void *L, const char *who) {
    lai_depot_t *d = (lai_depot_t *)L;
    if (!alive(d, who)) return;
    lai_depot_delete(d);
}

PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) {
    return allocate((void *)Lookaside, "ExAllocateFromNPagedLookasideList");
}

PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) {
    return allocate((void *)Lookaside, "ExAllocateFromPagedLookasideList");
}

VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) {
    free_to((void *)Lookaside, Entry, "ExFreeToNPagedLookasideList");
}

VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) {
    free_to((void *)Lookaside, Entry, "ExFreeToPagedLookasideList");
}

VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) {
    delete_list((void *)Lookaside, "ExDeleteNPagedLookasideList");
}

VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) {
    delete_list((void *)Lookaside, "ExDeletePagedLookasideList");
}

/* ---- LOOKASIDE_LIST_EX ------------------------------------------------------------------------ */

NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
                                     PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags,
                                     SIZE_T Size, ULONG Tag, USHORT Depth) {
    static const char who[] = "ExInitializeLookasideListEx";
    const ULONG both = EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE;
    (void)Depth;
    if (!pool_type_ok((int)PoolType)) return STATUS_INVALID_PARAMETER_4;
    if ((Flags & ~both) || Flags == both) return STATUS_INVALID_PARAMETER_5;
    if (Size > 0xFFFFFFFFu) return STATUS_INVALID_PARAMETER_6;
    int type = (int)PoolType;
    if (Flags & EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL) type |= POOL_RAISE_IF_ALLOCATION_FAILURE;
    if (Flags & EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE) type |= POOL_QUOTA_FAIL_INSTEAD_OF_RAISE;
    /* no member access before the alignment check: a misaligned object is UB in C */
    GENERAL_LOOKASIDE_POOL *L = (GENERAL_LOOKASIDE_POOL *)(void *)Lookaside;
    lai_depot_t *d = (lai_depot_t *)(void *)Lookaside;
    if (!object_aligned(Lookaside, who)) return STATUS_DATATYPE_MISALIGNMENT;
    if (!init_depot(d, LAI_DEPOT_KIND_EX, type, Size, Tag, false, who)) return STATUS_INVALID_PARAMETER;
    L->AllocateEx = Allocate ? Allocate : default_allocate_ex;
    L->FreeEx = Free ? Free : default_free_ex;
    lai_depot_register(d);
    lai_tuner_autostart();
    return STATUS_SUCCESS;
}

PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) {
    return allocate((void *)Lookaside, "ExAllocateFromLookasideListEx");
}

VOID ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry) {
    free_to((void *)Lookaside, Entry, "ExFreeToLookasideListEx");
}

VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) {
    lai_depot_t *d = (lai_depot_t *)(void *)Lookaside;
    if (!alive(d, "ExFlushLookasideListEx")) return;
    (void)lai_depot_flush(d);
}

VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) {
    delete_list((void *)Lookaside, "ExDeleteLookasideListEx");
}

/* ---- views and the debugger's options ----------------------------------------------------------- */

VOID la_wdk_lookaside_print(const void *Lookaside) {
    la_lookaside_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    lai_registry_lock();
    lai_depot_t *d = find_registered(Lookaside);
    if (d) lai_stats_fill(d, &s);
    lai_registry_unlock();
    if (d)
        la_lookaside_stats_print(&s);
    else
        la_printf("Lookaside @ %p: not a registered lookaside list\n", Lookaside);
}

typedef struct wdk_visit {
    bool print;
    ULONG count;
} wdk_visit_t;

static void visit_wdk(const la_lookaside_stats_t *s, void *arg) {
    wdk_visit_t *v = arg;
    if (s->kind != LA_LOOKASIDE_KIND_WDK) return;
    v->count++;
    if (v->print) la_lookaside_stats_print(s);
}

ULONG la_wdk_lookaside_print_all(void) {
    wdk_visit_t v = {true, 0};
    la_lookaside_foreach(visit_wdk, &v);
    return v.count;
}

ULONG la_wdk_lookaside_count(void) {
    wdk_visit_t v = {false, 0};
    la_lookaside_foreach(visit_wdk, &v);
    return v.count;
}

VOID la_wdk_lookaside_reset_counters(void *Lookaside) {
    lai_registry_lock();
    lai_depot_t *d = find_registered(Lookaside);
    if (d) {
        LAI_STORE(&d->dp_total_allocs, 0u);
        LAI_STORE(&d->dp_alloc_misses, 0u);
        LAI_STORE(&d->dp_total_frees, 0u);
        LAI_STORE(&d->dp_free_misses, 0u);
        LAI_STORE(&d->dp_last_total_allocs, 0u);
        LAI_STORE(&d->dp_last_alloc_misses, 0u);
    }
    lai_registry_unlock();
}

VOID la_wdk_lookaside_set_depth(void *Lookaside, USHORT Depth) {
    lai_registry_lock();
    lai_depot_t *d = find_registered(Lookaside);
    if (d) {
        uint16_t max = LAI_LOAD(&d->dp_max_depth);
        uint16_t v = Depth < 1 ? 1 : Depth > max ? max : Depth;
        LAI_STORE(&d->dp_depth, v);
    }
    lai_registry_unlock();
}

VOID ExAdjustLookasideDepth(VOID) { (void)la_lookaside_tune_now(); }
