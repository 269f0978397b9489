/*
 * proc/link.c - links and monitors: the entry lists and what an end does
 * to them. See link.h for the semantics.
 */
#include "proc/process.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "proc/link.h"
#include "proc/message.h"

enum { LINK_MONITOR, LINK_LINK };

struct proc_link {
    proc_link *next;
    int kind;
    proc_process *peer;        /* owned reference: the watcher, or the linked process */
    proc_endpoint *notify;     /* monitors: the watcher's mailbox send end (owned) */
    proc_message *notice;      /* the DOWN/EXIT message this entry may send, built up front */
    uint64_t ref;
    bool charged;              /* counted in peer->watching (the entry its maker's call put on a list) */
};

static atomic_uint_fast64_t next_ref = 1;

static void link_free(proc_link *entry);

/*
 * A watcher that ends leaves its monitors on their targets' lists (its
 * DOWNs would go to a closed mailbox), each with its notice and a
 * reference keeping the ended watcher's struct. Nothing would bound them
 * while a target lives: watchers that monitor a long-lived process and end,
 * one after another, would grow its list without end. So an insert that
 * finds the list twice as long as after the last sweep (and 8 more) takes
 * out the entries of ended watchers: a list is never more than twice its
 * live entries plus 8, which the live watchers' handle limits bound, at a
 * cost spread over the inserts. Returns the entries taken out, for the
 * caller to free after the lock (freeing may end the watcher's struct).
 */
static proc_link *monitors_sweep(proc_process *target)
{
    proc_link *dead = NULL, **pp = &target->monitors;
    while (*pp) {
        proc_link *e = *pp;
        if (atomic_load_explicit(&e->peer->links_closed, memory_order_relaxed)) {
            *pp = e->next;
            e->next = dead;
            dead = e;
            target->monitor_count--;
        } else {
            pp = &e->next;
        }
    }
    target->monitor_sweep_at = 2 * target->monitor_count + 8;
    return dead;
}

/* Adds `entry` to target's list of its kind; false if target has ended already. */
static bool link_insert(proc_process *target, proc_link *entry)
{
    proc_link *dead = NULL;
    util_spin_lock(&target->link_lock);
    bool open = !atomic_load_explicit(&target->links_closed, memory_order_relaxed);
    if (open && entry->kind == LINK_MONITOR) {
        if (target->monitor_count >= target->monitor_sweep_at)
            dead = monitors_sweep(target);
        target->monitor_count++;
    }
    if (open) {
        proc_link **list = entry->kind == LINK_MONITOR ? &target->monitors : &target->links;
        entry->next = *list;
        *list = entry;
    }
    util_spin_unlock(&target->link_lock);
    while (dead) {
        proc_link *e = dead;
        dead = e->next;
        link_free(e);
    }
    return open;
}

/* One more monitor or link made by `maker`: ISOLA_ELIMIT past its handle-count limit. */
static int32_t link_charge(proc_process *maker)
{
    if (atomic_fetch_add_explicit(&maker->watching, 1, memory_order_relaxed) >= maker->handles.limit) {
        atomic_fetch_sub_explicit(&maker->watching, 1, memory_order_relaxed);
        return ISOLA_ELIMIT;
    }
    return PROC_OK;
}

static void link_free(proc_link *entry)
{
    if (entry->charged)
        atomic_fetch_sub_explicit(&entry->peer->watching, 1, memory_order_relaxed);
    proc_object_release(&entry->peer->header);
    if (entry->notify)
        proc_object_release(proc_endpoint_object(entry->notify));
    proc_message_free(entry->notice);
    free(entry);
}

/* The notice is allocated when the monitor or link is made, so that an end
 * never has to allocate and a notice can never be lost to a lack of memory
 * or to a full mailbox (it bypasses the queue limits). */
static proc_message *link_notice_new(uint64_t tag)
{
    proc_down_payload zero = {0};
    proc_handle_table none;
    proc_handle_table_init(&none, 0);
    proc_message *m = NULL;
    if (proc_message_build(&none, NULL, tag, &zero, sizeof zero, NULL, 0, &m) != PROC_OK)
        return NULL;
    return m;
}

