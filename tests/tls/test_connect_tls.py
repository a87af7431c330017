#!/usr/bin/env python3
"""Connection and TLS, end to end: the built sip-doctor-cli against the lab's
real servers on loopback (Kamailio TLS ports, one certificate each; Python
TLS peers for RSA-1024, SHA-1 and TLS 1.0/1.1; TCP peers that stay silent,
answer plain text, reset or close; a port nothing listens on; a port whose
connect() times out).

Every finding code of the connect and tls steps is produced here by a real
scenario, and the JSON must carry the full chain (with each PEM).

Run: meson test -C _build --suite tls   (or SD_CLI=… python3 tests/tls/test_connect_tls.py -v)
"""

import base64
import hashlib
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402

# The lab's certificates name no CRL distribution point and no OCSP
# responder: every chain that verifies also gets this information
# (tests/tls/test_revocation.py tests revocation itself).
NO_REVOCATION_INFO = 'tls.no-revocation-info'

LAB = None
TIMEOUT = 4   # --timeout for runs that wait on a silent peer
# A run that waits on silent peers must cost one timeout, not one per peer or
# per step. The guard sits below two timeouts, so it fails when a second wait
# creeps in, while leaving room for sanitizer builds on a loaded machine.
HANG_GUARD = 2 * TIMEOUT - 0.5


def setUpModule():
    global LAB
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli is not built (set SD_CLI)')
    LAB = sdlab.Lab(sip256=False, sipp=False)


def tearDownModule():
    if LAB is not None:
        LAB.stop()


