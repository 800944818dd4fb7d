#!/usr/bin/env python3
"""tools/gen-syscalls.py - regenerates Sources/CNSCoreShim/syscall_table.c, the system call
name <-> number table of the seccomp BPF compiler (API: Sources/CNSCoreShim/include/nsc_syscalls.h).

    tools/gen-syscalls.py            writes the table
    tools/gen-syscalls.py --check    exits 1 when the committed table differs from a fresh one

Needs, at generation time only (the generated C file needs none of them, nor does the build):
  - a C compiler ($CC, default gcc), for `cc -E -dM` and for a small libseccomp program;
  - linux-libc-dev (x86_64 and i386 numbers: <asm/unistd_64.h>, <asm/unistd_32.h>);
  - linux-libc-dev-arm64-cross (aarch64 numbers: asm-generic/unistd.h as arm64's
    <asm/unistd.h> configures it);
  - libseccomp-dev (names that exist only on other architectures).
    apt-get install -y linux-libc-dev linux-libc-dev-arm64-cross libseccomp-dev

Columns are x86_64, i386, aarch64, taken from the kernel headers, which win over libseccomp
where the two disagree (disagreements are printed and noted in the generated file). Every name
libseccomp knows on any of its architectures (arm, mips, ppc, s390, parisc, riscv, ...) and that
none of the three columns has becomes a row of -1s: a profile written for many architectures
(Docker's default one names recv, socketcall, cacheflush, spu_run, ...) then names calls the
compiler can skip, not unknown ones.

The output depends only on those inputs (no dates), so running it again on the same packages
changes nothing.
"""

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Sources", "CNSCoreShim", "syscall_table.c")

X86_INCLUDE = "/usr/include/x86_64-linux-gnu"
AARCH64_INCLUDE = "/usr/aarch64-linux-gnu/include"

# Column order; must match the NSC_ARCH_* enum of nsc_syscalls.h.
COLUMNS = ("x86_64", "i386", "aarch64")
# libseccomp's name for each column's architecture.
SECCOMP_ARCH = {"x86_64": "x86_64", "i386": "x86", "aarch64": "aarch64"}

# `__NR_*` macros that are not system calls.
NOT_SYSCALLS = {"syscalls", "arch_specific_syscall"}

# What each architecture's build predefines, as far as the UAPI headers look at it (they are
# preprocessed with -undef -nostdinc, so nothing of the host leaks in). aarch64 is LP64, and its
# <asm/unistd.h> sets the __ARCH_WANT_* macros before including asm-generic/unistd.h;
# __SYSCALL_COMPAT stays undefined (that is the arm32 compat table of an arm64 kernel).
HEADERS = {
    "x86_64": (X86_INCLUDE, "asm/unistd_64.h", ["__x86_64__", "__LP64__", "_LP64"]),
    "i386": (X86_INCLUDE, "asm/unistd_32.h", ["__i386__"]),
    "aarch64": (AARCH64_INCLUDE, "asm/unistd.h",
                ["__aarch64__", "__LP64__", "_LP64", "__CHAR_BIT__=8", "__SIZEOF_LONG__=8"]),
}
# arm64's uapi <asm/unistd.h> (Linux 6.1) sets exactly these; a change means the header moved on
# and the table should be looked at again.
AARCH64_WANT = {"__ARCH_WANT_RENAMEAT", "__ARCH_WANT_NEW_STAT", "__ARCH_WANT_SET_GET_RLIMIT",
                "__ARCH_WANT_TIME32_SYSCALLS", "__ARCH_WANT_SYS_CLONE3", "__ARCH_WANT_MEMFD_SECRET"}

