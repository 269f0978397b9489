/*
 * table.c - tables (see table.h) and their public API.
 */
#include "exec/table.h"

#include <assert.h>
#include <stdlib.h>

#include "exec/global.h"
#include "util/error.h"
#include "util/refcount.h"

isola_table *exec_table_create(wasm_valtype elemtype, wasm_limits declared, isola_error *err)
{
    assert(elemtype == WASM_FUNCREF || elemtype == WASM_EXTERNREF);
    uint32_t max = declared.has_max && declared.max < WASM_MAX_TABLE_SIZE ? declared.max : WASM_MAX_TABLE_SIZE;
    if (declared.min > max) {
        util_error_set(err, ISOLA_ERR_RESOURCE, "table of %u elements exceeds the limit of %u",
                       declared.min, max);
        return NULL;
    }
    isola_table *t = calloc(1, sizeof *t);
    /* Never a zero-byte allocation, so elems is never NULL. */
    uint64_t *elems = t ? calloc(declared.min ? declared.min : 1, sizeof *elems) : NULL;
    if (!elems) {
        free(t);
        util_error_set(err, ISOLA_ERR_RESOURCE, "out of memory allocating a table of %u elements",
                       declared.min);
        return NULL;
    }
    t->elems = elems;
    t->size = declared.min;
    t->max = max;
    t->declared = declared;
    t->elemtype = elemtype;
    atomic_init(&t->refcount, 1);
    return t;
}

isola_table *exec_table_retain(isola_table *t)
{
    atomic_fetch_add(&t->refcount, 1);
    return t;
}

bool exec_table_grow(isola_table *t, uint32_t delta, uint64_t init, uint32_t *old_size)
{
    uint64_t size = (uint64_t)t->size + delta;
    if (size > t->max)
        return false;
    if (delta > 0) {
        uint64_t *elems = realloc(t->elems, (size_t)size * sizeof *elems);
        if (!elems)
            return false;
        for (uint64_t i = t->size; i < size; i++)
            elems[i] = init;
        t->elems = elems;
    }
    *old_size = t->size;
    t->size = (uint32_t)size;
    return true;
}

bool exec_table_init_in_bounds(const isola_instance *inst, uint32_t table_index, uint32_t elem_index,
                               uint32_t dst, uint32_t src, uint32_t n)
{
    const wasm_module *m = inst->module->wasm;
    assert(table_index < m->ntables && elem_index < m->nelems);
    uint64_t seg_len = inst->elem_dropped[elem_index] ? 0 : m->elems[elem_index].count;
    return (uint64_t)src + n <= seg_len && (uint64_t)dst + n <= inst->tables[table_index]->size;
}

bool exec_table_init(isola_instance *inst, uint32_t table_index, uint32_t elem_index,
                     uint32_t dst, uint32_t src, uint32_t n)
{
    if (!exec_table_init_in_bounds(inst, table_index, elem_index, dst, src, n))
        return false;
    isola_table *t = inst->tables[table_index];
    const wasm_elem_segment *seg = &inst->module->wasm->elems[elem_index];
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v[2];
        exec_const_eval(inst, &seg->items[src + i], v);
        t->elems[dst + i] = v[0];
    }
    return true;
}

static void table_free(isola_table *t)
{
    free(t->elems);
    free(t);
}

/* ------------------------------------------------------------ public API */

isola_table *isola_table_new(isola_engine *engine, isola_valtype elem, isola_limits limits,
                             isola_error *err)
{
    (void)engine;
    if (elem != ISOLA_FUNCREF && elem != ISOLA_EXTERNREF) {
        util_error_set(err, ISOLA_ERR_ARGUMENT, "table element type must be funcref or externref");
        return NULL;
    }
    if (limits.has_max && limits.max < limits.min) {
        util_error_set(err, ISOLA_ERR_ARGUMENT, "size minimum must not be greater than maximum");
        return NULL;
    }
    wasm_limits declared = {.min = limits.min, .max = limits.max, .has_max = limits.has_max};
    return exec_table_create((wasm_valtype)elem, declared, err);
}

void isola_table_release(isola_table *table)
{
    if (table && util_ref_drop(&table->refcount))
        table_free(table);
}

uint32_t isola_table_size(const isola_table *table)
{
    return table->size;
}

bool isola_table_get(const isola_table *table, uint32_t index, isola_value *out)
{
    if (index >= table->size)
        return false;
    uint64_t slots[2] = {table->elems[index], 0};
    *out = exec_value_from_slots(table->elemtype, slots);
    return true;
}

bool isola_table_set(isola_table *table, uint32_t index, isola_value value)
{
    if (index >= table->size || (int)value.type != table->elemtype)
        return false;
    uint64_t slots[2];
    exec_value_to_slots(&value, slots);
    table->elems[index] = slots[0];
    return true;
}
