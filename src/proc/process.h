/*
 * proc/process.h - a process: one instance of a module with its own linear
 * memory, globals and tables, its execution context, handle table,
 * mailbox, quota and exit reason. Also the module kernel object (a loaded
 * module plus its resolved `isola` imports) that spawn instantiates.
 *
 * Life of a process
 *   spawn -> RUNNABLE (in a run queue) -> RUNNING on a worker for one fuel
 *   slice -> back to RUNNABLE (slice used up), WAITING (a host call
 *   blocked: parked on a queue or a timer), or ended. Ending (return, trap,
 *   exit, kill, limit) happens on a worker, in proc_process_end: everything
 *   the process held is released there and then; only this small struct
 *   stays while handles to it exist (so stale handles fail cleanly).
 *
 * References to the process object: one owned by the scheduler from spawn
 * until the end, one per handle naming it, one per link that names it.
 */
#ifndef ISOLA_PROC_PROCESS_H
#define ISOLA_PROC_PROCESS_H

#include "isola/engine.h"
#include "isola/wasi.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc/channel.h"
#include "proc/handle.h"
#include "proc/limits.h"
#include "proc/object.h"
#include "proc/status.h"

typedef struct proc_vm proc_vm;
typedef struct proc_link proc_link;
typedef struct proc_process proc_process;

/* System message tags (guests use tags below 0xFFFFFFFF00000000). */
#define PROC_TAG_START 0xFFFFFFFFFFFFFF01ull  /* the spawn argument, first in every mailbox */
#define PROC_TAG_DOWN 0xFFFFFFFFFFFFFF02ull   /* a monitored process ended */
#define PROC_TAG_EXIT 0xFFFFFFFFFFFFFF03ull   /* a linked process ended (trap_exits on) */

/* How a process ended (guest ABI: part of down/exit messages). */
typedef enum proc_exit_kind {
    PROC_EXIT_NORMAL = 0,  /* the entry function returned */
    PROC_EXIT_EXIT = 1,    /* it called exit(reason) */
    PROC_EXIT_TRAP = 2,    /* it trapped */
    PROC_EXIT_KILLED = 3,  /* kill(handle, reason), or a linked process died */
    PROC_EXIT_LIMIT = 4,   /* total fuel used up */
    PROC_EXIT_FAILED = 5,  /* it could not start: reason is a status (proc_process_instantiate) */
} proc_exit_kind;

/* Payload of PROC_TAG_DOWN and PROC_TAG_EXIT messages (guest ABI). */
typedef struct proc_down_payload {
    uint64_t ref;      /* the monitor's ref, or the ended process's id for links */
    int32_t kind;      /* proc_exit_kind */
    int32_t reason;
} proc_down_payload;

#define PROC_KILL_PENDING (UINT64_C(1) << 63)

/* The kind and reason of a kill word (see proc_process.kill_word). */
static inline proc_exit_kind proc_kill_kind(uint64_t word)
{
    return (proc_exit_kind)((word >> 32) & 0xFF);
}

static inline int32_t proc_kill_reason(uint64_t word)
{
    return (int32_t)(uint32_t)word;
}

typedef enum proc_run_state {
    PROC_RUNNABLE,       /* in a run queue, or about to be */
    PROC_RUNNING,        /* on a worker, or claimed for a hand-off and about to be (process_claim) */
    PROC_RUNNING_WOKEN,  /* on a worker, and woken meanwhile: run again instead of waiting */
    PROC_WAITING,        /* blocked in a host call: in no run queue, on no thread */
    PROC_DONE,
} proc_run_state;

/* A loaded module that processes can be spawned from (PROC_OBJ_MODULE). */
typedef struct proc_module {
    proc_object header;
    proc_vm *vm;
    isola_module *module;      /* owned reference */
    isola_extern *imports;     /* the module's imports, resolved once at load */
    uint32_t nimports;
    uint32_t initial_pages;    /* memory 0's minimum, charged to the process quota */
    uint64_t initial_table_elements;   /* its tables' minimums, together (process_table_budget) */
    bool wasi;                 /* imports wasi_snapshot_preview1: each process gets a WASI context */
    /* Its instance is made inside the spawn, not by the first slice: it has
     * a start function, or segments that may not fit (exec_module_segments_fit),
     * and the spawner should see that trap (ISOLA_ESTART), as before. */
    bool instantiate_at_spawn;
    bool *owned;               /* owned[i]: imports[i] is a reference of ours (WASI functions) */
} proc_module;

/* What a sender tells the receive it completes: the message's tag, full
 * size and handle count. Passed by value (in registers): the receiver's
 * complete() reads it right after the sender made it, and through memory
 * the read of size and handle_count as one word could not be forwarded
 * from the two stores that wrote them, a stall of about 5% of a round
 * trip. */
