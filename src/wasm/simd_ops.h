/*
 * simd_ops.h - the WebAssembly 2.0 fixed-width SIMD instruction set
 * (0xFD prefix): one table entry per instruction with its text name,
 * immediates and stack signature.
 *
 * The validator type-checks SIMD instructions from this table alone, and the
 * translator translates them generically; the interpreter switches on the
 * dense index (enum wasm_simd_index), which is stable, gap-free and ordered
 * like the sub-opcodes.
 */
#ifndef ISOLA_WASM_SIMD_OPS_H
#define ISOLA_WASM_SIMD_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "wasm/module.h"

/* Immediates that follow the sub-opcode (a u32 LEB128) in the binary. */
enum wasm_simd_imm {
    WASM_SIMD_IMM_NONE,
    WASM_SIMD_IMM_MEMARG,       /* align (u32 LEB128, log2, must be <= `align`), offset (u32 LEB128) */
    WASM_SIMD_IMM_MEMARG_LANE,  /* a memarg as above, then one lane-index byte (< `lanes`) */
    WASM_SIMD_IMM_LANE,         /* one lane-index byte (< `lanes`) */
    WASM_SIMD_IMM_V128,         /* 16 raw bytes: the constant, little-endian */
    WASM_SIMD_IMM_SHUFFLE,      /* 16 lane-index bytes, each < `lanes` (32) */
};

/* Result type of instructions that push nothing (the stores). */
#define WASM_SIMD_NO_RESULT ((wasm_valtype)0)

typedef struct wasm_simd_opinfo {
    const char *name;           /* text mnemonic, e.g. "i32x4.add" */
    uint32_t subop;             /* the sub-opcode after 0xFD */
    uint16_t index;             /* dense index, enum wasm_simd_index */
    uint8_t imm;                /* enum wasm_simd_imm */
    uint8_t lanes;              /* lane-index immediates: lane count; 0 otherwise */
    uint8_t align;              /* memarg ops: natural alignment, log2; the access is (1 << align) bytes */
    uint8_t nparams;            /* operands popped, 0..3 */
    wasm_valtype params[3];     /* operand types, in push order (params[0] is deepest) */
    wasm_valtype result;        /* pushed type, or WASM_SIMD_NO_RESULT */
} wasm_simd_opinfo;

