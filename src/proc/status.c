/*
 * proc/status.c - names and one-line descriptions of the proc_status codes.
 */
#include "proc/status.h"

#include <stddef.h>

typedef struct status_info {
    const char *name;
    const char *message;
} status_info;

/* Indexed by -status; the enum is dense from 0 down to ISOLA_ESTART. */
static const status_info status_table[] = {
    {"PROC_OK", "success"},
    {"ISOLA_EBADHANDLE", "not a live handle of this process"},
    {"ISOLA_EACCES", "the handle lacks a required right"},
    {"ISOLA_ETYPE", "the handle names an object of another type"},
    {"ISOLA_EREVOKED", "the handle has been revoked"},
    {"ISOLA_ENOMEM", "out of memory"},
    {"ISOLA_ELIMIT", "a per-process limit would be exceeded"},
    {"ISOLA_EFULL", "the destination queue is full"},
    {"ISOLA_EPEER", "the other end of the channel is closed"},
    {"ISOLA_ECLOSED", "the queue is drained and its peer is closed"},
    {"ISOLA_EAGAIN", "no matching message yet"},
    {"ISOLA_EINVAL", "invalid argument"},
    {"ISOLA_ETOOBIG", "the message exceeds the queue's byte limit"},
    {"ISOLA_EBUSY", "another receiver is already waiting on this queue"},
    {"ISOLA_EDEADLOCK", "deadlock: every live process is blocked and nothing can wake one"},
    {"ISOLA_ELOOP", "an endpoint in the message would be queued, directly or not, in its own queue"},
    {"ISOLA_ESTART", "the child's start function trapped"},
};

static const status_info *status_lookup(int32_t status)
{
    size_t n = sizeof status_table / sizeof status_table[0];
    if (status > 0 || (size_t)(-(int64_t)status) >= n)
        return NULL;
    return &status_table[-status];
}

const char *proc_status_name(int32_t status)
{
    const status_info *info = status_lookup(status);
    return info ? info->name : "ISOLA_E?";
}

const char *proc_status_message(int32_t status)
{
    const status_info *info = status_lookup(status);
    return info ? info->message : "unknown status";
}
