#!/usr/bin/env python3
"""Benchmarks: SIP Sign-in Doctor against the tools a person would otherwise run.

Starts the test lab (real dnsmasq, Kamailio with TLS) on loopback, then runs
each pair of commands N times and prints the median wall time and the peak
memory (maximum resident set size) of each. Nothing here asserts a speed:
it measures, so a change that makes the tool slower or larger shows up.

    python3 bench/run.py [--runs N] [--build DIR] [--only steps|whole]

--only whole compares the whole diagnosis with the whole manual chain a
person would otherwise type (three kdig look-ups, gnutls-cli with the CA
file, a sipsak REGISTER over TLS), in alternating pairs.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))
import sdlab  # noqa: E402


def measure(argv, runs, env=None):
    """Median wall time (ms) and peak RSS (MiB) of argv over runs.

    The peak comes from GNU time: Linux keeps a process's peak memory across
    exec, so a child forked from this Python process would report Python's
    size; forked from time, it starts from time's few hundred KiB."""
    times, peaks, codes = [], [], set()
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        for _ in range(runs):
            start = time.monotonic()
            proc = subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name] + argv,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, env=env, check=False)
            times.append((time.monotonic() - start) * 1000.0)
            rss.seek(0)
            peaks.append(int(rss.read().strip().splitlines()[-1]) / 1024.0)
            codes.add(proc.returncode)
    return statistics.median(times), max(peaks), sorted(codes)


def wall_ms(argv, env=None):
    """Wall time (ms) and exit status of argv. No timeout: Python waits for
    a child with a timeout by polling with sleeps of up to 50 ms, which
    would be measured too."""
    start = time.monotonic()
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, env=env, check=False)
    return (time.monotonic() - start) * 1000.0, proc.returncode


