/* sha256: 32-bit bit twiddling. SHA-256 (FIPS 180-4) of a 4 MiB LCG-filled
 * buffer, several rounds, each round's digest fed into the next buffer:
 * rotates, shifts, xors and adds on 32-bit words, big-endian loads. */
#include "bench.h"

#define SHA_BUFFER_BYTES (4u << 20)

static uint8_t buffer[SHA_BUFFER_BYTES];
uint32_t sha_bytes = SHA_BUFFER_BYTES;
int sha_rounds = 20;

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4, section 4.2.2). */
static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void compress(uint32_t state[8], const uint8_t block[64])
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = load_be32(block + 4 * i);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                      round_constants[i] + w[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

/* Full SHA-256 with padding, so the digest can be checked against
 * sha256sum when debugging. */
static void sha256(const uint8_t *msg, uint32_t len, uint32_t digest[8])
{
    static const uint32_t initial[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    uint8_t tail[128];
    uint32_t full = len / 64 * 64;
    uint32_t rest = len - full;
    uint32_t tail_len = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;

    for (int i = 0; i < 8; i++)
        digest[i] = initial[i];
    for (uint32_t off = 0; off < full; off += 64)
        compress(digest, msg + off);
    for (uint32_t i = 0; i < tail_len; i++)
        tail[i] = 0;
    for (uint32_t i = 0; i < rest; i++)
        tail[i] = msg[full + i];
    tail[rest] = 0x80;
    for (uint32_t i = 0; i < 8; i++)
        tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (uint32_t off = 0; off < tail_len; off += 64)
        compress(digest, tail + off);
}

int run(void)
{
    uint32_t len = sha_bytes > SHA_BUFFER_BYTES ? SHA_BUFFER_BYTES : sha_bytes;
    uint32_t seed = 7;
    uint32_t digest[8];
    uint32_t sum = BENCH_CHECKSUM_SEED;
    for (uint32_t i = 0; i < len; i++)
        buffer[i] = (uint8_t)(bench_rand(&seed) >> 24);
    for (int round = 0; round < sha_rounds; round++) {
        /* hash a slightly shorter prefix each round to exercise padding */
        sha256(buffer, len - (uint32_t)round * 13u, digest);
        for (int i = 0; i < 8; i++) {
            sum = bench_mix(sum, digest[i]);
            buffer[4 * i] = (uint8_t)digest[i];
        }
    }
    return (int)sum;
}
