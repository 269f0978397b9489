/*
 * test_cli_value.c - argument parsing and result printing of the CLI
 * (src/cli/cli_value.c), without an engine: exact bits in, exact text out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli_value.h"

static isola_value parse_ok(isola_valtype type, const char *text)
{
    isola_value v;
    char why[128] = "";
    if (!cli_value_parse(type, text, &v, why, sizeof why))
        fail_msg("'%s' as %s rejected: %s", text, cli_valtype_name(type), why);
    assert_int_equal(v.type, type);
    return v;
}

static void assert_rejected(isola_valtype type, const char *text, const char *reason)
{
    isola_value v;
    char why[128] = "";
    if (cli_value_parse(type, text, &v, why, sizeof why))
        fail_msg("'%s' as %s accepted", text, cli_valtype_name(type));
    assert_string_equal(why, reason);
}

static void assert_text(isola_value v, const char *want)
{
    char buf[CLI_VALUE_TEXT_MAX];
    cli_value_format(&v, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static isola_value f32_bits(uint32_t bits)
{
    isola_value v = { .type = ISOLA_F32 };
    v.of.f32_bits = bits;
    return v;
}

static isola_value f64_bits(uint64_t bits)
{
    isola_value v = { .type = ISOLA_F64 };
    v.of.f64_bits = bits;
    return v;
}

static void test_i32(void **state)
{
    (void)state;
    assert_int_equal(parse_ok(ISOLA_I32, "0").of.i32, 0);
    assert_int_equal(parse_ok(ISOLA_I32, "+7").of.i32, 7);
    assert_int_equal(parse_ok(ISOLA_I32, "-2147483648").of.i32, INT32_MIN);
    assert_int_equal(parse_ok(ISOLA_I32, "4294967295").of.i32, -1);
    assert_int_equal(parse_ok(ISOLA_I32, "0xFFFFFFFF").of.i32, -1);
    assert_int_equal(parse_ok(ISOLA_I32, "0x7fffffff").of.i32, INT32_MAX);
    assert_int_equal(parse_ok(ISOLA_I32, "-0x80000000").of.i32, INT32_MIN);
    assert_rejected(ISOLA_I32, "4294967296", "out of range for i32");
    assert_rejected(ISOLA_I32, "-2147483649", "out of range for i32");
    assert_rejected(ISOLA_I32, "0x100000000", "out of range for i32");
    assert_rejected(ISOLA_I32, "99999999999999999999999", "out of range for i32");
    assert_rejected(ISOLA_I32, "", "not an integer");
    assert_rejected(ISOLA_I32, "-", "not an integer");
    assert_rejected(ISOLA_I32, "0x", "not an integer");
    assert_rejected(ISOLA_I32, " 1", "not an integer");
    assert_rejected(ISOLA_I32, "1 ", "not an integer");
    assert_rejected(ISOLA_I32, "1.0", "not an integer");
    assert_rejected(ISOLA_I32, "--1", "not an integer");
    assert_text(parse_ok(ISOLA_I32, "3000000000"), "-1294967296");
}

static void test_i64(void **state)
{
    (void)state;
    assert_true(parse_ok(ISOLA_I64, "18446744073709551615").of.i64 == -1);
    assert_true(parse_ok(ISOLA_I64, "-9223372036854775808").of.i64 == INT64_MIN);
    assert_true(parse_ok(ISOLA_I64, "0xffffffffffffffff").of.i64 == -1);
    assert_rejected(ISOLA_I64, "18446744073709551616", "out of range for i64");
    assert_rejected(ISOLA_I64, "-9223372036854775809", "out of range for i64");
    assert_rejected(ISOLA_I64, "0x1ffffffffffffffff", "out of range for i64");
    assert_text(parse_ok(ISOLA_I64, "9223372036854775807"), "9223372036854775807");
    assert_text(parse_ok(ISOLA_I64, "-9223372036854775808"), "-9223372036854775808");
}

static void test_f32_parse(void **state)
{
    (void)state;
    assert_int_equal(parse_ok(ISOLA_F32, "1").of.f32_bits, 0x3F800000);
    assert_int_equal(parse_ok(ISOLA_F32, "-0").of.f32_bits, 0x80000000);
    assert_int_equal(parse_ok(ISOLA_F32, "0x1p-149").of.f32_bits, 0x00000001);
    assert_int_equal(parse_ok(ISOLA_F32, "inf").of.f32_bits, 0x7F800000);
    assert_int_equal(parse_ok(ISOLA_F32, "-inf").of.f32_bits, 0xFF800000);
    assert_int_equal(parse_ok(ISOLA_F32, "nan").of.f32_bits, 0x7FC00000);
    assert_int_equal(parse_ok(ISOLA_F32, "-nan").of.f32_bits, 0xFFC00000);
    assert_int_equal(parse_ok(ISOLA_F32, "nan:0x1").of.f32_bits, 0x7F800001);
    assert_int_equal(parse_ok(ISOLA_F32, "-nan:0x7fffff").of.f32_bits, 0xFFFFFFFF);
    /* Parsed directly as float: no double rounding through double. */
    assert_int_equal(parse_ok(ISOLA_F32, "1.00000005960464477539062500001").of.f32_bits, 0x3F800001);
    assert_rejected(ISOLA_F32, "nan:0x800000", "NaN payload must be in 0x1..0x7fffff for f32");
    assert_rejected(ISOLA_F32, "nan:0x0", "NaN payload must be in 0x1..0x7fffff for f32");
    assert_rejected(ISOLA_F32, "nan(1)", "not a float (NaN payloads are written nan:0x...)");
    assert_rejected(ISOLA_F32, "1e39", "out of range for f32");
    assert_rejected(ISOLA_F32, "", "not a float");
    assert_rejected(ISOLA_F32, " 1", "not a float");
    assert_rejected(ISOLA_F32, "1f", "not a float");
    assert_rejected(ISOLA_F32, "x", "not a float");
}

