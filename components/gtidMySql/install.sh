#!/usr/bin/env bash
# Fortress GtidMySql: installs the database server of the chosen flavour, and only what is
# missing (offline hosts with the server baked in never touch the network). MariaDB comes from the
# distribution. MySQL 8.4 LTS comes from Oracle's APT repository (repo.mysql.com, its key checked
# against a pinned fingerprint) on Debian 11/12 and Ubuntu 22.04/24.04; MySQL 8.0 from the Ubuntu
# archive on Ubuntu and from Oracle's repository on Debian. A MySQL of another series than the
# flavour's is never upgraded here (that is the README's upgrade runbook).
set -euo pipefail
FORTRESS_SCRIPT=fortress-mysql-install

FLAVOUR=@@FLAVOUR@@
SERVICE=@@SERVICE@@
MYSQL_RELEASE=@@MYSQL_RELEASE@@
MYSQL_VERSION=@@MYSQL_VERSION@@
MYSQL_APT_URL=@@MYSQL_APT_URL@@
MYSQL_APT_KEY_URL=@@MYSQL_APT_KEY_URL@@
MYSQL_APT_KEY_FINGERPRINT=@@MYSQL_APT_KEY_FINGERPRINT@@

# @fortress-common

[[ $(id -u) -eq 0 ]] || die "must run as root (the component runs it under sudo for other users)"
# shellcheck source=/dev/null
. /etc/os-release

keyring=/usr/share/keyrings/fortress-mysql.gpg
sources=/etc/apt/sources.list.d/fortress-mysql.list

# Oracle's repository for Debian: the signing key is fetched over HTTPS and trusted only when its
# fingerprint is the pinned one; it signs this one source only (signed-by).
ensure_oracle_repository() {
  ensure_packages ca-certificates curl gnupg
  if [[ ! -s $keyring ]]; then
    local tmp fingerprints
    tmp=$(mktemp -d)
    if ! curl -fsSL --retry 3 -o "$tmp/key.asc" "$MYSQL_APT_KEY_URL"; then
      rm -rf "$tmp"
      die "could not download Oracle's MySQL signing key from $MYSQL_APT_KEY_URL"
    fi
    fingerprints=$(GNUPGHOME=$tmp gpg --batch --show-keys --with-colons "$tmp/key.asc" 2>/dev/null |
      awk -F: '$1 == "pub" { want = 1; next } want && $1 == "fpr" { print $10; want = 0 }')
    if [[ $fingerprints != "$MYSQL_APT_KEY_FINGERPRINT" ]]; then
      rm -rf "$tmp"
      die "the key at $MYSQL_APT_KEY_URL is ${fingerprints:-no OpenPGP key}, not $MYSQL_APT_KEY_FINGERPRINT; refusing it"
    fi
    GNUPGHOME=$tmp gpg --batch --yes --dearmor -o "$keyring" "$tmp/key.asc"
    chmod 0644 "$keyring"
    rm -rf "$tmp"
    changed mysql-apt-key
  fi
  if install_file "$sources" 0644 "deb [signed-by=$keyring] $MYSQL_APT_URL/$ID $VERSION_CODENAME $MYSQL_RELEASE
"; then
    # ensure_packages updates the package lists only when something is missing; this is new.
    apt-get -o DPkg::Lock::Timeout=300 update -qq || die "apt-get update failed with $sources"
    changed mysql-apt-repository
  fi
  # No root password: root keeps logging in over the socket (auth_socket), as on Ubuntu.
  debconf-set-selections <<'EOF'
mysql-community-server mysql-community-server/root-pass password
mysql-community-server mysql-community-server/re-root-pass password
mysql-community-server mysql-server/default-auth-override select Use Strong Password Encryption (RECOMMENDED)
EOF
}

case $FLAVOUR in
mariadb)
  if package_installed mysql-server-8.0 || package_installed mysql-community-server; then
    die "MySQL is installed here; MariaDB cannot be installed next to it (use flavour mysql84 or mysql80, or remove MySQL first)"
  fi
  ensure_packages mariadb-server mariadb-client
  ;;
mysql80 | mysql84)
  if package_installed mariadb-server; then
    die "MariaDB is installed here; MySQL cannot be installed next to it (use flavour mariadb, or remove mariadb-server first)"
  fi
  if ! package_installed mysql-server-8.0 && ! package_installed mysql-community-server; then
    case "$FLAVOUR:$ID:${VERSION_ID:-}" in
    mysql80:ubuntu:22.04 | mysql80:ubuntu:24.04)
      ensure_packages mysql-server-8.0 mysql-client-8.0
      ;;
    mysql80:debian:11 | mysql80:debian:12 | mysql84:debian:11 | mysql84:debian:12 | mysql84:ubuntu:22.04 | mysql84:ubuntu:24.04)
      ensure_oracle_repository
      ensure_packages mysql-community-server mysql-community-client
      ;;
    *)
      die "$FLAVOUR is installed on Debian 11/12 and Ubuntu 22.04/24.04; this host is ${PRETTY_NAME:-unknown}"
      ;;
    esac
  fi
  for package in mysql-community-server mysql-server-8.0; do
    package_installed "$package" || continue
    version=$(dpkg-query -W -f='${Version}' "$package")
    [[ $version == "$MYSQL_VERSION"* ]] ||
      die "$package $version is installed here, not $MYSQL_VERSION*; upgrading MySQL is a runbook of its own (README, \"MySQL 8.0 to 8.4\"), not part of a deployment"
  done
  ;;
*)
  die "unknown flavour $FLAVOUR"
  ;;
esac

if ! systemctl is-enabled --quiet "$SERVICE" 2>/dev/null; then
  systemctl enable --quiet "$SERVICE"
  changed enabled
fi
summary
