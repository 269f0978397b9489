/*
 * cli_proc.c - runs a WASI command as the first process of a VM (see
 * cli_proc.h). The command's exit status is its first process's: the
 * proc_exit code (0 if _start returns), 2 if it trapped, 3 if --fuel ran
 * out, 4 if it was killed, 5 if every process left was deadlocked
 * (blocked with nothing that could wake one). Processes still alive when the first one ends
 * are killed, as a shell's children are not: nothing keeps running
 * unseen after the command returned.
 */
#include "cli_proc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <isola/proc.h>

#include "cli.h"

#define CLI_FIRST_PROCESS_ID 1u   /* processes are numbered from 1 in spawn order */

static pthread_mutex_t trap_print_lock = PTHREAD_MUTEX_INITIALIZER;

/* On a worker: the first process's trap as `--invoke` prints one; others'
 * with their number, so a crash in a child is never silent. */
static void on_trap(void *user, uint64_t id, const isola_trap *trap)
{
    (void)user;
    pthread_mutex_lock(&trap_print_lock);
    if (id != CLI_FIRST_PROCESS_ID)
        fprintf(stderr, "isola: process %llu ended by a trap\n", (unsigned long long)id);
    cli_report_trap(trap);
    pthread_mutex_unlock(&trap_print_lock);
}

static bool has_start(const cli_proc_options *o, isola_module *module)
{
    uint32_t n = isola_module_export_count(module);
    for (uint32_t i = 0; i < n; i++) {
        const char *name;
        size_t len;
        isola_externtype type;
        isola_module_export(module, i, &name, &len, &type);
        if (len == 6 && memcmp(name, "_start", 6) == 0 && type.kind == ISOLA_EXTERN_FUNC)
            return true;
    }
    fprintf(stderr, "%s: no export named '_start': not a WASI command "
            "(use --invoke NAME to call another export)\n", o->path);
    return false;
}

static int exit_status(const cli_proc_options *o, const isola_proc_exit *ex)
{
    switch (ex->kind) {
    case 0: return CLI_EXIT_OK;
    case 1: return ex->reason;
    case 2: return CLI_EXIT_TRAP;   /* on_trap printed it */
    case 3:
        cli_errorf("run: the process was killed (reason %d)", ex->reason);
        return CLI_EXIT_KILLED;
    case 4:
        cli_errorf("run: out of fuel (--fuel %lld) before '_start' returned", (long long)o->fuel);
        return CLI_EXIT_FUEL;
    default:
        cli_errorf("run: '_start' could not start: %s", isola_vm_strerror(ex->reason));
        return CLI_EXIT_ERROR;
    }
}

/*
 * The first process is the whole program, as a native command is: by
 * default it may use the VM's whole budget (no limit on live descendants,
 * the largest handle table, memory bounded only per memory unless
 * --max-memory is given, which then bounds the whole process tree), and
 * bigger queues than a spawned child's default, so that it can collect
 * the results of many children. Its children still get the ordinary
 * defaults unless it asks for more.
 */
#define CLI_FIRST_QUEUE_COUNT 65536u
#define CLI_FIRST_QUEUE_BYTES (64ull << 20)
#define CLI_UNLIMITED32 UINT32_MAX

static isola_proc_limits first_limits(const cli_proc_options *o)
{
    isola_proc_limits l = {
        .memory_pages = o->max_memory_pages ? o->max_memory_pages : CLI_UNLIMITED32,
        .fuel_total = o->fuel_set ? (o->fuel > 0 ? (uint64_t)o->fuel : 1) : 0,
        .live_children = o->max_procs_set ? o->max_procs : CLI_UNLIMITED32,
        .handle_count = o->max_handles_set ? o->max_handles : CLI_UNLIMITED32,
        .queue_count = o->max_queue_set ? o->max_queue : CLI_FIRST_QUEUE_COUNT,
        .queue_bytes = CLI_FIRST_QUEUE_BYTES,
    };
    return l;
}

static const char *blocked_text(int32_t what, int32_t on_mailbox)
{
    switch (what) {
    case ISOLA_VM_BLOCKED_RECEIVE:
        return on_mailbox ? "in receive on its mailbox" : "in receive on a channel";
    case ISOLA_VM_BLOCKED_SEND: return "in send, waiting for room in a full queue";
    default: return "in a host call";
    }
}

