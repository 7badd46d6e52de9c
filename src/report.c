/* report.c — the output callback and fatal reports (see lookaside/base.h).
 *
 * Why: the library never prints behind the caller's back, and misuse ends in one
 * recognisable report (code, object, caller's file:line) before the handler runs.
 *
 * Invariants: the current output and fatal handlers are each published as one
 * immutable {fn, arg} pair, swapped atomically, so a message never pairs one
 * handler's fn with another's arg. Retired pairs are never freed (handlers are
 * set a handful of times per process; a few bytes each); each pair links to the
 * one allocated before it, so all stay reachable (no leak report under LSan).
 * No allocation happens
 * while formatting: messages are built in a stack buffer.
 * Lock order: none (no locks here). */
#include "internal.h"

#include "binding.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lai_binding_slot_t output_slot;
static lai_binding_slot_t fatal_slot;

int la_version(void) { return LA_VERSION; }

static void write_stderr(const char *text, void *arg) {
    (void)arg;
    fputs(text, stderr);
    fflush(stderr);
}

void la_output_set(la_output_fn *fn, void *arg) {
    /* On ENOMEM the previous callback stays: losing output beats crashing. */
    (void)lai_binding_set(&output_slot, (lai_any_fn *)fn, arg);
}

static void emit(const char *text) {
    const lai_binding_t *b = lai_binding_get(&output_slot);
    if (b)
        ((la_output_fn *)b->fn)(text, b->arg);
    else
        write_stderr(text, NULL);
}

void la_vprintf(const char *fmt, va_list ap) {
    char buf[4096];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, copy);
    va_end(copy);
    if (n < 0) return;
    if ((size_t)n < sizeof buf) {
        emit(buf);
        return;
    }
    /* Too long for the stack buffer: deliver in 4 KiB pieces from a heap copy. */
    char *big = malloc((size_t)n + 1);
    if (!big) {
        emit(buf); /* truncated beats nothing */
        return;
    }
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    for (size_t off = 0; off < (size_t)n; off += sizeof buf - 1) {
        size_t len = (size_t)n - off < sizeof buf - 1 ? (size_t)n - off : sizeof buf - 1;
        memcpy(buf, big + off, len);
        buf[len] = '\0';
        emit(buf);
    }
    free(big);
}

void la_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    la_vprintf(fmt, ap);
    va_end(ap);
}

static const char *const fatal_names[] = {
    [LA_FATAL_LIST_CORRUPT] = "LIST_CORRUPT",
    [LA_FATAL_DOUBLE_FREE] = "DOUBLE_FREE",
    [LA_FATAL_WRONG_OWNER] = "WRONG_OWNER",
    [LA_FATAL_BAD_POINTER] = "BAD_POINTER",
    [LA_FATAL_TAG_MISMATCH] = "TAG_MISMATCH",
    [LA_FATAL_MISALIGNED] = "MISALIGNED",
    [LA_FATAL_USE_AFTER_DESTROY] = "USE_AFTER_DESTROY",
    [LA_FATAL_CORRUPT_BLOCK] = "CORRUPT_BLOCK",
    [LA_FATAL_BAD_ARGUMENT] = "BAD_ARGUMENT",
    [LA_FATAL_RAISE] = "RAISE",
};

const char *la_fatal_code_name(la_fatal_code_t code) {
    if ((unsigned)code < LA_ARRAY_SIZE(fatal_names) && fatal_names[code]) return fatal_names[code];
    return "UNKNOWN";
}

void la_fatal_handler_set(la_fatal_handler_fn *fn, void *arg) {
    (void)lai_binding_set(&fatal_slot, (lai_any_fn *)fn, arg);
}

void la_fatal(la_fatal_code_t code, const void *object, const char *file, int line,
              const char *fmt, ...) {
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);

    la_fatal_report_t report = {
        .code = code,
        .code_name = la_fatal_code_name(code),
        .object = object,
        .file = file,
        .line = line,
        .message = detail,
    };
    if (file)
        la_printf("lookaside: FATAL %s object %p at %s:%d: %s\n", report.code_name, object, file,
                  line, detail);
    else
        la_printf("lookaside: FATAL %s object %p: %s\n", report.code_name, object, detail);

    const lai_binding_t *b = lai_binding_get(&fatal_slot);
    if (b) {
        ((la_fatal_handler_fn *)b->fn)(&report, b->arg);
        return;
    }
    abort();
}
