/*
 * fuzz/wasi_guest.c - the replay guest of fuzz_wasi (built to wasm by
 * fuzz/CMakeLists.txt, without a C library). A process of this module
 * takes a program from argv[1] (hex) and runs it as a sequence of raw
 * WASI preview1 calls whose arguments are drawn from the program bytes:
 * descriptors it opened, closed ones, preopens, stdio and forged numbers;
 * paths from a table of the hostile ones (.., absolute, through symlinks
 * that lead out, embedded NULs, trailing slashes, long) or raw bytes;
 * pointers and lengths at and past its memory's end; flags with unknown
 * bits. It checks nothing itself: fuzz_wasi checks the host (sanitizers,
 * leaks, hangs) and that nothing outside the preopened directory changed.
 *
 * Memory layout (fixed by the link flags, as for api_guest.c): [0, 64 KiB)
 * is scratch, where every output pointer the program picks lands unless it
 * is past the memory's end; the data and stack follow, so the host never
 * writes over the program or the cursor.
 */
#include <stdint.h>

#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

WASI(args_sizes_get) int32_t args_sizes_get(int32_t argc, int32_t size);
WASI(args_get) int32_t args_get(int32_t argv, int32_t buf);
WASI(environ_get) int32_t environ_get(int32_t env, int32_t buf);
WASI(clock_time_get) int32_t clock_time_get(int32_t id, int64_t precision, int32_t out);
WASI(fd_advise) int32_t fd_advise(int32_t fd, int64_t offset, int64_t len, int32_t advice);
WASI(fd_allocate) int32_t fd_allocate(int32_t fd, int64_t offset, int64_t len);
WASI(fd_close) int32_t fd_close(int32_t fd);
WASI(fd_datasync) int32_t fd_datasync(int32_t fd);
WASI(fd_fdstat_get) int32_t fd_fdstat_get(int32_t fd, int32_t out);
WASI(fd_fdstat_set_flags) int32_t fd_fdstat_set_flags(int32_t fd, int32_t flags);
WASI(fd_fdstat_set_rights) int32_t fd_fdstat_set_rights(int32_t fd, int64_t base, int64_t inheriting);
WASI(fd_filestat_get) int32_t fd_filestat_get(int32_t fd, int32_t out);
WASI(fd_filestat_set_size) int32_t fd_filestat_set_size(int32_t fd, int64_t size);
WASI(fd_filestat_set_times) int32_t fd_filestat_set_times(int32_t fd, int64_t atim, int64_t mtim, int32_t flags);
WASI(fd_pread) int32_t fd_pread(int32_t fd, int32_t iovs, int32_t n, int64_t offset, int32_t out);
WASI(fd_prestat_get) int32_t fd_prestat_get(int32_t fd, int32_t out);
WASI(fd_prestat_dir_name) int32_t fd_prestat_dir_name(int32_t fd, int32_t buf, int32_t len);
WASI(fd_pwrite) int32_t fd_pwrite(int32_t fd, int32_t iovs, int32_t n, int64_t offset, int32_t out);
WASI(fd_read) int32_t fd_read(int32_t fd, int32_t iovs, int32_t n, int32_t out);
WASI(fd_readdir) int32_t fd_readdir(int32_t fd, int32_t buf, int32_t len, int64_t cookie, int32_t out);
WASI(fd_renumber) int32_t fd_renumber(int32_t fd, int32_t to);
WASI(fd_seek) int32_t fd_seek(int32_t fd, int64_t offset, int32_t whence, int32_t out);
WASI(fd_sync) int32_t fd_sync(int32_t fd);
WASI(fd_tell) int32_t fd_tell(int32_t fd, int32_t out);
WASI(fd_write) int32_t fd_write(int32_t fd, int32_t iovs, int32_t n, int32_t out);
WASI(path_create_directory) int32_t path_create_directory(int32_t fd, int32_t path, int32_t len);
WASI(path_filestat_get) int32_t path_filestat_get(int32_t fd, int32_t flags, int32_t path, int32_t len, int32_t out);
WASI(path_filestat_set_times)
int32_t path_filestat_set_times(int32_t fd, int32_t flags, int32_t path, int32_t len, int64_t atim, int64_t mtim,
                                int32_t fst);
WASI(path_link)
int32_t path_link(int32_t fd, int32_t flags, int32_t path, int32_t len, int32_t fd2, int32_t path2, int32_t len2);
WASI(path_open)
int32_t path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t len, int32_t oflags, int64_t base,
                  int64_t inheriting, int32_t fdflags, int32_t out);
