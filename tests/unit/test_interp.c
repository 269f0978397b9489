/*
 * test_interp.c - the translator, the interpreter and execution contexts,
 * through the public API: results of translated code (fused branches,
 * retargeted local.set, multi-value returns), fuel exhaustion and resume
 * (also on another thread), host functions that block, yield and trap,
 * traps with their spec messages and backtraces, deep recursion, calls
 * across instances, and bulk instructions charged and resumed by size. Modules are written in the text format and compiled
 * with wat2wasm at test time.
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

#include "isola/engine.h"

/* ------------------------------------------------------------ helpers */

static uint8_t *wat_to_wasm(const char *wat, size_t *len)
{
    char dir[] = "/tmp/isola-interp-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char watp[64], wasmp[64], cmd[256];
    snprintf(watp, sizeof watp, "%s/m.wat", dir);
    snprintf(wasmp, sizeof wasmp, "%s/m.wasm", dir);
    FILE *f = fopen(watp, "w");
    assert_non_null(f);
    fputs(wat, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "wat2wasm --debug-names %s -o %s", watp, wasmp);
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

typedef struct fixture {
    isola_engine *engine;
    isola_exec *exec;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    isola_error err;
    fx->engine = isola_engine_new(NULL, &err);
    assert_non_null(fx->engine);
    fx->exec = isola_exec_new(fx->engine, NULL, &err);
    assert_non_null(fx->exec);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    isola_exec_release(fx->exec);
    isola_engine_release(fx->engine);
    free(fx);
    return 0;
}

static isola_instance *instantiate(fixture *fx, const char *wat, const isola_extern *imports, uint32_t n)
{
    size_t len;
    uint8_t *bytes = wat_to_wasm(wat, &len);
    isola_error err;
    isola_module *m = isola_module_load(fx->engine, bytes, len, &err);
    free(bytes);
    if (!m)
        fail_msg("load failed: %s", err.message);
    isola_instance *inst = isola_instantiate(fx->engine, m, imports, n, NULL, fx->exec, &err);
    if (!inst)
        fail_msg("instantiate failed: %s", err.message);
    isola_module_release(m);
    return inst;
}

static isola_func *export_func(isola_instance *inst, const char *name)
{
    isola_extern ex;
    assert_true(isola_instance_export(inst, name, &ex));
    assert_int_equal(ex.kind, ISOLA_EXTERN_FUNC);
    return ex.of.func;
}

static isola_value i32v(int32_t v)
{
    isola_value x = { .type = ISOLA_I32, .of.i32 = v };
    return x;
}

static isola_value i64v(int64_t v)
{
    isola_value x = { .type = ISOLA_I64, .of.i64 = v };
    return x;
}

/* Calls and expects one i32 result. */
static int32_t call_i32(isola_exec *ex, isola_func *f, const isola_value *args, uint32_t n)
{
    isola_status st = isola_exec_call(ex, f, args, n);
    if (st != ISOLA_OK)
        fail_msg("call status %d: %s / %s", st, isola_exec_error(ex),
                 isola_exec_trap(ex)->message ? isola_exec_trap(ex)->message : "");
    isola_value r;
    assert_int_equal(isola_exec_results(ex, &r, 1), 1);
    assert_int_equal(r.type, ISOLA_I32);
    return r.of.i32;
}

/* ------------------------------------------------------------ translated code */

static const char *k_basic =
    "(module\n"
    "  (func $fib (export \"fib\") (param i32) (result i32)\n"
    "    (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))\n"
    "      (then (local.get 0))\n"
    "      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))\n"
    "                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))\n"
    "  (func (export \"swap\") (param i32 i32) (result i32 i32)\n"
    "    local.get 1 local.get 0)\n"
    "  (func (export \"sum\") (param i32) (result i32) (local i32)\n"
    "    (block (loop\n"
    "      (br_if 1 (i32.eqz (local.get 0)))\n"
    "      (local.set 1 (i32.add (local.get 1) (local.get 0)))\n"
    "      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))\n"
    "      (br 0)))\n"
    "    local.get 1)\n"
    "  (func (export \"alias\") (param i32) (result i32)\n"
    "    ;; the old value of local 0 must survive the local.set below\n"
    "    local.get 0\n"
    "    (local.set 0 (i32.const 100))\n"
    "    local.get 0\n"
    "    i32.sub)\n"
    "  (func (export \"switch\") (param i32) (result i32)\n"
    "    (block (result i32) (block (result i32) (block (result i32)\n"
    "      (br_table 0 1 2 (i32.const 10) (local.get 0)))\n"
    "      (i32.add (i32.const 1))) (i32.add (i32.const 100))))\n"
    "  (func (export \"wide\") (param i64) (result i64)\n"
    "    (i64.mul (local.get 0) (i64.const 0x100000001)))\n"
    "  ;; peephole shapes: indexed and offset loads/stores, compare+select,\n"
    "  ;; eqz of a compare, increment+branch loops, f64 multiply-add\n"
    "  (memory 1)\n"
    "  (func (export \"shapes\") (param i32) (result i32) (local i32 i32 f64)\n"
    "    (loop $fill\n"
    "      (i32.store (i32.add (i32.const 64) (i32.shl (local.get 1) (i32.const 2))) (local.get 1))\n"
    "      (br_if $fill (i32.ne (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (i32.const 10))))\n"
    "    (local.set 1 (i32.const 0))\n"
    "    (loop $sum\n"
    "      (local.set 2 (i32.add (local.get 2)\n"
    "        (i32.load (i32.add (i32.const 64) (i32.shl (local.get 1) (i32.const 2))))))\n"
    "      (br_if $sum (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))))\n"
    "    (local.set 3 (f64.add (f64.const 0.5) (f64.mul (f64.convert_i32_u (local.get 2)) (f64.const 2))))\n"
    "    (i32.add\n"
    "      (i32.add (i32.trunc_f64_u (local.get 3))\n"
    "               (select (local.get 2) (i32.const 1000) (i32.lt_u (local.get 2) (i32.const 1000))))\n"
    "      (i32.add (i32.load offset=4 (i32.sub (i32.const 72) (i32.const 4)))\n"
    "               (if (result i32) (i32.eqz (i32.gt_s (local.get 0) (i32.const 5)))\n"
    "                 (then (i32.const 100000)) (else (i32.const 0)))))))\n";

static void test_basic_code(void **state)
{
    fixture *fx = *state;
    isola_instance *inst = instantiate(fx, k_basic, NULL, 0);
    isola_value a = i32v(20);
    assert_int_equal(call_i32(fx->exec, export_func(inst, "fib"), &a, 1), 6765);

    isola_value ab[2] = { i32v(1), i32v(2) }, r[2];
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "swap"), ab, 2), ISOLA_OK);
    assert_int_equal(isola_exec_results(fx->exec, r, 2), 2);
    assert_int_equal(r[0].of.i32, 2);
    assert_int_equal(r[1].of.i32, 1);

    a = i32v(100);
    assert_int_equal(call_i32(fx->exec, export_func(inst, "sum"), &a, 1), 5050);
    a = i32v(7);
    assert_int_equal(call_i32(fx->exec, export_func(inst, "alias"), &a, 1), -93);
    int32_t want[] = { 111, 110, 10, 10 };
    for (int i = 0; i < 4; i++) {
        a = i32v(i);
        assert_int_equal(call_i32(fx->exec, export_func(inst, "switch"), &a, 1), want[i]);
    }
    /* shapes(n): 2*sum(0..n-1) + sum + (sum or 1000 if bigger) + mem[72/4]=2 + (n<=5 ? 100000 : 0) */
    int32_t ns[] = { 3, 10 };
    for (int k = 0; k < 2; k++) {
        int32_t n = ns[k], sum = n * (n - 1) / 2;
        a = i32v(n);
        assert_int_equal(call_i32(fx->exec, export_func(inst, "shapes"), &a, 1),
                         2 * sum + (sum < 1000 ? sum : 1000) + 2 + (n <= 5 ? 100000 : 0));
    }
    isola_value w = i64v(3);
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "wide"), &w, 1), ISOLA_OK);
    assert_int_equal(isola_exec_results(fx->exec, r, 1), 1);
    assert_true(r[0].of.i64 == 0x300000003LL);

    /* Wrong arguments fail to start, with a reason, and leave the context usable. */
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "fib"), NULL, 0), ISOLA_FAILED);
    assert_true(strlen(isola_exec_error(fx->exec)) > 0);
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "fib"), &w, 1), ISOLA_FAILED);
    isola_instance_release(inst);
}

