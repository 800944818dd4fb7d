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

#endif
