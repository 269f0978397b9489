/*
 * test_mempool.c - the memory pool and linear memories: slot reuse gives
 * zeroed memory (also in a forked child, with pages only read, and from
 * a thread cache past the warm bound), released pages given back when a
 * thread goes idle, fresh slots prefaulted ahead, the
 * kernel's page scan, 100,000 live memories fit in a few mappings and give their
 * RSS back, growth respects every cap, big memories get private reservations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec/memory.h"
#include "exec/mempool.h"
#include "exec/pagescan.h"
#include "exec/runtime.h"
#include "isola/engine.h"

#if defined(__SANITIZE_ADDRESS__)
#define ISOLA_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISOLA_HAS_ASAN 1
#endif
#endif
#ifndef ISOLA_HAS_ASAN
#define ISOLA_HAS_ASAN 0
#endif
/* ThreadSanitizer keeps the shadow of released pages resident: RSS does
 * not drop with them (mincore still shows the pages themselves gone). */
#if defined(__SANITIZE_THREAD__)
#define ISOLA_HAS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ISOLA_HAS_TSAN 1
#endif
#endif
#ifndef ISOLA_HAS_TSAN
#define ISOLA_HAS_TSAN 0
#endif

static isola_engine *new_engine(uint32_t max_pages, uint32_t slot_pages)
{
    isola_engine_config cfg = {.max_memory_pages = max_pages, .pool_slot_pages = slot_pages};
    isola_error err;
    isola_engine *e = isola_engine_new(&cfg, &err);
    assert_non_null(e);
    return e;
}

static isola_memory *new_memory(isola_engine *e, uint32_t min, bool has_max, uint32_t max)
{
    isola_error err;
    isola_memory *m = isola_memory_new(e, (isola_limits){.min = min, .max = max, .has_max = has_max}, &err);
    if (!m)
        fail_msg("isola_memory_new: %s", err.message);
    return m;
}

static int compare_ptrs(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return (x > y) - (x < y);
}

/* How many lines of /proc/self/maps hold at least one of the n addresses.
 * Counting only those keeps the figure about the pool: a sanitizer maps its
 * shadow beside each chunk, and unrelated mappings come and go. */
static long count_maps_holding(void **addrs, size_t n)
{
    qsort(addrs, n, sizeof *addrs, compare_ptrs);
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    long holding = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx", &start, &end) != 2)
            continue;
        size_t lo = 0, hi = n;                 /* first address >= start */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if ((uintptr_t)addrs[mid] < start)
                lo = mid + 1;
            else
                hi = mid;
        }
        holding += lo < n && (uintptr_t)addrs[lo] < end;
    }
    fclose(f);
    return holding;
}

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    long size = 0, resident = 0;
    assert_int_equal(fscanf(f, "%ld %ld", &size, &resident), 2);
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static void test_defaults(void **state)
{
    (void)state;
    isola_engine *e = isola_engine_new(NULL, NULL);
    assert_non_null(e);
    assert_int_equal(e->config.max_memory_pages, 65536);
    assert_int_equal(e->config.pool_slot_pages, 256);
    isola_engine_release(e);

    isola_error err;
    isola_engine_config bad = {.max_memory_pages = 65537};
    assert_null(isola_engine_new(&bad, &err));
    assert_int_equal(err.kind, ISOLA_ERR_ARGUMENT);
}

/* Writes 0xAB to every `stride`-th byte of a fresh 4-page memory, releases
 * it, clears the released slots at once (they wait for a batch otherwise)
 * and takes memories until that slot comes back (warm slots are taken
 * lowest first, so others may come first), checking that every one taken
 * reads as zeros. Returns the offset of the first byte that is not zero,
 * -1 if none, -2 if the slot did not come back. No cmocka asserts: a
 * forked child calls it too. */
