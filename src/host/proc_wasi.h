/*
 * host/proc_wasi.h - WASI for processes, the parts the guest API needs:
 * directory capabilities (kernel objects a process makes from one of its
 * directory descriptors and hands to a child in spawn's handle list) and
 * building a spawned child's WASI context from its parent's. The VM-side
 * hooks (finding a process's context, parking it) are declared in
 * proc/vm.h. docs/wasi.md, "Processes", describes the model.
 */
#ifndef ISOLA_HOST_PROC_WASI_H
#define ISOLA_HOST_PROC_WASI_H

#include "proc/process.h"

/* A directory a process may hand on (PROC_OBJ_DIR). Immutable once made. */
typedef struct proc_dir {
    proc_object header;
    int host_fd;                 /* owned duplicate */
    char *name;                  /* the guest name it gets in the receiver */
    uint64_t rights_base;        /* WASI rights, already narrowed */
    uint64_t rights_inheriting;
    proc_quota_charge charge;    /* counted in its maker's quota while it lives */
} proc_dir;

/*
 * A directory object for guest descriptor `fd` of `wasi`, with at most the
 * given WASI rights and the guest name `name` (NULL/empty: the preopen's
 * name), made by process `maker`, whose quota counts it while it lives
 * (it holds a host descriptor wherever its handles go). ISOLA_EINVAL when
 * fd is no directory or has no name to use, ISOLA_ELIMIT when the maker
 * has as many objects alive as its handle limit, ISOLA_ENOMEM when out of
 * resources.
 */
int32_t proc_dir_new(proc_process *maker, uint32_t fd, uint64_t rights_base, uint64_t rights_inheriting,
                     const char *name, uint32_t name_len, proc_dir **out);

/* Separates an environment block from argv in spawn argument bytes. */
#define PROC_WASI_ENV_MARK "\x1e"
/* The most argument bytes and strings (argv and environment together) a
 * WASI child takes: about what a Linux command line may hold. */
#define PROC_WASI_ARG_MAX_BYTES (1u << 20)
#define PROC_WASI_ARG_MAX_STRINGS 65536u

/*
 * The WASI context of a child spawned by `parent` (NULL: by the host):
 * argv and environment from the argument bytes (NUL-terminated strings;
 * argv first, then optionally the entry PROC_WASI_ENV_MARK and NAME=VALUE
 * entries), stdin empty (/dev/null), stdout and stderr duplicates of the
 * parent's own (closed if it has none), and dirs[0..ndirs) as preopens 3,
 * 4, ... in order. Nothing else: no other file is reachable. NULL with
 * *status set (ISOLA_EINVAL for malformed bytes, ISOLA_ETOOBIG past
 * PROC_WASI_ARG_MAX_BYTES or _STRINGS, ISOLA_ENOMEM).
 */
isola_wasi *proc_wasi_child(const proc_process *parent, const uint8_t *arg, uint32_t arg_len,
                            proc_dir *const *dirs, uint32_t ndirs, int32_t *status);

#endif
