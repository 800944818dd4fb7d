/*
 * nscore.h - the C interface of NSCore, an embeddable Linux namespace and container engine.
 *
 * Link with -lnscore (pkg-config: nscore). libnscore.so carries the Swift runtime statically:
 * a C program needs nothing but libc, libm, libstdc++ and libgcc_s.
 *
 * Conventions (all functions):
 *   - Functions that can fail return 0 on success or a negative NSCORE_E* code.
 *   - Their last parameter `err` may be NULL. If it is not NULL and the call fails, *err receives
 *     a new error object that the caller frees with nscore_error_free(). On success *err is left
 *     untouched. There is no thread-local "last error".
 *   - Constructors are `int nscore_x_new(nscore_x **out, ..., nscore_error **err)`; the caller
 *     owns what it creates and frees it with nscore_x_free(), which accepts NULL.
 *   - Strings passed in are UTF-8, NUL-terminated and borrowed for the duration of the call.
 *     Returned strings say who owns them.
 *   - Passing NULL where a handle or out-pointer is required returns NSCORE_EINVAL, and so does
 *     a string that is not valid UTF-8. A pointer argument that may be NULL says so, and what
 *     NULL means; every other one is required. Unless a function says otherwise, an out-pointer
 *     is written only on success; functions that create a handle or a string (constructors,
 *     nscore_spawn, nscore_join, nscore_cgroup_open, nscore_inspect_list, the *_json functions)
 *     set *out to NULL first, so it is NULL after a failure.
 *   - Functions without an `err` parameter cannot fail; each says what it returns for NULL.
 *   - An `int enable` (or `create`) takes 0 or 1; any other value is NSCORE_EINVAL.
 *   - Setters of a configuration or profile (nscore_*_config_set_/add_/clear_*, nscore_seccomp_
 *     add_/set_*) copy what they are given (the caller may free or reuse it after the call),
 *     touch no system state, and fail only with NSCORE_EINVAL, leaving the handle unchanged.
 *     What depends on the system (paths, ids, devices, limits) is checked by nscore_spawn() or
 *     nscore_join(), which fail with NSCORE_EINVAL (or the code of the kernel's errno) naming it.
 *   - Functions that call the kernel may also fail with the code of its errno: EINVAL,
 *     ENAMETOOLONG, E2BIG: NSCORE_EINVAL; ENOENT, ENOTDIR: NSCORE_ENOTFOUND; ESRCH:
 *     NSCORE_EEXITED; EPERM, EACCES: NSCORE_EPERM; ENOSYS, EOPNOTSUPP: NSCORE_ENOTSUP; EBUSY,
 *     EUSERS: NSCORE_EBUSY; ETIMEDOUT: NSCORE_ETIMEDOUT; any other (ENOMEM, EMFILE, ENOSPC, ...):
 *     NSCORE_ESYS, with the errno in nscore_error_sys_errno(). The codes listed with a function
 *     are those it returns for reasons of its own, or that a caller is likely to meet.
 *   - Nothing is printed to stdout or stderr by the library.
 *
 * Thread safety: distinct handles may be used from different threads freely. A configuration
 * handle must not be modified while another thread uses it. A container handle may be used
 * from several threads at once (one waiting while another signals).
 */
#ifndef NSCORE_H
#define NSCORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
#define NSCORE_BEGIN_DECL extern "C" {
#define NSCORE_END_DECL }
#else
#define NSCORE_BEGIN_DECL
#define NSCORE_END_DECL
#endif

#if defined(__GNUC__)
#define NSCORE_API __attribute__((visibility("default")))
#else
#define NSCORE_API
#endif

/* A compile-time check of a struct's layout: static_assert in C11 and C++11, else a typedef of
 * an array whose size is negative when `cond` is false. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define NSCORE_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define NSCORE_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#else
#define NSCORE_STATIC_ASSERT_NAME(line) nscore_static_assert_##line
#define NSCORE_STATIC_ASSERT_AT(line) NSCORE_STATIC_ASSERT_NAME(line)
#define NSCORE_STATIC_ASSERT(cond, msg) typedef char NSCORE_STATIC_ASSERT_AT(__LINE__)[(cond) ? 1 : -1]
#endif

NSCORE_BEGIN_DECL

/* ---- Versions --------------------------------------------------------------------------- */

#define NSCORE_VERSION_MAJOR 0
#define NSCORE_VERSION_MINOR 1
#define NSCORE_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH. */
#define NSCORE_VERSION_NUMBER (NSCORE_VERSION_MAJOR * 10000 + NSCORE_VERSION_MINOR * 100 + NSCORE_VERSION_PATCH)
/** True when the header is at least version maj.min.pat. */
#define NSCORE_VERSION_CHECK(maj, min, pat) (NSCORE_VERSION_NUMBER >= ((maj) * 10000 + (min) * 100 + (pat)))
/** The ABI version: the soname is libnscore.so.NSCORE_ABI_VERSION. */
#define NSCORE_ABI_VERSION 0

/** The version of the loaded library, as NSCORE_VERSION_NUMBER. */
NSCORE_API unsigned int nscore_version_number(void);
/** The version of the loaded library as "MAJOR.MINOR.PATCH". Static storage; do not free. */
NSCORE_API const char *nscore_version_string(void);
/** The ABI version of the loaded library; compare with NSCORE_ABI_VERSION. */
NSCORE_API int nscore_abi_version(void);

/* ---- Errors ----------------------------------------------------------------------------- */

/** Return codes. 0 is success; every failure is negative. */
#define NSCORE_OK 0
#define NSCORE_EINVAL (-1)      /**< invalid argument: bad flag bits, empty argv, NULL pointer  */
#define NSCORE_ENOTFOUND (-2)   /**< no such process, file, namespace or command                */
#define NSCORE_EPERM (-3)       /**< permission denied by the kernel                            */
#define NSCORE_ENOTSUP (-4)     /**< the running kernel lacks a needed feature                  */
#define NSCORE_ECHILD (-5)      /**< the child failed in a setup step; see the stage            */
#define NSCORE_EBUSY (-6)       /**< needs a single-threaded caller, or the resource is in use  */
#define NSCORE_EEXITED (-7)     /**< the process exited (or its PID namespace has no init)      */
#define NSCORE_ETIMEDOUT (-8)   /**< a wait with a deadline expired                             */
#define NSCORE_ESYS (-9)        /**< another system call failure; see nscore_error_sys_errno    */

/** An error: a code, the errno from the kernel (0 if none), the failing stage, a message. */
typedef struct nscore_error nscore_error;

/** The NSCORE_E* code (negative). err must not be NULL (returns NSCORE_EINVAL then). */
NSCORE_API int nscore_error_code(const nscore_error *err);
/** The errno the kernel returned, or 0 when the error did not come from a system call (and for
 *  NULL). */
NSCORE_API int nscore_error_sys_errno(const nscore_error *err);
/** The step that failed, e.g. "setns(net)" or "mount proc on /proc" (for an invalid argument,
 *  usually the name of the argument or setting). Owned by err, valid until
 *  nscore_error_free(err); "" (static) for NULL. */
NSCORE_API const char *nscore_error_stage(const nscore_error *err);
/** A complete sentence saying what failed and why. Owned by err, valid until
 *  nscore_error_free(err); "" (static) for NULL. */
NSCORE_API const char *nscore_error_message(const nscore_error *err);
/** 1 when the command itself could not be started: it was not found, is not executable, or its
 *  execve failed (what a shell reports as exit status 127 or 126); else 0. 0 for NULL. */
NSCORE_API int nscore_error_is_command_failure(const nscore_error *err);
/** Frees an error. NULL is allowed. */
NSCORE_API void nscore_error_free(nscore_error *err);

/** Frees a string the library returned through a `char **` out-parameter (the *_json
 *  functions). Not for strings owned by a handle or static ones. NULL is allowed. */
NSCORE_API void nscore_string_free(char *s);

/* ---- Namespace kinds -------------------------------------------------------------------- */

/** Bits for sets of namespace kinds. Any other bit is rejected with NSCORE_EINVAL. */
#define NSCORE_NS_UTS (1u << 0)
#define NSCORE_NS_IPC (1u << 1)
#define NSCORE_NS_PID (1u << 2)
#define NSCORE_NS_NET (1u << 3)
#define NSCORE_NS_MNT (1u << 4)
#define NSCORE_NS_USER (1u << 5)
#define NSCORE_NS_CGROUP (1u << 6)
#define NSCORE_NS_TIME (1u << 7)
#define NSCORE_NS_ALL 0xffu

/** The /proc/PID/ns name of the single kind `ns` ("uts", "ipc", "pid", "net", "mnt", "user",
 *  "cgroup", "time"): a static string, never to be freed. NULL unless exactly one valid bit is
 *  set. Thread-safe. */
NSCORE_API const char *nscore_namespace_name(uint32_t ns);

/* ---- Spawn configuration ---------------------------------------------------------------- */

/** What to run and how to isolate it. Defaults: no new namespace, inherit environment,
 *  working directory and stdio, propagation of / made private in a new mount namespace. */
typedef struct nscore_spawn_config nscore_spawn_config;

/** Creates a configuration with the defaults: *out receives it, freed with
 *  nscore_spawn_config_free(). */
NSCORE_API int nscore_spawn_config_new(nscore_spawn_config **out, nscore_error **err);
/** Frees a configuration. NULL is allowed. */
NSCORE_API void nscore_spawn_config_free(nscore_spawn_config *cfg);

/** Sets argv (NULL-terminated; argv[0] is the command, resolved through PATH unless it holds
 *  a '/'). Copied. Required before nscore_spawn. A NULL or empty argv is NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_argv(nscore_spawn_config *cfg, const char *const *argv, nscore_error **err);
/** Sets the file to execute instead of resolving argv[0]. NULL resets. Copied. */
NSCORE_API int nscore_spawn_config_set_executable(nscore_spawn_config *cfg, const char *path, nscore_error **err);
/** Sets the environment ("NAME=value" strings, NULL-terminated). NULL inherits the caller's. */
NSCORE_API int nscore_spawn_config_set_env(nscore_spawn_config *cfg, const char *const *envp, nscore_error **err);
/** Sets the working directory of the command. NULL keeps the caller's. */
NSCORE_API int nscore_spawn_config_set_cwd(nscore_spawn_config *cfg, const char *dir, nscore_error **err);
/** Sets the namespaces to create (NSCORE_NS_* bits). Unknown bits: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_namespaces(nscore_spawn_config *cfg, uint32_t namespaces, nscore_error **err);
/** Sets the hostname in the new UTS namespace (at most 64 bytes; checked at spawn). NULL unsets. */
NSCORE_API int nscore_spawn_config_set_hostname(nscore_spawn_config *cfg, const char *hostname, nscore_error **err);
/** Sets the NIS domain name in the new UTS namespace (at most 64 bytes). NULL unsets. */
NSCORE_API int nscore_spawn_config_set_domainname(nscore_spawn_config *cfg, const char *domainname, nscore_error **err);
/** Clocks for nscore_spawn_config_set_time_offset (the values of <time.h>'s CLOCK_MONOTONIC and
 *  CLOCK_BOOTTIME). */
#define NSCORE_CLOCK_MONOTONIC 1
#define NSCORE_CLOCK_BOOTTIME 7
/** The offset of `clock` in the new time namespace (OCI linux.timeOffsets; util-linux unshare
 *  --monotonic/--boottime): the clock reads `seconds` + `nanoseconds` (0 to 999999999) more
 *  inside than outside; `seconds` may be negative as long as the clock stays at or above 0 (else
 *  nscore_spawn fails naming /proc/self/timens_offsets). Needs NSCORE_NS_TIME (NSCORE_EINVAL at
 *  spawn otherwise). Written before the command runs; a time namespace without offsets reads
 *  the host's clocks. A clock other than these two, or nanoseconds out of range: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_time_offset(nscore_spawn_config *cfg, int clock, int64_t seconds, int64_t nanoseconds,
                                                   nscore_error **err);

/** Values for nscore_spawn_config_set_mount_proc. */
#define NSCORE_MOUNT_PROC_AUTO (-1) /**< yes when both PID and mount namespaces are new (default) */
#define NSCORE_MOUNT_PROC_NO 0
#define NSCORE_MOUNT_PROC_YES 1
/** Mount a fresh /proc in the new mount namespace: `mode` is NSCORE_MOUNT_PROC_* (another value:
 *  NSCORE_EINVAL). */
NSCORE_API int nscore_spawn_config_set_mount_proc(nscore_spawn_config *cfg, int mode, nscore_error **err);

