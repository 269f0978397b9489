/*
 * engine.h - engine internals shared by the object layer: the list of
 * instances the engine keeps alive on behalf of the spec (see runtime.h,
 * `zombies`).
 */
#ifndef ISOLA_EXEC_ENGINE_H
#define ISOLA_EXEC_ENGINE_H

#include <stdbool.h>

#include "exec/runtime.h"

/* Takes over one reference to `inst` until the engine is released. False when out of memory. */
bool exec_engine_keep_instance(isola_engine *engine, isola_instance *inst);

#endif
