/*
 * isola/engine.h - the WebAssembly engine: load and validate modules,
 * instantiate them with imports, call exports with a fuel budget, resume,
 * and read trap details.
 *
 * Object model and lifetimes
 *   isola_engine    configuration and shared state (memory pool, type table).
 *                   Outlives everything created from it.
 *   isola_module    a validated, translated module. Immutable; instantiating
 *                   it again never re-validates or re-translates.
 *   isola_instance  one instantiation: its memories, tables, globals and
 *                   function instances.
 *   isola_func, isola_memory, isola_table, isola_global
 *                   either created by the host (isola_*_new) or exported by
 *                   an instance (isola_instance_export).
 *   isola_exec      an execution context: the value stack and call frames of
 *                   one thread of wasm execution. It lives in memory the engine
 *                   owns, so a run can stop at any safe point (fuel exhausted,
 *                   host function blocked) and be resumed later, on any thread.
 *
 *   Every function here that returns a new object (…_new, …_load,
 *   isola_instantiate) gives the caller one reference, dropped with the
 *   matching …_release. Instances keep references to whatever they import,
 *   so objects may be released in any order. Objects obtained from
 *   isola_instance_export are borrowed: valid while the instance lives.
 *
 * Errors
 *   Functions that can fail take an `isola_error *` (may be NULL) and return
 *   NULL or false; the error says what kind of failure it was, where (byte
 *   offset for malformed and invalid modules) and why, in one line.
 *
 * Threads
 *   An engine and its modules may be used from many threads at once. An
 *   instance and an exec context must be used by one thread at a time.
 */
#ifndef ISOLA_ENGINE_H
#define ISOLA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct isola_engine isola_engine;
typedef struct isola_module isola_module;
typedef struct isola_instance isola_instance;
typedef struct isola_func isola_func;
typedef struct isola_memory isola_memory;
typedef struct isola_table isola_table;
typedef struct isola_global isola_global;
typedef struct isola_exec isola_exec;
typedef struct isola_host_call isola_host_call;

/* ---------------------------------------------------------------- errors */

typedef enum isola_error_kind {
    ISOLA_ERR_NONE = 0,
    ISOLA_ERR_MALFORMED,     /* not a well-formed binary */
    ISOLA_ERR_INVALID,       /* well-formed but fails validation */
    ISOLA_ERR_LINK,          /* imports missing or of the wrong type */
    ISOLA_ERR_TRAP,          /* instantiation trapped (segment out of bounds, start function trap) */
    ISOLA_ERR_RESOURCE,      /* out of memory or over a configured limit */
    ISOLA_ERR_ARGUMENT,      /* bad argument from the caller */
    ISOLA_ERR_NOT_FOUND,     /* no such export, file, ... */
    ISOLA_ERR_BLOCKED,       /* the start function waited in a host call, which an instantiation cannot */
} isola_error_kind;

typedef struct isola_error {
    isola_error_kind kind;
    size_t offset;           /* byte offset in the binary, for MALFORMED and INVALID */
    char message[256];       /* one line, no trailing newline */
} isola_error;

/* ---------------------------------------------------------------- values */

typedef enum isola_valtype {
    ISOLA_I32 = 0x7F,
    ISOLA_I64 = 0x7E,
    ISOLA_F32 = 0x7D,
    ISOLA_F64 = 0x7C,
    ISOLA_V128 = 0x7B,
    ISOLA_FUNCREF = 0x70,
    ISOLA_EXTERNREF = 0x6F,
} isola_valtype;

/* A typed value. Floats are also readable as raw bits, so NaN payloads survive. */
typedef struct isola_value {
    isola_valtype type;
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uint8_t v128[16];
        isola_func *funcref;     /* NULL is ref.null func */
        void *externref;         /* NULL is ref.null extern */
    } of;
} isola_value;

typedef struct isola_functype {
    uint32_t nparams;
    uint32_t nresults;
    const isola_valtype *params;
    const isola_valtype *results;
} isola_functype;

typedef struct isola_limits {
    uint32_t min;
    uint32_t max;            /* meaningful only when has_max */
    bool has_max;
} isola_limits;

typedef enum isola_extern_kind {
    ISOLA_EXTERN_FUNC = 0,
    ISOLA_EXTERN_TABLE = 1,
    ISOLA_EXTERN_MEMORY = 2,
    ISOLA_EXTERN_GLOBAL = 3,
} isola_extern_kind;

/* The type of an import or export. */
typedef struct isola_externtype {
    isola_extern_kind kind;
    isola_functype func;                                    /* FUNC */
    struct { isola_valtype elem; isola_limits limits; } table;  /* TABLE */
    isola_limits memory;                                    /* MEMORY, in 64 KiB pages */
    struct { isola_valtype type; bool mutable_; } global;   /* GLOBAL */
} isola_externtype;

