#!/usr/bin/python3
"""Self-test of the lab: every peer behaves as designed, checked with the
reference tools (kdig, gnutls-cli, certtool, sipsak) and a raw SIP client.

Run: python3 tests/lab/test_lab.py [-v]   (also `meson test --suite lab`)
Only loopback is used.  The last line printed is "N passed, N failed".
"""

import os
import re
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdlab  # noqa: E402

LAB = None
PROCS = []


def setUpModule():
    global LAB
    t0 = time.monotonic()
    LAB = sdlab.Lab()
    PROCS.extend(LAB.procs)
    sys.stderr.write('lab up in %.2f s (%s)\n' % (time.monotonic() - t0, LAB.dir))


def tearDownModule():
    LAB.stop()


def kdig(name, qtype, port=None, extra=()):
    """(status, [answer rdata...], full output) from kdig against the lab DNS."""
    port = port or LAB.dns.port
    r = subprocess.run(['kdig', '@127.0.0.1', '-p', str(port), '+noall', '+answer', '+header',
                        '+timeout=1', '+retry=0'] + list(extra) + [qtype, name],
                       capture_output=True, text=True, timeout=10)
    out = r.stdout + r.stderr
    m = re.search(r'status: (\w+)', out)
    answers = []
    for line in r.stdout.splitlines():
        f = line.split(None, 4)
        if len(f) == 5 and f[2] == 'IN' and not line.startswith(';'):
            answers.append((f[3], f[4].strip()))
    return (m.group(1) if m else None), answers, out


