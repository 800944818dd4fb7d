#!/usr/bin/env bash
# `make demo`: spawn a real container with all eight namespaces and show what it sees next to
# what the host sees.
set -euo pipefail
cd "$(dirname "$0")/.."
NSCORE=${NSCORE:-build/nscore}

# One "key<TAB>value" line per fact, the same script on both sides.
view='
printf "hostname\t%s\n" "$(hostname)"
printf "uid (id -u)\t%s\n" "$(id -u)"
printf "uid_map\t%s\n" "$(head -1 /proc/self/uid_map | tr -s " " | sed "s/^ //")"
printf "pid of this shell\t%s\n" "$$"
printf "processes in /proc\t%s\n" "$(ls /proc | grep -c "^[0-9]")"
printf "network devices\t%s\n" "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"
printf "mounts\t%s\n" "$(wc -l < /proc/self/mountinfo)"
for ns in uts ipc pid net mnt user cgroup time; do
    printf "ns %s\t%s\n" "$ns" "$(readlink /proc/self/ns/$ns)"
done
'

host=$(mktemp) ctr=$(mktemp)
trap 'rm -f "$host" "$ctr"' EXIT
sh -c "$view" > "$host"
echo "\$ $NSCORE run --all --map-root-user --hostname nscore-demo --init -- sh -c '...'"
"$NSCORE" run --all --map-root-user --hostname nscore-demo --init -- /bin/sh -c "$view" > "$ctr"

printf '\n%-20s %-26s %-26s\n' "" "HOST" "CONTAINER"
printf '%-20s %-26s %-26s\n' "" "--------------------------" "--------------------------"
paste "$host" "$ctr" | awk -F'\t' '{ printf "%-20s %-26s %-26s\n", $1, $2, $4 }'
echo
echo "Every namespace differs; the container's shell is PID 2 under nscore-init (PID 1),"
echo "sees only its own processes and 'lo', and is root inside while mapped to uid $(id -u) outside."

# ---- A container in a root filesystem of its own --------------------------------------------
# A small rootfs built from the host's own binaries (tools/make-test-rootfs.sh), entered with
# pivot_root, read-only, with Docker's default mounts and masked paths.
rootfs=$(mktemp -d)
trap 'rm -f "$host" "$ctr"; rm -rf "$rootfs"' EXIT
chmod 755 "$rootfs"
bash tools/make-test-rootfs.sh "$rootfs/root" > /dev/null
view='
printf "ls /\t%s\n" "$(echo $(ls /))"
printf "ls /dev\t%s\n" "$(echo $(ls /dev))"
printf "mounts\t%s\n" "$(wc -l < /proc/self/mountinfo)"
printf "processes\t%s\n" "$(ls /proc | grep -c "^[0-9]")"
printf "/ (access W_OK)\t%s\n" "$([ -w / ] && echo writable || echo read-only)"
printf "/proc/sys\t%s\n" "$( (: >> /proc/sys/kernel/hostname) 2>/dev/null && echo writable || echo read-only)"
printf "/sys/firmware\t%s\n" "$(echo $(ls /sys/firmware | wc -l) entries)"
'
sh -c "$view" > "$host" 2>/dev/null
echo
echo "\$ $NSCORE run --all --map-root-user --rootfs $rootfs/root --read-only --tmpfs /tmp -- sh -c '...'"
"$NSCORE" run --all --map-root-user --rootfs "$rootfs/root" --read-only --tmpfs /tmp -- /bin/sh -c "$view" > "$ctr"
printf '\n%-16s %-42s %-42s\n' "" "HOST" "CONTAINER (rootfs)"
printf '%-16s %-42s %-42s\n' "" "------------------------------------------" "------------------------------------------"
paste "$host" "$ctr" | awk -F'\t' '{ printf "%-16s %-42.42s %-42.42s\n", $1, $2, $4 }'
echo
echo "The container's / is the rootfs (pivot_root; the host's tree is detached), read-only, with"
echo "its own proc, /dev (null zero full random urandom tty, pts, shm, mqueue) and sysfs; kernel"
echo "files are masked (/sys/firmware is empty) and /proc/sys is read-only, as in Docker."
