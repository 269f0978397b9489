/*
 * fuzz/fuzz_guest.h - what the targets that run a replay guest share:
 * loading the guest into an engine of their own, and the memory-slot
 * checks made once every process has ended. Static functions: each target
 * is one translation unit.
 */
#ifndef FUZZ_GUEST_H
#define FUZZ_GUEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "exec/mempool.h"
#include "exec/runtime.h"
#include "isola/engine.h"

/* Loads the guest at $env_var, else default_path, into a new engine
 * (small memory slots); NULL with the reason in *why. */
static isola_module *fuzz_guest_load(const char *env_var, const char *default_path, isola_engine **engine,
                                     const char **why)
{
    const char *path = getenv(env_var);
    if (!path)
        path = default_path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = "cannot open the replay guest";
        return NULL;
    }
    static uint8_t bytes[1 << 20];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    static isola_error err;
    isola_engine_config cfg = {.max_memory_pages = 64, .pool_slot_pages = 16};
    *engine = isola_engine_new(&cfg, &err);
    isola_module *m = *engine ? isola_module_load(*engine, bytes, len, &err) : NULL;
    if (!m)
        *why = err.message;
    return m;
}

static uint64_t fuzz_slots_in_use(const isola_engine *engine)
{
    return exec_mempool_in_use(engine->pool);
}

/* Slots in use once the pool has settled: when the last process ends, the
 * worker that ended it trims the pool, and a slot being trimmed counts as in
 * use for that moment (after isola_vm_wait_all has already returned). */
static uint64_t fuzz_slots_settled(const isola_engine *engine)
{
    uint64_t n = fuzz_slots_in_use(engine);
    for (int i = 0; n != 0 && i < 10000; i++) {   /* at most about 10 s */
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        n = fuzz_slots_in_use(engine);
    }
    return n;
}

#endif
