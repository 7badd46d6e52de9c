/* lookaside/wdk.h — the WDK-compatible layer (placeholder while it is built). */
#ifndef LOOKASIDE_WDK_H
#define LOOKASIDE_WDK_H

#include <lookaside/base.h>

#include <string.h>

/* Pool tags are multi-character constants ('Fred'); MSVC accepts them silently. */
#pragma GCC diagnostic ignored "-Wmultichar"

#include <lookaside/wdk/types.h>
#include <lookaside/wdk/lists.h>
#include <lookaside/wdk/ex.h>

#endif
