"""nscore.run_async(): nscore.run() on the event loop, pipes served by add_reader/add_writer and
the exit awaited on the pidfd, with no thread; timeouts and cancellation leave nothing behind."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Callable

import pytest
from conftest import children, pid_gone

import nscore

MIB = 1 << 20
DATA = bytes((i * 7 + (i >> 11)) & 0xFF for i in range(MIB))


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_new_children() -> Iterator[Callable[[], set[int]]]:
    """new() lists the children started since the test began. Afterwards the test must have
    left none; any it did leave (a failed test) are killed and reaped before this fails it."""
    before = children()

    def new() -> set[int]:
        return children() - before

    yield new
    left = new()
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    assert not left, f"processes left running: {sorted(left)}"


def test_output_captured_text_and_bytes(no_new_children) -> None:
    async def main() -> None:
        argv = ["sh", "-c", "echo out; echo err >&2"]
        r = await nscore.run_async(argv, namespaces="uts", capture_output=True, text=True)
        assert isinstance(r, subprocess.CompletedProcess)
        assert (r.args, r.returncode, r.stdout, r.stderr) == (argv, 0, "out\n", "err\n")
        r = await nscore.run_async(["sh", "-c", "printf 'x\\r\\ny'; printf e >&2"], namespaces="pid",
                                   capture_output=True)
        assert (r.stdout, r.stderr) == (b"x\r\ny", b"e")
        # Text mode: universal newlines, as run() and subprocess.run() give.
        r = await nscore.run_async(["tr", "a-z", "A-Z"], namespaces="uts", input="hello\r\nworld",
                                   capture_output=True, text=True)
        assert r.stdout == "HELLO\nWORLD" and r.stderr == ""
        # stderr=STDOUT: both into one pipe, in order.
        r = await nscore.run_async(["sh", "-c", "echo a; echo b >&2; echo c"], namespaces="uts",
                                   stdout=nscore.PIPE, stderr=nscore.STDOUT)
        assert r.stdout == b"a\nb\nc\n" and r.stderr is None
        # Nothing captured: None, and the exit code (-N for a signal) as run() gives it.
        r = await nscore.run_async(["sh", "-c", "exit 4"], namespaces="uts", stdout=nscore.DEVNULL)
        assert (r.returncode, r.stdout, r.stderr) == (4, None, None)
        r = await nscore.run_async(["sh", "-c", "kill -9 $$"], namespaces="uts")
        assert r.returncode == -signal.SIGKILL
        # stdin=PIPE without input: the command reads EOF at once.
        r = await nscore.run_async(["wc", "-c"], namespaces="uts", stdin=nscore.PIPE, capture_output=True)
        assert r.stdout.strip() == b"0"

    asyncio.run(main())


def test_one_mebibyte_both_ways(no_new_children) -> None:
    async def main() -> None:
        fds = fd_count()
        r = await nscore.run_async(["cat"], namespaces="pid", input=DATA, capture_output=True, timeout=60)
        assert r.stdout == DATA and r.stderr == b"" and r.returncode == 0
        # A mebibyte on each output before any input is read: a reader that served one pipe at
        # a time, or wrote all input first, would deadlock.
        script = "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2; wc -c"
        r = await nscore.run_async(["sh", "-c", script], namespaces="uts", input=DATA, capture_output=True,
                                   timeout=60)
        assert r.stdout == bytes(MIB) + b"1048576\n" and r.stderr == bytes(MIB)
        assert fd_count() == fds

    asyncio.run(main())


def test_input_the_command_does_not_read(no_new_children) -> None:
    # The command exits without reading: the input is dropped, and with SIGPIPE at its default
    # action in this process the write's EPIPE must not end it.
    handler = signal.getsignal(signal.SIGPIPE)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        r = asyncio.run(nscore.run_async(["true"], namespaces="uts", input=DATA * 4, timeout=60))
        assert r.returncode == 0
        assert signal.SIGPIPE not in signal.sigpending()
        assert signal.SIGPIPE not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    finally:
        signal.signal(signal.SIGPIPE, handler)


def test_check_raises_with_output(no_new_children) -> None:
    argv = ["sh", "-c", "echo partial; echo bad >&2; exit 3"]
    with pytest.raises(nscore.CalledProcessError) as info:
        asyncio.run(nscore.run_async(argv, namespaces="uts", capture_output=True, check=True))
    e = info.value
    assert isinstance(e, subprocess.CalledProcessError) and isinstance(e, nscore.NSCoreError)
    assert (e.returncode, e.cmd, e.stdout, e.stderr) == (3, argv, b"partial\n", b"bad\n")
    assert "exit status 3" in str(e)
    with pytest.raises(nscore.CalledProcessError) as info:
        asyncio.run(nscore.run_async(argv, namespaces="uts", capture_output=True, text=True, check=True))
    assert (info.value.stdout, info.value.stderr) == ("partial\n", "bad\n")
    # check=True with exit 0 returns normally.
    r = asyncio.run(nscore.run_async(["true"], namespaces="uts", check=True))
    assert r.returncode == 0


def test_timeout_kills_and_reaps(no_new_children) -> None:
    async def main() -> None:
        fds = fd_count()
        start = time.monotonic()
        argv = ["sh", "-c", "echo $$; echo started >&2; exec sleep 30"]
        with pytest.raises(nscore.TimeoutExpired) as info:
            await nscore.run_async(argv, namespaces="uts", capture_output=True, text=True, timeout=0.5)
        assert time.monotonic() - start < 10
        e = info.value
        assert isinstance(e, subprocess.TimeoutExpired) and isinstance(e, nscore.TimedOutError)
        assert e.timeout == 0.5 and e.cmd == argv
        assert e.stderr == "started\n"
        pid = int(e.output)
        # Reaped before the exception: not a zombie waiting for someone, and gone from /proc.
        assert not os.path.exists(f"/proc/{pid}")
        assert not no_new_children()
        assert fd_count() == fds
        # A timeout while input is still being written (sleep never reads it).
        with pytest.raises(nscore.TimeoutExpired) as info:
            await nscore.run_async(["sleep", "30"], namespaces="pid", input=DATA, capture_output=True, timeout=0.3)
        assert (info.value.output, info.value.stderr) == (b"", b"")
        assert not no_new_children()
        assert fd_count() == fds

    asyncio.run(main())


def test_cancellation_kills_reaps_and_closes(no_new_children) -> None:
    async def main() -> None:
        threads = threading.active_count()
        fds = fd_count()  # inside the loop, which holds fds of its own
        # Cancelled while every pipe is registered with the loop: input unwritten (sleep never
        # reads it), two outputs open.
        task = asyncio.ensure_future(
            nscore.run_async(["sleep", "30"], namespaces="uts,pid", input=DATA, capture_output=True)
        )
        deadline = time.monotonic() + 10
        while not no_new_children() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        started = no_new_children()
        assert len(started) == 1, started
        assert fd_count() > fds  # the pidfd and the pipes
        assert threading.active_count() == threads
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        pid = started.pop()
        assert pid_gone(pid, 0)
        assert not no_new_children()
        assert fd_count() == fds
        # Cancelled by an enclosing wait_for, with a command that produces output all along.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(nscore.run_async(["yes"], namespaces="uts", capture_output=True), 0.3)
        assert not no_new_children()
        assert fd_count() == fds

    asyncio.run(main())


def test_fifty_concurrent_runs_keep_their_own_output(no_new_children) -> None:
    threads = threading.active_count()

    async def one(i: int) -> subprocess.CompletedProcess[str]:
        script = 'hostname; echo "out $1"; echo "err $1" >&2; head -c 100000 /dev/zero | tr "\\0" "$2"'
        return await nscore.run_async(["sh", "-c", script, "sh", str(i), "abcdefghij"[i % 10]],
                                      namespaces="uts", hostname=f"box-{i}", capture_output=True, text=True,
                                      timeout=60)

    async def main() -> list[subprocess.CompletedProcess[str]]:
        fds = fd_count()
        results = await asyncio.gather(*(one(i) for i in range(50)))
        assert threading.active_count() == threads
        assert fd_count() == fds
        return results

    for i, r in enumerate(asyncio.run(main())):
        head, _, tail = r.stdout.partition(f"out {i}\n")
        assert head == f"box-{i}\n", r.stdout[:100]
        assert tail == "abcdefghij"[i % 10] * 100000
        assert (r.returncode, r.stderr) == (0, f"err {i}\n")


def test_namespaces_are_the_ones_asked_for(no_new_children) -> None:
    async def main() -> None:
        r = await nscore.run_async(["sh", "-c", "hostname; readlink /proc/self/ns/uts; echo $$"],
                                   namespaces="uts,pid", hostname="async-box", capture_output=True, text=True,
                                   check=True)
        name, uts, pid = r.stdout.split()
        assert name == "async-box"
        assert uts != os.readlink("/proc/self/ns/uts")
        assert pid == "1"  # PID 1 of its own PID namespace

    asyncio.run(main())


def test_bad_arguments_start_nothing(no_new_children) -> None:
    async def refused(exc: type[BaseException], needle: str, argv: object = ("true",), **kwargs: object) -> None:
        fds = fd_count()
        with pytest.raises(exc) as info:
            await nscore.run_async(argv, **kwargs)  # type: ignore[arg-type]
        assert needle in str(info.value), str(info.value)
        assert not no_new_children()
        assert fd_count() == fds

    async def main() -> None:
        await refused(nscore.InvalidArgumentError, "argv is empty", [])
        await refused(nscore.InvalidArgumentError, "empty", "")
        await refused(TypeError, "run_async() got an unexpected keyword argument 'bogus'", bogus=1)
        await refused(TypeError, "unexpected keyword argument 'capture'", capture=True)
        await refused(ValueError, "stdin and input", input=b"x", stdin=nscore.DEVNULL)
        await refused(ValueError, "capture_output", capture_output=True, stdout=nscore.DEVNULL)
        await refused(TypeError, "input must be bytes or str", input=5)
        await refused(nscore.InvalidArgumentError, "timeout", timeout=-1)
        await refused(nscore.InvalidArgumentError, "timeout", timeout=float("nan"))
        await refused(TypeError, "timeout", timeout="1")
        await refused(nscore.NotFoundError, "no-such-command", ["no-such-command-nscore"])
        await refused(ValueError, "namespace", namespaces="bogus")

    asyncio.run(main())
