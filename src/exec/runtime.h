/*
 * runtime.h - the runtime objects behind the public engine API: engine,
 * module, function instance, memory, table, global and instance.
 *
 * These are shared by the object layer (engine.c, module.c, instance.c,
 * memory.c, table.c, global.c) that creates and frees them, and by the
 * interpreter (interp.c), which reads them on its hot paths. The layouts are
 * chosen for the interpreter: a memory's base changes only when it grows
 * (memory.c: once at most, out of a small first slot), so the interpreter
 * keeps `base` and `size` in registers and reloads both after calls and
 * memory.grow.
 */
#ifndef ISOLA_EXEC_RUNTIME_H
#define ISOLA_EXEC_RUNTIME_H

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "isola/engine.h"
#include "wasm/module.h"

struct exec_code;            /* translated function body: see translate.h */
struct mem_pool;             /* reserved address space for memories: see mempool.h */
struct type_registry;        /* canonical function types: see types.h */

/* Slot size of the engine's pool of execution stacks: a context that
 * outgrows its first small block (exec_stack_grow) takes its region from
 * it when the configured stack fits (a process's does), else from malloc. */
#define EXEC_POOL_SLOT_BYTES (64u << 10)

struct isola_engine {
    isola_engine_config config;
    struct mem_pool *pool;
    struct mem_pool *exec_pool;      /* execution stacks (exec.c), a scratch pool */
    struct type_registry *types;
    /* Instances whose instantiation trapped after their element segments had
     * put their functions into imported tables: per the spec those writes
     * stay, so the functions must stay callable. They are kept here until
     * the engine is released. Guarded by `lock`. */
    pthread_mutex_t lock;
    isola_instance **zombies;
    uint32_t nzombies, zombies_cap;
};

struct isola_module {
    atomic_uint refcount;
    isola_engine *engine;
    wasm_module *wasm;       /* decoded and validated; immutable */
    uint32_t *type_ids;      /* canonical id of each entry of wasm->types, for call_indirect */
    /* Translated code of each defined function: code[i] belongs to function
     * index wasm->nfunc_imports + i. Immutable and shared by all instances. */
    struct exec_code **code;
    /* The defined functions as an instance's function objects start, all
     * but their `instance`: each is copied when first needed
     * (exec_instance_func), not built from four arrays. */
    struct isola_func *func_template;
    /* The canonical type id of each function import, in import order: what
     * checking a spawn's imports compares, without walking the imports'
     * descriptions (names and all) each time. */
    uint32_t *import_type_ids;
    /* The export found by the last lookup by name (isola_instance_export_n):
     * processes of a module are spawned from the same entry, and trying it
     * first spares a search of every export name per spawn. A hint only:
     * any value below wasm->nexports is safe. */
    atomic_uint export_hint;
};

/*
 * A function instance: what a funcref points to and what a table holds.
 * Either a wasm function of some instance (instance != NULL, code != NULL)
 * or a host function (host != NULL), whose extra state lives in the
 * exec_host_func around it. An instance makes one for each of its
 * functions that escapes (a funcref, a table element, an export, the start
 * function), on first use.
 */
struct isola_func {
    uint32_t type_id;                  /* canonical signature id: equal ids, equal types */
    uint32_t func_index;               /* in the owner module's index space */
    const wasm_functype *type;
    isola_instance *instance;          /* owner; NULL for host functions */
    const struct exec_code *code;      /* wasm functions */
    struct exec_host_func *host;       /* host functions; NULL for wasm ones */
};

typedef struct exec_host_func {
    isola_func func;                   /* func.host points back here */
    isola_host_fn fn;
    void *user;
    atomic_uint refcount;              /* wasm functions live with their instance instead */
    wasm_functype type;                /* owned copy; func.type points here */
    isola_engine *engine;              /* whose type registry type_id belongs to */
} exec_host_func;


