/*
 * tests/hostile/guests.c - the C processes of the hostile-guest suite: the
 * well-behaved neighbour whose results the host checks exactly, and the
 * hostile ones that C can express (memory, spawn and message bombs, a
 * battery of handle abuse). One module, one export per kind of process.
 * What each one must do is asserted in test_hostile.c.
 */
#include "isola.h"

typedef struct start_msg {
    int32_t handles[8];
    uint32_t nhandles;
    uint32_t arg[16];
} start_msg;

static void get_start(start_msg *s)
{
    isola_msg_info info;
    isola_receive(ISOLA_MAILBOX, ISOLA_TAG_START, ISOLA_RECV_TAG, s->arg, sizeof s->arg, s->handles, 8, &info,
                  ISOLA_FOREVER);
    s->nhandles = info.handle_count;
}

static volatile uint32_t burnt;

static void burn(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        burnt += i;
}

/* ---------------------------------------------------------------- the neighbour */

static uint8_t pattern[32768];

static uint8_t pattern_byte(uint32_t id, uint32_t i)
{
    return (uint8_t)(i * (2 * id + 1) + id);
}

/* arg {id}; handles[0] = where to reply. Fills a pattern, then answers
 * tag-1 requests {x} with {id, x, x*x+id, pattern intact, a handle value of
 * its own, messages of other tags seen} (tag 2) until a tag-0 message;
 * returns how many it answered. */
__attribute__((export_name("neighbour"))) int32_t neighbour(void)
{
    start_msg s;
    get_start(&s);
    uint32_t id = s.arg[0];
    int32_t reply = s.handles[0];
    for (uint32_t i = 0; i < sizeof pattern; i++)
        pattern[i] = pattern_byte(id, i);
    /* Hold a dozen handles, so its handle values reach indices a small hostile table does not have. */
    int32_t mine = 0;
    for (int i = 0; i < 12; i++)
        mine = isola_self();
    int32_t served = 0;
    uint32_t junk = 0;
    for (;;) {
        uint32_t x = 0;
        isola_msg_info info;
        int32_t n = isola_receive(ISOLA_MAILBOX, 0, 0, &x, 4, 0, 0, &info, ISOLA_FOREVER);
        if (n < 0)
            return -1000 + n;
        if (info.tag == 0)
            return served;
        if (info.tag != 1) {
            junk++;
            continue;
        }
        uint32_t ok = 1;
        for (uint32_t i = 0; i < sizeof pattern; i++)
            ok &= pattern[i] == pattern_byte(id, i);
        uint32_t out[6] = {id, x, x * x + id, ok, (uint32_t)mine, junk};
        if (isola_send(reply, 2, out, sizeof out, 0, 0, ISOLA_SEND_WAIT) != 0)
            return -2000;
        served++;
    }
}

/* ---------------------------------------------------------------- memory */

/* arg {step}: grows by `step` pages until refused, then asks for 4 GiB and
 * for 0 pages, writes and reads the last byte; returns the pages it got. */
__attribute__((export_name("membomb"))) int32_t membomb(void)
{
    start_msg s;
    get_start(&s);
    uint32_t step = s.arg[0], got = 0;
    while (__builtin_wasm_memory_grow(0, step) != (unsigned long)-1)
        got += step;
    if (__builtin_wasm_memory_grow(0, 0x10000) != (unsigned long)-1)
        return -1;
    uint32_t pages = (uint32_t)__builtin_wasm_memory_grow(0, 0);
    volatile uint8_t *last = (uint8_t *)(uintptr_t)(pages * 65536u - 1);
    *last = 0x5A;
    if (*last != 0x5A)
        return -2;
    return (int32_t)got;
}

/* arg {child_pages}; handles[0] = its module. Its own memory and the pages
 * it grants a child share its limit: it lends child_pages to a waiting
 * child, grows by a page until refused, ends the child, waits for its end
 * and grows again. Returns pages grown before * 1000 + after. */
