/*
 * interp.c - the interpreter loop: runs translated code (code.h) on an
 * execution context (interp.h).
 *
 * One function, written for the compiler: pc, fp, fuel, the memory base and
 * size live in locals (registers), dispatch is direct threading through label
 * addresses (`goto *pc->h`), slow paths (traps, calls into the host, bulk
 * memory and table ops) jump out of line. wasm->wasm calls push an
 * exec_frame and continue in the same loop, so the C stack never grows with
 * wasm recursion and the loop can stop at any call or loop back-edge with
 * everything needed to resume saved in the context.
 *
 * Value representation in slots: i32 zero-extended in the low 32 bits, i64
 * whole, f32/f64 as raw bits (so NaN payloads are preserved), references as
 * pointers, v128 in two consecutive slots (low half first).
 */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "exec/instance.h"
#include "exec/interp.h"
#include "exec/memory.h"
#include "exec/simd.h"
#include "exec/table.h"
#include "wasm/module.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ------------------------------------------------------------ value helpers */

static inline float f32_of(uint64_t v)
{
    uint32_t b = (uint32_t)v;
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static inline uint64_t of_f32(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static inline double f64_of(uint64_t v)
{
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static inline uint64_t of_f64(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

/* Wasm min/max: NaN if either operand is NaN, and -0 < +0. */
static float wasm_fminf(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static float wasm_fmaxf(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

static double wasm_fmin(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static double wasm_fmax(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* Rounding functions may pass a signalling NaN through; wasm wants it quiet. */
static inline float quiet_f32(float x) { return isnan(x) ? x + x : x; }
static inline double quiet_f64(double x) { return isnan(x) ? x + x : x; }

static inline uint32_t rotl32(uint32_t x, uint32_t n) { n &= 31; return n ? (x << n) | (x >> (32 - n)) : x; }
static inline uint32_t rotr32(uint32_t x, uint32_t n) { n &= 31; return n ? (x >> n) | (x << (32 - n)) : x; }
static inline uint64_t rotl64(uint64_t x, uint64_t n) { n &= 63; return n ? (x << n) | (x >> (64 - n)) : x; }
static inline uint64_t rotr64(uint64_t x, uint64_t n) { n &= 63; return n ? (x >> n) | (x << (64 - n)) : x; }

/* Saturating truncations (the 0xFC ops). */
static uint64_t sat_i32_s(double x)
{
    if (isnan(x)) return 0;
    if (x <= -2147483648.0) return (uint32_t)INT32_MIN;
    if (x >= 2147483647.0) return (uint32_t)INT32_MAX;
    return (uint32_t)(int32_t)x;
}

static uint64_t sat_i32_u(double x)
{
    if (isnan(x) || x <= 0.0) return 0;
    if (x >= 4294967295.0) return UINT32_MAX;
    return (uint32_t)x;
}

static uint64_t sat_i64_s(double x)
{
    if (isnan(x)) return 0;
    if (x <= -9223372036854775808.0) return (uint64_t)INT64_MIN;
    if (x >= 9223372036854775808.0) return (uint64_t)INT64_MAX;
    return (uint64_t)(int64_t)x;
}

static uint64_t sat_i64_u(double x)
{
    if (isnan(x) || x <= 0.0) return 0;
    if (x >= 18446744073709551616.0) return UINT64_MAX;
    return (uint64_t)x;
}

/* Zeroes a callee's declared locals. Most functions have a handful: the
 * frame is padded (EXEC_FRAME_PAD) so four stores cover them without a
 * branch on the count, which beats memset or a jump table. Returns the
 * fuel the zeroing costs beyond the call's unit: a unit per 8 slots (64
 * bytes, like a bulk instruction), or a function with tens of thousands
 * of locals would clear hundreds of kilobytes per unit of fuel. The caller
 * may go below zero by that much; the next SPEND_FUEL stops it. */
static inline int64_t zero_locals(uint64_t *p, uint32_t n)
{
    if (LIKELY(n <= EXEC_FRAME_PAD)) {
        p[0] = 0;
        p[1] = 0;
        p[2] = 0;
        p[3] = 0;
        return 0;
    }
    memset(p, 0, (size_t)n * sizeof *p);
    return (int64_t)(n >> 3);
}
_Static_assert(EXEC_FRAME_PAD == 4, "zero_locals writes four slots");

/* ------------------------------------------------------------ out-of-line slow paths */

static bool memory_init_in_bounds(isola_instance *inst, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
    const wasm_data_segment *ds = &inst->module->wasm->datas[seg];
    bool dropped = ds->mode != WASM_SEGMENT_PASSIVE || (inst->data_dropped && inst->data_dropped[seg]);
    uint64_t len = dropped ? 0 : ds->len;
    uint64_t size = inst->memory0 ? inst->memory0->size : 0;
    return (uint64_t)s + n <= len && (uint64_t)d + n <= size;
}

/*
 * Bulk instructions (memory.fill/copy/init, table.fill/copy/init) cost fuel
 * by their size, one unit per 2^shift bytes or elements, like the loop that
 * would do the same work: otherwise one instruction in a loop could move
 * gigabytes per unit of fuel, and a slice, which bounds how long everyone
 * else on the worker waits and when a kill lands, would have no bound in
 * time. An instruction bigger than the fuel left does what the fuel buys and
 * stops with pc still on it; exec->bulk_pc and bulk_done say how far it got,
 * and the next slice goes on from there. Its operands are not rewritten
 * (they may be the function's locals); the bounds of the whole range were
 * checked before the first part, and nothing can shrink a memory or table
 * or drop a segment while the instruction is unfinished.
 */
typedef struct bulk_part {
    uint64_t done;       /* units done in earlier slices */
    uint64_t count;      /* units to do now */
    bool unfinished;     /* stop after these, pc on the instruction */
} bulk_part;

static inline bulk_part bulk_take(isola_exec *exec, const exec_op *pc, uint64_t n, unsigned shift,
                                  int64_t *fuel)
{
    bulk_part part = { .done = exec->bulk_pc == pc ? exec->bulk_done : 0 };
    assert(part.done <= n);
    uint64_t left = n - part.done;
#ifndef ISOLA_INTERP_NO_FUEL
    uint64_t cost = left >> shift;
    uint64_t have = *fuel > 0 ? (uint64_t)*fuel : 0;
    if (UNLIKELY(cost > have)) {
        part.count = have << shift;   /* have < cost <= 2^32: no overflow */
        part.unfinished = true;
        *fuel = 0;
        exec->bulk_pc = pc;
        exec->bulk_done = part.done + part.count;
        return part;
    }
    *fuel -= (int64_t)cost;
#else
    (void)shift;
    (void)fuel;
#endif
    part.count = left;
    exec->bulk_pc = NULL;
    return part;
}

/* Units per fuel: 64 bytes of memory, 8 table elements (a 64-byte line either way). */
#define BULK_BYTE_SHIFT 6u
#define BULK_ELEM_SHIFT 3u
_Static_assert(1u << BULK_BYTE_SHIFT == ISOLA_FUEL_BYTES, "bulk bytes are charged like host calls' bytes");

/* ------------------------------------------------------------ profiling (development only) */

#ifdef ISOLA_INTERP_PROFILE
/* Build with -DISOLA_INTERP_PROFILE to count executions per instruction and
 * print the hottest ones, in code order, at exit: the input for choosing
 * fused ops. Not thread-safe; never enabled in normal builds. */
#include <stdio.h>
#define PROF_SIZE (1u << 18)
static struct prof_entry { const exec_op *pc; uint64_t n; exec_op op[3]; } prof_table[PROF_SIZE];

static void prof_hit(const exec_op *pc)
{
    uint32_t i = (uint32_t)(((uintptr_t)pc >> 3) * 2654435761u) & (PROF_SIZE - 1);
    while (prof_table[i].pc && prof_table[i].pc != pc)
        i = (i + 1) & (PROF_SIZE - 1);
    if (!prof_table[i].pc) {
        prof_table[i].pc = pc;
        memcpy(prof_table[i].op, pc, sizeof prof_table[i].op);   /* the code is freed before exit */
    }
    prof_table[i].n++;
}

static int prof_by_count(const void *a, const void *b)
{
    const struct prof_entry *x = a, *y = b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

static int prof_by_pc(const void *a, const void *b)
{
    const struct prof_entry *x = a, *y = b;
    return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static void prof_dump(void)
{
    static const char *const names[] = {
#define X(name) #name,
        EXEC_OPS
#undef X
    };
    const void *const *h = exec_interp_handlers();
    uint64_t total = 0;
    for (uint32_t i = 0; i < PROF_SIZE; i++)
        total += prof_table[i].n;
    qsort(prof_table, PROF_SIZE, sizeof prof_table[0], prof_by_count);
    uint32_t top = 0;
    while (top < 120 && prof_table[top].n)
        top++;
    qsort(prof_table, top, sizeof prof_table[0], prof_by_pc);
    fprintf(stderr, "profile: %llu instructions\n", (unsigned long long)total);
    for (uint32_t i = 0; i < top; i++) {
        const exec_op *pc = prof_table[i].op;
        const char *name = "?";
        for (int k = 0; k < EXEC_OP_COUNT; k++)
            if (h[k] == pc->h)
                name = names[k];
        fprintf(stderr, "%5.2f%% %p %-22s %u,%u %u,%u\n", 100.0 * (double)prof_table[i].n / (double)total,
                (const void *)prof_table[i].pc, name, pc[1].w[0], pc[1].w[1], pc[2].w[0], pc[2].w[1]);
    }
}

static void prof_init(void)
{
    static bool done;
    if (!done) {
        done = true;
        atexit(prof_dump);
    }
}
#define PROF_HIT(pc) prof_hit(pc)
#define PROF_INIT() prof_init()
#else
#define PROF_HIT(pc) ((void)0)
#define PROF_INIT() ((void)0)
#endif

/* ------------------------------------------------------------ the loop */

#define W0(i) (pc[i].w[0])
#define W1(i) (pc[i].w[1])
#define DISPATCH() do { PROF_HIT(pc); goto *pc->h; } while (0)
#define NEXT(n) do { pc += (n); DISPATCH(); } while (0)
#define TRAP(kind, msg) do { trap_kind = (kind); trap_msg = (msg); goto trap; } while (0)
/* Spends one unit of fuel at pc (a loop header or a call); stops if none is left.
 * -DISOLA_INTERP_NO_FUEL (development only) compiles metering out, to
 * measure what it costs (bench/README.md). */
#ifndef ISOLA_INTERP_NO_FUEL
#define SPEND_FUEL() do { if (UNLIKELY(fuel <= 0)) goto out_of_fuel; fuel--; } while (0)
#define REFUND_FUEL(f) ((f) + 1)
#else
#define SPEND_FUEL() do { if (0) goto out_of_fuel; } while (0)
#define REFUND_FUEL(f) (f)
#endif
#define RELOAD_MEM() do { \
        isola_memory *m0_ = inst->memory0; \
        mem = m0_ ? m0_->base : NULL; \
        memsize = m0_ ? m0_->size : 0; \
    } while (0)
/* A negative fuel is a debt (zero_locals, a host call's work past what was
 * left): it is kept, for the caller to charge (isola_exec_fuel). */
#define SAVE_STATE() do { \
        exec->pc = pc; exec->fp = fp; exec->depth = (uint32_t)(frames - fr); exec->inst = inst; \
        exec->fuel = fuel; \
    } while (0)

/* Effective address check: traps unless [addr+off, addr+off+width) is inside memory. */
#define MEM_EA(ea, addr_slot, width) \
    uint64_t ea = (uint64_t)(uint32_t)fp[addr_slot] + W0(2); \
    if (UNLIKELY(ea + (width) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access")

#define LOAD(name, T, conv) \
    op_##name: { MEM_EA(ea, W1(1), sizeof(T)); T v_; memcpy(&v_, mem + ea, sizeof(T)); \
        fp[W0(1)] = conv(v_); NEXT(3); }
#define STORE(name, T) \
    op_##name: { MEM_EA(ea, W1(1), sizeof(T)); T v_ = (T)fp[W0(1)]; memcpy(mem + ea, &v_, sizeof(T)); NEXT(3); }

#define LOAD_ADD(name, T, conv) \
    op_##name##_add: { uint64_t ea = (uint64_t)(uint32_t)(fp[W1(1)] + fp[W1(2)]) + W0(2); \
        if (UNLIKELY(ea + sizeof(T) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        T v_; memcpy(&v_, mem + ea, sizeof(T)); fp[W0(1)] = conv(v_); NEXT(3); } \
    op_##name##_addk: { uint64_t ea = (uint64_t)(uint32_t)((uint32_t)fp[W1(1)] + W1(2)) + W0(2); \
        if (UNLIKELY(ea + sizeof(T) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        T v_; memcpy(&v_, mem + ea, sizeof(T)); fp[W0(1)] = conv(v_); NEXT(3); }
#define STORE_ADD(name, T) \
    op_##name##_add: { uint64_t ea = (uint64_t)(uint32_t)(fp[W1(1)] + fp[W1(2)]) + W0(2); \
        if (UNLIKELY(ea + sizeof(T) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        T v_ = (T)fp[W0(1)]; memcpy(mem + ea, &v_, sizeof(T)); NEXT(3); } \
    op_##name##_addk: { uint64_t ea = (uint64_t)(uint32_t)((uint32_t)fp[W1(1)] + W1(2)) + W0(2); \
        if (UNLIKELY(ea + sizeof(T) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        T v_ = (T)fp[W0(1)]; memcpy(mem + ea, &v_, sizeof(T)); NEXT(3); }

/* Stores of a constant (the low half of word 1, sign-extended for store64). */
#define STORE_K(name, T) \
    op_##name##_k: { MEM_EA(ea, W1(1), sizeof(T)); T v_ = (T)IMM64(W0(1)); memcpy(mem + ea, &v_, sizeof(T)); \
        NEXT(3); } \
    op_##name##_k_add: { uint64_t ea = (uint64_t)(uint32_t)(fp[W1(1)] + fp[W1(2)]) + W0(2); \
        if (UNLIKELY(ea + sizeof(T) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        T v_ = (T)IMM64(W0(1)); memcpy(mem + ea, &v_, sizeof(T)); NEXT(3); } \
    op_##name##_k_addk: { uint64_t ea = (uint64_t)(uint32_t)((uint32_t)fp[W1(1)] + W1(2)) + W0(2); \
        if (UNLIKELY(ea + sizeof(T) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        T v_ = (T)IMM64(W0(1)); memcpy(mem + ea, &v_, sizeof(T)); NEXT(3); }

#define LOAD_IDX(name, T, conv) \
    op_##name##_idx: { uint64_t ea = (uint64_t)(uint32_t)((uint32_t)fp[W1(1)] + ((uint32_t)fp[W1(2)] << W0(3))) \
            + W0(2); \
        if (UNLIKELY(ea + sizeof(T) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        T v_; memcpy(&v_, mem + ea, sizeof(T)); fp[W0(1)] = conv(v_); NEXT(4); }
#define STORE_IDX(name, T) \
    op_##name##_idx: { uint64_t ea = (uint64_t)(uint32_t)((uint32_t)fp[W1(1)] + ((uint32_t)fp[W1(2)] << W0(3))) \
            + W0(2); \
        if (UNLIKELY(ea + sizeof(T) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        T v_ = (T)fp[W0(1)]; memcpy(mem + ea, &v_, sizeof(T)); NEXT(4); }

#define ZX32(v) ((uint64_t)(uint32_t)(v))
#define SX32(v) ((uint64_t)(uint32_t)(int32_t)(v))
#define ZX64(v) ((uint64_t)(v))
#define SX64(v) ((uint64_t)(int64_t)(v))

#define IMM64(x) ((uint64_t)(int64_t)(int32_t)(x))
#define IMM32(x) ((uint32_t)(x))
/* The immediate of a binary op: the low half of word 2 (i32), or all of it (i64). */
#define BIN_IMM32(x) ((uint32_t)(x).w[0])
#define BIN_IMM64(x) ((x).u64)

/* Integer binary op in slot and immediate forms; `a`, `b` are of type U. */
#define BINOP(T, U, name, expr, IMM) \
    op_##T##_##name: { U a = (U)fp[W1(1)], b = (U)fp[W0(2)]; fp[W0(1)] = (U)(expr); NEXT(3); } \
    op_##T##_##name##_imm: { U a = (U)fp[W1(1)], b = BIN_##IMM(pc[2]); fp[W0(1)] = (U)(expr); NEXT(3); }

/* A compare in all six forms: value, value with immediate, and the fused
 * branches (forward and back-edge). */
#define CMPOP(T, U, name, expr, IMM) \
    op_##T##_##name: { U a = (U)fp[W1(1)], b = (U)fp[W0(2)]; fp[W0(1)] = (expr); NEXT(3); } \
    op_##T##_##name##_imm: { U a = (U)fp[W1(1)], b = IMM(W0(2)); fp[W0(1)] = (expr); NEXT(3); } \
    op_br_##T##_##name: { U a = (U)fp[W0(1)], b = (U)fp[W1(1)]; \
        if (expr) { pc = pc[2].target; DISPATCH(); } NEXT(3); } \
    op_br_##T##_##name##_imm: { U a = (U)fp[W0(1)], b = IMM(W1(1)); \
        if (expr) { pc = pc[2].target; DISPATCH(); } NEXT(3); } \
    op_br_##T##_##name##_back: { U a = (U)fp[W0(1)], b = (U)fp[W1(1)]; \
        if (expr) { pc = pc[2].target; SPEND_FUEL(); DISPATCH(); } NEXT(3); } \
    op_br_##T##_##name##_imm_back: { U a = (U)fp[W0(1)], b = IMM(W1(1)); \
        if (expr) { pc = pc[2].target; SPEND_FUEL(); DISPATCH(); } NEXT(3); }

/* select fused with the i32 compare of its condition (i32 only). */
#define SELCMP(T, U, name, expr, IMM) \
    op_select_##T##_##name: { U a = (U)fp[W1(2)], b = (U)fp[W0(3)]; \
        fp[W0(1)] = (expr) ? fp[W1(1)] : fp[W0(2)]; NEXT(4); } \
    op_select_##T##_##name##_imm: { U a = (U)fp[W1(2)], b = IMM(W0(3)); \
        fp[W0(1)] = (expr) ? fp[W1(1)] : fp[W0(2)]; NEXT(4); }

/* x + (a cmp b): a count of matches (i32 only). */
#define ADDCMP(T, U, name, expr, IMM) \
    op_##T##_add_##name: { U a = (U)fp[W0(2)], b = (U)fp[W1(2)]; \
        fp[W0(1)] = (U)((U)fp[W1(1)] + (U)(expr)); NEXT(3); } \
    op_##T##_add_##name##_imm: { U a = (U)fp[W0(2)], b = IMM(W1(2)); \
        fp[W0(1)] = (U)((U)fp[W1(1)] + (U)(expr)); NEXT(3); }

/* Each compare condition, as M(T, U, name, expr, IMM) with a and b of type U. */
#define EACH_CMP(M, T, U, S, IMM) \
    M(T, U, eq, a == b, IMM) M(T, U, ne, a != b, IMM) \
    M(T, U, lt_s, (S)a < (S)b, IMM) M(T, U, lt_u, a < b, IMM) \
    M(T, U, gt_s, (S)a > (S)b, IMM) M(T, U, gt_u, a > b, IMM) \
    M(T, U, le_s, (S)a <= (S)b, IMM) M(T, U, le_u, a <= b, IMM) \
    M(T, U, ge_s, (S)a >= (S)b, IMM) M(T, U, ge_u, a >= b, IMM)
#define CMPS(T, U, S, IMM) EACH_CMP(CMPOP, T, U, S, IMM)

/* A float compare with a constant, and fused with a forward branch (true and negated). */
#define FCMPOP(T, FT, get, name, expr) \
    op_##T##_##name##_k: { FT a = get(fp[W1(1)]), b = get(pc[2].u64); fp[W0(1)] = (expr); NEXT(3); } \
    op_br_##T##_##name: { FT a = get(fp[W0(1)]), b = get(fp[W1(1)]); \
        if (expr) { pc = pc[2].target; DISPATCH(); } NEXT(3); } \
    op_br_##T##_##name##_k: { FT a = get(fp[W0(1)]), b = get(pc[2].u64); \
        if (expr) { pc = pc[3].target; DISPATCH(); } NEXT(4); } \
    op_br_##T##_n##name: { FT a = get(fp[W0(1)]), b = get(fp[W1(1)]); \
        if (!(expr)) { pc = pc[2].target; DISPATCH(); } NEXT(3); } \
    op_br_##T##_n##name##_k: { FT a = get(fp[W0(1)]), b = get(pc[2].u64); \
        if (!(expr)) { pc = pc[3].target; DISPATCH(); } NEXT(4); }
#define FCMPS(T, FT, get) \
    FCMPOP(T, FT, get, eq, a == b) FCMPOP(T, FT, get, ne, a != b) FCMPOP(T, FT, get, lt, a < b) \
    FCMPOP(T, FT, get, gt, a > b) FCMPOP(T, FT, get, le, a <= b) FCMPOP(T, FT, get, ge, a >= b)

#define UNOP(name, expr) op_##name: { uint64_t x = fp[W1(1)]; fp[W0(1)] = (expr); NEXT(2); }
#define FBIN32(name, expr) \
    op_##name: { float a = f32_of(fp[W1(1)]), b = f32_of(fp[W0(2)]); fp[W0(1)] = (expr); NEXT(3); }
#define FBIN64(name, expr) \
    op_##name: { double a = f64_of(fp[W1(1)]), b = f64_of(fp[W0(2)]); fp[W0(1)] = (expr); NEXT(3); }

/* Trapping float->int truncation: x is the float operand; lo < x < hi is the valid range. */
#define TRUNC(name, FT, get, lo_ok, hi, conv) \
    op_##name: { FT x = get(fp[W1(1)]); \
        if (UNLIKELY(isnan(x))) TRAP(ISOLA_TRAP_INVALID_CONVERSION, "invalid conversion to integer"); \
        if (UNLIKELY(!((lo_ok) && x < (hi)))) TRAP(ISOLA_TRAP_INTEGER_OVERFLOW, "integer overflow"); \
        fp[W0(1)] = conv; NEXT(2); }

static isola_status interp_loop(isola_exec *exec, const void *const **handlers_out)
{
    static const void *const labels[] = {
#define X(name) &&op_##name,
        EXEC_OPS
#undef X
    };
    if (handlers_out) {
        *handlers_out = labels;
        return ISOLA_OK;
    }

    const exec_op *pc = exec->pc;
    uint64_t *fp = exec->fp;
    isola_instance *inst = exec->inst;
    exec_frame *const frames = exec->frames;
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    /* gcc's allocator does not know which handlers are hot: it spilled fr
     * (a few static uses, all in calls and returns) and the memory base
     * (which every load and store reads) while keeping `exec`, used only on
     * the way out, in a register. These two get callee-saved registers. */
    register exec_frame *fr __asm__("r13") = frames - exec->depth;
    register uint8_t *mem __asm__("r12");
#else
    exec_frame *fr = frames - exec->depth;     /* the running activation (frames grow down) */
    uint8_t *mem;
#endif
    /* A call from the activation at frames_last would need more frames
     * than the context has: one pointer compare instead of index
     * arithmetic per call. */
    const exec_frame *const frames_last = frames - (exec->frame_cap - 1);
    uint64_t *const stack_end = exec->stack_end;
    int64_t fuel = exec->fuel;
    isola_func **funcs = inst->funcs;
    uint64_t memsize;
    isola_trap_kind trap_kind;
    const char *trap_msg;
    isola_func *callee;
    uint32_t cbase;
    const exec_op *cnext;
    RELOAD_MEM();
    PROF_INIT();
    DISPATCH();

    /* ------------------------------------------------ control */
op_unreachable:
    TRAP(ISOLA_TRAP_UNREACHABLE, "unreachable");
op_br:
    pc = pc[1].target;
    DISPATCH();
op_br_back:
    pc = pc[1].target;
    SPEND_FUEL();
    DISPATCH();
op_br_z:
    if ((uint32_t)fp[W0(1)] == 0) { pc = pc[2].target; DISPATCH(); }
    NEXT(3);
op_br_z_back:
    if ((uint32_t)fp[W0(1)] == 0) { pc = pc[2].target; SPEND_FUEL(); DISPATCH(); }
    NEXT(3);
op_br_nz:
    if ((uint32_t)fp[W0(1)] != 0) { pc = pc[2].target; DISPATCH(); }
    NEXT(3);
op_br_nz_back:
    if ((uint32_t)fp[W0(1)] != 0) { pc = pc[2].target; SPEND_FUEL(); DISPATCH(); }
    NEXT(3);
op_br_z64:
    if (fp[W0(1)] == 0) { pc = pc[2].target; DISPATCH(); }
    NEXT(3);
op_br_z64_back:
    if (fp[W0(1)] == 0) { pc = pc[2].target; SPEND_FUEL(); DISPATCH(); }
    NEXT(3);
op_br_nz64:
    if (fp[W0(1)] != 0) { pc = pc[2].target; DISPATCH(); }
    NEXT(3);
op_br_nz64_back:
    if (fp[W0(1)] != 0) { pc = pc[2].target; SPEND_FUEL(); DISPATCH(); }
    NEXT(3);
/* Loop back-edges fused with the counter's step: br_inc adds a constant,
 * br_add a slot. The mv_ forms do their move, step over its word and run
 * the plain form. */
#define BR_STEP(kind, name, step, expr) \
    op_mv_br_##kind##_##name##_back: fp[W0(1)] = fp[W1(1)]; pc++; \
    op_br_##kind##_##name##_back: { uint32_t a = (uint32_t)fp[W1(1)] + (step); fp[W0(1)] = a; \
        uint32_t b = (uint32_t)fp[W1(2)]; \
        if (expr) { pc = pc[3].target; SPEND_FUEL(); DISPATCH(); } NEXT(4); } \
    op_mv_br_##kind##_##name##_imm_back: fp[W0(1)] = fp[W1(1)]; pc++; \
    op_br_##kind##_##name##_imm_back: { uint32_t a = (uint32_t)fp[W1(1)] + (step); fp[W0(1)] = a; \
        uint32_t b = W1(2); \
        if (expr) { pc = pc[3].target; SPEND_FUEL(); DISPATCH(); } NEXT(4); }
#define BR_STEPS(kind, step) \
    BR_STEP(kind, ne, step, a != b) \
    BR_STEP(kind, lt_s, step, (int32_t)a < (int32_t)b) \
    BR_STEP(kind, lt_u, step, a < b) \
    BR_STEP(kind, gt_s, step, (int32_t)a > (int32_t)b) \
    BR_STEP(kind, gt_u, step, a > b)
    BR_STEPS(inc, W0(2))
    BR_STEPS(add, (uint32_t)fp[W0(2)])
/* A pointer's step before a br_inc back-edge (code.h). */
#define ADD_IMM_BR_INC(name) \
    op_i32_add_imm_br_inc_##name##_back: \
        fp[W0(1)] = (uint32_t)((uint32_t)fp[W1(1)] + W0(2)); pc += 3; goto op_br_inc_##name##_back;
    ADD_IMM_BR_INC(ne) ADD_IMM_BR_INC(ne_imm) ADD_IMM_BR_INC(lt_s) ADD_IMM_BR_INC(lt_s_imm)
    ADD_IMM_BR_INC(lt_u) ADD_IMM_BR_INC(lt_u_imm) ADD_IMM_BR_INC(gt_s) ADD_IMM_BR_INC(gt_s_imm)
    ADD_IMM_BR_INC(gt_u) ADD_IMM_BR_INC(gt_u_imm)
#define BR_TABLE(name, index, first) \
    op_##name: { \
        uint32_t i = (index), n = W1(1); \
        const exec_op *t = pc[(first) + (i < n ? i : n)].target; \
        bool back = t <= pc; \
        pc = t; \
        if (back) \
            SPEND_FUEL(); \
        DISPATCH(); \
    }
    BR_TABLE(br_table, (uint32_t)fp[W0(1)], 2)
    BR_TABLE(br_table_and, (uint32_t)fp[W0(1)] & W0(2), 3)
    BR_TABLE(br_table_add, (uint32_t)fp[W0(1)] + W0(2), 3)
op_ret1:
    fp[0] = fp[W0(1)];
    /* fall through */
op_ret: {
    pc = fr->ret_pc;
    fp = fr->ret_fp;
    if (UNLIKELY(fr->ret_inst != inst)) {
        inst = fr->ret_inst;
        funcs = inst->funcs;
        RELOAD_MEM();
    }
    fr++;   /* back to the caller: frames grow down */
    DISPATCH();
}
op_finish:
    fr = frames;   /* frames[0] returned to here (its ret_pc): undo the pop */
    goto finished;
op_call: {
    /* A defined function of this module: same instance, same memory. */
    isola_func *f = exec_instance_func(inst, W0(1));
    if (UNLIKELY(!f))
        TRAP(ISOLA_TRAP_STACK_EXHAUSTED, "out of memory for a function object");
    const exec_code *c = f->code;
    uint64_t *nfp = fp + W1(1);
    SPEND_FUEL();
    if (UNLIKELY(fr <= frames_last || nfp + c->frame_slots > stack_end))
        goto stack_exhausted;
    fr--;
    fr->func = f;
    fr->ret_pc = pc + 2;
    fr->ret_fp = fp;
    fr->ret_inst = inst;
    fuel -= zero_locals(nfp + c->param_slots, c->local_slots);
    fp = nfp;
    pc = c->code;
    DISPATCH();
}
op_call_direct: {
    const exec_code *c = pc[2].callee;
    uint64_t *nfp = fp + W1(1);
    SPEND_FUEL();
    if (UNLIKELY(fr <= frames_last || nfp + c->frame_slots > stack_end))
        goto stack_exhausted;
    fr--;
    fr->func = NULL;    /* found from the call instruction if ever needed: saves two loads per call */
    fr->ret_pc = pc + 3;
    fr->ret_fp = fp;
    fr->ret_inst = inst;
    fuel -= zero_locals(nfp + c->param_slots, c->local_slots);
    fp = nfp;
    pc = c->code;
    DISPATCH();
}
op_i32_add_imm_call_direct:   /* an argument computed right before the call (code.h) */
    fp[W0(1)] = (uint32_t)((uint32_t)fp[W1(1)] + W0(2));
    pc += 3;
    goto op_call_direct;
op_call_import:
    callee = funcs[W0(1)];
    cbase = W1(1);
    cnext = pc + 2;
    goto call_generic;
op_call_indirect: {
    /* [h] [table | base] [type id | index slot] */
    isola_table *tab = inst->tables[W0(1)];
    uint32_t i = (uint32_t)fp[W1(2)];
    if (UNLIKELY(i >= tab->size))
        TRAP(ISOLA_TRAP_TABLE_OUT_OF_BOUNDS, "undefined element");
    callee = (isola_func *)(uintptr_t)tab->elems[i];
    if (UNLIKELY(!callee))
        TRAP(ISOLA_TRAP_UNINITIALIZED_ELEMENT, "uninitialized element");
    if (UNLIKELY(callee->type_id != W0(2)))
        TRAP(ISOLA_TRAP_INDIRECT_CALL_TYPE, "indirect call type mismatch");
    cbase = W1(1);
    cnext = pc + 3;
    goto call_generic;
}

    /* ------------------------------------------------ moves, constants, select, globals */
op_move:
    fp[W0(1)] = fp[W1(1)];
    NEXT(2);
op_move_pair:
    fp[W0(1)] = fp[W1(1)];
    fp[W0(2)] = fp[W1(2)];
    NEXT(3);
op_move_br:
    fp[W0(1)] = fp[W1(1)];
    pc = pc[2].target;
    DISPATCH();
op_move_br_back:
    fp[W0(1)] = fp[W1(1)];
    pc = pc[2].target;
    SPEND_FUEL();
    DISPATCH();
op_move_pair_br_back:
    fp[W0(1)] = fp[W1(1)];
    fp[W0(2)] = fp[W1(2)];
    pc = pc[3].target;
    SPEND_FUEL();
    DISPATCH();
/* Runs of 3 to 8 moves, in order, and the same ending in a loop's back-edge. */
#define MOVE_AT(i) fp[W0(i)] = fp[W1(i)];
#define MOVES3 MOVE_AT(1) MOVE_AT(2) MOVE_AT(3)
#define MOVES4 MOVES3 MOVE_AT(4)
#define MOVES5 MOVES4 MOVE_AT(5)
#define MOVES6 MOVES5 MOVE_AT(6)
#define MOVES7 MOVES6 MOVE_AT(7)
#define MOVES8 MOVES7 MOVE_AT(8)
#define MOVE_RUN(n) \
    op_move##n: MOVES##n NEXT((n) + 1); \
    op_move##n##_br_back: MOVES##n pc = pc[(n) + 1].target; SPEND_FUEL(); DISPATCH();
    MOVE_RUN(3) MOVE_RUN(4) MOVE_RUN(5) MOVE_RUN(6) MOVE_RUN(7) MOVE_RUN(8)
op_move2:
    fp[W0(1)] = fp[W1(1)];
    fp[W0(1) + 1] = fp[W1(1) + 1];
    NEXT(2);
op_const64:
    fp[W0(1)] = pc[2].u64;
    NEXT(3);
/* Runs of 2 to 8 constants (code.h). */
#define CONST_AT(i) fp[W0(2 * (i) - 1)] = pc[2 * (i)].u64;
#define CONSTS2 CONST_AT(1) CONST_AT(2)
#define CONSTS3 CONSTS2 CONST_AT(3)
#define CONSTS4 CONSTS3 CONST_AT(4)
#define CONSTS5 CONSTS4 CONST_AT(5)
#define CONSTS6 CONSTS5 CONST_AT(6)
#define CONSTS7 CONSTS6 CONST_AT(7)
#define CONSTS8 CONSTS7 CONST_AT(8)
#define CONST_RUN(n) op_const##n: CONSTS##n NEXT(2 * (n) + 1);
    CONST_RUN(2) CONST_RUN(3) CONST_RUN(4) CONST_RUN(5) CONST_RUN(6) CONST_RUN(7) CONST_RUN(8)
op_const128:
    fp[W0(1)] = pc[2].u64;
    fp[W0(1) + 1] = pc[3].u64;
    NEXT(4);
op_select:
    fp[W0(1)] = (uint32_t)fp[W1(2)] ? fp[W1(1)] : fp[W0(2)];
    NEXT(3);
op_select2: {
    uint32_t src = (uint32_t)fp[W1(2)] ? W1(1) : W0(2);
    uint64_t lo = fp[src], hi = fp[src + 1];
    fp[W0(1)] = lo;
    fp[W0(1) + 1] = hi;
    NEXT(3);
}
op_global_get:
    fp[W0(1)] = inst->globals[W1(1)]->value[0];
    NEXT(2);
op_global_set:
    inst->globals[W1(1)]->value[0] = fp[W0(1)];
    NEXT(2);
op_global_get2: {
    isola_global *g = inst->globals[W1(1)];
    fp[W0(1)] = g->value[0];
    fp[W0(1) + 1] = g->value[1];
    NEXT(2);
}
op_global_set2: {
    isola_global *g = inst->globals[W1(1)];
    g->value[0] = fp[W0(1)];
    g->value[1] = fp[W0(1) + 1];
    NEXT(2);
}
op_ref_func: {
    isola_func *f = exec_instance_func(inst, W1(1));
    if (UNLIKELY(!f))
        TRAP(ISOLA_TRAP_STACK_EXHAUSTED, "out of memory for a function object");
    fp[W0(1)] = (uint64_t)(uintptr_t)f;
    NEXT(2);
}

    /* ------------------------------------------------ tables */
op_table_get: {
    isola_table *t = inst->tables[W0(2)];
    uint32_t i = (uint32_t)fp[W1(1)];
    if (UNLIKELY(i >= t->size))
        TRAP(ISOLA_TRAP_TABLE_OUT_OF_BOUNDS, "out of bounds table access");
    fp[W0(1)] = t->elems[i];
    NEXT(3);
}
op_table_set: {
    isola_table *t = inst->tables[W0(2)];
    uint32_t i = (uint32_t)fp[W0(1)];
    if (UNLIKELY(i >= t->size))
        TRAP(ISOLA_TRAP_TABLE_OUT_OF_BOUNDS, "out of bounds table access");
    t->elems[i] = fp[W1(1)];
    NEXT(3);
}
op_table_size:
    fp[W0(1)] = inst->tables[W1(1)]->size;
    NEXT(2);
op_table_grow: {
    uint32_t old = 0, delta = (uint32_t)fp[W0(2)];
    bool ok = delta <= inst->table_budget && exec_table_grow(inst->tables[W1(2)], delta, fp[W1(1)], &old);
    if (ok)
        inst->table_budget -= delta;
    fp[W0(1)] = ok ? old : UINT32_MAX;
    NEXT(3);
}
op_table_fill: {
    isola_table *t = inst->tables[W1(2)];
    uint32_t i = (uint32_t)fp[W0(1)], n = (uint32_t)fp[W0(2)];
    uint64_t v = fp[W1(1)];
    if (UNLIKELY((uint64_t)i + n > t->size))
        TRAP(ISOLA_TRAP_TABLE_OUT_OF_BOUNDS, "out of bounds table access");
    bulk_part part = bulk_take(exec, pc, n, BULK_ELEM_SHIFT, &fuel);
    for (uint64_t k = i + part.done, end = k + part.count; k < end; k++)
        t->elems[k] = v;
    if (UNLIKELY(part.unfinished))
        goto out_of_fuel;
    NEXT(3);
}
op_table_copy: {
    isola_table *dt = inst->tables[W1(2)], *st = inst->tables[W0(3)];
    uint64_t d = (uint32_t)fp[W0(1)], s = (uint32_t)fp[W1(1)], n = (uint32_t)fp[W0(2)];
    if (UNLIKELY(d + n > dt->size || s + n > st->size))
        TRAP(ISOLA_TRAP_TABLE_OUT_OF_BOUNDS, "out of bounds table access");
    bulk_part part = bulk_take(exec, pc, n, BULK_ELEM_SHIFT, &fuel);
    /* Overlapping with the destination above: the top part first. */
    uint64_t at = dt == st && d > s ? n - part.done - part.count : part.done;
    if (part.count)
        memmove(dt->elems + d + at, st->elems + s + at, (size_t)part.count * sizeof(uint64_t));
    if (UNLIKELY(part.unfinished))
        goto out_of_fuel;
    NEXT(4);
}
op_table_init: {
    uint32_t d = (uint32_t)fp[W0(1)], s = (uint32_t)fp[W1(1)], n = (uint32_t)fp[W0(2)];
    if (UNLIKELY(!exec_table_init_in_bounds(inst, W0(3), W1(2), d, s, n)))
        TRAP(ISOLA_TRAP_TABLE_OUT_OF_BOUNDS, "out of bounds table access");
    bulk_part part = bulk_take(exec, pc, n, BULK_ELEM_SHIFT, &fuel);
    exec_table_init(inst, W0(3), W1(2), d + (uint32_t)part.done, s + (uint32_t)part.done,
                    (uint32_t)part.count);
    if (UNLIKELY(part.unfinished))
        goto out_of_fuel;
    NEXT(4);
}
op_elem_drop:
    if (inst->elem_dropped)
        inst->elem_dropped[W0(1)] = true;
    NEXT(2);

    /* ------------------------------------------------ memory */
op_memory_size:
    fp[W0(1)] = memsize / WASM_PAGE_SIZE;
    NEXT(2);
op_memory_grow: {
    uint32_t old = 0;
    isola_memory *m = inst->memory0;
    bool ok = m && exec_instance_grow_memory(inst, m, (uint32_t)fp[W1(1)], &old);
    fp[W0(1)] = ok ? old : UINT32_MAX;
    RELOAD_MEM();
    NEXT(2);
}
op_memory_init: {
    uint32_t seg = W1(2), d = (uint32_t)fp[W0(1)], s = (uint32_t)fp[W1(1)], n = (uint32_t)fp[W0(2)];
    if (UNLIKELY(!memory_init_in_bounds(inst, seg, d, s, n)))
        TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access");
    bulk_part part = bulk_take(exec, pc, n, BULK_BYTE_SHIFT, &fuel);
    if (part.count)
        memcpy(mem + d + part.done, inst->module->wasm->datas[seg].bytes + s + part.done, part.count);
    if (UNLIKELY(part.unfinished))
        goto out_of_fuel;
    NEXT(3);
}
op_data_drop:
    if (inst->data_dropped)
        inst->data_dropped[W0(1)] = true;
    NEXT(2);
op_memory_copy: {
    uint64_t d = (uint32_t)fp[W0(1)], s = (uint32_t)fp[W1(1)], n = (uint32_t)fp[W0(2)];
    if (UNLIKELY(d + n > memsize || s + n > memsize))
        TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access");
    bulk_part part = bulk_take(exec, pc, n, BULK_BYTE_SHIFT, &fuel);
    /* Overlapping with the destination above: the top part first. */
    uint64_t at = d > s ? n - part.done - part.count : part.done;
    if (part.count)
        memmove(mem + d + at, mem + s + at, part.count);
    if (UNLIKELY(part.unfinished))
        goto out_of_fuel;
    NEXT(3);
}
op_memory_fill: {
    uint64_t d = (uint32_t)fp[W0(1)], n = (uint32_t)fp[W0(2)];
    if (UNLIKELY(d + n > memsize))
        TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access");
    bulk_part part = bulk_take(exec, pc, n, BULK_BYTE_SHIFT, &fuel);
    if (part.count)
        memset(mem + d + part.done, (int)(uint8_t)fp[W1(1)], part.count);
    if (UNLIKELY(part.unfinished))
        goto out_of_fuel;
    NEXT(3);
}
    LOAD(i32_load, uint32_t, ZX32)
    LOAD(i64_load, uint64_t, ZX64)
    LOAD(i32_load8_s, int8_t, SX32)
    LOAD(i32_load8_u, uint8_t, ZX32)
    LOAD(i32_load16_s, int16_t, SX32)
    LOAD(i32_load16_u, uint16_t, ZX32)
    LOAD(i64_load8_s, int8_t, SX64)
    LOAD(i64_load8_u, uint8_t, ZX64)
    LOAD(i64_load16_s, int16_t, SX64)
    LOAD(i64_load16_u, uint16_t, ZX64)
    LOAD(i64_load32_s, int32_t, SX64)
    LOAD(i64_load32_u, uint32_t, ZX64)
    STORE(store8, uint8_t)
    STORE(store16, uint16_t)
    STORE(store32, uint32_t)
    STORE(store64, uint64_t)
    LOAD_ADD(i32_load, uint32_t, ZX32)
    LOAD_ADD(i64_load, uint64_t, ZX64)
    LOAD_ADD(i32_load8_u, uint8_t, ZX32)
    LOAD_ADD(i32_load8_s, int8_t, SX32)
    LOAD_ADD(i32_load16_u, uint16_t, ZX32)
    LOAD_ADD(i32_load16_s, int16_t, SX32)
    STORE_ADD(store8, uint8_t)
    STORE_ADD(store16, uint16_t)
    STORE_ADD(store32, uint32_t)
    STORE_ADD(store64, uint64_t)
    STORE_K(store8, uint8_t)
    STORE_K(store16, uint16_t)
    STORE_K(store32, uint32_t)
    STORE_K(store64, uint64_t)
    LOAD_IDX(i32_load, uint32_t, ZX32)
    LOAD_IDX(i64_load, uint64_t, ZX64)
    LOAD_IDX(i32_load16_u, uint16_t, ZX32)
    LOAD_IDX(i32_load16_s, int16_t, SX32)
    STORE_IDX(store16, uint16_t)
    STORE_IDX(store32, uint32_t)
    STORE_IDX(store64, uint64_t)

    /* ------------------------------------------------ integer arithmetic */
    CMPS(i32, uint32_t, int32_t, IMM32)
    CMPS(i64, uint64_t, int64_t, IMM64)
    EACH_CMP(SELCMP, i32, uint32_t, int32_t, IMM32)
    EACH_CMP(ADDCMP, i32, uint32_t, int32_t, IMM32)
    BINOP(i32, uint32_t, add, a + b, IMM32)
    BINOP(i32, uint32_t, sub, a - b, IMM32)
    BINOP(i32, uint32_t, mul, a * b, IMM32)
    BINOP(i32, uint32_t, and, a & b, IMM32)
    BINOP(i32, uint32_t, or, a | b, IMM32)
    BINOP(i32, uint32_t, xor, a ^ b, IMM32)
    BINOP(i32, uint32_t, shl, a << (b & 31), IMM32)
    BINOP(i32, uint32_t, shr_s, (uint32_t)((int32_t)a >> (b & 31)), IMM32)
    BINOP(i32, uint32_t, shr_u, a >> (b & 31), IMM32)
    BINOP(i64, uint64_t, add, a + b, IMM64)
    BINOP(i64, uint64_t, sub, a - b, IMM64)
    BINOP(i64, uint64_t, mul, a * b, IMM64)
    BINOP(i64, uint64_t, and, a & b, IMM64)
    BINOP(i64, uint64_t, or, a | b, IMM64)
    BINOP(i64, uint64_t, xor, a ^ b, IMM64)
    BINOP(i64, uint64_t, shl, a << (b & 63), IMM64)
    BINOP(i64, uint64_t, shr_s, (uint64_t)((int64_t)a >> (b & 63)), IMM64)
    BINOP(i64, uint64_t, shr_u, a >> (b & 63), IMM64)

    UNOP(i32_eqz, (uint32_t)x == 0)
    UNOP(i64_eqz, x == 0)
    UNOP(i32_clz, (uint32_t)x ? (uint64_t)__builtin_clz((uint32_t)x) : 32)
    UNOP(i32_ctz, (uint32_t)x ? (uint64_t)__builtin_ctz((uint32_t)x) : 32)
    UNOP(i32_popcnt, (uint64_t)__builtin_popcount((uint32_t)x))
    UNOP(i64_clz, x ? (uint64_t)__builtin_clzll(x) : 64)
    UNOP(i64_ctz, x ? (uint64_t)__builtin_ctzll(x) : 64)
    UNOP(i64_popcnt, (uint64_t)__builtin_popcountll(x))
    UNOP(i32_extend8_s, (uint32_t)(int32_t)(int8_t)x)
    UNOP(i32_extend16_s, (uint32_t)(int32_t)(int16_t)x)
    UNOP(i64_extend8_s, (uint64_t)(int64_t)(int8_t)x)
    UNOP(i64_extend16_s, (uint64_t)(int64_t)(int16_t)x)
    UNOP(i64_extend32_s, (uint64_t)(int64_t)(int32_t)x)
    UNOP(i32_wrap_i64, (uint32_t)x)
    UNOP(i64_extend_i32_s, (uint64_t)(int64_t)(int32_t)x)
    UNOP(i64_extend_i32_u, (uint32_t)x)

op_i32_div_s: {
    int32_t a = (int32_t)fp[W1(1)], b = (int32_t)fp[W0(2)];
    if (UNLIKELY(b == 0)) TRAP(ISOLA_TRAP_DIVIDE_BY_ZERO, "integer divide by zero");
    if (UNLIKELY(a == INT32_MIN && b == -1)) TRAP(ISOLA_TRAP_INTEGER_OVERFLOW, "integer overflow");
    fp[W0(1)] = (uint32_t)(a / b);
    NEXT(3);
}
op_i32_div_u: {
    uint32_t a = (uint32_t)fp[W1(1)], b = (uint32_t)fp[W0(2)];
    if (UNLIKELY(b == 0)) TRAP(ISOLA_TRAP_DIVIDE_BY_ZERO, "integer divide by zero");
    fp[W0(1)] = a / b;
    NEXT(3);
}
op_i32_rem_s: {
    int32_t a = (int32_t)fp[W1(1)], b = (int32_t)fp[W0(2)];
    if (UNLIKELY(b == 0)) TRAP(ISOLA_TRAP_DIVIDE_BY_ZERO, "integer divide by zero");
    fp[W0(1)] = b == -1 ? 0 : (uint32_t)(a % b);
    NEXT(3);
}
op_i32_rem_u: {
    uint32_t a = (uint32_t)fp[W1(1)], b = (uint32_t)fp[W0(2)];
    if (UNLIKELY(b == 0)) TRAP(ISOLA_TRAP_DIVIDE_BY_ZERO, "integer divide by zero");
    fp[W0(1)] = a % b;
    NEXT(3);
}
op_i64_div_s: {
    int64_t a = (int64_t)fp[W1(1)], b = (int64_t)fp[W0(2)];
    if (UNLIKELY(b == 0)) TRAP(ISOLA_TRAP_DIVIDE_BY_ZERO, "integer divide by zero");
    if (UNLIKELY(a == INT64_MIN && b == -1)) TRAP(ISOLA_TRAP_INTEGER_OVERFLOW, "integer overflow");
    fp[W0(1)] = (uint64_t)(a / b);
    NEXT(3);
}
op_i64_div_u: {
    uint64_t a = fp[W1(1)], b = fp[W0(2)];
    if (UNLIKELY(b == 0)) TRAP(ISOLA_TRAP_DIVIDE_BY_ZERO, "integer divide by zero");
    fp[W0(1)] = a / b;
    NEXT(3);
}
op_i64_rem_s: {
    int64_t a = (int64_t)fp[W1(1)], b = (int64_t)fp[W0(2)];
    if (UNLIKELY(b == 0)) TRAP(ISOLA_TRAP_DIVIDE_BY_ZERO, "integer divide by zero");
    fp[W0(1)] = b == -1 ? 0 : (uint64_t)(a % b);
    NEXT(3);
}
op_i64_rem_u: {
    uint64_t a = fp[W1(1)], b = fp[W0(2)];
    if (UNLIKELY(b == 0)) TRAP(ISOLA_TRAP_DIVIDE_BY_ZERO, "integer divide by zero");
    fp[W0(1)] = a % b;
    NEXT(3);
}
    BINOP(i32, uint32_t, rotl, rotl32(a, b), IMM32)
    BINOP(i32, uint32_t, rotr, rotr32(a, b), IMM32)
    BINOP(i64, uint64_t, rotl, rotl64(a, b), IMM64)
    BINOP(i64, uint64_t, rotr, rotr64(a, b), IMM64)

    /* ------------------------------------------------ floating point */
    FBIN32(f32_eq, a == b) FBIN32(f32_ne, a != b) FBIN32(f32_lt, a < b)
    FBIN32(f32_gt, a > b) FBIN32(f32_le, a <= b) FBIN32(f32_ge, a >= b)
    FBIN32(f32_add, of_f32(a + b)) FBIN32(f32_sub, of_f32(a - b))
    FBIN32(f32_mul, of_f32(a * b)) FBIN32(f32_div, of_f32(a / b))
    FBIN32(f32_min, of_f32(wasm_fminf(a, b))) FBIN32(f32_max, of_f32(wasm_fmaxf(a, b)))
    FBIN64(f64_eq, a == b) FBIN64(f64_ne, a != b) FBIN64(f64_lt, a < b)
    FBIN64(f64_gt, a > b) FBIN64(f64_le, a <= b) FBIN64(f64_ge, a >= b)
    FBIN64(f64_add, of_f64(a + b)) FBIN64(f64_sub, of_f64(a - b))
    FBIN64(f64_mul, of_f64(a * b)) FBIN64(f64_div, of_f64(a / b))
    FBIN64(f64_min, of_f64(wasm_fmin(a, b))) FBIN64(f64_max, of_f64(wasm_fmax(a, b)))
    FCMPS(f32, float, f32_of)
    FCMPS(f64, double, f64_of)
op_f64_muladd: {
    double m = f64_of(fp[W1(1)]) * f64_of(fp[W0(2)]);
    fp[W0(1)] = of_f64(f64_of(fp[W1(2)]) + m);
    NEXT(3);
}
op_f64_mulsub: {
    double m = f64_of(fp[W1(1)]) * f64_of(fp[W0(2)]);
    fp[W0(1)] = of_f64(f64_of(fp[W1(2)]) - m);
    NEXT(3);
}
op_f64_mulrsub: {
    double m = f64_of(fp[W1(1)]) * f64_of(fp[W0(2)]);
    fp[W0(1)] = of_f64(m - f64_of(fp[W1(2)]));
    NEXT(3);
}
#define FBIN64K(name, expr) \
    op_##name##_k: { double a = f64_of(fp[W1(1)]), b = f64_of(pc[2].u64); fp[W0(1)] = (expr); NEXT(3); }
    FBIN64K(f64_add, of_f64(a + b)) FBIN64K(f64_sub, of_f64(a - b))
    FBIN64K(f64_mul, of_f64(a * b)) FBIN64K(f64_div, of_f64(a / b))
/* f64 OP a right operand loaded from memory (see code.h). */
#define F64_LD(name, expr) \
    op_##name##_ld: { uint64_t ea = (uint64_t)(uint32_t)fp[W0(2)] + W1(2); \
        if (UNLIKELY(ea + 8 > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        uint64_t bits_; memcpy(&bits_, mem + ea, 8); \
        double a = f64_of(fp[W1(1)]), b = f64_of(bits_); fp[W0(1)] = (expr); NEXT(3); } \
    op_##name##_ldk: { uint64_t ea = (uint64_t)(uint32_t)((uint32_t)fp[W0(2)] + W0(3)) + W1(2); \
        if (UNLIKELY(ea + 8 > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"); \
        uint64_t bits_; memcpy(&bits_, mem + ea, 8); \
        double a = f64_of(fp[W1(1)]), b = f64_of(bits_); fp[W0(1)] = (expr); NEXT(4); }
    F64_LD(f64_add, of_f64(a + b)) F64_LD(f64_sub, of_f64(a - b)) F64_LD(f64_mul, of_f64(a * b))
op_i32_add_imm_x2:
    fp[W0(1)] = (uint32_t)((uint32_t)fp[W1(1)] + W0(2));
    fp[W0(4)] = (uint32_t)((uint32_t)fp[W1(4)] + W0(5));
    NEXT(6);
op_i32_load_shl_addk: {   /* code.h */
    fp[W1(1)] = (uint32_t)((uint32_t)fp[W1(3)] << (W0(3) & 31));
    uint64_t ea = (uint64_t)(uint32_t)((uint32_t)fp[W1(1)] + W1(2)) + W0(2);
    if (UNLIKELY(ea + 4 > memsize))
        TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access");
    uint32_t v;
    memcpy(&v, mem + ea, 4);
    fp[W0(1)] = v;
    NEXT(4);
}
op_i32_shr_u_and_x2:
    fp[W0(1)] = ((uint32_t)fp[W1(1)] >> (W0(2) & 31)) & W1(2);
    fp[W0(4)] = ((uint32_t)fp[W1(4)] >> (W0(5) & 31)) & W1(5);
    NEXT(6);
op_i32_add_x2:
    fp[W0(1)] = (uint32_t)((uint32_t)fp[W1(1)] + (uint32_t)fp[W0(2)]);
    fp[W0(4)] = (uint32_t)((uint32_t)fp[W1(4)] + (uint32_t)fp[W0(5)]);
    NEXT(6);
op_i32_muladd:
    fp[W0(1)] = (uint32_t)((uint32_t)fp[W1(2)] + (uint32_t)fp[W1(1)] * (uint32_t)fp[W0(2)]);
    NEXT(3);
op_i32_add3:
    fp[W0(1)] = (uint32_t)((uint32_t)fp[W1(1)] + (uint32_t)fp[W0(2)] + (uint32_t)fp[W1(2)]);
    NEXT(3);
/* Both factors loaded (code.h): x's address is checked, and faults, first. */
#define LD2_EA(ea, base, off, k, width) \
    uint64_t ea = (uint64_t)(uint32_t)((uint32_t)fp[base] + (k)) + (off); \
    if (UNLIKELY(ea + (width) > memsize)) TRAP(ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS, "out of bounds memory access")
#define LOAD2(T) \
    LD2_EA(ex, W1(1), W0(3), W1(3), sizeof(T)); LD2_EA(ey, W0(2), W0(4), W1(4), sizeof(T)); \
    T x, y; memcpy(&x, mem + ex, sizeof(T)); memcpy(&y, mem + ey, sizeof(T))
op_i32_mul_ld2: { LOAD2(uint32_t); fp[W0(1)] = (uint32_t)(x * y); NEXT(5); }
op_i32_muladd_ld2: { LOAD2(uint32_t); fp[W0(1)] = (uint32_t)((uint32_t)fp[W1(2)] + x * y); NEXT(5); }
op_f64_mul_ld2: { LOAD2(uint64_t); fp[W0(1)] = of_f64(f64_of(x) * f64_of(y)); NEXT(5); }
op_f64_muladd_ld2: {
    LOAD2(uint64_t);
    double m = f64_of(x) * f64_of(y);   /* its own statement: never contracted to an fma */
    fp[W0(1)] = of_f64(f64_of(fp[W1(2)]) + m);
    NEXT(5);
}
/* x[i] += a*b, x[i] -= a*b (code.h): one bounds check for the load and the store. */
#define F64_UPDATE(name, OP) \
    op_##name: { \
        MEM_EA(ea, W1(2), 8); \
        uint64_t bits; \
        memcpy(&bits, mem + ea, 8); \
        double m = f64_of(fp[W0(1)]) * f64_of(fp[W1(1)]); \
        bits = of_f64(f64_of(bits) OP m); \
        memcpy(mem + ea, &bits, 8); \
        NEXT(3); \
    }
    F64_UPDATE(f64_muladd_mem, +) F64_UPDATE(f64_mulsub_mem, -)
/* x[i] += a * y[i] (code.h): y's address is checked, and faults, first. */
#define F64_AXPY(name, OP) \
    op_##name: { \
        LD2_EA(ey, W1(1), W0(2), W1(2), 8); \
        LD2_EA(ex, W1(3), W0(3), 0, 8); \
        uint64_t bx, by; \
        memcpy(&by, mem + ey, 8); \
        memcpy(&bx, mem + ex, 8); \
        double m = f64_of(fp[W0(1)]) * f64_of(by); \
        bx = of_f64(f64_of(bx) OP m); \
        memcpy(mem + ex, &bx, 8); \
        NEXT(4); \
    }
    F64_AXPY(f64_muladd_ld_mem, +) F64_AXPY(f64_mulsub_ld_mem, -)
/* The address add first (code.h); the rest of the op is laid out as the
 * plain update's, one word on. */
op_f64_muladd_mem_addk:
    fp[W1(3)] = (uint32_t)((uint32_t)fp[W1(1)] + W0(1));
    pc++;
    goto op_f64_muladd_mem;
op_f64_mulsub_mem_addk:
    fp[W1(3)] = (uint32_t)((uint32_t)fp[W1(1)] + W0(1));
    pc++;
    goto op_f64_mulsub_mem;
op_i32_andn:
    fp[W0(1)] = (uint32_t)((uint32_t)fp[W1(1)] & ~(uint32_t)fp[W0(2)]);
    NEXT(3);
#define BITS2(n1, o1, n2, o2) \
    op_i32_bits_##n1##_##n2: \
        fp[W0(1)] = (uint32_t)(((uint32_t)fp[W1(1)] o1 (uint32_t)fp[W0(2)]) o2 (uint32_t)fp[W1(2)]); NEXT(3);
#define BITS2_ALL(n1, o1) BITS2(n1, o1, and, &) BITS2(n1, o1, or, |) BITS2(n1, o1, xor, ^)
    BITS2_ALL(and, &) BITS2_ALL(or, |) BITS2_ALL(xor, ^)
op_i32_rotl_xor_rotl:
    fp[W0(1)] = rotl32((uint32_t)fp[W1(1)], W1(2)) ^ rotl32((uint32_t)fp[W0(2)], W1(2) >> 8);
    NEXT(3);
op_i32_rotl_xor_rotl_xor_rotl: {
    uint32_t m = W0(3);
    fp[W0(1)] = rotl32((uint32_t)fp[W1(1)], m) ^ rotl32((uint32_t)fp[W0(2)], m >> 8)
                ^ rotl32((uint32_t)fp[W1(2)], m >> 16);
    NEXT(4);
}
op_i32_rotl_xor_rotl_xor_shr_u: {
    uint32_t m = W0(3);
    fp[W0(1)] = rotl32((uint32_t)fp[W1(1)], m) ^ rotl32((uint32_t)fp[W0(2)], m >> 8)
                ^ ((uint32_t)fp[W1(2)] >> ((m >> 16) & 31));
    NEXT(4);
}
op_i64_muladd:
    fp[W0(1)] = fp[W1(2)] + fp[W1(1)] * fp[W0(2)];
    NEXT(3);
op_i32_shr_u_and:
    fp[W0(1)] = ((uint32_t)fp[W1(1)] >> (W0(2) & 31)) & W1(2);
    NEXT(3);
op_i32_add_and:
    fp[W0(1)] = ((uint32_t)fp[W1(1)] + W0(2)) & W1(2);
    NEXT(3);
#define SHIFTED(OP, expr) \
    op_i32_##OP##_shl: { uint32_t a = (uint32_t)fp[W1(1)], b = (uint32_t)fp[W0(2)] << (W1(2) & 31); \
        fp[W0(1)] = (uint32_t)(expr); NEXT(3); } \
    op_i32_##OP##_shr_u: { uint32_t a = (uint32_t)fp[W1(1)], b = (uint32_t)fp[W0(2)] >> (W1(2) & 31); \
        fp[W0(1)] = (uint32_t)(expr); NEXT(3); } \
    op_i32_##OP##_rotl: { uint32_t a = (uint32_t)fp[W1(1)], b = rotl32((uint32_t)fp[W0(2)], W1(2)); \
        fp[W0(1)] = (uint32_t)(expr); NEXT(3); }
    SHIFTED(add, a + b) SHIFTED(sub, a - b) SHIFTED(and, a & b) SHIFTED(or, a | b) SHIFTED(xor, a ^ b)
