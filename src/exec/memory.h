/*
 * memory.h - linear memories: creation with an effective page cap, growth,
 * reference counting. The whole effective maximum is reserved up front (a
 * private reservation, or a pool slot; see mempool.h), except that a pool
 * memory starts in a slot of its initial size and moves once, on the
 * growth past it (memory.c): the base changes only in exec_memory_grow.
 */
#ifndef ISOLA_EXEC_MEMORY_H
#define ISOLA_EXEC_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/runtime.h"

/*
 * Creates a memory of `declared.min` pages. Its cap is the declared maximum
 * (if any), further capped by `cap_pages` (the engine's and the instance's
 * limits). A minimum above the cap is an ISOLA_ERR_RESOURCE error.
 */
isola_memory *exec_memory_create(isola_engine *engine, wasm_limits declared, uint32_t cap_pages,
                                 isola_error *err);
isola_memory *exec_memory_retain(isola_memory *m);

/* memory.grow: false (and no change) if the result would pass max_pages or
 * the pages cannot be committed. New pages read as zero. */
bool exec_memory_grow(isola_memory *m, uint32_t delta, uint32_t *old_pages);

#endif
