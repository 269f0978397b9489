/*
 * cli_link.c - import resolution for `isola run`.
 *
 * Each import is offered to the providers in turn; the first that knows the
 * (module, field) pair creates a host object for it. WASI preview1 is the
 * one provider today; an import nobody provides fails with a message that
 * names it and its type.
 */
#include "cli_link.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *extern_kind_name(isola_extern_kind kind)
{
    switch (kind) {
    case ISOLA_EXTERN_FUNC: return "func";
    case ISOLA_EXTERN_TABLE: return "table";
    case ISOLA_EXTERN_MEMORY: return "memory";
    case ISOLA_EXTERN_GLOBAL: return "global";
    }
    return "extern";
}

/*
 * Finds a host object for one import. Providers (WASI, later the isola
 * guest API) are consulted here; returning false means "nobody provides
 * it", with the provider's reason in why when it knew the module.
 */
static bool resolve_import(isola_engine *engine, isola_wasi *wasi, const char *module_name,
                           const char *field_name, const isola_externtype *type, isola_extern *out,
                           char *why, size_t why_size)
{
    if (wasi && strcmp(module_name, ISOLA_WASI_MODULE) == 0) {
        isola_error err;
        memset(&err, 0, sizeof err);
        if (isola_wasi_define(wasi, engine, field_name, strlen(field_name), type, out, &err))
            return true;
        snprintf(why, why_size, "%s", err.message);
    }
    return false;
}

/* Import names are length-counted and may hold any bytes; make a printable C copy. */
static char *printable_name(const char *name, size_t len)
{
    char *copy = malloc(len * 4 + 1);
    if (!copy)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x20 && c < 0x7F && c != '\\' && c != '"')
            copy[j++] = (char)c;
        else
            j += (size_t)sprintf(copy + j, "\\%02x", c);
    }
    copy[j] = '\0';
    return copy;
}

bool cli_link_imports(isola_engine *engine, isola_module *module, isola_wasi *wasi,
                      cli_imports *out, char *why, size_t why_size)
{
    assert(engine && module && out);
    memset(out, 0, sizeof *out);
    uint32_t count = isola_module_import_count(module);
    if (count == 0)
        return true;
    out->externs = calloc(count, sizeof *out->externs);
    if (!out->externs) {
        snprintf(why, why_size, "out of memory resolving %u imports", count);
        return false;
    }
    for (uint32_t i = 0; i < count; i++) {
        const char *mod = NULL, *field = NULL;
        size_t mod_len = 0, field_len = 0;
        isola_externtype type;
        memset(&type, 0, sizeof type);
        isola_module_import(module, i, &mod, &mod_len, &field, &field_len, &type);
        char *mod_text = printable_name(mod, mod_len);
        char *field_text = printable_name(field, field_len);
        char reason[256] = "isola run provides only WASI preview1 imports";
        bool found = mod_text && field_text &&
                     resolve_import(engine, wasi, mod_text, field_text, &type, &out->externs[i],
                                    reason, sizeof reason);
        if (!found)
            snprintf(why, why_size, "unresolved import \"%s\" \"%s\" (%s): %s",
                     mod_text ? mod_text : "?", field_text ? field_text : "?",
                     extern_kind_name(type.kind), reason);
        free(mod_text);
        free(field_text);
        if (!found) {
            cli_imports_release(out);
            return false;
        }
        out->count = i + 1;
    }
    return true;
}

static void release_extern(isola_extern *ext)
{
    switch (ext->kind) {
    case ISOLA_EXTERN_FUNC: isola_func_release(ext->of.func); break;
    case ISOLA_EXTERN_TABLE: isola_table_release(ext->of.table); break;
    case ISOLA_EXTERN_MEMORY: isola_memory_release(ext->of.memory); break;
    case ISOLA_EXTERN_GLOBAL: isola_global_release(ext->of.global); break;
    }
}

void cli_imports_release(cli_imports *imports)
{
    for (uint32_t i = 0; i < imports->count; i++)
        release_extern(&imports->externs[i]);
    free(imports->externs);
    memset(imports, 0, sizeof *imports);
}
