#!/usr/bin/env bash
# Fortress KvmNode teardown (pulumi destroy): removes the firewall and the kernel tuning files
# the baseline installed. Packages stay; kernel values stay until the next reboot.
set -euo pipefail
FORTRESS_SCRIPT=fortress-baseline-teardown

# @fortress-common

systemctl stop fortress-firewall-rollback.timer >/dev/null 2>&1 || true
if systemctl is-enabled --quiet fortress-firewall.service 2>/dev/null; then
  systemctl disable --quiet fortress-firewall.service
  changed firewall-disabled
fi
if command -v nft >/dev/null 2>&1 && nft list table inet fortress >/dev/null 2>&1; then
  nft delete table inet fortress
  changed firewall-removed
fi
for file in /etc/systemd/system/fortress-firewall.service /usr/local/sbin/fortress-firewall-rollback \
  /etc/sysctl.d/99-fortress.conf /etc/modules-load.d/fortress.conf /etc/fortress/firewall.nft \
  /etc/fortress/firewall.d/00-ssh-session.nft; do
  if [[ -e $file ]]; then
    rm -f "$file"
    changed "removed:$file"
  fi
done
rm -rf "$FORTRESS_STATE_DIR/backup/etc/fortress/firewall.nft"
systemctl daemon-reload
summary
