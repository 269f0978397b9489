/*
 * pagescan.h - which pages of an address range hold data, asked of the
 * kernel with one PAGEMAP_SCAN ioctl on a /proc/self/pagemap descriptor
 * (Linux 6.7 and later). The memory pool (mempool.c) uses it to clear only
 * the pages a released memory really wrote.
 */
#ifndef ISOLA_EXEC_PAGESCAN_H
#define ISOLA_EXEC_PAGESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a page holds, as far as making it read as zeros is concerned. */
enum {
    PAGE_ZERO,       /* reads as zeros already: never touched, or mapped to the shared zero page */
    PAGE_RESIDENT,   /* a page of ours in memory: clear it */
    PAGE_ELSEWHERE,  /* may hold data outside memory (swap): discard it */
};

/* Fills state[0..npages) for the npages pages of `page_bytes` from `base`
 * (page aligned), through the pagemap descriptor `fd`. False when the
 * kernel cannot answer this way (older than 6.7, or the call failed): the
 * caller reads the pagemap entries instead. Thread-safe. */
bool exec_pagescan(int fd, uintptr_t base, size_t npages, size_t page_bytes, uint8_t *state);

/* For tests: false makes exec_pagescan refuse, as on a kernel without the
 * ioctl, so the pool's other path (reading pagemap entries) runs here too. */
void exec_pagescan_set_enabled(bool enabled);

#endif
