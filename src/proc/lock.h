/*
 * proc/lock.h - the small spinlock that guards a message queue or a run queue.
 *
 * Why a spinlock and not a pthread mutex: a queue lock is held only for a
 * few pointer updates (never across a call that blocks, allocates or calls
 * back), and with an M:N scheduler the holder is a worker thread that is
 * running, so spinning briefly is cheaper than a futex round trip. After a
 * bounded number of spins the waiter yields the CPU, so a preempted holder
 * (2 cores, 8 engineers' builds...) cannot make it burn a whole time slice.
 * The scheduler's run queues (sched.c) use it for the same reasons.
 */
#ifndef ISOLA_PROC_LOCK_H
#define ISOLA_PROC_LOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct proc_lock {
    atomic_bool held;
} proc_lock;

#define PROC_LOCK_SPINS_BEFORE_YIELD 64

static inline void proc_lock_init(proc_lock *lock)
{
    atomic_init(&lock->held, false);
}

static inline void proc_lock_acquire(proc_lock *lock)
{
    for (;;) {
        if (!atomic_exchange_explicit(&lock->held, true, memory_order_acquire))
            return;
        /* Wait on a plain load so the cache line stays shared while it is held. */
        int spins = 0;
        while (atomic_load_explicit(&lock->held, memory_order_relaxed)) {
            if (++spins >= PROC_LOCK_SPINS_BEFORE_YIELD) {
                sched_yield();
                spins = 0;
            }
        }
    }
}

static inline void proc_lock_release(proc_lock *lock)
{
    atomic_store_explicit(&lock->held, false, memory_order_release);
}

#endif