class DnsTests(unittest.TestCase):
    def rr(self, name, qtype):
        status, answers, out = kdig(name, qtype)
        return status, [a for t, a in answers if t == qtype], out

    def test_profile_records_example(self):
        tls, tcp, udp = LAB.sip.ports['tls'], LAB.sip.ports['tcp'], LAB.sip.ports['udp']
        for name, port in (('_sips._tcp', tls), ('_sip._tls', tls), ('_sip._tcp', tcp),
                           ('_sip._udp', udp), ('_sipinternaltls._tcp', tls), ('_sipinternal._tcp', tcp)):
            st, ans, out = self.rr(name + '.example.test', 'SRV')
            self.assertEqual(st, 'NOERROR', out)
            self.assertEqual(ans, ['0 0 %d sip.example.test.' % port], out)
        for host in ('example.test', 'sip.example.test', 'home.example.test',
                     'sipinternal.example.test', 'sipexternal.example.test'):
            self.assertEqual(self.rr(host, 'A')[1], ['127.0.0.1'], host)

    def test_naptr(self):
        st, ans, out = self.rr('example.test', 'NAPTR')
        self.assertEqual(st, 'NOERROR')
        self.assertEqual(sorted(ans), ['10 50 "s" "SIPS+D2T" "" _sips._tcp.example.test.',
                                       '20 50 "s" "SIP+D2T" "" _sip._tcp.example.test.',
                                       '30 50 "s" "SIP+D2U" "" _sip._udp.example.test.'], out)
        self.assertEqual(len(self.rr('generic.test', 'NAPTR')[1]), 3)

    def test_txt(self):
        self.assertEqual(self.rr('example.test', 'TXT')[1], ['"sip-doctor lab"'])

    def test_wm5(self):
        self.assertEqual(self.rr('_sip._tcp.wm5.test', 'SRV')[1],
                         ['0 0 %d sip.wm5.test.' % LAB.sip.ports['tcp']])
        self.assertEqual(self.rr('_sip._tls.wm5.test', 'SRV')[1],
                         ['0 0 %d sip.wm5.test.' % LAB.sip.ports['tls']])
        self.assertEqual(self.rr('sip.wm5.test', 'A')[1], ['127.0.0.1'])
        self.assertEqual(self.rr('_sip._udp.wm5.test', 'SRV')[0], 'NXDOMAIN')

    def test_ocs_lync(self):
        for d in ('ocs.test', 'lync.test'):
            self.assertEqual(self.rr('_sipinternaltls._tcp.' + d, 'SRV')[1],
                             ['0 0 %d sipinternal.%s.' % (LAB.sip.ports['tls'], d)])
            self.assertEqual(self.rr('_sipinternal._tcp.' + d, 'SRV')[1],
                             ['0 0 %d sipinternal.%s.' % (LAB.sip.ports['tcp'], d)])
            self.assertEqual(self.rr('_sip._tls.' + d, 'SRV')[1],
                             ['0 0 %d sip.%s.' % (LAB.sip.ports['tls'], d)])
            for h in ('sipinternal.', 'sip.', 'sipexternal.'):
                self.assertEqual(self.rr(h + d, 'A')[1], ['127.0.0.1'], h + d)

    def test_weights(self):
        st, ans, out = self.rr('_sip._tls.weights.test', 'SRV')
        got = sorted((int(a.split()[0]), int(a.split()[1])) for a in ans)
        self.assertEqual(got, [(10, 0), (10, 10), (10, 30), (10, 60), (20, 0), (20, 0)], out)
        for a in ans:
            self.assertEqual(len(self.rr(a.split()[3], 'A')[1]), 1, a)

    def test_strict_naming_target_outside(self):
        self.assertEqual(self.rr('_sip._tls.fuzzybunny.test', 'SRV')[1],
                         ['0 0 %d lcsserver1.corp.test.' % LAB.sip.ports['tls']])
        self.assertEqual(self.rr('lcsserver1.corp.test', 'A')[1], ['127.0.0.1'])

    def test_srv_dot_target(self):
        st, ans, out = self.rr('_sip._tls.unavailable.test', 'SRV')
        self.assertEqual(st, 'NOERROR', out)
        self.assertEqual(ans, ['0 0 0 .'], out)

    def test_nxdomain(self):
        for name, t in (('nxdomain.test', 'A'), ('_sip._tls.nxdomain.test', 'SRV'),
                        ('nxdomain.test', 'NAPTR'), ('sip.nxdomain.test', 'AAAA')):
            self.assertEqual(self.rr(name, t)[0], 'NXDOMAIN', name)

    def test_target_without_address(self):
        self.assertEqual(self.rr('_sip._tls.noaddr.test', 'SRV')[1],
                         ['0 0 %d ghost.noaddr.test.' % LAB.sip.ports['tls']])
        self.assertEqual(self.rr('ghost.noaddr.test', 'A')[0], 'NXDOMAIN')
        self.assertEqual(self.rr('ghost.noaddr.test', 'AAAA')[0], 'NXDOMAIN')

    def test_cname(self):
        st, answers, out = kdig('alias.cname.test', 'A')
        self.assertIn(('CNAME', 'real.cname.test.'), answers, out)
        self.assertIn(('A', '127.0.0.1'), answers, out)
        self.assertEqual(self.rr('_sip._tls.cname.test', 'SRV')[1],
                         ['0 0 %d alias.cname.test.' % LAB.sip.ports['tls']])

    def test_a_only(self):
        self.assertEqual(self.rr('aonly.test', 'A')[1], ['127.0.0.1'])
        self.assertEqual(self.rr('sip.aonly.test', 'A')[1], ['127.0.0.1'])
        for s in ('_sips._tcp', '_sip._tls', '_sip._tcp', '_sip._udp'):
            self.assertEqual(self.rr(s + '.aonly.test', 'SRV')[1], [])
        st, ans, _ = self.rr('aonly.test', 'NAPTR')
        self.assertEqual((st, ans), ('NOERROR', []))  # NODATA

    def test_aaaa(self):
        self.assertEqual(self.rr('sip.dual.test', 'AAAA')[1], ['::1'])
        self.assertEqual(self.rr('sip.dual.test', 'A')[1], ['127.0.0.1'])

    def test_never_forwards(self):
        st, ans, out = self.rr('www.debian.org', 'A')
        self.assertEqual(ans, [], out)
        self.assertIn(st, ('REFUSED', 'SERVFAIL', 'NXDOMAIN'), out)

    def test_silent_server(self):
        t0 = time.monotonic()
        st, ans, out = kdig('example.test', 'A', port=LAB.peers['dns-silent'])
        self.assertIsNone(st, out)
        self.assertIn('timeout', out)
        self.assertLess(time.monotonic() - t0, 5)

    def test_slow_server(self):
        t0 = time.monotonic()
        st, ans, out = kdig('sip.example.test', 'A', port=LAB.peers['dns-slow'], extra=['+timeout=3'])
        took = time.monotonic() - t0
        self.assertEqual((st, ans), ('NOERROR', [('A', '127.0.0.1')]), out)
        self.assertGreater(took, 0.9)
        self.assertLess(took, 4)
        # concurrent queries cost one delay, not one each
        t0 = time.monotonic()
        procs = [subprocess.Popen(['kdig', '@127.0.0.1', '-p', str(LAB.peers['dns-slow']), '+short',
                                   '+timeout=3', '+retry=0', 'A', (h + '.example.test').lstrip('.')],
                                  stdout=subprocess.PIPE, text=True)
                 for h in ('sip', 'home', 'sipinternal', 'sipexternal', '')]
        outs = [p.communicate(timeout=10)[0].strip() for p in procs]
        self.assertEqual(outs, ['127.0.0.1'] * 5)
        self.assertLess(time.monotonic() - t0, 4)  # one after another: 5 s or more

    def test_dns_with_extra_records(self):
        port = LAB.sip.tls_ports['expired']
        extra = LAB.dns_with(lambda z: z.srv('_sip._tls.mine.test', 'sip.mine.test', port, 5, 10)
                             .a('sip.mine.test', '127.0.0.7'))
        self.assertEqual(kdig('_sip._tls.mine.test', 'SRV', port=extra.port)[1],
                         [('SRV', '5 10 %d sip.mine.test.' % port)])
        self.assertEqual(kdig('sip.mine.test', 'A', port=extra.port)[1], [('A', '127.0.0.7')])
        self.assertEqual(kdig('sip.example.test', 'A', port=extra.port)[1], [('A', '127.0.0.1')])
        self.assertEqual(kdig('_sip._tls.mine.test', 'SRV')[0], 'NXDOMAIN')  # main one unchanged

    def test_garbage_server(self):
        for kind in ('dns-garbage', 'dns-random'):
            st, ans, out = kdig('example.test', 'A', port=LAB.peers[kind])
            self.assertEqual(ans, [], out)
            self.assertIsNone(st, out)


