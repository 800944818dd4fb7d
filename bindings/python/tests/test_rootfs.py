"""Root filesystems and mounts: spawn(root=, read_only=, mounts=, default_mounts=, masked_paths=,
readonly_paths=) on the real kernel.

Each test builds its own rootfs from the host's binaries (tools/make-test-rootfs.sh) in a fresh
directory, and checks the container from the inside (shell commands, through a pipe) and from the
outside (/proc/PID/root and nscore.mounts(PID), the typed /proc/PID/mountinfo). The `lab` fixture
owns everything a test makes (the directory, host mounts, containers, pipes) and undoes it in
reverse order, failing tests included; `nothing_left_behind` then checks that no mount, fd, child
process or directory remains.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from conftest import BINDINGS, REPO, assert_refused, close_fd, mountinfo, read_all, read_line

import nscore
from nscore import Mount, Propagation, Root

MAKE_ROOTFS = REPO / "tools" / "make-test-rootfs.sh"
#: A container's usual namespaces with root on the host: no user or network namespace.
NS = "mnt,pid,ipc,uts"
NOBODY = 65534

#: Docker's masked paths (Mount.defaultMaskedPaths), split by what this kernel has.
DOCKER_MASKED = [
    "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    "/sys/devices/virtual/powercap",
]


def _readable(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return bool(f.read(1))
    except OSError:
        return False


#: Masked files this kernel has, that read non-empty on the host (so reading nothing inside
#: shows the mask).
MASKED_FILES = [p for p in DOCKER_MASKED if os.path.isfile(p) and _readable(p)]
MASKED_DIRS = [p for p in DOCKER_MASKED if os.path.isdir(p)]


# ---- Helpers -------------------------------------------------------------------------------


class Check(NamedTuple):
    """One shell command's exit status and output (stdout and stderr, whitespace collapsed)."""

    rc: int
    out: str

    @property
    def read_only_fs(self) -> bool:
        """Failed with EROFS."""
        return self.rc != 0 and "Read-only file system" in self.out


#: check LABEL COMMAND: runs COMMAND in a fresh sh and prints "LABEL|STATUS|OUTPUT" on one line.
CHECK_PRELUDE = """\
set -f
check() {
    out=$(sh -c "$2" 2>&1)
    rc=$?
    printf '%s|%s|' "$1" "$rc"
    printf '%s ' $out
    echo
}
"""


def check_script(checks: dict[str, str]) -> str:
    return CHECK_PRELUDE + "".join(f"check {label} {shlex.quote(cmd)}\n" for label, cmd in checks.items())


def parse_checks(out: str, checks: dict[str, str]) -> dict[str, Check]:
    results = {}
    for line in out.splitlines():
        label, rc, text = line.split("|", 2)
        results[label] = Check(int(rc), text.strip())
    assert list(results) == list(checks), out
    return results


def by_target(pid: int) -> dict[str, nscore.MountEntry]:
    """The mounts of pid's namespace by mount point (the topmost one wins)."""
    return {m.target: m for m in nscore.mounts(pid)}


def tree(path: Path) -> dict[str, tuple[Any, ...]]:
    """Everything that identifies the files under path (not atime): to show it did not change."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [*dirnames, *filenames]:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            link = os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
            out[os.path.relpath(p, path)] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, link)
    st = os.lstat(path)
    out["."] = (st.st_mode, st.st_mtime_ns, st.st_ctime_ns)
    return out


def mount_state() -> dict[str, str]:
    """The mountinfo lines of this process, keyed by id, parent, device, root and mount point (a
    foreign mount that reuses a freed id is another mount, not a change)."""
    return {" ".join(line.split()[:5]): line for line in mountinfo()}


def in_a_lab(line: str) -> bool:
    """A mountinfo line whose root or mount point is in a directory of this process's Labs."""
    fields = line.split()
    return any(f.startswith(f"{d}/") or f == str(d) for d in Lab.made for f in (fields[3], fields[4]))


def mount_changes(before: dict[str, str]) -> list[str]:
    """What differs from `before` that these tests can cause: a new mount in a Lab directory
    (rootfs binds, destinations, propagated mounts), or a change to a mount that already
    existed (its options or propagation). Other processes on a shared machine mount and
    unmount elsewhere while the tests run, so the rest of mountinfo is not compared."""
    now = mount_state()
    changed = [f"changed: {line}" for key, line in now.items() if key in before and before[key] != line]
    return changed + [f"new: {line}" for key, line in now.items() if key not in before and in_a_lab(line)]


def host_mounts_below(path: Path) -> list[str]:
    prefix = str(path) + "/"
    return [m.target for m in nscore.mounts(os.getpid()) if m.target == str(path) or m.target.startswith(prefix)]


