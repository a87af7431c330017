#!/usr/bin/env python3
"""The sip and auth steps end to end, against the lab's real peers.

Every finding of the two steps comes from a real scenario here: Kamailio
(UDP, TCP, TLS; Digest MD5 and SHA-256; 401/407; the Microsoft-style 401;
301 to a home server; a redirect loop; 403; 404; 5xx; a Date an hour off;
Basic), SIPp (both Microsoft challenges in one header, Content-Length padded
with spaces) and Python peers that stay silent, answer garbage or never end
a header line. Run: meson test -C _build --suite sip (SD_CLI names the CLI).
"""
import json
import os
import resource
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402

TIMEOUT = 3          # --timeout given to the CLI
# Below two timeouts: a second wait fails the test, while sanitizer builds on
# a loaded machine still have room.
HANG_GUARD = 2 * TIMEOUT - 0.5
# No Kerberos ticket, whatever the machine running the tests has.
NO_TICKET_ENV = {'KRB5CCNAME': 'FILE:/nonexistent/sip-doctor-test-ccache'}

LAB = None


def setUpModule():
    global LAB
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli not built')
    LAB = sdlab.Lab()


def tearDownModule():
    if LAB is not None:
        LAB.stop()


def codes(report):
    return [f['code'] for f in report['findings']]


class SipCase(unittest.TestCase):
    maxDiff = None

    def run_cli(self, user, transport, port=None, host='sip.example.test', password='lab',
                extra=(), env=None, timeout=30):
        """Runs the CLI against one lab server; returns (result, elapsed)."""
        if port is None:
            port = LAB.sip.ports[transport]
        args = LAB.cli_base(user + '@example.test') + [
            '--server', '%s:%d' % (host, port), '-t', transport,
            '--timeout', str(TIMEOUT), '--json']
        if password == 'lab':
            args += ['--password-file', LAB.password_file(user if user in sdlab.PASSWORDS else 'alice')]
        elif password is not None:
            args += ['--password-file', LAB.password_file('alice', password=password)]
        args += list(extra)
        full_env = dict(NO_TICKET_ENV)
        full_env.update(env or {})
        start = time.monotonic()
        result = sdlab.run_cli(args, timeout=timeout, env=full_env)
        elapsed = time.monotonic() - start
        self.assertIsNotNone(result.report, 'no JSON; stderr: ' + result.stderr[-2000:])
        self.assertNotIn('CRITICAL', result.stderr)
        # Under -Db_sanitize=address,undefined (SD_CLI pointing at that build).
        self.assertNotIn('Sanitizer', result.stderr)
        self.assertNotIn('runtime error:', result.stderr)
        return result, elapsed

    def finding(self, report, code):
        f = sdlab.find_finding(report, code)
        self.assertIsNotNone(f, '%s missing; findings: %s' % (code, codes(report)))
        return f

    def trace_text(self, report):
        return '\n'.join(e['text'] for e in report.get('trace', []))


