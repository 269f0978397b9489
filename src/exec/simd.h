/*
 * simd.h - semantics of the WebAssembly 128-bit SIMD instructions, as plain
 * C on 16-byte values.
 *
 * The interpreter owns the operand stack and linear memory; this module only
 * computes. Instructions are named by their dense index (enum
 * wasm_simd_index in wasm/simd_ops.h).
 *
 * Value layout, shared with the interpreter's 8-byte slots:
 *  - a v128 is 16 bytes, lane 0 first, each lane little-endian (two slots);
 *  - a scalar is one 8-byte slot: i32 in the low 4 bytes, f32 as its bits in
 *    the low 4 bytes, i64 and f64 (as bits) in all 8 bytes.
 * Pointers need no alignment, and an output may alias any input.
 *
 * Nothing here traps: every non-memory SIMD instruction is total. NaN
 * results are canonical or arithmetic exactly as the spec allows.
 */
#ifndef ISOLA_EXEC_SIMD_H
#define ISOLA_EXEC_SIMD_H

#include <stdint.h>

#include "wasm/simd_ops.h"

/*
 * Executes the non-memory SIMD instruction `index` (asserted: not a memarg
 * op).
 *  - a, b, c: the popped operands in push order (a was pushed first, so for
 *    `i32x4.sub` the result is a - b; for `v128.bitselect` c is the mask; for
 *    shifts b is the i32 count slot; for replace_lane b is the scalar slot;
 *    for splats a is the scalar slot). Operands the instruction does not take
 *    are ignored and may be NULL.
 *  - out: 16 bytes for a v128 result; for a scalar result (extract_lane,
 *    any_true, all_true, bitmask) one full 8-byte slot, with the upper 4 bytes
 *    zeroed for i32 and f32.
 *  - lane: the lane-index immediate of extract_lane/replace_lane (validated
 *    < lane count); ignored otherwise.
 *  - imm16: the 16 immediate bytes of v128.const and i8x16.shuffle
 *    (shuffle indices validated < 32); ignored otherwise, may be NULL.
 */
void exec_simd_op(uint32_t index, uint8_t *out, const uint8_t *a, const uint8_t *b,
                  const uint8_t *c, uint32_t lane, const uint8_t *imm16);

/*
 * Memory SIMD instructions: the interpreter computes the effective address,
 * bounds-checks exec_simd_access_size(index) bytes there, and calls one of
 * the two shapers below with a pointer to those bytes in linear memory.
 */

/* Bytes a memory SIMD instruction reads or writes: 1, 2, 4, 8 or 16. */
uint32_t exec_simd_access_size(uint32_t index);

/*
 * For the v128.load* family (load, loadNxM_s/u, loadN_splat, loadN_zero,
 * loadN_lane): builds the result vector in `out` (16 bytes) from the
 * exec_simd_access_size() bytes at `mem`. For loadN_lane, `v` is the v128
 * operand and `lane` the lane immediate; both are ignored otherwise.
 */
void exec_simd_load(uint32_t index, uint8_t *out, const uint8_t *mem, const uint8_t *v,
                    uint32_t lane);

/*
 * For v128.store and storeN_lane: writes the exec_simd_access_size() bytes
 * the instruction stores from vector `v` (lane `lane` for storeN_lane) to
 * `mem`.
 */
void exec_simd_store(uint32_t index, uint8_t *mem, const uint8_t *v, uint32_t lane);

#endif
