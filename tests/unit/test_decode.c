/*
 * test_decode.c - the byte reader's LEB128 edge cases, hand-made binaries
 * for the decoder's tricky cases, and a walk over the spec test suite's
 * binary modules (every valid one decodes, every malformed one is rejected).
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
#include "wasm/reader.h"
#include "wasm/validate.h"

/* ---- reader ---- */

static wasm_reader reader_over(const uint8_t *b, size_t n, wasm_error *err)
{
    wasm_reader r;
    wasm_reader_init(&r, b, b, b + n, err);
    return r;
}

static void test_u32(void **state)
{
    (void)state;
    wasm_error err;
    {
        const uint8_t b[] = {0xE5, 0x8E, 0x26};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_int_equal(wasm_read_u32(&r), 624485);
        assert_false(r.failed);
        assert_true(wasm_reader_at_end(&r));
    }
    {   /* max u32 in 5 bytes */
        const uint8_t b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_int_equal(wasm_read_u32(&r), 0xFFFFFFFFu);
        assert_false(r.failed);
    }
    {   /* non-minimal but within 5 bytes is fine */
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x00};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_int_equal(wasm_read_u32(&r), 0);
        assert_false(r.failed);
    }
    {   /* unused bits set */
        const uint8_t b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
        wasm_reader r = reader_over(b, sizeof b, &err);
        wasm_read_u32(&r);
        assert_true(r.failed);
        assert_string_equal(err.message, "integer too large");
        assert_int_equal(err.offset, 4);
    }
    {   /* six bytes */
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
        wasm_reader r = reader_over(b, sizeof b, &err);
        wasm_read_u32(&r);
        assert_true(r.failed);
        assert_string_equal(err.message, "integer representation too long");
    }
    {   /* truncated */
        const uint8_t b[] = {0x80, 0x80};
        wasm_reader r = reader_over(b, sizeof b, &err);
        wasm_read_u32(&r);
        assert_true(r.failed);
        assert_string_equal(err.message, "unexpected end");
        /* a failed reader keeps failing and keeps the first message */
        assert_int_equal(wasm_read_u8(&r), 0);
        assert_string_equal(err.message, "unexpected end");
    }
}

static void test_s32_s33_s64(void **state)
{
    (void)state;
    wasm_error err;
    {
        const uint8_t b[] = {0x7F};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_int_equal(wasm_read_s32(&r), -1);
    }
    {   /* INT32_MIN */
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x78};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_int_equal(wasm_read_s32(&r), INT32_MIN);
        assert_false(r.failed);
    }
    {   /* INT32_MAX */
        const uint8_t b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x07};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_int_equal(wasm_read_s32(&r), INT32_MAX);
        assert_false(r.failed);
    }
    {   /* -1 padded to 5 bytes */
        const uint8_t b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_int_equal(wasm_read_s32(&r), -1);
        assert_false(r.failed);
    }
    {   /* unused bits not a sign extension */
        const uint8_t b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x4F};
        wasm_reader r = reader_over(b, sizeof b, &err);
        wasm_read_s32(&r);
        assert_true(r.failed);
        assert_string_equal(err.message, "integer too large");
    }
    {
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x70};
        wasm_reader r = reader_over(b, sizeof b, &err);
        wasm_read_s32(&r);
        assert_true(r.failed);
    }
    {   /* s33: block type index 2^32 - 1 is representable */
        const uint8_t b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_int_equal(wasm_read_s33(&r), 0xFFFFFFFFll);
        assert_false(r.failed);
    }
    {   /* s33: -2^32 */
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x70};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_int_equal(wasm_read_s33(&r), -(1ll << 32));
        assert_false(r.failed);
    }
    {   /* s33 too large */
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x20};
        wasm_reader r = reader_over(b, sizeof b, &err);
        wasm_read_s33(&r);
        assert_true(r.failed);
        assert_string_equal(err.message, "integer too large");
    }
    {   /* INT64_MIN */
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_true(wasm_read_s64(&r) == INT64_MIN);
        assert_false(r.failed);
    }
    {   /* INT64_MAX */
        const uint8_t b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
        wasm_reader r = reader_over(b, sizeof b, &err);
        assert_true(wasm_read_s64(&r) == INT64_MAX);
        assert_false(r.failed);
    }
    {   /* s64 last byte neither 0x00 nor 0x7F */
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
        wasm_reader r = reader_over(b, sizeof b, &err);
        wasm_read_s64(&r);
        assert_true(r.failed);
        assert_string_equal(err.message, "integer too large");
    }
    {   /* s64 eleven bytes */
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
        wasm_reader r = reader_over(b, sizeof b, &err);
        wasm_read_s64(&r);
        assert_true(r.failed);
        assert_string_equal(err.message, "integer representation too long");
    }
}

