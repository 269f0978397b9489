/*
 * instance.c - isola_instantiate and the instance lifecycle.
 *
 * Instantiation follows WebAssembly 2.0: check every import against its
 * declared type; create the instance's functions, memories, tables and
 * globals (evaluating initialisers in order); run the active element
 * segments (table.init, then elem.drop), drop the declarative ones; run the
 * active data segments (memory.init, then data.drop); call the start
 * function. An out-of-bounds segment traps, and writes made by earlier
 * segments into imported tables and memories stay.
 *
 * Function objects
 *   A call inside the module goes to the callee's code (call_direct), so
 *   an instance's function objects are made only for functions that escape
 *   (exec_instance_func): an export, a funcref, a table element, the start
 *   function, a backtrace. A process of a module with dozens of functions
 *   typically makes one, its entry, instead of copying them all per spawn.
 *
 * Lifetimes
 *   An instance holds a reference on every object it imports and on every
 *   instance that defined one of them (the owner of a function, table,
 *   memory or global), so the host may release objects in any order, and
 *   an imported table can never hold functions of a dead owner.
 *
 *   Tables do not reference the functions stored in them: that would make
 *   cycles (an instance holding a table holding the instance's functions)
 *   that reference counting never frees. Instead, when an instance goes away
 *   it clears its functions out of every table and global it could have
 *   stored them in, so they read as null rather than dangle: the tables and
 *   globals it imported, and all tables and globals of the instances it
 *   imports from, transitively (it can pass them funcrefs by calling them).
 *   Not covered: funcrefs handed to a host function, or passed to an
 *   instance outside that import closure (say, by call_indirect through a
 *   host-created table): embedders that allow that must keep the source
 *   instance alive while its functions may be called.
 *
 *   One case the spec requires more: when instantiation traps after its
 *   element segments (or its start function) may have put its functions
 *   into imported tables, those functions must stay callable. Such an
 *   instance is handed to the engine, which keeps it until it is released.
 */
#include "exec/instance.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "exec/engine.h"
#include "exec/global.h"
#include "exec/hostfunc.h"
#include "exec/memory.h"
#include "exec/table.h"
#include "util/error.h"
#include "util/refcount.h"

/* ------------------------------------------------------------ import checks */

bool exec_limits_match(uint32_t actual_min, wasm_limits actual, wasm_limits declared)
{
    if (actual_min < declared.min)
        return false;
    if (!declared.has_max)
        return true;
    return actual.has_max && actual.max <= declared.max;
}

static bool instance_link_error(isola_error *err, const wasm_import *imp, const char *what)
{
    return util_error_set(err, ISOLA_ERR_LINK, "%s \"%.*s\" \"%.*s\"", what,
                          (int)imp->module.len, imp->module.data, (int)imp->field.len, imp->field.data);
}

static bool instance_import_matches(isola_engine *engine, const isola_module *module,
                                    const wasm_import *imp, const isola_extern *ext)
{
    switch (imp->kind) {
    case WASM_EXTERN_FUNC: {
        const isola_func *f = ext->of.func;
        return exec_func_engine(f) == engine && f->type_id == module->type_ids[imp->type.typeidx];
    }
    case WASM_EXTERN_TABLE: {
        const isola_table *t = ext->of.table;
        return t->elemtype == imp->type.table.elemtype &&
               exec_limits_match(t->size, t->declared, imp->type.table.limits);
    }
    case WASM_EXTERN_MEMORY: {
        const isola_memory *mem = ext->of.memory;
        return exec_limits_match(mem->pages, mem->declared, imp->type.memory.limits);
    }
    case WASM_EXTERN_GLOBAL: {
        const isola_global *g = ext->of.global;
        return g->type == imp->type.global.type && g->mutable_ == imp->type.global.mutable_;
    }
    }
    return false;
}

/* The common case in one compact loop: every import a function of this
 * engine with the expected type (module->import_type_ids). False when
 * not, or when the module imports anything else. */