class SignIn(SipCase):
    def test_auth_ok_each_transport(self):
        for transport in ('udp', 'tcp', 'tls'):
            with self.subTest(transport=transport):
                r, _ = self.run_cli('alice', transport)
                self.assertEqual(r.rc, 0, codes(r.report))
                ok = self.finding(r.report, 'auth.ok')
                self.assertEqual(ok['severity'], 'info')
                auth = r.report['steps']['auth']['data']
                self.assertEqual(auth['result'], 'ok')
                self.assertEqual(auth['attempted'], 'Digest')
                self.assertEqual(auth['algorithm'], 'MD5')
                sip = r.report['steps']['sip']['data']
                self.assertEqual([(e['method'], e['status']) for e in sip['exchanges']],
                                 [('OPTIONS', 200), ('REGISTER', 401)])
                self.assertEqual(sip['server_header'], 'sip-doctor-lab (Kamailio)')
                self.assertEqual(auth['exchanges'][0]['status'], 200)
                trace = self.trace_text(r.report)
                # The test registration is removed again (Expires: 0), so no calls go astray.
                self.assertTrue(auth['unregistered'])
                self.assertIn('Expires: 0', trace)
                # The answer went out, with its response hash redacted.
                self.assertIn('Authorization: Digest username="alice"', trace)
                self.assertIn('response="[redacted]"', trace)
                self.assertIn('SIP/2.0/%s' % transport.upper(), trace)
                self.assertIn(';rport;branch=z9hG4bK', trace)
                if transport == 'tls':
                    self.assertIsNone(sdlab.find_finding(r.report, 'auth.digest-without-tls'))
                else:
                    self.finding(r.report, 'auth.digest-without-tls')

    def test_sha256_digest(self):
        r, _ = self.run_cli('alice', 'udp', port=LAB.sip256.ports['udp'])
        self.assertEqual(r.rc, 0, codes(r.report))
        self.finding(r.report, 'auth.ok')
        self.assertEqual(r.report['steps']['auth']['data']['algorithm'], 'SHA-256')

    def test_legacy_digest_without_qop(self):
        r, _ = self.run_cli('legacy', 'tcp')
        self.assertEqual(r.rc, 0, codes(r.report))
        self.finding(r.report, 'auth.ok')
        self.assertNotIn('qop=auth', self.trace_text(r.report))

    def test_proxy_authenticate_407(self):
        r, _ = self.run_cli('proxyuser', 'udp')
        self.assertEqual(r.rc, 0, codes(r.report))
        self.finding(r.report, 'auth.ok')
        challenges = r.report['steps']['sip']['data']['challenges']
        self.assertEqual(challenges[0]['header'], 'Proxy-Authenticate')
        self.assertIn('Proxy-Authorization: Digest', self.trace_text(r.report))

    def test_strongest_digest_and_stale_nonce(self):
        """Three challenges (MD5, SHA-256, SHA-512-256): the strongest is answered,
        and a stale=true nonce is answered again with the fresh one."""
        r, _ = self.run_cli('alice', 'udp', host='127.0.0.1', port=LAB.peers['sip-digest-udp'])
        self.assertEqual(r.rc, 0, codes(r.report))
        self.finding(r.report, 'auth.ok')
        auth = r.report['steps']['auth']['data']
        self.assertEqual(auth['algorithm'], 'SHA-512-256')
        self.assertEqual([e['status'] for e in auth['exchanges']][:2], [401, 200])
        trace = self.trace_text(r.report)
        self.assertIn('stale=true', trace)
        self.assertIn('nonce="old-1-SHA-512-256"', trace)
        answers = [ln for ln in trace.splitlines() if ln.startswith('Authorization:')]
        self.assertGreaterEqual(len(answers), 2)  # the stale one, then the fresh one
        for ln in answers:
            self.assertIn('algorithm=SHA-512-256', ln)

    def test_wrong_password_rejected(self):
        for transport in ('udp', 'tls'):
            with self.subTest(transport=transport):
                r, _ = self.run_cli('alice', transport, password='not-the-password')
                self.assertEqual(r.rc, 1)
                f = self.finding(r.report, 'auth.rejected')
                self.assertIn('does not say which', f['advice'])
                self.assertEqual(r.report['steps']['auth']['data']['result'], 'rejected')

    def test_registrar_says_wrong_password(self):
        r, _ = self.run_cli('strict', 'udp', password='not-the-password')
        f = self.finding(r.report, 'auth.rejected')
        self.assertIn('password is wrong', f['advice'])
        self.assertIn('403', f['message'])

    def test_registrar_says_unknown_user(self):
        r, _ = self.run_cli('strict', 'tcp', extra=['--sign-in', 'mallory'])
        f = self.finding(r.report, 'auth.rejected')
        self.assertIn('does not know this user name', f['advice'])

    def test_no_password(self):
        r, _ = self.run_cli('alice', 'tcp', password=None)
        f = self.finding(r.report, 'auth.no-password')
        self.assertIn('Not checked', f['message'])
        self.assertEqual(r.report['steps']['auth']['data']['result'], 'not-attempted')
        self.assertFalse(r.report['steps']['auth']['data']['password_given'])
        self.assertNotIn('Authorization:', self.trace_text(r.report))

    def test_no_password_is_skip_in_every_report(self):
        """A sign-in not tried is `skip`, never `pass`: JSON, text and HTML."""
        html = os.path.join(LAB.dir, 'no-password-%d.html' % os.getpid())
        r, _ = self.run_cli('alice', 'tls', password=None, extra=['--report', html])
        auth = r.report['steps']['auth']
        self.assertEqual(auth['status'], 'skip')
        self.assertEqual(auth['reason'], 'Not tried: no password.')
        self.assertEqual(auth['data']['result'], 'not-attempted')
        self.assertEqual(self.finding(r.report, 'auth.no-password')['severity'], 'info')
        ids = sdlab.step_ids()
        for step in ids[:ids.index('auth')]:
            self.assertEqual(r.report['steps'][step]['status'], 'pass', step)
        for st in r.report['steps'].values():
            self.assertIn(st['status'], ('pass', 'warn', 'fail', 'skip'))
        self.assertEqual(r.report['verdict'], 'pass')
        self.assertEqual(r.rc, 0)
        self.assertIn('1 of %d checks not run' % len(ids), r.report['summary'])
        with open(html, encoding='utf-8') as f:
            page = f.read()
        self.assertIn('<tr><th>Sign-in</th><td class="status-skip">skip</td>', page)
        self.assertIn('Not tried: no password.', page)
        self.assertIn('No problems found so far', page)
        self.assertNotIn('>No problems found<', page)
        # The text report, on standard output without --json.
        args = LAB.cli_base('alice@example.test') + [
            '--server', 'sip.example.test:%d' % LAB.sip.ports['tls'], '-t', 'tls',
            '--timeout', str(TIMEOUT)]
        t = sdlab.run_cli(args, timeout=30, env=NO_TICKET_ENV)
        self.assertEqual(t.rc, 0, t.stderr)
        lines = [ln.split() for ln in t.stdout.splitlines()]
        self.assertIn(['auth', 'skip'], [ln[:2] for ln in lines])
        self.assertNotIn(['auth', 'pass'], [ln[:2] for ln in lines])
        self.assertIn('Not tried: no password.', t.stdout)
        self.assertIn('Verdict: No problems found so far', t.stdout)

    def test_no_password_tls_failed_is_not_no_problems(self):
        """Without a password and a certificate that does not name the server:
        the verdict says problems, never "no problems found"."""
        r, _ = self.run_cli('alice', 'tls', host='127.0.0.1', password=None)
        self.assertEqual(r.report['steps']['tls']['status'], 'fail')
        self.assertEqual(r.report['steps']['auth']['status'], 'skip')
        self.assertEqual(r.report['verdict'], 'fail')
        self.assertEqual(r.rc, 1)
        self.assertNotIn('no problems found', r.report['summary'])

    def test_untrusted_certificate_no_credentials(self):
        # By IP: the certificate does not name 127.0.0.1, so the TLS check says untrusted.
        r, _ = self.run_cli('alice', 'tls', host='127.0.0.1')
        f = self.finding(r.report, 'auth.untrusted-not-sent')
        self.assertEqual(f['severity'], 'error')
        self.assertNotIn('Authorization:', self.trace_text(r.report))
        # The CLI's advice names its own option, not the wizard's switch.
        self.assertIn('--allow-untrusted', f['advice'])
        self.assertNotIn('page', f['advice'])
        self.assertNotIn('field', f['advice'])
        self.assertIsNone(sdlab.find_finding(r.report, 'auth.ok'))
        # Allowed explicitly: the sign-in itself is tried and works.
        r, _ = self.run_cli('alice', 'tls', host='127.0.0.1', extra=['--allow-untrusted'])
        self.finding(r.report, 'auth.ok')

    def test_sipsak_agrees(self):
        """The reference client and this tool give the same answer on the same server."""
        port = LAB.sip.ports['udp']
        good = sdlab.sipsak_register(port, 'udp', user='alice', workdir=LAB.dir)
        bad = sdlab.sipsak_register(port, 'udp', user='alice', password='wrong-one', workdir=LAB.dir)
        r_good, _ = self.run_cli('alice', 'udp')
        r_bad, _ = self.run_cli('alice', 'udp', password='wrong-one')
        self.assertEqual(good.returncode, 0, good.stdout)
        self.assertIsNotNone(sdlab.find_finding(r_good.report, 'auth.ok'))
        self.assertNotEqual(bad.returncode, 0, bad.stdout)
        self.assertIsNotNone(sdlab.find_finding(r_bad.report, 'auth.rejected'))


