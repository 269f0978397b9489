/*
 * table.h - tables of references: creation, growth, table.init semantics,
 * reference counting. Elements are uint64_t: an isola_func* for funcref
 * tables, the embedder's pointer for externref tables, 0 for null.
 *
 * A table does not keep the functions in it alive; see instance.c for how
 * function lifetimes are kept safe.
 */
#ifndef ISOLA_EXEC_TABLE_H
#define ISOLA_EXEC_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/runtime.h"

/* A table of `declared.min` null elements, capped at the declared maximum or WASM_MAX_TABLE_SIZE. */
isola_table *exec_table_create(wasm_valtype elemtype, wasm_limits declared, isola_error *err);
isola_table *exec_table_retain(isola_table *t);

/* table.grow: false (no change) if the new size passes the cap or allocation
 * fails. New elements are `init`. `elems` may move: reload it afterwards. */
bool exec_table_grow(isola_table *t, uint32_t delta, uint64_t init, uint32_t *old_size);

/* Whether table.init with these operands stays inside the segment and the
 * table (a dropped segment has length 0). */
bool exec_table_init_in_bounds(const isola_instance *inst, uint32_t table_index, uint32_t elem_index,
                               uint32_t dst, uint32_t src, uint32_t n);

/* table.init of instance `inst`: copies n items of element segment
 * `elem_index` from `src` into table `table_index` at `dst`. A dropped
 * segment has length 0. False (nothing written) when out of bounds. */
bool exec_table_init(isola_instance *inst, uint32_t table_index, uint32_t elem_index,
                     uint32_t dst, uint32_t src, uint32_t n);

#endif
