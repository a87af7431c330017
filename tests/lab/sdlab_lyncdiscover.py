#!/usr/bin/python3
"""A Lync / Skype for Business autodiscover web service for the test lab
([MS-OCDISCWS]; see README.md).

    import sdlab, sdlab_lyncdiscover as lyd
    with sdlab.Lab(sipp=False, sip256=False) as lab:
        web = lyd.Lyncdiscover(lab, {
            'ok':   dict(domain='lync.test', https='root',
                         servers=dict(external=('sipexternal.lync.test', 5061))),
            'bad':  dict(domain='bad.test', https='403'),
        })
        web.address('ok')       # '127.A.B.C': its own loopback address, ports 443 and 80
        web.zone(z, 'lyncdiscover.lync.test', 'ok')   # the A record, in lab.dns_with(edit)
        web.requests()          # every request seen: [{'site', 'scheme', 'path', 'query', 'accept', ...}]

Each site is one loopback address of its own (127.64.0.0/10, picked at
random, so labs running at once do not collide) with an HTTPS server on
443 and an HTTP server on 80, as clients find the service at those fixed
ports: binding them needs root (LabError otherwise; skip the test).  What
each answers (`https=`, `http=`, the same choices; None: nothing listens):

  root       the root document: Domain, User, Self, OAuth links (XML when the
             request's Accept names xml, JSON otherwise; `format=` forces one)
  redirect   a root with one Redirect link to `redirect=` (a URL; 'self' is
             the request's own URL: a redirect loop)
  403 / 404 / 500 / 503   that status with an HTML page, as a reverse proxy says it
  garbage    200 with an HTML sign-in page of a reverse proxy (neither JSON nor XML)
  endless    200 JSON without a length whose body never ends (at most
             64 MiB or 60 s): the client's size cap must stop it
  silent     accepts and never says anything (not even the TLS handshake)

The Domain resource (`/Autodiscover/AutodiscoverService.svc/root/domain`)
gives `servers=dict(internal=(fqdn, port), external=(fqdn, port))` and
says `access_location=` ('External' by default); the User
resource answers 401 with the OAuth and web-ticket challenges a real
server sends. `cert=` picks the HTTPS certificate: 'lyncdiscover' (default:
lyncdiscover., lyncdiscoverinternal. and webdir. of every lab domain and
of each site's `domain=` (its SIP domain), signed by the lab's intermediate; 'lyncdiscover-expired' and
'lyncdiscover-selfsigned' the same names, expired or self-signed), or a lab
certificate ('good': the SIP names only, the reverse proxy that lacks
lyncdiscover.<domain>).
"""

import datetime
import json
import os
import random
import socket
import ssl
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdlab  # noqa: E402

ROOT_PATH = '/Autodiscover/AutodiscoverService.svc/root'
LAB_DOMAINS = ['example.test', 'lync.test', 'ocs.test', 'autodisc.test']
ENDLESS_MAX_BYTES = 64 << 20
ENDLESS_MAX_SECONDS = 60
MODES = ('root', 'redirect', '403', '404', '500', '503', 'garbage', 'endless', 'silent')


def lyncdiscover_names(domains=()):
    names = []
    for d in list(LAB_DOMAINS) + [d for d in domains if d not in LAB_DOMAINS]:
        names += ['lyncdiscover.' + d, 'lyncdiscoverinternal.' + d, 'webdir.' + d]
    return names


