/*
 * cli_validate.c - `isola validate FILE`: decode and validate only, report
 * the first problem with its byte offset.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_validate_main(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_print_usage(stdout);
            return CLI_EXIT_OK;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cli_errorf("validate: unknown option '%s' (see isola --help)", argv[i]);
            return CLI_EXIT_ERROR;
        }
        if (path) {
            cli_errorf("validate: expected one FILE, got another argument '%s'", argv[i]);
            return CLI_EXIT_ERROR;
        }
        path = argv[i];
    }
    if (!path) {
        cli_errorf("validate: missing FILE (usage: isola validate FILE.wasm)");
        return CLI_EXIT_ERROR;
    }
    size_t len = 0;
    uint8_t *bytes = cli_read_file(path, &len);
    if (!bytes)
        return CLI_EXIT_ERROR;
    isola_error err;
    memset(&err, 0, sizeof err);
    bool valid = isola_module_validate(bytes, len, &err);
    free(bytes);
    if (!valid) {
        cli_report_module_error(path, &err);
        return CLI_EXIT_ERROR;
    }
    printf("%s: valid\n", path);
    return CLI_EXIT_OK;
}
