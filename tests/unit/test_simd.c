/*
 * test_simd.c - the SIMD opcode table (wasm/simd_ops.c) and the lane
 * semantics (exec/simd.c) on their tricky cases: NaN and signed-zero rules,
 * saturation, rounding, out-of-range lane indices, shift counts, aliasing
 * of output and inputs, and the memory shaping helpers. Then every
 * assert_return of the spec suite's simd_*.wast whose function is straight
 * line code (local/global gets, constants, loads, SIMD instructions) is
 * evaluated directly against exec/simd.c, without the interpreter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/simd.h"
#include "wasm/decode.h"
#include "wasm/simd_ops.h"

/* ---- helpers ---- */

typedef struct v128 {
    uint8_t b[16];
} v128;

static v128 from_u8(const uint8_t l[16])
{
    v128 v;
    memcpy(v.b, l, 16);
    return v;
}

static v128 from_i16(int16_t a, int16_t b, int16_t c, int16_t d, int16_t e, int16_t f, int16_t g, int16_t h)
{
    int16_t l[8] = {a, b, c, d, e, f, g, h};
    v128 v;
    memcpy(v.b, l, 16);
    return v;
}

static v128 from_u32(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    uint32_t l[4] = {a, b, c, d};
    v128 v;
    memcpy(v.b, l, 16);
    return v;
}

static v128 from_f32(float a, float b, float c, float d)
{
    float l[4] = {a, b, c, d};
    v128 v;
    memcpy(v.b, l, 16);
    return v;
}

static v128 from_f64(double a, double b)
{
    double l[2] = {a, b};
    v128 v;
    memcpy(v.b, l, 16);
    return v;
}

static uint32_t u32_lane(v128 v, int i)
{
    uint32_t x;
    memcpy(&x, v.b + 4 * i, 4);
    return x;
}

static int16_t i16_lane(v128 v, int i)
{
    int16_t x;
    memcpy(&x, v.b + 2 * i, 2);
    return x;
}

