"""Networks for :func:`nscore.spawn`: how a new network namespace is connected
(``include/nscore.h``, "Network"; Swift's ``NetworkConfiguration``).

Without ``network=`` (or with ``network="none"``) a new network namespace has only ``lo``, up.
A :class:`Veth` gives it a veth pair, set up by the parent while the child waits, so the command
starts with the network ready: one end inside (``eth0`` by default) with its addresses, MTU, MAC
and default route; the other end in the caller's network namespace, on a :class:`Bridge` when
one is named::

    import os, nscore

    net = nscore.Veth(bridge=nscore.Bridge("nsc0", "10.80.0.1/24"),
                      addresses=["10.80.0.2/24", "fd80::2/64"], gateway="10.80.0.1")
    r, w = os.pipe()
    with nscore.spawn(["ip", "-o", "-4", "addr", "show", "eth0"], namespaces="net",
                      network=net, stdout=w) as c:
        os.close(w)
        print(os.read(r, 200), c.wait())   # b'2: eth0    inet 10.80.0.2/24 ...'

The caller's network namespace is the one of the *thread* that calls :func:`nscore.spawn`
(``setns(2)`` of a network namespace moves only the calling thread), so a thread that entered
another namespace sets up its containers there.

The values are frozen dataclasses with the Swift field names. Only the Python types are checked
here; the library parses addresses, gateways and MACs when the spawn hands them over (a bad one
raises :class:`nscore.InvalidArgumentError` that quotes it), and checks the rest at the spawn:
interface names (at most 15 bytes), a gateway in one of the addresses' subnets, the MTU range,
a missing bridge with ``create=False``, and that the network namespace is new.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable
from typing import Any, Union

from . import _ffi
from ._convert import invalid, to_bytes

__all__ = ["Veth", "Bridge", "NetworkLike"]

#: An address with its prefix length: ``"10.0.0.2/24"``, ``"fd00::2/64"`` or an
#: :class:`ipaddress.IPv4Interface` / :class:`ipaddress.IPv6Interface`.
InterfaceLike = Union[str, ipaddress.IPv4Interface, ipaddress.IPv6Interface]
#: An address without a prefix length: ``"10.0.0.1"`` or an :func:`ipaddress.ip_address`.
AddressLike = Union[str, ipaddress.IPv4Address, ipaddress.IPv6Address]

#: The largest MTU the C ABI's ``unsigned int`` carries (the library checks the real range).
_MAX_MTU = 2**32 - 1


def _name(value: Any, what: str) -> str:
    """An interface name as str (bytes are decoded as UTF-8); its rules are the library's."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, str):
        return value
    raise TypeError(f"{what} must be a str or bytes, not {type(value).__name__}")


def _prefix(value: Any, what: str) -> str:
    """An address with its prefix length, as text. Interfaces (and networks) become their
    ``str()``; a bare address is refused, since it has no prefix length."""
    if isinstance(value, str):
        return value
    if isinstance(value, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        return str(value)
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        raise TypeError(f"{what} needs a prefix length: pass ipaddress.ip_interface('{value}/LENGTH'), not an address")
    raise TypeError(
        f"{what} must be a str such as '10.0.0.2/24' or an ipaddress.IPv4Interface/IPv6Interface, "
        f"not {type(value).__name__}"
    )


def _address(value: Any, what: str) -> str:
    """An address without a prefix length, as text."""
    if isinstance(value, str):
        return value
    # IPv4Interface and IPv6Interface subclass the address types; their str() has the prefix.
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)) and not isinstance(
        value, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)
    ):
        return str(value)
    raise TypeError(f"{what} must be a str such as '10.0.0.1' or an ipaddress address, not {type(value).__name__}")


