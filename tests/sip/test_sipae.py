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

LAB = KDC = REG = NOSPN = DIAG = NTLM_ONLY = DNS = None


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

    def edit(z):
        for r in (REG, NOSPN, DIAG, NTLM_ONLY):
            z.a(r.fqdn)
    DNS = LAB.dns_with(edit, name='dnsmasq-sipae')


def tearDownModule():
    if LAB is not None:
        LAB.stop()


def codes(report):
    return [f['code'] for f in report.get('findings', [])]


class SipaeCase(unittest.TestCase):
    def run_cli(self, reg, sign_in, password=ALICE_PW, transport='tls', extra=(), kdc=True,
                krb5_conf=None, address='alice@example.test'):
        args = [address, '--dns-server', DNS.addr, '--ca-file', LAB.pki.ca_file,
                '--server', '%s:%d' % (reg.fqdn, reg.port(transport)), '-t', transport,
                '--timeout', str(TIMEOUT), '--json']
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


if __name__ == '__main__':
    missing = missing_packages()
    if missing:
        print('SKIP: missing ' + ', '.join(missing))
        sys.exit(77)
    unittest.main(verbosity=2)
