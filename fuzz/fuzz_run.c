/*
 * fuzz_run.c - libFuzzer target for the execution path: if the input loads
 * as a module, link every import to a stub of exactly the declared type,
 * instantiate, and call every exported function with zero-valued arguments
 * under a small fuel budget, resuming a bounded number of times.
 *
 * Traps, link failures and resource refusals are normal outcomes and are
 * ignored; only a crash, a sanitizer report, a leak, a hang or a broken
 * invariant of the public API is a finding. Everything is created and
 * released per input (engine included) so a leak shows up on the input that
 * caused it.
 *
 * The stub host functions also exercise the suspend paths: by a counter
 * that restarts with every input, some calls yield, some block once (and
 * are called again on resume), a few trap, the rest return zeros. They
 * touch the first and last byte of the caller's memory so ASan checks that
 * isola_host_memory tells the truth about its size.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isola/engine.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Limits that keep one input to milliseconds. Fuel is charged only at calls
 * and loop back-edges, and one bulk-memory instruction may touch a whole
 * memory, so the worst case is about FUZZ_INPUT_FUEL times a full-memory
 * fill: small memories and a per-input fuel total keep that under the
 * libFuzzer timeout, and anything slower is a real finding (work that is
 * not charged fuel).
 */
#define FUZZ_MAX_MEMORY_PAGES 64u       /* 4 MiB per memory */
#define FUZZ_POOL_SLOT_PAGES 16u        /* memories with a larger maximum take the private-reservation path */
#define FUZZ_MAX_TABLE_ELEMS 100000u
#define FUZZ_STACK_SLOTS 65536u
#define FUZZ_MAX_CALL_DEPTH 300u
#define FUZZ_FUEL_PER_SLICE 2000
#define FUZZ_INPUT_FUEL 20000           /* for all calls of one input together */
#define FUZZ_MAX_RESUMES 8
#define FUZZ_MAX_EXPORT_CALLS 64u        /* over all rounds */
#define FUZZ_ROUNDS 2u

/* ISOLA_FUZZ_TRACE=1 prints what each input did (for triage; off while fuzzing). */
static int fuzz_trace = -1;

static bool fuzz_tracing(void)
{
    if (fuzz_trace < 0)
        fuzz_trace = getenv("ISOLA_FUZZ_TRACE") != NULL;
    return fuzz_trace > 0;
}

/* Per-input state (stub host functions, fuel); reset at the start of every input. */
static struct {
    uint32_t calls;
    int64_t fuel_left;       /* of FUZZ_INPUT_FUEL */
    bool blocked;            /* the last call blocked: the next one must complete */
    bool instantiating;      /* a start function cannot be resumed: just return zeros */
} fuzz_host;

/* ------------------------------------------------------------ stub imports */

static uint32_t fuzz_type_slots(const isola_valtype *types, uint32_t n)
{
    uint32_t slots = 0;
    for (uint32_t i = 0; i < n; i++)
        slots += types[i] == ISOLA_V128 ? 2 : 1;
    return slots;
}

static void fuzz_touch_memory(isola_host_call *call)
{
    uint64_t size = 0;
    volatile uint8_t *mem = isola_host_memory(call, &size);
    if (!mem || size == 0)
        return;
    mem[0] = mem[0];
    mem[size - 1] = mem[size - 1];
}

