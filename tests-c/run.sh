#!/usr/bin/env bash
# tests-c/run.sh - builds and runs the C tests of libnscore, and checks the exported symbols.
#
#   NSCORE_LIBDIR=<dir with libnscore.so>  (default: <repo>/build)   tests-c/run.sh [test_name ...]
#
# Prints one line per check: PASS, SKIP (with the reason) or FAIL (followed by the test's output).
# Tests that need no privilege run a second time as uid 65534 (setpriv) when run as root.
# Exits non-zero if anything failed.
set -u

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
libdir="${NSCORE_LIBDIR:-$repo/build}"
libdir="$(cd "$libdir" 2>/dev/null && pwd)" || { echo "FAIL setup: NSCORE_LIBDIR ${NSCORE_LIBDIR:-$repo/build} does not exist"; exit 1; }
lib="$libdir/libnscore.so"
include="$repo/include"
CC="${CC:-gcc}"
CXX="${CXX:-g++}"
CFLAGS=(-std=c11 -Wall -Wextra -Werror -pedantic -pthread -I"$include" -I"$here")

# Tests that also run unprivileged (they adapt their expectations to the uid).
ROOTLESS="test_spawn_basic test_spawn_namespaces test_user_ns test_capabilities test_bad_input test_leaks test_concurrency test_join_exposure test_rootfs test_seccomp test_cgroup_io test_cgroups_path test_time_offsets test_pidfd_poll"

failed=0
passed=0
skipped=0
work="$(mktemp -d /tmp/nscore-ctest-run-XXXXXX)"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

pass() { echo "PASS $1"; passed=$((passed + 1)); }
skip() { echo "SKIP $1${2:+: $2}"; skipped=$((skipped + 1)); }
fail() {
    echo "FAIL $1${2:+: $2}"
    failed=$((failed + 1))
    if [ -n "${3:-}" ] && [ -s "$3" ]; then sed 's/^/    /' "$3"; fi
}

if [ ! -e "$lib" ]; then
    fail "setup" "$lib not found (build it first, or set NSCORE_LIBDIR)"
    exit 1
fi
# The tests link a copy of the library in $work (0755, under /tmp) through their rpath: the
# runs as uid 65534 could not reach $libdir when the checkout lies below a directory other users
# cannot enter (a home directory, a `mktemp -d`).
mkdir "$work/lib"
cp -L "$lib" "$work/lib/libnscore.so.0"
ln -s libnscore.so.0 "$work/lib/libnscore.so"
chmod -R a+rX "$work/lib"
LDFLAGS=(-L"$work/lib" -lnscore -Wl,-rpath,"$work/lib")
# For the same reason test_rootfs and test_seccomp take tools/make-test-rootfs.sh from a copy.
mkdir -p "$work/repo/tools"
cp "$repo/tools/make-test-rootfs.sh" "$work/repo/tools/"
chmod -R a+rX "$work/repo"
export NSCORE_TEST_REPO="$work/repo"

# ---- The header compiles as C99, C11 and C++17 with every warning an error. -----------------
hdr_src="$work/header_check.c"
printf '#include "nscore.h"\nint nscore_header_check_dummy;\n' > "$hdr_src"
for std in c99 c11; do
    if "$CC" -std=$std -Wall -Wextra -Werror -pedantic -I"$include" -fsyntax-only "$hdr_src" > "$work/hdr.log" 2>&1; then
        pass "header ($std)"
    else
        fail "header ($std)" "" "$work/hdr.log"
    fi
done
cp "$hdr_src" "$work/header_check.cpp"
if "$CXX" -std=c++17 -Wall -Wextra -Werror -pedantic -I"$include" -fsyntax-only "$work/header_check.cpp" > "$work/hdr.log" 2>&1; then
    pass "header (c++17)"
else
    fail "header (c++17)" "" "$work/hdr.log"
fi

# ---- Exported symbols == include/nscore.symbols == the functions nscore.h declares. ----------
# nm lists global symbols with an upper-case type. Lower-case types are local (not exported;
# the linker keeps a few Swift metadata symbols local in .dynsym) and type A is the version
# node NSCORE_0 of include/nscore.map: both are skipped. "@@NSCORE_0" suffixes are stripped.
nm -D --defined-only --format=posix "$lib" | awk '$2 ~ /^[A-Z]$/ && $2 != "A" {print $1}' \
    | sed 's/@.*//' | LC_ALL=C sort > "$work/exported.txt"
