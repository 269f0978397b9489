/*
 * proc/queue.c - the bounded message queue: push, selective pop, closing,
 * and parking/waking of waiters. Wake callbacks always run after the lock
 * is dropped; messages are always freed after it is dropped (freeing can
 * release objects whose destroy functions take other queue locks).
 */
#include "proc/queue.h"

#include <assert.h>
#include <stddef.h>

void proc_queue_init(proc_queue *queue, proc_queue_limits limits)
{
    assert(limits.max_count >= 1);
    *queue = (proc_queue){.limits = limits};
    util_spin_init(&queue->lock);
}

static void queue_free_list(proc_message *message)
{
    while (message) {
        proc_message *next = message->next;
        proc_message_free(message);
        message = next;
    }
}

void proc_queue_fini(proc_queue *queue)
{
    assert(!queue->receiver && !queue->senders_head && "queue freed with waiters parked");
    queue_free_list(queue->head);
    queue->head = queue->tail = NULL;
    queue->count = 0;
    queue->bytes = 0;
    queue->handles = 0;
}

/* Senders woken per hold of the lock (see queue_take_senders). */
#define QUEUE_WAKE_CHUNK 32

/*
 * Takes up to `max` (at most QUEUE_WAKE_CHUNK) parked senders off the list
 * into batch[], links cleared (lock held). Links are read only under the
 * lock: a waiter off the list can run before its wake arrives (a spurious
 * wake lets it retry its call; its cancel then finds nothing here) and
 * park on another queue, reusing `next`, and a walk of a detached list
 * after the unlock would then follow that link into the other queue's
 * list. With `rest`, also counts the senders left parked.
 */
static size_t queue_take_senders(proc_queue *queue, proc_waiter **batch, size_t max, size_t *rest)
{
    assert(max <= QUEUE_WAKE_CHUNK);
    size_t n = 0;
    while (n < max && queue->senders_head) {
        proc_waiter *w = queue->senders_head;
        queue->senders_head = w->next;
        w->next = NULL;
        batch[n++] = w;
    }
    if (!queue->senders_head)
        queue->senders_tail = NULL;
    if (rest) {
        *rest = 0;
        for (const proc_waiter *w = queue->senders_head; w; w = w->next)
            (*rest)++;
    }
    return n;
}

/* Wakes batch[0..n) taken by queue_take_senders, then up to `rest` more
 * of the senders still parked (those that were parked when the first
 * batch was taken: one that re-parks meanwhile is not woken again), a
 * chunk per hold of the lock. Lock not held; the caller keeps the queue
 * alive. */
static void queue_wake_senders(proc_queue *queue, proc_waiter **batch, size_t n, size_t rest)
{
    for (;;) {
        for (size_t i = 0; i < n; i++)
            batch[i]->wake(batch[i]);   /* the waiter may be reused from here on */
        if (rest == 0)
            return;
        util_spin_lock(&queue->lock);
        n = queue_take_senders(queue, batch, rest < QUEUE_WAKE_CHUNK ? rest : QUEUE_WAKE_CHUNK, NULL);
        util_spin_unlock(&queue->lock);
        if (n == 0)
            return;
        rest -= n;
    }
}

static void queue_park_sender(proc_queue *queue, proc_waiter *waiter)
{
    assert(waiter->wake && !waiter->next);
    if (queue->senders_tail)
        queue->senders_tail->next = waiter;
    else
        queue->senders_head = waiter;
    queue->senders_tail = waiter;
}


/*
 * Whether `message` fits what is queued now. Handles count as well as
 * messages and bytes: each keeps its object alive (a closed process, a
 * chain of revokers, a channel with its own queue), which the byte limit
 * does not see, so a queue holds at most as many handles as messages.
 * A spawn's start message (`unshared`) is counted but not held to that:
 * the spawn bounds its handles, and the child's queue may be tiny.
 */
static bool queue_has_room(const proc_queue *queue, const proc_message *message, bool unshared)
{
    return queue->count < queue->limits.max_count && queue->bytes + message->size <= queue->limits.max_bytes &&
           (unshared || queue->handles + message->handle_count <= queue->limits.max_count);
}

