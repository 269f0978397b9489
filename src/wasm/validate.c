/*
 * validate.c - wasm_validate(): the module-level rules of WebAssembly 2.0
 * (index spaces, limits, constant expressions, segments, exports, start
 * function, declared function references) and the driver that runs the
 * body checker of validate_func.c over every defined function.
 *
 * The module IR does not keep section offsets, so module-level errors are
 * reported at offset 0 with the offending entity named in the message; body
 * errors carry the exact byte offset of the instruction.
 */
#include "wasm/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/validate_func.h"
#include "wasm/validate_stack.h"

static bool fail(wasm_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(wasm_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->offset = 0;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* ---- types and limits ---- */

static bool check_func_types(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->funcs[i].typeidx >= m->ntypes)
            return fail(err, "unknown type %u (function %u)", m->funcs[i].typeidx, i);
    return true;
}

static bool check_limits(const wasm_limits *l, uint64_t bound, const char *what, uint32_t index, wasm_error *err)
{
    if (l->has_max && l->min > l->max)
        return fail(err, "size minimum must not be greater than maximum (%s %u)", what, index);
    if (l->min > bound || (l->has_max && l->max > bound)) {
        if (bound == WASM_MAX_PAGES)
            return fail(err, "memory size must be at most 65536 pages (4GiB)");
        return fail(err, "%s %u: size must be at most %llu", what, index, (unsigned long long)bound);
    }
    return true;
}

static bool check_tables(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->ntables; i++) {
        const wasm_tabletype *t = &m->tables[i].type;
        if (!wasm_valtype_is_ref(t->elemtype))
            return fail(err, "malformed reference type (table %u)", i);
        if (!check_limits(&t->limits, UINT32_MAX, "table", i, err))
            return false;
    }
    return true;
}

static bool check_memories(const wasm_module *m, wasm_error *err)
{
    if (m->nmemories > 1)
        return fail(err, "multiple memories");
    for (uint32_t i = 0; i < m->nmemories; i++)
        if (!check_limits(&m->memories[i].type.limits, WASM_MAX_PAGES, "memory", i, err))
            return false;
    return true;
}

/* ---- constant expressions ---- */

/*
 * In WebAssembly 2.0 a constant expression sees only the imported globals,
 * and only immutable ones, so initialization order never matters.
 */
static bool check_constexpr(const wasm_module *m, const wasm_constexpr *e, wasm_valtype expect, const char *what,
                            uint32_t index, wasm_error *err)
{
    wasm_valtype actual;
    switch (e->op) {
    case WASM_CONST_I32: actual = WASM_I32; break;
    case WASM_CONST_I64: actual = WASM_I64; break;
    case WASM_CONST_F32: actual = WASM_F32; break;
    case WASM_CONST_F64: actual = WASM_F64; break;
    case WASM_CONST_V128: actual = WASM_V128; break;
    case WASM_CONST_REF_NULL:
        actual = e->value.reftype;
        if (!wasm_valtype_is_ref(actual))
            return fail(err, "malformed reference type (%s %u)", what, index);
        break;
    case WASM_CONST_REF_FUNC:
        if (e->value.index >= m->nfuncs)
            return fail(err, "unknown function %u (%s %u)", e->value.index, what, index);
        actual = WASM_FUNCREF;
        break;
    case WASM_CONST_GLOBAL_GET: {
        uint32_t g = e->value.index;
        if (g >= m->nglobals || !m->globals[g].imported)
            return fail(err, "unknown global %u (%s %u: constant expressions may only read imported globals)", g,
                        what, index);
        if (m->globals[g].type.mutable_)
            return fail(err, "constant expression required (%s %u reads mutable global %u)", what, index, g);
        actual = m->globals[g].type.type;
        break;
    }
    default: return fail(err, "constant expression required (%s %u)", what, index);
    }
    if (actual != expect)
        return fail(err, "type mismatch: %s %u has a constant of type %s, expected %s", what, index,
                    wasm_valtype_name(actual), wasm_valtype_name(expect));
    return true;
}

static bool check_globals(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nglobals; i++) {
        const wasm_global *g = &m->globals[i];
        if (!wasm_valtype_valid(g->type.type))
            return fail(err, "malformed value type (global %u)", i);
        if (!g->imported && !check_constexpr(m, &g->init, g->type.type, "global", i, err))
            return false;
    }
    return true;
}

/* ---- segments ---- */

static bool check_elems(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem_segment *e = &m->elems[i];
        if (!wasm_valtype_is_ref(e->elemtype))
            return fail(err, "malformed reference type (elem segment %u)", i);
        for (uint32_t k = 0; k < e->count; k++)
            if (!check_constexpr(m, &e->items[k], e->elemtype, "elem segment", i, err))
                return false;
        if (e->mode != WASM_SEGMENT_ACTIVE)
            continue;
        if (e->table_index >= m->ntables)
            return fail(err, "unknown table %u (elem segment %u)", e->table_index, i);
        if (m->tables[e->table_index].type.elemtype != e->elemtype)
            return fail(err, "type mismatch: elem segment %u of %s for a table of %s", i,
                        wasm_valtype_name(e->elemtype), wasm_valtype_name(m->tables[e->table_index].type.elemtype));
        if (!check_constexpr(m, &e->offset, WASM_I32, "elem segment offset", i, err))
            return false;
    }
    return true;
}

