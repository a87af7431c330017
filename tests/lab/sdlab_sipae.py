#!/usr/bin/python3
"""An MS-SIPAE registrar for the test lab: NTLM and Kerberos sign-in as
Microsoft's SIP servers (LCS/OCS/Lync/Skype for Business) do it.

    import sdlab, sdlab_kdc, sdlab_sipae
    with sdlab.Lab(dns=False, sip=False, sip256=False, peers=False, sipp=False) as lab:
        kdc = sdlab_kdc.Kdc(lab, users={'alice': PW}, services=['sip/sipae.example.test'])
        reg = sdlab_sipae.Registrar(lab, kdc=kdc, users={'alice': PW})
        reg.port('tls'), reg.port('tcp')    # 127.0.0.1 ports
        reg.entries()                       # what it verified, one dict per check
        reg.failures()                      # {user: failed attempts}

It runs as its own process (this file, `serve SPEC`) so that the acceptor's
environment (NTLM_USER_FILE, KRB5_KTNAME, ...) never reaches the test's
initiator.  All checking is done by independent code:

- NTLM by gss-ntlmssp, called through the plugin's own gss_* symbols (ctypes
  on gssntlmssp.so): through the MIT mechglue an empty first token would be
  taken as SPNEGO, and MS-SIPAE's connectionless NTLM starts with exactly
  that (no NEGOTIATE message).  Users come from NTLM_USER_FILE
  (DOMAIN:user:password).
- Kerberos by MIT krb5 through python3-gssapi, with the KDC's keytab.

The exchange (MS-SIPAE 3.2 client and 3.3 server details; the examples
4.1 NTLM and 4.2 Kerberos):

  REGISTER                               -> 401, WWW-Authenticate: NTLM realm,
                                            targetname=<fqdn>, version and
                                            Kerberos realm, targetname=sip/<fqdn>
  REGISTER  Authorization: NTLM ... gssapi-data=""
                                         -> 401, NTLM opaque, gssapi-data=CHALLENGE
  REGISTER  Authorization: NTLM opaque, gssapi-data=AUTHENTICATE,
            crand, cnum, response=<MIC over the signed fields>
                                         -> 200, Authentication-Info: NTLM rspauth,
                                            srand, snum, opaque, qop, targetname, realm
  REGISTER  Authorization: Kerberos ... gssapi-data=<InitialContextToken>
            (+ crand, cnum, response when the context is complete at once)
                                         -> 200 with rspauth as above; or, when
                                            the acceptor has a token for the
                                            client (mutual authentication),
                                            401 Kerberos opaque, gssapi-data=AP-REP,
                                            then a signed REGISTER with opaque
                                            -> 200

Signed fields (sign_string()): each value in angle brackets, no separators,
in this order: scheme, crand|srand, cnum|snum, realm, targetname, Call-ID,
CSeq number, CSeq method, From URI, From tag, [v3+: To URI], To tag,
[v3+: P-Asserted-Identity SIP URI, tel URI], Expires, then for responses
only the status code.  NTLM MICs use sequence number 100 on both sides.
The signature travels as lowercase hex (any case accepted).

Every check is appended to a JSON-lines log: {"scheme", "user", "step",
"result", "detail"}; failed attempts are counted per user.  No password or
key is ever logged.
"""

import base64
import ctypes
import email.utils
import json
import os
import random
import socket
import ssl
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdlab  # noqa: E402

NTLMSSP_SO = '/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so'
NTLM_OID = '1.3.6.1.4.1.311.2.2.10'
# 1.3.6.1.4.1.7165.655.1.1 (gssapi_ntlmssp.h: GSS_NTLMSSP_SET_SEQ_NUM_OID)
NTLM_SET_SEQ_NUM_OID_DER = b'\x2b\x06\x01\x04\x01\xb7\x7d\x85\x0f\x01\x01'
NTLM_SET_SEQ_NUM_OID = '1.3.6.1.4.1.7165.655.1.1'
GSS_C_DATAGRAM_FLAG = 0x10000
# the sequence number of every NTLM SIP signature, both directions
SIP_NTLM_SEQ_NUM = 100

REALM_NAME = 'SIP Communications Service'
DEFAULT_FQDN = 'sipae.example.test'
NTLM_DOMAIN = 'LAB'


def have_gss_ntlmssp():
    return os.path.exists(NTLMSSP_SO)


def have_python_gssapi():
    try:
        import gssapi  # noqa: F401
        return True
    except ImportError:
        return False


# --------------------------------------------------------------------------
# SIP messages

COMPACT = {'f': 'from', 't': 'to', 'i': 'call-id', 'v': 'via', 'm': 'contact',
           'l': 'content-length', 'k': 'supported', 'c': 'content-type'}


