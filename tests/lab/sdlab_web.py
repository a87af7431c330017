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
    /endless-headers    header lines without end (at most 256 MiB or 60 s)
    /endless-header-line one header line without end (same bounds)
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
KINDS = ['http', 'https', 'https-wrongname', 'silent', 'dns']
WEB_DOMAIN = 'web.test'

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
        if path == '/endless-headers':
            self.send_response(200)
            end = time.monotonic() + 60
            sent = 0
            try:
                while sent < 256 << 20 and time.monotonic() < end:
                    self.wfile.write(b'X-Filler: ' + b'a' * 1000 + b'\r\n')
                    sent += 1012
            except OSError:
                pass
            self.close_connection = True
            return
        if path == '/endless-header-line':
            self.send_response(200)
            self.wfile.write(b'X-Filler: ')
            end = time.monotonic() + 60
            sent = 0
            try:
                while sent < 256 << 20 and time.monotonic() < end:
                    self.wfile.write(b'a' * 16384)
                    sent += 16384
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


def _dns(sock):
    """A DNS server for the web peers' names: any name under WEB_DOMAIN is
    127.0.0.1 (A) and has no AAAA; anything else is NXDOMAIN."""
    import struct
    while True:
        data, addr = sock.recvfrom(4096)
        if len(data) < 12:
            continue
        qid, flags, qd = struct.unpack('!HHH', data[:6])
        pos, labels = 12, []
        while pos < len(data) and data[pos] != 0 and len(labels) < 64:
            n = data[pos]
            labels.append(data[pos + 1:pos + 1 + n].decode('ascii', 'replace').lower())
            pos += 1 + n
        pos += 1
        if pos + 4 > len(data):
            continue
        qtype = struct.unpack('!H', data[pos:pos + 2])[0]
        question = data[12:pos + 4]
        name = '.'.join(labels)
        ours = name == WEB_DOMAIN or name.endswith('.' + WEB_DOMAIN)
        answer = b''
        if ours and qtype == 1:
            answer = b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 60, 4) + socket.inet_aton(LOOPBACK)
        rcode = 0 if ours else 3
        head = struct.pack('!HHHHHH', qid, 0x8400 | rcode, 1, 1 if answer else 0, 0, 0)
        sock.sendto(head + question + answer, addr)


def serve_main(spec_file):
    with open(spec_file) as f:
        spec = json.load(f)
    for kind, port in spec['ports'].items():
        if kind == 'dns':
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((LOOPBACK, port))
            threading.Thread(target=_dns, args=(s,), daemon=True).start()
            continue
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
        for kind, names in (('https', ['ip_address = "127.0.0.1"', 'dns_name = "localhost"',
                                       'dns_name = "www.%s"' % WEB_DOMAIN]),
                            ('https-wrongname', ['dns_name = "www.other.test"'])):
            cert, key = make_cert(self.dir, kind, [
                'cn = "%s"' % ('127.0.0.1' if kind == 'https' else 'www.other.test'),
                'organization = "SIP Doctor Lab"'] + names + [
                'tls_www_server', 'signing_key', 'encryption_key', 'expiration_days = 365'],
                ca=(root, root_key))
            certs[kind] = dict(chain=cert, key=key)
        self.ports = {k: sdlab.free_port(udp=(k == 'dns'), tcp=(k != 'dns')) for k in KINDS}
        spec = os.path.join(self.dir, 'web.json')
        with open(spec, 'w') as f:
            json.dump({'ports': self.ports, 'certs': certs, 'files': files or ''}, f)
        self.proc = sdlab.Proc('web-peers', [sys.executable, os.path.abspath(__file__), 'serve', spec], self.dir)
        self.procs.append(self.proc)

        def ready():
            with open(self.proc.log, 'rb') as f:
                if b'READY' not in f.read():
                    return False
            return all(sdlab.tcp_open(p) for k, p in self.ports.items() if k != 'dns')
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


def _openssl_time(t):
    return time.strftime('%y%m%d%H%M%SZ', time.gmtime(t))


