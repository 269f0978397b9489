/*
 * tests/proc/policy_guests.c - guests for test_policy.c: children ended
 * with their parent (or detached), revocation through guest revokers,
 * deadlocked processes, and (built with -DPOLICY_COMMAND) the `_start` of
 * the `isola run` tests.
 */
#include "isola.h"

typedef struct start_msg {
    int32_t handles[8];
    uint32_t nhandles;
    uint8_t arg[64];
    int32_t arg_len;
} start_msg;

static void get_start(start_msg *s)
{
    isola_msg_info info;
    s->arg_len = isola_receive(ISOLA_MAILBOX, ISOLA_TAG_START, ISOLA_RECV_TAG, s->arg, sizeof s->arg,
                               s->handles, 8, &info, ISOLA_FOREVER);
    s->nhandles = info.handle_count;
}

static uint32_t arg_u32(const start_msg *s, int i)
{
    uint32_t v;
    __builtin_memcpy(&v, s->arg + 4 * i, 4);
    return v;
}

static int32_t recv_u32(uint64_t tag, uint32_t *out)
{
    isola_msg_info info;
    return isola_receive(ISOLA_MAILBOX, tag, ISOLA_RECV_TAG, out, 4, 0, 0, &info, ISOLA_FOREVER);
}

static const isola_limits small = {.memory_pages = 1, .handle_count = 16, .queue_count = 16};

#define PROC_RIGHTS_ALL                                                                                \
    (ISOLA_RIGHT_SEND | ISOLA_RIGHT_KILL | ISOLA_RIGHT_MONITOR | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)

#ifndef POLICY_COMMAND

/* Waits for one message tagged 1 and returns its u32 (or the error). */
ISOLA_EXPORT("waiter") int32_t waiter(void)
{
    start_msg s;
    get_start(&s);
    uint32_t x = 0;
    int32_t r = recv_u32(1, &x);
    return r < 0 ? r : (int32_t)x;
}

/*
 * arg = {detach, depth}; handles[0] = module, handles[1] = report endpoint.
 * Spawns a child: a waiter at depth 0, else another "parent" one level
 * down; detaches it if asked (must give 0). Reports to the host: tag 20,
 * bytes {depth}, a handle to the child; tag 21, bytes {depth, detach(a
 * handle to itself)}, which must be EINVAL (it is not its own child). Then
 * waits for tag 30 and exits with 5.
 */
ISOLA_EXPORT("parent") int32_t parent(void)
{
    start_msg s;
    get_start(&s);
    uint32_t detach = arg_u32(&s, 0), depth = arg_u32(&s, 1);
    int32_t module = s.handles[0], report = s.handles[1];
    int32_t child;
    if (depth == 0) {
        child = isola_spawn(module, "waiter", 6, 0, 0, 0, 0, &small);
    } else {
        uint32_t arg[2] = {detach, depth - 1};
        int32_t hs[2] = {isola_duplicate(module, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER),
                         isola_duplicate(report, ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)};
        isola_limits lim = {.memory_pages = 8, .handle_count = 16, .queue_count = 16, .live_children = 8};
        child = isola_spawn(module, "parent", 6, arg, 8, hs, 2, &lim);
    }
    if (child < 0)
        return child;
    if (detach && isola_detach(child) != 0)
        return 90;
    int32_t copy = isola_duplicate(child, PROC_RIGHTS_ALL);
    isola_send(report, 20, &depth, 4, &copy, 1, ISOLA_SEND_WAIT);
    int32_t me = isola_self();
    int32_t out[2] = {(int32_t)depth, isola_detach(me)};
    isola_send(report, 21, out, 8, 0, 0, ISOLA_SEND_WAIT);
    uint32_t x;
    recv_u32(30, &x);
    isola_exit(5);
}

/* arg = {count}; handles[0] = module, handles[1] = report. Spawns `count`
 * waiters, sends the host a handle to each (tag 22), and returns at once:
 * most children have not run when their parent ends, and must still end
 * with it (killed, PARENT_ENDED). */
ISOLA_EXPORT("spawn_and_quit") int32_t spawn_and_quit(void)
{
    start_msg s;
    get_start(&s);
    uint32_t n = arg_u32(&s, 0);
    for (uint32_t i = 0; i < n; i++) {
        int32_t child = isola_spawn(s.handles[0], "waiter", 6, 0, 0, 0, 0, &small);
        if (child < 0)
            return child;
        int32_t copy = isola_duplicate(child, PROC_RIGHTS_ALL);
        isola_send(s.handles[1], 22, &i, 4, &copy, 1, ISOLA_SEND_WAIT);
    }
    return 0;
}

