/*
 * cli_run.c - `isola run`: the command line, and `isola run FILE --invoke
 * NAME [ARG...]`: load a module, link its imports, instantiate it, call one
 * export with arguments parsed from the command line, and print the results
 * (or the trap) in a stable text form, directly on this thread. Without
 * --invoke, `isola run FILE [ARG...]` runs a WASI command as the first
 * process of a VM (cli_proc.c).
 *
 * Every step either succeeds or prints exactly one line naming what failed;
 * run_state owns everything allocated along the way so each exit path
 * releases it in one place.
 */
#include "cli.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cli_link.h"
#include "cli_proc.h"
#include "cli_value.h"
#include "cli_wasi.h"


typedef struct run_options {
    const char *path;
    const char *export_name;
    char **args;             /* the ARGs after --invoke NAME, as given */
    int nargs;
    bool fuel_set;
    int64_t fuel;
    uint32_t max_memory_pages;   /* 0: engine default */
    cli_wasi_options wasi;       /* --dir and --env */
    bool command;                /* no --invoke: run the WASI command's _start */
    cli_proc_options proc;       /* --max-procs, --max-handles, --max-queue */
} run_options;

typedef struct run_state {
    uint8_t *bytes;
    isola_engine *engine;
    isola_module *module;
    cli_imports imports;
    isola_exec *exec;
    isola_instance *instance;
    isola_value *args;
    isola_value *results;
    isola_wasi *wasi;            /* outlives the imports, whose functions point into it */
} run_state;

static void run_state_release(run_state *s)
{
    free(s->results);
    free(s->args);
    if (s->instance)
        isola_instance_release(s->instance);
    if (s->exec)
        isola_exec_release(s->exec);
    cli_imports_release(&s->imports);
    isola_wasi_release(s->wasi);
    if (s->module)
        isola_module_release(s->module);
    if (s->engine)
        isola_engine_release(s->engine);
    free(s->bytes);
}

/* ------------------------------------------------------------ arguments */

/* --max-procs, --max-handles, --max-queue: a count for the first process. */
static bool parse_proc_limit(const char *name, const char *value, cli_proc_options *proc)
{
    char why[128];
    uint64_t n = 0;
    if (!cli_parse_count(value, UINT32_MAX - 1, &n, why, sizeof why)) {
        cli_errorf("run: %s '%s': %s", name, value, why);
        return false;
    }
    if (strcmp(name, "--max-procs") == 0) {
        proc->max_procs_set = true;
        proc->max_procs = (uint32_t)n;
    } else if (n == 0) {
        cli_errorf("run: %s must be at least 1", name);
        return false;
    } else if (strcmp(name, "--max-handles") == 0) {
        proc->max_handles_set = true;
        proc->max_handles = (uint32_t)n;
    } else {
        proc->max_queue_set = true;
        proc->max_queue = (uint32_t)n;
    }
    return true;
}

/* Applies one `--option VALUE`; *i is advanced past the value. Returns false after reporting. */
static bool parse_option(int argc, char **argv, int *i, run_options *opts)
{
    const char *name = argv[*i];
    bool takes_value = strcmp(name, "--fuel") == 0 || strcmp(name, "--max-memory") == 0 ||
                       strcmp(name, "--invoke") == 0 || strcmp(name, "--dir") == 0 ||
                       strcmp(name, "--env") == 0 || strcmp(name, "--max-procs") == 0 ||
                       strcmp(name, "--max-handles") == 0 || strcmp(name, "--max-queue") == 0;
    if (!takes_value) {
        cli_errorf("run: unknown option '%s' (see isola --help)", name);
        return false;
    }
    if (*i + 1 >= argc) {
        cli_errorf("run: %s needs a value", name);
        return false;
    }
    const char *value = argv[++*i];
    char why[128];
    if (strcmp(name, "--invoke") == 0) {
        if (opts->export_name) {
            cli_errorf("run: --invoke given twice");
            return false;
        }
        if (opts->nargs > 0) {
            cli_errorf("run: unexpected argument '%s' before --invoke NAME", opts->args[0]);
            return false;
        }
        opts->export_name = value;
    } else if (strcmp(name, "--dir") == 0) {
        return cli_wasi_add_dir(&opts->wasi, value);
    } else if (strcmp(name, "--env") == 0) {
        if (!strchr(value, '=') || value[0] == '=') {
            cli_errorf("run: --env '%s': expected NAME=VALUE", value);
            return false;
        }
        return cli_wasi_add_env(&opts->wasi, value);
    } else if (strncmp(name, "--max-", 6) == 0 && strcmp(name, "--max-memory") != 0) {
        return parse_proc_limit(name, value, &opts->proc);
    } else if (strcmp(name, "--fuel") == 0) {
        uint64_t fuel = 0;
        if (!cli_parse_count(value, INT64_MAX, &fuel, why, sizeof why)) {
            cli_errorf("run: --fuel '%s': %s", value, why);
            return false;
        }
        opts->fuel_set = true;
        opts->fuel = (int64_t)fuel;
    } else {
        if (!cli_parse_memory_pages(value, CLI_MAX_PAGES, &opts->max_memory_pages, why, sizeof why)) {
            cli_errorf("run: --max-memory '%s': %s", value, why);
            return false;
        }
    }
    return true;
}

