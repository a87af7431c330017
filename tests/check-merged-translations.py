#!/usr/bin/env python3
"""Check that every language in po/LINGUAS reached the built desktop file and
metainfo (the po -> merge_file pipeline works and the strings are translated).

Usage: check-merged-translations.py LINGUAS DESKTOP METAINFO
"""
import sys
import xml.etree.ElementTree as ET

XML_LANG = '{http://www.w3.org/XML/1998/namespace}lang'


def main():
    linguas, desktop, metainfo = sys.argv[1:4]
    langs = [w for ln in open(linguas, encoding='utf-8')
             if not ln.lstrip().startswith('#') for w in ln.split()]
    entries = {}
    for ln in open(desktop, encoding='utf-8'):
        if '=' in ln and not ln.startswith('#'):
            k, v = ln.rstrip('\n').split('=', 1)
            entries[k] = v
    root = ET.parse(metainfo).getroot()
    summaries = {s.get(XML_LANG): s.text for s in root.findall('summary')}
    errors = []
    for lang in langs:
        for key in ('GenericName', 'Comment', 'Keywords'):
            v = entries.get(f'{key}[{lang}]')
            if not v or v == entries.get(key):
                errors.append(f'{desktop}: {key}[{lang}] is missing or untranslated')
        kw = entries.get(f'Keywords[{lang}]', '')
        if kw and not kw.endswith(';'):
            errors.append(f'{desktop}: Keywords[{lang}] must end with a semicolon')
        s = summaries.get(lang)
        if not s or s == summaries.get(None):
            errors.append(f'{metainfo}: summary for {lang} is missing or untranslated')
    for e in errors:
        print(e)
    if not errors:
        print(f'translated for: {" ".join(langs)}')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
