/*
 * proc/channel.h - channels: a pair of endpoint objects. Whoever holds an
 * endpoint sends into the other end's queue and receives from its own.
 *
 * One allocation holds the whole channel: both endpoints and both queues.
 *
 *        endpoint 0  --send-->  queues[1]  --receive-->  endpoint 1
 *        endpoint 0  <--receive--  queues[0]  <--send--  endpoint 1
 *
 * Invariants
 *   - queues[s] is the incoming queue of endpoints[s].
 *   - Each endpoint is a kernel object with its own refcount; the channel
 *     block lives until both endpoints are destroyed (`live_endpoints`).
 *   - When endpoint s is destroyed (its last handle closed, or the last
 *     message carrying it freed): queues[s] closes (its messages are freed,
 *     sends from the peer fail with ISOLA_EPEER), and queues[1-s] is marked
 *     senders-gone (the peer drains what is left, then gets ISOLA_ECLOSED).
 *   - No endpoint is reachable from itself through queued messages: a
 *     message queued in queues[s] never carries endpoints[s], nor an
 *     endpoint whose queue holds (directly or through further endpoints'
 *     queues) a message carrying endpoints[s]. Such a cycle would keep
 *     itself alive with no handle left to receive it, a leak refcounting
 *     cannot see. proc_endpoint_send refuses it (ISOLA_ELOOP).
 *
 * A process's mailbox is an ordinary channel: the process keeps the
 * RECEIVE end and hands out SEND-only duplicates of the other end.
 */
#ifndef ISOLA_PROC_CHANNEL_H
#define ISOLA_PROC_CHANNEL_H

#include <stdatomic.h>
#include <stdint.h>

#include "proc/limits.h"
#include "proc/object.h"
#include "proc/queue.h"

typedef struct proc_channel proc_channel;

typedef struct proc_endpoint {
    proc_object header;      /* type PROC_OBJ_ENDPOINT */
    proc_channel *channel;
    uint32_t side;           /* 0 or 1 */
} proc_endpoint;

struct proc_channel {
    atomic_uint live_endpoints;
    bool one_way;            /* queues[1] is never used (proc_channel_create_one_way) */
    proc_endpoint endpoints[2];
    proc_queue queues[2];
    /* Counted in its creator's quota while it lives; nothing counts a
     * mailbox (its process bounds it) or a channel of the host's. Last:
     * the lines above are what a send reads. */
    proc_quota_charge charge;
};

#if UINTPTR_MAX == UINT64_MAX
/* Every process has one (its mailbox), allocated line-aligned (channel.c):
 * past 256 bytes it would take a fifth line. */
_Static_assert(sizeof(proc_channel) <= 256, "a channel block is at most four cache lines");
#endif

/* A new channel. Endpoint 0's incoming queue is bounded by `limits0`,
 * endpoint 1's by `limits1`. It is counted in the quota of `maker` (NULL:
 * nowhere) until it is gone (proc_quota_charge_object). The caller gets
 * one reference to each endpoint. PROC_OK, ISOLA_ELIMIT (the maker has
 * as many objects alive as its handle limit) or ISOLA_ENOMEM. */
int32_t proc_channel_create(proc_queue_limits limits0, proc_queue_limits limits1, proc_quota *quota,
                            proc_object *maker, proc_endpoint **end0, proc_endpoint **end1);

/* A channel whose endpoint 0 only receives and endpoint 1 only sends (a
 * process's mailbox: no handle names either end, their owner uses them so),
 * so queues[1] stays empty with nobody parked on it: it is closed from
 * the start, and destroying an endpoint skips its lock (two locked
 * instructions per process end). */
int32_t proc_channel_create_one_way(proc_queue_limits limits, proc_endpoint **receiver,
                                    proc_endpoint **sender);

/* The other end (for identity checks only: it may already be destroyed). */
const proc_object *proc_endpoint_peer(const proc_endpoint *endpoint);

/* Asks for the cache lines a send through `endpoint` will write (the
 * destination queue), so that with many processes the miss overlaps the
 * building of the message instead of stalling the push. */
void proc_endpoint_prefetch_send(const proc_endpoint *endpoint);

/* Sends into the peer's queue: see proc_queue_push. ISOLA_ELOOP (the caller
 * keeps the message) when it carries an endpoint that would then reach
 * itself (see the invariants), or when checking that would visit more than
 * CHANNEL_SEARCH_MAX endpoints or walk more than CHANNEL_SEARCH_STEPS
 * queued messages (channel.c): moving an endpoint that holds endpoints
 * which hold endpoints... costs a search of what it holds. */
int32_t proc_endpoint_send(proc_endpoint *endpoint, proc_message *message, proc_waiter *wait_if_full);

/* The endpoints visited and messages walked by this thread's cycle searches
 * since the last call (then 0 again): the guest API charges them to the
 * sender in fuel, a unit each. */
uint32_t proc_channel_take_search_work(void);

/* Takes the receiver parked on the peer's queue for a hand-off: see
 * proc_queue_take_receiver. A handed-off message may carry endpoints with
 * no cycle check: it goes into the receiver's handle table, never into a
 * queue, so it adds no edge a cycle could be made of. */
static inline proc_waiter *proc_endpoint_take_receiver(proc_endpoint *endpoint, uint64_t tag, uint32_t size,
                                                       uint32_t handle_count)
{
    return proc_queue_take_receiver(&endpoint->channel->queues[1 - endpoint->side], tag, size, handle_count);
}

/* Sends a system notice into the peer's queue: see proc_queue_push_notice. */
int32_t proc_endpoint_send_notice(proc_endpoint *endpoint, proc_message *message);

/* Receives from this endpoint's queue: see proc_queue_pop. */
static inline int32_t proc_endpoint_receive(proc_endpoint *endpoint, proc_filter filter, uint32_t max_handles,
                                            proc_waiter *wait_if_empty, proc_message **out, proc_pop_info *info)
{
    return proc_queue_pop(&endpoint->channel->queues[endpoint->side], filter, max_handles, wait_if_empty,
                          out, info);
}

/* Unparks `waiter` from whichever of this endpoint's two queues it waits on. */
bool proc_endpoint_cancel_wait(proc_endpoint *endpoint, proc_waiter *waiter);

/* The queue a send through this endpoint goes to (the peer's incoming one). */
static inline proc_queue *proc_endpoint_send_queue(proc_endpoint *endpoint)
{
    return &endpoint->channel->queues[1 - endpoint->side];
}

/* This endpoint's incoming queue (for limits and usage queries). */
proc_queue *proc_endpoint_queue(proc_endpoint *endpoint);

static inline proc_object *proc_endpoint_object(proc_endpoint *endpoint)
{
    return &endpoint->header;
}

#endif