/*
 * Tokens starting with "--" are options wherever they appear (so --fuel may
 * follow the ARGs), until a bare "--"; everything else is positional: first
 * FILE, then ARGs (for --invoke NAME, or the WASI command's argv when there
 * is no --invoke). Negative numbers such as -1 or -inf start with a single
 * dash and so stay positional; guest arguments that start with "--" go
 * after a bare "--".
 */
static bool parse_run_args(int argc, char **argv, run_options *opts, bool *help)
{
    memset(opts, 0, sizeof *opts);
    opts->fuel = ISOLA_FUEL_UNLIMITED;
    *help = false;
    opts->args = calloc((size_t)argc, sizeof *opts->args);
    if (!opts->args) {
        cli_errorf("run: out of memory");
        return false;
    }
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            *help = true;
            return true;
        }
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (!options_done && strncmp(arg, "--", 2) == 0) {
            if (!parse_option(argc, argv, &i, opts))
                return false;
        } else if (!opts->path) {
            opts->path = arg;
        } else {
            opts->args[opts->nargs++] = argv[i];
        }
    }
    if (!opts->path) {
        cli_errorf("run: missing FILE (usage: isola run FILE.wasm [ARG...] or "
                   "isola run FILE.wasm --invoke NAME [ARG...])");
        return false;
    }
    opts->command = opts->export_name == NULL;
    if (!opts->command && (opts->proc.max_procs_set || opts->proc.max_handles_set || opts->proc.max_queue_set)) {
        cli_errorf("run: --max-procs, --max-handles and --max-queue apply to a command run as a process "
                   "(not with --invoke)");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ reporting */

/* Writes "(i32 i64)" for a list of types. */
static void format_types(const isola_valtype *types, uint32_t n, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "(");
    for (uint32_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "",
                                 cli_valtype_name(types[i]));
    if (used < size)
        snprintf(buf + used, size - used, ")");
}

/*
 * Prints "trap: MESSAGE" and then the backtrace. isola_trap_format's first
 * line restates the kind and message, which the "trap:" line already says,
 * so only the frame lines after it are printed.
 */
void cli_report_trap(const isola_trap *trap)
{
    fprintf(stderr, "trap: %s\n", trap->message ? trap->message : "unknown trap");
    char small[4096];
    char *buf = small;
    size_t need = isola_trap_format(trap, small, sizeof small);
    if (need >= sizeof small) {
        char *big = malloc(need + 1);
        if (big) {
            isola_trap_format(trap, big, need + 1);
            buf = big;
        }
    }
    const char *frames = strchr(buf, '\n');
    if (frames && frames[1] != '\0') {
        size_t len = strlen(frames + 1);
        fputs(frames + 1, stderr);
        if (frames[len] != '\n')
            fputc('\n', stderr);
    }
    if (buf != small)
        free(buf);
}

