/*
 * test_fusions.c - the translator's fused and immediate op forms, checked by
 * results: each wasm shape below is one the translator rewrites (stores of
 * constants, 64-bit immediates, float compare-and-branch with NaNs, ops with
 * a shifted operand, masked/rebased br_table indexes, counted-down loops,
 * paired constant adds, multiply-adds with a loaded addend, f64 add, sub
 * and mul with a loaded right operand, sums of three, products of two
 * loads (dot products) with and without an addend, f64 updates in place
 * (x[i] += a*b), and-not, xors of two rotations, loops ending in a pair of
 * moves or in a copy before the counter test, strided loops, masked sums,
 * two bitwise ops in a row, f64 updates whose load came long before (and
 * the effects that must keep them apart), updates computing their own
 * address, pointer steps before a loop's back-edge, pairs of adds, runs of
 * three to eight moves or constants, xors of three rotations or shifts, axpy updates,
 * f64 operands loaded early, scaled indexes kept and loaded from, pairs of
 * bit-field extracts, adds of compares, jumps threaded into the return they lead to),
 * run on inputs where a wrong rewrite would give a different answer. Also a
 * regression for the producer position of table.grow/table.get when their
 * operands needed a constant materialised (a following local.set used to
 * retarget the constant instead of the result).
 */
#include <math.h>
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
    char dir[] = "/tmp/isola-fusions-XXXXXX";
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

typedef struct fixture {
    isola_engine *engine;
    isola_exec *exec;
    isola_instance *inst;
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
    if (fx->inst)
        isola_instance_release(fx->inst);
    isola_exec_release(fx->exec);
    isola_engine_release(fx->engine);
    free(fx);
    return 0;
}

static void load(fixture *fx, const char *wat)
{
    size_t len;
    uint8_t *bytes = wat_to_wasm(wat, &len);
    isola_error err;
    isola_module *m = isola_module_load(fx->engine, bytes, len, &err);
    free(bytes);
    if (!m)
        fail_msg("load failed: %s", err.message);
    fx->inst = isola_instantiate(fx->engine, m, NULL, 0, NULL, fx->exec, &err);
    if (!fx->inst)
        fail_msg("instantiate failed: %s", err.message);
    isola_module_release(m);
}

static isola_func *fn(fixture *fx, const char *name)
{
    isola_extern ex;
    assert_true(isola_instance_export(fx->inst, name, &ex));
    assert_int_equal(ex.kind, ISOLA_EXTERN_FUNC);
    return ex.of.func;
}

static isola_value i32v(int32_t v) { return (isola_value){ .type = ISOLA_I32, .of.i32 = v }; }
static isola_value i64v(int64_t v) { return (isola_value){ .type = ISOLA_I64, .of.i64 = v }; }
static isola_value f32v(float v) { return (isola_value){ .type = ISOLA_F32, .of.f32 = v }; }
static isola_value f64v(double v) { return (isola_value){ .type = ISOLA_F64, .of.f64 = v }; }

/* Calls and returns the single result (of any type). */
static isola_value call1(fixture *fx, const char *name, const isola_value *args, uint32_t n)
{
    isola_status st = isola_exec_call(fx->exec, fn(fx, name), args, n);
    if (st != ISOLA_OK)
        fail_msg("%s: status %d: %s / %s", name, st, isola_exec_error(fx->exec),
                 isola_exec_trap(fx->exec)->message ? isola_exec_trap(fx->exec)->message : "");
    isola_value r;
    assert_int_equal(isola_exec_results(fx->exec, &r, 1), 1);
    return r;
}

/* ------------------------------------------------------------ stores of constants */

static const char *k_stores =
    "(module (memory 1)\n"
    "  ;; every store width with a constant value, at p (plain), p+q (add), p+8 (add k)\n"
    "  (func (export \"fill\") (param $p i32) (param $q i32)\n"
    "    (i32.store8 (local.get $p) (i32.const 0x1ff))\n"
    "    (i32.store16 offset=2 (local.get $p) (i32.const -2))\n"
    "    (i32.store (i32.add (local.get $p) (local.get $q)) (i32.const 0x11223344))\n"
    "    (i64.store (i32.add (local.get $p) (i32.const 8)) (i64.const -5))\n"
    "    (i64.store offset=16 (local.get $p) (i64.const 0x123456789))\n"
    "    (i64.store32 (i32.sub (local.get $p) (i32.const -24)) (i64.const 7))\n"
    "    (f64.store offset=32 (local.get $p) (f64.const 0)))\n"
    "  (func (export \"dirty\") (param i32 i64)\n"
    "    (i64.store (local.get 0) (local.get 1)) (i64.store offset=8 (local.get 0) (local.get 1))\n"
    "    (i64.store offset=16 (local.get 0) (local.get 1)) (i64.store offset=24 (local.get 0) (local.get 1))\n"
    "    (i64.store offset=32 (local.get 0) (local.get 1)))\n"
    "  (func (export \"ld8\") (param i32) (result i32) (i32.load8_u (local.get 0)))\n"
    "  (func (export \"ld16\") (param i32) (result i32) (i32.load16_s (local.get 0)))\n"
    "  (func (export \"ld32\") (param i32) (result i32) (i32.load (local.get 0)))\n"
    "  (func (export \"ld64\") (param i32) (result i64) (i64.load (local.get 0)))\n"
    "  (func (export \"poke\") (param i32) (i32.store8 (i32.add (local.get 0) (i32.const 1)) (i32.const 9))))\n";

static void test_store_constants(void **state)
{
    fixture *fx = *state;
    load(fx, k_stores);
    /* Dirty the 40 bytes first so every constant must really be written. */
    isola_value pv[2] = { i32v(1000), i64v(-1) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "dirty"), pv, 2), ISOLA_OK);
    isola_value a = i32v(1032);
    assert_true(call1(fx, "ld64", &a, 1).of.i64 == -1);
    isola_value pq[2] = { i32v(1000), i32v(4) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "fill"), pq, 2), ISOLA_OK);
    a = i32v(1000);
    assert_int_equal(call1(fx, "ld8", &a, 1).of.i32, 0xff);
    a = i32v(1002);
    assert_int_equal(call1(fx, "ld16", &a, 1).of.i32, -2);
    a = i32v(1004);
    assert_int_equal(call1(fx, "ld32", &a, 1).of.i32, 0x11223344);
    a = i32v(1008);
    assert_true(call1(fx, "ld64", &a, 1).of.i64 == -5);
    a = i32v(1016);
    assert_true(call1(fx, "ld64", &a, 1).of.i64 == 0x123456789LL);
    a = i32v(1024);
    assert_int_equal(call1(fx, "ld32", &a, 1).of.i32, 7);
    a = i32v(1032);
    assert_true(call1(fx, "ld64", &a, 1).of.i64 == 0);

    /* A constant store past the end traps, fused with its address add or not. */
    a = i32v(65535);
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "poke"), &a, 1), ISOLA_TRAPPED);
    assert_int_equal(isola_exec_trap(fx->exec)->kind, ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS);
    pq[0] = i32v(65534);
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "fill"), pq, 2), ISOLA_TRAPPED);
    assert_int_equal(isola_exec_trap(fx->exec)->kind, ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS);
}

/* ------------------------------------------------------------ 64-bit immediates */

static const char *k_imm64 =
    "(module\n"
    "  (func (export \"mix\") (param i64) (result i64)\n"
    "    (i64.xor (i64.const 0x7fff000000000001)\n"
    "      (i64.and (i64.add (local.get 0) (i64.const 0xffffffd0)) (i64.const 0xffffffff))))\n"
    "  (func (export \"sub\") (param i64) (result i64) (i64.sub (local.get 0) (i64.const 0x123456789)))\n"
    "  (func (export \"mul\") (param i64) (result i64) (i64.mul (local.get 0) (i64.const -0x100000000)))\n"
    "  (func (export \"shr\") (param i64) (result i64) (i64.shr_u (local.get 0) (i64.const 0x100000023))))\n";

static void test_i64_immediates(void **state)
{
    fixture *fx = *state;
    load(fx, k_imm64);
    int64_t xs[] = { 0, 48, 0x123456789LL, -1, INT64_MIN };
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        uint64_t x = (uint64_t)xs[i];
        isola_value a = i64v(xs[i]);
        assert_true((uint64_t)call1(fx, "mix", &a, 1).of.i64
                    == (0x7fff000000000001ull ^ ((x + 0xffffffd0ull) & 0xffffffffull)));
        assert_true((uint64_t)call1(fx, "sub", &a, 1).of.i64 == x - 0x123456789ull);
        assert_true((uint64_t)call1(fx, "mul", &a, 1).of.i64 == x * 0xffffffff00000000ull);
        assert_true((uint64_t)call1(fx, "shr", &a, 1).of.i64 == x >> 35);    /* count mod 64 */
    }
}

/* ------------------------------------------------------------ float compare + branch */

/* Each function returns a 6-bit mask: bit i set when compare i (eq ne lt gt
 * le ge) of (a, b) is true, decided by br_if (branch when true), by `if`
 * (branch when false), and with a constant right or left operand. */
