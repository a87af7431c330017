#!/usr/bin/python3
"""The manual alternative to sip-doctor-cli's MS-SIPAE sign-in, for
bench/sipae.py: a python3-gssapi client (MIT krb5 with the ticket kinit
left in KRB5CCNAME, or gss-ntlmssp through the mechglue) that does the
REGISTER exchange, signs it and checks the server's rspauth. Exit 0 when
the registrar answered 200 with a signature that verifies.

    sipae_ref.py kerberos|ntlm SPEC.json
"""
import base64
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))
import test_sipae_lab as T  # noqa: E402  (its client pieces: Conn, NtlmClient, signing)
import sdlab_sipae  # noqa: E402


class Where:
    def __init__(self, spec):
        self.fqdn = spec["fqdn"]
        self._port = spec["port"]

    def port(self, transport="tls"):
        return self._port


class CaOnly:
    def __init__(self, ca_file):
        self.pki = type("Pki", (), {"ca_file": ca_file})()


class KrbFromCache:
    """MIT krb5 with the credentials kinit left in KRB5CCNAME."""

    def __init__(self, targetname):
        import gssapi
        self.ctx = gssapi.SecurityContext(name=gssapi.Name(targetname, gssapi.NameType.kerberos_principal),
                                          usage="initiate", mech=gssapi.MechType.kerberos,
                                          flags=[gssapi.RequirementFlag.integrity])

    def step(self, token=None):
        return self.ctx.step(token) or b""

    def mic(self, text):
        return self.ctx.get_signature(text.encode())

    def verify(self, text, mic):
        self.ctx.verify_signature(text.encode(), mic)


def signed(client, scheme, ch, version, opaque=None, token=None):
    def build(req):
        crand = "%08x" % random.getrandbits(32)
        text = T.client_sign_string(version, scheme, crand, "1", ch["realm"], ch["targetname"], req)
        parts = ['qop="auth"', 'realm="%s"' % ch["realm"], 'targetname="%s"' % ch["targetname"]]
        if opaque:
            parts.append('opaque="%s"' % opaque)
        if token is not None:
            parts.append('gssapi-data="%s"' % base64.b64encode(token).decode())
        parts += ['crand="%s"' % crand, 'cnum="1"', 'response="%s"' % client.mic(text).hex(),
                  "version=%d" % version]
        return "%s %s" % (scheme, ", ".join(parts))
    return build


def main():
    scheme = {"kerberos": "Kerberos", "ntlm": "NTLM"}[sys.argv[1]]
    with open(sys.argv[2]) as f:
        spec = json.load(f)
    T.LAB = CaOnly(spec["ca_file"])
    conn = T.Conn(Where(spec), "tls")
    _, r1 = conn.register(user="alice")
    ch = T.challenges(r1)[scheme]
    version = int(ch["version"])
    if scheme == "NTLM":
        T.FQDN = spec["fqdn"]
        client = T.NtlmClient("alice", spec["password"])
        client.step()
        first = 'NTLM qop="auth", realm="%s", targetname="%s", gssapi-data="", version=%d' % (
            ch["realm"], ch["targetname"], version)
        _, r2 = conn.register(first, user="alice")
        ch2 = T.challenges(r2)["NTLM"]
        token = client.step(base64.b64decode(ch2["gssapi-data"]))
        _, r3 = conn.register(signed(client, "NTLM", ch, version, ch2["opaque"], token), user="alice")
    else:
        client = KrbFromCache(ch["targetname"])
        token = client.step()
        _, r3 = conn.register(signed(client, "Kerberos", ch, version, None, token), user="alice")
    if r3.status != 200:
        sys.exit(1)
    _, p = sdlab_sipae.auth_scheme_params(r3.get("Authentication-Info"))
    text = T.client_sign_string(version, scheme, p["srand"], p["snum"], p["realm"], p["targetname"], r3)
    client.verify(text, bytes.fromhex(p["rspauth"]))
    conn.close()


if __name__ == "__main__":
    main()