nm -D --defined-only --format=posix "$lib" | awk '$2 == "A" {print $1}' | sed 's/@.*//' \
    | grep -v '^NSCORE_[0-9]*$' > "$work/odd_absolute.txt" || true
LC_ALL=C sort "$include/nscore.symbols" > "$work/expected.txt"
if diff -u "$work/expected.txt" "$work/exported.txt" > "$work/sym.log" 2>&1 && [ ! -s "$work/odd_absolute.txt" ]; then
    pass "exported symbols match include/nscore.symbols ($(wc -l < "$work/expected.txt") functions)"
else
    cat "$work/odd_absolute.txt" >> "$work/sym.log"
    fail "exported symbols" "nm -D differs from include/nscore.symbols" "$work/sym.log"
fi
grep -o 'NSCORE_API [^;]*' "$include/nscore.h" | grep -o 'nscore_[a-z0-9_]*(' | tr -d '(' \
    | LC_ALL=C sort -u > "$work/declared.txt"
if diff -u "$work/declared.txt" "$work/expected.txt" > "$work/decl.log" 2>&1; then
    pass "include/nscore.symbols matches the declarations of nscore.h"
else
    fail "declared symbols" "nscore.h declarations differ from include/nscore.symbols" "$work/decl.log"
fi
if ldd "$lib" | grep -q 'libswift'; then
    ldd "$lib" > "$work/ldd.log" 2>&1
    fail "ldd" "libnscore.so links a Swift runtime library dynamically" "$work/ldd.log"
else
    pass "ldd: no libswift*"
fi

# ---- Helper programs the tests run inside containers (tests-c/helpers). -----------------------
# noop is static so that it opens no file (no dynamic loader): test_join_exposure counts any fd
# above 2 in a joined process as a leak.
export NSCORE_TEST_HELPERS="$work/helpers"
mkdir -p "$NSCORE_TEST_HELPERS"
if "$CC" -O2 -Wall -Wextra -Werror -o "$NSCORE_TEST_HELPERS/watcher" "$here/helpers/watcher.c" > "$work/helpers.log" 2>&1 &&
    "$CC" -O2 -static -o "$NSCORE_TEST_HELPERS/noop" "$here/helpers/noop.c" >> "$work/helpers.log" 2>&1; then
    chmod -R a+rX "$NSCORE_TEST_HELPERS"
else
    fail "helpers" "tests-c/helpers do not compile" "$work/helpers.log"
fi

# ---- Build and run each test. ----------------------------------------------------------------
if [ $# -gt 0 ]; then
    tests=("$@")
else
    tests=()
    for src in "$here"/test_*.c; do tests+=("$(basename "$src" .c)"); done
fi

run_one() { # name binary label [setpriv args...]
    local name="$1" bin="$2" label="$3"
    shift 3
    local log="$work/$label.log" rc
    (cd "$work" && timeout 180 "$@" "$bin") > "$log" 2>&1
    rc=$?
    case $rc in
    0) pass "$label" ;;
    77) skip "$label" "$(head -n 1 "$log")" ;;
    124) fail "$label" "timed out" "$log" ;;
    *) fail "$label" "exit status $rc" "$log" ;;
    esac
}

for name in "${tests[@]}"; do
    src="$here/$name.c"
    bin="$work/$name"
    if [ ! -f "$src" ]; then
        fail "$name" "no such test ($src)"
        continue
    fi
    if ! "$CC" "${CFLAGS[@]}" -o "$bin" "$src" "${LDFLAGS[@]}" > "$work/$name.build.log" 2>&1; then
        fail "$name" "does not compile" "$work/$name.build.log"
        continue
    fi
    chmod 755 "$bin"
    run_one "$name" "$bin" "$name"
    if [ "$(id -u)" = 0 ] && [[ " $ROOTLESS " == *" $name "* ]]; then
        if command -v setpriv > /dev/null; then
            run_one "$name" "$bin" "$name (uid 65534)" setpriv --reuid 65534 --regid 65534 --clear-groups
        else
            skip "$name (uid 65534)" "setpriv not installed"
        fi
    fi
done

echo "tests-c: $passed passed, $skipped skipped, $failed failed"
[ "$failed" -eq 0 ]
