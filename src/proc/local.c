/*
 * proc/local.c - a worker's own stock of contexts and module references
 * (see local.h).
 */
#include "proc/local.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

#include "proc/process.h"
#include "proc/reuse.h"

isola_exec *proc_local_take_exec(proc_local *local)
{
    if (!local || local->nexecs == 0)
        return NULL;
    return local->execs[--local->nexecs];
}

bool proc_local_keep_exec(proc_local *local, isola_exec *exec)
{
    if (!local || local->nexecs == PROC_LOCAL_EXECS)
        return false;
    local->execs[local->nexecs++] = exec;
    return true;
}

/* Gives the stocked references back to the shared count. */
static void local_module_flush(proc_local *local)
{
    if (local->module_refs)
        proc_object_release_n(&local->module->header, local->module_refs);
    local->module = NULL;
    local->module_refs = 0;
}

void proc_local_module_retain(proc_local *local, proc_module *m)
{
    if (!local) {
        proc_object_retain(&m->header);
        return;
    }
    if (local->module != m) {
        local_module_flush(local);
        local->module = m;
    }
    if (local->module_refs == 0) {
        proc_object_retain_n(&m->header, PROC_LOCAL_MODULE_BATCH);
        local->module_refs = PROC_LOCAL_MODULE_BATCH;
    }
    local->module_refs--;
}

void proc_local_module_release(proc_local *local, proc_module *m)
{
    if (!local || (local->module != m && local->module_refs != 0)) {
        proc_object_release(&m->header);
        return;
    }
    local->module = m;   /* adopted when the stock was empty */
    if (++local->module_refs == 2 * PROC_LOCAL_MODULE_BATCH) {
        /* Never the last reference: the stock keeps the rest. */
        proc_object_release_n(&m->header, PROC_LOCAL_MODULE_BATCH);
        local->module_refs -= PROC_LOCAL_MODULE_BATCH;
    }
}

void proc_local_bind(proc_local *local)
{
    exec_mempool_cache_bind(local ? &local->memory : NULL);
}

void proc_local_flush(proc_local *local, proc_reuse *reuse)
{
    exec_mempool_cache_flush(&local->memory);
    while (local->nexecs)
        proc_reuse_exec_done(reuse, local->execs[--local->nexecs]);
    local_module_flush(local);
}
