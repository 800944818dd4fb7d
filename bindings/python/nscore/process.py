"""Starting processes in new namespaces (:func:`spawn`) or in existing ones (:func:`join`).

Both return a :class:`Container`: a handle on the started process held through a pidfd, so
that waits and signals never reach a recycled pid. Its interface follows
:class:`subprocess.Popen`: ``wait()``, ``poll()``, ``send_signal()``, ``terminate()``,
``kill()`` and ``returncode`` (the exit code, or ``-N`` when signal N killed the process).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import enum
import inspect
import io
import math
import os
import select
import signal as _signal
import subprocess
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, Union

from . import _ffi
from ._convert import (
    StrOrBytesPath,
    argv_list,
    env_list,
    flag,
    invalid,
    optional_bytes,
    pid_arg,
    string_array,
    to_bytes,
    to_str,
)
from ._handle import SharedHandle
from .cgroup import _WAIT_SLICE_MS, CgroupControls, _Calls, _directories
from .errors import CalledProcessError, NSCoreError, ProcessExitedError, TimeoutExpired
from .namespaces import Namespace, NamespaceLike
from .netconfig import NetworkLike, _Network
from .resources import ResourcesLike, _SpawnResources
from .rootfs import Mount, Root, RootLike
from .seccomp import SeccompLike, _SpawnSeccomp
from .security import Capabilities, RlimitsLike, SpawnSecurity
from .users import IDMappingLike, UserLike, mapping_list, user_arg

__all__ = ["Container", "Propagation", "DEVNULL", "PIPE", "STDOUT", "StdioSpec", "spawn", "join", "run", "run_async"]

#: Pass as ``stdin``, ``stdout`` or ``stderr`` to connect the stream to ``/dev/null``. It has
#: the value of :data:`subprocess.DEVNULL`, so either constant works.
DEVNULL: int = subprocess.DEVNULL

#: Pass as ``stdin``, ``stdout`` or ``stderr`` to get a pipe to the stream: the library makes
#: it (``O_CLOEXEC``), and the container's :attr:`Container.stdin`, :attr:`~Container.stdout`
#: or :attr:`~Container.stderr` is the caller's end as a file object. The value of
#: :data:`subprocess.PIPE`, so either constant works.
PIPE: int = subprocess.PIPE

#: Pass as ``stderr`` to send it where ``stdout`` goes (the same pipe with ``stdout=PIPE``).
#: The value of :data:`subprocess.STDOUT`.
STDOUT: int = subprocess.STDOUT

#: A stdio source: None (inherit the caller's), :data:`DEVNULL`, :data:`PIPE`,
#: :data:`STDOUT` (stderr only), an fd, or a file object.
StdioSpec = Union[None, int, IO[Any], Any]

#: The longest timeout the C int parameters can hold (about 24.8 days).
_MAX_TIMEOUT_MS = 2**31 - 1


#: The default of spawn(namespaces=): create none (a plain child in the caller's namespaces).
_NO_NAMESPACES = Namespace(0)


class Propagation(enum.IntEnum):
    """Mount propagation applied recursively to ``/`` in a new mount namespace (and, through
    :meth:`Mount.bind`, to a bind mount). As text: ``"shared+slave"`` or ``"shared_slave"`` for
    :attr:`SHARED_SLAVE`, the member name in any case for the others."""

    UNCHANGED = _ffi.PROPAGATION_UNCHANGED
    SHARED = _ffi.PROPAGATION_SHARED
    SLAVE = _ffi.PROPAGATION_SLAVE
    PRIVATE = _ffi.PROPAGATION_PRIVATE
    UNBINDABLE = _ffi.PROPAGATION_UNBINDABLE
    #: Slave, then shared: receives from its master's peer group and passes events on to peers
    #: of its own, never back to the master.
    SHARED_SLAVE = _ffi.PROPAGATION_SHARED_SLAVE


PropagationLike = Union[Propagation, str, int, None]


def _propagation(value: PropagationLike) -> int:
    if value is None:
        return Propagation.UNCHANGED
    if isinstance(value, str):
        try:
            return Propagation[value.strip().upper().replace("+", "_")]
        except KeyError:
            raise invalid(
                "root_propagation",
                f"root_propagation: unknown propagation {value!r} (expected 'private', 'slave', "
                "'shared', 'shared+slave', 'unbindable', 'unchanged' or None)",
            ) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"root_propagation must be a str, Propagation or None, not {type(value).__name__}")
    return int(value)  # let the library reject unknown numbers


def _mount_proc(value: bool | None) -> int:
    if value is None:
        return _ffi.MOUNT_PROC_AUTO
    return _ffi.MOUNT_PROC_YES if value else _ffi.MOUNT_PROC_NO


def _root(root: RootLike | None, read_only: bool) -> Root | None:
    if root is None:
        if read_only:
            raise invalid("root", "read_only=True needs a root filesystem (root=)")
        return None
    if isinstance(root, Root):
        return Root(root.path, True, root.idmap) if read_only else root
    return Root(to_str(root, "root"), bool(read_only))


def _path_list(paths: Sequence[StrOrBytesPath] | None, what: str) -> list[bytes] | None:
    """None (the library's default list) or the paths, encoded; one lone string is refused."""
    if paths is None:
        return None
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(f"{what} must be a sequence of paths or None, not a single {type(paths).__name__}")
    return [to_bytes(p, f"{what}[{i}]") for i, p in enumerate(paths)]


#: The arguments of one nscore_spawn_config_add_mount call: destination, type, source, options.
_MountArgs = tuple[bytes, Union[bytes, None], Union[bytes, None], list[bytes]]


def _mount_args(mounts: Sequence[Mount]) -> list[_MountArgs]:
    """Encodes ``spawn(mounts=...)``; a NUL byte is refused here, naming the mount as the
    library does (it would cut the C string short)."""
    if isinstance(mounts, (Mount, str, bytes, os.PathLike)):
        raise TypeError(f"mounts must be a sequence of Mount, not a single {type(mounts).__name__}")
    if not isinstance(mounts, Iterable):
        raise TypeError(f"mounts must be a sequence of Mount, not {type(mounts).__name__}")
    out: list[_MountArgs] = []
    for i, m in enumerate(mounts):
        if not isinstance(m, Mount):
            raise TypeError(f"mounts[{i}] must be an nscore.Mount, not {type(m).__name__}")
        label = f"mounts[{i}] ({m})"
        out.append(
            (
                to_bytes(m.destination, f"{label}: destination"),
                optional_bytes(m.type, f"{label}: type"),
                optional_bytes(m.source, f"{label}: source"),
                [to_bytes(o, f"{label}: options[{j}]") for j, o in enumerate(m.options)],
            )
        )
    return out


def _stdio(value: StdioSpec, name: str) -> tuple[int, int]:
    """(mode, fd) for ``nscore_*_config_set_stdio``; :data:`STDOUT` is resolved by _Process."""
    if value is None:
        return _ffi.STDIO_INHERIT, -1
    if isinstance(value, bool):
        raise TypeError(f"{name} must be None, DEVNULL, PIPE, an fd or a file object, not bool")
    if isinstance(value, int):
        if value == DEVNULL:
            return _ffi.STDIO_NULL, -1
        if value == PIPE:
            return _ffi.STDIO_PIPE, -1
        if value == STDOUT:
            raise invalid(name, f"{name}: STDOUT is only for stderr (send it where stdout goes)")
        if value < 0:
            raise invalid(name, f"{name}: {value} is not a file descriptor")
        return _ffi.STDIO_FD, value
    fileno = getattr(value, "fileno", None)
    if callable(fileno):
        return _ffi.STDIO_FD, int(fileno())
    raise TypeError(f"{name} must be None, DEVNULL, PIPE, an fd or an object with fileno(), not {type(value).__name__}")


class Container(CgroupControls):
    """A process started by :func:`spawn` or :func:`join`.

    The handle owns a pidfd. Closing it (:meth:`close`, the end of a ``with`` block, or garbage
    collection) kills and reaps a process that still runs, unless :meth:`detach` was called.
    The methods may be called from several threads at once (one waiting while another signals).
    A container spawned with ``resources=`` has a cgroup of its own, which :meth:`stats`,
    :meth:`freeze`, :meth:`thaw`, :meth:`update`, :meth:`kill_all`, :meth:`cgroup_event_fd` and
    :meth:`wait_empty` act on (:class:`nscore.CgroupControls`).
    """

    _CALLS = _Calls(
        stats_json="nscore_container_resource_stats_json",
        freeze="nscore_container_freeze",
        thaw="nscore_container_thaw",
        kill_all="nscore_container_kill_all",
        update="nscore_container_update_resources",
        event_fd="nscore_container_cgroup_event_fd",
        wait_empty="nscore_container_wait_empty",
    )

    #: Seconds :meth:`__exit__` gives the process between SIGTERM and SIGKILL (none when the
    #: kernel would drop SIGTERM: see :meth:`stop`).
    stop_timeout: float = 10.0

    def __init__(self, handle: Any, args: Sequence[bytes]) -> None:
        # Use spawn() or join(); this takes ownership of a nscore_container *.
        self._pid: int = _ffi.lib.nscore_container_pid(handle)
        # close() waits for the calls in flight on the handle before freeing it.
        self._shared = SharedHandle(handle, f"container (pid {self._pid})")
        self._returncode: int | None = None
        self._detached = False
        # The cgroup directories, read once by spawn() when it gave resources (they do not
        # change, and stay known after close()).
        self._cgroups: list[str] = []
        #: The argument vector the process was started with (as bytes).
        self.args: list[bytes] = list(args)
        #: The caller's end of the command's stdin when it was spawned with ``stdin=PIPE``: a
        #: writable file object (text with ``text=True``), else None. Closing it ends the input.
        self.stdin: IO[Any] | None = None
        #: The caller's end of the command's stdout with ``stdout=PIPE``: a readable file object
        #: (text with ``text=True``), else None. Closing it early gives the command SIGPIPE
        #: (its default action ends it) if it writes on; this process is never signalled.
        self.stdout: IO[Any] | None = None
        #: As :attr:`stdout`, for ``stderr=PIPE``.
        self.stderr: IO[Any] | None = None
        #: With ``terminal=True``: the multiplexer (master) side of the command's terminal, an
        #: unbuffered binary file object (:class:`io.FileIO`, readable and writable): what the
        #: command writes to its terminal is read here (``read`` raises ``OSError`` EIO once
        #: every process holding the terminal has ended), what is written here is its input,
        #: and ``fcntl.ioctl(c.terminal, termios.TIOCSWINSZ, ...)`` resizes it. Else None.
        #: Closed by :meth:`close`.
        self.terminal: io.FileIO | None = None
        self._text = False
        # communicate() state kept across a TimeoutExpired, so that a later call goes on.
        self._comm: _Communication | None = None

    # ---- Properties --------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The process id as seen from the caller's PID namespace (kept after close)."""
        return self._pid

    @property
    def pidfd(self) -> int:
        """The pidfd, owned by the handle (do not close it); -1 after detach() or close()."""
        return self._shared.read(lambda h: int(_ffi.lib.nscore_container_pidfd(h)), -1)

    @property
    def seccomp_listener(self) -> int | None:
        """The seccomp listener fd when the profile has a ``notify`` rule, else None (and after
        close()). Owned by the handle: do not close it; read it with
        :func:`nscore.seccomp_receive`, answer with :func:`nscore.seccomp_respond`, or poll it
        for ``POLLIN`` in your own loop. It stays open after :meth:`detach`."""
        fd = self._shared.read(lambda h: int(_ffi.lib.nscore_container_seccomp_listener(h)), -1)
        return None if fd < 0 else fd

    @property
    def cgroups(self) -> list[str]:
        """The container's cgroup directories, one per cgroup hierarchy it uses
        (``/sys/fs/cgroup/memory/.../nscore-1234-1``, ...), when it was spawned with
        ``resources=``; else empty. The list is the one made at the spawn: it stays the same
        after the container is reaped, when the directories are removed, and after
        :meth:`close`. After :meth:`detach` the directories stay with the process: remove them
        (``os.rmdir``) once it has ended."""
        return list(self._cgroups)

    def _load_cgroups(self) -> None:
        with self._use() as handle:
            self._cgroups = _directories("nscore_container_cgroups_json", handle)

    @property
    def returncode(self) -> int | None:
        """The exit code once reaped (``-N`` if killed by signal N); None before."""
        return self._returncode

    @property
    def detached(self) -> bool:
        """True after :meth:`detach`."""
        return self._detached

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._shared.closed

    # ---- Handle bookkeeping ------------------------------------------------------------

    def _use(self) -> contextlib.AbstractContextManager[Any]:
        return self._shared.use()

    def _record(self, wstatus: int) -> int:
        code = os.waitstatus_to_exitcode(wstatus)
        self._returncode = code
        return code

    # ---- Waiting -----------------------------------------------------------------------

    def _wait_once(self, timeout_ms: int) -> int | None:
        status = ctypes.c_int(0)
        err = _ffi.new_error()
        wait = _ffi.container_wait_unchecked
        with self._use() as handle:
            rc = wait(handle, timeout_ms, ctypes.byref(status), err)
        if rc == _ffi.ETIMEDOUT:
            _ffi.lib.nscore_error_free(err)  # still running: no exception is built for it
            return None
        if rc < 0:
            _ffi.raise_error(rc, wait, err)
        return self._record(status.value)

    def poll(self) -> int | None:
        """Reaps the process if it has ended and returns :attr:`returncode`, else None."""
        if self._returncode is not None:
            return self._returncode
        return self._wait_once(0)

    def wait(self, timeout: float | None = None) -> int:
        """Waits for the process to end and returns its exit code (``-N`` for signal N).

        With a ``timeout`` in seconds, raises :class:`nscore.TimeoutExpired` (a
        :class:`subprocess.TimeoutExpired` and a :class:`nscore.TimedOutError`) if the process
        still runs when it expires, as :meth:`subprocess.Popen.wait` does; ``wait(0)`` then is
        a check that raises while it runs (:meth:`poll` returns None instead). The wait is
        sliced so that Python signal handlers (Ctrl-C) run while it blocks.
        """
        if self._returncode is not None:
            return self._returncode
        if timeout is not None and (math.isnan(timeout) or timeout < 0):
            raise invalid("wait", f"wait: timeout must be a non-negative number of seconds, not {timeout!r}")
        deadline = None if timeout is None or timeout == math.inf else time.monotonic() + timeout
        while True:
            if deadline is None:
                slice_ms = _WAIT_SLICE_MS
            else:
                left = deadline - time.monotonic()
                slice_ms = max(0, min(_WAIT_SLICE_MS, math.ceil(left * 1000)))
            if self._returncode is not None:
                return self._returncode  # reaped by another thread (close(), a concurrent wait)
            code = self._wait_once(slice_ms)
            if code is not None:
                return code
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutExpired(self.args, timeout)  # type: ignore[arg-type]

    async def wait_async(self) -> int:
        """Awaits the end of the process without blocking the event loop; returns what :meth:`wait` does.

        No thread is started: a duplicate of the pidfd is registered with the running loop's
        ``add_reader`` (the pidfd becomes readable when the process exits), and the process is
        then reaped without blocking. Cancelling the awaiting task stops the wait and leaves the
        process running; it can be awaited again. Needs a selector-based loop (the default on
        Linux, and uvloop).
        """
        code = self.poll()  # also raises for a detached or closed handle
        if code is not None:
            return code
        loop = asyncio.get_running_loop()
        while True:
            # The duplicate stays valid even if close() or detach() closes the handle's pidfd
            # meanwhile, so the loop never watches a closed (or reused) fd number.
            pidfd = self.pidfd
            if pidfd < 0:
                return self.wait(0)  # raises the handle's error, or returns a status reaped meanwhile
            fd = os.dup(pidfd)
            ready: asyncio.Future[None] = loop.create_future()

            def on_ready(ready: asyncio.Future[None] = ready) -> None:
                if not ready.done():
                    ready.set_result(None)

            loop.add_reader(fd, on_ready)
            try:
                await ready
            finally:
                loop.remove_reader(fd)
                os.close(fd)
            code = self.poll()
            if code is not None:
                return code

    # ---- Pipes -------------------------------------------------------------------------

    def _attach_pipes(self, fds: Sequence[int], text: bool) -> None:
        """Wraps the caller's ends of the PIPE streams (fd or -1 each) in file objects."""
        self._text = text
        files: list[IO[Any] | None] = []
        for stream, fd in enumerate(fds):
            if fd < 0:
                files.append(None)
                continue
            f: IO[Any] = io.open(fd, "wb" if stream == 0 else "rb")
            if text:
                f = io.TextIOWrapper(f, write_through=True) if stream == 0 else io.TextIOWrapper(f)  # type: ignore[arg-type]
            files.append(f)
        self.stdin, self.stdout, self.stderr = files

    def _close_pipes(self) -> None:
        for f in (self.stdin, self.stdout, self.stderr, self.terminal):
            if f is not None:
                try:
                    f.close()
                except (OSError, ValueError):
                    pass  # a stdin whose reader is gone cannot flush; nothing to keep

    def communicate(self, input: bytes | str | None = None, timeout: float | None = None) -> tuple[Any, Any]:
        """Sends ``input`` to stdin (then closes it), reads stdout and stderr to their end and
        waits for the process, like :meth:`subprocess.Popen.communicate`: returns
        ``(stdout, stderr)``, each None unless that stream is a :data:`PIPE` (str with
        ``text=True``, else bytes).

        The pipes are served together (``poll(2)``), so a command that writes much output
        before it reads its input, or the other way round, cannot deadlock. A command that
        exits (or closes its stdin) before it has read all of ``input`` drops the rest; the
        SIGPIPE that write raises is blocked in this thread and consumed, never delivered.
        With a ``timeout`` in seconds, raises :class:`nscore.TimeoutExpired` when it expires;
        nothing read is lost, and a later call goes on where this one stopped.
        """
        if input is not None and self.stdin is None and self._comm is None:
            raise invalid("communicate", "communicate: input was given, but stdin is not a PIPE")
        if timeout is not None and (math.isnan(timeout) or timeout < 0):
            raise invalid("communicate", f"communicate: timeout must be a non-negative number of seconds, not {timeout!r}")
        deadline = None if timeout is None or timeout == math.inf else time.monotonic() + timeout
        if self._comm is None:
            data = input.encode(self._encoding()) if isinstance(input, str) else bytes(input or b"")
            self._comm = _Communication(self, data)
        comm = self._comm
        try:
            comm.run(self, deadline)
            self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        except TimeoutExpired:
            raise TimeoutExpired(self.args, timeout, comm.result(1), comm.result(2)) from None  # type: ignore[arg-type]
        out, err = comm.result(1), comm.result(2)
        if self._text:
            out = None if out is None else self._decode(out)
            err = None if err is None else self._decode(err)
        return out, err

    def _encoding(self) -> str:
        for f in (self.stdin, self.stdout, self.stderr):
            encoding = getattr(f, "encoding", None)
            if encoding:
                return str(encoding)
        return "utf-8"

    def _decode(self, data: bytes) -> str:
        return data.decode(self._encoding()).replace("\r\n", "\n").replace("\r", "\n")

    # ---- Signals -----------------------------------------------------------------------

    def send_signal(self, sig: int) -> None:
        """Sends signal ``sig`` through the pidfd. Does nothing once the process was reaped."""
        if self._returncode is not None:
            return
        try:
            with self._use() as handle:
                _ffi.lib.nscore_container_signal(handle, int(sig), _ffi.new_error())
        except ProcessExitedError:
            pass  # reaped by a concurrent wait(): like subprocess.Popen, not an error

    def terminate(self) -> None:
        """Sends SIGTERM."""
        self.send_signal(_signal.SIGTERM)

    def kill(self) -> None:
        """Sends SIGKILL."""
        self.send_signal(_signal.SIGKILL)

    def stop(self, timeout: float | None = 10.0) -> int:
        """SIGTERM, then SIGKILL if still running after ``timeout`` seconds (None: never);
        waits, reaps and returns the exit code (``-N`` for signal N).

        When the kernel would drop SIGTERM, the process gets SIGKILL at once, whatever
        ``timeout`` says: the PID 1 of a new PID namespace (``Namespace.PID`` without
        ``init=True``) that has no SIGTERM handler, since the kernel drops every signal such an
        init does not handle, and a process that ignores SIGTERM. The handlers are read from
        ``/proc/PID/status`` when ``stop`` is called. A PID 1 that traps SIGTERM, nscore's init,
        and any other process get SIGTERM first."""
        if self._returncode is not None:
            return self._returncode
        if timeout is None or timeout == math.inf:
            timeout_ms = -1
        elif math.isnan(timeout) or timeout < 0:
            raise invalid("stop", f"stop: timeout must be a non-negative number of seconds or None, not {timeout!r}")
        else:
            timeout_ms = min(math.ceil(timeout * 1000), _MAX_TIMEOUT_MS)
        status = ctypes.c_int(0)
        with self._use() as handle:
            _ffi.lib.nscore_container_stop(handle, timeout_ms, ctypes.byref(status), _ffi.new_error())
        return self._record(status.value)

    # ---- Lifetime ----------------------------------------------------------------------

    def detach(self) -> None:
        """Lets the process outlive the handle: :meth:`close` will neither kill nor reap it.
        The pidfd is closed now, so :meth:`wait` and signals no longer work."""
        with self._use() as handle:
            _ffi.lib.nscore_container_detach(handle)
            self._detached = True

    def close(self) -> None:
        """Frees the handle; kills (SIGKILL) and reaps a still-running process unless detached,
        so that :attr:`returncode` is set (and stays set) afterwards. Closes the
        :attr:`stdin`, :attr:`stdout` and :attr:`stderr` pipes. Idempotent. Waits for calls in
        flight on other threads to return first."""
        if not self._shared.closed and not self._detached and self._returncode is None:
            try:
                if self.poll() is None:
                    self.kill()
                    self.wait()
            except NSCoreError:
                pass  # closed or reaped by another thread meanwhile; the free below settles it
        self._close_pipes()
        handle = self._shared.release()
        if handle:
            _ffi.lib.nscore_container_free(handle)

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stops the process as :meth:`stop` does with :attr:`stop_timeout` (SIGTERM, then
        SIGKILL; SIGKILL at once for a PID 1 that would drop SIGTERM), then closes the handle."""
        try:
            if not self.closed and not self._detached:
                self.stop(self.stop_timeout)
        finally:
            self.close()

    def __del__(self) -> None:
        shared = getattr(self, "_shared", None)
        if shared is None or shared.closed:
            return
        try:
            if not self._detached and self._returncode is None:
                warnings.warn(
                    f"nscore container {self._pid} was not closed; killing it",
                    ResourceWarning,
                    stacklevel=2,
                    source=self,
                )
            self.close()
        except Exception:  # interpreter shutdown: the library may already be gone
            pass

    def __repr__(self) -> str:
        if self._returncode is not None:
            state = f"returncode={self._returncode}"
        elif self._detached:
            state = "detached"
        elif self.closed:
            state = "closed"
        else:
            state = "running"
        args = [a.decode("utf-8", "backslashreplace") for a in self.args]
        return f"<nscore.Container pid={self._pid} {state} args={args!r}>"


# ---- communicate -----------------------------------------------------------------------------


class _Communication:
    """The state of :meth:`Container.communicate`: what is left to write, what was read.

    The container is passed to each call rather than kept: the container keeps this object
    (across a TimeoutExpired), and a reference back would make a cycle that holds everything
    read until the cyclic garbage collector runs, instead of freeing it with the container.
    """

    _CHUNK = 1 << 16

    def __init__(self, container: Container, data: bytes) -> None:
        self.input = memoryview(data)
        self.offset = 0
        self.chunks: dict[int, list[bytes] | None] = {
            1: None if container.stdout is None else [],
            2: None if container.stderr is None else [],
        }
        if container.stdin is not None and not container.stdin.closed:
            try:
                container.stdin.flush()
            except BrokenPipeError:
                pass
            if not data:
                self._close_stdin(container)

    def result(self, stream: int) -> bytes | None:
        chunks = self.chunks[stream]
        if chunks is None:
            return None
        data = b"".join(chunks)
        # The joined bytes replace the chunks (a later read appends after them), so that the
        # chunks are freed now rather than with the container.
        if len(chunks) > 1:
            chunks[:] = [data]
        return data

    @staticmethod
    def _close_stdin(c: Container) -> None:
        if c.stdin is not None:
            try:
                c.stdin.close()
            except (BrokenPipeError, ValueError):
                pass

    def run(self, c: Container, deadline: float | None) -> None:
        # select.poll directly, without selectors' bookkeeping (a key object per fd, a list of
        # (key, events) per wakeup): a large output takes hundreds of wakeups, one per pipeful.
        poller = select.poll()
        streams: dict[int, int] = {}  # fd -> 0 (stdin), 1 (stdout) or 2 (stderr)
        if c.stdin is not None and not c.stdin.closed:
            os.set_blocking(c.stdin.fileno(), False)
            poller.register(c.stdin.fileno(), select.POLLOUT)
            streams[c.stdin.fileno()] = 0
        for stream, f in ((1, c.stdout), (2, c.stderr)):
            if f is not None and not f.closed:
                poller.register(f.fileno(), select.POLLIN)
                streams[f.fileno()] = stream
        blocked = self._block_sigpipe() if c.stdin is not None and not c.stdin.closed else None
        try:
            while streams:
                timeout_ms = None
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutExpired(c.args, 0)  # type: ignore[arg-type]
                    timeout_ms = math.ceil(left * 1000)
                # POLLHUP and POLLERR come whatever was asked: the write or read that follows
                # sees EPIPE or end of file.
                for fd, _ in poller.poll(timeout_ms):
                    stream = streams[fd]
                    if stream == 0:
                        done = self._write(c, fd)
                    else:
                        done = self._read(c, fd, stream)
                    if done:
                        poller.unregister(fd)
                        del streams[fd]
        finally:
            if blocked is not None:
                self._restore_sigpipe(*blocked)

    def _write(self, c: Container, fd: int) -> bool:
        """Writes the next chunk of input; True once all is written (or the reader is gone) and
        stdin is closed."""
        try:
            n = os.write(fd, self.input[self.offset : self.offset + self._CHUNK])
            self.offset += n
        except BlockingIOError:
            return False
        except BrokenPipeError:
            self.offset = len(self.input)  # the reader is gone: the rest is dropped
            self.sigpipe_raised = True
        if self.offset < len(self.input):
            return False
        self._close_stdin(c)
        return True

    def _read(self, c: Container, fd: int, stream: int) -> bool:
        """Reads what the pipe holds; True at end of file, the stream then closed."""
        data = os.read(fd, self._CHUNK)
        if data:
            chunks = self.chunks[stream]
            assert chunks is not None
            chunks.append(data)
            return False
        f = c.stdout if stream == 1 else c.stderr
        if f is not None:
            f.close()
        return True

    sigpipe_raised = False

    @staticmethod
    def _block_sigpipe() -> tuple[set[int], bool]:
        """Blocks SIGPIPE in this thread (a write to a pipe whose reader is gone raises it in
        the writing thread), so that a host that does not ignore it is never ended by it."""
        old = _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGPIPE})
        return set(old), _signal.SIGPIPE in _signal.sigpending()

    def _restore_sigpipe(self, old: set[int], was_pending: bool) -> None:
        if self.sigpipe_raised and not was_pending:
            _signal.sigtimedwait({_signal.SIGPIPE}, 0)  # consume the one our write raised
        _signal.pthread_sigmask(_signal.SIG_SETMASK, old)


# ---- the process part, shared by spawn and join ---------------------------------------------


class _Process:
    """The process settings of a spawn or a join, checked and converted (before any C call)."""

    def __init__(
        self,
        argv: Sequence[StrOrBytesPath] | StrOrBytesPath,
        env: Mapping[Any, Any] | Iterable[Any] | None,
        cwd: StrOrBytesPath | None,
        executable: StrOrBytesPath | None,
        stdin: StdioSpec,
        stdout: StdioSpec,
        stderr: StdioSpec,
        kill_on_parent_death: bool,
        terminal: bool = False,
        console_size: tuple[int, int] | None = None,
        new_session: bool = True,
    ) -> None:
        self.args = argv_list(argv)
        if not isinstance(terminal, bool):
            raise TypeError(f"terminal must be True or False, not {terminal!r}")
        self.terminal = terminal
        if not isinstance(new_session, bool):
            raise TypeError(f"new_session must be True or False, not {new_session!r}")
        self.new_session = new_session
        self.console_size = _console_size(console_size, terminal)
        self.envp = None if env is None else env_list(env)
        self.directory = optional_bytes(cwd, "cwd")
        self.exe = optional_bytes(executable, "executable")
        self.streams = [_stdio(stdin, "stdin"), _stdio(stdout, "stdout"), (_ffi.STDIO_INHERIT, -1)]
        self.merge = isinstance(stderr, int) and not isinstance(stderr, bool) and stderr == STDOUT
        if not self.merge:
            self.streams[2] = _stdio(stderr, "stderr")
        self.kill_on_parent_death = kill_on_parent_death
        # stderr=STDOUT with stdout=PIPE: one pipe of our own (O_CLOEXEC) for both streams.
        self.merged_pipe: tuple[int, int] | None = None

    def open_streams(self) -> None:
        """Resolves stderr=STDOUT (just before the C calls: it may make a pipe)."""
        if not self.merge:
            return
        mode, fd = self.streams[1]
        if mode == _ffi.STDIO_PIPE:
            self.merged_pipe = os.pipe()
            self.streams[1] = self.streams[2] = (_ffi.STDIO_FD, self.merged_pipe[1])
        elif mode == _ffi.STDIO_INHERIT:
            self.streams[2] = (_ffi.STDIO_FD, 1)
        else:
            self.streams[2] = (mode, fd)

    def close_child_ends(self, failed: bool) -> None:
        """After the spawn or join: our copy of the merged pipe's write end goes (the command
        has its own), and on failure the read end too."""
        if self.merged_pipe is not None:
            os.close(self.merged_pipe[1])
            if failed:
                os.close(self.merged_pipe[0])
                self.merged_pipe = None

    def attach(self, container: Container, text: bool) -> None:
        """Hands the caller's pipe ends to ``container`` as file objects."""
        fds = [-1, -1, -1]
        try:
            pipes = [stream for stream, (mode, _) in enumerate(self.streams) if mode == _ffi.STDIO_PIPE]
            if pipes:
                with container._use() as handle:
                    for stream in pipes:
                        fd = ctypes.c_int(-1)
                        _ffi.lib.nscore_container_stdio_fd(handle, stream, ctypes.byref(fd), _ffi.new_error())
                        fds[stream] = fd.value
            if self.merged_pipe is not None:
                fds[1] = self.merged_pipe[0]
                self.merged_pipe = None
            if self.terminal:
                fd = ctypes.c_int(-1)
                with container._use() as handle:
                    _ffi.lib.nscore_container_terminal_fd(handle, ctypes.byref(fd), _ffi.new_error())
                container.terminal = io.FileIO(fd.value, "r+")
            container._attach_pipes(fds, text)
        except BaseException:
            for fd in fds:
                if fd >= 0:
                    os.close(fd)
            container.close()
            raise

    def apply(self, p: Any) -> None:
        """Sets everything on ``p``, an ``nscore_process_config *``."""
        lib, err = _ffi.lib, _ffi.new_error
        lib.nscore_process_config_set_argv(p, string_array(self.args), err())
        if self.exe is not None:
            lib.nscore_process_config_set_executable(p, self.exe, err())
        if self.envp is not None:
            lib.nscore_process_config_set_env(p, string_array(self.envp), err())
        if self.directory is not None:
            lib.nscore_process_config_set_cwd(p, self.directory, err())
        if self.kill_on_parent_death:
            lib.nscore_process_config_set_kill_on_parent_death(p, flag(self.kill_on_parent_death), err())
        if not self.new_session:
            lib.nscore_process_config_set_new_session(p, 0, err())
        if self.terminal:
            rows, cols = self.console_size or (0, 0)
            lib.nscore_process_config_set_terminal(p, 1, rows, cols, err())
        for stream, (mode, fd) in enumerate(self.streams):
            if mode != _ffi.STDIO_INHERIT:
                lib.nscore_process_config_set_stdio(p, stream, mode, fd, err())


