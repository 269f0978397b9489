/*
 * proc/sched.c - worker threads, their run queues and work stealing, and
 * one fuel slice of a process. See sched.h for the queue design, the
 * fairness bound and the park/wake race.
 *
 * Why a hot LIFO beside the fifo: a message round trip or a spawn makes
 * exactly one process runnable, from the thread that will be free to run it
 * next. Running it there, newest first, costs no lock but this worker's own
 * (never contended unless someone steals), no cross-thread wake-up and no
 * cache transfer; and spawn trees (skynet) run depth first, so a million
 * leaves never exist at once. The fair take (the oldest process, every
 * SCHED_FAIR_PERIOD takes but at most once a millisecond) bounds how long
 * LIFO order can pass anyone over.
 * Why `next` beside the hot stack: in a round trip the woken process is the
 * only one, and the waker parks right after; a slot only this worker fills
 * saves the lock and the list of a push and a take per message, at the
 * price of one exchange (a thief may take it).
 */
#include "proc/process.h"

#include <assert.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "proc/link.h"
#include "proc/reuse.h"
#include "proc/sched.h"
#include "proc/vm.h"
#include "util/spinlock.h"

/* The longest slice, whatever the process was granted: a kill, which takes
 * effect between slices, and the processes waiting on this worker never
 * wait more than this much fuel (some milliseconds of a tight loop). */
#define SCHED_SLICE_MAX (UINT64_C(1) << 22)

#define SCHED_FAIR_PERIOD 32u
/* ... and at most one fair take per this much time on the worker's clock:
 * with tiny slices (a spawn tree's leaves run for a microsecond) a fair
 * take every 32 starts a new subtree every few dozen microseconds, the
 * tree is walked breadth first and its unstarted branches pile up. */
#ifndef SCHED_FAIR_INTERVAL_NS
#define SCHED_FAIR_INTERVAL_NS 1000000u
#endif
#define SCHED_SPIN_ROUNDS 200u
/* A slice on a blocking thread: the call that waited for the disk runs
 * again, then this much more of the guest, then it is back on a worker
 * (blocking threads may outnumber the cores; guest code should not). */
#define SCHED_BLOCKING_SLICE 10000u

typedef struct sched_list {
    proc_process *head, *tail;   /* head: oldest */
} sched_list;

struct sched_worker {
    util_spinlock lock;          /* guards hot, fifo and clock: a few pointer updates */
    uint64_t clock;              /* stamps what is queued here, for the fair take */
    sched_list hot;              /* doubly linked (run_prev/run_next); pops at the tail */
    sched_list fifo;             /* pops at the head */
    atomic_uint queued;          /* hot + fifo, read without the lock */
    _Atomic(proc_process *) next; /* woken by the running process: runs right after it (see proc_sched_wake) */
    proc_sched *sched;
    pthread_t thread;
    uint32_t index;
    uint32_t takes;              /* worker-local: counts toward the fair take */
    uint64_t fair_at;            /* worker-local: proc_now_ns() of the last fair take */
    const proc_process *running; /* worker-local: whose slice runs (compared only) */
    proc_process **hot_seen;     /* worker-local, one per victim: the lone hot process seen there */
    struct sched_blocking *pool; /* a blocking thread's pool; NULL for a worker */
    proc_local local __attribute__((aligned(64)));   /* worker-local: its own line(s) */
} __attribute__((aligned(64)));

static _Thread_local sched_worker *tls_worker;

/* The blocking threads (see sched.h, "Disks"): one queue, a lock and a
 * condition; a blocking thread is a sched_worker that is no one's
 * tls_worker, so what it makes runnable goes to the workers. */
typedef struct sched_blocking {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    sched_list queue;            /* run_next/run_prev, as on a worker */
    bool stopping;
    uint32_t nthreads;           /* started */
    sched_worker *threads;
} sched_blocking;

/* ---------------------------------------------------------------- lists */

static void list_append(sched_list *l, proc_process *p)
{
    p->run_next = NULL;
    p->run_prev = l->tail;
    if (l->tail)
        l->tail->run_next = p;
    else
        l->head = p;
    l->tail = p;
}

static proc_process *list_pop_head(sched_list *l)
{
    proc_process *p = l->head;
    if (!p)
        return NULL;
    l->head = p->run_next;
    if (l->head)
        l->head->run_prev = NULL;
    else
        l->tail = NULL;
    return p;
}

