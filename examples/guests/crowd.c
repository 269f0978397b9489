/*
 * examples/guests/crowd.c - the demo: a crowd of isolated workers in one VM.
 *
 * `main` supervises (supervise.h: one-for-one, at most 5 restarts in 5 s):
 *   - WORKERS workers (default 1000). Worker i counts the primes in
 *     [1000 i, 1000 i + 999] by trial division and sends the count to main.
 *     Each has its own 64 KiB memory, and holds only its console and a
 *     SEND handle to the collector.
 *   - Worker CRASHER (default WORKERS / 2) crashes in its first life: it
 *     writes far outside its memory. The trap ends that process only; the
 *     supervisor restarts it and its second life delivers the count.
 *   - A runaway: an endless loop with a fuel limit (FUEL million units in
 *     its whole life, default 50). The scheduler preempts it every 10,000
 *     units like any process, so it never holds a worker thread, and when
 *     its fuel is gone it is ended. It is a temporary child: not restarted.
 * A collector process gathers the counts, checks each against a sieve of
 * Eratosthenes of its own (a different algorithm) and reports to main,
 * which prints a summary: with 1000 workers, the primes below 1,000,000,
 * which are 78498.
 *
 * Run: run_guest crowd.wasm [WORKERS [CRASHER [FUEL]]]
 *  or: isola run crowd_wasi.wasm [WORKERS [CRASHER [FUEL]]]
 */
#include "console.h"
#include "isola.h"
#include "start.h"
#include "supervise.h"

#define RESULT_TAG 1
#define TALLY_TAG 2
#define RANGE 1000
#define MAX_WORKERS 10000
#define RUNAWAY_FUEL_DEFAULT 50   /* million fuel units */

typedef struct result {
    uint32_t worker;
    uint32_t life;
    uint32_t primes;
} result;

static int is_prime(uint32_t n)
{
    if (n < 2)
        return 0;
    if (n % 2 == 0)
        return n == 2;
    for (uint32_t d = 3; d * d <= n; d += 2)
        if (n % d == 0)
            return 0;
    return 1;
}

/* handles: [console, the collector]; arg: {index, life, crasher}. */
ISOLA_EXPORT("worker") int32_t worker(void)
{
    start_msg s;
    start_receive(&s);
    uint32_t index = start_arg(&s, 0), life = start_arg(&s, 1);
    if (index == start_arg(&s, 2) && life == 1) {
        console_printf("worker %u: writing to address 0xfffffff0, outside my memory\n", index);
        *(volatile uint32_t *)0xfffffff0u = 1;
    }
    result r = {.worker = index, .life = life};
    for (uint32_t n = index * RANGE; n < (index + 1) * RANGE; n++)
        r.primes += (uint32_t)is_prime(n);
    isola_send(s.handles[1], RESULT_TAG, &r, sizeof r, 0, 0, ISOLA_SEND_WAIT);
    return 0;
}

ISOLA_EXPORT("runaway") void runaway(void)
{
    start_msg s;
    start_receive(&s);
    console_printf("runaway: looping forever (fuel limit %u million units)\n", start_arg(&s, 0));
    for (volatile uint32_t i = 0;; i++)
        ;
}

/* Zeroed memory of main's own, grown for the purpose. The module's data is
 * kept small so that every worker fits in one 64 KiB page. */
static void *grow(uint32_t bytes)
{
    long old = __builtin_wasm_memory_grow(0, (bytes + 65535) / 65536);
    return old < 0 ? 0 : (void *)(old * 65536);
}

/* Counts primes per range with a sieve (bit i of `composite` set: i is not
 * prime). */
static uint32_t *sieve(uint32_t limit)
{
    uint32_t *composite = grow(limit / 8 + 4);
    if (!composite)
        return 0;
    composite[0] |= 3;   /* 0 and 1 */
    for (uint32_t i = 2; (uint64_t)i * i < limit; i++)
        if (!(composite[i / 32] >> (i % 32) & 1))
            for (uint32_t j = i * i; j < limit; j += i)
                composite[j / 32] |= 1u << (j % 32);
    return composite;
}

static uint32_t sieve_count(const uint32_t *composite, uint32_t first, uint32_t count)
{
    uint32_t primes = 0;
    for (uint32_t n = first; n < first + count; n++)
        primes += !(composite[n / 32] >> (n % 32) & 1);
    return primes;
}

/* The collector's report to main. */
typedef struct tally {
    uint32_t received, exact, total;
} tally;

/* Collects the workers' counts: arg {workers}; handles [console, main].
 * It checks each count against its own sieve (a different algorithm),
 * then reports the tally to main. Results go here rather than to main's
 * mailbox, so main's mailbox holds little more than the children's ends. */
