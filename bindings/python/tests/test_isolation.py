"""Isolation: SysV IPC objects and mounts made inside do not reach the host, and back."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from conftest import close_fd, mountinfo, read_line


def queue_keys(ipcs_output: str) -> set[str]:
    """The keys of the message queues in `ipcs -q` output."""
    return {line.split()[0] for line in ipcs_output.splitlines() if line.startswith("0x")}


def host_queue_keys() -> set[str]:
    return queue_keys(subprocess.run(["ipcs", "-q"], check=True, capture_output=True, text=True).stdout)


def test_message_queue_inside_is_invisible_on_the_host(spawn, pipes) -> None:
    r, w = pipes()
    script = "ipcmk -Q >/dev/null && ipcs -q && echo END && exec sleep 30"
    c = spawn(["sh", "-c", script], namespaces="ipc", stdout=w)
    close_fd(w)
    lines = []
    while (line := read_line(r).decode()) != "END\n":
        lines.append(line)
    inside = queue_keys("".join(lines))
    assert len(inside) == 1, lines
    # The container's IPC namespace still exists (sleep holds it) but the host does not see it.
    assert not inside & host_queue_keys()
    c.kill()
    c.wait(30)


@pytest.fixture
def host_queue():
    out = subprocess.run(["ipcmk", "-Q"], check=True, capture_output=True, text=True).stdout
    msqid = out.split(":")[-1].strip()
    try:
        yield msqid
    finally:
        subprocess.run(["ipcrm", "-q", msqid], check=False)


def test_message_queue_on_the_host_is_invisible_inside(capture, host_queue) -> None:
    keys = host_queue_keys()
    assert keys
    code, out = capture(["ipcs", "-q"], namespaces="ipc")
    assert code == 0
    assert queue_keys(out) == set()
    # Without a new IPC namespace the same command sees it.
    code, out = capture(["ipcs", "-q"])
    assert queue_keys(out) >= keys


def test_mount_inside_is_invisible_on_the_host(spawn, pipes) -> None:
    source = f"nscore-test-{uuid.uuid4().hex[:12]}"
    before = mountinfo()
    r, w = pipes()
    c = spawn(
        ["sh", "-c", f"mount -t tmpfs {source} /mnt && grep -c {source} /proc/self/mountinfo && exec sleep 30"],
        namespaces="mnt",
        stdout=w,
    )
    close_fd(w)
    assert read_line(r) == b"1\n"
    with open(f"/proc/{c.pid}/mountinfo") as f:
        assert source in f.read()
    assert not any(source in line for line in mountinfo())
    assert mountinfo() == before
    c.stop(5)
