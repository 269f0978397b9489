/*
 * guest_sock.c - WASI guest for the socket host test. argv[1] is a
 * connected stream socket, argv[2] a listening one (both handed in by the
 * host). On the connected one: peek, receive, reply, shut down writing. On
 * the listening one: accept a connection, receive, echo it back upper-cased.
 * Then the refusals: bad flags, a descriptor that is not a socket.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <wasi/api.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    int conn = atoi(argv[1]), listener = atoi(argv[2]);
    char buf[64] = { 0 };
    ssize_t n = recv(conn, buf, sizeof buf - 1, MSG_PEEK);
    printf("peek %zd: %s\n", n, buf);
    memset(buf, 0, sizeof buf);
    n = recv(conn, buf, sizeof buf - 1, 0);
    printf("recv %zd: %s\n", n, buf);
    printf("send %zd\n", send(conn, "pong", 4, 0));
    printf("shutdown %d\n", shutdown(conn, SHUT_WR));

    __wasi_fd_t c;
    __wasi_errno_t e = __wasi_sock_accept((__wasi_fd_t)listener, 0, &c);
    printf("accept %d\n", e);
    if (e)
        return 1;
    memset(buf, 0, sizeof buf);
    n = recv(c, buf, sizeof buf - 1, 0);
    for (ssize_t i = 0; i < n; i++)
        buf[i] = (char)toupper((unsigned char)buf[i]);
    printf("echo %zd\n", send(c, buf, (size_t)n, 0));
    printf("accept on a connected socket: %d\n", __wasi_sock_accept(c, 0, &c) != 0);

    __wasi_iovec_t riov = { (uint8_t *)buf, sizeof buf };
    __wasi_ciovec_t siov = { (const uint8_t *)"x", 1 };
    __wasi_size_t len;
    __wasi_roflags_t roflags;
    printf("recv with unknown flags: %d\n", __wasi_sock_recv(c, &riov, 1, 4, &len, &roflags) == __WASI_ERRNO_INVAL);
    printf("send with flags: %d\n", __wasi_sock_send(c, &siov, 1, 1, &len) == __WASI_ERRNO_INVAL);
    printf("send on stdout: %d\n", __wasi_sock_send(1, &siov, 1, 0, &len) == __WASI_ERRNO_NOTSOCK);
    printf("shutdown how 0: %d\n", __wasi_sock_shutdown(c, 0) == __WASI_ERRNO_INVAL);
    printf("shutdown how 4: %d\n", __wasi_sock_shutdown(c, 4) == __WASI_ERRNO_INVAL);
    printf("shutdown reading: %d\n", __wasi_sock_shutdown(c, __WASI_SDFLAGS_RD));
    printf("shutdown both: %d\n", __wasi_sock_shutdown(c, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR));
    printf("send after shutdown: %d\n", __wasi_sock_send(c, &siov, 1, 0, &len) == __WASI_ERRNO_PIPE);
    return 0;
}
