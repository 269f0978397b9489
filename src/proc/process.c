/*
 * proc/process.c - processes and module objects: spawn (instantiate an
 * already translated module, set up mailbox, handles and quota) and end
 * (release all of it at once). See process.h for the life of a process.
 */
#include "proc/process.h"

#include <assert.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/instance.h"
#include "proc/link.h"
#include "proc/message.h"
#include "proc/vm.h"
#include "util/unwind.h"

/* Per-process execution stack: small, because a million processes must fit
 * and the interpreter cannot grow it later. 4096 slots = 32 KiB of values
 * and 256 frames suit message-passing guests; deep recursion traps with
 * "call stack exhausted" and ends only that process. */
#define PROC_STACK_SLOTS 4096u
#define PROC_CALL_DEPTH 256u

/* Rights of the handle the spawner gets to its child. */
#define PROC_CHILD_RIGHTS                                                                              \
    (ISOLA_RIGHT_SEND | ISOLA_RIGHT_KILL | ISOLA_RIGHT_MONITOR | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)

uint64_t proc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_error(isola_error *err, isola_error_kind kind, const char *fmt, const char *detail)
{
    if (!err)
        return;
    err->kind = kind;
    err->offset = 0;
    snprintf(err->message, sizeof err->message, fmt, detail);
}

/* ---------------------------------------------------------------- modules */

static void module_destroy(proc_object *object)
{
    proc_module *m = (proc_module *)object;
    for (uint32_t i = 0; m->owned && i < m->nimports; i++)
        if (m->owned[i])
            isola_func_release(m->imports[i].of.func);
    free(m->owned);
    isola_module_release(m->module);
    free(m->imports);
    free(m);
}

static isola_func *api_lookup(proc_vm *vm, const char *name, size_t len)
{
    for (uint32_t i = 0; i < vm->napi; i++)
        if (strlen(vm->api[i].name) == len && memcmp(vm->api[i].name, name, len) == 0)
            return vm->api[i].func;
    return NULL;
}

static bool functypes_equal(const isola_functype *a, const isola_functype *b)
{
    if (a->nparams != b->nparams || a->nresults != b->nresults)
        return false;
    for (uint32_t i = 0; i < a->nparams; i++)
        if (a->params[i] != b->params[i])
            return false;
    for (uint32_t i = 0; i < a->nresults; i++)
        if (a->results[i] != b->results[i])
            return false;
    return true;
}

static bool module_resolve_import(proc_vm *vm, proc_module *m, uint32_t i, isola_error *err)
{
    const char *mod, *field;
    size_t mod_len, field_len;
    isola_externtype type;
    isola_module_import(m->module, i, &mod, &mod_len, &field, &field_len, &type);
    char name[128];
    snprintf(name, sizeof name, "%.*s.%.*s", (int)(mod_len > 40 ? 40 : mod_len), mod,
             (int)(field_len > 60 ? 60 : field_len), field);
    size_t wasi_len = strlen(ISOLA_WASI_MODULE);
    if (mod_len == wasi_len && memcmp(mod, ISOLA_WASI_MODULE, wasi_len) == 0) {
        if (!m->owned && !(m->owned = calloc(m->nimports, sizeof *m->owned))) {
            set_error(err, ISOLA_ERR_RESOURCE, "%s", "out of memory loading a process module");
            return false;
        }
        if (!proc_wasi_import(vm, field, field_len, &type, &m->imports[i], err))
            return false;
        m->owned[i] = true;
        m->wasi = true;
        return true;
    }
    if (mod_len != 5 || memcmp(mod, "isola", 5) != 0 || type.kind != ISOLA_EXTERN_FUNC) {
        set_error(err, ISOLA_ERR_LINK,
                  "process modules may import only functions of \"isola\" and \"" ISOLA_WASI_MODULE
                  "\"; got %s", name);
        return false;
    }
    isola_func *f = api_lookup(vm, field, field_len);
    if (!f) {
        set_error(err, ISOLA_ERR_LINK, "unknown import %s", name);
        return false;
    }
    isola_functype want;
    isola_func_type(f, &want);
    if (!functypes_equal(&want, &type.func)) {
        set_error(err, ISOLA_ERR_LINK, "import %s has the wrong signature (see docs/guest-api.md)", name);
        return false;
    }
    m->imports[i] = (isola_extern){.kind = ISOLA_EXTERN_FUNC, .of.func = f};
    return true;
}

