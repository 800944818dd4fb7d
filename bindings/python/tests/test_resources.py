"""Resource limits (spawn(resources=...), nscore.Resources, container.cgroups).

The limits are read from outside, in the container's cgroup files, while it runs
(memory.limit_in_bytes, pids.max, cpu.cfs_quota_us, cpuset.cpus, or their cgroup v2 names); a
memory hog is killed with SIGKILL at its limit; a fork bomb stops at pids.max with EAGAIN
inside; bad values raise naming them, before anything is started. After every test no
``nscore-<pid>-*`` directory is left below this process's cgroups (found here from
/proc/self/cgroup and /proc/self/mountinfo, without the library), failed spawns included.
As uid 65534 a spawn with resources raises PermissionDeniedError saying what it needs, and
leaves nothing; a spawn without resources still works. Cases that need a controller this
machine lacks are skipped.

A running container's cgroup: freeze stops a counter (a shell appending to a file) and thaw
resumes it; stats() has memory, pids and CPU figures, and throttling under a 0.2 CPU quota with
two busy loops; update() changes pids.max while it runs; kill_all() ends the orphan a first
process left (no PID namespace) and wait_empty() sees it go; the OOM fd fires when a memory hog
is killed and oom_kills counts it; after the reap every call raises ProcessExitedError; a
container without resources raises InvalidArgumentError saying it has no cgroup.

Block io and huge pages: device paths resolve to their numbers, what cannot reach the library
is refused here and bad values by the library; a 512 KiB/s write limit on the disk of the test's
directory is in its cgroup file, holds a direct 1 MiB dd above 0.8 s (inside and outside), is
counted in stats().io, and an update with rate 0 lifts it; a weight is written where the kernel
keeps one; a huge page limit is in its file, read from outside and by the container, and
changes with update(). nscore.Cgroup.of(pid) finds the container another process started and
controls it like a Container; once its starter reaped it, it says the cgroup is gone.

Where the cgroup goes (``cgroups_path=``): a relative path lands below this process's cgroup in
each hierarchy under that name, an absolute one at each hierarchy's root, both gone after the
stop; a cgroup that exists already is refused (EEXIST) and kept, a missing parent and paths that
name no cgroup are named; wrong types, a NUL byte and a path without resources are refused by
the binding. No directory with the tests' names is left in any hierarchy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, NamedTuple

import pytest
from conftest import assert_refused, children, pid_gone, read_line, run_as_nobody

import nscore
from nscore import Resources, parse_size

MIB = 1 << 20


# ---- The caller's cgroups, found without the library ----------------------------------------


class Hierarchy(NamedTuple):
    directory: str  # the caller's directory in it
    controllers: frozenset[str]  # v1: the mount's controllers; v2: the caller's cgroup.controllers
    v2: bool
    mount: str = ""  # its mount point


def hierarchies() -> list[Hierarchy]:
    """Every cgroup hierarchy mounted here, with this process's directory in it."""
    paths: dict[str, str] = {}  # controller list ("" for cgroup2) -> the caller's path
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        paths[names] = path
    out: list[Hierarchy] = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields, _, rest = line.partition(" - ")
        root, mount = fields.split()[3:5]
        fstype, _source, super_options = rest.split()[:3]
        if fstype == "cgroup2":
            names = ""
        elif fstype == "cgroup":
            options = set(super_options.split(","))
            names = next((n for n in paths if n and set(n.split(",")) <= options), "")
            if not names:
                continue
        else:
            continue
        if names not in paths:
            continue
        rel = paths[names]
        if root != "/" and rel.startswith(root):
            rel = rel[len(root) :]
        directory = os.path.join(mount, rel.lstrip("/")).rstrip("/") or "/"
        if fstype == "cgroup2":
            try:
                controllers = frozenset(Path(directory, "cgroup.controllers").read_text().split())
            except OSError:
                controllers = frozenset()
        else:
            controllers = frozenset(names.split(","))
        out.append(Hierarchy(directory, controllers, fstype == "cgroup2", mount))
    return out


HIERARCHIES = hierarchies()


def place(controller: str) -> Hierarchy | None:
    """Where the library puts `controller`: cgroup2 when the caller's cgroup2 directory offers
    it, else its v1 hierarchy; None when the machine lacks it."""
    for v2 in (True, False):
        for h in HIERARCHIES:
            if h.v2 == v2 and controller in h.controllers:
                return h
    return None


def need(*controllers: str) -> dict[str, Hierarchy]:
    found = {c: place(c) for c in controllers}
    missing = [c for c, h in found.items() if h is None]
    if missing:
        pytest.skip(f"this machine has no {', '.join(missing)} cgroup controller")
    return {c: h for c, h in found.items() if h is not None}


def leftovers(pid: int | None = None) -> list[str]:
    """The nscore-<pid>-* directories below the caller's cgroups (pid: this process)."""
    prefix = f"nscore-{pid or os.getpid()}-"
    out = []
    for h in HIERARCHIES:
        try:
            out += [os.path.join(h.directory, n) for n in os.listdir(h.directory) if n.startswith(prefix)]
        except OSError:
            pass
    return out


def in_hierarchy(paths: list[str], h: Hierarchy) -> str:
    """The one of `paths` below hierarchy h."""
    found = [p for p in paths if os.path.dirname(p) == h.directory]
    assert len(found) == 1, (paths, h)
    return found[0]


def read(directory: str, name: str) -> str:
    return Path(directory, name).read_text().strip()


def has_swap_accounting(h: Hierarchy) -> bool:
    return os.path.exists(os.path.join(h.directory, "memory.swap.max" if h.v2 else "memory.memsw.limit_in_bytes"))


@pytest.fixture(autouse=True)
def nothing_left() -> Iterator[None]:
    if not HIERARCHIES:
        pytest.skip("no cgroup hierarchy is mounted")
    yield
    assert leftovers() == []


# ---- Resources and sizes (no spawn) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "size"),
    [
        (4096, 4096),
        ("4096", 4096),
        ("64k", 64 << 10),
        ("256m", 256 << 20),
        ("256M", 256 << 20),
        ("1g", 1 << 30),
        ("1.5g", 3 << 29),
        ("512KiB", 512 << 10),
        ("2GB", 2 << 30),
        ("100b", 100),
        (" 1t ", 1 << 40),
        ("max", -1),
        ("unlimited", -1),
        ("-1", -1),
        (-1, -1),
        (-5, -5),  # passed on: the library names it at the spawn
        (None, None),
    ],
)
def test_sizes(given: Any, size: int | None) -> None:
    assert parse_size(given) == size
    assert Resources(memory_max=given).memory_max == size