static bool instance_funcs_match(isola_engine *engine, const isola_module *module, const isola_extern *imports,
                                 uint32_t nimports)
{
    if (nimports != module->wasm->nfunc_imports)
        return false;
    for (uint32_t i = 0; i < nimports; i++) {
        const isola_func *f = imports[i].of.func;
        if (imports[i].kind != ISOLA_EXTERN_FUNC || !f || exec_func_engine(f) != engine ||
            f->type_id != module->import_type_ids[i])
            return false;
    }
    return true;
}

static bool instance_check_imports(isola_engine *engine, const isola_module *module,
                                   const isola_extern *imports, uint32_t nimports, isola_error *err)
{
    const wasm_module *m = module->wasm;
    if (nimports != m->nimports)
        return util_error_set(err, ISOLA_ERR_LINK, "unknown import: the module has %u imports, %u given",
                              m->nimports, nimports);
    if (nimports && !imports)
        return util_error_set(err, ISOLA_ERR_ARGUMENT, "imports missing");
    if (instance_funcs_match(engine, module, imports, nimports))
        return true;
    /* Something does not match, or not all are functions: the general
     * check, which also names the import. */
    for (uint32_t i = 0; i < nimports; i++) {
        const wasm_import *imp = &m->imports[i];
        const isola_extern *ext = &imports[i];
        if (!ext->of.func)       /* any member: they share the storage */
            return instance_link_error(err, imp, "unknown import");
        if ((int)ext->kind != imp->kind || !instance_import_matches(engine, module, imp, ext))
            return instance_link_error(err, imp, "incompatible import type");
    }
    return true;
}

/* ------------------------------------------------------------ allocation */

/* Reserves `count` items of `size` bytes (aligned to `align`) at *at and
 * returns their offset from the block start. */
static size_t instance_carve(size_t *at, size_t count, size_t size, size_t align)
{
    size_t offset = (*at + align - 1) & ~(align - 1);
    *at = offset + count * size;
    return offset;
}

/*
 * The instance and all its index-space arrays are one allocation (a spawn
 * makes one instance; one calloc instead of nine). The counts come from the
 * validated module, each far below 2^32 items, so the sum cannot overflow.
 */
static isola_instance *instance_alloc(isola_engine *engine, isola_module *module)
{
    const wasm_module *m = module->wasm;
    size_t at = sizeof(isola_instance);
    size_t funcs = instance_carve(&at, m->nfuncs, sizeof(isola_func *), _Alignof(isola_func *));
    size_t memories = instance_carve(&at, m->nmemories, sizeof(isola_memory *), _Alignof(isola_memory *));
    size_t tables = instance_carve(&at, m->ntables, sizeof(isola_table *), _Alignof(isola_table *));
    size_t globals = instance_carve(&at, m->nglobals, sizeof(isola_global *), _Alignof(isola_global *));
    size_t imported = instance_carve(&at, m->nimports, sizeof(isola_instance *), _Alignof(isola_instance *));
    size_t elems = instance_carve(&at, m->nelems, sizeof(bool), 1);
    size_t datas = instance_carve(&at, m->ndatas, sizeof(bool), 1);
    uint8_t *block = calloc(1, at);
    if (!block)
        return NULL;
    isola_instance *inst = (isola_instance *)block;
    atomic_init(&inst->refcount, 1);
    inst->engine = engine;
    inst->module = module;   /* counted by isola_instantiate unless borrowed */
    inst->funcs = (isola_func **)(block + funcs);
    inst->memories = (isola_memory **)(block + memories);
    inst->tables = (isola_table **)(block + tables);
    inst->globals = (isola_global **)(block + globals);
    inst->imported_instances = (isola_instance **)(block + imported);
    inst->elem_dropped = (bool *)(block + elems);
    inst->data_dropped = (bool *)(block + datas);
    return inst;
}

/*
 * The function objects a dying instance made, sorted, to tell its funcrefs
 * from others without reading through them: a table outside the scrubbed
 * closure (see the top of the file) may hold a funcref whose instance is
 * gone already. Without memory for the sorted copy, the instance's own
 * array is searched one by one.
 */
