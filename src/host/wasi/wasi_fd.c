/*
 * wasi_fd.c - the guest descriptor table: lookup with rights checks,
 * insertion at the lowest free number (as POSIX does, so guests that
 * expect it behave), close, renumber, and the file types and rights a
 * descriptor may carry.
 */
#include "wasi_ctx.h"

#include <assert.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_abi.h"
#include "wasi_block.h"

uint16_t wasi_fd_get(isola_wasi *wasi, uint32_t fd, uint64_t rights, wasi_fd_entry **out)
{
    if (fd >= wasi->nfds || wasi->fds[fd].host_fd < 0)
        return WASI_EBADF;
    wasi_fd_entry *e = &wasi->fds[fd];
    if ((e->rights_base & rights) != rights)
        return WASI_ENOTCAPABLE;
    *out = e;
    return 0;
}

static bool fd_table_grow(isola_wasi *wasi, uint32_t need)
{
    if (need <= wasi->nfds)
        return true;
    uint32_t cap = wasi->nfds ? wasi->nfds * 2 : 8;
    while (cap < need)
        cap *= 2;
    wasi_fd_entry *fds = realloc(wasi->fds, (size_t)cap * sizeof *fds);
    if (!fds)
        return false;
    for (uint32_t i = wasi->nfds; i < cap; i++) {
        fds[i] = (wasi_fd_entry){ .host_fd = -1 };
    }
    wasi->fds = fds;
    wasi->nfds = cap;
    return true;
}

uint16_t wasi_fd_insert(isola_wasi *wasi, int host_fd, uint8_t counted, uint8_t filetype,
                        uint64_t base, uint64_t inheriting, uint32_t *out_fd)
{
    assert(host_fd >= 0);
    uint32_t fd = 0;
    while (fd < wasi->nfds && wasi->fds[fd].host_fd >= 0)
        fd++;
    if (fd >= WASI_MAX_FDS || !fd_table_grow(wasi, fd + 1)) {
        close(host_fd);
        wasi_fd_uncount(wasi, counted);
        return fd >= WASI_MAX_FDS ? WASI_EMFILE : WASI_ENOMEM;
    }
    wasi->fds[fd] = (wasi_fd_entry){
        .host_fd = host_fd, .filetype = filetype, .counted = counted,
        .rights_base = base, .rights_inheriting = inheriting,
    };
    *out_fd = fd;
    return 0;
}

uint16_t wasi_fd_insert_at(isola_wasi *wasi, uint32_t fd, const wasi_fd_entry *e)
{
    assert(e->host_fd >= 0 && e->counted == WASI_FD_UNCOUNTED);
    if (fd >= WASI_MAX_FDS)
        return WASI_EMFILE;
    if (!fd_table_grow(wasi, fd + 1))
        return WASI_ENOMEM;
    if (wasi->fds[fd].host_fd >= 0)
        return WASI_EBADF;
    uint8_t counted;
    uint16_t err = wasi_fd_count(wasi, ISOLA_WASI_FD_GIVEN, &counted);
    if (err)
        return err;
    wasi->fds[fd] = *e;
    wasi->fds[fd].counted = counted;
    /* Asked now, on the embedder's thread, unless the context already runs
     * where nothing may wait (a child's, built on a worker): see
     * wasi_fs_class. */
    (void)wasi_fs_class(wasi, &wasi->fds[fd]);
    return 0;
}

void wasi_fd_entry_close(isola_wasi *wasi, wasi_fd_entry *e)
{
    if (e->host_fd < 0)
        return;
    if (e->dir)
        closedir(e->dir);   /* it owns host_fd */
    else
        close(e->host_fd);
    free(e->preopen_name);
    wasi_fd_uncount(wasi, e->counted);
    *e = (wasi_fd_entry){ .host_fd = -1 };
}

uint16_t wasi_fd_renumber(isola_wasi *wasi, uint32_t from, uint32_t to)
{
    wasi_fd_entry *src, *dst;
    uint16_t e = wasi_fd_get(wasi, from, 0, &src);
    if (e)
        return e;
    e = wasi_fd_get(wasi, to, 0, &dst);
    if (e)
        return e;
    if (from == to)
        return 0;
    wasi_fd_entry_close(wasi, dst);   /* its count goes; src's moves with it */
    *dst = *src;
    *src = (wasi_fd_entry){ .host_fd = -1 };
    return 0;
}

