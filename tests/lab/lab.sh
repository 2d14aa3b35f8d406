#!/usr/bin/env bash
# The Fortress lab: real Debian 12 hosts (systemd + sshd) booted with systemd-nspawn, each in its
# own network namespace, wired with veth to a bridge and reached over real SSH.
#
#   lab.sh deps | image | up NAME INDEX | down NAME | down-all | reboot NAME
#          kill NAME | start NAME | cut NAME | restore NAME | ssh NAME CMD... | list
#
# Every subcommand is idempotent. State lives under $FORTRESS_LAB_DIR. See README.md beside this.
set -euo pipefail

# Labs with different ids (0-9) run side by side: each has its own bridge, namespaces, links,
# cgroups, state folder and subnet, and down-all touches only its own.
LAB_ID=${FORTRESS_LAB_ID:-0}
[[ $LAB_ID =~ ^[0-9]$ ]] || { echo "lab: error: FORTRESS_LAB_ID must be one digit, 0-9" >&2; exit 1; }
if [[ $LAB_ID == 0 ]]; then DEFAULT_DIR=/var/lib/fortress-lab; else DEFAULT_DIR=/var/lib/fortress-lab$LAB_ID; fi
LAB_DIR=${FORTRESS_LAB_DIR:-$DEFAULT_DIR}
SUBNET=${FORTRESS_LAB_SUBNET:-10.231.$LAB_ID} # a /24: the bridge is .1, host INDEX is .(10+INDEX)
MIRROR=${FORTRESS_LAB_MIRROR:-http://deb.debian.org/debian}
BOOT_TIMEOUT=${FORTRESS_LAB_BOOT_TIMEOUT:-60}
STOP_TIMEOUT=${FORTRESS_LAB_STOP_TIMEOUT:-30}

BRIDGE=flab$LAB_ID
NFT_TABLE=fortress_lab$LAB_ID
BASE=$LAB_DIR/base
KEY=$LAB_DIR/id_ed25519
HOSTS=$LAB_DIR/hosts
LOGS=$LAB_DIR/logs # console logs, kept after `down` for debugging
SELF=$(readlink -f "$0")
# Each host gets its own cgroup: without one, every container's systemd would manage the same
# (root) cgroup and stopping a unit on one host could kill processes on another.
CGROUPS=("/sys/fs/cgroup/unified/flab$LAB_ID" "/sys/fs/cgroup/systemd/flab$LAB_ID")

# What the lab hosts have installed. Hosts have no network beyond the lab, so everything the
# remote scripts need must be here (they skip installing what is present).
PACKAGES=(
  systemd systemd-sysv dbus libpam-systemd openssh-server sudo netbase
  iproute2 iputils-ping procps kmod nftables ca-certificates curl gnupg
  wireguard-tools wireguard-go
  mariadb-server mariadb-client
)
# What this machine needs to run the lab.
HOST_PACKAGES=(debootstrap systemd-container iproute2 nftables openssh-client util-linux procps)

log() { echo "lab: $*" >&2; }
now_us() { echo "${EPOCHREALTIME/./}"; }
since() { # START_US -> "1.2 s"
  local us=$(($(now_us) - $1))
  printf '%d.%d s' $((us / 1000000)) $((us % 1000000 / 100000))
}
die() {
  log "error: $*"
  exit 1
}

ssh_opts=(-i "$KEY" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
  -o LogLevel=ERROR -o ConnectTimeout=5 -o ServerAliveInterval=5 -o ServerAliveCountMax=3)

# Runs "$@" holding the lab lock, so parallel `up`s don't race on the image or the bridge.
locked() {
  mkdir -p "$LAB_DIR"
  (
    flock 9
    "$@"
  ) 9>"$LAB_DIR/.lock"
}

check_name() {
  [[ $1 =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "bad host name '$1' (want [a-z][a-z0-9-]*, at most 31)"
}
host_dir() { echo "$HOSTS/$1"; }
console_log() { echo "$LOGS/$1.log"; }
host_index() { cat "$(host_dir "$1")/index"; }
host_addr() { echo "$SUBNET.$((10 + $(host_index "$1")))"; }
netns() { echo "flab$LAB_ID-$1"; }
veth() { echo "flv$LAB_ID-$1"; } # host side of the veth pair, by index (interface names max 15 chars)

# True when the host's supervisor process is alive.
is_up() {
  local pidfile
  pidfile="$(host_dir "$1")/pid"
  [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

cmd_deps() {
  local p missing=()
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# In files of their own next to this one: the image, and what a host stands on before it boots.
# shellcheck source=SCRIPTDIR/lab-image.sh
source "$(dirname "$SELF")/lab-image.sh"
# shellcheck source=SCRIPTDIR/lab-host.sh
source "$(dirname "$SELF")/lab-host.sh"

# The command runs on the host, as ssh joins its arguments into one remote command line.
# shellcheck disable=SC2029
ssh_host() { ssh "${ssh_opts[@]}" "root@$(host_addr "$1")" "${@:2}"; }

# Waits until sshd on the host accepts the lab key.
wait_ssh() {
  local name=$1 deadline=$((SECONDS + BOOT_TIMEOUT))
  while ((SECONDS < deadline)); do
    is_up "$name" || break
    ssh "${ssh_opts[@]}" -o ConnectTimeout=2 "root@$(host_addr "$name")" true 2>/dev/null && return 0
    sleep 0.5
  done
  log "$name did not answer on SSH within ${BOOT_TIMEOUT} s; console:"
  tail -n 40 "$(console_log "$name")" >&2 || true
  return 1
}

cmd_up() {
  local name=${1:?usage: up NAME INDEX} index=${2:?usage: up NAME INDEX}
  check_name "$name"
  [[ $index =~ ^[0-9]+$ && $index -le 240 ]] || die "INDEX must be 0..240"
  locked build_image
  locked prepare_host "$name" "$index"
  if ! is_up "$name"; then
    local dir start
    dir=$(host_dir "$name")
    start=$(now_us)
    rm -f "$dir/stopping"
    # Detached supervisor (see run_host); fd 9 closed so it never holds the lab lock.
    setsid "$SELF" _run "$LAB_ID" "$name" </dev/null >>"$(console_log "$name")" 2>&1 9>&- &
    echo $! >"$dir/pid" # run_host writes it too; here so that wait_ssh sees it at once
    wait_ssh "$name" || die "$name failed to boot"
    log "$name is up at $(host_addr "$name"), SSH after $(since "$start")"
  fi
  host_addr "$name"
}

# The supervisor: runs the container in the host's own cgroup and boots it again when it asks
# for a reboot (nspawn exits with 133 then; systemd-nspawn@.service restarts it the same way).
run_host() {
  local name=$1 dir cg rc
  dir=$(host_dir "$name")
  for cg in "${CGROUPS[@]}"; do
    mkdir -p "$cg/$name"
    echo $$ >"$cg/$name/cgroup.procs"
  done
  echo $$ >"$dir/pid"
  while :; do
    log "booting $name ($(date -Is))"
    # --kill-signal: SIGTERM to nspawn becomes SIGRTMIN+4 (poweroff) for the host's systemd.
    # --bind=/dev/net/tun and CAP_NET_ADMIN: wireguard-go (no WireGuard kernel module here).
    # API_VFS_WRITABLE=network: the host's own /proc/sys/net is writable (kernel tuning,
    # ip_forward); nspawn leaves it read-only with --network-namespace-path otherwise.
    SYSTEMD_NSPAWN_API_VFS_WRITABLE=network systemd-nspawn --quiet --boot --register=no --keep-unit \
      --directory="$BASE" --overlay="$BASE:$dir/upper:/" \
      --machine="$name" --hostname="$name" --uuid="$(cat "$dir/upper/etc/machine-id")" \
      --network-namespace-path="/run/netns/$(netns "$name")" \
      --bind=/dev/net/tun --capability=CAP_NET_ADMIN \
      --resolv-conf=off --timezone=off --link-journal=no \
      --console=read-only --kill-signal=SIGRTMIN+4 --setenv=SYSTEMD_COLORS=0 &
    echo $! >"$dir/nspawn.pid"
    rc=0
    wait $! || rc=$?
    log "$name exited with $rc"
    [[ $rc == 133 && ! -e $dir/stopping ]] || break
  done
  rm -f "$dir/pid" "$dir/nspawn.pid"
}

# Kills whatever is left in the host's cgroups and removes them.
remove_cgroups() {
  local name=$1 cg
  for cg in "${CGROUPS[@]}"; do
    [[ -d $cg/$name ]] || continue
    [[ -f $cg/$name/cgroup.kill ]] && echo 1 >"$cg/$name/cgroup.kill"
    # cgroup v1 has no cgroup.kill
    local pid
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < <(find "$cg/$name" -name cgroup.procs -exec cat {} + 2>/dev/null)
    for _ in $(seq 50); do
      find "$cg/$name" -depth -type d -exec rmdir {} + 2>/dev/null && break
      sleep 0.1
    done
    [[ ! -d $cg/$name ]] || log "warning: could not remove $cg/$name"
  done
}

wait_gone() { # PID SECONDS
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

cmd_down() {
  local name=${1:?usage: down NAME} dir
  dir=$(host_dir "$name")
  if is_up "$name"; then
    local pid
    pid=$(cat "$dir/pid")
    touch "$dir/stopping"
    kill -TERM "$(cat "$dir/nspawn.pid" 2>/dev/null)" 2>/dev/null || true
    wait_gone "$pid" "$STOP_TIMEOUT" || log "$name did not power off within ${STOP_TIMEOUT} s; killing it"
  fi
  remove_cgroups "$name"
  # Best effort from here on: a half-made host may lack any of these.
  if [[ -f $dir/index ]]; then ip link del "$(veth "$(cat "$dir/index")")" 2>/dev/null || true; fi
  ip netns del "$(netns "$name")" 2>/dev/null || true
  # nspawn leaves this (empty) folder behind when it is killed
  rmdir "/run/systemd/nspawn/propagate/$name" 2>/dev/null || true
  rm -rf "$dir"
}

cmd_down_all() {
  local name link cg
  # Every host by its state folder, and the leftovers of hosts whose state folder was lost.
  for name in $({
    find "$HOSTS" "${CGROUPS[@]}" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null || true
    ip netns list | sed -n "s/^flab$LAB_ID-\\([^ ]*\\).*/\\1/p"
  } | sort -u); do
    cmd_down "$name" &
  done
  wait
  for link in $(ip -o link show type veth 2>/dev/null | grep -o "flv$LAB_ID-[0-9]*" | sort -u || true); do
    ip link del "$link" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  nft delete table inet "$NFT_TABLE" 2>/dev/null || true
  for cg in "${CGROUPS[@]}"; do rmdir "$cg" 2>/dev/null || true; done
}

need_up() { is_up "$1" || die "$1 is not up"; }

cmd_reboot() {
  local name=${1:?usage: reboot NAME} old
  need_up "$name"
  old=$(cat "$(host_dir "$name")/nspawn.pid")
  ssh_host "$name" systemctl reboot 2>/dev/null || true # the connection drops under us
  wait_gone "$old" "$STOP_TIMEOUT" || die "$name did not shut down for reboot"
  local start
  start=$(now_us)
  wait_ssh "$name" || die "$name did not come back"
  log "$name rebooted, SSH after $(since "$start")"
}

# A power cut: every process of the host dies at once (its init first, which takes the whole PID
# namespace with it); its layer and address stay, for `start`.
cmd_kill() {
  local name=${1:?usage: kill NAME} dir supervisor init cg pid
  need_up "$name"
  dir=$(host_dir "$name")
  supervisor=$(cat "$dir/pid")
  init=$(pgrep -P "$(cat "$dir/nspawn.pid")" | head -n1 || true)
  [[ -z $init ]] || kill -KILL "$init" 2>/dev/null || true
  for cg in "${CGROUPS[@]}"; do
    while read -r pid; do
      [[ $pid == "$supervisor" ]] || kill -KILL "$pid" 2>/dev/null || true
    done < <(find "$cg/$name" -name cgroup.procs -exec cat {} + 2>/dev/null)
  done
  wait_gone "$supervisor" "$STOP_TIMEOUT" || die "$name did not die"
  log "$name killed"
}
# Boots a killed host again, on its layer and address.
cmd_start() {
  local name=${1:?usage: start NAME}
  [[ -f $(host_dir "$name")/index ]] || die "$name was never up"
  cmd_up "$name" "$(host_index "$name")" >/dev/null
}

cmd_cut() {
  need_up "${1:?usage: cut NAME}"
  ip link set "$(veth "$(host_index "$1")")" down
}
cmd_restore() {
  need_up "${1:?usage: restore NAME}"
  ip link set "$(veth "$(host_index "$1")")" up
  ip -n "$(netns "$1")" route replace default via "$SUBNET.1"
}

cmd_ssh() {
  local name=${1:?usage: ssh NAME CMD...}
  need_up "$name"
  ssh_host "$name" -- "${@:2}"
}

cmd_list() {
  local h name
  for h in "$HOSTS"/*/; do
    [[ -d $h ]] || continue
    name=$(basename "$h")
    printf '%s\t%s\t%s\n' "$name" "$(host_addr "$name")" "$(is_up "$name" && echo up || echo down)"
  done
}

[[ $(id -u) == 0 ]] || die "the lab needs root"
case ${1:-} in
deps) cmd_deps ;;
image) cmd_image ;;
up) cmd_up "${@:2}" ;;
down) cmd_down "${@:2}" ;;
down-all) cmd_down_all ;;
reboot) cmd_reboot "${@:2}" ;;
kill) cmd_kill "${@:2}" ;;
start) cmd_start "${@:2}" ;;
cut) cmd_cut "${@:2}" ;;
restore) cmd_restore "${@:2}" ;;
ssh) cmd_ssh "${@:2}" ;;
list) cmd_list ;;
_run) run_host "${@:3}" ;; # _run LAB_ID NAME: the id only marks the process as this lab's
*)
  sed -n '2,9p' "$SELF" >&2
  exit 2
  ;;
esac
