/*
 * wasi_path_calls.c - the path_* calls. Each takes a directory descriptor
 * with the right the spec ties to the call, copies the guest path out of
 * memory, and resolves it with wasi_path.c, so nothing here ever hands a
 * guest-controlled path to the host with a name that could lead outside.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_abi.h"
#include "wasi_block.h"
#include "wasi_ctx.h"
#include "wasi_mem.h"
#include "wasi_path.h"
#include "wasi_stat.h"

/*
 * Where this call may run (wasi_dir_disk_mode), for the directory in
 * argument fd_arg. Asked before anything is done, so a call that parks
 * starts from nothing when it runs again; a descriptor that is bad or not
 * a directory runs here, for the call to refuse.
 */
static wasi_dir_disk path_disk(wasi_call *c, unsigned fd_arg)
{
    wasi_fd_entry *dir;
    if (wasi_fd_get(c->wasi, wasi_arg32(c, fd_arg), 0, &dir) != 0)
        return WASI_DIR_DISK_HERE;
    return wasi_dir_disk_mode(c->wasi, dir);
}

/* Whether a call that changes names (or reads a link) parks: anywhere but
 * in memory, since no cache can answer it alone. */
static bool path_parks(wasi_call *c, unsigned fd_arg)
{
    return path_disk(c, fd_arg) != WASI_DIR_DISK_HERE;
}

/* wasi_path_openat, or when `disk` is CACHED its cached-only form
 * (WASI_EAGAIN: park). */
static uint16_t path_openat(wasi_dir_disk disk, int dirfd, const char *path, int flags, bool follow, int *fd)
{
    if (disk == WASI_DIR_DISK_CACHED)
        return wasi_path_openat_cached(dirfd, path, flags, follow, fd);
    return wasi_path_openat(dirfd, path, flags, 0666, follow, fd);
}

