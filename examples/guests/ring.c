/*
 * examples/guests/ring.c - a token passed around a ring of processes.
 *
 * `main` builds the ring backwards: the first node it spawns gets a SEND
 * handle to main, every later node a handle to the node spawned before it,
 * and main keeps the handle to the last one. So each process can reach
 * exactly one other: its successor. The token counts the hops it has made;
 * every process adds one and passes it on. After LAPS laps main checks the
 * count (processes x laps) and sends a stop message round, which every node
 * passes on before it ends.
 *
 * Run: run_guest ring.wasm [PROCESSES [LAPS]]   (defaults 1000 and 10)
 */
#include "console.h"
#include "isola.h"
#include "start.h"

#define TOKEN_TAG 1
#define STOP_TAG 2

/* A ring node: handles[1] is its successor. */
__attribute__((export_name("node"))) int32_t node(void)
{
    start_msg s;
    start_receive(&s);
    int32_t next = s.handles[1];
    for (;;) {
        uint32_t hops = 0;
        isola_msg_info info;
        if (isola_recv_any(&hops, sizeof hops, 0, 0, &info) < 0)
            return 1;
        if (info.tag == STOP_TAG) {
            isola_send(next, STOP_TAG, 0, 0, 0, 0, ISOLA_SEND_WAIT);
            return 0;
        }
        hops++;
        isola_send(next, TOKEN_TAG, &hops, sizeof hops, 0, 0, ISOLA_SEND_WAIT);
    }
}

/* Spawns n - 1 nodes after main; returns main's successor. */
static int32_t build_ring(int32_t module, uint32_t n)
{
    int32_t next = isola_self();
    isola_limits leaf = {.memory_pages = 1, .handle_count = 4, .queue_count = 4};
    for (uint32_t i = 1; i < n; i++) {
        int32_t child = start_spawn(module, "node", 0, 0, &next, 1, &leaf);
        if (child < 0) {
            console_printf("ring: spawning node %u failed (%d)\n", i, child);
            isola_exit(1);
        }
        next = child;   /* the handle to the child is the next node's successor */
    }
    return next;
}

__attribute__((export_name("main"))) int32_t ring_main(void)
{
    start_msg s;
    start_receive(&s);
    int32_t module = s.handles[1];
    uint32_t n = start_arg(&s, 0) ? start_arg(&s, 0) : 1000;
    uint32_t laps = start_arg(&s, 1) ? start_arg(&s, 1) : 10;
    if (n < 2)
        n = 2;

    int32_t next = build_ring(module, n);
    console_printf("ring: %u processes, each holding a handle to its successor only\n", n);

    int64_t t0 = isola_now();
    uint32_t hops = 1;   /* main's own send is the first hop */
    isola_send(next, TOKEN_TAG, &hops, sizeof hops, 0, 0, ISOLA_SEND_WAIT);
    for (uint32_t lap = 1; lap <= laps; lap++) {
        isola_receive(ISOLA_MAILBOX, TOKEN_TAG, ISOLA_RECV_TAG, &hops, sizeof hops, 0, 0, 0, ISOLA_FOREVER);
        console_printf("ring: lap %u done, token has made %u hops\n", lap, hops);
        if (lap < laps) {
            hops++;
            isola_send(next, TOKEN_TAG, &hops, sizeof hops, 0, 0, ISOLA_SEND_WAIT);
        }
    }
    int64_t ns = isola_now() - t0;

    isola_send(next, STOP_TAG, 0, 0, 0, 0, ISOLA_SEND_WAIT);
    isola_receive(ISOLA_MAILBOX, STOP_TAG, ISOLA_RECV_TAG, 0, 0, 0, 0, 0, ISOLA_FOREVER);
    console_printf("ring: all %u nodes stopped; %u hops expected, %u made\n", n - 1, n * laps, hops);
    console_printf("ring: %lld ns per hop\n", ns / (int64_t)hops);
    return hops == n * laps ? 0 : 2;
}

/* Under `isola run` (built with -DEXAMPLE_WASI) the same main is _start. */
EXAMPLE_COMMAND(ring_main)
