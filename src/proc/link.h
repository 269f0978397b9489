/*
 * proc/link.h - links and monitors.
 *
 * A monitor is one way: when the target ends, a PROC_TAG_DOWN message
 * (proc_down_payload: the monitor's ref, exit kind and reason) is sent to
 * the watcher's mailbox. A link is two way (Erlang style): when either side
 * ends abnormally the other is killed too, unless it traps exits, in
 * which case it receives a PROC_TAG_EXIT message instead. A normal end
 * (entry returned, or exit(0)) only removes the link.
 *
 * Each entry lives on a list of the process whose end triggers it (its
 * links, or the monitors others hold on it); a link has one entry on each
 * side. An entry owns a reference to the other
 * process (and, for monitors, to the watcher's mailbox send endpoint).
 * Ending detaches the whole list under link_lock and sets links_closed, so
 * no entry is added afterwards (linking to an ended process reports the
 * end at once, as Erlang does).
 *
 * Children: a process a guest spawns is listed as its spawner's child and
 * is killed (PROC_EXIT_KILLED, PROC_REASON_PARENT_ENDED) when the spawner
 * ends, unless the spawner detached it first. Why this default: a child's
 * quota is carved from its parent's (limits.h), so an orphan would keep
 * holding a share of a budget whose owner is gone; ending the subtree with
 * its root makes "a process's end reclaims everything under it" hold. The
 * list is intrusive (process.h: children, sibling_*), guarded by the
 * parent's link_lock: listing, unlisting and the end's sweep are O(1) per
 * child and allocate nothing. Host-spawned processes have no parent here
 * (the host ends them at isola_vm_release).
 */
#ifndef ISOLA_PROC_LINK_H
#define ISOLA_PROC_LINK_H

#include <stdint.h>

#include "proc/process.h"

/* Watcher monitors target; returns the ref (> 0) or ISOLA_ENOMEM as a negative value. */
int64_t proc_monitor(proc_process *watcher, proc_process *target);

/* Links a and b. PROC_OK, ISOLA_EINVAL (a == b) or ISOLA_ENOMEM. *steps is
 * how many of a's links it looked at to find none to b already (links are
 * a set): work the guest API charges in fuel. */
int32_t proc_link_add(proc_process *a, proc_process *b, uint32_t *steps);

/* The kill reason of a child ended because its parent ended (guest ABI:
 * ISOLA_REASON_PARENT_ENDED). */
#define PROC_REASON_PARENT_ENDED INT32_MIN

/* A process spawned by another (its parent_ref) is its parent's child
 * from the spawn: it ends when the parent ends unless detached. It joins
 * the parent's list at the end of its first slice that does not end it
 * (proc_child_join, on its own worker: killed there if the parent has
 * ended since); before its first slice the scheduler asks
 * proc_child_orphaned and ends it if its parent is gone. */
void proc_child_join(proc_process *child);
bool proc_child_orphaned(const proc_process *child);

/* `child` will outlive `parent`: PROC_OK (also when it has ended), or
 * ISOLA_EINVAL when it is not parent's child. */
int32_t proc_child_detach(proc_process *parent, proc_process *child);

/* Called by proc_process_end: unlists `process` from its parent, kills its
 * listed children, and fires and frees every link and monitor entry. */
void proc_links_fire(proc_process *process, proc_exit_kind kind, int32_t reason);

#endif