struct isola_memory {
    uint8_t *base;           /* moves only in exec_memory_grow (memory.c) */
    uint64_t size;           /* current size in bytes = pages * WASM_PAGE_SIZE */
    uint32_t pages;
    uint32_t max_pages;      /* effective cap: declared maximum and configured limits */
    wasm_limits declared;    /* limits as declared, for import matching */
    atomic_uint refcount;
    isola_engine *engine;
    uint64_t reserved;       /* bytes of address space reserved at base */
    int32_t pool_slot;       /* slot in the engine's pool, or -1 for a private reservation */
    isola_instance *owner;   /* defining instance (not referenced), NULL if host-created */
};

struct isola_table {
    uint64_t *elems;         /* isola_func* or externref, as uint64_t; 0 is null */
    uint32_t size;
    uint32_t max;            /* effective cap */
    wasm_limits declared;
    wasm_valtype elemtype;
    atomic_uint refcount;
    isola_instance *owner;   /* defining instance (not referenced), NULL if host-created */
};

struct isola_global {
    uint64_t value[2];       /* two slots so a v128 fits; scalars use value[0] */
    wasm_valtype type;
    bool mutable_;
    atomic_uint refcount;
    isola_instance *owner;   /* defining instance (not referenced), NULL if host-created */
};

struct isola_instance {
    atomic_uint refcount;
    isola_engine *engine;
    isola_module *module;

    /* Index spaces, imports first. Imported entries point at the exporter's
     * objects (and hold a reference on them, except host functions when
     * host_imports_borrowed); the rest are this instance's. */
    /* funcs[i] of a defined function is NULL until something needs its
     * function object (exec_instance_func): a call inside the module goes
     * straight to the code, so most of a process's functions never do. */
    isola_func **funcs;
    isola_memory **memories;
    isola_table **tables;
    isola_global **globals;

    /* Hot copy of memory 0, refreshed by the interpreter after anything that may grow it. */
    isola_memory *memory0;

    bool *elem_dropped;              /* elem.drop / data.drop state, per segment */
    bool *data_dropped;

    isola_instance **imported_instances;  /* instances whose functions we import (referenced) */
    uint32_t nimported_instances;
    bool host_imports_borrowed;      /* isola_instance_limits: no references to host imports */
    bool module_borrowed;            /* isola_instance_limits: no reference to `module` */

    void *userdata;

    /* Rarely used, so after the lines a process's every host call reads
     * (funcs, memory0, userdata: the scheduler prefetches two lines). */
    /* Elements its tables may still gain (isola_instance_limits.max_table_elements):
     * table.grow in its code takes from it, whichever table grows. */
    uint64_t table_budget;
    /* isola_instance_limits' memory.grow hook, or NULL (exec_instance_grow_memory). */
    bool (*memory_growing)(void *user, uint32_t delta_pages);
    void (*memory_grow_failed)(void *user, uint32_t delta_pages);
    void *grow_user;
};
_Static_assert(offsetof(struct isola_instance, userdata) < 128, "userdata is in the instance's first two lines");

/* What a host function receives: who called it (instance NULL when the
 * host called the function directly). The accessors are inline because
 * the isola API's calls (host/) read them on every message. */
struct isola_host_call {
    isola_exec *exec;
    isola_instance *instance;
};

static inline void *exec_call_userdata(const isola_host_call *call)
{
    return call->instance ? call->instance->userdata : NULL;
}

/* The caller's memory 0 object, or NULL. */
static inline const isola_memory *exec_call_memory0(const isola_host_call *call)
{
    return call->instance ? call->instance->memory0 : NULL;
}

static inline uint8_t *exec_call_memory(const isola_host_call *call, uint64_t *size)
{
    const isola_memory *m = exec_call_memory0(call);
    *size = m ? m->size : 0;
    return m ? m->base : NULL;
}

/* The engine whose type registry f->type_id belongs to. */
static inline isola_engine *exec_func_engine(const isola_func *f)
{
    return f->host ? f->host->engine : f->instance->engine;
}

#endif
