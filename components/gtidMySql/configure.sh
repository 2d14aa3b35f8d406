#!/usr/bin/env bash
# Fortress GtidMySql: one node's server configuration. Writes the TLS files (the private key comes
# on standard input, never on a command line) and the option file rendered as data, makes the
# binary log folder, and restarts the server only when its option file changed; a server that
# does not come back with the new files gets the previous ones back. Every server starts
# read-only; the guard unit lets the primary take writes after a restart once a replica follows
# it, and this step gives the running server the state of its role. Check, then change.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-configure

FLAVOUR=@@FLAVOUR@@
SERVICE=@@SERVICE@@
CLIENT=@@CLIENT@@
CONFIG_DIR=@@CONFIG_DIR@@
CONFIG_FILE=@@CONFIG_FILE@@
MY_CNF=@@MY_CNF@@
DROP_IN_FILE=@@DROP_IN_FILE@@
DROP_IN=@@DROP_IN@@
BINLOG_DIR=@@BINLOG_DIR@@
TLS_DIR=@@TLS_DIR@@
CA_FILE=@@CA_FILE@@
CERT_FILE=@@CERT_FILE@@
KEY_FILE=@@KEY_FILE@@
CA_PEM=@@CA_PEM@@
CERT_PEM=@@CERT_PEM@@
EXPECTED=@@EXPECTED@@
DYNAMIC_OPTIONS=@@DYNAMIC_OPTIONS@@
ROLE=@@ROLE@@
REPLICAS=@@REPLICAS@@
READ_ONLY=@@READ_ONLY@@
WRITABLE=@@WRITABLE@@
ROLE_FILE=@@ROLE_FILE@@
GUARD_FILE=@@GUARD_FILE@@
# shellcheck disable=SC2016 # a script of its own, installed as it is
GUARD=@@GUARD@@
GUARD_UNIT_FILE=@@GUARD_UNIT_FILE@@
GUARD_UNIT=@@GUARD_UNIT@@

# @fortress-common
# @gtid-mysql-helpers

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
key=$(cat)
[[ $key == "-----BEGIN "*"PRIVATE KEY-----"* ]] || die "no TLS private key on standard input"
if ! command -v "$CLIENT" >/dev/null 2>&1 || ! systemctl cat "$SERVICE" >/dev/null 2>&1; then
  die "$SERVICE is not installed here; the install step has not run"
fi