#define FCMP_FUNCS(T) \
    "  (func (export \"" T "_brif\") (param $a " T ") (param $b " T ") (result i32) (local $m i32)\n" \
    "    (block (br_if 0 (" T ".eq (local.get $a) (local.get $b))) (local.set $m (i32.or (local.get $m) (i32.const 1))))\n" \
    "    (block (br_if 0 (" T ".ne (local.get $a) (local.get $b))) (local.set $m (i32.or (local.get $m) (i32.const 2))))\n" \
    "    (block (br_if 0 (" T ".lt (local.get $a) (local.get $b))) (local.set $m (i32.or (local.get $m) (i32.const 4))))\n" \
    "    (block (br_if 0 (" T ".gt (local.get $a) (local.get $b))) (local.set $m (i32.or (local.get $m) (i32.const 8))))\n" \
    "    (block (br_if 0 (" T ".le (local.get $a) (local.get $b))) (local.set $m (i32.or (local.get $m) (i32.const 16))))\n" \
    "    (block (br_if 0 (" T ".ge (local.get $a) (local.get $b))) (local.set $m (i32.or (local.get $m) (i32.const 32))))\n" \
    "    (i32.xor (local.get $m) (i32.const 63)))\n" \
    "  (func (export \"" T "_if\") (param $a " T ") (param $b " T ") (result i32) (local $m i32)\n" \
    "    (if (" T ".eq (local.get $a) (local.get $b)) (then (local.set $m (i32.or (local.get $m) (i32.const 1)))))\n" \
    "    (if (" T ".ne (local.get $a) (local.get $b)) (then (local.set $m (i32.or (local.get $m) (i32.const 2)))))\n" \
    "    (if (" T ".lt (local.get $a) (local.get $b)) (then (local.set $m (i32.or (local.get $m) (i32.const 4)))))\n" \
    "    (if (" T ".gt (local.get $a) (local.get $b)) (then (local.set $m (i32.or (local.get $m) (i32.const 8)))))\n" \
    "    (if (" T ".le (local.get $a) (local.get $b)) (then (local.set $m (i32.or (local.get $m) (i32.const 16)))))\n" \
    "    (if (" T ".ge (local.get $a) (local.get $b)) (then (local.set $m (i32.or (local.get $m) (i32.const 32)))))\n" \
    "    (local.get $m))\n" \
    "  (func (export \"" T "_k\") (param $a " T ") (result i32) (local $m i32)\n" \
    "    (if (" T ".eq (local.get $a) (" T ".const 1.5)) (then (local.set $m (i32.or (local.get $m) (i32.const 1)))))\n" \
    "    (if (" T ".ne (local.get $a) (" T ".const 1.5)) (then (local.set $m (i32.or (local.get $m) (i32.const 2)))))\n" \
    "    (block (br_if 0 (" T ".lt (" T ".const 1.5) (local.get $a))) (local.set $m (i32.or (local.get $m) (i32.const 8))))\n" \
    "    (block (br_if 0 (" T ".gt (" T ".const 1.5) (local.get $a))) (local.set $m (i32.or (local.get $m) (i32.const 4))))\n" \
    "    (if (" T ".le (local.get $a) (" T ".const 1.5)) (then (local.set $m (i32.or (local.get $m) (i32.const 16)))))\n" \
    "    (local.set $m (i32.or (local.get $m) (i32.shl (" T ".ge (local.get $a) (" T ".const 1.5)) (i32.const 5))))\n" \
    "    (i32.xor (local.get $m) (i32.const 12)))\n"

static const char *k_fcmp = "(module\n" FCMP_FUNCS("f32") FCMP_FUNCS("f64") ")\n";

static int want_mask(double a, double b)
{
    return (a == b) | (a != b) << 1 | (a < b) << 2 | (a > b) << 3 | (a <= b) << 4 | (a >= b) << 5;
}

static void test_float_compare_branches(void **state)
{
    fixture *fx = *state;
    load(fx, k_fcmp);
    const double vals[] = { 1.5, -0.0, 0.0, 2.0, -INFINITY, NAN };
    const size_t n = sizeof vals / sizeof vals[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double a = vals[i], b = vals[j];
            int want = want_mask(a, b);
            isola_value d[2] = { f64v(a), f64v(b) }, f[2] = { f32v((float)a), f32v((float)b) };
            assert_int_equal(call1(fx, "f64_brif", d, 2).of.i32, want);
            assert_int_equal(call1(fx, "f64_if", d, 2).of.i32, want);
            assert_int_equal(call1(fx, "f32_brif", f, 2).of.i32, want);
            assert_int_equal(call1(fx, "f32_if", f, 2).of.i32, want);
        }
        int want = want_mask(vals[i], 1.5);
        isola_value d = f64v(vals[i]), f = f32v((float)vals[i]);
        assert_int_equal(call1(fx, "f64_k", &d, 1).of.i32, want);
        assert_int_equal(call1(fx, "f32_k", &f, 1).of.i32, want);
    }
}

/* ------------------------------------------------------------ shifted operands */

static const char *k_shifted =
    "(module (memory 1)\n"
    "  (func (export \"ops\") (param $a i32) (param $b i32) (result i32)\n"
    "    ;; each op with the shifted value on the right, then on the left\n"
    "    (i32.xor (i32.xor\n"
    "      (i32.add (i32.add (local.get $a) (i32.shl (local.get $b) (i32.const 3)))\n"
    "               (i32.mul (i32.sub (local.get $a) (i32.shr_u (local.get $b) (i32.const 5))) (i32.const 3)))\n"
    "      (i32.add\n"
    "        (i32.mul (i32.and (i32.rotl (local.get $b) (i32.const 7)) (local.get $a)) (i32.const 5))\n"
    "        (i32.mul (i32.or (local.get $a) (i32.rotl (local.get $b) (i32.const 29))) (i32.const 7))))\n"
    "      (i32.xor (i32.shr_u (local.get $a) (i32.const 35)) (local.get $b))))\n"
    "  ;; a + (i << 2) used as an address (the indexed load form) and as a value\n"
    "  (func (export \"index\") (param $base i32) (param $i i32) (result i32) (local $p i32)\n"
    "    (i32.store (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))\n"
    "    (local.set $p (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))\n"
    "    (i32.add (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))\n"
    "             (local.get $p))))\n";

static uint32_t rotl(uint32_t x, unsigned k) { return (x << k) | (x >> (32 - k)); }

static void test_shifted_operands(void **state)
{
    fixture *fx = *state;
    load(fx, k_shifted);
    const uint32_t xs[] = { 0, 1, 0x80000000u, 0xdeadbeefu, 12345u, 0xffffffffu };
    for (size_t i = 0; i < 6; i++) {
        for (size_t j = 0; j < 6; j++) {
            uint32_t a = xs[i], b = xs[j];
            uint32_t want = ((a + (b << 3)) + (a - (b >> 5)) * 3)
                            ^ ((rotl(b, 7) & a) * 5 + (a | rotl(b, 29)) * 7)
                            ^ ((a >> 3) ^ b);
            isola_value ab[2] = { i32v((int32_t)a), i32v((int32_t)b) };
            assert_int_equal((uint32_t)call1(fx, "ops", ab, 2).of.i32, want);
        }
    }
    isola_value bi[2] = { i32v(4096), i32v(10) };
    assert_int_equal(call1(fx, "index", bi, 2).of.i32, 10 + 4096 + 40);
    /* The address wraps modulo 2^32 exactly as the separate ops would. */
    bi[0] = i32v(-64);
    bi[1] = i32v(100);
    assert_int_equal(call1(fx, "index", bi, 2).of.i32, 100 + 400 - 64);
}

/* ------------------------------------------------------------ br_table index ops, loops */

static const char *k_switch =
    "(module\n"
    "  (func (export \"masked\") (param i32) (result i32)\n"
    "    (block (block (block (block\n"
    "      (br_table 0 1 2 3 (i32.and (local.get 0) (i32.const 255))))\n"
    "      (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))\n"
    "    (i32.const 13))\n"
    "  (func (export \"rebased\") (param i32) (result i32)\n"
    "    (block (block (block\n"
    "      (br_table 0 1 2 (i32.sub (local.get 0) (i32.const 97))))\n"
    "      (return (i32.const 1))) (return (i32.const 2)))\n"
    "    (i32.const 3))\n"
    "  ;; a loop counted down by br_if on the decremented counter\n"
    "  (func (export \"countdown\") (param $n i32) (param $k i32) (result i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $s (i32.add (local.get $s) (local.get $n)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (local.get $k)))))\n"
    "    (local.get $s))\n"
    "  (func (export \"countdown1\") (param $n i32) (result i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $s (i32.add (local.get $s) (local.get $n)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
    "    (local.get $s)))\n";

static void test_switch_and_loops(void **state)
{
    fixture *fx = *state;
    load(fx, k_switch);
    struct { int32_t in, masked; } m[] = { { 0, 10 }, { 1, 11 }, { 2, 12 }, { 3, 13 }, { 4, 13 },
                                           { 0x100, 10 }, { 0x102, 12 }, { -1, 13 } };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        isola_value a = i32v(m[i].in);
        assert_int_equal(call1(fx, "masked", &a, 1).of.i32, m[i].masked);
    }
    struct { int32_t in, out; } r[] = { { 'a', 1 }, { 'b', 2 }, { 'c', 3 }, { 'z', 3 }, { 0, 3 }, { 96, 3 } };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        isola_value a = i32v(r[i].in);
        assert_int_equal(call1(fx, "rebased", &a, 1).of.i32, r[i].out);
    }
    isola_value nk[2] = { i32v(100), i32v(1) };
    assert_int_equal(call1(fx, "countdown", nk, 2).of.i32, 5050);
    isola_value n = i32v(1000);
    assert_int_equal(call1(fx, "countdown1", &n, 1).of.i32, 500500);

    /* The fused back-edge still spends fuel: a slice runs out and resumes. */
    isola_exec_set_fuel(fx->exec, 100);
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "countdown1"), &n, 1), ISOLA_YIELDED);
    isola_status st;
    int slices = 1;
    do {
        isola_exec_set_fuel(fx->exec, 100);
        st = isola_exec_resume(fx->exec);
        slices++;
    } while (st == ISOLA_YIELDED);
    assert_int_equal(st, ISOLA_OK);
    assert_in_range(slices, 10, 11);   /* the entry and 999 taken back-edges, 100 per slice */
    isola_value res;
    assert_int_equal(isola_exec_results(fx->exec, &res, 1), 1);
    assert_int_equal(res.of.i32, 500500);
}

/* ------------------------------------------------------------ add pairs, loaded addends */

static const char *k_pairs =
    "(module (memory 1)\n"
    "  ;; two pointer bumps and a counter per iteration: the adds pair up, and\n"
    "  ;; the last one also feeds the fused back-edge test (which must undo a pair)\n"
    "  (func (export \"copy\") (param $src i32) (param $dst i32) (param $n i32) (result i32) (local $i i32)\n"
    "    (loop $l\n"
    "      (i32.store (local.get $dst) (i32.add (i32.load (local.get $src)) (local.get $i)))\n"
    "      (local.set $src (i32.add (local.get $src) (i32.const 4)))\n"
    "      (local.set $dst (i32.sub (local.get $dst) (i32.const -4)))\n"
    "      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))\n"
    "    (local.get $dst))\n"
    "  ;; an add pair whose second add is an address folded into the load (undone too)\n"
    "  (func (export \"pairload\") (param $p i32) (result i32) (local $q i32)\n"
    "    (local.set $q (i32.add (local.get $p) (i32.const 100)))\n"
    "    (i32.add (local.get $q) (i32.load (i32.add (local.get $p) (i32.const 8)))))\n"
    "  ;; acc[i] += a * b and acc[i] = a * b - acc[i]\n"
    "  (func (export \"axpy\") (param $p i32) (param $a f64) (param $b f64)\n"
    "    (f64.store (local.get $p) (f64.add (f64.mul (local.get $a) (local.get $b)) (f64.load (local.get $p))))\n"
    "    (f64.store offset=8 (local.get $p)\n"
    "      (f64.sub (f64.mul (local.get $a) (local.get $b)) (f64.load offset=8 (local.get $p)))))\n"
    "  (func (export \"setf\") (param i32 f64) (f64.store (local.get 0) (local.get 1)))\n"
    "  (func (export \"getf\") (param i32) (result f64) (f64.load (local.get 0)))\n"
    "  (func (export \"set\") (param i32 i32) (i32.store (local.get 0) (local.get 1)))\n"
    "  (func (export \"get\") (param i32) (result i32) (i32.load (local.get 0))))\n";