static int64_t dirty_after_reuse(isola_engine *e, uint64_t stride)
{
    enum { TRIES = 8 };
    isola_error err;
    isola_limits four = {.min = 4, .max = 4, .has_max = true};
    isola_memory *m = isola_memory_new(e, four, &err);
    if (!m || m->pool_slot < 0)
        return -2;
    uint8_t *base = isola_memory_data(m);
    for (uint64_t at = 0; at < isola_memory_size(m); at += stride)
        base[at] = 0xAB;
    isola_memory_release(m);
    exec_mempool_flush(e->pool);
    isola_memory *taken[TRIES];
    int n = 0;
    int64_t dirty = -2;
    while (n < TRIES && (taken[n] = isola_memory_new(e, four, &err))) {
        uint8_t *at = isola_memory_data(taken[n]);
        for (uint64_t i = 0; i < isola_memory_size(taken[n]); i++)
            if (at[i] != 0)
                dirty = (int64_t)i;
        if (dirty >= 0 || at == base) {
            dirty = dirty >= 0 ? dirty : -1;
            n++;
            break;
        }
        n++;
    }
    while (n > 0)
        isola_memory_release(taken[--n]);
    return dirty;
}

static void test_slot_reuse_is_zeroed(void **state)
{
    (void)state;
    isola_engine *e = new_engine(0, 4);
    assert_int_equal(dirty_after_reuse(e, 1), -1);                              /* every byte */
    assert_int_equal(dirty_after_reuse(e, 5 * (uint64_t)sysconf(_SC_PAGESIZE)), -1);   /* scattered pages */
    isola_engine_release(e);
}

/* A memory takes a slot of the smallest class its maximum fits (64, 128
 * or 256 KiB, else the engine's slot), slots of one class sit back to back
 * (so 32, 16 or 8 share a page-table page), and each goes back to its own
 * class: taking the same sizes again reuses the same slots, all zero. */
static void test_small_classes(void **state)
{
    (void)state;
    enum { PER = 4 };
    static const uint32_t pages[] = {1, 2, 3, 4, 5};
    static const uint64_t slot_kib[] = {64, 128, 256, 256, 16384};
    enum { NSIZES = sizeof pages / sizeof pages[0] };
    isola_engine *e = new_engine(0, 0);   /* 16 MiB slots and the small classes */
    isola_memory *mems[NSIZES][PER];
    uint8_t *bases[2][NSIZES][PER];
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < NSIZES; k++)
            for (int i = 0; i < PER; i++) {
                isola_memory *m = mems[k][i] = new_memory(e, pages[k], true, pages[k]);
                assert_true(m->pool_slot >= 0);
                assert_int_equal(m->reserved, slot_kib[k] << 10);
                uint8_t *base = bases[round][k][i] = isola_memory_data(m);
                if (i > 0 && round == 0)
                    assert_int_equal(base - bases[0][k][i - 1], (ptrdiff_t)(slot_kib[k] << 10));
                for (uint64_t at = 0; at < isola_memory_size(m); at += 4093)
                    assert_int_equal(base[at], 0);
                memset(base, 0x5A, isola_memory_size(m));
            }
        for (int k = 0; k < NSIZES; k++)
            for (int i = 0; i < PER; i++)
                isola_memory_release(mems[k][i]);
        exec_mempool_flush(e->pool);
    }
    /* The second round got the first round's slots back, each from its class. */
    for (int k = 0; k < NSIZES; k++)
        for (int i = 0; i < PER; i++) {
            bool found = false;
            for (int j = 0; j < PER; j++)
                found |= bases[1][k][i] == bases[0][k][j];
            assert_true(found);
        }
    assert_int_equal(exec_mempool_in_use(e->pool), 0);
    exec_mempool_trim(e->pool);
    isola_engine_release(e);
}

static bool page_resident(const uint8_t *p)
{
    unsigned char v = 0;
    assert_int_equal(mincore((void *)p, (size_t)sysconf(_SC_PAGESIZE), &v), 0);
    return v & 1;
}

/* A memory starts in the slot its initial size fits and moves, once, to a
 * slot of its maximum when it grows past it: what it held comes along,
 * pages it never touched stay untouched, new pages read as zero, and the
 * old slot goes back to its class. */
