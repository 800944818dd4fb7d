/*
 * raw_syscall.h - system calls issued directly, shared by spawn.c (the child between clone and
 * execve) and nscore-init (a freestanding program without libc).
 *
 * nsc_raw returns the kernel's result, -errno on failure, and touches nothing else: no errno,
 * no TLS, no locks. This header includes nothing, so nscore-init builds without a sysroot.
 */
#ifndef NSC_RAW_SYSCALL_H
#define NSC_RAW_SYSCALL_H

#if defined(__x86_64__)
static inline long nsc_raw(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static inline long nsc_raw(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a1;
    register long x1 __asm__("x1") = a2;
    register long x2 __asm__("x2") = a3;
    register long x3 __asm__("x3") = a4;
    register long x4 __asm__("x4") = a5;
    register long x5 __asm__("x5") = a6;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory", "cc");
    return x0;
}
#else
#error "raw_syscall.h needs a raw syscall sequence for this architecture (x86_64 and aarch64 exist)"
#endif

#define nsc_sys0(n) nsc_raw((n), 0, 0, 0, 0, 0, 0)
#define nsc_sys1(n, a) nsc_raw((n), (long)(a), 0, 0, 0, 0, 0)
#define nsc_sys2(n, a, b) nsc_raw((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define nsc_sys3(n, a, b, c) nsc_raw((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define nsc_sys4(n, a, b, c, d) nsc_raw((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define nsc_sys5(n, a, b, c, d, e) nsc_raw((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* struct clone_args as of Linux 5.7 (CLONE_ARGS_SIZE_VER2): 88 bytes. */
struct nsc_clone_args {
    unsigned long long flags;
    unsigned long long pidfd;
    unsigned long long child_tid;
    unsigned long long parent_tid;
    unsigned long long exit_signal;
    unsigned long long stack;
    unsigned long long stack_size;
    unsigned long long tls;
    unsigned long long set_tid;
    unsigned long long set_tid_size;
    unsigned long long cgroup;
};

/*
 * clone3 on a new stack. The child cannot return through a C function frame that lives on the
 * parent's stack (with CLONE_VM that frame is the parent's own memory), so the syscall is
 * issued from assembly: in the child (rax/x0 == 0) it calls fn(arg) on the new stack and exits
 * its thread group with fn's result; the parent returns the pid or -errno. The assembler
 * symbol is local (no .globl): each object that defines NSC_RAW_WANT_CLONE3 before including
 * this header has its own copy.
 */
#ifdef NSC_RAW_WANT_CLONE3
long nsc_clone3_vm(struct nsc_clone_args *args, unsigned long size, int (*fn)(void *), void *arg);
#if defined(__x86_64__)
__asm__(".text\n"
        ".p2align 4\n"
        ".type nsc_clone3_vm,@function\n"
        "nsc_clone3_vm:\n"
        "    mov %rdx, %r8\n"        /* fn survives the syscall in r8 */
        "    mov %rcx, %r9\n"        /* arg in r9 */
        "    mov $435, %eax\n"       /* SYS_clone3 */
        "    syscall\n"
        "    test %rax, %rax\n"
        "    jnz 1f\n"
        "    xor %ebp, %ebp\n"       /* child: outermost frame */
        "    mov %r9, %rdi\n"
        "    call *%r8\n"
        "    mov %eax, %edi\n"
        "    mov $231, %eax\n"       /* SYS_exit_group */
        "    syscall\n"
        "    hlt\n"
        "1:  ret\n"
        ".size nsc_clone3_vm, .-nsc_clone3_vm\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".p2align 2\n"
        ".type nsc_clone3_vm,%function\n"
        "nsc_clone3_vm:\n"
        "    mov x9, x2\n"
        "    mov x10, x3\n"
        "    mov x8, #435\n"
        "    svc #0\n"
        "    cbnz x0, 1f\n"
        "    mov x29, xzr\n"
        "    mov x30, xzr\n"
        "    mov x0, x10\n"
        "    blr x9\n"
        "    mov x8, #94\n"          /* SYS_exit_group */
        "    svc #0\n"
        "    brk #0\n"
        "1:  ret\n"
        ".size nsc_clone3_vm, .-nsc_clone3_vm\n");
#endif
#endif /* NSC_RAW_WANT_CLONE3 */

#endif
