/*
 * proc/revoker.c - revoker objects: a flag plus a chain to the gate they
 * were derived under (and, for join nodes, the revoker a handle was
 * derived through); and the two table operations built on them: a new
 * revoker handle, and a handle derived through one.
 */
#include "proc/revoker.h"

#include <assert.h>
#include <stdlib.h>

#include "proc/handle.h"

static void revoker_destroy(proc_object *object)
{
    assert(object->type == PROC_OBJ_REVOKER);
    proc_revoker *revoker = (proc_revoker *)object;
    proc_revoker *parent = revoker->parent, *also = revoker->also;
    free(revoker);
    if (parent)
        proc_object_release(&parent->header);
    if (also)
        proc_object_release(&also->header);
}

static int32_t revoker_make(proc_revoker *parent, proc_revoker *also, proc_revoker **out)
{
    uint32_t weight = 1 + (parent ? parent->weight : 0) + (also ? also->weight : 0);
    if (weight > PROC_REVOKER_MAX_WEIGHT)
        return ISOLA_ELIMIT;
    proc_revoker *revoker = malloc(sizeof *revoker);
    if (!revoker)
        return ISOLA_ENOMEM;
    proc_object_init(&revoker->header, PROC_OBJ_REVOKER, revoker_destroy);
    atomic_init(&revoker->revoked, false);
    revoker->parent = parent;
    revoker->also = also;
    revoker->weight = weight;
    if (parent)
        proc_object_retain(&parent->header);
    if (also)
        proc_object_retain(&also->header);
    *out = revoker;
    return PROC_OK;
}

int32_t proc_revoker_new(proc_revoker *parent, proc_revoker **out)
{
    return revoker_make(parent, NULL, out);
}

int32_t proc_revoker_join(proc_revoker *gate, proc_revoker *revoker, proc_revoker **out)
{
    assert(gate && revoker);
    return revoker_make(gate, revoker, out);
}

void proc_revoker_revoke(proc_revoker *revoker)
{
    atomic_store_explicit(&revoker->revoked, true, memory_order_release);
}

bool proc_revoker_is_revoked(const proc_revoker *revoker)
{
    for (; revoker; revoker = revoker->parent) {
        if (atomic_load_explicit(&revoker->revoked, memory_order_acquire))
            return true;
        if (revoker->also && proc_revoker_is_revoked(revoker->also))
            return true;
    }
    return false;
}

int32_t proc_revoker_handle_new(proc_handle_table *table)
{
    int32_t status = proc_handle_reserve(table, 1);
    if (status != PROC_OK)
        return status;
    proc_revoker *revoker;
    status = proc_revoker_new(NULL, &revoker);
    if (status != PROC_OK)
        return status;
    int32_t handle = proc_handle_insert(table, &revoker->header,
                                        ISOLA_RIGHT_REVOKE | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER, NULL);
    assert(handle > 0);
    return handle;
}

int32_t proc_revoker_derive(proc_handle_table *table, int32_t handle, int32_t revoker_handle, uint32_t rights)
{
    proc_object *through;
    int32_t status = proc_handle_get(table, revoker_handle, PROC_OBJ_REVOKER, 0, &through);
    if (status != PROC_OK)
        return status;
    proc_revoker *revoker = (proc_revoker *)through;
    if (proc_revoker_is_revoked(revoker))
        return ISOLA_EREVOKED;
    proc_object *object;
    proc_revoker *old_gate;
    status = proc_handle_prepare_copy(table, handle, rights, 1, &object, &old_gate);
    if (status != PROC_OK)
        return status;
    proc_revoker *gate = revoker;
    if (old_gate && old_gate != revoker) {
        status = proc_revoker_join(old_gate, revoker, &gate);   /* owns its creation reference */
        if (status != PROC_OK)
            return status;
    } else {
        proc_object_retain(&gate->header);
    }
    proc_object_retain(object);
    int32_t derived = proc_handle_insert(table, object, rights, gate);
    assert(derived > 0);
    return derived;
}
