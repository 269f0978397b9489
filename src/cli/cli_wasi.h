/*
 * cli_wasi.h - the WASI side of `isola run`: building the guest's WASI
 * context from the command line (--dir, --env, program arguments) and
 * turning a proc_exit into the command's exit status.
 */
#ifndef ISOLA_CLI_WASI_H
#define ISOLA_CLI_WASI_H

#include <stdbool.h>

#include <isola/engine.h>
#include <isola/wasi.h>

typedef struct cli_wasi_options {
    const char **dirs;           /* --dir HOST[::GUEST], in order */
    int ndirs;
    const char **envs;           /* --env NAME=VALUE, in order */
    int nenvs;
} cli_wasi_options;

/* Records one --dir or --env value; false (after reporting) on out of memory. */
bool cli_wasi_add_dir(cli_wasi_options *o, const char *spec);
bool cli_wasi_add_env(cli_wasi_options *o, const char *name_value);
void cli_wasi_options_free(cli_wasi_options *o);

/*
 * A WASI context with stdio inherited, argv = program + args, the given
 * environment (nothing from the host's) and preopens. NULL after
 * printing one line saying what was wrong.
 */
isola_wasi *cli_wasi_new(const cli_wasi_options *o, const char *program, char **args, int nargs);

#endif
