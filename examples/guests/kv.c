/*
 * examples/guests/kv.c - a key-value server and its clients: request and
 * reply with the client paying for the reply channel, and a server no
 * client can stop from serving the others.
 *
 * `main` spawns `server` and hands each `client` one capability to it: a
 * SEND-only handle to its mailbox. The server gets nothing but its console:
 * it cannot reach any process on its own. A client makes one channel of
 * its own and sends a SEND-only copy of one end with every request; the
 * server answers through it and closes it. So the server never makes a
 * channel, and holds one reply handle at a time whatever its clients do
 * (its handle limit is 4): a client that kept or hoarded reply channels
 * would spend its own limit, never the server's (docs/guest-api.md,
 * channel_create).
 *
 * A `rogue` client does what a careless or hostile one could: it never
 * reads its replies, sends a request with an extra handle, one with no
 * reply handle and one that is no request at all. The server takes every
 * message whatever handles it carries (ISOLA_RECV_CLOSE_EXTRA: the extra
 * ones are closed), never waits on a client's queue (a reply that does not
 * fit is dropped), and refuses new keys once its table is half full.
 *
 * Run: run_guest kv.wasm [CLIENTS [KEYS]]   (defaults: 4 clients, 8 keys each)
 */
#include "console.h"
#include "isola.h"
#include "start.h"

#define KV_PUT 1
#define KV_GET 2
#define KV_STOP 3
#define KV_REPLY 4
#define KV_DONE 5
#define KV_ROGUE 6
#define KV_BYE 7
#define ROGUE_REQUESTS 8

#define MAX_CLIENTS 16
#define MAX_KEYS 32
#define TABLE_SIZE 1024   /* open addressing; more than MAX_CLIENTS * MAX_KEYS */

typedef struct kv_request {
    uint32_t key, value;
} kv_request;

typedef struct kv_reply {
    int32_t found;
    uint32_t value;
} kv_reply;

/* ---------------------------------------------------------------- server */

typedef struct kv_table {
    uint64_t keys[TABLE_SIZE];    /* key + 1; 0: empty */
    uint32_t values[TABLE_SIZE];
    uint32_t used;                /* at most half the slots: probes stay short and end */
} kv_table;

static kv_table table;

static uint64_t *kv_slot(uint32_t key)
{
    uint32_t i = (key * 2654435761u) % TABLE_SIZE;
    while (table.keys[i] != 0 && table.keys[i] != (uint64_t)key + 1)
        i = (i + 1) % TABLE_SIZE;
    return &table.keys[i];
}

/* found: 1 yes, 0 no such key, -1 a new key refused (the table is full). */
static kv_reply kv_apply(uint64_t op, kv_request rq)
{
    uint64_t *k = kv_slot(rq.key);
    uint32_t *v = &table.values[k - table.keys];
    if (op == KV_PUT) {
        if (!*k && table.used == TABLE_SIZE / 2)
            return (kv_reply){-1, 0};
        table.used += !*k;
        *k = (uint64_t)rq.key + 1;
        *v = rq.value;
        return (kv_reply){1, rq.value};
    }
    return *k ? (kv_reply){1, *v} : (kv_reply){0, 0};
}

/* Serves until KV_STOP; every request carries the handle to answer on. */
__attribute__((export_name("server"))) int32_t kv_server(void)
{
    start_msg s;
    start_receive(&s);
    uint32_t served = 0, dropped = 0;
    for (;;) {
        kv_request rq;
        int32_t reply;
        isola_msg_info info;
        /* One handle at most: a message with more is still taken, its extra
         * handles closed, so no client can wedge the mailbox with a message
         * the server could never take. */
        int32_t r = isola_receive(ISOLA_MAILBOX, 0, ISOLA_RECV_CLOSE_EXTRA, &rq, sizeof rq, &reply, 1, &info,
                                  ISOLA_FOREVER);
        if (r < 0)
            return r;
        if (info.tag == KV_STOP) {
            console_printf("kv: served %u requests, dropped %u replies nobody read; it never made a channel\n",
                           served, dropped);
            return 0;
        }
        if (info.handle_count != 1 || r != (int32_t)sizeof rq || (info.tag != KV_PUT && info.tag != KV_GET)) {
            if (info.handle_count == 1)
                isola_close(reply);
            continue;   /* not a request: nothing to answer on */
        }
        /* No waiting on a client's queue: one that does not read its
         * replies loses them, and everyone else is still served. */
        kv_reply out = kv_apply(info.tag, rq);
        dropped += isola_send(reply, KV_REPLY, &out, sizeof out, 0, 0, 0) < 0;
        isola_close(reply);
        served++;
    }
}