op_f32_copysign:
    fp[W0(1)] = ((uint32_t)fp[W1(1)] & 0x7FFFFFFFu) | ((uint32_t)fp[W0(2)] & 0x80000000u);
    NEXT(3);
op_f64_copysign:
    fp[W0(1)] = (fp[W1(1)] & 0x7FFFFFFFFFFFFFFFull) | (fp[W0(2)] & 0x8000000000000000ull);
    NEXT(3);
    UNOP(f32_abs, (uint32_t)x & 0x7FFFFFFFu)
    UNOP(f32_neg, (uint32_t)x ^ 0x80000000u)
    UNOP(f64_abs, x & 0x7FFFFFFFFFFFFFFFull)
    UNOP(f64_neg, x ^ 0x8000000000000000ull)
    UNOP(f32_ceil, of_f32(quiet_f32(ceilf(f32_of(x)))))
    UNOP(f32_floor, of_f32(quiet_f32(floorf(f32_of(x)))))
    UNOP(f32_trunc, of_f32(quiet_f32(truncf(f32_of(x)))))
    UNOP(f32_nearest, of_f32(quiet_f32(nearbyintf(f32_of(x)))))
    UNOP(f32_sqrt, of_f32(sqrtf(f32_of(x))))
    UNOP(f64_ceil, of_f64(quiet_f64(ceil(f64_of(x)))))
    UNOP(f64_floor, of_f64(quiet_f64(floor(f64_of(x)))))
    UNOP(f64_trunc, of_f64(quiet_f64(trunc(f64_of(x)))))
    UNOP(f64_nearest, of_f64(quiet_f64(nearbyint(f64_of(x)))))
    UNOP(f64_sqrt, of_f64(sqrt(f64_of(x))))

    /* ------------------------------------------------ conversions */
    TRUNC(i32_trunc_f32_s, float, f32_of, x >= -2147483648.0f, 2147483648.0f, (uint32_t)(int32_t)x)
    TRUNC(i32_trunc_f32_u, float, f32_of, x > -1.0f, 4294967296.0f, (uint32_t)x)
    TRUNC(i32_trunc_f64_s, double, f64_of, x > -2147483649.0, 2147483648.0, (uint32_t)(int32_t)x)
    TRUNC(i32_trunc_f64_u, double, f64_of, x > -1.0, 4294967296.0, (uint32_t)x)
    TRUNC(i64_trunc_f32_s, float, f32_of, x >= -9223372036854775808.0f, 9223372036854775808.0f,
          (uint64_t)(int64_t)x)
    TRUNC(i64_trunc_f32_u, float, f32_of, x > -1.0f, 18446744073709551616.0f, (uint64_t)x)
    TRUNC(i64_trunc_f64_s, double, f64_of, x >= -9223372036854775808.0, 9223372036854775808.0,
          (uint64_t)(int64_t)x)
    TRUNC(i64_trunc_f64_u, double, f64_of, x > -1.0, 18446744073709551616.0, (uint64_t)x)
    UNOP(i32_trunc_sat_f32_s, sat_i32_s(f32_of(x)))
    UNOP(i32_trunc_sat_f32_u, sat_i32_u(f32_of(x)))
    UNOP(i32_trunc_sat_f64_s, sat_i32_s(f64_of(x)))
    UNOP(i32_trunc_sat_f64_u, sat_i32_u(f64_of(x)))
    UNOP(i64_trunc_sat_f32_s, sat_i64_s(f32_of(x)))
    UNOP(i64_trunc_sat_f32_u, sat_i64_u(f32_of(x)))
    UNOP(i64_trunc_sat_f64_s, sat_i64_s(f64_of(x)))
    UNOP(i64_trunc_sat_f64_u, sat_i64_u(f64_of(x)))
    UNOP(f32_convert_i32_s, of_f32((float)(int32_t)x))
    UNOP(f32_convert_i32_u, of_f32((float)(uint32_t)x))
    UNOP(f32_convert_i64_s, of_f32((float)(int64_t)x))
    UNOP(f32_convert_i64_u, of_f32((float)x))
    UNOP(f64_convert_i32_s, of_f64((double)(int32_t)x))
    UNOP(f64_convert_i32_u, of_f64((double)(uint32_t)x))
    UNOP(f64_convert_i64_s, of_f64((double)(int64_t)x))
    UNOP(f64_convert_i64_u, of_f64((double)x))
    UNOP(f32_demote_f64, of_f32((float)f64_of(x)))
    UNOP(f64_promote_f32, of_f64((double)f32_of(x)))

    /* ------------------------------------------------ SIMD (lane arithmetic in simd.c) */
