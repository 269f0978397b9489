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
 * does. Contexts start small and grow once (isola_exec_new,
 * exec_stack_grow).
 */
#include <assert.h>
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

/*
 * A new context is one small block from malloc: its first frames, the
 * head and the bottom of its value stack (interp.h). A million processes
 * blocked in receive each hold a context; in a block of their own they
 * would each touch a page (a fault and 4 KiB); in the heap their ~1 KB
 * share pages. The configured size is reserved only when a call needs more
 * (exec_stack_grow), which a small process never does.
 */
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
    uint32_t small_frames = depth < EXEC_SMALL_FRAMES ? depth : EXEC_SMALL_FRAMES;
    size_t frames = round16((size_t)small_frames * sizeof(exec_frame));
    size_t head = round16(sizeof(isola_exec));
    uint8_t *block = malloc(frames + head + (size_t)EXEC_SMALL_SLOTS * sizeof(uint64_t));
    if (!block) {
        set_err(err, ISOLA_ERR_RESOURCE, "out of memory allocating an execution context");
        return NULL;
    }
    isola_exec *e = (isola_exec *)(block + frames);
    memset(e, 0, sizeof *e);
    e->engine = engine;
    e->block = block;
    e->region_slot = -1;
    e->frames = (exec_frame *)e - 1;
    e->frame_cap = small_frames;
    e->stack = (uint64_t *)((uint8_t *)e + head);
    e->stack_end = e->stack + EXEC_SMALL_SLOTS;
    e->max_depth = depth;
    e->max_slots = slots;
    e->fuel = ISOLA_FUEL_UNLIMITED;
    e->state = EXEC_IDLE;
    e->error = "";
    e->finish_op.h = exec_interp_handlers()[EXEC_OP_finish];
    return e;
}

/*
 * The region's layout is the small block's without the head:
 * [frames ... frames[0]] [values ->], placed in a pool slot (page aligned)
 * so that the EXEC_HOT_FRAMES frames nearest frames[0] and the bottom of
 * the values share one page.
 */
bool exec_stack_grow(isola_exec *exec, bool live)
{
    if (exec->region)
        return false;
    size_t frames = round16((size_t)exec->max_depth * sizeof(exec_frame));
    size_t values = (size_t)exec->max_slots * sizeof(uint64_t);
    size_t page = 4096, hot_below = EXEC_HOT_FRAMES * sizeof(exec_frame);
    size_t pad = (page - (frames - hot_below) % page) % page;
    int32_t slot = -1;
    uint8_t *base = pad + frames + values <= exec_mempool_slot_bytes(exec->engine->exec_pool)
                        ? exec_mempool_take(exec->engine->exec_pool, &slot) : NULL;
    if (!base) {
        pad = 0;
        slot = -1;
        base = malloc(frames + values);
        if (!base)
            return false;
    }
    exec_frame *nframes = (exec_frame *)(base + pad + frames) - 1;
    uint64_t *nstack = (uint64_t *)(base + pad + frames);
    uint64_t *ostack = exec->stack;
    assert(exec->depth < exec->frame_cap && exec->max_slots >= (size_t)(exec->stack_end - ostack));
    if (live) {
        /* Every pointer into the old values moves by the same distance. */
        for (uint32_t i = 0; i <= exec->depth; i++) {
            exec_frame f = exec->frames[-(ptrdiff_t)i];
            f.ret_fp = nstack + (f.ret_fp - ostack);
            nframes[-(ptrdiff_t)i] = f;
        }
        memcpy(nstack, ostack, (size_t)(exec->stack_end - ostack) * sizeof(uint64_t));
        exec->fp = nstack + (exec->fp - ostack);
    }
    exec->frames = nframes;
    exec->frame_cap = exec->max_depth;
    exec->stack = nstack;
    exec->stack_end = nstack + exec->max_slots;
    exec->region = base;
    exec->region_slot = slot;
    return true;
}

void isola_exec_release(isola_exec *exec)
{
    if (!exec)
        return;
    if (exec->region_slot >= 0)
        exec_mempool_give(exec->engine->exec_pool, exec->region_slot, exec->region, 0);
    else
        free(exec->region);
    free(exec->record);
    free(exec->block);
}