def pem_der(pem):
    body = re.search(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----', pem, re.S).group(1)
    return base64.b64decode(''.join(body.split()))


def colon_hex(digest):
    return ':'.join('%02X' % b for b in digest)


class Base(unittest.TestCase):
    def run_cli(self, server, transport='tls', ca=True, address='alice@example.test', extra=(),
                timeout=TIMEOUT, netns=None):
        # --until tls: these tests time the connect and tls steps alone
        args = [address, '--server', server, '--transport', transport, '--json',
                '--timeout', str(timeout), '--until', 'tls']
        if netns is None:
            args += ['--dns-server', LAB.dns_server]
        if ca:
            args += ['--ca-file', LAB.pki.ca_file]
        args += list(extra)
        start = time.monotonic()
        res = sdlab.run_cli(args, timeout=timeout * 4 + 20, netns=netns)
        elapsed = time.monotonic() - start
        self.assertIsNotNone(res.report, 'no JSON report: rc=%s\n%s' % (res.rc, res.stderr))
        # 0 or 1 only: 2 and 3 are usage and internal errors (and a sanitizer's exit code is neither)
        self.assertIn(res.rc, (0, 1), res.stderr[-3000:])
        self.assertNotRegex(res.stderr, r'Sanitizer|runtime error|CRITICAL')
        dns = res.report['steps']['dns']
        if dns.get('status') == 'skip' and dns.get('data', {}).get('built') is False:
            self.skipTest('the DNS step (explicit --server) is not built yet')
        return res.report, res.rc, elapsed

    def tls_run(self, cert, host='sip.example.test', **kw):
        return self.run_cli('%s:%d' % (host, LAB.sip.tls_ports[cert]), **kw)

    def codes(self, report, step):
        return sorted(f['code'] for f in report['findings'] if f['step'] == step)

    def finding(self, report, code):
        f = sdlab.find_finding(report, code)
        self.assertIsNotNone(f, 'no %s in %s' % (code, [x['code'] for x in report['findings']]))
        self.assertTrue(f['message'] and f['advice'])
        return f

    def check(self, report, cid):
        for c in report['steps']['tls']['data']['checks']:
            if c['id'] == cid:
                return c
        self.fail('no check %s' % cid)

    def assert_full_chain(self, report, length):
        data = report['steps']['tls']['data']
        self.assertEqual(data['handshake'], 'ok')
        self.assertIn(data['protocol'], ('TLS 1.2', 'TLS 1.3'))
        self.assertTrue(data['cipher'])
        chain = data['chain']
        self.assertEqual(len(chain), length, [c['subject'] for c in chain])
        for i, c in enumerate(chain):
            der = pem_der(c['pem'])
            # the fingerprints are of exactly the bytes the server sent
            self.assertEqual(c['sha256'], colon_hex(hashlib.sha256(der).digest()))
            self.assertEqual(c['sha1'], colon_hex(hashlib.sha1(der).digest()))
            for member in ('subject', 'issuer', 'serial', 'not_before', 'not_after', 'san', 'key',
                           'signature_algorithm', 'is_ca', 'path_len', 'key_usage',
                           'extended_key_usage', 'self_signed'):
                self.assertIn(member, c)
            if i + 1 < len(chain):
                self.assertEqual(c['issuer'], chain[i + 1]['subject'])
        return chain


class TlsChain(Base):
    def test_good_chain_by_name(self):
        report, rc, _ = self.tls_run('good')
        self.assertEqual(self.codes(report, 'tls'), [NO_REVOCATION_INFO])
        self.assertEqual(report['steps']['tls']['status'], 'pass')
        chain = self.assert_full_chain(report, 2)
        leaf, inter = chain
        self.assertIn('sip.example.test', leaf['san']['dns'])
        self.assertFalse(leaf['is_ca'])
        self.assertIn('serverAuth', leaf['extended_key_usage'])
        self.assertEqual(leaf['key']['type'], 'EC')
        self.assertEqual(leaf['key']['bits'], 256)
        self.assertTrue(inter['is_ca'])
        self.assertIn('Intermediate', inter['subject'])
        data = report['steps']['tls']['data']
        self.assertTrue(data['trusted'])
        self.assertIn('Root CA', data['anchor'])
        for cid in ('trust', 'chain', 'name', 'validity', 'strict-name', 'key', 'signature', 'protocol'):
            self.assertEqual(self.check(report, cid)['result'], 'pass', cid)
        self.assertEqual(self.check(report, 'revocation')['result'], 'skip')
        self.assertEqual(rc, 0)

    def test_same_verdict_as_gnutls_cli(self):
        # Our trust + name decision must agree with GnuTLS's own client.
        for cert, ca in (('good', True), ('good', False), ('nointer', True), ('wrongname', True),
                         ('expired', True), ('selfsigned', True)):
            with self.subTest(cert=cert, ca=ca):
                argv = ['gnutls-cli', '127.0.0.1', '-p', str(LAB.sip.tls_ports[cert]),
                        '--verify-hostname', 'sip.example.test', '--sni-hostname', 'sip.example.test']
                if ca:
                    argv += ['--x509cafile', LAB.pki.ca_file]
                ref = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                     timeout=20)
                report, _, _ = self.tls_run(cert, ca=ca)
                self.assertEqual(report['steps']['tls']['data']['trusted'], ref.returncode == 0,
                                 ref.stdout[-800:] + ref.stderr[-800:])

    def test_untrusted_root(self):
        report, rc, _ = self.tls_run('good', ca=False)
        f = self.finding(report, 'tls.untrusted-root')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('SIP Doctor Lab Root CA', f['message'] + f['advice'])
        self.assertNotIn('tls.missing-intermediate', self.codes(report, 'tls'))
        self.assert_full_chain(report, 2)
        self.assertFalse(report['steps']['tls']['data']['trusted'])
        self.assertEqual(rc, 1)

    def test_ca_file_without_certificates(self):
        # A CRL alone is no CA: said, and the root stays untrusted.
        report, rc, _ = self.tls_run('good', ca=False, extra=['--ca-file', LAB.pki.crl])
        self.assertEqual(rc, 1)
        self.assertEqual(self.finding(report, 'tls.ca-file-empty')['severity'], 'warning')
        self.assertIn('tls.untrusted-root', self.codes(report, 'tls'))

    def test_missing_intermediate(self):
        report, _, _ = self.tls_run('nointer')
        f = self.finding(report, 'tls.missing-intermediate')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('SIP Doctor Lab Intermediate CA', f['message'])
        self.assertIn('SIP Doctor Lab Intermediate CA', f['advice'])
        self.assertNotIn('tls.untrusted-root', self.codes(report, 'tls'))
        self.assertEqual(self.check(report, 'chain')['result'], 'fail')
        self.assert_full_chain(report, 1)
        self.assertFalse(report['steps']['tls']['data']['trusted'])

    def test_missing_intermediate_installed_here(self):
        # This computer trusts the intermediate itself: the chain verifies
        # here, but clients without it fail, so it is still said (a warning).
        report, rc, _ = self.tls_run('nointer', ca=False, extra=['--ca-file', LAB.pki.intermediate])
        f = self.finding(report, 'tls.missing-intermediate')
        self.assertEqual(f['severity'], 'warning')
        self.assertIn('SIP Doctor Lab Intermediate CA', f['message'])
        self.assertTrue(report['steps']['tls']['data']['trusted'])
        self.assertIn('Intermediate', report['steps']['tls']['data']['anchor'])
        self.assertEqual(rc, 0)

    def test_self_signed(self):
        report, _, _ = self.tls_run('selfsigned')
        self.assertEqual(self.codes(report, 'tls'), ['tls.self-signed'])
        chain = self.assert_full_chain(report, 1)
        self.assertTrue(chain[0]['self_signed'])
        self.assertEqual(chain[0]['subject'], chain[0]['issuer'])

    def test_expired(self):
        report, _, _ = self.tls_run('expired')
        self.assertEqual(self.codes(report, 'tls'), sorted(['tls.expired', NO_REVOCATION_INFO]))
        f = self.finding(report, 'tls.expired')
        self.assertRegex(f['message'], r'expired 3[45] days ago')
        self.assertFalse(report['steps']['tls']['data']['trusted'])
        self.assertEqual(self.check(report, 'trust')['result'], 'pass')   # each problem on its own

    def test_not_yet_valid(self):
        report, _, _ = self.tls_run('notyet')
        self.assertEqual(self.codes(report, 'tls'), sorted(['tls.not-yet-valid', NO_REVOCATION_INFO]))
        f = self.finding(report, 'tls.not-yet-valid')
        self.assertRegex(f['message'], r'in (29|30) days')
        self.assertIn('clock', f['advice'])

    def test_wrong_name_lists_names_held(self):
        report, _, _ = self.tls_run('wrongname')
        f = self.finding(report, 'tls.name-mismatch')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('sip.example.test', f['message'])
        self.assertIn('www.other.test', f['message'])
        self.assertIn('other.test', f['message'])
        self.assertFalse(report['steps']['tls']['data']['trusted'])

    def test_by_ip_address_proves_the_connection(self):
        # The guide: TLS to the IP address "will almost always give a
        # certificate error", which proves the connection is established.
        report, _, _ = self.run_cli('127.0.0.1:%d' % LAB.sip.tls_ports['good'])
        f = self.finding(report, 'tls.name-mismatch')
        self.assertIn('127.0.0.1', f['message'])
        self.assertIn('sip.example.test', f['message'])
        self.assertIn('proves', f['message'])
        self.assert_full_chain(report, 2)
        self.assertEqual(self.check(report, 'trust')['result'], 'pass')
        self.assertIn('bad-identity', report['steps']['tls']['data']['backend_errors'])

    def test_wildcard(self):
        report, _, _ = self.tls_run('wildcard')
        self.assertEqual(self.check(report, 'name')['result'], 'pass')
        f = self.finding(report, 'tls.strict-name')
        self.assertEqual(f['severity'], 'warning')
        self.assertIn('RFC 5922', f['message'])
        self.assertTrue(report['steps']['tls']['data']['trusted'])
        strict, _, _ = self.tls_run('wildcard', extra=['--strict-dns-naming'])
        self.assertEqual(self.finding(strict, 'tls.strict-name')['severity'], 'error')

    def test_uri_sip_only(self):
        report, _, _ = self.tls_run('urisip')
        f = self.finding(report, 'tls.name-mismatch')
        self.assertEqual(f['severity'], 'warning')
        self.assertIn('sip:sip.example.test', f['message'])
        self.assertEqual(report['steps']['tls']['data']['chain'][0]['san']['uri'],
                         ['sip:example.test', 'sip:sip.example.test'])
        self.assertEqual(self.check(report, 'strict-name')['result'], 'pass')
        strict, _, _ = self.tls_run('urisip', extra=['--strict-dns-naming'])
        self.assertNotIn('tls.strict-name', self.codes(strict, 'tls'))

    def test_strict_naming(self):
        # High Security Mode: <domain> or sip.<domain> only.
        for cert, host, ok in (('strict-sip', 'sip.example.test', True),
                               ('strict-domain', 'example.test', True),
                               ('lcs', 'lcsserver1.corp.test', False)):
            with self.subTest(cert=cert):
                report, _, _ = self.tls_run(cert, host=host, extra=['--strict-dns-naming'])
                self.assertEqual(self.check(report, 'name')['result'], 'pass')
                if ok:
                    self.assertNotIn('tls.strict-name', self.codes(report, 'tls'))
                else:
                    f = self.finding(report, 'tls.strict-name')
                    self.assertEqual(f['severity'], 'error')
                    self.assertIn('sip.example.test', f['message'])
                    self.assertIn('lcsserver1.corp.test', f['message'])
        # Without strict naming the same certificate is only an info note, for
        # the Microsoft clients that have High Security Mode.
        report, rc, _ = self.tls_run('lcs', host='lcsserver1.corp.test', extra=['--client', 'ocs'])
        self.assertEqual(self.finding(report, 'tls.strict-name')['severity'], 'info')
        self.assertEqual(rc, 0)
        # A standard SIP client has no High Security Mode: nothing said about it.
        report, rc, _ = self.tls_run('lcs', host='lcsserver1.corp.test')
        self.assertNotIn('tls.strict-name', self.codes(report, 'tls'))
        self.assertEqual(self.check(report, 'strict-name')['result'], 'skip')
        self.assertEqual(rc, 0)

    def rule_run(self, cert, extra=(), name='dns-rule'):
        # The deployment: example.test's SRV records point at
        # sip.example.test, whose TLS port presents @cert.
        port = LAB.sip.tls_ports[cert]
        zone = (sdlab.Zone().domain('example.test')
                .srv('_sips._tcp.example.test', 'sip.example.test', port)
                .srv('_sip._tls.example.test', 'sip.example.test', port)
                .srv('_sipinternaltls._tcp.example.test', 'sip.example.test', port)
                .a('sip.example.test'))
        dns = sdlab.start_with_retry(lambda: sdlab.DnsServer(LAB, zone, name='%s-%s' % (name, cert)))
        args = ['alice@example.test', '--transport', 'tls', '--json', '--timeout', str(TIMEOUT),
                '--until', 'tls', '--dns-server', dns.addr, '--ca-file', LAB.pki.ca_file] + list(extra)
        res = sdlab.run_cli(args, timeout=TIMEOUT * 4 + 20)
        self.assertIsNotNone(res.report, res.stderr[-2000:])
        self.assertNotRegex(res.stderr, r'Sanitizer|runtime error|CRITICAL')
        self.assertEqual(res.report['steps']['connect']['data']['selected']['host'], 'sip.example.test')
        return res.report, res.rc

    def test_generic_checks_the_sip_domain_not_the_srv_target(self):
        # RFC 5922: a standard client that found sip.example.test through
        # DNS checks example.test; a certificate naming only the SRV target
        # is a name mismatch (linphone refuses it: test_linphone_oracle.py).
        report, rc = self.rule_run('strict-sip')
        data = report['steps']['tls']['data']
        self.assertEqual((data['name_rule'], data['name_identity']), ('rfc5922-domain', 'example.test'))
        f = self.finding(report, 'tls.name-mismatch')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('SIP domain example.test', f['message'])
        self.assertIn('RFC 5922', f['message'])
        self.assertIn('sip.example.test', f['message'])
        self.assertIn('DNS:example.test', f['advice'])
        self.assertIn('URI:sip:example.test', f['advice'])
        self.assertEqual(self.check(report, 'name')['result'], 'fail')
        self.assertNotEqual(self.check(report, 'strict-name')['result'], 'pass')
        self.assertNotIn('Valid as a SIP domain certificate', ' '.join(c['message'] for c in data['checks']))
        self.assertFalse(data['trusted'])
        self.assertEqual(report['steps']['tls']['status'], 'fail')
        self.assertEqual(rc, 1)

    def test_generic_accepts_a_certificate_for_the_domain(self):
        # The certificate names example.test only, the server is
        # sip.example.test: right for a standard client, and the second
        # opinion (glib-networking) is asked about the same identity.
        report, rc = self.rule_run('strict-domain')
        data = report['steps']['tls']['data']
        self.assertEqual((data['name_rule'], data['name_identity']), ('rfc5922-domain', 'example.test'))
        self.assertEqual(self.check(report, 'name')['result'], 'pass')
        self.assertIn('example.test', self.check(report, 'name')['message'])
        self.assertEqual(self.check(report, 'strict-name')['result'], 'pass')
        self.assertEqual(self.codes(report, 'tls'), [NO_REVOCATION_INFO])
        self.assertEqual(data['backend_verdict'], {'errors': [], 'agrees': True})
        self.assertTrue(data['trusted'])
        self.assertEqual(rc, 0)

    def test_microsoft_profiles_check_the_server_name(self):
        # wm5, ocs, lync: the server's own name (the SRV target), as before.
        for client in ('ocs', 'lync', 'wm5'):
            with self.subTest(client=client):
                report, rc = self.rule_run('strict-sip', extra=['--client', client])
                data = report['steps']['tls']['data']
                self.assertEqual((data['name_rule'], data['name_identity']),
                                 ('server-fqdn', 'sip.example.test'))
                self.assertEqual(self.check(report, 'name')['result'], 'pass')
                self.assertIn('Microsoft', self.check(report, 'name')['message'])
                self.assertNotIn('tls.name-mismatch', self.codes(report, 'tls'))
                self.assertTrue(data['trusted'])
        report, rc = self.rule_run('strict-domain', extra=['--client', 'ocs'], name='dns-rule-ocs')
        data = report['steps']['tls']['data']
        self.assertEqual(data['name_identity'], 'sip.example.test')
        self.assertEqual(self.finding(report, 'tls.name-mismatch')['severity'], 'error')
        self.assertFalse(data['trusted'])
        # High Security Mode on top: <domain> or sip.<domain>, both fine here
        report, rc = self.rule_run('strict-sip', extra=['--client', 'ocs', '--strict-dns-naming'],
                                   name='dns-rule-hsm')
        self.assertEqual(self.check(report, 'strict-name')['result'], 'pass')
        self.assertEqual(self.codes(report, 'tls'), [NO_REVOCATION_INFO])

    def test_configured_server_checks_the_name_typed(self):
        # --server: the name typed, as a client configured with a proxy.
        report, _, _ = self.tls_run('strict-sip')
        data = report['steps']['tls']['data']
        self.assertEqual((data['name_rule'], data['name_identity']), ('configured-server', 'sip.example.test'))
        self.assertEqual(self.check(report, 'name')['result'], 'pass')
        self.assertIn('configured with the server sip.example.test', self.check(report, 'name')['message'])
        self.assertTrue(data['trusted'])

    def test_revoked(self):
        # A CA file may carry the authority's CRL too; then revocation is checked.
        if 'revoked' not in LAB.sip.tls_ports:
            self.skipTest('the lab has no revoked certificate')
        bundle = os.path.join(LAB.dir, 'root-with-crl.pem')
        with open(bundle, 'w') as out:
            for part in (LAB.pki.ca_file, LAB.pki.crl):
                with open(part) as f:
                    out.write(f.read())
        report, rc, _ = self.tls_run('revoked', ca=False, extra=['--ca-file', bundle])
        f = self.finding(report, 'tls.revoked')
        self.assertEqual(f['severity'], 'error')
        self.assertIn(report['steps']['tls']['data']['chain'][0]['serial'], f['message'])
        self.assertEqual(self.check(report, 'revocation')['result'], 'fail')
        self.assertFalse(report['steps']['tls']['data']['trusted'])
        self.assertEqual(rc, 1)
        ref = subprocess.run(['gnutls-cli', '127.0.0.1', '-p', str(LAB.sip.tls_ports['revoked']),
                              '--verify-hostname', 'sip.example.test', '--x509cafile', LAB.pki.ca_file,
                              '--x509crlfile', LAB.pki.crl], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=20)
        self.assertNotEqual(ref.returncode, 0, 'gnutls-cli accepts the revoked certificate')
        # The same server without the CRL: trusted, revocation unchecked (and said so).
        report, _, _ = self.tls_run('revoked')
        self.assertNotIn('tls.revoked', self.codes(report, 'tls'))
        self.assertEqual(self.check(report, 'revocation')['result'], 'skip')
        # A good certificate against the CRL: checked and not revoked.
        report, _, _ = self.tls_run('good', ca=False, extra=['--ca-file', bundle])
        self.assertEqual(self.check(report, 'revocation')['result'], 'pass')
        self.assertEqual(self.codes(report, 'tls'), [NO_REVOCATION_INFO])

    def test_weak_key(self):
        report, _, _ = self.run_cli('sip.example.test:%d' % LAB.peers['tls-rsa1024'])
        self.assertEqual(self.codes(report, 'tls'), sorted(['tls.weak-key', NO_REVOCATION_INFO]))
        self.assertIn('1024-bit RSA', self.finding(report, 'tls.weak-key')['message'])
        self.assertEqual(report['steps']['tls']['data']['chain'][0]['key'], {'type': 'RSA', 'bits': 1024})

    def test_weak_signature(self):
        report, _, _ = self.run_cli('sip.example.test:%d' % LAB.peers['tls-sha1'])
        self.assertEqual(self.codes(report, 'tls'), sorted(['tls.weak-signature', NO_REVOCATION_INFO]))
        self.assertIn('SHA1', report['steps']['tls']['data']['chain'][0]['signature_algorithm'])

    def test_old_protocol(self):
        report, _, _ = self.run_cli('sip.example.test:%d' % LAB.peers['tls-old'])
        self.assertEqual(self.codes(report, 'tls'), sorted(['tls.old-protocol', NO_REVOCATION_INFO]))
        self.assertIn(report['steps']['tls']['data']['protocol'], ('TLS 1.0', 'TLS 1.1'))
        self.assertEqual(len(report['steps']['tls']['data']['chain']), 2)

    def test_old_protocol_names_the_clients_that_refuse(self):
        # Not "current clients refuse": many still connect, some named ones refuse.
        report, _, _ = self.run_cli('sip.example.test:%d' % LAB.peers['tls-old'])
        f = self.finding(report, 'tls.old-protocol')
        self.assertEqual(f['severity'], 'warning')
        self.assertNotIn('current clients refuse', f['message'])
        for words in ('Many clients still connect', 'OpenSSL 3', 'Mbed TLS 3', 'Windows 11'):
            self.assertIn(words, f['message'])
        # Oracle: OpenSSL 3's own client with its defaults refuses this server,
        # and connects once TLS 1.0/1.1 are allowed again (security level 0).
        def s_client(*extra):
            argv = ['openssl', 's_client', '-connect', '127.0.0.1:%d' % LAB.peers['tls-old'],
                    '-servername', 'sip.example.test'] + list(extra)
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
            return r.returncode, r.stdout + r.stderr
        version = subprocess.run(['openssl', 'version'], capture_output=True, text=True, timeout=10).stdout
        if not version.startswith('OpenSSL 3'):
            self.skipTest('the oracle needs OpenSSL 3: %s' % version)
        rc, out = s_client()
        self.assertNotEqual(rc, 0, out)
        rc, out = s_client('-cipher', 'DEFAULT@SECLEVEL=0', '-tls1')
        self.assertEqual(rc, 0, out)
        self.assertIn('TLSv1', out)


