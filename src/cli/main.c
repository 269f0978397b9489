/*
 * main.c - the `isola` command: picks the subcommand and documents the
 * command line (usage text and exit codes). The subcommands live in
 * cli_validate.c and cli_run.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#if defined(__GLIBC__) && !defined(ISOLA_USE_JEMALLOC)
#include <malloc.h>
#endif

#include "cli.h"

void cli_print_usage(FILE *out)
{
    fputs(
        "usage: isola validate FILE.wasm\n"
        "       isola run FILE.wasm [OPTIONS] [ARG...]\n"
        "       isola run FILE.wasm [OPTIONS] --invoke NAME [ARG...]\n"
        "       isola --help | --version\n"
        "\n"
        "commands:\n"
        "  validate   decode and validate FILE; print \"FILE: valid\", or the first error\n"
        "             as \"FILE: error at offset 0x..: reason\"\n"
        "  run        without --invoke: run FILE as a WASI command (its _start), with\n"
        "             ARGs as its arguments, as the first process of a VM (it may\n"
        "             import the isola API and spawn more); the exit status is the\n"
        "             one it passes to proc_exit (0 if _start returns); processes\n"
        "             still running when it ends are killed\n"
        "             with --invoke: instantiate FILE and call its export NAME with\n"
        "             ARGs; print each result on its own line\n"
        "\n"
        "run options (may appear anywhere; a bare -- ends them):\n"
        "  --invoke NAME       the exported function to call\n"
        "  --fuel N            stop after N units of fuel (function entries, loop\n"
        "                      iterations, and one per 64 bytes a bulk memory\n"
        "                      instruction moves; a command's children share it);\n"
        "                      default unlimited\n"
        "  --max-memory SIZE   cap on each linear memory: pages of 64 KiB, or a size\n"
        "                      with KiB, MiB or GiB (e.g. 64MiB); default 4GiB; for a\n"
        "                      command, also the budget of its whole process tree\n"
        "  --max-procs N       a command's live descendant processes, at any depth\n"
        "                      (0: it may not spawn); default unlimited\n"
        "  --max-handles N     a command's handle table; default 1048576 (the most)\n"
        "  --max-queue N       messages in each of a command's queues (its mailbox,\n"
        "                      channels it creates); default 65536\n"
        "  --dir HOST[::GUEST] give the program host directory HOST, seen as GUEST\n"
        "                      (default: the same name); it sees no other files\n"
        "  --env NAME=VALUE    set an environment variable (none are inherited)\n"
        "guest arguments that start with -- go after a bare --.\n"
        "\n"
        "arguments are parsed by the parameter's type:\n"
        "  i32, i64   decimal (signed or unsigned range) or 0x hex\n"
        "  f32, f64   decimal, hex float (0x1.8p3), inf, -inf, nan, nan:0xPAYLOAD\n"
        "results: integers in signed decimal, floats in the shortest form that reads\n"
        "back to the same bits (nan, -nan, nan:0x.., inf, -inf).\n"
        "\n"
        "exit codes:\n"
        "  0  success\n"
        "  1  error: bad command line, unreadable file, malformed or invalid module,\n"
        "     unresolved import, failed instantiation (the message says which)\n"
        "  2  the wasm code trapped (\"trap: MESSAGE\" and a backtrace on stderr)\n"
        "  N  a WASI command called proc_exit(N)\n"
        "  3  the --fuel budget ran out\n"
        "  4  the command's process was killed by another process\n"
        "  5  deadlock: the command's process, and every process left, was blocked\n"
        "     with nothing that could wake one (a line on stderr says where)\n",
        out);
}

/* With glibc's malloc: one arena for the whole program, since glibc
 * otherwise gives each worker thread its own, whose freed memory stays
 * resident after a burst of processes (tens of MiB that malloc_trim cannot
 * return). With jemalloc (linked when installed, see CMakeLists.txt) there
 * is nothing to tune: its thread caches and decay handle both. See
 * docs/architecture.md, "Resource reuse". */
static void cli_tune_allocator(void)
{
#if defined(__GLIBC__) && !defined(ISOLA_USE_JEMALLOC)
    mallopt(M_ARENA_MAX, 1);
#endif
}

/*
 * A standard stream the command was started without (`isola run ... >&-`)
 * stays closed for the guest, as it would for a native program; but its
 * number is taken here by /dev/null. Left free, the first file isola or a
 * guest opens would get it, and whatever is then written to "stdout" or
 * "stderr" (isola's messages, a trap report) would go into that file.
 */
static bool stdio_closed[3];

static void cli_hold_closed_stdio(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        stdio_closed[fd] = true;
        int held = open("/dev/null", O_RDWR);   /* the lowest free number: fd itself */
        if (held >= 0 && held != fd)
            close(held);
    }
}

bool cli_stdio_was_closed(int fd)
{
    return fd >= 0 && fd < 3 && stdio_closed[fd];
}

int main(int argc, char **argv)
{
    cli_hold_closed_stdio();
    cli_tune_allocator();
    /* A guest writing to a closed pipe gets EPIPE, and one growing a file
     * past `ulimit -f` EFBIG, as under other runtimes, instead of ending the
     * command (and every process in it) by SIGPIPE or SIGXFSZ. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        cli_print_usage(stderr);
        return CLI_EXIT_ERROR;
    }
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
        strcmp(command, "help") == 0) {
        cli_print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "-V") == 0) {
        printf("isola %s\n", CLI_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(command, "validate") == 0)
        return cli_validate_main(argc - 1, argv + 1);
    if (strcmp(command, "run") == 0)
        return cli_run_main(argc - 1, argv + 1);
    cli_errorf("unknown command '%s' (commands: validate, run; see isola --help)", command);
    return CLI_EXIT_ERROR;
}
