/*
 * code.h - the internal instruction format shared by the translator
 * (translate.c) and the interpreter (interp.c). Private to those two files.
 *
 * A translated function is an array of 8-byte words (exec_op). Each
 * instruction starts with the address of its handler inside the interpreter
 * loop (direct threading), followed by operand words. Operands are slot
 * indices relative to the frame base `fp` (a frame is a window of uint64_t
 * slots: params, declared locals, then operand-stack temporaries), packed
 * two per word as uint32 pairs, or 64-bit immediates and branch targets
 * taking a whole word. The layout conventions, relied on by the translator's
 * peephole that retargets the last result into a local:
 *
 *   unary  op   [h] [dst | a]
 *   binary op   [h] [dst | a] [b | -]     b is a slot, or an immediate for *_imm
 *   load        [h] [dst | addr] [offset | -]
 *   store       [h] [value | addr] [offset | -]
 *   store*_k    [h] [k | addr] [offset | -]    the value is the constant k (see EXEC_STORE_K)
 *   br          [h] [target]
 *   br_z/br_nz  [h] [cond | -] [target]
 *   br_<cmp>    [h] [a | b] [target]      b is a slot, or an immediate for *_imm
 *   br_inc_*    [h] [dst | a] [k | b] [target]   dst = a + k, then a fused loop test of dst
 *   mv_br_inc_* [h] [mdst | msrc] [dst | a] [k | b] [target]   a move, then br_inc_*
 *   br_add_*, mv_br_add_*   as br_inc_*, mv_br_inc_*, with k a slot (a stride: j += step)
 *   i32_add_imm_br_inc_* [h] [dst | a] [k | -] [br_inc_*'s words]   an i32_add_imm (a pointer's
 *               step), then the br_inc_* after it, whose handler word is skipped
 *   f64_mul*    [h] [dst | a] [b | c]   c + a*b, c - a*b, a*b - c (two roundings, as unfused)
 *   i32/i64_muladd [h] [dst | a] [b | c]   c + a*b (wrapping)
 *   f64_muladd_mem, f64_mulsub_mem [h] [a | b] [offset | addr]   m = mem[addr+offset] (f64),
 *               mem[addr+offset] = m + a*b or m - a*b (two roundings): `x[i] += a*b` in one op
 *   f64_muladd_ld_mem, f64_mulsub_ld_mem [h] [a | y] [offy | ky] [offset | addr]   the same
 *               with b loaded, from (y + ky mod 2^32) + offy: `x[i] += a * y[i]` (axpy)
 *   f64_muladd_mem_addk, f64_mulsub_mem_addk [h] [k | base] [a | b] [offset | addr]
 *               addr = base + k (i32, wrapping) into its slot, then the op above
 *   i32/f64_mul_ld2, _muladd_ld2 [h] [dst | x] [y | c] [offx | kx] [offy | ky]
 *               both factors loaded: mem[(x + kx mod 2^32) + offx] * mem[(y + ky ...) + offy],
 *               plus c for _muladd_ld2 (f64: two roundings, as unfused); x's load goes first
 *   f64_*_k     [h] [dst | a] [k]       f64 add/sub/mul/div with a constant right operand
 *   i32_shr_u_and  [h] [dst | a] [shift | mask]   (a >> shift) & mask, a bit-field extract
 *   i32_add_and    [h] [dst | a] [k | mask]       (a + k) & mask, byte arithmetic
 *   i32_<op>_<shift> [h] [dst | a] [b | k]   a op (b shift k), see EXEC_SHIFTED
 *   i32_add_imm_x2 [h] [dst | a] [k | -] [h2] [dst2 | a2] [k2 | -]   two i32_add_imm in one
 *               dispatch; the second keeps its own (skipped) handler word
 *   i32_add_x2  [h] [dst | a] [b | -] [h2] [dst2 | a2] [b2 | -]   the same for two i32_add
 *   i32_shr_u_and_x2 [h] [dst | a] [shift | mask] [h2] [dst2 | a2] [shift2 | mask2]   two bit-field
 *               extracts, the same way
 *   move_pair   [h] [dst | src] [dst2 | src2]   two moves, in order
 *   move_br*    [h] [dst | src] [target]   a move, then an unconditional jump
 *   move3 ... move8 [h] [dst | src] ... (that many pairs)   that many moves, in order
 *   const64     [h] [dst | -] [k]       dst = k (64 bits)
 *   const2 ... const8 [h] ([dst | -] [k]) x n   that many constants, in order
 *   move_pair_br_back, move3_br_back ... move8_br_back [h] [dst | src] ... [target]   the
 *               moves, then a loop back-edge
 *   i32_andn    [h] [dst | a] [b | -]     a & ~b
 *   i32_bits_<op1>_<op2> [h] [dst | a] [b | c]   (a op1 b) op2 c, op1 and op2 each and, or, xor
 *   i32_rotl_xor_rotl [h] [dst | x] [y | j + (k << 8)]   rotl(x, j) ^ rotl(y, k)
 *   i32_rotl_xor_rotl_xor_rotl, _xor_shr_u [h] [dst | x] [y | z] [j + (k << 8) + (l << 16) | -]
 *               rotl(x, j) ^ rotl(y, k) ^ rotl(z, l), or ^ (z >> l): SHA-2's sigma functions
 *   br_table    [h] [index | n] [target 0] ... [target n-1] [default]
 *   br_table_and/_add [h] [x | n] [k | -] [targets as br_table]   index = x & k or x + k
 *   finish      [h]                       the bottom frame returned: the run is over
 *   call        [h] [funcidx | base]      callee frame starts at fp + base
 *   call_direct [h] [funcidx | base] [callee code]   same, for a defined function of
 *               this module (the word holds &module->code[i] until exec_code_link)
 *   i32_add_imm_call_direct [h] [dst | a] [k | -] [call_direct's words]   an i32_add_imm (an
 *               argument's n - 1), then the call_direct after it, whose handler word is skipped
 *   simd_op     [h] [dst | a] [b | c] [index | lane]    (wasm_simd_index, simd.h)
 *   simd_load   [h] [dst | addr] [offset | index] [v | lane + size << 8]
 *   simd_store  [h] [v | addr] [offset | index] [lane + size << 8 | -]
 *
 * Every op that produces exactly one value writes it to the slot in the low
 * half of word 1, and reads all its operands before writing it.
 * Branch targets are absolute addresses of instructions of the same body.
 * Ops with a `_back` suffix are backward branches (loop back-edges): they
 * spend one unit of fuel when taken.
 */