def test_resources_value() -> None:
    r = Resources(memory_max="256m", memory_swap="512m", cpu_quota=50_000, cpus=[0, 1], pids_max=64)
    assert (r.memory_max, r.memory_swap, r.cpus) == (256 << 20, 512 << 20, "0,1")
    assert r == Resources(memory_max=256 << 20, memory_swap="0.5g", cpu_quota=50_000, cpus="0,1", pids_max=64)
    assert hash(r) == hash(dataclasses.replace(r))
    assert dataclasses.replace(r, memory_max="1g").memory_max == 1 << 30
    assert repr(r) == "Resources(memory_max=268435456, memory_swap=536870912, cpu_quota=50000, cpus='0,1', pids_max=64)"
    assert Resources().empty and not r.empty and not Resources(disable_oom_killer=True).empty
    assert Resources.coerce({"pids_max": 5}) == Resources(pids_max=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.memory_max = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"memory_max": "12x"}, "Resources.memory_max: '12x' is not a size"),
        ({"memory_high": "m"}, "Resources.memory_high: 'm' is not a size"),
        ({"memory_swap": "1e9"}, "Resources.memory_swap: '1e9' is not a size"),
        ({"memory_max": 2**63}, "Resources.memory_max: 9223372036854775808 is out of range"),
        ({"memory_max": "9000p"}, "Resources.memory_max: '9000p' is out of range"),
        ({"cpu_shares": 0}, "Resources.cpu_shares: 0 is out of range"),
        ({"cpu_period": -1}, "Resources.cpu_period: -1 is out of range"),
        ({"pids_max": -(2**63)}, "Resources.pids_max"),
        ({"cpus": "0\0"}, "Resources.cpus"),
    ],
)
def test_refused_here(kwargs: dict[str, Any], needle: str) -> None:
    """What cannot reach the library intact is refused by the binding, naming the field."""
    with pytest.raises(nscore.InvalidArgumentError) as info:
        Resources(**kwargs)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"memory_max": True},
        {"memory_max": 1.5},
        {"memory_max": b"1g"},
        {"cpu_shares": "512"},
        {"pids_max": 1.0},
        {"cpus": 0},
        {"cpus": b"0"},
        {"cpus": [0, "1"]},
        {"disable_oom_killer": 1},
    ],
)
def test_wrong_types(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        Resources(**kwargs)


def test_wrong_resources_argument() -> None:
    before = children()
    with pytest.raises(TypeError, match="unknown field 'memory'"):
        nscore.spawn(["true"], resources={"memory": "1g"})
    with pytest.raises(TypeError, match="resources must be an nscore.Resources"):
        nscore.spawn(["true"], resources="1g")  # type: ignore[arg-type]
    assert children() == before


# ---- Bad values: refused by the library at the spawn, naming them ------------------------------


def _highest(path: str) -> int:
    text = Path(path).read_text().strip()
    return max(int(part.split("-")[-1]) for part in text.split(","))


CPU_PAST = _highest("/sys/devices/system/cpu/online") + 1
NODE_PAST = _highest("/sys/devices/system/node/online") + 1 if os.path.exists("/sys/devices/system/node/online") else 1


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"memory_max": -5}, "resources: memory.limit is -5; give a size in bytes, or -1 for no limit"),
        ({"memory_max": 100}, "memory.limit is 100 bytes, below one page"),
        ({"memory_max": 0}, "memory.limit is 0"),
        ({"memory_max": "64m", "memory_high": -7}, "memory.reservation is -7"),
        ({"memory_max": "32m", "memory_high": "64m"}, "memory.reservation (67108864) is above memory.limit (33554432)"),
        (
            {"memory_max": "64m", "memory_swap": "32m"},
            "memory.swap (33554432) is memory plus swap, and must be at least memory.limit (67108864)",
        ),
        ({"memory_swap": "64m"}, "memory.swap needs memory.limit"),
        (
            {"cpus": f"0-{CPU_PAST}"},
            f"resources: cpu.cpus '0-{CPU_PAST}' names CPU {CPU_PAST}, which this machine does not have",
        ),
        ({"cpus": "0-"}, "cpu.cpus '0-' is not a list such as 0-2,4"),
        ({"mems": str(NODE_PAST)}, f"cpu.mems '{NODE_PAST}' names memory node {NODE_PAST}"),
        ({"cpu_shares": 1}, "cpu.shares is 1; the kernel takes 2 to 262144"),
        ({"cpu_quota": 500}, "cpu.quota is 500"),
        ({"cpu_period": 10}, "cpu.period is 10"),
        ({"pids_max": -2}, "resources: pids.limit is -2; give a count, or -1 for no limit"),
    ],
)
def test_bad_values(kwargs: dict[str, Any], needle: str) -> None:
    """Named in the message, before anything is started or made (also checked: no child)."""
    assert_refused(nscore.InvalidArgumentError, needle, resources=Resources(**kwargs))


# ---- Limits on the real kernel ------------------------------------------------------------