/* Lists the exported function names, to make "no such export" actionable. */
static void report_missing_export(const char *path, isola_module *module, const char *name)
{
    char list[512];
    size_t used = 0;
    list[0] = '\0';
    uint32_t n = isola_module_export_count(module);
    for (uint32_t i = 0; i < n && used < sizeof list - 1; i++) {
        const char *export_name = NULL;
        size_t len = 0;
        isola_externtype type;
        isola_module_export(module, i, &export_name, &len, &type);
        if (type.kind != ISOLA_EXTERN_FUNC)
            continue;
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%.*s", used ? ", " : "",
                                 (int)(len > 64 ? 64 : len), export_name);
    }
    if (used == 0)
        fprintf(stderr, "%s: no export named '%s' (the module exports no functions)\n", path, name);
    else
        fprintf(stderr, "%s: no export named '%s' (exported functions: %s)\n", path, name, list);
}

/* ------------------------------------------------------------ steps */

/* Reads, decodes, validates and translates FILE; links its imports. */
static bool load_and_link(const run_options *opts, run_state *s)
{
    size_t len = 0;
    s->bytes = cli_read_file(opts->path, &len);
    if (!s->bytes)
        return false;
    isola_error err;
    memset(&err, 0, sizeof err);
    isola_engine_config cfg = { .max_memory_pages = CLI_MAX_PAGES, .pool_slot_pages = 256 };
    if (opts->max_memory_pages)
        cfg.max_memory_pages = opts->max_memory_pages;
    s->engine = isola_engine_new(&cfg, &err);
    if (!s->engine) {
        cli_errorf("cannot create engine: %s", err.message);
        return false;
    }
    s->module = isola_module_load(s->engine, s->bytes, len, &err);
    if (!s->module) {
        cli_report_module_error(opts->path, &err);
        return false;
    }
    /* An --invoke'd export sees argv = FILE (its ARGs are the call's). */
    s->wasi = cli_wasi_new(&opts->wasi, opts->path, NULL, 0);
    if (!s->wasi)
        return false;
    char why[512];
    if (!cli_link_imports(s->engine, s->module, s->wasi, &s->imports, why, sizeof why)) {
        fprintf(stderr, "%s: %s\n", opts->path, why);
        return false;
    }
    return true;
}

/* Creates the exec context (with the fuel budget) and instantiates; returns an exit code. */
static int instantiate(const run_options *opts, run_state *s)
{
    isola_error err;
    memset(&err, 0, sizeof err);
    s->exec = isola_exec_new(s->engine, NULL, &err);
    if (!s->exec) {
        cli_errorf("cannot create execution context: %s", err.message);
        return CLI_EXIT_ERROR;
    }
    isola_exec_set_fuel(s->exec, opts->fuel);
    isola_instance_limits limits = { .max_memory_pages = opts->max_memory_pages };
    s->instance = isola_instantiate(s->engine, s->module, s->imports.externs, s->imports.count,
                                    &limits, s->exec, &err);
    if (s->instance)
        return CLI_EXIT_OK;
    if (err.kind == ISOLA_ERR_TRAP && isola_wasi_exited(s->wasi))
        return -1;   /* the start function called proc_exit: the caller reads the code */
    if (err.kind == ISOLA_ERR_TRAP) {
        /* The start function trapped: prefer the context's trap, which has a backtrace. */
        const isola_trap *trap = isola_exec_trap(s->exec);
        if (trap && trap->kind != ISOLA_TRAP_NONE) {
            cli_report_trap(trap);
        } else {
            fprintf(stderr, "trap: %s\n", err.message);
        }
        return CLI_EXIT_TRAP;
    }
    fprintf(stderr, "%s: cannot instantiate: %s\n", opts->path, err.message);
    return CLI_EXIT_ERROR;
}

