#!/usr/bin/env bash
# tools/vm/run.sh - `make test-vm`: NSCore's cgroup tests on a real cgroup2 hierarchy with
# controllers, in a VM.
#
# A machine with hybrid cgroups (v1 controllers, a cgroup2 mount without them) cannot test
# NSCore's cgroup v2 code. This boots Debian's own kernel (the package linux-image-amd64
# depends on, downloaded with apt-get and unpacked into build/vm/, never installed) in qemu
# with a busybox initramfs holding build/libnscore.so.0, build/nscore, the C tests (compiled here
# as tests-c/run.sh compiles them) and the shared libraries they need at their host paths. Its
# /init (tools/vm/init.sh) mounts cgroup2 alone at /sys/fs/cgroup as a systemd host has it, runs
# test_resources once with no controller enabled in the root, then enables cpuset, cpu, io,
# memory, pids (and hugetlb) there and runs `nscore run` with limits and the tests from the root
# cgroup, then test_resources from delegated subtrees, and prints markers on the serial console:
#   NSCORE-VM: PASS|FAIL|SKIP <label>, NSCORE-VM| <test output>, NSCORE-VM: DONE passed=N failed=M ...
# This script follows the console, then exits non-zero on any FAIL, a missing DONE line or a
# timeout. qemu runs under a hard timeout and is killed on any exit of this script (Ctrl-C too).
#
#   tools/vm/run.sh            (as root; installs qemu-system-x86, busybox-static, cpio if missing)
#
# Environment:
#   NSCORE_VM_ACCEL=auto|kvm|tcg   auto (default): KVM when /dev/kvm is usable, else TCG (also
#                                  when a KVM boot fails or prints nothing within
#                                  NSCORE_VM_KVM_PROBE seconds, default 20)
#   NSCORE_VM_TIMEOUT=SECONDS      qemu's hard limit (default 300 with KVM, 600 with TCG)
#   NSCORE_VM_TESTS="a b"          the C tests to run (default: test_resources test_cgroup_io test_cgroups_path test_cgroup_join test_spawn_basic)
#   NSCORE_VM_DELEGATED=0          skip the runs from delegated (non-root) cgroups
#   NSCORE_VM_KEEP=1               keep the work directory (initramfs tree) for inspection
# The console log stays in build/vm/console.log; the kernel in build/vm/kernel/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$repo/build"
vmdir="$build/vm"
accel_want="${NSCORE_VM_ACCEL:-auto}"
tests="${NSCORE_VM_TESTS:-test_resources test_cgroup_io test_cgroups_path test_cgroup_join test_spawn_basic}"
delegated="${NSCORE_VM_DELEGATED:-1}"
export LC_ALL=C

say() { echo "test-vm: $*"; }
die() { echo "test-vm: FAIL setup: $*" >&2; exit 1; }

case $accel_want in auto | kvm | tcg) ;; *) die "NSCORE_VM_ACCEL is '$accel_want'; give auto, kvm or tcg" ;; esac
[ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages with apt-get)"
[ -e "$build/libnscore.so.0" ] && [ -x "$build/nscore" ] || die "build/libnscore.so.0 or build/nscore is missing (make all)"
mkdir -p "$vmdir"

