/*
 * validate.h - the WebAssembly 2.0 validation algorithm.
 *
 * Checks a decoded module against the spec's validation rules: every function
 * body by the operand-stack/control-frame algorithm of the spec appendix
 * (including stack-polymorphic code after unreachable/br/return), plus the
 * module-level rules (indices in range, constant-expression types, limits,
 * unique export names, start function type, element/data segment rules,
 * declared function references for ref.func). Covers MVP, mutable globals,
 * sign extension, saturating truncation, multi-value, bulk memory, reference
 * types and 128-bit SIMD.
 */
#ifndef ISOLA_WASM_VALIDATE_H
#define ISOLA_WASM_VALIDATE_H

#include <stdbool.h>

#include "wasm/error.h"
#include "wasm/module.h"

/* Returns true if valid; otherwise false with `err` filled in (offset into the binary). */
bool wasm_validate(const wasm_module *m, wasm_error *err);

#endif
