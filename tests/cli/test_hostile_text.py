#!/usr/bin/env python3
"""Hostile bytes from a SIP peer never reach a person's terminal or break
the JSON report.

A small Python SIP peer on loopback answers every request with a reason
phrase, a Server header and a body carrying terminal escape sequences (ESC,
the C1 CSI U+009B, DEL, a bare CR), or with bytes that are not UTF-8 (a
lone 0xff, an overlong "/", truncated and surrogate sequences). The text
report and the CLI's default output must show the former escaped (\\x1b,
\\u009b…) and never raw; the JSON report must be valid UTF-8 that a strict
parser accepts. The lab's dnsmasq answers every name (--dns-server).
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab'))
import sdlab  # noqa: E402

TIMEOUT = 3
# The CLI ends on its own well before this; it only guards against a hang.
HANG_GUARD = 4 * TIMEOUT + 10

# Each peer kind: (status line, Server header, extra header lines, body), as bytes.
PEERS = {
    # Parsable: C1 is valid UTF-8 and passes the parser; the body may hold any byte.
    'escapes': (b'SIP/2.0 403 Forbidden \xc2\x9b31mRED\xc2\x9b0m \xe2\x80\xaetset.elpmaxe',
                b'evil \xc2\x9b2J server \xe2\x81\xa6isolated\xe2\x81\xa9',
                b'',
                b'\x1b]0;owned title\x07\x1b[31mred\x1b[0m\x7f\x7f\rFAKE: all fine\r\n'
                b'v=0\x1b[2J\x1b[H\r\n'),
    # Not parsable: ESC, DEL and a bare CR in the start line; the first line
    # still reaches the report as what the server answered.
    'escapes-malformed': (b'SIP/2.0 403 Forbidden \x1b[2J\x1b]0;title\x07 \x7f\rFAKE',
                          b'evil \x1b[31m',
                          b'',
                          b''),
    'bad-utf8': (b'SIP/2.0 403 Forbidden \xff lone \xc0\xaf overlong \xe2\x82',
                 b'server\xfe \xed\xa0\x80 surrogate \xf0\x9f',
                 b'Warning: 399 lab "\xe9t\xe9"\r\nX-Latin1: caf\xe9\r\n',
                 b'\xff\xfe body'),
}

# ESC, CSI, DEL, BEL; and the bidirectional override and isolates, which
# would show a name in another order than it has.
RAW_FORBIDDEN = (b'\x1b', b'\xc2\x9b', b'\x7f', b'\x07', b'\xe2\x80\xae', b'\xe2\x81\xa6', b'\xe2\x81\xa9')


def _reply(request, kind):
    status, server, extra, body = PEERS[kind]
    head = request.split(b'\r\n\r\n', 1)[0].split(b'\r\n')
    keep = []
    for line in head[1:]:
        name = line.split(b':', 1)[0].strip().lower()
        if name in (b'via', b'v', b'from', b'f', b'call-id', b'i', b'cseq'):
            keep.append(line)
        elif name in (b't', b'to'):
            keep.append(line if b';tag=' in line else line + b';tag=hostile1')
    return (status + b'\r\n' + b'\r\n'.join(keep) + b'\r\nServer: ' + server + b'\r\n' + extra
            + b'Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n' % len(body) + body)


class HostilePeer:
    """A SIP peer over UDP on 127.0.0.1 answering every request with PEERS[kind]."""

    def __init__(self, kind):
        self.kind = kind
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((sdlab.LOOPBACK, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if data.strip():
                self.sock.sendto(_reply(data, self.kind), addr)

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()


LAB = None


def setUpModule():
    global LAB
    if not sdlab.have_cli():
        raise unittest.SkipTest('sip-doctor-cli not built')
    LAB = sdlab.Lab(pki=False, sip=False, sip256=False, peers=False, sipp=False)


def tearDownModule():
    if LAB is not None:
        LAB.stop()


def run_cli(args):
    """The CLI's raw stdout and stderr bytes: a decoding step would hide the very bytes checked."""
    proc = subprocess.run([sdlab.cli_path()] + args, capture_output=True, timeout=HANG_GUARD,
                          stdin=subprocess.DEVNULL,
                          env=dict(os.environ, LANG='C.UTF-8', G_DEBUG='fatal-criticals'))
    return proc.returncode, proc.stdout, proc.stderr


