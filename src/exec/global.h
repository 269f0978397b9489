/*
 * global.h - global cells, and the conversions between the public
 * isola_value and the 64-bit slots that globals, tables and the interpreter
 * store values in. Also evaluates constant expressions, whose only inputs
 * are globals and functions of the instance.
 */
#ifndef ISOLA_EXEC_GLOBAL_H
#define ISOLA_EXEC_GLOBAL_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/runtime.h"

isola_global *exec_global_create(wasm_globaltype type, const uint64_t value[2], isola_error *err);
isola_global *exec_global_retain(isola_global *g);

/* isola_value <-> slots (a v128 uses both; other types only slot 0). */
void exec_value_to_slots(const isola_value *v, uint64_t out[2]);
isola_value exec_value_from_slots(wasm_valtype type, const uint64_t in[2]);
/* True if `t` is one of the value types of WebAssembly 2.0. */
bool exec_valtype_ok(int t);

/* Evaluates a validated constant expression in `inst` (whose globals and
 * funcs used by `e` must already exist) into two slots. */
void exec_const_eval(isola_instance *inst, const wasm_constexpr *e, uint64_t out[2]);

#endif
