"""Forged and malformed X.509 certificates for the TLS tests, made at run time.

certtool makes honest certificates only; these are certtool's leaves edited
at the DER level: the issuer name and authority key identifier of a real CA
(one from the system store, or the CA given with --ca-file), a signature
algorithm nobody knows or one GnuTLS refuses, a signature that does not
verify, names with a NUL byte in them. Where a certificate must stay
correctly signed after an edit, it is signed again with `openssl dgst`.

Only the Python standard library, certtool and openssl; nothing committed.
"""

import base64
import os
import re
import subprocess

OID_CN = bytes.fromhex('550403')
OID_SAN = bytes.fromhex('551d11')
OID_AKI = bytes.fromhex('551d23')
OID_SKI = bytes.fromhex('551d0e')

# AlgorithmIdentifier DER of the signature algorithms used here (see alg()).
def _oid(text):
    parts = [int(x) for x in text.split('.')]
    out = bytearray([40 * parts[0] + parts[1]])
    for n in parts[2:]:
        chunk = [n & 0x7f]
        while n > 0x7f:
            n >>= 7
            chunk.insert(0, 0x80 | (n & 0x7f))
        out += bytes(chunk)
    return bytes(out)


def alg(oid, null_params=True):
    body = bytes([0x06, len(_oid(oid))]) + _oid(oid) + (b'\x05\x00' if null_params else b'')
    return bytes([0x30, len(body)]) + body


ALG_UNKNOWN = alg('1.3.6.1.4.1.65535.1.2.3.4')          # nobody's algorithm
ALG_RSA_MD2 = alg('1.2.840.113549.1.1.2')               # md2WithRSAEncryption: refused
ALG_RSA_MD5 = alg('1.2.840.113549.1.1.4')               # md5WithRSAEncryption: weak, still checked
ALG_RSA_SHA256 = alg('1.2.840.113549.1.1.11')
ALG_ECDSA_SHA256 = alg('1.2.840.10045.4.3.2', null_params=False)


# --- DER -------------------------------------------------------------------

def _read(data, off):
    """(tag, content start, end) of the TLV at off."""
    tag = data[off]
    n = data[off + 1]
    p = off + 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(data[p:p + k], 'big')
        p += k
    return tag, p, p + n


def children(data):
    """The TLVs inside a constructed value's content, as raw bytes."""
    out, off = [], 0
    while off < len(data):
        _, _, end = _read(data, off)
        out.append(data[off:end])
        off = end
    return out


def content(tlv):
    _, start, end = _read(tlv, 0)
    return tlv[start:end]


def tag_of(tlv):
    return tlv[0]


def der(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([tag, n])
    else:
        size = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        head = bytes([tag, 0x80 | len(size)]) + size
    return head + body


def seq(*items):
    return der(0x30, b''.join(items))


# --- PEM -------------------------------------------------------------------

def pem_to_ders(text):
    return [base64.b64decode(''.join(m.split()))
            for m in re.findall(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----', text, re.S)]


def der_to_pem(data):
    b = base64.b64encode(data).decode()
    return '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n' % '\n'.join(
        b[i:i + 64] for i in range(0, len(b), 64))


def read_ders(path):
    with open(path) as f:
        return pem_to_ders(f.read())


# --- certificates ----------------------------------------------------------

class Cert:
    """One certificate, split into the parts that get edited."""

    def __init__(self, data):
        tbs, self.alg, self.sig = children(content(data))
        self.tbs = children(content(tbs))
        # [0] version is always there in what certtool makes (v3)
        assert tag_of(self.tbs[0]) == 0xa0

    # tbsCertificate: version, serial, signature, issuer, validity, subject, spki, [3] extensions
    @property
    def issuer(self):
        return self.tbs[3]

    @property
    def subject(self):
        return self.tbs[5]

    def tbs_der(self):
        return seq(*self.tbs)

    def to_der(self):
        return seq(self.tbs_der(), self.alg, self.sig)

    def extensions(self):
        last = self.tbs[-1]
        if tag_of(last) != 0xa3:
            return []
        return children(content(children(content(last))[0]))

    def set_extensions(self, exts):
        wrapped = der(0xa3, seq(*exts))
        if tag_of(self.tbs[-1]) == 0xa3:
            self.tbs[-1] = wrapped
        else:
            self.tbs.append(wrapped)

    def extension_value(self, oid):
        for e in self.extensions():
            parts = children(content(e))
            if content(parts[0]) == oid:
                return content(parts[-1])
        return None

    def replace_extension(self, oid, value):
        out = []
        for e in self.extensions():
            parts = children(content(e))
            if content(parts[0]) == oid:
                e = seq(*(parts[:-1] + [der(0x04, value)]))
            out.append(e)
        self.set_extensions(out)

    def subject_key_id(self):
        v = self.extension_value(OID_SKI)
        return content(v) if v is not None else None

    def set_issuer(self, name_der, key_id=None):
        """Claims to be issued by the holder of name_der (and of key_id)."""
        self.tbs[3] = name_der
        if self.extension_value(OID_AKI) is not None:
            if key_id is None:
                self.set_extensions([e for e in self.extensions()
                                     if content(children(content(e))[0]) != OID_AKI])
            else:
                self.replace_extension(OID_AKI, seq(der(0x80, key_id)))

    def set_algorithm(self, alg):
        """The signature algorithm, in both places a certificate names it."""
        self.tbs[2] = alg
        self.alg = alg

    def set_signature(self, raw):
        self.sig = der(0x03, b'\x00' + raw)

    def signature_bytes(self):
        return content(self.sig)[1:]

    def set_names(self, dns_names, cn):
        """subjectAltName dNSNames and the subject CN, as raw bytes (NULs and all)."""
        self.replace_extension(OID_SAN, seq(*(der(0x82, n) for n in dns_names)))
        rdn = der(0x31, seq(der(0x06, OID_CN), der(0x0c, cn)))
        self.tbs[5] = seq(rdn)

    def sign(self, key_path, digest='sha256'):
        """Signs the tbsCertificate again with the issuer's key (openssl)."""
        out = subprocess.run(['openssl', 'dgst', '-' + digest, '-sign', key_path, '-binary'],
                             input=self.tbs_der(), capture_output=True, check=True)
        self.set_signature(out.stdout)


def system_ca(key_type='RSA', bundle='/etc/ssl/certs/ca-certificates.crt'):
    """A CA certificate from the system store with the wanted key type and a
    subject key identifier, as a Cert, or None when there is none."""
    rsa = bytes.fromhex('2a864886f70d010101')
    ec = bytes.fromhex('2a8648ce3d0201')
    want = rsa if key_type == 'RSA' else ec
    if not os.path.exists(bundle):
        return None
    for d in read_ders(bundle):
        c = Cert(d)
        spki_alg = children(content(c.tbs[6]))[0]
        if content(children(content(spki_alg))[0]) == want and c.subject_key_id() is not None:
            return c
    return None


def write_chain(path, ders):
    with open(path, 'w') as f:
        for d in ders:
            f.write(der_to_pem(d))
    return path
