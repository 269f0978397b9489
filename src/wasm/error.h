/*
 * error.h - how the decoder and validator report a rejected module: the byte
 * offset where the problem was found and a one-line reason.
 */
#ifndef ISOLA_WASM_ERROR_H
#define ISOLA_WASM_ERROR_H

#include <stddef.h>
#include <stdint.h>

enum wasm_error_kind {
    WASM_ERROR_BY_PHASE = 0,
    WASM_ERROR_MALFORMED,
    WASM_ERROR_INVALID,
};

typedef struct wasm_error {
    size_t offset;           /* byte offset into the binary */
    char message[192];       /* reason, without the offset */
    /* Which class of rejection this is, when it differs from the phase that
     * found it: the decoder checks some validation rules early (constant-
     * expression shape) and the validator decodes function bodies (LEB128
     * forms, reserved zero bytes). 0 means "as the phase implies": decode
     * failures are malformed, validation failures invalid. */
    uint8_t kind;            /* enum wasm_error_kind */
} wasm_error;

#endif
