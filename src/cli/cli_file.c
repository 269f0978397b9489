/*
 * cli_file.c - reading module files and reporting errors in the one-line
 * formats the command promises ("FILE: error at offset 0x..: reason").
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Wasm modules are indexed with 32-bit offsets; anything larger is not a module we can load. */
#define CLI_MAX_FILE_SIZE ((size_t)1 << 32)

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("isola: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Grows *buf so it holds at least `need` bytes; false if out of memory or over the cap. */
static bool reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    if (need > CLI_MAX_FILE_SIZE)
        return false;
    size_t new_cap = *cap ? *cap : 4096;
    while (new_cap < need)
        new_cap *= 2;
    uint8_t *grown = realloc(*buf, new_cap);
    if (!grown)
        return false;
    *buf = grown;
    *cap = new_cap;
    return true;
}

/*
 * Reads in chunks rather than trusting a size from fstat, so pipes and
 * /dev/stdin-style paths work and a file that changes while read cannot
 * overrun the buffer.
 */
uint8_t *cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_errorf("%s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t cap = 0, used = 0;
    bool too_large = false;
    errno = 0;
    for (;;) {
        if (!reserve(&buf, &cap, used + 65536)) {
            cli_errorf("%s: file too large or out of memory", path);
            too_large = true;
            break;
        }
        size_t got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (got == 0)
            break;
    }
    bool read_error = ferror(f) != 0;
    if (read_error)
        cli_errorf("%s: %s", path, strerror(errno ? errno : EIO));
    fclose(f);
    if (too_large || read_error) {
        free(buf);
        return NULL;
    }
    *len = used;
    return buf;
}

static const char *error_kind_name(isola_error_kind kind)
{
    switch (kind) {
    case ISOLA_ERR_NONE: return "error";
    case ISOLA_ERR_MALFORMED: return "malformed module";
    case ISOLA_ERR_INVALID: return "invalid module";
    case ISOLA_ERR_LINK: return "link error";
    case ISOLA_ERR_TRAP: return "trap";
    case ISOLA_ERR_RESOURCE: return "resource limit";
    case ISOLA_ERR_ARGUMENT: return "bad argument";
    case ISOLA_ERR_NOT_FOUND: return "not found";
    case ISOLA_ERR_BLOCKED: return "start function blocked";
    }
    return "error";
}

void cli_report_module_error(const char *path, const isola_error *err)
{
    if (err->kind == ISOLA_ERR_MALFORMED || err->kind == ISOLA_ERR_INVALID)
        fprintf(stderr, "%s: error at offset 0x%zx: %s\n", path, err->offset, err->message);
    else
        fprintf(stderr, "%s: %s: %s\n", path, error_kind_name(err->kind), err->message);
}
