/*
 * proc/status.h - the status codes of the kernel-object layer. They are the
 * same numbers the guest API (module "isola") will return: 0 or a positive
 * value (a handle) on success, a negative int32 on failure. The values are
 * part of the guest ABI: never renumber, only append.
 */
#ifndef ISOLA_PROC_STATUS_H
#define ISOLA_PROC_STATUS_H

#include <stdint.h>

typedef enum proc_status {
    PROC_OK = 0,
    ISOLA_EBADHANDLE = -1, /* not a live handle of this process (never was, closed, or stale) */
    ISOLA_EACCES = -2,     /* the handle lacks a right the operation needs */
    ISOLA_ETYPE = -3,      /* the handle names an object of another type */
    ISOLA_EREVOKED = -4,   /* the handle was derived through a revoker that has been revoked */
    ISOLA_ENOMEM = -5,     /* the host is out of memory */
    ISOLA_ELIMIT = -6,     /* a per-process limit (handles, children, ...) would be exceeded */
    ISOLA_EFULL = -7,      /* the destination queue is full (count or bytes) */
    ISOLA_EPEER = -8,      /* send: the other end of the channel is closed */
    ISOLA_ECLOSED = -9,    /* receive: the queue is drained and no sender is left */
    ISOLA_EAGAIN = -10,    /* receive: no matching message yet (the caller may have been parked) */
    ISOLA_EINVAL = -11,    /* a malformed argument (duplicate handle in a message, bad flags, ...) */
    ISOLA_ETOOBIG = -12,   /* the message can never fit the destination queue's byte limit */
    ISOLA_EBUSY = -13,     /* another receiver is already parked on this queue */
    ISOLA_EDEADLOCK = -14, /* host wait: processes are alive but none can ever run again */
    ISOLA_ELOOP = -15,     /* send: an endpoint in the message would end up (transitively) queued in itself */
    ISOLA_ESTART = -16,    /* spawn: the child's start function trapped */
} proc_status;

/* A short fixed name for a status ("ISOLA_EACCES"), or "ISOLA_E?" for an unknown value. */
const char *proc_status_name(int32_t status);

/* One line saying what the status means, for error messages. */
const char *proc_status_message(int32_t status);

#endif
