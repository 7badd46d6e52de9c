// Every public header compiles as C++17 with -Wall -Wextra -Werror and links.
#include <lookaside/lookaside.h>
#include <cstdio>

int main() {
    if (la_version() != LA_VERSION) return 1;
    std::printf("headers ok in C++\n");
    return 0;
}
