"""Root filesystems and mounts for :func:`nscore.spawn`: the OCI runtime spec's ``root`` and
``mounts`` entries (``include/nscore.h``, "Root filesystem and mounts").

A :class:`Root` runs the container in a directory of its own: the library binds it onto
itself, makes the default mounts (proc, /dev and its devices, /dev/pts, /dev/shm, /dev/mqueue,
sysfs) and the caller's :class:`Mount` entries inside it, hides the masked paths, then
``pivot_root``\\ s into it and detaches the host's tree::

    import os, nscore

    r, w = os.pipe()
    with nscore.spawn(["cat", "/etc/hostname"], namespaces="mnt,pid,ipc,uts",
                      root="/srv/image", read_only=True, stdout=w,
                      mounts=[nscore.Mount.tmpfs("/tmp", size="64m"),
                              nscore.Mount.bind("/srv/data", "/data", read_only=True)]) as c:
        os.close(w)
        print(os.read(r, 100), c.wait())

The values are frozen dataclasses with the OCI field names; nothing is checked against the
system until the spawn, where the library reports every problem naming the mount
(``mounts[1] (tmpfs on tmp): destination 'tmp' is not an absolute path``). Only what the
library cannot see is checked here: the Python types (an option that is not a string, options
given as one string).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from typing import Any, Union

from . import _ffi
from ._convert import invalid, to_str

__all__ = ["Root", "Mount", "RootLike"]

#: A path argument of this module: str, bytes (decoded with the filesystem encoding) or a path.
PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

#: The OCI word of each NSCORE_PROPAGATION_* value (Swift's ``MountPropagation.description``).
_PROPAGATION_WORDS = {
    _ffi.PROPAGATION_SHARED: "shared",
    _ffi.PROPAGATION_SLAVE: "slave",
    _ffi.PROPAGATION_PRIVATE: "private",
    _ffi.PROPAGATION_UNBINDABLE: "unbindable",
    _ffi.PROPAGATION_SHARED_SLAVE: "shared+slave",
}


def _optional_path(value: Any, what: str) -> str | None:
    return None if value is None else to_str(value, what)


def _words(values: Any, what: str) -> tuple[str, ...]:
    """A sequence of option words or paths as a tuple of str; one lone string is refused, since
    iterating it would give its characters."""
    if isinstance(values, (str, bytes, os.PathLike)):
        raise TypeError(f"{what} must be a sequence of strings, not a single {type(values).__name__} ({values!r})")
    if not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a sequence of strings, not {type(values).__name__}")
    return tuple(to_str(v, f"{what}[{i}]") for i, v in enumerate(values))


@dataclasses.dataclass(frozen=True)
class Root:
    """The container's root filesystem: the OCI runtime spec's ``root`` object.

    The spawn binds ``path`` onto itself, mounts the default and the caller's mounts inside it
    (every target resolved in it, never through a symlink), then ``pivot_root``\\ s into it and
    detaches the old root: nothing of the host's tree stays reachable. It needs a new mount
    namespace. Commands are looked up inside it (the child's ``PATH``, else a default one).

    ``path`` is a directory of the caller's mount namespace (``root.path``); ``readonly`` makes
    the root mount read-only (``root.readonly``). Mounts on top of it keep their own flags (a
    tmpfs on ``/tmp`` stays writable). ``idmap`` mounts it idmapped with the container's user
    namespace (``mount_setattr(MOUNT_ATTR_IDMAP)``, crun's ``idmap``): with ``uid_mappings``
    ``0:100000:65536``, files of the host's root are root's inside, and what root writes there
    is the host root's, without a chown; binds take the options ``idmap``/``ridmap``.
    """

    path: str
    readonly: bool = False
    idmap: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", to_str(self.path, "Root.path"))
        if not isinstance(self.readonly, bool):
            raise TypeError(f"Root.readonly must be a bool, not {type(self.readonly).__name__}")
        if not isinstance(self.idmap, bool):
            raise TypeError(f"Root.idmap must be a bool, not {type(self.idmap).__name__}")


#: What ``spawn(root=...)`` accepts: a directory, or a :class:`Root`.
RootLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]", Root]


@dataclasses.dataclass(frozen=True)
class Mount:
    """One mount: an entry of the OCI runtime spec's ``mounts`` array, with its field names and
    its option words (Swift's ``Mount``).

    - ``type`` ``"bind"`` (or a ``bind``/``rbind`` option with no type) binds ``source``, a path
      of the caller's mount namespace; any other type is a new filesystem (``tmpfs``, ``proc``,
      ``sysfs``, ``mqueue``, ``devpts``, ``overlay``, ...) made with ``fsopen(2)`` from
      ``source`` and the data options.
    - ``options``: the words of mount(8) and the OCI spec.

      - Flags: ``ro``, ``rw``, ``nosuid``, ``suid``, ``nodev``, ``dev``, ``noexec``, ``exec``,
        ``noatime``, ``relatime``, ``strictatime``, ``nodiratime``.
      - ``bind`` (this mount only) or ``rbind`` (with its submounts). A read-only bind with
        submounts is read-only all the way down.
      - Propagation: ``private``, ``shared``, ``slave``, ``unbindable`` or ``shared+slave``,
        each with an ``r`` prefix for the whole tree (``rslave``).
      - Anything else (``size=64m``, ``mode=1777``, ``lowerdir=A:B``, ``newinstance``) is
        filesystem data, handed to the filesystem as ``key=value`` or as a flag.

    ``destination`` is an absolute path inside the container (with a :class:`Root`; resolved in
    it, never through a symlink, and created when missing: a directory, or an empty file for a
    bind of a file), or in the new mount namespace's copy of the caller's tree (without one).
    Mounts are made in order, after the default ones. Every field is checked by the library at
    the spawn, and its errors name the mount by its index in ``spawn(mounts=...)``:
    ``mounts[0] (foofs on /x): fsopen foofs: ENODEV (No such device)``.
    """

    #: Where it is mounted, inside the container.
    destination: str
    #: The filesystem type: ``"bind"``, ``"tmpfs"``, ``"proc"``, ``"overlay"``, ...; None means a
    #: bind mount when the options say ``bind`` or ``rbind``.
    type: str | None = None
    #: What is mounted: for a bind, a path of the caller's mount namespace; for other types the
    #: filesystem's source word (``"tmpfs"``, a device), or None.
    source: str | None = None
    #: OCI mount options (see above). Any sequence of strings is accepted and kept as a tuple.
    options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "destination", to_str(self.destination, "Mount.destination"))
        if self.type is not None and not isinstance(self.type, (str, bytes)):
            raise TypeError(f"Mount.type must be str or None, not {type(self.type).__name__}")
        object.__setattr__(self, "type", _optional_path(self.type, "Mount.type"))
        object.__setattr__(self, "source", _optional_path(self.source, "Mount.source"))
        object.__setattr__(self, "options", _words(self.options, "Mount.options"))

    @classmethod
    def bind(
        cls,
        source: PathArg,
        destination: PathArg,
        *,
        read_only: bool = False,
        recursive: bool = True,
        propagation: int | str | None = None,
        options: Iterable[str] = (),
    ) -> Mount:
        """A bind mount of ``source`` (a path of the caller's mount namespace, a directory or a
        file) on ``destination``.

        :param read_only: read-only, with every submount (``mount_setattr(2)`` with
            ``AT_RECURSIVE``).
        :param recursive: bring the submounts of ``source`` too (``rbind``), as Docker's volumes
            do; False binds the one mount (``bind``).
        :param propagation: how mount events flow between the host's ``source`` and the
            container: a :class:`nscore.Propagation` or its word (``"private"``, ``"shared"``,
            ``"slave"``, ``"unbindable"``, ``"shared+slave"``), applied to the whole tree when
            ``recursive`` (``rslave``). None (or ``Propagation.UNCHANGED``) leaves it as bound.
        :param options: more option words, appended.
        """
        words = ["rbind" if recursive else "bind"]
        if read_only:
            words.append("ro")
        word = _propagation_word(propagation)
        if word is not None:
            words.append(("r" if recursive else "") + word)
        return cls(to_str(destination, "destination"), "bind", to_str(source, "source"),
                   (*words, *_words(options, "options")))

    @classmethod
    def tmpfs(
        cls,
        destination: PathArg,
        *,
        size: str | int | None = None,
        mode: int | None = None,
        options: Iterable[str] = ("nosuid", "nodev"),
    ) -> Mount:
        """A tmpfs on ``destination``.

        :param size: the size limit: a tmpfs(5) size (``"64m"``, ``"1g"``, ``"50%"``) or a
            number of bytes.
        :param mode: the permissions of its root directory, as an int (``0o1777``).
        :param options: the flags and data words to start from (default ``nosuid``, ``nodev``).
        """
        words = list(_words(options, "options"))
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, (str, int)):
                raise TypeError(f"tmpfs size must be a str or an int number of bytes, not {type(size).__name__}")
            words.append(f"size={size}")
        if mode is not None:
            if isinstance(mode, bool) or not isinstance(mode, int):
                raise TypeError(f"tmpfs mode must be an int (such as 0o1777), not {type(mode).__name__}")
            words.append(f"mode={mode:o}")
        return cls(to_str(destination, "destination"), "tmpfs", "tmpfs", tuple(words))

    @classmethod
    def overlay(
        cls,
        destination: PathArg,
        lower: Iterable[PathArg] | PathArg,
        *,
        upper: PathArg | None = None,
        work: PathArg | None = None,
        options: Iterable[str] = (),
    ) -> Mount:
        """An overlay on ``destination``: ``lower`` layers (top first, read-only; one path or a
        sequence of them), and the ``upper`` and ``work`` directories (on one filesystem) that
        receive the container's writes. Without an upper directory the overlay is read-only.
        """
        layers = (to_str(lower, "lower"),) if isinstance(lower, (str, bytes, os.PathLike)) else _words(lower, "lower")
        words = ["lowerdir=" + ":".join(layers)]
        if upper is not None:
            words.append("upperdir=" + to_str(upper, "upper"))
        if work is not None:
            words.append("workdir=" + to_str(work, "work"))
        return cls(to_str(destination, "destination"), "overlay", "overlay", (*words, *_words(options, "options")))

    def __str__(self) -> str:
        """``tmpfs on /tmp``, ``bind /srv on /data``: how the library's errors name a mount."""
        kind = self.type or "bind"
        if self.source is not None and self.source != kind:
            return f"{kind} {self.source} on {self.destination}"
        return f"{kind} on {self.destination}"


def _propagation_word(value: Any) -> str | None:
    """The OCI word of a propagation given to :meth:`Mount.bind`. A string is used as it is
    (the library rejects a word it does not know, naming the mount)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"propagation must be a Propagation, a str or None, not {type(value).__name__}")
    if value == _ffi.PROPAGATION_UNCHANGED:
        return None
    try:
        return _PROPAGATION_WORDS[int(value)]
    except KeyError:
        raise invalid("propagation", f"propagation: {value!r} is not a Propagation value") from None
