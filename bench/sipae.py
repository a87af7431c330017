#!/usr/bin/python3
"""Benchmark: sip-doctor-cli's MS-SIPAE sign-ins (NTLM, Kerberos) against
the manual alternative, on loopback against the lab's MIT KDC and MS-SIPAE
registrar: kinit (password on standard input) followed by a python3-gssapi
client that does the same REGISTER exchange (bench/sipae_ref.py); for NTLM
that client with gss-ntlmssp. Median wall time and peak RSS over N runs,
as bench/run.py measures. Nothing here asserts a speed.

    /usr/bin/python3 bench/sipae.py [--runs N] [--build DIR]
"""
import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))
import sdlab  # noqa: E402
import sdlab_kdc  # noqa: E402
import sdlab_sipae  # noqa: E402
from run import measure  # noqa: E402

# a lab fixture, not a secret
PASSWORD = "Wonderland-42"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--build", default=os.path.join(HERE, "..", "_build"))
    args = parser.parse_args()
    runs = max(1, min(args.runs, 100))
    cli = os.path.join(os.path.abspath(args.build), "app", "cli", "sip-doctor-cli")
    if not os.access(cli, os.X_OK):
        sys.exit(f"bench: build first (no {cli})")

    with sdlab.Lab(dns=True, pki=True, sip=False, sip256=False, peers=False, sipp=False) as lab, \
            tempfile.TemporaryDirectory() as tmp:
        kdc = sdlab_kdc.Kdc(lab, users={"alice": PASSWORD}, services=["sip/" + sdlab_sipae.DEFAULT_FQDN])
        reg = sdlab_sipae.Registrar(lab, kdc=kdc, users={"alice": PASSWORD})
        dns = lab.dns_with(lambda z: z.a(reg.fqdn), name="dnsmasq-sipae-bench")
        pwfile = lab.password_file("x", password=PASSWORD)
        spec = os.path.join(tmp, "spec.json")
        with open(spec, "w") as f:
            json.dump({"fqdn": reg.fqdn, "port": reg.port("tls"), "ca_file": lab.pki.ca_file,
                       "password": PASSWORD}, f)
        ccache = os.path.join(tmp, "ccache")
        env = dict(os.environ, KRB5_CONFIG=kdc.krb5_conf, KRB5CCNAME="FILE:" + ccache)
        base = [cli, "alice@example.test", "--dns-server", dns.addr, "--ca-file", lab.pki.ca_file,
                "--server", f"{reg.fqdn}:{reg.port('tls')}", "-t", "tls", "--password-file", pwfile,
                "--json"]
        kinit = sdlab_kdc.tool("kinit") or "kinit"
        ref = os.path.join(HERE, "sipae_ref.py")
        pairs = [
            ("Kerberos sign-in over TLS",
             ["/bin/sh", "-c", f'"{kinit}" alice@LAB.TEST < "{pwfile}" >/dev/null && '
                               f'/usr/bin/python3 "{ref}" kerberos "{spec}"'],
             base + ["--sign-in", "alice@LAB.TEST", "--auth", "kerberos"]),
            ("NTLM sign-in over TLS",
             ["/usr/bin/python3", ref, "ntlm", spec],
             base + ["--sign-in", "LAB\\alice", "--auth", "ntlm"]),
        ]
        print(f"{runs} runs each; median wall time, peak resident memory\n")
        print("| task | manual: ms | MiB | exit | sip-doctor-cli ms | MiB | exit |")
        print("|---|---:|---:|---|---:|---:|---|")
        for title, manual, ours in pairs:
            m_ms, m_mb, m_codes = measure(manual, runs, env)
            o_ms, o_mb, o_codes = measure(ours, runs, env)
            print(f"| {title} | {m_ms:.1f} | {m_mb:.1f} | {m_codes} | {o_ms:.1f} | {o_mb:.1f} | {o_codes} |")


if __name__ == "__main__":
    main()
