/*
 * util/error.h - filling in the public isola_error: one place that knows how
 * to format a message into it and how a wasm_error (decoder, validator) maps
 * onto it, so every layer reports failures the same way.
 */
#ifndef ISOLA_UTIL_ERROR_H
#define ISOLA_UTIL_ERROR_H

#include <stddef.h>

#include "isola/engine.h"
#include "wasm/error.h"

/* Sets kind, offset 0 and a printf-style message. `err` may be NULL. Always returns false. */
bool util_error_set(isola_error *err, isola_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies a decoder/validator error (reason and offset) under `kind`. `err` may be NULL. */
void util_error_from_wasm(isola_error *err, isola_error_kind kind, const wasm_error *werr);

/* Resets `err` to ISOLA_ERR_NONE with an empty message. `err` may be NULL. */
void util_error_clear(isola_error *err);

#endif
