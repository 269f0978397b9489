/*
 * hostfunc.h - reference counting of function objects. Host functions are
 * reference-counted on their own; a wasm function lives exactly as long as
 * its instance, so retaining one is a no-op (hold the instance instead).
 */
#ifndef ISOLA_EXEC_HOSTFUNC_H
#define ISOLA_EXEC_HOSTFUNC_H

#include "exec/runtime.h"

isola_func *exec_func_retain(isola_func *f);

static inline bool exec_func_is_host(const isola_func *f) { return f->host != NULL; }

#endif
