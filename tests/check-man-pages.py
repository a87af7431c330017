#!/usr/bin/env python3
"""The manual pages: no mandoc warning, and they keep up with the programs.

  - `mandoc -T lint -W warning` finds nothing in either page;
  - every long option of sip-doctor-cli (app/cli/sd-cli.c) and sip-doctor
    (app/gui/sd-application.c) is described in its page, and the page
    describes no option the program lacks;
  - every finding code the engine reports (app/core) has its line in
    sip-doctor-cli(1).

Usage: check-man-pages.py SRCROOT
Exit status: 0 good, 1 bad, 77 mandoc is not installed (skip).
"""
import glob
import os
import re
import shutil
import subprocess
import sys

# Options GLib adds to every program.
BUILTIN_OPTIONS = {'help', 'help-all'}


def options_in_source(path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    found = set()
    for table in re.findall(r'GOptionEntry [a-z_]+\[\] = \{(.*?)\{ NULL \}', text, re.S):
        found |= set(re.findall(r'^\s*\{ "([a-z][a-z-]*)", ', table, re.M))
    return found


def options_in_page(text):
    return set(re.findall(r'^\.It (?:Fl \w , )?Fl Fl ([a-z][a-z-]*)', text, re.M))


def codes_in_engine(srcroot):
    codes = set()
    for path in glob.glob(os.path.join(srcroot, 'app', 'core', '*.c')):
        with open(path, encoding='utf-8') as f:
            codes |= set(re.findall(r'"((?:uri|dns|connect|tls|sip|auth)\.[a-z][a-z-]*)"', f.read()))
    return codes


def main():
    srcroot = sys.argv[1]
    mandoc = shutil.which('mandoc')
    if mandoc is None:
        print('mandoc is not installed: skipping')
        return 77
    errors = []
    pages = {
        'sip-doctor-cli': os.path.join(srcroot, 'app', 'cli', 'sd-cli.c'),
        'sip-doctor': os.path.join(srcroot, 'app', 'gui', 'sd-application.c'),
    }
    texts = {}
    for name, source in pages.items():
        page = os.path.join(srcroot, 'docs', 'man', name + '.1')
        with open(page, encoding='utf-8') as f:
            texts[name] = f.read()
        lint = subprocess.run([mandoc, '-T', 'lint', '-W', 'warning', page],
                              capture_output=True, text=True, timeout=30)
        if lint.returncode != 0 or lint.stdout.strip() or lint.stderr.strip():
            errors.append('%s: mandoc -T lint:\n%s%s' % (page, lint.stdout, lint.stderr))
        if not os.path.exists(source):
            continue  # the wizard is optional
        have = options_in_source(source)
        documented = options_in_page(texts[name])
        for o in sorted(have - documented):
            errors.append('%s(1) does not describe --%s (%s)' % (name, o, os.path.relpath(source, srcroot)))
        for o in sorted(documented - have - BUILTIN_OPTIONS):
            errors.append('%s(1) describes --%s, which the program does not have' % (name, o))

    listed = set(re.findall(r'^\.It Li ([a-z]+\.[a-z-]+)$', texts['sip-doctor-cli'], re.M))
    for c in sorted(codes_in_engine(srcroot) - listed):
        errors.append('sip-doctor-cli(1), FINDING CODES, lacks %s' % c)
    if len(listed) < 40:
        errors.append('sip-doctor-cli(1) lists only %d finding codes' % len(listed))

    for e in errors:
        print(e)
    if errors:
        return 1
    print('man pages: ok (%d options, %d finding codes)' % (
        len(options_in_page(texts['sip-doctor-cli'])), len(listed)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
