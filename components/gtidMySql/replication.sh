#!/usr/bin/env bash
# Fortress GtidMySql: replication. On the primary, the admin and replication accounts, each bound
# to the mesh addresses it is used from, never '%' (the replication account may only replicate,
# only over TLS, only from the replicas); their passwords come on standard
# input and reach the server through the client's standard input or a mode 0600 option file, never
# a command line or the binary log. On a replica, the replication source: GTID auto-positioning
# over TLS verified against the CA, quick reconnects; it is (re)pointed only when what it
# was pointed with changed, so a second run never resets replication. A server with a GTID its
# new source lacks (a former primary that took writes the others never got) is refused rather than
# pointed: the two would diverge. Check, then change.
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-replication

FLAVOUR=@@FLAVOUR@@
ROLE=@@ROLE@@
CLIENT=@@CLIENT@@
ADMIN_USER=@@ADMIN_USER@@
REPLICATION_USER=@@REPLICATION_USER@@
BACKUP_USER=@@BACKUP_USER@@
BACKUP_PRIVILEGES=@@BACKUP_PRIVILEGES@@
CHANGE_SOURCE=@@CHANGE_SOURCE@@
PASSWORD_MARK=@@PASSWORD_MARK@@
SOURCE_HOST=@@SOURCE_HOST@@
SOURCE_PORT=@@SOURCE_PORT@@
CA_FILE=@@CA_FILE@@
TLS_VERIFY=@@TLS_VERIFY@@
CONNECT_TIMEOUT=@@CONNECT_TIMEOUT@@
ADMIN_HOSTS=@@ADMIN_HOSTS@@
REPLICATION_HOSTS=@@REPLICATION_HOSTS@@
BACKUP_HOSTS=@@BACKUP_HOSTS@@
# The flavour's replication statements and status fields (sdk/mysql.ts, replicationDialect).
show_status=@@SHOW_STATUS@@
stop=@@STOP@@
start=@@START@@
host_field=@@HOST_FIELD@@
io_field=@@IO_FIELD@@
sql_field=@@SQL_FIELD@@
gtid_history=@@GTID_HISTORY@@
# Where a re-pointed replica starts from (MariaDB: a former primary's own transactions are in its
# binary log, not in gtid_slave_pos, so it starts from everything it has).
adopt_position=@@ADOPT_POSITION@@

# @fortress-common
# @gtid-mysql-helpers

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
state_dir=$FORTRESS_STATE_DIR/mysql
install -d -m 0700 "$state_dir"
wait_ready || die "the server does not answer on its socket; the configure step has not run"