WASI(path_readlink) int32_t path_readlink(int32_t fd, int32_t path, int32_t len, int32_t buf, int32_t cap, int32_t out);
WASI(path_remove_directory) int32_t path_remove_directory(int32_t fd, int32_t path, int32_t len);
WASI(path_rename) int32_t path_rename(int32_t fd, int32_t path, int32_t len, int32_t fd2, int32_t path2, int32_t len2);
WASI(path_symlink) int32_t path_symlink(int32_t old, int32_t old_len, int32_t fd, int32_t path, int32_t len);
WASI(path_unlink_file) int32_t path_unlink_file(int32_t fd, int32_t path, int32_t len);
WASI(poll_oneoff) int32_t poll_oneoff(int32_t in, int32_t out, int32_t n, int32_t nevents);
WASI(proc_exit) _Noreturn void proc_exit(int32_t code);
WASI(random_get) int32_t random_get(int32_t buf, int32_t len);
WASI(sched_yield) int32_t sched_yield(void);

#define SCRATCH 65536u
#define MAX_PROGRAM 4096
#define MAX_FDS 16

static uint8_t program[MAX_PROGRAM];
static uint32_t program_len, cursor;
static int32_t fds[MAX_FDS];   /* descriptors it opened or was given, -1 free */
static char arg_buf[2 * MAX_PROGRAM + 64];
static int32_t argv_ptrs[4];
static uint8_t path_buf[2][320];

/* The paths, hostile ones first: the preopen is "/" (and "/sub"). */
static const char *const paths[] = {
    "a", "d", "d/e", "d/", "..", "../outside/secret", "/", "/etc/passwd", ".", "./a", "d/../a", "d/../../x",
    "link_out", "link_out/x", "link_abs", "link_abs/passwd", "link_in", "loop", "loop/x", "dangling", "d/e/f/g/h",
    "a/", "a/b", "new", "d/new", "fifo", "",
};
#define NPATHS (sizeof paths / sizeof paths[0])

static uint32_t next8(void)
{
    return cursor < program_len ? program[cursor++] : 0;
}

static uint32_t next32(void)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | next8();
    return v;
}

static uint64_t next64(void)
{
    return (uint64_t)next32() << 32 | next32();
}

