/*
 * spec_script.c - runs one wast2json script (see spec_script.h).
 *
 * Script state: one engine, one exec context and one spectest host per
 * script; the "current" instance (the last module that instantiated), the
 * instances bound to `$name`s, and the instances registered under import
 * names. Each of those slots holds its own instance reference, so replacing
 * a slot releases exactly what it held, and the script's end releases
 * everything before the engine.
 */
#include "spec_script.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "isola/engine.h"
#include "spec_host.h"
#include "spec_value.h"

#define SPEC_WHY_SIZE 768
/* Deep enough for every legitimate recursion in the suite, shallow enough
 * that the runaway recursions of assert_exhaustion stop quickly. */
#define SPEC_MAX_CALL_DEPTH 20000
#define SPEC_STACK_SLOTS (1u << 20)

/*
 * cJSON decodes "\u0000" into a NUL that silently ends the string, which
 * would turn the export name "\0\1..." of names.wast into "". Rewriting the
 * escape as the byte 0xFF (never part of valid UTF-8, and wast2json writes
 * names as valid UTF-8) keeps such names recognisable.
 */
#define SPEC_NUL_MARK '\xff'

typedef struct spec_binding {
    char *name;
    isola_instance *instance;
} spec_binding;

typedef struct spec_bindings {
    spec_binding *items;
    size_t count, capacity;
} spec_bindings;

typedef struct spec_script {
    const char *dir;               /* where the .wasm files are */
    const char *label;             /* "x.wast" */
    const spec_options *opt;
    spec_counts *counts;
    uint32_t failures;             /* in this script */

    isola_engine *engine;
    isola_exec *exec;
    spec_host *host;
    isola_instance *current;
    spec_bindings named;           /* $name -> instance */
    spec_bindings registered;      /* import module name -> instance */
} spec_script;

/* The outcome of running an action. */
typedef enum spec_action_status {
    SPEC_ACTION_RETURNED,
    SPEC_ACTION_TRAPPED,
    SPEC_ACTION_ERROR,             /* could not run: no module, no export, bad arguments */
} spec_action_status;

typedef struct spec_action_result {
    spec_action_status status;
    isola_value *values;           /* malloc'd, `count` of them */
    uint32_t count;
    isola_trap_kind trap_kind;
    char message[SPEC_WHY_SIZE];   /* the trap or error text */
} spec_action_result;

const char *spec_kind_name(spec_kind kind)
{
    static const char *names[SPEC_KIND_COUNT] = {
        "module", "register", "action", "assert_return", "assert_trap", "assert_exhaustion",
        "assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable", "other",
    };
    return kind < SPEC_KIND_COUNT ? names[kind] : "?";
}

static spec_kind spec_kind_parse(const char *type)
{
    for (int k = 0; k < SPEC_KIND_OTHER; k++) {
        if (strcmp(type, spec_kind_name((spec_kind)k)) == 0) {
            return (spec_kind)k;
        }
    }
    return SPEC_KIND_OTHER;
}

const char *spec_script_label(const char *json_path, char *buf, size_t size)
{
    const char *base = strrchr(json_path, '/');
    base = base ? base + 1 : json_path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0) {
        len -= 5;
    }
    snprintf(buf, size, "%.*s.wast", (int)len, base);
    return buf;
}

/* ---------------------------------------------------------------- reporting */

static void spec_record(spec_script *s, spec_kind kind, spec_outcome outcome)
{
    s->counts->n[kind][outcome]++;
}

