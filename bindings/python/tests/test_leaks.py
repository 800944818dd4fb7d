"""Nothing leaks: fds, children (zombies or running), mounts, across failing and good spawns."""

from __future__ import annotations

import os

import pytest
from conftest import mountinfo

import nscore


def open_fds() -> list[str]:
    return sorted(os.listdir("/proc/self/fd"))


def assert_no_children() -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


FAILING = [
    (["nscore-no-such-command-xyz"], {}),
    ([], {}),
    (["true"], {"namespaces": "uts", "hostname": "x" * 65}),
    (["true"], {"namespaces": "pid,mnt,net", "cwd": "/nonexistent/nscore-dir"}),
    (["true"], {"stdout": 9999}),
]


def test_no_leaks_after_failing_and_good_spawns() -> None:
    # Warm up once so that lazily opened library resources are not counted as leaks.
    with nscore.spawn(["true"], namespaces="pid,mnt") as c:
        c.wait(30)
    fds, mounts = open_fds(), len(mountinfo())
    assert_no_children()

    for i in range(50):
        argv, kwargs = FAILING[i % len(FAILING)]
        with pytest.raises(nscore.NSCoreError):
            nscore.spawn(argv, **kwargs)
    for i in range(50):
        namespaces = ["uts,ipc,net", "pid,mnt", "all"][i % 3]
        rootless = namespaces == "all"
        with nscore.spawn(["true"], namespaces=namespaces, map_root_user=rootless, stdout=nscore.DEVNULL) as c:
            assert c.wait(30) == 0

    assert open_fds() == fds
    assert len(mountinfo()) == mounts
    assert_no_children()


def test_no_leaks_after_join_and_kill() -> None:
    with nscore.spawn(["sleep", "60"], namespaces="pid,mnt,net,uts") as target:
        target.poll()
        # Warm up once: the first join opens the library's init image (a memfd it keeps).
        with nscore.join(target.pid, ["true"]) as j:
            assert j.wait(30) == 0
        fds = open_fds()
        for _ in range(20):
            with nscore.join(target.pid, ["true"]) as j:
                assert j.wait(30) == 0
            with pytest.raises(nscore.NotFoundError):
                nscore.join(target.pid, ["nscore-no-such-command-xyz"])
        for _ in range(10):
            c = nscore.spawn(["sleep", "60"], namespaces="pid")
            c.close()  # kills and reaps
        assert open_fds() == fds
        # sleep as PID 1 of its namespace ignores SIGTERM (no handler): kill it, don't stop().
        target.kill()
        assert target.wait(10) == -9
    assert_no_children()
