/*
 * test_wasi_proc.c - WASI programs as processes of a VM with ONE worker
 * thread, through the host API (isola_vm_spawn_wasi):
 *   - a process parked reading an empty pipe does not stall the worker: a
 *     computing process spawned after it runs to its end meanwhile, and the
 *     reader finishes once the pipe gets a line;
 *   - the same for a process sleeping in poll_oneoff;
 *   - a process killed while parked ends (kind KILLED) and its descriptors
 *     are closed: the pipe it read has no reader left (EPIPE) and the
 *     host's descriptor count is back where it was;
 *   - proc_exit(9) ends only that process (kind EXIT, reason 9);
 *   - a WASI module spawned with plain isola_vm_spawn gets an empty context;
 *   - disk calls (fsync, a read of a file not in the page cache) run on the
 *     VM's blocking threads, with the same results;
 *   - a process echoing a socket parks in sock_recv while nothing comes and
 *     in sock_send while the peer does not read, and a computer runs to its
 *     end meanwhile; 1 MiB comes back intact.
 *
 * usage: test_wasi_proc GUEST_DIR   (uses GUEST_DIR/park.wasm)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <isola/proc.h>
#include <isola/wasi.h>

#include "host_test.h"

#define SECOND 1000000000LL

typedef struct guest_io {
    int in[2];    /* the guest's stdin: it reads in[0], the test writes in[1] */
    int out[2];   /* its stdout: the test reads out[0] */
} guest_io;

static void io_open(guest_io *io)
{
    if (pipe(io->in) != 0 || pipe(io->out) != 0) {
        perror("pipe");
        exit(2);
    }
    fcntl(io->out[0], F_SETFL, O_NONBLOCK);
}

static void io_close(guest_io *io)
{
    for (int i = 0; i < 2; i++) {
        if (io->in[i] >= 0)
            close(io->in[i]);
        close(io->out[i]);
    }
}

/* Spawns park.wasm's _start with argv {"park", a1, a2} and stdio on `io`. */
static int32_t spawn(isola_vm *vm, int32_t module, guest_io *io, const char *a1, const char *a2)
{
    isola_error err;
    isola_wasi *w = isola_wasi_new(&err);
    const char *argv[] = {"park", a1, a2};
    CHECK(w && isola_wasi_set_args(w, a2 ? 3 : 2, argv, &err));
    CHECK(isola_wasi_set_stdio(w, io->in[0], io->out[1], 2, &err));
    int32_t h = isola_vm_spawn_wasi(vm, module, "_start", w, NULL, 0, NULL, &err);
    if (h < 0)
        fprintf(stderr, "spawn: %s\n", err.message);
    CHECK(h > 0);
    return h;
}

