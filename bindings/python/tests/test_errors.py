"""Bad input raises the specific exception class, with a message that names the bad value."""

from __future__ import annotations

import errno
import os
import pickle

import pytest

import nscore
from nscore import ErrorCode, Namespace
from nscore.errors import make_error

# ---- The exception classes themselves --------------------------------------------------------

CLASSES = [
    (ErrorCode.INVALID_ARGUMENT, nscore.InvalidArgumentError, ValueError),
    (ErrorCode.NOT_FOUND, nscore.NotFoundError, FileNotFoundError),
    (ErrorCode.PERMISSION_DENIED, nscore.PermissionDeniedError, PermissionError),
    (ErrorCode.UNSUPPORTED, nscore.UnsupportedError, None),
    (ErrorCode.CHILD_SETUP_FAILED, nscore.ChildSetupError, None),
    (ErrorCode.BUSY, nscore.BusyError, None),
    (ErrorCode.PROCESS_EXITED, nscore.ProcessExitedError, ProcessLookupError),
    (ErrorCode.TIMED_OUT, nscore.TimedOutError, TimeoutError),
]


@pytest.mark.parametrize(("code", "cls", "builtin"), CLASSES)
def test_error_classes(code: ErrorCode, cls: type, builtin: type | None) -> None:
    # An errno that OSError would map to a *different* builtin subclass: the class must stay ours.
    e = make_error(int(code), errno.EAGAIN, "stage-x", "a sentence")
    assert type(e) is cls
    assert isinstance(e, nscore.NSCoreError) and isinstance(e, OSError)
    if builtin is not None:
        assert isinstance(e, builtin)
    assert e.code == code and isinstance(e.code, ErrorCode)
    assert e.errno == errno.EAGAIN
    assert e.strerror == "a sentence" == str(e) == e.message
    assert e.stage == "stage-x"
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is cls
    assert (copy.code, copy.errno, copy.stage, str(copy)) == (code, errno.EAGAIN, "stage-x", "a sentence")


def test_error_code_values() -> None:
    assert [int(c) for c in ErrorCode] == list(range(-1, -10, -1))
    plain = nscore.NSCoreError(ErrorCode.NOT_FOUND, errno.ENOENT, "s", "m")
    assert type(plain) is nscore.NSCoreError  # no errno -> FileNotFoundError remapping
    assert make_error(-9, errno.EIO, "s", "m").code == ErrorCode.SYSTEM
    assert make_error(-42, 0, "s", "m").code == -42  # unknown codes survive


# ---- Errors from the library ------------------------------------------------------------------


def check(exc_info: pytest.ExceptionInfo[nscore.NSCoreError], cls: type, *needles: str) -> None:
    e = exc_info.value
    assert type(e) is cls, f"{type(e).__name__}: {e}"
    assert isinstance(e.code, ErrorCode) and e.code == cls.default_code
    assert isinstance(e.errno, int) and isinstance(e.stage, str) and e.stage
    assert str(e) == e.strerror and str(e)
    for needle in needles:
        assert needle in str(e), f"{needle!r} not in {str(e)!r}"


def test_empty_argv() -> None:
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.spawn([])
    check(info, nscore.InvalidArgumentError, "argv")


def test_missing_command() -> None:
    with pytest.raises(nscore.NotFoundError) as info:
        nscore.spawn(["nscore-no-such-command-xyz", "arg"])
    check(info, nscore.NotFoundError, "nscore-no-such-command-xyz")
    assert info.value.errno == errno.ENOENT
    # An explicit path that does not exist.
    with pytest.raises(FileNotFoundError) as info2:
        nscore.spawn(["/nonexistent/nscore-xyz"])
    assert "/nonexistent/nscore-xyz" in str(info2.value)


def test_hostname_too_long() -> None:
    name = "h" * 65
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.spawn(["true"], namespaces="uts", hostname=name)
    check(info, nscore.InvalidArgumentError, "hostname", "65")
    # 64 bytes is the limit, and fine.
    with nscore.spawn(["true"], namespaces="uts", hostname="h" * 64) as c:
        assert c.wait(30) == 0


def test_unknown_namespace_bits() -> None:
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.spawn(["true"], namespaces=Namespace(0x100))
    check(info, nscore.InvalidArgumentError, "0x100")


def test_bad_pid() -> None:
    with pytest.raises(nscore.NotFoundError) as info:
        nscore.join(999999999, ["true"])
    check(info, nscore.NotFoundError, "999999999")
    with pytest.raises(nscore.NotFoundError) as info:
        nscore.namespace_id(999999999, Namespace.NET)
    check(info, nscore.NotFoundError, "999999999")
    with pytest.raises(nscore.NotFoundError) as info:
        nscore.namespaces(999999999)
    check(info, nscore.NotFoundError, "999999999")


def test_bad_namespace_path() -> None:
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.join({Namespace.NET: "/etc/passwd"}, ["true"])
    check(info, nscore.InvalidArgumentError, "/etc/passwd")
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.namespace_id_at("/etc/passwd")
    check(info, nscore.InvalidArgumentError, "/etc/passwd")
    with pytest.raises(nscore.NotFoundError) as info:
        nscore.namespace_id_at("/nonexistent/nscore-ns")
    check(info, nscore.NotFoundError, "/nonexistent/nscore-ns")


