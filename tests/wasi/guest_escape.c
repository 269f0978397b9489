/*
 * guest_escape.c - WASI guest: every way out of the preopen we could
 * think of, tried through raw preview1 calls (so wasi-libc cannot tidy the
 * path first) and through libc. The driver builds the sandbox:
 *   sandbox/inside.txt, sandbox/sub/, sandbox/ok_link -> sub,
 *   sandbox/link_out -> ../outside, sandbox/link_abs -> $WORK/outside,
 *   sandbox/link_etc -> /etc, sandbox/sub/up -> ../..
 * and outside/secret.txt beside it. Each attempt prints "blocked" or
 * "ESCAPED"; control cases that must work print "ok". The errno goes to
 * stderr only, since the kernel path (openat2) and the fallback walk may
 * name the refusal differently.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

IMPORT("path_open") int raw_path_open(int fd, int dirflags, const char *path, size_t len, int oflags,
                                      long long base, long long inheriting, int fdflags, int *out);
IMPORT("path_create_directory") int raw_mkdir(int fd, const char *path, size_t len);
IMPORT("path_filestat_get") int raw_stat(int fd, int flags, const char *path, size_t len, void *out);

static const int DIR_FD = 3;
static const long long ALL = 0x1fffffffLL;
/* What wasi-libc asks for a read-only open: every right but the ones that
 * need a descriptor open for writing (with those a directory is EISDIR,
 * which would hide whether an escape to a directory was blocked). */
static const long long READ_RIGHTS = ALL & ~(long long)(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE |
                                                        __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |
                                                        __WASI_RIGHTS_FD_DATASYNC);
static int failures;

static int open_at(const char *path, int follow, int oflags)
{
    int fd = -1;
    int e = raw_path_open(DIR_FD, follow ? 1 : 0, path, strlen(path), oflags, READ_RIGHTS, ALL, 0, &fd);
    if (e == 0)
        return fd;
    errno = e;
    return -1;
}

/* An attempt to escape: reading secret.txt's content (or any success) is an escape. */
static void must_block(const char *what, int result_ok, int err)
{
    if (result_ok) {
        printf("%s: ESCAPED\n", what);
        failures++;
    } else {
        printf("%s: blocked\n", what);
        fprintf(stderr, "%s: errno %d\n", what, err);
    }
}

static void try_open(const char *path, int follow)
{
    int fd = open_at(path, follow, 0);
    int err = errno;
    char what[256];
    snprintf(what, sizeof what, "open %s%s", path, follow ? "" : " (nofollow)");
    if (fd >= 0) {
        char buf[64] = { 0 };
        size_t n = 0;
        __wasi_iovec_t iov = { (uint8_t *)buf, sizeof buf - 1 };
        (void)__wasi_fd_read(fd, &iov, 1, &n);
        fprintf(stderr, "%s: read '%s'\n", what, buf);
        (void)__wasi_fd_close(fd);
    }
    must_block(what, fd >= 0, err);
}

static void must_work(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        failures++;
}