# Makes USER exist at each of HOSTS (mesh addresses, never '%') with PASSWORD, TLS required or
# not, and its privileges; then drops USER at every other host, so an account an earlier deployment
# made at '%' (or one of a replica that left) goes, but only after the accounts at the new hosts are
# there. A session already logged in stays (neither server closes it on DROP USER): a replica keeps
# replicating, and its next connection finds the account at its own address. Checks first, and
# writes only what differs: every write goes to the binary log and to the replicas.
ensure_account() {
  local user=$1 password=$2 require=$3 privileges=$4 hosts=$5
  local wanted_rights current hash="" identified statements="" host grant_option="" stale repl=N drift recorded
  local -A grants=()
  local fingerprint="" fingerprint_file=$state_dir/account-$user.sha256
  [[ $user == "$ADMIN_USER" ]] && grant_option=" WITH GRANT OPTION"
  # Repl_slave_priv: the admin (all privileges) and the replication account have it, the backup account not.
  [[ $privileges != "ALL PRIVILEGES" && $privileges != *"REPLICATION SLAVE"* ]] || repl=Y
  wanted_rights="$([[ $require == SSL ]] && echo ANY) $([[ $user == "$ADMIN_USER" ]] && echo Y || echo N) $repl"
  if [[ $FLAVOUR == mariadb ]]; then
    # MariaDB logs CREATE/ALTER USER ... IDENTIFIED BY as written: give it the hash instead.
    hash=$(sql_secret "SELECT PASSWORD('$password')" "$password")
    identified="IDENTIFIED BY PASSWORD '$hash'"
  else
    # MySQL writes these statements to the binary log with the password hashed. It salts its
    # hashes, so what the accounts were last set with is kept here as a hash only root can read.
    identified="IDENTIFIED BY '$password'"
    fingerprint=$(printf '%s\n%s\n%s\n%s\n' "$user" "$hosts" "$privileges" "$password" | sha256sum | cut -d' ' -f1)
  fi
  for host in $hosts; do
    # Privileges granted by hand (drift) are taken back: what SHOW GRANTS said when this step last
    # set the account is kept as a hash, and any difference re-asserts exactly ours.
    drift=false
    recorded=$(cat "$(grants_file "$user" "$host")" 2>/dev/null || true)
    grants[$host]=$(grants_of "$user" "$host")
    [[ -z $recorded || -z ${grants[$host]} || $recorded == "${grants[$host]}" ]] || drift=true
    if [[ $FLAVOUR == mariadb ]]; then
      current=$(sql <<<"SELECT authentication_string, ssl_type, Grant_priv, Repl_slave_priv FROM mysql.user
        WHERE User = '$user' AND Host = '$host'" | tr '\t' ' ')
      if [[ $user == "$ADMIN_USER" ]] &&
        sql <<<"SHOW GRANTS FOR '$user'@'$host'" 2>/dev/null | grep -Eq 'ALL PRIVILEGES|READ_ONLY ADMIN'; then
        current=read-only-admin
      fi
      [[ $drift == true || $current != "$hash $wanted_rights" ]] || continue
    else
      current=$(sql <<<"SELECT ssl_type, Grant_priv, Repl_slave_priv FROM mysql.user
        WHERE User = '$user' AND Host = '$host'" | tr '\t' ' ')
      [[ $drift == true || $current != "$wanted_rights" ||
        "$(cat "$fingerprint_file" 2>/dev/null)" != "$fingerprint" ]] || continue
    fi
    if [[ $drift == true ]]; then
      log "$user@'$host' has privileges this step did not give it: taking them back"
      statements+="REVOKE ALL PRIVILEGES, GRANT OPTION FROM '$user'@'$host';
"
    fi
    statements+="CREATE USER IF NOT EXISTS '$user'@'$host' $identified REQUIRE $require;
ALTER USER '$user'@'$host' $identified REQUIRE $require;
GRANT $privileges ON *.* TO '$user'@'$host'$grant_option;
"
    # The admin account may write, but not on a read-only replica (MariaDB's READ_ONLY ADMIN would).
    if [[ $FLAVOUR == mariadb && $user == "$ADMIN_USER" ]]; then
      statements+="REVOKE READ_ONLY ADMIN ON *.* FROM '$user'@'$host';
"
    fi
  done
  while IFS= read -r stale; do
    [[ -n $stale && " $hosts " != *" $stale "* ]] || continue
    log "dropping $user@'$stale': the account is bound to ${hosts:-no host} now"
    statements+="DROP USER '$user'@'$stale';
"
  done < <(sql <<<"SELECT Host FROM mysql.user WHERE User = '$user' ORDER BY Host")
  if [[ -n $statements ]]; then
    sql_secret "$statements" "$password" "${hash:-$password}" >/dev/null || die "could not set up account $user"
    [[ -z $fingerprint ]] || install_file "$fingerprint_file" 0600 "$fingerprint" || true
  fi
  for host in $hosts; do
    [[ -z $statements ]] || grants[$host]=$(grants_of "$user" "$host")
    install_file "$(grants_file "$user" "$host")" 0600 "${grants[$host]}" || true
  done
  [[ -n $statements ]]
}
grants_file() { echo "$state_dir/grants-$1@$2.sha256"; }
# A hash of what the server says the account may do (SHOW GRANTS); empty if it does not exist.
grants_of() {
  local out
  out=$(sql <<<"SHOW GRANTS FOR '$1'@'$2'" 2>/dev/null) || return 0
  sha256sum <<<"$out" | cut -d' ' -f1
}

status_field() { sed -n "s/^ *$1: //p" <<<"$status"; }

# Refuses to point this server at the source when it has a GTID the source lacks. The source's
# history is asked with the replication account over TLS (the password from a pipe, never a
# command line); a new server has none to compare.
refuse_errant() {
  local password=$1 mine theirs errant
  mine=$(sql <<<"$gtid_history")
  [[ -n $mine ]] || return 0
  theirs=$("$CLIENT" --defaults-extra-file=<(printf '[client]\nuser=%s\npassword=%s\n' "$REPLICATION_USER" "$password") \
    -h "$SOURCE_HOST" -P "$SOURCE_PORT" --ssl-ca="$CA_FILE" "--$TLS_VERIFY" --connect-timeout=10 \
    --batch --skip-column-names <<<"$gtid_history" 2>&1) ||
    die "could not read the GTIDs of $SOURCE_HOST with the replication account: ${theirs//"$password"/"<secret>"}"
  errant=$(errant_gtids "$mine" "$theirs")
  [[ -z $errant ]] ||
    die "this server has transactions its new source $SOURCE_HOST lacks ($errant): it was a primary and took writes that never reached the others. Rejoining would make the two diverge, so it is not pointed at $SOURCE_HOST and stays read-only. Keep what you need of those transactions (mariadb-binlog or mysqlbinlog), then seed this node again from a backup and deploy (README, Failover)"
}

case $ROLE in
primary)
  IFS= read -r admin_password || true
  IFS= read -r replication_password || true
  check_secret "admin password" "$admin_password"
  check_secret "replication password" "$replication_password"
  [[ -n $ADMIN_HOSTS ]] || die "no host to bind the admin account to (the primary's mesh address is missing)"
  if ensure_account "$ADMIN_USER" "$admin_password" NONE "ALL PRIVILEGES" "$ADMIN_HOSTS"; then
    changed admin-account
  fi
  if ensure_account "$REPLICATION_USER" "$replication_password" SSL "REPLICATION SLAVE" "$REPLICATION_HOSTS"; then
    changed replication-account
  fi
  # The backup node dumps with an account that may only read (a third line when backups are on).
  if [[ -n $BACKUP_USER ]]; then
    IFS= read -r backup_password || true
    check_secret "backup password" "$backup_password"
    [[ -n $BACKUP_HOSTS ]] || die "no host to bind the backup account to (the backup node's mesh address is missing)"
    if ensure_account "$BACKUP_USER" "$backup_password" SSL "$BACKUP_PRIVILEGES" "$BACKUP_HOSTS"; then
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
    refuse_errant "$replication_password"
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
