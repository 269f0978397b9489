/*
 * test_channels.c - messages and channels end to end at the kernel-object
 * layer: bytes copied once into one allocation, handles moved (gone from the
 * sender) and all-or-nothing on failure, bounded queues, selective receive
 * by tag, peer close, one-way channels (mailboxes), parking and waking of
 * receivers and senders, several
 * threads sending to one queue, and a timing of a 16-byte ping-pong.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "proc/channel.h"
#include "proc/handle.h"
#include "proc/ipc.h"
#include "proc/message.h"
#include "proc/object.h"
#include "proc/status.h"

#define ALL_ENDPOINT_RIGHTS \
    (ISOLA_RIGHT_SEND | ISOLA_RIGHT_RECEIVE | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)

static const proc_queue_limits small_limits = {.max_count = 4, .max_bytes = 64};
static const proc_queue_limits roomy_limits = {.max_count = 1024, .max_bytes = 1 << 20};

/* ------------------------------------------------------------ helpers */

typedef struct test_object {
    proc_object header;
    atomic_int *destroyed;
} test_object;

static void test_object_destroy(proc_object *object)
{
    test_object *t = (test_object *)object;
    atomic_fetch_add(t->destroyed, 1);
    free(t);
}

static int32_t insert_test_object(proc_handle_table *table, atomic_int *destroyed, uint32_t rights)
{
    test_object *t = malloc(sizeof *t);
    assert_non_null(t);
    proc_object_init(&t->header, PROC_OBJ_TIMER, test_object_destroy);
    t->destroyed = destroyed;
    int32_t h = proc_handle_insert(table, &t->header, rights, NULL);
    assert_true(h > 0);
    return h;
}

/* Counts message blocks: allocations, frees and live bytes. */
static atomic_int alloc_count;
static atomic_int free_count;

static void *counting_alloc(size_t size, void *context)
{
    (void)context;
    atomic_fetch_add(&alloc_count, 1);
    return malloc(size);
}

static void counting_free(void *block, size_t size, void *context)
{
    (void)size;
    (void)context;
    atomic_fetch_add(&free_count, 1);
    free(block);
}

static int count_setup(void **state)
{
    (void)state;
    atomic_store(&alloc_count, 0);
    atomic_store(&free_count, 0);
    static const proc_message_allocator counting = {counting_alloc, counting_free, NULL};
    proc_message_set_allocator(&counting);
    return 0;
}

static int count_teardown(void **state)
{
    (void)state;
    proc_message_set_allocator(NULL);
    /* Every test must leave no message block behind. */
    return atomic_load(&alloc_count) == atomic_load(&free_count) ? 0 : -1;
}

typedef struct two_ends {
    proc_handle_table table;
    int32_t a, b;
} two_ends;

static void two_ends_open(two_ends *t, proc_queue_limits limits, uint32_t handle_limit)
{
    proc_handle_table_init(&t->table, handle_limit);
    assert_int_equal(proc_ipc_channel_create(&t->table, limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &t->a, &t->b), PROC_OK);
}

static int32_t send_bytes(proc_handle_table *table, int32_t endpoint, uint64_t tag, const char *text)
{
    return proc_ipc_send(table, endpoint, tag, text, (uint32_t)strlen(text), NULL, 0, NULL);
}

/* Receives one message that must exist and checks its tag and text. */
static void expect_message(proc_handle_table *table, int32_t endpoint, proc_filter filter, uint64_t tag,
                           const char *text)
{
    proc_message *m = NULL;
    int32_t handles[PROC_MESSAGE_MAX_HANDLES];
    assert_int_equal(proc_ipc_receive(table, endpoint, filter, NULL, handles, PROC_MESSAGE_MAX_HANDLES, &m),
                     PROC_OK);
    assert_int_equal(m->tag, tag);
    assert_int_equal(m->size, strlen(text));
    assert_memory_equal(proc_message_bytes(m), text, m->size);
    proc_message_free(m);
}

static int32_t try_receive(proc_handle_table *table, int32_t endpoint, proc_filter filter)
{
    proc_message *m = NULL;
    int32_t handles[PROC_MESSAGE_MAX_HANDLES];
    int32_t status = proc_ipc_receive(table, endpoint, filter, NULL, handles, PROC_MESSAGE_MAX_HANDLES, &m);
    if (status == PROC_OK)
        proc_message_free(m);
    return status;
}

/* A waiter that records how often it was woken. */
typedef struct test_waiter {
    proc_waiter waiter;
    int woken;
} test_waiter;

static void test_wake(proc_waiter *waiter)
{
    ((test_waiter *)waiter)->woken++;
}

static test_waiter new_waiter(void)
{
    return (test_waiter){.waiter = {.wake = test_wake}};
}

/* ------------------------------------------------------------ tests */

static void test_bytes_copied_once_into_one_block(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, roomy_limits, 16);
    int before = atomic_load(&alloc_count);
    char buffer[16];
    memcpy(buffer, "0123456789abcdef", 16);
    assert_int_equal(proc_ipc_send(&t.table, t.a, 7, buffer, 16, NULL, 0, NULL), PROC_OK);
    assert_int_equal(atomic_load(&alloc_count) - before, 1); /* one block: header, handles, bytes */
    memset(buffer, 'x', sizeof buffer); /* the sender's memory may change right away */

    proc_message *m;
    int32_t handles[1];
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_any(), NULL, handles, 1, &m), PROC_OK);
    assert_int_equal(atomic_load(&alloc_count) - before, 1); /* receive allocates nothing */
    assert_int_equal(m->tag, 7);
    assert_int_equal(m->size, 16);
    assert_int_equal(m->handle_count, 0);
    assert_memory_equal(proc_message_bytes(m), "0123456789abcdef", 16);
    /* The bytes live inside the block, right after the header. */
    assert_ptr_equal(proc_message_bytes(m), (const uint8_t *)(m + 1));
    proc_message_free(m);

    /* An empty message is fine too. */
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, NULL, 0, NULL, 0, NULL), PROC_OK);
    expect_message(&t.table, t.b, proc_filter_any(), 0, "");
    proc_handle_table_fini(&t.table);
}

