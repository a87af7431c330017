#!/bin/sh
# Installs, from Debian 12's packages, everything needed to build SIP
# Sign-in Doctor and to run its tests (the lab's real peers included).
# Does nothing when all of it is already there.
set -eu

PACKAGES="
  build-essential clang meson ninja-build pkg-config gettext
  libglib2.0-dev libglib2.0-bin libgtk-3-dev libsoup-3.0-dev libgnutls28-dev
  libjson-glib-dev libkrb5-dev nettle-dev glib-networking ca-certificates
  desktop-file-utils appstream flatpak-builder librsvg2-bin
  python3 python3-gi gir1.2-atspi-2.0 python3-dogtail
  xvfb xauth dbus-x11 at-spi2-core imagemagick
  gnutls-bin openssl dnsmasq-base kamailio kamailio-tls-modules sip-tester sipsak
  knot-dnsutils iproute2 krb5-user time
  gss-ntlmssp gss-ntlmssp-dev python3-gssapi krb5-kdc krb5-admin-server
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: everything is installed."
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