class HostileText(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def run_against(self, kind, extra=()):
        peer = HostilePeer(kind)
        try:
            args = LAB.cli_base('alice@example.test') + [
                '--server', '127.0.0.1:%d' % peer.port, '-t', 'udp', '--timeout', str(TIMEOUT),
                '--password-file', LAB.password_file('alice')] + list(extra)
            return run_cli(args)
        finally:
            peer.stop()

    def assert_no_raw_controls(self, data, what):
        for b in RAW_FORBIDDEN:
            self.assertNotIn(b, data, '%s holds a raw %r' % (what, b))
        # CR only as part of a CRLF line end (the trace keeps the message's lines).
        self.assertNotIn(b'\r', data.replace(b'\r\n', b''), '%s holds a bare CR' % what)
        data.decode('utf-8')

    def test_escapes_text_report_and_stdout(self):
        for kind in ('escapes', 'escapes-malformed'):
            with self.subTest(kind=kind):
                report = os.path.join(self.tmp.name, kind + '.txt')
                trace = os.path.join(self.tmp.name, kind + '-trace.txt')
                # --verbose: stdout holds the trace too, as the report file does.
                rc, out, err = self.run_against(kind, ['--verbose', '--report', report,
                                                       '--trace', trace])
                self.assertIn(rc, (0, 1), err)
                rc, brief, brief_err = self.run_against(kind, [])
                self.assertIn(rc, (0, 1), brief_err)
                for what, data in (('default stdout', brief), ('default stderr', brief_err)):
                    self.assert_no_raw_controls(data, what)
                self.assertIn(b'\nFindings\n', brief)
                if kind == 'escapes':
                    self.assertIn(b'\\u009b31mRED', brief)
                    self.assertIn(b'\\u202etset.elpmaxe', brief)
                with open(report, 'rb') as f:
                    text = f.read()
                with open(trace, 'rb') as f:
                    trace_text = f.read()
                for what, data in (('text report', text), ('stdout', out), ('stderr', err),
                                   ('trace', trace_text)):
                    self.assert_no_raw_controls(data, what)
                # The peer's bytes are there, visibly escaped, not dropped.
                self.assertIn(b'\\x1b', text)
                self.assertIn(b'\\x1b', out)
                self.assertIn(b'\\x1b', trace_text)
                if kind == 'escapes':
                    self.assertIn(b'\\u009b31mRED', text)
                    self.assertIn(b'\\u009b31mRED', out)
                    self.assertIn(b'evil \\u009b2J server \\u2066isolated\\u2069', text)
                    self.assertIn(b'\\x1b]0;owned title\\x07', text)
                    self.assertIn(b'\\x7f\\x7f\\rFAKE: all fine', text)
                else:
                    self.assertIn(b'\\x1b[2J\\x1b]0;title\\x07 \\x7f\\rFAKE', text)
                # The report's own structure is still there, one item a line.
                self.assertIn(b'\nFindings\n', text)
                self.assertIn(b'\nProtocol trace', text)

    def test_invalid_utf8_json_report(self):
        report = os.path.join(self.tmp.name, 'r.json')
        rc, out, err = self.run_against('bad-utf8', ['--json', '--report', report])
        self.assertIn(rc, (0, 1), err)
        with open(report, 'rb') as f:
            from_file = f.read()
        for what, data in (('stdout', out), ('--report file', from_file)):
            with self.subTest(what=what):
                # Strict: a single invalid byte raises here.
                doc = json.loads(data.decode('utf-8', errors='strict'))
                text = json.dumps(doc, ensure_ascii=False)
                self.assertIn('Forbidden \ufffd lone \ufffd\ufffd overlong \ufffd', text)
                self.assertIn('server\ufffd', text)
                self.assertIn(doc['verdict'], ('fail', 'warn', 'pass'))

    def test_invalid_utf8_text_report(self):
        rc, out, err = self.run_against('bad-utf8')
        self.assertIn(rc, (0, 1), err)
        out.decode('utf-8', errors='strict')
        err.decode('utf-8', errors='strict')
        self.assertIn('Forbidden \ufffd lone', out.decode('utf-8'))


if __name__ == '__main__':
    unittest.main(verbosity=2)
