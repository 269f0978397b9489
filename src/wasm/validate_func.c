/*
 * validate_func.c - the instruction rules of WebAssembly 2.0 applied to one
 * function body: reads each instruction with wasm_read_instr() (instr.h),
 * checks its immediates against the module's index spaces, and type checks
 * it on the operand/control stacks of validate_stack.c. SIMD instructions are
 * checked from the shared table in simd_ops.h.
 *
 * The decoder has already run the same reader over every body, so encoding
 * errors and unbalanced blocks cannot reach here from wasm_decode(); the
 * checks for them below only keep a hand-made module from crashing us.
 */
#include "wasm/validate_func.h"

#include <assert.h>
#include <string.h>

#include "wasm/instr.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"
#include "wasm/simd_ops.h"

/* Everything one body check needs; lives on the C stack for one function. */
typedef struct body_ctx {
    wasm_vstate *s;
    const wasm_module *m;
    wasm_reader r;
    const wasm_functype *type;
    const wasm_func *func;
    const bool *declared;
    uint32_t nlocals;            /* params + declared locals */
} body_ctx;

/* The decoder leaves `types` NULL for [] -> []; offsetting NULL is undefined, so guard it. */
static const wasm_valtype *type_results(const wasm_functype *t)
{
    return t->nresults ? wasm_functype_results(t) : NULL;
}

/* ---- signatures of the plain numeric instructions (0x45..0xC4) ---- */

/* in2 == 0 for unary instructions; an all-zero entry is not a numeric instruction. */
typedef struct numeric_sig {
    wasm_valtype in1, in2, out;
} numeric_sig;