class Lab:
    """A fresh 0755 directory under /tmp (uid 65534 can read a rootfs in it) with the root
    filesystems, host mounts, containers and pipes a test makes. close() undoes everything in
    reverse order: containers killed and reaped, host mounts detached, fds closed, directory
    removed."""

    #: Every directory a Lab of this process made, for the check that all of them are gone.
    made: list[Path] = []

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="nscore-rootfs-test-"))
        Lab.made.append(self.dir)
        self.dir.chmod(0o755)
        self._containers: list[nscore.Container] = []
        self._host_mounts: list[Path] = []
        self._fds: list[int] = []

    # ---- things to make ------------------------------------------------------------------

    def rootfs(self, name: str = "rootfs") -> Path:
        """A rootfs from the host's binaries (sh ls cat echo ... see make-test-rootfs.sh)."""
        path = self.dir / name
        result = subprocess.run(["bash", str(MAKE_ROOTFS), str(path)], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return path

    def host_tmpfs(self, path: Path, *, shared: bool = False) -> Path:
        """A tmpfs mounted on the host at path (made shared on request), detached by close()."""
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "nscore-test", str(path)], check=True)
        self._host_mounts.append(path)
        if shared:
            subprocess.run(["mount", "--make-shared", str(path)], check=True)
        return path

    def pipe(self) -> tuple[int, int]:
        r, w = os.pipe()
        self._fds += [r, w]
        return r, w

    def spawn(self, argv: Any, **kwargs: Any) -> nscore.Container:
        """nscore.spawn, the container killed and reaped by close()."""
        c = nscore.spawn(argv, **kwargs)
        self._containers.append(c)
        return c

    def hold(self, root: Any, **kwargs: Any) -> nscore.Container:
        """A container that sleeps in root, to look at from the outside. Its mounts are all made
        when spawn() returns (they come before the exec)."""
        kwargs.setdefault("namespaces", NS)
        return self.spawn(["sleep", "60"], root=root, **kwargs)

    def run(self, script: str, root: Any, *, timeout: float = 30.0, **kwargs: Any) -> tuple[int | None, str]:
        """Runs `sh -c script` in root to its end: (exit code, stdout and stderr)."""
        kwargs.setdefault("namespaces", NS)
        r, w = self.pipe()
        try:
            c = self.spawn(["sh", "-c", script], root=root, stdout=w, stderr=w, **kwargs)
        finally:
            close_fd(w)
        out = read_all(r, timeout).decode("utf-8", "replace")
        return c.wait(timeout), out

    def check(self, checks: dict[str, str], root: Any, **kwargs: Any) -> dict[str, Check]:
        """Runs each shell command of checks in one container: {label: Check}."""
        code, out = self.run(check_script(checks), root, **kwargs)
        assert code == 0, out
        return parse_checks(out, checks)

    # ---- undo ----------------------------------------------------------------------------

    def close(self) -> None:
        leftover: list[str] = []
        try:
            for c in reversed(self._containers):
                c.close()
        finally:
            try:
                for path in reversed(self._host_mounts):
                    subprocess.run(["umount", "--recursive", "--lazy", str(path)], check=False)
                # Anything else mounted below the directory (a leak under test): detach it so
                # the directory can go, and fail.
                leftover = host_mounts_below(self.dir)
                for target in sorted(leftover, key=len, reverse=True):
                    subprocess.run(["umount", "--lazy", target], check=False)
            finally:
                for fd in self._fds:
                    close_fd(fd)
                shutil.rmtree(self.dir)
        assert not leftover, f"mounts left on the host: {leftover}"


@pytest.fixture(scope="module", autouse=True)
def warm_up() -> None:
    """One spawn with a rootfs before counting fds, so that lazily opened library resources
    are not counted as leaks."""
    lab = Lab()
    try:
        code, out = lab.run("true", lab.rootfs())
        assert code == 0, out
    finally:
        lab.close()


@pytest.fixture(autouse=True)
def nothing_left_behind() -> Iterator[None]:
    """After the test and its fixtures: the same mounts and fds, no child, no lab directory.
    Garbage is collected first on both sides: a container an earlier test left in a reference
    cycle (an exception's traceback) would otherwise close its pidfd in the middle of this one."""
    gc.collect()
    mounts, fds = mount_state(), sorted(os.listdir("/proc/self/fd"))
    yield
    gc.collect()
    assert mount_changes(mounts) == []
    assert sorted(os.listdir("/proc/self/fd")) == fds
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    assert [d for d in Lab.made if d.exists()] == []


@pytest.fixture
def lab() -> Iterator[Lab]:
    made = Lab()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def rootfs(lab: Lab) -> Path:
    return lab.rootfs()


# ---- pivot_root ----------------------------------------------------------------------------


def test_pivot_root_enters_the_rootfs(lab: Lab, rootfs: Path) -> None:
    marker = lab.dir / "host-only"
    marker.write_text("host\n")
    results = lab.check(
        {
            "proc1root": "readlink /proc/1/root",
            "passwd": "cat /etc/passwd",
            "repo": f"test -e {REPO} || echo gone",
            "marker": f"test -e {marker} || echo gone",
            "rootfs": f"test -e {rootfs} || echo gone",
            "id": "id -u",
        },
        rootfs,
    )
    assert results["proc1root"] == Check(0, "/")
    assert results["passwd"] == Check(0, "root:x:0:0:root:/root:/bin/sh")
    assert Path("/etc/passwd").read_text().strip() != "root:x:0:0:root:/root:/bin/sh"
    assert results["repo"] == results["marker"] == results["rootfs"] == Check(0, "gone")
    assert results["id"] == Check(0, "0")

    # Outside: the process's root is the rootfs, its root mount is the rootfs bound, and nothing
    # of the host's tree is mounted there but what the container mounts.
    c = lab.hold(rootfs)
    inside, st = os.stat(f"/proc/{c.pid}/root"), os.stat(rootfs)
    assert (inside.st_dev, inside.st_ino) == (st.st_dev, st.st_ino)
    entries = nscore.mounts(c.pid)
    (top,) = [m for m in entries if m.target == "/"]
    assert (top.major, top.minor) == (os.major(st.st_dev), os.minor(st.st_dev))
    assert str(rootfs).endswith(top.root) and top.root != "/"
    assert all(m.target == "/" or m.target.split("/")[1] in ("proc", "dev", "sys") for m in entries), entries


