/*
 * cli_value.h - text <-> wasm values for the command line: parsing invocation
 * arguments per parameter type, and printing results so they read back to
 * the same bits (shortest round-trip floats, NaN payloads spelled out).
 *
 * Nothing here touches the engine beyond the isola_value type, so it is unit
 * tested on its own (tests/cli/test_cli_value.c).
 */
#ifndef ISOLA_CLI_VALUE_H
#define ISOLA_CLI_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <isola/engine.h>

/* Longest text cli_value_format writes, NUL included ("-nan:0x" + 13 digits fits easily). */
#define CLI_VALUE_TEXT_MAX 64

/* The type's name as wasm text spells it ("i32", "funcref", ...). */
const char *cli_valtype_name(isola_valtype type);

/*
 * Parses `text` as a value of `type` into *out. On failure returns false and
 * writes a one-line reason (without the argument itself) into why.
 *   i32, i64  signed or unsigned decimal, or 0x hex (optionally signed);
 *             anything outside [-2^(N-1), 2^N - 1] is rejected.
 *   f32, f64  decimal or hex floats, inf, -inf, nan, -nan, nan:0xPAYLOAD.
 *   others    rejected: not yet expressible on the command line.
 */
bool cli_value_parse(isola_valtype type, const char *text, isola_value *out,
                     char *why, size_t why_size);

/* Writes `value` as text: signed decimal integers, shortest round-trip floats. */
void cli_value_format(const isola_value *value, char *buf, size_t size);

/*
 * Parses an unsigned decimal (or 0x hex) count no larger than max: for
 * options such as --fuel. Same error convention as cli_value_parse.
 */
bool cli_parse_count(const char *text, uint64_t max, uint64_t *out, char *why, size_t why_size);

/*
 * Parses a memory size: a bare number of 64 KiB pages, or a number with a
 * KiB/MiB/GiB suffix that must be a whole number of pages. The result is in
 * pages and at most max_pages.
 */
bool cli_parse_memory_pages(const char *text, uint32_t max_pages, uint32_t *out,
                            char *why, size_t why_size);

#endif