static void test_add_pairs_and_loaded_addends(void **state)
{
    fixture *fx = *state;
    load(fx, k_pairs);
    for (int i = 0; i < 8; i++) {
        isola_value kv[2] = { i32v(256 + 4 * i), i32v(1000 * i) };
        assert_int_equal(isola_exec_call(fx->exec, fn(fx, "set"), kv, 2), ISOLA_OK);
    }
    isola_value args[3] = { i32v(256), i32v(512), i32v(8) };
    assert_int_equal(call1(fx, "copy", args, 3).of.i32, 512 + 32);
    for (int i = 0; i < 8; i++) {
        isola_value a = i32v(512 + 4 * i);
        assert_int_equal(call1(fx, "get", &a, 1).of.i32, 1000 * i + i);
    }
    isola_value p = i32v(256);
    assert_int_equal(call1(fx, "pairload", &p, 1).of.i32, 356 + 2000);

    isola_value s0[2] = { i32v(64), f64v(0.25) }, s1[2] = { i32v(72), f64v(10.0) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "setf"), s0, 2), ISOLA_OK);
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "setf"), s1, 2), ISOLA_OK);
    isola_value ax[3] = { i32v(64), f64v(1.5), f64v(3.0) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "axpy"), ax, 3), ISOLA_OK);
    isola_value a = i32v(64);
    assert_true(call1(fx, "getf", &a, 1).of.f64 == 4.75);
    a = i32v(72);
    assert_true(call1(fx, "getf", &a, 1).of.f64 == -5.5);
}

/* ------------------------------------------------------------ f64 ops with a loaded operand */

static const char *k_loaded =
    "(module (memory 1)\n"
    "  (func (export \"setf\") (param i32 f64) (f64.store (local.get 0) (local.get 1)))\n"
    "  ;; right operand loaded at p (plain form), at p + off, and at (p - 8) + 8 (the addk form)\n"
    "  (func (export \"sub\") (param $p i32) (param $x f64) (result f64)\n"
    "    (f64.sub (local.get $x) (f64.load (local.get $p))))\n"
    "  (func (export \"mul_off\") (param $p i32) (param $x f64) (result f64)\n"
    "    (f64.mul (local.get $x) (f64.load offset=8 (local.get $p))))\n"
    "  (func (export \"add_k\") (param $p i32) (param $x f64) (result f64)\n"
    "    (f64.add (local.get $x) (f64.load offset=8 (i32.add (local.get $p) (i32.const -8)))))\n"
    "  ;; the result into a local (the producer's destination is retargeted), a temporary\n"
    "  ;; left operand, a constant left operand (not fused), the load on the left\n"
    "  (func (export \"mix\") (param $p i32) (param $x f64) (result f64) (local $y f64)\n"
    "    (local.set $y (f64.sub (local.get $x) (f64.load (local.get $p))))\n"
    "    (f64.add\n"
    "      (f64.mul (f64.add (local.get $y) (local.get $x)) (f64.load offset=8 (local.get $p)))\n"
    "      (f64.sub (f64.sub (f64.const 100) (f64.load (local.get $p))) (f64.load offset=8 (local.get $p)))))\n"
    "  ;; a load that reads its address from the slot it then writes\n"
    "  (func (export \"chase\") (param $p i32) (result f64)\n"
    "    (f64.sub (f64.convert_i32_s (local.get $p)) (f64.load (i32.load (local.get $p))))))\n";

static void test_loaded_float_operands(void **state)
{
    fixture *fx = *state;
    load(fx, k_loaded);
    isola_value s0[2] = { i32v(64), f64v(2.5) }, s1[2] = { i32v(72), f64v(-4.0) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "setf"), s0, 2), ISOLA_OK);
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "setf"), s1, 2), ISOLA_OK);
    isola_value a[2] = { i32v(64), f64v(10.0) };
    assert_true(call1(fx, "sub", a, 2).of.f64 == 7.5);
    assert_true(call1(fx, "mul_off", a, 2).of.f64 == -40.0);
    assert_true(call1(fx, "add_k", a, 2).of.f64 == 12.5);
    /* y = 7.5; (7.5 + 10) * -4 + ((100 - 2.5) - -4) */
    assert_true(call1(fx, "mix", a, 2).of.f64 == -70.0 + 101.5);
    isola_value c = i32v(0);
    isola_value s2[2] = { i32v(0), f64v(0.0) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "setf"), s2, 2), ISOLA_OK);
    assert_true(call1(fx, "chase", &c, 1).of.f64 == 0.0);

    /* Out of bounds through each form: the last byte, and p - 8 wrapping below 0. */
    isola_value oob[2] = { i32v(65536 - 7), f64v(1.0) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "sub"), oob, 2), ISOLA_TRAPPED);
    assert_int_equal(isola_exec_trap(fx->exec)->kind, ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS);
    isola_value wrap[2] = { i32v(4), f64v(1.0) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "add_k"), wrap, 2), ISOLA_TRAPPED);
    assert_int_equal(isola_exec_trap(fx->exec)->kind, ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS);
    isola_value edge[2] = { i32v(65536 - 8), f64v(1.0) };
    assert_true(call1(fx, "add_k", edge, 2).of.f64 == 1.0 + 0.0);
}

/* ------------------------------------------------------------ products of two loads */

static const char *k_dot =
    "(module (memory 1)\n"
    "  (func (export \"set\") (param i32 i32) (i32.store (local.get 0) (local.get 1)))\n"
    "  (func (export \"setf\") (param i32 f64) (f64.store (local.get 0) (local.get 1)))\n"
    "  ;; p[0]*q[0] + p[1]*q[1]: plain loads, then an add-k load and an offset load,\n"
    "  ;; the second product taking the first as its addend\n"
    "  (func (export \"dot2\") (param $p i32) (param $q i32) (result i32)\n"
    "    (i32.add (i32.mul (i32.load (local.get $p)) (i32.load (local.get $q)))\n"
    "             (i32.mul (i32.load (i32.add (local.get $p) (i32.const 4))) (i32.load offset=4 (local.get $q)))))\n"
    "  ;; a loop accumulating into a local, the product on the right of the add\n"
    "  (func (export \"dot\") (param $p i32) (param $q i32) (param $n i32) (result i32) (local $acc i32)\n"
    "    (loop $l\n"
    "      (local.set $acc (i32.add (local.get $acc) (i32.mul (i32.load (local.get $p)) (i32.load (local.get $q)))))\n"
    "      (local.set $p (i32.add (local.get $p) (i32.const 4)))\n"
    "      (local.set $q (i32.add (local.get $q) (i32.const 4)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
    "    (local.get $acc))\n"
    "  ;; the factors at p - 8 (wrapping below 0) and q\n"
    "  (func (export \"back\") (param $p i32) (param $q i32) (result i32)\n"
    "    (i32.mul (i32.load (i32.add (local.get $p) (i32.const -8))) (i32.load (local.get $q))))\n"
    "  ;; the second address is the first loaded value\n"
    "  (func (export \"chase\") (param $p i32) (result i32) (local $t i32)\n"
    "    (i32.mul (local.tee $t (i32.load (local.get $p))) (i32.load (local.get $t))))\n"
    "  ;; an address add between the loads: independent of the first load, and not (it moves $p)\n"
    "  (func (export \"mid\") (param $p i32) (param $q i32) (result i32) (local $r i32)\n"
    "    local.get $p i32.load\n"
    "    local.get $q i32.const 4 i32.add local.set $r\n"
    "    local.get $r i32.load i32.mul)\n"
    "  (func (export \"bump\") (param $p i32) (result i32)\n"
    "    local.get $p i32.load\n"
    "    local.get $p i32.const 4 i32.add local.set $p\n"
    "    local.get $p i32.load i32.mul)\n"
    "  (func (export \"fdot\") (param $p i32) (param $q i32) (param $acc f64) (result f64)\n"
    "    (f64.add (local.get $acc) (f64.mul (f64.load (local.get $p)) (f64.load offset=8 (local.get $q)))))\n"
    "  (func (export \"fdot_left\") (param $p i32) (param $q i32) (param $acc f64) (result f64)\n"
    "    (f64.add (f64.mul (f64.load (local.get $p)) (f64.load (local.get $q))) (local.get $acc)))\n"
    "  (func (export \"fmul\") (param $p i32) (param $q i32) (result f64)\n"
    "    (f64.mul (f64.load (i32.add (local.get $p) (i32.const 8))) (f64.load (local.get $q)))))\n";

static void set32(fixture *fx, int32_t at, int32_t v)
{
    isola_value a[2] = { i32v(at), i32v(v) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "set"), a, 2), ISOLA_OK);
}

static void setf(fixture *fx, int32_t at, double v)
{
    isola_value a[2] = { i32v(at), f64v(v) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "setf"), a, 2), ISOLA_OK);
}

static void expect_oob(fixture *fx, const char *name, const isola_value *args, uint32_t n)
{
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, name), args, n), ISOLA_TRAPPED);
    assert_int_equal(isola_exec_trap(fx->exec)->kind, ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS);
}