static void spec_fail(spec_script *s, spec_kind kind, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void spec_fail(spec_script *s, spec_kind kind, uint32_t line, const char *fmt, ...)
{
    spec_record(s, kind, SPEC_FAILED);
    s->failures++;
    if (s->failures > s->opt->max_failures) {
        return;
    }
    char why[SPEC_WHY_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    printf("%s:%u: %s: %s\n", s->label, line, spec_kind_name(kind), why);
    fflush(stdout);
}

/* ---------------------------------------------------------------- bindings */

static isola_instance *spec_bindings_find(const spec_bindings *b, const char *name, size_t len)
{
    for (size_t i = 0; i < b->count; i++) {
        if (strlen(b->items[i].name) == len && memcmp(b->items[i].name, name, len) == 0) {
            return b->items[i].instance;
        }
    }
    return NULL;
}

/* Binds name to instance (taking a new reference), or unbinds it when instance is NULL. */
static bool spec_bindings_set(spec_bindings *b, const char *name, isola_instance *instance)
{
    for (size_t i = 0; i < b->count; i++) {
        if (strcmp(b->items[i].name, name) == 0) {
            isola_instance_release(b->items[i].instance);
            if (instance) {
                b->items[i].instance = isola_instance_retain(instance);
            } else {
                free(b->items[i].name);
                b->items[i] = b->items[--b->count];
            }
            return true;
        }
    }
    if (!instance) {
        return true;
    }
    if (b->count == b->capacity) {
        size_t cap = b->capacity ? 2 * b->capacity : 8;
        spec_binding *items = realloc(b->items, cap * sizeof *items);
        if (!items) {
            return false;
        }
        b->items = items;
        b->capacity = cap;
    }
    char *copy = strdup(name);
    if (!copy) {
        return false;
    }
    b->items[b->count].name = copy;
    b->items[b->count].instance = isola_instance_retain(instance);
    b->count++;
    return true;
}

static void spec_bindings_clear(spec_bindings *b)
{
    for (size_t i = 0; i < b->count; i++) {
        isola_instance_release(b->items[i].instance);
        free(b->items[i].name);
    }
    free(b->items);
    memset(b, 0, sizeof *b);
}

static void spec_set_current(spec_script *s, isola_instance *instance)
{
    if (s->current) {
        isola_instance_release(s->current);
    }
    s->current = instance ? isola_instance_retain(instance) : NULL;
}

/* The instance an action or register names: `$name` if given, else the current one. */
static isola_instance *spec_target(spec_script *s, const cJSON *name, char *why, size_t why_size)
{
    if (cJSON_IsString(name)) {
        isola_instance *inst = spec_bindings_find(&s->named, name->valuestring, strlen(name->valuestring));
        if (!inst) {
            snprintf(why, why_size, "no module named %s (did it fail to load?)", name->valuestring);
        }
        return inst;
    }
    if (!s->current) {
        snprintf(why, why_size, "no current module (the last module command failed)");
    }
    return s->current;
}

/* ---------------------------------------------------------------- modules */

static uint8_t *spec_read_file(const char *path, size_t *len, char *why, size_t why_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_size, "cannot open %s", path);
        return NULL;
    }
    uint8_t *data = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? 2 * cap : 4096;
            uint8_t *grown = realloc(data, cap);
            if (!grown) {
                free(data);
                fclose(f);
                snprintf(why, why_size, "out of memory reading %s", path);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + size, 1, cap - size, f);
        size += got;
        if (got == 0) {
            break;
        }
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        snprintf(why, why_size, "error reading %s", path);
        return NULL;
    }
    *len = size;
    return data;
}

static const char *spec_error_kind_name(isola_error_kind kind)
{
    switch (kind) {
    case ISOLA_ERR_NONE: return "no error";
    case ISOLA_ERR_MALFORMED: return "malformed";
    case ISOLA_ERR_INVALID: return "invalid";
    case ISOLA_ERR_LINK: return "link error";
    case ISOLA_ERR_TRAP: return "trap";
    case ISOLA_ERR_RESOURCE: return "resource";
    case ISOLA_ERR_ARGUMENT: return "argument";
    case ISOLA_ERR_NOT_FOUND: return "not found";
    case ISOLA_ERR_BLOCKED: return "start function blocked";
    }
    return "?";
}

static void spec_error_format(const isola_error *err, char *buf, size_t size)
{
    if (err->kind == ISOLA_ERR_MALFORMED || err->kind == ISOLA_ERR_INVALID) {
        snprintf(buf, size, "%s at byte %zu: %s", spec_error_kind_name(err->kind), err->offset, err->message);
    } else {
        snprintf(buf, size, "%s: %s", spec_error_kind_name(err->kind), err->message);
    }
}

/* Loads the module file named by cmd's "filename". A missing file is an ARGUMENT error. */
static isola_module *spec_load(spec_script *s, const cJSON *cmd, isola_error *err)
{
    memset(err, 0, sizeof *err);
    const cJSON *filename = cJSON_GetObjectItemCaseSensitive(cmd, "filename");
    if (!cJSON_IsString(filename)) {
        err->kind = ISOLA_ERR_ARGUMENT;
        snprintf(err->message, sizeof err->message, "command has no filename");
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->dir, filename->valuestring);
    size_t len = 0;
    uint8_t *bytes = spec_read_file(path, &len, err->message, sizeof err->message);
    if (!bytes) {
        err->kind = ISOLA_ERR_ARGUMENT;
        return NULL;
    }
    isola_module *module = isola_module_load(s->engine, bytes, len, err);
    free(bytes);
    if (!module && err->kind == ISOLA_ERR_NONE) {
        err->kind = ISOLA_ERR_ARGUMENT;   /* the engine forgot to say why */
        snprintf(err->message, sizeof err->message, "isola_module_load failed without an error");
    }
    return module;
}

