#!/usr/bin/env python3
"""Lync autodiscover (profile lync) against a real lyncdiscover web service.

The lab's lyncdiscover server (tests/lab/sdlab_lyncdiscover.py) serves each
scenario on a loopback address of its own, ports 443 and 80 as clients
expect, and the lab's dnsmasq names it lyncdiscover.<domain>: the CLI finds
it with --dns-server only, as a client does, and signs in at the Kamailio
the Domain resource names. Needs root (ports 443 and 80); skipped otherwise.

Run: meson test -C _build dns-autodiscover  (or SD_CLI=... python3 tests/dns/test_autodiscover.py -v)
"""
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
import sdlab  # noqa: E402
import sdlab_lyncdiscover as lyd  # noqa: E402

XML_ACCEPT = 'application/vnd.microsoft.rtc.autodiscover+xml'


def dns_data(report):
    return report['steps']['dns']['data']


def codes(report, prefix='dns.autodiscover'):
    return [f['code'] for f in report['findings'] if f['code'].startswith(prefix)]


class Autodiscover(unittest.TestCase):
    lab = None

    @classmethod
    def setUpClass(cls):
        if not sdlab.have_cli():
            raise unittest.SkipTest('sip-doctor-cli not built')
        if os.geteuid() != 0:
            raise unittest.SkipTest('the lyncdiscover server needs ports 443 and 80 (root)')
        cls.lab = sdlab.Lab(dns=True, pki=True, sip=True, sip256=False, peers=False, sipp=False)
        try:
            cls.start_web()
        except BaseException:
            cls.lab.failed = True
            cls.lab.stop()
            raise

    @classmethod
    def start_web(cls):
        lab = cls.lab
        cls.sip_port = lab.sip.tls_ports['good']
        sip = dict(external=('sipexternal.lync.test', cls.sip_port),
                   internal=('sipinternal.lync.test', cls.sip_port))
        cls.sites = {
            # the done case: no SRV record at all, autodiscover alone finds the server
            'ok': dict(domain='autodisc.test', https='root', http='redirect',
                       redirect='https://lyncdiscover.autodisc.test/', servers=sip),
            'lync': dict(domain='lync.test', https='root', format='json', servers=sip),
            '403': dict(domain='ad403.test', https='403'),
            '404': dict(domain='ad404.test', https='404'),
            '500': dict(domain='ad500.test', https='500'),
            'garbage': dict(domain='adgarbage.test', https='garbage'),
            'redirect': dict(domain='adredirect.test', https='redirect',
                             redirect='https://webdir.adredirect.test/Autodiscover/AutodiscoverService.svc/root'),
            'target': dict(domain='adredirect.test', https='root', format='json', servers=sip),
            # HTTPS refused at lyncdiscover.<domain>; its HTTP root sends the client to HTTPS elsewhere
            'http-only': dict(domain='adhttp.test', https=None, http='redirect',
                              redirect='https://webdir.adhttp.test/Autodiscover/AutodiscoverService.svc/root'),
            'http-target': dict(domain='adhttp.test', https='root', servers=sip),
            'loop': dict(domain='adloop.test', https='redirect',
                         redirect='https://webdir.adloop.test/Autodiscover/AutodiscoverService.svc/root'),
            'loop-back': dict(domain='adloop.test', https='redirect',
                              redirect='https://lyncdiscover.adloop.test/?sipuri=alice@adloop.test'),
            'self': dict(domain='adself-loop.test', https='redirect', redirect='self'),
            'internal-only': dict(domain='adinternal.test', https='root', access_location='Internal',
                                  servers=sip),
            'wrongname': dict(domain='adwrongname.test', https='root', cert='good', servers=sip),
            'expired': dict(domain='adexpired.test', https='root', cert='lyncdiscover-expired', servers=sip),
            'selfsigned': dict(domain='adself.test', https='root', cert='lyncdiscover-selfsigned', servers=sip),
            'endless': dict(domain='adendless.test', https='endless'),
            'silent': dict(domain='adsilent.test', https='silent', http='silent'),
            # a service that answers, sending the client on to one that never does
            'to-silent': dict(domain='adtosilent.test', https='redirect',
                              redirect='https://webdir.adtosilent.test/Autodiscover/AutodiscoverService.svc/root'),
            'silent-target': dict(domain='adtosilent.test', https='silent'),
        }
        cls.web = lyd.Lyncdiscover(lab, cls.sites)

        def edit(z):
            for name, s in cls.sites.items():
                host = 'webdir.' if name in ('target', 'loop-back', 'http-target', 'silent-target') else (
                    'lyncdiscoverinternal.' if name == 'internal-only' else 'lyncdiscover.')
                cls.web.zone(z, host + s['domain'], name)
        cls.dns = lab.dns_with(edit, name='dnsmasq-lyncdiscover')

    @classmethod
    def tearDownClass(cls):
        if cls.lab:
            cls.lab.stop()

    def run_cli(self, address, *extra, timeout=60):
        args = [address, '--client', 'lync', '--dns-server', self.dns.addr,
                '--ca-file', self.lab.pki.ca_file, '--json'] + list(extra)
        r = sdlab.run_cli(args, timeout=timeout)
        self.assertIsNotNone(r.report, r.stderr)
        return r

    def requests_of(self, site):
        return self.web.requests(site)

    def assertFinding(self, report, code, severity):
        f = sdlab.find_finding(report, code)
        self.assertIsNotNone(f, [x['code'] for x in report['findings']])
        self.assertEqual(f['severity'], severity, f)
        self.assertEqual(f['step'], 'dns')
        return f

    # ---- the servers it names, and the sign-in -------------------------------

    def test_finds_the_server_through_autodiscover_alone_and_signs_in(self):
        r = self.run_cli('alice@autodisc.test', '--password-file', self.lab.password_file())
        d = dns_data(r.report)
        self.assertEqual(d['autodiscover'], 'found')
        self.assertEqual(d['lyncdiscover']['outcome'], 'found')
        cands = [(c['host'], c['port'], c['transport'], c['source']) for c in d['candidates']]
        # External first (the service says External), then internal; TLS only; no SRV exists.
        self.assertEqual(cands[0], ('sipexternal.lync.test', self.sip_port, 'tls',
                                    'autodiscover SipClientExternalAccess'))
        self.assertEqual(cands[1], ('sipinternal.lync.test', self.sip_port, 'tls',
                                    'autodiscover SipClientInternalAccess'))
        self.assertIsNotNone(sdlab.find_finding(r.report, 'auth.ok'), r.report['findings'])
        self.assertEqual(codes(r.report), [])
        # servers named by autodiscover are no fallback by luck of a name
        self.assertEqual(codes(r.report, 'dns.'), [])
        tls = r.report['steps']['tls']['data']
        self.assertIn(str(self.sip_port), repr(tls))
        # the web requests, as the pane shows them: status, time, URL, certificate
        reqs = d['lyncdiscover']['requests']
        self.assertEqual([q['purpose'] for q in reqs], ['root', 'domain'])
        self.assertEqual(reqs[0]['url'], 'https://lyncdiscover.autodisc.test/?sipuri=alice@autodisc.test')
        self.assertEqual(reqs[0]['status'], 200)
        self.assertEqual(reqs[0]['document']['kind'], 'root')
        self.assertEqual(reqs[0]['document']['format'], 'xml')
        self.assertTrue(reqs[0]['tls']['trusted'])
        self.assertEqual(reqs[0]['tls']['chain'][0]['common_name'], 'lyncdiscover.lync.test')
        self.assertGreaterEqual(reqs[0]['elapsed_ms'], 0)
        self.assertEqual(reqs[1]['document']['kind'], 'domain')
        names = {n['name']: n for n in d['lyncdiscover']['names']}
        self.assertEqual(names['lyncdiscover.autodisc.test']['addresses'], [self.web.address('ok')])
        self.assertEqual(names['lyncdiscoverinternal.autodisc.test']['addresses'], [])
        # the User resource is named, never asked; nothing was sent with credentials
        self.assertFalse(d['lyncdiscover']['user_resource']['asked'])
        seen = self.requests_of('ok')
        self.assertTrue(seen)
        self.assertTrue(all(not q['authorization'] for q in seen))
        self.assertFalse(any(q['path'].lower().endswith('/user') for q in seen))
        self.assertTrue(seen[0]['accept'].startswith(XML_ACCEPT), seen[0])
        self.assertEqual(seen[0]['query'], 'sipuri=alice@autodisc.test')

    def test_autodiscover_servers_come_before_the_srv_ones(self):
        r = self.run_cli('alice@lync.test', '--password-file', self.lab.password_file())
        d = dns_data(r.report)
        sources = [c['source'] for c in d['candidates']]
        self.assertTrue(sources[0].startswith('autodiscover '), sources)
        first_srv = min(i for i, s in enumerate(sources) if s.startswith('SRV '))
        self.assertTrue(all(s.startswith('autodiscover ') for s in sources[:first_srv]), sources)
        self.assertEqual(d['candidates'][0]['port'], self.sip_port)
        # a service that answers JSON whatever is asked is read as well
        self.assertEqual(d['lyncdiscover']['requests'][0]['document']['format'], 'json')
        self.assertIsNotNone(sdlab.find_finding(r.report, 'auth.ok'))

    def test_internal_access_first_when_the_service_says_internal(self):
        r = self.run_cli('alice@adinternal.test')
        d = dns_data(r.report)
        self.assertEqual(d['candidates'][0]['source'], 'autodiscover SipClientInternalAccess')
        self.assertEqual(d['lyncdiscover']['requests'][0]['url'],
                         'https://lyncdiscoverinternal.adinternal.test/?sipuri=alice@adinternal.test')

    # ---- findings from the real server -----------------------------------------

    def test_no_lyncdiscover_name_is_unavailable(self):
        r = self.run_cli('alice@ocs.test')
        d = dns_data(r.report)
        self.assertEqual(d['autodiscover'], 'unavailable')
        f = self.assertFinding(r.report, 'dns.autodiscover-unavailable', 'warning')
        self.assertIn('lyncdiscover.ocs.test', f['message'])
        self.assertIn('mobile', f['message'])
        self.assertIn('lyncdiscover.ocs.test', f['advice'])
        self.assertEqual(d['lyncdiscover']['requests'], [])
        # the SRV records are still what the client falls back to
        self.assertTrue(d['candidates'][0]['source'].startswith('SRV '))

    def test_error_statuses(self):
        for site, status in (('403', 403), ('404', 404), ('500', 500)):
            with self.subTest(status=status):
                domain = self.sites[site]['domain']
                r = self.run_cli('alice@' + domain)
                d = dns_data(r.report)
                self.assertEqual(d['autodiscover'], 'error')
                f = self.assertFinding(r.report, 'dns.autodiscover-error', 'warning')
                self.assertIn('HTTP %d' % status, f['message'])
                self.assertIn('lyncdiscover.' + domain, f['message'])
                self.assertNotIn('dns.autodiscover-unavailable', codes(r.report))
                self.assertEqual(d['lyncdiscover']['requests'][0]['status'], status)
                self.assertTrue(self.requests_of(site))

    def test_not_a_document(self):
        r = self.run_cli('alice@adgarbage.test')
        f = self.assertFinding(r.report, 'dns.autodiscover-error', 'warning')
        self.assertIn('HTML', f['message'])
        req = dns_data(r.report)['lyncdiscover']['requests'][0]
        self.assertEqual(req['status'], 200)
        self.assertIn('document_error', req)

    def test_redirect_is_followed_and_said(self):
        r = self.run_cli('alice@adredirect.test')
        d = dns_data(r.report)
        f = self.assertFinding(r.report, 'dns.autodiscover-redirect', 'info')
        self.assertIn('https://webdir.adredirect.test/', f['message'])
        self.assertEqual(d['autodiscover'], 'found')
        self.assertEqual([q['purpose'] for q in d['lyncdiscover']['requests']], ['root', 'redirect', 'domain'])
        self.assertEqual(d['candidates'][0]['host'], 'sipexternal.lync.test')
        target = self.requests_of('target')
        self.assertTrue(target)
        self.assertIn('sipuri=alice@adredirect.test', target[0]['query'])

    def test_https_first_then_http(self):
        r = self.run_cli('alice@adhttp.test')
        d = dns_data(r.report)
        reqs = [(q['purpose'], q['url'].split('?')[0], q['status']) for q in d['lyncdiscover']['requests']]
        self.assertEqual(reqs, [
            ('root', 'https://lyncdiscover.adhttp.test/', None),
            ('root', 'http://lyncdiscover.adhttp.test/', 200),
            ('redirect', 'https://webdir.adhttp.test/Autodiscover/AutodiscoverService.svc/root', 200),
            ('domain', 'https://webdir.adhttp.test/Autodiscover/AutodiscoverService.svc/root/domain', 200)])
        self.assertEqual(d['lyncdiscover']['requests'][0]['error_kind'], 'refused')
        self.assertEqual(d['autodiscover'], 'found')
        self.assertEqual(d['candidates'][0]['source'], 'autodiscover SipClientExternalAccess')
        self.assertEqual(codes(r.report), ['dns.autodiscover-redirect'])
        self.assertEqual([q['scheme'] for q in self.requests_of('http-only')], ['http'])

    def test_redirect_loop(self):
        r = self.run_cli('alice@adloop.test')
        f = self.assertFinding(r.report, 'dns.autodiscover-error', 'warning')
        self.assertIn('loop', f['message'])
        # A -> B -> A: each asked once, the way back to A is not taken
        self.assertEqual(len(self.requests_of('loop')), 1)
        self.assertEqual(len(self.requests_of('loop-back')), 1)
        self.assertEqual(len(sdlab.find_findings(r.report, 'dns.autodiscover-redirect')), 1)
        self.assertEqual(dns_data(r.report)['autodiscover'], 'error')
        # a service that redirects to itself is a loop at once
        r = self.run_cli('alice@adself-loop.test')
        self.assertIn('loop', self.assertFinding(r.report, 'dns.autodiscover-error', 'warning')['message'])
        self.assertEqual(len(self.requests_of('self')), 1)

    def test_reverse_proxy_certificate_without_lyncdiscover_name(self):
        r = self.run_cli('alice@adwrongname.test')
        f = self.assertFinding(r.report, 'dns.autodiscover-certificate', 'error')
        self.assertIn('https://lyncdiscover.adwrongname.test/', f['message'])
        self.assertIn('lyncdiscover.adwrongname.test', f['advice'])
        self.assertIn('reverse proxy', f['advice'])
        req = dns_data(r.report)['lyncdiscover']['requests'][0]
        self.assertFalse(req['tls']['trusted'] and req['error'] is None)
        self.assertEqual(req['tls']['chain'][0]['common_name'], 'sip.example.test')
        # refused before any request byte: the server saw no request
        self.assertEqual(self.requests_of('wrongname'), [])

    def test_expired_and_untrusted_certificates(self):
        for site, word in (('expired', 'Renew'), ('selfsigned', 'trust')):
            with self.subTest(site=site):
                r = self.run_cli('alice@' + self.sites[site]['domain'])
                f = self.assertFinding(r.report, 'dns.autodiscover-certificate', 'error')
                self.assertIn(word, f['advice'])
                self.assertNotIn('subject alternative names', f['advice'])   # the name is right
                self.assertEqual(self.requests_of(site), [])

    def test_endless_body_is_capped(self):
        r = self.run_cli('alice@adendless.test', timeout=60)
        f = self.assertFinding(r.report, 'dns.autodiscover-error', 'warning')
        self.assertIn('KiB', f['message'])
        req = dns_data(r.report)['lyncdiscover']['requests'][0]
        self.assertEqual(req['error_kind'], 'too-large')

    def test_silent_web_service_costs_one_timeout(self):
        start = time.monotonic()
        r = self.run_cli('alice@adsilent.test', '--timeout', '2', timeout=60)
        wall = time.monotonic() - start
        d = dns_data(r.report)
        f = self.assertFinding(r.report, 'dns.autodiscover-unavailable', 'warning')
        self.assertIn('lyncdiscover.adsilent.test', f['message'])
        # the sub-check's one deadline: two attempts (HTTPS, HTTP), one timeout in all
        self.assertLess(r.report['steps']['dns']['duration_ms'], 2000 + 1500)
        self.assertLess(wall, 40)   # hang guard
        kinds = [q.get('error_kind') for q in d['lyncdiscover']['requests']]
        self.assertIn('timeout', kinds)

    def test_redirect_to_a_silent_service_costs_its_own_timeout(self):
        r = self.run_cli('alice@adtosilent.test', '--timeout', '2', timeout=60)
        d = dns_data(r.report)
        reqs = d['lyncdiscover']['requests']
        self.assertEqual([q['purpose'] for q in reqs], ['root', 'redirect'])
        self.assertEqual(reqs[1]['error_kind'], 'timeout')
        f = self.assertFinding(r.report, 'dns.autodiscover-error', 'warning')
        self.assertIn('https://webdir.adtosilent.test/', f['message'])
        self.assertEqual(d['autodiscover'], 'error')
        # the root's share of the one timeout, then the redirect's own: bounded
        self.assertLess(r.report['steps']['dns']['duration_ms'], 2 * 2000 + 2500)


if __name__ == '__main__':
    unittest.main(verbosity=2)
