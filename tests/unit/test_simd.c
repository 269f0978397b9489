/*
 * test_simd.c - the SIMD opcode table (wasm/simd_ops.c) and the lane
 * semantics (exec/simd.c) on their tricky cases: NaN and signed-zero rules,
 * saturation, rounding, out-of-range lane indices, shift counts, aliasing
 * of output and inputs, and the memory shaping helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "exec/simd.h"
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