/** Mount propagation kinds. */
#define NSCORE_PROPAGATION_UNCHANGED 0
#define NSCORE_PROPAGATION_SHARED 1
#define NSCORE_PROPAGATION_SLAVE 2
#define NSCORE_PROPAGATION_PRIVATE 3
#define NSCORE_PROPAGATION_UNBINDABLE 4
#define NSCORE_PROPAGATION_SHARED_SLAVE 5 /**< slave, then shared: receives, and passes on to its own peers */
/** The propagation applied recursively to / in a new mount namespace (default PRIVATE); the OCI
 *  spec's linux.rootfsPropagation. With a root filesystem it is applied before the rootfs is
 *  bound, which inherits it. Without NSCORE_NS_MOUNT only PRIVATE and UNCHANGED are accepted:
 *  nscore_spawn() fails with NSCORE_EINVAL for the others. A value other than
 *  NSCORE_PROPAGATION_*: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_root_propagation(nscore_spawn_config *cfg, int propagation, nscore_error **err);

/* ---- Root filesystem and mounts (the OCI runtime spec's root, mounts, linux.maskedPaths,
 *      linux.readonlyPaths). Each needs NSCORE_NS_MOUNT; the spawn fails otherwise. Every
 *      destination is resolved inside the root with openat2(RESOLVE_IN_ROOT) and never through a
 *      symlink; missing directories (or, for a bind of a file, an empty file) are created.
 *      Errors name the mount: "mounts[1] (tmpfs on /tmp): option bogus: EINVAL". Linux 5.2+
 *      (openat2 and mount_setattr are used where the kernel has them, with fallbacks). */

/** nscore_spawn_config_set_root() flags. */
#define NSCORE_ROOT_READONLY 1 /* the root mount is read-only (OCI root.readonly)              */
#define NSCORE_ROOT_IDMAP 2    /* the root is mounted idmapped with the container's user
                                  namespace (mount_setattr(MOUNT_ATTR_IDMAP), Linux 5.12): the
                                  host's ids own what they owned, seen through the maps (host
                                  root's files are the container root's, and what it writes is
                                  host root's). Needs uid/gid mappings, a caller with
                                  CAP_SYS_ADMIN over the filesystem, and a filesystem that can
                                  (ext4, xfs, btrfs, tmpfs 6.3+, ...); binds take the options
                                  "idmap" / "ridmap" (with submounts). */
/** Runs the container in root filesystem `path` (a directory of the caller's mount namespace):
 *  it is bound onto itself, the mounts are made inside it, then pivot_root enters it and the
 *  host's tree is detached (MS_MOVE and chroot where the caller's root is an initramfs).
 *  `flags`: 0, or NSCORE_ROOT_* bits (1, NSCORE_ROOT_READONLY, is what the argument meant
 *  before it took flags). Commands are looked up in the rootfs (the child's PATH, else the
 *  default one). NULL path: no root filesystem (the default). Copied. Other flag bits or an
 *  empty path: NSCORE_EINVAL; a path that is not a directory fails at nscore_spawn(). */
NSCORE_API int nscore_spawn_config_set_root(nscore_spawn_config *cfg, const char *path, int flags, nscore_error **err);
/** With a root filesystem, mount what a container expects before the caller's mounts (enable 1,
 *  the default): proc (nosuid,nodev,noexec); /dev, a tmpfs with null, zero, full, random,
 *  urandom and tty (made with mknod, or bound from the host in a new user namespace) and the
 *  links fd, stdin, stdout, stderr and ptmx; /dev/pts (a new devpts instance); /dev/shm;
 *  /dev/mqueue with a new IPC namespace; sysfs, read-only unless the network namespace is new.
 *  0 mounts only what nscore_spawn_config_add_mount() gives (an OCI config lists them all). */
NSCORE_API int nscore_spawn_config_set_default_mounts(nscore_spawn_config *cfg, int enable, nscore_error **err);
/** Appends a mount, made after the default ones, in order (an OCI mounts[] entry).
 *  - destination: absolute, inside the container.
 *  - type: "bind", "tmpfs", "proc", "sysfs", "mqueue", "devpts", "overlay", or any filesystem;
 *    NULL with a "bind" or "rbind" option is a bind mount.
 *  - source: a path of the caller's mount namespace for a bind; the filesystem's source word
 *    otherwise (may be NULL).
 *  - options (NULL-terminated, or NULL): flags ro rw nosuid suid nodev dev noexec exec noatime
 *    relatime strictatime nodiratime; bind or rbind (with submounts; recursive read-only; type
 *    "bind" with neither binds the one mount, as runc does);
 *    propagation private shared slave unbindable shared+slave, with an r prefix for the whole
 *    tree; anything else is filesystem data (size=64m, mode=1777, lowerdir=A:B, upperdir=U,
 *    workdir=W, newinstance).
 *  Copied. Checked at spawn. A NULL destination: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_add_mount(nscore_spawn_config *cfg, const char *destination, const char *type,
                                             const char *source, const char *const *options, nscore_error **err);
/** Removes every mount added with nscore_spawn_config_add_mount(). */
NSCORE_API int nscore_spawn_config_clear_mounts(nscore_spawn_config *cfg, nscore_error **err);
/** Paths hidden from the container (NULL-terminated, absolute): an empty read-only tmpfs over a
 *  directory, /dev/null (checked to be the char device 1:3) over a file; a path the kernel does
 *  not have is skipped. NULL restores the default: with a root filesystem, Docker's list
 *  (/proc/asound, /proc/acpi, /proc/interrupts, /proc/kcore, /proc/keys, /proc/latency_stats,
 *  /proc/timer_list, /proc/timer_stats, /proc/sched_debug, /proc/scsi, /sys/firmware,
 *  /sys/devices/virtual/powercap); without, none. An empty array masks nothing. Copied. */
NSCORE_API int nscore_spawn_config_set_masked_paths(nscore_spawn_config *cfg, const char *const *paths, nscore_error **err);
/** Paths made read-only, recursively (NULL-terminated, absolute). NULL restores the default:
 *  with a root filesystem, /proc/bus, /proc/fs, /proc/irq, /proc/sys, /proc/sysrq-trigger;
 *  without, none. Copied. */
NSCORE_API int nscore_spawn_config_set_readonly_paths(nscore_spawn_config *cfg, const char *const *paths, nscore_error **err);

/** Run the command under NSCore's init as PID 1 (reaps zombies, forwards SIGTERM, SIGINT,
 *  SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, exits with the command's exit code, or
 *  128 + N when a signal N killed it, as a shell reports it). enable: 0 or 1. */
NSCORE_API int nscore_spawn_config_set_init(nscore_spawn_config *cfg, int enable, nscore_error **err);
/** Map root inside a new user namespace to the caller's uid/gid (implies NSCORE_NS_USER); enable
 *  0 or 1. With uid or gid mappings added, nscore_spawn() fails with NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_map_root_user(nscore_spawn_config *cfg, int enable, nscore_error **err);
/** Appends a line to the uid map of the new user namespace (OCI `linux.uidMappings`): `size` (at
 *  least 1, else NSCORE_EINVAL here) uids from `container_id` inside are `host_id`... outside. Any
 *  line implies NSCORE_NS_USER and excludes nscore_spawn_config_set_map_root_user(). Checked at
 *  spawn as the kernel would (no two lines overlapping inside or outside, at most 340 lines, no
 *  range past 4294967295): NSCORE_EINVAL naming the line. Root writes any map; another caller
 *  writes a map of its own uid (one line of size 1) itself and goes through newuidmap (Debian
 *  package uidmap, /etc/subuid) for anything else (NSCORE_ENOTFOUND when it is not installed).
 *  Without a user (nscore_spawn_config_set_user), the command keeps the caller's uid where the map
 *  maps it, and otherwise runs as uid 0 of the map. */
NSCORE_API int nscore_spawn_config_add_uid_mapping(nscore_spawn_config *cfg, uint32_t container_id, uint32_t host_id,
                                                   uint32_t size, nscore_error **err);
/** The same for the gid map (OCI `linux.gidMappings`; newgidmap, /etc/subgid). An unprivileged
 *  caller's map of its own gid makes the kernel deny setgroups(2) in the namespace. */
NSCORE_API int nscore_spawn_config_add_gid_mapping(nscore_spawn_config *cfg, uint32_t container_id, uint32_t host_id,
                                                   uint32_t size, nscore_error **err);
/** Empties both maps. */
NSCORE_API int nscore_spawn_config_clear_id_mappings(nscore_spawn_config *cfg, nscore_error **err);
/** no_new_privs for the command (PR_SET_NO_NEW_PRIVS, OCI `process.noNewPrivileges`): setuid
 *  programs and file capabilities then give it nothing. mode 1 on, 0 off, -1 the default: on
 *  for a spawn with a root filesystem, off for a plain namespace spawn (where sudo keeps
 *  working). Other values: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_no_new_privileges(nscore_spawn_config *cfg, int mode, nscore_error **err);
/** The user the command runs as: nscore_process_config_set_user() on the process part. */
NSCORE_API int nscore_spawn_config_set_user(nscore_spawn_config *cfg, uint32_t uid, uint32_t gid,
                                            const uint32_t *additional_gids, size_t count, nscore_error **err);
/** SIGKILL the container when the *thread* that spawned it exits (PR_SET_PDEATHSIG); enable 0
 *  or 1. Default 0. */
NSCORE_API int nscore_spawn_config_set_kill_on_parent_death(nscore_spawn_config *cfg, int enable, nscore_error **err);
/** A new terminal for the command: nscore_process_config_set_terminal() on the process part. */
NSCORE_API int nscore_spawn_config_set_terminal(nscore_spawn_config *cfg, int enable, unsigned rows, unsigned cols,
                                                nscore_error **err);

/** Sources for the child's standard streams. */
#define NSCORE_STDIO_INHERIT 0 /**< the caller's own fd 0, 1 or 2 (default) */
#define NSCORE_STDIO_NULL 1    /**< /dev/null */
#define NSCORE_STDIO_FD 2      /**< a duplicate of `fd`, which the caller keeps */
#define NSCORE_STDIO_PIPE 3    /**< a new pipe; the caller's end from nscore_container_stdio_fd() */
/** Sets where stream `stream` (0, 1 or 2) of the child comes from. fd is used with NSCORE_STDIO_FD
 *  and ignored otherwise. With NSCORE_STDIO_PIPE, nscore_spawn() (or nscore_join()) makes a pipe
 *  (O_CLOEXEC) whose one end becomes the stream; nscore_container_stdio_fd() hands out the
 *  other. A bad stream or mode, or a negative fd with NSCORE_STDIO_FD: NSCORE_EINVAL. The fd
 *  must still be open at nscore_spawn() (it is checked and duplicated then); the caller keeps
 *  and closes it. */
NSCORE_API int nscore_spawn_config_set_stdio(nscore_spawn_config *cfg, int stream, int mode, int fd, nscore_error **err);

/* ---- Network (how a new network namespace is connected). Root only: the host end of a veth
 *      pair and the bridge are made in the network namespace of the thread that calls
 *      nscore_spawn(), which may be a namespace the caller entered with setns(2) on that thread.
 *      Text (addresses, MAC) is parsed by the setters: a typo is NSCORE_EINVAL there, with a
 *      message saying what is wrong ("'10.0.0.2' has no prefix length"). Everything else is
 *      checked by nscore_spawn(), which fails with NSCORE_EINVAL (or NSCORE_ENOTFOUND for a
 *      missing bridge) before anything is created, or deletes what it created. */

/** Values for nscore_spawn_config_set_network. */
#define NSCORE_NETWORK_NONE 0 /**< only lo, up (default) */
#define NSCORE_NETWORK_VETH 1 /**< a veth pair set up while the child waits; needs NSCORE_NS_NET */
/** How the new network namespace is connected. With NSCORE_NETWORK_VETH the parent, while the
 *  child waits before its exec, creates a veth pair with one end inside (see
 *  nscore_spawn_config_set_veth_interface()), gives it its MAC, addresses, MTU, `up` and a
 *  default route through the gateway, and puts the host end, up, on the bridge when one is set.
 *  The command starts with the network ready. With no IPv6 address the inside end gets no IPv6
 *  link-local address either (it sends no IPv6 packet of its own). The host end is deleted when
 *  the container is reaped (which takes the kernel tens of milliseconds, within
 *  nscore_container_wait()); a bridge stays for the next container. Without NSCORE_NS_NET, nscore_spawn() fails
 *  with NSCORE_EINVAL. Any other mode: NSCORE_EINVAL. The settings below are kept with the
 *  configuration whatever the mode, and used when the mode is NSCORE_NETWORK_VETH. */
NSCORE_API int nscore_spawn_config_set_network(nscore_spawn_config *cfg, int mode, nscore_error **err);
/** Joins an existing network namespace instead (docker's `--network container:`): `path` is its
 *  file (`/run/netns/NAME`, or `/proc/PID/ns/net` to share a running process's). The child is
 *  cloned from a thread that entered it, so it needs no NSCORE_NS_NET (with it, nscore_spawn()
 *  fails with NSCORE_EINVAL); the calling thread is back in its own namespace afterwards. A
 *  path that does not exist or is not a network namespace fails at nscore_spawn(). NULL
 *  returns to the mode set with nscore_spawn_config_set_network(). Copied. An empty path:
 *  NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_network_namespace(nscore_spawn_config *cfg, const char *path, nscore_error **err);
/** Deletes the bridge `name` from the calling thread's network namespace. A bridge a veth spawn
 *  created stays for the next containers; this removes it (its ports are detached; their
 *  containers keep their own ends). `name` is required. No such link: NSCORE_ENOTFOUND; a link
 *  that is not a bridge (left alone) or an invalid interface name: NSCORE_EINVAL; without
 *  CAP_NET_ADMIN: NSCORE_EPERM. */