static void test_handles_move_with_message(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, roomy_limits, 16);
    proc_handle_table receiver;
    proc_handle_table_init(&receiver, 16);
    /* The receiving process holds end b. */
    proc_handle_entry b_entry;
    assert_int_equal(proc_handle_take(&t.table, t.b, &b_entry), PROC_OK);
    int32_t rb = proc_handle_insert(&receiver, b_entry.object, b_entry.rights, NULL);

    atomic_int destroyed = 0;
    int32_t x = insert_test_object(&t.table, &destroyed, ISOLA_RIGHT_TRANSFER | ISOLA_RIGHT_KILL);
    int32_t y = insert_test_object(&t.table, &destroyed, ISOLA_RIGHT_TRANSFER);
    proc_object *x_object = NULL, *got = NULL;
    assert_int_equal(proc_handle_get(&t.table, x, PROC_OBJ_NONE, 0, &x_object), PROC_OK);
    uint32_t sender_before = proc_handle_count(&t.table);
    int32_t moving[2] = {x, y};
    assert_int_equal(proc_ipc_send(&t.table, t.a, 1, "hi", 2, moving, 2, NULL), PROC_OK);
    /* Gone from the sender. */
    assert_int_equal(proc_handle_count(&t.table), sender_before - 2);
    assert_int_equal(proc_handle_get(&t.table, x, PROC_OBJ_NONE, 0, &got), ISOLA_EBADHANDLE);
    assert_int_equal(proc_handle_get(&t.table, y, PROC_OBJ_NONE, 0, &got), ISOLA_EBADHANDLE);
    assert_int_equal(proc_object_refcount(x_object), 1); /* held by the queued message only */
    assert_int_equal(destroyed, 0);

    proc_message *m;
    int32_t got_handles[4];
    assert_int_equal(proc_ipc_receive(&receiver, rb, proc_filter_any(), NULL, got_handles, 4, &m), PROC_OK);
    assert_int_equal(m->handle_count, 2);
    assert_int_equal(proc_handle_get(&receiver, got_handles[0], PROC_OBJ_TIMER,
                                     ISOLA_RIGHT_TRANSFER | ISOLA_RIGHT_KILL, &got), PROC_OK);
    assert_ptr_equal(got, x_object);
    assert_int_equal(proc_handle_get(&receiver, got_handles[1], PROC_OBJ_TIMER, ISOLA_RIGHT_KILL, &got),
                     ISOLA_EACCES); /* rights travel unchanged */
    proc_message_free(m);
    assert_int_equal(proc_object_refcount(x_object), 1);
    assert_int_equal(destroyed, 0);
    proc_handle_table_fini(&receiver);
    assert_int_equal(destroyed, 2);
    proc_handle_table_fini(&t.table);
}

static void test_send_all_or_nothing(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, small_limits, 16);
    atomic_int destroyed = 0;
    int32_t movable = insert_test_object(&t.table, &destroyed, ISOLA_RIGHT_TRANSFER);
    int32_t stuck = insert_test_object(&t.table, &destroyed, ISOLA_RIGHT_KILL);
    int before_alloc = atomic_load(&alloc_count);
    uint32_t before = proc_handle_count(&t.table);

    int32_t bad_rights[2] = {movable, stuck};
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "x", 1, bad_rights, 2, NULL), ISOLA_EACCES);
    int32_t twice[2] = {movable, movable};
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "x", 1, twice, 2, NULL), ISOLA_EINVAL);
    int32_t forged[2] = {movable, 12345};
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "x", 1, forged, 2, NULL), ISOLA_EBADHANDLE);
    /* The destination endpoint itself cannot ride in its own queue. */
    int32_t self_cycle[1] = {t.b};
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "x", 1, self_cycle, 1, NULL), ISOLA_EINVAL);
    assert_int_equal(atomic_load(&alloc_count), before_alloc); /* rejected before allocating */
    assert_int_equal(proc_handle_count(&t.table), before);

    /* Full queue: the message was built, then freed; the handle stays. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(send_bytes(&t.table, t.a, 0, "fill"), PROC_OK);
    int32_t one[1] = {movable};
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "x", 1, one, 1, NULL), ISOLA_EFULL);
    assert_int_equal(proc_handle_count(&t.table), before);
    proc_object *got = NULL;
    assert_int_equal(proc_handle_get(&t.table, movable, PROC_OBJ_NONE, ISOLA_RIGHT_TRANSFER, &got), PROC_OK);
    assert_int_equal(proc_object_refcount(got), 1);

    /* After the receiver takes one, the same send succeeds. */
    expect_message(&t.table, t.b, proc_filter_any(), 0, "fill");
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "x", 1, one, 1, NULL), PROC_OK);
    assert_int_equal(proc_handle_count(&t.table), before - 1);
    /* Sending one's own endpoint is allowed: the message keeps it alive. */
    assert_int_equal(destroyed, 0);
    proc_handle_table_fini(&t.table); /* closes both ends: queued messages and their handles go */
    assert_int_equal(destroyed, 2);
}

static void test_queue_bounded_by_count_and_bytes(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, small_limits, 16);
    char big[65] = {0};
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, big, 65, NULL, 0, NULL), ISOLA_ETOOBIG);
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, big, 40, NULL, 0, NULL), PROC_OK);
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, big, 25, NULL, 0, NULL), ISOLA_EFULL); /* 65 > 64 bytes */
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, big, 24, NULL, 0, NULL), PROC_OK);    /* exactly 64 */
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, NULL, 0, NULL, 0, NULL), PROC_OK);
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, NULL, 0, NULL, 0, NULL), PROC_OK);
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, NULL, 0, NULL, 0, NULL), ISOLA_EFULL); /* 4 messages */
    uint32_t count;
    uint64_t bytes;
    proc_object *b = NULL;
    assert_int_equal(proc_handle_get(&t.table, t.b, PROC_OBJ_ENDPOINT, 0, &b), PROC_OK);
    proc_queue_usage(proc_endpoint_queue((proc_endpoint *)b), &count, &bytes);
    assert_int_equal(count, 4);
    assert_int_equal(bytes, 64);
    /* A system notice (a DOWN message) is never refused for lack of room:
     * it goes in beyond the limits, and ordinary sends stay refused. */
    proc_handle_table none;
    proc_handle_table_init(&none, 0);
    proc_message *notice;
    assert_int_equal(proc_message_build(&none, NULL, 99, big, 16, NULL, 0, &notice), PROC_OK);
    proc_object *a = NULL;
    assert_int_equal(proc_handle_get(&t.table, t.a, PROC_OBJ_ENDPOINT, 0, &a), PROC_OK);
    assert_int_equal(proc_endpoint_send_notice((proc_endpoint *)a, notice), PROC_OK);
    proc_queue_usage(proc_endpoint_queue((proc_endpoint *)b), &count, &bytes);
    assert_int_equal(count, 5);
    assert_int_equal(bytes, 80);
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, NULL, 0, NULL, 0, NULL), ISOLA_EFULL);
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_any()), PROC_OK);  /* 4 left: still full */
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, NULL, 0, NULL, 0, NULL), ISOLA_EFULL);
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_any()), PROC_OK);  /* 3 left */
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, NULL, 0, NULL, 0, NULL), PROC_OK);
    /* The other direction has its own queue. */
    assert_int_equal(send_bytes(&t.table, t.b, 0, "back"), PROC_OK);
    expect_message(&t.table, t.a, proc_filter_any(), 0, "back");
    /* Rights: a SEND-only handle cannot receive, a RECEIVE-only cannot send. */
    int32_t send_only = proc_handle_duplicate(&t.table, t.a, ISOLA_RIGHT_SEND);
    int32_t recv_only = proc_handle_duplicate(&t.table, t.b, ISOLA_RIGHT_RECEIVE);
    assert_int_equal(try_receive(&t.table, send_only, proc_filter_any()), ISOLA_EACCES);
    assert_int_equal(send_bytes(&t.table, recv_only, 0, "no"), ISOLA_EACCES);
    atomic_int destroyed = 0;
    int32_t not_endpoint = insert_test_object(&t.table, &destroyed, ISOLA_RIGHTS_ALL);
    assert_int_equal(send_bytes(&t.table, not_endpoint, 0, "no"), ISOLA_ETYPE);
    proc_handle_table_fini(&t.table);
}

