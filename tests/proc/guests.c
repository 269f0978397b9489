/*
 * tests/proc/guests.c - guest programs for the process tests and benches:
 * one module, many entry points (each a process kind).
 */
#include "isola.h"

typedef struct start_msg {
    int32_t handles[8];
    uint32_t nhandles;
    uint8_t arg[64];
    int32_t arg_len;
} start_msg;

static void get_start(start_msg *s)
{
    isola_msg_info info;
    s->arg_len = isola_receive(ISOLA_MAILBOX, ISOLA_TAG_START, ISOLA_RECV_TAG, s->arg, sizeof s->arg,
                               s->handles, 8, &info, ISOLA_FOREVER);
    s->nhandles = info.handle_count;
}

static uint32_t arg_u32(const start_msg *s, int i)
{
    uint32_t v;
    __builtin_memcpy(&v, s->arg + 4 * i, 4);
    return v;
}

/* Echo: start handles[0] = where to reply. Replies every message with the same tag+bytes; tag 0 stops. */
__attribute__((export_name("echo"))) void echo(void)
{
    start_msg s;
    get_start(&s);
    int32_t reply = s.handles[0];
    uint8_t buf[256];
    isola_msg_info info;
    for (;;) {
        int32_t n = isola_recv_any(buf, sizeof buf, 0, 0, &info);
        if (n < 0)
            isola_exit(100 - n);
        if (info.tag == 0)
            return;
        isola_send(reply, info.tag, buf, (uint32_t)n, 0, 0, ISOLA_SEND_WAIT);
    }
}

/* Ping-pong driver: arg = rounds; handles[0] = module. Spawns echo, does rounds, reports the ns to handles[1]. */
__attribute__((export_name("pingpong"))) int32_t pingpong(void)
{
    start_msg s;
    get_start(&s);
    uint32_t rounds = arg_u32(&s, 0);
    int32_t me = isola_self();
    int32_t child = isola_spawn(s.handles[0], "echo", 4, 0, 0, &me, 1, 0);
    if (child < 0)
        return child;
    uint32_t x = 0;
    isola_msg_info info;
    int64_t t0 = isola_now();
    for (uint32_t i = 0; i < rounds; i++) {
        x = i;
        isola_send(child, 1, &x, 4, 0, 0, ISOLA_SEND_WAIT);
        isola_recv_any(&x, 4, 0, 0, &info);
        if (x != i)
            return -100;
    }
    int64_t t1 = isola_now();
    isola_send(child, 0, 0, 0, 0, 0, 0);
    int64_t ns = t1 - t0;
    isola_send(s.handles[1], 7, &ns, 8, 0, 0, ISOLA_SEND_WAIT);
    return 0;
}

/* Ring node: start handles[0] = next. Forwards tokens: counter decremented; 0 -> sends 0 on and exits. */
__attribute__((export_name("ring_node"))) void ring_node(void)
{
    start_msg s;
    get_start(&s);
    int32_t next = s.handles[0];
    isola_msg_info info;
    for (;;) {
        uint32_t token;
        isola_recv_any(&token, 4, 0, 0, &info);
        if (token == 0) {
            isola_send(next, 1, &token, 4, 0, 0, 0);
            return;
        }
        token--;
        isola_send(next, 1, &token, 4, 0, 0, ISOLA_SEND_WAIT);
    }
}

