/*
 * proc/handle.h - a process's handle table: the only way a process names a
 * kernel object.
 *
 * A handle is a positive int32: (generation << PROC_HANDLE_INDEX_BITS) | index.
 * The index picks a slot; the generation must match the slot's current one,
 * so a closed handle whose slot has been reused reads as ISOLA_EBADHANDLE,
 * never as the new occupant. Generations run 1..PROC_HANDLE_GENERATION_MAX,
 * so 0 and every negative value (an error code) are never handles.
 *
 * Invariants
 *   - Every slot in [0, capacity) is exactly one of: live (object != NULL),
 *     fresh (index >= fresh, never used), or on the free list.
 *     Hence live + free_count + (capacity - fresh) == capacity.
 *   - A live slot owns one reference to `object` and, if non-NULL, one to
 *     `gate` (the revoker it was derived through; see revoker.h).
 *   - live <= limit, capacity <= PROC_HANDLE_MAX_SLOTS.
 *   - Slot reuse: fresh slots first, then the free list in FIFO order, so a
 *     closed slot comes back as late as possible. A generation wraps after
 *     PROC_HANDLE_GENERATION_MAX reuses of one slot; only then could a
 *     stale handle name a new object (documented limit of an int32 handle).
 *
 * Threads: a table belongs to one process and is used by one thread at a
 * time (the worker running that process, or the scheduler after it ended).
 * Objects are shared; tables are not, so the table itself takes no lock.
 *
 * Every operation is O(1) except growth of the slot array (amortized O(1),
 * doubling) and proc_handle_table_fini (O(capacity)).
 */
#ifndef ISOLA_PROC_HANDLE_H
#define ISOLA_PROC_HANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "proc/object.h"
#include "proc/revoker.h"
#include "proc/rights.h"
#include "proc/status.h"

#define PROC_HANDLE_INDEX_BITS 20
#define PROC_HANDLE_MAX_SLOTS (1u << PROC_HANDLE_INDEX_BITS)
#define PROC_HANDLE_GENERATION_MAX ((1u << (31 - PROC_HANDLE_INDEX_BITS)) - 1)
#define PROC_HANDLE_NO_SLOT UINT32_MAX

typedef struct proc_handle_entry {
    proc_object *object;   /* NULL when the slot is not live */
    proc_revoker *gate;    /* revoker this handle was derived through, or NULL */
    union {
        uint32_t rights;    /* live slot: ISOLA_RIGHT_* bits */
        uint32_t next_free; /* free slot: next slot on the free list */
    };
    uint32_t generation;   /* the generation a handle to this slot must carry */
} proc_handle_entry;

typedef struct proc_handle_table {
    proc_handle_entry *entries;
    uint32_t capacity;
    uint32_t fresh;        /* slots [fresh, capacity) were never used */
    uint32_t live;
    uint32_t limit;        /* the process's handle-count limit */
    uint32_t free_count;
    uint32_t free_head;    /* oldest freed slot, reused first */
    uint32_t free_tail;
} proc_handle_table;

/* An empty table that will hold at most `limit` live handles (clamped to
 * PROC_HANDLE_MAX_SLOTS). Allocates nothing until the first insert. */
void proc_handle_table_init(proc_handle_table *table, uint32_t limit);

/* Closes every live handle (dropping its references) and frees the slots. */
void proc_handle_table_fini(proc_handle_table *table);

/* Makes sure `count` inserts will succeed without allocating: PROC_OK,
 * ISOLA_ELIMIT (over the table's limit) or ISOLA_ENOMEM. */
int32_t proc_handle_reserve(proc_handle_table *table, uint32_t count);

/* Installs `object` with `rights` (and gate, may be NULL). On success the
 * table takes over the caller's reference to `object` and to `gate` and the
 * new handle (> 0) is returned; on failure (ISOLA_ELIMIT, ISOLA_ENOMEM) the
 * caller keeps them. */
int32_t proc_handle_insert(proc_handle_table *table, proc_object *object, uint32_t rights,
                           proc_revoker *gate);

static inline uint32_t proc_handle_index(int32_t handle)
{
    return (uint32_t)handle & (PROC_HANDLE_MAX_SLOTS - 1);
}

static inline uint32_t proc_handle_generation(int32_t handle)
{
    return (uint32_t)handle >> PROC_HANDLE_INDEX_BITS;
}

