/*
 * proc/ipc.h - message passing as a process sees it: channel operations on
 * handles and endpoints. The guest API ("isola" imports, through vm.c, which
 * first tries a hand-off to a parked receiver) and the host API end here;
 * this file ties together the handle table (handle.h), message blocks
 * (message.h) and channel endpoints (channel.h).
 *
 * The life of one queued message through this file:
 *   proc_ipc_send_on:    proc_message_build (check handles, one allocation,
 *                        one copy of the bytes) -> push into the peer's
 *                        queue -> on success close the sender's transferred
 *                        handles; on failure free the block, and the sender
 *                        has lost nothing.
 *   proc_ipc_receive_on: reserve room for handles so installation cannot
 *                        fail -> pop the first message matching the filter
 *                        -> install its handles -> the caller copies the
 *                        bytes and frees it.
 * proc_ipc_send / proc_ipc_receive do the same from a handle.
 */
#ifndef ISOLA_PROC_IPC_H
#define ISOLA_PROC_IPC_H

#include <stdint.h>

#include "proc/channel.h"
#include "proc/handle.h"
#include "proc/message.h"

/* Creates a channel and installs both endpoints in `table` with `rights`
 * each. Both queues are bounded by `limits`; the channel is counted in
 * the quota of `maker` (NULL: nowhere) while it lives (proc_channel_create). All or
 * nothing. */
int32_t proc_ipc_channel_create(proc_handle_table *table, proc_queue_limits limits, uint32_t rights,
                                proc_quota *quota, proc_object *maker, int32_t *handle0,
                                int32_t *handle1);

/* Sends bytes and handles with `tag` on `from` (the caller checked SEND;
 * each handle needs TRANSFER). Handles move only on PROC_OK. ISOLA_EFULL
 * parks `wait_if_full` if given; the caller retries the whole send when
 * woken. */
int32_t proc_ipc_send_on(proc_handle_table *table, proc_endpoint *from, uint64_t tag, const void *bytes,
                         uint32_t size, const int32_t *handles, uint32_t handle_count,
                         proc_waiter *wait_if_full);

/* The same through handle `endpoint` (needs SEND). */
int32_t proc_ipc_send(proc_handle_table *table, int32_t endpoint, uint64_t tag, const void *bytes,
                      uint32_t size, const int32_t *handles, uint32_t handle_count, proc_waiter *wait_if_full);

/* Receives the first message matching `filter` from `at` (the caller
 * checked RECEIVE). Its handles are installed in `table` and written to
 * out_handles[0..*nhandles); the caller owns *out and frees it with
 * proc_message_free. If the message carries more than `max_handles`
 * handles, or more than the table has room for, it stays queued and
 * ISOLA_ELIMIT is returned; with filter.close_extra it is taken, and the
 * handles that do not fit are closed. Other results as in proc_queue_pop.
 * *nhandles and *skipped (each unless NULL): how many handles it installed,
 * and how many messages the filter passed over. */
int32_t proc_ipc_receive_on(proc_handle_table *table, proc_endpoint *at, proc_filter filter,
                            uint32_t max_handles, proc_waiter *wait_if_empty, int32_t *out_handles,
                            uint32_t *nhandles, proc_message **out, uint32_t *skipped);

/* The same through handle `endpoint` (needs RECEIVE). */
int32_t proc_ipc_receive(proc_handle_table *table, int32_t endpoint, proc_filter filter,
                         proc_waiter *wait_if_empty, int32_t *out_handles, uint32_t handle_capacity,
                         proc_message **out);

#endif
