/*
 * fuzz_wasi.c - libFuzzer target for the WASI layer on arbitrary call
 * sequences, as a process of a VM sees it: park mode, disk calls handed to
 * a blocking thread and run again there.
 *
 * Each input is a program for the replay guest (fuzz/wasi_guest.c, a real
 * wasm process that calls wasi_snapshot_preview1 with arguments drawn from
 * the bytes). The first byte is for the host: bit 0 takes the sandbox's
 * local disk for a network file system (ISOLA_WASI_TEST_NETFS: every path
 * call, write and stat parks), bit 1 gives the process a second preopen.
 *
 * The sandbox, made once in the working directory: root/inside is the
 * guest's "/", with files, a directory, a FIFO and symlinks that lead out
 * of it (link_out -> ../outside/secret, link_abs -> /etc), in, in a loop
 * and nowhere; root/outside/secret is a canary. Per input inside is made
 * again. Findings: a crash or sanitizer report, a leak, a hang (the host
 * kills a process that outlives FUZZ_WAIT_NS; one that cannot be killed
 * is a finding), a memory slot or host handle left once everything ended,
 * and any change outside `inside`: the canary's bytes, or an entry in
 * root/ or root/outside that was not there. The process's files are
 * capped (RLIMIT_FSIZE) so no input can fill the disk.
 *
 * Environment: ISOLA_FUZZ_TRACE=1 prints how each input ended;
 * ISOLA_FUZZ_WASI_GUEST overrides the replay guest's path.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_guest.h"
#include "isola/engine.h"
#include "isola/proc.h"
#include "isola/wasi.h"
#include "proc/vm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PROGRAM 4096u
#define FUZZ_WAIT_NS 200000000LL   /* clocks in the program are at most 1 ms each */
#define FUZZ_FILE_LIMIT (16u << 20)
#define CANARY "the canary outside the sandbox\n"

#ifndef FUZZ_WASI_GUEST
#define FUZZ_WASI_GUEST "wasi_guest.wasm"
#endif

static isola_engine *engine;
static isola_module *guest;
static int trace;
static char root[256], inside[300], outside[300], canary_path[320];

#define FINDING(...)                                                                                   \
    do {                                                                                               \
        fprintf(stderr, "fuzz_wasi: " __VA_ARGS__);                                                    \
        fputc('\n', stderr);                                                                           \
        abort();                                                                                       \
    } while (0)

/* ---------------------------------------------------------------- the sandbox */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Before the directory is read (pre-order): a guest may have left one
 * without search or write permission (the guest cannot chmod, but a
 * directory it made has the mode it asked for). */
static int open_up(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D || flag == FTW_DNR)
        chmod(path, (st->st_mode & 07777) | 0700);
    return 0;
}

static void remove_tree(const char *path)
{
    nftw(path, open_up, 16, FTW_PHYS);
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        FINDING("cannot make %s", path);
    close(fd);
}

static void make_inside(void)
{
    remove_tree(inside);
    char path[400];
    if (mkdir(inside, 0755) != 0)
        FINDING("cannot make %s", inside);
    write_file(inside, "a", "aaaa\n");
    snprintf(path, sizeof path, "%s/d", inside);
    mkdir(path, 0755);
    write_file(path, "e", "eeee\n");
    snprintf(path, sizeof path, "%s/fifo", inside);
    mkfifo(path, 0644);
    static const char *const links[][2] = {
        {"../outside/secret", "link_out"}, {"/etc", "link_abs"}, {"d", "link_in"},
        {"loop", "loop"}, {"nowhere", "dangling"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", inside, links[i][1]);
        if (symlink(links[i][0], path) != 0)
            FINDING("cannot make %s", path);
    }
}

/* The names in dir, sorted and joined, into out. */
static void list_dir(const char *dir, char *out, size_t cap)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        strncat(out, names[i]->d_name, cap - strlen(out) - 2);
        strncat(out, "/", cap - strlen(out) - 1);
        free(names[i]);
    }
    if (n >= 0)
        free(names);
}

static char root_listing[256], outside_listing[256];

static void check_outside(void)
{
    char now[256], bytes[128] = {0};
    list_dir(root, now, sizeof now);
    if (strcmp(now, root_listing) != 0)
        FINDING("the sandbox's parent changed: %s (was %s)", now, root_listing);
    list_dir(outside, now, sizeof now);
    if (strcmp(now, outside_listing) != 0)
        FINDING("outside changed: %s (was %s)", now, outside_listing);
    int fd = open(canary_path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, bytes, sizeof bytes - 1) : -1;
    if (fd >= 0)
        close(fd);
    struct stat st;
    if (n != (ssize_t)strlen(CANARY) || strcmp(bytes, CANARY) != 0 || lstat(canary_path, &st) != 0 ||
        (st.st_mode & 07777) != 0644)
        FINDING("the canary outside the sandbox changed");
}

static void remove_sandbox(void)
{
    remove_tree(root);
}