/* Looks up an export by its JSON name, in which SPEC_NUL_MARK stands for U+0000. */
static bool spec_export(isola_instance *inst, const char *field, isola_extern *out)
{
    size_t len = strlen(field);
    char *name = malloc(len + 1);
    if (!name)
        return false;
    for (size_t i = 0; i <= len; i++)
        name[i] = field[i] == SPEC_NUL_MARK ? '\0' : field[i];
    bool found = isola_instance_export_n(inst, name, len, out);
    free(name);
    return found;
}

/* Resolves import i by (module, field) against registered instances, then spectest. */
static bool spec_resolve_import(spec_script *s, isola_module *module, uint32_t i, isola_extern *out,
                                isola_error *err)
{
    const char *mod_name, *field_name;
    size_t mod_len, field_len;
    isola_externtype type;
    isola_module_import(module, i, &mod_name, &mod_len, &field_name, &field_len, &type);

    isola_instance *inst = spec_bindings_find(&s->registered, mod_name, mod_len);
    bool found = false;
    if (inst) {
        found = isola_instance_export_n(inst, field_name, field_len, out);
    } else if (mod_len == 8 && memcmp(mod_name, "spectest", 8) == 0) {
        found = spec_host_lookup(s->host, field_name, field_len, out);
    }
    if (!found) {
        err->kind = ISOLA_ERR_LINK;
        snprintf(err->message, sizeof err->message, "unknown import \"%.*s\".\"%.*s\"",
                 (int)mod_len, mod_name, (int)field_len, field_name);
    }
    return found;
}

static isola_instance *spec_instantiate(spec_script *s, isola_module *module, isola_error *err)
{
    memset(err, 0, sizeof *err);
    uint32_t n = isola_module_import_count(module);
    isola_extern *imports = calloc(n ? n : 1, sizeof *imports);
    if (!imports) {
        err->kind = ISOLA_ERR_RESOURCE;
        snprintf(err->message, sizeof err->message, "out of memory");
        return NULL;
    }
    isola_instance *inst = NULL;
    bool resolved = true;
    for (uint32_t i = 0; i < n && resolved; i++) {
        resolved = spec_resolve_import(s, module, i, &imports[i], err);
    }
    if (resolved) {
        inst = isola_instantiate(s->engine, module, imports, n, NULL, s->exec, err);
        if (!inst && err->kind == ISOLA_ERR_NONE) {
            err->kind = ISOLA_ERR_ARGUMENT;
            snprintf(err->message, sizeof err->message, "isola_instantiate failed without an error");
        }
    }
    free(imports);
    return inst;
}

/* ---------------------------------------------------------------- actions */

