/* ExAllocatePool*, ExAllocatePool2, ExFreePool*, raise emulation, NTSTATUS mapping
 * and the !poolused view, driver style against <lookaside/wdk.h>. The
 * ExAllocatePool2 table re-expresses the flag rules of the docs and of the LiberNT
 * ExPool2 kmtest (exactly one pool kind, unknown required bits fail, optional bits
 * ignored, tag 0 fails, zero-fill unless UNINITIALIZED). */
#include "test_support.h"

#include <lookaside/wdk.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define HUGE_REQUEST (((SIZE_T)1) << 62)

/* ---- raise capture ------------------------------------------------------------------------ */

static int raises;
static NTSTATUS last_raise;
static void count_raise(NTSTATUS status, void *arg) {
    (void)arg;
    raises++;
    last_raise = status;
}
static void raise_begin(void) {
    raises = 0;
    last_raise = STATUS_SUCCESS;
    la_wdk_raise_handler_set(count_raise, NULL);
}
static void raise_end(void) { la_wdk_raise_handler_set(NULL, NULL); }

/* ---- basics ---------------------------------------------------------------------------------- */

static void t_allocate_with_tag_alignment_and_block_size(void **state) {
    (void)state;
    static const POOL_TYPE types[] = {NonPagedPool, PagedPool, NonPagedPoolNx,
                                      NonPagedPoolSession, PagedPoolSession};
    for (size_t i = 0; i < ARRAYSIZE(types); i++) {
        PUCHAR small = ExAllocatePoolWithTag(types[i], 100, 'tseT');
        assert_non_null(small);
        assert_int_equal((ULONG_PTR)small % MEMORY_ALLOCATION_ALIGNMENT, 0);
        BOOLEAN quota = TRUE;
        assert_true(ExQueryPoolBlockSize(small, &quota) >= 100);
        assert_false(quota);
        memset(small, 0x5A, 100);
        PUCHAR big = ExAllocatePoolWithTag(types[i], PAGE_SIZE + 1, 'tseT');
        assert_non_null(big);
        assert_int_equal((ULONG_PTR)big % PAGE_SIZE, 0);
        assert_true(ExQueryPoolBlockSize(big, NULL) >= 2 * PAGE_SIZE);
        ExFreePoolWithTag(small, 'tseT');
        ExFreePool(big);
    }
}

static void t_cache_aligned_types_give_64_byte_alignment(void **state) {
    (void)state;
    static const POOL_TYPE types[] = {NonPagedPoolCacheAligned, PagedPoolCacheAligned,
                                      NonPagedPoolNxCacheAligned};
    for (size_t i = 0; i < ARRAYSIZE(types); i++)
        for (int n = 0; n < 8; n++) {
            PVOID p = ExAllocatePoolWithTag(types[i], 24 + (SIZE_T)n, 'nilA');
            assert_non_null(p);
            assert_int_equal((ULONG_PTR)p % SYSTEM_CACHE_ALIGNMENT_SIZE, 0);
            ExFreePool(p);
        }
}

static void t_zero_and_uninitialized_forms(void **state) {
    (void)state;
    for (int round = 0; round < 4; round++) {
        PUCHAR dirty = ExAllocatePoolUninitialized(PagedPool, 200, 'oreZ');
        assert_non_null(dirty);
        memset(dirty, 0xAA, 200);
        ExFreePool(dirty);
        PUCHAR z = ExAllocatePoolZero(PagedPool, 200, 'oreZ'); /* likely the same block */
        assert_non_null(z);
        for (int i = 0; i < 200; i++) assert_int_equal(z[i], 0);
        memset(z, 0xAA, 200);
        ExFreePool(z);
        PUCHAR z2 = ExAllocatePoolWithTag(PagedPool | POOL_ZERO_ALLOCATION, 200, 'oreZ');
        for (int i = 0; i < 200; i++) assert_int_equal(z2[i], 0);
        ExFreePool(z2);
    }
}

