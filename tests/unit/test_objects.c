/*
 * test_objects.c - the runtime object layer: type interning, module
 * queries, import matching, instantiation (globals, element and data
 * segments, traps that keep earlier writes, start function), instance
 * limits, host objects, and release in any order. Modules are written in
 * the text format and compiled with wat2wasm at test time.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec/runtime.h"
#include "exec/types.h"
#include "isola/engine.h"

/* ------------------------------------------------------------ helpers */

static uint8_t *wat_to_wasm(const char *wat, size_t *len)
{
    char dir[] = "/tmp/isola-objects-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char watp[64], wasmp[64], cmd[256];
    snprintf(watp, sizeof watp, "%s/m.wat", dir);
    snprintf(wasmp, sizeof wasmp, "%s/m.wasm", dir);
    FILE *f = fopen(watp, "w");
    assert_non_null(f);
    fputs(wat, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "wat2wasm %s -o %s", watp, wasmp);
    if (system(cmd) != 0)
        fail_msg("wat2wasm failed on:\n%s", wat);
    f = fopen(wasmp, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)n);
    assert_non_null(bytes);
    assert_int_equal(fread(bytes, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    unlink(watp);
    unlink(wasmp);
    rmdir(dir);
    *len = (size_t)n;
    return bytes;
}

static isola_module *load(isola_engine *e, const char *wat)
{
    size_t len;
    uint8_t *bytes = wat_to_wasm(wat, &len);
    isola_error err;
    isola_module *m = isola_module_load(e, bytes, len, &err);
    free(bytes);
    if (!m)
        fail_msg("isola_module_load: %s (offset %zu)", err.message, err.offset);
    return m;
}

static isola_instance *instantiate(isola_engine *e, isola_module *m, const isola_extern *imports, uint32_t n)
{
    isola_error err;
    isola_instance *inst = isola_instantiate(e, m, imports, n, NULL, NULL, &err);
    if (!inst)
        fail_msg("isola_instantiate: %s", err.message);
    return inst;
}

static isola_extern get_export(isola_instance *inst, const char *name, isola_extern_kind kind)
{
    isola_extern ext;
    assert_true(isola_instance_export(inst, name, &ext));
    assert_int_equal(ext.kind, kind);
    return ext;
}

static isola_host_result host_nop(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)call;
    (void)user;
    slots[0] = 0;
    return ISOLA_HOST_RETURN;
}

static isola_func *new_host_func(isola_engine *e, uint32_t np, const isola_valtype *p, uint32_t nr,
                                 const isola_valtype *r)
{
    isola_functype t = {.nparams = np, .nresults = nr, .params = p, .results = r};
    isola_error err;
    isola_func *f = isola_func_new(e, &t, host_nop, NULL, &err);
    if (!f)
        fail_msg("isola_func_new: %s", err.message);
    return f;
}

static isola_limits lim(uint32_t min, bool has_max, uint32_t max)
{
    return (isola_limits){.min = min, .max = max, .has_max = has_max};
}

/* ------------------------------------------------------------ types */

static void test_type_interning(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    wasm_valtype a[] = {WASM_I32, WASM_I32, WASM_I64}, b[] = {WASM_I32, WASM_I32, WASM_I64};
    wasm_valtype c[] = {WASM_I32, WASM_I64, WASM_I32};
    wasm_functype ta = {2, 1, a}, tb = {2, 1, b}, tc = {2, 1, c}, td = {1, 2, a}, empty = {0, 0, NULL};
    uint32_t ia, ib, ic, id, ie, ie2;
    assert_true(exec_types_intern(e->types, &ta, &ia));
    assert_true(exec_types_intern(e->types, &tb, &ib));
    assert_true(exec_types_intern(e->types, &tc, &ic));
    assert_true(exec_types_intern(e->types, &td, &id));
    assert_true(exec_types_intern(e->types, &empty, &ie));
    assert_true(exec_types_intern(e->types, &empty, &ie2));
    assert_int_equal(ia, ib);
    assert_int_not_equal(ia, ic);
    assert_int_not_equal(ia, id);
    assert_int_equal(ie, ie2);
    /* Many distinct types force rehashing; every earlier id stays valid. */
    wasm_valtype many[8];
    for (uint32_t i = 0; i < 5000; i++) {
        for (int k = 0; k < 8; k++)
            many[k] = (i >> (k * 2) & 3) ? WASM_I64 : WASM_F32;
        wasm_functype t = {i % 7, 8 - i % 7, many};
        uint32_t x, y;
        assert_true(exec_types_intern(e->types, &t, &x));
        assert_true(exec_types_intern(e->types, &t, &y));
        assert_int_equal(x, y);
    }
    const wasm_functype *g = exec_types_get(e->types, ia);
    assert_int_equal(g->nparams, 2);
    assert_int_equal(g->types[2], WASM_I64);

    /* Host functions of equal types share an id; isola_func_type round-trips. */
    isola_valtype p[] = {ISOLA_I32, ISOLA_F64}, r[] = {ISOLA_EXTERNREF};
    isola_func *f1 = new_host_func(e, 2, p, 1, r), *f2 = new_host_func(e, 2, p, 1, r);
    isola_func *f3 = new_host_func(e, 1, p, 1, r);
    assert_int_equal(f1->type_id, f2->type_id);
    assert_int_not_equal(f1->type_id, f3->type_id);
    isola_functype ft;
    isola_func_type(f1, &ft);
    assert_int_equal(ft.nparams, 2);
    assert_int_equal(ft.nresults, 1);
    assert_int_equal(ft.params[1], ISOLA_F64);
    assert_int_equal(ft.results[0], ISOLA_EXTERNREF);

    isola_valtype badt[] = {(isola_valtype)0x42};
    isola_functype bad = {.nparams = 1, .params = badt};
    isola_error err;
    assert_null(isola_func_new(e, &bad, host_nop, NULL, &err));
    assert_int_equal(err.kind, ISOLA_ERR_ARGUMENT);
    isola_func_release(f1);
    isola_func_release(f2);
    isola_func_release(f3);
    isola_engine_release(e);
}