/*
 * Quota stays exact. arg = {rounds, detach}; handles[0] = module,
 * handles[1] = report. Its live_children quota is 2 (set by the host): a
 * "middle" granted 1 more live child takes all of it. Each round spawns
 * a middle, which spawns a waiter and ends. Not detached: the waiter is
 * killed with the middle and its slot comes back, so a later round's
 * middle gets its full grant again (a middle spawned before the slots are
 * back is granted no child: that round is repeated; a leaked slot would
 * repeat it forever). Detached: the middle sends
 * us the waiter's handle; with the waiter alive only one more leaf fits
 * (a second spawn is refused with ELIMIT), and once we stop it the next
 * round fits again. Reports (tag 41) {rounds done, refusals seen}.
 */
ISOLA_EXPORT("quota_root") int32_t quota_root(void)
{
    start_msg s;
    get_start(&s);
    uint32_t rounds = arg_u32(&s, 0), detach = arg_u32(&s, 1);
    int32_t module = s.handles[0], report = s.handles[1];
    uint32_t done = 0, refused = 0, retries = 0;
    int32_t me = isola_self();
    uint32_t stop = 1;
    for (uint32_t i = 0; i < rounds; i++) {
        isola_limits lim = {.memory_pages = 2, .handle_count = 16, .queue_count = 16, .live_children = 1};
        int32_t m = ISOLA_ELIMIT;
        for (int tries = 0; tries < 100000 && m == ISOLA_ELIMIT; tries++) {
            int32_t hs[2] = {isola_duplicate(module, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER),
                             isola_duplicate(me, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER)};
            m = isola_spawn(module, "middle", 6, &detach, 4, hs, 2, &lim);
            if (m < 0) {
                isola_close(hs[0]);
                isola_close(hs[1]);
                isola_yield();
            }
        }
        if (m < 0)
            break;
        int64_t ref = isola_monitor(m);
        isola_down d;
        isola_msg_info info;
        int32_t waiter = -1, spawned = -1;
        isola_receive(ISOLA_MAILBOX, 40, ISOLA_RECV_TAG, &spawned, 4, &waiter, 1, &info, ISOLA_FOREVER);
        isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
        if (d.ref != (uint64_t)ref || d.kind != ISOLA_EXIT_NORMAL)
            return -50;
        isola_close(m);
        if (spawned < 0) {
            /* Granted no room for a child: the last round's slots were
             * not all back yet (they come back as those processes end). */
            if (spawned != ISOLA_ELIMIT || ++retries > 100000)
                return -51;
            i--;
            isola_yield();
            continue;
        }
        if (detach) {
            int32_t a = isola_spawn(module, "waiter", 6, 0, 0, 0, 0, &small);
            int32_t b = isola_spawn(module, "waiter", 6, 0, 0, 0, 0, &small);
            if (a > 0 && b == ISOLA_ELIMIT)
                refused++;
            if (a > 0)
                isola_send(a, 1, &stop, 4, 0, 0, ISOLA_SEND_WAIT);
            if (b > 0)
                isola_send(b, 1, &stop, 4, 0, 0, ISOLA_SEND_WAIT);
            isola_send(waiter, 1, &stop, 4, 0, 0, ISOLA_SEND_WAIT);
            isola_close(waiter);
        }
        done++;
    }
    uint32_t out[2] = {done, refused};
    isola_send(report, 41, out, 8, 0, 0, ISOLA_SEND_WAIT);
    return 0;
}

/* arg = detach; handles[0] = module, handles[1] = the root's mailbox.
 * Spawns a waiter and tells the root (tag 40) the result, with the
 * waiter's handle if it detached it (else the waiter ends with it). */
ISOLA_EXPORT("middle") int32_t middle(void)
{
    start_msg s;
    get_start(&s);
    uint32_t detach = arg_u32(&s, 0);
    isola_limits lim = {.memory_pages = 1, .handle_count = 8, .queue_count = 8, .live_children = 0};
    int32_t w = isola_spawn(s.handles[0], "waiter", 6, 0, 0, 0, 0, &lim);
    if (w > 0 && detach) {
        isola_detach(w);
        isola_send(s.handles[1], 40, &w, 4, &w, 1, ISOLA_SEND_WAIT);
    } else {
        isola_send(s.handles[1], 40, &w, 4, 0, 0, ISOLA_SEND_WAIT);
    }
    return 0;
}

/* ---------------------------------------------------------------- revocation */

/*
 * handles[0] = module, handles[1] = report. Makes a revoker, derives a
 * revocable send handle to its own mailbox and hands it to a "rv_user",
 * which passes a duplicate on to a "rv_user" of its own. Both send through
 * theirs (tag 50); after both arrived it revokes, and tells the first user
 * to go on (tag 51, forwarded to the second). They report their second
 * send's status to the host (tag 52). Reports to the host (tag 53) a bit
 * mask of checks: no message through a revoked handle reached it, its own
 * unrevoked handle still works, derive through a revoked revoker fails
 * with EREVOKED, revoke without the REVOKE right fails with EACCES.
 */