static void expect_output(guest_io *io, const char *want)
{
    char buf[256];
    ssize_t n = read(io->out[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    if (strcmp(buf, want) != 0)
        fprintf(stderr, "output <%s>, expected <%s>\n", buf, want);
    CHECK(strcmp(buf, want) == 0);
}

static bool alive(isola_vm *vm, int32_t h)
{
    isola_proc_exit ex;
    return isola_vm_wait(vm, h, 0, &ex) == -10;   /* ISOLA_EAGAIN */
}

/* A computer spawned now on the VM's one worker runs to its end: whatever
 * was spawned before it and parked does not hold the worker. */
static void computer_finishes(isola_vm *vm, int32_t module)
{
    guest_io c;
    io_open(&c);
    int32_t counter = spawn(vm, module, &c, "count", "3000000");
    isola_proc_exit ex = {-1, -1};
    CHECK(isola_vm_wait(vm, counter, 20 * SECOND, &ex) == 0 && ex.kind == 0 && ex.reason == 0);
    expect_output(&c, "count: 2793556869\n");
    isola_vm_close(vm, counter);
    io_close(&c);
}

/* A parked reader, then a computing process: the computer must finish first. */
static void test_parked_reader(isola_vm *vm, int32_t module)
{
    guest_io r;
    io_open(&r);
    int32_t reader = spawn(vm, module, &r, "read", NULL);
    computer_finishes(vm, module);
    CHECK(alive(vm, reader));
    isola_proc_exit ex = {-1, -1};
    CHECK(write(r.in[1], "hello\n", 6) == 6);
    CHECK(isola_vm_wait(vm, reader, 20 * SECOND, &ex) == 0);
    CHECK(ex.kind == 0);
    expect_output(&r, "read: hello\n");
    isola_vm_close(vm, reader);
    io_close(&r);
}

/* A writer into a pipe nobody reads yet, and a computer, on the one worker:
 * the writer must park once the pipe is full, not hold the worker in a
 * blocking write; it finishes once the test reads everything. */
static void test_parked_writer(isola_vm *vm, int32_t module)
{
    enum { TOTAL = 1 << 20 };
    guest_io w;
    io_open(&w);
    int32_t writer = spawn(vm, module, &w, "write", "1048576");
    computer_finishes(vm, module);
    CHECK(alive(vm, writer));
    size_t got = 0;
    static char buf[65536];
    for (int idle = 0; got < TOTAL && idle < 2000;) {
        ssize_t r = read(w.out[0], buf, sizeof buf);
        if (r > 0) {
            for (ssize_t i = 0; i < r; i++)
                CHECK(buf[i] == 'x');
            got += (size_t)r;
            idle = 0;
        } else {
            struct pollfd p = {.fd = w.out[0], .events = POLLIN};
            poll(&p, 1, 10);
            idle++;
        }
    }
    CHECK(got == TOTAL);
    isola_proc_exit ex = {-1, -1};
    CHECK(isola_vm_wait(vm, writer, 20 * SECOND, &ex) == 0 && ex.kind == 0 && ex.reason == 0);
    isola_vm_close(vm, writer);
    io_close(&w);
}

/* A sleeper (poll_oneoff on a clock) and a computer on the one worker. */
static void test_sleeper(isola_vm *vm, int32_t module)
{
    guest_io s, c;
    io_open(&s);
    io_open(&c);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int32_t sleeper = spawn(vm, module, &s, "sleep", "1500");
    int32_t counter = spawn(vm, module, &c, "count", "1000");
    isola_proc_exit ex;
    CHECK(isola_vm_wait(vm, counter, 20 * SECOND, &ex) == 0 && ex.kind == 0);
    struct timespec t_count;
    clock_gettime(CLOCK_MONOTONIC, &t_count);
    long count_ms = (t_count.tv_sec - t0.tv_sec) * 1000 + (t_count.tv_nsec - t0.tv_nsec) / 1000000;
    /* The counter ran while the sleeper slept (unless a loaded machine took
     * longer than the whole sleep to get through both). */
    CHECK(count_ms >= 1400 || alive(vm, sleeper));
    CHECK(isola_vm_wait(vm, sleeper, 20 * SECOND, &ex) == 0 && ex.kind == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 1500);
    expect_output(&s, "slept\n");
    isola_vm_close(vm, sleeper);
    isola_vm_close(vm, counter);
    io_close(&s);
    io_close(&c);
}

/* Killed while parked on a pipe: ends at once, and holds no descriptor. */
static void test_kill_parked(isola_vm *vm, int32_t module)
{
    guest_io r;
    io_open(&r);
    int before = open_fds();
    int32_t reader = spawn(vm, module, &r, "read", NULL);
    close(r.in[0]);   /* only the guest's duplicate reads the pipe now */
    r.in[0] = -1;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    CHECK(alive(vm, reader));
    CHECK(isola_vm_kill(vm, reader, 77) == 0);
    isola_proc_exit ex = {-1, -1};
    CHECK(isola_vm_wait(vm, reader, 20 * SECOND, &ex) == 0);
    CHECK(ex.kind == 3 && ex.reason == 77);
    errno = 0;
    CHECK(write(r.in[1], "x", 1) == -1 && errno == EPIPE);
    CHECK(open_fds() == before - 1);   /* the one this test closed itself */
    isola_vm_close(vm, reader);
    io_close(&r);
}

/* Opening a FIFO nobody writes yet waits for a writer: in park mode the
 * open must not wait on the one worker, so the counter finishes first;
 * the reader then gets what the test writes. */
static void test_fifo_open(isola_vm *vm, int32_t module)
{
    char dir[] = "/tmp/isola-fifo.XXXXXX", fifo[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    guest_io f;
    io_open(&f);
    isola_error err;
    isola_wasi *w = isola_wasi_new(&err);
    const char *argv[] = {"park", "fifo"};
    CHECK(w && isola_wasi_set_args(w, 2, argv, &err) && isola_wasi_set_stdio(w, f.in[0], f.out[1], 2, &err) &&
          isola_wasi_preopen_dir(w, dir, "/d", &err));
    int32_t opener = isola_vm_spawn_wasi(vm, module, "_start", w, NULL, 0, NULL, &err);
    CHECK(opener > 0);
    computer_finishes(vm, module);
    isola_proc_exit ex = {-1, -1};
    int wfd = open(fifo, O_WRONLY | O_NONBLOCK);   /* the opener holds the read end by now */
    CHECK(wfd >= 0 && write(wfd, "hi\n", 3) == 3);
    if (wfd >= 0)
        close(wfd);
    CHECK(isola_vm_wait(vm, opener, 20 * SECOND, &ex) == 0 && ex.kind == 0);
    expect_output(&f, "fifo: hi\n");
    isola_vm_close(vm, opener);
    io_close(&f);
    unlink(fifo);
    rmdir(dir);
}

/* Threads of this test program now. */
static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The file the disk tests read, and the guest's line for it (`what` is
 * "disk" or "diskread"). */
static void disk_file(const char *path, const char *what, char *want, size_t want_size)
{
    enum { SIZE = 300000 };
    static unsigned char bytes[SIZE];
    unsigned h = 2166136261u, x = 12345;
    for (size_t i = 0; i < SIZE; i++) {
        x = x * 1103515245u + 12345u;
        bytes[i] = (unsigned char)(x >> 16);
    }
    for (size_t i = 9 * 4096; i < 11 * 4096; i++)   /* the guest's pread first */
        h = (h ^ bytes[i]) * 16777619u;
    for (size_t i = 0; i < SIZE; i++)
        h = (h ^ bytes[i]) * 16777619u;
    snprintf(want, want_size, "%s: %d %u %s\n", what, SIZE, h, strcmp(what, "disk") == 0 ? "synced" : "ok");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, bytes, SIZE) == SIZE && fsync(fd) == 0);
    if (fd >= 0)
        close(fd);
}

