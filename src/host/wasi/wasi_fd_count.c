/*
 * wasi_fd_count.c - counting the host descriptors a context keeps, through
 * the embedder's fd hooks (isola/wasi.h): the process VM charges them to
 * the process's handle limit and to the host's descriptor budget
 * (host/proc_wasi.c), so a guest cannot take the descriptors every other
 * guest and the host itself need. Without hooks nothing is counted and a
 * context behaves as it always did.
 *
 * Each entry records what it acquired (wasi_fd_entry.counted), so a
 * descriptor is released exactly once, through the same origin, whatever
 * path closes it, and one acquired before the user changed is still
 * released. fds_counted keeps the hooks' functions fixed while any is open.
 */
#include "wasi_ctx.h"

#include <assert.h>

#include "wasi_abi.h"

bool isola_wasi_set_fd_hooks(isola_wasi *wasi, const isola_wasi_fd_hooks *hooks)
{
    if (!wasi || !hooks || !hooks->acquire != !hooks->release)
        return false;   /* a count with no way back would call NULL at the first close */
    const isola_wasi_fd_hooks *now = &wasi->fd_hooks;
    if (wasi->fds_counted > 0 && (hooks->acquire != now->acquire || hooks->release != now->release))
        return false;
    wasi->fd_hooks = *hooks;
    return true;
}

void *isola_wasi_fd_hooks_user(const isola_wasi *wasi)
{
    return wasi->fd_hooks.user;
}

uint16_t wasi_fd_count(isola_wasi *wasi, isola_wasi_fd_origin origin, uint8_t *counted)
{
    *counted = WASI_FD_UNCOUNTED;
    const isola_wasi_fd_hooks *h = &wasi->fd_hooks;
    if (!h->acquire)
        return 0;
    switch (h->acquire(h->user, origin)) {
    case ISOLA_WASI_FD_KEEP: break;
    case ISOLA_WASI_FD_EMFILE: return WASI_EMFILE;
    default: return WASI_ENFILE;
    }
    wasi->fds_counted++;
    *counted = origin == ISOLA_WASI_FD_GIVEN ? WASI_FD_COUNTED_GIVEN : WASI_FD_COUNTED_OPENED;
    return 0;
}

void wasi_fd_uncount(isola_wasi *wasi, uint8_t counted)
{
    if (counted == WASI_FD_UNCOUNTED)
        return;
    assert(wasi->fds_counted > 0 && wasi->fd_hooks.release);
    wasi->fds_counted--;
    const isola_wasi_fd_hooks *h = &wasi->fd_hooks;
    h->release(h->user, counted == WASI_FD_COUNTED_GIVEN ? ISOLA_WASI_FD_GIVEN : ISOLA_WASI_FD_OPENED);
}
