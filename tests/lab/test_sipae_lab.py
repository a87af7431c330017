#!/usr/bin/python3
"""Self-test of the MS-SIPAE peers: the MIT KDC (sdlab_kdc) and the NTLM /
Kerberos registrar (sdlab_sipae), driven by an independent client: MIT
krb5 and gss-ntlmssp as initiators through python3-gssapi and the mechglue,
a hand-written SIP client, and its own copy of the MS-SIPAE signed-field
rules.

Run: /usr/bin/python3 tests/lab/test_sipae_lab.py [-v]  (also `meson test --suite lab`)
Exit 77 (skipped) only when gss-ntlmssp, python3-gssapi or the KDC tools are
not installed.  The last line printed is "N passed, N failed".
"""

import base64
import email.utils
import os
import random
import socket
import ssl
import struct
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_PYTHON = '/usr/bin/python3'


def _reexec_for_gssapi():
    """python3-gssapi is Debian's: when another python3 comes first in PATH
    (pyenv, a venv), run this file with the system one."""
    try:
        import gssapi  # noqa: F401
        return
    except ImportError:
        pass
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) \
            and os.access(SYSTEM_PYTHON, os.X_OK) and not os.environ.get('SD_SIPAE_REEXEC'):
        os.environ['SD_SIPAE_REEXEC'] = '1'
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)


_reexec_for_gssapi()
sys.path.insert(0, HERE)
import sdlab  # noqa: E402
import sdlab_kdc  # noqa: E402
import sdlab_sipae  # noqa: E402

try:
    import gssapi
    import gssapi.raw as gss_raw
except ImportError:
    gssapi = None

# test accounts (fixtures, not secrets)
ALICE_PW = 'Wonderland-42'
BOB_PW = 'Looking-Glass-7'
FQDN = sdlab_sipae.DEFAULT_FQDN
NOSPN_FQDN = 'nospn.example.test'
SKEW_FQDN = 'skew.example.test'
SKEW_SECONDS = -2 * 3600 - 17 * 60
DIAG_4005 = ('4005;reason="Destination URI either not enabled for SIP or does not exist";'
             'source="%s"' % FQDN)
DIAG_1000 = '1000;reason="Final handshake failed";source="%s"' % FQDN

LAB = KDC = REG = NOSPN = SKEW = None
PROCS = []


def missing_packages():
    missing = []
    if gssapi is None:
        missing.append('python3-gssapi')
    if not sdlab_sipae.have_gss_ntlmssp():
        missing.append('gss-ntlmssp')
    if not sdlab_kdc.have_kdc():
        missing.append('krb5-kdc krb5-admin-server')
    if not sdlab_kdc.tool('certtool'):
        missing.append('gnutls-bin')
    return missing


def setUpModule():
    global LAB, KDC, REG, NOSPN, SKEW
    t0 = time.monotonic()
    LAB = sdlab.Lab(dns=False, pki=True, sip=False, sip256=False, peers=False, sipp=False)
    KDC = sdlab_kdc.Kdc(LAB, users={'alice': ALICE_PW, 'bob': BOB_PW},
                        services=['sip/' + FQDN, 'sip/' + SKEW_FQDN])
    users = {'alice': ALICE_PW, 'bob': BOB_PW}
    REG = sdlab_sipae.Registrar(LAB, kdc=KDC, users=users, fqdn=FQDN,
                                ms_diagnostics={'reject': DIAG_1000})
    NOSPN = sdlab_sipae.Registrar(LAB, kdc=KDC, users=users, fqdn=NOSPN_FQDN, version=3,
                                  schemes=('Kerberos', 'NTLM'))
    SKEW = sdlab_sipae.Registrar(LAB, kdc=KDC, users=users, fqdn=SKEW_FQDN,
                                 date_offset=SKEW_SECONDS, ms_diagnostics={'challenge': DIAG_4005})
    PROCS.extend(LAB.procs)
    # the client side: this process talks to the lab KDC only, with private
    # files, and never sees the registrar's NTLM user file
    os.environ.update(KDC.env)
    os.environ.pop('KRB5_KDC_PROFILE', None)
    os.environ['KRB5CCNAME'] = 'FILE:' + os.path.join(LAB.dir, 'client-ccache')
    sys.stderr.write('MS-SIPAE lab up in %.2f s (%s)\n' % (time.monotonic() - t0, LAB.dir))


