/*
 * guest_spawn.c - a WASI program that is also a process: run by `isola run`
 * with --dir for /a, /b and /c, it spawns copies of itself (argv[1] says
 * which part to play) and hands each only some of its directories:
 *   files:  /a with all rights, /b read-only and renamed /ro; not /c.
 *           Writes in /a, reads /ro, must fail to write /ro or reach /c.
 *   bare:   nothing at all; prints its argv and environment from the
 *           spawn's argument bytes and sees no files.
 *   crash:  traps; the parent goes on.
 * Each child ends with exit(N) (proc_exit), which ends only the child: the
 * parent monitors them and prints how each ended, then checks what the
 * files child left in /a. "orphan" leaves a child sleeping for an hour and
 * exits: `isola run` must return at once (the child is killed). "killed"
 * hands a child its own process handle and is killed by it while asleep.
 * "syncwait" fsyncs a file in /a, then waits for a message nobody sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "isola.h"

#define RO_BASE (__WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_FILESTAT_GET | \
                 __WASI_RIGHTS_FD_FILESTAT_GET)
#define RO_INHERIT (RO_BASE | __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | \
                    __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS)

static void show_preopens(const char *who)
{
    for (int fd = 3; fd < 16; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0)
            break;
        char name[64] = {0};
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)name, ps.u.dir.pr_name_len < 63 ? ps.u.dir.pr_name_len : 63) != 0)
            break;
        printf("%s: preopen fd %d %s\n", who, fd, name);
    }
}

static void try_open(const char *who, const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    if (fd >= 0) {
        printf("%s: open %s: ok\n", who, path);
        close(fd);
    } else {
        printf("%s: open %s: %s\n", who, path, errno == ENOTCAPABLE ? "ENOTCAPABLE" :
               errno == ENOENT ? "ENOENT" : strerror(errno));
    }
}

static void try_write(const char *who, const char *path)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0) {
        printf("%s: open %s for writing: %s\n", who, path, errno == ENOTCAPABLE ? "ENOTCAPABLE" : strerror(errno));
        return;
    }
    ssize_t n = write(fd, "x", 1);
    printf("%s: write to %s: %s\n", who, path, n == 1 ? "ok" : errno == EBADF ? "EBADF" :
           errno == ENOTCAPABLE ? "ENOTCAPABLE" : strerror(errno));
    close(fd);
}

static int child_files(void)
{
    show_preopens("files");
    FILE *f = fopen("/a/from_child.txt", "w");
    if (f) {
        fputs("written by the child\n", f);
        fclose(f);
        printf("files: wrote /a/from_child.txt\n");
    }
    char line[64] = "";
    f = fopen("/ro/data.txt", "r");
    if (f && fgets(line, sizeof line, f))
        printf("files: read /ro/data.txt: %s", line);
    if (f)
        fclose(f);
    try_open("files", "/ro/new.txt", O_WRONLY | O_CREAT);
    try_write("files", "/ro/data.txt");
    try_open("files", "/ro/data.txt", O_WRONLY | O_TRUNC);
    printf("files: unlink /ro/data.txt: %s\n", unlink("/ro/data.txt") == 0 ? "ok" : "refused");
    try_open("files", "/b/data.txt", O_RDONLY);
    try_open("files", "/c/secret.txt", O_RDONLY);
    try_open("files", "/a/../c/secret.txt", O_RDONLY);
    try_open("files", "/ro/../c/secret.txt", O_RDONLY);
    fflush(stdout);
    exit(7);
}

static int child_bare(int argc, char **argv)
{
    printf("bare: argc=%d", argc);
    for (int i = 0; i < argc; i++)
        printf(" <%s>", argv[i]);
    const char *g = getenv("GREETING");
    printf("\nbare: GREETING=%s\n", g ? g : "unset");
    show_preopens("bare");
    try_open("bare", "/a/from_child.txt", O_RDONLY);
    char buf[8];
    printf("bare: stdin read %zd\n", read(0, buf, sizeof buf));
    fflush(stdout);
    exit(8);
}

/* Makes directory handles of its /a and moves each into a channel's queue,
 * until refused: each holds a host descriptor, and they count against the
 * child's handle limit (8, one taken by the channel) wherever they went. */
