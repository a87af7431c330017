#!/usr/bin/env python3
"""What the sip step's network check (NAT, SIP ALG, blocked UDP, fragments:
app/core/sip/sd-sip-probe.c) adds to a run's wall time, on the lab.

For each scenario, N runs of the whole sign-in (sip-doctor-cli, transport
auto, --timeout T): the median wall time of the run and the median of the
check's own span (data.network.duration_ms), from the first probe to the
last answer or timeout. Scenarios: the loopback lab (Kamailio, ejabberd),
and as root the router namespaces of tests/lab/sdlab_nat.py: NAT alone, the
kernel's SIP ALG, UDP dropped, IP fragments dropped.

    python3 bench/nat.py [--runs N] [--timeout T] [--build DIR]
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'lab'))
import sdlab  # noqa: E402
import sdlab_nat  # noqa: E402


def measure(args, runs, netns=None):
    walls, checks = [], []
    for _ in range(runs):
        start = time.monotonic()
        r = sdlab.run_cli(args, timeout=120, netns=netns,
                          env={'KRB5CCNAME': 'FILE:/nonexistent/sip-doctor-bench-ccache'})
        walls.append((time.monotonic() - start) * 1000)
        if r.report is None:
            raise SystemExit('no report: ' + r.stderr[-1000:])
        n = r.report['steps']['sip']['data'].get('network') or {}
        checks.append(n.get('duration_ms', 0.0))
        codes = sorted(f['code'] for f in r.report['findings'] if f['code'].startswith('sip.'))
    return statistics.median(walls), statistics.median(checks), codes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--timeout', type=int, default=3)
    ap.add_argument('--build')
    a = ap.parse_args()
    if a.build:
        os.environ['SD_CLI'] = os.path.join(a.build, 'app', 'cli', 'sip-doctor-cli')
    rows = []
    t = ['--timeout', str(a.timeout), '--json']
    with sdlab.Lab(sip256=False, peers=False, sipp=False, ejabberd=True) as lab:
        pw = ['--password-file', lab.password_file('alice')]
        rows.append(('loopback, Kamailio',) + measure(lab.cli_base() + t + pw, a.runs))
        rows.append(('loopback, ejabberd',) + measure(
            lab.cli_base() + ['--server', 'sip.example.test:%d' % lab.ejabberd.ports['tls']] + t + pw, a.runs))
        if sdlab_nat.available() is None:
            net = sdlab_nat.RouterLab(lab)
            try:
                base = ['alice@example.test', '--dns-server', net.dns_server, '--ca-file',
                        lab.pki.ca_file] + t + pw
                for name, rules in (('NAT', {}), ('NAT + kernel SIP ALG', {'alg': True}),
                                    ('UDP dropped', {'drop_udp': True}),
                                    ('fragments dropped', {'drop_fragments': True})):
                    net.set_rules(**rules)
                    rows.append((name,) + measure(base, a.runs, netns=net.lan))
            finally:
                net.close()
        else:
            print('(no namespaces: %s)' % sdlab_nat.available())
    print('| scenario | run, median ms | network check, median ms | sip.* findings |')
    print('|---|---:|---:|---|')
    for name, wall, check, codes in rows:
        print('| %s | %.0f | %.0f | %s |' % (name, wall, check, ', '.join(codes) or '—'))


if __name__ == '__main__':
    main()
