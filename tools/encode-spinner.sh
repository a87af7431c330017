#!/bin/sh
# Renders the progress spinner (ui/icons/process-working-*.symbolic.png)
# from the Adwaita icon theme's process-working-symbolic.svg, as GTK's
# pre-rendered symbolic PNGs (recoloured with the theme's colours like the
# SVG). The wizard uses them so that drawing the spinner does not load
# librsvg and its libraries (about 9 MiB). Needs gtk-encode-symbolic-svg
# (Debian: libgtk-3-bin) and adwaita-icon-theme. Run from the source root.
set -eu
svg=""
for d in scalable-up-to-32/status symbolic/status scalable/status; do
  f="/usr/share/icons/Adwaita/$d/process-working-symbolic.svg"
  if [ -f "$f" ]; then svg="$f"; break; fi
done
[ -n "$svg" ] || { echo "encode-spinner: no Adwaita process-working-symbolic.svg" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for size in 16 32; do
  mkdir -p "$tmp/$size"
  gtk-encode-symbolic-svg -o "$tmp/$size" "$svg" "${size}x${size}"
  cp "$tmp/$size/process-working-symbolic.symbolic.png" "ui/icons/process-working-$size.symbolic.png"
done
echo "encode-spinner: ui/icons/process-working-16.symbolic.png and -32 from $svg"
