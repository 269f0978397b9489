/*
 * guest_symlinks.c - WASI guest: symlinks that stay inside the preopen
 * behave as on POSIX: create, readlink, stat follows and lstat does not,
 * relative targets with "..", dangling links, O_NOFOLLOW, loops, and
 * directory listings that show the link type.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : strerror(errno));
}

int main(void)
{
    struct stat st;
    char buf[128];
    check("mkdir dir", mkdir("/sandbox/dir", 0755) == 0);
    int fd = open("/sandbox/dir/target.txt", O_CREAT | O_WRONLY, 0644);
    check("write target", fd >= 0 && write(fd, "target data", 11) == 11);
    close(fd);
    check("symlink rel", symlink("dir/target.txt", "/sandbox/rel") == 0);
    check("symlink up-and-back", symlink("../dir/target.txt", "/sandbox/dir/back") == 0);
    check("symlink to dir", symlink("dir", "/sandbox/dirlink") == 0);
    check("symlink dangling", symlink("nowhere", "/sandbox/dangling") == 0);
    check("symlink exists fails", symlink("x", "/sandbox/rel") < 0 && errno == EEXIST);
    ssize_t n = readlink("/sandbox/rel", buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = '\0';
    printf("readlink rel: %s\n", buf);
    n = readlink("/sandbox/rel", buf, 4);
    printf("readlink truncated: %zd\n", n);
    check("readlink of a file fails", readlink("/sandbox/dir/target.txt", buf, sizeof buf) < 0 && errno == EINVAL);
    check("stat follows", stat("/sandbox/rel", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 11);
    check("lstat does not", lstat("/sandbox/rel", &st) == 0 && S_ISLNK(st.st_mode));
    fd = open("/sandbox/dir/back", O_RDONLY);
    memset(buf, 0, sizeof buf);
    check("read through ../ link", fd >= 0 && read(fd, buf, sizeof buf) == 11);
    close(fd);
    printf("content: %s\n", buf);
    check("open through dir link", (fd = open("/sandbox/dirlink/target.txt", O_RDONLY)) >= 0);
    close(fd);
    check("stat dangling fails", stat("/sandbox/dangling", &st) < 0 && errno == ENOENT);
    check("lstat dangling", lstat("/sandbox/dangling", &st) == 0 && S_ISLNK(st.st_mode));
    check("create through dangling", (fd = open("/sandbox/dangling", O_CREAT | O_WRONLY, 0644)) >= 0);
    close(fd);
    check("now it resolves", stat("/sandbox/nowhere", &st) == 0 && S_ISREG(st.st_mode));
    check("O_NOFOLLOW on a link fails", open("/sandbox/rel", O_RDONLY | O_NOFOLLOW) < 0 && errno == ELOOP);
    check("symlink loop", symlink("loop2", "/sandbox/loop1") == 0 && symlink("loop1", "/sandbox/loop2") == 0);
    check("open loop fails ELOOP", open("/sandbox/loop1", O_RDONLY) < 0 && errno == ELOOP);
    check("rename a link", rename("/sandbox/rel", "/sandbox/rel2") == 0);
    check("renamed link still works", stat("/sandbox/rel2", &st) == 0 && S_ISREG(st.st_mode));
    check("unlink link keeps target", unlink("/sandbox/rel2") == 0 &&
                                        stat("/sandbox/dir/target.txt", &st) == 0);
    DIR *d = opendir("/sandbox");
    struct dirent *e;
    int links = 0, dirs = 0, files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        links += e->d_type == DT_LNK;
        dirs += e->d_type == DT_DIR;
        files += e->d_type == DT_REG;
    }
    closedir(d);
    printf("listing: %d links %d dirs %d files\n", links, dirs, files);
    check("chdir + relative open", chdir("/sandbox/dir") == 0 && (fd = open("back", O_RDONLY)) >= 0);
    close(fd);
    check("getcwd", getcwd(buf, sizeof buf) != NULL && strcmp(buf, "/sandbox/dir") == 0);
    return 0;
}
