/*
 * wasi.c - the isola_wasi context: creation and release, what the guest
 * is given (args, environment, stdio, preopened directories), the table
 * of preview1 functions, and the trampoline that adapts every
 * implementation to isola_host_fn (results, proc_exit traps, parking).
 */
#include "wasi_ctx.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasi_abi.h"
#include "wasi_mem.h"

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

/* ------------------------------------------------------------ lifecycle */

isola_wasi *isola_wasi_new(isola_error *err)
{
    isola_wasi *w = calloc(1, sizeof *w);
    if (!w) {
        set_error(err, ISOLA_ERR_RESOURCE, "out of memory creating a WASI context");
        return NULL;
    }
    for (uint32_t i = 0; i < WASI_FUNC_COUNT; i++)
        w->bindings[i] = (wasi_binding){ w, &wasi_func_table[i] };
    return w;
}

static void free_strings(char **list, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void isola_wasi_release(isola_wasi *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->nfds; i++)
        wasi_fd_entry_close(&w->fds[i]);
    free(w->fds);
    free_strings(w->args, w->nargs);
    free_strings(w->env, w->nenv);
    free(w);
}

/* ------------------------------------------------------------ what the guest sees */

bool isola_wasi_set_args(isola_wasi *w, int argc, const char *const *argv, isola_error *err)
{
    assert(w && argc >= 0);
    char **copy = calloc((size_t)argc + 1, sizeof *copy);
    if (!copy)
        goto oom;
    for (int i = 0; i < argc; i++) {
        copy[i] = strdup(argv[i]);
        if (!copy[i]) {
            free_strings(copy, (uint32_t)i);
            goto oom;
        }
    }
    free_strings(w->args, w->nargs);
    w->args = copy;
    w->nargs = (uint32_t)argc;
    return true;
oom:
    set_error(err, ISOLA_ERR_RESOURCE, "out of memory copying %d arguments", argc);
    return false;
}

bool isola_wasi_add_env(isola_wasi *w, const char *name_value, isola_error *err)
{
    assert(w && name_value);
    const char *eq = strchr(name_value, '=');
    if (!eq || eq == name_value) {
        set_error(err, ISOLA_ERR_ARGUMENT, "environment entry '%s' is not NAME=VALUE", name_value);
        return false;
    }
    char **env = realloc(w->env, ((size_t)w->nenv + 1) * sizeof *env);
    if (!env)
        goto oom;
    w->env = env;
    env[w->nenv] = strdup(name_value);
    if (!env[w->nenv])
        goto oom;
    w->nenv++;
    return true;
oom:
    set_error(err, ISOLA_ERR_RESOURCE, "out of memory adding an environment entry");
    return false;
}

bool isola_wasi_set_stdio(isola_wasi *w, int in, int out, int errfd, isola_error *err)
{
    int host[3] = { in, out, errfd };
    for (uint32_t i = 0; i < 3; i++) {
        if (i < w->nfds && w->fds[i].host_fd >= 0) {
            set_error(err, ISOLA_ERR_ARGUMENT, "stdio must be set before other descriptors");
            return false;
        }
    }
    for (uint32_t i = 0; i < 3; i++) {
        if (host[i] < 0)
            continue;
        int dup_fd = fcntl(host[i], F_DUPFD_CLOEXEC, 0);
        if (dup_fd < 0) {
            set_error(err, ISOLA_ERR_ARGUMENT, "cannot use host descriptor %d as guest fd %u: %s",
                      host[i], i, strerror(errno));
            return false;
        }
        uint8_t type = wasi_filetype_of_fd(dup_fd);
        wasi_fd_entry e = { .host_fd = dup_fd, .filetype = type,
                            .rights_base = wasi_rights_for_filetype(type) };
        if (wasi_fd_insert_at(w, i, &e) != 0) {
            close(dup_fd);
            set_error(err, ISOLA_ERR_RESOURCE, "cannot install guest fd %u", i);
            return false;
        }
    }
    return true;
}

bool isola_wasi_inherit_stdio(isola_wasi *w, isola_error *err)
{
    return isola_wasi_set_stdio(w, 0, 1, 2, err);
}

bool isola_wasi_preopen_dir(isola_wasi *w, const char *host_path, const char *guest_path,
                            isola_error *err)
{
    assert(w && host_path);
    if (!guest_path)
        guest_path = host_path;
    int dfd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        set_error(err, ISOLA_ERR_NOT_FOUND, "cannot preopen directory '%s': %s", host_path,
                  strerror(errno));
        return false;
    }
    wasi_fd_entry e = {
        .host_fd = dfd, .filetype = WASI_FILETYPE_DIRECTORY,
        .rights_base = wasi_rights_for_filetype(WASI_FILETYPE_DIRECTORY),
        .rights_inheriting = wasi_rights_for_filetype(WASI_FILETYPE_DIRECTORY) |
                             wasi_rights_for_filetype(WASI_FILETYPE_REGULAR_FILE),
        .preopen_name = strdup(guest_path),
    };
    /* Preopens never take 0..2, even when stdio is closed: guests assume those are stdio. */
    uint32_t fd = 3;
    while (fd < w->nfds && w->fds[fd].host_fd >= 0)
        fd++;
    if (!e.preopen_name || wasi_fd_insert_at(w, fd, &e) != 0) {
        free(e.preopen_name);
        close(dfd);
        set_error(err, ISOLA_ERR_RESOURCE, "cannot install a descriptor for '%s'", host_path);
        return false;
    }
    return true;
}

bool isola_wasi_preopen_spec(isola_wasi *w, const char *spec, isola_error *err)
{
    const char *sep = strstr(spec, "::");
    if (!sep)
        return isola_wasi_preopen_dir(w, spec, spec, err);
    char *host = strndup(spec, (size_t)(sep - spec));
    if (!host) {
        set_error(err, ISOLA_ERR_RESOURCE, "out of memory");
        return false;
    }
    const char *guest = sep + 2;
    bool ok;
    if (host[0] == '\0' || guest[0] == '\0') {
        set_error(err, ISOLA_ERR_ARGUMENT, "--dir '%s': expected HOST[::GUEST]", spec);
        ok = false;
    } else {
        ok = isola_wasi_preopen_dir(w, host, guest, err);
    }
    free(host);
    return ok;
}

/* ------------------------------------------------------------ exit and blocking */

bool isola_wasi_exited(const isola_wasi *w) { return w->exited; }
int isola_wasi_exit_code(const isola_wasi *w) { return w->exit_code; }

void isola_wasi_set_block_mode(isola_wasi *w, isola_wasi_block_mode mode) { w->block_mode = mode; }

void isola_wasi_wait_info(const isola_wasi *w, isola_wasi_wait *out) { *out = w->wait; }

/* ------------------------------------------------------------ host functions */

static isola_host_result wasi_trampoline(isola_host_call *call, uint64_t *slots, void *user)
{
    wasi_binding *b = user;
    wasi_call c = { .wasi = b->wasi, .host = call, .args = slots };
    c.mem = isola_host_memory(call, &c.mem_size);
    uint32_t r = b->entry->impl(&c);
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
        if (b->entry->returns_errno)
            slots[0] = r;
        return ISOLA_HOST_RETURN;
    }
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

bool isola_wasi_define(isola_wasi *w, isola_engine *engine, const char *name, size_t name_len,
                       const isola_externtype *type, isola_extern *out, isola_error *err)
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
    isola_func *f = isola_func_new(engine, &ft, wasi_trampoline, &w->bindings[index], err);
    if (!f)
        return false;
    out->kind = ISOLA_EXTERN_FUNC;
    out->of.func = f;
    return true;
}