/* Memory 0's minimum, if the module defines one (imports are refused),
 * exported or not. */
static uint32_t module_initial_pages(const isola_module *module)
{
    const wasm_module *w = module->wasm;
    return w->nmemories > w->nmemory_imports ? w->memories[w->nmemory_imports].type.limits.min : 0;
}

static uint64_t module_initial_table_elements(const isola_module *module)
{
    const wasm_module *w = module->wasm;
    uint64_t n = 0;
    for (uint32_t i = w->ntable_imports; i < w->ntables; i++)
        n += w->tables[i].type.limits.min;
    return n;
}

static bool process_memory_limited(const proc_process *p)
{
    return p->quota.limits.memory_pages != PROC_LIMIT_UNLIMITED32;
}

/* Tables hold memory too: a process's tables may hold at most as many
 * 8-byte elements as its memory limit has words. */
static uint64_t process_table_budget(const proc_process *p)
{
    return (uint64_t)p->quota.limits.memory_pages * (65536 / 8);
}

/* memory.grow is charged to the quota the process shares with the
 * children it grants pages to (limits.h): its own memory and their grants
 * together stay within its limit. */
static bool process_memory_growing(void *user, uint32_t delta_pages)
{
    proc_process *p = user;
    return proc_quota_charge_pages(&p->quota, delta_pages) == PROC_OK;
}

static void process_memory_grow_failed(void *user, uint32_t delta_pages)
{
    proc_process *p = user;
    proc_quota_release_pages(&p->quota, delta_pages);
}

proc_module *proc_module_new(proc_vm *vm, isola_module *module, isola_error *err)
{
    proc_module *m = calloc(1, sizeof *m);
    uint32_t n = isola_module_import_count(module);
    if (m && n)
        m->imports = calloc(n, sizeof *m->imports);
    if (!m || (n && !m->imports)) {
        free(m);
        set_error(err, ISOLA_ERR_RESOURCE, "%s", "out of memory loading a process module");
        return NULL;
    }
    proc_object_init(&m->header, PROC_OBJ_MODULE, module_destroy);
    m->vm = vm;
    m->module = isola_module_retain(module);
    m->nimports = n;
    m->initial_pages = module_initial_pages(module);
    m->initial_table_elements = module_initial_table_elements(module);
    for (uint32_t i = 0; i < n; i++) {
        if (!module_resolve_import(vm, m, i, err)) {
            proc_object_release(&m->header);
            return NULL;
        }
    }
    /* Not a WASI module's: its start function may call WASI, which needs
     * the process, so it is made in the process's first slice and its start
     * function is the process's first call (a trap there ends the process). */
    m->instantiate_at_spawn = !m->wasi && (module->wasm->has_start || !exec_module_segments_fit(module));
    /* Once here, not at every spawn (exec_instantiate_checked). */
    if (!exec_check_imports(vm->engine, module, m->imports, n, err)) {
        proc_object_release(&m->header);
        return NULL;
    }
    return m;
}

/* ---------------------------------------------------------------- processes */

/* Takes back the caller's own unit of pending_wakes. When it is the only
 * one left, no wake is in flight to race with, so a plain store does what
 * a locked decrement would. */
static void pending_wakes_drop_own(proc_process *p)
{
    if (atomic_load_explicit(&p->pending_wakes, memory_order_acquire) == 1)
        atomic_store_explicit(&p->pending_wakes, 0, memory_order_release);
    else
        atomic_fetch_sub_explicit(&p->pending_wakes, 1, memory_order_release);
}

