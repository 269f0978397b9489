/*
 * test_wasi_fd_hooks.c - a WASI context's fd hooks (isola_wasi_set_fd_hooks)
 * through the embedding API: every descriptor it is given is acquired
 * first and released once when the context closes it, with the user
 * current then; a refusal makes the call fail and leaks nothing; the
 * functions cannot change while counted descriptors are open.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <isola/wasi.h>

typedef struct counter {
    int held;          /* acquired and not released */
    int given;         /* acquisitions of ISOLA_WASI_FD_GIVEN */
    int room;          /* acquisitions left before refusals */
} counter;

static isola_wasi_fd_verdict acquire(void *user, isola_wasi_fd_origin origin)
{
    counter *c = user;
    if (c->room == 0)
        return ISOLA_WASI_FD_ENFILE;
    c->room--;
    c->held++;
    c->given += origin == ISOLA_WASI_FD_GIVEN;
    return ISOLA_WASI_FD_KEEP;
}

static void release(void *user, isola_wasi_fd_origin origin)
{
    (void)origin;
    ((counter *)user)->held--;
}

static isola_wasi_fd_verdict acquire_other(void *user, isola_wasi_fd_origin origin)
{
    return acquire(user, origin);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

static void test_given_descriptors_counted(void **state)
{
    (void)state;
    int fds_before = open_fds();
    counter first = {.room = 100}, second = {.room = 100};
    isola_error err;
    isola_wasi *w = isola_wasi_new(&err);
    assert_non_null(w);
    isola_wasi_fd_hooks hooks = {acquire, release, &first};
    assert_true(isola_wasi_set_fd_hooks(w, &hooks));
    assert_true(isola_wasi_inherit_stdio(w, &err));
    assert_true(isola_wasi_preopen_dir(w, "/", "/", &err));
    assert_int_equal(first.held, 4);
    assert_int_equal(first.given, 4);
    assert_ptr_equal(isola_wasi_fd_hooks_user(w), &first);

    isola_wasi_fd_hooks other = {acquire_other, release, &first};
    assert_false(isola_wasi_set_fd_hooks(w, &other));   /* counted descriptors are open */
    hooks.user = &second;
    assert_true(isola_wasi_set_fd_hooks(w, &hooks));    /* a new user is fine */
    isola_wasi_release(w);
    assert_int_equal(second.held, -4);                  /* released with the user current then */
    assert_int_equal(first.held + second.held, 0);
    assert_int_equal(open_fds(), fds_before);
}

static void test_refused_descriptor_fails_the_call(void **state)
{
    (void)state;
    int fds_before = open_fds();
    counter c = {.room = 2};
    isola_error err;
    isola_wasi *w = isola_wasi_new(&err);
    isola_wasi_fd_hooks hooks = {acquire, release, &c};
    assert_true(isola_wasi_set_fd_hooks(w, &hooks));
    assert_false(isola_wasi_inherit_stdio(w, &err));   /* the third is refused */
    assert_int_equal(err.kind, ISOLA_ERR_RESOURCE);
    assert_false(isola_wasi_preopen_dir(w, "/", "/", &err));
    assert_int_equal(c.held, 2);
    isola_wasi_release(w);
    assert_int_equal(c.held, 0);
    assert_int_equal(open_fds(), fds_before);
}

static void test_uncounted_before_hooks(void **state)
{
    (void)state;
    counter c = {.room = 100};
    isola_error err;
    isola_wasi *w = isola_wasi_new(&err);
    assert_true(isola_wasi_inherit_stdio(w, &err));
    isola_wasi_fd_hooks hooks = {acquire, release, &c};
    assert_true(isola_wasi_set_fd_hooks(w, &hooks));
    assert_true(isola_wasi_preopen_dir(w, "/", "/", &err));
    assert_int_equal(c.held, 1);
    isola_wasi_release(w);   /* stdio was never counted: never released */
    assert_int_equal(c.held, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_given_descriptors_counted),
        cmocka_unit_test(test_refused_descriptor_fails_the_call),
        cmocka_unit_test(test_uncounted_before_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
