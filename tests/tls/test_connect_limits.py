#!/usr/bin/env python3
"""The `connect` step against many silent servers, and short of file descriptors.

A zone generated here names 20 SRV targets of 50 addresses each, every one a
loopback address where connect() times out (sdlab.BlackholeHosts: a full
listen queue, so the kernel drops the SYN). The dns step keeps 64
candidates; the connect step must never have more than 16 connections in
flight (counted from /proc/net/tcp while it runs), its one timeout must hold
for the whole step, and the candidates it had no time left for are "not
tried", not "timed out". Run with a limit of 12 open files, the step runs out
of sockets: that must be said to be this computer's problem (exit status 3,
connect.local-resources), never the servers' (no connect.unreachable).

Run: meson test -C _build --suite tls   (or SD_CLI=... python3 tests/tls/test_connect_limits.py -v)
"""
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402

IN_FLIGHT, CANDIDATES = 16, 64
TIMEOUT = 3
LAB = HOLES = DNS = None


def setUpModule():
    global LAB, HOLES, DNS
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli is not built (set SD_CLI)')
    LAB = sdlab.Lab(dns=False, pki=False, sip=False, sip256=False, peers=False, sipp=False)
    addrs = ['127.0.2.%d' % i for i in range(1, CANDIDATES + 1)]
    HOLES = sdlab.BlackholeHosts(addrs)
    z = sdlab.Zone().domain('silent.test')
    for i in range(20):
        host = 'h%02d.silent.test' % i
        z.srv('_sip._tcp.silent.test', host, HOLES.port)
        for j in range(50):
            z.a(host, addrs[(i * 50 + j) % len(addrs)])
    for a in addrs[:IN_FLIGHT]:
        z.a('many.silent.test', a)
    DNS = sdlab.DnsServer(LAB, z, name='dnsmasq-silent')


def tearDownModule():
    if HOLES is not None:
        HOLES.close()
    if LAB is not None:
        LAB.stop()


def results(report):
    return collections.Counter(a['result'] for a in report['steps']['connect']['data']['attempts'])


class ConnectLimits(unittest.TestCase):
    def test_in_flight_bounded_one_timeout(self):
        argv = [sdlab.cli_path(), 'alice@silent.test', '--dns-server', DNS.addr, '--transport', 'tcp',
                '--timeout', str(TIMEOUT), '--until', 'connect', '--json']
        env = dict(os.environ, G_DEBUG='fatal-criticals')
        most, busiest = 0, []
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.monotonic()
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                 start_new_session=True)
            try:
                # Hang guard: DNS, then one timeout for all; sampled every 20 ms.
                while p.poll() is None and time.monotonic() - start < 2 * TIMEOUT + 15:
                    now = HOLES.syn_sent_list()
                    if len(now) > most:
                        most, busiest = len(now), now
                    time.sleep(0.02)
            finally:
                if p.poll() is None:
                    p.kill()
                p.wait()
            elapsed = time.monotonic() - start
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(), err.read().decode()
        self.assertLess(elapsed, 2 * TIMEOUT + 15, 'the run did not end')
        self.assertNotRegex(stderr, r'Sanitizer|runtime error|CRITICAL')
        report = json.loads(stdout)
        self.assertEqual(p.returncode, 1, stderr)
        self.assertEqual(len(report['steps']['dns']['data']['candidates']), CANDIDATES)
        # One timeout for the step: the first 16 time out, the rest get no turn.
        r = results(report)
        self.assertEqual(r, {'timeout': IN_FLIGHT, 'not-tried': CANDIDATES - IN_FLIGHT}, r)
        # Never more than the bound in flight, and the bound is used.
        self.assertLessEqual(most, IN_FLIGHT, busiest)
        self.assertGreater(most, 1)
        attempts = report['steps']['connect']['data']['attempts']
        self.assertEqual([a['result'] for a in attempts[:IN_FLIGHT]], ['timeout'] * IN_FLIGHT)
        # One timeout for the whole step, not one per batch of 16 (that would be 4).
        self.assertGreaterEqual(report['steps']['connect']['duration_ms'], TIMEOUT * 1000 - 50)
        self.assertLess(report['steps']['connect']['duration_ms'], 2 * TIMEOUT * 1000)
        t = sdlab.find_finding(report, 'connect.timeout')
        self.assertEqual(t['severity'], 'error')
        self.assertEqual(t['message'].count('silent.test:%d (TCP)' % HOLES.port), IN_FLIGHT)
        n = sdlab.find_finding(report, 'connect.not-tried')
        self.assertEqual(n['severity'], 'info')
        self.assertIn('%d servers were not tried' % (CANDIDATES - IN_FLIGHT), n['message'])
        self.assertIsNone(sdlab.find_finding(report, 'connect.unreachable'))
        for a in attempts[IN_FLIGHT:]:
            self.assertIn('Not tried', a['error'])

    def test_out_of_file_descriptors_is_local(self):
        # 16 silent addresses for one server name: 16 connections at once,
        # more than 12 open files allow. DNS (two look-ups) still works.
        res = sdlab.run_cli(['alice@silent.test', '--server', 'many.silent.test:%d' % HOLES.port,
                             '--dns-server', DNS.addr, '--transport', 'tcp', '--timeout', '2',
                             '--until', 'connect', '--json'], timeout=30, nofile=12)
        self.assertNotRegex(res.stderr, r'Sanitizer|runtime error|CRITICAL')
        self.assertIsNotNone(res.report, res.stderr)
        self.assertEqual(res.report['steps']['dns']['status'], 'pass')
        self.assertEqual(len(res.report['steps']['dns']['data']['candidates']), IN_FLIGHT)
        # An internal failure of this computer: exit status 3, said on stderr.
        self.assertEqual(res.rc, 3, res.stderr)
        self.assertIn('ran out of resources', res.stderr)
        r = results(res.report)
        self.assertGreater(r['local'], 0, r)
        self.assertEqual(r['local'] + r['timeout'], IN_FLIGHT, r)
        for a in res.report['steps']['connect']['data']['attempts']:
            if a['result'] == 'local':
                self.assertIn('Too many open files', a['error'])
        f = sdlab.find_finding(res.report, 'connect.local-resources')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('This says nothing about those servers', f['message'])
        self.assertIn('ulimit', f['advice'])
        self.assertEqual(f['message'].count('many.silent.test:%d (TCP)' % HOLES.port), r['local'])
        # Never blamed on the servers.
        self.assertIsNone(sdlab.find_finding(res.report, 'connect.unreachable'))
        self.assertIsNone(sdlab.find_finding(res.report, 'connect.refused'))
        t = sdlab.find_finding(res.report, 'connect.timeout')
        if t is not None:
            self.assertEqual(t['message'].count('many.silent.test:%d (TCP)' % HOLES.port), r['timeout'])
        self.assertEqual(res.report['steps']['connect']['status'], 'fail')


if __name__ == '__main__':
    unittest.main(verbosity=2)