static void test_receive_selects_by_tag_without_reordering(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, roomy_limits, 16);
    assert_int_equal(send_bytes(&t.table, t.a, 1, "one"), PROC_OK);
    assert_int_equal(send_bytes(&t.table, t.a, 2, "two-a"), PROC_OK);
    assert_int_equal(send_bytes(&t.table, t.a, 3, "three"), PROC_OK);
    assert_int_equal(send_bytes(&t.table, t.a, 2, "two-b"), PROC_OK);
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_tag(9)), ISOLA_EAGAIN);
    expect_message(&t.table, t.b, proc_filter_tag(2), 2, "two-a");
    expect_message(&t.table, t.b, proc_filter_tag(3), 3, "three");
    expect_message(&t.table, t.b, proc_filter_any(), 1, "one");
    expect_message(&t.table, t.b, proc_filter_any(), 2, "two-b");
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_any()), ISOLA_EAGAIN);
    /* The tail is kept right after removing the last message. */
    assert_int_equal(send_bytes(&t.table, t.a, 5, "five"), PROC_OK);
    assert_int_equal(send_bytes(&t.table, t.a, 6, "six"), PROC_OK);
    expect_message(&t.table, t.b, proc_filter_tag(6), 6, "six");
    assert_int_equal(send_bytes(&t.table, t.a, 7, "seven"), PROC_OK);
    expect_message(&t.table, t.b, proc_filter_any(), 5, "five");
    expect_message(&t.table, t.b, proc_filter_any(), 7, "seven");
    proc_handle_table_fini(&t.table);
}

static void test_peer_close(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, roomy_limits, 16);
    atomic_int destroyed = 0;
    int32_t x = insert_test_object(&t.table, &destroyed, ISOLA_RIGHT_TRANSFER);
    assert_int_equal(send_bytes(&t.table, t.a, 1, "first"), PROC_OK);
    assert_int_equal(send_bytes(&t.table, t.a, 2, "second"), PROC_OK);
    /* a's own incoming queue holds a message carrying a handle. */
    assert_int_equal(proc_ipc_send(&t.table, t.b, 0, NULL, 0, &x, 1, NULL), PROC_OK);
    assert_int_equal(proc_handle_close(&t.table, t.a), PROC_OK);
    assert_int_equal(destroyed, 1); /* a's queue was freed with it */
    /* b drains what was sent, then learns the peer is gone. */
    assert_int_equal(send_bytes(&t.table, t.b, 0, "lost"), ISOLA_EPEER);
    expect_message(&t.table, t.b, proc_filter_tag(2), 2, "second");
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_tag(2)), ISOLA_ECLOSED);
    expect_message(&t.table, t.b, proc_filter_any(), 1, "first");
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_any()), ISOLA_ECLOSED);
    proc_handle_table_fini(&t.table);
}

static void test_endpoint_sent_through_itself_survives(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, roomy_limits, 16);
    proc_handle_table other;
    proc_handle_table_init(&other, 16);
    proc_handle_entry b_entry;
    assert_int_equal(proc_handle_take(&t.table, t.b, &b_entry), PROC_OK);
    int32_t ob = proc_handle_insert(&other, b_entry.object, b_entry.rights, NULL);
    /* Send a through a: the sender holds nothing now, the receiver gets a. */
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "me", 2, &t.a, 1, NULL), PROC_OK);
    assert_int_equal(proc_handle_count(&t.table), 0);
    proc_message *m;
    int32_t h[1];
    assert_int_equal(proc_ipc_receive(&other, ob, proc_filter_any(), NULL, h, 1, &m), PROC_OK);
    proc_message_free(m);
    /* other now holds both ends and can talk to itself. */
    assert_int_equal(send_bytes(&other, h[0], 3, "loop"), PROC_OK);
    expect_message(&other, ob, proc_filter_any(), 3, "loop");
    proc_handle_table_fini(&other);
    proc_handle_table_fini(&t.table);
}

/* Channels X = (x0, x1), Y = (y0, y1), Z = (z0, z1) in one table. */
typedef struct three_channels {
    proc_handle_table table;
    int32_t x0, x1, y0, y1, z0, z1;
} three_channels;

static void three_channels_open(three_channels *t)
{
    proc_handle_table_init(&t->table, 64);
    proc_handle_table *tb = &t->table;
    assert_int_equal(proc_ipc_channel_create(tb, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &t->x0, &t->x1), PROC_OK);
    assert_int_equal(proc_ipc_channel_create(tb, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &t->y0, &t->y1), PROC_OK);
    assert_int_equal(proc_ipc_channel_create(tb, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &t->z0, &t->z1), PROC_OK);
}

static int32_t send_handle(proc_handle_table *table, int32_t through, int32_t handle)
{
    return proc_ipc_send(table, through, 9, "h", 1, &handle, 1, NULL);
}

/* y1 queued at x1, then x1 sent to y1: the two would hold each other with
 * no handle left to either (the leak in fuzz/regressions/api/). */