typedef struct instance_made {
    const isola_func **sorted;   /* NULL: search `inst->funcs` instead */
    size_t n;
    const isola_instance *inst;
} instance_made;

static int instance_cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(const isola_func *const *)a, y = (uintptr_t)*(const isola_func *const *)b;
    return x < y ? -1 : x > y;
}

/* False when the instance made no function object: nothing to scrub. */
static bool instance_made_collect(const isola_instance *inst, instance_made *out)
{
    const wasm_module *m = inst->module->wasm;
    size_t n = 0;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        n += inst->funcs[i] != NULL;
    *out = (instance_made){NULL, n, inst};
    if (n == 0)
        return false;
    out->sorted = malloc(n * sizeof *out->sorted);
    if (!out->sorted)
        return true;
    n = 0;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        if (inst->funcs[i])
            out->sorted[n++] = inst->funcs[i];
    qsort(out->sorted, n, sizeof *out->sorted, instance_cmp_ptr);
    return true;
}

static bool instance_is_own_func(const instance_made *made, uint64_t ref)
{
    const isola_func *f = (const isola_func *)(uintptr_t)ref;
    if (!f)
        return false;
    if (made->sorted)
        return bsearch(&f, made->sorted, made->n, sizeof *made->sorted, instance_cmp_ptr) != NULL;
    const wasm_module *m = made->inst->module->wasm;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        if (made->inst->funcs[i] == f)
            return true;
    return false;
}

