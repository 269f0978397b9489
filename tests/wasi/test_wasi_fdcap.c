/*
 * test_wasi_fdcap.c - limits on the host descriptors WASI processes hold,
 * through the host API, with the soft RLIMIT_NOFILE lowered to 256 before
 * the VM starts and 40 descriptors of the host's own open (so the budget
 * for guests is at most 256 - 64 - 40 = 152, less the few the VM opens):
 *   - a process with a handle limit of 8 opens exactly 8 files, then EMFILE;
 *   - a process with no handle limit opens exactly the budget, then
 *     ENFILE, and the host can still open descriptors of its own (its
 *     reserve), also after it lowered the limit under a running VM;
 *   - meanwhile a neighbour process's open fails with ENFILE, and a WASI
 *     child the hog spawns is refused (ISOLA_ENOMEM: its stdio needs
 *     descriptors); once the hog closes one, the neighbour gets one;
 *   - once the hog ends, the budget is whole: a new hog gets 192 again,
 *     and when the VM is gone the host holds the descriptors it started with.
 *
 * usage: test_wasi_fdcap GUEST_DIR   (uses GUEST_DIR/fdquota.wasm)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <isola/proc.h>
#include <isola/wasi.h>

#include "host_test.h"

#include "host/fd_budget.h"

#define SECOND 1000000000LL
#define SOFT_LIMIT 256
#define HOST_OWN 40                      /* the host's own descriptors, open before the VM starts */
#define GUEST_MOST (SOFT_LIMIT - 64 - HOST_OWN)   /* host/fd_budget.h: a reserve of max(64, 1/16) */
#define HOST_OPENS 32                    /* what the host opens of its reserve while guests hold all theirs */
#define LOWERED 224                      /* a soft limit the host sets while the VM runs */

static int guest_budget;                 /* fd_budget_cap() once the VM started */

static char dir[] = "/tmp/isola-fdcap.XXXXXX";

/* A guest process: its stdin and stdout are pipes the test holds the other ends of. */
typedef struct guest {
    int32_t handle;
    int in;    /* we write its stdin */
    int out;   /* we read its stdout */
} guest;

/* Spawns fdquota.wasm as `part` with /d preopened; `give` (a handle, or
 * 0) goes in its start message. */
static guest spawn(isola_vm *vm, int32_t module, const char *part, uint32_t handle_count, int32_t give)
{
    guest g = {-1, -1, -1};
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) {
        perror("pipe");
        exit(2);
    }
    isola_error err;
    isola_wasi *w = isola_wasi_new(&err);
    const char *argv[] = {"fdquota", part};
    CHECK(w && isola_wasi_set_args(w, 2, argv, &err));
    CHECK(isola_wasi_set_stdio(w, in[0], out[1], 2, &err));
    CHECK(isola_wasi_preopen_dir(w, dir, "/d", &err));
    close(in[0]);
    close(out[1]);
    isola_proc_limits limits = {.handle_count = handle_count};
    g.handle = isola_vm_spawn_wasi(vm, module, "_start", w, &give, give ? 1 : 0, &limits, &err);
    if (g.handle < 0)
        fprintf(stderr, "spawn: %s\n", err.message);
    CHECK(g.handle > 0);
    g.in = in[1];
    g.out = out[0];
    return g;
}

