/*
 * module.c - lifetime and lookups of a decoded wasm_module: freeing
 * everything the decoder allocated, and finding exports by name.
 */
#include "wasm/module.h"

#include <stdlib.h>
#include <string.h>

void wasm_module_free(wasm_module *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->ntypes; i++)
        free(m->types[i].types);
    free(m->types);
    free(m->imports);
    /* Only defined functions own a locals array; imported entries leave it NULL. */
    for (uint32_t i = 0; i < m->nfuncs; i++)
        free(m->funcs[i].locals);
    free(m->funcs);
    free(m->tables);
    free(m->memories);
    free(m->globals);
    free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++)
        free(m->elems[i].items);
    free(m->elems);
    free(m->datas);
    free(m->name_storage);
    free(m->bytes);
    free(m);
}

const wasm_export *wasm_module_find_export(const wasm_module *m, const char *name, size_t len)
{
    /* Linear search: export lookups happen at instantiation and embedding
     * time, not per call, and modules rarely export more than a few dozen. */
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *e = &m->exports[i];
        if (e->name.len == len && memcmp(e->name.data, name, len) == 0)
            return e;
    }
    return NULL;
}
