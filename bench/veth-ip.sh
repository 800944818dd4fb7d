#!/bin/sh
# The network of `nscore run -n --network veth --bridge BRIDGE:BRIDGE_CIDR --ip CIDR
# --gateway GATEWAY -- CMD...` made with ip(8) commands, as a shell script would: the peer of
# section 9 of bench/run.sh. A named network namespace, the bridge made when missing, a veth
# pair with its inside end created in the namespace, the host end on the bridge and up, then
# lo, the address, no IPv6 link-local address (as NSCore for a container without IPv6), eth0 up
# and the default route inside, and the command run there with
# `ip netns exec`. Afterwards the host end and the namespace are deleted.
#
#   veth-ip.sh BRIDGE BRIDGE_CIDR CIDR GATEWAY CMD [ARG...]
set -eu
bridge=$1 bridge_cidr=$2 cidr=$3 gateway=$4
shift 4
ns=nsbench$$
host=vi$$
ip netns add "$ns"
trap 'ip link del "$host" 2>/dev/null || :; ip netns del "$ns"' EXIT
if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$bridge_cidr" dev "$bridge"
fi
ip link set "$bridge" up
ip link add "$host" type veth peer name eth0 netns "$ns"
ip link set "$host" master "$bridge" up
ip -n "$ns" link set lo up
ip -n "$ns" addr add "$cidr" dev eth0
ip -n "$ns" link set eth0 addrgenmode none
ip -n "$ns" link set eth0 up
ip -n "$ns" route add default via "$gateway"
ip netns exec "$ns" "$@"
