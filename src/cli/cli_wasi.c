/*
 * cli_wasi.c - `isola run`'s WASI options and context (see cli_wasi.h).
 */
#include "cli_wasi.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

static bool push(const char ***list, int *n, const char *s)
{
    const char **l = realloc(*list, ((size_t)*n + 1) * sizeof *l);
    if (!l) {
        cli_errorf("run: out of memory");
        return false;
    }
    l[(*n)++] = s;
    *list = l;
    return true;
}

bool cli_wasi_add_dir(cli_wasi_options *o, const char *spec) { return push(&o->dirs, &o->ndirs, spec); }
bool cli_wasi_add_env(cli_wasi_options *o, const char *nv) { return push(&o->envs, &o->nenvs, nv); }

void cli_wasi_options_free(cli_wasi_options *o)
{
    free(o->dirs);
    free(o->envs);
    memset(o, 0, sizeof *o);
}

isola_wasi *cli_wasi_new(const cli_wasi_options *o, const char *program, char **args, int nargs)
{
    isola_error err;
    memset(&err, 0, sizeof err);
    isola_wasi *w = isola_wasi_new(&err);
    if (!w) {
        cli_errorf("run: %s", err.message);
        return NULL;
    }
    const char **argv = calloc((size_t)nargs + 2, sizeof *argv);
    bool ok = argv != NULL;
    if (ok) {
        argv[0] = program;
        for (int i = 0; i < nargs; i++)
            argv[i + 1] = args[i];
        ok = isola_wasi_set_args(w, nargs + 1, argv, &err) &&
             isola_wasi_set_stdio(w, cli_stdio_was_closed(0) ? -1 : 0, cli_stdio_was_closed(1) ? -1 : 1,
                                  cli_stdio_was_closed(2) ? -1 : 2, &err);
    } else {
        snprintf(err.message, sizeof err.message, "out of memory");
    }
    free(argv);
    for (int i = 0; ok && i < o->nenvs; i++)
        ok = isola_wasi_add_env(w, o->envs[i], &err);
    for (int i = 0; ok && i < o->ndirs; i++)
        ok = isola_wasi_preopen_spec(w, o->dirs[i], &err);
    if (!ok) {
        cli_errorf("run: %s", err.message);
        isola_wasi_release(w);
        return NULL;
    }
    return w;
}
