/*
 * fuzz/api_guest.c - the replay guest of fuzz_api (built to wasm by
 * fuzz/CMakeLists.txt). A process of this module reads a program from its
 * start message and runs it as a sequence of guest-API calls whose
 * arguments are drawn from the program bytes: handles that are live, closed,
 * forged (wrong generation, small ints, negative), pointers and lengths at
 * and past the memory's edges, rights masks with unknown bits, tags, zero
 * and short timeouts.
 *
 * It keeps a model of its own handle table (every handle value it holds,
 * with the object type and rights when it knows them) and checks each
 * result against it. A result the model forbids - access through a handle
 * it does not hold, to an object of the wrong type, without the right, or a
 * refusal of a call that had every right - is a violation: it is sent on
 * the report handle (tag API_TAG_VIOLATION) and the process exits; fuzz_api
 * aborts on it.
 *
 * Start message bytes: u32 API_MAGIC, u32 flags, u32 n, n x {u32 type,
 * u32 rights} describing the start handles in order (type API_T_REPORT marks
 * the report handle), then the program. Spawned children get the same
 * layout. Flags: API_F_TRACE reports every call (tag API_TAG_TRACE).
 *
 * Memory layout (fixed by the link flags): [0, 64 KiB) is unused, the
 * data and stack follow, [__heap_base, memory end) is unused. Output
 * pointers the program picks are moved out of [64 KiB, __heap_base) so the
 * host never writes over the model; input pointers may point anywhere.
 */
#include "isola.h"

#define API_MAGIC 0x46495041u                /* "APIF" */
#define API_F_TRACE 1u
#define API_TAG_VIOLATION 0x0BAD0BAD0BADull
#define API_TAG_TRACE 0x0BAD0BAD0BAEull
#define API_TAG_MAGIC 0x5A17ull              /* top 16 bits of a tag describing its handles */
#define API_T_UNKNOWN 0u
#define API_T_PROCESS 1u
#define API_T_ENDPOINT 2u
#define API_T_MODULE 3u
#define API_T_REPORT 4u
#define API_T_REVOKER 5u
#define MAX_REVOKERS 32
#define API_RIGHTS_UNKNOWN 0xFFFFFFFFu
#define API_PRIVATE_LOW 65536u
#define MAX_MODEL 80
#define MAX_CLOSED 16
#define MAX_PROGRAM 4096

#define RIGHTS_SELF                                                                                    \
    (ISOLA_RIGHT_SEND | ISOLA_RIGHT_KILL | ISOLA_RIGHT_MONITOR | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)
#define RIGHTS_CHANNEL (ISOLA_RIGHT_SEND | ISOLA_RIGHT_RECEIVE | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)

extern unsigned char __heap_base;

typedef struct model_handle {
    int32_t value;
    uint32_t type;     /* API_T_* */
    uint32_t rights;   /* API_RIGHTS_UNKNOWN when not known */
    uint32_t gates;    /* the revokers (bits: their ids) this handle was derived through */
    int32_t rid;       /* a revoker handle: the revoker's id; -1 otherwise or unknown */
} model_handle;

typedef struct violation {
    int32_t line;
    int32_t op_index;
    int32_t result;
    int32_t handle;
} violation;

static model_handle live[MAX_MODEL];
/* Revokers made here, by id: revoked, or possibly revoked elsewhere (a
 * handle to it left this process, or an unknown revoker was revoked). */
static uint8_t revoked[MAX_REVOKERS];
static uint32_t nrevokers, shared_rids;
static int unknown_revoked;
static uint32_t nlive;
static int32_t closed[MAX_CLOSED];
static uint32_t nclosed;
static int32_t report;
static int32_t op_index;
static uint32_t flags_;
static int tracing;

static uint8_t start_buf[MAX_PROGRAM + 128];
static const uint8_t *prog;
static uint32_t prog_len, pc;

static uint8_t child_arg[MAX_PROGRAM + 128];
static int32_t hout[64];
static isola_msg_info info;
static int32_t pair[2];
static isola_limits limits;
static int64_t last_now;

/* ---------------------------------------------------------------- program bytes */

static uint32_t next8(void)
{
    return pc < prog_len ? prog[pc++] : 0;
}

