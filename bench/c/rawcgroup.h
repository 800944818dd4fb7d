/*
 * rawcgroup.h - the hand-written baseline for a container with resource limits (section 11).
 *
 * No libnscore: the cgroup work NSCore does for memory + pids + CPU quota/period limits, the
 * way a careful C programmer would write it:
 *   - once per process: where the caller's cgroups are (/proc/self/mountinfo for the cgroup
 *     and cgroup2 mounts, /proc/self/cgroup for the caller's path in each, the caller's cgroup2
 *     cgroup.controllers), and from that the same directories NSCore lays out: one per
 *     hierarchy holding memory, cpu and pids (cgroup2 where the caller's cgroup2 directory
 *     offers the controller, else its v1 hierarchy), then the cgroup2 one (else v1's freezer)
 *     and, with CPU limits on v1, cpuacct; all below the caller's own cgroup;
 *   - per container, while the child waits on a pipe (rawloop.c's parent hook): mkdir of each
 *     directory and its limit files written (memory.limit_in_bytes or memory.max; pids.max;
 *     cpu.cfs_period_us + cpu.cfs_quota_us or cpu.max; for a cgroup2 controller, the parent's
 *     cgroup.subtree_control read and the missing ones enabled), then the pid written to each
 *     cgroup.procs; after waitpid, rmdir of each, the last made first.
 * Each open/write/close is one write(2) of the value, as NSCore writes them.
 */
#ifndef NSBENCH_RAWCGROUP_H
#define NSBENCH_RAWCGROUP_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAW_CG_MAX_DIRS 8
#define RAW_CG_MAX_WRITES 4

typedef struct raw_cg_dir {
    char parent[1024];     /* the caller's directory in this hierarchy */
    char path[1152];       /* parent + "/" + the container's name, while it exists */
    int v2;                /* the cgroup2 hierarchy */
    char controllers[64];  /* cgroup2: "+memory +pids" to enable in the parent; "" for none */
    int nwrites;
    char file[RAW_CG_MAX_WRITES][32];
    char value[RAW_CG_MAX_WRITES][64];
} raw_cg_dir;

typedef struct raw_cgroup {
    int ndirs;
    raw_cg_dir dir[RAW_CG_MAX_DIRS];
    char prefix[64];       /* directories are named PREFIX-<pid>-<n> */
    unsigned counter;
    int made;              /* directories that exist now (dir[0..made-1]) */
    /* nanoseconds spent, summed over every container since init (or raw_cgroup_reset_times) */
    int64_t t_mkdir, t_limits, t_procs, t_rmdir;
    int64_t t_layout;      /* the one-time discovery */
} raw_cgroup;

/** Discovers the caller's cgroups and lays out the directories for a memory limit (bytes),
 *  a pids limit and a CPU quota/period (microseconds); a value <= 0 leaves that limit out.
 *  prefix: the first part of every directory's name. Returns 0 or -errno (-ENOTSUP: a
 *  controller is missing). */
int raw_cgroup_init(raw_cgroup *cg, const char *prefix, int64_t memory, int64_t pids, int64_t quota, int64_t period);

/** A rawloop.c parent hook (arg: the raw_cgroup): makes the directories, writes the limits,
 *  then `pid` into each cgroup.procs. On failure removes what it made. 0 or -errno. */
int raw_cgroup_place(pid_t pid, void *arg);

/** Removes the directories made by the last raw_cgroup_place (the last made first). 0 or
 *  -errno of the first rmdir that failed. */
int raw_cgroup_remove(raw_cgroup *cg);

/** n times: clone3 (rawloop.c, namespaces `ns`) with raw_cgroup_place as the parent hook,
 *  execve(path), waitpid, raw_cgroup_remove. The elapsed ns, or -errno on the first failure
 *  (a non-zero exit status is -EPROTO). */
int64_t raw_cgroup_batch(raw_cgroup *cg, uint32_t ns, const char *path, int n);

/** The directories as a text for messages: "DIR, DIR, ..." (parents, no container name). */
void raw_cgroup_describe(const raw_cgroup *cg, char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