static void test_fixed_and_bytes(void **state)
{
    (void)state;
    wasm_error err;
    const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C};
    wasm_reader r = reader_over(b, sizeof b, &err);
    assert_int_equal(wasm_read_fixed32(&r), 0x04030201u);
    assert_true(wasm_read_fixed64(&r) == 0x0C0B0A0908070605ull);
    assert_true(wasm_reader_at_end(&r));
    assert_null(wasm_read_bytes(&r, 1));
    assert_true(r.failed);
    r = reader_over(b, sizeof b, &err);
    assert_ptr_equal(wasm_read_bytes(&r, 12), b);
    assert_false(r.failed);
}

/* ---- hand-made modules ---- */

/* A module under construction: the header, then sections appended one by one. */
typedef struct mod_builder {
    uint8_t b[4096];
    size_t n;
} mod_builder;

static void mb_init(mod_builder *mb)
{
    static const uint8_t header[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    memcpy(mb->b, header, 8);
    mb->n = 8;
}

static void mb_bytes(mod_builder *mb, const uint8_t *p, size_t n)
{
    assert_true(mb->n + n <= sizeof mb->b);
    memcpy(mb->b + mb->n, p, n);
    mb->n += n;
}

static void mb_u32(mod_builder *mb, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        if (v)
            byte |= 0x80;
        mb_bytes(mb, &byte, 1);
    } while (v);
}

static void mb_section(mod_builder *mb, uint8_t id, const uint8_t *content, size_t n)
{
    mb_bytes(mb, &id, 1);
    mb_u32(mb, (uint32_t)n);
    mb_bytes(mb, content, n);
}

#define SECTION(mb, id, ...)                                                   \
    do {                                                                       \
        const uint8_t content_[] = {__VA_ARGS__};                              \
        mb_section((mb), (id), content_, sizeof content_);                     \
    } while (0)

/* The type section every function-bearing module below uses: type 0 is [] -> []. */
static void mb_void_type(mod_builder *mb) { SECTION(mb, 1, 0x01, 0x60, 0x00, 0x00); }

static wasm_module *decode_ok(const mod_builder *mb)
{
    wasm_error err;
    wasm_module *m = wasm_decode(mb->b, mb->n, &err);
    if (!m)
        fail_msg("unexpected rejection at %zu: %s", err.offset, err.message);
    return m;
}

/* Expects a rejection whose message starts with `prefix`. */
static void decode_fails(const mod_builder *mb, const char *prefix)
{
    wasm_error err;
    wasm_module *m = wasm_decode(mb->b, mb->n, &err);
    if (m) {
        wasm_module_free(m);
        fail_msg("accepted, expected \"%s\"", prefix);
    }
    if (strncmp(err.message, prefix, strlen(prefix)) != 0)
        fail_msg("got \"%s\" at %zu, expected \"%s\"", err.message, err.offset, prefix);
    assert_true(err.offset <= mb->n);
}

static void test_header(void **state)
{
    (void)state;
    mod_builder mb;
    mb_init(&mb);
    wasm_module *m = decode_ok(&mb);
    assert_int_equal(m->nfuncs, 0);
    assert_int_equal(m->ntypes, 0);
    assert_false(m->has_start);
    assert_ptr_not_equal(m->bytes, mb.b);     /* a private copy */
    assert_int_equal(m->nbytes, 8);
    wasm_module_free(m);

    mb.n = 0;
    decode_fails(&mb, "unexpected end");
    mb_init(&mb);
    mb.n = 6;
    decode_fails(&mb, "unexpected end");
    mb_init(&mb);
    mb.b[0] = 'x';
    mb.n = 2;
    decode_fails(&mb, "unexpected end");
    mb_init(&mb);
    mb.b[0] = 'x';
    decode_fails(&mb, "magic header not detected");
    mb_init(&mb);
    mb.b[4] = 2;
    decode_fails(&mb, "unknown binary version");
    wasm_module_free(NULL);
}

