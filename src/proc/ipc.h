/*
 * proc/ipc.h - message passing as a process sees it: channel operations on
 * handles. This is the layer the guest API ("isola" imports) and the host
 * API will call; it ties together the handle table (handle.h), message
 * blocks (message.h) and channel endpoints (channel.h).
 *
 * The life of one message through this file:
 *   proc_ipc_send:    look up the endpoint (SEND) -> proc_message_build
 *                     (check handles, one allocation, one copy of the bytes)
 *                     -> push into the peer's queue -> on success close the
 *                     sender's transferred handles; on failure free the
 *                     block, and the sender has lost nothing.
 *   proc_ipc_receive: look up the endpoint (RECEIVE) -> pop the first
 *                     message matching the filter (reserving handle slots
 *                     first so installation cannot fail) -> install its
 *                     handles -> the caller copies the bytes and frees it.
 */
#ifndef ISOLA_PROC_IPC_H
#define ISOLA_PROC_IPC_H

#include <stdint.h>

#include "proc/channel.h"
#include "proc/handle.h"
#include "proc/message.h"

/* Creates a channel and installs both endpoints in `table` with `rights`
 * each. Both queues are bounded by `limits`. All or nothing. */
int32_t proc_ipc_channel_create(proc_handle_table *table, proc_queue_limits limits, uint32_t rights,
                                int32_t *handle0, int32_t *handle1);

/* Sends bytes and handles with `tag` through `endpoint` (needs SEND; each
 * handle needs TRANSFER). Handles move only on PROC_OK. ISOLA_EFULL parks
 * `wait_if_full` if given; the caller retries the whole send when woken. */
int32_t proc_ipc_send(proc_handle_table *table, int32_t endpoint, uint64_t tag, const void *bytes,
                      uint32_t size, const int32_t *handles, uint32_t handle_count, proc_waiter *wait_if_full);

/* Receives the first message matching `filter` from `endpoint` (needs
 * RECEIVE). Its handles are installed in `table` and written to
 * out_handles[0..message->handle_count); the caller owns *out and frees it
 * with proc_message_free. If the message carries more than
 * `handle_capacity` handles, or the table cannot take them, it stays queued
 * and ISOLA_ELIMIT is returned. Other results as in proc_queue_pop. */
int32_t proc_ipc_receive(proc_handle_table *table, int32_t endpoint, proc_filter filter,
                         proc_waiter *wait_if_empty, int32_t *out_handles, uint32_t handle_capacity,
                         proc_message **out);

#endif