/* One line saying who is stuck, and the exit status for it. */
static int report_deadlock(isola_vm *vm)
{
    isola_vm_stall st;
    /* The wait proved the deadlock; this second look may meet a worker
     * awake for a moment (a spurious wake-up, seen under TSan on a loaded
     * machine), so it looks a few times before giving the short line. */
    int stalled = 0;
    for (int i = 0; i < 50 && !(stalled = isola_vm_stalled(vm, &st)); i++)
        nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
    if (!stalled) {
        cli_errorf("deadlock: every process is blocked and nothing can wake one");
        return CLI_EXIT_DEADLOCK;
    }
    char who[64];
    if (st.oldest_id == CLI_FIRST_PROCESS_ID)
        snprintf(who, sizeof who, "the first process");
    else
        snprintf(who, sizeof who, "process %llu", (unsigned long long)st.oldest_id);
    cli_errorf("deadlock: %llu process%s blocked with nothing that can wake %s (%llu in receive with no "
               "possible sender, %llu in send to a full queue); %s is blocked %s",
               (unsigned long long)st.blocked, st.blocked == 1 ? "" : "es", st.blocked == 1 ? "it" : "them",
               (unsigned long long)st.receiving, (unsigned long long)st.sending, who,
               blocked_text(st.oldest_blocked, st.oldest_on_mailbox));
    return CLI_EXIT_DEADLOCK;
}

/* Spawns the first process (it gets its own module handle in its start
 * message, to spawn more of itself) and waits for it. */
static int run_first(const cli_proc_options *o, isola_vm *vm, isola_module *module, isola_wasi *wasi)
{
    isola_error err;
    memset(&err, 0, sizeof err);
    int32_t mh = isola_vm_load(vm, module, &err);
    if (mh < 0) {
        isola_wasi_release(wasi);
        fprintf(stderr, "%s: %s\n", o->path, err.message);
        return CLI_EXIT_ERROR;
    }
    isola_proc_limits limits = first_limits(o);
    int32_t ph = isola_vm_spawn_wasi(vm, mh, "_start", wasi, &mh, 1, &limits, &err);
    if (ph < 0) {
        if (err.kind == ISOLA_ERR_TRAP) {
            fprintf(stderr, "trap: %s\n", err.message);
            return CLI_EXIT_TRAP;
        }
        fprintf(stderr, "%s: cannot instantiate: %s\n", o->path, err.message);
        return CLI_EXIT_ERROR;
    }
    isola_proc_exit ex = {.kind = 5};
    int32_t r = isola_vm_wait(vm, ph, ISOLA_VM_WAIT_FOREVER, &ex);
    if (r == ISOLA_VM_EDEADLOCK)
        return report_deadlock(vm);
    if (r != 0)
        ex.kind = 5;
    return exit_status(o, &ex);
}

int cli_proc_run(const cli_proc_options *o)
{
    size_t len = 0;
    uint8_t *bytes = cli_read_file(o->path, &len);
    if (!bytes)
        return CLI_EXIT_ERROR;
    isola_error err;
    memset(&err, 0, sizeof err);
    isola_engine_config cfg = {.max_memory_pages = CLI_MAX_PAGES, .pool_slot_pages = 256};
    if (o->max_memory_pages)
        cfg.max_memory_pages = o->max_memory_pages;
    int code = CLI_EXIT_ERROR;
    isola_module *module = NULL;
    isola_engine *engine = isola_engine_new(&cfg, &err);
    if (!engine)
        cli_errorf("cannot create engine: %s", err.message);
    else if (!(module = isola_module_load(engine, bytes, len, &err)))
        cli_report_module_error(o->path, &err);
    if (module && has_start(o, module)) {
        isola_wasi *wasi = cli_wasi_new(o->wasi, o->path, o->args, o->nargs);
        isola_vm_config vcfg = {.workers = 0, .on_trap = on_trap};
        isola_vm *vm = wasi ? isola_vm_new(engine, &vcfg, &err) : NULL;
        if (wasi && !vm) {
            cli_errorf("cannot start the VM: %s", err.message);
            isola_wasi_release(wasi);
        }
        if (vm) {
            code = run_first(o, vm, module, wasi);
            fflush(stdout);
            isola_vm_release(vm);   /* kills whatever is still alive */
        }
    }
    if (module)
        isola_module_release(module);
    if (engine)
        isola_engine_release(engine);
    free(bytes);
    return code;
}
