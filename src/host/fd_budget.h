/*
 * host/fd_budget.h - the host's budget of descriptors held for guests.
 *
 * Every host descriptor a process's WASI context keeps (what it was given
 * by a spawning guest and what it opened) and every directory handle takes
 * one unit while it is open. The budget is the soft RLIMIT_NOFILE (as it
 * is at each take: a host may lower it later) less what the host itself
 * had open when the last VM started, less a reserve for the host: max(64,
 * 1/16 of the limit). Past it, a guest's open fails with ENFILE (and a
 * spawn or dir_handle that would need one with ISOLA_ENOMEM), so however
 * many processes a tree has and whatever their limits, the host keeps its
 * descriptors and the reserve for new files, sockets, threads and
 * transient path lookups. What the host opens after a VM starts comes out
 * of the reserve.
 *
 * One budget per host process, shared by all its VMs: the descriptor
 * table it protects is the host process's, and two VMs with a budget each
 * could still take all of it between them.
 *
 * Threads: any; a unit is one atomic counter, taken with a CAS so the
 * budget is never exceeded, even for an instant.
 */
#ifndef ISOLA_HOST_FD_BUDGET_H
#define ISOLA_HOST_FD_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

/* The reserve: the larger of this and 1/FD_BUDGET_RESERVE_DIVISOR of the limit. */
#define FD_BUDGET_RESERVE_MIN 64u
#define FD_BUDGET_RESERVE_DIVISOR 16u

/* Counts the host's own descriptors now (a VM starts): the budget is
 * what the limit leaves past them and the reserve. Units taken stay
 * taken; if more are held than the budget allows, takes fail until enough
 * come back. */
void fd_budget_init(void);

/* The budget for a soft limit of `soft` descriptors (RLIM_INFINITY: all). */
uint32_t fd_budget_for_limit(uint64_t soft);

/* One unit for a descriptor about to be kept: false when the budget is spent. */
bool fd_budget_take(void);
/* Gives back a unit fd_budget_take gave. */
void fd_budget_give(void);

/* Units held now, and the budget now (for tests and diagnostics). */
uint32_t fd_budget_held(void);
uint32_t fd_budget_cap(void);

#endif
