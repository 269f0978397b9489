/*
 * host/isola_api.c - the guest API: the host functions of import module
 * "isola" (docs/guest-api.md). Each one finds its process through the
 * calling instance's userdata, checks every guest pointer against the
 * caller's memory (a bad pointer gives ISOLA_EINVAL, never a host fault),
 * and returns 0/a handle/a size, or a negative status from proc/status.h.
 * Blocking calls (receive, send with wait, sleep) park the process and
 * return ISOLA_HOST_BLOCK; they are called again with the same arguments
 * when it is woken, and re-check their condition.
 */
#include "proc/process.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "exec/runtime.h"
#include "host/proc_wasi.h"
#include "proc/ipc.h"
#include "proc/link.h"
#include "proc/message.h"
#include "proc/vm.h"

#define API_CHANNEL_RIGHTS                                                                             \
    (ISOLA_RIGHT_SEND | ISOLA_RIGHT_RECEIVE | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)
#define API_SELF_RIGHTS                                                                                \
    (ISOLA_RIGHT_SEND | ISOLA_RIGHT_MONITOR | ISOLA_RIGHT_KILL | ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER)
#define API_CHILD_RIGHTS API_SELF_RIGHTS

enum { SEND_WAIT = 1u, RECEIVE_BY_TAG = 1u, RECEIVE_CLOSE_EXTRA = 2u };

/* The guest's view of a received message (receive's info_ptr). */
typedef struct api_recv_info {
    uint64_t tag;
    uint32_t size;
    uint32_t handle_count;
} api_recv_info;

#define ARG_I32(i) ((int32_t)(uint32_t)slots[i])
#define ARG_U32(i) ((uint32_t)slots[i])
#define ARG_I64(i) ((int64_t)slots[i])

static inline isola_host_result ret_i32(uint64_t *slots, int32_t v)
{
    slots[0] = (uint32_t)v;
    return ISOLA_HOST_RETURN;
}

static proc_process *api_process(isola_host_call *call)
{
    return exec_call_userdata(call);
}

/* The caller's memory, looked up once for the several ranges of one call. */
typedef struct api_mem {
    uint8_t *base;
    uint64_t size;
} api_mem;

static inline api_mem api_memory(isola_host_call *call)
{
    api_mem m;
    m.base = exec_call_memory(call, &m.size);
    return m;
}

/* The guest range [ptr, ptr+len) as a host pointer, or NULL if out of bounds. */
static inline uint8_t *api_mem_range(api_mem m, uint32_t ptr, uint64_t len)
{
    if (!m.base || (uint64_t)ptr + len > m.size)
        return len == 0 ? (uint8_t *)"" : NULL;
    return m.base + ptr;
}

static uint8_t *api_range(isola_host_call *call, uint32_t ptr, uint64_t len)
{
    return api_mem_range(api_memory(call), ptr, len);
}

#define API_PROCESS(call, p)                                                                           \
    proc_process *p = api_process(call);                                                               \
    if (!p)                                                                                            \
        return isola_host_trap(call, "the isola API is not available during instantiation")

/* Copies `count` handles out of guest memory (they may be unaligned). */
static int32_t api_mem_handles_in(api_mem m, uint32_t ptr, uint32_t count, int32_t *out)
{
    if (count == 0)
        return PROC_OK;
    if (count > PROC_MESSAGE_MAX_HANDLES)
        return ISOLA_EINVAL;
    uint8_t *src = api_mem_range(m, ptr, (uint64_t)count * 4);
    if (!src)
        return ISOLA_EINVAL;
    memcpy(out, src, (size_t)count * 4);
    return PROC_OK;
}

static int32_t api_handles_in(isola_host_call *call, uint32_t ptr, uint32_t count, int32_t *out)
{
    return api_mem_handles_in(api_memory(call), ptr, count, out);
}

/*
 * For a child that imports WASI: takes the directory handles out of
 * handles[0..*n) (each needs TRANSFER; they are closed in the parent once
 * the spawn succeeds) and builds the child's context with them as its
 * preopens, in order. The other handles stay for the start message.
 */