class SipMessage:
    """A parsed SIP request or response: start line, headers in order."""

    def __init__(self, head, body=b''):
        lines = head.split('\r\n')
        # unfold continuation lines
        unfolded = []
        for line in lines[1:]:
            if line[:1] in (' ', '\t') and unfolded:
                unfolded[-1] += ' ' + line.strip()
            elif line:
                unfolded.append(line)
        self.start = lines[0]
        self.headers = []
        for line in unfolded:
            if ':' in line:
                k, v = line.split(':', 1)
                self.headers.append((k.strip(), v.strip()))
        self.body = body
        parts = self.start.split(' ', 2)
        self.is_response = parts[0].startswith('SIP/')
        self.status = int(parts[1]) if self.is_response and len(parts) > 1 and parts[1].isdigit() else None
        self.method = None if self.is_response else parts[0]

    def all(self, name):
        name = name.lower()
        return [v for k, v in self.headers
                if k.lower() == name or COMPACT.get(k.lower()) == name]

    def get(self, name, default=None):
        v = self.all(name)
        return v[0] if v else default

    def cseq(self):
        parts = (self.get('CSeq') or '').split()
        return (parts[0] if parts else '', parts[1] if len(parts) > 1 else '')


def parse_message(data):
    head, _, body = data.partition(b'\r\n\r\n')
    return SipMessage(head.decode('utf-8', 'replace'), body)


def read_message(conn, buf, limit=65536):
    """Read one SIP message from a stream socket; returns (msg bytes, rest)
    or (None, rest) when the peer closed."""
    while b'\r\n\r\n' not in buf:
        if len(buf) > limit:
            return None, b''
        chunk = conn.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk
    head, _, rest = buf.partition(b'\r\n\r\n')
    length = 0
    for line in head.split(b'\r\n')[1:]:
        k, _, v = line.partition(b':')
        if k.strip().lower() in (b'content-length', b'l'):
            try:
                length = int(v.strip())
            except ValueError:
                length = 0
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b''
        rest += chunk
    return head + b'\r\n\r\n' + rest[:length], rest[length:]


def auth_scheme_params(value):
    """'NTLM a="b", c=d' -> ('NTLM', {'a': 'b', 'c': 'd'}) (names lowercased)."""
    scheme, _, rest = value.strip().partition(' ')
    return scheme, {k.lower(): v for k, v in sdlab.parse_auth_params(rest)}


def _between(s, start, end):
    i = s.find(start)
    if i < 0:
        return ''
    i += len(start)
    j = s.find(end, i) if end else -1
    return s[i:] if j < 0 else s[i:j]


def _uri(value):
    """The URI of a From/To/P-Asserted-Identity value: between < and >, or
    the addr-spec up to the first ';' when there are no brackets."""
    if '<' in value:
        return _between(value, '<', '>')
    return value.split(';', 1)[0].strip()


def _tag(value):
    rest = value.split('>', 1)[1] if '>' in value else value
    for p in rest.split(';')[1:]:
        k, _, v = p.partition('=')
        if k.strip().lower() == 'tag':
            return v.strip()
    return ''


def _asserted_uris(msg):
    """(SIP URI, tel URI) of P-Asserted-Identity (or P-Preferred-Identity)."""
    values = msg.all('P-Asserted-Identity') or msg.all('P-Preferred-Identity')
    sip_uri = tel_uri = ''
    for v in values:
        for part in v.split(','):
            u = _uri(part.strip())
            if u.lower().startswith(('sip:', 'sips:')) and not sip_uri:
                sip_uri = u
            elif u.lower().startswith('tel:') and not tel_uri:
                tel_uri = u
    return sip_uri, tel_uri


def sign_fields(version, scheme, rand, num, realm, targetname, msg):
    """The list of values MS-SIPAE signs for msg (see the module doc)."""
    cseq_num, cseq_method = msg.cseq()
    frm = msg.get('From') or ''
    to = msg.get('To') or ''
    fields = [scheme, rand, num, realm, targetname, msg.get('Call-ID') or '',
              cseq_num, cseq_method, _uri(frm), _tag(frm)]
    if version >= 3:
        fields.append(_uri(to))
    fields.append(_tag(to))
    if version >= 3:
        fields.extend(_asserted_uris(msg))
    fields.append(msg.get('Expires') or '')
    if msg.is_response:
        fields.append(str(msg.status))
    return fields


def sign_string(version, scheme, rand, num, realm, targetname, msg):
    return ''.join('<%s>' % f for f in sign_fields(version, scheme, rand, num, realm,
                                                    targetname, msg))