/* Ring head: arg = {n, laps}; handles[0] = module, handles[1] = report endpoint. */
__attribute__((export_name("ring"))) int32_t ring(void)
{
    start_msg s;
    get_start(&s);
    uint32_t n = arg_u32(&s, 0), laps = arg_u32(&s, 1);
    int32_t next = isola_self();
    for (uint32_t i = 1; i < n; i++) {
        isola_limits lim = {.memory_pages = 2, .handle_count = 8, .queue_count = 8};
        int32_t child = isola_spawn(s.handles[0], "ring_node", 9, 0, 0, &next, 1, &lim);
        if (child < 0)
            return child;
        next = child;
    }
    /* The head forwards too; the token counts hops. */
    uint32_t token = n * laps;
    int64_t t0 = isola_now();
    isola_send(next, 1, &token, 4, 0, 0, ISOLA_SEND_WAIT);
    isola_msg_info info;
    for (;;) {
        isola_recv_any(&token, 4, 0, 0, &info);
        if (token == 0)
            break;
        token--;
        isola_send(next, 1, &token, 4, 0, 0, ISOLA_SEND_WAIT);
    }
    int64_t ns = isola_now() - t0;
    /* The zero stopped the nodes after the one that produced it; one more
     * zero stops the rest (the last of them finds its next ended: EPEER). */
    isola_send(next, 1, &token, 4, 0, 0, ISOLA_SEND_WAIT);
    isola_send(s.handles[1], 7, &ns, 8, 0, 0, ISOLA_SEND_WAIT);
    return 0;
}

/* Waits for one message, then ends (scale tests: a million blocked in receive). */
__attribute__((export_name("waiter"))) int32_t waiter(void)
{
    start_msg s;
    get_start(&s);
    uint32_t x = 0;
    isola_msg_info info;
    int32_t n = isola_recv_any(&x, 4, 0, 0, &info);
    return n < 0 ? n : (int32_t)x;
}

/* Hive: arg = {count}; handles[0] = module, handles[1] = report. Spawns
 * `count` waiters, all alive at once, and reports {count} (tag 11); on a
 * message tagged 12 sends each waiter a stop and ends. Reports a negative
 * spawn status instead if a spawn fails. */
__attribute__((export_name("hive"))) int32_t hive(void)
{
    start_msg s;
    get_start(&s);
    uint32_t n = arg_u32(&s, 0);
    int32_t report = s.handles[1];
    unsigned long old = __builtin_wasm_memory_grow(0, (n * 4u + 65535u) / 65536u);
    if (old == (unsigned long)-1)
        return -1;
    int32_t *kids = (int32_t *)(old * 65536u);
    isola_limits lim = {.memory_pages = 1, .handle_count = 4, .queue_count = 4};
    for (uint32_t i = 0; i < n; i++) {
        kids[i] = isola_spawn(s.handles[0], "waiter", 6, 0, 0, 0, 0, &lim);
        if (kids[i] < 0) {
            isola_send(report, 11, &kids[i], 4, 0, 0, ISOLA_SEND_WAIT);
            return kids[i];
        }
    }
    isola_send(report, 11, &n, 4, 0, 0, ISOLA_SEND_WAIT);
    isola_msg_info info;
    uint32_t x;
    isola_receive(ISOLA_MAILBOX, 12, ISOLA_RECV_TAG, &x, 4, 0, 0, &info, ISOLA_FOREVER);
    uint32_t stop = 7;
    for (uint32_t i = 0; i < n; i++) {
        if (isola_send(kids[i], 1, &stop, 4, 0, 0, ISOLA_SEND_WAIT) < 0)
            return -2;
        isola_close(kids[i]);
    }
    return 0;
}

/* Returns at once (spawn benchmark). */
__attribute__((export_name("nop"))) void nop(void) {}

/* Spawner: arg = count; handles[0] = module. Spawns `count` nop processes (each exits). */
__attribute__((export_name("spawner"))) int32_t spawner(void)
{
    start_msg s;
    get_start(&s);
    uint32_t n = arg_u32(&s, 0);
    isola_limits lim = {.memory_pages = 4, .handle_count = 16, .queue_count = 16};
    for (uint32_t i = 0; i < n; i++) {
        int32_t c = isola_spawn(s.handles[0], "nop", 3, 0, 0, 0, 0, &lim);
        if (c < 0) {
            isola_yield();
            i--;
            continue;
        }
        isola_close(c);
    }
    return 0;
}

static uint32_t skynet_nodes(uint32_t size)
{
    return size <= 1 ? 1 : 1 + 10 * skynet_nodes(size / 10);
}