static void process_wake(proc_waiter *waiter)
{
    proc_process *p = proc_process_from_waiter(waiter);
    proc_sched_wake(p);
    /* Last touch: after this the process may end and be freed. */
    atomic_fetch_sub_explicit(&p->pending_wakes, 1, memory_order_release);
}

/*
 * A sender wants to complete this parked receive itself. Only a process
 * that has finished suspending (WAITING) can be taken: one still RUNNING
 * is unwinding from the receive call on its worker and will be woken the
 * usual way.
 *
 * The claim makes it RUNNING at once, not RUNNABLE: from here on it is the
 * taker's and then its next worker's, exactly as if it ran, and its first
 * slice need not store RUNNING again (sched_run_slice). That store is a
 * locked instruction, and a round trip made two of them (about 5% of its
 * time). A wake, a timer or a kill meanwhile finds it RUNNING and marks it
 * RUNNING_WOKEN: a kill is seen when it runs (the CAS below comes before
 * that slice's read of kill_word), and any other such wake only makes
 * its next blocking call look again, as every wake may.
 */
static bool process_claim(proc_waiter *waiter)
{
    proc_process *p = proc_process_from_waiter(waiter);
    /* The rest of the hand-off's lines (process.h), while the CAS waits for its own. */
    __builtin_prefetch(&p->recv, 1);
    __builtin_prefetch(&p->op_active, 1);
    int expected = PROC_WAITING;
    return atomic_compare_exchange_strong(&p->state, &expected, PROC_RUNNING);
}

void proc_process_handoff_done(proc_process *p, proc_recv_msg msg)
{
    assert(atomic_load_explicit(&p->state, memory_order_relaxed) == PROC_RUNNING ||
           atomic_load_explicit(&p->state, memory_order_relaxed) == PROC_RUNNING_WOKEN);
    /* The park is matched. Our unit is in the count; if it is the only one,
     * no wake of an earlier park is in flight, and nothing else changes the
     * count before the process runs again (which needs the push below): a
     * plain store will do, and saves a locked instruction per message. */
    pending_wakes_drop_own(p);
    p->recv.complete(p, msg);   /* after the count: its park_begin finds nothing to cancel */
    proc_sched_push_woken(&p->vm->sched, p);
}

static void process_free_block(void *block)
{
    proc_process *p = block;
    proc_object_release(proc_endpoint_object(p->mailbox_send));
    proc_object_release(p->parent_ref);
    free(p);
}

/* Freeing a block releases its parent, which may be the last reference to
 * that block too, and so on up a chain of ended processes (each kept by
 * its child while it still owed its parent something): util/unwind.h,
 * linked through run_next (unused once a process has ended). */
static _Thread_local util_unwind process_unwind;

static void process_destroy(proc_object *object)
{
    proc_process *p = proc_process_from_object(object);
    assert(!p->instance && !p->exec && !p->mailbox);
    util_unwind_free(&process_unwind, p, offsetof(proc_process, run_next), process_free_block);
}

proc_queue_limits proc_process_queue_limits(const proc_process *process)
{
    proc_queue_limits l = {.max_count = process->quota.limits.queue_count,
                           .max_bytes = process->quota.limits.queue_bytes};
    if (l.max_count == 0)
        l.max_count = 1;
    return l;
}

/* A context with the process stack config: this worker's, the VM's cache's, or a new one. */
static isola_exec *process_exec_new(proc_vm *vm, proc_local *local, const isola_exec_config *cfg,
                                    isola_error *err)
{
    isola_exec *e = proc_local_take_exec(local);
    if (!e)
        return proc_reuse_exec(&vm->reuse, vm->engine, cfg, err);
    isola_exec_reset(e);
    return e;
}

