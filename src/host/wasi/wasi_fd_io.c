/*
 * wasi_fd_io.c - the fd_* calls that move data: read, write, pread,
 * pwrite (scatter/gather straight between the host descriptor and guest
 * memory, no copies) and readdir (directory entries in the WASI dirent
 * layout, resumable by cookie).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_abi.h"
#include "wasi_block.h"
#include "wasi_ctx.h"
#include "wasi_mem.h"

typedef enum io_kind { IO_READ, IO_WRITE, IO_PREAD, IO_PWRITE } io_kind;

/* The most bytes one read or write moves (the guest sees a short count,
 * as POSIX allows, and calls again): about 10 ms of copying. */
#define WASI_IO_MAX_BYTES (16u << 20)

/* Cuts the iovecs down to `max` bytes in all; returns how many are left. */
static unsigned io_cap(struct iovec *iov, unsigned n, size_t max)
{
    size_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        if (iov[i].iov_len >= max - total) {
            iov[i].iov_len = max - total;
            return i + 1;
        }
        total += iov[i].iov_len;
    }
    return n;
}

static bool is_socket(const wasi_fd_entry *e)
{
    return e->filetype == WASI_FILETYPE_SOCKET_STREAM || e->filetype == WASI_FILETYPE_SOCKET_DGRAM;
}

/* A write to a socket never raises SIGPIPE (EPIPE instead), as sock_send. */
static ssize_t io_send(const wasi_fd_entry *e, struct iovec *iov, unsigned n, int flags)
{
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = n};
    return sendmsg(e->host_fd, &m, flags | MSG_NOSIGNAL);
}

/*
 * A read or write in park mode, on a pipe, socket, terminal or device: it
 * must never wait on the worker, which every other process needs. Poll
 * saying ready is not enough: another reader of the same pipe may take
 * the data in between, and a pipe with one free page polls writable. So
 * the call itself is told not to wait (a socket's MSG_DONTWAIT, a pipe's
 * RWF_NOWAIT); EAGAIN then parks the process. Returns the byte count, or
 * -1 with errno (EOPNOTSUPP: this descriptor cannot be told; see
 * io_capped).
 */
static ssize_t io_nowait(const wasi_fd_entry *e, bool reading, struct iovec *iov, unsigned n)
{
    if (is_socket(e) && !reading)
        return io_send(e, iov, n, MSG_DONTWAIT);
    if (is_socket(e)) {
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = n};
        return recvmsg(e->host_fd, &m, MSG_DONTWAIT);
    }
    return reading ? preadv2(e->host_fd, iov, (int)n, -1, RWF_NOWAIT)
                   : pwritev2(e->host_fd, iov, (int)n, -1, RWF_NOWAIT);
}

/*
 * The same for what cannot be told not to wait (a terminal): after poll
 * said ready, a read takes at most what FIONREAD says is there and a write
 * at most PIPE_BUF bytes, so a blocking call waits only if someone else
 * takes the data in the instant between. The guest sees a short count and
 * calls again (libc's stdio loops).
 */
static ssize_t io_capped(const wasi_fd_entry *e, bool reading, struct iovec *iov, unsigned n)
{
    int ready = 0;
    if (!reading)
        n = io_cap(iov, n, PIPE_BUF);
    else if (ioctl(e->host_fd, FIONREAD, &ready) == 0 && ready > 0)
        n = io_cap(iov, n, (size_t)ready);
    return reading ? readv(e->host_fd, iov, (int)n) : writev(e->host_fd, iov, (int)n);
}

/* Drops the first `done` bytes of the iovecs; returns how many are left. */
static unsigned io_skip(struct iovec *iov, unsigned n, size_t done)
{
    unsigned i = 0;
    while (i < n && done >= iov[i].iov_len)
        done -= iov[i++].iov_len;
    if (i == n)
        return 0;
    iov[i].iov_base = (uint8_t *)iov[i].iov_base + done;
    iov[i].iov_len -= done;
    memmove(iov, iov + i, (n - i) * sizeof *iov);
    return n - i;
}