def test_an_idmapped_root_is_the_container_roots_own(lab: Lab, rootfs: Path) -> None:
    # Under a range map, host root's files are nobody's inside, and root cannot write them;
    # idmapped, they are root's, and what root writes is the host root's.
    ranges = ["0:100000:65536"]
    kw: dict[str, Any] = {"namespaces": "user," + NS, "uid_mappings": ranges, "gid_mappings": ranges}
    code, out = lab.run("stat -c %u:%g /bin/sh; touch /made 2>/dev/null && echo wrote || echo refused", rootfs, **kw)
    assert (code, out) == (0, "65534:65534\nrefused\n")
    code, out = lab.run("stat -c %u:%g /bin/sh; touch /made && echo wrote", Root(rootfs, idmap=True), **kw)
    assert (code, out) == (0, "0:0\nwrote\n")
    st = os.stat(rootfs / "made")
    assert (st.st_uid, st.st_gid) == (0, 0)
    (rootfs / "made").unlink()
    # A volume: host uid 1000's directory is uid 1000's inside.
    volume = lab.dir / "volume"
    volume.mkdir()
    os.chown(volume, 1000, 1000)
    (rootfs / "data").mkdir()
    code, out = lab.run("stat -c %u /data", rootfs, mounts=[Mount("/data", "bind", str(volume), ["idmap"])], **kw)
    assert (code, out) == (0, "1000\n")
    # Refused where it cannot work, naming why.
    assert_refused(nscore.InvalidArgumentError, "idmap: an idmapped mount is seen through the container's user namespace",
                   root=Root(rootfs, idmap=True), namespaces="mnt")
    with pytest.raises(TypeError):
        Root(rootfs, idmap="yes")  # type: ignore[arg-type]


def test_commands_are_resolved_in_the_rootfs(lab: Lab, rootfs: Path) -> None:
    tool = rootfs / "usr" / "local" / "bin" / "nscore-only-in-the-rootfs"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\necho from the rootfs\n")
    tool.chmod(0o755)
    assert shutil.which(tool.name) is None
    r, w = lab.pipe()
    try:
        c = lab.spawn([tool.name], namespaces=NS, root=rootfs, stdout=w)
    finally:
        close_fd(w)
    assert read_all(r) == b"from the rootfs\n"
    assert c.wait(30) == 0
    # A command of the host only is not found there, and the error says where it looked.
    with pytest.raises(nscore.NotFoundError, match="not found in the root filesystem") as e:
        lab.spawn([os.path.basename(sys.executable)], namespaces=NS, root=rootfs)
    assert e.value.command_failure


# ---- read-only root ------------------------------------------------------------------------


def test_read_only_root_refuses_writes(lab: Lab, rootfs: Path) -> None:
    before = tree(rootfs)
    results = lab.check(
        {
            "new": "touch /x",
            "existing": "echo x >> /etc/passwd",
            "mkdir": "mkdir /root/d",
            "rm": "rm /etc/group",
            "shm": "echo x > /dev/shm/f && cat /dev/shm/f",  # mounts on top keep their flags
        },
        rootfs,
        read_only=True,
    )
    for label in ("new", "existing", "mkdir", "rm"):
        assert results[label].read_only_fs, results[label]
    assert results["shm"] == Check(0, "x")
    assert tree(rootfs) == before

    # The same through Root, seen from the outside.
    for root, read_only in ((Root(rootfs, readonly=True), False), (Root(str(rootfs)), True), (rootfs, True)):
        c = lab.hold(root, read_only=read_only)
        assert by_target(c.pid)["/"].read_only is True
        c.kill()
        c.wait(30)
    assert by_target(lab.hold(Root(rootfs)).pid)["/"].read_only is False
    assert tree(rootfs) == before


# ---- default mounts ------------------------------------------------------------------------


def test_default_mounts(lab: Lab, rootfs: Path) -> None:
    c = lab.hold(rootfs)
    m = by_target(c.pid)
    assert m["/proc"].fstype == "proc"
    assert {"nosuid", "nodev", "noexec"} <= set(m["/proc"].options)
    assert m["/dev"].fstype == "tmpfs"
    assert "nosuid" in m["/dev"].options and "mode=755" in m["/dev"].super_options
    assert m["/dev/pts"].fstype == "devpts"
    assert "ptmxmode=666" in m["/dev/pts"].super_options
    host_devpts = {(e.major, e.minor) for e in nscore.mounts(os.getpid()) if e.fstype == "devpts"}
    assert (m["/dev/pts"].major, m["/dev/pts"].minor) not in host_devpts  # a new instance
    assert m["/dev/shm"].fstype == "tmpfs"
    assert {"nosuid", "nodev", "noexec"} <= set(m["/dev/shm"].options)
    assert m["/dev/mqueue"].fstype == "mqueue"  # NS has a new IPC namespace
    assert m["/sys"].fstype == "sysfs" and m["/sys"].read_only  # no new network namespace

    results = lab.check(
        {
            "null": "echo x > /dev/null && echo written",
            "urandom": "head -c 16 /dev/urandom | wc -c",
            "zero": "head -c 5 /dev/zero | wc -c",
            "full": "head -c 1 /dev/zero > /dev/full",
            "nodes": "stat -c '%F:%t:%T' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty",
            "links": "readlink /dev/fd /dev/stdin /dev/stdout /dev/stderr /dev/ptmx",
            "pts": "ls /dev/pts",
            "shm": "touch /dev/shm/f && echo ok",
        },
        rootfs,
    )
    assert results["null"] == Check(0, "written")
    assert results["urandom"] == Check(0, "16")
    assert results["zero"] == Check(0, "5")
    assert results["full"].rc != 0 and "No space left on device" in results["full"].out
    char = "character special file"
    assert results["nodes"] == Check(0, f"{char}:1:3 {char}:1:5 {char}:1:7 {char}:1:8 {char}:1:9 {char}:5:0")
    assert results["links"] == Check(0, "/proc/self/fd /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 pts/ptmx")
    assert results["pts"] == Check(0, "ptmx")
    assert results["shm"] == Check(0, "ok")