/* Skynet: arg = {num, size}; handles[0] = module, handles[1] = parent reply. Sends sum up. */
__attribute__((export_name("skynet"))) void skynet(void)
{
    start_msg s;
    get_start(&s);
    uint64_t num = arg_u32(&s, 0), size = arg_u32(&s, 1);
    int32_t module = s.handles[0], parent = s.handles[1];
    uint64_t sum = 0;
    if (size == 1) {
        sum = num;
    } else {
        int32_t me = isola_self();
        uint32_t d = (uint32_t)(size / 10);
        /* Quotas nest: each child's grant covers its whole subtree. */
        uint32_t nodes = skynet_nodes(d);
        isola_limits lim = {.memory_pages = 2 * nodes, .handle_count = 64, .queue_count = 16,
                            .live_children = nodes - 1};
        for (uint32_t i = 0; i < 10; i++) {
            uint32_t arg[2] = {(uint32_t)(num + i * d), d};
            int32_t hs[2] = {isola_duplicate(module, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER),
                             isola_duplicate(me, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER)};
            int32_t c = isola_spawn(module, "skynet", 6, arg, 8, hs, 2, &lim);
            if (c < 0)
                isola_exit(50);
            isola_close(c);
        }
        isola_msg_info info;
        for (int i = 0; i < 10; i++) {
            uint64_t v;
            isola_receive(ISOLA_MAILBOX, 9, ISOLA_RECV_TAG, &v, 8, 0, 0, &info, ISOLA_FOREVER);
            sum += v;
        }
    }
    isola_send(parent, 9, &sum, 8, 0, 0, ISOLA_SEND_WAIT);
}

/* Hostile: endless loop. */
__attribute__((export_name("spin"))) void spin(void)
{
    volatile uint32_t x = 0;
    for (;;)
        x++;
}

/* Hostile: out-of-bounds access. */
__attribute__((export_name("oob"))) int32_t oob(void)
{
    volatile uint32_t *p = (uint32_t *)0xFFFFFFF0u;
    return (int32_t)*p;
}

/* Hostile: memory bomb (grows until refused, then exits with the page count). */
__attribute__((export_name("membomb"))) int32_t membomb(void)
{
    int32_t pages = 0;
    while (__builtin_wasm_memory_grow(0, 16) != (unsigned long)-1)
        pages += 16;
    return pages;
}

/* Hostile: forged handles. Reports how many forged uses were refused to handles[0]. */
__attribute__((export_name("forger"))) int32_t forger(void)
{
    start_msg s;
    get_start(&s);
    int32_t refused = 0;
    for (int32_t h = -3; h < 5000; h++) {
        if (h == s.handles[0])
            continue;
        uint32_t x = 1;
        if (isola_send(h, 1, &x, 4, 0, 0, 0) < 0)
            refused++;
        if (isola_kill(h, 1) < 0)
            refused++;
    }
    /* Sending a handle it does not hold, and a bad pointer. */
    int32_t fake = 12345;
    if (isola_send(s.handles[0], 1, 0, 0, &fake, 1, 0) < 0)
        refused++;
    if (isola_send(s.handles[0], 1, (void *)0xFFFFFF00u, 4096, 0, 0, 0) < 0)
        refused++;
    /* A closed handle is stale. */
    int32_t me = isola_self();
    isola_close(me);
    if (isola_kill(me, 1) == ISOLA_EBADHANDLE)
        refused++;
    isola_send(s.handles[0], 5, &refused, 4, 0, 0, 0);
    return 0;
}

/* Narrow receiver (wedger's child, handle limit 4): handles[0] = its
 * parent. A message with more handles than its table can take stays
 * queued (ELIMIT); taken with ISOLA_RECV_CLOSE_EXTRA, the handles that
 * fit arrive and the rest are closed. Reports {first status, handles
 * received} and waits for tag 9 before it ends, holding what it got. */
