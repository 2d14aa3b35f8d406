# shellcheck shell=bash
# The lab's Debian image: debootstrap, the lab's configuration on top, rebuilt when its stamp
# changes. Sourced by lab.sh, which sets BASE, KEY, MIRROR, PACKAGES and the helpers (log, die,
# since, locked) used here; not a command of its own.

# The image's configuration on top of debootstrap. Its text is part of the image stamp, so any
# change here (or to PACKAGES, or to the lab key) rebuilds the image.
configure_image() {
  local root=$1
  # Key-only root login with the lab key.
  cat >"$root/etc/ssh/sshd_config.d/lab.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF
  install -d -m 700 "$root/root/.ssh"
  install -m 600 "$KEY.pub" "$root/root/.ssh/authorized_keys"
  # Identity is per host (`up` writes machine-id, hostname and SSH host keys into its layer).
  rm -f "$root"/etc/ssh/ssh_host_* "$root/etc/hostname" "$root/var/lib/dbus/machine-id"
  : >"$root/etc/machine-id"
  ln -s /etc/machine-id "$root/var/lib/dbus/machine-id"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  # No internet from the lab: no DNS server, and no apt sources, so `apt-get update` is instant
  # and installing a package that is present is a no-op instead of a long network timeout.
  : >"$root/etc/resolv.conf"
  : >"$root/etc/apt/sources.list"
  rm -f "$root"/etc/apt/sources.list.d/*
  rm -f "$root"/var/cache/apt/archives/*.deb
  # Timers that would only try the network in vain.
  ln -sf /dev/null "$root/etc/systemd/system/apt-daily.timer"
  ln -sf /dev/null "$root/etc/systemd/system/apt-daily-upgrade.timer"
}

image_stamp() {
  { echo bookworm "${PACKAGES[*]}"; declare -f configure_image; cat "$KEY.pub"; } | sha256sum | cut -d' ' -f1
}

build_image() {
  [[ -f $KEY ]] || ssh-keygen -q -t ed25519 -N '' -C fortress-lab -f "$KEY"
  local stamp
  stamp=$(image_stamp)
  [[ -f $BASE.stamp && $(cat "$BASE.stamp") == "$stamp" ]] && return 0
  local h
  for h in "$HOSTS"/*; do
    [[ -d $h ]] && die "hosts exist under $HOSTS; run down-all before the image is rebuilt"
  done
  log "building the image (bookworm minbase, ${#PACKAGES[@]} packages) in $BASE"
  local start
  start=$(now_us)
  rm -rf "$BASE.new"
  local include
  include=$(
    IFS=,
    echo "${PACKAGES[*]}"
  )
  debootstrap --variant=minbase --include="$include" bookworm "$BASE.new" "$MIRROR" >"$LAB_DIR/debootstrap.log" 2>&1 ||
    die "debootstrap failed, see $LAB_DIR/debootstrap.log"
  configure_image "$BASE.new"
  rm -rf "$BASE"
  mv "$BASE.new" "$BASE"
  echo "$stamp" >"$BASE.stamp"
  log "image built in $(since "$start")"
}
cmd_image() { locked build_image; }