#ifndef ISOLA_EXEC_CODE_H
#define ISOLA_EXEC_CODE_H

#include <stddef.h>
#include <stdint.h>

typedef union exec_op {
    const void *h;           /* handler label address */
    const union exec_op *target;
    struct exec_code *const *code_slot;   /* call_direct before linking: &isola_module.code[i] */
    const struct exec_code *callee;       /* call_direct after linking */
    uint64_t u64;
    uint32_t w[2];
} exec_op;

_Static_assert(sizeof(exec_op) == 8, "exec_op must be one word");

/* The compare conditions that have fused compare-and-branch forms. */
#define EXEC_CMPS(X) X(eq) X(ne) X(lt_s) X(lt_u) X(gt_s) X(gt_u) X(le_s) X(le_u) X(ge_s) X(ge_u)

#define EXEC_BR_CMP_OPS(T, C) \
    X(br_##T##_##C) X(br_##T##_##C##_imm) X(br_##T##_##C##_back) X(br_##T##_##C##_imm_back)
#define EXEC_BR_I32(C) EXEC_BR_CMP_OPS(i32, C)
#define EXEC_BR_I64(C) EXEC_BR_CMP_OPS(i64, C)
#define EXEC_CMP_I32(C) X(i32_##C) X(i32_##C##_imm)
/* select fused with the i32 compare computing its condition:
 * [h] [dst | x] [y | a] [b or imm | -] */
#define EXEC_SEL_I32(C) X(select_i32_##C) X(select_i32_##C##_imm)
#define EXEC_CMP_I64(C) X(i64_##C) X(i64_##C##_imm)
/* an i32 add of the compare's result: [h] [dst | x] [a | b or imm]   x + (a C b) */
#define EXEC_ADD_CMP_I32(C) X(i32_add_##C) X(i32_add_##C##_imm)

/* The loop tests fused with the counter's step (br_inc, br_add and their
 * forms), one op per compare, plain and against an immediate:
 * EXEC_BR_STEP_OPS ops per family, families in a fixed order. */
#define EXEC_BR_STEP(F) \
    X(F##_ne_back) X(F##_ne_imm_back) X(F##_lt_s_back) X(F##_lt_s_imm_back) X(F##_lt_u_back) \
    X(F##_lt_u_imm_back) X(F##_gt_s_back) X(F##_gt_s_imm_back) X(F##_gt_u_back) X(F##_gt_u_imm_back)
#define EXEC_BR_STEP_OPS 10

/* Runs of n moves, plain and ending in a loop's back-edge. */
#define EXEC_MOVE_RUN(n) X(move##n) X(move##n##_br_back)
/* Runs of n constants put into slots. */
#define EXEC_CONST_RUN(n) X(const##n)

/* Integer binary ops that also have an immediate form (b a constant). */
#define EXEC_IMM_BINOPS(T) \
    X(T##_add) X(T##_add_imm) X(T##_sub) X(T##_sub_imm) X(T##_mul) X(T##_mul_imm) \
    X(T##_and) X(T##_and_imm) X(T##_or) X(T##_or_imm) X(T##_xor) X(T##_xor_imm) \
    X(T##_shl) X(T##_shl_imm) X(T##_shr_s) X(T##_shr_s_imm) X(T##_shr_u) X(T##_shr_u_imm)

#define EXEC_INT_OTHER(T) \
    X(T##_eqz) X(T##_clz) X(T##_ctz) X(T##_popcnt) X(T##_div_s) X(T##_div_u) \
    X(T##_rem_s) X(T##_rem_u) X(T##_rotl) X(T##_rotl_imm) X(T##_rotr) X(T##_rotr_imm) \
    X(T##_extend8_s) X(T##_extend16_s)

/* Loads and stores fused with the i32.add (slot or immediate) that computed
 * their address: [h] [dst/value | a] [offset | b or k]. */
#define EXEC_FUSED_MEM(N) X(N##_add) X(N##_addk)
/* i32_load_shl_addk [h] [dst | base] [offset | k] [shift | src]: base = src << shift
 * (kept in its slot), then an i32_load_addk from it. */
/* Stores of a constant value k (the low 32 bits; store64 sign-extends it):
 * [h] [k | addr] [offset | -], and fused with the address add like the above. */
#define EXEC_STORE_K(N) X(N##_k) X(N##_k_add) X(N##_k_addk)
/* ... and with a scaled index, base + (i << shift): [h] [dst/value | base] [offset | i] [shift | -]. */
#define EXEC_INDEXED_MEM(N) X(N##_idx)

#define EXEC_FLOAT_OPS(T) \
    X(T##_eq) X(T##_ne) X(T##_lt) X(T##_gt) X(T##_le) X(T##_ge) \
    X(T##_abs) X(T##_neg) X(T##_ceil) X(T##_floor) X(T##_trunc) X(T##_nearest) X(T##_sqrt) \
    X(T##_add) X(T##_sub) X(T##_mul) X(T##_div) X(T##_min) X(T##_max) X(T##_copysign)

/* f64 add/sub/mul whose right operand was just loaded from memory (by an
 * i64.load or f64.load): f64_OP_ld [h] [dst | a] [addr | off] reads the
 * eight bytes at addr+off; f64_OP_ldk adds [k | -], the address being
 * (addr + k mod 2^32) + off like i64_load_addk's. They follow each other in
 * the list below (the translator relies on it). */

/* Two bitwise ops in a row, (a op1 b) op2 c, in op1-major order (see
 * translate.c, try_bits_chain). */
#define EXEC_BITS2(OP1) X(i32_bits_##OP1##_and) X(i32_bits_##OP1##_or) X(i32_bits_##OP1##_xor)

/* i32 ops whose right operand is a temporary just shifted or rotated by a
 * constant: [h] [dst | a] [b | k]   dst = a OP (b SHIFT k). */
#define EXEC_SHIFTED(OP) X(i32_##OP##_shl) X(i32_##OP##_shr_u) X(i32_##OP##_rotl)

/* Float compares with a constant right operand, [h] [dst | a] [k], and fused
 * with a forward branch: br_T_C [h] [a | b] [target], br_T_C_k [h] [a | -] [k]
 * [target]; the br_T_nC forms branch when the compare is false (with NaNs,
 * "not lt" is not "ge", so each negation is an op of its own). */
#define EXEC_FCMPS(X) X(eq) X(ne) X(lt) X(gt) X(le) X(ge)
#define EXEC_F32_K(C) X(f32_##C##_k)
#define EXEC_F64_K(C) X(f64_##C##_k)
#define EXEC_BR_F32(C) X(br_f32_##C) X(br_f32_##C##_k) X(br_f32_n##C) X(br_f32_n##C##_k)
#define EXEC_BR_F64(C) X(br_f64_##C) X(br_f64_##C##_k) X(br_f64_n##C) X(br_f64_n##C##_k)

/*
 * Every internal op. X(name) must have a handler label op_<name> in interp.c
 * (the label table is generated from this list, so a missing one fails to
 * compile).
 */
#define EXEC_OPS \
    X(unreachable) X(br) X(br_back) \
    X(br_z) X(br_z_back) X(br_nz) X(br_nz_back) \
    X(br_z64) X(br_z64_back) X(br_nz64) X(br_nz64_back) \
    EXEC_CMPS(EXEC_BR_I32) EXEC_CMPS(EXEC_BR_I64) \
    EXEC_BR_STEP(br_inc) EXEC_BR_STEP(mv_br_inc) EXEC_BR_STEP(br_add) EXEC_BR_STEP(mv_br_add) \
    EXEC_BR_STEP(i32_add_imm_br_inc) \
    X(br_table) X(br_table_and) X(br_table_add) X(ret) X(ret1) X(finish) \
    X(call) X(call_direct) X(i32_add_imm_call_direct) X(call_import) X(call_indirect) \
    X(move) X(move_pair) X(move_br) X(move_br_back) X(move_pair_br_back) \
    EXEC_MOVE_RUN(3) EXEC_MOVE_RUN(4) EXEC_MOVE_RUN(5) EXEC_MOVE_RUN(6) EXEC_MOVE_RUN(7) EXEC_MOVE_RUN(8) \
    X(move2) X(const64) EXEC_CONST_RUN(2) EXEC_CONST_RUN(3) EXEC_CONST_RUN(4) EXEC_CONST_RUN(5) \
    EXEC_CONST_RUN(6) EXEC_CONST_RUN(7) EXEC_CONST_RUN(8) X(const128) X(select) X(select2) \
    X(global_get) X(global_set) X(global_get2) X(global_set2) \
    X(table_get) X(table_set) X(table_size) X(table_grow) X(table_fill) X(table_copy) \
    X(table_init) X(elem_drop) \
    X(memory_size) X(memory_grow) X(memory_init) X(memory_copy) X(memory_fill) X(data_drop) \
    X(ref_func) \
    X(i32_load) X(i64_load) X(i32_load8_s) X(i32_load8_u) X(i32_load16_s) X(i32_load16_u) \
    X(i64_load8_s) X(i64_load8_u) X(i64_load16_s) X(i64_load16_u) X(i64_load32_s) X(i64_load32_u) \
    X(store8) X(store16) X(store32) X(store64) \
    EXEC_FUSED_MEM(i32_load) EXEC_FUSED_MEM(i64_load) EXEC_FUSED_MEM(i32_load8_u) \
    EXEC_FUSED_MEM(i32_load8_s) EXEC_FUSED_MEM(i32_load16_u) EXEC_FUSED_MEM(i32_load16_s) \
    EXEC_FUSED_MEM(store8) EXEC_FUSED_MEM(store16) EXEC_FUSED_MEM(store32) EXEC_FUSED_MEM(store64) \
    EXEC_INDEXED_MEM(i32_load) EXEC_INDEXED_MEM(i64_load) EXEC_INDEXED_MEM(i32_load16_u) \
    EXEC_INDEXED_MEM(i32_load16_s) EXEC_INDEXED_MEM(store16) EXEC_INDEXED_MEM(store32) \
    EXEC_INDEXED_MEM(store64) X(i32_load_shl_addk) \
    EXEC_STORE_K(store8) EXEC_STORE_K(store16) EXEC_STORE_K(store32) EXEC_STORE_K(store64) \
    EXEC_CMPS(EXEC_CMP_I32) EXEC_CMPS(EXEC_CMP_I64) EXEC_CMPS(EXEC_SEL_I32) EXEC_CMPS(EXEC_ADD_CMP_I32) \
    EXEC_IMM_BINOPS(i32) EXEC_IMM_BINOPS(i64) EXEC_INT_OTHER(i32) EXEC_INT_OTHER(i64) \
    X(i64_extend32_s) \
    EXEC_FLOAT_OPS(f32) EXEC_FLOAT_OPS(f64) \
    EXEC_FCMPS(EXEC_F32_K) EXEC_FCMPS(EXEC_F64_K) EXEC_FCMPS(EXEC_BR_F32) EXEC_FCMPS(EXEC_BR_F64) \
    X(i32_wrap_i64) X(i64_extend_i32_s) X(i64_extend_i32_u) \
    X(i32_trunc_f32_s) X(i32_trunc_f32_u) X(i32_trunc_f64_s) X(i32_trunc_f64_u) \
    X(i64_trunc_f32_s) X(i64_trunc_f32_u) X(i64_trunc_f64_s) X(i64_trunc_f64_u) \
    X(i32_trunc_sat_f32_s) X(i32_trunc_sat_f32_u) X(i32_trunc_sat_f64_s) X(i32_trunc_sat_f64_u) \
    X(i64_trunc_sat_f32_s) X(i64_trunc_sat_f32_u) X(i64_trunc_sat_f64_s) X(i64_trunc_sat_f64_u) \
    X(f32_convert_i32_s) X(f32_convert_i32_u) X(f32_convert_i64_s) X(f32_convert_i64_u) \
    X(f64_convert_i32_s) X(f64_convert_i32_u) X(f64_convert_i64_s) X(f64_convert_i64_u) \
    X(f32_demote_f64) X(f64_promote_f32) \
    X(i32_add_imm_x2) X(i32_add_x2) X(i32_shr_u_and_x2) \
    X(f64_muladd) X(f64_mulsub) X(f64_mulrsub) X(i32_muladd) X(i64_muladd) X(i32_add3) X(i32_andn) X(i32_rotl_xor_rotl) \
    X(i32_rotl_xor_rotl_xor_rotl) X(i32_rotl_xor_rotl_xor_shr_u) \
    EXEC_BITS2(and) EXEC_BITS2(or) EXEC_BITS2(xor) \
    X(i32_mul_ld2) X(i32_muladd_ld2) X(f64_mul_ld2) X(f64_muladd_ld2) \
    X(f64_muladd_mem) X(f64_mulsub_mem) X(f64_muladd_mem_addk) X(f64_mulsub_mem_addk) \
    X(f64_muladd_ld_mem) X(f64_mulsub_ld_mem) X(i32_shr_u_and) X(i32_add_and) \
    X(f64_add_k) X(f64_sub_k) X(f64_mul_k) X(f64_div_k) \
    X(f64_add_ld) X(f64_add_ldk) X(f64_sub_ld) X(f64_sub_ldk) X(f64_mul_ld) X(f64_mul_ldk) \
    EXEC_SHIFTED(add) EXEC_SHIFTED(sub) EXEC_SHIFTED(and) EXEC_SHIFTED(or) EXEC_SHIFTED(xor) \
    X(simd_op) X(simd_shuffle) X(simd_load) X(simd_store)

enum exec_opcode {
#define X(name) EXEC_OP_##name,
    EXEC_OPS
#undef X
    EXEC_OP_COUNT
};

/*
 * A translated function body. Immutable after translation; shared by every
 * instance of the module. The frame of an activation is `frame_slots` slots:
 * params (param_slots), declared locals (local_slots, zeroed on entry), then
 * temporaries. frame_slots >= param_slots + EXEC_FRAME_PAD, so function entry
 * may zero a few slots past the params without checking how many locals
 * there are.
 */
#define EXEC_FRAME_PAD 4
typedef struct exec_code {
    uint32_t func_index;
    uint32_t param_slots;
    uint32_t local_slots;
    uint32_t result_slots;
    uint32_t frame_slots;
    uint32_t ncalls;         /* call_direct callee words not linked yet (see exec_code_link) */
    size_t *call_words;      /* their positions in code[]; NULL once linked */
    size_t ncode;
    exec_op code[];
} exec_code;

/* The handler address of each op, from the interpreter. */
const void *const *exec_interp_handlers(void);

#endif