/* Whether any of pages [from, from + count) of the open file fd is in the
 * page cache (count 0: all from `from` on). */
static bool disk_cached(int fd, off_t from, off_t count)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size == 0)
        return false;
    size_t pages = (size_t)((st.st_size + 4095) / 4096);
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return true;   /* cannot tell: say cached, so nothing is concluded */
    unsigned char vec[128];
    bool cached = pages > sizeof vec || mincore(map, (size_t)st.st_size, vec) != 0;
    size_t end = count ? (size_t)(from + count) : pages;
    for (size_t i = (size_t)from; !cached && i < end && i < pages; i++)
        cached = vec[i] & 1;
    munmap(map, (size_t)st.st_size);
    return cached;
}

/* Drops pages [from, from + count) of the file from the page cache (all
 * from `from` on with count 0, none with a negative count; written back
 * above). False if they are still there after a few tries (a page the
 * kernel is still busy with is not dropped): then nothing need park. */
static bool disk_drop(const char *path, off_t from, off_t count)
{
    if (count < 0)
        return true;   /* nothing */
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    bool dropped = false;
    for (int i = 0; fd >= 0 && i < 20 && !dropped; i++) {
        if (i)
            usleep(10000);
        CHECK(posix_fadvise(fd, from * 4096, count * 4096, POSIX_FADV_DONTNEED) == 0);
        dropped = !disk_cached(fd, from, count);
    }
    if (fd >= 0)
        close(fd);
    return dropped;
}

/* `readers` processes of `mode` on `dir` beside a computing one: each
 * prints `want`, and the computer ends too. Mode "diskstdin" gets
 * dir/data as its stdin, "fdcalls" dir/scratch (which it writes). */
