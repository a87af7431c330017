#!/usr/bin/python3
"""SIP Sign-in Doctor test lab: web peers for the HTTP client and the
revocation checks (CRL, OCSP, AIA), on loopback.

    import sdlab_web
    with sdlab_web.WebPeers(workdir) as web:
        web.url('http', '/hello')          # "http://127.0.0.1:PORT/hello"
        web.url('https', '/hello')         # served with a certificate for 127.0.0.1
        web.url('https-wrongname', '/')    # a certificate for www.other.test
        web.url('silent', '/')             # accepts, reads, never answers
        web.ca_file                        # the root CA of those certificates
        web.stats()                        # {"https-wrongname": {"/": 1}, ...}: requests per server

    sdlab_web.py exec -- PROGRAM ARGS...   # runs PROGRAM with SD_WEB_* set (see exec_main)

Paths every HTTP(S) server answers:
    /hello              200, "hello"
    /loop               302 to /loop, for ever
    /chain/N            302 to /chain/N-1, /chain/0 answers 200
    /endless            200 without a length, 16 KiB chunks until the client
                        goes (at most 256 MiB or 60 s)
    /biglength          Content-Length 1000000000, then a trickle
    /trickle            Content-Length 1000, one byte each 0.2 s
    /silent-body        headers, then nothing
    /to-http            302 to the http server's /hello
    /to-https           302 to the https server's /hello
    /file/NAME          the file NAME of the served folder (CRLs, certificates)
    /stats              JSON: requests per server and path (never counted)

Only the Python standard library and certtool.
"""

import http.server
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdlab  # noqa: E402

LOOPBACK = sdlab.LOOPBACK
KINDS = ['http', 'https', 'https-wrongname', 'silent']

_stats = {}
_stats_lock = threading.Lock()


def _count(kind, path):
    with _stats_lock:
        _stats.setdefault(kind, {})
        _stats[kind][path] = _stats[kind].get(path, 0) + 1


def certtool(argv):
    subprocess.run(['certtool'] + argv, check=True, capture_output=True, timeout=60)


def make_key(path):
    certtool(['--generate-privkey', '--key-type=ecdsa', '--curve=secp256r1', '--no-text', '--outfile', path])
    os.chmod(path, 0o600)


