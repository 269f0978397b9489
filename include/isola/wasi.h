/*
 * isola/wasi.h - WASI preview1 (`wasi_snapshot_preview1`) for isola
 * instances: a WASI context holds what one guest process may see (its
 * arguments, its environment, its file descriptors and preopened
 * directories) and provides the host functions a module imports.
 *
 * Use
 *   isola_wasi *w = isola_wasi_new(&err);
 *   isola_wasi_set_args(w, argc, argv, &err);
 *   isola_wasi_add_env(w, "HOME=/", &err);
 *   isola_wasi_preopen_dir(w, "/srv/data", "/data", &err);
 *   isola_wasi_inherit_stdio(w, &err);
 *   ... for each import whose module is "wasi_snapshot_preview1":
 *   isola_wasi_define(w, engine, name, len, &type, &ext, &err);
 *   ... instantiate, call "_start" ...
 *   if the call trapped and isola_wasi_exited(w): the process called
 *   proc_exit(isola_wasi_exit_code(w)); that is a normal end, not a crash.
 *
 * Capabilities
 *   A guest sees only the directories preopened for it. Every path is
 *   resolved beneath the directory descriptor it is relative to: `..`
 *   above it, absolute paths and symlinks leading out of it are refused
 *   with ENOTCAPABLE (or ELOOP/ENOENT as the host reports), never followed.
 *   The environment is exactly what was added; nothing is inherited.
 *
 * Lifetimes and threads
 *   The context must outlive every function isola_wasi_define gave out
 *   (and so the instances linked against them). A context serves one guest
 *   process at a time: one thread at a time may call into it.
 */
#ifndef ISOLA_WASI_H
#define ISOLA_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <isola/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ISOLA_WASI_MODULE "wasi_snapshot_preview1"

typedef struct isola_wasi isola_wasi;

isola_wasi *isola_wasi_new(isola_error *err);
/* Closes every descriptor the context owns. */
void isola_wasi_release(isola_wasi *wasi);

/* The guest's argv (copied). argv[0] is conventionally the program name. */
bool isola_wasi_set_args(isola_wasi *wasi, int argc, const char *const *argv, isola_error *err);
/* Adds one "NAME=VALUE" string (copied); NAME must be non-empty and hold no
 * '='. A NAME given again gets the new value (as env(1) does). */
bool isola_wasi_add_env(isola_wasi *wasi, const char *name_value, isola_error *err);

/*
 * Preopens host directory `host_path` as guest directory `guest_path`
 * (NULL: the same name). Preopens take descriptors 3, 4, ... in the order
 * given. Fails with ISOLA_ERR_NOT_FOUND if the directory cannot be opened.
 */
bool isola_wasi_preopen_dir(isola_wasi *wasi, const char *host_path, const char *guest_path,
                            isola_error *err);
/*
 * Parses a command-line style spec "HOST[::GUEST]" and preopens it.
 */
bool isola_wasi_preopen_spec(isola_wasi *wasi, const char *spec, isola_error *err);

/*
 * Gives the guest descriptors 0, 1 and 2 as duplicates of the host's
 * `in`, `out` and `errfd` (-1, or a descriptor closed on the host, leaves
 * that guest descriptor closed). The
 * context owns the duplicates; the host's descriptors are untouched.
 * Must be called before any preopen so stdio keeps numbers 0..2.
 */
bool isola_wasi_set_stdio(isola_wasi *wasi, int in, int out, int errfd, isola_error *err);
/* isola_wasi_set_stdio(wasi, 0, 1, 2, err). */
bool isola_wasi_inherit_stdio(isola_wasi *wasi, isola_error *err);

/*
 * Gives the guest a duplicate of host descriptor `host_fd` (a socket, a
 * pipe, an open file...) at the lowest free guest number >= 3, with the
 * rights that suit its type; *guest_fd gets the number. This is how a
 * guest gets sockets, which preview1 cannot create.
 */
bool isola_wasi_add_fd(isola_wasi *wasi, int host_fd, uint32_t *guest_fd, isola_error *err);

/*
 * Creates the host function for import `name` (of module
 * "wasi_snapshot_preview1") and checks it against the import's `type`
 * (NULL: no check).
 * Unknown names give ISOLA_ERR_NOT_FOUND, a type mismatch ISOLA_ERR_LINK.
 * The caller owns the function in out->of.func.
 */
