#!/usr/bin/env python3
"""Check the GSettings schema holds the keys the app relies on, with the
right types, and nothing that could store a secret.

Usage: check-schema.py SCHEMA.gschema.xml
"""
import re
import sys
import xml.etree.ElementTree as ET

SCHEMA_ID = 'io.github.sipdoctor.SipDoctor'
SCHEMA_PATH = '/io/github/sipdoctor/SipDoctor/'
EXPECTED = {
    # key: (type or 'enum:<nicks>', default)
    'last-address': ('s', "''"),
    'last-sign-in': ('s', "''"),
    'last-server': ('s', "''"),
    'last-transport': ('enum:auto,tls,tcp,udp', "'auto'"),
    'last-client': ('enum:generic,wm5,ocs,lync', "'generic'"),
    'last-dns-server': ('s', "''"),
    'last-ca-file': ('s', "''"),
    'strict-dns-naming': ('b', 'false'),
    'timeout': ('u', '5'),
    'window-width': ('i', None),
    'window-height': ('i', None),
    'window-maximized': ('b', 'false'),
}
SECRET = re.compile(r'pass|secret|token|credential|hash|key-?file', re.I)


def main():
    root = ET.parse(sys.argv[1]).getroot()
    errors = []
    enums = {e.get('id'): [v.get('nick') for v in e.findall('value')]
             for e in root.findall('enum')}
    schemas = {s.get('id'): s for s in root.findall('schema')}
    schema = schemas.get(SCHEMA_ID)
    if schema is None:
        print(f'no schema with id {SCHEMA_ID}')
        return 1
    if schema.get('path') != SCHEMA_PATH:
        errors.append(f'path is {schema.get("path")!r}, expected {SCHEMA_PATH!r}')

    keys = {k.get('name'): k for k in schema.findall('key')}
    for name, (typ, default) in EXPECTED.items():
        k = keys.get(name)
        if k is None:
            errors.append(f'missing key {name}')
            continue
        if typ.startswith('enum:'):
            nicks = enums.get(k.get('enum'))
            if nicks != typ[5:].split(','):
                errors.append(f'{name}: enum nicks {nicks}, expected {typ[5:]}')
        elif k.get('type') != typ:
            errors.append(f'{name}: type {k.get("type")!r}, expected {typ!r}')
        if default is not None and (k.findtext('default') or '').strip() != default:
            errors.append(f'{name}: default {k.findtext("default")!r}, expected {default!r}')

    rng = keys['timeout'].find('range') if 'timeout' in keys else None
    if rng is None or (rng.get('min'), rng.get('max')) != ('1', '120'):
        errors.append('timeout must have range 1..120')

    for s in schemas.values():
        for k in s.findall('key'):
            if SECRET.search(k.get('name', '')):
                errors.append(f'key {k.get("name")!r} looks like a secret: '
                              'passwords are never stored in settings')

    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
