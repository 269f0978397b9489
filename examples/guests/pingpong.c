/*
 * examples/guests/pingpong.c - two processes bouncing a number.
 *
 * `main` spawns `ponger` and hands it one capability: a SEND handle to
 * main's own mailbox (isola_self), so it can reply. Nothing else: ponger
 * cannot spawn, and it can reach no process but main. Each ping carries a
 * number; ponger answers with the number plus one. Then main times many
 * round trips and stops ponger with a message of tag PING_STOP.
 *
 * Run: run_guest pingpong.wasm [ROUNDS]   (ROUNDS defaults to 100000)
 */
#include "console.h"
#include "isola.h"
#include "start.h"

#define PING_TAG 1
#define PING_STOP 2

/* Replies to every ping with its number + 1 until told to stop. */
__attribute__((export_name("ponger"))) int32_t ponger(void)
{
    start_msg s;
    start_receive(&s);
    int32_t reply_to = s.handles[1];
    for (;;) {
        uint32_t n;
        isola_msg_info info;
        int32_t r = isola_recv_any(&n, sizeof n, 0, 0, &info);
        if (r < 0)
            return r;
        if (info.tag == PING_STOP)
            return 0;
        n++;
        isola_send(reply_to, PING_TAG, &n, sizeof n, 0, 0, ISOLA_SEND_WAIT);
    }
}

/* One round trip: send n, expect n + 1 back. */
static int ping(int32_t ponger_h, uint32_t n)
{
    isola_send(ponger_h, PING_TAG, &n, sizeof n, 0, 0, ISOLA_SEND_WAIT);
    uint32_t back = 0;
    isola_receive(ISOLA_MAILBOX, PING_TAG, ISOLA_RECV_TAG, &back, sizeof back, 0, 0, 0, ISOLA_FOREVER);
    return back == n + 1;
}

__attribute__((export_name("main"))) int32_t pingpong_main(void)
{
    start_msg s;
    start_receive(&s);
    int32_t module = s.handles[1];
    uint32_t rounds = start_arg(&s, 0) ? start_arg(&s, 0) : 100000;

    int32_t me = isola_self();
    isola_limits small = {.memory_pages = 1, .handle_count = 8, .queue_count = 8};
    int32_t child = start_spawn(module, "ponger", 0, 0, &me, 1, &small);
    if (child < 0) {
        console_printf("pingpong: spawn failed (%d)\n", child);
        return 1;
    }
    console_printf("pingpong: spawned ponger; it holds one handle: a way to reply to me\n");

    for (uint32_t n = 1; n <= 3; n++) {
        if (!ping(child, n * 100))
            return 2;
        console_printf("ping %u -> pong %u\n", n * 100, n * 100 + 1);
    }

    int64_t t0 = isola_now();
    uint32_t ok = 0;
    for (uint32_t i = 0; i < rounds; i++)
        ok += (uint32_t)ping(child, i);
    int64_t ns = isola_now() - t0;
    isola_send(child, PING_STOP, 0, 0, 0, 0, ISOLA_SEND_WAIT);

    console_printf("pingpong: %u of %u round trips answered correctly\n", ok, rounds);
    console_printf("pingpong: %lld ns per round trip\n", rounds ? ns / rounds : 0);
    return ok == rounds ? 0 : 3;
}

/* Under `isola run` (built with -DEXAMPLE_WASI) the same main is _start. */
EXAMPLE_COMMAND(pingpong_main)