static void test_section_framing(void **state)
{
    (void)state;
    mod_builder mb;

    mb_init(&mb);   /* unknown id */
    SECTION(&mb, 13, 0x00);
    decode_fails(&mb, "malformed section id");

    mb_init(&mb);   /* out of order */
    SECTION(&mb, 3, 0x00);
    mb_void_type(&mb);
    decode_fails(&mb, "unexpected content after last section");

    mb_init(&mb);   /* repeated */
    mb_void_type(&mb);
    mb_void_type(&mb);
    decode_fails(&mb, "unexpected content after last section");

    mb_init(&mb);   /* datacount belongs before code */
    mb_void_type(&mb);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 10, 0x01, 0x02, 0x00, 0x0B);
    SECTION(&mb, 12, 0x00);
    decode_fails(&mb, "unexpected content after last section");

    mb_init(&mb);   /* section longer than its contents */
    SECTION(&mb, 1, 0x01, 0x60, 0x00, 0x00, 0x00);
    decode_fails(&mb, "section size mismatch");

    mb_init(&mb);   /* section shorter than its contents */
    SECTION(&mb, 1, 0x01, 0x60, 0x00);
    decode_fails(&mb, "unexpected end");

    mb_init(&mb);   /* section size beyond the input */
    mb_bytes(&mb, (const uint8_t[]){0x01, 0x10, 0x00}, 3);
    decode_fails(&mb, "length out of bounds");

    mb_init(&mb);   /* custom sections anywhere, even between ordered ones, repeated */
    SECTION(&mb, 0, 0x01, 'a', 0xFF);
    mb_void_type(&mb);
    SECTION(&mb, 0, 0x01, 'b');
    SECTION(&mb, 3, 0x00);
    SECTION(&mb, 0, 0x00);
    wasm_module_free(decode_ok(&mb));

    mb_init(&mb);   /* custom section name not UTF-8 */
    SECTION(&mb, 0, 0x02, 0xC0, 0x80);
    decode_fails(&mb, "malformed UTF-8 encoding");

    mb_init(&mb);   /* custom section name longer than the section */
    SECTION(&mb, 0, 0x05, 'a');
    decode_fails(&mb, "unexpected end");

    mb_init(&mb);   /* a huge count with no bytes behind it must not allocate */
    SECTION(&mb, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F);
    decode_fails(&mb, "unexpected end");

    mb_init(&mb);   /* a bad LEB128 in a section header */
    mb_bytes(&mb, (const uint8_t[]){0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 7);
    decode_fails(&mb, "integer representation too long");
}

static void test_types_imports_exports(void **state)
{
    (void)state;
    mod_builder mb;

    mb_init(&mb);
    SECTION(&mb, 1, 0x02, 0x60, 0x02, 0x7F, 0x7B, 0x01, 0x6F, 0x60, 0x00, 0x02, 0x7C, 0x70);
    SECTION(&mb, 2, 0x04,
            0x01, 'm', 0x01, 'f', 0x00, 0x01,                    /* func of type 1 */
            0x01, 'm', 0x01, 't', 0x01, 0x70, 0x01, 0x01, 0x05,  /* table funcref 1..5 */
            0x01, 'm', 0x02, 0xC3, 0xA9, 0x02, 0x00, 0x02,       /* memory "é" 2.. */
            0x00, 0x00, 0x03, 0x7E, 0x01);                       /* global mut i64, empty names */
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 6, 0x01, 0x7F, 0x00, 0x41, 0x2A, 0x0B);
    SECTION(&mb, 7, 0x02, 0x03, 'r', 'u', 'n', 0x00, 0x01, 0x01, 'g', 0x03, 0x01);
    SECTION(&mb, 8, 0x01);
    SECTION(&mb, 10, 0x01, 0x02, 0x00, 0x0B);
    wasm_module *m = decode_ok(&mb);
    assert_int_equal(m->ntypes, 2);
    assert_int_equal(m->types[0].nparams, 2);
    assert_int_equal(m->types[0].nresults, 1);
    assert_int_equal(wasm_functype_params(&m->types[0])[1], WASM_V128);
    assert_int_equal(wasm_functype_results(&m->types[0])[0], WASM_EXTERNREF);
    assert_int_equal(m->nimports, 4);
    assert_int_equal(m->nfuncs, 2);
    assert_int_equal(m->nfunc_imports, 1);
    assert_true(m->funcs[0].imported);
    assert_int_equal(m->funcs[0].typeidx, 1);
    assert_false(m->funcs[1].imported);
    assert_int_equal(m->ntables, 1);
    assert_int_equal(m->tables[0].type.limits.max, 5);
    assert_true(m->tables[0].type.limits.has_max);
    assert_int_equal(m->tables[0].import_index, 1);
    assert_int_equal(m->nmemories, 1);
    assert_int_equal(m->memories[0].type.limits.min, 2);
    assert_false(m->memories[0].type.limits.has_max);
    assert_int_equal(m->imports[2].field.len, 2);
    assert_int_equal(m->nglobals, 2);
    assert_true(m->globals[0].imported && m->globals[0].type.mutable_);
    assert_int_equal(m->globals[1].init.op, WASM_CONST_I32);
    assert_int_equal(m->globals[1].init.value.i32, 42);
    assert_true(m->has_start);
    assert_int_equal(m->start, 1);
    const wasm_export *e = wasm_module_find_export(m, "g", 1);
    assert_non_null(e);
    assert_int_equal(e->kind, WASM_EXTERN_GLOBAL);
    assert_int_equal(e->index, 1);
    assert_non_null(wasm_module_find_export(m, "run", 3));
    assert_null(wasm_module_find_export(m, "ru", 2));
    wasm_module_free(m);

    mb_init(&mb);
    SECTION(&mb, 1, 0x01, 0x60, 0x01, 0x40, 0x00);
    decode_fails(&mb, "malformed value type");
    mb_init(&mb);
    SECTION(&mb, 1, 0x01, 0x5F, 0x00, 0x00);
    decode_fails(&mb, "malformed function type");
    mb_init(&mb);
    SECTION(&mb, 2, 0x01, 0x00, 0x00, 0x04, 0x00);
    decode_fails(&mb, "malformed import kind");
    mb_init(&mb);
    SECTION(&mb, 2, 0x01, 0x00, 0x00, 0x03, 0x7F, 0x02);
    decode_fails(&mb, "malformed mutability");
    mb_init(&mb);
    SECTION(&mb, 2, 0x01, 0x00, 0x00, 0x01, 0x7F, 0x00, 0x00);
    decode_fails(&mb, "malformed reference type");
    mb_init(&mb);   /* shared-memory limits flags are not 2.0 */
    SECTION(&mb, 5, 0x01, 0x03, 0x01, 0x01);
    decode_fails(&mb, "integer too large");
    mb_init(&mb);
    SECTION(&mb, 7, 0x01, 0x00, 0x04, 0x00);
    decode_fails(&mb, "malformed export kind");

    /* UTF-8: overlong, surrogate, above U+10FFFF, truncated, stray continuation */
    static const uint8_t bad_utf8[][4] = {
        {0xC0, 0x80}, {0xE0, 0x80, 0x80}, {0xED, 0xA0, 0x80}, {0xF4, 0x90, 0x80, 0x80},
        {0xE2, 0x82}, {0x80}, {0xF8, 0x88, 0x80, 0x80},
    };
    static const uint8_t bad_len[] = {2, 3, 3, 4, 2, 1, 4};
    for (size_t i = 0; i < sizeof bad_len; i++) {
        uint8_t content[16] = {0x01, bad_len[i]};
        memcpy(content + 2, bad_utf8[i], bad_len[i]);
        size_t n = 2 + bad_len[i];
        content[n++] = 0x00;    /* empty field name */
        content[n++] = 0x02;    /* memory */
        content[n++] = 0x00;
        content[n++] = 0x00;
        mb_init(&mb);
        mb_section(&mb, 2, content, n);
        decode_fails(&mb, "malformed UTF-8 encoding");
    }
    /* the largest code point is fine */
    mb_init(&mb);
    SECTION(&mb, 7, 0x01, 0x04, 0xF4, 0x8F, 0xBF, 0xBF, 0x00, 0x00);
    m = decode_ok(&mb);
    assert_int_equal(m->exports[0].name.len, 4);
    wasm_module_free(m);
}

