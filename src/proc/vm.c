/*
 * proc/vm.c - the VM (include/isola/proc.h): creation and shutdown, the
 * host's handle table and its blocking receive/wait, and the send/receive
 * helpers shared with the guest API.
 */
#include "proc/process.h"

#include <stdio.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isola/proc.h"
#include "proc/ipc.h"
#include "proc/link.h"
#include "proc/message.h"
#include "proc/vm.h"

/* ---------------------------------------------------------------- shared ipc */

/*
 * A send to a process parked in receive on `ep`'s peer queue completes that
 * receive here: the bytes go from the sender's memory straight into the
 * receiver's buffer and the handles straight into its table, with no block
 * and nothing queued (process.h, proc_recv_slot). False when no receiver
 * could be taken (none parked, filter or limits say no, not suspended yet,
 * a bad handle): the caller sends the ordinary way, which reports errors.
 */
static bool vm_send_handoff(proc_handle_table *table, proc_endpoint *ep, uint64_t tag, const void *bytes,
                            uint32_t size, const int32_t *handles, uint32_t handle_count, proc_send_hint *hint)
{
    if (handle_count &&
        (handle_count > PROC_MESSAGE_MAX_HANDLES ||
         proc_message_check_handles(table, proc_endpoint_peer(ep), handles, handle_count) != PROC_OK))
        return false;
    proc_waiter *w = proc_endpoint_take_receiver(ep, tag, size, handle_count);
    if (!w)
        return false;
    proc_process *to = proc_process_from_waiter(w);
    proc_recv_slot *slot = &to->recv;
    if (hint) {
        hint->process = (uintptr_t)to;
        hint->exec = (uintptr_t)to->exec;
        hint->results = (uintptr_t)slot->results;
        hint->buf = (uintptr_t)slot->buf;
        hint->instance = (uintptr_t)to->instance;
        hint->memory = (uintptr_t)slot->memory;
    }
    /* What completing the receive writes besides the bytes: with many
     * processes these lines are cold, and their misses can overlap the copy's. */
    __builtin_prefetch(slot->results, 1);
    __builtin_prefetch(to->exec, 1);
    if (slot->info)
        __builtin_prefetch(slot->info, 1);
    uint32_t n = size < slot->max ? size : slot->max;
    if (n)
        memcpy(slot->buf, bytes, n);
    if (handle_count)
        proc_message_move_handles(table, handles, handle_count, &to->handles, slot->handles_out);
    proc_process_handoff_done(to, (proc_recv_msg){.tag = tag, .size = size, .handle_count = handle_count});
    return true;
}

int32_t proc_vm_send(proc_handle_table *table, int32_t handle, uint64_t tag, const void *bytes,
                     uint32_t size, const int32_t *handles, uint32_t handle_count, proc_waiter *wait,
                     proc_endpoint **parked_on, proc_send_hint *hint)
{
    proc_object *obj;
    int32_t r = proc_handle_get(table, handle, PROC_OBJ_NONE, ISOLA_RIGHT_SEND, &obj);
    if (r != PROC_OK)
        return r;
    proc_endpoint *ep;
    if (obj->type == PROC_OBJ_ENDPOINT)
        ep = (proc_endpoint *)obj;
    else if (obj->type == PROC_OBJ_PROCESS)
        ep = proc_process_from_object(obj)->mailbox_send;
    else
        return ISOLA_ETYPE;
    if (hint)
        *hint = (proc_send_hint){.endpoint = (uintptr_t)ep, .queue = (uintptr_t)proc_endpoint_send_queue(ep)};
    if (size <= PROC_MESSAGE_MAX_BYTES &&
        vm_send_handoff(table, ep, tag, bytes, size, handles, handle_count, hint))
        return PROC_OK;
    proc_endpoint_prefetch_send(ep);
    /* Counted before the queue may park it; here, not in the caller,
     * because the hand-off above (the usual case) parks nothing. */
    proc_process *sender = wait ? proc_process_from_waiter(wait) : NULL;
    if (sender)
        proc_process_park_count(sender);
    r = proc_ipc_send_on(table, ep, tag, bytes, size, handles, handle_count, wait);
    if (r == ISOLA_EFULL && sender) {
        if (parked_on)
            *parked_on = ep;
    } else if (sender) {
        proc_process_park_uncount(sender);
    }
    return r;
}