NSCORE_API int nscore_bridge_remove(const char *name, nscore_error **err);
/** Names the inside end (NULL: "eth0") and the host end (NULL: a free generated "nscXXXXXXXX")
 *  of the veth pair. Names are 1 to 15 bytes without '/', ':', '%' or whitespace (checked at
 *  spawn). Copied. */
NSCORE_API int nscore_spawn_config_set_veth_interface(nscore_spawn_config *cfg, const char *inside, const char *host,
                                                      nscore_error **err);
/** Puts the host end on bridge `name` (NULL: no bridge, the default; address_cidr must then be
 *  NULL). create (0 or 1): make the bridge, up, when it does not exist; with 0 a missing bridge
 *  is NSCORE_ENOTFOUND at spawn. address_cidr ("10.0.0.1/24", or NULL) is given to the bridge
 *  when it does not have it: the containers' gateway. An existing link of that name that is not
 *  a bridge is NSCORE_EINVAL at spawn. Copied. An address_cidr without a name, or one that does
 *  not parse: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_bridge(nscore_spawn_config *cfg, const char *name, const char *address_cidr,
                                              int create, nscore_error **err);
/** Appends an address of the inside end, with its prefix length: "10.0.0.2/24" or "fd00::2/64"
 *  (IPv6 ones are usable at once, without duplicate address detection). `cidr` is required; one
 *  that does not parse: NSCORE_EINVAL. A duplicate is NSCORE_EINVAL at spawn. */
NSCORE_API int nscore_spawn_config_add_address(nscore_spawn_config *cfg, const char *cidr, nscore_error **err);
/** Removes every address added with nscore_spawn_config_add_address(). */
NSCORE_API int nscore_spawn_config_clear_addresses(nscore_spawn_config *cfg, nscore_error **err);
/** The default route's gateway inside ("10.0.0.1" or "fd00::1"; NULL: no default route). It
 *  must lie in the subnet of one of the addresses (NSCORE_EINVAL at spawn otherwise). An address
 *  that does not parse: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_gateway(nscore_spawn_config *cfg, const char *address, nscore_error **err);
/** The MTU of both ends, 68 to 65535 (checked at spawn); 0: the kernel's default. */
NSCORE_API int nscore_spawn_config_set_mtu(nscore_spawn_config *cfg, unsigned int mtu, nscore_error **err);
/** The MAC address of the inside end ("02:00:0a:00:00:02"; NULL: the kernel's random one). One
 *  that does not parse: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_mac(nscore_spawn_config *cfg, const char *mac, nscore_error **err);

/* ---- Process configuration -------------------------------------------------------------- */

/** The process a spawn or a join starts: command, environment, working directory, standard
 *  streams and parent-death signal. It is part of its spawn or join configuration, which owns
 *  it: get it with nscore_spawn_config_process() or nscore_join_config_process(); it is valid
 *  as long as that configuration, and is never freed on its own. The setters below are the same
 *  for spawns and joins (nscore_spawn_config_set_argv() and its siblings do the same thing). */
typedef struct nscore_process_config nscore_process_config;

/** The process part of `cfg`, borrowed from it. NULL for NULL. */
NSCORE_API nscore_process_config *nscore_spawn_config_process(nscore_spawn_config *cfg);
/** Sets argv (NULL-terminated; argv[0] is the command, resolved through PATH unless it holds
 *  a '/'). Copied. Required before the spawn or join. A NULL or empty argv is NSCORE_EINVAL. */
NSCORE_API int nscore_process_config_set_argv(nscore_process_config *p, const char *const *argv, nscore_error **err);
/** Sets the file to execute instead of resolving argv[0]. NULL resets. Copied. */
NSCORE_API int nscore_process_config_set_executable(nscore_process_config *p, const char *path, nscore_error **err);
/** Sets the environment ("NAME=value" strings, NULL-terminated). NULL inherits the caller's. */
NSCORE_API int nscore_process_config_set_env(nscore_process_config *p, const char *const *envp, nscore_error **err);
/** Sets the working directory of the command. NULL keeps the caller's (for a join that enters a
 *  mount namespace: that namespace's /). */
NSCORE_API int nscore_process_config_set_cwd(nscore_process_config *p, const char *dir, nscore_error **err);
/** Sets where stream `stream` (0, 1 or 2) comes from (NSCORE_STDIO_*); fd is used with
 *  NSCORE_STDIO_FD, as in nscore_spawn_config_set_stdio(). A bad stream or mode, or a negative
 *  fd with NSCORE_STDIO_FD: NSCORE_EINVAL. */
NSCORE_API int nscore_process_config_set_stdio(nscore_process_config *p, int stream, int mode, int fd, nscore_error **err);
/** 1 (the default): the command starts in a new session (setsid), as runc and crun start every
 *  container process. In the caller's session it would have the caller's controlling terminal
 *  and could push input into the caller's shell with TIOCSTI (bubblewrap's CVE-2017-5226); in
 *  its own it has none, and TIOCSTI fails with EPERM. It can still read and write a terminal
 *  it inherits as stdio, but the terminal's signals (Ctrl-C) reach only the caller's foreground
 *  job. 0 keeps the caller's session (an interactive shell's job control on the caller's
 *  terminal, at that risk). With a terminal (below) the command always leads a new session.
 *  NSCORE_EINVAL: enable not 0 or 1, NULL p. */
NSCORE_API int nscore_process_config_set_new_session(nscore_process_config *p, int enable, nscore_error **err);
/** Gives the command a new pseudo-terminal (OCI `process.terminal`) when enable is 1 (default
 *  0): it runs in a new session with the pty as its controlling terminal, and every stream left
 *  at NSCORE_STDIO_INHERIT is the pty. rows x cols is its initial size (OCI
 *  `process.consoleSize`); 0 x 0 leaves the kernel's 0 x 0; each at most 65535. After the spawn
 *  or join, nscore_container_terminal_fd() hands out the multiplexer (master) side.
 *  - Spawn: the child makes the pty after its mounts from the /dev/ptmx it sees then: with a
 *    root filesystem and the default mounts, one of the container's own /dev/pts (`tty` says
 *    /dev/pts/0), also bound on /dev/console (never through a symlink there).
 *  - Join: a pty of the target's /dev/ptmx (resolved inside the target's root) when the join
 *    enters its mount namespace, else of the caller's /dev/ptmx.
 *  NSCORE_EINVAL: enable not 0 or 1, a size above 65535, a size with enable 0. */
NSCORE_API int nscore_process_config_set_terminal(nscore_process_config *p, int enable, unsigned rows, unsigned cols,
                                                  nscore_error **err);
/** SIGKILL the process when the *thread* that started it exits (PR_SET_PDEATHSIG); enable 0
 *  or 1. Default 0. */
NSCORE_API int nscore_process_config_set_kill_on_parent_death(nscore_process_config *p, int enable, nscore_error **err);
/** The user, group and supplementary groups (`count` of `additional_gids`; NULL with 0 clears
 *  them) the command runs as (OCI `process.user`), as ids of the namespace it runs in: with uid
 *  and gid maps, ids inside them (each must be mapped: NSCORE_EINVAL otherwise). The child sets
 *  them after its mounts, before the working directory and exec; a non-root uid keeps no
 *  capability. -1 (4294967295), a count above 65536, or additional_gids NULL with a count
 *  above 0: NSCORE_EINVAL. Copied. Spawns only: a join with a user set fails with
 *  NSCORE_EINVAL. */
NSCORE_API int nscore_process_config_set_user(nscore_process_config *p, uint32_t uid, uint32_t gid,
                                              const uint32_t *additional_gids, size_t count, nscore_error **err);
/** Back to the caller's user (the default). */
NSCORE_API int nscore_process_config_clear_user(nscore_process_config *p, nscore_error **err);

/** Capability sets (OCI `process.capabilities`), bits for nscore_process_config_set_capabilities. */
#define NSCORE_CAPS_BOUNDING 1u
#define NSCORE_CAPS_EFFECTIVE 2u
#define NSCORE_CAPS_INHERITABLE 4u
#define NSCORE_CAPS_PERMITTED 8u
#define NSCORE_CAPS_AMBIENT 16u
/** Sets each capability set named in `which` (NSCORE_CAPS_* bits) to `names` (NULL-terminated:
 *  "CAP_CHOWN", "chown" or "CHOWN"; "ALL" for every capability the kernel has; an empty array for
 *  none; NULL is NSCORE_EINVAL). `which` 0 or with other bits: NSCORE_EINVAL. The first call starts
 *  from Docker's default sets (see below); sets not named keep their value. An unknown name is
 *  NSCORE_EINVAL with a message that lists the valid ones. Default, without any call: a spawn with
 *  a root filesystem gets Docker's default set (CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD,
 *  NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE as
 *  bounding, effective and permitted; no inheritable or ambient one); a plain namespace spawn keeps
 *  the caller's (in a new user namespace: all). The child drops the bounding set, switches user
 *  (keeping its permitted set), then sets effective, permitted and inheritable (capset) and the
 *  ambient set, just before exec. At spawn, effective must be within permitted, inheritable within
 *  bounding and ambient within permitted and inheritable (NSCORE_EINVAL otherwise). Every set is
 *  limited to the spawning thread's bounding set ("ALL": every capability the caller can give).
 *  Spawns only: a join with capabilities set fails with NSCORE_EINVAL. */
NSCORE_API int nscore_process_config_set_capabilities(nscore_process_config *p, unsigned which, const char *const *names,
                                                      nscore_error **err);
/** Docker's --cap-add and --cap-drop: removes `drop` from the bounding, effective and permitted
 *  sets, then adds `add` to them ("ALL" in `add`: every capability but `drop`), and removes
 *  `drop` from inheritable and ambient; starting from the sets already set, or Docker's
 *  default. So drop ALL, add CHOWN leaves CHOWN. Either may be NULL. */
NSCORE_API int nscore_process_config_adjust_capabilities(nscore_process_config *p, const char *const *add,
                                                         const char *const *drop, nscore_error **err);
/** Back to the default capabilities (see nscore_process_config_set_capabilities). */
NSCORE_API int nscore_process_config_clear_capabilities(nscore_process_config *p, nscore_error **err);
/** No limit, for nscore_process_config_add_rlimit. */
#define NSCORE_RLIM_INFINITY UINT64_MAX
/** Adds a resource limit of the command (OCI `process.rlimits`): `type` is "RLIMIT_NOFILE" or
 *  "nofile" (any RLIMIT_*), `soft` at most `hard`, NSCORE_RLIM_INFINITY for none. Set in the
 *  child before anything else it does; raising a hard limit needs CAP_SYS_RESOURCE (the spawn
 *  then fails naming the limit). An unknown type (the message lists the valid ones), soft above
 *  hard or a type already set: NSCORE_EINVAL. Spawns only. */
NSCORE_API int nscore_process_config_add_rlimit(nscore_process_config *p, const char *type, uint64_t soft, uint64_t hard,
                                                nscore_error **err);
/** Removes the resource limits set: the command keeps the caller's. */
NSCORE_API int nscore_process_config_clear_rlimits(nscore_process_config *p, nscore_error **err);
/** The OOM killer's score adjustment of the command (OCI `process.oomScoreAdj`): -1000 to 1000
 *  (NSCORE_EINVAL otherwise). Lowering it below the caller's needs CAP_SYS_RESOURCE. Spawns
 *  only. */
NSCORE_API int nscore_process_config_set_oom_score_adj(nscore_process_config *p, int adj, nscore_error **err);
/** Back to the caller's OOM score adjustment. */
NSCORE_API int nscore_process_config_clear_oom_score_adj(nscore_process_config *p, nscore_error **err);

/* ---- Seccomp (the OCI runtime spec's linux.seccomp; seccomp(2)) --------------------------
 *      A profile says what each system call of the command does: run, fail with an errno, kill,
 *      trap, trace, log, or wait for a supervisor's answer (NSCORE_SECCOMP_NOTIFY). NSCore
 *      compiles it to classic BPF itself (no libseccomp) and the child installs it as its last
 *      step before execve, so the setup is not filtered (without no_new_privs: before it
 *      changes user and capabilities, since installing then needs CAP_SYS_ADMIN; the steps
 *      after that are filtered, see nscore_spawn_config_set_seccomp()). Default, without
 *      nscore_spawn_config_set_seccomp(): a spawn with a root filesystem gets NSCore's default
 *      profile (see nscore_seccomp_default()), a plain namespace spawn gets none. Rules for
 *      a syscall are tried in the order they were added; the first whose comparisons hold
 *      decides; a syscall no rule matches gets the default action. A rule that compares the
 *      same argument twice matches when either comparison holds; comparisons of different
 *      arguments must all hold (runc's reading). */

