/*
 * host/fd_budget.c - the host's budget of descriptors held for guests
 * (fd_budget.h says what counts and why there is one per host process).
 */
#include "host/fd_budget.h"

#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/resource.h>

static atomic_uint_fast32_t budget_held;
/* Descriptors the host process had open at the last fd_budget_init that
 * are not budget units: its own, which the reserve comes on top of. */
static atomic_uint_fast32_t budget_host_open;

uint32_t fd_budget_for_limit(uint64_t soft)
{
    if (soft == (uint64_t)RLIM_INFINITY || soft > UINT32_MAX)
        soft = UINT32_MAX;
    uint64_t reserve = soft / FD_BUDGET_RESERVE_DIVISOR;
    if (reserve < FD_BUDGET_RESERVE_MIN)
        reserve = FD_BUDGET_RESERVE_MIN;
    return soft > reserve ? (uint32_t)(soft - reserve) : 0;
}

static uint64_t fd_budget_soft_limit(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_cur : (uint64_t)RLIM_INFINITY;
}

/* Descriptors open in this process now: /proc/self/fd, else a probe of
 * every number below the limit (once per VM start). */
static uint32_t fd_budget_count_open(void)
{
    uint32_t n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        for (struct dirent *e; (e = readdir(d));)
            n += e->d_name[0] != '.';
        closedir(d);
        return n > 0 ? n - 1 : 0;   /* the listing's own descriptor */
    }
    uint64_t soft = fd_budget_soft_limit();
    for (uint64_t fd = 0; fd < soft && fd < 65536; fd++)
        n += fcntl((int)fd, F_GETFD) != -1;
    return n;
}

void fd_budget_init(void)
{
    uint32_t open_now = fd_budget_count_open();
    uint32_t held = (uint32_t)atomic_load_explicit(&budget_held, memory_order_relaxed);
    atomic_store_explicit(&budget_host_open, open_now > held ? open_now - held : 0, memory_order_relaxed);
}

uint32_t fd_budget_cap(void)
{
    uint32_t budget = fd_budget_for_limit(fd_budget_soft_limit());
    uint32_t host = (uint32_t)atomic_load_explicit(&budget_host_open, memory_order_relaxed);
    return budget > host ? budget - host : 0;
}

bool fd_budget_take(void)
{
    /* The limit as it is now (a host may lower it after a VM started): a
     * system call beside the open it comes with. */
    uint_fast32_t cap = fd_budget_cap();
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
