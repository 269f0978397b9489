/*
 * guest_park.c - WASI guest for test_wasi_proc, run as processes of a VM.
 * argv[1] picks what it does:
 *   read        echo one line of stdin ("read: LINE"), or "read: EOF"
 *   sleep MS    sleep (poll_oneoff on a clock), then print "slept"
 *   count N     burn fuel: N rounds of a small hash, print the result
 *   exit N      exit(N) through proc_exit
 *   write N     write N bytes of 'x' to stdout, asking for all that is left each time
 *   disk        read /d/data (a pread of 8 KiB at 36864, then all of it; its
 *               length and a hash), then write,
 *               fsync, fdatasync and fallocate /d/out
 *   diskread    only the reads of disk
 *   diskstdin   the reads of diskread from stdin, which the host made the
 *               file: no path call, so only the reads may park
 *   create      create, write, stat and remove a file of a random name in /d
 *   fdcalls     fstat and write stdin (the host gives a file opened for both)
 *   sock FD     echo what socket FD receives back through it (sock_recv,
 *               sock_send: each may park), until the peer shuts down
 *               writing; then print "sock: BYTES"
 * Without arguments it returns 0.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

/* sock mode: echoes until EOF; the byte count, or -1 on an error. */
static long sock_echo(__wasi_fd_t fd)
{
    static uint8_t buf[65536];
    long total = 0;
    for (;;) {
        __wasi_iovec_t in = {buf, sizeof buf};
        __wasi_size_t got = 0;
        __wasi_roflags_t roflags;
        if (__wasi_sock_recv(fd, &in, 1, 0, &got, &roflags) != 0)
            return -1;
        if (got == 0)
            return total;
        for (__wasi_size_t sent = 0; sent < got;) {
            __wasi_ciovec_t out = {buf + sent, got - sent};
            __wasi_size_t n = 0;
            if (__wasi_sock_send(fd, &out, 1, 0, &n) != 0 || n == 0)
                return -1;
            sent += n;
        }
        total += got;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 0;
    const char *mode = argv[1];
    long n = argc > 2 ? atol(argv[2]) : 0;
    if (strcmp(mode, "read") == 0) {
        char line[128];
        if (fgets(line, sizeof line, stdin))
            printf("read: %s", line);
        else
            printf("read: EOF\n");
    } else if (strcmp(mode, "sleep") == 0) {
        struct timespec ts = {n / 1000, (n % 1000) * 1000000};
        nanosleep(&ts, NULL);
        printf("slept\n");
    } else if (strcmp(mode, "count") == 0) {
        unsigned h = 2166136261u;
        for (long i = 0; i < n; i++)
            h = (h ^ (unsigned)i) * 16777619u;
        printf("count: %u\n", h);
    } else if (strcmp(mode, "write") == 0) {
        char *buf = malloc((size_t)n);
        if (!buf)
            return 1;
        memset(buf, 'x', (size_t)n);
        for (long done = 0; done < n;) {
            ssize_t r = write(1, buf + done, (size_t)(n - done));
            if (r <= 0)
                return 2;
            done += r;
        }
        free(buf);
    } else if (strcmp(mode, "fifo") == 0) {   /* a FIFO in its preopen /d, no writer yet */
        int fd = open("/d/fifo", O_RDONLY);
        char buf[16] = "";
        ssize_t r = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        printf("fifo: %s", r > 0 ? buf : "nothing\n");
    } else if (strcmp(mode, "disk") == 0 || strcmp(mode, "diskread") == 0 || strcmp(mode, "diskstdin") == 0) {
        /* reads /d/data; "disk" then writes and syncs /d/out */
        bool from_stdin = strcmp(mode, "diskstdin") == 0;
        int fd = from_stdin ? 0 : open("/d/data", O_RDONLY);
        unsigned h = 2166136261u;
        long total = 0;
        static unsigned char buf[8192];
        /* pages 9 and 10 first (a pread), then everything in 8 KiB reads */
        int ok = fd >= 0 && pread(fd, buf, sizeof buf, 9 * 4096) == (ssize_t)sizeof buf;
        for (size_t i = 0; i < sizeof buf; i++)
            h = (h ^ buf[i]) * 16777619u;
        ssize_t r;
        while (fd >= 0 && (r = read(fd, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < r; i++)
                h = (h ^ buf[i]) * 16777619u;
            total += r;
        }
        if (!from_stdin)
            close(fd);
        if (strcmp(mode, "disk") != 0) {
            printf("diskread: %ld %u %s\n", total, h, ok ? "ok" : "failed");
            return 0;
        }
        int out = open("/d/out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ok = ok && out >= 0 && write(out, "synced\n", 7) == 7 && fsync(out) == 0 && fdatasync(out) == 0 &&
             posix_fallocate(out, 0, 65536) == 0;
        close(out);
        printf("disk: %ld %u %s\n", total, h, ok ? "synced" : "failed");
    } else if (strcmp(mode, "create") == 0) {
        unsigned char r[4] = {0};
        char name[32];
        getentropy(r, sizeof r);   /* several of these run at once in one directory */
        snprintf(name, sizeof name, "/d/new-%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        bool ok = fd >= 0 && write(fd, "x", 1) == 1;
        if (fd >= 0)
            close(fd);
        struct stat st;
        ok = ok && stat(name, &st) == 0 && st.st_size == 1 && unlink(name) == 0;
        printf("create: %s\n", ok ? "ok" : "failed");
    } else if (strcmp(mode, "fdcalls") == 0) {
        struct stat st;
        bool ok = fstat(0, &st) == 0 && S_ISREG(st.st_mode) && write(0, "x", 1) == 1;
        printf("fdcalls: %s\n", ok ? "ok" : "failed");
    } else if (strcmp(mode, "sock") == 0) {
        printf("sock: %ld\n", sock_echo((__wasi_fd_t)n));
    } else if (strcmp(mode, "exit") == 0) {
        fflush(stdout);
        exit((int)n);
    }
    return 0;
}
