/*
 * examples/guests/supervise.h - a one-for-one supervisor, Erlang style,
 * built from the isola primitives.
 *
 * The supervisor links to each child (if the supervisor dies, its children
 * die with it) and traps exits (a child's crash does not kill the
 * supervisor). It also monitors each child: the DOWN message's ref says
 * which child ended, and how. A child that ends normally is done; a child
 * that ends any other way (trap, exit with a reason, killed, out of fuel) is
 * restarted alone (one-for-one), unless that would make more than
 * `max_restarts` restarts within `window_ns`: then the supervisor gives up
 * and exits with SUP_GAVE_UP, which through the links ends its remaining
 * children and tells its own supervisor.
 *
 * A `temporary` child is never restarted, however it ends.
 *
 * Each incarnation of a child gets the argument words {arg, life, arg2}: life
 * counts its starts from 1, so a child can tell a restart from a first start.
 * Its start handles are the console, then the module if `gets_module`, then
 * a SEND handle to `report_to` (a process or endpoint) if that is not 0.
 */
#ifndef EXAMPLE_SUPERVISE_H
#define EXAMPLE_SUPERVISE_H

#include "console.h"
#include "isola.h"
#include "start.h"

#define SUP_GAVE_UP 99         /* exit reason of a supervisor that gave up */
#define SUP_MAX_RESTARTS 16    /* restart times remembered for the window */

typedef struct sup_child {
    const char *entry;         /* the export to spawn */
    uint32_t arg, arg2;        /* argument words 0 and 2 of every incarnation */
    isola_limits limits;
    int gets_module;           /* hand it the module (a child that spawns, e.g. a supervisor) */
    int32_t report_to;         /* hand it a way to send here (0: none) */
    int temporary;             /* never restart it */
    int numbered;              /* call it "ENTRY ARG" in messages (many of one kind) */
    /* State: */
    uint32_t life;             /* incarnations started */
    int64_t ref;               /* monitor ref of the running incarnation */
    int32_t process;           /* its process handle, or -1 */
    int done;                  /* ended normally: not restarted */
} sup_child;

typedef struct supervisor {
    const char *name;
    int32_t module;
    sup_child *children;
    uint32_t count;
    uint32_t max_restarts;     /* in any window_ns; 1..SUP_MAX_RESTARTS */
    int64_t window_ns;
    int64_t restart_times[SUP_MAX_RESTARTS];
    uint32_t restarts;         /* total so far */
    int quiet;                 /* say nothing when a child ends normally */
    uint32_t finished;         /* children done */
    /* Called for every other message the supervisor receives (e.g. results
     * from its children); NULL drops them. Taking them as they come keeps
     * the mailbox from filling up while the supervisor waits. */
    void (*on_message)(struct supervisor *s, uint64_t tag, const void *bytes, uint32_t size);
} supervisor;

static inline const char *sup_trap_name(int32_t trap)
{
    switch (trap) {
    case ISOLA_TRAP_UNREACHABLE: return "unreachable";
    case ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS: return "out of bounds memory access";
    case ISOLA_TRAP_DIVIDE_BY_ZERO: return "integer divide by zero";
    case ISOLA_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    default: return "trap";
    }
}

/* How a child ended: "trap: unreachable", "returned 0", "exit 99 (gave up)", ... */
static inline void sup_describe(console_buf *b, const isola_down *d)
{
    const char *what[] = {"returned", "exit", "trap", "killed", "out of fuel", "failed to start"};
    const char *kind = d->kind >= 0 && d->kind <= ISOLA_EXIT_FAILED ? what[d->kind] : "ended";
    if (d->kind == ISOLA_EXIT_TRAP)
        console_bprintf(b, "trap: %s", sup_trap_name(d->reason));
    else if (d->kind == ISOLA_EXIT_LIMIT)
        console_bprintf(b, "its fuel limit was used up");
    else
        console_bprintf(b, "%s %d%s", kind, d->reason,
                        d->kind == ISOLA_EXIT_EXIT && d->reason == SUP_GAVE_UP ? " (gave up)" : "");
}

static inline int sup_abnormal(const isola_down *d)
{
    return !((d->kind == ISOLA_EXIT_NORMAL || d->kind == ISOLA_EXIT_EXIT) && d->reason == 0);
}