typedef struct proc_recv_msg {
    uint64_t tag;
    uint32_t size;
    uint32_t handle_count;
} proc_recv_msg;

/*
 * A receive that may be completed by its sender (a hand-off, see
 * proc_queue_take_receiver). The guest API fills it in just before it
 * parks the process as a receiver; a sender that took the process (which
 * was WAITING, so nothing else touches it) copies the message's bytes and
 * handles to where it says and calls `complete` with the rest, which
 * finishes the receive call as the guest API would have (results, info,
 * timer, parking) and marks the host call done (isola_exec_host_complete):
 * the process resumes after it. Only the guest receive parks `waiter` as a
 * receiver, so a parked receiver always has this filled in.
 */
typedef struct proc_recv_slot {
    uint8_t *buf;              /* the receiver's buffer (in its linear memory) */
    uint32_t max;              /* its size: longer messages are cut there */
    uint8_t *handles_out;      /* where installed handle values go (int32, unaligned) */
    uint8_t *info;             /* the guest's message info, or NULL */
    uint64_t *results;         /* the blocked host call's result slots */
    const void *memory;        /* the receiver's memory object: only prefetched (proc_send_hint) */
    void (*complete)(proc_process *process, proc_recv_msg msg);
} proc_recv_slot;

/*
 * Where a process's last send went, to be prefetched the next time it is
 * woken (sched.c): processes in a ring or a round trip send where they sent
 * before, and with thousands of them the receiver's lines are cold by then.
 * Asked for a slice ahead of the send, the misses overlap one another and
 * the sender's run instead of stalling the hand-off one after another.
 * Addresses only, never followed: any of them may be freed by then, and a
 * prefetch of a stale address is harmless where a load would not be.
 */
typedef struct proc_send_hint {
    uintptr_t endpoint;        /* the endpoint sent through */
    uintptr_t queue;           /* the queue sent into */
    /* The rest only after a hand-off (else 0): the receiver, and what
     * completing its receive and then resuming it touch. */
    uintptr_t process;
    uintptr_t exec;            /* its context's head */
    uintptr_t results;         /* the blocked receive's result slots */
    uintptr_t buf;             /* its receive buffer (linear memory; its info is usually beside it) */
    uintptr_t instance;        /* the instance block (its function table follows it) */
    uintptr_t memory;          /* the memory object the interpreter reloads from */
} proc_send_hint;

