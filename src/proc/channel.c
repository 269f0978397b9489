/*
 * proc/channel.c - channel allocation and the end-of-life of an endpoint.
 */
#include "proc/channel.h"

#include <assert.h>
#include <stdlib.h>

static void endpoint_destroy(proc_object *object)
{
    assert(object->type == PROC_OBJ_ENDPOINT);
    proc_endpoint *endpoint = (proc_endpoint *)object;
    proc_channel *channel = endpoint->channel;
    uint32_t side = endpoint->side;
    /* Closing frees queued messages, which may destroy other endpoints (even
     * the peer, if only a message in this queue held it): no lock is held here. */
    proc_queue_close(&channel->queues[side]);
    /* Both queues must be told before the count drops: once it does, the
     * peer's destroy may free the block on another thread. */
    proc_queue_mark_senders_gone(&channel->queues[1 - side]);
    if (atomic_fetch_sub_explicit(&channel->live_endpoints, 1, memory_order_acq_rel) == 1) {
        proc_queue_fini(&channel->queues[0]);
        proc_queue_fini(&channel->queues[1]);
        free(channel);
    }
}

int32_t proc_channel_create(proc_queue_limits limits0, proc_queue_limits limits1, proc_endpoint **end0,
                            proc_endpoint **end1)
{
    proc_channel *channel = malloc(sizeof *channel);
    if (!channel)
        return ISOLA_ENOMEM;
    atomic_init(&channel->live_endpoints, 2);
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

const proc_object *proc_endpoint_peer(const proc_endpoint *endpoint)
{
    return &endpoint->channel->endpoints[1 - endpoint->side].header;
}

int32_t proc_endpoint_send(proc_endpoint *endpoint, proc_message *message, proc_waiter *wait_if_full)
{
    return proc_queue_push(&endpoint->channel->queues[1 - endpoint->side], message, wait_if_full);
}

int32_t proc_endpoint_send_notice(proc_endpoint *endpoint, proc_message *message)
{
    return proc_queue_push_notice(&endpoint->channel->queues[1 - endpoint->side], message);
}

int32_t proc_endpoint_receive(proc_endpoint *endpoint, proc_filter filter, uint32_t max_handles,
                              proc_waiter *wait_if_empty, proc_message **out, uint32_t *needed_handles)
{
    return proc_queue_pop(&endpoint->channel->queues[endpoint->side], filter, max_handles, wait_if_empty,
                          out, needed_handles);
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