/* Releases what a live (or half-built) process holds. */
static void process_release_resources(proc_process *p)
{
    proc_local *local = proc_sched_local(&p->vm->sched);
    if (p->exec && p->exec_cached) {
        if (!proc_local_keep_exec(local, p->exec))
            proc_reuse_exec_done(&p->vm->reuse, p->exec);
    } else if (p->exec)
        isola_exec_release(p->exec);
    p->exec = NULL;
    if (p->instance)
        isola_instance_release(p->instance);
    p->instance = NULL;
    p->entry = NULL;
    if (p->module)   /* after the instance, which borrowed its functions */
        proc_object_release(&p->module->header);
    p->module = NULL;
    proc_handle_table_fini(&p->handles);
    proc_wasi_release(p);
    if (p->mailbox)
        proc_object_release(proc_endpoint_object(p->mailbox));
    p->mailbox = NULL;
}

static int32_t process_alloc(proc_vm *vm, const proc_spawner *spawner, const proc_limits *granted,
                             proc_process **out)
{
    /* Line-aligned, so the hot front is five lines, not six (process.h). */
    size_t size = (sizeof(proc_process) + PROC_CACHE_LINE - 1) / PROC_CACHE_LINE * PROC_CACHE_LINE;
    proc_process *p = aligned_alloc(PROC_CACHE_LINE, size);
    if (!p)
        return ISOLA_ENOMEM;
    memset(p, 0, sizeof *p);
    proc_object_init(&p->header, PROC_OBJ_PROCESS, process_destroy);
    p->vm = vm;
    p->fuel_per_slice = granted->fuel_per_slice;
    p->fuel_limited = granted->fuel_total != PROC_LIMIT_UNLIMITED64;
    proc_quota_init(&p->quota, *granted);
    p->parent_quota = spawner->quota;
    p->parent_ref = spawner->parent_ref;
    if (p->parent_ref) {
        proc_object_retain(p->parent_ref);
        if (p->parent_ref->type == PROC_OBJ_PROCESS)
            p->parent_id = proc_process_from_object(p->parent_ref)->id;
    }
    proc_handle_table_init(&p->handles, granted->handle_count);
    p->waiter.wake = process_wake;
    p->waiter.claim = process_claim;
    atomic_init(&p->state, PROC_RUNNABLE);
    atomic_init(&p->pending_wakes, 0);
    util_spin_init(&p->link_lock);
    p->op_deadline = UINT64_MAX;
    int32_t r = proc_channel_create_one_way(proc_process_queue_limits(p), &p->mailbox, &p->mailbox_send);
    if (r != PROC_OK) {
        proc_object_release(p->parent_ref);
        free(p);
        return r;
    }
    *out = p;
    return PROC_OK;
}

/* The context and instance of `p`, of its module (held since the spawn). */
/* The context and instance of `p`; *start_burnt: the fuel its module's
 * start function burnt (0 without one). */
