/*
 * translate.h - validated wasm function bodies to interpreter code.
 *
 * Translation runs once per defined function when a module is loaded; the
 * resulting exec_code is immutable and shared by every instance of the
 * module. The layout of exec_code is private to translate.c and interp.c.
 */
#ifndef ISOLA_EXEC_TRANSLATE_H
#define ISOLA_EXEC_TRANSLATE_H

#include <stdint.h>

#include "exec/runtime.h"
#include "wasm/error.h"

struct exec_code;

/*
 * Translates defined function `funcidx` (an index in the function index
 * space, past the imports) of `module`, whose `wasm` is validated and whose
 * `type_ids` are filled in. Returns NULL with `err` set only on resource
 * failure (a validated body always translates).
 */
struct exec_code *exec_translate(const isola_module *module, uint32_t funcidx, wasm_error *err);
void exec_code_free(struct exec_code *code);
/* Once every body of the module is translated: points each call_direct of
 * `code` at its callee's code, saving the callee lookup on every call. */
void exec_code_link(struct exec_code *code);

#endif
