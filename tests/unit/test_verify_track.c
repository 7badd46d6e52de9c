/* Sanitizer / Valgrind awareness of recycled blocks (src/track.h): a block sitting
 * in a cache is poisoned, so touching it is reported by AddressSanitizer
 * ("use-after-poison", a death test in ASan builds) and by Valgrind memcheck
 * ("Invalid read", the ctest entries of test_verify_track.cmake run this program
 * under valgrind with the argument `touch-cached`, and `clean` for no false
 * reports). Reused blocks, DEPOT_ONLY blocks (their S-list link stays open) and
 * blocks given back to the backing must not be reported. */
#include "test_support.h"

#include "lookaside_internal.h"
#include "track.h"

#include <lookaside/lookaside.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if LA_TRACK_ASAN
#include <sanitizer/common_interface_defs.h>
static void die_by_abort(void) { abort(); }
#endif

static la_lookaside_t *make(const char *name, unsigned flags) {
    la_lookaside_params_t p = {0};
    p.name = name;
    p.size = 64;
    p.flags = flags;
    p.tag = LA_TAG('T', 'r', 'c', 'k');
    la_lookaside_t *c = NULL;
    if (la_lookaside_create(&p, &c) != 0) abort();
    return c;
}

/* Read a byte of a block that sits in the cache: the checker must object. */
static LA_NOINLINE int touch_cached(unsigned flags) {
    la_lookaside_t *c = make("touch", flags);
    volatile unsigned char *b = la_lookaside_alloc(c);
    b[40] = 7;
    la_lookaside_free(c, (void *)b);
    int v = b[40]; /* the bug */
    la_lookaside_destroy(c);
    return v;
}

/* Everything a correct program does: reuse, DEPOT_ONLY, flush, destroy. */
static int clean_cycle(void) {
    int sum = 0;
    unsigned flags[2] = {0, LA_LOOKASIDE_DEPOT_ONLY};
    for (int k = 0; k < 2; ++k) {
        la_lookaside_t *c = make("clean", flags[k]);
        void *v[40];
        for (int r = 0; r < 3; ++r) {
            for (int i = 0; i < 40; ++i) {
                v[i] = la_lookaside_alloc(c);
                memset(v[i], i, 64);
            }
            for (int i = 0; i < 40; ++i) {
                sum += ((unsigned char *)v[i])[63];
                la_lookaside_free(c, v[i]);
            }
        }
        la_lookaside_flush(c);
        la_lookaside_destroy(c);
    }
    return sum;
}

static void t_clean(void **state) {
    (void)state;
    assert_int_equal(clean_cycle(), 3 * (39 * 40 / 2) * 2);
}

static void child_touch(void *arg) {
#if LA_TRACK_ASAN
    __sanitizer_set_death_callback(die_by_abort);
#endif
    printf("%d\n", touch_cached(*(unsigned *)arg));
}

static void t_asan_reports_cached_touch(void **state) {
    (void)state;
    if (!LA_TRACK_ASAN) {
        skip(); /* only AddressSanitizer builds annotate for ASan */
        return;
    }
    const char *expect[] = {"use-after-poison", "touch_cached", NULL};
    unsigned plain = 0, depot = LA_LOOKASIDE_DEPOT_ONLY;
    assert_true(la_test_dies_with(child_touch, &plain, expect));
    assert_true(la_test_dies_with(child_touch, &depot, expect));
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "touch-cached") == 0) return touch_cached(0) == 7 ? 0 : 2;
    if (argc > 1 && strcmp(argv[1], "clean") == 0) return clean_cycle() > 0 ? 0 : 2;
    la_test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_clean),
        cmocka_unit_test(t_asan_reports_cached_touch),
    };
    return la_test_run("verify_track", tests);
}
