/*
 * decode.h - WebAssembly 2.0 binary format to wasm_module.
 *
 * wasm_decode() checks everything the binary format itself requires (magic,
 * version, section order and sizes, LEB128 forms, counts against the bytes
 * that remain, UTF-8 names, constant-expression shape, data-count agreement)
 * and parses the custom `name` section for function names. It does not type
 * check function bodies; that is wasm_validate()'s job.
 */
#ifndef ISOLA_WASM_DECODE_H
#define ISOLA_WASM_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "wasm/error.h"
#include "wasm/module.h"

/* Returns a new module (owning a copy of `bytes`), or NULL with `err` filled in. */
wasm_module *wasm_decode(const uint8_t *bytes, size_t len, wasm_error *err);

#endif
