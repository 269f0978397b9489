/*
 * proc/sched.c - worker threads, the run queue and one fuel slice of a
 * process. See sched.h for the states and the park/wake race.
 */
#include "proc/process.h"

#include <assert.h>
#include <stdlib.h>
#include <unistd.h>

#include "proc/sched.h"
#include "proc/vm.h"

void proc_sched_push(proc_sched *sched, proc_process *p)
{
    p->run_next = NULL;
    pthread_mutex_lock(&sched->lock);
    if (sched->tail)
        sched->tail->run_next = p;
    else
        sched->head = p;
    sched->tail = p;
    bool signal = sched->idle > 0;
    pthread_mutex_unlock(&sched->lock);
    if (signal)
        pthread_cond_signal(&sched->work);
}

/* The worker's "run next" slot: a process woken by the process running on
 * this worker (the receiver of its message) runs right after it, on this
 * thread, without touching the shared queue or waking another worker. A
 * message round trip then costs no lock and no futex. To stay fair, at
 * most SCHED_NEXT_STREAK slices in a row come from the slot before the
 * shared queue gets a turn. */
#define SCHED_NEXT_STREAK 64
static _Thread_local proc_sched *tls_sched;
static _Thread_local proc_process *tls_next;

static void sched_make_runnable(proc_process *p)
{
    proc_sched *sched = &p->vm->sched;
    if (tls_sched != sched) {
        proc_sched_push(sched, p);
        return;
    }
    proc_process *old = tls_next;
    tls_next = p;
    if (old)
        proc_sched_push(sched, old);
}

void proc_sched_wake(proc_process *p)
{
    int s = atomic_load(&p->state);
    for (;;) {
        if (s == PROC_WAITING) {
            if (atomic_compare_exchange_weak(&p->state, &s, PROC_RUNNABLE)) {
                sched_make_runnable(p);
                return;
            }
        } else if (s == PROC_RUNNING) {
            if (atomic_compare_exchange_weak(&p->state, &s, PROC_RUNNING_WOKEN))
                return;
        } else {
            return;   /* already runnable, already woken, or ended */
        }
    }
}

/* Takes the head of the run queue, sleeping while it is empty. NULL: stop. */
static proc_process *sched_take(proc_sched *sched)
{
    pthread_mutex_lock(&sched->lock);
    while (!sched->head && !sched->stopping) {
        sched->idle++;
        pthread_cond_wait(&sched->work, &sched->lock);
        sched->idle--;
    }
    proc_process *p = NULL;
    if (!sched->stopping) {
        p = sched->head;
        sched->head = p->run_next;
        if (!sched->head)
            sched->tail = NULL;
    }
    pthread_mutex_unlock(&sched->lock);
    return p;
}

/* Charges the slice's fuel; false when the process's total ran out. */
static bool sched_charge_fuel(proc_process *p, uint64_t slice)
{
    int64_t left = isola_exec_fuel(p->exec);
    uint64_t burnt = slice - (uint64_t)(left < 0 ? 0 : left);
    p->fuel_burnt += burnt;
    return proc_quota_charge_fuel(&p->quota, burnt) == PROC_OK;
}

static void sched_end_trapped(proc_process *p)
{
    if (p->exit_requested) {
        proc_process_end(p, PROC_EXIT_EXIT, p->exit_reason);
        return;
    }
    const isola_trap *trap = isola_exec_trap(p->exec);
    proc_process_end(p, PROC_EXIT_TRAP, trap ? (int32_t)trap->kind : 0);
}

static void sched_end_returned(proc_process *p)
{
    isola_value v[1];
    int32_t reason = 0;
    if (isola_exec_results(p->exec, v, 1) >= 1 && v[0].type == ISOLA_I32)
        reason = v[0].of.i32;
    proc_process_end(p, PROC_EXIT_NORMAL, reason);
}