isola_func *exec_instance_func_make(isola_instance *inst, uint32_t index)
{
    const wasm_module *m = inst->module->wasm;
    assert(index < m->nfuncs && index >= m->nfunc_imports);
    isola_func *f = NULL;
    isola_func *made = malloc(sizeof *made);
    if (!made)
        return NULL;
    *made = inst->module->func_template[index - m->nfunc_imports];
    made->instance = inst;
    /* Another thread may have made it meanwhile (an export looked up by
     * the host while the instance runs): the first one stays. */
    if (__atomic_compare_exchange_n(&inst->funcs[index], &f, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return made;
    free(made);
    return f;
}

/* Nulls every reference to one of `dead`'s own functions in `t`. */
static void instance_scrub_table(const instance_made *dead, isola_table *t)
{
    if (!t || t->elemtype != WASM_FUNCREF)
        return;
    for (uint32_t j = 0; j < t->size; j++)
        if (instance_is_own_func(dead, t->elems[j]))
            t->elems[j] = 0;
}

static void instance_scrub_global(const instance_made *dead, isola_global *g)
{
    if (g && g->type == WASM_FUNCREF && instance_is_own_func(dead, g->value[0]))
        g->value[0] = 0;
}

/* Scrubs every table and global (own and imported) of `holder`. */
static void instance_scrub_holder(const instance_made *dead, const isola_instance *holder)
{
    const wasm_module *m = holder->module->wasm;
    for (uint32_t i = 0; i < m->ntables; i++)
        instance_scrub_table(dead, holder->tables[i]);
    for (uint32_t i = 0; i < m->nglobals; i++)
        instance_scrub_global(dead, holder->globals[i]);
}

/*
 * Clears this instance's functions out of every table and global it can
 * have stored them in (see the top of the file): its own imports, and
 * everything of the instances it imports from, transitively, since it can
 * hand them funcrefs through calls. The import graph is acyclic (an instance
 * imports only from instances that already exist); `seen` just avoids
 * rescanning shared ancestors.
 */
static void instance_scrub_made(const instance_made *made)
{
    const isola_instance *inst = made->inst;
    const wasm_module *m = inst->module->wasm;
    /* Its own tables and globals die with it; only imported ones matter. */
    for (uint32_t i = 0; i < m->ntable_imports; i++)
        instance_scrub_table(made, inst->tables[i]);
    for (uint32_t i = 0; i < m->nglobal_imports; i++)
        instance_scrub_global(made, inst->globals[i]);
    if (inst->nimported_instances == 0)
        return;

    size_t cap = 16 + inst->nimported_instances, nstack = 0, nseen = 0;
    const isola_instance **stack = malloc(cap * sizeof *stack);
    const isola_instance **seen = malloc(cap * sizeof *seen);
    bool ok = stack && seen;
    for (uint32_t i = 0; ok && i < inst->nimported_instances; i++)
        stack[nstack++] = inst->imported_instances[i];
    while (ok && nstack > 0) {
        const isola_instance *x = stack[--nstack];
        bool dup = false;
        for (size_t i = 0; i < nseen && !dup; i++)
            dup = seen[i] == x;
        if (dup)
            continue;
        size_t need = (nseen + 1 > nstack ? nseen + 1 : nstack) + x->nimported_instances;
        if (need > cap) {
            size_t ncap = need * 2;
            const isola_instance **ns = realloc(stack, ncap * sizeof *ns);
            if (ns)
                stack = ns;
            const isola_instance **nv = ns ? realloc(seen, ncap * sizeof *nv) : NULL;
            if (nv)
                seen = nv;
            ok = ns && nv;
            cap = ok ? ncap : cap;
            if (!ok)
                break;
        }
        seen[nseen++] = x;
        instance_scrub_holder(made, x);
        for (uint32_t i = 0; i < x->nimported_instances; i++)
            stack[nstack++] = x->imported_instances[i];
    }
    if (!ok) {
        /* Out of memory: at least cover the direct exporters. */
        for (uint32_t i = 0; i < inst->nimported_instances; i++)
            instance_scrub_holder(made, inst->imported_instances[i]);
    }
    free(stack);
    free(seen);
}

static void instance_scrub(isola_instance *inst)
{
    const wasm_module *m = inst->module->wasm;
    if (m->ntable_imports == 0 && m->nglobal_imports == 0 && inst->nimported_instances == 0)
        return;   /* imports only host functions (a process's usual case) */
    instance_made made;
    if (!instance_made_collect(inst, &made))
        return;   /* no function of it ever escaped */
    instance_scrub_made(&made);
    free(made.sorted);
}

static void instance_free(isola_instance *inst)
{
    const wasm_module *m = inst->module->wasm;
    instance_scrub(inst);
    for (uint32_t i = 0; !inst->host_imports_borrowed && i < m->nfunc_imports; i++)
        isola_func_release(inst->funcs[i]);     /* a no-op for wasm functions */
    for (uint32_t i = 0; i < m->nmemories; i++)
        isola_memory_release(inst->memories[i]);
    for (uint32_t i = 0; i < m->ntables; i++)
        isola_table_release(inst->tables[i]);
    for (uint32_t i = 0; i < m->nglobals; i++)
        isola_global_release(inst->globals[i]);
    for (uint32_t i = 0; i < inst->nimported_instances; i++)
        isola_instance_release(inst->imported_instances[i]);
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        if (inst->funcs[i])   /* most never were made; free(NULL) is no cheap no-op in jemalloc */
            free(inst->funcs[i]);
    if (!inst->module_borrowed)
        isola_module_release(inst->module);
    free(inst);   /* the arrays are in the same block */
}

/* ------------------------------------------------------------ linking */

static void instance_hold_owner(isola_instance *inst, isola_instance *owner)
{
    if (!owner)
        return;
    for (uint32_t i = 0; i < inst->nimported_instances; i++)
        if (inst->imported_instances[i] == owner)
            return;
    assert(inst->nimported_instances < inst->module->wasm->nimports);
    inst->imported_instances[inst->nimported_instances++] = isola_instance_retain(owner);
}

/* Fills the import part of each index space. Imports are already checked. */
static void instance_link_imports(isola_instance *inst, const isola_extern *imports)
{
    const wasm_module *m = inst->module->wasm;
    if (inst->host_imports_borrowed && m->nimports == m->nfunc_imports) {
        /* Functions only, none counted: a process's imports, every spawn. */
        for (uint32_t i = 0; i < m->nimports; i++) {
            assert(imports[i].kind == ISOLA_EXTERN_FUNC);
            inst->funcs[i] = imports[i].of.func;
            instance_hold_owner(inst, imports[i].of.func->instance);
        }
        return;
    }
    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const isola_extern *ext = &imports[i];
        switch (ext->kind) {
        case ISOLA_EXTERN_FUNC:
            /* Only host functions are counted (exec_func_retain); a borrowed
             * one is kept alive by the caller. */
            inst->funcs[nf++] = inst->host_imports_borrowed ? ext->of.func : exec_func_retain(ext->of.func);
            instance_hold_owner(inst, ext->of.func->instance);
            break;
        case ISOLA_EXTERN_TABLE:
            inst->tables[nt++] = exec_table_retain(ext->of.table);
            instance_hold_owner(inst, ext->of.table->owner);
            break;
        case ISOLA_EXTERN_MEMORY:
            inst->memories[nm++] = exec_memory_retain(ext->of.memory);
            instance_hold_owner(inst, ext->of.memory->owner);
            break;
        case ISOLA_EXTERN_GLOBAL:
            inst->globals[ng++] = exec_global_retain(ext->of.global);
            instance_hold_owner(inst, ext->of.global->owner);
            break;
        }
    }
    assert(nf == m->nfunc_imports && nt == m->ntable_imports && nm == m->nmemory_imports &&
           ng == m->nglobal_imports);
}

/* ------------------------------------------------------------ definitions */

static uint32_t instance_memory_cap(const isola_engine *engine, const isola_instance_limits *limits)
{
    uint32_t cap = engine->config.max_memory_pages;
    if (limits && limits->max_memory_pages && limits->max_memory_pages < cap)
        cap = limits->max_memory_pages;
    return cap;
}

bool exec_instance_grow_memory(isola_instance *inst, isola_memory *m, uint32_t delta, uint32_t *old_pages)
{
    if (delta == 0 || !inst->memory_growing)
        return exec_memory_grow(m, delta, old_pages);
    if ((uint64_t)m->pages + delta > m->max_pages)
        return false;   /* past the cap: no need to ask */
    if (!inst->memory_growing(inst->grow_user, delta))
        return false;
    if (exec_memory_grow(m, delta, old_pages))
        return true;
    inst->memory_grow_failed(inst->grow_user, delta);
    return false;
}

static bool instance_define_objects(isola_instance *inst, const isola_instance_limits *limits,
                                    isola_error *err)
{
    const wasm_module *m = inst->module->wasm;
    uint32_t cap = instance_memory_cap(inst->engine, limits);
    for (uint32_t i = m->nmemory_imports; i < m->nmemories; i++) {
        inst->memories[i] = exec_memory_create(inst->engine, m->memories[i].type.limits, cap, err);
        if (!inst->memories[i])
            return false;
        inst->memories[i]->owner = inst;
    }
    inst->table_budget = limits && limits->limit_tables ? limits->max_table_elements : UINT64_MAX;
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
        uint32_t min = m->tables[i].type.limits.min;
        if (min > inst->table_budget) {
            util_error_set(err, ISOLA_ERR_RESOURCE, "table %u of %u elements exceeds what is left of the "
                           "instance's limit of %llu elements", i, min,
                           (unsigned long long)limits->max_table_elements);
            return false;
        }
        inst->table_budget -= min;
        inst->tables[i] = exec_table_create(m->tables[i].type.elemtype, m->tables[i].type.limits, err);
        if (!inst->tables[i])
            return false;
        inst->tables[i]->owner = inst;
    }
    /* In order: an initialiser may read any global before it. */
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        uint64_t value[2];
        exec_const_eval(inst, &m->globals[i].init, value);
        inst->globals[i] = exec_global_create(m->globals[i].type, value, err);
        if (!inst->globals[i])
            return false;
        inst->globals[i]->owner = inst;
    }
    inst->memory0 = m->nmemories ? inst->memories[0] : NULL;
    return true;
}

