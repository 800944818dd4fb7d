"""A C handle that several threads may use at once and that is freed exactly once.

:class:`nscore.Container` and :class:`nscore.Cgroup` keep theirs in a :class:`SharedHandle`:
each call borrows it with :meth:`SharedHandle.use`, and ``close()`` takes it back with
:meth:`SharedHandle.release`, which waits for the calls in flight on other threads first, so
that the C object is never freed under one of them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class SharedHandle:
    """``handle`` (a ctypes pointer), lent to calls until :meth:`release`; ``what`` names it
    in the error a call after that raises."""

    def __init__(self, handle: Any, what: str) -> None:
        self._handle = handle
        self._what = what
        self._closed = False
        # Calls in flight; release() waits for them to finish.
        self._cond = threading.Condition(threading.Lock())
        self._users = 0

    @property
    def closed(self) -> bool:
        """True once :meth:`release` was called."""
        return self._closed

    @contextlib.contextmanager
    def use(self) -> Iterator[Any]:
        """The handle, for the duration of one call.

        :raises ValueError: once released ("... is closed").
        """
        with self._cond:
            if self._closed:
                raise ValueError(f"{self._what} is closed")
            self._users += 1
        try:
            yield self._handle
        finally:
            with self._cond:
                self._users -= 1
                if self._users == 0:
                    self._cond.notify_all()

    def read(self, getter: Callable[[Any], T], default: T) -> T:
        """``getter(handle)``, or ``default`` once released (for properties that do not raise)."""
        with self._cond:
            if self._closed:
                return default
            return getter(self._handle)

    def release(self) -> Any:
        """Marks the handle closed, waits for the calls in flight and returns it for the caller
        to free; None when it was released already."""
        with self._cond:
            if self._closed:
                return None
            self._closed = True
            while self._users:
                self._cond.wait()
            handle, self._handle = self._handle, None
        return handle
