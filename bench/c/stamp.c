/* stamp.c - prints CLOCK_MONOTONIC in nanoseconds and exits: the command whose start
 * `procbench --ready` times (the time namespace is never new in those runs, so the container's
 * clock is the driver's). */
#include <stdio.h>
#include <time.h>

int main(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    return 0;
}