/** A seccomp profile (mutable, owned by its creator, freed with nscore_seccomp_free()). */
typedef struct nscore_seccomp nscore_seccomp;

/** Actions (OCI SCMP_ACT_*). `data` is the errno of ERRNO (0 to 4095) and the value of TRACE
 *  (0 to 65535); it must be 0 with every other action. */
#define NSCORE_SECCOMP_ALLOW 0        /**< run the syscall */
#define NSCORE_SECCOMP_ERRNO 1        /**< fail it with errno `data`, without running it */
#define NSCORE_SECCOMP_KILL_PROCESS 2 /**< kill the whole process with SIGSYS (it dumps core) */
#define NSCORE_SECCOMP_KILL_THREAD 3  /**< kill the calling thread with SIGSYS (OCI SCMP_ACT_KILL) */
#define NSCORE_SECCOMP_TRAP 4         /**< send the thread SIGSYS, which it may catch */
#define NSCORE_SECCOMP_TRACE 5        /**< stop for a ptrace tracer (value `data`); without one, ENOSYS */
#define NSCORE_SECCOMP_LOG 6          /**< run it and log it (audit log) */
#define NSCORE_SECCOMP_NOTIFY 7       /**< hold the thread until a supervisor answers on the container's listener */

/** Comparison operators of an argument (libseccomp's SCMP_CMP_* numbering); arguments are
 *  compared as 64-bit unsigned integers. */
#define NSCORE_SECCOMP_CMP_NE 1
#define NSCORE_SECCOMP_CMP_LT 2
#define NSCORE_SECCOMP_CMP_LE 3
#define NSCORE_SECCOMP_CMP_EQ 4
#define NSCORE_SECCOMP_CMP_GE 5
#define NSCORE_SECCOMP_CMP_GT 6
#define NSCORE_SECCOMP_CMP_MASKED_EQ 7 /**< (argument & value) == value_two */

/** One comparison of a rule (an OCI `args` entry). */
typedef struct nscore_seccomp_arg {
    uint32_t index;     /**< which argument, 0 to 5 */
    uint32_t op;        /**< NSCORE_SECCOMP_CMP_* */
    uint64_t value;     /**< the value compared with; the mask for MASKED_EQ */
    uint64_t value_two; /**< for MASKED_EQ: what the masked argument must equal; else ignored */
} nscore_seccomp_arg;
/* The library reads these by offset. */
NSCORE_STATIC_ASSERT(sizeof(nscore_seccomp_arg) == 24 && offsetof(nscore_seccomp_arg, op) == 4 &&
                         offsetof(nscore_seccomp_arg, value) == 8 && offsetof(nscore_seccomp_arg, value_two) == 16,
                     "nscore_seccomp_arg: index, op, value, value_two at 0, 4, 8, 16");

/** Flags of seccomp(2) (OCI `flags`; the kernel's SECCOMP_FILTER_FLAG_* values). */
#define NSCORE_SECCOMP_FLAG_TSYNC 1u              /**< no effect: the child has one thread */
#define NSCORE_SECCOMP_FLAG_LOG 2u                /**< log every action but ALLOW */
#define NSCORE_SECCOMP_FLAG_SPEC_ALLOW 4u         /**< no forced speculative store bypass mitigation */
#define NSCORE_SECCOMP_FLAG_WAIT_KILLABLE_RECV 32u /**< a notified thread waits killably once received (Linux 5.19) */

/** Creates a profile with no rule whose default action is `default_action` (NSCORE_SECCOMP_*,
 *  with its `data`). An unknown action, an out-of-range `data` or a `data` given to an action
 *  that takes none: NSCORE_EINVAL naming the value. No architecture is listed: the filter
 *  admits this machine's own and the 32-bit one it runs (x86_64 and x86 on x86_64). */
NSCORE_API int nscore_seccomp_new(nscore_seccomp **out, int default_action, uint32_t data, nscore_error **err);
/** Creates NSCore's default profile, equivalent in effect to Docker's: an allow list of about
 *  350 syscalls, everything else EPERM (clone3 ENOSYS without CAP_SYS_ADMIN, so the C library
 *  falls back to clone, whose flags may then create no namespace), socket(AF_VSOCK) refused,
 *  personality limited. The syscalls that need a capability (mount, umount2, unshare, setns
 *  and sethostname with CAP_SYS_ADMIN, kcmp and pidfd_getfd with CAP_SYS_PTRACE, ...) are
 *  allowed only when the container's bounding set has it: that part is chosen at each spawn. Rules added to it with
 *  nscore_seccomp_add_rule() come before its own (the first matching rule decides). */
NSCORE_API int nscore_seccomp_default(nscore_seccomp **out, nscore_error **err);
/** Reads an OCI `linux.seccomp` object, or a whole config.json (its linux.seccomp), of
 *  `length` bytes of UTF-8 at `json` (no NUL needed; a NUL byte inside is NSCORE_EINVAL).
 *  SCMP_ACT_ERRNO's errno is `errnoRet` (EPERM when absent), SCMP_ACT_TRACE's value too;
 *  SCMP_ACT_KILL is KILL_THREAD; `names` or the older `name`; `comment` is ignored. Every
 *  syscall name is checked against the syscall tables (x86_64, x86, aarch64): a name that no
 *  architecture has is an error, one this machine lacks is skipped. Refused, with
 *  NSCORE_EINVAL and a message naming the place ("seccomp: syscalls[2].args[0].op: unknown
 *  operator 'SCMP_CMP_FOO'; the known ones are ...", "seccomp: syscalls[0].names[1]: unknown
 *  syscall 'foo'"): invalid JSON, unknown members, actions, operators, architectures and
 *  flags, `listenerPath` (the listener is given to the caller instead, see
 *  nscore_container_seccomp_listener()), and Docker's profile format (`archMap`, `includes`). */
NSCORE_API int nscore_seccomp_from_json(nscore_seccomp **out, const char *json, size_t length, nscore_error **err);
/** The profile as an OCI `linux.seccomp` object ({"defaultAction":"SCMP_ACT_ERRNO",
 *  "defaultErrnoRet":1,"architectures":[],"syscalls":[{"names":["getppid"],"action":
 *  "SCMP_ACT_ERRNO","errnoRet":77,"args":[...]}]}), which nscore_seccomp_from_json() reads
 *  back. The default profile is written with its rules for the calling thread's bounding set.
 *  *json_out receives a string the caller frees with nscore_string_free(). */
NSCORE_API int nscore_seccomp_to_json(const nscore_seccomp *seccomp, char **json_out, nscore_error **err);
/** Appends a rule: the `count` syscalls of `names` (at least one; "getppid", any name of the
 *  x86_64, x86 or aarch64 tables) do `action` (NSCORE_SECCOMP_*, with its `data`) when every
 *  comparison of `args` (`nargs` of them; NULL with 0 for none) holds. An unknown name, action
 *  or operator, an index above 5 or a bad `data`: NSCORE_EINVAL naming it ("names[1]: unknown
 *  syscall 'fly'", "args[0].op 9 is not ..."), and the profile is unchanged. Strings copied. */
NSCORE_API int nscore_seccomp_add_rule(nscore_seccomp *seccomp, const char *const *names, size_t count, int action,
                                       uint32_t data, const nscore_seccomp_arg *args, size_t nargs, nscore_error **err);
/** Adds an architecture whose syscalls the filter admits (OCI `architectures`):
 *  "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64", ... (an unknown name is
 *  NSCORE_EINVAL listing the known ones). Once any is listed, a syscall of an architecture not
 *  listed kills the process; architectures this machine cannot run are accepted and ignored.
 *  The x32 ABI is always refused with ENOSYS. Adding one twice keeps it once. */
NSCORE_API int nscore_seccomp_add_architecture(nscore_seccomp *seccomp, const char *name, nscore_error **err);
/** Sets the seccomp(2) flags (NSCORE_SECCOMP_FLAG_* bits, replacing the previous ones; 0 for
 *  none). Any other bit: NSCORE_EINVAL. */
NSCORE_API int nscore_seccomp_set_flags(nscore_seccomp *seccomp, uint32_t flags, nscore_error **err);
/** Compiles the profile for this machine, as a spawn would (the default profile for the
 *  calling thread's bounding set): a classic BPF program, `struct sock_filter` array of
 *  *length_out / 8 instructions, ready for seccomp(SECCOMP_SET_MODE_FILTER, *flags_out,
 *  &(struct sock_fprog){...}). *length_out (required) always receives the program's size in
 *  bytes; `buffer` NULL with `capacity` 0 asks for that alone and succeeds. A `capacity` below
 *  it is NSCORE_EINVAL, with *length_out set and nothing copied. *flags_out (may be NULL) gets
 *  the SECCOMP_FILTER_FLAG_* bits, with NEW_LISTENER (8) when a rule notifies. A bad rule, a
 *  program over the kernel's 4096 instructions, or a profile that does not allow execve (no
 *  command could start under it): NSCORE_EINVAL naming it. Programs are cached per profile. */
NSCORE_API int nscore_seccomp_compile(const nscore_seccomp *seccomp, void *buffer, size_t capacity, size_t *length_out,
                                      uint32_t *flags_out, nscore_error **err);
/** Frees a profile. NULL is allowed. */
NSCORE_API void nscore_seccomp_free(nscore_seccomp *seccomp);

/** Gives the command the profile `seccomp` (copied: the handle may change or be freed after
 *  the call). NULL goes back to the default (see above). The profile is checked at spawn: a
 *  bad rule fails it with NSCORE_EINVAL, and so does a profile that does not allow the calls
 *  the child still makes after installing it, named in the message: execve (execveat with
 *  nscore_spawn_config_set_init()), and sendmsg and close when a rule notifies. Installing a
 *  filter needs no_new_privs or CAP_SYS_ADMIN: an unprivileged caller needs
 *  nscore_spawn_config_set_no_new_privileges(cfg, 1) (the default with a root filesystem) or a
 *  new user namespace, else the spawn fails with NSCORE_EPERM (EACCES) at stage "seccomp
 *  (install the filter)". Without no_new_privs the filter is installed before the child changes
 *  user and capabilities, so it must also allow what the child does after that (setresuid,
 *  capset, dup3, close_range, ...). */
NSCORE_API int nscore_spawn_config_set_seccomp(nscore_spawn_config *cfg, const nscore_seccomp *seccomp,
                                               nscore_error **err);
/** No seccomp filter at all, even with a root filesystem (Docker's seccomp=unconfined).
 *  nscore_spawn_config_set_seccomp(cfg, NULL, err) goes back to the default. */
NSCORE_API int nscore_spawn_config_set_seccomp_unconfined(nscore_spawn_config *cfg, nscore_error **err);

/** A syscall held by an NSCORE_SECCOMP_NOTIFY rule (struct seccomp_notif, Linux 5.0). */
typedef struct nscore_seccomp_notification {
    uint64_t id;                  /**< the kernel's cookie: answer with it */
    int32_t pid;                  /**< the calling thread, in the listener's PID namespace (0 if not visible) */
    int32_t nr;                   /**< the syscall number, on `arch` */
    uint32_t arch;                /**< the audit architecture (AUDIT_ARCH_X86_64 0xc000003e, ...) */
    uint32_t reserved;            /**< 0 */
    uint64_t instruction_pointer; /**< where the call was made */
    uint64_t args[6];             /**< the arguments (pointers point into the caller's memory) */
} nscore_seccomp_notification;
/* The library writes these by offset. */
NSCORE_STATIC_ASSERT(sizeof(nscore_seccomp_notification) == 80 && offsetof(nscore_seccomp_notification, pid) == 8 &&
                         offsetof(nscore_seccomp_notification, nr) == 12 &&
                         offsetof(nscore_seccomp_notification, arch) == 16 &&
                         offsetof(nscore_seccomp_notification, instruction_pointer) == 24 &&
                         offsetof(nscore_seccomp_notification, args) == 32,
                     "nscore_seccomp_notification: the layout the library writes");

/** Answers for nscore_seccomp_notification_respond. */
#define NSCORE_SECCOMP_RESPOND_CONTINUE 0 /**< run the syscall as if no filter held it (value 0) */
#define NSCORE_SECCOMP_RESPOND_ERROR 1    /**< fail it with errno `value` (1 to 4095) */
#define NSCORE_SECCOMP_RESPOND_VALUE 2    /**< return `value` without running it */

/** Waits for the next notification on `listener` (nscore_container_seccomp_listener()) and
 *  stores it in *out. Blocks until one comes (retrying on EINTR): poll(2) the listener for
 *  POLLIN first to wait with a timeout; POLLHUP means no process uses the filter any more.
 *  A notification whose caller died before it was read: NSCORE_ENOTFOUND (ENOENT); receive
 *  again. Any thread may receive; one notification goes to one receiver. */
