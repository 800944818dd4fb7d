#!/usr/bin/env bash
# tools/gen-cli-order.sh - regenerates tools/cli-order.txt, the symbol order the Makefile links
# build/nscore with (lld --symbol-ordering-file).
#
#   tools/gen-cli-order.sh             (as root: it runs `nscore run` with new namespaces)
#
# Why: the CLI is a static executable of ~11 MB, and a page fault on its code maps the whole
# 64 KiB around it (the kernel's fault-around; `cp` also leaves the file in 64 KiB folios). A
# short `nscore run` executes ~800 functions scattered over the binary (static glibc start-up
# and ifunc resolvers, the Swift runtime, the standard library, NSCore, the CLI), so most of its
# peak RSS was code it never ran. Listing those functions first packs them into a few windows.
#
# How: builds the CLI as the Makefile does (scratch .build-order, with a link map), runs
# `nscore run` under tools/trace-text.c (ptrace single-stepping: every instruction address,
# including the CLONE_VM child until it execs), maps the addresses to symbols with nm, and
# writes them out: first the executed functions in their current order, then the data symbols
# they touch if valgrind is installed (its lackey tool traces memory accesses up to the clone,
# which valgrind cannot follow), and last the functions that live in a large input section
# (libswiftCore's Swift.o keeps its non-public code in one 1.6 MB .text, which moves as one
# block: it goes after the rest so that it does not split the packed code). Run it again after
# changing the CLI or NSCore; a stale order still links, it is only less tight.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/tools/cli-order.txt
SCRATCH=${SCRATCH:-$ROOT/.build-order}
WORK=$(mktemp -d /tmp/nscore-order.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if [[ $(id -u) -ne 0 ]]; then
    echo "gen-cli-order.sh: must run as root (the traced commands create namespaces)" >&2
    exit 1
fi

cd "$ROOT"
# The same flags as the Makefile's build/nscore rule (CLI_LDFLAGS), plus a link map. The current order is
# used if there is one, so that the traced binary is laid out like the one that ships.
ORDER_FLAGS=()
[[ -s $OUT ]] && ORDER_FLAGS=(-Xlinker --symbol-ordering-file="$OUT" -Xlinker --no-warn-symbol-ordering)
swift build -c release --scratch-path "$SCRATCH" -Xswiftc -static-executable \
    -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors -Xswiftc -use-ld=lld \
    "${ORDER_FLAGS[@]}" -Xlinker --no-rosegment -Xlinker --icf=safe -Xlinker -Map="$WORK/nscore.map" \
    --product nscore 2>&1 \
    | grep -v 'statically linked applications requires at runtime' || true
cp "$SCRATCH/release/nscore" "$WORK/nscore"
gcc -O2 -Wall -Wextra -o "$WORK/trace-text" "$ROOT/tools/trace-text.c"

# The executable segment's address range.
read -r LO HI < <(python3 - "$WORK/nscore" <<'EOF'
import subprocess, sys
for line in subprocess.run(['readelf', '-lW', sys.argv[1]], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if f[:1] == ['LOAD'] and f[6:8] == ['R', 'E']:
        print('%x %x' % (int(f[2], 16), int(f[2], 16) + int(f[5], 16)))
EOF
)

# The paths to lay out: the benchmark's `nscore run` (mode b), one that waits for its command
# (sigtimedwait and the signal-forwarding loop: under single-stepping /bin/true is always done
# before the first wait), the other namespace sets, and a container in a root filesystem. Each
# trace goes to a file of its own (ips.1, ips.2, ...): the functions are packed path by path, in
# this order, so that the benchmark's path (the first) touches as few 64 KiB windows as it can,
# and each later path adds its own functions right after.
N=0
trace() { N=$((N + 1)); "$WORK/trace-text" "$LO" "$HI" "$WORK/nscore" "$@" >"$WORK/ips.$N" </dev/null; }
trace run --pid --ipc --uts --mount --net -- /bin/true
trace run --pid --ipc --uts --mount --net -- /bin/sleep 0.5
trace run -- /bin/true
trace run --all -r -- /bin/true
# A rootfs container (the rootfs benchmark's): default mounts, masked paths, read-only root.
bash "$ROOT/tools/make-test-rootfs.sh" "$WORK/rootfs" true >/dev/null
trace run --pid --ipc --uts --mount --net --rootfs "$WORK/rootfs" --read-only -- /bin/true

DATA=""
if command -v valgrind >/dev/null; then
    # valgrind cannot read the DWARF 5 that swiftc emits: trace a copy without it.
    strip -g -o "$WORK/nscore-nodebug" "$WORK/nscore"
    valgrind --tool=lackey --trace-mem=yes --log-file="$WORK/lackey" \
        "$WORK/nscore-nodebug" run --pid --ipc --uts --mount --net -- /bin/true >/dev/null 2>&1 || true
    valgrind --tool=lackey --trace-mem=yes --log-file="$WORK/lackey-rootfs" \
        "$WORK/nscore-nodebug" run --pid --ipc --uts --mount --net --rootfs "$WORK/rootfs" --read-only \
        -- /bin/true >/dev/null 2>&1 || true
    cat "$WORK/lackey-rootfs" >>"$WORK/lackey"
    DATA=$WORK/lackey
else
    echo "gen-cli-order.sh: valgrind is not installed: data symbols are left in place" >&2
fi

python3 - "$WORK/nscore" "$WORK/nscore.map" "$DATA" "$WORK"/ips.* >"$OUT.new" <<'EOF'
import bisect, re, subprocess, sys

binary, map_file, data_file = sys.argv[1:4]
ips_files = sorted(sys.argv[4:], key=lambda p: int(p.rsplit('.', 1)[1]))
BIG = 256 * 1024  # an input section this large moves as one block: order its symbols last

# Input sections from the link map: (address, size).
sections = []
for line in open(map_file):
    m = re.match(r'^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+( +)\S', line)
    if m and len(m[3]) == 9 and int(m[2], 16) > 0:
        sections.append((int(m[1], 16), int(m[2], 16)))
sections.sort()
section_starts = [s[0] for s in sections]

def in_big_section(address):
    i = bisect.bisect_right(section_starts, address) - 1
    return i >= 0 and address < sections[i][0] + sections[i][1] and sections[i][1] >= BIG

code, data = [], []
for line in subprocess.run(['nm', '-nS', '--defined-only', binary], capture_output=True,
                           text=True, check=True).stdout.splitlines():
    f = line.split()  # address [size] type name
    size, kind, name = (int(f[1], 16), f[2], f[3]) if len(f) == 4 else (0, f[1], f[2])
    if kind in 'tTwWiI':
        code.append((int(f[0], 16), name))
    elif kind in 'dDrRbBvV':
        data.append((int(f[0], 16), size, name))
code_starts = [c[0] for c in code]
data_starts = [d[0] for d in data]

# Every symbol at the start address of an executed function (aliases included): the first
# trace's functions in address order, then those each later trace adds, in address order.
hot, have = [], set()
for ips_file in ips_files:
    new = sorted({code[bisect.bisect_right(code_starts, int(l, 16)) - 1][0] for l in open(ips_file)} - have)
    hot += new
    have.update(new)
names = {}
for address in hot:
    i = bisect.bisect_left(code_starts, address)
    while i < len(code) and code[i][0] == address:
        names.setdefault(code[i][1], address)
        i += 1
packed = [n for n, a in names.items() if not in_big_section(a)]
last = [n for n, a in names.items() if in_big_section(a)]

touched = []
if data_file:
    seen = set()
    for line in open(data_file):
        if line[:2] not in (' L', ' S', ' M'):
            continue
        address = int(line[3:].split(',')[0], 16)
        i = bisect.bisect_right(data_starts, address) - 1
        if i >= 0 and address < data[i][0] + max(data[i][1], 1) and data[i][2] not in seen:
            seen.add(data[i][2])
            touched.append(data[i][2])

print('\n'.join(packed + touched + last))
EOF
mv "$OUT.new" "$OUT"
echo "gen-cli-order.sh: $(wc -l <"$OUT") symbols in $OUT" >&2
