/*
 * instr.c - wasm_read_instr(): one instruction and its immediates, with the
 * binary-format rules of the instruction encoding (see instr.h).
 *
 * Errors are reported through the reader, so they carry its MALFORMED kind
 * and the offset of the offending byte; an unknown opcode is reported at the
 * instruction's first byte, where a disassembler would show it.
 */
#include "wasm/instr.h"

#include <assert.h>
#include <string.h>

#include "wasm/opcodes.h"

/*
 * Most immediates are small, so their LEB128 is one byte: take that case
 * here without a call, and leave every longer form (and every error) to the
 * shared reader, which owns the encoding rules.
 */
static inline uint32_t read_u32(wasm_reader *r)
{
    if (r->p < r->end && !(*r->p & 0x80))
        return *r->p++;
    return wasm_read_u32(r);
}

static inline int32_t read_s32(wasm_reader *r)
{
    if (r->p < r->end && !(*r->p & 0x80)) {
        uint8_t b = *r->p++;
        return (int32_t)(b & 0x40 ? (uint32_t)b | 0xFFFFFF80u : b);
    }
    return wasm_read_s32(r);
}

static inline int64_t read_s64(wasm_reader *r)
{
    if (r->p < r->end && !(*r->p & 0x80)) {
        uint8_t b = *r->p++;
        return (int64_t)(b & 0x40 ? (uint64_t)b | ~(uint64_t)0x7F : b);
    }
    return wasm_read_s64(r);
}

static bool is_valtype_byte(uint8_t b)
{
    switch (b) {
    case WASM_I32: case WASM_I64: case WASM_F32: case WASM_F64:
    case WASM_V128: case WASM_FUNCREF: case WASM_EXTERNREF:
        return true;
    default:
        return false;
    }
}

/* An unknown opcode or sub-opcode: reported at the instruction's first byte. */
static bool fail_illegal(wasm_reader *r, const wasm_instr *in)
{
    r->p = r->base + in->offset;
    if (in->opcode == WASM_OP_PREFIX_FC || in->opcode == WASM_OP_PREFIX_SIMD)
        return wasm_reader_fail(r, "illegal opcode 0x%02x %u", in->opcode, in->subop);
    return wasm_reader_fail(r, "illegal opcode 0x%02x", in->opcode);
}

static bool read_zero_byte(wasm_reader *r)
{
    uint8_t b = wasm_read_u8(r);
    if (r->failed)
        return false;
    if (b != 0) {
        r->p--;
        return wasm_reader_fail(r, "zero byte expected");
    }
    return true;
}

/*
 * blocktype ::= 0x40 | valtype | s33 (>= 0). The two one-byte forms are
 * negative as s33, so a non-negative s33 is all that is left for indices.
 */
static bool read_blocktype(wasm_reader *r, wasm_blocktype *bt)
{
    if (wasm_reader_at_end(r))
        return wasm_reader_fail(r, "unexpected end");
    uint8_t b = *r->p;
    if (b == WASM_BLOCKTYPE_EMPTY || is_valtype_byte(b)) {
        r->p++;
        bt->kind = b == WASM_BLOCKTYPE_EMPTY ? WASM_BLOCKTYPE_KIND_EMPTY : WASM_BLOCKTYPE_KIND_VALTYPE;
        bt->valtype = b == WASM_BLOCKTYPE_EMPTY ? 0 : b;
        return true;
    }
    const uint8_t *start = r->p;
    int64_t v = wasm_read_s33(r);
    if (r->failed)
        return false;
    if (v < 0) {
        r->p = start;
        if (b >= 0x40 && b < 0x80)
            return wasm_reader_fail(r, "malformed value type 0x%02x", b);
        return wasm_reader_fail(r, "malformed block type");
    }
    bt->kind = WASM_BLOCKTYPE_KIND_TYPEIDX;
    bt->typeidx = (uint32_t)v;
    return true;
}

static bool read_memarg(wasm_reader *r, wasm_memarg *ma)
{
    ma->align = read_u32(r);
    ma->offset = read_u32(r);
    ma->lane = 0;
    return !r->failed;
}

