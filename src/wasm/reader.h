/*
 * reader.h - a bounds-checked cursor over WebAssembly bytes.
 *
 * Shared by the decoder, the validator and the translator so that LEB128 and
 * the other primitive encodings are read in exactly one place. A failed read
 * sets `failed`, records the offset and reason in the error, and returns 0;
 * later reads on a failed reader keep returning 0, so callers can check once
 * after a group of reads instead of after each.
 */
#ifndef ISOLA_WASM_READER_H
#define ISOLA_WASM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm/error.h"

typedef struct wasm_reader {
    const uint8_t *base;     /* start of the whole binary: offsets are relative to it */
    const uint8_t *p;        /* next byte */
    const uint8_t *end;      /* one past the last readable byte */
    bool failed;
    wasm_error *err;         /* where the first failure is recorded; may be NULL */
} wasm_reader;

void wasm_reader_init(wasm_reader *r, const uint8_t *base, const uint8_t *p, const uint8_t *end, wasm_error *err);

/* Records a failure at the reader's current offset (printf-style) and returns false. */
bool wasm_reader_fail(wasm_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline size_t wasm_reader_offset(const wasm_reader *r) { return (size_t)(r->p - r->base); }
static inline size_t wasm_reader_remaining(const wasm_reader *r) { return (size_t)(r->end - r->p); }
static inline bool wasm_reader_at_end(const wasm_reader *r) { return r->p >= r->end; }

uint8_t wasm_read_u8(wasm_reader *r);
uint32_t wasm_read_u32(wasm_reader *r);        /* unsigned LEB128, at most 5 bytes */
int32_t wasm_read_s32(wasm_reader *r);         /* signed LEB128, at most 5 bytes */
int64_t wasm_read_s64(wasm_reader *r);         /* signed LEB128, at most 10 bytes */
int64_t wasm_read_s33(wasm_reader *r);         /* signed LEB128, at most 5 bytes (block types) */
uint32_t wasm_read_fixed32(wasm_reader *r);    /* little-endian, for f32 */
uint64_t wasm_read_fixed64(wasm_reader *r);    /* little-endian, for f64 */
const uint8_t *wasm_read_bytes(wasm_reader *r, size_t n);   /* returns a pointer to n bytes, or NULL */

#endif
