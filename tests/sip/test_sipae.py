#!/usr/bin/python3
"""MS-SIPAE sign-in end to end: sip-doctor-cli against the lab's MS-SIPAE
registrar (NTLM checked by gss-ntlmssp, Kerberos by MIT GSSAPI with the
keytab) and the lab's MIT KDC, all on loopback, started here.

Run: /usr/bin/python3 tests/sip/test_sipae.py [-v]  (meson test --suite sip sipae)
Exit 77 (skipped) only when gss-ntlmssp, python3-gssapi or the KDC tools are
missing.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
import sdlab  # noqa: E402
import sdlab_kdc  # noqa: E402
import sdlab_sipae  # noqa: E402

# test accounts (fixtures, not secrets)
ALICE_PW = 'Wonderland-42'
BOB_PW = 'Looking-Glass-7'
# A password no output may ever hold.
CANARY_PW = 'Canary-7f3e9a1c-SIPAE'
FQDN = sdlab_sipae.DEFAULT_FQDN
NOSPN_FQDN = 'nospn.example.test'
DIAG_FQDN = 'diag.example.test'
DIAG_4005 = ('4005;reason="Destination URI either not enabled for SIP or does not exist";'
             'source="%s"' % DIAG_FQDN)
TIMEOUT = 5

LAB = KDC = REG = NOSPN = DIAG = NTLM_ONLY = TLSDSK = DNS = None


def missing_packages():
    missing = []
    if not sdlab_sipae.have_gss_ntlmssp():
        missing.append('gss-ntlmssp')
    if not sdlab_sipae.have_python_gssapi():
        missing.append('python3-gssapi')
    if not sdlab_kdc.have_kdc():
        missing.append('krb5-kdc krb5-admin-server')
    return missing


def setUpModule():
    global LAB, KDC, REG, NOSPN, DIAG, NTLM_ONLY, DNS
    LAB = sdlab.Lab(dns=True, pki=True, sip=False, sip256=False, peers=False, sipp=False)
    users = {'alice': ALICE_PW, 'bob': BOB_PW, 'carol': CANARY_PW}
    KDC = sdlab_kdc.Kdc(LAB, users=users, services=['sip/' + FQDN, 'sip/' + DIAG_FQDN])
    # An account database that, like Active Directory, also knows alice by
    # her user principal name: Windows sends user@domain whole in NTLM.
    REG = sdlab_sipae.Registrar(LAB, kdc=KDC, users=dict(users, **{'alice@lab.test': ALICE_PW}),
                                fqdn=FQDN)
    # its sip/ principal is not in the KDC: the "SPN missing" host
    NOSPN = sdlab_sipae.Registrar(LAB, kdc=KDC, users=users, fqdn=NOSPN_FQDN,
                                  schemes=('Kerberos', 'NTLM'))
    DIAG = sdlab_sipae.Registrar(LAB, kdc=KDC, users=users, fqdn=DIAG_FQDN,
                                 ms_diagnostics={'reject': DIAG_4005})
    NTLM_ONLY = sdlab_sipae.Registrar(LAB, kdc=None, users=users, fqdn='ntlm.example.test',
                                      name='sipae-ntlm-only')
    global TLSDSK
    TLSDSK = sdlab_sipae.Registrar(LAB, kdc=None, users=users, fqdn='dsk.example.test',
                                   name='sipae-tls-dsk', schemes=('TLS-DSK',))

    def edit(z):
        for r in (REG, NOSPN, DIAG, NTLM_ONLY, TLSDSK):
            z.a(r.fqdn)
    DNS = LAB.dns_with(edit, name='dnsmasq-sipae')


def tearDownModule():
    if LAB is not None:
        LAB.stop()


def codes(report):
    return [f['code'] for f in report.get('findings', [])]


class SipaeCase(unittest.TestCase):
    def run_cli(self, reg, sign_in, password=ALICE_PW, transport='tls', extra=(), kdc=True,
                krb5_conf=None, address='alice@example.test', ca=True):
        args = [address, '--dns-server', DNS.addr,
                '--server', '%s:%d' % (reg.fqdn, reg.port(transport)), '-t', transport,
                '--timeout', str(TIMEOUT), '--json']
        if ca:
            args += ['--ca-file', LAB.pki.ca_file]
        if sign_in is not None:
            args += ['--sign-in', sign_in]
        if password is not None:
            args += ['--password-file', LAB.password_file('x', password=password)]
        args += list(extra)
        env = {'KRB5CCNAME': 'FILE:' + os.path.join(LAB.dir, 'no-such-ccache'),
               'KRB5_TRACE': '/dev/null'}
        if kdc:
            env['KRB5_CONFIG'] = KDC.krb5_conf
        if krb5_conf is not None:
            env['KRB5_CONFIG'] = krb5_conf
        result = sdlab.run_cli(args, timeout=60, env=env)
        self.assertIsNotNone(result.report, 'no JSON; stderr: ' + result.stderr[-2000:])
        self.assertNotIn('CRITICAL', result.stderr)
        self.assertNotIn('Sanitizer', result.stderr)
        self.assertNotIn('runtime error:', result.stderr)
        return result

    def finding(self, report, code, scheme=None):
        found = [f for f in report['findings'] if f['code'] == code]
        self.assertTrue(found, '%s missing; findings: %s' % (code, codes(report)))
        return found[0]

    def method(self, report, scheme):
        for m in report['steps']['auth']['data'].get('methods', []):
            if m['scheme'] == scheme:
                return m
        self.fail('no %s in data.methods: %s' % (scheme, report['steps']['auth']['data']))

    def wait_entries(self, reg, pred, count=1):
        """The registrar logs after it answered: wait (bounded) for the entries."""
        for _ in range(50):
            found = [e for e in reg.entries() if pred(e)]
            if len(found) >= count:
                return found
            time.sleep(0.1)
        return [e for e in reg.entries() if pred(e)]


class Ntlm(SipaeCase):
    def test_domain_user_signs_in_and_unregisters(self):
        for transport in ('tls', 'tcp'):
            with self.subTest(transport=transport):
                before = len(REG.entries())
                r = self.run_cli(REG, 'LAB\\alice', transport=transport, extra=['--auth', 'ntlm'])
                self.assertEqual(r.rc, 0, codes(r.report))
                ok = self.finding(r.report, 'auth.ok')
                self.assertIn('NTLM', ok['message'])
                auth = r.report['steps']['auth']['data']
                self.assertEqual(auth['scheme'], 'NTLM')
                m = self.method(r.report, 'NTLM')
                self.assertEqual(m['result'], 'ok')
                self.assertTrue(m['rspauth_verified'])
                self.assertTrue(m['unregistered'])
                self.assertEqual(m['server_domain'], 'LAB')
                entries = REG.entries()[before:]
                # gss-ntlmssp accepted an NTLMv2 AUTHENTICATE, verified our
                # signature twice (sign-in and removal) and signed both 200s
                ctx = [e for e in entries if e['step'] == 'context']
                self.assertEqual([(e['result'], e['detail']) for e in ctx], [('ok', 'NTLMv2')])
                self.assertEqual(ctx[0]['user'].lower(), 'lab\\alice')
                sigs = [e for e in entries if e['step'] == 'signature']
                self.assertEqual([e['result'] for e in sigs], ['ok', 'ok'])
                # the removal is signed and asks Expires: 0
                self.assertIn('<0>', sigs[1]['detail'])
                self.assertFalse([e for e in entries if e['result'] == 'fail'], entries)

    def test_nothing_sent_to_an_untrusted_server(self):
        """The NTLMv2 response can be attacked offline: like the password,
        it goes only to a server whose certificate is trusted."""
        before = len(REG.entries())
        r = self.run_cli(REG, 'LAB\\alice', ca=False)
        self.finding(r.report, 'auth.untrusted-not-sent')
        self.assertIsNone(sdlab.find_finding(r.report, 'auth.ok'))
        self.assertEqual(REG.entries()[before:], [])

    def test_upn_signs_in(self):
        r = self.run_cli(REG, 'alice@lab.test', extra=['--auth', 'ntlm'])
        self.finding(r.report, 'auth.ok')
        self.assertEqual(self.method(r.report, 'NTLM')['username'], 'alice@lab.test')

    def test_wrong_password_one_failed_attempt(self):
        before = REG.failures().get('LAB\\bob', 0)
        r = self.run_cli(REG, 'LAB\\bob', password='not-' + BOB_PW, extra=['--auth', 'ntlm'])
        self.assertEqual(r.rc, 1)
        f = self.finding(r.report, 'auth.rejected')
        self.assertIn('once', f['advice'])
        self.assertIsNone(sdlab.find_finding(r.report, 'auth.ok'))
        self.assertEqual(r.report['steps']['auth']['data']['scheme'], 'NTLM')
        self.assertEqual(self.method(r.report, 'NTLM')['attempts'], 1)
        self.wait_entries(REG, lambda e: e['user'].lower() == 'lab\\bob' and e['result'] == 'fail')
        time.sleep(0.3)
        failures = {k.lower(): v for k, v in REG.failures().items()}
        self.assertEqual(failures.get('lab\\bob', 0) - before, 1, REG.failures())


def krb5_conf_with_kdc_port(port):
    """The lab's krb5.conf with the realm's KDC moved to @port (nothing
    listens there: no KDC reachable)."""
    with open(KDC.krb5_conf) as f:
        text = f.read()
    text = text.replace('kdc = 127.0.0.1:%d' % KDC.port, 'kdc = 127.0.0.1:%d' % port)
    path = os.path.join(LAB.dir, 'krb5-no-kdc-%d.conf' % port)
    with open(path, 'w') as f:
        f.write(text)
    return path


class Kerberos(SipaeCase):
    def test_realm_user_signs_in(self):
        for transport in ('tls', 'tcp'):
            with self.subTest(transport=transport):
                before = len(REG.entries())
                r = self.run_cli(REG, 'alice@LAB.TEST', transport=transport, extra=['--auth', 'kerberos'])
                self.assertEqual(r.rc, 0, codes(r.report))
                self.assertIn('Kerberos', self.finding(r.report, 'auth.ok')['message'])
                self.assertEqual(r.report['steps']['auth']['data']['scheme'], 'Kerberos')
                m = self.method(r.report, 'Kerberos')
                self.assertEqual((m['result'], m['rspauth_verified'], m['unregistered']), ('ok', True, True))
                entries = REG.entries()[before:]
                ctx = [e for e in entries if e['step'] == 'context']
                self.assertEqual([(e['result'], e['user']) for e in ctx], [('ok', 'alice@LAB.TEST')])
                self.assertEqual([e['result'] for e in entries if e['step'] == 'signature'], ['ok', 'ok'])
                # the person's own credential cache was neither read nor written
                self.assertFalse(os.path.exists(os.path.join(LAB.dir, 'no-such-ccache')))

    def test_wrong_password_is_refused_by_the_kdc(self):
        before = len(REG.entries())
        r = self.run_cli(REG, 'bob@LAB.TEST', password='not-' + BOB_PW, extra=['--auth', 'kerberos'])
        self.assertEqual(r.rc, 1)
        f = self.finding(r.report, 'auth.rejected')
        self.assertIn('KDC', f['message'])
        self.assertIn('once', f['advice'])
        self.assertEqual(r.report['steps']['auth']['data']['scheme'], 'Kerberos')
        # the KDC refused it: nothing reached the registrar
        self.assertEqual(REG.entries()[before:], [])

    def test_no_kdc(self):
        conf = krb5_conf_with_kdc_port(LAB.closed_port)
        r = self.run_cli(REG, 'alice@LAB.TEST', extra=['--auth', 'kerberos'], krb5_conf=conf)
        self.assertEqual(r.rc, 1)
        f = self.finding(r.report, 'auth.kerberos-no-kdc')
        self.assertIn('LAB.TEST', f['message'])
        self.assertIn('_kerberos._tcp.LAB.TEST', f['advice'])
        self.assertIsNone(sdlab.find_finding(r.report, 'auth.ok'))

    def test_spn_missing(self):
        r = self.run_cli(NOSPN, 'alice@LAB.TEST', extra=['--auth', 'kerberos'])
        self.assertEqual(r.rc, 1)
        f = self.finding(r.report, 'auth.kerberos-spn-missing')
        self.assertIn('sip/' + NOSPN_FQDN, f['message'])
        self.assertIn('setspn -S sip/' + NOSPN_FQDN, f['advice'])


class ClockSkew(SipaeCase):
    def test_skewed_kdc(self):
        """A KDC whose clock is 2 hours off refuses the preauthentication
        timestamp: auth.clock-skew from the KDC's own error."""
        if not sdlab_kdc.tool('faketime'):
            self.skipTest('faketime is not installed (tools/install-deps.sh installs it)')
        skewed = sdlab_kdc.Kdc(None, users={'alice': ALICE_PW}, clock_offset=-2 * 3600)
        try:
            r = self.run_cli(REG, 'alice@LAB.TEST', extra=['--auth', 'kerberos'],
                             krb5_conf=skewed.krb5_conf)
        finally:
            skewed.stop()
        self.assertEqual(r.rc, 1)
        f = self.finding(r.report, 'auth.clock-skew')
        self.assertIn('Clock skew', f['message'])
        self.assertIsNone(sdlab.find_finding(r.report, 'auth.ok'))


