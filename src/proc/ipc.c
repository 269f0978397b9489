/*
 * proc/ipc.c - channel operations on handles: create, send, receive.
 */
#include "proc/ipc.h"

#include <assert.h>

int32_t proc_ipc_channel_create(proc_handle_table *table, proc_queue_limits limits, uint32_t rights,
                                proc_quota *quota, proc_object *maker, int32_t *handle0,
                                int32_t *handle1)
{
    if (rights & ~ISOLA_RIGHTS_KNOWN || limits.max_count == 0)
        return ISOLA_EINVAL;
    int32_t status = proc_handle_reserve(table, 2);
    if (status != PROC_OK)
        return status;
    proc_endpoint *end0, *end1;
    status = proc_channel_create(limits, limits, quota, maker, &end0, &end1);
    if (status != PROC_OK)
        return status;
    *handle0 = proc_handle_insert(table, proc_endpoint_object(end0), rights, NULL);
    *handle1 = proc_handle_insert(table, proc_endpoint_object(end1), rights, NULL);
    assert(*handle0 > 0 && *handle1 > 0);
    return PROC_OK;
}

int32_t proc_ipc_send_on(proc_handle_table *table, proc_endpoint *from, uint64_t tag, const void *bytes,
                         uint32_t size, const int32_t *handles, uint32_t handle_count,
                         proc_waiter *wait_if_full)
{
    proc_message *message;
    int32_t status = proc_message_build(table, proc_endpoint_peer(from), tag, bytes, size, handles,
                                        handle_count, &message);
    if (status != PROC_OK)
        return status;
    status = proc_endpoint_send(from, message, wait_if_full);
    if (status != PROC_OK) {
        proc_message_free(message);
        return status;
    }
    /* `from` may be among the transferred handles: do not touch it below. */
    proc_message_commit_transfer(table, handles, handle_count);
    return PROC_OK;
}

int32_t proc_ipc_send(proc_handle_table *table, int32_t endpoint, uint64_t tag, const void *bytes,
                      uint32_t size, const int32_t *handles, uint32_t handle_count, proc_waiter *wait_if_full)
{
    proc_object *object;
    int32_t status = proc_handle_get(table, endpoint, PROC_OBJ_ENDPOINT, ISOLA_RIGHT_SEND, &object);
    if (status != PROC_OK)
        return status;
    return proc_ipc_send_on(table, (proc_endpoint *)object, tag, bytes, size, handles, handle_count,
                            wait_if_full);
}

int32_t proc_ipc_receive_on(proc_handle_table *table, proc_endpoint *at, proc_filter filter,
                            uint32_t max_handles, proc_waiter *wait_if_empty, int32_t *out_handles,
                            uint32_t *nhandles, proc_message **out, uint32_t *skipped)
{
    /* Room is reserved first (growing the slot array if need be), so a
     * message that fits is installed without a failure path. */
    uint32_t room = table->limit > table->live ? table->limit - table->live : 0;
    if (max_handles > room)
        max_handles = room;
    if (max_handles > PROC_MESSAGE_MAX_HANDLES)
        max_handles = PROC_MESSAGE_MAX_HANDLES;
    if (max_handles && proc_handle_reserve(table, max_handles) != PROC_OK)
        max_handles = 0;
    proc_pop_info info = {0, 0};
    int32_t status = proc_endpoint_receive(at, filter, max_handles, wait_if_empty, out, &info);
    if (skipped)
        *skipped = info.skipped;
    if (status == PROC_OK) {
        uint32_t n = proc_message_install_handles(*out, table, out_handles, max_handles);
        if (nhandles)
            *nhandles = n;
    }
    return status;
}

int32_t proc_ipc_receive(proc_handle_table *table, int32_t endpoint, proc_filter filter,
                         proc_waiter *wait_if_empty, int32_t *out_handles, uint32_t handle_capacity,
                         proc_message **out)
{
    proc_object *object;
    int32_t status = proc_handle_get(table, endpoint, PROC_OBJ_ENDPOINT, ISOLA_RIGHT_RECEIVE, &object);
    if (status != PROC_OK)
        return status;
    return proc_ipc_receive_on(table, (proc_endpoint *)object, filter, handle_capacity, wait_if_empty,
                               out_handles, NULL, out, NULL);
}