__attribute__((export_name("lender"))) int32_t lender(void)
{
    start_msg s;
    get_start(&s);
    isola_limits lim = {.memory_pages = s.arg[0], .handle_count = 4, .queue_count = 4, .live_children = 0};
    int32_t c = isola_spawn(s.handles[0], "waiter", 6, 0, 0, 0, 0, &lim);
    if (c < 0)
        return c;
    uint32_t before = 0, after = 0;
    while (__builtin_wasm_memory_grow(0, 1) != (unsigned long)-1)
        before++;
    isola_monitor(c);
    isola_kill(c, 0);
    isola_down d;
    isola_msg_info info;
    isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
    while (__builtin_wasm_memory_grow(0, 1) != (unsigned long)-1)
        after++;
    return (int32_t)(before * 1000 + after);
}

static int32_t monitor_until_refused(int32_t c)
{
    int32_t ok = 0;
    while (isola_monitor(c) >= 0 && ok < 100000)
        ok++;
    return ok;
}

/* handles[0] = a live process (MONITOR). Monitors it until refused and
 * ends: its monitors stay on the target's list. Returns how many it made. */
__attribute__((export_name("monitor_all"))) int32_t monitor_all(void)
{
    start_msg s;
    get_start(&s);
    return monitor_until_refused(s.handles[0]);
}

/* arg {n}; handles[0] = its module. Links to n waiting children, then
 * links again to the first 100,000 times: links are a set, so each call
 * looks through the n on its list to find it there. Returns the count if
 * it got that far; charged per link looked at, a fuel total ends it first. */
__attribute__((export_name("relinker"))) int32_t relinker(void)
{
    start_msg s;
    get_start(&s);
    isola_limits lim = {.memory_pages = 2, .handle_count = 4, .queue_count = 4, .live_children = 0,
                        .fuel_total = 1000};   /* not half of what is left, the default under a total */
    isola_trap_exits(1);
    int32_t first = -1;
    for (uint32_t i = 0; i < s.arg[0]; i++) {
        int32_t c = isola_spawn(s.handles[0], "waiter", 6, 0, 0, 0, 0, &lim);
        if (c < 0 || isola_link(c) != 0)
            return -1;
        if (first < 0)
            first = c;
    }
    int32_t again = 0;
    while (again < 100000 && isola_link(first) == 0)
        again++;
    return again;
}

/* Mode 3 of the watcher: monitors live child `c` until refused, kills it and
 * receives none of the DOWNs at first. They bypass its 4-message mailbox
 * limit, but each holds its monitor's unit of the handle limit until
 * received: so one more monitor only once one DOWN is received, and the
 * rest once the rest are. Returns the four counts, two digits each. */
static int32_t notice_hoarder(int32_t module, int32_t c)
{
    isola_limits lim = {.memory_pages = 2, .handle_count = 4, .queue_count = 4, .live_children = 0};
    int32_t first = monitor_until_refused(c);
    isola_kill(c, 0);
    isola_down d;
    isola_msg_info info;
    isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
    int32_t c2 = isola_spawn(module, "waiter", 6, 0, 0, 0, 0, &lim);
    int32_t one = monitor_until_refused(c2);
    /* The other 15 (the end pushes them one by one, maybe on another
     * worker: wait for each), and then no more. */
    int32_t rest = 0;
    while (rest < first - 1 &&
           isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER) >= 0)
        rest++;
    while (isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, 0) >= 0)
        rest++;
    int32_t again = monitor_until_refused(c2);
    isola_kill(c2, 0);
    return first * 1000000 + one * 10000 + rest * 100 + again;
}

/* arg {mode}; handles[0] = its module. Monitors one child again and again
 * until refused: mode 0 a child that waits (each monitor stays on its
 * list), mode 1 a child that has ended (each monitor sends a DOWN at once,
 * into the caller's own mailbox); mode 2 links to the ended child again
 * and again, trapping exits (each link sends an EXIT at once, and leaves
 * no link behind). Returns successes * 100 - the status. Mode 3: see
 * notice_hoarder. */