static void spec_action_error(spec_action_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void spec_action_error(spec_action_result *r, const char *fmt, ...)
{
    r->status = SPEC_ACTION_ERROR;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

static void spec_action_get(spec_script *s, isola_instance *inst, const char *field, spec_action_result *r)
{
    isola_extern ext;
    if (!spec_export(inst, field, &ext)) {
        spec_action_error(r, "no export \"%s\"", field);
        return;
    }
    if (ext.kind != ISOLA_EXTERN_GLOBAL) {
        spec_action_error(r, "export \"%s\" is not a global", field);
        return;
    }
    (void)s;
    r->values = malloc(sizeof *r->values);
    if (!r->values) {
        spec_action_error(r, "out of memory");
        return;
    }
    r->values[0] = isola_global_get(ext.of.global);
    r->count = 1;
    r->status = SPEC_ACTION_RETURNED;
}

static bool spec_parse_args(const cJSON *args, const isola_functype *type, isola_value *out,
                            spec_action_result *r)
{
    uint32_t n = (uint32_t)cJSON_GetArraySize(args);
    if (n != type->nparams) {
        spec_action_error(r, "%u arguments for a function of %u parameters", n, type->nparams);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        char why[SPEC_WHY_SIZE];
        if (!spec_value_parse_arg(cJSON_GetArrayItem(args, (int)i), &out[i], why, sizeof why)) {
            spec_action_error(r, "argument %u: %s", i, why);
            return false;
        }
        if (out[i].type != type->params[i]) {
            spec_action_error(r, "argument %u is %s but the parameter is %s", i,
                              spec_valtype_name(out[i].type), spec_valtype_name(type->params[i]));
            return false;
        }
    }
    return true;
}

static void spec_action_finish_call(spec_script *s, isola_status status, const isola_functype *type,
                                    spec_action_result *r)
{
    switch (status) {
    case ISOLA_OK:
        r->values = calloc(type->nresults ? type->nresults : 1, sizeof *r->values);
        if (!r->values) {
            spec_action_error(r, "out of memory");
            return;
        }
        r->count = isola_exec_results(s->exec, r->values, type->nresults);
        if (r->count > type->nresults) {
            spec_action_error(r, "the call gave %u results for a type of %u", r->count, type->nresults);
            return;
        }
        r->status = SPEC_ACTION_RETURNED;
        return;
    case ISOLA_TRAPPED: {
        const isola_trap *trap = isola_exec_trap(s->exec);
        r->status = SPEC_ACTION_TRAPPED;
        r->trap_kind = trap ? trap->kind : ISOLA_TRAP_NONE;
        if (trap) {
            isola_trap_format(trap, r->message, sizeof r->message);
            char *nl = strchr(r->message, '\n');   /* the first line is enough here */
            if (nl) {
                *nl = '\0';
            }
        } else {
            snprintf(r->message, sizeof r->message, "trapped, but isola_exec_trap gave NULL");
        }
        return;
    }
    case ISOLA_YIELDED:
    case ISOLA_SUSPENDED:
        isola_exec_reset(s->exec);
        spec_action_error(r, "the call %s without fuel limits or blocking hosts",
                          status == ISOLA_YIELDED ? "yielded" : "suspended");
        return;
    case ISOLA_FAILED: {
        const char *e = isola_exec_error(s->exec);
        spec_action_error(r, "the call could not start: %s", e ? e : "(no reason)");
        return;
    }
    }
    spec_action_error(r, "isola_exec_call returned unknown status %d", (int)status);
}

static void spec_action_invoke(spec_script *s, isola_instance *inst, const char *field, const cJSON *args,
                               spec_action_result *r)
{
    isola_extern ext;
    if (!spec_export(inst, field, &ext)) {
        spec_action_error(r, "no export \"%s\"", field);
        return;
    }
    if (ext.kind != ISOLA_EXTERN_FUNC) {
        spec_action_error(r, "export \"%s\" is not a function", field);
        return;
    }
    isola_functype type;
    isola_func_type(ext.of.func, &type);
    isola_value *argv = calloc(type.nparams ? type.nparams : 1, sizeof *argv);
    if (!argv) {
        spec_action_error(r, "out of memory");
        return;
    }
    if (spec_parse_args(args, &type, argv, r)) {
        isola_status status = isola_exec_call(s->exec, ext.of.func, argv, type.nparams);
        spec_action_finish_call(s, status, &type, r);
    }
    free(argv);
}

/* Runs the "action" object of a command. The caller frees r->values. */
static void spec_action_run(spec_script *s, const cJSON *action, spec_action_result *r)
{
    memset(r, 0, sizeof *r);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(action, "field");
    if (!cJSON_IsString(type) || !cJSON_IsString(field)) {
        spec_action_error(r, "action without type or field");
        return;
    }
    isola_instance *inst = spec_target(s, cJSON_GetObjectItemCaseSensitive(action, "module"),
                                       r->message, sizeof r->message);
    if (!inst) {
        r->status = SPEC_ACTION_ERROR;
        return;
    }
    if (strcmp(type->valuestring, "get") == 0) {
        spec_action_get(s, inst, field->valuestring, r);
    } else if (strcmp(type->valuestring, "invoke") == 0) {
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
        if (!cJSON_IsArray(args)) {
            spec_action_error(r, "invoke without args");
            return;
        }
        spec_action_invoke(s, inst, field->valuestring, args, r);
    } else {
        spec_action_error(r, "unknown action type \"%s\"", type->valuestring);
    }
}

/* Copies a name for a failure line, with control bytes (and NUL marks) as \xx. */
static void spec_escape_name(const char *name, char *buf, size_t size)
{
    size_t used = 0;
    assert(size > 0);
    for (const unsigned char *p = (const unsigned char *)name; *p && used + 4 < size; p++) {
        unsigned char c = *p == (unsigned char)SPEC_NUL_MARK ? 0 : *p;
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            used += (size_t)snprintf(buf + used, size - used, "\\%02x", c);
        } else {
            buf[used++] = (char)c;
        }
    }
    buf[used] = '\0';
}

/* "invoke f" or "get g" for failure lines. */
static const char *spec_action_name(const cJSON *cmd, char *buf, size_t size)
{
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(action, "field");
    const cJSON *module = cJSON_GetObjectItemCaseSensitive(action, "module");
    char escaped[160];
    spec_escape_name(cJSON_IsString(field) ? field->valuestring : "?", escaped, sizeof escaped);
    snprintf(buf, size, "%s%s%s \"%s\"", cJSON_IsString(type) ? type->valuestring : "?",
             cJSON_IsString(module) ? " " : "", cJSON_IsString(module) ? module->valuestring : "",
             escaped);
    return buf;
}

/* ---------------------------------------------------------------- traps */

/* The spec's trap texts and the trap kinds isola reports for them. */
static bool spec_trap_kind_for_text(const char *text, isola_trap_kind *out)
{
    static const struct { const char *prefix; isola_trap_kind kind; } map[] = {
        { "unreachable", ISOLA_TRAP_UNREACHABLE },
        { "out of bounds memory access", ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS },
        { "out of bounds table access", ISOLA_TRAP_TABLE_OUT_OF_BOUNDS },
        { "undefined element", ISOLA_TRAP_TABLE_OUT_OF_BOUNDS },
        { "uninitialized element", ISOLA_TRAP_UNINITIALIZED_ELEMENT },
        { "indirect call type mismatch", ISOLA_TRAP_INDIRECT_CALL_TYPE },
        { "integer divide by zero", ISOLA_TRAP_DIVIDE_BY_ZERO },
        { "integer overflow", ISOLA_TRAP_INTEGER_OVERFLOW },
        { "invalid conversion to integer", ISOLA_TRAP_INVALID_CONVERSION },
        { "call stack exhausted", ISOLA_TRAP_STACK_EXHAUSTED },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strncmp(text, map[i].prefix, strlen(map[i].prefix)) == 0) {
            *out = map[i].kind;
            return true;
        }
    }
    return false;
}

