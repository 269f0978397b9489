/*
 * guest_sock.c - WASI guest for the socket host test. argv[1] is a
 * connected stream socket, argv[2] a listening one (both handed in by the
 * host). On the connected one: receive, reply, shut down writing. On the
 * listening one: accept a connection, receive, echo it back upper-cased.
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
    ssize_t n = recv(conn, buf, sizeof buf - 1, 0);
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
    return 0;
}
