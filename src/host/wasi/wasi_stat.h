/*
 * wasi_stat.h - conversions between host stat/timespec data and the WASI
 * filestat and fstflags encodings, shared by fd_* and path_* calls.
 */
#ifndef WASI_STAT_H
#define WASI_STAT_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* Writes a 64-byte WASI filestat for *st at p (already bounds checked). */
void wasi_put_filestat(uint8_t *p, const struct stat *st);

/*
 * Fills ts[2] (atime, mtime) for utimensat/futimens from WASI times and
 * fstflags. WASI_EINVAL if a time is both "set" and "now" or flags has
 * unknown bits.
 */
uint16_t wasi_fst_times(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec ts[2]);

#endif