/* ------------------------------------------------------------ fuel */

static const char *k_count =
    "(module\n"
    "  (func $count (export \"count\") (param i32) (result i32) (local i32)\n"
    "    (loop $l\n"
    "      (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n"
    "      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))\n"
    "    local.get 1)\n"
    "  (func (export \"calls\") (param i32) (result i32)\n"
    "    (call $count (local.get 0))))\n";

static void test_fuel_yield_resume(void **state)
{
    fixture *fx = *state;
    isola_instance *inst = instantiate(fx, k_count, NULL, 0);
    isola_func *count = export_func(inst, "count");
    isola_value a = i32v(100000);

    isola_exec_set_fuel(fx->exec, 1000);
    isola_status st = isola_exec_call(fx->exec, count, &a, 1);
    int yields = 0;
    while (st == ISOLA_YIELDED) {
        yields++;
        assert_int_equal(isola_exec_fuel(fx->exec), 0);
        /* A yielded context refuses a new call until resumed or reset. */
        assert_int_equal(isola_exec_call(fx->exec, count, &a, 1), ISOLA_FAILED);
        isola_exec_set_fuel(fx->exec, 1000);
        st = isola_exec_resume(fx->exec);
    }
    assert_int_equal(st, ISOLA_OK);
    assert_in_range(yields, 99, 101);
    isola_value r;
    assert_int_equal(isola_exec_results(fx->exec, &r, 1), 1);
    assert_int_equal(r.of.i32, 100000);

    /* Fuel is also spent on calls; zero fuel stops before the first instruction. */
    isola_exec_set_fuel(fx->exec, 0);
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "calls"), &a, 1), ISOLA_YIELDED);
    isola_exec_reset(fx->exec);
    isola_exec_set_fuel(fx->exec, ISOLA_FUEL_UNLIMITED);
    assert_int_equal(call_i32(fx->exec, export_func(inst, "calls"), &a, 1), 100000);
    isola_instance_release(inst);
}

struct resume_job {
    isola_exec *exec;
    isola_status st;
};

static void *resume_thread(void *p)
{
    struct resume_job *job = p;
    isola_exec_set_fuel(job->exec, ISOLA_FUEL_UNLIMITED);
    job->st = isola_exec_resume(job->exec);
    return NULL;
}

static void test_resume_on_other_thread(void **state)
{
    fixture *fx = *state;
    isola_instance *inst = instantiate(fx, k_count, NULL, 0);
    isola_value a = i32v(5000);
    isola_exec_set_fuel(fx->exec, 10);
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "calls"), &a, 1), ISOLA_YIELDED);
    struct resume_job job = { fx->exec, ISOLA_FAILED };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, resume_thread, &job), 0);
    pthread_join(th, NULL);
    assert_int_equal(job.st, ISOLA_OK);
    isola_value r;
    assert_int_equal(isola_exec_results(fx->exec, &r, 1), 1);
    assert_int_equal(r.of.i32, 5000);
    isola_instance_release(inst);
}

/* ------------------------------------------------------------ host functions */

static const char *k_host =
    "(module\n"
    "  (import \"env\" \"f\" (func $f (param i32) (result i32)))\n"
    "  (memory (export \"mem\") 1)\n"
    "  (func (export \"run\") (param i32) (result i32)\n"
    "    (i32.store (i32.const 16) (i32.const 42))\n"
    "    (i32.add (call $f (local.get 0)) (i32.const 1))))\n";

struct host_state {
    int calls;
    int block_times;
    bool yield;
    bool trap;
    uint32_t seen_mem;
    uint64_t *blocked_slots;   /* the slots of the last call that blocked */
};

