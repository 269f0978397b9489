/*
 * wasi_poll.c - poll_oneoff: wait until one of the subscribed events
 * occurs. Clock subscriptions (relative or absolute, any WASI clock)
 * become one monotonic deadline; fd subscriptions become a poll() set;
 * subscriptions that fail (bad fd, missing right, unknown clock) and
 * regular files (always ready) are reported at once without waiting.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_abi.h"
#include "wasi_block.h"
#include "wasi_clock.h"
#include "wasi_ctx.h"
#include "wasi_mem.h"

typedef struct poll_sub {
    uint64_t userdata;
    uint8_t type;                /* WASI_EVENT_* */
    uint16_t error;              /* set: report at once with this error */
    bool ready;                  /* set: report at once (regular files) */
    int64_t deadline_ns;         /* clocks: monotonic deadline */
    int pfd;                     /* fds: index in the pollfd array, else -1 */
    int host_fd;
} poll_sub;

/* Monotonic deadline for a clock subscription; WASI_EINVAL for an unknown clock. */
static uint16_t clock_deadline(const uint8_t *s, int64_t start_ns, int64_t *deadline)
{
    uint32_t id = wasi_get_u32(s + 16);
    uint64_t timeout = wasi_get_u64(s + 24);
    uint16_t flags = wasi_get_u16(s + 40);
    clockid_t host;
    if (!wasi_clock_host_id(id, &host))
        return WASI_EINVAL;
    int64_t rel;
    if (flags & WASI_SUBCLOCK_ABSTIME) {
        struct timespec now;
        clock_gettime(host, &now);
        uint64_t n = wasi_timespec_ns(&now);
        rel = timeout > n ? (int64_t)((timeout - n) > INT64_MAX / 2 ? INT64_MAX / 2 : timeout - n) : 0;
        start_ns = wasi_monotonic_ns();
    } else {
        rel = timeout > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)timeout;
    }
    *deadline = start_ns + rel;
    return 0;
}

/* Bytes available to read (or 0 when unknown) for an fd_read event. */
static uint64_t readable_bytes(int fd, bool regular)
{
    if (regular) {
        struct stat st;
        off_t pos = lseek(fd, 0, SEEK_CUR);
        if (fstat(fd, &st) == 0 && pos >= 0 && st.st_size > pos)
            return (uint64_t)(st.st_size - pos);
        return 0;
    }
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (uint64_t)n : 0;
}

static void put_event(uint8_t *ev, const poll_sub *s, uint16_t error, uint64_t nbytes, uint16_t flags)
{
    memset(ev, 0, WASI_EVENT_SIZE);
    wasi_put_u64(ev, s->userdata);
    wasi_put_u16(ev + 8, error);
    wasi_put_u8(ev + 10, s->type);
    wasi_put_u64(ev + 16, nbytes);
    wasi_put_u16(ev + 24, flags);
}

/* Parses the subscriptions; returns a WASI errno for a malformed one. */
static uint16_t parse_subs(wasi_call *c, const uint8_t *in, uint32_t n, int64_t start_ns,
                           poll_sub *subs, struct pollfd *pfds, uint32_t *npfds)
{
    *npfds = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + (size_t)i * WASI_SUBSCRIPTION_SIZE;
        poll_sub *p = &subs[i];
        memset(p, 0, sizeof *p);
        p->pfd = -1;
        p->userdata = wasi_get_u64(s);
        p->type = s[8];
        if (p->type == WASI_EVENT_CLOCK) {
            p->error = clock_deadline(s, start_ns, &p->deadline_ns);
            continue;
        }
        if (p->type != WASI_EVENT_FD_READ && p->type != WASI_EVENT_FD_WRITE)
            return WASI_EINVAL;
        bool reading = p->type == WASI_EVENT_FD_READ;
        wasi_fd_entry *e;
        p->error = wasi_fd_get(c->wasi, wasi_get_u32(s + 16),
                               reading ? WASI_R_FD_READ : WASI_R_FD_WRITE, &e);
        if (p->error)
            continue;
        p->host_fd = e->host_fd;
        if (e->filetype == WASI_FILETYPE_REGULAR_FILE || e->filetype == WASI_FILETYPE_DIRECTORY) {
            p->ready = true;
            continue;
        }
        p->pfd = (int)*npfds;
        pfds[*npfds].fd = e->host_fd;
        pfds[*npfds].events = reading ? POLLIN : POLLOUT;
        pfds[*npfds].revents = 0;
        (*npfds)++;
    }
    return 0;
}