/* Something an instance imports or exports. */
typedef struct isola_extern {
    isola_extern_kind kind;
    union {
        isola_func *func;
        isola_table *table;
        isola_memory *memory;
        isola_global *global;
    } of;
} isola_extern;

/* ---------------------------------------------------------------- engine */

typedef struct isola_engine_config {
    /* Upper bound on any one linear memory, in pages (default and cap: 65536 = 4 GiB). */
    uint32_t max_memory_pages;
    /* Address space reserved per pooled memory, in pages (default 256 = 16 MiB).
     * Memories whose maximum fits are carved out of one shared reservation;
     * larger ones get a reservation of their own. */
    uint32_t pool_slot_pages;
} isola_engine_config;

/* cfg may be NULL for defaults. */
isola_engine *isola_engine_new(const isola_engine_config *cfg, isola_error *err);
/* Release every module, instance, memory and execution context made from
 * the engine first: they hold slots of its pools. */
void isola_engine_release(isola_engine *engine);

/* ---------------------------------------------------------------- modules */

/* Decodes, validates and translates `bytes` (copied; the caller keeps its buffer). */
isola_module *isola_module_load(isola_engine *engine, const uint8_t *bytes, size_t len, isola_error *err);
/* Only decodes and validates: for `isola validate`. */
bool isola_module_validate(const uint8_t *bytes, size_t len, isola_error *err);
isola_module *isola_module_retain(isola_module *module);
void isola_module_release(isola_module *module);

uint32_t isola_module_import_count(const isola_module *module);
/* Fills module name, field name and type of import i. Strings are borrowed, with lengths. */
void isola_module_import(const isola_module *module, uint32_t i,
                         const char **module_name, size_t *module_len,
                         const char **field_name, size_t *field_len,
                         isola_externtype *type);
uint32_t isola_module_export_count(const isola_module *module);
void isola_module_export(const isola_module *module, uint32_t i,
                         const char **name, size_t *name_len, isola_externtype *type);

/* ---------------------------------------------------------------- host objects */

/*
 * A host function receives its arguments in `slots` and writes its results
 * there, starting again from slot 0. Each value takes one 64-bit slot (v128
 * takes two): i32 and f32 (as bits) in the low 32 bits, i64 and f64 (as bits)
 * whole, references as pointers (isola_func* or externref).
 */
typedef enum isola_host_result {
    ISOLA_HOST_RETURN = 0,   /* results are written; continue */
    ISOLA_HOST_TRAP,         /* trap with the message given to isola_host_trap() */
    ISOLA_HOST_YIELD,        /* results are written; stop the run with ISOLA_YIELDED after this call */
    ISOLA_HOST_BLOCK,        /* not done: stop the run with ISOLA_SUSPENDED; on resume the
                                host function is called again with the same arguments
                                (unless isola_exec_host_complete finished it meanwhile) */
} isola_host_result;

typedef isola_host_result (*isola_host_fn)(isola_host_call *call, uint64_t *slots, void *user);

isola_func *isola_func_new(isola_engine *engine, const isola_functype *type,
                           isola_host_fn fn, void *user, isola_error *err);
void isola_func_release(isola_func *func);
/* The type of any function, host or wasm. Arrays are borrowed from the function. */
void isola_func_type(const isola_func *func, isola_functype *type);

/* Inside a host function: the caller's context. */
isola_instance *isola_host_instance(isola_host_call *call);     /* the calling wasm instance */
isola_exec *isola_host_exec(isola_host_call *call);
/* Bytes of work worth one unit of fuel: what a bulk instruction or a host
 * call that moves data (a read, a copy, random bytes) is charged by. */
#define ISOLA_FUEL_BYTES 64
/* Inside a host function: charges the caller `units` of fuel for the call's
 * work, so that however much one call does, the caller's slice ends at its
 * next loop or call once its fuel is spent. What goes past the fuel left
 * stays as a debt: isola_exec_fuel is then negative. */
void isola_host_spend_fuel(isola_host_call *call, uint64_t units);
/* The calling instance's userdata (isola_instance_set_userdata): one call
 * instead of two for a host whose every function starts there. */
void *isola_host_userdata(isola_host_call *call);
/* The caller's memory 0 and its size in bytes; NULL if it has none. Valid
 * until the call returns or grows the memory. */