__attribute__((export_name("watcher"))) int32_t watcher(void)
{
    start_msg s;
    get_start(&s);
    isola_limits lim = {.memory_pages = 2, .handle_count = 4, .queue_count = 4, .live_children = 0};
    uint32_t ms = 0;
    int live = s.arg[0] == 0 || s.arg[0] == 3;
    int32_t c = live ? isola_spawn(s.handles[0], "waiter", 6, 0, 0, 0, 0, &lim)
                     : isola_spawn(s.handles[0], "napper", 6, &ms, 4, 0, 0, &lim);
    if (c < 0)
        return c;
    if (!live) {   /* wait for its end, and drop that DOWN */
        isola_monitor(c);
        isola_down d;
        isola_msg_info info;
        isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
    }
    int32_t ok = 0;
    int64_t r;
    if (s.arg[0] == 3)
        return notice_hoarder(s.handles[0], c);
    if (s.arg[0] == 2) {
        isola_trap_exits(1);
        while ((r = isola_link(c)) >= 0 && ok < 100000)
            ok++;
        return ok * 100 - (int32_t)r;
    }
    while ((r = isola_monitor(c)) >= 0 && ok < 100000)
        ok++;
    if (s.arg[0] == 0)
        isola_kill(c, 0);
    return ok * 100 - (int32_t)r;
}

/* arg {every}; handles[0] = where to report. Burns `every` units of fuel,
 * sends a tick, and again, for ever: its fuel total ends it. */
__attribute__((export_name("ticker"))) void ticker(void)
{
    start_msg s;
    get_start(&s);
    for (;;) {
        burn(s.arg[0]);
        isola_send(s.handles[0], 5, 0, 0, 0, 0, 0);
    }
}

/* handles[0] = a module (SPAWN), handles[1] = where to report. Spawns its
 * "main" again and again, sending a tick after each spawn that worked: its
 * fuel total ends it. */
__attribute__((export_name("spawner"))) void spawner(void)
{
    start_msg s;
    get_start(&s);
    /* A small grant: default ones would reserve half the spawner's fuel each. */
    isola_limits lim = {.fuel_total = 100, .memory_pages = 1, .handle_count = 4, .queue_count = 4};
    for (;;) {
        int32_t c = isola_spawn(s.handles[0], "main", 4, 0, 0, 0, 0, &lim);
        if (c >= 0) {
            isola_close(c);
            isola_send(s.handles[1], 5, 0, 0, 0, 0, 0);
        }
    }
}

/* arg {iterations}. Each iteration makes 256 cheap host calls (now): with
 * a unit per host call, a fuel total ends it long before; charged only
 * for the loop's back-edge, it returned. Returns the iterations done. */
__attribute__((export_name("now_loop"))) int32_t now_loop(void)
{
    start_msg s;
    get_start(&s);
    uint32_t i = 0;
    int64_t sum = 0;
    for (; i < s.arg[0]; i++) {
        /* Straight-line calls: no back-edge of their own to pay at. */
#pragma clang loop unroll(full)
        for (int k = 0; k < 256; k++)
            sum += isola_now();
    }
    return sum == 0 ? -1 : (int32_t)i;
}

/* arg {tries}. Fills a channel's 1 MiB queue with one 1 MiB message, then
 * sends 1 MiB again and again into the full queue: each try copies the
 * bytes and is refused (EFULL), and pays 16,384 units for the copy, more
 * than a 10,000-unit slice: the part past the slice is a debt, charged,
 * not forgiven. Returns the tries made. */
__attribute__((export_name("big_send"))) int32_t big_send(void)
{
    start_msg s;
    get_start(&s);
    unsigned long old = __builtin_wasm_memory_grow(0, 16);   /* the module's memory is small */
    if (old == (unsigned long)-1)
        return -3;
    const uint8_t *big = (const uint8_t *)(uintptr_t)(old * 65536);
    uint32_t size = 1u << 20;
    int32_t ch[2];
    if (isola_channel_create(ch) != 0 || isola_send(ch[1], 1, big, size, 0, 0, 0) != 0)
        return -1;
    uint32_t i = 0;
    for (; i < s.arg[0]; i++)
        if (isola_send(ch[1], 1, big, size, 0, 0, 0) != ISOLA_EFULL)
            return -2;
    return (int32_t)i;
}

/* ---------------------------------------------------------------- spawn bombs */

/* arg {mode}; handles[0] = its module (SPAWN, DUPLICATE, TRANSFER). Spawns
 * copies of itself for ever, each with the module, burning fuel between
 * tries. mode 0 asks for the default limits (each grant is clamped to what
 * the spawner has left); mode 1 asks for small explicit grants (a bushy
 * tree). It never ends by itself: its fuel total ends it. */
