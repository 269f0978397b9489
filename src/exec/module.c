/*
 * module.c - isola_module: load (decode, validate, intern types, translate
 * every body once), reference counting, and the import/export queries.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "exec/runtime.h"
#include "exec/translate.h"
#include "exec/types.h"
#include "util/error.h"
#include "util/refcount.h"
#include "wasm/decode.h"
#include "wasm/validate.h"

static void module_free(isola_module *module)
{
    const wasm_module *m = module->wasm;
    if (module->code) {
        for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
            if (module->code[i])
                exec_code_free(module->code[i]);
    }
    free(module->code);
    free(module->func_template);
    free(module->import_type_ids);
    free(module->type_ids);
    wasm_module_free(module->wasm);
    free(module);
}

static bool module_intern_types(isola_module *module, isola_error *err)
{
    const wasm_module *m = module->wasm;
    module->type_ids = malloc((m->ntypes ? m->ntypes : 1) * sizeof *module->type_ids);
    if (!module->type_ids)
        return util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory loading a module");
    for (uint32_t i = 0; i < m->ntypes; i++)
        if (!exec_types_intern(module->engine->types, &m->types[i], &module->type_ids[i]))
            return util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory interning function types");
    return true;
}

static bool module_translate(isola_module *module, isola_error *err)
{
    const wasm_module *m = module->wasm;
    uint32_t ndefined = m->nfuncs - m->nfunc_imports;
    module->code = calloc(ndefined ? ndefined : 1, sizeof *module->code);
    if (!module->code)
        return util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory loading a module");
    for (uint32_t i = 0; i < ndefined; i++) {
        wasm_error werr = {0};
        module->code[i] = exec_translate(module, m->nfunc_imports + i, &werr);
        if (!module->code[i]) {
            util_error_from_wasm(err, ISOLA_ERR_RESOURCE, &werr);
            return false;
        }
    }
    for (uint32_t i = 0; i < ndefined; i++)
        exec_code_link(module->code[i]);
    return true;
}

/* module->func_template from the translated code, and
 * module->import_type_ids (see runtime.h). */
static bool module_func_template(isola_module *module, isola_error *err)
{
    const wasm_module *m = module->wasm;
    module->import_type_ids = calloc(m->nimports ? m->nimports : 1, sizeof *module->import_type_ids);
    if (!module->import_type_ids)
        return util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory loading a module");
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == WASM_EXTERN_FUNC)
            module->import_type_ids[i] = module->type_ids[m->imports[i].type.typeidx];
    uint32_t ndefined = m->nfuncs - m->nfunc_imports;
    module->func_template = calloc(ndefined ? ndefined : 1, sizeof *module->func_template);
    if (!module->func_template)
        return util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory loading a module");
    for (uint32_t i = 0; i < ndefined; i++) {
        uint32_t typeidx = m->funcs[m->nfunc_imports + i].typeidx;
        module->func_template[i] = (isola_func){.type_id = module->type_ids[typeidx],
                                                .func_index = m->nfunc_imports + i,
                                                .type = &m->types[typeidx],
                                                .code = module->code[i]};
    }
    return true;
}

static isola_error_kind module_error_kind(const wasm_error *werr, isola_error_kind by_phase)
{
    switch (werr->kind) {
    case WASM_ERROR_MALFORMED: return ISOLA_ERR_MALFORMED;
    case WASM_ERROR_INVALID: return ISOLA_ERR_INVALID;
    default: return by_phase;
    }
}

/* Decodes and validates into a wasm_module, mapping errors to MALFORMED / INVALID. */
static wasm_module *module_decode_validate(const uint8_t *bytes, size_t len, isola_error *err)
{
    wasm_error werr = {0};
    wasm_module *m = wasm_decode(bytes, len, &werr);
    if (!m) {
        util_error_from_wasm(err, module_error_kind(&werr, ISOLA_ERR_MALFORMED), &werr);
        return NULL;
    }
    if (!wasm_validate(m, &werr)) {
        util_error_from_wasm(err, module_error_kind(&werr, ISOLA_ERR_INVALID), &werr);
        wasm_module_free(m);
        return NULL;
    }
    return m;
}

