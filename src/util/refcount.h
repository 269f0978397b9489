/*
 * util/refcount.h - dropping a reference, with the sole-owner shortcut that
 * every reference-counted object of the engine and the process kernel
 * shares.
 *
 * A holder that reads a count of 1 holds the only reference: no other
 * thread can retain (that takes a reference) or release, so it may destroy
 * the object without the locked decrement. On x86 that decrement is a full
 * barrier and waits for every store before it to drain; a spawn and end
 * dropped seven last references (its instance, memory, global, mailbox
 * channel and endpoints, ...) this way, each right after the stores that
 * tore the process down. The acquire load pairs with earlier holders'
 * release decrements, as the acquire of the decrement would.
 */
#ifndef ISOLA_UTIL_REFCOUNT_H
#define ISOLA_UTIL_REFCOUNT_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>

/* Drops the caller's reference; true when it was the last (destroy now). */
static inline bool util_ref_drop(atomic_uint *count)
{
    unsigned now = atomic_load_explicit(count, memory_order_acquire);
    assert(now >= 1 && "release of a dead object");
    if (now == 1)
        return true;
    return atomic_fetch_sub_explicit(count, 1, memory_order_acq_rel) == 1;
}

#endif