static isola_host_result host_f(isola_host_call *call, uint64_t *slots, void *user)
{
    struct host_state *hs = user;
    hs->calls++;
    uint64_t size = 0;
    uint8_t *mem = isola_host_memory(call, &size);
    assert_non_null(isola_host_exec(call));
    /* Called from wasm: the caller's instance and memory; called directly: none. */
    if (isola_host_instance(call)) {
        assert_non_null(mem);
        assert_int_equal(size, 65536);
        memcpy(&hs->seen_mem, mem + 16, 4);
    } else {
        assert_null(mem);
    }
    if (hs->trap)
        return isola_host_trap(call, "host says no (%d)", 7);
    if (hs->block_times > 0) {
        hs->block_times--;
        hs->blocked_slots = slots;
        return ISOLA_HOST_BLOCK;
    }
    slots[0] = (uint32_t)slots[0] * 2;
    return hs->yield ? ISOLA_HOST_YIELD : ISOLA_HOST_RETURN;
}

static isola_instance *host_instance(fixture *fx, struct host_state *hs, isola_func **hf)
{
    isola_valtype i32 = ISOLA_I32;
    isola_functype ft = { 1, 1, &i32, &i32 };
    isola_error err;
    *hf = isola_func_new(fx->engine, &ft, host_f, hs, &err);
    assert_non_null(*hf);
    isola_extern imp = { .kind = ISOLA_EXTERN_FUNC, .of.func = *hf };
    return instantiate(fx, k_host, &imp, 1);
}

static void test_host_block_yield_trap(void **state)
{
    fixture *fx = *state;
    struct host_state hs = { 0 };
    isola_func *hf;
    isola_instance *inst = host_instance(fx, &hs, &hf);
    isola_func *run = export_func(inst, "run");
    isola_value a = i32v(20);

    /* Plain return. */
    assert_int_equal(call_i32(fx->exec, run, &a, 1), 41);
    assert_int_equal(hs.seen_mem, 42);

    /* BLOCK twice: suspended, and the host function is called again on resume. */
    hs.calls = 0;
    hs.block_times = 2;
    assert_int_equal(isola_exec_call(fx->exec, run, &a, 1), ISOLA_SUSPENDED);
    assert_int_equal(isola_exec_resume(fx->exec), ISOLA_SUSPENDED);
    assert_int_equal(isola_exec_resume(fx->exec), ISOLA_OK);
    assert_int_equal(hs.calls, 3);
    isola_value r;
    assert_int_equal(isola_exec_results(fx->exec, &r, 1), 1);
    assert_int_equal(r.of.i32, 41);

    /* YIELD: results are kept, the run stops after the call and resumes after it. */
    hs.calls = 0;
    hs.yield = true;
    assert_int_equal(isola_exec_call(fx->exec, run, &a, 1), ISOLA_YIELDED);
    assert_int_equal(isola_exec_resume(fx->exec), ISOLA_OK);
    assert_int_equal(hs.calls, 1);
    assert_int_equal(isola_exec_results(fx->exec, &r, 1), 1);
    assert_int_equal(r.of.i32, 41);
    hs.yield = false;

    /* TRAP: kind HOST with the host's message and the wasm frames. */
    hs.trap = true;
    assert_int_equal(isola_exec_call(fx->exec, run, &a, 1), ISOLA_TRAPPED);
    const isola_trap *t = isola_exec_trap(fx->exec);
    assert_int_equal(t->kind, ISOLA_TRAP_HOST);
    assert_string_equal(t->message, "host says no (7)");
    assert_int_equal(t->nframes, 1);
    hs.trap = false;

    /* A host function called directly. */
    assert_int_equal(call_i32(fx->exec, hf, &a, 1), 40);
    hs.block_times = 1;
    assert_int_equal(isola_exec_call(fx->exec, hf, &a, 1), ISOLA_SUSPENDED);
    assert_int_equal(isola_exec_resume(fx->exec), ISOLA_OK);

    isola_instance_release(inst);
    isola_func_release(hf);
}

/* A blocked host call completed from outside (isola_exec_host_complete,
 * what a message hand-off does): the resume continues after the call with
 * the results written into its slots, and the function is not called again. */
static void test_host_complete_from_outside(void **state)
{
    fixture *fx = *state;
    struct host_state hs = { 0 };
    isola_func *hf;
    isola_instance *inst = host_instance(fx, &hs, &hf);
    isola_func *run = export_func(inst, "run");
    isola_value a = i32v(20), r;

    assert_false(isola_exec_host_complete(fx->exec));   /* nothing is suspended */
    hs.block_times = 1;
    assert_int_equal(isola_exec_call(fx->exec, run, &a, 1), ISOLA_SUSPENDED);
    hs.blocked_slots[0] = 99;
    assert_true(isola_exec_host_complete(fx->exec));
    assert_false(isola_exec_host_complete(fx->exec));   /* once */
    assert_int_equal(isola_exec_resume(fx->exec), ISOLA_OK);
    assert_int_equal(hs.calls, 1);
    assert_int_equal(isola_exec_results(fx->exec, &r, 1), 1);
    assert_int_equal(r.of.i32, 100);

    /* A call that blocked and then returned on resume leaves nothing to
     * complete; nor does a run stopped by fuel. */
    hs.calls = 0;
    hs.block_times = 1;
    assert_int_equal(isola_exec_call(fx->exec, run, &a, 1), ISOLA_SUSPENDED);
    assert_int_equal(isola_exec_resume(fx->exec), ISOLA_OK);
    assert_false(isola_exec_host_complete(fx->exec));
    isola_exec_set_fuel(fx->exec, 0);
    assert_int_equal(isola_exec_call(fx->exec, run, &a, 1), ISOLA_YIELDED);
    assert_false(isola_exec_host_complete(fx->exec));
    isola_exec_set_fuel(fx->exec, ISOLA_FUEL_UNLIMITED);
    assert_int_equal(isola_exec_resume(fx->exec), ISOLA_OK);

    /* A host function called directly: its results are the call's. */
    hs.calls = 0;
    hs.block_times = 1;
    assert_int_equal(isola_exec_call(fx->exec, hf, &a, 1), ISOLA_SUSPENDED);
    hs.blocked_slots[0] = 7;
    assert_true(isola_exec_host_complete(fx->exec));
    assert_int_equal(isola_exec_resume(fx->exec), ISOLA_OK);
    assert_int_equal(hs.calls, 1);
    assert_int_equal(isola_exec_results(fx->exec, &r, 1), 1);
    assert_int_equal(r.of.i32, 7);

    isola_instance_release(inst);
    isola_func_release(hf);
}

