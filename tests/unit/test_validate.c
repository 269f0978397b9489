/*
 * test_validate.c - acceptance tests of the validator (wasm_validate).
 *
 *  - spec_suite: converts every .wast of the spec suite with wast2json into a
 *    temp dir, then requires every assert_invalid module to be rejected by
 *    decode+validate and every other module (module, assert_unlinkable,
 *    assert_uninstantiable) to be accepted. Prints per-file counts and
 *    lists failures. Binary assert_malformed modules are run too, only to
 *    check that nothing crashes; their rejection count is printed.
 *  - hand-built modules checking messages and byte offsets of single rules.
 *  - garbage: mutated spec modules (random bytes, and bytes inside function
 *    bodies, where only the validator looks) must be handled without crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasm/decode.h"
#include "wasm/validate.h"

#ifndef ISOLA_SPEC_DIR
#error "ISOLA_SPEC_DIR must name the spec suite directory"
#endif

/* ---- helpers ---- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Decode + validate; returns true when accepted, otherwise fills err. */
static bool load(const uint8_t *bytes, size_t len, wasm_error *err)
{
    memset(err, 0, sizeof *err);
    wasm_module *m = wasm_decode(bytes, len, err);
    if (!m)
        return false;
    bool ok = wasm_validate(m, err);
    wasm_module_free(m);
    return ok;
}

/* Copies the JSON string value following `key` in `line` into out; false if absent. */
static bool json_field(const char *line, const char *key, char *out, size_t outsz)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(line, pat);
    if (!p)
        return false;
    p += strlen(pat);
    size_t i = 0;
    while (*p && *p != '"' && i + 1 < outsz)
        out[i++] = *p++;
    out[i] = 0;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The sorted list of .wast base names in the spec dir. */
static char **list_wast(size_t *count)
{
    DIR *d = opendir(ISOLA_SPEC_DIR "/wast");
    assert_non_null(d);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, ".wast"))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            names = realloc(names, cap * sizeof *names);
            assert_non_null(names);
        }
        names[n] = strdup(e->d_name);
        names[n][strlen(names[n]) - 5] = 0;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    *count = n;
    return names;
}

/* ---- the spec suite ---- */

typedef struct file_counts {
    unsigned valid_ok, valid_total;
    unsigned invalid_ok, invalid_total;
    unsigned malformed_rejected, malformed_total;
    unsigned other_reason;   /* invalid modules rejected with a message other than the spec's */
} file_counts;

static unsigned total_failures;

static void run_command(const char *dir, const char *wast, const char *line, file_counts *fc)
{
    char type[64], filename[256], mtype[32];
    if (!json_field(line, "type", type, sizeof type) || !json_field(line, "filename", filename, sizeof filename))
        return;
    if (!ends_with(filename, ".wasm"))
        return;   /* text modules only occur in assert_malformed (quote) */
    bool expect_valid;
    bool malformed = false;
    if (strcmp(type, "module") == 0 || strcmp(type, "assert_unlinkable") == 0 ||
        strcmp(type, "assert_uninstantiable") == 0)
        expect_valid = true;
    else if (strcmp(type, "assert_invalid") == 0)
        expect_valid = false;
    else if (strcmp(type, "assert_malformed") == 0)
        malformed = true, expect_valid = false;
    else
        return;
    if (json_field(line, "module_type", mtype, sizeof mtype) && strcmp(mtype, "binary") != 0)
        return;

    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, filename);
    size_t len;
    uint8_t *bytes = read_file(path, &len);
    if (!bytes) {
        printf("  FAIL %s: cannot read %s\n", wast, filename);
        total_failures++;
        return;
    }
    wasm_error err;
    bool accepted = load(bytes, len, &err);
    free(bytes);

    char text[128] = "";
    json_field(line, "text", text, sizeof text);
    if (malformed) {
        fc->malformed_total++;
        fc->malformed_rejected += !accepted;
        return;
    }
    if (expect_valid) {
        fc->valid_total++;
        fc->valid_ok += accepted;
        if (!accepted) {
            printf("  FAIL %s %s: valid module rejected: @%zu %s\n", wast, filename, err.offset, err.message);
            total_failures++;
        }
    } else {
        fc->invalid_total++;
        fc->invalid_ok += !accepted;
        if (!accepted && strncmp(err.message, text, strlen(text)) != 0) {
            fc->other_reason++;
            if (getenv("ISOLA_VALIDATE_VERBOSE"))
                printf("  note %s %s: expected \"%s\", rejected with \"%s\"\n", wast, filename, text, err.message);
        }
        if (accepted) {
            printf("  FAIL %s %s: invalid module accepted (expected \"%s\")\n", wast, filename, text);
            total_failures++;
        }
    }
}

