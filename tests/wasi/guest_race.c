/*
 * guest_race.c - WASI guest for the race test: opens sub/secret.txt again
 * and again while the driver keeps swapping "sub" between a real
 * directory inside the sandbox and a symlink to ../outside. Every open
 * must either read the inside file or be refused; reading the outside
 * secret is an escape. Prints the counts; exits 1 on any escape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 20000;
    long inside = 0, refused = 0, escaped = 0;
    for (long i = 0; i < rounds; i++) {
        const char *path = (i & 1) ? "sub/secret.txt" : "sub/./../sub/secret.txt";
        __wasi_fd_t fd;
        if (__wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0, __WASI_RIGHTS_FD_READ, 0, 0,
                             &fd) != 0) {
            refused++;
            continue;
        }
        char buf[16] = { 0 };
        __wasi_iovec_t iov = { (uint8_t *)buf, sizeof buf - 1 };
        __wasi_size_t n = 0;
        (void)__wasi_fd_read(fd, &iov, 1, &n);
        (void)__wasi_fd_close(fd);
        if (strncmp(buf, "SECRET", 6) == 0)
            escaped++;
        else
            inside++;
    }
    printf("inside %ld refused %ld escaped %ld\n", inside, refused, escaped);
    return escaped ? 1 : 0;
}