int32_t proc_vm_receive_endpoint(proc_handle_table *table, int32_t handle, proc_endpoint **out)
{
    proc_object *obj;
    int32_t r = proc_handle_get(table, handle, PROC_OBJ_ENDPOINT, ISOLA_RIGHT_RECEIVE, &obj);
    if (r == PROC_OK)
        *out = (proc_endpoint *)obj;
    return r;
}

proc_limits proc_vm_limits_request(const uint64_t *fuel_per_slice, const uint64_t *fuel_total,
                                   const uint64_t *queue_bytes, const uint32_t *u32s)
{
    proc_limits l = proc_limits_default();
    if (*fuel_per_slice)
        l.fuel_per_slice = *fuel_per_slice;
    if (*fuel_total)
        l.fuel_total = *fuel_total;
    if (*queue_bytes)
        l.queue_bytes = *queue_bytes;
    if (u32s[0])
        l.memory_pages = u32s[0];
    if (u32s[1])
        l.queue_count = u32s[1];
    if (u32s[2])
        l.handle_count = u32s[2];
    /* Zero live children is a real request (a leaf that may not spawn);
     * callers wanting the default pass no limits at all. */
    l.live_children = u32s[3];
    return l;
}

/* ---------------------------------------------------------------- vm */

void proc_vm_register(proc_vm *vm, proc_process *p)
{
    assert(!p->listed);
    util_spin_lock(&vm->all_lock);
    p->all_prev = NULL;
    p->all_next = vm->all;
    if (vm->all)
        vm->all->all_prev = p;
    vm->all = p;
    p->listed = true;
    bool shutting_down = atomic_load_explicit(&vm->killing_all, memory_order_relaxed);
    util_spin_unlock(&vm->all_lock);
    if (shutting_down)   /* vm_kill_all has walked the list already */
        proc_process_kill(p, PROC_EXIT_KILLED, 0);
}

void proc_vm_unregister(proc_vm *vm, proc_process *p)
{
    if (!p->listed)
        return;
    p->listed = false;
    util_spin_lock(&vm->all_lock);
    if (p->all_prev)
        p->all_prev->all_next = p->all_next;
    else
        vm->all = p->all_next;
    if (p->all_next)
        p->all_next->all_prev = p->all_prev;
    util_spin_unlock(&vm->all_lock);
}

/* Kills every live process (shutdown). */
static void vm_kill_all(proc_vm *vm)
{
    util_spin_lock(&vm->all_lock);
    atomic_store_explicit(&vm->killing_all, true, memory_order_relaxed);
    for (proc_process *p = vm->all; p; p = p->all_next)
        proc_process_kill(p, PROC_EXIT_KILLED, 0);
    util_spin_unlock(&vm->all_lock);
}

void proc_vm_notify_host(proc_vm *vm, proc_process *ended, bool idle)
{
    /* Only when someone waits for this very process, or for the VM to
     * empty: a futex wake per process end would cost more than the rest of
     * a short process's life. */
    if (atomic_load(&ended->host_watchers) == 0 && !(idle && atomic_load(&vm->host_waiters) != 0))
        return;
    pthread_mutex_lock(&vm->wait_lock);
    pthread_cond_broadcast(&vm->wait_cond);
    pthread_mutex_unlock(&vm->wait_lock);
}

