/*
 * proc/revoker.h - revocable capabilities.
 *
 * A revoker is a kernel object with a one-way `revoked` flag. A handle can
 * be derived "through" a revoker (proc_handle_derive_revocable): the new
 * handle-table entry names the same target object but also carries a
 * reference to the revoker, its gate. Every lookup of a gated handle checks
 * the gate and fails with ISOLA_EREVOKED once it is revoked; duplicates and
 * copies moved in messages keep the gate, so revocation reaches every handle
 * derived from the original, wherever it has travelled. Whoever holds the
 * revoker (a handle with ISOLA_RIGHT_REVOKE) can revoke.
 *
 * Deriving through a revoker from a handle that is already gated chains the
 * revokers (the new one's parent is the old gate): revoking either cuts the
 * derived handle off.
 *
 * Revocation stops every new operation through the handles; it does not
 * drop their references to the target, which go when the handles are
 * closed (or their process ends). An operation that looked the handle up
 * before the revoke completes (a send racing with a revoke is ordered
 * either before or after it).
 */
#ifndef ISOLA_PROC_REVOKER_H
#define ISOLA_PROC_REVOKER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "proc/object.h"

typedef struct proc_revoker {
    proc_object header;            /* type PROC_OBJ_REVOKER */
    atomic_bool revoked;
    struct proc_revoker *parent;   /* owned reference, or NULL */
} proc_revoker;

/* A new, unrevoked revoker (refcount 1) chained under `parent` (may be NULL;
 * retained). NULL when out of memory. */
proc_revoker *proc_revoker_new(proc_revoker *parent);

/* Revokes for good; idempotent, callable from any thread. */
void proc_revoker_revoke(proc_revoker *revoker);

/* True when this revoker or an ancestor has been revoked. NULL is never revoked. */
bool proc_revoker_is_revoked(const proc_revoker *revoker);

static inline proc_object *proc_revoker_object(proc_revoker *revoker)
{
    return &revoker->header;
}

#endif
