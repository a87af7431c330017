#!/usr/bin/env python3
"""Check a Flatpak manifest: flatpak-builder must parse it without a single
warning, and it must ask only for the permissions the app needs.

Usage: check-flatpak-manifest.py [--app-id ID] MANIFEST
Exit status: 0 good, 1 bad, 77 flatpak-builder is not installed (skip).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

# Network (SIP, DNS, TLS), ipc (X11 shared memory), a display.  Files are
# opened and saved through the portals, so no --filesystem of any kind.
ALLOWED_FINISH_ARGS = {
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
}
REQUIRED_FINISH_ARGS = ALLOWED_FINISH_ARGS


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--app-id')
    ap.add_argument('manifest')
    args = ap.parse_args()

    builder = shutil.which('flatpak-builder')
    if builder is None:
        print('flatpak-builder is not installed: skipping')
        return 77

    env = dict(os.environ, G_DEBUG='fatal-warnings')
    manifest = os.path.abspath(args.manifest)
    # flatpak-builder leaves a .flatpak-builder folder in its working folder.
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run([builder, '--show-manifest', manifest], cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=50)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print(f'flatpak-builder --show-manifest failed ({proc.returncode})')
        return 1
    try:
        m = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        print(f'flatpak-builder printed something that is not JSON: {e}')
        return 1

    errors = []
    app_id = m.get('app-id') or m.get('id')
    if args.app_id and app_id != args.app_id:
        errors.append(f'app-id is {app_id!r}, expected {args.app_id!r}')
    if m.get('runtime') != 'org.gnome.Platform':
        errors.append(f'runtime is {m.get("runtime")!r}, expected org.gnome.Platform')
    if m.get('sdk') != 'org.gnome.Sdk':
        errors.append(f'sdk is {m.get("sdk")!r}, expected org.gnome.Sdk')
    if m.get('command') != 'sip-doctor':
        errors.append(f'command is {m.get("command")!r}, expected sip-doctor')

    finish = m.get('finish-args', [])
    for a in finish:
        if a not in ALLOWED_FINISH_ARGS:
            errors.append(f'finish-args asks for {a}, which the app does not need')
    for a in REQUIRED_FINISH_ARGS - set(finish):
        errors.append(f'finish-args lacks {a}')

    modules = m.get('modules', [])
    last = modules[-1] if modules else {}
    if not isinstance(last, dict) or last.get('buildsystem') != 'meson':
        errors.append('the last module must build this project with meson')
    elif args.app_id and args.app_id.endswith('.Devel'):
        if '-Dprofile=development' not in last.get('config-opts', []):
            errors.append('the Devel manifest must configure -Dprofile=development')
        if not any(s.get('type') == 'dir' for s in last.get('sources', [])):
            errors.append('the Devel manifest must build the local checkout (a "dir" source)')

    for e in errors:
        print(f'{args.manifest}: {e}')
    if errors:
        return 1
    print(f'{args.manifest}: ok ({app_id})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
