/*
 * proc/limits.c - the quota arithmetic: clamping a child's request to what
 * its parent has left, reserving it, and giving it back.
 */
#include "proc/limits.h"

#include <assert.h>
#include <stddef.h>

#include "proc/object.h"

proc_limits proc_limits_unlimited(void)
{
    return (proc_limits){
        .memory_pages = PROC_LIMIT_UNLIMITED32,
        .fuel_per_slice = PROC_LIMIT_UNLIMITED64,
        .fuel_total = PROC_LIMIT_UNLIMITED64,
        .queue_count = PROC_LIMIT_UNLIMITED32,
        .queue_bytes = PROC_LIMIT_UNLIMITED64,
        .handle_count = PROC_LIMIT_UNLIMITED32,
        .live_children = PROC_LIMIT_UNLIMITED32,
    };
}


void proc_quota_init(proc_quota *quota, proc_limits limits)
{
    *quota = (proc_quota){.limits = limits};
    util_spin_init(&quota->lock);
}

static uint32_t min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint32_t left32(uint32_t limit, uint32_t used)
{
    assert(limit == PROC_LIMIT_UNLIMITED32 || used <= limit);
    return limit == PROC_LIMIT_UNLIMITED32 ? PROC_LIMIT_UNLIMITED32 : limit - used;
}

static uint64_t left64(uint64_t limit, uint64_t used)
{
    assert(limit == PROC_LIMIT_UNLIMITED64 || used <= limit);
    return limit == PROC_LIMIT_UNLIMITED64 ? PROC_LIMIT_UNLIMITED64 : limit - used;
}

int32_t proc_quota_spawn(proc_quota *parent, const proc_limits *requested, proc_limits *granted)
{
    util_spin_lock(&parent->lock);
    const proc_limits *have = &parent->limits;
    uint32_t children_left = left32(have->live_children, parent->children_used);
    if (children_left == 0) {
        util_spin_unlock(&parent->lock);
        return ISOLA_ELIMIT;
    }
    proc_limits g;
    /* The child itself takes one of the parent's child slots; its own
     * descendants share the rest. */
    g.live_children = min32(requested->live_children,
                            children_left == PROC_LIMIT_UNLIMITED32 ? children_left : children_left - 1);
    g.memory_pages = min32(requested->memory_pages, left32(have->memory_pages, parent->pages_used));
    g.fuel_total = min64(requested->fuel_total, left64(have->fuel_total, parent->fuel_used));
    g.fuel_per_slice = min64(requested->fuel_per_slice, have->fuel_per_slice);
    g.queue_count = min32(requested->queue_count, have->queue_count);
    g.queue_bytes = min64(requested->queue_bytes, have->queue_bytes);
    g.handle_count = min32(requested->handle_count, have->handle_count);
    if (have->live_children != PROC_LIMIT_UNLIMITED32)
        parent->children_used += 1 + g.live_children;
    if (have->memory_pages != PROC_LIMIT_UNLIMITED32) {
        parent->pages_used += g.memory_pages;
        parent->child_pages += g.memory_pages;
    }
    if (have->fuel_total != PROC_LIMIT_UNLIMITED64)
        parent->fuel_used += g.fuel_total;
    parent->shared = true;
    util_spin_unlock(&parent->lock);
    *granted = g;
    return PROC_OK;
}

/* Gives children slots, pages and fuel back to `quota`, and on up the chain
 * of quotas whose owners have ended (each of those gave back, when it
 * ended, everything but what its children held: this is that part). */