# ---- Cleanup: never leave a qemu (or the console follower) behind. -------------------------
work=""
qemu_pid=""
follow_pid=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        # `timeout` passes the signal on to qemu; KILL both if that is not enough.
        kill -TERM "$qemu_pid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$qemu_pid" 2>/dev/null; then
            pkill -KILL -P "$qemu_pid" 2>/dev/null || true
            kill -KILL "$qemu_pid" 2>/dev/null || true
        fi
        wait "$qemu_pid" 2>/dev/null || true
    fi
    if [ -n "$follow_pid" ]; then
        kill "$follow_pid" 2>/dev/null || true
        wait "$follow_pid" 2>/dev/null || true
    fi
    if [ -n "$work" ] && [ "${NSCORE_VM_KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
    [ -n "$work" ] && [ "${NSCORE_VM_KEEP:-0}" = 1 ] && echo "test-vm: work directory kept: $work"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "test-vm: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM HUP

# ---- Debian packages: qemu, a static busybox, cpio (only when missing). ----------------------
apt_updated=0
apt_update() {
    if [ "$apt_updated" = 0 ]; then
        say "apt-get update"
        apt-get update -qq
        apt_updated=1
    fi
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
installed busybox-static && [ -x /bin/busybox ] || missing+=(busybox-static)
command -v cpio >/dev/null || missing+=(cpio)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
    apt_update
    say "installing ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > "$vmdir/apt.log" 2>&1; then
        cat "$vmdir/apt.log" >&2
        die "apt-get install ${missing[*]} failed"
    fi
fi

# ---- The kernel: the package linux-image-amd64 depends on, unpacked, not installed. ---------
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/^[<]/, "", $2); print $2; exit }'
}
fetch_kernel() { # package -> build/vm/kernel/PACKAGE/vmlinuz-*; 0 if done
    local pkg="$1" debs="$vmdir/debs" deb
    mkdir -p "$debs"
    deb="$(ls "$debs/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)"
    if [ -z "$deb" ]; then
        say "downloading $pkg"
        rm -f "$debs"/*.deb
        # (unsandboxed: as root, apt would otherwise warn that user _apt cannot write here)
        (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg") || return 1
        deb="$(ls "$debs/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)"
        [ -n "$deb" ] || return 1
    fi
    # dpkg-deb unpacks only boot/vmlinuz-* (the modules are not needed: what the tests use is
    # built in).
    rm -rf "$vmdir/kernel" "$vmdir/kernel.tmp"
    mkdir -p "$vmdir/kernel.tmp"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$vmdir/kernel.tmp" --wildcards './boot/vmlinuz-*' || return 1
    mkdir -p "$vmdir/kernel"
    mv "$vmdir/kernel.tmp/boot" "$vmdir/kernel/$pkg"
    rm -rf "$vmdir/kernel.tmp" "$deb"   # (the kernel is the cache; the package, 70 MB, goes)
}
pkg="$(kernel_package)"
if [ -z "$pkg" ]; then
    apt_update
    pkg="$(kernel_package)"
fi
[ -n "$pkg" ] || die "apt-cache depends linux-image-amd64 names no linux-image package"
vmlinuz="$(ls "$vmdir/kernel/$pkg"/vmlinuz-* 2>/dev/null | head -n 1 || true)"
if [ -z "$vmlinuz" ]; then
    if ! fetch_kernel "$pkg"; then
        # The package lists may be stale (the archive no longer has that version): once more.
        apt_update
        pkg="$(kernel_package)"
        [ -n "$pkg" ] && fetch_kernel "$pkg" || die "cannot download the kernel package $pkg"
    fi
    vmlinuz="$(ls "$vmdir/kernel/$pkg"/vmlinuz-* 2>/dev/null | head -n 1 || true)"
    [ -n "$vmlinuz" ] || die "$pkg has no boot/vmlinuz-*"
fi

# ---- The initramfs. --------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/nscore-vm.XXXXXX")"
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,nscore-vm/bin}

# busybox and its applets.
cp /bin/busybox "$root/bin/busybox"
/bin/busybox --list-full | while read -r applet; do
    [ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$root/$applet"
done
[ -e "$root/bin/sh" ] || die "busybox has no sh applet"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

# The C tests, compiled as tests-c/run.sh compiles them (rpath: the host's build directory,
# where the initramfs has the library too).
CC="${CC:-gcc}"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -pthread -I"$repo/include" -I"$repo/tests-c")
ldflags=(-L"$build" -lnscore -Wl,-rpath,"$build")
elves=("$build/libnscore.so.0")
for t in $tests; do
    [ -f "$repo/tests-c/$t.c" ] || die "no such test: tests-c/$t.c"
    "$CC" "${cflags[@]}" -o "$root/nscore-vm/bin/$t" "$repo/tests-c/$t.c" "${ldflags[@]}" ||
        die "tests-c/$t.c does not compile"
    elves+=("$root/nscore-vm/bin/$t")
done
"$CC" -O2 -Wall -Werror -o "$root/nscore-vm/bin/setxattr" "$here/setxattr.c" || die "tools/vm/setxattr.c does not compile"
elves+=("$root/nscore-vm/bin/setxattr")
echo "$tests" > "$root/nscore-vm/tests"
cp "$here/init.sh" "$root/init"
chmod 755 "$root/init"

# The library and the CLI in /nscore-vm (without debug info: a smaller initramfs). Not at their
# host paths: the VM mounts a tmpfs on /tmp, where a checkout may live; init.sh sets
# LD_LIBRARY_PATH, which the loader searches before the tests' RUNPATH.
mkdir -p "$root/nscore-vm/lib"
strip_to() { strip --strip-debug -o "$2" "$1" 2>/dev/null || cp "$1" "$2"; }
strip_to "$build/libnscore.so.0" "$root/nscore-vm/lib/libnscore.so.0"
ln -sf libnscore.so.0 "$root/nscore-vm/lib/libnscore.so"
strip_to "$build/nscore" "$root/nscore-vm/bin/nscore"

# The shared libraries ldd names (libc, libm, libstdc++, libgcc_s, the loader), same paths.
for elf in "${elves[@]}"; do
    ldd "$elf" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'
done | sort -u | while read -r lib; do
    [ -e "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || die "ldd named no /lib64/ld-linux-x86-64.so.2"

initrd="$vmdir/initramfs.cpio.gz"
(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 > "$initrd.tmp"
mv -f "$initrd.tmp" "$initrd"

# ---- Boot it. --------------------------------------------------------------------------------
kvm_usable() { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
log="$vmdir/console.log"
errlog="$vmdir/qemu.stderr"
stalled=""

boot() { # accel [probe seconds] -> qemu's status (timeout's: 124 when it hit the limit)
    # With a probe time, qemu is stopped (status 125) when the init has printed nothing by then.
    local accel="$1" probe="${2:-0}" limit cpu_args rc ticks=0
    if [ "$accel" = kvm ]; then
        limit="${NSCORE_VM_TIMEOUT:-300}"
        cpu_args=(-enable-kvm -cpu host)
    else
        limit="${NSCORE_VM_TIMEOUT:-600}"
        cpu_args=(-accel tcg -cpu max)
    fi
    local append="console=ttyS0 rdinit=/init panic=-1 loglevel=4 nscore_vm.accel=$accel nscore_vm.delegated=$delegated"
    : > "$log"
    say "booting $(basename "$vmlinuz") ($pkg) with $accel, 2 CPUs, 1024 MiB; limit ${limit}s; console: ${log#"$repo"/}"
    # Its own process group (timeout's): a Ctrl-C reaches this script, whose trap ends it.
    timeout -k 5 "$limit" qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
        "${cpu_args[@]}" -smp 2 -m 1024 -serial "file:$log" -monitor none \
        -kernel "$vmlinuz" -initrd "$initrd" -append "$append" </dev/null 2>"$errlog" &
    qemu_pid=$!
    # Follows the console: the init's lines, as they come.
    tail -n +1 -f --pid="$qemu_pid" "$log" 2>/dev/null | tr -d '\r' |
        sed -u -n -e 's/^.*NSCORE-VM| \{0,1\}/    /p' -e 's/^.*\(NSCORE-VM: \)/\1/p' &
    follow_pid=$!
    rc=0
    local st=0
    # (stderr to /dev/null: bash's own line when it reaps a qemu that aborted; qemu's stderr
    # is in $errlog)
    {
        if [ "$probe" -gt 0 ]; then
            while kill -0 "$qemu_pid" && ! grep -aq 'NSCORE-VM: ' "$log"; do
                if [ "$ticks" -ge $((probe * 4)) ]; then
                    stalled="the init printed nothing within ${probe}s"
                    kill -TERM "$qemu_pid" || true
                    rc=125
                    break
                fi
                sleep 0.25
                ticks=$((ticks + 1))
            done
        fi
        wait "$qemu_pid" || st=$?
    } 2>/dev/null
    [ "$rc" = 125 ] || rc=$st
    qemu_pid=""
    # tail reads what is left once qemu is gone, then ends.
    wait "$follow_pid" 2>/dev/null || true
    follow_pid=""
    return "$rc"
}

start=$(date +%s)
accel="$accel_want"
if [ "$accel" = auto ]; then
    if kvm_usable; then accel=kvm; else accel=tcg; fi
fi
rc=0
if [ "$accel_want" = auto ] && [ "$accel" = kvm ]; then
    # /dev/kvm may be there and still not run this kernel (nested virtualization: qemu aborts
    # on an MSR, or the guest hangs before its first line): then TCG. The init's first line
    # comes within a few seconds with KVM.
    boot kvm "${NSCORE_VM_KVM_PROBE:-20}" || rc=$?
    if ! grep -aq 'NSCORE-VM: ' "$log"; then
        say "KVM does not run the VM here (${stalled:-$(grep -v '^$' "$errlog" | tail -n 1)}): TCG instead"
        accel=tcg
        rc=0
        boot tcg || rc=$?
    fi
else
    boot "$accel" || rc=$?
fi
elapsed=$(($(date +%s) - start))

# ---- The verdict. ----------------------------------------------------------------------------
console="$(tr -d '\r' < "$log" | grep -ao 'NSCORE-VM: .*' || true)"
passed=$(grep -c '^NSCORE-VM: PASS ' <<< "$console" || true)
failed=$(grep -c '^NSCORE-VM: FAIL ' <<< "$console" || true)
skipped=$(grep -c '^NSCORE-VM: SKIP ' <<< "$console" || true)
done_line="$(grep -m 1 '^NSCORE-VM: DONE ' <<< "$console" || true)"
verdict=0
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "test-vm: FAIL qemu timed out (${NSCORE_VM_TIMEOUT:-its limit}); the console's last lines:"
    tr -d '\r' < "$log" | tail -n 30 | sed 's/^/    /'
    verdict=1
elif [ -z "$done_line" ]; then
    echo "test-vm: FAIL no DONE line (qemu exited with status $rc); the console's last lines:"
    tr -d '\r' < "$log" | tail -n 30 | sed 's/^/    /'
    [ -s "$errlog" ] && sed 's/^/    qemu: /' "$errlog"
    verdict=1
fi
if [ "$failed" -gt 0 ]; then
    echo "test-vm: failed:"
    grep '^NSCORE-VM: FAIL ' <<< "$console" | sed 's/^NSCORE-VM: FAIL /    /'
    verdict=1
fi
if [ -n "$done_line" ] && ! grep -q " failed=0\( \|$\)" <<< "$done_line"; then verdict=1; fi
echo "test-vm: $passed passed, $skipped skipped, $failed failed in ${elapsed}s ($accel, $(basename "$vmlinuz"))"
exit "$verdict"