/* Indexed by opcode so the commonest instructions cost one load to classify. */
static const numeric_sig numeric_sigs[256] = {
    [WASM_OP_I32_EQZ] = {WASM_I32, 0, WASM_I32},
    [WASM_OP_I32_EQ] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_NE] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_LT_S] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_LT_U] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_GT_S] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_GT_U] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_LE_S] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_LE_U] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_GE_S] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_GE_U] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I64_EQZ] = {WASM_I64, 0, WASM_I32},
    [WASM_OP_I64_EQ] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_I64_NE] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_I64_LT_S] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_I64_LT_U] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_I64_GT_S] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_I64_GT_U] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_I64_LE_S] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_I64_LE_U] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_I64_GE_S] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_I64_GE_U] = {WASM_I64, WASM_I64, WASM_I32},
    [WASM_OP_F32_EQ] = {WASM_F32, WASM_F32, WASM_I32},
    [WASM_OP_F32_NE] = {WASM_F32, WASM_F32, WASM_I32},
    [WASM_OP_F32_LT] = {WASM_F32, WASM_F32, WASM_I32},
    [WASM_OP_F32_GT] = {WASM_F32, WASM_F32, WASM_I32},
    [WASM_OP_F32_LE] = {WASM_F32, WASM_F32, WASM_I32},
    [WASM_OP_F32_GE] = {WASM_F32, WASM_F32, WASM_I32},
    [WASM_OP_F64_EQ] = {WASM_F64, WASM_F64, WASM_I32},
    [WASM_OP_F64_NE] = {WASM_F64, WASM_F64, WASM_I32},
    [WASM_OP_F64_LT] = {WASM_F64, WASM_F64, WASM_I32},
    [WASM_OP_F64_GT] = {WASM_F64, WASM_F64, WASM_I32},
    [WASM_OP_F64_LE] = {WASM_F64, WASM_F64, WASM_I32},
    [WASM_OP_F64_GE] = {WASM_F64, WASM_F64, WASM_I32},
    [WASM_OP_I32_CLZ] = {WASM_I32, 0, WASM_I32},
    [WASM_OP_I32_CTZ] = {WASM_I32, 0, WASM_I32},
    [WASM_OP_I32_POPCNT] = {WASM_I32, 0, WASM_I32},
    [WASM_OP_I32_ADD] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_SUB] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_MUL] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_DIV_S] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_DIV_U] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_REM_S] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_REM_U] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_AND] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_OR] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_XOR] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_SHL] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_SHR_S] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_SHR_U] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_ROTL] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I32_ROTR] = {WASM_I32, WASM_I32, WASM_I32},
    [WASM_OP_I64_CLZ] = {WASM_I64, 0, WASM_I64},
    [WASM_OP_I64_CTZ] = {WASM_I64, 0, WASM_I64},
    [WASM_OP_I64_POPCNT] = {WASM_I64, 0, WASM_I64},
    [WASM_OP_I64_ADD] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_SUB] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_MUL] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_DIV_S] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_DIV_U] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_REM_S] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_REM_U] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_AND] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_OR] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_XOR] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_SHL] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_SHR_S] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_SHR_U] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_ROTL] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_I64_ROTR] = {WASM_I64, WASM_I64, WASM_I64},
    [WASM_OP_F32_ABS] = {WASM_F32, 0, WASM_F32},
    [WASM_OP_F32_NEG] = {WASM_F32, 0, WASM_F32},
    [WASM_OP_F32_CEIL] = {WASM_F32, 0, WASM_F32},
    [WASM_OP_F32_FLOOR] = {WASM_F32, 0, WASM_F32},
    [WASM_OP_F32_TRUNC] = {WASM_F32, 0, WASM_F32},
    [WASM_OP_F32_NEAREST] = {WASM_F32, 0, WASM_F32},
    [WASM_OP_F32_SQRT] = {WASM_F32, 0, WASM_F32},
    [WASM_OP_F32_ADD] = {WASM_F32, WASM_F32, WASM_F32},
    [WASM_OP_F32_SUB] = {WASM_F32, WASM_F32, WASM_F32},
    [WASM_OP_F32_MUL] = {WASM_F32, WASM_F32, WASM_F32},
    [WASM_OP_F32_DIV] = {WASM_F32, WASM_F32, WASM_F32},
    [WASM_OP_F32_MIN] = {WASM_F32, WASM_F32, WASM_F32},
    [WASM_OP_F32_MAX] = {WASM_F32, WASM_F32, WASM_F32},
    [WASM_OP_F32_COPYSIGN] = {WASM_F32, WASM_F32, WASM_F32},
    [WASM_OP_F64_ABS] = {WASM_F64, 0, WASM_F64},
    [WASM_OP_F64_NEG] = {WASM_F64, 0, WASM_F64},
    [WASM_OP_F64_CEIL] = {WASM_F64, 0, WASM_F64},
    [WASM_OP_F64_FLOOR] = {WASM_F64, 0, WASM_F64},
    [WASM_OP_F64_TRUNC] = {WASM_F64, 0, WASM_F64},
    [WASM_OP_F64_NEAREST] = {WASM_F64, 0, WASM_F64},
    [WASM_OP_F64_SQRT] = {WASM_F64, 0, WASM_F64},
    [WASM_OP_F64_ADD] = {WASM_F64, WASM_F64, WASM_F64},
    [WASM_OP_F64_SUB] = {WASM_F64, WASM_F64, WASM_F64},
    [WASM_OP_F64_MUL] = {WASM_F64, WASM_F64, WASM_F64},
    [WASM_OP_F64_DIV] = {WASM_F64, WASM_F64, WASM_F64},
    [WASM_OP_F64_MIN] = {WASM_F64, WASM_F64, WASM_F64},
    [WASM_OP_F64_MAX] = {WASM_F64, WASM_F64, WASM_F64},
    [WASM_OP_F64_COPYSIGN] = {WASM_F64, WASM_F64, WASM_F64},
    [WASM_OP_I32_WRAP_I64] = {WASM_I64, 0, WASM_I32},
    [WASM_OP_I32_TRUNC_F32_S] = {WASM_F32, 0, WASM_I32},
    [WASM_OP_I32_TRUNC_F32_U] = {WASM_F32, 0, WASM_I32},
    [WASM_OP_I32_TRUNC_F64_S] = {WASM_F64, 0, WASM_I32},
    [WASM_OP_I32_TRUNC_F64_U] = {WASM_F64, 0, WASM_I32},
    [WASM_OP_I64_EXTEND_I32_S] = {WASM_I32, 0, WASM_I64},
    [WASM_OP_I64_EXTEND_I32_U] = {WASM_I32, 0, WASM_I64},
    [WASM_OP_I64_TRUNC_F32_S] = {WASM_F32, 0, WASM_I64},
    [WASM_OP_I64_TRUNC_F32_U] = {WASM_F32, 0, WASM_I64},
    [WASM_OP_I64_TRUNC_F64_S] = {WASM_F64, 0, WASM_I64},
    [WASM_OP_I64_TRUNC_F64_U] = {WASM_F64, 0, WASM_I64},
    [WASM_OP_F32_CONVERT_I32_S] = {WASM_I32, 0, WASM_F32},
    [WASM_OP_F32_CONVERT_I32_U] = {WASM_I32, 0, WASM_F32},
    [WASM_OP_F32_CONVERT_I64_S] = {WASM_I64, 0, WASM_F32},
    [WASM_OP_F32_CONVERT_I64_U] = {WASM_I64, 0, WASM_F32},
    [WASM_OP_F32_DEMOTE_F64] = {WASM_F64, 0, WASM_F32},
    [WASM_OP_F64_CONVERT_I32_S] = {WASM_I32, 0, WASM_F64},
    [WASM_OP_F64_CONVERT_I32_U] = {WASM_I32, 0, WASM_F64},
    [WASM_OP_F64_CONVERT_I64_S] = {WASM_I64, 0, WASM_F64},
    [WASM_OP_F64_CONVERT_I64_U] = {WASM_I64, 0, WASM_F64},
    [WASM_OP_F64_PROMOTE_F32] = {WASM_F32, 0, WASM_F64},
    [WASM_OP_I32_REINTERPRET_F32] = {WASM_F32, 0, WASM_I32},
    [WASM_OP_I64_REINTERPRET_F64] = {WASM_F64, 0, WASM_I64},
    [WASM_OP_F32_REINTERPRET_I32] = {WASM_I32, 0, WASM_F32},
    [WASM_OP_F64_REINTERPRET_I64] = {WASM_I64, 0, WASM_F64},
    [WASM_OP_I32_EXTEND8_S] = {WASM_I32, 0, WASM_I32},
    [WASM_OP_I32_EXTEND16_S] = {WASM_I32, 0, WASM_I32},
    [WASM_OP_I64_EXTEND8_S] = {WASM_I64, 0, WASM_I64},
    [WASM_OP_I64_EXTEND16_S] = {WASM_I64, 0, WASM_I64},
    [WASM_OP_I64_EXTEND32_S] = {WASM_I64, 0, WASM_I64},
};

