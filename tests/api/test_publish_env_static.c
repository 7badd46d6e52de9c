/* LA_PUBLISH works in a statically linked program that never names a la_publish*
 * function: creating a cache (or using the pool) must pull the publisher in and
 * honour the variable. This file deliberately calls nothing from publish.h — with
 * the publisher left out of the link, no file would ever appear. */
#define _GNU_SOURCE
#include "test_support.h"

#include <lookaside/lookaside_list.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char self[4096];

/* In the child: LA_PUBLISH=1 was set before exec. Create a cache and look for the file. */
static int child_main(void) {
    la_lookaside_params_t p = {0};
    p.name = "static.env";
    p.size = 64;
    p.tag = LA_TAG('S', 't', 'E', 'n');
    la_lookaside_t *c = NULL;
    if (la_lookaside_create(&p, &c)) return 2;
    char path[256];
    snprintf(path, sizeof path, "/dev/shm/lookaside-%ld", (long)getpid());
    int found = access(path, R_OK) == 0;
    la_lookaside_destroy(c);
    unlink(path); /* the publisher's exit hook tolerates a file already gone */
    return found ? 0 : 1;
}

static int run_child(const char *value) {
    pid_t pid = fork();
    if (pid == 0) {
        if (value) setenv("LA_PUBLISH", value, 1);
        else unsetenv("LA_PUBLISH");
        setenv("LA_TEST_STATIC_CHILD", "1", 1);
        execl(self, self, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void t_env_publishes_without_naming_the_publisher(void **state) {
    (void)state;
    assert_int_equal(run_child("1"), 0); /* file present */
    assert_int_equal(run_child(NULL), 1); /* unset: no file */
}

int main(void) {
    if (getenv("LA_TEST_STATIC_CHILD")) return child_main();
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return LA_TEST_SKIP_CODE;
    self[n] = '\0';
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_env_publishes_without_naming_the_publisher)};
    return la_test_run("publish_env_static", tests);
}
