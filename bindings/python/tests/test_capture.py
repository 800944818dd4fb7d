"""Output capture and pipes: PIPE/STDOUT stdio, communicate(), nscore.run(), wait(timeout)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

import nscore

MIB = 1 << 20
DATA = bytes((i * 7 + (i >> 11)) & 0xFF for i in range(MIB))


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_run_capture_output_text_and_check() -> None:
    r = nscore.run(["sh", "-c", "echo out; echo err >&2"], namespaces="uts", capture_output=True, text=True)
    assert isinstance(r, subprocess.CompletedProcess)
    assert (r.args, r.returncode, r.stdout, r.stderr) == (["sh", "-c", "echo out; echo err >&2"], 0, "out\n", "err\n")
    r = nscore.run(["sh", "-c", "printf x"], namespaces="pid", capture_output=True)
    assert r.stdout == b"x" and r.stderr == b""
    # Without capture nothing is collected.
    r = nscore.run(["true"], namespaces="uts", stdout=nscore.DEVNULL)
    assert r.stdout is None and r.stderr is None and r.returncode == 0

    with pytest.raises(nscore.CalledProcessError) as info:
        nscore.run(["sh", "-c", "echo bad >&2; exit 3"], namespaces="uts", capture_output=True, check=True)
    e = info.value
    assert isinstance(e, subprocess.CalledProcessError) and isinstance(e, nscore.NSCoreError)
    assert (e.returncode, e.stderr, e.stdout) == (3, b"bad\n", b"")
    assert "exit status 3" in str(e)
    # A signal is a failure too, as subprocess reports it.
    with pytest.raises(subprocess.CalledProcessError) as info2:
        nscore.run(["sh", "-c", "kill -9 $$"], namespaces="uts", check=True)
    assert info2.value.returncode == -signal.SIGKILL


def test_run_input_and_timeout() -> None:
    r = nscore.run(["tr", "a-z", "A-Z"], namespaces="uts", input="hello\r\nworld", capture_output=True, text=True)
    assert r.stdout == "HELLO\nWORLD"
    before = fd_count()
    start = time.monotonic()
    with pytest.raises(nscore.TimeoutExpired) as info:
        nscore.run(["sh", "-c", "echo started; sleep 30"], namespaces="pid", capture_output=True, timeout=0.5)
    assert time.monotonic() - start < 10
    e = info.value
    assert isinstance(e, subprocess.TimeoutExpired) and isinstance(e, nscore.TimedOutError)
    assert isinstance(e, nscore.NSCoreError)
    assert e.timeout == 0.5 and e.cmd == ["sh", "-c", "echo started; sleep 30"]
    assert e.output == b"started\n" and e.stdout == b"started\n"
    assert fd_count() == before
    with pytest.raises(ValueError):
        nscore.run(["true"], input=b"x", stdin=nscore.DEVNULL)
    with pytest.raises(ValueError):
        nscore.run(["true"], capture_output=True, stdout=nscore.DEVNULL)


def test_communicate_one_mebibyte_both_ways(spawn) -> None:
    before = fd_count()
    c = spawn(["cat"], namespaces="pid", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert c.stderr is None
    out, err = c.communicate(DATA, timeout=60)
    assert out == DATA and err is None
    assert c.returncode == 0
    c.close()
    # Output on both streams before any input is read: a sequential reader would deadlock.
    script = "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2; wc -c"
    c = spawn(["sh", "-c", script], namespaces="uts", stdin=nscore.PIPE, stdout=nscore.PIPE, stderr=nscore.PIPE)
    out, err = c.communicate(DATA, timeout=60)
    assert out == bytes(MIB) + b"1048576\n" and err == bytes(MIB)
    c.close()
    assert fd_count() == before


def test_stderr_to_stdout(spawn, pipes) -> None:
    c = spawn(["sh", "-c", "echo one; echo two >&2; echo three"], namespaces="uts",
              stdout=nscore.PIPE, stderr=nscore.STDOUT)
    assert c.stderr is None
    out, err = c.communicate(timeout=30)
    assert out == b"one\ntwo\nthree\n" and err is None
    r = nscore.run(["sh", "-c", "echo a; echo b >&2"], namespaces="uts", stdout=nscore.PIPE, stderr=nscore.STDOUT,
                   text=True)
    assert r.stdout == "a\nb\n" and r.stderr is None
    # With stdout an fd, stderr goes to that fd too.
    rfd, wfd = pipes()
    c = spawn(["sh", "-c", "echo x; echo y >&2"], namespaces="uts", stdout=wfd, stderr=subprocess.STDOUT)
    os.close(wfd)
    assert c.wait(30) == 0
    assert os.read(rfd, 100) == b"x\ny\n"
    with pytest.raises(nscore.InvalidArgumentError):
        spawn(["true"], stdout=nscore.STDOUT)


def test_file_objects(spawn, join) -> None:
    c = spawn(["sh", "-c", "read line; echo got $line; echo e >&2"], namespaces="uts",
              stdin=nscore.PIPE, stdout=nscore.PIPE, stderr=nscore.PIPE, text=True)
    c.stdin.write("hello\n")
    c.stdin.close()
    assert c.stdout.read() == "got hello\n"
    assert c.stderr.read() == "e\n"
    assert c.wait(30) == 0
    # join with pipes
    target = spawn(["sleep", "30"], namespaces="uts")
    j = join(target, ["tr", "a-z", "A-Z"], stdin=nscore.PIPE, stdout=nscore.PIPE)
    assert j.communicate(b"joined", timeout=30) == (b"JOINED", None)
    assert j.returncode == 0
    with pytest.raises(nscore.InvalidArgumentError):
        spawn(["true"], namespaces="uts").communicate(b"no stdin pipe")


def test_early_close_gives_the_command_sigpipe(spawn) -> None:
    # Not a PID namespace's init: the kernel drops SIGPIPE for an init without a handler.
    handler = signal.getsignal(signal.SIGPIPE)
    c = spawn(["sh", "-c", "sleep 0.2; exec yes"], namespaces="uts", stdout=nscore.PIPE)
    c.stdout.close()
    assert c.wait(30) == -signal.SIGPIPE
    # The host: a command that exits without reading drops the input; with SIGPIPE at its
    # default action in this process, communicate must not end it.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        c = spawn(["true"], namespaces="uts", stdin=nscore.PIPE)
        time.sleep(0.2)
        assert c.communicate(DATA, timeout=30) == (None, None)
        assert c.returncode == 0
        assert signal.SIGPIPE not in signal.sigpending()
        assert signal.SIGPIPE not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    finally:
        signal.signal(signal.SIGPIPE, handler)


def test_communicate_timeout_keeps_what_was_read(spawn) -> None:
    c = spawn(["sh", "-c", "echo first; sleep 1; echo second"], namespaces="uts", stdout=nscore.PIPE)
    with pytest.raises(nscore.TimeoutExpired) as info:
        c.communicate(timeout=0.3)
    assert info.value.output == b"first\n"
    out, _ = c.communicate(timeout=30)
    assert out == b"first\nsecond\n"
    assert c.returncode == 0


def test_wait_timeout_and_returncode_after_close(spawn) -> None:
    c = spawn(["sleep", "30"], namespaces="uts")
    with pytest.raises(nscore.TimeoutExpired):
        c.wait(0.1)
    c.close()
    assert c.returncode == -signal.SIGKILL
    c = spawn(["sh", "-c", "exit 5"], namespaces="uts")
    assert c.wait(30) == 5
    c.close()
    assert c.returncode == 5
