#!/usr/bin/env bash
# `make install PREFIX=tmp` as a new user would use it: compile the README's C example against
# the installed header through pkg-config, run it, and run the installed CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d /tmp/nscore-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
make -s install PREFIX="$prefix" >/dev/null
# The README's C example, verbatim: the C block of its "## C" section (other sections show
# fragments).
awk '/^## /{c = ($0 == "## C")} c && /^```c$/{on=1; next} /^```$/{on=0} on' README.md > "$prefix/demo.c"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc -std=c11 -Wall -Wextra -Werror "$prefix/demo.c" $(pkg-config --cflags --libs nscore) -Wl,-rpath,"$prefix/lib" -o "$prefix/demo"
out=$("$prefix/demo")
case "$out" in
    box*"exited 0"*) echo "ok   - README C example against the installed library: $(echo "$out" | tr '\n' ' ')" ;;
    *) echo "FAIL - README C example printed: $out"; exit 1 ;;
esac
got=$("$prefix/bin/nscore" run --uts --hostname installed -- hostname)
[ "$got" = installed ] || { echo "FAIL - installed nscore printed '$got'"; exit 1; }
echo "ok   - installed nscore CLI"
if ldd "$prefix/lib/libnscore.so" | grep -q swift; then echo "FAIL - libnscore.so needs a Swift runtime"; exit 1; fi
echo "ok   - installed libnscore.so needs no Swift runtime"
