/*
 * translate.c - validated wasm function bodies to register-style slot code
 * (the format is described in code.h).
 *
 * The translator walks the body once, keeping a compile-time model of the
 * operand stack. Every stack position has a fixed "home" slot in the frame
 * (wasm stack heights are static), but an entry may also say "the value is
 * still in local L" or "the value is constant K": `local.get` and constants
 * emit nothing, and consumers read locals directly or use immediate forms.
 * Pending entries are materialised into their homes when a local they alias
 * is overwritten, at control-flow merges, and before calls (arguments must
 * sit in consecutive homes: the callee's frame starts at the first one).
 *
 * Peepholes look at the last emitted instructions (up to three producers,
 * kept adjacent by take_back_producer when one is folded away):
 *   - `local.set L` right after an op that produced the top value into its
 *     home retargets that op's destination to L;
 *   - `br_if` / `if` / `select` right after an integer compare fuse with it
 *     (and `eqz` of a compare inverts the compare); a loop back-edge test of
 *     a counter just stepped by a constant or a slot becomes one br_inc or
 *     br_add op, which also takes a move right before the step (mv_ forms);
 *     runs of up to eight moves or constants are one op each, and a
 *     back-edge after a run of moves takes the run;
 *   - a load or store whose address was just computed by i32.add (of a slot
 *     or a constant, or of a shifted index) folds the add in; a store of a
 *     constant takes it as an immediate;
 *   - f64.add / f64.sub of a product just computed (or computed right
 *     before a load of the other operand) folds the f64.mul in; i32/f64.mul
 *     of two values just loaded loads both (and takes a following add); an
 *     f64.store of such a sum to where its addend was loaded updates memory
 *     in place;
 *   - i32 add/sub/and/or/xor of a value just shifted or rotated by a
 *     constant folds the shift in (two rotations xored: one op); i32.and of a
 *     complement is and-not, of a constant after a shift or offset one op;
 *     two and/or/xor of slots in a row are one op;
 *     br_table folds an and/add of a constant into its index; float compares
 *     fuse with a following forward branch;
 *   - two adjacent i32 adds (of constants or of slots) or bit-field
 *     extracts share one dispatch (rewind_code undoes that if a later
 *     peephole takes the second one), and so does an add of a constant
 *     right before a br_inc back-edge or a call_direct;
 *   - an f64 value loaded earlier, with only pure ops since (effect_at,
 *     local_set_at), is loaded by the f64 op or the in-place update that
 *     uses it (try_f64_far_load_operand, try_update_far).
 * `i32.sub x, k` is translated as `i32.add x, -k` and a rotation right by a
 * constant as one left, so the add and rotation peepholes cover both. Once
 * the body is done, forward jumps are threaded: one that lands on a return
 * becomes it (thread_jumps).
 * All are valid only while nothing was emitted and no label was bound since
 * the instructions involved, which is checked by code position; folded
 * temporaries are dead because their stack entries were consumed.
 *
 * Unreachable code (after br, br_table, return, unreachable) is parsed but not
 * translated.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/code.h"
#include "exec/simd.h"
#include "exec/translate.h"
#include "wasm/simd_ops.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"

enum tr_entry_kind { ENT_HOME, ENT_LOCAL, ENT_CONST };

typedef struct tr_entry {
    uint8_t kind;            /* enum tr_entry_kind */
    wasm_valtype type;
    uint32_t home;           /* canonical slot of this stack position */
    uint32_t slot;           /* ENT_LOCAL: the local's slot */
    uint64_t k[2];           /* ENT_CONST: the value (k[1] for v128) */
    bool loaded;             /* ENT_HOME: written by the i64_load(_addk) at load_at */
    size_t load_at;
} tr_entry;

enum tr_ctrl_kind { CTRL_FUNC, CTRL_BLOCK, CTRL_LOOP, CTRL_IF, CTRL_ELSE };

typedef struct tr_ctrl {
    uint8_t kind;
    bool dead;               /* the rest of this frame's current arm is unreachable */
    bool entered_dead;       /* the whole frame is inside unreachable code */
    uint32_t height;         /* stack entries below the frame's params */
    uint32_t base_home;      /* home slot of the first param / result */
    uint32_t nparams, nresults;
    const wasm_valtype *params, *results;
    size_t loop_start;       /* CTRL_LOOP: code position of the header */
    size_t else_fix;         /* CTRL_IF: target word of the branch to `else` */
    size_t *fix;             /* target words to patch with this frame's end */
    uint32_t nfix, capfix;
} tr_ctrl;

#define TR_ADDS 4            /* i32 adds tracked for pairing and folding */

typedef struct tr {
    const isola_module *mod;
    const wasm_module *wm;
    const wasm_functype *ftype;
    const void *const *handlers;
    wasm_reader r;
    bool oom;
    const char *unsupported;

    exec_op *code;
    size_t n, cap;
    size_t *relocs;          /* words holding a code offset that becomes an address */
    size_t nrelocs, caprelocs;
    size_t *jumps;           /* forward br / move_br instructions, for thread_jumps */
    size_t njumps, capjumps;
    size_t *calls;           /* call_direct callee words, linked once the module is translated */
    size_t ncalls, capcalls;

    tr_entry *stack;
    uint32_t sp, capstack;
    tr_ctrl *ctrl;
    uint32_t nctrl, capctrl;

    uint32_t nlocals;        /* params + declared locals */
    size_t *local_set_at;    /* per local slot: code position after its last local.set/tee */
    uint32_t *local_slot;
    wasm_valtype *local_type;
    uint32_t param_slots, local_slots, temp_base, max_slots;

    /* Peepholes: the last single-result instruction and the last compare. */
    bool prod_valid;
    size_t prod_at, prod_end;
    bool prev_valid;         /* the producer right before the last one, adjacent to it */
    size_t prev_at;
    bool prev2_valid;        /* and the one right before that, adjacent to it */
    size_t prev2_at;
    bool cmp_valid;
    size_t cmp_at, cmp_end;
    int cmp_kind;            /* 0..9 as EXEC_CMPS, 10 = eqz */
    bool cmp_is64, cmp_imm;
    uint8_t cmp_float;       /* 0: an integer compare; 1: f32, 2: f64 (cmp_kind 0..5 as EXEC_FCMPS) */
    uint64_t cmp_k;          /* a float compare's constant right operand (cmp_imm) */
    uint32_t cmp_a, cmp_b, cmp_dst;
    bool cmp_prev_valid;     /* an op producing into cmp_at's start, right before the compare */
    size_t cmp_prev_at;
    uint32_t move_count;     /* a run of this many moves (0-8) was emitted at move_at (last_move_run) */
    size_t move_at;
    uint32_t const_count;    /* the same for constants (last_const_run) */
    size_t const_at;
    bool pair_valid;         /* the add at pair_first runs the one at pair_second too */
    size_t pair_first, pair_second;
    int pair_op;             /* what they are (pair_op_of) */
    bool add_valid[TR_ADDS]; /* the last i32_add or i32_add_imm ops emitted, newest first */
    size_t add_at[TR_ADDS];  /* (add_ending_at) */
    bool upd_valid;          /* the f64_muladd/mulsub at upd_at adds to a value loaded */
    size_t upd_at, upd_load_at;   /* by the i64_load at upd_load_at (try_update_far) */
    size_t effect_at;        /* no op with an effect (op_is_pure) starts at or after this */

    uint32_t *brt;           /* br_table targets being translated */
    uint32_t capbrt;
} tr;

#define CMP_EQZ 10

/* Identity table so a single block result type can be pointed at. */
static const wasm_valtype k_valtypes[256] = {
    [WASM_I32] = WASM_I32, [WASM_I64] = WASM_I64, [WASM_F32] = WASM_F32, [WASM_F64] = WASM_F64,
    [WASM_V128] = WASM_V128, [WASM_FUNCREF] = WASM_FUNCREF, [WASM_EXTERNREF] = WASM_EXTERNREF,
};

/* ------------------------------------------------------------ buffers */

static bool grow_array(tr *t, void **p, size_t elem, size_t need, size_t *cap)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * elem);
    if (!np) {
        t->oom = true;
        return false;
    }
    *p = np;
    *cap = ncap;
    return true;
}

/*
 * True for ops without an effect that a later op could observe: no store,
 * call, branch, global or table write, and no trap other than an
 * out-of-bounds load. A load can be moved past a run of these ops
 * (try_update_far): if it traps, it traps with the same message, and no
 * state the embedder can see has changed in between. SIMD ops are left
 * out, to keep the list short.
 */
static bool op_is_pure(int op)
{
    switch (op) {
#define X(name) case EXEC_OP_##name:
    X(move) X(move_pair) X(move3) X(move4) X(move5) X(move6) X(move7) X(move8) X(move2)
    X(const64) X(const2) X(const3) X(const4) X(const5) X(const6) X(const7) X(const8) X(const128)
    X(select) X(select2)
    X(global_get) X(global_get2) X(memory_size) X(table_size) X(ref_func)
    X(i32_load) X(i64_load) X(i32_load8_s) X(i32_load8_u) X(i32_load16_s) X(i32_load16_u)
    X(i64_load8_s) X(i64_load8_u) X(i64_load16_s) X(i64_load16_u) X(i64_load32_s) X(i64_load32_u)
    EXEC_FUSED_MEM(i32_load) EXEC_FUSED_MEM(i64_load) EXEC_FUSED_MEM(i32_load8_u)
    EXEC_FUSED_MEM(i32_load8_s) EXEC_FUSED_MEM(i32_load16_u) EXEC_FUSED_MEM(i32_load16_s)
    EXEC_INDEXED_MEM(i32_load) EXEC_INDEXED_MEM(i64_load) EXEC_INDEXED_MEM(i32_load16_u)
    EXEC_INDEXED_MEM(i32_load16_s) X(i32_load_shl_addk)
    EXEC_CMPS(EXEC_CMP_I32) EXEC_CMPS(EXEC_CMP_I64) EXEC_CMPS(EXEC_SEL_I32) EXEC_CMPS(EXEC_ADD_CMP_I32)
    EXEC_IMM_BINOPS(i32) EXEC_IMM_BINOPS(i64)
    X(i32_eqz) X(i32_clz) X(i32_ctz) X(i32_popcnt) X(i32_rotl) X(i32_rotl_imm) X(i32_rotr) X(i32_rotr_imm)
    X(i32_extend8_s) X(i32_extend16_s)
    X(i64_eqz) X(i64_clz) X(i64_ctz) X(i64_popcnt) X(i64_rotl) X(i64_rotl_imm) X(i64_rotr) X(i64_rotr_imm)
    X(i64_extend8_s) X(i64_extend16_s) X(i64_extend32_s)
    EXEC_FLOAT_OPS(f32) EXEC_FLOAT_OPS(f64) EXEC_FCMPS(EXEC_F32_K) EXEC_FCMPS(EXEC_F64_K)
    X(i32_wrap_i64) X(i64_extend_i32_s) X(i64_extend_i32_u)
    X(i32_trunc_sat_f32_s) X(i32_trunc_sat_f32_u) X(i32_trunc_sat_f64_s) X(i32_trunc_sat_f64_u)
    X(i64_trunc_sat_f32_s) X(i64_trunc_sat_f32_u) X(i64_trunc_sat_f64_s) X(i64_trunc_sat_f64_u)
    X(f32_convert_i32_s) X(f32_convert_i32_u) X(f32_convert_i64_s) X(f32_convert_i64_u)
    X(f64_convert_i32_s) X(f64_convert_i32_u) X(f64_convert_i64_s) X(f64_convert_i64_u)
    X(f32_demote_f64) X(f64_promote_f32)
    X(i32_add_imm_x2) X(i32_add_x2) X(i32_shr_u_and_x2)
    X(f64_muladd) X(f64_mulsub) X(f64_mulrsub) X(i32_muladd) X(i64_muladd)
    X(i32_add3) X(i32_andn) X(i32_rotl_xor_rotl)
    X(i32_rotl_xor_rotl_xor_rotl) X(i32_rotl_xor_rotl_xor_shr_u)
    EXEC_BITS2(and) EXEC_BITS2(or) EXEC_BITS2(xor)
    X(i32_mul_ld2) X(i32_muladd_ld2) X(f64_mul_ld2) X(f64_muladd_ld2) X(i32_shr_u_and) X(i32_add_and)
    X(f64_add_k) X(f64_sub_k) X(f64_mul_k) X(f64_div_k)
    X(f64_add_ld) X(f64_add_ldk) X(f64_sub_ld) X(f64_sub_ldk) X(f64_mul_ld) X(f64_mul_ldk)
    EXEC_SHIFTED(add) EXEC_SHIFTED(sub) EXEC_SHIFTED(and) EXEC_SHIFTED(or) EXEC_SHIFTED(xor)
#undef X
        return true;
    default:
        return false;
    }
}

static void emit_word(tr *t, exec_op w)
{
    if (!grow_array(t, (void **)&t->code, sizeof(exec_op), t->n + 1, &t->cap))
        return;
    t->code[t->n++] = w;
}

static void emit_h(tr *t, int op)
{
    if (!op_is_pure(op))
        t->effect_at = t->n + 1;
    if (op == EXEC_OP_i32_add_imm || op == EXEC_OP_i32_add) {
        memmove(&t->add_valid[1], &t->add_valid[0], (TR_ADDS - 1) * sizeof t->add_valid[0]);
        memmove(&t->add_at[1], &t->add_at[0], (TR_ADDS - 1) * sizeof t->add_at[0]);
        t->add_valid[0] = true;
        t->add_at[0] = t->n;
    }
    exec_op w = { .h = t->handlers[op] };
    emit_word(t, w);
}

static void emit_w(tr *t, uint32_t a, uint32_t b)
{
    exec_op w;
    w.w[0] = a;
    w.w[1] = b;
    emit_word(t, w);
}

static void emit_u64(tr *t, uint64_t v)
{
    exec_op w = { .u64 = v };
    emit_word(t, w);
}

/* Appends `pos` to a growable list of code positions (t->oom on failure). */
static void append_pos(tr *t, size_t **list, size_t *n, size_t *cap, size_t pos)
{
    if (grow_array(t, (void **)list, sizeof(size_t), *n + 1, cap))
        (*list)[(*n)++] = pos;
}

/* Notes a target word at `pos`, relocated to an address at the end. */
static void add_reloc(tr *t, size_t pos)
{
    t->effect_at = pos + 1;   /* a branch, whatever handler word it got */
    append_pos(t, &t->relocs, &t->nrelocs, &t->caprelocs, pos);
}

static void emit_target_at(tr *t, size_t to)
{
    add_reloc(t, t->n);
    emit_u64(t, to);
}

/* Notes that a forward br or move_br starts at `pos` (see thread_jumps). */
static void note_jump(tr *t, size_t pos)
{
    append_pos(t, &t->jumps, &t->njumps, &t->capjumps, pos);
}

/* Emits a target word to be patched later; returns its position. */
static size_t emit_target_pending(tr *t)
{
    size_t pos = t->n;
    add_reloc(t, pos);
    emit_u64(t, 0);
    return pos;
}

static void patch_target(tr *t, size_t pos, size_t to)
{
    if (!t->oom)
        t->code[pos].u64 = to;
}

/*
 * Drops the code from `pos` on (a peephole replacing the last instructions).
 * If that removes the second half of an add_imm pair, the first half becomes
 * a plain add_imm again.
 */
static void rewind_code(tr *t, size_t pos)
{
    assert(pos <= t->n);
    if (t->pair_valid && pos <= t->pair_second) {
        if (pos > t->pair_first && !t->oom)
            t->code[t->pair_first].h = t->handlers[t->pair_op];
        t->pair_valid = false;
    }
    /* Adds taken back (into a load, a branch) uncover the ones before. */
    int kept = 0;
    for (int i = 0; i < TR_ADDS; i++)
        if (t->add_valid[i] && t->add_at[i] < pos)
            t->add_at[kept++] = t->add_at[i];
    for (int i = 0; i < TR_ADDS; i++)
        t->add_valid[i] = i < kept;
    if (pos <= t->upd_at)
        t->upd_valid = false;
    if (t->const_count && pos < t->const_at + 1 + 2 * (size_t)t->const_count) {
        /* peepholes take back ops, never part of a run of constants */
        assert(pos <= t->const_at);
        t->const_count = 0;
    }
    while (t->njumps > 0 && t->jumps[t->njumps - 1] >= pos)
        t->njumps--;
    /* Peepholes never take back a jump's target word (relocs stay sorted). */
    assert(t->nrelocs == 0 || t->relocs[t->nrelocs - 1] < pos);
    t->n = pos;
}

/* A label is bound here: peepholes must not look across it. */
static void bind_here(tr *t)
{
    t->pair_valid = false;   /* code before a label is final */
    t->prod_valid = false;
    t->cmp_valid = false;
    t->move_count = 0;
    t->const_count = 0;
    memset(t->add_valid, 0, sizeof t->add_valid);
    t->effect_at = t->n;
}

/* The position of the i32 add op `op` (i32_add or i32_add_imm, unpaired
 * and unchanged) that ends at `end`, if it is one of the last TR_ADDS emitted
 * and no label came since; else SIZE_MAX. */
static size_t add_ending_at(const tr *t, size_t end, int op)
{
    for (int i = 0; i < TR_ADDS; i++)
        if (t->add_valid[i] && t->add_at[i] + 3 == end && !t->oom && t->code[t->add_at[i]].h == t->handlers[op])
            return t->add_at[i];
    return SIZE_MAX;
}

/* An unpaired add_imm right before the op about to be emitted becomes
 * `fused`, which runs the add and then that op (whose handler word it
 * skips): a pointer's step before a back-edge, an argument's n - 1 before
 * a call. */
static void run_add_imm_into(tr *t, int fused)
{
    size_t at = add_ending_at(t, t->n, EXEC_OP_i32_add_imm);
    if (at != SIZE_MAX && !(t->pair_valid && (t->pair_first == at || t->pair_second == at)))
        t->code[at].h = t->handlers[fused];
}

