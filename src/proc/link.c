/*
 * proc/link.c - links and monitors: the entry lists and what an end does
 * to them. See link.h for the semantics.
 */
#include "proc/process.h"

#include <stdlib.h>

#include "proc/link.h"
#include "proc/message.h"

enum { LINK_MONITOR, LINK_LINK };

struct proc_link {
    proc_link *next;
    int kind;
    proc_process *peer;        /* owned reference: the watcher, or the linked process */
    proc_endpoint *notify;     /* monitors: the watcher's mailbox send end (owned) */
    uint64_t ref;
};

static atomic_uint_fast64_t next_ref = 1;

/* Adds `entry` to target's list; false if target has ended already. */
static bool link_insert(proc_process *target, proc_link *entry)
{
    proc_lock_acquire(&target->link_lock);
    bool open = !target->links_closed;
    if (open) {
        entry->next = target->links;
        target->links = entry;
    }
    proc_lock_release(&target->link_lock);
    return open;
}

static void link_free(proc_link *entry)
{
    proc_object_release(&entry->peer->header);
    if (entry->notify)
        proc_object_release(proc_endpoint_object(entry->notify));
    free(entry);
}

/* Sends a down/exit message into a mailbox (best effort: a full mailbox drops it). */
static void link_notify(proc_endpoint *mailbox_send, uint64_t tag, uint64_t ref, proc_exit_kind kind, int32_t reason)
{
    proc_down_payload payload = {.ref = ref, .kind = (int32_t)kind, .reason = reason};
    proc_handle_table none;
    proc_handle_table_init(&none, 0);
    proc_message *m;
    if (proc_message_build(&none, NULL, tag, &payload, sizeof payload, NULL, 0, &m) != PROC_OK)
        return;
    if (proc_endpoint_send(mailbox_send, m, NULL) != PROC_OK)
        proc_message_free(m);
}

int64_t proc_monitor(proc_process *watcher, proc_process *target)
{
    proc_link *e = calloc(1, sizeof *e);
    if (!e)
        return ISOLA_ENOMEM;
    e->kind = LINK_MONITOR;
    e->peer = watcher;
    proc_object_retain(&watcher->header);
    e->notify = watcher->mailbox_send;
    proc_object_retain(proc_endpoint_object(e->notify));
    e->ref = atomic_fetch_add(&next_ref, 1);
    uint64_t ref = e->ref;
    if (!link_insert(target, e)) {
        /* Already ended: report it at once. */
        link_notify(e->notify, PROC_TAG_DOWN, ref, (proc_exit_kind)target->end_kind, target->end_reason);
        link_free(e);
    }
    return (int64_t)ref;
}

static proc_link *link_entry(proc_process *peer)
{
    proc_link *e = calloc(1, sizeof *e);
    if (e) {
        e->kind = LINK_LINK;
        e->peer = peer;
        proc_object_retain(&peer->header);
        e->ref = peer->id;
    }
    return e;
}

static bool exit_is_normal(proc_exit_kind kind, int32_t reason)
{
    return (kind == PROC_EXIT_NORMAL || kind == PROC_EXIT_EXIT) && reason == 0;
}

/* `dead` ended with (kind, reason); tell the linked process `peer`. */
static void link_signal(proc_process *peer, proc_process *dead, proc_exit_kind kind, int32_t reason)
{
    proc_lock_acquire(&peer->link_lock);
    bool traps = peer->trap_exits;
    proc_lock_release(&peer->link_lock);
    if (traps)
        link_notify(peer->mailbox_send, PROC_TAG_EXIT, dead->id, kind, reason);
    else if (!exit_is_normal(kind, reason))
        proc_process_kill(peer, PROC_EXIT_KILLED, reason);
}

int32_t proc_link_add(proc_process *a, proc_process *b)
{
    if (a == b)
        return ISOLA_EINVAL;
    proc_link *ea = link_entry(b), *eb = link_entry(a);
    if (!ea || !eb) {
        free(ea);
        free(eb);
        if (ea || eb)
            proc_object_release(ea ? &b->header : &a->header);
        return ISOLA_ENOMEM;
    }
    /* a's entry first: a is the caller, running, so its list is open. */
    if (!link_insert(a, ea)) {
        link_free(ea);
        link_free(eb);
        return PROC_OK;
    }
    if (!link_insert(b, eb)) {
        /* b has ended: act on it as if the link had existed (Erlang: noproc). */
        link_free(eb);
        link_signal(a, b, (proc_exit_kind)b->end_kind, b->end_reason);
    }
    return PROC_OK;
}

/* Removes from peer's list the link entry naming `dead`, if any. */
static void link_unhook(proc_process *peer, proc_process *dead)
{
    proc_lock_acquire(&peer->link_lock);
    proc_link **pp = &peer->links, *found = NULL;
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->kind == LINK_LINK && (*pp)->peer == dead) {
            found = *pp;
            *pp = found->next;
            break;
        }
    }
    proc_lock_release(&peer->link_lock);
    if (found)
        link_free(found);
}

void proc_links_fire(proc_process *p, proc_exit_kind kind, int32_t reason)
{
    proc_lock_acquire(&p->link_lock);
    p->links_closed = true;
    proc_link *list = p->links;
    p->links = NULL;
    proc_lock_release(&p->link_lock);
    while (list) {
        proc_link *e = list;
        list = e->next;
        if (e->kind == LINK_MONITOR) {
            link_notify(e->notify, PROC_TAG_DOWN, e->ref, kind, reason);
        } else {
            link_unhook(e->peer, p);
            link_signal(e->peer, p, kind, reason);
        }
        link_free(e);
    }
}
