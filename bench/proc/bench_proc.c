/*
 * bench/proc/bench_proc.c - the isola side of the process benchmarks
 * (issue 3): spawn+exit, ping-pong, ring, N waiting processes (time, and
 * RSS per process), skynet, run through the host API on
 * tests/proc/guests.wasm. Prints a human-readable line per benchmark, and
 * RESULT lines (bench/proc_run.sh) for the waiting ones.
 * Usage: bench_proc guests.wasm [scale [only]]   (scale 1 = the issue's
 * sizes; only = comma-separated names: spawn,spawn1,pingpong,ring,wait,mem,
 * skynet; spawn1 is spawn on a VM of one worker)
 * Environment: BENCH_WORKERS=N runs N worker threads (default one per CPU);
 * BENCH_RING=N makes the ring N processes (default 10,000), BENCH_RING_LAPS=L
 * sends the token round L times (default 100).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__GLIBC__) && !defined(ISOLA_USE_JEMALLOC)
#include <malloc.h>
#endif
#include <string.h>
#include <time.h>

#include "isola/proc.h"

static isola_vm *vm;
static int32_t module_h;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int32_t dup_module(void)
{
    return isola_vm_duplicate(vm, module_h, 0x4 | 0x20 | 0x40);
}

static int32_t reply_channel(int32_t *send_end)
{
    int32_t a;
    isola_vm_channel(vm, &a, send_end);
    return a;
}

/* Seconds for n processes spawned one after another, each ending at once. */
static double spawn_run(uint32_t n)
{
    int32_t hs[1] = {dup_module()};
    double t0 = now_s();
    int32_t p = isola_vm_spawn(vm, module_h, "spawner", &n, 4, hs, 1, NULL, NULL);
    isola_vm_wait(vm, p, ISOLA_VM_WAIT_FOREVER, NULL);
    isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER);
    double t = now_s() - t0;
    isola_vm_close(vm, p);
    return t;
}

static void bench_spawn(uint32_t n)
{
    double t = spawn_run(n);
    printf("spawn %u processes: %.3f s, %.0f ns per spawn+exit, %.0f per second\n", n, t, t * 1e9 / n, n / t);
}

/* The same on a VM of its own with one worker: the figure per core (the
 * issue's "under 1 us per core"), which proc_run.sh sets beside Erlang
 * with one scheduler (erl +S 1). */
static void bench_spawn_one_core(isola_engine *engine, isola_module *module, uint32_t n)
{
    isola_vm *shared = vm;
    int32_t shared_h = module_h;
    isola_vm_config one = {.workers = 1};
    isola_error err = {0};
    vm = isola_vm_new(engine, &one, &err);
    if (vm) {
        module_h = isola_vm_load(vm, module, &err);
        double t = spawn_run(n);
        printf("spawn on one worker, %u processes: %.3f s, %.0f ns per spawn+exit\n", n, t, t * 1e9 / n);
        printf("RESULT spawn_exit_ns_per_proc_1core %.0f\n", t * 1e9 / n);
        isola_vm_release(vm);
    } else {
        printf("spawn on one worker failed: %s\n", err.message);
    }
    vm = shared;
    module_h = shared_h;
}

/* A field of this process's /proc/self/status in bytes, e.g. "VmRSS"
 * (0 if unreadable). */
static uint64_t status_bytes(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    size_t len = strlen(field);
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, len) == 0 && line[len] == ':' && sscanf(line + len + 1, "%llu", &kb) == 1)
            break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

/* n waiters alive at once (the "hive" guest spawns them, each blocks in
 * receive), then each is sent a stop: like spawn.erl's wait and mem modes.
 * Prints the total time and the RSS growth per process while all are alive. */
