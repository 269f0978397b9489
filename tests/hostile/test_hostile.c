/*
 * tests/hostile/test_hostile.c - the hostile-guest suite (docs/reliability.md,
 * "Hostile guests"). Each case runs guests that try to escape or exhaust
 * the VM next to well-behaved neighbour processes, and asserts:
 *   - the hostile process ends the way it must (the exact trap kind, exit
 *     kind or status codes), or is contained (by fuel, quotas, queue bounds);
 *   - the neighbours' results are exact, before, during and after;
 *   - everything is reclaimed: no process alive, the host's handle table back
 *     to its baseline, no message block left (counted through the message
 *     allocator hook), no linear-memory slot in use (the engine's pool).
 *
 * The reclamation checks read the VM's and the engine's internals
 * (src/proc/vm.h, src/exec/runtime.h); the public API has only
 * isola_vm_live/isola_vm_spawned.
 *
 * Usage: test_hostile DIR CASE, where DIR holds the guest modules (built by
 * CMakeLists.txt) and CASE is one of the names in `cases` below.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/mempool.h"
#include "exec/runtime.h"
#include "isola/proc.h"
#include "proc/message.h"
#include "proc/vm.h"

static int failures;

#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                   \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

#define CHECK_EQ(a, b, what)                                                                           \
    do {                                                                                               \
        long long a_ = (long long)(a), b_ = (long long)(b);                                            \
        if (a_ != b_) {                                                                                \
            fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", __FILE__, __LINE__, what, a_, b_);    \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

#define SECOND 1000000000LL

enum { EXIT_NORMAL = 0, EXIT_EXIT = 1, EXIT_TRAP = 2, EXIT_KILLED = 3, EXIT_LIMIT = 4 };

#define SEND_WAIT 1u   /* the guest's send flag: wait while the queue is full */
#define R_SEND ISOLA_RIGHT_SEND
#define R_ALL_CHANNEL (ISOLA_RIGHT_SEND | ISOLA_RIGHT_RECEIVE | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)

/* ---------------------------------------------------------------- message accounting */

static atomic_llong msg_blocks, msg_bytes, msg_peak_bytes;

static void *count_alloc(size_t size, void *context)
{
    (void)context;
    void *b = malloc(size);
    if (b) {
        atomic_fetch_add(&msg_blocks, 1);
        long long now = atomic_fetch_add(&msg_bytes, (long long)size) + (long long)size;
        long long peak = atomic_load(&msg_peak_bytes);
        while (now > peak && !atomic_compare_exchange_weak(&msg_peak_bytes, &peak, now)) {
        }
    }
    return b;
}

static void count_free(void *block, size_t size, void *context)
{
    (void)context;
    atomic_fetch_sub(&msg_blocks, 1);
    atomic_fetch_sub(&msg_bytes, (long long)size);
    free(block);
}

/* ---------------------------------------------------------------- the VM of a case */

enum { MOD_GUESTS, MOD_OOB, MOD_TABLE, MOD_MISC, MOD_COUNT };
static const char *const module_files[MOD_COUNT] = {"guests.wasm", "oob.wasm", "table.wasm", "misc.wasm"};

static const char *dir;
static isola_engine *engine;
static isola_vm *vm;
static isola_module *modules[MOD_COUNT];
static int32_t mod[MOD_COUNT];
static uint32_t base_host_handles;

static uint8_t *read_file(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len);
    if (!b || fread(b, 1, *len, f) != *len) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    return b;
}

static isola_module *load_module(const char *name)
{
    size_t len;
    uint8_t *bytes = read_file(name, &len);
    isola_error err = {0};
    isola_module *m = isola_module_load(engine, bytes, len, &err);
    free(bytes);
    if (!m) {
        fprintf(stderr, "%s: %s\n", name, err.message);
        exit(2);
    }
    return m;
}

/* Memory slots in use, once the pool has settled to `want` (or 10 s passed):
 * when the last process ends, its worker trims the pool, and a slot being
 * trimmed counts as in use for that moment. */
