/*
 * embed.c - a minimal program embedding isola, to read from top to bottom.
 *
 * It walks through the whole public API once:
 *   1. create an engine;
 *   2. load (decode + validate + translate) a module, from the bytes below or
 *      from a file given on the command line;
 *   3. provide the module's import "env" "log_i32" as a host function;
 *   4. instantiate;
 *   5. call the export "sum_to" with a small fuel budget, refilling and
 *      resuming each time the budget runs out (ISOLA_YIELDED), which is how
 *      an embedder time-slices many guests on one thread;
 *   6. call "divide" with a zero divisor and print the trap and its backtrace.
 *
 * Build: part of the normal CMake build (target `embed`); run: ./embed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isola/engine.h>

/*
 * The guest, assembled from this text with wat2wasm:
 *
 *   (module
 *     (import "env" "log_i32" (func $log (param i32)))
 *     (func (export "sum_to") (param $n i32) (result i32)
 *       (local $i i32) (local $acc i32)
 *       (loop $next
 *         (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *         (local.set $acc (i32.add (local.get $acc) (local.get $i)))
 *         (br_if $next (i32.lt_s (local.get $i) (local.get $n))))
 *       (call $log (local.get $acc))
 *       (local.get $acc))
 *     (func (export "divide") (param i32 i32) (result i32)
 *       (i32.div_s (local.get 0) (local.get 1))))
 */
static const uint8_t guest_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,             /* magic, version 1 */
    0x01, 0x10, 0x03,                                           /* type section: 3 types */
    0x60, 0x01, 0x7f, 0x00,                                     /*   (i32) -> () */
    0x60, 0x01, 0x7f, 0x01, 0x7f,                               /*   (i32) -> (i32) */
    0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,                         /*   (i32 i32) -> (i32) */
    0x02, 0x0f, 0x01,                                           /* import section: 1 import */
    0x03, 'e', 'n', 'v', 0x07, 'l', 'o', 'g', '_', 'i', '3', '2', 0x00, 0x00,
    0x03, 0x03, 0x02, 0x01, 0x02,                               /* function section: types 1, 2 */
    0x07, 0x13, 0x02,                                           /* export section: 2 exports */
    0x06, 's', 'u', 'm', '_', 't', 'o', 0x00, 0x01,
    0x06, 'd', 'i', 'v', 'i', 'd', 'e', 0x00, 0x02,
    0x0a, 0x2c, 0x02,                                           /* code section: 2 bodies */
    0x22, 0x01, 0x02, 0x7f,                                     /*   sum_to: 2 i32 locals */
    0x03, 0x40,                                                 /*   loop */
    0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01,                   /*     i += 1 */
    0x20, 0x02, 0x20, 0x01, 0x6a, 0x21, 0x02,                   /*     acc += i */
    0x20, 0x01, 0x20, 0x00, 0x48, 0x0d, 0x00,                   /*     br_if 0 (i < n) */
    0x0b,                                                       /*   end */
    0x20, 0x02, 0x10, 0x00,                                     /*   log(acc) */
    0x20, 0x02, 0x0b,                                           /*   return acc */
    0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6d, 0x0b,             /*   divide: a / b */
};

/*
 * The host side of "env" "log_i32". Arguments arrive in 64-bit slots, an i32
 * in the low half; `user` is whatever was given to isola_func_new.
 */
static isola_host_result log_i32(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)call;
    int *calls = user;
    ++*calls;
    printf("guest says: %d\n", (int32_t)(uint32_t)slots[0]);
    return ISOLA_HOST_RETURN;
}

/* Reads a whole file; NULL (with a message) on failure. */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *grown = realloc(buf, cap);
            if (!grown)
                break;
            buf = grown;
        }
        size_t got = fread(buf + *len, 1, cap - *len, f);
        if (got == 0)
            break;
        *len += got;
    }
    bool failed = ferror(f) || *len == cap;
    fclose(f);
    if (failed) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return NULL;
    }
    return buf;
}

/*
 * Calls `func` with a budget of `slice` fuel at a time. Each ISOLA_YIELDED
 * means the budget ran out at a safe point; a real embedder would run other
 * guests here before refilling and resuming this one.
 */
static isola_status call_in_slices(isola_exec *exec, isola_func *func, const isola_value *args,
                                   uint32_t nargs, int64_t slice, int *slices)
{
    *slices = 1;
    isola_exec_set_fuel(exec, slice);
    isola_status status = isola_exec_call(exec, func, args, nargs);
    while (status == ISOLA_YIELDED) {
        ++*slices;
        isola_exec_set_fuel(exec, slice);
        status = isola_exec_resume(exec);
    }
    return status;
}

