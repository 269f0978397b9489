/*
 * module.h - the decoded form of a WebAssembly module (the "module IR").
 *
 * The decoder (decode.c) turns a binary into a wasm_module; the validator
 * (validate.c) checks it; the translator (src/exec/translate.c) turns each
 * function body into interpreter code. After validation a wasm_module is
 * immutable and shared by every instance of it.
 *
 * Ownership: a wasm_module owns one private copy of the binary (`bytes`);
 * function bodies and data segments point into that copy, so nothing here is
 * copied twice. All arrays are allocated by the decoder and freed by
 * wasm_module_free().
 *
 * Index spaces follow the spec: imported functions (tables, memories,
 * globals) come first, then the module's own definitions. `funcs`,
 * `tables`, `memories` and `globals` hold the whole index space; an entry
 * with `imported` set has its import in `imports[import_index]`.
 */
#ifndef ISOLA_WASM_MODULE_H
#define ISOLA_WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value types, with their binary encodings. */
typedef uint8_t wasm_valtype;
enum {
    WASM_I32 = 0x7F,
    WASM_I64 = 0x7E,
    WASM_F32 = 0x7D,
    WASM_F64 = 0x7C,
    WASM_V128 = 0x7B,
    WASM_FUNCREF = 0x70,
    WASM_EXTERNREF = 0x6F,
};

/* External kinds, with their binary encodings. */
enum wasm_extern_kind {
    WASM_EXTERN_FUNC = 0,
    WASM_EXTERN_TABLE = 1,
    WASM_EXTERN_MEMORY = 2,
    WASM_EXTERN_GLOBAL = 3,
};

/* Implementation limits, checked by the decoder before allocating. */
#define WASM_MAX_PAGES 65536u            /* 4 GiB of 64 KiB pages */
#define WASM_PAGE_SIZE 65536u
#define WASM_MAX_LOCALS 50000u           /* per function, params included */
#define WASM_MAX_FUNC_PARAMS 1000u
#define WASM_MAX_FUNC_RESULTS 1000u
#define WASM_MAX_TABLE_SIZE 10000000u

typedef struct wasm_functype {
    uint32_t nparams;
    uint32_t nresults;
    wasm_valtype *types;      /* nparams parameter types, then nresults result types */
} wasm_functype;

static inline const wasm_valtype *wasm_functype_params(const wasm_functype *t) { return t->types; }
/* types may be NULL for [] -> []: no pointer arithmetic on it then (UBSan rejects NULL + 0). */
static inline const wasm_valtype *wasm_functype_results(const wasm_functype *t) { return t->types ? t->types + t->nparams : NULL; }

typedef struct wasm_limits {
    uint32_t min;
    uint32_t max;             /* meaningful only when has_max */
    bool has_max;
} wasm_limits;

typedef struct wasm_tabletype {
    wasm_valtype elemtype;    /* WASM_FUNCREF or WASM_EXTERNREF */
    wasm_limits limits;
} wasm_tabletype;

typedef struct wasm_memtype {
    wasm_limits limits;       /* in pages */
} wasm_memtype;

typedef struct wasm_globaltype {
    wasm_valtype type;
    bool mutable_;
} wasm_globaltype;

/*
 * A constant expression, reduced to its single instruction. WebAssembly 2.0
 * allows exactly one of these followed by `end`; the decoder rejects any other
 * shape, so evaluating one never needs the interpreter.
 */
enum wasm_const_op {
    WASM_CONST_I32,          /* value.i32 */
    WASM_CONST_I64,          /* value.i64 */
    WASM_CONST_F32,          /* value.f32_bits */
    WASM_CONST_F64,          /* value.f64_bits */
    WASM_CONST_V128,         /* value.v128 */
    WASM_CONST_REF_NULL,     /* value.reftype */
    WASM_CONST_REF_FUNC,     /* value.index: a function index */
    WASM_CONST_GLOBAL_GET,   /* value.index: a global index */
};

typedef struct wasm_constexpr {
    uint8_t op;              /* enum wasm_const_op */
    union {
        uint32_t i32;
        uint64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uint8_t v128[16];
        wasm_valtype reftype;
        uint32_t index;
    } value;
} wasm_constexpr;

/* A name as it appears in the binary: UTF-8 (validated), not NUL-terminated. */
typedef struct wasm_name {
    const char *data;        /* points into wasm_module.bytes */
    uint32_t len;
} wasm_name;

