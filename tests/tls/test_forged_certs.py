#!/usr/bin/env python3
"""Forged certificates must never be trusted, and never get a Digest answer.

Each certificate here is made at run time (forge.py): leaves that name a
real CA as their issuer (one from the system store, without --ca-file; the
lab's root given with --ca-file; the lab's intermediate, sent along) but
carry a signature algorithm nobody knows, one GnuTLS refuses (MD2), a weak
one whose signature is simply wrong (MD5), or a well-formed SHA-256
signature that does not verify; and a correctly signed leaf whose only name
holds a NUL byte (`sip.example.test\\0.attacker.test`). Each is served by a
real TLS SIP registrar on loopback that challenges REGISTER with Digest and
records every request it receives. Through the CLI's --json output with a
password file: the tls step says trusted false with the precise finding,
and no request carrying an Authorization header reaches the peer.

The same registrar with the lab's honest chains is the control: a good
chain is trusted and signs in (so the recording does see credentials), and
real SHA-1 and RSA-1024 chains are trusted, sign in, and are reported as
tls.weak-signature / tls.weak-key.

Run: meson test -C _build --suite tls   (or SD_CLI=… python3 tests/tls/test_forged_certs.py -v)
"""

import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
sys.path.insert(0, HERE)
import sdlab  # noqa: E402
import forge  # noqa: E402

# The lab's certificates name no CRL distribution point and no OCSP
# responder: every chain that verifies also gets this information
# (tests/tls/test_revocation.py tests revocation itself).
NO_REVOCATION_INFO = 'tls.no-revocation-info'

LAB = None
TIMEOUT = 4
FORGED = {}    # name -> (chain PEM path, key PEM path, needs --ca-file)
SYSTEM_CA = None
NO_SYSTEM_CA = ('no RSA CA with a subject key identifier in the system store '
                '(/etc/ssl/certs/ca-certificates.crt, from ca-certificates: tools/install-deps.sh)')