static uint64_t u64_lane(v128 v, int i)
{
    uint64_t x;
    memcpy(&x, v.b + 8 * i, 8);
    return x;
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static v128 op2(uint32_t index, v128 a, v128 b)
{
    v128 r;
    exec_simd_op(index, r.b, a.b, b.b, NULL, 0, NULL);
    return r;
}

static v128 op1(uint32_t index, v128 a)
{
    v128 r;
    exec_simd_op(index, r.b, a.b, NULL, NULL, 0, NULL);
    return r;
}

/* A scalar operand/result slot. */
static uint64_t slot_op(uint32_t index, v128 a, uint32_t lane)
{
    uint8_t out[8];
    memset(out, 0xAA, sizeof out);
    exec_simd_op(index, out, a.b, NULL, NULL, lane, NULL);
    uint64_t s;
    memcpy(&s, out, 8);
    return s;
}

static v128 shift(uint32_t index, v128 a, uint32_t count)
{
    uint64_t s = count;
    uint8_t slot[8];
    memcpy(slot, &s, 8);
    v128 r;
    exec_simd_op(index, r.b, a.b, slot, NULL, 0, NULL);
    return r;
}

static bool is_canonical_nan32(uint32_t u) { return (u & 0x7FFFFFFFu) == 0x7FC00000u; }

/* ---- the opcode table ---- */

static void test_table_is_consistent(void **state)
{
    (void)state;
    uint32_t found = 0;
    for (uint32_t sub = 0; sub < 0x200; sub++) {
        const wasm_simd_opinfo *op = wasm_simd_op(sub);
        if (!op)
            continue;
        assert_int_equal(op->subop, sub);
        assert_ptr_equal(wasm_simd_op_at(op->index), op);
        assert_true(op->nparams <= 3);
        if (wasm_simd_is_memory_op(op)) {
            assert_int_equal(op->params[0], WASM_I32);
            assert_true(op->align <= 4);
        }
        if (op->imm == WASM_SIMD_IMM_LANE || op->imm == WASM_SIMD_IMM_MEMARG_LANE)
            assert_true(op->lanes == 2 || op->lanes == 4 || op->lanes == 8 || op->lanes == 16);
        found++;
    }
    assert_int_equal(found, WASM_SIMD_NOPS);
    assert_int_equal(WASM_SIMD_NOPS, 236);
    for (uint32_t i = 0; i < WASM_SIMD_NOPS; i++)
        for (uint32_t j = i + 1; j < WASM_SIMD_NOPS; j++)
            assert_string_not_equal(wasm_simd_op_at(i)->name, wasm_simd_op_at(j)->name);
}

static void test_table_entries(void **state)
{
    (void)state;
    /* Gaps in the numbering and out-of-range sub-opcodes are unknown. */
    assert_null(wasm_simd_op(0x9A));
    assert_null(wasm_simd_op(0xA2));
    assert_null(wasm_simd_op(0xBB));
    assert_null(wasm_simd_op(0x100));
    assert_null(wasm_simd_op(UINT32_MAX));

    const wasm_simd_opinfo *op = wasm_simd_op(0xAE);
    assert_string_equal(op->name, "i32x4.add");
    assert_int_equal(op->index, WASM_SIMD_I32X4_ADD);
    assert_int_equal(op->nparams, 2);
    assert_int_equal(op->result, WASM_V128);

    op = wasm_simd_op(0x52);
    assert_string_equal(op->name, "v128.bitselect");
    assert_int_equal(op->nparams, 3);

    op = wasm_simd_op(0x15);
    assert_string_equal(op->name, "i8x16.extract_lane_s");
    assert_int_equal(op->imm, WASM_SIMD_IMM_LANE);
    assert_int_equal(op->lanes, 16);
    assert_int_equal(op->result, WASM_I32);

    op = wasm_simd_op(0x5B);
    assert_string_equal(op->name, "v128.store64_lane");
    assert_int_equal(op->imm, WASM_SIMD_IMM_MEMARG_LANE);
    assert_int_equal(op->lanes, 2);
    assert_int_equal(op->align, 3);
    assert_int_equal(op->result, WASM_SIMD_NO_RESULT);

    op = wasm_simd_op(0x0D);
    assert_int_equal(op->imm, WASM_SIMD_IMM_SHUFFLE);
    assert_int_equal(op->lanes, 32);

    op = wasm_simd_op(0x12);
    assert_string_equal(op->name, "i64x2.splat");
    assert_int_equal(op->params[0], WASM_I64);

    op = wasm_simd_op(0xFF);
    assert_string_equal(op->name, "f64x2.convert_low_i32x4_u");
}

/* ---- float rules ---- */

static void test_float_min_max(void **state)
{
    (void)state;
    v128 a = from_f32(-0.0f, 0.0f, NAN, 1.0f);
    v128 b = from_f32(0.0f, -0.0f, 1.0f, f32_from_bits(0x7FA00000u));
    v128 mn = op2(WASM_SIMD_F32X4_MIN, a, b);
    v128 mx = op2(WASM_SIMD_F32X4_MAX, a, b);
    assert_int_equal(u32_lane(mn, 0), 0x80000000u);
    assert_int_equal(u32_lane(mn, 1), 0x80000000u);
    assert_true(is_canonical_nan32(u32_lane(mn, 2)));
    assert_true(is_canonical_nan32(u32_lane(mn, 3)));   /* a signalling NaN operand too */
    assert_int_equal(u32_lane(mx, 0), 0);
    assert_int_equal(u32_lane(mx, 1), 0);
    assert_true(is_canonical_nan32(u32_lane(mx, 2)));

    v128 d = op2(WASM_SIMD_F64X2_MIN, from_f64(-0.0, 2.0), from_f64(0.0, NAN));
    assert_int_equal(u64_lane(d, 0), 0x8000000000000000u);
    assert_int_equal(u64_lane(d, 1) & 0x7FFFFFFFFFFFFFFFu, 0x7FF8000000000000u);
}

static void test_float_pmin_pmax(void **state)
{
    (void)state;
    /* pmin(a, b) = b < a ? b : a, so a NaN or -0 in `a` survives bit-exactly. */
    uint32_t payload = 0x7FC12345u;
    v128 a = from_f32(f32_from_bits(payload), -0.0f, 1.0f, 3.0f);
    v128 b = from_f32(1.0f, 0.0f, f32_from_bits(payload), 2.0f);
    v128 mn = op2(WASM_SIMD_F32X4_PMIN, a, b);
    assert_int_equal(u32_lane(mn, 0), payload);
    assert_int_equal(u32_lane(mn, 1), 0x80000000u);
    assert_int_equal(u32_lane(mn, 2), f32_bits(1.0f));
    assert_int_equal(u32_lane(mn, 3), f32_bits(2.0f));
    v128 mx = op2(WASM_SIMD_F32X4_PMAX, a, b);
    assert_int_equal(u32_lane(mx, 0), payload);
    assert_int_equal(u32_lane(mx, 1), 0x80000000u);
    assert_int_equal(u32_lane(mx, 3), f32_bits(3.0f));
}

static void test_float_rounding(void **state)
{
    (void)state;
    v128 r = op1(WASM_SIMD_F32X4_NEAREST, from_f32(0.5f, 1.5f, 2.5f, -0.5f));
    assert_int_equal(u32_lane(r, 0), f32_bits(0.0f));
    assert_int_equal(u32_lane(r, 1), f32_bits(2.0f));
    assert_int_equal(u32_lane(r, 2), f32_bits(2.0f));
    assert_int_equal(u32_lane(r, 3), f32_bits(-0.0f));

    /* A signalling NaN comes out quiet (arithmetic), whatever libm does. */
    v128 snan = from_u32(0x7FA00000u, 0xFFA00000u, 0x7FA00000u, 0x7FA00000u);
    const uint32_t ops[] = {WASM_SIMD_F32X4_CEIL, WASM_SIMD_F32X4_FLOOR, WASM_SIMD_F32X4_TRUNC,
                            WASM_SIMD_F32X4_NEAREST, WASM_SIMD_F32X4_SQRT};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        r = op1(ops[k], snan);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(u32_lane(r, i) & 0x7F800000u, 0x7F800000u);
            assert_true(u32_lane(r, i) & 0x00400000u);
        }
    }

    r = op1(WASM_SIMD_F64X2_NEAREST, from_f64(-2.5, 4503599627370497.0));
    assert_int_equal(u64_lane(r, 0), f64_bits(-2.0));
    assert_int_equal(u64_lane(r, 1), f64_bits(4503599627370497.0));
}

static void test_trunc_sat(void **state)
{
    (void)state;
    v128 r = op1(WASM_SIMD_I32X4_TRUNC_SAT_F32X4_S, from_f32(NAN, 3e9f, -3e9f, -1.9f));
    assert_int_equal(u32_lane(r, 0), 0);
    assert_int_equal(u32_lane(r, 1), 0x7FFFFFFFu);
    assert_int_equal(u32_lane(r, 2), 0x80000000u);
    assert_int_equal(u32_lane(r, 3), (uint32_t)-1);

    r = op1(WASM_SIMD_I32X4_TRUNC_SAT_F32X4_U, from_f32(-0.9f, -5.0f, 5e9f, 4294967040.0f));
    assert_int_equal(u32_lane(r, 0), 0);
    assert_int_equal(u32_lane(r, 1), 0);
    assert_int_equal(u32_lane(r, 2), 0xFFFFFFFFu);
    assert_int_equal(u32_lane(r, 3), 4294967040u);

    r = op1(WASM_SIMD_I32X4_TRUNC_SAT_F64X2_S_ZERO, from_f64(-2147483648.9, 2147483647.9));
    assert_int_equal(u32_lane(r, 0), 0x80000000u);
    assert_int_equal(u32_lane(r, 1), 0x7FFFFFFFu);
    assert_int_equal(u64_lane(r, 1), 0);
}

