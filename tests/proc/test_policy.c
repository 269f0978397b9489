/*
 * tests/proc/test_policy.c - process semantics through real guests
 * (policy_guests.c) and the host API: children end with their parent
 * unless detached (and quotas stay exact either way), revocation by
 * guests and by the host, and deadlock reports from waits without a time
 * limit (with no false report while timers, spawns or work go on).
 * Usage: test_policy policy.wasm
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isola/proc.h"

static int failures;

#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                   \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

#define SECOND 1000000000LL
#define R_SEND 0x1u
#define R_SPAWN 0x4u
#define R_DUP 0x20u
#define R_TRANSFER 0x40u
#define KILLED 3

static isola_vm *vm;
static int32_t module_h;

static int32_t dup_module(void)
{
    return isola_vm_duplicate(vm, module_h, R_SPAWN | R_DUP | R_TRANSFER);
}

static int32_t spawn(const char *entry, const void *arg, uint32_t len, int32_t *hs, uint32_t n,
                     const isola_proc_limits *lim)
{
    isola_error err = {0};
    int32_t p = isola_vm_spawn(vm, module_h, entry, arg, len, hs, n, lim, &err);
    if (p < 0)
        fprintf(stderr, "spawn %s: %d %s\n", entry, p, err.message);
    return p;
}

/* A host channel: returns the receive end; *send_end is for a guest. */
static int32_t host_channel(int32_t *send_end)
{
    int32_t a, b;
    CHECK(isola_vm_channel(vm, &a, &b) == 0);
    *send_end = b;
    return a;
}

static int32_t receive(int32_t ep, uint64_t tag, void *buf, uint32_t max, int32_t *handle)
{
    uint32_t nh = 0;
    int32_t h[4] = {0};
    int32_t r = isola_vm_receive(vm, ep, 0, tag, buf, max, NULL, h, 4, &nh, 10 * SECOND);
    if (handle)
        *handle = nh ? h[0] : -1;
    return r;
}

static isola_proc_exit wait_exit(int32_t p)
{
    isola_proc_exit ex = {-1, -1};
    CHECK(isola_vm_wait(vm, p, 10 * SECOND, &ex) == 0);
    return ex;
}

/* ---------------------------------------------------------------- children */

/* A parent's end kills its child (reason PARENT_ENDED); detach(self) is EINVAL. */
static void test_child_killed_with_parent(void)
{
    int32_t send_end, rep = host_channel(&send_end);
    uint32_t arg[2] = {0, 0};
    int32_t hs[2] = {dup_module(), send_end};
    int32_t p = spawn("parent", arg, 8, hs, 2, NULL);
    uint32_t depth = 9;
    int32_t child = -1, out[2] = {0};
    CHECK(receive(rep, 20, &depth, 4, &child) == 4 && depth == 0 && child > 0);
    CHECK(receive(rep, 21, out, 8, NULL) == 8 && out[1] == -11);   /* ISOLA_EINVAL */
    isola_proc_exit ex;
    CHECK(isola_vm_wait(vm, child, SECOND / 10, &ex) == -10);   /* alive while the parent is */
    CHECK(isola_vm_send(vm, p, 30, NULL, 0, NULL, 0) == 0);
    ex = wait_exit(p);
    CHECK(ex.kind == 1 && ex.reason == 5);
    ex = wait_exit(child);
    CHECK(ex.kind == KILLED && ex.reason == ISOLA_VM_REASON_PARENT_ENDED);
    isola_vm_close(vm, child);
    isola_vm_close(vm, p);
    isola_vm_close(vm, rep);
    printf("children: a child ends with its parent (killed, reason PARENT_ENDED)\n");
}