/* The next line the guest writes (without its newline), waiting up to 20 s. */
static void read_line(guest *g, char *line, size_t max)
{
    size_t n = 0;
    while (n + 1 < max) {
        struct pollfd p = {.fd = g->out, .events = POLLIN};
        if (poll(&p, 1, 20000) != 1 || read(g->out, line + n, 1) != 1)
            break;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
}

static void expect_line(guest *g, const char *want)
{
    char line[256];
    read_line(g, line, sizeof line);
    if (strcmp(line, want) != 0)
        fprintf(stderr, "guest said <%s>, expected <%s>\n", line, want);
    CHECK(strcmp(line, want) == 0);
}

static void tell(guest *g, const char *command)
{
    CHECK(write(g->in, command, strlen(command)) == (ssize_t)strlen(command));
}

/* Closes its stdin (it returns at EOF) and waits for its end. */
static void finish(isola_vm *vm, guest *g)
{
    close(g->in);
    isola_proc_exit ex = {-1, -1};
    CHECK(isola_vm_wait(vm, g->handle, 20 * SECOND, &ex) == 0);
    CHECK(ex.kind == 0);
    isola_vm_close(vm, g->handle);
    close(g->out);
}

/* A neighbour that opens one file; returns what it said. */
static void neighbour(isola_vm *vm, int32_t module, const char *want)
{
    guest n = spawn(vm, module, "one", 0, 0);
    expect_line(&n, want);
    finish(vm, &n);
}

static void test_own_limit(isola_vm *vm, int32_t module)
{
    guest g = spawn(vm, module, "hold", 8, 0);
    expect_line(&g, "hold: opened 8 files, then EMFILE");
    tell(&g, "close\n");
    expect_line(&g, "hold: closed one");
    finish(vm, &g);
}

/* The host can open HOST_OPENS of its own while guests hold their all. */
static void check_host_reserve(void)
{
    int mine[HOST_OPENS], opened = 0;
    for (int i = 0; i < HOST_OPENS; i++)
        if ((mine[opened] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
            opened++;
    if (opened != HOST_OPENS)
        fprintf(stderr, "the host opened %d of %d: %s\n", opened, HOST_OPENS, strerror(errno));
    CHECK(opened == HOST_OPENS);
    while (opened > 0)
        close(mine[--opened]);
}

static void test_host_budget(isola_vm *vm, int32_t module)
{
    char want[64];
    snprintf(want, sizeof want, "hold: opened %d files, then ENFILE", guest_budget);
    int32_t give = isola_vm_duplicate(vm, module, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_TRANSFER);
    CHECK(give > 0);
    guest hog = spawn(vm, module, "hold", UINT32_MAX, give);
    expect_line(&hog, want);
    check_host_reserve();

    neighbour(vm, module, "one: ENFILE");
    tell(&hog, "spawn\n");
    expect_line(&hog, "hold: spawn: ENOMEM");
    tell(&hog, "close\n");
    expect_line(&hog, "hold: closed one");
    neighbour(vm, module, "one: opened");
    finish(vm, &hog);

    /* Everything came back: a new hog gets the whole budget again. */
    hog = spawn(vm, module, "hold", UINT32_MAX, 0);
    expect_line(&hog, want);
    finish(vm, &hog);
}

/* A limit the host lowers while the VM runs counts from the next open on. */
static void test_lowered_limit(isola_vm *vm, int32_t module)
{
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = LOWERED;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    char want[64];
    snprintf(want, sizeof want, "hold: opened %d files, then ENFILE", guest_budget - (SOFT_LIMIT - LOWERED));
    guest hog = spawn(vm, module, "hold", UINT32_MAX, 0);
    expect_line(&hog, want);
    check_host_reserve();
    finish(vm, &hog);
    rl.rlim_cur = SOFT_LIMIT;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_wasi_fdcap GUEST_DIR\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max < SOFT_LIMIT) {
        fprintf(stderr, "cannot lower RLIMIT_NOFILE to %d\n", SOFT_LIMIT);
        return 2;
    }
    rl.rlim_cur = SOFT_LIMIT;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        perror("setrlimit");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/fdquota.wasm", argv[1]);
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    if (!bytes || !mkdtemp(dir)) {
        perror(path);
        return 2;
    }
    snprintf(path, sizeof path, "%s/f", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs("data\n", f) < 0 || fclose(f) != 0) {
        perror(path);
        return 2;
    }
    isola_error err;
    isola_engine *engine = isola_engine_new(NULL, &err);
    isola_module *module = engine ? isola_module_load(engine, bytes, len, &err) : NULL;
    if (!module) {
        fprintf(stderr, "load: %s\n", err.message);
        return 2;
    }
    int own[HOST_OWN];
    for (int i = 0; i < HOST_OWN; i++)
        own[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fds_at_start = open_fds();
    isola_vm_config cfg = {.workers = 2};
    isola_vm *vm = isola_vm_new(engine, &cfg, &err);
    int32_t mh = vm ? isola_vm_load(vm, module, &err) : -1;
    if (mh < 0) {
        fprintf(stderr, "vm: %s\n", err.message);
        return 2;
    }
    /* The host's own descriptors (ours, the standard ones, the engine's)
     * are not the guests' to take: at most GUEST_MOST, and only a few less. */
    guest_budget = (int)fd_budget_cap();
    printf("guests' budget: %d (at most %d)\n", guest_budget, GUEST_MOST);
    CHECK(guest_budget <= GUEST_MOST && guest_budget >= GUEST_MOST - 16);
    test_own_limit(vm, mh);
    test_host_budget(vm, mh);
    test_lowered_limit(vm, mh);
    isola_vm_release(vm);
    CHECK(open_fds() == fds_at_start);
    for (int i = 0; i < HOST_OWN; i++)
        close(own[i]);
    isola_module_release(module);
    isola_engine_release(engine);
    free(bytes);
    unlink(path);
    rmdir(dir);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("wasi.proc.fdcap: all checks passed\n");
    return 0;
}
