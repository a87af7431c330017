#!/usr/bin/env python3
"""Revocation as Windows clients check it, and the intermediate fetched
through AIA, against real peers.

A PKI made by certtool at run time (sdlab_web.RevocationPki) whose leaves
name CRL distribution points, OCSP responders and caIssuers URLs on
loopback ports: the CRLs and the intermediate served over HTTP by the
lab's web peers (which count every request), OpenSSL's own OCSP responder
(`openssl ocsp`, which logs every request), a port nothing listens on and
a server that never answers. Each leaf is served by a recording TLS SIP
registrar; the CLI signs in with a password file, and the tests read its
JSON report and what the peers saw.

`openssl ocsp -port` binds every interface, so the whole test runs in a
network namespace of its own with nothing but lo: it re-runs itself under
`unshare -n` (root only; exit 77, a skip, otherwise).

Run: meson test -C _build test-revocation   (or SD_CLI=… python3 tests/tls/test_revocation.py -v)
"""

import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
sys.path.insert(0, HERE)
import sdlab  # noqa: E402
import sdlab_web  # noqa: E402
from test_forged_certs import RecordingRegistrar  # noqa: E402

INSIDE = 'SD_REVOCATION_NETNS'
TIMEOUT = 2
LAB = None
WEB = None
PKI = None
OCSP = None
DEAD_PORT = None
TMP = None


def setUpModule():
    global LAB, WEB, PKI, OCSP, DEAD_PORT, TMP
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli is not built (set SD_CLI)')
    TMP = tempfile.TemporaryDirectory(prefix='sd-revocation-')
    LAB = sdlab.Lab(sip=False, sip256=False, peers=False, sipp=False)
    files = os.path.join(TMP.name, 'pki')
    os.makedirs(files)
    WEB = sdlab_web.WebPeers(TMP.name, files=files)
    ocsp_port = sdlab.free_port(udp=False)
    DEAD_PORT = sdlab.free_port(udp=False)
    PKI = sdlab_web.RevocationPki(files, WEB.ports['http'], ocsp_port, DEAD_PORT, WEB.ports['silent'])
    OCSP = sdlab_web.OcspResponder(PKI, ocsp_port, TMP.name)


def tearDownModule():
    for thing in (OCSP, WEB):
        if thing is not None:
            thing.close()
    if LAB is not None:
        LAB.stop()
    if TMP is not None:
        TMP.cleanup()


def crl_requests():
    """Requests the CRL/AIA web server received, by path."""
    return dict(WEB.stats().get('http', {}))


class Base(unittest.TestCase):
    maxDiff = None

    def sign_in(self, leaf, extra=(), client='generic'):
        c = PKI.leaves[leaf]
        peer = RecordingRegistrar(c['chain'], c['key'])
        self.addCleanup(peer.close)
        args = ['alice@example.test', '--server', 'sip.example.test:%d' % peer.port,
                '--transport', 'tls', '--dns-server', LAB.dns_server, '--json', '--client', client,
                '--timeout', str(TIMEOUT), '--password-file', LAB.password_file('alice'),
                '--ca-file', PKI.ca_file] + list(extra)
        start = time.monotonic()
        res = sdlab.run_cli(args, timeout=60)
        self.elapsed = time.monotonic() - start
        self.assertIsNotNone(res.report, 'no JSON report: rc=%s\n%s' % (res.rc, res.stderr[-3000:]))
        self.assertIn(res.rc, (0, 1), res.stderr[-3000:])
        self.assertNotRegex(res.stderr, r'Sanitizer|runtime error|CRITICAL|WARNING')
        return res.report, peer

    def tls(self, report):
        return report['steps']['tls']

    def codes(self, report):
        return sorted(f['code'] for f in report['findings'] if f['step'] == 'tls')

    def finding(self, report, code):
        f = sdlab.find_finding(report, code)
        self.assertIsNotNone(f, 'no %s in %s' % (code, self.codes(report)))
        self.assertTrue(f['message'] and f['advice'])
        return f

    def check(self, report, check_id):
        return next(c for c in self.tls(report)['data']['checks'] if c['id'] == check_id)

    def leaf_revocation(self, report):
        rev = self.tls(report)['data']['revocation']
        self.assertTrue(rev['checked'])
        leaf = rev['certificates'][0]
        self.assertEqual(leaf['index'], 0)
        return leaf

    def sources(self, cert, kind):
        return [s for s in cert['sources'] if s['kind'] == kind]

    def assert_credentials_sent(self, peer, sent):
        self.assertTrue(any(r.startswith(b'REGISTER') for r in peer.requests),
                        'the registrar got no REGISTER at all')
        self.assertEqual(bool(peer.authorizations()), sent)