/* A detached child outlives its parent and ends on its own. */
static void test_detached_child(void)
{
    int32_t send_end, rep = host_channel(&send_end);
    uint32_t arg[2] = {1, 0};
    int32_t hs[2] = {dup_module(), send_end};
    int32_t p = spawn("parent", arg, 8, hs, 2, NULL);
    uint32_t depth = 9;
    int32_t child = -1, out[2] = {0};
    CHECK(receive(rep, 20, &depth, 4, &child) == 4 && child > 0);
    CHECK(receive(rep, 21, out, 8, NULL) == 8 && out[1] == -11);
    CHECK(isola_vm_send(vm, p, 30, NULL, 0, NULL, 0) == 0);
    isola_proc_exit ex = wait_exit(p);
    CHECK(ex.kind == 1 && ex.reason == 5);
    CHECK(isola_vm_wait(vm, child, SECOND / 5, &ex) == -10);   /* still alive */
    uint32_t v = 42;
    CHECK(isola_vm_send(vm, child, 1, &v, 4, NULL, 0) == 0);
    ex = wait_exit(child);
    CHECK(ex.kind == 0 && ex.reason == 42);
    isola_vm_close(vm, child);
    isola_vm_close(vm, p);
    isola_vm_close(vm, rep);
    printf("children: a detached child outlives its parent\n");
}

/* A parent that ends right after spawning: its children, most of which
 * never ran (they join the parent's list only after a first slice, see
 * src/proc/link.h), end with it all the same. */
static void test_children_of_quick_parent(void)
{
    enum { N = 6 };
    int32_t send_end, rep = host_channel(&send_end);
    uint32_t n = N;
    int32_t hs[2] = {dup_module(), send_end};
    isola_proc_limits lim = {.memory_pages = 16, .handle_count = 32, .queue_count = 16, .live_children = N};
    int32_t p = isola_vm_spawn(vm, module_h, "spawn_and_quit", &n, 4, hs, 2, &lim, NULL);
    CHECK(p > 0);
    int32_t kids[N];
    for (int i = 0; i < N; i++) {
        uint32_t index = 99;
        kids[i] = -1;
        CHECK(receive(rep, 22, &index, 4, &kids[i]) == 4 && index == (uint32_t)i && kids[i] > 0);
    }
    isola_proc_exit ex = wait_exit(p);
    CHECK(ex.kind == 0 && ex.reason == 0);
    for (int i = 0; i < N; i++) {
        ex = wait_exit(kids[i]);
        CHECK(ex.kind == KILLED && ex.reason == ISOLA_VM_REASON_PARENT_ENDED);
        isola_vm_close(vm, kids[i]);
    }
    isola_vm_close(vm, p);
    isola_vm_close(vm, rep);
    printf("children: a parent that ends at once still takes its unstarted children with it\n");
}

/* Grandparent ends: its child is killed, and that child's end kills its own. */
static void test_cascade(void)
{
    int32_t send_end, rep = host_channel(&send_end);
    uint32_t arg[2] = {0, 1};
    int32_t hs[2] = {dup_module(), send_end};
    int32_t p = spawn("parent", arg, 8, hs, 2, NULL);
    int32_t by_depth[2] = {-1, -1};
    for (int i = 0; i < 2; i++) {
        uint32_t depth = 9;
        int32_t h = -1, out[2];
        CHECK(receive(rep, 20, &depth, 4, &h) == 4 && depth < 2 && h > 0);
        if (depth < 2)
            by_depth[depth] = h;
        CHECK(receive(rep, 21, out, 8, NULL) == 8 && out[1] == -11);
    }
    int32_t middle = by_depth[1], leaf = by_depth[0];
    CHECK(isola_vm_send(vm, p, 30, NULL, 0, NULL, 0) == 0);
    isola_proc_exit ex = wait_exit(p);
    CHECK(ex.kind == 1 && ex.reason == 5);
    ex = wait_exit(middle);
    CHECK(ex.kind == KILLED && ex.reason == ISOLA_VM_REASON_PARENT_ENDED);
    ex = wait_exit(leaf);
    CHECK(ex.kind == KILLED && ex.reason == ISOLA_VM_REASON_PARENT_ENDED);
    CHECK(isola_vm_wait_all(vm, 10 * SECOND) == 0);
    isola_vm_close(vm, middle);
    isola_vm_close(vm, leaf);
    isola_vm_close(vm, p);
    isola_vm_close(vm, rep);
    printf("children: the end of a tree's root ends the whole tree\n");
}

