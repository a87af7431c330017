#!/usr/bin/env python3
"""Redirects that would hand the sign-in to someone else, end to end.

The first server is the lab's Kamailio over TLS; its `goto-HOST-TRANSPORT-PORT`
user answers REGISTER with a 301 to sip:goto@HOST:PORT;transport=TRANSPORT.
The targets are registrars started here that record every byte they get:
a redirect off TLS (to TCP or UDP) or to a host the first server's
certificate does not vouch for is sip.redirect-downgrade and reaches
nothing, unless the person allowed it (--allow-untrusted); a redirect the
certificate does vouch for is followed, and the target's own certificate is
still checked for its own name. Redirect targets are resolved by the dns
step's client: a name with only an AAAA record, a name whose answer needs
TCP. Run: meson test -C _build --suite sip (SD_CLI names the CLI).
"""
import os
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
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
    LAB = sdlab.Lab(sip256=False, sipp=False, peers=False)


def tearDownModule():
    if LAB is not None:
        LAB.stop()


def codes(report):
    return [f['code'] for f in report['findings']]


class Recorder:
    """A registrar on loopback that records what reaches it: 401 (Digest) to
    a REGISTER without Authorization, 200 to one with it and to OPTIONS.
    transport: udp, tcp or tls (then cert: an sdlab Cert)."""

    def __init__(self, transport, host=sdlab.LOOPBACK, cert=None):
        self.transport = transport
        self.requests = []        # every request, as text
        self.connections = 0      # TCP/TLS connections accepted
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        family = socket.AF_INET6 if ':' in host else socket.AF_INET
        kind = socket.SOCK_DGRAM if transport == 'udp' else socket.SOCK_STREAM
        self.sock = socket.socket(family, kind)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.tls = None
        if transport == 'tls':
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(cert.chain, cert.key)
        if kind == socket.SOCK_STREAM:
            self.sock.listen(8)
        self.threads = [threading.Thread(target=self._serve, daemon=True)]
        self.threads[0].start()

    def stop(self):
        self.stopping.set()
        for t in list(self.threads):
            t.join(5)
        self.sock.close()

    def registers(self):
        with self.lock:
            return [r for r in self.requests if r.startswith('REGISTER ')]

    def with_credentials(self):
        with self.lock:
            return [r for r in self.requests if '\nauthorization:' in r.lower()]

    def _answer(self, request):
        lines = request.split('\r\n')
        method = lines[0].split(' ', 1)[0]
        copied = [l for l in lines[1:] if l.split(':', 1)[0].strip().lower()
                  in ('via', 'from', 'call-id', 'cseq')]
        to = [l for l in lines[1:] if l.lower().startswith('to:')]
        authorized = any(l.lower().startswith('authorization:') for l in lines)
        if method == 'REGISTER' and not authorized:
            status = '401 Unauthorized'
            extra = ['WWW-Authenticate: Digest realm="example.test", nonce="%x", qop="auth", '
                     'algorithm=MD5' % int(time.time() * 1000)]
        else:
            status, extra = '200 OK', []
        head = ['SIP/2.0 ' + status] + copied + [(to[0] if to else 'To: <sip:x@example.test>')
                                                 + ';tag=rec'] + extra
        return ('\r\n'.join(head) + '\r\nContent-Length: 0\r\n\r\n').encode()

    def _record(self, text):
        with self.lock:
            self.requests.append(text)

    def _serve(self):
        while not self.stopping.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.1)
            if not ready:
                continue
            if self.transport == 'udp':
                data, peer = self.sock.recvfrom(65536)
                text = data.decode('utf-8', 'replace')
                self._record(text)
                if text[:1].isalpha():
                    self.sock.sendto(self._answer(text), peer)
                continue
            conn, _ = self.sock.accept()
            with self.lock:
                self.connections += 1
            t = threading.Thread(target=self._stream, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _stream(self, conn):
        # A generous handshake timeout: sanitizer builds on a loaded machine
        # are slow; then short reads, so stop() is seen soon.
        conn.settimeout(15.0)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            conn.settimeout(1.0)
            buf = b''
            deadline = time.monotonic() + 30
            while not self.stopping.is_set() and time.monotonic() < deadline:
                try:
                    data = conn.recv(65536)
                except (socket.timeout, ssl.SSLWantReadError):
                    continue
                if not data:
                    break
                buf += data
                while b'\r\n\r\n' in buf:
                    head, buf = buf.split(b'\r\n\r\n', 1)
                    text = head.decode('utf-8', 'replace').lstrip('\r\n')
                    if not text:
                        continue
                    self._record(text + '\r\n\r\n')
                    conn.sendall(self._answer(text))
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()


class RedirectCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.recorders = []

    def tearDown(self):
        for r in self.recorders:
            r.stop()

    def recorder(self, transport, host=sdlab.LOOPBACK, cert=None):
        r = Recorder(transport, host, cert)
        self.recorders.append(r)
        return r

    def run_cli(self, user, port, transport='tls', extra=(), dns=None):
        """Signs in as USER@example.test at sip.example.test:PORT."""
        args = [user + '@example.test', '--dns-server', dns or LAB.dns_server,
                '--ca-file', LAB.pki.ca_file,
                '--server', 'sip.example.test:%d' % port, '-t', transport,
                '--timeout', str(TIMEOUT), '--json',
                '--password-file', LAB.password_file('alice')] + list(extra)
        start = time.monotonic()
        r = sdlab.run_cli(args, timeout=60, env=NO_TICKET_ENV)
        # A hang guard, not a speed test: OPTIONS, REGISTER, a redirect, a sign-in.
        self.assertLess(time.monotonic() - start, 6 * TIMEOUT + 10)
        self.assertIsNotNone(r.report, 'no JSON; stderr: ' + r.stderr[-2000:])
        self.assertNotIn('CRITICAL', r.stderr)
        self.assertNotIn('Sanitizer', r.stderr)
        self.assertNotIn('runtime error:', r.stderr)
        return r

    def finding(self, report, code):
        f = sdlab.find_finding(report, code)
        self.assertIsNotNone(f, '%s missing; findings: %s' % (code, codes(report)))
        return f

    def settle(self, rec):
        # The CLI has exited; give the recorder's threads a moment to log
        # what came last (bounded).
        for _ in range(20):
            if not any(t.is_alive() for t in rec.threads[1:]):
                break
            time.sleep(0.05)


class Downgrade(RedirectCase):
    def assert_refused(self, r, rec, host, transport, reasons):
        self.assertEqual(r.rc, 1, codes(r.report))
        f = self.finding(r.report, 'sip.redirect-downgrade')
        self.assertEqual(f['severity'], 'error')
        self.assertEqual(f['step'], 'sip')
        self.assertIn('(--server)', f['advice'])
        self.assertIn('--allow-untrusted', f['advice'])
        self.assertNotIn('page', f['advice'])
        # Where it pointed, in the message and in the data.
        self.assertIn(host, f['message'])
        self.assertIn(str(rec.port), f['message'])
        self.assertIn(transport.upper(), f['message'])
        self.assertIn('sips:', f['advice'])
        sip = r.report['steps']['sip']['data']
        self.assertEqual(len(sip['redirects']), 1)
        red = sip['redirects'][0]
        self.assertEqual((red['host'], red['port'], red['transport']), (host, rec.port, transport))
        self.assertEqual(red['to'], 'sip:goto@%s:%d;transport=%s' % (host, rec.port, transport))
        self.assertEqual(red['downgrade'], reasons)
        self.assertFalse(red['followed'])
        self.assertEqual(r.report['steps']['sip']['status'], 'fail')
        # REGISTER went to the first server only; the sign-in was not tried.
        self.assertEqual(sip['target']['host'], 'sip.example.test')
        self.assertEqual(sip['target']['transport'], 'tls')
        self.assertIsNone(sdlab.find_finding(r.report, 'sip.redirect'))
        self.assertEqual(r.report['steps']['auth']['status'], 'skip')
        self.assertIn('redirected', r.report['steps']['auth']['reason'])
        # Nothing at all reached the target: no connection, no datagram.
        self.settle(rec)
        self.assertEqual(rec.connections, 0)
        self.assertEqual(rec.requests, [])

    def test_tls_to_tcp_not_followed(self):
        rec = self.recorder('tcp')
        r = self.run_cli('goto-home.example.test-tcp-%d' % rec.port, LAB.sip.ports['tls'])
        self.assert_refused(r, rec, 'home.example.test', 'tcp', ['transport'])

    def test_tls_to_udp_not_followed(self):
        rec = self.recorder('udp')
        r = self.run_cli('goto-home.example.test-udp-%d' % rec.port, LAB.sip.ports['tls'])
        self.assert_refused(r, rec, 'home.example.test', 'udp', ['transport'])

    def test_tls_to_tcp_with_consent(self):
        rec = self.recorder('tcp')
        r = self.run_cli('goto-home.example.test-tcp-%d' % rec.port, LAB.sip.ports['tls'],
                         extra=['--allow-untrusted'])
        f = self.finding(r.report, 'sip.redirect-downgrade')
        self.assertEqual(f['severity'], 'warning')
        self.assertIn('allowed', f['message'])
        self.assertEqual(r.rc, 0, codes(r.report))
        sip = r.report['steps']['sip']['data']
        self.assertTrue(sip['redirects'][0]['followed'])
        self.assertEqual(sip['redirects'][0]['downgrade'], ['transport'])
        self.assertEqual((sip['target']['host'], sip['target']['port'], sip['target']['transport']),
                         ('home.example.test', rec.port, 'tcp'))
        # The person's consent lets the credentials go.
        self.finding(r.report, 'auth.ok')
        self.settle(rec)
        self.assertGreaterEqual(len(rec.registers()), 2)
        self.assertTrue(any('Authorization: Digest username="goto-home.example.test' in q
                            for q in rec.with_credentials()))

    def test_foreign_host_over_tls_not_followed(self):
        # The first server's certificate names sip.example.test only; the
        # target's certificate is valid, but for itself.
        rec = self.recorder('tls', cert=LAB.pki['lcs'])
        r = self.run_cli('goto-lcsserver1.corp.test-tls-%d' % rec.port, LAB.sip.tls_ports['strict-sip'])
        self.assertTrue(r.report['steps']['tls']['data']['trusted'])
        self.assert_refused(r, rec, 'lcsserver1.corp.test', 'tls', ['host'])
        self.assertIn('example.test', self.finding(r.report, 'sip.redirect-downgrade')['message'])

    def test_foreign_host_over_tls_with_consent(self):
        rec = self.recorder('tls', cert=LAB.pki['lcs'])
        r = self.run_cli('goto-lcsserver1.corp.test-tls-%d' % rec.port, LAB.sip.tls_ports['strict-sip'],
                         extra=['--allow-untrusted'])
        self.assertEqual(self.finding(r.report, 'sip.redirect-downgrade')['severity'], 'warning')
        self.assertEqual(r.rc, 0, codes(r.report))
        self.finding(r.report, 'auth.ok')
        self.settle(rec)
        self.assertTrue(rec.with_credentials())

    def test_unverified_certificate_vouches_for_nothing(self):
        # This first server's certificate names lcsserver1.corp.test too, but
        # it is self-signed: what it says proves nothing.
        rec = self.recorder('tls', cert=LAB.pki['lcs'])
        r = self.run_cli('goto-lcsserver1.corp.test-tls-%d' % rec.port, LAB.sip.tls_ports['selfsigned'])
        self.assertFalse(r.report['steps']['tls']['data']['trusted'])
        self.assertIn('lcsserver1.corp.test', r.report['steps']['tls']['data']['chain'][0]['san']['dns'])
        self.assert_refused(r, rec, 'lcsserver1.corp.test', 'tls', ['host'])
        self.assertIn('failed verification', self.finding(r.report, 'sip.redirect-downgrade')['message'])

    def test_host_the_certificate_names_is_followed(self):
        # The main TLS port's certificate also names lcsserver1.corp.test:
        # it vouches for that server, so no consent is needed.
        rec = self.recorder('tls', cert=LAB.pki['lcs'])
        r = self.run_cli('goto-lcsserver1.corp.test-tls-%d' % rec.port, LAB.sip.ports['tls'])
        self.assertEqual(r.rc, 0, codes(r.report))
        self.assertIsNone(sdlab.find_finding(r.report, 'sip.redirect-downgrade'))
        self.assertEqual(self.finding(r.report, 'sip.redirect')['severity'], 'info')
        red = r.report['steps']['sip']['data']['redirects'][0]
        self.assertEqual(red['downgrade'], [])
        self.assertTrue(red['followed'])
        self.finding(r.report, 'auth.ok')
        self.settle(rec)
        self.assertTrue(rec.with_credentials())

    def test_target_certificate_checked_for_its_own_name(self):
        # Inside the domain over TLS, so followed; but the target presents a
        # certificate for www.other.test: no credentials go there.
        rec = self.recorder('tls', cert=LAB.pki['wrongname'])
        r = self.run_cli('goto-home.example.test-tls-%d' % rec.port, LAB.sip.ports['tls'])
        self.assertEqual(r.rc, 1, codes(r.report))
        self.assertIsNone(sdlab.find_finding(r.report, 'sip.redirect-downgrade'))
        self.finding(r.report, 'sip.redirect')
        f = self.finding(r.report, 'auth.untrusted-not-sent')
        self.assertIn('does not name the server', f['message'])
        self.settle(rec)
        self.assertTrue(rec.registers())
        self.assertEqual(rec.with_credentials(), [])

    def test_tcp_start_is_no_downgrade(self):
        # A sign-in that never was on TLS loses nothing by a redirect to TCP.
        rec = self.recorder('tcp')
        r = self.run_cli('goto-home.example.test-tcp-%d' % rec.port, LAB.sip.ports['tcp'], transport='tcp')
        self.assertIsNone(sdlab.find_finding(r.report, 'sip.redirect-downgrade'))
        self.finding(r.report, 'auth.ok')
        self.settle(rec)
        self.assertTrue(rec.with_credentials())


class Resolution(RedirectCase):
    """Redirect targets are resolved as the dns step resolves: the lab's
    dnsmasq, AAAA as well as A, TCP after a truncated answer."""

    def test_aaaa_only_target(self):
        if not LAB.sip.ipv6:
            self.skipTest('no ::1 on this machine')
        rec = self.recorder('tcp', host='::1')
        r = self.run_cli('goto-v6only.dual.test-tcp-%d' % rec.port, LAB.sip.ports['tcp'], transport='tcp')
        self.assertIsNone(sdlab.find_finding(r.report, 'sip.redirect-unresolvable'), codes(r.report))
        sip = r.report['steps']['sip']['data']
        self.assertEqual((sip['target']['host'], sip['target']['address']), ('v6only.dual.test', '::1'))
        self.finding(r.report, 'auth.ok')
        self.settle(rec)
        self.assertTrue(rec.registers())

    def test_target_whose_answer_needs_tcp(self):
        # Two names near the 255-octet limit, one a CNAME of the other: the
        # question and that single record take over 512 bytes, so dnsmasq
        # answers over UDP with TC and no record at all; only TCP gives the
        # chain and the address.
        def long_name(c):
            return '.'.join([c * 60] * 4) + '.tc.test'
        name, target = long_name('q'), long_name('r')

        def edit(z):
            z.cname(name, target)
            z.a(target)
        dns = LAB.dns_with(edit, name='dnsmasq-redirect-tc')
        kdig = subprocess.run(['kdig', '@127.0.0.1', '-p', str(dns.port), '+notcp', '+noedns',
                               '+ignore', 'A', name], capture_output=True, text=True, timeout=10)
        flags = kdig.stdout.split('Flags:', 1)[1].split('\n', 1)[0]
        self.assertIn(' tc', flags.split(';', 1)[0], kdig.stdout)
        self.assertIn('ANSWER: 0;', flags, kdig.stdout)

        rec = self.recorder('tcp')
        r = self.run_cli('goto-%s-tcp-%d' % (name, rec.port), LAB.sip.ports['tcp'], transport='tcp',
                         dns=dns.addr)
        self.assertIsNone(sdlab.find_finding(r.report, 'sip.redirect-unresolvable'), codes(r.report))
        sip = r.report['steps']['sip']['data']
        self.assertEqual((sip['target']['host'], sip['target']['address']), (name, '127.0.0.1'))
        self.settle(rec)
        self.assertTrue(rec.registers())

    def test_unknown_name_is_unresolvable(self):
        r = self.run_cli('goto-ghost.example.test-tcp-5060', LAB.sip.ports['tcp'], transport='tcp')
        f = self.finding(r.report, 'sip.redirect-unresolvable')
        self.assertIn('ghost.example.test', f['message'])
        self.assertEqual(r.rc, 1)


if __name__ == '__main__':
    unittest.main(verbosity=2)