/* Writes the events that have occurred; returns how many. */
static uint32_t collect(const poll_sub *subs, uint32_t n, const struct pollfd *pfds, uint8_t *out)
{
    int64_t now = wasi_monotonic_ns();
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        const poll_sub *s = &subs[i];
        uint8_t *ev = out + (size_t)count * WASI_EVENT_SIZE;
        if (s->error) {
            put_event(ev, s, s->error, 0, 0);
        } else if (s->type == WASI_EVENT_CLOCK) {
            if (s->deadline_ns > now)
                continue;
            put_event(ev, s, 0, 0, 0);
        } else if (s->ready) {
            bool rd = s->type == WASI_EVENT_FD_READ;
            put_event(ev, s, 0, rd ? readable_bytes(s->host_fd, true) : 0, 0);
        } else {
            short re = pfds[s->pfd].revents;
            if (!re)
                continue;
            uint16_t error = (re & POLLNVAL) ? WASI_EBADF : 0;
            uint16_t flags = (re & POLLHUP) ? WASI_EVENTRW_HANGUP : 0;
            uint64_t nbytes = (s->type == WASI_EVENT_FD_READ && (re & POLLIN))
                                  ? readable_bytes(s->host_fd, false) : 0;
            put_event(ev, s, error, nbytes, flags);
        }
        count++;
    }
    return count;
}

/* The nearest clock deadline, and whether anything is ready without waiting. */
static bool earliest(const poll_sub *subs, uint32_t n, int64_t *deadline)
{
    bool any = false;
    for (uint32_t i = 0; i < n; i++) {
        if (subs[i].error || subs[i].ready) {
            *deadline = 0;
            return true;
        }
        if (subs[i].type == WASI_EVENT_CLOCK && (!any || subs[i].deadline_ns < *deadline)) {
            *deadline = subs[i].deadline_ns;
            any = true;
        }
    }
    return any;
}

static uint32_t poll_run(wasi_call *c, poll_sub *subs, uint32_t n, struct pollfd *pfds,
                         uint32_t npfds, uint8_t *out, uint8_t *nevents_out)
{
    int64_t deadline = 0;
    bool has_deadline = earliest(subs, n, &deadline);
    for (;;) {
        int64_t wait_ns = has_deadline ? deadline - wasi_monotonic_ns() : -1;
        if (has_deadline && wait_ns < 0)
            wait_ns = 0;
        if (c->wasi->block_mode == ISOLA_WASI_BLOCK_PARK && wait_ns != 0) {
            /* Look without waiting; if nothing is ready, park until something could be. */
            int r = poll(pfds, npfds, 0);
            if (r == 0) {
                int fds[16];
                short events[16];
                uint32_t k = npfds < 16 ? npfds : 16;
                for (uint32_t i = 0; i < k; i++) {
                    fds[i] = pfds[i].fd;
                    events[i] = pfds[i].events;
                }
                wasi_block_record(c->wasi, fds, events, k, has_deadline, deadline);
                return WASI_RESULT_BLOCK;
            }
        } else {
            struct timespec ts = { (time_t)(wait_ns / 1000000000), (long)(wait_ns % 1000000000) };
            int r = ppoll(pfds, npfds, wait_ns < 0 ? NULL : &ts, NULL);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return wasi_errno_from_host(errno);
        }
        uint32_t count = collect(subs, n, pfds, out);
        /* Nothing yet after a wake-up (a signal, or ppoll rounding ahead of the clock): wait on. */
        if (count > 0) {
            wasi_put_u32(nevents_out, count);
            return 0;
        }
    }
}

uint32_t wasi_poll_oneoff(wasi_call *c)
{
    uint32_t in_ptr = wasi_arg32(c, 0), n = wasi_arg32(c, 2);
    if (n == 0)
        return WASI_EINVAL;
    const uint8_t *in = wasi_mem_at(c, in_ptr, (uint64_t)n * WASI_SUBSCRIPTION_SIZE);
    uint8_t *out = wasi_mem_at(c, wasi_arg32(c, 1), (uint64_t)n * WASI_EVENT_SIZE);
    uint8_t *nevents = wasi_mem_at(c, wasi_arg32(c, 3), 4);
    if (!in || !out || !nevents)
        return WASI_EFAULT;
    isola_wasi *w = c->wasi;
    int64_t start = wasi_monotonic_ns();
    if (w->poll_pending && w->poll_in == in_ptr && w->poll_nsubs == n)
        start = w->poll_start_ns;
    poll_sub *subs = calloc(n, sizeof *subs);
    struct pollfd *pfds = calloc(n, sizeof *pfds);
    uint32_t r;
    if (!subs || !pfds) {
        r = WASI_ENOMEM;
    } else {
        uint32_t npfds = 0;
        r = parse_subs(c, in, n, start, subs, pfds, &npfds);
        if (!r)
            r = poll_run(c, subs, n, pfds, npfds, out, nevents);
    }
    free(subs);
    free(pfds);
    c->moved = (uint64_t)n * WASI_SUBSCRIPTION_SIZE;   /* read and parsed: work by the subscription */
    w->poll_pending = r == WASI_RESULT_BLOCK;
    w->poll_in = in_ptr;
    w->poll_nsubs = n;
    w->poll_start_ns = start;
    return r;
}
