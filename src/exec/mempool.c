/*
 * mempool.c - reserved address space for linear memories (see mempool.h).
 *
 * Design
 *   isola aims at a million instances in one process. Linux allows about 65k
 *   mappings per process (vm.max_map_count), so one mmap per memory is out.
 *   Instead the pool reserves address space in chunks: one mmap of
 *   slots_per_chunk * slot_bytes, PROT_READ|PROT_WRITE, MAP_PRIVATE |
 *   MAP_ANONYMOUS | MAP_NORESERVE. Each chunk is a single VMA (it is never
 *   mprotect-ed, so it never splits); pages cost RAM only once touched, and
 *   NORESERVE keeps the untouched bulk out of the commit charge.
 *
 *   A memory whose maximum fits a slot takes one. When it is freed, the
 *   bytes it could have touched (its final size; memories never shrink) are
 *   handed back with madvise(MADV_DONTNEED), so RSS drops and a reused slot
 *   reads as zeros, and the slot goes on a LIFO free list.
 *
 * No guard pages
 *   Engines built for a few instances reserve 8 GiB per memory so a 32-bit
 *   address plus offset can never leave the reservation, and let the MMU
 *   catch out-of-bounds accesses. With 128 TiB of user address space that
 *   allows ~16k memories, far short of a million; with 16 MiB slots the same
 *   space holds eight million. So isola checks bounds explicitly in the
 *   interpreter (one compare against the memory's size, which it keeps in a
 *   register) and slots sit back to back: an access just past one memory's
 *   size is refused before it is made, never by a fault. Signal-free bounds
 *   checking also keeps traps ordinary values, with no SIGSEGV handler to
 *   share with the embedder.
 *
 * Locking: one mutex guards the chunk list and the free list. It is held
 *   across the mmap of a new chunk too, which happens once per
 *   slots_per_chunk memories; madvise on release runs outside it.
 */
#include "exec/mempool.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Target address space per chunk: big enough that chunks are few (1024 slots of
 * 16 MiB), small enough that an engine with a handful of memories does not
 * reserve an absurd range. */
#define MEMPOOL_CHUNK_TARGET (16ull << 30)
#define MEMPOOL_MAX_SLOTS (1ull << 31)

struct mem_pool {
    pthread_mutex_t lock;
    uint64_t slot_bytes;
    uint32_t slots_per_chunk;
    uint8_t **chunks;
    uint32_t nchunks, chunks_cap;
    uint64_t next_fresh;         /* slots below this were handed out at least once */
    int32_t *free_slots;         /* LIFO stack of returned slots */
    uint64_t nfree, free_cap;
    uint64_t in_use;
};

struct mem_pool *exec_mempool_new(uint64_t slot_bytes)
{
    assert(slot_bytes > 0);
    struct mem_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    if (pthread_mutex_init(&pool->lock, NULL) != 0) {
        free(pool);
        return NULL;
    }
    pool->slot_bytes = slot_bytes;
    uint64_t per = MEMPOOL_CHUNK_TARGET / slot_bytes;
    pool->slots_per_chunk = per == 0 ? 1 : per > 65536 ? 65536 : (uint32_t)per;
    return pool;
}

