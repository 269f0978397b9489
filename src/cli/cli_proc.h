/*
 * cli_proc.h - `isola run FILE [ARG...]` (no --invoke): the WASI command
 * runs as the first process of a VM, so it can spawn others and a call
 * that would block parks only its process.
 */
#ifndef ISOLA_CLI_PROC_H
#define ISOLA_CLI_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "cli_wasi.h"

typedef struct cli_proc_options {
    const char *path;
    char **args;                 /* the guest's argv after FILE */
    int nargs;
    bool fuel_set;
    int64_t fuel;                /* --fuel: the first process's (and its children's) total */
    uint32_t max_memory_pages;   /* 0: the CLI's maximum */
    const cli_wasi_options *wasi;
    /* The first process's limits (a top-level program: by default the
     * VM's whole budget; see cli_proc.c). set: given on the command line. */
    bool max_procs_set, max_handles_set, max_queue_set;
    uint32_t max_procs;          /* --max-procs: live descendants, any depth */
    uint32_t max_handles;        /* --max-handles: its handle table */
    uint32_t max_queue;          /* --max-queue: messages in each of its queues */
} cli_proc_options;

/* Runs the command to its end; returns the exit status (see isola --help). */
int cli_proc_run(const cli_proc_options *o);

#endif
