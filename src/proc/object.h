/*
 * proc/object.h - the header every kernel object starts with (process,
 * channel endpoint, module, timer, revoker, ...): a type tag, an atomic
 * reference count and the function that destroys it.
 *
 * Invariants
 *   - A live object has refcount >= 1. Every handle-table entry and every
 *     handle carried in a queued message owns one reference; internal links
 *     (a process's parent, a timer's target...) own one each.
 *   - The reference that brings the count to 0 calls `destroy`, exactly once,
 *     on that thread; nothing may retain the object after that.
 *   - Retain is only legal while the caller already owns (or borrows under
 *     a guarantee) a reference: objects are never "resurrected".
 */
#ifndef ISOLA_PROC_OBJECT_H
#define ISOLA_PROC_OBJECT_H

#include <stdatomic.h>
#include <stdint.h>

typedef enum proc_object_type {
    PROC_OBJ_NONE = 0,   /* never a live object's type; used as "any type" in lookups */
    PROC_OBJ_PROCESS,
    PROC_OBJ_ENDPOINT,
    PROC_OBJ_MODULE,
    PROC_OBJ_TIMER,
    PROC_OBJ_REVOKER,
    PROC_OBJ_DIR,        /* a directory capability for WASI processes (host/proc_wasi.c) */
    PROC_OBJ_TYPE_COUNT,
} proc_object_type;

typedef struct proc_object proc_object;

/* Frees the object and drops whatever it references. Called once, at refcount 0. */
typedef void (*proc_object_destroy_fn)(proc_object *object);

struct proc_object {
    atomic_uint refcount;
    proc_object_type type;
    proc_object_destroy_fn destroy;
};

/*
 * A thread's stock of references to one shared, long-lived object (a
 * module: every spawn from it and every handle to it takes a reference).
 * A thread with a stock bound (proc_object_bind_stock; the workers do,
 * proc/local.h) takes those references from it and gives them back to it,
 * and trades with the shared count only PROC_OBJECT_STOCK_BATCH at a time,
 * so that a spawn on one core and an end on the other do not move the
 * count's cache line between them for each process. References in a stock
 * are real ones: the object lives at least until the stock is flushed.
 */
#define PROC_OBJECT_STOCK_BATCH 64u

typedef struct proc_object_stock {
    proc_object *object;   /* whose references these are; with refs 0 only compared
                            * (it may be gone), never dereferenced */
    uint32_t refs;
} proc_object_stock;

/* Binds `stock` (NULL: none) to the calling thread. */
void proc_object_bind_stock(proc_object_stock *stock);
/* Gives a stock's references back to the shared count (its thread only). */
void proc_object_stock_flush(proc_object_stock *stock);

/* Sets the header of a new object: refcount 1 (owned by the creator). */
void proc_object_init(proc_object *object, proc_object_type type, proc_object_destroy_fn destroy);

/* Takes one more reference. */
void proc_object_retain(proc_object *object);

/* The same for an object no other thread can reach yet (being built): a
 * plain increment instead of a locked one. */
void proc_object_retain_unshared(proc_object *object);

/* Drops one reference; destroys the object when it was the last. NULL is allowed. */
void proc_object_release(proc_object *object);

/* Takes, or drops, n references at once (a worker's stock, proc/local.h). */
void proc_object_retain_n(proc_object *object, uint32_t n);
void proc_object_release_n(proc_object *object, uint32_t n);

/* The current count, for tests and assertions (racy by nature when shared). */
uint32_t proc_object_refcount(const proc_object *object);

/* "process", "endpoint", ... for messages. */
const char *proc_object_type_name(proc_object_type type);

#endif
