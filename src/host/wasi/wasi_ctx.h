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

typedef struct wasi_fd_entry {
    int host_fd;                 /* -1: free slot */
    uint8_t filetype;            /* WASI_FILETYPE_* */
    uint64_t rights_base;
    uint64_t rights_inheriting;
    char *preopen_name;          /* guest path of a preopened directory, else NULL */
    DIR *dir;                    /* lazily opened readdir stream */
} wasi_fd_entry;

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
    bool exited;
    int exit_code;
    isola_wasi_block_mode block_mode;
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
/* Installs host_fd (ownership passes) in the lowest free slot; closes it on failure. */
uint16_t wasi_fd_insert(isola_wasi *wasi, int host_fd, uint8_t filetype, uint64_t base,
                        uint64_t inheriting, uint32_t *out_fd);
/* Places *e (whose host_fd passes to the table) at free slot fd; nothing is closed on failure. */
uint16_t wasi_fd_insert_at(isola_wasi *wasi, uint32_t fd, const wasi_fd_entry *e);
/* Closes and frees the entry's resources; the slot becomes free. */
void wasi_fd_entry_close(wasi_fd_entry *e);
/* Moves `from` onto `to`, closing what `to` held. */
uint16_t wasi_fd_renumber(isola_wasi *wasi, uint32_t from, uint32_t to);

/* The WASI file type of a host file mode (st_mode). */
uint8_t wasi_filetype_of_mode(unsigned mode);
/* The rights a descriptor of this file type may have at most. */
uint64_t wasi_rights_for_filetype(uint8_t filetype);
/* The file type of an open host descriptor (sockets told apart by SO_TYPE). */
uint8_t wasi_filetype_of_fd(int host_fd);

#endif
