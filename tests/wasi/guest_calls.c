/*
 * guest_calls.c - WASI guest: the preview1 calls one by one through the
 * raw ABI, with the errno each must give: bad descriptors, bad pointers
 * (EFAULT, never a crash), rights, clocks and sleeping, poll_oneoff,
 * random_get, descriptor renumbering, sockets on non-sockets.
 * The driver runs it with a preopen /sandbox holding file.txt ("0123456789").
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wasi/api.h>

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))
IMPORT("fd_write") int raw_fd_write(int fd, const void *iovs, size_t n, void *out);
IMPORT("fd_read") int raw_fd_read(int fd, const void *iovs, size_t n, void *out);
IMPORT("args_get") int raw_args_get(void *argv, void *buf);
IMPORT("args_sizes_get") int raw_args_sizes_get(void *argc, void *size);
IMPORT("clock_time_get") int raw_clock_time_get(int id, long long precision, void *out);
IMPORT("random_get") int raw_random_get(void *buf, size_t len);
IMPORT("fd_seek") int raw_fd_seek(int fd, long long off, int whence, void *out);
IMPORT("poll_oneoff") int raw_poll(const void *in, void *out, size_t n, void *nevents);
IMPORT("proc_raise") int raw_proc_raise(int sig);

static void show(const char *what, int e)
{
    printf("%s: %d\n", what, e);
}

static unsigned long long now_ns(__wasi_clockid_t id)
{
    __wasi_timestamp_t t = 0;
    (void)__wasi_clock_time_get(id, 1, &t);
    return t;
}

static void clocks(void)
{
    __wasi_timestamp_t res = 0, t = 0;
    show("clock_res_get realtime", __wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res));
    printf("res > 0: %d\n", res > 0);
    show("clock_res_get bad id", __wasi_clock_res_get(99, &res));
    show("clock_time_get bad id", __wasi_clock_time_get(42, 1, &t));
    show("clock_time_get cputime", __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t));
    show("clock_time_get bad pointer", raw_clock_time_get(0, 1, (void *)0xfffffffc));
    printf("realtime after 2020: %d\n", now_ns(__WASI_CLOCKID_REALTIME) > 1577836800000000000ull);
    unsigned long long a = now_ns(__WASI_CLOCKID_MONOTONIC), b = now_ns(__WASI_CLOCKID_MONOTONIC);
    printf("monotonic non-decreasing: %d\n", b >= a);
    printf("time() after 2020: %d\n", time(NULL) > 1577836800);

    struct timespec ts = { 0, 30 * 1000 * 1000 };
    a = now_ns(__WASI_CLOCKID_MONOTONIC);
    nanosleep(&ts, NULL);
    b = now_ns(__WASI_CLOCKID_MONOTONIC);
    printf("nanosleep 30ms slept >= 30ms: %d, < 2s: %d\n", b - a >= 30000000ull, b - a < 2000000000ull);
}

static void poll_tests(void)
{
    __wasi_subscription_t sub[4];
    __wasi_event_t ev[4];
    __wasi_size_t n = 0;
    memset(sub, 0, sizeof sub);
    /* absolute monotonic deadline 20ms ahead, and a relative 5s clock that must not fire */
    unsigned long long start = now_ns(__WASI_CLOCKID_MONOTONIC);
    sub[0].userdata = 11;
    sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub[0].u.u.clock.timeout = start + 20000000ull;
    sub[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    sub[1].userdata = 22;
    sub[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    sub[1].u.u.clock.id = __WASI_CLOCKID_REALTIME;
    sub[1].u.u.clock.timeout = 5000000000ull;
    show("poll two clocks", __wasi_poll_oneoff(sub, ev, 2, &n));
    unsigned long long el = now_ns(__WASI_CLOCKID_MONOTONIC) - start;
    printf("events %u, userdata %llu, error %d, waited >= 20ms: %d, < 2s: %d\n", (unsigned)n,
           (unsigned long long)ev[0].userdata, ev[0].error, el >= 20000000ull, el < 2000000000ull);

    /* fd subscriptions: a regular file is always readable; a bad fd and a bad clock report errors */
    __wasi_fd_t file;
    (void)__wasi_path_open(3, 0, "file.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_POLL_FD_READWRITE,
                           0, 0, &file);
    memset(sub, 0, sizeof sub);
    sub[0].userdata = 1;
    sub[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    sub[0].u.u.fd_read.file_descriptor = file;
    sub[1].userdata = 2;
    sub[1].u.tag = __WASI_EVENTTYPE_FD_READ;
    sub[1].u.u.fd_read.file_descriptor = 77;
    sub[2].userdata = 3;
    sub[2].u.tag = __WASI_EVENTTYPE_CLOCK;
    sub[2].u.u.clock.id = 9;
    sub[3].userdata = 4;
    sub[3].u.tag = __WASI_EVENTTYPE_CLOCK;
    sub[3].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub[3].u.u.clock.timeout = 10000000000ull;
    show("poll file, bad fd, bad clock", __wasi_poll_oneoff(sub, ev, 4, &n));
    printf("events %u\n", (unsigned)n);
    for (unsigned i = 0; i < n; i++)
        printf("  userdata %llu type %d error %d nbytes %llu\n", (unsigned long long)ev[i].userdata,
               ev[i].type, ev[i].error, (unsigned long long)ev[i].fd_readwrite.nbytes);
    (void)__wasi_fd_close(file);

    show("poll nothing", __wasi_poll_oneoff(sub, ev, 0, &n));
    show("poll bad pointer", raw_poll((void *)0xffffff00, ev, 4, &n));
    sub[0].u.tag = 7;
    show("poll bad tag", __wasi_poll_oneoff(sub, ev, 1, &n));
}

static void fds(void)
{
    char buf[16];
    __wasi_iovec_t iov = { (uint8_t *)buf, sizeof buf };
    __wasi_size_t n = 0;
    show("fd_read bad fd", __wasi_fd_read(99, &iov, 1, &n));
    show("fd_close bad fd", __wasi_fd_close(99));
    show("fd_write iov out of bounds", raw_fd_write(1, (void *)0xfffffffc, 1, &n));
    struct { unsigned buf, len; } bad = { 0xfffff000u, 0x2000 };
    show("fd_write buffer out of bounds", raw_fd_write(1, &bad, 1, &n));
    show("fd_write result out of bounds", raw_fd_write(1, &iov, 0, (void *)0xffffffff));
    show("fd_prestat_get stdout", __wasi_fd_prestat_get(1, &(__wasi_prestat_t){ 0 }));
    char name[4];
    show("fd_prestat_dir_name too small", __wasi_fd_prestat_dir_name(3, (uint8_t *)name, 2));
    show("args_sizes_get bad pointer", raw_args_sizes_get((void *)0xfffffffe, &n));
    show("args_get bad pointer", raw_args_get((void *)0xfffffff0, buf));
    show("random_get out of bounds", raw_random_get((void *)0xfffff000, 0x10000));
    unsigned char r1[16] = { 0 }, r2[16] = { 0 };
    show("random_get", __wasi_random_get(r1, sizeof r1) | __wasi_random_get(r2, sizeof r2));
    printf("random differs: %d\n", memcmp(r1, r2, sizeof r1) != 0);
    show("sched_yield", __wasi_sched_yield());
    show("proc_raise", raw_proc_raise(15));

    __wasi_fdstat_t fs;
    show("fdstat stdout", __wasi_fd_fdstat_get(1, &fs));
    printf("stdout can write %d\n", (fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
    show("fdstat preopen", __wasi_fd_fdstat_get(3, &fs));
    printf("preopen is dir %d\n", fs.fs_filetype == __WASI_FILETYPE_DIRECTORY);

    __wasi_fd_t f, g;
    show("open file.txt rw", __wasi_path_open(3, 0, "file.txt", 0, __WASI_RIGHTS_FD_READ |
                               __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                               __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |
                               __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_FD_ADVISE |
                               __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_SYNC |
                               __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_READDIR |
                               __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS, 0, 0, &f));
    __wasi_filesize_t pos = 0;
    show("seek bad whence", __wasi_fd_seek(f, 0, 9, &pos));
    show("seek result out of bounds", raw_fd_seek(f, 0, 0, (void *)0xfffffffc));
    show("seek to 4", __wasi_fd_seek(f, 4, __WASI_WHENCE_SET, &pos));
    show("tell", __wasi_fd_tell(f, &pos));
    printf("pos %llu\n", (unsigned long long)pos);
    show("seek on stdin pipe", __wasi_fd_seek(0, 0, __WASI_WHENCE_SET, &pos));
    show("advise", __wasi_fd_advise(f, 0, 10, __WASI_ADVICE_SEQUENTIAL));
    show("advise bad", __wasi_fd_advise(f, 0, 10, 17));
    show("allocate", __wasi_fd_allocate(f, 0, 20));
    __wasi_filestat_t st;
    show("filestat", __wasi_fd_filestat_get(f, &st));
    printf("size %llu\n", (unsigned long long)st.size);
    show("set_size 3", __wasi_fd_filestat_set_size(f, 3));
    show("set_times both set and now", __wasi_fd_filestat_set_times(f, 1, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
    show("set_times", __wasi_fd_filestat_set_times(f, 5000000000ull, 7000000000ull,
                                                   __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    (void)__wasi_fd_filestat_get(f, &st);
    printf("size %llu mtim %llu atim %llu\n", (unsigned long long)st.size, (unsigned long long)st.mtim,
           (unsigned long long)st.atim);
    show("sync", __wasi_fd_sync(f));
    show("datasync", __wasi_fd_datasync(f));
    show("readdir on a file", __wasi_fd_readdir(f, (uint8_t *)buf, sizeof buf, 0, &n));
    show("path_open relative to a file", __wasi_path_open(f, 0, "x", 0, 0, 0, 0, &g));
    show("sock_shutdown on a file", __wasi_sock_shutdown(f, __WASI_SDFLAGS_RD));
    show("sock_accept on a file", __wasi_sock_accept(f, 0, &g));
    __wasi_size_t got = 0;
    __wasi_roflags_t rf = 0;
    show("sock_recv on a file", __wasi_sock_recv(f, &iov, 1, 0, &got, &rf));
    show("set_flags append", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND));
    show("fdstat", __wasi_fd_fdstat_get(f, &fs));
    printf("append flag %d\n", fs.fs_flags == __WASI_FDFLAGS_APPEND);
    show("open second", __wasi_path_open(3, 0, "file.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &g));
    show("renumber", __wasi_fd_renumber(f, g));
    show("old number gone", __wasi_fd_close(f));
    show("renumber to a closed fd", __wasi_fd_renumber(g, 50));
    show("close", __wasi_fd_close(g));
    show("close again", __wasi_fd_close(g));

    /* A preopen opens again with the rights it reports; a new link or
     * symlink name cannot end in '/', nor a symlink target be absolute. */
    __wasi_fdstat_t pre;
    show("fdstat preopen", __wasi_fd_fdstat_get(3, &pre));
    show("reopen . with the preopen's rights", __wasi_path_open(3, 0, ".", 0, pre.fs_rights_base, 0, 0, &g));
    show("close it", __wasi_fd_close(g));
    show("open . with write rights", __wasi_path_open(3, 0, ".", __WASI_OFLAGS_DIRECTORY,
                                                      __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &g));
    show("symlink named new/", __wasi_path_symlink("file.txt", 3, "new/"));
    show("link named new/", __wasi_path_link(3, 0, "file.txt", 3, "new/"));
    show("link named file.txt/", __wasi_path_link(3, 0, "file.txt", 3, "file.txt/"));
    show("symlink to an absolute path", __wasi_path_symlink("/etc", 3, "abs"));

    /* readdir with a tiny buffer must still make progress by cookie */
    __wasi_fd_t d;
    show("open dir", __wasi_path_open(3, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &d));
    unsigned char dbuf[40];
    __wasi_dircookie_t cookie = 0;
    int entries = 0, found = 0;
    for (int guard = 0; guard < 100; guard++) {
        int e = __wasi_fd_readdir(d, dbuf, sizeof dbuf, cookie, &n);
        if (e || n < sizeof(__wasi_dirent_t))
            break;
        __wasi_dirent_t de;
        memcpy(&de, dbuf, sizeof de);
        entries++;
        if (de.d_namlen == 8 && n >= sizeof de + 8 && memcmp(dbuf + sizeof de, "file.txt", 8) == 0)
            found = 1;
        cookie = de.d_next;
        if (n < sizeof dbuf)
            break;
    }
    printf("readdir entries %d found file.txt %d\n", entries, found);

    /* Cookies name positions, whatever came between: list all, back up one
     * with an empty buffer, then ask for the one before: its entry and the
     * rest again, the same as the first listing had them. */
    unsigned char all[1024], part[1024];
    __wasi_size_t nall = 0, npart = 0;
    show("readdir all", __wasi_fd_readdir(d, all, sizeof all, 0, &nall));
    __wasi_dirent_t first, second;
    memcpy(&first, all, sizeof first);
    memcpy(&second, all + sizeof first + first.d_namlen, sizeof second);
    show("readdir empty buffer", __wasi_fd_readdir(d, part, 0, second.d_next, &npart));
    show("readdir from the second", __wasi_fd_readdir(d, part, sizeof part, first.d_next, &npart));
    size_t skip = sizeof first + first.d_namlen;
    printf("readdir from a cookie matches the listing %d\n",
           npart == nall - skip && memcmp(part, all + skip, npart) == 0 && second.d_next == first.d_next + 1);
    (void)__wasi_fd_close(d);
}

int main(void)
{
    clocks();
    poll_tests();
    fds();
    return 0;
}