static bool process_instantiate(proc_process *p, uint64_t *start_burnt, isola_error *err)
{
    *start_burnt = 0;
    proc_module *m = p->module;
    isola_exec_config cfg = {.stack_slots = PROC_STACK_SLOTS, .max_call_depth = PROC_CALL_DEPTH};
    /* WASI processes are ordinary programs (deep recursion, big frames):
     * they get the engine's default stack, committed as it is touched. */
    proc_local *local = proc_sched_local(&p->vm->sched);
    p->exec_cached = !m->wasi;
    p->exec = m->wasi ? isola_exec_new(p->vm->engine, NULL, err) : process_exec_new(p->vm, local, &cfg, err);
    if (!p->exec)
        return false;
    /* A WASI module's start function may call WASI, which may park: it
     * runs as the process's first call instead (sched.c), with the
     * process in place. */
    isola_instance_limits il = {.max_memory_pages = p->quota.limits.memory_pages, .host_imports_borrowed = true,
                                .module_borrowed = true, .defer_start = m->wasi};
    if (il.max_memory_pages == PROC_LIMIT_UNLIMITED32)
        il.max_memory_pages = 0;
    if (process_memory_limited(p)) {   /* an unlimited quota counts nothing */
        il.limit_tables = true;
        il.max_table_elements = process_table_budget(p);
        il.memory_growing = process_memory_growing;
        il.memory_grow_failed = process_memory_grow_failed;
        il.grow_user = p;
    }
    /* A module's start function runs here, at the spawn (proc_spawn), on
     * the spawner's thread: give it one slice of fuel, or an endless start
     * loop would hang the spawner (a cached context also carries the last
     * owner's leftover fuel). */
    int64_t given = p->fuel_per_slice > INT64_MAX ? INT64_MAX : (int64_t)p->fuel_per_slice;
    isola_exec_set_fuel(p->exec, given);
    p->instance = exec_instantiate_checked(p->vm->engine, m->module, m->imports, &il, p->exec, err);
    int64_t left = isola_exec_fuel(p->exec);
    *start_burnt = (uint64_t)(given - left);   /* a debt (negative left) is burnt too */
    if (!p->instance)
        return false;
    isola_instance_set_userdata(p->instance, p);
    p->entry = exec_instance_func(p->instance, p->entry_index);
    p->start_pending = il.defer_start && m->module->wasm->has_start;
    if (!p->entry) {
        set_error(err, ISOLA_ERR_RESOURCE, "%s", "out of memory");
        return false;
    }
    return true;
}

/* The status a failed instantiation gives the spawner, or the process
 * as its FAILED reason. `exec` ran the start function, if any: no fuel
 * left means it was cut off by its slice. */
static int32_t error_status(const isola_error *err, const isola_exec *exec)
{
    switch (err->kind) {
    case ISOLA_ERR_TRAP: return ISOLA_ESTART;
    case ISOLA_ERR_RESOURCE: return exec && isola_exec_fuel(exec) == 0 ? ISOLA_ELIMIT : ISOLA_ENOMEM;
    default: return ISOLA_EINVAL;
    }
}

/* Checks the entry and holds the module for `p`: every process of a
 * module links the same host functions and shares the same isola_module;
 * holding the proc_module (which owns both) instead of counting each
 * function and the module per spawn and end keeps ~16 shared cache lines
 * out of every spawn. */
static bool process_take_module(proc_process *p, proc_module *m, const char *name, uint32_t name_len,
                                isola_error *err)
{
    if (!exec_module_entry(m->module, name, name_len, &p->entry_index, err))
        return false;
    p->module = m;
    proc_object_retain(&m->header);
    return true;
}

int32_t proc_process_instantiate(proc_process *p)
{
    assert(!p->instance && !p->started);
    isola_error err = {0};
    uint64_t start_burnt;   /* 0: no start function runs here (at the spawn, or deferred) */
    return process_instantiate(p, &start_burnt, &err) ? PROC_OK : error_status(&err, NULL);
}