/* ---------------------------------------------------------------- client */

/* One request and its reply, through a fresh SEND-only copy of our end. */
static kv_reply kv_call(int32_t server, int32_t reply_send, int32_t reply_recv, uint64_t op, kv_request rq)
{
    kv_reply out = {-2, 0};
    int32_t give = isola_duplicate(reply_send, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER);
    if (give < 0)
        return out;
    if (isola_send(server, op, &rq, sizeof rq, &give, 1, ISOLA_SEND_WAIT) < 0) {
        isola_close(give);   /* not moved: still ours */
        return out;
    }
    if (isola_receive(reply_recv, KV_REPLY, ISOLA_RECV_TAG, &out, sizeof out, 0, 0, 0, ISOLA_FOREVER) < 0)
        out = (kv_reply){-2, 0};
    return out;
}

/* args: {index, keys}; handles: [console, server, main]. Puts its keys,
 * reads them back and one it never put, and tells main how it went. */
__attribute__((export_name("client"))) int32_t kv_client(void)
{
    start_msg s;
    start_receive(&s);
    uint32_t me = start_arg(&s, 0), keys = start_arg(&s, 1);
    int32_t server = s.handles[1], main_h = s.handles[2];
    int32_t ends[2];
    if (isola_channel_create(ends) < 0)
        return 1;
    uint32_t good = 0;
    for (uint32_t k = 0; k < keys; k++) {
        kv_request rq = {me * 100 + k, me * 1000 + k * k};
        kv_reply out = kv_call(server, ends[0], ends[1], KV_PUT, rq);
        good += out.found == 1 && out.value == rq.value;
    }
    for (uint32_t k = 0; k < keys; k++) {
        kv_request rq = {me * 100 + k, 0};
        kv_reply out = kv_call(server, ends[0], ends[1], KV_GET, rq);
        good += out.found == 1 && out.value == me * 1000 + k * k;
    }
    kv_reply miss = kv_call(server, ends[0], ends[1], KV_GET, (kv_request){me * 100 + 99, 0});
    good += miss.found == 0;
    console_printf("client %u: %u puts, %u gets, 1 miss: %s\n", me, keys, keys,
                   good == 2 * keys + 1 ? "all answered correctly" : "WRONG ANSWERS");
    isola_send(main_h, KV_DONE, &good, sizeof good, 0, 0, ISOLA_SEND_WAIT);
    return 0;
}

/* handles: [console, server, main]. Sends ROGUE_REQUESTS requests whose
 * replies it never reads (its queue holds 4: the rest are the server's to
 * drop), one of them with an extra handle; then one with no reply handle
 * and one that is no request. Stays alive until main says bye, so the
 * server finds its queue full rather than gone. */
__attribute__((export_name("rogue"))) int32_t kv_rogue(void)
{
    start_msg s;
    start_receive(&s);
    int32_t server = s.handles[1], main_h = s.handles[2];
    int32_t ends[2], extra[2];
    if (isola_channel_create(ends) < 0 || isola_channel_create(extra) < 0)
        return 1;
    for (uint32_t i = 0; i < ROGUE_REQUESTS; i++) {
        kv_request rq = {9000 + i, i};
        int32_t give[2] = {isola_duplicate(ends[0], ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER), extra[0]};
        isola_send(server, KV_PUT, &rq, sizeof rq, give, i == 3 ? 2 : 1, ISOLA_SEND_WAIT);
    }
    kv_request rq = {1, 1};
    isola_send(server, KV_PUT, &rq, sizeof rq, 0, 0, ISOLA_SEND_WAIT);
    isola_send(server, 99, "junk", 4, 0, 0, ISOLA_SEND_WAIT);
    console_printf("rogue: %u requests whose replies it never reads (one with an extra handle), "
                   "one without a reply handle, one that is no request\n", ROGUE_REQUESTS);
    isola_send(main_h, KV_ROGUE, 0, 0, 0, 0, ISOLA_SEND_WAIT);
    isola_receive(ISOLA_MAILBOX, KV_BYE, ISOLA_RECV_TAG, 0, 0, 0, 0, 0, ISOLA_FOREVER);
    return 0;
}