static int32_t api_spawn_wasi(proc_process *p, const uint8_t *arg, uint32_t arg_len, int32_t *handles,
                              uint32_t *n, int32_t *dir_handles, uint32_t *ndirs, isola_wasi **out)
{
    proc_dir *dirs[PROC_MESSAGE_MAX_HANDLES];
    uint32_t kept = 0;
    *ndirs = 0;
    for (uint32_t i = 0; i < *n; i++) {
        proc_object *obj;
        int32_t r = proc_handle_get(&p->handles, handles[i], PROC_OBJ_NONE, 0, &obj);
        if (r != PROC_OK)
            return r;
        if (obj->type != PROC_OBJ_DIR) {
            handles[kept++] = handles[i];
            continue;
        }
        r = proc_handle_get(&p->handles, handles[i], PROC_OBJ_DIR, ISOLA_RIGHT_TRANSFER, &obj);
        if (r != PROC_OK)
            return r;
        for (uint32_t j = 0; j < *ndirs; j++)
            if (dir_handles[j] == handles[i])
                return ISOLA_EINVAL;   /* the same handle twice */
        dirs[*ndirs] = (proc_dir *)obj;
        dir_handles[(*ndirs)++] = handles[i];
    }
    *n = kept;
    int32_t r;
    *out = proc_wasi_child(p, arg, arg_len, dirs, *ndirs, &r);
    return r;
}

/*
 * The fuel a spawn asks for when the guest leaves fuel_total at its
 * default: unlimited, unless the spawner's own fuel is limited (as under
 * `isola run --fuel`); then half of what it has left. Asking for "all"
 * would be granted all that is left and the spawner would run dry on its
 * next slice; half keeps both going and still bounds the whole tree.
 */
static uint64_t api_default_fuel(proc_process *p)
{
    uint64_t want = proc_limits_default().fuel_total;
    /* Limits never change after spawn: an unlimited total needs no lock. */
    if (p->quota.limits.fuel_total == PROC_LIMIT_UNLIMITED64)
        return want;
    util_spin_lock(&p->quota.lock);
    uint64_t limit = p->quota.limits.fuel_total, used = p->quota.fuel_used;
    util_spin_unlock(&p->quota.lock);
    if (limit != PROC_LIMIT_UNLIMITED64)
        want = used < limit ? (limit - used + 1) / 2 : 1;
    return want;
}

/*
 * What a spawn costs the spawner in fuel, beyond the call itself: roughly
 * the instructions its host-side work is worth (a spawn takes microseconds).
 * Without it a spawn bomb whose children die with it (giving their fuel
 * back) would cost its quota almost nothing however long it ran.
 */
#define API_SPAWN_FUEL 1000

static isola_host_result api_spawn(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    uint32_t name_len = ARG_U32(2), arg_len = ARG_U32(4), nhandles = ARG_U32(6), limits_ptr = ARG_U32(7);
    const char *name = (const char *)api_range(call, ARG_U32(1), name_len);
    const uint8_t *arg = api_range(call, ARG_U32(3), arg_len);
    int32_t handles[PROC_MESSAGE_MAX_HANDLES];
    if (!name || !arg || api_handles_in(call, ARG_U32(5), nhandles, handles) != PROC_OK)
        return ret_i32(slots, ISOLA_EINVAL);
    uint64_t lim64[3] = {0};
    uint32_t lim32[4] = {0, 0, 0, proc_limits_default().live_children};
    if (limits_ptr) {
        const uint8_t *l = api_range(call, limits_ptr, 40);
        if (!l)
            return ret_i32(slots, ISOLA_EINVAL);
        memcpy(lim64, l, sizeof lim64);
        memcpy(lim32, l + sizeof lim64, sizeof lim32);
    }
    proc_limits req = proc_vm_limits_request(&lim64[0], &lim64[1], &lim64[2], lim32);
    if (lim64[1] == 0)
        req.fuel_total = api_default_fuel(p);
    proc_object *obj;
    int32_t r = proc_handle_get(&p->handles, ARG_I32(0), PROC_OBJ_MODULE, ISOLA_RIGHT_SPAWN, &obj);
    if (r == PROC_OK)
        r = proc_handle_reserve(&p->handles, 1);
    if (r != PROC_OK)
        return ret_i32(slots, r);
    proc_module *module = (proc_module *)obj;
    /* A WASI child: directory handles in the list become its preopens. */
    int32_t dir_handles[PROC_MESSAGE_MAX_HANDLES];
    uint32_t ndirs = 0;
    isola_wasi *wasi = NULL;
    /* Charged before the work, which a WASI child's arguments add to. */
    isola_host_spend_fuel(call, API_SPAWN_FUEL + arg_len / ISOLA_FUEL_BYTES);
    if (module->wasi) {
        r = api_spawn_wasi(p, arg, arg_len, handles, &nhandles, dir_handles, &ndirs, &wasi);
        if (r != PROC_OK)
            return ret_i32(slots, r);
    }
    proc_spawner sp = {.table = &p->handles, .quota = &p->quota, .parent_ref = &p->header, .wasi = wasi};
    proc_process *child;
    r = proc_spawn(p->vm, &sp, module, name, name_len, arg, arg_len, handles, nhandles, &req, &child, NULL);
    isola_host_spend_fuel(call, sp.start_fuel);   /* the spawner's slice ran it */
    if (r == PROC_OK) {
        r = proc_handle_insert(&p->handles, &child->header, API_CHILD_RIGHTS, NULL);
        for (uint32_t i = 0; i < ndirs; i++)   /* moved, like any handle passed to spawn */
            proc_handle_close(&p->handles, dir_handles[i]);
    }
    return ret_i32(slots, r);
}