int main(void)
{
    char name[32] = { 0 };
    __wasi_prestat_t pre;
    if (__wasi_fd_prestat_get(DIR_FD, &pre) != 0 ||
        __wasi_fd_prestat_dir_name(DIR_FD, (uint8_t *)name, pre.u.dir.pr_name_len) != 0) {
        printf("no preopen at fd 3\n");
        return 1;
    }
    printf("preopen: %s\n", name);

    /* Controls: these stay inside and must work. */
    must_work("open inside.txt", open_at("inside.txt", 1, 0) >= 0);
    must_work("open sub/../inside.txt", open_at("sub/../inside.txt", 1, 0) >= 0);
    must_work("open ok_link/.. (dir)", open_at("ok_link/..", 1, __WASI_OFLAGS_DIRECTORY) >= 0);
    must_work("open sub/.. (the preopen itself)", open_at("sub/..", 1, __WASI_OFLAGS_DIRECTORY) >= 0);
    must_work("open . ", open_at(".", 1, __WASI_OFLAGS_DIRECTORY) >= 0);
    /* A directory cannot be opened for writing (EISDIR, as open(2)), with
     * O_DIRECTORY or not; read rights open it. */
    int dfd = -1;
    must_work("open sub for writing: EISDIR",
              raw_path_open(DIR_FD, 1, "sub", 3, 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &dfd) == __WASI_ERRNO_ISDIR);
    must_work("open sub for reading and writing: EISDIR",
              raw_path_open(DIR_FD, 1, "sub", 3, 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &dfd) ==
                  __WASI_ERRNO_ISDIR);
    __wasi_fdstat_t dst;
    must_work("open sub with O_DIRECTORY and every right: EISDIR",
              raw_path_open(DIR_FD, 1, "sub", 3, __WASI_OFLAGS_DIRECTORY, ALL, ALL, 0, &dfd) == __WASI_ERRNO_ISDIR);
    must_work("open sub with O_DIRECTORY and read rights: a directory",
              raw_path_open(DIR_FD, 1, "sub", 3, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS, ALL, 0, &dfd) == 0 &&
                  __wasi_fd_fdstat_get(dfd, &dst) == 0 && dst.fs_filetype == __WASI_FILETYPE_DIRECTORY &&
                  __wasi_fd_close(dfd) == 0);

    /* "..", absolute paths, and their disguises. */
    const char *paths[] = {
        "..", "../outside/secret.txt", "/etc/passwd", "/", "./../outside/secret.txt",
        "sub/../../outside/secret.txt", "sub/../sub/../../outside/secret.txt",
        ".//..//outside//secret.txt", "sub/./../.././outside/secret.txt",
        "ok_link/../../outside/secret.txt",
        /* pre-made symlinks pointing out */
        "link_out/secret.txt", "link_abs/secret.txt", "link_etc/passwd", "link_out", "link_etc",
        "sub/up/outside/secret.txt", "sub/up", "link_out/", "link_etc/",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        try_open(paths[i], 1);
    try_open("link_out/secret.txt", 0);

    /* Symlinks the guest makes itself. */
    must_work("symlink mine_out -> ../outside/secret.txt",
              __wasi_path_symlink("../outside/secret.txt", DIR_FD, "mine_out") == 0);
    must_work("symlink mine_up -> ..", __wasi_path_symlink("..", DIR_FD, "mine_up") == 0);
    must_work("symlink mine_root -> / refused (an absolute target)",
              __wasi_path_symlink("/", DIR_FD, "mine_root") == __WASI_ERRNO_NOTCAPABLE);
    must_work("symlink chain c1 -> c2 -> c3 -> sub/up",
              __wasi_path_symlink("c2", DIR_FD, "c1") == 0 &&
                  __wasi_path_symlink("c3", DIR_FD, "c2") == 0 &&
                  __wasi_path_symlink("sub/up", DIR_FD, "c3") == 0);
    must_work("symlink loop l1 <-> l2", __wasi_path_symlink("l2", DIR_FD, "l1") == 0 &&
                                            __wasi_path_symlink("l1", DIR_FD, "l2") == 0);
    try_open("mine_out", 1);
    try_open("mine_out", 0);
    try_open("mine_up/outside/secret.txt", 1);
    try_open("mine_root/etc/passwd", 1);
    try_open("c1/outside/secret.txt", 1);
    try_open("l1", 1);
    must_work("readlink of an outward link is just text", ({
                  char buf[64] = { 0 };
                  size_t n = 0;
                  __wasi_path_readlink(DIR_FD, "mine_out", (uint8_t *)buf, sizeof buf, &n) == 0 &&
                      strcmp(buf, "../outside/secret.txt") == 0;
              }));

    /* Creating, renaming, linking, stat and times through the same holes. */
    __wasi_filestat_t st;
    must_block("mkdir ../evil", __wasi_path_create_directory(DIR_FD, "../evil") == 0, 0);
    must_block("mkdir link_out/evil", __wasi_path_create_directory(DIR_FD, "link_out/evil") == 0, 0);
    must_block("mkdir mine_up/evil", __wasi_path_create_directory(DIR_FD, "mine_up/evil") == 0, 0);
    must_block("create link_out/new.txt",
               open_at("link_out/new.txt", 1, __WASI_OFLAGS_CREAT) >= 0, errno);
    must_block("create through dangling mine_new -> ../outside/new.txt", ({
                   (void)__wasi_path_symlink("../outside/new.txt", DIR_FD, "mine_new");
                   open_at("mine_new", 1, __WASI_OFLAGS_CREAT) >= 0;
               }), errno);
    must_block("rename inside.txt -> ../stolen",
               __wasi_path_rename(DIR_FD, "inside.txt", DIR_FD, "../stolen") == 0, 0);
    must_block("rename link_out/secret.txt -> got.txt",
               __wasi_path_rename(DIR_FD, "link_out/secret.txt", DIR_FD, "got.txt") == 0, 0);
    must_block("rename sub/up/outside -> taken",
               __wasi_path_rename(DIR_FD, "sub/up/outside", DIR_FD, "taken") == 0, 0);
    must_block("link (follow) mine_out -> hard",
               __wasi_path_link(DIR_FD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "mine_out", DIR_FD, "hard") == 0, 0);
    must_block("link link_out/secret.txt -> hard2",
               __wasi_path_link(DIR_FD, 0, "link_out/secret.txt", DIR_FD, "hard2") == 0, 0);
    must_block("stat link_out/secret.txt",
               __wasi_path_filestat_get(DIR_FD, 1, "link_out/secret.txt", &st) == 0, 0);
    must_block("stat (follow) link_etc", __wasi_path_filestat_get(DIR_FD, 1, "link_etc", &st) == 0, 0);
    must_block("stat (nofollow) link_etc/", __wasi_path_filestat_get(DIR_FD, 0, "link_etc/", &st) == 0, 0);
    must_block("stat ..", __wasi_path_filestat_get(DIR_FD, 0, "..", &st) == 0, 0);
    must_block("stat sub/../..", __wasi_path_filestat_get(DIR_FD, 0, "sub/../..", &st) == 0, 0);
    must_block("set times on link_out/secret.txt",
               __wasi_path_filestat_set_times(DIR_FD, 1, "link_out/secret.txt", 0, 0,
                                              __WASI_FSTFLAGS_MTIM_NOW) == 0, 0);
    must_block("set times (follow) on mine_out",
               __wasi_path_filestat_set_times(DIR_FD, 1, "mine_out", 0, 0, __WASI_FSTFLAGS_MTIM_NOW) == 0, 0);
    must_block("unlink link_out/secret.txt", __wasi_path_unlink_file(DIR_FD, "link_out/secret.txt") == 0, 0);
    must_block("unlink link_out/ (the target dir)", __wasi_path_unlink_file(DIR_FD, "link_out/") == 0, 0);
    must_block("rmdir link_out/", __wasi_path_remove_directory(DIR_FD, "link_out/") == 0, 0);
    must_block("rmdir ..", __wasi_path_remove_directory(DIR_FD, "..") == 0, 0);
    must_block("symlink into ../", __wasi_path_symlink("x", DIR_FD, "../planted") == 0, 0);
    must_work("unlink of the link itself works (nothing outside touched)",
              __wasi_path_unlink_file(DIR_FD, "mine_out") == 0);

    /* Malformed paths and pointers: refused, never a crash. */
    int fd = -1;
    must_block("path with NUL", raw_path_open(DIR_FD, 1, "inside.txt\0/../..", 17, 0, ALL, ALL, 0, &fd) == 0, 0);
    must_work("path not UTF-8 gives EILSEQ",
              raw_path_open(DIR_FD, 1, "\xff\xfe", 2, 0, ALL, ALL, 0, &fd) == __WASI_ERRNO_ILSEQ);
    /* UTF-8 (WASI strings are UTF-8): what is malformed is refused, and
     * an overlong '/' or '.' cannot smuggle a separator past the check. */
    static const char *const bad_utf8[] = {
        "\xc0\xaf..\xc0\xafoutside",    /* overlong '/' */
        "\xc0\xae\xc0\xae/outside",     /* overlong '.' */
        "\xe0\x80\xaf",                /* overlong '/' in three bytes */
        "\xed\xa0\x80",                /* a UTF-16 surrogate */
        "\xf4\x90\x80\x80",            /* past U+10FFFF */
        "\xe2\x9c",                    /* cut short */
        "a\x80" "b",                   /* a continuation byte alone */
        "\xf8\x88\x80\x80\x80",        /* a five-byte form */
    };
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "malformed UTF-8 path %zu gives EILSEQ", i);
        must_work(what, raw_path_open(DIR_FD, 1, bad_utf8[i], strlen(bad_utf8[i]), 0, ALL, ALL, 0, &fd) ==
                            __WASI_ERRNO_ILSEQ);
    }
    /* Well-formed names of two, three and four bytes a character work. */
    const char *utf8_name = "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80.txt";
    int made = -1;
    must_work("create a file named in UTF-8",
              raw_path_open(DIR_FD, 0, utf8_name, strlen(utf8_name), __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, ALL, ALL, 0,
                            &made) == 0);
    __wasi_filestat_t made_st;
    must_work("stat it by the same name", __wasi_path_filestat_get(DIR_FD, 0, utf8_name, &made_st) == 0 &&
                                              made_st.filetype == __WASI_FILETYPE_REGULAR_FILE);
    must_work("remove it", __wasi_fd_close(made) == 0 && __wasi_path_unlink_file(DIR_FD, utf8_name) == 0);
    must_work("path out of bounds gives EFAULT",
              raw_path_open(DIR_FD, 1, (const char *)0x7ffffff0, 64, 0, ALL, ALL, 0, &fd) == __WASI_ERRNO_FAULT);
    must_work("huge path length gives EFAULT",
              raw_mkdir(DIR_FD, "x", 0xffffffffu) == __WASI_ERRNO_FAULT);
    must_work("result pointer out of bounds gives EFAULT",
              raw_stat(DIR_FD, 0, "inside.txt", 10, (void *)0xfffffff0) == __WASI_ERRNO_FAULT);

    /* Rights: a file opened without write rights cannot gain them. */
    int ro = -1;
    must_work("open read-only", raw_path_open(DIR_FD, 1, "inside.txt", 10, 0, __WASI_RIGHTS_FD_READ, 0, 0, &ro) == 0);
    size_t nw = 0;
    __wasi_ciovec_t civ = { (const uint8_t *)"x", 1 };
    must_work("write without right: ENOTCAPABLE", __wasi_fd_write(ro, &civ, 1, &nw) == __WASI_ERRNO_NOTCAPABLE);
    must_work("regain write right: ENOTCAPABLE",
              __wasi_fd_fdstat_set_rights(ro, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0) ==
                  __WASI_ERRNO_NOTCAPABLE);
    must_work("drop rights on the preopen",
              __wasi_fd_fdstat_set_rights(DIR_FD, __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR, __WASI_RIGHTS_FD_READ) == 0);
    must_work("then mkdir: ENOTCAPABLE", __wasi_path_create_directory(DIR_FD, "newdir") == __WASI_ERRNO_NOTCAPABLE);
    must_work("then open with write rights: ENOTCAPABLE",
              raw_path_open(DIR_FD, 1, "inside.txt", 10, 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd) == __WASI_ERRNO_NOTCAPABLE);

    printf("%s\n", failures ? "SOME CHECKS FAILED" : "all contained");
    return failures ? 1 : 0;
}