static void t_zero_bytes_gives_unique_pointers(void **state) {
    (void)state;
    PVOID a = ExAllocatePoolWithTag(PagedPool, 0, 'oreZ');
    PVOID b = ExAllocatePool2(POOL_FLAG_PAGED, 0, 'oreZ');
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    ExFreePool(a);
    ExFreePool(b);
}

/* The !poolused row of `tag` (as displayed), copied into row; false if absent. */
static bool poolused_row(const char *shown, char *row, size_t cap) {
    la_test_capture_begin();
    la_wdk_poolused_print(0, shown);
    const char *out = la_test_capture_end();
    char key[8];
    snprintf(key, sizeof key, "\n %s ", shown);
    const char *p = strstr(out, key);
    if (!p) return false;
    p++;
    size_t n = strcspn(p, "\n");
    if (n >= cap) n = cap - 1;
    memcpy(row, p, n);
    row[n] = '\0';
    return true;
}

static void t_tags_none_protected_and_display_order(void **state) {
    (void)state;
    char row[128];
    PVOID a = ExAllocatePool(NonPagedPool, 40);          /* tag "None" */
    PVOID b = ExAllocatePoolWithTag(PagedPool, 40, 0);   /* tag 0: charged to "None" */
    PVOID c = ExAllocatePoolWithTag(PagedPool, 40, 'derF' | PROTECTED_POOL);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(poolused_row("None", row, sizeof row));
    unsigned long long np, npb, p, pb;
    assert_int_equal(sscanf(row, " None %llu %llu %llu %llu", &np, &npb, &p, &pb), 4);
    assert_true(np >= 1 && p >= 1);
    /* 'derF' is shown lowest byte first: "Fred" */
    assert_true(poolused_row("Fred", row, sizeof row));
    assert_int_equal(sscanf(row, " Fred %llu %llu %llu %llu", &np, &npb, &p, &pb), 4);
    assert_int_equal(np, 0);
    assert_int_equal(p, 1);
    assert_true(pb >= 40);
    ExFreePoolWithTag(c, 'derF' | PROTECTED_POOL); /* the protected bit is accepted */
    ExFreePoolWithTag(a, 'enoN');
    ExFreePool(b);
    assert_true(poolused_row("Fred", row, sizeof row));
    assert_int_equal(sscanf(row, " Fred %llu %llu %llu %llu", &np, &npb, &p, &pb), 4);
    assert_int_equal(p, 0);
    assert_int_equal(pb, 0);
}

static void t_three_letter_tags_are_shown_with_a_space(void **state) {
    (void)state;
    char row[128];
    PVOID p = ExAllocatePoolWithTag(PagedPool, 24, 'geT'); /* bytes T e g \0 */
    assert_non_null(p);
    assert_true(poolused_row("Teg ", row, sizeof row));
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    ExFreePoolWithTag(p, 'geT'); /* the same normalisation: no mismatch */
    assert_int_equal(la_test_fatal_trap_end(), 0);
    assert_string_equal(la_test_capture_end(), "");
}

static void t_unprintable_tag_fails(void **state) {
    (void)state;
    errno = 0;
    assert_null(ExAllocatePoolWithTag(PagedPool, 16, 0x01020304));
    assert_int_equal(errno, EINVAL);
}

/* ---- ExAllocatePool2 -------------------------------------------------------------------------- */

typedef struct {
    POOL_FLAGS flags;
    bool ok;
    const char *note; /* text the rejection message must contain, or NULL */
} FLAG_CASE;