# --------------------------------------------------------------------------
# gss-ntlmssp through its own symbols (ctypes)

class _Buffer(ctypes.Structure):
    _fields_ = [('length', ctypes.c_size_t), ('value', ctypes.c_void_p)]


class _Oid(ctypes.Structure):
    _fields_ = [('length', ctypes.c_uint32), ('elements', ctypes.c_void_p)]


GSS_S_COMPLETE = 0
GSS_S_CONTINUE_NEEDED = 1
GSS_C_GSS_CODE = 1
GSS_C_MECH_CODE = 2


class GssError(Exception):
    def __init__(self, what, major, minor, text):
        super().__init__('%s failed: major 0x%x minor %d: %s' % (what, major, minor, text))
        self.major = major
        self.minor = minor


class NtlmAcceptor:
    """One gss-ntlmssp acceptor context, driven through the plugin's own
    gss_* functions (not the mechglue)."""

    _lib = None
    _libc = None

    @classmethod
    def lib(cls):
        if cls._lib is None:
            lib = ctypes.CDLL(NTLMSSP_SO)
            P = ctypes.POINTER
            u32p = P(ctypes.c_uint32)
            vpp = P(ctypes.c_void_p)
            lib.gss_accept_sec_context.argtypes = [u32p, vpp, ctypes.c_void_p, P(_Buffer),
                                                   ctypes.c_void_p, vpp, P(P(_Oid)), P(_Buffer),
                                                   u32p, u32p, vpp]
            lib.gss_get_mic.argtypes = [u32p, ctypes.c_void_p, ctypes.c_uint32, P(_Buffer),
                                        P(_Buffer)]
            lib.gss_verify_mic.argtypes = [u32p, ctypes.c_void_p, P(_Buffer), P(_Buffer), u32p]
            lib.gss_set_sec_context_option.argtypes = [u32p, vpp, P(_Oid), P(_Buffer)]
            lib.gss_display_name.argtypes = [u32p, ctypes.c_void_p, P(_Buffer), P(P(_Oid))]
            lib.gss_release_name.argtypes = [u32p, vpp]
            lib.gss_delete_sec_context.argtypes = [u32p, vpp, P(_Buffer)]
            lib.gss_display_status.argtypes = [u32p, ctypes.c_uint32, ctypes.c_int, P(_Oid),
                                               u32p, P(_Buffer)]
            for f in ('gss_accept_sec_context', 'gss_get_mic', 'gss_verify_mic',
                      'gss_set_sec_context_option', 'gss_display_name', 'gss_release_name',
                      'gss_delete_sec_context', 'gss_display_status'):
                getattr(lib, f).restype = ctypes.c_uint32
            cls._lib = lib
            cls._libc = ctypes.CDLL(None)
            cls._libc.free.argtypes = [ctypes.c_void_p]
        return cls._lib

    def __init__(self):
        self.lib()
        self.ctx = ctypes.c_void_p(None)
        self.src_name = ctypes.c_void_p(None)
        self.complete = False
        self.flags = 0

    def _take(self, buf):
        data = ctypes.string_at(buf.value, buf.length) if buf.value and buf.length else b''
        if buf.value:
            self._libc.free(buf.value)
        return data

    def _status_text(self, code, kind):
        minor = ctypes.c_uint32()
        msgctx = ctypes.c_uint32(0)
        out = _Buffer()
        texts = []
        for _ in range(8):
            major = self._lib.gss_display_status(ctypes.byref(minor), code, kind, None,
                                                 ctypes.byref(msgctx), ctypes.byref(out))
            if major != GSS_S_COMPLETE:
                break
            texts.append(self._take(out).decode('utf-8', 'replace'))
            if msgctx.value == 0:
                break
        return '; '.join(texts)

    def _check(self, what, major, minor):
        if major not in (GSS_S_COMPLETE, GSS_S_CONTINUE_NEEDED):
            text = self._status_text(major, GSS_C_GSS_CODE)
            mt = self._status_text(minor.value, GSS_C_MECH_CODE) if minor.value else ''
            raise GssError(what, major, minor.value, (text + ('; ' + mt if mt else '')).strip())

    def step(self, token):
        minor = ctypes.c_uint32()
        inbuf = _Buffer(len(token), ctypes.cast(ctypes.c_char_p(token), ctypes.c_void_p)
                        if token else None)
        out = _Buffer()
        flags = ctypes.c_uint32()
        mech = ctypes.POINTER(_Oid)()
        major = self._lib.gss_accept_sec_context(
            ctypes.byref(minor), ctypes.byref(self.ctx), None, ctypes.byref(inbuf), None,
            ctypes.byref(self.src_name), ctypes.byref(mech), ctypes.byref(out),
            ctypes.byref(flags), None, None)
        data = self._take(out)
        self._check('gss_accept_sec_context', major, minor)
        self.flags = flags.value
        self.complete = major == GSS_S_COMPLETE
        return data

    def peer(self):
        if not self.src_name.value:
            return ''
        minor = ctypes.c_uint32()
        out = _Buffer()
        major = self._lib.gss_display_name(ctypes.byref(minor), self.src_name,
                                           ctypes.byref(out), None)
        self._check('gss_display_name', major, minor)
        # the plugin counts the terminating NUL in the length
        return self._take(out).rstrip(b'\0').decode('utf-8', 'replace')

    def set_seq_num(self, num):
        minor = ctypes.c_uint32()
        oid_bytes = ctypes.create_string_buffer(NTLM_SET_SEQ_NUM_OID_DER,
                                                len(NTLM_SET_SEQ_NUM_OID_DER))
        oid = _Oid(len(NTLM_SET_SEQ_NUM_OID_DER), ctypes.cast(oid_bytes, ctypes.c_void_p))
        val = ctypes.create_string_buffer(struct.pack('=I', num), 4)
        buf = _Buffer(4, ctypes.cast(val, ctypes.c_void_p))
        major = self._lib.gss_set_sec_context_option(ctypes.byref(minor), ctypes.byref(self.ctx),
                                                     ctypes.byref(oid), ctypes.byref(buf))
        self._check('gss_set_sec_context_option', major, minor)

    def get_mic(self, data):
        self.set_seq_num(SIP_NTLM_SEQ_NUM)
        minor = ctypes.c_uint32()
        msg = _Buffer(len(data), ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p))
        out = _Buffer()
        major = self._lib.gss_get_mic(ctypes.byref(minor), self.ctx, 0, ctypes.byref(msg),
                                      ctypes.byref(out))
        mic = self._take(out)
        self._check('gss_get_mic', major, minor)
        return mic

    def verify_mic(self, data, mic):
        self.set_seq_num(SIP_NTLM_SEQ_NUM)
        minor = ctypes.c_uint32()
        msg = _Buffer(len(data), ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p))
        tok = _Buffer(len(mic), ctypes.cast(ctypes.c_char_p(mic), ctypes.c_void_p))
        qop = ctypes.c_uint32()
        major = self._lib.gss_verify_mic(ctypes.byref(minor), self.ctx, ctypes.byref(msg),
                                         ctypes.byref(tok), ctypes.byref(qop))
        self._check('gss_verify_mic', major, minor)

    def close(self):
        minor = ctypes.c_uint32()
        if self.src_name.value:
            self._lib.gss_release_name(ctypes.byref(minor), ctypes.byref(self.src_name))
        if self.ctx.value:
            self._lib.gss_delete_sec_context(ctypes.byref(minor), ctypes.byref(self.ctx), None)