/* ------------------------------------------------------------ traps */

static const char *k_traps =
    "(module $traps\n"
    "  (type $v (func))\n"
    "  (memory 1)\n"
    "  (table 2 funcref)\n"
    "  (elem (i32.const 0) $inner)\n"
    "  (func $inner unreachable)\n"
    "  (func $middle (call $inner))\n"
    "  (func $outer (export \"outer\") (call $middle))\n"
    "  (func (export \"div\") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))\n"
    "  (func (export \"ovf\") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))\n"
    "  (func (export \"conv\") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))\n"
    "  (func (export \"load\") (param i32) (result i32) (i32.load offset=4 (local.get 0)))\n"
    "  (func (export \"ind\") (param i32) (call_indirect (type $v) (local.get 0)))\n"
    "  (func (export \"ind_type\") (result i32) (call_indirect (result i32) (i32.const 0)))\n"
    "  (func $rec (export \"rec\") (param i32) (result i32)\n"
    "    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))\n"
    "      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))\n"
    "  (func $inf (export \"inf\") (call $inf)))\n";

static void expect_trap(isola_exec *ex, isola_func *f, const isola_value *args, uint32_t n,
                        isola_trap_kind kind, const char *msg)
{
    assert_int_equal(isola_exec_call(ex, f, args, n), ISOLA_TRAPPED);
    const isola_trap *t = isola_exec_trap(ex);
    assert_int_equal(t->kind, kind);
    assert_string_equal(t->message, msg);
}