isola_vm *isola_vm_new(isola_engine *engine, const isola_vm_config *cfg, isola_error *err)
{
    proc_vm *vm = calloc(1, sizeof *vm);
    if (!vm) {
        if (err)
            *err = (isola_error){.kind = ISOLA_ERR_RESOURCE, .message = "out of memory creating a VM"};
        return NULL;
    }
    vm->engine = engine;
    pthread_mutex_init(&vm->host_lock, NULL);
    util_spin_init(&vm->all_lock);
    pthread_mutex_init(&vm->wait_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&vm->wait_cond, &attr);
    pthread_condattr_destroy(&attr);
    proc_handle_table_init(&vm->host_handles, PROC_HANDLE_MAX_SLOTS);
    proc_quota_init(&vm->host_quota, proc_limits_unlimited());
    if (cfg)
        vm->config = *cfg;
    proc_io_init(&vm->io);
    proc_reuse_init(&vm->reuse);
    if (!proc_api_create(vm, err)) {
        free(vm);
        return NULL;
    }
    if (!proc_wasi_create(vm, err)) {
        proc_api_destroy(vm);
        free(vm);
        return NULL;
    }
    if (!proc_timers_start(&vm->timers) || !proc_sched_start(&vm->sched, vm, cfg ? cfg->workers : 0, cfg ? cfg->blocking_threads : 0)) {
        if (err)
            *err = (isola_error){.kind = ISOLA_ERR_RESOURCE, .message = "cannot start VM threads"};
        proc_timers_stop(&vm->timers);
        proc_wasi_destroy(vm);
        proc_api_destroy(vm);
        free(vm);
        return NULL;
    }
    return vm;
}

static void vm_wait_ended(proc_vm *vm);

void isola_vm_release(isola_vm *vm)
{
    if (!vm)
        return;
    /* Host handles first (their endpoints close, waking processes), then
     * kill everyone and let the workers run the ends. */
    pthread_mutex_lock(&vm->host_lock);
    proc_handle_table_fini(&vm->host_handles);
    pthread_mutex_unlock(&vm->host_lock);
    vm_kill_all(vm);
    vm_wait_ended(vm);
    proc_sched_stop(&vm->sched);
    proc_timers_stop(&vm->timers);
    proc_io_fini(&vm->io);
    proc_reuse_fini(&vm->reuse);
    proc_wasi_destroy(vm);
    proc_api_destroy(vm);
    pthread_mutex_destroy(&vm->host_lock);
    pthread_mutex_destroy(&vm->wait_lock);
    pthread_cond_destroy(&vm->wait_cond);
    free(vm);
}

int32_t isola_vm_load(isola_vm *vm, isola_module *module, isola_error *err)
{
    proc_module *m = proc_module_new(vm, module, err);
    if (!m)
        return ISOLA_EINVAL;
    pthread_mutex_lock(&vm->host_lock);
    int32_t h = proc_handle_insert(&vm->host_handles, &m->header,
                                   ISOLA_RIGHT_SPAWN | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER, NULL);
    pthread_mutex_unlock(&vm->host_lock);
    if (h < 0)
        proc_object_release(&m->header);
    return h;
}

static int32_t vm_spawn(isola_vm *vm, int32_t module_handle, const char *entry, const void *arg,
                        uint32_t arg_len, const int32_t *handles, uint32_t handle_count,
                        const isola_proc_limits *limits, isola_wasi *wasi, isola_error *err);

int32_t isola_vm_spawn(isola_vm *vm, int32_t module_handle, const char *entry, const void *arg,
                       uint32_t arg_len, const int32_t *handles, uint32_t handle_count,
                       const isola_proc_limits *limits, isola_error *err)
{
    return vm_spawn(vm, module_handle, entry, arg, arg_len, handles, handle_count, limits, NULL, err);
}

int32_t isola_vm_spawn_wasi(isola_vm *vm, int32_t module_handle, const char *entry, isola_wasi *wasi,
                            const int32_t *handles, uint32_t handle_count,
                            const isola_proc_limits *limits, isola_error *err)
{
    return vm_spawn(vm, module_handle, entry, NULL, 0, handles, handle_count, limits, wasi, err);
}