/* Fills in and sends the entry's notice (once; a closed mailbox drops it).
 * A notice that holds a unit of its receiver's `watching` (`charge`, taken
 * over from the monitor or link that the receiver made, or taken now)
 * bypasses the queue limits: it can never be lost to a full mailbox, and
 * the receiver's handle limit bounds how many wait there, since the unit
 * comes back only when the notice is received (proc_message.charge).
 * Without one (the receiver is at its limit, or the notice is sent at once
 * because the target had ended already) it goes through the limits:
 * otherwise monitoring an ended process in a loop, or killing processes
 * one has monitored again and again, would fill a mailbox without end.
 * Returns ISOLA_EFULL (nothing sent) only for `at_once`, for the caller. */
static int32_t link_notify(proc_endpoint *mailbox_send, proc_message **notice, uint64_t ref, proc_exit_kind kind,
                           int32_t reason, atomic_uint *charge, bool at_once)
{
    proc_message *m = *notice;
    *notice = NULL;
    assert(m && m->size == sizeof(proc_down_payload));
    proc_down_payload payload = {.ref = ref, .kind = (int32_t)kind, .reason = reason};
    memcpy((uint8_t *)proc_message_bytes(m), &payload, sizeof payload);
    m->charge = charge;
    int32_t r = charge ? proc_endpoint_send_notice(mailbox_send, m) : proc_endpoint_send(mailbox_send, m, NULL);
    if (r != PROC_OK)
        proc_message_free(m);   /* gives the unit back */
    return at_once ? r : PROC_OK;   /* at once: the caller is told (EFULL, or ETOOBIG for a tiny queue) */
}

/* The unit of peer->watching a notice from `entry` will hold: the entry's
 * own (it moves to the notice), or a new one if peer has room; NULL when
 * neither. */
static atomic_uint *link_notice_charge(proc_link *entry)
{
    if (entry->charged) {
        entry->charged = false;
        return &entry->peer->watching;
    }
    return link_charge(entry->peer) == PROC_OK ? &entry->peer->watching : NULL;
}

/* A new entry naming `peer` (retained), with its notice; NULL if out of memory. */
static proc_link *link_entry_new(int kind, proc_process *peer, uint64_t tag)
{
    proc_link *e = calloc(1, sizeof *e);
    proc_message *notice = link_notice_new(tag);
    if (!e || !notice) {
        free(e);
        proc_message_free(notice);
        return NULL;
    }
    e->kind = kind;
    e->peer = peer;
    e->notice = notice;
    proc_object_retain(&peer->header);
    return e;
}

int64_t proc_monitor(proc_process *watcher, proc_process *target)
{
    int32_t r = link_charge(watcher);
    if (r != PROC_OK)
        return r;
    proc_link *e = link_entry_new(LINK_MONITOR, watcher, PROC_TAG_DOWN);
    if (!e) {
        atomic_fetch_sub_explicit(&watcher->watching, 1, memory_order_relaxed);
        return ISOLA_ENOMEM;
    }
    e->charged = true;
    e->notify = watcher->mailbox_send;
    proc_object_retain(proc_endpoint_object(e->notify));
    e->ref = atomic_fetch_add(&next_ref, 1);
    uint64_t ref = e->ref;
    if (!link_insert(target, e)) {
        /* Already ended: report it at once. */
        r = link_notify(e->notify, &e->notice, ref, (proc_exit_kind)target->end_kind, target->end_reason, NULL,
                        true);
        link_free(e);
        if (r != PROC_OK)
            return r;
    }
    return (int64_t)ref;
}

static bool exit_is_normal(proc_exit_kind kind, int32_t reason)
{
    return (kind == PROC_EXIT_NORMAL || kind == PROC_EXIT_EXIT) && reason == 0;
}

/* `dead` ended with (kind, reason); tell the linked process entry->peer,
 * with the entry's notice if it traps exits (`at_once`: see link_notify). */
static int32_t link_signal(proc_link *entry, proc_process *dead, proc_exit_kind kind, int32_t reason, bool at_once)
{
    proc_process *peer = entry->peer;
    util_spin_lock(&peer->link_lock);
    bool traps = peer->trap_exits;
    util_spin_unlock(&peer->link_lock);
    if (traps)
        return link_notify(peer->mailbox_send, &entry->notice, dead->id, kind, reason,
                           at_once ? NULL : link_notice_charge(entry), at_once);
    if (!exit_is_normal(kind, reason))
        proc_process_kill(peer, PROC_EXIT_KILLED, reason);
    return PROC_OK;
}

