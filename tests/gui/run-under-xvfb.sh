#!/bin/sh
# Runs a command under its own Xvfb and session bus, and always cleans up.
#
#   run-under-xvfb.sh COMMAND [ARG…]
#
# The X server picks a free display itself (-displayfd); the command runs
# inside dbus-run-session so GTK's accessibility bridge (AT-SPI) comes up
# and the tests can find widgets by their accessible names.
set -u

for tool in Xvfb dbus-run-session; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is not installed: skipping (apt-get install xvfb dbus)" >&2
    exit 77
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sd-xvfb.XXXXXX") || exit 1
xpid=
cleanup() {
  if [ -n "$xpid" ]; then
    kill "$xpid" 2>/dev/null
    # Up to 5 s for the X server to go, then force it.
    i=0
    while kill -0 "$xpid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$xpid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkfifo "$tmp/displayfd"
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp -noreset 5>"$tmp/displayfd" \
  >"$tmp/xvfb.log" 2>&1 &
xpid=$!
display=
# -displayfd writes the number once the server accepts connections.
read -r display <"$tmp/displayfd" || true
if [ -z "$display" ]; then
  echo "Xvfb did not start:" >&2
  cat "$tmp/xvfb.log" >&2
  exit 1
fi

export DISPLAY=":$display"
unset NO_AT_BRIDGE
export GTK_A11Y=atspi
export LANG="${SD_TEST_LANG:-C.UTF-8}"
export LC_ALL="$LANG"
export TZ=UTC
export GSETTINGS_BACKEND=memory
export GDK_BACKEND=x11

dbus-run-session -- "$@"
