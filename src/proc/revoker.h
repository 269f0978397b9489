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
 * A guest (or the host) can also create a revoker on its own
 * (proc_revoker_handle_new) and derive any number of handles through it
 * (proc_revoker_derive): one revoke then cuts all of them off, e.g. every
 * capability granted to one client. A handle that was gated already gets a
 * join node as its new gate (`also` = the chosen revoker, `parent` = the old
 * gate), so it is cut off when either is revoked. Join nodes are never
 * named by a handle, and `also` is always a revoker some handle names.
 *
 * A check walks a gate's parents and, at join nodes, the `also` chains:
 * `weight` counts the nodes it visits (with repeats, since chains can
 * share nodes). Gates weigh at most PROC_REVOKER_MAX_WEIGHT, and a derive
 * that would make a heavier one fails with ISOLA_ELIMIT: otherwise a guest
 * deriving through two revokers in turn could grow a chain without end,
 * each check and the recursive release walking all of it (a long enough
 * chain overflowed the worker's stack when freed).
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
#include <stdint.h>

#include "proc/object.h"

typedef struct proc_revoker {
    proc_object header;            /* type PROC_OBJ_REVOKER */
    atomic_bool revoked;
    struct proc_revoker *parent;   /* owned reference, or NULL */
    struct proc_revoker *also;     /* join nodes: the revoker derived through (owned), else NULL */
    uint32_t weight;               /* nodes a check visits: 1 + parent's + also's */
} proc_revoker;

#define PROC_REVOKER_MAX_WEIGHT 64u

/* A new, unrevoked revoker (refcount 1) chained under `parent` (may be NULL;
 * retained) into *out. ISOLA_ELIMIT past PROC_REVOKER_MAX_WEIGHT, ISOLA_ENOMEM. */
int32_t proc_revoker_new(proc_revoker *parent, proc_revoker **out);

/* A gate revoked when `gate` or `revoker` is (both retained), into *out;
 * fails like proc_revoker_new. */
int32_t proc_revoker_join(proc_revoker *gate, proc_revoker *revoker, proc_revoker **out);

/* Revokes for good; idempotent, callable from any thread. */
void proc_revoker_revoke(proc_revoker *revoker);

/* True when this revoker or an ancestor has been revoked. NULL is never revoked. */
bool proc_revoker_is_revoked(const proc_revoker *revoker);

struct proc_handle_table;

/* A new revoker in `table`: the handle (REVOKE, DUPLICATE, TRANSFER) or
 * ISOLA_ELIMIT / ISOLA_ENOMEM. */
int32_t proc_revoker_handle_new(struct proc_handle_table *table);

/* A new handle to what `handle` names, with `rights` (a subset of its own;
 * needs DUPLICATE), cut off when the revoker behind `revoker_handle` (any
 * rights) is revoked, or when anything `handle` was gated by is. Returns
 * the handle, or ISOLA_EBADHANDLE, ISOLA_EACCES, ISOLA_ETYPE (the second
 * is not a revoker), ISOLA_EREVOKED (either is revoked), ISOLA_EINVAL
 * (unknown rights bits), ISOLA_ELIMIT, ISOLA_ENOMEM. */
int32_t proc_revoker_derive(struct proc_handle_table *table, int32_t handle, int32_t revoker_handle,
                            uint32_t rights);

static inline proc_object *proc_revoker_object(proc_revoker *revoker)
{
    return &revoker->header;
}

#endif