ISOLA_EXPORT("rv_owner") int32_t rv_owner(void)
{
    start_msg s;
    get_start(&s);
    int32_t module = s.handles[0], report = s.handles[1];
    int32_t me = isola_self();
    int32_t rv = isola_revoker_create();
    int32_t derived = isola_derive(me, rv, ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER);
    if (rv < 0 || derived < 0)
        return 60;
    int32_t hs[3] = {isola_duplicate(module, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER),
                     isola_duplicate(report, ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER),
                     derived};
    uint32_t level = 1;
    int32_t user = isola_spawn(module, "rv_user", 7, &level, 4, hs, 3, 0);
    if (user < 0)
        return 61;
    int64_t ref = isola_monitor(user);
    uint32_t x;
    recv_u32(50, &x);
    recv_u32(50, &x);
    if (isola_revoke(rv) != 0)
        return 62;
    isola_send(user, 51, 0, 0, 0, 0, ISOLA_SEND_WAIT);
    isola_down d;
    isola_msg_info info;
    isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
    uint32_t checks = 0;
    if (d.ref == (uint64_t)ref && d.kind == ISOLA_EXIT_NORMAL)
        checks |= 1;
    if (isola_receive(ISOLA_MAILBOX, 50, ISOLA_RECV_TAG, &x, 4, 0, 0, 0, 0) == ISOLA_EAGAIN)
        checks |= 2;   /* nothing came through the revoked handles */
    if (isola_send(me, 55, 0, 0, 0, 0, 0) == 0 && recv_u32(55, &x) == 0)
        checks |= 4;   /* the handle it was derived from still works */
    if (isola_derive(me, rv, ISOLA_RIGHT_SEND) == ISOLA_EREVOKED)
        checks |= 8;
    int32_t rv2 = isola_revoker_create();
    int32_t weak = isola_duplicate(rv2, ISOLA_RIGHT_DUPLICATE);
    if (isola_revoke(weak) == ISOLA_EACCES && isola_revoke(rv2) == 0 && isola_revoke(rv2) == 0)
        checks |= 16;
    /* Deriving a derived handle through a second revoker: either cuts it. */
    int32_t rv3 = isola_revoker_create(), rv4 = isola_revoker_create();
    int32_t d3 = isola_derive(me, rv3, ISOLA_RIGHT_SEND | ISOLA_RIGHT_DUPLICATE);
    int32_t d4 = isola_derive(d3, rv4, ISOLA_RIGHT_SEND);
    int32_t before = isola_send(d4, 56, 0, 0, 0, 0, 0);
    isola_revoke(rv3);
    if (before == 0 && isola_send(d4, 56, 0, 0, 0, 0, 0) == ISOLA_EREVOKED &&
        isola_send(d3, 56, 0, 0, 0, 0, 0) == ISOLA_EREVOKED)
        checks |= 32;
    isola_send(report, 53, &checks, 4, 0, 0, ISOLA_SEND_WAIT);
    return 0;
}

/* arg = level; handles[0] = module, [1] = report, [2] = a revocable send
 * handle to the owner. Level 1 passes a duplicate on to a level 2 user. */
ISOLA_EXPORT("rv_user") int32_t rv_user(void)
{
    start_msg s;
    get_start(&s);
    uint32_t level = arg_u32(&s, 0);
    int32_t module = s.handles[0], report = s.handles[1], owner = s.handles[2];
    int32_t next = -1;
    int64_t ref = 0;
    if (level == 1) {
        int32_t hs[3] = {isola_duplicate(module, ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_TRANSFER),
                         isola_duplicate(report, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER),
                         isola_duplicate(owner, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER)};
        uint32_t two = 2;
        next = isola_spawn(module, "rv_user", 7, &two, 4, hs, 3, 0);
        if (next < 0)
            return 70;
        ref = isola_monitor(next);
    }
    uint32_t x = level;
    if (isola_send(owner, 50, &x, 4, 0, 0, ISOLA_SEND_WAIT) != 0)
        return 71;
    recv_u32(51, &x);
    if (next > 0)
        isola_send(next, 51, 0, 0, 0, 0, ISOLA_SEND_WAIT);
    int32_t r = isola_send(owner, 50, &x, 4, 0, 0, 0);
    int32_t out[2] = {(int32_t)level, r};
    isola_send(report, 52, out, 8, 0, 0, ISOLA_SEND_WAIT);
    if (next > 0) {
        /* Stay until the second user is done: it would end with us. */
        isola_down d;
        isola_msg_info info;
        isola_receive(ISOLA_MAILBOX, ISOLA_TAG_DOWN, ISOLA_RECV_TAG, &d, sizeof d, 0, 0, &info, ISOLA_FOREVER);
        if (d.ref != (uint64_t)ref)
            return 72;
    }
    return 0;
}

