/*
 * mempool.h - reserved address space for linear memories.
 *
 * The pool hands out fixed-size slots carved from a few huge reservations
 * ("chunks"), so a million small memories cost a few hundred mappings rather
 * than a million. Memories whose maximum does not fit a slot get a private
 * reservation of their whole maximum instead (exec_mempool_reserve).
 * Memories that start at most 256 KiB take slots of small classes sized
 * to them (exec_mempool_take_fit: 256, 128 or 64 KiB), packed eight to 32
 * to a page-table page, and move out when they grow past (memory.c).
 * See mempool.c for the design and why there are no guard pages.
 */
#ifndef ISOLA_EXEC_MEMPOOL_H
#define ISOLA_EXEC_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mem_pool;

typedef struct mempool_stats {
    uint32_t chunks;             /* reservations made for slots (one mapping each) */
    uint32_t slots_per_chunk;
    uint64_t slots_in_use;
    uint64_t slots_free;         /* released and waiting for reuse */
    uint64_t warm_bytes;         /* resident bytes kept by free slots (bounded) */
    uint64_t slot_bytes;
} mempool_stats;

/* A pool of slots of `slot_bytes` each (a multiple of the OS page size). NULL when out of memory. */
struct mem_pool *exec_mempool_new(uint64_t slot_bytes);
/* A pool whose slots are NOT cleared between users (execution stacks, which
 * are written before they are read): take returns whatever the last user
 * left, give costs no system call, trim gives the pages back. */
struct mem_pool *exec_mempool_new_scratch(uint64_t slot_bytes);
/* Unmaps every chunk, unless slots are still in use (then the chunks stay mapped). */
void exec_mempool_free(struct mem_pool *pool);

uint64_t exec_mempool_slot_bytes(const struct mem_pool *pool);

/* Takes a slot, readable and writable and all zero (scratch pools: not
 * zero). Returns its base and id, or NULL. Thread-safe. */
uint8_t *exec_mempool_take(struct mem_pool *pool, int32_t *slot);
/* Takes a slot for a memory of at most `max_bytes` (<= the slot size): from
 * the smallest class it fits. *slot_bytes is the slot's size. */
uint8_t *exec_mempool_take_fit(struct mem_pool *pool, uint64_t max_bytes, int32_t *slot, uint64_t *slot_bytes);
/* Copies into `to` (a slot just taken: all zero) the pages of [from, from +
 * bytes) that hold anything: resident and not all zero. Pages never
 * touched stay untouched in `to` too. */
void exec_mempool_copy_touched(struct mem_pool *pool, uint8_t *to, const uint8_t *from, uint64_t bytes);
/* Returns slot `slot` (base `base`), of which the first `touched` bytes may be dirty. Thread-safe.
 * Its resident pages may stay mapped (cleared) for later takes, within a bound. Such a slot
 * is cleared together with others released about then: it is not taken again before that
 * (exec_mempool_flush forces it). */
void exec_mempool_give(struct mem_pool *pool, int32_t slot, uint8_t *base, uint64_t touched);
/* Clears the slots released since the last batch now (see "Batched
 * clears" in mempool.c), so the next takes can reuse them. Thread-safe. */
void exec_mempool_flush(struct mem_pool *pool);
/* Gives back the pages of released slots that wait to go back together
 * (see "cold" in mempool.c), in this pool and its small classes: for a
 * thread going idle, so that they wait only while releases keep coming.
 * Cheap when nothing waits. Thread-safe. */
void exec_mempool_give_back(struct mem_pool *pool);
/* Work for an idle thread: populates, in up to `max` fresh slots ahead of
 * the takes, the pages a recent take had resident, while takes find no
 * released slot and no trim runs (see "Prefaulting" in mempool.c).
 * Returns whether it did any. Thread-safe. */
bool exec_mempool_prefault(struct mem_pool *pool, unsigned max);
/* Gives every page that free slots keep resident back to the OS. Thread-safe. */
void exec_mempool_trim(struct mem_pool *pool);

void exec_mempool_stats(struct mem_pool *pool, mempool_stats *out);

/*
 * A thread's own small slots (see "Thread caches" in mempool.c): released
 * slots waiting to be cleared, and cleared ones ready to take, of the small
 * pools (one per class size), taken and given without the pools' locks.
 * The owner (a worker of the process layer) embeds it, binds it to its
 * thread and flushes it before it sleeps and before it stops; its slots
 * count as in use meanwhile.
 */
#define MEMPOOL_CACHE_SLOTS 16
#define MEMPOOL_CACHE_CLASSES 3   /* 256, 128 and 64 KiB slots */
#include "util/spinlock.h"
typedef struct mempool_cached_slot {
    uint8_t *base;
    int32_t slot;
    uint32_t bytes;              /* dirty: touched; ready: resident */
} mempool_cached_slot;
typedef struct mempool_class_cache {
    util_spinlock lock;          /* the owner's, but a trim may flush it from another thread */
    struct mem_pool *pool;       /* the pool its slots are from (NULL: empty, none yet) */
    uint32_t ndirty, nready;
    mempool_cached_slot dirty[MEMPOOL_CACHE_SLOTS];
    mempool_cached_slot ready[MEMPOOL_CACHE_SLOTS];
} mempool_class_cache;
typedef struct mempool_cache {
    mempool_class_cache classes[MEMPOOL_CACHE_CLASSES];
} mempool_cache;

void exec_mempool_cache_init(mempool_cache *cache);
/* Makes `cache` the calling thread's from now on (NULL: none). */
void exec_mempool_cache_bind(mempool_cache *cache);
/* Clears what is dirty and gives every slot back to its pool. Any thread:
 * a trim drains every worker's cache, so that the pool it trims has no
 * slot in use and can drop its free lists. */
void exec_mempool_cache_flush(mempool_cache *cache);
/* Slots in use in this pool and its small classes together: the memories
 * alive in pool slots (a slot being trimmed counts for that moment). */
uint64_t exec_mempool_in_use(struct mem_pool *pool);

/*
 * Private reservations, for memories too big for a slot: `reserve` maps
 * `bytes` of inaccessible address space, `commit` makes [from, to) of it
 * readable and writable (reading as zero), `release` unmaps it. Offsets are
 * multiples of the OS page size.
 */
uint8_t *exec_mempool_reserve(uint64_t bytes);
bool exec_mempool_commit(uint8_t *base, uint64_t from, uint64_t to);
void exec_mempool_release(uint8_t *base, uint64_t bytes);

#endif