static void run_wast(const char *tmp, const char *name, file_counts *sum)
{
    char dir[512], cmd[1400], json[600];
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && wast2json '%s/wast/%s.wast' -o '%s/%s.json' 2>/dev/null", dir,
             ISOLA_SPEC_DIR, name, dir, name);
    if (system(cmd) != 0) {
        printf("  FAIL %s: wast2json could not convert it\n", name);
        total_failures++;
        return;
    }
    snprintf(json, sizeof json, "%s/%s.json", dir, name);
    size_t len;
    char *text = (char *)read_file(json, &len);
    assert_non_null(text);
    file_counts fc = {0};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        run_command(dir, name, line, &fc);
    free(text);
    printf("%-36s valid %4u/%-4u invalid %4u/%-4u (other message %u; malformed binaries rejected %u/%u)\n", name,
           fc.valid_ok, fc.valid_total, fc.invalid_ok, fc.invalid_total, fc.other_reason, fc.malformed_rejected,
           fc.malformed_total);
    sum->valid_ok += fc.valid_ok;
    sum->valid_total += fc.valid_total;
    sum->invalid_ok += fc.invalid_ok;
    sum->invalid_total += fc.invalid_total;
    sum->malformed_rejected += fc.malformed_rejected;
    sum->malformed_total += fc.malformed_total;
    sum->other_reason += fc.other_reason;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("  (could not remove %s)\n", dir);
}

static void test_spec_suite(void **state)
{
    (void)state;
    char tmp[] = "/tmp/isola-validate-XXXXXX";
    assert_non_null(mkdtemp(tmp));
    size_t n;
    char **names = list_wast(&n);
    assert_true(n > 0);
    file_counts sum = {0};
    total_failures = 0;
    for (size_t i = 0; i < n; i++) {
        run_wast(tmp, names[i], &sum);
        free(names[i]);
    }
    free(names);
    rmdir(tmp);
    printf("TOTAL %zu files: valid %u/%u invalid %u/%u (other message %u; malformed binaries rejected %u/%u), "
           "%u failure(s)\n",
           n, sum.valid_ok, sum.valid_total, sum.invalid_ok, sum.invalid_total, sum.other_reason,
           sum.malformed_rejected, sum.malformed_total, total_failures);
    assert_int_equal(total_failures, 0);
}

/* ---- hand-built modules ---- */

/*
 * A module with one function type ([params] -> [results]), one function of
 * that type, optionally one memory, and `body` as its code (locals
 * declaration included by the caller). Returns the byte length; *body_at is
 * the offset of the body's first byte.
 */
typedef struct tiny_module {
    uint8_t bytes[512];
    size_t len;
    size_t body_at;
} tiny_module;

static void put(tiny_module *t, const uint8_t *p, size_t n)
{
    assert_true(t->len + n <= sizeof t->bytes);
    memcpy(t->bytes + t->len, p, n);
    t->len += n;
}

static void build(tiny_module *t, const char *params, const char *results, bool memory, const uint8_t *body,
                  size_t body_len)
{
    static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    size_t np = strlen(params), nr = strlen(results);
    t->len = 0;
    put(t, header, sizeof header);
    /* type section; params/results are strings of type letters: i I f F */
    uint8_t ts[64] = {0x60, (uint8_t)np};
    size_t k = 2;
    const char *letters = "iIfFv";
    const uint8_t codes[] = {0x7F, 0x7E, 0x7D, 0x7C, 0x7B};
    for (size_t i = 0; i < np; i++)
        ts[k++] = codes[strchr(letters, params[i]) - letters];
    ts[k++] = (uint8_t)nr;
    for (size_t i = 0; i < nr; i++)
        ts[k++] = codes[strchr(letters, results[i]) - letters];
    uint8_t sec[3] = {1, (uint8_t)(k + 1), 1};
    put(t, sec, 3);
    put(t, ts, k);
    static const uint8_t funcsec[] = {3, 2, 1, 0};
    put(t, funcsec, sizeof funcsec);
    if (memory) {
        static const uint8_t memsec[] = {5, 3, 1, 0, 1};
        put(t, memsec, sizeof memsec);
    }
    assert_true(body_len + 1 < 120);
    uint8_t code[4] = {10, (uint8_t)(body_len + 3), 1, (uint8_t)(body_len + 1)};
    put(t, code, 4);
    static const uint8_t no_locals[] = {0};
    put(t, no_locals, 1);
    t->body_at = t->len;
    put(t, body, body_len);
}

#define BUILD(t, params, results, mem, ...)                                                                     \
    do {                                                                                                        \
        static const uint8_t body_[] = {__VA_ARGS__};                                                           \
        build((t), (params), (results), (mem), body_, sizeof body_);                                            \
    } while (0)

