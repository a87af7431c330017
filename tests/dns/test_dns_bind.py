#!/usr/bin/env python3
"""The dns step's verdicts against bind9, an independent DNS server.

dnsmasq is the lab's everyday DNS server; these cases are where a verdict
hangs on what exactly a server answers (NXDOMAIN against NOERROR for a
name that exists without the records asked, an SOA at the zone's apex, a
CNAME in an answer), so they run against bind9's named with real zone
files too. Each test also asks named itself, so the verdict is checked
against the server's own answer, not against what the test expects.

Run: meson test -C _build --suite dns   (SD_CLI names the CLI)
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
import sdlab  # noqa: E402

NXDOMAIN, NOERROR = 3, 0


def dns_data(report):
    return report['steps']['dns']['data']


class Bind(unittest.TestCase):
    lab = None

    @classmethod
    def setUpClass(cls):
        if not sdlab.have_cli():
            raise unittest.SkipTest('sip-doctor-cli not built')
        if sdlab.find_program('named') is None:
            raise unittest.SkipTest('named not installed (tools/install-deps.sh installs bind9)')
        cls.lab = sdlab.Lab(dns=False, pki=False, sip=False, sip256=False, peers=False, sipp=False)
        z = sdlab.Zone()
        # bind.test itself: the zone's apex (SOA, NS), no SIP record at all
        # tcponly.bind.test: SIP over TCP and UDP, no TLS
        z.srv('_sip._tcp.tcponly.bind.test', 'sip.tcponly.bind.test', 5060)
        z.srv('_sip._udp.tcponly.bind.test', 'sip.tcponly.bind.test', 5060)
        z.a('sip.tcponly.bind.test')
        # alias.bind.test: the SRV target is an alias (RFC 2782 forbids it)
        z.srv('_sip._tls.alias.bind.test', 'sipalias.alias.bind.test', 5061)
        z.cname('sipalias.alias.bind.test', 'real.alias.bind.test')
        z.a('real.alias.bind.test')
        cls.named = sdlab.BindServer(cls.lab, {'bind.test': z})

    @classmethod
    def tearDownClass(cls):
        if cls.lab is not None:
            cls.lab.stop()

    def run_cli(self, *args):
        res = sdlab.run_cli(list(args) + ['--dns-server', self.named.addr, '--json', '--until', 'dns'],
                            timeout=30)
        for mark in ('runtime error:', 'AddressSanitizer', 'CRITICAL', 'WARNING **'):
            self.assertNotIn(mark, res.stderr)
        self.assertIsNotNone(res.report, 'no JSON report; stderr: %s' % res.stderr)
        return res

    def finding(self, report, code, severity):
        f = sdlab.find_finding(report, code)
        self.assertIsNotNone(f, '%s missing; findings: %s' % (code, [x['code'] for x in report['findings']]))
        self.assertEqual((f['severity'], f['step']), (severity, 'dns'))
        return f

    def no_finding(self, report, code):
        self.assertIsNone(sdlab.find_finding(report, code), [f['code'] for f in report['findings']])

    def ask(self, name, qtype):
        return sdlab.dns_query(self.named.port, name, qtype, timeout=2)

    def test_domain_that_does_not_exist(self):
        self.assertEqual(self.ask('nope.bind.test', 'SOA'), (NXDOMAIN, 0))   # named says so
        for profile in ('generic', 'wm5', 'ocs', 'lync'):
            with self.subTest(profile=profile):
                r = self.run_cli('alice@nope.bind.test', '--client', profile)
                self.assertEqual(r.rc, 1)
                f = self.finding(r.report, 'dns.domain-not-found', 'error')
                self.assertIn('typo', f['advice'])
                self.no_finding(r.report, 'dns.no-records')
                own = [q['rcode'] for q in dns_data(r.report)['queries'] if q['name'] == 'nope.bind.test']
                self.assertTrue(own)
                self.assertEqual(set(own), {'NXDOMAIN'})

    def test_domain_that_exists_without_sip_records(self):
        self.assertEqual(self.ask('bind.test', 'SOA'), (NOERROR, 1))
        for profile in ('generic', 'wm5', 'ocs'):
            with self.subTest(profile=profile):
                r = self.run_cli('alice@bind.test', '--client', profile)
                self.assertEqual(r.rc, 1)
                f = self.finding(r.report, 'dns.no-records', 'error')
                self.assertIn('bind.test exists', f['message'])
                self.assertIn('3600 IN SRV', f['advice'])
                self.no_finding(r.report, 'dns.domain-not-found')

    def test_records_for_other_transports_only(self):
        self.assertEqual(self.ask('_sip._tcp.tcponly.bind.test', 'SRV'), (NOERROR, 1))
        # tcponly.bind.test owns no record: an empty non-terminal, which exists
        self.assertEqual(self.ask('tcponly.bind.test', 'NAPTR'), (NOERROR, 0))
        r = self.run_cli('alice@tcponly.bind.test', '--transport', 'tls')
        self.assertEqual(r.rc, 1)
        f = self.finding(r.report, 'dns.no-records-for-transport', 'error')
        self.assertIn('_sip._tcp.tcponly.bind.test', f['message'])
        self.assertIn('_sip._udp.tcponly.bind.test', f['message'])
        self.assertIn('_sips._tcp.tcponly.bind.test. 3600 IN SRV 0 0 5061 sip.tcponly.bind.test.', f['advice'])
        self.no_finding(r.report, 'dns.no-records')
        self.no_finding(r.report, 'dns.domain-not-found')

    def test_srv_target_that_is_an_alias(self):
        self.assertEqual(self.ask('sipalias.alias.bind.test', 'CNAME'), (NOERROR, 1))
        r = self.run_cli('alice@alias.bind.test')
        self.assertEqual(r.rc, 0)
        f = self.finding(r.report, 'dns.srv-target-cname', 'warning')
        self.assertIn('sipalias.alias.bind.test', f['message'])
        self.assertIn('RFC 2782', f['message'])
        self.assertIn('_sip._tls.alias.bind.test. 3600 IN SRV 0 0 5061 real.alias.bind.test.', f['advice'])
        self.assertEqual([(c['host'], c['port'], c['transport']) for c in dns_data(r.report)['candidates']],
                         [('sipalias.alias.bind.test', 5061, 'tls')])


if __name__ == '__main__':
    unittest.main()