/* A vector length whose entries take at least one byte each: more than the bytes left is a lie. */
static uint32_t read_vec_count(wasm_reader *r)
{
    uint32_t n = read_u32(r);
    if (!r->failed && n > wasm_reader_remaining(r)) {
        wasm_reader_fail(r, "unexpected end: vector of %u entries, %zu bytes left", n, wasm_reader_remaining(r));
        return 0;
    }
    return n;
}

static bool read_br_table(wasm_reader *r, wasm_instr *in)
{
    uint32_t n = read_vec_count(r);
    in->imm.br_table.count = n;
    in->imm.br_table.targets = r->p;
    for (uint32_t i = 0; i < n && !r->failed; i++)
        (void)read_u32(r);
    in->imm.br_table.default_label = read_u32(r);
    return !r->failed;
}

static bool read_select_types(wasm_reader *r, wasm_instr *in)
{
    uint32_t n = read_vec_count(r);
    if (r->failed)
        return false;
    const uint8_t *types = wasm_read_bytes(r, n);
    assert(types);   /* n was checked against the bytes left */
    for (uint32_t i = 0; i < n; i++) {
        if (!is_valtype_byte(types[i])) {
            r->p = types + i;
            return wasm_reader_fail(r, "malformed value type 0x%02x", types[i]);
        }
    }
    in->imm.select.count = n;
    in->imm.select.types = types;
    return true;
}

static bool read_reftype(wasm_reader *r, wasm_valtype *out)
{
    uint8_t b = wasm_read_u8(r);
    if (r->failed)
        return false;
    if (b != WASM_FUNCREF && b != WASM_EXTERNREF) {
        r->p--;
        return wasm_reader_fail(r, "malformed reference type 0x%02x", b);
    }
    *out = b;
    return true;
}

static bool read_prefix_fc(wasm_reader *r, wasm_instr *in)
{
    in->subop = read_u32(r);
    if (r->failed)
        return false;
    switch (in->subop) {
    case WASM_FC_I32_TRUNC_SAT_F32_S: case WASM_FC_I32_TRUNC_SAT_F32_U:
    case WASM_FC_I32_TRUNC_SAT_F64_S: case WASM_FC_I32_TRUNC_SAT_F64_U:
    case WASM_FC_I64_TRUNC_SAT_F32_S: case WASM_FC_I64_TRUNC_SAT_F32_U:
    case WASM_FC_I64_TRUNC_SAT_F64_S: case WASM_FC_I64_TRUNC_SAT_F64_U:
        return true;
    case WASM_FC_MEMORY_INIT:
        in->imm.index = read_u32(r);
        return !r->failed && read_zero_byte(r);
    case WASM_FC_DATA_DROP:
    case WASM_FC_ELEM_DROP:
    case WASM_FC_TABLE_GROW:
    case WASM_FC_TABLE_SIZE:
    case WASM_FC_TABLE_FILL:
        in->imm.index = read_u32(r);
        return !r->failed;
    case WASM_FC_MEMORY_COPY:
        return read_zero_byte(r) && read_zero_byte(r);
    case WASM_FC_MEMORY_FILL:
        return read_zero_byte(r);
    case WASM_FC_TABLE_INIT:
        in->imm.table_init.elemidx = read_u32(r);
        in->imm.table_init.tableidx = read_u32(r);
        return !r->failed;
    case WASM_FC_TABLE_COPY:
        in->imm.table_copy.dst = read_u32(r);
        in->imm.table_copy.src = read_u32(r);
        return !r->failed;
    default:
        return fail_illegal(r, in);
    }
}

static bool read_prefix_simd(wasm_reader *r, wasm_instr *in)
{
    in->subop = read_u32(r);
    if (r->failed)
        return false;
    const wasm_simd_opinfo *op = wasm_simd_op(in->subop);
    if (!op)
        return fail_illegal(r, in);
    in->simd = op;
    switch (op->imm) {
    case WASM_SIMD_IMM_NONE:
        return true;
    case WASM_SIMD_IMM_MEMARG:
        return read_memarg(r, &in->imm.memarg);
    case WASM_SIMD_IMM_MEMARG_LANE:
        if (!read_memarg(r, &in->imm.memarg))
            return false;
        in->imm.memarg.lane = wasm_read_u8(r);
        return !r->failed;
    case WASM_SIMD_IMM_LANE:
        in->imm.lane = wasm_read_u8(r);
        return !r->failed;
    case WASM_SIMD_IMM_V128:
    case WASM_SIMD_IMM_SHUFFLE:
        in->imm.bytes16 = wasm_read_bytes(r, 16);
        return !r->failed;
    default:
        assert(!"unknown SIMD immediate kind");
        return wasm_reader_fail(r, "internal error: SIMD immediate kind %u", op->imm);
    }
}