/* Finds the export, checks and parses the arguments against its type. */
static bool prepare_call(const run_options *opts, run_state *s, isola_func **func,
                         isola_functype *type)
{
    isola_extern ext;
    if (!isola_instance_export(s->instance, opts->export_name, &ext)) {
        report_missing_export(opts->path, s->module, opts->export_name);
        return false;
    }
    if (ext.kind != ISOLA_EXTERN_FUNC) {
        fprintf(stderr, "%s: export '%s' is not a function\n", opts->path, opts->export_name);
        return false;
    }
    *func = ext.of.func;
    isola_func_type(*func, type);
    char params[256];
    format_types(type->params, type->nparams, params, sizeof params);
    if ((uint32_t)opts->nargs != type->nparams) {
        cli_errorf("run: '%s' takes %u argument%s %s, got %d", opts->export_name, type->nparams,
                   type->nparams == 1 ? "" : "s", params, opts->nargs);
        return false;
    }
    s->args = calloc(type->nparams + 1, sizeof *s->args);
    s->results = calloc(type->nresults + 1, sizeof *s->results);
    if (!s->args || !s->results) {
        cli_errorf("run: out of memory");
        return false;
    }
    for (uint32_t i = 0; i < type->nparams; i++) {
        char why[128];
        if (!cli_value_parse(type->params[i], opts->args[i], &s->args[i], why, sizeof why)) {
            cli_errorf("run: argument %u of '%s' ('%s', %s): %s", i + 1, opts->export_name,
                       opts->args[i], cli_valtype_name(type->params[i]), why);
            return false;
        }
    }
    return true;
}

/*
 * Runs the call to completion. A yield with fuel left came from a host
 * function and is simply resumed; a yield with the tank empty is the --fuel
 * budget running out.
 */
static int call_and_report(const run_options *opts, run_state *s, isola_func *func,
                           const isola_functype *type)
{
    isola_status status = isola_exec_call(s->exec, func, s->args, type->nparams);
    while (status == ISOLA_YIELDED && isola_exec_fuel(s->exec) > 0)
        status = isola_exec_resume(s->exec);
    switch (status) {
    case ISOLA_OK: {
        uint32_t n = isola_exec_results(s->exec, s->results, type->nresults);
        assert(n == type->nresults);
        for (uint32_t i = 0; i < n && i < type->nresults; i++) {
            char text[CLI_VALUE_TEXT_MAX];
            cli_value_format(&s->results[i], text, sizeof text);
            printf("%s\n", text);
        }
        return CLI_EXIT_OK;
    }
    case ISOLA_TRAPPED:
        if (isola_wasi_exited(s->wasi))
            return isola_wasi_exit_code(s->wasi);
        cli_report_trap(isola_exec_trap(s->exec));
        return CLI_EXIT_TRAP;
    case ISOLA_YIELDED:
        cli_errorf("run: out of fuel (--fuel %lld) before '%s' returned",
                   (long long)opts->fuel, opts->export_name);
        return CLI_EXIT_FUEL;
    case ISOLA_SUSPENDED:
        cli_errorf("run: '%s' blocked in a host function and nothing can wake it",
                   opts->export_name);
        return CLI_EXIT_ERROR;
    case ISOLA_FAILED:
        break;
    }
    const char *why = isola_exec_error(s->exec);
    cli_errorf("run: cannot call '%s': %s", opts->export_name, why ? why : "unknown reason");
    return CLI_EXIT_ERROR;
}

int cli_run_main(int argc, char **argv)
{
    run_options opts;
    bool help = false;
    if (!parse_run_args(argc, argv, &opts, &help)) {
        free(opts.args);
        cli_wasi_options_free(&opts.wasi);
        return CLI_EXIT_ERROR;
    }
    if (help) {
        free(opts.args);
        cli_wasi_options_free(&opts.wasi);
        cli_print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (opts.command) {
        cli_proc_options po = opts.proc;
        po.path = opts.path;
        po.args = opts.args;
        po.nargs = opts.nargs;
        po.fuel_set = opts.fuel_set;
        po.fuel = opts.fuel;
        po.max_memory_pages = opts.max_memory_pages;
        po.wasi = &opts.wasi;
        int code = cli_proc_run(&po);
        free(opts.args);
        cli_wasi_options_free(&opts.wasi);
        return code;
    }
    run_state s;
    memset(&s, 0, sizeof s);
    int code = CLI_EXIT_ERROR;
    isola_func *func = NULL;
    isola_functype type;
    if (load_and_link(&opts, &s)) {
        code = instantiate(&opts, &s);
        if (code == -1)
            code = isola_wasi_exit_code(s.wasi);
        else if (code == CLI_EXIT_OK)
            code = prepare_call(&opts, &s, &func, &type) ? call_and_report(&opts, &s, func, &type)
                                                          : CLI_EXIT_ERROR;
    }
    run_state_release(&s);
    free(opts.args);
    cli_wasi_options_free(&opts.wasi);
    return code;
}