/* dir_handle(fd, rights_base, rights_inheriting, name_ptr, name_len): a
 * handle (DUPLICATE, TRANSFER) to one of the caller's WASI directories. */
static isola_host_result api_dir_handle(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    uint32_t name_len = ARG_U32(4);
    const char *name = (const char *)api_range(call, ARG_U32(3), name_len);
    if (!name)
        return ret_i32(slots, ISOLA_EINVAL);
    proc_dir *d;
    int32_t r = proc_handle_reserve(&p->handles, 1);
    if (r == PROC_OK)
        r = proc_dir_new(p, ARG_U32(0), slots[1], slots[2], name, name_len, &d);
    if (r != PROC_OK)
        return ret_i32(slots, r);
    r = proc_handle_insert(&p->handles, &d->header, ISOLA_RIGHT_DUPLICATE | ISOLA_RIGHT_TRANSFER, NULL);
    if (r < 0)
        proc_object_release(&d->header);
    return ret_i32(slots, r);
}

static isola_host_result api_self(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    proc_object_retain(&p->header);
    int32_t r = proc_handle_insert(&p->handles, &p->header, API_SELF_RIGHTS, NULL);
    if (r < 0)
        proc_object_release(&p->header);
    return ret_i32(slots, r);
}

static isola_host_result api_channel_create(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    uint8_t *out = api_range(call, ARG_U32(0), 8);
    if (!out)
        return ret_i32(slots, ISOLA_EINVAL);
    int32_t h[2];
    int32_t r = proc_ipc_channel_create(&p->handles, proc_process_queue_limits(p), API_CHANNEL_RIGHTS,
                                        &p->quota, &p->header, &h[0], &h[1]);
    if (r == PROC_OK)
        memcpy(out, h, sizeof h);
    return ret_i32(slots, r);
}

static isola_host_result api_send(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    uint32_t len = ARG_U32(3), nhandles = ARG_U32(5), flags = ARG_U32(6);
    api_mem mem = api_memory(call);
    const uint8_t *bytes = api_mem_range(mem, ARG_U32(2), len);
    int32_t handles[PROC_MESSAGE_MAX_HANDLES];
    if (!bytes || (flags & ~SEND_WAIT) || api_mem_handles_in(mem, ARG_U32(4), nhandles, handles) != PROC_OK)
        return ret_i32(slots, ISOLA_EINVAL);
    bool wait = flags & SEND_WAIT;
    /* The bytes are copied into a message before the queue can refuse it
     * (full, too big, closed): every try pays for its copy. */
    if (len >= ISOLA_FUEL_BYTES)
        isola_host_spend_fuel(call, len / ISOLA_FUEL_BYTES);
    proc_process_park_begin(p);
    proc_endpoint *parked = NULL;
    int32_t r = proc_vm_send(&p->handles, ARG_I32(0), slots[1], bytes, len, handles, nhandles,
                             wait ? &p->waiter : NULL, &parked, &p->send_hint);
    if (nhandles)   /* moving an endpoint into a queue searched what it holds: a unit a step */
        isola_host_spend_fuel(call, proc_channel_take_search_work());
    if (r == ISOLA_EFULL && wait) {
        proc_process_parked(p, parked);   /* counted by proc_vm_send */
        return ISOLA_HOST_BLOCK;
    }
    return ret_i32(slots, r);
}

