"""Inspection: identities, /proc/PID/ns entries, lsns-like listing, pid chains, processes."""

from __future__ import annotations

import dataclasses
import os
import sys
import time

import pytest
from conftest import ALL_KINDS, ns_inode

import nscore
from nscore import Namespace


def test_namespace_id_matches_stat(spawn) -> None:
    for name in ALL_KINDS:
        st = os.stat(f"/proc/self/ns/{name}")
        nid = nscore.namespace_id(os.getpid(), name)
        assert nid == nscore.NamespaceID(Namespace.parse(name), st.st_ino, st.st_dev)
        assert str(nid) == os.readlink(f"/proc/self/ns/{name}")
        assert nscore.namespace_id_at(f"/proc/self/ns/{name}") == nid
    nid = nscore.namespace_id(os.getpid(), Namespace.NET)
    with pytest.raises(dataclasses.FrozenInstanceError):
        nid.inode = 1  # type: ignore[misc]


def test_same_namespace(spawn) -> None:
    c = spawn(["sleep", "30"], namespaces="net")
    me = os.getpid()
    assert nscore.same_namespace(me, c.pid, Namespace.UTS) is True
    assert nscore.same_namespace(me, c.pid, Namespace.NET) is False
    assert nscore.same_namespace(c, c.pid, "net") is True


def test_namespaces_of_a_process(spawn) -> None:
    entries = nscore.namespaces()
    names = {e.name for e in entries}
    assert set(ALL_KINDS) <= names
    assert {"pid_for_children", "time_for_children"} <= names
    for e in entries:
        st = os.stat(f"/proc/self/ns/{e.name}")
        assert (e.inode, e.device) == (st.st_ino, st.st_dev)
        assert e.for_children == e.name.endswith("_for_children")
        assert e.kind.proc_name == e.name.split("_")[0]
        assert e.id == nscore.NamespaceID(e.kind, e.inode, e.device)
    c = spawn(["sleep", "30"], namespaces="uts,net")
    theirs = {e.name: e.inode for e in nscore.namespaces(c.pid)}
    assert theirs["net"] == ns_inode(c.pid, "net") != ns_inode("self", "net")
    assert theirs["ipc"] == ns_inode("self", "ipc")


def test_list_namespaces(spawn) -> None:
    c = spawn(["sleep", "30"], namespaces="net,uts")
    rows = nscore.list_namespaces()
    kinds = {r.kind for r in rows}
    assert set(Namespace.ALL.kinds) <= kinds
    (row,) = [r for r in rows if r.kind == Namespace.NET and r.inode == ns_inode(c.pid, "net")]
    assert (row.nprocs, row.pid, row.uid, row.command) == (1, c.pid, 0, "sleep 30")
    only_uts = nscore.list_namespaces(Namespace.UTS)
    assert only_uts and all(r.kind == Namespace.UTS for r in only_uts)
    assert any(r.inode == ns_inode(c.pid, "uts") for r in only_uts)
    assert ns_inode(c.pid, "uts") in {r.inode for r in nscore.list_namespaces("uts")}  # text works too


def test_typed_namespace_list_matches_the_json_one(spawn) -> None:
    import ctypes

    from nscore import _ffi

    c = spawn(["sleep", "30"], namespaces="net,uts")
    lib = _ffi.lib
    handle = _ffi.NamespaceListPtr()
    lib.nscore_inspect_list(int(Namespace.NET | Namespace.UTS), ctypes.byref(handle), _ffi.new_error())
    try:
        typed = []
        for i in range(lib.nscore_ns_list_count(handle)):
            e = _ffi.NamespaceEntryStruct()
            lib.nscore_ns_list_get(handle, i, ctypes.byref(e), _ffi.new_error())
            command = (lib.nscore_ns_list_command(handle, i) or b"").decode()
            typed.append((Namespace(e.ns), e.inode, e.nprocs, e.pid, e.uid, command))
        count = lib.nscore_ns_list_count(handle)
        with pytest.raises(nscore.InvalidArgumentError, match="out of range"):
            lib.nscore_ns_list_get(handle, count, ctypes.byref(_ffi.NamespaceEntryStruct()), _ffi.new_error())
        assert lib.nscore_ns_list_command(handle, count) is None
    finally:
        lib.nscore_ns_list_free(handle)
    lib.nscore_ns_list_free(None)
    assert (Namespace.NET, ns_inode(c.pid, "net"), 1, c.pid, 0, "sleep 30") in typed
    rows = nscore.list_namespaces(Namespace.NET | Namespace.UTS)
    # The same rows for the namespaces both scans see with the same processes (others may start or end).
    by_id = {(r.kind, r.inode): (r.kind, r.inode, r.nprocs, r.pid, r.uid, r.command) for r in rows}
    assert by_id[(Namespace.NET, ns_inode(c.pid, "net"))] in typed
    assert by_id[(Namespace.UTS, ns_inode(c.pid, "uts"))] in typed


def test_pid_chain_and_processes(spawn) -> None:
    c = spawn(["sleep", "30"], namespaces="pid,mnt")
    assert nscore.pid_chain(c.pid) == [c.pid, 1]
    assert nscore.pid_chain(os.getpid()) == [os.getpid()]
    procs = nscore.processes(c.pid)
    assert procs == [nscore.NamespacedProcess(pid=1, host_pid=c.pid, command="sleep 30")]


