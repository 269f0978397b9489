/*
 * wasi_sock.c - sock_accept, sock_recv, sock_send, sock_shutdown on
 * socket descriptors the embedder gave the guest (preview1 has no way to
 * create or connect sockets). Descriptors that are not sockets give
 * ENOTSOCK, as the host would.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "wasi_abi.h"
#include "wasi_block.h"
#include "wasi_ctx.h"
#include "wasi_mem.h"

static bool is_socket(const wasi_fd_entry *e)
{
    return e->filetype == WASI_FILETYPE_SOCKET_STREAM || e->filetype == WASI_FILETYPE_SOCKET_DGRAM;
}

/* The socket descriptor a sock_* call names, with `right`: a descriptor
 * that is no socket is ENOTSOCK before its rights are looked at (it can
 * never have the socket rights, and ENOTCAPABLE would hide why). */
static uint16_t socket_get(wasi_call *c, uint64_t right, wasi_fd_entry **e)
{
    uint32_t fd = wasi_arg32(c, 0);
    uint16_t err = wasi_fd_get(c->wasi, fd, 0, e);
    if (err)
        return err;
    if (!is_socket(*e))
        return WASI_ENOTSOCK;
    return wasi_fd_get(c->wasi, fd, right, e);
}

uint32_t wasi_sock_accept(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = socket_get(c, WASI_R_SOCK_ACCEPT, &e);
    if (err)
        return err;
    uint32_t flags = wasi_arg32(c, 1);
    uint8_t *out = wasi_mem_at(c, wasi_arg32(c, 2), 4);
    if (!out)
        return WASI_EFAULT;
    if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK)
        return WASI_EINVAL;
    if (wasi_would_block(c->wasi, e, POLLIN))
        return WASI_RESULT_BLOCK;
    /* Counted before the accept: a refused one leaves the connection queued. */
    uint8_t counted;
    err = wasi_fd_count(c->wasi, ISOLA_WASI_FD_OPENED, &counted);
    if (err)
        return err;
    int fl = SOCK_CLOEXEC | ((flags & WASI_FDFLAG_NONBLOCK) ? SOCK_NONBLOCK : 0);
    int fd;
    do {
        fd = accept4(e->host_fd, NULL, NULL, fl);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int saved = errno;
        wasi_fd_uncount(c->wasi, counted);
        return wasi_errno_from_host(saved);
    }
    uint32_t guest_fd = 0;
    uint64_t rights = e->rights_inheriting ? e->rights_inheriting
                                           : wasi_rights_for_filetype(WASI_FILETYPE_SOCKET_STREAM);
    rights &= wasi_rights_for_filetype(WASI_FILETYPE_SOCKET_STREAM) & ~WASI_R_SOCK_ACCEPT;
    err = wasi_fd_insert(c->wasi, fd, counted, WASI_FILETYPE_SOCKET_STREAM, rights, 0, &guest_fd);
    if (err)
        return err;
    wasi_put_u32(out, guest_fd);
    return 0;
}

/* sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen*, ro_flags*) */
uint32_t wasi_sock_recv(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = socket_get(c, WASI_R_FD_READ, &e);
    if (err)
        return err;
    uint32_t riflags = wasi_arg32(c, 3);
    uint8_t *out_len = wasi_mem_at(c, wasi_arg32(c, 4), 4);
    uint8_t *out_flags = wasi_mem_at(c, wasi_arg32(c, 5), 2);
    if (!out_len || !out_flags)
        return WASI_EFAULT;
    if (riflags & ~(uint32_t)(WASI_RIFLAG_PEEK | WASI_RIFLAG_WAITALL))
        return WASI_EINVAL;
    struct iovec iov[WASI_MAX_IOVS];
    unsigned n = 0;
    err = wasi_iovecs(c, wasi_arg32(c, 1), wasi_arg32(c, 2), iov, &n);
    if (err)
        return err;
    if (wasi_would_block(c->wasi, e, POLLIN))
        return WASI_RESULT_BLOCK;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    int fl = ((riflags & WASI_RIFLAG_PEEK) ? MSG_PEEK : 0) | ((riflags & WASI_RIFLAG_WAITALL) ? MSG_WAITALL : 0);
    bool parks = wasi_parks(c->wasi, e);
    if (parks)
        fl = (fl & ~MSG_WAITALL) | MSG_DONTWAIT;   /* never wait on a worker (wasi_block.h) */
    ssize_t r;
    do {
        r = recvmsg(e->host_fd, &msg, fl);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && parks && (errno == EAGAIN || errno == EWOULDBLOCK))
        return wasi_park_on_eagain(c->wasi, e, POLLIN);
    if (r < 0)
        return wasi_errno_from_host(errno);
    wasi_put_u32(out_len, (uint32_t)r);
    wasi_put_u16(out_flags, (msg.msg_flags & MSG_TRUNC) ? WASI_ROFLAG_TRUNCATED : 0);
    c->moved = (uint64_t)r;
    return 0;
}

/* sock_send(fd, si_data, si_data_len, si_flags, so_datalen*) */
uint32_t wasi_sock_send(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = socket_get(c, WASI_R_FD_WRITE, &e);
    if (err)
        return err;
    uint8_t *out_len = wasi_mem_at(c, wasi_arg32(c, 4), 4);
    if (!out_len)
        return WASI_EFAULT;
    if (wasi_arg32(c, 3) != 0)
        return WASI_EINVAL;   /* preview1 defines no send flags */
    struct iovec iov[WASI_MAX_IOVS];
    unsigned n = 0;
    err = wasi_iovecs(c, wasi_arg32(c, 1), wasi_arg32(c, 2), iov, &n);
    if (err)
        return err;
    if (wasi_would_block(c->wasi, e, POLLOUT))
        return WASI_RESULT_BLOCK;
    bool parks = wasi_parks(c->wasi, e);
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    ssize_t r;
    do {
        r = sendmsg(e->host_fd, &msg, MSG_NOSIGNAL | (parks ? MSG_DONTWAIT : 0));
    } while (r < 0 && errno == EINTR);
    if (r < 0 && parks && (errno == EAGAIN || errno == EWOULDBLOCK))
        return wasi_park_on_eagain(c->wasi, e, POLLOUT);
    if (r < 0)
        return wasi_errno_from_host(errno);
    wasi_put_u32(out_len, (uint32_t)r);
    c->moved = (uint64_t)r;
    return 0;
}

uint32_t wasi_sock_shutdown(wasi_call *c)
{
    wasi_fd_entry *e;
    uint16_t err = socket_get(c, WASI_R_SOCK_SHUTDOWN, &e);
    if (err)
        return err;
    uint32_t how = wasi_arg32(c, 1);
    int h;
    switch (how) {
    case WASI_SDFLAG_RD: h = SHUT_RD; break;
    case WASI_SDFLAG_WR: h = SHUT_WR; break;
    case WASI_SDFLAG_RD | WASI_SDFLAG_WR: h = SHUT_RDWR; break;
    default: return WASI_EINVAL;
    }
    return shutdown(e->host_fd, h) == 0 ? 0 : wasi_errno_from_host(errno);
}
