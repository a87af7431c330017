#!/usr/bin/env python3
"""The `connect` step judges servers in the order a client tries them.

The ocs profile's last fallback, sipexternal.<domain>:443 (the Edge server),
is unreachable from inside by design. When the client's first server
(_sipinternaltls._tcp, the lab's Kamailio over TLS) works, no client ever
tries the Edge server: it must be recorded as not needed, never as a timeout,
and the run must not wait for it. When a dead server comes first, a client
does wait for it before falling back: that warning stays.

The zone is the lab's, with sipexternal.example.test (and a dead first
server) moved to a loopback address where connect() times out
(sdlab.BlackholeHosts on port 443).

Run: meson test -C _build --suite tls   (or SD_CLI=... python3 tests/tls/test_connect_order.py -v)
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402

TIMEOUT = 5
EDGE_PORT = 443                  # the port the ocs and lync profiles try sipexternal.<domain> on
EDGE_ADDR = '127.0.31.77'        # sipexternal.example.test: black-holed
DEAD_ADDR = '127.0.31.78'        # dead.example.test: black-holed, tried first
LAB = HOLES = DNS_EDGE = DNS_DEAD_FIRST = None


def setUpModule():
    global LAB, HOLES, DNS_EDGE, DNS_DEAD_FIRST
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli is not built (set SD_CLI)')
    LAB = sdlab.Lab(sip256=False, peers=False, sipp=False)
    try:
        HOLES = sdlab.BlackholeHosts([EDGE_ADDR, DEAD_ADDR], port=EDGE_PORT)
    except PermissionError:
        LAB.stop()
        raise unittest.SkipTest('port %d is privileged: run as root (as CI does), or lower '
                                'net.ipv4.ip_unprivileged_port_start' % EDGE_PORT)
    tls = LAB.sip.ports['tls']

    def edge_unreachable(z):
        z.records = [r for r in z.records if r[1] != 'sipexternal.example.test']
        z.a('sipexternal.example.test', EDGE_ADDR)

    def dead_first(z):
        edge_unreachable(z)
        z.records = [r for r in z.records if r[1] != '_sipinternaltls._tcp.example.test']
        z.srv('_sipinternaltls._tcp.example.test', 'dead.example.test', EDGE_PORT, 0, 0)
        z.srv('_sipinternaltls._tcp.example.test', 'sip.example.test', tls, 10, 0)
        z.a('dead.example.test', DEAD_ADDR)

    DNS_EDGE = LAB.dns_with(edge_unreachable, name='dnsmasq-edge')
    DNS_DEAD_FIRST = LAB.dns_with(dead_first, name='dnsmasq-dead-first')


def tearDownModule():
    if HOLES is not None:
        HOLES.close()
    if LAB is not None:
        LAB.stop()


def run(dns, password=True):
    args = ['alice@example.test', '--dns-server', dns.addr, '--ca-file', LAB.pki.ca_file,
            '--client', 'ocs', '--timeout', str(TIMEOUT), '--json']
    if password:
        args += ['--password-file', LAB.password_file()]
    start = time.monotonic()
    # Hang guard only: DNS, one connect timeout, TLS and SIP, with room for a loaded machine.
    r = sdlab.run_cli(args, timeout=4 * TIMEOUT + 15)
    return r, time.monotonic() - start


def attempts(report):
    return report['steps']['connect']['data']['attempts']


def codes(report):
    return [f['code'] for f in report['findings']]


class ClientOrder(unittest.TestCase):
    maxDiff = None

    def test_edge_after_working_server_not_needed(self):
        r, elapsed = run(DNS_EDGE)
        self.assertIsNotNone(r.report, r.stderr)
        tried = attempts(r.report)
        first = tried[0]
        self.assertEqual((first['host'], first['port'], first['transport'], first['result']),
                         ('sip.example.test', LAB.sip.ports['tls'], 'tls', 'ok'), tried)
        edge = [a for a in tried if a['host'] == 'sipexternal.example.test']
        self.assertEqual(len(edge), 1, tried)
        self.assertEqual(edge[0]['port'], EDGE_PORT)
        self.assertEqual(edge[0]['address'], EDGE_ADDR)
        self.assertEqual(edge[0]['result'], 'not-needed')
        self.assertNotIn('error', edge[0])
        # Everything after the first that works: not needed, none judged.
        for a in tried[1:]:
            self.assertIn(a['result'], ('not-needed', 'unresolved'), a)
        for code in ('connect.timeout', 'connect.refused', 'connect.unreachable', 'connect.not-tried'):
            self.assertNotIn(code, codes(r.report))
        self.assertEqual(r.report['steps']['connect']['status'], 'pass')
        self.assertEqual(r.report['steps']['connect']['data']['selected']['host'], 'sip.example.test')
        self.assertIsNotNone(sdlab.find_finding(r.report, 'auth.ok'), codes(r.report))
        self.assertEqual(r.report['verdict'], 'pass', r.report['findings'])
        self.assertEqual(r.rc, 0)
        # The Edge server's connection was given up, not waited for: the whole
        # run (DNS, connect, TLS, SIP, sign-in on loopback) within one timeout.
        self.assertLess(r.report['steps']['connect']['duration_ms'], TIMEOUT * 1000)
        self.assertLess(elapsed, TIMEOUT, 'the run waited for a server after the one that works')

    def test_dead_server_first_still_warned(self):
        r, elapsed = run(DNS_DEAD_FIRST)
        self.assertIsNotNone(r.report, r.stderr)
        tried = attempts(r.report)
        self.assertEqual((tried[0]['host'], tried[0]['result']), ('dead.example.test', 'timeout'), tried)
        self.assertEqual((tried[1]['host'], tried[1]['result']), ('sip.example.test', 'ok'), tried)
        timeouts = sdlab.find_findings(r.report, 'connect.timeout')
        self.assertEqual(len(timeouts), 1, r.report['findings'])
        f = timeouts[0]
        self.assertEqual(f['severity'], 'warning')
        self.assertIn('dead.example.test', f['message'])
        self.assertNotIn('sipexternal', f['message'])
        self.assertIn('after waiting for this one', f['advice'])
        edge = [a for a in tried if a['host'] == 'sipexternal.example.test']
        self.assertEqual([a['result'] for a in edge], ['not-needed'])
        self.assertEqual(r.report['steps']['connect']['status'], 'warn')
        self.assertEqual(r.report['verdict'], 'warn')
        self.assertIsNotNone(sdlab.find_finding(r.report, 'auth.ok'), codes(r.report))
        self.assertEqual(r.rc, 0)

    def test_without_password_sign_in_skipped(self):
        r, _ = run(DNS_EDGE, password=False)
        auth = r.report['steps']['auth']
        self.assertEqual(auth['status'], 'skip')
        self.assertTrue(auth['reason'].startswith('Not tried: no password'), auth['reason'])
        self.assertEqual(auth['data']['result'], 'not-attempted')
        self.assertNotIn('connect.timeout', codes(r.report))
        self.assertEqual(r.report['verdict'], 'pass')


if __name__ == '__main__':
    unittest.main(verbosity=2)