isola_module *isola_module_load(isola_engine *engine, const uint8_t *bytes, size_t len, isola_error *err)
{
    if (!engine || (!bytes && len)) {
        util_error_set(err, ISOLA_ERR_ARGUMENT, "isola_module_load needs an engine and bytes");
        return NULL;
    }
    wasm_module *m = module_decode_validate(bytes, len, err);
    if (!m)
        return NULL;
    isola_module *module = calloc(1, sizeof *module);
    if (!module) {
        wasm_module_free(m);
        util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory loading a module");
        return NULL;
    }
    module->engine = engine;
    module->wasm = m;
    atomic_init(&module->refcount, 1);
    if (!module_intern_types(module, err) || !module_translate(module, err) ||
        !module_func_template(module, err)) {
        module_free(module);
        return NULL;
    }
    return module;
}

bool isola_module_validate(const uint8_t *bytes, size_t len, isola_error *err)
{
    if (!bytes && len)
        return util_error_set(err, ISOLA_ERR_ARGUMENT, "no bytes to validate");
    wasm_module *m = module_decode_validate(bytes, len, err);
    wasm_module_free(m);
    return m != NULL;
}

isola_module *isola_module_retain(isola_module *module)
{
    atomic_fetch_add(&module->refcount, 1);
    return module;
}

void isola_module_release(isola_module *module)
{
    if (module && util_ref_drop(&module->refcount))
        module_free(module);
}

/* ------------------------------------------------------------ queries */

static isola_limits module_limits(wasm_limits l)
{
    return (isola_limits){.min = l.min, .max = l.max, .has_max = l.has_max};
}

static void module_func_type(const isola_module *module, uint32_t typeidx, isola_externtype *type)
{
    assert(typeidx < module->wasm->ntypes);
    type->kind = ISOLA_EXTERN_FUNC;
    exec_types_api(module->engine->types, module->type_ids[typeidx], &type->func);
}

uint32_t isola_module_import_count(const isola_module *module)
{
    return module->wasm->nimports;
}

void isola_module_import(const isola_module *module, uint32_t i,
                         const char **module_name, size_t *module_len,
                         const char **field_name, size_t *field_len,
                         isola_externtype *type)
{
    assert(i < module->wasm->nimports);
    const wasm_import *imp = &module->wasm->imports[i];
    if (module_name)
        *module_name = imp->module.data;
    if (module_len)
        *module_len = imp->module.len;
    if (field_name)
        *field_name = imp->field.data;
    if (field_len)
        *field_len = imp->field.len;
    if (!type)
        return;
    memset(type, 0, sizeof *type);
    type->kind = (isola_extern_kind)imp->kind;
    switch (imp->kind) {
    case WASM_EXTERN_FUNC:
        module_func_type(module, imp->type.typeidx, type);
        break;
    case WASM_EXTERN_TABLE:
        type->table.elem = (isola_valtype)imp->type.table.elemtype;
        type->table.limits = module_limits(imp->type.table.limits);
        break;
    case WASM_EXTERN_MEMORY:
        type->memory = module_limits(imp->type.memory.limits);
        break;
    case WASM_EXTERN_GLOBAL:
        type->global.type = (isola_valtype)imp->type.global.type;
        type->global.mutable_ = imp->type.global.mutable_;
        break;
    }
}

uint32_t isola_module_export_count(const isola_module *module)
{
    return module->wasm->nexports;
}

void isola_module_export(const isola_module *module, uint32_t i,
                         const char **name, size_t *name_len, isola_externtype *type)
{
    const wasm_module *m = module->wasm;
    assert(i < m->nexports);
    const wasm_export *exp = &m->exports[i];
    if (name)
        *name = exp->name.data;
    if (name_len)
        *name_len = exp->name.len;
    if (!type)
        return;
    memset(type, 0, sizeof *type);
    type->kind = (isola_extern_kind)exp->kind;
    switch (exp->kind) {
    case WASM_EXTERN_FUNC:
        module_func_type(module, m->funcs[exp->index].typeidx, type);
        break;
    case WASM_EXTERN_TABLE:
        type->table.elem = (isola_valtype)m->tables[exp->index].type.elemtype;
        type->table.limits = module_limits(m->tables[exp->index].type.limits);
        break;
    case WASM_EXTERN_MEMORY:
        type->memory = module_limits(m->memories[exp->index].type.limits);
        break;
    case WASM_EXTERN_GLOBAL:
        type->global.type = (isola_valtype)m->globals[exp->index].type.type;
        type->global.mutable_ = m->globals[exp->index].type.mutable_;
        break;
    }
}