static uint32_t next32(void)
{
    uint32_t v = next8();
    v |= next8() << 8;
    v |= next8() << 16;
    return v | next8() << 24;
}

/* ---------------------------------------------------------------- the model */

static model_handle *model_find(int32_t value)
{
    for (uint32_t i = 0; i < nlive; i++)
        if (live[i].value == value)
            return &live[i];
    return 0;
}

__attribute__((noreturn)) static void fail(int line, int32_t result, int32_t handle)
{
    violation v = {line, op_index, result, handle};
    isola_send(report, API_TAG_VIOLATION, &v, sizeof v, 0, 0, 0);
    isola_exit(0x7EAD);
}

/* With tracing on, each call is reported as {op index, what, handle, result, extra}. */
static void trace_call(int32_t what, int32_t handle, int32_t result, int32_t extra)
{
    if (!tracing)
        return;
    int32_t t[5] = {op_index, what, handle, result, extra};
    isola_send(report, API_TAG_TRACE, t, sizeof t, 0, 0, 0);
}

#define CHECK(cond, result, handle)                                                                    \
    do {                                                                                               \
        if (!(cond))                                                                                   \
            fail(__LINE__, result, handle);                                                            \
    } while (0)

static void model_add(int32_t value, uint32_t type, uint32_t rights)
{
    CHECK(value > 0 && !model_find(value), value, value);
    if (nlive == MAX_MODEL)
        fail(__LINE__, value, value);   /* more live handles than any limit given allows */
    live[nlive++] = (model_handle){value, type, rights, 0, -1};
}

/* Whether the model cannot tell if a gate of `h` has been revoked. */
static int gate_uncertain(const model_handle *h)
{
    return h->gates && (unknown_revoked || (h->gates & shared_rids));
}

static int is_revoked(const model_handle *h)
{
    for (uint32_t g = 0; g < nrevokers; g++)
        if ((h->gates >> g & 1) && revoked[g])
            return 1;
    return 0;
}

/* A handle leaves this process: if it names a revoker, that revoker may now be revoked elsewhere. */
static void model_leaves(int32_t value)
{
    model_handle *h = model_find(value);
    if (h && h->rid >= 0)
        shared_rids |= 1u << h->rid;
    if (h && h->type == API_T_UNKNOWN)
        unknown_revoked = 1;   /* it might be a revoker handle whose id we lost */
}

static void model_remove(int32_t value)
{
    model_handle *h = model_find(value);
    if (!h)
        return;
    *h = live[--nlive];
    closed[nclosed++ % MAX_CLOSED] = value;
}

static int known_type_is_not(const model_handle *h, uint32_t type)
{
    return h && type != API_T_UNKNOWN && h->type != API_T_UNKNOWN && h->type != type && !(type == API_T_ENDPOINT && h->type == API_T_REPORT);
}

static int known_lacks(const model_handle *h, uint32_t rights)
{
    return h && h->rights != API_RIGHTS_UNKNOWN && (h->rights & rights) != rights;
}

static int fully_known(const model_handle *h)
{
    return h && h->type != API_T_UNKNOWN && h->rights != API_RIGHTS_UNKNOWN && !gate_uncertain(h);
}

static int is_access_error(int32_t r)
{
    return r == ISOLA_EBADHANDLE || r == ISOLA_EACCES || r == ISOLA_ETYPE || r == ISOLA_EREVOKED;
}

/* Known to work for a call needing `type` and `rights`: fully known, of
 * that type, with those rights, and not gated by a revoker that was or may
 * have been revoked. */
static int model_usable(const model_handle *h, uint32_t type, uint32_t rights)
{
    return h && fully_known(h) && !gate_uncertain(h) && !is_revoked(h) && !known_type_is_not(h, type) &&
           !known_lacks(h, rights);
}

/* The invariants every call on one handle must keep. `type`/`rights`: what the call needs. */
static void check_one(int32_t handle, uint32_t type, uint32_t rights, int32_t r, int args_ok)
{
    model_handle *h = model_find(handle);
    if (!h)
        CHECK(r == ISOLA_EBADHANDLE || (!args_ok && r == ISOLA_EINVAL), r, handle);
    else if (gate_uncertain(h))
        return;
    else if (is_revoked(h))
        CHECK(r == ISOLA_EREVOKED || (!args_ok && r == ISOLA_EINVAL), r, handle);
    else if (known_type_is_not(h, type) || known_lacks(h, rights))
        CHECK(r < 0, r, handle);
    else if (fully_known(h) && args_ok)
        CHECK(!is_access_error(r), r, handle);
}

