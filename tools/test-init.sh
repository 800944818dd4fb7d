#!/usr/bin/env bash
# test-init.sh - tests nscore-init on the real kernel (run as root).
#
#   tools/test-init.sh [BINARY]
#
# Without BINARY, builds nscore-init with tools/build-init.sh into a temporary directory (which
# also refreshes Sources/CNSCoreShim/init_image.h if its bytes changed) and checks that the
# header embeds exactly the binary that was tested. Needs unshare(1) and python3. Prints the
# binary's size and the init's peak RSS; exits non-zero if any check fails.
#
# With NSCORE_INIT_RUNNER set (e.g. qemu-aarch64), BINARY is run through it: how the aarch64
# image is tested on an x86_64 machine (make test-init-aarch64). Checks that cannot hold under
# user-mode emulation are skipped, each with its reason.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d /tmp/nscore-init-test.XXXXXX)"
bg_pids=()

cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for p in "${bg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

if [[ $# -ge 1 ]]; then
    bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
    built_here=0
else
    "$root/tools/build-init.sh" "$tmp/out" >/dev/null
    bin="$tmp/out/nscore-init"
    built_here=1
fi

# The file whose bytes are checked; $bin is what is run (a wrapper when there is a runner).
image="$bin"
runner="${NSCORE_INIT_RUNNER:-}"
if [[ -n $runner ]]; then
    printf '#!/bin/sh\nexec %s %q "$@"\n' "$runner" "$image" >"$tmp/init-under-runner"
    chmod +x "$tmp/init-under-runner"
    bin="$tmp/init-under-runner"
fi
# emulated REASON: true (and prints a skip line) when running under a runner.
emulated() {
    [[ -n $runner ]] || return 1
    printf 'skip  %s (under %s: %s)\n' "$CHECK" "$runner" "$1"
}

if [[ $(id -u) -ne 0 ]]; then
    echo "test-init.sh: must run as root" >&2
    exit 1
fi

failures=0
pass() { printf 'ok    %s\n' "$1"; }
fail() { printf 'FAIL  %s\n' "$1"; failures=$((failures + 1)); }
# expect NAME EXPECTED ACTUAL
expect() {
    if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
# status CMD...: runs CMD and prints its exit status (never fails the script).
status() { local rc=0; "$@" >/dev/null 2>&1 || rc=$?; echo "$rc"; }

# Waits (up to ~5 s) until process $1 has left our namespace of kind $2.
wait_ns() {
    local i self
    self="$(readlink "/proc/self/ns/$2")"
    for i in $(seq 100); do
        if [[ -e /proc/$1/ns/$2 && "$(readlink "/proc/$1/ns/$2" 2>/dev/null)" != "$self" ]]; then return 0; fi
        sleep 0.05
    done
    echo "test-init.sh: process $1 never entered a new $2 namespace" >&2
    return 1
}

# The first child of process $1 (waits up to ~5 s for it to appear).
child_of() {
    local i c
    for i in $(seq 100); do
        c="$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)"
        c="${c%% *}"
        if [[ -n "$c" ]]; then echo "$c"; return 0; fi
        sleep 0.05
    done
    return 1
}

echo "== binary"
expect "is a static ELF executable" "ELF" "$(head -c4 "$image" | tail -c3)"
if command -v readelf >/dev/null; then
    expect "has no PT_INTERP / PT_DYNAMIC" "0" "$(readelf -lW "$image" | grep -cE 'INTERP|DYNAMIC' || true)"
    expect "has no writable LOAD segment" "0" "$(readelf -lW "$image" | grep LOAD | grep -c 'RW' || true)"
    expect "non-executable stack" "1" "$(readelf -lW "$image" | grep GNU_STACK | grep -c 'RW ' || true)"
fi
if [[ $built_here -eq 1 ]]; then
    embedded="$(python3 - "$root/Sources/CNSCoreShim/init_image.h" "$bin" "$(uname -m)" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"/\* begin %s \*/\n.*?\{(.*?)\};" % re.escape(sys.argv[3]), text, re.S)
data = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", m.group(1))) if m else b""
print("same" if data == open(sys.argv[2], "rb").read() else "different")
EOF
)"
    expect "init_image.h embeds this binary" "same" "$embedded"
fi

echo "== plain exec"
expect "echo hi" "hi" "$("$bin" -- /bin/echo echo hi)"
expect "exit code passthrough" "7" "$(status "$bin" -- /bin/sh sh -c 'exit 7')"
expect "argv[0] is ARGV0" "custom" "$("$bin" -- /bin/sh custom -c 'echo $0')"
expect "environment passed" "v42" "$(NSC_TEST_VAR=v42 "$bin" -- /bin/sh sh -c 'echo $NSC_TEST_VAR')"
expect "missing PATH exits 127" "127" "$(status "$bin" -- /nonexistent x)"
expect "no -- is a usage error" "127" "$(status "$bin" /bin/true true)"
expect "relative PATH is a usage error" "127" "$(status "$bin" -- bin/true true)"
expect "no ARGV0 is a usage error" "127" "$(status "$bin" -- /bin/true)"
expect "unknown option is a usage error" "127" "$(status "$bin" -x -- /bin/true true)"
expect "stderr message without -e" "nscore-init: execve: errno 2" "$("$bin" -- /nonexistent x 2>&1)"

echo "== init mode, PID 1 of a new PID namespace"
out="$(unshare --pid --fork --mount-proc "$bin" -i -- /bin/sh sh -c \
    'echo $$; cat /proc/1/comm; grep SigBlk /proc/self/status | tr -d "\t"')" || true
CHECK="payload is pid 2, init is pid 1, payload mask empty"
emulated "its own threads take pids" || expect "$CHECK" "2 nscore-init SigBlk:0000000000000000" "$(echo $out)"
expect "exit code passthrough" "3" "$(status unshare --pid --fork --mount-proc "$bin" -i -- /bin/sh sh -c 'exit 3')"
zombies="$(unshare --pid --fork --mount-proc "$bin" -i -- /bin/sh sh -c \
    'sh -c "sleep 0.2 &"; sleep 1; for f in /proc/[0-9]*/stat; do read -r p c s rest < $f; echo $s; done | grep -c Z')" || true
expect "orphaned zombie is reaped" "0" "$zombies"

unshare --pid --fork --mount-proc "$bin" -i -- /bin/sh sh -c \
    'trap "exit 42" TERM; while :; do sleep 0.05; done' &
u=$!
bg_pids+=("$u")
init_pid="$(child_of "$u")"
child_of "$init_pid" >/dev/null # the payload exists (so its trap is about to be set)
sleep 0.3
kill -TERM "$init_pid"
rc=0; wait "$u" || rc=$?
expect "SIGTERM to init is forwarded; init exits with the payload's 42" "42" "$rc"

unshare --pid --fork --mount-proc "$bin" -i -- /bin/sleep sleep 100 &
u=$!
bg_pids+=("$u")
init_pid="$(child_of "$u")"
payload="$(child_of "$init_pid")"
kill -KILL "$payload"
rc=0; wait "$u" || rc=$?
expect "payload killed by SIGKILL -> init exits 137" "137" "$rc"

echo "== init mode, not PID 1"
expect "exit code passthrough" "5" "$(status "$bin" -i -- /bin/sh sh -c 'exit 5')"
expect "killed by SIGTERM -> 143" "143" "$(status "$bin" -i -- /bin/sh sh -c 'kill -TERM $$')"
expect "works when the caller ignores SIGCHLD" "6" "$(status python3 -c '
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], [sys.argv[1], "-i", "--", "/bin/sh", "sh", "-c", "exit 6"])' "$bin")"
# As a child subreaper, init adopts the payload's orphans and reaps them.
out="$("$bin" -i -- /bin/sh sh -c 'o=$(sh -c "sleep 0.3 >/dev/null & echo \$!"); sleep 0.1
    echo $(grep PPid /proc/$o/status | cut -f2) $PPID; sleep 0.6; test -e /proc/$o && echo alive || echo gone')" || true
