#!/bin/sh
# tools/vm/init.sh - /init of `make test-vm`'s initramfs (tools/vm/run.sh builds it): busybox sh
# as PID 1 of a VM running Debian's kernel.
#
# Mounts cgroup2 alone at /sys/fs/cgroup, as systemd does on a unified host (nsdelegate,
# memory_recursiveprot), and runs, each printing its output and a marker:
#   - test_resources from the root cgroup with nothing enabled in its cgroup.subtree_control
#     (NSCore enables the controllers it needs);
#   - then, with cpuset, cpu, io, memory, pids (and hugetlb) enabled in the root as a systemd
#     host has them: `nscore run` with limits (the container reads them in its own cgroup2
#     directory) and the C tests listed in /nscore-vm/tests, from the root cgroup (which may
#     enable controllers while it holds processes); test_spawn_basic also as uid 65534 (as
#     tests-c/run.sh does with setpriv; here with su);
#   - `nscore run` with limits from delegated subtrees, as systemd's Delegate= gives them
#     (marked with the xattr trusted.delegate=1):
#       /sys/fs/cgroup/deleg.service             the caller in the delegated cgroup itself
#                                                (Delegate=yes), which holds processes: a clear
#                                                error, the cgroup unchanged, no limit works;
#       /sys/fs/cgroup/deleg-sub.service/supervisor
#                                                the caller in a leaf below it (DelegateSubgroup=
#                                                supervisor): the container goes below the
#                                                delegated cgroup, which gives the controllers;
#       /sys/fs/cgroup/user.service/app          the same as uid 65534, in a subtree it owns
#                                                (as systemd's user@UID.service).
#     (nscore_vm.delegated=0 on the kernel command line skips these.)
# Output lines have the prefix "NSCORE-VM| "; markers are
#   NSCORE-VM: PASS|FAIL|SKIP <label>     NSCORE-VM: INFO <what the VM has>
# and at the end "NSCORE-VM: DONE passed=N failed=M skipped=K"; then the VM powers off.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
HOME=/root
LD_LIBRARY_PATH=/nscore-vm/lib   # libnscore.so.0 (tools/vm/run.sh)
export PATH HOME LD_LIBRARY_PATH
umask 022

say() { echo "NSCORE-VM: $*"; }
out() { sed 's/^/NSCORE-VM| /'; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
# Kernel messages (OOM kills are KERN_ERR) would cut into the console's lines: the tests'
# failures print dmesg instead.
echo 1 > /proc/sys/kernel/printk
hostname nscore-vm
ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null

cmdline="$(cat /proc/cmdline)"
arg() { # nscore_vm.NAME value from the kernel command line
    for w in $cmdline; do
        case $w in nscore_vm.$1=*) echo "${w#*=}" ;; esac
    done
}

cg=/sys/fs/cgroup
passed=0
failed=0
skipped=0
finish() {
    if [ "$failed" -gt 0 ]; then
        # (not the OOM killer's reports, nor the pids controller's: the tests cause them)
        echo "kernel warnings (dmesg):" | out
        dmesg | grep -E 'WARNING:|BUG:|Oops|Kernel panic|segfault|general protection' | tail -n 40 | out
    fi
    say "DONE passed=$passed failed=$failed skipped=$skipped"
    sync
    poweroff -f
    sleep 5
    reboot -f
}

say "INFO kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MiB, accel $(arg accel)"
if ! mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 $cg; then
    say "FAIL setup: cannot mount cgroup2 at $cg"
    failed=1
    finish
fi
say "INFO cgroup2 at $cg: $(grep " $cg " /proc/self/mountinfo | sed 's/.* - //')"
say "INFO $cg/cgroup.controllers: $(cat $cg/cgroup.controllers)"

mkdir -p /tmp/work /tmp/logs
chmod 755 /tmp/work
n=0
# run_test LABEL CGROUP UID COMMAND...: runs COMMAND in cgroup CGROUP ("" stays in the root) as
# uid UID (0: root), in /tmp/work, with a time limit; prints its output and a marker.
run_test() {
    label="$1"
    group="$2"
    uid="$3"
    shift 3
    n=$((n + 1))
    log=/tmp/logs/$n.log
    t0=$(date +%s)
    (
        cd /tmp/work || exit 2
        if [ -n "$group" ]; then
            # sh -c's $$ is the process that execs the test: it moves itself, then execs.
            set -- sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$group" "$@"
        fi
        if [ "$uid" != 0 ]; then
            # (busybox's setpriv cannot change ids; su takes /etc/passwd's user of that uid,
            # with its group alone, and -p keeps the environment)
            user="$(awk -F: -v u="$uid" '$3 == u { print $1; exit }' /etc/passwd)"
            set -- su -p -s /bin/sh "$user" -c 'exec "$0" "$@"' "$@"
        fi
        exec timeout 300 "$@"
    ) > "$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - t0))
    out < "$log"
    case $rc in
    0)
        say "PASS $label (${secs}s)"
        passed=$((passed + 1))
        ;;
    77)
        say "SKIP $label: $(head -n 1 "$log")"
        skipped=$((skipped + 1))
        ;;
    124 | 143)
        say "FAIL $label: timed out after ${secs}s (status $rc)"
        failed=$((failed + 1))
        ;;
    *)
        say "FAIL $label: exit status $rc (${secs}s)"
        failed=$((failed + 1))
        ;;
    esac
}

bin=/nscore-vm/bin
tests="$(cat /nscore-vm/tests)"

# First with nothing enabled in the root's cgroup.subtree_control: NSCore enables what it needs.
case " $tests " in *" test_resources "*)
    run_test "test_resources (root cgroup, no controller enabled beforehand)" "" 0 $bin/test_resources
    say "INFO $cg/cgroup.subtree_control after it: $(cat $cg/cgroup.subtree_control)"
    ;;
