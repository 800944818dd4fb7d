"""join(): entering namespaces by pid and by file, interop with util-linux, persist/unpersist."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import time

import pytest
from conftest import mountinfo, ns_inode

import nscore
from nscore import Namespace


@pytest.fixture
def box(spawn) -> nscore.Container:
    """A container with its own UTS and network namespaces and a known hostname."""
    return spawn(["sleep", "60"], namespaces="uts,net,ipc", hostname="joined-box")


def net_link(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def test_join_by_pid(box, capture) -> None:
    code, out = capture(["sh", "-c", "hostname; readlink /proc/self/ns/net"], join=box.pid)
    assert code == 0
    assert out.splitlines() == ["joined-box", net_link(box.pid)]
    # The caller's own namespaces did not change.
    assert net_link("self") != net_link(box.pid)
    # A Container works as the target too.
    assert capture(["hostname"], join=box) == (0, "joined-box\n")


def test_join_takes_the_same_process_settings_as_spawn(box, capture) -> None:
    # One set of process settings (argv, executable, env, cwd, stdio) for spawn and join.
    settings = dict(executable="/bin/sh", env={"GREETING": "hi"}, cwd="/usr")
    argv = ["custom-name", "-c", 'echo "$0 $GREETING"; pwd']
    spawned = capture(argv, namespaces="uts", **settings)
    joined = capture(argv, join=box.pid, namespaces="uts", **settings)
    assert spawned == joined == (0, "custom-name hi\n/usr\n")


def test_join_selected_kinds_only(box, capture) -> None:
    code, out = capture(["sh", "-c", "hostname; readlink /proc/self/ns/net"], join=box.pid, namespaces="uts")
    assert code == 0
    assert out.splitlines() == ["joined-box", net_link("self")]


def test_join_by_path(box, capture) -> None:
    target = {
        Namespace.UTS: f"/proc/{box.pid}/ns/uts",
        Namespace.NET: pathlib.Path(f"/proc/{box.pid}/ns/net"),
    }
    code, out = capture(["sh", "-c", "hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc"], join=target)
    assert code == 0
    hostname, net, ipc = out.splitlines()
    assert hostname == "joined-box"
    assert net == net_link(box.pid)
    assert ipc == os.readlink("/proc/self/ns/ipc")  # not asked for, not joined
    # String keys are accepted as well.
    assert capture(["hostname"], join={"uts": f"/proc/{box.pid}/ns/uts"}) == (0, "joined-box\n")


def test_join_pid_namespace_forks_into_it(spawn, capture) -> None:
    c = spawn(["sleep", "60"], namespaces="pid,mnt")
    # The spawn returns a few microseconds before execve(2) records the command line.
    deadline = time.monotonic() + 10
    while pathlib.Path(f"/proc/{c.pid}/cmdline").read_bytes() == b"" and time.monotonic() < deadline:
        time.sleep(0.001)
    code, out = capture(["sh", "-c", "echo $$; readlink /proc/self/ns/pid; cat /proc/1/cmdline"], join=c.pid)
    assert code == 0
    inner_pid, pid_ns, init_cmdline = out.split("\n", 2)
    assert int(inner_pid) > 1  # pid 1 is the sleep
    assert pid_ns == os.readlink(f"/proc/{c.pid}/ns/pid")
    assert init_cmdline == "sleep\x0060\x00"  # the container's /proc, seen through its mount ns


@pytest.fixture
def unshared(popen) -> subprocess.Popen[bytes]:
    """`unshare --net --uts sleep 30`, once it has unshared (it execs sleep in the same pid)."""
    p = popen(["unshare", "--net", "--uts", "sleep", "30"])
    deadline = time.monotonic() + 10
    while ns_inode(p.pid, "net") == ns_inode("self", "net"):
        assert time.monotonic() < deadline, "unshare did not create a network namespace"
        time.sleep(0.01)
    while os.readlink(f"/proc/{p.pid}/exe") != os.path.realpath("/usr/bin/sleep") and time.monotonic() < deadline:
        time.sleep(0.01)
    return p


def test_interop_with_unshare_and_nsenter(unshared, capture) -> None:
    pid = unshared.pid
    code, ours = capture(["readlink", "/proc/self/ns/net"], join=pid)
    assert code == 0
    theirs = subprocess.run(
        ["nsenter", "-t", str(pid), "-n", "readlink", "/proc/self/ns/net"], check=True, capture_output=True, text=True
    ).stdout
    assert ours == theirs == net_link(pid) + "\n"
    assert nscore.namespace_id(pid, Namespace.NET).inode == ns_inode(pid, "net")


def test_interop_with_lsns(unshared) -> None:
    inode = ns_inode(unshared.pid, "net")
    # lsns exits 1 when a process it is reading ends meanwhile (other tests' containers):
    # the scan is tried again.
    for _ in range(5):
        r = subprocess.run(["lsns", "--json", "-t", "net"], capture_output=True)
        if r.returncode == 0:
            break
    assert r.returncode == 0, r.stderr
    lsns = json.loads(r.stdout)
    lsns_inodes = {int(row["ns"]) for row in lsns["namespaces"]}
    ours = nscore.list_namespaces(Namespace.NET)
    our_inodes = {s.inode for s in ours}
    assert inode in lsns_inodes
    assert inode in our_inodes
    assert ns_inode("self", "net") in our_inodes
    assert all(s.kind == Namespace.NET for s in ours)
    (row,) = [s for s in ours if s.inode == inode]
    (theirs,) = [r for r in lsns["namespaces"] if int(r["ns"]) == inode]
    assert row.pid == int(theirs["pid"]) == unshared.pid
    assert row.nprocs == int(theirs["nprocs"]) == 1
    assert row.command == theirs["command"] == "sleep 30"


@pytest.fixture
def persisted_path(tmp_path):
    path = tmp_path / "netns-file"
    yield path
    # Clean up even if the test failed between persist and unpersist.
    if any(f" {path} " in line for line in mountinfo()):
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_persist_join_unpersist(spawn, capture, persisted_path) -> None:
    c = spawn(["sleep", "60"], namespaces="net")
    inode = ns_inode(c.pid, "net")
    nscore.persist(c.pid, Namespace.NET, persisted_path)
    assert persisted_path.exists()
    assert nscore.namespace_id_at(persisted_path) == nscore.namespace_id(c.pid, "net")
    assert nscore.namespace_id_at(persisted_path).inode == inode
    # The namespace outlives its last process.
    c.stop(5)
    assert capture(["readlink", "/proc/self/ns/net"], join={Namespace.NET: persisted_path}) == (
        0,
        f"net:[{inode}]\n",
    )
    nscore.unpersist(persisted_path)
    assert not persisted_path.exists()
    assert not any(str(persisted_path) in line for line in mountinfo())


def test_unpersist_can_keep_the_file(spawn, persisted_path) -> None:
    c = spawn(["sleep", "60"], namespaces="uts")
    nscore.persist(c.pid, "uts", str(persisted_path).encode())
    nscore.unpersist(persisted_path, remove=False)
    assert persisted_path.exists()
    assert not any(str(persisted_path) in line for line in mountinfo())