static void test_products_of_loads(void **state)
{
    fixture *fx = *state;
    load(fx, k_dot);
    for (int32_t i = 0; i < 4; i++) {
        set32(fx, 16 + 4 * i, i + 2);            /* p: 2 3 4 5 */
        set32(fx, 64 + 4 * i, 1000 * (i + 1));   /* q: 1000 2000 3000 4000 */
    }
    isola_value pq[2] = { i32v(16), i32v(64) };
    assert_int_equal(call1(fx, "dot2", pq, 2).of.i32, 2000 + 6000);
    isola_value pqn[3] = { i32v(16), i32v(64), i32v(4) };
    assert_int_equal(call1(fx, "dot", pqn, 3).of.i32, 2000 + 6000 + 12000 + 20000);
    assert_int_equal(call1(fx, "mid", pq, 2).of.i32, 2 * 2000);      /* p[0] * q[1] */
    isola_value p2 = i32v(20);
    assert_int_equal(call1(fx, "bump", &p2, 1).of.i32, 3 * 4);         /* p[1] * p[2] */
    set32(fx, 16, -65536);                       /* wrapping product: -65536 * 65536 = 0 mod 2^32 */
    set32(fx, 64, 65537);
    assert_int_equal(call1(fx, "dot2", pq, 2).of.i32, -65536 + 6000);
    isola_value back[2] = { i32v(24), i32v(64) };
    assert_int_equal(call1(fx, "back", back, 2).of.i32, -65536);   /* -65536 * 65537 mod 2^32 */
    set32(fx, 128, 132);
    set32(fx, 132, 7);
    isola_value chase = i32v(128);
    assert_int_equal(call1(fx, "chase", &chase, 1).of.i32, 132 * 7);

    /* Each factor out of bounds, the first one first; p - 8 wrapping below 0. */
    isola_value x_out[2] = { i32v(65536 - 3), i32v(64) }, y_out[2] = { i32v(16), i32v(65536 - 2) };
    expect_oob(fx, "dot2", x_out, 2);
    expect_oob(fx, "dot2", y_out, 2);
    isola_value wrap[2] = { i32v(4), i32v(64) };
    expect_oob(fx, "back", wrap, 2);
    isola_value edge[2] = { i32v(8), i32v(65536 - 4) };
    assert_int_equal(call1(fx, "back", edge, 2).of.i32, 0);

    /* f64: product and sum rounded apart (an fma would keep -2^-60). */
    setf(fx, 256, 1.0 + 0x1p-30);
    setf(fx, 272, 1.0 - 0x1p-30);
    isola_value f[3] = { i32v(256), i32v(264), f64v(-1.0) };
    assert_true(call1(fx, "fdot", f, 3).of.f64 == 0.0);
    isola_value fl[3] = { i32v(256), i32v(272), f64v(0.5) };
    assert_true(call1(fx, "fdot_left", fl, 3).of.f64 == 1.5);
    setf(fx, 264, 3.0);
    isola_value fm[2] = { i32v(256), i32v(264) };
    assert_true(call1(fx, "fmul", fm, 2).of.f64 == 9.0);
    isola_value f_out[3] = { i32v(256), i32v(65536 - 8), f64v(0.0) };
    expect_oob(fx, "fdot", f_out, 3);
}

/* ------------------------------------------------------------ f64 updates in place */

static const char *k_update =
    "(module (memory 1)\n"
    "  (func (export \"setf\") (param i32 f64) (f64.store (local.get 0) (local.get 1)))\n"
    "  (func (export \"getf\") (param i32) (result f64) (f64.load (local.get 0)))\n"
    "  ;; x[p] += a*b, x[p+8] -= a*b (offset), x[p] += a*(b*c), and the load after the product\n"
    "  (func (export \"add\") (param $p i32) (param $a f64) (param $b f64)\n"
    "    (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $a) (local.get $b)))))\n"
    "  (func (export \"sub\") (param $p i32) (param $a f64) (param $b f64)\n"
    "    (f64.store offset=8 (local.get $p)\n"
    "      (f64.sub (f64.load offset=8 (local.get $p)) (f64.mul (local.get $a) (local.get $b)))))\n"
    "  (func (export \"add3\") (param $p i32) (param $a f64) (param $b f64)\n"
    "    (f64.store (local.get $p) (f64.add (f64.load (local.get $p))\n"
    "      (f64.mul (local.get $a) (f64.mul (local.get $b) (local.get $b))))))\n"
    "  (func (export \"late\") (param $p i32) (param $a f64) (param $b f64)\n"
    "    (f64.store (local.get $p) (f64.add (f64.mul (local.get $a) (local.get $b)) (f64.load (local.get $p)))))\n"
    "  ;; stored elsewhere, and the loaded value kept in a local: no update in place\n"
    "  (func (export \"move\") (param $p i32) (param $q i32) (param $a f64)\n"
    "    (f64.store (local.get $q) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $a) (local.get $a)))))\n"
    "  (func (export \"keep\") (param $p i32) (param $a f64) (result f64) (local $t f64)\n"
    "    (f64.store (local.get $p) (f64.add (local.tee $t (f64.load (local.get $p))) (f64.mul (local.get $a) (local.get $a))))\n"
    "    (local.get $t)))\n";

static double getf(fixture *fx, int32_t at)
{
    isola_value p = i32v(at);
    return call1(fx, "getf", &p, 1).of.f64;
}

static void update(fixture *fx, const char *name, int32_t p, double a, double b)
{
    isola_value args[3] = { i32v(p), f64v(a), f64v(b) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, name), args, 3), ISOLA_OK);
}

static void test_updates_in_place(void **state)
{
    fixture *fx = *state;
    load(fx, k_update);
    setf(fx, 0, 10.0);
    setf(fx, 8, 10.0);
    update(fx, "add", 0, 2.0, 3.0);
    assert_true(getf(fx, 0) == 16.0);
    update(fx, "sub", 0, 2.0, 3.0);
    assert_true(getf(fx, 8) == 4.0);
    update(fx, "add3", 0, 2.0, 3.0);
    assert_true(getf(fx, 0) == 16.0 + 18.0);
    update(fx, "late", 0, -1.0, 4.0);
    assert_true(getf(fx, 0) == 30.0);
    /* The product and the sum are rounded apart (an fma would leave -2^-60). */
    setf(fx, 16, -1.0);
    update(fx, "add", 16, 1.0 + 0x1p-30, 1.0 - 0x1p-30);
    assert_true(getf(fx, 16) == 0.0);

    isola_value mv[3] = { i32v(0), i32v(24), f64v(2.0) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "move"), mv, 3), ISOLA_OK);
    assert_true(getf(fx, 24) == 34.0 && getf(fx, 0) == 30.0);
    isola_value kp[2] = { i32v(24), f64v(1.0) };
    assert_true(call1(fx, "keep", kp, 2).of.f64 == 34.0);
    assert_true(getf(fx, 24) == 35.0);

    /* Out of bounds: the last 7 bytes, and (sub) the offset past the end. */
    isola_value out[3] = { i32v(65536 - 7), f64v(1.0), f64v(1.0) };
    expect_oob(fx, "add", out, 3);
    isola_value out8[3] = { i32v(65536 - 8), f64v(1.0), f64v(1.0) };
    expect_oob(fx, "sub", out8, 3);
    setf(fx, 65536 - 8, 1.0);
    update(fx, "add", 65536 - 8, 1.0, 1.0);
    assert_true(getf(fx, 65536 - 8) == 2.0);
}

/* ------------------------------------------------------------ updates after a far load, steps, runs */

