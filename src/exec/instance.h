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

/* The function object of function `index` of `inst` (what a funcref, a
 * table element, an export or a backtrace needs), made on first use from
 * the module's template; NULL only if that allocation fails. Safe to call
 * from several threads at once. */
isola_func *exec_instance_func(isola_instance *inst, uint32_t index);

#endif
