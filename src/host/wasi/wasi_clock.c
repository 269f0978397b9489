/*
 * wasi_clock.c - clock_res_get and clock_time_get: the four WASI clocks
 * mapped onto the host's POSIX clocks, times in nanoseconds.
 */
#include <time.h>

#include "wasi_abi.h"
#include "wasi_clock.h"
#include "wasi_mem.h"

bool wasi_clock_host_id(uint32_t id, clockid_t *out)
{
    switch (id) {
    case WASI_CLOCK_REALTIME: *out = CLOCK_REALTIME; return true;
    case WASI_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return true;
    case WASI_CLOCK_PROCESS_CPUTIME: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case WASI_CLOCK_THREAD_CPUTIME: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
    }
}

uint64_t wasi_timespec_ns(const struct timespec *ts)
{
    if (ts->tv_sec < 0)
        return 0;
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

int64_t wasi_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)wasi_timespec_ns(&ts);
}

uint32_t wasi_clock_res_get(wasi_call *c)
{
    clockid_t id;
    if (!wasi_clock_host_id(wasi_arg32(c, 0), &id))
        return WASI_EINVAL;
    struct timespec ts;
    if (clock_getres(id, &ts) != 0)
        return WASI_EINVAL;
    uint64_t ns = wasi_timespec_ns(&ts);
    return wasi_store_u64(c, wasi_arg32(c, 1), ns ? ns : 1);
}

uint32_t wasi_clock_time_get(wasi_call *c)
{
    clockid_t id;
    if (!wasi_clock_host_id(wasi_arg32(c, 0), &id))
        return WASI_EINVAL;
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return WASI_EINVAL;
    return wasi_store_u64(c, wasi_arg32(c, 2), wasi_timespec_ns(&ts));
}
