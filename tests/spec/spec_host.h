/*
 * spec_host.h - the `spectest` host module every spec script may import:
 * the print functions (quiet no-ops), the four globals holding 666 / 666.6,
 * a funcref table of 10..20 elements and a memory of 1..2 pages.
 *
 * One spec_host belongs to one script run, like the reference interpreter's
 * single spectest instance: a memory or table a script imports twice is the
 * same object both times.
 */
#ifndef SPEC_HOST_H
#define SPEC_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "isola/engine.h"

typedef struct spec_host spec_host;

/* NULL on failure, with the reason in `why`. */
spec_host *spec_host_new(isola_engine *engine, char *why, size_t why_size);
void spec_host_release(spec_host *host);

/* Finds `field` of spectest; the extern is borrowed from the host. */
bool spec_host_lookup(const spec_host *host, const char *field, size_t field_len, isola_extern *out);

#endif
