/*
 * exec.c - execution contexts: the public isola_exec_* API, the host-call
 * accessors (isola_host_*), trap records with backtraces, and
 * isola_trap_format.
 *
 * A call goes: isola_exec_call checks the arguments against the function's
 * type, lays them out in stack slots 0.., sets up frames[0] and the loop's
 * registers, and hands over to exec_interp_run (interp.c). A host function
 * called directly (not from wasm) is run here without the loop. The context
 * state machine (interp.h, enum exec_state) decides what isola_exec_resume
 * does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/interp.h"
#include "exec/mempool.h"

#define EXEC_DEFAULT_STACK_SLOTS (1u << 20)
#define EXEC_DEFAULT_MAX_DEPTH 20000u
#define EXEC_MIN_STACK_SLOTS 1024u

static void set_err(isola_error *err, isola_error_kind kind, const char *msg)
{
    if (!err)
        return;
    err->kind = kind;
    err->offset = 0;
    snprintf(err->message, sizeof err->message, "%s", msg);
}

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

isola_exec *isola_exec_new(isola_engine *engine, const isola_exec_config *cfg, isola_error *err)
{
    if (!engine) {
        set_err(err, ISOLA_ERR_ARGUMENT, "isola_exec_new needs an engine");
        return NULL;
    }
    uint32_t slots = cfg && cfg->stack_slots ? cfg->stack_slots : EXEC_DEFAULT_STACK_SLOTS;
    uint32_t depth = cfg && cfg->max_call_depth ? cfg->max_call_depth : EXEC_DEFAULT_MAX_DEPTH;
    if (slots < EXEC_MIN_STACK_SLOTS)
        slots = EXEC_MIN_STACK_SLOTS;
    /*
     * One block, laid out as interp.h shows. A call writes the head, frames
     * from the top of their region down and values from the bottom of theirs
     * up, so what a small process touches is one run around the head; in a
     * pool slot (page aligned) the head is placed EXEC_HOT_FRAMES frames
     * above a page boundary so that run is one page. The record is written
     * only on a trap or an error.
     */
    size_t record = round16(sizeof(exec_record));
    size_t frames = round16((size_t)depth * sizeof(exec_frame));
    size_t head = round16(sizeof(isola_exec));
    size_t values = (size_t)slots * sizeof(uint64_t);
    size_t page = 4096, hot_below = EXEC_HOT_FRAMES * sizeof(exec_frame);
    size_t pad = (page - (record + frames - hot_below) % page) % page;
    size_t total = pad + record + frames + head + values;
    int32_t slot = -1;
    uint8_t *block = total <= exec_mempool_slot_bytes(engine->exec_pool)
                         ? exec_mempool_take(engine->exec_pool, &slot) : NULL;
    if (!block) {
        pad = 0;
        slot = -1;
        block = malloc(record + frames + head + values);
    }
    if (!block) {
        set_err(err, ISOLA_ERR_RESOURCE, "out of memory allocating an execution context");
        return NULL;
    }
    isola_exec *e = (isola_exec *)(block + pad + record + frames);
    memset(e, 0, sizeof *e);
    e->engine = engine;
    e->record = (exec_record *)(block + pad);
    e->block = block;
    e->pool_slot = slot;
    e->frames = (exec_frame *)e - 1;
    e->stack = (uint64_t *)((uint8_t *)e + head);
    e->stack_end = e->stack + slots;
    e->max_depth = depth;
    e->fuel = ISOLA_FUEL_UNLIMITED;
    e->state = EXEC_IDLE;
    e->finish_op.h = exec_interp_handlers()[EXEC_OP_finish];
    return e;
}

void isola_exec_release(isola_exec *exec)
{
    if (!exec)
        return;
    if (exec->pool_slot >= 0)
        exec_mempool_give(exec->engine->exec_pool, exec->pool_slot, exec->block, 0);
    else
        free(exec->block);
}

void isola_exec_set_fuel(isola_exec *exec, int64_t fuel)
{
    exec->fuel = fuel < 0 ? 0 : fuel;
}

