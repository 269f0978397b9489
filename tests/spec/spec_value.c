/*
 * spec_value.c - parsing, matching and printing wast2json values (see
 * spec_value.h for the encodings).
 */
#include "spec_value.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- types */

static bool spec_valtype_parse(const char *name, isola_valtype *out)
{
    static const struct { const char *name; isola_valtype type; } types[] = {
        { "i32", ISOLA_I32 }, { "i64", ISOLA_I64 }, { "f32", ISOLA_F32 }, { "f64", ISOLA_F64 },
        { "v128", ISOLA_V128 }, { "funcref", ISOLA_FUNCREF }, { "externref", ISOLA_EXTERNREF },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(name, types[i].name) == 0) {
            *out = types[i].type;
            return true;
        }
    }
    return false;
}

const char *spec_valtype_name(isola_valtype type)
{
    switch (type) {
    case ISOLA_I32: return "i32";
    case ISOLA_I64: return "i64";
    case ISOLA_F32: return "f32";
    case ISOLA_F64: return "f64";
    case ISOLA_V128: return "v128";
    case ISOLA_FUNCREF: return "funcref";
    case ISOLA_EXTERNREF: return "externref";
    }
    return "?";
}

static bool spec_lane_parse(const char *name, spec_lane *out)
{
    static const struct { const char *name; spec_lane lane; } lanes[] = {
        { "i8", SPEC_LANE_I8 }, { "i16", SPEC_LANE_I16 }, { "i32", SPEC_LANE_I32 },
        { "i64", SPEC_LANE_I64 }, { "f32", SPEC_LANE_F32 }, { "f64", SPEC_LANE_F64 },
    };
    for (size_t i = 0; i < sizeof lanes / sizeof lanes[0]; i++) {
        if (strcmp(name, lanes[i].name) == 0) {
            *out = lanes[i].lane;
            return true;
        }
    }
    return false;
}

static unsigned spec_lane_bytes(spec_lane lane)
{
    switch (lane) {
    case SPEC_LANE_I8: return 1;
    case SPEC_LANE_I16: return 2;
    case SPEC_LANE_I32: case SPEC_LANE_F32: return 4;
    case SPEC_LANE_I64: case SPEC_LANE_F64: return 8;
    case SPEC_LANE_NONE: break;
    }
    return 0;
}

static const char *spec_lane_name(spec_lane lane)
{
    switch (lane) {
    case SPEC_LANE_I8: return "i8x16";
    case SPEC_LANE_I16: return "i16x8";
    case SPEC_LANE_I32: return "i32x4";
    case SPEC_LANE_I64: return "i64x2";
    case SPEC_LANE_F32: return "f32x4";
    case SPEC_LANE_F64: return "f64x2";
    case SPEC_LANE_NONE: break;
    }
    return "?";
}

/* ---------------------------------------------------------------- numbers */

/* Decimal, unsigned bits; a leading '-' is accepted and wrapped. */
static bool spec_parse_bits(const char *text, uint64_t *out)
{
    if (!text || !*text) {
        return false;
    }
    char *end = NULL;
    errno = 0;
    if (text[0] == '-') {
        long long v = strtoll(text, &end, 10);
        *out = (uint64_t)v;
    } else {
        unsigned long long v = strtoull(text, &end, 10);
        *out = (uint64_t)v;
    }
    return errno == 0 && end && *end == '\0';
}

static spec_pattern spec_parse_nan(const char *text)
{
    if (strcmp(text, "nan:canonical") == 0) {
        return SPEC_PATTERN_NAN_CANONICAL;
    }
    if (strcmp(text, "nan:arithmetic") == 0) {
        return SPEC_PATTERN_NAN_ARITHMETIC;
    }
    return SPEC_PATTERN_EXACT;
}

static void spec_store_lane(uint8_t *bytes, unsigned width, unsigned index, uint64_t bits)
{
    for (unsigned b = 0; b < width; b++) {
        bytes[index * width + b] = (uint8_t)(bits >> (8 * b));
    }
}

static uint64_t spec_load_lane(const uint8_t *bytes, unsigned width, unsigned index)
{
    uint64_t bits = 0;
    for (unsigned b = 0; b < width; b++) {
        bits |= (uint64_t)bytes[index * width + b] << (8 * b);
    }
    return bits;
}

