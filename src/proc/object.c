/*
 * proc/object.c - reference counting of kernel objects.
 *
 * Retain is relaxed (the caller already holds a reference, so nothing is
 * published by it); release drops the reference with acquire-release
 * ordering, or sees that it holds the last one (util/refcount.h), so
 * every write made through other references happens-before `destroy`.
 * A thread may keep a stock of references to a module (object.h), which
 * its retains and releases of that module use instead of the count.
 */
#include "proc/object.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/refcount.h"

void proc_object_init(proc_object *object, proc_object_type type, proc_object_destroy_fn destroy)
{
    assert(object && destroy);
    assert(type > PROC_OBJ_NONE && type < PROC_OBJ_TYPE_COUNT);
    atomic_init(&object->refcount, 1);
    object->type = type;
    object->destroy = destroy;
}

/* The calling thread's stock, if it has one (see object.h). */
static _Thread_local proc_object_stock *object_stock;

static bool object_stocked(const proc_object *object)
{
    return object->type == PROC_OBJ_MODULE && object_stock;
}

void proc_object_bind_stock(proc_object_stock *stock)
{
    object_stock = stock;
}

void proc_object_stock_flush(proc_object_stock *stock)
{
    if (stock->refs)
        proc_object_release_n(stock->object, stock->refs);
    *stock = (proc_object_stock){0};
}

static void stock_retain(proc_object_stock *stock, proc_object *object)
{
    if (stock->object != object) {
        proc_object_stock_flush(stock);
        stock->object = object;
    }
    if (stock->refs == 0) {
        proc_object_retain_n(object, PROC_OBJECT_STOCK_BATCH);
        stock->refs = PROC_OBJECT_STOCK_BATCH;
    }
    stock->refs--;
}

/* False when the reference must go to the shared count instead: the stock
 * holds references to another object. */
static bool stock_release(proc_object_stock *stock, proc_object *object)
{
    if (stock->object != object && stock->refs != 0)
        return false;
    stock->object = object;   /* adopted when the stock was empty */
    if (++stock->refs == 2 * PROC_OBJECT_STOCK_BATCH) {
        /* Never the last reference: the stock keeps the rest. */
        proc_object_release_n(object, PROC_OBJECT_STOCK_BATCH);
        stock->refs -= PROC_OBJECT_STOCK_BATCH;
    }
    return true;
}

void proc_object_retain(proc_object *object)
{
    if (object_stocked(object)) {
        stock_retain(object_stock, object);
        return;
    }
    unsigned before = atomic_fetch_add_explicit(&object->refcount, 1, memory_order_relaxed);
    assert(before >= 1 && "retain of a dead object");
    (void)before;
}

void proc_object_retain_unshared(proc_object *object)
{
    unsigned before = atomic_load_explicit(&object->refcount, memory_order_relaxed);
    assert(before >= 1 && "retain of a dead object");
    atomic_store_explicit(&object->refcount, before + 1, memory_order_relaxed);
}

void proc_object_release(proc_object *object)
{
    if (!object || (object_stocked(object) && stock_release(object_stock, object)))
        return;
    if (util_ref_drop(&object->refcount))
        object->destroy(object);
}

void proc_object_retain_n(proc_object *object, uint32_t n)
{
    unsigned before = atomic_fetch_add_explicit(&object->refcount, n, memory_order_relaxed);
    assert(before >= 1 && "retain of a dead object");
    (void)before;
}

void proc_object_release_n(proc_object *object, uint32_t n)
{
    assert(n >= 1);
    unsigned before = atomic_fetch_sub_explicit(&object->refcount, n, memory_order_acq_rel);
    assert(before >= n && "release of more references than held");
    if (before == n)
        object->destroy(object);
}

uint32_t proc_object_refcount(const proc_object *object)
{
    return (uint32_t)atomic_load_explicit(&object->refcount, memory_order_relaxed);
}

const char *proc_object_type_name(proc_object_type type)
{
    switch (type) {
    case PROC_OBJ_NONE: return "any";
    case PROC_OBJ_PROCESS: return "process";
    case PROC_OBJ_ENDPOINT: return "endpoint";
    case PROC_OBJ_MODULE: return "module";
    case PROC_OBJ_TIMER: return "timer";
    case PROC_OBJ_REVOKER: return "revoker";
    case PROC_OBJ_DIR: return "directory";
    case PROC_OBJ_TYPE_COUNT: break;
    }
    return "?";
}
