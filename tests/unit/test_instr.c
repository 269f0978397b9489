/*
 * test_instr.c - wasm_read_instr(): every immediate shape decoded from
 * hand-written bytes, the binary-format rejections with the spec's wording
 * and the offset of the offending byte, the legal one-byte opcode set, and a
 * round trip of every SIMD table entry. Also the decoder's structural pass
 * over bodies (nesting, else placement, trailing bytes, datacount).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "wasm/decode.h"
#include "wasm/instr.h"
#include "wasm/opcodes.h"
#include "wasm/simd_ops.h"

/* ---- helpers ---- */

typedef struct read_result {
    bool ok;
    wasm_instr in;
    size_t consumed;
    wasm_error err;
} read_result;

static read_result read_one(const uint8_t *b, size_t n)
{
    read_result res;
    memset(&res, 0, sizeof res);
    wasm_reader r;
    wasm_reader_init(&r, b, b, b + n, &res.err);
    res.ok = wasm_read_instr(&r, &res.in);
    res.consumed = wasm_reader_offset(&r);
    return res;
}

#define READ(res, ...)                                                                                          \
    do {                                                                                                        \
        static const uint8_t bytes_[] = {__VA_ARGS__};                                                          \
        (res) = read_one(bytes_, sizeof bytes_);                                                                \
    } while (0)

/* Expects the whole input consumed as one instruction. */
static void expect_ok(const read_result *res, size_t len)
{
    if (!res->ok)
        fail_msg("rejected at %zu: %s", res->err.offset, res->err.message);
    assert_int_equal(res->consumed, len);
}

static void expect_fail(const read_result *res, const char *prefix, size_t offset)
{
    assert_false(res->ok);
    if (strncmp(res->err.message, prefix, strlen(prefix)) != 0)
        fail_msg("message \"%s\" does not start with \"%s\"", res->err.message, prefix);
    assert_int_equal(res->err.kind, WASM_ERROR_MALFORMED);
    assert_int_equal(res->err.offset, offset);
}

/* ---- immediates ---- */

