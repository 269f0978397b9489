/* wasm_rt.c: the libc routines clang may emit calls to, for the wasm builds.
 *
 * Guests are linked with -nostdlib and must have no imports, but clang turns
 * struct copies and zeroing loops into calls to memcpy/memset. These plain
 * byte loops satisfy them. LLVM never rewrites the body of a function named
 * memcpy/memset into a call to itself, so the loops stay loops. Native
 * builds use the C library instead and do not compile this file. */
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int value, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)value;
    return dst;
}