static const char *spec_text(const cJSON *cmd)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(cmd, "text");
    return cJSON_IsString(text) ? text->valuestring : "";
}

/* ---------------------------------------------------------------- commands */

static void spec_cmd_module(spec_script *s, const cJSON *cmd, uint32_t line)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(cmd, "name");
    spec_set_current(s, NULL);
    if (cJSON_IsString(name)) {
        spec_bindings_set(&s->named, name->valuestring, NULL);
    }
    isola_error err;
    char why[SPEC_WHY_SIZE];
    isola_module *module = spec_load(s, cmd, &err);
    if (!module) {
        spec_error_format(&err, why, sizeof why);
        spec_fail(s, SPEC_KIND_MODULE, line, "load failed: %s", why);
        return;
    }
    isola_instance *inst = spec_instantiate(s, module, &err);
    isola_module_release(module);
    if (!inst) {
        spec_error_format(&err, why, sizeof why);
        spec_fail(s, SPEC_KIND_MODULE, line, "instantiation failed: %s", why);
        return;
    }
    spec_set_current(s, inst);
    bool bound = !cJSON_IsString(name) || spec_bindings_set(&s->named, name->valuestring, inst);
    isola_instance_release(inst);
    if (!bound) {
        spec_fail(s, SPEC_KIND_MODULE, line, "out of memory binding %s", name->valuestring);
        return;
    }
    spec_record(s, SPEC_KIND_MODULE, SPEC_PASSED);
}

static void spec_cmd_register(spec_script *s, const cJSON *cmd, uint32_t line)
{
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(cmd, "as");
    char why[SPEC_WHY_SIZE];
    isola_instance *inst = spec_target(s, cJSON_GetObjectItemCaseSensitive(cmd, "name"), why, sizeof why);
    if (!cJSON_IsString(as)) {
        spec_fail(s, SPEC_KIND_REGISTER, line, "register without \"as\"");
    } else if (!inst) {
        spec_fail(s, SPEC_KIND_REGISTER, line, "%s", why);
    } else if (!spec_bindings_set(&s->registered, as->valuestring, inst)) {
        spec_fail(s, SPEC_KIND_REGISTER, line, "out of memory");
    } else {
        spec_record(s, SPEC_KIND_REGISTER, SPEC_PASSED);
    }
}