op_simd_op:
    exec_simd_op(W0(3), (uint8_t *)(fp + W0(1)), (const uint8_t *)(fp + W1(1)),
                 (const uint8_t *)(fp + W0(2)), (const uint8_t *)(fp + W1(2)), W1(3), NULL);
    NEXT(4);
op_simd_shuffle:
    exec_simd_op(WASM_SIMD_I8X16_SHUFFLE, (uint8_t *)(fp + W0(1)), (const uint8_t *)(fp + W1(1)),
                 (const uint8_t *)(fp + W0(2)), NULL, 0, (const uint8_t *)&pc[3]);
    NEXT(5);
op_simd_load: {
    uint32_t size = W1(3) >> 8;
    MEM_EA(ea, W1(1), size);
    uint64_t v[2];
    exec_simd_load(W1(2), (uint8_t *)v, mem + ea, (const uint8_t *)(fp + W0(3)), W1(3) & 0xFF);
    fp[W0(1)] = v[0];
    fp[W0(1) + 1] = v[1];
    NEXT(4);
}
op_simd_store: {
    uint32_t size = W0(3) >> 8;
    MEM_EA(ea, W1(1), size);
    exec_simd_store(W1(2), mem + ea, (const uint8_t *)(fp + W0(1)), W0(3) & 0xFF);
    NEXT(4);
}

    /* ------------------------------------------------ out of line */
