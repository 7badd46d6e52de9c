/* region_impl.h — what tests may reach inside src/region.c. */
#ifndef LA_REGION_IMPL_H
#define LA_REGION_IMPL_H

#include "internal.h"

#include <stdatomic.h>

/* Test hook: non-zero makes every executable mapping or protection change fail with
 * EACCES, as a system that refuses executable memory would (tests/unit, tests/fault). */
LA_INTERNAL extern _Atomic int lai_region_refuse_exec;

#endif /* LA_REGION_IMPL_H */
