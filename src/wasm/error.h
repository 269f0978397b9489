/*
 * error.h - how the decoder and validator report a rejected module: the byte
 * offset where the problem was found and a one-line reason.
 */
#ifndef ISOLA_WASM_ERROR_H
#define ISOLA_WASM_ERROR_H

#include <stddef.h>

typedef struct wasm_error {
    size_t offset;           /* byte offset into the binary */
    char message[192];       /* reason, without the offset */
} wasm_error;

#endif