static void test_conversions(void **state)
{
    (void)state;
    /* 0xFFFFFFFF is not a float: it rounds to 2^32. 0x01000001 rounds to even. */
    v128 r = op1(WASM_SIMD_F32X4_CONVERT_I32X4_U, from_u32(0xFFFFFFFFu, 0x01000001u, 0, 0x80000000u));
    assert_int_equal(u32_lane(r, 0), f32_bits(4294967296.0f));
    assert_int_equal(u32_lane(r, 1), f32_bits(16777216.0f));
    assert_int_equal(u32_lane(r, 3), f32_bits(2147483648.0f));

    r = op1(WASM_SIMD_F64X2_CONVERT_LOW_I32X4_S, from_u32(0xFFFFFFFFu, 7, 99, 99));
    assert_int_equal(u64_lane(r, 0), f64_bits(-1.0));
    assert_int_equal(u64_lane(r, 1), f64_bits(7.0));

    r = op1(WASM_SIMD_F32X4_DEMOTE_F64X2_ZERO, from_f64(1e300, 0.1));
    assert_int_equal(u32_lane(r, 0), f32_bits(INFINITY));
    assert_int_equal(u32_lane(r, 1), f32_bits(0.1f));
    assert_int_equal(u64_lane(r, 1), 0);

    r = op1(WASM_SIMD_F64X2_PROMOTE_LOW_F32X4, from_f32(0.1f, -0.0f, 5.0f, 5.0f));
    assert_int_equal(u64_lane(r, 0), f64_bits((double)0.1f));
    assert_int_equal(u64_lane(r, 1), f64_bits(-0.0));
}

/* ---- integer rules ---- */

static void test_saturation_and_q15(void **state)
{
    (void)state;
    v128 a = from_i16(32767, -32768, 100, -1, 0, 0, 0, 0);
    v128 b = from_i16(1, -1, 32767, 0, 0, 0, 0, 0);
    v128 r = op2(WASM_SIMD_I16X8_ADD_SAT_S, a, b);
    assert_int_equal(i16_lane(r, 0), 32767);
    assert_int_equal(i16_lane(r, 1), -32768);
    assert_int_equal(i16_lane(r, 2), 32767);
    r = op2(WASM_SIMD_I16X8_SUB_SAT_U, a, b);   /* unsigned: 32767 - 1, 0x8000 - 0xFFFF = 0 */
    assert_int_equal((uint16_t)i16_lane(r, 0), 32766);
    assert_int_equal((uint16_t)i16_lane(r, 1), 0);

    a = from_i16(-32768, 16384, -16384, 1, 0, 0, 0, 0);
    b = from_i16(-32768, 16384, 16384, 16384, 0, 0, 0, 0);
    r = op2(WASM_SIMD_I16X8_Q15MULR_SAT_S, a, b);
    assert_int_equal(i16_lane(r, 0), 32767);   /* the one overflowing case */
    assert_int_equal(i16_lane(r, 1), 8192);
    assert_int_equal(i16_lane(r, 2), -8192);
    assert_int_equal(i16_lane(r, 3), 1);       /* 0.5 rounds up */
}

static void test_narrow_and_dot(void **state)
{
    (void)state;
    v128 a = from_i16(300, -300, 127, -128, 255, 256, -1, 0);
    v128 r = op2(WASM_SIMD_I8X16_NARROW_I16X8_S, a, a);
    const uint8_t want_s[8] = {127, 0x80, 127, 0x80, 127, 127, 0xFF, 0};
    assert_memory_equal(r.b, want_s, 8);
    assert_memory_equal(r.b + 8, want_s, 8);
    r = op2(WASM_SIMD_I8X16_NARROW_I16X8_U, a, a);
    const uint8_t want_u[8] = {255, 0, 127, 0, 255, 255, 0, 0};
    assert_memory_equal(r.b, want_u, 8);

    v128 x = from_i16(-32768, -32768, 2, 3, -1, 1, 0, 0);
    r = op2(WASM_SIMD_I32X4_DOT_I16X8_S, x, x);
    assert_int_equal(u32_lane(r, 0), 0x80000000u);   /* 2 * 2^30 wraps */
    assert_int_equal(u32_lane(r, 1), 13);
    assert_int_equal(u32_lane(r, 2), 2);
}

static void test_abs_popcnt_avgr_extend(void **state)
{
    (void)state;
    const uint8_t in[16] = {0x80, 0xFF, 0x7F, 0, 1, 0xF0, 0x55, 0xAA, 3, 4, 5, 6, 7, 8, 9, 10};
    v128 v = from_u8(in);
    v128 r = op1(WASM_SIMD_I8X16_ABS, v);
    assert_int_equal(r.b[0], 0x80);
    assert_int_equal(r.b[1], 1);
    r = op1(WASM_SIMD_I8X16_POPCNT, v);
    assert_int_equal(r.b[0], 1);
    assert_int_equal(r.b[1], 8);
    assert_int_equal(r.b[5], 4);
    r = op2(WASM_SIMD_I8X16_AVGR_U, v, from_u8((const uint8_t[16]){0xFF, 0xFF, 0, 0, 2}));
    assert_int_equal(r.b[0], 0xC0);   /* (128 + 255 + 1) / 2 */
    assert_int_equal(r.b[1], 0xFF);
    assert_int_equal(r.b[2], 64);
    assert_int_equal(r.b[4], 2);

    r = op1(WASM_SIMD_I16X8_EXTEND_LOW_I8X16_S, v);
    assert_int_equal(i16_lane(r, 0), -128);
    assert_int_equal(i16_lane(r, 1), -1);
    r = op1(WASM_SIMD_I16X8_EXTEND_HIGH_I8X16_U, v);
    assert_int_equal(i16_lane(r, 0), 3);
    r = op1(WASM_SIMD_I16X8_EXTADD_PAIRWISE_I8X16_S, v);
    assert_int_equal(i16_lane(r, 0), -129);
    r = op1(WASM_SIMD_I16X8_EXTADD_PAIRWISE_I8X16_U, v);
    assert_int_equal(i16_lane(r, 0), 383);

    r = op2(WASM_SIMD_I64X2_EXTMUL_HIGH_I32X4_U, from_u32(0, 0, 0xFFFFFFFFu, 2), from_u32(0, 0, 0xFFFFFFFFu, 3));
    assert_int_equal(u64_lane(r, 0), 0xFFFFFFFE00000001u);
    assert_int_equal(u64_lane(r, 1), 6);
    r = op2(WASM_SIMD_I32X4_EXTMUL_LOW_I16X8_U, from_i16(-1, 0, 0, 0, 0, 0, 0, 0), from_i16(-1, 0, 0, 0, 0, 0, 0, 0));
    assert_int_equal(u32_lane(r, 0), 0xFFFE0001u);
}

