/*
 * diff_run.c - runs a module the way `wasm-interp --run-all-exports
 * --dummy-import-func` does, through isola's public API, and prints the same
 * transcript, so scripts/difftest.sh can compare the two engines.
 *
 *   diff_run [--fuel N] MODULE.wasm
 *
 * Transcript, one line each:
 *   called host MOD.FIELD(ARGS) => RESULTS   every call of an imported function
 *   NAME() => RESULTS                         an export returned
 *   NAME() => error: TRAP                      an export trapped (wabt wording)
 *   NAME() => fuel exhausted                   isola only: the budget ran out
 *   error initializing module: TRAP            the start function trapped
 * Exports are taken in export order; like wasm-interp, functions with
 * parameters are skipped (binaryen's -ttf modules export invokers that call
 * them with arguments), as are non-function exports.
 *
 * Imported functions are stubs that log their arguments and return zeros,
 * exactly as wabt's dummy imports do. Modules importing anything other than
 * functions are not supported (wabt cannot run them either): exit status 3.
 * A module isola refuses to load gives "error loading module: ..." and exit
 * status 2; any other failure of the harness itself is exit status 1.
 *
 * Each call gets a fresh fuel budget (default 50 000 000). Running out of fuel
 * is not a behaviour wabt has, so the driver treats that line, and everything
 * after it, as inconclusive rather than as a mismatch.
 */
#include "diff_value.h"

#include <isola/engine.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_DEFAULT_FUEL 50000000

/* What a stub import needs to log its calls: names and the imported type. */
typedef struct diff_stub {
    char *module_name;
    char *field_name;
    isola_functype type;
} diff_stub;

typedef struct diff_run {
    isola_engine *engine;
    isola_module *module;
    isola_exec *exec;
    isola_instance *instance;
    uint32_t nimports;
    isola_extern *imports;
    diff_stub *stubs;
    int64_t fuel;
} diff_run;

static bool read_file(const char *path, uint8_t **bytes, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return false;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    bool ok = buf && !ferror(f);
    fclose(f);
    if (!ok) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return false;
    }
    *bytes = buf;
    *len = n;
    return true;
}

static char *copy_name(const char *name, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, name, len);
        s[len] = '\0';
    }
    return s;
}

static isola_host_result stub_call(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)call;
    const diff_stub *stub = user;
    printf("called host %s.%s(", stub->module_name, stub->field_name);
    uint32_t slot = 0;
    for (uint32_t i = 0; i < stub->type.nparams; i++) {
        isola_value v = diff_value_from_slots(stub->type.params[i], slots + slot);
        slot += diff_value_slots(stub->type.params[i]);
        if (i > 0)
            printf(", ");
        diff_print_value(stdout, &v);
    }
    printf(") =>");
    slot = 0;
    for (uint32_t i = 0; i < stub->type.nresults; i++) {
        isola_value zero;
        memset(&zero, 0, sizeof zero);
        zero.type = stub->type.results[i];
        printf(i > 0 ? ", " : " ");
        diff_print_value(stdout, &zero);
        for (uint32_t k = 0; k < diff_value_slots(zero.type); k++)
            slots[slot++] = 0;
    }
    printf("\n");
    return ISOLA_HOST_RETURN;
}

/* Builds one logging stub per imported function; false for other imports. */
static bool make_stubs(diff_run *run)
{
    run->nimports = isola_module_import_count(run->module);
    run->imports = calloc(run->nimports + 1, sizeof *run->imports);
    run->stubs = calloc(run->nimports + 1, sizeof *run->stubs);
    if (!run->imports || !run->stubs)
        return false;
    for (uint32_t i = 0; i < run->nimports; i++) {
        const char *mod, *field;
        size_t mod_len, field_len;
        isola_externtype type;
        isola_module_import(run->module, i, &mod, &mod_len, &field, &field_len, &type);
        if (type.kind != ISOLA_EXTERN_FUNC) {
            printf("error: unsupported import kind %d\n", (int)type.kind);
            return false;
        }
        diff_stub *stub = &run->stubs[i];
        stub->module_name = copy_name(mod, mod_len);
        stub->field_name = copy_name(field, field_len);
        stub->type = type.func;    /* arrays borrowed from the module, which outlives the run */
        isola_error err;
        isola_func *fn = isola_func_new(run->engine, &type.func, stub_call, stub, &err);
        if (!stub->module_name || !stub->field_name || !fn) {
            fprintf(stderr, "cannot make import stub: %s\n", fn ? "out of memory" : err.message);
            isola_func_release(fn);
            return false;
        }
        run->imports[i].kind = ISOLA_EXTERN_FUNC;
        run->imports[i].of.func = fn;
    }
    return true;
}