/* Ends a blocking operation: its timer (if one could be armed) goes. */
static void api_op_done(proc_process *p)
{
    if (p->op_active && p->op_deadline != UINT64_MAX)
        proc_timer_cancel(&p->vm->timers, p);
    p->op_active = false;
}

/*
 * A sender completed this parked receive (a hand-off, proc_recv_slot): the
 * bytes and handles are in place. Runs on the sender's thread while it
 * owns the process, and finishes the call as the receive below would have
 * on a message: results and info, no timer, no park left; then the process
 * resumes after the call instead of making it again.
 */
static void api_receive_complete(proc_process *p, proc_recv_msg msg)
{
    proc_recv_slot *slot = &p->recv;
    proc_process_park_begin(p);
    api_op_done(p);
    if (slot->info) {
        api_recv_info ri = {.tag = msg.tag, .size = msg.size, .handle_count = msg.handle_count};
        memcpy(slot->info, &ri, sizeof ri);
    }
    ret_i32(slot->results, (int32_t)msg.size);
    bool completed = isola_exec_host_complete(p->exec);
    assert(completed && "a parked receiver not suspended in its receive");
    (void)completed;
}

static isola_host_result api_receive(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    /* First of all: a call made again after a wake (the same arguments)
     * leaves its old park, and if it fails below, its deadline and timer
     * too. Its handle may have been revoked while it waited; returning
     * with the park and op_active left behind would let a later sleep
     * inherit the deadline and a sender complete the wrong call. */
    proc_process_park_begin(p);
    int32_t h = ARG_I32(0);
    uint64_t tag = slots[1];
    uint32_t flags = ARG_U32(2), max = ARG_U32(4), hmax = ARG_U32(6), info_ptr = ARG_U32(7);
    int64_t timeout = ARG_I64(8);
    api_mem mem = api_memory(call);
    uint8_t *buf = api_mem_range(mem, ARG_U32(3), max);
    uint8_t *hout = api_mem_range(mem, ARG_U32(5), (uint64_t)hmax * 4);
    uint8_t *info = info_ptr ? api_mem_range(mem, info_ptr, sizeof(api_recv_info)) : NULL;
    if (!buf || !hout || (info_ptr && !info) || (flags & ~(RECEIVE_BY_TAG | RECEIVE_CLOSE_EXTRA))) {
        api_op_done(p);
        return ret_i32(slots, ISOLA_EINVAL);
    }
    proc_endpoint *ep = p->mailbox;
    if (h != 0) {
        int32_t r = proc_vm_receive_endpoint(&p->handles, h, &ep);
        if (r != PROC_OK) {
            api_op_done(p);
            return ret_i32(slots, r);
        }
    }
    proc_filter filter = (flags & RECEIVE_BY_TAG) ? proc_filter_tag(tag) : proc_filter_any();
    filter.close_extra = flags & RECEIVE_CLOSE_EXTRA;
    bool wait = timeout != 0;
    if (wait && !p->op_active) {
        p->op_active = true;
        p->op_deadline = timeout < 0 ? UINT64_MAX : proc_now_ns() + (uint64_t)timeout;
    }
    if (wait) {   /* where a sender may deliver while we are parked */
        proc_recv_slot *slot = &p->recv;
        slot->buf = buf;
        slot->max = max;
        slot->handles_out = hout;
        slot->info = info;
        slot->results = slots;
        slot->memory = exec_call_memory0(call);
        slot->complete = api_receive_complete;
    }
    int32_t installed[PROC_MESSAGE_MAX_HANDLES];
    proc_message *m = NULL;
    if (wait)
        proc_process_park_count(p);
    uint32_t skipped = 0;
    uint32_t nhandles = 0;
    int32_t r = proc_ipc_receive_on(&p->handles, ep, filter, hmax, wait ? &p->waiter : NULL, installed,
                                    &nhandles, &m, &skipped);
    if (wait && r != ISOLA_EAGAIN)
        proc_process_park_uncount(p);
    /* A filtered receive walks the queue past what does not match (up to
     * the queue's limit): a unit per message passed over, so a loop of
     * them runs out its slice like any loop. */
    if (skipped)
        isola_host_spend_fuel(call, skipped);
    if (r == PROC_OK) {
        api_op_done(p);
        uint32_t n = m->size < max ? m->size : max;
        memcpy(buf, proc_message_bytes(m), n);
        if (n >= ISOLA_FUEL_BYTES)
            isola_host_spend_fuel(call, n / ISOLA_FUEL_BYTES);
        memcpy(hout, installed, (size_t)nhandles * 4);
        if (info) {
            api_recv_info ri = {.tag = m->tag, .size = m->size, .handle_count = nhandles};
            memcpy(info, &ri, sizeof ri);
        }
        r = (int32_t)m->size;
        proc_message_free(m);
        return ret_i32(slots, r);
    }
    if (r != ISOLA_EAGAIN || !wait) {
        api_op_done(p);
        return ret_i32(slots, r);
    }
    proc_process_parked(p, ep);
    if (p->op_deadline != UINT64_MAX) {
        if (proc_now_ns() >= p->op_deadline) {
            proc_process_park_begin(p);
            api_op_done(p);
            return ret_i32(slots, ISOLA_EAGAIN);
        }
        if (!proc_timer_arm(&p->vm->timers, p, p->op_deadline)) {
            proc_process_park_begin(p);
            api_op_done(p);
            return ret_i32(slots, ISOLA_ENOMEM);
        }
    }
    return ISOLA_HOST_BLOCK;
}