static void test_two_endpoint_cycle_refused(void **state)
{
    (void)state;
    three_channels t;
    three_channels_open(&t);
    assert_int_equal(send_handle(&t.table, t.x0, t.y1), PROC_OK);
    uint32_t before = proc_handle_count(&t.table);
    assert_int_equal(send_handle(&t.table, t.y0, t.x1), ISOLA_ELOOP);
    assert_int_equal(proc_handle_count(&t.table), before);   /* nothing moved */
    /* Sending x1 anywhere else is fine, and everything is freed at the end. */
    assert_int_equal(send_handle(&t.table, t.z0, t.x1), PROC_OK);
    proc_handle_table_fini(&t.table);
}

/* The cycle may be longer: y1 at x1, z1 at y1, then x1 to z1. */
static void test_longer_endpoint_cycle_refused(void **state)
{
    (void)state;
    three_channels t;
    three_channels_open(&t);
    assert_int_equal(send_handle(&t.table, t.x0, t.y1), PROC_OK);
    assert_int_equal(send_handle(&t.table, t.y0, t.z1), PROC_OK);
    assert_int_equal(send_handle(&t.table, t.z0, t.x1), ISOLA_ELOOP);
    /* A message carrying several handles is refused if any one closes a cycle. */
    int32_t pair[2] = {t.x0, t.x1};
    assert_int_equal(proc_ipc_send(&t.table, t.z0, 9, "", 0, pair, 2, NULL), ISOLA_ELOOP);
    assert_true(proc_handle_count(&t.table) == 4);   /* x0, x1, y0, z0 */
    /* Once x1's queue is drained the same send is fine. */
    proc_message *m = NULL;
    int32_t got[1];
    assert_int_equal(proc_ipc_receive(&t.table, t.x1, proc_filter_any(), NULL, got, 1, &m), PROC_OK);
    proc_message_free(m);
    assert_int_equal(send_handle(&t.table, t.z0, t.x1), PROC_OK);
    proc_handle_table_fini(&t.table);
}

/* Shared structure without a cycle is allowed: y1 and z1 both queued at x1,
 * and x1 itself queued at a fourth endpoint. Closing the holders frees all. */
static void test_endpoint_tree_allowed_and_freed(void **state)
{
    (void)state;
    three_channels t;
    three_channels_open(&t);
    int32_t w0, w1;
    assert_int_equal(proc_ipc_channel_create(&t.table, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &w0, &w1), PROC_OK);
    assert_int_equal(send_handle(&t.table, t.x0, t.y1), PROC_OK);
    assert_int_equal(send_handle(&t.table, t.x0, t.z1), PROC_OK);
    assert_int_equal(send_handle(&t.table, w0, t.x1), PROC_OK);
    assert_int_equal(send_handle(&t.table, t.y0, t.z0), PROC_OK);
    proc_handle_table_fini(&t.table);   /* count_teardown checks every block went */
}

/* A chain of `depth` endpoints, each queued at the one before; returns
 * the head (the only one still named by a handle, with its send end). */
static int32_t endpoint_chain(proc_handle_table *table, int depth)
{
    int32_t head = 0, below = 0;
    for (int i = 0; i < depth; i++) {
        int32_t send_end, receive_end;
        assert_int_equal(proc_ipc_channel_create(table, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &send_end, &receive_end),
                         PROC_OK);
        if (below)
            assert_int_equal(send_handle(table, send_end, below), PROC_OK);
        below = head = receive_end;
    }
    return head;
}

/* Moving an endpoint that holds more endpoints than the search budget
 * (1,024) is refused rather than searched without bound. A chain cannot
 * even grow that long (each link moves the chain so far); a tree can. */
static void test_deep_endpoint_chain_bounded(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 4096);
    int32_t a, b;
    assert_int_equal(proc_ipc_channel_create(&table, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &a, &b), PROC_OK);
    assert_int_equal(send_handle(&table, a, endpoint_chain(&table, 1000)), PROC_OK);
    int32_t c, d;
    assert_int_equal(proc_ipc_channel_create(&table, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &c, &d), PROC_OK);
    assert_int_equal(send_handle(&table, c, endpoint_chain(&table, 600)), PROC_OK);
    assert_int_equal(send_handle(&table, c, endpoint_chain(&table, 600)), PROC_OK);
    assert_int_equal(send_handle(&table, a, d), ISOLA_ELOOP);   /* d holds 1,200 */
    proc_handle_table_fini(&table);
}

/* Queued messages count too: an endpoint whose queue holds 1,100 plain
 * messages before one that carries an endpoint would make a search walk
 * them all (under the lock every endpoint-carrying send takes), so moving
 * it is refused; with 1,000 it is searched and moved. The walk is work the
 * sender pays for (proc_channel_take_search_work). */
static void test_search_walk_bounded(void **state)
{
    (void)state;
    proc_handle_table table;
    proc_handle_table_init(&table, 64);
    proc_queue_limits deep = {.max_count = 10000, .max_bytes = 1 << 20};
    for (int round = 0; round < 2; round++) {
        uint32_t plain = round == 0 ? 1000 : 1100;
        int32_t send_end, receive_end, tx, rx, spare0, spare1;
        assert_int_equal(proc_ipc_channel_create(&table, deep, ALL_ENDPOINT_RIGHTS, NULL, NULL, &send_end,
                                                 &receive_end), PROC_OK);
        assert_int_equal(proc_ipc_channel_create(&table, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &spare0,
                                                 &spare1), PROC_OK);
        for (uint32_t i = 0; i < plain; i++)
            assert_int_equal(proc_ipc_send(&table, send_end, 1, "", 0, NULL, 0, NULL), PROC_OK);
        assert_int_equal(send_handle(&table, send_end, spare0), PROC_OK);
        assert_int_equal(proc_ipc_channel_create(&table, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &tx, &rx),
                         PROC_OK);
        (void)proc_channel_take_search_work();
        int32_t r = send_handle(&table, tx, receive_end);
        uint32_t work = proc_channel_take_search_work();
        assert_int_equal(r, round == 0 ? PROC_OK : ISOLA_ELOOP);
        assert_true(work >= (round == 0 ? plain : 1024) && work <= plain + 8);
        proc_handle_close(&table, tx);
        proc_handle_close(&table, rx);
        proc_handle_close(&table, send_end);
        proc_handle_close(&table, spare1);
        if (round == 1)
            proc_handle_close(&table, receive_end);
    }
    proc_handle_table_fini(&table);
}