@pytest.mark.parametrize(
    ("namespaces", "sys_read_only", "mqueue"),
    [
        ("mnt,pid", True, False),
        ("mnt,pid,ipc", True, True),
        ("mnt,pid,net", False, False),
        ("mnt,ipc,net", False, True),
    ],
)
def test_sysfs_and_mqueue_follow_the_namespaces(lab: Lab, rootfs: Path, namespaces: str, sys_read_only: bool,
                                                mqueue: bool) -> None:
    m = by_target(lab.hold(rootfs, namespaces=namespaces).pid)
    assert m["/sys"].fstype == "sysfs"
    assert m["/sys"].read_only is sys_read_only
    assert ("/dev/mqueue" in m) is mqueue
    assert "/proc" in m


def test_default_mounts_off(lab: Lab, rootfs: Path) -> None:
    c = lab.hold(rootfs, default_mounts=False, mounts=[Mount.tmpfs("/tmp")])
    # Only the root and what mounts= asks for; the default masked paths are under /proc and
    # /sys, which are now the rootfs's empty directories, so they are skipped.
    assert [(m.target, m.fstype) for m in nscore.mounts(c.pid)][1:] == [("/tmp", "tmpfs")]
    assert nscore.mounts(c.pid)[0].target == "/"
    results = lab.check({"empty": "ls -A /dev /proc /sys"}, rootfs, default_mounts=False)
    assert results["empty"] == Check(0, "/dev: /proc: /sys:")


# ---- masked and read-only paths ------------------------------------------------------------


def test_masked_and_read_only_paths(lab: Lab, rootfs: Path) -> None:
    if not MASKED_FILES and not MASKED_DIRS:
        pytest.skip("this kernel has none of Docker's masked paths")
    checks = {}
    for i, path in enumerate(MASKED_FILES):
        checks[f"file{i}"] = f"head -c 1 {path} | wc -c"
    for i, path in enumerate(MASKED_DIRS):
        checks[f"list{i}"] = f"ls -A {path}"
        checks[f"write{i}"] = f"touch {path}/nscore-x"
    checks["sysctl"] = "echo nscore > /proc/sys/kernel/hostname"
    checks["sysctl-read"] = "cat /proc/sys/kernel/ostype"
    results = lab.check(checks, rootfs)
    for i, _ in enumerate(MASKED_FILES):
        assert results[f"file{i}"] == Check(0, "0")
    for i, _ in enumerate(MASKED_DIRS):
        assert results[f"list{i}"] == Check(0, "")
        assert results[f"write{i}"].read_only_fs, results[f"write{i}"]
    assert results["sysctl"].read_only_fs, results["sysctl"]
    assert results["sysctl-read"] == Check(0, "Linux")

    m = by_target(lab.hold(rootfs).pid)
    for path in MASKED_FILES:
        assert m[path].root == "/null", m[path]  # /dev/null bound over it
    for path in MASKED_DIRS:
        assert m[path].fstype == "tmpfs" and m[path].read_only, m[path]
    for path in ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"):
        if os.path.exists(path):
            assert m[path].read_only and m[path].fstype == "proc", m[path]


def test_masked_and_read_only_paths_off(lab: Lab, rootfs: Path) -> None:
    checks = {
        "sysctl": "echo nscore-rw > /proc/sys/kernel/hostname && hostname",
        **{f"file{i}": f"head -c 1 {p} | wc -c" for i, p in enumerate(MASKED_FILES)},
    }
    results = lab.check(checks, rootfs, masked_paths=[], readonly_paths=[])
    assert results["sysctl"] == Check(0, "nscore-rw")  # NS has a new UTS namespace
    for i, _ in enumerate(MASKED_FILES):
        assert results[f"file{i}"] == Check(0, "1")
    m = by_target(lab.hold(rootfs, masked_paths=[], readonly_paths=[]).pid)
    assert not set(m) & {*MASKED_FILES, *MASKED_DIRS, "/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"}


def test_masked_and_read_only_paths_of_our_own(lab: Lab, rootfs: Path) -> None:
    (rootfs / "root" / "secret").write_text("secret\n")
    checks = {
        "masked-file": "cat /etc/group | wc -c",
        "masked-dir": "ls -A /root",
        "other": "ls /etc",
        "read-only": "touch /tmp/x",
        "defaults-gone": f"head -c 1 {MASKED_FILES[0]} | wc -c" if MASKED_FILES else "echo 1",
    }
    # Our lists replace the defaults; paths the rootfs lacks are skipped.
    results = lab.check(checks, rootfs, masked_paths=["/etc/group", "/root", "/nonexistent"],
                        readonly_paths=["/tmp", "/nonexistent"])
    assert results["masked-file"] == Check(0, "0")
    assert results["masked-dir"] == Check(0, "")
    assert results["other"] == Check(0, "group passwd")
    assert results["read-only"].read_only_fs
    assert results["defaults-gone"] == Check(0, "1")
    assert (rootfs / "root" / "secret").read_text() == "secret\n"
    m = by_target(lab.hold(rootfs, masked_paths=["/root"], readonly_paths=["/tmp"]).pid)
    assert m["/root"].fstype == "tmpfs" and m["/root"].read_only
    assert m["/tmp"].read_only


