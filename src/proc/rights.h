/*
 * proc/rights.h - the rights a handle carries, as the kernel-object layer
 * sees them: the public bits (isola/rights.h) and the mask of those known.
 */
#ifndef ISOLA_PROC_RIGHTS_H
#define ISOLA_PROC_RIGHTS_H

#include <stdint.h>

#include "isola/rights.h"   /* the bits themselves: public, part of the ABI */

#define ISOLA_RIGHTS_KNOWN ISOLA_RIGHTS_ALL

#endif
