/*
 * proc/queue.h - a bounded, locked queue of messages with at most one parked
 * receiver and a list of parked senders. One queue is the incoming side of
 * one channel endpoint (channel.h); this file knows nothing of handles.
 *
 * Invariants (under `lock`)
 *   - head..tail is a singly linked FIFO of `count` messages holding `bytes`
 *     payload bytes. Ordinary pushes keep count <= limits.max_count and
 *     bytes <= limits.max_bytes; system notices (proc_queue_push_notice) may
 *     go beyond, at most one per monitor or link entry, so the excess is
 *     bounded by what the receiver itself set up.
 *   - Once `closed` (the receiving endpoint is gone) the queue is empty and
 *     stays empty: every push fails with ISOLA_EPEER.
 *   - Once `senders_gone` no push can arrive any more: a pop that finds no
 *     matching message reports ISOLA_ECLOSED instead of waiting.
 *   - `receiver` is NULL or the one parked receiver; it is parked only while
 *     no queued message matches its filter. A message taken by a hand-off
 *     (proc_queue_take_receiver) never enters the queue, so it cannot pass
 *     a queued message that the receiver would have taken first.
 *   - A waiter is on at most one queue at a time, and the queue owns its
 *     `next` link while it is parked.
 *
 * Waking: the scheduler embeds a proc_waiter in its process and sets `wake`.
 * A queue calls wake at most once per parking, always after dropping its
 * lock (so wake may take scheduler locks or even touch this queue again),
 * and never touches the waiter after calling wake. A receiver taken for a
 * hand-off (proc_queue_take_receiver) is not woken by the queue: it leaves
 * unparked, and the taker owes it what the wake would have done. A woken process retries
 * its operation; a wake is a hint, not a promise (another receiver or
 * sender may have got there first), so the retry may park again.
 * Senders parked on a full queue are all woken by each pop: simple and never
 * loses a wakeup (a sender that was woken and then killed cannot strand the
 * others); fairness among many blocked senders is a later refinement.
 */
#ifndef ISOLA_PROC_QUEUE_H
#define ISOLA_PROC_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/spinlock.h"
#include "proc/message.h"

/* Which messages a receive accepts: any, or only those with `tag`. Others
 * stay in the queue, in order. A message with more handles than the
 * receive takes stays queued too, unless `close_extra`: then it is taken
 * and the handles past what fits are closed (proc_ipc_receive_on), so a
 * sender cannot wedge a receiver with a message it can never take. */
typedef struct proc_filter {
    bool any;
    bool close_extra;
    uint64_t tag;
} proc_filter;

static inline proc_filter proc_filter_any(void)
{
    return (proc_filter){.any = true, .close_extra = false, .tag = 0};
}

static inline proc_filter proc_filter_tag(uint64_t tag)
{
    return (proc_filter){.any = false, .close_extra = false, .tag = tag};
}

static inline bool proc_filter_matches(proc_filter filter, const proc_message *message)
{
    return filter.any || filter.tag == message->tag;
}

typedef struct proc_waiter proc_waiter;
typedef void (*proc_wake_fn)(proc_waiter *waiter);

struct proc_waiter {
    proc_wake_fn wake;       /* set by the scheduler */
    proc_waiter *next;       /* queue-owned while parked as a sender */
    proc_filter filter;      /* a parked receiver's filter (set by proc_queue_pop) */
    uint32_t max_handles;    /* ... and how many handles it takes (set by proc_queue_pop) */
    /* NULL, or: try to take this parked receiver for a hand-off (see
     * proc_queue_take_receiver). Called under the queue lock; must not block
     * or take a queue lock. True: the caller now owns the receiver. */
    bool (*claim)(proc_waiter *waiter);
};

typedef struct proc_queue_limits {
    uint32_t max_count;      /* >= 1 */
    uint64_t max_bytes;
} proc_queue_limits;

typedef struct proc_queue {
    /* What a hand-off (proc_queue_take_receiver) and a receive read, in
     * the first 56 bytes: in a mailbox these share one cache line with the
     * send endpoint's side (channel.h), and with thousands of processes
     * every line a send touches is a miss. */
    util_spinlock lock;
    uint32_t count;
    proc_waiter *receiver;
    uint64_t bytes;
    proc_queue_limits limits;
    bool closed;
    bool senders_gone;
    uint32_t handles;        /* carried by the queued messages: at most limits.max_count */
    proc_message *head;
    /* The rest. */
    proc_message *tail;
    proc_waiter *senders_head;
    proc_waiter *senders_tail;
} proc_queue;