int32_t proc_spawn(proc_vm *vm, proc_spawner *spawner, proc_module *module, const char *name,
                   uint32_t name_len, const void *arg, uint32_t arg_len, const int32_t *handles,
                   uint32_t handle_count, const proc_limits *requested, proc_process **out,
                   isola_error *err)
{
    isola_error local;
    if (!err)
        err = &local;
    isola_wasi *wasi = spawner->wasi;   /* ours from here on */
    if (!wasi && module->wasi && !(wasi = proc_wasi_empty(err)))
        return ISOLA_ENOMEM;
    if (wasi && !module->wasi) {
        isola_wasi_release(wasi);   /* the module cannot use it */
        wasi = NULL;
    }
    proc_message *start = NULL;
    /* Borrowing: the child's mailbox is out of every other thread's reach
     * until the commit below. */
    int32_t r = proc_message_build_borrowing(spawner->table, NULL, PROC_TAG_START, arg, arg_len, handles,
                                             handle_count, &start);
    if (r != PROC_OK) {
        isola_wasi_release(wasi);
        set_error(err, ISOLA_ERR_ARGUMENT, "spawn: %s", proc_status_message(r));
        return r;
    }
    proc_limits granted;
    r = proc_quota_spawn(spawner->quota, requested, &granted);
    if (r != PROC_OK) {
        isola_wasi_release(wasi);
        proc_message_free_borrowing(start);
        set_error(err, ISOLA_ERR_RESOURCE, "spawn: %s", proc_status_message(r));
        return r;
    }
    proc_process *p = NULL;
    r = process_alloc(vm, spawner, &granted, &p);
    if (r == PROC_OK && wasi) {
        isola_wasi_set_block_mode(wasi, ISOLA_WASI_BLOCK_PARK);
        p->wasi = wasi;
    } else {
        isola_wasi_release(wasi);
    }
    wasi = NULL;
    if (r == PROC_OK && proc_quota_charge_pages_unshared(&p->quota, module->initial_pages) != PROC_OK) {
        r = ISOLA_ELIMIT;
        set_error(err, ISOLA_ERR_RESOURCE, "%s", "spawn: the module's initial memory exceeds the memory limit");
    } else if (r == PROC_OK && process_memory_limited(p) &&
               module->initial_table_elements > process_table_budget(p)) {
        r = ISOLA_ELIMIT;
        set_error(err, ISOLA_ERR_RESOURCE, "%s", "spawn: the module's initial tables exceed the memory limit");
    } else if (r == PROC_OK && !process_take_module(p, module, name, name_len, err)) {
        r = error_status(err, NULL);
    } else if (r == PROC_OK && module->instantiate_at_spawn && !process_instantiate(p, &spawner->start_fuel, err)) {
        r = error_status(err, p->exec);
    } else if (r == PROC_OK) {
        /* Straight into the queue: no handle names a mailbox's receiving
         * end, so the start message cannot close an endpoint cycle; and
         * nothing can reach the process yet, so no lock. */
        r = proc_queue_push_unshared(proc_endpoint_queue(p->mailbox), start);
        if (r == PROC_OK)
            start = NULL;
        else
            set_error(err, ISOLA_ERR_RESOURCE, "spawn: argument: %s", proc_status_message(r));
    } else {
        set_error(err, ISOLA_ERR_RESOURCE, "%s", "spawn: out of memory");
    }
    if (r != PROC_OK) {
        proc_message_free_borrowing(start);
        if (p) {
            process_release_resources(p);
            proc_object_release(&p->header);
        }
        proc_quota_child_exit(spawner->quota, &granted, 0);
        return r;
    }
    proc_message_commit_move(spawner->table, handles, handle_count);
    /* Ids count successful spawns, so the count is the last id given. */
    p->id = atomic_fetch_add(&vm->spawned, 1) + 1;
    atomic_fetch_add(&vm->live, 1);
    /* The caller's reference (the first one is the scheduler's), taken
     * while no other thread can see the process: a plain increment. */
    proc_object_retain_unshared(&p->header);
    *out = p;
    proc_sched_push(&vm->sched, p);
    return PROC_OK;
}

void proc_process_kill(proc_process *process, proc_exit_kind kind, int32_t reason)
{
    if (atomic_load(&process->done))
        return;
    uint64_t expected = 0;
    uint64_t word = PROC_KILL_PENDING | (uint64_t)(uint32_t)kind << 32 | (uint32_t)reason;
    if (!atomic_compare_exchange_strong(&process->kill_word, &expected, word))
        return;   /* the first kill decides the kind and the reason */
    proc_sched_wake(process);
    proc_sched_kill_blocking(&process->vm->sched, process);
}

