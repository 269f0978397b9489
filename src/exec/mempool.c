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
 *   slot must read as zeros again before reuse. Two ways, two free lists:
 *   - warm: the pages of its final size that are resident (one
 *     PAGEMAP_SCAN or read of /proc/self/pagemap, else mincore; pages
 *     mapped to the shared zero page need nothing) are cleared with memset and stay
 *     mapped; swapped-out pages are discarded. A first touch of a fresh page
 *     costs a page fault plus zeroing by the kernel (tens of microseconds
 *     on some VMs), so the next memory to take this slot starts with its
 *     pages already in place. Warm slots hold at most MEMPOOL_WARM_BYTES of
 *     resident pages in all; past that, and on exec_mempool_trim, slots go
 *   - cold: madvise(MADV_DONTNEED) hands the pages back, RSS drops, and
 *     the slot reads as zeros when it is next touched. Each madvise that
 *     unmaps pages flushes the TLB of every core running a thread of this
 *     process (an interrupt per core, tens of microseconds on a VM), so
 *     cold-bound slots wait on a fourth list, discarding, and go back
 *     MEMPOOL_DISCARD_BATCH at a time (or once they hold
 *     MEMPOOL_DISCARD_BYTES), sorted, adjacent slots in one call; a trim,
 *     exec_mempool_flush or an idle thread (exec_mempool_give_back)
 *     gives back what waits.
 *   Take prefers warm, then cold, then a never-used slot; warm slots
 *   lowest first (mempool_warm_push: the slots in use stay close
 *   together), cold ones LIFO.
 *
 * Batched clears
 *   A pagemap read is a system call of ~0.5 us whatever it returns, about a
 *   third of a spawn+exit when each release made one. So a slot bound for
 *   the warm list first waits on a third list, dirty, which take never
 *   looks at; the release that brings it to MEMPOOL_DIRTY_BATCH slots (or
 *   MEMPOOL_DIRTY_BYTES) clears the whole batch, sorted by address, with
 *   one read per run of nearby slots (sixteen small slots fit one). Dirty
 *   slots count toward the warm bound with all their touched bytes; a trim
 *   discards them; exec_mempool_flush clears them at once. The cost is a
 *   few more slots in circulation (fresh ones are taken meanwhile), each
 *   touched once. Where the kernel has it (6.7) the read is a PAGEMAP_SCAN
 *   ioctl instead (pagescan.c), which costs about half as much a page.
 *
 * Thread caches
 *   Every take and give of a slot took the pool's lock, and with two
 *   workers spawning and ending processes that lock's line moved between
 *   the cores for each (about 7% of skynet's time). A thread can bind a
 *   mempool_cache (one class cache per small class): a small pool's slots
 *   it releases wait in it, are cleared
 *   sixteen at a time (the same batched read), and the next takes on that
 *   thread get them back, still in its cache, without the lock; only what
 *   does not fit goes to the pool, and an empty cache refills a few slots
 *   under one lock. Cached slots count as in use; the owner flushes them
 *   back before it sleeps, so an idle process holds none. Of a batch, only
 *   the slots the cache or the pool's warm list can keep are cleared; the
 *   rest are discarded as they are (clearing pages only to hand them back
 *   was a tenth of a million waiters' end).
 *
 * Prefaulting
 *   A million processes alive at once each need a page no one has touched
 *   before, and the first touch (the instance's data segments, copied by
 *   whoever instantiates it) is a page fault of about 2.5 us on a VM: a
 *   third of such a spawn. While fresh slots are being taken, an idle thread (a worker with
 *   nothing to run) may call exec_mempool_prefault, which populates, in the
 *   next few fresh slots, the pages resident in a recent one (a few at
 *   most; one mincore every MEMPOOL_PREFAULT_RELEARN takes tells which):
 *   where that one's instance wrote its data segments, the next one will
 *   too. MADV_POPULATE_WRITE never changes a page's contents, so a slot
 *   taken meanwhile is safe, and the instantiation finds its pages in place. At
 *   most MEMPOOL_PREFAULT_AHEAD slots ahead, and never during a trim, which
 *   gives those pages back (bar the few a populate already under way may
 *   add: zeros). A smaller memory may take a slot populated past its size,
 *   so every give counts the populated extent as touched: those pages are
 *   cleared or given back with the rest.
 *
 * Scratch pools
 *   Execution contexts (exec.c) that outgrow their first small block take
 *   their stacks from a pool too, for the same reasons (many of them; only
 *   touched pages cost RAM), but they
 *   write every slot before reading it, so nothing is cleared: a released
 *   slot goes onto the warm list as it is, with no system call, and only a
 *   trim gives its pages back (the whole reservation at once when no slot
 *   is in use, which is when the process layer trims).
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
 * Locking: one spinlock (util/spinlock.h: held for a few list updates,
 *   and every spawn and end takes it) guards the chunk list and the free
 *   lists (warm, cold, dirty, discarding). It is held across the mmap of a new chunk too, which happens once
 *   per slots_per_chunk memories, and across an idle scratch pool's trim;
 *   clearing and madvise on release run outside it.
 */
#include "exec/mempool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "exec/pagescan.h"
#include "util/spinlock.h"

/* Target address space per chunk: big enough that chunks are few (1024 slots of
 * 16 MiB), small enough that an engine with a handful of memories does not
 * reserve an absurd range. */
#define MEMPOOL_CHUNK_TARGET (16ull << 30)
/* Small memories (an initial size of at most 256 KiB: most processes') come from
 * classes of smaller slots, so that 8, 16 or 32 of them share one 2 MiB
 * page-table page instead of each touching its own (a 16 MiB slot needs a
 * page table page of its own, 4 KiB of kernel memory and one more fault
 * per memory), and neighbours share page-walk caches. Each pool has the
 * next smaller class as its `small` pool, down to the last:
 * 16 MiB -> 256 KiB -> 128 KiB -> 64 KiB. With 256 KiB slots only, a
 * million one-page waiters kept 488 MB of page tables (VmPTE); 64 KiB
 * slots keep a quarter of that. */
#define MEMPOOL_SMALL_SLOT_BYTES (256ull << 10)
#define MEMPOOL_LEAST_SLOT_BYTES (64ull << 10)
/* Slot ids (non-negative int32): a pool with a small class numbers its
 * own slots below `small_bit`, and its small class's ids carry that bit,
 * their own ids below it; so the top pool's ids sit below 2^31, its small
 * class's below 2^30, and so on. */
#define MEMPOOL_ID_LIMIT (1ull << 31)
/* Resident bytes the warm list may keep: enough for thousands of small
 * memories in flight, small beside any process's baseline. */
#define MEMPOOL_WARM_BYTES (16ull << 20)
/* Memories touching more than this are returned cold: clearing costs more
 * than a fault would save. */
#define MEMPOOL_WARM_MAX_TOUCHED (1ull << 20)
/* Pages of that at most (pages are 4 KiB or larger). */
#define MEMPOOL_WARM_MAX_PAGES (MEMPOOL_WARM_MAX_TOUCHED / 4096)
/* Released slots waiting to be cleared together (see "Batched clears"):
 * at most this many, and at most this many bytes that may be dirty. */
#define MEMPOOL_DIRTY_BATCH 16
#define MEMPOOL_DIRTY_BYTES (2ull << 20)
/* Released slots whose pages go back together (see "cold" above): at
 * most this many, holding at most this many bytes that may be resident
 * (their memories' sizes: a 64 KiB memory usually has one or two pages).
 * Many: each madvise interrupts the other cores, and a million ending
 * waiters (64 KiB memories, one page touched) spent 2.3 s with 64 slots
 * and 8 MiB, 1.8 s with 512 and 8 MiB (128 slots a batch, in fact), 1.5 s
 * with 512 and 32 MiB. Since processes are instantiated by whichever
 * worker first runs them, the slots of processes that end one after
 * another are no longer neighbours as often, and a batch needs a wider
 * window to find runs: that end took 2.0 s with 512 and 32 MiB, 1.5-1.9 s
 * with 1,024 (64 MiB), 1.4-1.7 s with 2,048 (128 MiB), 1.4-1.6 s with
 * 4,096 (256 MiB). The byte bound is what may stay resident meanwhile
 * (it counts each memory's whole size), so it stays at 128 MiB; and what
 * waits is given back when a worker goes idle (exec_mempool_give_back),
 * so it waits only while releases keep coming. A batch is taken into an
 * array of its own (up to 96 KiB: not for the stack of any thread that
 * may release a memory). */
#define MEMPOOL_DISCARD_BATCH 4096
#define MEMPOOL_DISCARD_BYTES (128ull << 20)
/* Slots a trim gives back per madvise batch, from its warm list (lowest
 * first, so runs are long already): 12 KiB on the stack. */
#define MEMPOOL_TRIM_BATCH 512
/* Fresh slots an idle thread prepares ahead of the takes (see
 * "Prefaulting"), at most; pages it populates in each, at most (1 MiB of
 * RSS in all); pages of the model slot it looks at (a small slot's). */
#define MEMPOOL_PREFAULT_AHEAD 64u
#define MEMPOOL_PREFAULT_PAGES 4u
#define MEMPOOL_PREFAULT_SCAN 64u
/* Fresh takes after which the pages are learned again from a new model
 * (a mincore each time: a sixth of the prefaulting when made per call). */
#define MEMPOOL_PREFAULT_RELEARN 64u
/* Pagemap entries one read of a batch covers at most (8 bytes each, on the
 * stack): sixteen small slots. A read costs about as much as 150 entries,
 * so a read takes in the next slot only across a gap of fewer pages than
 * MEMPOOL_SCAN_GAP. */
#define MEMPOOL_SCAN_PAGES 1024
#define MEMPOOL_SCAN_GAP 128

/* A LIFO stack of free slots (the warm list: a min-heap, see
 * mempool_warm_push); `resident` is per entry for warm slots. */
typedef struct mempool_stack {
    int32_t *slots;
    uint32_t *resident;          /* resident bytes of each (warm list only) */
    uint64_t n, cap;
} mempool_stack;

struct mem_pool {
    util_spinlock lock;          /* the lists and counts; a new chunk's mmap too */
    uint64_t slot_bytes;
    uint32_t slots_per_chunk;
    uint8_t **chunks;
    uint32_t nchunks, chunks_cap;
    uint64_t next_fresh;         /* slots below this were handed out at least once */
    mempool_stack warm;          /* cleared, pages still resident */
    mempool_stack cold;          /* pages given back to the OS */
    mempool_stack dirty;         /* released, not cleared yet: never taken (resident = touched) */
    mempool_stack discarding;    /* released, pages not given back yet: never taken (resident = touched) */
    uint64_t discarding_bytes;   /* touched bytes of the discarding list */
    uint32_t discards_running;   /* batches taken off it whose pages are still going back */
    uint64_t dirty_bytes;        /* touched bytes of the dirty list */
    uint64_t warm_bytes;         /* resident bytes on the warm list, plus dirty_bytes */
    uint64_t in_use;
    size_t page;                 /* the OS page size */
    bool scratch;                /* slots are not cleared between users (see above) */
    atomic_int pagemap_fd;       /* /proc/self/pagemap or -1 (not for scratch pools) */
    atomic_int pagemap_pid;      /* the process it was opened in; 0: not opened */
    struct mem_pool *small;      /* the next smaller class; NULL if slots are the least already */
    uint32_t small_bit;          /* carried by the small class's slot ids (0: no small class) */
    uint64_t id_limit;           /* this pool's own slot ids are below it */
    int cache_class;             /* its entry in a thread's mempool_cache, or -1: none */
    uint64_t prefault_end;       /* fresh slots in [next_fresh, this) have been populated */
    uint32_t prefault_pages[MEMPOOL_PREFAULT_PAGES];   /* which: those resident in a model slot */
    uint32_t prefault_npages;
    uint64_t prefault_learned;   /* next_fresh when they were learned; 0: not yet */
    uint32_t trimming;           /* trims under way: no prefaulting meanwhile */
    /* Bytes from a slot's base that prefaulting may have populated: every
     * give counts at least these as touched, so a smaller memory's slot
     * still has them cleared or given back. Only grows. */
    atomic_uint_fast64_t prefault_extent;
    atomic_bool prefault_off;    /* the kernel lacks MADV_POPULATE_WRITE */
    /* Read without the lock, so an idle thread asks the lock only once per
     * fresh take: next_fresh as last stored, and its value when a prefault
     * last found nothing to do. */
    atomic_uint_fast64_t fresh_hint, prefault_idle_at;
};

/* Opens /proc/self/pagemap above the standard descriptors: a host that
 * runs with stdin closed must not find its fd 0 reading page tables. */
static int mempool_open_pagemap(void)
{
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && fd <= 2) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        fd = high;
    }
    return fd;
}