static void test_traps_and_backtrace(void **state)
{
    fixture *fx = *state;
    isola_instance *inst = instantiate(fx, k_traps, NULL, 0);

    expect_trap(fx->exec, export_func(inst, "outer"), NULL, 0, ISOLA_TRAP_UNREACHABLE, "unreachable");
    const isola_trap *t = isola_exec_trap(fx->exec);
    assert_int_equal(t->nframes, 3);
    assert_string_equal(t->frames[0].func_name, "inner");
    assert_string_equal(t->frames[1].func_name, "middle");
    assert_string_equal(t->frames[2].func_name, "outer");
    assert_string_equal(t->frames[0].module_name, "traps");
    char buf[512];
    size_t n = isola_trap_format(t, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    assert_non_null(strstr(buf, "unreachable"));
    assert_non_null(strstr(buf, "inner"));
    assert_non_null(strstr(buf, "outer"));
    /* Truncation keeps the buffer terminated. */
    char small[8];
    isola_trap_format(t, small, sizeof small);
    assert_int_equal(strlen(small), 7);

    isola_value z = i32v(0);
    expect_trap(fx->exec, export_func(inst, "div"), &z, 1, ISOLA_TRAP_DIVIDE_BY_ZERO, "integer divide by zero");
    expect_trap(fx->exec, export_func(inst, "ovf"), NULL, 0, ISOLA_TRAP_INTEGER_OVERFLOW, "integer overflow");
    isola_value nan = { .type = ISOLA_F32, .of.f32_bits = 0x7fc00000 };
    expect_trap(fx->exec, export_func(inst, "conv"), &nan, 1, ISOLA_TRAP_INVALID_CONVERSION,
                "invalid conversion to integer");
    isola_value big = { .type = ISOLA_F32, .of.f32 = 3e9f };
    expect_trap(fx->exec, export_func(inst, "conv"), &big, 1, ISOLA_TRAP_INTEGER_OVERFLOW, "integer overflow");
    isola_value addr = i32v(65532);
    expect_trap(fx->exec, export_func(inst, "load"), &addr, 1, ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS,
                "out of bounds memory access");
    addr = i32v(-1);
    expect_trap(fx->exec, export_func(inst, "load"), &addr, 1, ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS,
                "out of bounds memory access");
    addr = i32v(65528);
    assert_int_equal(call_i32(fx->exec, export_func(inst, "load"), &addr, 1), 0);

    isola_value i = i32v(1);
    expect_trap(fx->exec, export_func(inst, "ind"), &i, 1, ISOLA_TRAP_UNINITIALIZED_ELEMENT,
                "uninitialized element");
    i = i32v(5);
    expect_trap(fx->exec, export_func(inst, "ind"), &i, 1, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS, "undefined element");
    expect_trap(fx->exec, export_func(inst, "ind_type"), NULL, 0, ISOLA_TRAP_INDIRECT_CALL_TYPE,
                "indirect call type mismatch");
    i = i32v(0);
    expect_trap(fx->exec, export_func(inst, "ind"), &i, 1, ISOLA_TRAP_UNREACHABLE, "unreachable");

    /* A trapped call has no results; after it the context is ready for a new call. */
    isola_value none;
    assert_int_equal(isola_exec_results(fx->exec, &none, 1), 0);
    isola_value d = i32v(1000);
    assert_int_equal(call_i32(fx->exec, export_func(inst, "rec"), &d, 1), 1000);
    isola_instance_release(inst);
}

static void test_deep_recursion(void **state)
{
    fixture *fx = *state;
    isola_instance *inst = instantiate(fx, k_traps, NULL, 0);

    /* Unbounded recursion traps cleanly at the default depth. */
    expect_trap(fx->exec, export_func(inst, "inf"), NULL, 0, ISOLA_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    assert_true(isola_exec_trap(fx->exec)->nframes > 0);
    isola_value d = i32v(15000);
    assert_int_equal(call_i32(fx->exec, export_func(inst, "rec"), &d, 1), 15000);

    /* A configured depth limit. */
    isola_error err;
    isola_exec_config cfg = { .stack_slots = 0, .max_call_depth = 100 };
    isola_exec *small = isola_exec_new(fx->engine, &cfg, &err);
    assert_non_null(small);
    d = i32v(90);
    assert_int_equal(call_i32(small, export_func(inst, "rec"), &d, 1), 90);
    d = i32v(150);
    expect_trap(small, export_func(inst, "rec"), &d, 1, ISOLA_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    isola_exec_release(small);

    /* A small value stack runs out before the depth limit. */
    isola_exec_config cfg2 = { .stack_slots = 2048, .max_call_depth = 1000000 };
    small = isola_exec_new(fx->engine, &cfg2, &err);
    assert_non_null(small);
    d = i32v(100000);
    expect_trap(small, export_func(inst, "rec"), &d, 1, ISOLA_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    isola_exec_release(small);
    isola_instance_release(inst);
}

/* A new context is small (EXEC_SMALL_FRAMES frames) and grows when a call
 * does not fit: the frames below, their values and the host call's slots
 * must be where the run left them, whether it grows on its first deep call
 * or after blocking and yielding at a small depth. */
static const char *k_deep_host =
    "(module\n"
    "  (import \"env\" \"f\" (func $f (param i32) (result i32)))\n"
    "  (memory 1)\n"
    "  (func $deep (export \"deep\") (param i32) (result i32) (local i32)\n"
    "    (local.set 1 (i32.mul (local.get 0) (i32.const 1000)))\n"
    "    (if (result i32) (i32.eqz (local.get 0))\n"
    "      (then (i32.add (call $f (i32.const 21)) (i32.const 0)))\n"
    "      (else (i32.add (local.get 1)\n"
    "        (i32.add (call $f (i32.const 0)) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))))\n";

static void test_stack_grows_mid_run(void **state)
{
    fixture *fx = *state;
    struct host_state hs = { 0 };
    isola_valtype i32 = ISOLA_I32;
    isola_functype ft = { 1, 1, &i32, &i32 };
    isola_error err;
    isola_func *hf = isola_func_new(fx->engine, &ft, host_f, &hs, &err);
    assert_non_null(hf);
    isola_extern imp = { .kind = ISOLA_EXTERN_FUNC, .of.func = hf };
    isola_instance *inst = instantiate(fx, k_deep_host, &imp, 1);
    isola_func *deep = export_func(inst, "deep");
    /* deep(n) = sum(k * 1000, k = 1..n) + f(21) = 500 n (n + 1) + 42 */
    for (int32_t n = 0; n <= 40; n += 5) {
        isola_exec *ex = isola_exec_new(fx->engine, NULL, &err);
        assert_non_null(ex);
        /* Block in the first host call (depth 1, before any growth) and
         * yield on fuel every few calls, so the growth happens in a run
         * that was stopped and resumed. */
        hs.block_times = 1;
        isola_exec_set_fuel(ex, 7);
        isola_value a = i32v(n);
        isola_status st = isola_exec_call(ex, deep, &a, 1);
        int stops = 0;
        while (st == ISOLA_YIELDED || st == ISOLA_SUSPENDED) {
            stops++;
            isola_exec_set_fuel(ex, 7);
            st = isola_exec_resume(ex);
        }
        assert_int_equal(st, ISOLA_OK);
        assert_true(stops > 0);
        isola_value r;
        assert_int_equal(isola_exec_results(ex, &r, 1), 1);
        assert_int_equal(r.of.i32, 500 * n * (n + 1) + 42);
        /* Grown or not, the context takes the next call and traps cleanly. */
        isola_exec_set_fuel(ex, ISOLA_FUEL_UNLIMITED);
        a = i32v(3);
        assert_int_equal(call_i32(ex, deep, &a, 1), 6042);
        isola_instance *traps = instantiate(fx, k_traps, NULL, 0);
        expect_trap(ex, export_func(traps, "inf"), NULL, 0, ISOLA_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        assert_int_equal(isola_exec_trap(ex)->nframes, 64);
        isola_instance_release(traps);
        isola_exec_release(ex);
    }
    isola_instance_release(inst);
    isola_func_release(hf);
}

/* ------------------------------------------------------------ across instances */

static const char *k_lib =
    "(module $lib\n"
    "  (memory (export \"mem\") 1)\n"
    "  (data (i32.const 0) \"\\07\")\n"
    "  (global $g (export \"g\") (mut i32) (i32.const 5))\n"
    "  (func $peek (export \"peek\") (param i32) (result i32)\n"
    "    (global.set $g (i32.add (global.get $g) (i32.const 1)))\n"
    "    (i32.add (i32.load8_u (i32.const 0)) (local.get 0)))\n"
    "  (func (export \"grow\") (result i32) (memory.grow (i32.const 1))))\n";

static const char *k_user =
    "(module $user\n"
    "  (import \"lib\" \"peek\" (func $peek (param i32) (result i32)))\n"
    "  (import \"lib\" \"grow\" (func $grow (result i32)))\n"
    "  (import \"lib\" \"g\" (global $g (mut i32)))\n"
    "  (memory 1)\n"
    "  (data (i32.const 0) \"\\64\")\n"
    "  (table funcref (elem $peek))\n"
    "  (func (export \"run\") (result i32)\n"
    "    ;; own memory byte 0 is 100; lib's is 7: the call must switch memories and back\n"
    "    (i32.add (call $peek (i32.const 1000))\n"
    "             (i32.add (i32.load8_u (i32.const 0))\n"
    "                      (call_indirect (param i32) (result i32) (i32.const 0) (i32.const 0)))))\n"
    "  (func (export \"g\") (result i32) (global.get $g))\n"
    "  (func (export \"grow_and_size\") (result i32)\n"
    "    (drop (call $grow)) (memory.size)))\n";

static void test_cross_instance(void **state)
{
    fixture *fx = *state;
    isola_instance *lib = instantiate(fx, k_lib, NULL, 0);
    isola_extern imps[3];
    assert_true(isola_instance_export(lib, "peek", &imps[0]));
    assert_true(isola_instance_export(lib, "grow", &imps[1]));
    assert_true(isola_instance_export(lib, "g", &imps[2]));
    isola_instance *user = instantiate(fx, k_user, imps, 3);

    assert_int_equal(call_i32(fx->exec, export_func(user, "run"), NULL, 0), 1007 + 100 + 7);
    assert_int_equal(call_i32(fx->exec, export_func(user, "g"), NULL, 0), 7);
    /* lib's memory grows; user's own memory stays at one page. */
    assert_int_equal(call_i32(fx->exec, export_func(user, "grow_and_size"), NULL, 0), 1);
    isola_extern mem;
    assert_true(isola_instance_export(lib, "mem", &mem));
    assert_int_equal(isola_memory_size(mem.of.memory), 2 * 65536);

    isola_instance_release(user);
    isola_instance_release(lib);
}

/* ------------------------------------------------------------ bulk instructions and fuel */

/* Bulk instructions cost a unit of fuel per 64 bytes or 8 elements; one
 * bigger than the fuel left stops part way and goes on when resumed. The
 * module's data and element segments are written out by bulk_module. */
#define BULK_DATA_LEN 20000
#define BULK_ELEM_LEN 3000
#define BULK_TABLE 4096

static char *bulk_module(void)
{
    size_t cap = 64 + (size_t)BULK_DATA_LEN * 3 + (size_t)BULK_ELEM_LEN * 4 + 4096;
    char *w = malloc(cap);
    assert_non_null(w);
    size_t n = (size_t)snprintf(w, cap,
        "(module\n"
        "  (memory (export \"mem\") 4)\n"
        "  (table $t (export \"tab\") %d funcref)\n"
        "  (func $f1 (result i32) (i32.const 1)) (func $f2 (result i32) (i32.const 2))\n"
        "  (func $f3 (result i32) (i32.const 3))\n"
        "  (func (export \"fill\") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))\n"
        "  (func (export \"copy\") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))\n"
        "  (func (export \"init\") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))\n"
        "  (func (export \"tfill\") (param i32 i32) (table.fill $t (local.get 0) (ref.func $f3) (local.get 1)))\n"
        "  (func (export \"tcopy\") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))\n"
        "  (func (export \"tinit\") (param i32 i32 i32) (table.init $t $e (local.get 0) (local.get 1) (local.get 2)))\n"
        "  (func (export \"seed\") (local i32)\n"
        "    (table.init $t $e (i32.const 0) (i32.const 0) (i32.const %d))\n"
        "    (loop $l (i32.store8 (local.get 0) (i32.add (i32.mul (local.get 0) (i32.const 7)) (i32.const 3)))\n"
        "      (br_if $l (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 262144)))))\n"
        "  (elem declare func $f3)\n"
        "  (elem $e func", BULK_TABLE, BULK_ELEM_LEN);
    for (int i = 0; i < BULK_ELEM_LEN; i++)
        n += (size_t)snprintf(w + n, cap - n, " $f%d", 1 + (i * 5 + i / 7) % 2);
    n += (size_t)snprintf(w + n, cap - n, ")\n  (data $d \"");
    for (int i = 0; i < BULK_DATA_LEN; i++)
        n += (size_t)snprintf(w + n, cap - n, "\\%02x", (unsigned)((i * 13 + i / 256) & 0xff));
    snprintf(w + n, cap - n, "\"))\n");
    return w;
}

typedef struct bulk_case {
    const char *func;
    int32_t args[3];
    uint32_t nargs;
    uint32_t units;      /* bytes or elements it moves */
    uint32_t shift;      /* units per fuel: 1 << shift */
} bulk_case;

/* The table as numbers: 0 for null, else what the function returns. */
static void table_values(isola_instance *inst, isola_exec *ex, int32_t *out)
{
    isola_extern t;
    assert_true(isola_instance_export(inst, "tab", &t));
    for (uint32_t i = 0; i < BULK_TABLE; i++) {
        isola_value v;
        assert_true(isola_table_get(t.of.table, i, &v));
        out[i] = v.of.funcref ? call_i32(ex, v.of.funcref, NULL, 0) : 0;
    }
}

static uint8_t *memory_of(isola_instance *inst)
{
    isola_extern m;
    assert_true(isola_instance_export(inst, "mem", &m));
    return isola_memory_data(m.of.memory);
}

/* Runs `c` on a fresh instance, with unlimited fuel or `step` units per
 * resume; returns the number of yields, the memory and table in out. */
static int run_bulk(fixture *fx, isola_module *m, const bulk_case *c, int64_t step, uint8_t *mem, int32_t *tab)
{
    isola_error err;
    isola_instance *inst = isola_instantiate(fx->engine, m, NULL, 0, NULL, fx->exec, &err);
    assert_non_null(inst);
    isola_exec_set_fuel(fx->exec, ISOLA_FUEL_UNLIMITED);
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "seed"), NULL, 0), ISOLA_OK);
    isola_value a[3];
    for (uint32_t i = 0; i < c->nargs; i++)
        a[i] = i32v(c->args[i]);
    int yields = 0;
    isola_exec_set_fuel(fx->exec, step ? step : 1000);
    isola_status st = isola_exec_call(fx->exec, export_func(inst, c->func), a, c->nargs);
    for (; st == ISOLA_YIELDED; yields++) {
        assert_int_equal(isola_exec_fuel(fx->exec), 0);
        isola_exec_set_fuel(fx->exec, step);
        st = isola_exec_resume(fx->exec);
    }
    assert_int_equal(st, ISOLA_OK);
    if (!step)   /* one for the call, one per 2^shift units */
        assert_int_equal(isola_exec_fuel(fx->exec), 1000 - 1 - (c->units >> c->shift));
    memcpy(mem, memory_of(inst), 4 * 65536);
    isola_exec_set_fuel(fx->exec, ISOLA_FUEL_UNLIMITED);
    table_values(inst, fx->exec, tab);
    isola_instance_release(inst);
    return yields;
}

static void test_bulk_fuel_and_resume(void **state)
{
    fixture *fx = *state;
    char *wat = bulk_module();
    size_t len;
    uint8_t *bytes = wat_to_wasm(wat, &len);
    free(wat);
    isola_error err;
    isola_module *m = isola_module_load(fx->engine, bytes, len, &err);
    free(bytes);
    assert_non_null(m);

    static const bulk_case cases[] = {
        {"fill", {1000, 0xab, 60000}, 3, 60000, 6},
        {"copy", {100, 5000, 50000}, 3, 50000, 6},       /* overlapping, destination below */
        {"copy", {5000, 100, 50000}, 3, 50000, 6},       /* overlapping, destination above */
        {"copy", {200000, 10, 40000}, 3, 40000, 6},      /* apart */
        {"init", {777, 1234, 18000}, 3, 18000, 6},
        {"tfill", {10, 4000}, 2, 4000, 3},
        {"tinit", {100, 5, 2990}, 3, 2990, 3},
        {"tcopy", {51, 400, 2500}, 3, 2500, 3},          /* overlapping, destination below */
        {"tcopy", {400, 51, 2500}, 3, 2500, 3},          /* overlapping, destination above */
    };
    uint8_t *whole_mem = malloc(4 * 65536), *part_mem = malloc(4 * 65536);
    int32_t *whole_tab = malloc(BULK_TABLE * sizeof(int32_t)), *part_tab = malloc(BULK_TABLE * sizeof(int32_t));
    assert_true(whole_mem && part_mem && whole_tab && part_tab);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bulk_case *c = &cases[i];
        assert_int_equal(run_bulk(fx, m, c, 0, whole_mem, whole_tab), 0);
        int yields = run_bulk(fx, m, c, 7, part_mem, part_tab);
        uint32_t fuel_needed = 1 + (c->units >> c->shift);
        assert_in_range(yields, fuel_needed / 7 - 1, fuel_needed / 7 + 1);
        if (memcmp(whole_mem, part_mem, 4 * 65536) != 0)
            fail_msg("%s %d %d %d: memory differs when done in parts", c->func, c->args[0], c->args[1], c->args[2]);
        if (memcmp(whole_tab, part_tab, BULK_TABLE * sizeof(int32_t)) != 0)
            fail_msg("%s %d %d %d: table differs when done in parts", c->func, c->args[0], c->args[1], c->args[2]);
    }

    isola_instance *inst = isola_instantiate(fx->engine, m, NULL, 0, NULL, fx->exec, &err);
    assert_non_null(inst);
    uint8_t *mem = memory_of(inst);
    /* Out of bounds traps before writing anything, however little fuel is left. */
    isola_value a[3] = {i32v(0), i32v(9), i32v(4 * 65536 + 1)};
    isola_exec_set_fuel(fx->exec, 2);
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "fill"), a, 3), ISOLA_TRAPPED);
    assert_int_equal(mem[0], 0);
    /* A call reset part way leaves no progress behind for the next one. */
    a[1] = i32v(1);
    a[2] = i32v(100000);
    isola_exec_set_fuel(fx->exec, 100);
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "fill"), a, 3), ISOLA_YIELDED);
    assert_int_equal(mem[99 * 64 - 1], 1);
    assert_int_equal(mem[99 * 64], 0);
    isola_exec_reset(fx->exec);
    a[1] = i32v(2);
    isola_exec_set_fuel(fx->exec, ISOLA_FUEL_UNLIMITED);
    assert_int_equal(isola_exec_call(fx->exec, export_func(inst, "fill"), a, 3), ISOLA_OK);
    for (uint32_t i = 0; i < 100000; i++)
        if (mem[i] != 2)
            fail_msg("byte %u is %u after a fresh fill", i, mem[i]);
    isola_instance_release(inst);

    free(whole_mem);
    free(part_mem);
    free(whole_tab);
    free(part_tab);
    isola_module_release(m);
}

