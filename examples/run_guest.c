/*
 * examples/run_guest.c - runs an example guest (examples/guests/) as the
 * first process of a VM, through the host API in include/isola/proc.h.
 *
 *   run_guest [--entry NAME] [--workers N] [--timeout SECONDS] GUEST.wasm [U32...]
 *
 * It loads the module, makes a console channel, and spawns the entry
 * (default "main") with the numbers as its argument bytes (each in decimal,
 * NUL-terminated: examples/guests/start.h) and two handles: the console's send end and the module (so the process
 * can spawn). Then it relays console text to stdout until every holder of
 * the console has ended, and exits with the entry process's outcome:
 * 0 if it returned 0, 1 for another reason or a start failure, 2 for a
 * trap, 3 for a fuel limit, 4 if the run did not finish in time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isola/proc.h"

#define CONSOLE_TAG_TEXT 1       /* examples/guests/console.h */
#define MAX_ARGS 16

typedef struct run_options {
    const char *path;
    const char *entry;
    uint32_t workers;
    double timeout_s;
    char args[MAX_ARGS * 11];    /* the numbers as decimal strings, each NUL-terminated */
    uint32_t args_len;
} run_options;

static int usage(void)
{
    fprintf(stderr, "usage: run_guest [--entry NAME] [--workers N] [--timeout SECONDS] GUEST.wasm [U32...]\n");
    return 1;
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 0);
    if (!*s || *s == '-' || *end || v > UINT32_MAX)
        return 0;
    *out = (uint32_t)v;
    return 1;
}

static int parse_options(int argc, char **argv, run_options *o)
{
    *o = (run_options){.entry = "main", .timeout_s = 60};
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
        if (i + 1 >= argc)
            return 0;
        if (!strcmp(argv[i], "--entry"))
            o->entry = argv[i + 1];
        else if (!strcmp(argv[i], "--workers")) {
            if (!parse_u32(argv[i + 1], &o->workers))
                return 0;
        } else if (!strcmp(argv[i], "--timeout")) {
            o->timeout_s = strtod(argv[i + 1], NULL);
            if (o->timeout_s <= 0)
                return 0;
        } else
            return 0;
    }
    if (i >= argc)
        return 0;
    o->path = argv[i++];
    if (argc - i > MAX_ARGS)
        return 0;
    for (; i < argc; i++) {
        uint32_t v;
        if (!parse_u32(argv[i], &v))
            return 0;
        o->args_len += (uint32_t)sprintf(o->args + o->args_len, "%u", v) + 1;
    }
    return 1;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *bytes = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (bytes = malloc(size ? (size_t)size : 1))) {
            *len = (size_t)size;
            if (fread(bytes, 1, *len, f) != *len) {
                free(bytes);
                bytes = NULL;
            }
        }
    }
    fclose(f);
    return bytes;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Copies console text to stdout until no process holds the console any
 * more (ISOLA_ECLOSED) or the deadline passes (0). */
static int relay_console(isola_vm *vm, int32_t console, int64_t deadline)
{
    char buf[4096];
    for (;;) {
        int64_t left = deadline - now_ns();
        if (left <= 0)
            return 0;
        uint64_t tag = 0;
        int32_t n = isola_vm_receive(vm, console, 1, 0, buf, sizeof buf, &tag, NULL, 0, NULL, left);
        if (n == -9 /* ISOLA_ECLOSED */)
            return 1;
        if (n == -10 /* ISOLA_EAGAIN: timed out */)
            return 0;
        if (n < 0) {
            fprintf(stderr, "run_guest: console: %s\n", isola_vm_strerror(n));
            return 0;
        }
        if (tag == CONSOLE_TAG_TEXT) {
            fwrite(buf, 1, (size_t)n < sizeof buf ? (size_t)n : sizeof buf, stdout);
            fflush(stdout);
        }
    }
}