/* Opens the pool's pagemap descriptor for process `pid` (-1 if that fails:
 * then mincore answers), closing one inherited from a parent. */
static void mempool_pagemap_open(struct mem_pool *pool, pid_t pid)
{
    int old = atomic_exchange(&pool->pagemap_fd, mempool_open_pagemap());
    if (old >= 0)
        close(old);
    atomic_store(&pool->pagemap_pid, pid);
}

/*
 * A word in a page that the kernel empties in every child (MADV_WIPEONFORK,
 * Linux 4.14): it holds the pid of the process that last checked its
 * pagemap descriptors, and reads 0 in a new child made by fork, _Fork or
 * clone (anything that copies the address space). NULL where the kernel
 * refuses the advice: then every check asks getpid.
 */
static _Atomic pid_t *mempool_fork_word;
static pthread_once_t mempool_fork_once = PTHREAD_ONCE_INIT;

static void mempool_fork_word_init(void)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t bytes = page > 0 ? (size_t)page : 4096;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    if (madvise(p, bytes, MADV_WIPEONFORK) != 0) {
        munmap(p, bytes);
        return;
    }
    mempool_fork_word = p;
    atomic_init(mempool_fork_word, 0);
}

/*
 * The pool's pagemap descriptor for this process. /proc/self is resolved
 * when it is opened, so in a child made by fork (or _Fork, or clone: no
 * atfork handler is relied on) the inherited descriptor reads the parent's
 * page tables, where pages only the child wrote look untouched and would
 * not be cleared. Comparing the pid catches every way of getting there;
 * the child opens its own, under the pool lock. getpid is a system call
 * (about 120 ns here, 7% of a spawn+exit), so it is asked only when the
 * fork word does not hold the pool's pid: the word is wiped in every new
 * address space, and a pool's pid can equal it only in the process that
 * stored both.
 * The descriptor belongs to the library: a host that closes descriptors it
 * does not own (closefrom) breaks this as it breaks WASI's directories.
 */
static int mempool_pagemap(struct mem_pool *pool)
{
    _Atomic pid_t *word = mempool_fork_word;
    pid_t known = atomic_load_explicit(&pool->pagemap_pid, memory_order_acquire);
    if (word && known != 0 && atomic_load_explicit(word, memory_order_relaxed) == known)
        return atomic_load(&pool->pagemap_fd);
    pid_t pid = getpid();
    if (pid != known) {
        util_spin_lock(&pool->lock);
        if (pid != atomic_load(&pool->pagemap_pid))
            mempool_pagemap_open(pool, pid);
        util_spin_unlock(&pool->lock);
    }
    if (word)
        atomic_store_explicit(word, pid, memory_order_relaxed);
    return atomic_load(&pool->pagemap_fd);
}

/* The class of small slots below `slot_bytes`, or 0 when there is none. */
static uint64_t mempool_small_class(uint64_t slot_bytes, size_t page)
{
    uint64_t small = MEMPOOL_SMALL_SLOT_BYTES;
    while (small >= slot_bytes)
        small /= 2;
    return small >= MEMPOOL_LEAST_SLOT_BYTES && small % page == 0 ? small : 0;
}

/* Which of a thread's class caches serves slots of this size: the small
 * class sizes only, largest first. */
