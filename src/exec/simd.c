/*
 * simd.c - the WebAssembly SIMD instructions as plain C on 16-byte values
 * (see simd.h for the value layout and calling convention).
 *
 * Operands are copied into a lane union, the result is built in another, and
 * only then copied out, so an output slot may overlap an input. Lane loops
 * are plain C that gcc and clang vectorise; nothing depends on SSE or NEON.
 * Integer lane arithmetic is done in unsigned types wherever it can wrap, so
 * no case relies on signed overflow.
 */
#include "exec/simd.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Lanes are read through the union, which gives wasm's little-endian lane
 * order only on a little-endian host. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "simd.c assumes a little-endian host"
#endif

typedef union simd_v128 {
    uint8_t u8[16];
    int8_t i8[16];
    uint16_t u16[8];
    int16_t i16[8];
    uint32_t u32[4];
    int32_t i32[4];
    uint64_t u64[2];
    int64_t i64[2];
    float f32[4];
    double f64[2];
} simd_v128;

_Static_assert(sizeof(simd_v128) == 16, "v128 is 16 bytes");

static simd_v128 simd_get(const uint8_t *p)
{
    simd_v128 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t simd_get_slot(const uint8_t *p)
{
    uint64_t s;
    memcpy(&s, p, sizeof s);
    return s;
}

static void simd_put_slot(uint8_t *out, uint64_t s) { memcpy(out, &s, sizeof s); }

static uint32_t simd_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float simd_f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint64_t simd_f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double simd_f64_from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- scalar helpers ---------------------------------------------------- */

static int32_t simd_clamp(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static uint8_t simd_popcnt8(uint8_t v)
{
    uint8_t n = 0;
    for (; v; v &= (uint8_t)(v - 1))
        n++;
    return n;
}

static int16_t simd_q15mulr_sat(int16_t x, int16_t y)
{
    /* Only -32768 * -32768 overflows the result: it rounds to 32768. */
    int32_t p = ((int32_t)x * y + 0x4000) >> 15;
    return (int16_t)simd_clamp(p, INT16_MIN, INT16_MAX);
}

/*
 * Float min/max per the spec: any NaN operand gives a NaN (the canonical one
 * is both canonical and arithmetic, so it is always allowed), and -0 < +0.
 * Equal operands are either identical or a pair of zeros; OR-ing the bits
 * picks -0 for min, AND-ing picks +0 for max.
 */
static float simd_fmin32(float x, float y)
{
    if (isnan(x) || isnan(y))
        return simd_f32_from_bits(0x7FC00000u);
    if (x == y)
        return simd_f32_from_bits(simd_f32_bits(x) | simd_f32_bits(y));
    return x < y ? x : y;
}

static float simd_fmax32(float x, float y)
{
    if (isnan(x) || isnan(y))
        return simd_f32_from_bits(0x7FC00000u);
    if (x == y)
        return simd_f32_from_bits(simd_f32_bits(x) & simd_f32_bits(y));
    return x > y ? x : y;
}

static double simd_fmin64(double x, double y)
{
    if (isnan(x) || isnan(y))
        return simd_f64_from_bits(0x7FF8000000000000u);
    if (x == y)
        return simd_f64_from_bits(simd_f64_bits(x) | simd_f64_bits(y));
    return x < y ? x : y;
}

static double simd_fmax64(double x, double y)
{
    if (isnan(x) || isnan(y))
        return simd_f64_from_bits(0x7FF8000000000000u);
    if (x == y)
        return simd_f64_from_bits(simd_f64_bits(x) & simd_f64_bits(y));
    return x > y ? x : y;
}

/*
 * ceil/floor/trunc: some libms (glibc's SSE4.1 paths) return a signalling NaN
 * unchanged, but wasm requires an arithmetic (quiet) NaN result.
 */
static float simd_quiet32(float in, float out)
{
    return isnan(in) ? simd_f32_from_bits(simd_f32_bits(in) | 0x00400000u) : out;
}

static double simd_quiet64(double in, double out)
{
    return isnan(in) ? simd_f64_from_bits(simd_f64_bits(in) | 0x0008000000000000u) : out;
}

/* Saturating float -> integer truncations (NaN -> 0). */
static int32_t simd_trunc_sat_s32(double d)
{
    if (isnan(d))
        return 0;
    if (d <= -2147483648.0)
        return INT32_MIN;
    if (d >= 2147483648.0)
        return INT32_MAX;
    return (int32_t)d;
}

static uint32_t simd_trunc_sat_u32(double d)
{
    if (isnan(d) || d <= 0.0)
        return 0;
    if (d >= 4294967296.0)
        return UINT32_MAX;
    return (uint32_t)d;
}

/* ---- lane-loop shorthands ---------------------------------------------- */

/*
 * One result lane per input lane: `expr` reads x/y lanes at index i. These
 * keep the ~200 lane-wise cases to one line each in the switch below.
 */
#define LANES(n, stmt)                                                                             \
    do {                                                                                           \
        for (unsigned i = 0; i < (n); i++) {                                                       \
            stmt;                                                                                  \
        }                                                                                          \
    } while (0)

/* All-ones / all-zeros comparison masks. */
#define MASK8(cond) ((uint8_t)(0u - (unsigned)(cond)))
#define MASK16(cond) ((uint16_t)(0u - (unsigned)(cond)))
#define MASK32(cond) ((uint32_t)(0u - (uint32_t)(cond)))
#define MASK64(cond) ((uint64_t)(0u - (uint64_t)(cond)))

/* ---- lane-wise instructions ------------------------------------------- */

/*
 * Every instruction whose result lanes are computed from the lanes of one or
 * two v128 operands (plus a shift count). One switch, so the interpreter's
 * call costs a single jump-table dispatch. Returns false if `index` is not
 * lane-wise.
 */
static bool simd_lanewise(uint32_t index, simd_v128 *r, const simd_v128 *x, const simd_v128 *y,
                          uint32_t count)
{
    /* Shift counts are taken modulo the lane width. */
    unsigned s8 = count & 7, s16 = count & 15, s32 = count & 31, s64 = count & 63;
    switch (index) {
    /* Comparisons: x ? y per lane, all-ones on true. */
    case WASM_SIMD_I8X16_EQ: LANES(16, r->u8[i] = MASK8(x->u8[i] == y->u8[i])); break;
    case WASM_SIMD_I8X16_NE: LANES(16, r->u8[i] = MASK8(x->u8[i] != y->u8[i])); break;
    case WASM_SIMD_I8X16_LT_S: LANES(16, r->u8[i] = MASK8(x->i8[i] < y->i8[i])); break;
    case WASM_SIMD_I8X16_LT_U: LANES(16, r->u8[i] = MASK8(x->u8[i] < y->u8[i])); break;
    case WASM_SIMD_I8X16_GT_S: LANES(16, r->u8[i] = MASK8(x->i8[i] > y->i8[i])); break;
    case WASM_SIMD_I8X16_GT_U: LANES(16, r->u8[i] = MASK8(x->u8[i] > y->u8[i])); break;
    case WASM_SIMD_I8X16_LE_S: LANES(16, r->u8[i] = MASK8(x->i8[i] <= y->i8[i])); break;
    case WASM_SIMD_I8X16_LE_U: LANES(16, r->u8[i] = MASK8(x->u8[i] <= y->u8[i])); break;
    case WASM_SIMD_I8X16_GE_S: LANES(16, r->u8[i] = MASK8(x->i8[i] >= y->i8[i])); break;
    case WASM_SIMD_I8X16_GE_U: LANES(16, r->u8[i] = MASK8(x->u8[i] >= y->u8[i])); break;

    case WASM_SIMD_I16X8_EQ: LANES(8, r->u16[i] = MASK16(x->u16[i] == y->u16[i])); break;
    case WASM_SIMD_I16X8_NE: LANES(8, r->u16[i] = MASK16(x->u16[i] != y->u16[i])); break;
    case WASM_SIMD_I16X8_LT_S: LANES(8, r->u16[i] = MASK16(x->i16[i] < y->i16[i])); break;
    case WASM_SIMD_I16X8_LT_U: LANES(8, r->u16[i] = MASK16(x->u16[i] < y->u16[i])); break;
    case WASM_SIMD_I16X8_GT_S: LANES(8, r->u16[i] = MASK16(x->i16[i] > y->i16[i])); break;
    case WASM_SIMD_I16X8_GT_U: LANES(8, r->u16[i] = MASK16(x->u16[i] > y->u16[i])); break;
    case WASM_SIMD_I16X8_LE_S: LANES(8, r->u16[i] = MASK16(x->i16[i] <= y->i16[i])); break;
    case WASM_SIMD_I16X8_LE_U: LANES(8, r->u16[i] = MASK16(x->u16[i] <= y->u16[i])); break;
    case WASM_SIMD_I16X8_GE_S: LANES(8, r->u16[i] = MASK16(x->i16[i] >= y->i16[i])); break;
    case WASM_SIMD_I16X8_GE_U: LANES(8, r->u16[i] = MASK16(x->u16[i] >= y->u16[i])); break;

    case WASM_SIMD_I32X4_EQ: LANES(4, r->u32[i] = MASK32(x->u32[i] == y->u32[i])); break;
    case WASM_SIMD_I32X4_NE: LANES(4, r->u32[i] = MASK32(x->u32[i] != y->u32[i])); break;
    case WASM_SIMD_I32X4_LT_S: LANES(4, r->u32[i] = MASK32(x->i32[i] < y->i32[i])); break;
    case WASM_SIMD_I32X4_LT_U: LANES(4, r->u32[i] = MASK32(x->u32[i] < y->u32[i])); break;
    case WASM_SIMD_I32X4_GT_S: LANES(4, r->u32[i] = MASK32(x->i32[i] > y->i32[i])); break;
    case WASM_SIMD_I32X4_GT_U: LANES(4, r->u32[i] = MASK32(x->u32[i] > y->u32[i])); break;
    case WASM_SIMD_I32X4_LE_S: LANES(4, r->u32[i] = MASK32(x->i32[i] <= y->i32[i])); break;
    case WASM_SIMD_I32X4_LE_U: LANES(4, r->u32[i] = MASK32(x->u32[i] <= y->u32[i])); break;
    case WASM_SIMD_I32X4_GE_S: LANES(4, r->u32[i] = MASK32(x->i32[i] >= y->i32[i])); break;
    case WASM_SIMD_I32X4_GE_U: LANES(4, r->u32[i] = MASK32(x->u32[i] >= y->u32[i])); break;

    case WASM_SIMD_I64X2_EQ: LANES(2, r->u64[i] = MASK64(x->u64[i] == y->u64[i])); break;
    case WASM_SIMD_I64X2_NE: LANES(2, r->u64[i] = MASK64(x->u64[i] != y->u64[i])); break;
    case WASM_SIMD_I64X2_LT_S: LANES(2, r->u64[i] = MASK64(x->i64[i] < y->i64[i])); break;
    case WASM_SIMD_I64X2_GT_S: LANES(2, r->u64[i] = MASK64(x->i64[i] > y->i64[i])); break;
    case WASM_SIMD_I64X2_LE_S: LANES(2, r->u64[i] = MASK64(x->i64[i] <= y->i64[i])); break;
    case WASM_SIMD_I64X2_GE_S: LANES(2, r->u64[i] = MASK64(x->i64[i] >= y->i64[i])); break;

    /* C's float comparisons are IEEE ones: false on NaN, except != . */
    case WASM_SIMD_F32X4_EQ: LANES(4, r->u32[i] = MASK32(x->f32[i] == y->f32[i])); break;
    case WASM_SIMD_F32X4_NE: LANES(4, r->u32[i] = MASK32(x->f32[i] != y->f32[i])); break;
    case WASM_SIMD_F32X4_LT: LANES(4, r->u32[i] = MASK32(x->f32[i] < y->f32[i])); break;
    case WASM_SIMD_F32X4_GT: LANES(4, r->u32[i] = MASK32(x->f32[i] > y->f32[i])); break;
    case WASM_SIMD_F32X4_LE: LANES(4, r->u32[i] = MASK32(x->f32[i] <= y->f32[i])); break;
    case WASM_SIMD_F32X4_GE: LANES(4, r->u32[i] = MASK32(x->f32[i] >= y->f32[i])); break;
    case WASM_SIMD_F64X2_EQ: LANES(2, r->u64[i] = MASK64(x->f64[i] == y->f64[i])); break;
    case WASM_SIMD_F64X2_NE: LANES(2, r->u64[i] = MASK64(x->f64[i] != y->f64[i])); break;
    case WASM_SIMD_F64X2_LT: LANES(2, r->u64[i] = MASK64(x->f64[i] < y->f64[i])); break;
    case WASM_SIMD_F64X2_GT: LANES(2, r->u64[i] = MASK64(x->f64[i] > y->f64[i])); break;
    case WASM_SIMD_F64X2_LE: LANES(2, r->u64[i] = MASK64(x->f64[i] <= y->f64[i])); break;
    case WASM_SIMD_F64X2_GE: LANES(2, r->u64[i] = MASK64(x->f64[i] >= y->f64[i])); break;
    /* Integer lane arithmetic with two vector operands. */
    case WASM_SIMD_I8X16_ADD: LANES(16, r->u8[i] = (uint8_t)(x->u8[i] + y->u8[i])); break;
    case WASM_SIMD_I8X16_SUB: LANES(16, r->u8[i] = (uint8_t)(x->u8[i] - y->u8[i])); break;
    case WASM_SIMD_I8X16_ADD_SAT_S: LANES(16, r->i8[i] = (int8_t)simd_clamp(x->i8[i] + y->i8[i], INT8_MIN, INT8_MAX)); break;
    case WASM_SIMD_I8X16_ADD_SAT_U: LANES(16, r->u8[i] = (uint8_t)simd_clamp(x->u8[i] + y->u8[i], 0, UINT8_MAX)); break;
    case WASM_SIMD_I8X16_SUB_SAT_S: LANES(16, r->i8[i] = (int8_t)simd_clamp(x->i8[i] - y->i8[i], INT8_MIN, INT8_MAX)); break;
    case WASM_SIMD_I8X16_SUB_SAT_U: LANES(16, r->u8[i] = (uint8_t)simd_clamp(x->u8[i] - y->u8[i], 0, UINT8_MAX)); break;
    case WASM_SIMD_I8X16_MIN_S: LANES(16, r->i8[i] = x->i8[i] < y->i8[i] ? x->i8[i] : y->i8[i]); break;
    case WASM_SIMD_I8X16_MIN_U: LANES(16, r->u8[i] = x->u8[i] < y->u8[i] ? x->u8[i] : y->u8[i]); break;
    case WASM_SIMD_I8X16_MAX_S: LANES(16, r->i8[i] = x->i8[i] > y->i8[i] ? x->i8[i] : y->i8[i]); break;
    case WASM_SIMD_I8X16_MAX_U: LANES(16, r->u8[i] = x->u8[i] > y->u8[i] ? x->u8[i] : y->u8[i]); break;
    case WASM_SIMD_I8X16_AVGR_U: LANES(16, r->u8[i] = (uint8_t)((x->u8[i] + y->u8[i] + 1u) >> 1)); break;
    case WASM_SIMD_I8X16_NARROW_I16X8_S:
        LANES(8, r->i8[i] = (int8_t)simd_clamp(x->i16[i], INT8_MIN, INT8_MAX));
        LANES(8, r->i8[i + 8] = (int8_t)simd_clamp(y->i16[i], INT8_MIN, INT8_MAX));
        break;
    case WASM_SIMD_I8X16_NARROW_I16X8_U:
        LANES(8, r->u8[i] = (uint8_t)simd_clamp(x->i16[i], 0, UINT8_MAX));
        LANES(8, r->u8[i + 8] = (uint8_t)simd_clamp(y->i16[i], 0, UINT8_MAX));
        break;

    case WASM_SIMD_I16X8_ADD: LANES(8, r->u16[i] = (uint16_t)(x->u16[i] + y->u16[i])); break;
    case WASM_SIMD_I16X8_SUB: LANES(8, r->u16[i] = (uint16_t)(x->u16[i] - y->u16[i])); break;
    case WASM_SIMD_I16X8_MUL: LANES(8, r->u16[i] = (uint16_t)((uint32_t)x->u16[i] * y->u16[i])); break;
    case WASM_SIMD_I16X8_ADD_SAT_S: LANES(8, r->i16[i] = (int16_t)simd_clamp(x->i16[i] + y->i16[i], INT16_MIN, INT16_MAX)); break;
    case WASM_SIMD_I16X8_ADD_SAT_U: LANES(8, r->u16[i] = (uint16_t)simd_clamp(x->u16[i] + y->u16[i], 0, UINT16_MAX)); break;
    case WASM_SIMD_I16X8_SUB_SAT_S: LANES(8, r->i16[i] = (int16_t)simd_clamp(x->i16[i] - y->i16[i], INT16_MIN, INT16_MAX)); break;
    case WASM_SIMD_I16X8_SUB_SAT_U: LANES(8, r->u16[i] = (uint16_t)simd_clamp(x->u16[i] - y->u16[i], 0, UINT16_MAX)); break;
    case WASM_SIMD_I16X8_MIN_S: LANES(8, r->i16[i] = x->i16[i] < y->i16[i] ? x->i16[i] : y->i16[i]); break;
    case WASM_SIMD_I16X8_MIN_U: LANES(8, r->u16[i] = x->u16[i] < y->u16[i] ? x->u16[i] : y->u16[i]); break;
    case WASM_SIMD_I16X8_MAX_S: LANES(8, r->i16[i] = x->i16[i] > y->i16[i] ? x->i16[i] : y->i16[i]); break;
    case WASM_SIMD_I16X8_MAX_U: LANES(8, r->u16[i] = x->u16[i] > y->u16[i] ? x->u16[i] : y->u16[i]); break;
    case WASM_SIMD_I16X8_AVGR_U: LANES(8, r->u16[i] = (uint16_t)((x->u16[i] + y->u16[i] + 1u) >> 1)); break;
    case WASM_SIMD_I16X8_Q15MULR_SAT_S: LANES(8, r->i16[i] = simd_q15mulr_sat(x->i16[i], y->i16[i])); break;
    case WASM_SIMD_I16X8_NARROW_I32X4_S:
        LANES(4, r->i16[i] = (int16_t)simd_clamp(x->i32[i], INT16_MIN, INT16_MAX));
        LANES(4, r->i16[i + 4] = (int16_t)simd_clamp(y->i32[i], INT16_MIN, INT16_MAX));
        break;
    case WASM_SIMD_I16X8_NARROW_I32X4_U:
        LANES(4, r->u16[i] = (uint16_t)simd_clamp(x->i32[i], 0, UINT16_MAX));
        LANES(4, r->u16[i + 4] = (uint16_t)simd_clamp(y->i32[i], 0, UINT16_MAX));
        break;
    case WASM_SIMD_I16X8_EXTMUL_LOW_I8X16_S: LANES(8, r->i16[i] = (int16_t)(x->i8[i] * y->i8[i])); break;
    case WASM_SIMD_I16X8_EXTMUL_HIGH_I8X16_S: LANES(8, r->i16[i] = (int16_t)(x->i8[i + 8] * y->i8[i + 8])); break;
    case WASM_SIMD_I16X8_EXTMUL_LOW_I8X16_U: LANES(8, r->u16[i] = (uint16_t)(x->u8[i] * y->u8[i])); break;
    case WASM_SIMD_I16X8_EXTMUL_HIGH_I8X16_U: LANES(8, r->u16[i] = (uint16_t)(x->u8[i + 8] * y->u8[i + 8])); break;

    case WASM_SIMD_I32X4_ADD: LANES(4, r->u32[i] = x->u32[i] + y->u32[i]); break;
    case WASM_SIMD_I32X4_SUB: LANES(4, r->u32[i] = x->u32[i] - y->u32[i]); break;
    case WASM_SIMD_I32X4_MUL: LANES(4, r->u32[i] = x->u32[i] * y->u32[i]); break;
    case WASM_SIMD_I32X4_MIN_S: LANES(4, r->i32[i] = x->i32[i] < y->i32[i] ? x->i32[i] : y->i32[i]); break;
    case WASM_SIMD_I32X4_MIN_U: LANES(4, r->u32[i] = x->u32[i] < y->u32[i] ? x->u32[i] : y->u32[i]); break;
    case WASM_SIMD_I32X4_MAX_S: LANES(4, r->i32[i] = x->i32[i] > y->i32[i] ? x->i32[i] : y->i32[i]); break;
    case WASM_SIMD_I32X4_MAX_U: LANES(4, r->u32[i] = x->u32[i] > y->u32[i] ? x->u32[i] : y->u32[i]); break;
    case WASM_SIMD_I32X4_DOT_I16X8_S:
        /* Each product fits in i32; only their sum can wrap (at -32768^2 * 2). */
        LANES(4, r->u32[i] = (uint32_t)(x->i16[2 * i] * y->i16[2 * i]) +
                             (uint32_t)(x->i16[2 * i + 1] * y->i16[2 * i + 1]));
        break;
    case WASM_SIMD_I32X4_EXTMUL_LOW_I16X8_S: LANES(4, r->i32[i] = x->i16[i] * y->i16[i]); break;
    case WASM_SIMD_I32X4_EXTMUL_HIGH_I16X8_S: LANES(4, r->i32[i] = x->i16[i + 4] * y->i16[i + 4]); break;
    case WASM_SIMD_I32X4_EXTMUL_LOW_I16X8_U: LANES(4, r->u32[i] = (uint32_t)x->u16[i] * y->u16[i]); break;
    case WASM_SIMD_I32X4_EXTMUL_HIGH_I16X8_U: LANES(4, r->u32[i] = (uint32_t)x->u16[i + 4] * y->u16[i + 4]); break;

    case WASM_SIMD_I64X2_ADD: LANES(2, r->u64[i] = x->u64[i] + y->u64[i]); break;
    case WASM_SIMD_I64X2_SUB: LANES(2, r->u64[i] = x->u64[i] - y->u64[i]); break;
    case WASM_SIMD_I64X2_MUL: LANES(2, r->u64[i] = x->u64[i] * y->u64[i]); break;
    case WASM_SIMD_I64X2_EXTMUL_LOW_I32X4_S: LANES(2, r->i64[i] = (int64_t)x->i32[i] * y->i32[i]); break;
    case WASM_SIMD_I64X2_EXTMUL_HIGH_I32X4_S: LANES(2, r->i64[i] = (int64_t)x->i32[i + 2] * y->i32[i + 2]); break;
    case WASM_SIMD_I64X2_EXTMUL_LOW_I32X4_U: LANES(2, r->u64[i] = (uint64_t)x->u32[i] * y->u32[i]); break;
    case WASM_SIMD_I64X2_EXTMUL_HIGH_I32X4_U: LANES(2, r->u64[i] = (uint64_t)x->u32[i + 2] * y->u32[i + 2]); break;
    /* Integer lane operations with one vector operand. */
    /* abs(MIN) is MIN: negate in unsigned so it wraps instead of overflowing. */
    case WASM_SIMD_I8X16_ABS: LANES(16, r->u8[i] = x->i8[i] < 0 ? (uint8_t)(0u - x->u8[i]) : x->u8[i]); break;
    case WASM_SIMD_I16X8_ABS: LANES(8, r->u16[i] = x->i16[i] < 0 ? (uint16_t)(0u - x->u16[i]) : x->u16[i]); break;
    case WASM_SIMD_I32X4_ABS: LANES(4, r->u32[i] = x->i32[i] < 0 ? 0u - x->u32[i] : x->u32[i]); break;
    case WASM_SIMD_I64X2_ABS: LANES(2, r->u64[i] = x->i64[i] < 0 ? 0u - x->u64[i] : x->u64[i]); break;
    case WASM_SIMD_I8X16_NEG: LANES(16, r->u8[i] = (uint8_t)(0u - x->u8[i])); break;
    case WASM_SIMD_I16X8_NEG: LANES(8, r->u16[i] = (uint16_t)(0u - x->u16[i])); break;
    case WASM_SIMD_I32X4_NEG: LANES(4, r->u32[i] = 0u - x->u32[i]); break;
    case WASM_SIMD_I64X2_NEG: LANES(2, r->u64[i] = 0u - x->u64[i]); break;
    case WASM_SIMD_I8X16_POPCNT: LANES(16, r->u8[i] = simd_popcnt8(x->u8[i])); break;

    case WASM_SIMD_I16X8_EXTEND_LOW_I8X16_S: LANES(8, r->i16[i] = x->i8[i]); break;
    case WASM_SIMD_I16X8_EXTEND_HIGH_I8X16_S: LANES(8, r->i16[i] = x->i8[i + 8]); break;
    case WASM_SIMD_I16X8_EXTEND_LOW_I8X16_U: LANES(8, r->u16[i] = x->u8[i]); break;
    case WASM_SIMD_I16X8_EXTEND_HIGH_I8X16_U: LANES(8, r->u16[i] = x->u8[i + 8]); break;
    case WASM_SIMD_I32X4_EXTEND_LOW_I16X8_S: LANES(4, r->i32[i] = x->i16[i]); break;
    case WASM_SIMD_I32X4_EXTEND_HIGH_I16X8_S: LANES(4, r->i32[i] = x->i16[i + 4]); break;
    case WASM_SIMD_I32X4_EXTEND_LOW_I16X8_U: LANES(4, r->u32[i] = x->u16[i]); break;
    case WASM_SIMD_I32X4_EXTEND_HIGH_I16X8_U: LANES(4, r->u32[i] = x->u16[i + 4]); break;
    case WASM_SIMD_I64X2_EXTEND_LOW_I32X4_S: LANES(2, r->i64[i] = x->i32[i]); break;
    case WASM_SIMD_I64X2_EXTEND_HIGH_I32X4_S: LANES(2, r->i64[i] = x->i32[i + 2]); break;
    case WASM_SIMD_I64X2_EXTEND_LOW_I32X4_U: LANES(2, r->u64[i] = x->u32[i]); break;
    case WASM_SIMD_I64X2_EXTEND_HIGH_I32X4_U: LANES(2, r->u64[i] = x->u32[i + 2]); break;

    case WASM_SIMD_I16X8_EXTADD_PAIRWISE_I8X16_S: LANES(8, r->i16[i] = (int16_t)(x->i8[2 * i] + x->i8[2 * i + 1])); break;
    case WASM_SIMD_I16X8_EXTADD_PAIRWISE_I8X16_U: LANES(8, r->u16[i] = (uint16_t)(x->u8[2 * i] + x->u8[2 * i + 1])); break;
    case WASM_SIMD_I32X4_EXTADD_PAIRWISE_I16X8_S: LANES(4, r->i32[i] = x->i16[2 * i] + x->i16[2 * i + 1]); break;
    case WASM_SIMD_I32X4_EXTADD_PAIRWISE_I16X8_U: LANES(4, r->u32[i] = (uint32_t)x->u16[2 * i] + x->u16[2 * i + 1]); break;
    /* Shifts by an i32 count. */
    case WASM_SIMD_I8X16_SHL: LANES(16, r->u8[i] = (uint8_t)(x->u8[i] << s8)); break;
    case WASM_SIMD_I8X16_SHR_S: LANES(16, r->i8[i] = (int8_t)(x->i8[i] >> s8)); break;
    case WASM_SIMD_I8X16_SHR_U: LANES(16, r->u8[i] = (uint8_t)(x->u8[i] >> s8)); break;
    case WASM_SIMD_I16X8_SHL: LANES(8, r->u16[i] = (uint16_t)(x->u16[i] << s16)); break;
    case WASM_SIMD_I16X8_SHR_S: LANES(8, r->i16[i] = (int16_t)(x->i16[i] >> s16)); break;
    case WASM_SIMD_I16X8_SHR_U: LANES(8, r->u16[i] = (uint16_t)(x->u16[i] >> s16)); break;
    case WASM_SIMD_I32X4_SHL: LANES(4, r->u32[i] = x->u32[i] << s32); break;
    case WASM_SIMD_I32X4_SHR_S: LANES(4, r->i32[i] = x->i32[i] >> s32); break;
    case WASM_SIMD_I32X4_SHR_U: LANES(4, r->u32[i] = x->u32[i] >> s32); break;
    case WASM_SIMD_I64X2_SHL: LANES(2, r->u64[i] = x->u64[i] << s64); break;
    case WASM_SIMD_I64X2_SHR_S: LANES(2, r->i64[i] = x->i64[i] >> s64); break;
    case WASM_SIMD_I64X2_SHR_U: LANES(2, r->u64[i] = x->u64[i] >> s64); break;
    /* Float lane arithmetic and conversions. */
    /* abs and neg touch only the sign bit, so NaN payloads survive. */
    case WASM_SIMD_F32X4_ABS: LANES(4, r->u32[i] = x->u32[i] & 0x7FFFFFFFu); break;
    case WASM_SIMD_F32X4_NEG: LANES(4, r->u32[i] = x->u32[i] ^ 0x80000000u); break;
    case WASM_SIMD_F64X2_ABS: LANES(2, r->u64[i] = x->u64[i] & 0x7FFFFFFFFFFFFFFFu); break;
    case WASM_SIMD_F64X2_NEG: LANES(2, r->u64[i] = x->u64[i] ^ 0x8000000000000000u); break;

    case WASM_SIMD_F32X4_SQRT: LANES(4, r->f32[i] = sqrtf(x->f32[i])); break;
    case WASM_SIMD_F32X4_CEIL: LANES(4, r->f32[i] = simd_quiet32(x->f32[i], ceilf(x->f32[i]))); break;
    case WASM_SIMD_F32X4_FLOOR: LANES(4, r->f32[i] = simd_quiet32(x->f32[i], floorf(x->f32[i]))); break;
    case WASM_SIMD_F32X4_TRUNC: LANES(4, r->f32[i] = simd_quiet32(x->f32[i], truncf(x->f32[i]))); break;
    /* nearbyint rounds half to even in the default rounding mode, which
     * wasm code cannot change. */
    case WASM_SIMD_F32X4_NEAREST: LANES(4, r->f32[i] = simd_quiet32(x->f32[i], nearbyintf(x->f32[i]))); break;
    case WASM_SIMD_F64X2_SQRT: LANES(2, r->f64[i] = sqrt(x->f64[i])); break;
    case WASM_SIMD_F64X2_CEIL: LANES(2, r->f64[i] = simd_quiet64(x->f64[i], ceil(x->f64[i]))); break;
    case WASM_SIMD_F64X2_FLOOR: LANES(2, r->f64[i] = simd_quiet64(x->f64[i], floor(x->f64[i]))); break;
    case WASM_SIMD_F64X2_TRUNC: LANES(2, r->f64[i] = simd_quiet64(x->f64[i], trunc(x->f64[i]))); break;
    case WASM_SIMD_F64X2_NEAREST: LANES(2, r->f64[i] = simd_quiet64(x->f64[i], nearbyint(x->f64[i]))); break;

    case WASM_SIMD_F32X4_ADD: LANES(4, r->f32[i] = x->f32[i] + y->f32[i]); break;
    case WASM_SIMD_F32X4_SUB: LANES(4, r->f32[i] = x->f32[i] - y->f32[i]); break;
    case WASM_SIMD_F32X4_MUL: LANES(4, r->f32[i] = x->f32[i] * y->f32[i]); break;
    case WASM_SIMD_F32X4_DIV: LANES(4, r->f32[i] = x->f32[i] / y->f32[i]); break;
    case WASM_SIMD_F32X4_MIN: LANES(4, r->f32[i] = simd_fmin32(x->f32[i], y->f32[i])); break;
    case WASM_SIMD_F32X4_MAX: LANES(4, r->f32[i] = simd_fmax32(x->f32[i], y->f32[i])); break;
    /* pmin/pmax are defined as a select, so they return an operand bit-for-bit. */
    case WASM_SIMD_F32X4_PMIN: LANES(4, r->u32[i] = y->f32[i] < x->f32[i] ? y->u32[i] : x->u32[i]); break;
    case WASM_SIMD_F32X4_PMAX: LANES(4, r->u32[i] = x->f32[i] < y->f32[i] ? y->u32[i] : x->u32[i]); break;
    case WASM_SIMD_F64X2_ADD: LANES(2, r->f64[i] = x->f64[i] + y->f64[i]); break;
    case WASM_SIMD_F64X2_SUB: LANES(2, r->f64[i] = x->f64[i] - y->f64[i]); break;
    case WASM_SIMD_F64X2_MUL: LANES(2, r->f64[i] = x->f64[i] * y->f64[i]); break;
    case WASM_SIMD_F64X2_DIV: LANES(2, r->f64[i] = x->f64[i] / y->f64[i]); break;
    case WASM_SIMD_F64X2_MIN: LANES(2, r->f64[i] = simd_fmin64(x->f64[i], y->f64[i])); break;
    case WASM_SIMD_F64X2_MAX: LANES(2, r->f64[i] = simd_fmax64(x->f64[i], y->f64[i])); break;
    case WASM_SIMD_F64X2_PMIN: LANES(2, r->u64[i] = y->f64[i] < x->f64[i] ? y->u64[i] : x->u64[i]); break;
    case WASM_SIMD_F64X2_PMAX: LANES(2, r->u64[i] = x->f64[i] < y->f64[i] ? y->u64[i] : x->u64[i]); break;

    case WASM_SIMD_I32X4_TRUNC_SAT_F32X4_S: LANES(4, r->i32[i] = simd_trunc_sat_s32(x->f32[i])); break;
    case WASM_SIMD_I32X4_TRUNC_SAT_F32X4_U: LANES(4, r->u32[i] = simd_trunc_sat_u32(x->f32[i])); break;
    case WASM_SIMD_I32X4_TRUNC_SAT_F64X2_S_ZERO:
        LANES(2, r->i32[i] = simd_trunc_sat_s32(x->f64[i]));
        r->u64[1] = 0;
        break;
    case WASM_SIMD_I32X4_TRUNC_SAT_F64X2_U_ZERO:
        LANES(2, r->u32[i] = simd_trunc_sat_u32(x->f64[i]));
        r->u64[1] = 0;
        break;
    /* C int -> float conversions round to nearest, like wasm's. */
    case WASM_SIMD_F32X4_CONVERT_I32X4_S: LANES(4, r->f32[i] = (float)x->i32[i]); break;
    case WASM_SIMD_F32X4_CONVERT_I32X4_U: LANES(4, r->f32[i] = (float)x->u32[i]); break;
    case WASM_SIMD_F64X2_CONVERT_LOW_I32X4_S: LANES(2, r->f64[i] = (double)x->i32[i]); break;
    case WASM_SIMD_F64X2_CONVERT_LOW_I32X4_U: LANES(2, r->f64[i] = (double)x->u32[i]); break;
    case WASM_SIMD_F32X4_DEMOTE_F64X2_ZERO:
        LANES(2, r->f32[i] = (float)x->f64[i]);
        r->u64[1] = 0;
        break;
    case WASM_SIMD_F64X2_PROMOTE_LOW_F32X4: LANES(2, r->f64[i] = (double)x->f32[i]); break;
    default: return false;
    }
    return true;
}

/* ---- whole-vector, lane-access and scalar-result instructions ------------ */

static void simd_splat(uint32_t index, simd_v128 *r, uint64_t s)
{
    switch (index) {
    case WASM_SIMD_I8X16_SPLAT: LANES(16, r->u8[i] = (uint8_t)s); break;
    case WASM_SIMD_I16X8_SPLAT: LANES(8, r->u16[i] = (uint16_t)s); break;
    case WASM_SIMD_I32X4_SPLAT:
    case WASM_SIMD_F32X4_SPLAT: LANES(4, r->u32[i] = (uint32_t)s); break;
    case WASM_SIMD_I64X2_SPLAT:
    case WASM_SIMD_F64X2_SPLAT: LANES(2, r->u64[i] = s); break;
    default: assert(!"not a splat");
    }
}

/* Returns the slot value of lane `lane` of x. */
static uint64_t simd_extract(uint32_t index, const simd_v128 *x, uint32_t lane)
{
    switch (index) {
    case WASM_SIMD_I8X16_EXTRACT_LANE_S: return (uint32_t)(int32_t)x->i8[lane];
    case WASM_SIMD_I8X16_EXTRACT_LANE_U: return x->u8[lane];
    case WASM_SIMD_I16X8_EXTRACT_LANE_S: return (uint32_t)(int32_t)x->i16[lane];
    case WASM_SIMD_I16X8_EXTRACT_LANE_U: return x->u16[lane];
    case WASM_SIMD_I32X4_EXTRACT_LANE:
    case WASM_SIMD_F32X4_EXTRACT_LANE: return x->u32[lane];
    case WASM_SIMD_I64X2_EXTRACT_LANE:
    case WASM_SIMD_F64X2_EXTRACT_LANE: return x->u64[lane];
    default: assert(!"not an extract_lane"); return 0;
    }
}

static void simd_replace(uint32_t index, simd_v128 *r, uint32_t lane, uint64_t s)
{
    switch (index) {
    case WASM_SIMD_I8X16_REPLACE_LANE: r->u8[lane] = (uint8_t)s; break;
    case WASM_SIMD_I16X8_REPLACE_LANE: r->u16[lane] = (uint16_t)s; break;
    case WASM_SIMD_I32X4_REPLACE_LANE:
    case WASM_SIMD_F32X4_REPLACE_LANE: r->u32[lane] = (uint32_t)s; break;
    case WASM_SIMD_I64X2_REPLACE_LANE:
    case WASM_SIMD_F64X2_REPLACE_LANE: r->u64[lane] = s; break;
    default: assert(!"not a replace_lane");
    }
}

static uint32_t simd_all_true(uint32_t index, const simd_v128 *x)
{
    bool all = true;
    switch (index) {
    case WASM_SIMD_I8X16_ALL_TRUE: LANES(16, all = all && x->u8[i] != 0); break;
    case WASM_SIMD_I16X8_ALL_TRUE: LANES(8, all = all && x->u16[i] != 0); break;
    case WASM_SIMD_I32X4_ALL_TRUE: LANES(4, all = all && x->u32[i] != 0); break;
    case WASM_SIMD_I64X2_ALL_TRUE: LANES(2, all = all && x->u64[i] != 0); break;
    default: assert(!"not an all_true");
    }
    return all;
}

/* Bit i of the result is the sign bit of lane i. */
static uint32_t simd_bitmask(uint32_t index, const simd_v128 *x)
{
    uint32_t m = 0;
    switch (index) {
    case WASM_SIMD_I8X16_BITMASK: LANES(16, m |= (uint32_t)(x->u8[i] >> 7) << i); break;
    case WASM_SIMD_I16X8_BITMASK: LANES(8, m |= (uint32_t)(x->u16[i] >> 15) << i); break;
    case WASM_SIMD_I32X4_BITMASK: LANES(4, m |= (x->u32[i] >> 31) << i); break;
    case WASM_SIMD_I64X2_BITMASK: LANES(2, m |= (uint32_t)(x->u64[i] >> 63) << i); break;
    default: assert(!"not a bitmask");
    }
    return m;
}

/*
 * The instructions whose result is not a lane-wise function of vector
 * operands. Returns false if `index` is none of them.
 */
static bool simd_misc(uint32_t index, uint8_t *out, const uint8_t *a, const uint8_t *b,
                      const uint8_t *c, uint32_t lane, const uint8_t *imm16)
{
    simd_v128 r, x, y, m;
    switch (index) {
    case WASM_SIMD_V128_CONST:
        assert(imm16 != NULL);
        memcpy(out, imm16, 16);
        return true;
    case WASM_SIMD_I8X16_SHUFFLE:
        assert(imm16 != NULL);
        x = simd_get(a);
        y = simd_get(b);
        LANES(16, assert(imm16[i] < 32); r.u8[i] = imm16[i] < 16 ? x.u8[imm16[i]] : y.u8[imm16[i] & 15]);
        break;
    case WASM_SIMD_I8X16_SWIZZLE:
        x = simd_get(a);
        y = simd_get(b);
        LANES(16, r.u8[i] = y.u8[i] < 16 ? x.u8[y.u8[i]] : 0);
        break;
    case WASM_SIMD_I8X16_SPLAT:
    case WASM_SIMD_I16X8_SPLAT:
    case WASM_SIMD_I32X4_SPLAT:
    case WASM_SIMD_I64X2_SPLAT:
    case WASM_SIMD_F32X4_SPLAT:
    case WASM_SIMD_F64X2_SPLAT:
        simd_splat(index, &r, simd_get_slot(a));
        break;
    case WASM_SIMD_I8X16_EXTRACT_LANE_S:
    case WASM_SIMD_I8X16_EXTRACT_LANE_U:
    case WASM_SIMD_I16X8_EXTRACT_LANE_S:
    case WASM_SIMD_I16X8_EXTRACT_LANE_U:
    case WASM_SIMD_I32X4_EXTRACT_LANE:
    case WASM_SIMD_I64X2_EXTRACT_LANE:
    case WASM_SIMD_F32X4_EXTRACT_LANE:
    case WASM_SIMD_F64X2_EXTRACT_LANE:
        assert(lane < wasm_simd_op_at(index)->lanes);
        x = simd_get(a);
        simd_put_slot(out, simd_extract(index, &x, lane));
        return true;
    case WASM_SIMD_I8X16_REPLACE_LANE:
    case WASM_SIMD_I16X8_REPLACE_LANE:
    case WASM_SIMD_I32X4_REPLACE_LANE:
    case WASM_SIMD_I64X2_REPLACE_LANE:
    case WASM_SIMD_F32X4_REPLACE_LANE:
    case WASM_SIMD_F64X2_REPLACE_LANE:
        assert(lane < wasm_simd_op_at(index)->lanes);
        r = simd_get(a);
        simd_replace(index, &r, lane, simd_get_slot(b));
        break;
    case WASM_SIMD_V128_NOT:
        x = simd_get(a);
        LANES(2, r.u64[i] = ~x.u64[i]);
        break;
    case WASM_SIMD_V128_AND:
    case WASM_SIMD_V128_ANDNOT:
    case WASM_SIMD_V128_OR:
    case WASM_SIMD_V128_XOR:
        x = simd_get(a);
        y = simd_get(b);
        if (index == WASM_SIMD_V128_AND)
            LANES(2, r.u64[i] = x.u64[i] & y.u64[i]);
        else if (index == WASM_SIMD_V128_ANDNOT)
            LANES(2, r.u64[i] = x.u64[i] & ~y.u64[i]);
        else if (index == WASM_SIMD_V128_OR)
            LANES(2, r.u64[i] = x.u64[i] | y.u64[i]);
        else
            LANES(2, r.u64[i] = x.u64[i] ^ y.u64[i]);
        break;
    case WASM_SIMD_V128_BITSELECT:
        /* Bits of a where the mask c is 1, bits of b where it is 0. */
        x = simd_get(a);
        y = simd_get(b);
        m = simd_get(c);
        LANES(2, r.u64[i] = (x.u64[i] & m.u64[i]) | (y.u64[i] & ~m.u64[i]));
        break;
    case WASM_SIMD_V128_ANY_TRUE:
        x = simd_get(a);
        simd_put_slot(out, (x.u64[0] | x.u64[1]) != 0);
        return true;
    case WASM_SIMD_I8X16_ALL_TRUE:
    case WASM_SIMD_I16X8_ALL_TRUE:
    case WASM_SIMD_I32X4_ALL_TRUE:
    case WASM_SIMD_I64X2_ALL_TRUE:
        x = simd_get(a);
        simd_put_slot(out, simd_all_true(index, &x));
        return true;
    case WASM_SIMD_I8X16_BITMASK:
    case WASM_SIMD_I16X8_BITMASK:
    case WASM_SIMD_I32X4_BITMASK:
    case WASM_SIMD_I64X2_BITMASK:
        x = simd_get(a);
        simd_put_slot(out, simd_bitmask(index, &x));
        return true;
    default:
        return false;
    }
    memcpy(out, &r, sizeof r);
    return true;
}

void exec_simd_op(uint32_t index, uint8_t *out, const uint8_t *a, const uint8_t *b,
                  const uint8_t *c, uint32_t lane, const uint8_t *imm16)
{
    assert(index < WASM_SIMD_NOPS);
    const wasm_simd_opinfo *info = wasm_simd_op_at(index);
    assert(!wasm_simd_is_memory_op(info));

    if (simd_misc(index, out, a, b, c, lane, imm16))
        return;

    /* Everything left is lane-wise on v128 operands (plus a shift count). */
    simd_v128 r, x, y;
    uint32_t count = 0;
    x = simd_get(a);
    if (info->nparams == 2 && info->params[1] == WASM_V128)
        y = simd_get(b);
    else if (info->nparams == 2)
        count = (uint32_t)simd_get_slot(b);
    else
        memset(&y, 0, sizeof y);

    bool done = simd_lanewise(index, &r, &x, &y, count);
    assert(done && "SIMD instruction without semantics");
    (void)done;
    memcpy(out, &r, sizeof r);
}

/* ---- memory shaping ------------------------------------------------------ */

uint32_t exec_simd_access_size(uint32_t index)
{
    const wasm_simd_opinfo *info = wasm_simd_op_at(index);
    assert(wasm_simd_is_memory_op(info));
    return 1u << info->align;
}

void exec_simd_load(uint32_t index, uint8_t *out, const uint8_t *mem, const uint8_t *v,
                    uint32_t lane)
{
    simd_v128 r, src;
    uint32_t size = exec_simd_access_size(index);
    assert(wasm_simd_op_at(index)->result == WASM_V128);
    memset(&src, 0, sizeof src);
    memcpy(&src, mem, size);

    switch (index) {
    case WASM_SIMD_V128_LOAD: r = src; break;
    case WASM_SIMD_V128_LOAD8X8_S: LANES(8, r.i16[i] = src.i8[i]); break;
    case WASM_SIMD_V128_LOAD8X8_U: LANES(8, r.u16[i] = src.u8[i]); break;
    case WASM_SIMD_V128_LOAD16X4_S: LANES(4, r.i32[i] = src.i16[i]); break;
    case WASM_SIMD_V128_LOAD16X4_U: LANES(4, r.u32[i] = src.u16[i]); break;
    case WASM_SIMD_V128_LOAD32X2_S: LANES(2, r.i64[i] = src.i32[i]); break;
    case WASM_SIMD_V128_LOAD32X2_U: LANES(2, r.u64[i] = src.u32[i]); break;
    case WASM_SIMD_V128_LOAD8_SPLAT:
    case WASM_SIMD_V128_LOAD16_SPLAT:
    case WASM_SIMD_V128_LOAD32_SPLAT:
    case WASM_SIMD_V128_LOAD64_SPLAT:
        for (uint32_t off = 0; off < 16; off += size)
            memcpy(&r.u8[off], mem, size);
        break;
    case WASM_SIMD_V128_LOAD32_ZERO:
    case WASM_SIMD_V128_LOAD64_ZERO: r = src; break;   /* src is zero past `size` */
    case WASM_SIMD_V128_LOAD8_LANE:
    case WASM_SIMD_V128_LOAD16_LANE:
    case WASM_SIMD_V128_LOAD32_LANE:
    case WASM_SIMD_V128_LOAD64_LANE:
        assert(lane < wasm_simd_op_at(index)->lanes);
        r = simd_get(v);
        memcpy(&r.u8[lane * size], mem, size);
        break;
    default: assert(!"not a SIMD load"); memset(&r, 0, sizeof r);
    }
    memcpy(out, &r, sizeof r);
}

void exec_simd_store(uint32_t index, uint8_t *mem, const uint8_t *v, uint32_t lane)
{
    uint32_t size = exec_simd_access_size(index);
    switch (index) {
    case WASM_SIMD_V128_STORE: memcpy(mem, v, 16); break;
    case WASM_SIMD_V128_STORE8_LANE:
    case WASM_SIMD_V128_STORE16_LANE:
    case WASM_SIMD_V128_STORE32_LANE:
    case WASM_SIMD_V128_STORE64_LANE:
        assert(lane < wasm_simd_op_at(index)->lanes);
        memmove(mem, v + lane * size, size);
        break;
    default: assert(!"not a SIMD store");
    }
}
