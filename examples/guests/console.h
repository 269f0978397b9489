/*
 * examples/guests/console.h - how the example guests print.
 *
 * Each process of an example holds a SEND handle to the example's console:
 * a channel whose other end the host reads (examples/run_guest relays it to
 * stdout). One console_printf is one message, so lines from many processes
 * interleave whole, never torn, and a process's own lines stay in order.
 * Built with -DEXAMPLE_WASI the same calls write to WASI stdout instead
 * (fd_write), for running under a host that gives processes WASI.
 *
 * The formatter is deliberately tiny (the guests have no libc): %d %u %x
 * with an optional l/ll, %s, %c and %%, plus a field width ("%5d", "%-8s").
 */
#ifndef EXAMPLE_CONSOLE_H
#define EXAMPLE_CONSOLE_H

#include <stdarg.h>
#include <stdint.h>

#include "isola.h"

#define CONSOLE_TAG_TEXT 1   /* a console message: text for stdout */
#define CONSOLE_LINE_MAX 240 /* longer output is cut */

/* The console handle of this process (set by start_receive, start.h). */
static int32_t console_handle = -1;

#ifdef EXAMPLE_WASI
typedef struct console_iovec {
    const void *buf;
    uint32_t len;
} console_iovec;
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write"))) int32_t
console_fd_write(int32_t fd, const console_iovec *iovs, uint32_t count, uint32_t *written);
#endif

static inline void console_write(const char *text, uint32_t len)
{
#ifdef EXAMPLE_WASI
    console_iovec iov = {text, len};
    uint32_t written;
    console_fd_write(1, &iov, 1, &written);
#else
    /* Waits while the host is behind rather than dropping output. */
    isola_send(console_handle, CONSOLE_TAG_TEXT, text, len, 0, 0, ISOLA_SEND_WAIT);
#endif
}

typedef struct console_buf {
    char text[CONSOLE_LINE_MAX];
    uint32_t len;
} console_buf;

static inline void console_putc(console_buf *b, char c)
{
    if (b->len < CONSOLE_LINE_MAX)
        b->text[b->len++] = c;
}

/* Appends `digits` (most significant last) padded to `width`. */
static inline void console_field(console_buf *b, const char *digits, int n, int negative, int width, int left)
{
    int len = n + negative;
    for (int i = len; !left && i < width; i++)
        console_putc(b, ' ');
    if (negative)
        console_putc(b, '-');
    while (n > 0)
        console_putc(b, digits[--n]);
    for (int i = len; left && i < width; i++)
        console_putc(b, ' ');
}

static inline void console_number(console_buf *b, uint64_t v, int negative, unsigned base, int width, int left)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    console_field(b, digits, n, negative, width, left);
}

static inline void console_vformat(console_buf *b, const char *fmt, va_list ap)
{
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            console_putc(b, *p);
            continue;
        }
        p++;
        int left = *p == '-';
        p += left;
        int width = 0;
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        int longs = 0;
        while (*p == 'l') {
            longs++;
            p++;
        }
        switch (*p) {
        case 'd': {
            int64_t v = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
            console_number(b, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0, 10, width, left);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = longs >= 2 ? va_arg(ap, unsigned long long)
                         : longs ? va_arg(ap, unsigned long)
                                 : va_arg(ap, unsigned);
            console_number(b, v, 0, *p == 'x' ? 16 : 10, width, left);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            char rev[CONSOLE_LINE_MAX];
            int n = (int)isola_strlen(s);
            n = n > CONSOLE_LINE_MAX ? CONSOLE_LINE_MAX : n;
            for (int i = 0; i < n; i++)
                rev[i] = s[n - 1 - i];
            console_field(b, rev, n, 0, width, left);
            break;
        }
        case 'c':
            console_putc(b, (char)va_arg(ap, int));
            break;
        case '%':
            console_putc(b, '%');
            break;
        default:  /* unknown conversion (or a trailing '%'): print it as it is */
            console_putc(b, '%');
            if (!*p)
                return;
            console_putc(b, *p);
        }
    }
}

/* Appends formatted text to b (for building one line in steps). */
__attribute__((format(printf, 2, 3))) static inline void console_bprintf(console_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    console_vformat(b, fmt, ap);
    va_end(ap);
}

/* Formats one piece of output and sends it as one message. */
__attribute__((format(printf, 1, 2))) static inline void console_printf(const char *fmt, ...)
{
    console_buf b;
    b.len = 0;
    va_list ap;
    va_start(ap, fmt);
    console_vformat(&b, fmt, ap);
    va_end(ap);
    console_write(b.text, b.len);
}

#endif