static int mempool_cache_class(uint64_t slot_bytes)
{
    int c = 0;
    for (uint64_t size = MEMPOOL_SMALL_SLOT_BYTES; c < MEMPOOL_CACHE_CLASSES; size /= 2, c++)
        if (slot_bytes == size)
            return c;
    return -1;
}
_Static_assert(MEMPOOL_SMALL_SLOT_BYTES >> (MEMPOOL_CACHE_CLASSES - 1) == MEMPOOL_LEAST_SLOT_BYTES,
               "one thread cache per small class");

/* A pool whose slot ids are below `id_limit`; `clears` says whether
 * released slots are cleared (not scratch). */
static struct mem_pool *mempool_create(uint64_t slot_bytes, bool clears, uint64_t id_limit)
{
    assert(slot_bytes > 0);
    struct mem_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    util_spin_init(&pool->lock);
    pool->slot_bytes = slot_bytes;
    atomic_init(&pool->pagemap_fd, -1);
    atomic_init(&pool->pagemap_pid, 0);
    atomic_init(&pool->prefault_off, false);
    atomic_init(&pool->fresh_hint, 0);
    atomic_init(&pool->prefault_idle_at, 0);
    pool->scratch = !clears;
    if (clears) {
        pthread_once(&mempool_fork_once, mempool_fork_word_init);
        mempool_pagemap_open(pool, getpid());
    }
    long page = sysconf(_SC_PAGESIZE);
    pool->page = page > 0 ? (size_t)page : 4096;
    uint64_t per = MEMPOOL_CHUNK_TARGET / slot_bytes;
    pool->slots_per_chunk = per == 0 ? 1 : per > 65536 ? 65536 : (uint32_t)per;
    pool->id_limit = id_limit;
    pool->cache_class = clears ? mempool_cache_class(slot_bytes) : -1;
    uint64_t small = mempool_small_class(slot_bytes, pool->page);
    if (small && clears) {
        pool->small_bit = (uint32_t)(id_limit / 2);
        pool->id_limit = pool->small_bit;
        if (!(pool->small = mempool_create(small, clears, pool->small_bit))) {
            exec_mempool_free(pool);
            return NULL;
        }
    }
    return pool;
}

void exec_mempool_free(struct mem_pool *pool)
{
    if (!pool)
        return;
    exec_mempool_free(pool->small);
    /* Memories still alive (the embedder leaked them) keep their chunks mapped. */
    for (uint32_t i = 0; pool->in_use == 0 && i < pool->nchunks; i++)
        munmap(pool->chunks[i], pool->slot_bytes * pool->slots_per_chunk);
    free(pool->chunks);
    free(pool->warm.slots);
    free(pool->warm.resident);
    free(pool->cold.slots);
    free(pool->dirty.slots);
    free(pool->dirty.resident);
    free(pool->discarding.slots);
    free(pool->discarding.resident);
    int fd = atomic_load(&pool->pagemap_fd);
    if (fd >= 0)
        close(fd);
    free(pool);
}

struct mem_pool *exec_mempool_new(uint64_t slot_bytes)
{
    return mempool_create(slot_bytes, true, MEMPOOL_ID_LIMIT);
}

struct mem_pool *exec_mempool_new_scratch(uint64_t slot_bytes)
{
    return mempool_create(slot_bytes, false, MEMPOOL_ID_LIMIT);   /* no small classes */
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
    if ((uint64_t)(pool->nchunks + 1) * pool->slots_per_chunk > pool->id_limit)
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
#ifdef MADV_NOHUGEPAGE
    /* Where transparent huge pages are on for everything, a slot's first
     * touch would fault in 2 MiB: eight small slots' worth of RSS. */
    (void)madvise(p, pool->slot_bytes * pool->slots_per_chunk, MADV_NOHUGEPAGE);
#endif
    pool->chunks[pool->nchunks++] = p;
    return true;
}

static bool mempool_stack_push(mempool_stack *st, int32_t slot, uint32_t resident, bool with_resident)
{
    if (st->n == st->cap) {
        uint64_t cap = st->cap ? st->cap * 2 : 64;
        int32_t *slots = realloc(st->slots, cap * sizeof *slots);
        if (slots)
            st->slots = slots;
        uint32_t *res = slots && with_resident ? realloc(st->resident, cap * sizeof *res) : NULL;
        if (res)
            st->resident = res;
        if (!slots || (with_resident && !res))
            return false;
        st->cap = cap;
    }
    st->slots[st->n] = slot;
    if (with_resident)
        st->resident[st->n] = resident;
    st->n++;
    return true;
}

/*
 * The warm list is a min-heap by slot number, not a stack: takes reuse the
 * lowest free slots, so the slots in circulation stay few and close
 * together (neighbours share page tables and TLB reach), and a batch of
 * released slots is scanned in one call per run of neighbours: with LIFO
 * order a skynet run's batches of sixteen were spread over a few hundred
 * slots and took about six calls each. Removing the last entry (trim)
 * keeps the heap. Lock held.
 */
static bool mempool_warm_push(mempool_stack *st, int32_t slot, uint32_t resident)
{
    if (!mempool_stack_push(st, slot, resident, true))
        return false;
    uint64_t i = st->n - 1;
    while (i > 0 && st->slots[(i - 1) / 2] > slot) {
        uint64_t up = (i - 1) / 2;
        st->slots[i] = st->slots[up];
        st->resident[i] = st->resident[up];
        i = up;
    }
    st->slots[i] = slot;
    st->resident[i] = resident;
    return true;
}

/* Takes the lowest warm slot (the list is not empty); *resident gets the
 * bytes it keeps. Lock held. */
static int32_t mempool_warm_pop(mempool_stack *st, uint32_t *resident)
{
    assert(st->n > 0);
    int32_t top = st->slots[0];
    *resident = st->resident[0];
    uint64_t n = --st->n;
    if (n == 0)
        return top;
    int32_t last = st->slots[n];
    uint32_t last_resident = st->resident[n];
    uint64_t i = 0;
    for (uint64_t c; (c = 2 * i + 1) < n; i = c) {
        if (c + 1 < n && st->slots[c + 1] < st->slots[c])
            c++;
        if (st->slots[c] >= last)
            break;
        st->slots[i] = st->slots[c];
        st->resident[i] = st->resident[c];
    }
    st->slots[i] = last;
    st->resident[i] = last_resident;
    return top;
}

static _Thread_local mempool_cache *mempool_tls_cache;

/* The calling thread's cache for `pool`'s class, locked, when it may hold
 * `pool`'s slots: a small class pool (one cache serves one pool of its
 * class; the first it meets). The lock is the owner's but for a trim's
 * drain: uncontended, on a line no other core writes. Lock order: a
 * cache, then its pool. */
static mempool_class_cache *mempool_cache_lock_for(struct mem_pool *pool)
{
    if (!mempool_tls_cache || pool->cache_class < 0)
        return NULL;
    mempool_class_cache *c = &mempool_tls_cache->classes[pool->cache_class];
    util_spin_lock(&c->lock);
    if (!c->pool)
        c->pool = pool;
    if (c->pool == pool)
        return c;
    util_spin_unlock(&c->lock);
    return NULL;
}

/* Slots a cache takes from its pool at once when it runs dry. */
#define MEMPOOL_CACHE_REFILL 8

/* Moves up to MEMPOOL_CACHE_REFILL warm slots into `c`. Lock held. */
static void mempool_cache_refill(struct mem_pool *pool, mempool_class_cache *c)
{
    while (c->nready < MEMPOOL_CACHE_REFILL && pool->warm.n > 0) {
        uint32_t resident;
        int32_t s = mempool_warm_pop(&pool->warm, &resident);
        pool->warm_bytes -= resident;
        pool->in_use++;
        c->ready[c->nready++] = (mempool_cached_slot){mempool_slot_base(pool, s), s, resident};
    }
}

/* Takes a slot from the lists (warm, cold, then a fresh one); false when
 * no chunk can be mapped. Lock held. */
