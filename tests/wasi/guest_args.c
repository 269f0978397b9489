/*
 * guest_args.c - WASI guest: prints argv and the whole environment, then
 * exits as argv asks: "exit N" calls exit(N) (proc_exit through
 * wasi-libc), "raw N" calls proc_exit directly from a nested call,
 * "return N" returns N from main, "trap" executes unreachable; "tty"
 * first prints which of fds 0-2 are terminals and whether fd 0 can seek.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

extern char **environ;

static __attribute__((noinline)) void nested_exit(int code)
{
    fflush(stdout);
    __wasi_proc_exit((__wasi_exitcode_t)code);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "tty") == 0)
        printf("isatty %d %d %d, seek 0: %s\n", isatty(0), isatty(1), isatty(2),
               lseek(0, 0, SEEK_CUR) == 0 ? "ok" : "fails");
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=<%s>\n", i, argv[i]);
    int n = 0;
    for (char **e = environ; *e; e++, n++)
        printf("env <%s>\n", *e);
    printf("env count %d\n", n);
    const char *home = getenv("HOME");
    printf("HOME %s\n", home ? home : "unset");
    for (int i = 1; i + 1 < argc; i++) {
        int code = atoi(argv[i + 1]);
        if (strcmp(argv[i], "exit") == 0)
            exit(code);
        if (strcmp(argv[i], "raw") == 0)
            nested_exit(code);
        if (strcmp(argv[i], "return") == 0)
            return code;
    }
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "trap") == 0) {
            fflush(stdout);
            __builtin_trap();
        }
    return 0;
}
