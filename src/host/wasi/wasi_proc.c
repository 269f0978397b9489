/*
 * wasi_proc.c - proc_exit, proc_raise, sched_yield and random_get.
 *
 * proc_exit ends the guest's call, not the host: it records the code in
 * the context and the trampoline turns it into a host trap "exit", which
 * the embedder recognises with isola_wasi_exited().
 */
#include <errno.h>
#include <sched.h>
#include <sys/random.h>

#include "wasi_abi.h"
#include "wasi_ctx.h"
#include "wasi_mem.h"

uint32_t wasi_proc_exit(wasi_call *c)
{
    c->wasi->exited = true;
    c->wasi->exit_code = (int)wasi_arg32(c, 0);
    return WASI_RESULT_EXIT;
}

/* Signals are not part of the isolation model; preview1 deprecates proc_raise. */
uint32_t wasi_proc_raise(wasi_call *c)
{
    (void)c;
    return WASI_ENOSYS;
}

/*
 * In park mode the process gives up its worker so others can run; alone
 * on a thread, the host thread yields instead.
 */
uint32_t wasi_sched_yield(wasi_call *c)
{
    if (c->wasi->block_mode == ISOLA_WASI_BLOCK_PARK)
        return WASI_RESULT_YIELD;
    sched_yield();
    return 0;
}

uint32_t wasi_random_get(wasi_call *c)
{
    uint32_t len = wasi_arg32(c, 1);
    uint8_t *p = wasi_mem_at(c, wasi_arg32(c, 0), len);
    if (!p)
        return WASI_EFAULT;
    uint32_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return wasi_errno_from_host(errno);
        }
        done += (uint32_t)n;
    }
    c->moved = len;
    return 0;
}
