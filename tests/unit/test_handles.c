/*
 * test_handles.c - handle tables and revocation: forged and stale handles,
 * rights and type checks, duplicate with fewer rights, take for transfer,
 * the handle-count limit, the last close destroying the object (also when
 * threads race to drop the last references), and revokers (including
 * chained ones and revocation reaching duplicates, and a revocation
 * racing a transfer that moves references without counting them).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proc/handle.h"
#include "proc/message.h"
#include "proc/object.h"
#include "proc/revoker.h"
#include "proc/status.h"

/* ------------------------------------------------------------ a test object */

typedef struct test_object {
    proc_object header;
    int *destroyed;
} test_object;

static void test_object_destroy(proc_object *object)
{
    test_object *t = (test_object *)object;
    (*t->destroyed)++;
    free(t);
}

static proc_object *test_object_new(proc_object_type type, int *destroyed)
{
    test_object *t = malloc(sizeof *t);
    assert_non_null(t);
    proc_object_init(&t->header, type, test_object_destroy);
    t->destroyed = destroyed;
    return &t->header;
}

/* Inserts a new object, handing the creation reference to the table. */
static int32_t insert_new(proc_handle_table *table, int *destroyed, uint32_t rights)
{
    proc_object *object = test_object_new(PROC_OBJ_MODULE, destroyed);
    int32_t h = proc_handle_insert(table, object, rights, NULL);
    assert_true(h > 0);
    return h;
}

/* ------------------------------------------------------------ tests */

static void test_insert_lookup_rights_and_type(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 16);
    int destroyed = 0;
    proc_object *object = test_object_new(PROC_OBJ_MODULE, &destroyed);
    int32_t h = proc_handle_insert(&table, object, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE, NULL);
    assert_true(h > 0);
    assert_int_equal(proc_handle_count(&table), 1);

    proc_object *got = NULL;
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_MODULE, ISOLA_RIGHT_SPAWN, &got), PROC_OK);
    assert_ptr_equal(got, object);
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_NONE, 0, &got), PROC_OK);
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_MODULE, ISOLA_RIGHT_KILL, &got), ISOLA_EACCES);
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_MODULE, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_SEND, &got),
                     ISOLA_EACCES);
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_ENDPOINT, 0, &got), ISOLA_ETYPE);
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_PROCESS, ISOLA_RIGHT_KILL, &got), ISOLA_ETYPE);

    proc_handle_table_fini(&table);
    assert_int_equal(destroyed, 1);
}

static void test_forged_handles(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 16);
    int destroyed = 0;
    int32_t h = insert_new(&table, &destroyed, ISOLA_RIGHTS_ALL);
    uint32_t index = (uint32_t)h & (PROC_HANDLE_MAX_SLOTS - 1);
    const int32_t forged[] = {
        0, -1, INT32_MIN, INT32_MAX, ISOLA_EBADHANDLE,
        (int32_t)index,                                    /* generation 0 */
        h + 1,                                             /* next slot, never used */
        h + (int32_t)(1u << PROC_HANDLE_INDEX_BITS),       /* wrong generation */
        (int32_t)((1u << PROC_HANDLE_INDEX_BITS) | (PROC_HANDLE_MAX_SLOTS - 1)), /* far index */
    };
    proc_object *got = NULL;
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        assert_int_equal(proc_handle_get(&table, forged[i], PROC_OBJ_NONE, 0, &got), ISOLA_EBADHANDLE);
        assert_int_equal(proc_handle_close(&table, forged[i]), ISOLA_EBADHANDLE);
        assert_int_equal(proc_handle_duplicate(&table, forged[i], 0), ISOLA_EBADHANDLE);
    }
    /* Random values: never anything but the one live handle. */
    srand(1234);
    for (int i = 0; i < 100000; i++) {
        int32_t v = (int32_t)(((uint32_t)rand() << 16) ^ (uint32_t)rand());
        int32_t status = proc_handle_get(&table, v, PROC_OBJ_NONE, 0, &got);
        if (v == h)
            assert_int_equal(status, PROC_OK);
        else
            assert_int_equal(status, ISOLA_EBADHANDLE);
    }
    proc_handle_table_fini(&table);
    /* An empty table rejects everything, too. */
    proc_handle_table_init(&table, 16);
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_NONE, 0, &got), ISOLA_EBADHANDLE);
    proc_handle_table_fini(&table);
    assert_int_equal(destroyed, 1);
}