static uint64_t slots_in_use_settled(uint64_t want)
{
    for (int i = 0;; i++) {
        uint64_t n = exec_mempool_in_use(engine->pool);
        if (n == want || i == 10000)
            return n;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

static void vm_open(uint32_t workers)
{
    isola_error err = {0};
    engine = isola_engine_new(NULL, &err);
    isola_vm_config cfg = {.workers = workers};
    vm = engine ? isola_vm_new(engine, &cfg, &err) : NULL;
    if (!vm) {
        fprintf(stderr, "VM: %s\n", err.message);
        exit(2);
    }
    for (int i = 0; i < MOD_COUNT; i++) {
        modules[i] = load_module(module_files[i]);
        mod[i] = isola_vm_load(vm, modules[i], &err);
        if (mod[i] < 0) {
            fprintf(stderr, "%s: %s\n", module_files[i], err.message);
            exit(2);
        }
    }
    base_host_handles = vm->host_handles.live;
}

/* Every process has ended, and the case closed every handle it made:
 * nothing of what the guests used may be left. */
static void expect_reclaimed(void)
{
    CHECK_EQ(isola_vm_wait_all(vm, 30 * SECOND), 0, "wait_all");
    CHECK_EQ(isola_vm_live(vm), 0, "live processes");
    CHECK_EQ(vm->host_handles.live, base_host_handles, "host handles");
    CHECK_EQ(atomic_load(&msg_blocks), 0, "message blocks");
    CHECK_EQ(slots_in_use_settled(0), 0, "memory slots in use");
}

static void vm_close(void)
{
    expect_reclaimed();
    isola_vm_release(vm);
    for (int i = 0; i < MOD_COUNT; i++)
        isola_module_release(modules[i]);
    isola_engine_release(engine);
    CHECK_EQ(atomic_load(&msg_blocks), 0, "message blocks after release");
}

static int32_t spawn(int m, const char *entry, const void *arg, uint32_t len, int32_t *hs, uint32_t n,
                     const isola_proc_limits *lim)
{
    isola_error err = {0};
    int32_t p = isola_vm_spawn(vm, mod[m], entry, arg, len, hs, n, lim, &err);
    if (p < 0) {
        fprintf(stderr, "spawn %s: %d %s\n", entry, p, err.message);
        failures++;
    }
    return p;
}

static int32_t dup_of(int32_t h, uint32_t rights)
{
    int32_t d = isola_vm_duplicate(vm, h, rights);
    CHECK(d > 0);
    return d;
}

static isola_proc_exit wait_exit(int32_t p, int64_t timeout)
{
    isola_proc_exit ex = {.kind = -1, .reason = -1};
    CHECK_EQ(isola_vm_wait(vm, p, timeout, &ex), 0, "process ended in time");
    return ex;
}

/* Waits for `p`, checks how it ended and closes its handle. */
static void expect_exit(int32_t p, int32_t kind, int32_t reason, const char *what)
{
    isola_proc_exit ex = wait_exit(p, 30 * SECOND);
    if (ex.kind != kind || ex.reason != reason) {
        fprintf(stderr, "%s: ended with kind %d reason %d, want kind %d reason %d\n", what, ex.kind, ex.reason,
                kind, reason);
        failures++;
    }
    CHECK_EQ(isola_vm_close(vm, p), 0, "close process handle");
}

/* ---------------------------------------------------------------- neighbours */

typedef struct neighbours {
    int32_t recv;            /* where they reply */
    int32_t procs[4];
    uint32_t n;
    int32_t served;
    uint32_t junk[4];        /* messages of other tags each must have seen */
    uint32_t handle_value[4];
} neighbours;

static void nb_start(neighbours *nb, uint32_t n)
{
    memset(nb, 0, sizeof *nb);
    int32_t send;
    CHECK_EQ(isola_vm_channel(vm, &nb->recv, &send), 0, "channel");
    isola_proc_limits lim = {.memory_pages = 4, .handle_count = 32, .live_children = 0};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = i + 1;
        int32_t reply = dup_of(send, R_SEND | ISOLA_RIGHT_TRANSFER);
        nb->procs[i] = spawn(MOD_GUESTS, "neighbour", &id, 4, &reply, 1, &lim);
    }
    nb->n = n;
    isola_vm_close(vm, send);
}

/* Asks every neighbour for x*x+id and checks each answer exactly. */
static void nb_round(neighbours *nb, uint32_t x)
{
    for (uint32_t i = 0; i < nb->n; i++)
        CHECK_EQ(isola_vm_send(vm, nb->procs[i], 1, &x, 4, NULL, 0), 0, "send to a neighbour");
    uint32_t seen = 0;
    for (uint32_t k = 0; k < nb->n; k++) {
        uint32_t out[6] = {0};
        uint64_t tag = 0;
        int32_t r = isola_vm_receive(vm, nb->recv, 1, 0, out, sizeof out, &tag, NULL, 0, NULL, 30 * SECOND);
        CHECK_EQ(r, (int32_t)sizeof out, "neighbour reply size");
        if (r != (int32_t)sizeof out)
            return;
        uint32_t id = out[0];
        CHECK(id >= 1 && id <= nb->n && !(seen & (1u << id)));
        if (id < 1 || id > nb->n)
            return;
        seen |= 1u << id;
        CHECK_EQ(tag, 2, "neighbour reply tag");
        CHECK_EQ(out[1], x, "neighbour echo");
        CHECK_EQ(out[2], x * x + id, "neighbour result");
        CHECK_EQ(out[3], 1, "neighbour memory intact");
        CHECK_EQ(out[5], nb->junk[id - 1], "neighbour: messages of other tags");
        nb->handle_value[id - 1] = out[4];
    }
    nb->served++;
}

static void nb_stop(neighbours *nb)
{
    for (uint32_t i = 0; i < nb->n; i++) {
        CHECK_EQ(isola_vm_send(vm, nb->procs[i], 0, NULL, 0, NULL, 0), 0, "stop a neighbour");
        expect_exit(nb->procs[i], EXIT_NORMAL, nb->served, "neighbour");
    }
    isola_vm_close(vm, nb->recv);
}

/* ---------------------------------------------------------------- memory out of bounds */

typedef struct oob_case {
    const char *name;
    uint32_t width;
} oob_case;

/* The case table of oob.wat, in order. */
static const oob_case oob_cases[] = {
    {"i32.load", 4}, {"i32.load_offmax", 4}, {"i64.load", 8}, {"i64.load_offmax", 8},
    {"f32.load", 4}, {"f32.load_offmax", 4}, {"f64.load", 8}, {"f64.load_offmax", 8},
    {"i32.load8_s", 1}, {"i32.load8_s_offmax", 1}, {"i32.load8_u", 1}, {"i32.load8_u_offmax", 1},
    {"i32.load16_s", 2}, {"i32.load16_s_offmax", 2}, {"i32.load16_u", 2}, {"i32.load16_u_offmax", 2},
    {"i64.load8_s", 1}, {"i64.load8_s_offmax", 1}, {"i64.load8_u", 1}, {"i64.load8_u_offmax", 1},
    {"i64.load16_s", 2}, {"i64.load16_s_offmax", 2}, {"i64.load16_u", 2}, {"i64.load16_u_offmax", 2},
    {"i64.load32_s", 4}, {"i64.load32_s_offmax", 4}, {"i64.load32_u", 4}, {"i64.load32_u_offmax", 4},
    {"v128.load", 16}, {"v128.load_offmax", 16}, {"v128.load8x8_s", 8}, {"v128.load8x8_s_offmax", 8},
    {"v128.load8x8_u", 8}, {"v128.load8x8_u_offmax", 8}, {"v128.load16x4_s", 8}, {"v128.load16x4_s_offmax", 8},
    {"v128.load16x4_u", 8}, {"v128.load16x4_u_offmax", 8}, {"v128.load32x2_s", 8}, {"v128.load32x2_s_offmax", 8},
    {"v128.load32x2_u", 8}, {"v128.load32x2_u_offmax", 8}, {"v128.load8_splat", 1}, {"v128.load8_splat_offmax", 1},
    {"v128.load16_splat", 2}, {"v128.load16_splat_offmax", 2}, {"v128.load32_splat", 4},
    {"v128.load32_splat_offmax", 4}, {"v128.load64_splat", 8}, {"v128.load64_splat_offmax", 8},
    {"v128.load32_zero", 4}, {"v128.load32_zero_offmax", 4}, {"v128.load64_zero", 8}, {"v128.load64_zero_offmax", 8},
    {"v128.load8_lane", 1}, {"v128.load8_lane_offmax", 1}, {"v128.load16_lane", 2}, {"v128.load16_lane_offmax", 2},
    {"v128.load32_lane", 4}, {"v128.load32_lane_offmax", 4}, {"v128.load64_lane", 8}, {"v128.load64_lane_offmax", 8},
    {"i32.store", 4}, {"i32.store_offmax", 4}, {"i64.store", 8}, {"i64.store_offmax", 8},
    {"f32.store", 4}, {"f32.store_offmax", 4}, {"f64.store", 8}, {"f64.store_offmax", 8},
    {"i32.store8", 1}, {"i32.store8_offmax", 1}, {"i32.store16", 2}, {"i32.store16_offmax", 2},
    {"i64.store8", 1}, {"i64.store8_offmax", 1}, {"i64.store16", 2}, {"i64.store16_offmax", 2},
    {"i64.store32", 4}, {"i64.store32_offmax", 4}, {"v128.store", 16}, {"v128.store_offmax", 16},
    {"v128.store8_lane", 1}, {"v128.store8_lane_offmax", 1}, {"v128.store16_lane", 2},
    {"v128.store16_lane_offmax", 2}, {"v128.store32_lane", 4}, {"v128.store32_lane_offmax", 4},
    {"v128.store64_lane", 8}, {"v128.store64_lane_offmax", 8},
    {"memory.fill", 16}, {"memory.copy_dst", 16}, {"memory.copy_src", 16}, {"memory.init", 16},
};

#define OOB_CASES (sizeof oob_cases / sizeof oob_cases[0])
#define PAGE 65536u

typedef struct probe {
    uint32_t arg[3];   /* case, address, pages to grow first */
    int ok;            /* must end normally (else: must trap out of bounds) */
    int32_t p;
} probe;

static uint32_t oob_plan(uint32_t c, probe *out)
{
    uint32_t w = oob_cases[c].width, n = 0, end = PAGE, end2 = 2 * PAGE;
    if (strstr(oob_cases[c].name, "_offmax")) {
        /* address + 0xFFFFFFFF is past the end whatever the address. */
        const uint32_t addrs[] = {0, 1, 16, end - w};
        for (uint32_t i = 0; i < 4; i++)
            out[n++] = (probe){{c, addrs[i], 0}, 0, 0};
        return n;
    }
    out[n++] = (probe){{c, end - 16 - w, 0}, 1, 0};   /* interior: the reference result */
    out[n++] = (probe){{c, end - w, 0}, 1, 0};        /* ends exactly at the end */
    const uint32_t bad[] = {end - w + 1, end, end + PAGE, 0xFFFFFFFFu, 0xFFFFFFF8u, 0x80000000u, 16u << 20};
    for (uint32_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        out[n++] = (probe){{c, bad[i], 0}, 0, 0};
    out[n++] = (probe){{c, end2 - w, 1}, 1, 0};       /* after memory.grow the end moved */
    out[n++] = (probe){{c, end2 - w + 1, 1}, 0, 0};
    return n;
}

static void case_oob(void)
{
    neighbours nb;
    nb_start(&nb, 2);
    nb_round(&nb, 3);
    isola_proc_limits lim = {.memory_pages = 4, .handle_count = 4, .live_children = 0};
    uint32_t probes = 0;
    for (uint32_t c = 0; c < OOB_CASES; c++) {
        probe plan[16];
        uint32_t n = oob_plan(c, plan);
        for (uint32_t i = 0; i < n; i++)
            plan[i].p = spawn(MOD_OOB, "probe", plan[i].arg, sizeof plan[i].arg, NULL, 0, &lim);
        int32_t reference = 0;
        for (uint32_t i = 0; i < n; i++) {
            isola_proc_exit ex = wait_exit(plan[i].p, 30 * SECOND);
            isola_vm_close(vm, plan[i].p);
            int good = plan[i].ok ? ex.kind == EXIT_NORMAL && (i == 0 || ex.reason == reference)
                                  : ex.kind == EXIT_TRAP && ex.reason == ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS;
            if (i == 0)
                reference = ex.reason;
            if (!good) {
                fprintf(stderr, "oob %s at 0x%x (grow %u): kind %d reason %d; want %s\n", oob_cases[c].name,
                        plan[i].arg[1], plan[i].arg[2], ex.kind, ex.reason,
                        plan[i].ok ? "the interior result" : "an out-of-bounds trap");
                failures++;
            }
        }
        probes += n;
        if (c % 16 == 0)
            nb_round(&nb, c);
    }
    nb_round(&nb, 1000);
    nb_stop(&nb);
    printf("oob: %u accesses over %zu cases, neighbours exact\n", probes, OOB_CASES);
}

/* ---------------------------------------------------------------- tables */

typedef struct table_case {
    uint32_t arg[3];   /* case, x, y (see table.wat) */
    int32_t kind, reason;
} table_case;

static void case_table(void)
{
    static const table_case cases[] = {
        {{0, 0, 0}, 0, 100}, {{0, 1, 0}, 0, 101}, {{0, 2, 0}, 2, ISOLA_TRAP_UNINITIALIZED_ELEMENT},
        {{0, 3, 0}, 2, ISOLA_TRAP_INDIRECT_CALL_TYPE}, {{0, 4, 0}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{0, 8, 0}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS}, {{0, 0xFFFFFFFFu, 0}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{0, 0x80000000u, 0}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{1, 2, 0}, 0, 1}, {{1, 0, 0}, 0, 0}, {{1, 4, 0}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{1, 0xFFFFFFFFu, 0}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{2, 3, 0}, 0, 1}, {{2, 4, 0}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{2, 0xFFFFFFFFu, 0}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{3, 4, 0}, 0, 4}, {{3, 5, 0}, 0, -1}, {{3, 0xFFFFFFFFu, 0}, 0, -1}, {{3, 0, 0}, 0, 4},
        {{4, 4, 7}, 2, ISOLA_TRAP_UNINITIALIZED_ELEMENT}, {{4, 4, 8}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{4, 5, 4}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{5, 2, 2}, 0, 1}, {{5, 3, 2}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{5, 0xFFFFFFFFu, 2}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS}, {{5, 4, 0}, 0, 1},
        {{5, 5, 0}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{6, 2, 2}, 0, 1}, {{6, 3, 2}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{6, 0xFFFFFFFEu, 4}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{7, 2, 2}, 0, 1}, {{7, 3, 2}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS}, {{7, 0, 3}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{8, 0, 0}, 0, 1}, {{8, 0, 1}, 2, ISOLA_TRAP_TABLE_OUT_OF_BOUNDS},
        {{9, 0, 0}, 2, ISOLA_TRAP_INDIRECT_CALL_TYPE},
        {{10, 3, 0}, 0, 1005}, {{10, 0, 0}, 2, ISOLA_TRAP_INDIRECT_CALL_TYPE},
        {{10, 2, 0}, 2, ISOLA_TRAP_UNINITIALIZED_ELEMENT},
        /* Memory limit 2 pages: 16,384 elements in all, 4 of them $t's. */
        {{11, 0, 16380}, 0, 0}, {{11, 0, 16381}, 0, -1}, {{11, 10000, 6380}, 0, 10000},
        {{11, 10000, 6381}, 0, -1}, {{11, 0xFFFFFFFFu, 1}, 0, 0},
    };
    neighbours nb;
    nb_start(&nb, 2);
    nb_round(&nb, 5);
    isola_proc_limits lim = {.memory_pages = 2, .handle_count = 4, .live_children = 0};
    const uint32_t n = sizeof cases / sizeof cases[0];
    int32_t p[sizeof cases / sizeof cases[0]];
    for (uint32_t i = 0; i < n; i++)
        p[i] = spawn(MOD_TABLE, "abuse", cases[i].arg, sizeof cases[i].arg, NULL, 0, &lim);
    for (uint32_t i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof what, "table case %u (%d, 0x%x, %u)", i, cases[i].arg[0], cases[i].arg[1],
                 cases[i].arg[2]);
        expect_exit(p[i], cases[i].kind, cases[i].reason, what);
    }
    nb_round(&nb, 6);
    nb_stop(&nb);
    printf("table: %u cases of table and call_indirect abuse, neighbours exact\n", n);
}

/* 50 neighbour rounds (x = first, first + 1, ...); how long they took, in ms. */
static double nb_rounds_ms(neighbours *nb, uint32_t first)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint32_t i = 0; i < 50; i++)
        nb_round(nb, first + i);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

