/*
 * test_limits.c - nested quotas: a child's grant is clamped to what its
 * parent has left, shared budgets (memory, total fuel, live descendants)
 * are reserved until the child exits, caps never exceed the parent's, and
 * a spawn bomb stops at its ancestor's quota.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "proc/limits.h"
#include "proc/object.h"
#include "proc/status.h"

static proc_limits small_parent(void)
{
    return (proc_limits){
        .memory_pages = 100,
        .fuel_per_slice = 1000,
        .fuel_total = 10000,
        .queue_count = 16,
        .queue_bytes = 4096,
        .handle_count = 32,
        .live_children = 10,
    };
}

static void test_grant_clamped_and_reserved(void **state)
{
    (void)state;
    proc_quota parent;
    proc_quota_init(&parent, small_parent());
    proc_limits ask = proc_limits_unlimited();
    ask.memory_pages = 30;
    ask.fuel_total = 4000;
    ask.live_children = 3;
    proc_limits child;
    assert_int_equal(proc_quota_spawn(&parent, &ask, &child), PROC_OK);
    assert_int_equal(child.memory_pages, 30);
    assert_int_equal(child.fuel_total, 4000);
    assert_int_equal(child.live_children, 3);
    /* Caps: never above the parent's. */
    assert_int_equal(child.fuel_per_slice, 1000);
    assert_int_equal(child.queue_count, 16);
    assert_int_equal(child.queue_bytes, 4096);
    assert_int_equal(child.handle_count, 32);

    proc_limits left;
    proc_quota_remaining(&parent, &left);
    assert_int_equal(left.memory_pages, 70);
    assert_int_equal(left.fuel_total, 6000);
    assert_int_equal(left.live_children, 6); /* the child and its 3 descendants */

    /* A greedy second child gets what is left, not what it asked. */
    proc_limits greedy;
    ask = proc_limits_unlimited();
    assert_int_equal(proc_quota_spawn(&parent, &ask, &greedy), PROC_OK);
    assert_int_equal(greedy.memory_pages, 70);
    assert_int_equal(greedy.fuel_total, 6000);
    assert_int_equal(greedy.live_children, 5);
    proc_quota_remaining(&parent, &left);
    assert_int_equal(left.memory_pages, 0);
    assert_int_equal(left.live_children, 0);
    proc_limits none;
    assert_int_equal(proc_quota_spawn(&parent, &ask, &none), ISOLA_ELIMIT);

    /* Exits give back reservations; burnt fuel stays burnt. */
    proc_quota_child_exit(&parent, &greedy, 1000);
    proc_quota_child_exit(&parent, &child, 4000);
    proc_quota_remaining(&parent, &left);
    assert_int_equal(left.memory_pages, 100);
    assert_int_equal(left.live_children, 10);
    assert_int_equal(left.fuel_total, 10000 - 1000 - 4000);
}

static void test_own_usage_counts_against_children(void **state)
{
    (void)state;
    proc_quota parent;
    proc_quota_init(&parent, small_parent());
    assert_int_equal(proc_quota_charge_pages(&parent, 90), PROC_OK);
    assert_int_equal(proc_quota_charge_pages(&parent, 11), ISOLA_ELIMIT);
    assert_int_equal(proc_quota_charge_fuel(&parent, 9000), PROC_OK);
    proc_limits ask = proc_limits_default(), child;
    assert_int_equal(proc_quota_spawn(&parent, &ask, &child), PROC_OK);
    assert_int_equal(child.memory_pages, 10);
    assert_int_equal(child.fuel_total, 1000);
    /* Now the parent itself cannot grow: its children hold the rest. */
    assert_int_equal(proc_quota_charge_pages(&parent, 1), ISOLA_ELIMIT);
    assert_int_equal(proc_quota_charge_fuel(&parent, 1), ISOLA_ELIMIT);
    proc_quota_child_exit(&parent, &child, 0);
    assert_int_equal(proc_quota_charge_pages(&parent, 10), PROC_OK);
    proc_quota_release_pages(&parent, 100);
    assert_int_equal(proc_quota_charge_pages(&parent, 100), PROC_OK);
    /* Fuel over the total: the rest is charged and the caller must stop. */
    assert_int_equal(proc_quota_charge_fuel(&parent, 5000), ISOLA_ELIMIT);
    proc_limits left;
    proc_quota_remaining(&parent, &left);
    assert_int_equal(left.fuel_total, 0);
}

/* Each process spawns as many children as it can, recursively: the tree
 * under a root with live_children = N never holds more than N processes. */