class RecordingRegistrar:
    """A TLS SIP registrar on 127.0.0.1: OPTIONS 200, REGISTER without
    credentials 401 Digest, REGISTER with any Authorization 200 (a phishing
    server takes whatever it is given). Keeps every request it reads."""

    MAX_REQUESTS = 64   # per connection: a bounded loop

    def __init__(self, chain, key):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.set_ciphers('DEFAULT:@SECLEVEL=0')
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            self.ctx.load_cert_chain(chain, key)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((sdlab.LOOPBACK, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, raw):
        conn = raw
        try:
            raw.settimeout(10)
            conn = self.ctx.wrap_socket(raw, server_side=True)
            for _ in range(self.MAX_REQUESTS):
                req = sdlab._read_sip_request(conn)
                if not req:
                    break
                with self.lock:
                    self.requests.append(req)
                conn.sendall(self._answer(req))
        except (OSError, ValueError):
            pass
        finally:
            conn.close()

    @staticmethod
    def _answer(req):
        head = req.split(b'\r\n\r\n', 1)[0].split(b'\r\n')
        has_auth = any(h.split(b':', 1)[0].strip().lower() == b'authorization' for h in head[1:])
        if head[0].startswith(b'REGISTER') and not has_auth:
            reply = sdlab._sip_reply_for(req, '401 Unauthorized').decode()
            challenge = ('WWW-Authenticate: Digest realm="example.test", nonce="%s", qop="auth", '
                         'algorithm=MD5\r\n' % secrets.token_hex(16))
            return reply.replace('Content-Length: 0', challenge + 'Content-Length: 0', 1).encode()
        return sdlab._sip_reply_for(req)

    def authorizations(self):
        with self.lock:
            return [r for r in self.requests
                    if any(h.split(b':', 1)[0].strip().lower() == b'authorization'
                           for h in r.split(b'\r\n\r\n', 1)[0].split(b'\r\n')[1:])]

    def close(self):
        self.sock.close()


def make_forgeries(directory):
    """The forged certificates, from the lab's 'good' leaf (and its key)."""
    pki = LAB.pki
    good = pki['good']
    leaf = forge.read_ders(good.cert)[0]
    inter_der = forge.read_ders(pki.intermediate)[0]
    root = forge.Cert(forge.read_ders(pki.ca_file)[0])
    inter = forge.Cert(inter_der)

    def put(name, cert, extra=(), ca_file=False):
        path = forge.write_chain(os.path.join(directory, name + '.pem'), [cert.to_der()] + list(extra))
        FORGED[name] = (path, good.key, ca_file)

    if SYSTEM_CA is not None:
        # No --ca-file: the system store alone holds the CA named as issuer.
        modulus = 512  # bytes: longer than any CA's RSA key, the length is not what fails
        c = forge.Cert(leaf)
        c.set_issuer(SYSTEM_CA.subject, SYSTEM_CA.subject_key_id())
        c.set_algorithm(forge.ALG_UNKNOWN)
        put('system-unknown-algorithm', c)

        c = forge.Cert(leaf)
        c.set_issuer(SYSTEM_CA.subject, SYSTEM_CA.subject_key_id())
        c.set_algorithm(forge.ALG_RSA_MD2)
        c.set_signature(os.urandom(modulus))
        put('system-refused-algorithm', c)

        c = forge.Cert(leaf)
        c.set_issuer(SYSTEM_CA.subject, SYSTEM_CA.subject_key_id())
        c.set_algorithm(forge.ALG_RSA_MD5)
        c.set_signature(os.urandom(modulus))
        put('system-weak-algorithm-wrong-signature', c)

        c = forge.Cert(leaf)
        c.set_issuer(SYSTEM_CA.subject, SYSTEM_CA.subject_key_id())
        c.set_algorithm(forge.ALG_RSA_SHA256)
        c.set_signature(os.urandom(modulus))
        put('system-wrong-signature', c)

    # The CA given with --ca-file named as issuer.
    c = forge.Cert(leaf)
    c.set_issuer(root.subject, root.subject_key_id())
    c.set_algorithm(forge.ALG_UNKNOWN)
    put('cafile-unknown-algorithm', c, ca_file=True)

    c = forge.Cert(leaf)
    c.set_issuer(root.subject, root.subject_key_id())
    c.sign(pki.root_key)
    sig = bytearray(c.signature_bytes())
    sig[len(sig) // 2] ^= 0x5a
    c.set_signature(bytes(sig))
    put('cafile-wrong-signature', c, ca_file=True)

    # The real intermediate sent along; the leaf's signature cannot be checked.
    c = forge.Cert(leaf)
    c.set_algorithm(forge.ALG_UNKNOWN)
    put('intermediate-unknown-algorithm', c, extra=[inter_der], ca_file=True)

    # Correctly signed by the intermediate, but the only name (SAN and CN) holds a NUL.
    c = forge.Cert(leaf)
    c.set_names([b'sip.example.test\x00.attacker.test'], b'sip.example.test\x00.attacker.test')
    c.sign(pki.inter_key)
    put('nul-name', c, extra=[inter_der], ca_file=True)

    # Correctly signed, no subjectAltName, two CNs, the last one the server's
    # name: this program's name rule takes the last CN, GnuTLS (RFC 6125)
    # refuses a certificate with more than one. The second opinion decides.
    c = forge.Cert(leaf)
    c.set_extensions([e for e in c.extensions()
                      if forge.content(forge.children(forge.content(e))[0]) != forge.OID_SAN])
    cn = lambda v: forge.der(0x31, forge.seq(forge.der(0x06, forge.OID_CN), forge.der(0x0c, v)))  # noqa: E731
    c.tbs[5] = forge.seq(cn(b'other.test'), cn(b'sip.example.test'))
    c.sign(pki.inter_key)
    put('two-common-names', c, extra=[inter_der], ca_file=True)


def setUpModule():
    global LAB, SYSTEM_CA
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli is not built (set SD_CLI)')
    SYSTEM_CA = forge.system_ca('RSA')
    LAB = sdlab.Lab(sip=False, sip256=False, peers=False, sipp=False)
    directory = os.path.join(LAB.dir, 'forged')
    os.makedirs(directory)
    make_forgeries(directory)


def tearDownModule():
    if LAB is not None:
        LAB.stop()


class Base(unittest.TestCase):
    maxDiff = None

    def sign_in(self, chain, key, ca_file=True, extra=(), cwd=None):
        """The CLI's whole run against a recording registrar serving chain;
        returns (report, the registrar). ca_file: True for the lab's root,
        or a path as given on the command line (relative to cwd)."""
        peer = RecordingRegistrar(chain, key)
        self.addCleanup(peer.close)
        args = ['alice@example.test', '--server', 'sip.example.test:%d' % peer.port,
                '--transport', 'tls', '--dns-server', LAB.dns_server, '--json',
                '--timeout', str(TIMEOUT), '--password-file', LAB.password_file('alice')]
        if ca_file:
            args += ['--ca-file', LAB.pki.ca_file if ca_file is True else ca_file]
        args += list(extra)
        if cwd is None:
            res = sdlab.run_cli(args, timeout=TIMEOUT * 6 + 20)
            rc, report, stderr = res.rc, res.report, res.stderr
        else:
            env = dict(os.environ, G_DEBUG='fatal-criticals')
            p = subprocess.run([sdlab.cli_path()] + args, cwd=cwd, env=env, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=TIMEOUT * 6 + 20)
            rc, stderr = p.returncode, p.stderr
            report = json.loads(p.stdout) if p.stdout.lstrip().startswith('{') else None
        self.assertIsNotNone(report, 'no JSON report: rc=%s\n%s' % (rc, stderr[-3000:]))
        self.assertIn(rc, (0, 1), stderr[-3000:])
        self.assertNotRegex(stderr, r'Sanitizer|runtime error|CRITICAL|WARNING')
        # The peer saw the sign-in attempt at all (else "no Authorization" proves nothing).
        self.assertTrue(any(r.startswith(b'REGISTER') for r in peer.requests),
                        'the registrar got no REGISTER: %s' % [r[:20] for r in peer.requests])
        return report, peer

    def codes(self, report, step):
        return sorted(f['code'] for f in report['findings'] if f['step'] == step)

    def finding(self, report, code):
        f = sdlab.find_finding(report, code)
        self.assertIsNotNone(f, 'no %s in %s' % (code, [x['code'] for x in report['findings']]))
        self.assertTrue(f['message'] and f['advice'])
        return f


class Forged(Base):
    def assert_refused(self, name, code):
        chain, key, ca_file = FORGED[name]
        report, peer = self.sign_in(chain, key, ca_file=ca_file)
        tls = report['steps']['tls']
        self.assertEqual(tls['data']['handshake'], 'ok')
        self.assertFalse(tls['data']['trusted'])
        self.assertFalse(tls['data']['credentials_allowed'])
        self.assertEqual(tls['status'], 'fail')
        self.finding(report, code)
        self.assertEqual(peer.authorizations(), [])
        self.finding(report, 'auth.untrusted-not-sent')
        self.assertIsNone(sdlab.find_finding(report, 'auth.ok'))
        return report

    def test_unknown_algorithm_system_issuer(self):
        self.assertIsNotNone(SYSTEM_CA, NO_SYSTEM_CA)
        report = self.assert_refused('system-unknown-algorithm', 'tls.bad-signature')
        self.assertIn(report['steps']['tls']['data']['chain'][0]['issuer'],
                      self.finding(report, 'tls.bad-signature')['message'])
        self.assertIsNone(report['steps']['tls']['data']['anchor'])

    def test_refused_algorithm_system_issuer(self):
        self.assertIsNotNone(SYSTEM_CA, NO_SYSTEM_CA)
        self.assert_refused('system-refused-algorithm', 'tls.bad-signature')

    def test_weak_algorithm_wrong_signature_system_issuer(self):
        # MD5 is let through as a weak algorithm, but its signature is still checked.
        self.assertIsNotNone(SYSTEM_CA, NO_SYSTEM_CA)
        self.assert_refused('system-weak-algorithm-wrong-signature', 'tls.bad-signature')

    def test_wrong_signature_system_issuer(self):
        self.assertIsNotNone(SYSTEM_CA, NO_SYSTEM_CA)
        self.assert_refused('system-wrong-signature', 'tls.bad-signature')

    def test_unknown_algorithm_ca_file_issuer(self):
        report = self.assert_refused('cafile-unknown-algorithm', 'tls.bad-signature')
        self.assertIn('SIP Doctor Lab Root CA', self.finding(report, 'tls.bad-signature')['message'])

    def test_wrong_signature_ca_file_issuer(self):
        self.assert_refused('cafile-wrong-signature', 'tls.bad-signature')

    def test_unknown_algorithm_under_sent_intermediate(self):
        report = self.assert_refused('intermediate-unknown-algorithm', 'tls.bad-signature')
        self.assertIn('SIP Doctor Lab Intermediate CA', self.finding(report, 'tls.bad-signature')['message'])
        # The intermediate is not linked under a signature that was never checked.
        self.assertEqual(report['steps']['tls']['data']['path'], [0])
        self.assertNotIn('tls.missing-intermediate', self.codes(report, 'tls'))

    def test_explicitly_allowed_still_says_untrusted(self):
        # --allow-untrusted sends the answer (as asked), and the report still says why not to.
        chain, key, ca_file = FORGED['cafile-unknown-algorithm']
        report, peer = self.sign_in(chain, key, ca_file=ca_file, extra=['--allow-untrusted'])
        self.assertFalse(report['steps']['tls']['data']['trusted'])
        self.finding(report, 'tls.bad-signature')
        self.assertNotEqual(peer.authorizations(), [])


class NulName(Base):
    def test_nul_in_name_matches_nothing(self):
        chain, key, ca_file = FORGED['nul-name']
        report, peer = self.sign_in(chain, key, ca_file=ca_file)
        data = report['steps']['tls']['data']
        leaf = data['chain'][0]
        # The name is shown whole, the NUL made visible; never cut at the NUL.
        self.assertEqual(leaf['san']['dns'], ['sip.example.test\\x00.attacker.test'])
        self.assertEqual(leaf['common_name'], 'sip.example.test\\x00.attacker.test')
        self.assertEqual(leaf['invalid_names'], ['sip.example.test\\x00.attacker.test'])
        f = self.finding(report, 'tls.invalid-name')
        self.assertEqual(f['severity'], 'error')
        self.assertIn('sip.example.test\\x00.attacker.test', f['message'])
        self.assertEqual(self.finding(report, 'tls.name-mismatch')['severity'], 'error')
        self.assertFalse(data['trusted'])
        self.assertEqual(peer.authorizations(), [])
        self.finding(report, 'auth.untrusted-not-sent')


class SecondOpinion(Base):
    def test_backend_disagreement_keeps_credentials(self):
        chain, key, ca_file = FORGED['two-common-names']
        report, peer = self.sign_in(chain, key, ca_file=ca_file)
        data = report['steps']['tls']['data']
        name = [c for c in data['checks'] if c['id'] == 'name'][0]
        self.assertEqual(name['result'], 'pass')             # this program's own rule
        self.assertIn('bad-identity', data['backend_verdict']['errors'])
        self.assertFalse(data['backend_verdict']['agrees'])
        f = self.finding(report, 'tls.backend-rejected')
        self.assertEqual(f['severity'], 'error')
        self.assertFalse(data['trusted'])
        self.assertEqual(peer.authorizations(), [])
        self.finding(report, 'auth.untrusted-not-sent')


class Honest(Base):
    def test_good_chain_trusted_and_signs_in(self):
        good = LAB.pki['good']
        report, peer = self.sign_in(good.chain, good.key)
        data = report['steps']['tls']['data']
        self.assertTrue(data['trusted'])
        self.assertEqual(data['backend_verdict'], {'errors': [], 'agrees': True})
        self.assertEqual(self.codes(report, 'tls'), [NO_REVOCATION_INFO])
        self.finding(report, 'auth.ok')
        self.assertNotEqual(peer.authorizations(), [])

    def test_relative_ca_file(self):
        # As typed on a command line: the second opinion (GTlsFileDatabase
        # wants an absolute path) must read the same file.
        good = LAB.pki['good']
        here = os.path.join(LAB.dir, 'relative')
        os.makedirs(here, exist_ok=True)
        shutil.copy(LAB.pki.ca_file, os.path.join(here, 'lab-root.pem'))
        report, peer = self.sign_in(good.chain, good.key, ca_file='lab-root.pem', cwd=here)
        data = report['steps']['tls']['data']
        self.assertTrue(data['trusted'])
        self.assertEqual(data['backend_verdict'], {'errors': [], 'agrees': True})
        self.finding(report, 'auth.ok')
        self.assertNotEqual(peer.authorizations(), [])

    def test_good_chain_without_ca_file_is_not(self):
        good = LAB.pki['good']
        report, peer = self.sign_in(good.chain, good.key, ca_file=False)
        data = report['steps']['tls']['data']
        self.assertFalse(data['trusted'])
        self.assertIn('unknown-ca', data['backend_verdict']['errors'])
        self.finding(report, 'tls.untrusted-root')
        self.assertEqual(peer.authorizations(), [])

    def test_sha1_chain_trusted_weak_signature(self):
        sha1 = LAB.pki['sha1']
        report, peer = self.sign_in(sha1.chain, sha1.key)
        data = report['steps']['tls']['data']
        self.assertTrue(data['trusted'])
        self.assertEqual(self.codes(report, 'tls'), sorted(['tls.weak-signature', NO_REVOCATION_INFO]))
        # glib-networking calls it insecure: the same fact, reported on its own.
        self.assertEqual(data['backend_verdict'], {'errors': ['insecure'], 'agrees': True})
        self.finding(report, 'auth.ok')
        self.assertNotEqual(peer.authorizations(), [])

    def test_rsa1024_chain_trusted_weak_key(self):
        rsa = LAB.pki['rsa1024']
        report, peer = self.sign_in(rsa.chain, rsa.key)
        data = report['steps']['tls']['data']
        self.assertTrue(data['trusted'])
        self.assertEqual(self.codes(report, 'tls'), sorted(['tls.weak-key', NO_REVOCATION_INFO]))
        self.finding(report, 'auth.ok')
        self.assertNotEqual(peer.authorizations(), [])


if __name__ == '__main__':
    unittest.main()
