#!/usr/bin/env python3
"""NAT, the kernel's SIP ALG, blocked UDP and lost IP fragments, seen by
the sip step from the client's side alone (root: network namespaces).

The tool runs in a LAN namespace (10.77.0.2) behind a router namespace
(nftables masquerade to 198.51.100.1) and reaches Kamailio (rport on) and
dnsmasq in a server namespace (198.51.100.10); see ../lab/sdlab_nat.py.
The router's rules change per test: the kernel's own SIP ALG
(nf_conntrack_sip / nf_nat_sip) on or off, UDP dropped, IP fragments
dropped. Run: meson test -C _build --suite sip.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402
import sdlab_nat  # noqa: E402

TIMEOUT = 3
# The probes run at once, each within the timeout: a lost one costs one
# timeout more, never one per probe. Generous, for loaded sanitizer builds.
HANG_GUARD = 3 * TIMEOUT + 6
NO_TICKET_ENV = {'KRB5CCNAME': 'FILE:/nonexistent/sip-doctor-test-ccache'}
LAB = NET = None


def setUpModule():
    global LAB, NET
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli not built')
    why = sdlab_nat.available()
    if why is not None:
        raise unittest.SkipTest(why)
    LAB = sdlab.Lab(dns=False, sip=False, sip256=False, peers=False, sipp=False)
    try:
        NET = sdlab_nat.RouterLab(LAB)
    except BaseException:
        LAB.failed = True
        LAB.stop()
        raise


def tearDownModule():
    try:
        if NET is not None:
            NET.close()
    finally:
        if LAB is not None:
            LAB.stop()


def codes(report):
    return [f['code'] for f in report['findings']]


class Network(unittest.TestCase):
    maxDiff = None

    def run_cli(self, extra=()):
        args = ['alice@example.test', '--dns-server', NET.dns_server, '--ca-file', LAB.pki.ca_file,
                '--timeout', str(TIMEOUT), '--json',
                '--password-file', LAB.password_file('alice')] + list(extra)
        start = time.monotonic()
        r = sdlab.run_cli(args, timeout=60, env=dict(NO_TICKET_ENV), netns=NET.lan)
        elapsed = time.monotonic() - start
        self.assertIsNotNone(r.report, 'no JSON; stderr: ' + r.stderr[-2000:])
        self.assertNotIn('CRITICAL', r.stderr)
        self.assertNotIn('Sanitizer', r.stderr)
        self.assertNotIn('runtime error:', r.stderr)
        self.assertLess(elapsed, HANG_GUARD, 'the run outlived its hang guard')
        # Through NAT, with or without the ALG, the sign-in itself works (over TLS).
        self.assertIsNotNone(sdlab.find_finding(r.report, 'auth.ok'), codes(r.report))
        return r

    def network(self, r):
        return r.report['steps']['sip']['data']['network']

    def transport(self, r, name):
        for t in self.network(r)['transports']:
            if t['transport'] == name:
                return t
        self.fail('no %s in data.network.transports: %s' % (name, self.network(r)))

    def test_nat_without_alg(self):
        NET.set_rules(alg=False)
        r = self.run_cli()
        self.assertNotIn('sip.alg-detected', codes(r.report))
        self.assertNotIn('sip.udp-blocked', codes(r.report))
        self.assertNotIn('sip.udp-fragmentation', codes(r.report))
        f = sdlab.find_finding(r.report, 'sip.nat-detected')
        self.assertIsNotNone(f, codes(r.report))
        self.assertEqual((f['severity'], f['step']), ('info', 'sip'))
        self.assertIn(sdlab_nat.LAN_ADDR, f['message'])
        self.assertIn(sdlab_nat.ROUTER_WAN, f['message'])
        for word in ('rport', 'keep-alive', 'outbound proxy'):
            self.assertIn(word, f['advice'])
        n = self.network(r)
        self.assertTrue(n['nat'])
        self.assertFalse(n['alg'])
        self.assertTrue(n['public_address'].startswith(sdlab_nat.ROUTER_WAN + ':'))
        # Kamailio answers the CRLF keep-alive ping on both streams.
        for p in n['probes']:
            if p['transport'] != 'udp':
                self.assertEqual(p['keepalive'], 'pong', p)
        notes = [e['text'] for e in r.report['trace'] if e['direction'] == 'note']
        self.assertIn('Received a keep-alive pong (CRLF, RFC 5626).', notes)
        # the registration (over TLS, 3600 s) outlives a typical NAT mapping
        reg = r.report['steps']['auth']['data']['registration']
        self.assertEqual((reg['transport'], reg['expires'], reg['flow_timer']), ('tls', 3600, 0))
        self.assertTrue(reg['binding_outlived'])
        k = sdlab.find_finding(r.report, 'sip.nat-keepalive')
        self.assertIsNotNone(k, codes(r.report))
        self.assertEqual((k['severity'], k['step']), ('info', 'auth'))
        self.assertIn('3600 seconds', k['message'])
        self.assertIn('answers keep-alive pings', k['message'])
        self.assertIn('keep-alive', k['advice'])
        for name in ('udp', 'tcp', 'tls'):
            t = self.transport(r, name)
            self.assertEqual(t['alg'], [])
            self.assertTrue(t['nat'])
            self.assertTrue(t['seen_as'].startswith(sdlab_nat.ROUTER_WAN + ':'))

    def test_kernel_alg(self):
        NET.set_rules(alg=True)
        r = self.run_cli()
        self.assertEqual(r.rc, 0, codes(r.report))   # a warning, not an error
        f = sdlab.find_finding(r.report, 'sip.alg-detected')
        self.assertIsNotNone(f, codes(r.report))
        self.assertEqual((f['severity'], f['step']), ('warning', 'sip'))
        # the evidence: received= is our own private address, the server public
        self.assertIn('received=%s' % sdlab_nat.LAN_ADDR, f['message'])
        self.assertIn(sdlab_nat.SERVER, f['message'])
        self.assertIn('UDP', f['message'])
        # the advice every provider gives, and the transports it leaves alone here
        self.assertIn('SIP ALG', f['advice'])
        self.assertIn('TCP or TLS', f['advice'])
        self.assertEqual(self.transport(r, 'udp')['alg'], ['received-private'])
        self.assertEqual(self.transport(r, 'tcp')['alg'], [])
        self.assertEqual(self.transport(r, 'tls')['alg'], [])
        self.assertTrue(self.network(r)['alg'])
        self.assertEqual(r.report['steps']['sip']['status'], 'warn')
        # TCP shows the NAT the ALG hides on UDP
        nat = sdlab.find_finding(r.report, 'sip.nat-detected')
        self.assertIsNotNone(nat, codes(r.report))
        self.assertIn('over TCP', nat['message'])

    def test_kernel_alg_udp_only(self):
        """With UDP chosen, the evidence of UDP alone is enough."""
        NET.set_rules(alg=True)
        r = self.run_cli(['-t', 'udp'])
        f = sdlab.find_finding(r.report, 'sip.alg-detected')
        self.assertIsNotNone(f, codes(r.report))
        self.assertIn('received=%s' % sdlab_nat.LAN_ADDR, f['message'])
        self.assertIn('TLS', f['advice'])
        self.assertIn('5060', f['advice'])
        self.assertEqual([t['transport'] for t in self.network(r)['transports']], ['udp'])
        # The ALG hides the NAT, but it is one: over UDP a mapping lives
        # about 30 s, and the registration 3600 s.
        k = sdlab.find_finding(r.report, 'sip.nat-keepalive')
        self.assertIsNotNone(k, codes(r.report))
        self.assertIn('over UDP lasts 3600 seconds', k['message'])
        self.assertIn('30 seconds', k['message'])
        self.assertIn('25 seconds', k['advice'])

    def test_kernel_alg_leaves_tcp_alone(self):
        """The helper watches UDP port 5060 only: over TCP the same router is a plain NAT."""
        NET.set_rules(alg=True)
        r = self.run_cli(['-t', 'tcp'])
        self.assertNotIn('sip.alg-detected', codes(r.report))
        f = sdlab.find_finding(r.report, 'sip.nat-detected')
        self.assertIsNotNone(f, codes(r.report))
        self.assertIn('over TCP', f['message'])
        self.assertEqual([t['transport'] for t in self.network(r)['transports']], ['tcp'])

    def test_udp_blocked(self):
        NET.set_rules(drop_udp=True)
        r = self.run_cli()
        f = sdlab.find_finding(r.report, 'sip.udp-blocked')
        self.assertIsNotNone(f, codes(r.report))
        self.assertEqual((f['severity'], f['step']), ('warning', 'sip'))
        self.assertIn('TCP and TLS', f['message'])
        self.assertIn('TCP or TLS', f['advice'])
        # every UDP request was lost, whatever its size: not fragmentation
        self.assertNotIn('sip.udp-fragmentation', codes(r.report))
        self.assertTrue(self.network(r)['udp_blocked'])
        outcomes = {(p['transport'], p['size']): p['outcome'] for p in self.network(r)['probes']}
        self.assertEqual(outcomes[('udp', 0)], 'no-answer')
        self.assertEqual(outcomes[('tcp', 0)], 'answered')

    def test_tcp_blocked(self):
        NET.set_rules(drop_tcp=True)
        r = self.run_cli()
        f = sdlab.find_finding(r.report, 'sip.tcp-blocked')
        self.assertIsNotNone(f, codes(r.report))
        self.assertEqual((f['severity'], f['step']), ('warning', 'sip'))
        self.assertIn('over UDP', f['message'])
        self.assertIn('UDP', f['advice'])
        self.assertNotIn('sip.udp-blocked', codes(r.report))
        n = self.network(r)
        self.assertTrue(n['tcp_blocked'])
        self.assertFalse(n['udp_blocked'])
        outcomes = {(p['transport'], p['size']): p['outcome'] for p in n['probes']}
        self.assertEqual(outcomes[('udp', 0)], 'answered')
        self.assertIn(outcomes.get(('tcp', 0)), ('no-answer', None))
        self.assertIn(outcomes.get(('tls', 0)), ('no-answer', None))

    def test_fragments_dropped(self):
        NET.set_rules(drop_fragments=True)
        r = self.run_cli()
        f = sdlab.find_finding(r.report, 'sip.udp-fragmentation')
        self.assertIsNotNone(f, codes(r.report))
        self.assertEqual((f['severity'], f['step']), ('warning', 'sip'))
        self.assertIn('1500 bytes', f['message'])
        self.assertIn('1200 bytes', f['message'])
        self.assertIn('TCP or TLS', f['advice'])
        self.assertNotIn('sip.udp-blocked', codes(r.report))
        n = self.network(r)
        self.assertEqual(n['udp_fragmentation_lost_size'], 1500)
        outcomes = {(p['transport'], p['size']): p['outcome'] for p in n['probes']}
        self.assertEqual(outcomes[('udp', 1200)], 'answered')
        self.assertEqual(outcomes[('udp', 3000)], 'no-answer')
        sent = {p['size']: p['sent_size'] for p in n['probes'] if p['transport'] == 'udp'}
        self.assertEqual(sent[1500], 1500)
        self.assertEqual(sent[3000], 3000)


if __name__ == '__main__':
    unittest.main(verbosity=2)
