/*
 * test_fd_budget.c - the host's budget of descriptors held for guests
 * (host/fd_budget.c): the soft RLIMIT_NOFILE less max(64, 1/16) of it and
 * less the host's own descriptors, never exceeded, following a limit
 * lowered later, whole again once every unit is given back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <dirent.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "host/fd_budget.h"

static void test_budget_for_limit(void **state)
{
    (void)state;
    assert_int_equal(fd_budget_for_limit(1024), 960);      /* Debian's default soft limit */
    assert_int_equal(fd_budget_for_limit(256), 192);
    assert_int_equal(fd_budget_for_limit(20000), 18750);   /* a sixteenth kept */
    assert_int_equal(fd_budget_for_limit(64), 0);          /* nothing for guests at all */
    assert_int_equal(fd_budget_for_limit(10), 0);
    assert_int_equal(fd_budget_for_limit(RLIM_INFINITY), UINT32_MAX - UINT32_MAX / 16);
}

/* Descriptors open in this process (the listing's own aside). */
static uint32_t open_now(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    uint32_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

static void test_budget_taken_and_given(void **state)
{
    (void)state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    struct rlimit low = {100, rl.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    fd_budget_init();
    /* What the host has open is not the guests': 100 - 64 - that. */
    uint32_t cap = 36 - open_now();
    assert_int_equal(fd_budget_cap(), cap);
    for (uint32_t i = 0; i < cap; i++)
        assert_true(fd_budget_take());
    assert_false(fd_budget_take());
    assert_int_equal(fd_budget_held(), cap);
    fd_budget_give();
    assert_true(fd_budget_take());
    assert_false(fd_budget_take());
    /* A limit lowered meanwhile: takes fail until enough come back. */
    struct rlimit lower = {96, rl.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &lower), 0);
    assert_int_equal(fd_budget_cap(), cap - 4);
    for (int i = 0; i < 4; i++) {
        assert_false(fd_budget_take());
        fd_budget_give();
    }
    assert_false(fd_budget_take());
    fd_budget_give();
    assert_true(fd_budget_take());
    /* A new VM under a higher limit: the units held stay held, and count
     * as the guests' (each stands for an open descriptor: here there are
     * none behind them, so the host seems to have that many fewer). */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    fd_budget_init();
    uint32_t open = open_now(), held = fd_budget_held();
    assert_int_equal(fd_budget_cap(), fd_budget_for_limit(rl.rlim_cur) - (open > held ? open - held : 0));
    assert_true(fd_budget_take());
    for (uint32_t i = 0; i < cap - 4 + 1; i++)
        fd_budget_give();
    assert_int_equal(fd_budget_held(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_for_limit),
        cmocka_unit_test(test_budget_taken_and_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
