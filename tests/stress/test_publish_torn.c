/* test_publish_torn.c — readers never see a torn publication.
 *
 * A writer thread publishes in a loop while mutator threads allocate, free,
 * create and destroy caches (so records change and the file is replaced when it
 * grows) and reader threads copy snapshots with la_publish_read. Every read must
 * succeed or report EAGAIN (never EBADMSG: the body checksum would catch a copy
 * mixing two publications), sequences seen by one reader never go backwards, and
 * every snapshot holds the fixed cache exactly once with sane counts. Work is
 * bounded by iterations, scaled down under sanitizers. */
#include "test_support.h"

#include <lookaside/lookaside.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define PATH "/dev/shm/la-test-publish-torn"

static atomic_int done;
static unsigned writes_target;

static void *writer(void *arg) {
    (void)arg;
    for (unsigned i = 0; i < writes_target; ++i) assert_int_equal(la_publish_now(), 0);
    atomic_store(&done, 1);
    return NULL;
}

static void *mutator(void *arg) {
    la_test_rng_t rng;
    la_test_rng_init(&rng, (uint64_t)(uintptr_t)arg);
    la_lookaside_t *mine[32] = {0};
    void *held[64] = {0};
    while (!atomic_load(&done)) {
        unsigned k = (unsigned)la_test_rng_below(&rng, 32);
        if (!mine[k]) {
            char name[32];
            snprintf(name, sizeof name, "torn-%u", k);
            la_lookaside_params_t p = {.name = name, .size = 16 + 16 * k, .tag = LA_TAG('T', 'o', 'r', 'n')};
            assert_int_equal(la_lookaside_create(&p, &mine[k]), 0);
        } else if (la_test_rng_below(&rng, 8) == 0) {
            la_lookaside_destroy(mine[k]);
            mine[k] = NULL;
        } else {
            void *b = la_lookaside_alloc(mine[k]);
            la_lookaside_free(mine[k], b);
        }
        unsigned h = (unsigned)la_test_rng_below(&rng, 64);
        if (held[h]) {
            la_pool_free(held[h]);
            held[h] = NULL;
        } else {
            la_tag_t t = LA_TAG('T', 'r', 'n', (char)('a' + la_test_rng_below(&rng, 26)));
            held[h] = la_pool_alloc(LA_POOL_PAGED, 1 + la_test_rng_below(&rng, 512), t, 0);
        }
    }
    for (int i = 0; i < 64; ++i) la_pool_free(held[i]);
    for (int i = 0; i < 32; ++i) la_lookaside_destroy(mine[i]);
    return NULL;
}

typedef struct reader_result {
    unsigned ok, again, bad;
} reader_result_t;

static void *reader(void *arg) {
    reader_result_t *r = arg;
    uint64_t last = 0;
    while (!atomic_load(&done)) {
        la_published_t *s;
        int err = la_publish_read(PATH, &s);
        if (err == EAGAIN) {
            ++r->again;
            continue;
        }
        if (err) {
            fprintf(stderr, "read: %s\n", la_publish_strerror(err));
            ++r->bad;
            continue;
        }
        ++r->ok;
        uint64_t seq = la_published_sequence(s);
        if (seq < last) ++r->bad;
        last = seq;
        int fixed = 0;
        for (size_t i = 0; i < la_published_lookaside_count(s); ++i) {
            const la_lookaside_stats_t *l = la_published_lookaside(s, i);
            if (!strcmp(l->name, "torn-fixed")) {
                ++fixed;
                if (l->block_size != 48 || l->tag != LA_TAG('F', 'i', 'x', 'd')) ++r->bad;
            }
        }
        if (fixed != 1) ++r->bad;
        for (size_t i = 0; i < la_published_pool_count(s); ++i) {
            const la_pool_tag_info_t *t = la_published_pool_tag(s, i);
            if (!la_tag_valid(t->tag) || (t->outstanding && !t->bytes)) ++r->bad;
        }
        la_published_free(s);
    }
    return NULL;
}

static void t_torn(void **state) {
    (void)state;
    uint64_t seed = la_test_seed();
    writes_target = la_test_under_sanitizer() ? 2000 : 20000;
    la_lookaside_params_t p = {.name = "torn-fixed", .size = 48, .tag = LA_TAG('F', 'i', 'x', 'd')};
    la_lookaside_t *fixed;
    assert_int_equal(la_lookaside_create(&p, &fixed), 0);
    assert_int_equal(la_publish_start(PATH, 0), 0);
    pthread_t w, m[2], r[2];
    reader_result_t res[2] = {{0}, {0}};
    atomic_store(&done, 0);
    for (int i = 0; i < 2; ++i) assert_int_equal(pthread_create(&m[i], NULL, mutator, (void *)(uintptr_t)(seed + i)), 0);
    for (int i = 0; i < 2; ++i) assert_int_equal(pthread_create(&r[i], NULL, reader, &res[i]), 0);
    assert_int_equal(pthread_create(&w, NULL, writer, NULL), 0);
    pthread_join(w, NULL);
    for (int i = 0; i < 2; ++i) pthread_join(m[i], NULL);
    for (int i = 0; i < 2; ++i) pthread_join(r[i], NULL);
    unsigned ok = 0;
    for (int i = 0; i < 2; ++i) {
        printf("reader %d: %u consistent, %u EAGAIN, %u bad\n", i, res[i].ok, res[i].again, res[i].bad);
        assert_int_equal(res[i].bad, 0);
        ok += res[i].ok;
    }
    assert_true(ok > 0);
    la_published_t *s;
    assert_int_equal(la_publish_read(PATH, &s), 0);
    assert_int_equal(la_published_sequence(s), writes_target + 1);
    la_published_free(s);
    assert_int_equal(la_publish_stop(), 0);
    assert_int_equal(la_lookaside_destroy(fixed), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_torn)};
    return la_test_run("publish_torn", tests);
}