static void test_shifts_take_count_modulo_width(void **state)
{
    (void)state;
    v128 v = from_u32(0x80000001u, 1, 0xFFFFFFFFu, 0x40000000u);
    v128 r = shift(WASM_SIMD_I32X4_SHL, v, 33);
    assert_int_equal(u32_lane(r, 0), 2);
    r = shift(WASM_SIMD_I32X4_SHR_S, v, 31 + 32);
    assert_int_equal(u32_lane(r, 0), 0xFFFFFFFFu);
    assert_int_equal(u32_lane(r, 1), 0);
    r = shift(WASM_SIMD_I32X4_SHR_U, v, 0xFFFFFFFFu);   /* -1 is 31 */
    assert_int_equal(u32_lane(r, 0), 1);

    const uint8_t b[16] = {0x81, 0x40};
    r = shift(WASM_SIMD_I8X16_SHR_S, from_u8(b), 9);
    assert_int_equal(r.b[0], 0xC0);
    assert_int_equal(r.b[1], 0x20);
    r = shift(WASM_SIMD_I8X16_SHL, from_u8(b), 8);
    assert_int_equal(r.b[0], 0x81);

    r = shift(WASM_SIMD_I64X2_SHR_S, from_u32(0, 0x80000000u, 0, 0), 64 + 60);
    assert_int_equal(u64_lane(r, 0), 0xFFFFFFFFFFFFFFF8u);
}

/* ---- lane access, shuffles, reductions ---- */

static void test_shuffle_and_swizzle(void **state)
{
    (void)state;
    uint8_t lo[16], hi[16], idx[16];
    for (int i = 0; i < 16; i++) {
        lo[i] = (uint8_t)i;
        hi[i] = (uint8_t)(0x10 + i);
        idx[i] = (uint8_t)(31 - 2 * i);
    }
    v128 a = from_u8(lo), b = from_u8(hi), r;
    exec_simd_op(WASM_SIMD_I8X16_SHUFFLE, r.b, a.b, b.b, NULL, 0, idx);
    assert_int_equal(r.b[0], 0x1F);
    assert_int_equal(r.b[8], 0x0F);
    assert_int_equal(r.b[15], 0x01);

    /* Swizzle indices >= 16 (including "negative" ones) select 0. */
    const uint8_t s[16] = {0, 15, 16, 0xFF, 0x80, 3};
    r = op2(WASM_SIMD_I8X16_SWIZZLE, b, from_u8(s));
    assert_int_equal(r.b[0], 0x10);
    assert_int_equal(r.b[1], 0x1F);
    assert_int_equal(r.b[2], 0);
    assert_int_equal(r.b[3], 0);
    assert_int_equal(r.b[4], 0);
    assert_int_equal(r.b[5], 0x13);
}

static void test_lanes_and_splats(void **state)
{
    (void)state;
    const uint8_t in[16] = {0, 0xFE, 0, 0, 0, 0, 0x00, 0x80};
    v128 v = from_u8(in);
    /* i32 results fill a whole slot with zero upper bytes. */
    assert_int_equal(slot_op(WASM_SIMD_I8X16_EXTRACT_LANE_S, v, 1), 0xFFFFFFFEu);
    assert_int_equal(slot_op(WASM_SIMD_I8X16_EXTRACT_LANE_U, v, 1), 0xFEu);
    assert_int_equal(slot_op(WASM_SIMD_I16X8_EXTRACT_LANE_S, v, 3), 0xFFFF8000u);
    assert_int_equal(slot_op(WASM_SIMD_I64X2_EXTRACT_LANE, v, 0), 0x800000000000FE00u);

    uint64_t scalar = 0x1122334455667788u;
    uint8_t slot[8];
    memcpy(slot, &scalar, 8);
    v128 r;
    exec_simd_op(WASM_SIMD_I16X8_SPLAT, r.b, slot, NULL, NULL, 0, NULL);
    for (int i = 0; i < 8; i++)
        assert_int_equal((uint16_t)i16_lane(r, i), 0x7788);
    exec_simd_op(WASM_SIMD_I64X2_SPLAT, r.b, slot, NULL, NULL, 0, NULL);
    assert_int_equal(u64_lane(r, 1), scalar);

    /* Output aliasing the vector input. */
    r = from_u32(1, 2, 3, 4);
    exec_simd_op(WASM_SIMD_I32X4_REPLACE_LANE, r.b, r.b, slot, NULL, 2, NULL);
    assert_int_equal(u32_lane(r, 2), 0x55667788u);
    assert_int_equal(u32_lane(r, 3), 4);
}