void isola_exec_set_fuel(isola_exec *exec, int64_t fuel)
{
    exec->fuel = fuel < INT64_MIN / 4 ? INT64_MIN / 4 : fuel;   /* negative: a debt, as isola_exec_fuel reports */
}

int64_t isola_exec_fuel(const isola_exec *exec)
{
    return exec->fuel;
}

/* ------------------------------------------------------------ traps */

/* The record, allocated the first time it is needed; NULL without memory. */
static exec_record *exec_record_need(isola_exec *exec)
{
    if (!exec->record)
        exec->record = calloc(1, sizeof *exec->record);
    return exec->record;
}

void exec_record_trap(isola_exec *exec, isola_trap_kind kind, const char *message, uint32_t nframes)
{
    exec_record *rec = exec_record_need(exec);
    isola_trap *trap = &exec->trap;
    trap->kind = kind;
    trap->nframes = 0;
    trap->frames = NULL;
    /* Without a record: the message (a literal, or the fallback of
     * exec_host_trap_message) and no backtrace. */
    trap->message = message ? message : "trap";
    exec->trapped = true;
    exec->state = EXEC_IDLE;
    exec->depth = 0;
    if (!rec)
        return;
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
    trap->message = rec->trap_message;
    trap->nframes = n;
    trap->frames = rec->trap_frames;
}

const char *exec_host_trap_message(const isola_exec *exec)
{
    /* No record: the host function gave no message, or there was no
     * memory to keep it. */
    return exec->record ? exec->record->trap_message : "a host function trapped";
}

const isola_trap *isola_exec_trap(const isola_exec *exec)
{
    static const isola_trap no_trap = {0};
    return exec->trapped ? &exec->trap : &no_trap;
}

const char *isola_exec_error(const isola_exec *exec)
{
    return exec->failed ? exec->error : "";
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
    exec_record *rec = exec_record_need(exec);
    if (rec) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rec->error, sizeof rec->error, fmt, ap);
        va_end(ap);
    }
    exec->error = rec ? rec->error : "the call could not start (no memory to say why)";
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
        exec_record_trap(exec, ISOLA_TRAP_HOST, exec_host_trap_message(exec), 0);
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
    exec->bulk_pc = NULL;
    exec->entry = func;
    exec->has_results = false;
    uint32_t pslots = type_slots(pt, ft->nparams);
    uint32_t rslots = type_slots(wasm_functype_results(ft), ft->nresults);
    uint32_t need = pslots > rslots ? pslots : rslots;
    if (func->code && func->code->frame_slots > need)
        need = func->code->frame_slots;
    if (need > (uint64_t)(exec->stack_end - exec->stack)) {
        if (need > exec->max_slots || !exec_stack_grow(exec, false)) {
            exec_record_trap(exec, ISOLA_TRAP_STACK_EXHAUSTED, "call stack exhausted", 0);
            return ISOLA_TRAPPED;
        }
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
    exec->bulk_pc = NULL;
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

void isola_host_spend_fuel(isola_host_call *call, uint64_t units)
{
    isola_exec *exec = call->exec;
    if (exec->fuel > INT64_MAX / 2)   /* unlimited (what calls and loops took off it aside) */
        return;
    /* Past what is left it becomes a debt (negative fuel), not forgiven:
     * the caller charges it (isola_exec_fuel), so work a call did beyond
     * its slice is paid for. Saturates far from overflow. */
    const int64_t floor = INT64_MIN / 4;
    int64_t u = units > (uint64_t)INT64_MAX / 4 ? INT64_MAX / 4 : (int64_t)units;
    exec->fuel = exec->fuel < floor + u ? floor : exec->fuel - u;   /* floor + u cannot overflow */
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
    exec_record *rec = exec_record_need(call->exec);
    if (rec)
        vsnprintf(rec->trap_message, sizeof rec->trap_message, fmt, ap);
    va_end(ap);
    return ISOLA_HOST_TRAP;
}
