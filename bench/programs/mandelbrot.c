/* mandelbrot: register-only float math. Escape-time iteration counts over a
 * mandel_size x mandel_size grid of the complex plane: a tight loop of f64
 * multiplies, adds and a compare, with no memory traffic at all. */
#include "bench.h"

int mandel_size = 1100;
int mandel_max_iter = 400;
double mandel_x0 = -2.1, mandel_y0 = -1.25, mandel_span = 2.5;

static int escape_time(double cr, double ci, int max_iter)
{
    double zr = 0.0, zi = 0.0;
    int iter = 0;
    while (iter < max_iter) {
        double zr2 = zr * zr;
        double zi2 = zi * zi;
        if (zr2 + zi2 > 4.0)
            break;
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        iter++;
    }
    return iter;
}

int run(void)
{
    int size = mandel_size;
    double step = mandel_span / (double)size;
    uint32_t sum = BENCH_CHECKSUM_SEED;
    uint32_t total = 0;
    for (int py = 0; py < size; py++) {
        uint32_t row = 0;
        double ci = mandel_y0 + step * (double)py;
        for (int px = 0; px < size; px++) {
            double cr = mandel_x0 + step * (double)px;
            uint32_t iter = (uint32_t)escape_time(cr, ci, mandel_max_iter);
            row = row * 33u + iter;
            total += iter;
        }
        sum = bench_mix(sum, row);
    }
    return (int)bench_mix(sum, total);
}
