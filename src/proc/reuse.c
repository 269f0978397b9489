/*
 * proc/reuse.c - reuse of what ended processes leave behind (see reuse.h).
 *
 * On the VMs isola is measured on, the first write to a fresh page costs
 * 20-35 us (fault plus zeroing by the hypervisor), far more than the rest of
 * a spawn. A new execution context is three allocations whose first pages
 * get written at once (frames[0], the entry's slots); a cached one already
 * has them, and LIFO order hands out the one used most recently, still in
 * cache. Linear memories get the same treatment in the engine's pool
 * (exec/mempool.c, warm slots), and when there are none to reuse, idle
 * workers populate the pages of the fresh slots that spawns take next
 * (proc_reuse_prefault), off the spawner's path. Both caches and the
 * prefaulted pages are bounded, and proc_reuse_trim empties them, so the
 * resident size of a VM whose processes have all ended returns to its
 * baseline.
 */
#include "proc/reuse.h"

#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "exec/mempool.h"
#include "exec/runtime.h"

void proc_reuse_init(proc_reuse *reuse)
{
    util_spin_init(&reuse->lock);
    reuse->nexecs = 0;
}

static void reuse_drop_execs(proc_reuse *reuse)
{
    util_spin_lock(&reuse->lock);
    uint32_t n = reuse->nexecs;
    isola_exec *execs[PROC_REUSE_EXECS];
    for (uint32_t i = 0; i < n; i++)
        execs[i] = reuse->execs[i];
    reuse->nexecs = 0;
    util_spin_unlock(&reuse->lock);
    for (uint32_t i = 0; i < n; i++)
        isola_exec_release(execs[i]);
}

void proc_reuse_fini(proc_reuse *reuse)
{
    reuse_drop_execs(reuse);
}

isola_exec *proc_reuse_exec(proc_reuse *reuse, isola_engine *engine, const isola_exec_config *cfg,
                            isola_error *err)
{
    util_spin_lock(&reuse->lock);
    isola_exec *e = reuse->nexecs ? reuse->execs[--reuse->nexecs] : NULL;
    util_spin_unlock(&reuse->lock);
    if (!e)
        return isola_exec_new(engine, cfg, err);
    isola_exec_reset(e);
    return e;
}

void proc_reuse_exec_done(proc_reuse *reuse, isola_exec *exec)
{
    util_spin_lock(&reuse->lock);
    bool kept = reuse->nexecs < PROC_REUSE_EXECS;
    if (kept)
        reuse->execs[reuse->nexecs++] = exec;
    util_spin_unlock(&reuse->lock);
    if (!kept)
        isola_exec_release(exec);
}

bool proc_reuse_prefault(isola_engine *engine)
{
    return exec_mempool_prefault(engine->pool, PROC_REUSE_PREFAULT);
}

void proc_reuse_idle(isola_engine *engine)
{
    exec_mempool_give_back(engine->pool);
}

void proc_reuse_trim(proc_reuse *reuse, isola_engine *engine)
{
    reuse_drop_execs(reuse);
    exec_mempool_trim(engine->pool);
    exec_mempool_trim(engine->exec_pool);
#if defined(__GLIBC__)
    /* Freed process structs, instances and messages are spread over the
     * heap; glibc returns only its top on free, this returns the rest. */
    malloc_trim(0);
#endif
}