static void quota_give_back(proc_quota *quota, uint32_t children, uint32_t pages, uint64_t fuel)
{
    while (quota) {
        util_spin_lock(&quota->lock);
        const proc_limits *have = &quota->limits;
        if (have->live_children != PROC_LIMIT_UNLIMITED32) {
            assert(quota->children_used >= children);
            quota->children_used -= children;
        }
        if (have->memory_pages != PROC_LIMIT_UNLIMITED32) {
            assert(quota->pages_used >= pages && quota->child_pages >= pages);
            quota->pages_used -= pages;
            quota->child_pages -= pages;
        }
        if (have->fuel_total != PROC_LIMIT_UNLIMITED64) {
            assert(quota->fuel_used >= fuel);
            quota->fuel_used -= fuel;
        }
        proc_quota *next = quota->ended ? quota->up : NULL;
        util_spin_unlock(&quota->lock);
        quota = next;
    }
}

static uint64_t unburnt(const proc_limits *granted, uint64_t fuel_burnt)
{
    return fuel_burnt < granted->fuel_total ? granted->fuel_total - fuel_burnt : 0;
}

void proc_quota_child_exit(proc_quota *parent, const proc_limits *granted, uint64_t fuel_burnt)
{
    quota_give_back(parent, 1 + granted->live_children, granted->memory_pages, unburnt(granted, fuel_burnt));
}

bool proc_quota_owner_exit(proc_quota *quota, proc_quota *parent, const proc_limits *granted)
{
    /* Under the owner's lock, so that a child ending at the same time either
     * gives back before (and is not held any more) or after (and is passed
     * on). An owner that never spawned has no child to race with (most
     * processes are leaves): its own thread is the only one here. */
    bool shared = quota->shared;
    if (shared)
        util_spin_lock(&quota->lock);
    uint32_t children_held = quota->limits.live_children != PROC_LIMIT_UNLIMITED32 ? quota->children_used : 0;
    uint32_t self_held = quota->objects_made > 0;   /* its own slot: see proc_quota_release_object */
    uint32_t pages_held = quota->limits.memory_pages != PROC_LIMIT_UNLIMITED32 ? quota->child_pages : 0;
    uint64_t fuel_burnt = quota->fuel_used;   /* own fuel and what its live children hold */
    quota->ended = true;
    quota->up = parent;
    if (shared)
        util_spin_unlock(&quota->lock);
    assert(children_held <= granted->live_children || granted->live_children == PROC_LIMIT_UNLIMITED32);
    assert(pages_held <= granted->memory_pages || granted->memory_pages == PROC_LIMIT_UNLIMITED32);
    quota_give_back(parent, 1 - self_held + granted->live_children - children_held,
                    granted->memory_pages - pages_held, unburnt(granted, fuel_burnt));
    /* Children not counted (no limit) may still give back through it. */
    bool uncounted = quota->limits.live_children == PROC_LIMIT_UNLIMITED32;
    return shared && (uncounted || children_held > 0 || self_held);
}

int32_t proc_quota_charge_object(proc_quota_charge *charge, proc_quota *quota, proc_object *maker)
{
    *charge = (proc_quota_charge){NULL, NULL};
    if (!quota || quota->limits.handle_count == PROC_LIMIT_UNLIMITED32)
        return PROC_OK;
    assert(maker);
    quota->shared = true;   /* the object may go on another thread */
    util_spin_lock(&quota->lock);
    assert(!quota->ended);
    bool room = quota->objects_made < quota->limits.handle_count;
    quota->objects_made += room;
    util_spin_unlock(&quota->lock);
    if (!room)
        return ISOLA_ELIMIT;
    proc_object_retain(maker);
    *charge = (proc_quota_charge){quota, maker};
    return PROC_OK;
}

void proc_quota_release_object(proc_quota_charge *charge)
{
    proc_quota *quota = charge->quota;
    if (!quota)
        return;
    util_spin_lock(&quota->lock);
    assert(quota->objects_made > 0);
    bool last_of_ended = --quota->objects_made == 0 && quota->ended;
    proc_quota *up = quota->up;
    util_spin_unlock(&quota->lock);
    /* The slot proc_quota_owner_exit held back; `up` outlives `quota`. */
    if (last_of_ended)
        quota_give_back(up, 1, 0, 0);
    proc_object_release(charge->maker);   /* may free `quota`: last */
    *charge = (proc_quota_charge){NULL, NULL};
}