# ---- bind mounts ---------------------------------------------------------------------------


def test_bind_mounts(lab: Lab, rootfs: Path) -> None:
    src = lab.dir / "src"
    src.mkdir()
    (src / "hello").write_text("hello from the host\n")
    greeting = lab.dir / "greeting.txt"
    greeting.write_text("a file bound alone\n")
    mounts = [
        Mount.bind(src, "/mnt/rw"),
        Mount.bind(src, "/mnt/ro", read_only=True),
        Mount.bind(greeting, "/etc/greeting", read_only=True),
        Mount("/mnt/oci", "bind", str(src), ["rbind", "ro", "nosuid"]),  # the raw OCI form
    ]
    results = lab.check(
        {
            "read": "cat /mnt/ro/hello",
            "write": "echo inside > /mnt/rw/from-inside && echo written",
            "write-ro": "touch /mnt/ro/x",
            "write-oci": "touch /mnt/oci/x",
            "file": "cat /etc/greeting",
            "write-file": "echo x > /etc/greeting",
        },
        rootfs,
        mounts=mounts,
    )
    assert results["read"] == Check(0, "hello from the host")
    assert results["write"] == Check(0, "written")
    assert (src / "from-inside").read_text() == "inside\n"
    assert results["write-ro"].read_only_fs and results["write-oci"].read_only_fs
    assert results["file"] == Check(0, "a file bound alone")
    assert results["write-file"].read_only_fs
    assert greeting.read_text() == "a file bound alone\n"
    assert not (src / "x").exists()
    # The target of a file bind is an empty file the library made in the rootfs.
    assert (rootfs / "etc" / "greeting").is_file() and (rootfs / "etc" / "greeting").stat().st_size == 0

    m = by_target(lab.hold(rootfs, mounts=mounts).pid)
    assert not m["/mnt/rw"].read_only and m["/mnt/ro"].read_only
    assert str(src).endswith(m["/mnt/ro"].root)
    assert str(greeting).endswith(m["/etc/greeting"].root) and m["/etc/greeting"].read_only
    assert m["/mnt/oci"].read_only and "nosuid" in m["/mnt/oci"].options


def test_recursive_read_only_bind_covers_submounts(lab: Lab, rootfs: Path) -> None:
    src = lab.dir / "src"
    (src / "sub").mkdir(parents=True)
    lab.host_tmpfs(src / "sub")
    (src / "sub" / "inner").write_text("on the submount\n")
    mounts = [Mount.bind(src, "/mnt/r", read_only=True), Mount.bind(src, "/mnt/flat", recursive=False)]
    results = lab.check(
        {
            "read": "cat /mnt/r/sub/inner",
            "write": "touch /mnt/r/sub/x",
            "write-top": "touch /mnt/r/x",
            "flat": "ls -A /mnt/flat/sub",
        },
        rootfs,
        mounts=mounts,
    )
    assert results["read"] == Check(0, "on the submount")
    assert results["write"].read_only_fs, results["write"]
    assert results["write-top"].read_only_fs, results["write-top"]
    assert results["flat"] == Check(0, "")  # bind without r: the submount stays behind
    m = by_target(lab.hold(rootfs, mounts=mounts).pid)
    assert m["/mnt/r"].read_only and m["/mnt/r/sub"].read_only and m["/mnt/r/sub"].fstype == "tmpfs"
    assert "/mnt/flat/sub" not in m
    # The host's submount itself stays writable.
    (src / "sub" / "host-write").write_text("ok")


def test_bind_propagation(lab: Lab, rootfs: Path) -> None:
    shared = lab.host_tmpfs(lab.dir / "shared", shared=True)
    mounts = [
        Mount.bind(shared, "/mnt/slave", propagation="slave"),
        Mount.bind(shared, "/mnt/shared-slave", propagation=Propagation.SHARED_SLAVE),
        Mount.bind(shared, "/mnt/private", propagation=Propagation.PRIVATE),
    ]
    assert mounts[1].options == ("rbind", "rshared+slave")
    c = lab.hold(rootfs, mounts=mounts)
    m = by_target(c.pid)
    assert m["/mnt/slave"].propagation == "slave"
    assert m["/mnt/shared-slave"].propagation == "shared+slave"
    assert m["/mnt/private"].propagation == "private"
    # A mount made on the host afterwards reaches the slaves only.
    lab.host_tmpfs(shared / "later")
    targets = {e.target for e in nscore.mounts(c.pid)}
    assert {"/mnt/slave/later", "/mnt/shared-slave/later"} <= targets
    assert "/mnt/private/later" not in targets


def test_root_propagation_shared_slave(lab: Lab) -> None:
    shared = lab.host_tmpfs(lab.dir / "shared", shared=True)
    c = lab.spawn(["sleep", "60"], namespaces="mnt", root_propagation="shared+slave")
    assert by_target(c.pid)[str(shared)].propagation == "shared+slave"
    c = lab.spawn(["sleep", "60"], namespaces="mnt", root_propagation=Propagation.SHARED_SLAVE)
    assert by_target(c.pid)[str(shared)].propagation == "shared+slave"
    c = lab.spawn(["sleep", "60"], namespaces="mnt")  # the default: private
    assert by_target(c.pid)[str(shared)].propagation == "private"