typedef struct proc_process {
    /*
     * What a message hand-off, a wake, a slice and a send touch: the first
     * five cache lines, packed (process_alloc allocates the struct
     * line-aligned; a static assert below keeps the layout). With
     * thousands of processes each one is cold when a message reaches it (a
     * ring touches every process once a lap), so every line more here is a
     * cache miss more per hop.
     */
    /* line 0: what a send to it and a wake read first */
    proc_object header;        /* PROC_OBJ_PROCESS */
    proc_vm *vm;
    isola_instance *instance;  /* held while alive, like exec and mailbox (see below) */
    isola_exec *exec;
    _Atomic int state;         /* proc_run_state (sched.c) */
    atomic_int pending_wakes;  /* parks not yet matched by a wake or a cancel */
    /* 0, or the first kill: PROC_KILL_PENDING | kind << 32 | (uint32_t)reason,
     * one word so that a later kill cannot mix its kind or reason into the
     * first one's (proc_process_kill; every slice reads it). */
    _Atomic uint64_t kill_word;
    proc_endpoint *mailbox_send;   /* held until the struct is freed: sends to an ended process fail with EPEER */
    /* line 1: parking */
    proc_waiter waiter;
    proc_endpoint *parked_on;  /* endpoint whose queue the waiter may be parked in */
    proc_endpoint *mailbox;    /* receive end of the mailbox channel */
    /* line 2: the parked receive and the current blocking call */
    proc_recv_slot recv;       /* a parked receive a sender may complete */
    uint64_t op_deadline;      /* of the blocking call in progress: CLOCK_MONOTONIC ns; UINT64_MAX: none */
    /* line 3: its own handles (a send looks one up), and what every slice reads */
    proc_handle_table handles;
    uint64_t fuel_per_slice;   /* quota.limits.fuel_per_slice */
    bool op_active;            /* a blocking host call in progress (receive with timeout, sleep) */
    bool started;
    bool listed;               /* on the VM's list: its worker's to change (vm.h) */
    bool fuel_limited;         /* quota.limits.fuel_total is finite: slices are charged to quota */
    uint32_t timer_slot;       /* index+1 in the timer heap, 0 when not armed (timer lock) */
    uint64_t id;
    /* line 4: read when it is woken */
    proc_send_hint send_hint;

    uint64_t timer_deadline;
    bool timer_used;           /* it has armed a timer (its own thread: proc_timer_arm) */
    bool start_pending;        /* a WASI module's start function is its first call (sched.c) */

    /* Held while alive; released by proc_process_end. */
    isola_func *entry;         /* borrowed from instance, once there is one */
    uint32_t entry_index;      /* the entry's function index (checked at spawn) */
    proc_module *module;       /* referenced: its host functions, which the instance borrows */
    proc_quota quota;          /* its limits are what the spawn granted */
    proc_quota *parent_quota;  /* where what it was granted (quota.limits) goes back to */
    proc_object *parent_ref;   /* keeps parent_quota alive; NULL for host-spawned, and
                                  once it has ended owing its parent nothing */
    uint64_t parent_id;        /* the parent's id (detach): parent_ref may be gone, and its
                                  address reused; 0 for host-spawned */
    bool exec_cached;          /* exec came from vm->reuse (process stack config) */
    bool blocking_queued;      /* on the blocking threads' queue (their lock) */
    isola_wasi *wasi;          /* its WASI context (PARK mode) if the module imports WASI */
    bool io_parked;            /* a WASI call registered a wait (worker-local) */
    bool disk_wait;            /* a WASI call parked for the disk: its next slice runs on a
                                  blocking thread (sched.h), where on_blocker is set */
    bool on_blocker;           /* its current slice runs there: WASI calls may wait for the disk */
    bool disk_here;            /* no blocking thread could be made: its next slice may wait here */
    uint32_t io_slot;          /* index+1 of its registration in vm->io, 0: none (io lock) */

    /* Scheduling (sched.c; state and waiter are above). */
    struct proc_process *run_next, *run_prev;   /* in a worker's run queue */
    uint64_t run_stamp;        /* when it was queued (its worker's clock), for the fair take */
    struct proc_process *all_prev, *all_next;   /* the VM's list (all_lock); `listed` is above */

    /* Ending (the kill word is above: every slice reads it). */
    bool exit_requested;       /* set by the exit host call, which then traps */
    int32_t exit_reason;
    atomic_bool done;
    atomic_uint host_watchers; /* host threads in isola_vm_wait for it */
    int32_t end_kind;          /* proc_exit_kind, valid once done */
    int32_t end_reason;

    /* Links and monitors (link.c), under link_lock. */
    util_spinlock link_lock;
    atomic_bool links_closed;  /* ended: no new links, monitors or children (set under link_lock) */
    bool trap_exits;
    /* Its place among its parent's children (see Children below), here to
     * fill the hole before the pointers. */
    bool child_listed;         /* in the parent's list (parent's link_lock) */
    atomic_bool child_detached; /* detach()ed: never to be listed (written under the parent's link_lock) */
    bool child_joined;         /* tried to join the parent's list: its own worker's (link.c) */
    proc_link *links;          /* this process's links (an entry per peer) */
    proc_link *monitors;       /* monitors others hold on it: apart, so that a link's
                                  search (link_find) never walks them */
    uint32_t monitor_count;    /* entries on `monitors` */
    uint32_t monitor_sweep_at; /* the count that makes the next insert sweep (link.c) */
    /* Monitors and links this process made that still sit on a list: at
     * most its handle-count limit (link.c), so a loop of monitor() cannot
     * grow memory without end. */
    atomic_uint watching;

    /* Children (link.c): the live children a guest spawned and did not
     * detach, so that its end ends them. Under the PARENT's link_lock. */
    struct proc_process *children;                      /* our list's head */
    struct proc_process *sibling_prev, *sibling_next;   /* in the parent's list */
} proc_process;

#define PROC_CACHE_LINE 64
#define PROC_PROCESS_HOT_LINES 5
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(offsetof(proc_process, mailbox_send) < PROC_CACHE_LINE &&
                   offsetof(proc_process, waiter) == PROC_CACHE_LINE &&
                   offsetof(proc_process, send_hint) == 4 * PROC_CACHE_LINE &&
                   sizeof(proc_send_hint) == PROC_CACHE_LINE,
               "the hot front of a process is PROC_PROCESS_HOT_LINES cache lines");
/* Every idle process costs its block: a field more past ten lines costs a
 * line each (fill a hole instead). */
_Static_assert(sizeof(proc_process) <= 10 * PROC_CACHE_LINE, "a process block is at most ten cache lines");
#endif

static inline proc_process *proc_process_from_object(proc_object *object)
{
    return (proc_process *)object;
}

/* Loads `module` for spawning: resolves its imports against the `isola`
 * API. On failure returns NULL with err set (an unknown import is a LINK error). */
proc_module *proc_module_new(proc_vm *vm, isola_module *module, isola_error *err);

/* What a spawn needs from its spawner. `table` is the spawner's handle table
 * (handles to pass are taken from it), quota its quota and parent_ref an
 * object keeping that quota alive (NULL for the host). */
