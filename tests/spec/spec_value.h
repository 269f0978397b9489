/*
 * spec_value.h - the values of wast2json scripts: turning JSON arguments
 * into isola values, JSON expectations into patterns (exact bits, NaN
 * classes, "any non-null reference"), matching results against them and
 * printing both for failure messages.
 *
 * Encodings used by wast2json: i32/i64 are decimal strings of the unsigned
 * bits; f32/f64 are decimal bit patterns or "nan:canonical" /
 * "nan:arithmetic"; references are "null" or a number (externref N), or no
 * value at all ("some non-null reference"); v128 is an array of lane strings
 * with a "lane_type".
 *
 * externref N is represented as the pointer (void *)(N + 1) so that host
 * value 0 stays distinct from ref.null; arguments and results use the same
 * mapping.
 */
#ifndef SPEC_VALUE_H
#define SPEC_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "isola/engine.h"

typedef enum spec_pattern {
    SPEC_PATTERN_EXACT = 0,
    SPEC_PATTERN_NAN_CANONICAL,
    SPEC_PATTERN_NAN_ARITHMETIC,
    SPEC_PATTERN_ANY_REF,           /* any non-null reference of the type */
} spec_pattern;

typedef enum spec_lane {
    SPEC_LANE_NONE = 0,             /* not a v128 */
    SPEC_LANE_I8,
    SPEC_LANE_I16,
    SPEC_LANE_I32,
    SPEC_LANE_I64,
    SPEC_LANE_F32,
    SPEC_LANE_F64,
} spec_lane;

/* One expected result. Scalars use pattern[0]; v128 has one pattern per lane. */
typedef struct spec_expected {
    isola_value value;
    spec_lane lane;
    spec_pattern pattern[16];
} spec_expected;

/* Parses one argument; on failure writes why into `why`. */
bool spec_value_parse_arg(const cJSON *json, isola_value *out, char *why, size_t why_size);
/* Parses one expected result; on failure writes why into `why`. */
bool spec_value_parse_expected(const cJSON *json, spec_expected *out, char *why, size_t why_size);
bool spec_value_matches(const spec_expected *expected, const isola_value *actual);

/* Human-readable forms for failure lines. `lane` picks the v128 view. */
void spec_value_format(const isola_value *value, spec_lane lane, char *buf, size_t size);
void spec_expected_format(const spec_expected *expected, char *buf, size_t size);
const char *spec_valtype_name(isola_valtype type);

#endif
