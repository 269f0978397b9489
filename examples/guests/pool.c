/*
 * examples/guests/pool.c - a pool of workers fed jobs over channels.
 *
 * `main` spawns WORKERS workers. Each gets its own channel from main (main
 * keeps one end and feeds jobs into it, the worker receives from the other)
 * and a SEND-only handle to main's mailbox for its results. The pool is
 * demand driven: every worker starts with one job, and each result that
 * comes back earns that worker the next job, so fast workers take more.
 * When the jobs run out, each worker is sent a stop message.
 *
 * A job is a range of 10,000 numbers; its result is how many primes the
 * range holds. main adds them up (primes below 200,000: 17984).
 *
 * Run: run_guest pool.wasm [WORKERS [JOBS]]   (defaults 4 and 20)
 */
#include "console.h"
#include "isola.h"
#include "start.h"

#define JOB_TAG 1
#define STOP_TAG 2
#define RESULT_TAG 3
#define JOB_SIZE 10000
#define MAX_WORKERS 64

typedef struct job {
    uint32_t id;
    uint32_t first;   /* the range first .. first + JOB_SIZE - 1 */
} job;

typedef struct result {
    uint32_t worker;
    uint32_t job_id;
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

/* handles: [console, job endpoint, results to main]; arg: worker number. */
__attribute__((export_name("worker"))) int32_t worker(void)
{
    start_msg s;
    start_receive(&s);
    int32_t jobs = s.handles[1], results = s.handles[2];
    result r = {.worker = start_arg(&s, 0)};
    for (;;) {
        job j;
        isola_msg_info info;
        if (isola_receive(jobs, 0, 0, &j, sizeof j, 0, 0, &info, ISOLA_FOREVER) < 0 || info.tag == STOP_TAG)
            return 0;
        r.job_id = j.id;
        r.primes = 0;
        for (uint32_t n = j.first; n < j.first + JOB_SIZE; n++)
            r.primes += (uint32_t)is_prime(n);
        isola_send(results, RESULT_TAG, &r, sizeof r, 0, 0, ISOLA_SEND_WAIT);
    }
}

typedef struct pool {
    int32_t feeds[MAX_WORKERS];   /* our end of each worker's job channel */
    uint32_t done[MAX_WORKERS];   /* jobs finished per worker */
    uint32_t workers, jobs, next_job;
} pool;

static int32_t pool_start_worker(pool *p, int32_t module, int32_t me, uint32_t index)
{
    int32_t ends[2];
    int32_t r = isola_channel_create(ends);
    if (r < 0)
        return r;
    p->feeds[index] = ends[0];
    int32_t give[2] = {ends[1], isola_duplicate(me, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER)};
    isola_limits leaf = {.memory_pages = 1, .handle_count = 8, .queue_count = 4};
    int32_t child = start_spawn(module, "worker", &index, 1, give, 2, &leaf);
    if (child < 0)
        return child;
    return isola_close(child);   /* the pool talks to workers through channels only */
}

/* Gives worker w the next job, or tells it to stop. */
static void pool_feed(pool *p, uint32_t w)
{
    if (p->next_job == p->jobs) {
        isola_send(p->feeds[w], STOP_TAG, 0, 0, 0, 0, ISOLA_SEND_WAIT);
        return;
    }
    job j = {.id = p->next_job, .first = p->next_job * JOB_SIZE};
    p->next_job++;
    isola_send(p->feeds[w], JOB_TAG, &j, sizeof j, 0, 0, ISOLA_SEND_WAIT);
}

__attribute__((export_name("main"))) int32_t pool_main(void)
{
    start_msg s;
    start_receive(&s);
    pool p = {.workers = start_arg(&s, 0) ? start_arg(&s, 0) : 4, .jobs = start_arg(&s, 1) ? start_arg(&s, 1) : 20};
    if (p.workers > MAX_WORKERS)
        p.workers = MAX_WORKERS;

    int32_t me = isola_self();
    for (uint32_t w = 0; w < p.workers; w++) {
        int32_t r = pool_start_worker(&p, s.handles[1], me, w);
        if (r < 0) {
            console_printf("pool: starting worker %u failed (%d)\n", w, r);
            return 1;
        }
    }
    console_printf("pool: %u workers, %u jobs of %u numbers each\n", p.workers, p.jobs, JOB_SIZE);
    for (uint32_t w = 0; w < p.workers; w++)
        pool_feed(&p, w);

    uint64_t total = 0;
    for (uint32_t got = 0; got < p.jobs; got++) {
        result r;
        isola_receive(ISOLA_MAILBOX, RESULT_TAG, ISOLA_RECV_TAG, &r, sizeof r, 0, 0, 0, ISOLA_FOREVER);
        console_printf("pool: job %2u (%u..%u) done by worker %u: %u primes\n", r.job_id, r.job_id * JOB_SIZE,
                       r.job_id * JOB_SIZE + JOB_SIZE - 1, r.worker, r.primes);
        total += r.primes;
        p.done[r.worker]++;
        pool_feed(&p, r.worker);
    }
    for (uint32_t w = 0; w < p.workers; w++)
        console_printf("pool: worker %u did %u jobs\n", w, p.done[w]);
    console_printf("pool: primes below %u: %llu\n", p.jobs * JOB_SIZE, total);
    return 0;
}

/* Under `isola run` (built with -DEXAMPLE_WASI) the same main is _start. */
EXAMPLE_COMMAND(pool_main)