/* Where p's list holds its link to `peer`, or where the list ends; adds
 * the entries passed over to *steps (may be NULL). p's link_lock held. */
static proc_link **link_find(proc_process *p, const proc_process *peer, uint32_t *steps)
{
    proc_link **pp = &p->links;
    uint32_t n = 0;
    while (*pp && (*pp)->peer != peer) {
        pp = &(*pp)->next;
        n++;
    }
    if (steps)
        *steps += n;
    return pp;
}

/* Whether a's list has a link to b already (links are a set: linking again does nothing). */
static bool link_exists(proc_process *a, proc_process *b, uint32_t *steps)
{
    util_spin_lock(&a->link_lock);
    bool found = *link_find(a, b, steps) != NULL;
    util_spin_unlock(&a->link_lock);
    return found;
}

/* Removes from peer's list the link entry naming `dead`, if any. */
static void link_unhook(proc_process *peer, proc_process *dead)
{
    util_spin_lock(&peer->link_lock);
    proc_link **pp = link_find(peer, dead, NULL), *found = *pp;
    if (found)
        *pp = found->next;
    util_spin_unlock(&peer->link_lock);
    if (found)
        link_free(found);
}

int32_t proc_link_add(proc_process *a, proc_process *b, uint32_t *steps)
{
    *steps = 0;
    if (a == b)
        return ISOLA_EINVAL;
    if (link_exists(a, b, steps))
        return PROC_OK;
    int32_t r = link_charge(a);
    if (r != PROC_OK)
        return r;
    /* ea sits on a's list and tells b; eb sits on b's list and tells a (and
     * is a's charge: it is what a's call put on someone else's list). */
    proc_link *ea = link_entry_new(LINK_LINK, b, PROC_TAG_EXIT);
    proc_link *eb = link_entry_new(LINK_LINK, a, PROC_TAG_EXIT);
    if (eb)
        eb->charged = true;
    else
        atomic_fetch_sub_explicit(&a->watching, 1, memory_order_relaxed);
    if (!ea || !eb) {
        if (ea)
            link_free(ea);
        if (eb)
            link_free(eb);
        return ISOLA_ENOMEM;
    }
    ea->ref = b->id;
    eb->ref = a->id;
    /* a's entry first: a is the caller, running, so its list is open. */
    if (!link_insert(a, ea)) {
        link_free(ea);
        link_free(eb);
        return PROC_OK;
    }
    if (!link_insert(b, eb)) {
        /* b has ended: no link stays (b's end will never unhook ea), and a
         * acts on it as if the link had existed (Erlang: noproc). */
        link_unhook(a, b);   /* ea */
        r = link_signal(eb, b, (proc_exit_kind)b->end_kind, b->end_reason, true);
        link_free(eb);
        return r;
    }
    return PROC_OK;
}

/* ---------------------------------------------------------------- children */

static proc_process *child_parent(const proc_process *child)
{
    proc_object *ref = child->parent_ref;
    return ref && ref->type == PROC_OBJ_PROCESS ? proc_process_from_object(ref) : NULL;
}

/* Removes `child` from its parent's list (parent's link_lock held). */
static void child_unlink(proc_process *parent, proc_process *child)
{
    assert(child->child_listed);
    if (child->sibling_prev)
        child->sibling_prev->sibling_next = child->sibling_next;
    else
        parent->children = child->sibling_next;
    if (child->sibling_next)
        child->sibling_next->sibling_prev = child->sibling_prev;
    child->sibling_prev = child->sibling_next = NULL;
    child->child_listed = false;
}

/*
 * Children join their parent's list lazily: at the end of their first
 * slice that does not end them (sched.c), on their own worker. A child
 * that runs to its end in one slice (most short-lived ones) never takes
 * the parent's lock, at its spawn or at its end; with two workers the
 * parent's lock and the siblings' links were lines both cores wrote. One
 * that has not joined when its parent ends is killed when it would join,
 * or before its first slice (proc_child_orphaned), so a subtree still
 * ends with its root.
 */