static void test_grow_moves_out_of_small_slot(void **state)
{
    (void)state;
    const uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    isola_engine *e = new_engine(0, 0);   /* 16 MiB slots and the small classes */
    isola_memory *m = new_memory(e, 1, true, 64);
    assert_int_equal(m->reserved, 64u << 10);
    uint8_t *base = isola_memory_data(m);
    base[0] = 1;
    base[3 * pg + 5] = 2;
    base[(64u << 10) - 1] = 3;
    (void)base[5 * pg];   /* read only: resident perhaps, but nothing to copy */
    assert_int_equal(isola_memory_grow(m, 0), 1);   /* no growth, no move */
    assert_ptr_equal(isola_memory_data(m), base);
    assert_int_equal(isola_memory_grow(m, 3), 1);
    uint8_t *moved = isola_memory_data(m);
    assert_ptr_not_equal(moved, base);
    assert_int_equal(m->reserved, 16u << 20);
    assert_int_equal(isola_memory_size(m), 4u << 16);
    assert_int_equal(moved[0], 1);
    assert_int_equal(moved[3 * pg + 5], 2);
    assert_int_equal(moved[(64u << 10) - 1], 3);
    for (uint64_t at = 64u << 10; at < (4u << 16); at += 4093)
        assert_int_equal(moved[at], 0);
    if (!ISOLA_HAS_ASAN && !ISOLA_HAS_TSAN) {
        assert_false(page_resident(moved + pg));        /* never touched */
        assert_false(page_resident(moved + 5 * pg));    /* only read */
    }
    assert_int_equal(isola_memory_grow(m, 60), 4);      /* within the new slot */
    assert_ptr_equal(isola_memory_data(m), moved);
    assert_int_equal(isola_memory_grow(m, 1), -1);      /* past the maximum */
    /* The old slot is free again, and zero, for the next 64 KiB memory. */
    exec_mempool_flush(e->pool);
    isola_memory *next = new_memory(e, 1, true, 1);
    assert_ptr_equal(isola_memory_data(next), base);
    for (uint64_t at = 0; at < (64u << 10); at++)
        assert_int_equal(base[at], 0);
    isola_memory_release(next);
    isola_memory_release(m);
    assert_int_equal(exec_mempool_in_use(e->pool), 0);
    exec_mempool_trim(e->pool);
    isola_engine_release(e);
}

/* Released slots are cleared in batches, several per pagemap read: fill
 * more than two batches with memories of different sizes (small and large
 * slot classes) dirtied at scattered pages, without forcing anything, and
 * every slot that comes back must read as zeros. */
static void test_batched_reuse_is_zeroed(void **state)
{
    (void)state;
    enum { N = 40 };
    isola_engine *e = new_engine(0, 16);   /* 1 MiB slots, and the 256 KiB class */
    isola_memory *mems[N];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            uint32_t pages = i % 3 == 0 ? 8 : 1 + (uint32_t)i % 4;
            mems[i] = new_memory(e, pages, true, pages);
            uint8_t *base = isola_memory_data(mems[i]);
            uint64_t size = isola_memory_size(mems[i]);
            for (uint64_t j = 0; j < size; j++)
                assert_int_equal(base[j], 0);
            for (uint64_t at = (uint64_t)(i * 4096 + 17) % size; at < size; at += (uint64_t)(i % 5 + 1) * 4096 + 1)
                base[at] = (uint8_t)(0x80 | i);
        }
        for (int i = 0; i < N; i++)
            isola_memory_release(mems[i]);
    }
    assert_int_equal(exec_mempool_in_use(e->pool), 0);   /* every class */
    exec_mempool_trim(e->pool);
    isola_engine_release(e);
}

/* Memories too big to stay warm give their pages back in batches, one
 * madvise per run of adjacent slots: release them in an order that leaves
 * runs and gaps, with different sizes side by side, and every slot that
 * comes back (cold ones first) must read as zeros. */
static void test_discarded_reuse_is_zeroed(void **state)
{
    (void)state;
    enum { N = 80 };
    isola_engine *e = new_engine(0, 0);   /* 16 MiB slots; 17+ pages go cold */
    isola_memory *mems[N];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            uint32_t pages = 17 + (uint32_t)(i * 7 + round) % 16;
            mems[i] = new_memory(e, pages, true, pages);
            uint8_t *base = isola_memory_data(mems[i]);
            uint64_t size = isola_memory_size(mems[i]);
            for (uint64_t at = 0; at < size; at += 4093)
                assert_int_equal(base[at], 0);
            assert_int_equal(base[size - 1], 0);
            for (uint64_t at = (uint64_t)i; at < size; at += 4093)
                base[at] = (uint8_t)(0x80 | i);
            base[size - 1] = 0xFF;
        }
        for (int i = 0; i < N; i += 2)
            isola_memory_release(mems[i]);
        for (int i = N - 1; i > 0; i -= 2)
            isola_memory_release(mems[i]);
    }
    mempool_stats st;
    exec_mempool_stats(e->pool, &st);
    assert_int_equal(st.slots_in_use, 0);
    exec_mempool_trim(e->pool);
    exec_mempool_stats(e->pool, &st);
    assert_int_equal(st.slots_in_use, 0);
    isola_engine_release(e);
}