static void test_receiver_parks_and_wakes(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, roomy_limits, 16);
    test_waiter r = new_waiter(), r2 = new_waiter();
    proc_message *m = NULL;
    int32_t h[1];
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_tag(5), &r.waiter, h, 1, &m), ISOLA_EAGAIN);
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_any(), &r2.waiter, h, 1, &m), ISOLA_EBUSY);
    assert_int_equal(send_bytes(&t.table, t.a, 4, "other tag"), PROC_OK);
    assert_int_equal(r.woken, 0);
    assert_int_equal(send_bytes(&t.table, t.a, 5, "wanted"), PROC_OK);
    assert_int_equal(r.woken, 1);
    assert_int_equal(send_bytes(&t.table, t.a, 5, "again"), PROC_OK);
    assert_int_equal(r.woken, 1); /* woken once per parking */
    expect_message(&t.table, t.b, proc_filter_tag(5), 5, "wanted");
    expect_message(&t.table, t.b, proc_filter_tag(5), 5, "again");

    /* A parked receiver that polls successfully is unregistered. */
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_tag(6), &r.waiter, h, 1, &m), ISOLA_EAGAIN);
    assert_int_equal(send_bytes(&t.table, t.a, 7, "not six"), PROC_OK);
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_tag(7), &r.waiter, h, 1, &m), PROC_OK);
    proc_message_free(m);
    /* ...so another receiver can park, and only it is woken. */
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_tag(6), &r2.waiter, h, 1, &m), ISOLA_EAGAIN);
    assert_int_equal(send_bytes(&t.table, t.a, 6, "six"), PROC_OK);
    assert_int_equal(r.woken, 1);
    assert_int_equal(r2.woken, 1);
    expect_message(&t.table, t.b, proc_filter_tag(6), 6, "six");
    r2.woken = 0;

    /* Cancel (a timeout): no wake afterwards. */
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_tag(8), &r.waiter, h, 1, &m), ISOLA_EAGAIN);
    proc_object *b = NULL;
    assert_int_equal(proc_handle_get(&t.table, t.b, PROC_OBJ_ENDPOINT, 0, &b), PROC_OK);
    assert_true(proc_endpoint_cancel_wait((proc_endpoint *)b, &r.waiter));
    assert_false(proc_endpoint_cancel_wait((proc_endpoint *)b, &r.waiter));
    assert_int_equal(send_bytes(&t.table, t.a, 8, "late"), PROC_OK);
    assert_int_equal(r.woken, 1);

    /* Peer close wakes a parked receiver, which then sees ISOLA_ECLOSED after draining. */
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_tag(9), &r2.waiter, h, 1, &m), ISOLA_EAGAIN);
    assert_int_equal(proc_handle_close(&t.table, t.a), PROC_OK);
    assert_int_equal(r2.woken, 1);
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_tag(9)), ISOLA_ECLOSED);
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_any()), PROC_OK); /* "other tag" */
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_any()), PROC_OK); /* "late" */
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_any()), ISOLA_ECLOSED);
    proc_handle_table_fini(&t.table);
}

/* A waiter that can be taken for a hand-off when `claimable`. */
typedef struct claim_waiter {
    test_waiter base;
    bool claimable;
    int claims;
} claim_waiter;

static bool test_claim(proc_waiter *waiter)
{
    claim_waiter *c = (claim_waiter *)waiter;
    c->claims++;
    return c->claimable;
}

/* proc_queue_take_receiver: only a parked receiver that wants the message,
 * can take its handles, sits on a queue that would accept it and lets
 * itself be claimed; otherwise nothing changes. */
static void test_take_receiver_for_handoff(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, small_limits, 16);
    proc_object *a = NULL;
    assert_int_equal(proc_handle_get(&t.table, t.a, PROC_OBJ_ENDPOINT, 0, &a), PROC_OK);
    proc_endpoint *from = (proc_endpoint *)a;
    proc_queue *queue = proc_endpoint_queue((proc_endpoint *)proc_endpoint_peer(from));
    claim_waiter r = {.base = new_waiter(), .claimable = false};
    r.base.waiter.claim = test_claim;
    proc_message *m = NULL;
    int32_t h[2];
    assert_null(proc_endpoint_take_receiver(from, 5, 1, 0));   /* nobody parked */
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_tag(5), &r.base.waiter, h, 1, &m), ISOLA_EAGAIN);
    assert_null(proc_endpoint_take_receiver(from, 4, 1, 0));   /* another tag */
    assert_null(proc_endpoint_take_receiver(from, 5, 1, 2));   /* more handles than it takes */
    assert_int_equal(r.claims, 0);
    assert_null(proc_endpoint_take_receiver(from, 5, 1, 0));   /* the claim says no (still running) */
    assert_int_equal(r.claims, 1);
    assert_ptr_equal(queue->receiver, &r.base.waiter);   /* still parked */
    /* A full queue refuses a hand-off as it would refuse the push. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(send_bytes(&t.table, t.a, 1, "m"), PROC_OK);
    r.claimable = true;
    assert_null(proc_endpoint_take_receiver(from, 5, 1, 0));
    assert_int_equal(r.claims, 1);
    for (int i = 0; i < 4; i++)
        expect_message(&t.table, t.b, proc_filter_tag(1), 1, "m");
    /* Now it is taken: unparked, not woken, nothing queued. */
    assert_ptr_equal(proc_endpoint_take_receiver(from, 5, 1, 1), &r.base.waiter);
    assert_int_equal(r.claims, 2);
    assert_null(queue->receiver);
    assert_int_equal(r.base.woken, 0);
    assert_int_equal(queue->count, 0);
    assert_false(proc_endpoint_cancel_wait((proc_endpoint *)proc_endpoint_peer(from), &r.base.waiter));
    /* A waiter with no claim (a host thread) is never taken. */
    test_waiter plain = new_waiter();
    assert_int_equal(proc_ipc_receive(&t.table, t.b, proc_filter_any(), &plain.waiter, h, 1, &m), ISOLA_EAGAIN);
    assert_null(proc_endpoint_take_receiver(from, 5, 1, 0));
    assert_int_equal(send_bytes(&t.table, t.a, 5, "x"), PROC_OK);
    assert_int_equal(plain.woken, 1);
    expect_message(&t.table, t.b, proc_filter_any(), 5, "x");
    proc_handle_table_fini(&t.table);
}

