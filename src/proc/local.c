/*
 * proc/local.c - a worker's own stock of contexts and module references
 * (see local.h).
 */
#include "proc/local.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

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

void proc_local_bind(proc_local *local)
{
    exec_mempool_cache_bind(local ? &local->memory : NULL);
    proc_object_bind_stock(local ? &local->modules : NULL);
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
    proc_object_stock_flush(&local->modules);
}
