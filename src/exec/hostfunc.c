/*
 * hostfunc.c - host functions: isola_func objects backed by a C callback,
 * owning a copy of their type, with the type interned in the engine's
 * registry so call_indirect and import matching compare ids as for wasm
 * functions.
 */
#include "exec/hostfunc.h"

#include <assert.h>
#include <stdlib.h>

#include "exec/global.h"
#include "exec/types.h"
#include "util/error.h"
#include "util/refcount.h"

static bool hostfunc_check_type(const isola_functype *type, isola_error *err)
{
    if (type->nparams > WASM_MAX_FUNC_PARAMS || type->nresults > WASM_MAX_FUNC_RESULTS)
        return util_error_set(err, ISOLA_ERR_ARGUMENT, "function type has too many params or results");
    if ((type->nparams && !type->params) || (type->nresults && !type->results))
        return util_error_set(err, ISOLA_ERR_ARGUMENT, "function type is missing its value types");
    for (uint32_t i = 0; i < type->nparams; i++)
        if (!exec_valtype_ok((int)type->params[i]))
            return util_error_set(err, ISOLA_ERR_ARGUMENT, "unknown value type 0x%x", (unsigned)type->params[i]);
    for (uint32_t i = 0; i < type->nresults; i++)
        if (!exec_valtype_ok((int)type->results[i]))
            return util_error_set(err, ISOLA_ERR_ARGUMENT, "unknown value type 0x%x", (unsigned)type->results[i]);
    return true;
}

isola_func *isola_func_new(isola_engine *engine, const isola_functype *type,
                           isola_host_fn fn, void *user, isola_error *err)
{
    if (!engine || !type || !fn) {
        util_error_set(err, ISOLA_ERR_ARGUMENT, "isola_func_new needs an engine, a type and a function");
        return NULL;
    }
    if (!hostfunc_check_type(type, err))
        return NULL;
    exec_host_func *h = calloc(1, sizeof *h);
    uint32_t n = type->nparams + type->nresults;
    wasm_valtype *types = h ? malloc(n ? n : 1) : NULL;
    if (!types) {
        free(h);
        util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory allocating a host function");
        return NULL;
    }
    for (uint32_t i = 0; i < type->nparams; i++)
        types[i] = (wasm_valtype)type->params[i];
    for (uint32_t i = 0; i < type->nresults; i++)
        types[type->nparams + i] = (wasm_valtype)type->results[i];
    h->type = (wasm_functype){.nparams = type->nparams, .nresults = type->nresults, .types = types};
    if (!exec_types_intern(engine->types, &h->type, &h->func.type_id)) {
        free(types);
        free(h);
        util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory interning a function type");
        return NULL;
    }
    h->func.type = &h->type;
    h->func.host = h;
    h->fn = fn;
    h->user = user;
    h->engine = engine;
    atomic_init(&h->refcount, 1);
    return &h->func;
}

isola_func *exec_func_retain(isola_func *f)
{
    if (exec_func_is_host(f))
        atomic_fetch_add(&f->host->refcount, 1);
    return f;
}

void isola_func_release(isola_func *func)
{
    if (!func || !exec_func_is_host(func))
        return;
    exec_host_func *h = func->host;
    if (util_ref_drop(&h->refcount)) {
        free(h->type.types);
        free(h);
    }
}

void isola_func_type(const isola_func *func, isola_functype *type)
{
    exec_types_api(exec_func_engine(func)->types, func->type_id, type);
}
