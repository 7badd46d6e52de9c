/* A program that knows lookaside only through its installed headers and library. */
#include <lookaside/lookaside.h>
#include <stdio.h>

int main(void) {
    if (la_version() != LA_VERSION) {
        printf("header/library version mismatch: %d vs %d\n", la_version(), LA_VERSION);
        return 1;
    }
    printf("consumer ok: lookaside %d\n", la_version());
    return 0;
}
