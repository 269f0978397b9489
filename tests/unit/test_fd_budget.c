/*
 * test_fd_budget.c - the host's budget of descriptors held for guests
 * (host/fd_budget.c): the soft RLIMIT_NOFILE less max(64, 1/16) of it,
 * never exceeded, whole again once every unit is given back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

static void test_budget_taken_and_given(void **state)
{
    (void)state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    struct rlimit low = {100, rl.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    fd_budget_init();
    assert_int_equal(fd_budget_cap(), 36);
    for (int i = 0; i < 36; i++)
        assert_true(fd_budget_take());
    assert_false(fd_budget_take());
    assert_int_equal(fd_budget_held(), 36);
    fd_budget_give();
    assert_true(fd_budget_take());
    assert_false(fd_budget_take());
    /* A new VM under a higher limit: the units held stay held. */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    fd_budget_init();
    assert_true(fd_budget_take());
    for (int i = 0; i < 37; i++)
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