static int child_hoard(void)
{
    int32_t ch[2], made = 0, r = 0;
    if (isola_channel_create(ch) != 0)
        return 1;
    while (made < 1000 && (r = isola_dir_handle(3, ~0ull, ~0ull, "/h", 2)) > 0) {
        made++;
        if (isola_send(ch[1], 1, 0, 0, &r, 1, 0) != 0)
            return 2;
    }
    printf("hoard: %d directory handles made, moved into a channel, then %d\n", made, r);
    isola_close(ch[0]);
    isola_close(ch[1]);
    r = isola_dir_handle(3, ~0ull, ~0ull, "/h", 2);
    printf("hoard: once the channel is closed: %s\n", r > 0 ? "ok" : "refused");
    return 0;
}

static int child_sleep(void)
{
    struct timespec ts = {3600, 0};
    nanosleep(&ts, NULL);
    return 0;
}

/* Spawns this module again with argument bytes and handles; returns the process handle. */
static int32_t spawn_self(int32_t module, const char *args, uint32_t len, int32_t *handles, uint32_t n)
{
    int32_t h = isola_spawn(module, "_start", 6, args, len, handles, n, 0);
    if (h < 0)
        printf("parent: spawn failed %d\n", h);
    return h;
}

/* Waits for the DOWN message of `ref` and prints how the child ended. */
static void await(const char *who, int64_t ref)
{
    if (ref < 0) {
        printf("parent: cannot monitor %s (%lld)\n", who, (long long)ref);
        return;
    }
    isola_down d;
    isola_msg_info info;
    for (;;) {
        int32_t r = isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info,
                                  ISOLA_FOREVER);
        if (r < 0) {
            printf("parent: receive failed %d\n", r);
            return;
        }
        if ((int64_t)d.ref == ref)
            break;
    }
    printf("parent: %s ended kind %d reason %d\n", who, d.kind, d.reason);
}

static int32_t module_handle(void)
{
    int32_t handles[4];
    isola_msg_info info;
    int32_t r = isola_receive_start(NULL, 0, handles, 4, &info);
    if (r < 0 || info.handle_count < 1) {
        printf("parent: no module handle (%d)\n", r);
        exit(1);
    }
    return handles[0];
}