static void test_stale_handle_after_slot_reuse(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 1); /* one slot: every insert reuses it */
    int destroyed = 0;
    int32_t old = insert_new(&table, &destroyed, ISOLA_RIGHTS_ALL);
    assert_int_equal(proc_handle_close(&table, old), PROC_OK);
    assert_int_equal(destroyed, 1);
    assert_int_equal(proc_handle_close(&table, old), ISOLA_EBADHANDLE); /* double close */

    int32_t now = insert_new(&table, &destroyed, ISOLA_RIGHTS_ALL);
    assert_int_not_equal(now, old);
    assert_int_equal((uint32_t)now & (PROC_HANDLE_MAX_SLOTS - 1), (uint32_t)old & (PROC_HANDLE_MAX_SLOTS - 1));
    proc_object *got = NULL;
    assert_int_equal(proc_handle_get(&table, old, PROC_OBJ_NONE, 0, &got), ISOLA_EBADHANDLE);
    assert_int_equal(proc_handle_get(&table, now, PROC_OBJ_NONE, 0, &got), PROC_OK);

    /* Every earlier value stays dead until the generation wraps. */
    int32_t seen[64];
    seen[0] = old;
    seen[1] = now;
    for (int i = 2; i < 64; i++) {
        assert_int_equal(proc_handle_close(&table, seen[i - 1]), PROC_OK);
        seen[i] = insert_new(&table, &destroyed, ISOLA_RIGHTS_ALL);
        for (int j = 0; j < i; j++)
            assert_int_equal(proc_handle_get(&table, seen[j], PROC_OBJ_NONE, 0, &got), ISOLA_EBADHANDLE);
    }
    proc_handle_table_fini(&table);
    assert_int_equal(destroyed, 64);
}

static void test_free_slots_reused_oldest_first(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 4);
    int destroyed = 0;
    int32_t h[4];
    for (int i = 0; i < 4; i++)
        h[i] = insert_new(&table, &destroyed, 0);
    assert_int_equal(proc_handle_close(&table, h[2]), PROC_OK);
    assert_int_equal(proc_handle_close(&table, h[0]), PROC_OK);
    int32_t a = insert_new(&table, &destroyed, 0);
    int32_t b = insert_new(&table, &destroyed, 0);
    uint32_t mask = PROC_HANDLE_MAX_SLOTS - 1;
    assert_int_equal((uint32_t)a & mask, (uint32_t)h[2] & mask);
    assert_int_equal((uint32_t)b & mask, (uint32_t)h[0] & mask);
    proc_handle_table_fini(&table);
    assert_int_equal(destroyed, 6);
}

static void test_handle_count_limit(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 3);
    int destroyed = 0;
    int32_t h[3];
    for (int i = 0; i < 3; i++)
        h[i] = insert_new(&table, &destroyed, ISOLA_RIGHT_DUPLICATE);
    proc_object *extra = test_object_new(PROC_OBJ_MODULE, &destroyed);
    assert_int_equal(proc_handle_insert(&table, extra, 0, NULL), ISOLA_ELIMIT);
    assert_int_equal(proc_handle_duplicate(&table, h[0], 0), ISOLA_ELIMIT);
    assert_int_equal(proc_handle_reserve(&table, 1), ISOLA_ELIMIT);
    assert_int_equal(proc_handle_count(&table), 3);
    assert_int_equal(proc_object_refcount(extra), 1); /* caller kept its reference */
    assert_int_equal(proc_handle_close(&table, h[1]), PROC_OK);
    assert_true(proc_handle_insert(&table, extra, 0, NULL) > 0);
    proc_handle_table_fini(&table);
    assert_int_equal(destroyed, 4);
}

