/*
 * cli_link.h - resolving a module's imports for `isola run`. WASI
 * preview1 is provided (when a WASI context is given); the isola guest API
 * plugs in here as another import provider. Anything else is reported by name.
 */
#ifndef ISOLA_CLI_LINK_H
#define ISOLA_CLI_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <isola/engine.h>
#include <isola/wasi.h>

/* The resolved imports, in the module's import order, and the host objects behind them. */
typedef struct cli_imports {
    isola_extern *externs;   /* count entries, handed to isola_instantiate */
    uint32_t count;
} cli_imports;

/*
 * Resolves every import of `module`; imports of "wasi_snapshot_preview1"
 * come from `wasi` (may be NULL: none). On failure returns false with one
 * line in why naming the first import that could not be resolved.
 */
bool cli_link_imports(isola_engine *engine, isola_module *module, isola_wasi *wasi,
                      cli_imports *out, char *why, size_t why_size);

/* Releases whatever cli_link_imports created; safe on a zeroed cli_imports. */
void cli_imports_release(cli_imports *imports);

#endif