def whole_vs_chain(lab, cli, runs, sipsak_env):
    """The whole diagnosis against the whole manual chain, side by side.

    Pairs alternate which side goes first, so a slow moment of the shared
    machine hits both sides alike; the ratio is the median of the pairs'
    ratios (diagnosis / chain), so below 1 means faster than the chain."""
    dns_host, dns_port = lab.dns_server.rsplit(":", 1)
    tls_port = lab.sip.ports["tls"]
    kdig = ["kdig", "@" + dns_host, "-p", dns_port]
    chain = [
        (kdig + ["NAPTR", "example.test"], None),
        (kdig + ["SRV", "_sips._tcp.example.test"], None),
        (kdig + ["A", "sip.example.test"], None),
        (["gnutls-cli", "--x509cafile", lab.pki.ca_file, "-p", str(tls_port), "127.0.0.1",
          "--verify-hostname", "sip.example.test"], None),
        (["sipsak", "-U", "-s", f"sip:alice@127.0.0.1:{tls_port}", "-u", "alice",
          "-a", lab.password("alice"), "--transport", "tls", "--tls-ca-cert", lab.pki.ca_file,
          "-D", "2"], sipsak_env),
    ]
    ours = [cli, "alice@example.test", "--dns-server", lab.dns_server, "--ca-file", lab.pki.ca_file,
            "--password-file", lab.password_file("alice"), "--json"]

    def run_chain():
        total, codes = 0.0, []
        for argv, env in chain:
            ms, code = wall_ms(argv, env)
            total += ms
            codes.append(code)
        return total, codes

    chain_ms, ours_ms, ratios, chain_codes, our_codes = [], [], [], set(), set()
    for i in range(runs):
        if i % 2 == 0:
            c, cc = run_chain()
            o, oc = wall_ms(ours)
        else:
            o, oc = wall_ms(ours)
            c, cc = run_chain()
        chain_ms.append(c)
        ours_ms.append(o)
        ratios.append(o / c)
        chain_codes.add(tuple(cc))
        our_codes.add(oc)
    print(f"\nWhole diagnosis against the manual chain, {runs} alternating pairs (median wall time)\n")
    print("| side | ms | exit |")
    print("|---|---:|---|")
    print(f"| chain: 3 kdig, gnutls-cli, sipsak REGISTER (TLS) | {statistics.median(chain_ms):.1f} "
          f"| {sorted(chain_codes)} |")
    print(f"| sip-doctor-cli, every check uri → auth (TLS) | {statistics.median(ours_ms):.1f} "
          f"| {sorted(our_codes)} |")
    print(f"\nratio (diagnosis / chain), median of pairs: {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--build", default=os.path.join(HERE, "..", "_build"))
    parser.add_argument("--only", choices=["steps", "whole"], default=None)
    args = parser.parse_args()
    runs = max(1, min(args.runs, 100))

    cli = os.path.join(os.path.abspath(args.build), "app", "cli", "sip-doctor-cli")
    if not os.access(cli, os.X_OK):
        sys.exit(f"bench: build first (no {cli})")

    with sdlab.Lab(sipp=False) as lab, tempfile.TemporaryDirectory() as tmp:
        dns_host, dns_port = lab.dns_server.rsplit(":", 1)
        tls_port = lab.sip.ports["tls"]
        udp_port = lab.sip.ports["udp"]
        pwfile = lab.password_file("alice")
        no_tls13 = os.path.join(tmp, "no-tls13.conf")
        with open(no_tls13, "w", encoding="utf-8") as f:
            f.write("[overrides]\ndisabled-version = tls1.3\n")
        sipsak_env = dict(os.environ, GNUTLS_SYSTEM_PRIORITY_FILE=no_tls13)
        base = [cli, "alice@example.test", "--dns-server", lab.dns_server,
                "--ca-file", lab.pki.ca_file, "--json"]

        pairs = [
            ("DNS: one SRV look-up",
             ["kdig", "@" + dns_host, "-p", dns_port, "SRV", "_sip._tls.example.test"],
             base + ["--until", "dns"],
             "the CLI makes every look-up of the generic profile (NAPTR, 4 SRV, A/AAAA)"),
            ("TLS: handshake and chain check",
             ["gnutls-cli", "--x509cafile", lab.pki.ca_file, "-p", str(tls_port), "127.0.0.1",
              "--verify-hostname", "sip.example.test"],
             base + ["--server", f"sip.example.test:{tls_port}", "-t", "tls", "--until", "tls"],
             "the CLI also resolves the name and checks every certificate rule"),
            ("SIP: Digest REGISTER over UDP",
             ["sipsak", "-U", "-s", f"sip:alice@127.0.0.1:{udp_port}", "-u", "alice",
              "-a", lab.password("alice"), "--transport", "udp", "-D", "2"],
             base + ["--server", f"127.0.0.1:{udp_port}", "-t", "udp", "--password-file", pwfile],
             "the CLI runs the whole sign-in: OPTIONS, REGISTER, challenge, Digest"),
        ]

        if args.only == "whole":
            whole_vs_chain(lab, cli, runs, sipsak_env)
            return
        print(f"{runs} runs each; median wall time, peak resident memory\n")
        print("| task | tool | ms | MiB | exit | sip-doctor-cli ms | MiB | exit | note |")
        print("|---|---|---:|---:|---|---:|---:|---|---|")
        for title, ref, ours, note in pairs:
            env = sipsak_env if ref[0] == "sipsak" else None
            ref_ms, ref_mb, ref_codes = measure(ref, runs, env)
            our_ms, our_mb, our_codes = measure(ours, runs)
            print(f"| {title} | {ref[0]} | {ref_ms:.1f} | {ref_mb:.1f} | {ref_codes} "
                  f"| {our_ms:.1f} | {our_mb:.1f} | {our_codes} | {note} |")
        if args.only is None:
            whole_vs_chain(lab, cli, runs, sipsak_env)


if __name__ == "__main__":
    main()
