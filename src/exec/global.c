/*
 * global.c - global cells, value/slot conversions and constant-expression
 * evaluation (see global.h).
 */
#include "exec/global.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "exec/instance.h"
#include "util/error.h"
#include "util/refcount.h"

isola_global *exec_global_create(wasm_globaltype type, const uint64_t value[2], isola_error *err)
{
    isola_global *g = calloc(1, sizeof *g);
    if (!g) {
        util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory allocating a global");
        return NULL;
    }
    g->value[0] = value[0];
    g->value[1] = value[1];
    g->type = type.type;
    g->mutable_ = type.mutable_;
    atomic_init(&g->refcount, 1);
    return g;
}

isola_global *exec_global_retain(isola_global *g)
{
    atomic_fetch_add(&g->refcount, 1);
    return g;
}

bool exec_valtype_ok(int t)
{
    switch (t) {
    case WASM_I32: case WASM_I64: case WASM_F32: case WASM_F64:
    case WASM_V128: case WASM_FUNCREF: case WASM_EXTERNREF:
        return true;
    default:
        return false;
    }
}

void exec_value_to_slots(const isola_value *v, uint64_t out[2])
{
    out[0] = out[1] = 0;
    switch (v->type) {
    case ISOLA_I32: out[0] = (uint32_t)v->of.i32; break;
    case ISOLA_I64: out[0] = (uint64_t)v->of.i64; break;
    case ISOLA_F32: out[0] = v->of.f32_bits; break;
    case ISOLA_F64: out[0] = v->of.f64_bits; break;
    case ISOLA_V128: memcpy(out, v->of.v128, 16); break;
    case ISOLA_FUNCREF: out[0] = (uint64_t)(uintptr_t)v->of.funcref; break;
    case ISOLA_EXTERNREF: out[0] = (uint64_t)(uintptr_t)v->of.externref; break;
    }
}

isola_value exec_value_from_slots(wasm_valtype type, const uint64_t in[2])
{
    isola_value v;
    memset(&v, 0, sizeof v);
    v.type = (isola_valtype)type;
    switch (type) {
    case WASM_I32: v.of.i32 = (int32_t)(uint32_t)in[0]; break;
    case WASM_I64: v.of.i64 = (int64_t)in[0]; break;
    case WASM_F32: v.of.f32_bits = (uint32_t)in[0]; break;
    case WASM_F64: v.of.f64_bits = in[0]; break;
    case WASM_V128: memcpy(v.of.v128, in, 16); break;
    case WASM_FUNCREF: v.of.funcref = (isola_func *)(uintptr_t)in[0]; break;
    case WASM_EXTERNREF: v.of.externref = (void *)(uintptr_t)in[0]; break;
    default: assert(!"bad valtype");
    }
    return v;
}

void exec_const_eval(isola_instance *inst, const wasm_constexpr *e, uint64_t out[2])
{
    out[0] = out[1] = 0;
    switch (e->op) {
    case WASM_CONST_I32: out[0] = e->value.i32; break;
    case WASM_CONST_I64: out[0] = e->value.i64; break;
    case WASM_CONST_F32: out[0] = e->value.f32_bits; break;
    case WASM_CONST_F64: out[0] = e->value.f64_bits; break;
    case WASM_CONST_V128: memcpy(out, e->value.v128, 16); break;
    case WASM_CONST_REF_NULL: break;
    case WASM_CONST_REF_FUNC:
        assert(e->value.index < inst->module->wasm->nfuncs);
        /* Without memory for the function object: a null reference. */
        out[0] = (uint64_t)(uintptr_t)exec_instance_func(inst, e->value.index);
        break;
    case WASM_CONST_GLOBAL_GET:
        assert(e->value.index < inst->module->wasm->nglobals && inst->globals[e->value.index]);
        out[0] = inst->globals[e->value.index]->value[0];
        out[1] = inst->globals[e->value.index]->value[1];
        break;
    default:
        assert(!"constant expression not validated");
    }
}

/* ------------------------------------------------------------ public API */

isola_global *isola_global_new(isola_engine *engine, isola_value value, bool mutable_, isola_error *err)
{
    (void)engine;
    if (!exec_valtype_ok((int)value.type)) {
        util_error_set(err, ISOLA_ERR_ARGUMENT, "unknown value type 0x%x", (unsigned)value.type);
        return NULL;
    }
    uint64_t slots[2];
    exec_value_to_slots(&value, slots);
    wasm_globaltype type = {.type = (wasm_valtype)value.type, .mutable_ = mutable_};
    return exec_global_create(type, slots, err);
}

void isola_global_release(isola_global *global)
{
    if (global && util_ref_drop(&global->refcount))
        free(global);
}

isola_value isola_global_get(const isola_global *global)
{
    return exec_value_from_slots(global->type, global->value);
}

bool isola_global_set(isola_global *global, isola_value value)
{
    if (!global->mutable_ || (int)value.type != global->type)
        return false;
    exec_value_to_slots(&value, global->value);
    return true;
}