static void test_many_handles_grow(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 100000);
    int destroyed = 0;
    proc_object *object = test_object_new(PROC_OBJ_MODULE, &destroyed);
    int32_t first = proc_handle_insert(&table, object, ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_SEND, NULL);
    for (int i = 1; i < 100000; i++)
        assert_true(proc_handle_duplicate(&table, first, ISOLA_RIGHT_SEND) > 0);
    assert_int_equal(proc_handle_count(&table), 100000);
    assert_int_equal(proc_object_refcount(object), 100000);
    assert_int_equal(proc_handle_duplicate(&table, first, 0), ISOLA_ELIMIT);
    proc_handle_table_fini(&table);
    assert_int_equal(destroyed, 1);
}

/* Threads that each hold one reference drop them at once: the object is
 * destroyed exactly once, whichever of them sees the count at 1 and skips
 * the decrement (util/refcount.h). */
typedef struct release_race {
    proc_object *object;
    pthread_barrier_t *start;
} release_race;

static void *release_race_thread(void *arg)
{
    release_race *r = arg;
    pthread_barrier_wait(r->start);
    proc_object_release(r->object);
    return NULL;
}

static void test_concurrent_release_destroys_once(void **state)
{
    (void)state;
    enum { THREADS = 4, ROUNDS = 1000 };
    for (int round = 0; round < ROUNDS; round++) {
        int destroyed = 0;
        proc_object *object = test_object_new(PROC_OBJ_MODULE, &destroyed);
        for (int i = 1; i < THREADS; i++)
            proc_object_retain(object);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, THREADS);
        release_race race = {.object = object, .start = &start};
        pthread_t threads[THREADS];
        for (int i = 0; i < THREADS; i++)
            assert_int_equal(pthread_create(&threads[i], NULL, release_race_thread, &race), 0);
        for (int i = 0; i < THREADS; i++)
            pthread_join(threads[i], NULL);
        pthread_barrier_destroy(&start);
        assert_int_equal(destroyed, 1);
    }
}

/* A thread's stock of module references: retains and releases there trade
 * with the shared count in batches; the stock follows the module last
 * retained; a release of another module, and any other object, go to the
 * count; a module dies only when its stock references are given back,
 * exactly once. */
static void test_reference_stock(void **state)
{
    (void)state;
    int destroyed = 0, other_destroyed = 0, third_destroyed = 0, endpoint_destroyed = 0;
    proc_object *module = test_object_new(PROC_OBJ_MODULE, &destroyed);
    proc_object *other = test_object_new(PROC_OBJ_MODULE, &other_destroyed);
    proc_object *third = test_object_new(PROC_OBJ_MODULE, &third_destroyed);
    proc_object *endpoint = test_object_new(PROC_OBJ_ENDPOINT, &endpoint_destroyed);
    proc_object_stock stock = {0};
    proc_object_bind_stock(&stock);
    proc_object_retain(module);
    assert_int_equal(proc_object_refcount(module), 1 + PROC_OBJECT_STOCK_BATCH);
    assert_int_equal(stock.refs, PROC_OBJECT_STOCK_BATCH - 1);
    for (uint32_t i = 0; i < 3 * PROC_OBJECT_STOCK_BATCH; i++)
        proc_object_retain(module);
    for (uint32_t i = 0; i < 3 * PROC_OBJECT_STOCK_BATCH + 1; i++)
        proc_object_release(module);
    assert_true(proc_object_refcount(module) <= 1 + 2 * PROC_OBJECT_STOCK_BATCH);
    proc_object_release(module);   /* the creator's: the stock keeps it alive */
    assert_int_equal(destroyed, 0);
    proc_object_retain(other);     /* the stock moves on: `module` gets its references back, and dies */
    assert_int_equal(destroyed, 1);
    assert_int_equal(proc_object_refcount(other), 1 + PROC_OBJECT_STOCK_BATCH);
    proc_object_retain_n(third, 1);
    proc_object_release(third);    /* not the stock's module: straight to its count */
    assert_int_equal(proc_object_refcount(third), 1);
    proc_object_retain(endpoint);  /* never stocked */
    assert_int_equal(proc_object_refcount(endpoint), 2);
    proc_object_release(endpoint);
    proc_object_release(endpoint);
    proc_object_release(other);
    proc_object_release(other);
    assert_int_equal(other_destroyed, 0);
    proc_object_bind_stock(NULL);
    proc_object_stock_flush(&stock);
    assert_int_equal(other_destroyed, 1);
    assert_int_equal(stock.refs, 0);
    proc_object_release(third);
    assert_int_equal(third_destroyed + endpoint_destroyed + destroyed, 3);
}

