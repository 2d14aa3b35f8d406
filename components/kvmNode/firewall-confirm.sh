#!/usr/bin/env bash
# Fortress KvmNode: confirms a firewall change. It runs over a new SSH connection, so getting here
# proves the new ruleset lets SSH in; it then cancels the pending rollback.
set -euo pipefail
FORTRESS_SCRIPT=fortress-firewall-confirm

EXPECTED_RULESET_SHA256=@@EXPECTED_RULESET_SHA256@@

# @fortress-common

ruleset_file=/etc/fortress/firewall.nft
[[ -f $ruleset_file ]] || die "no Fortress firewall on this host: the change was rolled back or never applied"
actual=$(sha256sum "$ruleset_file" | awk '{print $1}')
if [[ $actual != "$EXPECTED_RULESET_SHA256" ]]; then
  die "the firewall on this host is not the one just applied (rolled back after a lockout?); see 'journalctl -t fortress'"
fi
if systemctl is-active --quiet fortress-firewall-rollback.timer; then
  systemctl stop fortress-firewall-rollback.timer
  changed firewall-confirmed
fi
summary
