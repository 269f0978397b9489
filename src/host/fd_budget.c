/*
 * host/fd_budget.c - the host's budget of descriptors held for guests
 * (fd_budget.h says what counts and why there is one per host process).
 */
#include "host/fd_budget.h"

#include <assert.h>
#include <stdatomic.h>
#include <sys/resource.h>

static atomic_uint_fast32_t budget_held;
/* UINT32_MAX until a VM starts: nothing to protect before that. */
static atomic_uint_fast32_t budget_cap = UINT32_MAX;

uint32_t fd_budget_for_limit(uint64_t soft)
{
    if (soft == (uint64_t)RLIM_INFINITY || soft > UINT32_MAX)
        soft = UINT32_MAX;
    uint64_t reserve = soft / FD_BUDGET_RESERVE_DIVISOR;
    if (reserve < FD_BUDGET_RESERVE_MIN)
        reserve = FD_BUDGET_RESERVE_MIN;
    return soft > reserve ? (uint32_t)(soft - reserve) : 0;
}

void fd_budget_init(void)
{
    struct rlimit rl;
    uint64_t soft = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_cur : (uint64_t)RLIM_INFINITY;
    atomic_store_explicit(&budget_cap, fd_budget_for_limit(soft), memory_order_relaxed);
}

bool fd_budget_take(void)
{
    uint_fast32_t cap = atomic_load_explicit(&budget_cap, memory_order_relaxed);
    uint_fast32_t held = atomic_load_explicit(&budget_held, memory_order_relaxed);
    do {
        if (held >= cap)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&budget_held, &held, held + 1, memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
}

void fd_budget_give(void)
{
    uint_fast32_t before = atomic_fetch_sub_explicit(&budget_held, 1, memory_order_relaxed);
    assert(before > 0);
    (void)before;
}

uint32_t fd_budget_held(void)
{
    return (uint32_t)atomic_load_explicit(&budget_held, memory_order_relaxed);
}

uint32_t fd_budget_cap(void)
{
    return (uint32_t)atomic_load_explicit(&budget_cap, memory_order_relaxed);
}