/* A thread cache clears only the released slots that can stay warm; past
 * the pool's warm bound (16 MiB) the rest go cold as they are. Release
 * more fully written 256 KiB slots through a bound cache than the bound
 * holds, then take as many again: every byte must read as zero, the warm
 * bytes must stay within the bound, and nothing may stay in use. */
static void test_cache_past_warm_bound_is_zeroed(void **state)
{
    (void)state;
    enum { N = 160 };   /* 40 MiB written, more than twice the bound */
    isola_engine *e = new_engine(0, 4);   /* 256 KiB slots: a thread cache serves them */
    mempool_cache cache;
    exec_mempool_cache_init(&cache);
    exec_mempool_cache_bind(&cache);
    isola_memory **mems = calloc(N, sizeof *mems);
    assert_non_null(mems);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            mems[i] = new_memory(e, 4, true, 4);
            assert_true(mems[i]->pool_slot >= 0);
            uint64_t *words = (uint64_t *)isola_memory_data(mems[i]);
            uint64_t nwords = isola_memory_size(mems[i]) / sizeof *words;
            uint64_t any = 0;
            for (uint64_t j = 0; j < nwords; j++) {
                any |= words[j];
                words[j] = 0x0101010101010101u * (uint64_t)(i + 1);
            }
            assert_int_equal(any, 0);
        }
        for (int i = 0; i < N; i++)
            isola_memory_release(mems[i]);
        mempool_stats st;
        exec_mempool_stats(e->pool, &st);
        assert_true(st.warm_bytes <= (16u << 20));
    }
    exec_mempool_cache_flush(&cache);
    exec_mempool_cache_bind(NULL);
    mempool_stats st;
    exec_mempool_stats(e->pool, &st);
    assert_int_equal(st.slots_in_use, 0);
    assert_true(st.warm_bytes <= (16u << 20));
    free(mems);
    exec_mempool_trim(e->pool);
    isola_engine_release(e);
}

/* An idle thread populates, in the fresh slots the next takes will get, a
 * bounded distance ahead, the pages resident in a recent slot; only while
 * takes find nothing to reuse. A slot taken after that still reads as
 * zeros, even a smaller memory's whose size ends before a populated page,
 * and a trim gives every populated page back. */
static void test_prefault_ahead_of_takes(void **state)
{
    (void)state;
    const uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    if (pg != 4096)
        skip();   /* the page numbers below are for 4 KiB pages */
    isola_engine *e = new_engine(0, 4);   /* 256 KiB slots (4-page memories: not the smaller classes) */
    assert_false(exec_mempool_prefault(e->pool, 8));   /* no take yet: no demand */
    isola_memory *first = new_memory(e, 4, true, 4);
    uint8_t *base = isola_memory_data(first);
    uint64_t slot = exec_mempool_slot_bytes(e->pool);
    base[10] = 1;          /* the model: pages 0 and 50 */
    base[50 * pg] = 1;
    assert_false(page_resident(base + slot));
    if (!exec_mempool_prefault(e->pool, 8))
        skip();   /* a kernel without MADV_POPULATE_WRITE (before 5.14) */
    int calls = 1;
    while (exec_mempool_prefault(e->pool, 8))
        calls++;
    assert_int_equal(calls, 8);   /* 64 slots ahead, 8 a call */
    for (int i = 1; i <= 64; i++) {
        uint8_t *at = base + (uint64_t)i * slot;
        assert_true(page_resident(at) && page_resident(at + 50 * pg));
        assert_false(page_resident(at + pg) || page_resident(at + 2 * pg));
    }
    assert_false(page_resident(base + 65 * slot));
    /* 192 KiB (still a 256 KiB slot): its size ends at page 48, before the
     * populated page 50. */
    isola_memory *second = new_memory(e, 3, true, 4);
    uint8_t *at = isola_memory_data(second);
    assert_ptr_equal(at, base + slot);
    for (uint64_t i = 0; i < isola_memory_size(second); i++)
        assert_int_equal(at[i], 0);
    memset(at, 0x5A, pg);
    assert_true(exec_mempool_prefault(e->pool, 8));   /* one more fresh take: one more slot */
    assert_true(page_resident(base + 65 * slot));
    assert_false(exec_mempool_prefault(e->pool, 8));
    isola_memory_release(first);
    isola_memory_release(second);
    exec_mempool_flush(e->pool);
    isola_memory *third = new_memory(e, 3, true, 4);   /* a warm slot: no fresh take */
    assert_false(exec_mempool_prefault(e->pool, 8));
    for (uint64_t i = 0; i < isola_memory_size(third); i++)
        assert_int_equal(isola_memory_data(third)[i], 0);
    isola_memory_release(third);
    exec_mempool_trim(e->pool);
    for (int i = 0; i <= 65; i++)
        if (page_resident(base + (uint64_t)i * slot) || page_resident(base + (uint64_t)i * slot + 50 * pg))
            fail_msg("slot %d keeps a page after the trim", i);
    isola_engine_release(e);
}