static void spec_cmd_action(spec_script *s, const cJSON *cmd, uint32_t line)
{
    spec_action_result r;
    char name[256];
    spec_action_run(s, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &r);
    if (r.status == SPEC_ACTION_RETURNED) {
        spec_record(s, SPEC_KIND_ACTION, SPEC_PASSED);
    } else {
        spec_fail(s, SPEC_KIND_ACTION, line, "%s: %s%s", spec_action_name(cmd, name, sizeof name),
                  r.status == SPEC_ACTION_TRAPPED ? "trapped: " : "", r.message);
    }
    free(r.values);
}

/* Compares results to the "expected" array; on mismatch writes why. */
static bool spec_check_results(const cJSON *expected, const spec_action_result *r, char *why, size_t size)
{
    uint32_t n = (uint32_t)cJSON_GetArraySize(expected);
    if (n != r->count) {
        snprintf(why, size, "expected %u results, got %u", n, r->count);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        spec_expected e;
        char parse_why[256];
        if (!spec_value_parse_expected(cJSON_GetArrayItem(expected, (int)i), &e, parse_why, sizeof parse_why)) {
            snprintf(why, size, "result %u: %s", i, parse_why);
            return false;
        }
        if (!spec_value_matches(&e, &r->values[i])) {
            char want[320], got[320];
            spec_expected_format(&e, want, sizeof want);
            spec_value_format(&r->values[i], e.lane, got, sizeof got);
            snprintf(why, size, "result %u: expected %s, got %s", i, want, got);
            return false;
        }
    }
    return true;
}

static void spec_cmd_assert_return(spec_script *s, const cJSON *cmd, uint32_t line)
{
    spec_action_result r;
    char name[256], why[SPEC_WHY_SIZE];
    spec_action_name(cmd, name, sizeof name);
    spec_action_run(s, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &r);
    if (r.status == SPEC_ACTION_TRAPPED) {
        spec_fail(s, SPEC_KIND_ASSERT_RETURN, line, "%s: unexpected trap: %s", name, r.message);
    } else if (r.status == SPEC_ACTION_ERROR) {
        spec_fail(s, SPEC_KIND_ASSERT_RETURN, line, "%s: %s", name, r.message);
    } else if (!spec_check_results(cJSON_GetObjectItemCaseSensitive(cmd, "expected"), &r, why, sizeof why)) {
        spec_fail(s, SPEC_KIND_ASSERT_RETURN, line, "%s: %s", name, why);
    } else {
        spec_record(s, SPEC_KIND_ASSERT_RETURN, SPEC_PASSED);
    }
    free(r.values);
}

/* assert_trap and assert_exhaustion on an action. */
static void spec_expect_action_trap(spec_script *s, spec_kind kind, const cJSON *cmd, uint32_t line)
{
    spec_action_result r;
    char name[256];
    const char *text = spec_text(cmd);
    spec_action_name(cmd, name, sizeof name);
    spec_action_run(s, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &r);
    isola_trap_kind want;
    bool known = spec_trap_kind_for_text(text, &want);
    if (r.status == SPEC_ACTION_RETURNED) {
        spec_fail(s, kind, line, "%s: returned, expected trap \"%s\"", name, text);
    } else if (r.status == SPEC_ACTION_ERROR) {
        spec_fail(s, kind, line, "%s: %s", name, r.message);
    } else if (known && r.trap_kind != want) {
        spec_fail(s, kind, line, "%s: expected trap \"%s\", got: %s", name, text, r.message);
    } else if (s->opt->strict_messages && !strstr(r.message, text)) {
        spec_fail(s, kind, line, "%s: trap message lacks \"%s\": %s", name, text, r.message);
    } else {
        spec_record(s, kind, SPEC_PASSED);
    }
    free(r.values);
}

/* assert_uninstantiable, and assert_trap on a module: loads, must trap in instantiation. */
static void spec_expect_instantiation_trap(spec_script *s, spec_kind kind, const cJSON *cmd, uint32_t line)
{
    isola_error err;
    char why[SPEC_WHY_SIZE];
    isola_module *module = spec_load(s, cmd, &err);
    if (!module) {
        spec_error_format(&err, why, sizeof why);
        spec_fail(s, kind, line, "load failed: %s", why);
        return;
    }
    isola_instance *inst = spec_instantiate(s, module, &err);
    isola_module_release(module);
    if (inst) {
        isola_instance_release(inst);
        spec_fail(s, kind, line, "instantiated, expected trap \"%s\"", spec_text(cmd));
    } else if (err.kind != ISOLA_ERR_TRAP) {
        spec_error_format(&err, why, sizeof why);
        spec_fail(s, kind, line, "expected trap \"%s\", got %s", spec_text(cmd), why);
    } else {
        spec_record(s, kind, SPEC_PASSED);
    }
}

