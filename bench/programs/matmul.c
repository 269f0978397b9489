/* matmul: memory traffic. Integer matrix product C = A * B of two
 * matmul_n x matmul_n matrices (3 x 576 KiB at n = 384), done the cache-
 * friendly way: transpose B first, then dot rows with rows. Also a
 * column-order pass over C, which strides through memory on purpose. */
#include "bench.h"

#define MATMUL_MAX 384

static uint32_t a[MATMUL_MAX * MATMUL_MAX];
static uint32_t b[MATMUL_MAX * MATMUL_MAX];
static uint32_t bt[MATMUL_MAX * MATMUL_MAX];
static uint32_t c[MATMUL_MAX * MATMUL_MAX];
int matmul_n = MATMUL_MAX;
int matmul_rounds = 12;

static void fill(uint32_t *m, int n, uint32_t seed)
{
    for (int i = 0; i < n * n; i++)
        m[i] = bench_rand(&seed) >> 20;
}

static void transpose(uint32_t *dst, const uint32_t *src, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            dst[j * n + i] = src[i * n + j];
}

static void multiply(int n)
{
    for (int i = 0; i < n; i++) {
        const uint32_t *row = &a[i * n];
        for (int j = 0; j < n; j++) {
            const uint32_t *col = &bt[j * n];
            uint32_t dot = 0;
            for (int k = 0; k < n; k++)
                dot += row[k] * col[k];
            c[i * n + j] = dot;
        }
    }
}

static uint32_t column_checksum(int n)
{
    uint32_t sum = BENCH_CHECKSUM_SEED;
    for (int j = 0; j < n; j++) {
        uint32_t col = 0;
        for (int i = 0; i < n; i++)
            col = col * 31u + c[i * n + j];
        sum = bench_mix(sum, col);
    }
    return sum;
}

int run(void)
{
    int n = matmul_n;
    uint32_t sum = BENCH_CHECKSUM_SEED;
    for (int round = 0; round < matmul_rounds; round++) {
        fill(a, n, 1u + (uint32_t)round);
        fill(b, n, 1000u + (uint32_t)round);
        transpose(bt, b, n);
        multiply(n);
        sum = bench_mix(sum, column_checksum(n));
    }
    return (int)sum;
}
