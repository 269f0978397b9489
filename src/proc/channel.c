/*
 * proc/channel.c - channel allocation, sends that refuse endpoint cycles,
 * and the end-of-life of an endpoint.
 */
#include "proc/channel.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/refcount.h"

/* Endpoints a cycle search may visit, and queued messages it may walk,
 * before it gives up (and refuses): a nest of channels with full queues
 * would otherwise make one send walk a million messages under the lock
 * below, which every endpoint-carrying send in the VM takes. 1,024
 * messages hold it about a microsecond and a half; at 8,192 a few
 * processes refusing sends in a loop slowed others' endpoint sends a
 * hundredfold. */
#define CHANNEL_SEARCH_MAX 1024u
#define CHANNEL_SEARCH_STEPS 1024u

/* The work of this thread's searches since proc_channel_take_search_work:
 * the guest API charges it to the sender in fuel (channel.h). */
static _Thread_local uint32_t channel_search_work;

/*
 * Every edge of the "endpoint X is carried by a message queued at endpoint
 * Y" graph is added by a send that carries an endpoint, and all such sends
 * search and push under this one lock, so no concurrent send can close a
 * cycle the search did not see. Receives and closes remove edges without
 * it: at worst the search sees a path that is going away and refuses a send
 * that was about to become safe. Sends of plain bytes never take it.
 */
static pthread_mutex_t channel_transfer_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct channel_search {
    const proc_object *target;                  /* the endpoint the message is for */
    proc_endpoint *pending[CHANNEL_SEARCH_MAX]; /* retained, still to look into */
    uint32_t pending_count;
    uint32_t visited;
    bool found;                                 /* target reached, or the budget spent */
} channel_search;

static bool channel_search_visit(proc_object *object, void *context)
{
    channel_search *search = context;
    if (object->type != PROC_OBJ_ENDPOINT)
        return true;
    if (object == search->target || search->visited == CHANNEL_SEARCH_MAX) {
        search->found = true;
        return false;
    }
    proc_object_retain(object);   /* it may leave its queue once the lock drops */
    search->pending[search->pending_count++] = (proc_endpoint *)object;
    search->visited++;
    return true;
}

/* True when queuing `message` at `target` would make an endpoint it carries
 * reachable from itself: some carried endpoint's queue holds, directly or
 * through further endpoints' queues, a message carrying `target`. */
static bool channel_would_cycle(const proc_object *target, proc_message *message)
{
    channel_search search = {.target = target};
    uint32_t budget = CHANNEL_SEARCH_STEPS;
    for (uint32_t i = 0; i < message->handle_count && !search.found; i++)
        channel_search_visit(message->handles[i].object, &search);
    while (search.pending_count > 0 && !search.found) {
        proc_endpoint *endpoint = search.pending[--search.pending_count];
        if (!proc_queue_visit_objects(&endpoint->channel->queues[endpoint->side], channel_search_visit, &search,
                                      &budget))
            search.found = true;   /* the target, or the budget spent: refuse either way */
        proc_object_release(&endpoint->header);
    }
    while (search.pending_count > 0)
        proc_object_release(&search.pending[--search.pending_count]->header);
    channel_search_work += search.visited + (CHANNEL_SEARCH_STEPS - budget);
    return search.found;
}

uint32_t proc_channel_take_search_work(void)
{
    uint32_t work = channel_search_work;
    channel_search_work = 0;
    return work;
}

static bool channel_message_carries_endpoint(const proc_message *message)
{
    for (uint32_t i = 0; i < message->handle_count; i++)
        if (message->handles[i].object->type == PROC_OBJ_ENDPOINT)
            return true;
    return false;
}

static void endpoint_destroy(proc_object *object)
{
    assert(object->type == PROC_OBJ_ENDPOINT);
    proc_endpoint *endpoint = (proc_endpoint *)object;
    proc_channel *channel = endpoint->channel;
    uint32_t side = endpoint->side;
    /* A one-way channel's queues[1] is empty and unwatched: nothing to tell it. */
    assert(!channel->one_way || (!channel->queues[1].head && !channel->queues[1].receiver &&
                                 !channel->queues[1].senders_head));
    /* Closing frees queued messages, which may destroy other endpoints (even
     * the peer, if only a message in this queue held it): no lock is held here. */
    if (!channel->one_way || side == 0)
        proc_queue_close(&channel->queues[side]);
    /* Both queues must be told before the count drops: once it does, the
     * peer's destroy may free the block on another thread. */
    if (!channel->one_way || side == 1)
        proc_queue_mark_senders_gone(&channel->queues[1 - side]);
    if (util_ref_drop(&channel->live_endpoints)) {
        proc_queue_fini(&channel->queues[0]);
        proc_queue_fini(&channel->queues[1]);
        proc_quota_release_object(&channel->charge);
        free(channel);
    }
}

