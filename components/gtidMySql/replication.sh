#!/usr/bin/env bash
# Fortress GtidMySql: replication. On the primary, the admin and replication accounts (the
# replication account may only replicate, and only over TLS); their passwords come on standard
# input and reach the server through the client's standard input or a mode 0600 option file, never
# a command line or the binary log. On a replica, the replication source: GTID auto-positioning
# over TLS verified against the CA, quick reconnects; it is (re)pointed only when what it
# was pointed with changed, so a second run never resets replication. Check, then change.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-replication

FLAVOUR=@@FLAVOUR@@
ROLE=@@ROLE@@
CLIENT=@@CLIENT@@
ADMIN_USER=@@ADMIN_USER@@
REPLICATION_USER=@@REPLICATION_USER@@
BACKUP_USER=@@BACKUP_USER@@
BACKUP_PRIVILEGES=@@BACKUP_PRIVILEGES@@
ADDRESS=@@ADDRESS@@
PORT=@@PORT@@
CA_FILE=@@CA_FILE@@
CHANGE_SOURCE=@@CHANGE_SOURCE@@
PASSWORD_MARK=@@PASSWORD_MARK@@
SOURCE_HOST=@@SOURCE_HOST@@
CONNECT_TIMEOUT=@@CONNECT_TIMEOUT@@
# The flavour's replication statements and status fields (sdk/mysql.ts, replicationDialect).
show_status=@@SHOW_STATUS@@
stop=@@STOP@@
start=@@START@@
host_field=@@HOST_FIELD@@
io_field=@@IO_FIELD@@
sql_field=@@SQL_FIELD@@
# Where a re-pointed replica starts from (MariaDB: a former primary's own transactions are in its
# binary log, not in gtid_slave_pos, so it starts from everything it has).
adopt_position=@@ADOPT_POSITION@@

# @fortress-common
# @gtid-mysql-helpers

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
state_dir=$FORTRESS_STATE_DIR/mysql
install -d -m 0700 "$state_dir"
wait_ready || die "the server does not answer on its socket; the configure step has not run"

# True when USER logs in with PASSWORD over TLS on the mesh address, the certificate checked
# against the CA (MySQL 8.0 salts its hashes, so trying is the only way to compare). The password
# goes in an option file of mode 0600 that lives for this check only.
logs_in() {
  local user=$1 password=$2 file status=0
  file=$(mktemp)
  printf '[client]\nuser=%s\npassword=%s\nhost=%s\nport=%s\nssl-mode=VERIFY_IDENTITY\nssl-ca=%s\n' \
    "$user" "$password" "$ADDRESS" "$PORT" "$CA_FILE" >"$file"
  "$CLIENT" --defaults-file="$file" --batch -e "SELECT 1" >/dev/null 2>&1 || status=$?
  rm -f "$file"
  return "$status"
}

