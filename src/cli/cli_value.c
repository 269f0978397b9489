/*
 * cli_value.c - parsing command-line arguments into wasm values and printing
 * results back as text.
 *
 * Integers are parsed by hand rather than with strtoll: strtoll skips leading
 * blanks, accepts a sign on unsigned input and has no notion of "i32 given as
 * unsigned", all of which would let a typo through silently. Floats go
 * through strtof/strtod (correctly rounded, hex floats included) with the NaN
 * spellings handled here, because libc's "nan(...)" is not the wasm text form.
 */
#include "cli_value.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F32_SIGN 0x80000000u
#define F32_EXP 0x7F800000u
#define F32_MANT 0x007FFFFFu
#define F32_QUIET 0x00400000u
#define F64_SIGN 0x8000000000000000ull
#define F64_EXP 0x7FF0000000000000ull
#define F64_MANT 0x000FFFFFFFFFFFFFull
#define F64_QUIET 0x0008000000000000ull

static bool fail(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t why_size, const char *fmt, ...)
{
    if (why && why_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return false;
}

const char *cli_valtype_name(isola_valtype type)
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
    return "unknown";
}

static int digit_value(char c, unsigned base)
{
    int v = -1;
    if (c >= '0' && c <= '9')
        v = c - '0';
    else if (c >= 'a' && c <= 'f')
        v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        v = c - 'A' + 10;
    return v >= 0 && (unsigned)v < base ? v : -1;
}

/*
 * Reads an unsigned magnitude (decimal, or hex after 0x) that must fill the
 * whole of `text`. Sets *overflow instead of failing when it exceeds 2^64-1,
 * so the caller can report "out of range" rather than "not a number".
 */
static bool parse_magnitude(const char *text, uint64_t *out, bool *overflow)
{
    unsigned base = 10;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
    }
    if (*text == '\0')
        return false;
    uint64_t value = 0;
    *overflow = false;
    for (; *text; text++) {
        int d = digit_value(*text, base);
        if (d < 0)
            return false;
        if (value > (UINT64_MAX - (uint64_t)d) / base)
            *overflow = true;
        value = value * base + (uint64_t)d;
    }
    *out = value;
    return true;
}

/* Parses an integer of `bits` bits, accepting both its signed and unsigned range. */
static bool parse_int(const char *text, unsigned bits, uint64_t *out, char *why, size_t why_size)
{
    assert(bits == 32 || bits == 64);
    bool negative = text[0] == '-';
    const char *digits = text + (text[0] == '-' || text[0] == '+');
    uint64_t magnitude = 0;
    bool overflow = false;
    if (!parse_magnitude(digits, &magnitude, &overflow))
        return fail(why, why_size, "not an integer");
    uint64_t unsigned_max = bits == 64 ? UINT64_MAX : UINT32_MAX;
    uint64_t negative_max = (uint64_t)1 << (bits - 1);
    if (overflow || (negative ? magnitude > negative_max : magnitude > unsigned_max))
        return fail(why, why_size, "out of range for i%u", bits);
    /* Two's complement wrap is exactly what wasm's integer encoding means. */
    uint64_t value = negative ? (uint64_t)0 - magnitude : magnitude;
    *out = bits == 32 ? (value & UINT32_MAX) : value;
    return true;
}

/* "nan", "nan:0x..." after the sign has been consumed; writes the magnitude bits. */
static bool parse_nan(const char *rest, unsigned bits, uint64_t *out, char *why, size_t why_size)
{
    uint64_t mant_mask = bits == 32 ? F32_MANT : F64_MANT;
    uint64_t exp_bits = bits == 32 ? F32_EXP : F64_EXP;
    if (*rest == '\0') {
        *out = exp_bits | (bits == 32 ? F32_QUIET : F64_QUIET);
        return true;
    }
    if (strncmp(rest, ":0x", 3) != 0)
        return fail(why, why_size, "not a float (NaN payloads are written nan:0x...)");
    uint64_t payload = 0;
    bool overflow = false;
    if (!parse_magnitude(rest + 1, &payload, &overflow))
        return fail(why, why_size, "bad NaN payload");
    if (overflow || payload == 0 || payload > mant_mask)
        return fail(why, why_size, "NaN payload must be in 0x1..0x%llx for f%u",
                    (unsigned long long)mant_mask, bits);
    *out = exp_bits | payload;
    return true;
}

