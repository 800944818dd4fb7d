"""The ctypes layer: every header function is declared, loading and its error messages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BINDINGS, REPO

import nscore
from nscore import _ffi

HEADER = REPO / "include" / "nscore.h"


def header_functions() -> set[str]:
    text = HEADER.read_text()
    return set(re.findall(r"^NSCORE_API\s+[^;(]*?\b(nscore_\w+)\s*\(", text, flags=re.M))


def test_signatures_cover_the_header() -> None:
    declared = header_functions()
    assert len(declared) > 40
    assert declared == set(_ffi.SIGNATURES)


def test_library_exports_only_the_header() -> None:
    if shutil.which("nm") is None:
        pytest.skip("nm is not installed")
    out = subprocess.run(["nm", "-D", "--defined-only", nscore.library_path], capture_output=True, text=True).stdout
    exported = {
        line.split()[-1].split("@")[0]
        for line in out.splitlines()
        if line.split()[1:2] in (["T"], ["W"], ["D"], ["B"], ["R"])
    }
    assert exported == header_functions()


def test_errcheck_is_on_every_error_returning_function() -> None:
    for name, (_restype, argtypes) in _ffi.SIGNATURES.items():
        fn = getattr(_ffi.lib, name)
        takes_err = bool(argtypes) and argtypes[-1] is _ffi._err
        assert (getattr(fn, "errcheck", None) is _ffi._raise_on_error) == takes_err, name


def test_null_arguments_give_einval_not_a_crash() -> None:
    lib = _ffi.lib
    with pytest.raises(nscore.InvalidArgumentError):
        lib.nscore_spawn_config_new(None, _ffi.new_error())
    with pytest.raises(nscore.InvalidArgumentError):
        lib.nscore_spawn_config_set_argv(None, None, _ffi.new_error())
    with pytest.raises(nscore.InvalidArgumentError):
        lib.nscore_spawn(None, None, _ffi.new_error())
    with pytest.raises(nscore.InvalidArgumentError):
        lib.nscore_container_wait(None, 0, None, _ffi.new_error())
    with pytest.raises(nscore.InvalidArgumentError):
        lib.nscore_namespace_id_at(None, None, _ffi.new_error())
    assert lib.nscore_container_pid(None) == -1
    assert lib.nscore_container_pidfd(None) == -1
    assert lib.nscore_error_code(None) == -1
    # A NULL err is allowed: the call still fails, with only the code.
    with pytest.raises(nscore.InvalidArgumentError, match="no error object"):
        lib.nscore_unshare(0x100, None)
    lib.nscore_error_free(None)
    lib.nscore_string_free(None)
    lib.nscore_container_free(None)
    lib.nscore_spawn_config_free(None)
    lib.nscore_join_config_free(None)


def run_import(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import nscore; print(nscore.library_path); print(nscore.__version__)"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def clean_env(pythonpath: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NSCORE_LIBRARY", "PYTHONPATH")}
    env["PYTHONPATH"] = str(pythonpath)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_bad_nscore_library_is_an_import_error(tmp_path) -> None:
    env = clean_env(BINDINGS)
    env["NSCORE_LIBRARY"] = str(tmp_path / "missing.so")
    result = run_import(env, tmp_path)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "NSCORE_LIBRARY" in result.stderr and "missing.so" in result.stderr


def test_library_next_to_the_package_is_found(tmp_path, library_path) -> None:
    shutil.copytree(BINDINGS / "nscore", tmp_path / "nscore", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(library_path, tmp_path / "nscore" / "libnscore.so.0")
    result = run_import(clean_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "nscore" / "libnscore.so.0"), nscore.__version__]


def test_import_error_lists_where_it_looked(tmp_path) -> None:
    import ctypes.util

    if ctypes.util.find_library("nscore"):
        pytest.skip("libnscore is installed system-wide")
    shutil.copytree(
        BINDINGS / "nscore",
        tmp_path / "a" / "b" / "nscore",
        ignore=shutil.ignore_patterns("__pycache__", "libnscore.so*"),
    )
    result = run_import(clean_env(tmp_path / "a" / "b"), tmp_path)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "Looked in" in result.stderr
    for where in ("NSCORE_LIBRARY", "package directory", "find_library", "source checkout"):
        assert where in result.stderr, result.stderr
    assert str(tmp_path / "build" / "libnscore.so") in result.stderr


def test_wrong_abi_version_is_an_import_error(tmp_path, library_path) -> None:
    shutil.copytree(BINDINGS / "nscore", tmp_path / "nscore", ignore=shutil.ignore_patterns("__pycache__"))
    ffi = tmp_path / "nscore" / "_ffi.py"
    ffi.write_text(ffi.read_text().replace("ABI_VERSION = 0", "ABI_VERSION = 99"))
    env = clean_env(tmp_path)
    env["NSCORE_LIBRARY"] = library_path
    result = run_import(env, tmp_path)
    assert result.returncode != 0
    assert "ABI version 0" in result.stderr and "need 99" in result.stderr


def test_submodules_stay_importable() -> None:
    # nscore.namespaces is also the inspection function; the module is still importable.
    from nscore.namespaces import Namespace as N

    assert N is nscore.Namespace
    assert callable(nscore.namespaces)
    assert set(nscore.__all__) <= set(dir(nscore))