static bool check_unop(body_ctx *c, wasm_valtype in, wasm_valtype out)
{
    return wasm_vpop(c->s, in) && wasm_vpush(c->s, out);
}

static bool check_binop(body_ctx *c, wasm_valtype in, wasm_valtype out)
{
    return wasm_vpop(c->s, in) && wasm_vpop(c->s, in) && wasm_vpush(c->s, out);
}

static bool check_numeric(body_ctx *c, const numeric_sig *n)
{
    if (n->in2)
        return check_binop(c, n->in1, n->out);
    return check_unop(c, n->in1, n->out);
}

/* Pops three i32 operands (the shape of the bulk memory and table operations). */
static bool pop_3_i32(body_ctx *c)
{
    return wasm_vpop(c->s, WASM_I32) && wasm_vpop(c->s, WASM_I32) && wasm_vpop(c->s, WASM_I32);
}

/* ---- immediates naming module entities ---- */

static bool need_memory(body_ctx *c, uint32_t memidx)
{
    if (memidx >= c->m->nmemories)
        return wasm_vfail(c->s, "unknown memory %u", memidx);
    return true;
}

static bool need_table(body_ctx *c, uint32_t x, wasm_valtype *elemtype)
{
    if (x >= c->m->ntables)
        return wasm_vfail(c->s, "unknown table %u", x);
    *elemtype = c->m->tables[x].type.elemtype;
    return true;
}

static bool need_elem_segment(body_ctx *c, uint32_t x, wasm_valtype *elemtype)
{
    if (x >= c->m->nelems)
        return wasm_vfail(c->s, "unknown elem segment %u", x);
    *elemtype = c->m->elems[x].elemtype;
    return true;
}

/*
 * memory.init and data.drop name data segments, which the binary format only
 * allows with a datacount section; the decoder rejects their use without one
 * when the module has data segments. Without any, the index is just unknown.
 */
static bool need_data_segment(body_ctx *c, uint32_t x)
{
    if (!c->m->has_datacount && c->m->ndatas > 0)
        return wasm_vfail_malformed(c->s, "data count section required");
    uint32_t count = c->m->has_datacount ? c->m->datacount : 0;
    if (x >= count)
        return wasm_vfail(c->s, "unknown data segment %u", x);
    return true;
}

/* Checks a memarg against a memory access of (1 << natural_log2) bytes. */
static bool check_memarg(body_ctx *c, const wasm_memarg *ma, uint32_t natural_log2)
{
    if (!need_memory(c, 0))
        return false;
    if (ma->align > natural_log2)
        return wasm_vfail(c->s, "alignment must not be larger than natural");
    return true;
}

/* ---- block types ---- */