class RecordingUdpRegistrar:
    """A Digest registrar over UDP on loopback (sdlab's sip-digest-udp
    answers) that keeps every datagram it receives, bounded in count."""

    MAX = 50

    def __init__(self):
        # The same port over TCP is held bound, never listening: a TCP or
        # TLS connection there is refused, whatever else runs here.
        for _ in range(20):
            self.tcp_hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp_hold.bind((sdlab.LOOPBACK, 0))
            self.port = self.tcp_hold.getsockname()[1]
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                self.sock.bind((sdlab.LOOPBACK, self.port))
                break
            except OSError:
                self.sock.close()
                self.tcp_hold.close()
        else:
            raise sdlab.LabError('no port free over both UDP and TCP')
        self.sock.settimeout(0.2)
        self.received = []
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        state = {}
        while not self.stopping:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(self.received) < self.MAX:
                self.received.append(data.decode('utf-8', 'replace'))
            self.sock.sendto(sdlab._digest_peer_reply(data, state), addr)

    def requests(self, method):
        return [m for m in self.received if m.startswith(method + ' ')]

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()
        self.tcp_hold.close()


class SipsNeedsTls(SipCase):
    """A sips: address is signed in over TLS only (RFC 3261, 26.2.2)."""

    def run_sips(self, address, transport, port, password=True):
        args = LAB.cli_base(address) + ['--server', 'sip.example.test:%d' % port, '-t', transport,
                                        '--timeout', str(TIMEOUT), '--json']
        if password:
            args += ['--password-file', LAB.password_file()]
        r = sdlab.run_cli(args, timeout=30, env=NO_TICKET_ENV)
        self.assertIsNotNone(r.report, r.stderr)
        return r

    def test_sips_over_udp_sends_nothing(self):
        peer = RecordingUdpRegistrar()
        try:
            # The control: a sip: address signs in at this peer over UDP,
            # credentials and all, so an empty record below means something.
            r = self.run_sips('sip:alice@example.test', 'udp', peer.port)
            self.finding(r.report, 'auth.ok')
            self.assertTrue(any('\r\nAuthorization: Digest' in m for m in peer.requests('REGISTER')))
            del peer.received[:]

            r = self.run_sips('sips:alice@example.test', 'udp', peer.port)
            f = self.finding(r.report, 'uri.sips-needs-tls')
            self.assertEqual(f['severity'], 'error')
            self.assertEqual(f['step'], 'uri')
            self.assertEqual(r.rc, 1)
            self.assertEqual(r.report['verdict'], 'fail')
            self.assertIsNone(sdlab.find_finding(r.report, 'auth.ok'))
            self.assertEqual(r.report['steps']['sip']['status'], 'skip')
            self.assertIn('only over TLS', r.report['steps']['sip']['reason'])
            self.assertEqual(r.report['steps']['auth']['status'], 'skip')
            self.assertIn('only over TLS', r.report['steps']['auth']['reason'])
            self.assertEqual(r.report['steps']['auth']['data']['result'], 'not-attempted')
            self.assertNotIn('REGISTER', self.trace_text(r.report))
            time.sleep(0.3)   # anything still on its way over loopback
            self.assertEqual(peer.received, [])
        finally:
            peer.close()

    def test_sips_with_only_udp_left_sends_nothing(self):
        # No transport chosen: TLS and TCP are refused at the peer's port
        # (held bound over TCP, never listening), UDP is all that is left.
        peer = RecordingUdpRegistrar()
        try:
            r = self.run_sips('sips:alice@example.test', 'auto', peer.port)
            self.assertIsNone(sdlab.find_finding(r.report, 'uri.sips-needs-tls'))
            f = self.finding(r.report, 'sip.sips-not-tls')
            self.assertEqual((f['severity'], f['step']), ('error', 'sip'))
            self.assertIn('UDP', f['message'])
            self.assertEqual(r.rc, 1)
            self.assertEqual(r.report['steps']['sip']['status'], 'fail')
            self.assertEqual(r.report['steps']['sip']['data']['target']['transport'], 'udp')
            self.assertEqual(r.report['steps']['auth']['status'], 'skip')
            self.assertIn('only over TLS', r.report['steps']['auth']['reason'])
            self.assertIsNone(sdlab.find_finding(r.report, 'auth.ok'))
            time.sleep(0.3)   # anything still on its way over loopback
            self.assertEqual(peer.received, [])
        finally:
            peer.close()

    def test_sips_over_tcp_sends_nothing(self):
        r = self.run_sips('sips:alice@example.test', 'tcp', LAB.sip.ports['tcp'])
        self.assertEqual(self.finding(r.report, 'uri.sips-needs-tls')['severity'], 'error')
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.report['steps']['sip']['status'], 'skip')
        self.assertEqual(r.report['steps']['auth']['status'], 'skip')
        self.assertNotIn('REGISTER', self.trace_text(r.report))
        self.assertNotIn('Authorization:', self.trace_text(r.report))

    def test_sips_over_tls_signs_in(self):
        r = self.run_sips('sips:alice@example.test', 'tls', LAB.sip.ports['tls'])
        self.assertIsNone(sdlab.find_finding(r.report, 'uri.sips-needs-tls'))
        self.finding(r.report, 'auth.ok')
        self.assertEqual(r.rc, 0, codes(r.report))