static bool mempool_take_locked(struct mem_pool *pool, int32_t *slot)
{
    if (pool->warm.n > 0) {
        uint32_t resident;
        *slot = mempool_warm_pop(&pool->warm, &resident);
        pool->warm_bytes -= resident;
    } else if (pool->cold.n > 0) {
        *slot = pool->cold.slots[--pool->cold.n];
    } else {
        if (pool->next_fresh == (uint64_t)pool->nchunks * pool->slots_per_chunk && !mempool_add_chunk(pool))
            return false;
        *slot = (int32_t)pool->next_fresh++;
        atomic_store_explicit(&pool->fresh_hint, pool->next_fresh, memory_order_relaxed);
    }
    pool->in_use++;
    return true;
}

uint8_t *exec_mempool_take(struct mem_pool *pool, int32_t *slot)
{
    mempool_class_cache *c = mempool_cache_lock_for(pool);
    int32_t s = -1;
    uint8_t *base = NULL;
    if (!c || c->nready == 0) {
        /* One hold of the pool's lock: a refill of the cache, or else (no
         * warm slot to refill with, or no cache) one slot as usual. */
        util_spin_lock(&pool->lock);
        if (c)
            mempool_cache_refill(pool, c);
        if ((!c || c->nready == 0) && mempool_take_locked(pool, &s))
            base = mempool_slot_base(pool, s);
        util_spin_unlock(&pool->lock);
    }
    if (c && c->nready > 0) {
        mempool_cached_slot taken = c->ready[--c->nready];
        s = taken.slot;
        base = taken.base;
    }
    if (c)
        util_spin_unlock(&c->lock);
    if (base)
        *slot = s;
    return base;
}

/* Whether a page holds nothing but zeros. */
static bool mempool_page_zero(const uint8_t *page, size_t bytes)
{
    const uint64_t *w = (const uint64_t *)(const void *)page;
    for (size_t i = 0; i < bytes / sizeof *w; i++)
        if (w[i])
            return false;
    return true;
}

static bool mempool_page_states(struct mem_pool *pool, uint8_t *base, size_t npages, uint8_t *state);

void exec_mempool_copy_touched(struct mem_pool *pool, uint8_t *to, const uint8_t *from, uint64_t bytes)
{
    size_t page = pool->page;
    assert((uintptr_t)from % page == 0);
    uint64_t pages = (bytes + page - 1) / page;
    uint8_t state[MEMPOOL_WARM_MAX_PAGES];
    for (uint64_t first = 0; first < pages; first += MEMPOOL_WARM_MAX_PAGES) {
        size_t n = (size_t)(pages - first < MEMPOOL_WARM_MAX_PAGES ? pages - first : MEMPOOL_WARM_MAX_PAGES);
        uint8_t *src0 = (uint8_t *)from + first * page;
        /* Present or swapped out (pagemap / PAGEMAP_SCAN; mincore plus a
         * swap check without them): a swapped-out page holds data that
         * mincore calls "not resident". Without an answer, every page. */
        if (!mempool_page_states(pool, src0, n, state))
            memset(state, PAGE_ELSEWHERE, n);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *src = src0 + i * page;
            uint64_t at = (first + i) * page, len = bytes - at < page ? bytes - at : page;
            if (state[i] != PAGE_ZERO && !mempool_page_zero(src, (size_t)len))
                memcpy(to + at, src, (size_t)len);
        }
    }
}

/* Gives the pages of [base, base + bytes) back to the OS; false if it failed. */
static bool mempool_discard(uint8_t *base, uint64_t bytes)
{
    return bytes == 0 || madvise(base, bytes, MADV_DONTNEED) == 0;
}

/* What a page of a released slot needs before the slot is reused. */

/* Whether a page that is not resident may hold data: only if it was
 * swapped out, so only while a swap device exists. Asked after mincore, so
 * "no swap" now means none then either (short of a swapon, swap-out and
 * swapoff inside one call). */
static bool mempool_swap_possible(void)
{
    struct sysinfo si;
    return sysinfo(&si) != 0 || si.totalswap != 0;
}

/* state[i] for pagemap entries[i], i < npages. */
static void mempool_states_from_pagemap(const uint64_t *entries, size_t npages, uint8_t *state)
{
    enum { PRESENT = 63, SWAPPED = 62 };
    for (size_t i = 0; i < npages; i++)
        state[i] = entries[i] >> PRESENT & 1   ? PAGE_RESIDENT
                   : entries[i] >> SWAPPED & 1 ? PAGE_ELSEWHERE
                                               : PAGE_ZERO;
}

/* Fills state[0..npages) for the pages from page number `first` through
 * the pagemap descriptor: one scan where the kernel has PAGEMAP_SCAN
 * (pagescan.c: half the cost, and it knows the zero page), else one read
 * of the entries (present, or swapped / migrating). False if neither
 * answered. npages is at most MEMPOOL_SCAN_PAGES. */
static bool mempool_read_states(struct mem_pool *pool, int fd, uint64_t first, size_t npages, uint8_t *state)
{
    assert(npages <= MEMPOOL_SCAN_PAGES);
    if (fd < 0)
        return false;
    if (exec_pagescan(fd, (uintptr_t)(first * pool->page), npages, pool->page, state))
        return true;
    uint64_t entries[MEMPOOL_SCAN_PAGES];
    size_t want = npages * sizeof entries[0];
    if (pread(fd, entries, want, (off_t)(first * sizeof entries[0])) != (ssize_t)want)
        return false;
    mempool_states_from_pagemap(entries, npages, state);
    return true;
}

/* Fills state[0..npages) for the pages at base: from the pagemap
 * descriptor; without it, mincore plus a swap check costs two system
 * calls. False if neither could be asked. npages is at most
 * MEMPOOL_WARM_MAX_PAGES. */
static bool mempool_page_states(struct mem_pool *pool, uint8_t *base, size_t npages, uint8_t *state)
{
    assert(npages <= MEMPOOL_WARM_MAX_PAGES);
    if (mempool_read_states(pool, mempool_pagemap(pool), (uintptr_t)base / pool->page, npages, state))
        return true;
    unsigned char vec[MEMPOOL_WARM_MAX_PAGES];
    if (mincore(base, npages * pool->page, vec) != 0)
        return false;
    uint8_t absent = mempool_swap_possible() ? PAGE_ELSEWHERE : PAGE_ZERO;
    for (size_t i = 0; i < npages; i++)
        state[i] = vec[i] & 1 ? PAGE_RESIDENT : absent;
    return true;
}

/* Makes the npages at base read as zeros, given their states, keeping the
 * resident ones: those are cleared with memset; pages that may hold data
 * elsewhere (swap) are discarded; the rest read as zeros already. Returns
 * the resident bytes kept, or UINT64_MAX when a discard failed. */
static uint64_t mempool_apply_states(struct mem_pool *pool, uint8_t *base, size_t npages, const uint8_t *state)
{
    uint64_t resident = 0;
    size_t run = 0;   /* start of the current run of pages to discard */
    for (size_t i = 0; i <= npages; i++) {
        if (i < npages && state[i] == PAGE_ELSEWHERE)
            continue;
        if (run < i && !mempool_discard(base + run * pool->page, (i - run) * pool->page))
            return UINT64_MAX;
        if (i < npages && state[i] == PAGE_RESIDENT) {
            memset(base + i * pool->page, 0, pool->page);
            resident += pool->page;
        }
        run = i + 1;
    }
    return resident;
}

/* Makes [base, base + bytes) read as zeros while keeping its resident pages
 * (mempool_apply_states). Returns the resident bytes kept, or UINT64_MAX
 * when that failed (then discard). */
static uint64_t mempool_clear_resident(struct mem_pool *pool, uint8_t *base, uint64_t bytes)
{
    size_t npages = (size_t)((bytes + pool->page - 1) / pool->page);
    uint8_t state[MEMPOOL_WARM_MAX_PAGES];
    if (npages > MEMPOOL_WARM_MAX_PAGES || !mempool_page_states(pool, base, npages, state))
        return UINT64_MAX;
    return mempool_apply_states(pool, base, npages, state);
}