/* The spawn both host calls share; `wasi` (may be NULL) moves to the child. */
static int32_t vm_spawn(isola_vm *vm, int32_t module_handle, const char *entry, const void *arg,
                        uint32_t arg_len, const int32_t *handles, uint32_t handle_count,
                        const isola_proc_limits *limits, isola_wasi *wasi, isola_error *err)
{
    isola_proc_limits defaults = {.live_children = proc_limits_default().live_children};
    if (!limits)
        limits = &defaults;
    uint32_t u32s[4] = {limits->memory_pages, limits->queue_count, limits->handle_count, limits->live_children};
    proc_limits req = proc_vm_limits_request(&limits->fuel_per_slice, &limits->fuel_total, &limits->queue_bytes, u32s);
    pthread_mutex_lock(&vm->host_lock);
    proc_object *obj;
    int32_t r = proc_handle_get(&vm->host_handles, module_handle, PROC_OBJ_MODULE, ISOLA_RIGHT_SPAWN, &obj);
    if (r == PROC_OK)
        r = proc_handle_reserve(&vm->host_handles, 1);
    if (r == PROC_OK) {
        proc_spawner sp = {.table = &vm->host_handles, .quota = &vm->host_quota, .parent_ref = NULL,
                           .wasi = wasi};
        wasi = NULL;
        proc_process *p;
        r = proc_spawn(vm, &sp, (proc_module *)obj, entry, (uint32_t)strlen(entry), arg, arg_len, handles,
                       handle_count, &req, &p, err);
        if (r == PROC_OK)
            r = proc_handle_insert(&vm->host_handles, &p->header,
                                   ISOLA_RIGHT_SEND | ISOLA_RIGHT_KILL | ISOLA_RIGHT_MONITOR |
                                       ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER,
                                   NULL);
    } else if (err) {
        *err = (isola_error){.kind = ISOLA_ERR_ARGUMENT};
        snprintf(err->message, sizeof err->message, "spawn: module handle: %s", proc_status_message(r));
    }
    pthread_mutex_unlock(&vm->host_lock);
    isola_wasi_release(wasi);   /* not handed to proc_spawn: still ours */
    return r;
}

int32_t isola_vm_channel(isola_vm *vm, int32_t *end0, int32_t *end1)
{
    proc_queue_limits l = {.max_count = 1024, .max_bytes = 1u << 20};
    pthread_mutex_lock(&vm->host_lock);
    int32_t r = proc_ipc_channel_create(&vm->host_handles, l,
                                        ISOLA_RIGHT_SEND | ISOLA_RIGHT_RECEIVE | ISOLA_RIGHT_DUPLICATE |
                                            ISOLA_RIGHT_TRANSFER,
                                        NULL, NULL, end0, end1);
    pthread_mutex_unlock(&vm->host_lock);
    return r;
}

int32_t isola_vm_send(isola_vm *vm, int32_t handle, uint64_t tag, const void *bytes, uint32_t len,
                      const int32_t *handles, uint32_t handle_count)
{
    pthread_mutex_lock(&vm->host_lock);
    int32_t r = proc_vm_send(&vm->host_handles, handle, tag, bytes, len, handles, handle_count, NULL, NULL, NULL);
    pthread_mutex_unlock(&vm->host_lock);
    return r;
}

/* A host thread parked on a queue. */
typedef struct host_waiter {
    proc_waiter waiter;
    proc_vm *vm;
    atomic_bool woken;
} host_waiter;

static void host_wake(proc_waiter *w)
{
    host_waiter *hw = (host_waiter *)w;
    proc_vm *vm = hw->vm;
    pthread_mutex_lock(&vm->wait_lock);
    atomic_store(&hw->woken, true);
    pthread_cond_broadcast(&vm->wait_cond);
    pthread_mutex_unlock(&vm->wait_lock);
}