def ntlm_authenticate_info(token):
    """User, domain and NTLM version of an AUTHENTICATE message (MS-NLMP
    2.2.1.3), for the log only: the verdict is gss-ntlmssp's."""
    try:
        if token[:8] != b'NTLMSSP\0' or struct.unpack_from('<I', token, 8)[0] != 3:
            return None

        def field(off):
            ln, _, at = struct.unpack_from('<HHI', token, off)
            return token[at:at + ln]
        flags = struct.unpack_from('<I', token, 60)[0]
        enc = 'utf-16-le' if flags & 1 else 'latin-1'
        return {'domain': field(28).decode(enc, 'replace'),
                'user': field(36).decode(enc, 'replace'),
                'ntlm': 'v2' if len(field(20)) > 24 else 'v1'}
    except (struct.error, IndexError):
        return None


# --------------------------------------------------------------------------
# Kerberos acceptor (MIT krb5 through python3-gssapi)

class KrbAcceptor:
    def __init__(self):
        import gssapi
        self.gssapi = gssapi
        self.ctx = gssapi.SecurityContext(usage='accept', creds=None)
        self.complete = False

    def step(self, token):
        out = self.ctx.step(token)
        self.complete = self.ctx.complete
        return out or b''

    def peer(self):
        return str(self.ctx.initiator_name) if self.ctx.initiator_name else ''

    def get_mic(self, data):
        return self.ctx.get_signature(data)

    def verify_mic(self, data, mic):
        self.ctx.verify_signature(data, mic)

    def close(self):
        pass


# --------------------------------------------------------------------------
# the registrar (runs in its own process)

class SecurityAssociation:
    def __init__(self, scheme, opaque, targetname, acceptor):
        self.scheme = scheme
        self.opaque = opaque
        self.targetname = targetname
        self.acceptor = acceptor
        self.user = ''
        self.snum = 0
        self.last_cnum = 0
        self.lock = threading.Lock()