/* ------------------------------------------------------------ batched clears */

/* One released slot of a batch: where it is, what may be dirty, and (after
 * the clear) the resident bytes it keeps or UINT64_MAX. */
typedef struct mempool_dirty_slot {
    uint8_t *base;
    int32_t slot;
    uint32_t touched;
    uint64_t resident;
} mempool_dirty_slot;

/* Moves a whole waiting list (dirty or discarding: resident = touched)
 * into batch[] (at most `max` entries) and zeroes its byte count; the
 * slots count as in use until the batch is settled. Lock held. */
static size_t mempool_take_list(struct mem_pool *pool, mempool_stack *list, uint64_t *bytes,
                                mempool_dirty_slot *batch, size_t max)
{
    size_t n = (size_t)list->n;
    assert(n <= max);
    (void)max;
    for (size_t i = 0; i < n; i++)
        batch[i] = (mempool_dirty_slot){.base = mempool_slot_base(pool, list->slots[i]),
                                        .slot = list->slots[i],
                                        .touched = list->resident[i],
                                        .resident = UINT64_MAX};
    list->n = 0;
    *bytes = 0;
    pool->in_use += n;
    return n;
}

/* The dirty list into batch[]: its touched bytes stay reserved in
 * warm_bytes until mempool_settle_batch. Lock held. */
static size_t mempool_take_dirty(struct mem_pool *pool, mempool_dirty_slot *batch)
{
    return mempool_take_list(pool, &pool->dirty, &pool->dirty_bytes, batch, MEMPOOL_DIRTY_BATCH);
}

static uint64_t mempool_page_count(const struct mem_pool *pool, uint64_t bytes)
{
    return (bytes + pool->page - 1) / pool->page;
}

/* Whether one pagemap read starting at page `first` and covering `prev`
 * should also cover `next`, the slot after it by address. */
static bool mempool_joins_read(const struct mem_pool *pool, uint64_t first, const mempool_dirty_slot *prev,
                               const mempool_dirty_slot *next)
{
    uint64_t prev_end = (uintptr_t)prev->base / pool->page + mempool_page_count(pool, prev->touched);
    uint64_t next_at = (uintptr_t)next->base / pool->page;
    return next_at - prev_end < MEMPOOL_SCAN_GAP &&
           next_at + mempool_page_count(pool, next->touched) - first <= MEMPOOL_SCAN_PAGES;
}

/* Clears every slot of the batch: slots close together share one pagemap
 * read (one system call for up to sixteen small slots instead of one
 * each); a slot whose read fails is cleared on its own, which falls back
 * to mincore. */
static void mempool_clear_batch(struct mem_pool *pool, mempool_dirty_slot *batch, size_t n)
{
    if (n == 0)
        return;
    for (size_t i = 1; i < n; i++)   /* by address, so neighbours share a read */
        for (size_t j = i; j > 0 && (uintptr_t)batch[j - 1].base > (uintptr_t)batch[j].base; j--) {
            mempool_dirty_slot t = batch[j];
            batch[j] = batch[j - 1];
            batch[j - 1] = t;
        }
    int fd = mempool_pagemap(pool);
    uint8_t state[MEMPOOL_SCAN_PAGES];
    for (size_t i = 0; i < n;) {
        uint64_t first = (uintptr_t)batch[i].base / pool->page;
        size_t j = i + 1;
        while (j < n && mempool_joins_read(pool, first, &batch[j - 1], &batch[j]))
            j++;
        uint64_t span = (uintptr_t)batch[j - 1].base / pool->page +
                        mempool_page_count(pool, batch[j - 1].touched) - first;
        assert(span <= MEMPOOL_SCAN_PAGES);   /* one slot's touched pages always fit */
        bool read = mempool_read_states(pool, fd, first, (size_t)span, state);
        for (size_t k = i; k < j; k++) {
            size_t npages = (size_t)mempool_page_count(pool, batch[k].touched);
            if (!read) {
                batch[k].resident = mempool_clear_resident(pool, batch[k].base, batch[k].touched);
                continue;
            }
            uint8_t *own = state + ((uintptr_t)batch[k].base / pool->page - first);
            batch[k].resident = mempool_apply_states(pool, batch[k].base, npages, own);
        }
        i = j;
    }
}

/* A settle takes batches of either kind. */
_Static_assert(MEMPOOL_CACHE_SLOTS <= MEMPOOL_DIRTY_BATCH, "a cache's batch must fit a settle");

static mempool_dirty_slot *mempool_take_discarding(struct mem_pool *pool, size_t *n);
static bool mempool_discard_due(const struct mem_pool *pool);
static void mempool_discard_batch(struct mem_pool *pool, mempool_dirty_slot *batch, size_t n);
static void mempool_discard_taken(struct mem_pool *pool, mempool_dirty_slot *batch, size_t n);

/* Puts a cleared batch on the warm list (its reservation in warm_bytes
 * becomes what each slot keeps). A slot whose clear failed, or (from a
 * thread cache, whose slots were not counted toward the warm bound) one
 * that no longer fits under it, waits on the discarding list with the
 * rest that go cold: one madvise per batch, not one per slot, since each
 * interrupts every core running a thread of ours (a million ending
 * waiters spent 80% of their time there); if even the list fails, alone. */
static void mempool_settle_batch(struct mem_pool *pool, mempool_dirty_slot *batch, size_t n, bool reserved)
{
    if (n == 0)
        return;
    bool alone[MEMPOOL_DIRTY_BATCH] = {false};
    mempool_dirty_slot *discard = NULL;
    size_t ndiscard = 0;
    util_spin_lock(&pool->lock);
    for (size_t i = 0; i < n; i++) {
        if (reserved)
            pool->warm_bytes -= batch[i].touched;
        pool->in_use--;
        bool fits = reserved || pool->warm_bytes + batch[i].resident <= MEMPOOL_WARM_BYTES;
        if (batch[i].resident != UINT64_MAX && fits &&
            mempool_warm_push(&pool->warm, batch[i].slot, (uint32_t)batch[i].resident)) {
            pool->warm_bytes += batch[i].resident;
        } else if (mempool_stack_push(&pool->discarding, batch[i].slot, batch[i].touched, true)) {
            pool->discarding_bytes += batch[i].touched;
            if (!discard && mempool_discard_due(pool))
                discard = mempool_take_discarding(pool, &ndiscard);
        } else {
            alone[i] = true;
        }
    }
    util_spin_unlock(&pool->lock);
    mempool_discard_taken(pool, discard, ndiscard);
    for (size_t i = 0; i < n; i++) {
        if (!alone[i] || !mempool_discard(batch[i].base, batch[i].touched))
            continue;   /* warm, or leaked: a failed madvise would leave old contents */
        util_spin_lock(&pool->lock);
        (void)mempool_stack_push(&pool->cold, batch[i].slot, 0, false);
        util_spin_unlock(&pool->lock);
    }
}

/* Whether the discarding list has filled a batch. Lock held. */
static bool mempool_discard_due(const struct mem_pool *pool)
{
    return pool->discarding.n >= MEMPOOL_DISCARD_BATCH || pool->discarding_bytes >= MEMPOOL_DISCARD_BYTES;
}

/* The discarding list, into an array of its own for mempool_discard_taken
 * (*n entries). Lock held. NULL (and *n = 0) when there is nothing, or no
 * memory for the array: then the list stays, and the next release, a
 * flush or a trim tries again. */
static mempool_dirty_slot *mempool_take_discarding(struct mem_pool *pool, size_t *n)
{
    *n = 0;
    if (pool->discarding.n == 0)
        return NULL;
    mempool_dirty_slot *batch = malloc((size_t)pool->discarding.n * sizeof *batch);
    if (batch) {
        *n = mempool_take_list(pool, &pool->discarding, &pool->discarding_bytes, batch, pool->discarding.n);
        pool->discards_running++;
    }
    return batch;
}

static int mempool_by_base(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const mempool_dirty_slot *)a)->base;
    uintptr_t y = (uintptr_t)((const mempool_dirty_slot *)b)->base;
    return x < y ? -1 : x > y;
}

