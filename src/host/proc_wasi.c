/*
 * host/proc_wasi.c - WASI preview1 for processes. A module importing
 * wasi_snapshot_preview1 gets its WASI functions from the VM's router
 * (one per import, shared by all its processes); each call finds the
 * calling process's own context through the instance userdata. A call
 * that would block parks only its process: the hook below registers the
 * descriptors with the VM's epoll thread (proc/iowait.c) and the deadline
 * with the timer heap, and the process stays WAITING, on no thread, until
 * one of them wakes it; it then repeats the call. proc_exit ends the
 * process (kind EXIT), never the VM.
 *
 * Also here: directory capabilities (PROC_OBJ_DIR) and the context a
 * spawned child gets (proc_wasi.h).
 *
 * Host descriptors: every one a process's context opens for the guest
 * (path_open, sock_accept) counts against its handle limit, with the
 * objects it made (proc_quota_charge_held: EMFILE past it); every one a
 * context keeps, and every directory handle, takes a unit of the host's
 * budget (fd_budget.h: ENFILE past it). Descriptors a child is given at
 * spawn (stdio, its preopens) take budget units but not the child's own
 * limit: the spawner chose them, and each preopen was a directory handle
 * counted against the spawner until the spawn. The context's fd hooks do
 * the counting; a context gets its process as their user on its first
 * WASI call (the process does not exist yet when its context is built).
 */
#include "host/proc_wasi.h"

#include <assert.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/fd_budget.h"
#include "proc/iowait.h"
#include "proc/timer.h"
#include "proc/vm.h"

/* A parked call waiting on the full 16 descriptors may wait on more than it
 * could record: it is woken this often to look again (docs/wasi.md). */
#define PROC_WASI_RECHECK_NS 10000000u

/* ---------------------------------------------------------------- descriptors */

/* `user` is the process, or NULL while its context is being built (then
 * only given descriptors come, which its own limit does not count). */
static isola_wasi_fd_verdict fd_acquire(void *user, isola_wasi_fd_origin origin)
{
    proc_process *p = user;
    assert(p || origin == ISOLA_WASI_FD_GIVEN);
    bool own = origin == ISOLA_WASI_FD_OPENED;
    if (own && proc_quota_charge_held(&p->quota) != PROC_OK)
        return ISOLA_WASI_FD_EMFILE;
    if (!fd_budget_take()) {
        if (own)
            proc_quota_release_held(&p->quota);
        return ISOLA_WASI_FD_ENFILE;
    }
    return ISOLA_WASI_FD_KEEP;
}

static void fd_release(void *user, isola_wasi_fd_origin origin)
{
    proc_process *p = user;
    fd_budget_give();
    if (origin == ISOLA_WASI_FD_OPENED)
        proc_quota_release_held(&p->quota);
}

static void fd_hooks_set(isola_wasi *w, proc_process *p)
{
    isola_wasi_fd_hooks hooks = {.acquire = fd_acquire, .release = fd_release, .user = p};
    /* Fails only for an embedder's context with counting hooks of its own
     * and descriptors they counted: those hooks then stay in charge. */
    (void)isola_wasi_set_fd_hooks(w, &hooks);
}

/* ---------------------------------------------------------------- hooks */

static proc_process *caller(isola_host_call *call)
{
    return isola_host_userdata(call);
}

/* Drops what an earlier park registered: it either fired or is moot now. */
static void unpark(proc_process *p)
{
    if (!p->io_parked)
        return;
    proc_io_cancel(&p->vm->io, p);
    proc_timer_cancel(&p->vm->timers, p);
    p->io_parked = false;
}

static isola_wasi *hook_context(isola_host_call *call, void *user)
{
    (void)user;
    proc_process *p = caller(call);
    if (!p)
        return NULL;   /* not a process's instance */
    unpark(p);
    if (!p->wasi)
        return NULL;
    /* The first call: from now on what the guest opens is the process's. */
    if (isola_wasi_fd_hooks_user(p->wasi) != p)
        fd_hooks_set(p->wasi, p);
    /* A wait for the disk holds a worker, which every process needs: it
     * parks, and the next slice runs on a blocking thread (sched.h). */
    isola_wasi_set_disk_policy(p->wasi, p->on_blocker ? ISOLA_WASI_DISK_WAIT : ISOLA_WASI_DISK_PARK);
    return p->wasi;
}

