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
# opened and saved through the portals.  Kerberos needs the host's realm
# configuration and credential cache: /etc is reserved in the sandbox, so the
# host's /etc is read at /run/host/etc (read-only), and libkrb5 is pointed
# there, with the runtime's own file as fallback; the KCM socket (Fedora's
# and RHEL's default cache) is the one path under /run shared.  FILE caches
# in /tmp are not shared by default (README.md says how to share one).
ALLOWED_FINISH_ARGS = {
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--filesystem=host-etc:ro',
    '--env=KRB5_CONFIG=/run/host/etc/krb5.conf:/etc/krb5.conf',
    '--filesystem=/run/.heim_org.h5l.kcm-socket',
}
REQUIRED_FINISH_ARGS = ALLOWED_FINISH_ARGS
# GNOME runtimes are supported for about a year; 50 still ships GTK 3.
# Both manifests move together.
RUNTIME_VERSION = '50'
# Build folders (HACKING.md, tools/test.sh) and local state a "dir" source of
# the checkout must not copy into the build sandbox.
DEVEL_SKIP = {'_build', '_build-sanitize', '_fuzz', '.flatpak-builder', '.git', 'lab.env'}


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
    if m.get('runtime-version') != RUNTIME_VERSION:
        errors.append(f'runtime-version is {m.get("runtime-version")!r}, expected {RUNTIME_VERSION!r}')
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

    # flatpak-builder does not read finish-args; flatpak build-finish does.
    flatpak = shutil.which('flatpak')
    if flatpak is not None and app_id:
        with tempfile.TemporaryDirectory() as build:
            os.makedirs(os.path.join(build, 'files', 'bin'))
            with open(os.path.join(build, 'metadata'), 'w') as f:
                f.write(f'[Application]\nname={app_id}\n'
                        f'runtime=org.gnome.Platform/x86_64/{m.get("runtime-version")}\n'
                        f'sdk=org.gnome.Sdk/x86_64/{m.get("runtime-version")}\n')
            proc = subprocess.run([flatpak, 'build-finish', '--command=sip-doctor', *finish, build],
                                  capture_output=True, text=True, timeout=50)
            if proc.returncode != 0:
                errors.append(f'flatpak build-finish rejects the finish-args: {proc.stderr.strip()}')

    # Local sources are relative to the manifest's folder and must exist;
    # a git source must name a commit, since a tag can be missing or moved.
    base = os.path.dirname(manifest)
    for mod in modules:
        if not isinstance(mod, dict):
            continue
        for src in mod.get('sources', []):
            if not isinstance(src, dict):
                continue
            if 'path' in src and not os.path.exists(os.path.join(base, src['path'])):
                errors.append(f'module {mod.get("name")}: source path {src["path"]!r} does not exist')
            if src.get('type') == 'git' and not src.get('commit'):
                errors.append(f'module {mod.get("name")}: the git source names no commit')
            if src.get('type') == 'dir':
                missing = DEVEL_SKIP - set(src.get('skip', []))
                if missing:
                    errors.append(f'module {mod.get("name")}: the dir source does not skip '
                                  f'{", ".join(sorted(missing))}')

    for e in errors:
        print(f'{args.manifest}: {e}')
    if errors:
        return 1
    print(f'{args.manifest}: ok ({app_id})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