static void test_duplicate_with_fewer_rights(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 16);
    int destroyed = 0;
    uint32_t all = ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER;
    int32_t h = insert_new(&table, &destroyed, all);
    int32_t send_only = proc_handle_duplicate(&table, h, ISOLA_RIGHT_SEND);
    assert_true(send_only > 0 && send_only != h);
    proc_object *a = NULL, *b = NULL;
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_NONE, 0, &a), PROC_OK);
    assert_int_equal(proc_handle_get(&table, send_only, PROC_OBJ_NONE, ISOLA_RIGHT_SEND, &b), PROC_OK);
    assert_ptr_equal(a, b);
    assert_int_equal(proc_object_refcount(a), 2);
    /* The copy cannot be duplicated, transferred, or widened. */
    assert_int_equal(proc_handle_duplicate(&table, send_only, ISOLA_RIGHT_SEND), ISOLA_EACCES);
    assert_int_equal(proc_handle_get(&table, send_only, PROC_OBJ_NONE, ISOLA_RIGHT_TRANSFER, &b), ISOLA_EACCES);
    /* Asking for more than the source has, or for unknown bits. */
    assert_int_equal(proc_handle_duplicate(&table, h, all | ISOLA_RIGHT_KILL), ISOLA_EACCES);
    assert_int_equal(proc_handle_duplicate(&table, h, 1u << 30), ISOLA_EINVAL);
    /* Closing one leaves the other working; the last close destroys. */
    assert_int_equal(proc_handle_close(&table, h), PROC_OK);
    assert_int_equal(destroyed, 0);
    assert_int_equal(proc_handle_get(&table, send_only, PROC_OBJ_NONE, ISOLA_RIGHT_SEND, &b), PROC_OK);
    assert_int_equal(proc_handle_close(&table, send_only), PROC_OK);
    assert_int_equal(destroyed, 1);
    assert_int_equal(proc_handle_count(&table), 0);
    proc_handle_table_fini(&table);
}

static void test_take_for_transfer(void **state)
{
    (void)state;
    proc_handle_table from, to;
    proc_handle_table_init(&from, 16);
    proc_handle_table_init(&to, 16);
    int destroyed = 0;
    int32_t no_transfer = insert_new(&from, &destroyed, ISOLA_RIGHT_SEND);
    int32_t movable = insert_new(&from, &destroyed, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER);
    proc_handle_entry taken;
    assert_int_equal(proc_handle_take(&from, no_transfer, &taken), ISOLA_EACCES);
    assert_int_equal(proc_handle_count(&from), 2);
    assert_int_equal(proc_handle_take(&from, movable, &taken), PROC_OK);
    assert_int_equal(proc_handle_count(&from), 1);
    proc_object *got = NULL;
    assert_int_equal(proc_handle_get(&from, movable, PROC_OBJ_NONE, 0, &got), ISOLA_EBADHANDLE);
    assert_int_equal(proc_object_refcount(taken.object), 1);
    int32_t moved = proc_handle_insert(&to, taken.object, taken.rights, taken.gate);
    assert_true(moved > 0);
    assert_int_equal(proc_handle_get(&to, moved, PROC_OBJ_NONE, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER, &got),
                     PROC_OK);
    assert_ptr_equal(got, taken.object);
    proc_handle_table_fini(&from);
    assert_int_equal(destroyed, 1);
    proc_handle_table_fini(&to);
    assert_int_equal(destroyed, 2);
}