def test_limits_in_cgroup_files(spawn: Callable[..., nscore.Container]) -> None:
    """Every limit is in its file, read from outside while the container runs; the container
    is in its cgroups; they are gone after the stop; the list stays."""
    h = need("memory", "pids", "cpu", "cpuset")
    swap = has_swap_accounting(h["memory"])
    r = Resources(
        memory_max="64m",
        memory_high="32m",
        memory_swap="128m" if swap else None,
        cpu_shares=512,
        cpu_quota=20_000,
        cpu_period=100_000,
        cpus="0",
        pids_max=32,
    )
    c = spawn(["sleep", "30"], namespaces="pid", resources=r)
    paths = c.cgroups
    assert paths and all(os.path.basename(p).startswith(f"nscore-{os.getpid()}-") for p in paths), paths
    assert all(os.path.isdir(p) for p in paths)
    own = Path(f"/proc/{c.pid}/cgroup").read_text()
    assert all("/" + os.path.basename(p) in own for p in paths), own

    mem = in_hierarchy(paths, h["memory"])
    if h["memory"].v2:
        assert (read(mem, "memory.max"), read(mem, "memory.low")) == (str(64 * MIB), str(32 * MIB))
        if swap:
            assert read(mem, "memory.swap.max") == str(64 * MIB)
    else:
        assert read(mem, "memory.limit_in_bytes") == str(64 * MIB)
        assert read(mem, "memory.soft_limit_in_bytes") == str(32 * MIB)
        if swap:
            assert read(mem, "memory.memsw.limit_in_bytes") == str(128 * MIB)
    assert read(in_hierarchy(paths, h["pids"]), "pids.max") == "32"
    cpu = in_hierarchy(paths, h["cpu"])
    if h["cpu"].v2:
        assert read(cpu, "cpu.max") == "20000 100000"
        assert read(cpu, "cpu.weight") == "20"  # 1 + (512 - 2) * 9999 // 262142
    else:
        assert (read(cpu, "cpu.cfs_quota_us"), read(cpu, "cpu.cfs_period_us")) == ("20000", "100000")
        assert read(cpu, "cpu.shares") == "512"
    assert read(in_hierarchy(paths, h["cpuset"]), "cpuset.cpus") == "0"
    # ... and the kernel applies them to the command.
    assert "Cpus_allowed_list:\t0\n" in Path(f"/proc/{c.pid}/status").read_text()

    assert c.stop(0) == -signal.SIGKILL
    assert [p for p in paths if os.path.exists(p)] == []
    assert c.cgroups == paths
    c.close()
    assert c.cgroups == paths


def test_disable_oom_killer(spawn: Callable[..., nscore.Container]) -> None:
    """cgroup v1's memory.oom_control; cgroup v2 has no such switch: refused, naming it."""
    h = need("memory")["memory"]
    r = Resources(memory_max="64m", disable_oom_killer=True)
    if h.v2:
        assert_refused(nscore.InvalidArgumentError, "cgroup v2 cannot disable the OOM killer", resources=r)
        return
    c = spawn(["sleep", "30"], resources=r)
    control = Path(in_hierarchy(c.cgroups, h), "memory.oom_control").read_text()
    assert "oom_kill_disable 1\n" in control, control


def test_memory_hog_is_killed(capture: Callable[..., tuple[int | None, str]]) -> None:
    """256 MiB touched under a 32 MiB limit without swap: the OOM killer's SIGKILL."""
    h = need("memory")["memory"]
    r = Resources(memory_max="32m", memory_swap="32m" if has_swap_accounting(h) else None)
    code, out = capture([sys.executable, "-c", "b = bytearray(256 << 20); print('survived', flush=True)"], resources=r)
    assert code == -signal.SIGKILL, out
    assert "survived" not in out


FORK_BOMB = textwrap.dedent(
    """
    import errno, os, signal
    n = 0
    while n < 1000:
        try:
            pid = os.fork()
        except OSError as e:
            print(n, errno.errorcode[e.errno], flush=True)
            break
        if pid == 0:
            signal.pause()
            os._exit(0)
        n += 1
    """
)


def test_fork_bomb_stops_at_pids_max(capture: Callable[..., tuple[int | None, str]]) -> None:
    """pids.max 8: the command and 7 children; the 8th fork fails with EAGAIN inside. As the
    init of its PID namespace, its end kills the children."""
    need("pids")
    code, out = capture([sys.executable, "-c", FORK_BOMB], namespaces="pid", resources=Resources(pids_max=8))
    assert code == 0, out
    assert out.split() == ["7", errno.errorcode[errno.EAGAIN]]


def test_cgroup_namespace(capture: Callable[..., tuple[int | None, str]]) -> None:
    """With a new cgroup namespace the container's own cgroups are its root."""
    need("pids")
    code, out = capture(["cat", "/proc/self/cgroup"], namespaces="cgroup,pid", resources={"pids_max": 16})
    assert code == 0
    assert all(line.endswith(":/") for line in out.splitlines()), out


def test_without_resources_no_cgroup(capture: Callable[..., tuple[int | None, str]], spawn: Any) -> None:
    mine = Path("/proc/self/cgroup").read_text()
    assert capture(["cat", "/proc/self/cgroup"]) == (0, mine)
    assert capture(["cat", "/proc/self/cgroup"], resources=Resources()) == (0, mine)
    c = spawn(["true"], resources=None)
    assert c.cgroups == []
    c.wait()


def test_close_of_a_running_container_removes_its_cgroup() -> None:
    need("pids")
    c = nscore.spawn(["sleep", "30"], namespaces="pid", resources=Resources(pids_max=16))
    paths = c.cgroups
    assert paths and all(os.path.isdir(p) for p in paths)
    c.close()
    assert [p for p in paths if os.path.exists(p)] == []


def test_failed_spawns_leave_nothing() -> None:
    """A spawn that fails after its cgroup was made (a mount in the child), and one whose
    command does not exist: nothing left (the autouse fixture checks the cgroups)."""
    need("pids")
    before = children()
    with pytest.raises(nscore.NSCoreError, match="nscorebogusfs"):
        nscore.spawn(
            ["true"],
            namespaces="mnt,pid",
            resources=Resources(pids_max=16),
            mounts=[nscore.Mount("/mnt", "nscorebogusfs", "none")],
        )
    assert leftovers() == []
    with pytest.raises(nscore.NotFoundError):
        nscore.spawn(["/nonexistent/command"], resources=Resources(pids_max=16))
    assert children() == before


UNPRIVILEGED = textwrap.dedent(
    """
    import os, nscore
    print(os.getpid(), flush=True)
    for kwargs in ({}, {"namespaces": "user", "map_root_user": True}):
        try:
            nscore.spawn(["true"], resources=nscore.Resources(pids_max=16), **kwargs)
        except nscore.PermissionDeniedError as e:
            assert isinstance(e, PermissionError)
            print("refused:", e.stage, e)
        else:
            print("started")
    try:
        nscore.spawn(["true"], resources=nscore.Resources(pids_max=-3))
    except nscore.InvalidArgumentError as e:
        print("invalid:", e)
    with nscore.spawn(["true"]) as c:
        print("without resources:", c.wait(), c.cgroups)
        try:
            c.freeze()
        except nscore.InvalidArgumentError as e:
            print("freeze:", e)
    """
)


