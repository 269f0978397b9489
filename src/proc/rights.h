/*
 * proc/rights.h - the rights a handle carries. A right is checked on every
 * use of a handle; rights can only be dropped (duplicate with a subset),
 * never added. The bit values are part of the guest ABI.
 */
#ifndef ISOLA_PROC_RIGHTS_H
#define ISOLA_PROC_RIGHTS_H

#include <stdint.h>

enum {
    ISOLA_RIGHT_SEND = 1u << 0,      /* send into a channel endpoint */
    ISOLA_RIGHT_RECEIVE = 1u << 1,   /* receive from a channel endpoint */
    ISOLA_RIGHT_SPAWN = 1u << 2,     /* spawn processes from a module */
    ISOLA_RIGHT_KILL = 1u << 3,      /* end a process */
    ISOLA_RIGHT_MONITOR = 1u << 4,   /* monitor or link a process */
    ISOLA_RIGHT_DUPLICATE = 1u << 5, /* make another handle to the same object */
    ISOLA_RIGHT_TRANSFER = 1u << 6,  /* move the handle to another process in a message */
    ISOLA_RIGHT_REVOKE = 1u << 7,    /* revoke through a revoker */
    /* bits 8..31 are reserved for later rights */
};

#define ISOLA_RIGHTS_KNOWN 0xFFu
#define ISOLA_RIGHTS_ALL ISOLA_RIGHTS_KNOWN

#endif