void exec_mempool_free(struct mem_pool *pool)
{
    if (!pool)
        return;
    /* Memories still alive (the embedder leaked them) keep their chunks mapped. */
    for (uint32_t i = 0; pool->in_use == 0 && i < pool->nchunks; i++)
        munmap(pool->chunks[i], pool->slot_bytes * pool->slots_per_chunk);
    free(pool->chunks);
    free(pool->free_slots);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

uint64_t exec_mempool_slot_bytes(const struct mem_pool *pool)
{
    return pool->slot_bytes;
}

static uint8_t *mempool_slot_base(const struct mem_pool *pool, int32_t slot)
{
    uint32_t chunk = (uint32_t)slot / pool->slots_per_chunk;
    uint32_t index = (uint32_t)slot % pool->slots_per_chunk;
    assert(chunk < pool->nchunks);
    return pool->chunks[chunk] + (uint64_t)index * pool->slot_bytes;
}

/* Maps one more chunk. Called with the lock held. */
static bool mempool_add_chunk(struct mem_pool *pool)
{
    if ((uint64_t)(pool->nchunks + 1) * pool->slots_per_chunk > MEMPOOL_MAX_SLOTS)
        return false;
    if (pool->nchunks == pool->chunks_cap) {
        uint32_t cap = pool->chunks_cap ? pool->chunks_cap * 2 : 8;
        uint8_t **chunks = realloc(pool->chunks, cap * sizeof *chunks);
        if (!chunks)
            return false;
        pool->chunks = chunks;
        pool->chunks_cap = cap;
    }
    void *p = mmap(NULL, pool->slot_bytes * pool->slots_per_chunk, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return false;
    pool->chunks[pool->nchunks++] = p;
    return true;
}

uint8_t *exec_mempool_take(struct mem_pool *pool, int32_t *slot)
{
    pthread_mutex_lock(&pool->lock);
    int32_t s;
    if (pool->nfree > 0) {
        s = pool->free_slots[--pool->nfree];
    } else {
        if (pool->next_fresh == (uint64_t)pool->nchunks * pool->slots_per_chunk &&
            !mempool_add_chunk(pool)) {
            pthread_mutex_unlock(&pool->lock);
            return NULL;
        }
        s = (int32_t)pool->next_fresh++;
    }
    pool->in_use++;
    uint8_t *base = mempool_slot_base(pool, s);
    pthread_mutex_unlock(&pool->lock);
    *slot = s;
    return base;
}

void exec_mempool_give(struct mem_pool *pool, int32_t slot, uint8_t *base, uint64_t touched)
{
    assert(slot >= 0 && touched <= pool->slot_bytes);
    /* Outside the lock: this is the slow part, and the slot is still ours. If
     * madvise failed the pages would keep old contents, so such a slot is
     * leaked rather than reused (it cannot fail on a valid private mapping). */
    if (touched > 0 && madvise(base, touched, MADV_DONTNEED) != 0)
        return;
    pthread_mutex_lock(&pool->lock);
    assert(base == mempool_slot_base(pool, slot));
    if (pool->nfree == pool->free_cap) {
        uint64_t cap = pool->free_cap ? pool->free_cap * 2 : 64;
        int32_t *fs = realloc(pool->free_slots, cap * sizeof *fs);
        if (!fs) {
            /* Keep the slot out of circulation; its pages are already returned. */
            pool->in_use--;
            pthread_mutex_unlock(&pool->lock);
            return;
        }
        pool->free_slots = fs;
        pool->free_cap = cap;
    }
    pool->free_slots[pool->nfree++] = slot;
    pool->in_use--;
    pthread_mutex_unlock(&pool->lock);
}

void exec_mempool_stats(struct mem_pool *pool, mempool_stats *out)
{
    pthread_mutex_lock(&pool->lock);
    out->chunks = pool->nchunks;
    out->slots_per_chunk = pool->slots_per_chunk;
    out->slots_in_use = pool->in_use;
    out->slots_free = pool->nfree;
    out->slot_bytes = pool->slot_bytes;
    pthread_mutex_unlock(&pool->lock);
}

uint8_t *exec_mempool_reserve(uint64_t bytes)
{
    assert(bytes > 0);
    void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

bool exec_mempool_commit(uint8_t *base, uint64_t from, uint64_t to)
{
    assert(from <= to);
    if (from == to)
        return true;
    return mprotect(base + from, to - from, PROT_READ | PROT_WRITE) == 0;
}

void exec_mempool_release(uint8_t *base, uint64_t bytes)
{
    if (base)
        munmap(base, bytes);
}