/* Quota slots come back exactly, whether the grandchild is killed or detached. */
static void test_quota_exact(uint32_t detach)
{
    int32_t send_end, rep = host_channel(&send_end);
    uint32_t rounds = 50;
    uint32_t arg[2] = {rounds, detach};
    int32_t hs[2] = {dup_module(), send_end};
    isola_proc_limits lim = {.memory_pages = 64, .handle_count = 64, .live_children = 2};
    int32_t p = spawn("quota_root", arg, 8, hs, 2, &lim);
    uint32_t out[2] = {0};
    int32_t got = receive(rep, 41, out, 8, NULL);
    CHECK(got == 8);
    if (got != 8) {
        isola_vm_stall st = {0};
        int32_t stalled = isola_vm_stalled(vm, &st);
        fprintf(stderr, "quota root: no report (%d); stalled %d: %llu blocked, %llu receiving, %llu sending, "
                "oldest %llu waits for %d\n", got, stalled, (unsigned long long)st.blocked,
                (unsigned long long)st.receiving, (unsigned long long)st.sending,
                (unsigned long long)st.oldest_id, st.oldest_blocked);
    }
    CHECK(out[0] == rounds);
    CHECK(out[1] == (detach ? rounds : 0));
    isola_proc_exit ex = wait_exit(p);
    CHECK(ex.kind == 0 && ex.reason == 0);
    CHECK(isola_vm_wait_all(vm, 10 * SECOND) == 0);
    CHECK(isola_vm_live(vm) == 0);
    isola_vm_close(vm, p);
    isola_vm_close(vm, rep);
    printf("children: %u rounds in a 2-child quota (%s grandchild): %u done, %u refused while it lived\n",
           rounds, detach ? "detached" : "killed", out[0], out[1]);
}

/* ---------------------------------------------------------------- revocation */

static void test_guest_revocation(void)
{
    int32_t send_end, rep = host_channel(&send_end);
    int32_t hs[2] = {dup_module(), send_end};
    int32_t p = spawn("rv_owner", NULL, 0, hs, 2, NULL);
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        int32_t out[2] = {0};
        CHECK(receive(rep, 52, out, 8, NULL) == 8);
        CHECK(out[1] == -4);   /* ISOLA_EREVOKED, for the holder and for the copy it passed on */
        if (out[0] == 1 || out[0] == 2)
            seen |= 1 << out[0];
    }
    CHECK(seen == 6);
    uint32_t checks = 0;
    CHECK(receive(rep, 53, &checks, 4, NULL) == 4);
    CHECK(checks == 63);
    isola_proc_exit ex = wait_exit(p);
    CHECK(ex.kind == 0 && ex.reason == 0);
    isola_vm_close(vm, p);
    isola_vm_close(vm, rep);
    printf("revocation: a revoked send handle fails in its holder and in the copy it passed on (checks %u/63)\n",
           checks);
}

