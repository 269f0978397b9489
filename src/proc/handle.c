/*
 * proc/handle.c - handle tables: slot allocation with generations, a FIFO
 * free list, rights checks and the revocation gate.
 */
#include "proc/handle.h"

#include <assert.h>
#include <stdlib.h>

#define HANDLE_INITIAL_CAPACITY 4u

static int32_t handle_make(uint32_t index, uint32_t generation)
{
    assert(index < PROC_HANDLE_MAX_SLOTS);
    assert(generation >= 1 && generation <= PROC_HANDLE_GENERATION_MAX);
    return (int32_t)((generation << PROC_HANDLE_INDEX_BITS) | index);
}

void proc_handle_table_init(proc_handle_table *table, uint32_t limit)
{
    *table = (proc_handle_table){
        .limit = limit < PROC_HANDLE_MAX_SLOTS ? limit : PROC_HANDLE_MAX_SLOTS,
        .free_head = PROC_HANDLE_NO_SLOT,
        .free_tail = PROC_HANDLE_NO_SLOT,
    };
}

void proc_handle_table_fini(proc_handle_table *table)
{
    /* Detach the array first: a destroy function may not re-enter this
     * table, but being defensive about it costs nothing. */
    proc_handle_entry *entries = table->entries;
    uint32_t used = table->fresh;
    table->entries = NULL;
    table->capacity = table->fresh = table->live = table->free_count = 0;
    table->free_head = table->free_tail = PROC_HANDLE_NO_SLOT;
    for (uint32_t i = 0; i < used; i++) {
        if (entries[i].object) {
            proc_object_release(entries[i].object);
            if (entries[i].gate)
                proc_object_release(&entries[i].gate->header);
        }
    }
    free(entries);
}

static int32_t handle_grow(proc_handle_table *table, uint32_t needed)
{
    uint64_t want = table->capacity ? table->capacity : HANDLE_INITIAL_CAPACITY;
    while (want < needed)
        want *= 2;
    /* Never more slots than the limit allows to be live at once. */
    if (want > table->limit)
        want = table->limit;
    if (want < needed)
        return ISOLA_ELIMIT;
    proc_handle_entry *entries = realloc(table->entries, (size_t)want * sizeof *entries);
    if (!entries)
        return ISOLA_ENOMEM;
    table->entries = entries;
    table->capacity = (uint32_t)want;
    return PROC_OK;
}

int32_t proc_handle_reserve(proc_handle_table *table, uint32_t count)
{
    if (count > table->limit - table->live)
        return ISOLA_ELIMIT;
    uint32_t available = table->capacity - table->live;
    if (count <= available)
        return PROC_OK;
    return handle_grow(table, table->live + count);
}

/* Pops a slot that is not live: fresh ones first, then the oldest freed. */
static uint32_t handle_slot_alloc(proc_handle_table *table)
{
    if (table->fresh < table->capacity) {
        uint32_t index = table->fresh++;
        table->entries[index].generation = 1;
        return index;
    }
    assert(table->free_count > 0);
    uint32_t index = table->free_head;
    table->free_head = table->entries[index].next_free;
    if (table->free_head == PROC_HANDLE_NO_SLOT)
        table->free_tail = PROC_HANDLE_NO_SLOT;
    table->free_count--;
    return index;
}

/* Returns a slot to the tail of the free list with the next generation. */
static void handle_slot_free(proc_handle_table *table, uint32_t index)
{
    proc_handle_entry *entry = &table->entries[index];
    entry->object = NULL;
    entry->gate = NULL;
    entry->generation = entry->generation == PROC_HANDLE_GENERATION_MAX ? 1 : entry->generation + 1;
    entry->next_free = PROC_HANDLE_NO_SLOT;
    if (table->free_tail == PROC_HANDLE_NO_SLOT)
        table->free_head = index;
    else
        table->entries[table->free_tail].next_free = index;
    table->free_tail = index;
    table->free_count++;
    table->live--;
}

int32_t proc_handle_insert(proc_handle_table *table, proc_object *object, uint32_t rights,
                           proc_revoker *gate)
{
    assert(object && object->type != PROC_OBJ_NONE);
    int32_t status = proc_handle_reserve(table, 1);
    if (status != PROC_OK)
        return status;
    uint32_t index = handle_slot_alloc(table);
    proc_handle_entry *entry = &table->entries[index];
    entry->object = object;
    entry->gate = gate;
    entry->rights = rights & ISOLA_RIGHTS_KNOWN;
    table->live++;
    assert(table->live + table->free_count + (table->capacity - table->fresh) == table->capacity);
    return handle_make(index, entry->generation);
}

