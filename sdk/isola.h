/*
 * sdk/isola.h - the guest side of the isola process API, for C programs
 * built with `clang --target=wasm32-wasi -nostdlib`. Every function is a
 * host import of module "isola"; docs/guest-api.md is the reference.
 * Results: >= 0 is success (a handle, a size, 0), < 0 an ISOLA_E* code.
 */
#ifndef ISOLA_SDK_H
#define ISOLA_SDK_H

#include <stdint.h>

#define ISOLA_IMPORT(name) __attribute__((import_module("isola"), import_name(name)))

/* Status codes (same values as the host's). */
#define ISOLA_EBADHANDLE (-1)
#define ISOLA_EACCES (-2)
#define ISOLA_ETYPE (-3)
#define ISOLA_EREVOKED (-4)
#define ISOLA_ENOMEM (-5)
#define ISOLA_ELIMIT (-6)
#define ISOLA_EFULL (-7)
#define ISOLA_EPEER (-8)
#define ISOLA_ECLOSED (-9)
#define ISOLA_EAGAIN (-10)
#define ISOLA_EINVAL (-11)
#define ISOLA_ETOOBIG (-12)
#define ISOLA_EBUSY (-13)
#define ISOLA_ELOOP (-15)       /* send: an endpoint in the message would be queued in itself */
#define ISOLA_ESTART (-16)      /* spawn: the child's start function trapped */

/* Rights. */
#define ISOLA_RIGHT_SEND (1u << 0)
#define ISOLA_RIGHT_RECEIVE (1u << 1)
#define ISOLA_RIGHT_SPAWN (1u << 2)
#define ISOLA_RIGHT_KILL (1u << 3)
#define ISOLA_RIGHT_MONITOR (1u << 4)
#define ISOLA_RIGHT_DUPLICATE (1u << 5)
#define ISOLA_RIGHT_TRANSFER (1u << 6)

/* System tags. */
#define ISOLA_TAG_START 0xFFFFFFFFFFFFFF01ull
#define ISOLA_TAG_DOWN 0xFFFFFFFFFFFFFF02ull
#define ISOLA_TAG_EXIT 0xFFFFFFFFFFFFFF03ull

/* Exit kinds in down/exit messages. */
#define ISOLA_EXIT_NORMAL 0
#define ISOLA_EXIT_EXIT 1
#define ISOLA_EXIT_TRAP 2
#define ISOLA_EXIT_KILLED 3
#define ISOLA_EXIT_LIMIT 4
#define ISOLA_EXIT_FAILED 5

#define ISOLA_MAILBOX 0          /* receive(): the caller's own mailbox */
#define ISOLA_SEND_WAIT 1u       /* send(): wait while the queue is full */
#define ISOLA_RECV_TAG 1u        /* receive(): only messages with `tag` */
#define ISOLA_RECV_CLOSE_EXTRA 2u /* receive(): close the handles that do not fit instead of failing */
#define ISOLA_FOREVER (-1LL)

/* 40 bytes. A zero field takes the default, except live_children: 0 means
 * the child may not spawn. A NULL limits pointer takes every default. */
typedef struct isola_limits {
    uint64_t fuel_per_slice;
    uint64_t fuel_total;
    uint64_t queue_bytes;
    uint32_t memory_pages;
    uint32_t queue_count;
    uint32_t handle_count;       /* handles in its table; also channels and dir handles
                                    it made that are alive, wherever their handles went,
                                    and the WASI files it holds open */
    uint32_t live_children;
} isola_limits;

typedef struct isola_msg_info {  /* filled by receive() */
    uint64_t tag;
    uint32_t size;               /* full size (the copy is truncated to max) */
    uint32_t handle_count;
} isola_msg_info;

typedef struct isola_down {      /* payload of ISOLA_TAG_DOWN / ISOLA_TAG_EXIT */
    uint64_t ref;                /* monitor ref, or the linked process's id */
    int32_t kind;
    int32_t reason;
} isola_down;

ISOLA_IMPORT("spawn") int32_t isola_spawn(int32_t module, const char *entry, uint32_t entry_len,
                                          const void *arg, uint32_t arg_len, const int32_t *handles,
                                          uint32_t handle_count, const isola_limits *limits);
ISOLA_IMPORT("self") int32_t isola_self(void);
ISOLA_IMPORT("channel_create") int32_t isola_channel_create(int32_t out[2]);
ISOLA_IMPORT("send") int32_t isola_send(int32_t handle, uint64_t tag, const void *bytes, uint32_t len,
                                        const int32_t *handles, uint32_t handle_count, uint32_t flags);
ISOLA_IMPORT("receive") int32_t isola_receive(int32_t handle, uint64_t tag, uint32_t flags, void *buf,
                                              uint32_t max, int32_t *handles, uint32_t handles_max,
                                              isola_msg_info *info, int64_t timeout_ns);
ISOLA_IMPORT("close") int32_t isola_close(int32_t handle);
ISOLA_IMPORT("duplicate") int32_t isola_duplicate(int32_t handle, uint32_t rights);
ISOLA_IMPORT("exit") __attribute__((noreturn)) void isola_exit(int32_t reason);
ISOLA_IMPORT("kill") int32_t isola_kill(int32_t process, int32_t reason);
ISOLA_IMPORT("monitor") int64_t isola_monitor(int32_t process);
ISOLA_IMPORT("link") int32_t isola_link(int32_t process);
ISOLA_IMPORT("trap_exits") int32_t isola_trap_exits(int32_t on);
ISOLA_IMPORT("sleep") int32_t isola_sleep(int64_t ns);
ISOLA_IMPORT("yield") int32_t isola_yield(void);
ISOLA_IMPORT("now") int64_t isola_now(void);