static const char *k_far =
    "(module (memory 1)\n"
    "  (global $g (export \"g\") (mut i32) (i32.const 0))\n"
    "  (func (export \"setf\") (param i32 f64) (f64.store (local.get 0) (local.get 1)))\n"
    "  (func (export \"set\") (param i32 i32) (i32.store (local.get 0) (local.get 1)))\n"
    "  (func (export \"getf\") (param i32) (result f64) (f64.load (local.get 0)))\n"
    "  ;; nbody's shape: v is loaded first, the product is long: v -= d * (m * (k / sqrt(d2)))\n"
    "  (func (export \"far_sub\") (param $p i32) (param $d f64) (param $m f64)\n"
    "    (f64.store (local.get $p)\n"
    "      (f64.sub (f64.load (local.get $p))\n"
    "        (f64.mul (local.get $d)\n"
    "          (f64.mul (local.get $m) (f64.div (f64.const 2) (f64.sqrt (f64.mul (local.get $d) (local.get $d)))))))))\n"
    "  (func (export \"far_add\") (param $p i32) (param $d f64) (param $m f64)\n"
    "    (f64.store offset=8 (local.get $p)\n"
    "      (f64.add (f64.load offset=8 (local.get $p))\n"
    "        (f64.mul (f64.add (local.get $d) (f64.load offset=16 (local.get $p))) (f64.mul (local.get $m) (local.get $m))))))\n"
    "  ;; an effect between the load and the store: no update at the store\n"
    "  (func (export \"store_between\") (param $p i32) (param $d f64)\n"
    "    local.get $p\n"
    "    local.get $p\n"
    "    f64.load\n"
    "    local.get $d\n"
    "    local.get $p\n"
    "    i64.const 0x4059000000000000\n"
    "    i64.store\n"
    "    local.get $d\n"
    "    f64.mul\n"
    "    f64.sub\n"
    "    f64.store)\n"
    "  (func (export \"global_between\") (param $p i32) (param $d f64)\n"
    "    local.get $p\n"
    "    local.get $p\n"
    "    f64.load\n"
    "    local.get $d\n"
    "    i32.const 1\n"
    "    global.set $g\n"
    "    local.get $d\n"
    "    f64.mul\n"
    "    f64.sub\n"
    "    f64.store)\n"
    "  (func (export \"div_between\") (param $p i32) (param $d f64) (param $z i32)\n"
    "    local.get $p\n"
    "    local.get $p\n"
    "    f64.load\n"
    "    local.get $d\n"
    "    i32.const 7\n"
    "    local.get $z\n"
    "    i32.div_s\n"
    "    f64.convert_i32_s\n"
    "    f64.mul\n"
    "    f64.sub\n"
    "    f64.store)\n"
    "  ;; the address computed as q = p - 24 (local.tee), and the update at q: with and\n"
    "  ;; without an independent product before it; q is returned\n"
    "  (func (export \"addk\") (param $p i32) (param $a f64) (param $b f64) (result i32) (local $q i32)\n"
    "    (f64.store (local.tee $q (i32.sub (local.get $p) (i32.const 24)))\n"
    "      (f64.add (f64.load (local.get $q)) (f64.mul (local.get $a) (local.get $b))))\n"
    "    (local.get $q))\n"
    "  (func (export \"addk_mid\") (param $p i32) (param $a f64) (param $b f64) (result i32) (local $q i32) (local $t f64)\n"
    "    (f64.store (local.tee $q (i32.sub (local.get $p) (i32.const 16)))\n"
    "      (f64.sub (f64.load (local.get $q)) (f64.mul (local.get $a) (local.tee $t (f64.mul (local.get $b) (local.get $b))))))\n"
    "    (i32.add (local.get $q) (i32.trunc_f64_s (local.get $t))))\n"
    "  ;; a pointer step right before each br_inc back-edge: sums n i32s from p\n"
    "  (func (export \"sum_ne\") (param $p i32) (param $n i32) (result i32) (local $i i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))\n"
    "      (local.set $p (i32.add (local.get $p) (i32.const 4)))\n"
    "      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))\n"
    "    (i32.add (local.get $s) (local.get $p)))\n"
    "  (func (export \"sum_lt_s\") (param $p i32) (param $n i32) (result i32) (local $i i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))\n"
    "      (local.set $p (i32.add (local.get $p) (i32.const 4)))\n"
    "      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))\n"
    "    (i32.add (local.get $s) (local.get $p)))\n"
    "  (func (export \"sum_lt_u_k\") (param $p i32) (result i32) (local $i i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))\n"
    "      (local.set $p (i32.add (local.get $p) (i32.const 4)))\n"
    "      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 3))))\n"
    "    (i32.add (local.get $s) (local.get $p)))\n"
    "  (func (export \"sum_down\") (param $p i32) (param $n i32) (result i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))\n"
    "      (local.set $p (i32.add (local.get $p) (i32.const -4)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
    "    (i32.add (local.get $s) (local.get $p)))\n"
    "  ;; the step writes the counter's own input: p is the counter\n"
    "  (func (export \"step_self\") (param $p i32) (result i32)\n"
    "    (loop $l\n"
    "      (local.set $p (i32.add (local.get $p) (i32.const 10)))\n"
    "      (br_if $l (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 1))) (i32.const 100))))\n"
    "    (local.get $p))\n"
    "  ;; axpy: x[p] += a * y[q + 16 + 8], and x[p] -= a * y[q]\n"
    "  (func (export \"axpy\") (param $p i32) (param $q i32) (param $a f64)\n"
    "    (f64.store (local.get $p) (f64.add (f64.load (local.get $p))\n"
    "      (f64.mul (local.get $a) (f64.load offset=8 (i32.add (local.get $q) (i32.const 16)))))))\n"
    "  (func (export \"axmy\") (param $p i32) (param $q i32) (param $a f64)\n"
    "    (f64.store (local.get $p) (f64.sub (f64.load (local.get $p)) (f64.mul (local.get $a) (f64.load (local.get $q))))))\n"
    "  ;; an f64 operand loaded early: a * sqrt(b) with the load on the left, x - f(b) (no fold),\n"
    "  ;; and the load's address local written before the use\n"
    "  (func (export \"early_mul\") (param $p i32) (param $b f64) (result f64)\n"
    "    (f64.mul (f64.load offset=8 (local.get $p)) (f64.sqrt (f64.add (local.get $b) (local.get $b)))))\n"
    "  (func (export \"early_sub\") (param $p i32) (param $b f64) (result f64)\n"
    "    (f64.sub (f64.load (local.get $p)) (f64.sqrt (local.get $b))))\n"
    "  (func (export \"early_moved\") (param $q i32) (param $a f64) (result f64)\n"
    "    local.get $a\n"
    "    local.get $q\n"
    "    f64.load\n"
    "    i32.const 0\n"
    "    local.set $q\n"
    "    f64.mul)\n"
    "  ;; a bytecode fetch: o = pc << 3 kept in a local, then a load from o + 16 + 4; and two\n"
    "  ;; bit fields of the loaded word\n"
    "  (func (export \"fetch\") (param $pc i32) (result i32) (local $o i32) (local $w i32) (local $a i32) (local $b i32)\n"
    "    (local.set $w (i32.load offset=4 (i32.add (local.tee $o (i32.shl (local.get $pc) (i32.const 3))) (i32.const 16))))\n"
    "    (local.set $a (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 15)))\n"
    "    (local.set $b (i32.and (i32.shr_u (local.get $w) (i32.const 28)) (i32.const 3)))\n"
    "    (i32.add (i32.add (local.get $o) (local.get $a)) (i32.mul (local.get $b) (i32.const 1000))))\n"
    "  ;; counts: n + (a != b), n + (a <s 5), (a >u b) + n, n + !(a == b)\n"
    "  (func (export \"counts\") (param $n i32) (param $a i32) (param $b i32) (result i32)\n"
    "    (i32.add (i32.mul (i32.add (local.get $n) (i32.ne (local.get $a) (local.get $b))) (i32.const 1000))\n"
    "      (i32.add (i32.mul (i32.add (local.get $n) (i32.lt_s (local.get $a) (i32.const 5))) (i32.const 100))\n"
    "        (i32.add (i32.mul (i32.add (i32.gt_u (local.get $a) (local.get $b)) (local.get $n)) (i32.const 10))\n"
    "          (i32.add (local.get $n) (i32.eqz (i32.eq (local.get $a) (local.get $b))))))))\n"
    "  ;; a run of six copies (parameters rotated through locals)\n"
    "  (func (export \"copies\") (param $a i32) (param $b i32) (param $c i32) (result i32)\n"
    "    (local $x i32) (local $y i32) (local $z i32)\n"
    "    (local.set $x (local.get $b)) (local.set $y (local.get $c)) (local.set $z (local.get $a))\n"
    "    (local.set $a (local.get $y)) (local.set $b (local.get $z)) (local.set $c (local.get $x))\n"
    "    (i32.add (i32.mul (local.get $a) (i32.const 100)) (i32.add (i32.mul (local.get $b) (i32.const 10)) (local.get $c))))\n"
    "  ;; a call with ten arguments: constants (one v128, one past a run of eight) and locals mixed\n"
    "  (func $ten (param i64 i32 i64 f64 i32 i32 i64 v128 i32 i32) (result i64)\n"
    "    (i64.add (i64.add (i64.add (local.get 0) (i64.mul (i64.extend_i32_s (local.get 1)) (i64.const 10)))\n"
    "                      (i64.add (i64.mul (local.get 2) (i64.const 100)) (i64.trunc_f64_s (f64.mul (local.get 3) (f64.const 1000)))))\n"
    "             (i64.add (i64.add (i64.mul (i64.extend_i32_s (local.get 4)) (i64.const 10000))\n"
    "                               (i64.mul (i64.extend_i32_s (local.get 5)) (i64.const 100000)))\n"
    "                      (i64.add (i64.add (i64.mul (local.get 6) (i64.const 1000000))\n"
    "                                        (i64.mul (i64x2.extract_lane 1 (local.get 7)) (i64.const 10000000)))\n"
    "                               (i64.add (i64.mul (i64.extend_i32_s (local.get 8)) (i64.const 100000000))\n"
    "                                        (i64.mul (i64.extend_i32_s (local.get 9)) (i64.const 1000000000)))))))\n"
    "  (func (export \"args\") (param $x i32) (result i64)\n"
    "    (call $ten (i64.const 1) (local.get $x) (i64.const 3) (f64.const 4) (i32.const 5) (i32.const 6)\n"
    "               (i64.const 7) (v128.const i64x2 0 8) (i32.const 9) (local.get $x)))\n"
    "  ;; SHA-256's small sigma (two rotations and a shift), and three rotations of three values\n"
    "  (func (export \"small_sigma\") (param i32) (result i32)\n"
    "    (i32.xor (i32.xor (i32.rotr (local.get 0) (i32.const 7)) (i32.rotr (local.get 0) (i32.const 18)))\n"
    "             (i32.shr_u (local.get 0) (i32.const 3))))\n"
    "  (func (export \"rot_three\") (param i32 i32 i32) (result i32)\n"
    "    (i32.xor (i32.xor (i32.rotl (local.get 0) (i32.const 5)) (i32.rotl (local.get 1) (i32.const 31)))\n"
    "             (i32.rotl (local.get 2) (i32.const 0))))\n"
    "  ;; an argument computed right before a call; loops counting down by 2 while n > bound\n"
    "  (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))\n"
    "  (func (export \"call_arg\") (param $n i32) (result i32) (call $triple (i32.sub (local.get $n) (i32.const 1))))\n"
    "  (func (export \"down_gt_u\") (param $n i32) (result i32) (local $s i32)\n"
    "    (loop $l (local.set $s (i32.add (local.get $s) (local.get $n)))\n"
    "      (br_if $l (i32.gt_u (local.tee $n (i32.add (local.get $n) (i32.const -2))) (i32.const 1))))\n"
    "    (i32.add (local.get $s) (i32.mul (local.get $n) (i32.const 1000))))\n"
    "  (func (export \"down_gt_s\") (param $n i32) (param $b i32) (result i32) (local $s i32)\n"
    "    (loop $l (local.set $s (i32.add (local.get $s) (local.get $n)))\n"
    "      (br_if $l (i32.gt_s (local.tee $n (i32.add (local.get $n) (i32.const -2))) (local.get $b))))\n"
    "    (i32.add (local.get $s) (i32.mul (local.get $n) (i32.const 1000))))\n"
    "  ;; two row addresses (adds) computed for a product of loads, as matmul's unrolled loop\n"
    "  (func (export \"rows\") (param $i i32) (param $a i32) (param $b i32) (result i32) (local $x i32) (local $y i32)\n"
    "    (i32.add\n"
    "      (i32.mul\n"
    "        (i32.load offset=4 (local.tee $x (i32.add (local.get $i) (local.get $a))))\n"
    "        (i32.load offset=4 (local.tee $y (i32.add (local.get $i) (local.get $b)))))\n"
    "      (i32.mul (local.get $x) (i32.const 1000))))\n"
    "  ;; loops carrying 3, 4, 7 and 8 values around (a hash's rotating state)\n"
    "  (func (export \"rot3\") (param $n i32) (result i32) (local $a i32) (local $b i32) (local $c i32) (local $t i32)\n"
    "    (local.set $a (i32.const 1)) (local.set $b (i32.const 2)) (local.set $c (i32.const 3))\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.eqz (local.get $n)))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (local.set $t (i32.add (i32.mul (local.get $a) (i32.const 10)) (local.get $c)))\n"
    "      (local.set $a (local.get $b)) (local.set $b (local.get $c)) (local.set $c (local.get $t))\n"
    "      (br $l)))\n"
    "    (i32.add (i32.mul (local.get $a) (i32.const 1000000)) (i32.add (i32.mul (local.get $b) (i32.const 1000)) (local.get $c))))\n"
    "  (func (export \"rot7\") (param $n i32) (result i32)\n"
    "    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $f i32) (local $g i32) (local $t i32)\n"
    "    (local.set $a (i32.const 1)) (local.set $b (i32.const 2)) (local.set $c (i32.const 3)) (local.set $d (i32.const 4))\n"
    "    (local.set $e (i32.const 5)) (local.set $f (i32.const 6)) (local.set $g (i32.const 7))\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.eqz (local.get $n)))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (local.set $t (i32.add (i32.mul (local.get $a) (i32.const 3)) (local.get $g)))\n"
    "      (local.set $a (local.get $b)) (local.set $b (local.get $c)) (local.set $c (local.get $d))\n"
    "      (local.set $d (local.get $e)) (local.set $e (local.get $f)) (local.set $f (local.get $g))\n"
    "      (local.set $g (local.get $t))\n"
    "      (br $l)))\n"
    "    (i32.xor (i32.xor (i32.xor (local.get $a) (i32.shl (local.get $b) (i32.const 4)))\n"
    "                      (i32.xor (i32.shl (local.get $c) (i32.const 8)) (i32.shl (local.get $d) (i32.const 12))))\n"
    "             (i32.xor (i32.xor (i32.shl (local.get $e) (i32.const 16)) (i32.shl (local.get $f) (i32.const 20)))\n"
    "                      (i32.shl (local.get $g) (i32.const 24)))))\n"
    "  (func (export \"rot8\") (param $n i32) (result i32)\n"
    "    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $f i32) (local $g i32) (local $h i32) (local $t i32)\n"
    "    (local.set $a (i32.const 1)) (local.set $b (i32.const 2)) (local.set $c (i32.const 3)) (local.set $d (i32.const 4))\n"
    "    (local.set $e (i32.const 5)) (local.set $f (i32.const 6)) (local.set $g (i32.const 7)) (local.set $h (i32.const 8))\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.eqz (local.get $n)))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (local.set $t (i32.add (i32.mul (local.get $a) (i32.const 3)) (local.get $h)))\n"
    "      (local.set $a (local.get $b)) (local.set $b (local.get $c)) (local.set $c (local.get $d))\n"
    "      (local.set $d (local.get $e)) (local.set $e (local.get $f)) (local.set $f (local.get $g))\n"
    "      (local.set $g (local.get $h)) (local.set $h (local.get $t))\n"
    "      (br $l)))\n"
    "    (i32.xor (i32.xor (i32.xor (local.get $a) (i32.shl (local.get $b) (i32.const 4)))\n"
    "                      (i32.xor (i32.shl (local.get $c) (i32.const 8)) (i32.shl (local.get $d) (i32.const 12))))\n"
    "             (i32.xor (i32.xor (i32.shl (local.get $e) (i32.const 16)) (i32.shl (local.get $f) (i32.const 20)))\n"
    "                      (i32.xor (i32.shl (local.get $g) (i32.const 24)) (i32.shl (local.get $h) (i32.const 28)))))))\n";