static void test_reductions(void **state)
{
    (void)state;
    v128 v = from_u32(0x80000000u, 1, 0xFFFFFFFFu, 0);
    assert_int_equal(slot_op(WASM_SIMD_I32X4_BITMASK, v, 0), 0x5);
    assert_int_equal(slot_op(WASM_SIMD_I8X16_BITMASK, v, 0), 0x0F08);
    assert_int_equal(slot_op(WASM_SIMD_I32X4_ALL_TRUE, v, 0), 0);
    assert_int_equal(slot_op(WASM_SIMD_I16X8_ALL_TRUE, from_u32(0x00010001u, 0x00010001u, 0x00010001u, 0x00010001u), 0), 1);
    assert_int_equal(slot_op(WASM_SIMD_I64X2_ALL_TRUE, from_u32(0, 1, 1, 0), 0), 1);
    assert_int_equal(slot_op(WASM_SIMD_V128_ANY_TRUE, from_u32(0, 0, 0, 0), 0), 0);
    assert_int_equal(slot_op(WASM_SIMD_V128_ANY_TRUE, from_u32(0, 0, 0, 0x100), 0), 1);
}

static void test_bitwise(void **state)
{
    (void)state;
    v128 a = from_u32(0xFFFF0000u, 0, 0, 0), b = from_u32(0x0000FFFFu, 0, 0, 0);
    v128 m = from_u32(0xFF00FF00u, 0, 0, 0), r;
    exec_simd_op(WASM_SIMD_V128_BITSELECT, r.b, a.b, b.b, m.b, 0, NULL);
    assert_int_equal(u32_lane(r, 0), 0xFF0000FFu);
    r = op2(WASM_SIMD_V128_ANDNOT, from_u32(0xFFu, 0, 0, 0), from_u32(0x0Fu, 0, 0, 0));
    assert_int_equal(u32_lane(r, 0), 0xF0u);
    r = op2(WASM_SIMD_F32X4_NE, from_f32(NAN, 1, 1, 1), from_f32(NAN, 1, 2, 1));
    assert_int_equal(u32_lane(r, 0), 0xFFFFFFFFu);
    assert_int_equal(u32_lane(r, 1), 0);
    assert_int_equal(u32_lane(r, 2), 0xFFFFFFFFu);
}

/* ---- memory shaping ---- */

static void test_loads_and_stores(void **state)
{
    (void)state;
    const uint8_t mem[16] = {0x80, 0x01, 0xFF, 0x7F, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    v128 r;
    assert_int_equal(exec_simd_access_size(WASM_SIMD_V128_LOAD8X8_S), 8);
    exec_simd_load(WASM_SIMD_V128_LOAD8X8_S, r.b, mem, NULL, 0);
    assert_int_equal(i16_lane(r, 0), -128);
    assert_int_equal(i16_lane(r, 2), -1);
    exec_simd_load(WASM_SIMD_V128_LOAD16X4_U, r.b, mem, NULL, 0);
    assert_int_equal(u32_lane(r, 0), 0x0180);
    assert_int_equal(u32_lane(r, 1), 0x7FFF);
    exec_simd_load(WASM_SIMD_V128_LOAD32X2_S, r.b, mem, NULL, 0);
    assert_int_equal(u64_lane(r, 0), 0x000000007FFF0180u);

    assert_int_equal(exec_simd_access_size(WASM_SIMD_V128_LOAD16_SPLAT), 2);
    exec_simd_load(WASM_SIMD_V128_LOAD16_SPLAT, r.b, mem, NULL, 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal((uint16_t)i16_lane(r, i), 0x0180);

    exec_simd_load(WASM_SIMD_V128_LOAD32_ZERO, r.b, mem + 4, NULL, 0);
    assert_int_equal(u32_lane(r, 0), 0x08070605u);
    assert_int_equal(u32_lane(r, 1), 0);
    assert_int_equal(u64_lane(r, 1), 0);

    v128 v = from_u32(1, 2, 3, 4);
    exec_simd_load(WASM_SIMD_V128_LOAD16_LANE, v.b, mem, v.b, 5);   /* in place */
    assert_int_equal(u32_lane(v, 2), 0x01800003u);
    assert_int_equal(u32_lane(v, 3), 4);

    uint8_t out[16];
    memset(out, 0xEE, sizeof out);
    assert_int_equal(exec_simd_access_size(WASM_SIMD_V128_STORE32_LANE), 4);
    exec_simd_store(WASM_SIMD_V128_STORE32_LANE, out, from_u32(1, 2, 3, 0xA1B2C3D4u).b, 3);
    assert_int_equal(out[0], 0xD4);
    assert_int_equal(out[3], 0xA1);
    assert_int_equal(out[4], 0xEE);
    exec_simd_store(WASM_SIMD_V128_STORE, out, mem, 0);
    assert_memory_equal(out, mem, 16);
}

/* ---- the spec suite's simd_*.wast, evaluated without the interpreter ---- */

/* A value as the evaluator holds it: 16 bytes, scalars in the low 8. */
typedef struct spec_val {
    uint8_t b[16];
} spec_val;

/* One JSON value object of wast2json: {"type": T, "lane_type": L, "value": V}. */
typedef struct spec_json_val {
    char type[40];
    char lane_type[40];
    int nvalues;
    char values[16][40];     /* decimal strings, or "nan:canonical" / "nan:arithmetic" */
} spec_json_val;

typedef struct spec_state {
    wasm_module *module;
    uint8_t *mem;
    uint64_t mem_size;
    spec_val globals[64];
    uint32_t nglobals;
    bool stale;              /* an action was skipped: globals and memory may be out of date */
    unsigned pass, fail, unsupported;
} spec_state;

/* Copies the JSON string starting at *p (just past its opening quote). */
static const char *json_string(const char *p, char *out, size_t outsize)
{
    size_t n = 0;
    for (; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
            p++;
        if (n + 1 < outsize)
            out[n++] = *p;
    }
    out[n] = 0;
    return *p ? p + 1 : p;
}

/* Parses one value object at p ('{'); returns the position after it. */
static const char *json_value_object(const char *p, spec_json_val *v)
{
    memset(v, 0, sizeof *v);
    while (*p && *p != '}') {
        char key[32];
        p = strchr(p, '"');
        if (!p)
            return NULL;
        p = json_string(p + 1, key, sizeof key);
        p = strchr(p, ':');
        if (!p)
            return NULL;
        p++;
        while (*p == ' ')
            p++;
        if (*p == '[') {
            for (p++; *p && *p != ']'; p++)
                if (*p == '"' && v->nvalues < 16) {
                    p = json_string(p + 1, v->values[v->nvalues++], sizeof v->values[0]) - 1;
                }
        } else if (*p == '"') {
            char val[40];
            p = json_string(p + 1, val, sizeof val) - 1;
            if (strcmp(key, "type") == 0)
                snprintf(v->type, sizeof v->type, "%s", val);
            else if (strcmp(key, "lane_type") == 0)
                snprintf(v->lane_type, sizeof v->lane_type, "%s", val);
            else if (strcmp(key, "value") == 0 && v->nvalues < 16)
                snprintf(v->values[v->nvalues++], sizeof v->values[0], "%s", val);
        }
        p++;
        while (*p == ' ' || *p == ',')
            p++;
    }
    return *p ? p + 1 : NULL;
}

/* Parses the array of value objects following `"key": [`; returns how many. */
static int json_value_array(const char *line, const char *key, spec_json_val *vals, int max)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": [", key);
    const char *p = strstr(line, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    int n = 0;
    while (p && *p == '{' && n < max) {
        p = json_value_object(p, &vals[n++]);
        while (p && (*p == ',' || *p == ' '))
            p++;
    }
    return p ? n : -1;
}

static bool json_field(const char *line, const char *key, char *out, size_t outsize)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(line, pat);
    if (!p)
        return false;
    json_string(p + strlen(pat), out, outsize);
    return true;
}

