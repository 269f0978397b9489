/*
 * proc/sched.h - the M:N scheduler: a pool of worker threads, each with its
 * own run queue, that steal from each other when idle. A worker runs one
 * fuel slice of a process (isola_exec_call/resume with fuel_per_slice) at a
 * time, so a busy loop cannot keep its worker: at the end of the slice it
 * goes behind everyone else.
 *
 * A worker's run queue has two lists and a slot (see sched.c for why):
 *   hot   a LIFO stack of processes made runnable by the process running on
 *         this worker (children it spawned, receivers of its messages): they
 *         run next, on this thread, while what they share is in cache; a
 *         tree of spawns is walked depth first, so few of it is alive at once.
 *   fifo  processes whose slice ran out, and those made runnable by other
 *         threads (the host, the timer thread, another VM's worker).
 *   next  one slot beside them: the first process woken by the running one
 *         (a message's receiver), run as soon as that slice ends, with no
 *         lock (a round trip is a wake, a park and a switch).
 * Fairness: every SCHED_FAIR_PERIOD-th take, if SCHED_FAIR_INTERVAL_NS
 * (1 ms) has passed since the last such take, is the oldest process in
 * either list (by the time it became runnable; `next` counts as the
 * newest), so a process with k processes older than it on its worker runs
 * within (k + 1) * max(SCHED_FAIR_PERIOD slices, 1 ms plus one slice) of
 * that worker, whatever the others do. The time floor keeps spawn trees
 * depth first when slices are tiny. Thieves take the oldest of a worker's
 * fifo first, then the oldest of its hot list, but leave a lone hot process
 * (or its `next`) alone until it has sat there for one spin round (the
 * worker is about to run it itself).
 *
 * Blocking: a host call that cannot finish parks the process (on a queue
 * or a timer) and returns ISOLA_HOST_BLOCK; the run stops with
 * ISOLA_SUSPENDED and the worker moves the process RUNNING -> WAITING. A
 * wake that arrives before that transition finds RUNNING and turns it into
 * RUNNING_WOKEN, which makes the worker requeue the process instead; so a
 * message that lands between parking and suspension is never lost.
 *
 * Disks: a WASI call that would wait for a disk (fsync, a read the page
 * cache cannot serve) parks like any other, but nothing can tell when a
 * disk is done, so there is nothing to register: the worker hands the
 * process to a small pool of blocking threads, which run its next slice,
 * where the call runs again and may wait. The slice there is short
 * (SCHED_BLOCKING_SLICE): a few instructions after the call the process
 * is back on a worker. A hung disk holds a blocking thread, never a worker.
 *
 * Sleeping: a worker with nothing to run or steal spins briefly, then
 * sleeps on `wake`. Whoever queues work signals a sleeper only when one
 * exists and the work is surplus (a process queued behind others, or from a
 * thread that is not a worker), so a busy VM makes no futex calls.
 */
#ifndef ISOLA_PROC_SCHED_H
#define ISOLA_PROC_SCHED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "proc/local.h"

struct proc_process;
struct proc_vm;

typedef struct sched_worker sched_worker;

struct sched_blocking;

typedef struct proc_sched {
    sched_worker *workers;
    uint32_t nworkers;
    uint32_t nstarted;              /* threads running (for stop) */
    atomic_uint next_inject;        /* round robin for pushes from other threads */

    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;            /* signalled when work is queued and a worker sleeps */
    atomic_uint sleeping;           /* workers waiting on `wake` */
    atomic_bool stopping;
    atomic_uint_fast64_t idle_epoch;  /* +1 each time the last worker goes to sleep (sleep_lock) */
    /* Blocking threads (sched.c): slices whose WASI calls may wait for a
     * disk. Made at the first such wait; blocking_lock guards that. */
    _Atomic(struct sched_blocking *) blocking;
    pthread_mutex_t blocking_lock;
    uint32_t blocking_threads;      /* how many to make */
    bool blocking_failed;           /* none could be made: such calls wait on the worker */
    atomic_uint blocking_busy;      /* processes queued for or running on them */
    struct proc_vm *vm;
} proc_sched;

/* The calling worker's own stock (proc/local.h), NULL when the caller is
 * not a worker of this scheduler. */
proc_local *proc_sched_local(proc_sched *sched);

/* Drains every worker's contexts and memory slots into the shared caches
 * (proc_local_drain), for the trim when the VM empties. Any thread. */
struct proc_reuse;
void proc_sched_drain_locals(proc_sched *sched, struct proc_reuse *reuse);

/* Starts `nworkers` workers (0: one per online CPU); `nblocking` blocking
 * threads (0: PROC_SCHED_BLOCKING_THREADS) are made when first needed.
 * false on failure. */
#define PROC_SCHED_BLOCKING_THREADS 4u
bool proc_sched_start(proc_sched *sched, struct proc_vm *vm, uint32_t nworkers, uint32_t nblocking);

/* Stops the workers (and blocking threads) after their current slice;
 * queued processes stay queued. */
void proc_sched_stop(proc_sched *sched);

/* Queues a RUNNABLE process: on the calling worker's hot stack when called
 * from a worker of this scheduler, else on some worker's fifo. */
void proc_sched_push(proc_sched *sched, struct proc_process *process);

/* Queues a process that was just woken (RUNNABLE, or RUNNING when claimed
 * for a hand-off, see sched_run_slice): on a worker of this
 * scheduler it runs right after the current slice (`next`, see sched.c),
 * or on the hot stack if another was woken first; else as proc_sched_push. */
void proc_sched_push_woken(proc_sched *sched, struct proc_process *process);

/* A killed process queued for a blocking thread (every one of them busy,
 * perhaps for good on a hung disk) goes to the workers instead, which end
 * it; nothing when it is not queued there. Any thread. */
void proc_sched_kill_blocking(proc_sched *sched, struct proc_process *process);
/* Wakes a process: WAITING -> RUNNABLE (queued), RUNNING -> RUNNING_WOKEN,
 * anything else unchanged. Callable from any thread. */
void proc_sched_wake(struct proc_process *process);

/* True when every worker sleeps and nothing is queued: no process runs or
 * is about to. *epoch is the idle epoch then; a later call that is quiet
 * with the same epoch proves no worker ran in between (deadlock.c). */
bool proc_sched_quiet(proc_sched *sched, uint64_t *epoch);

#endif