def _make_cert(lab, name, domains, variant=None):
    """A leaf for the lyncdiscover names, by the lab's intermediate; variant
    'expired' (valid from 400 to 35 days ago) or 'selfsigned' (its own issuer)."""
    pki = lab.pki
    d = os.path.join(pki.dir, name + ('-' + variant if variant else ''))
    os.makedirs(d, exist_ok=True)
    key = os.path.join(d, 'key.pem')
    cert = os.path.join(d, 'cert.pem')
    chain = os.path.join(d, 'chain.pem')
    tmpl = os.path.join(d, 'tmpl')
    if not os.path.exists(chain):
        sdlab._run(['certtool', '--generate-privkey', '--key-type=ecdsa', '--curve=secp256r1',
                    '--no-text', '--outfile', key])
        os.chmod(key, 0o600)
        with open(tmpl, 'w') as f:
            f.write('cn = "lyncdiscover.lync.test"\norganization = "SIP Doctor Lab"\n')
            for n in lyncdiscover_names(domains):
                f.write('dns_name = "%s"\n' % n)
            f.write('tls_www_server\nsigning_key\nencryption_key\n')
            f.write('serial = %d\n' % random.randrange(1, 1 << 62))
            if variant == 'expired':
                now = datetime.datetime.utcnow()
                f.write('activation_date = "%s"\nexpiration_date = "%s"\n' % (
                    sdlab._fmt_date(now - datetime.timedelta(days=400)),
                    sdlab._fmt_date(now - datetime.timedelta(days=35))))
            else:
                f.write('expiration_days = 365\n')
        if variant == 'selfsigned':
            sdlab._run(['certtool', '--generate-self-signed', '--load-privkey', key,
                        '--template', tmpl, '--outfile', cert, '--no-text'])
            parts = (cert,)
        else:
            sdlab._run(['certtool', '--generate-certificate', '--load-privkey', key,
                        '--load-ca-certificate', pki.intermediate, '--load-ca-privkey', pki.inter_key,
                        '--template', tmpl, '--outfile', cert, '--no-text'])
            parts = (cert, pki.intermediate)
        with open(chain, 'w') as out:
            for p in parts:
                with open(p) as f:
                    out.write(f.read())
    return sdlab.Cert('lyncdiscover', cert, key, chain, 'self' if variant == 'selfsigned' else 'intermediate')


def _free_address():
    """A loopback address where 443 and 80 are free."""
    for _ in range(50):
        addr = '127.%d.%d.%d' % (random.randrange(64, 128), random.randrange(256), random.randrange(1, 255))
        ok = True
        for port in (443, 80):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((addr, port))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return addr
    raise sdlab.LabError('lyncdiscover: no loopback address with ports 443 and 80 free')


class Lyncdiscover:
    def __init__(self, lab, sites, name='lyncdiscover'):
        if os.geteuid() != 0:
            raise sdlab.LabError('lyncdiscover: ports 443 and 80 need root')
        for s, spec in sites.items():
            for k in ('https', 'http'):
                if spec.get(k) is not None and spec[k] not in MODES:
                    raise ValueError('site %s: unknown mode %r' % (s, spec[k]))
        self.lab = lab
        self.sites = {}
        domains = [spec['domain'] for spec in sites.values() if spec.get('domain')]
        certs = {}
        for s, spec in sites.items():
            spec = dict(spec)
            c = spec.get('cert', 'lyncdiscover')
            if c not in certs:
                if c.startswith('lyncdiscover'):
                    certs[c] = _make_cert(lab, name, domains, c.partition('-')[2] or None)
                else:
                    certs[c] = lab.pki[c]
            spec['chain'] = certs[c].chain
            spec['key'] = certs[c].key
            spec['address'] = _free_address()
            self.sites[s] = spec
        self.log_path = os.path.join(lab.dir, name + '-requests.jsonl')
        self.ready_file = os.path.join(lab.dir, name + '.ready')
        spec_file = os.path.join(lab.dir, name + '.json')
        with open(spec_file, 'w') as f:
            json.dump(dict(sites=self.sites, log=self.log_path, ready=self.ready_file), f)
        self.proc = sdlab.Proc(name, [sys.executable, os.path.abspath(__file__), 'serve', spec_file], lab.dir)
        lab.procs.append(self.proc)
        self.proc.wait_ready(lambda: os.path.exists(self.ready_file), timeout=15)

    def address(self, site):
        return self.sites[site]['address']

    def zone(self, zone, name, site):
        """Adds the A record name -> the site's address to a sdlab.Zone."""
        zone.a(name, self.address(site))
        return zone

    def requests(self, site=None):
        out = []
        try:
            with open(self.log_path) as f:
                for line in f:
                    try:
                        e = json.loads(line)
                    except ValueError:
                        continue
                    if site is None or e.get('site') == site:
                        out.append(e)
        except OSError:
            pass
        return out

    def stop(self):
        if self.proc in self.lab.procs:
            self.lab.procs.remove(self.proc)
            sdlab.stop_procs([self.proc])