static int lane_width(const char *lane_type)
{
    if (strcmp(lane_type, "i8") == 0)
        return 1;
    if (strcmp(lane_type, "i16") == 0)
        return 2;
    if (strcmp(lane_type, "i32") == 0 || strcmp(lane_type, "f32") == 0)
        return 4;
    return 8;
}

static spec_val json_to_val(const spec_json_val *v)
{
    spec_val r;
    memset(&r, 0, sizeof r);
    if (strcmp(v->type, "v128") == 0) {
        int w = lane_width(v->lane_type);
        for (int i = 0; i < v->nvalues && i * w < 16; i++) {
            uint64_t x = strtoull(v->values[i], NULL, 10);
            memcpy(r.b + i * w, &x, (size_t)w);
        }
    } else if (v->nvalues > 0) {
        uint64_t x = strtoull(v->values[0], NULL, 10);
        memcpy(r.b, &x, 8);
    }
    return r;
}

/* Does lane bytes `b` (w bytes) match the expected string? */
static bool lane_matches(const uint8_t *b, int w, bool is_float, const char *want)
{
    uint64_t x = 0;
    memcpy(&x, b, (size_t)w);
    if (strncmp(want, "nan:", 4) != 0)
        return x == strtoull(want, NULL, 10);
    if (!is_float)
        return false;
    uint64_t exp = w == 4 ? 0x7F800000u : 0x7FF0000000000000u;
    uint64_t quiet = w == 4 ? 0x00400000u : 0x0008000000000000u;
    uint64_t mant = w == 4 ? 0x007FFFFFu : 0x000FFFFFFFFFFFFFu;
    if ((x & exp) != exp)
        return false;
    if (strcmp(want, "nan:canonical") == 0)
        return (x & mant) == quiet;
    return (x & quiet) != 0;
}

static bool val_matches(const spec_val *got, const spec_json_val *want)
{
    if (strcmp(want->type, "v128") == 0) {
        int w = lane_width(want->lane_type);
        bool ok = want->nvalues * w == 16;
        for (int i = 0; ok && i < want->nvalues; i++)
            ok = lane_matches(got->b + i * w, w, want->lane_type[0] == 'f', want->values[i]);
        return ok;
    }
    int w = strcmp(want->type, "i32") == 0 || strcmp(want->type, "f32") == 0 ? 4 : 8;
    return want->nvalues == 1 && lane_matches(got->b, w, want->type[0] == 'f', want->values[0]);
}

static bool read_leb(const uint8_t **p, const uint8_t *end, uint64_t *out, bool is_signed)
{
    uint64_t r = 0;
    unsigned shift = 0;
    uint8_t byte;
    do {
        if (*p >= end || shift >= 64)
            return false;
        byte = *(*p)++;
        r |= (uint64_t)(byte & 0x7F) << shift;
        shift += 7;
    } while (byte & 0x80);
    if (is_signed && shift < 64 && (byte & 0x40))
        r |= ~(uint64_t)0 << shift;
    *out = r;
    return true;
}

enum { SPEC_OK, SPEC_UNSUPPORTED, SPEC_TRAP };

/* Runs one SIMD instruction at *p (after 0xFD) on the evaluator's stack. */
static int spec_simd(spec_state *st, const uint8_t **p, const uint8_t *end, spec_val *stack, int *sp)
{
    uint64_t sub, align, offset = 0;
    if (!read_leb(p, end, &sub, false))
        return SPEC_UNSUPPORTED;
    const wasm_simd_opinfo *op = wasm_simd_op((uint32_t)sub);
    if (!op)
        return SPEC_UNSUPPORTED;
    uint32_t lane = 0;
    const uint8_t *imm16 = NULL;
    if (wasm_simd_is_memory_op(op) && (!read_leb(p, end, &align, false) || !read_leb(p, end, &offset, false)))
        return SPEC_UNSUPPORTED;
    if (op->imm == WASM_SIMD_IMM_LANE || op->imm == WASM_SIMD_IMM_MEMARG_LANE) {
        if (*p >= end)
            return SPEC_UNSUPPORTED;
        lane = *(*p)++;
    }
    if (op->imm == WASM_SIMD_IMM_V128 || op->imm == WASM_SIMD_IMM_SHUFFLE) {
        if (end - *p < 16)
            return SPEC_UNSUPPORTED;
        imm16 = *p;
        *p += 16;
    }
    if (*sp < op->nparams)
        return SPEC_UNSUPPORTED;
    *sp -= op->nparams;
    spec_val *in = &stack[*sp], out;
    memset(&out, 0, sizeof out);
    if (wasm_simd_is_memory_op(op)) {
        if (st->stale)
            return SPEC_UNSUPPORTED;
        uint32_t addr;
        memcpy(&addr, in[0].b, 4);
        uint64_t ea = addr + offset;
        if (ea + exec_simd_access_size(op->index) > st->mem_size)
            return SPEC_TRAP;
        if (op->result == WASM_SIMD_NO_RESULT) {
            exec_simd_store(op->index, st->mem + ea, in[1].b, lane);
            return SPEC_OK;
        }
        exec_simd_load(op->index, out.b, st->mem + ea, op->nparams > 1 ? in[1].b : NULL, lane);
    } else {
        exec_simd_op(op->index, out.b, op->nparams > 0 ? in[0].b : NULL, op->nparams > 1 ? in[1].b : NULL,
                     op->nparams > 2 ? in[2].b : NULL, lane, imm16);
    }
    stack[(*sp)++] = out;
    return SPEC_OK;
}