__attribute__((export_name("forkbomb"))) void forkbomb(void)
{
    start_msg s;
    get_start(&s);
    int32_t module = s.handles[0];
    uint32_t mode = s.arg[0];
    isola_limits small = {.fuel_total = 40000, .memory_pages = 4, .handle_count = 8, .queue_count = 4,
                          .live_children = 2};
    for (;;) {
        int32_t m = isola_duplicate(module, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
        if (m > 0) {
            int32_t c = isola_spawn(module, "forkbomb", 8, &mode, 4, &m, 1, mode ? &small : 0);
            if (c > 0)
                isola_close(c);
            else
                isola_close(m);
        }
        burn(200);
    }
}

/* arg {tries}; handles[0] = its module. A spawn bomb that hides its
 * children: each try spawns a middle process that spawns a napper, detaches
 * it and exits at once, leaving the napper orphaned; it waits for the middle
 * one to end before the next try. Returns how many tries succeeded. With
 * quotas that nest, orphans still count against it. */
__attribute__((export_name("orphan_root"))) int32_t orphan_root(void)
{
    start_msg s;
    get_start(&s);
    int32_t module = s.handles[0], ok = 0;
    isola_limits mid = {.memory_pages = 4, .handle_count = 8, .queue_count = 4, .live_children = 1};
    for (uint32_t i = 0; i < s.arg[0]; i++) {
        int32_t m = isola_duplicate(module, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_TRANSFER);
        int32_t c = isola_spawn(module, "orphan_mid", 10, 0, 0, &m, 1, &mid);
        if (c < 0) {
            isola_close(m);
            continue;
        }
        ok++;
        isola_monitor(c);
        isola_down d;
        isola_msg_info info;
        isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
        isola_close(c);
    }
    return ok;
}

__attribute__((export_name("orphan_mid"))) int32_t orphan_mid(void)
{
    start_msg s;
    get_start(&s);
    uint32_t ms = 2000;
    isola_limits leaf = {.memory_pages = 4, .handle_count = 4, .queue_count = 4, .live_children = 0};
    int32_t c = isola_spawn(s.handles[0], "napper", 6, &ms, 4, 0, 0, &leaf);
    if (c < 0)
        return c;
    return isola_detach(c);   /* outlive us: an orphan */
}

/* arg {ms}: sleeps, then ends. */
__attribute__((export_name("napper"))) int32_t napper(void)
{
    start_msg s;
    get_start(&s);
    isola_sleep((int64_t)s.arg[0] * 1000000);
    return 0;
}

/* ---------------------------------------------------------------- messages */

static uint8_t payload[8192];

/* arg {size, count, flags}; handles[0] = target, handles[1] = report.
 * Sends `count` messages of `size` bytes; stops at the first error other
 * than EFULL/ETOOBIG. Reports {ok, efull, etoobig, other error or 0} (tag 5). */
__attribute__((export_name("flooder"))) int32_t flooder(void)
{
    start_msg s;
    get_start(&s);
    uint32_t size = s.arg[0], count = s.arg[1], flags = s.arg[2];
    int32_t out[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < count; i++) {
        payload[0] = (uint8_t)i;
        int32_t r = isola_send(s.handles[0], 1, payload, size, 0, 0, flags);
        if (r == 0)
            out[0]++;
        else if (r == ISOLA_EFULL)
            out[1]++;
        else if (r == ISOLA_ETOOBIG)
            out[2]++;
        else {
            out[3] = r;
            break;
        }
    }
    isola_send(s.handles[1], 5, out, sizeof out, 0, 0, 0);
    return out[0];
}

/* arg {n}. Fills its own mailbox with n messages of tag 1, then polls it
 * 100,000 times for tag 0xBEEF (never there): each poll walks past all n.
 * Returns the count if it got that far; with fuel charged per message
 * passed over, a fuel total runs out long before. */
__attribute__((export_name("sifter"))) int32_t sifter(void)
{
    start_msg s;
    get_start(&s);
    int32_t me = isola_self();
    for (uint32_t i = 0; i < s.arg[0]; i++)
        if (isola_send(me, 1, 0, 0, 0, 0, 0) != 0)
            return -1;
    int32_t polls = 0;
    isola_msg_info info;
    while (polls < 100000 && isola_receive(ISOLA_MAILBOX, 0xBEEF, ISOLA_RECV_TAG, 0, 0, 0, 0, &info, 0) ==
                                 ISOLA_EAGAIN)
        polls++;
    return polls;
}

/* arg {delay_ms, expect}; handles[0] = report. Says it is ready (tag 9),
 * then (delay_ms == 0) waits for ever for a tag that never comes, so its
 * mailbox fills; or sleeps delay_ms and drains until `expect` messages came
 * (each checked: the first byte counts 0, 1, 2...), reporting the count. */
__attribute__((export_name("sink"))) int32_t sink(void)
{
    start_msg s;
    get_start(&s);
    uint32_t delay = s.arg[0], expect = s.arg[1];
    isola_send(s.handles[0], 9, 0, 0, 0, 0, 0);
    uint8_t buf[8];
    isola_msg_info info;
    if (delay == 0)
        return isola_receive(ISOLA_MAILBOX, 0xDEAD, ISOLA_RECV_TAG, buf, 8, 0, 0, &info, ISOLA_FOREVER);
    isola_sleep((int64_t)delay * 1000000);
    int32_t n = 0;
    while ((uint32_t)n < expect) {
        int32_t r = isola_receive(ISOLA_MAILBOX, 0, 0, buf, 8, 0, 0, &info, 5000000000LL);
        if (r < 0 || buf[0] != (uint8_t)n)
            break;
        n++;
    }
    isola_send(s.handles[0], 10, &n, 4, 0, 0, 0);
    return n;
}

/* Blocks for ever in receive (to be killed while parked). */
__attribute__((export_name("waiter"))) int32_t waiter(void)
{
    uint8_t b[4];
    isola_msg_info info;
    isola_receive(ISOLA_MAILBOX, 0xDEAD, ISOLA_RECV_TAG, b, 4, 0, 0, &info, ISOLA_FOREVER);
    return 1;
}

/* ---------------------------------------------------------------- channel nests */

static uint8_t page4k[4096];

/* Builds a nest of channels until channel_create refuses: each new
 * channel's queue takes the previous root (a receive end whose queue is
 * full), then 4 KiB messages until it is full too, and its send end is
 * closed, so the table only ever holds the newest root. Moving endpoints
 * into messages takes them out of the table: without a count of live
 * channels, nothing here would stop. Stops at `cap` channels either way.
 * Returns how many it made; *status is what stopped it. */
static int32_t nest_build(uint32_t cap, int32_t *root, int32_t *status)
{
    int32_t made = 0;
    *root = 0;
    *status = 0;
    while ((uint32_t)made < cap) {
        int32_t ch[2];
        int32_t r = isola_channel_create(ch);
        if (r != 0) {
            *status = r;
            break;
        }
        made++;
        if (*root && (r = isola_send(ch[1], 2, 0, 0, root, 1, 0)) != 0) {
            *status = r;
            break;
        }
        while (isola_send(ch[1], 1, page4k, sizeof page4k, 0, 0, 0) == 0) {
        }
        isola_close(ch[1]);
        *root = ch[0];
    }
    return made;
}

/* handles[0] = report. Builds a nest, reports {made, status, status of a
 * channel_create once the nest is closed} (tag 7). */
__attribute__((export_name("nester"))) int32_t nester(void)
{
    start_msg s;
    get_start(&s);
    int32_t root, out[3];
    out[0] = nest_build(1000, &root, &out[1]);
    isola_close(root);
    int32_t ch[2];
    out[2] = isola_channel_create(ch);
    isola_send(s.handles[0], 7, out, sizeof out, 0, 0, 0);
    return out[0];
}

/* handles[0] = a vault's send end. Builds a nest, leaves it in the vault
 * and ends: the nest outlives it. */
__attribute__((export_name("nest_child"))) int32_t nest_child(void)
{
    start_msg s;
    get_start(&s);
    int32_t root, status;
    int32_t made = nest_build(1000, &root, &status);
    if (status != ISOLA_ELIMIT || isola_send(s.handles[0], 3, 0, 0, &root, 1, 0) != 0)
        return -1;
    return made;
}

/* Spawns a nest_child with a send end of `vault` and waits for its end. */
static int32_t nest_spawn(int32_t module, int32_t vault, isola_down *down)
{
    isola_limits child = {.memory_pages = 4, .handle_count = 8, .queue_count = 4, .queue_bytes = 16384,
                          .live_children = 0};
    int32_t tx = isola_duplicate(vault, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER);
    int32_t c = isola_spawn(module, "nest_child", 10, 0, 0, &tx, 1, &child);
    if (c < 0) {
        isola_close(tx);
        return c;
    }
    isola_monitor(c);
    isola_msg_info info;
    isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, down, sizeof *down, 0, 0, &info, ISOLA_FOREVER);
    isola_close(c);
    return 0;
}