def tearDownModule():
    if LAB is not None:
        LAB.stop()


# --------------------------------------------------------------------------
# an independent SIP client

class Conn:
    def __init__(self, reg, transport='tls'):
        raw = socket.create_connection((sdlab.LOOPBACK, reg.port(transport)), timeout=5)
        if transport == 'tls':
            ctx = ssl.create_default_context(cafile=LAB.pki.ca_file)
            self.sock = ctx.wrap_socket(raw, server_hostname=reg.fqdn)
        else:
            self.sock = raw
        self.transport = transport.upper()
        self.buf = b''
        self.call_id = '%032x' % random.getrandbits(128)
        self.from_tag = '%010x' % random.getrandbits(40)
        self.epid = '%010x' % random.getrandbits(40)
        self.cseq = random.randrange(1, 1000)
        self.to_tag = None

    def register(self, auth=None, user='alice', extra=(), call_id=None):
        """Send a REGISTER (auth: the Authorization value, or a function of
        the request text without it returning that value); returns
        (request text, response SipMessage)."""
        self.cseq += 1
        port = self.sock.getsockname()[1]
        lines = [
            'REGISTER sip:example.test SIP/2.0',
            'Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%x' % (self.transport, port,
                                                              random.getrandbits(48)),
            'Max-Forwards: 70',
            'From: <sip:%s@example.test>;tag=%s;epid=%s' % (user, self.from_tag, self.epid),
            'To: <sip:%s@example.test>' % user,
            'Call-ID: ' + (call_id or self.call_id),
            'CSeq: %d REGISTER' % self.cseq,
            'Contact: <sip:127.0.0.1:%d;transport=%s>;proxy=replace' % (port, self.transport.lower()),
            'User-Agent: sip-doctor-lab-selftest',
        ] + list(extra)
        if callable(auth):
            auth = auth(sdlab_sipae.parse_message(('\r\n'.join(lines) + '\r\n\r\n').encode()))
        if auth:
            lines.append('Authorization: ' + auth)
        lines.append('Content-Length: 0')
        text = '\r\n'.join(lines) + '\r\n\r\n'
        self.sock.sendall(text.encode())
        data, self.buf = sdlab_sipae.read_message(self.sock, self.buf)
        if data is None:
            raise AssertionError('registrar closed the connection')
        return text, sdlab_sipae.parse_message(data)

    def close(self):
        self.sock.close()


def challenges(resp):
    return {s: p for s, p in (sdlab_sipae.auth_scheme_params(v)
                              for v in resp.all('WWW-Authenticate'))}


# The MS-SIPAE signed fields, written out again here so that the client does
# not share the registrar's code: <scheme><rand><num><realm><targetname>
# <Call-ID><CSeq number><CSeq method><From URI><From tag><To URI><To tag>
# <P-Asserted-Identity SIP URI><tel URI><Expires>[<status code>]
def client_sign_string(version, scheme, rand, num, realm, target, msg):
    def hdr(name):
        return msg.get(name) or ''

    def uri(v):
        return v[v.index('<') + 1:v.index('>')] if '<' in v else v.split(';')[0]

    def tag(v):
        after = v.split('>', 1)[-1]
        for part in after.split(';'):
            if part.startswith('tag='):
                return part[4:]
        return ''
    num_cseq, method = hdr('CSeq').split()
    f = [scheme, rand, num, realm, target, hdr('Call-ID'), num_cseq, method,
         uri(hdr('From')), tag(hdr('From'))]
    if version >= 3:
        f.append(uri(hdr('To')))
    f.append(tag(hdr('To')))
    if version >= 3:
        f += ['', '']  # no P-Asserted-Identity in the lab's messages
    f.append(hdr('Expires'))
    if msg.is_response:
        f.append(str(msg.status))
    return ''.join('<%s>' % x for x in f)


