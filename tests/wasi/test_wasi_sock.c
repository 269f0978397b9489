/*
 * test_wasi_sock.c - hands a guest a connected socket and a listening one
 * (isola_wasi_add_fd) and checks sock_recv (with and without a peek),
 * sock_send, sock_shutdown and sock_accept from both ends, and their
 * refusals of unknown flags and of descriptors that are not sockets.
 *
 * usage: test_wasi_sock GUEST_DIR   (uses GUEST_DIR/sock.wasm)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <isola/engine.h>
#include <isola/wasi.h>

#include "host_test.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/sock.wasm", argv[1]);
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

    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    CHECK(write(pair[0], "ping", 4) == 4);
    /* An abstract-namespace listener: nothing on disk to clean up. */
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "isola-wasi-test-%d", (int)getpid());
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(addr.sun_path + 1));
    CHECK(bind(listener, (struct sockaddr *)&addr, alen) == 0 && listen(listener, 4) == 0);
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(client, (struct sockaddr *)&addr, alen) == 0);
    CHECK(write(client, "hello", 5) == 5);

    int out[2];
    CHECK(pipe(out) == 0);
    isola_wasi *wasi = isola_wasi_new(&err);
    CHECK(isola_wasi_set_stdio(wasi, -1, out[1], 2, &err));
    uint32_t g_conn = 0, g_listen = 0;
    CHECK(isola_wasi_add_fd(wasi, pair[1], &g_conn, &err));
    CHECK(isola_wasi_add_fd(wasi, listener, &g_listen, &err));
    char a1[16], a2[16];
    snprintf(a1, sizeof a1, "%u", g_conn);
    snprintf(a2, sizeof a2, "%u", g_listen);
    const char *args[] = { "sock.wasm", a1, a2 };
    CHECK(isola_wasi_set_args(wasi, 3, args, &err));

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
    isola_status st = isola_exec_call(exec, start.of.func, NULL, 0);
    CHECK(st == ISOLA_OK || (st == ISOLA_TRAPPED && isola_wasi_exited(wasi)));
    CHECK(isola_wasi_exit_code(wasi) == 0);

    char buf[256] = { 0 };
    CHECK(read(pair[0], buf, sizeof buf) == 4 && memcmp(buf, "pong", 4) == 0);
    CHECK(read(pair[0], buf, sizeof buf) == 0);   /* the guest shut down writing */
    memset(buf, 0, sizeof buf);
    CHECK(read(client, buf, sizeof buf) == 5 && strcmp(buf, "HELLO") == 0);
    close(out[1]);
    memset(buf, 0, sizeof buf);
    ssize_t got = read(out[0], buf, sizeof buf - 1);
    const char *want = "peek 4: ping\nrecv 4: ping\nsend 4\nshutdown 0\naccept 0\necho 5\n"
                       "accept on a connected socket: 1\nrecv with unknown flags: 1\nsend with flags: 1\n"
                       "send on stdout: 1\nshutdown how 0: 1\nshutdown how 4: 1\nshutdown reading: 0\n"
                       "shutdown both: 0\nsend after shutdown: 1\n";
    CHECK(got > 0 && strcmp(buf, want) == 0);
    if (failures)
        fprintf(stderr, "guest wrote:\n%s", buf);

    isola_instance_release(inst);
    isola_exec_release(exec);
    for (uint32_t i = 0; i < n; i++)
        isola_func_release(imports[i].of.func);
    free(imports);
    isola_wasi_release(wasi);
    isola_module_release(module);
    isola_engine_release(engine);
    free(bytes);
    close(pair[0]); close(pair[1]); close(listener); close(client); close(out[0]);
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