static uint64_t deadline_from(int64_t timeout_ns)
{
    return timeout_ns < 0 ? UINT64_MAX : proc_now_ns() + (uint64_t)timeout_ns;
}

/* Waits on wait_cond (wait_lock held) until deadline; false on timeout. */
static bool host_wait_until(proc_vm *vm, uint64_t deadline)
{
    if (deadline == UINT64_MAX) {
        pthread_cond_wait(&vm->wait_cond, &vm->wait_lock);
        return true;
    }
    if (proc_now_ns() >= deadline)
        return false;
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u), .tv_nsec = (long)(deadline % 1000000000u)};
    pthread_cond_timedwait(&vm->wait_cond, &vm->wait_lock, &ts);
    return true;
}

/*
 * For a host thread waiting without a time limit, wait_lock held: whether
 * the VM is deadlocked (*deadlocked), checked with the lock dropped (the
 * check takes the scheduler's sleep lock, under which the last worker to
 * fall asleep takes wait_lock). True when the caller must not wait now:
 * deadlocked, or a worker fell asleep during the check (the idle epoch
 * moved), whose hint to us came before we were waiting. Otherwise the next
 * such hint wakes the wait, since we hold wait_lock from here into it; but
 * whatever the caller waits for may have happened while the lock was
 * dropped, its broadcast lost, so the caller looks at that again first.
 */
static bool host_check_deadlock(proc_vm *vm, bool *deadlocked)
{
    uint64_t epoch = 0;
    pthread_mutex_unlock(&vm->wait_lock);
    *deadlocked = proc_vm_deadlocked(vm, &epoch, NULL);
    pthread_mutex_lock(&vm->wait_lock);
    return *deadlocked || atomic_load(&vm->sched.idle_epoch) != epoch;
}

int32_t isola_vm_receive(isola_vm *vm, int32_t endpoint, int any_tag, uint64_t tag, void *buf,
                         uint32_t max, uint64_t *tag_out, int32_t *handles_out, uint32_t handles_max,
                         uint32_t *handle_count_out, int64_t timeout_ns)
{
    uint64_t deadline = deadline_from(timeout_ns);
    proc_filter filter = any_tag ? proc_filter_any() : proc_filter_tag(tag);
    host_waiter hw = {.waiter = {.wake = host_wake}, .vm = vm};
    int32_t installed[PROC_MESSAGE_MAX_HANDLES];
    atomic_fetch_add(&vm->host_waiters, 1);
    int32_t r;
    for (;;) {
        atomic_store(&hw.woken, false);
        pthread_mutex_lock(&vm->host_lock);
        proc_endpoint *ep = NULL;
        proc_message *m = NULL;
        uint32_t nhandles = 0;
        r = proc_vm_receive_endpoint(&vm->host_handles, endpoint, &ep);
        if (r == PROC_OK)
            r = proc_ipc_receive_on(&vm->host_handles, ep, filter, handles_max, timeout_ns ? &hw.waiter : NULL,
                                    installed, &nhandles, &m, NULL);
        if (r == PROC_OK) {
            pthread_mutex_unlock(&vm->host_lock);
            uint32_t n = m->size < max ? m->size : max;
            if (n)
                memcpy(buf, proc_message_bytes(m), n);
            if (tag_out)
                *tag_out = m->tag;
            assert(nhandles == m->handle_count);   /* no close_extra here */
            for (uint32_t i = 0; i < nhandles; i++)
                handles_out[i] = installed[i];
            if (handle_count_out)
                *handle_count_out = nhandles;
            r = (int32_t)m->size;
            proc_message_free(m);
            break;
        }
        if (r != ISOLA_EAGAIN || !timeout_ns) {
            pthread_mutex_unlock(&vm->host_lock);
            break;
        }
        /* Ours while we wait: another host thread may close the handle,
         * and a timeout still has to take hw off the endpoint's queue. */
        proc_object *held = proc_endpoint_object(ep);
        proc_object_retain(held);
        pthread_mutex_lock(&vm->wait_lock);
        pthread_mutex_unlock(&vm->host_lock);
        bool timed_out = false, deadlocked = false;
        while (!atomic_load(&hw.woken) && !timed_out && !deadlocked) {
            /* The check lets go of wait_lock: a wake in that window
             * broadcast to no one, so look at `woken` again before waiting. */
            if (deadline == UINT64_MAX && (host_check_deadlock(vm, &deadlocked) || atomic_load(&hw.woken)))
                continue;   /* deadlocked, the epoch moved, or woken meanwhile: look again */
            timed_out = !host_wait_until(vm, deadline);
        }
        pthread_mutex_unlock(&vm->wait_lock);
        bool gave_up = timed_out || deadlocked;
        bool cancelled = gave_up && proc_endpoint_cancel_wait(ep, &hw.waiter);
        if (gave_up && !cancelled) {
            /* A wake is on its way: let it finish touching hw. */
            pthread_mutex_lock(&vm->wait_lock);
            while (!atomic_load(&hw.woken))
                pthread_cond_wait(&vm->wait_cond, &vm->wait_lock);
            pthread_mutex_unlock(&vm->wait_lock);
        }
        proc_object_release(held);
        if (cancelled) {
            r = deadlocked ? ISOLA_EDEADLOCK : ISOLA_EAGAIN;
            break;
        }
        /* Woken (it may have brought a message), or a wake raced the timeout: look again. */
    }
    atomic_fetch_sub(&vm->host_waiters, 1);
    return r;
}