int64_t isola_exec_fuel(const isola_exec *exec)
{
    return exec->fuel;
}

/* ------------------------------------------------------------ traps */

void exec_record_trap(isola_exec *exec, isola_trap_kind kind, const char *message, uint32_t nframes)
{
    exec_record *rec = exec->record;
    if (message != rec->trap_message)
        snprintf(rec->trap_message, sizeof rec->trap_message, "%s", message ? message : "trap");
    uint32_t n = 0;
    for (uint32_t i = nframes; i-- > 0 && n < EXEC_MAX_TRAP_FRAMES;) {
        const isola_func *f = exec_frame_func(exec, i);
        isola_frame_info *fi = &rec->trap_frames[n++];
        fi->func_index = f->func_index;
        fi->func_name = NULL;
        fi->module_name = NULL;
        if (f->instance) {
            const wasm_module *wm = f->instance->module->wasm;
            if (f->func_index < wm->nfuncs)
                fi->func_name = wm->funcs[f->func_index].name;
            fi->module_name = wm->module_name;
        }
    }
    rec->trap.kind = kind;
    rec->trap.message = rec->trap_message;
    rec->trap.nframes = n;
    rec->trap.frames = rec->trap_frames;
    exec->trapped = true;
    exec->state = EXEC_IDLE;
    exec->depth = 0;
}

const isola_trap *isola_exec_trap(const isola_exec *exec)
{
    static const isola_trap no_trap = {0};
    return exec->trapped ? &exec->record->trap : &no_trap;
}

const char *isola_exec_error(const isola_exec *exec)
{
    return exec->failed ? exec->record->error : "";
}

static const char *trap_kind_name(isola_trap_kind k)
{
    switch (k) {
    case ISOLA_TRAP_NONE: return "no trap";
    case ISOLA_TRAP_UNREACHABLE: return "unreachable";
    case ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS: return "memory access";
    case ISOLA_TRAP_TABLE_OUT_OF_BOUNDS: return "table access";
    case ISOLA_TRAP_UNINITIALIZED_ELEMENT: return "indirect call";
    case ISOLA_TRAP_INDIRECT_CALL_TYPE: return "indirect call";
    case ISOLA_TRAP_DIVIDE_BY_ZERO: return "arithmetic";
    case ISOLA_TRAP_INTEGER_OVERFLOW: return "arithmetic";
    case ISOLA_TRAP_INVALID_CONVERSION: return "conversion";
    case ISOLA_TRAP_STACK_EXHAUSTED: return "stack";
    case ISOLA_TRAP_HOST: return "host";
    }
    return "trap";
}

size_t isola_trap_format(const isola_trap *trap, char *buf, size_t size)
{
    if (!buf || size == 0)
        return 0;
    size_t used = 0;
    int w = snprintf(buf, size, "%s: %s", trap_kind_name(trap->kind), trap->message ? trap->message : "");
    used = w < 0 ? 0 : (size_t)w;
    for (uint32_t i = 0; i < trap->nframes && used < size; i++) {
        const isola_frame_info *f = &trap->frames[i];
        if (f->func_name)
            w = snprintf(buf + used, size - used, "\n  #%u %s%s%s (func %u)", i,
                         f->module_name ? f->module_name : "", f->module_name ? "!" : "",
                         f->func_name, f->func_index);
        else
            w = snprintf(buf + used, size - used, "\n  #%u %s%sfunc %u", i,
                         f->module_name ? f->module_name : "", f->module_name ? "!" : "", f->func_index);
        used += w < 0 ? 0 : (size_t)w;
    }
    return used < size ? used : size - 1;
}

/* ------------------------------------------------------------ calls */

static isola_status fail(isola_exec *exec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static isola_status fail(isola_exec *exec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(exec->record->error, sizeof exec->record->error, fmt, ap);
    va_end(ap);
    exec->failed = true;
    return ISOLA_FAILED;
}

static uint32_t type_slots(const wasm_valtype *types, uint32_t n)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += wasm_valtype_slots(types[i]);
    return s;
}

