/*
 * demo_guest.c - the single-module guest scripts/demo.sh runs with
 * `isola run --invoke`. Freestanding C (no libc), built by the SDK:
 *   sdk/isola-cc -o demo_guest.wasm demo_guest.c
 * Each function marked export_name becomes a wasm export.
 */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* Iterative Fibonacci, wrapping like C unsigned arithmetic. */
EXPORT("fib") uint32_t fib(uint32_t n)
{
    uint32_t a = 0, b = 1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t next = a + b;
        a = b;
        b = next;
    }
    return a;
}

/* Steps for n to reach 1 under the Collatz map; i64 so large starts are fine. */
EXPORT("collatz_steps") int32_t collatz_steps(int64_t n)
{
    int32_t steps = 0;
    while (n > 1) {
        n = (n % 2 == 0) ? n / 2 : 3 * n + 1;
        steps++;
    }
    return steps;
}

/* The n-th harmonic number 1 + 1/2 + ... + 1/n, in double precision. */
EXPORT("harmonic") double harmonic(int32_t n)
{
    double sum = 0.0;
    for (int32_t i = n; i >= 1; i--)
        sum += 1.0 / (double)i;
    return sum;
}

/* Static data lives in linear memory: a sieve of Eratosthenes counting primes below n. */
static uint8_t composite[1 << 16];

EXPORT("count_primes") int32_t count_primes(int32_t n)
{
    if (n > (int32_t)sizeof composite)
        n = (int32_t)sizeof composite;
    int32_t count = 0;
    for (int32_t i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        for (int32_t j = i * 2; j < n; j += i)
            composite[j] = 1;
    }
    return count;
}

/* Kept out of line (and not static, so the linker keeps its name) so the trap's backtrace shows two guest frames. */
__attribute__((noinline)) int32_t divide(int32_t a, int32_t b)
{
    return a / b;   /* b == 0 traps: integer divide by zero */
}

/* Integer percentage of part in whole; whole == 0 traps inside divide. */
EXPORT("percent") int32_t percent(int32_t part, int32_t whole)
{
    return divide(part * 100, whole);
}