class RevocationPki:
    """Root -> intermediate -> leaves made by certtool, whose CRL
    distribution points, OCSP and caIssuers URLs point at loopback ports:

        crl     the WebPeers 'http' server: /file/inter.crl, /file/root.crl,
                /file/inter.der (the intermediate, for AIA)
        ocsp    OpenSSL's responder (OcspResponder), signing with a
                delegated responder certificate
        dead    a port nothing listens on
        silent  the WebPeers 'silent' server

    Leaves (all for 127.0.0.1 and sip.example.test; chain = leaf +
    intermediate unless said):
        good            CRL + OCSP + caIssuers, not revoked
        revoked         CRL + OCSP, revoked in both
        revoked-ocsp    OCSP only, revoked there
        revoked-crl     CRL only, revoked there
        unreachable     CRL and OCSP on the dead port
        silent          CRL and OCSP on the silent server
        ldap            an ldap:// CRL point only
        noinfo          no revocation information at all
        aia             good's URLs, served WITHOUT the intermediate
        noaia           no caIssuers, served without the intermediate
    """

    LEAVES = ['good', 'revoked', 'revoked-ocsp', 'revoked-crl', 'unreachable', 'silent',
              'ldap', 'noinfo', 'aia', 'noaia']

    def __init__(self, directory, crl_port, ocsp_port, dead_port, silent_port):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        crl = 'http://%s:%d/file/' % (LOOPBACK, crl_port)
        ocsp = 'http://%s:%d/' % (LOOPBACK, ocsp_port)
        dead = 'http://%s:%d/' % (LOOPBACK, dead_port)
        silent = 'http://%s:%d/' % (LOOPBACK, silent_port)
        self.root, self.root_key = make_cert(directory, 'root', [
            'cn = "SIP Doctor Lab Revocation Root CA"', 'organization = "SIP Doctor Lab"', 'ca',
            'cert_signing_key', 'crl_signing_key', 'expiration_days = 3650'])
        self.ca_file = self.root
        self.inter, self.inter_key = make_cert(directory, 'inter', [
            'cn = "SIP Doctor Lab Revocation Intermediate CA"', 'organization = "SIP Doctor Lab"', 'ca',
            'path_len = 0', 'cert_signing_key', 'crl_signing_key', 'expiration_days = 3000',
            'serial = 4096', 'crl_dist_points = "%sroot.crl"' % crl], ca=(self.root, self.root_key))
        self.ocsp_cert, self.ocsp_key = make_cert(directory, 'ocsp-signer', [
            'cn = "SIP Doctor Lab OCSP Responder"', 'organization = "SIP Doctor Lab"',
            'signing_key', 'ocsp_signing_key', 'expiration_days = 365', 'serial = 4097'],
            ca=(self.inter, self.inter_key))
        urls = {
            'good': dict(crl=crl + 'inter.crl', ocsp=ocsp, issuers=crl + 'inter.der'),
            'revoked': dict(crl=crl + 'inter.crl', ocsp=ocsp),
            'revoked-ocsp': dict(ocsp=ocsp),
            'revoked-crl': dict(crl=crl + 'inter.crl'),
            'unreachable': dict(crl=dead + 'inter.crl', ocsp=dead),
            'silent': dict(crl=silent + 'inter.crl', ocsp=silent),
            'ldap': dict(crl='ldap://ldap.example.test/CN=Lab,CN=CDP,DC=example,DC=test'
                             '?certificateRevocationList?base'),
            'noinfo': dict(),
            'aia': dict(crl=crl + 'inter.crl', ocsp=ocsp, issuers=crl + 'inter.der'),
            'noaia': dict(crl=crl + 'inter.crl', ocsp=ocsp),
        }
        self.leaves = {}
        index = []
        now = time.time()
        for n, name in enumerate(self.LEAVES):
            serial = 0x5000 + n
            lines = ['cn = "sip.example.test"', 'organization = "SIP Doctor Lab"',
                     'dns_name = "sip.example.test"', 'ip_address = "127.0.0.1"',
                     'tls_www_server', 'signing_key', 'encryption_key', 'expiration_days = 365',
                     'serial = %d' % serial]
            u = urls[name]
            if 'crl' in u:
                lines.append('crl_dist_points = "%s"' % u['crl'])
            if 'ocsp' in u:
                lines.append('ocsp_uri = "%s"' % u['ocsp'])
            if 'issuers' in u:
                lines.append('ca_issuers_uri = "%s"' % u['issuers'])
            cert, key = make_cert(directory, name, lines, ca=(self.inter, self.inter_key))
            chain = cert
            if name not in ('aia', 'noaia'):
                chain = os.path.join(directory, name + '-chain.pem')
                with open(chain, 'w') as out:
                    for p in (cert, self.inter):
                        with open(p) as f:
                            out.write(f.read())
            self.leaves[name] = dict(cert=cert, key=key, chain=chain, serial=serial)
            revoked = name in ('revoked', 'revoked-ocsp')
            dn = '/O=SIP Doctor Lab/CN=sip.example.test'
            index.append('%s\t%s\t%s\t%X\tunknown\t%s\n' % (
                'R' if revoked else 'V', _openssl_time(now + 365 * 86400),
                _openssl_time(now - 3600) + (',keyCompromise' if revoked else '') if revoked else '',
                serial, dn))
        self.index = os.path.join(directory, 'index.txt')
        with open(self.index, 'w') as f:
            f.writelines(index)
        with open(self.index + '.attr', 'w') as f:
            f.write('unique_subject = no\n')
        # The intermediate's CRL revokes 'revoked' and 'revoked-crl'; the root's revokes nothing.
        tmpl = os.path.join(directory, 'crl.tmpl')
        with open(tmpl, 'w') as f:
            f.write('crl_next_update = 30\ncrl_number = 7\n')
        revoked_pem = os.path.join(directory, 'revoked-list.pem')
        with open(revoked_pem, 'w') as out:
            for name in ('revoked', 'revoked-crl'):
                with open(self.leaves[name]['cert']) as f:
                    out.write(f.read())
        certtool(['--generate-crl', '--load-ca-privkey', self.inter_key, '--load-ca-certificate', self.inter,
                  '--load-certificate', revoked_pem, '--template', tmpl,
                  '--outfile', os.path.join(directory, 'inter.crl'), '--outder'])
        certtool(['--generate-crl', '--load-ca-privkey', self.root_key, '--load-ca-certificate', self.root,
                  '--template', tmpl, '--outfile', os.path.join(directory, 'root.crl'), '--outder'])
        certtool(['--certificate-info', '--infile', self.inter, '--outder',
                  '--outfile', os.path.join(directory, 'inter.der')])
        # OCSP answers for a server to staple (openssl ocsp in file mode).
        self.staples = {}
        for name in ('good', 'revoked'):
            req = os.path.join(directory, 'staple-%s.req' % name)
            out = os.path.join(directory, 'staple-%s.der' % name)
            subprocess.run(['openssl', 'ocsp', '-issuer', self.inter, '-cert', self.leaves[name]['cert'],
                            '-reqout', req, '-no_nonce'], check=True, capture_output=True, timeout=60)
            subprocess.run(['openssl', 'ocsp', '-index', self.index, '-rsigner', self.ocsp_cert, '-rkey',
                            self.ocsp_key, '-CA', self.inter, '-reqin', req, '-respout', out, '-ndays', '1'],
                           check=True, capture_output=True, timeout=60)
            self.staples[name] = out