static bool parse_float(const char *text, unsigned bits, isola_value *out, char *why, size_t why_size)
{
    bool negative = text[0] == '-';
    const char *body = text + (text[0] == '-' || text[0] == '+');
    /* strtod would skip blanks and accept "nan(...)"; neither is wasm text. */
    if (body[0] == '\0' || !(body[0] == '.' || (body[0] >= '0' && body[0] <= '9') ||
                             strncasecmp(body, "inf", 3) == 0 || strncasecmp(body, "nan", 3) == 0))
        return fail(why, why_size, "not a float");
    if (strncasecmp(body, "nan", 3) == 0) {
        uint64_t magnitude = 0;
        if (!parse_nan(body + 3, bits, &magnitude, why, why_size))
            return false;
        if (bits == 32)
            out->of.f32_bits = (uint32_t)magnitude | (negative ? F32_SIGN : 0);
        else
            out->of.f64_bits = magnitude | (negative ? F64_SIGN : 0);
        return true;
    }
    char *end = NULL;
    errno = 0;
    double magnitude;
    if (bits == 32) {
        out->of.f32 = strtof(text, &end);
        magnitude = fabs((double)out->of.f32);
    } else {
        out->of.f64 = strtod(text, &end);
        magnitude = fabs(out->of.f64);
    }
    if (end == text || *end != '\0')
        return fail(why, why_size, "not a float");
    if (isinf(magnitude) && strncasecmp(body, "inf", 3) != 0)
        return fail(why, why_size, "out of range for f%u", bits);
    return true;
}

bool cli_value_parse(isola_valtype type, const char *text, isola_value *out,
                     char *why, size_t why_size)
{
    assert(text && out);
    memset(out, 0, sizeof *out);
    out->type = type;
    uint64_t bits = 0;
    switch (type) {
    case ISOLA_I32:
        if (!parse_int(text, 32, &bits, why, why_size))
            return false;
        out->of.i32 = (int32_t)(uint32_t)bits;
        return true;
    case ISOLA_I64:
        if (!parse_int(text, 64, &bits, why, why_size))
            return false;
        out->of.i64 = (int64_t)bits;
        return true;
    case ISOLA_F32:
        return parse_float(text, 32, out, why, why_size);
    case ISOLA_F64:
        return parse_float(text, 64, out, why, why_size);
    case ISOLA_V128:
    case ISOLA_FUNCREF:
    case ISOLA_EXTERNREF:
        break;
    }
    return fail(why, why_size, "%s arguments cannot be given on the command line yet",
                cli_valtype_name(type));
}

/* NaN and infinity spellings; sign_bit and mantissa come from the caller's width. */
static void format_nonfinite(bool sign, uint64_t mantissa, uint64_t quiet, char *buf, size_t size)
{
    const char *sign_text = sign ? "-" : "";
    if (mantissa == 0)
        snprintf(buf, size, "%sinf", sign_text);
    else if (mantissa == quiet)
        snprintf(buf, size, "%snan", sign_text);
    else
        snprintf(buf, size, "%snan:0x%llx", sign_text, (unsigned long long)mantissa);
}

/*
 * %g switches to an exponent as soon as the exponent reaches the precision,
 * so the shortest form of 100 comes out as "1e+02". Integers below 10^21 read
 * better written out (the same cut-off JavaScript uses); the digits are the
 * shortest ones padded with zeros, never the binary value's exact expansion.
 */
static void expand_exponent(char *buf, size_t size)
{
    char *e = strchr(buf, 'e');
    if (!e)
        return;
    int exponent = atoi(e + 1);
    char digits[32];
    size_t n = 0;
    for (const char *p = buf; p < e && n < sizeof digits - 1; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    digits[n] = '\0';
    if (exponent < (int)n - 1 || exponent >= 21)
        return;
    char expanded[CLI_VALUE_TEXT_MAX];
    size_t len = 0;
    if (buf[0] == '-')
        expanded[len++] = '-';
    memcpy(expanded + len, digits, n);
    len += n;
    for (int zeros = exponent + 1 - (int)n; zeros > 0; zeros--)
        expanded[len++] = '0';
    expanded[len] = '\0';
    snprintf(buf, size, "%s", expanded);
}

/* The fewest significant digits (up to 9) that strtof reads back to the same bits. */
static void format_f32(uint32_t bits, char *buf, size_t size)
{
    if ((bits & F32_EXP) == F32_EXP) {
        format_nonfinite(bits & F32_SIGN, bits & F32_MANT, F32_QUIET, buf, size);
        return;
    }
    float value;
    memcpy(&value, &bits, sizeof value);
    for (int precision = 1; precision <= 9; precision++) {
        snprintf(buf, size, "%.*g", precision, (double)value);
        float back = strtof(buf, NULL);
        uint32_t back_bits;
        memcpy(&back_bits, &back, sizeof back_bits);
        if (back_bits == bits) {
            expand_exponent(buf, size);
            return;
        }
    }
    assert(!"9 significant digits always round-trip a float");
}

/* The fewest significant digits (up to 17) that strtod reads back to the same bits. */
static void format_f64(uint64_t bits, char *buf, size_t size)
{
    if ((bits & F64_EXP) == F64_EXP) {
        format_nonfinite(bits & F64_SIGN, bits & F64_MANT, F64_QUIET, buf, size);
        return;
    }
    double value;
    memcpy(&value, &bits, sizeof value);
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        double back = strtod(buf, NULL);
        uint64_t back_bits;
        memcpy(&back_bits, &back, sizeof back_bits);
        if (back_bits == bits) {
            expand_exponent(buf, size);
            return;
        }
    }
    assert(!"17 significant digits always round-trip a double");
}

