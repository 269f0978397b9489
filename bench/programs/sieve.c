/* sieve: integer loops over a byte array. Sieve of Eratosthenes up to
 * sieve_limit (8 MiB of flags), repeated; the inner loops are a compare, a
 * strided byte store and an add, so this measures loop and branch overhead
 * and bounds-checked byte stores. */
#include "bench.h"

#define SIEVE_MAX (8u << 20)

static uint8_t composite[SIEVE_MAX];
uint32_t sieve_limit = SIEVE_MAX;
int sieve_rounds = 18;

static uint32_t sieve_once(uint32_t limit, uint32_t *largest)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < limit; i++)
        composite[i] = 0;
    for (uint32_t i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        *largest = i;
        if (i > limit / i)
            continue;
        for (uint32_t j = i * i; j < limit; j += i)
            composite[j] = 1;
    }
    return count;
}

int run(void)
{
    uint32_t sum = BENCH_CHECKSUM_SEED;
    for (int round = 0; round < sieve_rounds; round++) {
        uint32_t largest = 0;
        /* a slightly different limit each round so rounds are not
         * interchangeable */
        uint32_t count = sieve_once(sieve_limit - (uint32_t)round * 1000u, &largest);
        sum = bench_mix(sum, count);
        sum = bench_mix(sum, largest);
    }
    return (int)sum;
}