def test_namespace_file_of_the_wrong_kind() -> None:
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.join({Namespace.NET: "/proc/self/ns/uts"}, ["true"])
    check(info, nscore.InvalidArgumentError, "/proc/self/ns/uts")


def test_bad_stdio_fd() -> None:
    assert not os.path.exists("/proc/self/fd/9999")
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.spawn(["true"], stdout=9999)
    check(info, nscore.InvalidArgumentError, "9999")


def test_bad_cwd_fails_in_the_child() -> None:
    with pytest.raises(nscore.NSCoreError) as info:
        nscore.spawn(["true"], cwd="/nonexistent/nscore-dir")
    assert isinstance(info.value, (nscore.NotFoundError, nscore.ChildSetupError))
    assert "/nonexistent/nscore-dir" in str(info.value)
    assert info.value.errno == errno.ENOENT


def test_single_kind_required() -> None:
    with pytest.raises(nscore.InvalidArgumentError):
        nscore.namespace_id(os.getpid(), Namespace.NET | Namespace.UTS)
    with pytest.raises(nscore.InvalidArgumentError):
        nscore.persist(os.getpid(), Namespace(0), "/tmp/nscore-never-created")
    assert not os.path.exists("/tmp/nscore-never-created")


def test_settings_that_need_their_namespace() -> None:
    # A hostname without a new UTS namespace would change the host's: refused.
    with pytest.raises(nscore.InvalidArgumentError) as info:
        nscore.spawn(["true"], hostname="nscore-never")
    assert "uts" in str(info.value).lower() or "UTS" in str(info.value)
    # A propagation of / other than the default needs a new mount namespace to apply to.
    with pytest.raises(nscore.InvalidArgumentError, match="needs a new mount namespace"):
        nscore.spawn(["true"], namespaces="pid", root_propagation="shared")
    # The default and None (unchanged) are accepted without one.
    for propagation in ("private", None):
        with nscore.spawn(["true"], root_propagation=propagation) as c:
            assert c.wait(30) == 0


# ---- Errors raised by the bindings before calling C ----------------------------------------


@pytest.mark.parametrize(
    "argv",
    [[1], ["true", None], [["nested"]], 5, None],
)
def test_argv_types(argv: object) -> None:
    with pytest.raises(TypeError):
        nscore.spawn(argv)  # type: ignore[arg-type]


def test_nul_bytes_are_invalid_arguments() -> None:
    for kwargs in ({}, {"namespaces": "uts", "hostname": "a\0b"}, {"cwd": "/tmp\0x"}, {"env": {"A": "1\0"}}):
        argv = ["tr\0ue"] if not kwargs else ["true"]
        with pytest.raises(nscore.InvalidArgumentError) as info:
            nscore.spawn(argv, **kwargs)
        assert isinstance(info.value, ValueError)
        assert "NUL" in str(info.value)


def test_other_python_side_checks() -> None:
    with pytest.raises(nscore.InvalidArgumentError, match="'bogus'"):
        nscore.spawn(["true"], namespaces="net,bogus")
    with pytest.raises(nscore.InvalidArgumentError, match="'sideways'"):
        nscore.spawn(["true"], namespaces="mnt", root_propagation="sideways")
    with pytest.raises(TypeError):
        nscore.spawn(["true"], stdin=True)
    with pytest.raises(TypeError):
        nscore.spawn(["true"], stdout=object())
    with pytest.raises(nscore.InvalidArgumentError):
        nscore.spawn(["true"], stdout=-7)
    with pytest.raises(nscore.InvalidArgumentError):
        nscore.spawn(["true"], env={"A=B": "1"})
    with pytest.raises(TypeError):
        nscore.join("1234", ["true"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        nscore.join({Namespace.NET: "/proc/self/ns/net"}, ["true"], namespaces="net")
    with nscore.spawn(["true"]) as c:
        with pytest.raises(nscore.InvalidArgumentError):
            c.wait(-1)
        assert c.wait(30) == 0


def test_namespace_parsing() -> None:
    assert Namespace.parse("net,uts") == Namespace.NET | Namespace.UTS
    assert Namespace.parse(" Network , MOUNT ") == Namespace.NET | Namespace.MNT
    assert Namespace.parse("all") == Namespace.ALL
    assert Namespace.parse("") == Namespace(0)
    assert Namespace.coerce(["pid", Namespace.MNT, 1]) == Namespace.PID | Namespace.MNT | Namespace.UTS
    assert str(Namespace.NET | Namespace.UTS) == "uts,net"
    assert Namespace.parse(str(Namespace.ALL)) == Namespace.ALL
    assert [k.proc_name for k in Namespace.ALL.kinds] == ["uts", "ipc", "pid", "net", "mnt", "user", "cgroup", "time"]
    assert int(Namespace.ALL) == 0xFF
    with pytest.raises(ValueError):
        _ = (Namespace.NET | Namespace.UTS).proc_name