/* handles[0] = report, handles[1] = its module. Spawns nest_child after
 * nest_child into a vault it holds (at most 20), until a spawn fails; then
 * closes the vault and spawns once more. Reports {children spawned, the
 * failing spawn's status, the spawn after the close, how the first child
 * ended: kind * 1000 + reason} (tag 8). */
__attribute__((export_name("nest_parent"))) int32_t nest_parent(void)
{
    start_msg s;
    get_start(&s);
    int32_t vault[2], out[4] = {0, 0, 0, 0}, r;
    isola_down first = {0}, down;
    if (isola_channel_create(vault) != 0)
        return -1;
    while (out[0] < 20 && (r = nest_spawn(s.handles[1], vault[1], out[0] ? &down : &first)) == 0)
        out[0]++;
    out[1] = out[0] < 20 ? r : 0;
    isola_close(vault[0]);   /* every nest goes, and with it the slots the children held */
    out[2] = nest_spawn(s.handles[1], vault[1], &down);
    out[3] = first.kind * 1000 + first.reason;
    isola_send(s.handles[0], 8, out, sizeof out, 0, 0, 0);
    return out[0];
}

/* arg {depth}. Builds a chain of channels top down (each new receive end
 * sent into the previous channel through its send end, which it then
 * closes: no send searches more than one empty endpoint), then closes the
 * root. Freeing the chain frees each link's queue, whose message holds the
 * next link: recursion a link deep, which overflowed a worker's stack (and
 * took the VM down) at a hundred thousand. Returns the depth built. */
