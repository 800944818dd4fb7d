#!/usr/bin/env bash
# Installs what the test suites need on a fresh machine (idempotent, quiet when all is there).
set -euo pipefail
need=()
command -v unshare >/dev/null || need+=(util-linux)
command -v nsenter >/dev/null || need+=(util-linux)
command -v lsns >/dev/null || need+=(util-linux)
command -v setpriv >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
command -v ipcmk >/dev/null || need+=(util-linux)
command -v g++ >/dev/null || need+=(g++)
command -v newuidmap >/dev/null || need+=(uidmap)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
# `make wheel` builds through setuptools without build isolation; setuptools before 70.1 needs
# the wheel package for that.
python3 -c "import setuptools.command.bdist_wheel" 2>/dev/null || python3 -c "import wheel" 2>/dev/null || python3 -m pip install -q wheel