int32_t proc_channel_create(proc_queue_limits limits0, proc_queue_limits limits1, proc_quota *quota,
                            proc_object *maker, proc_endpoint **end0, proc_endpoint **end1)
{
    proc_quota_charge charge;
    if (proc_quota_charge_object(&charge, quota, maker) != PROC_OK)
        return ISOLA_ELIMIT;
    /* Line-aligned, so that a mailbox's send side and the hot front of its
     * queue are the two lines queue.h counts on, with any allocator. */
    proc_channel *channel = aligned_alloc(64, (sizeof *channel + 63) & ~(size_t)63);
    if (!channel) {
        proc_quota_release_object(&charge);
        return ISOLA_ENOMEM;
    }
    atomic_init(&channel->live_endpoints, 2);
    channel->one_way = false;
    channel->charge = charge;
    for (uint32_t side = 0; side < 2; side++) {
        proc_object_init(&channel->endpoints[side].header, PROC_OBJ_ENDPOINT, endpoint_destroy);
        channel->endpoints[side].channel = channel;
        channel->endpoints[side].side = side;
    }
    proc_queue_init(&channel->queues[0], limits0);
    proc_queue_init(&channel->queues[1], limits1);
    *end0 = &channel->endpoints[0];
    *end1 = &channel->endpoints[1];
    return PROC_OK;
}

int32_t proc_channel_create_one_way(proc_queue_limits limits, proc_endpoint **receiver, proc_endpoint **sender)
{
    proc_queue_limits none = {.max_count = 1, .max_bytes = 0};
    int32_t r = proc_channel_create(limits, none, NULL, NULL, receiver, sender);
    if (r != PROC_OK)
        return r;
    /* Closed from the start, as if endpoint 1 had been destroyed as a
     * receiver and endpoint 0 as a sender: a push there would fail. */
    proc_channel *channel = (*receiver)->channel;
    channel->one_way = true;
    channel->queues[1].closed = true;
    channel->queues[1].senders_gone = true;
    return PROC_OK;
}

const proc_object *proc_endpoint_peer(const proc_endpoint *endpoint)
{
    return &endpoint->channel->endpoints[1 - endpoint->side].header;
}

void proc_endpoint_prefetch_send(const proc_endpoint *endpoint)
{
    const proc_queue *queue = &endpoint->channel->queues[1 - endpoint->side];
    __builtin_prefetch(queue, 1);
    __builtin_prefetch(&queue->head, 1);   /* the end of its hot front (queue.h) */
}

int32_t proc_endpoint_send(proc_endpoint *endpoint, proc_message *message, proc_waiter *wait_if_full)
{
    uint32_t to = 1 - endpoint->side;
    proc_queue *queue = &endpoint->channel->queues[to];
    if (!channel_message_carries_endpoint(message))
        return proc_queue_push(queue, message, wait_if_full);
    pthread_mutex_lock(&channel_transfer_lock);
    int32_t status = ISOLA_ELOOP;
    if (!channel_would_cycle(&endpoint->channel->endpoints[to].header, message))
        status = proc_queue_push(queue, message, wait_if_full);
    pthread_mutex_unlock(&channel_transfer_lock);
    return status;
}

int32_t proc_endpoint_send_notice(proc_endpoint *endpoint, proc_message *message)
{
    return proc_queue_push_notice(&endpoint->channel->queues[1 - endpoint->side], message);
}

bool proc_endpoint_cancel_wait(proc_endpoint *endpoint, proc_waiter *waiter)
{
    proc_channel *channel = endpoint->channel;
    return proc_queue_cancel_wait(&channel->queues[endpoint->side], waiter) ||
           proc_queue_cancel_wait(&channel->queues[1 - endpoint->side], waiter);
}

proc_queue *proc_endpoint_queue(proc_endpoint *endpoint)
{
    return &endpoint->channel->queues[endpoint->side];
}
