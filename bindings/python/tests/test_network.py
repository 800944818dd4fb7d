"""Networks: spawn(network=Veth(...)) on the real kernel.

Nothing here touches the machine's own network namespace, and no packet leaves the test's
namespaces. Each test makes a "host" network namespace (a `sleep` container's, the `host`
fixture) and runs every veth spawn, wait and close on a thread that entered it with setns(2):
a network namespace is per thread, and the library sets up the host end of a veth pair in the
calling thread's namespace. Afterwards the host namespace must hold only `lo` (the bridge is
removed with `nsenter --net=/proc/PID/ns/net ip link del nscpy0`), and no child but its holder
may be left.
"""

from __future__ import annotations

import ctypes
import errno
import ipaddress
import os
import subprocess
import threading
from collections.abc import Iterator
from typing import Any, Callable, TypeVar

import pytest
from conftest import children, close_fd, read_all

import nscore
from nscore import Bridge, Veth

T = TypeVar("T")

BRIDGE = "nscpy0"
PYTHON = "/usr/bin/python3"


def bridge() -> Bridge:
    return Bridge(BRIDGE, "10.80.0.1/24")


def setns(fd: int, nstype: int) -> None:
    """os.setns (Python 3.12+), or libc's setns(2) on older Pythons."""
    if hasattr(os, "setns"):
        os.setns(fd, nstype)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, nstype) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


CLONE_NEWNET = 0x40000000


