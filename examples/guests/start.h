/*
 * examples/guests/start.h - the convention every example process follows
 * for its start message and for spawning.
 *
 * A process starts with nothing but its start message (tag ISOLA_TAG_START):
 * the argument bytes and the handles its spawner chose to give it. In the
 * examples handle 0 of that message is always the console (console.h);
 * the rest is up to the spawner, e.g. the module handle for a process that
 * may spawn, or a channel endpoint. A worker that is not handed the module
 * cannot spawn at all: there is no ambient authority.
 *
 * Arguments are unsigned decimal numbers, each NUL-terminated: the form a
 * WASI child reads as its argv too, so the same bytes work in both builds.
 *
 * Two ways to run (console.h): under examples/run_guest, which spawns
 * export "main" with [console, module]; or, built with -DEXAMPLE_WASI,
 * under `isola run`, which runs _start (EXAMPLE_COMMAND below) as a WASI
 * process whose start message holds only its module handle and whose
 * arguments are its command line. There the console slot is left empty
 * (-1) and output goes to WASI stdout, which children share.
 */
#ifndef EXAMPLE_START_H
#define EXAMPLE_START_H

#include "console.h"
#include "isola.h"

#define START_MAX_HANDLES 8
#define START_MAX_ARG 96
#define START_MAX_WORDS 8

typedef struct start_msg {
    int32_t handles[START_MAX_HANDLES]; /* handles[0] is the console */
    uint32_t handle_count;
    char arg[START_MAX_ARG];
    uint32_t arg_len;
} start_msg;

/* Appends `v` in decimal and a NUL; returns the new length (max: no room). */
static inline uint32_t start_pack(char *buf, uint32_t len, uint32_t max, uint32_t v)
{
    char digits[10];
    uint32_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (len + n + 1 > max)
        return max;
    while (n)
        buf[len++] = digits[--n];
    buf[len++] = '\0';
    return len;
}

/* The i-th number of the arguments (0 if missing or not a number). */
static inline uint32_t start_arg(const start_msg *s, uint32_t i)
{
    uint32_t pos = 0;
    for (; i > 0 && pos < s->arg_len; pos++)
        i -= s->arg[pos] == '\0';
    uint32_t v = 0;
    for (; pos < s->arg_len && s->arg[pos] >= '0' && s->arg[pos] <= '9'; pos++)
        v = v * 10 + (uint32_t)(s->arg[pos] - '0');
    return v;
}

#ifdef EXAMPLE_WASI
__attribute__((import_module("wasi_snapshot_preview1"), import_name("args_sizes_get"))) int32_t
start_args_sizes_get(uint32_t *argc, uint32_t *size);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("args_get"))) int32_t
start_args_get(char **argv, char *buf);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_exit"))) __attribute__((noreturn)) void
start_proc_exit(int32_t code);

static int start_is_command;   /* this process is the one `isola run` started */

/* The command line after the program name, as argument bytes. */
static inline void start_command_args(start_msg *s)
{
    uint32_t argc, size;
    char buf[START_MAX_ARG];
    char *argv[START_MAX_WORDS + 1];
    s->arg_len = 0;
    if (start_args_sizes_get(&argc, &size) != 0 || argc > START_MAX_WORDS + 1 || size > sizeof buf ||
        start_args_get(argv, buf) != 0)
        return;
    for (uint32_t i = 1; i < argc; i++) {
        uint32_t n = isola_strlen(argv[i]) + 1;
        if (s->arg_len + n > sizeof s->arg)
            return;
        __builtin_memcpy(s->arg + s->arg_len, argv[i], n);
        s->arg_len += n;
    }
}

/* _start for `isola run`: runs the example's main and exits with its result. */
#define EXAMPLE_COMMAND(main_fn)                                                                       \
    ISOLA_EXPORT("_start") void example_start(void)                                                    \
    {                                                                                                  \
        start_is_command = 1;                                                                          \
        int32_t code = main_fn();                                                                      \
        if (code)                                                                                      \
            start_proc_exit(code);                                                                     \
    }
#else
#define EXAMPLE_COMMAND(main_fn)
#endif

/* Takes the start message (whatever else is already queued stays queued)
 * and sets this process's console. A process without one ends at once. */
static inline void start_receive(start_msg *s)
{
    isola_msg_info info;
    int32_t *hs = s->handles;
#ifdef EXAMPLE_WASI
    hs = s->handles + 1;   /* no console handle: keep the other indexes */
    s->handles[0] = -1;
#endif
    int32_t n = isola_receive(ISOLA_MAILBOX, ISOLA_TAG_START, ISOLA_RECV_TAG, s->arg, sizeof s->arg, hs,
                              START_MAX_HANDLES - 1, &info, ISOLA_FOREVER);
    if (n < 0)
        isola_exit(n);
    s->arg_len = (uint32_t)n < sizeof s->arg ? (uint32_t)n : sizeof s->arg;
    s->handle_count = info.handle_count + (uint32_t)(hs - s->handles);
#ifdef EXAMPLE_WASI
    if (start_is_command)
        start_command_args(s);
#endif
    if (s->handle_count == 0)
        isola_exit(ISOLA_EINVAL);
    console_handle = s->handles[0];
}

/* Rights a child needs to pass a handle on, and to spawn from a module. */
#define START_CONSOLE_RIGHTS (ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)
#define START_MODULE_RIGHTS (ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)

/* Spawns `entry` of `module` with the numbers args[0..nargs), handing it a
 * copy of our console followed by `extra` (which move to the child).
 * Returns the process handle or a negative status. */
static inline int32_t start_spawn(int32_t module, const char *entry, const uint32_t *args, uint32_t nargs,
                                  const int32_t *extra, uint32_t extra_count, const isola_limits *limits)
{
    char arg[START_MAX_ARG];
    uint32_t len = 0;
    for (uint32_t i = 0; i < nargs; i++)
        if ((len = start_pack(arg, len, sizeof arg, args[i])) == sizeof arg)
            return ISOLA_EINVAL;
    int32_t hs[START_MAX_HANDLES];
    uint32_t n = 0;
    if (extra_count + 1 > START_MAX_HANDLES)
        return ISOLA_EINVAL;
#ifndef EXAMPLE_WASI
    if ((hs[n++] = isola_duplicate(console_handle, START_CONSOLE_RIGHTS)) < 0)
        return hs[0];
#endif
    for (uint32_t i = 0; i < extra_count; i++)
        hs[n++] = extra[i];
    int32_t child = isola_spawn(module, entry, isola_strlen(entry), arg, len, hs, n, limits);
#ifndef EXAMPLE_WASI
    if (child < 0)
        isola_close(hs[0]);
#endif
    return child;
}

/* A module handle for a child that may spawn too. */
static inline int32_t start_module_copy(int32_t module)
{
    return isola_duplicate(module, START_MODULE_RIGHTS);
}

#endif
