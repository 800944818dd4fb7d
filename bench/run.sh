#!/usr/bin/env bash
# NSCore benchmarks: one table, every figure measured in the same run as its baseline.
#
#   bench/run.sh            full run (a few minutes): bench/results/latest.md and latest.json
#   bench/run.sh --quick    every benchmark at tiny sizes (< 1 minute): checks that each one
#                           runs and produces numbers; targets are shown but not judged
#                           (bench/results/quick.md and quick.json)
#   NSBENCH_SECTIONS=12 bench/run.sh [--quick]
#                           only the sections listed (numbers, separated by commas or spaces);
#                           the table then has only their rows
#
# `make bench` (QUICK=1 for --quick) builds the release library and CLI first. This script
# snapshots them, builds the C programs (bench/c), the Swift benchmark (bench/swift, its own
# SwiftPM package) and runs, each under a timeout:
#   C ABI (bench/c/bench.c), Python (bench/python/bench.py), Swift API (bench/swift), each
#   against the raw clone3/setns loops of bench/c/rawloop.c; whole processes (procbench.c:
#   `nscore run`/`exec`/`ns`/`ls` against the raw C program, unshare, nsenter, lsns, crun,
#   bwrap); containers in a root filesystem (made by tools/make-test-rootfs.sh) against the raw C
#   program bench/c/rawrootfs.c, bwrap and crun; containers with cgroup limits (section 11,
#   bench/c/cgroupbench.c) against the raw cgroup routine of bench/c/rawcgroup.c and crun. Peers
#   that are not installed are skipped with a note (bench/peers.sh installs them).
# Results: JSON lines collected in a temp dir, rendered by bench/report.py. Everything this
# script starts (containers, temp dirs, crun state, cgroups) is cleaned up on exit, even on
# failure.
set -euo pipefail

QUICK=0
case "${1:-}" in
--quick) QUICK=1 ;;
"") ;;
*)
    echo "usage: bench/run.sh [--quick]" >&2
    exit 2
    ;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
RESULTS=$BENCH/results
START=$(date +%s)

if [[ $(id -u) -ne 0 ]]; then
    echo "bench/run.sh: must run as root (it creates namespaces of every kind)" >&2
    exit 1
fi
for f in build/libnscore.so.0 build/nscore; do
    if [[ ! -e $ROOT/$f ]]; then
        echo "bench/run.sh: $f is missing: run 'make all' (or 'make bench')" >&2
        exit 1
    fi
done

# NSBENCH_SECTIONS: the sections to run (all when empty). `section N` marks where section N's
# benchmarks begin; `run` and `settle` do nothing in a section that is not wanted.
SECTIONS=${NSBENCH_SECTIONS:-}
SECTION=""
section() { SECTION=$1; }
# wanted [N]: whether section N (default: the current one) runs.
wanted() {
    local list=",${SECTIONS//[ ]/,},"
    [[ -z $SECTIONS || $list == *",${1:-$SECTION},"* ]]
}