static void expect_valid(const tiny_module *t)
{
    wasm_error err;
    if (!load(t->bytes, t->len, &err))
        fail_msg("rejected: @%zu %s", err.offset, err.message);
}

static void expect_invalid(const tiny_module *t, const char *message_prefix, size_t body_pos)
{
    wasm_error err;
    assert_false(load(t->bytes, t->len, &err));
    if (strncmp(err.message, message_prefix, strlen(message_prefix)) != 0)
        fail_msg("message \"%s\" does not start with \"%s\"", err.message, message_prefix);
    assert_int_equal(err.offset, t->body_at + body_pos);
}

static void test_simple_valid(void **state)
{
    (void)state;
    tiny_module t;
    BUILD(&t, "", "i", false, 0x41, 0x01, 0x0B);   /* i32.const 1 */
    expect_valid(&t);
    /* unreachable makes the rest of the block stack-polymorphic */
    BUILD(&t, "", "i", false, 0x00, 0x6A, 0x0B);   /* unreachable i32.add */
    expect_valid(&t);
    /* br_table to labels of different types in unreachable code */
    BUILD(&t, "", "", false, 0x02, 0x7F, 0x02, 0x7D, 0x00, 0x0E, 0x01, 0x00, 0x01, 0x0B, 0x1A, 0x00, 0x0B,
          0x1A, 0x0B);
    expect_valid(&t);
    /* block with a type-index block type ([] -> [] is type 0) */
    BUILD(&t, "", "", false, 0x02, 0x00, 0x0B, 0x0B);
    expect_valid(&t);
}

static void test_type_mismatch_offset(void **state)
{
    (void)state;
    tiny_module t;
    /* i32.const 1; i64.const 1; i32.add: the add at body offset 4 is wrong */
    BUILD(&t, "", "i", false, 0x41, 0x01, 0x42, 0x01, 0x6A, 0x0B);
    expect_invalid(&t, "type mismatch", 4);
    /* missing result */
    BUILD(&t, "", "i", false, 0x0B);
    expect_invalid(&t, "type mismatch", 0);
    /* extra value left on the stack */
    BUILD(&t, "", "", false, 0x41, 0x01, 0x0B);
    expect_invalid(&t, "type mismatch", 2);
    /* if without else whose params differ from its results */
    BUILD(&t, "", "i", false, 0x41, 0x01, 0x04, 0x7F, 0x41, 0x01, 0x0B, 0x0B);
    expect_invalid(&t, "type mismatch", 6);
    /* untyped select on references */
    BUILD(&t, "", "", false, 0xD0, 0x70, 0xD0, 0x70, 0x41, 0x01, 0x1B, 0x1A, 0x0B);
    expect_invalid(&t, "type mismatch", 6);
}

static void test_index_rules(void **state)
{
    (void)state;
    tiny_module t;
    BUILD(&t, "i", "i", false, 0x20, 0x01, 0x0B);   /* local.get 1 */
    expect_invalid(&t, "unknown local", 0);
    BUILD(&t, "", "", false, 0x23, 0x00, 0x1A, 0x0B);   /* global.get 0 */
    expect_invalid(&t, "unknown global", 0);
    BUILD(&t, "", "", false, 0x10, 0x05, 0x0B);   /* call 5 */
    expect_invalid(&t, "unknown function", 0);
    BUILD(&t, "", "", false, 0x0C, 0x01, 0x0B);   /* br 1 */
    expect_invalid(&t, "unknown label", 0);
    BUILD(&t, "", "", false, 0x41, 0x00, 0x28, 0x02, 0x00, 0x1A, 0x0B);   /* i32.load without memory */
    expect_invalid(&t, "unknown memory", 2);
    BUILD(&t, "", "", false, 0xD2, 0x00, 0x1A, 0x0B);   /* ref.func 0, not declared */
    expect_invalid(&t, "undeclared function reference", 0);
    BUILD(&t, "", "", false, 0x1C, 0x02, 0x7F, 0x7F, 0x0B);   /* select (result i32 i32) */
    expect_invalid(&t, "invalid result arity", 0);
    BUILD(&t, "", "", false, 0xFC, 0x09, 0x00, 0x0B);   /* data.drop 0: no data segments */
    expect_invalid(&t, "unknown data segment", 0);
}

