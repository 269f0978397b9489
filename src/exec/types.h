/*
 * types.h - the engine-wide registry of canonical function types.
 *
 * Every function type the engine sees (module type sections, host functions)
 * is interned here and gets a small integer id; two structurally equal types
 * always get the same id. call_indirect and import matching then compare
 * types with one integer compare, across modules.
 *
 * Ids are never freed while the engine lives (types are tiny and modules
 * reuse them). Entries never move once created, so exec_types_get() and
 * exec_types_api() may be called without the lock for any id the caller
 * obtained from exec_types_intern().
 */
#ifndef ISOLA_EXEC_TYPES_H
#define ISOLA_EXEC_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "isola/engine.h"
#include "wasm/module.h"

struct type_registry;

struct type_registry *exec_types_new(void);
void exec_types_free(struct type_registry *reg);

/* Finds or adds `type`; false only when out of memory (or over the id limit). Thread-safe. */
bool exec_types_intern(struct type_registry *reg, const wasm_functype *type, uint32_t *id);

/* The canonical type with this id (owned by the registry). */
const wasm_functype *exec_types_get(const struct type_registry *reg, uint32_t id);

/* The same type in the public API's form; the arrays are owned by the registry. */
void exec_types_api(const struct type_registry *reg, uint32_t id, isola_functype *out);

/* Number of distinct types interned so far. */
uint32_t exec_types_count(struct type_registry *reg);

#endif