static void bench_wait(uint32_t n, const char *what)
{
    int32_t report_end, recv_end = reply_channel(&report_end);
    int32_t hs[2] = {dup_module(), report_end};
    isola_proc_limits lim = {.memory_pages = n + 64 + (n * 4 + 65535) / 65536, .handle_count = n + 16,
                             .live_children = n};
    uint64_t rss0 = status_bytes("VmRSS"), pte0 = status_bytes("VmPTE");
    double t0 = now_s();
    int32_t p = isola_vm_spawn(vm, module_h, "hive", &n, 4, hs, 2, &lim, NULL);
    int32_t got = 0;
    int32_t r = isola_vm_receive(vm, recv_end, 1, 0, &got, 4, NULL, NULL, 0, NULL, ISOLA_VM_WAIT_FOREVER);
    double t1 = now_s();
    uint64_t rss1 = status_bytes("VmRSS"), pte1 = status_bytes("VmPTE");
    uint32_t stop = 1;
    isola_vm_send(vm, p, 12, &stop, 4, NULL, 0);
    isola_vm_wait(vm, p, ISOLA_VM_WAIT_FOREVER, NULL);
    isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER);
    double t2 = now_s();
    if (r != 4 || got != (int32_t)n) {
        printf("%s %u waiting processes failed: %d %d\n", what, n, r, got);
    } else if (what[0] == 'w') {
        printf("wait %u processes: spawned and blocked %.3f s, all stopped and ended %.3f s\n", n, t1 - t0, t2 - t0);
        printf("RESULT spawn_wait_total_ms %.0f\n", (t2 - t0) * 1e3);
    } else {
        /* Page tables are the kernel's memory, not in RSS, but a process's
         * all the same: printed beside it. */
        double per = ((double)rss1 - (double)rss0) / n, pte = ((double)pte1 - (double)pte0) / n;
        printf("mem %u waiting processes: %.0f bytes of RSS each, and %.0f of page tables\n", n, per, pte);
        printf("RESULT idle_proc_bytes_rss %.0f\n", per);
        printf("RESULT idle_proc_bytes_pte %.0f\n", pte);
    }
    isola_vm_close(vm, p);
    isola_vm_close(vm, recv_end);
}

static void bench_pingpong(uint32_t rounds)
{
    int32_t send_end, recv_end = reply_channel(&send_end);
    int32_t hs[2] = {dup_module(), send_end};
    int32_t p = isola_vm_spawn(vm, module_h, "pingpong", &rounds, 4, hs, 2, NULL, NULL);
    int64_t ns = 0;
    isola_vm_receive(vm, recv_end, 1, 0, &ns, 8, NULL, NULL, 0, NULL, ISOLA_VM_WAIT_FOREVER);
    isola_vm_wait(vm, p, ISOLA_VM_WAIT_FOREVER, NULL);
    printf("ping-pong %u round trips: %.0f ns per round trip\n", rounds, (double)ns / rounds);
    isola_vm_close(vm, p);
    isola_vm_close(vm, recv_end);
}

static void bench_ring(uint32_t n, uint32_t laps)
{
    int32_t send_end, recv_end = reply_channel(&send_end);
    uint32_t arg[2] = {n, laps};
    int32_t hs[2] = {dup_module(), send_end};
    isola_proc_limits lim = {.memory_pages = 4 + 2 * n, .live_children = n, .handle_count = 2 * n};
    int32_t p = isola_vm_spawn(vm, module_h, "ring", arg, 8, hs, 2, &lim, NULL);
    int64_t ns = 0;
    int32_t r = isola_vm_receive(vm, recv_end, 1, 0, &ns, 8, NULL, NULL, 0, NULL, ISOLA_VM_WAIT_FOREVER);
    isola_vm_wait(vm, p, ISOLA_VM_WAIT_FOREVER, NULL);
    isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER);
    if (r == 8)
        printf("ring %u processes x %u laps: %.0f ns per hop\n", n, laps, (double)ns / ((double)n * laps));
    else
        printf("ring failed: %d\n", r);
    isola_vm_close(vm, p);
    isola_vm_close(vm, recv_end);
}

