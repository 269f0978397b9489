/*
 * interp.h - the interpreter loop and the execution context it runs on.
 *
 * struct isola_exec holds all state of one thread of wasm execution: the
 * value stack (8-byte slots), the frame stack, and, while a run is stopped
 * (fuel exhausted, host function yielded or blocked), the saved registers of
 * the loop (pc, fp, frame depth, current instance). wasm->wasm calls never
 * recurse in C, so a stopped run is just this struct and can be resumed on
 * any thread. exec.c owns the public API around it; interp.c runs it.
 */
#ifndef ISOLA_EXEC_INTERP_H
#define ISOLA_EXEC_INTERP_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/code.h"
#include "exec/runtime.h"

/*
 * One activation record. frames[0] is the function isola_exec_call started;
 * its ret_pc is the exec's finish_op, whose handler ends the run, so a
 * return never tests for the bottom frame. The caller's state is saved
 * here, so a return restores pc, fp and (for calls across instances) the
 * instance.
 */
typedef struct exec_frame {
    isola_func *func;            /* the function running in this activation; NULL when a
                                  * call_direct started it (see exec_frame_func) */
    const exec_op *ret_pc;       /* where the caller continues; &exec->finish_op for frames[0] */
    uint64_t *ret_fp;            /* the caller's frame base */
    isola_instance *ret_inst;    /* the caller's instance */
} exec_frame;

enum exec_state {
    EXEC_IDLE,          /* ready for a new call; results of the last one are in stack[0..] */
    EXEC_STOPPED,       /* yielded or suspended inside the interpreter: resume runs the loop */
    EXEC_HOST_BLOCKED,  /* a host function called directly by isola_exec_call blocked */
    EXEC_HOST_DONE,     /* a host function called directly yielded after returning */
};

#define EXEC_MAX_TRAP_FRAMES 64
/* Frames that share a page with the bottom of the value stack in a grown
 * context's region (see exec_stack_grow). */
#define EXEC_HOT_FRAMES 8
/* A new context's own room: enough for a small process's whole life (its
 * entry, a helper or two and a host call with nine arguments; the test
 * and example guests grow beyond it only in deep recursion). With the
 * 208-byte head the block is 976 bytes, one 1 KiB malloc size class. */
#define EXEC_SMALL_FRAMES 8u
#define EXEC_SMALL_SLOTS 64u

/* What a context writes only when a trap or a failed call is reported:
 * allocated the first time one is (exec_record_need), so it costs nothing
 * until then. */
typedef struct exec_record {
    char trap_message[256];
    isola_frame_info trap_frames[EXEC_MAX_TRAP_FRAMES];
    char error[256];             /* why the last call failed to start */
} exec_record;

/*
 * A context starts as one small block (see isola_exec_new for why):
 *
 *   [frames EXEC_SMALL_FRAMES-1 ... frames[0]] [isola_exec] [EXEC_SMALL_SLOTS values ->]
 *
 * Frames grow DOWN from just below the head and values grow up from just
 * above it. A small process never leaves it, so what it costs is about
 * 1 KB of heap, shared pages with its neighbours, not a page of its own.
 * A call that does not fit moves the frames and values once to a region
 * of the configured size (exec_stack_grow); the head stays where it is,
 * so pointers to the context and &finish_op stay valid.
 * Activation i is frames[-i].
 */
struct isola_exec {
    isola_engine *engine;
    uint64_t *stack;
    uint64_t *stack_end;
    exec_frame *frames;          /* activation 0; activation i is at frames - i */
    uint32_t frame_cap;          /* activations that fit now (i < frame_cap) */
    uint32_t max_depth;          /* ... and at most, once grown */
    uint32_t max_slots;          /* value slots at most, once grown */
    int64_t fuel;

    enum exec_state state;
    isola_func *entry;           /* the function of the current or last call */
    bool has_results;            /* the last call returned: its results are in stack[0..] */

    /* Saved loop registers while stopped (and during host calls). */
    const exec_op *pc;
    uint64_t *fp;
    uint32_t depth;
    isola_instance *inst;
    /* While a host call the loop made is blocked (ISOLA_HOST_BLOCK): the
     * instruction after it, where isola_exec_host_complete resumes. */
    const exec_op *block_next;
    /* A bulk instruction stopped part way for want of fuel (interp.c,
     * bulk_take): which one, and how many bytes or elements it has done. */
    const exec_op *bulk_pc;
    uint64_t bulk_done;

    bool trapped;                /* `trap` describes the last call's trap */
    bool failed;                 /* `error` says why the last call did not start */
    isola_trap trap;
    const char *error;
    exec_record *record;         /* NULL until a trap or an error needs it */
    void *block;                 /* the head's block (malloc) */
    void *region;                /* frames and values once grown, else NULL */
    int32_t region_slot;         /* its slot in engine->exec_pool, or -1: malloc */
    exec_op finish_op;           /* [op_finish]: where frames[0] returns to */
};

/*
 * Runs from the saved registers (exec->pc, fp, depth, inst) until frames[0]
 * returns (ISOLA_OK, results in stack[0..]), a trap (ISOLA_TRAPPED, exec->trap
 * filled), or a stop (ISOLA_YIELDED / ISOLA_SUSPENDED, registers saved).
 */
isola_status exec_interp_run(isola_exec *exec);

/* The function running in frames[i] (i <= the current depth). */
isola_func *exec_frame_func(const isola_exec *exec, uint32_t i);

/* Records a trap with its backtrace from frames[0..nframes-1]; used by interp.c and exec.c. */
void exec_record_trap(isola_exec *exec, isola_trap_kind kind, const char *message, uint32_t nframes);

/* The message a host function left with isola_host_trap (a fixed one if
 * it left none and no earlier trap made the record, or there was no
 * memory to keep it). */
const char *exec_host_trap_message(const isola_exec *exec);

/* Gives a small context a region of the configured size. `live`: a run is
 * stopped in it (registers saved), so its exec->depth + 1 activations and
 * values move there, with every saved pointer into them. False when it is
 * grown already or out of memory. */
bool exec_stack_grow(isola_exec *exec, bool live);

#endif