static void test_host_revocation(void)
{
    int32_t a, b;
    CHECK(isola_vm_channel(vm, &a, &b) == 0);
    int32_t rv = isola_vm_revoker(vm);
    CHECK(rv > 0);
    int32_t d = isola_vm_derive(vm, b, rv, R_SEND | R_DUP);
    CHECK(d > 0);
    int32_t copy = isola_vm_duplicate(vm, d, R_SEND);
    CHECK(isola_vm_send(vm, copy, 1, "x", 1, NULL, 0) == 0);
    CHECK(isola_vm_derive(vm, b, rv, 0x80u) == -2);   /* ISOLA_EACCES: rights only shrink */
    CHECK(isola_vm_derive(vm, b, a, R_SEND) == -3);     /* ISOLA_ETYPE: not a revoker */
    CHECK(isola_vm_revoke(vm, rv) == 0);
    CHECK(isola_vm_send(vm, d, 1, "x", 1, NULL, 0) == -4);
    CHECK(isola_vm_send(vm, copy, 1, "x", 1, NULL, 0) == -4);
    CHECK(isola_vm_send(vm, b, 1, "y", 1, NULL, 0) == 0);   /* the original is untouched */
    CHECK(isola_vm_derive(vm, b, rv, R_SEND) == -4);
    char got[2] = {0};
    CHECK(isola_vm_receive(vm, a, 1, 0, got, 1, NULL, NULL, 0, NULL, 0) == 1 && got[0] == 'x');
    CHECK(isola_vm_receive(vm, a, 1, 0, got, 1, NULL, NULL, 0, NULL, 0) == 1 && got[0] == 'y');
    int32_t weak = isola_vm_duplicate(vm, rv, R_DUP);
    CHECK(isola_vm_revoke(vm, weak) == -2);
    isola_vm_close(vm, weak);
    isola_vm_close(vm, copy);
    isola_vm_close(vm, d);
    isola_vm_close(vm, rv);
    isola_vm_close(vm, a);
    isola_vm_close(vm, b);
    printf("revocation: host revoker, derive and revoke\n");
}

/* ---------------------------------------------------------------- deadlocks */

static void test_deadlock_alone(void)
{
    int32_t p = spawn("waiter", NULL, 0, NULL, 0, NULL);
    CHECK(isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER) == ISOLA_VM_EDEADLOCK);
    isola_proc_exit ex;
    CHECK(isola_vm_wait(vm, p, ISOLA_VM_WAIT_FOREVER, &ex) == ISOLA_VM_EDEADLOCK);
    CHECK(isola_vm_wait(vm, p, SECOND / 20, &ex) == -10);   /* a time limit: the usual EAGAIN */
    /* A receive that only the stuck process could answer is reported too,
     * and leaves the endpoint as it was: a later message still arrives. */
    int32_t rx, tx;
    CHECK(isola_vm_channel(vm, &rx, &tx) == 0);
    char got[4];
    CHECK(isola_vm_receive(vm, rx, 1, 0, got, 4, NULL, NULL, 0, NULL, ISOLA_VM_WAIT_FOREVER) == ISOLA_VM_EDEADLOCK);
    CHECK(isola_vm_receive(vm, rx, 1, 0, got, 4, NULL, NULL, 0, NULL, SECOND / 20) == -10);
    CHECK(isola_vm_send(vm, tx, 3, "abc", 3, NULL, 0) == 0);
    CHECK(isola_vm_receive(vm, rx, 1, 0, got, 4, NULL, NULL, 0, NULL, ISOLA_VM_WAIT_FOREVER) == 3);
    isola_vm_close(vm, tx);
    isola_vm_close(vm, rx);
    isola_vm_stall st;
    CHECK(isola_vm_stalled(vm, &st) == 1);
    CHECK(st.blocked == 1 && st.receiving == 1 && st.sending == 0);
    CHECK(st.oldest_blocked == ISOLA_VM_BLOCKED_RECEIVE && st.oldest_on_mailbox == 1);
    /* The host can still end it: a message wakes it. */
    uint32_t v = 7;
    CHECK(isola_vm_send(vm, p, 1, &v, 4, NULL, 0) == 0);
    CHECK(isola_vm_wait(vm, p, ISOLA_VM_WAIT_FOREVER, &ex) == 0);
    CHECK(ex.kind == 0 && ex.reason == 7);
    CHECK(isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER) == 0);
    CHECK(isola_vm_stalled(vm, NULL) == 0);
    isola_vm_close(vm, p);
    printf("deadlock: a lone process in receive is reported\n");
}