bool isola_wasi_define(isola_wasi *wasi, isola_engine *engine, const char *name, size_t name_len,
                       const isola_externtype *type, isola_extern *out, isola_error *err);

/* True once the guest called proc_exit; its call then ended with a host trap. */
bool isola_wasi_exited(const isola_wasi *wasi);
/* The code given to proc_exit (only meaningful when isola_wasi_exited). */
int isola_wasi_exit_code(const isola_wasi *wasi);

/*
 * Blocking policy. ISOLA_WASI_BLOCK_THREAD (the default) lets a call that
 * must wait (fd_read on a pipe, poll_oneoff, sock_accept...) block the
 * calling thread: right for a single-process command line. With
 * ISOLA_WASI_BLOCK_PARK such a call instead returns ISOLA_HOST_BLOCK (the
 * run stops with ISOLA_SUSPENDED) after recording what it waits for;
 * a scheduler reads that with isola_wasi_wait_info, waits for it in its
 * event loop, and resumes the exec, which repeats the call.
 */
typedef enum isola_wasi_block_mode {
    ISOLA_WASI_BLOCK_THREAD = 0,
    ISOLA_WASI_BLOCK_PARK = 1,
} isola_wasi_block_mode;

void isola_wasi_set_block_mode(isola_wasi *wasi, isola_wasi_block_mode mode);

/* What a parked call waits for: any of the fds being ready, or the
 * deadline; or, with `disk`, nothing a poll can tell (see below). */
typedef struct isola_wasi_wait {
    uint32_t nfds;
    int fds[16];             /* host descriptors */
    short events[16];        /* poll() events for each */
    bool has_deadline;
    int64_t deadline_ns;     /* CLOCK_MONOTONIC */
    bool disk;               /* resume it on a thread that may block (ISOLA_WASI_DISK_WAIT) */
} isola_wasi_wait;

/*
 * Disk policy, for park mode only. A disk is not a pipe: no poll says when
 * fsync, fdatasync, posix_fallocate or a read of data not in the page
 * cache will finish, and each can take milliseconds (a slow disk) or for
 * ever (a hung network file system). ISOLA_WASI_DISK_WAIT (the default)
 * lets such a call wait on the calling thread. With ISOLA_WASI_DISK_PARK
 * it returns ISOLA_HOST_BLOCK with wait.disk set and nothing else to wait
 * for; the scheduler resumes the exec on a thread of its own that may
 * block, with ISOLA_WASI_DISK_WAIT set there, and the call runs again
 * (a read first tries the page cache without waiting: RWF_NOWAIT).
 */
typedef enum isola_wasi_disk_policy {
    ISOLA_WASI_DISK_WAIT = 0,
    ISOLA_WASI_DISK_PARK = 1,
} isola_wasi_disk_policy;

void isola_wasi_set_disk_policy(isola_wasi *wasi, isola_wasi_disk_policy policy);

/* Fills *out with the wait of the last call that returned ISOLA_HOST_BLOCK. */
void isola_wasi_wait_info(const isola_wasi *wasi, isola_wasi_wait *out);

/* ------------------------------------------------------------------------
 * Many guests, one context each (what the process VM uses)
 *
 * isola_wasi_define binds a function to one context. A scheduler running
 * many instances of one module instead creates the functions once, through
 * a router, and finds the caller's context at each call with hooks.context
 * (typically from isola_instance_userdata). The context should be in
 * ISOLA_WASI_BLOCK_PARK mode; when a call parks, hooks.parked runs (still
 * inside the call, before it returns ISOLA_HOST_BLOCK) so the scheduler can
 * register the wait (isola_wasi_wait_info) while the caller cannot yet be
 * resumed; when it calls proc_exit, hooks.exited runs before the call ends
 * with the "exit" trap.
 */
typedef struct isola_wasi_hooks {
    /* The caller's context, or NULL (the call then traps: no WASI here). */
    isola_wasi *(*context)(isola_host_call *call, void *user);
    void (*parked)(isola_host_call *call, isola_wasi *wasi, void *user);           /* may be NULL */
    void (*exited)(isola_host_call *call, isola_wasi *wasi, int code, void *user); /* may be NULL */
    void *user;
} isola_wasi_hooks;

