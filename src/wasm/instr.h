/*
 * instr.h - the one reader of WebAssembly instructions: an opcode and all of
 * its immediates, decoded from the binary into a wasm_instr.
 *
 * The decoder (structure of function bodies), the validator (typing rules)
 * and, later, the translator all read instructions through
 * wasm_read_instr(), so every binary-level rule of the instruction encoding
 * lives here: legal opcodes, LEB128 forms of the immediates, reserved zero
 * bytes, value and reference type bytes, block types. Whatever is rejected
 * here is MALFORMED (the reader's error kind). Rules that depend on the
 * module (index ranges, alignment bounds, lane ranges, select arity) are
 * validation rules and are left to the validator.
 *
 * Nothing is allocated: variable-length immediates (br_table targets, the
 * select type vector) are described by a count and a pointer into the
 * binary, already checked to be well formed.
 */
#ifndef ISOLA_WASM_INSTR_H
#define ISOLA_WASM_INSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm/module.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"
#include "wasm/simd_ops.h"

/* How a block, loop or if declares its type. */
enum wasm_blocktype_kind {
    WASM_BLOCKTYPE_KIND_EMPTY,      /* [] -> [] */
    WASM_BLOCKTYPE_KIND_VALTYPE,    /* [] -> [valtype] */
    WASM_BLOCKTYPE_KIND_TYPEIDX,    /* a function type index; not range-checked here */
};

typedef struct wasm_blocktype {
    uint8_t kind;                   /* enum wasm_blocktype_kind */
    wasm_valtype valtype;           /* KIND_VALTYPE */
    uint32_t typeidx;               /* KIND_TYPEIDX */
} wasm_blocktype;

typedef struct wasm_memarg {
    uint32_t align;                 /* log2, as encoded; the validator bounds it */
    uint32_t offset;
    uint8_t lane;                   /* SIMD load/store lane ops only */
} wasm_memarg;

/*
 * One instruction. `opcode` is its first byte; for the 0xFC and 0xFD
 * prefixes `subop` is the sub-opcode (enum wasm_opcode_fc, or a SIMD
 * sub-opcode whose table entry is `simd`). Which member of `imm` is set
 * follows from the opcode, as listed beside each member.
 */
typedef struct wasm_instr {
    uint8_t opcode;                 /* enum wasm_opcode */
    uint32_t subop;                 /* prefixed instructions only */
    const wasm_simd_opinfo *simd;   /* 0xFD only */
    size_t offset;                  /* of the first opcode byte, in the binary */
    union {
        wasm_blocktype block;       /* block, loop, if */
        /*
         * br, br_if: label; call, ref.func: function; local.*: local;
         * global.*: global; table.get/set/grow/size/fill: table;
         * memory.init, data.drop: data segment; elem.drop: elem segment.
         */
        uint32_t index;
        struct {
            uint32_t typeidx, tableidx;
        } call_indirect;
        struct {
            uint32_t count;         /* targets before the default */
            uint32_t default_label;
            const uint8_t *targets; /* `count` u32 LEB128s, well formed: read with wasm_instr_next_target */
        } br_table;
        struct {
            uint32_t count;         /* the spec allows only 1; the validator checks */
            const uint8_t *types;   /* `count` valid value type bytes */
        } select;
        struct {
            uint32_t elemidx, tableidx;
        } table_init;
        struct {
            uint32_t dst, src;
        } table_copy;
        wasm_memarg memarg;         /* loads, stores, SIMD memory ops */
        uint8_t lane;               /* SIMD extract/replace lane */
        const uint8_t *bytes16;     /* v128.const value, i8x16.shuffle lanes: 16 bytes in the binary */
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        wasm_valtype reftype;       /* ref.null */
    } imm;
} wasm_instr;

/*
 * Reads the instruction at r's position into *out and advances past it.
 * Returns false with the reader failed (error kind MALFORMED, offset at the
 * offending byte) on an illegal opcode or a malformed immediate; the spec's
 * wording leads the message ("illegal opcode", "zero byte expected",
 * "integer too large", "unexpected end", ...).
 */
static inline bool wasm_read_instr(wasm_reader *r, wasm_instr *out);

/* The out-of-line part of wasm_read_instr(): instructions with immediates, and every error. */
bool wasm_read_instr_slow(wasm_reader *r, wasm_instr *out);

/* What follows each one-byte opcode; the table is instr.c's, shared only for the inline path below. */
enum wasm_instr_imm_class {
    WASM_IMM_ILLEGAL,   /* no instruction of WebAssembly 2.0 */
    WASM_IMM_NONE,      /* no immediate */
    WASM_IMM_INDEX,     /* one u32 index */
    WASM_IMM_MEMARG,    /* memarg */
    WASM_IMM_OTHER,     /* anything else */
};
extern const uint8_t wasm_instr_imm_class[256];

/*
 * Instructions without immediates are about half of real code, and every
 * body is read twice at load (decoder, validator), so they take the inline
 * path; the rest is wasm_read_instr_slow().
 */
static inline bool wasm_read_instr(wasm_reader *r, wasm_instr *out)
{
    if (r->p < r->end && !r->failed && wasm_instr_imm_class[*r->p] == WASM_IMM_NONE) {
        out->offset = (size_t)(r->p - r->base);
        out->opcode = *r->p++;
        out->subop = 0;
        out->simd = NULL;
        return true;
    }
    return wasm_read_instr_slow(r, out);
}

/*
 * Next br_table target from *p, advancing it. Only for the `targets` of a
 * wasm_instr, whose encodings wasm_read_instr already checked, so no bounds
 * or form checks are repeated here.
 */
static inline uint32_t wasm_instr_next_target(const uint8_t **p)
{
    const uint8_t *q = *p;
    uint32_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *q++;
        v |= (uint32_t)(b & 0x7F) << shift;
        shift += 7;
    } while (b & 0x80);
    *p = q;
    return v;
}

/* True for block, loop and if: the instructions that open a nesting level. */
static inline bool wasm_instr_opens_block(const wasm_instr *in)
{
    return in->opcode == WASM_OP_BLOCK || in->opcode == WASM_OP_LOOP || in->opcode == WASM_OP_IF;
}

#endif