class Handshake(Base):
    def failure(self, peer):
        report, rc, elapsed = self.run_cli('127.0.0.1:%d' % LAB.peers[peer])
        self.assertEqual(report['steps']['connect']['data']['attempts'][0]['result'], 'ok')
        self.assertEqual(self.codes(report, 'tls'), ['tls.handshake-failed'])
        self.assertEqual(rc, 1)
        data = report['steps']['tls']['data']
        self.assertEqual(data['handshake'], 'failed')
        self.assertFalse(data['trusted'])
        return data, elapsed, self.finding(report, 'tls.handshake-failed')

    def test_silent_peer_times_out(self):
        data, elapsed, f = self.failure('tcp-silent')
        self.assertEqual(data['failure'], 'timeout')
        self.assertIn('%d seconds' % TIMEOUT, f['message'])
        self.assertGreaterEqual(elapsed, TIMEOUT - 0.2)
        self.assertLess(elapsed, HANG_GUARD)

    def test_plain_text_is_not_tls(self):
        data, elapsed, f = self.failure('tcp-plaintext')
        self.assertEqual(data['failure'], 'not-tls')
        self.assertIn('5061', f['advice'])
        self.assertLess(elapsed, TIMEOUT)

    def test_reset(self):
        data, _, _ = self.failure('tcp-reset')
        self.assertEqual(data['failure'], 'reset')

    def test_alert(self):
        data, elapsed, f = self.failure('tls-nocipher')
        self.assertEqual(data['failure'], 'alert')
        self.assertIn('alert', f['message'])
        self.assertIn('TLS 1.2', f['advice'])
        self.assertLess(elapsed, TIMEOUT)

    def test_closed(self):
        data, _, _ = self.failure('tcp-close')
        self.assertEqual(data['failure'], 'closed')


