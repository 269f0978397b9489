/*
 * wasi_clock.h - clock helpers shared by the clock calls and poll_oneoff.
 */
#ifndef WASI_CLOCK_H
#define WASI_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The host clock for a WASI clock id; false for an unknown id. */
bool wasi_clock_host_id(uint32_t id, clockid_t *out);
/* Nanoseconds in a timespec (0 for times before the epoch). */
uint64_t wasi_timespec_ns(const struct timespec *ts);
/* CLOCK_MONOTONIC now, in nanoseconds. */
int64_t wasi_monotonic_ns(void);

#endif