/* isola_instance_limits.max_table_elements: the tables an instance defines,
 * and what table.grow in its code adds, share one budget. */
static void test_table_budget(void **state)
{
    fixture *fx = *state;
    size_t len;
    uint8_t *bytes = wat_to_wasm(
        "(module (table $a 10 funcref) (table $b 5 funcref)\n"
        "  (func (export \"grow_a\") (param i32) (result i32) (table.grow $a (ref.null func) (local.get 0)))\n"
        "  (func (export \"grow_b\") (param i32) (result i32) (table.grow $b (ref.null func) (local.get 0))))\n",
        &len);
    isola_error err;
    isola_module *m = isola_module_load(fx->engine, bytes, len, &err);
    free(bytes);
    assert_non_null(m);
    isola_instance_limits tight = {.limit_tables = true, .max_table_elements = 14};
    assert_null(isola_instantiate(fx->engine, m, NULL, 0, &tight, fx->exec, &err));
    assert_int_equal(err.kind, ISOLA_ERR_RESOURCE);
    assert_non_null(strstr(err.message, "limit of 14 elements"));

    isola_instance_limits twenty = {.limit_tables = true, .max_table_elements = 20};
    isola_instance *inst = isola_instantiate(fx->engine, m, NULL, 0, &twenty, fx->exec, &err);
    assert_non_null(inst);
    isola_func *grow_a = export_func(inst, "grow_a"), *grow_b = export_func(inst, "grow_b");
    isola_value three = i32v(3), two = i32v(2), one = i32v(1), zero = i32v(0);
    assert_int_equal(call_i32(fx->exec, grow_a, &three, 1), 10);
    assert_int_equal(call_i32(fx->exec, grow_b, &three, 1), -1);   /* 2 left */
    assert_int_equal(call_i32(fx->exec, grow_b, &two, 1), 5);
    assert_int_equal(call_i32(fx->exec, grow_a, &one, 1), -1);
    assert_int_equal(call_i32(fx->exec, grow_a, &zero, 1), 13);
    isola_instance_release(inst);

    isola_instance_limits none = {.limit_tables = true, .max_table_elements = 0};
    assert_null(isola_instantiate(fx->engine, m, NULL, 0, &none, fx->exec, &err));

    inst = isola_instantiate(fx->engine, m, NULL, 0, NULL, fx->exec, &err);
    assert_non_null(inst);
    isola_value many = i32v(100000);
    assert_int_equal(call_i32(fx->exec, export_func(inst, "grow_a"), &many, 1), 10);
    isola_instance_release(inst);
    isola_module_release(m);
}