/* Released slots that go cold wait to give their pages back in one batch
 * (thousands of slots); exec_mempool_give_back, which an idle worker
 * calls, gives back whatever waits. Forty written 17-page memories: after
 * their release their pages are still resident, after the give-back none
 * is, and the slots read as zeros when taken again. */
static void test_give_back_returns_waiting_pages(void **state)
{
    (void)state;
    enum { N = 40 };
    isola_engine *e = new_engine(0, 0);   /* 16 MiB slots; 17 pages go cold */
    isola_memory *mems[N];
    uint8_t *bases[N];
    for (int i = 0; i < N; i++) {
        mems[i] = new_memory(e, 17, true, 17);
        bases[i] = isola_memory_data(mems[i]);
        memset(bases[i], 0x5A, isola_memory_size(mems[i]));
    }
    for (int i = 0; i < N; i++)
        isola_memory_release(mems[i]);
    for (int i = 0; i < N; i++)
        assert_true(page_resident(bases[i]));   /* waiting: a batch is far from full */
    exec_mempool_give_back(e->pool);
    for (int i = 0; i < N; i++)
        assert_false(page_resident(bases[i]));
    for (int i = 0; i < N; i++) {
        mems[i] = new_memory(e, 17, true, 17);
        uint8_t *base = isola_memory_data(mems[i]);
        for (uint64_t at = 0; at < isola_memory_size(mems[i]); at += 997)
            assert_int_equal(base[at], 0);
    }
    for (int i = 0; i < N; i++)
        isola_memory_release(mems[i]);
    isola_engine_release(e);
}

/* The kernel's PAGEMAP_SCAN (pagescan.c), asked directly: written pages
 * are ours to clear, pages only read map the shared zero page and read as
 * zeros, untouched ones are zero; more runs than one call returns are
 * resumed where it stopped. Skipped where the kernel lacks the ioctl (the
 * pool then reads pagemap entries, which the other tests cover). */
static void test_pagescan_states(void **state)
{
    (void)state;
    enum { PAGES = 600 };   /* 400 runs: more than one call's 128 */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *m = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    assert_true(m != MAP_FAILED);
    (void)madvise(m, PAGES * page, MADV_NOHUGEPAGE);   /* a huge page would make every page resident */
    for (size_t i = 0; i < PAGES; i++) {
        if (i % 3 == 0)
            m[i * page + i % page] = 1;
        else if (i % 3 == 1)
            assert_int_equal(((volatile uint8_t *)m)[i * page], 0);
    }
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {   /* a hardened /proc: the pool falls back to mincore */
        munmap(m, PAGES * page);
        skip();
    }
    uint8_t got[PAGES];
    if (exec_pagescan(fd, (uintptr_t)m, PAGES, page, got)) {
        /* A page only read maps the shared zero page, except where the
         * kernel has none to give (some hypervisors' guests: a read fault
         * gets a zeroed page of its own, resident like a written one). */
        uint8_t read_state = got[1];
        assert_true(read_state == PAGE_ZERO || read_state == PAGE_RESIDENT);
        if (read_state == PAGE_RESIDENT)
            printf("reads get pages of their own here (no shared zero page)\n");
        for (size_t i = 0; i < PAGES; i++)
            assert_int_equal(got[i], i % 3 == 0 ? PAGE_RESIDENT : i % 3 == 1 ? read_state : PAGE_ZERO);
        /* A range that starts and ends inside runs. */
        assert_true(exec_pagescan(fd, (uintptr_t)(m + 100 * page), 7, page, got));
        for (size_t i = 0; i < 7; i++) {
            size_t k = 100 + i;
            assert_int_equal(got[i], k % 3 == 0 ? PAGE_RESIDENT : k % 3 == 1 ? read_state : PAGE_ZERO);
        }
    } else {
        printf("PAGEMAP_SCAN not available: skipped\n");
    }
    close(fd);
    munmap(m, PAGES * page);
}