# Files this run replaced, as PATH:EXISTED, so a failed start can put the previous ones back.
written=()
# Like install_file, and the file belongs to OWNER. Returns 0 when it changed anything.
put() {
  local path=$1 mode=$2 owner=$3 content=$4 existed=false
  [[ -f $path ]] && existed=true
  if install_file "$path" "$mode" "$content"; then
    chown "$owner" "$path"
    written+=("$path:$existed")
    return 0
  fi
  [[ "$(stat -c %U:%G "$path")" != "$owner" ]] || return 1
  chown "$owner" "$path"
}
rollback() {
  local entry path
  for entry in "${written[@]}"; do
    path=${entry%:*}
    if [[ ${entry##*:} == true ]]; then
      cp -p "$FORTRESS_STATE_DIR/backup$path" "$path"
    else
      rm -f "$path"
    fi
  done
  systemctl daemon-reload
}

# The server refuses to start with log_bin in a folder that is missing or not its own.
if [[ ! -d $BINLOG_DIR ]]; then
  install -d -m 0750 -o mysql -g mysql "$BINLOG_DIR"
  changed binlog-dir
elif [[ "$(stat -c %U "$BINLOG_DIR")" != mysql ]]; then
  chown mysql "$BINLOG_DIR"
  changed binlog-dir-owner
fi
if [[ ! -d $TLS_DIR ]]; then
  install -d -m 0750 -o root -g mysql "$TLS_DIR"
  changed tls-dir
fi

tls_changed=false
put "$CA_FILE" 0644 root:root "$CA_PEM" && tls_changed=true
put "$CERT_FILE" 0644 root:root "$CERT_PEM" && tls_changed=true
put "$KEY_FILE" 0600 mysql:mysql "$key" && tls_changed=true
unset key
[[ $tls_changed == true ]] && changed tls

# A packaged file read after ours would win over it (Ubuntu's mysqld.cnf sets bind-address): the
# server lines there that set one of our options are commented out with a marker, which the
# teardown removes again. Only the server's groups count; [client] and the others are left alone.
keys=$(sed -n 's/^\([a-z_]*\) = .*/\1/p' <<<"$MY_CNF" | sed 's/_/[-_]/g' | paste -sd '|')
mark='#fortress-override# '
# shellcheck disable=SC2016 # an awk program: its $0 is awk's
disable_overrides='/^[ \t]*\[/ { server = ($0 ~ /^[ \t]*\[(mysqld|mariadbd?|server)(-[0-9.]+)?\]/) }
  server && $0 ~ ("^[ \t]*(" keys ")[ \t]*(=|$)") { print mark $0; hit = 1; next }
  { print }
  END { exit !hit }'
LC_ALL=C # the server reads the folder in byte order; so do the glob and [[ > ]] here
for file in "$CONFIG_DIR"/*.cnf; do
  [[ -f $file && ${file##*/} > ${CONFIG_FILE##*/} ]] || continue
  if disabled=$(awk -v keys="$keys" -v mark="$mark" "$disable_overrides" "$file"); then
    put "$file" "$(stat -c %a "$file")" "$(stat -c %U:%G "$file")" "$disabled"$'\n'
    log "commented out options in $file that would override $CONFIG_FILE"
    changed "override-disabled:$file"
  fi
done

# The option file without the options whose running value follows the role (read_only): when only
# those differ (an option file of an older release), no restart.
dynamic_pattern="^($(tr ' ' '|' <<<"$DYNAMIC_OPTIONS")) = "
static_part() { grep -Ev "$dynamic_pattern" || true; }
live=false
if [[ -f $CONFIG_FILE ]] && systemctl is-active --quiet "$SERVICE" &&
  [[ "$(static_part <"$CONFIG_FILE")" == "$(static_part <<<"$MY_CNF")" ]]; then
  live=true
fi
restart=false
if put "$CONFIG_FILE" 0644 root:root "$MY_CNF"; then
  changed config
  [[ $live == true ]] || restart=true
fi
# The role the guard reads at each start of the server, and the guard itself.
install -d -m 0700 "$FORTRESS_STATE_DIR/mysql"
if [[ $ROLE == primary ]]; then role_line="primary $REPLICAS"; else role_line=replica; fi
install_file "$ROLE_FILE" 0600 "$role_line"$'\n' && changed role
guard_changed=false
install_file "$GUARD_FILE" 0755 "$GUARD" && guard_changed=true
install_file "$GUARD_UNIT_FILE" 0644 "$GUARD_UNIT" && guard_changed=true
if [[ $guard_changed == true ]]; then
  systemctl daemon-reload
  changed guard
fi
if ! systemctl is-enabled --quiet "${GUARD_UNIT_FILE##*/}" 2>/dev/null; then
  systemctl enable --quiet "${GUARD_UNIT_FILE##*/}"
  changed guard-enabled
fi
# At boot the server starts after the mesh interface, whose address it listens on.
if put "$DROP_IN_FILE" 0644 root:root "$DROP_IN"; then
  systemctl daemon-reload
  changed unit-order
fi
# Socket activation (Debian's mariadb.socket) listens on every address, whatever bind_address
# says: the server binds to the mesh address by itself instead. The teardown turns it back on.
if systemctl is-enabled --quiet "$SERVICE.socket" 2>/dev/null ||
  systemctl is-active --quiet "$SERVICE.socket" 2>/dev/null; then
  systemctl disable --now --quiet "$SERVICE.socket"
  install -d -m 0700 "$FORTRESS_STATE_DIR/mysql"
  touch "$FORTRESS_STATE_DIR/mysql/socket-activation-was-on"
  restart=true
  changed socket-activation-off
fi
if ! systemctl is-enabled --quiet "$SERVICE" 2>/dev/null; then
  systemctl enable --quiet "$SERVICE"
  changed enabled
fi
systemctl is-active --quiet "$SERVICE" || restart=true

if [[ $restart == true ]]; then
  if ! systemctl restart "$SERVICE" || ! wait_ready; then
    log "$SERVICE did not start with the new configuration; putting the previous files back"
    rollback
    systemctl restart "$SERVICE" || true
    die "$SERVICE did not start with the new configuration; the previous one is back (see journalctl -u $SERVICE)"
  fi
  changed restarted
elif [[ $tls_changed == true ]]; then
  # New certificates without a restart.
  wait_ready || die "$SERVICE does not answer on its socket"
  if [[ $FLAVOUR == mariadb ]]; then sql <<<"FLUSH SSL"; else sql <<<"ALTER INSTANCE RELOAD TLS"; fi
  changed tls-reloaded
else
  wait_ready || die "$SERVICE does not answer on its socket"
fi

# The running server refuses writes or takes them as its role says. Only a deployment makes a
# primary writable at once; after a restart of its own, the guard waits for a replica.
read_only=$(sql <<<"SELECT @@GLOBAL.read_only")
if [[ $ROLE == primary && $read_only != 0 ]]; then
  sql <<<"$WRITABLE"
  changed writable
elif [[ $ROLE != primary && $read_only != 1 ]]; then
  sql <<<"$READ_ONLY"
  changed read-only
fi

# What the running server uses, whatever other option files say.
running=$(sql <<<"SELECT @@server_id, @@port, @@bind_address, @@log_bin, @@read_only" | tr '\t' ' ')
[[ $running == "$EXPECTED" ]] ||
  die "$SERVICE runs with server_id port bind_address log_bin read_only = $running, not $EXPECTED; another option file sets them after $CONFIG_FILE (my_print_defaults --mysqld lists what it reads)"
summary
