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
"""

from __future__ import annotations

import dataclasses
import errno
import os
import select
import signal
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, NamedTuple

import pytest
from conftest import assert_refused, children, pid_gone, run_as_nobody

import nscore
from nscore import Resources, parse_size

MIB = 1 << 20


# ---- The caller's cgroups, found without the library ----------------------------------------


class Hierarchy(NamedTuple):
    directory: str  # the caller's directory in it
    controllers: frozenset[str]  # v1: the mount's controllers; v2: the caller's cgroup.controllers
    v2: bool


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
        out.append(Hierarchy(directory, controllers, fstype == "cgroup2"))
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
