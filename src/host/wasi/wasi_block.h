/*
 * wasi_block.h - the one place that decides whether a WASI call may block
 * its thread. In ISOLA_WASI_BLOCK_PARK mode a call that would wait
 * records what it waits for (isola_wasi_wait) and returns
 * WASI_RESULT_BLOCK; the scheduler resumes the exec once that is ready
 * and the call runs again from the start, so nothing is half done.
 */
#ifndef WASI_BLOCK_H
#define WASI_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "wasi_ctx.h"

/*
 * True if, in park mode, an operation on e wanting poll() `events` would
 * wait now; the wait is then recorded. Always false in thread mode, for
 * regular files and directories (which never wait in the poll sense), and
 * when the guest itself asked for non-blocking I/O on the descriptor.
 */
bool wasi_would_block(isola_wasi *w, const wasi_fd_entry *e, short events);

/*
 * Whether calls on e park rather than wait (the cases wasi_would_block may
 * say true for). Socket calls there add MSG_DONTWAIT and drop MSG_WAITALL:
 * poll saying ready does not stop the kernel from waiting for the rest of
 * what WAITALL asks, or for room a send fills; and wasi_park_on_eagain
 * turns the EAGAIN into a park.
 */
bool wasi_parks(isola_wasi *w, const wasi_fd_entry *e);
uint32_t wasi_park_on_eagain(isola_wasi *w, const wasi_fd_entry *e, short events);

/*
 * Whether a call on e that may wait for the disk (fsync, a read past the
 * page cache) must park instead: park mode with ISOLA_WASI_DISK_PARK, and
 * e a regular file, directory or block device. wasi_park_on_disk records
 * that wait (wait.disk) and returns WASI_RESULT_BLOCK.
 */
bool wasi_disk_parks(const isola_wasi *w, const wasi_fd_entry *e);
uint32_t wasi_park_on_disk(isola_wasi *w);

/*
 * Where a call that looks up or changes names beneath directory `dir` (the
 * path_* calls, fd_readdir) may run, when wasi_disk_parks says disk calls
 * park: a lookup that misses the kernel's caches, or any change to a
 * directory, may wait for a disk, or as long as it likes on a network file
 * system. Under a file system kept in memory, HERE. Under a local disk
 * (or overlayfs), CACHED: a lookup the caches can answer alone, without
 * crossing into another mount (openat2's RESOLVE_CACHED and RESOLVE_NO_XDEV,
 * wasi_path_openat_cached), runs here; an open that creates or truncates
 * (or, on overlayfs, writes: the copy-up) and every other change parks,
 * as io_uring's non-blocking open does.
 * Anything else (wasi_fs_class OTHER: NFS, FUSE, unknown; or not asked
 * yet) PARK: every such call parks, as file operations do in Erlang,
 * libuv and tokio. Only the cached lookup sees mounts beneath dir: the
 * other calls judge a path by dir's file system.
 */
typedef enum wasi_dir_disk {
    WASI_DIR_DISK_HERE,
    WASI_DIR_DISK_CACHED,
    WASI_DIR_DISK_PARK,
} wasi_dir_disk;
wasi_dir_disk wasi_dir_disk_mode(const isola_wasi *w, wasi_fd_entry *dir);

/*
 * The class of e's file system (WASI_FS_*), asked (fstatfs) once per
 * regular file, directory or block device, and only where a call may
 * wait: fstatfs asks a network file system's server. On a worker in park
 * mode a descriptor not asked yet answers WASI_FS_UNKNOWN, which callers
 * treat as OTHER: the call parks, and where it runs again the question is
 * asked. ISOLA_WASI_TEST_NETFS=1 (tests) takes local ones for OTHER.
 */
uint8_t wasi_fs_class(const isola_wasi *w, wasi_fd_entry *e);

/*
 * Whether a call on e that a network file system (or a FUSE program) may
 * keep waiting parks: a write, fd_filestat_get, fd_filestat_set_times,
 * fd_close and fd_renumber's close of its target (which flush there). As
 * wasi_disk_parks, for file systems of class OTHER (or not asked yet)
 * only: on a local disk these wait for the disk only when the kernel
 * throttles a writer, and in memory never.
 */
bool wasi_network_parks(const isola_wasi *w, wasi_fd_entry *e);

/* Records a wait on several fds and/or a monotonic deadline (park mode). */
void wasi_block_record(isola_wasi *w, const int *fds, const short *events, uint32_t nfds,
                       bool has_deadline, int64_t deadline_ns);

#endif