typedef struct intern_job {
    struct type_registry *types;
    uint32_t ids[512];
} intern_job;

static void *intern_many(void *arg)
{
    intern_job *job = arg;
    wasm_valtype vt[9];
    for (uint32_t i = 0; i < 512; i++) {
        for (int k = 0; k < 9; k++)
            vt[k] = (i >> k & 1) ? WASM_I32 : WASM_F64;
        wasm_functype t = {.nparams = 9, .nresults = 0, .types = vt};
        if (!exec_types_intern(job->types, &t, &job->ids[i]))
            job->ids[i] = UINT32_MAX;
    }
    return NULL;
}

static void test_type_interning_threads(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    static intern_job jobs[4];
    pthread_t threads[4];
    for (int t = 0; t < 4; t++) {
        jobs[t].types = e->types;
        assert_int_equal(pthread_create(&threads[t], NULL, intern_many, &jobs[t]), 0);
    }
    for (int t = 0; t < 4; t++)
        pthread_join(threads[t], NULL);
    for (int t = 1; t < 4; t++)
        assert_memory_equal(jobs[t].ids, jobs[0].ids, sizeof jobs[0].ids);
    assert_int_equal(exec_types_count(e->types), 512);
    isola_engine_release(e);
}

/* ------------------------------------------------------------ modules */

static const char *IMPORTER =
    "(module\n"
    "  (import \"env\" \"f\" (func (param i32) (result i32)))\n"
    "  (import \"env\" \"t\" (table 1 2 funcref))\n"
    "  (import \"env\" \"m\" (memory 1 2))\n"
    "  (import \"env\" \"g\" (global i32))\n"
    "  (func (export \"id\") (param i64) (result i64) local.get 0)\n"
    "  (global (export \"g2\") (mut f64) (f64.const 1.5))\n"
    "  (export \"mem\" (memory 0))\n"
    "  (export \"tab\" (table 0)))\n";

static void test_module_queries(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    isola_module *m = load(e, IMPORTER);
    assert_int_equal(isola_module_import_count(m), 4);
    const char *mod, *field;
    size_t ml, fl;
    isola_externtype t;
    isola_module_import(m, 0, &mod, &ml, &field, &fl, &t);
    assert_int_equal(ml, 3);
    assert_memory_equal(mod, "env", 3);
    assert_int_equal(fl, 1);
    assert_int_equal(field[0], 'f');
    assert_int_equal(t.kind, ISOLA_EXTERN_FUNC);
    assert_int_equal(t.func.nparams, 1);
    assert_int_equal(t.func.params[0], ISOLA_I32);
    assert_int_equal(t.func.results[0], ISOLA_I32);
    isola_module_import(m, 1, NULL, NULL, NULL, NULL, &t);
    assert_int_equal(t.kind, ISOLA_EXTERN_TABLE);
    assert_int_equal(t.table.elem, ISOLA_FUNCREF);
    assert_int_equal(t.table.limits.min, 1);
    assert_true(t.table.limits.has_max);
    assert_int_equal(t.table.limits.max, 2);
    isola_module_import(m, 2, NULL, NULL, NULL, NULL, &t);
    assert_int_equal(t.kind, ISOLA_EXTERN_MEMORY);
    assert_int_equal(t.memory.max, 2);
    isola_module_import(m, 3, NULL, NULL, NULL, NULL, &t);
    assert_int_equal(t.kind, ISOLA_EXTERN_GLOBAL);
    assert_int_equal(t.global.type, ISOLA_I32);
    assert_false(t.global.mutable_);

    assert_int_equal(isola_module_export_count(m), 4);
    const char *name;
    size_t nl;
    isola_module_export(m, 0, &name, &nl, &t);
    assert_int_equal(nl, 2);
    assert_memory_equal(name, "id", 2);
    assert_int_equal(t.kind, ISOLA_EXTERN_FUNC);
    assert_int_equal(t.func.params[0], ISOLA_I64);
    isola_module_export(m, 1, &name, &nl, &t);
    assert_int_equal(t.kind, ISOLA_EXTERN_GLOBAL);
    assert_int_equal(t.global.type, ISOLA_F64);
    assert_true(t.global.mutable_);

    /* Errors: malformed and invalid binaries. */
    isola_error err;
    const uint8_t junk[] = {0, 'a', 's', 'x', 1, 0, 0, 0};
    assert_null(isola_module_load(e, junk, sizeof junk, &err));
    assert_int_equal(err.kind, ISOLA_ERR_MALFORMED);
    assert_false(isola_module_validate(junk, sizeof junk, &err));
    assert_int_equal(err.kind, ISOLA_ERR_MALFORMED);
    /* Built by hand, since wat2wasm refuses it: (func (result i32) (i64.const 0)). */
    static const uint8_t invalid[] = {0, 'a', 's', 'm', 1, 0, 0, 0,
                                      1, 5, 1, 0x60, 0, 1, 0x7f,      /* type: [] -> [i32] */
                                      3, 2, 1, 0,                     /* func 0: type 0 */
                                      10, 6, 1, 4, 0, 0x42, 0, 0x0b}; /* body: i64.const 0 end */
    assert_true(isola_module_validate(invalid, 8, NULL));    /* the empty module is fine */
    assert_false(isola_module_validate(invalid, sizeof invalid, &err));
    assert_int_equal(err.kind, ISOLA_ERR_INVALID);
    assert_null(isola_module_load(e, invalid, sizeof invalid, &err));
    assert_int_equal(err.kind, ISOLA_ERR_INVALID);
    assert_true(err.offset > 8 && err.offset < sizeof invalid);

    isola_module_release(isola_module_retain(m));
    isola_module_release(m);
    isola_engine_release(e);
}