static void value_to_slots(const isola_value *v, uint64_t *slot)
{
    switch (v->type) {
    case ISOLA_I32: slot[0] = (uint32_t)v->of.i32; break;
    case ISOLA_I64: slot[0] = (uint64_t)v->of.i64; break;
    case ISOLA_F32: slot[0] = v->of.f32_bits; break;
    case ISOLA_F64: slot[0] = v->of.f64_bits; break;
    case ISOLA_V128: memcpy(slot, v->of.v128, 16); break;
    case ISOLA_FUNCREF: slot[0] = (uint64_t)(uintptr_t)v->of.funcref; break;
    case ISOLA_EXTERNREF: slot[0] = (uint64_t)(uintptr_t)v->of.externref; break;
    }
}

static isola_value slots_to_value(wasm_valtype t, const uint64_t *slot)
{
    isola_value v;
    memset(&v, 0, sizeof v);
    v.type = (isola_valtype)t;
    switch (t) {
    case WASM_I32: v.of.i32 = (int32_t)(uint32_t)slot[0]; break;
    case WASM_I64: v.of.i64 = (int64_t)slot[0]; break;
    case WASM_F32: v.of.f32_bits = (uint32_t)slot[0]; break;
    case WASM_F64: v.of.f64_bits = slot[0]; break;
    case WASM_V128: memcpy(v.of.v128, slot, 16); break;
    case WASM_FUNCREF: v.of.funcref = (isola_func *)(uintptr_t)slot[0]; break;
    case WASM_EXTERNREF: v.of.externref = (void *)(uintptr_t)slot[0]; break;
    default: break;
    }
    return v;
}

/* Runs a host function called directly by the embedder on stack[0..]. */
static isola_status call_host_top(isola_exec *exec)
{
    isola_func *f = exec->entry;
    struct isola_host_call hc = { exec, NULL };
    /* Busy while the host function runs: it must not start a call on this context. */
    exec->state = EXEC_STOPPED;
    isola_host_result r = f->host->fn(&hc, exec->stack, f->host->user);
    switch (r) {
    case ISOLA_HOST_RETURN:
        exec->state = EXEC_IDLE;
        exec->has_results = true;
        return ISOLA_OK;
    case ISOLA_HOST_YIELD:
        exec->state = EXEC_HOST_DONE;
        return ISOLA_YIELDED;
    case ISOLA_HOST_BLOCK:
        exec->state = EXEC_HOST_BLOCKED;
        return ISOLA_SUSPENDED;
    case ISOLA_HOST_TRAP:
    default:
        exec_record_trap(exec, ISOLA_TRAP_HOST, exec->record->trap_message, 0);
        return ISOLA_TRAPPED;
    }
}

static isola_status run(isola_exec *exec)
{
    exec->state = EXEC_STOPPED;
    exec->block_next = NULL;
    isola_status st = exec_interp_run(exec);
    if (st == ISOLA_OK || st == ISOLA_TRAPPED)
        exec->state = EXEC_IDLE;
    exec->has_results = st == ISOLA_OK;
    return st;
}

