"""Capabilities, no_new_privs, resource limits and the OOM score adjustment of a spawned command
(spawn(capabilities=, cap_add=, cap_drop=, privileged=, no_new_privileges=, rlimits=,
oom_score_adj=)), and nscore.credentials(pid).

Each case reads the command's own /proc/self/status (CapBnd, CapEff, CapPrm, CapInh, CapAmb,
NoNewPrivs) through a pipe, or shows that a dropped capability really denies what it guards.
Bad input raises before anything is started, leaving no child process."""

from __future__ import annotations

import dataclasses
import errno
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import REPO, assert_refused, children, run_as_nobody

import nscore
from nscore import RLIM_INFINITY, Capabilities, IDMapping, Rlimit, User
from nscore.security import _CAPABILITY_NAMES

MAKE_ROOTFS = REPO / "tools" / "make-test-rootfs.sh"
#: A container's usual namespaces with root on the host (a root filesystem needs mnt).
NS = "mnt,pid,ipc,uts"
#: Docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID,
#: SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
DOCKER_DEFAULT_MASK = 0xA80425FB
CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_RESOURCE = 0, 5, 10, 13, 21, 24
STATUS_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")
#: Prints the status fields of the command itself (grep is the process that reads the file).
STATUS = ["grep", "-E", "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):", "/proc/self/status"]


