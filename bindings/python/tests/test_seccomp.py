"""Seccomp profiles (spawn(seccomp=...), nscore.Seccomp, container.seccomp_listener,
nscore.seccomp_receive / seccomp_respond).

Most cases run a small Python probe in the container: it makes each raw syscall it is given
("getppid", "getpgid:ARG", "mkdir:PATH") and prints "NAME RESULT ERRNO", so a case sees exactly
what the filter did; a SIGSYS handler prints "trap" (for the TRAP action) and the probe is not
dumpable, so a SIGSYS kill leaves no core file. The default profile of a container with a root
filesystem is read from outside (/proc/PID/status "Seccomp: 2") while it runs. Bad input raises
before anything is started, leaving no child process; nothing leaks an fd.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import struct
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
from nscore import Seccomp, SeccompAction, SeccompArg, SeccompFlag, SeccompOperator

MAKE_ROOTFS = REPO / "tools" / "make-test-rootfs.sh"
#: A container's usual namespaces with a root filesystem.
NS = "mnt,pid,ipc,uts"
AUDIT_ARCH_X86_64 = 0xC000003E

#: Makes each syscall of argv[1:] and prints "NAME RESULT ERRNO" ("ok" for a pid result).
PROBE = textwrap.dedent(
    r"""
    import ctypes, os, platform, signal, sys
    NUMBERS = {"x86_64": {"getppid": 110, "getpgid": 121, "mkdir": 83},
               "aarch64": {"getppid": 173, "getpgid": 155, "mkdirat": 34}}
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: a SIGSYS kill dumps no core
    def trapped(signum, frame):
        print("trap", flush=True)
        os._exit(0)
    signal.signal(signal.SIGSYS, trapped)
    nr = NUMBERS[platform.machine()]
    for call in sys.argv[1:]:
        name, _, arg = call.partition(":")
        ctypes.set_errno(0)
        if name == "mkdir" and "mkdir" in nr:
            r = libc.syscall(ctypes.c_long(nr["mkdir"]), arg.encode(), ctypes.c_long(0o755))
        elif name == "mkdir":
            r = libc.syscall(ctypes.c_long(nr["mkdirat"]), ctypes.c_long(-100), arg.encode(), ctypes.c_long(0o755))
        else:
            r = libc.syscall(ctypes.c_long(nr[name]), ctypes.c_long(int(arg, 0) if arg else 0))
        e = ctypes.get_errno() if r == -1 else 0
        print(name, "ok" if r >= 0 and name != "mkdir" else r, e, flush=True)
    """
)


def probe_argv(*calls: str) -> list[str]:
    return [sys.executable, "-S", "-c", PROBE, *calls]


@pytest.fixture
def probe(capture: Callable[..., tuple[int | None, str]]) -> Callable[..., tuple[int | None, list[str]]]:
    """probe(*calls, **spawn_kwargs) -> (returncode, output lines)."""

    def _probe(*calls: str, **kwargs: Any) -> tuple[int | None, list[str]]:
        code, out = capture(probe_argv(*calls), **kwargs)
        return code, out.splitlines()

    return _probe


@pytest.fixture(scope="module")
def rootfs() -> Iterator[Path]:
    """A root filesystem from the host's binaries (sh, sleep, ...), 0755 so any uid can use it."""
    base = Path(tempfile.mkdtemp(prefix="nscore-seccomp-test-"))
    try:
        base.chmod(0o755)
        path = base / "rootfs"
        result = subprocess.run(["bash", str(MAKE_ROOTFS), str(path)], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        yield path
    finally:
        shutil.rmtree(base)


def seccomp_mode(pid: int) -> int:
    """The "Seccomp:" field of /proc/PID/status: 0 none, 2 filter."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Seccomp:"):
            return int(line.split()[1])
    raise AssertionError(f"/proc/{pid}/status has no Seccomp line")


# ---- Actions -------------------------------------------------------------------------------


def test_errno_rule(probe) -> None:
    profile = Seccomp("allow").add_rule("getppid", "errno", errno=77)
    code, lines = probe("getppid", "getpgid:0", seccomp=profile)
    assert (code, lines) == (0, ["getppid -1 77", "getpgid ok 0"])
    # The spawn copied the profile: it may change or go away now.
    profile.add_rule("getpgid", "errno", errno=5)
    profile.close()
    assert profile.closed
    # errno= defaults to EPERM, as OCI's errnoRet.
    code, lines = probe("getppid", seccomp=Seccomp("allow").add_rule(["getppid"], SeccompAction.ERRNO))
    assert lines == [f"getppid -1 {errno.EPERM}"]
    # No seccomp= and no root: no filter.
    assert probe("getppid") == (0, ["getppid ok 0"])


@pytest.mark.parametrize("action", ["kill_process", "kill_thread", "SCMP_ACT_KILL", SeccompAction.KILL_PROCESS])
def test_kill_actions(probe, action: Any) -> None:
    code, lines = probe("getpgid:0", "getppid", "getpgid:0", seccomp=Seccomp("allow").add_rule("getppid", action))
    assert code == -signal.SIGSYS
    assert lines == ["getpgid ok 0"]


def test_trap_trace_log_allow(probe) -> None:
    calls = ("getpgid:0", "getppid", "getpgid:0")
    assert probe(*calls, seccomp=Seccomp("allow").add_rule("getppid", "trap")) == (0, ["getpgid ok 0", "trap"])
    # TRACE without a tracer: ENOSYS.
    traced = Seccomp("allow").add_rule("getppid", "trace", trace=7)
    assert probe(*calls, seccomp=traced) == (0, ["getpgid ok 0", f"getppid -1 {errno.ENOSYS}", "getpgid ok 0"])
    for action in ("log", "allow", SeccompAction.LOG):
        allowed = Seccomp("allow").add_rule("getppid", action)
        assert probe(*calls, seccomp=allowed) == (0, ["getpgid ok 0", "getppid ok 0", "getpgid ok 0"])


def test_argument_comparisons(probe) -> None:
    profile = Seccomp("allow")
    profile.add_rule("getpgid", "errno", errno=11, args=[(0, "masked_eq", 0xFF00, 0x1200)])
    profile.add_rule("getpgid", "errno", errno=12, args=[{"index": 0, "op": "SCMP_CMP_GE", "value": 2**32}])
    profile.add_rule("getpgid", "errno", errno=14, args=[SeccompArg(0, SeccompOperator.EQ, 7)])
    # One argument compared twice: either comparison matches.
    profile.add_rule("getpgid", "errno", errno=15, args=[(0, ">", 0xFFFF), (0, "<=", 0x10000)])
    calls = ("getpgid:0", "getpgid:0x1234", "getpgid:0x10000", "getpgid:0x100000001", "getpgid:7")
    code, lines = probe(*calls, seccomp=profile)
    assert code == 0
    assert lines == ["getpgid -1 15", "getpgid -1 11", "getpgid -1 15", "getpgid -1 12", "getpgid -1 14"]
    rules = profile.to_dict()["syscalls"]
    assert rules[0]["args"] == [{"index": 0, "value": 0xFF00, "valueTwo": 0x1200, "op": "SCMP_CMP_MASKED_EQ"}]
    ne = Seccomp("allow").add_rule("getpgid", "errno", errno=21, args=[(0, "<", 8)])
    ne.add_rule("getpgid", "errno", errno=22, args=[(0, SeccompOperator.NE, 0)])
    assert probe("getpgid:0", "getpgid:7", "getpgid:9", seccomp=ne)[1] == [
        "getpgid -1 21",
        "getpgid -1 21",
        "getpgid -1 22",
    ]


def test_spawn_takes_a_dict_json_text_and_bytes(probe) -> None:
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77}],
    }
    for value in (profile, json.dumps(profile), json.dumps(profile).encode(), {"linux": {"seccomp": profile}}):
        assert probe("getppid", seccomp=value) == (0, ["getppid -1 77"]), value


# ---- Notifications ---------------------------------------------------------------------------


def test_notify(spawn, pipes, tmp_path: Path) -> None:
    tmp_path.chmod(0o777)
    a, b, c_ = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    held = Seccomp("allow").add_rule(["mkdir", "mkdirat"], "notify")
    assert held.install_flags == 8  # SECCOMP_FILTER_FLAG_NEW_LISTENER
    r, w = pipes()
    c = spawn(probe_argv(f"mkdir:{a}", f"mkdir:{b}", f"mkdir:{c_}"), seccomp=held, stdout=w)
    os.close(w)
    listener = c.seccomp_listener
    assert isinstance(listener, int) and listener >= 3
    assert os.get_inheritable(listener) is False

    n = nscore.seccomp_receive(listener, timeout=30)
    assert n.pid == c.pid and n.name in ("mkdir", "mkdirat")
    assert n.name == nscore.syscall_name(n.arch, n.nr)
    if n.arch == AUDIT_ARCH_X86_64:
        assert n.name == "mkdir" and n.args[1] == 0o755
    assert len(n.args) == 6
    with pytest.raises(nscore.InvalidArgumentError, match="1 to 4095"):
        nscore.seccomp_respond(listener, n, error=0)
    with pytest.raises(TypeError):
        nscore.seccomp_respond(listener, n, error=1, value=2)
    nscore.seccomp_respond(listener, n, error=errno.EACCES)
    # Answered already: EINPROGRESS until the thread took the answer, ENOENT after.
    with pytest.raises((nscore.BusyError, nscore.NotFoundError)):
        nscore.seccomp_respond(listener, n.id, value=0)
    with pytest.raises(nscore.NotFoundError, match="is gone"):
        nscore.seccomp_respond(listener, n.id ^ 0x5A5A, value=0)

    n = nscore.seccomp_receive(c, timeout=30)  # the Container itself works too
    nscore.seccomp_respond(c, n.id, value=0)
    n = nscore.seccomp_receive(listener, timeout=30)
    nscore.seccomp_respond(listener, n)  # neither error= nor value=: the call runs

    out = b""
    while chunk := os.read(r, 4096):
        out += chunk
    assert c.wait(30) == 0
    assert out.decode().splitlines() == [f"mkdir -1 {errno.EACCES}", "mkdir 0 0", "mkdir 0 0"]
    assert not a.exists() and not b.exists() and c_.is_dir()
    # Every process of the filter is gone: the listener hangs up.
    with pytest.raises(nscore.ProcessExitedError, match="no process uses the filter"):
        nscore.seccomp_receive(listener, timeout=5)
    c.close()
    assert c.seccomp_listener is None


def test_receive_times_out(spawn) -> None:
    held = Seccomp("allow").add_rule("mkdir", "notify")
    c = spawn(["sleep", "30"], seccomp=held)
    with pytest.raises(nscore.TimedOutError, match="within 0.2 s"):
        nscore.seccomp_receive(c.seccomp_listener, timeout=0.2)


def test_no_listener_without_a_notify_rule(spawn) -> None:
    c = spawn(["true"], seccomp=Seccomp("allow").add_rule("getppid", "errno"))
    assert c.seccomp_listener is None
    with pytest.raises(nscore.InvalidArgumentError, match="no seccomp listener"):
        nscore.seccomp_receive(c)
    with pytest.raises(nscore.InvalidArgumentError, match="-1 is not a file descriptor"):
        nscore.seccomp_receive(-1)
    with pytest.raises(TypeError):
        nscore.seccomp_respond("3", 1)
    c.wait(30)


def test_syscall_name() -> None:
    if os.uname().machine == "x86_64":
        assert nscore.syscall_name(AUDIT_ARCH_X86_64, 110) == "getppid"
        assert nscore.syscall_name(0x40000003, 20) == "getpid"  # i386
    assert nscore.syscall_name(0xC00000B7, 34) == "mkdirat"  # aarch64
    assert nscore.syscall_name(AUDIT_ARCH_X86_64, 100000) is None
    assert nscore.syscall_name(0, 0) is None
    assert nscore.syscall_name(-1, 0) is None


# ---- The default profile and unconfined ----------------------------------------------------------


def test_default_profile_of_a_rootfs_container(spawn, rootfs: Path) -> None:
    c = spawn(["sleep", "30"], namespaces=NS, root=rootfs)
    assert seccomp_mode(c.pid) == 2
    assert seccomp_mode(os.getpid()) == 0
    assert seccomp_mode(spawn(["sleep", "30"], namespaces=NS, root=rootfs, seccomp="unconfined").pid) == 0
    assert seccomp_mode(spawn(["sleep", "30"], namespaces=NS, root=rootfs, seccomp="default").pid) == 2
    assert seccomp_mode(spawn(["sleep", "30"], namespaces=NS, root=rootfs, seccomp=Seccomp.default()).pid) == 2
    # Without a root: none by default, the default profile when asked for.
    assert seccomp_mode(spawn(["sleep", "30"]).pid) == 0
    assert seccomp_mode(spawn(["sleep", "30"], seccomp="default").pid) == 2


def test_default_profile_refuses_what_docker_refuses(capture) -> None:
    # unshare(CLONE_NEWUSER) needs no capability, but without CAP_SYS_ADMIN (which Docker's
    # default set lacks) the default profile does not list unshare: EPERM.
    script = "import ctypes; l = ctypes.CDLL(None, use_errno=True); print(l.unshare(0x10000000), ctypes.get_errno())"
    argv = [sys.executable, "-S", "-c", script]
    if capture(argv, cap_drop=["ALL"]) != (0, "0 0\n"):
        pytest.skip("this kernel does not let a process without capabilities create a user namespace")
    assert capture(argv, cap_drop=["ALL"], seccomp="default") == (0, f"-1 {errno.EPERM}\n")
    # With CAP_SYS_ADMIN in the bounding set the default profile allows it.
    assert capture(argv, seccomp="default", capabilities=nscore.Capabilities.of(["SYS_ADMIN"])) == (0, "0 0\n")
    text = Seccomp.default().to_json()
    assert '"defaultAction":"SCMP_ACT_ERRNO"' in text and '"read"' in text


# ---- JSON in and out, compile -----------------------------------------------------------------


def test_json_round_trip() -> None:
    flags = SeccompFlag.LOG | SeccompFlag.SPEC_ALLOW
    profile = Seccomp("errno", errno=13, architectures=["x86_64", "SCMP_ARCH_AARCH64"], flags=flags)
    profile.add_rule(["read", "write"], "allow")
    profile.add_rule("getpgid", "errno", errno=9, args=[(0, "==", 5)])
    d = profile.to_dict()
    assert d == {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 13,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
        "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {
                "names": ["getpgid"],
                "action": "SCMP_ACT_ERRNO",
                "errnoRet": 9,
                "args": [{"index": 0, "value": 5, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
            },
        ],
    }
    assert Seccomp.from_dict(d).to_dict() == d
    assert Seccomp.from_json(profile.to_json()).to_json() == profile.to_json()
    assert "rules=2" in repr(profile)


BAD_JSON = [
    ('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid","fly"],"action":"SCMP_ACT_ERRNO"}]}',
     "syscalls[0].names[1]: unknown syscall 'fly'"),
    ('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO"},'
     '{"names":["getpgid"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_FOO"}]}]}',
     "syscalls[1].args[0].op: unknown operator 'SCMP_CMP_FOO'"),
    ('{"defaultAction":"SCMP_ACT_FLY"}', "defaultAction: unknown action 'SCMP_ACT_FLY'"),
    ('{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX"]}',
     "architectures[0]: unknown architecture 'SCMP_ARCH_VAX'"),
    ('{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_FLY"]}', "flags[0]: unknown flag"),
    ('{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":5000}', "errno 5000 is out of range"),
    ('{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/x.sock"}', "listenerPath"),
    ('{"defaultAction":"SCMP_ACT_ERRNO","archMap":[]}', "archMap"),
    ('{"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],'
     '"action":"SCMP_ACT_ERRNO","errnoRet":-1}]}}}', "linux.seccomp.syscalls[0].errnoRet"),
    ('{"defaultAction":', "not valid JSON: line 1, column 18"),
    ("", "not valid JSON"),
    ("[1]", "expected an object"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "needle"), BAD_JSON)
def test_bad_json_names_the_place(text: str, needle: str) -> None:
    with pytest.raises(nscore.InvalidArgumentError) as info:
        Seccomp.from_json(text)
    assert needle in str(info.value), str(info.value)
    assert isinstance(info.value, ValueError) and info.value.stage == "seccomp"


def test_bad_profiles_are_refused_before_spawning() -> None:
    before = children()
    with pytest.raises(nscore.InvalidArgumentError, match="syscalls\\[0\\].args\\[0\\].op: unknown operator"):
        rule = {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_SOON"}]}
        nscore.spawn(["true"], seccomp={"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule]})
    with pytest.raises(nscore.InvalidArgumentError, match="not valid JSON"):
        nscore.spawn(["true"], seccomp="{nope")
    with pytest.raises(nscore.InvalidArgumentError, match="cannot be written as JSON"):
        Seccomp.from_dict({"defaultAction": object()})
    assert children() == before


def test_compile() -> None:
    profile = Seccomp("allow").add_rule("getppid", "errno", errno=77)
    program = profile.compile()
    assert len(program) > 0 and len(program) % 8 == 0
    code, jt, jf, k = struct.unpack_from("<HBBI", program, 0)
    assert (code, k) == (0x20, 4)  # ld [4]: the architecture
    assert profile.install_flags == 0
    assert profile.set_flags(SeccompFlag.LOG).install_flags == 2
    default = Seccomp.default().compile()
    assert 50 < len(default) // 8 <= 4096


def test_refuses_a_profile_that_refuses_execve() -> None:
    no_exec = Seccomp("allow").add_rule("execve", "errno")
    assert_refused(nscore.InvalidArgumentError, "gives execve SCMP_ACT_ERRNO(1)", seccomp=no_exec)
    with pytest.raises(nscore.InvalidArgumentError, match="execve"):
        no_exec.compile()
    # Such a profile reads and writes fine: only compiling and spawning refuse it.
    partial = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}
    assert Seccomp.from_dict(partial).to_dict()["syscalls"][0]["names"] == ["read"]
    assert_refused(nscore.InvalidArgumentError, "gives execve SCMP_ACT_ERRNO(1)", seccomp=partial)
    assert_refused(nscore.InvalidArgumentError, "execve", seccomp=Seccomp("kill_process"))
    no_execveat = Seccomp("allow").add_rule("execveat", "kill_thread")
    assert_refused(nscore.InvalidArgumentError, "execveat", seccomp=no_execveat, init=True, namespaces="pid")


# ---- Bad input -------------------------------------------------------------------------------


def test_bad_input() -> None:
    with pytest.raises(nscore.InvalidArgumentError, match="unknown action 'fly'"):
        Seccomp("fly")
    with pytest.raises(nscore.InvalidArgumentError, match="9 is not a seccomp action"):
        Seccomp(9)
    with pytest.raises(TypeError):
        Seccomp(True)
    with pytest.raises(nscore.InvalidArgumentError, match="errno 4096 is out of range"):
        Seccomp("errno", errno=4096)
    with pytest.raises(nscore.InvalidArgumentError, match="errno= goes with the 'errno' action"):
        Seccomp("allow", errno=1)
    with pytest.raises(nscore.InvalidArgumentError, match="unknown architecture 'SCMP_ARCH_VAX'"):
        Seccomp("allow", architectures=["vax"])
    profile = Seccomp("allow")
    with pytest.raises(nscore.InvalidArgumentError, match="names\\[1\\]: unknown syscall 'fly'"):
        profile.add_rule(["getppid", "fly"], "errno")
    with pytest.raises(nscore.InvalidArgumentError, match="count is 0"):
        profile.add_rule([], "errno")
    with pytest.raises(nscore.InvalidArgumentError, match="unknown operator '~'"):
        profile.add_rule("getppid", "errno", args=[(0, "~", 1)])
    with pytest.raises(nscore.InvalidArgumentError, match="args\\[0\\].index is 6"):
        profile.add_rule("getppid", "errno", args=[(6, "==", 1)])
    with pytest.raises(nscore.InvalidArgumentError, match="trace= goes with the 'trace' action"):
        profile.add_rule("getppid", "errno", trace=1)
    with pytest.raises(TypeError):
        profile.add_rule("getppid", "errno", args=[(0, "==")])
    with pytest.raises(TypeError):
        profile.add_rule("getppid", "errno", args={"index": 0, "op": "=="})
    with pytest.raises(nscore.InvalidArgumentError, match="unknown flag bits 0x8"):
        profile.set_flags(8)
    # Nothing of the failed calls stayed.
    assert profile.to_dict()["syscalls"] == []
    with pytest.raises(TypeError):
        nscore.spawn(["true"], seccomp=42)  # type: ignore[arg-type]
    profile.close()
    profile.close()
    with pytest.raises(ValueError, match="closed"):
        profile.to_json()
    with pytest.raises(ValueError, match="closed"):
        nscore.spawn(["true"], seccomp=profile)
    with Seccomp("allow") as p:
        assert not p.closed
    assert p.closed


def test_no_leaks(spawn) -> None:
    def fds() -> list[str]:
        return sorted(os.listdir("/proc/self/fd"))

    held = Seccomp("allow").add_rule("mkdir", "notify")
    spawn(["true"], seccomp=held).wait(30)  # warm up
    before, kids = fds(), children()
    for _ in range(10):
        with nscore.spawn(["true"], seccomp=held) as c:
            assert c.seccomp_listener is not None
            c.wait(30)
        with pytest.raises(nscore.InvalidArgumentError):
            no_exec = {"names": ["execve"], "action": "SCMP_ACT_ERRNO"}
            nscore.spawn(["true"], seccomp={"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [no_exec]})
    assert fds() == before
    assert children() == kids


# ---- Rootless --------------------------------------------------------------------------------

ROOTLESS_SCRIPT = textwrap.dedent(
    r"""
    import os, sys, nscore
    probe, python = sys.argv[1], sys.argv[2]

    def run(calls, **kwargs):
        r, w = os.pipe()
        try:
            c = nscore.spawn([python, "-S", "-c", probe, *calls], stdout=w, **kwargs)
        finally:
            os.close(w)
        out = b""
        while chunk := os.read(r, 4096):
            out += chunk
        os.close(r)
        with c:
            return c.wait(30), out.decode().split("\n")[:-1]

    profile = nscore.Seccomp("allow").add_rule("getppid", "errno", errno=77)
    # In a user namespace the child may install a filter (CAP_SYS_ADMIN there).
    print(run(["getppid", "getpgid:0"], namespaces="user", map_root_user=True, seccomp=profile))
    # With no_new_privs it needs no namespace at all; with neither the kernel refuses it.
    print(run(["getppid"], no_new_privileges=True, seccomp=profile))
    try:
        nscore.spawn(["true"], seccomp=profile)
    except nscore.PermissionDeniedError as e:
        print("refused" if "install the filter" in str(e) else e)
    # The filter is in effect, seen from outside.
    with nscore.spawn(["sleep", "30"], namespaces="user", map_root_user=True, seccomp=profile) as c:
        with open(f"/proc/{c.pid}/status") as f:
            print([line.split()[1] for line in f if line.startswith("Seccomp:")])
        c.kill()
    # Notify works unprivileged too.
    held = nscore.Seccomp("allow").add_rule(["mkdir", "mkdirat"], "notify")
    r, w = os.pipe()
    c = nscore.spawn([python, "-S", "-c", probe, "mkdir:/nonexistent/x"], namespaces="user",
                     map_root_user=True, seccomp=held, stdout=w)
    os.close(w)
    n = nscore.seccomp_receive(c, timeout=30)
    nscore.seccomp_respond(c, n, error=62)
    print(n.name, os.read(r, 100).decode().strip(), c.wait(30))
    c.close()
    os.close(r)
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        print("ok")
    """
)


def test_rootless_spawn_with_a_profile(world_readable_copy: Path) -> None:
    # The probe's interpreter must be one uid 65534 can run (this one may live under /root).
    python = next(
        (p for p in ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3") if os.path.exists(p)), None
    )
    if python is None or os.stat(python).st_mode & 0o001 == 0:
        pytest.skip("no python3 that uid 65534 can run in /usr/bin, /usr/local/bin or /bin")
    result = run_as_nobody(world_readable_copy, ROOTLESS_SCRIPT, PROBE, python)
    assert result.returncode == 0, result.stdout + result.stderr
    mkdir = "mkdir" if os.uname().machine == "x86_64" else "mkdirat"
    assert result.stdout.splitlines() == [
        "(0, ['getppid -1 77', 'getpgid ok 0'])",
        "(0, ['getppid -1 77'])",
        "refused",
        "['2']",
        f"{mkdir} mkdir -1 62 0",
        "ok",
    ], result.stdout + result.stderr