/* Conveniences. */
static inline int32_t isola_recv_any(void *buf, uint32_t max, int32_t *handles, uint32_t hmax,
                                     isola_msg_info *info)
{
    return isola_receive(ISOLA_MAILBOX, 0, 0, buf, max, handles, hmax, info, ISOLA_FOREVER);
}

static inline uint32_t isola_strlen(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* Trap kinds: the reason of an ISOLA_EXIT_TRAP end (the host's isola_trap_kind). */
#define ISOLA_TRAP_UNREACHABLE 1
#define ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS 2
#define ISOLA_TRAP_TABLE_OUT_OF_BOUNDS 3
#define ISOLA_TRAP_UNINITIALIZED_ELEMENT 4
#define ISOLA_TRAP_INDIRECT_CALL_TYPE 5
#define ISOLA_TRAP_DIVIDE_BY_ZERO 6
#define ISOLA_TRAP_INTEGER_OVERFLOW 7
#define ISOLA_TRAP_INVALID_CONVERSION 8
#define ISOLA_TRAP_STACK_EXHAUSTED 9
#define ISOLA_TRAP_HOST 10

/* Marks a function as an entry a process can be spawned at. */
#define ISOLA_EXPORT(name) __attribute__((export_name(name)))

/* ---- WASI processes (docs/wasi.md, "Processes"). A module that imports
 * both "wasi_snapshot_preview1" and "isola" is a WASI process: it runs
 * _start with its own WASI context, and the children it spawns from a
 * WASI module get one too: argv (and environment) from the argument
 * bytes, stdin empty, stdout/stderr the spawner's, and as preopens exactly
 * the directory handles in the spawn's handle list, in order. */

/* A handle (DUPLICATE, TRANSFER) to the caller's WASI directory `fd`,
 * carrying at most the given WASI rights (__WASI_RIGHTS_* bits; they are
 * intersected with what fd has). The receiver sees it as `name`
 * (name_len 0: the preopen's own name). Pass it in spawn's handle list. */
ISOLA_IMPORT("dir_handle") int32_t isola_dir_handle(int32_t fd, uint64_t rights_base,
                                                    uint64_t rights_inheriting, const char *name,
                                                    uint32_t name_len);

/* In spawn's argument bytes for a WASI child: NUL-terminated strings,
 * argv first; an entry equal to this mark starts NAME=VALUE entries. */
#define ISOLA_WASI_ENV_MARK "\x1e"

/* Appends `s` and its NUL to an argument block; -1 if it does not fit. */
static inline int32_t isola_args_add(char *buf, uint32_t *len, uint32_t max, const char *s)
{
    uint32_t n = isola_strlen(s) + 1;
    if (n > max - *len)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        buf[*len + i] = s[i];
    *len += n;
    return 0;
}

/* Takes the start message (argument bytes and handles the spawner passed;
 * the first process of `isola run` finds its own module handle there).
 * Returns its size, or ISOLA_EAGAIN if it was taken already. */
static inline int32_t isola_receive_start(void *buf, uint32_t max, int32_t *handles, uint32_t hmax,
                                          isola_msg_info *info)
{
    return isola_receive(ISOLA_MAILBOX, ISOLA_TAG_START, ISOLA_RECV_TAG, buf, max, handles, hmax, info, 0);
}

/* ---- Children and revocation (docs/guest-api.md, "Children" and
 * "Revocation"). */

#define ISOLA_RIGHT_REVOKE (1u << 7)
#define ISOLA_EDEADLOCK (-14)   /* host waits only; a guest never sees it */

/* The kill reason (kind ISOLA_EXIT_KILLED) of a child ended because the
 * process that spawned it ended. */
#define ISOLA_REASON_PARENT_ENDED (-2147483647 - 1)

/* By default a child ends when the process that spawned it ends (its quota
 * is carved from the spawner's). detach(child) lets it outlive the caller;
 * needs KILL on the child's handle. ISOLA_EINVAL if it is not the caller's
 * child; 0 also when it has ended already. */
ISOLA_IMPORT("detach") int32_t isola_detach(int32_t child);

/* A new revoker: a handle with ISOLA_RIGHT_REVOKE, DUPLICATE, TRANSFER. */
ISOLA_IMPORT("revoker_create") int32_t isola_revoker_create(void);

/* A new handle to what `handle` names, with `rights` (a subset of its own;
 * needs DUPLICATE), that stops working (ISOLA_EREVOKED) once `revoker` is
 * revoked, together with every copy of it: duplicates, and handles moved
 * in messages to other processes. One revoker can gate many handles. */
ISOLA_IMPORT("derive") int32_t isola_derive(int32_t handle, int32_t revoker, uint32_t rights);

/* Revokes (needs ISOLA_RIGHT_REVOKE); for good, idempotent. */
ISOLA_IMPORT("revoke") int32_t isola_revoke(int32_t revoker);

#endif
