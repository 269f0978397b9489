/*
 * fuzz_api.c - libFuzzer target for the guest API (module "isola") on
 * arbitrary call sequences.
 *
 * Each input is a program for the replay guest (fuzz/api_guest.c, a real
 * wasm process): the guest decodes it into guest-API calls with arguments
 * drawn from the bytes (live, closed, stale and forged handles, pointers and
 * lengths at and past its memory's end, rights masks, tags, zero timeouts),
 * may spawn one or two children running slices of the same program, and
 * checks every result against a model of its handle table. The first byte
 * is for the host: it may send messages carrying handles to the root and
 * poke the host API with forged handles.
 *
 * Per input a VM with one worker is created, the root process runs to its
 * end (fuel-limited), the host drains what came back, and the VM is torn
 * down. Findings: a crash or sanitizer report, a leak, a hang, a violation
 * reported by a guest (access the model forbids), more processes alive than
 * the root's quota allows, and any process, message block, memory slot or
 * host handle left over once every process has ended and the host closed
 * its handles.
 *
 * Environment: ISOLA_FUZZ_TRACE=1 prints every call each process made and
 * how the input ended; ISOLA_FUZZ_API_GUEST overrides the replay guest's
 * path (default: the one built beside this binary).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_guest.h"
#include "isola/engine.h"
#include "isola/proc.h"
#include "proc/message.h"
#include "proc/vm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Must match fuzz/api_guest.c. */
#define API_MAGIC 0x46495041u
#define API_F_TRACE 1u
#define API_TAG_VIOLATION 0x0BAD0BAD0BADull
#define API_TAG_TRACE 0x0BAD0BAD0BAEull
#define API_TAG_MAGIC 0x5A17ull
#define API_T_PROCESS 1u
#define API_T_ENDPOINT 2u
#define API_T_MODULE 3u
#define API_T_REPORT 4u
#define API_MAX_PROGRAM 4000u

#define R_SEND ISOLA_RIGHT_SEND
#define R_CHANNEL (ISOLA_RIGHT_SEND | ISOLA_RIGHT_RECEIVE | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)
#define R_MODULE (ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)
#define R_REPORT (ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)

/* How long the host waits for an input's processes (a guest blocked in
 * send-with-wait on a queue nobody drains is legal; the VM kills it). */
#define FUZZ_WAIT_NS 30000000LL
#define FUZZ_ROOT_CHILDREN 2u

#ifndef FUZZ_API_GUEST
#define FUZZ_API_GUEST "api_guest.wasm"
#endif

static isola_engine *engine;
static isola_module *guest;
static int trace;

/* ---------------------------------------------------------------- message accounting */

static atomic_llong msg_blocks;
static atomic_llong msg_bytes;

