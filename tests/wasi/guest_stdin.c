/*
 * guest_stdin.c - WASI guest: reads stdin to the end and reports lines,
 * bytes and a checksum, echoing the first few lines in upper case.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    char line[4096];
    long lines = 0, bytes = 0;
    unsigned long sum = 0;
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        bytes += (long)n;
        for (size_t i = 0; i < n; i++)
            sum = sum * 31 + (unsigned char)line[i];
        if (lines < 3) {
            for (size_t i = 0; i < n; i++)
                line[i] = (char)toupper((unsigned char)line[i]);
            printf("echo: %s", line);
        }
        lines++;
    }
    printf("lines %ld bytes %ld sum %lu eof %d\n", lines, bytes, sum, feof(stdin) ? 1 : 0);
    return 0;
}
