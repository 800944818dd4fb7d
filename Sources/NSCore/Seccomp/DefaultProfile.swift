/// NSCore's default seccomp profile: equivalent in effect to Docker's default (moby's
/// `profiles/seccomp/default.json`), with the same allow list, the same capability-dependent
/// additions and the same argument checks, written here as data.
///
/// - Every syscall not allowed fails with EPERM, except `clone3` without CAP_SYS_ADMIN, which
///   fails with ENOSYS so that the C library falls back to `clone` (whose flags can be checked).
/// - Without CAP_SYS_ADMIN, `clone` may not create namespaces: its flags must have none of
///   `CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET` (0x7E020000).
/// - `socket` is refused for AF_VSOCK (40) and `personality` is allowed for five values only.
///   Both take 32-bit arguments, and the checks compare the low 32 bits only, as the kernel
///   reads them (Docker's 64-bit compare lets a caller pass AF_VSOCK with high bits set).
/// - Module loading, `reboot`, `kexec_load`, `keyctl`, `add_key`, `request_key`, `bpf`,
///   `perf_event_open`, `mount`, `unshare`, `setns`, ... are not on the list; `kcmp`,
///   `pidfd_getfd` and `process_madvise` need CAP_SYS_PTRACE (`ptrace` itself is allowed, as in
///   Docker's since Linux 4.8 made it safe).
/// - The architectures are Docker's: x86_64 with x86 and x32 (whose calls NSCore always
///   denies), or aarch64 with arm (which NSCore has no table for: its calls are killed).
extension Seccomp {
    /// The default profile. Its capability-dependent rules are chosen at spawn time from the
    /// container's bounding set; ``default(capabilities:)`` gives them for a set of your choice.
    public static let `default`: Seccomp = {
        var s = Seccomp(defaultAction: .errno(1))
        s.followsCapabilities = true
        return s
    }()

    /// The default profile for a container whose bounding set is `capabilities`.
    public static func `default`(capabilities: CapabilitySet) -> Seccomp {
        var rules: [Rule] = []
        rules.append(Rule(names: DefaultProfile.allowed.map { $0.description }, action: .allow))
        #if arch(x86_64)
        rules.append(Rule(names: ["arch_prctl", "modify_ldt"], action: .allow))
        #elseif arch(arm64)
        rules.append(Rule(names: ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                                  "cacheflush", "set_tls"], action: .allow))
        #endif
        // Low 32 bits only: the kernel reads these arguments as int / unsigned int.
        rules.append(Rule(names: ["socket"], action: .errno(1),
                          arguments: [Argument(index: 0, value: 0xffff_ffff, valueTwo: 40, op: .maskedEqual)]))
        rules.append(Rule(names: ["socket"], action: .allow))
        rules.append(Rule(names: ["personality"], action: .allow,
                          arguments: [0, 0x8, 0x20000, 0x20008, 0xffff_ffff].map {
                              Argument(index: 0, value: 0xffff_ffff, valueTwo: $0, op: .maskedEqual)
                          }))
        for (capability, names) in DefaultProfile.withCapability where capabilities.contains(capability) {
            rules.append(Rule(names: names.map { $0.description }, action: .allow))
        }
        if !capabilities.contains(.sysAdmin) {
            rules.append(Rule(names: ["clone"], action: .allow,
                              arguments: [Argument(index: 0, value: 0x7E02_0000, valueTwo: 0, op: .maskedEqual)]))
            rules.append(Rule(names: ["clone3"], action: .errno(38)))
        }
        #if arch(x86_64)
        let architectures: [Architecture] = [.x86_64, .x86, .x32]
        #else
        let architectures: [Architecture] = [.aarch64, .arm]
        #endif
        var s = Seccomp(defaultAction: .errno(1), architectures: architectures, syscalls: rules)
        s.newerSyscallsAreMissing = true
        return s
    }

    /// This profile with the capability-dependent rules of ``default`` chosen for `capabilities`.
    func resolved(capabilities: CapabilitySet) -> Seccomp {
        guard followsCapabilities else { return self }
        var s = Seccomp.default(capabilities: capabilities)
        // Rules a caller added to `.default` come first: the first matching rule decides.
        s.syscalls = syscalls + s.syscalls
        if !architectures.isEmpty { s.architectures = architectures }
        s.defaultAction = defaultAction
        s.flags = flags
        return s
    }
}

enum DefaultProfile {
    /// Allowed whatever the capabilities. Static data: no allocation until a profile is built.
    static let allowed: [StaticString] = [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir",
        "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
        "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
        "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
        "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
        "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
        "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
        "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
        "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
        "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
        "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents",
        "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
        "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
        "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
        "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
        "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
        "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
        "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
        "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule",
        "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
        "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr",
        "lstat", "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
        "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
        "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
        "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv",
        "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
        "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
        "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
        "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
        "process_vm_readv", "process_vm_writev", "ptrace", "pselect6", "pselect6_time64", "pwrite64",
        "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
        "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
        "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
        "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget",
        "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
        "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
        "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
        "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
        "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
        "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
        "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
        "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
        "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
        "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
        "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
        "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
        "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid",
        "write", "writev",
    ]

    /// Allowed when the bounding set holds the capability.
    static let withCapability: [(Capability, [StaticString])] = [
        (.dacReadSearch, ["open_by_handle_at"]),
        (.sysAdmin, ["bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
                     "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
                     "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
                     "umount2", "unshare"]),
        (.sysBoot, ["reboot"]),
        (.sysChroot, ["chroot"]),
        (.sysModule, ["delete_module", "init_module", "finit_module"]),
        (.sysPacct, ["acct"]),
        (.sysPtrace, ["kcmp", "pidfd_getfd", "process_madvise"]),
        (.sysRawio, ["iopl", "ioperm"]),
        (.sysTime, ["settimeofday", "stime", "clock_settime", "clock_settime64"]),
        (.sysTtyConfig, ["vhangup"]),
        (.sysNice, ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"]),
        (.syslog, ["syslog"]),
        (.bpf, ["bpf"]),
        (.perfmon, ["perf_event_open"]),
    ]
}
