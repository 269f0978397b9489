/*
 * isola/proc.h - processes, from the embedder's side: start a VM (worker
 * threads + timers), load modules for spawning, spawn processes, talk to
 * them through channel endpoints the host holds, wait for them to end, and
 * shut down.
 *
 * The host holds handles exactly like a process does (small positive
 * integers with rights, see docs/guest-api.md); every function returning
 * int32_t gives a handle or size (>= 0) or a negative status code, the same
 * codes the guest API uses (isola_vm_strerror names them).
 *
 * Threads: any one host thread at a time may use a VM's host functions;
 * isola_vm_receive and isola_vm_wait may block that thread (not a worker).
 */
#ifndef ISOLA_PROC_H
#define ISOLA_PROC_H

#include <stdint.h>

#include "isola/engine.h"
#include "isola/rights.h"
#include "isola/status.h"
#include "isola/wasi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct proc_vm isola_vm;

typedef struct isola_vm_config {
    uint32_t workers;   /* worker threads; 0: one per online CPU */
    /* Called on a worker thread when a process ends by a trap, while the
     * trap (message, backtrace) still exists; NULL: nobody is told.
     * Processes are numbered 1, 2, 3... in the order they are spawned. */
    void (*on_trap)(void *user, uint64_t process_id, const isola_trap *trap);
    void *on_trap_user;
    /* Threads for WASI calls that wait for a disk (fsync, a read of data
     * not in the page cache), made at the first such call, so that a slow
     * or hung disk never holds a worker; 0: 4. */
    uint32_t blocking_threads;
} isola_vm_config;

/* Limits asked for a new process (the same 40-byte layout as the guest's
 * isola_limits). A zero field takes the documented default. */
typedef struct isola_proc_limits {
    uint64_t fuel_per_slice;
    uint64_t fuel_total;
    uint64_t queue_bytes;
    uint32_t memory_pages;
    uint32_t queue_count;
    uint32_t handle_count;
    uint32_t live_children;
} isola_proc_limits;

/* How a process ended. */
typedef struct isola_proc_exit {
    int32_t kind;       /* 0 returned, 1 exit(), 2 trap, 3 killed, 4 fuel limit, 5 failed to start */
    int32_t reason;     /* the return value / exit or kill reason / isola_trap_kind */
} isola_proc_exit;

/* Message tags the system uses (guests use tags below 0xFFFFFFFF00000000). */
#define ISOLA_VM_TAG_START 0xFFFFFFFFFFFFFF01ull
#define ISOLA_VM_TAG_DOWN 0xFFFFFFFFFFFFFF02ull
#define ISOLA_VM_TAG_EXIT 0xFFFFFFFFFFFFFF03ull

#define ISOLA_VM_WAIT_FOREVER (-1)

isola_vm *isola_vm_new(isola_engine *engine, const isola_vm_config *cfg, isola_error *err);
/* Kills every process still alive, stops the workers and frees the VM. */
void isola_vm_release(isola_vm *vm);

/* A handle to `module` with the SPAWN, DUPLICATE and TRANSFER rights; the
 * module may import functions of "isola" and of "wasi_snapshot_preview1"
 * (then each of its processes gets a WASI context of its own, see
 * docs/wasi.md). Negative on error (err set). */
int32_t isola_vm_load(isola_vm *vm, isola_module *module, isola_error *err);

/* Spawns export `entry` of the module behind `module_handle`. `handles` move
 * to the child (they arrive with the argument bytes in its first message,
 * tag ISOLA_VM_TAG_START). limits may be NULL. Returns a process handle
 * (SEND, KILL, MONITOR, DUPLICATE, TRANSFER). A module importing WASI
 * spawned this way gets an empty WASI context (no args, files or stdio).
 * The entry and the limits are checked here; the instance is made when the
 * process first runs, and if that fails (out of memory) the process ends
 * with kind 5 and reason the status (docs/guest-api.md, `spawn`). */
int32_t isola_vm_spawn(isola_vm *vm, int32_t module_handle, const char *entry, const void *arg,
                       uint32_t arg_len, const int32_t *handles, uint32_t handle_count,
                       const isola_proc_limits *limits, isola_error *err);

/* Like isola_vm_spawn with no argument bytes, for a module that imports
 * WASI: `wasi` (args, environment, preopens, stdio) becomes the child's
 * context. The VM takes it over, even on failure, and switches it to
 * ISOLA_WASI_BLOCK_PARK: a call that would block parks only that process.
 * proc_exit(code) ends the process with kind 1 (exit) and reason code.
 * It also sets the context's fd hooks: what the guest opens counts against
 * the process's handle_count and the host's descriptor budget; what `wasi`
 * holds already is the embedder's and is not counted (docs/wasi.md). */
int32_t isola_vm_spawn_wasi(isola_vm *vm, int32_t module_handle, const char *entry, isola_wasi *wasi,
                            const int32_t *handles, uint32_t handle_count,
                            const isola_proc_limits *limits, isola_error *err);

/* A channel: two endpoint handles with all channel rights. */
int32_t isola_vm_channel(isola_vm *vm, int32_t *end0, int32_t *end1);

