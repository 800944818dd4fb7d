/*
 * spawn_child.h - what the parent side (spawn.c) and the child-side executor (executor.c) share:
 * the block a child is handed at the top of its stack mapping, and the executor's entry point.
 * Internal to CNSCoreShim.
 */
#ifndef NSC_SPAWN_CHILD_H
#define NSC_SPAWN_CHILD_H

#include <pthread.h>
#include <stdint.h>

#include "nsc_shim.h"

/* What the child is handed: it lives at the top of the child's stack mapping. */
struct nsc_child_block {
    const struct nsc_plan *plan;
    struct nsc_child_status *status; /* share_files: where failures go; else NULL */
    int32_t go_locked;               /* parent side: the spawning thread holds go_lock */
    /* share_files handshake: a robust mutex the spawning thread holds from before clone until
     * "go". The child waits on its futex word: 0 is "go"; FUTEX_OWNER_DIED (set by the kernel
     * when the holder exits, whatever way) is "the parent is gone". */
    pthread_mutex_t go_lock;
    struct nsc_child_status status_storage;
};

/* The executor: runs the plan of the block `arg` (a struct nsc_child_block) and execs, or
 * reports a failure and exits 127. Runs on the child's own stack, with every signal blocked. */
int nsc_child_main(void *arg);

/* Set by tests to take the paths of kernels without clone3 and close_range (both sides read it). */
extern volatile int nsc_shim_force_clone_fallback;
/* Set by tests to take the path of a root on the initramfs (MS_MOVE and chroot). */
extern volatile int nsc_shim_force_chroot_fallback;
/* Set by tests to take the paths of kernels without openat2 and mount_setattr. */
extern volatile int nsc_shim_force_legacy_mount;

#endif
