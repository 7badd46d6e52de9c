/* Pool internals: the size-class table, exact slot division, slot layout and
 * resolution, slab refill/release and discarding, big-block steps, the thread
 * front, thread-exit folding and the orphan state. */
#define _GNU_SOURCE
#include "test_support.h"

#include "pool_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void t_class_table(void **state) {
    (void)state;
    uint32_t prev = 0;
    for (unsigned c = 0; c < LAI_NCLASSES; ++c) {
        const lai_class_t *k = &lai_classes[c];
        assert_true(k->size > prev);
        prev = k->size;
        assert_int_equal(k->size % 16, 0);
        assert_int_equal(k->unit_mask, (1u << k->unit_shift) - 1);
        assert_true(k->per_unit >= 1);
        assert_true(k->per_unit * k->size <= (1u << k->unit_shift));
        assert_int_equal(k->nslots, k->per_unit * (LAI_SLAB_SIZE >> k->unit_shift));
        if (k->size <= LAI_UNIT) assert_int_equal(k->unit_shift, 12);
        else assert_int_equal(k->size % LAI_UNIT, 0);
        assert_true(k->front_cap >= 4 && k->front_cap <= LAI_FRONT_MAX);
        /* Exact division for every offset inside a slab. */
        for (uint32_t x = 0; x < LAI_SLAB_SIZE; ++x) assert_int_equal(lai_div(x, k->size_inv), x / k->size);
        /* The free path's one-multiply slot test: a slot start iff a multiple, with
         * the quotient, for every offset. */
        for (uint32_t x = 0; x < LAI_SLAB_SIZE; ++x) {
            uint32_t j = UINT32_MAX;
            bool exact = lai_slot_of(x, k->size_inv, &j);
            if (exact != (x % k->size == 0)) fail_msg("class %u offset %u: slot test %d", k->size, x, exact);
            if (exact) assert_int_equal(j, x / k->size);
        }
    }
    assert_int_equal(lai_classes[LAI_NCLASSES - 1].size, LAI_SLAB_MAX_BLOCK);
}

static void t_class_of_is_smallest_fit(void **state) {
    (void)state;
    for (size_t n = 0; n <= LAI_SLAB_MAX_BLOCK + 1; ++n) {
        for (int ca = 0; ca < 2; ++ca) {
            int c = lai_class_of(n, ca);
            if (n > LAI_SLAB_MAX_BLOCK) {
                assert_int_equal(c, -1);
                continue;
            }
            assert_true(c >= 0);
            size_t want = n ? n : 1;
            assert_true(lai_classes[c].size >= want);
            if (ca) assert_int_equal(lai_classes[c].size % 64, 0);
            for (int d = 0; d < c; ++d)
                if (!ca || lai_classes[d].size % 64 == 0) assert_true(lai_classes[d].size < want);
            if (!ca && n <= LAI_UNIT) assert_int_equal(c, lai_small_class[(n + 15) >> 4]);
        }
    }
}

/* Refill whole slabs of every class of the paged kind: every slot resolves to
 * itself, never crosses a page when under one, interior pointers are refused. */
static void t_slots_resolve_and_layout(void **state) {
    (void)state;
    for (unsigned c = 0; c < LAI_NCLASSES; ++c) {
        const lai_class_t *k = &lai_classes[c];
        unsigned n = k->nslots;
        lai_fitem_t *items = calloc(n, sizeof *items);
        assert_non_null(items);
        int err = 0;
        unsigned got = 0;
        while (got < n) {
            unsigned g = lai_slab_refill(LA_POOL_KIND_PAGED, c, items + got, n - got, &err);
            assert_true(g > 0);
            got += g;
        }
        for (unsigned i = 0; i < n; ++i) {
            uintptr_t a = (uintptr_t)items[i].p;
            assert_int_equal(a % 16, 0);
            if (k->size % 64 == 0) assert_int_equal(a % 64, 0);
            if (k->size < LAI_UNIT) assert_int_equal(a / LAI_UNIT, (a + k->size - 1) / LAI_UNIT);
            else assert_int_equal(a % LAI_UNIT, 0);
            lai_blockref_t ref = {0};
            assert_int_equal(lai_slab_resolve(items[i].p, &ref), 0);
            assert_ptr_equal(ref.meta, items[i].meta);
            assert_int_equal(ref.slab->size, k->size);
            assert_int_equal(ref.slab->front_idx, LAI_FRONT_IDX(LA_POOL_KIND_PAGED, c));
            /* The free path reaches the thread front by this byte offset. */
            assert_int_equal(ref.slab->front_off, offsetof(lai_thread_t, front) +
                                                      ref.slab->front_idx * sizeof(lai_front_t));
            assert_int_equal(atomic_load(ref.meta), 0);
            if (k->size > 16) {
                assert_int_equal(lai_slab_resolve((char *)items[i].p + 16, &ref), EFAULT);
                int e = lai_slab_resolve((char *)items[i].p + k->size - 16, &ref);
                assert_int_equal(e, EFAULT);
            }
            memset(items[i].p, 0xEE, k->size);
        }
        /* Distinct blocks: the same slot never handed out twice. */
        for (unsigned i = 1; i < n; ++i) assert_ptr_not_equal(items[i].p, items[i - 1].p);
        lai_slab_release(LA_POOL_KIND_PAGED, c, items, n);
        free(items);
    }
    int x;
    lai_blockref_t ref;
    assert_int_equal(lai_slab_resolve(&x, &ref), ENOENT);
}

