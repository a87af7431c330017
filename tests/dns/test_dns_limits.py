#!/usr/bin/env python3
"""What a hostile DNS zone can make the `dns` step do, against a real dnsmasq.

The zone is generated here: 60 SRV records each naming a host with 250
addresses (all 127.x.y.z), the shape that once gave 45,000 candidates and a
report of megabytes. The step must keep its caps (32 SRV records per name,
16 addresses per host, 64 candidates), say what it cut in a
dns.too-many-records warning and in data.left_out, stay within its query
budget, write a small report and end. Nothing is connected to: --until dns.

Run: meson test -C _build --suite dns   (or SD_CLI=... python3 tests/dns/test_dns_limits.py -v)
"""
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
import sdlab  # noqa: E402

SRV_PER_NAME, ADDR_PER_HOST, CANDIDATES, LISTED, QUERIES = 32, 16, 64, 32, 96
TIMEOUT = 5


def dns_data(report):
    return report['steps']['dns']['data']


def left_out(report, what):
    return [e for e in dns_data(report)['left_out'] if e['what'] == what]


class DnsLimits(unittest.TestCase):
    lab = None

    @classmethod
    def setUpClass(cls):
        if not sdlab.have_cli():
            raise unittest.SkipTest('sip-doctor-cli not built')
        cls.lab = sdlab.Lab(dns=False, pki=False, sip=False, sip256=False, peers=False, sipp=False)
        z = sdlab.Zone().domain('huge.test')
        for i in range(60):
            host = 'h%02d.huge.test' % i
            z.srv('_sip._tls.huge.test', host, 5061, 10, 1 + i % 7)
            for j in range(250):
                z.a(host, '127.%d.%d.%d' % (10 + i, j // 200, 1 + j % 200))
        # Four SRV names whose 32 distinct targets each need more look-ups
        # than the step's budget allows.
        z.domain('wide.test')
        for svc in ('_sips._tcp', '_sip._tls', '_sip._tcp', '_sip._udp'):
            for i in range(32):
                z.srv('%s.wide.test' % svc, 'w%s-%02d.wide.test' % (svc[1:].replace('._', '-'), i), 5061)
        z.a('wsips-tcp-00.wide.test', '127.0.3.1')
        # A normal domain in the same zone: nothing is cut there.
        z.domain('small.test')
        z.srv('_sip._tls.small.test', 'sip.small.test', 5061)
        z.a('sip.small.test', '127.0.0.1')
        cls.dns = sdlab.DnsServer(cls.lab, z, name='dnsmasq-huge')

    @classmethod
    def tearDownClass(cls):
        if cls.lab is not None:
            cls.lab.stop()

    def run_cli(self, *args, nofile=None):
        argv = list(args) + ['--dns-server', self.dns.addr, '--json', '--until', 'dns',
                             '--timeout', str(TIMEOUT)]
        start = time.monotonic()
        # Hang guard: a few round trips, each bounded by the timeout.
        res = sdlab.run_cli(argv, timeout=4 * TIMEOUT + 10, nofile=nofile)
        elapsed = time.monotonic() - start
        marks = ['runtime error:', 'AddressSanitizer', 'LeakSanitizer', 'CRITICAL']
        if nofile is None:
            marks.append('WARNING **')   # an internal failure is logged as one
        for mark in marks:
            self.assertNotIn(mark, res.stderr)
        self.assertIsNotNone(res.report, 'no JSON report; stderr: %s' % res.stderr)
        self.assertLess(elapsed, 4 * TIMEOUT + 5)
        return res

    def test_huge_zone_is_capped_and_said(self):
        res = self.run_cli('alice@huge.test')
        self.assertEqual(res.rc, 0, res.stderr)
        # A small report: the JSON a person or script reads stays well under 1 MB.
        self.assertLess(len(res.stdout.encode()), 1024 * 1024)
        d = dns_data(res.report)
        cands = d['candidates']
        self.assertEqual(len(cands), CANDIDATES)
        self.assertEqual(len({(c['address'], c['port'], c['transport'], c['host']) for c in cands}), CANDIDATES)
        per_host = {}
        for c in cands:
            per_host[c['host']] = per_host.get(c['host'], 0) + 1
        self.assertTrue(all(n <= ADDR_PER_HOST for n in per_host.values()), per_host)
        self.assertLessEqual(len(d['queries']), QUERIES)

        srv = left_out(res.report, 'srv-records')
        self.assertEqual(len(srv), 1)
        self.assertEqual((srv[0]['name'], srv[0]['found'], srv[0]['kept'], srv[0]['left_out']),
                         ('_sip._tls.huge.test', 60, SRV_PER_NAME, 60 - SRV_PER_NAME))
        # The records left out are named, and none of them became a candidate.
        gone = {r['target'] for r in srv[0]['records']}
        self.assertEqual(len(gone), 60 - SRV_PER_NAME)
        self.assertFalse(gone & set(per_host))
        # Only the kept records' targets were looked up.
        asked = {q['name'] for q in d['queries'] if q['type'] in ('A', 'AAAA')}
        self.assertFalse(gone & asked)

        addrs = left_out(res.report, 'addresses')
        self.assertEqual(len(addrs), SRV_PER_NAME)
        for e in addrs:
            self.assertEqual((e['found'], e['kept'], e['left_out']), (250, ADDR_PER_HOST, 250 - ADDR_PER_HOST))
            self.assertEqual(len(e['addresses']), LISTED)
        cut = left_out(res.report, 'candidates')
        self.assertEqual(len(cut), 1)
        self.assertEqual((cut[0]['found'], cut[0]['kept']), (SRV_PER_NAME * ADDR_PER_HOST, CANDIDATES))
        self.assertEqual(cut[0]['left_out'], SRV_PER_NAME * ADDR_PER_HOST - CANDIDATES)
        self.assertEqual(len(cut[0]['candidates']), LISTED)
        self.assertFalse({(c['host'], c['address']) for c in cut[0]['candidates']}
                         & {(c['host'], c['address']) for c in cands})

        # Every answer is counted, though only the first are listed.
        a = [q for q in d['queries'] if q['type'] == 'A' and q['answers']]
        self.assertTrue(a)
        for q in a:
            self.assertEqual(len(q['answers']), LISTED)
            self.assertEqual(q['answers_not_listed'], 250 - LISTED)

        f = sdlab.find_finding(res.report, 'dns.too-many-records')
        self.assertIsNotNone(f)
        self.assertEqual((f['severity'], f['step']), ('warning', 'dns'))
        # The whole picture first, then the cuts one by one.
        self.assertIn('huge.test name far more servers than a client would try', f['message'])
        self.assertIn('first ones in the client\'s order: 64 of the 512 servers to try', f['message'])
        self.assertIn('32 of the 60 SRV records of _sip._tls.huge.test', f['message'])
        self.assertIn('16 of the 250 addresses of', f['message'])
        self.assertIn('huge.test', f['advice'])
        self.assertEqual(res.report['steps']['dns']['status'], 'warn')

    def test_explicit_server_addresses_capped(self):
        res = self.run_cli('alice@huge.test', '--server', 'h07.huge.test', '--transport', 'tcp')
        self.assertEqual(res.rc, 0, res.stderr)
        d = dns_data(res.report)
        cands = d['candidates']
        a = [q for q in d['queries'] if q['type'] == 'A'][0]
        # The first 16 in the server's order, which the report lists first.
        self.assertEqual([c['address'] for c in cands], [x['address'] for x in a['answers'][:ADDR_PER_HOST]])
        self.assertEqual(a['answers_not_listed'], 250 - LISTED)
        e = left_out(res.report, 'addresses')
        self.assertEqual([(x['name'], x['left_out']) for x in e], [('h07.huge.test', 250 - ADDR_PER_HOST)])
        f = sdlab.find_finding(res.report, 'dns.too-many-records')
        self.assertIn('The DNS records of h07.huge.test name', f['message'])
        self.assertIn('16 of the 250 addresses of h07.huge.test', f['message'])

    def test_query_budget_is_not_no_address(self):
        # 4 x 32 targets need 256 look-ups, the step asks at most 96: the hosts
        # never asked are said to be unasked, not to have no address.
        res = self.run_cli('alice@wide.test')
        d = dns_data(res.report)
        self.assertLessEqual(len(d['queries']), QUERIES)
        unasked = left_out(res.report, 'look-ups')
        self.assertEqual(len(unasked), 1)
        self.assertEqual(unasked[0]['limit'], QUERIES)
        self.assertGreater(unasked[0]['left_out'], 0)
        self.assertLessEqual(len(unasked[0]['hosts']), LISTED)
        # Unasked: at least one of its A and AAAA look-ups never went out.
        asked = {(q['name'], q['type']) for q in d['queries']}
        for h in unasked[0]['hosts']:
            self.assertFalse((h, 'A') in asked and (h, 'AAAA') in asked, h)
        unresolvable = sdlab.find_findings(res.report, 'dns.srv-target-unresolvable')
        self.assertTrue(unresolvable)   # the hosts asked that have no address
        for f in unresolvable:
            for h in unasked[0]['hosts']:
                self.assertNotIn(h, f['message'])
        self.assertIn('not looked up', sdlab.find_finding(res.report, 'dns.too-many-records')['message'])
        self.assertEqual([c['address'] for c in d['candidates']], ['127.0.3.1'])

    def test_out_of_file_descriptors_is_local(self):
        # 6 open files leave no socket for most of the 7 questions of the
        # first round: this computer's problem, not the DNS server's.
        res = self.run_cli('alice@huge.test', nofile=6)
        self.assertEqual(res.rc, 3, res.stderr)
        self.assertIn('ran out of resources', res.stderr)
        qs = dns_data(res.report)['queries']
        local = [q for q in qs if q['rcode'] == 'LOCAL']
        self.assertTrue(local, qs)
        for q in local:
            self.assertIn('Too many open files', q['error'])
        f = sdlab.find_finding(res.report, 'dns.local-resources')
        self.assertEqual((f['severity'], f['step']), ('error', 'dns'))
        self.assertIn('This says nothing about the DNS server', f['message'])
        self.assertIn('ulimit', f['advice'])
        for code in ('dns.server-error', 'dns.no-records', 'dns.server-timeout', 'dns.srv-target-unresolvable',
                     'dns.domain-not-found', 'dns.no-records-for-transport'):
            self.assertIsNone(sdlab.find_finding(res.report, code), code)
        self.assertEqual(res.report['steps']['dns']['status'], 'fail')

    def test_small_zone_untouched(self):
        res = self.run_cli('alice@small.test')
        self.assertEqual(res.rc, 0, res.stderr)
        d = dns_data(res.report)
        self.assertEqual(d['left_out'], [])
        self.assertIsNone(sdlab.find_finding(res.report, 'dns.too-many-records'))
        self.assertEqual([(c['host'], c['address']) for c in d['candidates']], [('sip.small.test', '127.0.0.1')])
        self.assertTrue(all('answers_not_listed' not in q for q in d['queries']))


if __name__ == '__main__':
    unittest.main(verbosity=2)