/* The directory descriptor in argument `fd_arg` and the path at (ptr_arg, ptr_arg+1). */
static uint16_t dir_and_path(wasi_call *c, unsigned fd_arg, unsigned ptr_arg, uint64_t rights,
                             wasi_fd_entry **dir, char **path)
{
    *path = NULL;
    uint16_t err = wasi_fd_get(c->wasi, wasi_arg32(c, fd_arg), rights, dir);
    if (err)
        return err;
    if ((*dir)->filetype != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    return wasi_path_copy(c, wasi_arg32(c, ptr_arg), wasi_arg32(c, ptr_arg + 1), path);
}

/*
 * Opens the parent of `path` beneath dir; with a trailing slash the named
 * object, if it exists, must be a directory (a slash never follows a
 * symlink here: the *at() calls get the bare name).
 */
static uint16_t open_parent(wasi_fd_entry *dir, const char *path, wasi_parent *p)
{
    uint16_t err = wasi_parent_open(dir->host_fd, path, p);
    if (err || !p->trailing_slash)
        return err;
    struct stat st;
    if (fstatat(p->dirfd, p->base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        return WASI_ENOTDIR;
    return 0;
}

/* A link or a symlink is never a directory, so a new name ending in '/' is
 * refused as Linux refuses it (the *at() calls get the bare name, which
 * would succeed): EEXIST when something has that name, else ENOENT. */
static uint16_t new_file_name(const wasi_parent *p)
{
    if (!p->trailing_slash)
        return 0;
    struct stat st;
    return fstatat(p->dirfd, p->base, &st, AT_SYMLINK_NOFOLLOW) == 0 ? WASI_EEXIST : WASI_ENOENT;
}

static uint32_t host_result(int r)
{
    return r == 0 ? 0 : wasi_errno_from_host(errno);
}

/* Runs one *at() operation on the parent of a path; the shape of four calls. */
typedef int (*at_op)(int dirfd, const char *name, void *arg);

static uint32_t on_parent(wasi_call *c, uint64_t rights, at_op op, void *arg)
{
    if (path_parks(c, 0))
        return wasi_park_on_disk(c->wasi);
    wasi_fd_entry *dir;
    char *path;
    uint16_t err = dir_and_path(c, 0, 1, rights, &dir, &path);
    if (!err) {
        wasi_parent p;
        err = open_parent(dir, path, &p);
        if (!err)
            err = (uint16_t)host_result(op(p.dirfd, p.base, arg));
        wasi_parent_release(&p);
    }
    free(path);
    return err;
}

static int op_mkdir(int dirfd, const char *name, void *arg)
{
    (void)arg;
    return mkdirat(dirfd, name, 0777);
}

static int op_rmdir(int dirfd, const char *name, void *arg)
{
    (void)arg;
    return unlinkat(dirfd, name, AT_REMOVEDIR);
}

static int op_unlink(int dirfd, const char *name, void *arg)
{
    bool *trailing = arg;
    if (*trailing) {
        /* "dir/" names a directory, which unlink_file never removes. */
        errno = EISDIR;
        return -1;
    }
    return unlinkat(dirfd, name, 0);
}

uint32_t wasi_path_create_directory(wasi_call *c)
{
    return on_parent(c, WASI_R_PATH_CREATE_DIRECTORY, op_mkdir, NULL);
}

uint32_t wasi_path_remove_directory(wasi_call *c)
{
    return on_parent(c, WASI_R_PATH_REMOVE_DIRECTORY, op_rmdir, NULL);
}

uint32_t wasi_path_unlink_file(wasi_call *c)
{
    /* A trailing slash is only known after parsing; peek at the raw path. */
    uint32_t len = wasi_arg32(c, 2);
    const uint8_t *raw = wasi_mem_at(c, wasi_arg32(c, 1), len);
    bool trailing = raw && len > 0 && raw[len - 1] == '/';
    return on_parent(c, WASI_R_PATH_UNLINK_FILE, op_unlink, &trailing);
}

uint32_t wasi_path_filestat_get(wasi_call *c)
{
    wasi_dir_disk disk = path_disk(c, 0);
    if (disk == WASI_DIR_DISK_PARK)
        return wasi_park_on_disk(c->wasi);
    wasi_fd_entry *dir;
    char *path;
    uint16_t err = dir_and_path(c, 0, 2, WASI_R_PATH_FILESTAT_GET, &dir, &path);
    if (!err) {
        uint8_t *out = wasi_mem_at(c, wasi_arg32(c, 4), WASI_FILESTAT_SIZE);
        bool follow = wasi_arg32(c, 1) & WASI_LOOKUP_SYMLINK_FOLLOW;
        int fd = -1;
        struct stat st;
        if (!out)
            err = WASI_EFAULT;
        else
            err = path_openat(disk, dir->host_fd, path, O_PATH, follow, &fd);
        if (err == WASI_EAGAIN && disk == WASI_DIR_DISK_CACHED) {
            free(path);
            return wasi_park_on_disk(c->wasi);
        }
        if (!err) {
            /* Of an inode in memory: a local file system answers from it. */
            err = (uint16_t)host_result(fstat(fd, &st));
            if (!err)
                wasi_put_filestat(out, &st);
            close(fd);
        }
    }
    free(path);
    return err;
}

/*
 * Sets the times of the object an O_PATH descriptor refers to (which may
 * be a symlink itself). Kernels without AT_EMPTY_PATH for utimensat get
 * the /proc/self/fd magic link, which also names that very object.
 */
static int set_times_resolved(int fd, const struct timespec ts[2])
{
    if (utimensat(fd, "", ts, AT_EMPTY_PATH) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOENT)
        return -1;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return utimensat(AT_FDCWD, proc, ts, 0);   /* following the magic link reaches the object */
}

uint32_t wasi_path_filestat_set_times(wasi_call *c)
{
    if (path_parks(c, 0))
        return wasi_park_on_disk(c->wasi);
    wasi_fd_entry *dir;
    char *path;
    uint16_t err = dir_and_path(c, 0, 2, WASI_R_PATH_FILESTAT_SET_TIMES, &dir, &path);
    if (!err) {
        struct timespec ts[2];
        bool follow = wasi_arg32(c, 1) & WASI_LOOKUP_SYMLINK_FOLLOW;
        int fd = -1;
        err = wasi_fst_times(wasi_arg64(c, 4), wasi_arg64(c, 5), wasi_arg32(c, 6), ts);
        if (!err)
            err = wasi_path_openat(dir->host_fd, path, O_PATH, 0, follow, &fd);
        if (!err) {
            /* The O_PATH descriptor is the resolved object itself: no second lookup. */
            err = (uint16_t)host_result(set_times_resolved(fd, ts));
            close(fd);
        }
    }
    free(path);
    return err;
}

/* Whether a path_open under a local disk writes to it as it opens:
 * creating or truncating, or on overlayfs any open for writing (the
 * file is copied up from the lower layer). */
static bool open_writes_disk(wasi_call *c, uint32_t oflags)
{
    if (oflags & (WASI_O_CREAT | WASI_O_TRUNC))
        return true;
    wasi_fd_entry *dir;
    uint64_t base = wasi_arg64(c, 5);
    return wasi_fd_get(c->wasi, wasi_arg32(c, 0), 0, &dir) == 0 && dir->fs_class == WASI_FS_OVERLAY &&
           (base & (WASI_R_FD_WRITE | WASI_R_FD_DATASYNC | WASI_R_FD_ALLOCATE | WASI_R_FD_FILESTAT_SET_SIZE));
}

uint32_t wasi_path_open(wasi_call *c)
{
    uint32_t dirflags = wasi_arg32(c, 1), oflags = wasi_arg32(c, 4), fdflags = wasi_arg32(c, 7);
    wasi_dir_disk disk = path_disk(c, 0);
    if (disk == WASI_DIR_DISK_PARK || (disk == WASI_DIR_DISK_CACHED && open_writes_disk(c, oflags)))
        return wasi_park_on_disk(c->wasi);
    uint64_t base = wasi_arg64(c, 5), inheriting = wasi_arg64(c, 6);
    uint64_t need = WASI_R_PATH_OPEN;
    if (oflags & WASI_O_CREAT)
        need |= WASI_R_PATH_CREATE_FILE;
    if (oflags & WASI_O_TRUNC)
        need |= WASI_R_PATH_FILESTAT_SET_SIZE;
    wasi_fd_entry *dir;
    char *path;
    uint16_t err = dir_and_path(c, 0, 2, need, &dir, &path);
    uint8_t *out = wasi_mem_at(c, wasi_arg32(c, 8), 4);
    if (!err && !out)
        err = WASI_EFAULT;
    if (!err && (oflags & ~(uint32_t)(WASI_O_CREAT | WASI_O_DIRECTORY | WASI_O_EXCL | WASI_O_TRUNC)))
        err = WASI_EINVAL;
    /*
     * A new descriptor may hold only what the directory lets it inherit.
     * Rights that cannot apply to a file or directory (socket rights, say)
     * are dropped silently, as the spec allows; asking for any other right
     * the directory does not pass on is ENOTCAPABLE.
     */
    uint64_t applicable = wasi_rights_for_filetype(WASI_FILETYPE_REGULAR_FILE) |
                          wasi_rights_for_filetype(WASI_FILETYPE_DIRECTORY);
    if (!err && ((base | inheriting) & applicable & ~dir->rights_inheriting))
        err = WASI_ENOTCAPABLE;
    if (err) {
        free(path);
        return err;
    }
    bool reading = base & (WASI_R_FD_READ | WASI_R_FD_READDIR);
    /* The rights that need a descriptor open for writing. fdatasync does
     * not (a directory has that right, and a preopen's own rights must
     * open it again). */
    bool writing = base & (WASI_R_FD_WRITE | WASI_R_FD_ALLOCATE | WASI_R_FD_FILESTAT_SET_SIZE);
    /* Write access to a directory is EISDIR, with O_DIRECTORY or not, as
     * open(2) says and the WASI test suite checks: a program asking whether
     * it can write a path must not be handed a descriptor it cannot write. */
    int flags = writing ? (reading ? O_RDWR : O_WRONLY) : O_RDONLY;
    if (oflags & WASI_O_CREAT)
        flags |= O_CREAT;
    if (oflags & WASI_O_DIRECTORY)
        flags |= O_DIRECTORY;
    if (oflags & WASI_O_EXCL)
        flags |= O_EXCL;
    if (oflags & WASI_O_TRUNC)
        flags |= O_TRUNC;
    if (fdflags & WASI_FDFLAG_APPEND)
        flags |= O_APPEND;
    if (fdflags & WASI_FDFLAG_NONBLOCK)
        flags |= O_NONBLOCK;
    if (fdflags & WASI_FDFLAG_DSYNC)
        flags |= O_DSYNC;
    if (fdflags & (WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC))
        flags |= O_SYNC;
    /* In park mode an open must not wait either: a FIFO's waits for the
     * other end (for ever, on the worker every process needs). Opened
     * non-blocking, it returns at once (a write-only one with no reader
     * yet: ENXIO), and the descriptor is made blocking again unless the
     * guest asked otherwise. */
    bool open_nonblock = c->wasi->block_mode == ISOLA_WASI_BLOCK_PARK && !(flags & O_NONBLOCK);
    if (open_nonblock)
        flags |= O_NONBLOCK;
    /* Counted before the open, so a refused one (EMFILE, ENFILE) has no
     * effect, as on POSIX: O_CREAT creates nothing, O_TRUNC cuts nothing. */
    uint8_t counted;
    err = wasi_fd_count(c->wasi, ISOLA_WASI_FD_OPENED, &counted);
    if (err) {
        free(path);
        return err;
    }
    bool follow = dirflags & WASI_LOOKUP_SYMLINK_FOLLOW;
    int fd = -1;
    err = path_openat(disk, dir->host_fd, path, flags, follow, &fd);
    free(path);
    if (err) {
        wasi_fd_uncount(c->wasi, counted);
        return err == WASI_EAGAIN && disk == WASI_DIR_DISK_CACHED ? wasi_park_on_disk(c->wasi) : err;
    }
    if (open_nonblock)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    /* One fstat for the type and the device (open(2) never yields a socket,
     * the one kind wasi_filetype_of_fd asks more of). */
    struct stat st;
    bool stated = fstat(fd, &st) == 0;
    uint8_t type = stated ? wasi_filetype_of_mode(st.st_mode) : WASI_FILETYPE_UNKNOWN;
    uint64_t allowed = wasi_rights_for_fd(fd, type) & dir->rights_inheriting;
    inheriting &= dir->rights_inheriting;
    if (type != WASI_FILETYPE_DIRECTORY)
        inheriting = 0;   /* only directories hand rights on */
    /* Its file system: dir's when the cached open stayed on dir's mount or
     * the file is on dir's device, else asked now if this thread may wait
     * (wasi_fs_class). Read before the insert, which may move the table
     * `dir` points into. */
    uint8_t dir_class = dir->fs_class;
    uint64_t dir_dev = dir->fs_dev;
    bool same_fs = dir_class != WASI_FS_UNKNOWN &&
                   (disk == WASI_DIR_DISK_CACHED || (stated && (uint64_t)st.st_dev == dir_dev));
    uint32_t guest_fd = 0;
    err = wasi_fd_insert(c->wasi, fd, counted, type, base & allowed, inheriting, &guest_fd);
    if (err)
        return err;
    wasi_fd_entry *opened = &c->wasi->fds[guest_fd];
    if (same_fs) {
        opened->fs_class = dir_class;
        opened->fs_dev = dir_dev;
    } else {
        (void)wasi_fs_class(c->wasi, opened);
    }
    wasi_put_u32(out, guest_fd);
    return 0;
}

uint32_t wasi_path_readlink(wasi_call *c)
{
    if (path_parks(c, 0))
        return wasi_park_on_disk(c->wasi);
    wasi_fd_entry *dir;
    char *path;
    uint16_t err = dir_and_path(c, 0, 1, WASI_R_PATH_READLINK, &dir, &path);
    uint32_t buf_len = wasi_arg32(c, 4);
    uint8_t *buf = wasi_mem_at(c, wasi_arg32(c, 3), buf_len);
    uint8_t *out = wasi_mem_at(c, wasi_arg32(c, 5), 4);
    if (!err && (!buf || !out))
        err = WASI_EFAULT;
    if (!err) {
        wasi_parent p;
        err = open_parent(dir, path, &p);
        if (!err) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(p.dirfd, p.base, target, sizeof target);
            if (n < 0) {
                err = wasi_errno_from_host(errno);
            } else {
                /* Truncated like readlink(2); the guest retries with a bigger buffer. */
                uint32_t m = (uint64_t)n < buf_len ? (uint32_t)n : buf_len;
                memcpy(buf, target, m);
                wasi_put_u32(out, m);
            }
        }
        wasi_parent_release(&p);
    }
    free(path);
    return err;
}

uint32_t wasi_path_symlink(wasi_call *c)
{
    if (path_parks(c, 2))
        return wasi_park_on_disk(c->wasi);
    /* (old_path, old_len, fd, new_path, new_len): the target is stored text,
     * never resolved here. An absolute one is refused: beneath the
     * directory it could never be followed, and a host program that
     * followed it would leave the directory (the WASI test suite asks the
     * same). A relative one is stored as given and resolved, when used,
     * beneath the directory like any path. */
    char *target = NULL;
    uint16_t err = wasi_path_copy(c, wasi_arg32(c, 0), wasi_arg32(c, 1), &target);
    if (!err && target[0] == '/')
        err = WASI_ENOTCAPABLE;
    wasi_fd_entry *dir;
    char *path = NULL;
    if (!err)
        err = dir_and_path(c, 2, 3, WASI_R_PATH_SYMLINK, &dir, &path);
    if (!err) {
        wasi_parent p;
        err = open_parent(dir, path, &p);
        if (!err)
            err = new_file_name(&p);
        if (!err)
            err = (uint16_t)host_result(symlinkat(target, p.dirfd, p.base));
        wasi_parent_release(&p);
    }
    free(target);
    free(path);
    return err;
}

/* Opens both parents for rename and link: (fd0, path0) and (fd1, path1). */
static uint16_t two_parents(wasi_call *c, unsigned fd0, unsigned p0, uint64_t r0, unsigned fd1,
                            unsigned p1, uint64_t r1, wasi_parent *a, wasi_parent *b)
{
    wasi_fd_entry *d0, *d1;
    char *s0 = NULL, *s1 = NULL;
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    a->dirfd = b->dirfd = -1;
    uint16_t err = dir_and_path(c, fd0, p0, r0, &d0, &s0);
    if (!err)
        err = dir_and_path(c, fd1, p1, r1, &d1, &s1);
    if (!err)
        err = open_parent(d0, s0, a);
    if (!err)
        err = open_parent(d1, s1, b);
    free(s0);
    free(s1);
    return err;
}

uint32_t wasi_path_rename(wasi_call *c)
{
    if (path_parks(c, 0) || path_parks(c, 3))
        return wasi_park_on_disk(c->wasi);
    wasi_parent a, b;
    uint16_t err = two_parents(c, 0, 1, WASI_R_PATH_RENAME_SOURCE, 3, 4, WASI_R_PATH_RENAME_TARGET,
                               &a, &b);
    if (!err)
        err = (uint16_t)host_result(renameat(a.dirfd, a.base, b.dirfd, b.base));
    wasi_parent_release(&a);
    wasi_parent_release(&b);
    return err;
}

/*
 * Links the object an O_PATH descriptor refers to. AT_EMPTY_PATH needs
 * CAP_DAC_READ_SEARCH; without it the /proc/self/fd link does the same
 * (the kernel follows that magic link to the very object, not by name).
 */
static int link_resolved(int fd, int newdir, const char *newname)
{
    if (linkat(fd, "", newdir, newname, AT_EMPTY_PATH) == 0)
        return 0;
    if (errno != ENOENT && errno != EPERM)
        return -1;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, newdir, newname, AT_SYMLINK_FOLLOW);
}

/* With SYMLINK_FOLLOW: resolve the source fully (from its own directory, so a
 * link target with ".." that stays inside works) and link the object found. */
static uint16_t link_following(wasi_call *c)
{
    wasi_fd_entry *d0, *d1;
    char *s0 = NULL, *s1 = NULL;
    int fd = -1;
    wasi_parent b;
    memset(&b, 0, sizeof b);
    b.dirfd = -1;
    uint16_t err = dir_and_path(c, 0, 2, WASI_R_PATH_LINK_SOURCE, &d0, &s0);
    if (!err)
        err = dir_and_path(c, 4, 5, WASI_R_PATH_LINK_TARGET, &d1, &s1);
    if (!err)
        err = wasi_path_openat(d0->host_fd, s0, O_PATH, 0, true, &fd);
    if (!err)
        err = open_parent(d1, s1, &b);
    if (!err)
        err = new_file_name(&b);
    if (!err)
        err = (uint16_t)host_result(link_resolved(fd, b.dirfd, b.base));
    if (fd >= 0)
        close(fd);
    wasi_parent_release(&b);
    free(s0);
    free(s1);
    return err;
}

uint32_t wasi_path_link(wasi_call *c)
{
    if (path_parks(c, 0) || path_parks(c, 4))
        return wasi_park_on_disk(c->wasi);
    /* (old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len) */
    if (wasi_arg32(c, 1) & WASI_LOOKUP_SYMLINK_FOLLOW)
        return link_following(c);
    wasi_parent a, b;
    uint16_t err = two_parents(c, 0, 2, WASI_R_PATH_LINK_SOURCE, 4, 5, WASI_R_PATH_LINK_TARGET,
                               &a, &b);
    if (!err)
        err = new_file_name(&b);
    if (!err)
        err = (uint16_t)host_result(linkat(a.dirfd, a.base, b.dirfd, b.base, 0));
    wasi_parent_release(&a);
    wasi_parent_release(&b);
    return err;
}
