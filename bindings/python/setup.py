"""Build hooks of the nscore package: the wheel carries ``libnscore.so.0`` inside the package.

``pyproject.toml`` holds the metadata; this file only adds two commands:

* ``build_py`` copies the library into the built package, where ``nscore._ffi`` looks for it
  first after ``NSCORE_LIBRARY``. The library comes from the ``NSCORE_LIBRARY`` environment
  variable when it is set, else from ``build/libnscore.so.0`` of the checkout this directory sits
  in, which ``make lib`` builds when it is missing.
* ``bdist_wheel`` tags the wheel ``py3-none-manylinux_2_X_<arch>``: the package is pure Python,
  but the library in it is machine code for one architecture. The library links only libc, libm,
  libstdc++ and libgcc_s, so the wheel installs without a Swift toolchain, on any distribution
  with glibc 2.X or newer. ``wheel_tag.py`` reads X from the library's symbol versions and checks
  them against the manylinux policy; the build fails when the library does not fit it.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import warnings

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 has bdist_wheel itself; older ones take it from the wheel package,
    # which warns that its copy moved to setuptools.
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = pathlib.Path(__file__).resolve().parent
CHECKOUT = HERE.parent.parent
SONAME = "libnscore.so.0"


def library() -> pathlib.Path:
    """The library to bundle: NSCORE_LIBRARY, else the checkout's build/, built when missing."""
    explicit = os.environ.get("NSCORE_LIBRARY")
    if explicit:
        path = pathlib.Path(explicit)
        if not path.is_file():
            raise SystemExit(f"nscore: NSCORE_LIBRARY={explicit!r} is not a file")
        return path.resolve()
    built = CHECKOUT / "build" / SONAME
    if not built.is_file():
        if not (CHECKOUT / "Makefile").is_file():
            raise SystemExit(f"nscore: {built} is missing and no checkout to build it in; set NSCORE_LIBRARY")
        subprocess.run(["make", "-C", str(CHECKOUT), "lib"], check=True)
    return built.resolve()


class BuildPyWithLibrary(build_py):
    """build_py, then the library copied into the built package under its soname."""

    def run(self) -> None:
        super().run()
        target = pathlib.Path(self.build_lib) / "nscore" / SONAME
        # A copy from an earlier build in the same build directory must not stay next to
        # the one copied now.
        for old in target.parent.glob("libnscore.so*"):
            old.unlink()
        shutil.copyfile(library(), target)
        target.chmod(0o755)


class LibraryDistribution(Distribution):
    """A distribution holding machine code: installed into platlib, its wheel not "pure"."""

    def has_ext_modules(self) -> bool:
        return True


def manylinux_platform(path: pathlib.Path) -> str:
    """``manylinux_2_X_<arch>`` for the library at ``path`` (wheel_tag.py, next to this file)."""
    spec = importlib.util.spec_from_file_location("nscore_wheel_tag", HERE / "wheel_tag.py")
    assert spec is not None and spec.loader is not None
    wheel_tag = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wheel_tag)
    try:
        return str(wheel_tag.wheel_platform(path))
    except wheel_tag.PolicyError as e:
        raise SystemExit(f"nscore: cannot tag the wheel manylinux: {e}") from None


class PlatformWheel(bdist_wheel):
    """A manylinux wheel for the library's architecture, for any Python 3 (the package itself
    is ctypes)."""

    def get_tag(self) -> tuple[str, str, str]:
        return "py3", "none", manylinux_platform(library())


setup(distclass=LibraryDistribution, cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel})
