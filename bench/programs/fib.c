/* fib: call overhead. Naive doubly recursive Fibonacci plus Takeuchi's tak
 * function: almost no work per call, so the time is dominated by call,
 * return, argument passing and the stack-depth checks an engine adds. */
#include "bench.h"

int fib_n = 39;
int tak_x = 18, tak_y = 12, tak_z = 6;
int call_rounds = 4;

static uint32_t fib(uint32_t n)
{
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}

static int tak(int x, int y, int z)
{
    if (y >= x)
        return z;
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

int run(void)
{
    uint32_t sum = BENCH_CHECKSUM_SEED;
    for (int round = 0; round < call_rounds; round++) {
        sum = bench_mix(sum, fib((uint32_t)(fib_n + round % 2)));
        sum = bench_mix(sum, (uint32_t)tak(tak_x, tak_y, tak_z + round));
    }
    return (int)sum;
}
