#!/bin/sh
# Installs, from Debian 12's packages, everything needed to build SIP
# Sign-in Doctor and to run its tests (the lab's real peers included).
# Does nothing when all of it is already there.
#
# The lab starts its own peers on loopback, so no packaged daemon may run:
# Debian starts a daemon as soon as its package is installed (kamailio would
# serve SIP on every interface, port 5060).  Here, no service starts during
# the install, and the services in DAEMONS are disabled at boot if this run
# installed them.  Packages installed before are left as they are.
set -eu

PACKAGES="
  build-essential clang meson ninja-build pkg-config gettext libxml2-utils
  libglib2.0-dev libglib2.0-bin libgtk-3-dev libsoup-3.0-dev libgnutls28-dev
  libjson-glib-dev libkrb5-dev nettle-dev glib-networking ca-certificates
  desktop-file-utils appstream flatpak-builder librsvg2-bin mandoc
  python3 python3-gi gir1.2-atspi-2.0 python3-dogtail
  xvfb xauth dbus-x11 at-spi2-core imagemagick
  gnutls-bin openssl dnsmasq-base kamailio kamailio-tls-modules sip-tester sipsak
  knot-dnsutils iproute2 krb5-user time
  gss-ntlmssp gss-ntlmssp-dev python3-gssapi krb5-kdc krb5-admin-server faketime
  bind9
  linphone-cli
  ejabberd erlang-p1-sip nftables
"
# Packages that ship a system service (tests/check-install-deps.py checks
# that every such package of PACKAGES is here); the lab runs its own copies.
DAEMONS="kamailio krb5-kdc krb5-admin-server bind9 ejabberd nftables"

# One dpkg-query for all: this runs before every build and test.
# shellcheck disable=SC2086
have=$(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null \
         | sed -n 's/^\([^ ]*\) install ok installed$/\1/p' | tr '\n' ' ') || true
missing=""
for p in $PACKAGES; do
  case " $have " in
    *" $p "*) ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ]; then
  echo "install-deps: everything is installed."
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

# invoke-rc.d asks /usr/sbin/policy-rc.d whether a package may start its
# service; 101 means no.  One that is already there (containers have one)
# is the machine's own and stays.
policy=/usr/sbin/policy-rc.d
own_policy=0
cleanup () {
  if [ "$own_policy" = 1 ]; then
    $SUDO rm -f "$policy"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# tools/install-deps.sh: no service starts during its install.\nexit 101\n' \
    | $SUDO tee "$policy" >/dev/null
  own_policy=1
  $SUDO chmod 755 "$policy"
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing

for d in $DAEMONS; do
  case " $missing " in
    *" $d "*) ;;
    *) continue ;;
  esac
  echo "install-deps: $d is for the test lab only: not starting it at boot"
  svc=$d
  case $d in
    bind9) svc=named ;;   # the package's service has another name
  esac
  if [ -d /run/systemd/system ]; then
    # also stops it, should something have started it after all
    $SUDO systemctl disable --now "$svc.service" || true
  elif command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable "$svc.service" || true
  fi
  if [ -x "/etc/init.d/$svc" ]; then
    $SUDO update-rc.d "$svc" disable || true
    if [ ! -d /run/systemd/system ]; then
      $SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
  fi
done

# ejabberd's postinst asks `ejabberdctl status`, which leaves Erlang's port
# mapper (epmd) running on every interface; the lab needs none (its node
# runs without epmd).
case " $missing " in
  *" ejabberd "*)
    if command -v epmd >/dev/null 2>&1; then
      $SUDO epmd -kill >/dev/null 2>&1 || true
    fi
    ;;
esac
