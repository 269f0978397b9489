/*
 * isola/status.h - the failure codes every process-level call returns: the
 * host API (isola/proc.h) and the guest API (module "isola", the same
 * numbers in sdk/isola.h). 0 or a positive value (a handle, a size) is
 * success; a failure is one of these negative values. They are part of
 * the ABI: never renumbered, only appended to. isola_vm_strerror names
 * them; docs/guest-api.md says when each is returned.
 */
#ifndef ISOLA_STATUS_H
#define ISOLA_STATUS_H

enum isola_proc_status {
    ISOLA_EBADHANDLE = -1, /* not a live handle of this process (never was, closed, or stale) */
    ISOLA_EACCES = -2,     /* the handle lacks a right the operation needs */
    ISOLA_ETYPE = -3,      /* the handle names an object of another type */
    ISOLA_EREVOKED = -4,   /* the handle was derived through a revoker that has been revoked */
    ISOLA_ENOMEM = -5,     /* the host is out of memory */
    ISOLA_ELIMIT = -6,     /* a per-process limit (handles, children, ...) would be exceeded */
    ISOLA_EFULL = -7,      /* the destination queue is full (count, bytes or handles) */
    ISOLA_EPEER = -8,      /* send: the other end of the channel is closed */
    ISOLA_ECLOSED = -9,    /* receive: the queue is drained and no sender is left */
    ISOLA_EAGAIN = -10,    /* receive: no matching message yet (the caller may have been parked) */
    ISOLA_EINVAL = -11,    /* a malformed argument (duplicate handle in a message, bad flags, ...) */
    ISOLA_ETOOBIG = -12,   /* the message can never fit the destination queue */
    ISOLA_EBUSY = -13,     /* another receiver is already parked on this queue */
    ISOLA_EDEADLOCK = -14, /* host wait: processes are alive but none can ever run again */
    ISOLA_ELOOP = -15,     /* send: an endpoint in the message would end up (transitively) queued in itself */
    ISOLA_ESTART = -16,    /* spawn: the child's start function trapped */
};

#endif