void proc_process_park_cancel(proc_process *process)
{
    assert(process->parked_on);
    /* No wake pending: the queue that parked us has unparked us and the wake
     * is over (the usual case after a receive that waited), so there is no
     * registration to look for in either queue. */
    if (atomic_load_explicit(&process->pending_wakes, memory_order_acquire) != 0 &&
        proc_endpoint_cancel_wait(process->parked_on, &process->waiter))
        atomic_fetch_sub_explicit(&process->pending_wakes, 1, memory_order_relaxed);
    if (process->parked_on != process->mailbox)   /* see proc_process_parked */
        proc_object_release(proc_endpoint_object(process->parked_on));
    process->parked_on = NULL;
}

void proc_process_park_uncount(proc_process *process)
{
    assert(!process->parked_on);
    pending_wakes_drop_own(process);
}

/*
 * Takes an ended process out of vm->live; true when the VM is now empty.
 * A host waiting for the VM to empty must also find its memory back, so
 * the end that takes the count to zero marks the word as trimming in the
 * same step, trims the caches and only then clears the mark: the word
 * reads 0 (empty) only after that. Ends that are not the last (a spawn
 * may come between the load and the CAS, so no end knows before) are one
 * CAS.
 */
static bool process_uncount(proc_vm *vm)
{
    uint_fast64_t v = atomic_load_explicit(&vm->live, memory_order_relaxed), to;
    do {
        assert((v & PROC_VM_LIVE_MASK) != 0);
        to = (v & PROC_VM_LIVE_MASK) == 1 ? v - 1 + PROC_VM_TRIMMING : v - 1;
    } while (!atomic_compare_exchange_weak(&vm->live, &v, to));
    if ((v & PROC_VM_LIVE_MASK) != 1)
        return false;
    proc_local *local = proc_sched_local(&vm->sched);
    if (local)
        proc_local_flush(local, &vm->reuse);
    proc_sched_drain_locals(&vm->sched, &vm->reuse);   /* the other workers' */
    proc_reuse_trim(&vm->reuse, vm->engine);   /* cached memory goes back */
    return atomic_fetch_sub(&vm->live, PROC_VM_TRIMMING) == PROC_VM_TRIMMING;
}

void proc_process_end(proc_process *p, proc_exit_kind kind, int32_t reason)
{
    proc_vm *vm = p->vm;
    assert(!atomic_load(&p->done));
    /* Every other change of state is a CAS (a wake), which sees DONE; a
     * plain store does. */
    atomic_store_explicit(&p->state, PROC_DONE, memory_order_release);
    proc_timer_cancel(&vm->timers, p);
    proc_process_park_begin(p);
    /* A wake already taken off a queue may still be running: wait for it. */
    while (atomic_load_explicit(&p->pending_wakes, memory_order_acquire) != 0)
        sched_yield();
    if (kind == PROC_EXIT_TRAP && vm->config.on_trap && p->exec) {
        const isola_trap *trap = isola_exec_trap(p->exec);
        if (trap)
            vm->config.on_trap(vm->config.on_trap_user, p->id, trap);
    }
    process_release_resources(p);
    /* Children still alive keep their share of our grant (quotas nest). */
    bool owed = proc_quota_owner_exit(&p->quota, p->parent_quota, &p->quota.limits);
    p->end_kind = kind;
    p->end_reason = reason;
    proc_links_fire(p, kind, reason);
    if (!owed) {
        /* Nothing comes back through our quota any more: let the parent
         * go now, so that a handle to us (a message may carry one for
         * long) keeps one ended struct, not a chain of ancestors. */
        proc_object *parent = p->parent_ref;
        p->parent_ref = NULL;
        proc_object_release(parent);
    }
    proc_vm_unregister(vm, p);
    atomic_store(&p->done, true);   /* seq_cst: isola_vm_wait counts itself, then reads it */
    proc_vm_notify_host(vm, p, process_uncount(vm));
    proc_object_release(&p->header);   /* the scheduler's reference */
}
