"""User namespaces with explicit id maps (spawn(uid_mappings=, gid_mappings=)) and the user a
command runs as (spawn(user=)): what the command sees inside, who owns its files outside, and
bad input refused with a message naming it, leaving no child behind."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import NOBODY, assert_refused, run_as_nobody

import nscore
from nscore import IDMapping, User

#: 65536 ids from 0 inside are 100000... outside: a typical /etc/subuid range.
RANGE = [(0, 100000, 65536)]


@pytest.fixture
def sticky_dir() -> Iterator[Path]:
    """A mode 1777 directory under /tmp, which any uid can reach and write."""
    path = Path(tempfile.mkdtemp(prefix="nscore-userns-", dir="/tmp"))
    try:
        path.chmod(0o1777)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ---- Maps and users, as root ----------------------------------------------------------------


def test_range_maps_root_inside(capture) -> None:
    code, out = capture(
        ["sh", "-c", "id -u; id -g; cat /proc/self/uid_map; cat /proc/self/gid_map"],
        uid_mappings=RANGE,
        gid_mappings=RANGE,
    )
    assert code == 0, out
    lines = out.splitlines()
    assert lines[:2] == ["0", "0"], out
    assert [line.split() for line in lines[2:]] == [["0", "100000", "65536"]] * 2, out


def test_mappings_imply_a_user_namespace(spawn) -> None:
    c = spawn(["sleep", "30"], uid_mappings=RANGE, gid_mappings=RANGE)
    assert os.stat(f"/proc/{c.pid}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino
    with open(f"/proc/{c.pid}/uid_map") as f:
        assert f.read().split() == ["0", "100000", "65536"]
    assert os.stat(f"/proc/{c.pid}").st_uid == 100000


def test_accepted_forms_give_the_same_map(capture) -> None:
    forms: list[Any] = [
        [IDMapping(0, 100000, 65536)],
        ["0:100000:65536"],
        [(0, 100000, 65536)],
        (IDMapping.parse("0:100000:65536"),),
    ]
    for form in forms:
        code, out = capture(["cat", "/proc/self/uid_map"], uid_mappings=form, gid_mappings=form)
        assert (code, out.split()) == (0, ["0", "100000", "65536"]), form


def test_several_lines(capture) -> None:
    lines = ["0:100000:1000", "1000:0:1", "1001:101001:64535"]
    code, out = capture(["sh", "-c", "id -u; cat /proc/self/uid_map"], uid_mappings=lines, gid_mappings=lines)
    assert code == 0, out
    uid, *rows = out.splitlines()
    # The caller's uid 0 is mapped (as 1000), so the command keeps it.
    assert uid == "1000"
    assert [row.split() for row in rows] == [line.split(":") for line in lines]


def test_file_created_inside_is_owned_by_the_host_id(capture, sticky_dir: Path) -> None:
    target = sticky_dir / "made-inside"
    code, out = capture(["touch", str(target)], uid_mappings=RANGE, gid_mappings=RANGE)
    assert code == 0, out
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (100000, 100000)


@pytest.mark.parametrize("maps", [RANGE, None], ids=["range", "no-user-namespace"])
def test_user_with_supplementary_groups(capture, maps: Any) -> None:
    script = "id -u; id -g; id -G; grep '^CapEff:' /proc/self/status"
    code, out = capture(["sh", "-c", script], uid_mappings=maps, gid_mappings=maps, user=User(1000, 1001, (10, 20)))
    assert code == 0, out
    uid, gid, groups, caps = out.splitlines()
    assert (uid, gid, groups) == ("1000", "1001", "1001 10 20")
    assert int(caps.split()[1], 16) == 0, caps


def test_user_file_owner_on_the_host(capture, sticky_dir: Path) -> None:
    target = sticky_dir / "made-by-1000"
    code, out = capture(["touch", str(target)], uid_mappings=RANGE, gid_mappings=RANGE, user=User(1000, 1001))
    assert code == 0, out
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (101000, 101001)


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (1000, "1000 0"),
        ((1000, 1001), "1000 1001"),
        ("1000", "1000 0"),
        ("1000:1001", "1000 1001"),
        (User(5), "5 0"),
        (User.parse("5:6"), "5 6"),
    ],
)
def test_user_forms(capture, user: Any, expected: str) -> None:
    code, out = capture(["sh", "-c", 'echo "$(id -u) $(id -g)"'], uid_mappings=RANGE, gid_mappings=RANGE, user=user)
    assert (code, out) == (0, expected + "\n")


def test_own_ids_as_root(capture) -> None:
    code, out = capture(
        ["sh", "-c", "id -u; id -g"],
        uid_mappings=[(7, os.geteuid(), 1)],
        gid_mappings=[(8, os.getegid(), 1)],
    )
    assert (code, out) == (0, "7\n8\n")


def test_join_takes_no_user(spawn) -> None:
    target = spawn(["sleep", "30"], namespaces="uts")
    with pytest.raises(TypeError, match="user"):
        nscore.join(target.pid, ["true"], user=0)  # type: ignore[call-arg]


# ---- Bad input: a clear message, nothing started ------------------------------------------------

BAD: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "overlapping lines inside": (
        {"uid_mappings": [(0, 100000, 10), (5, 200000, 10)], "gid_mappings": RANGE},
        nscore.InvalidArgumentError,
        "uid mappings[1] 5:200000:10 overlaps uid mappings[0] 0:100000:10 inside the namespace",
    ),
    "overlapping lines outside": (
        {"uid_mappings": RANGE, "gid_mappings": ["0:100000:10", "10:100005:10"]},
        nscore.InvalidArgumentError,
        "gid mappings[1] 10:100005:10 overlaps gid mappings[0] 0:100000:10 outside the namespace",
    ),
    "size 0 (tuple)": (
        {"uid_mappings": [(0, 100000, 0)]},
        nscore.InvalidArgumentError,
        "uid_mappings[0].size: 0 is not a number from 1 to 4294967295",
    ),
    "size 0 (string)": (
        {"gid_mappings": ["0:100000:0"]},
        nscore.InvalidArgumentError,
        "gid_mappings[0] '0:100000:0': COUNT '0' is not a number from 1",
    ),
    "range past the last id": (
        {"uid_mappings": [(4294967000, 100000, 65536)], "gid_mappings": RANGE},
        nscore.InvalidArgumentError,
        "uid mappings[0] 4294967000:100000:65536: the range goes past id",
    ),
    "user uid not in the map": (
        {"uid_mappings": RANGE, "gid_mappings": RANGE, "user": 70000},
        nscore.InvalidArgumentError,
        "user: uid 70000 is not in the uid map (0:100000:65536)",
    ),
    "user gid not in the map": (
        {"uid_mappings": RANGE, "gid_mappings": RANGE, "user": User(0, 0, (10, 65536))},
        nscore.InvalidArgumentError,
        "user: gid 65536 is not in the gid map (0:100000:65536)",
    ),
    "map_root_user with mappings": (
        {"uid_mappings": RANGE, "gid_mappings": RANGE, "map_root_user": True},
        nscore.InvalidArgumentError,
        "exclusive",
    ),
    "a string that is not INNER:OUTER:COUNT": (
        {"uid_mappings": ["0:1"]},
        nscore.InvalidArgumentError,
        "uid_mappings[0] '0:1': expected INNER:OUTER:COUNT",
    ),
    "a negative host id": (
        {"uid_mappings": [(0, -1, 1)]},
        nscore.InvalidArgumentError,
        "uid_mappings[0].host_id: -1 is not a number from 0 to 4294967295",
    ),
    "a tuple of two": (
        {"gid_mappings": [(0, 100000)]},
        nscore.InvalidArgumentError,
        "gid_mappings[0]: (0, 100000) has 2 items; expected (container_id, host_id, size)",
    ),
    "a user string with a name": (
        {"user": "root"},
        nscore.InvalidArgumentError,
        "user 'root': UID 'root' is not a number",
    ),
    "uid -1": (
        {"user": -1},
        nscore.InvalidArgumentError,
        "user: -1 is not a number from 0 to 4294967294",
    ),
    "a line of the wrong type": (
        {"uid_mappings": [1.5]},
        TypeError,
        "uid_mappings[0] must be an nscore.IDMapping",
    ),
    "a lone string for the mappings": (
        {"uid_mappings": "0:100000:65536"},
        TypeError,
        "uid_mappings must be a sequence of id mappings, not a single str",
    ),
    "mappings of the wrong type": (
        {"gid_mappings": 5},
        TypeError,
        "gid_mappings must be a sequence of id mappings, not int",
    ),
    "a user of the wrong type": (
        {"user": 1.0},
        TypeError,
        "user must be an nscore.User",
    ),
    "a bool user": (
        {"user": True},
        TypeError,
        "user must be an nscore.User",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_and_starts_nothing(case: str) -> None:
    kwargs, cls, needle = BAD[case]
    assert_refused(cls, needle, **kwargs)


# ---- The value classes --------------------------------------------------------------------------


def test_idmapping_value() -> None:
    m = IDMapping.parse("0:100000:65536")
    assert m == IDMapping(0, 100000, 65536) == IDMapping(container_id=0, host_id=100000, size=65536)
    assert str(m) == "0:100000:65536" and IDMapping.parse(str(m)) == m
    assert IDMapping.parse("4294967294:0:1").container_id == 4294967294
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.size = 1  # type: ignore[misc]
    for text in ["0:1", "0:1:2:3", "", "a:0:1", "-1:0:1", "0: 1:2", "0:0:0", "0:0:4294967296", "+1:0:1"]:
        with pytest.raises(nscore.InvalidArgumentError, match="id mapping"):
            IDMapping.parse(text)
    with pytest.raises(TypeError):
        IDMapping.parse(b"0:0:1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="IDMapping.host_id must be an int"):
        IDMapping(0, "1", 1)  # type: ignore[arg-type]
    with pytest.raises(nscore.InvalidArgumentError, match=r"IDMapping.size: 0 is not a number from 1"):
        IDMapping(0, 0, 0)


def test_user_value() -> None:
    assert User.parse("1000") == User(1000) == User(1000, 0, ())
    assert User.parse("1000:1001") == User(uid=1000, gid=1001)
    u = User(1, 2, [3, 4])  # type: ignore[arg-type]
    assert u.additional_gids == (3, 4) and str(u) == "1:2"
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.uid = 0  # type: ignore[misc]
    for text in ["", "x", "1:2:3", "1:", ":1", "-1", "4294967295", "1000:4294967295", "root:root"]:
        with pytest.raises(nscore.InvalidArgumentError, match="user"):
            User.parse(text)
    with pytest.raises(TypeError):
        User(True)
    with pytest.raises(TypeError, match="additional_gids"):
        User(0, 0, 10)  # type: ignore[arg-type]
    with pytest.raises(nscore.InvalidArgumentError, match=r"User.additional_gids\[1\]: -2"):
        User(0, 0, (1, -2))


# ---- Unprivileged ------------------------------------------------------------------------------

ROOTLESS_SCRIPT = textwrap.dedent(
    """
    import os, sys, nscore
    assert (os.getuid(), os.getgid()) == (65534, 65534), (os.getuid(), os.getgid())

    def run(argv, **kw):
        r, w = os.pipe()
        try:
            c = nscore.spawn(argv, stdout=w, **kw)
        finally:
            os.close(w)
        out = b""
        while chunk := os.read(r, 4096):
            out += chunk
        os.close(r)
        with c:
            return c.wait(30), out.decode()

    def children():
        pids = set()
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as f:
                pids.update(f.read().split())
        return pids

    # Our own ids, one line each: written without newuidmap.
    code, out = run(["sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"],
                    uid_mappings=[(7, os.geteuid(), 1)], gid_mappings=[(8, os.getegid(), 1)])
    assert code == 0, (code, out)
    lines = out.splitlines()
    assert lines[:2] == ["7", "8"], out
    assert [line.split() for line in lines[2:]] == [["7", "65534", "1"], ["8", "65534", "1"]], out
    print("own ids ok")

    # setgroups(2) is denied in such a namespace: supplementary groups are refused up front.
    try:
        run(["true"], uid_mappings=[(0, 65534, 1)], gid_mappings=[(0, 65534, 1)], user=nscore.User(0, 0, (0,)))
    except nscore.InvalidArgumentError as e:
        assert "setgroups" in str(e), e
    else:
        raise SystemExit("supplementary groups with a self-written gid map were accepted")
    assert not children(), children()

    # A range needs newuidmap and an /etc/subuid entry: refused, nothing left behind.
    if sys.argv[1] == "range":
        try:
            run(["true"], uid_mappings=["0:100000:65536"], gid_mappings=["0:100000:65536"])
        except (nscore.PermissionDeniedError, nscore.NotFoundError) as e:
            print("range refused:", type(e).__name__, e)
        else:
            raise SystemExit("a range without /etc/subuid was mapped")
        assert not children(), children()
    print("ok")
    """
)


def subordinate_ids_of_nobody() -> bool:
    """Whether /etc/subuid or /etc/subgid gives uid 65534 a range."""
    for path in ("/etc/subuid", "/etc/subgid"):
        try:
            with open(path) as f:
                if any(line.split(":")[0] in ("nobody", str(NOBODY)) for line in f):
                    return True
        except FileNotFoundError:
            pass
    return False


def test_rootless_own_ids(world_readable_copy: Path) -> None:
    mode = "own" if subordinate_ids_of_nobody() else "range"
    result = run_as_nobody(world_readable_copy, ROOTLESS_SCRIPT, mode)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "own ids ok" and lines[-1] == "ok", result.stdout
    if mode == "range":
        assert lines[1].startswith("range refused: "), result.stdout