static const char *exit_kind_name(int32_t kind)
{
    static const char *names[] = {"returned", "exited", "trapped", "was killed", "ran out of fuel",
                                  "could not start"};
    return kind >= 0 && kind <= 5 ? names[kind] : "ended";
}

static const char *trap_name(int32_t kind)
{
    static const char *names[] = {"none", "unreachable", "out of bounds memory access",
                                  "out of bounds table access", "uninitialized element",
                                  "indirect call type mismatch", "integer divide by zero",
                                  "integer overflow", "invalid conversion to integer",
                                  "call stack exhausted", "host function trap"};
    return kind >= 0 && kind <= ISOLA_TRAP_HOST ? names[kind] : "unknown trap";
}

/* The command's exit status for the entry process's outcome. */
static int exit_status(const char *entry, const isola_proc_exit *ex)
{
    if ((ex->kind == 0 || ex->kind == 1) && ex->reason == 0)
        return 0;
    if (ex->kind == 2)
        fprintf(stderr, "run_guest: %s trapped: %s\n", entry, trap_name(ex->reason));
    else
        fprintf(stderr, "run_guest: %s %s (reason %d)\n", entry, exit_kind_name(ex->kind), ex->reason);
    return ex->kind == 2 ? 2 : ex->kind == 4 ? 3 : 1;
}

/* Spawns the entry, relays its console, waits for it. */
static int run(isola_vm *vm, int32_t module, const run_options *o)
{
    int32_t console, console_send;
    if (isola_vm_channel(vm, &console, &console_send) < 0) {
        fprintf(stderr, "run_guest: out of memory\n");
        return 1;
    }
    /* The first process may spawn a large tree: give it room (quotas nest,
     * so its children share this). */
    isola_proc_limits limits = {.memory_pages = 65536, .handle_count = 65536, .queue_count = 65536,
                                .live_children = 100000};
    int32_t hs[2] = {console_send, module};
    isola_error err = {0};
    int32_t p = isola_vm_spawn(vm, module, o->entry, o->args, o->args_len, hs, 2, &limits, &err);
    if (p < 0) {
        fprintf(stderr, "run_guest: spawn %s: %s\n", o->entry, err.message[0] ? err.message : isola_vm_strerror(p));
        return 1;
    }
    int64_t deadline = now_ns() + (int64_t)(o->timeout_s * 1e9);
    if (!relay_console(vm, console, deadline)) {
        fprintf(stderr, "run_guest: not finished after %g s; %llu processes still alive, killing them\n",
                o->timeout_s, (unsigned long long)isola_vm_live(vm));
        return 4;
    }
    isola_proc_exit ex = {0};
    int32_t w = isola_vm_wait(vm, p, 5000000000LL, &ex);
    if (w < 0) {
        fprintf(stderr, "run_guest: %s closed its console but did not end\n", o->entry);
        return 4;
    }
    return exit_status(o->entry, &ex);
}

int main(int argc, char **argv)
{
    run_options o;
    if (!parse_options(argc, argv, &o))
        return usage();
    size_t len = 0;
    uint8_t *bytes = read_file(o.path, &len);
    if (!bytes) {
        fprintf(stderr, "run_guest: cannot read %s\n", o.path);
        return 1;
    }
    int status = 1;
    isola_error err = {0};
    isola_engine *engine = isola_engine_new(NULL, &err);
    isola_module *module = engine ? isola_module_load(engine, bytes, len, &err) : NULL;
    isola_vm_config cfg = {.workers = o.workers};
    isola_vm *vm = module ? isola_vm_new(engine, &cfg, &err) : NULL;
    int32_t module_h = vm ? isola_vm_load(vm, module, &err) : -1;
    if (module_h >= 0)
        status = run(vm, module_h, &o);
    else
        fprintf(stderr, "run_guest: %s: %s\n", o.path, err.message);
    if (vm)
        isola_vm_release(vm);   /* kills whatever is still alive */
    isola_module_release(module);
    isola_engine_release(engine);
    free(bytes);
    return status;
}
