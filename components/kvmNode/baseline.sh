#!/usr/bin/env bash
# Fortress KvmNode baseline: the packages later components need, kernel tuning, and a default-deny
# firewall that cannot lock out SSH. Check, then change: a second run changes nothing.
set -euo pipefail
FORTRESS_SCRIPT=fortress-baseline

PACKAGES=@@PACKAGES@@
SYSCTL_SETTINGS=@@SYSCTL_SETTINGS@@
KERNEL_MODULES=@@KERNEL_MODULES@@
FIREWALL_ENABLED=@@FIREWALL_ENABLED@@
FIREWALL_RULESET=@@FIREWALL_RULESET@@
ROLLBACK_SECONDS=@@ROLLBACK_SECONDS@@

# @fortress-common

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"

# A fresh cloud host may still be running cloud-init, which installs packages too.
if command -v cloud-init >/dev/null 2>&1; then
  cloud-init status --wait >/dev/null 2>&1 || true
fi

# shellcheck disable=SC2086 # the package list is one word per package by construction
ensure_packages $PACKAGES

# --- kernel modules and tuning ---
loaded_modules=""
for module in $KERNEL_MODULES; do
  if [[ ! -d /sys/module/$module ]] && ! modprobe -q "$module" 2>/dev/null; then
    log "kernel module $module is not available here; the settings that need it are skipped"
    continue
  fi
  loaded_modules+="$module"$'\n'
done
if install_file /etc/modules-load.d/fortress.conf 0644 "$loaded_modules"; then
  changed modules-load
fi

kept_settings=""
while IFS='=' read -r key value; do
  [[ -n $key ]] || continue
  if [[ ! -e /proc/sys/${key//.//} ]]; then
    log "sysctl $key skipped: this kernel has no such setting"
    continue
  fi
  current=$(sysctl -n "$key" 2>/dev/null | tr -s ' \t' ' ')
  if [[ $current != "$value" ]] && ! sysctl -q -w "$key=$value" >/dev/null 2>&1; then
    log "sysctl $key skipped: the kernel refused \"$value\" (read-only here, or not supported)"
    continue
  fi
  kept_settings+="$key=$value"$'\n'
done <<<"$SYSCTL_SETTINGS"

sysctl_conf="# Managed by Fortress (KvmNode baseline). Edits are overwritten."$'\n'"${kept_settings//=/ = }"
if install_file /etc/sysctl.d/99-fortress.conf 0644 "$sysctl_conf"; then
  # Other files may fail to apply in a container; ours are checked one by one below.
  sysctl --system >/dev/null 2>&1 || log "sysctl --system reported errors outside 99-fortress.conf"
  changed sysctl
fi
while IFS='=' read -r key value; do
  [[ -n $key ]] || continue
  current=$(sysctl -n "$key" 2>/dev/null | tr -s ' \t' ' ')
  [[ $current == "$value" ]] || log "warning: $key is \"$current\", not \"$value\": another sysctl file overrides it"
done <<<"$kept_settings"

# --- firewall ---
ruleset_file=/etc/fortress/firewall.nft
ruleset_backup=$FORTRESS_STATE_DIR/backup$ruleset_file
rollback_unit=fortress-firewall-rollback
if [[ $FIREWALL_ENABLED == true ]]; then
  mkdir -p /etc/fortress/firewall.d
  # The port this very session came in on stays open, even if sshd listens somewhere unexpected.
  session_port=$(awk '{print $4}' <<<"${SSH_CONNECTION:-}")
  ssh_dropin=""
  if [[ $session_port =~ ^[0-9]+$ ]]; then
    ssh_dropin="add element inet fortress tcp_ports { $session_port }"$'\n'
  fi
  ssh_dropin_changed=false
  if install_file /etc/fortress/firewall.d/00-ssh-session.nft 0644 "$ssh_dropin"; then
    ssh_dropin_changed=true
    changed firewall-ssh-port
  fi

  if install_file /usr/local/sbin/fortress-firewall-rollback 0755 "#!/bin/sh
# Restores the firewall that was in place before the last Fortress change (armed on probation).
set -u
if [ -f $ruleset_backup ]; then
  cp -p $ruleset_backup $ruleset_file
  nft -f $ruleset_file
else
  rm -f $ruleset_file
  nft delete table inet fortress
fi
logger -t fortress 'firewall change was not confirmed over a new SSH connection: rolled back'
"; then
    changed firewall-rollback-script
  fi

  if install_file /etc/systemd/system/fortress-firewall.service 0644 "[Unit]
Description=Fortress firewall baseline
DefaultDependencies=no
Wants=network-pre.target
Before=network-pre.target shutdown.target
After=nftables.service
Conflicts=shutdown.target
ConditionPathExists=$ruleset_file

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f $ruleset_file

[Install]
WantedBy=sysinit.target
"; then
    systemctl daemon-reload
    changed firewall-unit
  fi
  if ! systemctl is-enabled --quiet fortress-firewall.service 2>/dev/null; then
    systemctl enable --quiet fortress-firewall.service
    changed firewall-enabled
  fi

  if [[ -f $ruleset_file && "$(cat "$ruleset_file"; printf x)" == "${FIREWALL_RULESET}x" ]]; then
    # Already proven once; only reload it if someone removed the live table.
    if ! nft list table inet fortress >/dev/null 2>&1; then
      nft -f "$ruleset_file"
      changed firewall-reloaded
    elif [[ $ssh_dropin_changed == true ]]; then
      nft -f /etc/fortress/firewall.d/00-ssh-session.nft
    fi
  else
    candidate=$(mktemp /etc/fortress/.firewall.XXXXXX)
    printf '%s' "$FIREWALL_RULESET" >"$candidate"
    if ! nft -c -f "$candidate"; then
      rm -f "$candidate"
      die "nftables rejected the new ruleset; nothing was changed"
    fi
    rm -f "$candidate"
    # A backup left from an earlier install must not be "restored" over a first ruleset.
    [[ -f $ruleset_file ]] || rm -f "$ruleset_backup"
    install_file "$ruleset_file" 0644 "$FIREWALL_RULESET" || true
    # Probation: unless a new SSH connection confirms the change, the old ruleset comes back.
    systemctl stop "$rollback_unit.timer" >/dev/null 2>&1 || true
    systemctl reset-failed "$rollback_unit.service" "$rollback_unit.timer" >/dev/null 2>&1 || true
    systemd-run --quiet --unit="$rollback_unit" --on-active="${ROLLBACK_SECONDS}s" \
      /usr/local/sbin/fortress-firewall-rollback
    nft -f "$ruleset_file"
    log "firewall applied; it rolls back in ${ROLLBACK_SECONDS}s unless a new SSH connection confirms it"
    changed firewall
  fi
else
  if nft list table inet fortress >/dev/null 2>&1; then
    nft delete table inet fortress
    changed firewall-removed
  fi
  if systemctl is-enabled --quiet fortress-firewall.service 2>/dev/null; then
    systemctl disable --quiet fortress-firewall.service
    changed firewall-disabled
  fi
  rm -f "$ruleset_file"
fi

summary
