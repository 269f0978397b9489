/*
 * proc/limits.h - per-process limits and nested quotas.
 *
 * Every process has a proc_limits (set at spawn, never raised) and a
 * proc_quota that tracks what is used of it. Quotas nest by reservation:
 * when a process spawns a child, the child's grant is carved out of what the
 * parent has left and stays reserved until the child ends, so the whole
 * subtree under a process never exceeds that process's limits (a spawn bomb
 * exhausts its parent's quota, not the VM).
 *
 * Resource by resource:
 *   memory_pages   shared budget: own linear memory + children's grants
 *                  (the initial pages charged at spawn, each memory.grow
 *                  through the instance's hook: process.c). Its tables get
 *                  as many 8-byte elements as the limit has words, apart.
 *   fuel_total     shared budget: own fuel burnt + children's grants; on a
 *                  child's exit only its unburnt fuel comes back.
 *   live_children  shared budget: each live child costs 1 plus its own
 *                  live_children grant (so it counts descendants at any depth).
 * A process that ends gives back its grant except what its live children
 * still hold; those parts come back, through its quota, when they end
 * (proc_quota_owner_exit). Otherwise a middle process that ends at once
 * would let its ancestors spawn again while its children live on: a spawn
 * bomb of orphans that no quota stops.
 *   fuel_per_slice, queue_count, queue_bytes, handle_count
 *                  caps: a child's is at most its parent's, nothing reserved.
 *   objects made   the live channels and directory handles a process
 *                  made, and the host descriptors its WASI table holds
 *                  for files it opened (proc_quota_charge_held), at most
 *                  its handle_count, however many handles
 *                  to them it still holds: a handle moved into a message
 *                  leaves its table, and endpoints nest in each other's
 *                  queues, so only counting the objects themselves bounds
 *                  them (and the queues and host descriptors they hold).
 *                  A process that ends while objects it made live on
 *                  keeps its own slot among its parent's live_children
 *                  until the last of them goes: a loop of children that
 *                  each leave a nest of channels behind is stopped by the
 *                  parent's child limit, like a spawn bomb.
 * A limit equal to PROC_LIMIT_UNLIMITED (all bits set) is not counted at all
 * (the host's root processes); a child of such a parent gets what it asks.
 *
 * Invariants (under `lock`, for a limited resource): used <= limit.
 * Threads: the parent spawns on its worker, children exit on theirs, so a
 * quota has its own small lock.
 */
#ifndef ISOLA_PROC_LIMITS_H
#define ISOLA_PROC_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/spinlock.h"
#include "proc/status.h"

#define PROC_LIMIT_UNLIMITED32 UINT32_MAX
#define PROC_LIMIT_UNLIMITED64 UINT64_MAX

typedef struct proc_limits {
    uint32_t memory_pages;    /* 64 KiB wasm pages */
    uint64_t fuel_per_slice;  /* fuel units run before the scheduler preempts */
    uint64_t fuel_total;      /* fuel units over the whole life */
    uint32_t queue_count;     /* messages in each of its incoming queues */
    uint64_t queue_bytes;     /* payload bytes in each of its incoming queues */
    uint32_t handle_count;    /* live handles in its table */
    uint32_t live_children;   /* live descendants, any depth */
} proc_limits;

typedef struct proc_quota {
    util_spinlock lock;
    proc_limits limits;
    uint32_t pages_used;      /* own memory + pages granted to live children */
    uint32_t child_pages;     /* the part of pages_used granted to live children */
    uint64_t fuel_used;       /* own fuel burnt + fuel granted to live children */
    uint32_t children_used;   /* live children + their live_children grants */
    /* Once the owner has ended (proc_quota_owner_exit): what its children
     * give back goes on to `up`, the quota its own grant came from. */
    struct proc_quota *up;
    bool ended;
    /* Live objects the owner made (proc_quota_charge_object), counted
     * against limits.handle_count while they live, wherever the handles to
     * them are: in a table or in messages queued in channels; and what it
     * holds itself (proc_quota_charge_held), none of it once it has ended. */
    uint32_t objects_made;
    /* A spawn or an object has been charged here: other threads may give
     * back at any time. Written and read only by the owner's own thread
     * (it is the one that spawns and makes objects), so no lock. */
    bool shared;
} proc_quota;

/* Everything unlimited: for processes the host spawns when it sets no limits. */
proc_limits proc_limits_unlimited(void);

