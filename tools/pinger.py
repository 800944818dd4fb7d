#!/usr/bin/env python3
"""pinger TIMEOUT HOST...: an ICMP echo request to each HOST through a raw socket (sent again
every 0.25 s until TIMEOUT seconds have passed), and a line "HOST reply" or "HOST no reply" for
each; exits 1 when any went unanswered. IPv4 echoes carry their checksum; the kernel computes
ICMPv6 ones. For the network tests (Swift and Python), which run it inside containers: the
machines have no ping binary. Needs CAP_NET_RAW (root in the container)."""

import os
import socket
import struct
import sys
import time

timeout, hosts = float(sys.argv[1]), sys.argv[2:]
ident = os.getpid() & 0xFFFF


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ping(host):
    v6 = ":" in host
    if v6:  # the kernel fills in the ICMPv6 checksum
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        request, reply = 128, 129
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        request, reply = 8, 0
    deadline = time.monotonic() + timeout
    seq = 0
    while time.monotonic() < deadline:
        seq += 1
        payload = b"nscore-ping"
        header = struct.pack("!BBHHH", request, 0, 0, ident, seq)
        if not v6:
            header = struct.pack(
                "!BBHHH", request, 0, checksum(header + payload), ident, seq
            )
        try:
            s.sendto(header + payload, (host, 0))
        except OSError:  # an earlier attempt found no neighbour: try again
            pass
        retry = min(deadline, time.monotonic() + 0.25)
        while (left := retry - time.monotonic()) > 0:
            s.settimeout(left)
            try:
                data, source = s.recvfrom(2048)
            except TimeoutError:
                break
            except OSError:  # the neighbour is unreachable: try again
                continue
            if not v6:  # a raw IPv4 socket reads the IP header too
                data = data[(data[0] & 0x0F) * 4 :]
            if len(data) < 8 or source[0] != host:
                continue
            kind, _, _, got_ident, got_seq = struct.unpack("!BBHHH", data[:8])
            if kind == reply and got_ident == ident and got_seq <= seq:
                return True
    return False


failed = False
for host in hosts:
    answered = ping(host)
    print(host, "reply" if answered else "no reply", flush=True)
    failed = failed or not answered
sys.exit(1 if failed else 0)