void proc_child_join(proc_process *child)
{
    proc_process *parent = child_parent(child);
    if (!parent || child->child_joined)
        return;
    child->child_joined = true;
    util_spin_lock(&parent->link_lock);
    bool detached = atomic_load_explicit(&child->child_detached, memory_order_relaxed);
    bool orphan = atomic_load_explicit(&parent->links_closed, memory_order_relaxed) && !detached;
    if (!orphan && !detached) {
        child->sibling_prev = NULL;
        child->sibling_next = parent->children;
        if (parent->children)
            parent->children->sibling_prev = child;
        parent->children = child;
        child->child_listed = true;
    }
    util_spin_unlock(&parent->link_lock);
    if (orphan)
        proc_process_kill(child, PROC_EXIT_KILLED, PROC_REASON_PARENT_ENDED);
}

bool proc_child_orphaned(const proc_process *child)
{
    const proc_process *parent = child_parent(child);
    /* A peek without the parent's lock: a parent ending right now is
     * caught by proc_child_join instead. A detach comes before its
     * parent's end on the parent's thread, so once the end's release
     * store of links_closed is seen (acquire), so is the detach. */
    return parent && !child->child_joined && atomic_load_explicit(&parent->links_closed, memory_order_acquire) &&
           !atomic_load_explicit(&child->child_detached, memory_order_relaxed);
}

int32_t proc_child_detach(proc_process *parent, proc_process *child)
{
    if (child->parent_id != parent->id)   /* not child_parent: an ended child may have let it go */
        return ISOLA_EINVAL;
    util_spin_lock(&parent->link_lock);
    if (child->child_listed)
        child_unlink(parent, child);
    atomic_store_explicit(&child->child_detached, true, memory_order_relaxed);
    util_spin_unlock(&parent->link_lock);
    return PROC_OK;
}

/* `p` is ending: off its parent's list. One that never joined is on no
 * list, and only its own worker could have put it there: no lock. */
static void child_on_end(proc_process *p)
{
    proc_process *parent = child_parent(p);
    if (!parent || !p->child_joined)
        return;
    util_spin_lock(&parent->link_lock);
    if (p->child_listed)
        child_unlink(parent, p);
    util_spin_unlock(&parent->link_lock);
}

/* Takes `p`'s children off its list (p->link_lock held). A listed child
 * cannot finish ending (it needs our lock to unlist itself), so under the
 * lock each can be retained; the kills (which queue the children) happen
 * after it, as the lock is only for pointer updates. Unlisted, their
 * sibling links are ours: nobody else lists them again. */
static proc_process *children_take(proc_process *p)
{
    proc_process *list = p->children;
    p->children = NULL;
    for (proc_process *c = list; c; c = c->sibling_next) {
        c->child_listed = false;
        proc_object_retain(&c->header);
    }
    return list;
}

/* Kills the children taken by children_take. */
static void children_kill(proc_process *list)
{
    while (list) {
        proc_process *child = list;
        list = child->sibling_next;
        child->sibling_prev = child->sibling_next = NULL;
        proc_process_kill(child, PROC_EXIT_KILLED, PROC_REASON_PARENT_ENDED);
        proc_object_release(&child->header);
    }
}

/* ---------------------------------------------------------------- ending */

void proc_links_fire(proc_process *p, proc_exit_kind kind, int32_t reason)
{
    child_on_end(p);
    /* Children and links in one hold of our lock (each one is a locked
     * instruction on every process end). A child joins under this lock:
     * one that joined is taken below, one that joins later finds
     * links_closed and ends itself (proc_child_join). */
    util_spin_lock(&p->link_lock);
    atomic_store_explicit(&p->links_closed, true, memory_order_release);   /* see proc_child_orphaned */
    proc_link *list = p->links, *monitors = p->monitors;
    p->links = NULL;
    p->monitors = NULL;
    p->monitor_count = 0;
    proc_process *children = children_take(p);
    util_spin_unlock(&p->link_lock);
    children_kill(children);
    while (monitors) {
        proc_link *e = monitors;
        monitors = e->next;
        (void)link_notify(e->notify, &e->notice, e->ref, kind, reason, link_notice_charge(e), false);
        link_free(e);
    }
    while (list) {
        proc_link *e = list;
        list = e->next;
        link_unhook(e->peer, p);
        (void)link_signal(e, p, kind, reason, false);
        link_free(e);
    }
}