static proc_process *list_pop_tail(sched_list *l)
{
    proc_process *p = l->tail;
    if (!p)
        return NULL;
    l->tail = p->run_prev;
    if (l->tail)
        l->tail->run_next = NULL;
    else
        l->head = NULL;
    return p;
}

/* ---------------------------------------------------------------- queues */

static void sched_notify(proc_sched *sched)
{
    if (atomic_load(&sched->sleeping) == 0)
        return;
    pthread_mutex_lock(&sched->sleep_lock);
    pthread_cond_signal(&sched->wake);
    pthread_mutex_unlock(&sched->sleep_lock);
}

/*
 * Queues `p` on worker `w` (hot or fifo); returns how many were queued
 * before. `queued` changes only under w->lock, so a plain load and store
 * update it, except for `publish`: a thread that is not w's own worker must
 * make its increment visible before it reads `sleeping` (sched_sleep), or
 * both could miss each other and the process sit with every worker asleep.
 * w's own worker is awake and runs what it queues; at worst a sleeper it
 * did not see wakes at the next surplus push.
 */
static uint32_t worker_push(sched_worker *w, proc_process *p, bool hot, bool publish)
{
    util_spin_lock(&w->lock);
    p->run_stamp = w->clock++;
    list_append(hot ? &w->hot : &w->fifo, p);
    uint32_t before;
    if (publish) {
        before = atomic_fetch_add(&w->queued, 1);
    } else {
        before = atomic_load_explicit(&w->queued, memory_order_relaxed);
        atomic_store_explicit(&w->queued, before + 1, memory_order_relaxed);
    }
    util_spin_unlock(&w->lock);
    return before;
}