static isola_host_result api_close(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    return ret_i32(slots, proc_handle_close(&p->handles, ARG_I32(0)));
}

static isola_host_result api_duplicate(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    return ret_i32(slots, proc_handle_duplicate(&p->handles, ARG_I32(0), ARG_U32(1)));
}

static isola_host_result api_exit(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    (void)slots;
    API_PROCESS(call, p);
    p->exit_requested = true;
    p->exit_reason = ARG_I32(0);
    /* A trap is how a host call stops the run; the worker sees exit_requested. */
    return isola_host_trap(call, "exit(%d)", p->exit_reason);
}

static int32_t api_target(proc_process *p, int32_t h, uint32_t rights, proc_process **out)
{
    proc_object *obj;
    int32_t r = proc_handle_get(&p->handles, h, PROC_OBJ_PROCESS, rights, &obj);
    if (r == PROC_OK)
        *out = proc_process_from_object(obj);
    return r;
}

static isola_host_result api_kill(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    proc_process *t;
    int32_t r = api_target(p, ARG_I32(0), ISOLA_RIGHT_KILL, &t);
    if (r != PROC_OK)
        return ret_i32(slots, r);
    proc_process_kill(t, PROC_EXIT_KILLED, ARG_I32(1));
    if (t == p)
        return isola_host_trap(call, "killed itself");
    return ret_i32(slots, PROC_OK);
}

static isola_host_result api_monitor(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    proc_process *t;
    int32_t r = api_target(p, ARG_I32(0), ISOLA_RIGHT_MONITOR, &t);
    slots[0] = (uint64_t)(r != PROC_OK ? (int64_t)r : proc_monitor(p, t));
    return ISOLA_HOST_RETURN;
}

static isola_host_result api_link(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    proc_process *t;
    int32_t r = api_target(p, ARG_I32(0), ISOLA_RIGHT_MONITOR, &t);
    if (r != PROC_OK)
        return ret_i32(slots, r);
    uint32_t steps;
    r = proc_link_add(p, t, &steps);
    isola_host_spend_fuel(call, steps);   /* its walk over the caller's links */
    return ret_i32(slots, r);
}

static isola_host_result api_trap_exits(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    util_spin_lock(&p->link_lock);
    p->trap_exits = ARG_U32(0) != 0;
    util_spin_unlock(&p->link_lock);
    return ret_i32(slots, PROC_OK);
}

/* detach(child): the child will outlive the caller (needs KILL: authority
 * over its life). ISOLA_EINVAL if it is not the caller's child. */
static isola_host_result api_detach(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    proc_process *t;
    int32_t r = api_target(p, ARG_I32(0), ISOLA_RIGHT_KILL, &t);
    return ret_i32(slots, r != PROC_OK ? r : proc_child_detach(p, t));
}