class Redirects(SipCase):
    def test_redirect_to_home_server(self):
        for transport in ('udp', 'tcp', 'tls'):
            with self.subTest(transport=transport):
                r, _ = self.run_cli('moved', transport)
                self.assertEqual(r.rc, 0, codes(r.report))
                f = self.finding(r.report, 'sip.redirect')
                self.assertEqual(f['severity'], 'info')
                self.assertIn('home.example.test', f['message'])
                self.finding(r.report, 'auth.ok')
                sip = r.report['steps']['sip']['data']
                self.assertEqual(sip['redirects'][0]['status'], 301)
                self.assertEqual(sip['target']['host'], 'home.example.test')

    def test_redirect_loop(self):
        for transport in ('udp', 'tls'):
            with self.subTest(transport=transport):
                r, elapsed = self.run_cli('loop', transport)
                self.assertEqual(r.rc, 1)
                self.finding(r.report, 'sip.redirect-loop')
                self.assertLess(len(r.report['steps']['sip']['data']['redirects']), 5)


class Responses(SipCase):
    def test_forbidden(self):
        r, _ = self.run_cli('blocked', 'udp')
        f = self.finding(r.report, 'sip.forbidden')
        self.assertIn('enabled for SIP', f['advice'])
        self.assertIn('example.test', f['advice'])
        self.assertEqual(r.report['steps']['auth']['status'], 'skip')

    def test_not_found(self):
        r, _ = self.run_cli('nobody', 'tcp')
        self.finding(r.report, 'sip.not-found')

    def test_server_errors(self):
        r, _ = self.run_cli('broken', 'udp')
        self.assertIn('500', self.finding(r.report, 'sip.server-error')['message'])
        r, _ = self.run_cli('busy', 'tcp')
        self.assertIn('30 seconds', self.finding(r.report, 'sip.server-error')['message'])


