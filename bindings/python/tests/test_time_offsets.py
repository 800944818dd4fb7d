"""The clock offsets of a new time namespace (spawn(time_offsets=...)), read from inside."""

from __future__ import annotations

import subprocess
import time

import pytest

import nscore

READ = "import time; print(time.clock_gettime(time.CLOCK_MONOTONIC), time.clock_gettime(time.CLOCK_BOOTTIME))"


def clocks(**kwargs: object) -> tuple[float, float]:
    out = nscore.run(["python3", "-c", READ], namespaces="time,user", map_root_user=True, capture_output=True,
                     check=True, **kwargs).stdout
    mono, boot = (float(x) for x in out.split())
    return mono, boot


def test_offsets_are_seen_inside() -> None:
    mono, boot = clocks(time_offsets={"monotonic": 864000.25, "boottime": 3600})
    assert abs(mono - (time.clock_gettime(time.CLOCK_MONOTONIC) + 864000.25)) < 5
    assert abs(boot - (time.clock_gettime(time.CLOCK_BOOTTIME) + 3600)) < 5
    # Without offsets the namespace reads the host's clocks.
    mono, _ = clocks()
    assert abs(mono - time.clock_gettime(time.CLOCK_MONOTONIC)) < 5


def test_bad_offsets() -> None:
    with pytest.raises(nscore.InvalidArgumentError, match="unknown clock 'realtime'"):
        nscore.spawn(["true"], namespaces="time", time_offsets={"realtime": 1})
    with pytest.raises(TypeError, match="must be a number of seconds"):
        nscore.spawn(["true"], namespaces="time", time_offsets={"boottime": "1"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="must be a mapping"):
        nscore.spawn(["true"], namespaces="time", time_offsets=[("boottime", 1)])  # type: ignore[arg-type]
    with pytest.raises(nscore.InvalidArgumentError, match="needs a new time namespace"):
        nscore.spawn(["true"], namespaces="uts", time_offsets={"boottime": 1})
    # A monotonic clock the offset would take below 0: the kernel refuses it, the step is named.
    with pytest.raises(nscore.NSCoreError, match="timens_offsets"):
        nscore.spawn(["true"], namespaces="time", time_offsets={"monotonic": -time.clock_gettime(time.CLOCK_MONOTONIC) - 1000})
    assert subprocess.run(["true"]).returncode == 0