def test_unprivileged(world_readable_copy: Path) -> None:
    """As uid 65534: refused with a message that says what it needs, even in a user
    namespace (the parent makes the cgroup); a bad value is still named; a spawn without
    resources works; nothing is left."""
    need("pids")
    result = run_as_nobody(world_readable_copy, UNPRIVILEGED)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    pid = int(lines[0])
    hint = "cgroup limits need write access to the caller's cgroup"
    assert lines[1].startswith("refused: cgroups ") and hint in lines[1], lines
    assert lines[2].startswith("refused: cgroups ") and hint in lines[2], lines
    assert lines[3].startswith("invalid: resources: pids.limit is -3"), lines
    assert lines[4] == "without resources: 0 []", lines
    assert lines[5].startswith("freeze: ") and "no cgroup of its own" in lines[5], lines
    assert leftovers(pid) == []


# ---- A running container's cgroup ------------------------------------------------------------


def test_resource_stats_value() -> None:
    s = nscore.ResourceStats(memory_current=1, pids_limit=None)
    assert (s.memory_current, s.pids_limit, s.oom_kills) == (1, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.memory_current = 2  # type: ignore[misc]
    assert (int(nscore.CgroupEvent.POPULATED), int(nscore.CgroupEvent.OOM)) == (0, 1)


def test_freeze_stats_update_kill_all(spawn: Callable[..., nscore.Container], tmp_path: Path) -> None:
    """Freeze stops a counter, thaw resumes it; the stats; pids.max changes while it runs; a
    kind of limit not given at spawn cannot be added; kill_all ends it, descendants too (no
    PID namespace); after the reap every call says it has exited."""
    h = need("memory", "pids", "cpu")
    counter = tmp_path / "count"
    script = f"sh -c 'while :; do :; done' & while :; do echo x >> {counter}; done"
    r = Resources(memory_max="64m", cpu_quota=20_000, cpu_period=100_000, pids_max=50)
    c = spawn(["sh", "-c", script], resources=r)

    def size() -> int:
        return counter.stat().st_size if counter.exists() else -1

    time.sleep(0.3)
    c.freeze()
    c.freeze()  # a second freeze does nothing
    a = size()
    time.sleep(0.2)
    b = size()
    assert a > 0 and a == b, (a, b)
    c.thaw()
    time.sleep(0.3)
    assert size() > b

    st = c.stats()
    assert isinstance(st, nscore.ResourceStats)
    assert st.memory_current and st.memory_current > 0, st
    assert st.memory_limit == 64 * MIB, st
    assert st.pids_current is not None and st.pids_current >= 2, st
    assert st.pids_limit == 50, st
    assert st.cpu_usage_ns and st.cpu_usage_ns > 0, st
    assert st.cpu_throttled_periods and st.cpu_throttled_ns, f"0.2 CPU for two busy loops: {st}"
    assert st.cpu_periods is not None and st.cpu_periods >= st.cpu_throttled_periods, st

    pids = in_hierarchy(c.cgroups, h["pids"])
    c.update(Resources(pids_max=40))
    assert read(pids, "pids.max") == "40"
    assert c.stats().pids_limit == 40
    c.update(pids_max=-1)
    assert read(pids, "pids.max") == "max"
    assert c.stats().pids_limit is None
    c.update({"pids_max": 45})
    assert c.stats().pids_limit == 45
    assert c.stats().memory_limit == 64 * MIB  # the other limits stay
    with pytest.raises(nscore.InvalidArgumentError, match="pids.limit is -2"):
        c.update(pids_max=-2)
    assert read(pids, "pids.max") == "45"
    with pytest.raises(nscore.InvalidArgumentError, match="sets no resource limit"):
        c.update()
    with pytest.raises(TypeError, match="not both"):
        c.update(Resources(pids_max=1), pids_max=2)
    with pytest.raises(TypeError, match="unknown field"):
        c.update(pid_max=3)
    if place("cpuset") is not None:
        with pytest.raises(nscore.InvalidArgumentError, match="must be given at spawn"):
            c.update(cpus="0")

    assert len(Path(c.cgroups[0], "cgroup.procs").read_text().split()) >= 2
    c.kill_all()
    assert c.wait(10) == -signal.SIGKILL
    assert [p for p in c.cgroups if os.path.exists(p)] == []
    for call in (c.stats, c.freeze, c.thaw, c.kill_all, lambda: c.wait_empty(0), lambda: c.cgroup_event_fd("oom")):
        with pytest.raises(nscore.ProcessExitedError, match="cgroup is gone"):
            call()
    with pytest.raises(ProcessLookupError):
        c.update(pids_max=10)


def test_kill_all_ends_an_orphan(spawn: Callable[..., nscore.Container]) -> None:
    """The first process exits and leaves an orphan (no PID namespace to end it): the cgroup
    is still populated; kill_all() ends it, the populated fd fires, wait_empty() is True; the
    reap removes the cgroup."""
    need("pids")
    c = spawn(["sh", "-c", "sleep 1000 </dev/null >/dev/null 2>&1 & exit 0"], resources=Resources(pids_max=16))
    # The first process ends (its pidfd becomes readable); it is not reaped yet.
    assert select.select([c.pidfd], [], [], 10)[0]
    assert c.wait_empty(0) is False
    assert c.wait_empty(0.1) is False
    procs = {int(p) for d in c.cgroups for p in Path(d, "cgroup.procs").read_text().split()}
    orphans = procs - {c.pid}
    assert len(orphans) == 1, procs
    fd = c.cgroup_event_fd("populated")
    try:
        assert os.get_inheritable(fd) is False
        os.pread(fd, 256, 0)  # a new fd reports earlier changes until it is read
        poller = select.poll()
        poller.register(fd, select.POLLPRI)
        assert poller.poll(50) == []
        c.kill_all()
        assert poller.poll(10_000), "cgroup.events did not signal"
        assert c.wait_empty(10) is True
        assert "populated 0" in os.pread(fd, 256, 0).decode()
    finally:
        os.close(fd)
    assert c.wait_empty() is True
    assert all(pid_gone(p) for p in orphans)
    assert c.wait(10) == 0  # the first process's own status
    assert [p for p in c.cgroups if os.path.exists(p)] == []


def test_oom_event_fd(spawn: Callable[..., nscore.Container]) -> None:
    """The OOM fd fires when a hog is killed at its limit; oom_kills counts it before the reap."""
    h = need("memory")["memory"]
    r = Resources(memory_max="32m", memory_swap="32m" if has_swap_accounting(h) else None)
    hog = "import time; time.sleep(0.5); b = bytearray(256 << 20); print('survived', flush=True)"
    c = spawn([sys.executable, "-c", hog], resources=r, stdout=nscore.DEVNULL)
    fd = c.cgroup_event_fd(nscore.CgroupEvent.OOM)
    try:
        if h.v2:
            os.pread(fd, 256, 0)
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        assert poller.poll(20_000), "the OOM fd did not fire"
    finally:
        os.close(fd)
    st = c.stats()
    for _ in range(100):
        if st.oom_kills:
            break
        time.sleep(0.02)
        st = c.stats()
    assert st.oom_kills is not None and st.oom_kills >= 1, st
    assert c.wait(20) == -signal.SIGKILL


def test_without_a_cgroup(spawn: Callable[..., nscore.Container]) -> None:
    """A container spawned without resources has no cgroup to control: a clear error. Bad
    arguments are refused here or by the library."""
    c = spawn(["sleep", "30"])
    for call in (
        c.stats,
        c.freeze,
        c.thaw,
        c.kill_all,
        lambda: c.update(pids_max=10),
        lambda: c.cgroup_event_fd("populated"),
        lambda: c.wait_empty(0),
    ):
        with pytest.raises(nscore.InvalidArgumentError, match="no cgroup of its own; give it resources at spawn"):
            call()
    with pytest.raises(nscore.InvalidArgumentError, match="'populated' or 'oom'"):
        c.cgroup_event_fd("full")
    with pytest.raises(TypeError):
        c.cgroup_event_fd(1)  # type: ignore[arg-type]
    with pytest.raises(nscore.InvalidArgumentError, match="timeout must be"):
        c.wait_empty(-1)
    with pytest.raises(TypeError):
        c.update(resources=5)  # type: ignore[arg-type]
    assert c.stop(0) < 0
    c.close()
    with pytest.raises(ValueError, match="closed"):
        c.stats()


# ---- Block io and huge pages -------------------------------------------------------------------


def disk_of(path: str) -> tuple[int, int] | None:
    """The whole disk that holds `path` (a partition's disk), or None (tmpfs, overlay)."""
    dev = os.stat(path).st_dev
    sys_dir = f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}"
    if not os.path.exists(sys_dir):
        return None
    if os.path.exists(f"{sys_dir}/partition"):
        major, minor = Path(f"{sys_dir}/../dev").read_text().split(":")
        return int(major), int(minor)
    return os.major(dev), os.minor(dev)


