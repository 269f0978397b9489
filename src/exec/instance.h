/*
 * instance.h - instance internals shared by the object layer.
 */
#ifndef ISOLA_EXEC_INSTANCE_H
#define ISOLA_EXEC_INSTANCE_H

#include <stdbool.h>

#include "exec/runtime.h"

/* Does an import of the given declared limits accept an object whose current
 * size is `actual_min` and whose declared limits are `actual`? (Spec limits
 * subtyping: bigger minimum, and a maximum no bigger than the declared one.) */
bool exec_limits_match(uint32_t actual_min, wasm_limits actual, wasm_limits declared);

/* For a host that instantiates one module many times from one import list
 * it never changes (the process layer: a module's imports are resolved
 * once, at load): the check isola_instantiate makes at every call, once
 * (false with err set), then instantiations that skip it. The engine must
 * be the module's; the imports must be the ones checked, alive and unchanged.
 * It also refuses a module whose own memories need more pages than the
 * engine allows (no instance of it could be made). */
bool exec_check_imports(isola_engine *engine, const isola_module *module, const isola_extern *imports,
                        uint32_t nimports, isola_error *err);
isola_instance *exec_instantiate_checked(isola_engine *engine, isola_module *module, const isola_extern *imports,
                                         const isola_instance_limits *limits, isola_exec *exec, isola_error *err);

/* Where a process of `module` may start: the export `name`, a function
 * of no parameters. Its index in the function space in *index (for
 * exec_instance_func once there is an instance); false with err set
 * otherwise. No instance needed: a spawn checks its entry before the
 * instance is made (proc/process.c). */
bool exec_module_entry(isola_module *module, const char *name, size_t len, uint32_t *index, isola_error *err);

/* Whether every active data and element segment of `module` has a
 * constant offset and fits its memory or table at its minimum size: then
 * an instantiation can fail only for want of resources, never with the
 * spec's out-of-bounds trap. False when it cannot tell (an offset read
 * from a global, an imported memory or table). */
bool exec_module_segments_fit(const isola_module *module);

/* memory.grow of `m` by code of `inst`: asks the instance's hook, if it has
 * one (isola_instance_limits.memory_growing), before growing. */
bool exec_instance_grow_memory(isola_instance *inst, isola_memory *m, uint32_t delta, uint32_t *old_pages);

/* Makes the function object of defined function `index` (see below). */
isola_func *exec_instance_func_make(isola_instance *inst, uint32_t index);

/* The function object of function `index` of `inst` (what a funcref, a
 * table element, an export or a backtrace needs), made on first use from
 * the module's template; NULL only if that allocation fails. Safe to call
 * from several threads at once. Inline: the interpreter's ref.func asks. */
static inline isola_func *exec_instance_func(isola_instance *inst, uint32_t index)
{
    isola_func *f = __atomic_load_n(&inst->funcs[index], __ATOMIC_ACQUIRE);
    return f ? f : exec_instance_func_make(inst, index);
}

#endif
