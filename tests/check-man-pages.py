#!/usr/bin/env python3
"""The manual pages: no mandoc warning, and they keep up with the programs.

  - `mandoc -T lint -W warning` finds nothing in either page;
  - every long option of sip-doctor-cli (app/cli/sd-cli.c) and sip-doctor
    (app/gui/sd-application.c) is described in its page, and the page
    describes no option the program lacks;
  - every finding code the engine reports (app/core) has its line in
    sip-doctor-cli(1);
  - every code of app/core/sd-finding-codes.h is documented there, with the
    version it appeared in, and no code is compared as a string literal in
    app/ (the constants of that header are).

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


CODE_RE = r'"((?:uri|dns|connect|tls|sip|auth)\.[a-z][a-z-]*)"'

# A call that compares its arguments, with a finding code as a literal among
# them; the arguments may span lines.
COMPARISON_RE = re.compile(
    r'\b(?:g_str_equal|g_strcmp0|strcmp|strncmp|g_ascii_strcasecmp|sd_run_has_finding)'
    r'\s*\([^;{}]*?' + CODE_RE)

HEADER_LINE_RE = re.compile(
    r'^#define (SD_FINDING_[A-Z0-9_]+) +"([a-z]+\.[a-z][a-z-]*)" +/\* since (0\.[12]) \*/$')


def codes_in_header(path):
    """The header's codes as {code: constant}, and its malformed lines."""
    codes, errors = {}, []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.startswith('#define SD_FINDING_'):
                continue
            m = HEADER_LINE_RE.match(line)
            if m is None:
                errors.append('%s:%d: not `#define SD_FINDING_X "step.code" /* since 0.N */`' % (path, n))
                continue
            name, code = m.group(1), m.group(2)
            if name != 'SD_FINDING_' + re.sub(r'[.-]', '_', code).upper():
                errors.append('%s:%d: %s does not spell %s' % (path, n, name, code))
            if code in codes:
                errors.append('%s:%d: %s defined twice' % (path, n, code))
            codes[code] = name
    return codes, errors


def literal_comparisons(text):
    return [m.group(1) for m in COMPARISON_RE.finditer(text)]


def self_test():
    """The comparison pattern finds what it must and nothing else."""
    bad = ['g_str_equal (f->code, "auth.ok")',
           'if (sd_run_has_finding (run,\n        "sip.sips-not-tls"))',
           'g_strcmp0 (code, "tls.expired") == 0']
    good = ['g_str_equal (f->code, SD_FINDING_AUTH_OK)',
            'sd_run_report (run, step, "auth.ok", SD_SEVERITY_INFO, m, a);',
            'g_str_equal (s, "auth"); x = "auth.ok";']
    for t in bad:
        assert literal_comparisons(t), t
    for t in good:
        assert not literal_comparisons(t), t


def codes_in_engine(srcroot):
    codes = set()
    for path in glob.glob(os.path.join(srcroot, 'app', 'core', '*.[ch]')):
        with open(path, encoding='utf-8') as f:
            codes |= set(re.findall(CODE_RE, f.read()))
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

    self_test()
    header = os.path.join(srcroot, 'app', 'core', 'sd-finding-codes.h')
    constants, header_errors = codes_in_header(header)
    errors += header_errors
    if len(constants) < 40:
        errors.append('%s defines only %d finding codes' % (header, len(constants)))
    for c in sorted(set(constants) - listed):
        errors.append('sip-doctor-cli(1), FINDING CODES, lacks %s (%s)' % (c, constants[c]))
    for path in sorted(glob.glob(os.path.join(srcroot, 'app', '*', '*.c'))):
        with open(path, encoding='utf-8') as f:
            for c in literal_comparisons(f.read()):
                errors.append('%s compares "%s" as a literal: use %s from sd-finding-codes.h' % (
                    os.path.relpath(path, srcroot), c,
                    constants.get(c, 'a new constant')))

    for e in errors:
        print(e)
    if errors:
        return 1
    print('man pages: ok (%d options, %d finding codes)' % (
        len(options_in_page(texts['sip-doctor-cli'])), len(listed)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
