/*
 * pagescan.c - the PAGEMAP_SCAN ioctl (see pagescan.h).
 *
 * Why not read the pagemap entries, as before: the read formats and copies
 * eight bytes for every page in the range, about 3 ns a page plus 0.8 us a
 * call on the machine the spawn benchmark runs on, and a batch of sixteen
 * small slots spans 1,024 pages (each slot is 64 pages, of which a small
 * process touches one or two). The scan walks the same page tables but
 * returns only runs of pages that match, about half the cost a page and
 * less a call: a spawn and exit spent 20% of its time in the read. It also
 * tells pages mapped to the shared zero page (read, never written) from
 * pages of our own: those read as zeros and need no clearing, where a
 * memset would give each one a private page.
 *
 * The structure and constants are the kernel's ABI (include/uapi/linux/
 * fs.h, Linux 6.7), defined here because the C library's headers may
 * predate them. A kernel without the ioctl answers ENOTTY (or EINVAL):
 * that is remembered, and the caller reads entries from then on.
 */
#include "exec/pagescan.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>

/* One run of pages with the same categories, [start, end). */
typedef struct pagescan_region {
    uint64_t start;
    uint64_t end;
    uint64_t categories;
} pagescan_region;

typedef struct pagescan_arg {
    uint64_t size;                /* sizeof(pagescan_arg) */
    uint64_t flags;
    uint64_t start, end;          /* the range */
    uint64_t walk_end;            /* out: where the walk stopped (vec full) */
    uint64_t vec, vec_len;        /* the regions out */
    uint64_t max_pages;           /* 0: no limit */
    uint64_t category_inverted;
    uint64_t category_mask;       /* all of these (after inversion) */
    uint64_t category_anyof_mask; /* at least one of these */
    uint64_t return_mask;         /* the categories reported */
} pagescan_arg;

#define PAGESCAN_IOCTL _IOWR('f', 16, pagescan_arg)
#define PAGESCAN_PRESENT (1u << 3)
#define PAGESCAN_SWAPPED (1u << 4)
#define PAGESCAN_PFNZERO (1u << 5)

/* Regions per call: a walk that fills them stops and is resumed. */
#define PAGESCAN_REGIONS 128

static atomic_bool pagescan_unsupported;
static atomic_bool pagescan_disabled;   /* tests only (exec_pagescan_set_enabled) */

void exec_pagescan_set_enabled(bool enabled)
{
    atomic_store(&pagescan_disabled, !enabled);
}

static uint8_t pagescan_state(uint64_t categories)
{
    if (categories & PAGESCAN_PFNZERO)
        return PAGE_ZERO;
    return categories & PAGESCAN_PRESENT ? PAGE_RESIDENT : PAGE_ELSEWHERE;
}

bool exec_pagescan(int fd, uintptr_t base, size_t npages, size_t page_bytes, uint8_t *state)
{
    if (fd < 0 || atomic_load_explicit(&pagescan_unsupported, memory_order_relaxed) ||
        atomic_load_explicit(&pagescan_disabled, memory_order_relaxed))
        return false;
    memset(state, PAGE_ZERO, npages);
    /* Zeroed though the kernel writes what it returns: tools that do not
     * know this ioctl (valgrind) would otherwise take the regions as
     * uninitialised. 3 KiB, one call per batch of released slots. */
    pagescan_region vec[PAGESCAN_REGIONS];
    memset(vec, 0, sizeof vec);
    uint64_t end = base + (uint64_t)npages * page_bytes;
    for (uint64_t at = base; at < end;) {
        pagescan_arg arg = {.size = sizeof arg, .start = at, .end = end, .vec = (uintptr_t)vec,
                            .vec_len = PAGESCAN_REGIONS,
                            .category_anyof_mask = PAGESCAN_PRESENT | PAGESCAN_SWAPPED,
                            .return_mask = PAGESCAN_PRESENT | PAGESCAN_SWAPPED | PAGESCAN_PFNZERO};
        int n = ioctl(fd, PAGESCAN_IOCTL, &arg);
        if (n < 0) {
            if (errno == ENOTTY || errno == EINVAL)
                atomic_store_explicit(&pagescan_unsupported, true, memory_order_relaxed);
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (vec[i].start < at || vec[i].end > end || vec[i].start >= vec[i].end)
                return false;   /* not what we asked for: do not trust it */
            uint8_t s = pagescan_state(vec[i].categories);
            size_t first = (size_t)((vec[i].start - base) / page_bytes);
            memset(state + first, s, (size_t)((vec[i].end - vec[i].start) / page_bytes));
        }
        /* A full vector stops the walk early: go on from where it did. */
        if (arg.walk_end <= at || arg.walk_end > end)
            return false;
        at = arg.walk_end;
    }
    return true;
}