uint8_t *isola_host_memory(isola_host_call *call, uint64_t *size);
/* Records a trap message (printf-style) and returns ISOLA_HOST_TRAP. */
isola_host_result isola_host_trap(isola_host_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

isola_memory *isola_memory_new(isola_engine *engine, isola_limits pages, isola_error *err);
void isola_memory_release(isola_memory *memory);
/* The memory's bytes. The address may change when the memory grows (a
 * small memory moves out of its first slot once): ask again after a grow,
 * and after any call into the guest, which may grow it. */
uint8_t *isola_memory_data(isola_memory *memory);
uint64_t isola_memory_size(const isola_memory *memory);                /* bytes */
/* Grows by delta pages; returns the old size in pages, or -1 if refused. */
int64_t isola_memory_grow(isola_memory *memory, uint32_t delta);

isola_table *isola_table_new(isola_engine *engine, isola_valtype elem, isola_limits limits,
                             isola_error *err);
void isola_table_release(isola_table *table);
uint32_t isola_table_size(const isola_table *table);
bool isola_table_get(const isola_table *table, uint32_t index, isola_value *out);
bool isola_table_set(isola_table *table, uint32_t index, isola_value value);

isola_global *isola_global_new(isola_engine *engine, isola_value value, bool mutable_, isola_error *err);
void isola_global_release(isola_global *global);
isola_value isola_global_get(const isola_global *global);
bool isola_global_set(isola_global *global, isola_value value);   /* false if immutable or wrong type */

/* ---------------------------------------------------------------- instances */

typedef struct isola_instance_limits {
    uint32_t max_memory_pages;   /* cap on each memory this instance defines (0: engine's cap) */
    /* When limit_tables: the tables this instance defines, together with
     * what table.grow in its code adds, hold at most max_table_elements
     * (0 allows none). Without it, a module with many tables could hold far
     * more memory than its memory cap says. */
    bool limit_tables;
    uint64_t max_table_elements;
    /* Asked before memory.grow in this instance's code grows a memory by
     * delta_pages that its cap allows (NULL: nobody is asked); false refuses
     * it, and memory.grow returns -1. For an embedder that shares one
     * budget among instances, as nested process quotas do: it charges the
     * pages here, and memory_grow_failed hands them back when a growth it
     * allowed fails after all (the pages could not be committed). */
    bool (*memory_growing)(void *user, uint32_t delta_pages);
    void (*memory_grow_failed)(void *user, uint32_t delta_pages);
    void *grow_user;
    /* true: the caller keeps every host function it imports alive for as
     * long as the instance lives, so the instance takes no reference to
     * them. For hosts that make many instances of one module from the same
     * imports (a process VM): those reference counts are cache lines every
     * instantiation and every release would write, on whatever core. */
    bool host_imports_borrowed;
    /* true: the caller keeps `module` alive for as long as the instance
     * lives, so the instance takes no reference to it (the same reason: a
     * module's count is one cache line every spawn and end of a process VM
     * writes, from every core, with a locked instruction). */
    bool module_borrowed;
    /* true: the start function, if any, is not run; the caller runs it
     * (isola_instance_start) before anything else of the instance, as an
     * ordinary call that may yield and resume. */
    bool defer_start;
} isola_instance_limits;

/*
 * Instantiates `module` with `imports` given in the module's import order.
 * Runs the start function, if any, on `exec` (NULL: a temporary context),
 * unless limits->defer_start.
 * A trap during instantiation gives NULL with kind ISOLA_ERR_TRAP.
 */
isola_instance *isola_instantiate(isola_engine *engine, isola_module *module,
                                  const isola_extern *imports, uint32_t nimports,
                                  const isola_instance_limits *limits, isola_exec *exec,
                                  isola_error *err);
/* The module's start function, for an instance made with defer_start;
 * NULL if it has none (or no memory for its function object). */
isola_func *isola_instance_start(isola_instance *instance);
isola_instance *isola_instance_retain(isola_instance *instance);
void isola_instance_release(isola_instance *instance);
isola_module *isola_instance_module(const isola_instance *instance);   /* borrowed */
/* Looks an export up by name; false if there is none. The result is borrowed. */
bool isola_instance_export(isola_instance *instance, const char *name, isola_extern *out);
/* The same for a name given with its length (export names may contain NUL). */
bool isola_instance_export_n(isola_instance *instance, const char *name, size_t len, isola_extern *out);
/* Memory 0 of the instance, or NULL. Borrowed. */
isola_memory *isola_instance_memory(isola_instance *instance);
void *isola_instance_userdata(const isola_instance *instance);
void isola_instance_set_userdata(isola_instance *instance, void *user);

/* ---------------------------------------------------------------- execution */

typedef enum isola_status {
    ISOLA_OK = 0,        /* the call returned; results are available */
    ISOLA_TRAPPED,       /* the call trapped; see isola_exec_trap(). The context is reset. */
    ISOLA_YIELDED,       /* fuel ran out (or a host function yielded); isola_exec_resume() continues */
    ISOLA_SUSPENDED,     /* a host function blocked; isola_exec_resume() calls it again */
    ISOLA_FAILED,        /* the call could not start (bad arguments, context busy) */
} isola_status;

typedef enum isola_trap_kind {
    ISOLA_TRAP_NONE = 0,
    ISOLA_TRAP_UNREACHABLE,
    ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS,
    ISOLA_TRAP_TABLE_OUT_OF_BOUNDS,        /* table.get/set/copy/init, call_indirect index */
    ISOLA_TRAP_UNINITIALIZED_ELEMENT,      /* call_indirect through a null entry */
    ISOLA_TRAP_INDIRECT_CALL_TYPE,         /* call_indirect signature mismatch */
    ISOLA_TRAP_DIVIDE_BY_ZERO,
    ISOLA_TRAP_INTEGER_OVERFLOW,
    ISOLA_TRAP_INVALID_CONVERSION,         /* float to int of NaN */
    ISOLA_TRAP_STACK_EXHAUSTED,            /* call depth or value stack limit */
    ISOLA_TRAP_HOST,                       /* a host function trapped */
} isola_trap_kind;

typedef struct isola_frame_info {
    uint32_t func_index;         /* in the module's function index space */
    const char *func_name;       /* from the `name` section, or NULL */
    const char *module_name;     /* from the `name` section, or NULL */
} isola_frame_info;

typedef struct isola_trap {
    isola_trap_kind kind;
    const char *message;         /* the spec's wording, e.g. "integer divide by zero" */
    uint32_t nframes;            /* backtrace, innermost first */
    const isola_frame_info *frames;
} isola_trap;

typedef struct isola_exec_config {
    uint32_t stack_slots;        /* value stack size in 8-byte slots (default 1M = 8 MiB) */
    uint32_t max_call_depth;     /* deeper calls trap with ISOLA_TRAP_STACK_EXHAUSTED (default 20000) */
} isola_exec_config;

#define ISOLA_FUEL_UNLIMITED INT64_MAX

/* A context for calls into instances of `engine`'s modules (cfg NULL:
 * defaults). A context whose stacks fit 64 KiB comes from the engine's pool
 * of execution stacks, bigger ones from malloc. */
isola_exec *isola_exec_new(isola_engine *engine, const isola_exec_config *cfg, isola_error *err);
void isola_exec_release(isola_exec *exec);

/* Fuel is spent at function entries (plus a unit per 8 locals cleared, past
 * the first 4), host calls and loop back-edges, and by bulk
 * instructions by size: a unit per 64 bytes (memory.fill/copy/init) or 8
 * elements (table.fill/copy/init), and by host functions for their work
 * (isola_host_spend_fuel). A run stops when none is left; what a call or a
 * local clear spent beyond that is a debt: isola_exec_fuel can return a
 * negative value, for the caller to carry into its accounting.
 * Default: unlimited. */
void isola_exec_set_fuel(isola_exec *exec, int64_t fuel);
int64_t isola_exec_fuel(const isola_exec *exec);

/* Starts a call of `func`. On ISOLA_OK the results are read with isola_exec_results(). */
isola_status isola_exec_call(isola_exec *exec, isola_func *func, const isola_value *args, uint32_t nargs);
/* Continues a call that returned ISOLA_YIELDED or ISOLA_SUSPENDED. */
isola_status isola_exec_resume(isola_exec *exec);
/* Completes, from outside, the host call that suspended the run (its
 * function returned ISOLA_HOST_BLOCK): its results must already be in the
 * slots it was given. The next resume continues after the call instead of
 * calling the function again. false (nothing changed) if the run is not
 * suspended in a host call. Not while the context is running. */
bool isola_exec_host_complete(isola_exec *exec);
/* Abandons a yielded or suspended call, leaving the context ready for a new one. */
void isola_exec_reset(isola_exec *exec);
/* Copies up to `max` results of the last completed call; returns how many there are. */
uint32_t isola_exec_results(const isola_exec *exec, isola_value *out, uint32_t max);
/* The last trap, valid until the next call on this context. */
const isola_trap *isola_exec_trap(const isola_exec *exec);
/* Why the last call FAILED to start, one line. */
const char *isola_exec_error(const isola_exec *exec);

/* Writes "kind: message" and one backtrace line per frame into buf (always NUL-terminated). */
size_t isola_trap_format(const isola_trap *trap, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