/* What a spawn asks for when the guest passes no limits (documented values:
 * 256 pages = 16 MiB, fuel 10,000 per slice, unlimited total, queues of
 * 1024 messages / 1 MiB, 1024 handles, 1024 live descendants). Grants
 * are clamped, so a default request may take all a small parent has left:
 * spawners that start many children should ask for specific amounts. */
static inline proc_limits proc_limits_default(void)
{
    /* Inline: every spawn starts from it, and a struct built field by field
     * in another function and read back in wider pieces stalls the loads
     * (3% of a spawn and exit). */
    return (proc_limits){
        .memory_pages = 256,
        .fuel_per_slice = 10000,
        .fuel_total = PROC_LIMIT_UNLIMITED64,
        .queue_count = 1024,
        .queue_bytes = 1u << 20,
        .handle_count = 1024,
        .live_children = 1024,
    };
}

void proc_quota_init(proc_quota *quota, proc_limits limits);

/* Grants a child at most `requested` of each resource, clamped to what the
 * parent has left, and reserves the shared budgets. ISOLA_ELIMIT when the
 * parent cannot have one more live child; otherwise PROC_OK and *granted
 * (which becomes the child's proc_limits and must be passed back to
 * proc_quota_child_exit). */
int32_t proc_quota_spawn(proc_quota *parent, const proc_limits *requested, proc_limits *granted);

/* Gives back the reservation of a child that never ran (a failed spawn);
 * `fuel_burnt` is what it consumed, which stays consumed. */
void proc_quota_child_exit(proc_quota *parent, const proc_limits *granted, uint64_t fuel_burnt);

/* The owner of `quota` has ended; `granted` is what `parent` reserved for
 * it. Gives `parent` back all of it except what the owner's live children
 * still hold (and the fuel burnt), and from now on passes on to `parent`
 * whatever those children give back when they end. `parent` must outlive
 * `quota` while that may happen: true when it may (live children, or
 * objects the owner made that still live); false when nothing will ever
 * come back through `quota` again. */
bool proc_quota_owner_exit(proc_quota *quota, proc_quota *parent, const proc_limits *granted);

/* Own memory growth by `pages`: PROC_OK or ISOLA_ELIMIT (nothing charged). */
int32_t proc_quota_charge_pages(proc_quota *quota, uint32_t pages);
/* The same for a quota no other thread can reach yet (a process being
 * spawned): without the lock. */
int32_t proc_quota_charge_pages_unshared(proc_quota *quota, uint32_t pages);

/* Own memory shrink (a memory freed). */
void proc_quota_release_pages(proc_quota *quota, uint32_t pages);

/* Burns fuel: PROC_OK, or ISOLA_ELIMIT when the total would be exceeded
 * (then the remainder is charged, and the process should end). */
int32_t proc_quota_charge_fuel(proc_quota *quota, uint64_t fuel);

/* Fuel the process may still burn itself (its total, less what it burnt
 * and granted); UINT64_MAX when unlimited. */
uint64_t proc_quota_fuel_left(proc_quota *quota);

/* What an object that may outlive its maker's table (a channel, a
 * directory) holds of the maker's quota: `quota` is NULL when nothing
 * counts it; `maker` keeps the quota alive. */
typedef struct proc_quota_charge {
    proc_quota *quota;
    struct proc_object *maker;
} proc_quota_charge;

/* Counts a new object `maker` made in its quota (NULL, or one with no
 * handle-count limit: counts nothing): PROC_OK, or ISOLA_ELIMIT when it has
 * handle_count objects alive. Maker's thread only. */
int32_t proc_quota_charge_object(proc_quota_charge *charge, proc_quota *quota, struct proc_object *maker);

/* The object is gone (any thread). When its maker has ended and this was
 * its last, the maker's slot goes back to its parent. */
void proc_quota_release_object(proc_quota_charge *charge);

/*
 * What the owner holds in its own state rather than in an object that may
 * outlive it: a host descriptor in its WASI table (host/proc_wasi.c). It
 * counts against limits.handle_count together with the objects it made
 * (objects_made), so channels, directory handles and open files share one
 * bound. Unlike an object it takes no reference on the maker and keeps no
 * slot: the owner gives every one back before it ends (its WASI context is
 * released before proc_quota_owner_exit). PROC_OK, or ISOLA_ELIMIT when
 * handle_count are alive; nothing is counted when handle_count is
 * unlimited. Owner's thread only, both of them.
 */
int32_t proc_quota_charge_held(proc_quota *quota);
void proc_quota_release_held(proc_quota *quota);

/* What is left of each resource now (caps are copied as they are). */
void proc_quota_remaining(proc_quota *quota, proc_limits *remaining);

#endif