static const FLAG_CASE flag_table[] = {
    {POOL_FLAG_NON_PAGED, true, NULL},
    {POOL_FLAG_PAGED, true, NULL},
    {POOL_FLAG_NON_PAGED_EXECUTE, true, NULL},
    {POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED, true, NULL},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, true, NULL},
    {POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, true, NULL},
    {POOL_FLAG_PAGED | POOL_FLAG_SESSION, true, NULL},
    {POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, true, NULL},
    {POOL_FLAG_PAGED | POOL_FLAG_SPECIAL_POOL, true, NULL},             /* optional: ignored */
    {POOL_FLAG_NON_PAGED | POOL_FLAG_OPTIONAL_END, true, NULL},         /* unknown optional */
    {0, false, "POOL_TYPE NonPagedPool"},                               /* NonPagedPool as flags */
    {POOL_FLAG_USE_QUOTA, false, "POOL_TYPE PagedPool"},                /* PagedPool as flags */
    {POOL_FLAG_RESERVED2, false, "POOL_TYPE NonPagedPoolNx"},           /* NonPagedPoolNx (512) */
    {POOL_FLAG_USE_QUOTA | POOL_FLAG_SESSION, false, "PagedPoolCacheAligned"}, /* 5 */
    {POOL_FLAG_CACHE_ALIGNED | POOL_FLAG_UNINITIALIZED, false, "no pool kind"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, false, "more than one pool kind"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE, false, "more than one pool kind"},
    {POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED, false, "more than one"},
    {POOL_FLAG_PAGED | POOL_FLAG_RESERVED1, false, "unknown or reserved"},
    {POOL_FLAG_PAGED | POOL_FLAG_RESERVED3, false, "unknown or reserved"},
    {POOL_FLAG_PAGED | 0x800, false, "unknown or reserved"},
    {POOL_FLAG_PAGED | POOL_FLAG_REQUIRED_END, false, "unknown or reserved"},
};

static void t_pool2_flag_table(void **state) {
    (void)state;
    for (size_t i = 0; i < ARRAYSIZE(flag_table); i++) {
        const FLAG_CASE *c = &flag_table[i];
        la_test_capture_begin();
        errno = 0;
        PUCHAR p = ExAllocatePool2(c->flags, 64, 'lbaT');
        const char *out = la_test_capture_end();
        if (c->ok) {
            if (!p) print_error("case %zu (flags 0x%llx) failed: errno %d\n", i,
                                (unsigned long long)c->flags, errno);
            assert_non_null(p);
            assert_string_equal(out, "");
            if (c->flags & POOL_FLAG_CACHE_ALIGNED) assert_int_equal((ULONG_PTR)p % 64, 0);
            if (!(c->flags & POOL_FLAG_UNINITIALIZED))
                for (int k = 0; k < 64; k++) assert_int_equal(p[k], 0);
            ExFreePoolWithTag(p, 'lbaT');
        } else {
            if (p) print_error("case %zu (flags 0x%llx) succeeded\n", i, (unsigned long long)c->flags);
            assert_null(p);
            assert_int_equal(errno, EINVAL);
            assert_non_null(strstr(out, "ExAllocatePool2: invalid Flags"));
            if (c->note && !strstr(out, c->note)) print_error("case %zu said: %s\n", i, out);
            if (c->note) assert_non_null(strstr(out, c->note));
        }
    }
}

static void t_pool2_zero_fills_reused_blocks(void **state) {
    (void)state;
    for (int round = 0; round < 16; round++) {
        PUCHAR p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 300, 'oreZ');
        assert_non_null(p);
        memset(p, 0xEE, 300);
        ExFreePool(p);
        PUCHAR q = ExAllocatePool2(POOL_FLAG_NON_PAGED, 300, 'oreZ');
        assert_non_null(q);
        for (int k = 0; k < 300; k++) assert_int_equal(q[k], 0);
        memset(q, 0xEE, 300);
        ExFreePool(q);
    }
}

static void t_pool2_tag_zero_fails_or_raises(void **state) {
    (void)state;
    la_test_capture_begin();
    raise_begin();
    assert_null(ExAllocatePool2(POOL_FLAG_PAGED, 16, 0));
    assert_int_equal(raises, 0);
    assert_null(ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, 0));
    assert_int_equal(raises, 1);
    assert_int_equal(last_raise, STATUS_INVALID_PARAMETER);
    assert_null(ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, 'gaT'));
    assert_int_equal(raises, 2);
    assert_int_equal(last_raise, STATUS_INVALID_PARAMETER);
    raise_end();
    assert_non_null(strstr(la_test_capture_end(), "tag 0"));
}