class Revocation(Base):
    def test_good(self):
        aia_before = crl_requests().get('/file/inter.der', 0)
        report, peer = self.sign_in('good')
        tls = self.tls(report)
        self.assertTrue(tls['data']['trusted'])
        # The whole chain was sent: nothing is fetched through AIA.
        self.assertNotIn('aia', tls['data'])
        self.assertEqual(crl_requests().get('/file/inter.der', 0), aia_before)
        leaf = self.leaf_revocation(report)
        self.assertEqual(leaf['status'], 'good')
        self.assertEqual([s['result'] for s in self.sources(leaf, 'ocsp')], ['good'])
        self.assertEqual([s['result'] for s in self.sources(leaf, 'crl')], ['good'])
        self.assertIsNotNone(leaf['expires'])
        self.assertIn('OCSP Responder', self.sources(leaf, 'ocsp')[0]['signer'])
        # The intermediate is checked against the root's CRL.
        inter = self.tls(report)['data']['revocation']['certificates'][1]
        self.assertEqual(inter['index'], 1)
        self.assertEqual(inter['status'], 'good')
        for code in ('tls.revoked', 'tls.revocation-unreachable', 'tls.no-revocation-info',
                     'tls.revocation-ldap-only'):
            self.assertNotIn(code, self.codes(report))
        self.assertEqual(self.check(report, 'revocation')['result'], 'pass')
        self.assert_credentials_sent(peer, True)

    def assert_revoked(self, leaf_name, kind):
        report, peer = self.sign_in(leaf_name)
        tls = self.tls(report)
        f = self.finding(report, 'tls.revoked')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('%x' % PKI.leaves[leaf_name]['serial'], f['message'])
        self.assertEqual(tls['status'], 'fail')
        self.assertFalse(tls['data']['trusted'])
        self.assertFalse(tls['data']['credentials_allowed'])
        leaf = self.leaf_revocation(report)
        self.assertEqual(leaf['status'], 'revoked')
        revoked = [s for s in leaf['sources'] if s['result'] == 'revoked']
        self.assertEqual(sorted(s['kind'] for s in revoked), sorted(kind))
        self.assertIsNotNone(revoked[0]['revoked_at'])
        self.assertEqual(self.check(report, 'revocation')['result'], 'fail')
        # Never credentials to a revoked server.
        self.assert_credentials_sent(peer, False)
        return leaf

    def test_revoked_crl_and_ocsp(self):
        leaf = self.assert_revoked('revoked', ['crl', 'ocsp'])
        self.assertEqual(self.sources(leaf, 'ocsp')[0]['reason'], 'keyCompromise')

    def test_revoked_ocsp_only(self):
        self.assert_revoked('revoked-ocsp', ['ocsp'])

    def test_revoked_crl_only(self):
        self.assert_revoked('revoked-crl', ['crl'])

    def test_unreachable(self):
        report, peer = self.sign_in('unreachable')
        f = self.finding(report, 'tls.revocation-unreachable')
        self.assertEqual(f['severity'], 'warning')
        self.assertIn(str(DEAD_PORT), f['message'])
        self.assertIn('Windows Store', f['advice'])
        leaf = self.leaf_revocation(report)
        self.assertEqual(leaf['status'], 'unknown')
        self.assertEqual({s['result'] for s in leaf['sources']}, {'unreachable'})
        self.assertEqual({s['fetch']['error_kind'] for s in leaf['sources']}, {'refused'})
        # A warning: the chain is still trusted, as by the desktop clients.
        self.assertTrue(self.tls(report)['data']['trusted'])
        self.assertEqual(self.tls(report)['status'], 'warn')
        self.assertEqual(self.check(report, 'revocation')['result'], 'warn')
        self.assert_credentials_sent(peer, True)

    def test_silent_server(self):
        """CRL and OCSP on a server that accepts and never answers: the
        step ends, each source timed out, with the finding."""
        report, peer = self.sign_in('silent')
        self.finding(report, 'tls.revocation-unreachable')
        leaf = self.leaf_revocation(report)
        self.assertEqual({s['fetch']['error_kind'] for s in leaf['sources']}, {'timeout'})
        # Hang guard only: the sources are asked together, each bounded by --timeout.
        self.assertLess(self.elapsed, 50)

    def test_ldap_only(self):
        report, peer = self.sign_in('ldap')
        f = self.finding(report, 'tls.revocation-ldap-only')
        self.assertEqual(f['severity'], 'warning')
        self.assertIn('ldap://ldap.example.test', f['message'])
        leaf = self.leaf_revocation(report)
        self.assertEqual(leaf['status'], 'ldap-only')
        self.assertEqual(leaf['sources'], [])
        self.assertNotIn('tls.revocation-unreachable', self.codes(report))

    def test_no_revocation_info(self):
        report, peer = self.sign_in('noinfo')
        f = self.finding(report, 'tls.no-revocation-info')
        self.assertEqual(f['severity'], 'info')
        leaf = self.leaf_revocation(report)
        self.assertEqual(leaf['status'], 'no-info')
        self.assertEqual(leaf['crl_urls'] + leaf['ocsp_urls'] + leaf['ldap_urls'], [])
        self.assertTrue(self.tls(report)['data']['trusted'])


