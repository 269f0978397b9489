/*
 * wasi_fd_calls.c - the fd_* calls that act on a descriptor itself rather
 * than move data: close, renumber, fdstat, filestat, seek/tell, sync,
 * advise/allocate, and the preopen queries. Each checks the rights the
 * spec ties to it before touching the host descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_abi.h"
#include "wasi_block.h"
#include "wasi_ctx.h"
#include "wasi_mem.h"
#include "wasi_stat.h"

/* Looks the descriptor in argument 0 up, requiring `rights`. */
static uint16_t arg_fd(wasi_call *c, uint64_t rights, wasi_fd_entry **e)
{
    return wasi_fd_get(c->wasi, wasi_arg32(c, 0), rights, e);
}

static uint32_t host_result(int r)
{
    return r == 0 ? 0 : wasi_errno_from_host(errno);
}

uint32_t wasi_fd_close(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, 0, &e);
    if (err)
        return err;
    if (e->filetype == WASI_FILETYPE_REGULAR_FILE && wasi_network_parks(c->wasi, e))
        return wasi_park_on_disk(c->wasi);   /* closing flushes to the server */
    wasi_fd_entry_close(c->wasi, e);
    return 0;
}

uint32_t wasi_fd_renumber_call(wasi_call *c)
{
    wasi_fd_entry *from, *to;
    if (wasi_fd_get(c->wasi, wasi_arg32(c, 0), 0, &from) == 0 && wasi_arg32(c, 0) != wasi_arg32(c, 1) &&
        wasi_fd_get(c->wasi, wasi_arg32(c, 1), 0, &to) == 0 && to->filetype == WASI_FILETYPE_REGULAR_FILE &&
        wasi_network_parks(c->wasi, to))
        return wasi_park_on_disk(c->wasi);   /* it closes `to`, as fd_close does */
    return wasi_fd_renumber(c->wasi, wasi_arg32(c, 0), wasi_arg32(c, 1));
}

uint32_t wasi_fd_datasync(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, WASI_R_FD_DATASYNC, &e);
    if (err)
        return err;
    return wasi_disk_parks(c->wasi, e) ? wasi_park_on_disk(c->wasi) : host_result(fdatasync(e->host_fd));
}

uint32_t wasi_fd_sync(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, WASI_R_FD_SYNC, &e);
    if (err)
        return err;
    return wasi_disk_parks(c->wasi, e) ? wasi_park_on_disk(c->wasi) : host_result(fsync(e->host_fd));
}

uint32_t wasi_fd_advise(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, WASI_R_FD_ADVISE, &e);
    if (err)
        return err;
    uint64_t offset = wasi_arg64(c, 1), len = wasi_arg64(c, 2);
    static const int advice_map[] = { POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                      POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE };
    uint32_t advice = wasi_arg32(c, 3);
    if (advice >= sizeof advice_map / sizeof advice_map[0] || offset > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    if (e->filetype == WASI_FILETYPE_DIRECTORY)
        return 0;   /* advice is only advice; directories take none */
    int r = posix_fadvise(e->host_fd, (off_t)offset, (off_t)len, advice_map[advice]);
    return r == 0 || r == ESPIPE ? 0 : wasi_errno_from_host(r);
}

uint32_t wasi_fd_allocate(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, WASI_R_FD_ALLOCATE, &e);
    if (err)
        return err;
    uint64_t offset = wasi_arg64(c, 1), len = wasi_arg64(c, 2);
    if (offset > INT64_MAX || len > INT64_MAX || offset + len > INT64_MAX)
        return WASI_EINVAL;
    if (wasi_disk_parks(c->wasi, e))
        return wasi_park_on_disk(c->wasi);
    int r = posix_fallocate(e->host_fd, (off_t)offset, (off_t)len);
    return wasi_errno_from_host(r);
}

/* The guest-visible fdflags, read from the host so they are never stale. */
static uint16_t current_fdflags(int host_fd)
{
    int fl = fcntl(host_fd, F_GETFL);
    uint16_t f = 0;
    if (fl < 0)
        return 0;
    if (fl & O_APPEND)
        f |= WASI_FDFLAG_APPEND;
    if (fl & O_NONBLOCK)
        f |= WASI_FDFLAG_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC)
        f |= WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC;
    else if (fl & O_DSYNC)
        f |= WASI_FDFLAG_DSYNC;
    return f;
}

uint32_t wasi_fd_fdstat_get(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, 0, &e);
    if (err)
        return err;
    uint8_t *p = wasi_mem_at(c, wasi_arg32(c, 1), WASI_FDSTAT_SIZE);
    if (!p)
        return WASI_EFAULT;
    memset(p, 0, WASI_FDSTAT_SIZE);
    wasi_put_u8(p, e->filetype);
    wasi_put_u16(p + 2, current_fdflags(e->host_fd));
    wasi_put_u64(p + 8, e->rights_base);
    wasi_put_u64(p + 16, e->rights_inheriting);
    return 0;
}