static void disk_round(isola_vm *vm, int32_t module, const char *dir, const char *mode, const char *want)
{
    enum { READERS = 3 };
    guest_io io[READERS];
    int32_t readers[READERS];
    char data[80], scratch[80];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(scratch, sizeof scratch, "%s/scratch", dir);
    for (int i = 0; i < READERS; i++) {
        io_open(&io[i]);
        isola_error err;
        isola_wasi *w = isola_wasi_new(&err);
        const char *argv[] = {"park", mode};
        int in = strcmp(mode, "diskstdin") == 0 ? open(data, O_RDONLY)
                 : strcmp(mode, "fdcalls") == 0  ? open(scratch, O_RDWR | O_APPEND | O_CREAT, 0600)
                                                 : io[i].in[0];
        /* No readahead on it: a read that sets one off could bring a
         * dropped page back before the reader gets there (seen under TSan,
         * where the guests are slow), and then nothing would park. */
        if (in != io[i].in[0] && in >= 0)
            CHECK(posix_fadvise(in, 0, 0, POSIX_FADV_RANDOM) == 0);
        CHECK(w && in >= 0 && isola_wasi_set_args(w, 2, argv, &err) &&
              isola_wasi_set_stdio(w, in, io[i].out[1], 2, &err) &&
              isola_wasi_preopen_dir(w, dir, "/d", &err));
        if (in != io[i].in[0] && in >= 0)
            close(in);   /* the context has its own duplicate */
        readers[i] = isola_vm_spawn_wasi(vm, module, "_start", w, NULL, 0, NULL, &err);
        CHECK(readers[i] > 0);
    }
    computer_finishes(vm, module);
    isola_proc_exit ex = {-1, -1};
    for (int i = 0; i < READERS; i++) {
        CHECK(isola_vm_wait(vm, readers[i], 20 * SECOND, &ex) == 0 && ex.kind == 0 && ex.reason == 0);
        expect_output(&io[i], want);
        isola_vm_close(vm, readers[i]);
        io_close(&io[i]);
    }
}

/* A VM of one worker and `blocking` blocking threads runs a round of
 * `mode` readers of `data` after `drop` took some of it out of the page
 * cache; returns how many threads its calls made (the blocking ones, or
 * none), and in *dropped whether the drop worked. */
static int disk_vm(isola_engine *engine, isola_module *module, uint32_t blocking, const char *dir,
                   const char *mode, const char *data, const char *want, off_t drop_from, off_t drop_count,
                   bool *dropped)
{
    isola_error err;
    isola_vm_config cfg = {.workers = 1, .blocking_threads = blocking};
    isola_vm *vm = isola_vm_new(engine, &cfg, &err);
    int32_t mh = vm ? isola_vm_load(vm, module, &err) : -1;
    int threads = thread_count();   /* with the VM's own */
    CHECK(mh > 0);
    *dropped = false;
    if (mh > 0) {
        *dropped = disk_drop(data, drop_from, drop_count);
        disk_round(vm, mh, dir, mode, want);
        threads = thread_count() - threads;
    }
    isola_vm_release(vm);
    return threads;
}

/* The same with one blocking thread, for readers: -1 when the pages
 * could not be dropped, and so no read need have parked. */
static int disk_read_vm(isola_engine *engine, isola_module *module, const char *dir, const char *mode,
                        const char *data, const char *want, off_t drop_from, off_t drop_count)
{
    bool dropped;
    int threads = disk_vm(engine, module, 1, dir, mode, data, want, drop_from, drop_count, &dropped);
    if (dropped)
        return threads;
    printf("wasi.proc: pages of %s stayed in the page cache: threads not counted\n", data);
    return -1;
}

