/*
 * wasi_ctx.h - the WASI context behind isola_wasi and its descriptor
 * table. The table maps guest descriptors (small integers) to host
 * descriptors plus the capability the guest holds on them: WASI rights,
 * the fd flags the guest set, and for preopens the guest-visible name.
 *
 * Invariants
 *   - an entry is in use iff host_fd >= 0; each in-use entry owns its
 *     host_fd (it is a duplicate or was opened for the guest), so closing
 *     a guest descriptor never closes anything the embedder holds;
 *   - fd flags are not kept here: fd_fdstat_get reads them from the host,
 *     so they can never go stale;
 *   - rights_base/rights_inheriting only ever shrink (fd_fdstat_set_rights
 *     cannot add, path_open intersects with the parent's inheriting set);
 *   - an entry is counted (acquired through fd_hooks, wasi_fd_count.c)
 *     iff `counted` says so, and fds_counted is the number of such
 *     entries: each is released exactly once, when its host_fd closes;
 *   - dir, when set, is a readdir stream over host_fd itself, and owns it:
 *     closing the entry closes the stream, which closes host_fd.
 */
#ifndef WASI_CTX_H
#define WASI_CTX_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>

#include <isola/wasi.h>

#include "wasi_funcs.h"

/* What an entry's host descriptor holds of the context's fd hooks. */
enum {
    WASI_FD_UNCOUNTED = 0,
    WASI_FD_COUNTED_GIVEN = 1,    /* acquired as ISOLA_WASI_FD_GIVEN */
    WASI_FD_COUNTED_OPENED = 2,   /* acquired as ISOLA_WASI_FD_OPENED */
};

typedef struct wasi_fd_entry {
    int host_fd;                 /* -1: free slot */
    uint8_t filetype;            /* WASI_FILETYPE_* */
    uint8_t counted;             /* WASI_FD_UNCOUNTED or _COUNTED_*: released on close */
    uint64_t rights_base;
    uint64_t rights_inheriting;
    char *preopen_name;          /* guest path of a preopened directory, else NULL */
    DIR *dir;                    /* lazily opened readdir stream */
    uint64_t dir_pos;            /* entries read from `dir` since its start: the next one's cookie */
    long dir_back;               /* telldir() before the entry at cookie dir_back_cookie */
    uint64_t dir_back_cookie;    /* ... the last entry read; 0: none (cookie 0 is a rewind anyway) */
    uint8_t disk_reads;          /* WASI_DISK_READS_*: how a read parks for the disk (wasi_fd_io.c) */
    uint8_t fs_class;            /* WASI_FS_*: what its file system may wait for (wasi_block.c) */
    uint64_t fs_dev;             /* its st_dev, once fs_class is known: files opened beneath on the
                                    same device take the class without asking (wasi_path_open) */
} wasi_fd_entry;

enum {
    WASI_FS_UNKNOWN = 0,   /* not asked yet (it is asked only where a call may wait) */
    WASI_FS_MEMORY,        /* tmpfs, proc...: never waits for a device */
    WASI_FS_LOCAL,         /* a local disk: what the kernel caches is answered without I/O */
    WASI_FS_OVERLAY,       /* overlayfs: as LOCAL, but opening a lower file for writing copies it up */
    WASI_FS_OTHER,         /* a network file system, FUSE, unknown: may wait even for what it caches */
};

enum {
    WASI_DISK_READS_UNKNOWN = 0,   /* not asked yet */
    WASI_DISK_READS_NOWAIT,        /* the page cache answers RWF_NOWAIT: park on EAGAIN */
    WASI_DISK_READS_MEMORY,        /* no RWF_NOWAIT, but a memory file system: never waits */
    WASI_DISK_READS_ALWAYS,        /* no RWF_NOWAIT (NFS, FUSE...): every read parks */
};

/* Binds one host function to its context: the `user` pointer of isola_func_new. */
typedef struct wasi_binding {
    isola_wasi *wasi;
    const wasi_func_entry *entry;
} wasi_binding;

/* Guest descriptors above this are refused with EMFILE. */
#define WASI_MAX_FDS 4096u

struct isola_wasi {
    char **args;                 /* nargs strings */
    uint32_t nargs;
    char **env;                  /* nenv "NAME=VALUE" strings */
    uint32_t nenv;
    wasi_fd_entry *fds;
    uint32_t nfds;               /* entries allocated (in use or free) */
    isola_wasi_fd_hooks fd_hooks;   /* NULL functions: nothing is counted */
    uint32_t fds_counted;        /* entries whose `counted` is set */
    bool exited;
    int exit_code;
    isola_wasi_block_mode block_mode;
    isola_wasi_disk_policy disk_policy;
    isola_wasi_wait wait;        /* what the last parked call waits for */
    /* A parked poll_oneoff repeats on resume; relative timeouts count from its first try. */
    bool poll_pending;
    uint32_t poll_in, poll_nsubs;
    int64_t poll_start_ns;
    wasi_binding bindings[WASI_FUNC_COUNT];
};

/*
 * Looks up guest descriptor fd and checks it holds all of `rights`.
 * Returns WASI_EBADF or WASI_ENOTCAPABLE, or 0 with *out set.
 */
uint16_t wasi_fd_get(isola_wasi *wasi, uint32_t fd, uint64_t rights, wasi_fd_entry **out);
/*
 * Installs host_fd, which the guest opened and which `counted` says was
 * counted (wasi_fd_count), in the lowest free slot; both pass to the
 * table, and on failure host_fd is closed and the count released.
 */
uint16_t wasi_fd_insert(isola_wasi *wasi, int host_fd, uint8_t counted, uint8_t filetype,
                        uint64_t base, uint64_t inheriting, uint32_t *out_fd);
/* Places *e (whose host_fd passes to the table), a descriptor the context
 * is given, at free slot fd, counting it; nothing is closed on failure
 * (which is EMFILE or ENFILE when the hooks refuse it). */
uint16_t wasi_fd_insert_at(isola_wasi *wasi, uint32_t fd, const wasi_fd_entry *e);
/* Closes and frees the entry's resources and releases its count; the slot becomes free. */
void wasi_fd_entry_close(isola_wasi *wasi, wasi_fd_entry *e);

/* Asks the fd hooks for one more descriptor of `origin` before it is made
 * (wasi_fd_count.c): 0 and *counted to record in its entry
 * (WASI_FD_UNCOUNTED when no hooks are set), or WASI_EMFILE / WASI_ENFILE. */
uint16_t wasi_fd_count(isola_wasi *wasi, isola_wasi_fd_origin origin, uint8_t *counted);
/* Gives back what wasi_fd_count took (nothing for WASI_FD_UNCOUNTED). */
void wasi_fd_uncount(isola_wasi *wasi, uint8_t counted);
/* Moves `from` onto `to`, closing what `to` held. */
uint16_t wasi_fd_renumber(isola_wasi *wasi, uint32_t from, uint32_t to);

/* The WASI file type of a host file mode (st_mode). */
uint8_t wasi_filetype_of_mode(unsigned mode);
/* The rights a descriptor of this file type may have at most. */
uint64_t wasi_rights_for_filetype(uint8_t filetype);
/* ... and of this open host descriptor: a character device that is not a
 * terminal (/dev/null) can seek and tell, and its rights say so, since
 * libc takes a character device without them for a terminal (isatty). */
uint64_t wasi_rights_for_fd(int host_fd, uint8_t filetype);
/* The file type of an open host descriptor (sockets told apart by SO_TYPE). */
uint8_t wasi_filetype_of_fd(int host_fd);

#endif