uint32_t wasi_fd_fdstat_set_flags(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, WASI_R_FD_FDSTAT_SET_FLAGS, &e);
    if (err)
        return err;
    uint32_t flags = wasi_arg32(c, 1);
    if (flags & ~(uint32_t)(WASI_FDFLAG_APPEND | WASI_FDFLAG_DSYNC | WASI_FDFLAG_NONBLOCK |
                            WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
        return WASI_EINVAL;
    /* Linux cannot change the sync flags of an open file. */
    if ((flags ^ current_fdflags(e->host_fd)) & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
        return WASI_ENOTSUP;
    int fl = fcntl(e->host_fd, F_GETFL);
    if (fl < 0)
        return wasi_errno_from_host(errno);
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & WASI_FDFLAG_APPEND)
        fl |= O_APPEND;
    if (flags & WASI_FDFLAG_NONBLOCK)
        fl |= O_NONBLOCK;
    if (fcntl(e->host_fd, F_SETFL, fl) != 0)
        return wasi_errno_from_host(errno);
    return 0;
}

uint32_t wasi_fd_fdstat_set_rights(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, 0, &e);
    if (err)
        return err;
    uint64_t base = wasi_arg64(c, 1), inheriting = wasi_arg64(c, 2);
    /* Rights can only be dropped, never regained. */
    if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting))
        return WASI_ENOTCAPABLE;
    e->rights_base = base;
    e->rights_inheriting = inheriting;
    return 0;
}

uint32_t wasi_fd_filestat_get(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, WASI_R_FD_FILESTAT_GET, &e);
    if (err)
        return err;
    uint8_t *p = wasi_mem_at(c, wasi_arg32(c, 1), WASI_FILESTAT_SIZE);
    if (!p)
        return WASI_EFAULT;
    if (wasi_network_parks(c->wasi, e))
        return wasi_park_on_disk(c->wasi);   /* the attributes are asked of the server */
    struct stat st;
    if (fstat(e->host_fd, &st) != 0)
        return wasi_errno_from_host(errno);
    wasi_put_filestat(p, &st);
    if (e->filetype == WASI_FILETYPE_SOCKET_DGRAM)
        p[16] = WASI_FILETYPE_SOCKET_DGRAM;
    return 0;
}

uint32_t wasi_fd_filestat_set_size(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, WASI_R_FD_FILESTAT_SET_SIZE, &e);
    if (err)
        return err;
    uint64_t size = wasi_arg64(c, 1);
    if (size > INT64_MAX)
        return WASI_EINVAL;
    if (wasi_disk_parks(c->wasi, e) && wasi_fs_class(c->wasi, e) != WASI_FS_MEMORY)
        return wasi_park_on_disk(c->wasi);   /* freeing blocks writes to the disk */
    return host_result(ftruncate(e->host_fd, (off_t)size));
}

uint32_t wasi_fd_filestat_set_times(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, WASI_R_FD_FILESTAT_SET_TIMES, &e);
    if (err)
        return err;
    struct timespec ts[2];
    err = wasi_fst_times(wasi_arg64(c, 1), wasi_arg64(c, 2), wasi_arg32(c, 3), ts);
    if (!err && wasi_network_parks(c->wasi, e))
        return wasi_park_on_disk(c->wasi);
    return err ? err : host_result(futimens(e->host_fd, ts));
}

uint32_t wasi_fd_seek(wasi_call *c)
{
    int64_t offset = (int64_t)wasi_arg64(c, 1);
    uint32_t whence = wasi_arg32(c, 2);
    /* A zero-move from the current position only reads it: fd_tell suffices. */
    uint64_t need = (offset == 0 && whence == WASI_WHENCE_CUR) ? WASI_R_FD_TELL : WASI_R_FD_SEEK;
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, 0, &e);
    if (err)
        return err;
    if (need == WASI_R_FD_TELL && !(e->rights_base & (WASI_R_FD_TELL | WASI_R_FD_SEEK)))
        return WASI_ENOTCAPABLE;
    if (need == WASI_R_FD_SEEK && !(e->rights_base & WASI_R_FD_SEEK))
        return WASI_ENOTCAPABLE;
    int how;
    switch (whence) {
    case WASI_WHENCE_SET: how = SEEK_SET; break;
    case WASI_WHENCE_CUR: how = SEEK_CUR; break;
    case WASI_WHENCE_END: how = SEEK_END; break;
    default: return WASI_EINVAL;
    }
    uint8_t *out = wasi_mem_at(c, wasi_arg32(c, 3), 8);
    if (!out)
        return WASI_EFAULT;
    off_t r = lseek(e->host_fd, (off_t)offset, how);
    if (r < 0)
        return wasi_errno_from_host(errno);
    wasi_put_u64(out, (uint64_t)r);
    return 0;
}

uint32_t wasi_fd_tell(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, WASI_R_FD_TELL, &e);
    if (err)
        return err;
    uint8_t *out = wasi_mem_at(c, wasi_arg32(c, 1), 8);
    if (!out)
        return WASI_EFAULT;
    off_t r = lseek(e->host_fd, 0, SEEK_CUR);
    if (r < 0)
        return wasi_errno_from_host(errno);
    wasi_put_u64(out, (uint64_t)r);
    return 0;
}

uint32_t wasi_fd_prestat_get(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, 0, &e);
    if (err)
        return err;
    if (!e->preopen_name)
        return WASI_EBADF;
    uint8_t *p = wasi_mem_at(c, wasi_arg32(c, 1), WASI_PRESTAT_SIZE);
    if (!p)
        return WASI_EFAULT;
    memset(p, 0, WASI_PRESTAT_SIZE);
    wasi_put_u32(p + 4, (uint32_t)strlen(e->preopen_name));
    return 0;
}

uint32_t wasi_fd_prestat_dir_name(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = arg_fd(c, 0, &e);
    if (err)
        return err;
    if (!e->preopen_name)
        return WASI_EBADF;
    size_t len = strlen(e->preopen_name);
    uint32_t buf_len = wasi_arg32(c, 2);
    if (buf_len < len)
        return WASI_ENAMETOOLONG;
    uint8_t *p = wasi_mem_at(c, wasi_arg32(c, 1), len);
    if (!p)
        return WASI_EFAULT;
    memcpy(p, e->preopen_name, len);
    return 0;
}