def test_bind_of_a_shared_mount_does_not_propagate_to_the_host(lab: Lab, rootfs: Path) -> None:
    # The bind's source is cloned in the caller's namespace; without a propagation option it must
    # be made private (Docker's rprivate), or it stays a peer of the host's shared mount and what
    # the container mounts under it appears on the host. The container mounts, so it needs
    # CAP_SYS_ADMIN, which Docker's default set leaves out.
    shared = lab.host_tmpfs(lab.dir / "shared", shared=True)
    (shared / "inner").mkdir()
    script = "mount -t tmpfs from-the-container /mnt/b/inner && echo mounted && exec sleep 60"
    r, w = lab.pipe()
    try:
        c = lab.spawn(
            ["sh", "-c", script],
            namespaces=NS,
            root=rootfs,
            mounts=[Mount.bind(shared, "/mnt/b")],
            cap_add=["SYS_ADMIN"],
            stdout=w,
        )
    finally:
        close_fd(w)
    assert read_line(r) == b"mounted\n"
    m = by_target(c.pid)
    assert m["/mnt/b"].propagation == "private" and "/mnt/b/inner" in m
    assert host_mounts_below(shared) == [str(shared)]


# ---- tmpfs and overlay ---------------------------------------------------------------------


def test_tmpfs_with_size_and_mode(lab: Lab, rootfs: Path) -> None:
    mounts = [Mount.tmpfs("/scratch", size="1m", mode=0o700), Mount.tmpfs("/big", size=2 * 1024 * 1024)]
    m = by_target(lab.hold(rootfs, read_only=True, mounts=mounts).pid)
    assert m["/scratch"].fstype == "tmpfs"
    assert {"nosuid", "nodev"} <= set(m["/scratch"].options) and not m["/scratch"].read_only
    assert {"size=1024k", "mode=700"} <= set(m["/scratch"].super_options)
    assert "size=2048k" in m["/big"].super_options
    results = lab.check(
        {
            "mode": "stat -c %a /scratch",
            "write": "echo x > /scratch/f && cat /scratch/f",  # writable over a read-only root
            "full": "head -c 2000000 /dev/zero > /scratch/big",
        },
        rootfs,
        read_only=True,
        mounts=mounts,
    )
    assert results["mode"] == Check(0, "700")
    assert results["write"] == Check(0, "x")
    assert results["full"].rc != 0 and "No space left on device" in results["full"].out


def test_overlay_containers_share_one_read_only_image(lab: Lab, rootfs: Path) -> None:
    image = lab.dir / "image"
    layers = {"base": {"shared.txt": "base\n", "base-only": "base\n"}, "top": {"shared.txt": "top\n"}}
    for layer, files in layers.items():
        (image / layer).mkdir(parents=True)
        for name, text in files.items():
            (image / layer / name).write_text(text)
    (rootfs / "data").mkdir()  # the mount point: the read-only rootfs then stays as it is
    before, rootfs_before = tree(image), tree(rootfs)
    script = (
        "cat /data/shared.txt; echo $NAME > /data/shared.txt; echo $NAME > /data/only-$NAME; rm /data/base-only; "
        "echo written; read _; ls /data; cat /data/shared.txt"
    )
    running = []
    for name in ("a", "b"):
        upper, work = lab.dir / name / "upper", lab.dir / name / "work"
        upper.mkdir(parents=True)
        work.mkdir()
        stdin_r, stdin_w = lab.pipe()
        out_r, out_w = lab.pipe()
        overlay = Mount.overlay("/data", [image / "top", image / "base"], upper=upper, work=work)
        try:
            c = lab.spawn(["sh", "-c", script], namespaces=NS, root=rootfs, read_only=True, mounts=[overlay],
                          env={"NAME": name}, stdin=stdin_r, stdout=out_w, stderr=out_w)
        finally:
            close_fd(out_w)
            close_fd(stdin_r)
        running.append((name, c, stdin_w, out_r, upper))
    # Both have written before either lists: each must see only its own writes.
    for _, _, _, out_r, _ in running:
        assert read_line(out_r) == b"top\n"
        assert read_line(out_r) == b"written\n"
    for name, c, stdin_w, out_r, upper in running:
        entry = by_target(c.pid)["/data"]
        assert entry.fstype == "overlay" and f"upperdir={upper}" in entry.super_options
        os.write(stdin_w, b"\n")
        assert read_all(out_r).decode().split() == [f"only-{name}", "shared.txt", name]
        assert c.wait(30) == 0
        assert (upper / "shared.txt").read_text() == f"{name}\n"
        assert (upper / f"only-{name}").exists()
        whiteout = os.lstat(upper / "base-only")
        assert stat.S_ISCHR(whiteout.st_mode) and whiteout.st_rdev == 0
    assert tree(image) == before
    assert tree(rootfs) == rootfs_before


# ---- bad input -----------------------------------------------------------------------------