static void test_senders_park_on_full_queue(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, small_limits, 16);
    for (int i = 0; i < 4; i++)
        assert_int_equal(send_bytes(&t.table, t.a, 0, "m"), PROC_OK);
    test_waiter s1 = new_waiter(), s2 = new_waiter(), s3 = new_waiter();
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "m", 1, NULL, 0, &s1.waiter), ISOLA_EFULL);
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "m", 1, NULL, 0, &s2.waiter), ISOLA_EFULL);
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "m", 1, NULL, 0, &s3.waiter), ISOLA_EFULL);
    proc_object *a = NULL;
    assert_int_equal(proc_handle_get(&t.table, t.a, PROC_OBJ_ENDPOINT, 0, &a), PROC_OK);
    assert_true(proc_endpoint_cancel_wait((proc_endpoint *)a, &s3.waiter)); /* s3 was killed */
    assert_int_equal(try_receive(&t.table, t.b, proc_filter_any()), PROC_OK);
    assert_int_equal(s1.woken, 1);
    assert_int_equal(s2.woken, 1);
    assert_int_equal(s3.woken, 0);
    assert_int_equal(send_bytes(&t.table, t.a, 0, "m"), PROC_OK); /* s1 retries */
    /* Closing the receiving end wakes parked senders, who then see ISOLA_EPEER. */
    assert_int_equal(proc_ipc_send(&t.table, t.a, 0, "m", 1, NULL, 0, &s2.waiter), ISOLA_EFULL);
    assert_int_equal(proc_handle_close(&t.table, t.b), PROC_OK);
    assert_int_equal(s2.woken, 2);
    assert_int_equal(send_bytes(&t.table, t.a, 0, "m"), ISOLA_EPEER);
    proc_handle_table_fini(&t.table);
}

static void test_receiver_handle_limit(void **state)
{
    (void)state;
    /* The receiver's table: b plus one free slot. */
    proc_handle_table sender, receiver;
    proc_handle_table_init(&sender, 16);
    proc_handle_table_init(&receiver, 2);
    int32_t a, b;
    assert_int_equal(proc_ipc_channel_create(&sender, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &a, &b), PROC_OK);
    proc_handle_entry e;
    assert_int_equal(proc_handle_take(&sender, b, &e), PROC_OK);
    int32_t rb = proc_handle_insert(&receiver, e.object, e.rights, NULL);
    atomic_int destroyed = 0;
    int32_t two[2] = {insert_test_object(&sender, &destroyed, ISOLA_RIGHT_TRANSFER),
                      insert_test_object(&sender, &destroyed, ISOLA_RIGHT_TRANSFER)};
    assert_int_equal(proc_ipc_send(&sender, a, 1, "two", 3, two, 2, NULL), PROC_OK);
    int32_t one = insert_test_object(&sender, &destroyed, ISOLA_RIGHT_TRANSFER);
    assert_int_equal(proc_ipc_send(&sender, a, 2, "one", 3, &one, 1, NULL), PROC_OK);

    proc_message *m;
    int32_t h[2];
    /* The two-handle message does not fit: it stays queued. */
    assert_int_equal(proc_ipc_receive(&receiver, rb, proc_filter_any(), NULL, h, 2, &m), ISOLA_ELIMIT);
    /* The caller's array is too small for it, too. */
    assert_int_equal(proc_ipc_receive(&receiver, rb, proc_filter_tag(1), NULL, h, 1, &m), ISOLA_ELIMIT);
    /* Others can still be selected past it. */
    assert_int_equal(proc_ipc_receive(&receiver, rb, proc_filter_tag(2), NULL, h, 2, &m), PROC_OK);
    proc_message_free(m);
    assert_int_equal(proc_handle_close(&receiver, h[0]), PROC_OK);
    assert_int_equal(destroyed, 1);
    proc_handle_table_fini(&receiver); /* b closes with the two-handle message still queued */
    assert_int_equal(destroyed, 3);
    proc_handle_table_fini(&sender);
}

static void test_mailbox_pattern(void **state)
{
    (void)state;
    /* The process keeps the RECEIVE end; others get SEND-only duplicates of the other end. */
    proc_handle_table owner, client1, client2;
    proc_handle_table_init(&owner, 16);
    proc_handle_table_init(&client1, 16);
    proc_handle_table_init(&client2, 16);
    int32_t inbox, address;
    assert_int_equal(proc_ipc_channel_create(&owner, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &inbox, &address),
                     PROC_OK);
    proc_object *addr_object = NULL;
    assert_int_equal(proc_handle_get(&owner, address, PROC_OBJ_ENDPOINT, 0, &addr_object), PROC_OK);
    proc_object_retain(addr_object);
    int32_t c1 = proc_handle_insert(&client1, addr_object, ISOLA_RIGHT_SEND, NULL);
    proc_object_retain(addr_object);
    int32_t c2 = proc_handle_insert(&client2, addr_object, ISOLA_RIGHT_SEND, NULL);
    assert_int_equal(proc_handle_close(&owner, address), PROC_OK);
    assert_int_equal(send_bytes(&client1, c1, 1, "from 1"), PROC_OK);
    assert_int_equal(send_bytes(&client2, c2, 2, "from 2"), PROC_OK);
    assert_int_equal(try_receive(&client1, c1, proc_filter_any()), ISOLA_EACCES);
    proc_handle_table_fini(&client1);
    assert_int_equal(send_bytes(&client2, c2, 2, "still open"), PROC_OK);
    proc_handle_table_fini(&client2);
    expect_message(&owner, inbox, proc_filter_any(), 1, "from 1");
    expect_message(&owner, inbox, proc_filter_any(), 2, "from 2");
    expect_message(&owner, inbox, proc_filter_any(), 2, "still open");
    assert_int_equal(try_receive(&owner, inbox, proc_filter_any()), ISOLA_ECLOSED);
    proc_handle_table_fini(&owner);
}

/* A one-way channel (a process's mailbox): messages, with handles, go from
 * endpoint 1 to endpoint 0 as on any channel; the other direction is
 * closed from the start; either endpoint may go first, and what is still
 * queued is freed with its handles. */
