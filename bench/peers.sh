#!/usr/bin/env bash
# Installs the peer tools that bench/run.sh compares NSCore against, from Debian's packages:
# bubblewrap (bwrap), crun (an OCI runtime), GNU time and libseccomp-dev (section 10 builds
# Docker's seccomp profile with libseccomp, as runc does; linked into bench/c/seccompbench.c
# only). run.sh skips, with a note, every peer that is missing, so this script is optional.
# Pass --runc to add runc as well.
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
    echo "peers.sh: run as root (apt-get install)" >&2
    exit 1
fi
pkgs=(bubblewrap crun time util-linux libseccomp-dev)
[[ ${1:-} == --runc ]] && pkgs+=(runc)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
for tool in bwrap crun runc unshare nsenter lsns /usr/bin/time; do
    if command -v "$tool" >/dev/null 2>&1; then
        printf '%-14s %s\n' "$tool" "$(command -v "$tool")"
    else
        printf '%-14s (not installed)\n' "$tool"
    fi
done
if [[ -e /usr/include/seccomp.h ]]; then
    printf '%-14s %s\n' libseccomp "$(dpkg-query -W -f '${Version}' libseccomp-dev 2>/dev/null)"
else
    printf '%-14s (not installed)\n' libseccomp
fi