/* ---------------------------------------------------------------- parsing */

/* Parses `json` into value/patterns; `allow_patterns` is false for arguments. */
static bool spec_parse_v128(const cJSON *json, spec_expected *out, bool allow_patterns,
                            char *why, size_t why_size)
{
    const cJSON *lane_type = cJSON_GetObjectItemCaseSensitive(json, "lane_type");
    const cJSON *lanes = cJSON_GetObjectItemCaseSensitive(json, "value");
    if (!cJSON_IsString(lane_type) || !spec_lane_parse(lane_type->valuestring, &out->lane)) {
        snprintf(why, why_size, "v128 value without a known lane_type");
        return false;
    }
    unsigned width = spec_lane_bytes(out->lane);
    unsigned count = 16 / width;
    if (!cJSON_IsArray(lanes) || (unsigned)cJSON_GetArraySize(lanes) != count) {
        snprintf(why, why_size, "v128 %s value needs %u lanes", spec_lane_name(out->lane), count);
        return false;
    }
    bool is_float = out->lane == SPEC_LANE_F32 || out->lane == SPEC_LANE_F64;
    for (unsigned i = 0; i < count; i++) {
        const cJSON *lane = cJSON_GetArrayItem(lanes, (int)i);
        if (!cJSON_IsString(lane)) {
            snprintf(why, why_size, "v128 lane %u is not a string", i);
            return false;
        }
        spec_pattern nan = is_float ? spec_parse_nan(lane->valuestring) : SPEC_PATTERN_EXACT;
        if (nan != SPEC_PATTERN_EXACT && allow_patterns) {
            out->pattern[i] = nan;
            continue;
        }
        uint64_t bits;
        if (!spec_parse_bits(lane->valuestring, &bits)) {
            snprintf(why, why_size, "bad v128 lane \"%s\"", lane->valuestring);
            return false;
        }
        spec_store_lane(out->value.of.v128, width, i, bits);
    }
    return true;
}

static bool spec_parse_ref(const cJSON *value, spec_expected *out, bool allow_patterns,
                           char *why, size_t why_size)
{
    if (!value) {
        /* "(ref.extern)" / "(ref.func)" without an index: any non-null one. */
        if (!allow_patterns) {
            snprintf(why, why_size, "reference argument without a value");
            return false;
        }
        out->pattern[0] = SPEC_PATTERN_ANY_REF;
        return true;
    }
    if (!cJSON_IsString(value)) {
        snprintf(why, why_size, "reference value is not a string");
        return false;
    }
    if (strcmp(value->valuestring, "null") == 0) {
        return true;   /* the union is zeroed: a null pointer */
    }
    uint64_t n;
    if (!spec_parse_bits(value->valuestring, &n)) {
        snprintf(why, why_size, "bad reference value \"%s\"", value->valuestring);
        return false;
    }
    if (out->value.type == ISOLA_FUNCREF) {
        /* The suite never names a function by number; treat it as "some function". */
        if (!allow_patterns) {
            snprintf(why, why_size, "funcref argument %s cannot be made from outside", value->valuestring);
            return false;
        }
        out->pattern[0] = SPEC_PATTERN_ANY_REF;
        return true;
    }
    out->value.of.externref = (void *)(uintptr_t)(n + 1);
    return true;
}