/* The value rot3/rot7/rot8 compute: k values rotating n times. */
static int32_t rotate_ref(int k, int32_t n)
{
    uint32_t v[8];
    for (int i = 0; i < k; i++)
        v[i] = (uint32_t)i + 1;
    for (int32_t j = 0; j < n; j++) {
        uint32_t t = v[0] * (k == 3 ? 10u : 3u) + v[k - 1];
        memmove(&v[0], &v[1], (size_t)(k - 1) * sizeof v[0]);
        v[k - 1] = t;
    }
    if (k == 3)
        return (int32_t)(v[0] * 1000000u + v[1] * 1000u + v[2]);
    uint32_t r = 0;
    for (int i = 0; i < k; i++)
        r ^= v[i] << (4 * i);
    return (int32_t)r;
}

static int32_t global_g(fixture *fx)
{
    isola_extern ex;
    assert_true(isola_instance_export(fx->inst, "g", &ex));
    return isola_global_get(ex.of.global).of.i32;
}

static void test_far_updates_steps_and_runs(void **state)
{
    fixture *fx = *state;
    load(fx, k_far);
    /* v -= d * (m * (2 / sqrt(d*d))), all exact: 10 - 2 * 3 */
    setf(fx, 8, 10.0);
    update(fx, "far_sub", 8, 2.0, 3.0);
    assert_true(getf(fx, 8) == 4.0);
    setf(fx, 8, 1.0);
    setf(fx, 16, 0.5);
    update(fx, "far_add", 0, 1.0, 2.0);
    assert_true(getf(fx, 8) == 1.0 + 1.5 * 4.0);
    isola_value far_out[3] = { i32v(65536 - 4), f64v(1.0), f64v(1.0) };
    expect_oob(fx, "far_sub", far_out, 3);

    /* A store, a global.set or a division between the load and the update. */
    setf(fx, 8, 10.0);
    isola_value sb[2] = { i32v(8), f64v(2.0) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "store_between"), sb, 2), ISOLA_OK);
    assert_true(getf(fx, 8) == 6.0);   /* the value loaded before the store of 100.0 */
    isola_value gb_out[2] = { i32v(65536 - 4), f64v(2.0) };
    expect_oob(fx, "global_between", gb_out, 2);
    assert_int_equal(global_g(fx), 0);   /* the load trapped before the global was set */
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "global_between"), sb, 2), ISOLA_OK);
    assert_true(getf(fx, 8) == 2.0 && global_g(fx) == 1);
    isola_value db_out[3] = { i32v(65536), f64v(2.0), i32v(0) };
    expect_oob(fx, "div_between", db_out, 3);   /* not a division by zero */
    isola_value db[3] = { i32v(8), f64v(2.0), i32v(1) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "div_between"), db, 3), ISOLA_OK);
    assert_true(getf(fx, 8) == 2.0 - 14.0);

    /* The update's address q = p - k, computed by the op, kept in q, wrapping. */
    setf(fx, 24, 1.0);
    isola_value ak[3] = { i32v(48), f64v(2.0), f64v(3.0) };
    assert_int_equal(call1(fx, "addk", ak, 3).of.i32, 24);
    assert_true(getf(fx, 24) == 7.0);
    setf(fx, 32, 20.0);
    assert_int_equal(call1(fx, "addk_mid", ak, 3).of.i32, 32 + 9);
    assert_true(getf(fx, 32) == 2.0);
    isola_value ak_wrap[3] = { i32v(8), f64v(2.0), f64v(3.0) };
    expect_oob(fx, "addk", ak_wrap, 3);
    isola_value ak_end[3] = { i32v(65536 + 24 - 7), f64v(2.0), f64v(3.0) };
    expect_oob(fx, "addk", ak_end, 3);

    /* A pointer step before each form of loop back-edge. */
    set32(fx, 0, 1);
    set32(fx, 4, 2);
    set32(fx, 8, 3);
    isola_value pn[2] = { i32v(0), i32v(3) };
    assert_int_equal(call1(fx, "sum_ne", pn, 2).of.i32, 6 + 12);
    assert_int_equal(call1(fx, "sum_lt_s", pn, 2).of.i32, 6 + 12);
    assert_int_equal(call1(fx, "sum_lt_u_k", pn, 1).of.i32, 6 + 12);
    isola_value down[2] = { i32v(8), i32v(3) };
    assert_int_equal(call1(fx, "sum_down", down, 2).of.i32, 6 - 4);
    isola_value zero = i32v(0);
    assert_int_equal(call1(fx, "step_self", &zero, 1).of.i32, 110);

    /* axpy: y's address wrapping, x and y the same, each out of bounds. */
    setf(fx, 40, 1.0);
    setf(fx, 48, 3.0);
    isola_value ax[3] = { i32v(40), i32v(24), f64v(2.0) };
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "axpy"), ax, 3), ISOLA_OK);
    assert_true(getf(fx, 40) == 7.0);
    setf(fx, 8, 5.0);
    isola_value ax_wrap[3] = { i32v(40), i32v(-16), f64v(1.0) };   /* y at (-16 + 16) + 8 */
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "axpy"), ax_wrap, 3), ISOLA_OK);
    assert_true(getf(fx, 40) == 12.0);
    isola_value am[3] = { i32v(40), i32v(40), f64v(0.5) };          /* x -= x / 2 */
    assert_int_equal(isola_exec_call(fx->exec, fn(fx, "axmy"), am, 3), ISOLA_OK);
    assert_true(getf(fx, 40) == 6.0);
    isola_value ax_xout[3] = { i32v(65536 - 4), i32v(0), f64v(1.0) };
    expect_oob(fx, "axmy", ax_xout, 3);
    isola_value ax_yout[3] = { i32v(0), i32v(65536 - 24 - 4), f64v(1.0) };
    expect_oob(fx, "axpy", ax_yout, 3);
    assert_true(getf(fx, 40) == 6.0);

    /* Operands loaded early. */
    setf(fx, 0, 100.0);
    setf(fx, 56, 3.0);
    isola_value em[2] = { i32v(48), f64v(8.0) };
    assert_true(call1(fx, "early_mul", em, 2).of.f64 == 12.0);
    isola_value es[2] = { i32v(56), f64v(4.0) };
    assert_true(call1(fx, "early_sub", es, 2).of.f64 == 1.0);
    isola_value emv[2] = { i32v(56), f64v(2.0) };
    assert_true(call1(fx, "early_moved", emv, 2).of.f64 == 6.0);
    isola_value em_out[2] = { i32v(65536 - 8), f64v(8.0) };
    expect_oob(fx, "early_mul", em_out, 2);

    /* A scaled index kept in a local, then loaded from; two bit fields. */
    set32(fx, 28, (int32_t)0x30000a00u);
    isola_value pc = i32v(1);
    assert_int_equal(call1(fx, "fetch", &pc, 1).of.i32, 8 + 10 + 3000);
    set32(fx, 20, 0x500);
    pc = i32v(0x20000000);                       /* pc << 3 wraps to 0 */
    assert_int_equal(call1(fx, "fetch", &pc, 1).of.i32, 5);
    pc = i32v(8191);                             /* o = 65528: the load is out of bounds */
    expect_oob(fx, "fetch", &pc, 1);

    isola_value abc3[3] = { i32v(1), i32v(2), i32v(3) };
    assert_int_equal(call1(fx, "copies", abc3, 3).of.i32, 312);

    isola_value two = i32v(2);   /* every argument lands in its own slot */
    assert_int_equal(call1(fx, "args", &two, 1).of.i64, 2987654321LL);

    /* Adds of compares. */
    isola_value c1[3] = { i32v(1), i32v(-1), i32v(3) };   /* ne, <s 5, >u (as unsigned) */
    assert_int_equal(call1(fx, "counts", c1, 3).of.i32, 2000 + 200 + 20 + 2);
    isola_value c2[3] = { i32v(1), i32v(7), i32v(7) };    /* equal, not below 5 */
    assert_int_equal(call1(fx, "counts", c2, 3).of.i32, 1000 + 100 + 10 + 1);

    /* Sigma functions. */
    uint32_t u = 0x510e527fu;
    isola_value uv = i32v((int32_t)u);
    assert_int_equal(call1(fx, "small_sigma", &uv, 1).of.i32,
                     (int32_t)((u >> 7 | u << 25) ^ (u >> 18 | u << 14) ^ (u >> 3)));
    isola_value xyz[3] = { i32v((int32_t)0x80000001u), i32v(3), i32v(0x1234) };
    assert_int_equal(call1(fx, "rot_three", xyz, 3).of.i32, (int32_t)(0x30u ^ 0x80000001u ^ 0x1234u));

    /* n - 1 passed to a call; counting down while above a bound, unsigned and signed. */
    isola_value five = i32v(5);
    assert_int_equal(call1(fx, "call_arg", &five, 1).of.i32, 12);
    isola_value seven = i32v(7), six = i32v(6);
    assert_int_equal(call1(fx, "down_gt_u", &seven, 1).of.i32, 7 + 5 + 3 + 1000);
    assert_int_equal(call1(fx, "down_gt_u", &six, 1).of.i32, 6 + 4 + 2);
    isola_value gs[2] = { i32v(3), i32v(-3) };   /* unsigned, -3 would end the loop at once */
    assert_int_equal(call1(fx, "down_gt_s", gs, 2).of.i32, 3 + 1 - 1 - 3000);

    /* Two row addresses for a product of loads. */
    set32(fx, 12, 5);
    set32(fx, 20, 7);
    isola_value rows[3] = { i32v(0), i32v(8), i32v(16) };
    assert_int_equal(call1(fx, "rows", rows, 3).of.i32, 35 + 8000);

    /* Loops carrying 3, 7 and 8 values (one run of moves each). */
    for (int32_t n = 0; n < 12; n += 5) {
        isola_value nv = i32v(n);
        assert_int_equal(call1(fx, "rot3", &nv, 1).of.i32, rotate_ref(3, n));
        assert_int_equal(call1(fx, "rot7", &nv, 1).of.i32, rotate_ref(7, n));
        assert_int_equal(call1(fx, "rot8", &nv, 1).of.i32, rotate_ref(8, n));
    }
}