/* ------------------------------------------------------------ segments */

static uint32_t instance_offset(isola_instance *inst, const wasm_constexpr *e)
{
    uint64_t v[2];
    exec_const_eval(inst, e, v);
    return (uint32_t)v[0];
}

/* Sets *wrote_imported when a segment put functions into an imported table. */
static bool instance_init_elems(isola_instance *inst, bool *wrote_imported, isola_error *err)
{
    const wasm_module *m = inst->module->wasm;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem_segment *seg = &m->elems[i];
        if (seg->mode == WASM_SEGMENT_ACTIVE) {
            uint32_t offset = instance_offset(inst, &seg->offset);
            if (!exec_table_init(inst, seg->table_index, i, offset, 0, seg->count))
                return util_error_set(err, ISOLA_ERR_TRAP, "out of bounds table access");
            if (seg->table_index < m->ntable_imports && seg->count > 0)
                *wrote_imported = true;
        }
        if (seg->mode != WASM_SEGMENT_PASSIVE)
            inst->elem_dropped[i] = true;
    }
    return true;
}

static bool instance_init_datas(isola_instance *inst, isola_error *err)
{
    const wasm_module *m = inst->module->wasm;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wasm_data_segment *seg = &m->datas[i];
        if (seg->mode != WASM_SEGMENT_ACTIVE)
            continue;
        assert(seg->memory_index < m->nmemories);
        isola_memory *mem = inst->memories[seg->memory_index];
        uint64_t offset = instance_offset(inst, &seg->offset);
        if (offset + seg->len > mem->size)
            return util_error_set(err, ISOLA_ERR_TRAP, "out of bounds memory access");
        if (seg->len)
            memcpy(mem->base + offset, seg->bytes, seg->len);
        inst->data_dropped[i] = true;
    }
    return true;
}