static bool spec_parse(const cJSON *json, spec_expected *out, bool allow_patterns,
                       char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
    if (!cJSON_IsString(type) || !spec_valtype_parse(type->valuestring, &out->value.type)) {
        snprintf(why, why_size, "value of unknown type \"%s\"",
                 cJSON_IsString(type) ? type->valuestring : "?");
        return false;
    }
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(json, "value");
    switch (out->value.type) {
    case ISOLA_V128:
        return spec_parse_v128(json, out, allow_patterns, why, why_size);
    case ISOLA_FUNCREF:
    case ISOLA_EXTERNREF:
        return spec_parse_ref(value, out, allow_patterns, why, why_size);
    case ISOLA_I32: case ISOLA_I64: case ISOLA_F32: case ISOLA_F64:
        break;
    }
    if (!cJSON_IsString(value)) {
        snprintf(why, why_size, "%s value is not a string", spec_valtype_name(out->value.type));
        return false;
    }
    bool is_float = out->value.type == ISOLA_F32 || out->value.type == ISOLA_F64;
    spec_pattern nan = is_float ? spec_parse_nan(value->valuestring) : SPEC_PATTERN_EXACT;
    if (nan != SPEC_PATTERN_EXACT && allow_patterns) {
        out->pattern[0] = nan;
        return true;
    }
    uint64_t bits;
    if (!spec_parse_bits(value->valuestring, &bits)) {
        snprintf(why, why_size, "bad %s value \"%s\"", spec_valtype_name(out->value.type),
                 value->valuestring);
        return false;
    }
    if (out->value.type == ISOLA_I32 || out->value.type == ISOLA_F32) {
        out->value.of.f32_bits = (uint32_t)bits;   /* same storage as i32 */
    } else {
        out->value.of.f64_bits = bits;             /* same storage as i64 */
    }
    return true;
}

bool spec_value_parse_arg(const cJSON *json, isola_value *out, char *why, size_t why_size)
{
    spec_expected parsed;
    if (!spec_parse(json, &parsed, false, why, why_size)) {
        return false;
    }
    *out = parsed.value;
    return true;
}

bool spec_value_parse_expected(const cJSON *json, spec_expected *out, char *why, size_t why_size)
{
    return spec_parse(json, out, true, why, why_size);
}

/* ---------------------------------------------------------------- matching */

static bool spec_bits_match(spec_pattern pattern, unsigned width, uint64_t expected, uint64_t actual)
{
    uint64_t exponent = width == 4 ? 0x7f800000u : 0x7ff0000000000000u;
    uint64_t quiet = width == 4 ? 0x00400000u : 0x0008000000000000u;
    uint64_t magnitude = width == 4 ? 0x7fffffffu : 0x7fffffffffffffffu;
    switch (pattern) {
    case SPEC_PATTERN_NAN_CANONICAL:
        return (actual & magnitude) == (exponent | quiet);
    case SPEC_PATTERN_NAN_ARITHMETIC:
        return (actual & (exponent | quiet)) == (exponent | quiet);
    case SPEC_PATTERN_EXACT:
    case SPEC_PATTERN_ANY_REF:
        break;
    }
    return expected == actual;
}

static bool spec_v128_matches(const spec_expected *expected, const isola_value *actual)
{
    unsigned width = spec_lane_bytes(expected->lane);
    for (unsigned i = 0; i < 16 / width; i++) {
        uint64_t e = spec_load_lane(expected->value.of.v128, width, i);
        uint64_t a = spec_load_lane(actual->of.v128, width, i);
        if (!spec_bits_match(expected->pattern[i], width, e, a)) {
            return false;
        }
    }
    return true;
}

bool spec_value_matches(const spec_expected *expected, const isola_value *actual)
{
    if (expected->value.type != actual->type) {
        return false;
    }
    switch (actual->type) {
    case ISOLA_I32:
        return expected->value.of.i32 == actual->of.i32;
    case ISOLA_I64:
        return expected->value.of.i64 == actual->of.i64;
    case ISOLA_F32:
        return spec_bits_match(expected->pattern[0], 4, expected->value.of.f32_bits, actual->of.f32_bits);
    case ISOLA_F64:
        return spec_bits_match(expected->pattern[0], 8, expected->value.of.f64_bits, actual->of.f64_bits);
    case ISOLA_V128:
        return spec_v128_matches(expected, actual);
    case ISOLA_FUNCREF:
        if (expected->pattern[0] == SPEC_PATTERN_ANY_REF) {
            return actual->of.funcref != NULL;
        }
        return expected->value.of.funcref == actual->of.funcref;
    case ISOLA_EXTERNREF:
        if (expected->pattern[0] == SPEC_PATTERN_ANY_REF) {
            return actual->of.externref != NULL;
        }
        return expected->value.of.externref == actual->of.externref;
    }
    return false;
}

/* ---------------------------------------------------------------- printing */

static const char *spec_pattern_text(spec_pattern pattern)
{
    switch (pattern) {
    case SPEC_PATTERN_NAN_CANONICAL: return "nan:canonical";
    case SPEC_PATTERN_NAN_ARITHMETIC: return "nan:arithmetic";
    case SPEC_PATTERN_ANY_REF: return "non-null";
    case SPEC_PATTERN_EXACT: break;
    }
    return NULL;
}

