/* pause.c - what the scale benchmark's containers run: a static program that sleeps until it
 * is killed, like Kubernetes' pause container (few file pages, nothing shared with libc). */
#include <unistd.h>

int main(void)
{
    for (;;)
        pause();
}
