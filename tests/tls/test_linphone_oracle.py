#!/usr/bin/env python3
"""The certificate name rule of standard SIP clients, with linphone as the
oracle.

linphone (linphone-cli) really signs in over TLS, certificate and name
verification on, against a TLS registrar of the lab serving one lab
certificate after another; sip-doctor-cli (generic profile) checks the same
server.  Our name verdict must be linphone's on every certificate case, for
a server found through DNS (RFC 3263: linphone checks the SIP domain, as RFC
5922 says, never the SRV target) and for a configured server (it checks the
name configured).

Everything runs inside the lab's network namespace (root only): belle-sip,
linphone's resolver, reads /etc/resolv.conf, which points at the lab's
dnsmasq there; nothing reaches the machine's own resolver or network.

Run: meson test -C _build --suite tls   (or SD_CLI=… python3 tests/tls/test_linphone_oracle.py -v)
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402

LAB = None
NS = None
# The namespace's zone (sip=False) points _sips._tcp and _sip._tls of
# example.test at sip.example.test:5061, inside the namespace.
PORT = 5061
# Every certificate of the lab that Kamailio or the Python TLS peers serve
# elsewhere, one case each: names (right, SRV target only, domain only,
# URI:sip: only, the domain in the CN only next to a subjectAltName,
# wildcard, wrong, the Microsoft pool's) and trust/time
# (expired, not yet valid, self-signed, missing intermediate).
CASES = ['good', 'strict-sip', 'strict-domain', 'urisip', 'cn-domain-uri-other', 'wildcard', 'wrongname',
         'lcs', 'expired', 'notyet', 'selfsigned', 'nointer']


def setUpModule():
    global LAB, NS
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli is not built (set SD_CLI)')
    if sdlab.find_program('linphonec') is None:
        raise unittest.SkipTest('linphonec is not installed (linphone-cli, tools/install-deps.sh)')
    LAB = sdlab.Lab(sip=False, sip256=False, peers=False, sipp=False)
    try:
        NS = LAB.netns()
    except sdlab.LabError as e:
        LAB.stop()
        LAB = None
        raise unittest.SkipTest('no network namespace: %s' % e)


def tearDownModule():
    if LAB is not None:
        LAB.stop()


class LinphoneOracle(unittest.TestCase):
    def our_verdict(self, extra=()):
        args = ['alice@example.test', '--transport', 'tls', '--dns-server', '127.0.0.1:53',
                '--ca-file', LAB.pki.ca_file, '--json', '--timeout', '5', '--until', 'tls'] + list(extra)
        res = sdlab.run_cli(args, timeout=60, netns=NS)
        self.assertIsNotNone(res.report, res.stderr[-2000:])
        self.assertIn(res.rc, (0, 1), res.stderr[-2000:])
        data = res.report['steps']['tls']['data']
        self.assertEqual(data.get('handshake'), 'ok', data)
        name = [c for c in data['checks'] if c['id'] == 'name'][0]
        return res.report, data, name

    def compare(self, cert, proxy, extra, rule, identity):
        reg = sdlab.TlsRegistrar(LAB, LAB.pki[cert], port=PORT, netns=NS, name='registrar-' + cert)
        try:
            ref = sdlab.linphone_register(LAB, NS, proxy)
            report, data, name = self.our_verdict(extra)
        finally:
            reg.stop()
        self.assertIsNotNone(ref.flags, 'linphone did not show its certificate verdict')
        # the identity linphone checks is the one we say is checked
        self.assertEqual(ref.cname, identity)
        self.assertEqual(data['name_rule'], rule)
        self.assertEqual(data['name_identity'], identity)
        self.assertIn(identity, name['message'])
        why = '%s: linphone %r, ours %s: %s' % (cert, ref, name['result'], name['message'])
        if name['result'] == 'pass':
            self.assertFalse(ref.name_mismatch, why)
            # and the whole verdict: linphone signs in exactly when we trust the server
            self.assertEqual(ref.registered, data['trusted'], why)
        elif name['result'] == 'fail':
            self.assertTrue(ref.name_mismatch, why)
            self.assertFalse(ref.registered, why)
            self.assertFalse(data['trusted'], why)
            f = sdlab.find_finding(report, 'tls.name-mismatch')
            self.assertEqual(f['severity'], 'error', why)
        else:
            # warn: named only in a URI:sip: name (RFC 5922 allows it); said to
            # be refused by clients that check DNS names, as linphone does
            self.assertEqual(name['result'], 'warn', why)
            self.assertTrue(ref.name_mismatch, why)
            self.assertFalse(ref.registered, why)
            self.assertIn('Linphone', name['message'])
        return ref, name

    def test_found_through_dns(self):
        # RFC 3263 + RFC 5922: the SIP domain, not the SRV target sip.example.test
        verdicts = {}
        for cert in CASES:
            with self.subTest(cert=cert):
                ref, name = self.compare(cert, '<sip:example.test;transport=tls>', [],
                                         'rfc5922-domain', 'example.test')
                verdicts[cert] = name['result']
        # the case: the certificate names the SRV target only
        self.assertEqual(verdicts.get('strict-sip'), 'fail')
        self.assertEqual(verdicts.get('strict-domain'), 'pass')
        self.assertEqual(verdicts.get('good'), 'pass')
        self.assertEqual(verdicts.get('cn-domain-uri-other'), 'fail')

    def test_configured_server(self):
        # A configured server (outbound proxy): the name configured.
        verdicts = {}
        for cert in ('good', 'strict-sip', 'strict-domain', 'wildcard', 'wrongname', 'urisip'):
            with self.subTest(cert=cert):
                ref, name = self.compare(cert, '<sip:sip.example.test;transport=tls>',
                                         ['--server', 'sip.example.test:%d' % PORT],
                                         'configured-server', 'sip.example.test')
                verdicts[cert] = name['result']
        self.assertEqual(verdicts.get('strict-sip'), 'pass')
        self.assertEqual(verdicts.get('strict-domain'), 'fail')


if __name__ == '__main__':
    unittest.main(verbosity=2)
