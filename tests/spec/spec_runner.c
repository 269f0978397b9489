/*
 * spec_runner.c - the spec_runner program: runs wast2json scripts through
 * isola and prints per-file lines, per-command-kind totals and the totals
 * CI parses.
 *
 *   spec_runner [options] FILE.json...     run these scripts
 *   spec_runner [options] --all DIR        run every .json script in DIR, sorted
 *
 * With more than one script, each runs in a forked child (unless --no-fork)
 * so a crash or hang in the engine costs one file, not the whole run; the
 * child's counts live in shared memory so the parent still knows how far it
 * got and which command it was running.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec_script.h"

typedef struct spec_run_config {
    spec_options opt;
    bool fork_each;
    unsigned timeout_seconds;      /* per forked script; 0: none */
} spec_run_config;

static void spec_usage(FILE *out)
{
    fprintf(out,
            "usage: spec_runner [options] FILE.json...\n"
            "       spec_runner [options] --all DIR\n"
            "options:\n"
            "  --max-failures N  failure lines printed per file (default 20)\n"
            "  --fork/--no-fork  run each file in a child process (default: when more than one)\n"
            "  --timeout S       seconds per forked file (default 600, 0: none)\n"
            "  --strict-messages also require the spec's wording in trap and load-error messages\n"
            "  -v                print each command as it starts\n");
}

static uint32_t spec_sum(const spec_counts *c, spec_outcome outcome)
{
    uint32_t total = 0;
    for (int k = 0; k < SPEC_KIND_COUNT; k++) {
        total += c->n[k][outcome];
    }
    return total;
}

static void spec_add_counts(spec_counts *total, const spec_counts *c)
{
    for (int k = 0; k < SPEC_KIND_COUNT; k++) {
        for (int o = 0; o < SPEC_OUTCOME_COUNT; o++) {
            total->n[k][o] += c->n[k][o];
        }
    }
}

static void spec_print_file_line(const char *label, const spec_counts *c)
{
    printf("%s: %u passed, %u failed, %u skipped\n", label, spec_sum(c, SPEC_PASSED),
           spec_sum(c, SPEC_FAILED), spec_sum(c, SPEC_SKIPPED));
    fflush(stdout);
}

/* Runs a script in a child; its counts come back through `shared`. */
static void spec_run_forked(const char *path, const spec_run_config *cfg, spec_counts *shared)
{
    char label[256];
    spec_script_label(path, label, sizeof label);
    memset(shared, 0, sizeof *shared);
    shared->kind = SPEC_KIND_OTHER;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("%s:0: other: fork failed\n", label);
        shared->n[SPEC_KIND_OTHER][SPEC_FAILED]++;
        return;
    }
    if (pid == 0) {
        if (cfg->timeout_seconds) {
            alarm(cfg->timeout_seconds);
        }
        spec_script_run(path, &cfg->opt, shared);
        fflush(stdout);
        exit(0);   /* exit, not _exit: sanitizer leak checks run at exit */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        /* EINTR only; nothing else can fail for our own child */
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGALRM) {
            printf("%s:%u: %s: timed out after %u s\n", label, shared->line, spec_kind_name(shared->kind),
                   cfg->timeout_seconds);
        } else {
            printf("%s:%u: %s: crashed: signal %d (%s)\n", label, shared->line,
                   spec_kind_name(shared->kind), sig, strsignal(sig));
        }
        shared->n[shared->kind][SPEC_FAILED]++;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        printf("%s: the run exited with status %d (sanitizer report or leak above?)\n", label,
               WEXITSTATUS(status));
        shared->n[SPEC_KIND_OTHER][SPEC_FAILED]++;
    }
}

static int spec_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .json script in dir, sorted; NULL-terminated, malloc'd. */
static char **spec_list_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "spec_runner: cannot open directory %s\n", dir);
        return NULL;
    }
    char **paths = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0) {
            continue;
        }
        if (n + 1 >= cap) {
            cap = cap ? 2 * cap : 256;
            char **grown = realloc(paths, cap * sizeof *grown);
            if (!grown) {
                break;
            }
            paths = grown;
        }
        size_t size = strlen(dir) + len + 2;
        paths[n] = malloc(size);
        if (!paths[n]) {
            break;
        }
        snprintf(paths[n], size, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (paths) {
        qsort(paths, n, sizeof *paths, spec_compare_names);
        paths[n] = NULL;
    }
    *count = n;
    return paths;
}