typedef struct proc_spawner {
    proc_handle_table *table;
    proc_quota *quota;
    proc_object *parent_ref;
    isola_wasi *wasi;          /* the child's WASI context: moves to it (released on failure);
                                  NULL for a WASI module: an empty one (no files, no stdio) */
    uint64_t start_fuel;       /* out: the fuel the module's start function burnt inside the
                                  spawn, on the spawner's thread: the spawner's to pay (its
                                  slice ran it), not the child's */
} proc_spawner;

/* Spawns a process of `module` running export `name` (no parameters). The
 * argument bytes and handles become its first mailbox message (tag
 * PROC_TAG_START); the handles move out of the spawner's table only on
 * success. On PROC_OK *out is a new reference to the process (for the
 * caller's handle) and the process is runnable.
 * What a spawn can check it checks here (the entry, the limits, memory 0
 * against the memory limit); the instance itself is made by the worker
 * that first runs the process (proc_process_instantiate), unless
 * module->instantiate_at_spawn. */
int32_t proc_spawn(proc_vm *vm, proc_spawner *spawner, proc_module *module, const char *name,
                   uint32_t name_len, const void *arg, uint32_t arg_len, const int32_t *handles,
                   uint32_t handle_count, const proc_limits *requested, proc_process **out,
                   isola_error *err);

/* Makes the instance and context of a process spawned without them, on
 * the worker about to run its first slice: there its memory and context
 * are made in the cache that will use them, and a spawner's children
 * that another worker takes are built by that worker, not by the
 * spawner. No start function runs here: a WASI module's is the process's
 * first call (sched.c), any other's ran at the spawn. PROC_OK;
 * ISOLA_ESTART: a WASI module's segment trapped; else the status the
 * process then fails with (PROC_EXIT_FAILED). */
int32_t proc_process_instantiate(proc_process *process);

/* Asks `process` to end with (kind, reason); it ends on its worker soon
 * (at the latest after its current fuel slice). Ignored if already ended. */
void proc_process_kill(proc_process *process, proc_exit_kind kind, int32_t reason);

/* Ends the process now: called by the worker running it. Releases the
 * instance, memory, handles, mailbox and timers, returns its quota, and
 * notifies links, monitors and the host. Drops the scheduler's reference. */
void proc_process_end(proc_process *process, proc_exit_kind kind, int32_t reason);

/* Parking on a queue: proc_process_park_begin cancels any earlier park.
 * A new one is counted (proc_process_park_count) before the push/pop that
 * may park the waiter, then recorded when that returned EFULL/EAGAIN with
 * the waiter (proc_process_parked), or uncounted when it did not park it
 * (proc_process_park_uncount). */
/* Inline (every message passes here a few times), but for the cancel. */
void proc_process_park_cancel(proc_process *process);

static inline void proc_process_park_begin(proc_process *process)
{
    if (process->parked_on)
        proc_process_park_cancel(process);
}

/*
 * pending_wakes counts a park before any queue can see the waiter, so it
 * never goes below zero: zero means every earlier park has been matched
 * and its wake has finished (a wake's decrement is its last touch). Then
 * nothing else can change the count until this park is visible, and a
 * plain store does what a locked add would (one less per receive that
 * waits, about 6% of a round trip). The queue's lock orders the store
 * before any wake of this park.
 */
static inline void proc_process_park_count(proc_process *process)
{
    assert(!process->parked_on);
    if (atomic_load_explicit(&process->pending_wakes, memory_order_acquire) == 0)
        atomic_store_explicit(&process->pending_wakes, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&process->pending_wakes, 1, memory_order_relaxed);
}

void proc_process_park_uncount(proc_process *process);

static inline void proc_process_parked(proc_process *process, proc_endpoint *endpoint)
{
    assert(!process->parked_on);
    /* The park was counted (proc_process_park_count) before the waiter was
     * visible, and a wake on another thread may have matched it since: the
     * count may already be back to zero here. */
    /* The mailbox lives as long as the process (it is released after the
     * last park_begin, in proc_process_end): no reference needed for it. */
    if (endpoint != process->mailbox)
        proc_object_retain(proc_endpoint_object(endpoint));
    process->parked_on = endpoint;
}

/* The process whose waiter `waiter` is. */
static inline proc_process *proc_process_from_waiter(proc_waiter *waiter)
{
    return (proc_process *)((char *)waiter - offsetof(proc_process, waiter));
}

/* A sender took this process (parked in receive) off a queue and put the
 * message's bytes and handles where its `recv` slot says: completes the
 * receive with `msg` and makes the process runnable, which is the wake its
 * parking was owed. The caller must not touch it afterwards. */
void proc_process_handoff_done(proc_process *process, proc_recv_msg msg);

/* The process's mailbox queue limits. */
proc_queue_limits proc_process_queue_limits(const proc_process *process);

uint64_t proc_now_ns(void);

#endif