/* `shared`: other threads may use the queue, so take its lock (false only
 * for proc_queue_push_unshared). */
static int32_t queue_push(proc_queue *queue, proc_message *message, proc_waiter *wait_if_full, bool notice,
                          bool shared)
{
    assert(message && !message->next);
    if (!notice && (message->size > queue->limits.max_bytes ||
                    (shared && message->handle_count > queue->limits.max_count)))
        return ISOLA_ETOOBIG;
    proc_waiter *wake = NULL;
    if (shared)
        util_spin_lock(&queue->lock);
    if (queue->closed) {
        if (shared)
            util_spin_unlock(&queue->lock);
        return ISOLA_EPEER;
    }
    if (!notice && !queue_has_room(queue, message, !shared)) {
        if (wait_if_full)
            queue_park_sender(queue, wait_if_full);
        if (shared)
            util_spin_unlock(&queue->lock);
        return ISOLA_EFULL;
    }
    if (queue->tail)
        queue->tail->next = message;
    else
        queue->head = message;
    queue->tail = message;
    queue->count++;
    queue->bytes += message->size;
    queue->handles += message->handle_count;
    if (queue->receiver && proc_filter_matches(queue->receiver->filter, message)) {
        wake = queue->receiver;
        queue->receiver = NULL;
    }
    if (shared)
        util_spin_unlock(&queue->lock);
    if (wake)
        wake->wake(wake);
    return PROC_OK;
}

int32_t proc_queue_push(proc_queue *queue, proc_message *message, proc_waiter *wait_if_full)
{
    return queue_push(queue, message, wait_if_full, false, true);
}

int32_t proc_queue_push_unshared(proc_queue *queue, proc_message *message)
{
    assert(!queue->receiver && !queue->senders_head);
    return queue_push(queue, message, NULL, false, false);
}

int32_t proc_queue_push_notice(proc_queue *queue, proc_message *message)
{
    return queue_push(queue, message, NULL, true, true);
}

/* Unlinks `message` (whose predecessor is `prev`, NULL for the head). */
static void queue_unlink(proc_queue *queue, proc_message *prev, proc_message *message)
{
    if (prev)
        prev->next = message->next;
    else
        queue->head = message->next;
    if (queue->tail == message)
        queue->tail = prev;
    message->next = NULL;
    assert(queue->count > 0 && queue->bytes >= message->size && queue->handles >= message->handle_count);
    queue->count--;
    queue->bytes -= message->size;
    queue->handles -= message->handle_count;
}

int32_t proc_queue_pop(proc_queue *queue, proc_filter filter, uint32_t max_handles,
                       proc_waiter *wait_if_empty, proc_message **out, proc_pop_info *info)
{
    util_spin_lock(&queue->lock);
    proc_message *prev = NULL;
    proc_message *message = queue->head;
    uint32_t skipped = 0;
    while (message && !proc_filter_matches(filter, message)) {
        prev = message;
        message = message->next;
        skipped++;
    }
    info->skipped = skipped;
    if (message) {
        if (message->handle_count > max_handles && !filter.close_extra) {
            info->needed_handles = message->handle_count;
            util_spin_unlock(&queue->lock);
            return ISOLA_ELIMIT;
        }
        queue_unlink(queue, prev, message);
        /* A receiver that parked earlier and now got a message without a
         * wake (it polled) must not stay registered. */
        if (wait_if_empty && queue->receiver == wait_if_empty)
            queue->receiver = NULL;
        proc_waiter *senders[QUEUE_WAKE_CHUNK];
        size_t rest, nsenders = queue_take_senders(queue, senders, QUEUE_WAKE_CHUNK, &rest);
        util_spin_unlock(&queue->lock);
        queue_wake_senders(queue, senders, nsenders, rest);
        *out = message;
        return PROC_OK;
    }
    int32_t status;
    if (queue->senders_gone || queue->closed) {
        status = ISOLA_ECLOSED;
    } else if (queue->receiver && queue->receiver != wait_if_empty) {
        status = ISOLA_EBUSY;
    } else {
        status = ISOLA_EAGAIN;
        if (wait_if_empty) {
            assert(wait_if_empty->wake);
            wait_if_empty->filter = filter;
            wait_if_empty->max_handles = max_handles;
            queue->receiver = wait_if_empty;
        }
    }
    util_spin_unlock(&queue->lock);
    return status;
}