class WindowsSignIn(SipCase):
    def test_microsoft_challenges(self):
        r, _ = self.run_cli('msuser', 'tls')
        f = self.finding(r.report, 'auth.scheme-not-supported')
        self.assertEqual(f['severity'], 'info')
        self.assertIn('DOMAIN\\user', f['advice'])
        auth = r.report['steps']['auth']['data']
        self.assertEqual(auth['schemes_offered'], ['NTLM', 'Kerberos'])
        params = r.report['steps']['sip']['data']['challenges'][0]['params']
        self.assertEqual(params['realm'], 'SIP Communications Service')
        self.assertEqual(params['targetname'], 'lcs1.example.test')
        # The field guide's trap: user@domain, no ticket, Kerberos and NTLM offered.
        k = self.finding(r.report, 'auth.kerberos-style-name')
        self.assertIn('EXAMPLE\\msuser', k['advice'])
        self.assertTrue(auth['kerberos_ticket']['checked'])
        self.assertFalse(auth['kerberos_ticket']['present'])

    def test_kerberos_ticket_present(self):
        """With a ticket for the realm the trap does not apply; with one for another realm it does."""
        tool = os.environ.get('SD_MAKE_CCACHE')
        if not tool:
            self.skipTest('built without Kerberos')
        import subprocess
        with tempfile.TemporaryDirectory() as d:
            good = os.path.join(d, 'good')
            other = os.path.join(d, 'other')
            subprocess.run([tool, good, 'msuser@EXAMPLE.TEST'], check=True)
            subprocess.run([tool, other, 'msuser@OTHER.TEST'], check=True)
            r, _ = self.run_cli('msuser', 'udp', env={'KRB5CCNAME': 'FILE:' + good})
            kt = r.report['steps']['auth']['data']['kerberos_ticket']
            self.assertTrue(kt['present'])
            self.assertTrue(kt['tgt'])
            self.assertEqual(kt['principal'], 'msuser@EXAMPLE.TEST')
            self.assertIsNone(sdlab.find_finding(r.report, 'auth.kerberos-style-name'))
            r, _ = self.run_cli('msuser', 'udp', env={'KRB5CCNAME': 'FILE:' + other})
            k = self.finding(r.report, 'auth.kerberos-style-name')
            self.assertIn('msuser@OTHER.TEST', k['message'])

    def test_ntlm_style_name_avoids_trap(self):
        r, _ = self.run_cli('msuser', 'udp', extra=['--sign-in', 'EXAMPLE\\msuser'])
        self.finding(r.report, 'auth.scheme-not-supported')
        self.assertIsNone(sdlab.find_finding(r.report, 'auth.kerberos-style-name'))
        # NTLM only: the sign-in was not tried, so it did not pass either.
        auth = r.report['steps']['auth']
        self.assertEqual(auth['status'], 'skip')
        self.assertIn('does not perform', auth['reason'])
        self.assertEqual(auth['data']['result'], 'not-supported')

    def test_sipp_both_challenges_in_one_header(self):
        for transport in ('udp', 'tcp'):
            with self.subTest(transport=transport):
                r, _ = self.run_cli('msuser', transport, port=LAB.sipp[transport].port)
                self.assertIsNone(sdlab.find_finding(r.report, 'sip.malformed-response'), codes(r.report))
                self.assertEqual(r.report['steps']['auth']['data']['schemes_offered'], ['NTLM', 'Kerberos'])
                self.finding(r.report, 'auth.kerberos-style-name')
                self.assertIn('Content-Length:     0', self.trace_text(r.report))

    def test_clock_skew(self):
        r, _ = self.run_cli('skewed', 'udp')
        f = self.finding(r.report, 'auth.clock-skew')
        auth = r.report['steps']['auth']['data']
        self.assertAlmostEqual(auth['clock_skew_s'], 3600, delta=120)
        self.assertIn(auth['server_date'][:16], f['message'])
        self.assertIn(auth['local_date'][:16], f['message'])
        self.assertIsNone(sdlab.find_finding(
            self.run_cli('alice', 'udp')[0].report, 'auth.clock-skew'))

    def test_basic_refused(self):
        r, _ = self.run_cli('basic', 'tcp')
        f = self.finding(r.report, 'auth.cleartext-refused')
        self.assertEqual(f['severity'], 'error')
        self.assertNotIn('Authorization:', self.trace_text(r.report))