static void make_sandbox(void)
{
    const char *base = getenv("ISOLA_FUZZ_WASI_DIR");
    snprintf(root, sizeof root, "%s/fuzz-wasi.XXXXXX", base ? base : ".");
    if (!mkdtemp(root))
        FINDING("cannot make a sandbox in %s", base ? base : ".");
    char *abs = realpath(root, NULL);
    if (abs) {
        snprintf(root, sizeof root, "%s", abs);
        free(abs);
    }
    snprintf(inside, sizeof inside, "%s/inside", root);
    snprintf(outside, sizeof outside, "%s/outside", root);
    snprintf(canary_path, sizeof canary_path, "%s/secret", outside);
    mkdir(outside, 0755);
    write_file(outside, "secret", CANARY);
    make_inside();
    list_dir(root, root_listing, sizeof root_listing);
    list_dir(outside, outside_listing, sizeof outside_listing);
    atexit(remove_sandbox);
}

/* ---------------------------------------------------------------- runs */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    trace = getenv("ISOLA_FUZZ_TRACE") != NULL;
    /* No input may fill the disk: a write or allocation past this fails
     * with EFBIG (SIGXFSZ is blocked on the threads that run guests). */
    struct rlimit fsize = {FUZZ_FILE_LIMIT, FUZZ_FILE_LIMIT};
    setrlimit(RLIMIT_FSIZE, &fsize);
    const char *why = NULL;
    guest = fuzz_guest_load("ISOLA_FUZZ_WASI_GUEST", FUZZ_WASI_GUEST, &engine, &why);
    if (!guest)
        FINDING("replay guest: %s (ISOLA_FUZZ_WASI_GUEST names another)", why);
    make_sandbox();
    return 0;
}

/* The guest's context: stdin empty, output discarded, inside as "/" (and
 * its d as "/sub"), argv = {"g", hex(program)}. */
static isola_wasi *make_context(const uint8_t *program, size_t len, int second_preopen)
{
    static char hexbuf[2 * FUZZ_MAX_PROGRAM + 1];
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        hexbuf[2 * i] = digits[program[i] >> 4];
        hexbuf[2 * i + 1] = digits[program[i] & 15];
    }
    hexbuf[2 * len] = '\0';
    const char *argv[] = {"g", hexbuf};
    isola_error err = {0};
    isola_wasi *w = isola_wasi_new(&err);
    int null_in = open("/dev/null", O_RDONLY | O_CLOEXEC), null_out = open("/dev/null", O_WRONLY | O_CLOEXEC);
    char sub[400];
    snprintf(sub, sizeof sub, "%s/d", inside);
    if (!w || !isola_wasi_set_stdio(w, null_in, null_out, null_out, &err) ||
        !isola_wasi_set_args(w, 2, argv, &err) || !isola_wasi_preopen_dir(w, inside, "/", &err) ||
        (second_preopen && !isola_wasi_preopen_dir(w, sub, "/sub", &err)))
        FINDING("cannot make the guest's context: %s", err.message);
    close(null_in);
    close(null_out);
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (size > 1 + FUZZ_MAX_PROGRAM)
        size = 1 + FUZZ_MAX_PROGRAM;
    if (fuzz_slots_in_use(engine) != 0)
        FINDING("leftovers from the previous input: %llu memory slots", (unsigned long long)fuzz_slots_in_use(engine));
    make_inside();
    if (data[0] & 1)
        setenv("ISOLA_WASI_TEST_NETFS", "1", 1);   /* read when descriptors are classed: no VM runs now */
    else
        unsetenv("ISOLA_WASI_TEST_NETFS");

    isola_error err = {0};
    isola_vm_config vcfg = {.workers = 1, .blocking_threads = 1};
    isola_vm *vm = isola_vm_new(engine, &vcfg, &err);
    if (!vm)
        FINDING("isola_vm_new: %s", err.message);
    int32_t module = isola_vm_load(vm, guest, &err);
    if (module < 0)
        FINDING("isola_vm_load: %s", err.message);
    isola_wasi *w = make_context(data + 1, size - 1, data[0] & 2);
    isola_proc_limits lim = {.fuel_per_slice = 2000, .fuel_total = 2000000, .memory_pages = 8, .handle_count = 32};
    int32_t p = isola_vm_spawn_wasi(vm, module, "_start", w, NULL, 0, &lim, &err);
    if (p < 0)
        FINDING("spawning the guest failed: %d %s", p, err.message);

    isola_proc_exit ex = {0};
    int ended = isola_vm_wait(vm, p, FUZZ_WAIT_NS, &ex) == 0;
    if (!ended) {
        /* A long poll, or a read of the FIFO on a blocking thread: killed,
         * it must end (the blocking thread's call returns by itself or the
         * kill is seen between calls). */
        isola_vm_kill(vm, p, 0);
        ended = isola_vm_wait(vm, p, 10 * 1000000000LL, &ex) == 0;
    }
    if (trace)
        fprintf(stderr, "fuzz_wasi: %s, kind %d reason %d\n", ended ? "ended" : "still running", ex.kind,
                ex.reason);
    isola_vm_close(vm, p);
    isola_vm_close(vm, module);
    if (ended) {
        if (isola_vm_wait_all(vm, 10 * 1000000000LL) != 0 || isola_vm_live(vm) != 0)
            FINDING("processes alive after the only one ended");
        if (vm->host_handles.live != 0)
            FINDING("%u host handles left", vm->host_handles.live);
        if (fuzz_slots_settled(engine) != 0)
            FINDING("%llu memory slots in use with no process alive", (unsigned long long)fuzz_slots_in_use(engine));
    }
    isola_vm_release(vm);
    if (!ended)
        FINDING("a killed process did not end within 10 s");
    check_outside();
    return 0;
}
