"""nscore.network(pid): a network namespace's interfaces and routes, on the real kernel.

Nothing here touches the machine's own network namespace. As in test_network.py, a `sleep`
container holds a "host" network namespace, and the veth spawn runs on a thread that entered
it with setns(2) (the host end of a veth pair is made in the calling thread's namespace). What
nscore.network() reports is compared field by field with `ip -j` run through
`nsenter --net=/proc/PID/ns/net`, so this process never enters the namespaces it looks at.
Afterwards the bridge is deleted, the host namespace holds only `lo`, and no child is left.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_network import Host, children

import nscore
from nscore import Bridge, NetworkInfo, NetworkInterface, Route, Veth

BRIDGE = "nscpyi"
HOST_END = "nscpyi0"
NET = Veth(
    host_interface=HOST_END,
    bridge=Bridge(BRIDGE, "10.81.0.1/24"),
    addresses=["10.81.0.2/24", "fd81::2/64"],
    gateway="10.81.0.1",
    mtu=1450,
)


@pytest.fixture
def host() -> Iterator[Host]:
    h = Host()
    try:
        yield h
    finally:
        try:
            if BRIDGE in h.links():
                h.ip("link", "del", BRIDGE)
        finally:
            left = h.close()
        # The container's host end went with it, and the bridge was deleted above.
        assert left == ["lo"], left
    assert children() == set(), children()
    # Nothing reached the machine's own namespace (its sysfs lists its links).
    assert [n for n in os.listdir("/sys/class/net") if n.startswith(BRIDGE)] == []


def ip_json(pid: int, *args: str) -> Any:
    """`ip -j ARGS` in pid's network namespace, parsed."""
    out = subprocess.run(
        ["nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-j", *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def settled_snapshot(pid: int) -> tuple[NetworkInfo, list[dict[str, Any]], list[dict[str, Any]]]:
    """nscore.network(pid) between two equal `ip -j addr` and `ip -j route` dumps, so the
    comparison does not race an address the kernel adds meanwhile (the IPv6 link-local one
    appears once the veth has a carrier)."""
    deadline = time.monotonic() + 10
    while True:
        before = (ip_json(pid, "addr"), routes_of(pid))
        info = nscore.network(pid)
        after = (ip_json(pid, "addr"), routes_of(pid))
        # Settled once eth0 has its link-local address too and nothing changed around the call.
        if before == after and any(
            a["local"].startswith("fe80:") for link in after[0] if link["ifname"] == "eth0" for a in link["addr_info"]
        ):
            return info, after[0], after[1]
        assert time.monotonic() < deadline, (before, after)
        time.sleep(0.05)


def routes_of(pid: int) -> list[dict[str, Any]]:
    return [
        *ip_json(pid, "-4", "route", "show", "table", "main"),
        *ip_json(pid, "-6", "route", "show", "table", "main"),
    ]


def route_key(r: dict[str, Any], indexes: dict[str, int]) -> tuple[str, str | None, int | None, int | None, bool]:
    """An `ip -j route` entry as (destination, gateway, interface index, metric, default)."""
    gateway = r.get("gateway")
    v6 = ":" in str(r["dst"]) or (gateway is not None and ":" in gateway)
    dst = r["dst"]
    if dst == "default":
        dst = "::/0" if v6 else "0.0.0.0/0"
    elif "/" not in dst:
        dst += "/128" if v6 else "/32"
    dev = r.get("dev")
    return (dst, gateway, None if dev is None else indexes[dev], r.get("metric"), r["dst"] == "default")


def test_a_containers_veth_as_ip_sees_it(host: Host) -> None:
    own_namespace = os.readlink("/proc/thread-self/ns/net")

    def body() -> tuple[NetworkInfo, list[dict[str, Any]], list[dict[str, Any]], NetworkInfo, list[Any], list[Any]]:
        with nscore.spawn(["sleep", "60"], namespaces="net", network=NET) as c:
            info, addrs, routes = settled_snapshot(c.pid)
            details = ip_json(c.pid, "-d", "link", "show", "eth0")
            host_info = nscore.network(host.holder.pid)
            host_end = ip_json(host.holder.pid, "-d", "link", "show", HOST_END)
            c.kill()
            c.wait(30)
        return info, addrs, routes, host_info, details, host_end

    info, addrs, routes, host_info, details, host_end = host.run(body)
    # Looking did not move this thread into another namespace.
    assert os.readlink("/proc/thread-self/ns/net") == own_namespace

    # The container's eth0 is what the Veth asked for.
    by_name = {i.name: i for i in info.interfaces}
    assert sorted(by_name) == ["eth0", "lo"], info
    eth0 = by_name["eth0"]
    assert (eth0.up, eth0.state, eth0.mtu, eth0.kind, eth0.master) == (True, "UP", 1450, "veth", None), eth0
    assert {"10.81.0.2/24", "fd81::2/64"} <= set(eth0.addresses), eth0
    # Its peer is the host end, by that end's index in the host namespace.
    (host_link,) = host_end
    assert eth0.veth_peer == host_link["ifindex"], (eth0, host_link)
    assert details[0]["link_index"] == host_link["ifindex"]
    # The default route goes through the gateway on eth0.
    defaults = [r for r in info.routes if r.default]
    assert defaults == [Route("0.0.0.0/0", "10.81.0.1", eth0.index, None, True)], info.routes

    # Field by field against `ip -j addr`: ifindex, ifname, mtu, MAC, operstate, UP and addresses.
    assert [i.index for i in info.interfaces] == [link["ifindex"] for link in addrs]
    for iface, link in zip(info.interfaces, addrs):
        assert (iface.index, iface.name, iface.mtu, iface.mac, iface.state, iface.up) == (
            link["ifindex"],
            link["ifname"],
            link["mtu"],
            link.get("address"),
            link["operstate"],
            "UP" in link["flags"],
        ), (iface, link)
        assert iface.addresses == tuple(f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"]), (iface, link)
    # And the main table against `ip -j route` (IPv4 and IPv6), as sets: the dumps' order differs.
    indexes = {link["ifname"]: link["ifindex"] for link in addrs}
    assert {(r.destination, r.gateway, r.interface, r.metric, r.default) for r in info.routes} == {
        route_key(r, indexes) for r in routes
    }
    assert len(info.routes) == len(routes)
    for r in info.routes:
        ipaddress.ip_network(r.destination)  # a network, not an address with host bits

    # The host side: the veth end on the bridge, its peer the container's eth0.
    host_by_name = {i.name: i for i in host_info.interfaces}
    assert set(host_by_name) == {"lo", BRIDGE, HOST_END}, host_info
    bridge, end = host_by_name[BRIDGE], host_by_name[HOST_END]
    assert bridge.kind == "bridge" and "10.81.0.1/24" in bridge.addresses, bridge
    assert (end.kind, end.index, end.master, end.veth_peer, end.mtu) == (
        "veth",
        host_link["ifindex"],
        bridge.index,
        eth0.index,
        1450,
    ), end
    assert host_info.pid == host.holder.pid


def test_values_are_frozen_and_typed(host: Host) -> None:
    info = nscore.network(host.holder.pid)
    assert isinstance(info, NetworkInfo) and info.pid == host.holder.pid
    assert isinstance(info.interfaces, tuple) and isinstance(info.routes, tuple)
    (lo,) = info.interfaces
    assert lo == NetworkInterface(
        1, "lo", None, True, "UNKNOWN", "00:00:00:00:00:00", 65536, None, None, ("127.0.0.1/8", "::1/128")
    ), lo
    assert info.routes == ()
    with pytest.raises(AttributeError):
        lo.mtu = 1500  # type: ignore[misc]
    # A Container works as the pid, as for mounts().
    assert nscore.network(host.holder) == info  # type: ignore[arg-type]
    # Exported.
    assert {"network", "NetworkInfo", "NetworkInterface", "Route"} <= set(nscore.__all__)
    assert nscore.inspection.network(host.holder.pid) == info


def test_a_missing_process_raises_not_found() -> None:
    with pytest.raises(nscore.NotFoundError) as e:
        nscore.network(999999999)
    assert isinstance(e.value, FileNotFoundError) and e.value.errno == 2, e.value
    assert "999999999" in str(e.value)
    with pytest.raises(TypeError):
        nscore.network("1")  # type: ignore[arg-type]
    assert children() == set()