/* ---------------------------------------------------------------- main */

__attribute__((export_name("main"))) int32_t kv_main(void)
{
    start_msg s;
    start_receive(&s);
    int32_t module = s.handles[1];
    uint32_t clients = start_arg(&s, 0) ? start_arg(&s, 0) : 4;
    uint32_t keys = start_arg(&s, 1) ? start_arg(&s, 1) : 8;
    if (clients > MAX_CLIENTS)
        clients = MAX_CLIENTS;
    if (keys > MAX_KEYS)
        keys = MAX_KEYS;

    /* Console, one reply handle at a time, a spare: nothing to hoard with. */
    isola_limits server_limits = {.memory_pages = 1, .handle_count = 4, .queue_count = 16};
    int32_t server = start_spawn(module, "server", 0, 0, 0, 0, &server_limits);
    if (server < 0) {
        console_printf("kv: spawning the server failed (%d)\n", server);
        return 1;
    }
    console_printf("kv: server up, with a handle limit of 4: it can hold no handle to a client for long\n");

    int32_t me = isola_self();
    isola_limits client_limits = {.memory_pages = 1, .handle_count = 8, .queue_count = 4};
    int32_t rogue_give[2] = {isola_duplicate(server, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER),
                             isola_duplicate(me, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER)};
    int32_t rogue = start_spawn(module, "rogue", 0, 0, rogue_give, 2, &client_limits);
    if (rogue < 0) {
        console_printf("kv: spawning the rogue failed (%d)\n", rogue);
        return 1;
    }
    for (uint32_t c = 0; c < clients; c++) {
        int32_t give[2] = {isola_duplicate(server, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER),
                           isola_duplicate(me, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER)};
        uint32_t args[2] = {c, keys};
        int32_t child = start_spawn(module, "client", args, 2, give, 2, &client_limits);
        if (child < 0) {
            console_printf("kv: spawning client %u failed (%d)\n", c, child);
            return 1;
        }
        isola_close(child);
    }

    uint32_t answered = 0;
    for (uint32_t c = 0; c < clients; c++) {
        uint32_t good = 0;
        isola_receive(ISOLA_MAILBOX, KV_DONE, ISOLA_RECV_TAG, &good, sizeof good, 0, 0, 0, ISOLA_FOREVER);
        answered += good;
    }
    /* Its messages are all in the server's mailbox, ahead of the stop. */
    isola_receive(ISOLA_MAILBOX, KV_ROGUE, ISOLA_RECV_TAG, 0, 0, 0, 0, 0, ISOLA_FOREVER);
    /* Stop the server and wait for it to end, so its last line comes first. */
    int64_t ref = isola_monitor(server);
    isola_send(server, KV_STOP, 0, 0, 0, 0, ISOLA_SEND_WAIT);
    isola_down down = {0};
    while (ref >= 0 && down.ref != (uint64_t)ref)
        isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &down, sizeof down, 0, 0, 0, ISOLA_FOREVER);
    isola_send(rogue, KV_BYE, 0, 0, 0, 0, ISOLA_SEND_WAIT);
    uint32_t expected = clients * (2 * keys + 1);
    console_printf("kv: %u clients, %u of %u requests answered correctly\n", clients, answered, expected);
    return answered == expected ? 0 : 2;
}

/* Under `isola run` (built with -DEXAMPLE_WASI) the same main is _start. */
EXAMPLE_COMMAND(kv_main)