static void test_control(void **state)
{
    (void)state;
    read_result res;
    READ(res, WASM_OP_BLOCK, 0x40);
    expect_ok(&res, 2);
    assert_int_equal(res.in.opcode, WASM_OP_BLOCK);
    assert_int_equal(res.in.imm.block.kind, WASM_BLOCKTYPE_KIND_EMPTY);
    assert_true(wasm_instr_opens_block(&res.in));

    READ(res, WASM_OP_LOOP, 0x7E);
    expect_ok(&res, 2);
    assert_int_equal(res.in.imm.block.kind, WASM_BLOCKTYPE_KIND_VALTYPE);
    assert_int_equal(res.in.imm.block.valtype, WASM_I64);

    READ(res, WASM_OP_IF, 0x81, 0x01);   /* type index 129 */
    expect_ok(&res, 3);
    assert_int_equal(res.in.imm.block.kind, WASM_BLOCKTYPE_KIND_TYPEIDX);
    assert_int_equal(res.in.imm.block.typeidx, 129);

    READ(res, WASM_OP_BLOCK, 0x7A);   /* not a value type */
    expect_fail(&res, "malformed value type", 1);
    READ(res, WASM_OP_BLOCK, 0xFF, 0x7F);   /* -1 in two bytes: no block type form */
    expect_fail(&res, "malformed block type", 1);
    READ(res, WASM_OP_BLOCK);
    expect_fail(&res, "unexpected end", 1);

    READ(res, WASM_OP_BR_IF, 0x85, 0x80, 0x80, 0x80, 0x00);   /* non-minimal 5-byte LEB128 is fine */
    expect_ok(&res, 6);
    assert_int_equal(res.in.imm.index, 5);
    READ(res, WASM_OP_BR, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    expect_fail(&res, "integer representation too long", 1);
    READ(res, WASM_OP_BR, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F);
    expect_fail(&res, "integer too large", 5);

    READ(res, WASM_OP_END);
    expect_ok(&res, 1);
    assert_false(wasm_instr_opens_block(&res.in));
}

static void test_br_table(void **state)
{
    (void)state;
    read_result res;
    READ(res, WASM_OP_BR_TABLE, 0x03, 0x00, 0x80, 0x01, 0x02, 0x07, 0x01);
    expect_ok(&res, 7);
    assert_int_equal(res.in.imm.br_table.count, 3);
    assert_int_equal(res.in.imm.br_table.default_label, 7);
    const uint8_t *p = res.in.imm.br_table.targets;
    assert_int_equal(wasm_instr_next_target(&p), 0);
    assert_int_equal(wasm_instr_next_target(&p), 128);
    assert_int_equal(wasm_instr_next_target(&p), 2);

    READ(res, WASM_OP_BR_TABLE, 0x00, 0x02);
    expect_ok(&res, 3);
    assert_int_equal(res.in.imm.br_table.count, 0);
    assert_int_equal(res.in.imm.br_table.default_label, 2);

    /* a count larger than the bytes left is rejected before any target is read */
    READ(res, WASM_OP_BR_TABLE, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00);
    expect_fail(&res, "unexpected end", 6);
    /* one target declared, none given but the default */
    READ(res, WASM_OP_BR_TABLE, 0x01, 0x00);
    expect_fail(&res, "unexpected end", 3);
}

static void test_calls_and_variables(void **state)
{
    (void)state;
    read_result res;
    READ(res, WASM_OP_CALL_INDIRECT, 0x02, 0x01);
    expect_ok(&res, 3);
    assert_int_equal(res.in.imm.call_indirect.typeidx, 2);
    assert_int_equal(res.in.imm.call_indirect.tableidx, 1);

    static const uint8_t indexed[] = {WASM_OP_CALL, WASM_OP_LOCAL_GET, WASM_OP_LOCAL_SET, WASM_OP_LOCAL_TEE,
                                      WASM_OP_GLOBAL_GET, WASM_OP_GLOBAL_SET, WASM_OP_TABLE_GET,
                                      WASM_OP_TABLE_SET, WASM_OP_REF_FUNC};
    for (size_t i = 0; i < sizeof indexed; i++) {
        const uint8_t b[] = {indexed[i], 0xE5, 0x8E, 0x26};
        res = read_one(b, sizeof b);
        expect_ok(&res, 4);
        assert_int_equal(res.in.opcode, indexed[i]);
        assert_int_equal(res.in.imm.index, 624485);
    }

    READ(res, WASM_OP_SELECT_T, 0x01, WASM_F64);
    expect_ok(&res, 3);
    assert_int_equal(res.in.imm.select.count, 1);
    assert_int_equal(res.in.imm.select.types[0], WASM_F64);
    READ(res, WASM_OP_SELECT_T, 0x02, WASM_I32, WASM_I32);   /* arity is the validator's concern */
    expect_ok(&res, 4);
    assert_int_equal(res.in.imm.select.count, 2);
    READ(res, WASM_OP_SELECT_T, 0x01, 0x40);
    expect_fail(&res, "malformed value type", 2);
    READ(res, WASM_OP_SELECT_T, 0x05, WASM_I32);
    expect_fail(&res, "unexpected end", 2);
}

static void test_memory_and_constants(void **state)
{
    (void)state;
    read_result res;
    READ(res, WASM_OP_I64_STORE32, 0x02, 0x80, 0x01);
    expect_ok(&res, 4);
    assert_int_equal(res.in.imm.memarg.align, 2);
    assert_int_equal(res.in.imm.memarg.offset, 128);
    READ(res, WASM_OP_I32_LOAD, 0x09, 0x00);   /* alignment bound is the validator's concern */
    expect_ok(&res, 3);
    assert_int_equal(res.in.imm.memarg.align, 9);
    READ(res, WASM_OP_I32_LOAD, 0x02);
    expect_fail(&res, "unexpected end", 2);

    READ(res, WASM_OP_MEMORY_GROW, 0x00);
    expect_ok(&res, 2);
    READ(res, WASM_OP_MEMORY_SIZE, 0x01);
    expect_fail(&res, "zero byte expected", 1);
    READ(res, WASM_OP_MEMORY_SIZE, 0x80, 0x00);   /* a zero LEB128 in two bytes is still not the zero byte */
    expect_fail(&res, "zero byte expected", 1);

    READ(res, WASM_OP_I32_CONST, 0x7F);
    expect_ok(&res, 2);
    assert_int_equal(res.in.imm.i32, -1);
    READ(res, WASM_OP_I64_CONST, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F);
    expect_ok(&res, 11);
    assert_true(res.in.imm.i64 == INT64_MIN);
    READ(res, WASM_OP_I32_CONST, 0xFF, 0xFF, 0xFF, 0xFF, 0x4F);
    expect_fail(&res, "integer too large", 5);
    READ(res, WASM_OP_F32_CONST, 0x00, 0x00, 0x80, 0x3F);
    expect_ok(&res, 5);
    assert_int_equal(res.in.imm.f32_bits, 0x3F800000u);
    READ(res, WASM_OP_F64_CONST, 1, 2, 3, 4, 5, 6, 7, 8);
    expect_ok(&res, 9);
    assert_true(res.in.imm.f64_bits == 0x0807060504030201ull);
    READ(res, WASM_OP_F64_CONST, 1, 2, 3);
    expect_fail(&res, "unexpected end", 1);

    READ(res, WASM_OP_REF_NULL, WASM_EXTERNREF);
    expect_ok(&res, 2);
    assert_int_equal(res.in.imm.reftype, WASM_EXTERNREF);
    READ(res, WASM_OP_REF_NULL, WASM_I32);
    expect_fail(&res, "malformed reference type", 1);
}

static void test_prefix_fc(void **state)
{
    (void)state;
    for (uint8_t sub = WASM_FC_I32_TRUNC_SAT_F32_S; sub <= WASM_FC_I64_TRUNC_SAT_F64_U; sub++) {
        const uint8_t b[] = {WASM_OP_PREFIX_FC, sub};
        read_result res = read_one(b, sizeof b);
        expect_ok(&res, 2);
        assert_int_equal(res.in.subop, sub);
    }
    read_result res;
    READ(res, WASM_OP_PREFIX_FC, WASM_FC_MEMORY_INIT, 0x03, 0x00);
    expect_ok(&res, 4);
    assert_int_equal(res.in.imm.index, 3);
    READ(res, WASM_OP_PREFIX_FC, WASM_FC_MEMORY_INIT, 0x03, 0x01);
    expect_fail(&res, "zero byte expected", 3);
    READ(res, WASM_OP_PREFIX_FC, WASM_FC_MEMORY_COPY, 0x00, 0x00);
    expect_ok(&res, 4);
    READ(res, WASM_OP_PREFIX_FC, WASM_FC_MEMORY_COPY, 0x00, 0x01);
    expect_fail(&res, "zero byte expected", 3);
    READ(res, WASM_OP_PREFIX_FC, WASM_FC_MEMORY_FILL, 0x00);
    expect_ok(&res, 3);
    READ(res, WASM_OP_PREFIX_FC, WASM_FC_TABLE_INIT, 0x04, 0x01);
    expect_ok(&res, 4);
    assert_int_equal(res.in.imm.table_init.elemidx, 4);
    assert_int_equal(res.in.imm.table_init.tableidx, 1);
    READ(res, WASM_OP_PREFIX_FC, WASM_FC_TABLE_COPY, 0x02, 0x01);
    expect_ok(&res, 4);
    assert_int_equal(res.in.imm.table_copy.dst, 2);
    assert_int_equal(res.in.imm.table_copy.src, 1);
    READ(res, WASM_OP_PREFIX_FC, WASM_FC_TABLE_FILL, 0x06);
    expect_ok(&res, 3);
    assert_int_equal(res.in.imm.index, 6);
    /* the sub-opcode is a u32 LEB128: a padded form is the same instruction */
    READ(res, WASM_OP_PREFIX_FC, 0x90, 0x00, 0x01);   /* table.size 1 */
    expect_ok(&res, 4);
    assert_int_equal(res.in.subop, WASM_FC_TABLE_SIZE);

    READ(res, 0x00, WASM_OP_PREFIX_FC, 18);   /* at offset 1, after an unreachable */
    expect_ok(&res, 1);
    wasm_reader r;
    static const uint8_t two[] = {0x00, WASM_OP_PREFIX_FC, 18};
    wasm_error err;
    wasm_reader_init(&r, two, two + 1, two + sizeof two, &err);
    wasm_instr in;
    assert_false(wasm_read_instr(&r, &in));
    assert_string_equal(err.message, "illegal opcode 0xfc 18");
    assert_int_equal(err.offset, 1);
}

static void test_one_byte_opcodes(void **state)
{
    (void)state;
    /* The opcodes of 2.0 that are not prefixes; every other byte must be illegal. */
    unsigned legal = 0;
    for (unsigned op = 0; op < 256; op++) {
        if (op == WASM_OP_PREFIX_FC || op == WASM_OP_PREFIX_SIMD)
            continue;
        /* Enough zero bytes after it for any immediate (a zero block type is type index 0). */
        uint8_t b[12] = {(uint8_t)op, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        if (op == WASM_OP_REF_NULL)
            b[1] = WASM_FUNCREF;
        if (op == WASM_OP_SELECT_T)
            b[1] = 0x01, b[2] = WASM_I32;
        read_result res = read_one(b, sizeof b);
        bool expect = op <= 0x05 || (op >= 0x0B && op <= 0x11) || op == 0x1A || op == 0x1B || op == 0x1C ||
                      (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0xC4) || (op >= 0xD0 && op <= 0xD2);
        if (res.ok != expect)
            fail_msg("opcode 0x%02x: %s", op, res.ok ? "accepted" : res.err.message);
        if (!res.ok) {
            char msg[32];
            snprintf(msg, sizeof msg, "illegal opcode 0x%02x", op);
            assert_string_equal(res.err.message, msg);
            assert_int_equal(res.err.offset, 0);
        }
        legal += res.ok;
    }
    assert_int_equal(legal, 6 + 7 + 3 + 7 + 157 + 3);
}

/* ---- SIMD ---- */

static size_t put_u32(uint8_t *b, uint32_t v)
{
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        b[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    return n;
}

static void test_simd_table_round_trip(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < WASM_SIMD_NOPS; i++) {
        const wasm_simd_opinfo *op = wasm_simd_op_at(i);
        uint8_t b[40];
        size_t n = 0;
        b[n++] = WASM_OP_PREFIX_SIMD;
        n += put_u32(b + n, op->subop);
        switch (op->imm) {
        case WASM_SIMD_IMM_MEMARG: b[n++] = op->align; b[n++] = 0x10; break;
        case WASM_SIMD_IMM_MEMARG_LANE: b[n++] = op->align; b[n++] = 0x10; b[n++] = 1; break;
        case WASM_SIMD_IMM_LANE: b[n++] = 1; break;
        case WASM_SIMD_IMM_V128:
        case WASM_SIMD_IMM_SHUFFLE:
            for (int k = 0; k < 16; k++)
                b[n++] = (uint8_t)k;
            break;
        default: break;
        }
        read_result res = read_one(b, n);
        expect_ok(&res, n);
        assert_ptr_equal(res.in.simd, op);
        assert_int_equal(res.in.subop, op->subop);
        if (wasm_simd_is_memory_op(op)) {
            assert_int_equal(res.in.imm.memarg.align, op->align);
            assert_int_equal(res.in.imm.memarg.offset, 0x10);
        }
        if (op->imm == WASM_SIMD_IMM_MEMARG_LANE)
            assert_int_equal(res.in.imm.memarg.lane, 1);
        if (op->imm == WASM_SIMD_IMM_LANE)
            assert_int_equal(res.in.imm.lane, 1);
        if (op->imm == WASM_SIMD_IMM_V128 || op->imm == WASM_SIMD_IMM_SHUFFLE)
            assert_int_equal(res.in.imm.bytes16[15], 15);
        /* cut short by one byte: always an unexpected end */
        if (n > 3) {
            res = read_one(b, n - 1);
            assert_false(res.ok);
            assert_non_null(strstr(res.err.message, "unexpected end"));
        }
    }
    read_result res;
    READ(res, WASM_OP_PREFIX_SIMD, 0x9A, 0x01);   /* 0x9A: a gap in the SIMD opcodes */
    expect_fail(&res, "illegal opcode 0xfd 154", 0);
    /* lane indices out of range are a validation rule, not a binary one */
    READ(res, WASM_OP_PREFIX_SIMD, 0x15, 0xFF);
    expect_ok(&res, 3);
    assert_int_equal(res.in.imm.lane, 0xFF);
}

/* ---- the decoder's structural pass over bodies ---- */

/* A module of one [] -> [] function with the given body (no locals), and optionally a data section. */
static bool decode_body(const uint8_t *body, size_t n, bool datacount, bool data, wasm_error *err)
{
    uint8_t b[256];
    size_t k = 0;
    static const uint8_t head[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00,
                                   0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01};
    memcpy(b, head, sizeof head);
    k = sizeof head;
    if (datacount) {
        static const uint8_t dc[] = {0x0C, 0x01, 0x01};
        memcpy(b + k, dc, sizeof dc);
        k += sizeof dc;
    }
    assert_true(n + 3 < 120 && k + n + 10 < sizeof b);
    b[k++] = 0x0A;
    b[k++] = (uint8_t)(n + 3);
    b[k++] = 0x01;
    b[k++] = (uint8_t)(n + 1);
    b[k++] = 0x00;
    memcpy(b + k, body, n);
    k += n;
    if (data) {
        static const uint8_t ds[] = {0x0B, 0x03, 0x01, 0x01, 0x00};   /* one empty passive segment */
        memcpy(b + k, ds, sizeof ds);
        k += sizeof ds;
    }
    memset(err, 0, sizeof *err);
    wasm_module *m = wasm_decode(b, k, err);
    wasm_module_free(m);
    return m != NULL;
}

#define BODY_OK(...)                                                                                            \
    do {                                                                                                        \
        static const uint8_t body_[] = {__VA_ARGS__};                                                           \
        wasm_error e_;                                                                                          \
        if (!decode_body(body_, sizeof body_, false, false, &e_))                                               \
            fail_msg("rejected: %s", e_.message);                                                               \
    } while (0)

#define BODY_FAILS(prefix, ...)                                                                                 \
    do {                                                                                                        \
        static const uint8_t body_[] = {__VA_ARGS__};                                                           \
        wasm_error e_;                                                                                          \
        assert_false(decode_body(body_, sizeof body_, false, false, &e_));                                      \
        if (strncmp(e_.message, (prefix), strlen(prefix)) != 0)                                                 \
            fail_msg("message \"%s\" does not start with \"%s\"", e_.message, (prefix));                        \
        assert_int_equal(e_.kind, WASM_ERROR_MALFORMED);                                                        \
    } while (0)

static void test_body_structure(void **state)
{
    (void)state;
    BODY_OK(0x0B);
    BODY_OK(0x02, 0x40, 0x03, 0x40, 0x0B, 0x0B, 0x0B);
    BODY_OK(0x41, 0x00, 0x04, 0x40, 0x05, 0x0B, 0x0B);
    /* types are not checked here: a block type naming type 11 is fine structurally */
    BODY_OK(0x02, 0x0B, 0x0B, 0x0B);
    /* binary.wast: br_table with one target declared and two given leaves a block open */
    BODY_FAILS("unexpected end", 0x02, 0x40, 0x41, 0x01, 0x04, 0x40, 0x41, 0x01, 0x0E, 0x01, 0x00, 0x01, 0x02,
               0x0B, 0x0B, 0x0B);
    BODY_FAILS("unexpected end", 0x02, 0x40, 0x0B);
    BODY_FAILS("section size mismatch", 0x0B, 0x01, 0x0B);
    BODY_FAILS("END opcode expected", 0x05, 0x0B);                       /* else in the function itself */
    BODY_FAILS("END opcode expected", 0x02, 0x40, 0x05, 0x0B, 0x0B);     /* else in a block */
    BODY_FAILS("END opcode expected", 0x41, 0x00, 0x04, 0x40, 0x05, 0x05, 0x0B, 0x0B);   /* two elses */
    BODY_FAILS("illegal opcode 0xff", 0xFF, 0x0B);
    BODY_FAILS("zero byte expected", 0x3F, 0x01, 0x1A, 0x0B);
    BODY_FAILS("END opcode expected", 0x01);   /* last byte is not even an end */
}

static void test_datacount_rule(void **state)
{
    (void)state;
    static const uint8_t drop[] = {0xFC, 0x09, 0x00, 0x0B};
    wasm_error err;
    assert_false(decode_body(drop, sizeof drop, false, true, &err));
    assert_string_equal(err.message, "data count section required");
    assert_int_equal(err.kind, WASM_ERROR_MALFORMED);
    assert_true(decode_body(drop, sizeof drop, true, true, &err));
    /* no data segments at all: the index is merely unknown, which validation reports */
    assert_true(decode_body(drop, sizeof drop, false, false, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control),
        cmocka_unit_test(test_br_table),
        cmocka_unit_test(test_calls_and_variables),
        cmocka_unit_test(test_memory_and_constants),
        cmocka_unit_test(test_prefix_fc),
        cmocka_unit_test(test_one_byte_opcodes),
        cmocka_unit_test(test_simd_table_round_trip),
        cmocka_unit_test(test_body_structure),
        cmocka_unit_test(test_datacount_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
