# --- fortress common: helpers shared by every Fortress host script (inlined at render time) ---
FORTRESS_STATE_DIR=/var/lib/fortress
FORTRESS_CHANGED=()

log() { printf '%s: %s\n' "${FORTRESS_SCRIPT:-fortress}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Records that something on the host changed; the summary line lists them.
changed() { FORTRESS_CHANGED+=("$1"); }

# Prints the one summary line tests and operators read: what this run changed, or none.
summary() {
  if ((${#FORTRESS_CHANGED[@]})); then
    printf '%s: changed: %s\n' "${FORTRESS_SCRIPT:-fortress}" "${FORTRESS_CHANGED[*]}"
  else
    printf '%s: changed: none\n' "${FORTRESS_SCRIPT:-fortress}"
  fi
}

# Writes CONTENT to PATH with MODE only when it differs. The file it replaces is kept under
# $FORTRESS_STATE_DIR/backup so a later step can roll back. Returns 0 when it wrote, 1 when the
# file was already right.
install_file() {
  local path=$1 mode=$2 content=$3 dir tmp backup
  if [[ -f $path ]] && [[ "$(cat "$path"; printf x)" == "${content}x" ]] &&
    [[ "$(stat -c '%a' "$path")" == "${mode#0}" ]]; then
    return 1
  fi
  dir=$(dirname "$path")
  mkdir -p "$dir"
  if [[ -f $path ]]; then
    backup="$FORTRESS_STATE_DIR/backup$path"
    mkdir -p "$(dirname "$backup")"
    cp -p "$path" "$backup"
  fi
  tmp=$(mktemp "$dir/.fortress.XXXXXX")
  printf '%s' "$content" >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
  return 0
}

# Installs the systemd service UNIT and the timer that starts it: UNIT.timer (DESCRIPTION) runs it
# at ON_CALENDAR, persistent, so a run missed while the host was down happens at boot; UNIT.service
# holds SERVICE, the whole file. Each file is written only when it differs, mode 0644, through
# install_file's rename, so the old unit stays in place until the new one is whole; systemd
# reloads only when one changed, and the timer is enabled and started when it is not. With
# "restart" as the fifth argument, a running timer restarts when a file changed, so a new
# schedule counts from now.
install_timer() {
  local unit=$1 description=$2 on_calendar=$3 service=$4 restart=${5:-} units_changed=false
  [[ -z $restart || $restart == restart ]] || die "install_timer: unknown option $restart"
  if install_file "/etc/systemd/system/$unit.service" 0644 "$service"; then units_changed=true; fi
  if install_file "/etc/systemd/system/$unit.timer" 0644 "[Unit]
Description=$description

[Timer]
OnCalendar=$on_calendar
Persistent=true

[Install]
WantedBy=timers.target
"; then units_changed=true; fi
  if [[ $units_changed == true ]]; then
    systemctl daemon-reload
    changed units
    if [[ $restart == restart ]] && systemctl is-active --quiet "$unit.timer"; then
      systemctl restart "$unit.timer"
      changed timer-restarted
    fi
  fi
  if ! systemctl is-enabled --quiet "$unit.timer" 2>/dev/null || ! systemctl is-active --quiet "$unit.timer"; then
    systemctl enable --now --quiet "$unit.timer"
    changed timer-enabled
  fi
}

# Undoes install_timer: stops and disables UNIT's timer, removes UNIT.service, UNIT.timer and the
# further FILES given (the job the service ran), then reloads systemd. Each thing it removes is
# recorded; what is already gone is passed over.
remove_timer() {
  local unit=$1 file
  shift
  if systemctl is-enabled --quiet "$unit.timer" 2>/dev/null || systemctl is-active --quiet "$unit.timer" 2>/dev/null; then
    systemctl disable --now --quiet "$unit.timer"
    changed timer-stopped
  fi
  for file in "/etc/systemd/system/$unit.service" "/etc/systemd/system/$unit.timer" "$@"; do
    if [[ -e $file ]]; then
      rm -f "$file"
      changed "removed:$file"
    fi
  done
  systemctl daemon-reload
}

# True when every named Debian package is installed.
package_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# Installs the packages that are missing, and only those: offline hosts with everything baked in
# never touch the network.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    package_installed "$p" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # cloud-init and unattended-upgrades hold the dpkg lock on a fresh cloud host; wait for it.
  apt-get -o DPkg::Lock::Timeout=300 update -qq ||
    die "apt-get update failed; the host needs a package mirror for: ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "could not install ${missing[*]}"
  changed "packages(${missing[*]})"
}
# Writes a drop-in of the KvmNode firewall (empty CONTENT removes it) and, where the firewall is
# on, reloads the Fortress table from its files: the baseline's ruleset and every drop-in, checked
# by nft first and applied as one transaction, so an established connection never sees a gap.
# A drop-in nft refuses is put back as it was. Returns 0 when it changed the drop-in.
install_firewall_dropin() {
  local path=$1 content=$2 ruleset=/etc/fortress/firewall.nft existed=false previous=""
  # Several components change their drop-ins on one host at once (the join plan runs them in
  # parallel): one at a time, or one's check would load another's unchecked file. Held until the
  # script ends, taken once per script.
  if [[ -z ${FORTRESS_FIREWALL_LOCK:-} ]]; then
    exec {FORTRESS_FIREWALL_LOCK}>"${FORTRESS_FIREWALL_LOCK_FILE:-/run/fortress-firewall.lock}"
    flock -w 300 "$FORTRESS_FIREWALL_LOCK" ||
      die "another Fortress step has held the firewall lock for 5 minutes; is one stuck?"
  fi
  if [[ -f $path ]]; then
    existed=true
    previous=$(cat "$path"; printf x)
    previous=${previous%x}
  fi
  if [[ -z $content ]]; then
    [[ $existed == true ]] || return 1
    rm -f "$path"
  else
    install_file "$path" 0644 "$content" || return 1
  fi
  if [[ ! -f $ruleset ]] || ! nft list table inet fortress >/dev/null 2>&1; then
    return 0
  fi
  if ! nft -c -f "$ruleset" >/dev/null; then
    if [[ $existed == true ]]; then printf '%s' "$previous" >"$path"; else rm -f "$path"; fi
    die "nftables rejected the drop-in $path; the previous one is back in place"
  fi
  nft -f "$ruleset"
  return 0
}
# --- end fortress common ---