def make_cert(directory, name, lines, ca=None):
    """A certificate from certtool template lines; ca=(cert, key) or None
    (self-signed). Returns (cert path, key path)."""
    key = os.path.join(directory, name + '.key')
    make_key(key)
    tmpl = os.path.join(directory, name + '.tmpl')
    with open(tmpl, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    out = os.path.join(directory, name + '.pem')
    if ca is None:
        argv = ['--generate-self-signed', '--load-privkey', key]
    else:
        argv = ['--generate-certificate', '--load-privkey', key,
                '--load-ca-certificate', ca[0], '--load-ca-privkey', ca[1]]
    certtool(argv + ['--template', tmpl, '--outfile', out, '--no-text'])
    return out, key


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'sdlab-web'

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.server.kind, fmt % args))

    def _send(self, status, body=b'', headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self):
        path = self.path.split('?')[0]
        spec = self.server.spec
        if path != '/stats':
            _count(self.server.kind, path)
        if path == '/stats':
            with _stats_lock:
                body = json.dumps(_stats).encode()
            return self._send(200, body, [('Content-Type', 'application/json')])
        if path == '/hello':
            return self._send(200, b'hello', [('Content-Type', 'text/plain')])
        if path == '/loop':
            return self._send(302, b'', [('Location', '/loop')])
        if path.startswith('/chain/'):
            n = int(path[7:] or '0')
            if n <= 0:
                return self._send(200, b'end', [('Content-Type', 'text/plain')])
            return self._send(302, b'', [('Location', '/chain/%d' % (n - 1))])
        if path == '/to-http':
            return self._send(302, b'', [('Location', 'http://%s:%d/hello' % (LOOPBACK, spec['ports']['http']))])
        if path == '/to-https':
            return self._send(302, b'', [('Location', 'https://%s:%d/hello' % (LOOPBACK, spec['ports']['https']))])
        if path == '/endless':
            self.send_response(200)
            self.send_header('Content-Type', 'application/octet-stream')
            self.send_header('Connection', 'close')
            self.end_headers()
            chunk = b'x' * 16384
            end = time.monotonic() + 60
            sent = 0
            try:
                while sent < 256 << 20 and time.monotonic() < end:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            self.close_connection = True
            return
        if path in ('/biglength', '/trickle'):
            self.send_response(200)
            self.send_header('Content-Length', '1000000000' if path == '/biglength' else '1000')
            self.end_headers()
            try:
                for _ in range(300):
                    self.wfile.write(b'x')
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            self.close_connection = True
            return
        if path == '/silent-body':
            self.send_response(200)
            self.send_header('Content-Length', '100')
            self.end_headers()
            self.wfile.flush()
            time.sleep(60)
            self.close_connection = True
            return
        if path.startswith('/file/'):
            name = os.path.basename(path[6:])
            full = os.path.join(spec.get('files', ''), name)
            if spec.get('files') and os.path.isfile(full):
                with open(full, 'rb') as f:
                    return self._send(200, f.read(), [('Content-Type', 'application/octet-stream')])
        return self._send(404, b'not found')

    def do_GET(self):
        self._route()

    def do_POST(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length > 0:
            self.rfile.read(min(length, 65536))
        self._route()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _silent(sock):
    held = []
    while True:
        conn, _ = sock.accept()
        held.append(conn)  # never answered; the client's deadline ends it
        if len(held) > 256:
            held.pop(0).close()


def serve_main(spec_file):
    with open(spec_file) as f:
        spec = json.load(f)
    for kind, port in spec['ports'].items():
        if kind == 'silent':
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((LOOPBACK, port))
            s.listen(64)
            threading.Thread(target=_silent, args=(s,), daemon=True).start()
            continue
        srv = _Server((LOOPBACK, port), _Handler)
        srv.kind = kind
        srv.spec = spec
        if kind.startswith('https'):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            cert = spec['certs'][kind]
            ctx.load_cert_chain(cert['chain'], cert['key'])
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print('READY', flush=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    while True:
        time.sleep(3600)


class WebPeers:
    """The web peers of KINDS on free loopback ports, with their own small
    PKI: a root, and leaves for 127.0.0.1 and for www.other.test."""

    def __init__(self, directory, files=None):
        self.dir = os.path.join(directory, 'web')
        os.makedirs(self.dir, exist_ok=True)
        self.procs = []
        root, root_key = make_cert(self.dir, 'web-root', [
            'cn = "SIP Doctor Lab Web Root CA"', 'organization = "SIP Doctor Lab"', 'ca',
            'cert_signing_key', 'crl_signing_key', 'expiration_days = 3650'])
        self.ca_file = root
        certs = {}
        for kind, names in (('https', ['ip_address = "127.0.0.1"', 'dns_name = "localhost"']),
                            ('https-wrongname', ['dns_name = "www.other.test"'])):
            cert, key = make_cert(self.dir, kind, [
                'cn = "%s"' % ('127.0.0.1' if kind == 'https' else 'www.other.test'),
                'organization = "SIP Doctor Lab"'] + names + [
                'tls_www_server', 'signing_key', 'encryption_key', 'expiration_days = 365'],
                ca=(root, root_key))
            certs[kind] = dict(chain=cert, key=key)
        self.ports = {k: sdlab.free_port(udp=False) for k in KINDS}
        spec = os.path.join(self.dir, 'web.json')
        with open(spec, 'w') as f:
            json.dump({'ports': self.ports, 'certs': certs, 'files': files or ''}, f)
        self.proc = sdlab.Proc('web-peers', [sys.executable, os.path.abspath(__file__), 'serve', spec], self.dir)
        self.procs.append(self.proc)

        def ready():
            with open(self.proc.log, 'rb') as f:
                if b'READY' not in f.read():
                    return False
            return all(sdlab.tcp_open(p) for p in self.ports.values())
        self.proc.wait_ready(ready)

    def url(self, kind, path='/'):
        scheme = 'https' if kind.startswith('https') else 'http'
        return '%s://%s:%d%s' % (scheme, LOOPBACK, self.ports[kind], path)

    def stats(self):
        import urllib.request
        with urllib.request.urlopen(self.url('http', '/stats'), timeout=5) as r:
            return json.load(r)

    def close(self):
        sdlab.stop_procs(self.procs)
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def exec_main(argv):
    """Runs argv with SD_WEB_HTTP, SD_WEB_HTTPS, SD_WEB_WRONGNAME,
    SD_WEB_SILENT (base URLs, no final slash) and SD_WEB_CA_FILE set;
    returns its exit status."""
    with tempfile.TemporaryDirectory(prefix='sdlab-web-') as d:
        with WebPeers(d) as web:
            env = dict(os.environ)
            env['SD_WEB_HTTP'] = web.url('http', '')
            env['SD_WEB_HTTPS'] = web.url('https', '')
            env['SD_WEB_WRONGNAME'] = web.url('https-wrongname', '')
            env['SD_WEB_SILENT'] = web.url('silent', '')
            env['SD_WEB_CA_FILE'] = web.ca_file
            return subprocess.run(argv, env=env, timeout=600).returncode


if __name__ == '__main__':
    if len(sys.argv) >= 3 and sys.argv[1] == 'serve':
        serve_main(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == 'exec':
        args = sys.argv[2:]
        if args and args[0] == '--':
            args = args[1:]
        sys.exit(exec_main(args))
    else:
        sys.exit('usage: sdlab_web.py serve SPEC | exec -- PROGRAM ARGS...')