call_generic:
    /* callee, cbase, cnext set; pc is the call instruction (re-run on resume). */
    if (callee->host) {
        /* A unit per host call, whatever it does besides: a loop of cheap
         * calls pays for its iterations, not just its back-edge. Taken
         * without stopping here (the next call or back-edge stops on a
         * debt): a process out of fuel that calls receive should park, not
         * yield and come back to park (it cost skynet half its speed). */
        fuel--;
        SAVE_STATE();
        struct isola_host_call hc = { exec, inst };
        isola_host_result r = callee->host->fn(&hc, fp + cbase, callee->host->user);
        fuel = exec->fuel;
        RELOAD_MEM();
        switch (r) {
        case ISOLA_HOST_RETURN:
            pc = cnext;
            DISPATCH();
        case ISOLA_HOST_YIELD:
            pc = cnext;
            SAVE_STATE();
            return ISOLA_YIELDED;
        case ISOLA_HOST_BLOCK:
            exec->block_next = cnext;
            return ISOLA_SUSPENDED;
        case ISOLA_HOST_TRAP:
        default:
            TRAP(ISOLA_TRAP_HOST, exec_host_trap_message(exec));
        }
    } else {
        const exec_code *c = callee->code;
        uint64_t *nfp = fp + cbase;
        SPEND_FUEL();
        if (UNLIKELY(fr <= frames_last || nfp + c->frame_slots > stack_end))
            goto stack_exhausted;
        fr--;
        fr->func = callee;
        fr->ret_pc = cnext;
        fr->ret_fp = fp;
        fr->ret_inst = inst;
        fuel -= zero_locals(nfp + c->param_slots, c->local_slots);
        fp = nfp;
        pc = c->code;
        if (callee->instance != inst) {
            inst = callee->instance;
            funcs = inst->funcs;
            RELOAD_MEM();
        }
        DISPATCH();
    }