static void test_deadlock_pair(void)
{
    int32_t hs[1] = {dup_module()};
    int32_t p = spawn("pair", NULL, 0, hs, 1, NULL);
    CHECK(isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER) == ISOLA_VM_EDEADLOCK);
    isola_vm_stall st;
    CHECK(isola_vm_stalled(vm, &st) == 1);
    CHECK(st.blocked == 2 && st.receiving == 2);
    /* Killing the first ends its peer too (children policy). */
    CHECK(isola_vm_kill(vm, p, 3) == 0);
    CHECK(isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER) == 0);
    isola_vm_close(vm, p);
    printf("deadlock: two processes waiting for each other are reported\n");
}

static void test_deadlock_sender(void)
{
    isola_proc_limits one = {.queue_count = 1, .live_children = 0};
    int32_t s = spawn("stuck", NULL, 0, NULL, 0, &one);
    int32_t to = isola_vm_duplicate(vm, s, R_SEND | R_TRANSFER);
    int32_t f = spawn("flood", NULL, 0, &to, 1, NULL);
    CHECK(isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER) == ISOLA_VM_EDEADLOCK);
    isola_vm_stall st;
    CHECK(isola_vm_stalled(vm, &st) == 1);
    CHECK(st.blocked == 2 && st.receiving == 1 && st.sending == 1);
    CHECK(isola_vm_kill(vm, f, 1) == 0);
    CHECK(isola_vm_kill(vm, s, 1) == 0);
    CHECK(isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER) == 0);
    isola_vm_close(vm, f);
    isola_vm_close(vm, s);
    printf("deadlock: a sender on a full queue is counted as such\n");
}

/* No false reports: timers armed while every worker idles, and a burst of spawns. */
static void test_no_false_deadlock(void)
{
    uint32_t naps = 100;
    int32_t p = spawn("napper", &naps, 4, NULL, 0, NULL);
    isola_proc_exit ex;
    CHECK(isola_vm_wait(vm, p, ISOLA_VM_WAIT_FOREVER, &ex) == 0);
    CHECK(ex.kind == 0 && ex.reason == 100);
    isola_vm_close(vm, p);
    for (int round = 0; round < 20; round++) {
        uint32_t n = 2000;
        int32_t hs[1] = {dup_module()};
        int32_t sp = spawn("spawner", &n, 4, hs, 1, NULL);
        CHECK(isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER) == 0);
        isola_vm_close(vm, sp);
    }
    printf("deadlock: none reported for 100 sleeps and 20 x 2000 spawns\n");
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len);
    if (b && fread(b, 1, *len, f) != *len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_policy policy.wasm\n");
        return 2;
    }
    size_t len;
    uint8_t *bytes = read_file(argv[1], &len);
    if (!bytes) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    isola_error err = {0};
    isola_engine *engine = isola_engine_new(NULL, &err);
    isola_module *module = isola_module_load(engine, bytes, len, &err);
    if (!module) {
        fprintf(stderr, "load: %s\n", err.message);
        return 1;
    }
    vm = isola_vm_new(engine, NULL, &err);
    CHECK(vm != NULL);
    module_h = isola_vm_load(vm, module, &err);
    if (module_h < 0) {
        fprintf(stderr, "vm load: %s\n", err.message);
        return 1;
    }
    test_child_killed_with_parent();
    test_detached_child();
    test_cascade();
    test_children_of_quick_parent();
    test_quota_exact(0);
    test_quota_exact(1);
    test_guest_revocation();
    test_host_revocation();
    test_deadlock_alone();
    test_deadlock_pair();
    test_deadlock_sender();
    test_no_false_deadlock();
    isola_vm_release(vm);
    isola_module_release(module);
    isola_engine_release(engine);
    free(bytes);
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    else
        printf("all policy tests passed\n");
    return failures ? 1 : 0;
}