/* ------------------------------------------------------------ start */

static bool instance_run_start(isola_instance *inst, isola_exec *exec, isola_error *err)
{
    const wasm_module *m = inst->module->wasm;
    isola_exec *own = NULL;
    if (!exec) {
        own = exec = isola_exec_new(inst->engine, NULL, err);
        if (!exec)
            return false;
    }
    bool ok = false;
    isola_func *start = exec_instance_func(inst, m->start);
    if (!start) {
        isola_exec_release(own);
        return util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory calling the start function");
    }
    switch (isola_exec_call(exec, start, NULL, 0)) {
    case ISOLA_OK:
        ok = true;
        break;
    case ISOLA_TRAPPED: {
        const isola_trap *trap = isola_exec_trap(exec);
        util_error_set(err, ISOLA_ERR_TRAP, "%s", trap && trap->message ? trap->message : "trap");
        break;
    }
    case ISOLA_YIELDED:
        isola_exec_reset(exec);
        util_error_set(err, ISOLA_ERR_RESOURCE, "start function ran out of fuel");
        break;
    case ISOLA_SUSPENDED:
        isola_exec_reset(exec);
        util_error_set(err, ISOLA_ERR_BLOCKED, "start function blocked in a host call");
        break;
    case ISOLA_FAILED: {
        const char *why = isola_exec_error(exec);
        util_error_set(err, ISOLA_ERR_ARGUMENT, "cannot run the start function: %s", why ? why : "?");
        break;
    }
    }
    isola_exec_release(own);
    return ok;
}

/* Does the module import something its failed start function may have stored funcrefs into? */
static bool instance_imports_ref_holders(const wasm_module *m)
{
    if (m->ntable_imports > 0)
        return true;
    for (uint32_t i = 0; i < m->nglobal_imports; i++)
        if (m->globals[i].type.type == WASM_FUNCREF && m->globals[i].type.mutable_)
            return true;
    return false;
}

/* Takes the references a borrowing instance did not take. */
static void instance_own_borrowed(isola_instance *inst)
{
    if (inst->module_borrowed)
        isola_module_retain(inst->module);
    inst->module_borrowed = false;
    if (!inst->host_imports_borrowed)
        return;
    for (uint32_t i = 0; i < inst->module->wasm->nfunc_imports; i++)
        exec_func_retain(inst->funcs[i]);
    inst->host_imports_borrowed = false;
}

/* Everything of an instantiation after the import check: allocation,
 * linking, definitions, segments and the start function. */