void cli_value_format(const isola_value *value, char *buf, size_t size)
{
    assert(value && buf && size > 0);
    switch (value->type) {
    case ISOLA_I32:
        snprintf(buf, size, "%ld", (long)value->of.i32);
        return;
    case ISOLA_I64:
        snprintf(buf, size, "%lld", (long long)value->of.i64);
        return;
    case ISOLA_F32:
        format_f32(value->of.f32_bits, buf, size);
        return;
    case ISOLA_F64:
        format_f64(value->of.f64_bits, buf, size);
        return;
    case ISOLA_V128: {
        /* As four i32 lanes in hex, the way wast writes `v128.const i32x4`. */
        uint32_t lanes[4];
        memcpy(lanes, value->of.v128, sizeof lanes);
        snprintf(buf, size, "i32x4 0x%08x 0x%08x 0x%08x 0x%08x",
                 lanes[0], lanes[1], lanes[2], lanes[3]);
        return;
    }
    case ISOLA_FUNCREF:
        snprintf(buf, size, value->of.funcref ? "funcref" : "ref.null func");
        return;
    case ISOLA_EXTERNREF:
        if (value->of.externref)
            snprintf(buf, size, "externref %p", value->of.externref);
        else
            snprintf(buf, size, "ref.null extern");
        return;
    }
    snprintf(buf, size, "<unknown type 0x%x>", (unsigned)value->type);
}

bool cli_parse_count(const char *text, uint64_t max, uint64_t *out, char *why, size_t why_size)
{
    uint64_t value = 0;
    bool overflow = false;
    if (text[0] == '-')
        return fail(why, why_size, "must not be negative");
    if (!parse_magnitude(text, &value, &overflow))
        return fail(why, why_size, "not a number");
    if (overflow || value > max)
        return fail(why, why_size, "too large (at most %llu)", (unsigned long long)max);
    *out = value;
    return true;
}

bool cli_parse_memory_pages(const char *text, uint32_t max_pages, uint32_t *out,
                            char *why, size_t why_size)
{
    static const struct { const char *suffix; uint64_t bytes; } units[] = {
        { "KiB", 1ull << 10 }, { "MiB", 1ull << 20 }, { "GiB", 1ull << 30 },
    };
    const uint64_t page = 65536;
    size_t digits = strspn(text, "0123456789");
    const char *suffix = text + digits;
    if (digits == 0 || digits > 19)
        return fail(why, why_size, "not a size (give pages, or a number with KiB, MiB or GiB)");
    char number[20];
    memcpy(number, text, digits);
    number[digits] = '\0';
    uint64_t n = strtoull(number, NULL, 10);
    uint64_t pages = n;
    if (*suffix != '\0') {
        size_t i = 0;
        while (i < sizeof units / sizeof units[0] && strcasecmp(suffix, units[i].suffix) != 0)
            i++;
        if (i == sizeof units / sizeof units[0])
            return fail(why, why_size, "unknown unit '%s' (use KiB, MiB or GiB)", suffix);
        if (n > UINT64_MAX / units[i].bytes)
            return fail(why, why_size, "too large (at most %u pages)", max_pages);
        uint64_t bytes = n * units[i].bytes;
        if (bytes % page != 0)
            return fail(why, why_size, "not a whole number of 64 KiB pages");
        pages = bytes / page;
    }
    if (pages == 0)
        return fail(why, why_size, "must be at least one 64 KiB page");
    if (pages > max_pages)
        return fail(why, why_size, "too large (at most %u pages)", max_pages);
    *out = (uint32_t)pages;
    return true;
}
