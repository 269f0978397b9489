/*
 * util/error.c - formatting isola_error values (see error.h).
 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool util_error_set(isola_error *err, isola_error_kind kind, const char *fmt, ...)
{
    if (!err)
        return false;
    err->kind = kind;
    err->offset = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

void util_error_from_wasm(isola_error *err, isola_error_kind kind, const wasm_error *werr)
{
    if (!err)
        return;
    err->kind = kind;
    err->offset = werr->offset;
    /* Bounded copy: wasm_error's message is shorter than ours, but do not rely on it. */
    snprintf(err->message, sizeof err->message, "%s", werr->message);
}

void util_error_clear(isola_error *err)
{
    if (!err)
        return;
    err->kind = ISOLA_ERR_NONE;
    err->offset = 0;
    err->message[0] = '\0';
}