/* `user` carries the number of result slots, so the stub needs no allocation. */
static isola_host_result fuzz_stub_host(isola_host_call *call, uint64_t *slots, void *user)
{
    uint32_t nslots = (uint32_t)(uintptr_t)user;
    /* No instance when called directly by isola_exec_call (a re-exported import,
     * or an imported start function): there is no wasm caller then. */
    assert(isola_host_exec(call) != NULL);
    fuzz_touch_memory(call);
    uint32_t n = ++fuzz_host.calls;
    if (fuzz_host.instantiating) {
        memset(slots, 0, (size_t)nslots * sizeof *slots);
        return ISOLA_HOST_RETURN;
    }
    if (!fuzz_host.blocked && n % 5 == 2) {
        fuzz_host.blocked = true;
        return ISOLA_HOST_BLOCK;
    }
    fuzz_host.blocked = false;
    memset(slots, 0, (size_t)nslots * sizeof *slots);
    if (n % 11 == 7)
        return isola_host_trap(call, "fuzz stub trap #%u", n);
    if (n % 3 == 0)
        return ISOLA_HOST_YIELD;
    return ISOLA_HOST_RETURN;
}

static isola_value fuzz_zero_value(isola_valtype type)
{
    isola_value v;
    memset(&v, 0, sizeof v);
    v.type = type;
    return v;
}

/*
 * The second round of calls uses edge values instead of zeros: numbers that
 * sit on the boundaries the interpreter checks (sign, overflow, page size,
 * NaN, shift counts). Pick `k` chooses one; references stay null.
 */
static isola_value fuzz_edge_value(isola_valtype type, uint32_t k)
{
    static const uint64_t edges[] = {
        1, UINT64_MAX, 0x80000000u, 0x7FFFFFFFu, 0xFFFFFFFFu, 65536, 65535, 31, 32, 63, 64,
        0x8000000000000000u, 0x7FF8000000000001u /* f64 NaN with payload */, 0x7FC00001u /* f32 NaN */,
    };
    uint64_t bits = edges[k % (sizeof edges / sizeof edges[0])];
    isola_value v = fuzz_zero_value(type);
    switch (type) {
    case ISOLA_I32: v.of.i32 = (int32_t)(uint32_t)bits; break;
    case ISOLA_I64: v.of.i64 = (int64_t)bits; break;
    case ISOLA_F32: v.of.f32_bits = (uint32_t)bits; break;
    case ISOLA_F64: v.of.f64_bits = bits; break;
    case ISOLA_V128: memcpy(v.of.v128, &bits, sizeof bits); memcpy(v.of.v128 + 8, &bits, sizeof bits); break;
    case ISOLA_FUNCREF:
    case ISOLA_EXTERNREF: break;
    }
    return v;
}

/* Creates a host object of exactly `type`; false when the type is beyond the fuzz limits. */
static bool fuzz_make_import(isola_engine *engine, const isola_externtype *type, isola_extern *out)
{
    out->kind = type->kind;
    switch (type->kind) {
    case ISOLA_EXTERN_FUNC: {
        uintptr_t nslots = fuzz_type_slots(type->func.results, type->func.nresults);
        out->of.func = isola_func_new(engine, &type->func, fuzz_stub_host, (void *)nslots, NULL);
        return out->of.func != NULL;
    }
    case ISOLA_EXTERN_TABLE:
        if (type->table.limits.min > FUZZ_MAX_TABLE_ELEMS)
            return false;
        out->of.table = isola_table_new(engine, type->table.elem, type->table.limits, NULL);
        return out->of.table != NULL;
    case ISOLA_EXTERN_MEMORY:
        if (type->memory.min > FUZZ_MAX_MEMORY_PAGES)
            return false;
        out->of.memory = isola_memory_new(engine, type->memory, NULL);
        return out->of.memory != NULL;
    case ISOLA_EXTERN_GLOBAL:
        out->of.global = isola_global_new(engine, fuzz_zero_value(type->global.type),
                                          type->global.mutable_, NULL);
        return out->of.global != NULL;
    }
    return false;
}

static void fuzz_release_import(isola_extern *ext)
{
    switch (ext->kind) {
    case ISOLA_EXTERN_FUNC: isola_func_release(ext->of.func); break;
    case ISOLA_EXTERN_TABLE: isola_table_release(ext->of.table); break;
    case ISOLA_EXTERN_MEMORY: isola_memory_release(ext->of.memory); break;
    case ISOLA_EXTERN_GLOBAL: isola_global_release(ext->of.global); break;
    }
}