class Misbehaving(SipCase):
    def test_silent_servers_end_at_the_timeout(self):
        for kind, transport in (('sip-silent-udp', 'udp'), ('tcp-silent', 'tcp')):
            with self.subTest(kind=kind):
                r, elapsed = self.run_cli('alice', transport, host='127.0.0.1', port=LAB.peers[kind])
                self.assertLess(elapsed, HANG_GUARD)
                f = self.finding(r.report, 'sip.no-response')
                self.assertIn('%d seconds' % TIMEOUT, f['message'])
                if transport == 'udp':
                    sent = [e for e in r.report['trace'] if e['direction'] == 'sent']
                    # Timer E: the request was retransmitted (0.5, 1, 2 s…) within the timeout.
                    self.assertGreaterEqual(len(sent), 3)

    def test_closed_udp_port_ends_at_once(self):
        """ICMP port unreachable reaches a connected UDP socket: no need to wait the timeout."""
        r, elapsed = self.run_cli('alice', 'udp', host='127.0.0.1', port=LAB.closed_port)
        # A closed port is a connection fault, not a silent server.
        f = self.finding(r.report, 'connect.refused')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('port unreachable', f['message'])
        self.assertNotIn('sip.no-response', codes(r.report))
        # The port was typed, not found in DNS: no record to blame.
        self.assertNotIn('SRV', f['message'] + f['advice'])
        self.assertLess(elapsed, TIMEOUT)

    def test_garbage(self):
        for kind, transport in (('sip-garbage-udp', 'udp'), ('sip-garbage-tcp', 'tcp')):
            with self.subTest(kind=kind):
                r, elapsed = self.run_cli('alice', transport, host='127.0.0.1', port=LAB.peers[kind])
                self.assertLess(elapsed, HANG_GUARD)
                self.finding(r.report, 'sip.malformed-response')

    def test_endless_header_line_bounded(self):
        for kind, transport in (('sip-endless-tcp', 'tcp'), ('sip-endless-udp', 'udp')):
            with self.subTest(kind=kind):
                r, elapsed = self.run_cli('alice', transport, host='127.0.0.1', port=LAB.peers[kind])
                self.assertLess(elapsed, HANG_GUARD)
                self.finding(r.report, 'sip.malformed-response')
                # The trace keeps at most a few KiB of what could not be parsed.
                self.assertLess(len(json.dumps(r.report['trace'])), 64 * 1024)
        # The peer streams 64 MiB; the CLI never holds more than a bounded buffer.
        maxrss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        self.assertLess(maxrss_kib, 60 * 1024)

    def test_padded_content_length(self):
        for kind, transport in (('sip-padded-udp', 'udp'), ('sip-padded-tcp', 'tcp')):
            with self.subTest(kind=kind):
                r, _ = self.run_cli('alice', transport, host='127.0.0.1', port=LAB.peers[kind])
                self.assertIsNone(sdlab.find_finding(r.report, 'sip.malformed-response'))
                self.assertTrue(r.report['steps']['sip']['data']['registered_without_credentials'])
                self.finding(r.report, 'auth.ok')