def _console_size(value: Any, terminal: bool) -> tuple[int, int] | None:
    """``console_size=``: ``(rows, columns)``, each 1 to 65535, only with ``terminal=True``."""
    if value is None:
        return None
    if not terminal:
        raise invalid("console_size", "console_size: needs terminal=True")
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= 65535 for v in value)):
        raise invalid("console_size", f"console_size must be (rows, columns), each 1 to 65535, not {value!r}")
    return int(value[0]), int(value[1])


# ---- spawn ---------------------------------------------------------------------------------

#: The clocks of ``time_offsets=`` and their NSCORE_CLOCK_* values.
_CLOCKS = {"monotonic": 1, "boottime": 7}


def _time_offsets(value: Mapping[str, float] | None) -> list[tuple[int, int, int]]:
    """``{"monotonic": seconds, ...}`` as (clock, seconds, nanoseconds), nanoseconds 0 to 999999999."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise TypeError(f"spawn: time_offsets must be a mapping such as {{'monotonic': 86400}}, not {type(value).__name__}")
    out = []
    for name, offset in value.items():
        if name not in _CLOCKS:
            raise invalid("time_offsets", f"spawn: time_offsets: unknown clock {name!r}; give 'monotonic' or 'boottime'")
        if isinstance(offset, bool) or not isinstance(offset, (int, float)) or not math.isfinite(offset):
            raise TypeError(f"spawn: time_offsets[{name!r}] must be a number of seconds, not {offset!r}")
        total = round(offset * 1_000_000_000) if isinstance(offset, float) else offset * 1_000_000_000
        secs, nanos = divmod(int(total), 1_000_000_000)
        out.append((_CLOCKS[name], secs, nanos))
    return out



def spawn(
    argv: Sequence[StrOrBytesPath] | StrOrBytesPath,
    *,
    namespaces: NamespaceLike = _NO_NAMESPACES,
    hostname: str | bytes | None = None,
    domainname: str | bytes | None = None,
    time_offsets: Mapping[str, float] | None = None,
    env: Mapping[Any, Any] | Iterable[Any] | None = None,
    cwd: StrOrBytesPath | None = None,
    executable: StrOrBytesPath | None = None,
    mount_proc: bool | None = None,
    root_propagation: PropagationLike = "private",
    root: RootLike | None = None,
    read_only: bool = False,
    mounts: Sequence[Mount] = (),
    default_mounts: bool = True,
    masked_paths: Sequence[StrOrBytesPath] | None = None,
    readonly_paths: Sequence[StrOrBytesPath] | None = None,
    init: bool = False,
    map_root_user: bool = False,
    uid_mappings: Sequence[IDMappingLike] | None = None,
    gid_mappings: Sequence[IDMappingLike] | None = None,
    user: UserLike | None = None,
    capabilities: Capabilities | None = None,
    cap_add: Sequence[str] = (),
    cap_drop: Sequence[str] = (),
    privileged: bool = False,
    no_new_privileges: bool | None = None,
    rlimits: RlimitsLike | None = None,
    oom_score_adj: int | None = None,
    seccomp: SeccompLike = None,
    resources: ResourcesLike = None,
    cgroups_path: StrOrBytesPath | None = None,
    network: NetworkLike = None,
    kill_on_parent_death: bool = False,
    stdin: StdioSpec = None,
    stdout: StdioSpec = None,
    stderr: StdioSpec = None,
    text: bool = False,
    terminal: bool = False,
    console_size: tuple[int, int] | None = None,
    new_session: bool = True,
) -> Container:
    """Starts ``argv`` in new namespaces and returns once the command has been exec'd.

    :param argv: the command and its arguments; ``argv[0]`` is looked up in ``PATH`` unless it
        contains a ``/`` or ``executable`` is given. A lone string is a command without arguments.
    :param namespaces: the kinds to create: a :class:`Namespace`, ``NSCORE_NS_*`` bits or text
        such as ``"net,uts"``.
    :param hostname: the hostname in the new UTS namespace (at most 64 bytes).
    :param domainname: the NIS domain name in the new UTS namespace.
    :param time_offsets: clock offsets of the new time namespace (``Namespace.TIME``), in
        seconds: ``{"monotonic": 86400, "boottime": 3600.5}`` (OCI ``linux.timeOffsets``,
        ``unshare --monotonic/--boottime``); without them the namespace reads the host's clocks.
    :param env: the environment (a mapping, or "NAME=value" strings); None inherits os.environ.
    :param cwd: the working directory; None keeps the caller's.
    :param executable: the file to execute instead of resolving ``argv[0]``.
    :param mount_proc: mount a fresh /proc (None: when both PID and mount namespaces are new).
    :param root_propagation: propagation of / in a new mount namespace: "private" (default),
        "slave", "shared", "shared+slave", "unbindable", or None to leave it unchanged. With a
        ``root`` it is applied before the rootfs is bound, which inherits it. Without a new mount
        namespace only "private" and None are accepted (any other would change the host's /).
    :param root: run the command in this root filesystem (a directory, or a :class:`Root`):
        it is bound onto itself, the mounts are made inside it, then ``pivot_root`` enters it and
        the host's tree is detached. Needs a new mount namespace. The command is looked up
        inside it (``env``'s ``PATH``, else a default ``PATH``).
    :param read_only: make the root mount read-only (the same as ``Root(path, readonly=True)``);
        mounts on top of it keep their own flags.
    :param mounts: :class:`Mount` entries made in order in the new mount namespace, after the
        default ones; destinations are inside the ``root`` when there is one, else in the new
        namespace's copy of the caller's tree. Errors name the entry by its index:
        ``mounts[0] (foofs on /x): fsopen foofs: ENODEV (No such device)``.
    :param default_mounts: with a ``root``, mount what a container expects first, as Docker
        does: proc (nosuid,nodev,noexec); /dev, a tmpfs with null, zero, full, random, urandom
        and tty (bound from the host in a new user namespace) and the links fd, stdin, stdout,
        stderr and ptmx; /dev/pts; /dev/shm; /dev/mqueue with a new IPC namespace; sysfs,
        read-only unless the network namespace is new. False: only ``mounts``.
    :param masked_paths: paths hidden from the container (an empty read-only tmpfs over a
        directory, /dev/null over a file; paths the kernel lacks are skipped). None: with a
        ``root``, Docker's list (/proc/kcore, /proc/keys, /proc/timer_list, /sys/firmware,
        /proc/acpi, ...), without one none; ``[]``: none.
    :param readonly_paths: paths made read-only, recursively. None: with a ``root``, /proc/bus,
        /proc/fs, /proc/irq, /proc/sys and /proc/sysrq-trigger, without one none; ``[]``: none.
    :param init: run the command under NSCore's init as PID 1 (reaps zombies, forwards signals).
    :param map_root_user: map root in a new user namespace to the caller's uid/gid (implies USER).
    :param uid_mappings: lines of the uid map of a new user namespace (OCI
        ``linux.uidMappings``): :class:`nscore.IDMapping` entries, ``(container_id, host_id,
        size)`` tuples or ``"INNER:OUTER:COUNT"`` strings (``["0:100000:65536"]``). Any line
        implies USER and excludes ``map_root_user``. Root writes any map; another caller writes
        a map of its own uid (one line of size 1) itself and goes through ``newuidmap``
        (``/etc/subuid``) for anything else (:class:`nscore.NotFoundError` when it is not
        installed, :class:`nscore.PermissionDeniedError` when it refuses the map). Without a
        ``user`` the command keeps the caller's uid where the map maps it, else runs as uid 0 of
        the map. A size of 0, overlapping lines, a range that reaches id 4294967295 and more than
        340 lines are refused with :class:`nscore.InvalidArgumentError` naming the line, before
        anything is started.
    :param gid_mappings: the same for the gid map (OCI ``linux.gidMappings``; ``newgidmap``,
        ``/etc/subgid``). An unprivileged caller's map of its own gid makes the kernel deny
        ``setgroups(2)`` in the namespace, so a ``user`` with supplementary groups is refused there.
    :param user: the user the command runs as (OCI ``process.user``): an :class:`nscore.User`
        (uid, gid, supplementary groups), a uid (group 0), a ``(uid, gid)`` tuple or a
        ``"UID[:GID]"`` string; None keeps the caller's (or, with maps, as said above). The ids
        are those of the namespace the command runs in: with maps, ids inside them, each of
        which must be mapped. Set after the mounts, before ``cwd`` and the exec; a uid other
        than 0 keeps no capability but those of ``capabilities``.
    :param capabilities: the command's capability sets (OCI ``process.capabilities``), an
        :class:`nscore.Capabilities`: ``Capabilities.of(["CHOWN", "NET_RAW"])``,
        ``Capabilities.docker_default()``, ``Capabilities.all()``, or the five sets given one by
        one (``Capabilities(effective=..., permitted=..., inheritable=..., ambient=...)``; a
        non-root ``user`` keeps an ambient capability across its exec). None: the default, which
        is Docker's set (:meth:`nscore.Capabilities.docker_default`) with a ``root``, and the
        caller's capabilities (all of them in a new user namespace) for a plain namespace spawn.
        Every set is limited to the caller's bounding set. The library checks the names (an
        unknown one raises :class:`nscore.InvalidArgumentError` listing the valid ones), that
        effective is within permitted, and that ambient is within permitted and inheritable.
    :param cap_add: capabilities added to the bounding, effective and permitted sets, as
        ``docker run --cap-add`` (``"NET_ADMIN"``, ``"CAP_NET_ADMIN"`` or ``"net_admin"``;
        ``"ALL"`` for every one). They adjust ``capabilities`` when it is given, else Docker's
        default set (with or without a ``root``). Empty: no change.
    :param cap_drop: capabilities removed from every set, as ``docker run --cap-drop``. Combined
        with ``cap_add`` as Docker does: with ``cap_add=["ALL"]`` every capability but the
        dropped ones; otherwise the drops first, then the additions (``cap_drop=["ALL"],
        cap_add=["CHOWN"]`` is CHOWN alone; one both added and dropped is kept).
    :param privileged: every capability (as ``Capabilities.all()``, limited to the caller's
        bounding set), and no ``no_new_privs`` unless ``no_new_privileges`` says otherwise;
        ``cap_add`` and ``cap_drop`` still apply; exclusive with ``capabilities``. Unlike
        ``docker run --privileged`` it changes nothing else: pass ``masked_paths=[]`` and
        ``readonly_paths=[]`` for those.
    :param no_new_privileges: ``PR_SET_NO_NEW_PRIVS`` for the command (OCI
        ``process.noNewPrivileges``): setuid programs and file capabilities then give it
        nothing. None: on with a ``root`` (unless ``privileged``), off for a plain namespace spawn.
    :param rlimits: resource limits of the command (OCI ``process.rlimits``), set in the child
        before anything else: a mapping from the type (``"nofile"`` or ``"RLIMIT_NOFILE"``) to
        one int (soft and hard) or a ``(soft, hard)`` tuple, as ``{"nofile": (1024, 2048),
        "core": 0}``, or a sequence of :class:`nscore.Rlimit`. :data:`nscore.RLIM_INFINITY`
        (or -1, :data:`resource.RLIM_INFINITY`) is no limit. An unknown type (the message lists
        the valid ones), a soft limit above the hard one and a resource given twice raise
        :class:`nscore.InvalidArgumentError`; raising a hard limit needs ``CAP_SYS_RESOURCE``.
        None: the caller's limits.
    :param oom_score_adj: the OOM killer's score adjustment of the command, -1000 to 1000 (OCI
        ``process.oomScoreAdj``); going below the caller's needs ``CAP_SYS_RESOURCE``. None:
        the caller's.
    :param seccomp: the command's seccomp filter (OCI ``linux.seccomp``): an
        :class:`nscore.Seccomp`, a dict in the OCI form, JSON text, ``"default"`` (NSCore's
        profile, equivalent to Docker's, following the command's capabilities) or
        ``"unconfined"`` (none). None: the default profile with a ``root``, none without. The
        filter is installed just before the exec; the spawn raises
        :class:`nscore.InvalidArgumentError` for a profile that would refuse the exec itself
        (naming ``execve``) and for bad rules. A ``notify`` rule gives the container a
        :attr:`Container.seccomp_listener`. Unprivileged, installing a filter needs
        ``no_new_privileges`` (the default with a ``root``) or a user namespace.
    :param resources: limits on memory, CPU time and CPUs and processes (OCI
        ``linux.resources``): an :class:`nscore.Resources` (``Resources(memory_max="256m",
        cpu_quota=50_000, pids_max=64)``) or a dict of its fields. Any limit gives the
        container a cgroup of its own below the caller's, with the limits written before the
        command runs, listed in :attr:`Container.cgroups` and removed once it is reaped (or
        when the spawn fails). Needs write access to the caller's cgroup (root, or a delegated
        cgroup2 subtree): :class:`nscore.PermissionDeniedError` otherwise, even with a user
        namespace. Values are checked before anything is created:
        :class:`nscore.InvalidArgumentError` naming the value (``resources: memory.limit is
        -5; ...``). None, or nothing set: no cgroup.
    :param cgroups_path: where the container's cgroup goes (OCI ``linux.cgroupsPath``), in each
        hierarchy it uses: an absolute path from the hierarchy's root (``"/ci/job-7"``:
        ``/sys/fs/cgroup/memory/ci/job-7`` on a hybrid machine), a relative one from the
        caller's own cgroup (``"job-7"``). The last component is the container's cgroup, which
        must not exist yet; its parent must. None: ``nscore-<pid>-<n>`` below the caller's
        cgroup (on cgroup2, below a cgroup of its delegated subtree that gives the controllers
        when its own cannot). Needs ``resources``: :class:`nscore.InvalidArgumentError` without.
        A path that names no cgroup (``""``, ``"a/../b"``) raises
        :class:`nscore.InvalidArgumentError`, a missing parent :class:`nscore.NotFoundError`,
        an existing cgroup :class:`nscore.SystemCallError` (``EEXIST``), each naming it,
        before anything is started. A str, bytes or ``os.PathLike`` (``TypeError`` otherwise)
        without a NUL byte.
    :param network: how a new network namespace is connected: None or ``"none"`` (only
        ``lo``, up), or an :class:`nscore.Veth` (a veth pair to the calling *thread*'s network
        namespace, with addresses, gateway, MTU and MAC, optionally on an :class:`nscore.Bridge`),
        set up while the child waits, so the command starts with its network ready. A Veth needs
        the ``net`` namespace. A bad address, gateway or MAC raises
        :class:`nscore.InvalidArgumentError` quoting it; names, the gateway's subnet, the MTU
        and a missing bridge are checked at the spawn; the host end goes with the container.
    :param kill_on_parent_death: SIGKILL the process when the spawning *thread* exits.
    :param stdin, stdout, stderr: None (inherit), :data:`DEVNULL`, an fd, or a file object (the
        child gets a duplicate and the caller keeps its own descriptor), or :data:`PIPE`: a
        pipe whose other end is :attr:`Container.stdin`, :attr:`~Container.stdout` or
        :attr:`~Container.stderr`; ``stderr=STDOUT`` sends stderr where stdout goes (into the
        same pipe with ``stdout=PIPE``). Serve several pipes with :meth:`Container.communicate`.
    :param text: the pipes' file objects are text (the locale's encoding, universal newlines),
        and :meth:`Container.communicate` takes and returns str.
    :param terminal: give the command a new pseudo-terminal (OCI ``process.terminal``): it
        leads a new session with the pty as its controlling terminal, and every stream left
        at None (inherited) is the pty. :attr:`Container.terminal` is the multiplexer side.
        With ``root`` and the default mounts the pty is one of the container's own
        ``/dev/pts``, also bound on ``/dev/console``.
    :param console_size: ``(rows, columns)``, the terminal's initial size (OCI
        ``process.consoleSize``); needs ``terminal=True``.
    :param new_session: start the command in a new session (``setsid``), as runc and crun do;
        the default. In this process's session it would share its controlling terminal and
        could push input into the user's shell with ``TIOCSTI`` (bubblewrap's CVE-2017-5226).
        ``False`` keeps the session (job control on this process's terminal, at that risk).
    :raises NSCoreError: a subclass naming the failing step; nothing is left running.
    """
    process = _Process(argv, env, cwd, executable, stdin, stdout, stderr, kill_on_parent_death, terminal, console_size,
                       new_session)
    ns = int(Namespace.coerce(namespaces))
    host = optional_bytes(hostname, "hostname")
    domain = optional_bytes(domainname, "domainname")
    offsets = _time_offsets(time_offsets)
    propagation = _propagation(root_propagation)
    rootfs = _root(root, read_only)
    root_path = None if rootfs is None else to_bytes(rootfs.path, "root")
    mount_list = _mount_args(mounts)
    masked = _path_list(masked_paths, "masked_paths")
    readonly = _path_list(readonly_paths, "readonly_paths")
    net = _Network(network)
    uid_map = mapping_list(uid_mappings, "uid_mappings")
    gid_map = mapping_list(gid_mappings, "gid_mappings")
    run_as = user_arg(user)
    gids = () if run_as is None else run_as.additional_gids
    # const uint32_t * with its count; NULL for none.
    gid_array = (ctypes.c_uint32 * len(gids))(*gids) if gids else None
    security = SpawnSecurity(capabilities, cap_add, cap_drop, privileged, no_new_privileges, rlimits, oom_score_adj)
    filter_ = _SpawnSeccomp(seccomp)
    limits = _SpawnResources(resources, cgroups_path)

    lib, err = _ffi.lib, _ffi.new_error
    cfg = _ffi.SpawnConfigPtr()
    failed = True
    try:
        lib.nscore_spawn_config_new(ctypes.byref(cfg), err())
        process.open_streams()
        process_cfg = lib.nscore_spawn_config_process(cfg)
        process.apply(process_cfg)
        security.apply(cfg, process_cfg)
        # Settings equal to a new configuration's defaults (no namespace, /proc automatic, /
        # private) are not set again: each call is a round trip through ctypes.
        if ns:
            lib.nscore_spawn_config_set_namespaces(cfg, ns, err())
        if host is not None:
            lib.nscore_spawn_config_set_hostname(cfg, host, err())
        if domain is not None:
            lib.nscore_spawn_config_set_domainname(cfg, domain, err())
        for clock, secs, nanos in offsets:
            lib.nscore_spawn_config_set_time_offset(cfg, clock, secs, nanos, err())
        if mount_proc is not None:
            lib.nscore_spawn_config_set_mount_proc(cfg, _mount_proc(mount_proc), err())
        if propagation != Propagation.PRIVATE:
            lib.nscore_spawn_config_set_root_propagation(cfg, propagation, err())
        if rootfs is not None:
            lib.nscore_spawn_config_set_root(cfg, root_path, int(rootfs.readonly) | (2 if rootfs.idmap else 0), err())
        if not default_mounts:
            lib.nscore_spawn_config_set_default_mounts(cfg, 0, err())
        for destination, fstype, source, options in mount_list:
            lib.nscore_spawn_config_add_mount(cfg, destination, fstype, source, string_array(options), err())
        if masked is not None:
            lib.nscore_spawn_config_set_masked_paths(cfg, string_array(masked), err())
        if readonly is not None:
            lib.nscore_spawn_config_set_readonly_paths(cfg, string_array(readonly), err())
        if init:
            lib.nscore_spawn_config_set_init(cfg, 1, err())
        if map_root_user:
            lib.nscore_spawn_config_set_map_root_user(cfg, 1, err())
        for m in uid_map:
            lib.nscore_spawn_config_add_uid_mapping(cfg, m.container_id, m.host_id, m.size, err())
        for m in gid_map:
            lib.nscore_spawn_config_add_gid_mapping(cfg, m.container_id, m.host_id, m.size, err())
        if run_as is not None:
            lib.nscore_spawn_config_set_user(cfg, run_as.uid, run_as.gid, gid_array, len(gids), err())
        net.apply(cfg)
        filter_.apply(cfg)
        limits.apply(cfg)
        out = _ffi.ContainerPtr()
        lib.nscore_spawn(cfg, ctypes.byref(out), err())
        failed = False
    finally:
        lib.nscore_spawn_config_free(cfg)
        filter_.close()
        process.close_child_ends(failed)
    container = Container(out, process.args)
    process.attach(container, text)
    if limits.active:
        try:
            container._load_cgroups()
        except BaseException:
            container.close()
            raise
    return container


# ---- join ----------------------------------------------------------------------------------

#: A join target: a pid, an object with ``.pid`` (a Container), or {kind: namespace file}.
JoinTarget = Union[int, Container, Mapping[NamespaceLike, StrOrBytesPath]]


def join(
    target: JoinTarget,
    argv: Sequence[StrOrBytesPath] | StrOrBytesPath,
    *,
    namespaces: NamespaceLike | None = None,
    env: Mapping[Any, Any] | Iterable[Any] | None = None,
    cwd: StrOrBytesPath | None = None,
    executable: StrOrBytesPath | None = None,
    stdin: StdioSpec = None,
    stdout: StdioSpec = None,
    stderr: StdioSpec = None,
    kill_on_parent_death: bool = False,
    join_cgroups: bool = True,
    text: bool = False,
    terminal: bool = False,
    console_size: tuple[int, int] | None = None,
    new_session: bool = True,
) -> Container:
    """Runs ``argv`` inside existing namespaces (``setns(2)``, like ``nsenter``/``docker exec``).

    The command runs in a fresh child; the caller's own namespaces never change. The returned
    :class:`Container` is the command itself, a child of this process. Nothing of this process
    (its memory, environment or fds) is ever visible inside the target: the library's child
    execs NSCore's small init before it joins anything, and that process joins and starts the
    command with nothing but its stdio.

    :param target: a pid (or a :class:`Container`) whose namespaces to join, or a mapping from
        a single :class:`Namespace` kind to a namespace file (``/proc/PID/ns/net`` or a file
        made by :func:`nscore.persist`).
    :param namespaces: for a pid target, the kinds to join; default: every kind that differs
        from the caller's.
    :param env, cwd, executable, stdin, stdout, stderr, text, kill_on_parent_death: as for
        :func:`spawn` (``cwd=None`` in a joined mount namespace is its ``/``).
    :param join_cgroups: for a pid target in cgroups NSCore made (a container spawned with
        ``resources``), the command joins them too, as ``docker exec`` does: it counts against
        the container's limits, and a frozen container is refused. ``False``: it stays in the
        caller's cgroups.
    :param terminal, console_size, new_session: as for :func:`spawn`; a join that enters the target's mount
        namespace gets a pty of the target's own ``/dev/ptmx``.
    """
    process = _Process(argv, env, cwd, executable, stdin, stdout, stderr, kill_on_parent_death, terminal, console_size,
                       new_session)
    paths: list[tuple[int, bytes]] | None = None
    pid: int | None = None
    if isinstance(target, Mapping):
        if namespaces is not None:
            raise TypeError("join: namespaces= applies to a pid target; a mapping already names the kinds")
        paths = [(int(Namespace.coerce(k)), to_bytes(v, f"path for {k}")) for k, v in target.items()]
        if not paths:
            raise invalid("join", "join: the mapping of namespace files is empty")
    else:
        pid = pid_arg(target, "target")
    ns = None if namespaces is None else int(Namespace.coerce(namespaces))

    lib, err = _ffi.lib, _ffi.new_error
    cfg = _ffi.JoinConfigPtr()
    lib.nscore_join_config_new(ctypes.byref(cfg), err())
    failed = True
    try:
        if pid is not None:
            lib.nscore_join_config_set_target_pid(cfg, pid, err())
        for kind, path in paths or ():
            lib.nscore_join_config_set_namespace_path(cfg, kind, path, err())
        if ns is not None:
            lib.nscore_join_config_set_namespaces(cfg, ns, err())
        if not isinstance(join_cgroups, bool):
            raise TypeError(f"join: join_cgroups must be a bool, not {type(join_cgroups).__name__}")
        lib.nscore_join_config_set_join_cgroups(cfg, int(join_cgroups), err())
        process.open_streams()
        process.apply(lib.nscore_join_config_process(cfg))
        out = _ffi.ContainerPtr()
        lib.nscore_join(cfg, ctypes.byref(out), err())
        failed = False
    finally:
        lib.nscore_join_config_free(cfg)
        process.close_child_ends(failed)
    container = Container(out, process.args)
    process.attach(container, text)
    return container


# ---- run -----------------------------------------------------------------------------------


def _run_streams(
    caller: str, input: Any, capture_output: bool, stdin: StdioSpec, stdout: StdioSpec, stderr: StdioSpec
) -> tuple[StdioSpec, StdioSpec, StdioSpec]:
    """The stdio of :func:`run` and :func:`run_async`: ``input`` makes stdin a pipe, and
    ``capture_output`` stdout and stderr; each refuses an explicit stream it would replace."""
    if input is not None:
        if stdin is not None:
            raise ValueError(f"{caller}: stdin and input arguments may not both be used")
        stdin = PIPE
    if capture_output:
        if stdout is not None or stderr is not None:
            raise ValueError(f"{caller}: stdout and stderr arguments may not be used with capture_output")
        stdout = stderr = PIPE
    return stdin, stdout, stderr


def run(
    argv: Sequence[StrOrBytesPath] | StrOrBytesPath,
    *,
    input: bytes | str | None = None,
    capture_output: bool = False,
    timeout: float | None = None,
    check: bool = False,
    text: bool = False,
    stdin: StdioSpec = None,
    stdout: StdioSpec = None,
    stderr: StdioSpec = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess[Any]:
    """Spawns ``argv`` (:func:`spawn`, with the same keyword arguments), feeds it ``input``,
    collects its output and waits for it: :func:`subprocess.run` for containers.

    :param input: bytes (str with ``text=True``) for the command's stdin, which becomes a
        :data:`PIPE`; cannot be combined with ``stdin``.
    :param capture_output: stdout and stderr become pipes (cannot be combined with them).
    :param timeout: seconds; when it expires the container is killed and
        :class:`nscore.TimeoutExpired` is raised with what was read so far.
    :param check: raise :class:`nscore.CalledProcessError` for a non-zero exit code.
    :param text: input and outputs are str (the locale's encoding, universal newlines).
    :returns: a :class:`subprocess.CompletedProcess` with ``args`` as given, ``returncode``
        (``-N`` for signal N), and ``stdout``/``stderr`` (None unless captured).
    :raises NSCoreError: as :func:`spawn`; :class:`nscore.TimeoutExpired`,
        :class:`nscore.CalledProcessError` (both also :mod:`subprocess`'s).
    """
    stdin, stdout, stderr = _run_streams("run", input, capture_output, stdin, stdout, stderr)
    with spawn(argv, stdin=stdin, stdout=stdout, stderr=stderr, text=text, **kwargs) as c:
        try:
            out, err = c.communicate(input, timeout=timeout)
        except TimeoutExpired as e:
            c.kill()
            c.wait()
            output, errors = e.output, e.stderr
            if text:
                output = None if output is None else c._decode(output)
                errors = None if errors is None else c._decode(errors)
            raise TimeoutExpired(argv, timeout, output, errors) from None  # type: ignore[arg-type]
        except BaseException:
            c.kill()
            raise
        code = c.returncode
        assert code is not None
    if check and code:
        raise CalledProcessError(code, argv, out, err)
    return subprocess.CompletedProcess(argv, code, out, err)


# ---- run_async -----------------------------------------------------------------------------


#: The keywords :func:`spawn` takes, which :func:`run_async` passes on.
_SPAWN_KEYWORDS = frozenset(inspect.signature(spawn).parameters) - {"argv"}


def _spawn_keywords(caller: str, kwargs: Mapping[str, Any]) -> None:
    """Refuses a keyword :func:`spawn` does not take before anything starts, naming ``caller``
    (spawn's own TypeError would name spawn(), which the caller never called)."""
    for name in kwargs:
        if name not in _SPAWN_KEYWORDS:
            raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}")


async def run_async(
    argv: Sequence[StrOrBytesPath] | StrOrBytesPath,
    *,
    input: bytes | str | None = None,
    capture_output: bool = False,
    timeout: float | None = None,
    check: bool = False,
    text: bool = False,
    stdin: StdioSpec = None,
    stdout: StdioSpec = None,
    stderr: StdioSpec = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess[Any]:
    """:func:`run` for asyncio: the same parameters (any :func:`spawn` keyword), result and
    exceptions, without blocking the event loop while the command runs, and without a thread.

    The pipes' ends are made non-blocking and served by the running loop's ``add_writer`` and
    ``add_reader`` callbacks, so ``input`` and output of any size flow both ways together; the
    exit is awaited with :meth:`Container.wait_async` (the pidfd in the loop). The spawn itself
    is the synchronous :func:`spawn` call, which returns once the command has been exec'd (a
    few milliseconds). Needs a selector-based loop (the default on Linux, and uvloop).

    When ``timeout`` expires the container is killed and reaped and
    :class:`nscore.TimeoutExpired` is raised with the output read so far. Cancelling the task
    (``task.cancel()``, or an enclosing ``asyncio.wait_for``) kills and reaps the container,
    closes the pipes and re-raises :class:`asyncio.CancelledError`: nothing is left behind.

    :raises NSCoreError: as :func:`spawn`; :class:`nscore.TimeoutExpired`,
        :class:`nscore.CalledProcessError` (both also :mod:`subprocess`'s); ``TypeError`` for a
        keyword :func:`spawn` does not take, or an ``input`` that is not bytes or str.
    """
    stdin, stdout, stderr = _run_streams("run_async", input, capture_output, stdin, stdout, stderr)
    _spawn_keywords("run_async", kwargs)
    if input is not None and not isinstance(input, (bytes, bytearray, memoryview, str)):
        raise TypeError(f"run_async: input must be bytes or str, not {type(input).__name__}")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError(f"run_async: timeout must be a number of seconds or None, not {type(timeout).__name__}")
        if math.isnan(timeout) or timeout < 0:
            raise invalid("run_async", f"run_async: timeout must be a non-negative number of seconds, not {timeout!r}")
    loop = asyncio.get_running_loop()
    c = spawn(argv, stdin=stdin, stdout=stdout, stderr=stderr, text=text, **kwargs)
    # From here on every way out (an error, a timeout, a cancellation) goes through the finally
    # below, whose close() kills and reaps a command still running and closes the pipes.
    waiter: asyncio.Task[int] | None = None
    comm: _AsyncCommunication | None = None
    try:
        data = input.encode(c._encoding()) if isinstance(input, str) else bytes(input or b"")
        comm = _AsyncCommunication(loop, c, data)
        comm.start()
        waiter = loop.create_task(c.wait_async())
        limit = None if timeout is None or timeout == math.inf else timeout
        both: set[asyncio.Future[Any]] = {comm.done, waiter}
        await asyncio.wait(both, timeout=limit, return_when=asyncio.FIRST_EXCEPTION)
        if comm.done.done():
            comm.done.result()  # a read or write that failed raises here
        if not (comm.done.done() and waiter.done()):
            # Timed out: the command dies first, then is reaped through the loop.
            comm.stop()
            c.kill()
            await asyncio.wait({waiter})
            out, err = comm.output(text)
            raise TimeoutExpired(argv, timeout, out, err)  # type: ignore[arg-type]
        code = waiter.result()
        out, err = comm.output(text)
    except BaseException:
        # A cancellation included: the command dies, and is reaped without blocking the loop
        # where the loop still serves us; close() below reaps it otherwise.
        if comm is not None:
            comm.stop()
        c.kill()
        if waiter is not None and not waiter.done():
            try:
                await asyncio.wait({waiter})
            except BaseException:
                pass  # cancelled again: close() reaps; the first exception is the one raised
        raise
    finally:
        if comm is not None:
            comm.stop()
        if waiter is not None:
            if not waiter.done():
                waiter.cancel()
            elif not waiter.cancelled():
                waiter.exception()  # retrieved, so that the loop logs nothing for it
        c.close()
    if check and code:
        raise CalledProcessError(code, argv, out, err)
    return subprocess.CompletedProcess(argv, code, out, err)


class _AsyncCommunication:
    """The pipe traffic of :func:`run_async`: ``input`` written to the non-blocking stdin pipe
    from ``add_writer`` callbacks, stdout and stderr read from ``add_reader`` callbacks.
    :attr:`done` resolves once every pipe is finished (input written or refused, output at
    EOF), or holds the ``OSError`` of a read or write that failed."""

    _CHUNK = 1 << 16

    def __init__(self, loop: asyncio.AbstractEventLoop, container: Container, data: bytes) -> None:
        self.loop = loop
        self.container = container
        self.input = memoryview(data)
        self.offset = 0
        self.chunks: dict[int, list[bytes] | None] = {
            1: None if container.stdout is None else [],
            2: None if container.stderr is None else [],
        }
        # The fds registered with the loop, each with its stream number (0 for stdin).
        self.streams: dict[int, int] = {}
        self.done: asyncio.Future[None] = loop.create_future()

    def result(self, stream: int) -> bytes | None:
        chunks = self.chunks[stream]
        return None if chunks is None else b"".join(chunks)

    def output(self, text: bool) -> tuple[Any, Any]:
        """(stdout, stderr) read so far: bytes, str decoded as run() does with ``text``, or
        None for a stream that is not a pipe."""
        out, err = self.result(1), self.result(2)
        if not text:
            return out, err
        decode = self.container._decode
        return None if out is None else decode(out), None if err is None else decode(err)

    def start(self) -> None:
        c = self.container
        if c.stdin is not None:
            if self.input:
                fd = c.stdin.fileno()
                os.set_blocking(fd, False)
                self.streams[fd] = 0
                self.loop.add_writer(fd, self._write, fd)
            else:
                self._close(0)  # no input: the command reads EOF at once, as with run()
        for stream, f in ((1, c.stdout), (2, c.stderr)):
            if f is not None:
                fd = f.fileno()
                os.set_blocking(fd, False)
                self.streams[fd] = stream
                self.loop.add_reader(fd, self._read, fd, stream)
        self._settle()

    def stop(self) -> None:
        """Unregisters every pipe still served (before close() closes the fds: the loop must
        never watch a closed, possibly reused, fd number). Idempotent."""
        for fd, stream in self.streams.items():
            if stream == 0:
                self.loop.remove_writer(fd)
            else:
                self.loop.remove_reader(fd)
        self.streams.clear()
        if self.done.done() and not self.done.cancelled():
            self.done.exception()  # retrieved, so that the loop logs nothing for it

    def _write(self, fd: int) -> None:
        # SIGPIPE is blocked around the write, as communicate() does: a write to a pipe whose
        # reader is gone raises it in the writing thread, and a host that does not ignore it
        # would be ended by it. The write then fails with EPIPE and the rest is dropped.
        old = _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGPIPE})
        was_pending = _signal.SIGPIPE in _signal.sigpending()
        broken = False
        try:
            self.offset += os.write(fd, self.input[self.offset : self.offset + self._CHUNK])
        except BlockingIOError:
            return
        except BrokenPipeError:
            broken = True
            self.offset = len(self.input)
        except OSError as e:
            self._fail(e)
            return
        finally:
            if broken and not was_pending:
                _signal.sigtimedwait({_signal.SIGPIPE}, 0)  # consume the one this write raised
            _signal.pthread_sigmask(_signal.SIG_SETMASK, old)
        if self.offset >= len(self.input):
            self._finish(fd)

    def _read(self, fd: int, stream: int) -> None:
        try:
            data = os.read(fd, self._CHUNK)
        except BlockingIOError:
            return
        except OSError as e:
            self._fail(e)
            return
        if data:
            chunks = self.chunks[stream]
            assert chunks is not None
            chunks.append(data)
        else:
            self._finish(fd)

    def _finish(self, fd: int) -> None:
        stream = self.streams.pop(fd)
        if stream == 0:
            self.loop.remove_writer(fd)
        else:
            self.loop.remove_reader(fd)
        self._close(stream)
        self._settle()

    def _close(self, stream: int) -> None:
        c = self.container
        f = (c.stdin, c.stdout, c.stderr)[stream]
        if f is not None:
            try:
                f.close()
            except (OSError, ValueError):
                pass  # a stdin whose reader is gone cannot flush; nothing is buffered anyway

    def _settle(self) -> None:
        if not self.streams and not self.done.done():
            self.done.set_result(None)

    def _fail(self, e: OSError) -> None:
        if not self.done.done():
            self.done.set_exception(e)