# --------------------------------------------------------------------------
# The server process

XML_NS = 'http://schemas.microsoft.com/rtc/2012/03/autodiscover'


def _root_doc(base, links, xml, where):
    if xml:
        items = ''.join('<Link token="%s" href="%s"/>' % (t, h.replace('&', '&amp;')) for t, h in links)
        return ('<?xml version="1.0" encoding="utf-8"?><AutodiscoverResponse xmlns="%s" '
                'AccessLocation="%s"><Root>%s</Root></AutodiscoverResponse>' % (XML_NS, where, items))
    return json.dumps({'AccessLocation': where,
                       'Root': {'Links': [{'token': t, 'href': h} for t, h in links]}})


def _domain_doc(base, domain, xml, where):
    points = []
    for slot, key in (('SipServerInternalAccess', 'internal'), ('SipClientInternalAccess', 'internal'),
                      ('SipServerExternalAccess', 'external'), ('SipClientExternalAccess', 'external')):
        if domain.get(key):
            points.append((slot, domain[key][0], domain[key][1]))
    links = [('Internal/Autodiscover', base + ROOT_PATH), ('External/Autodiscover', base + ROOT_PATH)]
    if xml:
        body = ''.join('<%s fqdn="%s" port="%d"/>' % p for p in points)
        body += ''.join('<Link token="%s" href="%s"/>' % link for link in links)
        return ('<?xml version="1.0" encoding="utf-8"?><AutodiscoverResponse xmlns="%s" '
                'AccessLocation="%s"><Domain>%s</Domain></AutodiscoverResponse>' % (XML_NS, where, body))
    d = {slot: {'fqdn': fqdn, 'port': port} for slot, fqdn, port in points}
    d['Links'] = [{'token': t, 'href': h} for t, h in links]
    return json.dumps({'AccessLocation': where, 'Domain': d})