static void test_code_and_locals(void **state)
{
    (void)state;
    mod_builder mb;

    mb_init(&mb);
    SECTION(&mb, 1, 0x01, 0x60, 0x01, 0x7F, 0x00);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 10, 0x01, 0x08, 0x02, 0x02, 0x7F, 0x01, 0x7C, 0x01, 0x01, 0x0B);
    wasm_module *m = decode_ok(&mb);
    const wasm_func *f = &m->funcs[0];
    assert_int_equal(f->nlocals, 3);
    assert_int_equal(f->locals[0], WASM_I32);
    assert_int_equal(f->locals[1], WASM_I32);
    assert_int_equal(f->locals[2], WASM_F64);
    assert_int_equal(f->body_len, 3);
    assert_memory_equal(f->body, ((const uint8_t[]){0x01, 0x01, 0x0B}), 3);
    assert_int_equal(f->body_offset, mb.n - 3);
    assert_ptr_equal(f->body, m->bytes + f->body_offset);
    wasm_module_free(m);

    mb_init(&mb);   /* function without a code section */
    mb_void_type(&mb);
    SECTION(&mb, 3, 0x01, 0x00);
    decode_fails(&mb, "function and code section have inconsistent lengths");

    mb_init(&mb);   /* code without functions */
    mb_void_type(&mb);
    SECTION(&mb, 10, 0x01, 0x02, 0x00, 0x0B);
    decode_fails(&mb, "function and code section have inconsistent lengths");

    mb_init(&mb);   /* counts that overflow 32 bits when summed */
    mb_void_type(&mb);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 10, 0x01, 0x0E, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7E,
            0x0B);
    decode_fails(&mb, "too many locals");

    mb_init(&mb);   /* just over the limit, params included */
    SECTION(&mb, 1, 0x01, 0x60, 0x01, 0x7F, 0x00);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 10, 0x01, 0x06, 0x01, 0xD0, 0x86, 0x03, 0x7F, 0x0B);  /* 50000 locals + 1 param */
    decode_fails(&mb, "too many locals");

    mb_init(&mb);   /* exactly at the limit */
    mb_void_type(&mb);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 10, 0x01, 0x06, 0x01, 0xD0, 0x86, 0x03, 0x7F, 0x0B);
    m = decode_ok(&mb);
    assert_int_equal(m->funcs[0].nlocals, 50000);
    wasm_module_free(m);

    mb_init(&mb);   /* body must end with `end` */
    mb_void_type(&mb);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 10, 0x01, 0x02, 0x00, 0x01);
    decode_fails(&mb, "END opcode expected");

    mb_init(&mb);   /* body size past the section */
    mb_void_type(&mb);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 10, 0x01, 0x05, 0x00, 0x0B);
    decode_fails(&mb, "unexpected end");

    mb_init(&mb);   /* locals running past the body */
    mb_void_type(&mb);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 10, 0x01, 0x02, 0x01, 0x01, 0x7F, 0x0B);
    decode_fails(&mb, "unexpected end");

    mb_init(&mb);   /* bytes left over after the last body */
    mb_void_type(&mb);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 10, 0x01, 0x02, 0x00, 0x0B, 0x0B);
    decode_fails(&mb, "section size mismatch");
}

