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

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct output_binding {
    la_output_fn *fn;
    void *arg;
    struct output_binding *older; /* keeps retired pairs reachable */
} output_binding_t;

typedef struct fatal_binding {
    la_fatal_handler_fn *fn;
    void *arg;
    struct fatal_binding *older;
} fatal_binding_t;

static _Atomic(const output_binding_t *) current_output;
static _Atomic(const fatal_binding_t *) current_fatal;
static _Atomic(output_binding_t *) all_outputs;
static _Atomic(fatal_binding_t *) all_fatals;

int la_version(void) { return LA_VERSION; }

static void write_stderr(const char *text, void *arg) {
    (void)arg;
    fputs(text, stderr);
    fflush(stderr);
}

void la_output_set(la_output_fn *fn, void *arg) {
    output_binding_t *b = NULL;
    if (fn) {
        b = malloc(sizeof *b);
        if (!b) return; /* keep the previous callback: losing output beats crashing */
        b->fn = fn;
        b->arg = arg;
        b->older = atomic_load_explicit(&all_outputs, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&all_outputs, &b->older, b,
                                                      memory_order_relaxed, memory_order_relaxed)) {}
    }
    atomic_store_explicit(&current_output, b, memory_order_release);
}

static void emit(const char *text) {
    const output_binding_t *b = atomic_load_explicit(&current_output, memory_order_acquire);
    if (b)
        b->fn(text, b->arg);
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
    fatal_binding_t *b = NULL;
    if (fn) {
        b = malloc(sizeof *b);
        if (!b) return;
        b->fn = fn;
        b->arg = arg;
        b->older = atomic_load_explicit(&all_fatals, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&all_fatals, &b->older, b,
                                                      memory_order_relaxed, memory_order_relaxed)) {}
    }
    atomic_store_explicit(&current_fatal, b, memory_order_release);
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

    const fatal_binding_t *b = atomic_load_explicit(&current_fatal, memory_order_acquire);
    if (b) {
        b->fn(&report, b->arg);
        return;
    }
    abort();
}