/* The ops running 1-8 moves in one dispatch, plain and ending in a loop's
 * back-edge (code.h). */
#define TR_MOVE_RUN_MAX 8
static const int k_move_run_op[TR_MOVE_RUN_MAX + 1] = {
    -1, EXEC_OP_move, EXEC_OP_move_pair, EXEC_OP_move3, EXEC_OP_move4,
    EXEC_OP_move5, EXEC_OP_move6, EXEC_OP_move7, EXEC_OP_move8,
};
static const int k_move_run_back_op[TR_MOVE_RUN_MAX + 1] = {
    -1, EXEC_OP_move_br_back, EXEC_OP_move_pair_br_back, EXEC_OP_move3_br_back, EXEC_OP_move4_br_back,
    EXEC_OP_move5_br_back, EXEC_OP_move6_br_back, EXEC_OP_move7_br_back, EXEC_OP_move8_br_back,
};

/* How many moves the last instruction emitted runs, if it is a run of
 * moves with no label since; else 0. */
static uint32_t last_move_run(const tr *t)
{
    uint32_t n = t->move_count;
    if (t->oom || n == 0 || t->move_at + 1 + n != t->n || t->code[t->move_at].h != t->handlers[k_move_run_op[n]])
        return 0;
    return n;
}

static bool last_is_move(const tr *t)
{
    return last_move_run(t) == 1;
}

/* Constants put into slots, 1-8 in one dispatch (arguments of calls). */
static const int k_const_run_op[TR_MOVE_RUN_MAX + 1] = {
    -1, EXEC_OP_const64, EXEC_OP_const2, EXEC_OP_const3, EXEC_OP_const4,
    EXEC_OP_const5, EXEC_OP_const6, EXEC_OP_const7, EXEC_OP_const8,
};

/* How many constants the last instruction emitted puts into slots, if it
 * is a run of them with no label since; else 0. */
static uint32_t last_const_run(const tr *t)
{
    uint32_t n = t->const_count;
    if (t->oom || n == 0 || t->const_at + 1 + 2 * n != t->n
        || t->code[t->const_at].h != t->handlers[k_const_run_op[n]])
        return 0;
    return n;
}

/* Emits `dst = k` (64 bits), joining a run of constants right before. */
static void emit_const64(tr *t, uint32_t dst, uint64_t k)
{
    uint32_t run = last_const_run(t);
    if (run > 0 && run < TR_MOVE_RUN_MAX) {
        t->code[t->const_at].h = t->handlers[k_const_run_op[run + 1]];
        t->const_count = run + 1;
    } else {
        t->const_at = t->n;
        t->const_count = 1;
        emit_h(t, EXEC_OP_const64);
    }
    emit_w(t, dst, 0);
    emit_u64(t, k);
}

static void mark_producer(tr *t, size_t at)
{
    bool adjacent = t->prod_valid && t->prod_end == at;
    t->prev2_valid = adjacent && t->prev_valid;
    t->prev2_at = t->prev_at;
    t->prev_valid = adjacent;
    t->prev_at = t->prod_at;
    t->prod_valid = true;
    t->prod_at = at;
    t->prod_end = t->n;
}

/*
 * Takes back the last producer, which a peephole folds into the op it emits
 * next at the same position: the producer before it (if adjacent) becomes
 * the last one again, so the fused op stays adjacent to it for the next
 * peephole (a load, then an op that folded in its product, then a store).
 */
static void take_back_producer(tr *t)
{
    size_t at = t->prod_at;
    rewind_code(t, at);
    t->prod_valid = t->prev_valid;
    t->prod_at = t->prev_at;
    t->prod_end = at;
    t->prev_valid = t->prev2_valid;
    t->prev_at = t->prev2_at;
    t->prev2_valid = false;
}

/* ------------------------------------------------------------ operand stack */

static uint32_t top_home(const tr *t)
{
    if (t->sp == 0)
        return t->temp_base;
    const tr_entry *e = &t->stack[t->sp - 1];
    return e->home + wasm_valtype_slots(e->type);
}