static uint32_t spawn_bomb(proc_quota *parent, int depth, uint32_t *max_depth)
{
    if ((uint32_t)depth > *max_depth)
        *max_depth = (uint32_t)depth;
    uint32_t spawned = 0;
    proc_limits ask = proc_limits_unlimited();
    ask.live_children = 3; /* each asks for a small subtree, to make a wide tree */
    for (;;) {
        proc_limits granted;
        if (proc_quota_spawn(parent, &ask, &granted) != PROC_OK)
            break;
        proc_quota child;
        proc_quota_init(&child, granted);
        spawned += 1 + spawn_bomb(&child, depth + 1, max_depth);
        /* keep the child alive (its reservation stays) for the rest of the loop */
    }
    return spawned;
}

static void test_spawn_bomb_contained(void **state)
{
    (void)state;
    proc_limits root_limits = proc_limits_unlimited();
    root_limits.live_children = 100;
    proc_quota root;
    proc_quota_init(&root, root_limits);
    uint32_t max_depth = 0;
    uint32_t total = spawn_bomb(&root, 0, &max_depth);
    assert_int_equal(total, 100);
    assert_true(max_depth >= 2);
    proc_limits left;
    proc_quota_remaining(&root, &left);
    assert_int_equal(left.live_children, 0);
}

static void test_unlimited_parent_is_not_counted(void **state)
{
    (void)state;
    proc_quota root;
    proc_quota_init(&root, proc_limits_unlimited());
    proc_limits ask = proc_limits_default(), a, b;
    assert_int_equal(proc_quota_spawn(&root, &ask, &a), PROC_OK);
    assert_int_equal(proc_quota_spawn(&root, &ask, &b), PROC_OK);
    assert_int_equal(a.memory_pages, ask.memory_pages);
    assert_int_equal(b.live_children, ask.live_children);
    assert_int_equal(proc_quota_charge_pages(&root, UINT32_MAX - 1), PROC_OK);
    proc_quota_child_exit(&root, &a, 123);
    proc_quota_child_exit(&root, &b, 0);
    proc_limits left;
    proc_quota_remaining(&root, &left);
    assert_int_equal(left.memory_pages, PROC_LIMIT_UNLIMITED32);
    assert_true(left.fuel_total == PROC_LIMIT_UNLIMITED64);
}

static void test_zero_children_budget(void **state)
{
    (void)state;
    proc_limits limits = small_parent();
    limits.live_children = 0;
    proc_quota q;
    proc_quota_init(&q, limits);
    proc_limits ask = proc_limits_default(), child;
    assert_int_equal(proc_quota_spawn(&q, &ask, &child), ISOLA_ELIMIT);
}

static int makers_destroyed;

static void maker_destroy(proc_object *object)
{
    (void)object;
    makers_destroyed++;
}

/* The objects a process made (channels, directories) count against its
 * handle-count limit wherever the handles to them went, keep its quota
 * alive, and one that ends with some still alive keeps its slot among its
 * parent's live children until the last is gone. */
static void test_objects_counted_and_slot_held(void **state)
{
    (void)state;
    proc_limits parent_limits = small_parent();
    parent_limits.live_children = 1;
    proc_quota parent;
    proc_quota_init(&parent, parent_limits);
    proc_limits ask = proc_limits_default(), granted;
    ask.live_children = 0;
    assert_int_equal(proc_quota_spawn(&parent, &ask, &granted), PROC_OK);
    assert_int_equal(granted.handle_count, 32);
    proc_quota child;
    proc_quota_init(&child, granted);
    proc_object maker;
    proc_object_init(&maker, PROC_OBJ_PROCESS, maker_destroy);
    makers_destroyed = 0;
    proc_quota_charge charges[33];
    for (uint32_t i = 0; i < 32; i++)
        assert_int_equal(proc_quota_charge_object(&charges[i], &child, &maker), PROC_OK);
    assert_int_equal(proc_quota_charge_object(&charges[32], &child, &maker), ISOLA_ELIMIT);
    assert_null(charges[32].quota);
    proc_quota_release_object(&charges[0]);
    assert_int_equal(proc_quota_charge_object(&charges[0], &child, &maker), PROC_OK);
    assert_int_equal(atomic_load(&maker.refcount), 33);

    proc_quota_owner_exit(&child, &parent, &granted);
    proc_object_release(&maker);   /* the maker's own reference: the charges keep it */
    proc_limits left;
    proc_quota_remaining(&parent, &left);
    assert_int_equal(left.live_children, 0);   /* held by the 32 objects */
    assert_int_equal(proc_quota_spawn(&parent, &ask, &granted), ISOLA_ELIMIT);
    for (uint32_t i = 0; i < 31; i++)
        proc_quota_release_object(&charges[i]);
    proc_quota_remaining(&parent, &left);
    assert_int_equal(left.live_children, 0);
    assert_int_equal(makers_destroyed, 0);
    proc_quota_release_object(&charges[31]);
    assert_int_equal(makers_destroyed, 1);
    proc_quota_remaining(&parent, &left);
    assert_int_equal(left.live_children, 1);
    assert_int_equal(left.memory_pages, 100);
}

