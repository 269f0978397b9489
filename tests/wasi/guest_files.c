/*
 * guest_files.c - WASI guest: files and directories through wasi-libc
 * (create, write, read, seek/tell, pread/pwrite, append, truncate, stat,
 * rename, link, unlink, mkdir/rmdir, readdir, utimes) under the preopen
 * /sandbox. Prints one line per step; the driver compares with
 * expected/files.out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : strerror(errno));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: %s\n", path, strerror(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(void)
{
    int fd = open("/sandbox/a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    check("create a.txt", fd >= 0);
    check("write", write(fd, "hello, world\n", 13) == 13);
    check("close", close(fd) == 0);

    fd = open("/sandbox/a.txt", O_RDWR);
    char buf[64] = { 0 };
    check("read", read(fd, buf, sizeof buf - 1) == 13);
    printf("content: %s", buf);
    check("seek 7", lseek(fd, 7, SEEK_SET) == 7);
    memset(buf, 0, sizeof buf);
    check("read after seek", read(fd, buf, 5) == 5);
    printf("got: %s\n", buf);
    printf("tell: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    printf("seek end: %ld\n", (long)lseek(fd, 0, SEEK_END));
    check("pwrite", pwrite(fd, "HELLO", 5, 0) == 5);
    memset(buf, 0, sizeof buf);
    check("pread", pread(fd, buf, 5, 0) == 5);
    printf("pread: %s\n", buf);
    printf("tell after p-ops: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    check("seek negative fails", lseek(fd, -100, SEEK_SET) < 0 && errno == EINVAL);
    struct stat st;
    check("fstat", fstat(fd, &st) == 0);
    printf("size %ld regular %d\n", (long)st.st_size, S_ISREG(st.st_mode));
    check("ftruncate 5", ftruncate(fd, 5) == 0);
    fstat(fd, &st);
    printf("size after truncate %ld\n", (long)st.st_size);
    close(fd);

    fd = open("/sandbox/a.txt", O_WRONLY | O_APPEND);
    check("append", write(fd, "+tail", 5) == 5);
    close(fd);
    FILE *f = fopen("/sandbox/a.txt", "r");
    memset(buf, 0, sizeof buf);
    check("fread", fread(buf, 1, sizeof buf - 1, f) == 10);
    fclose(f);
    printf("after append: %s\n", buf);

    check("excl on existing fails", open("/sandbox/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 &&
                                        errno == EEXIST);
    check("open missing fails", open("/sandbox/missing", O_RDONLY) < 0 && errno == ENOENT);
    check("write to read-only fd fails", ({
              int r = open("/sandbox/a.txt", O_RDONLY);
              int w = (int)write(r, "x", 1);
              int e = errno;
              close(r);
              errno = e;
              w < 0 && (e == EBADF || e == ENOTCAPABLE);
          }));

    check("mkdir d", mkdir("/sandbox/d", 0755) == 0);
    check("mkdir d again fails", mkdir("/sandbox/d", 0755) < 0 && errno == EEXIST);
    check("mkdir d/e", mkdir("/sandbox/d/e", 0755) == 0);
    check("rename a.txt -> d/b.txt", rename("/sandbox/a.txt", "/sandbox/d/b.txt") == 0);
    check("old name gone", access("/sandbox/a.txt", F_OK) < 0 && errno == ENOENT);
    check("stat new name", stat("/sandbox/d/b.txt", &st) == 0 && st.st_size == 10);
    check("link d/b.txt -> c.txt", link("/sandbox/d/b.txt", "/sandbox/c.txt") == 0);
    check("stat nlink", stat("/sandbox/c.txt", &st) == 0 && st.st_nlink == 2);
    check("rmdir non-empty fails", rmdir("/sandbox/d") < 0 && errno == ENOTEMPTY);
    check("unlink dir fails", unlink("/sandbox/d/e") < 0 && (errno == EISDIR || errno == EPERM));
    check("rmdir file fails", rmdir("/sandbox/c.txt") < 0 && errno == ENOTDIR);
    check("open file as dir fails", open("/sandbox/c.txt/x", O_RDONLY) < 0 && errno == ENOTDIR);
    check("rename dir", rename("/sandbox/d/e", "/sandbox/e2") == 0);
    check("stat dir", stat("/sandbox/e2", &st) == 0 && S_ISDIR(st.st_mode));
    list_dir("/sandbox");
    list_dir("/sandbox/d");

    struct timeval tv[2] = { { 1000000000, 0 }, { 1234567890, 0 } };
    check("utimes", utimes("/sandbox/c.txt", tv) == 0);
    check("mtime set", stat("/sandbox/c.txt", &st) == 0 && st.st_mtime == 1234567890 &&
                           st.st_atime == 1000000000);

    check("unlink c.txt", unlink("/sandbox/c.txt") == 0);
    check("unlink d/b.txt", unlink("/sandbox/d/b.txt") == 0);
    check("rmdir d", rmdir("/sandbox/d") == 0);
    check("rmdir e2", rmdir("/sandbox/e2") == 0);

    /* Many entries: readdir must page through the buffer by cookie. */
    char name[128];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "/sandbox/many/%03d-a-rather-long-file-name-to-fill-buffers", i);
        if (i == 0)
            mkdir("/sandbox/many", 0755);
        int m = open(name, O_CREAT | O_WRONLY, 0644);
        if (m < 0) {
            printf("create %s: %s\n", name, strerror(errno));
            return 1;
        }
        close(m);
    }
    DIR *d = opendir("/sandbox/many");
    int count = 0, seen_first = 0, seen_last = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        count++;
        if (strncmp(e->d_name, "000-", 4) == 0)
            seen_first = 1;
        if (strncmp(e->d_name, "299-", 4) == 0)
            seen_last = 1;
    }
    printf("many: %d entries (with . and ..), first %d last %d\n", count, seen_first, seen_last);

    /* telldir/seekdir: back to a position far into the listing (past a
     * buffer's worth) gives the entry that followed it. A guest's telldir
     * is a 32-bit long: the host's ext4 hash did not fit in one. */
    rewinddir(d);
    long at = -1;
    char after[256] = "", again[256] = "";
    for (int i = 0; (e = readdir(d)) != NULL; i++) {
        if (i == 200)
            at = telldir(d);
        if (i == 201)
            snprintf(after, sizeof after, "%s", e->d_name);
    }
    seekdir(d, at);
    e = readdir(d);
    snprintf(again, sizeof again, "%s", e ? e->d_name : "(end)");
    check("seekdir back to entry 201", at >= 0 && after[0] && strcmp(after, again) == 0);
    seekdir(d, 0);
    check("seekdir to the start", (e = readdir(d)) != NULL);
    closedir(d);

    f = fopen("/sandbox/lines.txt", "w");
    for (int i = 0; i < 1000; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    f = fopen("/sandbox/lines.txt", "r");
    char line[64];
    int lines = 0;
    long sum = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        sum += atol(line + 5);
    }
    fclose(f);
    printf("lines %d sum %ld\n", lines, sum);
    return 0;
}
