/* dp: dynamic programming. Levenshtein edit distance between pairs of
 * dp_len-character strings over a 4-letter alphabet, with two rolling rows:
 * a dense loop of loads, min() chains and stores with a loop-carried
 * dependency that no compiler can vectorise. */
#include "bench.h"

#define DP_MAX 4000

static uint8_t left[DP_MAX];
static uint8_t right[DP_MAX];
static uint32_t rows[2][DP_MAX + 1];
int dp_len = 3000;
int dp_rounds = 34;

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t m = a < b ? a : b;
    return m < c ? m : c;
}

static uint32_t edit_distance(const uint8_t *s, int n, const uint8_t *t, int m)
{
    uint32_t *prev = rows[0], *cur = rows[1];
    for (int j = 0; j <= m; j++)
        prev[j] = (uint32_t)j;
    for (int i = 1; i <= n; i++) {
        cur[0] = (uint32_t)i;
        uint8_t si = s[i - 1];
        for (int j = 1; j <= m; j++) {
            uint32_t substitute = prev[j - 1] + (si != t[j - 1]);
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, substitute);
        }
        uint32_t *swap = prev;
        prev = cur;
        cur = swap;
    }
    return prev[m];
}

int run(void)
{
    int n = dp_len > DP_MAX ? DP_MAX : dp_len;
    uint32_t sum = BENCH_CHECKSUM_SEED;
    for (int round = 0; round < dp_rounds; round++) {
        uint32_t seed = 99u + (uint32_t)round;
        for (int i = 0; i < n; i++)
            left[i] = (uint8_t)("ACGT"[bench_rand(&seed) >> 30]);
        /* right is a mutated copy of left, so the distance is interesting */
        for (int i = 0; i < n; i++) {
            uint32_t r = bench_rand(&seed);
            right[i] = (r >> 28) < 3 ? (uint8_t)("ACGT"[r & 3]) : left[i];
        }
        int m = n - round * 17;
        sum = bench_mix(sum, edit_distance(left, n, right, m));
    }
    return (int)sum;
}