static void t_failures_return_null_or_raise_insufficient_resources(void **state) {
    (void)state;
    raise_begin();
    errno = 0;
    assert_null(ExAllocatePool2(POOL_FLAG_PAGED, HUGE_REQUEST, 'eguH'));
    assert_int_equal(errno, ENOMEM);
    assert_null(ExAllocatePoolWithTag(PagedPool, HUGE_REQUEST, 'eguH'));
    assert_int_equal(raises, 0);
    assert_null(ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, HUGE_REQUEST, 'eguH'));
    assert_int_equal(raises, 1);
    assert_int_equal(last_raise, STATUS_INSUFFICIENT_RESOURCES);
    assert_null(ExAllocatePoolWithTag(PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE, HUGE_REQUEST, 'eguH'));
    assert_int_equal(raises, 2);
    assert_int_equal(last_raise, STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(errno, ENOMEM); /* kept across the handler */
    /* must-succeed pool raises rather than returning NULL */
    assert_null(ExAllocatePoolWithTag(NonPagedPoolMustSucceed, HUGE_REQUEST, 'eguH'));
    assert_int_equal(raises, 3);
    /* quota forms raise by default, return NULL with QUOTA_FAIL_INSTEAD_OF_RAISE */
    assert_null(ExAllocatePoolWithQuotaTag(PagedPool, HUGE_REQUEST, 'eguH'));
    assert_int_equal(raises, 4);
    assert_null(ExAllocatePoolWithQuotaTag(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, HUGE_REQUEST, 'eguH'));
    assert_int_equal(raises, 4);
    PVOID q = ExAllocatePoolWithQuotaTag(PagedPool, 32, 'atoQ');
    assert_non_null(q);
    ExFreePool(q);
    raise_end();
}

static void raise_unhandled(void *arg) {
    (void)arg;
    (void)ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, HUGE_REQUEST, 'eguH');
}

static void t_default_raise_reports_and_aborts(void **state) {
    (void)state;
    const char *expect[] = {"FATAL RAISE", "STATUS_INSUFFICIENT_RESOURCES", "0xC000009A", NULL};
    assert_true(la_test_dies_with(raise_unhandled, NULL, expect));
    /* with a returning fatal handler, ExRaiseStatus returns */
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    ExRaiseStatus(STATUS_ACCESS_VIOLATION);
    assert_int_equal(la_test_fatal_trap_end(), 1);
    la_test_capture_end();
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_RAISE);
    assert_non_null(strstr(la_test_fatal_last_message(), "STATUS_ACCESS_VIOLATION"));
}

static void t_bad_pool_type_is_reported(void **state) {
    (void)state;
    static const int bad[] = {DontUseThisType, MaxPoolType, 8 | 7, 0x10000, DontUseThisTypeSession};
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    for (size_t i = 0; i < ARRAYSIZE(bad); i++) {
        errno = 0;
        assert_null(ExAllocatePoolWithTag((POOL_TYPE)bad[i], 16, 'daB'));
        assert_int_equal(errno, EINVAL);
        assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_ARGUMENT);
    }
    assert_int_equal(la_test_fatal_trap_end(), (int)ARRAYSIZE(bad));
    la_test_capture_end();
}

/* ---- frees -------------------------------------------------------------------------------------- */

static void t_bad_and_double_free_are_reported_at_the_caller(void **state) {
    (void)state;
    static ULONG64 not_pool[4];
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    int line = __LINE__ + 1;
    ExFreePool(&not_pool[2]);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_BAD_POINTER);
    assert_string_equal(la_test_fatal_last_file(), __FILE__);
    assert_int_equal(la_test_fatal_last_line(), line);
    PVOID p = ExAllocatePoolWithTag(PagedPool, 48, 'elbD');
    ExFreePoolWithTag(p, 'elbD');
    ExFreePoolWithTag(p, 'elbD');
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_DOUBLE_FREE);
    assert_int_equal(la_test_fatal_trap_end(), 2);
    la_test_capture_end();
    ExFreePool(NULL); /* ignored */
}