def device_node(disk: tuple[int, int]) -> str | None:
    """/dev/NAME of a disk, when it is a block device node there."""
    node = "/dev/" + os.path.basename(os.path.realpath(f"/sys/dev/block/{disk[0]}:{disk[1]}"))
    try:
        rdev = os.stat(node).st_rdev
    except OSError:
        return None
    return node if (os.major(rdev), os.minor(rdev)) == disk else None


ROOT_DISK = disk_of("/")


def test_block_io_and_hugepage_values() -> None:
    r = Resources(
        blkio_weight=500,
        blkio_weight_device=[(8, 0, 200)],
        device_read_bps=[(8, 0, "1m")],
        device_write_bps={(8, 16): "512k"},
        device_read_iops=[(8, 0, 100)],
        device_write_iops=[((8, 0), 50)],
        hugepage_limits={"2mb": "64m", "1GB": 1 << 30},
    )
    assert r.blkio_weight == 500
    assert r.blkio_weight_device == (nscore.DeviceLimit(8, 0, 200),)
    assert r.device_read_bps == ((8, 0, 1 << 20),) and r.device_write_bps == ((8, 16, 512 << 10),)
    assert r.device_read_iops == ((8, 0, 100),) and r.device_write_iops == ((8, 0, 50),)
    assert r.hugepage_limits == (("2MB", 64 << 20), ("1GB", 1 << 30))
    assert not r.empty and hash(r) == hash(dataclasses.replace(r))
    assert "device_read_bps=(DeviceLimit(major=8, minor=0, value=1048576),)" in repr(r)
    assert Resources(device_read_bps=[], hugepage_limits={}).empty
    assert Resources.coerce({"device_write_iops": [(8, 0, 1)]}) == Resources(device_write_iops=[(8, 0, 1)])
    # A page size given again replaces its limit, as in the C API.
    assert Resources(hugepage_limits=[("2MB", "1m"), ("2mb", "2m")]).hugepage_limits == (("2MB", 2 << 20),)
    # A device path is resolved to the numbers of its node.
    if ROOT_DISK is not None and (node := device_node(ROOT_DISK)) is not None:
        assert Resources(device_read_bps=[(node, 1)]).device_read_bps == ((*ROOT_DISK, 1),)
        assert Resources(device_read_bps={Path(node): 1}).device_read_bps == ((*ROOT_DISK, 1),)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"device_read_bps": [("/dev/null", "1m")]}, "Resources.device_read_bps[0]: /dev/null is not a block device"),
        ({"device_write_iops": [("/nonexistent/disk", 5)]}, "/nonexistent/disk: No such file or directory"),
        ({"device_write_bps": [(8, 0, "1x")]}, "Resources.device_write_bps[0]: '1x' is not a size"),
        ({"device_write_bps": [(8, 0, "max")]}, "is not a rate"),
        ({"device_read_iops": [(8, 0, -1)]}, "Resources.device_read_iops[0]: -1 is out of range"),
        ({"device_read_bps": [(-1, 0, 1)]}, "Resources.device_read_bps[0]: -1 is out of range"),
        ({"blkio_weight": 0}, "Resources.blkio_weight: 0 is out of range"),
        ({"blkio_weight": 70000}, "Resources.blkio_weight: 70000 is out of range"),
        ({"blkio_weight_device": [(8, 0, 65536)]}, "Resources.blkio_weight_device[0]: 65536 is out of range"),
        ({"hugepage_limits": {"2MB": "lots"}}, "Resources.hugepage_limits['2MB']: 'lots' is not a size"),
        ({"hugepage_limits": {"2MB": -1}}, "Resources.hugepage_limits['2MB']: -1 is not a limit"),
    ],
)
def test_block_io_refused_here(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(nscore.InvalidArgumentError) as info:
        Resources(**kwargs)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"device_read_bps": ("/dev/vda", "1m")},  # one entry, not a list of them
        {"device_read_bps": "/dev/vda:1m"},
        {"device_read_bps": [(8, 0)]},  # (major, minor) without a value
        {"device_read_bps": [(8, "0", 1)]},
        {"device_read_iops": [(8, 0, "1m")]},  # operations are counts, not sizes
        {"device_read_bps": [(8, 0, 1.5)]},
        {"blkio_weight": "500"},
        {"hugepage_limits": "2MB:64m"},
        {"hugepage_limits": [(2, "64m")]},
    ],
)
def test_block_io_wrong_types(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        Resources(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"device_write_bps": [(4000, 999999, 1)]}, "blockIO.throttleWriteBpsDevice[0]: no block device 4000:999999"),
        ({"blkio_weight": 5}, "resources: blockIO.weight is 5; the kernel takes 10 to 1000"),
        ({"blkio_weight_device": [(4000, 1, 500)]}, "blockIO.weightDevice[0]: no block device 4000:1"),
        (
            {"hugepage_limits": {"3MB": "64m"}},
            "hugepageLimits[0].pageSize '3MB' is not a huge page size of this machine",
        ),
    ],
)
def test_block_io_bad_values(kwargs: dict[str, Any], needle: str) -> None:
    """Named by the library at the spawn, before anything is made."""
    assert_refused(nscore.InvalidArgumentError, needle, resources=Resources(**kwargs))