NTLM_MECH = None
SEQ_OID = None


def ntlm_mech():
    global NTLM_MECH, SEQ_OID
    if NTLM_MECH is None:
        NTLM_MECH = gssapi.OID.from_int_seq(sdlab_sipae.NTLM_OID)
        SEQ_OID = gssapi.OID.from_int_seq(sdlab_sipae.NTLM_SET_SEQ_NUM_OID)
    return NTLM_MECH


class NtlmClient:
    """gss-ntlmssp as initiator through the MIT mechglue (python3-gssapi),
    connectionless: GSS_C_DATAGRAM_FLAG, so the first token is empty."""

    def __init__(self, user, password, domain=sdlab_sipae.NTLM_DOMAIN):
        mech = ntlm_mech()
        name = gssapi.Name('%s\\%s' % (domain, user), gssapi.NameType.user)
        self.creds = gss_raw.acquire_cred_with_password(name, password.encode(),
                                                        usage='initiate', mechs=[mech]).creds
        self.target = gssapi.Name('sip@' + FQDN, gssapi.NameType.hostbased_service)
        self.ctx = None
        self.flags = (gssapi.RequirementFlag.integrity | GSS_C_DATAGRAM_FLAG
                      | gssapi.RequirementFlag.identify)

    def step(self, token=None):
        r = gss_raw.init_sec_context(self.target, self.creds, context=self.ctx, mech=ntlm_mech(),
                                     flags=self.flags, input_token=token)
        self.ctx = r.context
        self.complete = not r.more_steps
        return r.token or b''

    def _seq(self):
        gss_raw.set_sec_context_option(SEQ_OID, self.ctx, struct.pack('=I', 100))

    def mic(self, text):
        self._seq()
        return gss_raw.get_mic(self.ctx, text.encode())

    def verify(self, text, mic):
        self._seq()
        gss_raw.verify_mic(self.ctx, text.encode(), mic)


class KrbClient:
    """MIT krb5 as initiator: a password-acquired credential (no kinit, no
    cache written), the SPN from targetname."""

    def __init__(self, user, password, targetname, mutual=False):
        krb5 = gssapi.MechType.kerberos
        name = gssapi.Name(user, gssapi.NameType.user)
        creds = gss_raw.acquire_cred_with_password(name, password.encode(), usage='initiate',
                                                   mechs=[krb5]).creds
        flags = [gssapi.RequirementFlag.integrity]
        if mutual:
            flags.append(gssapi.RequirementFlag.mutual_authentication)
        self.ctx = gssapi.SecurityContext(
            name=gssapi.Name(targetname, gssapi.NameType.kerberos_principal),
            creds=gssapi.Credentials(creds), usage='initiate', mech=krb5, flags=flags)

    def step(self, token=None):
        return self.ctx.step(token) or b''

    @property
    def complete(self):
        return self.ctx.complete

    def mic(self, text):
        return self.ctx.get_signature(text.encode())

    def verify(self, text, mic):
        self.ctx.verify_signature(text.encode(), mic)


GSS_C_DATAGRAM_FLAG = sdlab_sipae.GSS_C_DATAGRAM_FLAG


def signed_auth(client, scheme, ch, version, opaque=None, gssapi_data=None, cnum=1,
                tamper=None):
    """An Authorization value builder: signs the request it is given."""
    realm, target = ch['realm'], ch['targetname']

    def build(req):
        crand = '%08x' % random.getrandbits(32)
        text = client_sign_string(version, scheme, crand, str(cnum), realm, target, req)
        if tamper:
            text = tamper(text)
        sig = client.mic(text).hex()
        parts = ['qop="auth"', 'realm="%s"' % realm, 'targetname="%s"' % target]
        if opaque:
            parts.append('opaque="%s"' % opaque)
        if gssapi_data is not None:
            parts.append('gssapi-data="%s"' % base64.b64encode(gssapi_data).decode())
        parts += ['crand="%s"' % crand, 'cnum="%d"' % cnum, 'response="%s"' % sig,
                  'version=%d' % version]
        return '%s %s' % (scheme, ', '.join(parts))
    return build