static void t_segment_header_is_not_a_block(void **state) {
    (void)state;
    void *p = la_pool_alloc(LA_POOL_PAGED, 64, LA_TAG('S', 'e', 'g', 'H'), 0);
    lai_segment_t *seg = lai_segment_of(p);
    assert_non_null(seg);
    lai_blockref_t ref;
    assert_int_equal(lai_slab_resolve(seg, &ref), EFAULT);
    assert_int_equal(lai_slab_resolve((char *)seg + 4096, &ref), EFAULT);
    la_pool_free(p);
}

static void t_empty_slabs_are_discarded(void **state) {
    (void)state;
    const unsigned c = (unsigned)lai_class_of(1024, false);
    const unsigned slabs = 3 * LAI_EMPTY_KEEP;
    unsigned n = slabs * lai_classes[c].nslots;
    lai_fitem_t *items = calloc(n, sizeof *items);
    assert_non_null(items);
    int err = 0;
    for (unsigned got = 0; got < n;) got += lai_slab_refill(LA_POOL_KIND_PAGED, c, items + got, n - got, &err);
    for (unsigned i = 0; i < n; ++i) memset(items[i].p, 1, 1024);
    la_pool_stats_t s0, s1;
    memset(&s0, 0, sizeof s0);
    lai_slab_stats(&s0);
    lai_slab_release(LA_POOL_KIND_PAGED, c, items, n);
    memset(&s1, 0, sizeof s1);
    lai_slab_stats(&s1);
    /* At most LAI_EMPTY_KEEP slabs (and LAI_EMPTY_KEEP_TOTAL bytes) stay resident. */
    assert_true(s1.slabs_discarded - s0.slabs_discarded >= slabs - LAI_EMPTY_KEEP);
    assert_true(s1.bytes_cached <= LAI_EMPTY_KEEP_TOTAL + LAI_SLAB_SIZE);
    /* A discarded block reads zero, and the mapping is still there (no fault). */
    assert_int_equal(*(volatile unsigned char *)items[0].p, 0);
    lai_slab_trim();
    memset(&s1, 0, sizeof s1);
    lai_slab_stats(&s1);
    assert_int_equal(s1.bytes_cached, 0);
    free(items);
}

/* Past the process-wide bound the OLDEST empty slabs go, so the class in use now
 * keeps its working set (a batch program moving between sizes does not thrash). */
static void t_oldest_empty_slabs_go_first(void **state) {
    (void)state;
    lai_slab_trim();
    const int sizes[] = {128, 256, 512, 1024, 2048, 4096};
    lai_fitem_t *last = NULL;
    unsigned last_n = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; ++k) {
        unsigned c = (unsigned)lai_class_of((size_t)sizes[k], false);
        unsigned n = LAI_EMPTY_KEEP * lai_classes[c].nslots;
        lai_fitem_t *items = calloc(n, sizeof *items);
        assert_non_null(items);
        int err = 0;
        for (unsigned got = 0; got < n;) got += lai_slab_refill(LA_POOL_KIND_PAGED, c, items + got, n - got, &err);
        for (unsigned i = 0; i < n; ++i) ((char *)items[i].p)[0] = 1;
        lai_slab_release(LA_POOL_KIND_PAGED, c, items, n);
        la_pool_stats_t st;
        memset(&st, 0, sizeof st);
        lai_slab_stats(&st);
        assert_true(st.bytes_cached <= LAI_EMPTY_KEEP_TOTAL);
        free(last);
        last = items;
        last_n = n;
    }
    /* The newest class kept all its slabs: reusing them hands out resident blocks
     * without discarding anything. */
    la_pool_stats_t s0, s1;
    memset(&s0, 0, sizeof s0);
    lai_slab_stats(&s0);
    unsigned c = (unsigned)lai_class_of(4096, false);
    int err = 0;
    for (unsigned got = 0; got < last_n;) got += lai_slab_refill(LA_POOL_KIND_PAGED, c, last + got, last_n - got, &err);
    lai_slab_release(LA_POOL_KIND_PAGED, c, last, last_n);
    memset(&s1, 0, sizeof s1);
    lai_slab_stats(&s1);
    assert_int_equal(s1.slabs_discarded, s0.slabs_discarded);
    free(last);
    lai_slab_trim();
}