static proc_handle_entry *handle_entry(const proc_handle_table *table, int32_t handle)
{
    return (proc_handle_entry *)proc_handle_entry_of(table, handle);
}

int32_t proc_handle_prepare_copy(proc_handle_table *table, int32_t handle, uint32_t rights, uint32_t slots,
                                 proc_object **object, proc_revoker **gate)
{
    const proc_handle_entry *entry;
    int32_t status = proc_handle_lookup(table, handle, PROC_OBJ_NONE, ISOLA_RIGHT_DUPLICATE, &entry);
    if (status != PROC_OK)
        return status;
    if (rights & ~ISOLA_RIGHTS_KNOWN)
        return ISOLA_EINVAL;
    if (rights & ~entry->rights)
        return ISOLA_EACCES;
    /* Copy out before reserving: growth may move the slot array. */
    *object = entry->object;
    *gate = entry->gate;
    return proc_handle_reserve(table, slots);
}

int32_t proc_handle_duplicate(proc_handle_table *table, int32_t handle, uint32_t rights)
{
    proc_object *object;
    proc_revoker *gate;
    int32_t status = proc_handle_prepare_copy(table, handle, rights, 1, &object, &gate);
    if (status != PROC_OK)
        return status;
    proc_object_retain(object);
    if (gate)
        proc_object_retain(&gate->header);
    int32_t copy = proc_handle_insert(table, object, rights, gate);
    assert(copy > 0);
    return copy;
}

int32_t proc_handle_close(proc_handle_table *table, int32_t handle)
{
    proc_handle_entry *entry = handle_entry(table, handle);
    if (!entry)
        return ISOLA_EBADHANDLE;
    proc_object *object = entry->object;
    proc_revoker *gate = entry->gate;
    handle_slot_free(table, proc_handle_index(handle));
    /* Release after the slot is consistent: destroy may run arbitrary code. */
    proc_object_release(object);
    if (gate)
        proc_object_release(&gate->header);
    return PROC_OK;
}

int32_t proc_handle_remove(proc_handle_table *table, int32_t handle, proc_handle_entry *out)
{
    const proc_handle_entry *entry = handle_entry(table, handle);
    if (!entry)
        return ISOLA_EBADHANDLE;
    out->object = entry->object;
    out->gate = entry->gate;
    out->rights = entry->rights;
    out->generation = 0;
    handle_slot_free(table, proc_handle_index(handle));
    return PROC_OK;
}

int32_t proc_handle_take(proc_handle_table *table, int32_t handle, proc_handle_entry *out)
{
    const proc_handle_entry *entry;
    int32_t status = proc_handle_lookup(table, handle, PROC_OBJ_NONE, ISOLA_RIGHT_TRANSFER, &entry);
    if (status != PROC_OK)
        return status;
    return proc_handle_remove(table, handle, out);
}

int32_t proc_handle_derive_revocable(proc_handle_table *table, int32_t handle, uint32_t rights,
                                     int32_t *derived, int32_t *revoker_handle)
{
    proc_object *object;
    proc_revoker *parent_gate;
    int32_t status = proc_handle_prepare_copy(table, handle, rights, 2, &object, &parent_gate);
    if (status != PROC_OK)
        return status;
    proc_revoker *revoker;
    status = proc_revoker_new(parent_gate, &revoker);
    if (status != PROC_OK)
        return status;
    /* References: the revoker handle owns the creation reference, the
     * derived entry owns one more as its gate, and one to the target. */
    proc_object_retain(&revoker->header);
    proc_object_retain(object);
    *revoker_handle = proc_handle_insert(table, &revoker->header,
                                         ISOLA_RIGHT_REVOKE | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER,
                                         NULL);
    *derived = proc_handle_insert(table, object, rights, revoker);
    assert(*revoker_handle > 0 && *derived > 0);
    return PROC_OK;
}

int32_t proc_handle_revoke(proc_handle_table *table, int32_t revoker_handle)
{
    proc_object *object;
    int32_t status = proc_handle_get(table, revoker_handle, PROC_OBJ_REVOKER, ISOLA_RIGHT_REVOKE, &object);
    if (status != PROC_OK)
        return status;
    proc_revoker_revoke((proc_revoker *)object);
    return PROC_OK;
}
