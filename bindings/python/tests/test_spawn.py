"""spawn(): exit codes, namespaces seen from outside and inside, stdio, env, cwd, lifecycle."""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
import subprocess
import time

import pytest
from conftest import ALL_KINDS, close_fd, ns_inode, pid_gone, read_line

import nscore
from nscore import Namespace


def test_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", nscore.__version__)
    major, minor, patch = (int(x) for x in nscore.__version__.split("."))
    assert nscore.version_number == major * 10000 + minor * 100 + patch
    assert nscore._ffi.lib.nscore_abi_version() == nscore._ffi.ABI_VERSION == 0


def test_true_exits_zero(spawn) -> None:
    c = spawn(["true"])
    assert c.pid > 0
    assert c.wait(30) == 0
    assert c.returncode == 0
    assert c.poll() == 0  # later calls return the same status


def test_exit_code_7(spawn) -> None:
    assert spawn(["sh", "-c", "exit 7"]).wait(30) == 7


def test_killed_by_signal_is_negative(spawn) -> None:
    c = spawn(["sleep", "30"])
    assert c.poll() is None
    c.kill()
    assert c.wait(30) == -signal.SIGKILL
    assert c.returncode == -9
    # The process killing itself gives the same convention.
    assert spawn(["sh", "-c", "kill -9 $$"]).wait(30) == -9


def test_namespaces_observed_from_outside(spawn) -> None:
    kinds = Namespace.UTS | Namespace.IPC | Namespace.NET | Namespace.MNT | Namespace.PID | Namespace.CGROUP
    c = spawn(["sleep", "30"], namespaces=kinds)
    for kind in Namespace.ALL.kinds:
        name = kind.proc_name
        if kind in kinds:
            assert ns_inode(c.pid, name) != ns_inode("self", name), f"{name} should be new"
        else:
            assert ns_inode(c.pid, name) == ns_inode("self", name), f"{name} should be shared"


def test_all_eight_with_map_root_user(spawn, capture) -> None:
    c = spawn(["sleep", "30"], namespaces=Namespace.ALL, map_root_user=True)
    for name in ALL_KINDS:
        assert ns_inode(c.pid, name) != ns_inode("self", name), f"{name} should be new"
    assert capture(["id", "-u"], namespaces=Namespace.ALL, map_root_user=True) == (0, "0\n")
    assert capture(["id", "-g"], namespaces="all", map_root_user=True) == (0, "0\n")


def test_map_root_user_implies_user_namespace(spawn) -> None:
    c = spawn(["sleep", "30"], map_root_user=True)
    assert ns_inode(c.pid, "user") != ns_inode("self", "user")
    with open(f"/proc/{c.pid}/uid_map") as f:
        assert f.read().split()[:3] == ["0", str(os.getuid()), "1"]


def test_hostname_inside(capture) -> None:
    before = socket.gethostname()
    assert capture(["hostname"], namespaces=Namespace.UTS, hostname="nscore-test") == (0, "nscore-test\n")
    assert socket.gethostname() == before


def test_domainname_inside(capture) -> None:
    code, out = capture(["cat", "/proc/sys/kernel/domainname"], namespaces="uts", domainname="nscore.example")
    assert (code, out) == (0, "nscore.example\n")


def test_pid_one_inside(capture) -> None:
    assert capture(["sh", "-c", "echo $$"], namespaces="pid,mnt") == (0, "1\n")


def test_mount_proc(capture, spawn) -> None:
    # AUTO (the default) mounts a fresh /proc when PID and mount namespaces are both new.
    assert capture(["readlink", "/proc/self"], namespaces="pid,mnt") == (0, "1\n")
    assert capture(["readlink", "/proc/self"], namespaces="pid,mnt", mount_proc=True) == (0, "1\n")
    # Without it, /proc is the host's, where the process has its host pid.
    code, out = capture(["sh", "-c", "echo $$; readlink /proc/self"], namespaces="pid,mnt", mount_proc=False)
    assert code == 0
    inner, proc_self = out.split()
    assert inner == "1" and int(proc_self) > 1


def test_network_inside_has_only_loopback(capture) -> None:
    # /proc/net follows the reading process's network namespace.
    code, out = capture(["cat", "/proc/net/dev"], namespaces="net")
    assert code == 0
    devices = [line.split(":")[0].strip() for line in out.splitlines()[2:]]
    assert devices == ["lo"]
    # sysfs shows the network namespace of whoever mounted it: remount it inside.
    code, out = capture(["sh", "-c", "mount -t sysfs sysfs /sys && ls /sys/class/net"], namespaces="net,mnt")
    assert (code, out) == (0, "lo\n")