def check_rspauth(testcase, client, scheme, resp, version=4):
    """Verify the registrar's rspauth over the 200 OK with the client's own
    context; returns the Authentication-Info parameters."""
    info = resp.get('Authentication-Info')
    testcase.assertIsNotNone(info, 'no Authentication-Info in %s' % resp.start)
    s, p = sdlab_sipae.auth_scheme_params(info)
    testcase.assertEqual(s, scheme)
    for k in ('rspauth', 'srand', 'snum', 'opaque', 'targetname', 'realm'):
        testcase.assertIn(k, p)
    text = client_sign_string(version, scheme, p['srand'], p['snum'], p['realm'],
                              p['targetname'], resp)
    client.verify(text, bytes.fromhex(p['rspauth']))
    # and a signature over other fields does not verify
    with testcase.assertRaises(gssapi.exceptions.GSSError):
        client.verify(text.replace('<200>', '<401>'), bytes.fromhex(p['rspauth']))
    return p


def ntlm_register(testcase, reg, user, password, transport='tls', tamper=None):
    """The whole MS-SIPAE NTLM exchange; returns (final response, client, conn)."""
    conn = Conn(reg, transport)
    _, r1 = conn.register(user=user)
    testcase.assertEqual(r1.status, 401)
    ch = challenges(r1)['NTLM']
    client = NtlmClient(user, password)
    first = client.step()
    testcase.assertEqual(first, b'', 'connectionless NTLM sends no NEGOTIATE message')
    auth = 'NTLM qop="auth", realm="%s", targetname="%s", gssapi-data="", version=%s' % (
        ch['realm'], ch['targetname'], ch['version'])
    _, r2 = conn.register(auth, user=user)
    testcase.assertEqual(r2.status, 401, r2.start)
    ch2 = challenges(r2)['NTLM']
    testcase.assertIn('opaque', ch2)
    challenge = base64.b64decode(ch2['gssapi-data'])
    testcase.assertEqual(challenge[:12], b'NTLMSSP\0\x02\0\0\0', 'a CHALLENGE_MESSAGE')
    authenticate = client.step(challenge)
    testcase.assertTrue(client.complete)
    testcase.assertEqual(authenticate[8:12], b'\x03\0\0\0')
    _, r3 = conn.register(signed_auth(client, 'NTLM', ch, int(ch['version']), opaque=ch2['opaque'],
                                      gssapi_data=authenticate, tamper=tamper), user=user)
    return r3, client, conn, ch2['opaque']


def entries_since(reg, n):
    return reg.entries()[n:]


@unittest.skipIf(missing_packages(), 'missing packages')
class SignedFieldsTests(unittest.TestCase):
    def test_sign_string_format_is_pinned(self):
        msg = sdlab_sipae.parse_message((
            'SIP/2.0 200 OK\r\n'
            'Via: SIP/2.0/TLS 192.0.2.1:4320\r\n'
            'From: "Alice" <sip:alice@contoso.com>;tag=4a2b44d131;epid=8248ca9ebb\r\n'
            'To: <sip:alice@contoso.com>;tag=0858513FA91D3AAE\r\n'
            'Call-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\n'
            'CSeq: 170 REGISTER\r\n'
            'P-Asserted-Identity: <sip:alice@contoso.com>, <tel:+15551234>\r\n'
            'Expires: 900\r\n'
            'Content-Length: 0\r\n\r\n').encode())
        v4 = sdlab_sipae.sign_string(4, 'NTLM', '3c7b2f1a', '1', 'SIP Communications Service',
                                     'server.contoso.com', msg)
        self.assertEqual(v4, '<NTLM><3c7b2f1a><1><SIP Communications Service><server.contoso.com>'
                             '<d5f2b95d5be64c2cbfb38aa5d3a87ae7><170><REGISTER>'
                             '<sip:alice@contoso.com><4a2b44d131><sip:alice@contoso.com>'
                             '<0858513FA91D3AAE><sip:alice@contoso.com><tel:+15551234><900><200>')
        v2 = sdlab_sipae.sign_string(2, 'NTLM', '3c7b2f1a', '1', 'SIP Communications Service',
                                     'server.contoso.com', msg)
        self.assertEqual(v2, '<NTLM><3c7b2f1a><1><SIP Communications Service><server.contoso.com>'
                             '<d5f2b95d5be64c2cbfb38aa5d3a87ae7><170><REGISTER>'
                             '<sip:alice@contoso.com><4a2b44d131><0858513FA91D3AAE><900><200>')


