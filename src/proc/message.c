/*
 * proc/message.c - building, handing over and freeing message blocks.
 */
#include "proc/message.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/unwind.h"

static void *message_default_alloc(size_t size, void *context)
{
    (void)context;
    return malloc(size);
}

static void message_default_free(void *block, size_t size, void *context)
{
    (void)size;
    (void)context;
    free(block);
}

static proc_message_allocator message_allocator = {message_default_alloc, message_default_free, NULL};

void proc_message_set_allocator(const proc_message_allocator *allocator)
{
    if (allocator)
        message_allocator = *allocator;
    else
        message_allocator = (proc_message_allocator){message_default_alloc, message_default_free, NULL};
}

static size_t message_block_size(uint32_t size, uint32_t handle_count)
{
    return sizeof(proc_message) + (size_t)handle_count * sizeof(proc_message_handle) + size;
}

/* Every handle valid for transfer, none twice, none naming `forbidden`. */
int32_t proc_message_check_handles(const proc_handle_table *sender, const proc_object *forbidden,
                                   const int32_t *handles, uint32_t handle_count)
{
    for (uint32_t i = 0; i < handle_count; i++) {
        const proc_handle_entry *entry;
        int32_t status = proc_handle_lookup(sender, handles[i], PROC_OBJ_NONE, ISOLA_RIGHT_TRANSFER, &entry);
        if (status != PROC_OK)
            return status;
        if (entry->object == forbidden)
            return ISOLA_EINVAL;
        /* Quadratic, but handle_count <= PROC_MESSAGE_MAX_HANDLES and usually 0 or 1. */
        for (uint32_t j = 0; j < i; j++)
            if (handles[j] == handles[i])
                return ISOLA_EINVAL;
    }
    return PROC_OK;
}

/* Builds the block; `counted`: the message takes its own references (else
 * it borrows the sender's until proc_message_commit_move). */
static int32_t message_build(const proc_handle_table *sender, const proc_object *forbidden, uint64_t tag,
                             const void *bytes, uint32_t size, const int32_t *handles,
                             uint32_t handle_count, bool counted, proc_message **out)
{
    if (handle_count > PROC_MESSAGE_MAX_HANDLES || size > PROC_MESSAGE_MAX_BYTES)
        return ISOLA_EINVAL;
    if ((size && !bytes) || (handle_count && !handles))
        return ISOLA_EINVAL;
    int32_t status = proc_message_check_handles(sender, forbidden, handles, handle_count);
    if (status != PROC_OK)
        return status;
    proc_message *message = message_allocator.alloc(message_block_size(size, handle_count),
                                                    message_allocator.context);
    if (!message)
        return ISOLA_ENOMEM;
    message->next = NULL;
    message->tag = tag;
    message->size = size;
    message->handle_count = handle_count;
    message->charge = NULL;
    for (uint32_t i = 0; i < handle_count; i++) {
        const proc_handle_entry *entry = NULL;   /* checked when the message was sized */
        status = proc_handle_lookup(sender, handles[i], PROC_OBJ_NONE, ISOLA_RIGHT_TRANSFER, &entry);
        assert(status == PROC_OK);
        if (counted) {
            proc_object_retain(entry->object);
            if (entry->gate)
                proc_object_retain(&entry->gate->header);
        }
        message->handles[i] = (proc_message_handle){entry->object, entry->gate, entry->rights};
    }
    if (size)
        memcpy((uint8_t *)(message->handles + handle_count), bytes, size);
    *out = message;
    return PROC_OK;
}

int32_t proc_message_build(const proc_handle_table *sender, const proc_object *forbidden, uint64_t tag,
                           const void *bytes, uint32_t size, const int32_t *handles,
                           uint32_t handle_count, proc_message **out)
{
    return message_build(sender, forbidden, tag, bytes, size, handles, handle_count, true, out);
}

int32_t proc_message_build_borrowing(const proc_handle_table *sender, const proc_object *forbidden,
                                     uint64_t tag, const void *bytes, uint32_t size, const int32_t *handles,
                                     uint32_t handle_count, proc_message **out)
{
    return message_build(sender, forbidden, tag, bytes, size, handles, handle_count, false, out);
}

void proc_message_move_handles(proc_handle_table *sender, const int32_t *handles, uint32_t handle_count,
                               proc_handle_table *receiver, uint8_t *out_handles)
{
    assert(sender != receiver);
    for (uint32_t i = 0; i < handle_count; i++) {
        /* The sender's references move with the entries: no count changes.
         * Not a checked take: the checks were made (proc_message_check_handles),
         * and a revocation since then must not keep the entry behind. */
        proc_handle_entry moved;
        int32_t status = proc_handle_remove(sender, handles[i], &moved);
        assert(status == PROC_OK && "hand-off of a handle that is not in the table");
        (void)status;
        int32_t handle = proc_handle_insert(receiver, moved.object, moved.rights, moved.gate);
        assert(handle > 0 && "proc_message_move_handles without a reservation");
        memcpy(out_handles + (size_t)i * sizeof handle, &handle, sizeof handle);
    }
}

void proc_message_commit_transfer(proc_handle_table *sender, const int32_t *handles, uint32_t handle_count)
{
    for (uint32_t i = 0; i < handle_count; i++) {
        int32_t status = proc_handle_close(sender, handles[i]);
        assert(status == PROC_OK && "transferred handle changed between build and commit");
        (void)status;
    }
}

void proc_message_commit_move(proc_handle_table *sender, const int32_t *handles, uint32_t handle_count)
{
    for (uint32_t i = 0; i < handle_count; i++) {
        /* Not a checked take: a revoke since the build must not keep the
         * entry here, or two owners would share one reference. */
        proc_handle_entry gone;
        int32_t status = proc_handle_remove(sender, handles[i], &gone);
        assert(status == PROC_OK && "moved handle changed between build and commit");
        (void)status;
    }
}

uint32_t proc_message_install_handles(proc_message *message, proc_handle_table *receiver, int32_t *out_handles,
                                      uint32_t max)
{
    uint32_t n = message->handle_count < max ? message->handle_count : max;
    for (uint32_t i = 0; i < n; i++) {
        proc_message_handle *h = &message->handles[i];
        assert(h->object && "handle installed twice");
        int32_t handle = proc_handle_insert(receiver, h->object, h->rights, h->gate);
        assert(handle > 0 && "proc_message_install_handles without a reservation");
        out_handles[i] = handle;
        h->object = NULL;
        h->gate = NULL;
    }
    return n;
}

static void message_free_block(proc_message *message)
{
    if (message->charge)
        atomic_fetch_sub_explicit(message->charge, 1, memory_order_relaxed);
    message_allocator.free(message, message_block_size(message->size, message->handle_count),
                           message_allocator.context);
}

void proc_message_free_borrowing(proc_message *message)
{
    if (message)
        message_free_block(message);
}

static void message_release_and_free(void *block)
{
    proc_message *message = block;
    for (uint32_t i = 0; i < message->handle_count; i++) {
        proc_object_release(message->handles[i].object);
        if (message->handles[i].gate)
            proc_object_release(&message->handles[i].gate->header);
    }
    message_free_block(message);
}

/* Releasing a message's endpoints can free the messages queued at them,
 * and so on down a chain a guest built: util/unwind.h. */
static _Thread_local util_unwind message_unwind;

void proc_message_free(proc_message *message)
{
    if (!message)
        return;
    if (message->handle_count == 0)   /* releases nothing: cannot recurse */
        message_free_block(message);
    else
        util_unwind_free(&message_unwind, message, offsetof(proc_message, next), message_release_and_free);
}