def test_write_throttle(
    spawn: Callable[..., nscore.Container], pipes: Callable[[], tuple[int, int]], tmp_path: Path
) -> None:
    """512 KiB/s of writes to the disk of the test's directory: in the cgroup file (outside), a
    direct 1 MiB write takes more than 0.8 s (timed by dd inside and here), the stats count it,
    and an update with rate 0 lifts the limit."""
    disk = disk_of(str(tmp_path))
    if disk is None:
        pytest.skip(f"{tmp_path} is on no block device")
    device: Any = device_node(disk) or disk
    target = tmp_path / "x"
    dd = f"dd if=/dev/zero of={target} bs=64k count=16 oflag=direct 2>&1"
    script = f"read a; {dd}; echo done1; read b; {dd}; echo done2; read c"
    r_in, w_in = pipes()
    r_out, w_out = pipes()
    c = spawn(["sh", "-c", script], stdin=r_in, stdout=w_out, resources=Resources(device_write_bps=[(device, "512k")]))
    os.close(w_out)
    numbers = f"{disk[0]}:{disk[1]}"
    v1 = next((p for p in c.cgroups if os.path.exists(f"{p}/blkio.throttle.write_bps_device")), None)
    if v1 is not None:
        limit, name, device_line = v1, "blkio.throttle.write_bps_device", f"{numbers} 524288"
    else:
        limit, name = in_hierarchy(c.cgroups, need("io")["io"]), "io.max"
        device_line = f"{numbers} rbps=max wbps=524288 riops=max wiops=max"
    assert read(limit, name) == device_line

    def run_dd(marker: str) -> tuple[float, float]:
        """(dd's own seconds, the seconds it took seen from here)."""
        start = time.monotonic()
        os.write(w_in, b"go\n")
        out = b""
        while marker.encode() not in out:
            chunk = os.read(r_out, 4096)
            assert chunk, out
            out += chunk
        outside = time.monotonic() - start
        inside = float(out.split(b"copied, ")[1].split(b" s")[0])
        return inside, outside

    inside, outside = run_dd("done1")
    assert inside > 0.8 and outside > 0.8, (inside, outside)
    io = {(d.major, d.minor): d for d in c.stats().io}
    assert io[disk].write_bytes >= MIB and io[disk].write_operations >= 16, io
    assert c.stats().oom_events is None  # no memory limit

    c.update(device_write_bps=[(*disk, 0)])
    assert device_line not in read(limit, name)
    inside, _ = run_dd("done2")
    assert inside < 0.8, inside
    os.close(w_in)
    assert c.wait(30) is not None
    assert [p for p in c.cgroups if os.path.exists(p)] == []


def test_blkio_weight(spawn: Callable[..., nscore.Container]) -> None:
    """A weight is written where the kernel keeps one in a container's cgroup (found in the
    cgroup of a first container given only a throttle): v1 blkio.bfq.weight or blkio.weight,
    v2 io.bfq.weight or io.weight (converted to 1 to 10000)."""
    if ROOT_DISK is None:
        pytest.skip("/ is on no block device")
    probe = spawn(["sleep", "30"], resources=Resources(device_read_bps=[(*ROOT_DISK, 1 << 40)]))
    files = ("blkio.bfq.weight", "blkio.weight", "io.bfq.weight", "io.weight")
    found = next(((d, f) for f in files for d in probe.cgroups if os.path.exists(f"{d}/{f}")), None)
    probe.stop(0)
    if found is None:
        pytest.skip("the kernel keeps no block io weight in a container's cgroup here")
    name = found[1]
    c = spawn(["sleep", "30"], resources=Resources(blkio_weight=500))
    directory = next(d for d in c.cgroups if os.path.exists(f"{d}/{name}"))
    want = {"io.weight": "default 4950", "io.bfq.weight": "default 500"}.get(name, "500")
    assert read(directory, name) == want


