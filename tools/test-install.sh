#!/usr/bin/env bash
# `make install` as a new user would use it: the README's C example built with the README's own
# link lines (extracted from its "## C" section and run as written, nothing added), then run:
#   1. under a temporary PREFIX, with nscore.pc's rpath variable;
#   2. under /usr/local, found through the loader's cache that `make install` refreshed with
#      ldconfig. This runs in a private mount namespace with overlays on /usr/local and /etc:
#      the installed files and the new /etc/ld.so.cache vanish with it (root only, else skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
tmp=$(mktemp -d /tmp/nscore-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
skipped=0
ok() { echo "ok   - $1"; passed=$((passed + 1)); }
skip() { echo "skip - $1"; skipped=$((skipped + 1)); }
fail() { echo "FAIL - $1"; [ -z "${2:-}" ] || sed 's/^/    /' "$2"; exit 1; }

# The README's C example, verbatim: the first C block of its "## C" section (the later ones, and
# other sections, show fragments), and the two `cc demo.c` lines of the same section: the plain
# one, and the one that adds the rpath variable.
awk '/^## /{c = ($0 == "## C")} c && !done && /^```c$/{on=1; next} on && /^```$/{on=0; done=1} on' README.md > "$tmp/demo.c"
mapfile -t lines < <(awk '/^## /{c = ($0 == "## C")} c && /^cc demo\.c /' README.md)
plain="" rpath=""
for line in "${lines[@]}"; do
    case "$line" in
        *--variable=rpath*) rpath=$line ;;
        *) plain=$line ;;
    esac
done
[ -n "$plain" ] && [ -n "$rpath" ] || fail "README's C section lacks the two cc demo.c lines (found: ${lines[*]:-none})"
unset PKG_CONFIG_PATH

# demo_ok DIR LABEL: runs DIR/demo and checks what it printed.
demo_ok() {
    local out
    out=$("$1/demo" 2>&1) || fail "$2: demo failed: $out"
    case "$out" in
        box*"exited 0"*) ok "$2: $(echo "$out" | tr '\n' ' ')" ;;
        *) fail "$2: demo printed: $out" ;;
    esac
}

# ---- 1. A custom prefix: the rpath line. ------------------------------------------------------
prefix=$tmp/prefix
make -s install PREFIX="$prefix" > "$tmp/install.log" 2>&1 || fail "make install PREFIX=$prefix" "$tmp/install.log"
grep -q "not in the loader's search path" "$tmp/install.log" || fail "make install did not say how to link" "$tmp/install.log"
mkdir "$tmp/custom" && cp "$tmp/demo.c" "$tmp/custom/"
(cd "$tmp/custom" && PKG_CONFIG_PATH="$prefix/lib/pkgconfig" bash -euc "$rpath") > "$tmp/cc.log" 2>&1 ||
    fail "README line failed: $rpath" "$tmp/cc.log"
demo_ok "$tmp/custom" "PREFIX=$prefix, built with \`$rpath\`"
# Without the rpath the program must not find the library: the line is what makes it work.
(cd "$tmp/custom" && PKG_CONFIG_PATH="$prefix/lib/pkgconfig" bash -euc "$plain -o demo-plain") > "$tmp/cc.log" 2>&1 ||
    fail "README line failed: $plain" "$tmp/cc.log"
if "$tmp/custom/demo-plain" > "$tmp/plain.log" 2>&1; then
    fail "without the rpath the demo found libnscore.so.0 anyway (is $prefix/lib in the loader's path?)"
fi
grep -q 'libnscore.so.0: cannot open shared object file' "$tmp/plain.log" || fail "the plain demo failed otherwise" "$tmp/plain.log"
ok "PREFIX=$prefix without the rpath: libnscore.so.0 not found, as the README says"
# The example also compiles with every warning an error.
cc -std=c11 -Wall -Wextra -Werror -c "$tmp/demo.c" -o "$tmp/demo.o" $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags nscore) \
    > "$tmp/cc.log" 2>&1 || fail "demo.c has warnings" "$tmp/cc.log"
ok "README C example compiles with -std=c11 -Wall -Wextra -Werror"
got=$("$prefix/bin/nscore" run --uts --hostname installed -- hostname)
[ "$got" = installed ] || fail "installed nscore printed '$got'"
ok "installed nscore CLI"
if ldd "$prefix/lib/libnscore.so" | grep -q swift; then fail "libnscore.so needs a Swift runtime"; fi
ok "installed libnscore.so needs no Swift runtime"

# ---- 2. /usr/local: ldconfig and the plain line. ----------------------------------------------
if [ "$(id -u)" != 0 ]; then
    skip "PREFIX=/usr/local with ldconfig: needs root (a private mount namespace)"
elif ! grep -qw overlay /proc/filesystems; then
    skip "PREFIX=/usr/local with ldconfig: no overlayfs to keep /usr/local and /etc unchanged"
else
    mkdir "$tmp/system" && cp "$tmp/demo.c" "$tmp/system/"
    # Overlays whose upper layers live on a tmpfs of the namespace: every write below /usr/local
    # and /etc (the new loader cache) lands there, and is gone when the namespace ends.
    inner='
        set -euo pipefail
        {
            mount -t tmpfs nscore-install "$tmp/ov" &&
            for d in usr-local etc; do mkdir "$tmp/ov/$d" "$tmp/ov/$d.work"; done &&
            mount -t overlay overlay -o lowerdir=/usr/local,upperdir="$tmp/ov/usr-local",workdir="$tmp/ov/usr-local.work" /usr/local &&
            mount -t overlay overlay -o lowerdir=/etc,upperdir="$tmp/ov/etc",workdir="$tmp/ov/etc.work" /etc
        } || exit 3
        make -s -C "$checkout" install PREFIX=/usr/local
        [ -e "$tmp/ov/etc/ld.so.cache" ] || { echo "ldconfig did not write /etc/ld.so.cache"; exit 1; }
        ldconfig -p | grep -q "libnscore.so.0 .*=> /usr/local/lib/libnscore.so.0" || { echo "libnscore.so.0 not in the cache"; exit 1; }
        cd "$tmp/system" && bash -euc "$plain"
        ./demo'
    mkdir "$tmp/ov"
    outside() { ls /usr/local/lib; sha256sum /etc/ld.so.cache; }
    before=$(outside)
    rc=0
    tmp=$tmp checkout=$checkout plain=$plain unshare --mount --propagation private bash -c "$inner" > "$tmp/system.log" 2>&1 || rc=$?
    if [ "$rc" = 3 ]; then
        skip "PREFIX=/usr/local with ldconfig: cannot overlay /usr/local and /etc here ($(tail -n 1 "$tmp/system.log"))"
    elif [ "$rc" = 0 ]; then
        grep -q "ran ldconfig" "$tmp/system.log" || fail "make install PREFIX=/usr/local did not run ldconfig" "$tmp/system.log"
        case "$(cat "$tmp/system.log")" in
            *box*"exited 0"*) ok "PREFIX=/usr/local: make install ran ldconfig; built with \`$plain\`, the demo ran" ;;
            *) fail "PREFIX=/usr/local: the demo printed" "$tmp/system.log" ;;
        esac
    else
        fail "PREFIX=/usr/local in a private mount namespace" "$tmp/system.log"
    fi
    [ "$(outside)" = "$before" ] || fail "/usr/local/lib or /etc/ld.so.cache changed outside the namespace"
    ok "outside the namespace /usr/local/lib and /etc/ld.so.cache are unchanged"
fi

echo "test-install: $passed passed, $skipped skipped, 0 failed"
