/*
 * wasi_route.c - WASI host functions shared by many contexts (isola_wasi_router,
 * see isola/wasi.h): one function per import for all instances of a module,
 * which finds the caller's context at each call through the embedder's hooks
 * and tells it when a call parked or exited. This is how every process of a
 * VM gets a context of its own while the module's imports are resolved once.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_ctx.h"

typedef struct route_binding {
    isola_wasi_router *router;
    const wasi_func_entry *entry;
} route_binding;

struct isola_wasi_router {
    isola_wasi_hooks hooks;
    route_binding bindings[WASI_FUNC_COUNT];
};

isola_wasi_router *isola_wasi_router_new(const isola_wasi_hooks *hooks, isola_error *err)
{
    assert(hooks && hooks->context);
    isola_wasi_router *r = calloc(1, sizeof *r);
    if (!r) {
        if (err)
            *err = (isola_error){ .kind = ISOLA_ERR_RESOURCE,
                                  .message = "out of memory creating a WASI router" };
        return NULL;
    }
    r->hooks = *hooks;
    for (uint32_t i = 0; i < WASI_FUNC_COUNT; i++)
        r->bindings[i] = (route_binding){ r, &wasi_func_table[i] };
    return r;
}

void isola_wasi_router_release(isola_wasi_router *router)
{
    free(router);
}

static isola_host_result route_trampoline(isola_host_call *call, uint64_t *slots, void *user)
{
    route_binding *b = user;
    const isola_wasi_hooks *h = &b->router->hooks;
    isola_wasi *w = h->context(call, h->user);
    if (!w)
        return isola_host_trap(call, "WASI is not available to this caller");
    uint32_t r = wasi_func_run(w, b->entry, call, slots);
    if (r == WASI_RESULT_EXIT && h->exited)
        h->exited(call, w, w->exit_code, h->user);
    else if (r == WASI_RESULT_BLOCK && h->parked)
        h->parked(call, w, h->user);
    return wasi_func_result(b->entry, call, slots, r);
}

bool isola_wasi_router_define(isola_wasi_router *router, isola_engine *engine, const char *name,
                              size_t name_len, const isola_externtype *type, isola_extern *out,
                              isola_error *err)
{
    void *users[WASI_FUNC_COUNT];
    for (uint32_t i = 0; i < WASI_FUNC_COUNT; i++)
        users[i] = &router->bindings[i];
    return wasi_func_define(name, name_len, type, engine, route_trampoline, users, out, err);
}