static int parent(void)
{
    int32_t module = module_handle();
    show_preopens("parent");
    int32_t dirs[2];
    dirs[0] = isola_dir_handle(3, ~0ull, ~0ull, 0, 0);                 /* /a as it is */
    dirs[1] = isola_dir_handle(4, RO_BASE, RO_INHERIT, "/ro", 3);      /* /b, read-only, as /ro */
    printf("parent: dir handles %s\n", dirs[0] > 0 && dirs[1] > 0 ? "ok" : "failed");
    printf("parent: dir_handle of a file descriptor: %d\n", isola_dir_handle(1, ~0ull, ~0ull, 0, 0));

    int32_t files = spawn_self(module, "child\0files\0", 12, dirs, 2);
    /* Printed once the child has ended: on another worker it may already
     * be printing, and the expected output has one order. */
    bool moved = isola_close(dirs[0]) == ISOLA_EBADHANDLE;
    await("files", isola_monitor(files));
    printf("parent: the dir handles moved: %s\n", moved ? "yes" : "no");

    char args[128];
    uint32_t len = 0;
    isola_args_add(args, &len, sizeof args, "child");
    isola_args_add(args, &len, sizeof args, "bare");
    isola_args_add(args, &len, sizeof args, "two words");
    isola_args_add(args, &len, sizeof args, ISOLA_WASI_ENV_MARK);
    isola_args_add(args, &len, sizeof args, "GREETING=hello");
    int32_t bare = spawn_self(module, args, len, 0, 0);
    await("bare", isola_monitor(bare));

    int32_t crash = spawn_self(module, "child\0crash\0", 12, 0, 0);
    await("crash", isola_monitor(crash));

    int32_t hoard_dir = isola_dir_handle(3, ~0ull, ~0ull, 0, 0);
    isola_limits small = {.handle_count = 8};
    int32_t hoard = isola_spawn(module, "_start", 6, "child\0hoard\0", 12, &hoard_dir, 1, &small);
    await("hoard", isola_monitor(hoard));

    /* A child's arguments are capped like a command line's: 1 MiB, 65,536 strings. */
    static char nuls[(1 << 20) + 1];
    printf("parent: spawn with 65,537 argument strings: %d\n",
           isola_spawn(module, "_start", 6, nuls, 65537, 0, 0, 0));
    printf("parent: spawn with 1 MiB + 1 argument bytes: %d\n",
           isola_spawn(module, "_start", 6, nuls, sizeof nuls, 0, 0, 0));

    FILE *f = fopen("/a/from_child.txt", "r");
    char line[64] = "";
    if (f && fgets(line, sizeof line, f))
        printf("parent: /a/from_child.txt: %s", line);
    if (f)
        fclose(f);
    printf("parent: still running after its children exited\n");
    return 0;
}

/* The child kills the parent with the handle the parent gave it. */
static int killer(void)
{
    int32_t handles[1];
    isola_msg_info info;
    if (isola_receive_start(NULL, 0, handles, 1, &info) < 0 || info.handle_count != 1)
        return 1;
    isola_kill(handles[0], 5);
    return 0;
}

static int killed(void)
{
    int32_t module = module_handle();
    int32_t self = isola_self();
    spawn_self(module, "child\0killer\0", 13, &self, 1);
    struct timespec ts = {3600, 0};
    nanosleep(&ts, NULL);
    printf("killed: still alive\n");
    return 0;
}

static int orphan(void)
{
    int32_t module = module_handle();
    int32_t child = spawn_self(module, "child\0sleep\0", 12, 0, 0);
    printf("orphan: spawned %s; exiting\n", child > 0 ? "ok" : "failed");
    fflush(stdout);
    exit(3);
}

/* Writes and syncs /a/synced.txt (a blocking thread's call), then waits
 * for a message nobody sends: `isola run` must report the deadlock. */
static int sync_then_wait(void)
{
    int fd = open("/a/synced.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool ok = fd >= 0 && write(fd, "synced\n", 7) == 7 && fsync(fd) == 0;
    printf("syncwait: %s\n", ok ? "synced" : "failed");
    close(fd);
    uint32_t x;
    isola_msg_info info;
    isola_receive(ISOLA_MAILBOX, 12345, ISOLA_RECV_TAG, &x, 4, 0, 0, &info, ISOLA_FOREVER);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);   /* parent and children share stdout: keep the order */
    if (argc >= 2 && strcmp(argv[0], "child") == 0) {
        if (strcmp(argv[1], "files") == 0)
            return child_files();
        if (strcmp(argv[1], "bare") == 0)
            return child_bare(argc, argv);
        if (strcmp(argv[1], "sleep") == 0)
            return child_sleep();
        if (strcmp(argv[1], "hoard") == 0)
            return child_hoard();
        if (strcmp(argv[1], "killer") == 0)
            return killer();
        __builtin_trap();
    }
    if (argc >= 2 && strcmp(argv[1], "orphan") == 0)
        return orphan();
    if (argc >= 2 && strcmp(argv[1], "killed") == 0)
        return killed();
    if (argc >= 2 && strcmp(argv[1], "syncwait") == 0)
        return sync_then_wait();
    return parent();
}