/* The same reuse checks with the page scan refused, as on kernels before
 * 6.7: the pool reads pagemap entries instead. */
static void test_reuse_without_pagescan(void **state)
{
    exec_pagescan_set_enabled(false);
    test_slot_reuse_is_zeroed(state);
    test_batched_reuse_is_zeroed(state);
}

/* Teardown: the scan back on, also after a failed check. */
static int pagescan_enable(void **state)
{
    (void)state;
    exec_pagescan_set_enabled(true);
    return 0;
}

/* Pages a memory only read (mapped to the zero page) between pages it
 * wrote, in batches of small slots cleared together: every slot that comes
 * back reads as zeros, and read-only pages cost no clearing. */
static void test_read_pages_reuse_is_zeroed(void **state)
{
    (void)state;
    enum { N = 20 };
    isola_engine *e = new_engine(0, 16);   /* 4-page memories take 256 KiB slots */
    isola_memory *mems[N];
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) {
            mems[i] = new_memory(e, 4, true, 4);
            uint8_t *base = isola_memory_data(mems[i]);
            uint64_t size = isola_memory_size(mems[i]);
            for (uint64_t j = 0; j < size; j++)
                assert_int_equal(base[j], 0);   /* also maps every page: round 0 reads them all */
            for (size_t p = (size_t)(i + round) % 3; p < size / page; p += 3)
                base[p * page + (size_t)i] = (uint8_t)(0x80 | i);
        }
        for (int i = 0; i < N; i++)
            isola_memory_release(mems[i]);
    }
    exec_mempool_flush(e->pool);
    for (int i = 0; i < N; i++) {
        mems[i] = new_memory(e, 4, true, 4);
        uint8_t *base = isola_memory_data(mems[i]);
        for (uint64_t j = 0; j < isola_memory_size(mems[i]); j++)
            assert_int_equal(base[j], 0);
    }
    for (int i = 0; i < N; i++)
        isola_memory_release(mems[i]);
    isola_engine_release(e);
}

/* The pool asks /proc/self/pagemap which pages to clear. A forked child
 * must ask about its own page tables, not its parent's: the parent never
 * touched the pages the child writes, so a stale answer would leave them
 * dirty for the next memory. */
static void test_reuse_after_fork(void **state)
{
    (void)state;
    if (ISOLA_HAS_ASAN)   /* fork under ASan works, but its reports don't reach cmocka */
        return;
    isola_engine *e = new_engine(0, 4);   /* the pool opens pagemap here, before the fork */
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(dirty_after_reuse(e, 3 * 4096) == -1 ? 0 : 1);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(dirty_after_reuse(e, 5 * 4096), -1);
    isola_engine_release(e);
}

/* Writes 0xAB to every `stride`-th byte of a fresh 4-page memory and
 * releases it, reading nothing (a read maps the zero page, which pagemap
 * reports as present: a stale answer would then cover every page). */
static void dirty_release(isola_engine *e, uint64_t stride)
{
    isola_error err;
    isola_memory *m = isola_memory_new(e, (isola_limits){.min = 4, .max = 4, .has_max = true}, &err);
    if (!m)
        return;
    uint8_t *base = isola_memory_data(m);
    for (uint64_t at = 0; at < isola_memory_size(m); at += stride)
        base[at] = 0xAB;
    isola_memory_release(m);
}

/* The fork check reads a word the kernel wipes in each child. A child that
 * used the pool (and so reopened pagemap and stored its own pid there) and
 * then forks must leave its own child asking again: a grandchild with the
 * child's descriptor would miss the pages only it wrote. */