__attribute__((export_name("narrow"))) int32_t narrow(void)
{
    start_msg s;
    get_start(&s);
    int32_t got[8];
    uint8_t buf[8];
    isola_msg_info info;
    int32_t out[2];
    out[0] = isola_receive(ISOLA_MAILBOX, 0, 0, buf, sizeof buf, got, 8, &info, ISOLA_FOREVER);
    int32_t r = isola_receive(ISOLA_MAILBOX, 0, ISOLA_RECV_CLOSE_EXTRA, buf, sizeof buf, got, 8, &info, ISOLA_FOREVER);
    out[1] = r < 0 ? r : (int32_t)info.handle_count;
    isola_send(s.handles[0], 12, out, sizeof out, 0, 0, ISOLA_SEND_WAIT);
    isola_receive(ISOLA_MAILBOX, 9, ISOLA_RECV_TAG, buf, sizeof buf, 0, 0, 0, ISOLA_FOREVER);
    return 0;
}

/* Wedger: handles[0] = module, handles[1] = report. Sends a narrow child
 * six channel ends in one message and reports {the child's first status,
 * handles it got, sends to the six that still reach a receiver, sends
 * refused} (tag 13). */
__attribute__((export_name("wedger"))) int32_t wedger(void)
{
    start_msg s;
    get_start(&s);
    int32_t me = isola_self();
    isola_limits lim = {.memory_pages = 1, .handle_count = 4, .queue_count = 8};
    int32_t child = isola_spawn(s.handles[0], "narrow", 6, 0, 0, &me, 1, &lim);
    if (child < 0)
        return child;
    int32_t keep[6], give[6];
    for (int i = 0; i < 6; i++) {
        int32_t ends[2];
        if (isola_channel_create(ends) < 0)
            return -1;
        keep[i] = ends[0];
        give[i] = ends[1];
    }
    uint32_t x = 1;
    if (isola_send(child, 1, &x, 4, give, 6, ISOLA_SEND_WAIT) < 0)
        return -2;
    int32_t report[4] = {0};
    isola_receive(ISOLA_MAILBOX, 12, ISOLA_RECV_TAG, report, 8, 0, 0, 0, ISOLA_FOREVER);
    for (int i = 0; i < 6; i++)
        report[isola_send(keep[i], 1, &x, 4, 0, 0, 0) == 0 ? 2 : 3]++;
    isola_send(child, 9, &x, 4, 0, 0, ISOLA_SEND_WAIT);
    isola_send(s.handles[1], 13, report, sizeof report, 0, 0, ISOLA_SEND_WAIT);
    return 0;
}

/* Monitor test: arg unused; handles[0] = module, handles[1] = report. Spawns oob, monitors, reports down. */
__attribute__((export_name("watcher"))) int32_t watcher(void)
{
    start_msg s;
    get_start(&s);
    int32_t c = isola_spawn(s.handles[0], "oob", 3, 0, 0, 0, 0, 0);
    int64_t ref = isola_monitor(c);
    isola_down d;
    isola_msg_info info;
    isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
    int32_t out[2] = {d.kind, (int32_t)(d.ref == (uint64_t)ref)};
    isola_send(s.handles[1], 6, out, 8, 0, 0, 0);
    return 0;
}

/* Receive with timeout then sleep: reports {receive result, elapsed ms}. */
__attribute__((export_name("sleeper"))) int32_t sleeper(void)
{
    start_msg s;
    get_start(&s);
    int64_t t0 = isola_now();
    uint8_t b[4];
    int32_t r = isola_receive(ISOLA_MAILBOX, 0, 0, b, 4, 0, 0, 0, 20000000);
    isola_sleep(10000000);
    int32_t out[2] = {r, (int32_t)((isola_now() - t0) / 1000000)};
    isola_send(s.handles[0], 8, out, 8, 0, 0, 0);
    return 0;
}