isola_status isola_exec_call(isola_exec *exec, isola_func *func, const isola_value *args, uint32_t nargs)
{
    if (!exec)
        return ISOLA_FAILED;
    exec->failed = false;
    if (exec->state != EXEC_IDLE)
        return fail(exec, "execution context is busy with a yielded or suspended call");
    if (!func)
        return fail(exec, "no function given");
    const wasm_functype *ft = func->type;
    if (nargs != ft->nparams)
        return fail(exec, "function expects %u arguments, got %u", ft->nparams, nargs);
    const wasm_valtype *pt = wasm_functype_params(ft);
    for (uint32_t i = 0; i < nargs; i++)
        if ((wasm_valtype)args[i].type != pt[i])
            return fail(exec, "argument %u has the wrong type", i);

    exec->trapped = false;
    exec->block_next = NULL;
    exec->entry = func;
    exec->has_results = false;
    uint32_t pslots = type_slots(pt, ft->nparams);
    uint32_t rslots = type_slots(wasm_functype_results(ft), ft->nresults);
    uint32_t need = pslots > rslots ? pslots : rslots;
    if (func->code && func->code->frame_slots > need)
        need = func->code->frame_slots;
    if (need > (uint64_t)(exec->stack_end - exec->stack)) {
        exec_record_trap(exec, ISOLA_TRAP_STACK_EXHAUSTED, "call stack exhausted", 0);
        return ISOLA_TRAPPED;
    }
    uint64_t *slot = exec->stack;
    for (uint32_t i = 0; i < nargs; i++) {
        value_to_slots(&args[i], slot);
        slot += wasm_valtype_slots(pt[i]);
    }
    if (func->host)
        return call_host_top(exec);

    const exec_code *c = func->code;
    memset(exec->stack + c->param_slots, 0, (size_t)c->local_slots * sizeof(uint64_t));
    exec->frames[0] = (exec_frame){ .func = func, .ret_pc = &exec->finish_op, .ret_fp = exec->stack,
                                    .ret_inst = func->instance };
    exec->pc = c->code;
    exec->fp = exec->stack;
    exec->depth = 0;
    exec->inst = func->instance;
    /* Function entry costs one unit of fuel, like calls made from wasm. */
    if (exec->fuel <= 0) {
        exec->state = EXEC_STOPPED;
        return ISOLA_YIELDED;
    }
    exec->fuel--;
    return run(exec);
}

isola_status isola_exec_resume(isola_exec *exec)
{
    if (!exec)
        return ISOLA_FAILED;
    exec->failed = false;
    switch (exec->state) {
    case EXEC_STOPPED:
        return run(exec);
    case EXEC_HOST_BLOCKED:
        return call_host_top(exec);
    case EXEC_HOST_DONE:
        exec->state = EXEC_IDLE;
        exec->has_results = true;
        return ISOLA_OK;
    case EXEC_IDLE:
    default:
        return fail(exec, "nothing to resume: no call is yielded or suspended");
    }
}

bool isola_exec_host_complete(isola_exec *exec)
{
    if (exec->state == EXEC_HOST_BLOCKED) {
        exec->state = EXEC_HOST_DONE;
        return true;
    }
    if (exec->state != EXEC_STOPPED || !exec->block_next)
        return false;
    exec->pc = exec->block_next;
    exec->block_next = NULL;
    return true;
}

void isola_exec_reset(isola_exec *exec)
{
    exec->state = EXEC_IDLE;
    exec->block_next = NULL;
    exec->has_results = false;
    exec->depth = 0;
    exec->entry = NULL;
}

uint32_t isola_exec_results(const isola_exec *exec, isola_value *out, uint32_t max)
{
    if (!exec->entry || exec->state != EXEC_IDLE || !exec->has_results)
        return 0;
    const wasm_functype *ft = exec->entry->type;
    const wasm_valtype *rt = wasm_functype_results(ft);
    const uint64_t *slot = exec->stack;
    for (uint32_t i = 0; i < ft->nresults && i < max; i++) {
        out[i] = slots_to_value(rt[i], slot);
        slot += wasm_valtype_slots(rt[i]);
    }
    return ft->nresults;
}

/* ------------------------------------------------------------ host-call accessors */

isola_instance *isola_host_instance(isola_host_call *call)
{
    return call->instance;
}

isola_exec *isola_host_exec(isola_host_call *call)
{
    return call->exec;
}

void *isola_host_userdata(isola_host_call *call)
{
    return exec_call_userdata(call);
}

uint8_t *isola_host_memory(isola_host_call *call, uint64_t *size)
{
    uint64_t ignored;
    return exec_call_memory(call, size ? size : &ignored);
}

isola_host_result isola_host_trap(isola_host_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->exec->record->trap_message, sizeof call->exec->record->trap_message, fmt, ap);
    va_end(ap);
    return ISOLA_HOST_TRAP;
}
