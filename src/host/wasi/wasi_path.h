/*
 * wasi_path.h - capability-scoped path resolution: every guest path is
 * resolved beneath a directory descriptor and may never leave it, whether
 * by "..", an absolute path or a symlink (including ones the guest made,
 * and including races with concurrent renames). Linux openat2() with
 * RESOLVE_BENEATH does this in the kernel; where it is missing, a
 * component-by-component walk holding a descriptor for every level does
 * the same in user space.
 */
#ifndef WASI_PATH_H
#define WASI_PATH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Opens `path` beneath dirfd with open(2) `flags` (O_CLOEXEC is added)
 * and `mode`. A symlink as the last component is followed only if
 * `follow` (beneath dirfd, like every other one); otherwise O_PATH opens
 * the link itself and other opens fail with ELOOP. Returns a WASI errno;
 * ENOTCAPABLE when the path would escape.
 */
uint16_t wasi_path_openat(int dirfd, const char *path, int flags, mode_t mode, bool follow,
                          int *out_fd);

/*
 * wasi_path_openat answered from the kernel's caches alone, on dirfd's
 * own mount (openat2 with RESOLVE_CACHED and RESOLVE_NO_XDEV): WASI_EAGAIN
 * when that needs I/O or crosses a mount (or would escape), when `flags`
 * create or truncate, or when this kernel cannot be asked so (no openat2,
 * or one before Linux 5.12); then the caller parks and calls
 * wasi_path_openat where it may wait. Any other answer is what
 * wasi_path_openat would give, and the file is on dirfd's file system.
 */
uint16_t wasi_path_openat_cached(int dirfd, const char *path, int flags, bool follow, int *out_fd);

/*
 * The directory that holds the last component of `path`, opened beneath
 * dirfd (O_PATH), and that component, for the *at() calls that act on a
 * name (mkdirat, unlinkat, renameat, symlinkat, readlinkat, linkat). A
 * last component of "." or ".." is resolved into `dirfd` with base "." so
 * no *at() call ever sees "..". Trailing slashes are removed and noted.
 */
typedef struct wasi_parent {
    int dirfd;
    bool owned;                  /* dirfd must be closed by wasi_parent_release */
    bool trailing_slash;
    char *copy;                  /* owns base */
    const char *base;
} wasi_parent;

uint16_t wasi_parent_open(int dirfd, const char *path, wasi_parent *out);
void wasi_parent_release(wasi_parent *p);

/* Forces the user-space walk (for tests): also set by ISOLA_WASI_NO_OPENAT2=1. */
void wasi_path_force_walk(bool on);

#endif