class Aia(Base):
    def test_intermediate_via_aia(self):
        before = crl_requests().get('/file/inter.der', 0)
        report, peer = self.sign_in('aia', client='lync')
        tls = self.tls(report)
        f = self.finding(report, 'tls.intermediate-via-aia')
        self.assertEqual(f['severity'], 'warning')
        self.assertIn('/file/inter.der', f['message'])
        self.assertNotIn('tls.missing-intermediate', self.codes(report))
        chain = tls['data']['chain']
        self.assertEqual(len(chain), 2)
        self.assertTrue(chain[1].get('via_aia'))
        self.assertFalse(chain[0].get('via_aia', False))
        self.assertTrue(tls['data']['aia']['fetched'])
        self.assertTrue(tls['data']['trusted'])
        self.assertEqual(tls['data']['path'], [0, 1])
        self.assertEqual(self.check(report, 'chain')['result'], 'warn')
        self.assertEqual(crl_requests().get('/file/inter.der', 0), before + 1)
        # The fetched intermediate is revocation-checked like a sent one.
        inter = tls['data']['revocation']['certificates'][1]
        self.assertEqual(inter['index'], 1)
        self.assertEqual(inter['status'], 'good')
        self.assert_credentials_sent(peer, True)

    def test_missing_without_aia(self):
        report, peer = self.sign_in('noaia')
        f = self.finding(report, 'tls.missing-intermediate')
        self.assertEqual(f['severity'], 'error')
        self.assertNotIn('tls.intermediate-via-aia', self.codes(report))
        self.assertFalse(self.tls(report)['data']['trusted'])
        self.assertFalse(self.tls(report)['data']['aia']['fetched'])
        self.assert_credentials_sent(peer, False)