static void test_f64_parse(void **state)
{
    (void)state;
    assert_true(parse_ok(ISOLA_F64, "0.1").of.f64_bits == 0x3FB999999999999Aull);
    assert_true(parse_ok(ISOLA_F64, "0x1.8p1").of.f64 == 3.0);
    assert_true(parse_ok(ISOLA_F64, "nan").of.f64_bits == 0x7FF8000000000000ull);
    assert_true(parse_ok(ISOLA_F64, "nan:0xfffffffffffff").of.f64_bits == 0x7FFFFFFFFFFFFFFFull);
    assert_true(parse_ok(ISOLA_F64, "1e-400").of.f64_bits == 0);
    assert_rejected(ISOLA_F64, "1e400", "out of range for f64");
    assert_rejected(ISOLA_F64, "nan:0x10000000000000", "NaN payload must be in 0x1..0xfffffffffffff for f64");
}

static void test_float_text(void **state)
{
    (void)state;
    assert_text(f32_bits(0x3DCCCCCD), "0.1");
    assert_text(f32_bits(0x3F800000), "1");
    assert_text(f32_bits(0x80000000), "-0");
    assert_text(f32_bits(0x00000000), "0");
    assert_text(f32_bits(0x00000001), "1e-45");
    assert_text(f32_bits(0x7F7FFFFF), "3.4028235e+38");
    assert_text(f32_bits(0x3F800001), "1.0000001");
    assert_text(f32_bits(0x7F800000), "inf");
    assert_text(f32_bits(0xFF800000), "-inf");
    assert_text(f32_bits(0x7FC00000), "nan");
    assert_text(f32_bits(0xFFC00000), "-nan");
    assert_text(f32_bits(0x7FA00000), "nan:0x200000");
    assert_text(f32_bits(0xFF800001), "-nan:0x1");
    assert_text(f64_bits(0x3FB999999999999Aull), "0.1");
    assert_text(f64_bits(0x3FD3333333333334ull), "0.30000000000000004");
    assert_text(f64_bits(0x8000000000000000ull), "-0");
    assert_text(f64_bits(0x0000000000000001ull), "5e-324");
    assert_text(f64_bits(0x7FEFFFFFFFFFFFFFull), "1.7976931348623157e+308");
    assert_text(f64_bits(0x4059000000000000ull), "100");
    assert_text(parse_ok(ISOLA_F64, "1e20"), "100000000000000000000");
    assert_text(parse_ok(ISOLA_F64, "1e21"), "1e+21");
    assert_text(parse_ok(ISOLA_F64, "123456789012345680000"), "123456789012345680000");
    assert_text(parse_ok(ISOLA_F32, "-1.5e10"), "-15000000000");
    assert_text(parse_ok(ISOLA_F64, "0.00001"), "1e-05");
    assert_text(f64_bits(0x7FF8000000000000ull), "nan");
    assert_text(f64_bits(0xFFF8000000000000ull), "-nan");
    assert_text(f64_bits(0x7FF0000000000001ull), "nan:0x1");
    assert_text(f64_bits(0xFFF0000000000000ull), "-inf");
}

