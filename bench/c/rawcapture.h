/*
 * rawcapture.h - the hand-written baseline for capturing a command's output (section 12).
 *
 * No libnscore: posix_spawn with stdout and stderr on two O_CLOEXEC pipes, both read to their
 * end with poll(2) straight into buffers that double as they fill (each read asks for all the
 * room left, at least 64 KiB), then waitpid: what a careful C programmer writes for
 * `subprocess.run(..., capture_output=True)`. Linked into the Swift benchmark (its CRawLoop
 * target) to be measured in the same process as `Container.run`.
 */
#ifndef NSBENCH_RAWCAPTURE_H
#define NSBENCH_RAWCAPTURE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Runs argv[0] (an absolute path) with argv, captures its stdout and stderr and waits for it.
 *  Returns the nanoseconds it took, or -errno (a non-zero exit status is -ECHILD). The number
 *  of bytes read from stdout goes to *stdout_bytes; the buffers are freed before it returns. */
int64_t raw_capture(char *const argv[], size_t *stdout_bytes);

#ifdef __cplusplus
}
#endif

#endif