esac

# Then as a systemd host has it: every controller enabled in the root.
for c in cpuset cpu io memory pids hugetlb; do
    if grep -qw "$c" $cg/cgroup.controllers; then
        echo "+$c" > $cg/cgroup.subtree_control || say "INFO cannot enable $c in $cg/cgroup.subtree_control"
    elif [ "$c" != hugetlb ]; then
        say "INFO the kernel offers no $c controller"
    fi
done
say "INFO $cg/cgroup.subtree_control: $(cat $cg/cgroup.subtree_control)"

nscore=/nscore-vm/bin/nscore

# none_left LABEL PATTERNS: passes when no directory matches PATTERNS (globs, space-separated).
none_left() {
    left="$(ls -d $2 2>/dev/null)"
    if [ -z "$left" ]; then
        say "PASS $1"
        passed=$((passed + 1))
    else
        echo "$left" | out
        say "FAIL $1"
        failed=$((failed + 1))
    fi
}
[ -x "$nscore" ] || nscore=""

# The CLI: a container's limits as it sees them in its own cgroup2 directory.
if [ -n "$nscore" ]; then
    script='d=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup); cat $d/memory.max $d/cpu.max $d/pids.max $d/cpuset.cpus'
    want="$(printf '67108864\n50000 100000\n10\n0')"
    got="$("$nscore" run --pid --memory 64m --cpus 0.5 --pids-limit 10 --cpuset-cpus 0 -- sh -c "$script" 2>&1)"
    rc=$?
    if [ "$rc" = 0 ] && [ "$got" = "$want" ]; then
        say "PASS nscore run --memory 64m --cpus 0.5 --pids-limit 10 --cpuset-cpus 0 (cgroup2 files)"
        passed=$((passed + 1))
    else
        printf 'status %s, printed:\n%s\nexpected:\n%s\n' "$rc" "$got" "$want" | out
        say "FAIL nscore run --memory 64m --cpus 0.5 --pids-limit 10 --cpuset-cpus 0 (cgroup2 files)"
        failed=$((failed + 1))
    fi
    none_left "nscore run leaves no cgroup behind" "$cg/nscore-*"
fi

for t in $tests; do
    run_test "$t" "" 0 $bin/$t
    case $t in
    test_spawn_basic) run_test "$t (uid 65534)" "" 65534 $bin/$t ;;
    esac
done

# check LABEL CGROUP WANT_STATUS WANT_TEXT CMD...: runs CMD with the caller in CGROUP, and
# passes when it exits WANT_STATUS printing WANT_TEXT (a grep pattern).
check() {
    label=$1 cgroup=$2 want_rc=$3 want=$4
    shift 4
    got="$(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cgroup" "$@" 2>&1)"
    rc=$?
    if [ "$rc" = "$want_rc" ] && printf '%s\n' "$got" | grep -q -- "$want"; then
        say "PASS $label"
        passed=$((passed + 1))
    else
        printf 'status %s (expected %s), printed:\n%s\nexpected to match: %s\n' "$rc" "$want_rc" "$got" "$want" | out
        say "FAIL $label"
        failed=$((failed + 1))
    fi
}

if [ "$(arg delegated)" = 0 ]; then
    say "SKIP delegated subtrees: nscore_vm.delegated=0"
    skipped=$((skipped + 1))
elif [ -n "$nscore" ]; then
    own='cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max; cut -d: -f3 /proc/self/cgroup'
    # Delegate=yes: the caller in the delegated cgroup itself, which holds processes and so can
    # give no controller to children: a clear error, and the caller's cgroup left unchanged.
    d=$cg/deleg.service
    mkdir $d
    $bin/setxattr $d trusted.delegate 1
    check "limits with the caller in a delegated cgroup that holds it: a clear error" $d 125 "holds processes" \
        "$nscore" run --memory 64m -- true
    check "... and its cgroup is unchanged" $cg 0 "^subtree_control ''$" sh -c "echo subtree_control \\'\$(cat $d/cgroup.subtree_control)\\'"
    check "... and a spawn without limits works there" $d 0 "^ok$" "$nscore" run --pid -- echo ok

    # DelegateSubgroup=supervisor: the caller in a leaf of the delegated cgroup, which gives
    # the controllers to its children: the container goes below the delegated cgroup.
    d=$cg/deleg-sub.service
    mkdir $d $d/supervisor
    for c in $(cat $d/cgroup.controllers); do echo "+$c" > $d/cgroup.subtree_control; done
    $bin/setxattr $d trusted.delegate 1
    check "limits with the caller in a leaf of a delegated cgroup (root)" $d/supervisor 0 "^/deleg-sub.service/nscore-" \
        "$nscore" run --pid --memory 64m --pids-limit 20 -- sh -c "$own"
    check "... and the memory limit is its own" $d/supervisor 0 "^67108864$" \
        "$nscore" run --pid --memory 64m -- sh -c "$own"
    # The same as uid 65534, in a delegated subtree it owns (as systemd's user@UID.service).
    u=$cg/user.service
    mkdir $u $u/app
    for c in $(cat $u/cgroup.controllers); do echo "+$c" > $u/cgroup.subtree_control; done
    chown -R 65534:65534 $u
    check "limits as uid 65534 in a leaf of its own delegated subtree" $u/app 0 "^/user.service/nscore-" \
        su -p -s /bin/sh nobody -c "exec $nscore run --user --map-root-user --pid --memory 64m --pids-limit 20 -- sh -c '$own'"
    none_left "no cgroup left in the delegated subtrees" "$d/nscore-* $d/supervisor/nscore-* $u/nscore-* $u/app/nscore-*"
fi

finish