/* Prints the trap's message and backtrace, as isola_trap_format lays them out. */
static void print_trap(const isola_exec *exec)
{
    char text[2048];
    isola_trap_format(isola_exec_trap(exec), text, sizeof text);
    printf("trapped as expected:\n%s\n", text);
}

int main(int argc, char **argv)
{
    int status = 1;
    isola_error err = { 0 };
    isola_engine *engine = NULL;
    isola_module *module = NULL;
    isola_func *log_func = NULL;
    isola_instance *instance = NULL;
    isola_exec *exec = NULL;
    uint8_t *file_bytes = NULL;

    /* 1. The engine: NULL config means default limits. */
    engine = isola_engine_new(NULL, &err);
    if (!engine)
        goto fail;

    /* 2. The module. isola_module_load copies the bytes, so ours may be freed at once. */
    const uint8_t *bytes = guest_wasm;
    size_t len = sizeof guest_wasm;
    if (argc > 1) {
        file_bytes = read_file(argv[1], &len);
        if (!file_bytes)
            goto done;
        bytes = file_bytes;
    }
    module = isola_module_load(engine, bytes, len, &err);
    free(file_bytes);
    if (!module)
        goto fail;

    /* 3. The host function, typed (i32) -> (). Its user pointer counts calls. */
    static const isola_valtype log_params[] = { ISOLA_I32 };
    isola_functype log_type = { .nparams = 1, .params = log_params };
    int log_calls = 0;
    log_func = isola_func_new(engine, &log_type, log_i32, &log_calls, &err);
    if (!log_func)
        goto fail;

    /* 4. Instantiate. Imports are matched by position, in the module's import order. */
    isola_extern imports[] = { { .kind = ISOLA_EXTERN_FUNC, .of.func = log_func } };
    exec = isola_exec_new(engine, NULL, &err);
    if (!exec)
        goto fail;
    instance = isola_instantiate(engine, module, imports, 1, NULL, exec, &err);
    if (!instance)
        goto fail;

    /* 5. sum_to(1000) with 100 fuel per slice: it needs many slices to finish. */
    isola_extern sum_to, divide;
    if (!isola_instance_export(instance, "sum_to", &sum_to) || sum_to.kind != ISOLA_EXTERN_FUNC ||
        !isola_instance_export(instance, "divide", &divide) || divide.kind != ISOLA_EXTERN_FUNC) {
        fprintf(stderr, "embed: the module must export functions sum_to and divide\n");
        goto done;
    }
    isola_value n = { .type = ISOLA_I32, .of.i32 = 1000 };
    int slices = 0;
    isola_status st = call_in_slices(exec, sum_to.of.func, &n, 1, 100, &slices);
    if (st != ISOLA_OK) {
        fprintf(stderr, "embed: sum_to did not return (status %d): %s\n", (int)st,
                st == ISOLA_TRAPPED ? isola_exec_trap(exec)->message : isola_exec_error(exec));
        goto done;
    }
    isola_value result;
    isola_exec_results(exec, &result, 1);
    printf("sum_to(1000) = %d, in %d fuel slices, log_i32 called %d time(s)\n",
           result.of.i32, slices, log_calls);
    if (result.of.i32 != 500500 || log_calls != 1 || slices < 2) {
        fprintf(stderr, "embed: unexpected result\n");
        goto done;
    }

    /* 6. A trap: the call returns ISOLA_TRAPPED and the context is ready for reuse. */
    isola_value div_args[] = { { .type = ISOLA_I32, .of.i32 = 1 }, { .type = ISOLA_I32, .of.i32 = 0 } };
    isola_exec_set_fuel(exec, ISOLA_FUEL_UNLIMITED);
    st = isola_exec_call(exec, divide.of.func, div_args, 2);
    if (st != ISOLA_TRAPPED || isola_exec_trap(exec)->kind != ISOLA_TRAP_DIVIDE_BY_ZERO) {
        fprintf(stderr, "embed: divide(1, 0) should trap with divide by zero (status %d)\n", (int)st);
        goto done;
    }
    print_trap(exec);
    status = 0;
    goto done;

fail:
    fprintf(stderr, "embed: %s\n", err.message);
done:
    /* Release in any order: instances hold references to what they import. */
    if (instance)
        isola_instance_release(instance);
    if (exec)
        isola_exec_release(exec);
    if (log_func)
        isola_func_release(log_func);
    if (module)
        isola_module_release(module);
    if (engine)
        isola_engine_release(engine);
    return status;
}