__attribute__((export_name("deep_chain"))) int32_t deep_chain(void)
{
    start_msg s;
    get_start(&s);
    int32_t root[2];
    if (isola_channel_create(root) != 0)
        return -1;
    int32_t through = root[1], depth = 0;
    for (uint32_t i = 0; i < s.arg[0]; i++) {
        int32_t ch[2];
        if (isola_channel_create(ch) != 0 || isola_send(through, 1, 0, 0, &ch[0], 1, 0) != 0)
            return -2;
        isola_close(through);
        through = ch[1];
        depth++;
    }
    isola_close(through);
    isola_close(root[0]);
    return depth;
}

/* handles[0] = whom to tell it is about to park. Parks in receive on its
 * mailbox taking up to 8 handles; returns how many its message had. */
__attribute__((export_name("taker"))) int32_t taker(void)
{
    start_msg s;
    get_start(&s);
    isola_send(s.handles[0], 11, 0, 0, 0, 0, 0);
    int32_t got[8];
    isola_msg_info info;
    if (isola_receive(ISOLA_MAILBOX, 0, 0, 0, 0, got, 8, &info, ISOLA_FOREVER) < 0)
        return -1;
    return (int32_t)info.handle_count;
}

static void selves(int32_t *h, int n)
{
    for (int i = 0; i < n; i++)
        h[i] = isola_self();
}

/* handles[0] = report, handles[1] = its module. Handles wait in a queue only
 * as many as messages may (its 4): each keeps an object alive that the byte
 * limit cannot see (a closed process, a revoker chain). Reports {a message
 * with 4 handles, then one with 1, one with 5, the 1 again once the first
 * is received, 5 handles to a child parked in receive with room for 8 but
 * a 4-message mailbox, how many the child got of the 4 sent next} (tag 10). */
