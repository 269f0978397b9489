/*
 * wasi_args.c - args_* and environ_*: the guest's argv and environment,
 * laid out the way C's main() wants them (an array of pointers into one
 * buffer of NUL-terminated strings).
 */
#include <string.h>

#include "wasi_abi.h"
#include "wasi_ctx.h"
#include "wasi_mem.h"

/* Total bytes of the strings with their NULs; WASI_EOVERFLOW if over 4 GiB. */
static uint16_t strings_size(char *const *list, uint32_t n, uint32_t *out)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += strlen(list[i]) + 1;
    if (total > UINT32_MAX)
        return WASI_EOVERFLOW;
    *out = (uint32_t)total;
    return 0;
}

/* Walking the strings is the work (up to 1 MiB and 65,536 of them for a
 * spawned child): charged like bytes moved, a string's pointer as 8. */
static void charge_strings(wasi_call *c, uint32_t n, uint32_t bytes)
{
    c->moved = (uint64_t)bytes + 8ull * n;
}

static uint32_t sizes_get(wasi_call *c, char *const *list, uint32_t n)
{
    uint32_t bytes = 0;
    uint16_t e = strings_size(list, n, &bytes);
    charge_strings(c, n, bytes);
    if (e)
        return e;
    e = wasi_store_u32(c, wasi_arg32(c, 0), n);
    return e ? e : wasi_store_u32(c, wasi_arg32(c, 1), bytes);
}

/* Writes n pointers at ptrs and the strings at buf; all bounds checked before any write. */
static uint32_t strings_get(wasi_call *c, char *const *list, uint32_t n)
{
    uint32_t ptrs = wasi_arg32(c, 0), buf = wasi_arg32(c, 1), bytes = 0;
    uint16_t e = strings_size(list, n, &bytes);
    charge_strings(c, n, bytes);
    if (e)
        return e;
    uint8_t *p = wasi_mem_at(c, ptrs, (uint64_t)n * 4);
    uint8_t *b = wasi_mem_at(c, buf, bytes);
    if (!p || !b)
        return WASI_EFAULT;
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(list[i]) + 1;
        wasi_put_u32(p + 4 * i, buf + off);
        memcpy(b + off, list[i], len);
        off += (uint32_t)len;
    }
    return 0;
}

uint32_t wasi_args_sizes_get(wasi_call *c) { return sizes_get(c, c->wasi->args, c->wasi->nargs); }
uint32_t wasi_args_get(wasi_call *c) { return strings_get(c, c->wasi->args, c->wasi->nargs); }
uint32_t wasi_environ_sizes_get(wasi_call *c) { return sizes_get(c, c->wasi->env, c->wasi->nenv); }
uint32_t wasi_environ_get(wasi_call *c) { return strings_get(c, c->wasi->env, c->wasi->nenv); }