/* The live entry `handle` names, or NULL for anything else (forged, stale, closed). */
static inline const proc_handle_entry *proc_handle_entry_of(const proc_handle_table *table, int32_t handle)
{
    if (handle <= 0)
        return NULL;
    uint32_t index = proc_handle_index(handle);
    if (index >= table->fresh)
        return NULL;
    const proc_handle_entry *entry = &table->entries[index];
    if (!entry->object || entry->generation != proc_handle_generation(handle))
        return NULL;
    return entry;
}

/* Checks `handle`: live, not revoked, of `type` (PROC_OBJ_NONE: any type)
 * and holding every bit of `rights`. On PROC_OK stores the entry (valid
 * until the next insert or close on this table) in *entry. Inline: every
 * send and receive starts here. */
static inline int32_t proc_handle_lookup(const proc_handle_table *table, int32_t handle, proc_object_type type,
                                         uint32_t rights, const proc_handle_entry **out)
{
    const proc_handle_entry *entry = proc_handle_entry_of(table, handle);
    if (!entry)
        return ISOLA_EBADHANDLE;
    if (entry->gate && proc_revoker_is_revoked(entry->gate))
        return ISOLA_EREVOKED;
    if (type != PROC_OBJ_NONE && entry->object->type != type)
        return ISOLA_ETYPE;
    if ((entry->rights & rights) != rights)
        return ISOLA_EACCES;
    *out = entry;
    return PROC_OK;
}

/* proc_handle_lookup that gives only the object (borrowed, same lifetime). */
static inline int32_t proc_handle_get(const proc_handle_table *table, int32_t handle, proc_object_type type,
                                      uint32_t rights, proc_object **object)
{
    const proc_handle_entry *entry;
    int32_t status = proc_handle_lookup(table, handle, type, rights, &entry);
    if (status == PROC_OK)
        *object = entry->object;
    return status;
}

/* A new handle to the same object with `rights`, which must be a subset of
 * the source's (ISOLA_EACCES otherwise). Needs ISOLA_RIGHT_DUPLICATE.
 * The copy keeps the source's gate. Returns the new handle or an error. */
int32_t proc_handle_duplicate(proc_handle_table *table, int32_t handle, uint32_t rights);

/* Removes the handle and drops its references (works on revoked handles). */
int32_t proc_handle_close(proc_handle_table *table, int32_t handle);

/* Removes the handle for a transfer (needs ISOLA_RIGHT_TRANSFER) and moves its
 * object, gate and rights into *out: the caller now owns those references. */
int32_t proc_handle_take(proc_handle_table *table, int32_t handle, proc_handle_entry *out);

/* The same without any check but that the handle is live: for a transfer
 * whose checks were made earlier. A revoker on another thread may revoke
 * the gate in between; the entry must still go (its references are moving
 * on, to a message or another table, where the revocation holds as well).
 * ISOLA_EBADHANDLE only for a handle that is not in the table. */
int32_t proc_handle_remove(proc_handle_table *table, int32_t handle, proc_handle_entry *out);

/* The common start of every operation that makes a new handle from
 * `handle`: it needs ISOLA_RIGHT_DUPLICATE, `rights` must be a known subset
 * of its rights, and `slots` table entries are reserved. On success *object
 * and *gate are the source's (borrowed: retain what the new entry keeps). */
int32_t proc_handle_prepare_copy(proc_handle_table *table, int32_t handle, uint32_t rights, uint32_t slots,
                                 proc_object **object, proc_revoker **gate);

/* Makes a revocable copy of `handle` (needs ISOLA_RIGHT_DUPLICATE; `rights` a
 * subset) plus a handle to a new revoker (rights REVOKE | DUPLICATE |
 * TRANSFER) that cuts the copy, and every handle later derived from it, off.
 * All or nothing. */
int32_t proc_handle_derive_revocable(proc_handle_table *table, int32_t handle, uint32_t rights,
                                     int32_t *derived, int32_t *revoker);

/* Revokes through a revoker handle (needs ISOLA_RIGHT_REVOKE). */
int32_t proc_handle_revoke(proc_handle_table *table, int32_t revoker_handle);

static inline uint32_t proc_handle_count(const proc_handle_table *table)
{
    return table->live;
}

#endif