static void test_reuse_after_fork_twice(void **state)
{
    (void)state;
    if (ISOLA_HAS_ASAN)
        return;
    isola_engine *e = new_engine(0, 4);
    dirty_release(e, 7 * 4096);   /* the parent checks first */
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        dirty_release(e, 9 * 4096);
        pid_t grandchild = fork();
        if (grandchild < 0)
            _exit(2);
        if (grandchild == 0)
            _exit(dirty_after_reuse(e, 3 * 4096) == -1 ? 0 : 1);
        int gstatus = 0;
        if (waitpid(grandchild, &gstatus, 0) != grandchild || !WIFEXITED(gstatus))
            _exit(3);
        _exit(WEXITSTATUS(gstatus) != 0 ? 4 : dirty_after_reuse(e, 5 * 4096) == -1 ? 0 : 5);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(dirty_after_reuse(e, 3 * 4096), -1);
    isola_engine_release(e);
}

static void test_grow_limits(void **state)
{
    (void)state;
    isola_engine *e = new_engine(10, 16);

    isola_memory *m = new_memory(e, 1, true, 3);
    assert_int_equal(isola_memory_grow(m, 2), 1);
    assert_int_equal(isola_memory_size(m), 3 * 65536);
    assert_int_equal(isola_memory_grow(m, 1), -1);
    assert_int_equal(isola_memory_grow(m, 0), 3);
    assert_int_equal(isola_memory_grow(m, UINT32_MAX), -1);
    isola_memory_release(m);

    /* No declared maximum: the engine's cap (10 pages) applies. */
    m = new_memory(e, 0, false, 0);
    assert_int_equal(m->max_pages, 10);
    assert_int_equal(isola_memory_grow(m, 10), 0);
    assert_int_equal(isola_memory_grow(m, 1), -1);
    isola_memory_release(m);

    isola_error err;
    assert_null(isola_memory_new(e, (isola_limits){.min = 11}, &err));
    assert_int_equal(err.kind, ISOLA_ERR_RESOURCE);
    assert_null(isola_memory_new(e, (isola_limits){.min = 2, .max = 1, .has_max = true}, &err));
    assert_int_equal(err.kind, ISOLA_ERR_ARGUMENT);

    /* exec_memory_grow honours an instance-style cap below the engine's. */
    isola_memory *c = exec_memory_create(e, (wasm_limits){.min = 1}, 2, &err);
    assert_non_null(c);
    uint32_t old = 99;
    assert_true(exec_memory_grow(c, 1, &old));
    assert_int_equal(old, 1);
    assert_false(exec_memory_grow(c, 1, &old));
    isola_memory_release(c);
    isola_engine_release(e);
}

static void test_private_reservation(void **state)
{
    (void)state;
    isola_engine *e = new_engine(0, 2);      /* 128 KiB slots */
    isola_memory *m = new_memory(e, 1, true, 64);
    assert_int_equal(m->pool_slot, -1);
    assert_int_equal(m->reserved, 64ull * 65536);
    uint8_t *base = isola_memory_data(m);
    base[0] = 1;
    assert_int_equal(isola_memory_grow(m, 63), 1);
    assert_ptr_equal(isola_memory_data(m), base);          /* the base never moves */
    for (uint64_t i = 65536; i < isola_memory_size(m); i += 4096)
        assert_int_equal(base[i], 0);
    base[isola_memory_size(m) - 1] = 7;                    /* committed: no fault */
    assert_int_equal(isola_memory_grow(m, 1), -1);
    isola_memory_release(m);

    /* A memory with no maximum reserves the whole 4 GiB but commits only its minimum. */
    isola_memory *big = new_memory(e, 2, false, 0);
    assert_int_equal(big->reserved, 65536ull * 65536);
    isola_memory_data(big)[2 * 65536 - 1] = 1;
    isola_memory_release(big);
    isola_engine_release(e);
}

#define MANY 100000