class OcspResponder:
    """openssl ocsp for the intermediate's leaves, on @port. It binds every
    interface: run it only inside a network namespace that has nothing but
    lo (the revocation tests re-run themselves under `unshare -n`).
    requests() counts the requests it logged."""

    def __init__(self, pki, port, logdir):
        self.port = port
        self.proc = sdlab.Proc('openssl-ocsp', [
            'openssl', 'ocsp', '-index', pki.index, '-port', str(port), '-rsigner', pki.ocsp_cert,
            '-rkey', pki.ocsp_key, '-CA', pki.inter, '-nmin', '5', '-timeout', '5', '-text'], logdir)

        # Not a probe connection: the responder serves one client at a
        # time and would wait on the probe until its -timeout.
        def ready():
            with open(self.proc.log, 'rb') as f:
                return b'waiting for OCSP client connections' in f.read()
        self.proc.wait_ready(ready, timeout=15)

    def requests(self):
        with open(self.proc.log, 'rb') as f:
            return f.read().count(b'OCSP Request Data:')

    def close(self):
        sdlab.stop_procs([self.proc])


class StaplingServer:
    """`gnutls-serv` serving a leaf of a RevocationPki with its
    intermediate, stapling an OCSP answer (--ocsp-response); it serves
    connections side by side, as a real server does. It binds every
    interface: only inside a network namespace with nothing but lo."""

    def __init__(self, pki, leaf, port, logdir):
        c = pki.leaves[leaf]
        self.port = port
        self.proc = sdlab.Proc('gnutls-serv-' + leaf, [
            'gnutls-serv', '--echo', '-p', str(port), '--x509certfile', c['chain'], '--x509keyfile', c['key'],
            '--ocsp-response', pki.staples[leaf], '--ignore-ocsp-response-errors'], logdir)

        def ready():
            with open(self.proc.log, 'rb') as f:
                return b'listening' in f.read()
        self.proc.wait_ready(ready, timeout=15)

    def close(self):
        sdlab.stop_procs([self.proc])


def exec_main(argv):
    """Runs argv with SD_WEB_HTTP, SD_WEB_HTTPS, SD_WEB_WRONGNAME,
    SD_WEB_SILENT (base URLs, no final slash), SD_WEB_CA_FILE, SD_WEB_DNS
    (the DNS server of *.web.test) and SD_WEB_HTTP_PORT / SD_WEB_HTTPS_PORT
    set; returns its exit status."""
    with tempfile.TemporaryDirectory(prefix='sdlab-web-') as d:
        with WebPeers(d) as web:
            env = dict(os.environ)
            env['SD_WEB_HTTP'] = web.url('http', '')
            env['SD_WEB_HTTPS'] = web.url('https', '')
            env['SD_WEB_WRONGNAME'] = web.url('https-wrongname', '')
            env['SD_WEB_SILENT'] = web.url('silent', '')
            env['SD_WEB_CA_FILE'] = web.ca_file
            env['SD_WEB_DNS'] = '%s:%d' % (LOOPBACK, web.ports['dns'])
            env['SD_WEB_HTTP_PORT'] = str(web.ports['http'])
            env['SD_WEB_HTTPS_PORT'] = str(web.ports['https'])
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
