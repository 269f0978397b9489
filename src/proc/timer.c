/*
 * proc/timer.c - the timer heap and its thread. Invariant (under lock):
 * heap[0..count) is a min-heap on timer_deadline and heap[i]->timer_slot
 * == i + 1; a process not in the heap has timer_slot 0.
 */
#include "proc/process.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "proc/sched.h"
#include "proc/timer.h"

static void heap_set(proc_timers *t, uint32_t i, proc_process *p)
{
    t->heap[i] = p;
    p->timer_slot = i + 1;
}

static void heap_up(proc_timers *t, uint32_t i)
{
    proc_process *p = t->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (t->heap[parent]->timer_deadline <= p->timer_deadline)
            break;
        heap_set(t, i, t->heap[parent]);
        i = parent;
    }
    heap_set(t, i, p);
}

static void heap_down(proc_timers *t, uint32_t i)
{
    proc_process *p = t->heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= t->count)
            break;
        if (child + 1 < t->count && t->heap[child + 1]->timer_deadline < t->heap[child]->timer_deadline)
            child++;
        if (t->heap[child]->timer_deadline >= p->timer_deadline)
            break;
        heap_set(t, i, t->heap[child]);
        i = child;
    }
    heap_set(t, i, p);
}

static void heap_remove(proc_timers *t, proc_process *p)
{
    uint32_t i = p->timer_slot - 1;
    p->timer_slot = 0;
    t->count--;
    if (i == t->count)
        return;
    heap_set(t, i, t->heap[t->count]);
    heap_down(t, i);
    heap_up(t, t->heap[i]->timer_slot - 1);
}

bool proc_timer_arm(proc_timers *t, proc_process *p, uint64_t deadline)
{
    p->timer_used = true;
    pthread_mutex_lock(&t->lock);
    if (p->timer_slot)
        heap_remove(t, p);
    if (t->count == t->capacity) {
        uint32_t cap = t->capacity ? t->capacity * 2 : 64;
        proc_process **h = realloc(t->heap, cap * sizeof *h);
        if (!h) {
            pthread_mutex_unlock(&t->lock);
            return false;
        }
        t->heap = h;
        t->capacity = cap;
    }
    p->timer_deadline = deadline;
    t->heap[t->count++] = p;
    heap_up(t, t->count - 1);
    bool earliest = t->heap[0] == p;
    pthread_mutex_unlock(&t->lock);
    if (earliest)
        pthread_cond_signal(&t->changed);
    return true;
}

void proc_timer_cancel(proc_timers *t, proc_process *p)
{
    /* Every process end cancels: most never armed a timer, and the lock
     * (one for the whole VM) would be two locked instructions and a line
     * shared by every worker. Never armed, it cannot be in the heap. */
    if (!p->timer_used)
        return;
    pthread_mutex_lock(&t->lock);
    if (p->timer_slot)
        heap_remove(t, p);
    pthread_mutex_unlock(&t->lock);
}

uint32_t proc_timers_armed(proc_timers *t)
{
    pthread_mutex_lock(&t->lock);
    uint32_t n = t->count;
    pthread_mutex_unlock(&t->lock);
    return n;
}

static void *timer_thread(void *arg)
{
    proc_timers *t = arg;
    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        if (t->count == 0) {
            pthread_cond_wait(&t->changed, &t->lock);
            continue;
        }
        uint64_t now = proc_now_ns();
        proc_process *first = t->heap[0];
        if (first->timer_deadline <= now) {
            heap_remove(t, first);
            /* Under the lock, so a concurrent proc_timer_cancel (process
             * ending) waits until this wake is done. */
            proc_sched_wake(first);
            continue;
        }
        struct timespec ts = {.tv_sec = (time_t)(first->timer_deadline / 1000000000u),
                              .tv_nsec = (long)(first->timer_deadline % 1000000000u)};
        pthread_cond_timedwait(&t->changed, &t->lock, &ts);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

bool proc_timers_start(proc_timers *t)
{
    *t = (proc_timers){0};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->changed, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&t->thread, NULL, timer_thread, t) != 0)
        return false;
    t->started = true;
    return true;
}

void proc_timers_stop(proc_timers *t)
{
    if (t->started) {
        pthread_mutex_lock(&t->lock);
        t->stopping = true;
        pthread_mutex_unlock(&t->lock);
        pthread_cond_signal(&t->changed);
        pthread_join(t->thread, NULL);
    }
    free(t->heap);
    t->heap = NULL;
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->changed);
}