def test_hugepage_limit(spawn: Callable[..., nscore.Container], pipes: Callable[[], tuple[int, int]]) -> None:
    """A 64 MiB limit of 2 MB huge pages: in hugetlb.2MB.max (v1 .limit_in_bytes), read here
    and by the container itself; an update changes it."""
    if not os.path.exists("/sys/kernel/mm/hugepages/hugepages-2048kB"):
        pytest.skip("no 2 MB huge pages on this machine")
    h = need("hugetlb")["hugetlb"]
    name = "hugetlb.2MB.max" if h.v2 else "hugetlb.2MB.limit_in_bytes"
    # The container reads its own file: its directory in the hierarchy, through its mountinfo.
    mount_field = "cgroup2" if h.v2 else "cgroup"
    own = "0::" if h.v2 else "[0-9]*:hugetlb:"
    script = (
        f'm=$(awk \'{{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "{mount_field}" && '
        f'($(i + 1) == "cgroup2" || $(i + 3) ~ /hugetlb/)) {{ print $5; exit }} }}\' /proc/self/mountinfo); '
        f"p=$(sed -n 's/^{own}//p' /proc/self/cgroup); cat \"$m$p/{name}\"; read x || true"
    )
    r_in, w_in = pipes()
    r_out, w_out = pipes()
    c = spawn(["sh", "-c", script], stdin=r_in, stdout=w_out, resources=Resources(hugepage_limits={"2MB": "64m"}))
    os.close(w_out)
    directory = in_hierarchy(c.cgroups, h)
    assert read(directory, name) == str(64 * MIB)
    assert read_line(r_out).strip() == str(64 * MIB).encode()
    c.update(hugepage_limits={"2MB": "32m"})
    assert read(directory, name) == str(32 * MIB)
    os.close(w_in)
    assert c.wait(30) == 0


# ---- The cgroup of any process's container (nscore.Cgroup) --------------------------------------

SPAWNER = """
import sys, nscore
c = nscore.spawn(["sh", "-c", "sleep 1000 & wait"], namespaces="pid", kill_on_parent_death=True,
                 resources=nscore.Resources(pids_max=20), stdout=nscore.DEVNULL)
print(c.pid, flush=True)
sys.stdin.readline()
print(c.wait(), flush=True)
"""


