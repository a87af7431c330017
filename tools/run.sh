#!/bin/sh
# Installs what is missing, builds SIP Sign-in Doctor and starts the wizard
# from the build folder (nothing is installed system-wide).
#
#   tools/run.sh [SIP-ADDRESS]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

"$top/tools/install-deps.sh"
if [ ! -f _build/build.ninja ]; then
  meson setup _build
fi
ninja -C _build

export GSETTINGS_SCHEMA_DIR="$top/_build/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
exec "$top/_build/app/gui/sip-doctor" "$@"