/* Gives back the pages of a taken batch, one madvise per run of adjacent
 * slots (a run's range also covers the untouched tails of all but its
 * last slot, which are free too), and puts the slots on the cold list. A
 * run whose madvise fails stays out of circulation: it could keep old
 * contents. */
static void mempool_discard_batch(struct mem_pool *pool, mempool_dirty_slot *batch, size_t n)
{
    if (n == 0)
        return;
    qsort(batch, n, sizeof batch[0], mempool_by_base);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && batch[j].base == batch[j - 1].base + pool->slot_bytes)
            j++;
        uint64_t bytes = (uint64_t)(batch[j - 1].base - batch[i].base) + batch[j - 1].touched;
        if (!mempool_discard(batch[i].base, bytes))
            for (size_t k = i; k < j; k++)
                batch[k].slot = -1;   /* kept out of circulation */
        i = j;
    }
    util_spin_lock(&pool->lock);
    for (size_t i = 0; i < n; i++) {
        pool->in_use--;
        if (batch[i].slot >= 0)
            (void)mempool_stack_push(&pool->cold, batch[i].slot, 0, false);
    }
    util_spin_unlock(&pool->lock);
}

/* mempool_discard_batch over a batch of mempool_take_discarding, then its array goes. */
static void mempool_discard_taken(struct mem_pool *pool, mempool_dirty_slot *batch, size_t n)
{
    if (!batch)
        return;
    mempool_discard_batch(pool, batch, n);
    free(batch);
    util_spin_lock(&pool->lock);
    pool->discards_running--;
    util_spin_unlock(&pool->lock);
}

/* Waits until the discard batches other threads took have given their
 * pages back. A trim needs it: an idle worker's give-back is tied to no
 * process end, so the trim after the last end could otherwise return
 * (and the host see the VM empty) with those pages still resident and
 * their slots in use. Short: one batch's madvise calls. */
static void mempool_wait_discards(struct mem_pool *pool)
{
    for (;;) {
        util_spin_lock(&pool->lock);
        bool running = pool->discards_running != 0;
        util_spin_unlock(&pool->lock);
        if (!running)
            return;
        sched_yield();
    }
}

/* Gives back whatever waits on the discarding list now. */
static void mempool_flush_discarding(struct mem_pool *pool)
{
    size_t n;
    util_spin_lock(&pool->lock);
    mempool_dirty_slot *batch = mempool_take_discarding(pool, &n);
    util_spin_unlock(&pool->lock);
    mempool_discard_taken(pool, batch, n);
}

void exec_mempool_give_back(struct mem_pool *pool)
{
    if (!pool)
        return;
    exec_mempool_give_back(pool->small);
    mempool_flush_discarding(pool);   /* one lock and nothing more when nothing waits */
}

void exec_mempool_flush(struct mem_pool *pool)
{
    if (pool->small)
        exec_mempool_flush(pool->small);
    mempool_dirty_slot batch[MEMPOOL_DIRTY_BATCH];
    util_spin_lock(&pool->lock);
    size_t n = mempool_take_dirty(pool, batch);
    util_spin_unlock(&pool->lock);
    mempool_clear_batch(pool, batch, n);
    mempool_settle_batch(pool, batch, n, true);
    mempool_flush_discarding(pool);
}

uint8_t *exec_mempool_take_fit(struct mem_pool *pool, uint64_t max_bytes, int32_t *slot, uint64_t *slot_bytes)
{
    assert(max_bytes <= pool->slot_bytes);
    if (pool->small && max_bytes <= pool->small->slot_bytes) {
        uint8_t *base = exec_mempool_take_fit(pool->small, max_bytes, slot, slot_bytes);
        if (base) {
            *slot |= (int32_t)pool->small_bit;
            return base;
        }
    }
    *slot_bytes = pool->slot_bytes;
    return exec_mempool_take(pool, slot);
}

/* A scratch slot goes back as it is: warm, its pages unknown and uncounted. */
static void mempool_give_scratch(struct mem_pool *pool, int32_t slot, uint8_t *base)
{
    util_spin_lock(&pool->lock);
    assert(base == mempool_slot_base(pool, slot));
    (void)base;
    if (mempool_warm_push(&pool->warm, slot, 0))
        pool->in_use--;
    /* else: no memory for the list, the slot stays out of circulation. */
    util_spin_unlock(&pool->lock);
}

/* How many of a cache's n dirty slots are worth clearing: those its ready
 * list keeps, then those whose touched bytes (what they can keep at most)
 * fit under the pool's warm bound now. The rest would be cleared only to be
 * discarded, a memset per page and a pagemap read thrown away (a million
 * ending waiters spent a tenth of their time there), so they go cold as
 * they are. A pool that fills meanwhile sends a cleared slot cold too. */
static size_t mempool_cache_clear_count(const mempool_class_cache *c, size_t n, bool all)
{
    size_t keep = all ? 0 : MEMPOOL_CACHE_SLOTS - c->nready;
    if (keep >= n)
        return n;
    struct mem_pool *pool = c->pool;
    util_spin_lock(&pool->lock);
    uint64_t room = MEMPOOL_WARM_BYTES > pool->warm_bytes ? MEMPOOL_WARM_BYTES - pool->warm_bytes : 0;
    util_spin_unlock(&pool->lock);
    size_t k = keep;
    for (uint64_t need = 0; k < n && need + c->dirty[k].bytes <= room; k++)
        need += c->dirty[k].bytes;
    return k;
}

/* Clears the cache's dirty slots worth it (one batched read); keeps what
 * fits among its ready slots, and with `all` or no room gives the rest to
 * the pool. */
static void mempool_cache_clear(mempool_class_cache *c, bool all)
{
    struct mem_pool *pool = c->pool;
    mempool_dirty_slot batch[MEMPOOL_CACHE_SLOTS];
    size_t n = c->ndirty;
    size_t nclear = mempool_cache_clear_count(c, n, all);
    for (size_t i = 0; i < n; i++)
        batch[i] = (mempool_dirty_slot){.base = c->dirty[i].base, .slot = c->dirty[i].slot,
                                        .touched = c->dirty[i].bytes, .resident = UINT64_MAX};
    c->ndirty = 0;
    mempool_clear_batch(pool, batch, nclear);
    size_t back = 0;
    for (size_t i = 0; i < n; i++) {
        if (!all && batch[i].resident != UINT64_MAX && c->nready < MEMPOOL_CACHE_SLOTS)
            c->ready[c->nready++] =
                (mempool_cached_slot){batch[i].base, batch[i].slot, (uint32_t)batch[i].resident};
        else
            batch[back++] = batch[i];
    }
    mempool_settle_batch(pool, batch, back, false);
}

/* Keeps a released small slot in this thread's cache; false when there is none for `pool`. */
static bool mempool_cache_give(struct mem_pool *pool, int32_t slot, uint8_t *base, uint64_t touched)
{
    mempool_class_cache *c = mempool_cache_lock_for(pool);
    if (!c)
        return false;
    assert(touched <= pool->slot_bytes && c->ndirty < MEMPOOL_CACHE_SLOTS);
    c->dirty[c->ndirty++] = (mempool_cached_slot){base, slot, (uint32_t)touched};
    if (c->ndirty == MEMPOOL_CACHE_SLOTS)
        mempool_cache_clear(c, false);
    util_spin_unlock(&c->lock);
    return true;
}

void exec_mempool_cache_init(mempool_cache *cache)
{
    *cache = (mempool_cache){0};
    for (int i = 0; i < MEMPOOL_CACHE_CLASSES; i++)
        util_spin_init(&cache->classes[i].lock);
}

void exec_mempool_cache_bind(mempool_cache *cache)
{
    mempool_tls_cache = cache;
}