/* ---------------------------------------------------------------- argument pickers */

static uint32_t mem_size(void)
{
    return (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
}

static int32_t pick_handle(void)
{
    uint32_t b = next8();
    if (b < 0x80)
        return nlive ? live[b % nlive].value : (int32_t)(b & 7);
    if (b < 0xa0)
        return nclosed ? closed[b % (nclosed < MAX_CLOSED ? nclosed : MAX_CLOSED)] : 1;
    if (b < 0xc0)
        return (int32_t)(b - 0xa0);
    if (b < 0xd0) {
        int32_t base = nlive ? live[b % nlive].value : 1;
        return b & 1 ? base + (1 << 20) : base - (1 << 20);
    }
    switch (b & 7) {
    case 0: return 0;
    case 1: return -1;
    case 2: return (int32_t)0x80000000u;
    case 3: return 0x7fffffff;
    case 4: return 1 << 20;
    case 5: return (int32_t)next32();
    case 6: return nlive ? live[b % nlive].value | 0x40000000 : 2;
    default: return (int32_t)((1u << 20) | (b & 0xf));
    }
}

/* A pointer: valid ones in the unused low area or at the top, others at and past the end. */
static uint32_t pick_ptr(void)
{
    uint32_t b = next8(), m = mem_size();
    switch (b % 12) {
    case 0: return 0;
    case 1: return 4096;
    case 2: return 4096 + next8();
    case 3: return m - next8();
    case 4: return m;
    case 5: return m - 1;
    case 6: return 0xFFFFFFFFu;
    case 7: return 0xFFFFFFF0u;
    case 8: return 0x80000000u;
    case 9: return m + 1;
    case 10: return m - 4096;
    default: return 65536 - next8();
    }
}

static uint32_t pick_len(void)
{
    static const uint32_t lens[] = {0, 1, 4, 8, 16, 40, 64, 256, 4096, 65536, 0xFFFFFFFFu, 0x7FFFFFFFu,
                                    0x80000000u, 65537};
    uint32_t b = next8();
    return b >= 14 * 16 ? b & 0x1f : lens[b % 14];
}

/* As the runtime checks a range: an empty one is valid at any address (nothing is touched). */
static int in_memory(uint32_t ptr, uint64_t len)
{
    return len == 0 || (uint64_t)ptr + len <= mem_size();
}

/* An output range: if it lies in memory and would overlap the guest's own
 * data or stack, move it to the unused low area (shortened to fit there). */
static void protect_out(uint32_t *ptr, uint64_t *len)
{
    uint64_t lo = API_PRIVATE_LOW, hi = (uint32_t)(uintptr_t)&__heap_base;
    if (!in_memory(*ptr, *len) || *ptr >= hi || (uint64_t)*ptr + *len <= lo)
        return;
    *ptr = 0;
    if (*len > lo)
        *len = lo;
}

static uint64_t pick_tag(void)
{
    uint32_t b = next8();
    switch (b & 7) {
    case 0: return 0;
    case 1: return 1;
    case 2: return ISOLA_TAG_START;
    case 3: return ISOLA_TAG_DOWN;
    case 4: return ISOLA_TAG_EXIT;
    case 5: return b;
    case 6: return API_TAG_VIOLATION + 1;
    default: return (uint64_t)next32() << 32 | next32();
    }
}

static uint32_t pick_rights(void)
{
    uint32_t b = next8();
    if (b == 0xff)
        return next32();
    return b & 0x80 ? (b & 0x7f) | 0x100u * (b & 1) : b;
}

static int64_t pick_timeout(void)
{
    static const int64_t t[] = {0, 0, 0, 1, 1000, 20000, -5, 0};
    return t[next8() & 7];
}

/* ---------------------------------------------------------------- operations */

/* Handles a program passes to send or spawn: up to 3 picks. */
static uint32_t pick_handles(int32_t *out)
{
    uint32_t n = next8() % 5;
    if (n == 4)
        n = 0;
    for (uint32_t i = 0; i < n; i++)
        out[i] = pick_handle();
    return n;
}

static int touches_report(int32_t h)
{
    return report && h == report;
}

/* Whether sending/spawning with these handles must fail according to the model. */
static int handles_must_fail(const int32_t *hs, uint32_t n, int *all_known)
{
    int fail_ = 0;
    *all_known = 1;
    for (uint32_t i = 0; i < n; i++) {
        model_handle *h = model_find(hs[i]);
        if (!h || known_lacks(h, ISOLA_RIGHT_TRANSFER) || (is_revoked(h) && !gate_uncertain(h)))
            fail_ = 1;
        if (!fully_known(h))
            *all_known = 0;
        for (uint32_t j = 0; j < i; j++)
            if (hs[j] == hs[i])
                fail_ = 1;
    }
    return fail_;
}

/* A tag saying what the handles are, so that a receiver of our message can model them. */
static uint64_t describe(const int32_t *hs, uint32_t n)
{
    uint64_t tag = API_TAG_MAGIC << 48 | (uint64_t)n << 44;
    for (uint32_t i = 0; i < n; i++) {
        model_handle *h = model_find(hs[i]);
        uint32_t type = h && h->type <= API_T_MODULE ? h->type : API_T_UNKNOWN;
        uint32_t rights = h && h->rights != API_RIGHTS_UNKNOWN ? h->rights & 0xff : 0;
        if (!fully_known(h) || h->gates)
            type = API_T_UNKNOWN;   /* the receiver cannot know its gates */
        tag |= (uint64_t)(type | rights << 2) << (10 * i);
    }
    return tag;
}

static void learn_received(uint64_t tag, uint32_t count, const int32_t *values)
{
    int described = (tag >> 48) == API_TAG_MAGIC && ((tag >> 44) & 0xf) == count && count <= 4;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t d = described ? (uint32_t)(tag >> (10 * i)) & 0x3ff : 0;
        uint32_t type = d & 3;
        model_add(values[i], type, type == API_T_UNKNOWN ? API_RIGHTS_UNKNOWN : d >> 2);
    }
}