@unittest.skipIf(missing_packages(), 'missing packages')
class KdcTests(unittest.TestCase):
    def test_private_files_only(self):
        env = KDC.env
        for k in ('KRB5_CONFIG', 'KRB5_KDC_PROFILE'):
            self.assertTrue(env[k].startswith(LAB.dir), k)
        self.assertTrue(env['KRB5_KTNAME'].startswith('FILE:' + LAB.dir))
        self.assertTrue(env['KRB5CCNAME'].startswith('FILE:' + LAB.dir))
        self.assertTrue(sdlab.udp_bound(KDC.port) and sdlab.tcp_open(KDC.port))
        with open(KDC.krb5_conf) as f:
            conf = f.read()
        self.assertIn('kdc = 127.0.0.1:%d' % KDC.port, conf)
        self.assertIn('dns_lookup_kdc = false', conf)

    def test_password_gets_a_ticket_without_a_cache(self):
        c = KrbClient('alice', ALICE_PW, 'sip/' + FQDN)
        tok = c.step()
        self.assertGreater(len(tok), 100)
        self.assertFalse(os.path.exists(os.path.join(LAB.dir, 'client-ccache')))

    def test_standalone_kdc_cleans_up(self):
        kdc = sdlab_kdc.Kdc(users={'carol': 'Carol-Pw-1'}, services=['sip/other.example.test'])
        try:
            self.assertTrue(sdlab.tcp_open(kdc.port))
            self.assertTrue(os.path.exists(kdc.keytab))
            self.assertFalse(kdc.dir.startswith(LAB.dir))
            self.assertIn('commencing operation', kdc.log())
            self.assertNotIn('Carol-Pw-1', kdc.log())
        finally:
            kdc.stop()
        self.assertFalse(kdc.proc.group_alive())
        self.assertFalse(os.path.exists(kdc.dir))

    def test_wrong_password_fails_preauth(self):
        with self.assertRaises(gssapi.exceptions.GSSError) as cm:
            KrbClient('alice', 'not-the-password', 'sip/' + FQDN)
        # preauth with the wrong key: MIT names it either way
        self.assertRegex(str(cm.exception),
                         'Preauthentication failed|Decrypt integrity check failed')
        self.assertRegex(KDC.log(), r'PREAUTH_FAILED.*alice@LAB\.TEST')


