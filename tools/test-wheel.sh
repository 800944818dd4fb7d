#!/usr/bin/env bash
# The Python package as a new user installs it, with no index (nothing is downloaded):
#   1. `make wheel`, tagged manylinux_2_X_<arch> with X no lower than any GLIBC_ version its
#      library needs, which pip takes for a glibc 2.X system and refuses below it, installed
#      into a fresh venv, imported from another directory;
#   2. `pip install ./bindings/python` into a fresh venv, imported from another directory.
# Each must load the libnscore.so.0 bundled in the installed package (never the checkout's
# build/) and spawn a container. Run as root (the spawn makes a UTS namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
tmp=$(mktemp -d /tmp/nscore-wheel.XXXXXX)
# pip builds in the source directory: its setuptools build/ and egg-info go too.
trap 'rm -rf "$tmp" "$checkout/bindings/python/build" "$checkout/bindings/python/nscore.egg-info"' EXIT
unset NSCORE_LIBRARY
passed=0

ok() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1"; [ -z "${2:-}" ] || sed 's/^/    /' "$2"; exit 1; }

# The check run by each venv's python from $tmp/elsewhere, so that the checkout is not on sys.path.
cat > "$tmp/check.py" <<'EOF'
import pathlib, sys
import nscore
from nscore import _ffi
lib = pathlib.Path(_ffi.path).resolve()
pkg = pathlib.Path(nscore.__file__).resolve().parent
assert lib.parent == pkg, f"loaded {lib}, not the copy in {pkg}"
assert pkg.is_relative_to(pathlib.Path(sys.prefix).resolve()), f"{pkg} is not in the venv {sys.prefix}"
assert nscore.spawn(["true"], namespaces="uts").wait() == 0
print(lib)
EOF
mkdir "$tmp/elsewhere"

make -s wheel > "$tmp/wheel.log" 2>&1 || fail "make wheel" "$tmp/wheel.log"
whl=$(ls build/wheel/nscore-*.whl)
arch=$(uname -m)
platform=$(basename "$whl" .whl)
platform=${platform##*-}
case "$platform" in
    manylinux_2_*_"$arch") ok "make wheel: $(basename "$whl")" ;;
    *) fail "make wheel gave $whl, not a py3-none-manylinux_2_*_$arch wheel" ;;
esac
# The bundled library needs no Swift runtime, only what every glibc system has.
python3 -m zipfile -e "$whl" "$tmp/unzipped"
# The tag's glibc, read here with binutils (the build reads the ELF file itself): no GLIBC_
# version the library needs from libc, libm or the loader is newer.
level=${platform#manylinux_}
level=${level%_"$arch"}
level=${level/_/.}
newest=$(readelf -V --wide "$tmp/unzipped/nscore/libnscore.so.0" | grep -o 'Name: GLIBC_[0-9.]*' | sed 's/.*GLIBC_//' | sort -uV | tail -n 1)
[ -n "$newest" ] || fail "readelf -V lists no GLIBC_ version in the wheel's library"
[ "$(printf '%s\n%s\n' "$newest" "$level" | sort -V | tail -n 1)" = "$level" ] ||
    fail "$platform promises glibc $level, but the library needs GLIBC_$newest"
ok "glibc $level of the tag covers the newest GLIBC_ version the library needs ($newest)"
# The same tag from the policy check that the build runs (symbol versions of libstdc++ and
# libgcc_s within that level's caps, only system libraries, no forbidden symbol).
python3 bindings/python/wheel_tag.py --explain "$tmp/unzipped/nscore/libnscore.so.0" > "$tmp/tag.out" 2> "$tmp/tag.log" ||
    fail "wheel_tag.py refuses the wheel's library" "$tmp/tag.log"
[ "$(cat "$tmp/tag.out")" = "$platform" ] || fail "wheel_tag.py gives $(cat "$tmp/tag.out"), the wheel says $platform"
ok "the library fits the $platform policy: $(tail -n 1 "$tmp/tag.log")"
# pip's own tag matching, for other systems: pip on glibc 2.N takes manylinux_2_17 to
# manylinux_2_N wheels (given here as one --platform each). A glibc 2.X system takes the wheel
# from an index (--find-links stands in for one), one a glibc release older does not.
minor=${level#2.}
fetch() {  # fetch GLIBC_MINOR DIR: pip download for a system with that glibc
    local platforms=() i
    for ((i = 17; i <= $1; i++)); do platforms+=(--platform "manylinux_2_${i}_$arch"); done
    python3 -m pip download -q --isolated --no-index --find-links build/wheel --only-binary=:all: --no-deps \
        "${platforms[@]}" --python-version 3.9 -d "$2" nscore > "$tmp/pip.log" 2>&1
}
fetch "$minor" "$tmp/download" || fail "pip does not take the wheel for a glibc $level system" "$tmp/pip.log"
[ -f "$tmp/download/$(basename "$whl")" ] || fail "pip download for a glibc $level system fetched nothing"
fetch "$((minor + 4))" "$tmp/download-newer" || fail "pip does not take the wheel for a glibc 2.$((minor + 4)) system" "$tmp/pip.log"
if fetch "$((minor - 1))" "$tmp/download-older"; then
    fail "pip takes the wheel for a glibc 2.$((minor - 1)) system, older than the library needs"
fi
grep -q "No matching distribution" "$tmp/pip.log" || fail "pip download for glibc 2.$((minor - 1)) failed otherwise" "$tmp/pip.log"
ok "pip takes the wheel from an index for glibc $level and 2.$((minor + 4)) systems, refuses it for 2.$((minor - 1))"
needed=$(objdump -p "$tmp/unzipped/nscore/libnscore.so.0" | awk '$1 == "NEEDED" {print $2}' | sort | tr '\n' ' ')
for lib in $needed; do
    case "$lib" in
        libc.so.6 | libm.so.6 | libstdc++.so.6 | libgcc_s.so.1 | ld-linux*) ;;
        *) fail "the wheel's library needs $lib (all it needs: $needed)" ;;
    esac
done
ok "the wheel's libnscore.so.0 needs only $needed"

python3 -m venv "$tmp/venv-wheel"
"$tmp/venv-wheel/bin/pip" install -q --no-index "$whl" > "$tmp/pip.log" 2>&1 || fail "pip install the wheel" "$tmp/pip.log"
(cd "$tmp/elsewhere" && "$tmp/venv-wheel/bin/python" "$tmp/check.py") > "$tmp/run.log" 2>&1 ||
    fail "the installed wheel does not spawn" "$tmp/run.log"
ok "wheel in a fresh venv: spawn from another directory, library $(cat "$tmp/run.log")"

# From the source directory: the build step copies the checkout's library into the package.
# --system-site-packages lends the venv this python's setuptools and wheel, which an offline
# build without isolation needs.
python3 -m venv --system-site-packages "$tmp/venv-src"
"$tmp/venv-src/bin/pip" install -q --no-index --no-build-isolation "$checkout/bindings/python" > "$tmp/pip.log" 2>&1 ||
    fail "pip install ./bindings/python" "$tmp/pip.log"
(cd "$tmp/elsewhere" && "$tmp/venv-src/bin/python" "$tmp/check.py") > "$tmp/run.log" 2>&1 ||
    fail "pip install ./bindings/python does not spawn" "$tmp/run.log"
ok "pip install ./bindings/python in a fresh venv: spawn from another directory, library $(cat "$tmp/run.log")"

echo "test-wheel: $passed passed, 0 failed"
