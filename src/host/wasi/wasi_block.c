/*
 * wasi_block.c - readiness checks for park mode (see wasi_block.h).
 */
#include "wasi_block.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
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

bool wasi_memory_fs(int host_fd)
{
    struct statfs f;
    if (fstatfs(host_fd, &f) != 0)
        return false;
    switch ((unsigned long)f.f_type) {
    case 0x01021994UL:   /* tmpfs */
    case 0x858458f6UL:   /* ramfs */
    case 0x958458f6UL:   /* hugetlbfs */
    case 0x9fa0UL:       /* proc */
    case 0x62656572UL:   /* sysfs */
        return true;
    default:
        return false;
    }
}

/* The file system is asked once per descriptor: a directory's disk_reads
 * (never used for a read: a directory gives EISDIR first) remembers it. */
bool wasi_dir_disk_parks(const isola_wasi *w, wasi_fd_entry *dir)
{
    if (dir->filetype != WASI_FILETYPE_DIRECTORY || !wasi_disk_parks(w, dir))
        return false;
    if (dir->disk_reads == WASI_DISK_READS_UNKNOWN)
        dir->disk_reads = wasi_memory_fs(dir->host_fd) ? WASI_DISK_READS_MEMORY : WASI_DISK_READS_ALWAYS;
    return dir->disk_reads != WASI_DISK_READS_MEMORY;
}

uint32_t wasi_park_on_disk(isola_wasi *w)
{
    wasi_block_record(w, NULL, NULL, 0, false, 0);
    w->wait.disk = true;
    return WASI_RESULT_BLOCK;
}