# Well-known numbers; a wrong include path or define set fails here.
KNOWN = {
    "x86_64": {"read": 0, "write": 1, "open": 2, "clone": 56, "fork": 57, "execve": 59,
               "getppid": 110, "openat": 257, "seccomp": 317, "clone3": 435},
    "i386": {"exit": 1, "read": 3, "write": 4, "execve": 11, "getppid": 64, "socketcall": 102,
             "clone": 120, "openat": 295, "clone3": 435},
    "aarch64": {"openat": 56, "read": 63, "write": 64, "getppid": 173, "clone": 220,
                "execve": 221, "mmap": 222, "fcntl": 25, "lseek": 62, "newfstatat": 79,
                "sync_file_range": 84, "clone3": 435},
}
# Names that must not be in a column (aliases of the 32-bit side of asm-generic, ...).
ABSENT = {
    "x86_64": {"socketcall", "waitpid"},
    "i386": {"newfstatat"},
    "aarch64": {"open", "fork", "fcntl64", "mmap2", "sync_file_range2"},
}
# Names of other architectures that a multi-architecture profile (Docker's default) uses: each
# must end up in the table, or profiles that name it would be rejected.
MULTIARCH_NAMES = [
    "recv", "send", "socketcall", "ipc", "waitpid", "_llseek", "_newselect", "swapcontext",
    "sync_file_range2", "arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush",
    "set_tls", "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr",
    "riscv_flush_icache", "spu_run", "subpage_prot", "multiplexer", "sys_debug_setcontext",
    "usr26", "usr32", "cachectl", "sysmips",
]

# Enumerates libseccomp's tables: for every architecture it knows (a name it does not know
# resolves to 0 and is skipped, so newer libseccomps add theirs), every number in the ranges
# that architectures use: 0.., the MIPS o32/n64/n32 bases 4000/5000/6000, ARM's private calls
# at 0xf0000 (__ARM_NR_BASE), and x32's 0x40000000 bit.
ENUMERATOR = r"""
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const arches[] = {
    "x86", "x86_64", "x32", "arm", "aarch64", "loongarch64", "m68k", "mips", "mips64",
    "mips64n32", "mipsel", "mipsel64", "mipsel64n32", "ppc", "ppc64", "ppc64le", "s390",
    "s390x", "parisc", "parisc64", "riscv64", "sh", "sheb",
};
static const struct { int lo, hi; } ranges[] = {
    {0, 1100}, {4000, 7100}, {0xf0000, 0xf0800}, {0x40000000, 0x40000000 + 1100},
};

int main(void) {
    const struct scmp_version *v = seccomp_version();
    printf("version %u.%u.%u\n", v->major, v->minor, v->micro);
    for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++) {
        uint32_t token = seccomp_arch_resolve_name(arches[a]);
        if (token == 0)
            continue;
        printf("arch %s\n", arches[a]);
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
            for (int nr = ranges[r].lo; nr < ranges[r].hi; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(token, nr);
                if (name != NULL) {
                    printf("%s %d %s\n", arches[a], nr, name);
                    free(name);
                }
            }
        }
    }
    return 0;
}
"""

NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")


def fail(message):
    sys.exit(f"gen-syscalls.py: {message}")


def run(argv, **kwargs):
    try:
        return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs).stdout
    except FileNotFoundError:
        fail(f"{argv[0]} not found")
    except subprocess.CalledProcessError as error:
        fail(f"{' '.join(argv)} failed:\n{error.stderr}")


def macros(cc, include_dir, header, defines):
    """Every macro `cc -E -dM` sees after including `header` from `include_dir` alone."""
    if not os.path.isfile(os.path.join(include_dir, header)):
        fail(f"{include_dir}/{header} is missing (see the package list at the top of this file)")
    argv = [cc, "-E", "-dM", "-undef", "-nostdinc", "-I", include_dir, "-x", "c", "-"]
    argv += [f"-D{d}" for d in defines]
    out = run(argv, input=f"#include <{header}>\n")
    table = {}
    for line in out.splitlines():
        m = re.match(r"#define (\w+)(?:\(.*?\))? ?(.*)", line)
        if m:
            table[m.group(1)] = m.group(2).strip()
    return table


