/*
 * test_wasi_park.c - embeds a WASI guest with ISOLA_WASI_BLOCK_PARK, the
 * mode a scheduler uses: a sleep or a read from an empty pipe must not
 * block the thread but stop the run with ISOLA_SUSPENDED and say what it
 * waits for; the host waits (here with poll) and resumes. Also checks
 * that sched_yield yields and that the relative sleeps keep their
 * deadlines across resumes.
 *
 * usage: test_wasi_park GUEST_DIR   (uses GUEST_DIR/sleep.wasm)
 */
#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <isola/engine.h>
#include <isola/wasi.h>

#include "host_test.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Waits the way a scheduler's event loop would: on the fds and deadline the guest parked on. */
static void wait_for(const isola_wasi_wait *w)
{
    struct pollfd p[16];
    for (uint32_t i = 0; i < w->nfds; i++)
        p[i] = (struct pollfd){ .fd = w->fds[i], .events = w->events[i] };
    int timeout = -1;
    if (w->has_deadline) {
        int64_t left = w->deadline_ns - now_ns();
        timeout = left <= 0 ? 0 : (int)(left / 1000000 + 1);
    }
    poll(p, w->nfds, timeout);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_wasi_park GUEST_DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/sleep.wasm", argv[1]);
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    if (!bytes) {
        perror(path);
        return 2;
    }
    isola_error err;
    isola_engine *engine = isola_engine_new(NULL, &err);
    isola_module *module = isola_module_load(engine, bytes, len, &err);
    CHECK(module != NULL);
    if (!module)
        return 1;

    int in[2], out[2];
    CHECK(pipe(in) == 0 && pipe(out) == 0);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    isola_wasi *wasi = isola_wasi_new(&err);
    CHECK(isola_wasi_set_stdio(wasi, in[0], out[1], 2, &err));
    const char *args[] = { "sleep.wasm" };
    CHECK(isola_wasi_set_args(wasi, 1, args, &err));
    isola_wasi_set_block_mode(wasi, ISOLA_WASI_BLOCK_PARK);

    uint32_t n = isola_module_import_count(module);
    isola_extern *imports = calloc(n + 1, sizeof *imports);
    for (uint32_t i = 0; i < n; i++) {
        const char *mod, *name;
        size_t mod_len, name_len;
        isola_externtype type;
        isola_module_import(module, i, &mod, &mod_len, &name, &name_len, &type);
        CHECK(isola_wasi_define(wasi, engine, name, name_len, &type, &imports[i], &err));
    }
    isola_exec *exec = isola_exec_new(engine, NULL, &err);
    isola_instance *inst = isola_instantiate(engine, module, imports, n, NULL, exec, &err);
    CHECK(inst != NULL);
    isola_extern start;
    CHECK(isola_instance_export(inst, "_start", &start));

    int64_t t0 = now_ns();
    int suspended = 0, yielded = 0, waited_on_stdin = 0;
    isola_status st = isola_exec_call(exec, start.of.func, NULL, 0);
    while (st == ISOLA_SUSPENDED || st == ISOLA_YIELDED) {
        if (st == ISOLA_YIELDED) {
            yielded++;
        } else {
            suspended++;
            isola_wasi_wait w;
            isola_wasi_wait_info(wasi, &w);
            if (w.nfds == 1 && !w.has_deadline) {
                /* Blocked on stdin: only now give it a line. */
                waited_on_stdin++;
                CHECK(write(in[1], "hello\n", 6) == 6);
            }
            wait_for(&w);
        }
        st = isola_exec_resume(exec);
    }
    int64_t elapsed = now_ns() - t0;
    CHECK(st == ISOLA_OK || (st == ISOLA_TRAPPED && isola_wasi_exited(wasi)));
    CHECK(isola_wasi_exit_code(wasi) == 0);
    CHECK(suspended >= 4);            /* three sleeps and the read */
    CHECK(yielded == 1);
    CHECK(waited_on_stdin == 1);
    CHECK(elapsed >= 60 * 1000000);   /* the sleeps really slept, deadlines kept across resumes */
    CHECK(elapsed < 5000LL * 1000000);
    char buf[256] = { 0 };
    ssize_t got = read(out[0], buf, sizeof buf - 1);
    CHECK(got > 0 && strcmp(buf, "slept 0\nslept 1\nslept 2\nread: hello\n") == 0);
    if (got > 0 && failures)
        fprintf(stderr, "guest wrote: %s", buf);

    isola_instance_release(inst);
    isola_exec_release(exec);
    for (uint32_t i = 0; i < n; i++)
        isola_func_release(imports[i].of.func);
    free(imports);
    isola_wasi_release(wasi);
    isola_module_release(module);
    isola_engine_release(engine);
    free(bytes);
    close(in[0]); close(in[1]); close(out[0]); close(out[1]);
    printf("%s (suspended %d times, yielded %d)\n", failures ? "FAILED" : "ok", suspended, yielded);
    return failures ? 1 : 0;
}
