/*
 * guest_fsize.c - grows a file past the host's file size limit (the test
 * runs it under `ulimit -f 1024`): the calls must fail with EFBIG, not
 * end the host by SIGXFSZ.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    int fd = open("/d/big", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) {
        perror("open");
        return 1;
    }
    int r = ftruncate(fd, 100 << 20);
    printf("ftruncate past the limit: %s\n", r == 0 ? "ok" : strerror(errno));
    char b = 1;
    ssize_t w = pwrite(fd, &b, 1, 50 << 20);
    printf("pwrite past the limit: %s\n", w == 1 ? "ok" : strerror(errno));
    w = pwrite(fd, &b, 1, 4096);
    printf("pwrite within it: %s\n", w == 1 ? "ok" : strerror(errno));
    return 0;
}
