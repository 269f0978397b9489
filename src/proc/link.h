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
 * Each entry lives on the list of the process whose end triggers it; a link
 * has one entry on each side. An entry owns a reference to the other
 * process (and, for monitors, to the watcher's mailbox send endpoint).
 * Ending detaches the whole list under link_lock and sets links_closed, so
 * no entry is added afterwards (linking to an ended process reports the
 * end at once, as Erlang does).
 */
#ifndef ISOLA_PROC_LINK_H
#define ISOLA_PROC_LINK_H

#include <stdint.h>

#include "proc/process.h"

/* Watcher monitors target; returns the ref (> 0) or ISOLA_ENOMEM as a negative value. */
int64_t proc_monitor(proc_process *watcher, proc_process *target);

/* Links a and b. PROC_OK, ISOLA_EINVAL (a == b) or ISOLA_ENOMEM. */
int32_t proc_link_add(proc_process *a, proc_process *b);

/* Called by proc_process_end: fires and frees every entry of `process`. */
void proc_links_fire(proc_process *process, proc_exit_kind kind, int32_t reason);

#endif
