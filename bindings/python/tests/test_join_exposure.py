"""A join never exposes the host to the container it joins (runc's CVE-2016-9962 class).

The same attack as tests-c/test_join_exposure.c, with the host in Python: a container's PID 1
(tests-c/helpers/watcher.c) predicts each new pid of its PID namespace and tries
/proc/PID/{maps,mem,environ,cmdline}, ptrace(PTRACE_SEIZE) and pidfd_getfd(2) on it until it has
become the joined command (a static program that opens nothing). The host, a Python process with
a secret in its environment and a host fd open, joins the container thousands of times by pid
and by namespace paths. As root the container has no user namespace (its root has
CAP_SYS_PTRACE over the host's user namespace); as uid 65534 it maps root to the caller.

NSCORE_EXPOSURE_JOINS sets the number of joins per run (default 5000, half by pid, half by path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO

NOBODY = 65534
JOINS = int(os.environ.get("NSCORE_EXPOSURE_JOINS", "5000"))

HOST = textwrap.dedent(
    """
    import os, sys, tempfile
    import nscore
    from nscore import Namespace

    watcher, noop, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    secret = os.environ["NSCORE_EXPOSURE_SECRET"]
    work = tempfile.mkdtemp(prefix="nscore-exposure-")
    os.chmod(work, 0o777)  # the container's root may be an unmapped uid
    result, stop = os.path.join(work, "result"), os.path.join(work, "stop")
    host_fd = os.open("/proc/self/status", os.O_RDONLY)  # no joined command may get it

    r, w = os.pipe()
    watch = nscore.spawn([watcher, result, stop, "libnscore", secret, noop],
                         namespaces=Namespace.PID | Namespace.MNT | Namespace.IPC | Namespace.UTS,
                         map_root_user=os.getuid() != 0, stdout=w)
    os.close(w)
    try:
        assert os.read(r, 16).startswith(b"ready"), "the watcher did not start"
        kinds = ["user", "pid", "mnt", "ipc", "uts"]
        paths = {k: f"/proc/{watch.pid}/ns/{k}" for k in kinds
                 if os.readlink(f"/proc/{watch.pid}/ns/{k}") != os.readlink(f"/proc/self/ns/{k}")}
        joined = 0
        for target, count in ((watch.pid, n // 2), (paths, n - n // 2)):
            for _ in range(count):
                with nscore.join(target, [noop], env=["PATH=/usr/bin:/bin"]) as j:
                    code = j.wait(30)
                assert code == 0, f"join {joined}: the command ended with {code}"
                joined += 1
        open(stop, "w").close()
        assert watch.wait(60) == 0, "the watcher failed"
        print(f"joined {joined}")
        print(open(result).read(), end="")
    finally:
        watch.close()
        for f in (result, stop):
            if os.path.exists(f):
                os.unlink(f)
        os.rmdir(work)
    """
)


@pytest.fixture
def helpers(world_readable_copy: Path) -> Path:
    """The watcher and the static noop, built where uid 65534 can run them."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    out = world_readable_copy / "helpers"
    out.mkdir()
    out.chmod(0o755)
    src = REPO / "tests-c" / "helpers"
    subprocess.run(["gcc", "-O2", "-o", str(out / "watcher"), str(src / "watcher.c")], check=True)
    subprocess.run(["gcc", "-O2", "-static", "-o", str(out / "noop"), str(src / "noop.c")], check=True)
    for f in out.iterdir():
        f.chmod(0o755)
    return out


def attack(helpers: Path, copy: Path, as_user: int | None) -> dict[str, int]:
    """Runs HOST (as root, or as `as_user` through setpriv); returns the watcher's counters."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NSCORE_LIBRARY": str(copy / "libnscore.so"),
        "PYTHONPATH": str(copy),
        "PYTHONDONTWRITEBYTECODE": "1",
        # In the environment this host was exec'd with: what /proc/PID/environ shows of a
        # process sharing its memory.
        "NSCORE_EXPOSURE_SECRET": "host-secret-" + os.urandom(8).hex(),
    }
    argv = [sys.executable, "-c", HOST, str(helpers / "watcher"), str(helpers / "noop"), str(JOINS)]
    if as_user is not None:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is not installed")
        argv = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups"] + argv
    result = subprocess.run(argv, env=env, cwd="/", capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)
    counters = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        if value.isdigit():
            counters[key] = int(value)
    assert counters.get("joined") == JOINS, result.stdout
    return counters


def check(counters: dict[str, int], *, root: bool) -> None:
    # The watcher was watching: it caught a good share of the joining processes and read their
    # maps; as root it also read some before their exec (in nscore-init's image). In a user
    # namespace it cannot: a process that is not dumpable is out of its reach until the exec.
    assert counters["seen"] >= JOINS // 10, counters
    assert counters["maps"] > 0, counters
    if root:
        assert counters["preexec"] > 0, counters
    # And it never reached the host: its maps, memory, environment, a ptrace attach to a
    # process with its maps, or any fd but the command's stdio.
    for key in ("maps_host", "mem_host", "secret", "seize_host", "getfd", "fd_listed"):
        assert counters[key] == 0, (key, counters)


def test_join_exposes_nothing_to_a_root_container(helpers: Path, world_readable_copy: Path) -> None:
    check(attack(helpers, world_readable_copy, None), root=True)


def test_rootless_join_exposes_nothing_to_a_rootless_container(helpers: Path, world_readable_copy: Path) -> None:
    check(attack(helpers, world_readable_copy, NOBODY), root=False)
