#!/usr/bin/env python3
"""Sign-in against a second, independent registrar: ejabberd's mod_sip.

Kamailio is not the only SIP server: a behaviour only it has must not pass
for SIP. ejabberd answers OPTIONS without credentials with 407 (Kamailio
with 200), puts rport but no received in its Via, and has its own Digest
(MD5, qop=auth). Over UDP, TCP and TLS the sign-in works, and a wrong
password is rejected. Run: meson test -C _build --suite sip.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402

TIMEOUT = 3
NO_TICKET_ENV = {'KRB5CCNAME': 'FILE:/nonexistent/sip-doctor-test-ccache'}
LAB = None


def setUpModule():
    global LAB
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli not built')
    if sdlab.find_program('erl') is None:
        raise unittest.SkipTest('ejabberd is not installed (tools/install-deps.sh installs it)')
    LAB = sdlab.Lab(sip=False, sip256=False, peers=False, sipp=False, ejabberd=True)


def tearDownModule():
    if LAB is not None:
        LAB.stop()


def codes(report):
    return [f['code'] for f in report['findings']]


class Ejabberd(unittest.TestCase):
    maxDiff = None

    def run_cli(self, transport, password=None):
        port = LAB.ejabberd.ports[transport]
        args = LAB.cli_base('alice@example.test') + [
            '--server', 'sip.example.test:%d' % port, '-t', transport,
            '--timeout', str(TIMEOUT), '--json',
            '--password-file', LAB.password_file('alice', password=password)]
        r = sdlab.run_cli(args, timeout=60, env=dict(NO_TICKET_ENV))
        self.assertIsNotNone(r.report, 'no JSON; stderr: ' + r.stderr[-2000:])
        self.assertNotIn('CRITICAL', r.stderr)
        self.assertNotIn('Sanitizer', r.stderr)
        self.assertNotIn('runtime error:', r.stderr)
        return r

    def test_sign_in_over_each_transport(self):
        for transport in ('udp', 'tcp', 'tls'):
            with self.subTest(transport=transport):
                r = self.run_cli(transport)
                self.assertEqual(r.rc, 0, codes(r.report))
                ok = sdlab.find_finding(r.report, 'auth.ok')
                self.assertIsNotNone(ok, codes(r.report))
                # Digest over UDP/TCP is an info finding (not encrypted), nothing worse.
                self.assertIn(r.report['steps']['auth']['status'], ('pass', 'warn'))
                self.assertEqual(ok['severity'], 'info')
                sip = r.report['steps']['sip']
                # 407 to OPTIONS is ejabberd asking for credentials, not a broken server.
                self.assertEqual(sip['data']['options_status'], 407)
                self.assertEqual(sip['status'], 'pass', codes(r.report))
                self.assertFalse([c for c in codes(r.report) if c.startswith('sip.')], codes(r.report))
                self.assertEqual(sip['data']['challenges'][0]['scheme'], 'Digest')
                self.assertIn('ejabberd', sip['data']['server_header'])
                # On loopback the server sees this computer as it is: no NAT, no ALG.
                self.assertNotIn('sip.nat-detected', codes(r.report))
                self.assertNotIn('sip.alg-detected', codes(r.report))
                self.assertEqual(r.report['steps']['sip']['data']['exchanges'][0]['transport'], transport)

    def test_keepalive_ping_unanswered(self):
        """ejabberd does not answer a CRLF keep-alive ping (RFC 5626), unlike
        Kamailio: the probe says so, within its timeout, and the sign-in stands."""
        r = self.run_cli('tls')
        self.assertEqual(r.rc, 0, codes(r.report))
        probes = r.report['steps']['sip']['data']['network']['probes']
        tls = [p for p in probes if p['transport'] == 'tls' and p['size'] == 0]
        self.assertEqual(len(tls), 1, probes)
        self.assertEqual(tls[0]['outcome'], 'answered')
        self.assertEqual(tls[0]['status'], 407)
        self.assertEqual(tls[0]['keepalive'], 'no-answer')
        notes = [e['text'] for e in r.report['trace'] if e['direction'] == 'note']
        self.assertIn('Sent a keep-alive ping (CRLF CRLF, RFC 5626).', notes)
        self.assertNotIn('Received a keep-alive pong (CRLF, RFC 5626).', notes)

    def test_wrong_password_rejected(self):
        for transport in ('udp', 'tls'):
            with self.subTest(transport=transport):
                r = self.run_cli(transport, password='not-the-password')
                self.assertEqual(r.rc, 1, codes(r.report))
                f = sdlab.find_finding(r.report, 'auth.rejected')
                self.assertIsNotNone(f, codes(r.report))
                self.assertEqual(f['severity'], 'error')
                self.assertIsNone(sdlab.find_finding(r.report, 'auth.ok'))
                self.assertEqual(r.report['steps']['sip']['status'], 'pass', codes(r.report))
                self.assertNotIn('not-the-password', r.stdout)


if __name__ == '__main__':
    unittest.main(verbosity=2)