static bool check_datas(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wasm_data_segment *d = &m->datas[i];
        if (d->mode != WASM_SEGMENT_ACTIVE)
            continue;
        if (d->memory_index >= m->nmemories)
            return fail(err, "unknown memory %u (data segment %u)", d->memory_index, i);
        if (!check_constexpr(m, &d->offset, WASM_I32, "data segment offset", i, err))
            return false;
    }
    return true;
}

/* ---- exports and start ---- */

static bool check_export_index(const wasm_module *m, const wasm_export *e, uint32_t i, wasm_error *err)
{
    switch (e->kind) {
    case WASM_EXTERN_FUNC:
        if (e->index >= m->nfuncs)
            return fail(err, "unknown function %u (export %u)", e->index, i);
        return true;
    case WASM_EXTERN_TABLE:
        if (e->index >= m->ntables)
            return fail(err, "unknown table %u (export %u)", e->index, i);
        return true;
    case WASM_EXTERN_MEMORY:
        if (e->index >= m->nmemories)
            return fail(err, "unknown memory %u (export %u)", e->index, i);
        return true;
    case WASM_EXTERN_GLOBAL:
        if (e->index >= m->nglobals)
            return fail(err, "unknown global %u (export %u)", e->index, i);
        return true;
    default: return fail(err, "malformed export kind %u (export %u)", e->kind, i);
    }
}

static int compare_names(const void *a, const void *b)
{
    const wasm_name *x = *(const wasm_name *const *)a;
    const wasm_name *y = *(const wasm_name *const *)b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Sorting makes the uniqueness check O(n log n) for modules with many exports. */
static bool check_export_names(const wasm_module *m, wasm_error *err)
{
    if (m->nexports < 2)
        return true;
    const wasm_name **names = malloc(sizeof *names * m->nexports);
    if (!names)
        return fail(err, "out of memory (export names)");
    for (uint32_t i = 0; i < m->nexports; i++)
        names[i] = &m->exports[i].name;
    qsort(names, m->nexports, sizeof *names, compare_names);
    bool ok = true;
    for (uint32_t i = 1; i < m->nexports && ok; i++)
        if (compare_names(&names[i - 1], &names[i]) == 0)
            ok = fail(err, "duplicate export name \"%.*s\"", (int)(names[i]->len > 64 ? 64 : names[i]->len),
                      names[i]->data);
    free(names);
    return ok;
}

static bool check_exports(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nexports; i++)
        if (!check_export_index(m, &m->exports[i], i, err))
            return false;
    return check_export_names(m, err);
}

static bool check_start(const wasm_module *m, wasm_error *err)
{
    if (!m->has_start)
        return true;
    if (m->start >= m->nfuncs)
        return fail(err, "unknown function %u (start function)", m->start);
    const wasm_functype *t = wasm_func_type(m, m->start);
    if (t->nparams != 0 || t->nresults != 0)
        return fail(err, "start function %u must have type [] -> []", m->start);
    return true;
}

/* ---- declared function references (the spec's C.refs) ---- */

static void declare_constexpr(bool *declared, const wasm_module *m, const wasm_constexpr *e)
{
    if (e->op == WASM_CONST_REF_FUNC && e->value.index < m->nfuncs)
        declared[e->value.index] = true;
}

/* Functions named by ref.func outside function bodies, or exported, may be referenced in bodies. */
static bool *collect_declared(const wasm_module *m)
{
    bool *declared = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *declared);
    if (!declared)
        return NULL;
    for (uint32_t i = 0; i < m->nglobals; i++)
        if (!m->globals[i].imported)
            declare_constexpr(declared, m, &m->globals[i].init);
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem_segment *e = &m->elems[i];
        for (uint32_t k = 0; k < e->count; k++)
            declare_constexpr(declared, m, &e->items[k]);
        if (e->mode == WASM_SEGMENT_ACTIVE)
            declare_constexpr(declared, m, &e->offset);
    }
    for (uint32_t i = 0; i < m->ndatas; i++)
        if (m->datas[i].mode == WASM_SEGMENT_ACTIVE)
            declare_constexpr(declared, m, &m->datas[i].offset);
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == WASM_EXTERN_FUNC && m->exports[i].index < m->nfuncs)
            declared[m->exports[i].index] = true;
    return declared;
}

/* ---- function bodies ---- */

static bool check_bodies(const wasm_module *m, wasm_error *err)
{
    bool *declared = collect_declared(m);
    if (!declared)
        return fail(err, "out of memory (function references)");
    wasm_vstate s;
    wasm_vstate_init(&s, m, err);
    bool ok = true;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs && ok; i++)
        ok = wasm_validate_body(&s, i, declared);
    wasm_vstate_free(&s);
    free(declared);
    return ok;
}

bool wasm_validate(const wasm_module *m, wasm_error *err)
{
    return check_func_types(m, err) && check_tables(m, err) && check_memories(m, err) && check_globals(m, err) &&
           check_elems(m, err) && check_datas(m, err) && check_exports(m, err) && check_start(m, err) &&
           check_bodies(m, err);
}