# Makes USER@'%' exist with PASSWORD, TLS required or not, and its privileges. Checks first, and
# writes only when something differs: every write goes to the binary log and to the replicas.
ensure_account() {
  local user=$1 password=$2 require=$3 privileges=$4 wanted current hash identified statements repl
  repl=N
  [[ $privileges != "ALL PRIVILEGES" && $privileges != *"REPLICATION SLAVE"* ]] || repl=Y
  if [[ $FLAVOUR == mariadb ]]; then
    # MariaDB logs CREATE/ALTER USER ... IDENTIFIED BY as written: give it the hash instead.
    hash=$(sql_secret "SELECT PASSWORD('$password')" "$password")
    identified="IDENTIFIED BY PASSWORD '$hash'"
    current=$(sql <<<"SELECT authentication_string, ssl_type, Grant_priv, Repl_slave_priv FROM mysql.user
      WHERE User = '$user' AND Host = '%'" | tr '\t' ' ')
    wanted="$hash $([[ $require == SSL ]] && echo ANY) $([[ $user == "$ADMIN_USER" ]] && echo Y || echo N) $repl"
    if [[ $user == "$ADMIN_USER" ]] &&
      sql <<<"SHOW GRANTS FOR '$user'@'%'" 2>/dev/null | grep -Eq 'ALL PRIVILEGES|READ_ONLY ADMIN'; then
      current=read-only-admin
    fi
  else
    # MySQL writes these statements to the binary log with the password hashed.
    identified="IDENTIFIED BY '$password'"
    current=$(sql <<<"SELECT ssl_type, Grant_priv, Repl_slave_priv FROM mysql.user
      WHERE User = '$user' AND Host = '%'" | tr '\t' ' ')
    wanted="$([[ $require == SSL ]] && echo ANY) $([[ $user == "$ADMIN_USER" ]] && echo Y || echo N) $repl"
    [[ -z $current ]] || logs_in "$user" "$password" || current=wrong-password
  fi
  [[ $current != "$wanted" ]] || return 1
  statements="CREATE USER IF NOT EXISTS '$user'@'%' $identified REQUIRE $require;
ALTER USER '$user'@'%' $identified REQUIRE $require;
GRANT $privileges ON *.* TO '$user'@'%'$([[ $user == "$ADMIN_USER" ]] && echo ' WITH GRANT OPTION');"
  # The admin account may write, but not on a read-only replica (MariaDB's READ_ONLY ADMIN would).
  if [[ $FLAVOUR == mariadb && $user == "$ADMIN_USER" ]]; then
    statements+=$'\n'"REVOKE READ_ONLY ADMIN ON *.* FROM '$user'@'%';"
  fi
  sql_secret "$statements" "$password" "${hash:-$password}" >/dev/null || die "could not set up account $user"
}

status_field() { sed -n "s/^ *$1: //p" <<<"$status"; }

case $ROLE in
primary)
  IFS= read -r admin_password || true
  IFS= read -r replication_password || true
  check_secret "admin password" "$admin_password"
  check_secret "replication password" "$replication_password"
  if ensure_account "$ADMIN_USER" "$admin_password" NONE "ALL PRIVILEGES"; then changed admin-account; fi
  if ensure_account "$REPLICATION_USER" "$replication_password" SSL "REPLICATION SLAVE"; then
    changed replication-account
  fi
  # The backup node dumps with an account that may only read (a third line when backups are on).
  if [[ -n $BACKUP_USER ]]; then
    IFS= read -r backup_password || true
    check_secret "backup password" "$backup_password"
    if ensure_account "$BACKUP_USER" "$backup_password" SSL "$BACKUP_PRIVILEGES"; then
      changed backup-account
    fi
    unset backup_password
  fi
  unset admin_password replication_password
  ;;
replica)
  IFS= read -r replication_password || true
  check_secret "replication password" "$replication_password"
  statement=${CHANGE_SOURCE//"$PASSWORD_MARK"/"$replication_password"}
  # What the source was last set with, the password included, as a hash only this host keeps.
  fingerprint=$(sha256sum <<<"$statement" | cut -d' ' -f1)
  fingerprint_file=$state_dir/replication-source.sha256
  status=$(sql_vertical <<<"$show_status")
  if [[ "$(status_field "$host_field")" != "$SOURCE_HOST" ||
    "$(cat "$fingerprint_file" 2>/dev/null)" != "$fingerprint" ]]; then
    # Relay logs go, the GTID position stays: the replica asks the primary for what it lacks.
    sql_secret "$stop; $adopt_position $statement $start;" "$replication_password" >/dev/null ||
      die "could not point replication at $SOURCE_HOST"
    install_file "$fingerprint_file" 0600 "$fingerprint" || true
    changed replication-source
  elif [[ "$(status_field "$io_field")" != Yes || "$(status_field "$sql_field")" != Yes ]]; then
    sql <<<"$start"
    changed replication-started
  fi
  unset replication_password statement
  # A wrong password, CA or address shows here rather than in a log nobody reads.
  deadline=$((SECONDS + CONNECT_TIMEOUT))
  while :; do
    status=$(sql_vertical <<<"$show_status")
    [[ "$(status_field "$io_field")" == Yes && "$(status_field "$sql_field")" == Yes ]] && break
    if ((SECONDS >= deadline)); then
      die "replication from $SOURCE_HOST is not running after ${CONNECT_TIMEOUT}s: $(status_field Last_IO_Error)$(status_field Last_SQL_Error)"
    fi
    sleep 1
  done
  ;;
*) die "unknown role $ROLE" ;;
esac
summary