# ---------------------------------------------------------------------------

def gnutls_cli(port, host='sip.example.test', ca=True, extra=(), timeout=5):
    argv = ['gnutls-cli', '127.0.0.1', '-p', str(port), '--verify-hostname', host,
            '--sni-hostname', host, '--print-cert'] + list(extra)
    if ca:
        argv += ['--x509cafile', LAB.pki.ca_file]
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b'') + (e.stderr or b'')
        return None, out.decode('utf-8', 'replace') if isinstance(out, bytes) else out


def certinfo(path_or_pem):
    if '-----BEGIN' in path_or_pem:
        r = subprocess.run(['certtool', '-i'], input=path_or_pem, capture_output=True, text=True)
    else:
        r = subprocess.run(['certtool', '-i', '--infile', path_or_pem], capture_output=True, text=True)
    return r.stdout


def served_certs(out):
    return re.findall(r'-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----', out, re.S)


class TlsTests(unittest.TestCase):
    def check(self, name, ok, status_text=None, host='sip.example.test', n_certs=None):
        port = LAB.sip.tls_ports[name]
        rc, out = gnutls_cli(port, host)
        if ok:
            self.assertEqual(rc, 0, out)
            self.assertIn('The certificate is trusted', out)
        else:
            self.assertNotEqual(rc, 0, out)
            self.assertIn(status_text, out)
        if n_certs is not None:
            self.assertEqual(len(served_certs(out)), n_certs, out)
        return out

    def test_good_full_chain(self):
        out = self.check('good', True, n_certs=2)
        self.assertIn('Intermediate CA', certinfo(served_certs(out)[1]))
        self.assertEqual(gnutls_cli(LAB.sip.ports['tls'])[0], 0)       # main TLS port
        self.assertEqual(gnutls_cli(LAB.sip.ports['home_tls'], 'home.example.test')[0], 0)
        self.assertEqual(gnutls_cli(LAB.sip.tls_ports['good'], 'sip.wm5.test')[0], 0)

    def test_untrusted_without_ca(self):
        rc, out = gnutls_cli(LAB.sip.tls_ports['good'], ca=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('issuer is unknown', out)

    def test_missing_intermediate(self):
        self.check('nointer', False, 'issuer is unknown', n_certs=1)

    def test_expired(self):
        out = self.check('expired', False, 'expired certificate')
        self.assertIn('Not After', certinfo(served_certs(out)[0]))

    def test_not_yet_valid(self):
        self.check('notyet', False, 'not yet valid')

    def test_wrong_name(self):
        out = self.check('wrongname', False, 'does not match')
        self.assertIn('www.other.test', certinfo(served_certs(out)[0]))

    def test_self_signed(self):
        out = self.check('selfsigned', False, 'issuer is unknown', n_certs=1)
        info = certinfo(served_certs(out)[0])
        self.assertEqual(re.search(r'Issuer: (.*)', info).group(1),
                         re.search(r'Subject: (.*)', info).group(1))

    def test_wildcard(self):
        out = self.check('wildcard', True)
        self.assertIn('*.example.test', certinfo(served_certs(out)[0]))
        self.assertNotEqual(gnutls_cli(LAB.sip.tls_ports['wildcard'], 'example.test')[0], 0)

    def test_uri_sip_only(self):
        out = self.check('urisip', False, 'does not match')
        info = certinfo(served_certs(out)[0])
        self.assertIn('URI: sip:example.test', info)
        self.assertNotIn('DNSname', info)

    def test_strict_names(self):
        self.check('strict-sip', True, host='sip.example.test')
        self.check('strict-sip', False, 'does not match', host='example.test')
        self.check('strict-domain', True, host='example.test')
        self.check('strict-domain', False, 'does not match', host='sip.example.test')
        self.check('lcs', True, host='lcsserver1.corp.test')

    def test_revoked(self):
        port = LAB.sip.tls_ports['revoked']
        self.assertEqual(gnutls_cli(port)[0], 0)  # without the CRL it verifies
        rc, out = gnutls_cli(port, extra=['--x509crlfile', LAB.pki.crl])
        self.assertNotEqual(rc, 0, out)
        self.assertIn('revoked', out)

    def test_rsa1024(self):
        rc, out = gnutls_cli(LAB.peers['tls-rsa1024'])
        self.assertEqual(rc, 0, out)
        self.assertIn('Modulus (bits 1024)', certinfo(served_certs(out)[0]))

    def test_sha1(self):
        rc, out = gnutls_cli(LAB.peers['tls-sha1'])
        self.assertNotEqual(rc, 0, out)
        self.assertIn('insecure algorithm', out)
        self.assertRegex(certinfo(served_certs(out)[0]), r'Signature Algorithm: \S*-SHA1\n')

    def test_no_common_cipher(self):
        rc, out = gnutls_cli(LAB.peers['tls-nocipher'])
        self.assertNotEqual(rc, 0, out)
        self.assertRegex(out, r'(?i)alert')

    def test_old_protocol(self):
        rc, out = gnutls_cli(LAB.peers['tls-old'])
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r'\(TLS1\.[01]-')
        rc, out = gnutls_cli(LAB.peers['tls-old'],
                             extra=['--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3'])
        self.assertNotEqual(rc, 0, out)
        # the Kamailio ports refuse TLS 1.1
        rc, out = gnutls_cli(LAB.sip.ports['tls'], extra=['--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.1'])
        self.assertNotEqual(rc, 0, out)

    def test_silent_tcp(self):
        t0 = time.monotonic()
        rc, out = gnutls_cli(LAB.peers['tcp-silent'], timeout=1.5)
        self.assertIsNone(rc, 'handshake with a silent server ended: ' + out)
        self.assertLess(time.monotonic() - t0, 4)

    def test_trickled_handshake(self):
        t0 = time.monotonic()
        rc, out = gnutls_cli(LAB.peers['tls-trickle'], timeout=1.5)
        self.assertIsNone(rc, 'handshake with a trickling server ended: ' + out)
        self.assertLess(time.monotonic() - t0, 4)

    def test_plaintext(self):
        rc, out = gnutls_cli(LAB.peers['tcp-plaintext'])
        self.assertNotEqual(rc, 0)
        self.assertIn('unexpected TLS packet', out)

    def test_reset(self):
        rc, out = gnutls_cli(LAB.peers['tcp-reset'])
        self.assertNotEqual(rc, 0)
        self.assertIn('Error in the pull function', out)
        s = socket.create_connection(('127.0.0.1', LAB.peers['tcp-reset']), timeout=3)
        s.sendall(b'hello')
        with self.assertRaises(ConnectionResetError):
            while s.recv(100):
                pass
        s.close()

    def test_close(self):
        rc, out = gnutls_cli(LAB.peers['tcp-close'])
        self.assertNotEqual(rc, 0)
        self.assertIn('non-properly terminated', out)