static void print_results(const diff_run *run)
{
    isola_value results[64];
    uint32_t n = isola_exec_results(run->exec, results, 64);
    if (n > 64) {
        printf(" (%u results, more than the harness prints)", n);
        n = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        printf(i > 0 ? ", " : " ");
        diff_print_value(stdout, &results[i]);
    }
}

static void call_export(diff_run *run, const char *name, isola_func *fn)
{
    isola_exec_set_fuel(run->exec, run->fuel);
    isola_status status = isola_exec_call(run->exec, fn, NULL, 0);
    /* After the call, so host-call lines come first, as in wabt. */
    printf("%s() =>", name);
    switch (status) {
    case ISOLA_OK:
        print_results(run);
        break;
    case ISOLA_TRAPPED:
        printf(" error: %s", diff_trap_text(isola_exec_trap(run->exec)->kind));
        break;
    case ISOLA_YIELDED:
    case ISOLA_SUSPENDED:
        printf(" fuel exhausted");
        isola_exec_reset(run->exec);
        break;
    case ISOLA_FAILED:
        printf(" harness error: %s", isola_exec_error(run->exec));
        break;
    }
    printf("\n");
}

static void call_exports(diff_run *run)
{
    const isola_module *module = run->module;
    uint32_t n = isola_module_export_count(module);
    for (uint32_t i = 0; i < n; i++) {
        const char *name;
        size_t len;
        isola_externtype type;
        isola_module_export(module, i, &name, &len, &type);
        if (type.kind != ISOLA_EXTERN_FUNC || type.func.nparams != 0)
            continue;
        isola_extern ext;
        if (!isola_instance_export_n(run->instance, name, len, &ext)) {
            printf("harness error: export %.*s not found\n", (int)len, name);
            continue;
        }
        char *cname = copy_name(name, len);
        if (!cname)
            return;
        call_export(run, cname, ext.of.func);
        free(cname);
    }
}

static void diff_run_free(diff_run *run)
{
    isola_instance_release(run->instance);
    for (uint32_t i = 0; i < run->nimports; i++) {
        if (run->imports && run->imports[i].kind == ISOLA_EXTERN_FUNC)
            isola_func_release(run->imports[i].of.func);
        if (run->stubs) {
            free(run->stubs[i].module_name);
            free(run->stubs[i].field_name);
        }
    }
    free(run->imports);
    free(run->stubs);
    isola_exec_release(run->exec);
    isola_module_release(run->module);
    isola_engine_release(run->engine);
}

static int run_module(diff_run *run, const uint8_t *bytes, size_t len)
{
    isola_error err;
    run->engine = isola_engine_new(NULL, &err);
    if (!run->engine) {
        fprintf(stderr, "engine: %s\n", err.message);
        return 1;
    }
    run->module = isola_module_load(run->engine, bytes, len, &err);
    if (!run->module) {
        printf("error loading module: %s\n", err.message);
        return 2;
    }
    if (!make_stubs(run))
        return 3;
    run->exec = isola_exec_new(run->engine, NULL, &err);
    if (!run->exec) {
        fprintf(stderr, "exec: %s\n", err.message);
        return 1;
    }
    isola_exec_set_fuel(run->exec, run->fuel);
    run->instance = isola_instantiate(run->engine, run->module, run->imports, run->nimports,
                                      NULL, run->exec, &err);
    if (!run->instance) {
        if (err.kind == ISOLA_ERR_TRAP) {
            const isola_trap *trap = isola_exec_trap(run->exec);
            bool has_kind = trap && trap->kind != ISOLA_TRAP_NONE;
            /* Segment bounds failures carry no exec trap; the message says which. */
            printf("error initializing module: %s\n",
                   has_kind ? diff_trap_text(trap->kind) : err.message);
            return 0;
        }
        printf("error instantiating module: %s\n", err.message);
        return 1;
    }
    call_exports(run);
    return 0;
}

int main(int argc, char **argv)
{
    diff_run run;
    memset(&run, 0, sizeof run);
    run.fuel = DIFF_DEFAULT_FUEL;
    int argi = 1;
    if (argi + 1 < argc && strcmp(argv[argi], "--fuel") == 0) {
        run.fuel = strtoll(argv[argi + 1], NULL, 10);
        argi += 2;
    }
    if (argi + 1 != argc || run.fuel <= 0) {
        fprintf(stderr, "usage: diff_run [--fuel N] MODULE.wasm\n");
        return 1;
    }
    uint8_t *bytes;
    size_t len;
    if (!read_file(argv[argi], &bytes, &len))
        return 1;
    int status = run_module(&run, bytes, len);
    fflush(stdout);
    diff_run_free(&run);
    free(bytes);
    return status;
}