static void spec_free_list(char **paths, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(paths[i]);
    }
    free(paths);
}

static void spec_print_totals(const spec_counts *total, size_t files)
{
    printf("\nper command kind (passed / failed / skipped), %zu files:\n", files);
    for (int k = 0; k < SPEC_KIND_COUNT; k++) {
        const uint32_t *n = total->n[k];
        if (n[SPEC_PASSED] + n[SPEC_FAILED] + n[SPEC_SKIPPED] == 0) {
            continue;
        }
        printf("  %-22s %6u / %6u / %6u\n", spec_kind_name((spec_kind)k), n[SPEC_PASSED],
               n[SPEC_FAILED], n[SPEC_SKIPPED]);
    }
    uint32_t passed = spec_sum(total, SPEC_PASSED);
    uint32_t failed = spec_sum(total, SPEC_FAILED);
    printf("spec total: %u passed, %u failed, %u skipped\n", passed, failed, spec_sum(total, SPEC_SKIPPED));
    printf("%u passed, %u failed\n", passed, failed);
}

static int spec_run_all(char **paths, size_t count, const spec_run_config *cfg)
{
    spec_counts total = { 0 };
    spec_counts *shared = NULL;
    if (cfg->fork_each) {
        shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED) {
            fprintf(stderr, "spec_runner: mmap failed\n");
            return 2;
        }
    }
    for (size_t i = 0; i < count; i++) {
        spec_counts local = { 0 };
        spec_counts *c = shared ? shared : &local;
        if (shared) {
            spec_run_forked(paths[i], cfg, shared);
        } else {
            spec_script_run(paths[i], &cfg->opt, c);
        }
        char label[256];
        spec_print_file_line(spec_script_label(paths[i], label, sizeof label), c);
        spec_add_counts(&total, c);
    }
    if (shared) {
        munmap(shared, sizeof *shared);
    }
    spec_print_totals(&total, count);
    return spec_sum(&total, SPEC_FAILED) ? 1 : 0;
}

int main(int argc, char **argv)
{
    spec_run_config cfg = { .opt = { .max_failures = 20 }, .timeout_seconds = 600 };
    int fork_choice = -1;   /* -1: decide by the number of files */
    const char *all_dir = NULL;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    size_t nfiles = 0;
    if (!files) {
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--all") == 0 && i + 1 < argc) {
            all_dir = argv[++i];
        } else if (strcmp(a, "--max-failures") == 0 && i + 1 < argc) {
            cfg.opt.max_failures = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
            cfg.timeout_seconds = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(a, "--fork") == 0) {
            fork_choice = 1;
        } else if (strcmp(a, "--no-fork") == 0) {
            fork_choice = 0;
        } else if (strcmp(a, "--strict-messages") == 0) {
            cfg.opt.strict_messages = true;
        } else if (strcmp(a, "-v") == 0) {
            cfg.opt.verbose = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            spec_usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            spec_usage(stderr);
            spec_free_list(files, nfiles);
            return 2;
        } else {
            files[nfiles] = strdup(a);
            if (!files[nfiles]) {
                spec_free_list(files, nfiles);
                return 2;
            }
            nfiles++;
        }
    }
    if ((all_dir != NULL) == (nfiles > 0)) {
        fprintf(stderr, "spec_runner: give either --all DIR or .json files\n");
        spec_usage(stderr);
        spec_free_list(files, nfiles);
        return 2;
    }

    size_t count = nfiles;
    char **paths = files;
    if (all_dir) {
        free(files);
        paths = spec_list_dir(all_dir, &count);
        if (!paths || count == 0) {
            fprintf(stderr, "spec_runner: no .json scripts in %s\n", all_dir);
            spec_free_list(paths, count);
            return 2;
        }
    }
    cfg.fork_each = fork_choice < 0 ? count > 1 : fork_choice == 1;
    int rc = spec_run_all(paths, count, &cfg);
    spec_free_list(paths, count);
    return rc;
}