# ---------------------------------------------------------------------------

TRANSPORTS = ('udp', 'tcp', 'tls')


class SipTests(unittest.TestCase):
    def req(self, user, method='REGISTER', transport='udp', port=None):
        port = port or LAB.sip.ports[transport]
        r = sdlab.sip_request(port, method, user, transport)
        self.assertIsNotNone(r, '%s %s over %s: no answer' % (method, user, transport))
        return r

    def test_options_200(self):
        for t in TRANSPORTS:
            for user in ('alice', 'msuser', 'blocked', 'moved'):
                r = self.req(user, 'OPTIONS', t)
                self.assertEqual(r.status, 200, (t, user, r.raw))
                self.assertIn('REGISTER', r.get('Allow'))
                self.assertIn('sip-doctor-lab', r.get('Server'))

    def test_alice_digest(self):
        for t in TRANSPORTS:
            first, final = sdlab.digest_register(LAB.sip.ports[t], 'alice', LAB.password(), t)
            self.assertEqual(first.status, 401, first.raw)
            chal = first.get('WWW-Authenticate')
            self.assertTrue(chal.startswith('Digest '), chal)
            self.assertIn('qop="auth"', chal)
            self.assertIn('realm="example.test"', chal)
            self.assertEqual(final.status, 200, (t, final.raw))
            self.assertIn('expires=3600', final.get('Contact'))

    def test_wrong_password_rechallenged(self):
        for t in TRANSPORTS:
            first, final = sdlab.digest_register(LAB.sip.ports[t], 'alice', 'not-the-password', t)
            self.assertEqual(final.status, 401, final.raw)

    def test_legacy_no_qop(self):
        first, final = sdlab.digest_register(LAB.sip.ports['udp'], 'legacy', LAB.password('legacy'))
        self.assertNotIn('qop', first.get('WWW-Authenticate'))
        self.assertEqual(final.status, 200)

    def test_sha256(self):
        for t in TRANSPORTS:
            first, final = sdlab.digest_register(LAB.sip256.ports[t], 'alice', LAB.password(), t)
            self.assertIn('algorithm=SHA-256', first.get('WWW-Authenticate'))
            self.assertEqual(final.status, 200, final.raw)

    def test_msuser(self):
        for t in TRANSPORTS:
            r = self.req('msuser', transport=t)
            self.assertEqual(r.status, 401)
            self.assertEqual(r.all('WWW-Authenticate'), [
                'NTLM realm="SIP Communications Service", targetname="lcs1.example.test", version=3',
                'Kerberos realm="SIP Communications Service", targetname="sip/lcs1.example.test", version=3'])

    def test_proxyuser(self):
        first, final = sdlab.digest_register(LAB.sip.ports['tcp'], 'proxyuser',
                                             LAB.password('proxyuser'), 'tcp')
        self.assertEqual(first.status, 407)
        self.assertTrue(first.get('Proxy-Authenticate').startswith('Digest '))
        self.assertIsNone(first.get('WWW-Authenticate'))
        self.assertEqual(final.status, 200, final.raw)

    def test_moved_to_home(self):
        for t in TRANSPORTS:
            r = self.req('moved', transport=t)
            self.assertEqual(r.status, 301)
            home = LAB.sip.ports['home_tls' if t == 'tls' else 'home']
            self.assertEqual(r.get('Contact'),
                             '<sip:moved@home.example.test:%d;transport=%s>' % (home, t))
            first, final = sdlab.digest_register(home, 'moved', LAB.password('moved'), t)
            self.assertEqual((first.status, final.status), (401, 200), final.raw)

    def test_loop(self):
        for t in TRANSPORTS:
            r = self.req('loop', transport=t)
            self.assertEqual(r.status, 301)
            self.assertEqual(r.get('Contact'), '<sip:loop@sip.example.test:%d;transport=%s>'
                             % (LAB.sip.ports[t], t))

    def test_goto(self):
        # goto-HOST-TRANSPORT-PORT: a redirect anywhere, on every transport
        for t in TRANSPORTS:
            r = self.req('goto-v6only.dual.test-udp-5099', transport=t)
            self.assertEqual(r.status, 301)
            self.assertEqual(r.get('Contact'), '<sip:goto@v6only.dual.test:5099;transport=udp>')

    def test_status_users(self):
        for user, code in (('blocked', 403), ('nobody', 404), ('someoneelse', 404),
                           ('broken', 500), ('busy', 503)):
            for t in TRANSPORTS:
                self.assertEqual(self.req(user, transport=t).status, code, (user, t))
        self.assertEqual(self.req('busy').get('Retry-After'), '30')

    def test_strict_user_says_why(self):
        first, final = sdlab.digest_register(LAB.sip.ports['udp'], 'strict', 'not-the-password')
        self.assertEqual(first.status, 401)
        self.assertEqual((final.status, final.reason), (403, 'Forbidden - wrong password'))
        first, final = sdlab.digest_register(LAB.sip.ports['udp'], 'strict', LAB.password('strict'))
        self.assertEqual(final.status, 200)

    def test_basic(self):
        r = self.req('basic', transport='tls')
        self.assertEqual(r.status, 401)
        self.assertEqual(r.all('WWW-Authenticate'), ['Basic realm="example.test"'])

    def date_offset(self, r):
        from email.utils import parsedate_to_datetime
        return parsedate_to_datetime(r.get('Date')).timestamp() - time.time()

    def test_dates(self):
        self.assertLess(abs(self.date_offset(self.req('alice', 'OPTIONS'))), 5)
        for method in ('OPTIONS', 'REGISTER'):
            r = self.req('skewed', method)
            self.assertLess(abs(self.date_offset(r) - 3600), 5, r.get('Date'))
        self.assertEqual(len(self.req('skewed').all('WWW-Authenticate')), 2)

    def test_sipsak(self):
        for t in TRANSPORTS:
            r = sdlab.sipsak_register(LAB.sip.ports[t], t, 'alice', workdir=LAB.dir)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn('All usrloc tests completed successful', r.stdout)
        r = sdlab.sipsak_register(LAB.sip.ports['udp'], 'udp', 'alice', 'not-the-password')
        self.assertNotEqual(r.returncode, 0, r.stdout)


