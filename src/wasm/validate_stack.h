/*
 * validate_stack.h - the operand stack and control-frame stack of the spec's
 * validation algorithm (WebAssembly 2.0, appendix "Validation Algorithm").
 *
 * One wasm_vstate is reused for every function body of a module, so the two
 * stacks grow geometrically once and are never reallocated per instruction.
 *
 * Invariants:
 *  - vals[0..nvals) holds the operand types; WASM_VT_UNKNOWN stands for a
 *    value of any type produced by stack-polymorphic (unreachable) code.
 *  - frames[0] is the function body itself; every frame's height is at most
 *    nvals, and pops never go below the innermost frame's height.
 *  - a frame's params/results point into the module's type section or into
 *    static storage, never into the frame stack (which may move on growth).
 */
#ifndef ISOLA_WASM_VALIDATE_STACK_H
#define ISOLA_WASM_VALIDATE_STACK_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm/error.h"
#include "wasm/module.h"
#include "wasm/opcodes.h"

/* Not a binary encoding: the "Unknown" type of stack-polymorphic code. */
#define WASM_VT_UNKNOWN ((wasm_valtype)0)

typedef struct wasm_vframe {
    uint8_t opcode;              /* WASM_OP_BLOCK, _LOOP, _IF or _ELSE */
    bool unreachable;            /* the rest of this block is stack-polymorphic */
    uint32_t height;             /* operand stack height at block entry */
    uint32_t nparams, nresults;
    const wasm_valtype *params;  /* the block's start types */
    const wasm_valtype *results; /* the block's end types */
} wasm_vframe;

typedef struct wasm_vstate {
    const wasm_module *m;
    wasm_error *err;
    size_t op_offset;            /* offset of the instruction being checked, for errors */

    wasm_valtype *vals;
    uint32_t nvals, cap_vals;
    wasm_vframe *frames;
    uint32_t nframes, cap_frames;
} wasm_vstate;

void wasm_vstate_init(wasm_vstate *s, const wasm_module *m, wasm_error *err);
void wasm_vstate_free(wasm_vstate *s);
/* Empties both stacks, keeping their storage for the next function. */
void wasm_vstate_reset(wasm_vstate *s);

/* Records an error at the current instruction (printf-style); returns false. */
bool wasm_vfail(wasm_vstate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For the few binary-format rules only found while reading a body (reserved zero bytes, datacount). */
bool wasm_vfail_malformed(wasm_vstate *s, const char *reason);

static inline bool wasm_valtype_is_ref(wasm_valtype t) { return t == WASM_FUNCREF || t == WASM_EXTERNREF; }
static inline bool wasm_valtype_is_num_or_vec(wasm_valtype t)
{
    return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64 || t == WASM_V128;
}
/* A valid value type encoding (not WASM_VT_UNKNOWN). */
static inline bool wasm_valtype_valid(wasm_valtype t) { return wasm_valtype_is_num_or_vec(t) || wasm_valtype_is_ref(t); }
/* Pointer to a static one-element array holding t, for single-result block types. */
const wasm_valtype *wasm_valtype_single(wasm_valtype t);
const char *wasm_valtype_name(wasm_valtype t);

/* Out-of-line halves of the inline push/pop below: growth, polymorphism, errors. */
bool wasm_vpush_slow(wasm_vstate *s, wasm_valtype t);
bool wasm_vpop_slow(wasm_vstate *s, wasm_valtype expect);

/* Push and pop run once or twice per instruction, so their common case is inline. */
static inline bool wasm_vpush(wasm_vstate *s, wasm_valtype t)
{
    if (s->nvals == s->cap_vals)
        return wasm_vpush_slow(s, t);
    s->vals[s->nvals++] = t;
    return true;
}

/* Pops a value that must match `expect` (WASM_VT_UNKNOWN matches anything). */
static inline bool wasm_vpop(wasm_vstate *s, wasm_valtype expect)
{
    assert(s->nframes > 0);
    if (s->nvals > s->frames[s->nframes - 1].height && s->vals[s->nvals - 1] == expect) {
        s->nvals--;
        return true;
    }
    return wasm_vpop_slow(s, expect);
}

bool wasm_vpush_n(wasm_vstate *s, const wasm_valtype *ts, uint32_t n);
/* Pops any value; *out is its type (WASM_VT_UNKNOWN in polymorphic code). */
bool wasm_vpop_any(wasm_vstate *s, wasm_valtype *out);
/* Pops ts[n-1] first, ts[0] last. */
bool wasm_vpop_n(wasm_vstate *s, const wasm_valtype *ts, uint32_t n);
/* Checks that the top of the stack matches ts, as pop_n then push back would. */
bool wasm_vpeek_n(wasm_vstate *s, const wasm_valtype *ts, uint32_t n);

/* Enters a block: pushes a frame and then its params onto the operand stack. */
bool wasm_vpush_ctrl(wasm_vstate *s, uint8_t opcode, const wasm_valtype *params, uint32_t nparams,
                     const wasm_valtype *results, uint32_t nresults);
/* Leaves the innermost block: its results must be exactly what remains above its height. */
bool wasm_vpop_ctrl(wasm_vstate *s, wasm_vframe *out);
/* Marks the rest of the innermost block as stack-polymorphic. */
void wasm_vunreachable(wasm_vstate *s);

/* The types a branch to `f` carries: loop params, or the results of any other block. */
static inline const wasm_valtype *wasm_vlabel_types(const wasm_vframe *f, uint32_t *n)
{
    if (f->opcode == WASM_OP_LOOP) {
        *n = f->nparams;
        return f->params;
    }
    *n = f->nresults;
    return f->results;
}

#endif
