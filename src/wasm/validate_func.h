/*
 * validate_func.h - type checking of one function body (the instruction
 * rules of WebAssembly 2.0, including SIMD), used by validate.c.
 */
#ifndef ISOLA_WASM_VALIDATE_FUNC_H
#define ISOLA_WASM_VALIDATE_FUNC_H

#include <stdbool.h>
#include <stdint.h>

#include "wasm/module.h"
#include "wasm/validate_stack.h"

/*
 * Validates defined function `funcidx` of s->m. `declared[i]` is true when
 * function i may be named by ref.func (the spec's C.refs). Module-level facts
 * the body relies on (type indices of functions, limits, and so on) must have
 * been checked already. On failure s->err holds the offset and reason.
 */
bool wasm_validate_body(wasm_vstate *s, uint32_t funcidx, const bool *declared);

#endif