/* ---------------------------------------------------------------- stack */

static void case_stack(void)
{
    static const char *const entries[] = {"recurse", "recurse_indirect", "wide_recurse", "big_frame"};
    neighbours nb;
    nb_start(&nb, 2);
    nb_round(&nb, 7);
    int32_t p[4][3];
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < 4; i++)
            p[i][rep] = spawn(MOD_MISC, entries[i], NULL, 0, NULL, 0, NULL);
    nb_round(&nb, 8);
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < 4; i++)
            expect_exit(p[i][rep], EXIT_TRAP, ISOLA_TRAP_STACK_EXHAUSTED, entries[i]);
    nb_round(&nb, 9);
    nb_stop(&nb);
    printf("stack: 12 stack exhaustions (direct, indirect, wide frames, one huge frame), neighbours exact\n");
}

/* ---------------------------------------------------------------- endless loops */

/* How many ticks a ticker (guests.c) sends before a fuel total of `total`
 * ends it, in slices of `slice`. */
static uint32_t ticks_on_fuel(uint64_t total, uint64_t slice)
{
    int32_t recv, send;
    CHECK_EQ(isola_vm_channel(vm, &recv, &send), 0, "channel");
    uint32_t every = 100;
    isola_proc_limits lim = {.fuel_total = total, .fuel_per_slice = slice, .queue_count = 1024};
    int32_t t = spawn(MOD_GUESTS, "ticker", &every, 4, &send, 1, &lim);
    expect_exit(t, EXIT_LIMIT, 0, "ticker with a fuel total");
    uint32_t ticks = 0;
    uint64_t tag = 0;
    while (isola_vm_receive(vm, recv, 1, 0, NULL, 0, &tag, NULL, 0, NULL, 0) == 0)
        ticks++;
    isola_vm_close(vm, recv);
    return ticks;
}

