/*
 * wasi_funcs.h - the table of WASI preview1 functions: name, wasm
 * signature, and implementation. Implementations live with their concern
 * (wasi_fd_calls.c, wasi_path_calls.c, ...) and share one calling
 * convention, wasi_impl, so one trampoline adapts them all to
 * isola_host_fn.
 */
#ifndef WASI_FUNCS_H
#define WASI_FUNCS_H

#include <stdbool.h>
#include <stdint.h>

#include <isola/engine.h>

typedef struct isola_wasi isola_wasi;

/* One host call in progress: the context, the caller's memory, and the arguments. */
typedef struct wasi_call {
    isola_wasi *wasi;
    isola_host_call *host;
    uint8_t *mem;                /* NULL when the caller has no memory */
    uint64_t mem_size;
    const uint64_t *args;
    uint64_t moved;              /* bytes the call moved: charged as fuel (ISOLA_FUEL_BYTES) */
} wasi_call;

/*
 * What an implementation returns: a WASI errno (0..0xFFFF) written as the
 * function's i32 result, or one of these, which the trampoline turns into
 * a trap (proc_exit), a block (park the process) or a yield.
 */
enum {
    WASI_RESULT_EXIT = 0x10000,
    WASI_RESULT_BLOCK = 0x10001,
    WASI_RESULT_YIELD = 0x10002,
};

typedef uint32_t (*wasi_impl)(wasi_call *c);

typedef struct wasi_func_entry {
    const char *name;
    const char *params;          /* one letter per parameter: 'i' i32, 'I' i64 */
    bool returns_errno;          /* false only for proc_exit */
    wasi_impl impl;
} wasi_func_entry;

#define WASI_FUNC_COUNT 46

/* The table, sorted by nothing in particular; names are unique. */
extern const wasi_func_entry wasi_func_table[WASI_FUNC_COUNT];

/* wasi_link.c: runs one function for context w (the raw result above). */
uint32_t wasi_func_run(isola_wasi *w, const wasi_func_entry *entry, isola_host_call *call,
                       uint64_t *slots);
/* Turns a raw result into the host function's result (writing the errno). */
isola_host_result wasi_func_result(const wasi_func_entry *entry, isola_host_call *call,
                                   uint64_t *slots, uint32_t r);
/*
 * Finds import `name`, checks `type` (NULL: no check) and creates its host
 * function with `fn` and users[index of the function in wasi_func_table].
 */
bool wasi_func_define(const char *name, size_t name_len, const isola_externtype *type,
                      isola_engine *engine, isola_host_fn fn, void *const *users,
                      isola_extern *out, isola_error *err);

/* wasi_args.c */
uint32_t wasi_args_get(wasi_call *c);
uint32_t wasi_args_sizes_get(wasi_call *c);
uint32_t wasi_environ_get(wasi_call *c);
uint32_t wasi_environ_sizes_get(wasi_call *c);
/* wasi_clock.c */
uint32_t wasi_clock_res_get(wasi_call *c);
uint32_t wasi_clock_time_get(wasi_call *c);
/* wasi_fd_calls.c */
uint32_t wasi_fd_advise(wasi_call *c);
uint32_t wasi_fd_allocate(wasi_call *c);
uint32_t wasi_fd_close(wasi_call *c);
uint32_t wasi_fd_datasync(wasi_call *c);
uint32_t wasi_fd_fdstat_get(wasi_call *c);
uint32_t wasi_fd_fdstat_set_flags(wasi_call *c);
uint32_t wasi_fd_fdstat_set_rights(wasi_call *c);
uint32_t wasi_fd_filestat_get(wasi_call *c);
uint32_t wasi_fd_filestat_set_size(wasi_call *c);
uint32_t wasi_fd_filestat_set_times(wasi_call *c);
uint32_t wasi_fd_prestat_get(wasi_call *c);
uint32_t wasi_fd_prestat_dir_name(wasi_call *c);
uint32_t wasi_fd_renumber_call(wasi_call *c);
uint32_t wasi_fd_seek(wasi_call *c);
uint32_t wasi_fd_sync(wasi_call *c);
uint32_t wasi_fd_tell(wasi_call *c);
/* wasi_fd_io.c */
uint32_t wasi_fd_pread(wasi_call *c);
uint32_t wasi_fd_pwrite(wasi_call *c);
uint32_t wasi_fd_read(wasi_call *c);
uint32_t wasi_fd_write(wasi_call *c);
uint32_t wasi_fd_readdir(wasi_call *c);
/* wasi_path_calls.c */
uint32_t wasi_path_create_directory(wasi_call *c);
uint32_t wasi_path_filestat_get(wasi_call *c);
uint32_t wasi_path_filestat_set_times(wasi_call *c);
uint32_t wasi_path_link(wasi_call *c);
uint32_t wasi_path_open(wasi_call *c);
uint32_t wasi_path_readlink(wasi_call *c);
uint32_t wasi_path_remove_directory(wasi_call *c);
uint32_t wasi_path_rename(wasi_call *c);
uint32_t wasi_path_symlink(wasi_call *c);
uint32_t wasi_path_unlink_file(wasi_call *c);
/* wasi_poll.c */
uint32_t wasi_poll_oneoff(wasi_call *c);
/* wasi_proc.c */
uint32_t wasi_proc_exit(wasi_call *c);
uint32_t wasi_proc_raise(wasi_call *c);
uint32_t wasi_sched_yield(wasi_call *c);
uint32_t wasi_random_get(wasi_call *c);
/* wasi_sock.c */
uint32_t wasi_sock_accept(wasi_call *c);
uint32_t wasi_sock_recv(wasi_call *c);
uint32_t wasi_sock_send(wasi_call *c);
uint32_t wasi_sock_shutdown(wasi_call *c);

#endif
