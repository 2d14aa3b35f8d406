# shellcheck shell=bash
# What a lab host stands on before it boots: the bridge, its network namespace and veth, its
# writable layer and identity. Sourced by lab.sh, which sets BRIDGE, SUBNET, HOSTS, LOGS and the
# helpers (host_dir, netns, veth, ...) used here; not a command of its own.

# The bridge on this machine, created once; refuses a subnet something else already uses.
ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    local used
    used=$(ip -4 route show to match "$SUBNET.1" | grep -v '^default' || true)
    [[ -z $used ]] || die "$SUBNET.0/24 is already routed on this machine: $used (set FORTRESS_LAB_SUBNET)"
    ip link add "$BRIDGE" type bridge
  fi
  ip addr replace "$SUBNET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Lab hosts talk to each other and to this machine, nowhere else: refuse whatever would be
  # routed out of or into the lab (this matters where the machine forwards, e.g. with Docker).
  # Traffic between hosts is bridged: it comes in and goes out on the bridge, so it passes.
  nft list table inet "$NFT_TABLE" >/dev/null 2>&1 || nft -f - <<EOF
table inet $NFT_TABLE {
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "$BRIDGE" oifname != "$BRIDGE" reject with icmpx type admin-prohibited
    oifname "$BRIDGE" iifname != "$BRIDGE" drop
  }
}
EOF
}

# The host's namespace and its veth to the bridge. It outlives the container, so the address
# survives reboots.
ensure_netns() {
  local name=$1 ns veth index
  ns=$(netns "$name")
  index=$(host_index "$name")
  veth=$(veth "$index")
  [[ -e /run/netns/$ns ]] || ip netns add "$ns"
  ip link show "$veth" >/dev/null 2>&1 || ip link add "$veth" type veth peer name eth0 netns "$ns"
  ip link set "$veth" master "$BRIDGE" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr replace "$(host_addr "$name")/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route replace default via "$SUBNET.1"
}

# The host's writable layer, and its identity written into it on first creation.
ensure_upper() {
  local name=$1 dir upper t
  dir=$(host_dir "$name")
  upper=$dir/upper
  [[ -d $upper ]] && return 0
  mkdir -p "$upper.new/etc/ssh"
  tr -d - </proc/sys/kernel/random/uuid >"$upper.new/etc/machine-id"
  echo "$name" >"$upper.new/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$name" >"$upper.new/etc/hosts"
  for t in rsa ecdsa ed25519; do
    ssh-keygen -q -t "$t" -N '' -C "root@$name" -f "$upper.new/etc/ssh/ssh_host_${t}_key"
  done
  mv "$upper.new" "$upper"
}

prepare_host() {
  local name=$1 index=$2 dir h
  dir=$(host_dir "$name")
  ensure_bridge
  for h in "$HOSTS"/*/index; do
    [[ -f $h && $h != "$dir/index" && $(cat "$h") == "$index" ]] &&
      die "index $index is taken by $(basename "$(dirname "$h")")"
  done
  if [[ -f $dir/index && $(cat "$dir/index") != "$index" ]]; then
    die "$name exists with index $(cat "$dir/index"); run down $name first"
  fi
  if [[ ! -d $dir ]]; then
    mkdir -p "$dir" "$LOGS"
    : >"$(console_log "$name")"
  fi
  echo "$index" >"$dir/index"
  ensure_netns "$name"
  ensure_upper "$name"
}