/*
 * A read of a file (wasi_disk_parks) that must not wait for the disk on
 * this thread. Returns the byte count, -1 with errno, or -2: park for the
 * disk, and read again where waiting is allowed. The page cache is asked
 * first (RWF_NOWAIT); a file system that cannot be asked so is looked at
 * once per descriptor: memory ones are read here, any other (NFS, FUSE)
 * parks at every read. When only part of the read is in the cache, it is
 * given back (the file position moved back: pread has none to move) and
 * the whole read parks: a guest may take a short read of a file for its
 * end, and the call, run again, must not depend on what ran before.
 */
static ssize_t io_disk_read_nowait(wasi_fd_entry *e, struct iovec *iov, unsigned n, bool positional,
                                   uint64_t offset, uint8_t fs_class)
{
    if (e->disk_reads == WASI_DISK_READS_MEMORY)
        return positional ? preadv(e->host_fd, iov, (int)n, (off_t)offset) : readv(e->host_fd, iov, (int)n);
    if (e->disk_reads == WASI_DISK_READS_ALWAYS)
        return -2;
    ssize_t got = preadv2(e->host_fd, iov, (int)n, positional ? (off_t)offset : -1, RWF_NOWAIT);
    if (got < 0 && errno == EAGAIN)
        return -2;
    if (got < 0 && (errno == EOPNOTSUPP || errno == ENOSYS || errno == EPERM || errno == EINVAL)) {
        if (fs_class == WASI_FS_UNKNOWN)
            return -2;   /* asked where the read runs again (wasi_fs_class) */
        e->disk_reads = fs_class == WASI_FS_MEMORY ? WASI_DISK_READS_MEMORY : WASI_DISK_READS_ALWAYS;
        return io_disk_read_nowait(e, iov, n, positional, offset, fs_class);
    }
    if (got <= 0)
        return got;
    e->disk_reads = WASI_DISK_READS_NOWAIT;
    /* Short: the end of the file, or the cache has only the start. */
    ssize_t more = got;   /* what the iovecs have taken since they were last advanced */
    do {
        if (more > 0 && (n = io_skip(iov, n, (size_t)more)) == 0)
            return got;
        more = preadv2(e->host_fd, iov, (int)n, positional ? (off_t)(offset + (uint64_t)got) : -1, RWF_NOWAIT);
        if (more > 0)
            got += more;
    } while (more > 0 || (more < 0 && errno == EINTR));
    if (more == 0 || errno != EAGAIN)
        return got;   /* the end (an error comes again on the next call) */
    if (!positional && lseek(e->host_fd, -(off_t)got, SEEK_CUR) < 0)
        return got;   /* cannot go back (never for a file): the short read stands */
    return -2;
}

/*
 * Common shape of the four calls: (fd, iovs, iovs_len, [offset,] result).
 * The result pointer is checked before any data moves, so a bad pointer
 * never loses bytes that were already read.
 */