/* Every printed float must parse back to the same bits: a sweep over bit patterns. */
static void test_float_round_trip(void **state)
{
    (void)state;
    uint32_t bits32 = 0x12345678;
    uint64_t bits64 = 0x123456789ABCDEF0ull;
    for (int i = 0; i < 20000; i++) {
        bits32 = bits32 * 1664525u + 1013904223u;
        bits64 = bits64 * 6364136223846793005ull + 1442695040888963407ull;
        char buf[CLI_VALUE_TEXT_MAX];
        isola_value v = f32_bits(bits32);
        cli_value_format(&v, buf, sizeof buf);
        assert_int_equal(parse_ok(ISOLA_F32, buf).of.f32_bits, bits32);
        v = f64_bits(bits64);
        cli_value_format(&v, buf, sizeof buf);
        assert_true(parse_ok(ISOLA_F64, buf).of.f64_bits == bits64);
    }
}

static void test_refs_rejected(void **state)
{
    (void)state;
    assert_rejected(ISOLA_V128, "0", "v128 arguments cannot be given on the command line yet");
    assert_rejected(ISOLA_FUNCREF, "null", "funcref arguments cannot be given on the command line yet");
    assert_rejected(ISOLA_EXTERNREF, "0", "externref arguments cannot be given on the command line yet");
}

static void test_counts_and_sizes(void **state)
{
    (void)state;
    char why[128];
    uint64_t n = 0;
    assert_true(cli_parse_count("1000", INT64_MAX, &n, why, sizeof why));
    assert_true(n == 1000);
    assert_false(cli_parse_count("-5", INT64_MAX, &n, why, sizeof why));
    assert_string_equal(why, "must not be negative");
    assert_false(cli_parse_count("9223372036854775808", INT64_MAX, &n, why, sizeof why));
    assert_string_equal(why, "too large (at most 9223372036854775807)");
    uint32_t pages = 0;
    assert_true(cli_parse_memory_pages("64MiB", 65536, &pages, why, sizeof why));
    assert_int_equal(pages, 1024);
    assert_true(cli_parse_memory_pages("4GiB", 65536, &pages, why, sizeof why));
    assert_int_equal(pages, 65536);
    assert_true(cli_parse_memory_pages("64kib", 65536, &pages, why, sizeof why));
    assert_int_equal(pages, 1);
    assert_true(cli_parse_memory_pages("17", 65536, &pages, why, sizeof why));
    assert_int_equal(pages, 17);
    assert_false(cli_parse_memory_pages("0", 65536, &pages, why, sizeof why));
    assert_false(cli_parse_memory_pages("5GiB", 65536, &pages, why, sizeof why));
    assert_false(cli_parse_memory_pages("99999999999999999999GiB", 65536, &pages, why, sizeof why));
    assert_false(cli_parse_memory_pages("MiB", 65536, &pages, why, sizeof why));
    assert_false(cli_parse_memory_pages("1.5MiB", 65536, &pages, why, sizeof why));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i32),
        cmocka_unit_test(test_i64),
        cmocka_unit_test(test_f32_parse),
        cmocka_unit_test(test_f64_parse),
        cmocka_unit_test(test_float_text),
        cmocka_unit_test(test_float_round_trip),
        cmocka_unit_test(test_refs_rejected),
        cmocka_unit_test(test_counts_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