static isola_instance *instance_create(isola_engine *engine, isola_module *module, const isola_extern *imports,
                                       const isola_instance_limits *limits, isola_exec *exec, isola_error *err)
{
    isola_instance *inst = instance_alloc(engine, module);
    if (!inst) {
        util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory allocating an instance");
        return NULL;
    }
    inst->host_imports_borrowed = limits && limits->host_imports_borrowed;
    inst->module_borrowed = limits && limits->module_borrowed;
    if (limits && limits->memory_growing) {
        assert(limits->memory_grow_failed);
        inst->memory_growing = limits->memory_growing;
        inst->memory_grow_failed = limits->memory_grow_failed;
        inst->grow_user = limits->grow_user;
    }
    if (!inst->module_borrowed)
        isola_module_retain(module);
    instance_link_imports(inst, imports);
    if (!instance_define_objects(inst, limits, err)) {
        isola_instance_release(inst);
        return NULL;
    }
    const wasm_module *m = module->wasm;
    bool funcs_escaped = false;
    bool ok = instance_init_elems(inst, &funcs_escaped, err) && instance_init_datas(inst, err);
    if (ok && m->has_start && !(limits && limits->defer_start)) {
        funcs_escaped = funcs_escaped || instance_imports_ref_holders(m);
        ok = instance_run_start(inst, exec, err);
    }
    if (!ok) {
        /* Per the spec the failed instance's writes stay; keep its functions
         * valid. The engine keeps it beyond the caller's reach, so it must
         * own its imports again. */
        if (funcs_escaped) {
            instance_own_borrowed(inst);
            inst->memory_growing = NULL;   /* its embedder's budget may be gone; the cap still holds */
            inst->memory_grow_failed = NULL;
            inst->grow_user = NULL;
        }
        if (!funcs_escaped || !exec_engine_keep_instance(engine, inst))
            isola_instance_release(inst);
        return NULL;
    }
    return inst;
}

/* Whether the module's own memories fit the engine's limit: one that
 * needs more pages than it allows could never be made. */
static bool instance_check_memories(const isola_engine *engine, const isola_module *module, isola_error *err)
{
    const wasm_module *m = module->wasm;
    for (uint32_t i = m->nmemory_imports; i < m->nmemories; i++) {
        uint32_t min = m->memories[i].type.limits.min;
        if (min > engine->config.max_memory_pages)
            return util_error_set(err, ISOLA_ERR_RESOURCE, "memory %u needs %u pages, above the engine's limit of %u",
                                  i, min, engine->config.max_memory_pages);
    }
    return true;
}

bool exec_check_imports(isola_engine *engine, const isola_module *module, const isola_extern *imports,
                        uint32_t nimports, isola_error *err)
{
    if (module->engine != engine)
        return util_error_set(err, ISOLA_ERR_ARGUMENT, "the module was loaded by another engine");
    return instance_check_memories(engine, module, err) && instance_check_imports(engine, module, imports, nimports, err);
}

isola_instance *exec_instantiate_checked(isola_engine *engine, isola_module *module, const isola_extern *imports,
                                         const isola_instance_limits *limits, isola_exec *exec, isola_error *err)
{
    assert(module->engine == engine);
    return instance_create(engine, module, imports, limits, exec, err);
}

/* ------------------------------------------------------------ public API */

isola_instance *isola_instantiate(isola_engine *engine, isola_module *module,
                                  const isola_extern *imports, uint32_t nimports,
                                  const isola_instance_limits *limits, isola_exec *exec,
                                  isola_error *err)
{
    if (!engine || !module) {
        util_error_set(err, ISOLA_ERR_ARGUMENT, "isola_instantiate needs an engine and a module");
        return NULL;
    }
    if (!exec_check_imports(engine, module, imports, nimports, err))
        return NULL;
    return instance_create(engine, module, imports, limits, exec, err);
}

isola_instance *isola_instance_retain(isola_instance *instance)
{
    atomic_fetch_add(&instance->refcount, 1);
    return instance;
}

void isola_instance_release(isola_instance *instance)
{
    if (instance && util_ref_drop(&instance->refcount))
        instance_free(instance);
}

isola_module *isola_instance_module(const isola_instance *instance)
{
    return instance->module;
}