static void hook_parked(isola_host_call *call, isola_wasi *wasi, void *user)
{
    (void)user;
    proc_process *p = caller(call);
    isola_wasi_wait wait;
    isola_wasi_wait_info(wasi, &wait);
    if (wait.disk) {
        p->disk_wait = true;   /* the worker hands it on as its slice ends (sched.c) */
        return;
    }
    p->io_parked = true;
    bool ok = wait.nfds > 0 || wait.has_deadline;
    if (ok && wait.nfds > 0)
        ok = proc_io_park(&p->vm->io, p, wait.fds, wait.events, wait.nfds);
    uint64_t deadline = UINT64_MAX;
    if (wait.has_deadline)
        deadline = wait.deadline_ns < 0 ? 0 : (uint64_t)wait.deadline_ns;
    if (wait.nfds == PROC_IO_MAX_FDS) {
        uint64_t recheck = proc_now_ns() + PROC_WASI_RECHECK_NS;
        if (recheck < deadline)
            deadline = recheck;
    }
    if (ok && deadline != UINT64_MAX)
        ok = proc_timer_arm(&p->vm->timers, p, deadline);
    /* Nothing to wait on that epoll accepts (or out of memory): run again
     * after the others rather than sleep forever. The call is retried. */
    if (!ok)
        proc_sched_wake(p);
}

static void hook_exited(isola_host_call *call, isola_wasi *wasi, int code, void *user)
{
    (void)wasi;
    (void)user;
    proc_process *p = caller(call);
    p->exit_requested = true;
    p->exit_reason = code;
}

bool proc_wasi_create(proc_vm *vm, isola_error *err)
{
    fd_budget_init();   /* the host's limit as it is now */
    isola_wasi_hooks hooks = {.context = hook_context, .parked = hook_parked, .exited = hook_exited};
    vm->wasi_router = isola_wasi_router_new(&hooks, err);
    return vm->wasi_router != NULL;
}

void proc_wasi_destroy(proc_vm *vm)
{
    isola_wasi_router_release(vm->wasi_router);
    vm->wasi_router = NULL;
}

bool proc_wasi_import(proc_vm *vm, const char *field, size_t field_len, const isola_externtype *type,
                      isola_extern *out, isola_error *err)
{
    return isola_wasi_router_define(vm->wasi_router, vm->engine, field, field_len, type, out, err);
}

isola_wasi *proc_wasi_empty(isola_error *err)
{
    return isola_wasi_new(err);
}

void proc_wasi_release(proc_process *p)
{
    if (!p->wasi)
        return;
    /* Unregister before the descriptors close: epoll would otherwise keep
     * watching a file another descriptor still refers to. */
    proc_io_cancel(&p->vm->io, p);
    p->io_parked = false;
    isola_wasi_release(p->wasi);
    p->wasi = NULL;
}

/* ---------------------------------------------------------------- directories */

static void dir_destroy(proc_object *object)
{
    proc_dir *d = (proc_dir *)object;
    close(d->host_fd);
    fd_budget_give();
    free(d->name);
    proc_quota_release_object(&d->charge);
    free(d);
}

int32_t proc_dir_new(proc_process *maker, uint32_t fd, uint64_t rights_base, uint64_t rights_inheriting,
                     const char *name, uint32_t name_len, proc_dir **out)
{
    isola_wasi_dir info;
    if (!maker->wasi || !isola_wasi_dir_get(maker->wasi, fd, &info))
        return ISOLA_EINVAL;
    if (name_len == 0 && !info.preopen_name)
        return ISOLA_EINVAL;   /* a directory opened by path has no name of its own */
    if (name_len >= PATH_MAX || (name_len && memchr(name, '\0', name_len)))
        return ISOLA_EINVAL;
    proc_dir *d = calloc(1, sizeof *d);
    if (!d)
        return ISOLA_ENOMEM;
    if (proc_quota_charge_object(&d->charge, &maker->quota, &maker->header) != PROC_OK) {
        free(d);
        return ISOLA_ELIMIT;
    }
    if (!fd_budget_take()) {   /* the host's reserve is not for guests */
        proc_quota_release_object(&d->charge);
        free(d);
        return ISOLA_ENOMEM;
    }
    d->name = name_len ? strndup(name, name_len) : strdup(info.preopen_name);
    d->host_fd = fcntl(info.host_fd, F_DUPFD_CLOEXEC, 3);   /* never in place of a closed stdio stream */
    if (!d->name || d->host_fd < 0) {
        if (d->host_fd >= 0)
            close(d->host_fd);
        fd_budget_give();
        free(d->name);
        proc_quota_release_object(&d->charge);
        free(d);
        return ISOLA_ENOMEM;
    }
    /* Never more than the giver holds: rights only shrink on the way down. */
    d->rights_base = rights_base & info.rights_base;
    d->rights_inheriting = rights_inheriting & info.rights_inheriting;
    proc_object_init(&d->header, PROC_OBJ_DIR, dir_destroy);
    *out = d;
    return PROC_OK;
}