static void t_wrong_tag_is_counted_not_fatal_unless_strict(void **state) {
    (void)state;
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    PVOID p = ExAllocatePoolWithTag(PagedPool, 48, '1gaT');
    ExFreePoolWithTag(p, '2gaT');
    assert_int_equal(la_test_fatal_trap_end(), 0);
    const char *out = la_test_capture_end();
    assert_non_null(strstr(out, "Tag1"));
    assert_non_null(strstr(out, "Tag2"));
    la_pool_strict_set(true);
    la_test_capture_begin();
    la_test_fatal_trap_begin();
    p = ExAllocatePoolWithTag(PagedPool, 48, '1gaT');
    ExFreePoolWithTag(p, '2gaT');
    assert_int_equal(la_test_fatal_trap_end(), 1);
    assert_int_equal(la_test_fatal_last_code(), LA_FATAL_TAG_MISMATCH);
    la_test_capture_end();
    la_pool_strict_set(false);
    ExFreePoolWithTag(p, '1gaT'); /* the strict report left it allocated */
}

/* ---- NTSTATUS ------------------------------------------------------------------------------------ */

static void t_status_mapping(void **state) {
    (void)state;
    assert_int_equal(la_wdk_status_from_errno(0), STATUS_SUCCESS);
    assert_int_equal(la_wdk_status_from_errno(ENOMEM), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(la_wdk_status_from_errno(EINVAL), STATUS_INVALID_PARAMETER);
    assert_int_equal(la_wdk_status_from_errno(EDQUOT), STATUS_QUOTA_EXCEEDED);
    assert_int_equal(la_wdk_status_from_errno(EACCES), STATUS_ACCESS_DENIED);
    assert_int_equal(la_wdk_status_from_errno(ENOTSUP), STATUS_NOT_SUPPORTED);
    assert_int_equal(la_wdk_status_from_errno(12345), STATUS_UNSUCCESSFUL);
    static const int round_trip[] = {ENOMEM, EINVAL, EDQUOT, EACCES, ENOTSUP, EFAULT, EOVERFLOW};
    for (size_t i = 0; i < ARRAYSIZE(round_trip); i++)
        assert_int_equal(la_wdk_errno_from_status(la_wdk_status_from_errno(round_trip[i])), round_trip[i]);
    assert_int_equal(la_wdk_errno_from_status(STATUS_INVALID_PARAMETER_5), EINVAL);
    assert_int_equal(la_wdk_errno_from_status(STATUS_SUCCESS), 0);
    assert_true(NT_SUCCESS(STATUS_SUCCESS));
    assert_false(NT_SUCCESS(STATUS_INSUFFICIENT_RESOURCES));
    assert_true(NT_ERROR(STATUS_INVALID_PARAMETER_4));
    assert_true(NT_WARNING(STATUS_DATATYPE_MISALIGNMENT));
    assert_string_equal(la_wdk_status_name(STATUS_INVALID_PARAMETER_4), "STATUS_INVALID_PARAMETER_4");
    assert_null(la_wdk_status_name((NTSTATUS)0xC0DE0001));
}

static void t_pool_type_names(void **state) {
    (void)state;
    char buf[96];
    assert_string_equal(la_wdk_pool_type_format(NonPagedPool, buf, sizeof buf), "NonPagedPool");
    assert_string_equal(la_wdk_pool_type_format((POOL_TYPE)0x11, buf, sizeof buf),
                        "PagedPool RaiseIfAllocationFailure");
    assert_string_equal(la_wdk_pool_type_format(NonPagedPoolNx, buf, sizeof buf), "NonPagedPoolNx");
    assert_string_equal(la_wdk_pool_type_format(NonPagedPoolNxCacheAligned, buf, sizeof buf),
                        "NonPagedPoolNxCacheAligned");
    assert_string_equal(la_wdk_pool_type_format(NonPagedPoolSessionNx, buf, sizeof buf),
                        "NonPagedPoolSessionNx");
    assert_string_equal(la_wdk_pool_type_format(PagedPoolSession, buf, sizeof buf), "PagedPoolSession");
    assert_string_equal(la_wdk_pool_type_format((POOL_TYPE)(PagedPool | POOL_NX_ALLOCATION), buf, sizeof buf),
                        "PagedPool NxAllocation");
    assert_string_equal(la_wdk_pool_type_format((POOL_TYPE)(NonPagedPool | 8 | 0x8000), buf, sizeof buf),
                        "NonPagedPool QuotaFailInsteadOfRaise Unknown(0x8000)");
    char tiny[5];
    la_wdk_pool_type_format(PagedPoolCacheAligned, tiny, sizeof tiny);
    assert_string_equal(tiny, "Page");
}

/* ---- views -------------------------------------------------------------------------------------- */

static void t_poolused_columns_sorting_and_filter(void **state) {
    (void)state;
    PVOID np[3], pg;
    for (int i = 0; i < 3; i++) np[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 1000, 'AsvP');
    pg = ExAllocatePoolWithTag(PagedPool, 5000, 'BsvP');
    la_test_capture_begin();
    ULONG rows = la_wdk_poolused_print(2, "Pvs?");
    const char *out = la_test_capture_end();
    assert_int_equal(rows, 2);
    assert_non_null(strstr(out, "Sorting by NonPaged Pool Consumed"));
    assert_non_null(strstr(out, " Tag    Allocs     Used    Allocs     Used"));
    const char *a = strstr(out, "\n PvsA"), *b = strstr(out, "\n PvsB");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b); /* most non-paged bytes first */
    unsigned long long n1, b1, n2, b2;
    assert_int_equal(sscanf(a + 1, " PvsA %llu %llu %llu %llu", &n1, &b1, &n2, &b2), 4);
    assert_int_equal(n1, 3);
    assert_true(b1 >= 3000);
    assert_int_equal(n2, 0);
    la_test_capture_begin();
    la_wdk_poolused_print(4, "Pvs*");
    out = la_test_capture_end();
    assert_true(strstr(out, "\n PvsB") < strstr(out, "\n PvsA")); /* by paged bytes */
    la_test_capture_begin();
    la_wdk_poolused_print(1, "PvsB");
    out = la_test_capture_end();
    assert_non_null(strstr(out, "Lifetime"));
    assert_null(strstr(out, "PvsA"));
    la_test_capture_begin();
    assert_true(la_wdk_poolmon_print() >= 2);
    out = la_test_capture_end();
    assert_non_null(strstr(out, "PvsA"));
    for (int i = 0; i < 3; i++) ExFreePool(np[i]);
    ExFreePool(pg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_allocate_with_tag_alignment_and_block_size),
        cmocka_unit_test(t_cache_aligned_types_give_64_byte_alignment),
        cmocka_unit_test(t_zero_and_uninitialized_forms),
        cmocka_unit_test(t_zero_bytes_gives_unique_pointers),
        cmocka_unit_test(t_tags_none_protected_and_display_order),
        cmocka_unit_test(t_three_letter_tags_are_shown_with_a_space),
        cmocka_unit_test(t_unprintable_tag_fails),
        cmocka_unit_test(t_pool2_flag_table),
        cmocka_unit_test(t_pool2_zero_fills_reused_blocks),
        cmocka_unit_test(t_pool2_tag_zero_fails_or_raises),
        cmocka_unit_test(t_failures_return_null_or_raise_insufficient_resources),
        cmocka_unit_test(t_default_raise_reports_and_aborts),
        cmocka_unit_test(t_bad_pool_type_is_reported),
        cmocka_unit_test(t_bad_and_double_free_are_reported_at_the_caller),
        cmocka_unit_test(t_wrong_tag_is_counted_not_fatal_unless_strict),
        cmocka_unit_test(t_status_mapping),
        cmocka_unit_test(t_pool_type_names),
        cmocka_unit_test(t_poolused_columns_sorting_and_filter),
    };
    return la_test_run("wdk_pool", tests);
}
