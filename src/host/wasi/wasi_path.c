/*
 * wasi_path.c - resolution of guest paths beneath a directory descriptor.
 *
 * Preferred: openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS). The kernel
 * refuses any step that would leave the starting directory (EXDEV, which
 * becomes ENOTCAPABLE), refuses absolute symlinks, and retries internally
 * or reports EAGAIN when a concurrent rename could have raced a "..".
 *
 * Fallback (kernels before 5.6, or seccomp filters that hide openat2):
 * walk the path one component at a time with O_NOFOLLOW, keeping an open
 * descriptor for every directory on the way down. ".." pops that stack
 * (so it can never rise above the start, and it means the directory we
 * actually came through, whatever has been renamed since); a symlink is
 * read with readlinkat and its target spliced in front of the rest of the
 * path, relative targets only; at most 40 symlinks per resolution.
 */
#include "wasi_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi_abi.h"
#include "wasi_mem.h"

#define WALK_MAX_LINKS 40

/* 0: not probed, 1: openat2 works, -1: use the walk. */
static atomic_int openat2_state;

void wasi_path_force_walk(bool on)
{
    atomic_store(&openat2_state, on ? -1 : 0);
}

static bool use_openat2(void)
{
    int s = atomic_load(&openat2_state);
    if (s == 0) {
        const char *env = getenv("ISOLA_WASI_NO_OPENAT2");
        s = (env && env[0] == '1') ? -1 : 1;
        atomic_store(&openat2_state, s);
    }
    return s > 0;
}

#ifndef RESOLVE_CACHED
#define RESOLVE_CACHED 0x20   /* Linux 5.12 */
#endif

/* Returns the fd, or -1 with errno; sets *unsupported when the kernel lacks
 * openat2. `cached`: from the kernel's caches only, EAGAIN if that needs
 * I/O (or a rename raced, which the full resolution retries). */
static int openat2_beneath(int dirfd, const char *path, int flags, mode_t mode, bool cached, bool *unsupported)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    /* Cached, it stays on dir's mount too: a file system mounted beneath
     * (FUSE, NFS) may still wait in its own open, whatever the lookup. */
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (cached ? RESOLVE_CACHED | RESOLVE_NO_XDEV : 0);
    *unsupported = false;
    for (int attempt = 0; attempt < 16; attempt++) {
        long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (r >= 0)
            return (int)r;
        if (errno == ENOSYS) {
            *unsupported = true;
            return -1;
        }
        if ((errno != EAGAIN || cached) && errno != EINTR)
            return -1;
    }
    return -1;
}

/* ------------------------------------------------------------ the user-space walk */

typedef struct walk_state {
    int root;
    int *stack;                  /* descriptors of directories below root, owned */
    size_t depth, cap;
    char *rest;                  /* the path still to resolve (owned) */
    int links;
} walk_state;

static int walk_cur(const walk_state *w) { return w->depth ? w->stack[w->depth - 1] : w->root; }

static void walk_release(walk_state *w)
{
    for (size_t i = 0; i < w->depth; i++)
        close(w->stack[i]);
    free(w->stack);
    free(w->rest);
}

static uint16_t walk_push(walk_state *w, int fd)
{
    if (w->depth == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        int *s = realloc(w->stack, cap * sizeof *s);
        if (!s) {
            close(fd);
            return WASI_ENOMEM;
        }
        w->stack = s;
        w->cap = cap;
    }
    w->stack[w->depth++] = fd;
    return 0;
}