def evaluate(name, table, seen=()):
    """The integer value of macro `name`, following aliases (__NR_fcntl -> __NR3264_fcntl) and
    small sums (__NR_SYSCALL_BASE + 5) recursively."""
    if name in seen:
        fail(f"macro loop through {name}")
    body = table[name]
    expression = re.sub(r"\b[A-Za-z_]\w*",
                        lambda m: str(evaluate(m.group(0), table, seen + (name,))), body)
    tree = ast.parse(expression, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Add,
                                 ast.Sub, ast.BitOr, ast.USub)):
            fail(f"cannot evaluate {name} = {body}")
    value = eval(compile(tree, "<macro>", "eval"))  # only integer arithmetic, checked above
    if not isinstance(value, int):
        fail(f"{name} = {body} is not an integer")
    return value


def header_numbers(cc, arch):
    include_dir, header, defines = HEADERS[arch]
    table = macros(cc, include_dir, header, defines)
    if arch == "aarch64":
        if table.get("__BITS_PER_LONG") != "64":
            fail("aarch64: __BITS_PER_LONG is not 64")
        want = {m for m in table if m.startswith("__ARCH_WANT_")}
        if want != AARCH64_WANT:
            fail(f"aarch64: <asm/unistd.h> sets {sorted(want)}, expected {sorted(AARCH64_WANT)}")
        if "__SYSCALL_COMPAT" in table:
            fail("aarch64: __SYSCALL_COMPAT is defined")
    numbers = {}
    for macro in table:
        if macro.startswith("__NR_") and macro[5:] not in NOT_SYSCALLS:
            numbers[macro[5:]] = evaluate(macro, table)
    for name, nr in KNOWN[arch].items():
        assert numbers.get(name) == nr, f"{arch}: {name} is {numbers.get(name)}, expected {nr}"
    for name in ABSENT[arch]:
        assert name not in numbers, f"{arch}: {name} should not exist"
    by_number = {}
    for name, nr in numbers.items():
        assert NAME.match(name), f"{arch}: odd name {name!r}"
        assert 0 <= nr < 0x8000, f"{arch}: {name} = {nr} does not fit the table's int16_t"
        assert nr not in by_number, f"{arch}: {name} and {by_number[nr]} are both {nr}"
        by_number[nr] = name
    return numbers


def header_version(include_dir):
    """'6.1.4' from <linux/version.h>."""
    text = open(os.path.join(include_dir, "linux", "version.h")).read()
    code = int(re.search(r"#define LINUX_VERSION_CODE (\d+)", text).group(1))
    return f"{code >> 16}.{(code >> 8) & 0xff}.{code & 0xff}"


def package_version(package):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], check=True,
                              capture_output=True, text=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def seccomp_tables(cc):
    """(libseccomp version, {arch: {name: nr}}) from libseccomp's own tables."""
    work = tempfile.mkdtemp(prefix="gen-syscalls.")
    try:
        source = os.path.join(work, "enumerate.c")
        binary = os.path.join(work, "enumerate")
        with open(source, "w") as f:
            f.write(ENUMERATOR)
        run([cc, "-O1", "-o", binary, source, "-lseccomp"])
        out = run([binary])
    finally:
        shutil.rmtree(work)
    version, tables = None, {}
    for line in out.splitlines():
        fields = line.split()
        if fields[0] == "version":
            version = fields[1]
        elif fields[0] == "arch":
            tables[fields[1]] = {}
        else:
            arch, nr, name = fields[0], int(fields[1]), fields[2]
            assert NAME.match(name), f"libseccomp: odd name {name!r} ({arch} {nr})"
            # MIPS and x32 resolve a number with and without their base; keep the lower one.
            tables[arch].setdefault(name, nr)
    for arch in SECCOMP_ARCH.values():
        if arch not in tables:
            fail(f"libseccomp does not know {arch}")
    return version, tables