static void test_constexprs(void **state)
{
    (void)state;
    mod_builder mb;

    mb_init(&mb);
    SECTION(&mb, 6, 0x05,
            0x7E, 0x00, 0x42, 0x7F, 0x0B,                                      /* i64 -1 */
            0x7D, 0x00, 0x43, 0x00, 0x00, 0x80, 0x3F, 0x0B,                    /* f32 1.0 */
            0x70, 0x00, 0xD0, 0x70, 0x0B,                                      /* ref.null func */
            0x7F, 0x00, 0x23, 0x00, 0x0B,                                      /* global.get 0 */
            0x7B, 0x00, 0xFD, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x0B);
    wasm_module *m = decode_ok(&mb);
    assert_int_equal(m->nglobals, 5);
    assert_int_equal(m->globals[0].init.op, WASM_CONST_I64);
    assert_true(m->globals[0].init.value.i64 == UINT64_MAX);
    assert_int_equal(m->globals[1].init.op, WASM_CONST_F32);
    assert_int_equal(m->globals[1].init.value.f32_bits, 0x3F800000u);
    assert_int_equal(m->globals[2].init.op, WASM_CONST_REF_NULL);
    assert_int_equal(m->globals[2].init.value.reftype, WASM_FUNCREF);
    assert_int_equal(m->globals[3].init.op, WASM_CONST_GLOBAL_GET);
    assert_int_equal(m->globals[4].init.op, WASM_CONST_V128);
    assert_int_equal(m->globals[4].init.value.v128[15], 16);
    wasm_module_free(m);

    mb_init(&mb);
    SECTION(&mb, 6, 0x01, 0x7F, 0x00, 0x01, 0x0B);
    decode_fails(&mb, "constant expression required");
    mb_init(&mb);
    /* a non-constant instruction anywhere wins over the count (elem.wast: i32.add of two constants) */
    SECTION(&mb, 6, 0x01, 0x7F, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B);
    decode_fails(&mb, "constant expression required");
    mb_init(&mb);   /* two constants: two values where one is expected */
    SECTION(&mb, 6, 0x01, 0x7F, 0x00, 0x41, 0x01, 0x41, 0x02, 0x0B);
    decode_fails(&mb, "type mismatch");
    mb_init(&mb);
    SECTION(&mb, 6, 0x01, 0x7F, 0x00, 0x41, 0x01, 0x1A, 0x0B);
    decode_fails(&mb, "constant expression required");
    mb_init(&mb);
    SECTION(&mb, 6, 0x01, 0x7F, 0x00, 0x0B);
    decode_fails(&mb, "type mismatch");
    mb_init(&mb);   /* no end */
    SECTION(&mb, 6, 0x01, 0x7F, 0x00, 0x41, 0x01);
    decode_fails(&mb, "unexpected end");
    mb_init(&mb);   /* a SIMD instruction other than v128.const */
    SECTION(&mb, 6, 0x01, 0x7B, 0x00, 0xFD, 0x0F, 0x0B);
    decode_fails(&mb, "constant expression required");
}

