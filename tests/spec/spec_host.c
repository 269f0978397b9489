/*
 * spec_host.c - the `spectest` host module (see spec_host.h).
 */
#include "spec_host.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct spec_host_entry {
    const char *name;
    isola_extern ext;
} spec_host_entry;

#define SPEC_HOST_MAX_ENTRIES 16

struct spec_host {
    spec_host_entry entries[SPEC_HOST_MAX_ENTRIES];
    size_t count;
};

/* The print functions only have to exist with the right types; the suite
 * never checks what they print, and silence keeps the runner's output useful. */
static isola_host_result spec_host_print(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)call;
    (void)slots;
    (void)user;
    return ISOLA_HOST_RETURN;
}

static void spec_host_add(spec_host *host, const char *name, isola_extern ext)
{
    assert(host->count < SPEC_HOST_MAX_ENTRIES);
    host->entries[host->count].name = name;
    host->entries[host->count].ext = ext;
    host->count++;
}

static bool spec_host_add_print(spec_host *host, isola_engine *engine, const char *name,
                                uint32_t nparams, const isola_valtype *params,
                                char *why, size_t why_size)
{
    isola_functype type = { .nparams = nparams, .nresults = 0, .params = params, .results = NULL };
    isola_error err = { 0 };
    isola_func *func = isola_func_new(engine, &type, spec_host_print, NULL, &err);
    if (!func) {
        snprintf(why, why_size, "spectest.%s: %s", name, err.message);
        return false;
    }
    spec_host_add(host, name, (isola_extern){ .kind = ISOLA_EXTERN_FUNC, .of.func = func });
    return true;
}

static bool spec_host_add_global(spec_host *host, isola_engine *engine, const char *name,
                                 isola_value value, char *why, size_t why_size)
{
    isola_error err = { 0 };
    isola_global *global = isola_global_new(engine, value, false, &err);
    if (!global) {
        snprintf(why, why_size, "spectest.%s: %s", name, err.message);
        return false;
    }
    spec_host_add(host, name, (isola_extern){ .kind = ISOLA_EXTERN_GLOBAL, .of.global = global });
    return true;
}

static bool spec_host_add_prints(spec_host *host, isola_engine *engine, char *why, size_t why_size)
{
    static const isola_valtype i32[] = { ISOLA_I32 };
    static const isola_valtype i64[] = { ISOLA_I64 };
    static const isola_valtype f32[] = { ISOLA_F32 };
    static const isola_valtype f64[] = { ISOLA_F64 };
    static const isola_valtype i32_f32[] = { ISOLA_I32, ISOLA_F32 };
    static const isola_valtype f64_f64[] = { ISOLA_F64, ISOLA_F64 };
    return spec_host_add_print(host, engine, "print", 0, NULL, why, why_size)
        && spec_host_add_print(host, engine, "print_i32", 1, i32, why, why_size)
        && spec_host_add_print(host, engine, "print_i64", 1, i64, why, why_size)
        && spec_host_add_print(host, engine, "print_f32", 1, f32, why, why_size)
        && spec_host_add_print(host, engine, "print_f64", 1, f64, why, why_size)
        && spec_host_add_print(host, engine, "print_i32_f32", 2, i32_f32, why, why_size)
        && spec_host_add_print(host, engine, "print_f64_f64", 2, f64_f64, why, why_size);
}

static bool spec_host_add_globals(spec_host *host, isola_engine *engine, char *why, size_t why_size)
{
    isola_value i32 = { .type = ISOLA_I32, .of.i32 = 666 };
    isola_value i64 = { .type = ISOLA_I64, .of.i64 = 666 };
    isola_value f32 = { .type = ISOLA_F32, .of.f32 = 666.6f };
    isola_value f64 = { .type = ISOLA_F64, .of.f64 = 666.6 };
    return spec_host_add_global(host, engine, "global_i32", i32, why, why_size)
        && spec_host_add_global(host, engine, "global_i64", i64, why, why_size)
        && spec_host_add_global(host, engine, "global_f32", f32, why, why_size)
        && spec_host_add_global(host, engine, "global_f64", f64, why, why_size);
}

static bool spec_host_add_table_memory(spec_host *host, isola_engine *engine, char *why, size_t why_size)
{
    isola_error err = { 0 };
    isola_table *table = isola_table_new(engine, ISOLA_FUNCREF,
                                         (isola_limits){ .min = 10, .max = 20, .has_max = true }, &err);
    if (!table) {
        snprintf(why, why_size, "spectest.table: %s", err.message);
        return false;
    }
    spec_host_add(host, "table", (isola_extern){ .kind = ISOLA_EXTERN_TABLE, .of.table = table });

    isola_memory *memory = isola_memory_new(engine, (isola_limits){ .min = 1, .max = 2, .has_max = true }, &err);
    if (!memory) {
        snprintf(why, why_size, "spectest.memory: %s", err.message);
        return false;
    }
    spec_host_add(host, "memory", (isola_extern){ .kind = ISOLA_EXTERN_MEMORY, .of.memory = memory });
    return true;
}

spec_host *spec_host_new(isola_engine *engine, char *why, size_t why_size)
{
    spec_host *host = calloc(1, sizeof *host);
    if (!host) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    if (!spec_host_add_prints(host, engine, why, why_size)
        || !spec_host_add_globals(host, engine, why, why_size)
        || !spec_host_add_table_memory(host, engine, why, why_size)) {
        spec_host_release(host);
        return NULL;
    }
    return host;
}

void spec_host_release(spec_host *host)
{
    if (!host) {
        return;
    }
    for (size_t i = 0; i < host->count; i++) {
        isola_extern *ext = &host->entries[i].ext;
        switch (ext->kind) {
        case ISOLA_EXTERN_FUNC: isola_func_release(ext->of.func); break;
        case ISOLA_EXTERN_TABLE: isola_table_release(ext->of.table); break;
        case ISOLA_EXTERN_MEMORY: isola_memory_release(ext->of.memory); break;
        case ISOLA_EXTERN_GLOBAL: isola_global_release(ext->of.global); break;
        }
    }
    free(host);
}

bool spec_host_lookup(const spec_host *host, const char *field, size_t field_len, isola_extern *out)
{
    for (size_t i = 0; i < host->count; i++) {
        const char *name = host->entries[i].name;
        if (strlen(name) == field_len && memcmp(name, field, field_len) == 0) {
            *out = host->entries[i].ext;
            return true;
        }
    }
    return false;
}
