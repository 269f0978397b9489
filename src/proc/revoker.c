/*
 * proc/revoker.c - revoker objects: a flag plus a chain to the gate they
 * were derived under.
 */
#include "proc/revoker.h"

#include <assert.h>
#include <stdlib.h>

static void revoker_destroy(proc_object *object)
{
    assert(object->type == PROC_OBJ_REVOKER);
    proc_revoker *revoker = (proc_revoker *)object;
    proc_revoker *parent = revoker->parent;
    free(revoker);
    if (parent)
        proc_object_release(&parent->header);
}

proc_revoker *proc_revoker_new(proc_revoker *parent)
{
    proc_revoker *revoker = malloc(sizeof *revoker);
    if (!revoker)
        return NULL;
    proc_object_init(&revoker->header, PROC_OBJ_REVOKER, revoker_destroy);
    atomic_init(&revoker->revoked, false);
    revoker->parent = parent;
    if (parent)
        proc_object_retain(&parent->header);
    return revoker;
}

void proc_revoker_revoke(proc_revoker *revoker)
{
    atomic_store_explicit(&revoker->revoked, true, memory_order_release);
}

bool proc_revoker_is_revoked(const proc_revoker *revoker)
{
    for (; revoker; revoker = revoker->parent)
        if (atomic_load_explicit(&revoker->revoked, memory_order_acquire))
            return true;
    return false;
}
