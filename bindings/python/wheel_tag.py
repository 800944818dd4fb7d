"""The manylinux platform tag (PEP 600) of a wheel that carries libnscore.so.0, read from the library.

``manylinux_2_X_<arch>`` promises that the wheel runs on any distribution with glibc 2.X or
newer; pip on such a system accepts it from an index. The tag follows the library rather than
being written down: the ELF file's version needs (``.gnu.version_r``, what ``readelf -V``
lists) give the newest ``GLIBC_2.X`` it needs from libc, libm and the dynamic loader, and the
``GLIBCXX_*``/``CXXABI_*`` (libstdc++) and ``GCC_*`` (libgcc_s) versions it needs. Those two
libraries are on the manylinux list of libraries a wheel may link against, but each manylinux
level caps their symbol versions at what its reference distribution ships (:data:`LEVELS`); the
tag is the lowest level whose glibc covers the library's and whose caps cover the rest.

Also checked: the library links nothing outside the system libraries of that list
(``DT_NEEDED``), needs no ``GLIBC_PRIVATE`` symbol, and imports none of the libc symbols the
policy forbids at every level.

Run as a script, it prints the tag: ``python3 wheel_tag.py [--explain] build/libnscore.so.0``
(``--explain`` writes what was found and why to stderr). ``setup.py`` calls :func:`wheel_platform`.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

Version = tuple[int, ...]

#: Per architecture (ELF ``e_machine``), per manylinux level (the glibc minor version X of
#: ``manylinux_2_X``): the newest GLIBCXX, CXXABI and GCC symbol versions a wheel may need.
#: The numbers are those of the manylinux policy that auditwheel enforces (its
#: ``manylinux-policy.json``), i.e. the libstdc++ and libgcc_s of each level's reference
#: distribution (CentOS 7 for 2_17, Debian 9 for 2_24, AlmaLinux 8 for 2_28, Ubuntu 20.04 for
#: 2_31, AlmaLinux 9 for 2_34, Ubuntu 22.04 for 2_35, ...). Levels below 2_17 are left out: pip
#: releases older than manylinux2014 support (19.3) are not a target.
LEVELS: dict[str, list[tuple[int, Version, Version, Version]]] = {
    "x86_64": [
        (17, (3, 4, 19), (1, 3, 7), (4, 8, 0)),
        (24, (3, 4, 22), (1, 3, 10), (4, 8, 0)),
        (26, (3, 4, 22), (1, 3, 10), (4, 8, 0)),
        (27, (3, 4, 24), (1, 3, 11), (7, 0, 0)),
        (28, (3, 4, 24), (1, 3, 11), (7, 0, 0)),
        (31, (3, 4, 28), (1, 3, 12), (7, 0, 0)),
        (34, (3, 4, 29), (1, 3, 13), (7, 0, 0)),
        (35, (3, 4, 30), (1, 3, 13), (12, 0, 0)),
        (36, (3, 4, 30), (1, 3, 13), (12, 0, 0)),
        (37, (3, 4, 30), (1, 3, 13), (12, 0, 0)),
        (38, (3, 4, 30), (1, 3, 13), (12, 0, 0)),
        (39, (3, 4, 33), (1, 3, 15), (14, 0, 0)),
        (40, (3, 4, 33), (1, 3, 15), (14, 0, 0)),
        (41, (3, 4, 33), (1, 3, 15), (14, 0, 0)),
    ],
    "aarch64": [
        (17, (3, 4, 19), (1, 3, 7), (4, 7, 0)),
        (24, (3, 4, 22), (1, 3, 10), (4, 7, 0)),
        (26, (3, 4, 24), (1, 3, 11), (7, 0, 0)),
        (27, (3, 4, 24), (1, 3, 11), (7, 0, 0)),
        (28, (3, 4, 24), (1, 3, 11), (7, 0, 0)),
        (31, (3, 4, 28), (1, 3, 12), (7, 0, 0)),
        (34, (3, 4, 29), (1, 3, 13), (11, 0)),
        (35, (3, 4, 30), (1, 3, 13), (11, 0)),
        (36, (3, 4, 30), (1, 3, 13), (11, 0)),
        (37, (3, 4, 30), (1, 3, 13), (11, 0)),
        (38, (3, 4, 30), (1, 3, 13), (11, 0)),
        (39, (3, 4, 33), (1, 3, 15), (14, 0, 0)),
        (40, (3, 4, 33), (1, 3, 15), (14, 0, 0)),
        (41, (3, 4, 33), (1, 3, 15), (14, 0, 0)),
    ],
}

#: Named (not numbered) CXXABI versions and the first level that allows each, per architecture.
NAMED_CXXABI: dict[str, dict[str, int]] = {
    "x86_64": {"TM_1": 17, "FLOAT128": 24},
    "aarch64": {"TM_1": 17},
}

#: ELF e_machine numbers of the architectures above.
MACHINES = {62: "x86_64", 183: "aarch64"}

#: The policy's libraries that every glibc system has; the dynamic loader (``ld-linux*``) too.
SYSTEM_LIBRARIES = {
    "libc.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libpthread.so.0", "libresolv.so.2",
    "libutil.so.1", "libanl.so.1", "libnsl.so.1", "libstdc++.so.6", "libgcc_s.so.1",
}

#: libc and libm symbols the policy forbids at every level (glibc internals that happen to be
#: exported, and functions whose behaviour changed).
FORBIDDEN_SYMBOLS = {
    "__cxa_thread_atexit_impl", "__issignaling", "__issignalingf", "__issignalingl",
    "pthread_getattr_default_np", "pthread_setattr_default_np",
}

_SHT_DYNAMIC, _SHT_DYNSYM, _SHT_GNU_VERNEED = 6, 11, 0x6FFFFFFE
_DT_NEEDED = 1


class PolicyError(Exception):
    """The library cannot be tagged manylinux (the message says why)."""


class ElfNeeds:
    """What a 64-bit little-endian ELF shared library needs from others: ``needed`` (its
    DT_NEEDED sonames), ``versions`` (soname -> the symbol versions it needs from it) and
    ``imports`` (its undefined dynamic symbols), and its ``machine``."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise PolicyError(f"{path}: not a 64-bit little-endian ELF file")
        (machine,) = struct.unpack_from("<H", data, 18)
        (shoff,) = struct.unpack_from("<Q", data, 40)
        shentsize, shnum = struct.unpack_from("<HH", data, 58)
        # (type, offset, size, link, info) of every section header.
        sections = []
        for i in range(shnum):
            header = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
            sections.append(header[1:2] + header[4:8])

        def string(table: int, at: int) -> str:
            start = sections[table][1] + at
            return data[start : data.index(b"\0", start)].decode()

        self.machine = MACHINES.get(machine, f"e_machine {machine}")
        self.needed: list[str] = []
        self.versions: dict[str, set[str]] = {}
        self.imports: set[str] = set()
        for kind, offset, size, link, info in sections:
            if kind == _SHT_DYNAMIC:
                for at in range(offset, offset + size, 16):
                    tag, value = struct.unpack_from("<qQ", data, at)
                    if tag == _DT_NEEDED:
                        self.needed.append(string(link, value))
            elif kind == _SHT_DYNSYM:
                for at in range(offset, offset + size, 24):
                    name, _, _, shndx, _, _ = struct.unpack_from("<IBBHQQ", data, at)
                    if shndx == 0 and name:
                        self.imports.add(string(link, name))
            elif kind == _SHT_GNU_VERNEED:
                # sh_info Verneed entries, one per library, each with a chain of Vernaux
                # entries, one per version needed from it.
                at = offset
                for _ in range(info):
                    _, count, file, aux, next_need = struct.unpack_from("<HHIII", data, at)
                    names = self.versions.setdefault(string(link, file), set())
                    item = at + aux
                    for _ in range(count):
                        _, _, _, name, next_aux = struct.unpack_from("<IHHII", data, item)
                        names.add(string(link, name))
                        item += next_aux
                    at += next_need