/* An ended quota says whether anything may still come back through it
 * (then its process keeps its parent alive; else it lets it go). */
static void test_owner_exit_says_what_is_owed(void **state)
{
    (void)state;
    proc_quota parent;
    proc_quota_init(&parent, small_parent());
    proc_limits ask = proc_limits_default(), granted, grandchild;
    ask.live_children = 2;
    proc_object maker;
    proc_object_init(&maker, PROC_OBJ_PROCESS, maker_destroy);

    assert_int_equal(proc_quota_spawn(&parent, &ask, &granted), PROC_OK);
    proc_quota leaf;
    proc_quota_init(&leaf, granted);
    assert_false(proc_quota_owner_exit(&leaf, &parent, &granted));

    assert_int_equal(proc_quota_spawn(&parent, &ask, &granted), PROC_OK);
    proc_quota mid;
    proc_quota_init(&mid, granted);
    ask.live_children = 0;
    assert_int_equal(proc_quota_spawn(&mid, &ask, &grandchild), PROC_OK);
    assert_true(proc_quota_owner_exit(&mid, &parent, &granted));
    proc_quota_child_exit(&mid, &grandchild, 0);

    assert_int_equal(proc_quota_spawn(&parent, &ask, &granted), PROC_OK);
    proc_quota maker_quota;
    proc_quota_init(&maker_quota, granted);
    proc_quota_charge charge;
    assert_int_equal(proc_quota_charge_object(&charge, &maker_quota, &maker), PROC_OK);
    assert_true(proc_quota_owner_exit(&maker_quota, &parent, &granted));
    proc_quota_release_object(&charge);
    proc_limits left;
    proc_quota_remaining(&parent, &left);
    assert_int_equal(left.live_children, 10);
}

static void test_unlimited_handles_count_no_objects(void **state)
{
    (void)state;
    proc_quota q;
    proc_quota_init(&q, proc_limits_unlimited());
    proc_object maker;
    proc_object_init(&maker, PROC_OBJ_PROCESS, maker_destroy);
    for (uint32_t i = 0; i < 100000; i++) {
        proc_quota_charge c;
        assert_int_equal(proc_quota_charge_object(&c, &q, &maker), PROC_OK);
        assert_null(c.quota);
    }
    assert_int_equal(q.objects_made, 0);
    assert_int_equal(atomic_load(&maker.refcount), 1);
}

/* What a process holds itself (its WASI descriptors) shares the handle
 * limit with the objects it made, and gives its units straight back. */
static void test_held_share_the_object_count(void **state)
{
    (void)state;
    proc_limits l = proc_limits_default();
    l.handle_count = 4;
    proc_quota q;
    proc_quota_init(&q, l);
    proc_object maker;
    proc_object_init(&maker, PROC_OBJ_PROCESS, maker_destroy);
    proc_quota_charge object;
    assert_int_equal(proc_quota_charge_object(&object, &q, &maker), PROC_OK);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(proc_quota_charge_held(&q), PROC_OK);
    assert_int_equal(proc_quota_charge_held(&q), ISOLA_ELIMIT);
    assert_int_equal(q.objects_made, 4);
    proc_quota_release_held(&q);
    assert_int_equal(proc_quota_charge_held(&q), PROC_OK);
    proc_quota_release_object(&object);
    assert_int_equal(proc_quota_charge_held(&q), PROC_OK);
    for (uint32_t i = 0; i < 4; i++)
        proc_quota_release_held(&q);
    assert_int_equal(q.objects_made, 0);
    assert_int_equal(atomic_load(&maker.refcount), 1);   /* held units keep no reference */

    proc_quota unlimited;
    proc_quota_init(&unlimited, proc_limits_unlimited());
    for (uint32_t i = 0; i < 100000; i++)
        assert_int_equal(proc_quota_charge_held(&unlimited), PROC_OK);
    proc_quota_release_held(&unlimited);
    assert_int_equal(unlimited.objects_made, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grant_clamped_and_reserved),
        cmocka_unit_test(test_own_usage_counts_against_children),
        cmocka_unit_test(test_spawn_bomb_contained),
        cmocka_unit_test(test_unlimited_parent_is_not_counted),
        cmocka_unit_test(test_zero_children_budget),
        cmocka_unit_test(test_objects_counted_and_slot_held),
        cmocka_unit_test(test_unlimited_handles_count_no_objects),
        cmocka_unit_test(test_owner_exit_says_what_is_owed),
        cmocka_unit_test(test_held_share_the_object_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