/* ------------------------------------------------------------ and-not, loops carrying pairs */

static const char *k_andn =
    "(module\n"
    "  ;; ~b & a, a & ~b, ~b & ~b (both operands the complement), and a constant operand\n"
    "  (func (export \"left\") (param i32 i32) (result i32)\n"
    "    (i32.and (i32.xor (local.get 1) (i32.const -1)) (local.get 0)))\n"
    "  (func (export \"right\") (param i32 i32) (result i32)\n"
    "    (i32.and (local.get 0) (i32.xor (local.get 1) (i32.const -1))))\n"
    "  (func (export \"self\") (param i32) (result i32) (local i32)\n"
    "    (i32.and (local.tee 1 (i32.xor (local.get 0) (i32.const -1))) (local.get 1)))\n"
    "  (func (export \"const\") (param i32) (result i32)\n"
    "    (i32.and (i32.xor (local.get 0) (i32.const -1)) (i32.const 0xff)))\n"
    "  ;; rotl(x, j) ^ rotl(y, k): one source (a sigma function) and two, and rotations by 0 and 31\n"
    "  (func (export \"sigma\") (param i32) (result i32)\n"
    "    (i32.xor (i32.xor (i32.rotr (local.get 0) (i32.const 2)) (i32.rotr (local.get 0) (i32.const 13)))\n"
    "             (i32.rotr (local.get 0) (i32.const 22))))\n"
    "  (func (export \"two\") (param i32 i32) (result i32)\n"
    "    (i32.xor (i32.rotl (local.get 0) (i32.const 31)) (i32.rotl (local.get 1) (i32.const 0))))\n"
    "  ;; loops whose back-edge test follows a carried copy (prev <- cur): each br_inc form\n"
    "  (func (export \"carry_ne\") (param $n i32) (result i32) (local $i i32) (local $p i32) (local $c i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $c (i32.mul (local.get $i) (local.get $i)))\n"
    "      (local.set $s (i32.add (local.get $s) (i32.sub (local.get $c) (local.get $p))))\n"
    "      (local.set $p (local.get $c))\n"
    "      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))\n"
    "    (i32.add (local.get $s) (local.get $p)))\n"
    "  (func (export \"carry_lt\") (param $n i32) (result i32) (local $i i32) (local $p i32) (local $c i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $c (i32.mul (local.get $i) (local.get $i)))\n"
    "      (local.set $s (i32.add (local.get $s) (i32.sub (local.get $c) (local.get $p))))\n"
    "      (local.set $p (local.get $c))\n"
    "      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))\n"
    "    (i32.add (local.get $s) (local.get $p)))\n"
    "  (func (export \"carry_ltu_k\") (result i32) (local $i i32) (local $p i32) (local $c i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $c (i32.mul (local.get $i) (local.get $i)))\n"
    "      (local.set $s (i32.add (local.get $s) (i32.sub (local.get $c) (local.get $p))))\n"
    "      (local.set $p (local.get $c))\n"
    "      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 10))))\n"
    "    (i32.add (local.get $s) (local.get $p)))\n"
    "  (func (export \"carry_down\") (param $n i32) (result i32) (local $p i32) (local $c i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $c (i32.mul (local.get $n) (local.get $n)))\n"
    "      (local.set $s (i32.add (local.get $s) (i32.sub (local.get $c) (local.get $p))))\n"
    "      (local.set $p (local.get $c))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
    "    (i32.add (local.get $s) (local.get $p)))\n"
    "  ;; strided loops (j += step), the step in a slot: each compare, a constant bound, a carried copy\n"
    "  (func (export \"stride_lt_u\") (param $j i32) (param $step i32) (param $n i32) (result i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $s (i32.add (local.get $s) (local.get $j)))\n"
    "      (br_if $l (i32.lt_u (local.tee $j (i32.add (local.get $j) (local.get $step))) (local.get $n))))\n"
    "    (local.get $s))\n"
    "  (func (export \"stride_lt_s\") (param $j i32) (param $step i32) (result i32) (local $s i32)\n"
    "    (loop $l\n"
    "      (local.set $s (i32.add (local.get $s) (local.get $j)))\n"
    "      (br_if $l (i32.lt_s (local.tee $j (i32.add (local.get $j) (local.get $step))) (i32.const 10))))\n"
    "    (local.get $s))\n"
    "  (func (export \"stride_ne\") (param $j i32) (param $step i32) (param $n i32) (result i32) (local $s i32) (local $p i32)\n"
    "    (loop $l\n"
    "      (local.set $s (i32.add (local.get $s) (i32.mul (local.get $p) (i32.const 1000))))\n"
    "      (local.set $s (i32.add (local.get $s) (local.get $j)))\n"
    "      (local.set $p (local.get $j))\n"
    "      (br_if $l (i32.ne (local.get $n) (local.tee $j (i32.add (local.get $j) (local.get $step))))))\n"
    "    (local.get $s))\n"
    "  ;; (c - 48) & 255 (a digit test's byte arithmetic) and (x + k) & m with a wide mask\n"
    "  (func (export \"digit\") (param i32) (result i32)\n"
    "    (i32.and (i32.sub (local.get 0) (i32.const 48)) (i32.const 255)))\n"
    "  (func (export \"addmask\") (param i32) (result i32)\n"
    "    (i32.and (i32.add (local.get 0) (i32.const 0x7fffffff)) (i32.const 0xfffffff0)))\n"
    "  ;; two bitwise ops in a row: all nine pairs, the first result on either side of the\n"
    "  ;; second, Maj(a, b, c) = ((a ^ b) & c) ^ (a & b), and a constant third operand\n"
    "  (func (export \"bits\") (param $a i32) (param $b i32) (param $c i32) (result i32)\n"
    "    (i32.add (i32.add (i32.add (i32.and (i32.and (local.get $a) (local.get $b)) (local.get $c))\n"
    "                               (i32.or (local.get $c) (i32.and (local.get $a) (local.get $b))))\n"
    "                      (i32.add (i32.xor (i32.and (local.get $a) (local.get $b)) (local.get $c))\n"
    "                               (i32.and (i32.or (local.get $a) (local.get $b)) (local.get $c))))\n"
    "             (i32.add (i32.add (i32.or (local.get $c) (i32.or (local.get $a) (local.get $b)))\n"
    "                               (i32.xor (i32.or (local.get $a) (local.get $b)) (local.get $c)))\n"
    "                      (i32.add (i32.and (i32.xor (local.get $a) (local.get $b)) (local.get $c))\n"
    "                               (i32.add (i32.or (i32.xor (local.get $a) (local.get $b)) (local.get $c))\n"
    "                                        (i32.xor (local.get $c) (i32.xor (local.get $a) (local.get $b))))))))\n"
    "  (func (export \"maj\") (param $a i32) (param $b i32) (param $c i32) (result i32)\n"
    "    (i32.xor (i32.and (i32.xor (local.get $a) (local.get $b)) (local.get $c))\n"
    "             (i32.and (local.get $a) (local.get $b))))\n"
    "  (func (export \"bits_k\") (param $a i32) (param $b i32) (result i32)\n"
    "    (i32.xor (i32.and (local.get $a) (local.get $b)) (i32.const 0xf0f0)))\n"
    "  ;; a Fibonacci loop: each iteration ends in (a, b) <- (b, a + b), a pair of moves\n"
    "  (func (export \"fibloop\") (param $n i32) (result i32) (local $a i32) (local $b i32) (local $t i32)\n"
    "    (local.set $b (i32.const 1))\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.eqz (local.get $n)))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (local.set $t (i32.add (local.get $a) (local.get $b)))\n"
    "      (local.set $a (local.get $b))\n"
    "      (local.set $b (local.get $t))\n"
    "      (br $l)))\n"
    "    (local.get $a)))\n";