static void op_send(void)
{
    int32_t h = pick_handle(), hs[4];
    uint64_t tag = pick_tag();
    uint32_t ptr = pick_ptr(), len = pick_len(), n = pick_handles(hs);
    uint32_t flags = next8();
    flags = flags < 0xc0 ? 0 : flags < 0xf0 ? ISOLA_SEND_WAIT : flags;
    for (uint32_t i = 0; i < n; i++)
        if (touches_report(hs[i]))
            return;
    if (touches_report(h))
        return;
    if (n && next8() & 1)
        tag = describe(hs, n);
    else if ((tag >> 48) == API_TAG_MAGIC)
        tag ^= 1ull << 63;   /* only describe() makes tags a receiver trusts */
    int all_known;
    int must_fail = handles_must_fail(hs, n, &all_known);
    int args_ok = in_memory(ptr, len) && flags <= 1;
    int32_t r = isola_send(h, tag, (const void *)(uintptr_t)ptr, len, hs, n, flags);
    trace_call('s', h, r, n ? hs[0] : 0);
    check_one(h, API_T_UNKNOWN, ISOLA_RIGHT_SEND, r, args_ok && !must_fail && all_known);
    model_handle *m = model_find(h);
    if (known_type_is_not(m, API_T_PROCESS) && known_type_is_not(m, API_T_ENDPOINT))
        CHECK(r < 0, r, h);
    if (must_fail)
        CHECK(r < 0, r, h);
    if (r == 0)
        for (uint32_t i = 0; i < n; i++) {
            model_leaves(hs[i]);
            model_remove(hs[i]);
        }
}