static void bench_skynet(uint32_t leaves)
{
    int32_t send_end, recv_end = reply_channel(&send_end);
    uint32_t arg[2] = {0, leaves};
    int32_t hs[2] = {dup_module(), send_end};
    double t0 = now_s();
    uint32_t nodes = 0;
    for (uint32_t d = leaves, level = 1; d >= 1; d /= 10, level *= 10)
        nodes += level;
    isola_proc_limits lim = {.memory_pages = 2 * nodes + 2, .live_children = nodes, .handle_count = 64};
    int32_t p = isola_vm_spawn(vm, module_h, "skynet", arg, 8, hs, 2, &lim, NULL);
    (void)p;
    uint64_t sum = 0;
    int32_t r = isola_vm_receive(vm, recv_end, 1, 0, &sum, 8, NULL, NULL, 0, NULL, ISOLA_VM_WAIT_FOREVER);
    double t = now_s() - t0;
    isola_vm_wait_all(vm, ISOLA_VM_WAIT_FOREVER);
    uint64_t want = (uint64_t)leaves * (leaves - 1) / 2;
    printf("skynet %u leaves: %.3f s, sum %llu (%s)\n", leaves, t, (unsigned long long)sum,
           r == 8 && sum == want ? "ok" : "WRONG");
    isola_vm_close(vm, p);
    isola_vm_close(vm, recv_end);
}

/* Whether benchmark `name` is in the comma-separated list `only` (NULL: all). */
static bool selected(const char *only, const char *name)
{
    if (!only)
        return true;
    size_t n = strlen(name);
    for (const char *s = only; (s = strstr(s, name)); s += n)
        if ((s == only || s[-1] == ',') && (s[n] == ',' || s[n] == 0))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_proc guests.wasm [scale-divisor [spawn,spawn1,pingpong,ring,wait,mem,skynet]]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
#if defined(__GLIBC__) && !defined(ISOLA_USE_JEMALLOC)
    mallopt(M_ARENA_MAX, 1);   /* as `isola` runs: see docs/architecture.md, "Resource reuse" */
#endif
    uint32_t div = argc > 2 ? (uint32_t)atoi(argv[2]) : 1;
    if (div == 0)
        div = 1;
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 2;
    static uint8_t bytes[1 << 20];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    isola_error err = {0};
    isola_engine *engine = isola_engine_new(NULL, &err);
    isola_module *module = isola_module_load(engine, bytes, len, &err);
    /* BENCH_WORKERS=N: N worker threads (default: one per CPU), for figures
     * per core and for runs that don't depend on how two workers meet. */
    isola_vm_config cfg = {.workers = getenv("BENCH_WORKERS") ? (uint32_t)atoi(getenv("BENCH_WORKERS")) : 0};
    vm = module ? isola_vm_new(engine, &cfg, &err) : NULL;
    if (!vm) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    module_h = isola_vm_load(vm, module, &err);
    const char *only = argc > 3 ? argv[3] : NULL;
    if (selected(only, "spawn"))
        bench_spawn(1000000 / div);
    if (selected(only, "spawn1"))
        bench_spawn_one_core(engine, module, 1000000 / div);
    if (selected(only, "pingpong"))
        bench_pingpong(1000000 / div);
    /* BENCH_RING=N: a ring of N processes (default 10,000), to see what
     * the number of cold processes costs a hop; BENCH_RING_LAPS=L makes the
     * token go round L times (default 100), so a profile sees the hops and
     * not the set-up. */
    if (selected(only, "ring"))
        bench_ring(getenv("BENCH_RING") ? (uint32_t)atoi(getenv("BENCH_RING")) : 10000 / (div > 10 ? 10 : div),
                   getenv("BENCH_RING_LAPS") ? (uint32_t)atoi(getenv("BENCH_RING_LAPS")) : 100);
    if (selected(only, "wait"))
        bench_wait(1000000 / div, "wait");
    if (selected(only, "mem"))
        bench_wait(100000 / div, "mem");
    if (selected(only, "skynet"))
        bench_skynet(div == 1 ? 1000000 : div <= 10 ? 100000 : 10000);
    isola_vm_release(vm);
    isola_module_release(module);
    isola_engine_release(engine);
    return 0;
}