typedef struct blocktype {
    const wasm_valtype *params, *results;
    uint32_t nparams, nresults;
} blocktype;

static bool resolve_blocktype(body_ctx *c, const wasm_blocktype *enc, blocktype *bt)
{
    memset(bt, 0, sizeof *bt);
    switch (enc->kind) {
    case WASM_BLOCKTYPE_KIND_EMPTY:
        return true;
    case WASM_BLOCKTYPE_KIND_VALTYPE:
        bt->results = wasm_valtype_single(enc->valtype);
        bt->nresults = 1;
        return true;
    default: {
        assert(enc->kind == WASM_BLOCKTYPE_KIND_TYPEIDX);
        if (enc->typeidx >= c->m->ntypes)
            return wasm_vfail(c->s, "unknown type %u", enc->typeidx);
        const wasm_functype *t = &c->m->types[enc->typeidx];
        bt->params = wasm_functype_params(t);
        bt->nparams = t->nparams;
        bt->results = type_results(t);
        bt->nresults = t->nresults;
        return true;
    }
    }
}

static bool check_block(body_ctx *c, const wasm_instr *in)
{
    blocktype bt;
    if (!resolve_blocktype(c, &in->imm.block, &bt))
        return false;
    if (in->opcode == WASM_OP_IF && !wasm_vpop(c->s, WASM_I32))
        return false;
    return wasm_vpop_n(c->s, bt.params, bt.nparams) &&
           wasm_vpush_ctrl(c->s, in->opcode, bt.params, bt.nparams, bt.results, bt.nresults);
}

static bool check_else(body_ctx *c)
{
    wasm_vstate *s = c->s;
    if (s->frames[s->nframes - 1].opcode != WASM_OP_IF)
        return wasm_vfail_malformed(s, "END opcode expected: else without a matching if");
    wasm_vframe f;
    if (!wasm_vpop_ctrl(s, &f))
        return false;
    return wasm_vpush_ctrl(s, WASM_OP_ELSE, f.params, f.nparams, f.results, f.nresults);
}

