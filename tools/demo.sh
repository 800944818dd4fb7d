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
