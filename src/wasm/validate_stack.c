/*
 * validate_stack.c - operand and control stacks of the validation algorithm:
 * push/pop with the "Unknown" type of stack-polymorphic code, block entry and
 * exit, and error reporting at the current instruction.
 */
#include "wasm/validate_stack.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wasm_vstate_init(wasm_vstate *s, const wasm_module *m, wasm_error *err)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->err = err;
}

void wasm_vstate_free(wasm_vstate *s)
{
    free(s->vals);
    free(s->frames);
    s->vals = NULL;
    s->frames = NULL;
    s->cap_vals = s->cap_frames = 0;
    s->nvals = s->nframes = 0;
}

void wasm_vstate_reset(wasm_vstate *s)
{
    s->nvals = 0;
    s->nframes = 0;
}

bool wasm_vfail(wasm_vstate *s, const char *fmt, ...)
{
    if (s->err) {
        va_list ap;
        va_start(ap, fmt);
        s->err->offset = s->op_offset;
        vsnprintf(s->err->message, sizeof s->err->message, fmt, ap);
        va_end(ap);
    }
    return false;
}

bool wasm_vfail_malformed(wasm_vstate *s, const char *reason)
{
    wasm_vfail(s, "%s", reason);
    if (s->err)
        s->err->kind = WASM_ERROR_MALFORMED;
    return false;
}

const wasm_valtype *wasm_valtype_single(wasm_valtype t)
{
    static const wasm_valtype all[] = {WASM_I32,  WASM_I64,     WASM_F32,       WASM_F64,
                                       WASM_V128, WASM_FUNCREF, WASM_EXTERNREF, WASM_VT_UNKNOWN};
    size_t i = 0;
    while (all[i] != t && all[i] != WASM_VT_UNKNOWN)
        i++;
    return &all[i];
}

const char *wasm_valtype_name(wasm_valtype t)
{
    switch (t) {
    case WASM_I32: return "i32";
    case WASM_I64: return "i64";
    case WASM_F32: return "f32";
    case WASM_F64: return "f64";
    case WASM_V128: return "v128";
    case WASM_FUNCREF: return "funcref";
    case WASM_EXTERNREF: return "externref";
    case WASM_VT_UNKNOWN: return "unknown";
    default: return "invalid";
    }
}

/* Grows an array geometrically so that it holds at least `need` elements. */
static bool grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? (size_t)*cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        return false;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = (uint32_t)ncap;
    return true;
}

bool wasm_vpush_slow(wasm_vstate *s, wasm_valtype t)
{
    if (s->nvals == s->cap_vals && !grow((void **)&s->vals, &s->cap_vals, s->nvals + 1, sizeof *s->vals))
        return wasm_vfail(s, "out of memory (operand stack)");
    s->vals[s->nvals++] = t;
    return true;
}

bool wasm_vpush_n(wasm_vstate *s, const wasm_valtype *ts, uint32_t n)
{
    if ((uint64_t)s->nvals + n > UINT32_MAX ||
        !grow((void **)&s->vals, &s->cap_vals, s->nvals + n, sizeof *s->vals))
        return wasm_vfail(s, "out of memory (operand stack)");
    if (n)
        memcpy(s->vals + s->nvals, ts, n);
    s->nvals += n;
    return true;
}

bool wasm_vpop_any(wasm_vstate *s, wasm_valtype *out)
{
    assert(s->nframes > 0);
    const wasm_vframe *f = &s->frames[s->nframes - 1];
    assert(s->nvals >= f->height);
    if (s->nvals == f->height) {
        if (f->unreachable) {
            *out = WASM_VT_UNKNOWN;
            return true;
        }
        return wasm_vfail(s, "type mismatch: expected a value, but the stack is empty");
    }
    *out = s->vals[--s->nvals];
    return true;
}

static bool types_match(wasm_valtype actual, wasm_valtype expect)
{
    return actual == expect || actual == WASM_VT_UNKNOWN || expect == WASM_VT_UNKNOWN;
}

bool wasm_vpop_slow(wasm_vstate *s, wasm_valtype expect)
{
    assert(s->nframes > 0);
    const wasm_vframe *f = &s->frames[s->nframes - 1];
    if (s->nvals == f->height) {
        if (f->unreachable)
            return true;
        return wasm_vfail(s, "type mismatch: expected %s, but the stack is empty", wasm_valtype_name(expect));
    }
    wasm_valtype actual = s->vals[--s->nvals];
    if (!types_match(actual, expect))
        return wasm_vfail(s, "type mismatch: expected %s, got %s", wasm_valtype_name(expect),
                          wasm_valtype_name(actual));
    return true;
}

bool wasm_vpop_n(wasm_vstate *s, const wasm_valtype *ts, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;)
        if (!wasm_vpop(s, ts[i]))
            return false;
    return true;
}

bool wasm_vpeek_n(wasm_vstate *s, const wasm_valtype *ts, uint32_t n)
{
    assert(s->nframes > 0);
    const wasm_vframe *f = &s->frames[s->nframes - 1];
    uint32_t avail = s->nvals - f->height;
    for (uint32_t k = 0; k < n; k++) {
        wasm_valtype expect = ts[n - 1 - k];
        if (k >= avail) {
            if (f->unreachable)
                return true;   /* everything below is Unknown */
            return wasm_vfail(s, "type mismatch: expected %s, but the stack is empty", wasm_valtype_name(expect));
        }
        wasm_valtype actual = s->vals[s->nvals - 1 - k];
        if (!types_match(actual, expect))
            return wasm_vfail(s, "type mismatch: expected %s, got %s", wasm_valtype_name(expect),
                              wasm_valtype_name(actual));
    }
    return true;
}

bool wasm_vpush_ctrl(wasm_vstate *s, uint8_t opcode, const wasm_valtype *params, uint32_t nparams,
                     const wasm_valtype *results, uint32_t nresults)
{
    if (s->nframes == s->cap_frames &&
        !grow((void **)&s->frames, &s->cap_frames, s->nframes + 1, sizeof *s->frames))
        return wasm_vfail(s, "out of memory (control stack)");
    s->frames[s->nframes++] = (wasm_vframe){
        .opcode = opcode,
        .unreachable = false,
        .height = s->nvals,
        .nparams = nparams,
        .nresults = nresults,
        .params = params,
        .results = results,
    };
    return wasm_vpush_n(s, params, nparams);
}

bool wasm_vpop_ctrl(wasm_vstate *s, wasm_vframe *out)
{
    assert(s->nframes > 0);
    const wasm_vframe *f = &s->frames[s->nframes - 1];
    if (!wasm_vpop_n(s, f->results, f->nresults))
        return false;
    if (s->nvals != f->height)
        return wasm_vfail(s, "type mismatch: %u extra value(s) left at the end of the block",
                          s->nvals - f->height);
    *out = *f;
    s->nframes--;
    return true;
}

void wasm_vunreachable(wasm_vstate *s)
{
    assert(s->nframes > 0);
    wasm_vframe *f = &s->frames[s->nframes - 1];
    s->nvals = f->height;
    f->unreachable = true;
}
