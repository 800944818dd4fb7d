"""Concurrent spawns from many Python threads (the library takes no process-wide lock)."""

from __future__ import annotations

import concurrent.futures

import nscore


def run_one(i: int) -> int | None:
    namespaces = ["", "uts", "ipc,uts", "pid,mnt", "net"][i % 5]
    with nscore.spawn(["true"], namespaces=namespaces, stdout=nscore.DEVNULL) as c:
        return c.wait(60)


def test_200_spawns_from_8_threads() -> None:
    # The autouse watchdog fails the test (SIGALRM), then aborts the run, if this hangs.
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run_one, range(200), timeout=110))
    assert results == [0] * 200