class Host:
    """A "host" network namespace, held by a `sleep` container, and a way to run code in it."""

    def __init__(self) -> None:
        self.holder = nscore.spawn(["sleep", "600"], namespaces="net")
        self.ns_path = f"/proc/{self.holder.pid}/ns/net"

    def run(self, body: Callable[[], T], timeout: float = 90.0) -> T:
        """Runs body() on a new thread inside the host namespace and returns its result (or
        raises its exception). The thread does its spawns, waits and closes there."""
        result: list[Any] = []
        failure: list[BaseException] = []

        def main() -> None:
            try:
                fd = os.open(self.ns_path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    setns(fd, CLONE_NEWNET)
                finally:
                    os.close(fd)
                result.append(body())
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                failure.append(e)

        t = threading.Thread(target=main, name="in-host-netns")
        t.start()
        t.join(timeout)
        assert not t.is_alive(), f"the thread in the host namespace did not finish in {timeout} s"
        if failure:
            raise failure[0]
        return result[0]

    def ip(self, *args: str) -> str:
        """`ip ARGS` in the host namespace (through nsenter, so this process never enters it)."""
        return subprocess.run(
            ["nsenter", f"--net={self.ns_path}", "ip", *args], check=True, capture_output=True, text=True
        ).stdout

    def links(self) -> list[str]:
        return sorted(line.split(":")[1].strip().split("@")[0] for line in self.ip("-o", "link", "show").splitlines())

    def close(self) -> list[str]:
        """Removes the bridge, stops the holder; returns the links that were left (before the
        bridge went)."""
        try:
            left = self.links()
            if BRIDGE in left:
                self.ip("link", "del", BRIDGE)
            return left
        finally:
            self.holder.kill()
            self.holder.wait(30)
            self.holder.close()


@pytest.fixture
def host() -> Iterator[Host]:
    h = Host()
    try:
        yield h
    finally:
        left = h.close()
        # Every container's host end is gone with it; only lo and the test's bridge remain.
        assert set(left) <= {"lo", BRIDGE}, left
    assert children() == set(), children()
    # Nothing reached the machine's own namespace (its sysfs lists its links).
    assert [n for n in os.listdir("/sys/class/net") if n.startswith("nscpy")] == []


def run(argv: list[str], timeout: float = 30.0, **kwargs: Any) -> tuple[int | None, str]:
    """Spawns argv (stdout and stderr to a pipe), reads to EOF, waits and closes: (code, output)."""
    r, w = os.pipe()
    try:
        try:
            c = nscore.spawn(argv, stdout=w, stderr=w, **kwargs)
        finally:
            close_fd(w)
        with c:
            out = read_all(r, timeout).decode("utf-8", "replace")
            return c.wait(timeout), out
    finally:
        close_fd(r)


# ---- talking over a bridge -----------------------------------------------------------------

ECHO_SERVER = """
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 7777)); s.listen(8)
for _ in range(2):
    c, _ = s.accept(); c.sendall(b"echo:" + c.recv(100)); c.close()
"""

CLIENT = """
import socket, sys, time
for host in sys.argv[1:]:
    for attempt in range(100):
        try:
            c = socket.create_connection((host, 7777), timeout=2); break
        except OSError as e:
            err = e; time.sleep(0.05)
    else:
        print(host, "failed", err); continue
    c.sendall(b"hi"); print(host, c.recv(100).decode()); c.close()
"""


def test_two_containers_on_a_bridge_talk_over_ipv4_and_ipv6(host: Host) -> None:
    def body() -> tuple[int | None, str, int | None, str, str]:
        server_net = Veth(bridge=bridge(), addresses=["10.80.0.2/24", "fd80::2/64"], gateway="10.80.0.1")
        # The client's values as ipaddress objects: converted with str().
        client_net = Veth(
            bridge=bridge(),
            addresses=(ipaddress.ip_interface("10.80.0.3/24"), ipaddress.ip_interface("fd80::3/64")),
            gateway=ipaddress.ip_address("10.80.0.1"),
        )
        with nscore.spawn([PYTHON, "-c", ECHO_SERVER], namespaces="net", network=server_net) as server:
            code, out = run([PYTHON, "-c", CLIENT, "10.80.0.2", "fd80::2"], namespaces="net", network=client_net)
            server_code = server.wait(30)
        # Inside: eth0 has the address asked for, and the default route goes through the gateway.
        look_code, look = run(
            ["sh", "-c", "ip -o -4 addr show eth0; ip route show default"], namespaces="net", network=server_net
        )
        return code, out, server_code, look_code, look

    code, out, server_code, look_code, look = host.run(body)
    assert (code, out) == (0, "10.80.0.2 echo:hi\nfd80::2 echo:hi\n")
    assert server_code == 0
    assert look_code == 0, look
    addr, route = look.splitlines()
    assert addr.split()[1:4] == ["eth0", "inet", "10.80.0.2/24"], look
    assert route.split()[:5] == ["default", "via", "10.80.0.1", "dev", "eth0"], look
    # The bridge was made in the host namespace, up, with its address.
    assert "inet 10.80.0.1/24" in host.ip("-o", "-4", "addr", "show", BRIDGE)


#: ``tools/pinger.py TIMEOUT HOST...`` of the checkout: ICMP echo to each HOST, a line "HOST
#: reply" or "HOST no reply" each; exits 1 when any went unanswered (the machines have no ping).
PINGER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools", "pinger.py")


def test_ping_between_containers_and_to_the_gateway(host: Host) -> None:
    def body() -> tuple[tuple[int | None, str], tuple[int | None, str]]:
        target_net = Veth(bridge=bridge(), addresses=["10.80.0.2/24", "fd80::2/64"], gateway="10.80.0.1")
        with nscore.spawn(["sleep", "60"], namespaces="net", network=target_net) as target:
            try:
                # To the other container over IPv4 and IPv6, and to the bridge (the gateway,
                # which has only an IPv4 address).
                reached = run(
                    [PYTHON, PINGER, "2", "10.80.0.2", "fd80::2", "10.80.0.1"],
                    namespaces="net",
                    network=Veth(bridge=bridge(), addresses=["10.80.0.3/24", "fd80::3/64"], gateway="10.80.0.1"),
                )
                # Addresses nobody on the bridge has.
                unanswered = run(
                    [PYTHON, PINGER, "0.5", "10.80.0.99", "fd80::99"],
                    namespaces="net",
                    network=Veth(bridge=bridge(), addresses=["10.80.0.4/24", "fd80::4/64"], gateway="10.80.0.1"),
                )
            finally:
                target.kill()
                target.wait(30)
        return reached, unanswered

    reached, unanswered = host.run(body)
    assert reached == (0, "10.80.0.2 reply\nfd80::2 reply\n10.80.0.1 reply\n")
    assert unanswered == (1, "10.80.0.99 no reply\nfd80::99 no reply\n")


def test_mtu_mac_and_names_are_applied(host: Host) -> None:
    net = Veth(
        interface="web0",
        host_interface="nscpyh0",
        bridge=bridge(),
        addresses=["10.80.0.9/24"],
        gateway="10.80.0.1",
        mtu=1400,
        mac="02:42:ac:11:00:09",
    )

    def body() -> tuple[str, str, list[str]]:
        with nscore.spawn(["sleep", "60"], namespaces="net", network=net) as c:
            inside = subprocess.run(
                ["nsenter", f"--net=/proc/{c.pid}/ns/net", "ip", "-o", "link", "show", "web0"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            outside = host.ip("-o", "link", "show", "nscpyh0")
            c.kill()
            c.wait(30)
        return inside, outside, host.links()

    inside, outside, after = host.run(body)
    assert " mtu 1400 " in inside and "state UP" in inside, inside
    assert "link/ether 02:42:ac:11:00:09 " in inside, inside
    assert " mtu 1400 " in outside and f" master {BRIDGE} " in outside, outside
    # The host end went with the container.
    assert "nscpyh0" not in after, after


def test_no_network_is_only_lo(host: Host) -> None:
    def body() -> list[tuple[int | None, str]]:
        return [run(["ip", "-o", "link", "show"], namespaces="net", network=n) for n in (None, "none", "NONE")]

    for code, out in host.run(body):
        assert code == 0, out
        assert [line.split(":")[1].strip() for line in out.splitlines()] == ["lo"], out


def test_joining_an_existing_network_namespace(host: Host) -> None:
    """``ns:PATH`` and ``container:PID``: the command runs in that namespace, without a new one."""
    target = os.readlink(host.ns_path)
    for network in (f"ns:{host.ns_path}", f"container:{host.holder.pid}"):
        code, out = run(["readlink", "/proc/self/ns/net"], namespaces="uts", network=network)
        assert (code, out.strip()) == (0, target), network
    with pytest.raises(nscore.InvalidArgumentError, match="exclusive"):
        nscore.spawn(["true"], namespaces="net", network=f"container:{host.holder.pid}")
    with pytest.raises(nscore.InvalidArgumentError, match="not a network namespace"):
        nscore.spawn(["true"], network="ns:/etc/hostname")
    with pytest.raises(nscore.InvalidArgumentError, match="unknown network"):
        nscore.spawn(["true"], network="container:abc")


def test_a_bridge_stays_until_removed(host: Host) -> None:
    code, out = host.run(lambda: run(["true"], namespaces="net", network=good_veth()))
    assert code == 0, out
    assert BRIDGE in host.links()
    host.run(lambda: nscore.remove_bridge(BRIDGE))
    assert BRIDGE not in host.links()
    with pytest.raises(nscore.NotFoundError):
        host.run(lambda: nscore.remove_bridge(BRIDGE))


# ---- bad input -----------------------------------------------------------------------------

#: Values the library refuses when the setter is called: {case: (Veth, setter, message)}.
BAD_TEXT = {
    "cidr": (
        Veth(addresses=["10.80.0.300/24"]),
        "nscore_spawn_config_add_address",
        r"'10\.80\.0\.300/24': '10\.80\.0\.300' is not an IPv4 or IPv6 address",
    ),
    "no prefix length": (
        Veth(addresses=["10.80.0.2"]),
        "nscore_spawn_config_add_address",
        r"'10\.80\.0\.2' has no prefix length; write it as ADDRESS/LENGTH",
    ),
    "bridge cidr": (
        Veth(bridge=Bridge(BRIDGE, "10.80.0.1/33")),
        "nscore_spawn_config_set_bridge",
        r"the prefix length 33 is out of range for IPv4",
    ),
    "gateway": (
        Veth(addresses=["10.80.0.2/24"], gateway="10.80.0.x"),
        "nscore_spawn_config_set_gateway",
        r"'10\.80\.0\.x' is not an IPv4 address",
    ),
    "mac": (Veth(mac="02:42:zz:11:00:09"), "nscore_spawn_config_set_mac", r"'02:42:zz:11:00:09' is not a MAC address"),
}


@pytest.mark.parametrize("case", list(BAD_TEXT))
def test_bad_text_raises_from_the_setter(host: Host, case: str) -> None:
    net, setter, message = BAD_TEXT[case]

    def body() -> None:
        with pytest.raises(nscore.InvalidArgumentError, match=message) as e:
            nscore.spawn(["true"], namespaces="net", network=net)
        assert e.value.errno == errno.EINVAL and e.value.code == nscore.ErrorCode.INVALID_ARGUMENT
        assert str(e.value).startswith(setter + ": "), e.value
        # Raised by the setter, before the spawn: without the net namespace (which the spawn
        # would refuse) it is the same error.
        with pytest.raises(nscore.InvalidArgumentError, match=message):
            nscore.spawn(["true"], network=net)

    host.run(body)
    assert children() == {host.holder.pid}
    assert host.links() == ["lo"]


def good_veth(**changes: Any) -> Veth:
    fields: dict[str, Any] = dict(
        host_interface="nscpyfail0", bridge=bridge(), addresses=["10.80.0.5/24"], gateway="10.80.0.1"
    )
    fields.update(changes)
    return Veth(**fields)


#: Mistakes the library finds at the spawn: {case: (Veth, exception class, message)}.
BAD_AT_SPAWN = {
    "gateway outside the subnet": (
        good_veth(gateway="10.99.0.1"),
        nscore.InvalidArgumentError,
        r"the gateway 10\.99\.0\.1 is outside every address's subnet \(10\.80\.0\.5/24\)",
    ),
    "16-byte interface name": (
        good_veth(interface="a-very-long-nam0"),
        nscore.InvalidArgumentError,
        r"the interface name 'a-very-long-nam0' is 16 bytes long; Linux allows at most 15",
    ),
    "16-byte host name": (
        good_veth(host_interface="nscpy-host-end00"),
        nscore.InvalidArgumentError,
        r"the host interface name 'nscpy-host-end00' is 16 bytes long",
    ),
    "missing bridge": (
        good_veth(bridge=Bridge("nscpynobr", create=False)),
        nscore.NotFoundError,
        r"there is no bridge 'nscpynobr'",
    ),
    "mtu out of range": (good_veth(mtu=20), nscore.InvalidArgumentError, r"MTU 20 is out of range"),
}


@pytest.mark.parametrize("case", list(BAD_AT_SPAWN))
def test_bad_settings_raise_at_spawn_and_leave_nothing(host: Host, case: str) -> None:
    net, error_class, message = BAD_AT_SPAWN[case]

    def body() -> tuple[int | None, str]:
        with pytest.raises(error_class, match=message):
            nscore.spawn(["true"], namespaces="net", network=net)
        assert children() == {host.holder.pid}
        assert set(host.links()) <= {"lo", BRIDGE}, host.links()
        # The same network with the mistake taken out works.
        return run(["true"], namespaces="net", network=good_veth())

    assert host.run(body) == (0, "")


def test_veth_needs_a_network_namespace(host: Host) -> None:
    def body() -> None:
        with pytest.raises(nscore.InvalidArgumentError, match="a veth network needs a new network namespace"):
            nscore.spawn(["true"], namespaces="uts", network=Veth(addresses=["10.80.0.2/24"]))

    host.run(body)
    assert children() == {host.holder.pid}
    assert host.links() == ["lo"]


# ---- the Python side -----------------------------------------------------------------------


def test_values() -> None:
    v = Veth(addresses=[ipaddress.ip_interface("10.0.0.2/24"), "fd00::2/64"], gateway=ipaddress.ip_address("10.0.0.1"))
    assert v.addresses == ("10.0.0.2/24", "fd00::2/64") and v.gateway == "10.0.0.1"
    assert (v.interface, v.host_interface, v.bridge, v.mtu, v.mac) == ("eth0", None, None, None, None)
    assert Bridge("br0", ipaddress.ip_interface("10.0.0.1/24")) == Bridge("br0", "10.0.0.1/24", create=True)
    # Frozen and hashable, lists kept as tuples.
    assert Veth(addresses=["10.0.0.2/24"]) == Veth(addresses=("10.0.0.2/24",))
    assert len({Veth(bridge=Bridge("b")), Veth(bridge=Bridge("b"))}) == 1
    with pytest.raises(AttributeError):
        v.mtu = 1400  # type: ignore[misc]
    assert {"Veth", "Bridge"} <= set(nscore.__all__)
    assert nscore.Veth is nscore.netconfig.Veth
    assert (nscore._ffi.NETWORK_NONE, nscore._ffi.NETWORK_VETH) == (0, 1)


def test_python_side_errors() -> None:
    with pytest.raises(TypeError, match="Veth.addresses must be a sequence of addresses, not a single one"):
        Veth(addresses="10.0.0.2/24")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Veth.addresses\[0\] needs a prefix length"):
        Veth(addresses=[ipaddress.ip_address("10.0.0.2")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="Veth.gateway must be a str"):
        Veth(gateway=ipaddress.ip_interface("10.0.0.1/24"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Veth.bridge must be an nscore.Bridge"):
        Veth(bridge="br0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Veth.mtu must be an int"):
        Veth(mtu=True)
    with pytest.raises(nscore.InvalidArgumentError, match="Veth.mtu: 0 is out of range"):
        Veth(mtu=0)
    with pytest.raises(TypeError, match="Bridge.create must be a bool"):
        Bridge("br0", create=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown network 'bridge'"):
        nscore.spawn(["true"], namespaces="net", network="bridge")
    with pytest.raises(TypeError, match="network must be None, 'none' or an nscore.Veth, not Bridge"):
        nscore.spawn(["true"], namespaces="net", network=Bridge("br0"))  # type: ignore[arg-type]
    with pytest.raises(nscore.InvalidArgumentError, match="network: interface: .* NUL"):
        nscore.spawn(["true"], namespaces="net", network=Veth(interface="a\0b"))
    assert children() == set()
