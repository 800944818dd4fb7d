"""terminal=True: the command leads a new session on a new pty; Container.terminal is the
multiplexer side. Checked from outside (/proc/PID/stat) and from inside (tty, stty)."""
import fcntl
import os
import select
import signal
import struct
import termios
import time

import pytest

import nscore
from nscore import Namespace


def read_terminal(f, until=None, timeout=10.0):
    """Reads the multiplexer until `until` appears, EIO (every copy closed), or the timeout."""
    out = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([f], [], [], 0.2)
        if not r:
            continue
        try:
            data = f.read(4096)
        except OSError:
            break
        if not data:
            break
        out += data
        if until is not None and until in out:
            break
    return out


def stat_fields(pid):
    text = open(f"/proc/{pid}/stat").read()
    return text[text.rindex(")") + 2:].split()


def test_session_size_and_input():
    fds = len(os.listdir("/proc/self/fd"))
    with nscore.spawn(["sh", "-c", "stty size; tty; read x; echo got:$x"], namespaces=Namespace.UTS | Namespace.PID,
                      terminal=True, console_size=(33, 101)) as c:
        assert c.stdin is None and c.stdout is None and c.stderr is None
        first = read_terminal(c.terminal, b"/dev/pts/")
        assert b"33 101\r\n" in first
        f = stat_fields(c.pid)
        assert int(f[3]) == c.pid  # session
        assert int(f[4]) != 0  # controlling terminal
        assert int(f[5]) == c.pid  # foreground group
        c.terminal.write(b"hello\n")
        assert b"got:hello" in read_terminal(c.terminal)
        assert c.wait(10) == 0
    assert c.terminal.closed
    assert len(os.listdir("/proc/self/fd")) == fds


def test_resize_and_ctrl_c():
    with nscore.spawn(["sh", "-c", "trap 'stty size' WINCH; echo ready; while :; do sleep 0.05; done"],
                      namespaces=Namespace.UTS, terminal=True, console_size=(10, 20)) as c:
        assert b"ready" in read_terminal(c.terminal, b"ready")
        fcntl.ioctl(c.terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        assert b"50 160" in read_terminal(c.terminal, b"50 160")
        c.terminal.write(b"\x03")
        assert c.wait(10) == -signal.SIGINT


def test_join_gets_a_terminal_of_the_target(tmp_path):
    with nscore.spawn(["sleep", "30"], namespaces=Namespace.UTS | Namespace.MNT) as target:
        with nscore.join(target.pid, ["sh", "-c", "tty; stty size"], terminal=True, console_size=(7, 9)) as j:
            out = read_terminal(j.terminal)
            assert j.wait(10) == 0
        assert out.startswith(b"/dev/pts/")
        assert b"7 9\r\n" in out


def test_bad_input():
    with pytest.raises(nscore.InvalidArgumentError, match="console_size"):
        nscore.spawn(["true"], console_size=(10, 10))
    with pytest.raises(nscore.InvalidArgumentError, match="console_size"):
        nscore.spawn(["true"], terminal=True, console_size=(0, 10))
    with pytest.raises(nscore.InvalidArgumentError, match="console_size"):
        nscore.spawn(["true"], terminal=True, console_size=(10,))
    with pytest.raises(TypeError, match="terminal"):
        nscore.spawn(["true"], terminal=1)
    # A failed spawn leaves no pty behind.
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(nscore.NotFoundError):
        nscore.spawn(["/nonexistent/command"], terminal=True)
    assert len(os.listdir("/proc/self/fd")) == fds


def test_new_session_by_default():
    with nscore.spawn(["sleep", "30"], namespaces=Namespace.UTS) as c:
        assert int(stat_fields(c.pid)[3]) == c.pid
    with nscore.spawn(["sleep", "30"], namespaces=Namespace.UTS, new_session=False) as c:
        assert int(stat_fields(c.pid)[3]) == os.getsid(0)
    with pytest.raises(TypeError, match="new_session"):
        nscore.spawn(["true"], new_session=1)


PROBE = ("import fcntl, termios\n"
         "try:\n    fcntl.ioctl(0, termios.TIOCSTI, b'X'); print('INJECTED')\n"
         "except OSError as e:\n    print('REFUSED', e.errno)\n")

# Runs in a fresh interpreter: a pty.fork child leads a session whose controlling terminal is the
# pty, and spawns the probe there (in a user namespace: no CAP_SYS_ADMIN over the terminal).
DRIVER = """
import os, pty, sys, nscore
pid, master = pty.fork()
if pid == 0:
    c = nscore.spawn([sys.executable, "-c", sys.argv[1]], namespaces="user", uid_mappings=[(0, os.getuid(), 1)],
                     gid_mappings=[(0, os.getgid(), 1)], new_session=sys.argv[2] == "1")
    os._exit(c.wait(20))
out = b""
while True:
    try:
        data = os.read(master, 1024)
    except OSError:
        break
    if not data:
        break
    out += data
os.waitpid(pid, 0)
print(out.decode())
"""


@pytest.mark.parametrize("new_session, verdict", [(True, "REFUSED"), (False, "INJECTED")])
def test_tiocsti_cannot_reach_the_callers_terminal(new_session, verdict):
    """bubblewrap's CVE-2017-5226: a command in the caller's session shares its controlling
    terminal and can type into the caller's shell with TIOCSTI; in its own session it cannot.
    (new_session=False shows the probe would succeed otherwise.)"""
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(nscore.__file__)))
    r = subprocess.run([sys.executable, "-c", DRIVER, PROBE, "1" if new_session else "0"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert verdict in r.stdout, (r.stdout, r.stderr)
