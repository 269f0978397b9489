/*
 * isola/rights.h - the rights a handle carries, for the host API
 * (isola_vm_duplicate, isola_vm_derive) as for guests (the same bits in
 * sdk/isola.h). A right is checked on every use of a handle; rights can
 * only be dropped (a duplicate with a subset), never added. The bit values
 * are part of the ABI.
 */
#ifndef ISOLA_RIGHTS_H
#define ISOLA_RIGHTS_H

enum isola_right {
    ISOLA_RIGHT_SEND = 1u << 0,      /* send into a channel endpoint, or to a process's mailbox */
    ISOLA_RIGHT_RECEIVE = 1u << 1,   /* receive from a channel endpoint */
    ISOLA_RIGHT_SPAWN = 1u << 2,     /* spawn processes from a module */
    ISOLA_RIGHT_KILL = 1u << 3,      /* end a process (and detach one's own child) */
    ISOLA_RIGHT_MONITOR = 1u << 4,   /* monitor or link a process */
    ISOLA_RIGHT_DUPLICATE = 1u << 5, /* make another handle to the same object */
    ISOLA_RIGHT_TRANSFER = 1u << 6,  /* move the handle to another process in a message */
    ISOLA_RIGHT_REVOKE = 1u << 7,    /* revoke through a revoker */
    /* bits 8..31 are reserved for later rights */
};

#define ISOLA_RIGHTS_ALL 0xFFu   /* every right defined so far */

#endif