static void *count_alloc(size_t size, void *context)
{
    (void)context;
    void *b = malloc(size);
    if (b) {
        atomic_fetch_add(&msg_blocks, 1);
        atomic_fetch_add(&msg_bytes, (long long)size);
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

static const proc_message_allocator counting = {count_alloc, count_free, NULL};

/* ---------------------------------------------------------------- checks */

#define FINDING(...)                                                                                   \
    do {                                                                                               \
        fprintf(stderr, "fuzz_api: " __VA_ARGS__);                                                     \
        fputc('\n', stderr);                                                                           \
        abort();                                                                                       \
    } while (0)

static uint64_t describe(uint32_t type, uint32_t rights)
{
    return API_TAG_MAGIC << 48 | 1ull << 44 | (uint64_t)(type | (rights & 0xff) << 2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    trace = getenv("ISOLA_FUZZ_TRACE") != NULL;
    const char *why = NULL;
    guest = fuzz_guest_load("ISOLA_FUZZ_API_GUEST", FUZZ_API_GUEST, &engine, &why);
    if (!guest)
        FINDING("replay guest: %s (ISOLA_FUZZ_API_GUEST names another)", why);
    proc_message_set_allocator(&counting);
    return 0;
}

/* Host actions chosen by the input's first byte. Returns extra handles to close. */
static uint32_t host_prologue(isola_vm *vm, uint8_t b, int32_t root, int32_t host_end, int32_t *extra)
{
    uint32_t n = 0;
    if (b & 1) {   /* a channel end into the root's mailbox */
        int32_t x, y;
        if (isola_vm_channel(vm, &x, &y) == 0) {
            extra[n++] = x;
            if (isola_vm_send(vm, root, describe(API_T_ENDPOINT, R_CHANNEL), "ch", 2, &y, 1) != 0)
                extra[n++] = y;
        }
    }
    if (b & 2) {   /* a handle to the root itself, with fuzzed rights, through the root's channel */
        uint32_t rights = (b >> 4) & 0x7f & (R_SEND | ISOLA_RIGHT_KILL | ISOLA_RIGHT_MONITOR | ISOLA_RIGHT_DUPLICATE);
        int32_t self = isola_vm_duplicate(vm, root, rights | ISOLA_RIGHT_TRANSFER);
        if (self < 0)
            FINDING("host duplicate of a live process handle failed: %d", self);
        if (isola_vm_send(vm, host_end, describe(API_T_PROCESS, rights | ISOLA_RIGHT_TRANSFER), NULL, 0, &self, 1) != 0)
            extra[n++] = self;
    }
    if (b & 4) {   /* a big message into the root's mailbox (4 KiB queue) */
        static uint8_t big[3000];
        isola_vm_send(vm, root, 7, big, sizeof big, NULL, 0);
    }
    if (b & 8) {   /* forged host handles and rights */
        int32_t r;
        if ((r = isola_vm_send(vm, 0x12345, 1, NULL, 0, NULL, 0)) != ISOLA_EBADHANDLE)
            FINDING("host send on a forged handle gave %d", r);
        if ((r = isola_vm_close(vm, -1)) != ISOLA_EBADHANDLE)
            FINDING("host close of -1 gave %d", r);
        if ((r = isola_vm_duplicate(vm, root, 0x100)) >= 0)
            FINDING("host duplicate with an unknown right succeeded");
        if ((r = isola_vm_kill(vm, host_end, 1)) != ISOLA_ETYPE)
            FINDING("host kill of an endpoint gave %d", r);
        int32_t weak = isola_vm_duplicate(vm, root, R_SEND);
        if (weak < 0 || isola_vm_kill(vm, weak, 1) != ISOLA_EACCES || isola_vm_duplicate(vm, weak, R_SEND) != ISOLA_EACCES)
            FINDING("a SEND-only host handle gave more than SEND");
        isola_vm_close(vm, weak);
    }
    return n;
}

/* Receives everything queued on `endpoint` without waiting; closes what came with it. */
static void host_drain(isola_vm *vm, int32_t endpoint, int is_report)
{
    for (int i = 0; i < 4096; i++) {
        uint8_t buf[64];
        uint64_t tag = 0;
        int32_t hs[64];
        uint32_t nh = 0;
        int32_t r = isola_vm_receive(vm, endpoint, 1, 0, buf, sizeof buf, &tag, hs, 64, &nh, 0);
        if (r < 0)
            return;
        for (uint32_t j = 0; j < nh; j++)
            if (isola_vm_close(vm, hs[j]) != 0)
                FINDING("a handle the host just received does not close");
        if (is_report && tag == API_TAG_TRACE && r == 20) {
            int32_t t[5];
            memcpy(t, buf, sizeof t);
            fprintf(stderr, "fuzz_api: op %d: %c(handle %d) = %d [%d]\n", t[0], t[1], t[2], t[3], t[4]);
        }
        if (is_report && tag == API_TAG_VIOLATION) {
            int32_t v[4] = {0};
            memcpy(v, buf, r < 16 ? (size_t)r : 16);
            FINDING("the guest model was violated: api_guest.c line %d, op %d, result %d, handle %d", v[0], v[1],
                    v[2], v[3]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (size > 1 + API_MAX_PROGRAM)
        size = 1 + API_MAX_PROGRAM;
    if (atomic_load(&msg_blocks) != 0 || fuzz_slots_in_use(engine) != 0)
        FINDING("leftovers from the previous input: %lld message blocks, %llu memory slots",
                (long long)atomic_load(&msg_blocks), (unsigned long long)fuzz_slots_in_use(engine));

    isola_error err = {0};
    isola_vm_config vcfg = {.workers = 1};
    isola_vm *vm = isola_vm_new(engine, &vcfg, &err);
    if (!vm)
        FINDING("isola_vm_new: %s", err.message);
    int32_t module = isola_vm_load(vm, guest, &err);
    int32_t rep_recv, rep_send, host_end, root_end;
    if (module < 0 || isola_vm_channel(vm, &rep_recv, &rep_send) != 0 || isola_vm_channel(vm, &host_end, &root_end) != 0)
        FINDING("VM set-up failed");
    int32_t start_handles[3] = {isola_vm_duplicate(vm, module, R_MODULE), isola_vm_duplicate(vm, rep_send, R_REPORT),
                                root_end};
    isola_vm_close(vm, rep_send);

    static uint8_t arg[12 + 3 * 8 + API_MAX_PROGRAM];
    uint32_t hdr[9] = {API_MAGIC, trace ? API_F_TRACE : 0, 3, API_T_MODULE, R_MODULE,
                       API_T_REPORT, R_REPORT, API_T_ENDPOINT, R_CHANNEL};
    memcpy(arg, hdr, sizeof hdr);
    memcpy(arg + sizeof hdr, data + 1, size - 1);
    isola_proc_limits lim = {.fuel_per_slice = 500, .fuel_total = 300000, .queue_bytes = 4096, .memory_pages = 16,
                             .queue_count = 8, .handle_count = 32, .live_children = FUZZ_ROOT_CHILDREN};
    int32_t root = isola_vm_spawn(vm, module, "replay", arg, (uint32_t)(sizeof hdr + size - 1), start_handles, 3,
                                  &lim, &err);
    if (root < 0)
        FINDING("spawning the root failed: %d %s", root, err.message);

    int32_t extra[4];
    uint32_t nextra = host_prologue(vm, data[0], root, host_end, extra);
    /* Quotas nest: never more than the root and its descendants' quota alive
     * (exact with one worker: spawns and ends never overlap). */
    int ended = 0;
    for (int64_t waited = 0; !ended && waited < FUZZ_WAIT_NS; waited += 1000000) {
        ended = isola_vm_wait_all(vm, 1000000) == 0;
        if (isola_vm_live(vm) > 1 + FUZZ_ROOT_CHILDREN)
            FINDING("%llu processes alive under a root allowed %u descendants", (unsigned long long)isola_vm_live(vm),
                    FUZZ_ROOT_CHILDREN);
    }
    host_drain(vm, host_end, 0);
    host_drain(vm, rep_recv, 1);
    if (trace) {
        isola_proc_exit ex = {0};
        isola_vm_wait(vm, root, 0, &ex);
        fprintf(stderr, "fuzz_api: %s, root kind %d reason %d, spawned %llu, message blocks %lld\n",
                ended ? "all ended" : "still running", ex.kind, ex.reason,
                (unsigned long long)isola_vm_spawned(vm), (long long)atomic_load(&msg_blocks));
    }

    isola_vm_close(vm, root);
    isola_vm_close(vm, host_end);
    isola_vm_close(vm, rep_recv);
    isola_vm_close(vm, module);
    for (uint32_t i = 0; i < nextra; i++)
        isola_vm_close(vm, extra[i]);
    if (ended) {
        /* Every process has ended and the host holds nothing: nothing may be left. */
        if (isola_vm_live(vm) != 0)
            FINDING("%llu processes alive after wait_all", (unsigned long long)isola_vm_live(vm));
        if (vm->host_handles.live != 0)
            FINDING("%u host handles left", vm->host_handles.live);
        if (fuzz_slots_settled(engine) != 0)
            FINDING("%llu memory slots in use with no process alive", (unsigned long long)fuzz_slots_in_use(engine));
        if (atomic_load(&msg_blocks) != 0)
            FINDING("%lld message blocks (%lld bytes) left with no process alive and no host handle",
                    (long long)atomic_load(&msg_blocks), (long long)atomic_load(&msg_bytes));
    }
    isola_vm_release(vm);
    if (atomic_load(&msg_blocks) != 0 || fuzz_slots_in_use(engine) != 0)
        FINDING("after isola_vm_release: %lld message blocks, %llu memory slots", (long long)atomic_load(&msg_blocks),
                (unsigned long long)fuzz_slots_in_use(engine));
    return 0;
}
