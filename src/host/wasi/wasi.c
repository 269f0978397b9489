/*
 * wasi.c - the isola_wasi context: creation and release, what the guest
 * is given (args, environment, stdio, extra descriptors, preopened
 * directories), and the exit and blocking state the embedder reads back.
 */
#include "wasi_ctx.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasi_abi.h"


static void set_error(isola_error *err, isola_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(isola_error *err, isola_error_kind kind, const char *fmt, ...)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ lifecycle */

isola_wasi *isola_wasi_new(isola_error *err)
{
    isola_wasi *w = calloc(1, sizeof *w);
    if (!w) {
        set_error(err, ISOLA_ERR_RESOURCE, "out of memory creating a WASI context");
        return NULL;
    }
    for (uint32_t i = 0; i < WASI_FUNC_COUNT; i++)
        w->bindings[i] = (wasi_binding){ w, &wasi_func_table[i] };
    return w;
}

static void free_strings(char **list, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void isola_wasi_release(isola_wasi *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->nfds; i++)
        wasi_fd_entry_close(w, &w->fds[i]);
    assert(w->fds_counted == 0);
    free(w->fds);
    free_strings(w->args, w->nargs);
    free_strings(w->env, w->nenv);
    free(w);
}

/* ------------------------------------------------------------ what the guest sees */

/* Why wasi_fd_insert_at refused a descriptor the guest is given. */
static const char *insert_refusal(uint16_t err)
{
    switch (err) {
    case WASI_EMFILE: return "too many descriptors for this guest";
    case WASI_ENFILE: return "too many host descriptors held for guests";
    case WASI_ENOMEM: return "out of memory";
    default: return "descriptor number taken";
    }
}

bool isola_wasi_set_args(isola_wasi *w, int argc, const char *const *argv, isola_error *err)
{
    assert(w && argc >= 0);
    char **copy = calloc((size_t)argc + 1, sizeof *copy);
    if (!copy)
        goto oom;
    for (int i = 0; i < argc; i++) {
        copy[i] = strdup(argv[i]);
        if (!copy[i]) {
            free_strings(copy, (uint32_t)i);
            goto oom;
        }
    }
    free_strings(w->args, w->nargs);
    w->args = copy;
    w->nargs = (uint32_t)argc;
    return true;
oom:
    set_error(err, ISOLA_ERR_RESOURCE, "out of memory copying %d arguments", argc);
    return false;
}

bool isola_wasi_add_env(isola_wasi *w, const char *name_value, isola_error *err)
{
    assert(w && name_value);
    const char *eq = strchr(name_value, '=');
    if (!eq || eq == name_value) {
        set_error(err, ISOLA_ERR_ARGUMENT, "environment entry '%s' is not NAME=VALUE", name_value);
        return false;
    }
    /* A name given twice keeps the last value, as env(1) and shells do. */
    size_t name_len = (size_t)(eq - name_value) + 1;
    for (uint32_t i = 0; i < w->nenv; i++) {
        if (strncmp(w->env[i], name_value, name_len) == 0) {
            char *copy = strdup(name_value);
            if (!copy)
                goto oom;
            free(w->env[i]);
            w->env[i] = copy;
            return true;
        }
    }
    char **env = realloc(w->env, ((size_t)w->nenv + 1) * sizeof *env);
    if (!env)
        goto oom;
    w->env = env;
    env[w->nenv] = strdup(name_value);
    if (!env[w->nenv])
        goto oom;
    w->nenv++;
    return true;
oom:
    set_error(err, ISOLA_ERR_RESOURCE, "out of memory adding an environment entry");
    return false;
}

/*
 * A descriptor of the host's for a guest: a close-on-exec duplicate numbered
 * 3 or above. At the lowest free number it could take the place of a
 * standard stream the host has closed (`isola run ... >&-`): the next
 * duplicate of that stream would then copy it (a guest's stdout writing
 * into its stdin's file), and the host's own messages would go into it.
 */
static int host_dup(int fd)
{
    return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

bool isola_wasi_set_stdio(isola_wasi *w, int in, int out, int errfd, isola_error *err)
{
    int host[3] = { in, out, errfd };
    for (uint32_t i = 0; i < 3; i++) {
        if (i < w->nfds && w->fds[i].host_fd >= 0) {
            set_error(err, ISOLA_ERR_ARGUMENT, "stdio must be set before other descriptors");
            return false;
        }
    }
    for (uint32_t i = 0; i < 3; i++) {
        if (host[i] < 0)
            continue;
        int dup_fd = host_dup(host[i]);
        if (dup_fd < 0 && errno == EBADF)
            continue;   /* closed on the host (`isola run ... <&-`): closed for the guest too */
        if (dup_fd < 0) {
            set_error(err, ISOLA_ERR_ARGUMENT, "cannot use host descriptor %d as guest fd %u: %s",
                      host[i], i, strerror(errno));
            return false;
        }
        uint8_t type = wasi_filetype_of_fd(dup_fd);
        wasi_fd_entry e = { .host_fd = dup_fd, .filetype = type,
                            .rights_base = wasi_rights_for_fd(dup_fd, type) };
        uint16_t refused = wasi_fd_insert_at(w, i, &e);
        if (refused) {
            close(dup_fd);
            set_error(err, ISOLA_ERR_RESOURCE, "cannot install guest fd %u: %s", i,
                      insert_refusal(refused));
            return false;
        }
    }
    return true;
}

bool isola_wasi_inherit_stdio(isola_wasi *w, isola_error *err)
{
    return isola_wasi_set_stdio(w, 0, 1, 2, err);
}

bool isola_wasi_add_fd(isola_wasi *w, int host_fd, uint32_t *guest_fd, isola_error *err)
{
    int dup_fd = host_dup(host_fd);
    if (dup_fd < 0) {
        set_error(err, ISOLA_ERR_ARGUMENT, "cannot give host descriptor %d to the guest: %s",
                  host_fd, strerror(errno));
        return false;
    }
    uint8_t type = wasi_filetype_of_fd(dup_fd);
    uint64_t rights = wasi_rights_for_fd(dup_fd, type);
    /* A listening socket hands its rights on to the connections it accepts. */
    uint64_t inheriting = (type == WASI_FILETYPE_SOCKET_STREAM) ? rights : 0;
    wasi_fd_entry e = { .host_fd = dup_fd, .filetype = type, .rights_base = rights,
                        .rights_inheriting = inheriting };
    uint32_t fd = 3;
    while (fd < w->nfds && w->fds[fd].host_fd >= 0)
        fd++;
    uint16_t refused = wasi_fd_insert_at(w, fd, &e);
    if (refused) {
        close(dup_fd);
        set_error(err, ISOLA_ERR_RESOURCE, "cannot give host descriptor %d to the guest: %s", host_fd,
                  insert_refusal(refused));
        return false;
    }
    *guest_fd = fd;
    return true;
}

/* Installs directory descriptor dfd (owned: closed on failure) as a preopen. */
static bool preopen_install(isola_wasi *w, int dfd, const char *guest_path, uint64_t base,
                            uint64_t inheriting, isola_error *err)
{
    wasi_fd_entry e = {
        .host_fd = dfd, .filetype = WASI_FILETYPE_DIRECTORY,
        .rights_base = base, .rights_inheriting = inheriting,
        .preopen_name = strdup(guest_path),
    };
    /* Preopens never take 0..2, even when stdio is closed: guests assume those are stdio. */
    uint32_t fd = 3;
    while (fd < w->nfds && w->fds[fd].host_fd >= 0)
        fd++;
    uint16_t refused = e.preopen_name ? wasi_fd_insert_at(w, fd, &e) : WASI_ENOMEM;
    if (refused) {
        free(e.preopen_name);
        close(dfd);
        set_error(err, ISOLA_ERR_RESOURCE, "cannot install a descriptor for '%s': %s", guest_path,
                  insert_refusal(refused));
        return false;
    }
    return true;
}

/* What a directory may pass on to what is opened beneath it. */
static uint64_t dir_inheritable(void)
{
    return wasi_rights_for_filetype(WASI_FILETYPE_DIRECTORY) |
           wasi_rights_for_filetype(WASI_FILETYPE_REGULAR_FILE);
}

bool isola_wasi_preopen_dir(isola_wasi *w, const char *host_path, const char *guest_path,
                            isola_error *err)
{
    assert(w && host_path);
    if (!guest_path)
        guest_path = host_path;
    int dfd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        set_error(err, ISOLA_ERR_NOT_FOUND, "cannot preopen directory '%s': %s", host_path,
                  strerror(errno));
        return false;
    }
    return preopen_install(w, dfd, guest_path, wasi_rights_for_filetype(WASI_FILETYPE_DIRECTORY),
                           dir_inheritable(), err);
}

bool isola_wasi_preopen_fd(isola_wasi *w, int host_dirfd, const char *guest_path,
                           uint64_t rights_base, uint64_t rights_inheriting, isola_error *err)
{
    assert(w && guest_path);
    int dfd = host_dup(host_dirfd);
    if (dfd < 0) {
        set_error(err, ISOLA_ERR_ARGUMENT, "cannot preopen descriptor %d as '%s': %s", host_dirfd,
                  guest_path, strerror(errno));
        return false;
    }
    return preopen_install(w, dfd, guest_path,
                           rights_base & wasi_rights_for_filetype(WASI_FILETYPE_DIRECTORY),
                           rights_inheriting & dir_inheritable(), err);
}

bool isola_wasi_dir_get(const isola_wasi *w, uint32_t fd, isola_wasi_dir *out)
{
    if (fd >= w->nfds || w->fds[fd].host_fd < 0 || w->fds[fd].filetype != WASI_FILETYPE_DIRECTORY)
        return false;
    const wasi_fd_entry *e = &w->fds[fd];
    *out = (isola_wasi_dir){ .host_fd = e->host_fd, .preopen_name = e->preopen_name,
                             .rights_base = e->rights_base,
                             .rights_inheriting = e->rights_inheriting };
    return true;
}

int isola_wasi_host_fd(const isola_wasi *w, uint32_t fd)
{
    return fd < w->nfds ? w->fds[fd].host_fd : -1;
}

bool isola_wasi_preopen_spec(isola_wasi *w, const char *spec, isola_error *err)
{
    const char *sep = strstr(spec, "::");
    if (!sep)
        return isola_wasi_preopen_dir(w, spec, spec, err);
    char *host = strndup(spec, (size_t)(sep - spec));
    if (!host) {
        set_error(err, ISOLA_ERR_RESOURCE, "out of memory");
        return false;
    }
    const char *guest = sep + 2;
    bool ok;
    if (host[0] == '\0' || guest[0] == '\0') {
        set_error(err, ISOLA_ERR_ARGUMENT, "--dir '%s': expected HOST[::GUEST]", spec);
        ok = false;
    } else {
        ok = isola_wasi_preopen_dir(w, host, guest, err);
    }
    free(host);
    return ok;
}

/* ------------------------------------------------------------ exit and blocking */

bool isola_wasi_exited(const isola_wasi *w) { return w->exited; }
int isola_wasi_exit_code(const isola_wasi *w) { return w->exit_code; }

void isola_wasi_set_block_mode(isola_wasi *w, isola_wasi_block_mode mode) { w->block_mode = mode; }

void isola_wasi_set_disk_policy(isola_wasi *w, isola_wasi_disk_policy policy) { w->disk_policy = policy; }

void isola_wasi_wait_info(const isola_wasi *w, isola_wasi_wait *out) { *out = w->wait; }