static void op_receive(void)
{
    int32_t h = next8() < 0x40 ? 0 : pick_handle();
    uint64_t tag = pick_tag();
    uint32_t flags = next8();
    flags = flags < 0x70 ? 0
            : flags < 0xa0 ? ISOLA_RECV_TAG
            : flags < 0xc0 ? ISOLA_RECV_CLOSE_EXTRA
            : flags < 0xf0 ? ISOLA_RECV_TAG | ISOLA_RECV_CLOSE_EXTRA
                           : flags;
    uint32_t buf = pick_ptr();
    uint64_t max = pick_len();
    uint32_t hmax = next8(), hptr, iptr;
    hmax = hmax < 0xf0 ? hmax % 9 : hmax == 0xf0 ? 64 : hmax == 0xf1 ? 65 : next32();
    uint32_t b = next8();
    hptr = b < 0xe0 ? (uint32_t)(uintptr_t)hout : pick_ptr();
    iptr = b < 0xc0 ? (uint32_t)(uintptr_t)&info : b < 0xe0 && hmax == 0 ? 0 : pick_ptr();
    int64_t timeout = pick_timeout();
    if (touches_report(h))
        return;
    protect_out(&buf, &max);
    uint64_t hlen = (uint64_t)hmax * 4;
    if (hptr != (uint32_t)(uintptr_t)hout)
        protect_out(&hptr, &hlen);
    uint64_t ilen = sizeof info;
    if (iptr && iptr != (uint32_t)(uintptr_t)&info)
        protect_out(&iptr, &ilen);
    /* The model must see the installed handles: their values come back in hout, the count in info. */
    int learnable = hptr == (uint32_t)(uintptr_t)hout && iptr == (uint32_t)(uintptr_t)&info;
    if (!learnable && hmax != 0) {
        if (in_memory(hptr, (uint64_t)hmax * 4) && (iptr == 0 || in_memory(iptr, sizeof info)) &&
            in_memory(buf, max))
            return;   /* it could install handles the model would not learn */
    }
    info.handle_count = 0xFFFF;
    int args_ok = in_memory(buf, max) && in_memory(hptr, (uint64_t)hmax * 4) &&
                  (iptr == 0 || in_memory(iptr, sizeof info)) && flags <= 3;
    int32_t r = isola_receive(h, tag, flags, (void *)(uintptr_t)buf, (uint32_t)max, (int32_t *)(uintptr_t)hptr,
                              hmax, (isola_msg_info *)(uintptr_t)iptr, timeout);
    trace_call('r', h, r, learnable ? (int32_t)info.handle_count : -1);
    if (h != 0)
        check_one(h, API_T_ENDPOINT, ISOLA_RIGHT_RECEIVE, r, args_ok);
    else if (args_ok)
        CHECK(!is_access_error(r), r, h);
    if (r >= 0 && learnable) {
        CHECK(info.handle_count <= hmax && info.size == (uint32_t)r, r, (int32_t)info.handle_count);
        if (flags & ISOLA_RECV_TAG)
            CHECK(info.tag == tag, r, h);
        learn_received(info.tag, info.handle_count, hout);
    }
}