bool isola_instance_export(isola_instance *instance, const char *name, isola_extern *out)
{
    return name && isola_instance_export_n(instance, name, strlen(name), out);
}

/* The export `name` of `module`, or NULL. The last one found is tried
 * first: a host or a spawner asks for the same entry over and over. */
static const wasm_export *module_find_export(isola_module *module, const char *name, size_t len)
{
    const wasm_module *m = module->wasm;
    uint32_t hint = atomic_load_explicit(&module->export_hint, memory_order_relaxed);
    const wasm_export *exp = hint < m->nexports ? &m->exports[hint] : NULL;
    if (exp && exp->name.len == len && (!len || memcmp(exp->name.data, name, len) == 0))
        return exp;
    exp = wasm_module_find_export(m, name ? name : "", len);
    if (exp)
        atomic_store_explicit(&module->export_hint, (uint32_t)(exp - m->exports), memory_order_relaxed);
    return exp;
}

/* Whether an active segment of `len` units at offset `e` surely fits the
 * first `limit` units of its memory or table: the offset a constant (a
 * global.get is known only once there is an instance), the object the
 * module's own. */
static bool segment_fits(const wasm_constexpr *e, uint64_t len, uint64_t limit, bool imported)
{
    return !imported && e->op == WASM_CONST_I32 && (uint64_t)e->value.i32 + len <= limit;
}

bool exec_module_segments_fit(const isola_module *module)
{
    const wasm_module *m = module->wasm;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wasm_data_segment *d = &m->datas[i];
        if (d->mode == WASM_SEGMENT_ACTIVE &&   /* only then is memory_index meaningful */
            !segment_fits(&d->offset, d->len, (uint64_t)m->memories[d->memory_index].type.limits.min * WASM_PAGE_SIZE,
                          m->memories[d->memory_index].imported))
            return false;
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem_segment *e = &m->elems[i];
        if (e->mode == WASM_SEGMENT_ACTIVE &&
            !segment_fits(&e->offset, e->count, m->tables[e->table_index].type.limits.min,
                          m->tables[e->table_index].imported))
            return false;
    }
    return true;
}

bool exec_module_entry(isola_module *module, const char *name, size_t len, uint32_t *index, isola_error *err)
{
    const wasm_export *exp = (name || !len) ? module_find_export(module, name, len) : NULL;
    if (!exp || exp->kind != WASM_EXTERN_FUNC)
        return util_error_set(err, ISOLA_ERR_NOT_FOUND, "%s", "the entry export is not a function of this module");
    if (wasm_func_type(module->wasm, exp->index)->nparams != 0)
        return util_error_set(err, ISOLA_ERR_ARGUMENT, "%s", "the entry function must take no parameters");
    *index = exp->index;
    return true;
}

bool isola_instance_export_n(isola_instance *instance, const char *name, size_t len, isola_extern *out)
{
    if (!instance || (!name && len) || !out)
        return false;
    const wasm_export *exp = module_find_export(instance->module, name, len);
    if (!exp)
        return false;
    out->kind = (isola_extern_kind)exp->kind;
    switch (exp->kind) {
    case WASM_EXTERN_FUNC:
        out->of.func = exec_instance_func(instance, exp->index);
        if (!out->of.func)
            return false;
        break;
    case WASM_EXTERN_TABLE: out->of.table = instance->tables[exp->index]; break;
    case WASM_EXTERN_MEMORY: out->of.memory = instance->memories[exp->index]; break;
    case WASM_EXTERN_GLOBAL: out->of.global = instance->globals[exp->index]; break;
    default: return false;
    }
    return true;
}

isola_memory *isola_instance_memory(isola_instance *instance)
{
    return instance->memory0;
}

isola_func *isola_instance_start(isola_instance *instance)
{
    const wasm_module *m = instance->module->wasm;
    return m->has_start ? exec_instance_func(instance, m->start) : NULL;
}

void *isola_instance_userdata(const isola_instance *instance)
{
    return instance->userdata;
}

void isola_instance_set_userdata(isola_instance *instance, void *user)
{
    instance->userdata = user;
}