/* ---------------------------------------------------------------- a child's context */

/* Splits the NUL-terminated strings of `arg` into argv and env. Each
 * string is copied into the child's context, which no quota counts: the
 * bytes and the strings are capped like a command line's (ISOLA_ETOOBIG). */
static int32_t child_args(isola_wasi *w, const uint8_t *arg, uint32_t len)
{
    if (len > PROC_WASI_ARG_MAX_BYTES)
        return ISOLA_ETOOBIG;
    if (len && arg[len - 1] != '\0')
        return ISOLA_EINVAL;
    uint32_t count = 0;
    for (uint32_t i = 0; i < len; i++)
        count += arg[i] == '\0';
    if (count > PROC_WASI_ARG_MAX_STRINGS)
        return ISOLA_ETOOBIG;
    const char **argv = calloc(count + 1, sizeof *argv);
    if (!argv)
        return ISOLA_ENOMEM;
    int argc = 0;
    bool env = false;
    int32_t r = PROC_OK;
    isola_error err;
    for (uint32_t i = 0; i < len && r == PROC_OK; i += (uint32_t)strlen((const char *)arg + i) + 1) {
        const char *s = (const char *)arg + i;
        if (!env && strcmp(s, PROC_WASI_ENV_MARK) == 0)
            env = true;
        else if (!env)
            argv[argc++] = s;
        else if (!isola_wasi_add_env(w, s, &err))
            r = err.kind == ISOLA_ERR_RESOURCE ? ISOLA_ENOMEM : ISOLA_EINVAL;
    }
    if (r == PROC_OK && !isola_wasi_set_args(w, argc, argv, &err))
        r = ISOLA_ENOMEM;
    free(argv);
    return r;
}

isola_wasi *proc_wasi_child(const proc_process *parent, const uint8_t *arg, uint32_t arg_len,
                            proc_dir *const *dirs, uint32_t ndirs, int32_t *status)
{
    isola_error err;
    isola_wasi *w = isola_wasi_new(&err);
    if (!w) {
        *status = ISOLA_ENOMEM;
        return NULL;
    }
    /* Counted from the start: what the child is given takes budget units
     * (a spawn past the budget fails with ISOLA_ENOMEM). */
    fd_hooks_set(w, NULL);
    /* Built on a worker: as the child will run, so nothing here asks a
     * file system that may wait (its descriptors are asked at first use,
     * on a blocking thread). */
    isola_wasi_set_block_mode(w, ISOLA_WASI_BLOCK_PARK);
    isola_wasi_set_disk_policy(w, ISOLA_WASI_DISK_PARK);
    int32_t r = child_args(w, arg, arg_len);
    if (r == PROC_OK) {
        /* stdin is empty: one input shared by several readers would be a
         * race nobody asked for. Output goes where the parent's goes. */
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        const isola_wasi *pw = parent ? parent->wasi : NULL;
        int out = pw ? isola_wasi_host_fd(pw, 1) : -1;
        int errfd = pw ? isola_wasi_host_fd(pw, 2) : -1;
        if (!isola_wasi_set_stdio(w, null_fd, out, errfd, &err))
            r = ISOLA_ENOMEM;
        if (null_fd >= 0)
            close(null_fd);
    }
    for (uint32_t i = 0; i < ndirs && r == PROC_OK; i++)
        if (!isola_wasi_preopen_fd(w, dirs[i]->host_fd, dirs[i]->name, dirs[i]->rights_base,
                                   dirs[i]->rights_inheriting, &err))
            r = ISOLA_ENOMEM;
    if (r != PROC_OK) {
        isola_wasi_release(w);
        *status = r;
        return NULL;
    }
    *status = PROC_OK;
    return w;
}
