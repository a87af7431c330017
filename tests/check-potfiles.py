#!/usr/bin/env python3
"""Keep po/POTFILES.in honest.

Fails when a file under app/ or ui/ has translatable strings but is not
listed in po/POTFILES.in (its strings would silently stay in English), when
a .desktop.in or .metainfo.xml.in under data/ is not listed, or when
POTFILES.in lists a file that does not exist.

Usage: check-potfiles.py [SOURCE_ROOT]      (default: the parent of tests/)
       check-potfiles.py --self-test
"""
import os
import re
import sys
import tempfile

SCANNED_DIRS = ('app', 'ui')
SOURCE_EXTS = ('.c', '.h', '.ui', '.py', '.js', '.vala')
DATA_SUFFIXES = ('.desktop.in', '.metainfo.xml.in')

# _( N_( C_( NC_( Q_( and the plural forms.  Preceded by a non-identifier
# character so that e.g. foo_( does not count.
C_MARKERS = re.compile(
    r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_|Q_)\s*\('
    r'|(?<![A-Za-z0-9_])(?:g_dngettext|g_dpgettext2?|ngettext|dngettext|g_dcgettext)\s*\(')
UI_MARKER = re.compile(r'translatable\s*=\s*["\']yes["\']')
# Definitions of the marker macros themselves are not translatable strings.
DEFINE = re.compile(r'^\s*#\s*(define|undef)\b')
COMMENTS = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def has_translatable(path):
    try:
        text = open(path, encoding='utf-8', errors='replace').read()
    except OSError:
        return False
    if path.endswith('.ui'):
        return bool(UI_MARKER.search(text))
    if path.endswith(('.c', '.h', '.vala', '.js')):
        text = COMMENTS.sub('', text)
    lines = (ln for ln in text.splitlines() if not DEFINE.match(ln))
    return any(C_MARKERS.search(ln) for ln in lines)


def read_potfiles(path):
    listed = []
    with open(path, encoding='utf-8') as f:
        for ln in f:
            ln = ln.strip()
            if ln and not ln.startswith('#'):
                listed.append(ln.split(']', 1)[1].strip() if ln.startswith('[') else ln)
    return listed


def check(root):
    potfiles = os.path.join(root, 'po', 'POTFILES.in')
    skipfile = os.path.join(root, 'po', 'POTFILES.skip')
    if not os.path.exists(potfiles):
        return [f'{potfiles} does not exist']
    listed = read_potfiles(potfiles)
    skipped = set(read_potfiles(skipfile)) if os.path.exists(skipfile) else set()
    errors = []

    seen = set()
    for rel in listed:
        if rel in seen:
            errors.append(f'po/POTFILES.in lists {rel} twice')
        seen.add(rel)
        if not os.path.isfile(os.path.join(root, rel)):
            errors.append(f'po/POTFILES.in lists {rel}, which does not exist')

    needed = []
    for top in SCANNED_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(('.', '_build', 'build')))
            for fn in sorted(filenames):
                p = os.path.join(dirpath, fn)
                if fn.endswith(SOURCE_EXTS) and has_translatable(p):
                    needed.append(os.path.relpath(p, root))
    data = os.path.join(root, 'data')
    if os.path.isdir(data):
        for dirpath, dirnames, filenames in os.walk(data):
            for fn in sorted(filenames):
                if fn.endswith(DATA_SUFFIXES):
                    needed.append(os.path.relpath(os.path.join(dirpath, fn), root))

    for rel in needed:
        rel = rel.replace(os.sep, '/')
        if rel not in seen and rel not in skipped:
            errors.append(f'{rel} has translatable strings but is missing from po/POTFILES.in')
    return errors


def self_test():
    """The check must be able to fail: build small trees and expect verdicts."""
    cases = [
        # (files, POTFILES.in, expect failure)
        ({'app/gui/a.c': 'x = _("Next");\n'}, '', True),
        ({'app/gui/a.c': 'x = _("Next");\n'}, 'app/gui/a.c\n', False),
        ({'app/gui/a.c': 'x = C_("button", "Next");\n'}, '# only a comment\n', True),
        ({'app/core/b.c': 'n = g_dngettext (NULL, "one", "many", k);\n'}, '', True),
        ({'app/core/b.c': 'n = ngettext ("one", "many", k);\n'}, '', True),
        ({'app/core/b.c': 'static const char *s = N_("Timeout");\n'}, '', True),
        ({'ui/w.ui': '<property name="label" translatable="yes">Back</property>'}, '', True),
        ({'ui/w.ui': '<property name="label">x</property>'}, '', False),
        ({'app/core/c.c': 'my_func_(1); /* _("not code") */\n'}, '', False),
        ({'app/core/i18n.h': '#define _(s) gettext (s)\n'}, '', False),
        ({}, 'app/gui/gone.c\n', True),
        ({'data/x.desktop.in': '[Desktop Entry]\nName=X\n'}, '', True),
        ({'data/x.desktop.in': '[Desktop Entry]\nName=X\n'}, 'data/x.desktop.in\n', False),
    ]
    failures = 0
    for i, (files, potfiles, expect_fail) in enumerate(cases):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, 'po'))
            with open(os.path.join(d, 'po', 'POTFILES.in'), 'w') as f:
                f.write(potfiles)
            for rel, content in files.items():
                p = os.path.join(d, rel)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, 'w') as f:
                    f.write(content)
            errors = check(d)
            if bool(errors) != expect_fail:
                failures += 1
                print(f'self-test case {i} ({list(files)}): expected '
                      f'{"failure" if expect_fail else "success"}, got {errors}')
    print(f'{len(cases) - failures}/{len(cases)} self-test cases behave')
    return 1 if failures else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--self-test':
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    errors = check(root)
    for e in errors:
        print(e)
    if not errors:
        print('po/POTFILES.in lists every file with translatable strings')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
