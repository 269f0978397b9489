/*
 * proc/timer.h - timers for receive timeouts and sleep: a binary min-heap
 * of processes keyed by deadline, served by one timer thread that sleeps
 * until the earliest deadline. A process has at most one armed timer (its
 * timer_slot/timer_deadline fields, guarded by the timer lock); firing
 * removes it and wakes the process, which re-checks its deadline itself
 * (so a late or spurious fire is harmless).
 */
#ifndef ISOLA_PROC_TIMER_H
#define ISOLA_PROC_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct proc_process;

typedef struct proc_timers {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct proc_process **heap;
    uint32_t count, capacity;
    bool stopping;
    bool started;
    pthread_t thread;
} proc_timers;

bool proc_timers_start(proc_timers *timers);
void proc_timers_stop(proc_timers *timers);

/* Arms (or moves) the process's timer. false when out of memory. */
bool proc_timer_arm(proc_timers *timers, struct proc_process *process, uint64_t deadline_ns);

/* Disarms it if armed. After return the timer will not fire. Called, like
 * proc_timer_arm, only by the process's own thread (its host calls, its
 * end); one that never armed a timer costs nothing, not even the lock. */
void proc_timer_cancel(proc_timers *timers, struct proc_process *process);

/* Timers armed now (a fire removes its timer and wakes under the lock, so
 * 0 means no wake from this thread is pending either). */
uint32_t proc_timers_armed(proc_timers *timers);

#endif
