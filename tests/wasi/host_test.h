/*
 * tests/wasi/host_test.h - what the WASI host-API tests (test_wasi_*.c)
 * share: CHECK, reading a guest module, and counting this process's
 * descriptors.
 */
#ifndef ISOLA_TESTS_WASI_HOST_TEST_H
#define ISOLA_TESTS_WASI_HOST_TEST_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Counts a failed condition and says where; main reports the count. */
static int failures;
#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                            \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

/* The whole file, malloc'ed (*len its size), or NULL. */
static inline uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n >= 0 ? (size_t)n : 0;
    return buf;
}

/* Entries of /proc/self/fd (with the listing's own and "." and ".."): a
 * count to compare before and after, not an exact number of descriptors. */
static inline int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

#endif