__attribute__((export_name("carrier"))) int32_t carrier(void)
{
    start_msg s;
    get_start(&s);
    int32_t ch[2], h[5], five[5], got[4], out[6];
    if (isola_channel_create(ch) != 0)
        return -1;
    selves(h, 5);
    selves(five, 5);
    out[0] = isola_send(ch[1], 1, 0, 0, h, 4, 0);
    out[1] = isola_send(ch[1], 1, 0, 0, &h[4], 1, 0);
    out[2] = isola_send(ch[1], 1, 0, 0, five, 5, 0);
    isola_msg_info info;
    isola_receive(ch[0], 0, 0, 0, 0, got, 4, &info, 0);
    out[3] = isola_send(ch[1], 1, 0, 0, &h[4], 1, 0);
    /* A parked receiver must not change the answer: no hand-off of what
     * the queue could never hold. */
    isola_limits lim = {.memory_pages = 2, .handle_count = 16, .queue_count = 4, .live_children = 0};
    int32_t me = isola_self();
    int32_t child = isola_spawn(s.handles[1], "taker", 5, 0, 0, &me, 1, &lim);
    isola_receive(ISOLA_MAILBOX, 11, ISOLA_RECV_TAG, 0, 0, 0, 0, &info, ISOLA_FOREVER);
    isola_sleep(20000000);   /* until it has parked */
    out[4] = isola_send(child, 1, 0, 0, five, 5, 0);
    isola_monitor(child);
    out[5] = isola_send(child, 1, 0, 0, got, 4, 0);
    isola_down d;
    isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
    out[5] = out[5] == 0 ? d.reason : out[5];
    isola_send(s.handles[0], 10, out, sizeof out, 0, 0, 0);
    return 0;
}

/* ---------------------------------------------------------------- handles */

static int32_t results[96];
static uint32_t nresults;

static void note(int32_t r)
{
    if (nresults < 96)
        results[nresults++] = r;
}

/* handles[0] = report endpoint (SEND), handles[1] = the neighbour and
 * handles[2] = its module (each with DUPLICATE and TRANSFER, which moving
 * them here needed); arg {a handle value the neighbour holds}. Keeps only a
 * SEND-only copy of the neighbour and a SPAWN-only copy of the module, then
 * tries every abuse of handles it can and sends the result of each (tag 6);
 * test_hostile.c holds the expected list. Its handle limit is 16. */