BAD_INPUT = {
    "missing bind source": (
        lambda lab: {"mounts": [Mount.tmpfs("/tmp"), Mount.bind(lab.dir / "missing", "/mnt/x")]},
        nscore.NotFoundError, errno.ENOENT,
        r"^mounts\[1\] \(bind /tmp/nscore-rootfs-test-\w+/missing on /mnt/x\): source .*/missing: ENOENT",
    ),
    "relative destination": (
        lambda lab: {"mounts": [Mount.tmpfs("x")]},
        nscore.InvalidArgumentError, errno.EINVAL,
        r"^mounts\[0\] \(tmpfs on x\): destination 'x' is not an absolute path$",
    ),
    "unknown filesystem type": (
        lambda lab: {"mounts": [Mount.tmpfs("/tmp"), Mount("/x", "foofs")]},
        nscore.NSCoreError, errno.ENODEV,
        r"^mounts\[1\] \(foofs on /x\): fsopen foofs: ENODEV \(No such device\)$",
    ),
    "bad filesystem option": (
        lambda lab: {"mounts": [Mount("/x", "tmpfs", "tmpfs", ["size=lots"])]},
        nscore.NSCoreError, errno.EINVAL,
        r"^mounts\[0\] \(tmpfs on /x\): option size=lots: EINVAL",
    ),
    "propagation typo": (
        lambda lab: {"mounts": [Mount.bind(lab.dir, "/mnt/x", propagation="slav")]},
        nscore.InvalidArgumentError, errno.EINVAL,
        r"^mounts\[0\] \(bind .* on /mnt/x\): option 'rslav' does not apply to a bind mount",
    ),
    "rootfs is a file": (
        lambda lab: {"root": lab.dir / "file"},
        nscore.InvalidArgumentError, errno.ENOTDIR,
        r"^root /tmp/nscore-rootfs-test-\w+/file: not a directory$",
    ),
    "rootfs is missing": (
        lambda lab: {"root": lab.dir / "missing"},
        nscore.NotFoundError, errno.ENOENT,
        r"^root .*/missing: ENOENT",
    ),
    "no mount namespace": (
        lambda lab: {"namespaces": "pid,uts,ipc"},
        nscore.InvalidArgumentError, errno.EINVAL,
        r"root filesystem.* mount namespace",
    ),
    "relative masked path": (
        lambda lab: {"masked_paths": ["/proc/kcore", "proc/keys"]},
        nscore.InvalidArgumentError, errno.EINVAL,
        r"\[1\] 'proc/keys' is not an absolute path",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_names_the_mount_and_leaves_nothing(lab: Lab, rootfs: Path, case: str) -> None:
    make, error_class, error_errno, message = BAD_INPUT[case]
    (lab.dir / "file").write_text("not a directory\n")
    kwargs = {"namespaces": NS, "root": rootfs, **make(lab)}
    before = mount_state()
    with pytest.raises(error_class, match=message) as e:
        lab.spawn(["true"], **kwargs)
    assert e.value.errno == error_errno
    assert mount_changes(before) == []
    # The count of the mountinfo lines these tests can make (see mount_changes).
    assert len([line for line in mount_state().values() if in_a_lab(line)]) == len(
        [line for line in before.values() if in_a_lab(line)])
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    # The same configuration with the mistake taken out works.
    assert lab.run("true", rootfs)[0] == 0


def test_python_side_type_errors() -> None:
    with pytest.raises(TypeError, match=r"Mount.options\[1\] must be str"):
        Mount("/x", "tmpfs", options=["size=1m", 5])
    with pytest.raises(TypeError, match="Mount.options must be a sequence of strings, not a single str"):
        Mount("/x", "tmpfs", options="ro")
    with pytest.raises(TypeError, match="Mount.destination must be"):
        Mount(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Mount.type must be str or None"):
        Mount("/x", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tmpfs mode must be an int"):
        Mount.tmpfs("/x", mode="1777")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="propagation must be"):
        Mount.bind("/a", "/b", propagation=1.5)
    with pytest.raises(TypeError, match="Root.readonly must be a bool"):
        Root("/r", readonly=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"mounts\[0\] must be an nscore.Mount, not tuple"):
        nscore.spawn(["true"], namespaces="mnt", mounts=[("/x", "tmpfs")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="mounts must be a sequence of Mount, not a single Mount"):
        nscore.spawn(["true"], namespaces="mnt", mounts=Mount.tmpfs("/x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="masked_paths must be a sequence of paths or None"):
        nscore.spawn(["true"], namespaces="mnt", masked_paths="/proc/keys")
    with pytest.raises(nscore.InvalidArgumentError, match=r"mounts\[0\] \(tmpfs on /x\): options\[0\]: .* NUL"):
        nscore.spawn(["true"], namespaces="mnt", mounts=[Mount("/x", "tmpfs", options=["a\0b"])])
    with pytest.raises(ValueError, match="read_only=True needs a root filesystem"):
        nscore.spawn(["true"], namespaces="mnt", read_only=True)
    with pytest.raises(ValueError, match="'shared\\+slave'"):
        nscore.spawn(["true"], namespaces="mnt", root_propagation="shared+slav")


def test_mount_values() -> None:
    assert Mount.bind("/src", "/dst").options == ("rbind",)
    assert Mount.bind("/src", "/dst", read_only=True, propagation="slave").options == ("rbind", "ro", "rslave")
    assert Mount.bind("/src", "/dst", recursive=False, propagation=Propagation.SHARED_SLAVE,
                      options=["nosuid"]).options == ("bind", "shared+slave", "nosuid")
    assert Mount.bind("/src", "/dst", propagation=Propagation.UNCHANGED).options == ("rbind",)
    b = Mount.bind(Path("/src"), Path("/dst"))
    assert (b.destination, b.type, b.source) == ("/dst", "bind", "/src")
    t = Mount.tmpfs("/tmp", size="64m", mode=0o1777)
    assert (t.type, t.source, t.options) == ("tmpfs", "tmpfs", ("nosuid", "nodev", "size=64m", "mode=1777"))
    assert Mount.tmpfs("/tmp", size=4096, options=()).options == ("size=4096",)
    o = Mount.overlay("/m", ["/a", Path("/b")], upper="/u", work="/w", options=["userxattr"])
    assert (o.type, o.source) == ("overlay", "overlay")
    assert o.options == ("lowerdir=/a:/b", "upperdir=/u", "workdir=/w", "userxattr")
    assert Mount.overlay("/m", "/only").options == ("lowerdir=/only",)
    # Frozen and hashable, lists kept as tuples; str() is how the library's errors name it.
    assert Mount("/x", "tmpfs", options=["ro"]) == Mount("/x", "tmpfs", options=("ro",))
    assert len({Mount.tmpfs("/x"), Mount.tmpfs("/x")}) == 1
    with pytest.raises(AttributeError):
        t.destination = "/y"  # type: ignore[misc]
    assert str(t) == "tmpfs on /tmp"
    assert str(Mount.bind("/src", "/dst")) == "bind /src on /dst"
    assert str(Mount("/x", options=["rbind"], source="/s")) == "bind /s on /x"
    assert Root(Path("/r")) == Root("/r", readonly=False)
    assert Root(b"/r").path == "/r"


def test_exports() -> None:
    assert {"Root", "Mount", "MountEntry"} <= set(nscore.__all__)
    assert nscore.Mount is nscore.rootfs.Mount
    assert nscore._ffi.PROPAGATION_SHARED_SLAVE == Propagation.SHARED_SLAVE == 5
    assert all(isinstance(m, nscore.MountEntry) for m in nscore.mounts(os.getpid()))


# ---- rootless ------------------------------------------------------------------------------

ROOTLESS_SCRIPT = r"""
import json, os, sys, nscore

rootfs, script = sys.argv[1], sys.argv[2]
assert os.getuid() == 65534, os.getuid()
kwargs = dict(namespaces="user,mnt,pid,ipc,uts,net", map_root_user=True, root=rootfs)

r, w = os.pipe()
try:
    c = nscore.spawn(["sh", "-c", script], stdout=w, stderr=w, **kwargs)
finally:
    os.close(w)
out = b""
while chunk := os.read(r, 65536):
    out += chunk
os.close(r)
code = c.wait(30)
c.close()

with nscore.spawn(["sleep", "60"], **kwargs) as held:
    mounts = [[m.target, m.fstype, m.read_only] for m in nscore.mounts(held.pid)]
    held.kill()
    held.wait(30)
try:
    os.waitpid(-1, os.WNOHANG)
    raise SystemExit("a child was left behind")
except ChildProcessError:
    pass
print(json.dumps({"code": code, "out": out.decode(), "mounts": mounts}))
"""


def test_rootless(lab: Lab, rootfs: Path) -> None:
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    # The package and library where uid 65534 can read them, inside the lab (removed with it).
    package = lab.dir / "python"
    shutil.copytree(BINDINGS / "nscore", package / "nscore",
                    ignore=shutil.ignore_patterns("__pycache__", "libnscore.so*"))
    shutil.copy(os.path.realpath(nscore.library_path), package / "libnscore.so")
    for path in [package, *package.rglob("*")]:
        path.chmod(0o755 if path.is_dir() or path.suffix == ".so" else 0o644)
    marker = lab.dir / "host-only"
    marker.write_text("host\n")
    checks = {
        "id": "id -u",
        "proc1root": "readlink /proc/1/root",
        "passwd": "cat /etc/passwd",
        "marker": f"test -e {marker} || echo gone",
        "repo": f"test -e {REPO} || echo gone",
        "null": "echo x > /dev/null && echo written",
        "urandom": "head -c 16 /dev/urandom | wc -c",
        "nodes": "stat -c '%t:%T' /dev/null /dev/zero /dev/urandom /dev/tty",
        "sysctl": "echo nscore > /proc/sys/kernel/hostname",
        **{f"file{i}": f"head -c 1 {p} | wc -c" for i, p in enumerate(MASKED_FILES)},
        **{f"write{i}": f"touch {p}/nscore-x" for i, p in enumerate(MASKED_DIRS)},
    }
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NSCORE_LIBRARY": str(package / "libnscore.so"),
        "PYTHONPATH": str(package),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         sys.executable, "-c", ROOTLESS_SCRIPT, str(rootfs), check_script(checks)],
        env=env, cwd="/", capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["code"] == 0, doc["out"]
    results = parse_checks(doc["out"], checks)
    assert results["id"] == Check(0, "0")
    assert results["proc1root"] == Check(0, "/")
    assert results["passwd"] == Check(0, "root:x:0:0:root:/root:/bin/sh")
    assert results["marker"] == results["repo"] == Check(0, "gone")
    assert results["null"] == Check(0, "written")
    assert results["urandom"] == Check(0, "16")
    assert results["nodes"] == Check(0, "1:3 1:5 1:9 5:0")
    assert results["sysctl"].read_only_fs, results["sysctl"]
    for i, _ in enumerate(MASKED_FILES):
        assert results[f"file{i}"] == Check(0, "0")
    for i, _ in enumerate(MASKED_DIRS):
        assert results[f"write{i}"].read_only_fs, results[f"write{i}"]

    m = {target: (fstype, read_only) for target, fstype, read_only in doc["mounts"]}
    assert doc["mounts"][0][0] == "/"
    assert m["/proc"][0] == "proc"
    assert m["/dev"][0] == "tmpfs"
    assert {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"} <= set(m)  # bound
    assert m["/dev/pts"][0] == "devpts" and m["/dev/shm"][0] == "tmpfs" and m["/dev/mqueue"][0] == "mqueue"
    assert m["/sys"] == ("sysfs", False)  # a new network namespace: its own, writable sysfs
    assert m["/proc/sys"] == ("proc", True)
    assert set(MASKED_FILES) | set(MASKED_DIRS) <= set(m)