static void test_memory_rules(void **state)
{
    (void)state;
    tiny_module t;
    BUILD(&t, "", "", true, 0x41, 0x00, 0x28, 0x02, 0x00, 0x1A, 0x0B);   /* i32.load align=4 */
    expect_valid(&t);
    BUILD(&t, "", "", true, 0x41, 0x00, 0x28, 0x03, 0x00, 0x1A, 0x0B);   /* i32.load align=8 */
    expect_invalid(&t, "alignment must not be larger than natural", 2);
    /* i8x16.extract_lane_s 16 on a v128.const */
    BUILD(&t, "", "", false, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD, 0x15, 16, 0x1A,
          0x0B);
    expect_invalid(&t, "invalid lane index", 18);
    BUILD(&t, "", "", false, 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD, 0x15, 15, 0x1A,
          0x0B);
    expect_valid(&t);
}

static void test_body_structure(void **state)
{
    (void)state;
    tiny_module t;
    BUILD(&t, "", "", false, 0x0B, 0x01, 0x0B);   /* end nop end */
    wasm_error err;
    assert_false(load(t.bytes, t.len, &err));
    BUILD(&t, "", "", false, 0x02, 0x40, 0x0B);   /* block without its end */
    assert_false(load(t.bytes, t.len, &err));
    BUILD(&t, "", "", false, 0x05, 0x0B);   /* else outside if */
    assert_false(load(t.bytes, t.len, &err));
    BUILD(&t, "", "", false, 0xFF, 0x0B);   /* illegal opcode */
    expect_invalid(&t, "illegal opcode", 0);
}

/* ---- garbage ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Mutates copies of `bytes` in the region [lo, hi) and loads each; must never crash. */
static void mutate_and_load(const uint8_t *bytes, size_t len, size_t lo, size_t hi, unsigned rounds)
{
    uint8_t *copy = malloc(len + 8);
    assert_non_null(copy);
    for (unsigned i = 0; i < rounds; i++) {
        memcpy(copy, bytes, len);
        size_t n = len;
        unsigned edits = 1 + rng() % 4;
        for (unsigned e = 0; e < edits && hi > lo; e++) {
            size_t at = lo + rng() % (hi - lo);
            switch (rng() % 4) {
            case 0: copy[at] = (uint8_t)rng(); break;
            case 1: copy[at] ^= (uint8_t)(1u << (rng() % 8)); break;
            case 2: copy[at] = (uint8_t)(rng() % 2 ? 0xFF : 0x00); break;
            default: n = at + 1; break;   /* truncate */
            }
        }
        wasm_error err;
        (void)load(copy, n < len ? n : len, &err);
    }
    free(copy);
}

static void fuzz_module(const uint8_t *bytes, size_t len)
{
    wasm_error err;
    wasm_module *m = wasm_decode(bytes, len, &err);
    if (!m)
        return;
    mutate_and_load(bytes, len, 8, len, 20);
    /* Bodies: the decoder passes most body bytes through, so these reach the validator. */
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        const wasm_func *f = &m->funcs[i];
        if (f->body_len > 1)
            mutate_and_load(bytes, len, f->body_offset, f->body_offset + f->body_len - 1, 8);
    }
    wasm_module_free(m);
}

static void test_garbage(void **state)
{
    (void)state;
    /* Pure noise, with and without a valid header. */
    uint8_t buf[256];
    for (unsigned i = 0; i < 2000; i++) {
        size_t n = rng() % sizeof buf;
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)rng();
        if (i % 2 && n >= 8)
            memcpy(buf, "\0asm\1\0\0\0", 8);
        wasm_error err;
        (void)load(buf, n, &err);
    }
    /* Mutations of real modules from a few spec files with varied bodies. */
    static const char *files[] = {"block", "br_table", "call_indirect", "bulk", "ref_func", "simd_lane",
                                  "table_init", "select", "unreached-invalid", "memory_init"};
    char tmp[] = "/tmp/isola-vfuzz-XXXXXX";
    assert_non_null(mkdtemp(tmp));
    for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "wast2json '%s/wast/%s.wast' -o '%s/%s.json' 2>/dev/null", ISOLA_SPEC_DIR,
                 files[fi], tmp, files[fi]);
        assert_int_equal(system(cmd), 0);
        char json[600];
        snprintf(json, sizeof json, "%s/%s.json", tmp, files[fi]);
        size_t jlen;
        char *text = (char *)read_file(json, &jlen);
        assert_non_null(text);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            char filename[256], path[900];
            if (!json_field(line, "filename", filename, sizeof filename) || !ends_with(filename, ".wasm"))
                continue;
            snprintf(path, sizeof path, "%s/%s", tmp, filename);
            size_t len;
            uint8_t *bytes = read_file(path, &len);
            if (bytes)
                fuzz_module(bytes, len);
            free(bytes);
        }
        free(text);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_valid),  cmocka_unit_test(test_type_mismatch_offset),
        cmocka_unit_test(test_index_rules),   cmocka_unit_test(test_memory_rules),
        cmocka_unit_test(test_body_structure), cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_spec_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