__attribute__((export_name("handles"))) int32_t handles(void)
{
    start_msg s;
    get_start(&s);
    int32_t report = s.handles[0];
    int32_t nb = isola_duplicate(s.handles[1], ISOLA_RIGHT_SEND);
    int32_t module = isola_duplicate(s.handles[2], ISOLA_RIGHT_SPAWN);
    if (nb < 0 || module < 0 || isola_close(s.handles[1]) != 0 || isola_close(s.handles[2]) != 0)
        return -1;
    int32_t theirs = (int32_t)s.arg[0];
    uint32_t x = 1;
    /* 0-7: forged values. */
    static const int32_t forged[] = {0, -1, (int32_t)0x80000000u, 0x7fffffff, (1 << 20) | 500, (2 << 20) | 0,
                                     12345};
    for (uint32_t i = 0; i < sizeof forged / sizeof forged[0]; i++)
        note(isola_send(forged[i], 1, &x, 4, 0, 0, 0));
    note(isola_kill(theirs, 1));                                 /* 7: a value live only in the neighbour */
    /* 8-11: closed. */
    int32_t me = isola_self();
    note(me > 0);
    note(isola_close(me));
    note(isola_close(me));
    note(isola_kill(me, 1));
    /* 12-16: wrong types. */
    int32_t ch[2];
    note(isola_channel_create(ch));
    note(isola_spawn(ch[0], "handles", 7, 0, 0, 0, 0, 0));      /* endpoint as a module */
    note(isola_kill(ch[0], 1));                                  /* endpoint as a process */
    note((int32_t)isola_monitor(ch[1]));
    note(isola_receive(nb, 0, 0, &x, 4, 0, 0, 0, 0));            /* a process as an endpoint */
    /* 17-21: missing rights. */
    note(isola_kill(nb, 1));
    note((int32_t)isola_monitor(nb));
    note(isola_link(nb));
    note(isola_duplicate(nb, ISOLA_RIGHT_SEND));                 /* no DUPLICATE right */
    note(isola_send(module, 1, &x, 4, 0, 0, 0));                 /* a module cannot be sent to */
    /* 22-28: duplicating with more rights. */
    int32_t d = isola_duplicate(ch[0], ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE);
    note(d > 0);
    note(isola_duplicate(d, ISOLA_RIGHT_SEND | ISOLA_RIGHT_RECEIVE));
    note(isola_duplicate(d, ISOLA_RIGHT_SEND | 0x100));
    int32_t none = isola_duplicate(d, 0);
    note(none > 0);
    note(isola_send(none, 1, &x, 4, 0, 0, 0));
    note(isola_receive(d, 0, 0, &x, 4, 0, 0, 0, 0));
    note(isola_duplicate(module, ISOLA_RIGHT_SPAWN));            /* no DUPLICATE on the module */
    /* 29-34: handles sent without the transfer right, twice, or through themselves. */
    note(isola_send(report, 1, &x, 4, &d, 1, 0));                /* d has no TRANSFER */
    note(isola_send(report, 1, &x, 4, &nb, 1, 0));
    note(isola_send(nb, 0x77, &x, 4, 0, 0, 0));                  /* both still work */
    int32_t twice[2] = {ch[1], ch[1]};
    note(isola_send(report, 1, &x, 4, twice, 2, 0));
    note(isola_send(ch[0], 1, &x, 4, &ch[1], 1, 0));             /* an endpoint into its own queue */
    note(isola_send(report, 1, &x, 4, ch, 65, 0));               /* more handles than a message holds */
    /* 35-40: pointers at and past the end of memory. */
    uint32_t end = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
    note(isola_send(ch[0], 1, (void *)(uintptr_t)(end - 2), 4, 0, 0, 0));
    note(isola_send(ch[0], 1, (void *)(uintptr_t)0xFFFFFFFFu, 2, 0, 0, 0));
    note(isola_channel_create((int32_t *)(uintptr_t)(end - 4)));
    note(isola_send(ch[0], 1, (void *)(uintptr_t)(end - 4), 4, 0, 0, 0));  /* exactly at the end: fine */
    note(isola_receive(ch[1], 0, 0, (void *)(uintptr_t)(end - 2), 4, 0, 0, 0, 0));
    note(isola_receive(ch[1], 0, 0, &x, 4, (int32_t *)(uintptr_t)end, 1, 0, 0));
    /* 41-42: the message is still there after those refusals. */
    isola_msg_info info;
    note(isola_receive(ch[1], 0, 0, &x, 4, 0, 0, &info, 0));
    note(isola_receive(ch[1], 0, 0, &x, 4, 0, 0, &info, 0));     /* now empty */
    /* 43-46: a message with handles and too little room for them stays queued. */
    int32_t give = isola_duplicate(ch[0], ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER);
    note(isola_send(ch[0], 3, &x, 4, &give, 1, 0));
    note(isola_receive(ch[1], 0, 0, &x, 4, 0, 0, &info, 0));     /* handles_max 0 */
    int32_t got = 0;
    note(isola_receive(ch[1], 0, 0, &x, 4, &got, 1, &info, 0));
    note(got > 0 && got != give && isola_close(got) == 0);
    /* 47-51: stale after slot reuse. Fill the table (limit 16), free one, take it again. */
    int32_t filler[16];
    uint32_t nf = 0;
    for (;;) {
        int32_t h = isola_self();
        if (h < 0) {
            note(h);                                             /* 47: the table is full */
            break;
        }
        filler[nf++] = h;
    }
    int32_t old = filler[nf - 1];
    isola_close(old);
    int32_t fresh = isola_self();
    note((fresh & 0xFFFFF) == (old & 0xFFFFF) && fresh != old);  /* 48: same slot, new generation */
    note(isola_kill(old, 1));                                    /* 49: the old value is dead */
    note(isola_close(old));                                      /* 50 */
    note(isola_send(fresh, 1, &x, 0, 0, 0, 0));                  /* 51: the new one works */
    for (uint32_t i = 0; i + 1 < nf; i++)
        isola_close(filler[i]);
    isola_close(fresh);
    /* 52-53: the other end gone (every handle to it closed). */
    isola_close(ch[0]);
    isola_close(d);
    isola_close(none);
    note(isola_receive(ch[1], 0, 0, &x, 4, 0, 0, 0, 0));         /* drained, no sender: ECLOSED */
    isola_close(ch[1]);
    int32_t ch2[2];
    isola_channel_create(ch2);
    isola_close(ch2[1]);
    note(isola_send(ch2[0], 1, &x, 4, 0, 0, 0));                 /* receiver gone: EPEER */
    isola_close(ch2[0]);
    isola_send(report, 6, results, nresults * 4, 0, 0, 0);
    return (int32_t)nresults;
}