static bool same_types(const wasm_valtype *a, uint32_t na, const wasm_valtype *b, uint32_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static bool check_end(body_ctx *c)
{
    wasm_vframe f;
    if (!wasm_vpop_ctrl(c->s, &f))
        return false;
    /* An if without else has an implicit empty else, which passes its params through. */
    if (f.opcode == WASM_OP_IF && !same_types(f.params, f.nparams, f.results, f.nresults))
        return wasm_vfail(c->s, "type mismatch: if without else must leave its parameters as results");
    if (c->s->nframes == 0)
        return true;   /* the function's own end: the caller checks nothing follows */
    return wasm_vpush_n(c->s, f.results, f.nresults);
}

/* ---- branches ---- */

static bool need_label(body_ctx *c, uint32_t l, const wasm_vframe **frame)
{
    if (l >= c->s->nframes)
        return wasm_vfail(c->s, "unknown label %u", l);
    *frame = &c->s->frames[c->s->nframes - 1 - l];
    return true;
}

static bool check_br(body_ctx *c, const wasm_instr *in)
{
    const wasm_vframe *f = NULL;
    if (!need_label(c, in->imm.index, &f))
        return false;
    uint32_t n = 0;
    const wasm_valtype *ts = wasm_vlabel_types(f, &n);
    if (!wasm_vpop_n(c->s, ts, n))
        return false;
    wasm_vunreachable(c->s);
    return true;
}

static bool check_br_if(body_ctx *c, const wasm_instr *in)
{
    const wasm_vframe *f = NULL;
    if (!need_label(c, in->imm.index, &f) || !wasm_vpop(c->s, WASM_I32))
        return false;
    uint32_t n = 0;
    const wasm_valtype *ts = wasm_vlabel_types(f, &n);
    return wasm_vpop_n(c->s, ts, n) && wasm_vpush_n(c->s, ts, n);
}

/* br_table: every target must carry the default label's arity, and match the stack. */
static bool check_br_table(body_ctx *c, const wasm_instr *in)
{
    const wasm_vframe *dflt = NULL;
    if (!need_label(c, in->imm.br_table.default_label, &dflt) || !wasm_vpop(c->s, WASM_I32))
        return false;
    uint32_t arity = 0;
    const wasm_valtype *dtypes = wasm_vlabel_types(dflt, &arity);
    const uint8_t *p = in->imm.br_table.targets;
    for (uint32_t i = 0; i < in->imm.br_table.count; i++) {
        const wasm_vframe *f = NULL;
        if (!need_label(c, wasm_instr_next_target(&p), &f))
            return false;
        uint32_t n = 0;
        const wasm_valtype *ts = wasm_vlabel_types(f, &n);
        if (n != arity)
            return wasm_vfail(c->s, "type mismatch: br_table labels have different arities (%u and %u)", n, arity);
        if (!wasm_vpeek_n(c->s, ts, n))
            return false;
    }
    if (!wasm_vpop_n(c->s, dtypes, arity))
        return false;
    wasm_vunreachable(c->s);
    return true;
}

static bool check_return(body_ctx *c)
{
    const wasm_vframe *fn = &c->s->frames[0];
    if (!wasm_vpop_n(c->s, fn->results, fn->nresults))
        return false;
    wasm_vunreachable(c->s);
    return true;
}

/* ---- calls ---- */

static bool check_call_type(body_ctx *c, const wasm_functype *t)
{
    return wasm_vpop_n(c->s, wasm_functype_params(t), t->nparams) &&
           wasm_vpush_n(c->s, type_results(t), t->nresults);
}

static bool check_call(body_ctx *c, const wasm_instr *in)
{
    uint32_t x = in->imm.index;
    if (x >= c->m->nfuncs)
        return wasm_vfail(c->s, "unknown function %u", x);
    return check_call_type(c, wasm_func_type(c->m, x));
}

static bool check_call_indirect(body_ctx *c, const wasm_instr *in)
{
    uint32_t y = in->imm.call_indirect.typeidx;
    wasm_valtype elemtype = WASM_VT_UNKNOWN;
    if (!need_table(c, in->imm.call_indirect.tableidx, &elemtype))
        return false;
    if (elemtype != WASM_FUNCREF)
        return wasm_vfail(c->s, "type mismatch: call_indirect needs a funcref table");
    if (y >= c->m->ntypes)
        return wasm_vfail(c->s, "unknown type %u", y);
    return wasm_vpop(c->s, WASM_I32) && check_call_type(c, &c->m->types[y]);
}

/* ---- parametric instructions ---- */

static bool check_select(body_ctx *c)
{
    wasm_valtype t1 = WASM_VT_UNKNOWN, t2 = WASM_VT_UNKNOWN;
    if (!wasm_vpop(c->s, WASM_I32) || !wasm_vpop_any(c->s, &t1) || !wasm_vpop_any(c->s, &t2))
        return false;
    /* The untyped select only takes numeric and vector operands. */
    if ((t1 != WASM_VT_UNKNOWN && !wasm_valtype_is_num_or_vec(t1)) ||
        (t2 != WASM_VT_UNKNOWN && !wasm_valtype_is_num_or_vec(t2)))
        return wasm_vfail(c->s, "type mismatch: select without a type needs numeric operands");
    if (t1 != t2 && t1 != WASM_VT_UNKNOWN && t2 != WASM_VT_UNKNOWN)
        return wasm_vfail(c->s, "type mismatch: select operands are %s and %s", wasm_valtype_name(t2),
                          wasm_valtype_name(t1));
    return wasm_vpush(c->s, t1 == WASM_VT_UNKNOWN ? t2 : t1);
}

static bool check_select_typed(body_ctx *c, const wasm_instr *in)
{
    if (in->imm.select.count != 1)
        return wasm_vfail(c->s, "invalid result arity");
    wasm_valtype t = in->imm.select.types[0];
    return wasm_vpop(c->s, WASM_I32) && wasm_vpop(c->s, t) && wasm_vpop(c->s, t) && wasm_vpush(c->s, t);
}

/* ---- variables ---- */

static bool check_local(body_ctx *c, const wasm_instr *in)
{
    uint32_t x = in->imm.index;
    if (x >= c->nlocals)
        return wasm_vfail(c->s, "unknown local %u", x);
    uint32_t np = c->type->nparams;
    wasm_valtype t = x < np ? wasm_functype_params(c->type)[x] : c->func->locals[x - np];
    switch (in->opcode) {
    case WASM_OP_LOCAL_GET: return wasm_vpush(c->s, t);
    case WASM_OP_LOCAL_SET: return wasm_vpop(c->s, t);
    default: return wasm_vpop(c->s, t) && wasm_vpush(c->s, t);   /* local.tee */
    }
}

static bool check_global(body_ctx *c, const wasm_instr *in)
{
    uint32_t x = in->imm.index;
    if (x >= c->m->nglobals)
        return wasm_vfail(c->s, "unknown global %u", x);
    const wasm_globaltype *g = &c->m->globals[x].type;
    if (in->opcode == WASM_OP_GLOBAL_GET)
        return wasm_vpush(c->s, g->type);
    if (!g->mutable_)
        return wasm_vfail(c->s, "global is immutable");
    return wasm_vpop(c->s, g->type);
}

/* ---- memory ---- */

typedef struct memop_info {
    uint8_t natural_log2;
    wasm_valtype type;
} memop_info;

/* Indexed by opcode - WASM_OP_I32_LOAD, through WASM_OP_I64_STORE32. */
static const memop_info memops[] = {
    {2, WASM_I32}, {3, WASM_I64}, {2, WASM_F32}, {3, WASM_F64},   /* full-width loads */
    {0, WASM_I32}, {0, WASM_I32}, {1, WASM_I32}, {1, WASM_I32},   /* i32.load8/16 */
    {0, WASM_I64}, {0, WASM_I64}, {1, WASM_I64}, {1, WASM_I64},   /* i64.load8/16 */
    {2, WASM_I64}, {2, WASM_I64},                                 /* i64.load32 */
    {2, WASM_I32}, {3, WASM_I64}, {2, WASM_F32}, {3, WASM_F64},   /* full-width stores */
    {0, WASM_I32}, {1, WASM_I32},                                 /* i32.store8/16 */
    {0, WASM_I64}, {1, WASM_I64}, {2, WASM_I64},                  /* i64.store8/16/32 */
};

static bool check_load_store(body_ctx *c, const wasm_instr *in)
{
    uint8_t op = in->opcode;
    assert(op >= WASM_OP_I32_LOAD && op <= WASM_OP_I64_STORE32);
    const memop_info *info = &memops[op - WASM_OP_I32_LOAD];
    if (!check_memarg(c, &in->imm.memarg, info->natural_log2))
        return false;
    if (op >= WASM_OP_I32_STORE)
        return wasm_vpop(c->s, info->type) && wasm_vpop(c->s, WASM_I32);
    return check_unop(c, WASM_I32, info->type);
}

static bool check_memory_size_grow(body_ctx *c, uint8_t op)
{
    if (!need_memory(c, 0))
        return false;
    if (op == WASM_OP_MEMORY_GROW)
        return check_unop(c, WASM_I32, WASM_I32);
    return wasm_vpush(c->s, WASM_I32);
}

/* ---- references ---- */

static bool check_ref_is_null(body_ctx *c)
{
    wasm_valtype t = WASM_VT_UNKNOWN;
    if (!wasm_vpop_any(c->s, &t))
        return false;
    if (t != WASM_VT_UNKNOWN && !wasm_valtype_is_ref(t))
        return wasm_vfail(c->s, "type mismatch: ref.is_null needs a reference, got %s", wasm_valtype_name(t));
    return wasm_vpush(c->s, WASM_I32);
}

static bool check_ref_func(body_ctx *c, const wasm_instr *in)
{
    uint32_t x = in->imm.index;
    if (x >= c->m->nfuncs)
        return wasm_vfail(c->s, "unknown function %u", x);
    if (!c->declared[x])
        return wasm_vfail(c->s, "undeclared function reference %u", x);
    return wasm_vpush(c->s, WASM_FUNCREF);
}

/* ---- tables ---- */

static bool check_table_get_set(body_ctx *c, const wasm_instr *in)
{
    wasm_valtype t = WASM_VT_UNKNOWN;
    if (!need_table(c, in->imm.index, &t))
        return false;
    if (in->opcode == WASM_OP_TABLE_GET)
        return check_unop(c, WASM_I32, t);
    return wasm_vpop(c->s, t) && wasm_vpop(c->s, WASM_I32);
}

static bool check_table_init(body_ctx *c, const wasm_instr *in)
{
    wasm_valtype et = WASM_VT_UNKNOWN, tt = WASM_VT_UNKNOWN;
    if (!need_table(c, in->imm.table_init.tableidx, &tt) || !need_elem_segment(c, in->imm.table_init.elemidx, &et))
        return false;
    if (et != tt)
        return wasm_vfail(c->s, "type mismatch: elem segment of %s into table of %s", wasm_valtype_name(et),
                          wasm_valtype_name(tt));
    return pop_3_i32(c);
}

static bool check_table_copy(body_ctx *c, const wasm_instr *in)
{
    wasm_valtype dst = WASM_VT_UNKNOWN, src = WASM_VT_UNKNOWN;
    if (!need_table(c, in->imm.table_copy.dst, &dst) || !need_table(c, in->imm.table_copy.src, &src))
        return false;
    if (dst != src)
        return wasm_vfail(c->s, "type mismatch: table.copy from %s to %s", wasm_valtype_name(src),
                          wasm_valtype_name(dst));
    return pop_3_i32(c);
}

/* ---- the 0xFC prefix ---- */

static bool check_prefix_fc(body_ctx *c, const wasm_instr *in)
{
    wasm_valtype t = WASM_VT_UNKNOWN;
    uint32_t x = in->imm.index;
    switch (in->subop) {
    case WASM_FC_I32_TRUNC_SAT_F32_S:
    case WASM_FC_I32_TRUNC_SAT_F32_U: return check_unop(c, WASM_F32, WASM_I32);
    case WASM_FC_I32_TRUNC_SAT_F64_S:
    case WASM_FC_I32_TRUNC_SAT_F64_U: return check_unop(c, WASM_F64, WASM_I32);
    case WASM_FC_I64_TRUNC_SAT_F32_S:
    case WASM_FC_I64_TRUNC_SAT_F32_U: return check_unop(c, WASM_F32, WASM_I64);
    case WASM_FC_I64_TRUNC_SAT_F64_S:
    case WASM_FC_I64_TRUNC_SAT_F64_U: return check_unop(c, WASM_F64, WASM_I64);
    case WASM_FC_MEMORY_INIT: return need_memory(c, 0) && need_data_segment(c, x) && pop_3_i32(c);
    case WASM_FC_DATA_DROP: return need_data_segment(c, x);
    case WASM_FC_MEMORY_COPY:
    case WASM_FC_MEMORY_FILL: return need_memory(c, 0) && pop_3_i32(c);
    case WASM_FC_TABLE_INIT: return check_table_init(c, in);
    case WASM_FC_ELEM_DROP: return need_elem_segment(c, x, &t);
    case WASM_FC_TABLE_COPY: return check_table_copy(c, in);
    case WASM_FC_TABLE_GROW:
        return need_table(c, x, &t) && wasm_vpop(c->s, WASM_I32) && wasm_vpop(c->s, t) && wasm_vpush(c->s, WASM_I32);
    case WASM_FC_TABLE_SIZE: return need_table(c, x, &t) && wasm_vpush(c->s, WASM_I32);
    case WASM_FC_TABLE_FILL:
        return need_table(c, x, &t) && wasm_vpop(c->s, WASM_I32) && wasm_vpop(c->s, t) && wasm_vpop(c->s, WASM_I32);
    default:
        assert(!"wasm_read_instr accepts only known 0xFC sub-opcodes");
        return wasm_vfail(c->s, "illegal opcode 0xfc %u", in->subop);
    }
}

/* ---- the 0xFD prefix: immediates' rules and signature come from simd_ops.h ---- */

static bool need_lane(body_ctx *c, uint8_t lane, uint32_t lanes)
{
    if (lane >= lanes)
        return wasm_vfail(c->s, "invalid lane index %u (must be < %u)", lane, lanes);
    return true;
}

static bool check_simd_immediates(body_ctx *c, const wasm_instr *in)
{
    const wasm_simd_opinfo *op = in->simd;
    switch (op->imm) {
    case WASM_SIMD_IMM_MEMARG: return check_memarg(c, &in->imm.memarg, op->align);
    case WASM_SIMD_IMM_MEMARG_LANE:
        return check_memarg(c, &in->imm.memarg, op->align) && need_lane(c, in->imm.memarg.lane, op->lanes);
    case WASM_SIMD_IMM_LANE: return need_lane(c, in->imm.lane, op->lanes);
    case WASM_SIMD_IMM_SHUFFLE:
        for (int i = 0; i < 16; i++)
            if (!need_lane(c, in->imm.bytes16[i], op->lanes))
                return false;
        return true;
    default: return true;   /* none, or a v128 constant: any 16 bytes */
    }
}

static bool check_prefix_simd(body_ctx *c, const wasm_instr *in)
{
    const wasm_simd_opinfo *op = in->simd;
    assert(op && op->nparams <= 3);
    if (!check_simd_immediates(c, in))
        return false;
    if (!wasm_vpop_n(c->s, op->params, op->nparams))
        return false;
    return op->result == WASM_SIMD_NO_RESULT || wasm_vpush(c->s, op->result);
}

/* ---- dispatch ---- */

static bool check_instruction(body_ctx *c, const wasm_instr *in)
{
    uint8_t op = in->opcode;
    switch (op) {
    case WASM_OP_UNREACHABLE: wasm_vunreachable(c->s); return true;
    case WASM_OP_NOP: return true;
    case WASM_OP_BLOCK:
    case WASM_OP_LOOP:
    case WASM_OP_IF: return check_block(c, in);
    case WASM_OP_ELSE: return check_else(c);
    case WASM_OP_END: return check_end(c);
    case WASM_OP_BR: return check_br(c, in);
    case WASM_OP_BR_IF: return check_br_if(c, in);
    case WASM_OP_BR_TABLE: return check_br_table(c, in);
    case WASM_OP_RETURN: return check_return(c);
    case WASM_OP_CALL: return check_call(c, in);
    case WASM_OP_CALL_INDIRECT: return check_call_indirect(c, in);
    case WASM_OP_DROP: {
        wasm_valtype t = WASM_VT_UNKNOWN;
        return wasm_vpop_any(c->s, &t);
    }
    case WASM_OP_SELECT: return check_select(c);
    case WASM_OP_SELECT_T: return check_select_typed(c, in);
    case WASM_OP_LOCAL_GET:
    case WASM_OP_LOCAL_SET:
    case WASM_OP_LOCAL_TEE: return check_local(c, in);
    case WASM_OP_GLOBAL_GET:
    case WASM_OP_GLOBAL_SET: return check_global(c, in);
    case WASM_OP_TABLE_GET:
    case WASM_OP_TABLE_SET: return check_table_get_set(c, in);
    case WASM_OP_MEMORY_SIZE:
    case WASM_OP_MEMORY_GROW: return check_memory_size_grow(c, op);
    case WASM_OP_I32_CONST: return wasm_vpush(c->s, WASM_I32);
    case WASM_OP_I64_CONST: return wasm_vpush(c->s, WASM_I64);
    case WASM_OP_F32_CONST: return wasm_vpush(c->s, WASM_F32);
    case WASM_OP_F64_CONST: return wasm_vpush(c->s, WASM_F64);
    case WASM_OP_REF_NULL: return wasm_vpush(c->s, in->imm.reftype);
    case WASM_OP_REF_IS_NULL: return check_ref_is_null(c);
    case WASM_OP_REF_FUNC: return check_ref_func(c, in);
    case WASM_OP_PREFIX_FC: return check_prefix_fc(c, in);
    case WASM_OP_PREFIX_SIMD: return check_prefix_simd(c, in);
    default: break;
    }
    if (op >= WASM_OP_I32_LOAD && op <= WASM_OP_I64_STORE32)
        return check_load_store(c, in);
    const numeric_sig *n = &numeric_sigs[op];
    assert(n->out);   /* wasm_read_instr rejects every other byte */
    if (!n->out)
        return wasm_vfail(c->s, "illegal opcode 0x%02x", op);
    return check_numeric(c, n);
}

bool wasm_validate_body(wasm_vstate *s, uint32_t funcidx, const bool *declared)
{
    const wasm_module *m = s->m;
    assert(funcidx < m->nfuncs && !m->funcs[funcidx].imported);
    const wasm_func *f = &m->funcs[funcidx];
    body_ctx c = {
        .s = s,
        .m = m,
        .type = wasm_func_type(m, funcidx),
        .func = f,
        .declared = declared,
    };
    if ((uint64_t)c.type->nparams + f->nlocals > UINT32_MAX)
        return wasm_vfail(s, "too many locals");
    c.nlocals = c.type->nparams + f->nlocals;
    wasm_reader_init(&c.r, m->bytes, f->body, f->body + f->body_len, s->err);

    wasm_vstate_reset(s);
    s->op_offset = f->body_offset;
    if (!wasm_vpush_ctrl(s, WASM_OP_BLOCK, NULL, 0, type_results(c.type), c.type->nresults))
        return false;
    wasm_instr in;
    while (s->nframes > 0) {
        s->op_offset = wasm_reader_offset(&c.r);
        if (wasm_reader_at_end(&c.r))
            return wasm_vfail_malformed(s, "unexpected end of section or function: missing end");
        if (!wasm_read_instr(&c.r, &in) || !check_instruction(&c, &in))
            return false;
    }
    if (!wasm_reader_at_end(&c.r)) {
        s->op_offset = wasm_reader_offset(&c.r);
        return wasm_vfail_malformed(s, "section size mismatch: operators remaining after the end of the function");
    }
    return true;
}