static void mempool_class_cache_flush(mempool_class_cache *cache)
{
    util_spin_lock(&cache->lock);
    if (cache->pool)
        mempool_cache_clear(cache, true);
    size_t n = cache->nready;
    mempool_dirty_slot batch[MEMPOOL_CACHE_SLOTS];
    for (size_t i = 0; i < n; i++)
        /* touched: the whole slot, should its pages have to go (resident is a count, not an extent) */
        batch[i] = (mempool_dirty_slot){.base = cache->ready[i].base, .slot = cache->ready[i].slot,
                                        .touched = (uint32_t)cache->pool->slot_bytes,
                                        .resident = cache->ready[i].bytes};
    cache->nready = 0;
    if (n)
        mempool_settle_batch(cache->pool, batch, n, false);
    cache->pool = NULL;   /* empty: free to serve whichever pool comes next */
    util_spin_unlock(&cache->lock);
}

void exec_mempool_cache_flush(mempool_cache *cache)
{
    for (int i = 0; i < MEMPOOL_CACHE_CLASSES; i++)
        mempool_class_cache_flush(&cache->classes[i]);
}

void exec_mempool_give(struct mem_pool *pool, int32_t slot, uint8_t *base, uint64_t touched)
{
    if (slot >= 0 && pool->small && ((uint32_t)slot & pool->small_bit)) {
        exec_mempool_give(pool->small, (int32_t)((uint32_t)slot & ~pool->small_bit), base, touched);
        return;
    }
    assert(slot >= 0 && touched <= pool->slot_bytes);
    if (pool->scratch) {
        mempool_give_scratch(pool, slot, base);
        return;
    }
    uint64_t extent = atomic_load_explicit(&pool->prefault_extent, memory_order_relaxed);
    if (touched < extent)
        touched = extent;
    if (mempool_cache_give(pool, slot, base, touched))
        return;
    /* A slot that may stay warm waits on the dirty list until a batch is
     * full; whoever fills it clears the batch, outside the lock. */
    if (touched <= MEMPOOL_WARM_MAX_TOUCHED) {
        mempool_dirty_slot batch[MEMPOOL_DIRTY_BATCH];
        size_t n = 0;
        util_spin_lock(&pool->lock);
        assert(base == mempool_slot_base(pool, slot));
        bool kept = pool->warm_bytes + touched <= MEMPOOL_WARM_BYTES &&
                    mempool_stack_push(&pool->dirty, slot, (uint32_t)touched, true);
        if (kept) {
            pool->warm_bytes += touched;
            pool->dirty_bytes += touched;
            pool->in_use--;
            if (pool->dirty.n >= MEMPOOL_DIRTY_BATCH || pool->dirty_bytes >= MEMPOOL_DIRTY_BYTES)
                n = mempool_take_dirty(pool, batch);
        }
        util_spin_unlock(&pool->lock);
        if (kept) {
            mempool_clear_batch(pool, batch, n);
            mempool_settle_batch(pool, batch, n, true);
            return;
        }
    }
    /* Cold: its pages go back, with a batch's (see "cold" above). */
    mempool_dirty_slot *batch = NULL;
    size_t n = 0;
    util_spin_lock(&pool->lock);
    assert(base == mempool_slot_base(pool, slot));
    bool queued = touched <= UINT32_MAX && mempool_stack_push(&pool->discarding, slot, (uint32_t)touched, true);
    if (queued) {
        pool->in_use--;
        pool->discarding_bytes += touched;
        if (mempool_discard_due(pool))
            batch = mempool_take_discarding(pool, &n);
    }
    util_spin_unlock(&pool->lock);
    if (queued) {
        mempool_discard_taken(pool, batch, n);
        return;
    }
    /* A 4 GiB slot, or out of memory for the list: given back alone. If madvise failed the
     * slot would keep old contents, so it is leaked rather than reused (it
     * cannot fail on a valid private mapping). */
    if (!mempool_discard(base, touched))
        return;
    util_spin_lock(&pool->lock);
    pool->in_use--;
    /* Out of memory for the list: the slot stays out of circulation. */
    (void)mempool_stack_push(&pool->cold, slot, 0, false);
    util_spin_unlock(&pool->lock);
}

/* With no slot in use and none warm, every slot reads as zeros and has no
 * pages: the free list (4 bytes a slot, megabytes after a million memories)
 * can go, and slots are handed out from the first again. Lock held. */
static void mempool_forget_free(struct mem_pool *pool)
{
    if (pool->in_use != 0 || pool->warm.n != 0 || pool->dirty.n != 0 || pool->discarding.n != 0)
        return;
    free(pool->cold.slots);
    free(pool->warm.slots);
    free(pool->warm.resident);
    free(pool->dirty.slots);
    free(pool->dirty.resident);
    free(pool->discarding.slots);
    free(pool->discarding.resident);
    pool->cold = (mempool_stack){0};
    pool->warm = (mempool_stack){0};
    pool->dirty = (mempool_stack){0};
    pool->discarding = (mempool_stack){0};
    pool->next_fresh = 0;
    pool->prefault_end = 0;
    pool->prefault_learned = 0;
    atomic_store_explicit(&pool->fresh_hint, 0, memory_order_relaxed);
}

/* With no slot in use, a scratch pool gives back every chunk's pages in one
 * call each and starts afresh. False when slots are in use. Lock held. */
static bool mempool_trim_idle_scratch(struct mem_pool *pool)
{
    if (pool->in_use != 0)
        return false;
    for (uint32_t i = 0; i < pool->nchunks; i++)
        (void)mempool_discard(pool->chunks[i], pool->slot_bytes * pool->slots_per_chunk);
    pool->warm.n = 0;
    pool->cold.n = 0;
    mempool_forget_free(pool);
    return true;
}

/* The dirty list's pages go straight back to the OS (cheaper than clearing
 * pages nobody will use), its slots to the cold list. */
static void mempool_trim_dirty(struct mem_pool *pool)
{
    mempool_dirty_slot batch[MEMPOOL_DIRTY_BATCH];
    util_spin_lock(&pool->lock);
    size_t n = mempool_take_dirty(pool, batch);
    util_spin_unlock(&pool->lock);
    bool ok[MEMPOOL_DIRTY_BATCH];
    for (size_t i = 0; i < n; i++)
        ok[i] = mempool_discard(batch[i].base, batch[i].touched);
    util_spin_lock(&pool->lock);
    for (size_t i = 0; i < n; i++) {
        pool->warm_bytes -= batch[i].touched;
        pool->in_use--;
        if (ok[i])   /* else leaked: a failed madvise would leave old contents */
            (void)mempool_stack_push(&pool->cold, batch[i].slot, 0, false);
    }
    util_spin_unlock(&pool->lock);
}

/* The page offsets (at most MEMPOOL_PREFAULT_PAGES) resident in the slot
 * at `model`: what a take of this pool has touched by the time prefaulting
 * can look, in practice the instance's data segments. */
static unsigned mempool_model_pages(const struct mem_pool *pool, const uint8_t *model, uint32_t *pages)
{
    unsigned char vec[MEMPOOL_PREFAULT_SCAN];
    size_t npages = pool->slot_bytes / pool->page;
    if (npages > MEMPOOL_PREFAULT_SCAN)
        npages = MEMPOOL_PREFAULT_SCAN;
    if (mincore((void *)model, npages * pool->page, vec) != 0)
        return 0;
    unsigned n = 0;
    for (size_t i = 0; i < npages && n < MEMPOOL_PREFAULT_PAGES; i++)
        if (vec[i] & 1)
            pages[n++] = (uint32_t)i;
    return n;
}

/* Populates `npages` pages of the slot at `base`; false when the kernel
 * cannot (before Linux 5.14). */
static bool mempool_populate(const struct mem_pool *pool, uint8_t *base, const uint32_t *pages, unsigned npages)
{
    for (unsigned i = 0; i < npages; i++) {
#ifdef MADV_POPULATE_WRITE
        if (madvise(base + (size_t)pages[i] * pool->page, pool->page, MADV_POPULATE_WRITE) == 0 ||
            errno != EINVAL)
            continue;
#endif
        return false;
    }
    return true;
}

/* Which pages to populate, into pages[] (lock held on entry and exit):
 * learned again from a recent slot every MEMPOOL_PREFAULT_RELEARN
 * fresh takes, with the lock dropped for the mincore. None when the model
 * has none yet (its data segments not copied): learned again next time. */
