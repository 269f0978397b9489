/*
 * util/spinlock.h - the small spinlock that guards the hot shared lists: a
 * message queue, a worker's run queue, the memory pools' free lists, the
 * cache of execution contexts, the VM's list of live processes.
 *
 * Why a spinlock and not a pthread mutex: each is held only for a few
 * pointer updates (never across a call that blocks or calls back; a memory
 * pool maps a new chunk under it once per thousand slots), and with an M:N
 * scheduler the holder is a worker thread that is running, so spinning
 * briefly is cheaper than a futex round trip (a mutex's lock and unlock
 * were 13% of a spawn+exit profile). After a bounded number of spins the
 * waiter yields the CPU, so a preempted holder (2 cores, 8 engineers'
 * builds...) cannot make it burn a whole time slice.
 */
#ifndef ISOLA_UTIL_SPINLOCK_H
#define ISOLA_UTIL_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct util_spinlock {
    atomic_bool held;
} util_spinlock;

#define UTIL_SPINS_BEFORE_YIELD 64

static inline void util_spin_init(util_spinlock *lock)
{
    atomic_init(&lock->held, false);
}

static inline void util_spin_lock(util_spinlock *lock)
{
    for (;;) {
        if (!atomic_exchange_explicit(&lock->held, true, memory_order_acquire))
            return;
        /* Wait on a plain load so the cache line stays shared while it is held. */
        int spins = 0;
        while (atomic_load_explicit(&lock->held, memory_order_relaxed)) {
            if (++spins >= UTIL_SPINS_BEFORE_YIELD) {
                sched_yield();
                spins = 0;
            }
        }
    }
}

static inline void util_spin_unlock(util_spinlock *lock)
{
    atomic_store_explicit(&lock->held, false, memory_order_release);
}

#endif