/*
 * Disk calls run on a VM's blocking threads, made at the first of them:
 * fsync, fdatasync, fallocate, a read of file data not in the page cache,
 * and a path call or directory read on a file system not kept in memory
 * that the kernel's caches cannot answer alone.
 * Reads alone (of stdin, which the host made the file: no path call) make
 * them, whether nothing they ask is in the cache, or only the start of one
 * fd_read (page 3 dropped: the second 8 KiB read finds one page of its
 * two), or of one fd_pread (page 10: the pread of pages 9 and 10); with all
 * of the file in the cache none are made. Opening the cached file by its
 * path makes none (the kernel's caches answer the lookup), nor do an
 * fstat and a write of an open file; creating and removing a file makes
 * one on a disk, none in memory (/dev/shm). Taken for a network file
 * system (ISOLA_WASI_TEST_NETFS), the open, fstat and write make one. The
 * results are the same every time. Then fsync, fdatasync and fallocate as
 * well, on a VM of two blocking threads, which it makes. The file is made
 * in the working directory: /tmp may keep its files in memory, where
 * nothing parks.
 */
/* Whether `dir` is where the WASI layer answers cached lookups on the
 * worker: a local disk it knows (wasi_block.c's table, the common ones)
 * and a kernel that takes openat2's RESOLVE_CACHED, not turned off. */
static bool disk_cached_lookups(const char *dir, const struct statfs *fs)
{
    unsigned long magic = (unsigned long)fs->f_type;
    bool local = magic == 0xEF53 || magic == 0x58465342 || magic == 0x9123683E || magic == 0x794C7630 ||
                 magic == 0xF2F52010 || magic == 0x2FC12FC1;
    const char *walk = getenv("ISOLA_WASI_NO_OPENAT2");
    if (!local || (walk && walk[0] == '1'))
        return false;
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_CACHED};
    long fd = syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof how);
    if (fd >= 0)
        close((int)fd);
    return fd >= 0;
}

/* Removes what a failed "create" guest may have left in dir (new-*). */
static void disk_remove_leftovers(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    while (d && (ent = readdir(d)) != NULL)
        if (strncmp(ent->d_name, "new-", 4) == 0)
            unlinkat(dirfd(d), ent->d_name, 0);
    if (d)
        closedir(d);
}