/* ---------------------------------------------------------------- deadlocks */

/* handles[0] = module. Spawns a peer; each waits for a message from the
 * other that never comes (both receive before either sends). */
ISOLA_EXPORT("pair") int32_t pair(void)
{
    start_msg s;
    get_start(&s);
    int32_t me = isola_self();
    int32_t peer = isola_spawn(s.handles[0], "pair_peer", 9, 0, 0, &me, 1, &small);
    if (peer < 0)
        return peer;
    uint32_t x;
    recv_u32(1, &x);
    isola_send(peer, 1, &x, 4, 0, 0, 0);
    return 0;
}

ISOLA_EXPORT("pair_peer") int32_t pair_peer(void)
{
    start_msg s;
    get_start(&s);
    uint32_t x;
    recv_u32(1, &x);
    isola_send(s.handles[0], 1, &x, 4, 0, 0, 0);
    return 0;
}

/* A sender stuck on a full queue: handles[0] = a process whose mailbox
 * holds at most one message and that never receives (a "stuck"). */
ISOLA_EXPORT("stuck") int32_t stuck(void)
{
    start_msg s;
    get_start(&s);
    uint32_t x;
    return recv_u32(99, &x);
}

ISOLA_EXPORT("flood") int32_t flood(void)
{
    start_msg s;
    get_start(&s);
    uint32_t x = 0;
    for (;;)
        isola_send(s.handles[0], 2, &x, 4, 0, 0, ISOLA_SEND_WAIT);
}

/* Sleeps arg[0] times for 1 ms, with every worker idle in between: a
 * timer is armed, so this is no deadlock. */
ISOLA_EXPORT("napper") int32_t napper(void)
{
    start_msg s;
    get_start(&s);
    uint32_t n = arg_u32(&s, 0);
    for (uint32_t i = 0; i < n; i++)
        isola_sleep(1000000);
    return (int32_t)n;
}

/* Spawner: arg = count; handles[0] = module. count nop processes, one
 * after another, each waited for. */
ISOLA_EXPORT("nop") int32_t nop(void)
{
    return 0;
}

ISOLA_EXPORT("spawner") int32_t spawner(void)
{
    start_msg s;
    get_start(&s);
    uint32_t n = arg_u32(&s, 0);
    for (uint32_t i = 0; i < n; i++) {
        int32_t c = isola_spawn(s.handles[0], "nop", 3, 0, 0, 0, 0, &small);
        if (c < 0) {
            isola_yield();
            i--;
            continue;
        }
        isola_close(c);
    }
    return 0;
}

#else /* POLICY_COMMAND: `_start` for `isola run` (no WASI imports) */

#ifndef POLICY_MODE
#define POLICY_MODE 0
#endif

ISOLA_EXPORT("waiter") int32_t waiter(void)
{
    start_msg s;
    get_start(&s);
    uint32_t x;
    return recv_u32(1, &x);
}

ISOLA_EXPORT("pair_peer") int32_t pair_peer(void)
{
    start_msg s;
    get_start(&s);
    uint32_t x;
    recv_u32(1, &x);
    isola_send(s.handles[0], 1, &x, 4, 0, 0, 0);
    return 0;
}

/*
 * POLICY_MODE 0: receives on its own mailbox, nobody else alive.
 * 1: it and a peer each wait for the other.
 * 2: spawns up to 2000 waiters (each may not spawn); exit(0) if all
 *    could be spawned, else exit(how many), so `--max-procs 3` gives 3.
 */
ISOLA_EXPORT("_start") void start(void)
{
    start_msg s;
    get_start(&s);
    int32_t module = s.handles[0];
    uint32_t x;
    if (POLICY_MODE == 0) {
        recv_u32(1, &x);
    } else if (POLICY_MODE == 1) {
        int32_t me = isola_self();
        isola_spawn(module, "pair_peer", 9, 0, 0, &me, 1, &small);
        recv_u32(1, &x);
    } else {
        isola_limits lim = {.memory_pages = 1, .handle_count = 4, .queue_count = 4, .live_children = 0};
        uint32_t n = 0;
        while (n < 2000 && isola_spawn(module, "waiter", 6, 0, 0, 0, 0, &lim) > 0)
            n++;
        isola_exit(n == 2000 ? 0 : (int32_t)n);
    }
    isola_exit(0);
}

#endif
