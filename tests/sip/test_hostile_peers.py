#!/usr/bin/env python3
"""Hostile peers: every network operation ends at its deadline, and a peer
streaming messages cannot grow the trace (or the memory) without end.

Peers from ../lab/sdlab.py: a TLS server trickling its handshake one byte a
second (as the first server, and as the target of a 301 from a TLS SIP
server), a TCP SIP server trickling its answer, a DNS server whose UDP
answers are truncated and whose TCP answers trickle, and peers that answer a
request with a flood of SIP messages matching no transaction (UDP, TCP,
TLS, and TCP with 60000-byte bodies). Run: meson test -C _build --suite sip.
"""
import json
import os
import resource
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402

TIMEOUT = 3
# A hang guard, not a speed test: a trickling peer would keep an idle
# timeout alive for minutes; a deadline ends the run after about TIMEOUT.
HANG_GUARD = 2 * TIMEOUT + 3
MAX_RSS_KIB = 150 * 1024
MAX_REPORT_BYTES = 2 * 1024 * 1024

LAB = None


def cli_env():
    """AddressSanitizer keeps freed memory in a quarantine of up to 256 MB,
    which a flood fills: the memory bound is about the engine, so an ASan
    build of the CLI gets a small quarantine."""
    with open(sdlab.cli_path(), 'rb') as f:
        if b'__asan_init' not in f.read():
            return None
    options = os.environ.get('ASAN_OPTIONS', '')
    return {'ASAN_OPTIONS': (options + ':' if options else '') + 'quarantine_size_mb=8'}


def setUpModule():
    global LAB
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli not built')
    LAB = sdlab.Lab(sip=False, sip256=False, sipp=False)


def tearDownModule():
    if LAB is not None:
        LAB.stop()


def codes(report):
    return [f['code'] for f in report['findings']]


class HostileCase(unittest.TestCase):
    maxDiff = None

    def run_cli(self, args):
        start = time.monotonic()
        # run_cli kills the CLI and raises after twice the guard
        result = sdlab.run_cli(list(args) + ['--timeout', str(TIMEOUT), '--json'], timeout=2 * HANG_GUARD,
                               env=cli_env())
        elapsed = time.monotonic() - start
        self.assertIsNotNone(result.report, 'no JSON; stderr: ' + result.stderr[-2000:])
        self.assertNotIn('CRITICAL', result.stderr)
        self.assertNotIn('Sanitizer', result.stderr)
        self.assertNotIn('runtime error:', result.stderr)
        self.assertLess(elapsed, HANG_GUARD, 'the run outlived its hang guard')
        self.assertEqual(result.rc, 1, codes(result.report))
        return result

    def finding(self, report, code):
        f = sdlab.find_finding(report, code)
        self.assertIsNotNone(f, '%s missing; findings: %s' % (code, codes(report)))
        return f


class Trickle(HostileCase):
    def test_tls_handshake_trickled_by_first_server(self):
        r = self.run_cli(LAB.cli_base('alice@example.test') + [
            '--server', 'sip.example.test:%d' % LAB.peers['tls-trickle'], '-t', 'tls'])
        self.finding(r.report, 'tls.handshake-failed')
        tls = r.report['steps']['tls']['data']
        self.assertEqual(tls['handshake'], 'failed')
        self.assertEqual(tls['failure'], 'timeout')

    def test_tls_handshake_trickled_by_redirect_target(self):
        r = self.run_cli(LAB.cli_base('alice@example.test') + [
            '--server', 'sip.example.test:%d' % LAB.peers['tls-redirect-trickle'], '-t', 'tls'])
        # the first server is fine; its 301 sends the sign-in to the trickler
        self.assertEqual(r.report['steps']['tls']['data']['handshake'], 'ok')
        self.finding(r.report, 'sip.redirect')
        f = self.finding(r.report, 'tls.handshake-failed')
        self.assertEqual(f['step'], 'sip')
        self.assertIn('home.example.test:%d' % LAB.peers['tls-trickle'], f['message'])
        sip = r.report['steps']['sip']['data']
        last = sip['exchanges'][-1]
        self.assertEqual(last['method'], 'REGISTER')
        self.assertIsNone(last['status'])
        self.assertEqual(last['failure'], 'tls-handshake-timeout')
        self.assertEqual(last['peer'], '127.0.0.1:%d' % LAB.peers['tls-trickle'])

    def test_sip_answer_trickled_over_tcp(self):
        r = self.run_cli(LAB.cli_base('alice@example.test') + [
            '--server', '127.0.0.1:%d' % LAB.peers['sip-trickle-tcp'], '-t', 'tcp'])
        f = self.finding(r.report, 'sip.no-response')
        self.assertIn('%d seconds' % TIMEOUT, f['message'])
        exchanges = r.report['steps']['sip']['data']['exchanges']
        self.assertEqual([(e['method'], e['status']) for e in exchanges], [('OPTIONS', None)])

    def test_dns_answer_trickled_over_tcp(self):
        # truncated over UDP, so asked again over TCP, where it trickles
        r = self.run_cli(['alice@example.test', '--dns-server', '127.0.0.1:%d' % LAB.peers['dns-trickle'],
                          '--server', 'sip.example.test', '-t', 'tcp'])
        self.finding(r.report, 'dns.server-timeout')
        queries = r.report['steps']['dns']['data']['queries']
        self.assertTrue(queries)
        for q in queries:
            self.assertEqual(q['rcode'], 'TIMEOUT', q)
            self.assertEqual(q['protocol'], 'tcp', q)


class Flood(HostileCase):
    def check_bounded(self, r):
        self.assertLess(len(r.stdout.encode()), MAX_REPORT_BYTES)
        maxrss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        self.assertLess(maxrss_kib, MAX_RSS_KIB)

    def test_unrelated_messages_bounded_per_transaction(self):
        for kind, transport, host in (('sip-flood-udp', 'udp', '127.0.0.1'),
                                      ('sip-flood-tcp', 'tcp', '127.0.0.1'),
                                      ('tls-flood', 'tls', 'sip.example.test')):
            with self.subTest(kind=kind):
                r = self.run_cli(LAB.cli_base('alice@example.test') + [
                    '--server', '%s:%d' % (host, LAB.peers[kind]), '-t', transport])
                # nothing answered the request itself
                self.finding(r.report, 'sip.no-response')
                trace = r.report['trace']
                received = [e for e in trace if e['direction'] == 'received']
                notes = [e for e in trace if e['direction'] == 'note']
                self.assertGreater(len(received), 0)
                # 20 shown for the one transaction, then a note
                self.assertLessEqual(len(received), 20)
                self.assertEqual(len(notes), 1, notes)
                self.assertEqual(notes[0]['step'], 'sip')
                self.check_bounded(r)

    def test_trace_byte_limit(self):
        r = self.run_cli(LAB.cli_base('alice@example.test') + [
            '--server', '127.0.0.1:%d' % LAB.peers['sip-flood-big-tcp'], '-t', 'tcp'])
        self.finding(r.report, 'sip.no-response')
        trace = r.report['trace']
        self.assertLessEqual(sum(len(e['text'].encode()) for e in trace if not e.get('truncated')),
                             1024 * 1024)
        last = trace[-1]
        self.assertEqual(last['direction'], 'note')
        self.assertTrue(last['truncated'])
        self.assertGreater(last['dropped_messages'], 0)
        self.assertGreater(last['dropped_bytes'], 0)
        self.assertEqual(len([e for e in trace if e.get('truncated')]), 1)
        self.check_bounded(r)


if __name__ == '__main__':
    unittest.main(verbosity=2)