int32_t isola_vm_close(isola_vm *vm, int32_t handle)
{
    pthread_mutex_lock(&vm->host_lock);
    int32_t r = proc_handle_close(&vm->host_handles, handle);
    pthread_mutex_unlock(&vm->host_lock);
    return r;
}

int32_t isola_vm_duplicate(isola_vm *vm, int32_t handle, uint32_t rights)
{
    pthread_mutex_lock(&vm->host_lock);
    int32_t r = proc_handle_duplicate(&vm->host_handles, handle, rights);
    pthread_mutex_unlock(&vm->host_lock);
    return r;
}

static int32_t host_process(proc_vm *vm, int32_t handle, uint32_t rights, proc_process **out)
{
    pthread_mutex_lock(&vm->host_lock);
    proc_object *obj;
    int32_t r = proc_handle_get(&vm->host_handles, handle, PROC_OBJ_PROCESS, rights, &obj);
    if (r == PROC_OK) {
        proc_object_retain(obj);
        *out = proc_process_from_object(obj);
    }
    pthread_mutex_unlock(&vm->host_lock);
    return r;
}

int32_t isola_vm_kill(isola_vm *vm, int32_t process_handle, int32_t reason)
{
    proc_process *p;
    int32_t r = host_process(vm, process_handle, ISOLA_RIGHT_KILL, &p);
    if (r != PROC_OK)
        return r;
    proc_process_kill(p, PROC_EXIT_KILLED, reason);
    proc_object_release(&p->header);
    return PROC_OK;
}

/*
 * Waits (wait_lock not held) until done(arg) or the deadline; with no
 * deadline, also until the VM is deadlocked (then false and *deadlocked).
 * The host counts itself in host_waiters first, so the last worker to fall
 * asleep (proc_vm_idle) wakes it to check again (deadlock.c).
 */