static void spec_format_float_bits(char *buf, size_t size, unsigned width, uint64_t bits)
{
    if (width == 4) {
        float f;
        uint32_t b = (uint32_t)bits;
        memcpy(&f, &b, sizeof f);
        snprintf(buf, size, "0x%08" PRIx32 " (%.9g)", b, (double)f);
    } else {
        double d;
        memcpy(&d, &bits, sizeof d);
        snprintf(buf, size, "0x%016" PRIx64 " (%.17g)", bits, d);
    }
}

static void spec_format_v128(const uint8_t *bytes, spec_lane lane, const spec_pattern *patterns,
                             char *buf, size_t size)
{
    if (lane == SPEC_LANE_NONE) {
        lane = SPEC_LANE_I32;
    }
    unsigned width = spec_lane_bytes(lane);
    size_t used = (size_t)snprintf(buf, size, "v128 %s [", spec_lane_name(lane));
    for (unsigned i = 0; i < 16 / width && used < size; i++) {
        const char *pattern = patterns ? spec_pattern_text(patterns[i]) : NULL;
        uint64_t bits = spec_load_lane(bytes, width, i);
        const char *sep = i ? " " : "";
        if (pattern) {
            used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, pattern);
        } else if (lane == SPEC_LANE_F32 || lane == SPEC_LANE_F64) {
            char fbuf[64];
            spec_format_float_bits(fbuf, sizeof fbuf, width, bits);
            used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, fbuf);
        } else {
            used += (size_t)snprintf(buf + used, size - used, "%s0x%" PRIx64, sep, bits);
        }
    }
    if (used < size) {
        snprintf(buf + used, size - used, "]");
    }
}

static void spec_format(const isola_value *value, spec_lane lane, const spec_pattern *patterns,
                        char *buf, size_t size)
{
    const char *pattern = patterns ? spec_pattern_text(patterns[0]) : NULL;
    char num[64];
    switch (value->type) {
    case ISOLA_I32:
        snprintf(buf, size, "i32 %" PRIu32 " (0x%" PRIx32 ")", (uint32_t)value->of.i32,
                 (uint32_t)value->of.i32);
        return;
    case ISOLA_I64:
        snprintf(buf, size, "i64 %" PRIu64 " (0x%" PRIx64 ")", (uint64_t)value->of.i64,
                 (uint64_t)value->of.i64);
        return;
    case ISOLA_F32:
    case ISOLA_F64:
        if (pattern) {
            snprintf(buf, size, "%s %s", spec_valtype_name(value->type), pattern);
            return;
        }
        spec_format_float_bits(num, sizeof num, value->type == ISOLA_F32 ? 4 : 8,
                               value->type == ISOLA_F32 ? value->of.f32_bits : value->of.f64_bits);
        snprintf(buf, size, "%s %s", spec_valtype_name(value->type), num);
        return;
    case ISOLA_V128:
        spec_format_v128(value->of.v128, lane, patterns, buf, size);
        return;
    case ISOLA_FUNCREF:
        if (pattern) {
            snprintf(buf, size, "ref.func (any)");
        } else if (value->of.funcref) {
            snprintf(buf, size, "ref.func %p", (void *)value->of.funcref);
        } else {
            snprintf(buf, size, "ref.null func");
        }
        return;
    case ISOLA_EXTERNREF:
        if (pattern) {
            snprintf(buf, size, "ref.extern (any)");
        } else if (value->of.externref) {
            snprintf(buf, size, "ref.extern %" PRIuPTR, (uintptr_t)value->of.externref - 1);
        } else {
            snprintf(buf, size, "ref.null extern");
        }
        return;
    }
    snprintf(buf, size, "<value of type 0x%x>", (unsigned)value->type);
}

void spec_value_format(const isola_value *value, spec_lane lane, char *buf, size_t size)
{
    spec_format(value, lane, NULL, buf, size);
}

void spec_expected_format(const spec_expected *expected, char *buf, size_t size)
{
    spec_format(&expected->value, expected->lane, expected->pattern, buf, size);
}