class Server:
    def __init__(self, spec):
        self.sites = spec['sites']
        self.log = open(spec['log'], 'a')
        self.lock = threading.Lock()

    def record(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry) + '\n')
            self.log.flush()

    def read_request(self, conn):
        buf = b''
        conn.settimeout(10)
        while b'\r\n\r\n' not in buf:
            if len(buf) > 16384:
                return None
            data = conn.recv(4096)
            if not data:
                return None
            buf += data
        head = buf.split(b'\r\n\r\n', 1)[0].decode('latin-1')
        lines = head.split('\r\n')
        parts = lines[0].split(' ')
        if len(parts) != 3:
            return None
        headers = {}
        for h in lines[1:]:
            if ':' in h:
                k, v = h.split(':', 1)
                headers[k.strip().lower()] = v.strip()
        return parts[0], parts[1], headers

    def respond(self, conn, status, ctype, body, extra=()):
        reason = {200: 'OK', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
                  500: 'Internal Server Error', 503: 'Service Unavailable'}.get(status, 'X')
        if isinstance(body, str):
            body = body.encode()
        head = ['HTTP/1.1 %d %s' % (status, reason), 'Content-Type: ' + ctype,
                'Content-Length: %d' % len(body), 'Connection: close',
                'Server: sip-doctor-lab (lyncdiscover)'] + list(extra)
        conn.sendall(('\r\n'.join(head) + '\r\n\r\n').encode() + body)

    def serve(self, site, scheme, conn):
        spec = self.sites[site]
        mode = spec[scheme]
        if mode == 'silent':
            time.sleep(ENDLESS_MAX_SECONDS)
            return
        req = self.read_request(conn)
        if req is None:
            return
        method, target, headers = req
        url = urllib.parse.urlsplit(target)
        host = headers.get('host', spec['address'])
        base = '%s://%s' % (scheme, host)
        accept = headers.get('accept', '')
        xml = spec.get('format') == 'xml' or (spec.get('format') != 'json' and 'xml' in accept.lower())
        ctype = 'application/vnd.microsoft.rtc.autodiscover+%s; charset=utf-8' % ('xml' if xml else 'json')
        where = spec.get('access_location', 'External')
        path = url.path.rstrip('/').lower()
        self.record(dict(site=site, scheme=scheme, method=method, path=url.path, query=url.query,
                         host=host, accept=accept, authorization='authorization' in headers,
                         mode=mode))
        if method != 'GET':
            self.respond(conn, 405, 'text/plain', 'GET only\n')
            return
        if mode in ('403', '404', '500', '503'):
            self.respond(conn, int(mode), 'text/html',
                         '<html><head><title>%s</title></head><body><h1>%s</h1></body></html>' % (mode, mode))
            return
        if mode == 'garbage':
            self.respond(conn, 200, 'text/html; charset=utf-8',
                         '<!DOCTYPE html><html><head><title>Sign in</title></head><body>'
                         '<form action="/login"><input name="user"></form></body></html>')
            return
        if mode == 'endless':
            conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n'
                         b'{"AccessLocation":"')
            chunk = b'a' * 65536
            sent, start = 0, time.monotonic()
            while sent < ENDLESS_MAX_BYTES and time.monotonic() - start < ENDLESS_MAX_SECONDS:
                conn.sendall(chunk)
                sent += len(chunk)
            return
        if path in ('', ROOT_PATH.lower()):
            if mode == 'redirect':
                to = spec['redirect']
                if to == 'self':
                    to = base + target
                self.respond(conn, 200, ctype, _root_doc(base, [('Redirect', to)], xml, where))
                return
            links = [('Self', base + target), ('User', base + ROOT_PATH + '/user'),
                     ('Domain', base + ROOT_PATH + '/domain'), ('OAuth', base + ROOT_PATH + '/oauth/user'),
                     ('External/XFrame', base + '/Autodiscover/XFrame/XFrame.html')]
            self.respond(conn, 200, ctype, _root_doc(base, links, xml, where))
            return
        if path == (ROOT_PATH + '/domain').lower():
            self.respond(conn, 200, ctype, _domain_doc(base, spec.get('servers') or {}, xml, where))
            return
        if path in ((ROOT_PATH + '/user').lower(), (ROOT_PATH + '/oauth/user').lower()):
            self.respond(conn, 401, 'text/html', '<html><body>401</body></html>',
                         ['WWW-Authenticate: Bearer trusted_issuers="", client_id="00000004-0000-0ff1-ce00-000000000000"',
                          'WWW-Authenticate: MsRtcOAuth href="%s/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"' % base])
            return
        self.respond(conn, 404, 'text/html', '<html><body>404</body></html>')

    def handle(self, site, scheme, conn, ctx):
        try:
            if ctx is not None and self.sites[site][scheme] != 'silent':
                conn.settimeout(10)
                conn = ctx.wrap_socket(conn, server_side=True)
            self.serve(site, scheme, conn)
        except (OSError, ssl.SSLError) as e:
            print('%s %s: connection ended: %s' % (site, scheme, e), flush=True)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def listen(self, site, scheme):
        spec = self.sites[site]
        port = 443 if scheme == 'https' else 80
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((spec['address'], port))
        s.listen(64)
        ctx = None
        if scheme == 'https':
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(spec['chain'], spec['key'])

        def loop():
            while True:
                conn, _ = s.accept()
                threading.Thread(target=self.handle, args=(site, scheme, conn, ctx), daemon=True).start()
        threading.Thread(target=loop, daemon=True).start()


def serve_main(spec_file):
    with open(spec_file) as f:
        spec = json.load(f)
    server = Server(spec)
    for site, s in spec['sites'].items():
        for scheme in ('https', 'http'):
            if s.get(scheme) is not None:
                server.listen(site, scheme)
                print('%s: %s on %s' % (site, scheme, s['address']), flush=True)
    with open(spec['ready'], 'w') as f:
        f.write('ready\n')
    while True:
        time.sleep(3600)


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'serve':
        serve_main(sys.argv[2])
    else:
        sys.stderr.write('usage: sdlab_lyncdiscover.py serve SPEC.json (internal)\n')
        sys.exit(2)
