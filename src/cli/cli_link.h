/*
 * cli_link.h - resolving a module's imports for `isola run`. Today nothing
 * is provided, so any import is reported by name; WASI and the isola guest
 * API plug in here as import providers.
 */
#ifndef ISOLA_CLI_LINK_H
#define ISOLA_CLI_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <isola/engine.h>

/* The resolved imports, in the module's import order, and the host objects behind them. */
typedef struct cli_imports {
    isola_extern *externs;   /* count entries, handed to isola_instantiate */
    uint32_t count;
} cli_imports;

/*
 * Resolves every import of `module`. On failure returns false with one line
 * in why naming the first import that could not be resolved.
 */
bool cli_link_imports(isola_engine *engine, isola_module *module, cli_imports *out,
                      char *why, size_t why_size);

/* Releases whatever cli_link_imports created; safe on a zeroed cli_imports. */
void cli_imports_release(cli_imports *imports);

#endif