static void spec_cmd_assert_trap(spec_script *s, const cJSON *cmd, uint32_t line)
{
    if (cJSON_GetObjectItemCaseSensitive(cmd, "action")) {
        spec_expect_action_trap(s, SPEC_KIND_ASSERT_TRAP, cmd, line);
    } else {
        spec_expect_instantiation_trap(s, SPEC_KIND_ASSERT_TRAP, cmd, line);
    }
}

/* assert_invalid / assert_malformed: loading must fail with `want`. */
static void spec_expect_load_error(spec_script *s, spec_kind kind, isola_error_kind want,
                                   const cJSON *cmd, uint32_t line)
{
    const cJSON *module_type = cJSON_GetObjectItemCaseSensitive(cmd, "module_type");
    if (cJSON_IsString(module_type) && strcmp(module_type->valuestring, "binary") != 0) {
        spec_record(s, kind, SPEC_SKIPPED);   /* text-format modules need a .wat parser */
        return;
    }
    isola_error err;
    char why[SPEC_WHY_SIZE];
    isola_module *module = spec_load(s, cmd, &err);
    if (module) {
        isola_module_release(module);
        spec_fail(s, kind, line, "module was accepted, expected %s \"%s\"", spec_error_kind_name(want),
                  spec_text(cmd));
    } else if (err.kind != want) {
        spec_error_format(&err, why, sizeof why);
        spec_fail(s, kind, line, "expected %s \"%s\", got %s", spec_error_kind_name(want), spec_text(cmd), why);
    } else if (s->opt->strict_messages && !strstr(err.message, spec_text(cmd))) {
        spec_error_format(&err, why, sizeof why);
        spec_fail(s, kind, line, "message lacks \"%s\": %s", spec_text(cmd), why);
    } else {
        spec_record(s, kind, SPEC_PASSED);
    }
}

static void spec_cmd_assert_unlinkable(spec_script *s, const cJSON *cmd, uint32_t line)
{
    isola_error err;
    char why[SPEC_WHY_SIZE];
    isola_module *module = spec_load(s, cmd, &err);
    if (!module) {
        spec_error_format(&err, why, sizeof why);
        spec_fail(s, SPEC_KIND_ASSERT_UNLINKABLE, line, "load failed: %s", why);
        return;
    }
    isola_instance *inst = spec_instantiate(s, module, &err);
    isola_module_release(module);
    if (inst) {
        isola_instance_release(inst);
        spec_fail(s, SPEC_KIND_ASSERT_UNLINKABLE, line, "instantiated, expected link error \"%s\"",
                  spec_text(cmd));
    } else if (err.kind != ISOLA_ERR_LINK) {
        spec_error_format(&err, why, sizeof why);
        spec_fail(s, SPEC_KIND_ASSERT_UNLINKABLE, line, "expected link error \"%s\", got %s",
                  spec_text(cmd), why);
    } else {
        spec_record(s, SPEC_KIND_ASSERT_UNLINKABLE, SPEC_PASSED);
    }
}

static void spec_command(spec_script *s, const cJSON *cmd)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(cmd, "type");
    const cJSON *line_item = cJSON_GetObjectItemCaseSensitive(cmd, "line");
    uint32_t line = cJSON_IsNumber(line_item) ? (uint32_t)line_item->valuedouble : 0;
    spec_kind kind = cJSON_IsString(type) ? spec_kind_parse(type->valuestring) : SPEC_KIND_OTHER;
    s->counts->line = line;
    s->counts->kind = kind;
    if (s->opt->verbose) {
        printf("%s:%u: %s\n", s->label, line, spec_kind_name(kind));
        fflush(stdout);
    }
    switch (kind) {
    case SPEC_KIND_MODULE: spec_cmd_module(s, cmd, line); break;
    case SPEC_KIND_REGISTER: spec_cmd_register(s, cmd, line); break;
    case SPEC_KIND_ACTION: spec_cmd_action(s, cmd, line); break;
    case SPEC_KIND_ASSERT_RETURN: spec_cmd_assert_return(s, cmd, line); break;
    case SPEC_KIND_ASSERT_TRAP: spec_cmd_assert_trap(s, cmd, line); break;
    case SPEC_KIND_ASSERT_EXHAUSTION: spec_expect_action_trap(s, kind, cmd, line); break;
    case SPEC_KIND_ASSERT_INVALID: spec_expect_load_error(s, kind, ISOLA_ERR_INVALID, cmd, line); break;
    case SPEC_KIND_ASSERT_MALFORMED: spec_expect_load_error(s, kind, ISOLA_ERR_MALFORMED, cmd, line); break;
    case SPEC_KIND_ASSERT_UNLINKABLE: spec_cmd_assert_unlinkable(s, cmd, line); break;
    case SPEC_KIND_ASSERT_UNINSTANTIABLE: spec_expect_instantiation_trap(s, kind, cmd, line); break;
    case SPEC_KIND_OTHER:
    case SPEC_KIND_COUNT:
        spec_fail(s, SPEC_KIND_OTHER, line, "unknown command \"%s\"",
                  cJSON_IsString(type) ? type->valuestring : "?");
        break;
    }
}