/* Starts the next incarnation of c: spawn, monitor, link. */
static inline int32_t sup_start(supervisor *s, sup_child *c)
{
    uint32_t arg[3] = {c->arg, ++c->life, c->arg2};
    int32_t give[2];
    uint32_t n = 0;
    if (c->gets_module)
        give[n++] = start_module_copy(s->module);
    if (c->report_to)
        give[n++] = isola_duplicate(c->report_to, ISOLA_RIGHT_SEND | ISOLA_RIGHT_TRANSFER);
    int32_t r = 0;
    for (uint32_t i = 0; i < n; i++)
        r = give[i] < 0 ? give[i] : r;
    c->process = r < 0 ? r : start_spawn(s->module, c->entry, arg, 3, give, n, &c->limits);
    if (c->process < 0) {
        for (uint32_t i = 0; i < n; i++)
            if (give[i] >= 0)
                isola_close(give[i]);
        return c->process;
    }
    /* Without its monitor the child's end would go unseen. */
    c->ref = isola_monitor(c->process);
    int32_t linked = isola_link(c->process);
    if (c->ref < 0 || linked < 0) {
        isola_kill(c->process, SUP_GAVE_UP);
        return c->ref < 0 ? (int32_t)c->ref : linked;
    }
    return 0;
}

/* Records a restart now; 0 if that makes too many within the window. */
static inline int sup_may_restart(supervisor *s)
{
    uint32_t max = s->max_restarts < SUP_MAX_RESTARTS ? s->max_restarts : SUP_MAX_RESTARTS;
    int64_t now = isola_now();
    uint32_t recent = 0;
    uint32_t kept = s->restarts < max ? s->restarts : max;
    for (uint32_t i = 0; i < kept; i++)
        recent += now - s->restart_times[i] < s->window_ns;
    if (recent >= max)
        return 0;
    /* The oldest of the last `max` restart times gives way to this one. */
    s->restart_times[s->restarts % max] = now;
    s->restarts++;
    return 1;
}

static inline sup_child *sup_find(supervisor *s, uint64_t ref)
{
    for (uint32_t i = 0; i < s->count; i++)
        if (s->children[i].process >= 0 && (uint64_t)s->children[i].ref == ref)
            return &s->children[i];
    return 0;
}

/* A child ended: done, restarted, or (too many restarts) the supervisor
 * exits. */
static inline void sup_child_ended(supervisor *s, sup_child *c, const isola_down *d)
{
    console_buf b = {.len = 0};
    console_bprintf(&b, "%s: %s", s->name, c->entry);
    if (c->numbered)
        console_bprintf(&b, " %u", c->arg);
    console_bprintf(&b, " (life %u) ended: ", c->life);
    sup_describe(&b, d);
    isola_close(c->process);
    c->process = -1;
    if (!sup_abnormal(d) || c->temporary) {
        if (c->temporary)
            console_bprintf(&b, "; not restarted (temporary); %u other children had finished by then\n",
                            s->finished);
        else
            console_bprintf(&b, "; done\n");
        if (sup_abnormal(d) || !s->quiet)
            console_write(b.text, b.len);
        c->done = 1;
        s->finished++;
        return;
    }
    if (!sup_may_restart(s)) {
        console_bprintf(&b, "; that is more than %u restarts in %lld ms: giving up"
                        " (my linked children end with me)\n", s->max_restarts,
                        s->window_ns / 1000000);
        console_write(b.text, b.len);
        isola_exit(SUP_GAVE_UP);   /* the links end the other children */
    }
    console_bprintf(&b, "; restarting it (restart %u, at most %u in %lld ms)\n", s->restarts, s->max_restarts,
                    s->window_ns / 1000000);
    console_write(b.text, b.len);
    int32_t r = sup_start(s, c);
    if (r < 0) {
        console_printf("%s: restarting %s failed (%d): giving up\n", s->name, c->entry, r);
        isola_exit(SUP_GAVE_UP);
    }
}

/* Starts every child and supervises them until all are done. */
static inline void sup_run(supervisor *s)
{
    isola_trap_exits(1);
    for (uint32_t i = 0; i < s->count; i++) {
        s->children[i].process = -1;
        int32_t r = sup_start(s, &s->children[i]);
        if (r < 0) {
            console_printf("%s: starting %s failed (%d)\n", s->name, s->children[i].entry, r);
            isola_exit(SUP_GAVE_UP);
        }
    }
    while (s->finished < s->count) {
        uint64_t buf[8];
        int32_t handles[8];
        isola_msg_info info;
        int32_t n = isola_receive(ISOLA_MAILBOX, 0, 0, buf, sizeof buf, handles, 8, &info, ISOLA_FOREVER);
        if (n < 0)
            isola_exit(SUP_GAVE_UP);
        for (uint32_t i = 0; i < info.handle_count; i++)
            isola_close(handles[i]);   /* nobody sends a supervisor handles */
        if (info.tag == ISOLA_TAG_DOWN) {
            isola_down d;
            __builtin_memcpy(&d, buf, sizeof d);
            sup_child *c = sup_find(s, d.ref);
            if (c)
                sup_child_ended(s, c, &d);
        } else if (info.tag != ISOLA_TAG_EXIT && s->on_message) {
            /* (The link's EXIT notice says the same as the DOWN: dropped.) */
            s->on_message(s, info.tag, buf, (uint32_t)n < sizeof buf ? (uint32_t)n : sizeof buf);
        }
    }
}

#endif