static void case_spin(void)
{
    /* One worker: the neighbours get CPU only if the spinners are preempted. */
    neighbours nb;
    nb_start(&nb, 2);
    int32_t s1 = spawn(MOD_MISC, "spin", NULL, 0, NULL, 0, NULL);
    int32_t s2 = spawn(MOD_MISC, "spin_calls", NULL, 0, NULL, 0, NULL);
    isola_proc_limits capped = {.fuel_total = 3000000};
    int32_t s3 = spawn(MOD_MISC, "spin", NULL, 0, NULL, 0, &capped);
    /* The host may grant an unlimited slice: it is still cut into slices. */
    isola_proc_limits unlimited = {.fuel_per_slice = UINT64_MAX};
    int32_t s4 = spawn(MOD_MISC, "spin", NULL, 0, NULL, 0, &unlimited);
    double ms = nb_rounds_ms(&nb, 100);
    expect_exit(s3, EXIT_LIMIT, 0, "spin with a fuel total");
    /* A fuel total smaller than a slice: the slice stops at the total, so
     * a ticker with 3,000 units in slices of 10,000 ticks no more than one
     * in slices of 1,000 (before, its one slice ran all 10,000). */
    uint32_t ticks_big = ticks_on_fuel(3000, 10000), ticks_small = ticks_on_fuel(3000, 1000);
    if (ticks_small == 0 || ticks_big > ticks_small + ticks_small / 10 + 2) {
        fprintf(stderr, "ticker on 3,000 units: %u ticks in slices of 10,000, %u in slices of 1,000\n", ticks_big,
                ticks_small);
        failures++;
    }
    isola_proc_exit ex;
    CHECK_EQ(isola_vm_wait(vm, s1, 0, &ex), ISOLA_EAGAIN, "spin still running");
    CHECK_EQ(isola_vm_wait(vm, s2, 0, &ex), ISOLA_EAGAIN, "spin_calls still running");
    CHECK_EQ(isola_vm_wait(vm, s4, 0, &ex), ISOLA_EAGAIN, "unlimited spin still running");
    CHECK_EQ(isola_vm_kill(vm, s1, 9), 0, "kill spin");
    CHECK_EQ(isola_vm_kill(vm, s2, 10), 0, "kill spin_calls");
    CHECK_EQ(isola_vm_kill(vm, s4, 11), 0, "kill unlimited spin");
    expect_exit(s1, EXIT_KILLED, 9, "spin");
    expect_exit(s2, EXIT_KILLED, 10, "spin_calls");
    expect_exit(s4, EXIT_KILLED, 11, "unlimited spin");
    nb_stop(&nb);
    printf("spin: 1 worker, 2 endless loops + 1 fuel-capped + 1 with an unlimited slice: 50 neighbour rounds in %.0f ms\n",
           ms);
}

/* ---------------------------------------------------------------- bulk instructions */

/* Time allowed for what takes milliseconds natively: stretched by
 * ISOLA_TEST_TIME_SCALE under valgrind (tests/memcheck). */
static double scaled_ms(double ms)
{
    const char *s = getenv("ISOLA_TEST_TIME_SCALE");
    return s && atoi(s) > 0 ? ms * atoi(s) : ms;
}

static void case_bulk(void)
{
    /* One worker, like spin: each of these instructions moves 8-16 MB, so
     * a slice of 10,000 units charged per instruction would run for
     * seconds (the neighbours' rounds and the kills wait for slices). */
    neighbours nb;
    nb_start(&nb, 2);
    static const char *const entries[] = {"spin_fill", "spin_copy", "spin_table"};
    isola_proc_limits lim = {.memory_pages = 256};
    int32_t s[3];
    for (int i = 0; i < 3; i++)
        s[i] = spawn(MOD_MISC, entries[i], NULL, 0, NULL, 0, &lim);
    isola_proc_limits capped = {.memory_pages = 256, .fuel_total = 2000000};
    int32_t s_capped = spawn(MOD_MISC, "spin_fill", NULL, 0, NULL, 0, &capped);
    double ms = nb_rounds_ms(&nb, 200);
    /* 50 rounds wait for about 100 slices of each spinner: a few ms each. */
    if (ms > scaled_ms(5000)) {
        fprintf(stderr, "bulk: 50 neighbour rounds took %.0f ms\n", ms);
        failures++;
    }
    /* A fuel total is spent by the bytes moved: 2M units are 128 MB of fill. */
    expect_exit(s_capped, EXIT_LIMIT, 0, "spin_fill with a fuel total");
    for (int i = 0; i < 3; i++) {
        isola_proc_exit ex;
        CHECK_EQ(isola_vm_wait(vm, s[i], 0, &ex), ISOLA_EAGAIN, "bulk spinner still running");
        CHECK_EQ(isola_vm_kill(vm, s[i], 20 + i), 0, "kill bulk spinner");
    }
    for (int i = 0; i < 3; i++)
        expect_exit(s[i], EXIT_KILLED, 20 + i, entries[i]);
    /* Host calls are paid for: a unit each (100,000 iterations of 256
     * now() calls cannot fit 1 M units), and work past the slice is a
     * debt (80 refused 1 MiB sends at 16,384 units each cannot fit 1 M;
     * with the excess forgiven, each cost at most a 10,000-unit slice). */
    uint32_t iterations = 100000, tries = 80;
    isola_proc_limits nl = {.memory_pages = 4, .fuel_total = 1000000, .live_children = 0};
    expect_exit(spawn(MOD_GUESTS, "now_loop", &iterations, 4, NULL, 0, &nl), EXIT_LIMIT, 0, "now_loop");
    isola_proc_limits bl = {.memory_pages = 64, .queue_bytes = 1 << 20, .fuel_total = 1000000,
                            .live_children = 0};
    expect_exit(spawn(MOD_GUESTS, "big_send", &tries, 4, NULL, 0, &bl), EXIT_LIMIT, 0, "big_send");
    nb_stop(&nb);
    printf("bulk: 1 worker, endless memory.fill, memory.copy and table.fill of 8-16 MB each + 1 fuel-capped: "
           "50 neighbour rounds in %.0f ms\n", ms);
}

/* ---------------------------------------------------------------- memory bombs */

