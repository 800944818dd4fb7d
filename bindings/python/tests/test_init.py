"""NSCore's init as PID 1: signal forwarding and zombie reaping."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from conftest import close_fd, read_all, read_line

import nscore


def spawn_with_init(spawn: Any, argv: list[str], **kwargs: Any) -> nscore.Container:
    try:
        return spawn(argv, namespaces="pid,mnt", init=True, **kwargs)
    except nscore.UnsupportedError as e:
        pytest.skip(f"init is not supported by this build: {e}")


def test_sigterm_is_forwarded_to_the_command(spawn, pipes) -> None:
    r, w = pipes()
    c = spawn_with_init(spawn, ["sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.1; done"], stdout=w)
    close_fd(w)
    assert read_line(r) == b"ready\n"
    c.terminate()
    assert c.wait(10) == 42


def test_init_is_pid_one_and_the_command_is_not(spawn, pipes) -> None:
    r, w = pipes()
    c = spawn_with_init(spawn, ["sh", "-c", "echo $$"], stdout=w)
    close_fd(w)
    assert read_all(r) != b"1\n"
    assert c.wait(10) == 0


def test_exit_status_is_the_commands(spawn) -> None:
    assert spawn_with_init(spawn, ["sh", "-c", "exit 3"]).wait(10) == 3
    c = spawn_with_init(spawn, ["sh", "-c", "kill -KILL $$"])
    assert c.wait(10) in (-signal.SIGKILL, 128 + signal.SIGKILL)


def test_zombies_are_reaped(spawn, pipes) -> None:
    r, w = pipes()
    payload = "sh -c 'sleep 0.1 &' ; sleep 0.6; cat /proc/[0-9]*/stat"
    c = spawn_with_init(spawn, ["sh", "-c", payload], stdout=w)
    close_fd(w)
    out = read_all(r).decode()
    assert c.wait(10) == 0
    states = {}
    for line in out.splitlines():
        head, _, rest = line.rpartition(")")
        states[head.split(" (", 1)[0]] = rest.split()[0]
    assert "1" in states  # init itself is listed
    assert "Z" not in states.values(), out


def states_in_pid_namespace(c: nscore.Container) -> dict[int, str]:
    """{inner pid: state letter} for the processes in c's PID namespace, read from the host."""
    states = {}
    for p in nscore.processes(c.pid):
        try:
            with open(f"/proc/{p.host_pid}/stat") as f:
                states[p.pid] = f.read().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            pass  # reaped between the listing and the read
    return states


def test_orphans_are_reaped_while_the_command_never_waits(spawn) -> None:
    # The command orphans a child, then becomes `sleep`, which never calls wait().
    payload = 'sh -c "sleep 0.1 &"; exec sleep 30'
    control = spawn(["sh", "-c", payload], namespaces="pid,mnt")
    c = spawn_with_init(spawn, ["sh", "-c", payload])
    # Control: without init, the orphan's parent is `sleep` as PID 1, so it stays a zombie.
    deadline = time.monotonic() + 5
    while "Z" not in states_in_pid_namespace(control).values():
        assert time.monotonic() < deadline, states_in_pid_namespace(control)
        time.sleep(0.02)
    # With init as PID 1 the orphan is reaped: only init and the sleeping command remain.
    deadline = time.monotonic() + 2
    while len(states := states_in_pid_namespace(c)) != 2 or "Z" in states.values():
        assert time.monotonic() < deadline, f"orphan not reaped by init: {states}"
        time.sleep(0.02)
