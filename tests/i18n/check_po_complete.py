#!/usr/bin/env python3
"""Every language in po/LINGUAS is complete and current.

Fails when a .po file
  - has an untranslated or a fuzzy entry,
  - is out of date against the sources: the template extracted now (xgettext
    into a temporary folder, the same keywords as meson's 'glib' preset) has
    a msgid the .po lacks, or the .po still has one the sources dropped,
  - or lacks the right Plural-Forms header;
and when xgettext finds a msgid it cannot read as a C format (a format macro
such as G_GSIZE_FORMAT inside _() cuts the msgid short, so the message can
never be translated).

The fix for "out of date" is 'ninja -C _build sip-doctor-pot
sip-doctor-update-po', then translating what is new or fuzzy.  Nothing in the
source tree is written.

Usage: check_po_complete.py SOURCE_ROOT
       check_po_complete.py --self-test
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Same keywords as meson's i18n.gettext(preset: 'glib'); the flags only tell
# xgettext which msgids are C formats.
XGETTEXT_ARGS = [
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
    '--flag=g_string_printf:2:c-format', '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format', '--flag=g_printf:1:c-format',
    '--flag=g_fprintf:2:c-format', '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
]

# The plural rule each language must declare (the usual one for it).
PLURAL_FORMS = {
    'de': 'nplurals=2; plural=(n != 1);',
    'fr': 'nplurals=2; plural=(n > 1);',
}

BROKEN_FORMAT = re.compile(r'^(.*?:\d+): warning: Although being used in a format string position, '
                           r'the msgid is not a valid C format string\. Reason: (.*)$', re.M)


def unquote(s):
    s = s.strip()[1:-1]
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t'}.get(m.group(1), m.group(1)), s)


def parse_po(path):
    """Entries of a .po or .pot: dicts with ctxt, id, plural, strs, fuzzy.
    Obsolete entries (#~) are left out."""
    entries = []
    text = open(path, encoding='utf-8').read()
    for block in re.split(r'\n\s*\n', text):
        lines = [ln for ln in block.split('\n') if ln.strip() and not ln.startswith('#~')]
        if not any(ln.startswith('msgid') for ln in lines):
            continue
        e = {'ctxt': None, 'id': None, 'plural': None, 'strs': {}, 'fuzzy': False}
        field = None
        for ln in lines:
            if ln.startswith('#,'):
                e['fuzzy'] = 'fuzzy' in [f.strip() for f in ln[2:].split(',')]
            elif ln.startswith('#'):
                continue
            else:
                m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$', ln)
                if m:
                    kw, idx, val = m.group(1), m.group(2), unquote(m.group(3))
                    if kw.startswith('msgstr'):
                        field = ('strs', int(idx or 0))
                        e['strs'][field[1]] = val
                    else:
                        field = {'msgctxt': 'ctxt', 'msgid': 'id', 'msgid_plural': 'plural'}[kw]
                        e[field] = val
                elif ln.startswith('"') and field is not None:
                    if isinstance(field, tuple):
                        e['strs'][field[1]] += unquote(ln)
                    else:
                        e[field] += unquote(ln)
                else:
                    raise ValueError(f'{path}: cannot read line: {ln!r}')
        entries.append(e)
    return entries


def key(e):
    k = e['id']
    if e['ctxt'] is not None:
        k = f'[{e["ctxt"]}] {k}'
    if e['plural'] is not None:
        k += f' | {e["plural"]}'
    return k


def short(s, n=70):
    s = s.replace('\n', '\\n')
    return s if len(s) <= n else s[:n - 1] + '…'


def read_list(path):
    out = []
    for ln in open(path, encoding='utf-8'):
        ln = ln.split('#', 1)[0].strip()
        if ln:
            out.append(ln.split(']', 1)[1].strip() if ln.startswith('[') else ln)
    return out


def extract(root, tmp):
    """Run xgettext over POTFILES.in; return (template entries, broken-format warnings)."""
    files = os.path.join(tmp, 'files')
    with open(files, 'w', encoding='utf-8') as f:
        f.write('\n'.join(read_list(os.path.join(root, 'po', 'POTFILES.in'))) + '\n')
    pot = os.path.join(tmp, 'now.pot')
    proc = subprocess.run(['xgettext', *XGETTEXT_ARGS, '--package-name=sip-doctor',
                           '--directory', root, '--files-from', files, '--output', pot],
                          capture_output=True, text=True, env=dict(os.environ, LC_ALL='C'))
    if proc.returncode != 0:
        raise RuntimeError('xgettext failed:\n' + proc.stderr)
    return parse_po(pot), BROKEN_FORMAT.findall(proc.stderr)


def check(root):
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        template, broken = extract(root, tmp)
    for where, reason in broken:
        errors.append(f'{where}: a format macro inside a translatable string cuts the msgid short '
                      f'({reason}); write the number with a plain conversion (%lu, %lld) and a cast')
    wanted = {key(e) for e in template if e['id'] != ''}
    if not wanted:
        errors.append('xgettext found no translatable string at all')

    langs = [w for ln in read_list(os.path.join(root, 'po', 'LINGUAS')) for w in ln.split()]
    if not langs:
        errors.append('po/LINGUAS lists no language')
    for lang in langs:
        path = os.path.join(root, 'po', lang + '.po')
        rel = f'po/{lang}.po'
        if not os.path.exists(path):
            errors.append(f'{rel} does not exist')
            continue
        entries = parse_po(path)
        header = next((e for e in entries if e['id'] == '' and e['ctxt'] is None), None)
        forms = None
        if header is not None:
            m = re.search(r'^Plural-Forms:\s*(.*?)\s*$', header['strs'].get(0, ''), re.M)
            forms = m.group(1) if m else None
        if forms is None:
            errors.append(f'{rel}: no Plural-Forms header')
        elif lang in PLURAL_FORMS and forms != PLURAL_FORMS[lang]:
            errors.append(f'{rel}: Plural-Forms is "{forms}", expected "{PLURAL_FORMS[lang]}"')
        nplurals = int(re.search(r'nplurals\s*=\s*(\d+)', forms).group(1)) if forms else 2

        have = set()
        for e in entries:
            if e['id'] == '' and e['ctxt'] is None:
                continue
            have.add(key(e))
            if e['fuzzy']:
                errors.append(f'{rel}: fuzzy: "{short(e["id"])}"')
            expected = range(nplurals) if e['plural'] is not None else [0]
            if any(e['strs'].get(i, '') == '' for i in expected):
                errors.append(f'{rel}: untranslated: "{short(e["id"])}"')
        for k in sorted(wanted - have):
            errors.append(f'{rel}: out of date, missing: "{short(k)}" '
                          '(run: ninja -C _build sip-doctor-pot sip-doctor-update-po, then translate)')
        for k in sorted(have - wanted):
            errors.append(f'{rel}: out of date, no longer in the sources: "{short(k)}" '
                          '(run: ninja -C _build sip-doctor-pot sip-doctor-update-po)')
    return errors


def self_test():
    """A string added to a source without translation, a fuzzy entry, a
    missing plural form and a format macro must each be caught; a complete
    tree must pass."""
    ok = True
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, 'po'))
        os.makedirs(os.path.join(root, 'app'))

        def write(rel, text):
            with open(os.path.join(root, rel), 'w', encoding='utf-8') as f:
                f.write(text)

        write('po/LINGUAS', 'de\n')
        write('po/POTFILES.in', '# sources\napp/a.c\n')
        write('app/a.c', 'x = _("Hello");\ny = g_dngettext (P, "%u day", "%u days", n);\n')
        head = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n')
        good = (head + 'msgid "Hello"\nmsgstr "Hallo"\n\n'
                '#, c-format\nmsgid "%u day"\nmsgid_plural "%u days"\n'
                'msgstr[0] "%u Tag"\nmsgstr[1] "%u Tage"\n')
        cases = [
            ('complete', good, None, []),
            ('new string in the sources', good, 'x = _("Hello");\nz = _("New");\n'
             'y = g_dngettext (P, "%u day", "%u days", n);\n', ['missing: "New"']),
            ('string gone from the sources', good, 'x = _("Hello");\n', ['no longer in the sources']),
            ('untranslated', good.replace('"Hallo"', '""'), None, ['untranslated: "Hello"']),
            ('fuzzy', good.replace('msgid "Hello"', '#, fuzzy\nmsgid "Hello"'), None, ['fuzzy: "Hello"']),
            ('a plural form missing', good.replace('"%u Tage"', '""'), None, ['untranslated: "%u day"']),
            ('wrong plural rule', good.replace('(n != 1)', '(n > 1)'), None, ['Plural-Forms is']),
            ('format macro in _()', good, 'x = _("Hello");\n'
             'y = g_dngettext (P, "%u day", "%u days", n);\n'
             'g_set_error (e, D, 1, _("at byte %" G_GSIZE_FORMAT), n);\n',
             ['cuts the msgid short']),
        ]
        source = open(os.path.join(root, 'app', 'a.c'), encoding='utf-8').read()
        for name, po, src, expect in cases:
            write('po/de.po', po)
            write('app/a.c', src if src is not None else source)
            errors = check(root)
            if not expect:
                passed = errors == []
            else:
                passed = all(any(x in e for e in errors) for x in expect)
            print(f'{"ok  " if passed else "FAIL"} {name}: {errors}')
            ok = ok and passed
    return 0 if ok else 1


def main():
    if len(sys.argv) == 2 and sys.argv[1] == '--self-test':
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if shutil.which('xgettext') is None:
        print('xgettext is not installed (package gettext)', file=sys.stderr)
        return 1
    errors = check(sys.argv[1])
    for e in errors:
        print(e)
    if not errors:
        print('every language is complete and current')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