/* isola_instance_limits.memory_growing: asked before each memory.grow its
 * cap allows, with the pages; a refusal makes memory.grow return -1. */
typedef struct grow_budget {
    uint32_t left, asked;
} grow_budget;

static bool budget_growing(void *user, uint32_t delta)
{
    grow_budget *b = user;
    b->asked++;
    if (delta > b->left)
        return false;
    b->left -= delta;
    return true;
}

static void budget_grow_failed(void *user, uint32_t delta)
{
    ((grow_budget *)user)->left += delta;
}

static void test_memory_grow_hook(void **state)
{
    fixture *fx = *state;
    isola_engine *e = fx->engine;
    size_t len;
    uint8_t *bytes = wat_to_wasm("(module (memory 1 10)\n"
                                 "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))\n",
                                 &len);
    isola_error err;
    isola_module *m = isola_module_load(e, bytes, len, &err);
    free(bytes);
    assert_non_null(m);
    grow_budget b = {.left = 5};
    isola_instance_limits lim = {.memory_growing = budget_growing, .memory_grow_failed = budget_grow_failed,
                                 .grow_user = &b};
    isola_instance *inst = isola_instantiate(e, m, NULL, 0, &lim, fx->exec, &err);
    assert_non_null(inst);
    isola_func *grow = export_func(inst, "grow");
    isola_value three = i32v(3), zero = i32v(0), twenty = i32v(20);
    assert_int_equal(call_i32(fx->exec, grow, &three, 1), 1);
    assert_int_equal(call_i32(fx->exec, grow, &three, 1), -1);    /* 2 left in the budget */
    assert_int_equal(call_i32(fx->exec, grow, &zero, 1), 4);      /* not asked */
    assert_int_equal(call_i32(fx->exec, grow, &twenty, 1), -1);   /* past the cap: not asked */
    assert_int_equal(b.asked, 2);
    assert_int_equal(b.left, 2);
    isola_instance_release(inst);
    isola_module_release(m);
}