/* One fewer queued on `w` (lock held: see worker_push). */
static void worker_count_taken(sched_worker *w)
{
    atomic_store_explicit(&w->queued, atomic_load_explicit(&w->queued, memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

/* The oldest of the two lists' heads (the fair choice). Lock held. */
static proc_process *worker_pop_oldest(sched_worker *w)
{
    proc_process *h = w->hot.head, *f = w->fifo.head;
    if (h && (!f || h->run_stamp < f->run_stamp)) {
        /* hot's head has no run_prev to fix, but its next does */
        return list_pop_head(&w->hot);
    }
    return list_pop_head(&w->fifo);
}

/* Takes from `w`: newest hot, else oldest fifo; the oldest overall when `fair`. */
static proc_process *worker_take(sched_worker *w, bool fair)
{
    if (atomic_load_explicit(&w->queued, memory_order_relaxed) == 0)
        return NULL;
    util_spin_lock(&w->lock);
    proc_process *p = fair ? worker_pop_oldest(w) : list_pop_tail(&w->hot);
    if (!p)
        p = list_pop_head(&w->fifo);
    if (p)
        worker_count_taken(w);
    util_spin_unlock(&w->lock);
    return p;
}

/*
 * What a thief may take from victim `v`: the oldest on v's fifo, else the
 * oldest on its hot list. The fifo holds processes whose slice ran out (long
 * runners, and a spawner between bursts) and those queued by other threads:
 * work that is worth a move, and whose lines are no longer hot on v. A hot
 * process was just made runnable by v's running one and shares its cache;
 * stealing a stream of short ones (a spawner's children) moves each child,
 * and then its freed memory, across cores, and costs more than running them
 * all on v (spawn+exit, two workers: 990 -> 805 ns once thieves took the
 * spawner instead).
 * A lone process on v's hot list is left alone the first time the thief
 * sees it: made runnable by the one v is running (a message hand-off, a
 * spawn), it is usually taken by v itself within a microsecond, when the
 * sender parks; stealing it then only moves the process, its messages and
 * every lock they share to another core. If the same process is still
 * there one spin round later, v is busy, and it goes.
 */
static proc_process *worker_steal_from(sched_worker *v, sched_worker *thief)
{
    if (atomic_load_explicit(&v->queued, memory_order_relaxed) == 0)
        return NULL;
    util_spin_lock(&v->lock);
    proc_process *p = NULL;
    if (v->fifo.head)
        p = list_pop_head(&v->fifo);
    else if (v->hot.head != v->hot.tail ||
             (v->hot.head && atomic_load_explicit(&v->next, memory_order_relaxed)))
        p = list_pop_head(&v->hot);
    else if (v->hot.tail && v->hot.tail == thief->hot_seen[v->index])
        p = list_pop_tail(&v->hot);
    else
        thief->hot_seen[v->index] = v->hot.tail;
    if (p)
        worker_count_taken(v);
    util_spin_unlock(&v->lock);
    return p;
}

/* v's `next`, under the same rule as a lone hot process: taken only when
 * the thief saw the same one there one spin round earlier. */
static proc_process *worker_steal_next(sched_worker *v, sched_worker *thief)
{
    proc_process *p = atomic_load_explicit(&v->next, memory_order_relaxed);
    if (!p)
        return NULL;
    if (p != thief->hot_seen[v->index]) {
        thief->hot_seen[v->index] = p;
        return NULL;
    }
    return atomic_exchange_explicit(&v->next, NULL, memory_order_acquire);
}

/* Steals from another worker (see worker_steal_from). */
static proc_process *sched_steal(sched_worker *thief)
{
    proc_sched *sched = thief->sched;
    for (uint32_t i = 1; i < sched->nworkers; i++) {
        sched_worker *v = &sched->workers[(thief->index + i) % sched->nworkers];
        proc_process *p = worker_steal_from(v, thief);
        if (!p)
            p = worker_steal_next(v, thief);
        if (p)
            return p;
    }
    return NULL;
}

static bool sched_any_queued(proc_sched *sched)
{
    for (uint32_t i = 0; i < sched->nworkers; i++)
        if (atomic_load(&sched->workers[i].queued) != 0)
            return true;
    return false;
}

void proc_sched_push(proc_sched *sched, proc_process *p)
{
    sched_worker *w = tls_worker;
    if (w && w->sched == sched) {
        /* This worker runs it next; others are woken only for surplus work. */
        if (worker_push(w, p, true, false) > 0)
            sched_notify(sched);
        return;
    }
    uint32_t i = atomic_fetch_add_explicit(&sched->next_inject, 1, memory_order_relaxed) % sched->nworkers;
    worker_push(&sched->workers[i], p, false, true);
    sched_notify(sched);
}

/* always_inline, here and below: GCC 12 finds a function of nothing but
 * prefetches free of side effects and drops calls to it that it has not
 * inlined first. */
static inline __attribute__((always_inline)) void sched_prefetch_lines(uintptr_t at, unsigned lines)
{
    for (unsigned i = 0; i < lines; i++)
        __builtin_prefetch((const char *)at + i * PROC_CACHE_LINE);
}

/* Where it will probably send (process.h, proc_send_hint): what that send
 * will touch, a whole slice ahead. Nothing when that is back to `waker`,
 * whose lines are in cache already (a round trip). */
static inline __attribute__((always_inline)) void sched_prefetch_hint(const proc_send_hint *h,
                                                                      const proc_process *waker)
{
    if (!h->queue || h->process == (uintptr_t)waker)
        return;   /* it has not sent yet, or it answers its waker */
    __builtin_prefetch((const void *)h->endpoint);
    __builtin_prefetch((const void *)h->queue);
    __builtin_prefetch(&((const proc_queue *)h->queue)->head);   /* the end of its hot front */
    if (!h->process)
        return;
    sched_prefetch_lines(h->process, PROC_PROCESS_HOT_LINES);
    sched_prefetch_lines(h->exec, 2);
    __builtin_prefetch((const void *)h->results);
    __builtin_prefetch((const void *)h->buf);
    sched_prefetch_lines(h->instance, 2);   /* the struct and the first imports' functions */
    __builtin_prefetch((const void *)h->memory);
}

/* A woken process usually runs next on this thread, but with thousands of
 * processes its state is no longer in cache. Asking for the lines the
 * resume reads first now lets those misses overlap each other and the rest
 * of the waker's slice instead of stalling one after another (a ring of
 * 10,000 processes on one worker: 22% less time per hop; with the lines
 * of the hint as well, about 850 -> 300 ns in interleaved runs). */
static inline __attribute__((always_inline)) void sched_prefetch(const proc_process *p, const proc_process *waker)
{
    __builtin_prefetch(p->exec);
    __builtin_prefetch((const char *)p->exec + 64);
    __builtin_prefetch(p->instance);
    __builtin_prefetch(p->mailbox);
    /* Where it will probably send: its handles, and where its last send went. */
    __builtin_prefetch(p->handles.entries);
    sched_prefetch_hint(&p->send_hint, waker);
}

/*
 * Queues a process just woken. From a worker of its VM, the first one woken
 * during a slice goes to the worker's `next`: no lock, no list, and it runs
 * as soon as the slice ends (a message round trip is a wake and a park,
 * then a switch to the woken process). Only the worker stores into `next`,
 * and only when it is empty; it takes it back, as do thieves, with an
 * exchange. Others go on the hot stack as before.
 */
void proc_sched_push_woken(proc_sched *sched, proc_process *p)
{
    sched_worker *w = tls_worker;
    sched_prefetch(p, w ? w->running : NULL);
    if (w && w->sched == sched) {
        if (!atomic_load_explicit(&w->next, memory_order_relaxed)) {
            atomic_store_explicit(&w->next, p, memory_order_release);
            return;
        }
        worker_push(w, p, true, false);
        sched_notify(sched);   /* `next` is taken: this one is surplus */
        return;
    }
    proc_sched_push(sched, p);
}

void proc_sched_wake(proc_process *p)
{
    int s = atomic_load(&p->state);
    for (;;) {
        if (s == PROC_WAITING) {
            if (atomic_compare_exchange_weak(&p->state, &s, PROC_RUNNABLE)) {
                proc_sched_push_woken(&p->vm->sched, p);
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

/* ---------------------------------------------------------------- one slice */

/* Charges the slice's fuel; false when the process's total ran out. An
 * unlimited total is not counted, so the quota's lines stay cold. */
static bool sched_charge_fuel(proc_process *p, uint64_t slice)
{
    if (!p->fuel_limited)
        return true;
    int64_t left = isola_exec_fuel(p->exec);   /* negative: it overdrew (a debt, counted too) */
    uint64_t burnt = (uint64_t)((int64_t)slice - left);
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

/* A process that used up its slice goes behind everyone on this worker. */
static void sched_requeue(sched_worker *w, proc_process *p)
{
    atomic_store(&p->state, PROC_RUNNABLE);
    if (w->pool) {
        proc_sched_push(w->sched, p);   /* back to the workers */
        return;
    }
    if (worker_push(w, p, false, false) > 0)
        sched_notify(w->sched);
}

/* After a process's first slice that did not end it: onto the VM's list
 * (shutdown and stall reports find it, vm.h) and its parent's (link.h). */
static void sched_join_lists(proc_process *p)
{
    if (p->listed)
        return;
    proc_vm_register(p->vm, p);
    proc_child_join(p);
}

/*
 * Runs one slice of `p`, owned by this worker: RUNNABLE, or already RUNNING
 * (perhaps woken since) when a sender claimed it for a hand-off
 * (process.c, process_claim). Only this worker changes the state of a
 * RUNNABLE process, so a plain load tells the two apart; the seq_cst store
 * (or the claim's CAS) before the kill_word load is what makes a kill
 * that found it RUNNABLE visible here.
 */
static bool sched_to_blocking(proc_sched *sched, proc_process *p);

/* A process's first call: its entry, or first a WASI module's start
 * function (proc_process_instantiate left it to run here, where it may
 * park like any call). */
static isola_status sched_first_call(proc_process *p)
{
    if (!p->start_pending)
        return isola_exec_call(p->exec, p->entry, NULL, 0);
    isola_func *start = isola_instance_start(p->instance);
    if (!start)
        return ISOLA_FAILED;   /* no memory for its function object */
    return isola_exec_call(p->exec, start, NULL, 0);
}

static void sched_run_slice(sched_worker *w, proc_process *p)
{
    w->running = p;
    p->on_blocker = w->pool || p->disk_here;   /* may its WASI calls wait for a disk? */
    p->disk_here = false;
    int s = atomic_load_explicit(&p->state, memory_order_relaxed);
    if (s == PROC_RUNNABLE)
        atomic_store(&p->state, PROC_RUNNING);
    else
        assert(s == PROC_RUNNING || s == PROC_RUNNING_WOKEN);
    uint64_t kill = atomic_load(&p->kill_word);
    if (kill) {
        proc_process_end(p, proc_kill_kind(kill), proc_kill_reason(kill));
        return;
    }
    if (!p->listed && atomic_load_explicit(&p->vm->killing_all, memory_order_relaxed)) {
        proc_process_end(p, PROC_EXIT_KILLED, 0);   /* queued before the shutdown's walk saw it */
        return;
    }
    if (!p->started && proc_child_orphaned(p)) {
        proc_process_end(p, PROC_EXIT_KILLED, PROC_REASON_PARENT_ENDED);   /* see link.h */
        return;
    }
    if (!p->instance) {   /* its first slice, and the spawn left the instance to us */
        int32_t r = proc_process_instantiate(p);
        if (r == ISOLA_ESTART) {   /* a segment of a WASI module trapped: as from the entry */
            sched_end_trapped(p);
            return;
        }
        if (r != PROC_OK) {
            proc_process_end(p, PROC_EXIT_FAILED, r);
            return;
        }
    }
    uint64_t slice = p->fuel_per_slice;
    if (slice == 0 || slice > SCHED_SLICE_MAX)
        slice = SCHED_SLICE_MAX;
    if (w->pool && slice > SCHED_BLOCKING_SLICE)
        slice = SCHED_BLOCKING_SLICE;
    if (p->fuel_limited) {   /* never past the total: a slice ends where it does */
        uint64_t left = proc_quota_fuel_left(&p->quota);
        if (left == 0) {
            proc_process_end(p, PROC_EXIT_LIMIT, 0);
            return;
        }
        if (left < slice)
            slice = left;
    }
    int64_t given = (int64_t)slice;
    if (p->started) {
        /* A debt from its last slice (a host call that worked past the fuel
         * it had) is paid first: this turn is shorter, or skipped. */
        int64_t carried = isola_exec_fuel(p->exec);
        if (carried < 0 && carried + given <= 0) {
            isola_exec_set_fuel(p->exec, carried + given);
            sched_requeue(w, p);
            return;
        }
        if (carried < 0)
            given += carried;
    }
    isola_exec_set_fuel(p->exec, given);
    isola_status st;
    if (!p->started) {
        p->started = true;
        st = sched_first_call(p);
    } else {
        st = isola_exec_resume(p->exec);
    }
    if (st == ISOLA_OK && p->start_pending) {
        /* A WASI module's start function returned: its entry runs now, on
         * what is left of the slice. */
        p->start_pending = false;
        st = isola_exec_call(p->exec, p->entry, NULL, 0);
    }
    bool fuel_ok = sched_charge_fuel(p, (uint64_t)given);
    switch (st) {
    case ISOLA_OK:
        sched_end_returned(p);
        return;
    case ISOLA_TRAPPED:
        sched_end_trapped(p);
        return;
    case ISOLA_FAILED:   /* the entry call could not begin (no memory for its frames) */
        proc_process_end(p, PROC_EXIT_FAILED, ISOLA_ENOMEM);
        return;
    case ISOLA_YIELDED:
        if (!fuel_ok) {
            proc_process_end(p, PROC_EXIT_LIMIT, 0);
            return;
        }
        sched_join_lists(p);
        sched_requeue(w, p);
        return;
    case ISOLA_SUSPENDED: {
        if (!fuel_ok) {
            proc_process_end(p, PROC_EXIT_LIMIT, 0);
            return;
        }
        sched_join_lists(p);   /* before it can wait */
        if (p->disk_wait) {
            /* It waits for a disk: its next slice runs where that may
             * block (a wake meanwhile, a kill say, is seen there). */
            p->disk_wait = false;
            atomic_store(&p->state, PROC_RUNNABLE);
            if (!sched_to_blocking(w->sched, p)) {
                /* No blocking thread: it waits here, as it once did (or,
                 * killed meanwhile, it ends here). */
                p->disk_here = true;
                sched_requeue(w, p);
            }
            return;
        }
        int expected = PROC_RUNNING;
        if (atomic_compare_exchange_strong(&p->state, &expected, PROC_WAITING))
            return;   /* from here on only a wake may touch it */
        assert(expected == PROC_RUNNING_WOKEN);
        atomic_store(&p->state, PROC_RUNNABLE);
        proc_sched_push(w->sched, p);   /* woken meanwhile: like a wake, it runs next */
        return;
    }
    }
}

/* ---------------------------------------------------------------- workers */

static inline void sched_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Takes this worker's `next`. A fair take counts it as the newest hot
 * process: it goes on the hot stack and the oldest runs instead. */
static proc_process *worker_take_next(sched_worker *w, bool fair)
{
    if (!atomic_load_explicit(&w->next, memory_order_relaxed))
        return NULL;
    proc_process *p = atomic_exchange_explicit(&w->next, NULL, memory_order_acquire);
    if (p && fair) {
        worker_push(w, p, true, false);
        return NULL;
    }
    return p;
}

/* Whether this take is a fair one: every SCHED_FAIR_PERIOD-th, once
 * SCHED_FAIR_INTERVAL_NS has passed since the last (see sched.h). */
static bool sched_fair_turn(sched_worker *w)
{
    if (++w->takes % SCHED_FAIR_PERIOD != 0)
        return false;
    uint64_t now = proc_now_ns();
    if (now - w->fair_at < SCHED_FAIR_INTERVAL_NS)
        return false;
    w->fair_at = now;
    return true;
}

/* Finds work: own queue, then the others'; a short spin before giving up. */
static proc_process *sched_find(sched_worker *w)
{
    bool fair = sched_fair_turn(w);
    proc_process *p = worker_take_next(w, fair);
    if (!p)
        p = worker_take(w, fair);
    if (p)
        return p;
    for (uint32_t round = 0; round < SCHED_SPIN_ROUNDS && !atomic_load(&w->sched->stopping); round++) {
        if ((p = worker_take(w, false)) || (p = sched_steal(w)))
            return p;
        if (proc_reuse_prefault(w->sched->vm->engine))
            continue;   /* a few microseconds of a spawner's page faults, taken off its path */
        for (int i = 0; i < 32; i++)
            sched_cpu_relax();
    }
    return NULL;
}

/* The last worker is going to sleep with nothing queued (sleep_lock held):
 * a new idle epoch, and a hint to a host thread that may be waiting for a
 * deadlock (proc_vm_idle; see proc_sched_quiet). */
static void sched_all_idle(proc_sched *sched)
{
    atomic_fetch_add(&sched->idle_epoch, 1);
    proc_vm_idle(sched->vm);
}

void proc_sched_drain_locals(proc_sched *sched, struct proc_reuse *reuse)
{
    for (uint32_t i = 0; i < sched->nworkers; i++)
        proc_local_drain(&sched->workers[i].local, reuse);
}

proc_local *proc_sched_local(proc_sched *sched)
{
    sched_worker *w = tls_worker;
    return w && w->sched == sched ? &w->local : NULL;
}

/* Sleeps until work may be queued; false when the scheduler stops. */
static bool sched_sleep(sched_worker *w)
{
    proc_sched *sched = w->sched;
    proc_local_flush(&w->local, &sched->vm->reuse);   /* an idle VM holds nothing per worker */
    proc_reuse_idle(sched->vm->engine);               /* nor pages waiting to go back */
    pthread_mutex_lock(&sched->sleep_lock);
    atomic_fetch_add(&sched->sleeping, 1);
    /* Pushers queue, then read `sleeping`; we count ourselves, then read the
     * queues: one of the two sees the other (all seq_cst), so no lost wake. */
    if (!atomic_load(&sched->stopping) && !sched_any_queued(sched)) {
        if (atomic_load(&sched->sleeping) == sched->nworkers)
            sched_all_idle(sched);
        pthread_cond_wait(&sched->wake, &sched->sleep_lock);
    }
    atomic_fetch_sub(&sched->sleeping, 1);
    pthread_mutex_unlock(&sched->sleep_lock);
    return !atomic_load(&sched->stopping);
}

/* A guest's write to a pipe whose reader has gone raises SIGPIPE on the
 * writing thread, and a file grown past the host's size limit (ulimit -f)
 * SIGXFSZ; the default action of either ends the whole host process, every
 * guest with it. Blocked on every thread that runs guests, they stay
 * pending and the call fails with EPIPE or EFBIG for that guest alone,
 * whatever the embedder's handlers. */
static void sched_block_guest_signals(void)
{
    sigset_t guest_signals;
    sigemptyset(&guest_signals);
    sigaddset(&guest_signals, SIGPIPE);
    sigaddset(&guest_signals, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &guest_signals, NULL);
}

static void *sched_worker_main(void *arg)
{
    sched_worker *w = arg;
    sched_block_guest_signals();
    tls_worker = w;
    proc_local_bind(&w->local);
    while (!atomic_load(&w->sched->stopping)) {
        proc_process *p = sched_find(w);
        if (p)
            sched_run_slice(w, p);
        else if (!sched_sleep(w))
            break;
    }
    proc_local_flush(&w->local, &w->sched->vm->reuse);
    proc_local_bind(NULL);
    tls_worker = NULL;
    return NULL;
}

/* ---------------------------------------------------------------- blocking threads */

/* One process fewer queued for or on a blocking thread. The last one: the
 * workers may all be asleep, in which case none told a host that waits on
 * a deadlock that the VM went quiet (sched_sleep does, but its check saw
 * this one busy), so it is told here. */
static void sched_blocking_done(proc_sched *sched)
{
    if (atomic_fetch_sub(&sched->blocking_busy, 1) != 1)
        return;
    pthread_mutex_lock(&sched->sleep_lock);
    if (!atomic_load(&sched->stopping) && atomic_load(&sched->sleeping) == sched->nworkers &&
        !sched_any_queued(sched))
        sched_all_idle(sched);
    pthread_mutex_unlock(&sched->sleep_lock);
}

static void *sched_blocking_main(void *arg)
{
    sched_worker *w = arg;
    sched_blocking *b = w->pool;
    sched_block_guest_signals();
    pthread_mutex_lock(&b->lock);
    for (;;) {
        proc_process *p = list_pop_head(&b->queue);
        if (!p) {
            if (b->stopping)
                break;
            pthread_cond_wait(&b->wake, &b->lock);
            continue;
        }
        p->blocking_queued = false;
        pthread_mutex_unlock(&b->lock);
        sched_run_slice(w, p);
        sched_blocking_done(w->sched);   /* after the slice: what it made runnable is queued */
        pthread_mutex_lock(&b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static void sched_blocking_stop(sched_blocking *b)
{
    pthread_mutex_lock(&b->lock);
    b->stopping = true;
    pthread_cond_broadcast(&b->wake);
    pthread_mutex_unlock(&b->lock);
    for (uint32_t i = 0; i < b->nthreads; i++)
        pthread_join(b->threads[i].thread, NULL);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b->threads);
    free(b);
}

/* Makes the pool and starts its threads; NULL when not one would start. */
static sched_blocking *sched_blocking_new(proc_sched *sched)
{
    uint32_t n = sched->blocking_threads;
    sched_blocking *b = calloc(1, sizeof *b);
    sched_worker *threads = aligned_alloc(64, n * sizeof *threads);
    if (!b || !threads) {
        free(b);
        free(threads);
        return NULL;
    }
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->wake, NULL);
    b->threads = threads;
    for (uint32_t i = 0; i < n; i++) {
        threads[i] = (sched_worker){.sched = sched, .index = i, .pool = b};
        if (pthread_create(&threads[i].thread, NULL, sched_blocking_main, &threads[i]) != 0)
            break;
        b->nthreads++;
    }
    if (b->nthreads == 0) {
        sched_blocking_stop(b);
        return NULL;
    }
    return b;
}

/*
 * Queues a RUNNABLE process for a blocking thread, making the pool at the
 * first call; false when it cannot be made, or the process was killed:
 * then a worker runs it. A kill and this meet as in Dekker's algorithm:
 * the killer stores the kill word, then looks for the pool (and, under its
 * lock, for the process on the queue: proc_sched_kill_blocking); this
 * publishes the pool, then looks at the kill word under the pool's lock.
 * Every one of those accesses is seq_cst, so one side sees the other.
 */
static bool sched_to_blocking(proc_sched *sched, proc_process *p)
{
    sched_blocking *b = atomic_load(&sched->blocking);
    if (!b) {
        pthread_mutex_lock(&sched->blocking_lock);
        b = atomic_load(&sched->blocking);
        if (!b && !sched->blocking_failed) {
            b = sched_blocking_new(sched);
            sched->blocking_failed = !b;
            atomic_store(&sched->blocking, b);
        }
        pthread_mutex_unlock(&sched->blocking_lock);
        if (!b)
            return false;
    }
    pthread_mutex_lock(&b->lock);
    bool killed = atomic_load(&p->kill_word) != 0;
    if (!killed) {
        atomic_fetch_add(&sched->blocking_busy, 1);
        list_append(&b->queue, p);
        p->blocking_queued = true;
        pthread_cond_signal(&b->wake);
    }
    pthread_mutex_unlock(&b->lock);
    return !killed;
}

void proc_sched_kill_blocking(proc_sched *sched, proc_process *p)
{
    sched_blocking *b = atomic_load(&sched->blocking);   /* seq_cst: see sched_to_blocking */
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    bool queued = p->blocking_queued;
    if (queued) {
        if (p->run_prev)
            p->run_prev->run_next = p->run_next;
        else
            b->queue.head = p->run_next;
        if (p->run_next)
            p->run_next->run_prev = p->run_prev;
        else
            b->queue.tail = p->run_prev;
        p->blocking_queued = false;
    }
    pthread_mutex_unlock(&b->lock);
    if (!queued)
        return;
    proc_sched_push(sched, p);   /* RUNNABLE still: a worker runs its end */
    sched_blocking_done(sched);
}

/* ---------------------------------------------------------------- start and stop */

bool proc_sched_start(proc_sched *sched, struct proc_vm *vm, uint32_t nworkers, uint32_t nblocking)
{
    if (nworkers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nworkers = n > 0 ? (uint32_t)n : 1;
    }
    *sched = (proc_sched){.vm = vm, .blocking_threads = nblocking ? nblocking : PROC_SCHED_BLOCKING_THREADS};
    pthread_mutex_init(&sched->blocking_lock, NULL);
    pthread_mutex_init(&sched->sleep_lock, NULL);
    pthread_cond_init(&sched->wake, NULL);
    sched->workers = aligned_alloc(64, nworkers * sizeof *sched->workers);
    /* Per thief, per victim: one remembered process per victim, so that two
     * victims' lone processes cannot keep overwriting each other's mark. */
    proc_process **seen = calloc((size_t)nworkers * nworkers, sizeof *seen);
    if (!sched->workers || !seen) {
        free(sched->workers);
        free(seen);
        sched->workers = NULL;
        return false;
    }
    for (uint32_t i = 0; i < nworkers; i++) {
        sched_worker *w = &sched->workers[i];
        *w = (sched_worker){.sched = sched, .index = i, .hot_seen = seen + (size_t)i * nworkers};
        util_spin_init(&w->lock);
        proc_local_init(&w->local);
    }
    sched->nworkers = nworkers;
    for (uint32_t i = 0; i < nworkers; i++) {
        if (pthread_create(&sched->workers[i].thread, NULL, sched_worker_main, &sched->workers[i]) != 0) {
            proc_sched_stop(sched);
            return false;
        }
        sched->nstarted++;
    }
    return true;
}

void proc_sched_stop(proc_sched *sched)
{
    uint32_t n = sched->nstarted;
    pthread_mutex_lock(&sched->sleep_lock);
    atomic_store(&sched->stopping, true);
    pthread_cond_broadcast(&sched->wake);
    pthread_mutex_unlock(&sched->sleep_lock);
    for (uint32_t i = 0; i < n; i++)
        pthread_join(sched->workers[i].thread, NULL);
    sched_blocking *b = atomic_exchange(&sched->blocking, NULL);
    if (b)
        sched_blocking_stop(b);
    sched->nworkers = sched->nstarted = 0;
    if (sched->workers)
        free(sched->workers[0].hot_seen);   /* the one block of every worker's marks */
    free(sched->workers);
    sched->workers = NULL;
}

bool proc_sched_quiet(proc_sched *sched, uint64_t *epoch)
{
    pthread_mutex_lock(&sched->sleep_lock);
    bool quiet = !atomic_load(&sched->stopping) && atomic_load(&sched->sleeping) == sched->nworkers &&
                 !sched_any_queued(sched) && atomic_load(&sched->blocking_busy) == 0;
    *epoch = atomic_load(&sched->idle_epoch);
    pthread_mutex_unlock(&sched->sleep_lock);
    return quiet;
}