/* Sends through an endpoint or to a process's mailbox (never blocks: a full
 * queue gives the status ISOLA_EFULL = -7). Handles move on success.
 * ISOLA_ELOOP = -15: an endpoint in the message would end up queued in
 * itself (docs/guest-api.md, `send`). */
int32_t isola_vm_send(isola_vm *vm, int32_t handle, uint64_t tag, const void *bytes, uint32_t len,
                      const int32_t *handles, uint32_t handle_count);

/* Receives from an endpoint. any_tag != 0 takes the first message,
 * otherwise the first with `tag`. Copies at most `max` bytes, writes the
 * message's tag to *tag_out (may be NULL) and its handles to handles_out.
 * Waits up to timeout_ns (ISOLA_VM_WAIT_FOREVER: no limit). Returns the
 * message size, or a negative status (ISOLA_EAGAIN = -10 on timeout;
 * without a limit, ISOLA_VM_EDEADLOCK when the VM is deadlocked, as for
 * isola_vm_wait below: no process could ever send it anything). */
int32_t isola_vm_receive(isola_vm *vm, int32_t endpoint, int any_tag, uint64_t tag, void *buf,
                         uint32_t max, uint64_t *tag_out, int32_t *handles_out, uint32_t handles_max,
                         uint32_t *handle_count_out, int64_t timeout_ns);

int32_t isola_vm_close(isola_vm *vm, int32_t handle);
int32_t isola_vm_duplicate(isola_vm *vm, int32_t handle, uint32_t rights);
int32_t isola_vm_kill(isola_vm *vm, int32_t process_handle, int32_t reason);

/* Status of a wait that can never end (below). */
#define ISOLA_VM_EDEADLOCK (-14)

/* Waits until the process ends (0) or timeout_ns passes (ISOLA_EAGAIN).
 * With ISOLA_VM_WAIT_FOREVER it returns ISOLA_VM_EDEADLOCK instead of
 * waiting forever when the VM is deadlocked (isola_vm_stalled). */
int32_t isola_vm_wait(isola_vm *vm, int32_t process_handle, int64_t timeout_ns, isola_proc_exit *exit);

/* Waits until no process is alive (0) or timeout_ns passes (ISOLA_EAGAIN);
 * with ISOLA_VM_WAIT_FOREVER, ISOLA_VM_EDEADLOCK when deadlocked. */
int32_t isola_vm_wait_all(isola_vm *vm, int64_t timeout_ns);

/* What a blocked process waits for. */
enum {
    ISOLA_VM_BLOCKED_RECEIVE = 1,   /* receive without a timeout */
    ISOLA_VM_BLOCKED_SEND = 2,      /* send waiting for room in a full queue */
    ISOLA_VM_BLOCKED_OTHER = 3,
};

/* A deadlock: processes are alive, but none runs, none is queued to run,
 * no timer is armed and no process waits for I/O, so only the host could
 * wake one (by sending, killing or closing). A host thread blocked in a
 * wait is taken to be the only one using the VM (see "Threads" above). */
typedef struct isola_vm_stall {
    uint64_t blocked;        /* live processes, all blocked */
    uint64_t receiving;      /* ... of which in receive */
    uint64_t sending;        /* ... of which in a send to a full queue */
    uint64_t oldest_id;      /* the oldest live process (lowest id) */
    int32_t oldest_blocked;  /* what it waits for: ISOLA_VM_BLOCKED_* */
    int32_t oldest_on_mailbox;  /* 1 if that is a receive on its own mailbox */
} isola_vm_stall;

/* 1 if the VM is deadlocked now (*stall filled in, may be NULL), else 0.
 * Cheap enough to poll: a few uncontended locks and, when deadlocked, one
 * walk over the live processes. */
int32_t isola_vm_stalled(isola_vm *vm, isola_vm_stall *stall);

/* Revocation (docs/guest-api.md, "Revocation"). isola_vm_revoker: a new
 * revoker (REVOKE, DUPLICATE, TRANSFER). isola_vm_derive: a new handle to
 * what `handle` names with `rights` (a subset; needs DUPLICATE) that stops
 * working, with every copy made of it anywhere, once `revoker` is revoked.
 * isola_vm_revoke: revokes (needs REVOKE); idempotent. */
int32_t isola_vm_revoker(isola_vm *vm);
int32_t isola_vm_derive(isola_vm *vm, int32_t handle, int32_t revoker, uint32_t rights);
int32_t isola_vm_revoke(isola_vm *vm, int32_t revoker);

/* The kill reason of a child ended because the process that spawned it
 * ended (kind 3, killed); see docs/guest-api.md, "Children". */
#define ISOLA_VM_REASON_PARENT_ENDED (-2147483647 - 1)

/* Processes alive now, and spawned so far. */
uint64_t isola_vm_live(const isola_vm *vm);
uint64_t isola_vm_spawned(const isola_vm *vm);

const char *isola_vm_strerror(int32_t status);

#ifdef __cplusplus
}
#endif

#endif