static void test_revocation(void **state)
{
    (void)state;
    proc_handle_table table, other;
    proc_handle_table_init(&table, 16);
    proc_handle_table_init(&other, 16);
    int destroyed = 0;
    uint32_t rights = ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER;
    int32_t original = insert_new(&table, &destroyed, rights);
    int32_t derived, revoker;
    assert_int_equal(proc_handle_derive_revocable(&table, original, rights, &derived, &revoker), PROC_OK);
    assert_int_equal(proc_handle_count(&table), 3);

    /* The derived handle works, travels, and is duplicated, all before revocation. */
    int32_t dup = proc_handle_duplicate(&table, derived, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER);
    assert_true(dup > 0);
    proc_handle_entry taken;
    assert_int_equal(proc_handle_take(&table, dup, &taken), PROC_OK);
    assert_non_null(taken.gate);
    int32_t far = proc_handle_insert(&other, taken.object, taken.rights, taken.gate);
    assert_true(far > 0);
    proc_object *got = NULL;
    assert_int_equal(proc_handle_get(&other, far, PROC_OBJ_NONE, ISOLA_RIGHT_SEND, &got), PROC_OK);

    /* The revoker handle needs REVOKE; a plain handle is not a revoker. */
    int32_t weak = proc_handle_duplicate(&table, revoker, ISOLA_RIGHT_TRANSFER);
    assert_int_equal(proc_handle_revoke(&table, weak), ISOLA_EACCES);
    assert_int_equal(proc_handle_revoke(&table, original), ISOLA_ETYPE);
    assert_int_equal(proc_handle_revoke(&table, revoker), PROC_OK);

    assert_int_equal(proc_handle_get(&table, derived, PROC_OBJ_NONE, 0, &got), ISOLA_EREVOKED);
    assert_int_equal(proc_handle_get(&other, far, PROC_OBJ_NONE, ISOLA_RIGHT_SEND, &got), ISOLA_EREVOKED);
    assert_int_equal(proc_handle_duplicate(&table, derived, 0), ISOLA_EREVOKED);
    assert_int_equal(proc_handle_take(&table, derived, &taken), ISOLA_EREVOKED);
    /* The original is untouched; revoked handles can still be closed. */
    assert_int_equal(proc_handle_get(&table, original, PROC_OBJ_NONE, ISOLA_RIGHT_SEND, &got), PROC_OK);
    assert_int_equal(proc_handle_close(&table, derived), PROC_OK);
    assert_int_equal(proc_handle_close(&other, far), PROC_OK);
    assert_int_equal(destroyed, 0);
    proc_handle_table_fini(&table);
    proc_handle_table_fini(&other);
    assert_int_equal(destroyed, 1);
}

