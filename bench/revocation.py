#!/usr/bin/env python3
"""Revocation checks timed against the manual path.

    python3 bench/revocation.py [--runs N] [--cli PATH]

Starts the revocation lab of tests/tls/test_revocation.py (a certtool PKI,
the web peers serving the CRLs and the intermediate, OpenSSL's OCSP
responder) in a network namespace of its own (root; it re-runs itself
under `unshare -n`, since `openssl ocsp` binds every interface), then
times, in alternating runs against the same TLS server (the `good` leaf):

  manual      what a person does by hand for the leaf: `curl` the CRL,
              `certtool --verify --load-crl` with it, and `openssl ocsp`
              against the responder (three programs, one after another)
  cli         `sip-doctor-cli --until tls` (handshake, chain, every check,
              and revocation of the leaf and the intermediate: both CRLs
              and the OCSP responder, asked at once)
  cli-offline the same with --no-revocation: the difference is what the
              revocation check costs

Median wall time and peak resident memory (of the slowest program for the
manual path) over N runs. Never run by meson test.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'lab'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'tls'))
INSIDE = 'SD_BENCH_REVOCATION_NETNS'


def timed(argv, env=None):
    """(wall seconds, peak RSS KiB of the child) for one run of argv."""
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_RDWR)
            for n in (0, 1, 2):
                os.dup2(fd, n)
            os.execvpe(argv[0], argv, env or os.environ)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError('%s failed: %s' % (' '.join(argv), status))
    return wall, usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--cli', default=os.path.join(ROOT, '_build', 'app', 'cli', 'sip-doctor-cli'))
    args = ap.parse_args()
    if os.environ.get(INSIDE) != '1':
        if os.geteuid() != 0:
            sys.exit('needs root: it runs in a network namespace of its own (unshare -n)')
        os.execvpe('unshare', ['unshare', '-n', '--', sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                   dict(os.environ, **{INSIDE: '1'}))
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    os.environ['SD_CLI'] = os.path.abspath(args.cli)
    import test_revocation as rev
    from test_forged_certs import RecordingRegistrar

    rev.setUpModule()
    try:
        leaf = rev.PKI.leaves['good']
        peer = RecordingRegistrar(leaf['chain'], leaf['key'])
        work = tempfile.mkdtemp(prefix='sd-bench-rev-')
        crl_url = 'http://127.0.0.1:%d/file/inter.crl' % rev.WEB.ports['http']
        ocsp_url = 'http://127.0.0.1:%d/' % rev.OCSP.port
        crl_file = os.path.join(work, 'inter.crl')
        manual = [
            ['curl', '-sS', '-m', '5', '-o', crl_file, crl_url],
            ['certtool', '--verify', '--load-ca-certificate', rev.PKI.inter, '--load-crl', crl_file,
             '--infile', leaf['cert']],
            ['openssl', 'ocsp', '-issuer', rev.PKI.inter, '-cert', leaf['cert'], '-url', ocsp_url,
             '-CAfile', rev.PKI.ca_file, '-timeout', '5'],
        ]
        cli = [args.cli, 'alice@example.test', '--server', 'sip.example.test:%d' % peer.port, '--transport',
               'tls', '--dns-server', rev.LAB.dns_server, '--ca-file', rev.PKI.ca_file, '--until', 'tls',
               '--json', '--timeout', '5']
        results = {'manual': [], 'cli': [], 'cli-offline': []}
        for _ in range(args.runs):
            wall, rss = 0.0, 0
            for argv in manual:
                w, r = timed(argv)
                wall += w
                rss = max(rss, r)
            results['manual'].append((wall, rss))
            results['cli'].append(timed(cli))
            results['cli-offline'].append(timed(cli + ['--no-revocation']))
        print('%d runs, median wall time and peak RSS' % args.runs)
        print('| task | ms | MiB |')
        print('|---|---:|---:|')
        for name, rows in results.items():
            print('| %s | %.1f | %.1f |' % (name, statistics.median(w for w, _ in rows) * 1000,
                                            statistics.median(r for _, r in rows) / 1024))
        peer.close()
    finally:
        rev.tearDownModule()


if __name__ == '__main__':
    main()