class Connect(Base):
    def test_refused(self):
        report, rc, elapsed = self.run_cli('127.0.0.1:%d' % LAB.closed_port)
        attempt = report['steps']['connect']['data']['attempts'][0]
        self.assertEqual(attempt['result'], 'refused')
        f = self.finding(report, 'connect.refused')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('5061', f['advice'])
        self.assertIn('443', f['advice'])
        self.assertIsNone(report['steps']['connect']['data']['selected'])
        self.assertEqual(report['steps']['tls']['status'], 'skip')
        self.assertEqual(rc, 1)
        self.assertLess(elapsed, TIMEOUT)

    def test_timeout(self):
        report, rc, elapsed = self.run_cli('127.0.0.1:%d' % LAB.peers['tcp-blackhole'])
        self.assertEqual(report['steps']['connect']['data']['attempts'][0]['result'], 'timeout')
        self.assertEqual(self.finding(report, 'connect.timeout')['severity'], 'error')
        self.assertLess(elapsed, HANG_GUARD)
        self.assertEqual(rc, 1)

    def test_dead_candidates_cost_one_timeout(self):
        # auto: TLS, TCP and UDP candidates on the same (black-holed) port;
        # TLS and TCP both wait, at the same time.
        report, _, elapsed = self.run_cli('127.0.0.1:%d' % LAB.peers['tcp-blackhole'], transport='auto')
        attempts = report['steps']['connect']['data']['attempts']
        tcp_like = [a for a in attempts if a['transport'] in ('tls', 'tcp')]
        self.assertGreaterEqual(len(tcp_like), 2)
        self.assertTrue(all(a['result'] == 'timeout' for a in tcp_like))
        self.assertLess(elapsed, HANG_GUARD)
        self.assertLess(report['steps']['connect']['duration_ms'], TIMEOUT * 1000 + 1000)
        # UDP is left to the SIP step, so these are warnings, not errors
        for u in (a for a in attempts if a['transport'] == 'udp'):
            self.assertEqual(u['result'], 'skipped')
            self.assertEqual(self.finding(report, 'connect.timeout')['severity'], 'warning')

    def test_fallback_is_a_warning(self):
        # A dead TLS candidate first, a live one after: by SRV in a zone of our own.
        zone = (sdlab.Zone().domain('fallback.test')
                .srv('_sip._tls.fallback.test', 'dead.fallback.test', LAB.peers['tcp-blackhole'], 10)
                .srv('_sip._tls.fallback.test', 'dead2.fallback.test', LAB.closed_port, 20)
                .srv('_sip._tls.fallback.test', 'sip.example.test', LAB.sip.tls_ports['good'], 30)
                .a('dead.fallback.test').a('dead2.fallback.test').a('sip.example.test'))
        dns = sdlab.DnsServer(LAB, zone, name='dns-fallback')
        args = ['alice@fallback.test', '--transport', 'tls', '--json', '--timeout', str(TIMEOUT), '--until', 'tls',
                '--dns-server', '127.0.0.1:%d' % dns.port, '--ca-file', LAB.pki.ca_file]
        start = time.monotonic()
        res = sdlab.run_cli(args, timeout=TIMEOUT * 4 + 20)
        elapsed = time.monotonic() - start
        report = res.report
        if not any(a for a in report['steps']['connect']['data'].get('attempts', [])):
            self.skipTest('the DNS step does not produce SRV candidates yet')
        results = [(a['host'], a['result']) for a in report['steps']['connect']['data']['attempts']]
        self.assertEqual(results, [('dead.fallback.test', 'timeout'), ('dead2.fallback.test', 'refused'),
                                   ('sip.example.test', 'ok')])
        self.assertEqual(self.finding(report, 'connect.timeout')['severity'], 'warning')
        self.assertEqual(self.finding(report, 'connect.refused')['severity'], 'warning')
        self.assertIn('falls back', self.finding(report, 'connect.refused')['advice'])
        self.assertEqual(report['steps']['connect']['data']['selected']['host'], 'sip.example.test')
        self.assertEqual(report['steps']['tls']['status'], 'pass')
        # the dead candidates together cost one timeout; the wall time also
        # holds the DNS look-ups and the handshake (slow under sanitizers)
        durations = {k: v['duration_ms'] for k, v in report['steps'].items()}
        self.assertLess(durations['connect'], TIMEOUT * 1000 + 1000, durations)
        self.assertLess(elapsed, HANG_GUARD, durations)

    def test_tcp_skips_tls(self):
        report, _, _ = self.run_cli('127.0.0.1:%d' % LAB.sip.ports['tcp'], transport='tcp')
        self.assertEqual(report['steps']['connect']['data']['attempts'][0]['result'], 'ok')
        self.assertEqual(report['steps']['tls']['status'], 'skip')
        self.assertIn('TCP', report['steps']['tls']['reason'])

    def test_udp_is_left_to_sip(self):
        report, _, _ = self.run_cli('127.0.0.1:%d' % LAB.sip.ports['udp'], transport='udp')
        attempt = report['steps']['connect']['data']['attempts'][0]
        self.assertEqual(attempt['result'], 'skipped')
        self.assertIn('SIP OPTIONS', attempt['note'])
        self.assertEqual(report['steps']['connect']['data']['selected']['transport'], 'udp')
        self.assertEqual(self.codes(report, 'connect'), [])
        self.assertIn('UDP', report['steps']['tls']['reason'])

    def test_ipv6(self):
        if not getattr(LAB.sip, 'ipv6', False):
            self.skipTest('no ::1 on this machine')
        report, _, _ = self.run_cli('[::1]:%d' % LAB.sip.ports['tls'])
        attempt = report['steps']['connect']['data']['attempts'][0]
        self.assertEqual((attempt['address'], attempt['result']), ('::1', 'ok'))
        self.assert_full_chain(report, 2)
        self.assertIn('::1', self.finding(report, 'tls.name-mismatch')['message'])

    def test_unreachable(self):
        # Inside a namespace with no route to 198.51.100.0/24.
        try:
            ns = LAB.netns()
        except sdlab.LabError as e:
            self.skipTest(str(e))
        report, rc, elapsed = self.run_cli('198.51.100.7:5061', netns=ns, ca=False)
        self.assertEqual(report['steps']['connect']['data']['attempts'][0]['result'], 'unreachable')
        self.assertEqual(self.finding(report, 'connect.unreachable')['severity'], 'error')
        self.assertLess(elapsed, HANG_GUARD)


if __name__ == '__main__':
    unittest.main(verbosity=2)