class PeerTests(unittest.TestCase):
    def test_silent_sip(self):
        t0 = time.monotonic()
        self.assertIsNone(sdlab.sip_request(LAB.peers['sip-silent-udp'], timeout=0.5))
        self.assertIsNone(sdlab.sip_request(LAB.peers['tcp-silent'], transport='tcp', timeout=0.5))
        self.assertLess(time.monotonic() - t0, 3)

    def test_garbage_sip(self):
        for kind, t in (('sip-garbage-udp', 'udp'), ('sip-garbage-tcp', 'tcp')):
            data = sdlab.sip_request(LAB.peers[kind], transport=t, raw=True)
            self.assertTrue(data)
            self.assertFalse(data.startswith(b'SIP/2.0 '), data[:40])

    def test_endless_header(self):
        s = socket.create_connection(('127.0.0.1', LAB.peers['sip-endless-tcp']), timeout=3)
        s.sendall(b'OPTIONS sip:alice@example.test SIP/2.0\r\nContent-Length: 0\r\n\r\n')
        got = b''
        while len(got) < 4 << 20:
            chunk = s.recv(1 << 16)
            self.assertTrue(chunk)
            got += chunk
        s.close()
        self.assertTrue(got.startswith(b'SIP/2.0 200 OK\r\n'))
        self.assertEqual(got.count(b'\r\n'), 2)
        data = sdlab.sip_request(LAB.peers['sip-endless-udp'], raw=True)
        self.assertGreater(len(data), 50000)
        self.assertEqual(data.count(b'\r\n'), 1)

    def test_trickled_sip(self):
        s = socket.create_connection(('127.0.0.1', LAB.peers['sip-trickle-tcp']), timeout=3)
        s.sendall(b'OPTIONS sip:alice@example.test SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKx\r\n'
                  b'CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n')
        got = s.recv(100)
        s.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            while len(got) < 8:
                got += s.recv(100)
        s.close()
        self.assertTrue(b'SIP/2.0 '.startswith(got), got)

    def test_flood(self):
        for kind, t in (('sip-flood-udp', 'udp'), ('sip-flood-tcp', 'tcp')):
            data = sdlab.sip_request(LAB.peers[kind], transport=t, raw=True)
            self.assertIn(b'branch=z9hG4bKflood', data)
            self.assertIn(b'flood@example.test', data)

    def test_trickled_dns(self):
        st, ans, out = kdig('example.test', 'A', port=LAB.peers['dns-trickle'], extra=['+notcp', '+ignore'])
        self.assertEqual(st, 'NOERROR', out)
        self.assertRegex(out, r'Flags:[a-z ]* tc[ ;]')
        self.assertEqual(ans, [])

    def test_padded_content_length(self):
        for kind, t in (('sip-padded-udp', 'udp'), ('sip-padded-tcp', 'tcp')):
            r = sdlab.sip_request(LAB.peers[kind], 'REGISTER', transport=t)
            self.assertEqual(r.status, 200)
            self.assertIn(b'Content-Length:     0\r\n', r.raw)
            self.assertTrue(r.get('To').endswith(r.get('To').split(';tag=')[1]))

    def test_sipp(self):
        for t, sp in LAB.sipp.items():
            r = sdlab.sip_request(sp.port, 'REGISTER', 'msuser', t, timeout=3)
            self.assertIsNotNone(r, 'SIPp %s did not answer' % t)
            self.assertEqual(r.status, 401)
            chal = r.all('WWW-Authenticate')
            self.assertEqual(len(chal), 1)
            self.assertIn('NTLM realm=', chal[0])
            self.assertIn(', Kerberos realm=', chal[0])
            self.assertRegex(r.raw.decode(), r'Content-Length:  +0\r\n')   # padded by [len]
            r = sdlab.sip_request(sp.port, 'OPTIONS', 'msuser', t, timeout=3)
            self.assertEqual(r.status, 200)
            self.assertIn('SIPp', r.get('Server'))
        if sdlab.shutil.which('sipp'):
            self.assertEqual(set(LAB.sipp), {'udp', 'tcp'})