static uint32_t do_io(wasi_call *c, io_kind kind)
{
    bool positional = kind == IO_PREAD || kind == IO_PWRITE;
    bool reading = kind == IO_READ || kind == IO_PREAD;
    uint64_t rights = reading ? WASI_R_FD_READ : WASI_R_FD_WRITE;
    if (positional)
        rights |= WASI_R_FD_SEEK;
    wasi_fd_entry *e;
    uint16_t err = wasi_fd_get(c->wasi, wasi_arg32(c, 0), rights, &e);
    if (err)
        return err;
    uint64_t offset = positional ? wasi_arg64(c, 3) : 0;
    uint8_t *out = wasi_mem_at(c, wasi_arg32(c, positional ? 4 : 3), 4);
    if (!out)
        return WASI_EFAULT;
    if (positional && offset > INT64_MAX)
        return WASI_EINVAL;
    struct iovec iov[WASI_MAX_IOVS];
    unsigned n = 0;
    err = wasi_iovecs(c, wasi_arg32(c, 1), wasi_arg32(c, 2), iov, &n);
    if (err)
        return err;
    if (e->filetype == WASI_FILETYPE_DIRECTORY)
        return WASI_EISDIR;
    /* 1,024 iovecs may all name the same buffer: without a cap one call
     * could move gigabytes (seconds on the worker) from one small memory. */
    n = io_cap(iov, n, WASI_IO_MAX_BYTES);
    bool parks = !positional && wasi_parks(c->wasi, e);
    bool disk = reading && wasi_disk_parks(c->wasi, e);
    uint8_t fs_class = wasi_fs_class(c->wasi, e);   /* asked here where it may be */
    if (!reading && e->filetype == WASI_FILETYPE_REGULAR_FILE && wasi_network_parks(c->wasi, e))
        return wasi_park_on_disk(c->wasi);   /* a write there may wait on the network */
    short events = reading ? POLLIN : POLLOUT;
    ssize_t r;
    do {
        if (disk) {
            r = io_disk_read_nowait(e, iov, n, positional, offset, fs_class);
            if (r == -2)
                return wasi_park_on_disk(c->wasi);
            continue;
        }
        if (parks) {
            r = io_nowait(e, reading, iov, n);
            /* EOPNOTSUPP: this file cannot be told (a terminal; a pipe
             * before Linux 6.4); ENOSYS, EPERM: a sandbox refuses preadv2. */
            if (r < 0 && (errno == EOPNOTSUPP || errno == ENOSYS || errno == EPERM)) {
                if (wasi_would_block(c->wasi, e, events))
                    return WASI_RESULT_BLOCK;
                r = io_capped(e, reading, iov, n);
            }
            continue;
        }
        switch (kind) {
        case IO_READ: r = readv(e->host_fd, iov, (int)n); break;
        case IO_WRITE: r = is_socket(e) ? io_send(e, iov, n, 0) : writev(e->host_fd, iov, (int)n); break;
        case IO_PREAD: r = preadv(e->host_fd, iov, (int)n, (off_t)offset); break;
        default: r = pwritev(e->host_fd, iov, (int)n, (off_t)offset); break;
        }
    } while (r < 0 && errno == EINTR);
    if (r < 0 && parks && (errno == EAGAIN || errno == EWOULDBLOCK))
        return wasi_park_on_eagain(c->wasi, e, events);
    if (r < 0)
        return wasi_errno_from_host(errno);
    wasi_put_u32(out, (uint32_t)r);
    c->moved = (uint64_t)r;
    return 0;
}

uint32_t wasi_fd_read(wasi_call *c) { return do_io(c, IO_READ); }
uint32_t wasi_fd_write(wasi_call *c) { return do_io(c, IO_WRITE); }
uint32_t wasi_fd_pread(wasi_call *c) { return do_io(c, IO_PREAD); }
uint32_t wasi_fd_pwrite(wasi_call *c) { return do_io(c, IO_PWRITE); }

static uint8_t dirent_type(DIR *dir, const struct dirent *d)
{
    switch (d->d_type) {
    case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR: return WASI_FILETYPE_DIRECTORY;
    case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
    case DT_UNKNOWN: {
        struct stat st;
        if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return wasi_filetype_of_mode(st.st_mode);
        return WASI_FILETYPE_UNKNOWN;
    }
    default: return WASI_FILETYPE_UNKNOWN;
    }
}

/*
 * Opens the entry's readdir stream on host_fd itself, which the stream then
 * owns (wasi_fd_entry_close closes the stream instead of the descriptor).
 * A duplicate would share the file offset anyway (dup shares the open file
 * description) and would be one more host descriptor per directory read.
 */