NSCORE_API int nscore_seccomp_notification_receive(int listener, nscore_seccomp_notification *out, nscore_error **err);
/** Answers notification `id` on `listener` with `response` (NSCORE_SECCOMP_RESPOND_*) and
 *  `value`. CONTINUE runs the syscall as the caller asked: safe only where the decision does
 *  not depend on memory the caller can still change (seccomp_unotify(2)). An unknown
 *  response, a bad `value`: NSCORE_EINVAL. The thread was killed or interrupted meanwhile, or
 *  the id is unknown: NSCORE_ENOTFOUND (ENOENT). An id answered already: NSCORE_EBUSY
 *  (EINPROGRESS) until its thread has taken the answer, NSCORE_ENOTFOUND after. */
NSCORE_API int nscore_seccomp_notification_respond(int listener, uint64_t id, int response, int64_t value,
                                                   nscore_error **err);
/** The name of syscall `nr` on audit architecture `arch` (a notification's `arch` and `nr`):
 *  "mkdir". Static storage, never to be freed; NULL for an architecture other than x86_64,
 *  x86 and aarch64 or a number it does not have. Thread-safe. */
NSCORE_API const char *nscore_seccomp_syscall_name(uint32_t arch, int32_t nr);

/* ---- Resources (cgroups; the OCI runtime spec's linux.resources) -------------------------
 *      Limits on what the container may use: memory, CPU time and CPUs, processes, block io
 *      and huge pages. Setting any gives the container a cgroup of its own: a directory
 *      "nscore-<caller's pid>-<n>" (or the one nscore_spawn_config_set_cgroups_path() names)
 *      in each hierarchy that holds a controller the limits need (cgroup2 where the caller's
 *      cgroup2 directory offers the controller in cgroup.controllers, else the controller's
 *      v1 hierarchy: on a hybrid machine /sys/fs/cgroup/memory/..., /sys/fs/cgroup/pids/...),
 *      and in those the library uses to account for the whole container (the cgroup2
 *      hierarchy where one is mounted, else v1's freezer; v1's cpuacct with CPU limits);
 *      nscore_container_cgroups_json() lists them. The parent makes the directories and
 *      writes the limits just before the clone. The child starts in its cgroup2 directory
 *      (clone3 CLONE_INTO_CGROUP, Linux 5.7); v1 hierarchies have no such flag, so for them
 *      it waits until the parent has written its pid into their cgroup.procs. Either way the
 *      command never runs outside its limits; its descendants stay in them. With
 *      NSCORE_NS_CGROUP the child makes its cgroup namespace once it is in its cgroups, so they
 *      are the namespace's root (it sees "/" in /proc/self/cgroup). The directories are
 *      removed once the container is reaped (nscore_container_wait(), nscore_container_stop(),
 *      or nscore_container_free() of a running one), and by a spawn that fails. After
 *      nscore_container_detach() they stay: the process still runs in them, and the caller
 *      removes them (rmdir(2)) once it has ended. Without any limit (the default) no cgroup is
 *      touched.
 *
 *      Where the cgroup goes: below the caller's own cgroup (/proc/self/cgroup). On cgroup2 a
 *      cgroup that holds processes cannot give controllers to its children, so when the
 *      caller's cgroup holds processes (its own, at least) and does not give the controllers
 *      the limits need (cgroup.subtree_control), the container goes below the nearest ancestor
 *      inside the caller's delegated subtree that gives them. That subtree is the nearest
 *      cgroup systemd marked delegated (xattr trusted.delegate or user.delegate, as for units
 *      with Delegate= or DelegateSubgroup=) and what is below it; for a caller other than
 *      root, the cgroups it owns above its own count too (user@UID.service). Never outside it:
 *      otherwise nscore_spawn() fails with NSCORE_EBUSY, stage "cgroups", "cgroups: <its
 *      parent> holds processes ...", before any cgroup is changed.
 *      nscore_spawn_config_set_cgroups_path() places the container explicitly instead.
 *
 *      A container with a root filesystem and the default mounts sees its own cgroups at
 *      /sys/fs/cgroup, read-only, never the host's tree. With NSCORE_NS_CGROUP: new cgroup
 *      filesystems, which the kernel roots at the namespace's root (the container's cgroup;
 *      without resources the caller's): cgroup2 alone on a unified machine; on a hybrid or v1
 *      machine a read-only tmpfs with one mount per hierarchy, named as on the host ("memory",
 *      "cpu,cpuacct" with the links "cpu" and "cpuacct", ..., "unified"); a user namespace
 *      cannot mount cgroup v1, so there the v1 hierarchies are bound as without one. Without
 *      NSCORE_NS_CGROUP: the container's own cgroup directories, bound read-only. Without
 *      resources and without a cgroup namespace: nothing. This does not apply where a new
 *      user namespace comes without a new network namespace: a new sysfs needs its own
 *      network namespace, so the host's /sys is bound read-only as before, and its
 *      /sys/fs/cgroup with it.
 *
 *      Making a cgroup needs write access to the cgroup it goes below: root, or a cgroup2
 *      subtree delegated to the caller. Otherwise nscore_spawn() fails with NSCORE_EPERM
 *      (errno EACCES), stage "cgroups", and a message that says so; a new user namespace does
 *      not help (the parent makes the cgroup). A controller the machine lacks: NSCORE_ENOTSUP
 *      naming it. The values are checked by nscore_spawn() before anything is created, with
 *      NSCORE_EINVAL naming the value ("resources: memory.limit is -5; give a size in bytes,
 *      or -1 for no limit", "resources: cpu.cpus '7' names CPU 7, which this machine does not
 *      have (it has 0-1)"); a value the kernel refuses all the same fails the spawn naming
 *      the file it was written to. Each set_ setter replaces its own part (memory, cpu, pids,
 *      the block io weight) and keeps the others; a part whose every argument is "not set" is
 *      removed. Each add_ setter adds an entry to a list, replacing the one for the same device
 *      or page size; nscore_spawn_config_clear_resources() empties the lists. */

/** "Not set", for the int64_t arguments of the resource setters (INT64_MIN). */
#define NSCORE_RESOURCE_UNSET INT64_MIN
/** No limit, where a limit may be given as -1 (memory sizes, the CPU quota, pids). */
#define NSCORE_RESOURCE_UNLIMITED (-1)

/** Memory limits (OCI linux.resources.memory), sizes in bytes: at least 4096, or
 *  NSCORE_RESOURCE_UNLIMITED, or NSCORE_RESOURCE_UNSET to leave it.
 *  - limit: the hard limit (v1 memory.limit_in_bytes, v2 memory.max); at it the kernel
 *    reclaims, then its OOM killer kills a process of the container (SIGKILL).
 *  - reservation: the soft limit (v1 memory.soft_limit_in_bytes, v2 memory.low), at most
 *    `limit`.
 *  - swap: memory plus swap, as in OCI and `docker run --memory-swap` (v1
 *    memory.memsw.limit_in_bytes; v2 memory.swap.max gets swap - limit): at least `limit`,
 *    and needs it; equal to it, no swap at all.
 *  - disable_oom_killer: 1 pauses the container's tasks at the limit instead of killing one
 *    (v1 memory.oom_control; cgroup v2 has no such switch: NSCORE_EINVAL at spawn there); 0
 *    leaves the kernel's default.
 *  Every value NSCORE_RESOURCE_UNSET with disable_oom_killer 0 removes the memory limits.
 *  disable_oom_killer other than 0 or 1: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_memory(nscore_spawn_config *cfg, int64_t limit, int64_t reservation, int64_t swap,
                                              int disable_oom_killer, nscore_error **err);
/** CPU limits (OCI linux.resources.cpu).
 *  - shares: the relative weight, 2 to 262144 (v1 cpu.shares; v2 cpu.weight, converted); 0:
 *    not set.
 *  - quota: microseconds of CPU time the container may use per period, at least 1000, or
 *    NSCORE_RESOURCE_UNLIMITED (v1 cpu.cfs_quota_us; v2 the first field of cpu.max);
 *    NSCORE_RESOURCE_UNSET: not set.
 *  - period: the length of that period in microseconds, 1000 to 1000000 (v1 cpu.cfs_period_us,
 *    v2 the second field of cpu.max, default 100000); 0: not set.
 *  - cpus, mems: the CPUs and memory nodes it may use, lists such as "0-2,4" of ones the
 *    machine has (/sys/devices/system/cpu/online, /sys/devices/system/node/online) (cpuset.cpus,
 *    cpuset.mems; in a v1 cpuset hierarchy the one not given is copied from the caller's
 *    cgroup, without which no task could join); NULL: not set. Copied.
 *  All of them not set removes the CPU limits. Invalid UTF-8: NSCORE_EINVAL. */
NSCORE_API int nscore_spawn_config_set_cpu(nscore_spawn_config *cfg, uint64_t shares, int64_t quota, uint64_t period,
                                           const char *cpus, const char *mems, nscore_error **err);
/** The most processes and threads the container may have at once (OCI
 *  linux.resources.pids.limit; pids.max): beyond it fork(2) and clone(2) fail with EAGAIN
 *  inside. NSCORE_RESOURCE_UNLIMITED or 0: no limit; NSCORE_RESOURCE_UNSET removes it. */
NSCORE_API int nscore_spawn_config_set_pids_limit(nscore_spawn_config *cfg, int64_t limit, nscore_error **err);

/** The relative block io weight of the container, 10 to 1000 (OCI
 *  linux.resources.blockIO.weight; v1 blkio.bfq.weight or blkio.weight, v2 io.bfq.weight, or
 *  io.weight converted to its 1 to 10000). The kernel honours a weight only with an io
 *  scheduler that keeps one (BFQ, or cgroup2's io cost model); a v1 blkio hierarchy with
 *  neither weight file: NSCORE_ENOTSUP at nscore_spawn(). 0 removes it. A weight out of 10 to
 *  1000: NSCORE_EINVAL at nscore_spawn() (above 65535: at this call). */
NSCORE_API int nscore_spawn_config_set_blkio_weight(nscore_spawn_config *cfg, unsigned weight, nscore_error **err);

/** Kinds of nscore_spawn_config_add_blkio_device(), each an OCI linux.resources.blockIO list. */
#define NSCORE_BLKIO_WEIGHT_DEVICE 0 /**< weightDevice: the device's weight, 10 to 1000       */
#define NSCORE_BLKIO_READ_BPS 1      /**< throttleReadBpsDevice: bytes read per second         */
#define NSCORE_BLKIO_WRITE_BPS 2     /**< throttleWriteBpsDevice: bytes written per second     */
#define NSCORE_BLKIO_READ_IOPS 3     /**< throttleReadIOPSDevice: read operations per second   */
#define NSCORE_BLKIO_WRITE_IOPS 4    /**< throttleWriteIOPSDevice: write operations per second */

/** A block io limit on one device, named by its major and minor numbers (stat(2)'s st_rdev of
 *  /dev/vda: major(), minor(); /sys/dev/block): `value` is the weight for
 *  NSCORE_BLKIO_WEIGHT_DEVICE, else the rate; a rate of 0 removes that limit (for
 *  nscore_container_update_resources()). v1 writes one line per device to
 *  blkio.throttle.read_bps_device, _write_bps_device, _read_iops_device, _write_iops_device
 *  and blkio[.bfq].weight_device; v2 one io.max line per device (rbps=, wbps=, riops=, wiops=;
 *  0 is "max") and io[.bfq].weight. Limits are kept per whole disk. cgroup v1 throttles reads
 *  and direct writes (O_DIRECT) only: buffered writes reach the disk later through the
 *  kernel's writeback, outside the container's cgroup; cgroup2 also throttles writeback. An
 *  entry for a device already given with this kind replaces it. An unknown kind: NSCORE_EINVAL
 *  naming it; a weight above 65535: NSCORE_EINVAL here. At nscore_spawn(), NSCORE_EINVAL
 *  naming the entry (blockIO.throttleWriteBpsDevice[0]) for a device number that does not
 *  exist, a partition ("io limits apply to whole disks"), or a weight out of 10 to 1000. */
NSCORE_API int nscore_spawn_config_add_blkio_device(nscore_spawn_config *cfg, int kind, int64_t major, int64_t minor,
                                                    uint64_t value, nscore_error **err);
/** At most `limit` bytes of huge pages of size `page_size` (OCI linux.resources.hugepageLimits;
 *  the hugetlb controller: v1 hugetlb.<page_size>.limit_in_bytes, v2 hugetlb.<page_size>.max):
 *  page_size as the kernel names it, "2MB" or "1GB" (/sys/kernel/mm/hugepages). Huge pages are
 *  charged as they are touched: a page fault beyond the limit raises SIGBUS. The kernel
 *  rounds the limit down to a whole page. A page size given again replaces its limit.
 *  NULL or invalid UTF-8: NSCORE_EINVAL here. A page size the machine does not have:
 *  NSCORE_EINVAL at nscore_spawn(), naming the sizes it has. Copied. */