static void test_one_way_channel(void **state)
{
    (void)state;
    for (int first = 0; first < 2; first++) {
        proc_endpoint *rx, *tx;
        assert_int_equal(proc_channel_create_one_way(roomy_limits, &rx, &tx), PROC_OK);
        proc_handle_table table;
        proc_handle_table_init(&table, 8);
        int32_t in = proc_handle_insert(&table, proc_endpoint_object(rx), ALL_ENDPOINT_RIGHTS, NULL);
        int32_t out = proc_handle_insert(&table, proc_endpoint_object(tx), ALL_ENDPOINT_RIGHTS, NULL);
        atomic_int destroyed = 0;
        int32_t x = insert_test_object(&table, &destroyed, ISOLA_RIGHT_TRANSFER);
        assert_int_equal(send_bytes(&table, out, 1, "one"), PROC_OK);
        assert_int_equal(proc_ipc_send(&table, out, 2, "two", 3, &x, 1, NULL), PROC_OK);
        assert_int_equal(send_bytes(&table, in, 3, "back"), ISOLA_ETOOBIG);   /* takes no bytes */
        assert_int_equal(proc_ipc_send(&table, in, 3, NULL, 0, NULL, 0, NULL), ISOLA_EPEER);   /* nor anything */
        assert_int_equal(try_receive(&table, out, proc_filter_any()), ISOLA_ECLOSED);
        expect_message(&table, in, proc_filter_any(), 1, "one");
        /* "two" and the object it carries stay queued until an end goes. */
        assert_int_equal(proc_handle_close(&table, first ? out : in), PROC_OK);
        assert_int_equal(destroyed, first ? 0 : 1);
        assert_int_equal(proc_handle_close(&table, first ? in : out), PROC_OK);
        assert_int_equal(destroyed, 1);
        proc_handle_table_fini(&table);
    }
}

static void test_revoked_endpoint_cannot_send(void **state)
{
    (void)state;
    two_ends t;
    two_ends_open(&t, roomy_limits, 16);
    int32_t derived, revoker;
    assert_int_equal(proc_handle_derive_revocable(&t.table, t.a, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER,
                                                  &derived, &revoker), PROC_OK);
    /* The derived handle travels to another process. */
    proc_handle_table other;
    proc_handle_table_init(&other, 16);
    proc_handle_entry e;
    assert_int_equal(proc_handle_take(&t.table, derived, &e), PROC_OK);
    int32_t far = proc_handle_insert(&other, e.object, e.rights, e.gate);
    assert_int_equal(send_bytes(&other, far, 1, "allowed"), PROC_OK);
    assert_int_equal(proc_handle_revoke(&t.table, revoker), PROC_OK);
    assert_int_equal(send_bytes(&other, far, 1, "cut off"), ISOLA_EREVOKED);
    assert_int_equal(send_bytes(&t.table, t.a, 2, "owner still can"), PROC_OK);
    expect_message(&t.table, t.b, proc_filter_any(), 1, "allowed");
    expect_message(&t.table, t.b, proc_filter_any(), 2, "owner still can");
    proc_handle_table_fini(&other);
    proc_handle_table_fini(&t.table);
}

/* ------------------------------------------------------------ threads */

#define SENDER_THREADS 4
#define MESSAGES_PER_SENDER 20000

typedef struct sender_arg {
    proc_endpoint *endpoint;
    uint32_t id;
} sender_arg;

static void *sender_main(void *p)
{
    sender_arg *arg = p;
    proc_handle_table table; /* each thread is its own process */
    proc_handle_table_init(&table, 4);
    /* The reference taken for this thread by the creator goes into the table. */
    int32_t h = proc_handle_insert(&table, proc_endpoint_object(arg->endpoint), ISOLA_RIGHT_SEND, NULL);
    for (uint32_t seq = 0; seq < MESSAGES_PER_SENDER; seq++) {
        uint32_t body[2] = {arg->id, seq};
        int32_t status;
        while ((status = proc_ipc_send(&table, h, arg->id, body, sizeof body, NULL, 0, NULL)) == ISOLA_EFULL)
            sched_yield();
        if (status != PROC_OK)
            return (void *)1;
    }
    proc_handle_table_fini(&table);
    return NULL;
}

static void test_many_threads_send_to_one_queue(void **state)
{
    (void)state;
    proc_endpoint *rx, *tx;
    proc_queue_limits limits = {.max_count = 64, .max_bytes = 64 * 8};
    assert_int_equal(proc_channel_create(limits, limits, NULL, NULL, &rx, &tx), PROC_OK);
    proc_handle_table table;
    proc_handle_table_init(&table, 4);
    int32_t h = proc_handle_insert(&table, proc_endpoint_object(rx), ISOLA_RIGHT_RECEIVE, NULL);
    pthread_t threads[SENDER_THREADS];
    sender_arg args[SENDER_THREADS];
    for (uint32_t i = 0; i < SENDER_THREADS; i++) {
        args[i] = (sender_arg){tx, i};
        proc_object_retain(proc_endpoint_object(tx));
        assert_int_equal(pthread_create(&threads[i], NULL, sender_main, &args[i]), 0);
    }
    proc_object_release(proc_endpoint_object(tx)); /* only the senders hold it now */
    uint32_t next_seq[SENDER_THREADS] = {0};
    uint32_t received = 0;
    for (;;) {
        proc_message *m;
        int32_t status = proc_ipc_receive(&table, h, proc_filter_any(), NULL, NULL, 0, &m);
        if (status == ISOLA_EAGAIN) {
            sched_yield();
            continue;
        }
        if (status == ISOLA_ECLOSED)
            break;
        assert_int_equal(status, PROC_OK);
        uint32_t body[2];
        assert_int_equal(m->size, sizeof body);
        memcpy(body, proc_message_bytes(m), sizeof body);
        assert_true(body[0] < SENDER_THREADS);
        assert_int_equal(m->tag, body[0]);
        assert_int_equal(body[1], next_seq[body[0]]); /* per-sender order kept, nothing lost */
        next_seq[body[0]]++;
        received++;
        proc_message_free(m);
    }
    for (uint32_t i = 0; i < SENDER_THREADS; i++) {
        void *result;
        assert_int_equal(pthread_join(threads[i], &result), 0);
        assert_null(result);
        assert_int_equal(next_seq[i], MESSAGES_PER_SENDER);
    }
    assert_int_equal(received, SENDER_THREADS * MESSAGES_PER_SENDER);
    proc_handle_table_fini(&table);
}

/* Both ends are closed at the same moment on two threads, while messages
 * carrying handles are queued both ways: every object is freed exactly once. */
typedef struct closer_arg {
    proc_endpoint *endpoint;
    atomic_int *go;
} closer_arg;

static void *closer_main(void *p)
{
    closer_arg *arg = p;
    while (!atomic_load(arg->go))
        ;
    proc_object_release(proc_endpoint_object(arg->endpoint));
    return NULL;
}