class RegistrarServer:
    def __init__(self, spec):
        self.spec = spec
        self.fqdn = spec['fqdn']
        self.version = int(spec.get('version', 4))
        self.realm = spec.get('realm', REALM_NAME)
        self.schemes = spec.get('schemes', ['NTLM', 'Kerberos'])
        self.targets = {'NTLM': spec.get('ntlm_target') or self.fqdn,
                        'Kerberos': spec.get('kerberos_target') or 'sip/' + self.fqdn,
                        'TLS-DSK': self.fqdn}
        # TLS-DSK is only offered, never accepted: the certificate
        # provisioning service it names is not part of the lab
        self.sts_uri = 'https://%s/CertProv/CertProvisioningService.svc' % self.fqdn
        self.date_offset = float(spec.get('date_offset', 0))
        self.diagnostics = spec.get('ms_diagnostics', {})
        self.require_signature = spec.get('require_signature', True)
        self.reject_status = spec.get('reject_status', '401 Unauthorized')
        self.sas = {}
        self.lock = threading.Lock()
        self.failures = {}
        self.log_path = spec['log']
        self.stats_path = spec['stats']
        self._write_stats()

    # ---- logging
    def log(self, scheme, user, step, result, detail=''):
        entry = {'time': time.time(), 'scheme': scheme, 'user': user, 'step': step,
                 'result': result, 'detail': detail}
        with self.lock:
            if result == 'fail':
                key = user or '(unknown)'
                self.failures[key] = self.failures.get(key, 0) + 1
            with open(self.log_path, 'a') as f:
                f.write(json.dumps(entry) + '\n')
            self._write_stats()

    def _write_stats(self):
        tmp = self.stats_path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump({'failures': self.failures}, f)
        os.replace(tmp, self.stats_path)

    # ---- responses
    def _to_with_tag(self, req):
        to = req.get('To') or ''
        if not _tag(to):
            to += ';tag=%016X' % random.getrandbits(64)
        return to

    def response(self, req, status, extra=(), to=None):
        lines = ['SIP/2.0 ' + status]
        for v in req.all('Via'):
            lines.append('Via: ' + v)
        lines.append('From: ' + (req.get('From') or ''))
        lines.append('To: ' + (to or self._to_with_tag(req)))
        lines.append('Call-ID: ' + (req.get('Call-ID') or ''))
        lines.append('CSeq: ' + (req.get('CSeq') or ''))
        lines.append('Date: ' + email.utils.formatdate(time.time() + self.date_offset,
                                                       usegmt=True))
        lines.append('Server: sip-doctor-lab MS-SIPAE registrar')
        lines.extend(extra)
        lines.append('Content-Length: 0')
        return '\r\n'.join(lines) + '\r\n\r\n'

    def _diag(self, stage):
        d = self.diagnostics.get(stage)
        return ['ms-diagnostics: ' + d] if d else []

    def challenge_headers(self):
        out = []
        for scheme in self.schemes:
            extra = ', sts-uri="%s"' % self.sts_uri if scheme == 'TLS-DSK' else ''
            out.append('WWW-Authenticate: %s realm="%s", targetname="%s", version=%d%s' % (
                scheme, self.realm, self.targets[scheme], self.version, extra))
        return out

    def challenge(self, req, stage='challenge'):
        return self.response(req, '401 Unauthorized', self.challenge_headers() + self._diag(stage))

    def reject(self, req):
        extra = self._diag('reject')
        if self.reject_status.startswith('401'):
            extra = self.challenge_headers() + extra
        return self.response(req, self.reject_status, extra)

    def ok(self, req, sa):
        """200 OK signed with the SA: the server's MIC over the same fields
        of the response (srand/snum), in Authentication-Info."""
        contact = req.get('Contact')
        extra = []
        if contact:
            extra.append('Contact: %s;expires=3600' % contact)
        extra.append('Expires: 3600')
        extra += self._diag('ok')
        # build the response once without Authentication-Info to sign it
        draft = self.response(req, '200 OK', extra)
        msg = parse_message(draft.encode())
        with sa.lock:
            sa.snum += 1
            snum = str(sa.snum)
        srand = '%08x' % random.getrandbits(32)
        text = sign_string(self.version, sa.scheme, srand, snum, self.realm, sa.targetname, msg)
        mic = sa.acceptor.get_mic(text.encode('utf-8'))
        info = ('Authentication-Info: %s rspauth="%s", srand="%s", snum="%s", opaque="%s", '
                'qop="auth", targetname="%s", realm="%s"' % (
                    sa.scheme, mic.hex(), srand, snum, sa.opaque, sa.targetname, self.realm))
        self.log(sa.scheme, sa.user, 'rspauth', 'ok', 'signed: ' + text)
        head, _, _ = draft.partition('\r\nContent-Length: 0')
        return head + '\r\n' + info + '\r\nContent-Length: 0\r\n\r\n'

    # ---- the REGISTER state machine
    def handle(self, req):
        if req.method != 'REGISTER':
            if req.method == 'OPTIONS':
                return self.response(req, '200 OK', ['Allow: REGISTER, OPTIONS'])
            return self.response(req, '501 Not Implemented')
        creds = None
        for hdr in ('Authorization', 'Proxy-Authorization'):
            for v in req.all(hdr):
                scheme, params = auth_scheme_params(v)
                if scheme in self.schemes:
                    creds = (scheme, params)
                    break
            if creds:
                break
        if creds is None:
            return self.challenge(req)
        scheme, p = creds
        target = p.get('targetname', '')
        if target != self.targets[scheme]:
            self.log(scheme, '', 'targetname', 'fail', 'targetname %r, expected %r' % (
                target, self.targets[scheme]))
            return self.reject(req)
        opaque = p.get('opaque')
        sa = None
        if opaque:
            with self.lock:
                sa = self.sas.get(opaque)
            if sa is None or sa.scheme != scheme:
                self.log(scheme, '', 'opaque', 'fail', 'unknown security association %r' % opaque)
                return self.reject(req)
        if 'gssapi-data' in p:
            try:
                token = base64.b64decode(p['gssapi-data'], validate=True)
            except ValueError:
                self.log(scheme, sa.user if sa else '', 'gssapi-data', 'fail', 'not base64')
                return self.reject(req)
            if sa is None:
                sa = self._new_sa(scheme)
            elif sa.acceptor.complete:
                self.log(scheme, sa.user, 'gssapi-data', 'fail', 'context already complete')
                return self.reject(req)
            return self._step(req, sa, token, p)
        if sa is None:
            self.log(scheme, '', 'authorization', 'fail', 'neither gssapi-data nor opaque')
            return self.reject(req)
        return self._signed(req, sa, p)

    def _new_sa(self, scheme):
        acceptor = NtlmAcceptor() if scheme == 'NTLM' else KrbAcceptor()
        with self.lock:
            while True:
                opaque = '%08X' % random.getrandbits(32)
                if opaque not in self.sas:
                    break
            sa = SecurityAssociation(scheme, opaque, self.targets[scheme], acceptor)
            self.sas[opaque] = sa
        return sa

    def _step(self, req, sa, token, p):
        info = ntlm_authenticate_info(token) if sa.scheme == 'NTLM' else None
        if info:
            sa.user = '%s\\%s' % (info['domain'], info['user'])
        try:
            out = sa.acceptor.step(token)
        except Exception as e:  # noqa: BLE001 - any GSS failure is a rejection
            self.log(sa.scheme, sa.user, 'context', 'fail', str(e))
            with self.lock:
                self.sas.pop(sa.opaque, None)
            return self.reject(req)
        if not sa.acceptor.complete:
            # NTLM: the CHALLENGE for an empty first token
            return self.response(req, '401 Unauthorized', [
                'WWW-Authenticate: %s opaque="%s", gssapi-data="%s", targetname="%s", '
                'realm="%s", version=%d' % (sa.scheme, sa.opaque, base64.b64encode(out).decode(),
                                            sa.targetname, self.realm, self.version)
            ] + self._diag('negotiate'))
        sa.user = sa.acceptor.peer() or sa.user
        detail = 'NTLM%s' % info['ntlm'] if info else ''
        self.log(sa.scheme, sa.user, 'context', 'ok', detail)
        if 'response' in p:
            return self._signed(req, sa, p)
        if out:
            # the client needs this token (Kerberos mutual authentication)
            # before it can sign: hand it over with the opaque
            return self.response(req, '401 Unauthorized', [
                'WWW-Authenticate: %s opaque="%s", gssapi-data="%s", targetname="%s", '
                'realm="%s", version=%d' % (sa.scheme, sa.opaque, base64.b64encode(out).decode(),
                                            sa.targetname, self.realm, self.version)])
        if self.require_signature:
            self.log(sa.scheme, sa.user, 'signature', 'fail', 'no signature (response) in request')
            return self.reject(req)
        return self.ok(req, sa)

    def _signed(self, req, sa, p):
        if not sa.acceptor.complete:
            self.log(sa.scheme, sa.user, 'signature', 'fail', 'security association not complete')
            return self.reject(req)
        for k in ('crand', 'cnum', 'response'):
            if k not in p:
                self.log(sa.scheme, sa.user, 'signature', 'fail', 'missing %s' % k)
                return self.reject(req)
        try:
            cnum = int(p['cnum'])
        except ValueError:
            cnum = -1
        if cnum <= sa.last_cnum:
            self.log(sa.scheme, sa.user, 'signature', 'fail', 'cnum %r not above %d (replay)' % (
                p['cnum'], sa.last_cnum))
            return self.reject(req)
        text = sign_string(self.version, sa.scheme, p['crand'], p['cnum'], self.realm,
                           sa.targetname, req)
        try:
            sa.acceptor.verify_mic(text.encode('utf-8'), bytes.fromhex(p['response']))
        except Exception as e:  # noqa: BLE001
            self.log(sa.scheme, sa.user, 'signature', 'fail', '%s; signed: %s' % (e, text))
            return self.reject(req)
        sa.last_cnum = cnum
        self.log(sa.scheme, sa.user, 'signature', 'ok', 'signed: ' + text)
        return self.ok(req, sa)

    # ---- transport
    def serve_conn(self, conn):
        buf = b''
        conn.settimeout(120)
        try:
            for _ in range(1000):
                data, buf = read_message(conn, buf)
                if data is None:
                    return
                req = parse_message(data)
                if req.is_response:
                    continue
                try:
                    out = self.handle(req)
                except Exception as e:  # noqa: BLE001 - a lab bug must show, not hang
                    self.log('', '', 'internal', 'error', repr(e))
                    out = self.response(req, '500 Server Internal Error')
                conn.sendall(out.encode('utf-8'))
        except (OSError, ssl.SSLError):
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def accept_loop(self, sock, ctx):
        while True:
            conn, _ = sock.accept()
            if ctx is not None:
                def wrap(c=conn):
                    try:
                        c.settimeout(10)
                        s = ctx.wrap_socket(c, server_side=True)
                    except (OSError, ssl.SSLError):
                        c.close()
                        return
                    self.serve_conn(s)
                threading.Thread(target=wrap, daemon=True).start()
            else:
                threading.Thread(target=self.serve_conn, args=(conn,), daemon=True).start()


