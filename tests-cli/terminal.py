#!/usr/bin/env python3
"""tests-cli/terminal.py - `nscore run --tty` and `nscore exec --tty` driven through a real pty.

Usage: tests-cli/terminal.py NSCORE_BIN TMPDIR    (as root; called by tests-cli/run.sh)

Each check prints "ok   - what" or "FAIL - what" (with what was seen); run.sh counts them.
A script plays a user at a terminal: nscore runs on the slave side of a pty this script holds,
as a shell in a terminal would run it. Every process it starts is killed and reaped at the end.
"""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

BIN, TMP = sys.argv[1], sys.argv[2]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHILDREN = []


def report(ok, what, seen=""):
    print(("ok   - " if ok else "FAIL - ") + what)
    if not ok and seen:
        print("       " + repr(seen)[-400:])
    sys.stdout.flush()


class Terminal:
    """nscore's command line run on the slave of a new pty (its controlling terminal), as
    a login shell would start it; `master` is the user's side."""

    def __init__(self, argv, rows=24, cols=80, env=None):
        self.pid, self.master = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execvpe(argv[0], argv, env or dict(os.environ, TERM="dumb"))
        CHILDREN.append(self.pid)
        self.seen = b""
        self.status = None

    def expect(self, pattern, timeout=10.0):
        """Reads until `pattern` (a regex over everything read since the last match) matches;
        returns the match or None."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.seen)
            if m:
                self.seen = self.seen[m.end():]
                return m
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.master], [], [], left)
            if not r:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            if not data:
                m = rx.search(self.seen)
                return m
            self.seen += data

    def send(self, text):
        os.write(self.master, text.encode() if isinstance(text, str) else text)

    def resize(self, rows, cols):
        # As a terminal emulator does: the kernel sends SIGWINCH to the foreground job (nscore).
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def wait(self, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                os.read(self.master, 65536)  # keep draining: output must never block nscore
            except OSError:
                pass
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                CHILDREN.remove(self.pid)
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
            time.sleep(0.02)
        return None

    def close(self):
        if self.pid in CHILDREN:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            CHILDREN.remove(self.pid)
        os.close(self.master)


def start_box(options):
    """`nscore run OPTIONS -- sleep` in the background; returns it and its container's pid."""
    box = subprocess.Popen([BIN, "run", *options, "--", "sleep", "2718281"], stdin=subprocess.DEVNULL)
    CHILDREN.append(box.pid)
    for _ in range(100):
        kids = open(f"/proc/{box.pid}/task/{box.pid}/children").read().split()
        if kids:
            return box, kids[0]
        time.sleep(0.05)
    return box, None


def stop_box(box):
    box.kill()
    box.wait()
    CHILDREN.remove(box.pid)


def rootfs():
    path = os.path.join(TMP, "tty-root")
    if not os.path.exists(path):
        subprocess.run(["bash", os.path.join(REPO, "tools/make-test-rootfs.sh"), path, "sh", "bash", "tty", "stty",
                        "ls", "sleep", "cat", "stat", "echo", "id"], check=True, stdout=subprocess.DEVNULL)
    return path


def interactive_shell():
    # bash as PID 1 of new PID and mount namespaces, in a terminal of its own.
    env = dict(os.environ, TERM="dumb", PS1="PROMPT$ ")
    t = Terminal([BIN, "run", "-t", "-p", "-m", "--", "bash", "--norc", "--noprofile", "-i"], rows=30, cols=100, env=env)
    try:
        report(t.expect(r"PROMPT\$ ") is not None, "run -t: the shell's prompt appears", t.seen)
        t.send("tty; stty size\r")
        m = t.expect(r"(/dev/pts/\d+)\r\n30 100\r\n")
        report(m is not None, "run -t: a pty is the shell's terminal, with nscore's terminal's size (30 100)", t.seen)
        t.expect(r"PROMPT\$ ")
        t.resize(45, 132)
        time.sleep(0.3)
        t.send("stty size\r")
        report(t.expect(r"45 132\r\n") is not None, "a window size change reaches the container (stty size: 45 132)", t.seen)
        t.expect(r"PROMPT\$ ")
        t.send("sleep 100\r")
        time.sleep(0.5)
        t.send("\x03")
        report(t.expect(r"PROMPT\$ ", timeout=5) is not None, "Ctrl-C interrupts the foreground command", t.seen)
        t.send("echo status=$?\r")
        report(t.expect(r"status=130") is not None, "... which ended by SIGINT (status 130)", t.seen)
        t.expect(r"PROMPT\$ ")
        t.send("sleep 100\r")
        time.sleep(0.5)
        t.send("\x1a")
        report(t.expect(r"Stopped\s+sleep 100", timeout=5) is not None, "Ctrl-Z stops the foreground job", t.seen)
        t.expect(r"PROMPT\$ ")
        t.send("sleep 200 &\r")
        t.expect(r"PROMPT\$ ")
        t.send("jobs\r")
        m = t.expect(r"PROMPT\$ ")
        report(m is not None and b"Stopped" in m.string and b"Running" in m.string,
               "job control: jobs lists the stopped and the background job", m.string if m else t.seen)
        t.send("kill -9 %1 %2; wait; exit 7\r")
        report(t.wait() == 7, "exit 7 in the shell: nscore exits 7", t.status)
    finally:
        t.close()