/* Replaces the current component by the symlink `name`'s target; errors as WASI errno. */
static uint16_t walk_splice_link(walk_state *w, const char *name, const char *after)
{
    if (++w->links > WALK_MAX_LINKS)
        return WASI_ELOOP;
    char target[PATH_MAX];
    ssize_t n = readlinkat(walk_cur(w), name, target, sizeof target - 1);
    if (n < 0)
        return wasi_errno_from_host(errno);
    target[n] = '\0';
    if (n == 0)
        return WASI_ENOENT;
    if (target[0] == '/')
        return WASI_ENOTCAPABLE;
    size_t alen = strlen(after);
    char *next = malloc((size_t)n + 1 + alen + 1);
    if (!next)
        return WASI_ENOMEM;
    memcpy(next, target, (size_t)n);
    next[n] = '/';
    memcpy(next + n + 1, after, alen + 1);
    if (alen == 0)
        next[n] = '\0';
    free(w->rest);
    w->rest = next;
    return 0;
}

static uint16_t walk_open(int dirfd, const char *path, int flags, mode_t mode, bool follow,
                          int *out_fd)
{
    walk_state w = { .root = dirfd };
    w.rest = strdup(path);
    if (!w.rest)
        return WASI_ENOMEM;
    uint16_t err = 0;
    for (;;) {
        char *p = w.rest;
        while (*p == '/')
            p++;
        if (*p == '\0') {
            /* Nothing left: the target is the directory we stand in. */
            int fd = openat(walk_cur(&w), ".", flags | O_CLOEXEC, mode);
            err = fd < 0 ? wasi_errno_from_host(errno) : 0;
            if (fd >= 0)
                *out_fd = fd;
            break;
        }
        char *slash = strchr(p, '/');
        char *after = slash ? slash : p + strlen(p);
        char comp[NAME_MAX + 2];
        size_t clen = (size_t)(after - p);
        if (clen > NAME_MAX) {
            err = WASI_ENAMETOOLONG;
            break;
        }
        memcpy(comp, p, clen);
        comp[clen] = '\0';
        const char *tail = after;
        while (*tail == '/')
            tail++;
        bool last = *tail == '\0';
        bool dir_wanted = !last || slash != NULL;
        char *tail_copy = strdup(tail);
        if (!tail_copy) {
            err = WASI_ENOMEM;
            break;
        }
        if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
            if (comp[1] == '.') {
                if (w.depth == 0) {
                    free(tail_copy);
                    err = WASI_ENOTCAPABLE;
                    break;
                }
                close(w.stack[--w.depth]);
            }
            free(w.rest);
            w.rest = tail_copy;
            continue;
        }
        if (dir_wanted) {
            int fd = openat(walk_cur(&w), comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
                int saved = errno;
                struct stat st;
                if (fstatat(walk_cur(&w), comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISLNK(st.st_mode)) {
                    /* A trailing slash follows a symlink, as POSIX says. */
                    err = walk_splice_link(&w, comp, slash ? tail_copy : "");
                    if (!err && slash && last) {
                        /* keep the trailing slash meaning: target must be a directory */
                        size_t l = strlen(w.rest);
                        char *r = realloc(w.rest, l + 2);
                        if (r) {
                            r[l] = '/';
                            r[l + 1] = '\0';
                            w.rest = r;
                        }
                    }
                    free(tail_copy);
                    if (err)
                        break;
                    continue;
                }
                errno = saved;
            }
            if (fd < 0) {
                free(tail_copy);
                err = wasi_errno_from_host(errno);
                break;
            }
            free(w.rest);
            w.rest = tail_copy;
            err = walk_push(&w, fd);
            if (err)
                break;
            continue;
        }
        /* The last component, no trailing slash. */
        int fd = openat(walk_cur(&w), comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
        bool is_link = false;
        if (fd >= 0 && (flags & O_PATH) && follow) {
            struct stat st;
            if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
                close(fd);
                fd = -1;
                is_link = true;
            }
        } else if (fd < 0 && follow && (errno == ELOOP || errno == ENOTDIR || errno == EEXIST)) {
            int saved = errno;
            struct stat st;
            is_link = fstatat(walk_cur(&w), comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                      S_ISLNK(st.st_mode) && !((flags & O_CREAT) && (flags & O_EXCL));
            errno = saved;
        }
        if (is_link) {
            err = walk_splice_link(&w, comp, "");
            free(tail_copy);
            if (err)
                break;
            continue;
        }
        free(tail_copy);
        if (fd < 0) {
            err = wasi_errno_from_host(errno);
            break;
        }
        *out_fd = fd;
        break;
    }
    walk_release(&w);
    return err;
}

/* ------------------------------------------------------------ entry points */

uint16_t wasi_path_openat(int dirfd, const char *path, int flags, mode_t mode, bool follow,
                          int *out_fd)
{
    *out_fd = -1;
    if (path[0] == '\0')
        return WASI_ENOENT;
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    if (!follow)
        flags |= O_NOFOLLOW;
    if (use_openat2()) {
        bool unsupported = false;
        int fd = openat2_beneath(dirfd, path, flags, mode, false, &unsupported);
        if (fd >= 0) {
            *out_fd = fd;
            return 0;
        }
        if (!unsupported)
            return errno == EXDEV ? WASI_ENOTCAPABLE : wasi_errno_from_host(errno);
        atomic_store(&openat2_state, -1);
    }
    return walk_open(dirfd, path, flags & ~O_NOFOLLOW, mode, follow, out_fd);
}

uint16_t wasi_path_openat_cached(int dirfd, const char *path, int flags, bool follow, int *out_fd)
{
    *out_fd = -1;
    if (path[0] == '\0')
        return WASI_ENOENT;
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    if ((flags & (O_CREAT | O_TRUNC)) || !use_openat2())
        return WASI_EAGAIN;   /* it writes, or the walk does the resolving: it cannot be asked */
    if (!follow)
        flags |= O_NOFOLLOW;
    bool unsupported = false;
    int fd = openat2_beneath(dirfd, path, flags, 0, true, &unsupported);
    if (fd >= 0) {
        *out_fd = fd;
        return 0;
    }
    /* EINVAL: a kernel before RESOLVE_CACHED; the full call will tell
     * whether the flags themselves were wrong. EXDEV: another mount, or an
     * escape; the full call tells which. */
    if (unsupported || errno == EAGAIN || errno == EINVAL || errno == EXDEV)
        return WASI_EAGAIN;
    return wasi_errno_from_host(errno);
}

static bool is_dot_or_dotdot(const char *s)
{
    return strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

uint16_t wasi_parent_open(int dirfd, const char *path, wasi_parent *out)
{
    memset(out, 0, sizeof *out);
    out->dirfd = -1;
    if (path[0] == '\0')
        return WASI_ENOENT;
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    out->copy = strdup(path);
    if (!out->copy)
        return WASI_ENOMEM;
    size_t len = strlen(out->copy);
    while (len > 1 && out->copy[len - 1] == '/') {
        out->copy[--len] = '\0';
        out->trailing_slash = true;
    }
    char *slash = strrchr(out->copy, '/');
    const char *base = slash ? slash + 1 : out->copy;
    if (is_dot_or_dotdot(base)) {
        /* The whole path names a directory; act on it as "." so no *at() sees "..". */
        uint16_t e = wasi_path_openat(dirfd, out->copy, O_PATH | O_DIRECTORY, 0, true, &out->dirfd);
        if (e)
            return e;
        out->owned = true;
        out->base = ".";
        return 0;
    }
    if (!slash) {
        out->dirfd = dirfd;
        out->base = base;
        return 0;
    }
    *slash = '\0';
    uint16_t e = wasi_path_openat(dirfd, out->copy, O_PATH | O_DIRECTORY, 0, true, &out->dirfd);
    if (e)
        return e;
    out->owned = true;
    out->base = base;
    return 0;
}

void wasi_parent_release(wasi_parent *p)
{
    if (p->owned && p->dirfd >= 0)
        close(p->dirfd);
    free(p->copy);
    memset(p, 0, sizeof *p);
    p->dirfd = -1;
}