def serve_main(spec_file):
    with open(spec_file) as f:
        spec = json.load(f)
    server = RegistrarServer(spec)
    if 'Kerberos' in server.schemes:
        # the mechglue must load its mechanisms (gss-ntlmssp among them)
        # before ctypes maps the plugin: the other way round, every krb5
        # acceptor call fails with GSS_S_NO_CRED
        import gssapi.raw
        gssapi.raw.indicate_mechs()
    if 'NTLM' in server.schemes:
        NtlmAcceptor.lib()
    for transport, port in spec['ports'].items():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((sdlab.LOOPBACK, port))
        s.listen(64)
        ctx = None
        if transport == 'tls':
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(spec['cert_chain'], spec['cert_key'])
        threading.Thread(target=server.accept_loop, args=(s, ctx), daemon=True).start()
    print('READY', flush=True)
    import signal
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    while True:
        time.sleep(3600)


# --------------------------------------------------------------------------
# the test-side handle

class Registrar:
    """Starts the MS-SIPAE registrar on 127.0.0.1 (TCP and TLS ports).

    lab: an sdlab.Lab with a PKI (the TLS certificate is a new leaf of the
    lab CA for fqdn); kdc: an sdlab_kdc.Kdc (its keytab and krb5.conf are
    the acceptor's; None: no Kerberos); users: {name: password} for NTLM
    (domain NTLM_DOMAIN; a name with '@' is a user principal name, known
    without a domain as Active Directory knows it); version: the MS-SIPAE version offered (3 or 4);
    schemes: offered in this order; date_offset: seconds added to the Date
    header (a skewed clock); ms_diagnostics: {stage: header value}, stage in
    challenge (first 401), negotiate (401 with the NTLM CHALLENGE), reject
    (a failed check), ok (the 200); kerberos_target / ntlm_target: override
    the advertised targetname; require_signature: the request completing the
    context must carry crand/cnum/response (else rejected; False: 200
    anyway); reject_status: '401 Unauthorized' (with fresh challenges) or
    e.g. '403 Forbidden'. schemes may include 'TLS-DSK': offered with an
    sts-uri, never accepted."""

    def __init__(self, lab, kdc=None, users=None, fqdn=DEFAULT_FQDN, version=4,
                 schemes=('NTLM', 'Kerberos'), date_offset=0, ms_diagnostics=None,
                 kerberos_target=None, ntlm_target=None, require_signature=True,
                 reject_status='401 Unauthorized', name=None, transports=('tcp', 'tls')):
        self.lab = lab
        self.fqdn = fqdn
        self.name = name or 'sipae-' + fqdn.split('.')[0]
        self.dir = os.path.join(lab.dir, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.users = dict(users or {})
        self.version = version
        self.realm = REALM_NAME
        self.kerberos_target = kerberos_target or 'sip/' + fqdn
        self.ntlm_target = ntlm_target or fqdn
        self.log_path = os.path.join(self.dir, 'verify.jsonl')
        self.stats_path = os.path.join(self.dir, 'stats.json')
        users_file = os.path.join(self.dir, 'ntlm-users')
        with open(users_file, 'w') as f:
            for u, pw in self.users.items():
                # a user principal name (user@domain) is an enterprise
                # name: Windows sends it whole with no domain, and the
                # NTLMv2 hash is then computed with an empty domain
                f.write('%s:%s:%s\n' % ('' if '@' in u else NTLM_DOMAIN, u, pw))
        os.chmod(users_file, 0o600)
        cert = None
        if 'tls' in transports:
            if lab.pki is None:
                raise sdlab.LabError('the MS-SIPAE registrar needs the lab PKI for TLS')
            lab.pki._leaf(self.name, dict(cn=fqdn, san=['dns_name = "%s"' % fqdn]))
            cert = lab.pki[self.name]
        env = {'NTLM_USER_FILE': users_file,
               'NETBIOS_DOMAIN_NAME': NTLM_DOMAIN,
               'NETBIOS_COMPUTER_NAME': fqdn.split('.')[0].upper(),
               'KRB5_CONFIG': os.path.join(self.dir, 'no-krb5.conf'),
               'KRB5CCNAME': 'FILE:' + os.path.join(self.dir, 'ccache'),
               'KRB5_KTNAME': 'FILE:' + os.path.join(self.dir, 'no-keytab'),
               'PYTHONDONTWRITEBYTECODE': '1'}
        if os.environ.get('SD_LAB_KRB5_TRACE'):
            env['KRB5_TRACE'] = os.path.join(self.dir, 'krb5-trace.log')
        if kdc is not None:
            env.update(kdc.env)
            env['KRB5CCNAME'] = 'FILE:' + os.path.join(self.dir, 'ccache')
            env['KRB5RCACHENAME'] = 'file2:' + os.path.join(self.dir, 'rcache2')
        else:
            with open(env['KRB5_CONFIG'], 'w') as f:
                f.write('[libdefaults]\n dns_lookup_kdc = false\n dns_lookup_realm = false\n')
            schemes = tuple(s for s in schemes if s != 'Kerberos')
        self.schemes = list(schemes)

        def start():
            self.ports = {t: sdlab.free_port(udp=False) for t in transports}
            spec = dict(fqdn=fqdn, version=version, realm=self.realm, schemes=self.schemes,
                        kerberos_target=self.kerberos_target, ntlm_target=self.ntlm_target,
                        date_offset=date_offset, ms_diagnostics=ms_diagnostics or {},
                        require_signature=require_signature, reject_status=reject_status,
                        ports=self.ports, log=self.log_path, stats=self.stats_path,
                        cert_chain=cert.chain if cert else None,
                        cert_key=cert.key if cert else None)
            spec_file = os.path.join(self.dir, 'spec.json')
            with open(spec_file, 'w') as f:
                json.dump(spec, f)
            proc = sdlab.Proc(self.name, [sys.executable, os.path.abspath(__file__), 'serve',
                                          spec_file], lab.dir, env=env)

            def ready():
                with open(proc.log, 'rb') as f:
                    if b'READY' not in f.read():
                        return False
                return all(sdlab.tcp_open(p) for p in self.ports.values())
            try:
                proc.wait_ready(ready, timeout=15)
            except sdlab.LabError:
                proc.close()
                raise
            return proc
        self.proc = sdlab.start_with_retry(start)
        lab.procs.append(self.proc)
        self.cert = cert

    def port(self, transport='tls'):
        return self.ports[transport]

    def entries(self):
        """Every check the registrar made, oldest first."""
        try:
            with open(self.log_path) as f:
                return [json.loads(line) for line in f if line.strip()]
        except OSError:
            return []

    def failures(self):
        """{user: failed attempts} ('DOMAIN\\user' for NTLM, 'user@REALM'
        for Kerberos, '(unknown)' when no user could be named)."""
        with open(self.stats_path) as f:
            return json.load(f)['failures']


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'serve':
        serve_main(sys.argv[2])
    else:
        sys.stderr.write('usage: sdlab_sipae.py serve SPEC.json\n')
        sys.exit(2)