static uint32_t mem_end(void)
{
    return (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
}

/* A pointer the host writes through: in scratch, at the memory's edge, or past it. */
static int32_t out_ptr(uint32_t size)
{
    uint32_t b = next8();
    if (b < 200)
        return (int32_t)((b * 251u + next8()) % (SCRATCH - size));
    if (b < 230)
        return (int32_t)(mem_end() - (b % 8));   /* straddles the end */
    return (int32_t)next32();
}

/* A pointer the host reads from: anywhere, mostly in scratch. */
static int32_t in_ptr(void)
{
    uint32_t b = next8();
    return b < 220 ? (int32_t)(next32() % SCRATCH) : (int32_t)next32();
}

static int32_t pick_fd(void)
{
    uint32_t b = next8();
    if (b < 96)
        return fds[b % MAX_FDS];
    if (b < 200)
        return (int32_t)(b % 6);   /* stdio and the preopens */
    return (int32_t)next32();
}

static void keep_fd(int32_t fd)
{
    for (int i = 0; i < MAX_FDS; i++)
        if (fds[i] < 0) {
            fds[i] = fd;
            return;
        }
    fds[next8() % MAX_FDS] = fd;
}

static uint32_t str_len(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* A path into path_buf[slot]; *len its length (which may cut it or run past it). */
static int32_t pick_path(int slot, int32_t *len)
{
    uint8_t *buf = path_buf[slot];
    uint32_t b = next8(), n;
    if (b < 200) {
        const char *p = paths[b % NPATHS];
        n = str_len(p);
        for (uint32_t i = 0; i < n; i++)
            buf[i] = (uint8_t)p[i];
    } else if (b < 230) {
        n = next8() % 32;   /* raw bytes: NULs, invalid UTF-8 */
        for (uint32_t i = 0; i < n; i++)
            buf[i] = (uint8_t)next8();
    } else {
        n = 300;   /* long: "d/d/d/..." */
        for (uint32_t i = 0; i < n; i++)
            buf[i] = i % 2 ? '/' : 'd';
    }
    b = next8();
    *len = b < 240 ? (int32_t)n : (int32_t)next32();
    return b < 250 ? (int32_t)(uintptr_t)buf : in_ptr();
}

/* iovecs in scratch: each a small buffer in scratch, or anything. */
static int32_t make_iovs(uint32_t *n)
{
    *n = next8() % 5;
    uint32_t at = (next8() * 16u) % (SCRATCH - 64);
    uint32_t *iov = (uint32_t *)(uintptr_t)at;
    for (uint32_t i = 0; i < *n; i++) {
        uint32_t b = next8();
        iov[2 * i] = b < 220 ? 4096u + (next8() * 97u) % (SCRATCH - 8192) : next32();
        iov[2 * i + 1] = b < 200 ? next8() * 8u : next32();
    }
    if (next8() > 240)
        *n = next32();
    return (int32_t)at;
}

/* A byte count or offset: small, or at least 2^62, past what any file
 * system takes (never terabytes it would try to allocate). */
static int64_t small_or_wild(void)
{
    uint32_t b = next8();
    return b < 240 ? (int64_t)(next32() % 200000u) : (int64_t)(next64() | 1ull << 62);
}

static void run_one(uint32_t op)
{
    int32_t len, len2, out;
    uint32_t n;
    switch (op) {
    case 0: {
        int32_t fd = pick_fd(), p = pick_path(0, &len);
        uint32_t oflags = next8() < 240 ? next8() & 0xF : next32();
        uint64_t rights = next8() < 200 ? ~0ull : next64();
        out = out_ptr(4);
        if (path_open(fd, (int32_t)(next8() & 3), p, len, (int32_t)oflags, (int64_t)rights, (int64_t)rights,
                      (int32_t)(next8() & 0x1F), out) == 0 &&
            (uint32_t)out < SCRATCH)
            keep_fd(*(int32_t *)(uintptr_t)out);
        break;
    }
    case 1: fd_close(pick_fd()); break;
    case 2: { int32_t iovs = make_iovs(&n); fd_read(pick_fd(), iovs, (int32_t)n, out_ptr(4)); break; }
    case 3: { int32_t iovs = make_iovs(&n); fd_write(pick_fd(), iovs, (int32_t)n, out_ptr(4)); break; }
    case 4: { int32_t iovs = make_iovs(&n); fd_pread(pick_fd(), iovs, (int32_t)n, small_or_wild(), out_ptr(4)); break; }
    case 5: { int32_t iovs = make_iovs(&n); fd_pwrite(pick_fd(), iovs, (int32_t)n, small_or_wild(), out_ptr(4)); break; }
    case 6: { int32_t fd = pick_fd(), p = pick_path(0, &len); path_filestat_get(fd, (int32_t)(next8() & 1), p, len, out_ptr(64)); break; }
    case 7: { int32_t fd = pick_fd(), p = pick_path(0, &len); path_create_directory(fd, p, len); break; }
    case 8: { int32_t fd = pick_fd(), p = pick_path(0, &len); path_remove_directory(fd, p, len); break; }
    case 9: { int32_t fd = pick_fd(), p = pick_path(0, &len); path_unlink_file(fd, p, len); break; }
    case 10: {
        int32_t fd = pick_fd(), p = pick_path(0, &len), fd2 = pick_fd(), p2 = pick_path(1, &len2);
        path_rename(fd, p, len, fd2, p2, len2);
        break;
    }
    case 11: { int32_t old = pick_path(0, &len), fd = pick_fd(), p = pick_path(1, &len2); path_symlink(old, len, fd, p, len2); break; }
    case 12: {
        int32_t fd = pick_fd(), p = pick_path(0, &len), fd2 = pick_fd(), p2 = pick_path(1, &len2);
        path_link(fd, (int32_t)(next8() & 1), p, len, fd2, p2, len2);
        break;
    }
    case 13: { int32_t fd = pick_fd(), p = pick_path(0, &len); path_readlink(fd, p, len, out_ptr(256), (int32_t)(next8() * 2u), out_ptr(4)); break; }
    case 14: fd_readdir(pick_fd(), out_ptr(1024), (int32_t)(next8() * 8u), (int64_t)(next8() < 200 ? next8() % 8 : next64()), out_ptr(4)); break;
    case 15: fd_filestat_get(pick_fd(), out_ptr(64)); break;
    case 16: fd_filestat_set_size(pick_fd(), small_or_wild()); break;
    case 17: fd_seek(pick_fd(), (int64_t)(next8() < 200 ? (int64_t)(next32() % 100000) - 50000 : (int64_t)next64()), (int32_t)(next8() % 4), out_ptr(8)); break;
    case 18: fd_renumber(pick_fd(), pick_fd()); break;
    case 19: fd_fdstat_get(pick_fd(), out_ptr(24)); break;
    case 20: fd_fdstat_set_flags(pick_fd(), (int32_t)(next8() & 0x1F)); break;
    case 21: fd_fdstat_set_rights(pick_fd(), (int64_t)next64(), (int64_t)next64()); break;
    case 22: if (next8() & 1) fd_sync(pick_fd()); else fd_datasync(pick_fd()); break;
    case 23: fd_allocate(pick_fd(), small_or_wild(), small_or_wild()); break;
    case 24: {
        int32_t fd = pick_fd(), p = pick_path(0, &len);
        path_filestat_set_times(fd, (int32_t)(next8() & 1), p, len, (int64_t)next64(), (int64_t)next64(), (int32_t)(next8() & 0xF));
        break;
    }
    case 25: { int32_t fd = pick_fd(); fd_prestat_get(fd, out_ptr(8)); fd_prestat_dir_name(fd, out_ptr(64), (int32_t)(next8() % 80)); break; }
    case 26: {
        /* Subscriptions in scratch: clocks of at most a millisecond (the
         * host kills a process that waits longer), fds, garbage. */
        n = next8() % 4;
        uint8_t *sub = (uint8_t *)(uintptr_t)((next8() * 64u) % (SCRATCH - 4096));
        for (uint32_t i = 0; i < n; i++) {
            uint8_t *s = sub + 48 * i;
            for (int j = 0; j < 48; j++)
                s[j] = (uint8_t)next8();
            if (s[8] % 3 == 0) {
                s[8] = 0;   /* clock */
                *(uint64_t *)(s + 24) = next32() % 1000000u;
            }
        }
        poll_oneoff((int32_t)(uintptr_t)sub, out_ptr(32 * 4), (int32_t)(next8() < 240 ? n : next32()), out_ptr(4));
        break;
    }
    case 27: random_get(out_ptr(256), (int32_t)(next8() < 240 ? next8() : next32())); break;
    case 28: clock_time_get((int32_t)(next8() % 5), (int64_t)next64(), out_ptr(8)); break;
    case 29: fd_advise(pick_fd(), (int64_t)next64(), (int64_t)next64(), (int32_t)(next8() % 7)); break;
    case 30: fd_tell(pick_fd(), out_ptr(8)); break;
    case 31: args_get(out_ptr(16), out_ptr(64)); environ_get(out_ptr(16), out_ptr(64)); break;
    case 32: sched_yield(); break;
    case 33: fd_filestat_set_times(pick_fd(), (int64_t)next64(), (int64_t)next64(), (int32_t)(next8() & 0xF)); break;
    default: if (next8() == 0x7F) proc_exit((int32_t)next32()); break;
    }
}

static uint32_t hex(uint8_t c)
{
    return c >= 'a' ? (uint32_t)(c - 'a' + 10) : (uint32_t)(c - '0');
}

/* argv[1]'s hex into program[]. */
static void load_program(void)
{
    int32_t sizes[2] = {0, 0};
    if (args_sizes_get((int32_t)(uintptr_t)&sizes[0], (int32_t)(uintptr_t)&sizes[1]) != 0 || sizes[0] < 2 ||
        sizes[0] > 4 || (uint32_t)sizes[1] > sizeof arg_buf)
        return;
    if (args_get((int32_t)(uintptr_t)argv_ptrs, (int32_t)(uintptr_t)arg_buf) != 0)
        return;
    const uint8_t *h = (const uint8_t *)(uintptr_t)argv_ptrs[1];
    while (program_len < MAX_PROGRAM && h[2 * program_len] && h[2 * program_len + 1]) {
        program[program_len] = (uint8_t)(hex(h[2 * program_len]) << 4 | hex(h[2 * program_len + 1]));
        program_len++;
    }
}

void _start(void)
{
    for (int i = 0; i < MAX_FDS; i++)
        fds[i] = -1;
    load_program();
    while (cursor < program_len)
        run_one(next8() % 40);
    proc_exit(0);
}
