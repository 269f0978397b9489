/*
 * examples/guests/supervisor.c - a supervision tree that keeps going when
 * its workers crash (the policy itself is in supervise.h).
 *
 *   root  (one-for-one, at most 3 restarts in 5 s)
 *    |-- counter   counts to 3 and ends normally
 *    |-- flaky     crashes (out-of-bounds access) in its first two lives
 *    `-- sub       a supervisor too (one-for-one, at most 2 restarts in 5 s)
 *         |-- steady   works for a while and ends normally
 *         `-- doomed   in sub's first life, crashes (unreachable) every time,
 *                      20 ms after it starts
 *
 * What happens: root restarts flaky twice and its third life finishes.
 * doomed crashes three times; sub restarts it twice, then gives up and
 * exits, and its link to steady takes steady down with it. root sees sub
 * end abnormally and restarts it (root's third restart); in its second life
 * sub's children run to the end. Finally root reports that every child is
 * done. Each process is isolated: a crash ends that process only.
 *
 * Run: run_guest supervisor.wasm
 */
#include "console.h"
#include "isola.h"
#include "start.h"
#include "supervise.h"

/* Every child: arg words {arg, life} (supervise.h). */
static void child_start(start_msg *s, uint32_t *arg, uint32_t *life)
{
    start_receive(s);
    *arg = start_arg(s, 0);
    *life = start_arg(s, 1);
}

ISOLA_EXPORT("counter") int32_t counter(void)
{
    start_msg s;
    uint32_t arg, life;
    child_start(&s, &arg, &life);
    for (uint32_t i = 1; i <= 3; i++) {
        console_printf("counter: %u\n", i);
        isola_sleep(5 * 1000000);
    }
    return 0;
}

/* Crashes in lives 1 and 2: reads far outside its 64 KiB memory. */
ISOLA_EXPORT("flaky") int32_t flaky(void)
{
    start_msg s;
    uint32_t arg, life;
    child_start(&s, &arg, &life);
    if (life <= 2) {
        console_printf("flaky (life %u): reading address 0x7fff0000, far outside my memory\n", life);
        volatile uint32_t *p = (volatile uint32_t *)0x7fff0000u;
        return (int32_t)*p;
    }
    console_printf("flaky (life %u): working fine this time\n", life);
    return 0;
}

/* Works for 300 ms; in sub's first life it is killed before that. */
ISOLA_EXPORT("steady") int32_t steady(void)
{
    start_msg s;
    uint32_t sub_life, life;
    child_start(&s, &sub_life, &life);
    console_printf("steady (life %u, sub life %u): started\n", life, sub_life);
    isola_sleep(300 * 1000000LL);
    console_printf("steady (life %u, sub life %u): finished\n", life, sub_life);
    return 0;
}

/* arg = the life of its supervisor: the first sub is doomed. */
ISOLA_EXPORT("doomed") int32_t doomed(void)
{
    start_msg s;
    uint32_t sub_life, life;
    child_start(&s, &sub_life, &life);
    if (sub_life == 1) {
        isola_sleep(20 * 1000000);   /* works a little first */
        console_printf("doomed (life %u, sub life %u): hitting unreachable\n", life, sub_life);
        __builtin_trap();   /* compiles to the wasm `unreachable` instruction */
    }
    console_printf("doomed (life %u, sub life %u): fine under a fresh supervisor\n", life, sub_life);
    return 0;
}

static const isola_limits leaf = {.memory_pages = 1, .handle_count = 8, .queue_count = 16};

/* The middle supervisor: its handles[1] is the module. */
ISOLA_EXPORT("sub") int32_t sub(void)
{
    start_msg s;
    uint32_t arg, life;
    child_start(&s, &arg, &life);
    console_printf("sub (life %u): supervising steady and doomed\n", life);
    sup_child children[] = {
        {.entry = "steady", .arg = life, .limits = leaf},
        {.entry = "doomed", .arg = life, .limits = leaf},
    };
    supervisor sup = {.name = "sub", .module = s.handles[1], .children = children, .count = 2,
                      .max_restarts = 2, .window_ns = 5000000000LL};
    sup_run(&sup);
    console_printf("sub (life %u): all my children are done\n", life);
    return 0;
}

ISOLA_EXPORT("main") int32_t root(void)
{
    start_msg s;
    start_receive(&s);
    /* sub's grant covers its own children too (quotas nest). */
    isola_limits sub_limits = {.memory_pages = 8, .handle_count = 32, .queue_count = 16, .live_children = 4};
    sup_child children[] = {
        {.entry = "counter", .limits = leaf},
        {.entry = "flaky", .limits = leaf},
        {.entry = "sub", .limits = sub_limits, .gets_module = 1},
    };
    supervisor sup = {.name = "root", .module = s.handles[1], .children = children, .count = 3,
                      .max_restarts = 3, .window_ns = 5000000000LL};
    console_printf("root: supervising counter, flaky and sub (one-for-one, at most 3 restarts in 5 s)\n");
    sup_run(&sup);
    console_printf("root: every child is done after %u restarts\n", sup.restarts);
    return 0;
}

/* Under `isola run` (built with -DEXAMPLE_WASI) the same main is _start. */
EXAMPLE_COMMAND(root)