static void test_segments(void **state)
{
    (void)state;
    mod_builder mb;

    mb_init(&mb);
    mb_void_type(&mb);
    SECTION(&mb, 3, 0x01, 0x00);
    SECTION(&mb, 4, 0x02, 0x70, 0x00, 0x01, 0x6F, 0x00, 0x01);
    SECTION(&mb, 9, 0x08,
            0x00, 0x41, 0x00, 0x0B, 0x01, 0x00,                     /* 0: active t0, indices */
            0x01, 0x00, 0x02, 0x00, 0x00,                           /* 1: passive, elemkind, indices */
            0x02, 0x00, 0x41, 0x01, 0x0B, 0x00, 0x01, 0x00,         /* 2: active tN, elemkind, indices */
            0x03, 0x00, 0x01, 0x00,                                 /* 3: declarative, indices */
            0x04, 0x41, 0x00, 0x0B, 0x01, 0xD2, 0x00, 0x0B,         /* 4: active t0, exprs */
            0x05, 0x6F, 0x01, 0xD0, 0x6F, 0x0B,                     /* 5: passive, reftype, exprs */
            0x06, 0x01, 0x23, 0x00, 0x0B, 0x6F, 0x00,               /* 6: active tN, reftype, exprs */
            0x07, 0x70, 0x01, 0xD2, 0x00, 0x0B);                    /* 7: declarative, reftype, exprs */
    SECTION(&mb, 12, 0x03);
    SECTION(&mb, 10, 0x01, 0x02, 0x00, 0x0B);
    SECTION(&mb, 11, 0x03,
            0x00, 0x41, 0x08, 0x0B, 0x02, 'h', 'i',                 /* active mem 0 */
            0x01, 0x01, 'x',                                        /* passive */
            0x02, 0x00, 0x41, 0x00, 0x0B, 0x00);                    /* active mem N, empty */
    wasm_module *m = decode_ok(&mb);
    assert_int_equal(m->nelems, 8);
    static const uint8_t modes[8] = {
        WASM_SEGMENT_ACTIVE, WASM_SEGMENT_PASSIVE, WASM_SEGMENT_ACTIVE, WASM_SEGMENT_DECLARATIVE,
        WASM_SEGMENT_ACTIVE, WASM_SEGMENT_PASSIVE, WASM_SEGMENT_ACTIVE, WASM_SEGMENT_DECLARATIVE,
    };
    static const uint8_t types[8] = {
        WASM_FUNCREF, WASM_FUNCREF, WASM_FUNCREF, WASM_FUNCREF,
        WASM_FUNCREF, WASM_EXTERNREF, WASM_EXTERNREF, WASM_FUNCREF,
    };
    static const uint32_t counts[8] = {1, 2, 1, 1, 1, 1, 0, 1};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(m->elems[i].mode, modes[i]);
        assert_int_equal(m->elems[i].elemtype, types[i]);
        assert_int_equal(m->elems[i].count, counts[i]);
    }
    assert_int_equal(m->elems[1].items[1].op, WASM_CONST_REF_FUNC);
    assert_int_equal(m->elems[2].offset.value.i32, 1);
    assert_int_equal(m->elems[4].items[0].op, WASM_CONST_REF_FUNC);
    assert_int_equal(m->elems[5].items[0].op, WASM_CONST_REF_NULL);
    assert_int_equal(m->elems[6].table_index, 1);
    assert_int_equal(m->elems[6].offset.op, WASM_CONST_GLOBAL_GET);
    assert_true(m->has_datacount);
    assert_int_equal(m->datacount, 3);
    assert_int_equal(m->ndatas, 3);
    assert_int_equal(m->datas[0].mode, WASM_SEGMENT_ACTIVE);
    assert_int_equal(m->datas[0].offset.value.i32, 8);
    assert_int_equal(m->datas[0].len, 2);
    assert_memory_equal(m->datas[0].bytes, "hi", 2);
    assert_true(m->datas[0].bytes > m->bytes && m->datas[0].bytes < m->bytes + m->nbytes);
    assert_int_equal(m->datas[1].mode, WASM_SEGMENT_PASSIVE);
    assert_int_equal(m->datas[2].len, 0);
    wasm_module_free(m);

    mb_init(&mb);
    SECTION(&mb, 9, 0x01, 0x08, 0x00);
    decode_fails(&mb, "malformed elements segment kind");
    mb_init(&mb);
    SECTION(&mb, 9, 0x01, 0x01, 0x01, 0x00);
    decode_fails(&mb, "malformed element kind");
    mb_init(&mb);
    SECTION(&mb, 9, 0x01, 0x05, 0x7F, 0x00);
    decode_fails(&mb, "malformed reference type");
    mb_init(&mb);
    SECTION(&mb, 11, 0x01, 0x03, 0x00);
    decode_fails(&mb, "malformed data segment kind");
    mb_init(&mb);
    SECTION(&mb, 11, 0x01, 0x01, 0x05, 'a');
    decode_fails(&mb, "unexpected end");

    mb_init(&mb);   /* datacount disagrees with the data section */
    SECTION(&mb, 12, 0x02);
    SECTION(&mb, 11, 0x01, 0x01, 0x00);
    decode_fails(&mb, "data count and data section have inconsistent lengths");
    mb_init(&mb);   /* datacount without a data section */
    SECTION(&mb, 12, 0x01);
    decode_fails(&mb, "data count and data section have inconsistent lengths");
    mb_init(&mb);   /* datacount 0 without a data section is consistent */
    SECTION(&mb, 12, 0x00);
    m = decode_ok(&mb);
    assert_true(m->has_datacount);
    wasm_module_free(m);
}