static isola_host_result api_revoker_create(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    return ret_i32(slots, proc_revoker_handle_new(&p->handles));
}

static isola_host_result api_derive(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    return ret_i32(slots, proc_revoker_derive(&p->handles, ARG_I32(0), ARG_I32(1), ARG_U32(2)));
}

static isola_host_result api_revoke(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    return ret_i32(slots, proc_handle_revoke(&p->handles, ARG_I32(0)));
}

static isola_host_result api_sleep(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)user;
    API_PROCESS(call, p);
    proc_process_park_begin(p);   /* nothing is parked here: a stale park must not catch a hand-off */
    int64_t ns = ARG_I64(0);
    if (!p->op_active) {
        if (ns <= 0)
            return ret_i32(slots, PROC_OK);
        p->op_active = true;
        p->op_deadline = proc_now_ns() + (uint64_t)ns;
    }
    if (proc_now_ns() >= p->op_deadline) {
        api_op_done(p);
        return ret_i32(slots, PROC_OK);
    }
    if (!proc_timer_arm(&p->vm->timers, p, p->op_deadline)) {
        api_op_done(p);
        return ret_i32(slots, ISOLA_ENOMEM);
    }
    return ISOLA_HOST_BLOCK;
}

static isola_host_result api_yield(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)call;
    (void)user;
    slots[0] = 0;
    return ISOLA_HOST_YIELD;
}

static isola_host_result api_now(isola_host_call *call, uint64_t *slots, void *user)
{
    (void)call;
    (void)user;
    slots[0] = proc_now_ns();
    return ISOLA_HOST_RETURN;
}

/* ---------------------------------------------------------------- table */

typedef struct api_def {
    const char *name;
    isola_host_fn fn;
    const char *params;   /* 'i' i32, 'I' i64 */
    const char *results;
} api_def;

static const api_def api_defs[] = {
    {"spawn", api_spawn, "iiiiiiii", "i"},
    {"self", api_self, "", "i"},
    {"channel_create", api_channel_create, "i", "i"},
    {"send", api_send, "iIiiiii", "i"},
    {"receive", api_receive, "iIiiiiiiI", "i"},
    {"close", api_close, "i", "i"},
    {"duplicate", api_duplicate, "ii", "i"},
    {"exit", api_exit, "i", ""},
    {"kill", api_kill, "ii", "i"},
    {"monitor", api_monitor, "i", "I"},
    {"link", api_link, "i", "i"},
    {"trap_exits", api_trap_exits, "i", "i"},
    {"sleep", api_sleep, "I", "i"},
    {"yield", api_yield, "", "i"},
    {"now", api_now, "", "I"},
    {"dir_handle", api_dir_handle, "iIIii", "i"},
    {"detach", api_detach, "i", "i"},
    {"revoker_create", api_revoker_create, "", "i"},
    {"derive", api_derive, "iii", "i"},
    {"revoke", api_revoke, "i", "i"},
};

#define API_COUNT (sizeof api_defs / sizeof api_defs[0])

static void api_types(const char *s, isola_valtype *out, uint32_t *n)
{
    for (*n = 0; s[*n]; (*n)++)
        out[*n] = s[*n] == 'I' ? ISOLA_I64 : ISOLA_I32;
}

bool proc_api_create(proc_vm *vm, isola_error *err)
{
    vm->api = calloc(API_COUNT, sizeof *vm->api);
    if (!vm->api)
        return false;
    for (uint32_t i = 0; i < API_COUNT; i++) {
        isola_valtype params[16], results[2];
        isola_functype ft = {.params = params, .results = results};
        api_types(api_defs[i].params, params, &ft.nparams);
        api_types(api_defs[i].results, results, &ft.nresults);
        isola_func *f = isola_func_new(vm->engine, &ft, api_defs[i].fn, vm, err);
        if (!f) {
            vm->napi = i;
            proc_api_destroy(vm);
            return false;
        }
        vm->api[i] = (proc_api_entry){.name = api_defs[i].name, .func = f};
    }
    vm->napi = API_COUNT;
    return true;
}

void proc_api_destroy(proc_vm *vm)
{
    for (uint32_t i = 0; i < vm->napi; i++)
        isola_func_release(vm->api[i].func);
    free(vm->api);
    vm->api = NULL;
    vm->napi = 0;
}
