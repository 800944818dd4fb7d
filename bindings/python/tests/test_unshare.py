"""unshare() of the calling process. It changes the whole process, so every test runs it in a
fresh `python3 -c` child and checks that this process did not change."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest

import nscore


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=60
    )


def test_unshare_uts_changes_only_that_process(child_env) -> None:
    hostname = socket.gethostname()
    uts = os.readlink("/proc/self/ns/uts")
    result = run_python(
        """
        import os, socket, nscore
        nscore.unshare(nscore.Namespace.UTS)
        socket.sethostname("nscore-unshared")
        print(socket.gethostname())
        print(os.readlink("/proc/self/ns/uts"))
        """,
        child_env,
    )
    assert result.returncode == 0, result.stderr
    name, child_uts = result.stdout.split()
    assert name == "nscore-unshared"
    assert child_uts != uts
    assert socket.gethostname() == hostname
    assert os.readlink("/proc/self/ns/uts") == uts


def test_unshare_accepts_text(child_env) -> None:
    result = run_python(
        """
        import os, nscore
        before = os.readlink("/proc/self/ns/net"), os.readlink("/proc/self/ns/ipc")
        nscore.unshare("net,ipc")
        after = os.readlink("/proc/self/ns/net"), os.readlink("/proc/self/ns/ipc")
        print(before[0] != after[0] and before[1] != after[1])
        """,
        child_env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "True\n"


@pytest.mark.parametrize("kind", ["MNT", "USER"])
def test_unshare_with_a_second_thread_is_busy(child_env, kind: str) -> None:
    result = run_python(
        f"""
        import os, threading, nscore
        before = os.readlink("/proc/self/ns/{kind.lower()}")
        stop = threading.Event()
        t = threading.Thread(target=stop.wait)
        t.start()
        try:
            nscore.unshare(nscore.Namespace.{kind})
        except nscore.BusyError as e:
            assert e.code == nscore.ErrorCode.BUSY, e.code
            print("busy:", e)
        else:
            print("no error")
        finally:
            stop.set()
            t.join()
        assert os.readlink("/proc/self/ns/{kind.lower()}") == before, "namespace changed"
        """,
        child_env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("busy: "), result.stdout
    assert "thread" in result.stdout


def test_unshare_rejects_unknown_bits() -> None:
    # Rejected before any namespace changes, so this is safe in the test process.
    with pytest.raises(nscore.InvalidArgumentError, match="0x100"):
        nscore.unshare(nscore.Namespace(0x100))