proc_waiter *proc_queue_take_receiver(proc_queue *queue, uint64_t tag, uint32_t size, uint32_t handle_count)
{
    util_spin_lock(&queue->lock);
    proc_waiter *w = queue->receiver;
    /* A message the queue could never hold is refused here too (the push
     * says ETOOBIG), whether or not a receiver happens to be parked. */
    if (!w || !w->claim || queue->closed || queue->count >= queue->limits.max_count ||
        queue->bytes + size > queue->limits.max_bytes || handle_count > queue->limits.max_count ||
        (!w->filter.any && w->filter.tag != tag) ||
        handle_count > w->max_handles || !w->claim(w)) {
        util_spin_unlock(&queue->lock);
        return NULL;
    }
    queue->receiver = NULL;
    util_spin_unlock(&queue->lock);
    return w;
}

void proc_queue_close(proc_queue *queue)
{
    util_spin_lock(&queue->lock);
    queue->closed = true;
    proc_message *drained = queue->head;
    queue->head = queue->tail = NULL;
    queue->count = 0;
    queue->bytes = 0;
    queue->handles = 0;
    proc_waiter *senders[QUEUE_WAKE_CHUNK];
    size_t rest, nsenders = queue_take_senders(queue, senders, QUEUE_WAKE_CHUNK, &rest);
    proc_waiter *receiver = queue->receiver;
    queue->receiver = NULL;
    util_spin_unlock(&queue->lock);
    if (receiver)
        receiver->wake(receiver);
    queue_wake_senders(queue, senders, nsenders, rest);
    queue_free_list(drained);
}

void proc_queue_mark_senders_gone(proc_queue *queue)
{
    util_spin_lock(&queue->lock);
    queue->senders_gone = true;
    proc_waiter *receiver = queue->receiver;
    queue->receiver = NULL;
    util_spin_unlock(&queue->lock);
    if (receiver)
        receiver->wake(receiver);
}

bool proc_queue_cancel_wait(proc_queue *queue, proc_waiter *waiter)
{
    bool found = false;
    util_spin_lock(&queue->lock);
    if (queue->receiver == waiter) {
        queue->receiver = NULL;
        found = true;
    } else {
        proc_waiter *prev = NULL;
        for (proc_waiter *w = queue->senders_head; w; prev = w, w = w->next) {
            if (w != waiter)
                continue;
            if (prev)
                prev->next = w->next;
            else
                queue->senders_head = w->next;
            if (queue->senders_tail == w)
                queue->senders_tail = prev;
            w->next = NULL;
            found = true;
            break;
        }
    }
    util_spin_unlock(&queue->lock);
    return found;
}

bool proc_queue_visit_objects(proc_queue *queue, bool (*visit)(proc_object *object, void *context),
                              void *context, uint32_t *budget)
{
    bool completed = true;
    util_spin_lock(&queue->lock);
    for (proc_message *m = queue->handles ? queue->head : NULL; m && completed; m = m->next) {
        if (*budget == 0) {
            completed = false;
            break;
        }
        (*budget)--;
        for (uint32_t i = 0; i < m->handle_count && completed; i++)
            completed = visit(m->handles[i].object, context);
    }
    util_spin_unlock(&queue->lock);
    return completed;
}

void proc_queue_usage(proc_queue *queue, uint32_t *count, uint64_t *bytes)
{
    util_spin_lock(&queue->lock);
    *count = queue->count;
    *bytes = queue->bytes;
    util_spin_unlock(&queue->lock);
}