uint8_t wasi_filetype_of_mode(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
    case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
    default: return WASI_FILETYPE_UNKNOWN;   /* FIFOs have no WASI type of their own */
    }
}

uint8_t wasi_filetype_of_fd(int host_fd)
{
    struct stat st;
    if (fstat(host_fd, &st) != 0)
        return WASI_FILETYPE_UNKNOWN;
    uint8_t t = wasi_filetype_of_mode(st.st_mode);
    if (t == WASI_FILETYPE_SOCKET_STREAM) {
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(host_fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
            t = WASI_FILETYPE_SOCKET_DGRAM;
    }
    return t;
}

/* Rights that make sense on an open file of any kind that holds data. */
#define RIGHTS_STREAM (WASI_R_FD_READ | WASI_R_FD_WRITE | WASI_R_FD_FDSTAT_SET_FLAGS | \
                       WASI_R_FD_FILESTAT_GET | WASI_R_POLL_FD_READWRITE)
#define RIGHTS_REGULAR (RIGHTS_STREAM | WASI_R_FD_DATASYNC | WASI_R_FD_SEEK | WASI_R_FD_SYNC | \
                        WASI_R_FD_TELL | WASI_R_FD_ADVISE | WASI_R_FD_ALLOCATE | \
                        WASI_R_FD_FILESTAT_SET_SIZE | WASI_R_FD_FILESTAT_SET_TIMES)
#define RIGHTS_DIRECTORY (WASI_R_FD_FDSTAT_SET_FLAGS | WASI_R_FD_SYNC | WASI_R_FD_DATASYNC | \
                          WASI_R_FD_ADVISE | WASI_R_PATH_CREATE_DIRECTORY | \
                          WASI_R_PATH_CREATE_FILE | WASI_R_PATH_LINK_SOURCE | \
                          WASI_R_PATH_LINK_TARGET | WASI_R_PATH_OPEN | WASI_R_FD_READDIR | \
                          WASI_R_PATH_READLINK | WASI_R_PATH_RENAME_SOURCE | \
                          WASI_R_PATH_RENAME_TARGET | WASI_R_PATH_FILESTAT_GET | \
                          WASI_R_PATH_FILESTAT_SET_SIZE | WASI_R_PATH_FILESTAT_SET_TIMES | \
                          WASI_R_FD_FILESTAT_GET | WASI_R_FD_FILESTAT_SET_TIMES | \
                          WASI_R_PATH_SYMLINK | WASI_R_PATH_REMOVE_DIRECTORY | \
                          WASI_R_PATH_UNLINK_FILE)
#define RIGHTS_SOCKET (RIGHTS_STREAM | WASI_R_SOCK_SHUTDOWN | WASI_R_SOCK_ACCEPT)

uint64_t wasi_rights_for_filetype(uint8_t filetype)
{
    switch (filetype) {
    case WASI_FILETYPE_DIRECTORY: return RIGHTS_DIRECTORY;
    case WASI_FILETYPE_REGULAR_FILE: return RIGHTS_REGULAR;
    case WASI_FILETYPE_BLOCK_DEVICE: return RIGHTS_REGULAR;
    case WASI_FILETYPE_SOCKET_STREAM:
    case WASI_FILETYPE_SOCKET_DGRAM: return RIGHTS_SOCKET;
    case WASI_FILETYPE_CHARACTER_DEVICE: return RIGHTS_STREAM | WASI_R_FD_FILESTAT_SET_TIMES;
    default: return RIGHTS_STREAM | WASI_R_FD_SEEK | WASI_R_FD_TELL;
    }
}

uint64_t wasi_rights_for_fd(int host_fd, uint8_t filetype)
{
    uint64_t rights = wasi_rights_for_filetype(filetype);
    if (filetype == WASI_FILETYPE_CHARACTER_DEVICE && !isatty(host_fd))
        rights |= WASI_R_FD_SEEK | WASI_R_FD_TELL;
    return rights;
}
