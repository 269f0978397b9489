/* parse: text processing. Generates ~1 MiB of config-like text (identifiers,
 * decimal and hex integers, quoted strings with escapes, comments), then
 * tokenises and parses it: byte-at-a-time loads, character-class branches,
 * FNV-1a hashing of names and 64-bit number accumulation. */
#include "bench.h"

#define PARSE_TEXT_MAX (1u << 20)

static char text[PARSE_TEXT_MAX];
int parse_rounds = 26;

struct writer {
    char *buf;
    uint32_t len, cap;
    uint32_t seed;
};

struct totals {
    uint32_t idents, numbers, strings, puncts, comments;
    uint32_t name_hash, string_hash;
    uint64_t number_sum;
};

static void put(struct writer *w, char ch)
{
    if (w->len < w->cap)
        w->buf[w->len++] = ch;
}

static uint32_t pick(struct writer *w, uint32_t bound)
{
    return (uint32_t)(((uint64_t)bench_rand(&w->seed) * bound) >> 32);
}

static void write_ident(struct writer *w)
{
    static const char first[] = "abcdefghijklmnopqrstuvwxyz_";
    static const char rest[] = "abcdefghijklmnopqrstuvwxyz_0123456789";
    uint32_t len = 3 + pick(w, 10);
    put(w, first[pick(w, sizeof first - 1)]);
    for (uint32_t i = 1; i < len; i++)
        put(w, rest[pick(w, sizeof rest - 1)]);
}

static void write_number(struct writer *w)
{
    static const char hex[] = "0123456789abcdef";
    char digits[20];
    int n = 0;
    uint64_t v = (uint64_t)bench_rand(&w->seed) << 16 | pick(w, 65536);
    if (pick(w, 4) == 0) {
        put(w, '0');
        put(w, 'x');
        do {
            digits[n++] = hex[v & 15];
            v >>= 4;
        } while (v != 0);
    } else {
        if (pick(w, 3) == 0)
            put(w, '-');
        v %= 1000000000000ull;
        do {
            digits[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
    }
    while (n > 0)
        put(w, digits[--n]);
}

static void write_string(struct writer *w)
{
    uint32_t len = pick(w, 24);
    put(w, '"');
    for (uint32_t i = 0; i < len; i++) {
        uint32_t r = pick(w, 40);
        if (r == 0) {
            put(w, '\\');
            put(w, '"');
        } else if (r == 1) {
            put(w, '\\');
            put(w, 'n');
        } else {
            /* printable ASCII; quotes and backslashes only come escaped */
            char ch = (char)(' ' + pick(w, 95));
            put(w, ch == '"' || ch == '\\' ? '.' : ch);
        }
    }
    put(w, '"');
}

/* Fills buf with whole records. A record is at most 329 bytes (a 12-byte
 * name, " = ", six 50-byte strings of escapes plus ", ", ";\n"), so
 * stopping 512 bytes before the end means none is ever cut short; put()'s
 * own check is only a guard. */
static uint32_t generate(char *buf, uint32_t cap, uint32_t seed)
{
    struct writer w = { buf, 0, cap, seed };
    while (w.len + 512 < w.cap) {
        if (pick(&w, 16) == 0) {
            put(&w, '#');
            put(&w, ' ');
            write_ident(&w);
            put(&w, '\n');
            continue;
        }
        write_ident(&w);
        put(&w, ' ');
        put(&w, '=');
        put(&w, ' ');
        uint32_t values = 1 + pick(&w, 6);
        for (uint32_t i = 0; i < values; i++) {
            if (i > 0) {
                put(&w, ',');
                put(&w, ' ');
            }
            if (pick(&w, 5) == 0)
                write_string(&w);
            else
                write_number(&w);
        }
        put(&w, ';');
        put(&w, '\n');
    }
    return w.len;
}

static int is_ident_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Returns the index just past the number starting at i. */
static uint32_t parse_number(const char *s, uint32_t i, uint32_t end, struct totals *t)
{
    int negative = 0;
    uint64_t v = 0;
    if (s[i] == '-') {
        negative = 1;
        i++;
    }
    if (i + 1 < end && s[i] == '0' && s[i + 1] == 'x') {
        i += 2;
        while (i < end && hex_value(s[i]) >= 0)
            v = v << 4 | (uint64_t)hex_value(s[i++]);
    } else {
        while (i < end && s[i] >= '0' && s[i] <= '9')
            v = v * 10 + (uint64_t)(s[i++] - '0');
    }
    t->number_sum += negative ? 0 - v : v;
    t->numbers++;
    return i;
}

static uint32_t parse_string(const char *s, uint32_t i, uint32_t end, struct totals *t)
{
    uint32_t hash = BENCH_CHECKSUM_SEED;
    i++; /* opening quote */
    while (i < end && s[i] != '"') {
        char ch = s[i++];
        if (ch == '\\' && i < end) {
            ch = s[i++] == 'n' ? '\n' : s[i - 1];
        }
        hash = (hash ^ (uint8_t)ch) * 16777619u;
    }
    t->string_hash += hash;
    t->strings++;
    return i + 1; /* closing quote */
}

static void parse(const char *s, uint32_t end, struct totals *t)
{
    uint32_t i = 0;
    while (i < end) {
        char ch = s[i];
        if (ch == ' ' || ch == '\n' || ch == '\t') {
            i++;
        } else if (ch == '#') {
            while (i < end && s[i] != '\n')
                i++;
            t->comments++;
        } else if ((ch >= '0' && ch <= '9') || ch == '-') {
            i = parse_number(s, i, end, t);
        } else if (ch == '"') {
            i = parse_string(s, i, end, t);
        } else if (is_ident_char(ch)) {
            uint32_t hash = BENCH_CHECKSUM_SEED;
            while (i < end && is_ident_char(s[i]))
                hash = (hash ^ (uint8_t)s[i++]) * 16777619u;
            t->name_hash = bench_mix(t->name_hash, hash);
            t->idents++;
        } else {
            t->puncts++;
            i++;
        }
    }
}

int run(void)
{
    uint32_t sum = BENCH_CHECKSUM_SEED;
    for (int round = 0; round < parse_rounds; round++) {
        struct totals t = { 0 };
        uint32_t len = generate(text, PARSE_TEXT_MAX, 5u + (uint32_t)round);
        /* parse each text several times: parsing, not generating, is the
         * workload being measured */
        for (int pass = 0; pass < 4; pass++)
            parse(text, len, &t);
        sum = bench_mix(sum, len);
        sum = bench_mix(sum, t.idents);
        sum = bench_mix(sum, t.numbers);
        sum = bench_mix(sum, t.strings);
        sum = bench_mix(sum, t.puncts);
        sum = bench_mix(sum, t.comments);
        sum = bench_mix(sum, t.name_hash);
        sum = bench_mix(sum, t.string_hash);
        sum = bench_mix(sum, (uint32_t)t.number_sum);
        sum = bench_mix(sum, (uint32_t)(t.number_sum >> 32));
    }
    return (int)sum;
}
