/*
 * wasi_mem.h - safe access to guest memory and arguments for the WASI
 * host functions. Every guest pointer goes through wasi_mem_at, which
 * checks [ptr, ptr+len) against the memory's current size in 64-bit
 * arithmetic; a bad pointer is WASI_EFAULT, never a host access.
 * Multi-byte values are little-endian as the wasm spec defines them,
 * whatever the host's byte order.
 */
#ifndef WASI_MEM_H
#define WASI_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "wasi_funcs.h"

/* The i-th argument as u32 / u64. */
static inline uint32_t wasi_arg32(const wasi_call *c, unsigned i) { return (uint32_t)c->args[i]; }
static inline uint64_t wasi_arg64(const wasi_call *c, unsigned i) { return c->args[i]; }

/* Host pointer to guest bytes [ptr, ptr+len), or NULL if any of it is out of bounds. */
static inline uint8_t *wasi_mem_at(const wasi_call *c, uint32_t ptr, uint64_t len)
{
    if (!c->mem || (uint64_t)ptr + len > c->mem_size)
        return NULL;
    return c->mem + ptr;
}

void wasi_put_u8(uint8_t *p, uint8_t v);
void wasi_put_u16(uint8_t *p, uint16_t v);
void wasi_put_u32(uint8_t *p, uint32_t v);
void wasi_put_u64(uint8_t *p, uint64_t v);
uint16_t wasi_get_u16(const uint8_t *p);
uint32_t wasi_get_u32(const uint8_t *p);
uint64_t wasi_get_u64(const uint8_t *p);

/* Stores a u32 / u64 result at guest address ptr; WASI_EFAULT if out of bounds. */
uint16_t wasi_store_u32(const wasi_call *c, uint32_t ptr, uint32_t v);
uint16_t wasi_store_u64(const wasi_call *c, uint32_t ptr, uint64_t v);

/* Host iovecs for at most this many guest iovecs; longer lists give short transfers. */
#define WASI_MAX_IOVS 1024u

/*
 * Translates the guest iovec array at (iovs_ptr, iovs_len) into host
 * iovecs pointing into guest memory. *count gets how many were used (at
 * most WASI_MAX_IOVS). WASI_EFAULT if the array or any buffer is out of
 * bounds; WASI_EINVAL if the total length overflows.
 */
uint16_t wasi_iovecs(const wasi_call *c, uint32_t iovs_ptr, uint32_t iovs_len, struct iovec *out,
                     unsigned *count);

/*
 * Copies the guest path (ptr, len) into a NUL-terminated host buffer
 * (malloc'ed, freed by the caller). WASI_EFAULT, WASI_EINVAL (embedded
 * NUL), WASI_EILSEQ (not UTF-8), WASI_ENAMETOOLONG (over PATH_MAX).
 */
uint16_t wasi_path_copy(const wasi_call *c, uint32_t ptr, uint32_t len, char **out);

/* The WASI errno for a host errno value. */
uint16_t wasi_errno_from_host(int e);

#endif
