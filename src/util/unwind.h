/*
 * util/unwind.h - tearing down a chain of objects as a loop, not a
 * recursion.
 *
 * Freeing one object can free the next (a message carries an endpoint
 * whose queue holds a message carrying the next endpoint...; an ended
 * process's block holds its parent's). A guest can make such chains as
 * long as its limits allow, and freeing them by recursion, a frame or two
 * per link, overflowed a worker's stack at a hundred thousand. So a free
 * that starts while another of the same kind runs on this thread is queued
 * on a per-thread list, and the outermost one works through the list.
 *
 * Each use site keeps its own _Thread_local util_unwind and names the
 * pointer field its objects are linked through while queued (free then).
 */
#ifndef ISOLA_UTIL_UNWIND_H
#define ISOLA_UTIL_UNWIND_H

#include <stdbool.h>
#include <stddef.h>

typedef struct util_unwind {
    void *pending;   /* queued objects, linked through the field at `link` */
    bool running;    /* a util_unwind_free of this kind is under way on this thread */
} util_unwind;

/* Frees `object` with free_one, and then whatever free_one queued by
 * freeing further objects of this kind; or, when called from inside
 * free_one, queues `object` and returns at once. */
static inline void util_unwind_free(util_unwind *u, void *object, size_t link, void (*free_one)(void *object))
{
    if (u->running) {
        *(void **)((char *)object + link) = u->pending;
        u->pending = object;
        return;
    }
    u->running = true;
    while (object) {
        free_one(object);
        object = u->pending;
        if (object)
            u->pending = *(void **)((char *)object + link);
    }
    u->running = false;
}

#endif
