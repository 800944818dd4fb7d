#!/usr/bin/env bash
# The Python package as a new user installs it, with no index (nothing is downloaded):
#   1. `make wheel`, installed into a fresh venv, imported from another directory;
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
case "$whl" in
    *-py3-none-linux_*.whl) ok "make wheel: $(basename "$whl")" ;;
    *) fail "make wheel gave $whl, not a py3-none-linux_* wheel" ;;
esac
# The bundled library needs no Swift runtime, only what every glibc system has.
python3 -m zipfile -e "$whl" "$tmp/unzipped"
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
