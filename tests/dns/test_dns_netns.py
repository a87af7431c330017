#!/usr/bin/env python3
"""The system-resolver path of the dns step, inside a network namespace.

Without --dns-server the step reads /etc/resolv.conf. Inside
`ip netns exec NAME`, that file is /etc/netns/NAME/resolv.conf, which the lab
points at its own dnsmasq on 127.0.0.1:53 inside the namespace: the
machine's resolver is never asked. Needs root (to create the namespace);
otherwise the test is skipped (exit 77). The namespace is always removed.
"""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
import sdlab  # noqa: E402

SKIP = 77


def dns_data(report):
    return report['steps']['dns']['data']


def namespaces():
    out = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True, timeout=10).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


class SystemResolver(unittest.TestCase):
    lab = ns = None

    @classmethod
    def setUpClass(cls):
        cls.lab = sdlab.Lab(dns=True, pki=False, sip=False, sip256=False, peers=False, sipp=False)
        try:
            cls.ns = cls.lab.netns()
        except BaseException:
            cls.lab.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        name = cls.ns.name if cls.ns else None
        cls.lab.stop()
        if name is not None:
            # Cleaning up is part of the contract: no namespace left behind.
            assert name not in namespaces(), 'namespace %s left behind' % name
            assert not os.path.exists(os.path.join('/etc/netns', name))

    def run_ns(self, *args):
        res = sdlab.run_cli(list(args) + ['--json', '--until', 'dns'], timeout=30, netns=self.ns)
        self.assertIsNotNone(res.report, res.stderr)
        return res

    def test_resolver_is_the_namespaces_resolv_conf(self):
        r = self.run_ns('alice@wm5.test', '--client', 'wm5')
        d = dns_data(r.report)
        self.assertEqual(d['resolver'], 'system')
        self.assertEqual(d['servers'], ['127.0.0.1:53'])
        self.assertTrue(d['queries'])
        self.assertTrue(all(q['server'] == '127.0.0.1:53' for q in d['queries']))
        self.assertEqual([(c['host'], c['port'], c['transport'], c['source']) for c in d['candidates']], [
            ('sip.wm5.test', 5060, 'tcp', 'SRV _sip._tcp.wm5.test'),
            ('sip.wm5.test', 5061, 'tls', 'SRV _sip._tls.wm5.test')])
        self.assertEqual(r.rc, 0)

    def test_findings_through_the_system_resolver(self):
        r = self.run_ns('alice@nxdomain.test')
        self.assertIsNotNone(sdlab.find_finding(r.report, 'dns.domain-not-found'))
        self.assertEqual(r.rc, 1)
        r = self.run_ns('alice@fuzzybunny.test', '--strict-dns-naming')
        self.assertEqual(sdlab.find_finding(r.report, 'dns.strict-naming')['severity'], 'error')

    def test_explicit_server_name_through_the_system_resolver(self):
        r = self.run_ns('alice@example.test', '--server', 'sip.example.test', '--transport', 'tls')
        d = dns_data(r.report)
        self.assertEqual(d['mode'], 'explicit-server')
        self.assertEqual(sorted((q['name'], q['type']) for q in d['queries']),
                         [('sip.example.test', 'A'), ('sip.example.test', 'AAAA')])
        self.assertEqual([(c['host'], c['port'], c['address']) for c in d['candidates']],
                         [('sip.example.test', 5061, '127.0.0.1')])


if __name__ == '__main__':
    if os.geteuid() != 0:
        print('SKIP: a network namespace needs root; the system-resolver path is not tested')
        sys.exit(SKIP)
    if not sdlab.have_cli():
        print('SKIP: sip-doctor-cli not built')
        sys.exit(SKIP)
    prog = unittest.main(verbosity=2, exit=False)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