static unsigned mempool_prefault_pages(struct mem_pool *pool, uint32_t *pages)
{
    uint64_t now = pool->next_fresh;
    if (pool->prefault_learned != 0 && now < pool->prefault_learned + MEMPOOL_PREFAULT_RELEARN) {
        memcpy(pages, pool->prefault_pages, pool->prefault_npages * sizeof *pages);
        return pool->prefault_npages;
    }
    /* The one before the last: the last was perhaps taken just now, its
     * data segments not copied yet. */
    const uint8_t *model = mempool_slot_base(pool, (int32_t)(now >= 2 ? now - 2 : 0));
    util_spin_unlock(&pool->lock);
    unsigned n = mempool_model_pages(pool, model, pages);
    util_spin_lock(&pool->lock);
    if (n == 0 || pool->next_fresh < now)   /* nothing yet, or forgotten meanwhile */
        return 0;
    memcpy(pool->prefault_pages, pages, n * sizeof *pages);
    pool->prefault_npages = n;
    pool->prefault_learned = now;
    uint64_t extent = ((uint64_t)pages[n - 1] + 1) * pool->page;
    if (extent > atomic_load_explicit(&pool->prefault_extent, memory_order_relaxed))
        atomic_store_explicit(&pool->prefault_extent, extent, memory_order_relaxed);
    return n;
}

/* Fresh slots to prefault now, into bases[] (lock held): while takes find
 * nothing released to reuse and no trim runs, up to `max` of those at
 * most MEMPOOL_PREFAULT_AHEAD past next_fresh not yet done. */
static unsigned mempool_prefault_slots(struct mem_pool *pool, uint8_t **bases, unsigned max, uint32_t *pages,
                                       unsigned *npages)
{
    if (pool->trimming || pool->next_fresh == 0 || pool->warm.n != 0 || pool->cold.n != 0)
        return 0;
    *npages = mempool_prefault_pages(pool, pages);
    if (*npages == 0 || pool->trimming)
        return 0;
    uint64_t from = pool->prefault_end > pool->next_fresh ? pool->prefault_end : pool->next_fresh;
    uint64_t end = pool->next_fresh + MEMPOOL_PREFAULT_AHEAD;
    uint64_t mapped = (uint64_t)pool->nchunks * pool->slots_per_chunk;
    if (end > mapped)
        end = mapped;
    unsigned n = 0;
    for (; from < end && n < max; from++)
        bases[n++] = mempool_slot_base(pool, (int32_t)from);
    if (n > 0)
        pool->prefault_end = from;
    return n;
}

static bool mempool_prefault_class(struct mem_pool *pool, unsigned max)
{
    enum { MOST = 8 };
    uint8_t *bases[MOST];
    uint32_t pages[MEMPOOL_PREFAULT_PAGES];
    unsigned npages = 0;
    if (max > MOST)
        max = MOST;
    if (pool->scratch || atomic_load_explicit(&pool->prefault_off, memory_order_relaxed) ||
        atomic_load_explicit(&pool->fresh_hint, memory_order_relaxed) ==
            atomic_load_explicit(&pool->prefault_idle_at, memory_order_relaxed))
        return false;
    util_spin_lock(&pool->lock);
    unsigned n = mempool_prefault_slots(pool, bases, max, pages, &npages);
    if (n == 0)   /* nothing more until the next fresh take */
        atomic_store_explicit(&pool->prefault_idle_at, pool->next_fresh, memory_order_relaxed);
    util_spin_unlock(&pool->lock);
    for (unsigned i = 0; i < n; i++)
        if (!mempool_populate(pool, bases[i], pages, npages)) {
            atomic_store_explicit(&pool->prefault_off, true, memory_order_relaxed);
            return false;
        }
    return n > 0;
}

/* Prefaults in small slots only: a fresh slot of a larger class is a
 * rare, large memory, whose pages the model would not predict. */
bool exec_mempool_prefault(struct mem_pool *pool, unsigned max)
{
    for (struct mem_pool *class = pool; class; class = class->small)
        if (class->slot_bytes <= MEMPOOL_SMALL_SLOT_BYTES && mempool_prefault_class(class, max))
            return true;
    return false;
}

/* Gives back the pages of fresh slots populated ahead of the takes: one
 * madvise per chunk's run of them, under the lock, since a take may hand
 * any of them out the moment it is released. A populate already under way
 * may still land after this (at most a call's few slots, zeros): those
 * pages stay until the slots are next used. */
static void mempool_trim_prefaulted(struct mem_pool *pool)
{
    util_spin_lock(&pool->lock);
    uint64_t from = pool->next_fresh, end = pool->prefault_end;
    while (from < end) {
        uint64_t chunk_end = (from / pool->slots_per_chunk + 1) * pool->slots_per_chunk;
        uint64_t to = end < chunk_end ? end : chunk_end;
        (void)mempool_discard(mempool_slot_base(pool, (int32_t)from), (to - from) * pool->slot_bytes);
        from = to;
    }
    pool->prefault_end = 0;
    util_spin_unlock(&pool->lock);
}

static void mempool_trim(struct mem_pool *pool);

void exec_mempool_trim(struct mem_pool *pool)
{
    if (pool->small)
        exec_mempool_trim(pool->small);
    util_spin_lock(&pool->lock);
    pool->trimming++;
    util_spin_unlock(&pool->lock);
    mempool_trim(pool);
    util_spin_lock(&pool->lock);
    pool->trimming--;
    util_spin_unlock(&pool->lock);
}

static void mempool_trim(struct mem_pool *pool)
{
    if (pool->scratch) {
        util_spin_lock(&pool->lock);
        bool done = mempool_trim_idle_scratch(pool);
        util_spin_unlock(&pool->lock);
        if (done)
            return;
    } else {
        mempool_trim_prefaulted(pool);
        mempool_trim_dirty(pool);
        mempool_flush_discarding(pool);
        mempool_wait_discards(pool);
    }
    /* Lowest first, so a batch is mostly runs of adjacent slots: one
     * madvise (and one round of TLB-shootdown interrupts) per run. */
    uint64_t extent = MEMPOOL_WARM_MAX_TOUCHED < pool->slot_bytes ? MEMPOOL_WARM_MAX_TOUCHED : pool->slot_bytes;
    for (;;) {
        mempool_dirty_slot batch[MEMPOOL_TRIM_BATCH];
        size_t n = 0;
        util_spin_lock(&pool->lock);
        if (pool->warm.n == 0) {
            mempool_forget_free(pool);
            util_spin_unlock(&pool->lock);
            return;
        }
        while (n < MEMPOOL_TRIM_BATCH && pool->warm.n > 0) {
            uint32_t resident;
            int32_t s = mempool_warm_pop(&pool->warm, &resident);
            pool->warm_bytes -= resident;
            pool->in_use++;   /* ours while its pages go back */
            batch[n++] = (mempool_dirty_slot){.base = mempool_slot_base(pool, s), .slot = s,
                                              .touched = (uint32_t)extent, .resident = resident};
        }
        util_spin_unlock(&pool->lock);
        mempool_discard_batch(pool, batch, n);
    }
}

uint64_t exec_mempool_in_use(struct mem_pool *pool)
{
    util_spin_lock(&pool->lock);
    uint64_t n = pool->in_use;
    util_spin_unlock(&pool->lock);
    return n + (pool->small ? exec_mempool_in_use(pool->small) : 0);
}

void exec_mempool_stats(struct mem_pool *pool, mempool_stats *out)
{
    util_spin_lock(&pool->lock);
    out->chunks = pool->nchunks;
    out->slots_per_chunk = pool->slots_per_chunk;
    out->slots_in_use = pool->in_use;
    out->slots_free = pool->warm.n + pool->cold.n + pool->dirty.n + pool->discarding.n;
    out->warm_bytes = pool->warm_bytes;
    out->slot_bytes = pool->slot_bytes;
    util_spin_unlock(&pool->lock);
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