def test_command_read_right_after_spawn(spawn) -> None:
    # A spawn returns once the command's execve(2) has replaced the address space, a few
    # microseconds before the kernel records the new argument area; /proc/PID/cmdline reads empty
    # in between. Inspection right after the spawn still shows the arguments, not only the name.
    for i in range(150):
        c = spawn(["sleep", "30"], namespaces="pid,mnt")
        try:
            assert [p.command for p in nscore.processes(c.pid)] == ["sleep 30"], i
            rows = nscore.list_namespaces("pid")
            assert [r.command for r in rows if r.pid == c.pid] == ["sleep 30"], i
        finally:
            c.kill()
            c.wait()


def test_command_of_a_blanked_command_line(spawn, tmp_path) -> None:
    # A process that zeroed its own argument area shows its name (comm), as lsns does.
    ready = tmp_path / "ready"
    script = (
        "import ctypes, os, sys, time\n"
        "f = open('/proc/self/stat').read().rsplit(')', 1)[1].split()\n"
        "start, end = int(f[45]), int(f[46])\n"
        "ctypes.memset(start, 0, end - start)\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(30)\n"
    )
    c = spawn([sys.executable, "-c", script])
    deadline = time.monotonic() + 10
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ready.exists()
    with open(f"/proc/{c.pid}/cmdline", "rb") as f:
        assert f.read().strip(b"\0") == b""
    with open(f"/proc/{c.pid}/comm") as f:
        comm = f.read().strip()
    (proc,) = [p for p in nscore.processes(c.pid) if p.host_pid == c.pid]
    assert proc.command == comm


def test_nested_pid_namespaces(spawn) -> None:
    # unshare inside the container makes a second level: the chain has three entries.
    c = spawn(["unshare", "--pid", "--fork", "sleep", "30"], namespaces="pid,mnt")
    deadline = time.monotonic() + 10
    while True:
        inner = [p for p in nscore.processes(c.pid) if p.command == "sleep 30"]
        if inner or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert inner, nscore.processes(c.pid)
    chain = nscore.pid_chain(inner[0].host_pid)
    assert chain == [inner[0].host_pid, inner[0].pid, 1]


def test_mounts_show_the_five_propagation_states(spawn, tmp_path) -> None:
    # A container makes one mount in each propagation state in its own mount namespace; the
    # host reads them from its mountinfo, typed.
    tmp_path.chmod(0o755)
    script = f"""set -e
cd {tmp_path}
mkdir shared slave both private unbind
mount -t tmpfs py-shared shared && mount --make-shared shared
mount --bind shared slave && mount --make-slave slave
mount --bind shared both && mount --make-slave both && mount --make-shared both
mount -t tmpfs -o ro py-private private && mount --make-private private
mount -t tmpfs py-unbind unbind && mount --make-unbindable unbind
touch ready
exec sleep 30
"""
    c = spawn(["sh", "-c", script], namespaces="mnt")
    deadline = time.monotonic() + 10
    while not (tmp_path / "ready").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    found = {m.target.rsplit("/", 1)[-1]: m for m in nscore.mounts(c.pid) if m.target.startswith(str(tmp_path) + "/")}
    assert found["shared"].propagation == "shared" and found["shared"].shared is not None
    assert found["slave"].propagation == "slave" and found["slave"].master == found["shared"].shared
    assert found["both"].propagation == "shared+slave"
    assert found["private"].propagation == "private" and found["private"].read_only
    assert found["unbind"].propagation == "unbindable"
    assert found["private"].fstype == "tmpfs" and found["private"].source == "py-private"
    # None of it is in the caller's mount namespace.
    assert not [m for m in nscore.mounts(os.getpid()) if m.target.startswith(str(tmp_path) + "/")]
    with pytest.raises(nscore.ProcessExitedError):
        nscore.mounts(999_999_999)


def test_differing_namespaces_and_command_failures(spawn) -> None:
    c = spawn(["sleep", "30"], namespaces="uts,net")
    assert nscore.differing_namespaces(c.pid) == Namespace.UTS | Namespace.NET
    assert nscore.differing_namespaces(c.pid, "uts,ipc") == Namespace.UTS
    assert nscore.differing_namespaces(os.getpid()) == Namespace(0)
    with pytest.raises(nscore.ProcessExitedError):
        nscore.differing_namespaces(999_999_999)
    # A command that cannot be started is marked as such (a shell's 127 / 126); other failures not.
    with pytest.raises(nscore.NotFoundError) as missing:
        nscore.spawn(["/nonexistent/command"])
    assert missing.value.command_failure
    with pytest.raises(nscore.NSCoreError) as bad_dir:
        nscore.spawn(["true"], cwd="/nonexistent-dir")
    assert not bad_dir.value.command_failure


def test_mount_stats_list_the_same_mounts() -> None:
    stats = nscore.mount_stats(os.getpid())
    assert any(m.target == "/proc" and m.fstype == "proc" and m.device == "proc" for m in stats)
    assert len(stats) == len(nscore.mounts(os.getpid()))
    with pytest.raises(nscore.ProcessExitedError):
        nscore.mount_stats(999_999_999)