/* ------------------------------------------------------------ import matching */

typedef struct importer_env {
    isola_func *f;
    isola_table *t;
    isola_memory *m;
    isola_global *g;
} importer_env;

static importer_env env_new(isola_engine *e, isola_limits tl, isola_limits ml)
{
    isola_valtype i32 = ISOLA_I32;
    importer_env env;
    env.f = new_host_func(e, 1, &i32, 1, &i32);
    env.t = isola_table_new(e, ISOLA_FUNCREF, tl, NULL);
    env.m = isola_memory_new(e, ml, NULL);
    env.g = isola_global_new(e, (isola_value){.type = ISOLA_I32, .of.i32 = 5}, false, NULL);
    assert_non_null(env.t);
    assert_non_null(env.m);
    assert_non_null(env.g);
    return env;
}

static void env_imports(const importer_env *env, isola_extern out[4])
{
    out[0] = (isola_extern){.kind = ISOLA_EXTERN_FUNC, .of.func = env->f};
    out[1] = (isola_extern){.kind = ISOLA_EXTERN_TABLE, .of.table = env->t};
    out[2] = (isola_extern){.kind = ISOLA_EXTERN_MEMORY, .of.memory = env->m};
    out[3] = (isola_extern){.kind = ISOLA_EXTERN_GLOBAL, .of.global = env->g};
}

static void env_release(importer_env *env)
{
    isola_func_release(env->f);
    isola_table_release(env->t);
    isola_memory_release(env->m);
    isola_global_release(env->g);
}

static void expect_link_error(isola_engine *e, isola_module *m, const isola_extern *imports, uint32_t n,
                              const char *wording)
{
    isola_error err;
    assert_null(isola_instantiate(e, m, imports, n, NULL, NULL, &err));
    assert_int_equal(err.kind, ISOLA_ERR_LINK);
    if (!strstr(err.message, wording))
        fail_msg("expected \"%s\", got \"%s\"", wording, err.message);
}

