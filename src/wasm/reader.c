/*
 * reader.c - the bounds-checked byte cursor of reader.h: LEB128 integers in
 * their canonical-length forms, little-endian floats' bits, raw byte runs.
 *
 * Every LEB128 decoder enforces the two binary-format rules the spec tests
 * probe: an encoding may not be longer than ceil(N/7) bytes ("integer
 * representation too long"), and the bits of the last byte beyond N must be
 * zero for unsigned and copies of the sign bit for signed integers ("integer
 * too large").
 */
#include "wasm/reader.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

void wasm_reader_init(wasm_reader *r, const uint8_t *base, const uint8_t *p, const uint8_t *end, wasm_error *err)
{
    assert(base <= p && p <= end);
    r->base = base;
    r->p = p;
    r->end = end;
    r->failed = false;
    r->err = err;
}

bool wasm_reader_fail(wasm_reader *r, const char *fmt, ...)
{
    /* Only the first failure is kept: later ones are consequences of it. */
    if (!r->failed && r->err) {
        va_list ap;
        r->err->offset = wasm_reader_offset(r);
        /* Anything the reader rejects is a binary-format problem, whichever phase was reading. */
        r->err->kind = WASM_ERROR_MALFORMED;
        va_start(ap, fmt);
        vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
        va_end(ap);
    }
    r->failed = true;
    return false;
}

uint8_t wasm_read_u8(wasm_reader *r)
{
    if (r->failed)
        return 0;
    if (r->p >= r->end) {
        wasm_reader_fail(r, "unexpected end");
        return 0;
    }
    return *r->p++;
}

/*
 * Reads up to max_bytes LEB128 groups into an unsigned 64-bit accumulator.
 * Leaves the last byte read in *last and the group count in *nbytes; the
 * callers check the unused bits of that last byte for their width.
 */
static bool leb_read_raw(wasm_reader *r, unsigned max_bytes, uint64_t *value, uint8_t *last, unsigned *nbytes)
{
    uint64_t result = 0;
    unsigned shift = 0;
    const uint8_t *start = r->p;
    for (unsigned i = 0; i < max_bytes; i++) {
        if (r->p >= r->end) {
            wasm_reader_fail(r, "unexpected end");
            return false;
        }
        uint8_t byte = *r->p++;
        result |= (uint64_t)(byte & 0x7F) << shift;
        shift += 7;
        if (!(byte & 0x80)) {
            *value = result;
            *last = byte;
            *nbytes = i + 1;
            return true;
        }
    }
    /* Report at the start of the integer: that is where the bad encoding begins. */
    r->p = start;
    wasm_reader_fail(r, "integer representation too long");
    return false;
}

/* Unsigned LEB128 of `bits` bits. */
static uint64_t leb_read_unsigned(wasm_reader *r, unsigned bits)
{
    if (r->failed)
        return 0;
    unsigned max_bytes = (bits + 6) / 7;
    uint64_t v;
    uint8_t last;
    unsigned n;
    if (!leb_read_raw(r, max_bytes, &v, &last, &n))
        return 0;
    if (n == max_bytes) {
        unsigned used = bits - 7 * (max_bytes - 1);     /* payload bits in the last byte */
        if ((last & 0x7F) >> used) {
            r->p--;
            wasm_reader_fail(r, "integer too large");
            return 0;
        }
    }
    return v;
}

/* Signed LEB128 of `bits` bits, sign-extended to 64 bits. */
static int64_t leb_read_signed(wasm_reader *r, unsigned bits)
{
    if (r->failed)
        return 0;
    unsigned max_bytes = (bits + 6) / 7;
    uint64_t v;
    uint8_t last;
    unsigned n;
    if (!leb_read_raw(r, max_bytes, &v, &last, &n))
        return 0;
    unsigned total = 7 * n;
    if (n == max_bytes) {
        /* Bits from the sign bit up to bit 6 of the last byte must all be equal. */
        unsigned used = bits - 7 * (max_bytes - 1);
        uint8_t high = (uint8_t)((last & 0x7F) >> (used - 1));
        uint8_t all = (uint8_t)(0x7F >> (used - 1));
        if (high != 0 && high != all) {
            r->p--;
            wasm_reader_fail(r, "integer too large");
            return 0;
        }
    }
    if (total < 64 && (v >> (total - 1)) & 1)
        v |= ~(uint64_t)0 << total;
    return (int64_t)v;
}

uint32_t wasm_read_u32(wasm_reader *r) { return (uint32_t)leb_read_unsigned(r, 32); }
int32_t wasm_read_s32(wasm_reader *r) { return (int32_t)(uint32_t)leb_read_signed(r, 32); }
int64_t wasm_read_s64(wasm_reader *r) { return leb_read_signed(r, 64); }
int64_t wasm_read_s33(wasm_reader *r) { return leb_read_signed(r, 33); }

uint32_t wasm_read_fixed32(wasm_reader *r)
{
    const uint8_t *b = wasm_read_bytes(r, 4);
    if (!b)
        return 0;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint64_t wasm_read_fixed64(wasm_reader *r)
{
    const uint8_t *b = wasm_read_bytes(r, 8);
    if (!b)
        return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

const uint8_t *wasm_read_bytes(wasm_reader *r, size_t n)
{
    if (r->failed)
        return NULL;
    if (n > wasm_reader_remaining(r)) {
        wasm_reader_fail(r, "unexpected end");
        return NULL;
    }
    const uint8_t *b = r->p;
    r->p += n;
    return b;
}