/*
 * The class of each one-byte opcode (enum wasm_instr_imm_class), so the
 * common instructions (no immediate, one index, a memarg) are read without
 * the full switch of read_other_immediates(). Rows are the high nibble of
 * the opcode, columns the low nibble.
 */
enum { X = WASM_IMM_ILLEGAL, N = WASM_IMM_NONE, I = WASM_IMM_INDEX, M = WASM_IMM_MEMARG, O = WASM_IMM_OTHER };

const uint8_t wasm_instr_imm_class[256] = {
    /*        0  1  2  3  4  5  6  7  8  9  A  B  C  D  E  F */
    /* 0 */   N, N, O, O, O, N, X, X, X, X, X, N, I, I, O, N,
    /* 1 */   I, O, X, X, X, X, X, X, X, X, N, N, O, X, X, X,
    /* 2 */   I, I, I, I, I, I, I, X, M, M, M, M, M, M, M, M,
    /* 3 */   M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, O,
    /* 4 */   O, O, O, O, O, N, N, N, N, N, N, N, N, N, N, N,
    /* 5 */   N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    /* 6 */   N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    /* 7 */   N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    /* 8 */   N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    /* 9 */   N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    /* A */   N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    /* B */   N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    /* C */   N, N, N, N, N, X, X, X, X, X, X, X, X, X, X, X,
    /* D */   O, N, I, X, X, X, X, X, X, X, X, X, X, X, X, X,
    /* E */   X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    /* F */   X, X, X, X, X, X, X, X, X, X, X, X, O, O, X, X,
};

/* The instructions of class O. */
static bool read_other_immediates(wasm_reader *r, wasm_instr *in)
{
    switch (in->opcode) {
    case WASM_OP_BLOCK:
    case WASM_OP_LOOP:
    case WASM_OP_IF:
        return read_blocktype(r, &in->imm.block);
    case WASM_OP_BR_TABLE:
        return read_br_table(r, in);
    case WASM_OP_CALL_INDIRECT:
        in->imm.call_indirect.typeidx = read_u32(r);
        in->imm.call_indirect.tableidx = read_u32(r);
        return !r->failed;
    case WASM_OP_SELECT_T:
        return read_select_types(r, in);
    case WASM_OP_MEMORY_SIZE:
    case WASM_OP_MEMORY_GROW:
        return read_zero_byte(r);
    case WASM_OP_I32_CONST:
        in->imm.i32 = read_s32(r);
        return !r->failed;
    case WASM_OP_I64_CONST:
        in->imm.i64 = read_s64(r);
        return !r->failed;
    case WASM_OP_F32_CONST:
        in->imm.f32_bits = wasm_read_fixed32(r);
        return !r->failed;
    case WASM_OP_F64_CONST:
        in->imm.f64_bits = wasm_read_fixed64(r);
        return !r->failed;
    case WASM_OP_REF_NULL:
        return read_reftype(r, &in->imm.reftype);
    case WASM_OP_PREFIX_FC:
        return read_prefix_fc(r, in);
    case WASM_OP_PREFIX_SIMD:
        return read_prefix_simd(r, in);
    default:
        assert(!"wasm_instr_imm_class and read_other_immediates disagree");
        return fail_illegal(r, in);
    }
}

bool wasm_read_instr_slow(wasm_reader *r, wasm_instr *in)
{
    in->offset = wasm_reader_offset(r);
    in->subop = 0;
    in->simd = NULL;
    if (r->failed || r->p >= r->end) {
        in->opcode = 0;
        (void)wasm_read_u8(r);   /* records "unexpected end" unless already failed */
        return false;
    }
    uint8_t op = *r->p++;
    in->opcode = op;
    switch (wasm_instr_imm_class[op]) {
    case N:
        return true;
    case I:
        in->imm.index = read_u32(r);
        return !r->failed;
    case M:
        return read_memarg(r, &in->imm.memarg);
    case O:
        return read_other_immediates(r, in);
    default:
        return fail_illegal(r, in);
    }
}
