"""Container.wait_async(): asyncio waits on the pidfd, with no thread per container."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

import nscore


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_many_waits_need_no_threads(spawn) -> None:
    threads = threading.active_count()
    fds = fd_count()

    async def main() -> list[int]:
        t0 = time.monotonic()
        containers = [spawn(["sleep", "0.2"]) for _ in range(100)]
        codes = await asyncio.gather(*(c.wait_async() for c in containers))
        assert threading.active_count() == threads
        elapsed = time.monotonic() - t0
        assert elapsed < 1.5, f"100 awaited containers took {elapsed:.2f} s"
        return codes

    assert asyncio.run(main()) == [0] * 100
    assert threading.active_count() == threads
    # Every duplicated pidfd was closed (the containers' own pidfds are closed by the fixture).
    assert fd_count() - fds <= 100


def test_exit_code_signal_and_already_exited(spawn) -> None:
    async def main() -> None:
        assert await spawn(["sh", "-c", "exit 7"]).wait_async() == 7
        k = spawn(["sleep", "30"])
        k.kill()
        assert await k.wait_async() == -9
        done = spawn(["true"])
        assert done.wait(30) == 0
        assert await done.wait_async() == 0  # already reaped: the stored code
        exited = spawn(["true"])
        await asyncio.sleep(0.2)  # exited, not yet reaped: the pidfd is readable at once
        assert await exited.wait_async() == 0

    asyncio.run(main())


def test_cancelled_wait_leaves_the_process_running(spawn) -> None:
    c = spawn(["sleep", "30"])

    async def main() -> None:
        fds = fd_count()  # inside the loop, which holds fds of its own
        task = asyncio.ensure_future(c.wait_async())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert c.poll() is None
        assert fd_count() == fds
        c.kill()
        assert await asyncio.wait_for(c.wait_async(), 10) == -9

    asyncio.run(main())


def test_detached_handle_raises(spawn) -> None:
    c = spawn(["true"])
    c.detach()
    with pytest.raises(nscore.NSCoreError):
        asyncio.run(c.wait_async())
    os.waitpid(c.pid, 0)  # detached: the test reaps it, or it stays a zombie child