def cross_check(headers, seccomp):
    """Lines describing where libseccomp's numbers differ from the headers' (which win), one
    per name: "fchmodat2: x86_64, i386, aarch64 none in the headers, 452 in libseccomp"."""
    differences = {}
    for column in COLUMNS:
        ours, theirs = headers[column], seccomp[SECCOMP_ARCH[column]]
        for name in set(ours) | set(theirs):
            a, b = ours.get(name), theirs.get(name)
            if a != b:
                pair = ("none" if a is None else a, "none" if b is None else b)
                differences.setdefault(name, {}).setdefault(pair, []).append(column)
    lines = []
    for name in sorted(differences):
        parts = [f"{', '.join(columns)} {a} in the headers, {b} in libseccomp"
                 for (a, b), columns in differences[name].items()]
        lines.append(f"{name}: {'; '.join(parts)}")
    return lines


def wrap(text, first, rest):
    return "\n".join(textwrap.wrap(text, 100, initial_indent=first, subsequent_indent=rest,
                                    break_on_hyphens=False))


def render(rows, pool_size, sources, disagreements):
    out = []
    w = out.append
    w("/*")
    w(" * syscall_table.c - GENERATED by tools/gen-syscalls.py; do not edit: change the generator")
    w(" * and run it again (API and semantics: include/nsc_syscalls.h).")
    w(" *")
    w(" * Sources:")
    for line in sources:
        w(wrap(line, " *   - ", " *     "))
    w(" *")
    w(" * libseccomp's numbers for these three architectures, compared with the headers. The")
    w(" * headers win: a call newer than them is -1 in every column, like another architecture's,")
    w(" * until the table is generated again from newer headers.")
    for line in disagreements or ["no disagreement"]:
        w(wrap(line, " *   - ", " *     "))
    w(" *")
    w(" * Layout: every name, NUL-terminated, in one string pool; a row is the name's offset in the")
    w(" * pool and its numbers (-1 = absent), 8 bytes, with no pointer, so the table is read-only")
    w(" * data that needs no relocation. Rows are in strcmp order of their names.")
    w(" */")
    w("#include <stdint.h>")
    w("")
    w('#include "nsc_syscalls.h"')
    w("")
    w(f"#define NSC_SYSCALL_ROWS {len(rows)}")
    w("")
    w("static const char nsc_syscall_names[] =")
    for i, (name, _, _) in enumerate(rows):
        w(f'    "{name}\\0"' + (";" if i == len(rows) - 1 else ""))
    w("")
    w("static const struct nsc_syscall_row {")
    w("    uint16_t name; /* offset in nsc_syscall_names */")
    w("    int16_t nr[3]; /* by NSC_ARCH_*: x86_64, i386, aarch64; -1 = absent */")
    w("} nsc_syscall_rows[NSC_SYSCALL_ROWS] = {")
    for name, offset, numbers in rows:
        cells = ", ".join(f"{n:3d}" for n in numbers)
        w(f"    {{{offset:5d}, {{{cells}}}}}, /* {name} */")
    w("};")
    w("")
    w(f"_Static_assert(sizeof nsc_syscall_names == {pool_size}, \"pool and offsets disagree\");")
    w("_Static_assert(NSC_ARCH_X86_64 == 0 && NSC_ARCH_I386 == 1 && NSC_ARCH_AARCH64 == 2,")
    w('               "columns are in NSC_ARCH_* order");')
    w("")
    w(TEMPLATE_FUNCTIONS.strip("\n"))
    return "\n".join(out) + "\n"