static void test_and_not_and_move_loops(void **state)
{
    fixture *fx = *state;
    load(fx, k_andn);
    isola_value v[2] = { i32v(0x0ff0), i32v(0x00ff) };
    assert_int_equal(call1(fx, "left", v, 2).of.i32, 0x0f00);
    assert_int_equal(call1(fx, "right", v, 2).of.i32, 0x0f00);
    isola_value x = i32v(0x1234);
    assert_int_equal(call1(fx, "self", &x, 1).of.i32, ~0x1234);
    assert_int_equal(call1(fx, "const", &x, 1).of.i32, 0xcb);
    isola_value w = i32v((int32_t)0x6a09e667u);
    uint32_t u = 0x6a09e667u;
    uint32_t sigma = (u >> 2 | u << 30) ^ (u >> 13 | u << 19) ^ (u >> 22 | u << 10);
    assert_int_equal(call1(fx, "sigma", &w, 1).of.i32, (int32_t)sigma);
    isola_value xy[2] = { i32v((int32_t)0x80000001u), i32v(0x1234) };
    assert_int_equal(call1(fx, "two", xy, 2).of.i32, (int32_t)(0xc0000000u ^ 0x1234u));
    isola_value n = i32v(10);
    assert_int_equal(call1(fx, "carry_ne", &n, 1).of.i32, 2 * 81);
    assert_int_equal(call1(fx, "carry_lt", &n, 1).of.i32, 2 * 81);
    assert_int_equal(call1(fx, "carry_ltu_k", NULL, 0).of.i32, 2 * 81);
    assert_int_equal(call1(fx, "carry_down", &n, 1).of.i32, 1 + 1);   /* ends at n = 1: s = 1, p = 1 */
    assert_int_equal(call1(fx, "fibloop", &n, 1).of.i32, 55);
    uint32_t ba = 0xdeadbeefu, bb = 0x0ff1ce55u, bc = 0x12345678u;
    uint32_t want = ((ba & bb) & bc) + (bc | (ba & bb)) + ((ba & bb) ^ bc) + ((ba | bb) & bc)
                    + (bc | (ba | bb)) + ((ba | bb) ^ bc) + ((ba ^ bb) & bc) + ((ba ^ bb) | bc)
                    + (bc ^ (ba ^ bb));
    isola_value abc[3] = { i32v((int32_t)ba), i32v((int32_t)bb), i32v((int32_t)bc) };
    assert_int_equal(call1(fx, "bits", abc, 3).of.i32, (int32_t)want);
    assert_int_equal(call1(fx, "maj", abc, 3).of.i32, (int32_t)((ba & bb) ^ (ba & bc) ^ (bb & bc)));
    assert_int_equal(call1(fx, "bits_k", abc, 2).of.i32, (int32_t)((ba & bb) ^ 0xf0f0u));
    isola_value c = i32v('7');
    assert_int_equal(call1(fx, "digit", &c, 1).of.i32, 7);
    c = i32v('/');
    assert_int_equal(call1(fx, "digit", &c, 1).of.i32, 255);
    c = i32v(3);
    assert_int_equal(call1(fx, "addmask", &c, 1).of.i32, (int32_t)0x80000000u);
    isola_value st[3] = { i32v(1), i32v(3), i32v(11) };             /* 1 4 7 10 */
    assert_int_equal(call1(fx, "stride_lt_u", st, 3).of.i32, 22);
    isola_value wrap[3] = { i32v(-2), i32v(1), i32v(2) };           /* -2 as unsigned is past 2 */
    assert_int_equal(call1(fx, "stride_lt_u", wrap, 3).of.i32, -2);
    isola_value ss[2] = { i32v(-5), i32v(5) };                      /* -5 0 5 */
    assert_int_equal(call1(fx, "stride_lt_s", ss, 2).of.i32, 0);
    isola_value sn[3] = { i32v(0), i32v(2), i32v(8) };              /* 0 2 4 6, carrying the previous */
    assert_int_equal(call1(fx, "stride_ne", sn, 3).of.i32, 12 + 1000 * (0 + 2 + 4));
    n = i32v(47);
    assert_int_equal(call1(fx, "fibloop", &n, 1).of.i32, (int32_t)2971215073u);
}

/* ------------------------------------------------------------ sums of three */

static const char *k_add3 =
    "(module\n"
    "  ;; (a + b) + c, c + (a + b), a chain of four terms into a local, wrap-around,\n"
    "  ;; and a sum whose operands are the same local\n"
    "  (func (export \"left\") (param i32 i32 i32) (result i32)\n"
    "    (i32.add (i32.add (local.get 0) (local.get 1)) (local.get 2)))\n"
    "  (func (export \"right\") (param i32 i32 i32) (result i32)\n"
    "    (i32.sub (local.get 2) (i32.add (local.get 2) (i32.add (local.get 0) (local.get 1)))))\n"
    "  (func (export \"chain\") (param i32 i32 i32) (result i32) (local i32)\n"
    "    (local.set 3 (i32.add (i32.add (i32.add (local.get 0) (local.get 1)) (local.get 2)) (local.get 0)))\n"
    "    (i32.add (local.get 3) (i32.add (local.get 3) (local.get 3)))))\n";

static void test_sums_of_three(void **state)
{
    fixture *fx = *state;
    load(fx, k_add3);
    isola_value v[3] = { i32v(5), i32v(-7), i32v(100) };
    assert_int_equal(call1(fx, "left", v, 3).of.i32, 98);
    assert_int_equal(call1(fx, "right", v, 3).of.i32, 2);
    assert_int_equal(call1(fx, "chain", v, 3).of.i32, 3 * 103);
    isola_value w[3] = { i32v(INT32_MAX), i32v(INT32_MAX), i32v(3) };
    assert_int_equal(call1(fx, "left", w, 3).of.i32, 1);
    assert_int_equal(call1(fx, "chain", w, 3).of.i32, (int32_t)(3u * (1u + (uint32_t)INT32_MAX)));
}

/* ------------------------------------------------------------ table.grow into a local */

static const char *k_table =
    "(module (table 0 funcref)\n"
    "  (func (export \"grow\") (result i32) (local i32)\n"
    "    (drop (table.grow 0 (ref.null func) (i32.const 2)))\n"
    "    (local.set 0 (table.grow 0 (ref.null func) (i32.const 3)))\n"
    "    (i32.add (local.get 0) (i32.mul (table.size 0) (i32.const 100))))\n"
    "  (func (export \"get\") (result i32) (local funcref)\n"
    "    (local.set 0 (table.get 0 (i32.const 1)))\n"
    "    (ref.is_null (local.get 0))))\n";

/* ------------------------------------------------------------ jumps into returns */

static const char *k_threaded =
    "(module (memory 1)\n"
    "  ;; then-arm: a move of the result, then a jump to the function's ret1\n"
    "  (func $fib (export \"fib\") (param $n i32) (result i32)\n"
    "    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))\n"
    "      (then (local.get $n))\n"
    "      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))\n"
    "                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))\n"
    "  ;; a chain of blocks whose ends all fall to the return; a constant result\n"
    "  (func (export \"nest\") (param i32) (result i32)\n"
    "    (block $a (result i32) (block $b (result i32) (block $c (result i32)\n"
    "      (br_if $c (i32.const 7) (i32.eqz (local.get 0)))\n"
    "      (br_if $b (i32.const 8) (i32.eq (local.get 0) (i32.const 1)))\n"
    "      (br $a (i32.const 9))))))\n"
    "  ;; no result: jumps to a plain ret must still do the stores before them\n"
    "  (func (export \"put\") (param i32)\n"
    "    (if (local.get 0) (then (i32.store (i32.const 0) (i32.const 11)))\n"
    "                      (else (i32.store (i32.const 0) (i32.const 22)))))\n"
    "  (func (export \"get\") (result i32) (i32.load (i32.const 0)))\n"
    "  ;; two results: the moves into slots 0 and 1 must stay\n"
    "  (func (export \"pair\") (param i32) (result i32 i32)\n"
    "    (if (result i32 i32) (local.get 0) (then (i32.const 1) (i32.const 2))\n"
    "                                       (else (local.get 0) (i32.const 4)))))\n";

static void test_threaded_jumps(void **state)
{
    fixture *fx = *state;
    load(fx, k_threaded);
    static const int32_t fibs[] = { 0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55 };
    for (int32_t n = 0; n <= 10; n++) {
        isola_value a = i32v(n);
        assert_int_equal(call1(fx, "fib", &a, 1).of.i32, fibs[n]);
    }
    for (int32_t n = 0; n < 3; n++) {
        isola_value a = i32v(n);
        assert_int_equal(call1(fx, "nest", &a, 1).of.i32, 7 + n);
    }
    for (int32_t n = 1; n >= 0; n--) {
        isola_value a = i32v(n);
        assert_int_equal(isola_exec_call(fx->exec, fn(fx, "put"), &a, 1), ISOLA_OK);
        assert_int_equal(call1(fx, "get", NULL, 0).of.i32, n ? 11 : 22);
    }
    for (int32_t n = 0; n < 2; n++) {
        isola_value a = i32v(n), r[2];
        assert_int_equal(isola_exec_call(fx->exec, fn(fx, "pair"), &a, 1), ISOLA_OK);
        assert_int_equal(isola_exec_results(fx->exec, r, 2), 2);
        assert_int_equal(r[0].of.i32, n ? 1 : 0);
        assert_int_equal(r[1].of.i32, n ? 2 : 4);
    }
}

static void test_table_ops_into_locals(void **state)
{
    fixture *fx = *state;
    load(fx, k_table);
    assert_int_equal(call1(fx, "grow", NULL, 0).of.i32, 2 + 500);
    assert_int_equal(call1(fx, "get", NULL, 0).of.i32, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_constants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_i64_immediates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_float_compare_branches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shifted_operands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_and_loops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_pairs_and_loaded_addends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_ops_into_locals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threaded_jumps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loaded_float_operands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sums_of_three, setup, teardown),
        cmocka_unit_test_setup_teardown(test_products_of_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_updates_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_and_not_and_move_loops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_far_updates_steps_and_runs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
