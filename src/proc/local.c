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

void proc_local_init(proc_local *local)
{
    *local = (proc_local){0};
    util_spin_init(&local->lock);
    exec_mempool_cache_init(&local->memory);
}

isola_exec *proc_local_take_exec(proc_local *local)
{
    if (!local)
        return NULL;
    util_spin_lock(&local->lock);
    isola_exec *e = local->nexecs ? local->execs[--local->nexecs] : NULL;
    util_spin_unlock(&local->lock);
    return e;
}

bool proc_local_keep_exec(proc_local *local, isola_exec *exec)
{
    if (!local)
        return false;
    util_spin_lock(&local->lock);
    bool kept = local->nexecs < PROC_LOCAL_EXECS;
    if (kept)
        local->execs[local->nexecs++] = exec;
    util_spin_unlock(&local->lock);
    return kept;
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

void proc_local_drain(proc_local *local, proc_reuse *reuse)
{
    exec_mempool_cache_flush(&local->memory);
    isola_exec *execs[PROC_LOCAL_EXECS];
    util_spin_lock(&local->lock);
    uint32_t n = local->nexecs;
    for (uint32_t i = 0; i < n; i++)
        execs[i] = local->execs[i];
    local->nexecs = 0;
    util_spin_unlock(&local->lock);
    for (uint32_t i = 0; i < n; i++)
        proc_reuse_exec_done(reuse, execs[i]);
}

void proc_local_flush(proc_local *local, proc_reuse *reuse)
{
    proc_local_drain(local, reuse);
    local_module_flush(local);
}