@unittest.skipIf(missing_packages(), 'missing packages')
class NtlmTests(unittest.TestCase):
    def test_initial_challenge(self):
        conn = Conn(REG, 'tls')
        try:
            _, r = conn.register()
        finally:
            conn.close()
        self.assertEqual(r.status, 401)
        ch = challenges(r)
        self.assertEqual(ch['NTLM'], {'realm': 'SIP Communications Service',
                                      'targetname': FQDN, 'version': '4'})
        self.assertEqual(ch['Kerberos'], {'realm': 'SIP Communications Service',
                                          'targetname': 'sip/' + FQDN, 'version': '4'})
        self.assertIsNotNone(r.get('Date'))
        self.assertIsNone(r.get('ms-diagnostics'))

    def check_right_password(self, transport):
        n = len(REG.entries())
        r3, client, conn, opaque = ntlm_register(self, REG, 'alice', ALICE_PW, transport)
        conn.close()
        self.assertEqual(r3.status, 200, r3.start)
        p = check_rspauth(self, client, 'NTLM', r3)
        self.assertEqual(p['opaque'], opaque)
        new = entries_since(REG, n)
        self.assertEqual([(e['step'], e['result']) for e in new],
                         [('context', 'ok'), ('signature', 'ok'), ('rspauth', 'ok')])
        self.assertEqual({e['user'] for e in new}, {'LAB\\alice'})
        self.assertEqual(new[0]['detail'], 'NTLMv2')

    def test_right_password_tls(self):
        self.check_right_password('tls')

    def test_right_password_tcp(self):
        self.check_right_password('tcp')

    def test_version_3_on_the_second_host(self):
        """NTLM needs no SPN: the host Kerberos cannot reach signs in with
        NTLM, version 3 (the same signed fields as 4)."""
        n = len(NOSPN.entries())
        r3, client, conn, _ = ntlm_register(self, NOSPN, 'alice', ALICE_PW, 'tcp')
        conn.close()
        self.assertEqual(r3.status, 200, r3.start)
        check_rspauth(self, client, 'NTLM', r3, version=3)
        self.assertEqual([(e['step'], e['result']) for e in entries_since(NOSPN, n)],
                         [('context', 'ok'), ('signature', 'ok'), ('rspauth', 'ok')])

    def test_wrong_password_one_failure(self):
        n = len(REG.entries())
        before = REG.failures().get('LAB\\bob', 0)
        r3, _, conn, _ = ntlm_register(self, REG, 'bob', 'not-the-password')
        conn.close()
        self.assertEqual(r3.status, 401, r3.start)
        self.assertIsNone(r3.get('Authentication-Info'))
        self.assertEqual(r3.get('ms-diagnostics'), DIAG_1000)
        self.assertIn('NTLM', challenges(r3))
        new = entries_since(REG, n)
        fails = [e for e in new if e['result'] == 'fail']
        self.assertEqual(len(fails), 1, new)
        self.assertEqual((fails[0]['user'], fails[0]['step'], fails[0]['scheme']),
                         ('LAB\\bob', 'context', 'NTLM'))
        self.assertEqual(REG.failures().get('LAB\\bob', 0), before + 1)
        self.assertNotIn('not-the-password', open(REG.log_path).read())

    def test_tampered_signature_rejected(self):
        n = len(REG.entries())
        r3, _, conn, _ = ntlm_register(self, REG, 'alice', ALICE_PW,
                                       tamper=lambda t: t.replace('<REGISTER>', '<INVITE>'))
        conn.close()
        self.assertNotEqual(r3.status, 200)
        new = entries_since(REG, n)
        self.assertEqual([(e['step'], e['result']) for e in new],
                         [('context', 'ok'), ('signature', 'fail')])

    def test_unknown_opaque_rejected(self):
        conn = Conn(REG, 'tcp')
        try:
            n = len(REG.entries())
            _, r = conn.register('NTLM qop="auth", realm="SIP Communications Service", '
                                 'targetname="%s", opaque="00000000", crand="1", cnum="1", '
                                 'response="00", version=4' % FQDN)
        finally:
            conn.close()
        self.assertEqual(r.status, 401)
        self.assertEqual([(e['step'], e['result']) for e in entries_since(REG, n)],
                         [('opaque', 'fail')])


