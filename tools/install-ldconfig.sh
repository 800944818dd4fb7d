#!/usr/bin/env bash
# install-ldconfig.sh LIBDIR - the last step of `make install` (without DESTDIR).
#
# When the dynamic loader searches LIBDIR (a system prefix's lib: /usr/lib, or /usr/local/lib,
# which Debian's /etc/ld.so.conf.d/libc.conf lists), runs ldconfig so that the loader's cache
# holds libnscore.so.0 and programs linked with plain `pkg-config --libs nscore` find it.
# Otherwise prints the link line that records LIBDIR in the program (nscore.pc's `rpath`).
set -eu
dir=$(realpath -m "$1")

# The directories the loader searches: those ldconfig reads from its configuration (-v lists
# them; -N -X only scan, changing nothing), and the built-in ones, which -v may not print.
searched() {
    ldconfig -v -N -X 2>/dev/null | sed -n 's/^\([^\t][^:]*\):.*/\1/p'
    printf '%s\n' /lib /usr/lib /lib64 /usr/lib64
}

while read -r d; do
    [ "$(realpath -m "$d")" = "$dir" ] || continue
    if [ "$(id -u)" = 0 ]; then
        ldconfig
        echo "install: ran ldconfig ($1 is in the loader's search path)"
    else
        echo "install: $1 is in the loader's search path; run ldconfig as root to refresh its cache"
    fi
    exit 0
done < <(searched)
echo "install: $1 is not in the loader's search path; link programs with" \
    "\$(pkg-config --variable=rpath nscore), see README.md"
