#!/usr/bin/env python3
"""The installed wizard carries no test hook: no SD_TEST_* variable name is
in sip-doctor, while sip-doctor-test (the GUI tests' build, never installed)
has them, which shows the check looks in the right place."""
import sys

SHIPPED, TEST_BUILD = sys.argv[1], sys.argv[2]
NAMES = (b'SD_TEST_SAVE_PATH', b'SD_TEST_EXPORT_PATH', b'SD_TEST_')


def names_in(path):
    with open(path, 'rb') as f:
        data = f.read()
    return [n.decode() for n in NAMES if n in data]


shipped = names_in(SHIPPED)
test_build = names_in(TEST_BUILD)
if shipped:
    sys.exit(f'{SHIPPED} holds test hooks: {", ".join(shipped)}')
if 'SD_TEST_SAVE_PATH' not in test_build or 'SD_TEST_EXPORT_PATH' not in test_build:
    sys.exit(f'{TEST_BUILD} lacks the test seam ({test_build}); the check proves nothing')
print('no test hooks in', SHIPPED)
