/*
 * proc/local.h - what a worker keeps for itself, so that a spawn and an
 * end on that worker touch no cache line another core writes: execution
 * contexts left by ended processes, linear memory slots (the engine's
 * mempool_cache, bound to the worker's thread), and a stock of references
 * to the module it spawns from most (proc_object_stock, bound to the
 * thread too: its spawns, ends and module handles all use it).
 *
 * Why: with two workers, every shared lock or count that a spawn and an
 * end take moves its cache line between the cores (skynet spawns 1.1
 * million processes, and a child often ends on the other worker). The
 * VM-wide context cache (reuse.h) and the module's reference count were
 * two such lines per process, each taken twice.
 *
 * Only the worker's own thread uses its proc_local, with one exception:
 * the trim when the VM empties drains every worker's contexts and memory
 * slots (proc_local_drain), so that the pools it trims have nothing in
 * use and drop their free lists too (megabytes after a million
 * processes). Contexts and slots are therefore under a lock of their own,
 * uncontended but for that drain. What a worker holds is bounded and goes
 * back (proc_local_flush) when it is about to sleep and when it stops, so
 * an idle VM holds nothing here: a module whose handles are all closed
 * goes away once its processes have ended and the workers have run out
 * of work.
 */
#ifndef ISOLA_PROC_LOCAL_H
#define ISOLA_PROC_LOCAL_H

#include <stdint.h>

#include "exec/mempool.h"
#include "isola/engine.h"
#include "proc/object.h"
#include "util/spinlock.h"

struct proc_reuse;

/* Contexts a worker keeps: a spawn burst's worth, 4 KiB of stack page each. */
#define PROC_LOCAL_EXECS 32u

typedef struct proc_local {
    util_spinlock lock;                    /* execs (see above) */
    isola_exec *execs[PROC_LOCAL_EXECS];   /* made with the process stack config */
    uint32_t nexecs;
    proc_object_stock modules;             /* module references (proc/object.h) */
    mempool_cache memory;                  /* small memory slots (exec/mempool.h) */
} proc_local;

void proc_local_init(proc_local *local);
/* Binds what the engine keeps per thread to the calling thread (the worker's own). */
void proc_local_bind(proc_local *local);

/* A cached context (not reset), or NULL. `local` may be NULL (not a worker). */
isola_exec *proc_local_take_exec(proc_local *local);
/* Keeps `exec`; false when full (the caller hands it on). */
bool proc_local_keep_exec(proc_local *local, isola_exec *exec);

/* Hands everything back: contexts to `reuse`, references to their
 * modules, memory slots to their pool. The owner's thread only. */
void proc_local_flush(proc_local *local, struct proc_reuse *reuse);
/* Contexts and memory slots alone, from any thread. */
void proc_local_drain(proc_local *local, struct proc_reuse *reuse);

#endif
