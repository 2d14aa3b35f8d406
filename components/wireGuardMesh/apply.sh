#!/usr/bin/env bash
# Fortress WireGuardMesh: applies this node's mesh configuration. Peers change through
# `wg syncconf`, so tunnels to peers that did not change never drop; wg-quick@ brings the mesh
# back after a reboot. Check, then change: a second run changes nothing.
set -euo pipefail
FORTRESS_SCRIPT=fortress-wireguard

INTERFACE=@@INTERFACE@@
CONFIG=@@CONFIG@@
ADDRESS=@@ADDRESS@@
LISTEN_PORT=@@LISTEN_PORT@@
KEY_FILE=@@KEY_FILE@@

# @fortress-common

conf=/etc/wireguard/$INTERFACE.conf
dropin=/etc/fortress/firewall.d/10-wireguard-$INTERFACE.nft
[[ -s $KEY_FILE ]] || die "no private key at $KEY_FILE: the keygen step has not run on this host"

ensure_packages wireguard-tools
# Without the kernel module (container-based VPS, test hosts), wg-quick falls back to the
# userspace wireguard-go, which needs the package and a tun device.
if ip link add fortress-wgprobe type wireguard 2>/dev/null; then
  ip link delete fortress-wgprobe
else
  log "no WireGuard kernel support here; using wireguard-go"
  ensure_packages wireguard-go
  [[ -c /dev/net/tun ]] || die "wireguard-go needs /dev/net/tun, which this host lacks"
fi

# The key goes into the file on the host only, right after [Interface].
private_key=$(<"$KEY_FILE")
wanted=${CONFIG/"[Interface]"/"[Interface]"$'\n'"PrivateKey = $private_key"}
unset private_key

# Open the mesh port in the KvmNode firewall (if it has one) and route what comes in on the mesh
# interface through its mesh_in chain: only what a component's drop-in allows gets in, per source.
if install_firewall_dropin "$dropin" "add element inet fortress udp_ports { $LISTEN_PORT }
add element inet fortress mesh_ifaces { \"$INTERFACE\" }
"; then
  changed firewall
fi

backup="$FORTRESS_STATE_DIR/backup$conf"
config_changed=false
if install_file "$conf" 0600 "$wanted"; then
  config_changed=true
  changed config
fi
unset wanted

if ip link show "$INTERFACE" >/dev/null 2>&1; then
  current_address=$(ip -o -4 addr show dev "$INTERFACE" | awk '{print $4}' | head -n 1)
  if [[ $current_address != "$ADDRESS" ]]; then
    # Only a new address of this very node needs the interface rebuilt.
    systemctl restart "wg-quick@$INTERFACE"
    changed restarted
  elif [[ $config_changed == true ]]; then
    if ! wg syncconf "$INTERFACE" <(wg-quick strip "$INTERFACE"); then
      # Keep the mesh that worked: put the old file back and resync to it.
      [[ -f $backup ]] && cp -p "$backup" "$conf" && wg syncconf "$INTERFACE" <(wg-quick strip "$INTERFACE")
      die "wg syncconf refused the new configuration; the previous one is back in place"
    fi
    changed peers-synced
  fi
else
  systemctl start "wg-quick@$INTERFACE"
  changed started
fi
# A rotated key's predecessor goes once the interface runs with the new one.
if [[ -e $KEY_FILE.previous ]] &&
  [[ "$(wg show "$INTERFACE" public-key 2>/dev/null)" == "$(wg pubkey <"$KEY_FILE")" ]]; then
  rm -f "$KEY_FILE.previous"
  changed previous-key-removed
fi
if ! systemctl is-enabled --quiet "wg-quick@$INTERFACE"; then
  systemctl enable --quiet "wg-quick@$INTERFACE"
  changed enabled
fi
[[ "$(sysctl -n net.ipv4.ip_forward 2>/dev/null)" == 1 ]] ||
  log "warning: net.ipv4.ip_forward is off; the KvmNode baseline turns it on"
summary