TEMPLATE_FUNCTIONS = r"""
int nsc_shim_syscall_count(void) { return NSC_SYSCALL_ROWS; }

/* strcmp order of the `length` bytes at `key` against the NUL-terminated `name`. */
static int nsc_syscall_compare(const char *key, size_t length, const char *name) {
    for (size_t i = 0; i < length; i++) {
        unsigned char k = (unsigned char)key[i], n = (unsigned char)name[i];
        if (n == 0)
            return 1; /* name is a proper prefix of key */
        if (k != n)
            return k < n ? -1 : 1;
    }
    return name[length] == 0 ? 0 : -1;
}

int nsc_shim_syscall_lookup(const char *name, size_t length) {
    int lo = 0, hi = NSC_SYSCALL_ROWS;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        const char *candidate = nsc_syscall_names + nsc_syscall_rows[mid].name;
        int order = nsc_syscall_compare(name, length, candidate);
        if (order == 0)
            return mid;
        if (order < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

int nsc_shim_syscall_number(int row, int arch) {
    if (row < 0 || row >= NSC_SYSCALL_ROWS || arch < 0 || arch > NSC_ARCH_AARCH64)
        return -1;
    return nsc_syscall_rows[row].nr[arch];
}

const char *nsc_shim_syscall_row_name(int row) {
    if (row < 0 || row >= NSC_SYSCALL_ROWS)
        return NULL;
    return nsc_syscall_names + nsc_syscall_rows[row].name;
}

int nsc_shim_syscall_name_row(int arch, int nr) {
    if (arch < 0 || arch > NSC_ARCH_AARCH64 || nr < 0)
        return -1;
    for (int row = 0; row < NSC_SYSCALL_ROWS; row++) {
        if (nsc_syscall_rows[row].nr[arch] == nr)
            return row;
    }
    return -1;
}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed table instead of writing it")
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args()
    cc = os.environ.get("CC", "gcc")

    headers = {arch: header_numbers(cc, arch) for arch in COLUMNS}
    seccomp_version, seccomp = seccomp_tables(cc)
    disagreements = cross_check(headers, seccomp)

    from_headers = set().union(*headers.values())
    from_seccomp = set().union(*seccomp.values()) - from_headers
    for name in MULTIARCH_NAMES:
        assert name in from_headers or name in from_seccomp, f"{name} is in no source"
    names = sorted(from_headers | from_seccomp)  # code point order = strcmp order (ASCII)

    rows, offset = [], 0
    for name in names:
        rows.append((name, offset, [headers[arch].get(name, -1) for arch in COLUMNS]))
        offset += len(name) + 1
    pool_size = offset + 1  # the literal's own terminating NUL
    assert offset <= 0xFFFF, "the pool outgrew uint16_t offsets"

    x86_version = header_version("/usr/include")
    arm_version = header_version(AARCH64_INCLUDE)
    x86_package = package_version("linux-libc-dev")
    arm_package = package_version("linux-libc-dev-arm64-cross")
    sources = [
        f"x86_64, i386: {X86_INCLUDE}/asm/unistd_64.h, unistd_32.h (Linux {x86_version} UAPI"
        + (f", linux-libc-dev {x86_package})" if x86_package else ")"),
        f"aarch64: {AARCH64_INCLUDE}/asm/unistd.h -> asm-generic/unistd.h (Linux {arm_version}"
        + (f" UAPI, linux-libc-dev-arm64-cross {arm_package})" if arm_package else " UAPI)")
        + ", resolved with `cc -E -dM` as an LP64 aarch64 build, with the __ARCH_WANT_* macros"
        " that arm64's header sets",
        f"names of other architectures: libseccomp {seccomp_version}'s tables "
        f"({', '.join(sorted(seccomp))})",
        f"{len(rows)} rows: {len(from_headers)} names from the headers "
        f"(x86_64 {len(headers['x86_64'])}, i386 {len(headers['i386'])}, "
        f"aarch64 {len(headers['aarch64'])}), {len(from_seccomp)} from libseccomp only "
        "(-1 in every column)",
    ]
    text = render(rows, pool_size, sources, disagreements)

    for line in disagreements:
        print(f"gen-syscalls.py: {line}", file=sys.stderr)
    summary = (f"{len(rows)} rows: {len(from_headers)} from the headers, "
               f"{len(from_seccomp)} from libseccomp {seccomp_version} only")
    if args.check:
        try:
            current = open(args.output).read()
        except FileNotFoundError:
            current = None
        if current != text:
            fail(f"{os.path.relpath(args.output, ROOT)} is stale; run tools/gen-syscalls.py")
        print(f"gen-syscalls.py: up to date ({summary})")
        return
    with open(args.output, "w") as f:
        f.write(text)
    print(f"gen-syscalls.py: wrote {os.path.relpath(args.output, ROOT)} ({summary})")


if __name__ == "__main__":
    main()