int32_t proc_quota_charge_held(proc_quota *quota)
{
    /* Limits never change after init: an unlimited count needs no lock. */
    if (quota->limits.handle_count == PROC_LIMIT_UNLIMITED32)
        return PROC_OK;
    /* The lock, not because the owner races itself, but because objects
     * it made may be released on other threads at any time. */
    util_spin_lock(&quota->lock);
    assert(!quota->ended);
    bool room = quota->objects_made < quota->limits.handle_count;
    quota->objects_made += room;
    util_spin_unlock(&quota->lock);
    return room ? PROC_OK : ISOLA_ELIMIT;
}

void proc_quota_release_held(proc_quota *quota)
{
    if (quota->limits.handle_count == PROC_LIMIT_UNLIMITED32)
        return;
    util_spin_lock(&quota->lock);
    /* Ended with something held, proc_quota_owner_exit would have kept a
     * slot for it in the parent that nothing gives back. */
    assert(!quota->ended && quota->objects_made > 0);
    quota->objects_made--;
    util_spin_unlock(&quota->lock);
}

static int32_t quota_charge_pages(proc_quota *quota, uint32_t pages)
{
    if (quota->limits.memory_pages == PROC_LIMIT_UNLIMITED32)
        return PROC_OK;
    if (pages > quota->limits.memory_pages - quota->pages_used)
        return ISOLA_ELIMIT;
    quota->pages_used += pages;
    return PROC_OK;
}

int32_t proc_quota_charge_pages(proc_quota *quota, uint32_t pages)
{
    util_spin_lock(&quota->lock);
    int32_t status = quota_charge_pages(quota, pages);
    util_spin_unlock(&quota->lock);
    return status;
}

int32_t proc_quota_charge_pages_unshared(proc_quota *quota, uint32_t pages)
{
    return quota_charge_pages(quota, pages);
}

void proc_quota_release_pages(proc_quota *quota, uint32_t pages)
{
    util_spin_lock(&quota->lock);
    if (quota->limits.memory_pages != PROC_LIMIT_UNLIMITED32) {
        assert(quota->pages_used >= pages);
        quota->pages_used -= pages;
    }
    util_spin_unlock(&quota->lock);
}

int32_t proc_quota_charge_fuel(proc_quota *quota, uint64_t fuel)
{
    /* Charged after every slice; limits never change after init, so an
     * unlimited total needs no lock. */
    if (quota->limits.fuel_total == PROC_LIMIT_UNLIMITED64)
        return PROC_OK;
    int32_t status = PROC_OK;
    util_spin_lock(&quota->lock);
    uint64_t left = quota->limits.fuel_total - quota->fuel_used;
    if (fuel > left) {
        fuel = left;
        status = ISOLA_ELIMIT;
    }
    quota->fuel_used += fuel;
    util_spin_unlock(&quota->lock);
    return status;
}

uint64_t proc_quota_fuel_left(proc_quota *quota)
{
    if (quota->limits.fuel_total == PROC_LIMIT_UNLIMITED64)
        return UINT64_MAX;
    util_spin_lock(&quota->lock);
    uint64_t left = quota->limits.fuel_total - quota->fuel_used;
    util_spin_unlock(&quota->lock);
    return left;
}

void proc_quota_remaining(proc_quota *quota, proc_limits *remaining)
{
    util_spin_lock(&quota->lock);
    const proc_limits *have = &quota->limits;
    *remaining = *have;
    remaining->memory_pages = left32(have->memory_pages, quota->pages_used);
    remaining->fuel_total = left64(have->fuel_total, quota->fuel_used);
    remaining->live_children = left32(have->live_children, quota->children_used);
    util_spin_unlock(&quota->lock);
}