out_of_fuel:
    SAVE_STATE();
    return ISOLA_YIELDED;

finished:
    SAVE_STATE();
    exec->depth = 0;
    return ISOLA_OK;

    /* An exit of its own rather than TRAP(): `trap` takes its kind and
     * message as variables set on every path into it, and gcc placed those
     * two moves in the calls' hot path, before the stack check. */
stack_exhausted:
    SAVE_STATE();
    /* A small context grows once, then a new run of the loop (which
     * loads the moved frames and stack) makes the call again: pc is still
     * the call instruction, whose fuel was spent already. Re-entering
     * rather than reloading here keeps frames, frames_last and stack_end
     * constant in the loop: as variables assigned in one handler they
     * would need merging at every label (clang with the fuzz build's
     * sanitizers took 367 s on this file instead of 211 s). */
    if (exec_stack_grow(exec, true)) {
        exec->fuel = REFUND_FUEL(exec->fuel);
        return interp_loop(exec, NULL);
    }
    exec_record_trap(exec, ISOLA_TRAP_STACK_EXHAUSTED, "call stack exhausted", (uint32_t)(frames - fr) + 1);
    return ISOLA_TRAPPED;

trap:
    SAVE_STATE();
    exec_record_trap(exec, trap_kind, trap_msg, (uint32_t)(frames - fr) + 1);
    return ISOLA_TRAPPED;
}

isola_status exec_interp_run(isola_exec *exec)
{
    assert(exec->pc && exec->fp && exec->inst);
    return interp_loop(exec, NULL);
}

isola_func *exec_frame_func(const isola_exec *exec, uint32_t i)
{
    const exec_frame *fr = exec->frames - i;
    if (fr->func)
        return fr->func;
    /* A call_direct activation: [h] [funcidx | base] [callee code], then
     * ret_pc. Without memory for the function object, the module's
     * template names it (with no instance, so no module name). */
    assert(i > 0 && fr->ret_pc && fr->ret_inst);
    uint32_t index = fr->ret_pc[-2].w[0];
    isola_func *f = exec_instance_func(fr->ret_inst, index);
    const wasm_module *m = fr->ret_inst->module->wasm;
    return f ? f : &fr->ret_inst->module->func_template[index - m->nfunc_imports];
}

const void *const *exec_interp_handlers(void)
{
    const void *const *h = NULL;
    interp_loop(NULL, &h);
    return h;
}
