/*
 * wasi_block.c - readiness checks for park mode (see wasi_block.h).
 */
#include "wasi_block.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "wasi_abi.h"

void wasi_block_record(isola_wasi *w, const int *fds, const short *events, uint32_t nfds,
                       bool has_deadline, int64_t deadline_ns)
{
    memset(&w->wait, 0, sizeof w->wait);
    uint32_t max = (uint32_t)(sizeof w->wait.fds / sizeof w->wait.fds[0]);
    w->wait.nfds = nfds < max ? nfds : max;
    for (uint32_t i = 0; i < w->wait.nfds; i++) {
        w->wait.fds[i] = fds[i];
        w->wait.events[i] = events[i];
    }
    w->wait.has_deadline = has_deadline;
    w->wait.deadline_ns = deadline_ns;
}

bool wasi_parks(isola_wasi *w, const wasi_fd_entry *e)
{
    if (w->block_mode != ISOLA_WASI_BLOCK_PARK)
        return false;
    /* Files, directories and disks: poll always says ready, and a read that
     * waits waits for the disk, not for another program. (A block device
     * takes RWF_NOWAIT but then never starts its I/O: it would park for
     * ever.) */
    if (e->filetype == WASI_FILETYPE_REGULAR_FILE || e->filetype == WASI_FILETYPE_DIRECTORY ||
        e->filetype == WASI_FILETYPE_BLOCK_DEVICE)
        return false;
    int fl = fcntl(e->host_fd, F_GETFL);
    return !(fl >= 0 && (fl & O_NONBLOCK));
}

uint32_t wasi_park_on_eagain(isola_wasi *w, const wasi_fd_entry *e, short events)
{
    wasi_block_record(w, &e->host_fd, &events, 1, false, 0);
    return WASI_RESULT_BLOCK;
}

bool wasi_would_block(isola_wasi *w, const wasi_fd_entry *e, short events)
{
    if (!wasi_parks(w, e))
        return false;
    struct pollfd p = { .fd = e->host_fd, .events = events };
    if (poll(&p, 1, 0) != 0)
        return false;   /* ready, or an error the operation itself will report */
    wasi_block_record(w, &e->host_fd, &events, 1, false, 0);
    return true;
}

bool wasi_disk_parks(const isola_wasi *w, const wasi_fd_entry *e)
{
    return w->block_mode == ISOLA_WASI_BLOCK_PARK && w->disk_policy == ISOLA_WASI_DISK_PARK &&
           (e->filetype == WASI_FILETYPE_REGULAR_FILE || e->filetype == WASI_FILETYPE_DIRECTORY ||
            e->filetype == WASI_FILETYPE_BLOCK_DEVICE);
}

/* The class of a file system by its statfs magic: memory ones never wait
 * for a device; on local ones the kernel's dentry and inode caches answer
 * a lookup or a stat without I/O when they hold it; anything else (NFS,
 * SMB, FUSE, 9p, ceph, virtiofs, one not known here) may wait on a network
 * or a program, even for what it caches. */
static uint8_t fs_class_of_magic(unsigned long magic)
{
    switch (magic) {
    case 0x01021994UL:   /* tmpfs */
    case 0x858458f6UL:   /* ramfs */
    case 0x958458f6UL:   /* hugetlbfs */
    case 0x9fa0UL:       /* proc */
    case 0x62656572UL:   /* sysfs */
        return WASI_FS_MEMORY;
    case 0x794C7630UL:   /* overlayfs (a container's root) */
        return WASI_FS_OVERLAY;
    case 0xEF53UL:       /* ext2, ext3, ext4 */
    case 0x58465342UL:   /* xfs */
    case 0x9123683EUL:   /* btrfs */
    case 0x2FC12FC1UL:   /* zfs */
    case 0xCA451A4EUL:   /* bcachefs */
    case 0xF2F52010UL:   /* f2fs */
    case 0x7366746EUL:   /* ntfs3 */
    case 0x3153464AUL:   /* jfs */
    case 0x52654973UL:   /* reiserfs */
    case 0x3434UL:       /* nilfs2 */
    case 0xE0F5E1E2UL:   /* erofs */
    case 0x73717368UL:   /* squashfs */
    case 0x4d44UL:       /* vfat, msdos */
    case 0x2011BAB0UL:   /* exfat */
    case 0x9660UL:       /* iso9660 */
    case 0x15013346UL:   /* udf */
        return WASI_FS_LOCAL;
    default:
        return WASI_FS_OTHER;
    }
}

/* Whether calls here must not wait for a disk (a worker in park mode). */
static bool disk_waits_forbidden(const isola_wasi *w)
{
    return w->block_mode == ISOLA_WASI_BLOCK_PARK && w->disk_policy == ISOLA_WASI_DISK_PARK;
}

uint8_t wasi_fs_class(const isola_wasi *w, wasi_fd_entry *e)
{
    if (e->fs_class != WASI_FS_UNKNOWN || disk_waits_forbidden(w))
        return e->fs_class;   /* fstatfs asks a network file system's server */
    if (e->filetype != WASI_FILETYPE_REGULAR_FILE && e->filetype != WASI_FILETYPE_DIRECTORY &&
        e->filetype != WASI_FILETYPE_BLOCK_DEVICE)
        return WASI_FS_UNKNOWN;   /* pipes, sockets, terminals: not file systems that wait */
    struct statfs f;
    uint8_t c = fstatfs(e->host_fd, &f) == 0 ? fs_class_of_magic((unsigned long)f.f_type) : WASI_FS_OTHER;
    /* Tests only: no network file system to be had, a local one stands in.
     * Read here, once per descriptor and on a thread that may wait. */
    const char *net = getenv("ISOLA_WASI_TEST_NETFS");
    if ((c == WASI_FS_LOCAL || c == WASI_FS_OVERLAY) && net && net[0] == '1')
        c = WASI_FS_OTHER;
    struct stat st;
    e->fs_dev = fstat(e->host_fd, &st) == 0 ? (uint64_t)st.st_dev : 0;
    e->fs_class = c;
    return c;
}

wasi_dir_disk wasi_dir_disk_mode(const isola_wasi *w, wasi_fd_entry *dir)
{
    if (dir->filetype != WASI_FILETYPE_DIRECTORY)
        return WASI_DIR_DISK_HERE;
    uint8_t c = wasi_fs_class(w, dir);
    if (!wasi_disk_parks(w, dir))
        return WASI_DIR_DISK_HERE;
    switch (c) {
    case WASI_FS_MEMORY: return WASI_DIR_DISK_HERE;
    case WASI_FS_LOCAL:
    case WASI_FS_OVERLAY: return WASI_DIR_DISK_CACHED;
    default: return WASI_DIR_DISK_PARK;   /* OTHER, or not asked yet: asked where it runs again */
    }
}

bool wasi_network_parks(const isola_wasi *w, wasi_fd_entry *e)
{
    uint8_t c = wasi_fs_class(w, e);
    return wasi_disk_parks(w, e) && (c == WASI_FS_OTHER || c == WASI_FS_UNKNOWN);
}

uint32_t wasi_park_on_disk(isola_wasi *w)
{
    wasi_block_record(w, NULL, NULL, 0, false, 0);
    w->wait.disk = true;
    return WASI_RESULT_BLOCK;
}
