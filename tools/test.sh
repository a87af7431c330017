#!/bin/sh
# Builds SIP Sign-in Doctor and runs every test: once in a normal build with
# warnings as errors, once with AddressSanitizer and UndefinedBehaviorSanitizer.
# Installs what is missing first. Starts and stops its own peers (the tests
# do); needs no display and no running servers.
#
#   tools/test.sh            both builds
#   SD_SKIP_SANITIZE=1 tools/test.sh   the normal build only
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

"$top/tools/install-deps.sh"

export LANG=C.UTF-8 TZ=UTC
status=0

run_suite () {
  dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  else
    meson configure "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir"
  if ! meson test -C "$dir" --print-errorlogs --num-processes 2; then
    status=1
  fi
}

run_suite _build -Dwerror=true
builds=_build

if [ "${SD_SKIP_SANITIZE:-0}" != 1 ]; then
  # GLib keeps type data and caches for the process lifetime, so leak checks
  # would report those; ASan still catches every overflow and use-after-free.
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  run_suite _build-sanitize -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug
  builds="$builds _build-sanitize"
fi

# shellcheck disable=SC2086
python3 "$top/tools/test-summary.py" $builds || status=1
exit $status