static void test_import_matching(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    isola_module *m = load(e, IMPORTER);
    importer_env env = env_new(e, lim(1, true, 2), lim(1, true, 2));
    isola_extern imports[4];
    env_imports(&env, imports);

    isola_instance *inst = instantiate(e, m, imports, 4);
    assert_ptr_equal(isola_instance_memory(inst), env.m);
    assert_ptr_equal(get_export(inst, "mem", ISOLA_EXTERN_MEMORY).of.memory, env.m);
    assert_ptr_equal(get_export(inst, "tab", ISOLA_EXTERN_TABLE).of.table, env.t);
    isola_value g2 = isola_global_get(get_export(inst, "g2", ISOLA_EXTERN_GLOBAL).of.global);
    assert_int_equal(g2.type, ISOLA_F64);
    assert_true(g2.of.f64 == 1.5);
    isola_extern none;
    assert_false(isola_instance_export(inst, "nope", &none));
    assert_true(isola_instance_export_n(inst, "g2\0junk", 2, &none));
    assert_false(isola_instance_export_n(inst, "g2\0junk", 3, &none));
    isola_instance_release(inst);

    /* Counts and missing objects: "unknown import". */
    expect_link_error(e, m, imports, 3, "unknown import");
    isola_extern hole[4];
    memcpy(hole, imports, sizeof hole);
    hole[2].of.memory = NULL;
    expect_link_error(e, m, hole, 4, "unknown import");

    /* Kinds and types: "incompatible import type". */
    isola_extern bad[4];
    memcpy(bad, imports, sizeof bad);
    bad[0] = imports[2];
    expect_link_error(e, m, bad, 4, "incompatible import type");

    isola_valtype i64 = ISOLA_I64, i32 = ISOLA_I32;
    isola_func *wrongf = new_host_func(e, 1, &i64, 1, &i32);
    memcpy(bad, imports, sizeof bad);
    bad[0].of.func = wrongf;
    expect_link_error(e, m, bad, 4, "incompatible import type");
    isola_func_release(wrongf);

    /* Limits subtyping for tables and memories. */
    struct { isola_limits l; bool ok; } cases[] = {
        {lim(1, true, 2), true},  {lim(2, true, 2), true}, {lim(1, true, 1), true},
        {lim(0, true, 2), false}, {lim(1, false, 0), false}, {lim(1, true, 3), false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        isola_table *t = isola_table_new(e, ISOLA_FUNCREF, cases[i].l, NULL);
        isola_memory *mem = isola_memory_new(e, cases[i].l, NULL);
        memcpy(bad, imports, sizeof bad);
        bad[1].of.table = t;
        if (cases[i].ok)
            isola_instance_release(instantiate(e, m, bad, 4));
        else
            expect_link_error(e, m, bad, 4, "incompatible import type");
        memcpy(bad, imports, sizeof bad);
        bad[2].of.memory = mem;
        if (cases[i].ok)
            isola_instance_release(instantiate(e, m, bad, 4));
        else
            expect_link_error(e, m, bad, 4, "incompatible import type");
        isola_table_release(t);
        isola_memory_release(mem);
    }
    /* The current size counts, not the declared minimum. */
    isola_memory *grown = isola_memory_new(e, lim(0, true, 2), NULL);
    memcpy(bad, imports, sizeof bad);
    bad[2].of.memory = grown;
    expect_link_error(e, m, bad, 4, "incompatible import type");
    assert_int_equal(isola_memory_grow(grown, 1), 0);
    isola_instance_release(instantiate(e, m, bad, 4));
    isola_memory_release(grown);
    /* Element type. */
    isola_table *ext = isola_table_new(e, ISOLA_EXTERNREF, lim(1, true, 2), NULL);
    memcpy(bad, imports, sizeof bad);
    bad[1].of.table = ext;
    expect_link_error(e, m, bad, 4, "incompatible import type");
    isola_table_release(ext);

    /* Globals: type and mutability must be equal. */
    isola_global *mutg = isola_global_new(e, (isola_value){.type = ISOLA_I32}, true, NULL);
    isola_global *i64g = isola_global_new(e, (isola_value){.type = ISOLA_I64}, false, NULL);
    memcpy(bad, imports, sizeof bad);
    bad[3].of.global = mutg;
    expect_link_error(e, m, bad, 4, "incompatible import type");
    bad[3].of.global = i64g;
    expect_link_error(e, m, bad, 4, "incompatible import type");
    isola_global_release(mutg);
    isola_global_release(i64g);

    env_release(&env);
    isola_module_release(m);
    isola_engine_release(e);
}

/* ------------------------------------------------------------ instantiation */

static void test_segments_and_globals(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    isola_global *base = isola_global_new(e, (isola_value){.type = ISOLA_I32, .of.i32 = 16}, false, NULL);
    isola_module *m = load(e,
        "(module\n"
        "  (import \"env\" \"base\" (global i32))\n"
        "  (memory (export \"mem\") 1)\n"
        "  (table (export \"tab\") 20 funcref)\n"
        "  (func $f (result i32) i32.const 1)\n"
        "  (func $g (param i32))\n"
        "  (global (export \"copy\") i32 (global.get 0))\n"
        "  (global (export \"ref\") funcref (ref.func $g))\n"
        "  (global (export \"v\") v128 (v128.const i32x4 1 2 3 4))\n"
        "  (elem (i32.const 1) $f $g)\n"
        "  (elem (global.get 0) func)\n"
        "  (elem funcref (ref.func $f))\n"
        "  (data (i32.const 0) \"hello\")\n"
        "  (data (global.get 0) \"world\")\n"
        "  (data \"passive\"))\n");
    isola_extern imp = {.kind = ISOLA_EXTERN_GLOBAL, .of.global = base};
    isola_instance *inst = instantiate(e, m, &imp, 1);
    isola_memory *mem = get_export(inst, "mem", ISOLA_EXTERN_MEMORY).of.memory;
    assert_ptr_equal(isola_instance_memory(inst), mem);
    assert_memory_equal(isola_memory_data(mem), "hello", 5);
    assert_memory_equal(isola_memory_data(mem) + 16, "world", 5);
    assert_int_equal(isola_memory_size(mem), 65536);

    isola_table *tab = get_export(inst, "tab", ISOLA_EXTERN_TABLE).of.table;
    isola_value v;
    assert_true(isola_table_get(tab, 0, &v));
    assert_null(v.of.funcref);
    assert_true(isola_table_get(tab, 1, &v));
    assert_non_null(v.of.funcref);
    isola_functype ft;
    isola_func_type(v.of.funcref, &ft);
    assert_int_equal(ft.nparams, 0);
    assert_int_equal(ft.nresults, 1);
    assert_true(isola_table_get(tab, 2, &v));
    isola_func *g = v.of.funcref;
    isola_func_type(g, &ft);
    assert_int_equal(ft.nparams, 1);
    assert_false(isola_table_get(tab, 20, &v));

    assert_int_equal(isola_global_get(get_export(inst, "copy", ISOLA_EXTERN_GLOBAL).of.global).of.i32, 16);
    assert_ptr_equal(isola_global_get(get_export(inst, "ref", ISOLA_EXTERN_GLOBAL).of.global).of.funcref, g);
    isola_value vv = isola_global_get(get_export(inst, "v", ISOLA_EXTERN_GLOBAL).of.global);
    assert_int_equal(vv.type, ISOLA_V128);
    assert_int_equal(vv.of.v128[4], 2);

    /* Active and declarative segments are dropped, passive ones are not. */
    assert_true(inst->elem_dropped[0]);
    assert_true(inst->elem_dropped[1]);
    assert_false(inst->elem_dropped[2]);
    assert_true(inst->data_dropped[0]);
    assert_true(inst->data_dropped[1]);
    assert_false(inst->data_dropped[2]);

    isola_instance_set_userdata(inst, &v);
    assert_ptr_equal(isola_instance_userdata(inst), &v);
    assert_ptr_equal(isola_instance_module(inst), m);
    isola_instance_release(inst);
    isola_global_release(base);
    isola_module_release(m);
    isola_engine_release(e);
}

static const char *EXPORTER =
    "(module\n"
    "  (memory (export \"mem\") 1)\n"
    "  (table (export \"tab\") 10 funcref)\n"
    "  (global (export \"g\") (mut i32) (i32.const 3))\n"
    "  (func (export \"f\") (result i32) i32.const 9)\n"
    "  (elem (i32.const 0) 0))\n";

static void test_trap_keeps_earlier_writes(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    isola_module *ma = load(e, EXPORTER);
    isola_instance *a = instantiate(e, ma, NULL, 0);
    isola_extern imports[2] = {get_export(a, "tab", ISOLA_EXTERN_TABLE), get_export(a, "mem", ISOLA_EXTERN_MEMORY)};

    /* Data: the first segment lands, the second is out of bounds. */
    isola_module *mb = load(e,
        "(module (import \"a\" \"mem\" (memory 1))\n"
        "  (data (i32.const 100) \"ab\") (data (i32.const 65535) \"xy\"))");
    isola_error err;
    assert_null(isola_instantiate(e, mb, &imports[1], 1, NULL, NULL, &err));
    assert_int_equal(err.kind, ISOLA_ERR_TRAP);
    assert_string_equal(err.message, "out of bounds memory access");
    assert_memory_equal(isola_memory_data(imports[1].of.memory) + 100, "ab", 2);
    assert_int_equal(isola_memory_data(imports[1].of.memory)[65535], 0);

    /* Elements: the function written into a's table stays callable after the
     * instance that owns it failed (its data segment is out of bounds). */
    isola_module *mc = load(e,
        "(module (import \"a\" \"tab\" (table 10 funcref))\n"
        "  (func $h (param i64) (result i64) local.get 0)\n"
        "  (elem (table 0) (i32.const 7) func $h)\n"
        "  (elem (table 0) (i32.const 9) func $h $h)\n"
        "  (elem (table 0) (i32.const 8) func $h))");
    assert_null(isola_instantiate(e, mc, imports, 1, NULL, NULL, &err));
    assert_int_equal(err.kind, ISOLA_ERR_TRAP);
    assert_string_equal(err.message, "out of bounds table access");
    isola_value v;
    assert_true(isola_table_get(imports[0].of.table, 7, &v));
    assert_non_null(v.of.funcref);
    isola_functype ft;
    isola_func_type(v.of.funcref, &ft);
    assert_int_equal(ft.params[0], ISOLA_I64);
    assert_true(isola_table_get(imports[0].of.table, 8, &v));
    assert_null(v.of.funcref);      /* after the trapping segment: never written */
    assert_int_equal(e->nzombies, 1);

    /* A trap before anything was written to an imported table keeps nothing. */
    isola_module *md = load(e,
        "(module (import \"a\" \"tab\" (table 10 funcref)) (func $h)\n"
        "  (elem (table 0) (i32.const 10) func $h))");
    assert_null(isola_instantiate(e, md, imports, 1, NULL, NULL, &err));
    assert_int_equal(err.kind, ISOLA_ERR_TRAP);
    assert_int_equal(e->nzombies, 1);

    isola_instance_release(a);
    isola_module_release(ma);
    isola_module_release(mb);
    isola_module_release(mc);
    isola_module_release(md);
    isola_engine_release(e);    /* frees the kept instance, and with it a's objects */
}

/* host_imports_borrowed: no reference taken or dropped on the host
 * functions, unless a failed start leaves the instance to the engine, which
 * must then own them (it outlives the caller's promise). */
static void test_borrowed_host_imports(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    isola_func *f = new_host_func(e, 0, NULL, 0, NULL);
    isola_module *m = load(e, "(module (import \"h\" \"f\" (func)) (import \"h\" \"g\" (func))\n"
                              "  (func (export \"run\") call 0 call 1))");
    isola_extern imports[2] = {{.kind = ISOLA_EXTERN_FUNC, .of.func = f}, {.kind = ISOLA_EXTERN_FUNC, .of.func = f}};
    isola_instance_limits borrowed = {.host_imports_borrowed = true};
    isola_error err;
    isola_instance *i1 = isola_instantiate(e, m, imports, 2, &borrowed, NULL, &err);
    assert_non_null(i1);
    assert_int_equal(atomic_load(&f->host->refcount), 1);
    isola_instance *i2 = isola_instantiate(e, m, imports, 2, NULL, NULL, &err);
    assert_non_null(i2);
    assert_int_equal(atomic_load(&f->host->refcount), 3);
    isola_exec *x = isola_exec_new(e, NULL, NULL);
    assert_int_equal(isola_exec_call(x, get_export(i1, "run", ISOLA_EXTERN_FUNC).of.func, NULL, 0), ISOLA_OK);
    isola_instance_release(i1);
    isola_instance_release(i2);
    assert_int_equal(atomic_load(&f->host->refcount), 1);

    /* A start that traps after writing into an imported table: kept by the engine. */
    isola_module *ma = load(e, EXPORTER);
    isola_instance *a = instantiate(e, ma, NULL, 0);
    isola_module *mz = load(e,
        "(module (import \"h\" \"f\" (func)) (import \"a\" \"tab\" (table 10 funcref))\n"
        "  (func $g call 0) (elem (table 0) (i32.const 3) func $g)\n"
        "  (func $start unreachable) (start $start))");
    isola_extern zi[2] = {imports[0], get_export(a, "tab", ISOLA_EXTERN_TABLE)};
    assert_null(isola_instantiate(e, mz, zi, 2, &borrowed, x, &err));
    assert_int_equal(err.kind, ISOLA_ERR_TRAP);
    assert_int_equal(e->nzombies, 1);
    assert_int_equal(atomic_load(&f->host->refcount), 2);
    isola_func_release(f);   /* the kept instance's reference remains */
    isola_value v;
    assert_true(isola_table_get(zi[1].of.table, 3, &v));
    assert_int_equal(isola_exec_call(x, v.of.funcref, NULL, 0), ISOLA_OK);   /* calls f */

    isola_exec_release(x);
    isola_instance_release(a);
    isola_module_release(ma);
    isola_module_release(mz);
    isola_module_release(m);
    isola_engine_release(e);
}

/* module_borrowed: no reference taken or dropped on the module, unless a
 * failed start leaves the instance to the engine, which must then own it:
 * the module must outlive the caller's release (its code is what the
 * kept functions run). */
static void test_borrowed_module(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    isola_module *m = load(e, "(module (func (export \"seven\") (result i32) i32.const 7))");
    isola_instance_limits borrowed = {.module_borrowed = true};
    isola_error err;
    isola_instance *i1 = isola_instantiate(e, m, NULL, 0, &borrowed, NULL, &err);
    assert_non_null(i1);
    assert_int_equal(atomic_load(&m->refcount), 1);
    isola_instance *i2 = isola_instantiate(e, m, NULL, 0, NULL, NULL, &err);
    assert_int_equal(atomic_load(&m->refcount), 2);
    isola_exec *x = isola_exec_new(e, NULL, NULL);
    isola_value r;
    assert_int_equal(isola_exec_call(x, get_export(i1, "seven", ISOLA_EXTERN_FUNC).of.func, NULL, 0), ISOLA_OK);
    assert_int_equal(isola_exec_results(x, &r, 1), 1);
    assert_int_equal(r.of.i32, 7);
    isola_instance_release(i1);
    assert_int_equal(atomic_load(&m->refcount), 2);
    isola_instance_release(i2);
    assert_int_equal(atomic_load(&m->refcount), 1);

    /* A start that traps after writing into an imported table: kept by the
     * engine, with its own reference to the module. */
    isola_module *ma = load(e, EXPORTER);
    isola_instance *a = instantiate(e, ma, NULL, 0);
    isola_module *mz = load(e,
        "(module (import \"a\" \"tab\" (table 10 funcref))\n"
        "  (func $g (result i32) i32.const 5) (elem (table 0) (i32.const 4) func $g)\n"
        "  (func $start unreachable) (start $start))");
    isola_extern zi[1] = {get_export(a, "tab", ISOLA_EXTERN_TABLE)};
    assert_null(isola_instantiate(e, mz, zi, 1, &borrowed, x, &err));
    assert_int_equal(err.kind, ISOLA_ERR_TRAP);
    assert_int_equal(atomic_load(&mz->refcount), 2);
    isola_module_release(mz);   /* the kept instance's reference remains */
    isola_value v;
    assert_true(isola_table_get(zi[0].of.table, 4, &v));
    assert_int_equal(isola_exec_call(x, v.of.funcref, NULL, 0), ISOLA_OK);
    assert_int_equal(isola_exec_results(x, &r, 1), 1);
    assert_int_equal(r.of.i32, 5);

    isola_exec_release(x);
    isola_instance_release(a);
    isola_module_release(ma);
    isola_module_release(m);
    isola_engine_release(e);
}

static void test_release_order(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    isola_module *ma = load(e, EXPORTER);
    isola_module *mb = load(e,
        "(module\n"
        "  (import \"a\" \"mem\" (memory 1))\n"
        "  (import \"a\" \"tab\" (table 1 funcref))\n"
        "  (import \"a\" \"g\" (global (mut i32)))\n"
        "  (import \"a\" \"f\" (func (result i32)))\n"
        "  (func $mine (result i32) i32.const 5)\n"
        "  (export \"f\" (func 0))\n"
        "  (elem (table 0) (i32.const 1) func $mine))\n");

    /* Release the exporter first: the importer keeps everything alive. */
    isola_instance *a = instantiate(e, ma, NULL, 0);
    isola_extern imports[4] = {
        get_export(a, "mem", ISOLA_EXTERN_MEMORY), get_export(a, "tab", ISOLA_EXTERN_TABLE),
        get_export(a, "g", ISOLA_EXTERN_GLOBAL), get_export(a, "f", ISOLA_EXTERN_FUNC)};
    isola_instance *b = instantiate(e, mb, imports, 4);
    assert_int_equal(b->nimported_instances, 1);
    isola_instance_release(a);
    isola_memory *mem = isola_instance_memory(b);
    isola_memory_data(mem)[65535] = 1;
    assert_int_equal(isola_memory_grow(mem, 1), 1);
    isola_memory_data(mem)[2 * 65536 - 1] = 1;
    isola_global *g = imports[2].of.global;
    assert_true(isola_global_set(g, (isola_value){.type = ISOLA_I32, .of.i32 = 8}));
    assert_false(isola_global_set(g, (isola_value){.type = ISOLA_I64, .of.i64 = 8}));
    isola_extern f = get_export(b, "f", ISOLA_EXTERN_FUNC);
    assert_ptr_equal(f.of.func, imports[3].of.func);      /* re-exported: the same object */
    /* A third instance imports b's re-export; releasing b first is fine too. */
    isola_module *mc = load(e, "(module (import \"b\" \"f\" (func (result i32))))");
    isola_instance *c = instantiate(e, mc, &f, 1);
    isola_instance_release(b);
    isola_functype ft;
    isola_func_type(c->funcs[0], &ft);
    assert_int_equal(ft.nresults, 1);
    isola_instance_release(c);

    /* Importer released while the exporter lives: its functions leave a's table. */
    a = instantiate(e, ma, NULL, 0);
    imports[0] = get_export(a, "mem", ISOLA_EXTERN_MEMORY);
    imports[1] = get_export(a, "tab", ISOLA_EXTERN_TABLE);
    imports[2] = get_export(a, "g", ISOLA_EXTERN_GLOBAL);
    imports[3] = get_export(a, "f", ISOLA_EXTERN_FUNC);
    b = instantiate(e, mb, imports, 4);
    isola_value v;
    assert_true(isola_table_get(imports[1].of.table, 1, &v));
    assert_ptr_equal(v.of.funcref, b->funcs[1]);          /* $mine, made when the segment stored it */
    assert_ptr_equal(v.of.funcref->instance, b);
    isola_instance_release(b);
    assert_true(isola_table_get(imports[1].of.table, 1, &v));
    assert_null(v.of.funcref);
    assert_true(isola_table_get(imports[1].of.table, 0, &v));
    assert_ptr_equal(v.of.funcref, imports[3].of.func);    /* a's own entry stays */
    isola_instance_release(a);

    /* A funcref passed to the exporter by a call, stored in its own table:
     * releasing the importer clears it there too. */
    isola_module *ms = load(e,
        "(module (table (export \"tab\") 2 funcref)\n"
        "  (func (export \"store\") (param funcref) (table.set 0 (i32.const 1) (local.get 0))))");
    isola_module *mu = load(e,
        "(module (import \"a\" \"store\" (func $store (param funcref)))\n"
        "  (func $mine) (elem declare func $mine)\n"
        "  (func (export \"go\") (call $store (ref.func $mine))))");
    a = instantiate(e, ms, NULL, 0);
    isola_extern store = get_export(a, "store", ISOLA_EXTERN_FUNC);
    b = instantiate(e, mu, &store, 1);
    isola_exec *x = isola_exec_new(e, NULL, NULL);
    assert_non_null(x);
    assert_int_equal(isola_exec_call(x, get_export(b, "go", ISOLA_EXTERN_FUNC).of.func, NULL, 0), ISOLA_OK);
    isola_table *atab = get_export(a, "tab", ISOLA_EXTERN_TABLE).of.table;
    assert_true(isola_table_get(atab, 1, &v));
    assert_non_null(v.of.funcref);
    assert_ptr_equal(v.of.funcref->instance, b);
    isola_instance_release(b);
    assert_true(isola_table_get(atab, 1, &v));
    assert_null(v.of.funcref);
    isola_exec_release(x);
    isola_instance_release(a);
    isola_module_release(ms);
    isola_module_release(mu);

    /* Host objects released before the instance that imports them. */
    isola_memory *hm = isola_memory_new(e, lim(1, false, 0), NULL);
    isola_table *ht = isola_table_new(e, ISOLA_FUNCREF, lim(2, false, 0), NULL);
    isola_global *hg = isola_global_new(e, (isola_value){.type = ISOLA_I32}, true, NULL);
    isola_valtype i32 = ISOLA_I32;
    isola_func *hf = new_host_func(e, 0, NULL, 1, &i32);
    isola_extern himports[4] = {
        {.kind = ISOLA_EXTERN_MEMORY, .of.memory = hm}, {.kind = ISOLA_EXTERN_TABLE, .of.table = ht},
        {.kind = ISOLA_EXTERN_GLOBAL, .of.global = hg}, {.kind = ISOLA_EXTERN_FUNC, .of.func = hf}};
    b = instantiate(e, mb, himports, 4);
    isola_memory_release(hm);
    isola_table_release(ht);
    isola_global_release(hg);
    isola_func_release(hf);
    isola_memory_data(isola_instance_memory(b))[0] = 1;
    isola_instance_release(b);

    isola_module_release(ma);
    isola_module_release(mb);
    isola_module_release(mc);
    isola_engine_release(e);
}

static void test_instance_limits(void **state)
{
    (void)state;
    isola_engine_config cfg = {.max_memory_pages = 8};
    isola_engine *e = isola_engine_new(&cfg, NULL);
    isola_module *m = load(e, "(module (memory (export \"m\") 2))");
    isola_instance_limits limits = {.max_memory_pages = 4};
    isola_error err;
    isola_instance *inst = isola_instantiate(e, m, NULL, 0, &limits, NULL, &err);
    assert_non_null(inst);
    isola_memory *mem = isola_instance_memory(inst);
    assert_true(mem->pool_slot >= 0);      /* a 4-page cap fits a pool slot */
    assert_int_equal(isola_memory_grow(mem, 2), 2);
    assert_int_equal(isola_memory_grow(mem, 1), -1);
    isola_instance_release(inst);

    inst = instantiate(e, m, NULL, 0);     /* engine cap: 8 */
    assert_int_equal(isola_memory_grow(isola_instance_memory(inst), 6), 2);
    assert_int_equal(isola_memory_grow(isola_instance_memory(inst), 1), -1);
    isola_instance_release(inst);

    limits.max_memory_pages = 1;
    assert_null(isola_instantiate(e, m, NULL, 0, &limits, NULL, &err));
    assert_int_equal(err.kind, ISOLA_ERR_RESOURCE);
    isola_module_release(m);

    /* A module from another engine is refused. */
    isola_engine *other = isola_engine_new(NULL, NULL);
    m = load(other, "(module)");
    assert_null(isola_instantiate(e, m, NULL, 0, NULL, NULL, &err));
    assert_int_equal(err.kind, ISOLA_ERR_ARGUMENT);
    isola_module_release(m);
    isola_engine_release(other);
    isola_engine_release(e);
}

static void test_start_function(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    isola_module *m = load(e,
        "(module (global (export \"g\") (mut i32) (i32.const 0))\n"
        "  (memory (export \"m\") 1) (data (i32.const 0) \"\\05\")\n"
        "  (func $s (global.set 0 (i32.add (i32.load8_u (i32.const 0)) (i32.const 2))))\n"
        "  (start $s))");
    isola_instance *inst = instantiate(e, m, NULL, 0);
    assert_int_equal(isola_global_get(get_export(inst, "g", ISOLA_EXTERN_GLOBAL).of.global).of.i32, 7);
    isola_instance_release(inst);
    isola_module_release(m);

    m = load(e, "(module (func $s unreachable) (start $s))");
    isola_error err;
    assert_null(isola_instantiate(e, m, NULL, 0, NULL, NULL, &err));
    assert_int_equal(err.kind, ISOLA_ERR_TRAP);
    assert_non_null(strstr(err.message, "unreachable"));
    isola_module_release(m);
    isola_engine_release(e);
}

static void test_host_objects(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    isola_error err;
    isola_table *t = isola_table_new(e, ISOLA_EXTERNREF, lim(2, true, 3), &err);
    assert_non_null(t);
    int x;
    assert_true(isola_table_set(t, 1, (isola_value){.type = ISOLA_EXTERNREF, .of.externref = &x}));
    assert_false(isola_table_set(t, 2, (isola_value){.type = ISOLA_EXTERNREF, .of.externref = &x}));
    assert_false(isola_table_set(t, 0, (isola_value){.type = ISOLA_FUNCREF}));
    isola_value v;
    assert_true(isola_table_get(t, 1, &v));
    assert_int_equal(v.type, ISOLA_EXTERNREF);
    assert_ptr_equal(v.of.externref, &x);
    assert_int_equal(isola_table_size(t), 2);
    isola_table_release(t);
    assert_null(isola_table_new(e, ISOLA_I32, lim(0, false, 0), &err));
    assert_int_equal(err.kind, ISOLA_ERR_ARGUMENT);

    isola_global *g = isola_global_new(e, (isola_value){.type = ISOLA_F32, .of.f32_bits = 0x7fc00001}, false, &err);
    assert_non_null(g);
    assert_int_equal(isola_global_get(g).of.f32_bits, 0x7fc00001);   /* NaN payload kept */
    assert_false(isola_global_set(g, (isola_value){.type = ISOLA_F32}));
    isola_global_release(g);
    assert_null(isola_global_new(e, (isola_value){.type = (isola_valtype)1}, false, &err));
    isola_engine_release(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_interning),
        cmocka_unit_test(test_type_interning_threads),
        cmocka_unit_test(test_module_queries),
        cmocka_unit_test(test_import_matching),
        cmocka_unit_test(test_segments_and_globals),
        cmocka_unit_test(test_trap_keeps_earlier_writes),
        cmocka_unit_test(test_borrowed_host_imports),
        cmocka_unit_test(test_borrowed_module),
        cmocka_unit_test(test_release_order),
        cmocka_unit_test(test_instance_limits),
        cmocka_unit_test(test_start_function),
        cmocka_unit_test(test_host_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
