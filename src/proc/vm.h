/*
 * proc/vm.h - the VM object behind include/isola/proc.h: the engine, the
 * scheduler, the timers, the `isola` host functions every module links
 * against, and the host's own handle table (the host is a process-like
 * holder of handles, used by one embedder thread at a time under host_lock).
 */
#ifndef ISOLA_PROC_VM_H
#define ISOLA_PROC_VM_H

#include "proc/process.h"

#include <pthread.h>

#include "isola/proc.h"

#include "proc/iowait.h"
#include "proc/sched.h"
#include "proc/reuse.h"
#include "proc/timer.h"
#include "util/spinlock.h"

/* The host functions of import module "isola" (src/host/isola_api.c). */
typedef struct proc_api_entry {
    const char *name;
    isola_func *func;
} proc_api_entry;

struct proc_vm {
    isola_engine *engine;
    proc_sched sched;
    proc_timers timers;
    proc_reuse reuse;              /* contexts and memory left by ended processes */
    proc_io io;                    /* descriptors parked WASI calls wait for */
    isola_wasi_router *wasi_router;   /* WASI imports: each process's own context (host/proc_wasi.c) */
    isola_vm_config config;

    proc_api_entry *api;
    uint32_t napi;

    pthread_mutex_t host_lock;     /* guards host_handles */
    proc_handle_table host_handles;
    proc_quota host_quota;         /* unlimited root quota */

    pthread_mutex_t wait_lock;     /* host waits: process ends and host receive wakes */
    pthread_cond_t wait_cond;
    atomic_uint host_waiters;      /* host threads in isola_vm_wait_all (or a receive) */

    /* Guards the list of processes that have been suspended or preempted
     * at least once (shutdown, deadlock reports). A process joins it at the
     * end of its first slice that does not end it (sched.c), so one that
     * runs to its end in one slice (most short-lived ones) never takes
     * this lock: with two workers, the list's lock and neighbours were
     * lines the spawning and the ending core both wrote. Every blocked
     * process is on it, which is all a stall report needs; shutdown sets
     * killing_all under the lock, and a process joining after that is
     * killed as it joins. A spinlock: the rare walks of the whole list
     * make others wait longer, and they yield while they do. */
    util_spinlock all_lock;
    struct proc_process *all;
    atomic_bool killing_all;       /* set (under all_lock) by the shutdown's kill */

    /* Processes spawned and not yet ended (the low 32 bits), plus
     * PROC_VM_TRIMMING for each end that took the count to zero and is
     * trimming the caches (proc_process_end): the VM is empty, memory
     * returned, only when the whole word is 0. One word, so a process end
     * that is not the last costs one locked instruction. */
    atomic_uint_fast64_t live;
    atomic_uint_fast64_t spawned;  /* also the last process id given */
};

#define PROC_VM_LIVE_MASK 0xFFFFFFFFull
#define PROC_VM_TRIMMING (1ull << 32)

/* Processes spawned and not yet ended. */
static inline uint64_t proc_vm_live(const proc_vm *vm)
{
    return atomic_load(&((proc_vm *)vm)->live) & PROC_VM_LIVE_MASK;
}

/* Adds a process to the VM's list (its worker, before it may wait), or
 * takes it off when it ends (a no-op if it never joined). */
void proc_vm_register(proc_vm *vm, proc_process *p);
void proc_vm_unregister(proc_vm *vm, proc_process *p);

/* Wakes host threads waiting in isola_vm_wait for `ended`, or in
 * isola_vm_wait_all when `idle` (no process is left); cheap when none wait. */
void proc_vm_notify_host(proc_vm *vm, proc_process *ended, bool idle);

/* Deadlock detection (deadlock.c). proc_vm_idle: called by the last worker
 * going to sleep (sleep_lock held), wakes host threads that wait.
 * proc_vm_deadlocked: true when processes are alive and nothing can ever
 * wake one but the host; *epoch is the scheduler's idle epoch to wait on
 * (a host sleeps while it is unchanged). */
void proc_vm_idle(proc_vm *vm);
bool proc_vm_deadlocked(proc_vm *vm, uint64_t *epoch, isola_vm_stall *stall);

/* Builds the "isola" host functions into vm->api (src/host/isola_api.c). */
bool proc_api_create(proc_vm *vm, isola_error *err);
void proc_api_destroy(proc_vm *vm);

/* WASI for processes (src/host/proc_wasi.c): the router whose hooks find a
 * process's context and park it on its descriptors/deadline. */
bool proc_wasi_create(proc_vm *vm, isola_error *err);
void proc_wasi_destroy(proc_vm *vm);
/* A WASI import for a process module (a new function the caller owns). */
bool proc_wasi_import(proc_vm *vm, const char *field, size_t field_len, const isola_externtype *type,
                      isola_extern *out, isola_error *err);
/* A context for a WASI process nobody gave one: no args, files or stdio. */
isola_wasi *proc_wasi_empty(isola_error *err);
/* Ends a process's WASI side: drops its I/O wait, closes its descriptors. */
void proc_wasi_release(proc_process *process);

#endif

#ifndef ISOLA_PROC_VM_IPC
#define ISOLA_PROC_VM_IPC
/* Sends through `handle` in `table`: a channel endpoint, or a process
 * (into its mailbox); needs SEND. A receiver parked there takes the message
 * directly when it can (a hand-off, see vm.c); else it is queued. If the
 * queue is full and `wait` (a process's waiter) is given, it is parked,
 * counted (proc_process_park_count), and *parked_on names the endpoint to
 * cancel on. On success `hint` (may be NULL) gets where the message went
 * (process.h, proc_send_hint). */
int32_t proc_vm_send(proc_handle_table *table, int32_t handle, uint64_t tag, const void *bytes,
                     uint32_t size, const int32_t *handles, uint32_t handle_count, proc_waiter *wait,
                     proc_endpoint **parked_on, proc_send_hint *hint);

/* Resolves a receive handle: an endpoint with RECEIVE. */
int32_t proc_vm_receive_endpoint(proc_handle_table *table, int32_t handle, proc_endpoint **out);

/* proc_limits from the guest/host 40-byte request (NULL: defaults). */
proc_limits proc_vm_limits_request(const uint64_t *fuel_per_slice, const uint64_t *fuel_total,
                                   const uint64_t *queue_bytes, const uint32_t *u32s);
#endif
