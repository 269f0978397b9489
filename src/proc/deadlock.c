/*
 * proc/deadlock.c - telling a waiting host that its VM is deadlocked:
 * processes are alive but nothing can ever make one run again.
 *
 * What can wake a blocked process: a running or queued process (it may
 * send, close, kill), the timer thread (an armed timer), the epoll thread
 * (a process parked on I/O), or the host. A host thread in a wait does
 * nothing else, so the VM is deadlocked when, at one moment, every worker
 * sleeps with nothing queued, no process is queued for or running on a
 * blocking thread (sched.h, "Disks"), no timer is armed and no process is
 * parked on I/O. Checking that costs nothing while the VM runs: the last
 * worker to fall asleep, or a blocking thread that ends the last such
 * slice while they all sleep, bumps the scheduler's idle epoch and hints
 * the host (proc_vm_idle), and only a host thread waiting without a time
 * limit checks. Only a worker hands a process to a blocking thread, so
 * none starts on one while the workers stay asleep.
 *
 * Exactness: the check reads "quiet" (all asleep, queues empty) and the
 * epoch, then the timer and I/O counts, then "quiet" and the epoch again.
 * The same epoch proves no worker woke in between (a worker that wakes
 * bumps it when it is the last to sleep again), so no process ran and none
 * could arm a timer or park on I/O between the reads. A timer or I/O wake
 * is done under its lock together with its removal, so a count of 0 also
 * means no wake from those threads is on its way.
 */
#include "proc/process.h"

#include "proc/vm.h"

void proc_vm_idle(proc_vm *vm)
{
    /* The waiter counts itself and then reads the epoch; we bumped the
     * epoch and now read the count: one of the two sees the other. */
    if (atomic_load(&vm->host_waiters) == 0)
        return;
    pthread_mutex_lock(&vm->wait_lock);
    pthread_cond_broadcast(&vm->wait_cond);
    pthread_mutex_unlock(&vm->wait_lock);
}

static int32_t blocked_on(const proc_process *p)
{
    if (p->parked_on && p->op_active)
        return ISOLA_VM_BLOCKED_RECEIVE;   /* receive is the blocking op that sets op_active */
    if (p->parked_on)
        return ISOLA_VM_BLOCKED_SEND;
    return ISOLA_VM_BLOCKED_OTHER;
}

/* Fills the report. Nothing runs (the VM is deadlocked and this host thread
 * is the only one that could change that), and the workers' last writes to
 * these processes happened before they slept (sleep_lock), so the fields
 * read here are stable. */
static void stall_report(proc_vm *vm, isola_vm_stall *out)
{
    *out = (isola_vm_stall){0};
    util_spin_lock(&vm->all_lock);
    const proc_process *oldest = NULL;
    for (const proc_process *p = vm->all; p; p = p->all_next) {
        int32_t what = blocked_on(p);
        out->blocked++;
        out->receiving += what == ISOLA_VM_BLOCKED_RECEIVE;
        out->sending += what == ISOLA_VM_BLOCKED_SEND;
        if (!oldest || p->id < oldest->id)
            oldest = p;
    }
    if (oldest) {
        out->oldest_id = oldest->id;
        out->oldest_blocked = blocked_on(oldest);
        out->oldest_on_mailbox = oldest->parked_on == oldest->mailbox && out->oldest_blocked == ISOLA_VM_BLOCKED_RECEIVE;
    }
    util_spin_unlock(&vm->all_lock);
}

bool proc_vm_deadlocked(proc_vm *vm, uint64_t *epoch, isola_vm_stall *stall)
{
    uint64_t first, second;
    bool quiet = proc_sched_quiet(&vm->sched, &first);
    *epoch = first;
    if (!quiet || proc_vm_live(vm) == 0)
        return false;
    if (proc_timers_armed(&vm->timers) != 0 || proc_io_any_parked(&vm->io))
        return false;
    if (!proc_sched_quiet(&vm->sched, &second) || second != first || proc_vm_live(vm) == 0)
        return false;
    if (stall)
        stall_report(vm, stall);
    return true;
}

int32_t isola_vm_stalled(isola_vm *vm, isola_vm_stall *stall)
{
    uint64_t epoch;
    return proc_vm_deadlocked(vm, &epoch, stall) ? 1 : 0;
}
