"""Shared fixtures for the nscore tests.

The tests run as root on a real kernel and check namespaces from the outside (/proc/PID/ns,
mountinfo) and from the inside (a command's output through a pipe). Every fixture cleans up on
failure too: containers are closed (killed and reaped), helper processes are killed and waited
for, fds are closed.

Run with ``NSCORE_LIBRARY=/path/to/libnscore.so python3 -m pytest -q bindings/python/tests``.
"""

from __future__ import annotations

import faulthandler
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

BINDINGS = Path(__file__).resolve().parents[1]
REPO = BINDINGS.parents[1]
if str(BINDINGS) not in sys.path:
    sys.path.insert(0, str(BINDINGS))

import nscore  # noqa: E402

#: Seconds a single test may take before SIGALRM fails it; 30 s later faulthandler dumps every
#: thread's stack and exits, for a hang stuck inside C.
TEST_TIMEOUT = int(os.environ.get("NSCORE_TEST_TIMEOUT", "120"))


class TestTimeout(Exception):
    """Raised in the main thread by the per-test alarm."""


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise TestTimeout(f"test exceeded {TEST_TIMEOUT} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIMEOUT)
    faulthandler.dump_traceback_later(TEST_TIMEOUT + 30, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pytest_configure(config: pytest.Config) -> None:
    if os.geteuid() != 0:
        raise pytest.UsageError("the nscore tests need root (they create every kind of namespace)")


# ---- Helpers -------------------------------------------------------------------------------


def ns_inode(pid: int | str, kind: str) -> int:
    """The inode of /proc/PID/ns/KIND (PID may be "self")."""
    return os.stat(f"/proc/{pid}/ns/{kind}").st_ino


ALL_KINDS = ["uts", "ipc", "pid", "net", "mnt", "user", "cgroup", "time"]


def read_all(fd: int, timeout: float = 30.0) -> bytes:
    """Reads fd until EOF, failing the test if that takes longer than timeout seconds."""
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no EOF on fd {fd} within {timeout} s; read so far: {b''.join(chunks)!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        data = os.read(fd, 65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def read_line(fd: int, timeout: float = 30.0) -> bytes:
    """Reads one line (byte by byte, so nothing after it is consumed)."""
    out = bytearray()
    deadline = time.monotonic() + timeout
    while not out.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no line on fd {fd} within {timeout} s; read so far: {bytes(out)!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            byte = os.read(fd, 1)
            if not byte:
                raise AssertionError(f"EOF on fd {fd} before a full line; read {bytes(out)!r}")
            out += byte
    return bytes(out)


def pid_gone(pid: int, timeout: float = 5.0) -> bool:
    """True once /proc/PID is gone (the process exited and was reaped)."""
    deadline = time.monotonic() + timeout
    while os.path.exists(f"/proc/{pid}"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def mountinfo() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return f.read().splitlines()


# ---- Fixtures ------------------------------------------------------------------------------


@pytest.fixture
def containers() -> Iterator[Callable[[nscore.Container], nscore.Container]]:
    """track(container) registers a container to be closed (killed, reaped) after the test."""
    made: list[nscore.Container] = []

    def track(c: nscore.Container) -> nscore.Container:
        made.append(c)
        return c

    yield track
    for c in reversed(made):
        c.close()


@pytest.fixture
def spawn(containers: Callable[[nscore.Container], nscore.Container]) -> Callable[..., nscore.Container]:
    """nscore.spawn whose containers are closed after the test."""

    def _spawn(argv: Any, **kwargs: Any) -> nscore.Container:
        return containers(nscore.spawn(argv, **kwargs))

    return _spawn


@pytest.fixture
def join(containers: Callable[[nscore.Container], nscore.Container]) -> Callable[..., nscore.Container]:
    """nscore.join whose containers are closed after the test."""

    def _join(target: Any, argv: Any, **kwargs: Any) -> nscore.Container:
        return containers(nscore.join(target, argv, **kwargs))

    return _join


@pytest.fixture
def pipes() -> Iterator[Callable[[], tuple[int, int]]]:
    """make() returns a fresh (read, write) pipe; every end still open is closed afterwards."""
    fds: list[int] = []

    def make() -> tuple[int, int]:
        r, w = os.pipe()
        fds.extend((r, w))
        return r, w

    yield make
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def close_fd(fd: int) -> None:
    """Closes an fd that a fixture may also close later (ignores EBADF)."""
    try:
        os.close(fd)
    except OSError:
        pass


@pytest.fixture
def capture(pipes: Callable[[], tuple[int, int]], containers: Any) -> Callable[..., tuple[int | None, str]]:
    """capture(argv, join=target?, **kw) -> (returncode, stdout) for a command run to its end."""

    def _capture(argv: Any, *, join: Any = None, timeout: float = 30.0, **kwargs: Any) -> tuple[int | None, str]:
        r, w = pipes()
        try:
            if join is None:
                c = containers(nscore.spawn(argv, stdout=w, **kwargs))
            else:
                c = containers(nscore.join(join, argv, stdout=w, **kwargs))
        finally:
            close_fd(w)
        out = read_all(r, timeout)
        code = c.wait(timeout)
        return code, out.decode("utf-8", "replace")

    return _capture


@pytest.fixture
def popen() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """popen(argv, **kw): a helper process that is killed and waited for after the test."""
    made: list[subprocess.Popen[bytes]] = []

    def _popen(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        p = subprocess.Popen(argv, **kwargs)
        made.append(p)
        return p

    yield _popen
    for p in made:
        if p.poll() is None:
            p.kill()
        p.wait()


@pytest.fixture(scope="session")
def library_path() -> str:
    """The absolute path of the library under test (for subprocesses)."""
    return os.path.realpath(nscore.library_path)


@pytest.fixture
def child_env(library_path: str) -> dict[str, str]:
    """Environment for `python3 -c` subprocesses that import this checkout's nscore."""
    env = dict(os.environ)
    env["NSCORE_LIBRARY"] = library_path
    env["PYTHONPATH"] = str(BINDINGS) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


@pytest.fixture
def world_readable_copy(tmp_path_factory, library_path) -> Path:
    """The package and library copied where uid 65534 can read them."""
    root = tmp_path_factory.mktemp("rootless")
    root.chmod(0o755)
    shutil.copytree(BINDINGS / "nscore", root / "nscore", ignore=shutil.ignore_patterns("__pycache__", "libnscore.so*"))
    shutil.copy(library_path, root / "libnscore.so")
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() or path.suffix == ".so" else 0o644)
    # tmp_path_factory's base directory is 0700; open the path down to the copy.
    for parent in root.parents:
        if parent == Path("/tmp") or parent == Path("/"):
            break
        parent.chmod(parent.stat().st_mode | 0o005)
    return root


#: The unprivileged uid the rootless tests run as (setpriv).
NOBODY = 65534


def children() -> set[int]:
    """The pids of this process's children (every thread's), zombies included."""
    out: set[int] = set()
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children") as f:
                out.update(int(pid) for pid in f.read().split())
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return out


def run_as_nobody(copy: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python3 -c SCRIPT ARGS` as uid NOBODY (setpriv), importing nscore from `copy` (the
    world_readable_copy fixture); skips the test when setpriv is missing."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NSCORE_LIBRARY": str(copy / "libnscore.so"),
        "PYTHONPATH": str(copy),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable, "-c", script, *args],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_refused(cls: type[BaseException], needle: str, **kwargs: Any) -> None:
    """nscore.spawn(["true"], **kwargs) raises `cls` with `needle` in its message (an
    InvalidArgumentError that is a ValueError, with its code and stage) and starts nothing."""
    before = children()
    with pytest.raises(cls) as info:
        nscore.spawn(["true"], **kwargs)
    assert needle in str(info.value), str(info.value)
    if issubclass(cls, nscore.InvalidArgumentError):
        e = info.value
        assert isinstance(e, ValueError) and type(e) is nscore.InvalidArgumentError
        assert e.code == nscore.ErrorCode.INVALID_ARGUMENT and e.stage
    assert children() == before