/* Evaluates a straight-line body; anything else is SPEC_UNSUPPORTED. */
static int spec_eval(spec_state *st, const wasm_func *f, spec_val *locals, uint32_t nlocals, spec_val *result,
                     bool *has_result)
{
    spec_val stack[64];
    int sp = 0;
    const uint8_t *p = f->body, *end = f->body + f->body_len;
    while (p < end) {
        uint8_t opcode = *p++;
        uint64_t x = 0;
        if (sp >= 60)
            return SPEC_UNSUPPORTED;
        switch (opcode) {
        case 0x20: case 0x21: case 0x22: case 0x23:   /* local.get/set/tee, global.get */
            if (!read_leb(&p, end, &x, false))
                return SPEC_UNSUPPORTED;
            if (opcode == 0x23) {
                if (x >= st->nglobals || st->stale)
                    return SPEC_UNSUPPORTED;
                stack[sp++] = st->globals[x];
            } else if (x >= nlocals || (opcode != 0x20 && sp < 1)) {
                return SPEC_UNSUPPORTED;
            } else if (opcode == 0x20) {
                stack[sp++] = locals[x];
            } else {
                locals[x] = stack[sp - 1];
                sp -= opcode == 0x21;
            }
            break;
        case 0x41: case 0x42:   /* i32.const, i64.const */
            if (!read_leb(&p, end, &x, true))
                return SPEC_UNSUPPORTED;
            if (opcode == 0x41)
                x &= 0xFFFFFFFFu;
            memset(&stack[sp], 0, sizeof stack[sp]);
            memcpy(stack[sp++].b, &x, 8);
            break;
        case 0x43: case 0x44: {  /* f32.const, f64.const */
            size_t n = opcode == 0x43 ? 4 : 8;
            if ((size_t)(end - p) < n)
                return SPEC_UNSUPPORTED;
            memset(&stack[sp], 0, sizeof stack[sp]);
            memcpy(stack[sp++].b, p, n);
            p += n;
            break;
        }
        case 0x28: case 0x29: {   /* i32.load, i64.load */
            uint64_t align, offset;
            uint32_t addr, n = opcode == 0x28 ? 4 : 8;
            if (sp < 1 || st->stale || !read_leb(&p, end, &align, false) || !read_leb(&p, end, &offset, false))
                return SPEC_UNSUPPORTED;
            memcpy(&addr, stack[sp - 1].b, 4);
            if (addr + offset + n > st->mem_size)
                return SPEC_TRAP;
            memset(&stack[sp - 1], 0, sizeof stack[sp - 1]);
            memcpy(stack[sp - 1].b, st->mem + addr + offset, n);
            break;
        }
        case 0x1A:   /* drop */
            if (sp < 1)
                return SPEC_UNSUPPORTED;
            sp--;
            break;
        case 0xFD: {
            int rc = spec_simd(st, &p, end, stack, &sp);
            if (rc != SPEC_OK)
                return rc;
            break;
        }
        case 0x0B:   /* end */
            if (p != end || sp > 1)
                return SPEC_UNSUPPORTED;
            *has_result = sp == 1;
            if (sp == 1)
                *result = stack[0];
            return SPEC_OK;
        default:
            return SPEC_UNSUPPORTED;
        }
    }
    return SPEC_UNSUPPORTED;
}

static void spec_load_module(spec_state *st, const char *path)
{
    wasm_module_free(st->module);
    free(st->mem);
    st->module = NULL;
    st->mem = NULL;
    st->mem_size = 0;
    st->nglobals = 0;
    st->stale = false;

    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    uint8_t *bytes = malloc(1 << 20);
    size_t n = bytes ? fread(bytes, 1, 1 << 20, f) : 0;
    fclose(f);
    wasm_error err;
    st->module = n ? wasm_decode(bytes, n, &err) : NULL;
    free(bytes);
    wasm_module *m = st->module;
    if (!m)
        return;
    if (m->nmemories > 0 && m->memories[0].type.limits.min <= 16) {
        st->mem_size = (uint64_t)m->memories[0].type.limits.min * WASM_PAGE_SIZE;
        st->mem = calloc(st->mem_size ? st->mem_size : 1, 1);
    }
    for (uint32_t i = 0; i < m->ndatas && st->mem; i++) {
        const wasm_data_segment *d = &m->datas[i];
        if (d->mode == WASM_SEGMENT_ACTIVE && d->offset.op == WASM_CONST_I32 &&
            (uint64_t)d->offset.value.i32 + d->len <= st->mem_size)
            memcpy(st->mem + d->offset.value.i32, d->bytes, d->len);
    }
    for (uint32_t i = 0; i < m->nglobals && i < 64; i++) {
        const wasm_constexpr *init = &m->globals[i].init;
        spec_val *g = &st->globals[i];
        memset(g, 0, sizeof *g);
        if (m->globals[i].imported)
            break;
        switch (init->op) {
        case WASM_CONST_I32: memcpy(g->b, &init->value.i32, 4); break;
        case WASM_CONST_I64: memcpy(g->b, &init->value.i64, 8); break;
        case WASM_CONST_F32: memcpy(g->b, &init->value.f32_bits, 4); break;
        case WASM_CONST_F64: memcpy(g->b, &init->value.f64_bits, 8); break;
        case WASM_CONST_V128: memcpy(g->b, init->value.v128, 16); break;
        default: break;
        }
        st->nglobals = i + 1;
    }
}

