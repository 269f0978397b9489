/*
 * wasi_link.c - the table of preview1 functions and how they become host
 * functions: isola_wasi_define checks an import's type against the table
 * and creates an isola_func whose user pointer binds the entry to its
 * context; one trampoline adapts every implementation to isola_host_fn
 * (the errno result, proc_exit as a trap, parking as ISOLA_HOST_BLOCK).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wasi_clock.h"
#include "wasi_ctx.h"

const wasi_func_entry wasi_func_table[WASI_FUNC_COUNT] = {
    { "args_get", "ii", true, wasi_args_get },
    { "args_sizes_get", "ii", true, wasi_args_sizes_get },
    { "environ_get", "ii", true, wasi_environ_get },
    { "environ_sizes_get", "ii", true, wasi_environ_sizes_get },
    { "clock_res_get", "ii", true, wasi_clock_res_get },
    { "clock_time_get", "iIi", true, wasi_clock_time_get },
    { "fd_advise", "iIIi", true, wasi_fd_advise },
    { "fd_allocate", "iII", true, wasi_fd_allocate },
    { "fd_close", "i", true, wasi_fd_close },
    { "fd_datasync", "i", true, wasi_fd_datasync },
    { "fd_fdstat_get", "ii", true, wasi_fd_fdstat_get },
    { "fd_fdstat_set_flags", "ii", true, wasi_fd_fdstat_set_flags },
    { "fd_fdstat_set_rights", "iII", true, wasi_fd_fdstat_set_rights },
    { "fd_filestat_get", "ii", true, wasi_fd_filestat_get },
    { "fd_filestat_set_size", "iI", true, wasi_fd_filestat_set_size },
    { "fd_filestat_set_times", "iIIi", true, wasi_fd_filestat_set_times },
    { "fd_pread", "iiiIi", true, wasi_fd_pread },
    { "fd_prestat_get", "ii", true, wasi_fd_prestat_get },
    { "fd_prestat_dir_name", "iii", true, wasi_fd_prestat_dir_name },
    { "fd_pwrite", "iiiIi", true, wasi_fd_pwrite },
    { "fd_read", "iiii", true, wasi_fd_read },
    { "fd_readdir", "iiiIi", true, wasi_fd_readdir },
    { "fd_renumber", "ii", true, wasi_fd_renumber_call },
    { "fd_seek", "iIii", true, wasi_fd_seek },
    { "fd_sync", "i", true, wasi_fd_sync },
    { "fd_tell", "ii", true, wasi_fd_tell },
    { "fd_write", "iiii", true, wasi_fd_write },
    { "path_create_directory", "iii", true, wasi_path_create_directory },
    { "path_filestat_get", "iiiii", true, wasi_path_filestat_get },
    { "path_filestat_set_times", "iiiiIIi", true, wasi_path_filestat_set_times },
    { "path_link", "iiiiiii", true, wasi_path_link },
    { "path_open", "iiiiiIIii", true, wasi_path_open },
    { "path_readlink", "iiiiii", true, wasi_path_readlink },
    { "path_remove_directory", "iii", true, wasi_path_remove_directory },
    { "path_rename", "iiiiii", true, wasi_path_rename },
    { "path_symlink", "iiiii", true, wasi_path_symlink },
    { "path_unlink_file", "iii", true, wasi_path_unlink_file },
    { "poll_oneoff", "iiii", true, wasi_poll_oneoff },
    { "proc_exit", "i", false, wasi_proc_exit },
    { "proc_raise", "i", true, wasi_proc_raise },
    { "sched_yield", "", true, wasi_sched_yield },
    { "random_get", "ii", true, wasi_random_get },
    { "sock_accept", "iii", true, wasi_sock_accept },
    { "sock_recv", "iiiiii", true, wasi_sock_recv },
    { "sock_send", "iiiii", true, wasi_sock_send },
    { "sock_shutdown", "ii", true, wasi_sock_shutdown },
};

static void set_error(isola_error *err, isola_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(isola_error *err, isola_error_kind kind, const char *fmt, ...)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ host functions */

/*
 * What a call's time is worth in fuel. Its bytes say what it copied, not
 * what the kernel did for it: resolving a long path through symlinks, a
 * stat of a slow disk. So in park mode with disk waits parked too (a
 * process of a VM on a worker, where a call never waits for another
 * program or a disk: it parks instead, and all its time is the worker's)
 * a call past a first microsecond (most never get there, and pay only
 * their unit) pays a unit per WASI_FUEL_NS it took, about what the
 * interpreter runs in that time. Time makes such a charge depend on the
 * machine; the budgets are about time anyway. Elsewhere a call may wait
 * (a sleep, a read of a terminal, a disk): not work, so not timed.
 */
