#!/usr/bin/env python3
"""Check the app icons: a 128x128 full-colour icon and a 16x16 symbolic one
made only of filled shapes in #2e3436 (GTK recolours fills, not strokes),
and, when rsvg-convert is present, that both render to something visible.

Usage: check-icons.py FULLCOLOUR.svg SYMBOLIC.svg
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SVG = '{http://www.w3.org/2000/svg}'


def check_viewbox(path, root, size, errors):
    vb = (root.get('viewBox') or '').split()
    if vb != ['0', '0', str(size), str(size)]:
        errors.append(f'{path}: viewBox {root.get("viewBox")!r}, expected 0 0 {size} {size}')


def check_symbolic(path, root, errors):
    for el in root.iter():
        for attr in ('fill', 'stroke'):
            v = el.get(attr)
            if v is None or v == 'none':
                continue
            if attr == 'stroke':
                errors.append(f'{path}: symbolic icons must not use strokes ({el.tag})')
            elif v.lower() != '#2e3436':
                errors.append(f'{path}: fill {v} is not #2e3436')
        style = el.get('style') or ''
        if re.search(r'stroke\s*:\s*(?!none)', style):
            errors.append(f'{path}: symbolic icons must not use strokes (style)')
        if el.tag in (SVG + 'linearGradient', SVG + 'radialGradient', SVG + 'image'):
            errors.append(f'{path}: symbolic icons must be flat ({el.tag})')


def check_renders(path, size, errors):
    rsvg = shutil.which('rsvg-convert')
    if rsvg is None:
        return
    with tempfile.TemporaryDirectory() as d:
        png = os.path.join(d, 'icon.png')
        r = subprocess.run([rsvg, '-w', str(size), '-h', str(size), path, '-o', png],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            errors.append(f'{path}: rsvg-convert failed: {r.stderr.strip()}')
            return
        data = open(png, 'rb').read()
        if not data.startswith(b'\x89PNG') or len(data) < 200:
            errors.append(f'{path}: renders to an empty image')


def main():
    colour, symbolic = sys.argv[1], sys.argv[2]
    errors = []
    try:
        croot = ET.parse(colour).getroot()
        sroot = ET.parse(symbolic).getroot()
    except (ET.ParseError, OSError) as e:
        print(f'cannot read icon: {e}')
        return 1
    check_viewbox(colour, croot, 128, errors)
    check_viewbox(symbolic, sroot, 16, errors)
    check_symbolic(symbolic, sroot, errors)
    check_renders(colour, 128, errors)
    check_renders(symbolic, 16, errors)
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