class SrvPort(SipCase):
    """An SRV record whose port is wrong: the record is named as the thing to fix."""

    @classmethod
    def setUpClass(cls):
        z = sdlab.Zone().domain('badport.test').domain('goodport.test')
        for d, udp, tcp in (('badport.test', LAB.closed_port, LAB.closed_port),
                            ('goodport.test', LAB.sip.ports['udp'], LAB.sip.ports['tcp'])):
            z.srv('_sip._udp.' + d, 'sip.' + d, udp, 0, 0)
            z.srv('_sip._tcp.' + d, 'sip.' + d, tcp, 0, 0)
            z.a('sip.' + d)
        cls.dns = sdlab.DnsServer(LAB, z, name='dnsmasq-srvport')

    def run_srv(self, domain, transport):
        args = ['alice@' + domain, '--dns-server', self.dns.addr, '-t', transport,
                '--timeout', str(TIMEOUT), '--json',
                '--password-file', LAB.password_file('alice')]
        start = time.monotonic()
        r = sdlab.run_cli(args, timeout=30, env=dict(NO_TICKET_ENV))
        elapsed = time.monotonic() - start
        self.assertIsNotNone(r.report, 'no JSON; stderr: ' + r.stderr[-2000:])
        self.assertNotIn('Sanitizer', r.stderr)
        self.assertNotIn('runtime error:', r.stderr)
        return r, elapsed

    def test_wrong_udp_port_names_the_record(self):
        r, elapsed = self.run_srv('badport.test', 'udp')
        self.assertEqual(r.rc, 1, codes(r.report))
        f = self.finding(r.report, 'connect.refused')
        self.assertEqual(f['severity'], 'error')
        self.assertNotIn('sip.no-response', codes(r.report))
        record = '_sip._udp.badport.test SRV 0 0 %d sip.badport.test.' % LAB.closed_port
        self.assertIn(record, f['message'])
        self.assertIn(record, f['advice'])
        self.assertIn('port unreachable', f['message'])
        self.assertIn('correct that record', f['advice'])
        # ICMP answers at once: no wait for the timeout
        self.assertLess(elapsed, HANG_GUARD)

    def test_wrong_tcp_port_names_the_record(self):
        r, _ = self.run_srv('badport.test', 'tcp')
        self.assertEqual(r.rc, 1, codes(r.report))
        f = self.finding(r.report, 'connect.refused')
        self.assertEqual((f['severity'], f['step']), ('error', 'connect'))
        self.assertNotIn('sip.no-response', codes(r.report))
        self.assertIn('_sip._tcp.badport.test SRV 0 0 %d sip.badport.test.' % LAB.closed_port, f['advice'])
        self.assertIn('correct that record', f['advice'])

    def test_right_port_signs_in(self):
        # The same records with Kamailio's ports: Kamailio answers and alice signs in.
        for transport in ('udp', 'tcp'):
            with self.subTest(transport=transport):
                r, _ = self.run_srv('goodport.test', transport)
                self.assertEqual(r.rc, 0, codes(r.report))
                self.finding(r.report, 'auth.ok')
                self.assertNotIn('connect.refused', codes(r.report))


