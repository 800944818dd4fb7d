"""Rootless use: the same checks as an unprivileged uid (65534 through setpriv)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_as_nobody

SCRIPT = textwrap.dedent(
    """
    import os, nscore
    assert os.getuid() == 65534, os.getuid()

    # All namespaces with root mapped to our uid: root inside.
    r, w = os.pipe()
    with nscore.spawn(["id", "-u"], namespaces=nscore.Namespace.ALL, map_root_user=True, stdout=w) as c:
        os.close(w)
        out = os.read(r, 100)
        code = c.wait(30)
    assert (code, out) == (0, b"0\\n"), (code, out)

    # A network namespace needs CAP_SYS_ADMIN without a user namespace: EPERM, nothing left.
    try:
        nscore.spawn(["true"], namespaces=nscore.Namespace.NET)
    except nscore.PermissionDeniedError as e:
        assert isinstance(e, PermissionError)
        print("denied:", e)
    else:
        raise SystemExit("a NET spawn without a user namespace succeeded unprivileged")
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        print("ok")
    """
)


def test_rootless_spawn(world_readable_copy: Path) -> None:
    result = run_as_nobody(world_readable_copy, SCRIPT)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("denied: ") and lines[-1] == "ok", result.stdout
