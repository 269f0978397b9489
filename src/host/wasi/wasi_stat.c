/*
 * wasi_stat.c - host stat to WASI filestat; WASI fstflags to timespecs.
 */
#include "wasi_stat.h"

#include <fcntl.h>
#include <string.h>

#include "wasi_abi.h"
#include "wasi_clock.h"
#include "wasi_ctx.h"
#include "wasi_mem.h"

void wasi_put_filestat(uint8_t *p, const struct stat *st)
{
    memset(p, 0, WASI_FILESTAT_SIZE);
    wasi_put_u64(p + 0, (uint64_t)st->st_dev);
    wasi_put_u64(p + 8, (uint64_t)st->st_ino);
    wasi_put_u8(p + 16, wasi_filetype_of_mode(st->st_mode));
    wasi_put_u64(p + 24, (uint64_t)st->st_nlink);
    wasi_put_u64(p + 32, (uint64_t)st->st_size);
    wasi_put_u64(p + 40, wasi_timespec_ns(&st->st_atim));
    wasi_put_u64(p + 48, wasi_timespec_ns(&st->st_mtim));
    wasi_put_u64(p + 56, wasi_timespec_ns(&st->st_ctim));
}

static void ns_to_timespec(uint64_t ns, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

uint16_t wasi_fst_times(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec ts[2])
{
    if (fst_flags & ~(uint32_t)(WASI_FST_ATIM | WASI_FST_ATIM_NOW | WASI_FST_MTIM | WASI_FST_MTIM_NOW))
        return WASI_EINVAL;
    if ((fst_flags & WASI_FST_ATIM) && (fst_flags & WASI_FST_ATIM_NOW))
        return WASI_EINVAL;
    if ((fst_flags & WASI_FST_MTIM) && (fst_flags & WASI_FST_MTIM_NOW))
        return WASI_EINVAL;
    ts[0].tv_sec = ts[1].tv_sec = 0;
    ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
    if (fst_flags & WASI_FST_ATIM)
        ns_to_timespec(atim, &ts[0]);
    else if (fst_flags & WASI_FST_ATIM_NOW)
        ts[0].tv_nsec = UTIME_NOW;
    if (fst_flags & WASI_FST_MTIM)
        ns_to_timespec(mtim, &ts[1]);
    else if (fst_flags & WASI_FST_MTIM_NOW)
        ts[1].tv_nsec = UTIME_NOW;
    return 0;
}
