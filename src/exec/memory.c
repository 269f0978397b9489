/*
 * memory.c - linear memories (see memory.h) and their public API.
 *
 * A memory lives in a pool slot when its effective maximum fits one; there
 * every page of the slot is already readable and writable (and zero), so
 * growing is just bookkeeping. Otherwise it has a private PROT_NONE
 * reservation of its whole maximum and growing commits pages with mprotect,
 * so a big memory costs commit charge only for what it uses.
 *
 * A pool memory starts in the smallest slot its initial size fits, and the
 * first time it grows past that slot it moves, once, to a slot of its
 * maximum (memory_move). Why: the pages a memory touches cost a page-table
 * page per 2 MiB of address space, so a process with the default limit of
 * 16 MiB that never grows would keep 4 KiB of page tables of its own in a
 * slot of its maximum, and one in a 64 KiB slot shares that page with 31
 * others. The interpreter reloads the base after memory.grow and after
 * every call, where it may have moved.
 */
#include "exec/memory.h"

#include <assert.h>
#include <stdlib.h>

#include "exec/mempool.h"
#include "util/error.h"
#include "util/refcount.h"

isola_memory *exec_memory_create(isola_engine *engine, wasm_limits declared, uint32_t cap_pages,
                                 isola_error *err)
{
    assert(engine);
    uint32_t max_pages = declared.has_max ? declared.max : WASM_MAX_PAGES;
    if (max_pages > cap_pages)
        max_pages = cap_pages;
    if (declared.min > max_pages) {
        util_error_set(err, ISOLA_ERR_RESOURCE,
                       "memory of %u pages exceeds the limit of %u pages", declared.min, max_pages);
        return NULL;
    }
    isola_memory *m = calloc(1, sizeof *m);
    if (!m) {
        util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory allocating a memory");
        return NULL;
    }
    uint64_t max_bytes = (uint64_t)max_pages * WASM_PAGE_SIZE;
    uint64_t min_bytes = (uint64_t)declared.min * WASM_PAGE_SIZE;
    if (max_bytes <= exec_mempool_slot_bytes(engine->pool)) {
        m->base = exec_mempool_take_fit(engine->pool, min_bytes, &m->pool_slot, &m->reserved);
    } else {
        m->pool_slot = -1;
        m->reserved = max_bytes;
        m->base = exec_mempool_reserve(max_bytes);
        if (m->base && !exec_mempool_commit(m->base, 0, min_bytes)) {
            exec_mempool_release(m->base, max_bytes);
            m->base = NULL;
        }
    }
    if (!m->base) {
        free(m);
        util_error_set(err, ISOLA_ERR_RESOURCE, "cannot reserve address space for a memory of up to %u pages",
                       max_pages);
        return NULL;
    }
    m->pages = declared.min;
    m->size = min_bytes;
    m->max_pages = max_pages;
    m->declared = declared;
    m->engine = engine;
    atomic_init(&m->refcount, 1);
    return m;
}

isola_memory *exec_memory_retain(isola_memory *m)
{
    atomic_fetch_add(&m->refcount, 1);
    return m;
}

/* Moves a pool memory to a slot that holds its maximum: the pages it has
 * touched are copied, the old slot goes back. False (nothing changed) when
 * no slot can be had. */
static bool memory_move(isola_memory *m)
{
    struct mem_pool *pool = m->engine->pool;
    int32_t slot;
    uint64_t reserved;
    uint8_t *base = exec_mempool_take_fit(pool, (uint64_t)m->max_pages * WASM_PAGE_SIZE, &slot, &reserved);
    if (!base)
        return false;
    assert(reserved > m->reserved);
    exec_mempool_copy_touched(pool, base, m->base, m->size);
    exec_mempool_give(pool, m->pool_slot, m->base, m->size);
    m->base = base;
    m->pool_slot = slot;
    m->reserved = reserved;
    return true;
}

bool exec_memory_grow(isola_memory *m, uint32_t delta, uint32_t *old_pages)
{
    uint64_t pages = (uint64_t)m->pages + delta;
    if (pages > m->max_pages)
        return false;
    uint64_t bytes = pages * WASM_PAGE_SIZE;
    if (bytes > m->reserved && !memory_move(m))
        return false;
    assert(bytes <= m->reserved);
    if (m->pool_slot < 0 && !exec_mempool_commit(m->base, m->size, bytes))
        return false;
    *old_pages = m->pages;
    m->pages = (uint32_t)pages;
    m->size = bytes;
    return true;
}

static void memory_free(isola_memory *m)
{
    if (m->pool_slot >= 0)
        exec_mempool_give(m->engine->pool, m->pool_slot, m->base, m->size);
    else
        exec_mempool_release(m->base, m->reserved);
    free(m);
}

/* ------------------------------------------------------------ public API */

isola_memory *isola_memory_new(isola_engine *engine, isola_limits pages, isola_error *err)
{
    if (!engine) {
        util_error_set(err, ISOLA_ERR_ARGUMENT, "no engine");
        return NULL;
    }
    if (pages.min > WASM_MAX_PAGES || (pages.has_max && pages.max > WASM_MAX_PAGES)) {
        util_error_set(err, ISOLA_ERR_ARGUMENT, "memory size must be at most 65536 pages (4GiB)");
        return NULL;
    }
    if (pages.has_max && pages.max < pages.min) {
        util_error_set(err, ISOLA_ERR_ARGUMENT, "size minimum must not be greater than maximum");
        return NULL;
    }
    wasm_limits declared = {.min = pages.min, .max = pages.max, .has_max = pages.has_max};
    return exec_memory_create(engine, declared, engine->config.max_memory_pages, err);
}

void isola_memory_release(isola_memory *memory)
{
    if (memory && util_ref_drop(&memory->refcount))
        memory_free(memory);
}

uint8_t *isola_memory_data(isola_memory *memory)
{
    return memory->base;
}

uint64_t isola_memory_size(const isola_memory *memory)
{
    return memory->size;
}

int64_t isola_memory_grow(isola_memory *memory, uint32_t delta)
{
    uint32_t old;
    return exec_memory_grow(memory, delta, &old) ? (int64_t)old : -1;
}