static void fuzz_release_imports(isola_extern *imports, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        fuzz_release_import(&imports[i]);
    free(imports);
}

/* Builds stubs for every import in order; NULL (and *count 0) when one cannot be made. */
static isola_extern *fuzz_make_imports(isola_engine *engine, const isola_module *module, uint32_t *count)
{
    uint32_t n = isola_module_import_count(module);
    *count = 0;
    isola_extern *imports = calloc(n + 1, sizeof *imports);
    if (!imports)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        const char *mod, *field;
        size_t mod_len, field_len;
        isola_externtype type;
        memset(&type, 0, sizeof type);
        isola_module_import(module, i, &mod, &mod_len, &field, &field_len, &type);
        if (!fuzz_make_import(engine, &type, &imports[i])) {
            fuzz_release_imports(imports, i);
            return NULL;
        }
    }
    *count = n;
    return imports;
}

/* ------------------------------------------------------------ running exports */

/* Gives the context its next slice of the input's fuel; false when none is left. */
static bool fuzz_refuel(isola_exec *exec)
{
    if (fuzz_host.fuel_left <= 0)
        return false;
    int64_t slice = fuzz_host.fuel_left < FUZZ_FUEL_PER_SLICE ? fuzz_host.fuel_left : FUZZ_FUEL_PER_SLICE;
    isola_exec_set_fuel(exec, slice);
    return true;
}

/* Charges the input for the fuel the last slice used. */
static void fuzz_charge(isola_exec *exec)
{
    int64_t left = isola_exec_fuel(exec);
    int64_t slice = fuzz_host.fuel_left < FUZZ_FUEL_PER_SLICE ? fuzz_host.fuel_left : FUZZ_FUEL_PER_SLICE;
    assert(left <= slice);
    /* Resuming a blocked host call costs no fuel, so charge at least one unit per slice. */
    fuzz_host.fuel_left -= slice - left > 0 ? slice - left : 1;
}

/* Drives one call to completion, a trap, or the resume budget. Round 0 passes
 * zeros; round r > 0 passes edge values chosen by r and the parameter index. */
static void fuzz_run_call(isola_exec *exec, isola_func *func, uint32_t round, const char *name,
                          size_t name_len)
{
    isola_functype type;
    isola_func_type(func, &type);
    isola_value args[64];
    if (type.nparams > sizeof args / sizeof args[0])
        return;
    for (uint32_t i = 0; i < type.nparams; i++)
        args[i] = round == 0 ? fuzz_zero_value(type.params[i])
                             : fuzz_edge_value(type.params[i], round * 7 + i);

    if (!fuzz_refuel(exec))
        return;
    isola_status st = isola_exec_call(exec, func, args, type.nparams);
    fuzz_charge(exec);
    for (int resumes = 0; resumes < FUZZ_MAX_RESUMES &&
                          (st == ISOLA_YIELDED || st == ISOLA_SUSPENDED) && fuzz_refuel(exec); resumes++) {
        st = isola_exec_resume(exec);
        fuzz_charge(exec);
    }
    if (fuzz_tracing()) {
        const isola_trap *trap = st == ISOLA_TRAPPED ? isola_exec_trap(exec) : NULL;
        fprintf(stderr, "fuzz_run: export \"%.*s\" round %u: status %d%s%s\n", (int)name_len, name,
                round, (int)st, trap ? ", trap: " : "", trap && trap->message ? trap->message : "");
    }
    switch (st) {
    case ISOLA_OK: {
        isola_value results[8];
        uint32_t n = isola_exec_results(exec, results, 8);
        assert(n == type.nresults);
        for (uint32_t i = 0; i < n && i < 8; i++)
            assert(results[i].type == type.results[i]);
        break;
    }
    case ISOLA_TRAPPED: {
        const isola_trap *trap = isola_exec_trap(exec);
        assert(trap && trap->kind != ISOLA_TRAP_NONE && trap->message);
        char buf[512];
        isola_trap_format(trap, buf, sizeof buf);
        break;
    }
    case ISOLA_YIELDED:
    case ISOLA_SUSPENDED:
        isola_exec_reset(exec);
        break;
    case ISOLA_FAILED:
        /* Our arguments always match the type, and the context is idle. */
        assert(!"isola_exec_call failed on a well-formed call");
        break;
    }
}

