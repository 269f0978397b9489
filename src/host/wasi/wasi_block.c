/*
 * wasi_block.c - readiness checks for park mode (see wasi_block.h).
 */
#include "wasi_block.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>

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

uint32_t wasi_park_on_disk(isola_wasi *w)
{
    wasi_block_record(w, NULL, NULL, 0, false, 0);
    w->wait.disk = true;
    return WASI_RESULT_BLOCK;
}