NSCORE_API int nscore_spawn_config_add_hugepage_limit(nscore_spawn_config *cfg, const char *page_size, uint64_t limit,
                                                      nscore_error **err);
/** Removes every resource limit: the container gets no cgroup of its own (the default). */
NSCORE_API int nscore_spawn_config_clear_resources(nscore_spawn_config *cfg, nscore_error **err);
/** Where the container's cgroup goes (the OCI runtime spec's linux.cgroupsPath), in each
 *  hierarchy it uses: an absolute path from the hierarchy's root as this process sees it
 *  ("/ci/job-7": /sys/fs/cgroup/memory/ci/job-7 on a hybrid machine), a relative one from
 *  the caller's own cgroup ("job-7": below the caller's path in /proc/self/cgroup). The last
 *  component is the container's cgroup, which must not exist yet; its parent must (only the
 *  last is made, and removed after the reap). It replaces the default name and place above.
 *  nscore_cgroup_open() finds only cgroups whose last component starts with "nscore-".
 *  Used only with resources: ignored without any limit; nscore_spawn_config_clear_resources()
 *  keeps it. NULL removes it (the default). Copied. A NULL cfg or invalid UTF-8: NSCORE_EINVAL.
 *  At nscore_spawn(), before anything is made, a path that names no cgroup ("", "/", a
 *  component "." or ".."): NSCORE_EINVAL, stage "cgroupsPath", "cgroupsPath 'a/../b' must name
 *  a cgroup: ...". Then, stage "cgroups", naming the directory, with nothing left behind: a
 *  cgroup that exists already, NSCORE_ESYS (errno EEXIST), "... the container's cgroup must
 *  not exist yet"; a missing parent, NSCORE_ENOTFOUND (ENOENT) naming it; on cgroup2 a parent
 *  that holds processes, NSCORE_EBUSY (see above). */
NSCORE_API int nscore_spawn_config_set_cgroups_path(nscore_spawn_config *cfg, const char *path, nscore_error **err);

/* nscore_container (see "Containers" below). */
struct nscore_container;
/** The container's cgroup directories, one per hierarchy it uses (see above), as made at the
 *  spawn: {"pid":N,"cgroups":["/sys/fs/cgroup/memory/user.slice/nscore-1234-1",...]}; the list
 *  is empty without resources. It does not change once the container is reaped and the
 *  directories are removed. *json_out receives a string the caller frees with
 *  nscore_string_free(). Thread-safe. */
NSCORE_API int nscore_container_cgroups_json(const struct nscore_container *c, char **json_out, nscore_error **err);

/*      A running container's cgroup. The calls below work on a container spawned with resources
 *      (NSCORE_EINVAL, stage naming the call, "... the container has no cgroup of its own; give
 *      it resources at spawn" otherwise) until it is reaped: its cgroup is then gone, and they
 *      fail with NSCORE_EEXITED. A NULL `c` or out-pointer: NSCORE_EINVAL. They are
 *      thread-safe, and act on every process in the cgroup: the command, its descendants, and
 *      orphans it left (which a PID namespace would otherwise end with it). A failed write to a
 *      cgroup file: the NSCORE_E* code of its errno, naming the file. */

/** A figure this machine's cgroup hierarchy does not keep (UINT64_MAX). */
#define NSCORE_RESOURCE_STAT_NONE UINT64_MAX

/** What a container's cgroup has used so far; each field is NSCORE_RESOURCE_STAT_NONE where
 *  the machine's hierarchy does not keep it (v1 or v2, the kernel's version, the controllers
 *  the container was given: memory figures need a memory limit, pids figures a pids limit;
 *  CPU figures come from the cgroup2 hierarchy or v1's cpuacct and cpu). The io per device
 *  is in the JSON of nscore_container_resource_stats_json() only. Fields may be added at the
 *  end in a later ABI version only. */
typedef struct nscore_resource_stats {
    uint64_t memory_current;        /**< bytes in use (v1 memory.usage_in_bytes, v2 memory.current) */
    uint64_t memory_peak;           /**< the most used (v1 memory.max_usage_in_bytes, v2 memory.peak) */
    uint64_t memory_limit;          /**< the hard limit in bytes; NONE for no limit */
    uint64_t memory_limit_hits;     /**< times it hit the limit (v1 memory.failcnt, v2 memory.events max) */
    uint64_t oom_kills;             /**< processes the OOM killer killed in it (oom_kill) */
    uint64_t cpu_usage_ns;          /**< CPU time used, nanoseconds (cpuacct.usage, cpu.stat usage_usec) */
    uint64_t cpu_periods;           /**< CFS periods elapsed with a quota (cpu.stat nr_periods) */
    uint64_t cpu_throttled_periods; /**< periods in which it was throttled (nr_throttled) */
    uint64_t cpu_throttled_ns;      /**< time throttled, nanoseconds (throttled_time, throttled_usec) */
    uint64_t pids_current;          /**< processes and threads (pids.current) */
    uint64_t pids_limit;            /**< pids.max; NONE for no limit */
    uint64_t oom_events;            /**< times the OOM killer was called for it (v2 memory.events oom) */
} nscore_resource_stats;
NSCORE_STATIC_ASSERT(sizeof(nscore_resource_stats) == 12 * 8, "nscore_resource_stats is twelve uint64_t");

/** Fills *out with the container's figures, read from its cgroup files now. On failure *out
 *  is left unchanged. */
NSCORE_API int nscore_container_resource_stats(const struct nscore_container *c, nscore_resource_stats *out,
                                               nscore_error **err);
/** The same figures as JSON, with the camelCase names of the library's other JSON documents
 *  and null where one is unavailable, then the bytes and operations per device of a container
 *  given a block io limit (v1 blkio.throttle.io_service_bytes_recursive and
 *  io_serviced_recursive, v2 io.stat; [] otherwise): {"memoryCurrent":1234,...,
 *  "pidsLimit":null,"oomEvents":null,"io":[{"major":254,"minor":0,"readBytes":N,
 *  "writeBytes":N,"readOperations":N,"writeOperations":N},...]} (as `nscore stats --json`).
 *  *json_out receives a string the caller frees with nscore_string_free(); NULL on failure. */
NSCORE_API int nscore_container_resource_stats_json(const struct nscore_container *c, char **json_out,
                                                    nscore_error **err);

/** Freezes every process of the container (v2 cgroup.freeze, else v1 freezer.state FROZEN) and
 *  returns once all are frozen: they stay until nscore_container_thaw(), and signals, SIGKILL
 *  included, take effect only then. Not settled within 1 s: NSCORE_ETIMEDOUT. Neither file
 *  (no cgroup2 hierarchy and no v1 freezer): NSCORE_ENOTSUP. Freezing a frozen container does
 *  nothing. */
NSCORE_API int nscore_container_freeze(struct nscore_container *c, nscore_error **err);
/** Lets a frozen container run again; returns once it does. As nscore_container_freeze(). */
NSCORE_API int nscore_container_thaw(struct nscore_container *c, nscore_error **err);
/** Sends SIGKILL to every process in the container's cgroup, descendants and orphans included
 *  (v2 cgroup.kill, Linux 5.14; else frozen, each process in cgroup.procs killed, thawed). It
 *  does not reap: nscore_container_wait() still does that and returns the command's status.
 *  Use nscore_container_wait_empty() to know when the last process has gone. */
NSCORE_API int nscore_container_kill_all(struct nscore_container *c, nscore_error **err);
/** Changes the limits of the running container to those set on `cfg` with
 *  nscore_spawn_config_set_memory(), _set_cpu(), _set_pids_limit(), _set_blkio_weight(),
 *  _add_blkio_device() and _add_hugepage_limit() (the rest of cfg is ignored; cfg is only
 *  read, and may be freed or reused after the call). Only the values set are written; the
 *  others stay (a device's throttle rate 0 removes its limit). A kind of limit (memory, cpu,
 *  cpuset, pids, blkio or io, hugetlb) whose controller is on cgroup2 can be changed when the
 *  container's cgroup has that controller (its cgroup.controllers: cgroup2 keeps every
 *  controller in the one directory, so the kind need not have been given at spawn); one on
 *  cgroup v1 only when it was given at spawn (the hierarchy then has the container's
 *  directory). Otherwise NSCORE_EINVAL, "... a limit of that kind must be given at spawn to
 *  be changed later". A cfg without any limit, or a bad value:
 *  NSCORE_EINVAL naming it, before anything is written. A value the kernel refuses (a memory
 *  limit below what is in use, on v1): its code, naming the file; values written before it
 *  stay. */
NSCORE_API int nscore_container_update_resources(struct nscore_container *c, const nscore_spawn_config *cfg,
                                                 nscore_error **err);

/** Events for nscore_container_cgroup_event_fd(). */
#define NSCORE_CGROUP_EVENT_POPULATED 0 /**< cgroup.events changed: populated (or frozen) */
#define NSCORE_CGROUP_EVENT_OOM 1       /**< the OOM killer acted, or the memory limit was hit */

/** A new file descriptor that becomes ready when `event` happens in the container's cgroup,
 *  for the caller's own poll(2) or epoll loop. *fd_out receives it (-1 on failure); the caller
 *  owns it and closes it. Close-on-exec.
 *  - NSCORE_CGROUP_EVENT_POPULATED: the container's cgroup2 cgroup.events (a hybrid machine has
 *    one too): poll for POLLPRI (and POLLERR), which it raises when the file changed since it
 *    was last read through this fd. Read it with pread(fd, ..., 0) before the first poll (a
 *    new fd counts every earlier change) and after each wake-up, which re-arms it, and look
 *    for "populated 0" (no process left). No cgroup2 hierarchy: NSCORE_ENOTSUP.
 *  - NSCORE_CGROUP_EVENT_OOM: with cgroup v2 its memory.events, POLLPRI as above (counters
 *    "max", "oom", "oom_kill"; read it first as above); with v1 an eventfd registered on memory.oom_control: POLLIN,
 *    read(2) 8 bytes to re-arm it. A container without a memory limit: NSCORE_EINVAL.
 *  An event other than these two: NSCORE_EINVAL. */
NSCORE_API int nscore_container_cgroup_event_fd(const struct nscore_container *c, int event, int *fd_out,
                                                nscore_error **err);
/** Waits up to timeout_ms (-1: forever, 0: poll) until no process is left in the container's
 *  cgroup, descendants and orphans included (cgroup.events "populated 0"). *empty_out gets 1
 *  when empty, 0 when the time ran out (which is not an error). The command itself is not
 *  reaped: nscore_container_wait() does that. No cgroup2 hierarchy: NSCORE_ENOTSUP; timeout_ms
 *  below -1: NSCORE_EINVAL. */
NSCORE_API int nscore_container_wait_empty(struct nscore_container *c, int timeout_ms, int *empty_out,
                                           nscore_error **err);

/*      The cgroup of any process's container. nscore_cgroup_open() finds the cgroups NSCore made
 *      (directories named nscore-*) that a process is in: any process of a container spawned
 *      with resources, by this process or another (a `nscore run --memory ...`). The handle
 *      holds those directories, not the pid, so a recycled pid never redirects it. The calls
 *      on it are those above, with the same semantics, errors and thread-safety: they work
 *      until the process that spawned the container has reaped it and removed the cgroup
 *      (NSCORE_EEXITED, "... its cgroup is gone", after). A NULL `cg` or out-pointer:
 *      NSCORE_EINVAL. */

/** A container's cgroups, found from a process in them (opaque). */
typedef struct nscore_cgroup nscore_cgroup;

/** Finds the NSCore-made cgroups process `pid` is in (/proc/PID/cgroup, through this
 *  process's cgroup mounts) and returns a new handle on them in *out (NULL on failure), freed
 *  with nscore_cgroup_free(). A process that does not exist: NSCORE_EEXITED. One in no cgroup
 *  NSCore made (it was started without resources, or is not a container's), and a pid of 0
 *  or below: NSCORE_EINVAL. Reading another user's /proc/PID/cgroup needs no privilege;
 *  acting on the cgroup needs write access to its files (root). */
NSCORE_API int nscore_cgroup_open(pid_t pid, nscore_cgroup **out, nscore_error **err);
/** Frees the handle; the cgroup and its processes are left as they are. NULL is allowed. */
NSCORE_API void nscore_cgroup_free(nscore_cgroup *cg);
/** The directories, one per hierarchy, with the pid given to nscore_cgroup_open():
 *  {"pid":N,"cgroups":["/sys/fs/cgroup/memory/.../nscore-1234-1",...]}. *json_out receives a
 *  string the caller frees with nscore_string_free(). */
NSCORE_API int nscore_cgroup_json(const nscore_cgroup *cg, char **json_out, nscore_error **err);
/** As nscore_container_resource_stats(). */
NSCORE_API int nscore_cgroup_resource_stats(const nscore_cgroup *cg, nscore_resource_stats *out, nscore_error **err);
/** As nscore_container_resource_stats_json(). */
NSCORE_API int nscore_cgroup_resource_stats_json(const nscore_cgroup *cg, char **json_out, nscore_error **err);
/** As nscore_container_freeze(). */
NSCORE_API int nscore_cgroup_freeze(nscore_cgroup *cg, nscore_error **err);
/** As nscore_container_thaw(). */
NSCORE_API int nscore_cgroup_thaw(nscore_cgroup *cg, nscore_error **err);
/** As nscore_container_kill_all(): the process that spawned the container still reaps it (and
 *  removes its cgroup then). */