static void test_name_section(void **state)
{
    (void)state;
    mod_builder mb;

    mb_init(&mb);
    mb_void_type(&mb);
    SECTION(&mb, 2, 0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x00);
    SECTION(&mb, 3, 0x02, 0x00, 0x00);
    SECTION(&mb, 10, 0x02, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B);
    SECTION(&mb, 0, 0x04, 'n', 'a', 'm', 'e',
            0x00, 0x04, 0x03, 'm', 'o', 'd',                        /* module name */
            0x01, 0x09, 0x02, 0x00, 0x02, 'i', 'm', 0x02, 0x02, 'f', '2',  /* function names 0 and 2 */
            0x02, 0x02, 0x00, 0x00);                                /* local names: ignored */
    wasm_module *m = decode_ok(&mb);
    assert_string_equal(m->module_name, "mod");
    assert_string_equal(m->funcs[0].name, "im");
    assert_null(m->funcs[1].name);
    assert_string_equal(m->funcs[2].name, "f2");
    wasm_module_free(m);

    /* A malformed name section (function index out of range, then bad UTF-8,
     * then a truncated subsection) is ignored, not fatal. */
    static const uint8_t bad_bodies[][12] = {
        {0x01, 0x05, 0x01, 0x07, 0x02, 'x', 'y'},
        {0x01, 0x04, 0x01, 0x00, 0x01, 0xFF},
        {0x00, 0x09, 0x03, 'm'},
    };
    static const size_t bad_lens[] = {7, 6, 4};
    for (size_t i = 0; i < 3; i++) {
        uint8_t content[32] = {0x04, 'n', 'a', 'm', 'e', 0x00, 0x02, 0x01, 'M'};
        memcpy(content + 9, bad_bodies[i], bad_lens[i]);
        mb_init(&mb);
        mb_void_type(&mb);
        SECTION(&mb, 3, 0x01, 0x00);
        SECTION(&mb, 10, 0x01, 0x02, 0x00, 0x0B);
        mb_section(&mb, 0, content, 9 + bad_lens[i]);
        m = decode_ok(&mb);
        assert_null(m->module_name);
        assert_null(m->funcs[0].name);
        assert_null(m->name_storage);
        wasm_module_free(m);
    }
}

/* ---- the spec test suite ---- */

typedef struct byte_buf {
    uint8_t *data;
    size_t len;
} byte_buf;

static bool read_file(const char *path, byte_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 4096, len = 0;
    uint8_t *data = malloc(cap);
    size_t n;
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(data, cap *= 2);
            if (!bigger) {
                free(data);
                data = NULL;
            }
            data = bigger;
        }
    }
    fclose(f);
    out->data = data;
    out->len = len;
    return data != NULL;
}

/* The value of "key": "value" on one line of wast2json output, copied into out. */
static bool json_field(const char *line, const char *key, char *out, size_t outsize)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(line, pat);
    if (!p)
        return false;
    p += strlen(pat);
    size_t i = 0;
    while (*p && *p != '"' && i + 1 < outsize) {
        if (*p == '\\' && p[1])
            p++;
        out[i++] = *p++;
    }
    out[i] = '\0';
    return true;
}

typedef struct spec_counts {
    unsigned modules, modules_decoded, modules_invalid;
    unsigned malformed, malformed_by_decoder, malformed_same_wording, malformed_by_validator;
    unsigned invalid, invalid_by_decoder;
    unsigned mutants;
    unsigned failures;
} spec_counts;

static uint32_t rng_state = 0x12345678u;