typedef struct wasm_import {
    wasm_name module;
    wasm_name field;
    uint8_t kind;            /* enum wasm_extern_kind */
    union {
        uint32_t typeidx;    /* WASM_EXTERN_FUNC */
        wasm_tabletype table;
        wasm_memtype memory;
        wasm_globaltype global;
    } type;
} wasm_import;

typedef struct wasm_export {
    wasm_name name;
    uint8_t kind;            /* enum wasm_extern_kind */
    uint32_t index;          /* into the matching index space */
} wasm_export;

/* One entry of the function index space. */
typedef struct wasm_func {
    uint32_t typeidx;
    bool imported;
    uint32_t import_index;   /* when imported */
    /* Defined functions only: */
    uint32_t nlocals;        /* declared locals, not counting params */
    wasm_valtype *locals;    /* nlocals entries, run-length expanded */
    const uint8_t *body;     /* the instruction bytes after the local declarations, ending in `end` (0x0B) */
    uint32_t body_len;
    uint32_t body_offset;    /* byte offset of `body` within the binary, for error messages */
    const char *name;        /* from the `name` section, NUL-terminated, or NULL */
} wasm_func;

typedef struct wasm_table {
    wasm_tabletype type;
    bool imported;
    uint32_t import_index;
} wasm_table;

typedef struct wasm_memory {
    wasm_memtype type;
    bool imported;
    uint32_t import_index;
} wasm_memory;

typedef struct wasm_global {
    wasm_globaltype type;
    bool imported;
    uint32_t import_index;
    wasm_constexpr init;     /* defined globals only */
} wasm_global;

enum wasm_segment_mode {
    WASM_SEGMENT_ACTIVE,
    WASM_SEGMENT_PASSIVE,
    WASM_SEGMENT_DECLARATIVE,   /* element segments only */
};

typedef struct wasm_elem_segment {
    uint8_t mode;            /* enum wasm_segment_mode */
    wasm_valtype elemtype;   /* WASM_FUNCREF or WASM_EXTERNREF */
    uint32_t table_index;    /* active only */
    wasm_constexpr offset;   /* active only */
    uint32_t count;
    wasm_constexpr *items;   /* count entries: REF_FUNC, REF_NULL or GLOBAL_GET */
} wasm_elem_segment;

typedef struct wasm_data_segment {
    uint8_t mode;            /* WASM_SEGMENT_ACTIVE or WASM_SEGMENT_PASSIVE */
    uint32_t memory_index;   /* active only */
    wasm_constexpr offset;   /* active only */
    const uint8_t *bytes;    /* points into wasm_module.bytes */
    uint32_t len;
} wasm_data_segment;

typedef struct wasm_module {
    uint8_t *bytes;          /* private copy of the binary */
    size_t nbytes;

    uint32_t ntypes;
    wasm_functype *types;

    uint32_t nimports;
    wasm_import *imports;

    /* Whole index spaces: imports first, then definitions. */
    uint32_t nfuncs, nfunc_imports;
    wasm_func *funcs;
    uint32_t ntables, ntable_imports;
    wasm_table *tables;
    uint32_t nmemories, nmemory_imports;
    wasm_memory *memories;
    uint32_t nglobals, nglobal_imports;
    wasm_global *globals;

    uint32_t nexports;
    wasm_export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    wasm_elem_segment *elems;

    bool has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    wasm_data_segment *datas;

    const char *module_name;    /* from the `name` section, NUL-terminated, or NULL */
    char *name_storage;         /* owns the NUL-terminated names above */
} wasm_module;

/* Frees everything the module owns, and the module itself. Accepts NULL. */
void wasm_module_free(wasm_module *m);

/* Looks an export up by name; returns NULL when absent. */
const wasm_export *wasm_module_find_export(const wasm_module *m, const char *name, size_t len);

static inline const wasm_functype *wasm_func_type(const wasm_module *m, uint32_t funcidx)
{
    return &m->types[m->funcs[funcidx].typeidx];
}

/* Size in bytes of a value of type t in the interpreter's 8-byte slots (v128 takes two). */
static inline uint32_t wasm_valtype_slots(wasm_valtype t) { return t == WASM_V128 ? 2 : 1; }

#endif
