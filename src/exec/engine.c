/*
 * engine.c - the engine: configuration defaults and checks, and ownership of
 * the engine-wide shared state (memory pool, type registry, kept instances).
 */
#include "exec/engine.h"

#include <stdlib.h>

#include "exec/mempool.h"
#include "exec/types.h"
#include "util/error.h"

#define ENGINE_DEFAULT_MAX_MEMORY_PAGES 65536u
#define ENGINE_DEFAULT_POOL_SLOT_PAGES 256u

static bool engine_config_check(const isola_engine_config *in, isola_engine_config *out, isola_error *err)
{
    out->max_memory_pages = ENGINE_DEFAULT_MAX_MEMORY_PAGES;
    out->pool_slot_pages = ENGINE_DEFAULT_POOL_SLOT_PAGES;
    if (!in)
        return true;
    if (in->max_memory_pages > WASM_MAX_PAGES)
        return util_error_set(err, ISOLA_ERR_ARGUMENT, "max_memory_pages %u is above 65536",
                              in->max_memory_pages);
    if (in->pool_slot_pages > WASM_MAX_PAGES)
        return util_error_set(err, ISOLA_ERR_ARGUMENT, "pool_slot_pages %u is above 65536",
                              in->pool_slot_pages);
    /* Zero means "default", so a zero-initialised config is a valid one. */
    if (in->max_memory_pages)
        out->max_memory_pages = in->max_memory_pages;
    if (in->pool_slot_pages)
        out->pool_slot_pages = in->pool_slot_pages;
    return true;
}

isola_engine *isola_engine_new(const isola_engine_config *cfg, isola_error *err)
{
    isola_engine_config config;
    if (!engine_config_check(cfg, &config, err))
        return NULL;
    isola_engine *engine = calloc(1, sizeof *engine);
    if (!engine) {
        util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory allocating the engine");
        return NULL;
    }
    engine->config = config;
    engine->pool = exec_mempool_new((uint64_t)config.pool_slot_pages * WASM_PAGE_SIZE);
    engine->exec_pool = exec_mempool_new_scratch(EXEC_POOL_SLOT_BYTES);
    engine->types = exec_types_new();
    if (!engine->pool || !engine->exec_pool || !engine->types || pthread_mutex_init(&engine->lock, NULL) != 0) {
        exec_mempool_free(engine->pool);
        exec_mempool_free(engine->exec_pool);
        exec_types_free(engine->types);
        free(engine);
        util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory allocating the engine");
        return NULL;
    }
    return engine;
}

void isola_engine_release(isola_engine *engine)
{
    if (!engine)
        return;
    /* Kept instances may hold each other's imports; references sort out the order. */
    for (uint32_t i = 0; i < engine->nzombies; i++)
        isola_instance_release(engine->zombies[i]);
    free(engine->zombies);
    exec_mempool_free(engine->pool);
    exec_mempool_free(engine->exec_pool);
    exec_types_free(engine->types);
    pthread_mutex_destroy(&engine->lock);
    free(engine);
}

bool exec_engine_keep_instance(isola_engine *engine, isola_instance *inst)
{
    pthread_mutex_lock(&engine->lock);
    bool ok = true;
    if (engine->nzombies == engine->zombies_cap) {
        uint32_t cap = engine->zombies_cap ? engine->zombies_cap * 2 : 8;
        isola_instance **z = realloc(engine->zombies, cap * sizeof *z);
        if (z) {
            engine->zombies = z;
            engine->zombies_cap = cap;
        } else {
            ok = false;
        }
    }
    if (ok)
        engine->zombies[engine->nzombies++] = inst;
    pthread_mutex_unlock(&engine->lock);
    return ok;
}
