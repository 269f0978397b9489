/* bench.h: the few helpers every benchmark guest shares.
 *
 * Each program in this directory is one translation unit that defines
 * `int run(void)`, returning a 32-bit checksum. The same source is built as
 * a wasm module (clang-14, wasm32, no libc, no imports) and as a native
 * executable (gcc, with native_main.c), so everything here must give
 * bit-identical results on an ILP32 and an LP64 target: use fixed-width
 * unsigned types for anything that can overflow, and never let size_t or
 * long leak into a checksum.
 *
 * Workload sizes live in non-static globals: the compiler cannot prove they
 * keep their initial value, so it cannot fold the whole benchmark away at
 * compile time. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

int run(void);

/* Numerical Recipes' 32-bit LCG: cheap, deterministic, good enough to make
 * inputs that no compiler can predict. */
static inline uint32_t bench_rand(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

/* Folds one value into a running checksum (FNV-1a style step on the whole
 * word: order-sensitive, so a permuted result changes the checksum). */
static inline uint32_t bench_mix(uint32_t hash, uint32_t value)
{
    return (hash ^ value) * 16777619u;
}

#define BENCH_CHECKSUM_SEED 2166136261u

#endif