static void test_disk_calls(isola_engine *engine, isola_module *module)
{
    char dir[] = "isola-disk.XXXXXX", data[64], out[64], want[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    struct statfs fs;
    bool on_disk = statfs(dir, &fs) == 0 && fs.f_type != 0x01021994 /* tmpfs */;
    if (!on_disk)
        printf("wasi.proc: the working directory is in memory: nothing parks, not counted\n");
    bool cached_lookups = on_disk && disk_cached_lookups(dir, &fs);
    if (on_disk && !cached_lookups)
        printf("wasi.proc: no cached lookups here (file system or kernel): opens not counted\n");

    disk_file(data, "diskread", want, sizeof want);
    int all = disk_read_vm(engine, module, dir, "diskstdin", data, want, 0, 0);
    /* One page out: seen once (of dozens of runs, two of them loaded) to
     * be back before any reader got there; a second round must park. */
    int fd_read_half = disk_read_vm(engine, module, dir, "diskstdin", data, want, 3, 1);
    if (fd_read_half == 0)
        fd_read_half = disk_read_vm(engine, module, dir, "diskstdin", data, want, 3, 1);
    int pread_half = disk_read_vm(engine, module, dir, "diskstdin", data, want, 10, 1);
    if (pread_half == 0)
        pread_half = disk_read_vm(engine, module, dir, "diskstdin", data, want, 10, 1);
    int cached = disk_read_vm(engine, module, dir, "diskstdin", data, want, 0, -1);   /* drops nothing */
    int opened = disk_read_vm(engine, module, dir, "diskread", data, want, 0, -1);
    int created = disk_read_vm(engine, module, dir, "create", data, "create: ok\n", 0, -1);
    if (on_disk) {
        CHECK(all == 1);
        CHECK(fd_read_half == 1 || fd_read_half == -1);
        CHECK(pread_half == 1 || pread_half == -1);
        CHECK(created == 1);
    }
    CHECK(cached == 0);
    int fdcalls = disk_read_vm(engine, module, dir, "fdcalls", data, "fdcalls: ok\n", 0, -1);
    if (!on_disk || cached_lookups) {
        CHECK(opened == 0);   /* on a disk, the kernel's caches answered the open */
        CHECK(fdcalls == 0);
    }

    /* Taken for a network file system, the same open and the fstat and
     * write of an open file park too. */
    setenv("ISOLA_WASI_TEST_NETFS", "1", 1);
    int net_opened = disk_read_vm(engine, module, dir, "diskread", data, want, 0, -1);
    int net_fdcalls = disk_read_vm(engine, module, dir, "fdcalls", data, "fdcalls: ok\n", 0, -1);
    unsetenv("ISOLA_WASI_TEST_NETFS");
    if (on_disk) {
        CHECK(net_opened == 1);
        CHECK(net_fdcalls == 1);
    }

    char shm_dir[] = "/dev/shm/isola-disk.XXXXXX", shm_data[64];
    if (statfs("/dev/shm", &fs) == 0 && fs.f_type == 0x01021994 && mkdtemp(shm_dir)) {
        snprintf(shm_data, sizeof shm_data, "%s/data", shm_dir);
        disk_file(shm_data, "diskread", want, sizeof want);
        CHECK(disk_read_vm(engine, module, shm_dir, "diskread", shm_data, want, 0, -1) == 0);
        CHECK(disk_read_vm(engine, module, shm_dir, "create", shm_data, "create: ok\n", 0, -1) == 0);
        unlink(shm_data);
        disk_remove_leftovers(shm_dir);
        rmdir(shm_dir);
    } else {
        printf("wasi.proc: no tmpfs at /dev/shm: path calls in memory not counted\n");
    }

    disk_file(data, "disk", want, sizeof want);
    bool dropped;
    CHECK(disk_vm(engine, module, 2, dir, "disk", data, want, 0, 0, &dropped) == 2);
    CHECK(disk_vm(engine, module, 2, dir, "disk", data, want, 0, -1, &dropped) == 2);   /* from the cache: the syncs */
    struct stat st;
    CHECK(stat(out, &st) == 0 && st.st_size == 65536);
    unlink(data);
    unlink(out);
    char scratch[80];
    snprintf(scratch, sizeof scratch, "%s/scratch", dir);
    unlink(scratch);
    disk_remove_leftovers(dir);
    CHECK(rmdir(dir) == 0);
}

/* A writer whose stdout pipe has no reader: its write fails with EPIPE and
 * it returns 2 from main (park.c), and nothing else ends. This test program leaves
 * SIGPIPE at its default action, which ends the whole program: the VM's
 * workers must keep it from the guest's write (the CLI ignores it). */
static void test_closed_pipe(isola_vm *vm, int32_t module)
{
    guest_io w;
    io_open(&w);
    close(w.out[0]);
    w.out[0] = open("/dev/null", O_RDONLY);   /* for io_close */
    int32_t writer = spawn(vm, module, &w, "write", "65536");
    isola_proc_exit ex = {-1, -1};
    CHECK(isola_vm_wait(vm, writer, 20 * SECOND, &ex) == 0);
    CHECK(ex.kind == 1 && ex.reason == 2);   /* main's return goes through exit() */
    isola_vm_close(vm, writer);
    io_close(&w);
}

static void test_exit_and_empty(isola_vm *vm, int32_t module)
{
    guest_io e;
    io_open(&e);
    int32_t h = spawn(vm, module, &e, "exit", "9");
    isola_proc_exit ex = {-1, -1};
    CHECK(isola_vm_wait(vm, h, 20 * SECOND, &ex) == 0);
    CHECK(ex.kind == 1 && ex.reason == 9);
    isola_vm_close(vm, h);
    io_close(&e);
    isola_error err;
    h = isola_vm_spawn(vm, module, "_start", NULL, 0, NULL, 0, NULL, &err);
    CHECK(h > 0);
    CHECK(isola_vm_wait(vm, h, 20 * SECOND, &ex) == 0);
    CHECK(ex.kind == 0 && ex.reason == 0);
    isola_vm_close(vm, h);
}

/* A socket echoer beside a computer on the one worker. The echoer parks in
 * sock_recv until the test writes, and in sock_send whenever the test lets
 * the socket's buffers fill; all bytes come back in order. */
static void test_socket_echo(isola_vm *vm, int32_t module)
{
    enum { TOTAL = 1 << 20 };
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    guest_io e;
    io_open(&e);
    isola_error err;
    isola_wasi *w = isola_wasi_new(&err);
    uint32_t guest_fd = 0;
    CHECK(w && isola_wasi_add_fd(w, sv[1], &guest_fd, &err));
    char fd_arg[16];
    snprintf(fd_arg, sizeof fd_arg, "%u", guest_fd);
    const char *argv[] = {"park", "sock", fd_arg};
    CHECK(isola_wasi_set_args(w, 3, argv, &err) && isola_wasi_set_stdio(w, e.in[0], e.out[1], 2, &err));
    int32_t echoer = isola_vm_spawn_wasi(vm, module, "_start", w, NULL, 0, NULL, &err);
    CHECK(echoer > 0);
    computer_finishes(vm, module);
    CHECK(alive(vm, echoer));   /* parked in sock_recv */
    /* Write until the socket takes no more before reading anything back,
     * so that the echoer's sends fill the buffers and park too. */
    static unsigned char out[TOTAL], back[TOTAL];
    for (size_t i = 0; i < TOTAL; i++)
        out[i] = (unsigned char)(i * 7 + i / 4096);
    size_t sent = 0, got = 0;
    for (int idle = 0; got < TOTAL && idle < 2000;) {
        bool moved = false;
        if (sent < TOTAL) {
            ssize_t r = send(sv[0], out + sent, TOTAL - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (r > 0) {
                sent += (size_t)r;
                moved = true;
                if (sent == TOTAL)
                    CHECK(shutdown(sv[0], SHUT_WR) == 0);
            }
        }
        if (!moved) {
            ssize_t r = recv(sv[0], back + got, TOTAL - got, MSG_DONTWAIT);
            if (r > 0) {
                got += (size_t)r;
                moved = true;
            }
        }
        if (moved) {
            idle = 0;
        } else {
            struct pollfd p = {.fd = sv[0], .events = (short)(POLLIN | (sent < TOTAL ? POLLOUT : 0))};
            poll(&p, 1, 10);
            idle++;
        }
    }
    CHECK(got == TOTAL && memcmp(out, back, TOTAL) == 0);
    isola_proc_exit ex = {-1, -1};
    CHECK(isola_vm_wait(vm, echoer, 20 * SECOND, &ex) == 0 && ex.kind == 0 && ex.reason == 0);
    expect_output(&e, "sock: 1048576\n");
    isola_vm_close(vm, echoer);
    close(sv[0]);
    close(sv[1]);
    io_close(&e);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_wasi_proc GUEST_DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/park.wasm", argv[1]);
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    if (!bytes) {
        perror(path);
        return 2;
    }
    isola_error err;
    isola_engine *engine = isola_engine_new(NULL, &err);
    isola_module *module = engine ? isola_module_load(engine, bytes, len, &err) : NULL;
    if (!module) {
        fprintf(stderr, "load: %s\n", err.message);
        return 2;
    }
    int fds_at_start = open_fds();
    isola_vm_config cfg = {.workers = 1, .blocking_threads = 2};
    isola_vm *vm = isola_vm_new(engine, &cfg, &err);
    /* This thread's own write to a closed pipe (test_kill_parked) must not
     * end the test; blocked only here, after the VM made its threads, so
     * that test_closed_pipe checks what the workers do on their own. */
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, NULL);
    int32_t mh = vm ? isola_vm_load(vm, module, &err) : -1;
    if (mh < 0) {
        fprintf(stderr, "vm: %s\n", err.message);
        return 2;
    }
    test_parked_reader(vm, mh);
    test_parked_writer(vm, mh);
    test_sleeper(vm, mh);
    test_kill_parked(vm, mh);
    test_exit_and_empty(vm, mh);
    test_closed_pipe(vm, mh);
    test_fifo_open(vm, mh);
    test_socket_echo(vm, mh);
    test_disk_calls(engine, module);
    isola_vm_release(vm);
    CHECK(open_fds() == fds_at_start);   /* the epoll thread's descriptors are gone too */
    isola_module_release(module);
    isola_engine_release(engine);
    free(bytes);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("wasi.proc: all checks passed\n");
    return 0;
}