/* Linked to a crasher: dies too (link), unless trapping exits. arg = trap flag. */
__attribute__((export_name("linker"))) int32_t linker(void)
{
    start_msg s;
    get_start(&s);
    isola_trap_exits((int32_t)arg_u32(&s, 0));
    int32_t c = isola_spawn(s.handles[0], "oob", 3, 0, 0, 0, 0, 0);
    isola_link(c);
    isola_down d;
    isola_msg_info info;
    isola_receive(ISOLA_MAILBOX, ISOLA_TAG_EXIT, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
    return 77;
}

/*
 * Hand-off tests (a send that finds its receiver parked completes the
 * receive itself). The child's mode is arg[0]; handles[0] is where it
 * replies (modes 2 and 4) or the endpoint it receives on (mode 5).
 *   1  receive one message with handles; reply through the handle it got:
 *      {size, handle count, tag, bytes intact}
 *   2  receive tag 9 first, then anything: reply {first tag, second tag}
 *   3  receive forever, with room for handles (to be killed while parked)
 *   4  receive with a 1 ms timeout until tag 0: reply {messages, sum, timeouts > 0}
 *   5  receive on handles[0] until tag 0, with room for handles
 */
__attribute__((export_name("handoff_child"))) int32_t handoff_child(void)
{
    start_msg s;
    get_start(&s);
    uint32_t mode = arg_u32(&s, 0);
    isola_msg_info info;
    if (mode == 1) {
        char b[8] = {0};
        int32_t h[4] = {0};
        int32_t n = isola_receive(ISOLA_MAILBOX, 0, 0, b, sizeof b, h, 4, &info, ISOLA_FOREVER);
        int32_t ok = b[0] == 'h' && b[1] == 'e' && b[2] == 'l' && b[3] == 'l' && b[4] == 'o';
        int32_t out[4] = {n, (int32_t)info.handle_count, (int32_t)info.tag, ok};
        return isola_send(h[0], 1, out, sizeof out, 0, 0, 0);
    }
    if (mode == 2) {
        uint32_t x;
        isola_receive(ISOLA_MAILBOX, 9, ISOLA_RECV_TAG, &x, 4, 0, 0, &info, ISOLA_FOREVER);
        int32_t out[2] = {(int32_t)info.tag, 0};
        isola_recv_any(&x, 4, 0, 0, &info);
        out[1] = (int32_t)info.tag;
        return isola_send(s.handles[0], 2, out, sizeof out, 0, 0, 0);
    }
    if (mode == 3) {
        for (;;) {
            uint32_t x;
            int32_t h[4];
            isola_receive(ISOLA_MAILBOX, 0, 0, &x, 4, h, 4, &info, ISOLA_FOREVER);
        }
    }
    if (mode == 4) {
        int32_t out[3] = {0, 0, 0};
        for (;;) {
            uint32_t x;
            int32_t n = isola_receive(ISOLA_MAILBOX, 0, 0, &x, 4, 0, 0, &info, 1000000);
            if (n == ISOLA_EAGAIN) {
                out[2] = 1;
                continue;
            }
            if (n != 4 || info.tag == 0)
                break;
            out[0]++;
            out[1] += (int32_t)x;
        }
        return isola_send(s.handles[0], 4, out, sizeof out, 0, 0, 0);
    }
    for (;;) {
        uint32_t x;
        int32_t h[4];
        if (isola_receive(s.handles[0], 0, 0, &x, 4, h, 4, &info, ISOLA_FOREVER) < 0 || info.tag == 0)
            return 0;
    }
}

static int32_t handoff_spawn(int32_t module, uint32_t mode, int32_t *handles, uint32_t n)
{
    isola_limits lim = {.memory_pages = 2, .handle_count = 8, .queue_count = 8};
    return isola_spawn(module, "handoff_child", 13, &mode, 4, handles, n, &lim);
}

/* Drives the hand-off tests: handles[0] = module, handles[1] = report.
 * Reports 12 int32 results (test_proc.c lists what each should be). The
 * sleeps give each child time to park, so that sends find it WAITING. */
__attribute__((export_name("handoff"))) int32_t handoff(void)
{
    start_msg s;
    get_start(&s);
    int32_t mod = s.handles[0], me;   /* a fresh self handle per child: spawn moves it */
    int32_t out[12];
    isola_msg_info info;
    int32_t reply[4] = {0};
    /* Handles travel in a hand-off: moved out of the sender, usable by the receiver. */
    int32_t ch[2];
    isola_channel_create(ch);
    int32_t c = handoff_spawn(mod, 1, 0, 0);
    isola_sleep(5000000);
    out[0] = isola_send(c, 3, "hello", 5, &ch[1], 1, 0);
    out[1] = isola_close(ch[1]);
    isola_receive(ch[0], 0, 0, reply, sizeof reply, 0, 0, &info, 5000000000LL);
    out[2] = reply[0] * 1000 + reply[1] * 100 + reply[2] * 10 + reply[3];
    /* A receiver's own endpoint cannot be handed to it. */
    int32_t ch2[2];
    isola_channel_create(ch2);
    int32_t own = isola_duplicate(ch2[0], ISOLA_RIGHT_RECEIVE | ISOLA_RIGHT_TRANSFER);
    handoff_spawn(mod, 5, &ch2[0], 1);
    isola_sleep(5000000);
    out[3] = isola_send(ch2[1], 1, "x", 1, &own, 1, 0);
    out[4] = isola_send(ch2[1], 0, 0, 0, 0, 0, 0);
    /* A message whose tag the parked receiver does not want is queued, and
     * does not pass it: the wanted tag still arrives first. */
    me = isola_self();
    c = handoff_spawn(mod, 2, &me, 1);
    isola_sleep(5000000);
    uint32_t x = 1;
    isola_send(c, 8, &x, 4, 0, 0, 0);
    isola_sleep(2000000);
    isola_send(c, 9, &x, 4, 0, 0, 0);
    isola_receive(ISOLA_MAILBOX, 2, ISOLA_RECV_TAG, reply, 8, 0, 0, &info, 5000000000LL);
    out[5] = reply[0];
    out[6] = reply[1];
    /* Killed while parked, right after a hand-off gave it a handle: the
     * handle goes with it, so our end of that channel sees ECLOSED. */
    int32_t ch3[2];
    isola_channel_create(ch3);
    c = handoff_spawn(mod, 3, 0, 0);
    isola_sleep(5000000);
    out[7] = isola_send(c, 1, &x, 4, &ch3[1], 1, 0);
    isola_kill(c, 5);
    out[8] = isola_receive(ch3[0], 0, 0, reply, 4, 0, 0, &info, 5000000000LL);
    /* Killed and sent to at once, many times: nothing is lost or leaked. */
    int32_t bad = 0;
    for (int i = 0; i < 50; i++) {
        c = handoff_spawn(mod, 3, 0, 0);
        if (i & 1)
            isola_sleep(100000);
        isola_kill(c, 5);
        int32_t r = isola_send(c, 1, &x, 4, 0, 0, 0);
        bad += r != 0 && r != ISOLA_EPEER;
        isola_close(c);
    }
    out[9] = bad;
    /* Sends racing receive timeouts: every message arrives exactly once. */
    me = isola_self();
    c = handoff_spawn(mod, 4, &me, 1);
    for (uint32_t i = 1; i <= 300; i++) {
        isola_send(c, 1, &i, 4, 0, 0, ISOLA_SEND_WAIT);
        if (i % 3)
            isola_sleep((int64_t)(i % 3) * 500000);
    }
    isola_send(c, 0, 0, 0, 0, 0, ISOLA_SEND_WAIT);
    reply[2] = 0;
    isola_receive(ISOLA_MAILBOX, 4, ISOLA_RECV_TAG, reply, 12, 0, 0, &info, 5000000000LL);
    out[10] = reply[0] == 300 && reply[1] == 300 * 301 / 2;
    out[11] = reply[2];
    isola_send(s.handles[1], 12, out, sizeof out, 0, 0, 0);
    return 0;
}