static void test_chained_revokers(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 16);
    int destroyed = 0;
    uint32_t rights = ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE;
    int32_t original = insert_new(&table, &destroyed, rights);
    int32_t outer, outer_revoker, inner, inner_revoker, sibling, sibling_revoker;
    assert_int_equal(proc_handle_derive_revocable(&table, original, rights, &outer, &outer_revoker), PROC_OK);
    assert_int_equal(proc_handle_derive_revocable(&table, outer, rights, &inner, &inner_revoker), PROC_OK);
    assert_int_equal(proc_handle_derive_revocable(&table, outer, rights, &sibling, &sibling_revoker), PROC_OK);
    proc_object *got = NULL;
    /* Revoking the inner revoker cuts only the inner handle. */
    assert_int_equal(proc_handle_revoke(&table, inner_revoker), PROC_OK);
    assert_int_equal(proc_handle_get(&table, inner, PROC_OBJ_NONE, 0, &got), ISOLA_EREVOKED);
    assert_int_equal(proc_handle_get(&table, outer, PROC_OBJ_NONE, 0, &got), PROC_OK);
    assert_int_equal(proc_handle_get(&table, sibling, PROC_OBJ_NONE, 0, &got), PROC_OK);
    /* Revoking the outer one cuts everything derived through it. */
    assert_int_equal(proc_handle_revoke(&table, outer_revoker), PROC_OK);
    assert_int_equal(proc_handle_get(&table, outer, PROC_OBJ_NONE, 0, &got), ISOLA_EREVOKED);
    assert_int_equal(proc_handle_get(&table, sibling, PROC_OBJ_NONE, 0, &got), ISOLA_EREVOKED);
    assert_int_equal(proc_handle_get(&table, original, PROC_OBJ_NONE, 0, &got), PROC_OK);
    /* Closing the revoker handles first is fine: gates hold their own references. */
    assert_int_equal(proc_handle_close(&table, outer_revoker), PROC_OK);
    assert_int_equal(proc_handle_get(&table, sibling, PROC_OBJ_NONE, 0, &got), ISOLA_EREVOKED);
    proc_handle_table_fini(&table);
    assert_int_equal(destroyed, 1);
}

/* Deriving through two revokers in turn, closing the old handle each time,
 * joins the gates into an ever longer chain while the process holds only
 * four handles: it stops at ISOLA_ELIMIT, and the chain still revokes and
 * is freed whole. */
static void test_revoker_chain_bounded(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 16);
    int destroyed = 0;
    uint32_t rights = ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE;
    int32_t h = insert_new(&table, &destroyed, rights);
    int32_t r[2] = {proc_revoker_handle_new(&table), proc_revoker_handle_new(&table)};
    assert_true(r[0] > 0 && r[1] > 0);
    int32_t status = PROC_OK;
    int derivations = 0;
    for (; derivations < 100000; derivations++) {
        int32_t d = proc_revoker_derive(&table, h, r[derivations % 2], rights);
        if (d < 0) {
            status = d;
            break;
        }
        assert_int_equal(proc_handle_close(&table, h), PROC_OK);
        h = d;
    }
    assert_int_equal(status, ISOLA_ELIMIT);
    assert_in_range(derivations, 5, PROC_REVOKER_MAX_WEIGHT);
    proc_object *got = NULL;
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_NONE, 0, &got), PROC_OK);
    /* The same through revocable derivations, each a new revoker under the last gate. */
    int32_t chain = h, derived, revoker;
    for (derivations = 0; derivations < 100000; derivations++) {
        status = proc_handle_derive_revocable(&table, chain, rights, &derived, &revoker);
        if (status != PROC_OK)
            break;
        assert_int_equal(proc_handle_close(&table, revoker), PROC_OK);
        if (chain != h)
            assert_int_equal(proc_handle_close(&table, chain), PROC_OK);
        chain = derived;
    }
    assert_int_equal(status, ISOLA_ELIMIT);
    assert_in_range(derivations, 0, PROC_REVOKER_MAX_WEIGHT);
    assert_int_equal(proc_handle_revoke(&table, r[0]), PROC_OK);
    assert_int_equal(proc_handle_get(&table, h, PROC_OBJ_NONE, 0, &got), ISOLA_EREVOKED);
    proc_handle_table_fini(&table);
    assert_int_equal(destroyed, 1);
}

/* A revocation between a transfer's checks and its commit (another thread
 * revokes while a spawn runs the child's start function, or during a
 * hand-off): the moved entries must still leave the sender, or the sender
 * and the receiver would own one reference between them and the object
 * would be destroyed twice. Both ways a transfer moves references without
 * counting them: a borrowing message, and a table-to-table move. */
