/* native_main.c: the native driver: calls the benchmark's run() once and
 * prints its checksum the way `isola run --invoke run` prints an i32 result
 * (signed decimal, one line), so run.sh can compare them directly. Kept in a
 * separate translation unit so gcc cannot inline run() into main(). */
#include <stdio.h>

int run(void);

int main(void)
{
    printf("%d\n", run());
    return 0;
}