static void op_spawn(void)
{
    int32_t module = pick_handle(), hs[5];
    uint32_t n = pick_handles(hs);
    uint32_t b = next8();
    uint32_t sub = next8() * 4;
    if (sub > prog_len - pc)
        sub = prog_len - pc;
    const uint8_t *child_prog = prog + pc;
    pc += sub;
    if (touches_report(module))
        return;
    for (uint32_t i = 0; i < n; i++)
        if (touches_report(hs[i]))
            return;
    /* The child's report handle rides along, last (the program never touches it). */
    int32_t rep = isola_duplicate(report, ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
    if (rep < 0)
        return;   /* handle table full */
    model_add(rep, API_T_REPORT, ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
    hs[n++] = rep;
    /* Start bytes: the handles' descriptions, then the child's slice of our program. */
    uint32_t *hdr = (uint32_t *)child_arg;
    hdr[0] = API_MAGIC;
    hdr[1] = flags_;
    hdr[2] = n;
    for (uint32_t i = 0; i < n; i++) {
        model_handle *m = model_find(hs[i]);
        int known = m && !m->gates && m->type != API_T_REVOKER;
        hdr[3 + 2 * i] = known ? m->type : API_T_UNKNOWN;
        hdr[4 + 2 * i] = known ? m->rights : API_RIGHTS_UNKNOWN;
    }
    uint32_t hlen = 12 + 8 * n;
    for (uint32_t i = 0; i < sub; i++)
        child_arg[hlen + i] = child_prog[i];
    const char *entry = b & 0x40 ? "nope" : "replay";
    uint32_t entry_ptr = (uint32_t)(uintptr_t)entry, entry_len = b & 0x80 ? 0 : isola_strlen(entry);
    uint32_t arg_ptr = (uint32_t)(uintptr_t)child_arg, arg_len = hlen + sub;
    if ((b & 0x30) == 0x30) {
        entry_ptr = pick_ptr();
        arg_ptr = pick_ptr();
    }
    uint32_t limits_ptr = 0;
    if (b & 1) {
        limits = (isola_limits){.fuel_per_slice = next8() * 10, .fuel_total = next32() & 0xfffff,
                                .queue_bytes = next8() * 16, .memory_pages = next8() & 31,
                                .queue_count = next8() & 15, .handle_count = next8() & 31,
                                .live_children = next8() & 3};
        limits_ptr = b & 2 ? pick_ptr() : (uint32_t)(uintptr_t)&limits;
    }
    int all_known;
    int must_fail = handles_must_fail(hs, n, &all_known);
    int args_ok = in_memory(entry_ptr, entry_len) && in_memory(arg_ptr, arg_len) &&
                  (!limits_ptr || in_memory(limits_ptr, 40));
    int32_t r = isola_spawn(module, (const char *)(uintptr_t)entry_ptr, entry_len,
                            (const void *)(uintptr_t)arg_ptr, arg_len, hs, n, (const isola_limits *)(uintptr_t)limits_ptr);
    trace_call('p', module, r, (int32_t)n);
    check_one(module, API_T_MODULE, ISOLA_RIGHT_SPAWN, r, args_ok && !must_fail && all_known);
    if (must_fail)
        CHECK(r < 0, r, module);
    else if (model_usable(model_find(module), API_T_MODULE, ISOLA_RIGHT_SPAWN) && all_known && args_ok)
        CHECK(!is_access_error(r), r, module);
    if (r >= 0) {
        for (uint32_t i = 0; i < n; i++) {
            model_leaves(hs[i]);
            model_remove(hs[i]);
        }
        model_add(r, API_T_PROCESS, RIGHTS_SELF);
    } else {
        CHECK(isola_close(rep) == 0, r, rep);
        model_remove(rep);
    }
}

static void op_close(void)
{
    int32_t h = pick_handle();
    if (touches_report(h))
        return;
    int32_t r = isola_close(h);
    trace_call('c', h, r, 0);
    CHECK(model_find(h) ? r == 0 : r == ISOLA_EBADHANDLE, r, h);
    model_remove(h);
}

static void op_duplicate(void)
{
    int32_t h = pick_handle();
    uint32_t rights = pick_rights();
    if (touches_report(h))
        return;
    model_handle *m = model_find(h);
    int32_t r = isola_duplicate(h, rights);
    trace_call('d', h, r, (int32_t)rights);
    int subset = !(rights & ~0xffu) && (!m || m->rights == API_RIGHTS_UNKNOWN || !(rights & ~m->rights));
    check_one(h, API_T_UNKNOWN, ISOLA_RIGHT_DUPLICATE, r, !m || subset);
    if (m && (rights & ~0xffu))
        CHECK(r < 0, r, h);
    if (m && m->rights != API_RIGHTS_UNKNOWN && (rights & ~m->rights))
        CHECK(r < 0, r, h);
    if (r >= 0) {
        model_add(r, m ? m->type : API_T_UNKNOWN, rights);
        model_handle *copy = model_find(r);
        copy->gates = m ? m->gates : 0;
        copy->rid = m ? m->rid : -1;
    }
}

/* revoker_create, derive, revoke, detach. */
static void op_revocation(uint32_t which)
{
    if (which == 0) {
        int32_t r = isola_revoker_create();
        trace_call('v', 0, r, 0);
        CHECK(r > 0 || r == ISOLA_ELIMIT || r == ISOLA_ENOMEM, r, 0);
        if (r > 0) {
            model_add(r, API_T_REVOKER, ISOLA_RIGHT_REVOKE | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
            if (nrevokers < MAX_REVOKERS)
                model_find(r)->rid = (int32_t)nrevokers++;
            else
                model_find(r)->type = API_T_UNKNOWN;
        }
    } else if (which == 1) {
        int32_t h = pick_handle(), rv = pick_handle();
        uint32_t rights = pick_rights();
        if (touches_report(h) || touches_report(rv))
            return;
        model_handle *mh = model_find(h), *mr = model_find(rv);
        int32_t r = isola_derive(h, rv, rights);
        trace_call('e', h, r, rv);
        int certain = mh && mr && !gate_uncertain(mh) && !gate_uncertain(mr) && fully_known(mr) && mr->rid >= 0 &&
                      !(shared_rids >> mr->rid & 1) && !unknown_revoked;
        if (!mr)
            CHECK(r == ISOLA_EBADHANDLE, r, rv);
        else if (!mh || known_type_is_not(mr, API_T_REVOKER))
            CHECK(r < 0, r, h);
        else if (certain && (is_revoked(mr) || revoked[mr->rid]))
            CHECK(r == ISOLA_EREVOKED, r, rv);
        else if ((is_revoked(mh) && !gate_uncertain(mh)) || known_lacks(mh, ISOLA_RIGHT_DUPLICATE) ||
                 (rights & ~0xffu) || (mh->rights != API_RIGHTS_UNKNOWN && (rights & ~mh->rights)))
            CHECK(r < 0, r, h);
        else if (certain && fully_known(mh))
            CHECK(!is_access_error(r), r, h);
        if (r > 0) {
            model_add(r, mh ? mh->type : API_T_UNKNOWN, rights);
            model_handle *d = model_find(r);
            d->gates = mh ? mh->gates : 0;
            d->rid = mh ? mh->rid : -1;
            if (mr && mr->rid >= 0) {
                d->gates |= 1u << mr->rid;
            } else {
                d->type = API_T_UNKNOWN;   /* gated by a revoker the model does not know */
                d->rights = API_RIGHTS_UNKNOWN;
            }
        }
    } else if (which == 2) {
        int32_t rv = pick_handle();
        if (touches_report(rv))
            return;
        int32_t r = isola_revoke(rv);
        trace_call('x', rv, r, 0);
        check_one(rv, API_T_REVOKER, ISOLA_RIGHT_REVOKE, r, 1);
        model_handle *m = model_find(rv);
        if (r == 0 && m && m->rid >= 0)
            revoked[m->rid] = 1;
        else if (r == 0)
            unknown_revoked = 1;
    } else {
        int32_t h = pick_handle();
        if (touches_report(h))
            return;
        int32_t r = isola_detach(h);
        trace_call('a', h, r, 0);
        check_one(h, API_T_PROCESS, ISOLA_RIGHT_KILL, r, 1);
    }
}

static void op_process_call(uint32_t which)
{
    int32_t h = pick_handle();
    int32_t reason = (int32_t)next8();
    if (touches_report(h))
        return;
    int32_t r;
    uint32_t right = which == 0 ? ISOLA_RIGHT_KILL : ISOLA_RIGHT_MONITOR;
    if (which == 0)
        r = isola_kill(h, reason);
    else if (which == 1) {
        int64_t ref = isola_monitor(h);
        r = ref < 0 ? (int32_t)ref : 0;
    } else {
        r = isola_link(h);
    }
    trace_call('k' + (int32_t)which, h, r, reason);
    check_one(h, API_T_PROCESS, right, r, 1);
}

static void op_channel(void)
{
    uint32_t b = next8();
    uint32_t ptr = b < 0xc0 ? (uint32_t)(uintptr_t)pair : pick_ptr();
    uint64_t len = 8;
    if (ptr != (uint32_t)(uintptr_t)pair)
        protect_out(&ptr, &len);
    if (len < 8)
        return;
    int32_t r = isola_channel_create((int32_t *)(uintptr_t)ptr);
    int32_t made[2] = {0, 0};
    if (r == 0 && in_memory(ptr, 8))
        __builtin_memcpy(made, (const void *)(uintptr_t)ptr, 8);
    trace_call('h', made[0], r, made[1]);
    if (!in_memory(ptr, 8)) {
        CHECK(r == ISOLA_EINVAL, r, 0);
        return;
    }
    CHECK(r == 0 || r == ISOLA_ELIMIT || r == ISOLA_ENOMEM, r, 0);
    if (r == 0) {
        int32_t got[2];
        __builtin_memcpy(got, (const void *)(uintptr_t)ptr, 8);
        model_add(got[0], API_T_ENDPOINT, RIGHTS_CHANNEL);
        model_add(got[1], API_T_ENDPOINT, RIGHTS_CHANNEL);
    }
}

static void op_misc(uint32_t which)
{
    switch (which) {
    case 0: {
        int32_t r = isola_self();
        trace_call('f', 0, r, 0);
        CHECK(r > 0 || r == ISOLA_ELIMIT || r == ISOLA_ENOMEM, r, 0);
        if (r > 0)
            model_add(r, API_T_PROCESS, RIGHTS_SELF);
        break;
    }
    case 1: isola_trap_exits((int32_t)next8() & 1); break;
    case 2: {
        static const int64_t ns[] = {0, -1, 1, 1000, 10000, 0, 0, 0};
        CHECK(isola_sleep(ns[next8() & 7]) == 0, 0, 0);
        break;
    }
    case 3: isola_yield(); break;
    case 4: {
        int64_t t = isola_now();
        CHECK(t >= last_now, (int32_t)(t - last_now), 0);
        last_now = t;
        break;
    }
    case 5: __builtin_wasm_memory_grow(0, next8() & 3); break;
    case 6:
        if (next8() == 0x42)
            isola_exit((int32_t)next8());
        break;
    default:
        if (next8() == 0x43)
            (void)*(volatile uint32_t *)(uintptr_t)0xFFFFFFF0u;   /* end by a trap */
        break;
    }
}

/* At the end: every closed value is refused, every live one closes. */
static void final_sweep(void)
{
    for (uint32_t i = 0; i < nclosed && i < MAX_CLOSED; i++)
        if (!model_find(closed[i]))
            CHECK(isola_close(closed[i]) == ISOLA_EBADHANDLE, 0, closed[i]);
    while (nlive) {
        int32_t h = live[0].value;
        if (h == report) {
            if (nlive == 1)
                break;
            h = live[1].value;
        }
        int32_t r = isola_close(h);
        CHECK(r == 0, r, h);
        model_remove(h);
    }
}

static void read_start(void)
{
    int32_t hs[8];
    isola_msg_info si;
    int32_t n = isola_receive(ISOLA_MAILBOX, ISOLA_TAG_START, ISOLA_RECV_TAG, start_buf, sizeof start_buf, hs, 8,
                              &si, ISOLA_FOREVER);
    if (n < 8 || (uint32_t)n > sizeof start_buf)
        isola_exit(0x7E01);
    const uint32_t *hdr = (const uint32_t *)start_buf;
    flags_ = hdr[1];
    tracing = (flags_ & API_F_TRACE) != 0;
    if (hdr[0] != API_MAGIC || hdr[2] != si.handle_count || hdr[2] > 8 || (uint32_t)n < 12 + 8 * hdr[2])
        isola_exit(0x7E02);
    for (uint32_t i = 0; i < si.handle_count; i++) {
        uint32_t type = hdr[3 + 2 * i], rights = hdr[4 + 2 * i];
        if (type == API_T_REPORT)
            report = hs[i];
        live[nlive++] = (model_handle){hs[i], type, rights, 0, -1};
    }
    prog = start_buf + 12 + 8 * hdr[2];
    prog_len = (uint32_t)n - 12 - 8 * hdr[2];
}

__attribute__((export_name("replay"))) int32_t replay(void)
{
    read_start();
    last_now = isola_now();
    while (pc < prog_len) {
        op_index++;
        uint32_t op = next8() % 16;
        switch (op) {
        case 0: op_spawn(); break;
        case 1: case 2: op_send(); break;
        case 3: case 4: op_receive(); break;
        case 5: op_close(); break;
        case 6: op_duplicate(); break;
        case 7: case 8: case 9: op_process_call(op - 7); break;
        case 10: op_channel(); break;
        case 11: op_revocation(next8() & 3); break;
        default: op_misc(next8() & 7); break;
        }
    }
    final_sweep();
    return 0;
}