def test_cgroup_of_another_process(popen: Callable[..., Any], child_env: dict[str, str]) -> None:
    """A container another process started, found from its pid (not its starter's): stats,
    freeze, thaw, update, the populated fd, kill_all and wait_empty; once the starter has
    reaped it, the handle says the cgroup is gone."""
    need("pids")
    starter = popen([sys.executable, "-c", SPAWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env)
    assert starter.stdout is not None and starter.stdin is not None
    pid = int(starter.stdout.readline())
    cg: nscore.Cgroup | None = None
    try:
        with pytest.raises(nscore.InvalidArgumentError, match="is in no cgroup NSCore made"):
            nscore.Cgroup.of(starter.pid)
        cg = nscore.Cgroup.of(pid)
        assert cg.pid == pid and cg.cgroups and not cg.closed
        assert all(f"/nscore-{starter.pid}-" in d and os.path.isdir(d) for d in cg.cgroups), cg.cgroups
        pids = next(d for d in cg.cgroups if os.path.exists(f"{d}/pids.max"))
        for _ in range(200):
            if cg.stats().pids_current == 2:
                break
            time.sleep(0.01)
        st = cg.stats()
        assert (st.pids_current, st.pids_limit, st.oom_events, st.io) == (2, 20, None, ())
        # Any process of the container gives the same cgroups.
        other = next(int(p) for p in read(pids, "cgroup.procs").split() if int(p) != pid)
        with nscore.Cgroup.of(other) as cg2:
            assert cg2.cgroups == cg.cgroups
            cg2.update(pids_max=30)
        assert read(pids, "pids.max") == "30"
        with pytest.raises(ValueError, match="closed"):
            cg2.stats()

        events = next((d for d in cg.cgroups if os.path.exists(f"{d}/cgroup.events")), None)
        cg.freeze()
        if events is not None:
            assert "frozen 1" in read(events, "cgroup.events")
        cg.thaw()
        if events is not None:
            assert "frozen 0" in read(events, "cgroup.events")
            fd = cg.cgroup_event_fd("populated")
            try:
                os.pread(fd, 256, 0)
                assert cg.wait_empty(0) is False
                cg.kill_all()
                poller = select.poll()
                poller.register(fd, select.POLLPRI)
                assert poller.poll(10_000)
                assert cg.wait_empty(10) is True
            finally:
                os.close(fd)
        else:
            cg.kill_all()

        starter.stdin.write(b"reap\n")
        starter.stdin.flush()
        assert int(starter.stdout.readline()) == -signal.SIGKILL
        assert starter.wait(30) == 0
        assert [d for d in cg.cgroups if os.path.exists(d)] == []
        for call in (cg.stats, cg.freeze, cg.kill_all, lambda: cg.update(pids_max=5)):
            with pytest.raises(nscore.ProcessExitedError, match="cgroup is gone"):
                call()
        with pytest.raises(ProcessLookupError):
            nscore.Cgroup.of(pid)
    finally:
        if cg is not None and starter.poll() is None:
            with contextlib.suppress(nscore.NSCoreError):
                cg.kill_all()
        if starter.poll() is None:
            starter.stdin.close()
            starter.wait(30)
        if cg is not None:
            cg.close()
    assert leftovers(starter.pid) == []
    cg.close()  # idempotent
    assert cg.closed and "closed" in repr(cg)


def test_cgroup_of_own_container(spawn: Callable[..., nscore.Container]) -> None:
    """Cgroup.of a Container (or its pid) finds the cgroups the container lists; bad pids."""
    need("pids")
    c = spawn(["sleep", "30"], resources=Resources(pids_max=10))
    with nscore.Cgroup.of(c) as cg:
        assert sorted(cg.cgroups) == sorted(c.cgroups)
        assert cg.stats().pids_limit == 10
    with pytest.raises(nscore.InvalidArgumentError, match="is in no cgroup NSCore made"):
        nscore.Cgroup.of(os.getpid())
    with pytest.raises(nscore.InvalidArgumentError, match="pid must be a process id"):
        nscore.Cgroup.of(0)
    with pytest.raises(TypeError):
        nscore.Cgroup.of("1")  # type: ignore[arg-type]
    gone = subprocess.Popen(["true"])
    gone.wait()
    with pytest.raises(nscore.ProcessExitedError, match="no such process"):
        nscore.Cgroup.of(gone.pid)


# ---- Where the cgroup goes (cgroups_path) ------------------------------------------------------

#: Every cgroup these tests name starts with it.
PATH_PREFIX = f"cgpath-{os.getpid()}-"


def hierarchy_of(path: str) -> Hierarchy:
    """The hierarchy whose mount holds `path`."""
    found = [h for h in HIERARCHIES if path.startswith(h.mount + "/")]
    assert found, path
    return max(found, key=lambda h: len(h.mount))


def named_dirs() -> list[str]:
    """The directories named PATH_PREFIX* in every hierarchy, anywhere in it."""
    out = []
    for h in HIERARCHIES:
        for top, dirs, _ in os.walk(h.mount):
            out += [os.path.join(top, d) for d in dirs if d.startswith(PATH_PREFIX)]
    return out


@pytest.fixture
def test_cgroups() -> Iterator[None]:
    """Removes the PATH_PREFIX* directories a test made, whatever happened (the tests check
    first that the library left none)."""
    yield
    for d in sorted(named_dirs(), key=len, reverse=True):
        os.rmdir(d)
    assert named_dirs() == []


def test_cgroups_path_placed(spawn: Callable[..., nscore.Container], test_cgroups: None) -> None:
    """Relative: below this process's cgroup, under that name; absolute: at each hierarchy's
    root (/sys/fs/cgroup/memory/<name> on a hybrid machine); the container is in them; they are
    gone after the stop. str, bytes and os.PathLike are taken."""
    need("memory")
    limits = Resources(memory_max="64m")
    for given, name, absolute in (
        (PATH_PREFIX + "rel", PATH_PREFIX + "rel", False),
        (Path(PATH_PREFIX + "path"), PATH_PREFIX + "path", False),
        (os.fsencode("/" + PATH_PREFIX + "abs"), PATH_PREFIX + "abs", True),
    ):
        c = spawn(["sleep", "30"], resources=limits, cgroups_path=given)
        paths = c.cgroups
        assert paths, given
        for p in paths:
            h = hierarchy_of(p)
            assert p == os.path.join(h.mount if absolute else h.directory, name), (p, h)
            assert os.path.isdir(p)
        own = Path(f"/proc/{c.pid}/cgroup").read_text()
        assert own.count("/" + name + "\n") == len(paths), own
        memory = place("memory")
        assert memory is not None
        want = os.path.join(memory.mount if absolute else memory.directory, name)  # /sys/fs/cgroup/memory/<name>
        assert want in paths, paths
        c.stop(0)
        assert [p for p in paths if os.path.exists(p)] == []
    assert named_dirs() == []


def test_cgroups_path_refused(spawn: Callable[..., nscore.Container], test_cgroups: None) -> None:
    """A cgroup that exists already is refused and kept; a missing parent and paths that name
    no cgroup are named; nothing is started, nothing else is left."""
    need("memory")
    limits = Resources(memory_max="64m")
    c = spawn(["true"], resources=limits)
    used = [hierarchy_of(p) for p in c.cgroups]
    c.wait()
    name = PATH_PREFIX + "exists"
    for h in used:
        os.mkdir(os.path.join(h.mount, name))
    before = children()
    with pytest.raises(nscore.SystemCallError) as info:
        nscore.spawn(["true"], resources=limits, cgroups_path="/" + name)
    assert info.value.errno == errno.EEXIST and "the container's cgroup must not exist yet" in str(info.value)
    assert name in str(info.value)
    assert all(os.path.isdir(os.path.join(h.mount, name)) for h in used)
    assert children() == before

    # Named in the mkdir of the container's cgroup (or, on cgroup2, first in the parent's
    # cgroup.subtree_control).
    for missing in (f"/{PATH_PREFIX}missing/x", f"{PATH_PREFIX}missing/x"):
        assert_refused(nscore.NotFoundError, f"/{PATH_PREFIX}missing: ENOENT", resources=limits, cgroups_path=missing)
    for bad in ("a/../b", "", "/", "a/./b"):
        assert_refused(
            nscore.InvalidArgumentError, f"cgroupsPath '{bad}' must name a cgroup", resources=limits, cgroups_path=bad
        )
    assert [d for d in named_dirs() if os.path.basename(d) != name] == []


def test_cgroups_path_refused_here() -> None:
    """Wrong types, a NUL byte and a path without any limit never reach the library."""
    before = children()
    for bad in (5, 1.5, ["a"]):
        with pytest.raises(TypeError, match="cgroups_path must be str, bytes or os.PathLike"):
            nscore.spawn(["true"], resources=Resources(pids_max=16), cgroups_path=bad)  # type: ignore[arg-type]
    for nul in ("a\0b", b"a\0b"):
        with pytest.raises(nscore.InvalidArgumentError, match="cgroups_path: .* contains a NUL byte"):
            nscore.spawn(["true"], resources=Resources(pids_max=16), cgroups_path=nul)
    for none in (None, Resources(), {}):
        with pytest.raises(nscore.InvalidArgumentError, match="cgroups_path places the container's cgroup"):
            nscore.spawn(["true"], resources=none, cgroups_path="x")
    assert children() == before


def test_join_runs_in_the_containers_cgroups() -> None:
    """A command joined into a container with resources is in its cgroups (as docker exec):
    its forks count against pids.max; a frozen container is refused; join_cgroups=False keeps
    the caller's cgroups."""
    need("pids")
    c = nscore.spawn(["sleep", "30"], namespaces="pid,mnt", resources=Resources(pids_max=6))
    try:
        leaf = os.path.basename(c.cgroups[0])
        r, w = os.pipe()
        script = "cat /proc/self/cgroup; for i in 1 2 3 4 5 6 7 8; do sleep 1 & done 2>&1; wait"
        j = nscore.join(c.pid, ["sh", "-c", script], stdout=w, stderr=w)
        os.close(w)
        with os.fdopen(r) as f:
            out = f.read()
        j.wait()
        j.close()
        assert sum(1 for line in out.splitlines() if line.endswith("/" + leaf)) == len(c.cgroups), out
        assert "fork" in out or "Resource temporarily unavailable" in out, out

        c.freeze()
        with pytest.raises(nscore.NSCoreError, match="frozen; thaw it first"):
            nscore.join(c.pid, ["true"])
        c.thaw()

        r, w = os.pipe()
        j = nscore.join(c.pid, ["cat", "/proc/self/cgroup"], stdout=w, join_cgroups=False)
        os.close(w)
        with os.fdopen(r) as f:
            out = f.read()
        assert j.wait() == 0
        j.close()
        assert leaf not in out, out
        with pytest.raises(TypeError, match="join_cgroups must be a bool"):
            nscore.join(c.pid, ["true"], join_cgroups=1)  # type: ignore[arg-type]
    finally:
        c.kill()
        c.wait()
        c.close()
