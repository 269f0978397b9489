/*
 * guest_sleep.c - WASI guest for the park-mode host test: sleeps three
 * times (poll_oneoff on a relative clock), yields once, then echoes one
 * line of stdin.
 */
#include <sched.h>
#include <stdio.h>
#include <time.h>

int main(void)
{
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    for (int i = 0; i < 3; i++) {
        nanosleep(&ts, NULL);
        printf("slept %d\n", i);
    }
    sched_yield();
    char line[128];
    if (fgets(line, sizeof line, stdin))
        printf("read: %s", line);
    else
        printf("read: EOF\n");
    return 0;
}