NSCORE_API int nscore_cgroup_kill_all(nscore_cgroup *cg, nscore_error **err);
/** As nscore_container_update_resources(). */
NSCORE_API int nscore_cgroup_update_resources(nscore_cgroup *cg, const nscore_spawn_config *cfg, nscore_error **err);
/** As nscore_container_cgroup_event_fd(). */
NSCORE_API int nscore_cgroup_event_fd(const nscore_cgroup *cg, int event, int *fd_out, nscore_error **err);
/** As nscore_container_wait_empty(). */
NSCORE_API int nscore_cgroup_wait_empty(nscore_cgroup *cg, int timeout_ms, int *empty_out, nscore_error **err);

/* ---- Containers ------------------------------------------------------------------------- */

/** A started process, held through a pidfd. Freeing a handle whose process still runs kills
 *  (SIGKILL) and reaps it, unless nscore_container_detach() was called. */
typedef struct nscore_container nscore_container;

/** Starts a process in new namespaces (clone3). Returns once the command has been exec'd; any
 *  failure before that returns an error naming the step and leaves nothing behind. `cfg` is
 *  only read (it may be changed, reused or freed after the call); *out receives the container
 *  (NULL on failure), which the caller frees with nscore_container_free(). Errors:
 *  - NSCORE_EINVAL: no argv, or a value checked here (hostname over 64 bytes, a stdio fd that
 *    is not open, settings that need a namespace kind that is not new, a bad mount, network,
 *    seccomp or resource setting; the stage and message name it);
 *  - NSCORE_ENOTFOUND: the command or its working directory does not exist (with
 *    nscore_error_is_command_failure() 1 for the command), or a bind source, bridge, ...;
 *  - NSCORE_EPERM: refused by the kernel: new namespaces without CAP_SYS_ADMIN and without a
 *    new user namespace, a map the caller may not write, a command that is not executable,
 *    cgroups the caller cannot write;
 *  - NSCORE_ENOTSUP: the kernel lacks clone3, a namespace kind or a feature a setting needs;
 *  - NSCORE_ECHILD: the child failed a setup step between clone and exec (the stage names it:
 *    "mount proc on /proc", "sethostname", ...);
 *  - NSCORE_EBUSY: no cgroup can be made for the resources (see "Resources");
 *  - NSCORE_ESYS: any other failure (ENOSPC: a namespace limit of /proc/sys/user reached). */
NSCORE_API int nscore_spawn(const nscore_spawn_config *cfg, nscore_container **out, nscore_error **err);

/** The pid as seen from the caller's PID namespace, or -1 for NULL. */
NSCORE_API pid_t nscore_container_pid(const nscore_container *c);
/** The pidfd (pidfd_open(2) semantics), owned by the handle: do not close it; -1 for NULL and
 *  after nscore_container_detach(). Valid until nscore_container_free(). Thread-safe.
 *
 *  This is the way to wait for many containers from one poll(2)/epoll(7) or event loop,
 *  without a thread each: the pidfd becomes readable (POLLIN/EPOLLIN) once the process has
 *  exited, and stays readable until it is reaped; nscore_container_wait(c, 0, &status, err)
 *  then reaps it without blocking. Reading from it is not allowed (EINVAL).
 *  \code
 *  int ep = epoll_create1(EPOLL_CLOEXEC);
 *  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
 *  epoll_ctl(ep, EPOLL_CTL_ADD, nscore_container_pidfd(c), &ev);
 *  // ... epoll_wait(ep, events, n, -1) returns an event for c:
 *  int status;
 *  epoll_ctl(ep, EPOLL_CTL_DEL, nscore_container_pidfd(c), NULL); // before the free closes it
 *  nscore_container_wait(c, 0, &status, NULL);                     // 0: it has exited already
 *  \endcode */
NSCORE_API int nscore_container_pidfd(const nscore_container *c);
/** The seccomp listener (SECCOMP_FILTER_FLAG_NEW_LISTENER) when the profile has an
 *  NSCORE_SECCOMP_NOTIFY rule, else -1 (and for NULL). Owned by the handle: do not close it; it
 *  is closed by nscore_container_free() (not by nscore_container_detach()). Read it with
 *  nscore_seccomp_notification_receive(); poll(2) it for POLLIN. */
NSCORE_API int nscore_container_seccomp_listener(const nscore_container *c);

/** Hands the caller its end of stream `stream` (0 stdin, 1 stdout, 2 stderr) when it was set
 *  to NSCORE_STDIO_PIPE: the write end of stdin's pipe, the read end of stdout's and stderr's.
 *  On success *fd_out is the descriptor, O_CLOEXEC and blocking; the caller owns it and must
 *  close(2) it. Ownership moves once: a second call for the same stream, a stream that is not a
 *  pipe, a stream other than 0-2, a NULL `c` or `fd_out` return NSCORE_EINVAL. An end never
 *  handed out is closed by nscore_container_free(). Closing the stdout or stderr end while the
 *  command still writes gives the command SIGPIPE (its default action ends it); the library
 *  never writes to these pipes. To serve several pipes at once without deadlock, use poll(2).
 *  Thread-safe. */
NSCORE_API int nscore_container_stdio_fd(nscore_container *c, int stream, int *fd_out, nscore_error **err);
/** Hands the caller the multiplexer (master) side of the command's terminal
 *  (nscore_process_config_set_terminal): what the command writes to its terminal is read from
 *  it, what is written to it is the command's input, and TIOCSWINSZ on it resizes the terminal
 *  (the kernel signals SIGWINCH to the command's foreground job). On success *fd_out is the
 *  descriptor, O_CLOEXEC and blocking; the caller owns it and must close(2) it. Once every
 *  process holding the terminal has ended, read(2) on it fails with EIO. Ownership moves once:
 *  a second call, a container without a terminal, or a NULL `c` or `fd_out` return
 *  NSCORE_EINVAL. A multiplexer never handed out is closed by nscore_container_free(). */
NSCORE_API int nscore_container_terminal_fd(nscore_container *c, int *fd_out, nscore_error **err);

/** Waits up to timeout_ms (-1: forever, 0: poll) for the process to end and reaps it.
 *  On success *wstatus (may be NULL) gets a waitpid(2)-style status: use WIFEXITED,
 *  WEXITSTATUS, WIFSIGNALED, WTERMSIG. Returns NSCORE_ETIMEDOUT if it is still running.
 *  Later calls return the same status. timeout_ms below -1, or a detached handle: NSCORE_EINVAL. */
NSCORE_API int nscore_container_wait(nscore_container *c, int timeout_ms, int *wstatus, nscore_error **err);
/** Sends signal sig (pidfd_send_signal; never reaches a recycled pid). NSCORE_EEXITED once reaped;
 *  an invalid signal number or a detached handle: NSCORE_EINVAL. Thread-safe. */
NSCORE_API int nscore_container_signal(nscore_container *c, int sig, nscore_error **err);
/** SIGTERM, then SIGKILL if still running after timeout_ms (-1: never escalate); waits and
 *  reaps. *wstatus as above. When the kernel would drop SIGTERM, the process gets SIGKILL at
 *  once (whatever timeout_ms says): a PID-namespace init (PID 1, without nscore's init) that
 *  has no SIGTERM handler, since the kernel drops every signal such an init does not handle,
 *  and a process that ignores SIGTERM. The handlers are read from /proc/PID/status (SigCgt,
 *  SigIgn, SigBlk, NSpid) when the call is made. A PID 1 that traps SIGTERM, blocks it or
 *  waits for signals in rt_sigtimedwait(2) (nscore's init, tini), and any other process, gets
 *  SIGTERM first.
 *  Returns NSCORE_EINVAL for NULL, a timeout_ms below -1 or a detached handle. */
NSCORE_API int nscore_container_stop(nscore_container *c, int timeout_ms, int *wstatus, nscore_error **err);
/** Lets the process outlive the handle: it is not killed or reaped by nscore_container_free,
 *  and the pidfd is closed (the wait, signal and stop calls then fail with NSCORE_EINVAL).
 *  NULL is ignored. */
NSCORE_API void nscore_container_detach(nscore_container *c);
/** Frees the handle (see nscore_container for what happens to a running process). NULL ok. */
NSCORE_API void nscore_container_free(nscore_container *c);

/* ---- Join (setns, like docker exec / nsenter) ------------------------------------------- */

/** What to run inside existing namespaces: a target (a pid, or namespace files) and the process
 *  part (see nscore_process_config). The setters below behave as their nscore_spawn_config_
 *  and nscore_process_config_ namesakes. */
typedef struct nscore_join_config nscore_join_config;

/** Creates an empty join configuration (no target, no argv): *out receives it, freed with
 *  nscore_join_config_free(). */
NSCORE_API int nscore_join_config_new(nscore_join_config **out, nscore_error **err);
/** Frees a join configuration. NULL is allowed. */
NSCORE_API void nscore_join_config_free(nscore_join_config *cfg);
/** Join the namespaces of process pid; replaces namespace paths set before. A pid of 0 or
 *  below: NSCORE_EINVAL (one that does not exist fails at nscore_join()). */
NSCORE_API int nscore_join_config_set_target_pid(nscore_join_config *cfg, pid_t pid, nscore_error **err);
/** Join the namespace file `path` (/proc/PID/ns/KIND or a persisted file) for kind `ns`
 *  (exactly one NSCORE_NS_* bit). May be called once per kind (a second call for a kind
 *  replaces its path); replaces a target pid. Copied. `ns` not a single known bit, or a NULL or
 *  empty path: NSCORE_EINVAL (the file is opened by nscore_join()). */
NSCORE_API int nscore_join_config_set_namespace_path(nscore_join_config *cfg, uint32_t ns, const char *path, nscore_error **err);
/** The kinds to join for a pid target (NSCORE_NS_* bits; unknown bits: NSCORE_EINVAL); default:
 *  every kind that differs from the caller's. */
NSCORE_API int nscore_join_config_set_namespaces(nscore_join_config *cfg, uint32_t namespaces, nscore_error **err);
/** As nscore_process_config_set_argv(): NULL-terminated, copied, required; NULL or empty is
 *  NSCORE_EINVAL. */
NSCORE_API int nscore_join_config_set_argv(nscore_join_config *cfg, const char *const *argv, nscore_error **err);
/** As nscore_process_config_set_env(): NULL-terminated "NAME=value" strings, copied; NULL
 *  inherits the caller's environment. */
NSCORE_API int nscore_join_config_set_env(nscore_join_config *cfg, const char *const *envp, nscore_error **err);
/** As nscore_process_config_set_cwd(): copied; NULL keeps the caller's working directory, or
 *  the / of a mount namespace that is joined. */
NSCORE_API int nscore_join_config_set_cwd(nscore_join_config *cfg, const char *dir, nscore_error **err);
/** As nscore_process_config_set_stdio(): stream 0-2, mode NSCORE_STDIO_*, fd with
 *  NSCORE_STDIO_FD (kept by the caller); NSCORE_EINVAL for a bad stream, mode or fd. */
NSCORE_API int nscore_join_config_set_stdio(nscore_join_config *cfg, int stream, int mode, int fd, nscore_error **err);
/** As nscore_process_config_set_kill_on_parent_death(): enable 0 or 1, default 0. */
NSCORE_API int nscore_join_config_set_kill_on_parent_death(nscore_join_config *cfg, int enable, nscore_error **err);
/** nscore_process_config_set_terminal() on the process part. */
NSCORE_API int nscore_join_config_set_terminal(nscore_join_config *cfg, int enable, unsigned rows, unsigned cols,
                                               nscore_error **err);
/** For a pid target in cgroups NSCore made (a container spawned with resources): 1 (the default)
 *  puts the command in them too, as `runc exec` and `docker exec` do, so that it counts against
 *  the container's limits and is frozen and killed with it (cgroup2 by CLONE_INTO_CGROUP, v1
 *  written before the command starts); a frozen container is then refused (NSCORE_EBUSY,
 *  "... frozen; thaw it first"). 0: the command stays in the caller's cgroups. Other values:
 *  NSCORE_EINVAL. */
NSCORE_API int nscore_join_config_set_join_cgroups(nscore_join_config *cfg, int enable, nscore_error **err);
/** The process part of `cfg` (see nscore_process_config), borrowed from it. NULL for NULL. The
 *  nscore_join_config_set_argv() family above sets the same things. */
NSCORE_API nscore_process_config *nscore_join_config_process(nscore_join_config *cfg);