class ConnectTests(unittest.TestCase):
    def test_blackhole_times_out(self):
        t0 = time.monotonic()
        with self.assertRaises(socket.timeout):
            socket.create_connection(('127.0.0.1', LAB.peers['tcp-blackhole']), timeout=0.7)
        self.assertLess(time.monotonic() - t0, 3)

    def test_closed_port_refused(self):
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(('127.0.0.1', LAB.closed_port), timeout=2)

    def test_ipv6_listeners(self):
        if not LAB.sip.ipv6:
            self.skipTest('no ::1 on this machine')
        r = subprocess.run(['gnutls-cli', '::1', '-p', str(LAB.sip.ports['tls']),
                            '--verify-hostname', 'sip.dual.test', '--x509cafile', LAB.pki.ca_file],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.settimeout(2)
        s.sendto(b'OPTIONS sip:alice@example.test SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:9;branch=z9hG4bKv6\r\n'
                 b'From: <sip:alice@example.test>;tag=1\r\nTo: <sip:alice@example.test>\r\n'
                 b'Call-ID: v6@lab\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
                 ('::1', LAB.sip.ports['udp']))
        self.assertTrue(s.recv(65535).startswith(b'SIP/2.0 200 OK'))
        s.close()


class NetnsTests(unittest.TestCase):
    def test_system_resolver_in_namespace(self):
        if os.geteuid() != 0:
            self.skipTest('network namespaces need root')
        ns = LAB.netns()
        self.assertIs(LAB.netns(), ns)
        r = subprocess.run(ns.wrap(['getent', 'ahostsv4', 'sip.example.test']),
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('127.0.0.1', r.stdout)
        r = subprocess.run(ns.wrap(['kdig', '+short', '+timeout=1', '+retry=0', 'SRV',
                                    '_sip._tls.example.test']),
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.stdout.strip(), '0 0 %d sip.example.test.' % LAB.sip.ports['tls'])
        r = subprocess.run(ns.wrap(['getent', 'hosts', 'nothing.nxdomain.test']),
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)  # not found
        r = subprocess.run(ns.wrap(['ip', '-br', 'addr']), capture_output=True, text=True, timeout=10)
        self.assertIn('192.0.2.1/24', r.stdout)


class CliHelperTests(unittest.TestCase):
    def test_find_finding(self):
        rep = {'findings': [{'code': 'dns.no-srv'}, {'code': 'auth.ok', 'severity': 'info'}]}
        self.assertEqual(sdlab.find_finding(rep, 'auth.ok')['severity'], 'info')
        self.assertIsNone(sdlab.find_finding(rep, 'tls.expired'))
        self.assertIsNone(sdlab.find_finding(None, 'x'))

    def test_cli_path(self):
        old = os.environ.get('SD_CLI')
        os.environ['SD_CLI'] = '/bin/echo'
        try:
            res = sdlab.run_cli(['{"findings": []}'], timeout=5)
            self.assertEqual(res.rc, 0)
            self.assertEqual(res.report, {'findings': []})
            rc, report, out, err = res
            self.assertEqual(out.strip(), '{"findings": []}')
        finally:
            if old is None:
                del os.environ['SD_CLI']
            else:
                os.environ['SD_CLI'] = old

    def test_password_file_mode(self):
        p = LAB.password_file('alice')
        self.assertEqual(os.stat(p).st_mode & 0o777, 0o600)
        with open(p) as f:
            self.assertEqual(f.read(), LAB.password())


def sdlab_group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


class ZZCleanupTests(unittest.TestCase):
    """Runs last: a second lab starts and stops, leaving no process behind."""

    def test_stop_leaves_nothing(self):
        lab = sdlab.Lab(peers=False, sipp=False, sip256=False)
        procs = list(lab.procs)
        self.assertTrue(all(p.alive() for p in procs))
        t0 = time.monotonic()
        lab.stop()
        self.assertLess(time.monotonic() - t0, 6)
        for p in procs:
            self.assertFalse(p.group_alive(), p.name)
        self.assertFalse(os.path.exists(lab.dir))

    def test_sigkilled_owner_leaves_nothing(self):
        code = ('import sys, time, json; sys.path.insert(0, %r); import sdlab\n'
                'lab = sdlab.Lab(pki=False, sip=False, peers=False, sipp=False, sip256=False)\n'
                'print(json.dumps([lab.dir] + [p.pgid for p in lab.procs]), flush=True)\n'
                'time.sleep(60)\n' % os.path.dirname(os.path.abspath(__file__)))
        p = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
        try:
            info = __import__('json').loads(p.stdout.readline())
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
        labdir, pgids = info[0], info[1:]
        self.assertEqual(len(pgids), 1)  # dnsmasq
        deadline = time.monotonic() + 5
        alive = pgids
        while alive and time.monotonic() < deadline:
            time.sleep(0.05)
            alive = [g for g in pgids if sdlab_group_alive(g)]
        self.assertEqual(alive, [], 'the watchdog did not stop them')
        import shutil
        shutil.rmtree(labdir, ignore_errors=True)

    def test_bad_start_names_log(self):
        lab = sdlab.Lab(start=False)
        try:
            with self.assertRaises(sdlab.LabError) as cm:
                p = sdlab.Proc('false', ['sh', '-c', 'echo boom; exit 3'], lab.dir)
                lab.procs.append(p)
                p.wait_ready(lambda: False, timeout=2)
            self.assertIn('false.log', str(cm.exception))
            self.assertIn('boom', str(cm.exception))
        finally:
            lab.stop()


def main():
    verbosity = 2 if '-v' in sys.argv else 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    t0 = time.monotonic()
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout).run(suite)
    # after tearDownModule: every process of the shared lab is gone
    leftovers = [p.name for p in PROCS + (LAB.procs if LAB else []) if p.group_alive()]
    if LAB is not None and LAB._netns is not None:
        r = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True)
        if LAB._netns.name in r.stdout:
            leftovers.append('namespace ' + LAB._netns.name)
    failed = len(result.failures) + len(result.errors) + (1 if leftovers else 0)
    if leftovers:
        print('processes left running: %s' % ', '.join(leftovers))
    if failed and LAB is not None and not LAB.failed:
        print('lab logs: rerun with SD_LAB_KEEP=1 to keep them')
    passed = result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped)
    print('%.1f s' % (time.monotonic() - t0))
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