@dataclasses.dataclass(frozen=True)
class Bridge:
    """A bridge in the caller's network namespace (docker0-like) that a :class:`Veth`'s host
    end is attached to.

    ``name`` is the bridge's name (at most 15 bytes). ``address`` is the bridge's own address
    with its prefix length (``"10.80.0.1/24"``), the containers' gateway; it is given to a bridge
    that does not have it yet. ``create`` makes the bridge (up) when it does not exist; a bridge
    made for containers stays for the next ones (``ip link del NAME`` removes it). With
    ``create=False`` a missing bridge fails the spawn.
    """

    #: The bridge's name.
    name: str
    #: Its own address with a prefix length, or None to leave its addresses alone.
    address: str | None = None
    #: Make the bridge when it does not exist.
    create: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _name(self.name, "Bridge.name"))
        if self.address is not None:
            object.__setattr__(self, "address", _prefix(self.address, "Bridge.address"))
        if not isinstance(self.create, bool):
            raise TypeError(f"Bridge.create must be a bool, not {type(self.create).__name__}")


@dataclasses.dataclass(frozen=True)
class Veth:
    """A veth pair network: Swift's ``NetworkConfiguration.veth(Veth(...))``. It needs a new
    network namespace (``namespaces="net"``); the spawn fails otherwise.

    - ``interface``: the end inside the container (at most 15 bytes; default ``eth0``).
    - ``host_interface``: the end in the caller's network namespace; None generates a free
      ``nsc`` name. It goes away with the container.
    - ``bridge``: a :class:`Bridge` the host end is attached to, or None.
    - ``addresses``: addresses of the inside interface with their prefix lengths, IPv4 and IPv6
      (``"10.80.0.2/24"``, ``"fd80::2/64"``, or :class:`ipaddress.IPv4Interface` /
      :class:`ipaddress.IPv6Interface`). IPv6 ones are usable at once (no duplicate address
      detection). With no IPv6 address the interface gets no IPv6 link-local address either.
      Any sequence is kept as a tuple of str.
    - ``gateway``: the default route's gateway (``"10.80.0.1"`` or an :mod:`ipaddress`
      address); it must lie in one of the addresses' subnets.
    - ``mtu``: the MTU of both ends; None keeps the kernel's.
    - ``mac``: the inside interface's MAC address (``"02:42:ac:11:00:02"``); None keeps the
      kernel's random one.
    """

    #: The interface inside the container.
    interface: str = "eth0"
    #: The end in the caller's network namespace; None: a generated ``nsc`` name.
    host_interface: str | None = None
    #: The bridge the host end joins.
    bridge: Bridge | None = None
    #: The inside interface's addresses, with prefix lengths.
    addresses: tuple[str, ...] = ()
    #: The default route's gateway.
    gateway: str | None = None
    #: The MTU of both ends.
    mtu: int | None = None
    #: The inside interface's MAC address.
    mac: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "interface", _name(self.interface, "Veth.interface"))
        if self.host_interface is not None:
            object.__setattr__(self, "host_interface", _name(self.host_interface, "Veth.host_interface"))
        if self.bridge is not None and not isinstance(self.bridge, Bridge):
            raise TypeError(f"Veth.bridge must be an nscore.Bridge or None, not {type(self.bridge).__name__}")
        addresses = self.addresses
        if isinstance(addresses, (str, bytes, ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
            raise TypeError(f"Veth.addresses must be a sequence of addresses, not a single one ({addresses!r})")
        if not isinstance(addresses, Iterable):
            raise TypeError(f"Veth.addresses must be a sequence of addresses, not {type(addresses).__name__}")
        object.__setattr__(
            self, "addresses", tuple(_prefix(a, f"Veth.addresses[{i}]") for i, a in enumerate(addresses))
        )
        if self.gateway is not None:
            object.__setattr__(self, "gateway", _address(self.gateway, "Veth.gateway"))
        if self.mtu is not None:
            if isinstance(self.mtu, bool) or not isinstance(self.mtu, int):
                raise TypeError(f"Veth.mtu must be an int or None, not {type(self.mtu).__name__}")
            # 0 is the C ABI's "default": refuse it rather than silently ignore it.
            if not 0 < self.mtu <= _MAX_MTU:
                raise invalid("network", f"Veth.mtu: {self.mtu} is out of range (None keeps the kernel's MTU)")
        if self.mac is not None and not isinstance(self.mac, str):
            raise TypeError(f"Veth.mac must be a str such as '02:42:ac:11:00:02', not {type(self.mac).__name__}")


def remove_bridge(name: str) -> None:
    """Deletes the bridge ``name`` from the calling thread's network namespace. A bridge a veth
    spawn created stays for the next containers; this removes it (its ports are detached; their
    containers keep their own ends). Raises :class:`NotFoundError` when there is no such link."""
    _ffi.lib.nscore_bridge_remove(to_bytes(_name(name, "name"), "name"), _ffi.new_error())


#: What ``spawn(network=...)`` accepts: None or ``"none"`` (only ``lo``), ``"ns:PATH"`` or
#: ``"container:PID"`` (join that network namespace, without a new one), or a :class:`Veth`.
NetworkLike = Union[None, str, Veth]


class _Network:
    """``spawn(network=...)`` checked and encoded before any C call; :meth:`apply` makes the
    ``nscore_spawn_config_set_network`` family of calls."""

    def __init__(self, value: NetworkLike) -> None:
        self.veth: Veth | None = None
        #: A network namespace file to join ("ns:PATH", "container:PID").
        self.join: bytes | None = None
        if value is None:
            return
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("ns:") and len(text) > 3:
                self.join = to_bytes(text[3:], "network: ns: path")
                return
            if text.startswith("container:") and text[10:].isdigit():
                self.join = f"/proc/{int(text[10:])}/ns/net".encode()
                return
            if text.lower() != "none":
                raise invalid(
                    "network",
                    f"network: unknown network {value!r} (expected None, 'none', 'ns:PATH', 'container:PID' "
                    "or an nscore.Veth)",
                )
            return
        if not isinstance(value, Veth):
            raise TypeError(f"network must be None, 'none' or an nscore.Veth, not {type(value).__name__}")
        self.veth = value
        v = value
        self.interface = to_bytes(v.interface, "network: interface")
        self.host = None if v.host_interface is None else to_bytes(v.host_interface, "network: host_interface")
        self.bridge: tuple[bytes, bytes | None, int] | None = None
        if v.bridge is not None:
            b = v.bridge
            address = None if b.address is None else to_bytes(b.address, "network: bridge address")
            self.bridge = (to_bytes(b.name, "network: bridge name"), address, 1 if b.create else 0)
        self.addresses = [to_bytes(a, f"network: addresses[{i}]") for i, a in enumerate(v.addresses)]
        self.gateway = None if v.gateway is None else to_bytes(v.gateway, "network: gateway")
        self.mac = None if v.mac is None else to_bytes(v.mac, "network: mac")

    def apply(self, cfg: Any) -> None:
        """Sets the network on ``cfg``, an ``nscore_spawn_config *``. Without a Veth nothing is
        called: a new network namespace gets only ``lo`` by default."""
        lib, err = _ffi.lib, _ffi.new_error
        if self.join is not None:
            lib.nscore_spawn_config_set_network_namespace(cfg, self.join, err())
            return
        v = self.veth
        if v is None:
            return
        lib.nscore_spawn_config_set_network(cfg, _ffi.NETWORK_VETH, err())
        lib.nscore_spawn_config_set_veth_interface(cfg, self.interface, self.host, err())
        if self.bridge is not None:
            name, address, create = self.bridge
            lib.nscore_spawn_config_set_bridge(cfg, name, address, create, err())
        for address in self.addresses:
            lib.nscore_spawn_config_add_address(cfg, address, err())
        if self.gateway is not None:
            lib.nscore_spawn_config_set_gateway(cfg, self.gateway, err())
        if v.mtu is not None:
            lib.nscore_spawn_config_set_mtu(cfg, v.mtu, err())
        if self.mac is not None:
            lib.nscore_spawn_config_set_mac(cfg, self.mac, err())