/* A call clears its callee's locals: a unit of fuel per 8 beyond the
 * call's own, so a function with a thousand locals costs 126 a call. */
static void test_locals_cost_fuel(void **state)
{
    fixture *fx = *state;
    char wat[16384];
    size_t n = (size_t)snprintf(wat, sizeof wat, "(module (func $big (local");
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(wat + n, sizeof wat - n, " i64");
    snprintf(wat + n, sizeof wat - n,
             "))\n  (func (export \"calls\") (param i32) (result i32)\n"
             "    (loop $l (call $big)\n"
             "      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))\n"
             "    (i32.const 7)))\n");
    isola_instance *inst = instantiate(fx, wat, NULL, 0);
    isola_value a = i32v(1000);
    isola_exec_set_fuel(fx->exec, 10000);
    isola_status st = isola_exec_call(fx->exec, export_func(inst, "calls"), &a, 1);
    int yields = 0;
    for (; st == ISOLA_YIELDED; yields++) {
        /* Out of fuel, or overdrawn by one call's clearing: a debt is kept. */
        int64_t left = isola_exec_fuel(fx->exec);
        assert_true(left <= 0 && left >= -125);
        isola_exec_set_fuel(fx->exec, 10000);
        st = isola_exec_resume(fx->exec);
    }
    assert_int_equal(st, ISOLA_OK);
    /* 1000 iterations of (loop 1 + call 1 + locals 125): 127,000 units, 12 slices' worth. */
    assert_in_range(yields, 11, 13);
    isola_instance_release(inst);
}

static isola_host_result host_spend(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)slots;
    isola_host_spend_fuel(call, *(uint64_t *)user);
    return ISOLA_HOST_RETURN;
}

/* A host call costs a unit, and its work past the fuel left is a debt the
 * caller sees (negative fuel), not forgiven; with unlimited fuel, any
 * charge leaves it practically unlimited (it once overflowed to a debt). */
static void test_host_calls_pay_and_owe(void **state)
{
    fixture *fx = *state;
    uint64_t units = 1000;
    isola_functype ft = { 0, 0, NULL, NULL };
    isola_error err;
    isola_func *hf = isola_func_new(fx->engine, &ft, host_spend, &units, &err);
    assert_non_null(hf);
    isola_extern imp = { .kind = ISOLA_EXTERN_FUNC, .of.func = hf };
    isola_instance *inst = instantiate(fx,
        "(module (import \"env\" \"spend\" (func $s))\n"
        "  (func (export \"ten\") call $s call $s call $s call $s call $s\n"
        "                         call $s call $s call $s call $s call $s))", &imp, 1);
    isola_func *ten = export_func(inst, "ten");
    /* Enough fuel: ten calls, ten units for the calls, 10,000 for their work. */
    isola_exec_set_fuel(fx->exec, 20000);
    assert_int_equal(isola_exec_call(fx->exec, ten, NULL, 0), ISOLA_OK);
    assert_int_equal(isola_exec_fuel(fx->exec), 20000 - 1 - 10 - 10000);
    /* 500 left: the calls overdraw it (a run stops at calls into wasm and
     * back-edges, and there are none), and the whole cost is a debt. */
    isola_exec_set_fuel(fx->exec, 500);
    assert_int_equal(isola_exec_call(fx->exec, ten, NULL, 0), ISOLA_OK);
    assert_true(isola_exec_fuel(fx->exec) == 500 - 1 - 10 - 10000);
    /* Unlimited, and a charge close to the whole range: still runs to the end. */
    units = UINT64_MAX / 2;
    isola_exec_set_fuel(fx->exec, ISOLA_FUEL_UNLIMITED);
    assert_int_equal(isola_exec_call(fx->exec, ten, NULL, 0), ISOLA_OK);
    assert_true(isola_exec_fuel(fx->exec) > 0);
    isola_instance_release(inst);
    isola_func_release(hf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuel_yield_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_on_other_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_block_yield_trap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_complete_from_outside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_traps_and_backtrace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_recursion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stack_grows_mid_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_instance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_fuel_and_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_grow_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_calls_pay_and_owe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locals_cost_fuel, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