/* ---------------------------------------------------------------- script */

static bool spec_script_open(spec_script *s, char *why, size_t size)
{
    isola_error err = { 0 };
    s->engine = isola_engine_new(NULL, &err);
    if (!s->engine) {
        snprintf(why, size, "isola_engine_new: %s", err.message);
        return false;
    }
    isola_exec_config cfg = { .stack_slots = SPEC_STACK_SLOTS, .max_call_depth = SPEC_MAX_CALL_DEPTH };
    s->exec = isola_exec_new(s->engine, &cfg, &err);
    if (!s->exec) {
        snprintf(why, size, "isola_exec_new: %s", err.message);
        return false;
    }
    s->host = spec_host_new(s->engine, why, size);
    return s->host != NULL;
}

static void spec_script_close(spec_script *s)
{
    spec_set_current(s, NULL);
    spec_bindings_clear(&s->named);
    spec_bindings_clear(&s->registered);
    spec_host_release(s->host);
    if (s->exec) {
        isola_exec_release(s->exec);
    }
    if (s->engine) {
        isola_engine_release(s->engine);
    }
}

/* A backslash at `at` starts an escape only after an even number of backslashes. */
static bool spec_is_escape_start(const uint8_t *text, size_t at)
{
    size_t backslashes = 0;
    while (backslashes < at && text[at - 1 - backslashes] == '\\') {
        backslashes++;
    }
    return backslashes % 2 == 0;
}

/* Rewrites every \u0000 escape in place as SPEC_NUL_MARK; returns the new length. */
static size_t spec_mark_nuls(uint8_t *text, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        if (i + 6 <= len && memcmp(text + i, "\\u0000", 6) == 0 && spec_is_escape_start(text, out)) {
            text[out++] = (uint8_t)SPEC_NUL_MARK;
            i += 5;
        } else {
            text[out++] = text[i];
        }
    }
    return out;
}

static cJSON *spec_parse_json(const char *path, char *why, size_t size)
{
    size_t len = 0;
    uint8_t *text = spec_read_file(path, &len, why, size);
    if (!text) {
        return NULL;
    }
    len = spec_mark_nuls(text, len);
    cJSON *json = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (!json) {
        snprintf(why, size, "%s is not valid JSON", path);
    }
    return json;
}

void spec_script_run(const char *json_path, const spec_options *opt, spec_counts *counts)
{
    char label[256], dir[4096], why[SPEC_WHY_SIZE];
    spec_script s = { .opt = opt, .counts = counts, .label = spec_script_label(json_path, label, sizeof label) };
    const char *slash = strrchr(json_path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - json_path) : 1, slash ? json_path : ".");
    s.dir = dir;

    cJSON *json = spec_parse_json(json_path, why, sizeof why);
    const cJSON *commands = json ? cJSON_GetObjectItemCaseSensitive(json, "commands") : NULL;
    if (!json) {
        spec_fail(&s, SPEC_KIND_OTHER, 0, "%s", why);
    } else if (!cJSON_IsArray(commands)) {
        spec_fail(&s, SPEC_KIND_OTHER, 0, "no \"commands\" array");
    } else if (!spec_script_open(&s, why, sizeof why)) {
        spec_fail(&s, SPEC_KIND_OTHER, 0, "setup failed: %s", why);
    } else {
        const cJSON *cmd;
        cJSON_ArrayForEach(cmd, commands) {
            spec_command(&s, cmd);
        }
    }
    if (s.failures > opt->max_failures) {
        printf("%s: ... %u more failures not shown\n", s.label, s.failures - opt->max_failures);
    }
    spec_script_close(&s);
    cJSON_Delete(json);
}