ISOLA_EXPORT("collector") int32_t collector(void)
{
    start_msg s;
    start_receive(&s);
    uint32_t workers = start_arg(&s, 0);
    const uint32_t *composite = sieve(workers * RANGE);
    if (!composite)
        return 1;
    tally t = {0, 0, 0};
    while (t.received < workers) {
        result r;
        if (isola_receive(ISOLA_MAILBOX, RESULT_TAG, ISOLA_RECV_TAG, &r, sizeof r, 0, 0, 0, ISOLA_FOREVER) < 0)
            return 1;
        t.received++;
        t.total += r.primes;
        t.exact += r.primes == sieve_count(composite, r.worker * RANGE, RANGE);
        if (r.life > 1)
            console_printf("collector: worker %u's count came from its life %u: %u primes\n", r.worker, r.life,
                           r.primes);
    }
    isola_send(s.handles[1], TALLY_TAG, &t, sizeof t, 0, 0, ISOLA_SEND_WAIT);
    return 0;
}

static tally final_tally;
static int have_tally;

/* The supervisor hands main the messages that are not children's ends. */
static void on_message(supervisor *sup, uint64_t tag, const void *bytes, uint32_t size)
{
    (void)sup;
    if (tag == TALLY_TAG && size >= sizeof final_tally) {
        __builtin_memcpy(&final_tally, bytes, sizeof final_tally);
        have_tally = 1;
    }
}

/* The collector: it may grow its memory for a sieve of `workers` ranges. */
static int32_t start_collector(int32_t module, uint32_t workers)
{
    int32_t to_main = isola_duplicate(isola_self(), ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER);
    isola_limits l = {.memory_pages = 2 + (workers * RANGE / 8 + 65535) / 65536, .handle_count = 4,
                      .queue_count = 64};
    return start_spawn(module, "collector", &workers, 1, &to_main, 1, &l);
}

ISOLA_EXPORT("main") int32_t crowd_main(void)
{
    start_msg s;
    start_receive(&s);
    int32_t module = s.handles[1];
    uint32_t workers = start_arg(&s, 0) ? start_arg(&s, 0) : 1000;
    if (workers > MAX_WORKERS)
        workers = MAX_WORKERS;
    uint32_t crasher = start_arg(&s, 1) ? start_arg(&s, 1) : workers / 2;
    uint32_t fuel_millions = start_arg(&s, 2) ? start_arg(&s, 2) : RUNAWAY_FUEL_DEFAULT;
    int64_t t0 = isola_now();
    sup_child *children = grow((workers + 1) * sizeof *children);
    int32_t collector_h = start_collector(module, workers);
    if (!children || collector_h < 0)
        return 1;

    /* Worker i's arguments: {i, life, crasher} (supervise.h adds life). */
    isola_limits leaf = {.memory_pages = 1, .handle_count = 4, .queue_count = 4};
    for (uint32_t i = 0; i < workers; i++)
        children[i] = (sup_child){.entry = "worker", .arg = i, .arg2 = crasher, .limits = leaf,
                                  .report_to = collector_h, .numbered = 1};
    isola_limits fuel = {.memory_pages = 1, .handle_count = 4, .queue_count = 4,
                         .fuel_total = fuel_millions * 1000000ull};
    children[workers] = (sup_child){.entry = "runaway", .arg = fuel_millions, .limits = fuel, .temporary = 1};
    supervisor sup = {.name = "main", .module = module, .children = children, .count = workers + 1,
                      .max_restarts = 5, .window_ns = 5000000000LL, .quiet = 1, .on_message = on_message};
    console_printf("main: starting %u workers and a runaway, each an isolated process\n", workers);
    sup_run(&sup);

    if (!have_tally &&
        isola_receive(ISOLA_MAILBOX, TALLY_TAG, ISOLA_RECV_TAG, &final_tally, sizeof final_tally, 0, 0, 0,
                      ISOLA_FOREVER) < 0)
        return 1;
    int64_t ms = (isola_now() - t0) / 1000000;
    tally t = final_tally;
    console_printf("main: %u of %u worker counts exact (checked against a sieve)\n", t.exact, workers);
    console_printf("main: primes below %u: %u\n", workers * RANGE, t.total);
    console_printf("main: %u processes in %lld ms: %u workers, %u of them restarted after a crash, 1 runaway, "
                   "1 collector\n", workers + 2 + sup.restarts, ms, workers, sup.restarts);
    return t.exact == workers && t.received == workers ? 0 : 1;
}

/* Under `isola run` (built with -DEXAMPLE_WASI) the same main is _start. */
EXAMPLE_COMMAND(crowd_main)