/* Dense indices, in sub-opcode order. */
enum wasm_simd_index {
    WASM_SIMD_V128_LOAD = 0,                        /* 0x00 */
    WASM_SIMD_V128_LOAD8X8_S = 1,                   /* 0x01 */
    WASM_SIMD_V128_LOAD8X8_U = 2,                   /* 0x02 */
    WASM_SIMD_V128_LOAD16X4_S = 3,                  /* 0x03 */
    WASM_SIMD_V128_LOAD16X4_U = 4,                  /* 0x04 */
    WASM_SIMD_V128_LOAD32X2_S = 5,                  /* 0x05 */
    WASM_SIMD_V128_LOAD32X2_U = 6,                  /* 0x06 */
    WASM_SIMD_V128_LOAD8_SPLAT = 7,                 /* 0x07 */
    WASM_SIMD_V128_LOAD16_SPLAT = 8,                /* 0x08 */
    WASM_SIMD_V128_LOAD32_SPLAT = 9,                /* 0x09 */
    WASM_SIMD_V128_LOAD64_SPLAT = 10,               /* 0x0A */
    WASM_SIMD_V128_STORE = 11,                      /* 0x0B */
    WASM_SIMD_V128_CONST = 12,                      /* 0x0C */
    WASM_SIMD_I8X16_SHUFFLE = 13,                   /* 0x0D */
    WASM_SIMD_I8X16_SWIZZLE = 14,                   /* 0x0E */
    WASM_SIMD_I8X16_SPLAT = 15,                     /* 0x0F */
    WASM_SIMD_I16X8_SPLAT = 16,                     /* 0x10 */
    WASM_SIMD_I32X4_SPLAT = 17,                     /* 0x11 */
    WASM_SIMD_I64X2_SPLAT = 18,                     /* 0x12 */
    WASM_SIMD_F32X4_SPLAT = 19,                     /* 0x13 */
    WASM_SIMD_F64X2_SPLAT = 20,                     /* 0x14 */
    WASM_SIMD_I8X16_EXTRACT_LANE_S = 21,            /* 0x15 */
    WASM_SIMD_I8X16_EXTRACT_LANE_U = 22,            /* 0x16 */
    WASM_SIMD_I8X16_REPLACE_LANE = 23,              /* 0x17 */
    WASM_SIMD_I16X8_EXTRACT_LANE_S = 24,            /* 0x18 */
    WASM_SIMD_I16X8_EXTRACT_LANE_U = 25,            /* 0x19 */
    WASM_SIMD_I16X8_REPLACE_LANE = 26,              /* 0x1A */
    WASM_SIMD_I32X4_EXTRACT_LANE = 27,              /* 0x1B */
    WASM_SIMD_I32X4_REPLACE_LANE = 28,              /* 0x1C */
    WASM_SIMD_I64X2_EXTRACT_LANE = 29,              /* 0x1D */
    WASM_SIMD_I64X2_REPLACE_LANE = 30,              /* 0x1E */
    WASM_SIMD_F32X4_EXTRACT_LANE = 31,              /* 0x1F */
    WASM_SIMD_F32X4_REPLACE_LANE = 32,              /* 0x20 */
    WASM_SIMD_F64X2_EXTRACT_LANE = 33,              /* 0x21 */
    WASM_SIMD_F64X2_REPLACE_LANE = 34,              /* 0x22 */
    WASM_SIMD_I8X16_EQ = 35,                        /* 0x23 */
    WASM_SIMD_I8X16_NE = 36,                        /* 0x24 */
    WASM_SIMD_I8X16_LT_S = 37,                      /* 0x25 */
    WASM_SIMD_I8X16_LT_U = 38,                      /* 0x26 */
    WASM_SIMD_I8X16_GT_S = 39,                      /* 0x27 */
    WASM_SIMD_I8X16_GT_U = 40,                      /* 0x28 */
    WASM_SIMD_I8X16_LE_S = 41,                      /* 0x29 */
    WASM_SIMD_I8X16_LE_U = 42,                      /* 0x2A */
    WASM_SIMD_I8X16_GE_S = 43,                      /* 0x2B */
    WASM_SIMD_I8X16_GE_U = 44,                      /* 0x2C */
    WASM_SIMD_I16X8_EQ = 45,                        /* 0x2D */
    WASM_SIMD_I16X8_NE = 46,                        /* 0x2E */
    WASM_SIMD_I16X8_LT_S = 47,                      /* 0x2F */
    WASM_SIMD_I16X8_LT_U = 48,                      /* 0x30 */
    WASM_SIMD_I16X8_GT_S = 49,                      /* 0x31 */
    WASM_SIMD_I16X8_GT_U = 50,                      /* 0x32 */
    WASM_SIMD_I16X8_LE_S = 51,                      /* 0x33 */
    WASM_SIMD_I16X8_LE_U = 52,                      /* 0x34 */
    WASM_SIMD_I16X8_GE_S = 53,                      /* 0x35 */
    WASM_SIMD_I16X8_GE_U = 54,                      /* 0x36 */
    WASM_SIMD_I32X4_EQ = 55,                        /* 0x37 */
    WASM_SIMD_I32X4_NE = 56,                        /* 0x38 */
    WASM_SIMD_I32X4_LT_S = 57,                      /* 0x39 */
    WASM_SIMD_I32X4_LT_U = 58,                      /* 0x3A */
    WASM_SIMD_I32X4_GT_S = 59,                      /* 0x3B */
    WASM_SIMD_I32X4_GT_U = 60,                      /* 0x3C */
    WASM_SIMD_I32X4_LE_S = 61,                      /* 0x3D */
    WASM_SIMD_I32X4_LE_U = 62,                      /* 0x3E */
    WASM_SIMD_I32X4_GE_S = 63,                      /* 0x3F */
    WASM_SIMD_I32X4_GE_U = 64,                      /* 0x40 */
    WASM_SIMD_F32X4_EQ = 65,                        /* 0x41 */
    WASM_SIMD_F32X4_NE = 66,                        /* 0x42 */
    WASM_SIMD_F32X4_LT = 67,                        /* 0x43 */
    WASM_SIMD_F32X4_GT = 68,                        /* 0x44 */
    WASM_SIMD_F32X4_LE = 69,                        /* 0x45 */
    WASM_SIMD_F32X4_GE = 70,                        /* 0x46 */
    WASM_SIMD_F64X2_EQ = 71,                        /* 0x47 */
    WASM_SIMD_F64X2_NE = 72,                        /* 0x48 */
    WASM_SIMD_F64X2_LT = 73,                        /* 0x49 */
    WASM_SIMD_F64X2_GT = 74,                        /* 0x4A */
    WASM_SIMD_F64X2_LE = 75,                        /* 0x4B */
    WASM_SIMD_F64X2_GE = 76,                        /* 0x4C */
    WASM_SIMD_V128_NOT = 77,                        /* 0x4D */
    WASM_SIMD_V128_AND = 78,                        /* 0x4E */
    WASM_SIMD_V128_ANDNOT = 79,                     /* 0x4F */
    WASM_SIMD_V128_OR = 80,                         /* 0x50 */
    WASM_SIMD_V128_XOR = 81,                        /* 0x51 */
    WASM_SIMD_V128_BITSELECT = 82,                  /* 0x52 */
    WASM_SIMD_V128_ANY_TRUE = 83,                   /* 0x53 */
    WASM_SIMD_V128_LOAD8_LANE = 84,                 /* 0x54 */
    WASM_SIMD_V128_LOAD16_LANE = 85,                /* 0x55 */
    WASM_SIMD_V128_LOAD32_LANE = 86,                /* 0x56 */
    WASM_SIMD_V128_LOAD64_LANE = 87,                /* 0x57 */
    WASM_SIMD_V128_STORE8_LANE = 88,                /* 0x58 */
    WASM_SIMD_V128_STORE16_LANE = 89,               /* 0x59 */
    WASM_SIMD_V128_STORE32_LANE = 90,               /* 0x5A */
    WASM_SIMD_V128_STORE64_LANE = 91,               /* 0x5B */
    WASM_SIMD_V128_LOAD32_ZERO = 92,                /* 0x5C */
    WASM_SIMD_V128_LOAD64_ZERO = 93,                /* 0x5D */
    WASM_SIMD_F32X4_DEMOTE_F64X2_ZERO = 94,         /* 0x5E */
    WASM_SIMD_F64X2_PROMOTE_LOW_F32X4 = 95,         /* 0x5F */
    WASM_SIMD_I8X16_ABS = 96,                       /* 0x60 */
    WASM_SIMD_I8X16_NEG = 97,                       /* 0x61 */
    WASM_SIMD_I8X16_POPCNT = 98,                    /* 0x62 */
    WASM_SIMD_I8X16_ALL_TRUE = 99,                  /* 0x63 */
    WASM_SIMD_I8X16_BITMASK = 100,                  /* 0x64 */
    WASM_SIMD_I8X16_NARROW_I16X8_S = 101,           /* 0x65 */
    WASM_SIMD_I8X16_NARROW_I16X8_U = 102,           /* 0x66 */
    WASM_SIMD_F32X4_CEIL = 103,                     /* 0x67 */
    WASM_SIMD_F32X4_FLOOR = 104,                    /* 0x68 */
    WASM_SIMD_F32X4_TRUNC = 105,                    /* 0x69 */
    WASM_SIMD_F32X4_NEAREST = 106,                  /* 0x6A */
    WASM_SIMD_I8X16_SHL = 107,                      /* 0x6B */
    WASM_SIMD_I8X16_SHR_S = 108,                    /* 0x6C */
    WASM_SIMD_I8X16_SHR_U = 109,                    /* 0x6D */
    WASM_SIMD_I8X16_ADD = 110,                      /* 0x6E */
    WASM_SIMD_I8X16_ADD_SAT_S = 111,                /* 0x6F */
    WASM_SIMD_I8X16_ADD_SAT_U = 112,                /* 0x70 */
    WASM_SIMD_I8X16_SUB = 113,                      /* 0x71 */
    WASM_SIMD_I8X16_SUB_SAT_S = 114,                /* 0x72 */
    WASM_SIMD_I8X16_SUB_SAT_U = 115,                /* 0x73 */
    WASM_SIMD_F64X2_CEIL = 116,                     /* 0x74 */
    WASM_SIMD_F64X2_FLOOR = 117,                    /* 0x75 */
    WASM_SIMD_I8X16_MIN_S = 118,                    /* 0x76 */
    WASM_SIMD_I8X16_MIN_U = 119,                    /* 0x77 */
    WASM_SIMD_I8X16_MAX_S = 120,                    /* 0x78 */
    WASM_SIMD_I8X16_MAX_U = 121,                    /* 0x79 */
    WASM_SIMD_F64X2_TRUNC = 122,                    /* 0x7A */
    WASM_SIMD_I8X16_AVGR_U = 123,                   /* 0x7B */
    WASM_SIMD_I16X8_EXTADD_PAIRWISE_I8X16_S = 124,  /* 0x7C */
    WASM_SIMD_I16X8_EXTADD_PAIRWISE_I8X16_U = 125,  /* 0x7D */
    WASM_SIMD_I32X4_EXTADD_PAIRWISE_I16X8_S = 126,  /* 0x7E */
    WASM_SIMD_I32X4_EXTADD_PAIRWISE_I16X8_U = 127,  /* 0x7F */
    WASM_SIMD_I16X8_ABS = 128,                      /* 0x80 */
    WASM_SIMD_I16X8_NEG = 129,                      /* 0x81 */
    WASM_SIMD_I16X8_Q15MULR_SAT_S = 130,            /* 0x82 */
    WASM_SIMD_I16X8_ALL_TRUE = 131,                 /* 0x83 */
    WASM_SIMD_I16X8_BITMASK = 132,                  /* 0x84 */
    WASM_SIMD_I16X8_NARROW_I32X4_S = 133,           /* 0x85 */
    WASM_SIMD_I16X8_NARROW_I32X4_U = 134,           /* 0x86 */
    WASM_SIMD_I16X8_EXTEND_LOW_I8X16_S = 135,       /* 0x87 */
    WASM_SIMD_I16X8_EXTEND_HIGH_I8X16_S = 136,      /* 0x88 */
    WASM_SIMD_I16X8_EXTEND_LOW_I8X16_U = 137,       /* 0x89 */
    WASM_SIMD_I16X8_EXTEND_HIGH_I8X16_U = 138,      /* 0x8A */
    WASM_SIMD_I16X8_SHL = 139,                      /* 0x8B */
    WASM_SIMD_I16X8_SHR_S = 140,                    /* 0x8C */
    WASM_SIMD_I16X8_SHR_U = 141,                    /* 0x8D */
    WASM_SIMD_I16X8_ADD = 142,                      /* 0x8E */
    WASM_SIMD_I16X8_ADD_SAT_S = 143,                /* 0x8F */
    WASM_SIMD_I16X8_ADD_SAT_U = 144,                /* 0x90 */
    WASM_SIMD_I16X8_SUB = 145,                      /* 0x91 */
    WASM_SIMD_I16X8_SUB_SAT_S = 146,                /* 0x92 */
    WASM_SIMD_I16X8_SUB_SAT_U = 147,                /* 0x93 */
    WASM_SIMD_F64X2_NEAREST = 148,                  /* 0x94 */
    WASM_SIMD_I16X8_MUL = 149,                      /* 0x95 */
    WASM_SIMD_I16X8_MIN_S = 150,                    /* 0x96 */
    WASM_SIMD_I16X8_MIN_U = 151,                    /* 0x97 */
    WASM_SIMD_I16X8_MAX_S = 152,                    /* 0x98 */
    WASM_SIMD_I16X8_MAX_U = 153,                    /* 0x99 */
    WASM_SIMD_I16X8_AVGR_U = 154,                   /* 0x9B */
    WASM_SIMD_I16X8_EXTMUL_LOW_I8X16_S = 155,       /* 0x9C */
    WASM_SIMD_I16X8_EXTMUL_HIGH_I8X16_S = 156,      /* 0x9D */
    WASM_SIMD_I16X8_EXTMUL_LOW_I8X16_U = 157,       /* 0x9E */
    WASM_SIMD_I16X8_EXTMUL_HIGH_I8X16_U = 158,      /* 0x9F */
    WASM_SIMD_I32X4_ABS = 159,                      /* 0xA0 */
    WASM_SIMD_I32X4_NEG = 160,                      /* 0xA1 */
    WASM_SIMD_I32X4_ALL_TRUE = 161,                 /* 0xA3 */
    WASM_SIMD_I32X4_BITMASK = 162,                  /* 0xA4 */
    WASM_SIMD_I32X4_EXTEND_LOW_I16X8_S = 163,       /* 0xA7 */
    WASM_SIMD_I32X4_EXTEND_HIGH_I16X8_S = 164,      /* 0xA8 */
    WASM_SIMD_I32X4_EXTEND_LOW_I16X8_U = 165,       /* 0xA9 */
    WASM_SIMD_I32X4_EXTEND_HIGH_I16X8_U = 166,      /* 0xAA */
    WASM_SIMD_I32X4_SHL = 167,                      /* 0xAB */
    WASM_SIMD_I32X4_SHR_S = 168,                    /* 0xAC */
    WASM_SIMD_I32X4_SHR_U = 169,                    /* 0xAD */
    WASM_SIMD_I32X4_ADD = 170,                      /* 0xAE */
    WASM_SIMD_I32X4_SUB = 171,                      /* 0xB1 */
    WASM_SIMD_I32X4_MUL = 172,                      /* 0xB5 */
    WASM_SIMD_I32X4_MIN_S = 173,                    /* 0xB6 */
    WASM_SIMD_I32X4_MIN_U = 174,                    /* 0xB7 */
    WASM_SIMD_I32X4_MAX_S = 175,                    /* 0xB8 */
    WASM_SIMD_I32X4_MAX_U = 176,                    /* 0xB9 */
    WASM_SIMD_I32X4_DOT_I16X8_S = 177,              /* 0xBA */
    WASM_SIMD_I32X4_EXTMUL_LOW_I16X8_S = 178,       /* 0xBC */
    WASM_SIMD_I32X4_EXTMUL_HIGH_I16X8_S = 179,      /* 0xBD */
    WASM_SIMD_I32X4_EXTMUL_LOW_I16X8_U = 180,       /* 0xBE */
    WASM_SIMD_I32X4_EXTMUL_HIGH_I16X8_U = 181,      /* 0xBF */
    WASM_SIMD_I64X2_ABS = 182,                      /* 0xC0 */
    WASM_SIMD_I64X2_NEG = 183,                      /* 0xC1 */
    WASM_SIMD_I64X2_ALL_TRUE = 184,                 /* 0xC3 */
    WASM_SIMD_I64X2_BITMASK = 185,                  /* 0xC4 */
    WASM_SIMD_I64X2_EXTEND_LOW_I32X4_S = 186,       /* 0xC7 */
    WASM_SIMD_I64X2_EXTEND_HIGH_I32X4_S = 187,      /* 0xC8 */
    WASM_SIMD_I64X2_EXTEND_LOW_I32X4_U = 188,       /* 0xC9 */
    WASM_SIMD_I64X2_EXTEND_HIGH_I32X4_U = 189,      /* 0xCA */
    WASM_SIMD_I64X2_SHL = 190,                      /* 0xCB */
    WASM_SIMD_I64X2_SHR_S = 191,                    /* 0xCC */
    WASM_SIMD_I64X2_SHR_U = 192,                    /* 0xCD */
    WASM_SIMD_I64X2_ADD = 193,                      /* 0xCE */
    WASM_SIMD_I64X2_SUB = 194,                      /* 0xD1 */
    WASM_SIMD_I64X2_MUL = 195,                      /* 0xD5 */
    WASM_SIMD_I64X2_EQ = 196,                       /* 0xD6 */
    WASM_SIMD_I64X2_NE = 197,                       /* 0xD7 */
    WASM_SIMD_I64X2_LT_S = 198,                     /* 0xD8 */
    WASM_SIMD_I64X2_GT_S = 199,                     /* 0xD9 */
    WASM_SIMD_I64X2_LE_S = 200,                     /* 0xDA */
    WASM_SIMD_I64X2_GE_S = 201,                     /* 0xDB */
    WASM_SIMD_I64X2_EXTMUL_LOW_I32X4_S = 202,       /* 0xDC */
    WASM_SIMD_I64X2_EXTMUL_HIGH_I32X4_S = 203,      /* 0xDD */
    WASM_SIMD_I64X2_EXTMUL_LOW_I32X4_U = 204,       /* 0xDE */
    WASM_SIMD_I64X2_EXTMUL_HIGH_I32X4_U = 205,      /* 0xDF */
    WASM_SIMD_F32X4_ABS = 206,                      /* 0xE0 */
    WASM_SIMD_F32X4_NEG = 207,                      /* 0xE1 */
    WASM_SIMD_F32X4_SQRT = 208,                     /* 0xE3 */
    WASM_SIMD_F32X4_ADD = 209,                      /* 0xE4 */
    WASM_SIMD_F32X4_SUB = 210,                      /* 0xE5 */
    WASM_SIMD_F32X4_MUL = 211,                      /* 0xE6 */
    WASM_SIMD_F32X4_DIV = 212,                      /* 0xE7 */
    WASM_SIMD_F32X4_MIN = 213,                      /* 0xE8 */
    WASM_SIMD_F32X4_MAX = 214,                      /* 0xE9 */
    WASM_SIMD_F32X4_PMIN = 215,                     /* 0xEA */
    WASM_SIMD_F32X4_PMAX = 216,                     /* 0xEB */
    WASM_SIMD_F64X2_ABS = 217,                      /* 0xEC */
    WASM_SIMD_F64X2_NEG = 218,                      /* 0xED */
    WASM_SIMD_F64X2_SQRT = 219,                     /* 0xEF */
    WASM_SIMD_F64X2_ADD = 220,                      /* 0xF0 */
    WASM_SIMD_F64X2_SUB = 221,                      /* 0xF1 */
    WASM_SIMD_F64X2_MUL = 222,                      /* 0xF2 */
    WASM_SIMD_F64X2_DIV = 223,                      /* 0xF3 */
    WASM_SIMD_F64X2_MIN = 224,                      /* 0xF4 */
    WASM_SIMD_F64X2_MAX = 225,                      /* 0xF5 */
    WASM_SIMD_F64X2_PMIN = 226,                     /* 0xF6 */
    WASM_SIMD_F64X2_PMAX = 227,                     /* 0xF7 */
    WASM_SIMD_I32X4_TRUNC_SAT_F32X4_S = 228,        /* 0xF8 */
    WASM_SIMD_I32X4_TRUNC_SAT_F32X4_U = 229,        /* 0xF9 */
    WASM_SIMD_F32X4_CONVERT_I32X4_S = 230,          /* 0xFA */
    WASM_SIMD_F32X4_CONVERT_I32X4_U = 231,          /* 0xFB */
    WASM_SIMD_I32X4_TRUNC_SAT_F64X2_S_ZERO = 232,   /* 0xFC */
    WASM_SIMD_I32X4_TRUNC_SAT_F64X2_U_ZERO = 233,   /* 0xFD */
    WASM_SIMD_F64X2_CONVERT_LOW_I32X4_S = 234,      /* 0xFE */
    WASM_SIMD_F64X2_CONVERT_LOW_I32X4_U = 235,      /* 0xFF */
    WASM_SIMD_NOPS = 236
};

/* The entry for a sub-opcode, or NULL when it is not a SIMD instruction. */
const wasm_simd_opinfo *wasm_simd_op(uint32_t subop);

/* The entry for a dense index; `index` must be < WASM_SIMD_NOPS. */
const wasm_simd_opinfo *wasm_simd_op_at(uint32_t index);

/* True for the instructions that access linear memory (memarg immediates). */
static inline bool wasm_simd_is_memory_op(const wasm_simd_opinfo *op)
{
    return op->imm == WASM_SIMD_IMM_MEMARG || op->imm == WASM_SIMD_IMM_MEMARG_LANE;
}

#endif