/* Calls every exported function, first with zeros, then with edge values (the
 * instance keeps its state between rounds, as a long-lived guest would). */
static void fuzz_call_exports(isola_instance *inst, const isola_module *module, isola_exec *exec)
{
    uint32_t n = isola_module_export_count(module);
    uint32_t calls = 0;
    for (uint32_t round = 0; round < FUZZ_ROUNDS; round++) {
        for (uint32_t i = 0; i < n && calls < FUZZ_MAX_EXPORT_CALLS; i++) {
            const char *name;
            size_t name_len;
            isola_externtype type;
            isola_module_export(module, i, &name, &name_len, &type);
            isola_extern ext;
            bool found = isola_instance_export_n(inst, name, name_len, &ext);
            assert(found && ext.kind == type.kind);
            if (!found || ext.kind != ISOLA_EXTERN_FUNC)
                continue;
            fuzz_run_call(exec, ext.of.func, round, name, name_len);
            calls++;
        }
    }
}

/* ------------------------------------------------------------ entry point */

static void fuzz_instantiate_and_run(isola_engine *engine, isola_module *module)
{
    uint32_t nimports = 0;
    isola_extern *imports = fuzz_make_imports(engine, module, &nimports);
    if (!imports) {
        if (fuzz_tracing())
            fprintf(stderr, "fuzz_run: an import is beyond the fuzz limits\n");
        return;
    }
    isola_exec_config ecfg = {.stack_slots = FUZZ_STACK_SLOTS, .max_call_depth = FUZZ_MAX_CALL_DEPTH};
    isola_exec *exec = isola_exec_new(engine, &ecfg, NULL);
    if (exec) {
        /* The start function runs to completion inside isola_instantiate; bound it too. */
        fuzz_refuel(exec);
        isola_instance_limits limits = {.max_memory_pages = FUZZ_MAX_MEMORY_PAGES};
        isola_error err;
        memset(&err, 0, sizeof err);
        fuzz_host.instantiating = true;
        isola_instance *inst = isola_instantiate(engine, module, imports, nimports, &limits, exec, &err);
        fuzz_host.instantiating = false;
        fuzz_charge(exec);
        if (inst) {
            fuzz_call_exports(inst, module, exec);
            isola_instance_release(inst);
        } else {
            assert(err.kind != ISOLA_ERR_NONE && err.message[0] != '\0');
            if (fuzz_tracing())
                fprintf(stderr, "fuzz_run: instantiation failed: %s\n", err.message);
        }
        isola_exec_release(exec);
    }
    fuzz_release_imports(imports, nimports);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&fuzz_host, 0, sizeof fuzz_host);
    fuzz_host.fuel_left = FUZZ_INPUT_FUEL;
    isola_engine_config cfg = {.max_memory_pages = FUZZ_MAX_MEMORY_PAGES,
                               .pool_slot_pages = FUZZ_POOL_SLOT_PAGES};
    isola_engine *engine = isola_engine_new(&cfg, NULL);
    if (!engine)
        return 0;
    isola_error err;
    memset(&err, 0, sizeof err);
    isola_module *module = isola_module_load(engine, data, size, &err);
    if (!module && fuzz_tracing())
        fprintf(stderr, "fuzz_run: not loaded: %s\n", err.message);
    if (module) {
        fuzz_instantiate_and_run(engine, module);
        isola_module_release(module);
    }
    isola_engine_release(engine);
    return 0;
}