@unittest.skipIf(missing_packages(), 'missing packages')
class KerberosTests(unittest.TestCase):
    def test_signed_first_request(self):
        """No mutual authentication: the context is complete after the
        InitialContextToken, so the same REGISTER carries the signature."""
        conn = Conn(REG, 'tls')
        try:
            n = len(REG.entries())
            _, r1 = conn.register()
            ch = challenges(r1)['Kerberos']
            self.assertEqual(ch['targetname'], 'sip/' + FQDN)
            client = KrbClient('alice', ALICE_PW, ch['targetname'])
            token = client.step()
            self.assertTrue(client.complete)
            self.assertEqual(token[:1], b'\x60', 'an InitialContextToken (RFC 2743 3.1)')
            _, r2 = conn.register(signed_auth(client, 'Kerberos', ch, 4, gssapi_data=token))
        finally:
            conn.close()
        self.assertEqual(r2.status, 200, r2.start)
        check_rspauth(self, client, 'Kerberos', r2)
        new = entries_since(REG, n)
        self.assertEqual([(e['step'], e['result']) for e in new],
                         [('context', 'ok'), ('signature', 'ok'), ('rspauth', 'ok')])
        self.assertEqual(new[0]['user'], 'alice@' + sdlab_kdc.REALM)

    def test_mutual_authentication_round(self):
        """Mutual authentication: 401 with opaque and the AP-REP, then a
        signed REGISTER naming the opaque."""
        conn = Conn(REG, 'tcp')
        try:
            _, r1 = conn.register()
            ch = challenges(r1)['Kerberos']
            client = KrbClient('alice', ALICE_PW, ch['targetname'], mutual=True)
            token = client.step()
            auth = 'Kerberos qop="auth", realm="%s", targetname="%s", gssapi-data="%s", version=4' % (
                ch['realm'], ch['targetname'], base64.b64encode(token).decode())
            _, r2 = conn.register(auth)
            self.assertEqual(r2.status, 401, r2.start)
            ch2 = challenges(r2)['Kerberos']
            client.step(base64.b64decode(ch2['gssapi-data']))
            self.assertTrue(client.complete)
            _, r3 = conn.register(signed_auth(client, 'Kerberos', ch, 4, opaque=ch2['opaque']))
        finally:
            conn.close()
        self.assertEqual(r3.status, 200, r3.start)
        check_rspauth(self, client, 'Kerberos', r3)

    def test_missing_spn(self):
        conn = Conn(NOSPN, 'tls')
        try:
            _, r1 = conn.register()
        finally:
            conn.close()
        ch = challenges(r1)
        self.assertEqual(list(ch), ['Kerberos', 'NTLM'])
        self.assertEqual(ch['NTLM']['version'], '3')
        self.assertEqual(ch['Kerberos']['targetname'], 'sip/' + NOSPN_FQDN)
        with self.assertRaises(gssapi.exceptions.GSSError) as cm:
            KrbClient('alice', ALICE_PW, ch['Kerberos']['targetname']).step()
        self.assertIn('not found in Kerberos database', str(cm.exception))
        self.assertIn('sip/' + NOSPN_FQDN, str(cm.exception))


@unittest.skipIf(missing_packages(), 'missing packages')
class SkewAndDiagnosticsTests(unittest.TestCase):
    def test_skewed_date_and_ms_diagnostics(self):
        conn = Conn(SKEW, 'tls')
        try:
            _, r = conn.register()
            now = time.time()
        finally:
            conn.close()
        self.assertEqual(r.status, 401)
        date = email.utils.parsedate_to_datetime(r.get('Date')).timestamp()
        self.assertLess(abs((date - now) - SKEW_SECONDS), 120, r.get('Date'))
        self.assertEqual(r.get('ms-diagnostics'), DIAG_4005)

    def test_unskewed_date(self):
        conn = Conn(REG, 'tcp')
        try:
            _, r = conn.register()
            now = time.time()
        finally:
            conn.close()
        date = email.utils.parsedate_to_datetime(r.get('Date')).timestamp()
        self.assertLess(abs(date - now), 120)


def main():
    missing = missing_packages()
    if missing:
        print('SKIP: missing %s (tools/install-deps.sh installs them)' % ', '.join(missing))
        return 77
    verbosity = 2 if '-v' in sys.argv else 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    t0 = time.monotonic()
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout).run(suite)
    leftovers = [p.name for p in PROCS if p.group_alive()]
    failed = len(result.failures) + len(result.errors) + (1 if leftovers else 0)
    if leftovers:
        print('processes left running: %s' % ', '.join(leftovers))
    passed = result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped)
    print('%.1f s' % (time.monotonic() - t0))
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