static void test_revoked_during_move(void **state)
{
    (void)state;
    for (int way = 0; way < 2; way++) {
        proc_handle_table sender, receiver;
        proc_handle_table_init(&sender, 16);
        proc_handle_table_init(&receiver, 16);
        int destroyed = 0;
        uint32_t rights = ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER;
        int32_t original = insert_new(&sender, &destroyed, rights);
        int32_t derived, revoker;
        assert_int_equal(proc_handle_derive_revocable(&sender, original, rights, &derived, &revoker), PROC_OK);
        assert_int_equal(proc_handle_reserve(&receiver, 1), PROC_OK);
        int32_t moved = 0;
        if (way == 0) {
            proc_message *m = NULL;
            assert_int_equal(proc_message_build_borrowing(&sender, NULL, 1, NULL, 0, &derived, 1, &m), PROC_OK);
            assert_int_equal(proc_handle_revoke(&sender, revoker), PROC_OK);   /* "another thread" */
            proc_message_commit_move(&sender, &derived, 1);
            proc_message_install_handles(m, &receiver, &moved, 1);
            proc_message_free(m);
        } else {
            assert_int_equal(proc_message_check_handles(&sender, NULL, &derived, 1), PROC_OK);
            assert_int_equal(proc_handle_revoke(&sender, revoker), PROC_OK);
            uint8_t out[4];
            proc_message_move_handles(&sender, &derived, 1, &receiver, out);
            memcpy(&moved, out, sizeof moved);
        }
        /* Gone from the sender, revoked at the receiver, destroyed once. */
        assert_int_equal(proc_handle_close(&sender, derived), ISOLA_EBADHANDLE);
        proc_object *got = NULL;
        assert_int_equal(proc_handle_get(&receiver, moved, PROC_OBJ_NONE, 0, &got), ISOLA_EREVOKED);
        assert_int_equal(proc_handle_close(&receiver, moved), PROC_OK);
        assert_int_equal(destroyed, 0);   /* the original still holds it */
        proc_handle_table_fini(&sender);
        proc_handle_table_fini(&receiver);
        assert_int_equal(destroyed, 1);
    }
}

static void test_revoke_without_derivation_rights(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 3);
    int destroyed = 0;
    int32_t plain = insert_new(&table, &destroyed, ISOLA_RIGHT_SEND);
    int32_t d, r;
    assert_int_equal(proc_handle_derive_revocable(&table, plain, ISOLA_RIGHT_SEND, &d, &r), ISOLA_EACCES);
    int32_t dupable = insert_new(&table, &destroyed, ISOLA_RIGHT_DUPLICATE);
    /* Needs two free slots: all or nothing. */
    assert_int_equal(proc_handle_derive_revocable(&table, dupable, 0, &d, &r), ISOLA_ELIMIT);
    assert_int_equal(proc_handle_count(&table), 2);
    proc_handle_table_fini(&table);
    assert_int_equal(destroyed, 2);
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(proc_status_name(ISOLA_EBADHANDLE), "ISOLA_EBADHANDLE");
    assert_string_equal(proc_status_name(ISOLA_EBUSY), "ISOLA_EBUSY");
    assert_string_equal(proc_status_name(-999), "ISOLA_E?");
    assert_string_equal(proc_status_name(5), "ISOLA_E?");
    assert_string_equal(proc_status_message(ISOLA_EACCES), "the handle lacks a required right");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_lookup_rights_and_type),
        cmocka_unit_test(test_forged_handles),
        cmocka_unit_test(test_stale_handle_after_slot_reuse),
        cmocka_unit_test(test_free_slots_reused_oldest_first),
        cmocka_unit_test(test_handle_count_limit),
        cmocka_unit_test(test_many_handles_grow),
        cmocka_unit_test(test_concurrent_release_destroys_once),
        cmocka_unit_test(test_duplicate_with_fewer_rights),
        cmocka_unit_test(test_take_for_transfer),
        cmocka_unit_test(test_revocation),
        cmocka_unit_test(test_chained_revokers),
        cmocka_unit_test(test_revoker_chain_bounded),
        cmocka_unit_test(test_revoke_without_derivation_rights),
        cmocka_unit_test(test_revoked_during_move),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_reference_stock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
