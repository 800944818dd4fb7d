#!/usr/bin/env bash
# make-test-rootfs.sh - builds a small root filesystem for the tests from the host's own
# binaries: nothing is downloaded.
#
#   tools/make-test-rootfs.sh DIR [PROGRAM...]
#
# DIR must not exist yet (or be empty). Copies each PROGRAM (default: sh ls cat echo mkdir
# touch readlink id hostname stat mount umount grep head wc rm ln sleep true, as found in PATH) with every library `ldd`
# lists, the dynamic loader included, into the same paths under DIR, and makes the directories
# a container's default mounts need (proc, sys, dev, tmp, etc, root) plus an /etc/passwd and
# /etc/group with root. Programs are copied, never hard-linked: the rootfs shares no inode with
# the host. Prints DIR. Exit status 1 with a message naming what failed.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 DIR [PROGRAM...]" >&2
    exit 2
fi
dir=$1
shift
programs=("$@")
if [[ ${#programs[@]} -eq 0 ]]; then
    programs=(sh ls cat echo mkdir touch readlink id hostname stat mount umount grep head wc rm ln sleep true)
fi
if [[ -e $dir && -n $(ls -A "$dir" 2>/dev/null) ]]; then
    echo "make-test-rootfs.sh: $dir exists and is not empty" >&2
    exit 1
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# The host's top-level links (merged /usr: /bin -> usr/bin, /lib64 -> usr/lib64, ...), so that
# the same paths work inside.
for top in bin sbin lib lib32 lib64 libx32; do
    if [[ -L /$top ]]; then
        target=$(readlink "/$top")
        mkdir -p "$dir/${target#/}"
        ln -s "$target" "$dir/$top"
    fi
done

# copy SOURCE: SOURCE (resolved through symlinks) to the same path under DIR.
copy() {
    local src=$1 real
    real=$(readlink -f "$src")
    mkdir -p "$dir$(dirname "$src")"
    cp "$real" "$dir$src"
    # A link such as /bin/sh -> dash: keep the name, copy the target too (scripts call either).
    if [[ $real != "$src" && ! -e $dir$real ]]; then
        mkdir -p "$dir$(dirname "$real")"
        cp "$real" "$dir$real"
    fi
}

for p in "${programs[@]}"; do
    path=$(type -P "$p" || true)
    if [[ -z $path || $path != /* ]]; then
        echo "make-test-rootfs.sh: program '$p' not found in PATH" >&2
        exit 1
    fi
    copy "$path"
    # Every library ldd names ("name => /path (addr)" or "/path (addr)" for the loader).
    while read -r lib; do
        [[ -n $lib && -e $lib ]] && [[ ! -e $dir$lib ]] && copy "$lib"
    done < <(ldd "$path" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
done

mkdir -p "$dir"/{proc,sys,dev,tmp,etc,root,mnt}
chmod 1777 "$dir/tmp"
echo "root:x:0:0:root:/root:/bin/sh" > "$dir/etc/passwd"
echo "root:x:0:" > "$dir/etc/group"
echo "$dir"