static void *flood_main(void *p)
{
    proc_endpoint *endpoint = p;
    proc_handle_table table;
    proc_handle_table_init(&table, 4);
    int32_t h = proc_handle_insert(&table, proc_endpoint_object(endpoint), ISOLA_RIGHT_SEND, NULL);
    int32_t status;
    do
        status = send_bytes(&table, h, 0, "flood");
    while (status == PROC_OK || status == ISOLA_EFULL);
    proc_handle_table_fini(&table);
    return status == ISOLA_EPEER ? NULL : (void *)1;
}

static void test_close_races(void **state)
{
    (void)state;
    for (int round = 0; round < 200; round++) {
        proc_endpoint *e0, *e1;
        proc_queue_limits limits = {.max_count = 8, .max_bytes = 1024};
        assert_int_equal(proc_channel_create(limits, limits, NULL, NULL, &e0, &e1), PROC_OK);
        atomic_int destroyed = 0;
        proc_handle_table table;
        proc_handle_table_init(&table, 8);
        proc_object_retain(proc_endpoint_object(e0));
        proc_object_retain(proc_endpoint_object(e1));
        int32_t h0 = proc_handle_insert(&table, proc_endpoint_object(e0), ISOLA_RIGHT_SEND, NULL);
        int32_t h1 = proc_handle_insert(&table, proc_endpoint_object(e1), ISOLA_RIGHT_SEND, NULL);
        int32_t x = insert_test_object(&table, &destroyed, ISOLA_RIGHT_TRANSFER);
        int32_t y = insert_test_object(&table, &destroyed, ISOLA_RIGHT_TRANSFER);
        assert_int_equal(proc_ipc_send(&table, h0, 0, NULL, 0, &x, 1, NULL), PROC_OK);
        assert_int_equal(proc_ipc_send(&table, h1, 0, NULL, 0, &y, 1, NULL), PROC_OK);
        proc_handle_table_fini(&table);
        atomic_int go = 0;
        closer_arg a0 = {e0, &go}, a1 = {e1, &go};
        pthread_t t0, t1;
        assert_int_equal(pthread_create(&t0, NULL, closer_main, &a0), 0);
        assert_int_equal(pthread_create(&t1, NULL, closer_main, &a1), 0);
        atomic_store(&go, 1);
        pthread_join(t0, NULL);
        pthread_join(t1, NULL);
        assert_int_equal(destroyed, 2);
    }
    /* A sender flooding a queue whose receiver closes mid-way ends with ISOLA_EPEER. */
    for (int round = 0; round < 50; round++) {
        proc_endpoint *rx, *tx;
        proc_queue_limits limits = {.max_count = 4, .max_bytes = 1024};
        assert_int_equal(proc_channel_create(limits, limits, NULL, NULL, &rx, &tx), PROC_OK);
        pthread_t flood;
        assert_int_equal(pthread_create(&flood, NULL, flood_main, tx), 0);
        proc_handle_table table;
        proc_handle_table_init(&table, 4);
        int32_t h = proc_handle_insert(&table, proc_endpoint_object(rx), ISOLA_RIGHT_RECEIVE, NULL);
        for (int i = 0; i < 20;) {
            int32_t status = try_receive(&table, h, proc_filter_any());
            if (status == PROC_OK)
                i++;
            else
                sched_yield();
        }
        proc_handle_table_fini(&table);
        void *result;
        pthread_join(flood, &result);
        assert_null(result);
    }
}

/* ------------------------------------------------------------ timing */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Single thread, two "processes" (tables), 16-byte messages, through the
 * full handle-level path. Prints; asserts only a generous bound so a busy
 * machine does not fail the test. */
static void test_ping_pong_timing(void **state)
{
    (void)state;
    proc_message_set_allocator(NULL); /* time the real allocator, not the counting hook */
    proc_handle_table ping, pong;
    proc_handle_table_init(&ping, 16);
    proc_handle_table_init(&pong, 16);
    int32_t pa, pb;
    assert_int_equal(proc_ipc_channel_create(&ping, roomy_limits, ALL_ENDPOINT_RIGHTS, NULL, NULL, &pa, &pb), PROC_OK);
    proc_handle_entry e;
    assert_int_equal(proc_handle_take(&ping, pb, &e), PROC_OK);
    int32_t qb = proc_handle_insert(&pong, e.object, e.rights, NULL);
    uint8_t payload[16] = "sixteen bytes..";
    enum { ROUNDS = 1000000 };
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double start = now_ns();
        for (int i = 0; i < ROUNDS; i++) {
            proc_message *m = NULL;
            if (proc_ipc_send(&ping, pa, 1, payload, 16, NULL, 0, NULL) != PROC_OK ||
                proc_ipc_receive(&pong, qb, proc_filter_any(), NULL, NULL, 0, &m) != PROC_OK)
                fail_msg("ping failed");
            payload[0] = proc_message_bytes(m)[0];
            proc_message_free(m);
            if (proc_ipc_send(&pong, qb, 2, payload, 16, NULL, 0, NULL) != PROC_OK ||
                proc_ipc_receive(&ping, pa, proc_filter_any(), NULL, NULL, 0, &m) != PROC_OK)
                fail_msg("pong failed");
            proc_message_free(m);
        }
        double ns = (now_ns() - start) / ROUNDS;
        if (ns < best)
            best = ns;
    }
    printf("kernel ping-pong (one thread, 16-byte messages): %.1f ns per round trip, %.1f ns per send+receive\n",
           best, best / 2);
    assert_true(best < 20000.0);
    proc_handle_table_fini(&pong);
    proc_handle_table_fini(&ping);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bytes_copied_once_into_one_block, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_handles_move_with_message, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_send_all_or_nothing, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_one_way_channel, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_queue_bounded_by_count_and_bytes, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_receive_selects_by_tag_without_reordering, count_setup,
                                        count_teardown),
        cmocka_unit_test_setup_teardown(test_peer_close, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_sent_through_itself_survives, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_two_endpoint_cycle_refused, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_longer_endpoint_cycle_refused, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_tree_allowed_and_freed, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_search_walk_bounded, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_deep_endpoint_chain_bounded, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_receiver_parks_and_wakes, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_take_receiver_for_handoff, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_senders_park_on_full_queue, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_receiver_handle_limit, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_mailbox_pattern, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_endpoint_cannot_send, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_many_threads_send_to_one_queue, count_setup, count_teardown),
        cmocka_unit_test_setup_teardown(test_close_races, count_setup, count_teardown),
        cmocka_unit_test(test_ping_pong_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