def _numbers(text: str) -> Version | None:
    parts = text.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def _show(version: Version) -> str:
    return ".".join(map(str, version))


def manylinux_level(path: Path, explain: bool = False) -> tuple[str, int]:
    """(architecture, X) of the lowest ``manylinux_2_X`` level the library at ``path`` fits.

    :raises PolicyError: a library outside the policy's list, a ``GLIBC_PRIVATE`` or other
        unknown symbol version, a forbidden symbol, or needs no level covers.
    """
    elf = ElfNeeds(path)
    if elf.machine not in LEVELS:
        raise PolicyError(f"{path}: no manylinux policy known here for {elf.machine}")
    outside = [n for n in elf.needed if n not in SYSTEM_LIBRARIES and not n.startswith("ld-linux")]
    if outside:
        raise PolicyError(f"{path} links {', '.join(outside)}, not on the manylinux list of system libraries")
    forbidden = sorted(elf.imports & FORBIDDEN_SYMBOLS)
    if forbidden:
        raise PolicyError(f"{path} imports {', '.join(forbidden)}, which no manylinux level allows")

    # The newest numbered version the library needs under each prefix, and the named ones.
    newest: dict[str, Version] = {"GLIBC": (2, 17), "GLIBCXX": (3, 4), "CXXABI": (1, 3), "GCC": (3, 0)}
    named_cxxabi: set[str] = set()
    for soname, names in sorted(elf.versions.items()):
        for name in sorted(names):
            prefix, _, number = name.partition("_")
            version = _numbers(number)
            if prefix == "CXXABI" and version is None:
                named_cxxabi.add(number)
            elif prefix not in newest or version is None:
                raise PolicyError(f"{path} needs {name} from {soname}, outside the manylinux policy")
            elif version > newest[prefix]:
                newest[prefix] = version
    glibc = newest["GLIBC"]
    if glibc[0] != 2 or len(glibc) < 2:
        raise PolicyError(f"{path} needs GLIBC_{_show(glibc)}, not a glibc 2 version")
    if explain:
        found = ", ".join(f"{k}_{_show(v)}" for k, v in newest.items())
        print(f"{path.name}: {elf.machine}, needs {' '.join(elf.needed)}; newest versions: {found}", file=sys.stderr)
    for level, glibcxx, cxxabi, gcc in LEVELS[elf.machine]:
        allowed_named = {n for n, first in NAMED_CXXABI[elf.machine].items() if first <= level}
        if (
            level >= glibc[1]
            and newest["GLIBCXX"] <= glibcxx
            and newest["CXXABI"] <= cxxabi
            and newest["GCC"] <= gcc
            and named_cxxabi <= allowed_named
        ):
            if explain:
                print(
                    f"manylinux_2_{level}: glibc 2.{level} >= {_show(glibc)}, caps GLIBCXX_{_show(glibcxx)} "
                    f"CXXABI_{_show(cxxabi)} GCC_{_show(gcc)} cover the library's",
                    file=sys.stderr,
                )
            return elf.machine, level
    raise PolicyError(
        f"{path}: no manylinux level allows GLIBC_{_show(glibc)} with GLIBCXX_{_show(newest['GLIBCXX'])}, "
        f"CXXABI_{_show(newest['CXXABI'])} and GCC_{_show(newest['GCC'])}"
    )


def wheel_platform(path: Path, explain: bool = False) -> str:
    """The wheel platform tag for the library at ``path``: ``manylinux_2_X_<arch>``."""
    arch, level = manylinux_level(path, explain)
    return f"manylinux_2_{level}_{arch}"


def main(argv: list[str]) -> int:
    explain = "--explain" in argv
    paths = [a for a in argv if a != "--explain"]
    if len(paths) != 1:
        print("usage: wheel_tag.py [--explain] LIBRARY", file=sys.stderr)
        return 2
    try:
        print(wheel_platform(Path(paths[0]), explain))
    except (PolicyError, OSError) as e:
        print(f"wheel_tag: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
