/*
 * proc/iowait.h - waiting for host descriptors on behalf of parked
 * processes: one epoll set served by one thread (started on first use, so
 * a VM whose processes never wait on I/O has no such thread). A process
 * parked in a WASI call registers the descriptors it waits for; the first
 * one to become ready removes the whole registration and wakes the process,
 * which repeats its call. Deadlines are not kept here: the timer heap
 * (timer.h) wakes the process for those.
 *
 * A process has at most one registration (its io_slot field, index + 1,
 * guarded by the io lock). Wakes happen under the lock, so after
 * proc_io_cancel returns no wake for that registration can still touch the
 * process: a process ending (or closing a descriptor) cancels first.
 */
#ifndef ISOLA_PROC_IOWAIT_H
#define ISOLA_PROC_IOWAIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct proc_process;

#define PROC_IO_MAX_FDS 16u

typedef struct proc_io_slot {
    struct proc_process *process;   /* NULL: free */
    uint32_t generation;            /* tells a stale epoll event from a live one */
    uint32_t nfds;
    int fds[PROC_IO_MAX_FDS];
    uint32_t events[PROC_IO_MAX_FDS];
    uint32_t next_free;
} proc_io_slot;

typedef struct proc_io {
    pthread_mutex_t lock;
    bool started;
    bool stopping;
    int epoll_fd;
    int stop_fd;                    /* eventfd that ends the thread */
    pthread_t thread;
    proc_io_slot *slots;
    uint32_t count, capacity;       /* slots [0, count) were ever used */
    uint32_t free_head;             /* UINT32_MAX: none */
} proc_io;

void proc_io_init(proc_io *io);
/* Stops the thread (if it ever started) and frees everything. */
void proc_io_fini(proc_io *io);

/*
 * Registers `process` to be woken (proc_sched_wake) once any of fds[i] has
 * one of events[i] (poll() bits), replacing any registration it had.
 * false when the descriptors cannot be watched (a regular file, an epoll
 * error, out of memory): the caller should wake the process itself.
 */
bool proc_io_park(proc_io *io, struct proc_process *process, const int *fds, const short *events,
                  uint32_t nfds);

/* Drops the process's registration, if any. No wake for it follows. */
void proc_io_cancel(proc_io *io, struct proc_process *process);

/* True when some process is registered (waits for a descriptor). Wakes
 * happen under the lock with the registration's removal, so false means
 * no wake from the epoll thread is pending either. */
bool proc_io_any_parked(proc_io *io);

#endif