static uint16_t ensure_dir_stream(wasi_fd_entry *e)
{
    if (e->dir)
        return 0;
    e->dir = fdopendir(e->host_fd);
    e->dir_pos = 0;
    e->dir_back_cookie = 0;
    return e->dir ? 0 : wasi_errno_from_host(errno);
}

/*
 * Puts the stream where `cookie` says. A cookie is an entry's position
 * (how many come before the next one), not the host's telldir() value:
 * on ext4 that is a 63-bit hash, and a guest's `long` (wasi-libc's
 * telldir) cuts it to 32 bits, so seekdir went back to the start. Reading
 * on, and backing up one entry (what a guest does after an entry did not
 * fit its buffer), are immediate; any other seek rereads from the start.
 */
static uint16_t dir_seek(wasi_fd_entry *e, uint64_t cookie)
{
    if (cookie != 0 && cookie == e->dir_pos)
        return 0;
    if (cookie != 0 && cookie == e->dir_back_cookie) {
        seekdir(e->dir, e->dir_back);
        e->dir_pos = cookie;
        return 0;
    }
    rewinddir(e->dir);   /* cookie 0 too: a fresh listing sees changes */
    e->dir_pos = 0;
    e->dir_back_cookie = 0;
    while (e->dir_pos < cookie) {
        errno = 0;
        if (!readdir(e->dir))
            return errno ? wasi_errno_from_host(errno) : 0;   /* past the end: nothing more to read */
        e->dir_pos++;
    }
    return 0;
}

/*
 * Fills the buffer with entries after `cookie`. The last entry may be cut
 * short; a full buffer tells the guest to call again from the last whole
 * entry's d_next, which is the cookie of the entry after it.
 */
uint32_t wasi_fd_readdir(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = wasi_fd_get(c->wasi, wasi_arg32(c, 0), WASI_R_FD_READDIR, &e);
    if (err)
        return err;
    uint32_t buf_len = wasi_arg32(c, 2);
    uint8_t *buf = wasi_mem_at(c, wasi_arg32(c, 1), buf_len);
    uint8_t *out = wasi_mem_at(c, wasi_arg32(c, 4), 4);
    uint64_t cookie = wasi_arg64(c, 3);
    if (!buf || !out)
        return WASI_EFAULT;
    if (e->filetype != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    if (wasi_dir_disk_mode(c->wasi, e) != WASI_DIR_DISK_HERE)
        return wasi_park_on_disk(c->wasi);   /* a directory's blocks come from the disk */
    err = ensure_dir_stream(e);
    if (err)
        return err;
    err = dir_seek(e, cookie);
    if (err)
        return err;
    uint32_t used = 0;
    while (used < buf_len) {
        long before = telldir(e->dir);
        errno = 0;
        struct dirent *d = readdir(e->dir);
        if (!d) {
            if (errno != 0)
                return wasi_errno_from_host(errno);
            break;
        }
        e->dir_back = before;
        e->dir_back_cookie = e->dir_pos;
        e->dir_pos++;
        uint8_t head[WASI_DIRENT_SIZE];
        memset(head, 0, sizeof head);
        size_t namlen = strlen(d->d_name);
        wasi_put_u64(head, e->dir_pos);
        wasi_put_u64(head + 8, (uint64_t)d->d_ino);
        wasi_put_u32(head + 16, (uint32_t)namlen);
        wasi_put_u8(head + 20, dirent_type(e->dir, d));
        uint32_t room = buf_len - used;
        uint32_t n = room < WASI_DIRENT_SIZE ? room : WASI_DIRENT_SIZE;
        memcpy(buf + used, head, n);
        used += n;
        room = buf_len - used;
        n = room < namlen ? room : (uint32_t)namlen;
        memcpy(buf + used, d->d_name, n);
        used += n;
    }
    wasi_put_u32(out, used);
    c->moved = used;
    return 0;
}
