/*
 * proc/sched.h - the M:N scheduler: a pool of worker threads and one run
 * queue of runnable processes. A worker takes the process at the head,
 * runs one fuel slice (isola_exec_call/resume with fuel_per_slice) and puts
 * it at the tail if it still wants the CPU, so a busy loop cannot starve
 * anyone: each runnable process waits at most (runnable - 1) slices.
 *
 * Blocking: a host call that cannot finish parks the process (on a queue
 * or a timer) and returns ISOLA_HOST_BLOCK; the run stops with
 * ISOLA_SUSPENDED and the worker moves the process RUNNING -> WAITING. A
 * wake that arrives before that transition finds RUNNING and turns it into
 * RUNNING_WOKEN, which makes the worker requeue the process instead; so a
 * message that lands between parking and suspension is never lost.
 */
#ifndef ISOLA_PROC_SCHED_H
#define ISOLA_PROC_SCHED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct proc_process;

typedef struct proc_sched {
    pthread_mutex_t lock;
    pthread_cond_t work;            /* signalled when the queue gets a process */
    struct proc_process *head, *tail;
    uint32_t idle;                  /* workers sleeping on `work` */
    bool stopping;
    uint32_t nworkers;
    pthread_t *workers;
    struct proc_vm *vm;
} proc_sched;

/* Starts `nworkers` workers (0: one per online CPU). false on failure. */
bool proc_sched_start(proc_sched *sched, struct proc_vm *vm, uint32_t nworkers);

/* Stops the workers after their current slice; queued processes stay queued. */
void proc_sched_stop(proc_sched *sched);

/* Appends a RUNNABLE process to the run queue. */
void proc_sched_push(proc_sched *sched, struct proc_process *process);

/* Wakes a process: WAITING -> RUNNABLE (queued), RUNNING -> RUNNING_WOKEN,
 * anything else unchanged. Callable from any thread. */
void proc_sched_wake(struct proc_process *process);

/* Removes and returns every queued process (for shutdown). */
struct proc_process *proc_sched_drain(proc_sched *sched);

#endif