#define WASI_FREE_NS 1000
#define WASI_FUEL_NS 8

uint32_t wasi_func_run(isola_wasi *w, const wasi_func_entry *entry, isola_host_call *call,
                       uint64_t *slots)
{
    wasi_call c = { .wasi = w, .host = call, .args = slots };
    c.mem = isola_host_memory(call, &c.mem_size);
    bool timed = w->block_mode == ISOLA_WASI_BLOCK_PARK && w->disk_policy == ISOLA_WASI_DISK_PARK;
    int64_t start = timed ? wasi_monotonic_ns() : 0;
    uint32_t r = entry->impl(&c);
    int64_t took = timed ? wasi_monotonic_ns() - start : 0;
    uint64_t units = c.moved / ISOLA_FUEL_BYTES;
    if (took > WASI_FREE_NS)
        units += (uint64_t)(took - WASI_FREE_NS) / WASI_FUEL_NS;
    if (units)
        isola_host_spend_fuel(call, units);
    return r;
}

isola_host_result wasi_func_result(const wasi_func_entry *entry, isola_host_call *call,
                                   uint64_t *slots, uint32_t r)
{
    switch (r) {
    case WASI_RESULT_EXIT:
        return isola_host_trap(call, "exit");
    case WASI_RESULT_BLOCK:
        return ISOLA_HOST_BLOCK;
    case WASI_RESULT_YIELD:
        slots[0] = 0;
        return ISOLA_HOST_YIELD;
    default:
        assert(r <= 0xFFFF);
        if (entry->returns_errno)
            slots[0] = r;
        return ISOLA_HOST_RETURN;
    }
}

static isola_host_result wasi_trampoline(isola_host_call *call, uint64_t *slots, void *user)
{
    wasi_binding *b = user;
    return wasi_func_result(b->entry, call, slots, wasi_func_run(b->wasi, b->entry, call, slots));
}

static const wasi_func_entry *find_entry(const char *name, size_t len, uint32_t *index)
{
    for (uint32_t i = 0; i < WASI_FUNC_COUNT; i++) {
        const char *n = wasi_func_table[i].name;
        if (strlen(n) == len && memcmp(n, name, len) == 0) {
            *index = i;
            return &wasi_func_table[i];
        }
    }
    return NULL;
}

static bool type_matches(const isola_functype *want, const isola_valtype *params, uint32_t np,
                         bool has_result)
{
    if (want->nparams != np || want->nresults != (has_result ? 1u : 0u))
        return false;
    for (uint32_t i = 0; i < np; i++)
        if (want->params[i] != params[i])
            return false;
    return !has_result || want->results[0] == ISOLA_I32;
}

bool wasi_func_define(const char *name, size_t name_len, const isola_externtype *type,
                      isola_engine *engine, isola_host_fn fn, void *const *users,
                      isola_extern *out, isola_error *err)
{
    uint32_t index = 0;
    const wasi_func_entry *entry = find_entry(name, name_len, &index);
    if (!entry) {
        set_error(err, ISOLA_ERR_NOT_FOUND, "WASI preview1 has no function \"%.*s\"",
                  (int)(name_len > 64 ? 64 : name_len), name);
        return false;
    }
    isola_valtype params[16];
    uint32_t np = (uint32_t)strlen(entry->params);
    assert(np <= 16);
    for (uint32_t i = 0; i < np; i++)
        params[i] = entry->params[i] == 'I' ? ISOLA_I64 : ISOLA_I32;
    static const isola_valtype result_i32 = ISOLA_I32;
    isola_functype ft = { np, entry->returns_errno ? 1u : 0u, params, &result_i32 };
    if (type && (type->kind != ISOLA_EXTERN_FUNC ||
                 !type_matches(&type->func, params, np, entry->returns_errno))) {
        set_error(err, ISOLA_ERR_LINK, "import \"%s\" \"%s\" has the wrong type for WASI preview1",
                  ISOLA_WASI_MODULE, entry->name);
        return false;
    }
    isola_func *f = isola_func_new(engine, &ft, fn, users[index], err);
    if (!f)
        return false;
    out->kind = ISOLA_EXTERN_FUNC;
    out->of.func = f;
    return true;
}

bool isola_wasi_define(isola_wasi *w, isola_engine *engine, const char *name, size_t name_len,
                       const isola_externtype *type, isola_extern *out, isola_error *err)
{
    void *users[WASI_FUNC_COUNT];
    for (uint32_t i = 0; i < WASI_FUNC_COUNT; i++)
        users[i] = &w->bindings[i];
    return wasi_func_define(name, name_len, type, engine, wasi_trampoline, users, out, err);
}
