# --- GtidMySql helpers, inlined by scripts.ts where a template has the `# @gtid-mysql-helpers` line.
# They use CLIENT (mariadb or mysql) from the template. Root reaches the server over its socket
# (unix_socket / auth_socket): no password of ours is ever needed for that.
MYSQL_READY_TIMEOUT=300

# Runs the SQL on standard input as root; rows come out tab-separated, without headers.
sql() { "$CLIENT" --batch --skip-column-names; }
# The same, one "Column: value" line each (for SHOW ... STATUS).
sql_vertical() { "$CLIENT" --batch --vertical; }

# Runs SQL that holds a secret (given as $1, never on a command line) and prints its result. The
# secrets in "${@:2}" are masked in anything it prints, an error message included.
sql_secret() {
  local statement=$1 result status=0 secret
  shift
  result=$("$CLIENT" --batch --skip-column-names 2>&1 <<<"$statement") || status=$?
  for secret in "$@"; do
    result=${result//"$secret"/"<secret>"}
  done
  if ((status != 0)); then
    log "SQL failed: $result"
    return "$status"
  fi
  printf '%s' "$result"
}

# True once the server answers on its socket; waits up to MYSQL_READY_TIMEOUT seconds. A server
# that answers but refuses root is no reason to wait (or to roll anything back): that stops here.
wait_ready() {
  local deadline=$((SECONDS + MYSQL_READY_TIMEOUT)) answer
  until answer=$(sql 2>&1 <<<"SELECT 1"); do
    if [[ $answer == *"Access denied"* ]]; then
      die "root may not log in over the server's socket ($answer); these scripts need socket authentication for root (unix_socket / auth_socket, the packages' default)"
    fi
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

# Our passwords are random letters and digits; anything else is refused before it reaches SQL or
# an option file.
check_secret() {
  [[ $2 =~ ^[A-Za-z0-9._~+=:-]{16,}$ ]] ||
    die "the $1 on standard input is not 16 or more letters, digits or ._~+=:-"
}

# The value of FIELD in vertical SHOW ... STATUS output (on stdin), one line: MySQL continues a
# GTID set of several servers on the next lines.
status_value() {
  awk -v field="$1" '
    $0 ~ "^ *" field ": " { sub("^ *" field ": ", ""); value = $0; on = 1; next }
    on && $0 ~ /^ *[A-Za-z_]+: / { on = 0 }
    on { value = value $0 }
    END { print value }'
}

# The GTIDs of history MINE that history THEIRS lacks (empty: none), as the server's gtidHistory
# gives them. MySQL computes it; MariaDB's history is the last domain-server-seq of each domain
# and server, and an entry is lacking when THEIRS has a lower seq (or none) for that pair.
errant_gtids() {
  local mine=$1 theirs=$2 entry key out=() entries
  if [[ $CLIENT != mariadb ]]; then
    sql <<<"SELECT GTID_SUBTRACT('$mine', '$theirs')"
    return
  fi
  local -A have=()
  IFS=, read -ra entries <<<"$theirs"
  for entry in "${entries[@]}"; do
    [[ -n $entry ]] && have[${entry%-*}]=${entry##*-}
  done
  IFS=, read -ra entries <<<"$mine"
  for entry in "${entries[@]}"; do
    [[ -n $entry ]] || continue
    key=${entry%-*}
    ((${have[$key]:--1} >= ${entry##*-})) || out+=("$entry")
  done
  local IFS=,
  printf '%s\n' "${out[*]}"
}
# --- end GtidMySql helpers ---
