#!/usr/bin/env python3
"""The CLI's default text output fits on one screen; --verbose and the
report file keep everything; a terminal without UTF-8 gets ASCII quotes.

One single-fault run against the lab: alice@example.test without --ca-file,
so Kamailio's certificate chain ends at the lab's root, which the system does
not trust (tls.untrusted-root, whose message quotes the authorities' names).
The lab's dnsmasq answers every name (--dns-server).
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402

CLI = os.environ.get('SD_CLI') or sdlab.cli_path()
TIMEOUT = 3
# The CLI ends on its own well before this; it only guards against a hang.
HANG_GUARD = 6 * TIMEOUT + 10
SCREEN_LINES = 40

STEP_IDS = sdlab.step_ids(CLI)
# What only the details hold: a certificate (PEM and its fingerprint), the
# check data headings and the protocol trace.
DETAILS = ['-----BEGIN CERTIFICATE-----', 'sha256: ', 'not_after: ',
           'Secure connection (TLS) (tls)', 'Protocol trace (credentials redacted)',
           'OPTIONS sip:example.test SIP/2.0']
QUOTES = ('\u201c', '\u201d')


class Output(unittest.TestCase):
    lab = None

    @classmethod
    def setUpClass(cls):
        cls.lab = sdlab.Lab(sip256=False, peers=False, sipp=False)
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
        cls.lab.stop()

    def run_cli(self, extra=(), lang='C.UTF-8'):
        args = [CLI, 'alice@example.test', '--dns-server', self.lab.dns_server,
                '--timeout', str(TIMEOUT)] + list(extra)
        env = dict(os.environ, LANG=lang, LC_ALL=lang, TZ='UTC')
        proc = subprocess.run(args, capture_output=True, env=env, timeout=HANG_GUARD,
                              stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stdout, proc.stderr.decode('utf-8', 'replace')

    def assert_acts_on(self, out):
        """The verdict, the summary, each finding with its advice, the checks."""
        self.assertIn('Verdict: Problems found\n', out)
        self.assertRegex(out, r'(?m)^Summary: alice@example\.test cannot sign in: .*tls\.untrusted-root')
        for code in ('tls.untrusted-root', 'auth.no-password'):
            self.assertRegex(out, r'(?m)^  \[\w+\] %s ' % code.replace('.', r'\.'))
        self.assertEqual(out.count('      What to do: '), 2, out)
        self.assertIn('as a trusted root authority', out)
        for step in STEP_IDS:
            self.assertRegex(out, r'(?m)^  %s +(pass|warn|fail|skip) ' % step)

    def test_default_fits_one_screen(self):
        code, raw, err = self.run_cli()
        out = raw.decode('utf-8')
        self.assertEqual(code, 1, err)
        self.assertLessEqual(len(out.splitlines()), SCREEN_LINES, out)
        self.assert_acts_on(out)
        self.assertIn('--verbose', out)
        for detail in DETAILS:
            self.assertNotIn(detail, out)
        self.assertNotIn('\nInput\n', out)

    def test_verbose_and_report_keep_details(self):
        report = os.path.join(self.tmp.name, 'r.txt')
        for extra in (['--verbose'], ['-v']):
            with self.subTest(extra=extra):
                code, raw, err = self.run_cli(extra)
                out = raw.decode('utf-8')
                self.assertEqual(code, 1, err)
                self.assert_acts_on(out)
                self.assertGreater(len(out.splitlines()), SCREEN_LINES)
                self.assertIn('\nInput\n', out)
                for detail in DETAILS:
                    self.assertIn(detail, out)
        code, raw, err = self.run_cli(['--report', report])
        self.assertEqual(code, 1, err)
        self.assertLessEqual(len(raw.decode('utf-8').splitlines()), SCREEN_LINES)
        with open(report, encoding='utf-8') as f:
            text = f.read()
        self.assert_acts_on(text)
        self.assertIn('\nInput\n', text)
        for detail in DETAILS:
            self.assertIn(detail, text)
        # The file is the whole report, without the terminal's hint.
        self.assertNotIn('Run with --verbose', text)

    def test_json_unchanged_by_verbose(self):
        code, raw, err = self.run_cli(['--json'])
        self.assertEqual(code, 1, err)
        self.assertTrue(raw.startswith(b'{'), raw[:200])
        self.assertIn(b'-----BEGIN CERTIFICATE-----', raw)

    def test_ascii_without_utf8_locale(self):
        code, utf8, err = self.run_cli()
        self.assertEqual(code, 1, err)
        self.assertIn(QUOTES[0], utf8.decode('utf-8'))
        self.assertIn(QUOTES[1], utf8.decode('utf-8'))
        self.assertIn('\u2014', utf8.decode('utf-8'))
        for extra in ([], ['--verbose']):
            with self.subTest(extra=extra):
                code, raw, err = self.run_cli(extra, lang='C')
                self.assertEqual(code, 1, err)
                high = [b for b in raw if b >= 0x80]
                self.assertEqual(high, [], raw[:2000])
                out = raw.decode('ascii')
                self.assert_acts_on(out)
                # Where the UTF-8 run had “…”, plain double quotes, never "?".
                self.assertIn('root authority "CN=SIP Doctor Lab Root CA,O=SIP Doctor Lab"', out)
                self.assertNotIn('?CN=', out)
                self.assertNotIn('Lab?', out)
                self.assertRegex(out, r'(?m)^  \[Error\] tls\.untrusted-root - The chain ends at "')


if __name__ == '__main__':
    if not os.access(CLI, os.X_OK):
        print('1..0 # SKIP no sip-doctor-cli built')
        sys.exit(77)
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