class Auto(SipaeCase):
    def test_each_offered_method_once_in_windows_order(self):
        before = len(REG.entries())
        r = self.run_cli(REG, 'alice@lab.test')
        self.assertEqual(r.rc, 0, codes(r.report))
        methods = r.report['steps']['auth']['data']['methods']
        self.assertEqual([(m['scheme'], m['result']) for m in methods],
                         [('Kerberos', 'ok'), ('NTLM', 'ok')])
        self.assertEqual(len([f for f in r.report['findings'] if f['code'] == 'auth.ok']), 2)
        ctx = [e for e in REG.entries()[before:] if e['step'] == 'context']
        self.assertEqual([e['scheme'] for e in ctx], ['Kerberos', 'NTLM'])

    def test_wrong_password_one_attempt_per_method(self):
        before = {k.lower(): v for k, v in REG.failures().items()}.get('lab\\bob', 0)
        r = self.run_cli(REG, 'LAB\\bob', password='wrong-' + BOB_PW)
        self.assertEqual(r.rc, 1)
        methods = r.report['steps']['auth']['data']['methods']
        # DOMAIN\user names no realm: Kerberos is not tried, NTLM once
        self.assertEqual([(m['scheme'], m['result']) for m in methods],
                         [('Kerberos', 'not-tried'), ('NTLM', 'rejected')])
        self.assertEqual(len([f for f in r.report['findings'] if f['code'] == 'auth.rejected']), 1)
        self.wait_entries(REG, lambda e: e['user'].lower() == 'lab\\bob' and e['result'] == 'fail')
        time.sleep(0.3)
        after = {k.lower(): v for k, v in REG.failures().items()}.get('lab\\bob', 0)
        self.assertEqual(after - before, 1, REG.failures())

    def test_workgroup_trap_from_real_results(self):
        """The field guide's trap: Kerberos with user@domain fails here (no
        KDC reachable), NTLM with the same password works: use DOMAIN\\user."""
        conf = krb5_conf_with_kdc_port(LAB.closed_port)
        r = self.run_cli(REG, 'alice@lab.test', krb5_conf=conf)
        self.finding(r.report, 'auth.kerberos-no-kdc')
        self.finding(r.report, 'auth.ok')
        trap = self.finding(r.report, 'auth.kerberos-style-name')
        self.assertIn('LAB\\alice', trap['advice'])
        self.assertEqual([(m['scheme'], m['result']) for m in r.report['steps']['auth']['data']['methods']],
                         [('Kerberos', 'failed'), ('NTLM', 'ok')])

    def test_ntlm_only_server(self):
        r = self.run_cli(NTLM_ONLY, 'LAB\\alice', extra=['--auth', 'kerberos'], kdc=False)
        self.finding(r.report, 'auth.scheme-not-supported')
        self.assertIsNone(sdlab.find_finding(r.report, 'auth.ok'))
        self.assertEqual(r.report['input']['auth'], 'kerberos')


