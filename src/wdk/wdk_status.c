/* wdk_status.c — NTSTATUS mapping, raise emulation and DbgPrint for
 * <lookaside/wdk.h>.
 *
 * What: the one place where errno-style results of the native API become NTSTATUS
 * values (and back), the "raise" that Windows does with SEH, and the debug print.
 *
 * Why: the core never sees NTSTATUS. The WDK layer converts at its edge, so every
 * Ex* and Mm* function reports failures the way Windows documents them, and a raise
 * reaches one replaceable handler with the NTSTATUS (DESIGN.md, "Errors and misuse").
 *
 * Invariants: the raise handler is published as one immutable {fn, arg} pair
 * swapped atomically (as the output and fatal handlers are in report.c), so a
 * raise never pairs one handler's fn with another's arg; retired pairs are never
 * freed (a few bytes per installation) and stay reachable from a list of all
 * bindings, so leak checkers do not report them. No lock is held while a handler runs, so
 * a handler may longjmp out.
 * Lock order: no locks.
 */
#include "internal.h"

#include "binding.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <lookaside/wdk.h>

/* ---- NTSTATUS <-> errno ---------------------------------------------------------------- */

NTSTATUS la_wdk_status_from_errno(int error) {
    switch (error) {
    case 0: return STATUS_SUCCESS;
    case ENOMEM: return STATUS_INSUFFICIENT_RESOURCES;
    case EINVAL: return STATUS_INVALID_PARAMETER;
    case EDQUOT: return STATUS_QUOTA_EXCEEDED;
    case EACCES:
    case EPERM: return STATUS_ACCESS_DENIED;
    case ENOTSUP: return STATUS_NOT_SUPPORTED;
    case EFAULT: return STATUS_ACCESS_VIOLATION;
    case EOVERFLOW: return STATUS_INTEGER_OVERFLOW;
    case ENOSYS: return STATUS_NOT_IMPLEMENTED;
    default: return STATUS_UNSUCCESSFUL;
    }
}

int la_wdk_errno_from_status(NTSTATUS status) {
    if (NT_SUCCESS(status)) return 0;
    switch (status) {
    case STATUS_INSUFFICIENT_RESOURCES:
    case STATUS_NO_MEMORY: return ENOMEM;
    case STATUS_INVALID_PARAMETER:
    case STATUS_INVALID_PARAMETER_MIX:
    case STATUS_INVALID_PARAMETER_1:
    case STATUS_INVALID_PARAMETER_2:
    case STATUS_INVALID_PARAMETER_3:
    case STATUS_INVALID_PARAMETER_4:
    case STATUS_INVALID_PARAMETER_5:
    case STATUS_INVALID_PARAMETER_6: return EINVAL;
    case STATUS_QUOTA_EXCEEDED: return EDQUOT;
    case STATUS_ACCESS_DENIED: return EACCES;
    case STATUS_NOT_SUPPORTED: return ENOTSUP;
    case STATUS_ACCESS_VIOLATION:
    case STATUS_INVALID_ADDRESS: return EFAULT;
    case STATUS_INTEGER_OVERFLOW: return EOVERFLOW;
    case STATUS_NOT_IMPLEMENTED: return ENOSYS;
    case STATUS_DATATYPE_MISALIGNMENT: return EINVAL;
    case STATUS_CONFLICTING_ADDRESSES: return EEXIST;
    default: return EIO;
    }
}

const char *la_wdk_status_name(NTSTATUS status) {
    switch (status) {
#define NAME(s) case s: return #s;
    NAME(STATUS_SUCCESS)
    NAME(STATUS_DATATYPE_MISALIGNMENT)
    NAME(STATUS_UNSUCCESSFUL)
    NAME(STATUS_NOT_IMPLEMENTED)
    NAME(STATUS_ACCESS_VIOLATION)
    NAME(STATUS_INVALID_PARAMETER)
    NAME(STATUS_NO_MEMORY)
    NAME(STATUS_CONFLICTING_ADDRESSES)
    NAME(STATUS_ACCESS_DENIED)
    NAME(STATUS_INVALID_PARAMETER_MIX)
    NAME(STATUS_QUOTA_EXCEEDED)
    NAME(STATUS_INTEGER_OVERFLOW)
    NAME(STATUS_INSUFFICIENT_RESOURCES)
    NAME(STATUS_NOT_SUPPORTED)
    NAME(STATUS_INVALID_PARAMETER_1)
    NAME(STATUS_INVALID_PARAMETER_2)
    NAME(STATUS_INVALID_PARAMETER_3)
    NAME(STATUS_INVALID_PARAMETER_4)
    NAME(STATUS_INVALID_PARAMETER_5)
    NAME(STATUS_INVALID_PARAMETER_6)
    NAME(STATUS_INVALID_ADDRESS)
    NAME(STATUS_DEVICE_CONFIGURATION_ERROR)
#undef NAME
    default: return NULL;
    }
}

/* ---- raise --------------------------------------------------------------------------------- */

static lai_binding_slot_t raise_slot;

void la_wdk_raise_handler_set(la_wdk_raise_fn *fn, void *arg) {
    (void)lai_binding_set(&raise_slot, (lai_any_fn *)fn, arg); /* ENOMEM keeps the previous one */
}

VOID ExRaiseStatus(NTSTATUS Status) {
    const lai_binding_t *b = lai_binding_get(&raise_slot);
    if (b) {
        ((la_wdk_raise_fn *)b->fn)(Status, b->arg);
        return;
    }
    const char *name = la_wdk_status_name(Status);
    la_fatal(LA_FATAL_RAISE, NULL, NULL, 0, "unhandled raise of %s (0x%08X)",
             name ? name : "an NTSTATUS", (unsigned)Status);
}

/* ---- debug output ---------------------------------------------------------------------------- */

ULONG DbgPrint(PCSTR Format, ...) {
    va_list ap;
    va_start(ap, Format);
    la_vprintf(Format, ap);
    va_end(ap);
    return (ULONG)STATUS_SUCCESS;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...) {
    (void)ComponentId;
    (void)Level;
    va_list ap;
    va_start(ap, Format);
    la_vprintf(Format, ap);
    va_end(ap);
    return (ULONG)STATUS_SUCCESS;
}
