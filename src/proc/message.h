/*
 * proc/message.h - a message: a tag, bytes and handles, in ONE allocation.
 *
 * Layout of the block (header, then the handle entries, then the bytes):
 *
 *     proc_message | proc_message_handle[handle_count] | uint8_t[size]
 *
 * Life of a message
 *   1. proc_message_build: the sender's handles are checked (live, not
 *      revoked, ISOLA_RIGHT_TRANSFER, each at most once), the block is
 *      allocated and the bytes are copied into it: this is the only copy of
 *      the bytes between the sender's memory and the receiver's. The message
 *      takes its own reference to every object (and gate) it carries; the
 *      sender's handles are still in place.
 *   2. The message is queued (queue.h). If that fails, proc_message_free
 *      drops the message's references and the sender has lost nothing.
 *   3. On success proc_message_commit_transfer closes the sender's handles:
 *      a transfer moves a handle, it is gone from the sender. (A spawn's
 *      start message, which nobody can receive before this step, borrows
 *      the sender's references instead, and proc_message_commit_move
 *      forgets the sender's entries: no count changes at all.)
 *   4. The receiver dequeues it, reserves room in its handle table and calls
 *      proc_message_install_handles, which moves the message's references
 *      into its table; it copies the bytes where it wants (its linear
 *      memory) and frees the block.
 * The message is never shared: at any moment one thread or one queue owns it.
 *
 * A hand-off (a receiver already parked, see proc_queue_take_receiver)
 * skips the block: the bytes go straight from the sender's memory to the
 * receiver's, and proc_message_move_handles does steps 1-4 for the handles.
 */
#ifndef ISOLA_PROC_MESSAGE_H
#define ISOLA_PROC_MESSAGE_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "proc/handle.h"

#define PROC_MESSAGE_MAX_HANDLES 64u
#define PROC_MESSAGE_MAX_BYTES (64u << 20)

/* A handle in flight: what the receiver's table entry will hold. */
typedef struct proc_message_handle {
    proc_object *object;   /* owned reference; NULL once installed */
    proc_revoker *gate;    /* owned reference or NULL */
    uint32_t rights;
} proc_message_handle;

typedef struct proc_message {
    struct proc_message *next; /* link while queued; owned by the queue */
    uint64_t tag;
    uint32_t size;             /* bytes */
    uint32_t handle_count;
    /* NULL, or a count this message holds one unit of until it is freed: a
     * DOWN or EXIT notice keeps its watcher's `watching` (link.c) until the
     * watcher has received it. */
    atomic_uint *charge;
    proc_message_handle handles[]; /* followed by the bytes */
} proc_message;

/* Where message blocks come from. The default is malloc/free. Set it before
 * any message exists (tests use it to count allocations; an embedder may
 * plug in a slab allocator). NULL restores the default. */
typedef struct proc_message_allocator {
    void *(*alloc)(size_t size, void *context);
    void (*free)(void *block, size_t size, void *context);
    void *context;
} proc_message_allocator;

void proc_message_set_allocator(const proc_message_allocator *allocator);

/* Checks `handles` in `sender` (see step 1 above) and builds the message.
 * `forbidden` (may be NULL) is an object that must not travel in this
 * message (the destination endpoint itself: a handle to it queued in its own
 * queue would keep it alive forever). Errors: ISOLA_EBADHANDLE, ISOLA_EREVOKED,
 * ISOLA_EACCES, ISOLA_EINVAL (a handle twice, `forbidden`, too many handles,
 * too many bytes), ISOLA_ENOMEM. On error nothing has changed. */
int32_t proc_message_build(const proc_handle_table *sender, const proc_object *forbidden, uint64_t tag,
                           const void *bytes, uint32_t size, const int32_t *handles,
                           uint32_t handle_count, proc_message **out);

/* The same, except that the message borrows the sender's references
 * instead of taking its own (two locked instructions per handle fewer).
 * Only for a destination nobody can receive from before the sender's
 * proc_message_commit_move (a spawn's start message, into a mailbox no
 * worker runs yet): a receiver dropping a borrowed reference early would
 * leave the sender's entry dangling. If it is not queued, free it with
 * proc_message_free_borrowing. */
int32_t proc_message_build_borrowing(const proc_handle_table *sender, const proc_object *forbidden,
                                     uint64_t tag, const void *bytes, uint32_t size, const int32_t *handles,
                                     uint32_t handle_count, proc_message **out);

/* The checks of step 1 alone (for a hand-off, which builds no block). */
int32_t proc_message_check_handles(const proc_handle_table *sender, const proc_object *forbidden,
                                   const int32_t *handles, uint32_t handle_count);

/* A hand-off's steps 1-4 for handles that passed proc_message_check_handles:
 * moves them from `sender` into `receiver` (which must have room reserved),
 * writing the new values to out_handles as unaligned int32s. Cannot fail. */
void proc_message_move_handles(proc_handle_table *sender, const int32_t *handles, uint32_t handle_count,
                               proc_handle_table *receiver, uint8_t *out_handles);

/* Step 3: closes the sender's transferred handles after the message was queued. */
void proc_message_commit_transfer(proc_handle_table *sender, const int32_t *handles, uint32_t handle_count);

/* Step 3 for a borrowing message: the sender's entries go without
 * dropping their references, which the message now owns. */
void proc_message_commit_move(proc_handle_table *sender, const int32_t *handles, uint32_t handle_count);

/* Step 4: moves the message's first min(handle_count, max) handles into
 * `receiver`, writing the new handle values to out_handles; returns how
 * many. The rest stay in the message, and proc_message_free closes them.
 * The caller must have reserved room for those it takes
 * (proc_handle_reserve), so this cannot fail. */
uint32_t proc_message_install_handles(proc_message *message, proc_handle_table *receiver, int32_t *out_handles,
                                      uint32_t max);

/* Drops the references of handles not installed and frees the block. NULL is allowed. */
void proc_message_free(proc_message *message);

/* Frees a borrowing message that was never queued; its references stay the sender's. */
void proc_message_free_borrowing(proc_message *message);

static inline const uint8_t *proc_message_bytes(const proc_message *message)
{
    return (const uint8_t *)(message->handles + message->handle_count);
}

#endif