typedef struct isola_wasi_router isola_wasi_router;

isola_wasi_router *isola_wasi_router_new(const isola_wasi_hooks *hooks, isola_error *err);
/* Every function the router defined must be released first. */
void isola_wasi_router_release(isola_wasi_router *router);
/* Like isola_wasi_define, for the router's contexts. The caller owns the function. */
bool isola_wasi_router_define(isola_wasi_router *router, isola_engine *engine, const char *name,
                              size_t name_len, const isola_externtype *type, isola_extern *out,
                              isola_error *err);

/* ------------------------------------------------------------------------
 * Counting host descriptors (what the process VM's quotas use)
 *
 * A context holds host descriptors for its guest: those it is given
 * (stdio, preopens, isola_wasi_add_fd) and those the guest has it open
 * (path_open, sock_accept). With hooks set, it asks hooks.acquire before
 * it keeps one more, and calls hooks.release (with the user current then)
 * when one it counted is closed: fd_close, the descriptor fd_renumber
 * overwrites, isola_wasi_release. A guest's open that acquire refuses
 * fails with the errno the verdict names, before the host is asked (so
 * O_CREAT creates nothing and no connection is taken off a listening
 * socket); a given descriptor it refuses makes the isola_wasi_* call that
 * gives it fail. Descriptors held before the hooks were set are never
 * counted. The hooks run on the thread calling into the context.
 */
typedef enum isola_wasi_fd_origin {
    ISOLA_WASI_FD_GIVEN = 0,    /* by the embedder: stdio, preopens, isola_wasi_add_fd */
    ISOLA_WASI_FD_OPENED = 1,   /* by the guest: path_open, sock_accept */
} isola_wasi_fd_origin;

typedef enum isola_wasi_fd_verdict {
    ISOLA_WASI_FD_KEEP = 0,     /* counted: keep it */
    ISOLA_WASI_FD_EMFILE = 1,   /* refused by the guest's own limit: errno EMFILE */
    ISOLA_WASI_FD_ENFILE = 2,   /* refused by a limit others share: errno ENFILE */
} isola_wasi_fd_verdict;

typedef struct isola_wasi_fd_hooks {
    isola_wasi_fd_verdict (*acquire)(void *user, isola_wasi_fd_origin origin);
    void (*release)(void *user, isola_wasi_fd_origin origin);
    void *user;
} isola_wasi_fd_hooks;

/* Sets the hooks (both functions, or neither: count nothing; one without
 * the other is refused). While descriptors counted through the current
 * functions are open, only `user` may change: false, and nothing changes,
 * for anything else. */
bool isola_wasi_set_fd_hooks(isola_wasi *wasi, const isola_wasi_fd_hooks *hooks);
/* The current hooks' user (NULL when none are set). */
void *isola_wasi_fd_hooks_user(const isola_wasi *wasi);

/* ------------------------------------------------------------------------
 * Handing directories from one context to another (spawn with a subset of
 * the parent's preopens)
 */

/* A directory descriptor a context holds. host_fd and name are borrowed. */
typedef struct isola_wasi_dir {
    int host_fd;
    const char *preopen_name;    /* guest name if it is a preopen, else NULL */
    uint64_t rights_base;
    uint64_t rights_inheriting;
} isola_wasi_dir;

/* Fills *out if guest descriptor `fd` is an open directory; false otherwise. */
bool isola_wasi_dir_get(const isola_wasi *wasi, uint32_t fd, isola_wasi_dir *out);

/*
 * Preopens a duplicate of the open host directory `host_dirfd` as
 * `guest_path`, with the given WASI rights (intersected with what a
 * directory may have), at the next free descriptor >= 3.
 */
bool isola_wasi_preopen_fd(isola_wasi *wasi, int host_dirfd, const char *guest_path,
                           uint64_t rights_base, uint64_t rights_inheriting, isola_error *err);

/* The host descriptor behind guest descriptor `fd`, or -1 (borrowed). */
int isola_wasi_host_fd(const isola_wasi *wasi, uint32_t fd);

#ifdef __cplusplus
}
#endif

#endif
