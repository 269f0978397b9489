/*
 * guest_fdquota.c - a WASI program that is also a process, for the limits
 * on host descriptors (docs/wasi.md, "Descriptor limits"). argv[1] picks
 * the part it plays; every part opens /d/f (in its preopen /d) until it is
 * refused and prints how many it got and why:
 *   (none)   run by `isola run --dir D::/d`: spawns "parent" with a handle
 *            limit of 16 and one live child, and waits for it.
 *   parent   twice spawns "hog" (handle limit 8) in its one child slot,
 *            then opens its own files: the second spawn needs the slot
 *            the first hog held, and its own count the whole 16, so any
 *            descriptor a hog's end failed to give back shows.
 *   hog      makes one directory handle (the objects it makes share the
 *            handle limit with its files), opens until EMFILE, checks
 *            that a refused O_CREAT created nothing and that closing one
 *            lets exactly one more open; ends holding them all (exit, or
 *            a trap in "hog trap").
 *   capped   the host's budget (run under a low `ulimit -n`): opens until
 *            ENFILE; a WASI child cannot be spawned then (its stdio would
 *            need descriptors); after closing some, a child opens one.
 *   hold     test_wasi_fdcap.c's hog: opens until refused, prints the
 *            count, then obeys stdin lines: "close" closes one, "spawn"
 *            tries to spawn "one" with the module handle of its start
 *            message; returns at EOF.
 *   one      opens one file and says whether it could.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isola.h"

#define MAX_OPENS 1000

static int fds[MAX_OPENS];
static int nfds;

static const char *errname(int e)
{
    switch (e) {
    case 0: return "none";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    default: return strerror(e);
    }
}

/* Opens /d/f until refused (or MAX_OPENS); returns the errno that stopped it. */
static int open_all(void)
{
    while (nfds < MAX_OPENS) {
        int fd = open("/d/f", O_RDONLY);
        if (fd < 0)
            return errno;
        fds[nfds++] = fd;
    }
    return 0;
}

static int32_t start_handles(int32_t *handles, uint32_t max)
{
    isola_msg_info info;
    if (isola_receive_start(NULL, 0, handles, max, &info) < 0)
        return 0;
    return (int32_t)info.handle_count;
}

/* Waits for the DOWN message of `ref`; returns its kind, or -1. */
static int32_t await(int64_t ref)
{
    isola_down d;
    isola_msg_info info;
    for (;;) {
        if (ref < 0 || isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info,
                                     ISOLA_FOREVER) < 0)
            return -1;
        if ((int64_t)d.ref == ref)
            return d.kind;
    }
}

/* Spawns this module's `part` with a directory handle of our /d as its
 * /d, and `give` (a handle, or 0) in its start message. */
static int32_t spawn_part(int32_t module, const char *part, const isola_limits *limits, int32_t give)
{
    int32_t dir = isola_dir_handle(3, ~0ull, ~0ull, "/d", 2);
    if (dir < 0)
        return dir;
    char args[64];
    uint32_t len = 0;
    isola_args_add(args, &len, sizeof args, "child");
    isola_args_add(args, &len, sizeof args, part);
    int32_t handles[2] = {dir, give};
    int32_t h = isola_spawn(module, "_start", 6, args, len, handles, give ? 2 : 1, limits);
    if (h < 0)
        isola_close(dir);
    return h;
}

static int hog(int trap)
{
    int32_t dir = isola_dir_handle(3, ~0ull, ~0ull, "/d", 2);
    int e = open_all();
    printf("hog: holds a directory handle (%s), opened %d files, then %s\n", dir > 0 ? "ok" : "failed", nfds,
           errname(e));
    int created = open("/d/new", O_WRONLY | O_CREAT, 0644);
    int cerr = errno;
    printf("hog: O_CREAT at the limit: %s, /d/new %s\n", created < 0 ? errname(cerr) : "opened",
           access("/d/new", F_OK) == 0 ? "exists" : "does not exist");
    close(fds[--nfds]);
    int one = open("/d/f", O_RDONLY), two = one >= 0 ? open("/d/f", O_RDONLY) : -1;
    printf("hog: after closing one: %s, then %s\n", one >= 0 ? "opened one" : errname(errno),
           two >= 0 ? "opened another" : errname(errno));
    if (trap)
        __builtin_trap();   /* ends holding all of them */
    return 0;
}

static int parent(void)
{
    int32_t module;
    if (start_handles(&module, 1) != 1)
        return 1;
    isola_limits hog_limits = {.handle_count = 8};
    const char *parts[2] = {"hog", "hog_trap"};
    for (int round = 0; round < 2; round++) {
        /* Printed once it has ended: on another worker it may be printing already. */
        int32_t h = spawn_part(module, parts[round], &hog_limits, 0);
        if (h > 0)
            printf("parent: %s spawned, ended kind %d\n", parts[round], await(isola_monitor(h)));
        else
            printf("parent: spawn %s: %d\n", parts[round], h);
    }
    int e = open_all();
    printf("parent: opened %d files, then %s\n", nfds, errname(e));
    return 0;
}

static int top(void)
{
    int32_t module;
    if (start_handles(&module, 1) != 1)
        return 1;
    isola_limits limits = {.handle_count = 16, .live_children = 1};
    int32_t h = spawn_part(module, "parent", &limits, module);
    if (h < 0) {
        printf("main: spawn parent: %d\n", h);
        return 1;
    }
    printf("main: parent ended kind %d\n", await(isola_monitor(h)));
    return 0;
}

static int capped(void)
{
    int32_t module;
    if (start_handles(&module, 1) != 1)
        return 1;
    int e = open_all();
    printf("capped: opened %d files, then %s\n", nfds, errname(e));
    printf("capped: spawn a WASI child now: %d\n", spawn_part(module, "one", NULL, 0));
    for (int i = 0; i < 8; i++)
        close(fds[--nfds]);
    int32_t h = spawn_part(module, "one", NULL, 0);
    int32_t kind = h > 0 ? await(isola_monitor(h)) : h;
    printf("capped: after closing 8, a child spawned and ended kind %d\n", kind);
    return 0;
}

static int hold(void)
{
    int32_t module = 0;
    start_handles(&module, 1);
    int e = open_all();
    printf("hold: opened %d files, then %s\n", nfds, errname(e));
    char line[32];
    while (fgets(line, sizeof line, stdin)) {
        if (strcmp(line, "close\n") == 0 && nfds > 0) {
            close(fds[--nfds]);
            printf("hold: closed one\n");
        } else if (strcmp(line, "spawn\n") == 0) {
            int32_t h = isola_spawn(module, "_start", 6, "child\0one\0", 10, 0, 0, 0);
            if (h > 0)
                await(isola_monitor(h));
            printf("hold: spawn: %s\n", h > 0 ? "ok" : h == ISOLA_ENOMEM ? "ENOMEM" : "refused");
        }
    }
    return 0;
}

static int one(void)
{
    int fd = open("/d/f", O_RDONLY);
    printf("one: %s\n", fd >= 0 ? "opened" : errname(errno));
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);   /* parents and children share stdout: keep the order */
    const char *part = argc >= 2 ? argv[1] : "";
    if (strcmp(part, "parent") == 0)
        return parent();
    if (strcmp(part, "hog") == 0)
        return hog(0);
    if (strcmp(part, "hog_trap") == 0)
        return hog(1);
    if (strcmp(part, "capped") == 0)
        return capped();
    if (strcmp(part, "hold") == 0)
        return hold();
    if (strcmp(part, "one") == 0)
        return one();
    return top();
}