static void case_membomb(void)
{
    neighbours nb;
    nb_start(&nb, 1);
    nb_round(&nb, 11);
    /* guests.wasm starts with 2 pages; the limit counts them. */
    struct {
        uint32_t limit, step;
        int32_t want;
    } bombs[] = {{64, 1, 62}, {64, 7, 56}, {0, 16, 240}, {3, 1, 1}, {2, 1, 0}};
    const uint32_t n = sizeof bombs / sizeof bombs[0];
    for (int round = 0; round < 2; round++) {
        int32_t p[8];
        for (uint32_t i = 0; i < n; i++) {
            isola_proc_limits lim = {.memory_pages = bombs[i].limit, .live_children = 0};
            p[i] = spawn(MOD_GUESTS, "membomb", &bombs[i].step, 4, NULL, 0, &lim);
        }
        for (uint32_t i = 0; i < n; i++)
            expect_exit(p[i], EXIT_NORMAL, bombs[i].want, "membomb");
        nb_round(&nb, 12 + (uint32_t)round);
        CHECK_EQ(slots_in_use_settled(1), 1, "memory slots: only the neighbour's");
    }
    /* A module whose initial memory exceeds the limit cannot start at all. */
    isola_proc_limits tiny = {.memory_pages = 1, .live_children = 0};
    isola_error err = {0};
    uint32_t step = 1;
    CHECK(isola_vm_spawn(vm, mod[MOD_GUESTS], "membomb", &step, 4, NULL, 0, &tiny, &err) < 0);
    /* A process's own memory and what it lends a child share its limit:
     * 16 pages, 2 its own at the start and 8 lent, leave 6 to grow by; once
     * the child has ended, its 8 come back. */
    int32_t mh = dup_of(mod[MOD_GUESTS], ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
    uint32_t lend = 8;
    isola_proc_limits lender_lim = {.memory_pages = 16, .live_children = 1};
    int32_t l = spawn(MOD_GUESTS, "lender", &lend, 4, &mh, 1, &lender_lim);
    expect_exit(l, EXIT_NORMAL, 6008, "lender");
    /* Monitors count against the handle-count limit (16 here) while they
     * wait on a live process; DOWNs sent at once for an ended one go
     * through the queue limit (4) instead of piling up in the mailbox. */
    /* So do the EXITs of links to an ended process (mode 2), and no link stays. */
    /* Mode 3: the DOWNs of a killed child's 16 monitors all arrive (past
     * the 4-message limit), and each holds its unit until received: one
     * more monitor after one is received, 15 after the other 15. */
    static const char *const watch_what[] = {"watcher of a live process", "watcher of an ended process",
                                             "linker of an ended process", "hoarder of DOWN notices"};
    static const int32_t watch_want[] = {16 * 100 + 6, 4 * 100 + 7, 4 * 100 + 7, 16011515};
    for (uint32_t mode = 0; mode < 4; mode++) {
        int32_t wm = dup_of(mod[MOD_GUESTS], ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
        isola_proc_limits wl = {.memory_pages = 8, .handle_count = 16, .queue_count = 4, .live_children = 2};
        int32_t w = spawn(MOD_GUESTS, "watcher", &mode, 4, &wm, 1, &wl);
        expect_exit(w, EXIT_NORMAL, watch_want[mode], watch_what[mode]);
    }
    /* Linking again to one of 500 linked children, 100,000 times: each call
     * looks through the caller's links, a unit each, so a fuel total of
     * 20 M ends it after about 40,000 (charged as one call each, it
     * finished). */
    uint32_t links = 500;
    int32_t rm = dup_of(mod[MOD_GUESTS], ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
    isola_proc_limits rl = {.memory_pages = 1024, .handle_count = 1024, .live_children = 500, .fuel_total = 20000000};
    expect_exit(spawn(MOD_GUESTS, "relinker", &links, 4, &rm, 1, &rl), EXIT_LIMIT, 0, "relinker");
    /* 200 watchers in turn each monitor one long-lived process 16 times and
     * end. Their monitors stay on its list, each with a DOWN message built
     * up front, until an insert sweeps them out: the list never holds more
     * than twice its live entries plus 8 (before, all 3,200 stayed). */
    int32_t target = spawn(MOD_GUESTS, "waiter", NULL, 0, NULL, 0, NULL);
    long long blocks_before = atomic_load(&msg_blocks), blocks_peak = 0;
    for (uint32_t i = 0; i < 200; i++) {
        int32_t t = dup_of(target, ISOLA_RIGHT_MONITOR | ISOLA_RIGHT_TRANSFER);
        isola_proc_limits ml = {.memory_pages = 4, .handle_count = 16, .live_children = 0};
        expect_exit(spawn(MOD_GUESTS, "monitor_all", NULL, 0, &t, 1, &ml), EXIT_NORMAL, 16, "monitor_all");
        long long held = atomic_load(&msg_blocks) - blocks_before;
        blocks_peak = held > blocks_peak ? held : blocks_peak;
    }
    CHECK(blocks_peak <= 2 * 16 + 8 + 16);
    CHECK_EQ(isola_vm_kill(vm, target, 0), 0, "kill the watched process");
    expect_exit(target, EXIT_KILLED, 0, "watched process");
    nb_stop(&nb);
    printf("membomb: %u bombs x 2 rounds stopped exactly at their limits, a lender's memory and its child's "
           "grant within one limit, neighbour exact\n", n);
}

/* ---------------------------------------------------------------- spawn bombs */

static void case_spawnbomb(void)
{
    neighbours nb;
    nb_start(&nb, 1);
    nb_round(&nb, 21);
    uint64_t spawned0 = isola_vm_spawned(vm);
    const uint32_t chain_quota = 20, tree_quota = 30;
    uint32_t mode0 = 0, mode1 = 1;
    int32_t m0 = dup_of(mod[MOD_GUESTS], ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
    int32_t m1 = dup_of(mod[MOD_GUESTS], ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
    isola_proc_limits l0 = {.fuel_total = 1500000, .memory_pages = 64, .handle_count = 16, .live_children = chain_quota};
    isola_proc_limits l1 = {.fuel_total = 1500000, .memory_pages = 200, .handle_count = 16, .live_children = tree_quota};
    int32_t b0 = isola_vm_spawn(vm, mod[MOD_GUESTS], "forkbomb", &mode0, 4, &m0, 1, &l0, NULL);
    int32_t b1 = isola_vm_spawn(vm, mod[MOD_GUESTS], "forkbomb", &mode1, 4, &m1, 1, &l1, NULL);
    CHECK(b0 > 0 && b1 > 0);
    /* Quotas nest: at no moment more than the two roots, their grants and
     * the neighbour; plus one per worker, since an ending process gives its
     * quota back a moment before the live count drops. */
    uint64_t bound = 1 + 2 + chain_quota + tree_quota + 2, peak = 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint32_t rounds = 0;
    for (;;) {
        uint64_t live = isola_vm_live(vm);
        if (live > peak)
            peak = live;
        if (live == 1)
            break;   /* only the neighbour: the bombs burnt their fuel */
        if (rounds < 20)
            nb_round(&nb, 30 + rounds++);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 60) {
            fprintf(stderr, "spawn bombs still alive after 60 s: %llu processes\n", (unsigned long long)live);
            failures++;
            break;
        }
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
    CHECK(peak <= bound);
    uint64_t spawned = isola_vm_spawned(vm) - spawned0;
    CHECK(spawned > 2 + chain_quota);   /* they did spawn, again and again */
    expect_exit(b0, EXIT_LIMIT, 0, "chain bomb root");
    expect_exit(b1, EXIT_LIMIT, 0, "tree bomb root");
    nb_round(&nb, 99);
    nb_stop(&nb);
    printf("spawnbomb: %llu processes spawned, at most %llu alive at once (bound %llu), %u neighbour rounds\n",
           (unsigned long long)spawned, (unsigned long long)peak, (unsigned long long)bound, nb.served);
}

/* Orphans: a middle process that ends leaves its child running; the
 * child's share must stay charged to the grandparent's quota. */
static void case_orphans(void)
{
    neighbours nb;
    nb_start(&nb, 1);
    nb_round(&nb, 71);
    const uint32_t quota = 6, tries = 30;
    int32_t m = dup_of(mod[MOD_GUESTS], ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
    isola_proc_limits lim = {.memory_pages = 64, .handle_count = 16, .live_children = quota};
    int32_t root = spawn(MOD_GUESTS, "orphan_root", &tries, 4, &m, 1, &lim);
    uint64_t peak = 0;
    isola_proc_exit ex;
    while (isola_vm_wait(vm, root, 1000000, &ex) == ISOLA_EAGAIN) {
        uint64_t live = isola_vm_live(vm);
        peak = live > peak ? live : peak;
    }
    uint64_t after = isola_vm_live(vm);
    peak = after > peak ? after : peak;
    CHECK_EQ(ex.kind, EXIT_NORMAL, "orphan root");
    CHECK_EQ(ex.reason, tries, "orphan root: every middle process could start");
    /* The orphaned nappers (2 s each) are what is left of the root's quota:
     * at most `quota` of them, whatever the middle processes did (+2 in the
     * peak: an ending process gives its quota back a moment before the live
     * count drops, one per worker). */
    CHECK(after >= 2 && after <= 1 + quota);
    CHECK(peak <= 1 + 1 + quota + 2);
    isola_vm_close(vm, root);
    nb_round(&nb, 72);
    nb_stop(&nb);
    printf("orphans: %u tries, %llu orphans alive after (quota %u), peak %llu processes alive\n", tries,
           (unsigned long long)(after - 1), quota, (unsigned long long)peak);
}

/* ---------------------------------------------------------------- message floods */

typedef struct flood_report {
    int32_t ok, efull, etoobig, other;
} flood_report;

static int32_t report_recv, report_send;

static int32_t spawn_sink(uint32_t delay_ms, uint32_t expect, uint32_t queue_count, uint64_t queue_bytes)
{
    uint32_t arg[2] = {delay_ms, expect};
    int32_t rep = dup_of(report_send, R_SEND | ISOLA_RIGHT_TRANSFER);
    isola_proc_limits lim = {.queue_count = queue_count, .queue_bytes = queue_bytes, .memory_pages = 4,
                             .live_children = 0};
    int32_t p = spawn(MOD_GUESTS, "sink", arg, sizeof arg, &rep, 1, &lim);
    uint64_t tag = 0;
    CHECK_EQ(isola_vm_receive(vm, report_recv, 0, 9, NULL, 0, &tag, NULL, 0, NULL, 30 * SECOND), 0, "sink ready");
    return p;
}

static int32_t spawn_flooder(int32_t target, uint32_t size, uint32_t count, uint32_t flags)
{
    uint32_t arg[3] = {size, count, flags};
    int32_t hs[2] = {target, dup_of(report_send, R_SEND | ISOLA_RIGHT_TRANSFER)};
    isola_proc_limits lim = {.memory_pages = 4, .live_children = 0};
    return spawn(MOD_GUESTS, "flooder", arg, sizeof arg, hs, 2, &lim);
}

static flood_report flood_result(void)
{
    flood_report r = {-1, -1, -1, -1};
    CHECK_EQ(isola_vm_receive(vm, report_recv, 0, 5, &r, sizeof r, NULL, NULL, 0, NULL, 30 * SECOND),
             (int32_t)sizeof r, "flood report");
    return r;
}

static void expect_flood(flood_report r, int32_t ok, int32_t efull, int32_t etoobig, int32_t other, const char *what)
{
    if (r.ok != ok || r.efull != efull || r.etoobig != etoobig || r.other != other) {
        fprintf(stderr, "%s: sent %d, EFULL %d, ETOOBIG %d, other %d; want %d %d %d %d\n", what, r.ok, r.efull,
                r.etoobig, r.other, ok, efull, etoobig, other);
        failures++;
    }
}

static void case_flood(void)
{
    neighbours nb;
    nb_start(&nb, 1);
    CHECK_EQ(isola_vm_channel(vm, &report_recv, &report_send), 0, "report channel");
    nb_round(&nb, 41);

    /* A sink that never reads: 16 messages / 4 KiB. Count bound first, then bytes, then too big. */
    int32_t sink1 = spawn_sink(0, 0, 16, 4096), sink2 = spawn_sink(0, 0, 16, 4096);
    int32_t f1 = spawn_flooder(dup_of(sink1, R_SEND | ISOLA_RIGHT_TRANSFER), 8, 100, 0);
    expect_flood(flood_result(), 16, 84, 0, 0, "small messages into a 16-message queue");
    int32_t f2 = spawn_flooder(dup_of(sink2, R_SEND | ISOLA_RIGHT_TRANSFER), 1000, 10, 0);
    expect_flood(flood_result(), 4, 6, 0, 0, "1000-byte messages into a 4 KiB queue");
    int32_t f3 = spawn_flooder(dup_of(sink2, R_SEND | ISOLA_RIGHT_TRANSFER), 5000, 3, 0);
    expect_flood(flood_result(), 0, 0, 3, 0, "messages larger than the queue");
    expect_exit(f1, EXIT_NORMAL, 16, "flooder 1");
    expect_exit(f2, EXIT_NORMAL, 4, "flooder 2");
    expect_exit(f3, EXIT_NORMAL, 0, "flooder 3");
    long long queued = atomic_load(&msg_bytes);
    CHECK(atomic_load(&msg_blocks) <= 16 + 4 + 2);
    nb_round(&nb, 42);

    /* A flood of the host's own channel: bounded at 1024 messages; then drained in order. */
    int32_t hrecv, hsend;
    CHECK_EQ(isola_vm_channel(vm, &hrecv, &hsend), 0, "host channel");
    int32_t f4 = spawn_flooder(hsend, 16, 1100, 0);
    expect_flood(flood_result(), 1024, 76, 0, 0, "a flood of a host channel");
    expect_exit(f4, EXIT_NORMAL, 1024, "flooder 4");
    for (uint32_t i = 0; i < 1024; i++) {
        uint8_t b[16];
        CHECK_EQ(isola_vm_receive(vm, hrecv, 1, 0, b, sizeof b, NULL, NULL, 0, NULL, 0), 16, "drain");
        if (b[0] != (uint8_t)i) {
            CHECK_EQ(b[0], (uint8_t)i, "flood order");
            break;
        }
    }
    CHECK_EQ(isola_vm_receive(vm, hrecv, 1, 0, NULL, 0, NULL, NULL, 0, NULL, 0), ISOLA_ECLOSED, "drained");
    isola_vm_close(vm, hrecv);

    /* Waiting senders: 40 messages through a 16-message queue the sink drains late. */
    int32_t sink3 = spawn_sink(100, 40, 16, 4096);
    int32_t f5 = spawn_flooder(dup_of(sink3, R_SEND | ISOLA_RIGHT_TRANSFER), 8, 40, SEND_WAIT);
    expect_flood(flood_result(), 40, 0, 0, 0, "waiting sender");
    int32_t got = -1;
    CHECK_EQ(isola_vm_receive(vm, report_recv, 0, 10, &got, 4, NULL, NULL, 0, NULL, 30 * SECOND), 4, "sink report");
    CHECK_EQ(got, 40, "the sink got every message, in order");
    expect_exit(f5, EXIT_NORMAL, 40, "flooder 5");
    expect_exit(sink3, EXIT_NORMAL, 40, "sink 3");

    /* A sender blocked on a full queue, a receiver blocked on an empty one: both killed while parked. */
    int32_t f6 = spawn_flooder(dup_of(sink1, R_SEND | ISOLA_RIGHT_TRANSFER), 8, 100, SEND_WAIT);
    int32_t w = spawn(MOD_GUESTS, "waiter", NULL, 0, NULL, 0, NULL);
    nb_round(&nb, 43);
    isola_proc_exit ex;
    CHECK_EQ(isola_vm_wait(vm, f6, 200000000LL, &ex), ISOLA_EAGAIN, "blocked sender still waiting");
    CHECK_EQ(isola_vm_kill(vm, f6, 6), 0, "kill blocked sender");
    CHECK_EQ(isola_vm_kill(vm, w, 7), 0, "kill blocked receiver");
    expect_exit(f6, EXIT_KILLED, 6, "blocked sender");
    expect_exit(w, EXIT_KILLED, 7, "blocked receiver");
    CHECK_EQ(isola_vm_kill(vm, sink1, 1), 0, "kill sink 1");
    CHECK_EQ(isola_vm_kill(vm, sink2, 1), 0, "kill sink 2");
    expect_exit(sink1, EXIT_KILLED, 1, "sink 1");
    expect_exit(sink2, EXIT_KILLED, 1, "sink 2");
    /* Filtered polls of a mailbox holding 1,000 messages that never match:
     * each walks all of them. Charged a unit per message passed over, a
     * fuel total of 2 M ends it after about 2,000 polls; charged as one
     * call each, all 100,000 fit and it returns. */
    uint32_t sift = 1000;
    isola_proc_limits sl = {.memory_pages = 4, .queue_count = 1024, .fuel_total = 2000000, .live_children = 0};
    expect_exit(spawn(MOD_GUESTS, "sifter", &sift, 4, NULL, 0, &sl), EXIT_LIMIT, 0, "sifter");
    nb_round(&nb, 44);
    nb_stop(&nb);
    isola_vm_close(vm, report_recv);
    isola_vm_close(vm, report_send);
    printf("flood: queues held at 16 messages / 4 KiB (%lld bytes of message blocks at the peak of the "
           "sinks, %lld over the run), 1024 on a host channel; blocked processes killed cleanly\n",
           queued, atomic_load(&msg_peak_bytes));
}

/* ---------------------------------------------------------------- handles */

static void case_handles(void)
{
    /* The result of each abuse in guests.c `handles`, in order. */
    static const int32_t want[] = {
        -1, -1, -1, -1, -1, -1, -1,        /* 0-6 forged values */
        -1,                                /* 7 a value live only in the neighbour */
        1, 0, -1, -1,                      /* 8-11 closed */
        0, -3, -3, -3, -3,                 /* 12-16 wrong types */
        -2, -2, -2, -2, -2,                /* 17-21 missing rights */
        1, -2, -11, 1, -2, -2, -2,         /* 22-28 duplicating with more rights */
        -2, -2, 0, -11, -11, -11,          /* 29-34 transfer without the right, twice, into itself, 65 */
        -11, -11, -11, 0, -11, -11,        /* 35-40 pointers at and past the end */
        4, -10,                            /* 41-42 the message survived the refusals */
        0, -6, 4, 1,                       /* 43-46 too little room for its handles */
        -6, 1, -1, -1, 0,                  /* 47-51 stale after slot reuse */
        -9, -8,                            /* 52-53 the other end gone */
    };
    const uint32_t n = sizeof want / sizeof want[0];
    neighbours nb;
    nb_start(&nb, 1);
    nb_round(&nb, 51);
    int32_t rrecv, rsend;
    CHECK_EQ(isola_vm_channel(vm, &rrecv, &rsend), 0, "report channel");
    int32_t hs[3] = {dup_of(rsend, R_SEND | ISOLA_RIGHT_TRANSFER),
                     dup_of(nb.procs[0], R_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER),
                     dup_of(mod[MOD_GUESTS], ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)};
    uint32_t theirs = nb.handle_value[0];
    isola_proc_limits lim = {.handle_count = 16, .memory_pages = 4, .live_children = 0};
    int32_t p = spawn(MOD_GUESTS, "handles", &theirs, 4, hs, 3, &lim);
    int32_t got[96];
    int32_t r = isola_vm_receive(vm, rrecv, 0, 6, got, sizeof got, NULL, NULL, 0, NULL, 30 * SECOND);
    CHECK_EQ(r, (int32_t)(n * 4), "handle results");
    for (uint32_t i = 0; r == (int32_t)(n * 4) && i < n; i++)
        if (got[i] != want[i]) {
            fprintf(stderr, "handles: abuse %u gave %d, want %d\n", i, got[i], want[i]);
            failures++;
        }
    expect_exit(p, EXIT_NORMAL, (int32_t)n, "handles");
    nb.junk[0] = 1;   /* abuse 31: a message it may send, of a tag the neighbour ignores */
    nb_round(&nb, 52);
    nb_stop(&nb);
    isola_vm_close(vm, rrecv);
    isola_vm_close(vm, rsend);
    printf("handles: %u abuses of forged, stale, closed, mistyped and under-privileged handles refused exactly\n", n);
}

/* ---------------------------------------------------------------- channel nests */

/* Endpoints moved into messages leave their sender's table, and endpoints
 * nest in each other's queues: a process can keep one handle and any
 * number of channels (each with a full queue) behind it. The channels a
 * process created count against its handle limit while they live, and a
 * child that ends leaving some behind keeps its slot among its parent's
 * children until they go. */
static void case_nest(void)
{
    neighbours nb;
    nb_start(&nb, 1);
    nb_round(&nb, 81);
    int32_t rrecv, rsend;
    CHECK_EQ(isola_vm_channel(vm, &rrecv, &rsend), 0, "report channel");

    int32_t rep = dup_of(rsend, R_SEND | ISOLA_RIGHT_TRANSFER);
    isola_proc_limits lim = {.handle_count = 16, .queue_count = 4, .queue_bytes = 16384, .memory_pages = 4,
                             .live_children = 0};
    int32_t p = spawn(MOD_GUESTS, "nester", NULL, 0, &rep, 1, &lim);
    int32_t got[4] = {-1, -1, -1, -1};
    CHECK_EQ(isola_vm_receive(vm, rrecv, 0, 7, got, sizeof got, NULL, NULL, 0, NULL, 30 * SECOND), 12,
             "nester report");
    CHECK_EQ(got[0], 16, "nester: live channels made, one per handle it may hold");
    CHECK_EQ(got[1], ISOLA_ELIMIT, "nester: what stopped it");
    CHECK_EQ(got[2], 0, "nester: a channel once the nest is closed");
    expect_exit(p, EXIT_NORMAL, 16, "nester");
    long long nest_peak = atomic_load(&msg_peak_bytes);

    int32_t hs[2] = {dup_of(rsend, R_SEND | ISOLA_RIGHT_TRANSFER),
                     dup_of(mod[MOD_GUESTS], ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)};
    isola_proc_limits plim = {.handle_count = 16, .queue_count = 16, .memory_pages = 16, .live_children = 3};
    p = spawn(MOD_GUESTS, "nest_parent", NULL, 0, hs, 2, &plim);
    CHECK_EQ(isola_vm_receive(vm, rrecv, 0, 8, got, sizeof got, NULL, NULL, 0, NULL, 30 * SECOND), 16,
             "nest_parent report");
    CHECK_EQ(got[0], 3, "nest_parent: children spawned while the nests they left live");
    CHECK_EQ(got[1], ISOLA_ELIMIT, "nest_parent: the spawn after them");
    CHECK_EQ(got[2], 0, "nest_parent: a spawn once the nests are closed");
    CHECK_EQ(got[3], 8, "nest_parent: a child made one channel per handle it may hold, and returned");
    expect_exit(p, EXIT_NORMAL, 3, "nest_parent");
    long long peak = atomic_load(&msg_peak_bytes);
    int32_t children = got[0];

    /* With no handle limit, a chain of 100,000 channels, each queued in the
     * one before, freed at once: iteratively, not a frame per link. */
    uint32_t depth = 100000;
    isola_proc_limits unlimited = {.handle_count = UINT32_MAX, .memory_pages = 4, .live_children = 0};
    expect_exit(spawn(MOD_GUESTS, "deep_chain", &depth, 4, NULL, 0, &unlimited), EXIT_NORMAL, (int32_t)depth,
                "deep_chain");

    int32_t chs[2] = {dup_of(rsend, R_SEND | ISOLA_RIGHT_TRANSFER),
                      dup_of(mod[MOD_GUESTS], ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_TRANSFER)};
    isola_proc_limits clim = {.handle_count = 32, .queue_count = 4, .memory_pages = 8, .live_children = 1};
    p = spawn(MOD_GUESTS, "carrier", NULL, 0, chs, 2, &clim);
    int32_t carried[6] = {-1, -1, -1, -1, -1, -1};
    CHECK_EQ(isola_vm_receive(vm, rrecv, 0, 10, carried, sizeof carried, NULL, NULL, 0, NULL, 30 * SECOND), 24,
             "carrier report");
    CHECK_EQ(carried[0], 0, "carrier: 4 handles into a 4-message queue");
    CHECK_EQ(carried[1], ISOLA_EFULL, "carrier: one more handle");
    CHECK_EQ(carried[2], ISOLA_ETOOBIG, "carrier: a message of 5 handles");
    CHECK_EQ(carried[3], 0, "carrier: one handle once the 4 are received");
    CHECK_EQ(carried[4], ISOLA_ETOOBIG, "carrier: 5 handles to a parked receiver with a 4-message mailbox");
    CHECK_EQ(carried[5], 4, "carrier: the parked receiver got the 4 sent next");
    expect_exit(p, EXIT_NORMAL, 0, "carrier");
    /* 16 channels of 4 messages of 4 KiB, then 3 children's 8 each. */
    CHECK(nest_peak < 16 * 4 * 4096 * 2);
    CHECK(peak < 24 * 4 * 4096 * 2);
    nb_round(&nb, 82);
    nb_stop(&nb);
    isola_vm_close(vm, rrecv);
    isola_vm_close(vm, rsend);
    printf("nest: channels nested behind one handle stop at the handle limit; %d children leaving nests "
           "behind, then ELIMIT; peak queued %lld bytes\n", children, peak);
}

/* ---------------------------------------------------------------- start functions */

static void case_start(void)
{
    static const char *const files[] = {"start_loop.wasm", "start_trap.wasm", "start_api.wasm"};
    /* Cut off by its fuel slice: a limit (ISOLA_ELIMIT); trapped: ISOLA_ESTART. */
    static const int32_t want[] = {-6, -16, -16};
    neighbours nb;
    nb_start(&nb, 1);
    nb_round(&nb, 61);
    for (int i = 0; i < 3; i++) {
        isola_module *m = load_module(files[i]);
        isola_error err = {0};
        int32_t h = isola_vm_load(vm, m, &err);
        CHECK(h > 0);
        for (int k = 0; k < 3; k++) {
            memset(&err, 0, sizeof err);
            int32_t p = isola_vm_spawn(vm, h, "main", NULL, 0, NULL, 0, NULL, &err);
            if (p != want[i] || !err.message[0]) {
                fprintf(stderr, "%s: spawn gave %d (%s), want %d with a reason\n", files[i], p, err.message, want[i]);
                failures++;
                if (p >= 0)
                    isola_vm_close(vm, p);
            }
        }
        printf("start: %s refused: %s\n", files[i], err.message);
        isola_vm_close(vm, h);
        isola_module_release(m);
        nb_round(&nb, 62 + (uint32_t)i);
    }
    /* A start function that returns runs inside the spawn on the spawner's
     * slice: the spawner pays its fuel too (about 5,000-6,000 units a spawn
     * of start_burn, not 1,000), so 300,000 units give 50-60 spawns. */
    isola_module *burn = load_module("start_burn.wasm");
    isola_error err = {0};
    int32_t bh = isola_vm_load(vm, burn, &err);
    CHECK(bh > 0);
    int32_t recv, send;
    CHECK_EQ(isola_vm_channel(vm, &recv, &send), 0, "channel");
    int32_t hs[2] = {dup_of(bh, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER), send};
    isola_proc_limits lim = {.fuel_total = 300000, .queue_count = 1024, .live_children = 16};
    int32_t sp = spawn(MOD_GUESTS, "spawner", NULL, 0, hs, 2, &lim);
    expect_exit(sp, EXIT_LIMIT, 0, "spawner with a fuel total");
    uint32_t spawns = 0;
    uint64_t tag = 0;
    while (isola_vm_receive(vm, recv, 1, 0, NULL, 0, &tag, NULL, 0, NULL, 0) == 0)
        spawns++;
    if (spawns < 35 || spawns > 80) {   /* 1,000 a spawn, as before the fix, gave 300 */
        fprintf(stderr, "spawner: %u spawns of start_burn on 300,000 units of fuel\n", spawns);
        failures++;
    }
    printf("start: %u spawns of a module whose start burns 5,000 units, on 300,000\n", spawns);
    isola_vm_close(vm, recv);
    isola_vm_close(vm, bh);
    isola_module_release(burn);
    nb_stop(&nb);
}

/* ---------------------------------------------------------------- main */

typedef struct test_case {
    const char *name;
    void (*run)(void);
    uint32_t workers;
} test_case;

static const test_case cases[] = {
    {"oob", case_oob, 2},          {"table", case_table, 2},       {"stack", case_stack, 2},
    {"spin", case_spin, 1},        {"bulk", case_bulk, 1},         {"membomb", case_membomb, 2},   {"spawnbomb", case_spawnbomb, 2},
    {"orphans", case_orphans, 2},  {"nest", case_nest, 2},  {"flood", case_flood, 2},      {"handles", case_handles, 2},   {"start", case_start, 1},
};

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_hostile DIR CASE\n");
        return 2;
    }
    dir = argv[1];
    static const proc_message_allocator counting = {count_alloc, count_free, NULL};
    proc_message_set_allocator(&counting);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(cases[i].name, argv[2]) != 0)
            continue;
        vm_open(cases[i].workers);
        cases[i].run();
        vm_close();
        if (failures)
            fprintf(stderr, "%s: %d checks failed\n", argv[2], failures);
        return failures ? 1 : 0;
    }
    fprintf(stderr, "unknown case %s\n", argv[2]);
    return 2;
}