static uint32_t rng_next(void)
{
    /* xorshift32: deterministic, so a mutant that crashes can be reproduced. */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void decode_and_discard(const uint8_t *b, size_t n)
{
    wasm_error err;
    wasm_module *m = wasm_decode(b, n, &err);
    if (m) {
        (void)wasm_validate(m, &err);
        wasm_module_free(m);
    }
}

/* Truncated and bit-flipped copies of a valid module must be handled without crashing or leaking. */
static void run_mutants(const byte_buf *wasm, spec_counts *c)
{
    if (wasm->len == 0)
        return;
    uint8_t *copy = malloc(wasm->len);
    assert_non_null(copy);
    for (int i = 0; i < 8; i++) {
        decode_and_discard(wasm->data, rng_next() % wasm->len);
        memcpy(copy, wasm->data, wasm->len);
        int flips = 1 + (int)(rng_next() % 3);
        for (int k = 0; k < flips; k++)
            copy[rng_next() % wasm->len] ^= (uint8_t)(1u << (rng_next() % 8));
        decode_and_discard(copy, wasm->len);
        c->mutants += 2;
    }
    free(copy);
}

static void check_command(const char *dir, const char *line, spec_counts *c)
{
    char type[64], file[256], text[256], mtype[32];
    if (!json_field(line, "type", type, sizeof type) || !json_field(line, "filename", file, sizeof file))
        return;
    if (json_field(line, "module_type", mtype, sizeof mtype) && strcmp(mtype, "binary") != 0)
        return;
    if (!json_field(line, "text", text, sizeof text))
        text[0] = '\0';
    bool must_decode = strcmp(type, "module") == 0 || strcmp(type, "assert_uninstantiable") == 0 ||
                       strcmp(type, "assert_unlinkable") == 0;
    bool malformed = strcmp(type, "assert_malformed") == 0;
    bool invalid = strcmp(type, "assert_invalid") == 0;
    if (!must_decode && !malformed && !invalid)
        return;

    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    byte_buf wasm;
    if (!read_file(path, &wasm)) {
        printf("  cannot read %s\n", path);
        c->failures++;
        return;
    }
    wasm_error err;
    wasm_module *m = wasm_decode(wasm.data, wasm.len, &err);
    bool valid = m && wasm_validate(m, &err);
    if (must_decode) {
        c->modules++;
        if (m) {
            c->modules_decoded++;
            c->modules_invalid += !valid;
            run_mutants(&wasm, c);
        } else {
            printf("  %s: valid module rejected at offset %zu: %s\n", file, err.offset, err.message);
            c->failures++;
        }
    } else if (malformed) {
        c->malformed++;
        if (!m) {
            c->malformed_by_decoder++;
            if (strncmp(err.message, text, strlen(text)) == 0)
                c->malformed_same_wording++;
            else if (getenv("ISOLA_DECODE_VERBOSE"))
                printf("  %s: \"%s\" where the suite says \"%s\"\n", file, err.message, text);
        } else if (!valid) {
            c->malformed_by_validator++;
        } else {
            printf("  %s: malformed module accepted (expected \"%s\")\n", file, text);
            c->failures++;
        }
    } else {
        c->invalid++;
        c->invalid_by_decoder += !m;
        if (!m && getenv("ISOLA_DECODE_VERBOSE"))
            printf("  %s: invalid, rejected by the decoder: \"%s\" (suite: \"%s\")\n", file, err.message, text);
    }
    wasm_module_free(m);
    free(wasm.data);
}

static void check_wast(const char *tmpdir, const char *wast, const char *base, spec_counts *c)
{
    char cmd[4096], json[1024];
    snprintf(json, sizeof json, "%s/%s.json", tmpdir, base);
    snprintf(cmd, sizeof cmd, "wast2json '%s' -o '%s' 2>/dev/null", wast, json);
    if (system(cmd) != 0) {
        printf("  wast2json failed on %s (skipped)\n", wast);
        return;
    }
    FILE *f = fopen(json, "r");
    assert_non_null(f);
    char line[8192];
    while (fgets(line, sizeof line, f))
        check_command(tmpdir, line, c);
    fclose(f);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_spec_suite(void **state)
{
    (void)state;
    if (system("command -v wast2json >/dev/null 2>&1") != 0) {
        printf("SKIP: wast2json (wabt) not found; spec suite walk skipped\n");
        skip();
    }
    const char *wastdir = ISOLA_SPEC_DIR "/wast";
    DIR *dir = opendir(wastdir);
    if (!dir) {
        printf("SKIP: no spec suite at %s\n", wastdir);
        skip();
    }
    char tmpdir[] = "/tmp/isola_decode_XXXXXX";
    assert_non_null(mkdtemp(tmpdir));

    char *names[512];
    size_t nnames = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && nnames < 512) {
        size_t n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".wast") == 0)
            names[nnames++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, nnames, sizeof *names, compare_strings);

    spec_counts c = {0};
    for (size_t i = 0; i < nnames; i++) {
        char wast[1024], base[256];
        snprintf(wast, sizeof wast, "%s/%s", wastdir, names[i]);
        snprintf(base, sizeof base, "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        check_wast(tmpdir, wast, base, &c);
        free(names[i]);
    }
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("  could not remove %s\n", tmpdir);

    printf("spec suite: %zu .wast files\n", nnames);
    printf("  modules:          %u, decoded %u (of which %u failed validation)\n", c.modules,
           c.modules_decoded, c.modules_invalid);
    printf("  assert_malformed: %u binary, rejected by decoder %u (%u with the suite's wording), by validator %u\n",
           c.malformed, c.malformed_by_decoder, c.malformed_same_wording, c.malformed_by_validator);
    printf("  assert_invalid:   %u binary, %u already rejected by the decoder\n", c.invalid,
           c.invalid_by_decoder);
    printf("  mutants:          %u truncated or bit-flipped modules decoded without crashing\n", c.mutants);
    assert_true(nnames > 0);
    assert_int_equal(c.failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u32),
        cmocka_unit_test(test_s32_s33_s64),
        cmocka_unit_test(test_fixed_and_bytes),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_section_framing),
        cmocka_unit_test(test_types_imports_exports),
        cmocka_unit_test(test_code_and_locals),
        cmocka_unit_test(test_constexprs),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_name_section),
        cmocka_unit_test(test_spec_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