def around_stty(command):
    """A shell in a new terminal that saves the terminal's mode, runs `command`, prints its
    status as rc=N and saves the mode again (read back with saved_modes())."""
    return Terminal(["sh", "-c", f"stty -g > {TMP}/stty-before; {command}; echo rc=$?; stty -g > {TMP}/stty-after; echo done"])


def saved_modes():
    return open(f"{TMP}/stty-before").read(), open(f"{TMP}/stty-after").read()


def raw_mode_restored():
    # nscore's terminal mode before and after, read by a shell in that terminal; also when
    # nscore ends through a forwarded SIGTERM.
    t = around_stty(f"{BIN} run -t -- sh -c 'echo in; read x'")
    try:
        t.expect("in")
        lflag = termios.tcgetattr(t.master)[3]
        report(lflag & (termios.ICANON | termios.ECHO | termios.ISIG) == 0,
               "while the command runs, nscore's terminal is raw (no ICANON, ECHO, ISIG)", lflag)
        t.send("line\r")
        m = t.expect(r"rc=(\d+)")
        t.expect("done")
        t.wait()
        before, after = saved_modes()
        report(m is not None and m.group(1) == b"0" and before == after and before,
               "raw mode is restored when the command exits", (before, after, t.seen))
    finally:
        t.close()
    t = around_stty(f"{BIN} run -t --pid-file {TMP}/tty.pid -- sleep 60")
    try:
        for _ in range(100):
            if os.path.exists(f"{TMP}/tty.pid") and open(f"{TMP}/tty.pid").read().strip():
                break
            time.sleep(0.05)
        time.sleep(0.2)
        nscore = subprocess.run(["pgrep", "-f", f"^{BIN} run -t --pid-file"], capture_output=True, text=True).stdout.split()
        for p in nscore:
            os.kill(int(p), signal.SIGTERM)
        m = t.expect(r"rc=(\d+)")
        t.expect("done")
        t.wait()
        before, after = saved_modes()
        report(bool(nscore) and m is not None and m.group(1) == b"143" and before == after,
               "SIGTERM to nscore: the command is stopped (143) and the mode restored", (nscore, before, after, t.seen))
    finally:
        t.close()


def rootfs_console():
    root = rootfs()
    t = Terminal([BIN, "run", "-t", "-p", "-m", "--rootfs", root, "--", "sh", "-c",
                  "tty; stat -c '%t:%T' /dev/console; stat -L -c '%t:%T' /proc/self/fd/0; ls /dev/pts; exit 3"])
    try:
        m = t.expect(r"/dev/pts/0\r\n88:0\r\n88:0\r\n0\s+ptmx")
        report(m is not None, "run -t --rootfs: the container's own /dev/pts/0, also its /dev/console", t.seen)
        report(t.wait() == 3, "... and nscore exits with the command's status", t.status)
    finally:
        t.close()
    # exec --tty into that kind of container: another pty of the container's own devpts.
    box, inner = start_box(["-p", "-m", "--rootfs", root])
    try:
        t = Terminal([BIN, "exec", "--tty", "-t", str(inner), "--", "/bin/sh", "-c", "tty; ls /dev/pts; exit 4"])
        try:
            m = t.expect(r"/dev/pts/0\r\n0\s+ptmx")
            report(m is not None, "exec --tty: a pty of the container's own devpts", t.seen)
            report(t.wait() == 4, "... exit status passed through", t.status)
        finally:
            t.close()
    finally:
        stop_box(box)