void proc_queue_init(proc_queue *queue, proc_queue_limits limits);

/* Frees every message still queued. No other thread may use the queue. */
void proc_queue_fini(proc_queue *queue);

/* Appends `message`. PROC_OK: the queue owns it now (a parked receiver whose
 * filter matches is woken). Otherwise the caller still owns it:
 * ISOLA_EPEER (closed), ISOLA_ETOOBIG (bigger than max_bytes, can never fit),
 * ISOLA_EFULL (if `wait_if_full` is non-NULL it is parked and will be woken
 * when a message leaves the queue or the queue closes). */
int32_t proc_queue_push(proc_queue *queue, proc_message *message, proc_waiter *wait_if_full);

/* The same for a queue no other thread can reach yet (a new process's
 * mailbox, for its start message): no lock, and nobody parked to wake. */
int32_t proc_queue_push_unshared(proc_queue *queue, proc_message *message);

/* Appends a system notice (a DOWN or EXIT message) regardless of the count
 * and byte limits: a supervisor must learn of every end even when its
 * mailbox is busy. PROC_OK, or ISOLA_EPEER (closed; the caller keeps it). */
int32_t proc_queue_push_notice(proc_queue *queue, proc_message *message);

/* What a pop says besides its status. */
typedef struct proc_pop_info {
    uint32_t needed_handles; /* ISOLA_ELIMIT: how many handles the first match carries */
    uint32_t skipped;        /* messages it passed over (the filter did not match): its
                                work, which a guest pays for in fuel */
} proc_pop_info;

/* Removes the first message matching `filter` and carrying at most
 * `max_handles` handles. PROC_OK: *out is the caller's.
 * ISOLA_ELIMIT: the first match carries more handles than max_handles; it
 *   stays queued and info->needed_handles says how many it needs.
 * ISOLA_ECLOSED: no match and no sender left.
 * ISOLA_EAGAIN: no match yet; if `wait_if_empty` is non-NULL it is parked
 *   with `filter` and `max_handles` and will be woken by a matching push or by closure.
 * ISOLA_EBUSY: no match and another receiver is already parked. */
int32_t proc_queue_pop(proc_queue *queue, proc_filter filter, uint32_t max_handles,
                       proc_waiter *wait_if_empty, proc_message **out, proc_pop_info *info);

/*
 * Hand-off: a send that finds a receiver parked on this queue may deliver
 * straight into it instead of queuing (one copy, no block). Takes the parked
 * receiver when the queue would accept a `size`-byte message now (open,
 * below both limits), the receiver's filter matches `tag`, it takes at least
 * `handle_count` handles, and its claim() succeeds. Returns it unparked: the
 * caller delivers the message and then owes it the wake (whatever the
 * claim's owner defines as such); nothing was queued and nothing else
 * changed. NULL: nothing was taken; push as usual.
 */
proc_waiter *proc_queue_take_receiver(proc_queue *queue, uint64_t tag, uint32_t size, uint32_t handle_count);

/* The receiving side is gone: refuse further pushes, free what is queued
 * (outside the lock) and wake everyone parked so they see ISOLA_EPEER. */
void proc_queue_close(proc_queue *queue);

/* No sender can push any more: wake a parked receiver so it sees ISOLA_ECLOSED. */
void proc_queue_mark_senders_gone(proc_queue *queue);

/* Unparks `waiter` (receive timeout, process killed). True if it was still
 * parked here; false if it was not (perhaps because a wake is on its way,
 * which the scheduler must then ignore). */
bool proc_queue_cancel_wait(proc_queue *queue, proc_waiter *waiter);

/* Calls `visit(object, context)` for every object carried by a queued
 * message, under the queue lock (so each object is alive during its call;
 * `visit` may retain it but must not block or touch this queue). Each
 * message walked takes one step of *budget (a queue that carries no
 * handle takes none). Stops early and returns false when `visit` returns
 * false or the budget is spent. */
bool proc_queue_visit_objects(proc_queue *queue, bool (*visit)(proc_object *object, void *context),
                              void *context, uint32_t *budget);

/* Queued message count and bytes (a snapshot). */
void proc_queue_usage(proc_queue *queue, uint32_t *count, uint64_t *bytes);

#endif
