/* nbody: double-precision float math. A softened gravitational n-body
 * simulation (nbody_count bodies, all pairs, symplectic Euler steps) with
 * bodies generated from the LCG. Per pair: subtracts, multiplies, a sqrt and
 * a divide; results are IEEE-exact and identical on every conforming target
 * because nothing is reassociated (and run.sh builds with -ffp-contract=off). */
#include "bench.h"

#define NBODY_MAX 32

struct body {
    double x, y, z;
    double vx, vy, vz;
    double mass;
};

static struct body bodies[NBODY_MAX];
int nbody_count = 16;
int nbody_steps = 550000;
double nbody_dt = 0.001;

static double unit_random(uint32_t *seed)
{
    /* 24 random bits scaled to [-1, 1) */
    return (double)(bench_rand(seed) >> 8) / 8388608.0 - 1.0;
}

static void setup(int count)
{
    uint32_t seed = 12345;
    for (int i = 0; i < count; i++) {
        struct body *b = &bodies[i];
        b->x = 10.0 * unit_random(&seed);
        b->y = 10.0 * unit_random(&seed);
        b->z = 10.0 * unit_random(&seed);
        b->vx = 0.1 * unit_random(&seed);
        b->vy = 0.1 * unit_random(&seed);
        b->vz = 0.1 * unit_random(&seed);
        b->mass = 1.5 + unit_random(&seed);
    }
}

static void advance(int count, double dt)
{
    for (int i = 0; i < count; i++) {
        struct body *bi = &bodies[i];
        for (int j = i + 1; j < count; j++) {
            struct body *bj = &bodies[j];
            double dx = bi->x - bj->x;
            double dy = bi->y - bj->y;
            double dz = bi->z - bj->z;
            /* softening keeps close encounters finite */
            double d2 = dx * dx + dy * dy + dz * dz + 0.01;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            double mi = bi->mass * mag;
            double mj = bj->mass * mag;
            bi->vx -= dx * mj;
            bi->vy -= dy * mj;
            bi->vz -= dz * mj;
            bj->vx += dx * mi;
            bj->vy += dy * mi;
            bj->vz += dz * mi;
        }
    }
    for (int i = 0; i < count; i++) {
        struct body *b = &bodies[i];
        b->x += dt * b->vx;
        b->y += dt * b->vy;
        b->z += dt * b->vz;
    }
}

static double energy(int count)
{
    double e = 0.0;
    for (int i = 0; i < count; i++) {
        struct body *bi = &bodies[i];
        e += 0.5 * bi->mass * (bi->vx * bi->vx + bi->vy * bi->vy + bi->vz * bi->vz);
        for (int j = i + 1; j < count; j++) {
            struct body *bj = &bodies[j];
            double dx = bi->x - bj->x;
            double dy = bi->y - bj->y;
            double dz = bi->z - bj->z;
            e -= bi->mass * bj->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz + 0.01);
        }
    }
    return e;
}

static uint32_t mix_double(uint32_t sum, double value)
{
    union { double d; uint64_t u; } bits = { .d = value };
    sum = bench_mix(sum, (uint32_t)bits.u);
    return bench_mix(sum, (uint32_t)(bits.u >> 32));
}

int run(void)
{
    int count = nbody_count > NBODY_MAX ? NBODY_MAX : nbody_count;
    uint32_t sum = BENCH_CHECKSUM_SEED;
    setup(count);
    sum = mix_double(sum, energy(count));
    for (int step = 0; step < nbody_steps; step++)
        advance(count, nbody_dt);
    sum = mix_double(sum, energy(count));
    for (int i = 0; i < count; i++)
        sum = mix_double(sum, bodies[i].x);
    return (int)sum;
}
