#!/usr/bin/env python3
"""tools/install-deps.sh changes nothing else on the machine.

  - every package it installs that ships a system service (an init script,
    or a systemd unit enabled at boot) is in its DAEMONS list, which it keeps
    from starting at boot;
  - no packaged SIP server runs: every kamailio process on the machine is one
    of the test lab's (its configuration lies in a lab folder, sdlab-*).

Usage: check-install-deps.py SRCROOT
Exit status: 0 good, 1 bad, 77 not a Debian system (skip).
"""
import os
import re
import shutil
import subprocess
import sys


def shell_list(script, name):
    m = re.search(r'^%s="([^"]*)"' % name, script, re.M)
    if m is None:
        raise SystemExit('tools/install-deps.sh has no %s="..." list' % name)
    return m.group(1).split()


def services(package):
    """The init scripts and boot-enabled systemd units package installs."""
    r = subprocess.run(['dpkg-query', '-L', package], capture_output=True, text=True, timeout=30)
    found = []
    for path in r.stdout.splitlines():
        if re.fullmatch(r'/etc/init\.d/[^/]+', path):
            found.append(path)
        elif re.fullmatch(r'(/usr)?/lib/systemd/system/[^/]+\.service', path):
            try:
                with open(path, encoding='utf-8', errors='replace') as f:
                    if re.search(r'^\[Install\]\s*$(?:(?!^\[).)*^WantedBy=', f.read(), re.M | re.S):
                        found.append(path)
            except OSError:
                pass
    return found


def installed(package):
    r = subprocess.run(['dpkg-query', '-W', '-f=${Status}', package],
                       capture_output=True, text=True, timeout=30)
    return r.returncode == 0 and r.stdout.endswith('install ok installed')


def stray_kamailio():
    """kamailio processes whose configuration is not a lab's."""
    stray = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                argv = f.read().decode('utf-8', 'replace').split('\0')
        except OSError:
            continue
        if not argv or os.path.basename(argv[0]) != 'kamailio':
            continue
        cfg = argv[argv.index('-f') + 1] if '-f' in argv[:-1] else '/etc/kamailio/kamailio.cfg'
        if not re.search(r'/sdlab-[^/]+/', cfg):
            stray.append('pid %s: %s' % (pid, ' '.join(argv).strip()))
    return stray


def main():
    srcroot = sys.argv[1]
    if shutil.which('dpkg-query') is None:
        print('not a Debian system: skipping')
        return 77
    path = os.path.join(srcroot, 'tools', 'install-deps.sh')
    with open(path, encoding='utf-8') as f:
        script = f.read()
    packages = shell_list(script, 'PACKAGES')
    daemons = set(shell_list(script, 'DAEMONS'))
    errors = []
    r = subprocess.run(['sh', '-n', path], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        errors.append('sh -n %s: %s' % (path, r.stderr.strip()))
    checked = 0
    for p in packages:
        if not installed(p):
            errors.append('%s is not installed: run tools/install-deps.sh' % p)
            continue
        checked += 1
        s = services(p)
        if s and p not in daemons:
            errors.append('%s ships a system service (%s): add it to DAEMONS in tools/install-deps.sh'
                          % (p, ', '.join(s)))
    for s in stray_kamailio():
        errors.append('a SIP server runs that is not the test lab\'s: %s' % s)
    for e in errors:
        print(e)
    if errors:
        return 1
    print('install-deps: ok (%d packages, daemons kept from starting: %s)'
          % (checked, ' '.join(sorted(daemons))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
