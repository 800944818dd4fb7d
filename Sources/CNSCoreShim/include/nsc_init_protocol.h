/*
 * nsc_init_protocol.h - what nscore-init (Sources/nscore-init/init.c) and the library agree on:
 * the failure kinds it reports and the join report it writes.
 *
 * Included by the freestanding init program, so it includes nothing and uses plain `int`
 * (32 bits on every architecture NSCore supports).
 */
#ifndef NSC_INIT_PROTOCOL_H
#define NSC_INIT_PROTOCOL_H

/* nscore-init's command line (init.c's header comment says what each does):
 *   nscore-init [-e FD | -r FD] [-s FD:FLAGS]... [-C DIR] [-k SIG] [-t] [-i] -- PATH ARGV0 [ARGS...]
 * The library builds it through InitCommandLine (Swift) from these spellings. */
#define NSC_INIT_OPT_ERROR_PIPE "-e" /* FD: the CLOEXEC error pipe                         */
#define NSC_INIT_OPT_REPORT "-r"     /* FD: join mode, the memfd of the report page          */
#define NSC_INIT_OPT_SETNS "-s"      /* FD:FLAGS: setns(FD, FLAGS), then close(FD)           */
#define NSC_INIT_OPT_CHDIR "-C"      /* DIR: chdir after the joins                          */
#define NSC_INIT_OPT_PDEATHSIG "-k"  /* SIG: PR_SET_PDEATHSIG in the command (join mode)    */
#define NSC_INIT_OPT_TERMINAL "-t"   /* the command: setsid, stdin its controlling terminal */
#define NSC_INIT_OPT_INIT "-i"       /* init mode: fork, relay signals, reap               */
#define NSC_INIT_OPT_END "--"        /* then PATH ARGV0 [ARGS...]                            */
#define NSC_INIT_ARGV0 "nscore-init"

/* Failure kinds nscore-init reports (the executor's own kinds are in spawn_plan.h; 104 is
 * execve for both). */
enum nsc_init_kind {
    NSC_INIT_KIND_SETNS = 1,    /* setns(FD, FLAGS) of one -s option                     */
    NSC_INIT_KIND_EXEC = 104,   /* execve of the command                                  */
    NSC_INIT_KIND_FORK = 105,   /* fork of the command (ENOMEM: the PID namespace is dead) */
    NSC_INIT_KIND_USAGE = 106,  /* a malformed nscore-init command line (a library bug)   */
    NSC_INIT_KIND_CHDIR = 107,  /* chdir(DIR) of -C                                       */
    NSC_INIT_KIND_REPORT = 109, /* preparing the join report page or the process          */
    NSC_INIT_KIND_TERMINAL = 110, /* setsid or TIOCSCTTY of -t, in the command            */
};

/* nsc_join_report.state */
enum nsc_join_state {
    NSC_JOIN_NONE = 0,   /* nothing written: nscore-init died before it could report */
    NSC_JOIN_EXECED = 1, /* the command exec'd as `pid`                              */
    NSC_JOIN_FAILED = 2, /* `kind` failed with `err`; `pid` > 0 if the command was forked
                            (it has exited 127 and is the library's to reap)           */
};

/*
 * The join report: nscore-init -r FD maps the first page of the memfd FD (MAP_SHARED), closes
 * FD and writes this at offset 0 just before it exits. The library reads it with pread once
 * nscore-init has exited. Until its execve the command shares nscore-init's memory, this page
 * included, so the library trusts `pid` only as its own unreaped child in the PID namespace the
 * command had to enter.
 */
struct nsc_join_report {
    int state; /* enum nsc_join_state                                           */
    int kind;  /* enum nsc_init_kind when FAILED                                */
    int err;   /* errno when FAILED                                             */
    int step;  /* KIND_SETNS: the index of the failed -s option, counting from 0 */
    int pid;   /* the command's pid in nscore-init's (the caller's) PID namespace */
};

#endif
