/* lookaside/lookaside.h — umbrella header: the whole native (la_) API.
 *
 * The WDK-compatible names are separate: include <lookaside/wdk.h>. */
#ifndef LOOKASIDE_LOOKASIDE_H
#define LOOKASIDE_LOOKASIDE_H

#include <lookaside/base.h>
#include <lookaside/list.h>
#include <lookaside/sslist.h>
#include <lookaside/platform.h>
#include <lookaside/pool.h>
#include <lookaside/region.h>
#include <lookaside/lookaside_list.h>
#include <lookaside/allocator.h>
#include <lookaside/verify.h>
#include <lookaside/publish.h>

#endif