static void t_big_steps(void **state) {
    (void)state;
    size_t ps = la_prim_caps()->page_size;
    for (size_t n = 1; n < ((size_t)64 << 20); n = n * 5 / 4 + 1) {
        size_t s = lai_big_block_size(n);
        assert_true(s >= n);
        assert_int_equal(s % ps, 0);
        size_t pages = (n + ps - 1) / ps;
        if (pages <= 8) assert_int_equal(s, pages * ps);
        else assert_true((s - pages * ps) * 4 <= pages * ps); /* at most a quarter wasted */
    }
    assert_int_equal(lai_big_block_size(SIZE_MAX), 0);
    assert_int_equal(lai_big_block_size(SIZE_MAX / 2 + 1), 0);
}

static void t_uninitialised_is_not_zeroed(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('U', 'n', 'i', 't');
    unsigned char *p = la_pool_alloc(LA_POOL_PAGED, 64, tag, 0);
    memset(p, 0x77, 64);
    la_pool_free(p);
    unsigned char *q = la_pool_alloc(LA_POOL_PAGED, 64, tag, 0);
    assert_ptr_equal(p, q); /* LIFO reuse through the thread front */
    assert_int_equal(q[10], 0x77); /* not touched: no hidden zeroing */
    la_pool_free(q);
}

static void t_front_is_bounded(void **state) {
    (void)state;
    la_tag_t tag = LA_TAG('F', 'r', 'n', 't');
    unsigned c = (unsigned)lai_class_of(4096, false);
    unsigned n = 3 * lai_classes[c].front_cap;
    void **v = calloc(n, sizeof *v);
    for (unsigned i = 0; i < n; ++i) v[i] = la_pool_alloc(LA_POOL_PAGED, 4096, tag, 0);
    for (unsigned i = 0; i < n; ++i) la_pool_free(v[i]);
    lai_thread_t *t = lai_thread();
    assert_true(t->front[LAI_FRONT_IDX(LA_POOL_KIND_PAGED, c)].count <= lai_classes[c].front_cap);
    assert_true(lai_front_cached_bytes(t) > 0);
    la_pool_trim();
    assert_int_equal(lai_front_cached_bytes(t), 0);
    free(v);
}

/* ---- threads: exit folding and the orphan ---------------------------------------- */

static const la_tag_t exit_tag = LA_TAG('T', 'e', 'x', 't');
static void *survivors[5];
static pthread_key_t late_key;
static int late_ok;

static void late_destructor(void *v) {
    (void)v;
    /* Runs after the pool's own exit hook (a later key): uses the orphan state. */
    void *p = la_pool_alloc(LA_POOL_PAGED, 24, exit_tag, 0);
    void *b = la_pool_alloc(LA_POOL_PAGED, 100000, exit_tag, 0);
    late_ok = p && b;
    la_pool_free(p);
    la_pool_free(b);
}

static void *worker(void *arg) {
    (void)arg;
    void *v[10];
    for (int i = 0; i < 10; ++i) v[i] = la_pool_alloc(LA_POOL_PAGED, 40, exit_tag, 0);
    for (int i = 0; i < 5; ++i) la_pool_free(v[i]);
    for (int i = 0; i < 5; ++i) survivors[i] = v[5 + i];
    pthread_setspecific(late_key, (void *)1);
    return NULL;
}

static void t_thread_exit_folds_counters(void **state) {
    (void)state;
    void *warm = la_pool_alloc(LA_POOL_PAGED, 8, exit_tag, 0); /* pool key created first */
    la_pool_free(warm);
    assert_int_equal(pthread_key_create(&late_key, late_destructor), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, worker, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(late_ok);
    la_pool_tag_info_t info;
    assert_int_equal(la_pool_tag_query(exit_tag, LA_POOL_KIND_PAGED, &info), 0);
    assert_int_equal(info.allocs, 1 + 10 + 2);
    assert_int_equal(info.frees, 1 + 5 + 2);
    assert_int_equal(info.outstanding, 5);
    for (int i = 0; i < 5; ++i) la_pool_free(survivors[i]); /* freed on another thread */
    assert_int_equal(la_pool_tag_query(exit_tag, LA_POOL_KIND_PAGED, &info), 0);
    assert_int_equal(info.outstanding, 0);
    assert_int_equal(info.bytes, 0);
    assert_int_equal(info.frees, info.allocs);
    pthread_key_delete(late_key);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_class_table),
        cmocka_unit_test(t_class_of_is_smallest_fit),
        cmocka_unit_test(t_slots_resolve_and_layout),
        cmocka_unit_test(t_segment_header_is_not_a_block),
        cmocka_unit_test(t_empty_slabs_are_discarded),
        cmocka_unit_test(t_oldest_empty_slabs_go_first),
        cmocka_unit_test(t_big_steps),
        cmocka_unit_test(t_uninitialised_is_not_zeroed),
        cmocka_unit_test(t_front_is_bounded),
        cmocka_unit_test(t_thread_exit_folds_counters),
    };
    return la_test_run("pool_slab", tests);
}