/** Runs the command inside the target's namespaces in a fresh child; the caller's own
 *  namespaces never change. Returns a container handle for the command itself: it is the
 *  caller's child (waitable, signalled through its pidfd), in the target's PID namespace when
 *  that is joined. Nothing of the caller is ever visible to the target: the library's child
 *  execs the embedded nscore-init before it joins anything, and that process (its own memory,
 *  not dumpable) joins, closes every fd but stdio and starts the command (see the README, "How
 *  a spawn works"). Returns only once the command has exec'd; failures name the step. `cfg` is
 *  only read; *out receives the container (NULL on failure), freed with nscore_container_free().
 *  Errors: NSCORE_EINVAL for no target, no argv, a user, capabilities, rlimits or an OOM score
 *  adjustment set (spawns only), a file that is not a namespace, or a target that shares every requested kind with the
 *  caller (nothing to join); NSCORE_ENOTFOUND for a target pid or namespace file that does not
 *  exist, or a command that does not (nscore_error_is_command_failure() 1); NSCORE_EEXITED when
 *  the target exited meanwhile or its PID namespace has no init left; NSCORE_EPERM when setns is
 *  refused (joining needs CAP_SYS_ADMIN over the target's namespaces); NSCORE_EBUSY for a
 *  frozen container (see nscore_join_config_set_join_cgroups()); NSCORE_ECHILD when a step
 *  after the clone failed (the stage names it). */
NSCORE_API int nscore_join(const nscore_join_config *cfg, nscore_container **out, nscore_error **err);

/* ---- Unshare and persist ---------------------------------------------------------------- */

/** unshare(2) for the calling process. User and mount namespaces need a single-threaded
 *  caller: NSCORE_EBUSY otherwise. PID and time namespaces apply to later children.
 *  `namespaces` 0 or with unknown bits: NSCORE_EINVAL; without CAP_SYS_ADMIN (and without
 *  NSCORE_NS_USER): NSCORE_EPERM. */
NSCORE_API int nscore_unshare(uint32_t namespaces, nscore_error **err);
/** Bind-mounts /proc/PID/ns/KIND onto `path` (created if missing), like `ip netns add`.
 *  `ns` is exactly one NSCORE_NS_* bit. A pid of 0 or below, a bad `ns`, a NULL or empty path:
 *  NSCORE_EINVAL; no such process (or kind): NSCORE_ENOTFOUND; something mounted on `path`
 *  already: NSCORE_EBUSY; without CAP_SYS_ADMIN: NSCORE_EPERM. The caller removes the
 *  mount with nscore_namespace_unpersist(). */
NSCORE_API int nscore_namespace_persist(pid_t pid, uint32_t ns, const char *path, nscore_error **err);
/** Unmounts a persisted namespace file and removes it if remove_file is non-zero. A NULL
 *  path: NSCORE_EINVAL; no such file: NSCORE_ENOTFOUND; a file that is not a persisted
 *  namespace: NSCORE_EINVAL; without CAP_SYS_ADMIN: NSCORE_EPERM. */
NSCORE_API int nscore_namespace_unpersist(const char *path, int remove_file, nscore_error **err);

/* ---- Inspection -------------------------------------------------------------------------
 *      Reads of /proc and of namespace files; nothing is changed. A pid argument is a process of
 *      the caller's PID namespace: 0 or below is NSCORE_EINVAL; one that does not exist, is a
 *      zombie or ends while it is read is NSCORE_ENOTFOUND or NSCORE_EEXITED (which one depends
 *      on the call and the moment: treat both as "no such process"); one the caller may not
 *      inspect (ptrace access mode read: another user's process without CAP_SYS_PTRACE) is
 *      NSCORE_EPERM. A kind the kernel lacks: NSCORE_ENOTSUP. An `ns` argument is exactly one
 *      NSCORE_NS_* bit and a `namespaces` argument any set of them (other values:
 *      NSCORE_EINVAL). All are thread-safe. */

/** The identity of one namespace. */
typedef struct nscore_ns_id {
    uint32_t ns;     /**< one NSCORE_NS_* bit */
    uint32_t reserved;
    uint64_t inode;  /**< as in "net:[4026531840]" */
    uint64_t device; /**< st_dev of the nsfs file */
} nscore_ns_id;
/* The library writes these by offset. */
NSCORE_STATIC_ASSERT(sizeof(nscore_ns_id) == 24 && offsetof(nscore_ns_id, inode) == 8 && offsetof(nscore_ns_id, device) == 16,
                     "nscore_ns_id: ns, reserved, inode, device at 0, 4, 8, 16");

/** Fills *out with the `ns` namespace (one NSCORE_NS_* bit) of process pid. */
NSCORE_API int nscore_namespace_id(pid_t pid, uint32_t ns, nscore_ns_id *out, nscore_error **err);
/** Fills *out with the namespace held by a file (/proc/PID/ns/KIND or a persisted file). A
 *  NULL or empty path, or a file that is not a namespace: NSCORE_EINVAL; no such file:
 *  NSCORE_ENOTFOUND. */
NSCORE_API int nscore_namespace_id_at(const char *path, nscore_ns_id *out, nscore_error **err);
/** *same = 1 if processes a and b are in the same `ns` namespace, else 0. Errors as
 *  nscore_namespace_id() for either pid. */
NSCORE_API int nscore_namespace_same(pid_t a, pid_t b, uint32_t ns, int *same, nscore_error **err);
/** *differ = the kinds among `namespaces` (NSCORE_NS_* bits) in which process `pid` is in another
 *  namespace than the calling thread: what `nsenter --all` (and a join without explicit kinds)
 *  enters. A kind the kernel lacks counts as shared. `differ` is required. */
NSCORE_API int nscore_namespace_differing(pid_t pid, uint32_t namespaces, uint32_t *differ, nscore_error **err);

/** JSON documents. *json_out (required) receives a string the caller frees with
 *  nscore_string_free(); it is set to NULL first, and stays NULL on failure. */
/** The entries of /proc/PID/ns: {"pid":N,"namespaces":[{"name":"net","type":"net","inode":N,
 *  "device":N,"for_children":false},...]} */
NSCORE_API int nscore_inspect_namespaces_json(pid_t pid, char **json_out, nscore_error **err);
/** Who process `pid` is, and its user namespace (/proc/PID/status, uid_map, gid_map, setgroups,
 *  NS_GET_OWNER_UID, NS_GET_PARENT): {"uids":[real,effective,saved,fs],"gids":[...],"groups":
 *  [...],"capabilities":{"bounding":["CAP_CHOWN",...],"effective":[...],"inheritable":[...],
 *  "permitted":[...],"ambient":[...]},"noNewPrivileges":false,"userNamespace":{"type":"user",
 *  "inode":N,"device":N},"owner":UID,"parent":{...}|null,"uidMappings":[{"containerID":N,
 *  "hostID":N,"size":N},...],"gidMappings":[...],"setgroups":"allow"|"deny"}. Ids and maps as
 *  the caller's user namespace sees them; parent is null for the initial user namespace or one
 *  the caller cannot see. */
NSCORE_API int nscore_inspect_credentials_json(pid_t pid, char **json_out, nscore_error **err);
/** Every namespace of the kinds in `namespaces` that a process is in, as lsns:
 *  {"namespaces":[{"ns":N,"type":"net","nprocs":N,"pid":N,"uid":N,"command":"..."},...]}, sorted
 *  by kind (NSCORE_NS_* bit order), then inode. pid is the lowest pid in the namespace, uid its
 *  real uid, command its command line (else its comm); pid and user namespaces add "pns", the
 *  parent's inode, when the caller can see it. `namespaces` 0 gives an empty list (pass
 *  NSCORE_NS_ALL for every kind); other bits: NSCORE_EINVAL. Namespaces that only a bind mount
 *  or an open fd keeps alive, and processes the caller may not inspect, are left out, as lsns
 *  leaves them out: the call fails only when /proc cannot be read. */
NSCORE_API int nscore_inspect_list_json(uint32_t namespaces, char **json_out, nscore_error **err);

/** The rows of nscore_inspect_list(): an immutable snapshot, safe to read from any thread. */
typedef struct nscore_ns_list nscore_ns_list;

/** One row of an nscore_ns_list (one line of lsns). */
typedef struct nscore_ns_entry {
    uint32_t ns;           /**< one NSCORE_NS_* bit (lsns TYPE) */
    int32_t pid;           /**< the lowest pid in it, in the caller's PID namespace (PID) */
    uint64_t inode;        /**< the namespace's inode (NS), as st_ino of /proc/PID/ns/KIND */
    uint64_t device;       /**< st_dev of the nsfs file; 0 when it could not be read */
    uint64_t nprocs;       /**< processes (not threads) in it (NPROCS), at least 1 */
    uint32_t uid;          /**< the real uid of process `pid` (UID) */
    uint32_t reserved;     /**< 0 */
    uint64_t parent_inode; /**< pid and user namespaces: the parent's inode (PNS); else, or not visible, 0 */
} nscore_ns_entry;
/* The library writes these by offset. */
NSCORE_STATIC_ASSERT(sizeof(nscore_ns_entry) == 48 && offsetof(nscore_ns_entry, pid) == 4 &&
                         offsetof(nscore_ns_entry, inode) == 8 && offsetof(nscore_ns_entry, device) == 16 &&
                         offsetof(nscore_ns_entry, nprocs) == 24 && offsetof(nscore_ns_entry, uid) == 32 &&
                         offsetof(nscore_ns_entry, parent_inode) == 40,
                     "nscore_ns_entry: ns, pid, inode, device, nprocs, uid, reserved, parent_inode at 0, 4, 8, ..., 40");

/** The rows of nscore_inspect_list_json() as a list handle, same scan, rules and order (0
 *  kinds: an empty list): *out receives a new list (NULL on failure) that the caller frees with
 *  nscore_ns_list_free(). Unknown bits in `namespaces`: NSCORE_EINVAL. */
NSCORE_API int nscore_inspect_list(uint32_t namespaces, nscore_ns_list **out, nscore_error **err);
/** The number of rows; 0 for NULL. */
NSCORE_API size_t nscore_ns_list_count(const nscore_ns_list *list);
/** Copies row `index` (0 to count - 1) into *out. A NULL `list` or `out`, or an index out of
 *  range: NSCORE_EINVAL naming it, *out unchanged. */
NSCORE_API int nscore_ns_list_get(const nscore_ns_list *list, size_t index, nscore_ns_entry *out, nscore_error **err);
/** The command of row `index` (lsns COMMAND: the command line joined with spaces, else the
 *  comm; "" when unreadable), owned by the list and valid until nscore_ns_list_free(). NULL
 *  for a NULL list or an index out of range. */
NSCORE_API const char *nscore_ns_list_command(const nscore_ns_list *list, size_t index);
/** Frees a list and its strings. NULL is allowed. */
NSCORE_API void nscore_ns_list_free(nscore_ns_list *list);
/** The pid's ids across nested PID namespaces: {"pid":N,"nspid":[outer,...,inner]} */
NSCORE_API int nscore_inspect_pid_chain_json(pid_t pid, char **json_out, nscore_error **err);
/** The processes inside pid's PID namespace: {"pid_namespace":N,"processes":[{"pid":INNER,"host_pid":OUTER,"command":"..."}]} */
NSCORE_API int nscore_inspect_processes_json(pid_t pid, char **json_out, nscore_error **err);
/** The mounts of pid's mount namespace as pid sees them (/proc/PID/mountinfo, in the kernel's
 *  order): {"pid":N,"mounts":[{"id":N,"parent":N,"major":N,"minor":N,"root":"/","target":"/proc",
 *  "source":"proc","fstype":"proc","options":"rw,nosuid","super_options":"rw","propagation":
 *  "shared|slave|shared+slave|private|unbindable","shared":N|null,"master":N|null,
 *  "propagate_from":N|null},...]} */
NSCORE_API int nscore_inspect_mounts_json(pid_t pid, char **json_out, nscore_error **err);
/** The interfaces and the main table's routes of pid's network namespace, read through a
 *  netlink socket opened in it: {"pid":N,"interfaces":[{"index":N,"name":"eth0","kind":"veth"|
 *  null,"up":true,"state":"UP","mac":"02:..."|null,"mtu":N,"master":N|null,"veth_peer":N|null,
 *  "addresses":["10.0.0.2/24","fd00::2/64"]},...],"routes":[{"destination":"0.0.0.0/0",
 *  "gateway":"10.0.0.1"|null,"interface":N|null,"metric":N|null,"default":true},...]}.
 *  veth_peer is the index of a veth's other end in its own namespace (for a container's eth0,
 *  the host end). Needs root or the namespace's owner. */
NSCORE_API int nscore_inspect_network_json(pid_t pid, char **json_out, nscore_error **err);
/** /proc/PID/mountstats: {"pid":N,"mountstats":[{"device":"proc","target":"/proc","fstype":"proc",
 *  "statvers":"1.1"|null,"statistics":["line",...]},...]} */
NSCORE_API int nscore_inspect_mountstats_json(pid_t pid, char **json_out, nscore_error **err);

NSCORE_END_DECL

#endif /* NSCORE_H */