static tr_entry *push(tr *t, uint8_t kind, wasm_valtype type)
{
    size_t cap = t->capstack;
    if (!grow_array(t, (void **)&t->stack, sizeof(tr_entry), t->sp + 1, &cap))
        return NULL;
    t->capstack = (uint32_t)cap;
    uint32_t home = top_home(t);
    tr_entry *e = &t->stack[t->sp++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->type = type;
    e->home = home;
    uint32_t top = home + wasm_valtype_slots(type);
    if (top > t->max_slots)
        t->max_slots = top;
    return e;
}

static void push_home(tr *t, wasm_valtype type)
{
    push(t, ENT_HOME, type);
}

static void push_const(tr *t, wasm_valtype type, uint64_t lo, uint64_t hi)
{
    tr_entry *e = push(t, ENT_CONST, type);
    if (e) {
        e->k[0] = lo;
        e->k[1] = hi;
    }
}

static tr_entry pop(tr *t)
{
    if (t->sp == 0) {
        /* Only reachable on a body the validator should have rejected. */
        t->unsupported = "operand stack underflow";
        tr_entry e = { .kind = ENT_HOME, .type = WASM_I32, .home = t->temp_base };
        return e;
    }
    return t->stack[--t->sp];
}

/* Emits code that puts the value of `e` into slot `dst`. */
static void emit_move(tr *t, uint32_t dst, const tr_entry *e)
{
    bool wide = e->type == WASM_V128;
    if (e->kind == ENT_CONST && !wide) {
        emit_const64(t, dst, e->k[0]);
        return;
    }
    if (e->kind == ENT_CONST) {
        emit_h(t, EXEC_OP_const128);
        emit_w(t, dst, 0);
        emit_u64(t, e->k[0]);
        emit_u64(t, e->k[1]);
        return;
    }
    uint32_t src = e->kind == ENT_LOCAL ? e->slot : e->home;
    if (src == dst)
        return;
    if (wide) {
        emit_h(t, EXEC_OP_move2);
        emit_w(t, dst, src);
        return;
    }
    /* Runs of moves (phi copies at loop ends, call arguments, a hash's
     * rotating state) dispatch once per eight. */
    uint32_t run = last_move_run(t);
    if (run > 0 && run < TR_MOVE_RUN_MAX) {
        t->code[t->move_at].h = t->handlers[k_move_run_op[run + 1]];
        emit_w(t, dst, src);
        t->move_count = run + 1;
        return;
    }
    size_t at = t->n;
    emit_h(t, EXEC_OP_move);
    emit_w(t, dst, src);
    t->move_count = 1;
    t->move_at = at;
}

/* Emits the handler word of an unconditional jump (br or br_back), folding
 * a move emitted right before it into a move_br op of the same layout. */
static void emit_jump_h(tr *t, bool back)
{
    uint32_t run = last_move_run(t);
    if (back && run > 1) {
        /* Loops carrying several values end in runs of moves. */
        t->code[t->move_at].h = t->handlers[k_move_run_back_op[run]];
        t->move_count = 0;
        return;
    }
    if (run == 1) {
        t->code[t->move_at].h = t->handlers[back ? EXEC_OP_move_br_back : EXEC_OP_move_br];
        t->move_count = 0;
        if (!back)
            note_jump(t, t->move_at);
        return;
    }
    if (!back)
        note_jump(t, t->n);
    emit_h(t, back ? EXEC_OP_br_back : EXEC_OP_br);
}

static void materialize(tr *t, tr_entry *e)
{
    if (e->kind == ENT_HOME)
        return;
    emit_move(t, e->home, e);
    e->kind = ENT_HOME;
}

/* The slot holding the value of `e`, materialising a constant into its home. */
static uint32_t operand(tr *t, tr_entry *e)
{
    if (e->kind == ENT_CONST)
        materialize(t, e);
    return e->kind == ENT_LOCAL ? e->slot : e->home;
}

static void materialize_locals(tr *t)
{
    for (uint32_t i = 0; i < t->sp; i++)
        if (t->stack[i].kind == ENT_LOCAL)
            materialize(t, &t->stack[i]);
}

static void materialize_aliases(tr *t, uint32_t slot)
{
    for (uint32_t i = 0; i < t->sp; i++)
        if (t->stack[i].kind == ENT_LOCAL && t->stack[i].slot == slot)
            materialize(t, &t->stack[i]);
}

static void materialize_top(tr *t, uint32_t count)
{
    /* Constants first, then locals: each goes to its own home, and a
     * local is never a home, so the order is free; this way each kind
     * makes one run (call arguments are mostly constants and locals). */
    for (uint32_t i = t->sp - count; i < t->sp; i++)
        if (t->stack[i].kind == ENT_CONST && t->stack[i].type != WASM_V128)
            materialize(t, &t->stack[i]);
    for (uint32_t i = t->sp - count; i < t->sp; i++)
        materialize(t, &t->stack[i]);
}

/* ------------------------------------------------------------ control frames */

static tr_ctrl *ctrl_top(tr *t) { return &t->ctrl[t->nctrl - 1]; }

static bool is_dead(tr *t) { return ctrl_top(t)->dead; }

static tr_ctrl *push_ctrl(tr *t, uint8_t kind, uint32_t np, const wasm_valtype *params,
                          uint32_t nr, const wasm_valtype *results)
{
    size_t cap = t->capctrl;
    if (!grow_array(t, (void **)&t->ctrl, sizeof(tr_ctrl), t->nctrl + 1, &cap))
        return NULL;
    t->capctrl = (uint32_t)cap;
    tr_ctrl *c = &t->ctrl[t->nctrl++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->nparams = np;
    c->params = params;
    c->nresults = nr;
    c->results = results;
    c->height = t->sp >= np ? t->sp - np : 0;
    c->base_home = np && t->sp >= np ? t->stack[t->sp - np].home : top_home(t);
    return c;
}

static void add_fix(tr *t, tr_ctrl *c, size_t pos)
{
    size_t cap = c->capfix;
    if (!grow_array(t, (void **)&c->fix, sizeof(size_t), c->nfix + 1, &cap))
        return;
    c->capfix = (uint32_t)cap;
    c->fix[c->nfix++] = pos;
}

/* The rest of the current arm is unreachable: drop its operands. */
static void set_dead(tr *t)
{
    tr_ctrl *c = ctrl_top(t);
    c->dead = true;
    if (t->sp > c->height)
        t->sp = c->height;
    bind_here(t);
}

/* Values carried by a branch to `c`: a loop's params, otherwise its results. */
static uint32_t label_arity(const tr_ctrl *c, const wasm_valtype **types)
{
    if (c->kind == CTRL_LOOP) {
        *types = c->params;
        return c->nparams;
    }
    *types = c->results;
    return c->nresults;
}

/* True when the values a branch to `c` carries are not already where it expects them. */
static bool branch_needs_copies(const tr *t, const tr_ctrl *c)
{
    if (c->kind == CTRL_FUNC)
        return true;
    const wasm_valtype *types;
    uint32_t n = label_arity(c, &types);
    if (n == 0)
        return false;
    uint32_t dst = c->base_home;
    for (uint32_t i = t->sp - n; i < t->sp; i++) {
        const tr_entry *e = &t->stack[i];
        if (e->kind != ENT_HOME || e->home != dst)
            return true;
        dst += wasm_valtype_slots(e->type);
    }
    return false;
}

static void emit_branch_copies(tr *t, const tr_ctrl *c)
{
    const wasm_valtype *types;
    uint32_t n = label_arity(c, &types);
    /* Destinations are at or below the sources, so ascending order never
     * overwrites a source before it is read (locals sit below all homes). */
    uint32_t dst = c->base_home;
    for (uint32_t i = t->sp - n; i < t->sp; i++) {
        emit_move(t, dst, &t->stack[i]);
        dst += wasm_valtype_slots(t->stack[i].type);
    }
}

/* Moves the function's results (the top of the stack) to slots 0.. and returns. */
static void emit_return(tr *t)
{
    uint32_t nr = t->ftype->nresults;
    const wasm_valtype *rt = wasm_functype_results(t->ftype);
    if (nr == 0) {
        emit_h(t, EXEC_OP_ret);
        return;
    }
    if (nr == 1 && rt[0] != WASM_V128) {
        tr_entry *e = &t->stack[t->sp - 1];
        if (e->kind == ENT_CONST) {
            emit_move(t, 0, e);
            emit_h(t, EXEC_OP_ret);
        } else {
            emit_h(t, EXEC_OP_ret1);
            emit_w(t, e->kind == ENT_LOCAL ? e->slot : e->home, 0);
        }
        return;
    }
    /* Results may come from locals that overlap slots 0..: move them to their
     * homes first, then copy homes down in ascending order. */
    for (uint32_t i = t->sp - nr; i < t->sp; i++)
        if (t->stack[i].kind == ENT_LOCAL)
            materialize(t, &t->stack[i]);
    uint32_t dst = 0;
    for (uint32_t i = t->sp - nr; i < t->sp; i++) {
        emit_move(t, dst, &t->stack[i]);
        dst += wasm_valtype_slots(t->stack[i].type);
    }
    emit_h(t, EXEC_OP_ret);
}

/* Emits the copies and the unconditional jump of a branch to ctrl index `depth`. */
static void emit_branch(tr *t, uint32_t depth)
{
    tr_ctrl *c = &t->ctrl[t->nctrl - 1 - depth];
    if (c->kind == CTRL_FUNC) {
        emit_return(t);
        return;
    }
    emit_branch_copies(t, c);
    if (c->kind == CTRL_LOOP) {
        emit_jump_h(t, true);
        emit_target_at(t, c->loop_start);
    } else {
        emit_jump_h(t, false);
        add_fix(t, c, emit_target_pending(t));
    }
}

static int cmp_inverse(int c)
{
    static const int inv[] = { 1, 0, 8, 9, 6, 7, 4, 5, 2, 3 };  /* eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u */
    return inv[c];
}

static int cmp_swap(int c)
{
    static const int sw[] = { 0, 1, 4, 5, 2, 3, 8, 9, 6, 7 };
    return sw[c];
}

/*
 * The br_inc op for a back-edge test of kind k whose left operand (or either
 * operand of `ne`) was just produced by `i32.add a, imm` right before the
 * compare, or -1. *other is the operand compared with the sum.
 */
_Static_assert(EXEC_OP_mv_br_inc_ne_back - EXEC_OP_br_inc_ne_back == EXEC_BR_STEP_OPS
                   && EXEC_OP_br_add_ne_back - EXEC_OP_br_inc_ne_back == 2 * EXEC_BR_STEP_OPS
                   && EXEC_OP_mv_br_add_ne_back - EXEC_OP_br_add_ne_back == EXEC_BR_STEP_OPS
                   && EXEC_OP_i32_add_imm_br_inc_ne_back - EXEC_OP_br_inc_ne_back == 4 * EXEC_BR_STEP_OPS,
               "br_inc, mv_br_inc, br_add, mv_br_add, i32_add_imm_br_inc: EXEC_BR_STEP's order");

/* Emits the handler word of a br_inc op; a move right before it (a value
 * carried to the next iteration) joins it as its mv_ form, and an add_imm
 * right before it (a pointer's step) runs it through its _br_inc form. */
static void emit_br_inc_h(tr *t, int op)
{
    if (last_is_move(t)) {
        t->code[t->move_at].h = t->handlers[op + EXEC_BR_STEP_OPS];
        t->move_count = 0;
        return;
    }
    if (op >= EXEC_OP_br_inc_ne_back && op <= EXEC_OP_br_inc_gt_u_imm_back)
        run_add_imm_into(t, op + 4 * EXEC_BR_STEP_OPS);
    emit_h(t, op);
}

static int loop_inc_op(const tr *t, int k, uint32_t *other)
{
    int op;
    switch (k) {
    case 1: op = EXEC_OP_br_inc_ne_back; break;
    case 2: op = EXEC_OP_br_inc_lt_s_back; break;
    case 3: op = EXEC_OP_br_inc_lt_u_back; break;
    case 4: op = EXEC_OP_br_inc_gt_s_back; break;
    case 5: op = EXEC_OP_br_inc_gt_u_back; break;
    default: return -1;
    }
    if (t->oom || !t->cmp_prev_valid || t->cmp_prev_at + 3 != t->cmp_at)
        return -1;
    const void *h = t->code[t->cmp_prev_at].h;
    if (h == t->handlers[EXEC_OP_i32_add])       /* a stride in a slot: the br_add form */
        op += EXEC_OP_br_add_ne_back - EXEC_OP_br_inc_ne_back;
    else if (h != t->handlers[EXEC_OP_i32_add_imm])
        return -1;
    uint32_t sum = t->code[t->cmp_prev_at + 1].w[0];
    if (sum == t->cmp_a) {
        *other = t->cmp_b;
        return op;
    }
    if (k == 1 && !t->cmp_imm && sum == t->cmp_b) {
        *other = t->cmp_a;
        return op;
    }
    return -1;
}

/*
 * Emits a jump taken when (cond != 0) == when_true, to ctrl `depth` if
 * target_depth >= 0, or to a pending forward label whose word position is
 * returned (target_depth < 0). Fuses with an immediately preceding compare.
 * Returns SIZE_MAX if no jump was emitted (constant condition, never taken).
 */
static size_t emit_cond_jump(tr *t, tr_entry cond, bool when_true, int64_t target_depth)
{
    tr_ctrl *c = target_depth >= 0 ? &t->ctrl[t->nctrl - 1 - target_depth] : NULL;
    bool back = c && c->kind == CTRL_LOOP;
    int op;
    if (cond.kind == ENT_CONST) {
        if (((uint32_t)cond.k[0] != 0) != when_true)
            return SIZE_MAX;
        if (!back)
            note_jump(t, t->n);
        emit_h(t, back ? EXEC_OP_br_back : EXEC_OP_br);
    } else if (t->cmp_valid && t->cmp_end == t->n && cond.kind == ENT_HOME && cond.home == t->cmp_dst
               && !(t->cmp_float && back)) {
        rewind_code(t, t->cmp_at);
        if (t->cmp_float) {
            /* Forward only: the fused float branches spend no fuel. */
            op = (t->cmp_float == 1 ? EXEC_OP_br_f32_eq : EXEC_OP_br_f64_eq) + 4 * t->cmp_kind
                 + (t->cmp_imm ? 1 : 0) + (when_true ? 0 : 2);
            emit_h(t, op);
            emit_w(t, t->cmp_a, t->cmp_b);
            if (t->cmp_imm)
                emit_u64(t, t->cmp_k);
        } else if (t->cmp_kind == CMP_EQZ) {
            bool z = when_true;
            if (t->cmp_is64)
                op = z ? EXEC_OP_br_z64 : EXEC_OP_br_nz64;
            else
                op = z ? EXEC_OP_br_z : EXEC_OP_br_nz;
            emit_h(t, op + (back ? 1 : 0));
            emit_w(t, t->cmp_a, 0);
        } else {
            int k = when_true ? t->cmp_kind : cmp_inverse(t->cmp_kind);
            uint32_t other = 0;
            int inc = back && !t->cmp_is64 ? loop_inc_op(t, k, &other) : -1;
            if (inc >= 0) {
                /* The loop counter's increment joins the back-edge test. */
                size_t add = t->cmp_prev_at;
                uint32_t d = t->code[add + 1].w[0], a = t->code[add + 1].w[1], kk = t->code[add + 2].w[0];
                rewind_code(t, add);
                emit_br_inc_h(t, inc + (t->cmp_imm ? 1 : 0));
                emit_w(t, d, a);
                emit_w(t, kk, other);
            } else {
                op = (t->cmp_is64 ? EXEC_OP_br_i64_eq : EXEC_OP_br_i32_eq) + 4 * k
                     + (t->cmp_imm ? 1 : 0) + (back ? 2 : 0);
                emit_h(t, op);
                emit_w(t, t->cmp_a, t->cmp_b);
            }
        }
    } else {
        uint32_t s = operand(t, &cond);
        if (back && when_true && !t->oom && t->prod_valid && t->prod_end == t->n
            && t->code[t->prod_at].h == t->handlers[EXEC_OP_i32_add_imm] && t->code[t->prod_at + 1].w[0] == s) {
            /* A counted-down loop, `br_if (local.tee n (i32.sub n k))`: the
             * decrement joins the back-edge test, as br_inc_ne with 0. */
            size_t add = t->prod_at;
            uint32_t d = t->code[add + 1].w[0], a = t->code[add + 1].w[1], k = t->code[add + 2].w[0];
            rewind_code(t, add);
            emit_br_inc_h(t, EXEC_OP_br_inc_ne_imm_back);
            emit_w(t, d, a);
            emit_w(t, k, 0);
        } else {
            op = when_true ? EXEC_OP_br_nz : EXEC_OP_br_z;
            emit_h(t, op + (back ? 1 : 0));
            emit_w(t, s, 0);
        }
    }
    bind_here(t);
    if (!c)
        return emit_target_pending(t);
    if (back) {
        emit_target_at(t, c->loop_start);
    } else {
        add_fix(t, c, emit_target_pending(t));
    }
    return 0;
}

/* ------------------------------------------------------------ block types */

static bool read_blocktype(tr *t, uint32_t *np, const wasm_valtype **params,
                           uint32_t *nr, const wasm_valtype **results)
{
    int64_t bt = wasm_read_s33(&t->r);
    *np = 0;
    *params = NULL;
    *nr = 0;
    *results = NULL;
    if (bt == -64)
        return true;
    if (bt < 0) {
        *nr = 1;
        *results = &k_valtypes[(uint8_t)(0x80 + bt)];
        return true;
    }
    if ((uint64_t)bt >= t->wm->ntypes)
        return false;
    const wasm_functype *ft = &t->wm->types[bt];
    *np = ft->nparams;
    *params = wasm_functype_params(ft);
    *nr = ft->nresults;
    *results = wasm_functype_results(ft);
    return true;
}

/* ------------------------------------------------------------ instruction groups */

static void tr_block(tr *t, uint8_t kind)
{
    uint32_t np, nr;
    const wasm_valtype *params, *results;
    read_blocktype(t, &np, &params, &nr, &results);
    if (is_dead(t)) {
        tr_ctrl *c = push_ctrl(t, kind, np, params, nr, results);
        if (c)
            c->dead = c->entered_dead = true;
        return;
    }
    tr_entry cond = { 0 };
    if (kind == CTRL_IF)
        cond = pop(t);
    /* Locals may be written inside the block on some paths only: values that
     * merely alias them must live in their homes from here on. */
    materialize_locals(t);
    if (t->sp >= np)
        materialize_top(t, np);
    tr_ctrl *c = push_ctrl(t, kind, np, params, nr, results);
    if (!c)
        return;
    if (kind == CTRL_LOOP) {
        bind_here(t);
        t->ctrl[t->nctrl - 1].loop_start = t->n;
    } else if (kind == CTRL_IF) {
        /* SIZE_MAX: a nonzero constant condition, the else arm is never entered. */
        size_t pos = emit_cond_jump(t, cond, false, -1);
        ctrl_top(t)->else_fix = pos;
    }
}

static void tr_else(tr *t)
{
    tr_ctrl *c = ctrl_top(t);
    if (c->entered_dead)
        return;
    if (!c->dead) {
        materialize_top(t, c->nresults);
        emit_jump_h(t, false);   /* a result moved into place just before folds in */
        add_fix(t, c, emit_target_pending(t));
    }
    if (c->else_fix != SIZE_MAX)
        patch_target(t, c->else_fix, t->n);
    bind_here(t);
    c->kind = CTRL_ELSE;
    c->dead = false;
    t->sp = c->height;
    for (uint32_t i = 0; i < c->nparams; i++)
        push_home(t, c->params[i]);
}

/* Returns true when the function body is complete. */
static bool tr_end(tr *t)
{
    tr_ctrl *c = ctrl_top(t);
    if (c->kind == CTRL_FUNC) {
        if (!c->dead)
            emit_return(t);
        t->nctrl--;
        return true;
    }
    if (c->entered_dead) {
        free(c->fix);
        t->nctrl--;
        return false;
    }
    if (!c->dead)
        materialize_top(t, c->nresults);
    if (c->kind == CTRL_IF && c->else_fix != SIZE_MAX)
        patch_target(t, c->else_fix, t->n);
    for (uint32_t i = 0; i < c->nfix; i++)
        patch_target(t, c->fix[i], t->n);
    bind_here(t);
    t->sp = c->height;
    uint32_t nr = c->nresults;
    const wasm_valtype *results = c->results;
    free(c->fix);
    t->nctrl--;
    for (uint32_t i = 0; i < nr; i++)
        push_home(t, results[i]);
    return false;
}

static void tr_br(tr *t, uint32_t depth)
{
    emit_branch(t, depth);
    set_dead(t);
}

static void tr_br_if(tr *t, uint32_t depth)
{
    tr_entry cond = pop(t);
    tr_ctrl *c = &t->ctrl[t->nctrl - 1 - depth];
    if (!branch_needs_copies(t, c)) {
        emit_cond_jump(t, cond, true, depth);
        return;
    }
    size_t skip = emit_cond_jump(t, cond, false, -1);
    emit_branch(t, depth);
    if (skip != SIZE_MAX)
        patch_target(t, skip, t->n);
    bind_here(t);
}

/*
 * A switch often masks or rebases its index first (x & 255, x - 'a'): when
 * the index is the temporary the and/add/sub with a constant just produced,
 * the br_table does that itself. Returns false if it is not.
 */
static bool try_br_table_index_op(tr *t, const tr_entry *idx, uint32_t count)
{
    if (t->oom || idx->kind != ENT_HOME || !t->prod_valid || t->prod_end != t->n
        || t->code[t->prod_at + 1].w[0] != idx->home)
        return false;
    const void *h = t->code[t->prod_at].h;
    uint32_t src = t->code[t->prod_at + 1].w[1], k = t->code[t->prod_at + 2].w[0];
    int op;
    if (h == t->handlers[EXEC_OP_i32_and_imm]) {
        op = EXEC_OP_br_table_and;
    } else if (h == t->handlers[EXEC_OP_i32_add_imm]) {     /* also x - k */
        op = EXEC_OP_br_table_add;
    } else {
        return false;
    }
    rewind_code(t, t->prod_at);
    t->prod_valid = false;
    emit_h(t, op);
    emit_w(t, src, count);
    emit_w(t, k, 0);
    return true;
}

static void tr_br_table(tr *t, uint32_t count)
{
    tr_entry idx = pop(t);
    if (!try_br_table_index_op(t, &idx, count)) {
        uint32_t s = operand(t, &idx);
        emit_h(t, EXEC_OP_br_table);
        emit_w(t, s, count);
    }
    size_t first = t->n;
    for (uint32_t i = 0; i <= count; i++)
        emit_u64(t, 0);
    for (uint32_t i = 0; i <= count && !t->oom; i++) {
        uint32_t depth = t->brt[i];
        tr_ctrl *c = &t->ctrl[t->nctrl - 1 - depth];
        size_t pos = first + i;
        add_reloc(t, pos);
        if (!branch_needs_copies(t, c)) {
            if (c->kind == CTRL_LOOP)
                patch_target(t, pos, c->loop_start);
            else
                add_fix(t, c, pos);
            continue;
        }
        /* A stub per target that needs its values moved; reuse an earlier one. */
        size_t stub = SIZE_MAX;
        for (uint32_t j = 0; j < i; j++) {
            if (t->brt[j] == depth && branch_needs_copies(t, c)) {
                stub = t->code[first + j].u64;
                break;
            }
        }
        if (stub == SIZE_MAX) {
            bind_here(t);
            stub = t->n;
            emit_branch(t, depth);
        }
        patch_target(t, pos, stub);
    }
    set_dead(t);
}

static void tr_call(tr *t, const wasm_functype *ft, int op, uint32_t a, bool indirect, uint32_t b)
{
    tr_entry idx = { 0 };
    if (indirect)
        idx = pop(t);
    uint32_t np = ft->nparams;
    materialize_top(t, np);
    uint32_t base = np ? t->stack[t->sp - np].home : top_home(t);
    uint32_t islot = 0;
    if (indirect)
        islot = operand(t, &idx);
    t->sp -= np;
    if (op == EXEC_OP_call_direct)
        run_add_imm_into(t, EXEC_OP_i32_add_imm_call_direct);
    emit_h(t, op);
    emit_w(t, a, base);
    if (indirect)
        emit_w(t, b, islot);
    if (op == EXEC_OP_call_direct) {
        append_pos(t, &t->calls, &t->ncalls, &t->capcalls, t->n);
        emit_u64(t, (uint64_t)(uintptr_t)&t->mod->code[a - t->wm->nfunc_imports]);
    }
    for (uint32_t i = 0; i < ft->nresults; i++)
        push_home(t, wasm_functype_results(ft)[i]);
    /* The callee's frame (and a host function's results) extend past the
     * caller's pushed values; the callee checks its own frame on entry. */
    uint32_t top = base + (np > ft->nresults ? np : ft->nresults) * 2;
    if (top > t->max_slots)
        t->max_slots = top;
    bind_here(t);
}

static void tr_local_set(tr *t, uint32_t l, bool tee)
{
    tr_entry v = pop(t);
    uint32_t slot = t->local_slot[l];
    materialize_aliases(t, slot);
    if (v.kind == ENT_LOCAL && v.slot == slot) {
        /* local.set L of local.get L */
    } else if (v.kind == ENT_HOME && !t->oom && t->prod_valid && t->prod_end == t->n
               && t->code[t->prod_at + 1].w[0] == v.home) {
        /* The op stays the last producer (now into a local): later peepholes
         * match on its destination slot, which is no longer a home. A
         * compare retargeted here must still write the local, so it no
         * longer fuses with a branch. */
        t->code[t->prod_at + 1].w[0] = slot;
        t->cmp_valid = false;
    } else {
        emit_move(t, slot, &v);
    }
    t->local_set_at[slot] = t->n;
    if (tee) {
        tr_entry *e = push(t, ENT_LOCAL, v.type);
        if (e)
            e->slot = slot;
    }
}

/* Emits `op dst, a` (and `b` word if has_b) with the result pushed as type rt. */
/* Emits a three-word op [h] [w1] [w2] producing the top value (its
 * destination in w1's low half) and records it as the last producer. */
static void emit_produced(tr *t, int op, uint32_t dst, uint32_t a, uint32_t b, uint32_t c, wasm_valtype type)
{
    size_t at = t->n;
    emit_h(t, op);
    emit_w(t, dst, a);
    emit_w(t, b, c);
    push_home(t, type);
    mark_producer(t, at);
}

/* The slot holding a non-constant entry's value. */
static uint32_t entry_slot(const tr_entry *e)
{
    assert(e->kind != ENT_CONST);
    return e->kind == ENT_LOCAL ? e->slot : e->home;
}

static void emit_unary(tr *t, int op, wasm_valtype rt)
{
    tr_entry a = pop(t);
    uint32_t s = operand(t, &a);
    size_t at = t->n;
    emit_h(t, op);
    emit_w(t, a.home, s);
    push_home(t, rt);
    mark_producer(t, at);
}

/*
 * f64.add / f64.sub whose operand was just produced by f64.mul: one op
 * computing the product and the sum with the same two roundings.
 */
static bool try_f64_muladd(tr *t, int op, tr_entry *a, tr_entry *b)
{
    if (op != EXEC_OP_f64_add && op != EXEC_OP_f64_sub)
        return false;
    if (t->oom || !t->prod_valid || t->code[t->prod_at].h != t->handlers[EXEC_OP_f64_mul])
        return false;
    uint32_t dst = a->home;
    bool left = a->kind == ENT_HOME && a->home == t->code[t->prod_at + 1].w[0];
    bool right = !left && b->kind == ENT_HOME && b->home == t->code[t->prod_at + 1].w[0];
    if (!left && !right)
        return false;
    tr_entry *other = left ? b : a;
    if (t->prod_end != t->n || (left && other->kind == ENT_CONST))
        return false;
    uint32_t ma = t->code[t->prod_at + 1].w[1], mb = t->code[t->prod_at + 2].w[0];
    int fused = op == EXEC_OP_f64_add ? EXEC_OP_f64_muladd
                : left ? EXEC_OP_f64_mulrsub : EXEC_OP_f64_mulsub;
    take_back_producer(t);
    /* When the product is the right operand, the other one's home is below
     * every slot the multiply reads: a constant may be put there now. */
    uint32_t sc = operand(t, other);
    t->upd_valid = other->kind == ENT_HOME && other->loaded && fused != EXEC_OP_f64_mulrsub;
    t->upd_at = t->n;
    t->upd_load_at = other->load_at;
    emit_produced(t, fused, dst, ma, mb, sc, WASM_F64);
    return true;
}

/*
 * `x + a*b` where x was loaded right after the product was computed (the
 * shape of `acc[i] += a * b`): the load moves before the multiply and the
 * add folds in as in try_f64_muladd. Valid when the load neither writes a
 * slot the multiply reads nor reads the product's slot.
 */
static bool try_f64_muladd_load(tr *t, int op, const tr_entry *a, const tr_entry *b)
{
    if ((op != EXEC_OP_f64_add && op != EXEC_OP_f64_sub) || t->oom || !t->prod_valid || !t->prev_valid
        || t->prod_end != t->n || t->prod_at != t->prev_at + 3
        || t->code[t->prev_at].h != t->handlers[EXEC_OP_f64_mul])
        return false;
    const exec_op *ld = &t->code[t->prod_at];
    bool plain = ld->h == t->handlers[EXEC_OP_i64_load] || ld->h == t->handlers[EXEC_OP_i64_load_addk];
    bool add = ld->h == t->handlers[EXEC_OP_i64_load_add];
    if ((!plain && !add) || t->prod_end != t->prod_at + 3)
        return false;
    const exec_op *mul = &t->code[t->prev_at];
    uint32_t prod = mul[1].w[0], ma = mul[1].w[1], mb = mul[2].w[0];
    uint32_t x = ld[1].w[0];
    /* The product is the left operand (computed first, lower home). */
    if (a->kind != ENT_HOME || a->home != prod || b->kind != ENT_HOME || b->home != x)
        return false;
    if (x == ma || x == mb || ld[1].w[1] == prod || (add && ld[2].w[1] == prod))
        return false;
    exec_op load[3] = { ld[0], ld[1], ld[2] };
    size_t load_at = t->prev_at;
    rewind_code(t, load_at);
    emit_word(t, load[0]);
    emit_word(t, load[1]);
    emit_word(t, load[2]);
    /* The load is now the producer right before the fused op (a store of
     * the sum back to its address may fold both: try_update_in_place). */
    t->prod_valid = true;
    t->prod_at = load_at;
    t->prod_end = t->n;
    t->prev_valid = false;
    emit_produced(t, op == EXEC_OP_f64_add ? EXEC_OP_f64_muladd : EXEC_OP_f64_mulrsub, prod, ma, mb, x, WASM_F64);
    return true;
}

/* The f64 op taking its right operand from memory (code.h), or -1. Its
 * _ldk form is the next op. */
_Static_assert(EXEC_OP_f64_add_ldk == EXEC_OP_f64_add_ld + 1 && EXEC_OP_f64_sub_ldk == EXEC_OP_f64_sub_ld + 1
                   && EXEC_OP_f64_mul_ldk == EXEC_OP_f64_mul_ld + 1,
               "each f64 _ldk op follows its _ld op");
static int f64_load_op(int op)
{
    switch (op) {
    case EXEC_OP_f64_add: return EXEC_OP_f64_add_ld;
    case EXEC_OP_f64_sub: return EXEC_OP_f64_sub_ld;
    case EXEC_OP_f64_mul: return EXEC_OP_f64_mul_ld;
    default: return -1;
    }
}

/*
 * f64.add/sub/mul whose right operand was loaded just before (f64.load
 * translates to i64_load, or i64_load_addk when the address was x + k):
 * one op loads and computes. The load wrote only the temporary that the
 * op consumes; its address and the left operand are read before the result
 * is written, so any slots may coincide.
 */
static bool try_f64_load_operand(tr *t, int op, tr_entry *a, const tr_entry *b)
{
    int fop = f64_load_op(op);
    if (fop < 0 || t->oom || !t->prod_valid || t->prod_end != t->n || a->kind == ENT_CONST)
        return false;
    const exec_op *ld = &t->code[t->prod_at];
    bool plain = ld->h == t->handlers[EXEC_OP_i64_load];
    bool addk = ld->h == t->handlers[EXEC_OP_i64_load_addk];
    if ((!plain && !addk) || t->prod_end != t->prod_at + 3 || b->kind != ENT_HOME || b->home != ld[1].w[0])
        return false;
    uint32_t addr = ld[1].w[1], off = ld[2].w[0], k = ld[2].w[1];
    take_back_producer(t);
    uint32_t sa = operand(t, a);
    size_t at = t->n;
    emit_h(t, addk ? fop + 1 : fop);
    emit_w(t, a->home, sa);
    emit_w(t, addr, off);
    if (addk)
        emit_w(t, k, 0);
    push_home(t, WASM_F64);
    mark_producer(t, at);
    return true;
}

static void remove_words(tr *t, size_t at, size_t len);

/*
 * The same when the right operand was loaded earlier, with only pure ops
 * since (clang schedules loads early): the load is taken out and the op
 * loads it itself. As for try_update_far, the bytes and any trap are the
 * same; the address must be a local that no local.set wrote since the load
 * (a temporary's slot is reused at once).
 */
static bool far_loaded(const tr *t, const tr_entry *e)
{
    return e->kind == ENT_HOME && e->loaded && e->load_at >= t->effect_at && e->load_at + 3 <= t->n;
}

static bool try_f64_far_load_operand(tr *t, int op, tr_entry *a, tr_entry *b)
{
    int fop = f64_load_op(op);
    if (fop < 0 || t->oom || a->kind == ENT_CONST || b->kind == ENT_CONST)
        return false;
    /* add and mul commute (a NaN's payload is not specified) */
    bool swap = !far_loaded(t, b) && op != EXEC_OP_f64_sub && far_loaded(t, a);
    tr_entry *other = swap ? b : a, *loaded = swap ? a : b;
    if (!far_loaded(t, loaded))
        return false;
    uint32_t dst = a->home;
    size_t at = loaded->load_at;
    const exec_op *ld = &t->code[at];
    bool addk = ld->h == t->handlers[EXEC_OP_i64_load_addk];
    if ((!addk && ld->h != t->handlers[EXEC_OP_i64_load]) || ld[1].w[0] != loaded->home)
        return false;
    uint32_t addr = ld[1].w[1], off = ld[2].w[0], k = ld[2].w[1];
    if (addr >= t->temp_base || t->local_set_at[addr] > at)
        return false;
    remove_words(t, at, 3);
    t->prod_valid = false;   /* the trackers may have pointed at the load */
    t->prev_valid = false;
    uint32_t sa = operand(t, other);
    size_t pos = t->n;
    emit_h(t, addk ? fop + 1 : fop);
    emit_w(t, dst, sa);
    emit_w(t, addr, off);
    if (addk)
        emit_w(t, k, 0);
    push_home(t, WASM_F64);
    mark_producer(t, pos);
    return true;
}

/*
 * An add of a value just computed by `producer` ([h] [p | ma] [mb | -]) and
 * another operand: one `fused` op [h] [dst | ma] [mb | other], which reads
 * everything before it writes. i32/i64.add of a product gives a muladd; an
 * i32.add of a sum gives add3 (hash rounds add four or five terms in a row).
 */
static bool try_fold_into_add(tr *t, int producer, int fused, tr_entry *a, tr_entry *b)
{
    if (t->oom || !t->prod_valid || t->prod_end != t->n || t->prod_end != t->prod_at + 3
        || t->code[t->prod_at].h != t->handlers[producer])
        return false;
    uint32_t prod = t->code[t->prod_at + 1].w[0];
    bool left = a->kind == ENT_HOME && a->home == prod;
    bool right = !left && b->kind == ENT_HOME && b->home == prod;
    if (!left && !right)
        return false;
    tr_entry *other = left ? b : a;
    /* As in try_f64_muladd: a constant may only go to a home below the
     * producer's operands. A constant added to a sum stays an add_imm. */
    if ((left || fused == EXEC_OP_i32_add3) && other->kind == ENT_CONST)
        return false;
    uint32_t dst = a->home;
    uint32_t ma = t->code[t->prod_at + 1].w[1], mb = t->code[t->prod_at + 2].w[0];
    take_back_producer(t);
    uint32_t sc = operand(t, other);
    emit_produced(t, fused, dst, ma, mb, sc, a->type);
    return true;
}

/* The parts of a load for a _ld2 op (code.h): true for `load` (k = 0) and
 * for its _addk form. */
static bool load_parts(const tr *t, const exec_op *ld, int load, uint32_t *k)
{
    if (ld->h == t->handlers[load]) {
        *k = 0;
        return true;
    }
    int addk = load == EXEC_OP_i32_load ? EXEC_OP_i32_load_addk : EXEC_OP_i64_load_addk;
    if (ld->h == t->handlers[addk]) {
        *k = ld[2].w[1];
        return true;
    }
    return false;
}

/* The op running two adjacent `op`s in one dispatch (see pair_ops), or -1. */
static int pair_op_of(int op)
{
    switch (op) {
    case EXEC_OP_i32_add_imm: return EXEC_OP_i32_add_imm_x2;
    case EXEC_OP_i32_add: return EXEC_OP_i32_add_x2;
    case EXEC_OP_i32_shr_u_and: return EXEC_OP_i32_shr_u_and_x2;
    default: return -1;
    }
}

/*
 * Two adjacent add_imm (pointer and counter bumps: loops often have
 * several), two adjacent i32.add (two row addresses) or two bit-field
 * extracts (an instruction's fields) dispatch once: the first one's handler
 * becomes the _x2 op, which also runs the second one, left whole in place
 * so later peepholes can still read, retarget or remove it (rewind_code
 * undoes the pairing).
 */
static void pair_ops(tr *t, int op, size_t first, size_t second)
{
    int x2 = pair_op_of(op);
    if (x2 < 0 || t->oom || first + 3 != second || t->code[first].h != t->handlers[op]
        || (t->pair_valid && t->pair_second == first))
        return;
    t->code[first].h = t->handlers[x2];
    t->pair_valid = true;
    t->pair_op = op;
    t->pair_first = first;
    t->pair_second = second;
}

/*
 * i32.mul / f64.mul of two values loaded by the two instructions right
 * before it, in operand order (a dot product's a[k] * b[k]): one op loads
 * both and multiplies. The loads wrote only the two temporaries consumed
 * here; the second address must not be the first loaded value. An i32 add
 * between the two loads that is independent of the first one moves ahead.
 */
static bool try_mul_of_loads(tr *t, int op, const tr_entry *a, const tr_entry *b)
{
    int fused = op == EXEC_OP_i32_mul ? EXEC_OP_i32_mul_ld2 : op == EXEC_OP_f64_mul ? EXEC_OP_f64_mul_ld2 : -1;
    if (fused < 0 || t->oom || !t->prod_valid || !t->prev_valid || t->prod_end != t->n
        || t->prod_end != t->prod_at + 3 || t->prod_at != t->prev_at + 3)
        return false;
    int load = op == EXEC_OP_i32_mul ? EXEC_OP_i32_load : EXEC_OP_i64_load;
    size_t start = t->prev_at;
    const exec_op *lx = &t->code[t->prev_at], *ly = &t->code[t->prod_at], *mid = NULL;
    uint32_t kx, ky;
    if (!load_parts(t, lx, load, &kx) && t->prev2_valid && t->prev2_at + 3 == t->prev_at) {
        /* An address add between the loads (unrolled loops compute the
         * next row's address there) goes first if it does not touch the
         * first load's address or value. */
        mid = lx;
        lx = &t->code[t->prev2_at];
        start = t->prev2_at;
    }
    if (!load_parts(t, lx, load, &kx) || !load_parts(t, ly, load, &ky))
        return false;
    if (a->kind != ENT_HOME || a->home != lx[1].w[0] || b->kind != ENT_HOME || b->home != ly[1].w[0]
        || ly[1].w[1] == lx[1].w[0])
        return false;
    exec_op m[3];
    if (mid) {
        memcpy(m, mid, sizeof m);
        bool add = m[0].h == t->handlers[EXEC_OP_i32_add], add_imm = m[0].h == t->handlers[EXEC_OP_i32_add_imm];
        uint32_t d = m[1].w[0], lxv = lx[1].w[0];
        if ((!add && !add_imm) || d == lxv || d == lx[1].w[1] || m[1].w[1] == lxv || (add && m[2].w[0] == lxv))
            return false;
    }
    uint32_t x = lx[1].w[1], offx = lx[2].w[0], y = ly[1].w[1], offy = ly[2].w[0];
    rewind_code(t, start);
    if (mid) {
        emit_word(t, m[0]);
        emit_word(t, m[1]);
        emit_word(t, m[2]);
        t->prod_valid = false;
        /* it may now pair with an add right before (a second row's address) */
        int mop = m[0].h == t->handlers[EXEC_OP_i32_add] ? EXEC_OP_i32_add : EXEC_OP_i32_add_imm;
        size_t first = add_ending_at(t, start, mop);
        if (first != SIZE_MAX)
            pair_ops(t, mop, first, start);
    }
    size_t at = t->n;
    emit_h(t, fused);
    emit_w(t, a->home, x);
    emit_w(t, y, 0);
    emit_w(t, offx, kx);
    emit_w(t, offy, ky);
    push_home(t, a->type);
    mark_producer(t, at);
    return true;
}

_Static_assert(EXEC_OP_i32_muladd_ld2 == EXEC_OP_i32_mul_ld2 + 1 && EXEC_OP_f64_muladd_ld2 == EXEC_OP_f64_mul_ld2 + 1,
               "each _muladd_ld2 op follows its _mul_ld2 op");
/* An add of a product just computed by a _ld2 multiply and another operand
 * (not a constant): the multiply takes the addend in its free slot. */
static bool try_add_into_mul_of_loads(tr *t, int op, const tr_entry *a, const tr_entry *b)
{
    int mul = op == EXEC_OP_i32_add ? EXEC_OP_i32_mul_ld2 : op == EXEC_OP_f64_add ? EXEC_OP_f64_mul_ld2 : -1;
    if (mul < 0 || t->oom || !t->prod_valid || t->prod_end != t->n || t->prod_end != t->prod_at + 5
        || t->code[t->prod_at].h != t->handlers[mul])
        return false;
    uint32_t prod = t->code[t->prod_at + 1].w[0];
    bool left = a->kind == ENT_HOME && a->home == prod;
    bool right = !left && b->kind == ENT_HOME && b->home == prod;
    const tr_entry *other = left ? b : a;
    if ((!left && !right) || other->kind == ENT_CONST)
        return false;
    exec_op w[5];
    memcpy(w, &t->code[t->prod_at], sizeof w);
    take_back_producer(t);
    size_t at = t->n;
    emit_h(t, mul + 1);
    emit_w(t, a->home, w[1].w[1]);
    emit_w(t, w[2].w[0], entry_slot(other));
    emit_word(t, w[3]);
    emit_word(t, w[4]);
    push_home(t, a->type);
    mark_producer(t, at);
    return true;
}

/* Index 0, 1, 2 of an i32 and, or, xor (slot forms), else -1. */
static int bits_index(const tr *t, int op_or_neg, const void *h)
{
    static const int ops[3] = {EXEC_OP_i32_and, EXEC_OP_i32_or, EXEC_OP_i32_xor};
    for (int i = 0; i < 3; i++)
        if (h ? h == t->handlers[ops[i]] : op_or_neg == ops[i])
            return i;
    return -1;
}

_Static_assert(EXEC_OP_i32_bits_xor_xor - EXEC_OP_i32_bits_and_and == 8, "nine i32_bits ops, op1-major");

/* An i32 and/or/xor one of whose operands is the temporary just produced
 * by another and/or/xor of two slots: (a op1 b) op2 c in one op (masks and
 * selections in hash rounds: Maj is two such ops instead of four). The
 * other operand is read where it is, so a constant keeps the ops apart. */
static bool try_bits_chain(tr *t, int op, const tr_entry *a, const tr_entry *b)
{
    int i2 = bits_index(t, op, NULL);
    if (i2 < 0 || t->oom || !t->prod_valid || t->prod_end != t->n || t->prod_end != t->prod_at + 3)
        return false;
    int i1 = bits_index(t, 0, t->code[t->prod_at].h);
    if (i1 < 0)
        return false;
    uint32_t tmp = t->code[t->prod_at + 1].w[0];
    bool right = b->kind == ENT_HOME && b->home == tmp;
    bool left = !right && a->kind == ENT_HOME && a->home == tmp;
    const tr_entry *other = right ? a : b;
    if ((!left && !right) || other->kind == ENT_CONST)
        return false;
    uint32_t c = entry_slot(other);
    uint32_t x = t->code[t->prod_at + 1].w[1], y = t->code[t->prod_at + 2].w[0];
    uint32_t dst = a->home;
    take_back_producer(t);
    emit_produced(t, EXEC_OP_i32_bits_and_and + 3 * i1 + i2, dst, x, y, c, WASM_I32);
    return true;
}

/* i32.and of a value just complemented (xor with -1): a & ~b in one op
 * (`(e & f) ^ (~e & g)` in hash rounds, masks cleared by ~mask). */
static bool try_and_not(tr *t, int op, const tr_entry *a, const tr_entry *b)
{
    if (op != EXEC_OP_i32_and || t->oom || !t->prod_valid || t->prod_end != t->n
        || t->prod_end != t->prod_at + 3 || t->code[t->prod_at].h != t->handlers[EXEC_OP_i32_xor_imm]
        || t->code[t->prod_at + 2].w[0] != UINT32_MAX)
        return false;
    uint32_t inv = t->code[t->prod_at + 1].w[0], src = t->code[t->prod_at + 1].w[1];
    bool right = b->kind == ENT_HOME && b->home == inv;
    bool left = !right && a->kind == ENT_HOME && a->home == inv;
    const tr_entry *other = right ? a : b;
    if ((!left && !right) || other->kind == ENT_CONST)
        return false;
    uint32_t so = entry_slot(other);
    uint32_t dst = a->home;
    take_back_producer(t);
    emit_produced(t, EXEC_OP_i32_andn, dst, so, src, 0, WASM_I32);
    return true;
}

static bool try_int_muladd(tr *t, int op, tr_entry *a, tr_entry *b)
{
    if (op == EXEC_OP_i32_add)
        return try_fold_into_add(t, EXEC_OP_i32_mul, EXEC_OP_i32_muladd, a, b)
               || try_fold_into_add(t, EXEC_OP_i32_add, EXEC_OP_i32_add3, a, b);
    if (op == EXEC_OP_i64_add)
        return try_fold_into_add(t, EXEC_OP_i64_mul, EXEC_OP_i64_muladd, a, b);
    return false;
}

/* i32.and with a constant of a value just shifted right by a constant (a
 * bit-field extract) or offset by a constant (byte arithmetic, `(c - '0') &
 * 255`): one op. The intermediate temporary is dead (its entry was consumed). */
static bool try_and_imm_of(tr *t, const tr_entry *a, uint32_t mask)
{
    if (t->oom || a->kind != ENT_HOME || !t->prod_valid || t->prod_end != t->n
        || t->prod_end != t->prod_at + 3 || t->code[t->prod_at + 1].w[0] != a->home)
        return false;
    const void *h = t->code[t->prod_at].h;
    int fused = h == t->handlers[EXEC_OP_i32_shr_u_imm] ? EXEC_OP_i32_shr_u_and
                : h == t->handlers[EXEC_OP_i32_add_imm] ? EXEC_OP_i32_add_and : -1;
    if (fused < 0)
        return false;
    uint32_t src = t->code[t->prod_at + 1].w[1], k = t->code[t->prod_at + 2].w[0];
    if (fused == EXEC_OP_i32_shr_u_and)
        k &= 31;
    take_back_producer(t);
    size_t at = t->n;
    bool after = t->prod_valid && t->prod_end == at;
    size_t before = t->prod_at;
    emit_produced(t, fused, a->home, src, k, mask, WASM_I32);
    if (after)
        pair_ops(t, fused, before, at);
    return true;
}

/*
 * rotl(x, j) ^ rotl(y, k) where rotl(y, k) was just taken back (the caller
 * folds it) and `other` is the temporary rotl(x, j) produced right before
 * it (the sigma functions of hash rounds): one op. y must not be that
 * temporary, which the fused op never writes.
 */
static bool try_xor_of_rotations(tr *t, const tr_entry *other, uint32_t y, uint32_t k)
{
    if (t->oom || other->kind != ENT_HOME || !t->prod_valid || t->prod_end != t->n
        || t->prod_end != t->prod_at + 3 || t->code[t->prod_at].h != t->handlers[EXEC_OP_i32_rotl_imm]
        || t->code[t->prod_at + 1].w[0] != other->home || y == other->home)
        return false;
    uint32_t x = t->code[t->prod_at + 1].w[1], j = t->code[t->prod_at + 2].w[0] & 31;
    take_back_producer(t);
    emit_produced(t, EXEC_OP_i32_rotl_xor_rotl, other->home, x, y, j | k << 8, WASM_I32);
    return true;
}

/*
 * rotl(x, j) ^ rotl(y, k) just computed (a temporary, `other`), xored with
 * rotl(z, l) or z >> l: SHA-2's big and small sigma functions in one op.
 * z must not be that temporary, whose value the fused op never writes.
 */
static bool try_xor_of_three(tr *t, const tr_entry *other, uint32_t z, uint32_t l, bool rot)
{
    if (t->oom || other->kind != ENT_HOME || !t->prod_valid || t->prod_end != t->n
        || t->prod_end != t->prod_at + 3 || t->code[t->prod_at].h != t->handlers[EXEC_OP_i32_rotl_xor_rotl]
        || t->code[t->prod_at + 1].w[0] != other->home || z == other->home)
        return false;
    uint32_t x = t->code[t->prod_at + 1].w[1], y = t->code[t->prod_at + 2].w[0];
    uint32_t jk = t->code[t->prod_at + 2].w[1];
    take_back_producer(t);
    size_t at = t->n;
    emit_h(t, rot ? EXEC_OP_i32_rotl_xor_rotl_xor_rotl : EXEC_OP_i32_rotl_xor_rotl_xor_shr_u);
    emit_w(t, other->home, x);
    emit_w(t, y, z);
    emit_w(t, jk | l << 16, 0);
    push_home(t, WASM_I32);
    mark_producer(t, at);
    return true;
}

/*
 * An i32 add/sub/and/or/xor one of whose operands is the temporary just
 * produced by a shift or rotate by a constant: one op computes both. The
 * temporary is dead (its stack entry was consumed), and the other operand
 * is read from where it is, so a constant there keeps the two ops apart.
 */
static bool try_shifted_operand(tr *t, int op, const tr_entry *a, const tr_entry *b)
{
    int base;
    switch (op) {
    case EXEC_OP_i32_add: base = EXEC_OP_i32_add_shl; break;
    case EXEC_OP_i32_sub: base = EXEC_OP_i32_sub_shl; break;
    case EXEC_OP_i32_and: base = EXEC_OP_i32_and_shl; break;
    case EXEC_OP_i32_or: base = EXEC_OP_i32_or_shl; break;
    case EXEC_OP_i32_xor: base = EXEC_OP_i32_xor_shl; break;
    default: return false;
    }
    if (t->oom || !t->prod_valid || t->prod_end != t->n)
        return false;
    const void *h = t->code[t->prod_at].h;
    int shift;
    if (h == t->handlers[EXEC_OP_i32_shl_imm])
        shift = 0;
    else if (h == t->handlers[EXEC_OP_i32_shr_u_imm])
        shift = 1;
    else if (h == t->handlers[EXEC_OP_i32_rotl_imm])
        shift = 2;
    else
        return false;
    uint32_t tmp = t->code[t->prod_at + 1].w[0];
    bool right = b->kind == ENT_HOME && b->home == tmp;
    bool left = !right && op != EXEC_OP_i32_sub && a->kind == ENT_HOME && a->home == tmp;
    if (!left && !right)
        return false;
    const tr_entry *other = right ? a : b;
    if (other->kind == ENT_CONST)
        return false;
    uint32_t so = entry_slot(other);
    uint32_t src = t->code[t->prod_at + 1].w[1], k = t->code[t->prod_at + 2].w[0] & 31;
    uint32_t dst = a->home;
    take_back_producer(t);
    if (op == EXEC_OP_i32_xor && shift == 2 && try_xor_of_rotations(t, other, src, k))
        return true;
    if (op == EXEC_OP_i32_xor && shift >= 1 && try_xor_of_three(t, other, src, k, shift == 2))
        return true;
    emit_produced(t, base + shift, dst, so, src, k, WASM_I32);
    return true;
}

/* The f64 op with a constant right operand (one 64-bit immediate word), or -1. */
static int f64_const_op(int op)
{
    switch (op) {
    case EXEC_OP_f64_add: return EXEC_OP_f64_add_k;
    case EXEC_OP_f64_sub: return EXEC_OP_f64_sub_k;
    case EXEC_OP_f64_mul: return EXEC_OP_f64_mul_k;
    case EXEC_OP_f64_div: return EXEC_OP_f64_div_k;
    default: return -1;
    }
}

/*
 * i32.add of an i32 compare's result just computed (a count of matches,
 * `n += a != b`): one op. The other operand is read from where it is, so a
 * constant there keeps the two ops apart.
 */
static bool try_add_of_compare(tr *t, int op, const tr_entry *a, const tr_entry *b)
{
    if (op != EXEC_OP_i32_add || t->oom || !t->cmp_valid || t->cmp_end != t->n || t->cmp_is64 || t->cmp_float
        || t->cmp_kind == CMP_EQZ || !t->prod_valid || t->prod_at != t->cmp_at || t->prod_end != t->n)
        return false;
    bool right = b->kind == ENT_HOME && b->home == t->cmp_dst;
    bool left = !right && a->kind == ENT_HOME && a->home == t->cmp_dst;
    const tr_entry *other = right ? a : b;
    if ((!left && !right) || other->kind == ENT_CONST)
        return false;
    int fused = EXEC_OP_i32_add_eq + 2 * t->cmp_kind + (t->cmp_imm ? 1 : 0);
    uint32_t ca = t->cmp_a, cb = t->cmp_b, dst = a->home, so = entry_slot(other);
    take_back_producer(t);
    t->cmp_valid = false;
    emit_produced(t, fused, dst, so, ca, cb, WASM_I32);
    return true;
}

static void emit_binary(tr *t, int op, int imm_op, bool commutative, wasm_valtype rt, bool is64)
{
    tr_entry b = pop(t);
    tr_entry a = pop(t);
    if (try_add_of_compare(t, op, &a, &b) || try_f64_muladd(t, op, &a, &b) || try_f64_muladd_load(t, op, &a, &b)
        || try_int_muladd(t, op, &a, &b)
        || try_add_into_mul_of_loads(t, op, &a, &b) || try_mul_of_loads(t, op, &a, &b) || try_and_not(t, op, &a, &b)
        || try_bits_chain(t, op, &a, &b)
        || try_shifted_operand(t, op, &a, &b) || try_f64_load_operand(t, op, &a, &b)
        || try_f64_far_load_operand(t, op, &a, &b))
        return;
    int kop = f64_const_op(op);
    if (kop >= 0 && b.kind == ENT_CONST) {
        /* Saves materialising the constant into a slot on every execution. */
        uint32_t sa = operand(t, &a);
        size_t at = t->n;
        emit_h(t, kop);
        emit_w(t, a.home, sa);
        emit_u64(t, b.k[0]);
        push_home(t, rt);
        mark_producer(t, at);
        return;
    }
    uint32_t dst = a.home;      /* the result goes to the lower position even if swapped */
    bool imm = false;
    if (imm_op >= 0) {
        /* i64 immediates take the whole of word 2, so every constant fits. */
        if (b.kind == ENT_CONST)
            imm = true;
        else if (commutative && a.kind == ENT_CONST) {
            tr_entry tmp = a;
            a = b;
            b = tmp;
            imm = true;
        }
    }
    if (imm && (op == EXEC_OP_i32_sub || op == EXEC_OP_i64_sub)) {
        /* x - k is x + (-k) modulo 2^n: one form for the peepholes that
         * match an add of a constant (addresses, loop counters). */
        b.k[0] = 0u - b.k[0];
        op = op == EXEC_OP_i32_sub ? EXEC_OP_i32_add : EXEC_OP_i64_add;
        imm_op = op == EXEC_OP_i32_add ? EXEC_OP_i32_add_imm : EXEC_OP_i64_add_imm;
    }
    if (imm && (op == EXEC_OP_i32_rotr || op == EXEC_OP_i64_rotr)) {
        /* A rotation right by k is one left by width - k: one form for the
         * peepholes that match rotations. */
        bool wide = op == EXEC_OP_i64_rotr;
        b.k[0] = (0u - b.k[0]) & (wide ? 63 : 31);
        op = wide ? EXEC_OP_i64_rotl : EXEC_OP_i32_rotl;
        imm_op = wide ? EXEC_OP_i64_rotl_imm : EXEC_OP_i32_rotl_imm;
    }
    if (imm && op == EXEC_OP_i32_and && try_and_imm_of(t, &a, (uint32_t)b.k[0]))
        return;
    uint32_t sa = operand(t, &a);
    uint32_t sb = imm ? (uint32_t)b.k[0] : operand(t, &b);
    size_t at = t->n;
    emit_h(t, imm ? imm_op : op);
    emit_w(t, dst, sa);
    if (imm && is64)
        emit_u64(t, b.k[0]);
    else
        emit_w(t, sb, 0);
    if (op == EXEC_OP_i32_add && t->prod_valid && t->prod_end == at)
        pair_ops(t, imm ? imm_op : op, t->prod_at, at);
    push_home(t, rt);
    mark_producer(t, at);
}

/* Integer compares: c in EXEC_CMPS order. Records the compare for fusion. */
static void emit_compare(tr *t, int c, bool is64)
{
    tr_entry b = pop(t);
    tr_entry a = pop(t);
    uint32_t dst = a.home;
    bool imm = false;
    if (b.kind == ENT_CONST && (!is64 || (int64_t)(int32_t)b.k[0] == (int64_t)b.k[0])) {
        imm = true;
    } else if (a.kind == ENT_CONST && (!is64 || (int64_t)(int32_t)a.k[0] == (int64_t)a.k[0])) {
        tr_entry tmp = a;
        a = b;
        b = tmp;
        c = cmp_swap(c);
        imm = true;
    }
    uint32_t sa = operand(t, &a);
    uint32_t sb = imm ? (uint32_t)b.k[0] : operand(t, &b);
    emit_produced(t, (is64 ? EXEC_OP_i64_eq : EXEC_OP_i32_eq) + 2 * c + (imm ? 1 : 0), dst, sa, sb, 0, WASM_I32);
    t->cmp_valid = true;
    t->cmp_at = t->prod_at;
    t->cmp_end = t->n;
    t->cmp_kind = c;
    t->cmp_is64 = is64;
    t->cmp_float = 0;
    t->cmp_imm = imm;
    t->cmp_a = sa;
    t->cmp_b = sb;
    t->cmp_dst = dst;
    t->cmp_prev_valid = t->prev_valid;
    t->cmp_prev_at = t->prev_at;
}

static void emit_eqz(tr *t, bool is64)
{
    tr_entry *top = t->sp ? &t->stack[t->sp - 1] : NULL;
    if (top && !t->oom && top->kind == ENT_HOME && t->cmp_valid && t->cmp_end == t->n && t->cmp_kind != CMP_EQZ
        && !t->cmp_float && top->home == t->cmp_dst) {
        /* eqz of a fresh compare: invert the compare in place. */
        t->cmp_kind = cmp_inverse(t->cmp_kind);
        t->code[t->cmp_at].h = t->handlers[(t->cmp_is64 ? EXEC_OP_i64_eq : EXEC_OP_i32_eq)
                                           + 2 * t->cmp_kind + (t->cmp_imm ? 1 : 0)];
        return;
    }
    tr_entry a = pop(t);
    uint32_t s = operand(t, &a);
    size_t at = t->n;
    emit_h(t, is64 ? EXEC_OP_i64_eqz : EXEC_OP_i32_eqz);
    emit_w(t, a.home, s);
    push_home(t, WASM_I32);
    mark_producer(t, at);
    t->cmp_valid = true;
    t->cmp_at = at;
    t->cmp_end = t->n;
    t->cmp_kind = CMP_EQZ;
    t->cmp_is64 = is64;
    t->cmp_float = 0;
    t->cmp_a = s;
    t->cmp_dst = a.home;
    t->cmp_prev_valid = false;
}

/*
 * Float compares: c is 0..5 as EXEC_FCMPS (eq ne lt gt le ge). A constant
 * operand becomes an immediate (swapping the operands if it is on the left),
 * and the compare is recorded so a branch right after it can fuse with it.
 */
static void emit_fcompare(tr *t, int c, bool is64)
{
    static const int swapped[] = { 0, 1, 3, 2, 5, 4 };
    tr_entry b = pop(t);
    tr_entry a = pop(t);
    uint32_t dst = a.home;
    bool imm = false;
    if (b.kind == ENT_CONST) {
        imm = true;
    } else if (a.kind == ENT_CONST) {
        tr_entry tmp = a;
        a = b;
        b = tmp;
        c = swapped[c];
        imm = true;
    }
    uint32_t sa = operand(t, &a);
    uint32_t sb = imm ? 0 : operand(t, &b);
    size_t at = t->n;
    int base = imm ? (is64 ? EXEC_OP_f64_eq_k : EXEC_OP_f32_eq_k) : (is64 ? EXEC_OP_f64_eq : EXEC_OP_f32_eq);
    emit_h(t, base + c);
    emit_w(t, dst, sa);
    if (imm)
        emit_u64(t, b.k[0]);
    else
        emit_w(t, sb, 0);
    push_home(t, WASM_I32);
    mark_producer(t, at);
    t->cmp_valid = true;
    t->cmp_at = at;
    t->cmp_end = t->n;
    t->cmp_kind = c;
    t->cmp_is64 = false;
    t->cmp_float = is64 ? 2 : 1;
    t->cmp_imm = imm;
    t->cmp_a = sa;
    t->cmp_b = sb;
    t->cmp_k = imm ? b.k[0] : 0;
    t->cmp_dst = dst;
    t->cmp_prev_valid = false;
}

/* The fused `_add` form of a load or store op, or -1. Its `_addk` form follows it. */
static int fused_mem_op(int op)
{
    switch (op) {
    case EXEC_OP_i32_load: return EXEC_OP_i32_load_add;
    case EXEC_OP_i64_load: return EXEC_OP_i64_load_add;
    case EXEC_OP_i32_load8_u: return EXEC_OP_i32_load8_u_add;
    case EXEC_OP_i32_load8_s: return EXEC_OP_i32_load8_s_add;
    case EXEC_OP_i32_load16_u: return EXEC_OP_i32_load16_u_add;
    case EXEC_OP_i32_load16_s: return EXEC_OP_i32_load16_s_add;
    case EXEC_OP_store8: return EXEC_OP_store8_add;
    case EXEC_OP_store16: return EXEC_OP_store16_add;
    case EXEC_OP_store32: return EXEC_OP_store32_add;
    case EXEC_OP_store64: return EXEC_OP_store64_add;
    case EXEC_OP_store8_k: return EXEC_OP_store8_k_add;
    case EXEC_OP_store16_k: return EXEC_OP_store16_k_add;
    case EXEC_OP_store32_k: return EXEC_OP_store32_k_add;
    case EXEC_OP_store64_k: return EXEC_OP_store64_k_add;
    default: return -1;
    }
}

static int indexed_mem_op(int op)
{
    switch (op) {
    case EXEC_OP_i32_load: return EXEC_OP_i32_load_idx;
    case EXEC_OP_i64_load: return EXEC_OP_i64_load_idx;
    case EXEC_OP_i32_load16_u: return EXEC_OP_i32_load16_u_idx;
    case EXEC_OP_i32_load16_s: return EXEC_OP_i32_load16_s_idx;
    case EXEC_OP_store16: return EXEC_OP_store16_idx;
    case EXEC_OP_store32: return EXEC_OP_store32_idx;
    case EXEC_OP_store64: return EXEC_OP_store64_idx;
    default: return -1;
    }
}

/*
 * Array indexing, `base + (i << k)` computed by i32.shl (immediate) then
 * i32.add right before the access: one indexed op replaces all three. The
 * shifted value must be a temporary (so nothing else reads it later).
 */
static bool try_indexed_mem(tr *t, int op, uint32_t x, uint32_t offset)
{
    int idx = indexed_mem_op(op);
    if (idx < 0 || !t->prev_valid || t->code[t->prev_at].h != t->handlers[EXEC_OP_i32_shl_imm])
        return false;
    uint32_t shifted = t->code[t->prev_at + 1].w[0];
    uint32_t i = t->code[t->prev_at + 1].w[1];
    uint32_t shift = t->code[t->prev_at + 2].w[0] & 31;
    uint32_t a = t->code[t->prod_at + 1].w[1];
    uint32_t b = t->code[t->prod_at + 2].w[0];
    if (shifted < t->temp_base || (a == shifted) == (b == shifted) || i == shifted || x == shifted)
        return false;
    uint32_t base = a == shifted ? b : a;
    rewind_code(t, t->prev_at);
    t->prod_valid = false;
    emit_h(t, idx);
    emit_w(t, x, base);
    emit_w(t, offset, i);
    emit_w(t, shift, 0);
    return true;
}

/*
 * i32.load from (base + k) + offset where base = src << shift was computed
 * right before (a table index scaled into a local, as a bytecode
 * interpreter's fetch does): one op computes base, keeps it in its slot,
 * and loads.
 */
static bool try_scaled_load(tr *t, uint32_t x, uint32_t base, uint32_t k, uint32_t offset)
{
    if (t->oom || !t->prod_valid || t->prod_end != t->n || t->prod_end != t->prod_at + 3
        || t->code[t->prod_at].h != t->handlers[EXEC_OP_i32_shl_imm] || t->code[t->prod_at + 1].w[0] != base)
        return false;
    uint32_t src = t->code[t->prod_at + 1].w[1], shift = t->code[t->prod_at + 2].w[0] & 31;
    assert(t->prod_at + 3 == t->n);
    take_back_producer(t);
    emit_h(t, EXEC_OP_i32_load_shl_addk);
    emit_w(t, x, base);
    emit_w(t, offset, k);
    emit_w(t, shift, src);
    return true;
}

/*
 * Emits a memory op whose address is entry `a` (first word: [x | addr]).
 * When the address was just computed by i32.add (a common base + index or
 * base + constant shape), the add is folded in: the fused op adds with 32-bit
 * wrap-around before applying the offset, exactly like the two ops did.
 */
static size_t emit_mem(tr *t, int op, uint32_t x, const tr_entry *a, uint32_t sa, uint32_t offset)
{
    int fused = fused_mem_op(op);
    if (fused >= 0 && !t->oom && a->kind == ENT_HOME && t->prod_valid && t->prod_end == t->n
        && t->code[t->prod_at + 1].w[0] == a->home) {
        const void *h = t->code[t->prod_at].h;
        int idx = indexed_mem_op(op);
        if (idx >= 0 && h == t->handlers[EXEC_OP_i32_add_shl]) {
            /* base + (i << k), already fused by try_shifted_operand */
            uint32_t base = t->code[t->prod_at + 1].w[1];
            uint32_t i = t->code[t->prod_at + 2].w[0], shift = t->code[t->prod_at + 2].w[1];
            size_t start = t->prod_at;
            rewind_code(t, t->prod_at);
            t->prod_valid = false;
            emit_h(t, idx);
            emit_w(t, x, base);
            emit_w(t, offset, i);
            emit_w(t, shift, 0);
            return start;
        }
        bool reg = h == t->handlers[EXEC_OP_i32_add];
        size_t start = t->prev_at;
        if (reg && try_indexed_mem(t, op, x, offset))
            return start;
        /* (i32.sub of a constant is translated as an add of its negation) */
        if (reg || h == t->handlers[EXEC_OP_i32_add_imm]) {
            uint32_t base = t->code[t->prod_at + 1].w[1];
            uint32_t b = t->code[t->prod_at + 2].w[0];
            size_t start2 = t->prod_at;
            take_back_producer(t);   /* two loads in a row stay visible as such */
            if (!reg && op == EXEC_OP_i32_load && try_scaled_load(t, x, base, b, offset))
                return start2 - 3;
            emit_h(t, reg ? fused : fused + 1);
            emit_w(t, x, base);
            emit_w(t, offset, b);
            return start2;
        }
    }
    size_t start3 = t->n;
    emit_h(t, op);
    emit_w(t, x, sa);
    emit_w(t, offset, 0);
    return start3;
}

static void emit_load(tr *t, int op, wasm_valtype rt, uint32_t offset)
{
    tr_entry a = pop(t);
    uint32_t s = operand(t, &a);
    size_t at = emit_mem(t, op, a.home, &a, s, offset);
    push_home(t, rt);
    mark_producer(t, at);
    if (!t->oom && t->sp > 0
        && (t->code[at].h == t->handlers[EXEC_OP_i64_load] || t->code[at].h == t->handlers[EXEC_OP_i64_load_addk])) {
        t->stack[t->sp - 1].loaded = true;
        t->stack[t->sp - 1].load_at = at;
    }
}

/* The store op taking its value as a constant, or -1. */
static int store_k_op(int op)
{
    switch (op) {
    case EXEC_OP_store8: return EXEC_OP_store8_k;
    case EXEC_OP_store16: return EXEC_OP_store16_k;
    case EXEC_OP_store32: return EXEC_OP_store32_k;
    case EXEC_OP_store64: return EXEC_OP_store64_k;
    default: return -1;
    }
}

/*
 * True when the op right before `start` is `addr = base + k` (an i32_add_imm
 * into the update's address slot, as `p - 24; local.tee` leaves it), which
 * the update may compute itself (its _addk form): `mid`, if not NULL, is an
 * op that will move ahead of both, so it must not read the address nor
 * write either slot.
 */
_Static_assert(EXEC_OP_f64_muladd_mem_addk == EXEC_OP_f64_muladd_mem + 2
                   && EXEC_OP_f64_mulsub_mem_addk == EXEC_OP_f64_mulsub_mem + 2,
               "each f64 update's _addk form is two ops after it");
static bool address_add_before(const tr *t, size_t start, uint32_t addr, const exec_op *mid, uint32_t *base,
                               uint32_t *k)
{
    size_t at = add_ending_at(t, start, EXEC_OP_i32_add_imm);
    if (at == SIZE_MAX)
        return false;
    const exec_op *add = &t->code[at];
    if (add[1].w[0] != addr)
        return false;
    *base = add[1].w[1];
    *k = add[2].w[0];
    return !mid || (mid[1].w[0] != *base && mid[1].w[1] != addr && mid[2].w[0] != addr);
}

/*
 * f64.store of `m + a*b` or `m - a*b` (a fused f64_muladd/mulsub) to the
 * address m was loaded from (x[i] += a*b): one op reads, updates and writes
 * memory. Between the load and the update there may be one f64.mul of
 * other values (`x[i] += a*(b*c)`), which then goes first: it cannot trap
 * and does not read the loaded value. The loaded value and the sum are
 * temporaries consumed here, and the address slot is not written by any
 * of the instructions involved.
 */
static bool try_update_in_place(tr *t, int op, const tr_entry *v, const tr_entry *a, uint32_t offset)
{
    if (op != EXEC_OP_store64 || t->oom || v->kind != ENT_HOME || a->kind == ENT_CONST || !t->prod_valid
        || !t->prev_valid || t->prod_end != t->n || t->prod_end != t->prod_at + 3
        || t->prod_at != t->prev_at + 3)
        return false;
    const exec_op *upd = &t->code[t->prod_at];
    int fused = upd->h == t->handlers[EXEC_OP_f64_muladd] ? EXEC_OP_f64_muladd_mem
                : upd->h == t->handlers[EXEC_OP_f64_mulsub] ? EXEC_OP_f64_mulsub_mem : -1;
    if (fused < 0)
        return false;
    const exec_op *mid = NULL, *ld = &t->code[t->prev_at];
    size_t start = t->prev_at;
    if (ld->h == t->handlers[EXEC_OP_f64_mul] && t->prev2_valid && t->prev2_at + 3 == t->prev_at) {
        mid = ld;
        ld = &t->code[t->prev2_at];
        start = t->prev2_at;
    }
    uint32_t addr = a->kind == ENT_LOCAL ? a->slot : a->home;
    uint32_t x = ld[1].w[0], ma = upd[1].w[1], mb = upd[2].w[0];
    if (ld->h != t->handlers[EXEC_OP_i64_load] || ld[1].w[1] != addr || ld[2].w[0] != offset
        || x < t->temp_base || x == addr || upd[1].w[0] != v->home || upd[2].w[1] != x || ma == x || mb == x)
        return false;
    exec_op m[3];
    if (mid) {
        memcpy(m, mid, sizeof m);
        uint32_t md = m[1].w[0];
        if (md == x || md == addr || m[1].w[1] == x || m[2].w[0] == x)
            return false;
    }
    uint32_t base, k;
    bool addk = address_add_before(t, start, addr, mid ? m : NULL, &base, &k);
    rewind_code(t, addk ? start - 3 : start);
    t->prod_valid = false;
    if (mid) {
        emit_word(t, m[0]);
        emit_word(t, m[1]);
        emit_word(t, m[2]);
    }
    emit_h(t, addk ? fused + 2 : fused);
    if (addk)
        emit_w(t, k, base);
    emit_w(t, ma, mb);
    emit_w(t, offset, addr);
    return true;
}

/*
 * f64.store of `x + a*y` or `x - a*y` back to where x was loaded, with y
 * loaded by the multiply itself (f64_mul_ld/_ldk): an axpy, `x[i] += a *
 * y[i]`, in one op. The three ops are adjacent producers; the loaded x and
 * the product are temporaries consumed here, and neither the multiply's
 * factor nor its address is the loaded x.
 */
static bool try_update_axpy(tr *t, int op, const tr_entry *v, const tr_entry *a, uint32_t offset)
{
    if (op != EXEC_OP_store64 || t->oom || v->kind != ENT_HOME || a->kind == ENT_CONST || !t->prod_valid
        || !t->prev_valid || !t->prev2_valid || t->prod_end != t->n || t->prod_end != t->prod_at + 3)
        return false;
    const exec_op *sum = &t->code[t->prod_at], *mul = &t->code[t->prev_at], *ld = &t->code[t->prev2_at];
    bool add = sum->h == t->handlers[EXEC_OP_f64_add];
    bool ldk = mul->h == t->handlers[EXEC_OP_f64_mul_ldk];
    if ((!add && sum->h != t->handlers[EXEC_OP_f64_sub]) || (!ldk && mul->h != t->handlers[EXEC_OP_f64_mul_ld])
        || ld->h != t->handlers[EXEC_OP_i64_load])
        return false;
    uint32_t addr = entry_slot(a), x = ld[1].w[0], p = mul[1].w[0], factor = mul[1].w[1], y = mul[2].w[0];
    uint32_t l = sum[1].w[1], r = sum[2].w[0];
    bool shape = (l == x && r == p) || (add && l == p && r == x);
    if (!shape || sum[1].w[0] != v->home || ld[1].w[1] != addr || ld[2].w[0] != offset || x < t->temp_base
        || p < t->temp_base || x == p || x == addr || p == addr || factor == x || y == x)
        return false;
    uint32_t offy = mul[2].w[1], ky = ldk ? mul[3].w[0] : 0;
    rewind_code(t, t->prev2_at);
    t->prod_valid = false;
    emit_h(t, add ? EXEC_OP_f64_muladd_ld_mem : EXEC_OP_f64_mulsub_ld_mem);
    emit_w(t, factor, y);
    emit_w(t, offy, ky);
    emit_w(t, offset, addr);
    return true;
}

/* Shifts a tracked code position for remove_words. */
static void shift_pos(size_t *pos, size_t at, size_t len)
{
    if (*pos > at)
        *pos -= len;
}

/*
 * Takes out the `len` words of the op at `at`, moving the code after it
 * down. No jump, branch target or call word may lie after `at` (the caller
 * checked effect_at). The peephole trackers that point past it move along;
 * the label-sensitive ones are dropped.
 */
static void remove_words(tr *t, size_t at, size_t len)
{
    assert(at + len <= t->n && at >= t->effect_at);
    assert(t->nrelocs == 0 || t->relocs[t->nrelocs - 1] < at);
    assert(t->njumps == 0 || t->jumps[t->njumps - 1] < at);
    assert(t->ncalls == 0 || t->calls[t->ncalls - 1] < at);
    memmove(&t->code[at], &t->code[at + len], (t->n - at - len) * sizeof(exec_op));
    t->n -= len;
    size_t *tracked[] = { &t->prod_at, &t->prod_end, &t->prev_at, &t->prev2_at, &t->pair_first,
                          &t->pair_second, &t->upd_at };
    for (size_t i = 0; i < sizeof tracked / sizeof tracked[0]; i++)
        shift_pos(tracked[i], at, len);
    for (int i = 0; i < TR_ADDS; i++)
        shift_pos(&t->add_at[i], at, len);
    shift_pos(&t->upd_load_at, at, len);
    for (uint32_t i = 0; i < t->sp; i++)
        if (t->stack[i].loaded)
            shift_pos(&t->stack[i].load_at, at, len);
    t->cmp_valid = false;
    t->move_count = 0;
    t->const_count = 0;
}

/*
 * f64.store of `m + a*b` or `m - a*b` to the address m was loaded from,
 * where that load came earlier with only pure ops after it (nbody loads
 * `v` first, then computes the long product for `v -= d * f`): the load is
 * taken out and the update becomes one f64_muladd_mem/mulsub_mem. Nothing
 * after the load writes memory or state, branches, or traps other than as
 * a load does (effect_at), so memory read at the store holds the same
 * bytes, and a trap is the same trap. The address slot is not written in
 * between: a local would have been copied out of the entry by local.set,
 * and a temporary lies below the loaded one. The loaded value was a
 * temporary that only the update read.
 */
static bool try_update_far(tr *t, int op, const tr_entry *v, const tr_entry *a, uint32_t offset)
{
    if (op != EXEC_OP_store64 || t->oom || v->kind != ENT_HOME || a->kind == ENT_CONST || !t->upd_valid
        || !t->prod_valid || t->prod_at != t->upd_at || t->prod_end != t->n || t->prod_end != t->prod_at + 3)
        return false;
    const exec_op *upd = &t->code[t->upd_at];
    int fused = upd->h == t->handlers[EXEC_OP_f64_muladd] ? EXEC_OP_f64_muladd_mem
                : upd->h == t->handlers[EXEC_OP_f64_mulsub] ? EXEC_OP_f64_mulsub_mem : -1;
    size_t at = t->upd_load_at;
    if (fused < 0 || at < t->effect_at || at + 3 > t->upd_at)
        return false;
    const exec_op *ld = &t->code[at];
    uint32_t addr = entry_slot(a), x = upd[2].w[1], ma = upd[1].w[1], mb = upd[2].w[0];
    if (upd[1].w[0] != v->home || ld->h != t->handlers[EXEC_OP_i64_load] || ld[1].w[0] != x
        || ld[1].w[1] != addr || ld[2].w[0] != offset || x < t->temp_base || x == addr || ma == x || mb == x)
        return false;
    remove_words(t, at, 3);
    rewind_code(t, t->upd_at);
    t->prod_valid = false;
    t->upd_valid = false;
    emit_h(t, fused);
    emit_w(t, ma, mb);
    emit_w(t, offset, addr);
    return true;
}

static void emit_store(tr *t, int op, uint32_t offset)
{
    tr_entry v = pop(t);
    tr_entry a = pop(t);
    /* A constant value is an immediate (store64: if it is a sign-extended
     * 32-bit value), so nothing is emitted between the address and the store. */
    int kop = store_k_op(op);
    if (v.kind == ENT_CONST && kop >= 0
        && (op != EXEC_OP_store64 || (int64_t)(int32_t)v.k[0] == (int64_t)v.k[0])) {
        uint32_t sa = operand(t, &a);
        emit_mem(t, kop, (uint32_t)v.k[0], &a, sa, offset);
        return;
    }
    if (try_update_in_place(t, op, &v, &a, offset) || try_update_far(t, op, &v, &a, offset)
        || try_update_axpy(t, op, &v, &a, offset))
        return;
    uint32_t sv = operand(t, &v);
    uint32_t sa = operand(t, &a);
    emit_mem(t, op, sv, &a, sa, offset);
}

/* Pops `n` operands (deepest first into s[]) as slots. */
static void pop_operands(tr *t, uint32_t n, uint32_t *s, uint32_t *lowest_home)
{
    tr_entry e[3];
    for (uint32_t i = n; i-- > 0;)
        e[i] = pop(t);
    for (uint32_t i = 0; i < n; i++)
        s[i] = operand(t, &e[i]);
    if (lowest_home)
        *lowest_home = e[0].home;
}

static void tr_select(tr *t)
{
    tr_entry c = pop(t), y = pop(t), x = pop(t);
    if (x.type != WASM_V128 && c.kind == ENT_HOME && !t->oom && t->cmp_valid && t->cmp_end == t->n
        && c.home == t->cmp_dst && !t->cmp_is64 && !t->cmp_float && t->cmp_kind != CMP_EQZ) {
        /* The condition is a compare emitted just now: fold it in. Constant
         * operands go to the homes of x and y, which lie below every slot
         * the compare reads, so they may be materialised after the rewind. */
        rewind_code(t, t->cmp_at);
        t->cmp_valid = false;
        uint32_t sx = operand(t, &x), sy = operand(t, &y);
        size_t at = t->n;
        emit_h(t, EXEC_OP_select_i32_eq + 2 * t->cmp_kind + (t->cmp_imm ? 1 : 0));
        emit_w(t, x.home, sx);
        emit_w(t, sy, t->cmp_a);
        emit_w(t, t->cmp_b, 0);
        push_home(t, x.type);
        mark_producer(t, at);
        return;
    }
    uint32_t sx = operand(t, &x), sy = operand(t, &y);
    uint32_t sc = operand(t, &c);
    emit_produced(t, x.type == WASM_V128 ? EXEC_OP_select2 : EXEC_OP_select, x.home, sx, sy, sc, x.type);
}

/* ------------------------------------------------------------ numeric opcode tables */

struct num_info {
    uint16_t op;
    int16_t imm_op;          /* -1: none */
    uint8_t arity;           /* 1 or 2; 0: not a simple numeric op */
    bool commutative;
    wasm_valtype result;
};

static struct num_info num_info(uint8_t w)
{
    struct num_info ni = { 0, -1, 0, false, 0 };
#define U(wop, eop, rt) case wop: ni.op = EXEC_OP_##eop; ni.arity = 1; ni.result = rt; break;
#define B(wop, eop, rt) case wop: ni.op = EXEC_OP_##eop; ni.arity = 2; ni.result = rt; break;
#define BI(wop, eop, rt, comm) case wop: ni.op = EXEC_OP_##eop; ni.imm_op = EXEC_OP_##eop##_imm; \
    ni.arity = 2; ni.result = rt; ni.commutative = comm; break;
    switch (w) {
    U(WASM_OP_I32_CLZ, i32_clz, WASM_I32) U(WASM_OP_I32_CTZ, i32_ctz, WASM_I32)
    U(WASM_OP_I32_POPCNT, i32_popcnt, WASM_I32)
    BI(WASM_OP_I32_ADD, i32_add, WASM_I32, true) BI(WASM_OP_I32_SUB, i32_sub, WASM_I32, false)
    BI(WASM_OP_I32_MUL, i32_mul, WASM_I32, true)
    B(WASM_OP_I32_DIV_S, i32_div_s, WASM_I32) B(WASM_OP_I32_DIV_U, i32_div_u, WASM_I32)
    B(WASM_OP_I32_REM_S, i32_rem_s, WASM_I32) B(WASM_OP_I32_REM_U, i32_rem_u, WASM_I32)
    BI(WASM_OP_I32_AND, i32_and, WASM_I32, true) BI(WASM_OP_I32_OR, i32_or, WASM_I32, true)
    BI(WASM_OP_I32_XOR, i32_xor, WASM_I32, true) BI(WASM_OP_I32_SHL, i32_shl, WASM_I32, false)
    BI(WASM_OP_I32_SHR_S, i32_shr_s, WASM_I32, false) BI(WASM_OP_I32_SHR_U, i32_shr_u, WASM_I32, false)
    BI(WASM_OP_I32_ROTL, i32_rotl, WASM_I32, false) BI(WASM_OP_I32_ROTR, i32_rotr, WASM_I32, false)
    U(WASM_OP_I64_CLZ, i64_clz, WASM_I64) U(WASM_OP_I64_CTZ, i64_ctz, WASM_I64)
    U(WASM_OP_I64_POPCNT, i64_popcnt, WASM_I64)
    BI(WASM_OP_I64_ADD, i64_add, WASM_I64, true) BI(WASM_OP_I64_SUB, i64_sub, WASM_I64, false)
    BI(WASM_OP_I64_MUL, i64_mul, WASM_I64, true)
    B(WASM_OP_I64_DIV_S, i64_div_s, WASM_I64) B(WASM_OP_I64_DIV_U, i64_div_u, WASM_I64)
    B(WASM_OP_I64_REM_S, i64_rem_s, WASM_I64) B(WASM_OP_I64_REM_U, i64_rem_u, WASM_I64)
    BI(WASM_OP_I64_AND, i64_and, WASM_I64, true) BI(WASM_OP_I64_OR, i64_or, WASM_I64, true)
    BI(WASM_OP_I64_XOR, i64_xor, WASM_I64, true) BI(WASM_OP_I64_SHL, i64_shl, WASM_I64, false)
    BI(WASM_OP_I64_SHR_S, i64_shr_s, WASM_I64, false) BI(WASM_OP_I64_SHR_U, i64_shr_u, WASM_I64, false)
    BI(WASM_OP_I64_ROTL, i64_rotl, WASM_I64, false) BI(WASM_OP_I64_ROTR, i64_rotr, WASM_I64, false)
    B(WASM_OP_F32_EQ, f32_eq, WASM_I32) B(WASM_OP_F32_NE, f32_ne, WASM_I32)
    B(WASM_OP_F32_LT, f32_lt, WASM_I32) B(WASM_OP_F32_GT, f32_gt, WASM_I32)
    B(WASM_OP_F32_LE, f32_le, WASM_I32) B(WASM_OP_F32_GE, f32_ge, WASM_I32)
    B(WASM_OP_F64_EQ, f64_eq, WASM_I32) B(WASM_OP_F64_NE, f64_ne, WASM_I32)
    B(WASM_OP_F64_LT, f64_lt, WASM_I32) B(WASM_OP_F64_GT, f64_gt, WASM_I32)
    B(WASM_OP_F64_LE, f64_le, WASM_I32) B(WASM_OP_F64_GE, f64_ge, WASM_I32)
    U(WASM_OP_F32_ABS, f32_abs, WASM_F32) U(WASM_OP_F32_NEG, f32_neg, WASM_F32)
    U(WASM_OP_F32_CEIL, f32_ceil, WASM_F32) U(WASM_OP_F32_FLOOR, f32_floor, WASM_F32)
    U(WASM_OP_F32_TRUNC, f32_trunc, WASM_F32) U(WASM_OP_F32_NEAREST, f32_nearest, WASM_F32)
    U(WASM_OP_F32_SQRT, f32_sqrt, WASM_F32)
    B(WASM_OP_F32_ADD, f32_add, WASM_F32) B(WASM_OP_F32_SUB, f32_sub, WASM_F32)
    B(WASM_OP_F32_MUL, f32_mul, WASM_F32) B(WASM_OP_F32_DIV, f32_div, WASM_F32)
    B(WASM_OP_F32_MIN, f32_min, WASM_F32) B(WASM_OP_F32_MAX, f32_max, WASM_F32)
    B(WASM_OP_F32_COPYSIGN, f32_copysign, WASM_F32)
    U(WASM_OP_F64_ABS, f64_abs, WASM_F64) U(WASM_OP_F64_NEG, f64_neg, WASM_F64)
    U(WASM_OP_F64_CEIL, f64_ceil, WASM_F64) U(WASM_OP_F64_FLOOR, f64_floor, WASM_F64)
    U(WASM_OP_F64_TRUNC, f64_trunc, WASM_F64) U(WASM_OP_F64_NEAREST, f64_nearest, WASM_F64)
    U(WASM_OP_F64_SQRT, f64_sqrt, WASM_F64)
    B(WASM_OP_F64_ADD, f64_add, WASM_F64) B(WASM_OP_F64_SUB, f64_sub, WASM_F64)
    B(WASM_OP_F64_MUL, f64_mul, WASM_F64) B(WASM_OP_F64_DIV, f64_div, WASM_F64)
    B(WASM_OP_F64_MIN, f64_min, WASM_F64) B(WASM_OP_F64_MAX, f64_max, WASM_F64)
    B(WASM_OP_F64_COPYSIGN, f64_copysign, WASM_F64)
    U(WASM_OP_I32_WRAP_I64, i32_wrap_i64, WASM_I32)
    U(WASM_OP_I32_TRUNC_F32_S, i32_trunc_f32_s, WASM_I32) U(WASM_OP_I32_TRUNC_F32_U, i32_trunc_f32_u, WASM_I32)
    U(WASM_OP_I32_TRUNC_F64_S, i32_trunc_f64_s, WASM_I32) U(WASM_OP_I32_TRUNC_F64_U, i32_trunc_f64_u, WASM_I32)
    U(WASM_OP_I64_EXTEND_I32_S, i64_extend_i32_s, WASM_I64) U(WASM_OP_I64_EXTEND_I32_U, i64_extend_i32_u, WASM_I64)
    U(WASM_OP_I64_TRUNC_F32_S, i64_trunc_f32_s, WASM_I64) U(WASM_OP_I64_TRUNC_F32_U, i64_trunc_f32_u, WASM_I64)
    U(WASM_OP_I64_TRUNC_F64_S, i64_trunc_f64_s, WASM_I64) U(WASM_OP_I64_TRUNC_F64_U, i64_trunc_f64_u, WASM_I64)
    U(WASM_OP_F32_CONVERT_I32_S, f32_convert_i32_s, WASM_F32) U(WASM_OP_F32_CONVERT_I32_U, f32_convert_i32_u, WASM_F32)
    U(WASM_OP_F32_CONVERT_I64_S, f32_convert_i64_s, WASM_F32) U(WASM_OP_F32_CONVERT_I64_U, f32_convert_i64_u, WASM_F32)
    U(WASM_OP_F32_DEMOTE_F64, f32_demote_f64, WASM_F32)
    U(WASM_OP_F64_CONVERT_I32_S, f64_convert_i32_s, WASM_F64) U(WASM_OP_F64_CONVERT_I32_U, f64_convert_i32_u, WASM_F64)
    U(WASM_OP_F64_CONVERT_I64_S, f64_convert_i64_s, WASM_F64) U(WASM_OP_F64_CONVERT_I64_U, f64_convert_i64_u, WASM_F64)
    U(WASM_OP_F64_PROMOTE_F32, f64_promote_f32, WASM_F64)
    U(WASM_OP_I32_EXTEND8_S, i32_extend8_s, WASM_I32) U(WASM_OP_I32_EXTEND16_S, i32_extend16_s, WASM_I32)
    U(WASM_OP_I64_EXTEND8_S, i64_extend8_s, WASM_I64) U(WASM_OP_I64_EXTEND16_S, i64_extend16_s, WASM_I64)
    U(WASM_OP_I64_EXTEND32_S, i64_extend32_s, WASM_I64)
    default: break;
    }
#undef U
#undef B
#undef BI
    return ni;
}

static int load_op(uint8_t w, wasm_valtype *rt)
{
    switch (w) {
    case WASM_OP_I32_LOAD: *rt = WASM_I32; return EXEC_OP_i32_load;
    case WASM_OP_F32_LOAD: *rt = WASM_F32; return EXEC_OP_i32_load;
    case WASM_OP_I64_LOAD: *rt = WASM_I64; return EXEC_OP_i64_load;
    case WASM_OP_F64_LOAD: *rt = WASM_F64; return EXEC_OP_i64_load;
    case WASM_OP_I32_LOAD8_S: *rt = WASM_I32; return EXEC_OP_i32_load8_s;
    case WASM_OP_I32_LOAD8_U: *rt = WASM_I32; return EXEC_OP_i32_load8_u;
    case WASM_OP_I32_LOAD16_S: *rt = WASM_I32; return EXEC_OP_i32_load16_s;
    case WASM_OP_I32_LOAD16_U: *rt = WASM_I32; return EXEC_OP_i32_load16_u;
    case WASM_OP_I64_LOAD8_S: *rt = WASM_I64; return EXEC_OP_i64_load8_s;
    case WASM_OP_I64_LOAD8_U: *rt = WASM_I64; return EXEC_OP_i64_load8_u;
    case WASM_OP_I64_LOAD16_S: *rt = WASM_I64; return EXEC_OP_i64_load16_s;
    case WASM_OP_I64_LOAD16_U: *rt = WASM_I64; return EXEC_OP_i64_load16_u;
    case WASM_OP_I64_LOAD32_S: *rt = WASM_I64; return EXEC_OP_i64_load32_s;
    case WASM_OP_I64_LOAD32_U: *rt = WASM_I64; return EXEC_OP_i64_load32_u;
    default: return -1;
    }
}

static int store_op(uint8_t w)
{
    switch (w) {
    case WASM_OP_I32_STORE: case WASM_OP_F32_STORE: case WASM_OP_I64_STORE32: return EXEC_OP_store32;
    case WASM_OP_I64_STORE: case WASM_OP_F64_STORE: return EXEC_OP_store64;
    case WASM_OP_I32_STORE8: case WASM_OP_I64_STORE8: return EXEC_OP_store8;
    case WASM_OP_I32_STORE16: case WASM_OP_I64_STORE16: return EXEC_OP_store16;
    default: return -1;
    }
}

/* ------------------------------------------------------------ the 0xFC prefix */

static void tr_prefix_fc(tr *t, uint32_t sub, bool dead)
{
    uint32_t a = 0, b = 0, s[3], home;
    switch (sub) {
    case WASM_FC_MEMORY_INIT: a = wasm_read_u32(&t->r); wasm_read_u8(&t->r); break;
    case WASM_FC_DATA_DROP: case WASM_FC_ELEM_DROP: case WASM_FC_TABLE_GROW:
    case WASM_FC_TABLE_SIZE: case WASM_FC_TABLE_FILL:
        a = wasm_read_u32(&t->r); break;
    case WASM_FC_MEMORY_COPY: wasm_read_u8(&t->r); wasm_read_u8(&t->r); break;
    case WASM_FC_MEMORY_FILL: wasm_read_u8(&t->r); break;
    case WASM_FC_TABLE_INIT: case WASM_FC_TABLE_COPY:
        a = wasm_read_u32(&t->r); b = wasm_read_u32(&t->r); break;
    default: break;
    }
    if (dead)
        return;
    size_t at = t->n;
    switch (sub) {
    case WASM_FC_I32_TRUNC_SAT_F32_S: emit_unary(t, EXEC_OP_i32_trunc_sat_f32_s, WASM_I32); break;
    case WASM_FC_I32_TRUNC_SAT_F32_U: emit_unary(t, EXEC_OP_i32_trunc_sat_f32_u, WASM_I32); break;
    case WASM_FC_I32_TRUNC_SAT_F64_S: emit_unary(t, EXEC_OP_i32_trunc_sat_f64_s, WASM_I32); break;
    case WASM_FC_I32_TRUNC_SAT_F64_U: emit_unary(t, EXEC_OP_i32_trunc_sat_f64_u, WASM_I32); break;
    case WASM_FC_I64_TRUNC_SAT_F32_S: emit_unary(t, EXEC_OP_i64_trunc_sat_f32_s, WASM_I64); break;
    case WASM_FC_I64_TRUNC_SAT_F32_U: emit_unary(t, EXEC_OP_i64_trunc_sat_f32_u, WASM_I64); break;
    case WASM_FC_I64_TRUNC_SAT_F64_S: emit_unary(t, EXEC_OP_i64_trunc_sat_f64_s, WASM_I64); break;
    case WASM_FC_I64_TRUNC_SAT_F64_U: emit_unary(t, EXEC_OP_i64_trunc_sat_f64_u, WASM_I64); break;
    case WASM_FC_MEMORY_INIT:
        pop_operands(t, 3, s, NULL);
        emit_h(t, EXEC_OP_memory_init); emit_w(t, s[0], s[1]); emit_w(t, s[2], a);
        break;
    case WASM_FC_DATA_DROP: emit_h(t, EXEC_OP_data_drop); emit_w(t, a, 0); break;
    case WASM_FC_MEMORY_COPY:
        pop_operands(t, 3, s, NULL);
        emit_h(t, EXEC_OP_memory_copy); emit_w(t, s[0], s[1]); emit_w(t, s[2], 0);
        break;
    case WASM_FC_MEMORY_FILL:
        pop_operands(t, 3, s, NULL);
        emit_h(t, EXEC_OP_memory_fill); emit_w(t, s[0], s[1]); emit_w(t, s[2], 0);
        break;
    case WASM_FC_TABLE_INIT:        /* a = elem segment, b = table */
        pop_operands(t, 3, s, NULL);
        emit_h(t, EXEC_OP_table_init); emit_w(t, s[0], s[1]); emit_w(t, s[2], a); emit_w(t, b, 0);
        break;
    case WASM_FC_ELEM_DROP: emit_h(t, EXEC_OP_elem_drop); emit_w(t, a, 0); break;
    case WASM_FC_TABLE_COPY:        /* a = destination table, b = source table */
        pop_operands(t, 3, s, NULL);
        emit_h(t, EXEC_OP_table_copy); emit_w(t, s[0], s[1]); emit_w(t, s[2], a); emit_w(t, b, 0);
        break;
    case WASM_FC_TABLE_GROW:
        pop_operands(t, 2, s, &home);
        at = t->n;      /* past any constant the operands needed materialised */
        emit_h(t, EXEC_OP_table_grow); emit_w(t, home, s[0]); emit_w(t, s[1], a);
        push_home(t, WASM_I32);
        mark_producer(t, at);
        break;
    case WASM_FC_TABLE_SIZE:
        home = top_home(t);
        emit_h(t, EXEC_OP_table_size); emit_w(t, home, a);
        push_home(t, WASM_I32);
        mark_producer(t, at);
        break;
    case WASM_FC_TABLE_FILL:
        pop_operands(t, 3, s, NULL);
        emit_h(t, EXEC_OP_table_fill); emit_w(t, s[0], s[1]); emit_w(t, s[2], a);
        break;
    default:
        t->unsupported = "unknown 0xFC instruction";
        break;
    }
}

/* ------------------------------------------------------------ the 0xFD prefix (SIMD) */

/* SIMD ops are translated generically from the wasm_simd_opinfo table; the
 * interpreter calls simd.c for the lane arithmetic. */
static void tr_prefix_simd(tr *t, bool dead)
{
    uint32_t sub = wasm_read_u32(&t->r);
    const wasm_simd_opinfo *oi = wasm_simd_op(sub);
    if (!oi) {
        t->unsupported = "unknown SIMD instruction";
        return;
    }
    uint32_t offset = 0, lane = 0;
    const uint8_t *imm16 = NULL;
    switch (oi->imm) {
    case WASM_SIMD_IMM_MEMARG:
        wasm_read_u32(&t->r);
        offset = wasm_read_u32(&t->r);
        break;
    case WASM_SIMD_IMM_MEMARG_LANE:
        wasm_read_u32(&t->r);
        offset = wasm_read_u32(&t->r);
        lane = wasm_read_u8(&t->r);
        break;
    case WASM_SIMD_IMM_LANE:
        lane = wasm_read_u8(&t->r);
        break;
    case WASM_SIMD_IMM_V128:
    case WASM_SIMD_IMM_SHUFFLE:
        imm16 = wasm_read_bytes(&t->r, 16);
        break;
    default:
        break;
    }
    if (dead || t->r.failed)
        return;
    uint64_t k[2] = { 0, 0 };
    if (imm16)
        memcpy(k, imm16, 16);
    if (oi->index == WASM_SIMD_V128_CONST) {
        push_const(t, WASM_V128, k[0], k[1]);
        return;
    }
    tr_entry e[3];
    uint32_t s[3] = { 0, 0, 0 };
    uint32_t n = oi->nparams;
    if (n > 3) {
        t->unsupported = "SIMD table entry with more than three operands";
        return;
    }
    /* Written out so the compiler sees the bound (params[0] is deepest). */
    if (n >= 3)
        e[2] = pop(t);
    if (n >= 2)
        e[1] = pop(t);
    if (n >= 1)
        e[0] = pop(t);
    for (uint32_t i = 0; i < n; i++)
        s[i] = operand(t, &e[i]);
    uint32_t dst = n ? e[0].home : top_home(t);
    size_t at = t->n;
    if (wasm_simd_is_memory_op(oi)) {
        uint32_t size = exec_simd_access_size(oi->index);
        if (oi->result == WASM_SIMD_NO_RESULT) {
            emit_h(t, EXEC_OP_simd_store);
            emit_w(t, s[1], s[0]);
            emit_w(t, offset, oi->index);
            emit_w(t, lane | size << 8, 0);
        } else {
            emit_h(t, EXEC_OP_simd_load);
            emit_w(t, dst, s[0]);
            emit_w(t, offset, oi->index);
            emit_w(t, s[1], lane | size << 8);
        }
    } else if (oi->index == WASM_SIMD_I8X16_SHUFFLE) {
        emit_h(t, EXEC_OP_simd_shuffle);
        emit_w(t, dst, s[0]);
        emit_w(t, s[1], 0);
        emit_u64(t, k[0]);
        emit_u64(t, k[1]);
    } else {
        emit_h(t, EXEC_OP_simd_op);
        emit_w(t, dst, s[0]);
        emit_w(t, s[1], s[2]);
        emit_w(t, oi->index, lane);
    }
    if (oi->result != WASM_SIMD_NO_RESULT) {
        push_home(t, oi->result);
        mark_producer(t, at);
    }
}

/* ------------------------------------------------------------ main loop */

static bool read_memarg(tr *t, uint32_t *offset)
{
    wasm_read_u32(&t->r);   /* alignment: a hint only */
    *offset = wasm_read_u32(&t->r);
    return !t->r.failed;
}

/* Translates one instruction; returns true at the function's final `end`. */
static bool tr_instr(tr *t)
{
    uint8_t op = wasm_read_u8(&t->r);
    bool dead = is_dead(t);
    uint32_t a, b, off, s[3], home;
    wasm_valtype rt;
    int eop;

    switch (op) {
    case WASM_OP_UNREACHABLE:
        if (!dead) {
            emit_h(t, EXEC_OP_unreachable);
            set_dead(t);
        }
        return false;
    case WASM_OP_NOP:
        return false;
    case WASM_OP_BLOCK: tr_block(t, CTRL_BLOCK); return false;
    case WASM_OP_LOOP: tr_block(t, CTRL_LOOP); return false;
    case WASM_OP_IF: tr_block(t, CTRL_IF); return false;
    case WASM_OP_ELSE: tr_else(t); return false;
    case WASM_OP_END: return tr_end(t);
    case WASM_OP_BR:
        a = wasm_read_u32(&t->r);
        if (!dead)
            tr_br(t, a);
        return false;
    case WASM_OP_BR_IF:
        a = wasm_read_u32(&t->r);
        if (!dead)
            tr_br_if(t, a);
        return false;
    case WASM_OP_BR_TABLE: {
        uint32_t count = wasm_read_u32(&t->r);
        size_t cap = t->capbrt;
        if (!grow_array(t, (void **)&t->brt, sizeof(uint32_t), (size_t)count + 1, &cap))
            return false;
        t->capbrt = (uint32_t)cap;
        for (uint32_t i = 0; i <= count && !t->r.failed; i++)
            t->brt[i] = wasm_read_u32(&t->r);
        if (!dead && !t->r.failed)
            tr_br_table(t, count);
        return false;
    }
    case WASM_OP_RETURN:
        if (!dead) {
            emit_return(t);
            set_dead(t);
        }
        return false;
    case WASM_OP_CALL:
        a = wasm_read_u32(&t->r);
        if (!dead && a < t->wm->nfuncs)
            tr_call(t, wasm_func_type(t->wm, a),
                    t->wm->funcs[a].imported ? EXEC_OP_call_import
                    /* module->code is allocated before any body is translated,
                     * so the address of the callee's entry is already final. */
                    : t->mod->code ? EXEC_OP_call_direct : EXEC_OP_call,
                    a, false, 0);
        return false;
    case WASM_OP_CALL_INDIRECT:
        a = wasm_read_u32(&t->r);   /* type index */
        b = wasm_read_u32(&t->r);   /* table index */
        if (!dead && a < t->wm->ntypes)
            tr_call(t, &t->wm->types[a], EXEC_OP_call_indirect, b, true, t->mod->type_ids[a]);
        return false;
    case WASM_OP_DROP:
        if (!dead)
            pop(t);
        return false;
    case WASM_OP_SELECT_T:
        a = wasm_read_u32(&t->r);
        for (uint32_t i = 0; i < a && !t->r.failed; i++)
            wasm_read_u8(&t->r);
        /* fall through */
    case WASM_OP_SELECT:
        if (!dead)
            tr_select(t);
        return false;
    case WASM_OP_LOCAL_GET:
        a = wasm_read_u32(&t->r);
        if (!dead && a < t->nlocals) {
            tr_entry *e = push(t, ENT_LOCAL, t->local_type[a]);
            if (e)
                e->slot = t->local_slot[a];
        }
        return false;
    case WASM_OP_LOCAL_SET:
    case WASM_OP_LOCAL_TEE:
        a = wasm_read_u32(&t->r);
        if (!dead && a < t->nlocals)
            tr_local_set(t, a, op == WASM_OP_LOCAL_TEE);
        return false;
    case WASM_OP_GLOBAL_GET:
        a = wasm_read_u32(&t->r);
        if (!dead && a < t->wm->nglobals) {
            rt = t->wm->globals[a].type.type;
            home = top_home(t);
            size_t at = t->n;
            emit_h(t, rt == WASM_V128 ? EXEC_OP_global_get2 : EXEC_OP_global_get);
            emit_w(t, home, a);
            push_home(t, rt);
            mark_producer(t, at);
        }
        return false;
    case WASM_OP_GLOBAL_SET:
        a = wasm_read_u32(&t->r);
        if (!dead && a < t->wm->nglobals) {
            tr_entry v = pop(t);
            uint32_t sv = operand(t, &v);
            emit_h(t, v.type == WASM_V128 ? EXEC_OP_global_set2 : EXEC_OP_global_set);
            emit_w(t, sv, a);
        }
        return false;
    case WASM_OP_TABLE_GET:
        a = wasm_read_u32(&t->r);
        if (!dead && a < t->wm->ntables) {
            pop_operands(t, 1, s, &home);
            size_t at = t->n;   /* the producer is the table_get, not a materialised index */
            emit_h(t, EXEC_OP_table_get);
            emit_w(t, home, s[0]);
            emit_w(t, a, 0);
            push_home(t, t->wm->tables[a].type.elemtype);
            mark_producer(t, at);
        }
        return false;
    case WASM_OP_TABLE_SET:
        a = wasm_read_u32(&t->r);
        if (!dead) {
            pop_operands(t, 2, s, NULL);
            emit_h(t, EXEC_OP_table_set);
            emit_w(t, s[0], s[1]);
            emit_w(t, a, 0);
        }
        return false;
    case WASM_OP_MEMORY_SIZE:
        wasm_read_u8(&t->r);
        if (!dead) {
            size_t at = t->n;
            emit_h(t, EXEC_OP_memory_size);
            emit_w(t, top_home(t), 0);
            push_home(t, WASM_I32);
            mark_producer(t, at);
        }
        return false;
    case WASM_OP_MEMORY_GROW:
        wasm_read_u8(&t->r);
        if (!dead)
            emit_unary(t, EXEC_OP_memory_grow, WASM_I32);
        return false;
    case WASM_OP_I32_CONST: {
        uint32_t k = (uint32_t)wasm_read_s32(&t->r);
        if (!dead)
            push_const(t, WASM_I32, k, 0);
        return false;
    }
    case WASM_OP_I64_CONST: {
        uint64_t k = (uint64_t)wasm_read_s64(&t->r);
        if (!dead)
            push_const(t, WASM_I64, k, 0);
        return false;
    }
    case WASM_OP_F32_CONST: {
        uint32_t k = wasm_read_fixed32(&t->r);
        if (!dead)
            push_const(t, WASM_F32, k, 0);
        return false;
    }
    case WASM_OP_F64_CONST: {
        uint64_t k = wasm_read_fixed64(&t->r);
        if (!dead)
            push_const(t, WASM_F64, k, 0);
        return false;
    }
    case WASM_OP_REF_NULL: {
        uint8_t ty = wasm_read_u8(&t->r);
        if (!dead)
            push_const(t, ty, 0, 0);
        return false;
    }
    case WASM_OP_REF_IS_NULL:
        if (!dead)
            emit_unary(t, EXEC_OP_i64_eqz, WASM_I32);
        return false;
    case WASM_OP_REF_FUNC:
        a = wasm_read_u32(&t->r);
        if (!dead) {
            size_t at = t->n;
            emit_h(t, EXEC_OP_ref_func);
            emit_w(t, top_home(t), a);
            push_home(t, WASM_FUNCREF);
            mark_producer(t, at);
        }
        return false;
    case WASM_OP_PREFIX_FC:
        tr_prefix_fc(t, wasm_read_u32(&t->r), dead);
        return false;
    case WASM_OP_PREFIX_SIMD:
        tr_prefix_simd(t, dead);
        return false;
    default:
        break;
    }

    if (op >= WASM_OP_I32_LOAD && op <= WASM_OP_I64_STORE32) {
        if (!read_memarg(t, &off) || dead)
            return false;
        eop = load_op(op, &rt);
        if (eop >= 0)
            emit_load(t, eop, rt, off);
        else
            emit_store(t, store_op(op), off);
        return false;
    }
    if (dead)
        return false;
    if (op == WASM_OP_I32_EQZ || op == WASM_OP_I64_EQZ) {
        emit_eqz(t, op == WASM_OP_I64_EQZ);
        return false;
    }
    if (op >= WASM_OP_I32_EQ && op <= WASM_OP_I32_GE_U) {
        emit_compare(t, op - WASM_OP_I32_EQ, false);
        return false;
    }
    if (op >= WASM_OP_I64_EQ && op <= WASM_OP_I64_GE_U) {
        emit_compare(t, op - WASM_OP_I64_EQ, true);
        return false;
    }
    if (op >= WASM_OP_F32_EQ && op <= WASM_OP_F32_GE) {
        emit_fcompare(t, op - WASM_OP_F32_EQ, false);
        return false;
    }
    if (op >= WASM_OP_F64_EQ && op <= WASM_OP_F64_GE) {
        emit_fcompare(t, op - WASM_OP_F64_EQ, true);
        return false;
    }
    if (op >= WASM_OP_I32_REINTERPRET_F32 && op <= WASM_OP_F64_REINTERPRET_I64) {
        /* Same bits in the same slot: only the compile-time type changes. */
        static const wasm_valtype to[] = { WASM_I32, WASM_I64, WASM_F32, WASM_F64 };
        if (t->sp)
            t->stack[t->sp - 1].type = to[op - WASM_OP_I32_REINTERPRET_F32];
        return false;
    }
    struct num_info ni = num_info(op);
    if (ni.arity == 1) {
        emit_unary(t, ni.op, ni.result);
    } else if (ni.arity == 2) {
        bool is64 = (op >= WASM_OP_I64_CLZ && op <= WASM_OP_I64_ROTR);
        emit_binary(t, ni.op, ni.imm_op, ni.commutative, ni.result, is64);
    } else {
        t->unsupported = "unknown instruction";
    }
    return false;
}

/* ------------------------------------------------------------ setup and finish */

static bool setup_locals(tr *t, const wasm_func *f)
{
    uint32_t np = t->ftype->nparams;
    t->nlocals = np + f->nlocals;
    t->local_slot = malloc(((size_t)t->nlocals + 1) * sizeof(uint32_t));
    t->local_type = malloc(((size_t)t->nlocals + 1) * sizeof(wasm_valtype));
    if (!t->local_slot || !t->local_type)
        return false;
    uint32_t slot = 0;
    for (uint32_t i = 0; i < t->nlocals; i++) {
        wasm_valtype ty = i < np ? wasm_functype_params(t->ftype)[i] : f->locals[i - np];
        t->local_type[i] = ty;
        t->local_slot[i] = slot;
        slot += wasm_valtype_slots(ty);
        if (i + 1 == np)
            t->param_slots = slot;
    }
    if (np == 0)
        t->param_slots = 0;
    t->local_slots = slot - t->param_slots;
    t->temp_base = slot;
    t->local_set_at = calloc((size_t)slot + 1, sizeof(size_t));
    if (!t->local_set_at)
        return false;
    t->max_slots = slot;
    uint32_t rslots = 0;
    for (uint32_t i = 0; i < t->ftype->nresults; i++)
        rslots += wasm_valtype_slots(wasm_functype_results(t->ftype)[i]);
    if (rslots > t->max_slots)
        t->max_slots = rslots;
    return true;
}

/*
 * Jump threading, once all targets are known (still code offsets): a
 * forward jump to a chain of plain `br`s goes straight to the end of the
 * chain, and one that lands on a return becomes that return, which saves a
 * dispatch per `if` arm or early exit that ends the function:
 *   br -> ret1 s                    becomes  ret1 s
 *   move d<-s; br -> ret1 d         becomes  ret1 s   (the move was only for the return)
 *   move d<-s; br -> ret            becomes  move d<-s; ret
 * Every rewrite keeps the instruction's length; what follows it is dead.
 */
static void thread_jumps(tr *t)
{
    exec_op *code = t->code;
    const void *const *h = t->handlers;
    size_t ndead = 0;   /* target words that stop being targets, ascending, kept in t->jumps */
    for (size_t i = 0; i < t->njumps; i++) {
        size_t at = t->jumps[i];
        bool moves = code[at].h == h[EXEC_OP_move_br];
        if (!moves && code[at].h != h[EXEC_OP_br])
            continue;
        size_t word = at + (moves ? 2 : 1);
        size_t to = (size_t)code[word].u64;
        for (int hops = 0; hops < 8 && code[to].h == h[EXEC_OP_br] && code[to + 1].u64 > to; hops++)
            to = (size_t)code[to + 1].u64;
        code[word].u64 = to;
        if (code[to].h == h[EXEC_OP_ret1] && !moves) {
            code[at] = code[to];
            code[at + 1] = code[to + 1];
        } else if (code[to].h == h[EXEC_OP_ret1] && code[at + 1].w[0] == code[to + 1].w[0]) {
            code[at].h = h[EXEC_OP_ret1];
            code[at + 1].w[0] = code[at + 1].w[1];
            code[at + 1].w[1] = 0;
        } else if (code[to].h == h[EXEC_OP_ret]) {
            code[at].h = h[moves ? EXEC_OP_move : EXEC_OP_ret];
            code[word].h = h[EXEC_OP_ret];
        } else {
            continue;
        }
        t->jumps[ndead++] = word;
    }
    /* Both lists ascend (code is emitted in order): drop the dead words' relocations. */
    size_t kept = 0, d = 0;
    for (size_t i = 0; i < t->nrelocs; i++) {
        while (d < ndead && t->jumps[d] < t->relocs[i])
            d++;
        if (d < ndead && t->jumps[d] == t->relocs[i])
            continue;
        t->relocs[kept++] = t->relocs[i];
    }
    t->nrelocs = kept;
}

static exec_code *finish(tr *t, uint32_t funcidx)
{
    thread_jumps(t);
    exec_code *c = malloc(sizeof(exec_code) + t->n * sizeof(exec_op));
    if (!c)
        return NULL;
    c->func_index = funcidx;
    c->param_slots = t->param_slots;
    c->local_slots = t->local_slots;
    c->result_slots = 0;
    for (uint32_t i = 0; i < t->ftype->nresults; i++)
        c->result_slots += wasm_valtype_slots(wasm_functype_results(t->ftype)[i]);
    c->frame_slots = t->max_slots;
    if (c->frame_slots < c->param_slots + EXEC_FRAME_PAD)
        c->frame_slots = c->param_slots + EXEC_FRAME_PAD;
    c->ncode = t->n;
    c->ncalls = (uint32_t)t->ncalls;
    c->call_words = t->calls;   /* handed over (tr_free leaves it) */
    t->calls = NULL;
    memcpy(c->code, t->code, t->n * sizeof(exec_op));
    for (size_t i = 0; i < t->nrelocs; i++) {
        size_t pos = t->relocs[i];
        assert(c->code[pos].u64 < t->n);
        c->code[pos].target = &c->code[c->code[pos].u64];
    }
    return c;
}

static void tr_free(tr *t)
{
    for (uint32_t i = 0; i < t->nctrl; i++)
        free(t->ctrl[i].fix);
    free(t->ctrl);
    free(t->stack);
    free(t->code);
    free(t->relocs);
    free(t->jumps);
    free(t->calls);
    free(t->local_slot);
    free(t->local_type);
    free(t->local_set_at);
    free(t->brt);
}

static void set_error(wasm_error *err, size_t offset, const char *msg)
{
    if (!err)
        return;
    err->offset = offset;
    snprintf(err->message, sizeof err->message, "%s", msg);
}

struct exec_code *exec_translate(const isola_module *module, uint32_t funcidx, wasm_error *err)
{
    const wasm_module *wm = module->wasm;
    assert(funcidx >= wm->nfunc_imports && funcidx < wm->nfuncs);
    const wasm_func *f = &wm->funcs[funcidx];
    tr t;
    memset(&t, 0, sizeof t);
    t.mod = module;
    t.wm = wm;
    t.ftype = wasm_func_type(wm, funcidx);
    t.handlers = exec_interp_handlers();
    wasm_error rerr = { 0 };
    if (err)
        err->message[0] = '\0';
    wasm_reader_init(&t.r, wm->bytes, f->body, f->body + f->body_len, &rerr);

    exec_code *code = NULL;
    if (setup_locals(&t, f)) {
        tr_ctrl *fc = push_ctrl(&t, CTRL_FUNC, 0, NULL, t.ftype->nresults, wasm_functype_results(t.ftype));
        bool done = false;
        while (fc && !done && !t.oom && !t.unsupported && !t.r.failed && !wasm_reader_at_end(&t.r))
            done = tr_instr(&t);
        if (t.r.failed) {
            set_error(err, rerr.offset, rerr.message);
        } else if (t.unsupported) {
            set_error(err, wasm_reader_offset(&t.r), t.unsupported);
        } else if (!done && !t.oom) {
            set_error(err, wasm_reader_offset(&t.r), "function body ends without `end`");
        } else if (!t.oom) {
            code = finish(&t, funcidx);
        }
    }
    if (!code && err && err->message[0] == '\0')
        set_error(err, f->body_offset, "out of memory translating function");
    tr_free(&t);
    return code;
}

void exec_code_free(struct exec_code *code)
{
    if (code)
        free(code->call_words);
    free(code);
}

void exec_code_link(struct exec_code *code)
{
    for (uint32_t i = 0; i < code->ncalls; i++) {
        exec_op *w = &code->code[code->call_words[i]];
        const struct exec_code *callee = *w->code_slot;   /* read the slot before the union word changes member */
        assert(callee);
        w->callee = callee;
    }
    free(code->call_words);
    code->call_words = NULL;
    code->ncalls = 0;
}