class TlsDsk(SipaeCase):
    def test_explained_with_the_provisioning_url(self):
        r = self.run_cli(TLSDSK, 'alice@lab.test')
        f = self.finding(r.report, 'auth.scheme-not-supported')
        self.assertIn('TLS-DSK', f['message'])
        self.assertIn('https://dsk.example.test/CertProv/CertProvisioningService.svc', f['advice'])
        self.assertIn('user certificate', f['advice'])
        self.assertEqual(r.report['steps']['auth']['status'], 'skip')


class Diagnostics(SipaeCase):
    def test_ms_diagnostics_decoded(self):
        r = self.run_cli(DIAG, 'LAB\\bob', password='wrong-' + BOB_PW, extra=['--auth', 'ntlm'])
        self.finding(r.report, 'auth.rejected')
        f = self.finding(r.report, 'sip.ms-diagnostics')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('4005', f['message'])
        self.assertIn('not enabled for SIP', f['message'])
        self.assertIn(DIAG_FQDN, f['message'])
        self.assertIn('Enable-CsUser', f['advice'])
        # once a run, whatever the number of responses that carry it
        self.assertEqual(len([x for x in r.report['findings'] if x['code'] == 'sip.ms-diagnostics']), 1)


class Secrets(SipaeCase):
    def test_canary_password_never_leaves(self):
        """No output of a run with NTLM and Kerberos sign-ins holds the
        password, its NT hash, or a whole token."""
        import hashlib
        nt_hashes = []
        try:
            nt_hashes = [hashlib.new('md4', p.encode('utf-16-le')).hexdigest()
                         for p in (CANARY_PW, CANARY_PW + '-Wrong')]
        except ValueError:
            pass  # an OpenSSL without MD4
        wrong = CANARY_PW + '-Wrong'
        for sign_in, auth, password in (('carol@LAB.TEST', 'auto', CANARY_PW),
                                         ('LAB\\carol', 'ntlm', CANARY_PW),
                                         ('alice@LAB.TEST', 'auto', wrong)):
            with self.subTest(sign_in=sign_in, right=password == CANARY_PW):
                with tempfile.TemporaryDirectory() as d:
                    report = os.path.join(d, 'report.txt')
                    trace = os.path.join(d, 'trace.txt')
                    html = os.path.join(d, 'report.html')
                    trace_json = os.path.join(d, 'trace.json')
                    r = self.run_cli(REG, sign_in, password=password,
                                     extra=['--auth', auth, '--report', report, '--trace', trace,
                                            '--verbose'])
                    self.finding(r.report, 'auth.ok' if password == CANARY_PW else 'auth.rejected')
                    r2 = self.run_cli(REG, sign_in, password=password,
                                      extra=['--auth', auth, '--report', html, '--trace', trace_json])
                    texts = {'output': r.stdout + r.stderr, 'json': json.dumps(r.report),
                             'output2': r2.stdout + r2.stderr}
                    for name in (report, trace, html, trace_json):
                        with open(name, encoding='utf-8', errors='replace') as f:
                            texts[name] = f.read()
                    for name, text in texts.items():
                        self.assertGreater(len(text), 100, name)
                        self.assertNotIn(CANARY_PW, text, name)
                        for h in nt_hashes:
                            self.assertNotIn(h, text.lower(), name)
                        # our tokens (AUTHENTICATE, AP-REQ) are shown shortened, never whole
                        for m in re.finditer(r'gssapi-data="(TlRMTVNTUAAD|YII)[A-Za-z0-9+/=]*', text):
                            self.assertLessEqual(len(m.group(0)), len('gssapi-data="') + 12,
                                                 '%s: %s' % (name, m.group(0)))
                    with open(trace) as f:
                        trace_text = f.read()
                    self.assertIn('[redacted]', trace_text)
                    self.assertRegex(trace_text, r'gssapi-data="(TlRMTVNTUAAD|YII)[^"]*… \(\d+ base64')


if __name__ == '__main__':
    missing = missing_packages()
    if missing:
        print('SKIP: missing ' + ', '.join(missing))
        sys.exit(77)
    unittest.main(verbosity=2)