read -r adopter init_pid gone <<<"$(echo $out)"
CHECK="orphan adopted by the subreaper init"
if emulated "PR_SET_CHILD_SUBREAPER is not passed to the kernel"; then :
elif [[ "$adopter" == "$init_pid" && "$gone" == gone ]]; then
    pass "orphan adopted by the subreaper init (pid $init_pid) and reaped"
else
    fail "orphan: [$out]"
fi

echo "== error pipe (-e 3)"
if ! python3 - "$bin" <<'EOF'
import errno, os, struct, subprocess, sys, time

bin = sys.argv[1]
failures = 0

def run(args, want_record, want_rc, eof_before=None):
    """Runs nscore-init with the pipe's write end as fd 3; checks the bytes read and the status."""
    global failures
    r, w = os.pipe()
    p = subprocess.Popen([bin, "-e", "3"] + args, preexec_fn=lambda: os.dup2(w, 3), close_fds=False,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    start = time.monotonic()
    data = b""
    while True:
        chunk = os.read(r, 64)
        if not chunk:
            break
        data += chunk
    eof_after = time.monotonic() - start
    os.close(r)
    rc = p.wait()
    got = struct.unpack("=3i", data) if len(data) == 12 else data
    name = " ".join(args)
    ok = got == want_record and rc == want_rc and (eof_before is None or eof_after < eof_before)
    detail = f"record {got}, exit {rc}" + (f", EOF after {eof_after:.2f}s" if eof_before else "")
    print(("ok    " if ok else "FAIL  ") + f"-e 3 {name}: {detail}")
    failures += not ok

run(["--", "/nonexistent", "x"], (-1, 104, errno.ENOENT), 127)
run(["--", "/bin/true", "true"], b"", 0)
run(["-i", "--", "/nonexistent", "x"], (-1, 104, errno.ENOENT), 127)
run(["-i", "--", "/bin/true", "true"], b"", 0)
# EOF must come when the payload's execve succeeds, not when it exits.
run(["-i", "--", "/bin/sleep", "sleep", "1"], b"", 0, eof_before=0.5)
run(["--", "/etc/passwd", "x"], (-1, 104, errno.EACCES), 127)
run(["bogus", "--", "/bin/true", "true"], (-1, 106, errno.EINVAL), 127)
run(["--", "bin/true", "true"], (-1, 106, errno.EINVAL), 127)
run(["--", "/bin/true"], (-1, 106, errno.EINVAL), 127)
run(["/bin/true", "true"], (-1, 106, errno.EINVAL), 127)
run(["-s", "1x:0", "--", "/bin/true", "true"], (-1, 106, errno.EINVAL), 127)
run(["-s", "3:0", "--", "/bin/true", "true"], (-1, 106, errno.EINVAL), 127)
run(["-e", "3", "--", "/bin/true", "true"], (-1, 106, errno.EINVAL), 127)
run(["-s", "99:0", "--", "/bin/true", "true"], (-1, 1, errno.EBADF), 127)
# The error fd is CLOEXEC: the payload does not see it.
r, w = os.pipe()
out = subprocess.run([bin, "-e", "3", "--", "/bin/sh", "sh", "-c", "test -e /proc/self/fd/3 && echo open || echo closed"],
                     preexec_fn=lambda: os.dup2(w, 3), close_fds=False, capture_output=True, text=True).stdout.strip()
os.close(w); os.close(r)
print(("ok    " if out == "closed" else "FAIL  ") + f"error fd is closed in the payload: {out}")
failures += out != "closed"
sys.exit(1 if failures else 0)
EOF
then
    failures=$((failures + 1))
fi

echo "== -s FD:FLAGS"
unshare --net sleep 100 &
net_pid=$!
bg_pids+=("$net_pid")
wait_ns "$net_pid" net
expect "join a network namespace (CLONE_NEWNET)" "$(readlink /proc/$net_pid/ns/net)" \
    "$("$bin" -s 3:1073741824 -- /bin/readlink readlink /proc/self/ns/net 3<"/proc/$net_pid/ns/net")"
expect "the -s fd is closed before exec" "closed" \
    "$("$bin" -s 3:0 -- /bin/sh sh -c 'test -e /proc/self/fd/3 && echo open || echo closed' 3<"/proc/$net_pid/ns/net")"
expect "a wrong namespace type fails (EINVAL)" "127" \
    "$(status "$bin" -s 3:268435456 -- /bin/true true 3<"/proc/$net_pid/ns/net")"

unshare --user --map-root-user sleep 100 &
user_pid=$!
bg_pids+=("$user_pid")
wait_ns "$user_pid" user
out="$("$bin" -s 3:268435456 -- /bin/sh sh -c 'readlink /proc/self/ns/user; id -u' 3<"/proc/$user_pid/ns/user")" || true
CHECK="join a user namespace (CLONE_NEWUSER)"
emulated "a multi-threaded process cannot join a user namespace" \
    || expect "$CHECK" "$(readlink /proc/$user_pid/ns/user) 0" "$(echo $out)"

unshare --user --map-root-user --net sleep 100 &
un_pid=$!
bg_pids+=("$un_pid")
wait_ns "$un_pid" net
out="$(python3 -c '
import os, sys
fd = os.pidfd_open(int(sys.argv[2]))
os.dup2(fd, 3)
os.set_inheritable(3, True)  # dup2(3, 3) is a no-op that would leave the pidfd CLOEXEC
os.execv(sys.argv[1], [sys.argv[1], "-s", "3:%d" % (0x10000000 | 0x40000000), "--",
                       "/bin/sh", "sh", "-c", "readlink /proc/self/ns/user /proc/self/ns/net"])' "$bin" "$un_pid")" || true
CHECK="join user+net at once through a pidfd"
emulated "a multi-threaded process cannot join a user namespace" \
    || expect "$CHECK" "$(readlink /proc/$un_pid/ns/user) $(readlink /proc/$un_pid/ns/net)" "$(echo $out)"

unshare --time --fork --boottime 100000 sleep 100 &
t_pid=$!
bg_pids+=("$t_pid")
tsleep="$(child_of "$t_pid")"
bg_pids+=("$tsleep")
wait_ns "$tsleep" time
up="$("$bin" -s 3:128 -- /bin/cat cat /proc/uptime 3<"/proc/$tsleep/ns/time")" || up=0
up="${up%%.*}"
CHECK="join a time namespace (CLONE_NEWTIME)"
if emulated "a multi-threaded process cannot join a time namespace"; then :
elif [[ "$(readlink /proc/self/ns/time)" != "$(readlink /proc/$tsleep/ns/time)" && $up -ge 100000 ]]; then
    pass "join a time namespace (CLONE_NEWTIME): uptime $up s"
else
    fail "join a time namespace: uptime $up"
fi

unshare --pid --fork --mount-proc sleep 100 &
p_pid=$!
bg_pids+=("$p_pid")
psleep="$(child_of "$p_pid")"
bg_pids+=("$psleep")
wait_ns "$psleep" pid
out="$("$bin" -s 3:536870912 -i -- /bin/sh sh -c 'grep NSpid /proc/self/status | cut -f3; exit 9' 3<"/proc/$psleep/ns/pid")" && rc=0 || rc=$?
if [[ "$out" =~ ^[0-9]+$ && $out -ge 2 && $rc -eq 9 ]]; then
    pass "join a PID namespace with -i: the payload is pid $out inside, status 9 relayed"
else
    fail "join a PID namespace with -i: pid [$out], status $rc"
fi

echo "== join mode (-r FD): the report page, CLONE_PARENT, nothing but stdio in the command"
if emulated "CLONE_PARENT and a shared report page need the kernel's own clone"; then :
elif ! python3 - "$bin" "$psleep" <<'EOF'
import errno, os, struct, subprocess, sys

bin, pidns_target = sys.argv[1], int(sys.argv[2])
failures = 0

def run(args, extra_fds=()):
    """nscore-init -r 3 ARGS as our child, the memfd on fd 3 and extra_fds on 4, 5...; returns
    (report (state, kind, err, step, pid), nscore-init's exit code, the command's wait status,
    the command's stdout)."""
    m = os.memfd_create("report", 0)
    r, w = os.pipe()
    fds = [m] + list(extra_fds)
    def child():
        high = [os.dup2(fd, 100 + i) for i, fd in enumerate(fds)]  # no source is overwritten
        for i, fd in enumerate(high):
            os.dup2(fd, 3 + i)
        os.dup2(w, 1)
    p = subprocess.Popen([bin, "-r", "3"] + args, preexec_fn=child, close_fds=False, stderr=subprocess.DEVNULL)
    os.close(w)
    rc = p.wait()
    rep = struct.unpack("=5i", os.pread(m, 20, 0).ljust(20, b"\0"))
    cmd_status = None
    if rep[4] > 0:
        # The command is our child (CLONE_PARENT), not nscore-init's.
        cmd_status = os.waitpid(rep[4], 0)[1]
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.close(m)
    return rep, rc, cmd_status, data.decode().strip()

def check(name, ok, detail):
    global failures
    print(("ok    " if ok else "FAIL  ") + f"-r {name}: {detail}")
    failures += not ok

rep, rc, st, out = run(["--", "/bin/sh", "sh", "-c", "echo $PPID; ls /proc/self/fd | tr '\\n' ' '"])
ppid, fds = (out.split("\n") + [""])[:2]
check("exec'd: report EXECED with the command's pid, nscore-init exits 0", rep[0] == 1 and rep[4] > 0 and rc == 0, f"{rep} rc {rc}")
check("the command is the caller's child (CLONE_PARENT)", ppid == str(os.getpid()), f"PPid {ppid}, us {os.getpid()}")
check("the command has only stdio (+ the fd ls opens)", fds.split() == ["0", "1", "2", "3"], f"fds [{fds}]")
check("the command's status reaches the caller", st == 0, f"status {st}")
rep, rc, st, out = run(["--", "/nonexistent", "x"])
check("execve failure: FAILED 104 ENOENT with the (exited) command's pid",
      rep[:3] == (2, 104, errno.ENOENT) and rep[4] > 0 and rc == 127 and os.WEXITSTATUS(st) == 127, f"{rep} rc {rc} st {st}")
rep, rc, st, out = run(["-s", "99:0", "--", "/bin/true", "true"])
check("setns failure: FAILED 1 EBADF, step 0", rep[:4] == (2, 1, errno.EBADF, 0) and rc == 127, f"{rep}")
ns = os.open("/proc/self/ns/uts", os.O_RDONLY)
rep, rc, st, out = run(["-s", "4:0", "-s", "98:0", "--", "/bin/true", "true"], [ns])
check("the second -s fails: step 1", rep[:4] == (2, 1, errno.EBADF, 1), f"{rep}")
rep, rc, st, out = run(["-C", "/nonexistent", "--", "/bin/true", "true"])
check("chdir failure: FAILED 107 ENOENT", rep[:3] == (2, 107, errno.ENOENT), f"{rep}")
for bad in (["-i"], ["-e", "4"], ["-r", "3"], ["-k", "0"], ["-k", "65"]):
    rep, rc, st, out = run(bad + ["--", "/bin/true", "true"], [ns])
    check(f"{' '.join(bad)} is a usage error", rep[:3] == (2, 106, errno.EINVAL) and rc == 127, f"{rep} rc {rc}")
os.close(ns)
pidns = os.open(f"/proc/{pidns_target}/ns/pid", os.O_RDONLY)
rep, rc, st, out = run(["-s", "4:%d" % 0x20000000, "-k", "9", "--", "/bin/sh", "sh", "-c",
    'while read -r k v; do [ "$k" = NSpid: ] && echo $v; done < /proc/self/status'], [pidns])
nspid = out.split()
check("PID join: the command is in the target PID namespace", rep[0] == 1 and len(nspid) == 2 and nspid[0] == str(rep[4]),
      f"{rep} NSpid {nspid}")
os.close(pidns)
sys.exit(1 if failures else 0)
EOF
then
    failures=$((failures + 1))
fi

echo "== exec from a sealed memfd (as the library does)"
out="$(python3 -c '
import fcntl, os, sys
data = open(sys.argv[1], "rb").read()
fd = os.memfd_create("nscore-init", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
os.write(fd, data)
fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
# os.execve on an fd is fexecve(), i.e. execveat(fd, "", AT_EMPTY_PATH).
os.execve(fd, ["nscore-init", "-i", "--", "/bin/sh", "sh", "-c", "readlink /proc/$PPID/exe; exit 4"], dict(os.environ))
' "$image")" && rc=0 || rc=$?
CHECK="execveat(memfd)"
if emulated "the kernel cannot exec a foreign-architecture image"; then :
elif [[ "$out" == /memfd:nscore-init* && $rc -eq 4 ]]; then
    pass "execveat(memfd) works: init runs as $out, status 4 relayed"
else
    fail "execveat(memfd): [$out] status $rc"
fi

echo "== size and memory"
size=$(stat -c %s "$image")
echo "size: $size bytes"
if [[ $size -lt 8192 ]]; then pass "binary under 8 KiB"; else fail "binary is $size bytes"; fi
"$bin" -i -- /bin/sleep sleep 100 &
i_pid=$!
bg_pids+=("$i_pid")
child_of "$i_pid" >/dev/null
sleep 0.2
hwm="$(awk '/VmHWM/ {print $2}' /proc/$i_pid/status)"
rss="$(awk '/VmRSS/ {print $2}' /proc/$i_pid/status)"
echo "init (waiting on its payload): VmHWM ${hwm} kB, VmRSS ${rss} kB"
CHECK="peak RSS under 1 MiB"
if emulated "the emulator's memory is counted"; then :
elif [[ $hwm -lt 1024 ]]; then pass "$CHECK"; else fail "peak RSS is ${hwm} kB"; fi
kill -TERM "$i_pid"
rc=0; wait "$i_pid" || rc=$?
expect "SIGTERM forwarded outside a PID namespace (sleep killed -> 143)" "143" "$rc"
if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%M' -o "$tmp/time" "$bin" -- /bin/true true
    echo "/usr/bin/time: max RSS of nscore-init exec'ing /bin/true: $(cat "$tmp/time") kB (includes /bin/true)"
fi

echo
if [[ $failures -eq 0 ]]; then
    echo "test-init.sh: all passed"
else
    echo "test-init.sh: $failures failure(s)"
    exit 1
fi