def piped_stdin():
    r = subprocess.run([BIN, "run", "-t", "--", "sh"], input=b"echo hi-$((1+2))\nexit 3\n", capture_output=True, timeout=20)
    report(r.returncode == 3 and b"hi-3" in r.stdout, "run -t with piped stdin: the input is typed into the terminal",
           (r.returncode, r.stdout, r.stderr))
    r = subprocess.run([BIN, "run", "-t", "--", "cat"], stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    report(r.returncode == 0, "run -t -- cat with stdin at its end: cat gets the terminal's EOF and exits 0",
           (r.returncode, r.stdout, r.stderr))
    r = subprocess.run([BIN, "run", "-t", "-d", "--", "true"], capture_output=True, timeout=20)
    report(r.returncode == 2 and b"--detach" in r.stderr, "run -t --detach is a usage error naming --detach",
           (r.returncode, r.stderr))


def rootless():
    # As uid 65534 in a user namespace of its own (with a rootfs: its own devpts instance).
    rbin = os.environ.get("NSCORE_RBIN", BIN)
    root = rootfs()
    os.chmod(TMP, 0o755)
    t = Terminal(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", rbin, "run", "-t", "-U", "-r",
                  "-p", "-m", "--rootfs", root, "--", "sh", "-c", "tty; id -u; read x; echo got:$x"])
    try:
        m = t.expect(r"/dev/pts/0\r\n0\r\n")
        report(m is not None, "rootless run -t -U -r --rootfs: a pty of the container's devpts, root inside", t.seen)
        t.send("typed\r")
        report(t.expect(r"got:typed") is not None, "rootless: input reaches the command", t.seen)
        report(t.wait() == 0, "rootless: exit status 0", t.status)
    finally:
        t.close()


def tiocsti():
    # bubblewrap's CVE-2017-5226: a command that shares nscore's session has nscore's terminal
    # as its controlling terminal, and TIOCSTI would type into the user's shell after it.
    probe = ("import fcntl, termios\n"
             "try:\n    fcntl.ioctl(0, termios.TIOCSTI, b'X'); print('TIOCSTI-INJECTED')\n"
             "except OSError as e:\n    print('TIOCSTI-REFUSED', e.errno)\n")
    # Without CAP_SYS_ADMIN in the initial user namespace (which may TIOCSTI any terminal): a
    # user namespace, or the capability dropped.
    for argv, what in (([BIN, "run", "-U", "-r", "-p", "--", "python3", "-c", probe], "run -U -r"),
                       ([BIN, "run", "-p", "--init", "--cap-drop", "SYS_ADMIN", "--", "python3", "-c", probe],
                        "run --init --cap-drop SYS_ADMIN")):
        t = Terminal(argv)
        try:
            m = t.expect(r"TIOCSTI-(\w+)")
            report(m is not None and m.group(1) == b"REFUSED",
                   f"{what} (no --tty: ): TIOCSTI on nscore's terminal is refused (a session of its own)",
                   m.group(0) if m else t.seen)
            t.wait()
        finally:
            t.close()
    box, inner = start_box(["-u"])
    try:
        t = Terminal([BIN, "exec", "-t", str(inner), "-u", "--", "setpriv", "--inh-caps=-all", "--bounding-set=-sys_admin",
                      "python3", "-c", probe])
        try:
            m = t.expect(r"TIOCSTI-(\w+)")
            report(m is not None and m.group(1) == b"REFUSED", "exec (no --tty, no CAP_SYS_ADMIN): TIOCSTI is refused too",
                   m.group(0) if m else t.seen)
            t.wait()
        finally:
            t.close()
    finally:
        stop_box(box)


def main():
    try:
        interactive_shell()
        tiocsti()
        rootless()
        raw_mode_restored()
        rootfs_console()
        piped_stdin()
    finally:
        for p in list(CHILDREN):
            try:
                os.kill(p, signal.SIGKILL)
                os.waitpid(p, 0)
            except OSError:
                pass


main()
