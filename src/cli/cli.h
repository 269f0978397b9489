/*
 * cli.h - what the `isola` command's parts share: exit codes, the command
 * entry points main.c dispatches to, and small helpers for files and errors.
 */
#ifndef ISOLA_CLI_H
#define ISOLA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <isola/engine.h>

/* Exit codes, documented in `isola --help`. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,      /* bad usage, unreadable file, malformed/invalid module, link error, ... */
    CLI_EXIT_TRAP = 2,       /* the wasm code trapped */
    CLI_EXIT_FUEL = 3,       /* the --fuel budget ran out before the call returned */
    CLI_EXIT_KILLED = 4,     /* the command's process was killed (by a process it let do so) */
    CLI_EXIT_DEADLOCK = 5,   /* every process left was blocked and nothing could wake one */
};

/* Pages of 64 KiB: the largest memory `isola run` allows (4 GiB). */
#define CLI_MAX_PAGES 65536u

#define CLI_VERSION "0.1.0"

/* The usage text for `isola --help`. */
void cli_print_usage(FILE *out);

/* `isola validate FILE`: argv[0] is "validate". Returns an exit code. */
int cli_validate_main(int argc, char **argv);
/* `isola run FILE --invoke NAME [ARG...]`: argv[0] is "run". Returns an exit code. */
int cli_run_main(int argc, char **argv);

/* Whether standard stream `fd` (0, 1 or 2) was closed when the command
 * started (main.c holds its number with /dev/null; the guest sees it closed). */
bool cli_stdio_was_closed(int fd);

/* Prints "isola: " + the formatted message + newline to stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Reads a whole file into a malloc'ed buffer (*len may be 0). On failure
 * prints one line naming the file and the reason, and returns NULL.
 */
uint8_t *cli_read_file(const char *path, size_t *len);

/* Prints "trap: MESSAGE" and the wasm backtrace to stderr. */
void cli_report_trap(const isola_trap *trap);

/* Prints a load/validate error the way both commands report it. */
void cli_report_module_error(const char *path, const isola_error *err);

#endif
