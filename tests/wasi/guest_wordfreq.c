/*
 * guest_wordfreq.c - a small but real program, built both natively and as
 * a WASI guest so the test can check they behave the same: reads the
 * files named on the command line (relative paths), counts words in a
 * hash table, sorts them by frequency, writes a report to report.txt and
 * stdout, reads the report back and prints its size and a checksum.
 * TOPN in the environment sets how many words are listed (default 10).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct word {
    char *text;
    unsigned long count;
    struct word *next;
} word;

typedef struct table {
    word **buckets;
    size_t nbuckets, nwords;
} table;

static unsigned long hash(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static void grow(table *t)
{
    size_t n = t->nbuckets ? t->nbuckets * 2 : 64;
    word **b = calloc(n, sizeof *b);
    if (!b) {
        perror("calloc");
        exit(3);
    }
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (word *w = t->buckets[i], *next; w; w = next) {
            next = w->next;
            size_t k = hash(w->text) % n;
            w->next = b[k];
            b[k] = w;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

static void add(table *t, const char *s)
{
    if (t->nwords >= t->nbuckets)
        grow(t);
    size_t k = hash(s) % t->nbuckets;
    for (word *w = t->buckets[k]; w; w = w->next) {
        if (strcmp(w->text, s) == 0) {
            w->count++;
            return;
        }
    }
    word *w = malloc(sizeof *w);
    w->text = strdup(s);
    w->count = 1;
    w->next = t->buckets[k];
    t->buckets[k] = w;
    t->nwords++;
}

static int by_count(const void *a, const void *b)
{
    const word *x = *(word *const *)a, *y = *(word *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

static long count_file(table *t, const char *path, unsigned long *total)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    char w[64];
    size_t len = 0;
    long bytes = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        bytes++;
        if (isalnum(c) || c == '_') {
            if (len < sizeof w - 1)
                w[len++] = (char)tolower(c);
        } else if (len) {
            w[len] = '\0';
            add(t, w);
            (*total)++;
            len = 0;
        }
    }
    if (len) {
        w[len] = '\0';
        add(t, w);
        (*total)++;
    }
    fclose(f);
    return bytes;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wordfreq FILE...\n");
        return 2;
    }
    const char *topn_env = getenv("TOPN");
    int topn = topn_env ? atoi(topn_env) : 10;
    table t = { 0 };
    unsigned long total = 0;
    long bytes = 0;
    for (int i = 1; i < argc; i++) {
        long b = count_file(&t, argv[i], &total);
        if (b < 0)
            return 1;
        bytes += b;
    }
    word **all = malloc((t.nwords + 1) * sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < t.nbuckets; i++)
        for (word *w = t.buckets[i]; w; w = w->next)
            all[n++] = w;
    qsort(all, n, sizeof *all, by_count);

    FILE *out = fopen("report.txt", "w");
    if (!out) {
        perror("report.txt");
        return 1;
    }
    fprintf(out, "%ld bytes, %lu words, %zu distinct\n", bytes, total, n);
    for (int i = 0; i < topn && (size_t)i < n; i++)
        fprintf(out, "%8lu %s\n", all[i]->count, all[i]->text);
    fclose(out);

    FILE *in = fopen("report.txt", "r");
    char line[256];
    uint32_t sum = 0;   /* fixed width: unsigned long is 32 bits on wasm32, 64 natively */
    long size = 0;
    while (fgets(line, sizeof line, in)) {
        fputs(line, stdout);
        for (char *p = line; *p; p++, size++)
            sum = sum * 131u + (unsigned char)*p;
    }
    fclose(in);
    printf("report: %ld bytes, checksum %lu\n", size, (unsigned long)sum);
    for (size_t i = 0; i < n; i++) {
        free(all[i]->text);
        free(all[i]);
    }
    free(all);
    free(t.buckets);
    return 0;
}