static bool host_wait_for(proc_vm *vm, uint64_t deadline, bool (*done)(proc_vm *, void *), void *arg,
                          bool *deadlocked)
{
    *deadlocked = false;
    atomic_fetch_add(&vm->host_waiters, 1);
    bool ok = true;
    pthread_mutex_lock(&vm->wait_lock);
    while (ok && !done(vm, arg) && !*deadlocked) {
        /* The check lets go of wait_lock: what ended in that window
         * broadcast to no one, so look at done() again before waiting. */
        if (deadline == UINT64_MAX && (host_check_deadlock(vm, deadlocked) || done(vm, arg)))
            continue;   /* deadlocked, the epoch moved, or done meanwhile: look again */
        ok = host_wait_until(vm, deadline);
    }
    pthread_mutex_unlock(&vm->wait_lock);
    atomic_fetch_sub(&vm->host_waiters, 1);
    return done(vm, arg);
}

static bool process_done(proc_vm *vm, void *arg)
{
    (void)vm;
    return atomic_load(&((proc_process *)arg)->done);
}

static bool vm_empty(proc_vm *vm, void *arg)
{
    (void)arg;
    /* Empty means reclaimed too: the last end's trim has finished. */
    return atomic_load(&vm->live) == 0;
}

int32_t isola_vm_wait(isola_vm *vm, int32_t process_handle, int64_t timeout_ns, isola_proc_exit *exit)
{
    proc_process *p;
    int32_t r = host_process(vm, process_handle, 0, &p);
    if (r != PROC_OK)
        return r;
    atomic_fetch_add(&p->host_watchers, 1);
    bool deadlocked;
    host_wait_for(vm, deadline_from(timeout_ns), process_done, p, &deadlocked);
    atomic_fetch_sub(&p->host_watchers, 1);
    if (atomic_load(&p->done)) {
        if (exit)
            *exit = (isola_proc_exit){.kind = p->end_kind, .reason = p->end_reason};
        r = PROC_OK;
    } else {
        r = deadlocked ? ISOLA_EDEADLOCK : ISOLA_EAGAIN;
    }
    proc_object_release(&p->header);
    return r;
}

int32_t isola_vm_wait_all(isola_vm *vm, int64_t timeout_ns)
{
    bool deadlocked;
    if (host_wait_for(vm, deadline_from(timeout_ns), vm_empty, NULL, &deadlocked))
        return PROC_OK;
    return deadlocked ? ISOLA_EDEADLOCK : ISOLA_EAGAIN;
}

/* Shutdown: every process was killed, so they all end; no deadlock check. */
static void vm_wait_ended(proc_vm *vm)
{
    pthread_mutex_lock(&vm->wait_lock);
    atomic_fetch_add(&vm->host_waiters, 1);
    while (!vm_empty(vm, NULL))
        pthread_cond_wait(&vm->wait_cond, &vm->wait_lock);
    atomic_fetch_sub(&vm->host_waiters, 1);
    pthread_mutex_unlock(&vm->wait_lock);
}

int32_t isola_vm_revoker(isola_vm *vm)
{
    pthread_mutex_lock(&vm->host_lock);
    int32_t r = proc_revoker_handle_new(&vm->host_handles);
    pthread_mutex_unlock(&vm->host_lock);
    return r;
}

int32_t isola_vm_derive(isola_vm *vm, int32_t handle, int32_t revoker, uint32_t rights)
{
    pthread_mutex_lock(&vm->host_lock);
    int32_t r = proc_revoker_derive(&vm->host_handles, handle, revoker, rights);
    pthread_mutex_unlock(&vm->host_lock);
    return r;
}

int32_t isola_vm_revoke(isola_vm *vm, int32_t revoker)
{
    pthread_mutex_lock(&vm->host_lock);
    int32_t r = proc_handle_revoke(&vm->host_handles, revoker);
    pthread_mutex_unlock(&vm->host_lock);
    return r;
}

uint64_t isola_vm_live(const isola_vm *vm)
{
    return proc_vm_live(vm);
}

uint64_t isola_vm_spawned(const isola_vm *vm)
{
    return atomic_load(&((proc_vm *)vm)->spawned);
}

const char *isola_vm_strerror(int32_t status)
{
    return proc_status_message(status);
}