def parse_status(text: str) -> dict[str, int]:
    """{field: value} of /proc/PID/status lines: the Cap* masks (hex) and NoNewPrivs."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in STATUS_FIELDS:
            out[name] = int(value.strip(), 16 if name.startswith("Cap") else 10)
    assert set(out) == set(STATUS_FIELDS), text
    return out


#: This process's own status fields.
OWN = parse_status(Path("/proc/self/status").read_text())


def mask(names: frozenset[str]) -> int:
    return sum(1 << _CAPABILITY_NAMES.index(n) for n in names)


def names(bits: int) -> frozenset[str]:
    return frozenset(n for i, n in enumerate(_CAPABILITY_NAMES) if bits >> i & 1)


@pytest.fixture(scope="module")
def rootfs() -> Iterator[Path]:
    """A root filesystem from the host's binaries (sh, grep, cat, hostname, ...), 0755 so any
    uid can use it."""
    base = Path(tempfile.mkdtemp(prefix="nscore-security-test-"))
    try:
        base.chmod(0o755)
        path = base / "rootfs"
        result = subprocess.run(["bash", str(MAKE_ROOTFS), str(path)], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        yield path
    finally:
        shutil.rmtree(base)


@pytest.fixture
def status(capture: Callable[..., tuple[int | None, str]]) -> Callable[..., dict[str, int]]:
    """status(**spawn_kwargs): the status fields of a command spawned with those arguments."""

    def _status(**kwargs: Any) -> dict[str, int]:
        code, out = capture(STATUS, **kwargs)
        assert code == 0, out
        return parse_status(out)

    return _status


# ---- Defaults --------------------------------------------------------------------------------


def test_rootfs_container_gets_dockers_default_and_no_new_privs(status, rootfs: Path) -> None:
    s = status(namespaces=NS, root=rootfs)
    assert s["CapBnd"] == s["CapEff"] == s["CapPrm"] == DOCKER_DEFAULT_MASK, s
    assert s["CapInh"] == s["CapAmb"] == 0, s
    assert s["NoNewPrivs"] == 1
    assert mask(Capabilities.docker_default().effective) == DOCKER_DEFAULT_MASK


def test_plain_spawn_keeps_the_callers_capabilities(status) -> None:
    for kwargs in ({}, {"namespaces": "uts,ipc"}):
        s = status(**kwargs)
        assert s["CapEff"] == s["CapPrm"] == OWN["CapEff"], (kwargs, s)
        assert s["CapBnd"] == OWN["CapBnd"] and s["CapAmb"] == 0, (kwargs, s)
        assert s["NoNewPrivs"] == 0, (kwargs, s)


# ---- Choosing them ---------------------------------------------------------------------------


@pytest.mark.parametrize("root", [False, True], ids=["plain", "rootfs"])
def test_capabilities_of(status, rootfs: Path, root: bool) -> None:
    extra: dict[str, Any] = {"namespaces": NS, "root": rootfs} if root else {}
    s = status(capabilities=Capabilities.of(["CHOWN", "NET_RAW"]), **extra)
    assert s["CapBnd"] == s["CapEff"] == s["CapPrm"] == 0x2001, s
    assert s["CapInh"] == s["CapAmb"] == 0, s


def test_cap_drop_all(status) -> None:
    s = status(cap_drop=["ALL"])
    assert [s[f] for f in ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb")] == [0] * 5, s


def test_cap_add_and_cap_drop_combine_as_docker_does(status, rootfs: Path) -> None:
    # The drops first, then the additions.
    assert status(cap_drop=["ALL"], cap_add=["CHOWN"])["CapEff"] == 1 << CAP_CHOWN
    both = status(cap_add=["NET_RAW"], cap_drop=["NET_RAW", "KILL"])["CapEff"]
    assert both == DOCKER_DEFAULT_MASK & ~(1 << CAP_KILL)
    # With ALL added, the drops win.
    assert status(cap_add=["ALL"], cap_drop=["CHOWN"])["CapEff"] == OWN["CapBnd"] & ~(1 << CAP_CHOWN)
    # From Docker's default set, in a rootfs container and a plain spawn alike; any spelling.
    for extra in ({}, {"namespaces": NS, "root": rootfs}):
        s = status(cap_add=["sys_admin"], cap_drop=["CAP_NET_RAW"], **extra)
        expected = (DOCKER_DEFAULT_MASK | 1 << CAP_SYS_ADMIN) & ~(1 << CAP_NET_RAW)
        assert s["CapBnd"] == s["CapEff"] == s["CapPrm"] == expected, (extra, s)
    # They adjust capabilities= when both are given.
    s = status(capabilities=Capabilities.of(["CHOWN", "NET_RAW"]), cap_add=["KILL"], cap_drop=["NET_RAW"])
    assert s["CapEff"] == 1 << CAP_CHOWN | 1 << CAP_KILL, s


def test_privileged(status, rootfs: Path) -> None:
    s = status(namespaces=NS, root=rootfs, privileged=True)
    assert s["CapBnd"] == s["CapEff"] == s["CapPrm"] == OWN["CapBnd"], s
    assert s["NoNewPrivs"] == 0
    assert status(namespaces=NS, root=rootfs, privileged=True, no_new_privileges=True)["NoNewPrivs"] == 1
    s = status(namespaces=NS, root=rootfs, privileged=True, cap_drop=["SYS_ADMIN"])
    assert s["CapEff"] == OWN["CapBnd"] & ~(1 << CAP_SYS_ADMIN), s


def test_sets_are_limited_to_the_callers_bounding_set(status) -> None:
    s = status(capabilities=Capabilities.all())
    assert s["CapBnd"] == s["CapEff"] == OWN["CapBnd"], s
    if not OWN["CapBnd"] >> CAP_SYS_RESOURCE & 1:
        s = status(capabilities=Capabilities.of(["SYS_RESOURCE", "CHOWN"]))
        assert s["CapEff"] == 1 << CAP_CHOWN, s


def test_no_new_privileges(status, rootfs: Path) -> None:
    assert status(no_new_privileges=True)["NoNewPrivs"] == 1
    assert status(no_new_privileges=False)["NoNewPrivs"] == 0
    assert status(namespaces=NS, root=rootfs, no_new_privileges=False)["NoNewPrivs"] == 0
    assert status(namespaces=NS, root=rootfs, no_new_privileges=None)["NoNewPrivs"] == 1


# ---- A dropped capability denies ---------------------------------------------------------------


def test_without_net_raw_a_raw_socket_is_refused(capture) -> None:
    script = textwrap.dedent(
        """
        import socket
        try:
            socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
            print("opened")
        except PermissionError as e:
            print("denied", e.errno)
        """
    )
    assert capture([sys.executable, "-c", script]) == (0, "opened\n")
    code, out = capture([sys.executable, "-c", script], cap_drop=["NET_RAW"])
    assert (code, out.split()[0]) == (0, "denied"), out


def test_without_sys_admin_the_hostname_cannot_change(capture) -> None:
    script = "hostname nscore-renamed 2>/dev/null && hostname || echo denied"
    assert capture(["sh", "-c", script], namespaces="uts") == (0, "nscore-renamed\n")
    assert capture(["sh", "-c", script], namespaces="uts", cap_drop=["SYS_ADMIN"]) == (0, "denied\n")


def test_without_chown_a_file_cannot_be_given_away(capture, tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    code, out = capture(["sh", "-c", f"chown 1234 {target} 2>&1 || echo denied"], cap_drop=["CHOWN"])
    assert (code, out.splitlines()[-1]) == (0, "denied"), out
    assert target.stat().st_uid == 0
    assert capture(["chown", "1234", str(target)]) == (0, "")
    assert target.stat().st_uid == 1234


def test_non_root_user_keeps_an_ambient_capability(capture, status) -> None:
    nbs = {"CAP_NET_BIND_SERVICE"}
    # The kernel keeps an inheritable capability only within the bounding set.
    caps = Capabilities(bounding=nbs, effective=nbs, permitted=nbs, inheritable=nbs, ambient=nbs)
    # sh, then grep: the set survives an exec as uid 1000.
    code, out = capture(["sh", "-c", "id -u; " + shlex.join(STATUS)], user=User(1000, 1000), capabilities=caps)
    assert code == 0, out
    uid, rest = out.split("\n", 1)
    s = parse_status(rest)
    assert uid == "1000"
    assert s["CapAmb"] == s["CapEff"] == s["CapPrm"] == s["CapInh"] == 1 << CAP_NET_BIND_SERVICE, s
    # Without it, the same user has none.
    assert status(user=User(1000, 1000))["CapEff"] == 0
    # And it works: port 80 in a new network namespace (where ports below 1024 are privileged).
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        pytest.skip(f"{python} is needed to bind as uid 1000")
    script = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 80)); print('bound')"
    argv = [python, "-c", script]
    kwargs: dict[str, Any] = {
        "namespaces": "net",
        "user": User(1000, 1000),
        "env": {"PATH": "/usr/bin:/bin"},
        "cwd": "/",
    }
    assert capture(argv, capabilities=caps, **kwargs) == (0, "bound\n")
    code, out = capture(argv, **kwargs)
    assert code != 0 and "bound" not in out


# ---- Resource limits and the OOM score ---------------------------------------------------------


@pytest.mark.parametrize(
    "rlimits",
    [
        {"nofile": (100, 200)},
        {"RLIMIT_NOFILE": (100, 200)},
        [Rlimit("nofile", 100, 200)],
        (Rlimit("NOFILE", 100, 200),),
    ],
)
def test_rlimits(capture, rlimits: Any) -> None:
    assert capture(["sh", "-c", "ulimit -Sn; ulimit -Hn"], rlimits=rlimits) == (0, "100\n200\n")


def test_rlimit_forms_and_infinity(capture, rootfs: Path) -> None:
    script = "ulimit -Sc; ulimit -Hc; ulimit -Sf; ulimit -Hf"
    fsize = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    if fsize != resource.RLIM_INFINITY:
        pytest.skip("RLIMIT_FSIZE has a hard limit here")
    for limits in (
        {"core": 0, "fsize": RLIM_INFINITY},
        {"core": (0, 0), "fsize": -1},
        [Rlimit("core", 0, 0), Rlimit("fsize", RLIM_INFINITY, resource.RLIM_INFINITY)],
    ):
        assert capture(["sh", "-c", script], rlimits=limits) == (0, "0\n0\nunlimited\nunlimited\n"), limits
    # With a root filesystem too.
    code, out = capture(["sh", "-c", "ulimit -Sn; ulimit -Hn"], namespaces=NS, root=rootfs, rlimits={"nofile": 64})
    assert (code, out) == (0, "64\n64\n")


def test_raising_a_hard_limit_needs_sys_resource() -> None:
    if OWN["CapEff"] >> CAP_SYS_RESOURCE & 1:
        pytest.skip("this process has CAP_SYS_RESOURCE")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    before = children()
    with pytest.raises(nscore.NSCoreError, match="RLIMIT_NOFILE") as e:
        nscore.spawn(["true"], rlimits={"nofile": (hard + 1, hard + 1)})
    assert e.value.errno == errno.EPERM, repr(e.value)
    assert children() == before


def test_oom_score_adj(capture) -> None:
    assert capture(["cat", "/proc/self/oom_score_adj"], oom_score_adj=500) == (0, "500\n")
    own = int(Path("/proc/self/oom_score_adj").read_text())
    assert capture(["cat", "/proc/self/oom_score_adj"]) == (0, f"{own}\n")


# ---- credentials() ---------------------------------------------------------------------------


def test_credentials_of_a_container_in_a_user_namespace(spawn) -> None:
    nbs = {"CAP_NET_BIND_SERVICE"}
    caps = Capabilities(bounding=nbs, effective=nbs, permitted=nbs, inheritable=nbs, ambient=nbs)
    ranges = ["0:100000:65536"]
    c = spawn(["sleep", "30"], uid_mappings=ranges, gid_mappings=ranges, user=User(1000, 1001, (5,)))
    creds = nscore.credentials(c.pid)
    assert isinstance(creds, nscore.Credentials)
    assert creds.uids == (101000,) * 4 and creds.gids == (101001,) * 4
    assert creds.groups == (100005,)
    assert creds.uid_mappings == creds.gid_mappings == (IDMapping(0, 100000, 65536),)
    assert creds.user_namespace == nscore.namespace_id(c.pid, "user")
    assert creds.user_namespace != nscore.namespace_id(os.getpid(), "user")
    assert creds.parent == nscore.namespace_id(os.getpid(), "user")
    assert creds.owner == os.geteuid() and creds.setgroups == "allow"
    # A plain spawn keeps its capabilities; the kernel gives a new user namespace a full
    # bounding set, and uid 1000 keeps nothing else across its exec.
    assert creds.capabilities.effective == creds.capabilities.permitted == frozenset()
    assert creds.capabilities.bounding == Capabilities.all().bounding
    assert not creds.no_new_privileges

    c = spawn(
        ["sleep", "30"],
        uid_mappings=ranges,
        gid_mappings=ranges,
        user=User(1000, 1000),
        capabilities=caps,
        no_new_privileges=True,
    )
    creds = nscore.credentials(c)
    assert creds.uids == (101000,) * 4
    assert creds.capabilities == caps
    assert creds.no_new_privileges


def test_credentials_of_this_process() -> None:
    creds = nscore.credentials(os.getpid())
    assert creds.uids == (*os.getresuid(), os.geteuid())
    assert creds.gids[:3] == os.getresgid()
    assert set(creds.groups) == set(os.getgroups())
    assert creds.capabilities.effective == names(OWN["CapEff"])
    assert creds.capabilities.bounding == names(OWN["CapBnd"])
    assert creds.capabilities.ambient == creds.capabilities.inheritable == frozenset()
    assert creds.no_new_privileges == bool(OWN["NoNewPrivs"])
    assert creds.user_namespace == nscore.namespace_id(os.getpid(), "user")
    assert creds.parent is None  # the initial user namespace
    assert creds.uid_mappings == (IDMapping(0, 0, 4294967295),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        creds.owner = 5  # type: ignore[misc]


def test_credentials_of_a_missing_process(spawn) -> None:
    c = spawn(["true"])
    pid = c.pid
    c.wait(30)
    with pytest.raises(nscore.NotFoundError):
        nscore.credentials(pid)
    with pytest.raises(TypeError):
        nscore.credentials("1")  # type: ignore[arg-type]


# ---- Bad input: a clear message, nothing started ------------------------------------------------

VALID_NAMES = "the valid names are CAP_CHOWN, CAP_DAC_OVERRIDE"
BAD: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "unknown capability in cap_add": (
        {"cap_add": ["CHOWN", "FOO"]},
        nscore.InvalidArgumentError,
        f"cap_add: unknown capability 'FOO'; {VALID_NAMES}",
    ),
    "unknown capability in cap_drop": (
        {"cap_drop": ["net_rawr"]},
        nscore.InvalidArgumentError,
        f"cap_drop: unknown capability 'net_rawr'; {VALID_NAMES}",
    ),
    "unknown capability in capabilities": (
        {"capabilities": Capabilities.of(["CHOWN", "NOPE"])},
        nscore.InvalidArgumentError,
        f"capabilities.bounding: unknown capability 'CAP_NOPE'; {VALID_NAMES}",
    ),
    "unknown capability in one set": (
        {"capabilities": Capabilities(ambient={"CAP_NOPE"})},
        nscore.InvalidArgumentError,
        "capabilities.ambient: unknown capability 'CAP_NOPE'",
    ),
    "effective not permitted": (
        {"capabilities": Capabilities(bounding={"CHOWN"}, effective={"CHOWN"})},
        nscore.InvalidArgumentError,
        "capabilities: effective has CAP_CHOWN, which is not permitted",
    ),
    "ambient not inheritable": (
        {"capabilities": Capabilities(bounding={"CHOWN"}, permitted={"CHOWN"}, ambient={"CHOWN"})},
        nscore.InvalidArgumentError,
        "capabilities: ambient has CAP_CHOWN, which is not both permitted and inheritable",
    ),
    "privileged with capabilities": (
        {"privileged": True, "capabilities": Capabilities.all()},
        nscore.InvalidArgumentError,
        "privileged=True and capabilities= are exclusive",
    ),
    "unknown rlimit type": (
        {"rlimits": {"nofile": 10, "bogus": 1}},
        nscore.InvalidArgumentError,
        "rlimits: unknown resource 'bogus'; the valid ones are RLIMIT_CPU, RLIMIT_FSIZE",
    ),
    "soft above hard": (
        {"rlimits": {"nofile": (200, 100)}},
        nscore.InvalidArgumentError,
        "rlimits: RLIMIT_NOFILE soft limit 200 is above its hard limit 100",
    ),
    "soft above hard (Rlimit)": (
        {"rlimits": [Rlimit("core", 5, 1)]},
        nscore.InvalidArgumentError,
        "rlimits: RLIMIT_CORE soft limit 5 is above its hard limit 1",
    ),
    "a resource twice": (
        {"rlimits": {"nofile": 10, "RLIMIT_NOFILE": 10}},
        nscore.InvalidArgumentError,
        "rlimits: 'RLIMIT_NOFILE' and 'nofile' are the same resource",
    ),
    "a limit past uint64": (
        {"rlimits": {"nofile": (1, 2**64)}},
        nscore.InvalidArgumentError,
        "rlimits['nofile'] hard: 18446744073709551616 is not a number from 0 to 18446744073709551615",
    ),
    "a negative limit": (
        {"rlimits": {"nofile": -2}},
        nscore.InvalidArgumentError,
        "rlimits['nofile']: -2 is not a number from 0",
    ),
    "a tuple of three": (
        {"rlimits": {"nofile": (1, 2, 3)}},
        nscore.InvalidArgumentError,
        "rlimits['nofile']: (1, 2, 3) has 3 items; expected (soft, hard)",
    ),
    "oom_score_adj 2000": (
        {"oom_score_adj": 2000},
        nscore.InvalidArgumentError,
        "oom_score_adj: 2000 is out of range (-1000 to 1000)",
    ),
    "oom_score_adj past int": (
        {"oom_score_adj": -(2**40)},
        nscore.InvalidArgumentError,
        "oom_score_adj: -1099511627776 is out of range (-1000 to 1000)",
    ),
    "a NUL in a capability name": (
        {"cap_add": ["CHOWN\0"]},
        nscore.InvalidArgumentError,
        "cap_add[0]: 'CHOWN\\x00' contains a NUL byte",
    ),
    "a lone string for cap_add": (
        {"cap_add": "CHOWN"},
        TypeError,
        "cap_add must be a sequence of capability names, not a single str",
    ),
    "a number in cap_drop": (
        {"cap_drop": ["CHOWN", 13]},
        TypeError,
        "cap_drop[1] must be a str such as 'CAP_CHOWN', not int",
    ),
    "capabilities as a list": (
        {"capabilities": ["CHOWN"]},
        TypeError,
        "capabilities must be an nscore.Capabilities or None, not list",
    ),
    "privileged as an int": ({"privileged": 1}, TypeError, "privileged must be a bool, not int"),
    "no_new_privileges as a str": (
        {"no_new_privileges": "yes"},
        TypeError,
        "no_new_privileges must be a bool or None, not str",
    ),
    "oom_score_adj as a float": ({"oom_score_adj": 1.5}, TypeError, "oom_score_adj must be an int or None, not float"),
    "oom_score_adj as a bool": ({"oom_score_adj": True}, TypeError, "oom_score_adj must be an int or None, not bool"),
    "a single Rlimit": (
        {"rlimits": Rlimit("nofile", 1, 2)},
        TypeError,
        "rlimits must be a mapping or a sequence of nscore.Rlimit, not a single Rlimit",
    ),
    "a tuple in the rlimit sequence": (
        {"rlimits": [("nofile", 1, 2)]},
        TypeError,
        "rlimits[0] must be an nscore.Rlimit, not tuple",
    ),
    "a string limit": (
        {"rlimits": {"nofile": "1024"}},
        TypeError,
        "rlimits['nofile'] must be an int (soft and hard) or a (soft, hard) tuple, not str",
    ),
    "a float in a pair": ({"rlimits": {"nofile": (1, 2.0)}}, TypeError, "rlimits['nofile'] hard must be an int"),
    "a number as the rlimit type": ({"rlimits": {7: 1}}, TypeError, "rlimits keys must be str"),
    "rlimits as a number": ({"rlimits": 5}, TypeError, "rlimits must be a mapping or a sequence of nscore.Rlimit"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_and_starts_nothing(case: str, rootfs: Path) -> None:
    kwargs, cls, needle = BAD[case]
    for extra in ({}, {"namespaces": NS, "root": rootfs}):
        assert_refused(cls, needle, **kwargs, **extra)


def test_unknown_names_are_listed() -> None:
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.spawn(["true"], cap_add=["CAP_NOPE"])
    listed = str(info.value).split("the valid names are ", 1)[1]
    assert set(_CAPABILITY_NAMES) <= set(listed.replace(" (or ALL)", "").split(", "))
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.spawn(["true"], rlimits={"files": 1})
    assert "RLIMIT_NOFILE" in str(info.value) and "RLIMIT_RTTIME" in str(info.value)


# ---- The value classes --------------------------------------------------------------------------


def test_capabilities_value() -> None:
    c = Capabilities.of(["chown", "CAP_NET_RAW", "NET_RAW"])
    assert c.bounding == c.effective == c.permitted == frozenset({"CAP_CHOWN", "CAP_NET_RAW"})
    assert c.inheritable == c.ambient == frozenset()
    assert c == Capabilities(bounding=["CHOWN", "NET_RAW"], effective={"chown", "net_raw"}, permitted=c.permitted)
    assert len({c, Capabilities.of(["NET_RAW", "CHOWN"])}) == 1
    assert Capabilities() == Capabilities.of([])
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.ambient = frozenset()  # type: ignore[misc]
    assert mask(Capabilities.docker_default().bounding) == DOCKER_DEFAULT_MASK
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    every = Capabilities.all()
    assert every.effective == frozenset(_CAPABILITY_NAMES[: last + 1]) and every.ambient == frozenset()
    assert Capabilities.of(["ALL"]) == every and Capabilities(ambient=["all"]).ambient == every.effective
    assert repr(Capabilities.of(["KILL", "CHOWN"])) == (
        "Capabilities(bounding={'CAP_CHOWN', 'CAP_KILL'}, effective={'CAP_CHOWN', 'CAP_KILL'}, "
        "inheritable=frozenset(), permitted={'CAP_CHOWN', 'CAP_KILL'}, ambient=frozenset())"
    )
    assert eval(repr(c), {"Capabilities": Capabilities}) == c
    with pytest.raises(TypeError, match="Capabilities.effective must be a sequence of capability names, not a single"):
        Capabilities(effective="CHOWN")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Capabilities.of\(names\)\[0\] must be a str"):
        Capabilities.of([b"CHOWN"])  # type: ignore[list-item]


def test_rlimit_value() -> None:
    r = Rlimit("nofile", 1024, 2048)
    assert (r.type, r.soft, r.hard) == ("nofile", 1024, 2048) and str(r) == "nofile=1024:2048"
    assert Rlimit("core", -1, resource.RLIM_INFINITY) == Rlimit("core", RLIM_INFINITY, RLIM_INFINITY)
    assert str(Rlimit("core", 0, RLIM_INFINITY)) == "core=0:unlimited"
    assert RLIM_INFINITY == 2**64 - 1 == nscore._ffi.RLIM_INFINITY
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.soft = 1  # type: ignore[misc]
    with pytest.raises(TypeError, match="Rlimit.type must be a str"):
        Rlimit(7, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Rlimit\('nofile'\).soft must be an int"):
        Rlimit("nofile", "1", 1)  # type: ignore[arg-type]
    with pytest.raises(nscore.InvalidArgumentError, match=r"Rlimit\('nofile'\).hard: 18446744073709551616"):
        Rlimit("nofile", 1, 2**64)


def test_exports() -> None:
    for name in ("Capabilities", "Rlimit", "RLIM_INFINITY", "Credentials", "credentials"):
        assert name in nscore.__all__ and hasattr(nscore, name)
    assert nscore.Capabilities is nscore.security.Capabilities


def test_join_takes_none_of_them(spawn) -> None:
    target = spawn(["sleep", "30"], namespaces="uts")
    with pytest.raises(TypeError, match="cap_add"):
        nscore.join(target.pid, ["true"], cap_add=["CHOWN"])  # type: ignore[call-arg]


# ---- Unprivileged ------------------------------------------------------------------------------

ROOTLESS_SCRIPT = textwrap.dedent(
    """
    import os, nscore
    assert os.getuid() == 65534, os.getuid()

    r, w = os.pipe()
    try:
        c = nscore.spawn(["grep", "^CapEff:", "/proc/self/status"], map_root_user=True,
                         cap_drop=["ALL"], cap_add=["CHOWN"], stdout=w)
    finally:
        os.close(w)
    out = b""
    while chunk := os.read(r, 4096):
        out += chunk
    os.close(r)
    with c:
        code = c.wait(30)
    assert code == 0, (code, out)
    print(hex(int(out.split()[1], 16)))

    try:
        nscore.spawn(["true"], map_root_user=True, cap_add=["NOPE"])
    except nscore.InvalidArgumentError as e:
        assert "cap_add: unknown capability 'NOPE'" in str(e), e
    else:
        raise SystemExit("an unknown capability was accepted")
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        print("ok")
    """
)


def test_rootless_cap_drop_and_add(world_readable_copy: Path) -> None:
    result = run_as_nobody(world_readable_copy, ROOTLESS_SCRIPT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["0x1", "ok"], result.stdout
