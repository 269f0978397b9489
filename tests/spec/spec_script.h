/*
 * spec_script.h - running one wast2json script (the .json plus its .wasm
 * files) against isola's public API, command by command, and counting the
 * outcome of each command per command kind.
 */
#ifndef SPEC_SCRIPT_H
#define SPEC_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum spec_kind {
    SPEC_KIND_MODULE = 0,
    SPEC_KIND_REGISTER,
    SPEC_KIND_ACTION,
    SPEC_KIND_ASSERT_RETURN,
    SPEC_KIND_ASSERT_TRAP,
    SPEC_KIND_ASSERT_EXHAUSTION,
    SPEC_KIND_ASSERT_INVALID,
    SPEC_KIND_ASSERT_MALFORMED,
    SPEC_KIND_ASSERT_UNLINKABLE,
    SPEC_KIND_ASSERT_UNINSTANTIABLE,
    SPEC_KIND_OTHER,               /* unknown commands, unreadable scripts, crashes */
    SPEC_KIND_COUNT
} spec_kind;

typedef enum spec_outcome {
    SPEC_PASSED = 0,
    SPEC_FAILED,
    SPEC_SKIPPED,
    SPEC_OUTCOME_COUNT
} spec_outcome;

/* Plain data, so the runner can keep it in memory shared with a child process. */
typedef struct spec_counts {
    uint32_t n[SPEC_KIND_COUNT][SPEC_OUTCOME_COUNT];
    uint32_t line;                 /* the command in progress, for crash reports */
    spec_kind kind;
} spec_counts;

typedef struct spec_options {
    uint32_t max_failures;         /* failure lines printed per script */
    bool verbose;                  /* print each command before running it */
    bool strict_messages;          /* also require the spec's text in trap and error messages */
} spec_options;

const char *spec_kind_name(spec_kind kind);

/* The "x.wast" name a script reports under. Writes into buf and returns it. */
const char *spec_script_label(const char *json_path, char *buf, size_t size);

/*
 * Runs the script at json_path, adding to `counts` and printing one
 * "file:line: kind: reason" line per failure (up to opt->max_failures).
 * A script that cannot be read counts as one failure.
 */
void spec_script_run(const char *json_path, const spec_options *opt, spec_counts *counts);

#endif