class NoPasswordAnywhere(SipCase):
    def test_canary_password(self):
        """A password never shows in stdout, stderr, the trace or any report."""
        canary = 'Canary-%d-Zebra' % os.getpid()
        real = sdlab.PASSWORDS['alice']
        with tempfile.TemporaryDirectory() as d:
            for password in (canary, real):
                for transport in ('udp', 'tls'):
                    paths = [os.path.join(d, n) for n in
                             ('trace.txt', 'trace.json', 'r.json', 'r.html', 'r.txt')]
                    extra = ['--trace', paths[0]]
                    r1, _ = self.run_cli('alice', transport, password=password, extra=extra)
                    r2, _ = self.run_cli('alice', transport, password=password,
                                         extra=['--trace', paths[1], '--report', paths[2]])
                    r3, _ = self.run_cli('alice', transport, password=password,
                                         extra=['--report', paths[3]])
                    r4, _ = self.run_cli('alice', transport, password=password,
                                         extra=['--report', paths[4]])
                    if password == real:
                        self.finding(r1.report, 'auth.ok')
                    else:
                        self.finding(r1.report, 'auth.rejected')
                    texts = [r.stdout + r.stderr for r in (r1, r2, r3, r4)]
                    for p in paths:
                        with open(p, encoding='utf-8', errors='replace') as f:
                            texts.append(f.read())
                    for t in texts:
                        self.assertGreater(len(t), 100)
                        self.assertNotIn(password, t)

    def test_prompt_on_terminal(self):
        """--password-file - on a terminal: asked with echo off, never shown,
        and the sign-in really uses it."""
        canary = 'Canary-%d-Tty' % os.getpid()
        real = sdlab.PASSWORDS['alice']
        with tempfile.TemporaryDirectory() as d:
            for password in (canary, real):
                for transport in ('udp', 'tls'):
                    with self.subTest(password=password == real, transport=transport):
                        trace, report = os.path.join(d, 'trace.txt'), os.path.join(d, 'r.html')
                        args = LAB.cli_base('alice@example.test') + [
                            '--server', 'sip.example.test:%d' % LAB.sip.ports[transport],
                            '-t', transport, '--timeout', str(TIMEOUT), '--json',
                            '--password-file', '-', '--trace', trace, '--report', report]
                        r = sdlab.run_cli_pty(args, typed=password + '\n', env=NO_TICKET_ENV)
                        self.assertIn('Password for alice@example.test: ', r.screen)
                        self.assertFalse(r.echo_at_prompt)
                        self.assertTrue(r.echo_after)
                        self.assertIsNotNone(r.report, r.stderr[-2000:])
                        self.finding(r.report, 'auth.ok' if password == real else 'auth.rejected')
                        texts = [r.screen, r.stdout + r.stderr]
                        for p in (trace, report):
                            with open(p, encoding='utf-8', errors='replace') as f:
                                texts.append(f.read())
                        for t in texts[1:]:
                            self.assertGreater(len(t), 100)
                        for t in texts:
                            self.assertNotIn(password, t)

    def test_group_readable_password_file(self):
        """A password file others may read: a warning naming it, and the
        sign-in still goes on."""
        path = LAB.password_file('alice')
        os.chmod(path, 0o640)
        r, _ = self.run_cli('alice', 'udp', password=None, extra=['--password-file', path])
        self.finding(r.report, 'auth.ok')
        warnings = [line for line in r.stderr.splitlines() if 'chmod 600' in line]
        self.assertEqual(len(warnings), 1, r.stderr)
        self.assertIn(path, warnings[0])
        self.assertNotIn(sdlab.PASSWORDS['alice'], r.stdout + r.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