static void spec_assert_return(spec_state *st, const char *line, const char *where)
{
    char field[256];
    spec_json_val args[16], expected[2];
    int nargs = json_value_array(line, "args", args, 16);
    int nexp = json_value_array(line, "expected", expected, 2);
    const wasm_export *e = NULL;
    if (st->module && json_field(line, "field", field, sizeof field) && !strstr(line, "\"module\":"))
        e = wasm_module_find_export(st->module, field, strlen(field));
    if (!e || e->kind != WASM_EXTERN_FUNC || nargs < 0 || nexp < 0 || nexp > 1 ||
        st->module->funcs[e->index].imported) {
        st->stale = true;
        st->unsupported++;
        return;
    }
    const wasm_func *f = &st->module->funcs[e->index];
    spec_val locals[128];
    uint32_t nlocals = (uint32_t)nargs + f->nlocals;
    if (nlocals > 128) {
        st->stale = true;
        st->unsupported++;
        return;
    }
    memset(locals, 0, sizeof locals);
    for (int i = 0; i < nargs; i++)
        locals[i] = json_to_val(&args[i]);
    spec_val result;
    bool has_result = false;
    int rc = spec_eval(st, f, locals, nlocals, &result, &has_result);
    if (rc == SPEC_UNSUPPORTED) {
        st->stale = true;
        st->unsupported++;
        return;
    }
    bool ok = rc == SPEC_OK && has_result == (nexp == 1) && (nexp == 0 || val_matches(&result, &expected[0]));
    if (ok) {
        st->pass++;
        return;
    }
    st->fail++;
    if (st->fail <= 20)
        printf("  FAIL %s (%s)\n", where, field);
}

static void spec_run_file(spec_state *st, const char *tmpdir, const char *wast, const char *base)
{
    char cmd[4096], json[1024];
    snprintf(json, sizeof json, "%s/%s.json", tmpdir, base);
    snprintf(cmd, sizeof cmd, "wast2json '%s' -o '%s' 2>/dev/null", wast, json);
    if (system(cmd) != 0) {
        printf("  wast2json failed on %s (skipped)\n", wast);
        return;
    }
    FILE *f = fopen(json, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        char type[32], file[512], lineno[16] = "?", where[600];
        if (!json_field(line, "type", type, sizeof type))
            continue;
        const char *ln = strstr(line, "\"line\": ");
        if (ln)
            snprintf(lineno, sizeof lineno, "%d", atoi(ln + 8));
        snprintf(where, sizeof where, "%s.wast:%s", base, lineno);
        if (strcmp(type, "module") == 0 && json_field(line, "filename", file, sizeof file)) {
            char path[1600];
            snprintf(path, sizeof path, "%s/%s", tmpdir, file);
            spec_load_module(st, path);
        } else if (strcmp(type, "assert_return") == 0) {
            spec_assert_return(st, line, where);
        } else if (strcmp(type, "action") == 0) {
            st->stale = true;   /* not run here, so it may have changed state */
        }
    }
    free(line);
    fclose(f);
}

static void test_spec_simd_asserts(void **state)
{
    (void)state;
    if (system("command -v wast2json >/dev/null 2>&1") != 0) {
        printf("SKIP: wast2json (wabt) not found\n");
        skip();
    }
    const char *wastdir = ISOLA_SPEC_DIR "/wast";
    DIR *dir = opendir(wastdir);
    if (!dir) {
        printf("SKIP: no spec suite at %s\n", wastdir);
        skip();
    }
    char tmpdir[] = "/tmp/isola_simd_XXXXXX";
    assert_non_null(mkdtemp(tmpdir));
    spec_state st;
    memset(&st, 0, sizeof st);
    unsigned files = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "simd_", 5) != 0 || n < 6 || strcmp(e->d_name + n - 5, ".wast") != 0)
            continue;
        char wast[1024], base[256];
        snprintf(wast, sizeof wast, "%s/%s", wastdir, e->d_name);
        snprintf(base, sizeof base, "%.*s", (int)(n - 5), e->d_name);
        spec_run_file(&st, tmpdir, wast, base);
        files++;
    }
    closedir(dir);
    spec_load_module(&st, "");   /* frees the last module */
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("  could not remove %s\n", tmpdir);

    printf("simd spec asserts: %u files, %u passed, %u failed, %u not straight-line (skipped)\n", files, st.pass,
           st.fail, st.unsupported);
    assert_int_equal(st.fail, 0);
    assert_true(st.pass > 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_table_entries),
        cmocka_unit_test(test_float_min_max),
        cmocka_unit_test(test_float_pmin_pmax),
        cmocka_unit_test(test_float_rounding),
        cmocka_unit_test(test_trunc_sat),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_saturation_and_q15),
        cmocka_unit_test(test_narrow_and_dot),
        cmocka_unit_test(test_abs_popcnt_avgr_extend),
        cmocka_unit_test(test_shifts_take_count_modulo_width),
        cmocka_unit_test(test_shuffle_and_swizzle),
        cmocka_unit_test(test_lanes_and_splats),
        cmocka_unit_test(test_reductions),
        cmocka_unit_test(test_bitwise),
        cmocka_unit_test(test_loads_and_stores),
        cmocka_unit_test(test_spec_simd_asserts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