class Stapling(Base):
    """A server that staples its OCSP answer (openssl s_server
    -status_file): the answer is used for the leaf, as by Windows, and
    nothing more is fetched for it."""

    def run_stapling(self, leaf):
        server = sdlab_web.StaplingServer(PKI, leaf, sdlab.free_port(udp=False), TMP.name)
        self.addCleanup(server.close)
        args = ['alice@example.test', '--server', 'sip.example.test:%d' % server.port, '--transport', 'tls',
                '--dns-server', LAB.dns_server, '--json', '--timeout', str(TIMEOUT), '--ca-file', PKI.ca_file,
                '--until', 'tls']
        res = sdlab.run_cli(args, timeout=60)
        self.assertIsNotNone(res.report, res.stderr[-3000:])
        self.assertNotRegex(res.stderr, r'Sanitizer|runtime error|CRITICAL|WARNING')
        return res.report

    def test_stapled_good(self):
        ocsp_before = OCSP.requests()
        crl_before = crl_requests().get('/file/inter.crl', 0)
        report = self.run_stapling('good')
        tls = self.tls(report)
        self.assertTrue(tls['data']['ocsp_stapled'])
        leaf = self.leaf_revocation(report)
        self.assertEqual(leaf['status'], 'good')
        self.assertEqual([(s['kind'], s['result']) for s in leaf['sources']], [('ocsp-stapled', 'good')])
        self.assertIsNotNone(leaf['expires'])
        # Nothing fetched for the leaf: not its responder, not its CRL.
        self.assertEqual(OCSP.requests(), ocsp_before)
        self.assertEqual(crl_requests().get('/file/inter.crl', 0), crl_before)
        self.assertTrue(tls['data']['trusted'])

    def test_stapled_revoked(self):
        report = self.run_stapling('revoked')
        f = self.finding(report, 'tls.revoked')
        self.assertIn('stapled', f['message'])
        leaf = self.leaf_revocation(report)
        self.assertEqual(leaf['sources'][0]['kind'], 'ocsp-stapled')
        self.assertEqual(leaf['sources'][0]['result'], 'revoked')
        self.assertFalse(self.tls(report)['data']['trusted'])

    def test_not_stapled(self):
        report, peer = self.sign_in('good')
        self.assertFalse(self.tls(report)['data']['ocsp_stapled'])
        kinds = [s['kind'] for s in self.leaf_revocation(report)['sources']]
        self.assertNotIn('ocsp-stapled', kinds)


class Offline(Base):
    def test_no_revocation_sends_nothing(self):
        """--no-revocation: not one request reaches the CRL server, the OCSP
        responder or the AIA URL, and the data says revocation was not
        checked."""
        crl_before = crl_requests()
        ocsp_before = OCSP.requests()
        for leaf in ('good', 'revoked', 'silent', 'aia'):
            report, peer = self.sign_in(leaf, extra=['--no-revocation'])
            self.assertTrue(report['input']['no_revocation'])
            rev = self.tls(report)['data']['revocation']
            self.assertFalse(rev['checked'])
            self.assertIn('--no-revocation', rev['note'])
            self.assertEqual(rev['requests'], 0)
            self.assertEqual(self.check(report, 'revocation')['result'], 'skip')
            for c in rev['certificates']:
                self.assertEqual(c['status'], 'not-checked')
                self.assertEqual(c['sources'], [])
            for code in ('tls.revoked', 'tls.revocation-unreachable', 'tls.intermediate-via-aia'):
                self.assertNotIn(code, self.codes(report))
        self.assertEqual(crl_requests(), crl_before)
        self.assertEqual(OCSP.requests(), ocsp_before)
        # The control: without the option the same servers are asked.
        self.sign_in('good')
        self.assertGreater(OCSP.requests(), ocsp_before)
        self.assertNotEqual(crl_requests(), crl_before)


def main():
    if os.environ.get(INSIDE) != '1':
        if os.geteuid() != 0 or not sdlab.find_program('unshare'):
            print('1..0 # SKIP needs root and unshare for a network namespace of its own')
            sys.exit(77)
        env = dict(os.environ, **{INSIDE: '1'})
        os.execvpe('unshare', ['unshare', '-n', '--', sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True, timeout=10)
    unittest.main(verbosity=2)


if __name__ == '__main__':
    main()