def test_env_cwd_executable(capture, tmp_path) -> None:
    env = {"NSCORE_TEST_VAR": "bar baz", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    code, out = capture(["sh", "-c", 'echo "$NSCORE_TEST_VAR"; pwd; env | wc -l'], env=env, cwd=tmp_path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "bar baz"
    assert lines[1] == str(tmp_path)
    assert int(lines[2]) <= 4  # only what we passed (sh may add PWD, SHLVL, _)
    # "NAME=value" strings work too, and bytes paths.
    assert capture([b"sh", "-c", "echo $A"], env=["A=1", "PATH=/usr/bin:/bin"]) == (0, "1\n")
    # executable replaces the PATH lookup of argv[0], which stays what the program sees.
    assert capture(["custom-argv0", "-c", "echo $0"], executable="/bin/sh") == (0, "custom-argv0\n")


def test_env_inherited_by_default(capture, monkeypatch) -> None:
    monkeypatch.setenv("NSCORE_INHERITED", "yes")
    assert capture(["sh", "-c", "echo $NSCORE_INHERITED"]) == (0, "yes\n")


def test_stdio_sources(capture, pipes, spawn, tmp_path) -> None:
    # DEVNULL on stdin: cat reads EOF at once.
    assert capture(["cat"], stdin=nscore.DEVNULL) == (0, "")
    # A pipe on stdin.
    r, w = pipes()
    os.write(w, b"hello through a pipe\n")
    close_fd(w)
    assert capture(["cat"], stdin=r) == (0, "hello through a pipe\n")
    # A file object on stdout and stderr; the caller keeps its descriptors.
    path = tmp_path / "out.txt"
    with open(path, "wb") as f:
        c = spawn(["sh", "-c", "echo out; echo err >&2"], stdout=f, stderr=f)
        assert c.wait(30) == 0
        assert not f.closed
    assert sorted(path.read_text().split()) == ["err", "out"]


def test_root_propagation(spawn) -> None:
    def optional_fields(pid: int) -> dict[str, str]:
        # mount point -> optional fields ("shared:N", "master:N", "" for private)
        with open(f"/proc/{pid}/mountinfo") as f:
            return {line.split()[4]: " ".join(line.split(" - ")[0].split()[6:]) for line in f}

    def kinds(fields: dict[str, str]) -> dict[str, str]:
        return {point: f.split(":")[0] for point, f in fields.items()}

    c = spawn(["sleep", "30"], namespaces="mnt")  # default: private
    assert all(fields == "" for fields in optional_fields(c.pid).values())
    shared = spawn(["sleep", "30"], namespaces="mnt", root_propagation="shared")
    assert all(fields.startswith("shared:") for fields in optional_fields(shared.pid).values())
    unchanged = spawn(["sleep", "30"], namespaces="mnt", root_propagation=None)
    mine = kinds(optional_fields(os.getpid()))
    theirs = kinds(optional_fields(unchanged.pid))
    assert {p: mine[p] for p in mine if p in theirs} == {p: theirs[p] for p in mine if p in theirs}


def test_wait_timeout_raises_and_stop_kills(spawn, pipes) -> None:
    c = spawn(["sleep", "30"])
    start = time.monotonic()
    with pytest.raises(nscore.TimeoutExpired) as info:
        c.wait(0.2)
    assert info.value.timeout == 0.2
    assert 0.15 <= time.monotonic() - start < 5
    with pytest.raises(subprocess.TimeoutExpired):
        c.wait(0)
    assert c.poll() is None
    assert c.returncode is None
    with pytest.raises(nscore.InvalidArgumentError):
        c.stop(timeout=-1)
    assert c.stop(timeout=5) == -signal.SIGTERM
    assert pid_gone(c.pid)

    # A command that handles SIGTERM and goes on is killed after the timeout.
    r, w = pipes()
    c = spawn(["sh", "-c", "trap 'echo term' TERM; echo ready; while :; do sleep 0.1; done"], namespaces="pid", stdout=w)
    close_fd(w)
    assert read_line(r) == b"ready\n"
    start = time.monotonic()
    assert c.stop(timeout=0.3) == -signal.SIGKILL
    assert time.monotonic() - start >= 0.25
    assert c.stop() == -9  # later calls return the same status

    # One that ignores SIGTERM (the kernel would drop it) is killed at once.
    r, w = pipes()
    c = spawn(["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"], namespaces="pid", stdout=w)
    close_fd(w)
    assert read_line(r) == b"ready\n"
    start = time.monotonic()
    assert c.stop(timeout=5) == -signal.SIGKILL
    assert time.monotonic() - start < 2


def test_context_manager_stops_and_reaps() -> None:
    with nscore.spawn(["sleep", "30"]) as c:
        pid = c.pid
        assert os.path.exists(f"/proc/{pid}")
        assert c.pidfd >= 0
    assert c.returncode == -signal.SIGTERM
    assert c.closed and c.pidfd == -1
    assert pid_gone(pid, timeout=0)  # reaped, not a zombie
    c.close()  # idempotent
    assert c.wait() == c.poll() == -signal.SIGTERM  # the status outlives the handle
    assert "returncode=-15" in repr(c)


def test_close_kills_a_running_process() -> None:
    c = nscore.spawn(["sleep", "30"])
    pid = c.pid
    c.close()
    assert pid_gone(pid, timeout=0)
    assert c.pid == pid


def test_detach_lets_the_process_outlive_the_handle() -> None:
    c = nscore.spawn(["sleep", "30"])
    pid = c.pid
    try:
        c.detach()
        assert c.detached and c.pidfd == -1
        c.close()
        assert os.path.exists(f"/proc/{pid}")
        with pytest.raises(ValueError, match="closed"):
            c.wait(0)
        with open(f"/proc/{pid}/stat") as f:
            assert f.read().rsplit(")", 1)[1].split()[0] != "Z"
    finally:
        os.kill(pid, signal.SIGKILL)
        # Still our child: reap it ourselves.
        assert os.waitpid(pid, 0)[0] == pid


def test_signals_and_repr(spawn) -> None:
    c = spawn(["sleep", "30"])
    assert f"pid={c.pid}" in repr(c) and "running" in repr(c)
    assert c.args == [b"sleep", b"30"]
    c.send_signal(0)  # probe: still running
    c.terminate()
    assert c.wait(30) == -signal.SIGTERM
    c.kill()  # after the end: nothing, like subprocess.Popen
    c.send_signal(signal.SIGUSR1)


def test_wait_from_one_thread_signal_from_another(spawn) -> None:
    c = spawn(["sleep", "30"])
    result: list[int | None] = []
    waiter = threading.Thread(target=lambda: result.append(c.wait(30)))
    waiter.start()
    time.sleep(0.2)
    c.terminate()
    waiter.join(30)
    assert result == [-signal.SIGTERM]


def test_close_from_another_thread_while_waiting() -> None:
    c = nscore.spawn(["sleep", "30"])
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            c.wait()
        except BaseException as e:  # noqa: BLE001 - recorded for the assertion
            errors.append(e)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.2)
    c.close()
    waiter.join(10)
    assert not waiter.is_alive()
    # close() kills and reaps: the waiter sees the status, or (if it was between two slices
    # of its wait when the handle went) the closed handle.
    assert not errors or isinstance(errors[0], ValueError)
    assert c.returncode == -signal.SIGKILL
    assert pid_gone(c.pid, timeout=0)


def test_kill_on_parent_death_follows_the_spawning_thread(containers) -> None:
    made: list[nscore.Container] = []
    t = threading.Thread(
        target=lambda: made.append(containers(nscore.spawn(["sleep", "30"], kill_on_parent_death=True)))
    )
    t.start()
    t.join(30)
    assert made[0].wait(10) == -signal.SIGKILL


def test_path_like_and_bytes_arguments(capture, tmp_path) -> None:
    script = tmp_path / "script.sh"
    script.write_text('#!/bin/sh\necho from-script "$1"\n')
    script.chmod(0o755)
    assert capture([script, b"arg"]) == (0, "from-script arg\n")


class Interrupted(Exception):
    pass


def test_python_signal_handlers_run_during_wait(spawn) -> None:
    # A long wait() must not block signal handlers (Ctrl-C) until the process ends.
    def handler(signum: int, frame: object) -> None:
        raise Interrupted

    c = spawn(["sleep", "30"])
    previous = signal.signal(signal.SIGUSR1, handler)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        timer.start()
        start = time.monotonic()
        with pytest.raises(Interrupted):
            c.wait()
        assert time.monotonic() - start < 2
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
    assert c.poll() is None  # the wait was interrupted, the process was not