/* Runs one slice of `p` (state RUNNABLE, owned by this worker). */
static void sched_run_slice(proc_sched *sched, proc_process *p)
{
    atomic_store(&p->state, PROC_RUNNING);
    if (atomic_load(&p->kill_pending)) {
        proc_process_end(p, (proc_exit_kind)atomic_load(&p->kill_kind), atomic_load(&p->kill_reason));
        return;
    }
    uint64_t slice = p->granted.fuel_per_slice;
    if (slice == 0 || slice > (uint64_t)INT64_MAX)
        slice = (uint64_t)INT64_MAX;
    isola_exec_set_fuel(p->exec, (int64_t)slice);
    isola_status st;
    if (!p->started) {
        p->started = true;
        st = isola_exec_call(p->exec, p->entry, NULL, 0);
    } else {
        st = isola_exec_resume(p->exec);
    }
    bool fuel_ok = sched_charge_fuel(p, slice);
    switch (st) {
    case ISOLA_OK:
        sched_end_returned(p);
        return;
    case ISOLA_TRAPPED:
        sched_end_trapped(p);
        return;
    case ISOLA_FAILED:
        proc_process_end(p, PROC_EXIT_FAILED, 0);
        return;
    case ISOLA_YIELDED:
        if (!fuel_ok) {
            proc_process_end(p, PROC_EXIT_LIMIT, 0);
            return;
        }
        atomic_store(&p->state, PROC_RUNNABLE);
        proc_sched_push(sched, p);
        return;
    case ISOLA_SUSPENDED: {
        if (!fuel_ok) {
            proc_process_end(p, PROC_EXIT_LIMIT, 0);
            return;
        }
        int expected = PROC_RUNNING;
        if (atomic_compare_exchange_strong(&p->state, &expected, PROC_WAITING))
            return;   /* from here on only a wake may touch it */
        assert(expected == PROC_RUNNING_WOKEN);
        atomic_store(&p->state, PROC_RUNNABLE);
        proc_sched_push(sched, p);
        return;
    }
    }
}

static void *sched_worker(void *arg)
{
    proc_sched *sched = arg;
    tls_sched = sched;
    uint32_t streak = 0;
    for (;;) {
        proc_process *p = tls_next;
        if (p && streak < SCHED_NEXT_STREAK) {
            tls_next = NULL;
            streak++;
        } else {
            if (p) {
                tls_next = NULL;
                proc_sched_push(sched, p);
            }
            streak = 0;
            p = sched_take(sched);
            if (!p)
                break;
        }
        sched_run_slice(sched, p);
    }
    tls_sched = NULL;
    return NULL;
}

bool proc_sched_start(proc_sched *sched, struct proc_vm *vm, uint32_t nworkers)
{
    if (nworkers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nworkers = n > 0 ? (uint32_t)n : 1;
    }
    *sched = (proc_sched){.vm = vm, .nworkers = 0};
    pthread_mutex_init(&sched->lock, NULL);
    pthread_cond_init(&sched->work, NULL);
    sched->workers = calloc(nworkers, sizeof *sched->workers);
    if (!sched->workers)
        return false;
    for (uint32_t i = 0; i < nworkers; i++) {
        if (pthread_create(&sched->workers[i], NULL, sched_worker, sched) != 0) {
            proc_sched_stop(sched);
            return false;
        }
        sched->nworkers++;
    }
    return true;
}

void proc_sched_stop(proc_sched *sched)
{
    pthread_mutex_lock(&sched->lock);
    sched->stopping = true;
    pthread_cond_broadcast(&sched->work);
    pthread_mutex_unlock(&sched->lock);
    for (uint32_t i = 0; i < sched->nworkers; i++)
        pthread_join(sched->workers[i], NULL);
    sched->nworkers = 0;
    free(sched->workers);
    sched->workers = NULL;
}

proc_process *proc_sched_drain(proc_sched *sched)
{
    pthread_mutex_lock(&sched->lock);
    proc_process *list = sched->head;
    sched->head = sched->tail = NULL;
    pthread_mutex_unlock(&sched->lock);
    return list;
}
