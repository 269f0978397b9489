/*
 * proc/status.h - the status codes of the kernel-object layer. They are the
 * same numbers the guest API (module "isola") will return: 0 or a positive
 * value (a handle) on success, a negative int32 on failure. The values are
 * part of the guest ABI: never renumber, only append.
 */
#ifndef ISOLA_PROC_STATUS_H
#define ISOLA_PROC_STATUS_H

#include <stdint.h>

#include "isola/status.h"   /* the ISOLA_E* codes: public, part of the ABI */

/* Success, as the kernel-object layer spells it. */
enum { PROC_OK = 0 };

/* A short fixed name for a status ("ISOLA_EACCES"), or "ISOLA_E?" for an unknown value. */
const char *proc_status_name(int32_t status);

/* One line saying what the status means, for error messages. */
const char *proc_status_message(int32_t status);

#endif
