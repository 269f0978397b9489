/* sort: data-dependent branches and memory swaps. Sorts sort_count (300k)
 * LCG-generated 32-bit integers with a hand-written quicksort (median of
 * three, insertion sort for short ranges, recursion only into the smaller
 * half so the stack stays shallow), then checks the order. */
#include "bench.h"

#define SORT_MAX 300000
#define SORT_SMALL 16

static uint32_t data[SORT_MAX];
int sort_count = SORT_MAX;
int sort_rounds = 15;

static void insertion_sort(uint32_t *v, int lo, int hi)
{
    for (int i = lo + 1; i <= hi; i++) {
        uint32_t key = v[i];
        int j = i - 1;
        while (j >= lo && v[j] > key) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = key;
    }
}

static void swap(uint32_t *v, int i, int j)
{
    uint32_t t = v[i];
    v[i] = v[j];
    v[j] = t;
}

/* Puts the median of v[lo], v[mid], v[hi] at v[mid] and returns it. */
static uint32_t median_of_three(uint32_t *v, int lo, int mid, int hi)
{
    if (v[mid] < v[lo])
        swap(v, mid, lo);
    if (v[hi] < v[lo])
        swap(v, hi, lo);
    if (v[hi] < v[mid])
        swap(v, hi, mid);
    return v[mid];
}

static void quicksort(uint32_t *v, int lo, int hi)
{
    while (hi - lo > SORT_SMALL) {
        uint32_t pivot = median_of_three(v, lo, lo + (hi - lo) / 2, hi);
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                swap(v, i, j);
                i++;
                j--;
            }
        }
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
    insertion_sort(v, lo, hi);
}

int run(void)
{
    int n = sort_count;
    uint32_t sum = BENCH_CHECKSUM_SEED;
    for (int round = 0; round < sort_rounds; round++) {
        uint32_t seed = 42u + (uint32_t)round;
        /* some rounds with many duplicates, to exercise equal keys */
        uint32_t mask = round % 3 == 2 ? 0xffffu : 0xffffffffu;
        for (int i = 0; i < n; i++)
            data[i] = bench_rand(&seed) & mask;
        quicksort(data, 0, n - 1);
        uint32_t unsorted = 0;
        for (int i = 1; i < n; i++)
            unsorted += data[i - 1] > data[i];
        sum = bench_mix(sum, unsorted);
        for (int i = 0; i < n; i += 997)
            sum = bench_mix(sum, data[i]);
    }
    return (int)sum;
}