WORK=$(mktemp -d /tmp/nscore-bench.XXXXXX)
TARGET_PID=""
CRUN_IDS=()
IN_CRUN_CG_NS=()
# Section 11's cgroups: the raw routine's directories are named $CG_PREFIX-<pid>-<n>, crun's
# nsbench-$$-g; cgroupbench writes its pid to $WORK/cgroupbench-*.pid, and NSCore names the
# cgroups it makes for it nscore-<that pid>-<n>. CG_BEFORE lists the nscore-* directories that
# existed before the section (set when it starts).
CG_PREFIX=nsbench-cg-$$
CG_BEFORE=""
CG_STARTED=0
# cg_pids: the pids of this run's cgroupbench processes.
cg_pids() {
    local f
    for f in "$WORK"/cgroupbench-*.pid; do
        if [[ -r $f ]]; then cat "$f"; fi
    done
}
# cg_ours: the cgroup directories this run made and left (none after a clean run): those named
# after it, and new nscore-* ones whose maker (the pid in the name) is gone (`nscore run`).
cg_ours() {
    local pats=(-name "$CG_PREFIX-*" -o -name "nsbench-$$-g") pid d
    for pid in $(cg_pids); do pats+=(-o -name "nscore-$pid-*"); done
    {
        find /sys/fs/cgroup -mindepth 2 -type d \( "${pats[@]}" \) 2>/dev/null || true
        if ((CG_STARTED)); then
            { find /sys/fs/cgroup -mindepth 2 -type d -name 'nscore-*' 2>/dev/null || true; } | while read -r d; do
                if grep -qxF -- "$d" <<<"$CG_BEFORE"; then continue; fi
                pid=${d##*/nscore-}
                pid=${pid%%-*}
                if [[ ! -d /proc/$pid ]]; then echo "$d"; fi
            done
        fi
    } | sort -u
}
# cg_sweep: removes them; what is still running in those named after this run (cgroupbench's
# containers, the raw routine's and crun's children) is killed first. The others are only
# removed when empty.
cg_sweep() {
    local d p name own
    local pids=" $(cg_pids | tr '\n' ' ') "
    while read -r d; do
        [[ -n $d ]] || continue
        name=${d##*/}
        own=0
        case $name in
        "$CG_PREFIX"-* | "nsbench-$$-g") own=1 ;;
        nscore-*)
            p=${name#nscore-}
            [[ $pids == *" ${p%%-*} "* ]] && own=1
            ;;
        esac
        if ((own)) && [[ -r $d/cgroup.procs ]]; then
            while read -r p; do kill -KILL "$p" 2>/dev/null || true; done <"$d/cgroup.procs"
        fi
        for _ in $(seq 50); do
            rmdir "$d" 2>/dev/null && break
            [[ -d $d ]] || break
            ((own)) || break
            sleep 0.02
        done
    done < <(cg_ours)
}
cleanup() {
    local rc=$?
    set +e
    if [[ -n ${CURRENT:-} ]]; then
        kill -TERM "$CURRENT" 2>/dev/null
        wait "$CURRENT" 2>/dev/null
    fi
    if [[ -n $TARGET_PID ]]; then
        # SIGKILL nscore: --kill-on-parent-death takes the container (sleep as PID 1) with it.
        kill -KILL "$TARGET_PID" 2>/dev/null
        wait "$TARGET_PID" 2>/dev/null
    fi
    for id in "${CRUN_IDS[@]}"; do crun delete -f "$id" >/dev/null 2>&1; done
    if ((${#IN_CRUN_CG_NS[@]})); then "${IN_CRUN_CG_NS[@]}" crun delete -f "nsbench-$$-g" >/dev/null 2>&1; fi
    cg_sweep
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench %3ds] %s\n' $(($(date +%s) - START)) "$*" >&2; }

# The kernel destroys network namespaces in the background, slowly (about 100/s here): after a
# run that made thousands, the next one would compete with that work for a minute or two.
# settle SECONDS waits, at most that long, until their number stops falling.
netns_count() { awk '$1 == "net_namespace" { print $2 }' /proc/slabinfo 2>/dev/null; }
settle() {
    local prev cur waited=0
    wanted || return 0
    prev=$(netns_count)
    [[ -n $prev ]] || return 0
    while ((waited < $1)); do
        sleep 5
        waited=$((waited + 5))
        cur=$(netns_count)
        ((cur < prev - 10)) || return 0
        ((waited > 5)) || log "waiting for the kernel to finish destroying network namespaces ($cur left)"
        prev=$cur
    done
}

# ---- sizes ------------------------------------------------------------------------------------
if ((QUICK)); then
    R=2 B=2 R_PROC=1 B_PROC=1 HOST_MIB=64 HOST_R=1 HOST_B=2 THR_R=1 THR_TOTAL=8
    INSP_R=1 INSP_B=1 MEM_R=1 MEM_N=5 SCALE_TOTAL=40 SCALE_BLOCK=10 TMO=60 FDS=200 FD_R=1 FD_B=2
    RF_TOTAL=16 RF_BLOCK=8 RF_THREADS=8 VETH_R=2 VETH_B=2 VETH_TOTAL=20 VETH_BLOCK=5
else
    R=15 B=20 R_PROC=21 B_PROC=10 HOST_MIB=2048 HOST_R=7 HOST_B=5 THR_R=7 THR_TOTAL=240
    INSP_R=7 INSP_B=5 MEM_R=5 MEM_N=100 SCALE_TOTAL=5000 SCALE_BLOCK=500 TMO=600 FDS=10000 FD_R=9 FD_B=10
    RF_TOTAL=1000 RF_BLOCK=125 RF_THREADS=8 VETH_R=15 VETH_B=10 VETH_TOTAL=1000 VETH_BLOCK=100
fi

((QUICK)) || settle 180

# ---- build ------------------------------------------------------------------------------------
# Snapshot the library and CLI: others may rebuild build/ while we measure.
mkdir -p "$WORK/lib" "$WORK/bin" "$WORK/logs" "$RESULTS"
cp "$ROOT/build/libnscore.so.0" "$WORK/lib/"
ln -s libnscore.so.0 "$WORK/lib/libnscore.so"
cp "$ROOT/build/nscore" "$WORK/bin/nscore"
NSCORE=$WORK/bin/nscore

log "building the C programs"
CFLAGS=(-O2 -Wall -Wextra -Werror -I"$BENCH/c")
gcc "${CFLAGS[@]}" -I"$ROOT/include" -o "$WORK/bin/bench" "$BENCH/c/bench.c" "$BENCH/c/rawloop.c" \
    "$BENCH/c/rawrootfs.c" "$BENCH/c/rawveth.c" -L"$WORK/lib" -lnscore -Wl,-rpath,"$WORK/lib" -pthread
gcc "${CFLAGS[@]}" -o "$WORK/bin/rawonce" "$BENCH/c/rawonce.c" "$BENCH/c/rawloop.c"
gcc "${CFLAGS[@]}" -DRAWROOTFS_MAIN -o "$WORK/bin/rawrootfs" "$BENCH/c/rawrootfs.c"
gcc "${CFLAGS[@]}" -DRAWVETH_MAIN -o "$WORK/bin/rawveth" "$BENCH/c/rawveth.c" "$BENCH/c/rawloop.c"
gcc "${CFLAGS[@]}" -o "$WORK/bin/procbench" "$BENCH/c/procbench.c"
gcc "${CFLAGS[@]}" -fPIC -shared -o "$WORK/lib/librawloop.so" "$BENCH/c/rawloop.c"
# The scale benchmark's containers run a static pause program (as Kubernetes' pause container);
# without a static libc, /bin/sleep.
PAUSE=/bin/sleep
if gcc -O2 -static -o "$WORK/bin/pause" "$BENCH/c/pause.c" 2>/dev/null; then
    PAUSE=$WORK/bin/pause
fi
# Section 9's command prints the time it started (static too when it can be).
gcc -O2 -static -o "$WORK/bin/stamp" "$BENCH/c/stamp.c" 2>/dev/null || gcc -O2 -o "$WORK/bin/stamp" "$BENCH/c/stamp.c"

log "building the Swift benchmark (bench/swift, release)"
# SwiftPM keeps the file list of a path dependency in its build cache: a source file added to or
# removed from Sources/ since the last build is not seen (undefined references at link time).
# The cache is dropped when that list changes.
sources_stamp=$(cd "$ROOT" && find Sources -type f | LC_ALL=C sort | cksum)
if [[ -d $BENCH/swift/.build && $(cat "$BENCH/swift/.build/nscore-sources.stamp" 2>/dev/null) != "$sources_stamp" ]]; then
    rm -rf "$BENCH/swift/.build"
fi
swift_build() {
    swift build -c release --package-path "$BENCH/swift" --scratch-path "$BENCH/swift/.build" \
        >"$WORK/logs/swift-build.log" 2>&1
}
# It compiles NSCore from Sources/: retry once, in case someone was saving a file just then.
if ! swift_build && ! { sleep 15 && swift_build; }; then
    tail -30 "$WORK/logs/swift-build.log" >&2
    echo "bench/run.sh: the Swift benchmark did not build" >&2
    exit 1
fi
printf '%s\n' "$sources_stamp" > "$BENCH/swift/.build/nscore-sources.stamp"
SWIFT_BENCH=$BENCH/swift/.build/release/nscore-bench-swift

export NSCORE_LIBRARY=$WORK/lib/libnscore.so
export NSBENCH_RAWLOOP=$WORK/lib/librawloop.so
export NSBENCH_RAWONCE=$WORK/bin/rawonce
export NSBENCH_RAWROOTFS=$WORK/bin/rawrootfs
export PYTHONPATH=$ROOT/bindings/python${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE=1

OUT=$WORK/results.jsonl
: >"$OUT"
NOTES=()

# run NAME CMD...: runs one benchmark program under a timeout, appending its JSON lines. It runs
# in the background so that a signal to this script is handled at once (cleanup stops it); the
# programs die with their parent (PR_SET_PDEATHSIG) and so do the containers they keep.
CURRENT=""
run() {
    local name=$1
    shift
    wanted || return 0
    log "$name"
    timeout -k 5 "$TMO" "$@" >>"$OUT" 2>"$WORK/logs/$name.log" &
    CURRENT=$!
    if ! wait "$CURRENT"; then
        CURRENT=""
        echo "bench/run.sh: benchmark '$name' failed:" >&2
        tail -20 "$WORK/logs/$name.log" >&2
        exit 1
    fi
    CURRENT=""
}

have() { command -v "$1" >/dev/null 2>&1; }

# The root filesystem of section 7 (every rootfs command uses this one): /bin/true with its
# libraries, and the directories the default mounts need (proc, sys, dev, tmp, ...).
ROOTFS=$WORK/rootfs
bash "$ROOT/tools/make-test-rootfs.sh" "$ROOTFS" true >/dev/null

# ---- peers ------------------------------------------------------------------------------------
# crun gets a minimal OCI bundle: a read-only rootfs of /bin/true and the libraries it needs.
# crun 1.8 refuses cgroup "hybrid" hosts that have controllers on the v2 hierarchy; the
# whole-process groups that include crun then run in a private mount namespace where
# /sys/fs/cgroup/unified is unmounted (for every command alike). crun runs with
# --cgroup-manager=disabled, as NSCore creates no cgroup either.
CRUN_OK=0
if have crun; then
    BUNDLE=$WORK/oci
    mkdir -p "$BUNDLE/rootfs/proc" "$BUNDLE/rootfs/dev"
    for f in /bin/true $(ldd /bin/true | grep -o '/[^ ]*'); do
        mkdir -p "$BUNDLE/rootfs$(dirname "$f")"
        cp -L "$f" "$BUNDLE/rootfs$f"
    done
    python3 - "$BUNDLE" "$ROOTFS" <<'EOF'
import json, os, sys
bundle, rootfs = sys.argv[1], sys.argv[2]
base = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"],
                "env": ["PATH=/bin:/usr/bin"], "cwd": "/", "noNewPrivileges": True},
    "root": {"path": os.path.join(bundle, "rootfs"), "readonly": True},
    "hostname": "bench",
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
    "linux": {"namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]},
}
os.makedirs(os.path.join(bundle, "b"))
json.dump(base, open(os.path.join(bundle, "b", "config.json"), "w"))
base_b = json.loads(json.dumps(base))
base["linux"]["namespaces"] += [{"type": t} for t in ("user", "cgroup", "time")]
base["linux"]["uidMappings"] = [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
base["linux"]["gidMappings"] = [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
os.makedirs(os.path.join(bundle, "c"))
json.dump(base, open(os.path.join(bundle, "c", "config.json"), "w"))
# Section 7: `nscore run -p -i -u -m -n --rootfs R --read-only` in OCI terms. NSCore's defaults
# are Docker's mounts, maskedPaths and readonlyPaths; sysfs is read-write, as NSCore mounts it in
# a new network namespace. crun makes the devices (null zero full random urandom tty) and the
# /dev links itself when /dev is a tmpfs.
hidden = ["nosuid", "noexec", "nodev"]
docker_caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
               "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
               "CAP_AUDIT_WRITE"]
rootfs_cfg = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"],
                "env": ["PATH=/bin:/usr/bin"], "cwd": "/", "noNewPrivileges": True,
                "capabilities": {"bounding": docker_caps, "effective": docker_caps, "permitted": docker_caps}},
    "root": {"path": rootfs, "readonly": True},
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": hidden},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": hidden + ["mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": hidden},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": hidden},
    ],
    "linux": {
        "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
        "maskedPaths": ["/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                        "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
}
os.makedirs(os.path.join(bundle, "r"))
json.dump(rootfs_cfg, open(os.path.join(bundle, "r", "config.json"), "w"))
# Section 11: mode (b) with `nscore run --memory 256m --pids-limit 100 --cpus 1` in OCI terms.
limits = json.loads(json.dumps(base_b))
limits["linux"]["resources"] = {"memory": {"limit": 256 << 20}, "pids": {"limit": 100},
                                "cpu": {"quota": 100000, "period": 100000}}
os.makedirs(os.path.join(bundle, "g"))
json.dump(limits, open(os.path.join(bundle, "g", "config.json"), "w"))
EOF
    CRUN_OK=1
    CRUN_IDS=("nsbench-$$-b" "nsbench-$$-c" "nsbench-$$-r")
    # Section 11's crun (cgroupfs manager) makes a directory in every hierarchy it sees, and
    # also, with cgroup2 unmounted, a directory with a cgroup.procs file in the plain directory
    # /sys/fs/cgroup/unified of the tmpfs beneath (shared with the host's mount namespace), which
    # it never removes: its group runs with a throwaway tmpfs mounted there instead.
    IN_CRUN_CG_NS=(unshare --mount --propagation private -- sh -c
        'if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then umount -l /sys/fs/cgroup/unified && mount -t tmpfs -o size=1m,mode=755 nsbench-cg /sys/fs/cgroup/unified; fi; exec "$@"'
        sh)
else
    NOTES+=("crun is not installed: its rows are skipped (bench/peers.sh installs it).")
fi
have bwrap || NOTES+=("bwrap is not installed: its rows are skipped (bench/peers.sh installs it).")
have runc && NOTES+=("runc is installed but not measured (the issue's reference figure for it: 9.7 MiB peak RSS).")

# A command prefix that runs a group where crun works (see above); empty when crun is absent.
IN_CRUN_NS=()
if ((CRUN_OK)); then
    IN_CRUN_NS=(unshare --mount --propagation private -- sh -c
        'if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then umount -l /sys/fs/cgroup/unified; fi; exec "$@"'
        sh)
fi

# ---- 1. spawn, in-process ---------------------------------------------------------------------
section 1
run spawn-c "$WORK/bin/bench" spawn --rounds $R --batch $B
run spawn-python python3 "$BENCH/python/bench.py" spawn --rounds $R --batch $B
run spawn-swift "$SWIFT_BENCH" spawn --rounds $R --batch $B

# ---- 1. spawn, whole process (and 6. peak RSS of each) ------------------------------------------
SEC_PROC="1. spawn /bin/true + wait, whole process"
for m in a b c; do
    case $m in
    a)
        NS_FLAGS="" UNSHARE="" BWRAP=""
        ;;
    b)
        NS_FLAGS="-p -i -u -m -n"
        UNSHARE="unshare --fork --pid --mount-proc --ipc --uts --net /bin/true"
        BWRAP="bwrap --ro-bind / / --proc /proc --unshare-pid --unshare-ipc --unshare-uts --unshare-net /bin/true"
        ;;
    c)
        NS_FLAGS="--all -r"
        UNSHARE="unshare --fork --pid --mount-proc --ipc --uts --net --user --map-root-user --cgroup --time /bin/true"
        BWRAP="bwrap --ro-bind / / --proc /proc --unshare-user --uid 0 --gid 0 --unshare-pid --unshare-ipc --unshare-uts --unshare-net --unshare-cgroup /bin/true"
        ;;
    esac
    args=(--section "$SEC_PROC" --rounds $R_PROC --batch $B_PROC
        --base "raw C program ($m)" "$WORK/bin/rawonce $m /bin/true"
        --subj "run.$m" "nscore run ($m)" "$NSCORE run $NS_FLAGS -- /bin/true")
    if [[ -n $UNSHARE ]]; then
        args+=(--peer "unshare.$m" "unshare --fork ($m)" "$UNSHARE")
        if have bwrap; then
            BWRAP_NAME="bwrap ($m)"
            [[ $m != c ]] || BWRAP_NAME="bwrap ($m, no time ns)"
            args+=(--peer "bwrap.$m" "$BWRAP_NAME" "$BWRAP")
        else
            args+=(--skip "bwrap.$m" "bwrap ($m)" "not installed (bench/peers.sh)")
        fi
        if ((CRUN_OK)); then
            args+=(--peer "crun.$m" "crun run ($m)" "crun --cgroup-manager=disabled run --bundle $BUNDLE/$m nsbench-$$-$m")
        else
            args+=(--skip "crun.$m" "crun run ($m)" "not installed (bench/peers.sh)")
        fi
    fi
    if [[ $m == b ]]; then
        args+=(--rss --rss-subject run.b --ref floor "/bin/true alone (the exec floor)" "/bin/true")
    fi
    run "spawn-cli-$m" "${IN_CRUN_NS[@]}" "$WORK/bin/procbench" "${args[@]}"
done

# ---- 2. join ----------------------------------------------------------------------------------
section 2
run join-c "$WORK/bin/bench" join --rounds $R --batch $B
run join-python python3 "$BENCH/python/bench.py" join --rounds $R --batch $B
run join-swift "$SWIFT_BENCH" join --rounds $R --batch $B

# A running container for `nscore exec`, `nsenter`, `nscore ns` and `lsns -p` (sections 2 and 5).
CONTAINER_PID=""
if wanted 2 || wanted 5; then
    "$NSCORE" run -p -i -u -m -n --kill-on-parent-death -- /bin/sleep 100000 </dev/null &
    TARGET_PID=$!
    for _ in $(seq 100); do
        CONTAINER_PID=$(cat "/proc/$TARGET_PID/task/$TARGET_PID/children" 2>/dev/null | awk '{print $1}')
        [[ -n $CONTAINER_PID && $(readlink "/proc/$CONTAINER_PID/exe" 2>/dev/null) == */sleep ]] && break
        sleep 0.05
    done
    [[ -n $CONTAINER_PID ]] || { echo "bench/run.sh: the target container did not start" >&2; exit 1; }
fi

run exec-cli "$WORK/bin/procbench" --section "2. join a running container + /bin/true" \
    --rounds $R_PROC --batch $B_PROC \
    --base "nsenter -t PID -a" "nsenter -t $CONTAINER_PID -a /bin/true" \
    --subj exec.nscore "nscore exec -t PID -a" "$NSCORE exec -t $CONTAINER_PID -a -- /bin/true" \
    --subj exec.raw "raw C program (setns + clone)" "$WORK/bin/rawonce --join 1 $CONTAINER_PID"

# ---- 3. host size, 4. threads -----------------------------------------------------------------
section 3
run hostsize-c "$WORK/bin/bench" hostsize --rounds $HOST_R --batch $HOST_B --mib $HOST_MIB
run hostsize-python python3 "$BENCH/python/bench.py" hostsize --rounds $HOST_R --batch $HOST_B --mib $HOST_MIB
run fdcount-c "$WORK/bin/bench" fdcount --rounds $FD_R --batch $FD_B --fds $FDS
section 4
run threads-c "$WORK/bin/bench" threads --rounds $THR_R --total $THR_TOTAL --threads 1,2,8
run threads-python python3 "$BENCH/python/bench.py" threads --rounds $THR_R --total $THR_TOTAL --threads 1,2,8

# ---- 5. inspection ----------------------------------------------------------------------------
section 5
run inspect-c "$WORK/bin/bench" inspect --rounds $INSP_R --batch $INSP_B
run inspect-cli-pid "$WORK/bin/procbench" --section "5. inspection" --rounds $INSP_R --batch $INSP_B \
    --base "lsns --json -p PID" "lsns --json -p $CONTAINER_PID" \
    --subj inspect.cli.pid "nscore ns PID --json" "$NSCORE ns $CONTAINER_PID --json"
run inspect-cli-list "$WORK/bin/procbench" --section "5. inspection" --rounds $INSP_R --batch $INSP_B \
    --base "lsns --json" "lsns --json" \
    --subj inspect.cli.list "nscore ls --json" "$NSCORE ls --json"

# ---- 6. memory --------------------------------------------------------------------------------
section 6
run initrss-c "$WORK/bin/bench" initrss --rounds $MEM_R
run memory-python python3 "$BENCH/python/bench.py" memory --rounds $MEM_R --containers $MEM_N

# ---- 7. rootfs container ----------------------------------------------------------------------
section 7
SEC_ROOTFS="7. rootfs container: /bin/true in a root filesystem (pid+ipc+uts+mnt+net, default mounts, masked paths, read-only root)"
# bwrap's closest equivalent: the rootfs bound read-only on /; a new proc (bwrap makes /proc/irq
# and /proc/bus read-only, and /proc/sys only without --unshare-net: /proc/sys and /proc/fs are
# bound read-only here, from the host's /proc); bwrap's /dev (a tmpfs with the host's device
# nodes bound, devpts, the links); a tmpfs on /dev/shm; mqueue. No bwrap option mounts a new
# sysfs: the host's /sys is bound read-only (recursively, its cgroup and tracing submounts too).
# Docker's masked paths that exist here, as NSCore masks them (an empty read-only tmpfs over a
# directory, /dev/null over a file). --as-pid-1: /bin/true is PID 1, as with NSCore.
BWRAP_ROOTFS="bwrap --ro-bind $ROOTFS / --proc /proc --dev /dev --perms 1777 --size 67108864 --tmpfs /dev/shm"
BWRAP_ROOTFS+=" --mqueue /dev/mqueue --ro-bind /sys /sys"
for p in /proc/asound /proc/acpi /proc/interrupts /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list \
    /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
    if [[ -d $p ]]; then
        BWRAP_ROOTFS+=" --tmpfs $p --remount-ro $p"
    elif [[ -e $p ]]; then
        BWRAP_ROOTFS+=" --ro-bind /dev/null $p"
    fi
done
for p in /proc/sys /proc/fs; do
    if [[ -e $p ]]; then BWRAP_ROOTFS+=" --ro-bind $p $p"; fi
done
# Docker's default capabilities, as NSCore gives a rootfs container (bwrap always sets
# no_new_privs).
BWRAP_ROOTFS+=" --cap-drop ALL"
for cap in CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT \
    KILL AUDIT_WRITE; do
    BWRAP_ROOTFS+=" --cap-add CAP_$cap"
done
BWRAP_ROOTFS+=" --unshare-pid --unshare-ipc --unshare-uts --unshare-net --as-pid-1 /bin/true"

args=(--section "$SEC_ROOTFS" --rounds $R_PROC --batch $B_PROC
    --base "raw C program (rawrootfs)" "$WORK/bin/rawrootfs $ROOTFS /bin/true"
    --subj rootfs.run "nscore run --rootfs --read-only"
    "$NSCORE run -p -i -u -m -n --rootfs $ROOTFS --read-only -- /bin/true")
if have bwrap; then
    args+=(--peer rootfs.bwrap "bwrap (rootfs equivalent)" "$BWRAP_ROOTFS")
else
    args+=(--skip rootfs.bwrap "bwrap (rootfs equivalent)" "not installed (bench/peers.sh)")
fi
if ((CRUN_OK)); then
    args+=(--peer rootfs.crun "crun run (rootfs config.json)"
        "crun --cgroup-manager=disabled run --bundle $BUNDLE/r nsbench-$$-r")
else
    args+=(--skip rootfs.crun "crun run (rootfs config.json)" "not installed (bench/peers.sh)")
fi
args+=(--vs rootfs.run.vs.bwrap rootfs.run rootfs.bwrap --vs rootfs.run.vs.crun rootfs.run rootfs.crun
    --rss --rss-subject rootfs.run --rss-section "$SEC_ROOTFS"
    --ref floor "/bin/true alone (the exec floor)" "/bin/true")
run rootfs-cli "${IN_CRUN_NS[@]}" "$WORK/bin/procbench" "${args[@]}"
run rootfs-c "$WORK/bin/bench" rootfs --rounds $R --batch $B --rootfs "$ROOTFS"
# The host's / is private here, so no container mount could propagate back to it, whatever the
# containers did: the threaded run happens in a mount namespace whose tree is made recursively
# shared (as systemd makes /), where one would show. That namespace's and run.sh's own (the
# host's) mountinfo are counted before and after; the benchmark fails if either changed.
run rootfs-threads unshare --mount --propagation shared -- "$WORK/bin/bench" rootfs-threads \
    --total $RF_TOTAL --block $RF_BLOCK --threads $RF_THREADS --rootfs "$ROOTFS" --host-mountinfo "/proc/$$/mountinfo"
# Those containers' network namespaces are still being destroyed: let the kernel finish before
# the scale benchmark measures its own.
((QUICK)) || settle 120

# ---- 8. scale ---------------------------------------------------------------------------------
section 8
run scale-c "$WORK/bin/bench" scale --total $SCALE_TOTAL --block $SCALE_BLOCK --cmd "$PAUSE"

# ---- 9. veth network ----------------------------------------------------------------------------
section 9
# Every run of this section happens in a network namespace of its own (and a private mount
# namespace, for the ip script's `ip netns add`): the bridge, its address and every host end
# live there, never in the machine's namespace, and no packet leaves it. The benchmarks refuse to
# run in their parent's network namespace.
((QUICK)) || settle 120
IN_NET_NS=(unshare --net --mount --propagation private --)
SEC_VETH="9. veth network: a new network namespace with eth0 on a bridge, one IPv4 address and the default route"
VETH_ARGS="nsbbr0 10.99.0.1/16 10.99.0.2/16 10.99.0.1"
run veth-cli "${IN_NET_NS[@]}" "$WORK/bin/procbench" --section "$SEC_VETH" --rounds $VETH_R --batch $VETH_B --ready \
    --base "raw C program (rawveth), until exec" "$WORK/bin/rawveth $VETH_ARGS $WORK/bin/stamp" \
    --subj veth.run "nscore run --network veth, until exec" \
    "$NSCORE run -n --network veth --bridge nsbbr0:10.99.0.1/16 --ip 10.99.0.2/16 --gateway 10.99.0.1 -- $WORK/bin/stamp" \
    --peer veth.ip "ip commands in a shell script (bench/veth-ip.sh), until exec" \
    "$BENCH/veth-ip.sh $VETH_ARGS $WORK/bin/stamp" \
    --vs veth.run.vs.ip veth.run veth.ip
run veth-c "${IN_NET_NS[@]}" "$WORK/bin/bench" veth --rounds $VETH_R --batch $VETH_B
((QUICK)) || settle 120
run veth-scale "${IN_NET_NS[@]}" "$WORK/bin/bench" veth-scale --total $VETH_TOTAL --block $VETH_BLOCK --cmd "$PAUSE"

# ---- 10. security -------------------------------------------------------------------------------
section 10
# NSCore's default seccomp profile against the same policy built with libseccomp as runc builds
# Docker's (bench/c/seccompbench.c: compile + install in fresh children; the cost of a syscall
# under each filter), and a rootfs spawn with the default security setup against the same spawn
# privileged (bench.c security). libseccomp (Debian's libseccomp-dev, from bench/peers.sh) is
# linked into seccompbench alone, and only when seccomp.h is there: otherwise, or with
# NSBENCH_NO_LIBSECCOMP=1 (to try that path on a machine that has it), the rows that need it are
# skipped with a note.
if ((QUICK)); then
    SC_R=2 SC_B=2 SC_LOOPS=20000 SEC_R=2 SEC_B=2
else
    SC_R=21 SC_B=11 SC_LOOPS=400000 SEC_R=31 SEC_B=20
    settle 120
fi
SC_CFLAGS=() SC_LIBS=()
if [[ -z ${NSBENCH_NO_LIBSECCOMP:-} ]] && echo '#include <seccomp.h>' | gcc -E -x c - >/dev/null 2>&1; then
    SC_CFLAGS=(-DHAVE_LIBSECCOMP) SC_LIBS=(-lseccomp)
fi
gcc "${CFLAGS[@]}" -I"$ROOT/include" "${SC_CFLAGS[@]}" -o "$WORK/bin/seccompbench" "$BENCH/c/seccompbench.c" \
    -L"$WORK/lib" -lnscore -Wl,-rpath,"$WORK/lib" "${SC_LIBS[@]}"
# The libseccomp side's policy: `nscore seccomp default` (the profile for Docker's capability
# set, which the measuring children also have as their bounding set) as lines of text
# (seccompbench.c describes them). A rule with the default action is dropped: libseccomp refuses
# it and runc skips it. When it guarded a later rule of the same syscall (socket: EPERM for
# AF_VSOCK, then allowed), that rule gets the opposite comparison, as Docker's profile writes it
# (socket allowed when arg0 != 40, a 64-bit comparison).
SECCOMP_POLICY=$WORK/seccomp-policy.txt
"$NSCORE" seccomp default >"$WORK/seccomp-default.json" || {
    echo "bench/run.sh: 'nscore seccomp default' failed" >&2
    exit 1
}
python3 -c '
import json, sys
ACT = {"SCMP_ACT_ALLOW": "ALLOW", "SCMP_ACT_ERRNO": "ERRNO", "SCMP_ACT_KILL": "KILL_THREAD",
       "SCMP_ACT_KILL_THREAD": "KILL_THREAD", "SCMP_ACT_KILL_PROCESS": "KILL_PROCESS", "SCMP_ACT_TRAP": "TRAP",
       "SCMP_ACT_TRACE": "TRACE", "SCMP_ACT_LOG": "LOG"}
OPS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"]
def action(o, key, data_key):
    a = ACT[o[key]]
    return a, o.get(data_key, 1) if a == "ERRNO" else o.get(data_key, 0) if a == "TRACE" else 0
p = json.load(sys.stdin)
default = action(p, "defaultAction", "defaultErrnoRet")
print("default %s %d" % default)
guards = {}
for r in p["syscalls"]:
    act, names = action(r, "action", "errnoRet"), r["names"]
    args = [(a["index"], OPS.index(a["op"]) + 1, a["value"], a.get("valueTwo", 0)) for a in r.get("args", [])]
    if act == default:
        if len(args) != 1 or args[0][1] not in (4, 7):
            sys.exit("seccomp policy: a rule with the default action other than one EQ or MASKED_EQ")
        guards.update((n, args[0]) for n in names)
        continue
    if not args and any(n in guards for n in names):
        if len(names) != 1:
            sys.exit("seccomp policy: a guarded rule with several names")
        i, op, v, v2 = guards[names[0]]
        args = [(i, 1, v2 if op == 7 else v, 0)]
    print(" ".join(["rule", act[0], str(act[1]), str(len(args))] + ["%d %d %d %d" % a for a in args]
                   + [str(len(names))] + names))
' <"$WORK/seccomp-default.json" >"$SECCOMP_POLICY"
run seccomp-install "$WORK/bin/seccompbench" install --rounds $SC_R --batch $SC_B --policy "$SECCOMP_POLICY"
run seccomp-syscall "$WORK/bin/seccompbench" syscall --rounds $SC_R --loops $SC_LOOPS --policy "$SECCOMP_POLICY"
run security-c "$WORK/bin/bench" security --rounds $SEC_R --batch $SEC_B --rootfs "$ROOTFS"
wanted 10 && NOTES+=("Security rows (section 10): NSCore's default seccomp profile (Docker's, for Docker's capability set) against libseccomp building the same policy (\`nscore seccomp default\` converted to text before anything is timed) as runc builds Docker's: seccomp_init(ERRNO(EPERM)), x86 and x32 added (Docker's three architectures on amd64), a rule per name with seccomp_rule_add_array (one per comparison when a rule compares one argument more than once, as runc splits them), seccomp_load. Socket is allowed when arg0 != 40 on that side, as Docker writes it (NSCore refuses AF_VSOCK on the low 32 bits, the way the kernel reads the argument); NSCore also denies x32 with ENOSYS instead of filtering it, and makes syscalls newer than its tables ENOSYS. Compile + install: each sample is the median of $SC_B fresh forked children, each timing from before the filter is built to after seccomp(2) (seccomp_load) returned, the fork untimed and no_new_privs and Docker's bounding set set before the clock starts; 'uncached' children come from a process that never compiled (every first-use cost of the library is in), 'cached' ones from a helper that compiled once. The seccomp(2) call itself (the kernel checks, translates and JIT-compiles the program and prepares its action cache) is part of both. Per-syscall: a fresh child installs a program from its bytes (both with flags 0) or none, then makes $SC_LOOPS raw calls in blocks of 1000; the sample is its fastest block. getppid is always allowed, so the kernel's action cache (Linux 5.11) runs no BPF for it under either filter: what remains is seccomp's entry work. personality(0xffffffff) is allowed by an argument check, so each call runs the filter. Spawn: the rootfs spawn of section 7 with Docker's capabilities, no_new_privs, the default profile and RLIMIT_NOFILE 1024 against the same spawn with every capability, no_new_privs off and no filter, $SEC_B of each per round, interleaved one by one (A B, B A, ...), a sample being the round's mean.")

# ---- 11. cgroups --------------------------------------------------------------------------------
section 11
# Containers with a memory limit (256 MiB), a pids limit (100) and a CPU quota (100000 us per
# 100000 us period), each in new cgroups removed after the reap: NSCore through the C ABI
# against itself without limits plus the raw cgroup routine (bench/c/rawcgroup.c: the same
# directories, files and cgroup.procs writes, rmdir) and against the raw clone3 + cgroup loop;
# `nscore run` against the raw program and crun with the same linux.resources (cgroupfs
# manager); reading the figures of running containers through the C ABI and `nscore stats`
# against reading the same files in C and with cat. Nothing may be left behind: the
# directories this section made are counted afterwards (a row that must be 0) and removed.
if ((QUICK)); then
    CG_R=2 CG_B=2 CG_STATS_R=2 CG_STATS_N=5
else
    CG_R=21 CG_B=20 CG_STATS_R=11 CG_STATS_N=100
    settle 60
fi
SEC_CG="11. cgroups: memory + pids + CPU limits (a new cgroup per container, removed after the reap)"
CG_FLAGS="--memory 256m --pids-limit 100 --cpus 1"
CG_BEFORE=$(find /sys/fs/cgroup -mindepth 2 -type d -name 'nscore-*' 2>/dev/null || true)
CG_STARTED=1
export NSBENCH_CG_PREFIX=$CG_PREFIX
export NSBENCH_RAWCGROUP=$WORK/bin/rawcgroup
gcc "${CFLAGS[@]}" -I"$ROOT/include" -o "$WORK/bin/cgroupbench" "$BENCH/c/cgroupbench.c" "$BENCH/c/rawcgroup.c" \
    "$BENCH/c/rawloop.c" -L"$WORK/lib" -lnscore -Wl,-rpath,"$WORK/lib"
gcc "${CFLAGS[@]}" -DRAWCGROUP_MAIN -o "$WORK/bin/rawcgroup" "$BENCH/c/rawcgroup.c" "$BENCH/c/rawloop.c"
# A machine where this process may not make cgroups (no controller, no write access): the
# section is skipped with the reason.
CG_WHY=""
if ! wanted; then
    :
elif ! CG_WHY=$("$NSCORE" run $CG_FLAGS -- /bin/true 2>&1 >/dev/null); then
    CG_WHY=${CG_WHY//$'\n'/ }
    CG_WHY=${CG_WHY//\"/\'}
    CG_WHY=${CG_WHY//\\/}
    NOTES+=("Section 11 (cgroups) is skipped: \`nscore run $CG_FLAGS\` failed here: $CG_WHY")
    for id in cgroup.c cgroup.c.raw cgroup.c.cost cgroup.run cgroup.run.vs.crun cgroup.stats.c cgroup.stats.c.cat \
        cgroup.stats.cli cgroup.stats.cli.all; do
        printf '{"id":"%s","section":"%s","subject":"%s","baseline":"","skipped":"no cgroups here: %s"}\n' \
            "$id" "$SEC_CG" "$id" "${CG_WHY:0:160}" >>"$OUT"
    done
else
    run cgroup-c "$WORK/bin/cgroupbench" spawn --rounds $CG_R --batch $CG_B --pidfile "$WORK/cgroupbench-spawn.pid"
    args=(--section "$SEC_CG" --rounds $R_PROC --batch $B_PROC
        --base "raw C program (rawcgroup, b): clone3 + the same cgroup work" "$WORK/bin/rawcgroup b /bin/true"
        --subj cgroup.run "nscore run (b) $CG_FLAGS" "$NSCORE run -p -i -u -m -n $CG_FLAGS -- /bin/true")
    if ((CRUN_OK)); then
        args+=(--peer cgroup.crun "crun run (b) + the same linux.resources (cgroupfs manager)"
            "crun --cgroup-manager=cgroupfs run --bundle $BUNDLE/g nsbench-$$-g")
    else
        args+=(--skip cgroup.crun "crun run (b) + the same linux.resources" "not installed (bench/peers.sh)")
    fi
    args+=(--vs cgroup.run.vs.crun cgroup.run cgroup.crun)
    run cgroup-cli "${IN_CRUN_CG_NS[@]}" "$WORK/bin/procbench" "${args[@]}"
    run cgroup-stats "$WORK/bin/cgroupbench" stats --rounds $CG_STATS_R --containers $CG_STATS_N --cmd "$PAUSE" \
        --nscore "$NSCORE" --pidfile "$WORK/cgroupbench-stats.pid"
fi
# What is left: nothing, unless something failed to clean up (listed, then removed).
sleep 0.2
CG_LEFT=$(cg_ours)
CG_NLEFT=0
if [[ -n $CG_LEFT ]]; then
    CG_NLEFT=$(wc -l <<<"$CG_LEFT")
    log "cgroup directories left behind (removing them):"
    printf '  %s\n' $CG_LEFT >&2
    cg_sweep
fi
! wanted || printf '{"id":"cgroup.leftover","section":"%s","subject":"cgroup directories left after the section (%s-*, nsbench-%s-g, nscore-* of its processes)","baseline":"none","unit":"dirs","better":"lower","subject_samples":[%d],"baseline_samples":[0],"params":{"ratio":false}}\n' \
    "$SEC_CG" "$CG_PREFIX" "$$" "$CG_NLEFT" >>"$OUT"
wanted 11 && NOTES+=("Cgroup rows (section 11): limits of 256 MiB memory, 100 pids and a CPU quota of 100000 us per 100000 us period (\`$CG_FLAGS\`). On this kind of machine (cgroup v1 controllers, a cgroup2 hierarchy without them) NSCore makes five directories per container: memory, cpu and pids (each with its limit files), the cgroup2 one (freeze, kill, events) and cpuacct (CPU usage), below the caller's own cgroup; writes the child's pid to each cgroup.procs while the child waits; removes them after the reap. The raw routine (bench/c/rawcgroup.c, no libnscore) finds the same places once per process (/proc/self/mountinfo, /proc/self/cgroup, the cgroup2 cgroup.controllers; NSCore reads them at every spawn) and then makes the same system calls: mkdir and one write per limit file, one write per cgroup.procs, rmdir after waitpid; bench/c/cgroupbench.c checks, before timing, that NSCore's directories are in the same hierarchies and below the same parents. In-process (no new namespace, as section 1's mode a): the spawn with limits against (1) the same spawn without limits + the raw routine's cgroup system calls, timed inside its own loop around a real child waiting on a pipe (the target: what the cgroup may add to a spawn is what the system calls cost; the raw side's handshake and the child's later exit from its cgroups are not counted, which favours the baseline), (2) the raw clone3 + cgroup loop run whole by a small C process (rawcgroup --batch); (3) NSCore's cgroup cost (with - without limits) against the raw routine's system calls, with the raw routine's steps in the row. Whole process (mode b, in the private mount namespace of crun's group, where the cgroup2 hierarchy is replaced by an empty tmpfs: NSCore and the raw program then use v1's freezer instead of the cgroup2 directory): \`nscore run -p -i -u -m -n $CG_FLAGS\` against \`rawcgroup b\` and \`crun --cgroup-manager=cgroupfs run\` with the same linux.resources and no cgroupsPath (crun makes /<id> in all ten hierarchies it sees, at their roots). Stats: $CG_STATS_N running containers ($(basename "$PAUSE")) with those limits; the figures of all of them per sample, through nscore_container_resource_stats, open+read+close of the same files in C (those NSCore takes a figure from: the files of its read list that exist in each directory), one cat per container, \`nscore stats --json PID\` per container (which also finds the cgroups from /proc/PID/cgroup and the mount table), one \`nscore stats --json\` over all the pids and one cat over all the files; whole processes are started with posix_spawn from the benchmark. The containers are freed afterwards and their directories checked to be gone.")

# ---- 12. everyday use ---------------------------------------------------------------------------
# What a program does with the library every day, each against what it would use otherwise:
# nscore.run of a short command against subprocess.run (plain, and with pid+mnt+net against
# unshare(1)); a thousand `sleep 0.2` children awaited together (Python: asyncio.gather of
# Container.wait_async against asyncio's own subprocesses; Swift: a task group of
# `try await wait()` against blocking waits in spawn order), with the process's thread count
# during the waits; a 16 MiB output captured (nscore.run against subprocess.run; Container.run
# against posix_spawn + a read loop in C, bench/c/rawcapture.c).
section 12
if ((QUICK)); then
    EV_R=2 EV_B=2 EV_ASYNC_R=2 EV_N=20 EV_MIB=1 EV_CAP_B=2
else
    EV_R=21 EV_B=20 EV_ASYNC_R=7 EV_N=1000 EV_MIB=16 EV_CAP_B=5
fi
run everyday-run python3 "$BENCH/python/bench.py" run --rounds $EV_R --batch $EV_B
run everyday-async-python python3 "$BENCH/python/bench.py" async --rounds $EV_ASYNC_R --containers $EV_N --sleep 0.2
run everyday-async-swift "$SWIFT_BENCH" async --rounds $EV_ASYNC_R --containers $EV_N --sleep 0.2
run everyday-capture-python python3 "$BENCH/python/bench.py" capture --rounds $EV_R --batch $EV_CAP_B --mib $EV_MIB
run everyday-capture-swift "$SWIFT_BENCH" capture --rounds $EV_R --batch $EV_CAP_B --mib $EV_MIB
wanted 12 && NOTES+=("Everyday rows (section 12): nscore.run against subprocess.run, both with capture_output=True and PATH lookup of \`true\`, $EV_B runs per round. With pid+mnt+net, nscore.run (namespaces=Namespace.PID | Namespace.MNT | Namespace.NET, its defaults: / made private, a fresh /proc, lo up) against \`unshare --pid --fork --mount --net true\` (no new /proc, lo left down: less work than NSCore does). Waits: $EV_N children running \`sleep 0.2\` (plain spawns, no new namespace: the wait is the same in any namespace), spawned one after the other and then awaited together; 'last' is the last wait's completion minus the last spawn's return (the target: <= 0.3 s), 'late' the largest completion minus the later of the child's end (its spawn + 0.2 s) and the last spawn. Python: asyncio.gather of Container.wait_async (no thread: each wait is an add_reader on a duplicate of the pidfd) against asyncio.create_subprocess_exec + Process.wait with the pidfd child watcher (the default from Python 3.12; 3.11's default starts a thread per child). Swift: a task group of \`try await container.wait()\` (one nscore-wait poller thread, started by the warm-up) against blocking wait() in spawn order. The thread rows give the most threads seen (sampled every 10 ms; every 50 waits for the blocking side) against the count before the spawns; RLIMIT_NOFILE's soft limit is raised to the hard one. Capture: \`head -c $((EV_MIB << 20)) /dev/zero\` with stdout and stderr on pipes, $EV_CAP_B runs per round, in MiB/s including the spawn and the wait; the C baseline reads straight into a buffer that doubles (realloc) and returns it as is.")

# ---- report -----------------------------------------------------------------------------------
ELAPSED=$(($(date +%s) - START))
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain -- Sources include 2>/dev/null | head -1)
NOTES+=("Modes: (a) no new namespace; (b) pid+ipc+uts+mnt+net; (c) all eight, user with a root mapping. The raw baselines (bench/c/rawloop.c) do what a default NSCore spawn does for the same set: fork-style clone3 with the same CLONE_NEW* flags, uid/gid maps written by the parent behind a pipe handshake, / made private, a fresh /proc with pid+mnt, lo up with net; then execve and waitpid.")
NOTES+=("Targets compare with the raw loop run by a small C process (bench/c/rawonce.c, without libnscore), interleaved with the host's own rounds: the best a hand-written loop does. The 'in this process' rows run the same loop inside the host (C with libnscore loaded, python3, Swift), whose fork-style clone copies the host's page tables.")
NOTES+=("Whole-process times include fork+exec of the command from a small C driver (bench/c/procbench.c); peak RSS is wait4's ru_maxrss (what GNU time's %M prints), which also counts the driver's forked pages before exec: compare with the '/bin/true alone' floor.")
wanted 3 && NOTES+=("Host-size rows use mode (a) and a host that touched its memory in 4 KiB pages (MADV_NOHUGEPAGE), as a real heap. In each round the small- and big-host phases alternate, and in the big phase NSCore runs before the raw loop: a fork-style clone of a 2 GiB host leaves the machine busy (cold caches, freed page tables) for the next few spawns, which would otherwise be billed to whichever ran next; the machine gets 0.2 s after touching the big host (for a while after 2 GiB were touched any spawn is slower, glibc's posix_spawn as much: up to 2x in a test here) and 0.2 s after freeing it. NSCore's spawn is timed over 4x the raw loop's batch (it is ~100x shorter than a fork of the big host, so one scheduling blip would otherwise decide a sample).")
wanted 3 && NOTES+=("Fd-count rows use mode (a) and, in the many phase, a host holding $FDS more open fds (close-on-exec duplicates of /dev/null, as a container manager holds pidfds); phases alternate as for host size. A fork-style clone copies the fd table and exec then closes every copy; NSCore's child shares the table at clone and keeps a copy of fds 0-2 only.")
wanted 7 && NOTES+=("Rootfs rows (section 7): a rootfs made by tools/make-test-rootfs.sh (/bin/true and its libraries). The raw C program (bench/c/rawrootfs.c; the same loop runs in-process) makes the system calls NSCore makes for \`nscore run -p -i -u -m -n --rootfs R --read-only\`: a fork-style clone3 (NSCore's is CLONE_VM), / private, the rootfs bound onto itself, proc, the /dev tmpfs with mknod'd devices, its links, devpts, shm and mqueue, sysfs, each made with fsopen/fsmount/move_mount onto a target opened with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS); Docker's masked paths as open_tree clones, the read-only paths with open_tree + mount_setattr + move_mount, the root made read-only with mount_setattr, pivot_root(\".\", \".\"), the old root made a slave and detached, lo up, Docker's default capabilities (bounding drops, capset, ambient cleared) and no_new_privs, as NSCore gives a rootfs container (crun's config.json and bwrap get the same capabilities; both set no_new_privs). It skips NSCore's extra probe of each default mount's target, the signal-handler reset, close_range and the exec handshake. crun runs an OCI config.json with the same namespaces, mounts (sysfs read-write, as NSCore's in a new network namespace), maskedPaths, readonlyPaths and read-only root. bwrap cannot mount a sysfs, so it binds the host's /sys read-only (with its submounts); it binds the host's device nodes instead of making them, and its /proc/sys and /proc/fs are bound read-only from the host's /proc; /bin/true is PID 1 (--as-pid-1). The threaded run: $RF_TOTAL NSCore rootfs containers from $RF_THREADS threads in blocks of $RF_BLOCK, each block paired with a block of the raw loop from as many threads (the order flipping from block to block). It runs in a mount namespace whose tree is made recursively shared, because the host's / is private here and nothing could propagate to it. The mountinfo of that namespace and of the host are counted before and after, and the run fails if either changed.")
wanted 8 && NOTES+=("Scale rows: $SCALE_TOTAL containers in a row, each in a new network namespace running $(basename "$PAUSE") (a static pause program unless no static libc was found), all alive until the end; blocks of $SCALE_BLOCK, NSCore and raw alternating (both see the same number of live namespaces and the same host fd table, which holds NSCore's pidfds: the raw loop's clone copies it, NSCore's child shares it at clone and keeps a copy of fds 0-2 only). The raw loop waits for exec as NSCore does. Decay that both show is the kernel's: each new network namespace registers its sysctl and /proc/net entries, which a profile (perf record -a -g during the run) shows slowing as thousands accumulate (insert_header, find_entry, namecmp, proc_match).")
wanted 9 && NOTES+=("Veth rows (section 9): each in a network namespace of its own, where the bridge nsbbr0 (10.99.0.1/16) lives. 'Until exec' is the time from the start of the spawn to the command's first instruction with its network ready: in-process, until nscore_spawn returns (it returns once the command has exec'd; the raw loop waits for exec likewise); whole-process, the command is a small program that prints CLOCK_MONOTONIC, minus the time just before the driver's fork. The raw C baseline (bench/c/rawveth.c, no libnscore) sends what a careful C programmer would: one RTM_NEWLINK making the pair (host end up and on the bridge, eth0 made in the child's namespace), then, through a socket opened in that namespace, RTM_GETLINK for eth0's index, RTM_NEWADDR, RTM_NEWLINK turning off its IPv6 link-local address (NSCore does so for a container with no IPv6 address), RTM_NEWLINK up and RTM_NEWROUTE; after waitpid, RTM_DELLINK of the host end. NSCore sends the same requests; a fresh \`nscore run\` also checks the bridge (RTM_GETLINK, and an RTM_GETADDR of the bridge alone) since it is a new process each time, which the in-process spawns do once. The ip script (bench/veth-ip.sh) does the same with ip(8): ip netns add, the bridge checked, the pair, the host end on the bridge, lo, the address, addrgenmode none, eth0 up, the default route, ip netns exec. The whole cycle is dominated by the kernel's RTM_DELLINK of a veth (about 30 ms here: it waits for RCU grace periods), in both NSCore and the raw loop. Scale: $VETH_TOTAL veth containers on one bridge, all alive together ($((VETH_TOTAL / 2)) of NSCore's, the rest the raw loop's, blocks of $VETH_BLOCK alternating; a bridge takes at most 1024 ports), addresses from NSCore's pool of the bridge's /16. NSCore's per-spawn requests never read a whole table (no link or address dump; the bridge's index is remembered per process and namespace), so the decay that both show comes from the kernel (the raw loop sends no dump at all). With an IPv6 link-local address on every eth0, a spawn onto a bridge of 1000 cost about 10x the first (each new container's duplicate address detection, router solicitations and MLD reports are flooded to every port); without it, about 2x.")
# A quick run (part of `make test`) must not overwrite the last full run's table.
NAME=latest
((QUICK)) && NAME=quick
python3 "$BENCH/report.py" "$OUT" --md "$RESULTS/$NAME.md" --json "$RESULTS/$NAME.json" \
    $( ((QUICK)) && echo --quick) \
    --meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --meta "commit=$COMMIT${DIRTY:+ (+ uncommitted changes)}" \
    --meta "kernel=$(uname -r) $(uname -m), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" \
    --meta "duration=${ELAPSED}s" \
    "${NOTES[@]/#/--note=}"
cp "$OUT" "$RESULTS/$NAME.jsonl"
log "done in $(($(date +%s) - START))s: $RESULTS/$NAME.md, $RESULTS/$NAME.json"
