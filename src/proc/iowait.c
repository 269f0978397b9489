/*
 * proc/iowait.c - the epoll thread behind proc_io (see iowait.h).
 *
 * epoll rather than poll(): a parked process costs one registration that
 * stays in the kernel while it waits, and a wake costs O(ready), not a
 * rebuild and scan of every parked descriptor; with thousands of processes
 * parked on sockets that difference is the whole cost. Each descriptor is
 * registered EPOLLONESHOT with the slot index and generation as its data,
 * so an event that races with a cancel is recognised as stale under the
 * lock and dropped.
 */
#include "proc/process.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "proc/iowait.h"
#include "proc/sched.h"

#define IO_STOP_TOKEN UINT64_MAX
#define IO_NONE UINT32_MAX

void proc_io_init(proc_io *io)
{
    memset(io, 0, sizeof *io);
    pthread_mutex_init(&io->lock, NULL);
    io->epoll_fd = -1;
    io->stop_fd = -1;
    io->free_head = IO_NONE;
}

static uint64_t slot_token(const proc_io *io, uint32_t index)
{
    return ((uint64_t)io->slots[index].generation << 32) | index;
}

/* Removes a slot's descriptors from the set and frees it (lock held). */
static void slot_release(proc_io *io, uint32_t index)
{
    proc_io_slot *s = &io->slots[index];
    for (uint32_t i = 0; i < s->nfds; i++)
        epoll_ctl(io->epoll_fd, EPOLL_CTL_DEL, s->fds[i], NULL);
    s->process->io_slot = 0;
    s->process = NULL;
    s->nfds = 0;
    s->generation++;
    s->next_free = io->free_head;
    io->free_head = index;
}

static void *io_thread(void *arg)
{
    proc_io *io = arg;
    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(io->epoll_fd, events, 64, -1);
        if (n < 0 && errno != EINTR)
            break;
        pthread_mutex_lock(&io->lock);
        bool stop = io->stopping;
        for (int i = 0; i < n && !stop; i++) {
            uint64_t token = events[i].data.u64;
            if (token == IO_STOP_TOKEN)
                continue;
            uint32_t index = (uint32_t)token;
            if (index >= io->count || !io->slots[index].process || slot_token(io, index) != token)
                continue;   /* cancelled after the kernel reported it */
            struct proc_process *p = io->slots[index].process;
            slot_release(io, index);
            proc_sched_wake(p);   /* under the lock: a concurrent cancel waits for it */
        }
        pthread_mutex_unlock(&io->lock);
        if (stop)
            break;
    }
    return NULL;
}

/* Creates the epoll set and the thread (lock held). */
static bool io_start(proc_io *io)
{
    if (io->started)
        return true;
    io->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    io->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = IO_STOP_TOKEN};
    if (io->epoll_fd < 0 || io->stop_fd < 0 || epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, io->stop_fd, &ev) != 0 ||
        pthread_create(&io->thread, NULL, io_thread, io) != 0) {
        if (io->epoll_fd >= 0)
            close(io->epoll_fd);
        if (io->stop_fd >= 0)
            close(io->stop_fd);
        io->epoll_fd = io->stop_fd = -1;
        return false;
    }
    io->started = true;
    return true;
}

static uint32_t slot_alloc(proc_io *io)
{
    if (io->free_head != IO_NONE) {
        uint32_t index = io->free_head;
        io->free_head = io->slots[index].next_free;
        return index;
    }
    if (io->count == io->capacity) {
        uint32_t cap = io->capacity ? io->capacity * 2 : 16;
        proc_io_slot *s = realloc(io->slots, cap * sizeof *s);
        if (!s)
            return IO_NONE;
        io->slots = s;
        io->capacity = cap;
    }
    io->slots[io->count] = (proc_io_slot){.generation = 1};
    return io->count++;
}

static uint32_t epoll_bits(short events)
{
    uint32_t bits = 0;
    if (events & POLLIN)
        bits |= EPOLLIN;
    if (events & POLLOUT)
        bits |= EPOLLOUT;
    if (events & POLLPRI)
        bits |= EPOLLPRI;
    return bits | EPOLLONESHOT;
}

/* Adds one descriptor to slot `index`, merging a repeated one (lock held). */
static bool slot_add(proc_io *io, uint32_t index, int fd, short events)
{
    proc_io_slot *s = &io->slots[index];
    struct epoll_event ev = {.events = epoll_bits(events), .data.u64 = slot_token(io, index)};
    for (uint32_t i = 0; i < s->nfds; i++) {
        if (s->fds[i] == fd) {
            s->events[i] |= ev.events;
            ev.events = s->events[i];
            return epoll_ctl(io->epoll_fd, EPOLL_CTL_MOD, fd, &ev) == 0;
        }
    }
    if (s->nfds == PROC_IO_MAX_FDS || epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0)
        return false;
    s->fds[s->nfds] = fd;
    s->events[s->nfds] = ev.events;
    s->nfds++;
    return true;
}

bool proc_io_park(proc_io *io, proc_process *p, const int *fds, const short *events, uint32_t nfds)
{
    pthread_mutex_lock(&io->lock);
    if (p->io_slot)
        slot_release(io, p->io_slot - 1);
    bool ok = nfds > 0 && io_start(io);
    uint32_t index = ok ? slot_alloc(io) : IO_NONE;
    ok = index != IO_NONE;
    if (ok) {
        io->slots[index].process = p;
        p->io_slot = index + 1;
        for (uint32_t i = 0; i < nfds && ok; i++)
            ok = slot_add(io, index, fds[i], events[i]);
        if (!ok)
            slot_release(io, index);
    }
    pthread_mutex_unlock(&io->lock);
    return ok;
}

void proc_io_cancel(proc_io *io, proc_process *p)
{
    pthread_mutex_lock(&io->lock);
    if (p->io_slot)
        slot_release(io, p->io_slot - 1);
    pthread_mutex_unlock(&io->lock);
}

bool proc_io_any_parked(proc_io *io)
{
    pthread_mutex_lock(&io->lock);
    bool any = false;
    for (uint32_t i = 0; i < io->count && !any; i++)
        any = io->slots[i].process != NULL;
    pthread_mutex_unlock(&io->lock);
    return any;
}

void proc_io_fini(proc_io *io)
{
    if (io->started) {
        pthread_mutex_lock(&io->lock);
        io->stopping = true;
        pthread_mutex_unlock(&io->lock);
        uint64_t one = 1;
        ssize_t w = write(io->stop_fd, &one, sizeof one);
        (void)w;
        pthread_join(io->thread, NULL);
        close(io->epoll_fd);
        close(io->stop_fd);
    }
    free(io->slots);
    pthread_mutex_destroy(&io->lock);
    memset(io, 0, sizeof *io);
}
