/*
 * proc/reuse.h - what ended processes leave for the next spawn: a bounded
 * cache of execution contexts (their stacks already have pages behind
 * them), the pages of fresh memory slots prepared by idle workers,
 * and the trim that gives cached memory back to the OS when the VM falls
 * idle. See reuse.c for why.
 */
#ifndef ISOLA_PROC_REUSE_H
#define ISOLA_PROC_REUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "isola/engine.h"
#include "util/spinlock.h"

/* Contexts kept at most: enough to absorb bursts of ends and spawns, small
 * next to the RSS of that many live processes. */
#define PROC_REUSE_EXECS 256u

typedef struct proc_reuse {
    util_spinlock lock;
    isola_exec *execs[PROC_REUSE_EXECS];   /* all made with the process stack config */
    uint32_t nexecs;
} proc_reuse;

void proc_reuse_init(proc_reuse *reuse);
/* Frees every cached context. */
void proc_reuse_fini(proc_reuse *reuse);

/* A context with the process stack config `cfg`: a cached one (reset), else a new one. */
isola_exec *proc_reuse_exec(proc_reuse *reuse, isola_engine *engine, const isola_exec_config *cfg,
                            isola_error *err);
/* Hands back a context made by proc_reuse_exec (cached, or released when full). */
void proc_reuse_exec_done(proc_reuse *reuse, isola_exec *exec);

/* Fresh memory slots prepared per call of proc_reuse_prefault, at most. */
#define PROC_REUSE_PREFAULT 2u

/* Work for a worker with nothing to run: prepares the pages of the
 * memory slots the next spawns will take, while spawns find none to reuse
 * (exec_mempool_prefault). Returns whether there was any to do. */
bool proc_reuse_prefault(isola_engine *engine);

/* For a worker about to sleep: the pages of ended processes' memories
 * that wait to be given back in one batch go back now (exec_mempool_give_back). */
void proc_reuse_idle(isola_engine *engine);

/* Gives cached memory back to the OS: cached contexts, the engine's warm
 * memory slots and (with glibc) free heap pages. For when nothing runs. */
void proc_reuse_trim(proc_reuse *reuse, isola_engine *engine);

#endif