static void test_many_memories(void **state)
{
    (void)state;
    isola_engine *e = new_engine(0, 0);       /* default 16 MiB slots */
    isola_memory **mems = calloc(MANY, sizeof *mems);
    assert_non_null(mems);
    long rss_before = rss_bytes();

    for (int i = 0; i < MANY; i++) {
        mems[i] = new_memory(e, 16, true, 16);   /* 1 MiB from the start: a 16 MiB slot */
        if (i % 4 == 0)
            isola_memory_data(mems[i])[i % 65536] = 1;   /* touch one page */
    }
    mempool_stats st;
    exec_mempool_stats(e->pool, &st);
    assert_int_equal(st.slots_in_use, MANY);
    void **data = calloc(MANY, sizeof *data);
    assert_non_null(data);
    for (int i = 0; i < MANY; i++)
        data[i] = isola_memory_data(mems[i]);
    long maps = count_maps_holding(data, MANY);
    free(data);
    long rss_during = rss_bytes();
    print_message("100k memories: %u chunks in %ld mappings, RSS %ld MiB -> %ld MiB\n", st.chunks,
                  maps, rss_before >> 20, rss_during >> 20);
    /* 100k memories in at most one mapping per chunk (adjacent chunks may
     * merge), far from vm.max_map_count (~65k). */
    assert_true(maps >= 1 && maps <= (long)st.chunks);
    assert_true(rss_during - rss_before > (long)(MANY / 4) * 4096 / 2);

    uint8_t **bases = calloc(MANY, sizeof *bases);
    assert_non_null(bases);
    for (int i = 0; i < MANY; i++) {
        bases[i] = isola_memory_data(mems[i]);
        isola_memory_release(mems[i]);
    }
    long rss_after = rss_bytes();
    print_message("after release: RSS %ld MiB\n", rss_after >> 20);
    exec_mempool_stats(e->pool, &st);
    assert_int_equal(st.slots_in_use, 0);
    assert_int_equal(st.slots_free, MANY);
    /* Free slots keep a bounded amount of pages resident for reuse (warm);
     * a trim gives those back too, and with no slot in use forgets the free
     * list (every slot is clean again, handed out from the first). */
    assert_true(st.warm_bytes <= 16u << 20);
    exec_mempool_trim(e->pool);
    exec_mempool_stats(e->pool, &st);
    assert_int_equal(st.warm_bytes, 0);
    assert_int_equal(st.slots_free, 0);
    rss_after = rss_bytes();
    /* Every touched page went back to the OS... */
    long page = sysconf(_SC_PAGESIZE);
    for (int i = 0; i < MANY; i += 4) {
        uint8_t *p = bases[i] + (i % 65536) / page * page;
        unsigned char resident = 1;
        assert_int_equal(mincore(p, (size_t)page, &resident), 0);
        if (resident & 1)
            fail_msg("page of released memory %d is still resident", i);
    }
    free(bases);
    /* ...so RSS drops by what was touched and returns near the baseline.
     * Not under the sanitizers: TSan keeps the shadow of released pages,
     * and ASan's quarantine holds freed heap blocks, a few MiB here that
     * would leave the figure at the edge (the loop above already showed
     * every touched page gone). */
#if !ISOLA_HAS_ASAN && !ISOLA_HAS_TSAN
    long touched = (long)(MANY / 4) * page;
    assert_true(rss_during - rss_after > touched * 9 / 10);
    assert_true(rss_after - rss_before < 32l << 20);
#endif

    /* Reuse takes the released slots: no new chunks. */
    uint32_t chunks = st.chunks;
    for (int i = 0; i < MANY; i++)
        mems[i] = new_memory(e, 1, true, 1);
    exec_mempool_stats(e->pool, &st);
    assert_int_equal(st.chunks, chunks);
    for (int i = 0; i < MANY; i++)
        isola_memory_release(mems[i]);
    free(mems);
    isola_engine_release(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_slot_reuse_is_zeroed),
        cmocka_unit_test(test_small_classes),
        cmocka_unit_test(test_grow_moves_out_of_small_slot),
        cmocka_unit_test(test_batched_reuse_is_zeroed),
        cmocka_unit_test(test_discarded_reuse_is_zeroed),
        cmocka_unit_test(test_cache_past_warm_bound_is_zeroed),
        cmocka_unit_test(test_give_back_returns_waiting_pages),
        cmocka_unit_test(test_prefault_ahead_of_takes),
        cmocka_unit_test(test_pagescan_states),
        cmocka_unit_test_teardown(test_reuse_without_pagescan, pagescan_enable),
        cmocka_unit_test(test_read_pages_reuse_is_zeroed),
        cmocka_unit_test(test_reuse_after_fork),
        cmocka_unit_test(test_reuse_after_fork_twice),
        cmocka_unit_test(test_grow_limits),
        cmocka_unit_test(test_private_reservation),
        cmocka_unit_test(test_many_memories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
