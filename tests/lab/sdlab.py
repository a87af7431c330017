#!/usr/bin/python3
"""SIP Sign-in Doctor test lab: real DNS, TLS and SIP peers on loopback.

Everything listens on 127.0.0.1 (never on another address), on free
high ports, so the lab works without root.  See README.md next to this
file for the API and the list of scenarios.

    import sdlab
    with sdlab.Lab() as lab:          # starts everything (about 1 s)
        lab.dns_server                # "127.0.0.1:PORT" for --dns-server
        lab.pki.ca_file               # root CA to pass as --ca-file
        lab.sip.port('tls')           # Kamailio's TLS port
        rc, report, out, err = sdlab.run_cli([...], timeout=30)

Only the Python standard library; real tools through subprocess:
dnsmasq, kamailio, certtool (gnutls-bin).  sipp is optional.
"""

import atexit
import concurrent.futures
import datetime
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref

HERE = os.path.dirname(os.path.abspath(__file__))
SRCROOT = os.path.dirname(os.path.dirname(HERE))
LOOPBACK = '127.0.0.1'
KAMAILIO_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/'

# Test accounts of the SIP registrar (test fixtures, not secrets).
PASSWORDS = {
    'alice': 'Wonderland-42',
    'legacy': 'Wonderland-42',
    'moved': 'Wonderland-42',
    'proxyuser': 'Wonderland-42',
    'strict': 'Wonderland-42',
}
SIP_DOMAIN = 'example.test'


class LabError(RuntimeError):
    """A peer of the lab could not be started or misbehaved unexpectedly."""


# --------------------------------------------------------------------------
# ports and process management

_reserved_ports = set()
_port_lock = threading.Lock()


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(('::1', 0))
        return True
    except OSError:
        return False


def _also_free_v6(port, udp, tcp):
    for kind, want in ((socket.SOCK_STREAM, tcp), (socket.SOCK_DGRAM, udp)):
        if not want:
            continue
        with socket.socket(socket.AF_INET6, kind) as s:
            try:
                s.bind(('::1', port))
            except OSError:
                return False
    return True


def free_port(udp=True, tcp=True, family=socket.AF_INET, v6=False):
    """A port free for both TCP and UDP (by default) on 127.0.0.1 (and on
    ::1 too with v6=True).

    The port is not held open: start the server soon after.  A port is
    never handed out twice in one process; components retry with new
    ports if another process took one meanwhile."""
    host = LOOPBACK if family == socket.AF_INET else '::1'
    for _ in range(200):
        with _port_lock:
            s = socket.socket(family, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
            try:
                s.bind((host, 0))
                port = s.getsockname()[1]
                other = None
                if tcp and udp:
                    other = socket.socket(family, socket.SOCK_DGRAM)
                    try:
                        other.bind((host, port))
                    except OSError:
                        continue
                    finally:
                        other.close()
            finally:
                s.close()
            if port in _reserved_ports or port < 1024:
                continue
            if v6 and not _also_free_v6(port, udp, tcp):
                continue
            _reserved_ports.add(port)
            return port
    raise LabError('no free port found on %s' % host)


def tcp_open(port, host=LOOPBACK, timeout=0.2):
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def udp_bound(port, host=LOOPBACK):
    """True when some process has a UDP socket bound to host:port (Linux)."""
    want = '%s:%04X' % (''.join('%02X' % b for b in reversed(socket.inet_aton(host))), port)
    try:
        with open('/proc/net/udp') as f:
            return any(line.split()[1] == want for line in list(f)[1:])
    except OSError:
        return False


_live_labs = weakref.WeakSet()


def _stop_all_labs():
    for lab in list(_live_labs):
        try:
            lab.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(_stop_all_labs)


def _install_signal_handlers():
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        _stop_all_labs()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, handler)


def _register_for_reaper(labdir, line):
    with open(os.path.join(labdir, 'reaper.list'), 'a') as f:
        f.write(line + '\n')


def reaper_main(listfile):
    """Runs in its own session; standard input is a pipe whose write end only
    the test process holds.  When that process dies (even by SIGKILL) the pipe
    closes: kill every process group and delete every namespace listed."""
    while sys.stdin.buffer.read(4096):
        pass
    try:
        with open(listfile) as f:
            items = [l.split() for l in f if l.strip()]
    except OSError:
        return
    pgs = [int(i[1]) for i in items if i[0] == 'pg']
    for sig in (signal.SIGTERM, signal.SIGKILL) if pgs else ():
        for pg in pgs:
            try:
                os.killpg(pg, sig)
            except OSError:
                pass
        time.sleep(0.5)
    for i in items:
        if i[0] == 'netns':
            subprocess.run(['ip', 'netns', 'del', i[1]], capture_output=True, timeout=10)
            shutil.rmtree(os.path.join('/etc/netns', i[1]), ignore_errors=True)


# Debian puts daemons (dnsmasq, kamailio) in /usr/sbin, which a normal
# user's PATH lacks: look there too, so the lab runs under sudo-less users.
SBIN_DIRS = ('/usr/sbin', '/sbin', '/usr/local/sbin')


def find_program(name):
    """The full path of program name: PATH first, then the sbin folders;
    None when it is not installed."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) else None
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN_DIRS))


class Proc:
    """A helper process in its own process group, logging to a file."""

    def __init__(self, name, argv, logdir, env=None, cwd=None):
        self.name = name
        argv = [find_program(argv[0]) or argv[0]] + list(argv[1:])
        self.argv = argv
        self.log = os.path.join(logdir, name + '.log')
        self._logf = open(self.log, 'ab')
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        try:
            self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._logf,
                                          stderr=subprocess.STDOUT, start_new_session=True,
                                          env=full_env, cwd=cwd)
        except FileNotFoundError:
            self._logf.close()
            raise LabError('%s: %s is not installed (tools/install-deps.sh installs the lab\'s '
                           'packages: dnsmasq-base kamailio kamailio-tls-modules gnutls-bin '
                           'sip-tester)' % (name, argv[0]))
        self.pgid = self.popen.pid  # new session: pgid == pid
        _register_for_reaper(logdir, 'pg %d' % self.pgid)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def group_alive(self):
        try:
            os.killpg(self.pgid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def log_tail(self, n=15):
        try:
            with open(self.log, 'rb') as f:
                lines = f.read().decode('utf-8', 'replace').splitlines()
            return '\n'.join(lines[-n:])
        except OSError:
            return ''

    def fail(self, what):
        self.signal_group(signal.SIGKILL)
        try:
            self.popen.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        raise LabError('%s: %s (command: %s)\nlog file: %s\n--- last lines ---\n%s' % (
            self.name, what, ' '.join(self.argv), self.log, self.log_tail()))

    def wait_ready(self, check, timeout=20.0):
        """Poll check() until it returns true; bounded; fails naming the log."""
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            if not self.alive():
                self.fail('exited with status %s before it was ready' % self.popen.returncode)
            try:
                if check():
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.fail('not ready after %.1f s' % timeout)
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def signal_group(self, sig):
        try:
            os.killpg(self.pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self):
        try:
            self.popen.wait(timeout=0)
        except subprocess.TimeoutExpired:
            pass
        self._logf.close()


def stop_procs(procs, grace=1.0):
    """SIGTERM every process group at once, SIGKILL what is left after grace
    seconds, and wait until every group is gone (bounded)."""
    procs = [p for p in procs if p is not None]
    for p in procs:
        p.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(p.group_alive() or p.alive() for p in procs):
        for p in procs:
            p.popen.poll()
        time.sleep(0.02)
    for p in procs:
        if p.group_alive() or p.alive():
            p.signal_group(signal.SIGKILL)
    deadline = time.monotonic() + 5
    for p in procs:
        try:
            p.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        while p.group_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        p.close()
    left = [p.name for p in procs if p.group_alive()]
    if left:
        raise LabError('processes left running: %s' % ', '.join(left))


def start_with_retry(factory, attempts=3):
    """Call factory() (which allocates its ports and starts a server) again
    with new ports when it fails, e.g. because another test run took a port
    between allocation and bind.  Raises the last LabError."""
    last = None
    for _ in range(attempts):
        try:
            return factory()
        except LabError as e:
            last = e
    raise last


def _run(argv, **kw):
    kw.setdefault('timeout', 30)
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, **kw)
    if r.returncode != 0:
        raise LabError('%s failed (%d): %s' % (' '.join(argv), r.returncode,
                                               r.stderr.decode('utf-8', 'replace')[-2000:]))
    return r


# --------------------------------------------------------------------------
# DNS: zones described in Python, served by dnsmasq

class Zone:
    """Records of the lab DNS.  Names are absolute, without the final dot.

    srv(name, target, port, priority=0, weight=0); target '.' means
    "service unavailable".  a(name, ip), aaaa(name, ip), cname(alias, target),
    naptr(name, order, pref, flags, service, regexp, replacement), txt(name, text).
    """

    def __init__(self):
        self.records = []          # (type, name, fields...)
        self.local_domains = set()  # authoritative: NXDOMAIN, never forwarded

    def domain(self, name):
        self.local_domains.add(name)
        return self

    def srv(self, name, target, port, priority=0, weight=0):
        self.records.append(('SRV', name, target, int(port), int(priority), int(weight)))
        return self

    def a(self, name, ip=LOOPBACK):
        self.records.append(('A', name, ip))
        return self

    def aaaa(self, name, ip='::1'):
        self.records.append(('AAAA', name, ip))
        return self

    def cname(self, alias, target):
        self.records.append(('CNAME', alias, target))
        return self

    def naptr(self, name, order, pref, flags, service, regexp, replacement):
        self.records.append(('NAPTR', name, order, pref, flags, service, regexp, replacement))
        return self

    def txt(self, name, text):
        self.records.append(('TXT', name, text))
        return self

    def dnsmasq_lines(self):
        out = []
        for d in sorted(self.local_domains):
            out.append('local=/%s/' % d)
        addrs = {}
        for r in self.records:
            if r[0] in ('A', 'AAAA'):
                addrs.setdefault(r[1], []).append(r[2])
        for name, ips in addrs.items():
            v4 = [ip for ip in ips if ':' not in ip]
            if len(v4) > 1 or len(ips) - len(v4) > 1:
                # host-record takes one address of each family: a host with
                # many gets a line per address
                out.extend('host-record=%s,%s' % (name, ip) for ip in ips)
            else:
                out.append('host-record=%s,%s' % (name, ','.join(ips)))
        for r in self.records:
            t = r[0]
            if t == 'SRV':
                _, name, target, port, prio, weight = r
                if target == '.':
                    # raw SRV rdata with the root as target: "service not available"
                    out.append('dns-rr=%s,33,%04x%04x%04x00' % (name, prio, weight, port))
                else:
                    out.append('srv-host=%s,%s,%d,%d,%d' % (name, target, port, prio, weight))
            elif t == 'CNAME':
                out.append('cname=%s,%s' % (r[1], r[2]))
            elif t == 'NAPTR':
                _, name, order, pref, flags, service, regexp, repl = r
                out.append('naptr-record=%s,%d,%d,%s,%s,%s,%s' % (name, order, pref, flags,
                                                                  service, regexp, repl))
            elif t == 'TXT':
                out.append('txt-record=%s,"%s"' % (r[1], r[2]))
        return [l for l in out if l]


def scenario_zone(ports):
    """The lab's zones.  ports: dict with sip_udp, sip_tcp, sip_tls, home_udp,
    home_tcp, home_tls (the Kamailio listeners the records point to)."""
    z = Zone()
    for d in ('test',):
        z.domain(d)
    udp, tcp, tls = ports['sip_udp'], ports['sip_tcp'], ports['sip_tls']

    # example.test: the happy domain, every record every profile asks for.
    d = 'example.test'
    z.naptr(d, 10, 50, 's', 'SIPS+D2T', '', '_sips._tcp.' + d)
    z.naptr(d, 20, 50, 's', 'SIP+D2T', '', '_sip._tcp.' + d)
    z.naptr(d, 30, 50, 's', 'SIP+D2U', '', '_sip._udp.' + d)
    z.srv('_sips._tcp.' + d, 'sip.' + d, tls, 0, 0)
    z.srv('_sip._tls.' + d, 'sip.' + d, tls, 0, 0)
    z.srv('_sip._tcp.' + d, 'sip.' + d, tcp, 0, 0)
    z.srv('_sip._udp.' + d, 'sip.' + d, udp, 0, 0)
    z.srv('_sipinternaltls._tcp.' + d, 'sip.' + d, tls, 0, 0)
    z.srv('_sipinternal._tcp.' + d, 'sip.' + d, tcp, 0, 0)
    for h in (d, 'sip.' + d, 'home.' + d, 'sipinternal.' + d, 'sipexternal.' + d):
        z.a(h)
    z.txt(d, 'sip-doctor lab')

    # wm5.test: what Windows Messenger 5 asks (guide): _sip._tcp, _sip._tls, sip.<domain>
    d = 'wm5.test'
    z.srv('_sip._tcp.' + d, 'sip.' + d, tcp, 0, 0)
    z.srv('_sip._tls.' + d, 'sip.' + d, tls, 0, 0)
    z.a('sip.' + d)

    # ocs.test (and lync.test): the OCS/Lync internal records and A names
    for d in ('ocs.test', 'lync.test'):
        z.srv('_sipinternaltls._tcp.' + d, 'sipinternal.' + d, tls, 0, 0)
        z.srv('_sipinternal._tcp.' + d, 'sipinternal.' + d, tcp, 0, 0)
        z.srv('_sip._tls.' + d, 'sip.' + d, tls, 0, 0)
        for h in ('sipinternal.', 'sip.', 'sipexternal.'):
            z.a(h + d)

    # generic.test: exactly RFC 3263 (NAPTR + all four SRV), nothing else
    d = 'generic.test'
    z.naptr(d, 10, 50, 's', 'SIPS+D2T', '', '_sips._tcp.' + d)
    z.naptr(d, 20, 50, 's', 'SIP+D2T', '', '_sip._tcp.' + d)
    z.naptr(d, 30, 50, 's', 'SIP+D2U', '', '_sip._udp.' + d)
    z.srv('_sips._tcp.' + d, 'sip.' + d, tls, 0, 0)
    z.srv('_sip._tls.' + d, 'sip.' + d, tls, 0, 0)
    z.srv('_sip._tcp.' + d, 'sip.' + d, tcp, 0, 0)
    z.srv('_sip._udp.' + d, 'sip.' + d, udp, 0, 0)
    z.a('sip.' + d)

    # weights.test: RFC 2782 ordering. priority 10: w60, w30, w10, w0; priority 20: two w0.
    d = 'weights.test'
    for i, (prio, weight) in enumerate([(20, 0), (10, 10), (10, 60), (20, 0), (10, 0), (10, 30)]):
        name = 'p%dw%d-%d.%s' % (prio, weight, i, d)
        z.srv('_sip._tls.' + d, name, 5061, prio, weight)
        z.a(name, '127.0.0.%d' % (10 + i))
    z.srv('_sip._tcp.' + d, 'sip.' + d, tcp, 5, 0)
    z.srv('_sip._tcp.' + d, 'backup.' + d, tcp, 50, 0)
    z.a('sip.' + d)
    z.a('backup.' + d, '127.0.0.2')

    # fuzzybunny.test: the guide's strict-naming case, SRV target outside the domain
    z.srv('_sip._tls.fuzzybunny.test', 'lcsserver1.corp.test', tls, 0, 0)
    z.a('lcsserver1.corp.test')

    # unavailable.test: SRV target "." (service explicitly not available)
    z.srv('_sip._tls.unavailable.test', '.', 0)
    z.srv('_sip._tcp.unavailable.test', '.', 0)

    # noaddr.test: SRV target that has no address at all
    z.srv('_sip._tls.noaddr.test', 'ghost.noaddr.test', tls, 0, 0)

    # cname.test: SRV target is a CNAME to a real host; sip.cname.test too
    z.srv('_sip._tls.cname.test', 'alias.cname.test', tls, 0, 0)
    z.cname('alias.cname.test', 'real.cname.test')
    z.cname('sip.cname.test', 'real.cname.test')
    z.a('real.cname.test')

    # aonly.test: no SRV/NAPTR, A fallback works (domain and sip.<domain>)
    z.a('aonly.test')
    z.a('sip.aonly.test')

    # dual.test: A and AAAA
    z.srv('_sip._tls.dual.test', 'sip.dual.test', tls, 0, 0)
    z.a('sip.dual.test')
    z.aaaa('sip.dual.test', '::1')
    z.aaaa('v6only.dual.test', '::1')

    # nxdomain.test: nothing at all (covered by local=/test/)
    return z


class DnsServer:
    """dnsmasq serving zone on 127.0.0.1:port (a free port by default).
    With netns, it runs inside that namespace (port 53 there)."""

    def __init__(self, lab, zone, name='dnsmasq', netns=None, port=None):
        self.port = port or free_port()
        conf = os.path.join(lab.dir, name + '.conf')
        lines = ['no-resolv', 'no-hosts', 'no-poll', 'bind-interfaces',
                 'listen-address=' + LOOPBACK, 'port=%d' % self.port,
                 'log-queries', 'cache-size=0']
        lines += zone.dnsmasq_lines()
        with open(conf, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        self.conf = conf
        self.zone = zone
        argv = ['dnsmasq', '-C', conf, '--keep-in-foreground',
                '--log-facility=-', '--pid-file=' + os.path.join(lab.dir, name + '.pid')]
        if netns:
            argv = netns.wrap(argv)
        self.proc = Proc(name, argv, lab.dir)
        lab.procs.append(self.proc)
        if netns:
            check = lambda: subprocess.run(  # noqa: E731
                netns.wrap([sys.executable, os.path.abspath(__file__), 'dnsq', str(self.port)]),
                capture_output=True, timeout=5).returncode == 0
        else:
            check = lambda: dns_query(self.port, 'example.test', 'A', timeout=0.2) is not None  # noqa: E731
        self.proc.wait_ready(check)

    @property
    def addr(self):
        return '%s:%d' % (LOOPBACK, self.port)


class BindServer:
    """bind9's named, authoritative for the zones given, on 127.0.0.1:port.

    A DNS server written by others than dnsmasq's authors, with real zone
    files: SOA at each apex, NXDOMAIN for names that do not exist, NOERROR
    for empty non-terminals.  zones: {origin: Zone}; a Zone's records whose
    names lie inside origin go into that zone's file."""

    def __init__(self, lab, zones, name='named', port=None):
        self.port = port or free_port()
        self.dir = os.path.join(lab.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        conf = os.path.join(self.dir, 'named.conf')
        lines = ['options {',
                 '  directory "%s";' % self.dir,
                 '  pid-file "%s";' % os.path.join(self.dir, 'named.pid'),
                 '  session-keyfile "%s";' % os.path.join(self.dir, 'session.key'),
                 '  managed-keys-directory "%s";' % self.dir,
                 '  listen-on port %d { %s; };' % (self.port, LOOPBACK),
                 '  listen-on-v6 { none; };',
                 '  recursion no;',
                 '  dnssec-validation no;',
                 '  notify no;',
                 '};',
                 # no rndc control channel: nothing listens but the DNS port
                 'controls { };']
        for origin, zone in zones.items():
            path = os.path.join(self.dir, origin + '.zone')
            with open(path, 'w') as f:
                f.write(self.zone_file(origin, zone))
            lines.append('zone "%s" { type primary; file "%s"; };' % (origin, path))
        with open(conf, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        self.conf = conf
        # -g: foreground, log to stderr; -n 1: one worker thread on a shared machine
        self.proc = Proc(name, ['named', '-g', '-n', '1', '-c', conf], lab.dir)
        lab.procs.append(self.proc)
        first = next(iter(zones))
        self.proc.wait_ready(lambda: dns_query(self.port, first, 'SOA', timeout=0.2) is not None)

    @staticmethod
    def zone_file(origin, zone):
        def inside(n):
            return n == origin or n.endswith('.' + origin)

        def fq(n):
            return n if n.endswith('.') else n + '.'
        out = ['$TTL 300',
               '@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300' % (origin, origin),
               '@ IN NS ns.%s.' % origin,
               'ns.%s. IN A %s' % (origin, LOOPBACK)]
        for r in zone.records:
            t, n = r[0], r[1]
            if not inside(n):
                continue
            if t in ('A', 'AAAA'):
                out.append('%s IN %s %s' % (fq(n), t, r[2]))
            elif t == 'CNAME':
                out.append('%s IN CNAME %s' % (fq(n), fq(r[2])))
            elif t == 'SRV':
                _, _, target, port, prio, weight = r
                out.append('%s IN SRV %d %d %d %s' % (fq(n), prio, weight, port,
                                                      '.' if target == '.' else fq(target)))
            elif t == 'NAPTR':
                _, _, order, pref, flags, service, regexp, repl = r
                out.append('%s IN NAPTR %d %d "%s" "%s" "%s" %s' % (fq(n), order, pref, flags, service,
                                                                   regexp, fq(repl)))
            elif t == 'TXT':
                out.append('%s IN TXT "%s"' % (fq(n), r[2]))
        return '\n'.join(out) + '\n'

    @property
    def addr(self):
        return '%s:%d' % (LOOPBACK, self.port)


QTYPES = {'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'TXT': 16, 'AAAA': 28, 'SRV': 33, 'NAPTR': 35}


def dns_query(port, name, qtype='A', timeout=1.0, host=LOOPBACK):
    """Minimal DNS query for readiness checks: returns (rcode, ancount) or None."""
    qid = random.randrange(65536)
    q = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    for label in name.split('.'):
        q += bytes([len(label)]) + label.encode()
    q += b'\0' + struct.pack('>HH', QTYPES[qtype], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, (host, port))
        try:
            data = s.recv(4096)
        except socket.timeout:
            return None
    if len(data) < 12 or struct.unpack('>H', data[:2])[0] != qid:
        return None
    flags, _, an = struct.unpack('>HHH', data[2:8])
    return flags & 0xF, an


class Netns:
    """A network namespace for testing the system resolver path (root only).

    Inside: lo up, a veth pair v0/v1 kept inside with 192.0.2.1/24 and
    2001:db8::1/64 on v0 (so getaddrinfo with AI_ADDRCONFIG works), a dnsmasq
    on 127.0.0.1:53 serving the lab's zones, and /etc/netns/NAME/resolv.conf
    saying "nameserver 127.0.0.1", which replaces /etc/resolv.conf for
    commands run with netns.wrap(argv) (ip netns exec NAME ...).
    Nothing inside can reach the lab's other servers (another network stack)."""

    def __init__(self, lab, zone):
        if os.geteuid() != 0 or not shutil.which('ip'):
            raise LabError('a network namespace needs root and iproute2')
        self.name = 'sdlab-%d-%x' % (os.getpid(), random.randrange(1 << 24))
        self.etc = os.path.join('/etc/netns', self.name)
        self.created = False
        try:
            _register_for_reaper(lab.dir, 'netns ' + self.name)
            _run(['ip', 'netns', 'add', self.name])
            self.created = True
            n = ['ip', '-n', self.name]
            _run(n + ['link', 'set', 'lo', 'up'])
            _run(n + ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'])
            _run(n + ['addr', 'add', '192.0.2.1/24', 'dev', 'v0'])
            _run(n + ['addr', 'add', '2001:db8::1/64', 'dev', 'v0', 'nodad'])
            _run(n + ['link', 'set', 'v0', 'up'])
            _run(n + ['link', 'set', 'v1', 'up'])
            os.makedirs(self.etc, exist_ok=True)
            with open(os.path.join(self.etc, 'resolv.conf'), 'w') as f:
                f.write('nameserver 127.0.0.1\noptions timeout:2 attempts:1\n')
            self.dns = DnsServer(lab, zone, name='dnsmasq-' + self.name, netns=self, port=53)
        except BaseException:
            self.close()
            raise

    def wrap(self, argv):
        """argv run inside the namespace."""
        return ['ip', 'netns', 'exec', self.name] + list(argv)

    def close(self):
        if self.created:
            subprocess.run(['ip', 'netns', 'del', self.name], capture_output=True, timeout=10)
            self.created = False
        shutil.rmtree(self.etc, ignore_errors=True)


# --------------------------------------------------------------------------
# PKI: certtool at test time

class Cert:
    def __init__(self, name, cert, key, chain, issuer):
        self.name = name
        self.cert = cert      # the leaf alone (PEM)
        self.key = key        # its private key (PEM)
        self.chain = chain    # what the server sends: leaf [+ intermediate]
        self.issuer = issuer  # 'root', 'intermediate' or 'self'

    def as_dict(self):
        return dict(cert=self.cert, key=self.key, chain=self.chain, issuer=self.issuer)

    def __repr__(self):
        return '<Cert %s %s>' % (self.name, self.chain)


# name -> (template lines, options).  Leaves are signed by the intermediate
# unless said otherwise; 'chain' says whether the served chain holds it.
# The good certificate names each server of the lab and, for standard SIP
# clients, each SIP domain whose SRV records point at it (RFC 5922: they
# check the domain, not the SRV target); fuzzybunny.test stays out (a
# domain whose certificate names only the server, the guide's case).
GOOD_NAMES = ['sip.example.test', 'example.test', 'home.example.test',
              'sip.wm5.test', 'sip.ocs.test', 'sipinternal.ocs.test', 'sipexternal.ocs.test',
              'sip.lync.test', 'sipinternal.lync.test', 'sipexternal.lync.test',
              'sip.generic.test', 'lcsserver1.corp.test', 'real.cname.test',
              'sip.cname.test', 'alias.cname.test', 'sip.dual.test',
              'generic.test', 'cname.test', 'dual.test', 'fallback.test']


def _fmt_date(dt):
    return dt.strftime('%Y-%m-%d %H:%M:%S')


def leaf_specs():
    now = datetime.datetime.utcnow()
    dns = lambda *names: ['dns_name = "%s"' % n for n in names]  # noqa: E731
    return {
        'good': dict(cn='sip.example.test', san=dns(*GOOD_NAMES)),
        'nointer': dict(cn='sip.example.test', san=dns(*GOOD_NAMES), chain=False),
        'expired': dict(cn='sip.example.test', san=dns(*GOOD_NAMES),
                        dates=(now - datetime.timedelta(days=400), now - datetime.timedelta(days=35))),
        'notyet': dict(cn='sip.example.test', san=dns(*GOOD_NAMES),
                       dates=(now + datetime.timedelta(days=30), now + datetime.timedelta(days=400))),
        'wrongname': dict(cn='www.other.test', san=dns('www.other.test', 'other.test')),
        'selfsigned': dict(cn='sip.example.test', san=dns(*GOOD_NAMES), issuer='self'),
        'rsa1024': dict(cn='sip.example.test', san=dns(*GOOD_NAMES), key=('rsa', 1024)),
        'sha1': dict(cn='sip.example.test', san=dns(*GOOD_NAMES), hash='SHA1', key=('rsa', 2048)),
        'wildcard': dict(cn='*.example.test', san=dns('*.example.test')),
        'urisip': dict(cn='Lab SIP domain certificate', san=['uri = "sip:example.test"',
                                                             'uri = "sip:sip.example.test"']),
        # the domain in the CN only, next to a subjectAltName (a URI of
        # another domain): SIP clients ignore the CN then (RFC 5922 7.1)
        'cn-domain-uri-other': dict(cn='example.test', san=['uri = "sip:other.test"']),
        'strict-sip': dict(cn='sip.example.test', san=dns('sip.example.test')),
        'strict-domain': dict(cn='example.test', san=dns('example.test')),
        'lcs': dict(cn='lcsserver1.corp.test', san=dns('lcsserver1.corp.test')),
        'revoked': dict(cn='sip.example.test', san=dns(*GOOD_NAMES), issuer='root'),
    }


class Pki:
    """Root CA -> intermediate CA -> leaves, generated with certtool."""

    def __init__(self, directory):
        self.dir = os.path.join(directory, 'pki')
        os.makedirs(self.dir, exist_ok=True)
        self.certs = {}
        root_key = self._key('root')
        self.ca_file = self._path('root.pem')
        self._cert('root', root_key, ['cn = "SIP Doctor Lab Root CA"', 'organization = "SIP Doctor Lab"',
                                      'ca', 'cert_signing_key', 'crl_signing_key',
                                      'expiration_days = 3650'], self_signed=True)
        self.root_key = root_key
        inter_key = self._key('intermediate')
        self.intermediate = self._path('intermediate.pem')
        self._cert('intermediate', inter_key, ['cn = "SIP Doctor Lab Intermediate CA"',
                                               'organization = "SIP Doctor Lab"', 'ca',
                                               'path_len = 0', 'cert_signing_key',
                                               'crl_signing_key', 'expiration_days = 3000'],
                   ca=(self.ca_file, root_key))
        self.inter_key = inter_key
        for name, spec in leaf_specs().items():
            self._leaf(name, spec)
        # a CRL of the root that revokes the 'revoked' leaf (issued by the root)
        t = self._path('crl.tmpl')
        with open(t, 'w') as f:
            f.write('crl_next_update = 365\ncrl_number = 1\n')
        self.crl = self._path('root.crl')
        _run(['certtool', '--generate-crl', '--load-ca-privkey', self.root_key,
              '--load-ca-certificate', self.ca_file, '--load-certificate',
              self.certs['revoked'].cert, '--template', t, '--outfile', self.crl, '--no-text'])

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _key(self, name, key=('ecdsa', None)):
        path = self._path(name + '.key')
        if key[0] == 'rsa':
            argv = ['certtool', '--generate-privkey', '--key-type=rsa', '--bits=%d' % key[1]]
        else:
            argv = ['certtool', '--generate-privkey', '--key-type=ecdsa', '--curve=secp256r1']
        _run(argv + ['--no-text', '--outfile', path])
        os.chmod(path, 0o600)
        return path

    def _cert(self, name, key, tmpl, self_signed=False, ca=None, hash_alg=None):
        t = self._path(name + '.tmpl')
        with open(t, 'w') as f:
            f.write('\n'.join(tmpl) + '\n')
        out = self._path(name + '.pem')
        if self_signed:
            argv = ['certtool', '--generate-self-signed', '--load-privkey', key]
        else:
            argv = ['certtool', '--generate-certificate', '--load-privkey', key,
                    '--load-ca-certificate', ca[0], '--load-ca-privkey', ca[1]]
        if hash_alg:
            argv.append('--hash=' + hash_alg)
        _run(argv + ['--template', t, '--outfile', out, '--no-text'])
        return out

    def _leaf(self, name, spec):
        key = self._key(name, spec.get('key', ('ecdsa', None)))
        tmpl = ['cn = "%s"' % spec['cn'], 'organization = "SIP Doctor Lab"'] + spec['san']
        tmpl += ['tls_www_server', 'signing_key', 'encryption_key', 'serial = %d' % random.randrange(1, 1 << 62)]
        if 'dates' in spec:
            tmpl += ['activation_date = "%s"' % _fmt_date(spec['dates'][0]),
                     'expiration_date = "%s"' % _fmt_date(spec['dates'][1])]
        else:
            tmpl.append('expiration_days = 365')
        issuer = spec.get('issuer', 'intermediate')
        if issuer == 'self':
            cert = self._cert(name, key, tmpl, self_signed=True, hash_alg=spec.get('hash'))
        elif issuer == 'root':
            cert = self._cert(name, key, tmpl, ca=(self.ca_file, self.root_key),
                              hash_alg=spec.get('hash'))
        else:
            cert = self._cert(name, key, tmpl, ca=(self.intermediate, self.inter_key),
                              hash_alg=spec.get('hash'))
        chain = cert
        if issuer == 'intermediate' and spec.get('chain', True):
            chain = self._path(name + '-chain.pem')
            with open(chain, 'w') as out:
                for p in (cert, self.intermediate):
                    with open(p) as f:
                        out.write(f.read())
        self.certs[name] = Cert(name, cert, key, chain, issuer)

    def __getitem__(self, name):
        return self.certs[name]

    def as_dict(self):
        return dict(ca_file=self.ca_file, intermediate=self.intermediate, crl=self.crl,
                    certs={n: c.as_dict() for n, c in self.certs.items()})


# --------------------------------------------------------------------------
# SIP + TLS: Kamailio

# Certificates Kamailio serves, one TLS port each (besides the main ports).
# OpenSSL 3 refuses to load RSA-1024 and SHA-1 certificates at Debian's
# security level, so those are served by the Python TLS peer instead.
KAMAILIO_TLS_CERTS = ['good', 'nointer', 'expired', 'notyet', 'wrongname', 'selfsigned',
                      'wildcard', 'urisip', 'strict-sip', 'strict-domain', 'lcs', 'revoked']

KAMAILIO_ROUTE = r'''
request_route {
	force_rport();
	if ($tU == $null) { $var(u) = ""; } else { $var(u) = $tU; }
	if ($Rp == HOME_PORT || $Rp == HOME_TLS_PORT) { route(HOME); exit; }

	if ($var(u) == "skewed") {
		# Date one hour ahead: Kamailio runs with TZ one hour east of UTC
		append_to_reply("Date: $timef(%a, %d %b %Y %H:%M:%S GMT)\r\n");
	} else {
		append_to_reply("Date: $utimef(%a, %d %b %Y %H:%M:%S GMT)\r\n");
	}

	if (is_method("OPTIONS")) {
		append_to_reply("Allow: REGISTER, OPTIONS\r\nAccept: application/sdp\r\n");
		sl_send_reply("200", "OK");
		exit;
	}
	if (!is_method("REGISTER")) {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
	if ($var(u) =~ "^goto-") { route(GOTO); exit; }
	switch ($var(u)) {
	case "alice":
		$var(pw) = "PW_ALICE"; $var(qop) = 1; route(DIGEST); exit;
	case "strict":
		$var(pw) = "PW_STRICT"; route(STRICT); exit;
	case "legacy":
		$var(pw) = "PW_LEGACY"; $var(qop) = 0; route(DIGEST); exit;
	case "proxyuser":
		$var(pw) = "PW_PROXYUSER"; route(PROXYAUTH); exit;
	case "msuser":
	case "skewed":
		append_to_reply("WWW-Authenticate: NTLM realm=\"SIP Communications Service\", targetname=\"lcs1.example.test\", version=3\r\n");
		append_to_reply("WWW-Authenticate: Kerberos realm=\"SIP Communications Service\", targetname=\"sip/lcs1.example.test\", version=3\r\n");
		sl_send_reply("401", "Unauthorized");
		exit;
	case "basic":
		append_to_reply("WWW-Authenticate: Basic realm=\"example.test\"\r\n");
		sl_send_reply("401", "Unauthorized");
		exit;
	case "moved":
		if ($pr == "tls") { $var(hp) = HOME_TLS_PORT; } else { $var(hp) = HOME_PORT; }
		append_to_reply("Contact: <sip:moved@home.example.test:$var(hp);transport=$pr>\r\n");
		sl_send_reply("301", "Moved Permanently");
		exit;
	case "loop":
		append_to_reply("Contact: <sip:loop@sip.example.test:$Rp;transport=$pr>\r\n");
		sl_send_reply("301", "Moved Permanently");
		exit;
	case "blocked":
		sl_send_reply("403", "Forbidden");
		exit;
	case "broken":
		sl_send_reply("500", "Server Internal Error");
		exit;
	case "busy":
		append_to_reply("Retry-After: 30\r\n");
		sl_send_reply("503", "Service Unavailable");
		exit;
	default:
		sl_send_reply("404", "Not Found");
		exit;
	}
}

route[DIGEST] {
	if (!has_credentials("$td")) {
		if ($var(qop) == 1) { www_challenge("$td", "1"); } else { www_challenge("$td", "0"); }
		exit;
	}
	if ($au != $var(u) || !pv_www_authenticate("$td", "$var(pw)", "0")) {
		if ($var(qop) == 1) { www_challenge("$td", "1"); } else { www_challenge("$td", "0"); }
		exit;
	}
	consume_credentials();
	if ($hdr(Contact) != $null) { append_to_reply("Contact: $ct;expires=3600\r\n"); }
	sl_send_reply("200", "OK");
	exit;
}

route[STRICT] {
	# says why credentials were refused, as some registrars do
	if (!has_credentials("$td")) { www_challenge("$td", "1"); exit; }
	if ($au != $var(u)) { sl_send_reply("403", "Forbidden - unknown user name"); exit; }
	$var(rc) = pv_www_authenticate("$td", "$var(pw)", "0");
	if ($var(rc) == -2) { sl_send_reply("403", "Forbidden - wrong password"); exit; }
	if ($var(rc) < 0) { www_challenge("$td", "1"); exit; }
	consume_credentials();
	if ($hdr(Contact) != $null) { append_to_reply("Contact: $ct;expires=3600\r\n"); }
	sl_send_reply("200", "OK");
	exit;
}

route[PROXYAUTH] {
	if (!is_present_hf("Proxy-Authorization") || $au != $var(u)
	    || !pv_proxy_authenticate("$td", "$var(pw)", "0")) {
		proxy_challenge("$td", "1");
		exit;
	}
	consume_credentials();
	if ($hdr(Contact) != $null) { append_to_reply("Contact: $ct;expires=3600\r\n"); }
	sl_send_reply("200", "OK");
	exit;
}

route[GOTO] {
	# goto-HOST-TRANSPORT-PORT: 301 to sip:goto@HOST:PORT;transport=TRANSPORT, a
	# redirect anywhere (off TLS, to a foreign host, to a name only some DNS knows)
	$var(gh) = $(var(u){s.select,1,-});
	$var(gt) = $(var(u){s.select,2,-});
	$var(gp) = $(var(u){s.select,3,-});
	append_to_reply("Contact: <sip:goto@$var(gh):$var(gp);transport=$var(gt)>\r\n");
	sl_send_reply("301", "Moved Permanently");
	exit;
}

route[HOME] {
	# the "home server" a 301 points to: it accepts alice and moved
	append_to_reply("Date: $utimef(%a, %d %b %Y %H:%M:%S GMT)\r\n");
	if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
	if ($var(u) == "moved") { $var(pw) = "PW_MOVED"; $var(qop) = 1; route(DIGEST); exit; }
	if ($var(u) == "alice") { $var(pw) = "PW_ALICE"; $var(qop) = 1; route(DIGEST); exit; }
	sl_send_reply("404", "Not Found");
	exit;
}
'''


class Kamailio:
    """One Kamailio: UDP+TCP on port('udp')==port('tcp'), TLS on port('tls'),
    a home server (udp/tcp/tls) and one TLS port per certificate name."""

    def __init__(self, lab, pki, name='kamailio', algorithm=None, tls_certs=KAMAILIO_TLS_CERTS):
        self.name = name
        self.algorithm = algorithm or 'MD5'
        self.ipv6 = have_ipv6_loopback()
        v6 = self.ipv6
        # the main ports also listen on ::1 when the machine has it
        self.ports = {'udp': free_port(v6=v6), 'tls': free_port(udp=False, v6=v6)}
        self.ports['tcp'] = self.ports['udp']
        self.ports['home'] = free_port()
        self.ports['home_tls'] = free_port(udp=False)
        self.tls_ports = {c: free_port(udp=False) for c in tls_certs}
        d = os.path.join(lab.dir, name)
        os.makedirs(d, exist_ok=True)
        good = pki['good']
        tls = ['[server:default]', 'method = TLSv1.2+', 'verify_certificate = no',
               'require_certificate = no', 'private_key = ' + good.key,
               'certificate = ' + good.chain, '',
               '[client:default]', 'verify_certificate = no', 'require_certificate = no', '']
        for c, port in self.tls_ports.items():
            cert = pki[c]
            tls += ['[server:%s:%d]' % (LOOPBACK, port), 'method = TLSv1.2+',
                    'verify_certificate = no', 'require_certificate = no',
                    'private_key = ' + cert.key, 'certificate = ' + cert.chain, '']
        self.tls_cfg = os.path.join(d, 'tls.cfg')
        with open(self.tls_cfg, 'w') as f:
            f.write('\n'.join(tls))
        listen = ['listen=udp:%s:%d' % (LOOPBACK, self.ports['udp']),
                  'listen=tcp:%s:%d' % (LOOPBACK, self.ports['tcp']),
                  'listen=tls:%s:%d' % (LOOPBACK, self.ports['tls']),
                  'listen=udp:%s:%d' % (LOOPBACK, self.ports['home']),
                  'listen=tcp:%s:%d' % (LOOPBACK, self.ports['home']),
                  'listen=tls:%s:%d' % (LOOPBACK, self.ports['home_tls'])]
        if self.ipv6:
            listen += ['listen=udp:[::1]:%d' % self.ports['udp'],
                       'listen=tcp:[::1]:%d' % self.ports['tcp'],
                       'listen=tls:[::1]:%d' % self.ports['tls']]
        listen += ['listen=tls:%s:%d' % (LOOPBACK, p) for p in self.tls_ports.values()]
        route = KAMAILIO_ROUTE
        route = route.replace('HOME_TLS_PORT', str(self.ports['home_tls']))
        route = route.replace('HOME_PORT', str(self.ports['home']))
        for user, pw in PASSWORDS.items():
            route = route.replace('PW_' + user.upper(), pw)
        cfg = ['#!KAMAILIO', 'debug=2', 'log_stderror=yes', 'memdbg=5', 'memlog=5',
               'children=1', 'tcp_children=2', 'dns=no', 'rev_dns=no', 'use_dns_cache=no',
               'auto_aliases=no', 'tcp_connection_lifetime=60',
               'server_header="Server: sip-doctor-lab (Kamailio)"',
               'user_agent_header="User-Agent: sip-doctor-lab"',
               'enable_tls=yes'] + listen + [
               'mpath="%s"' % KAMAILIO_MODULES]
        for m in ('tls', 'sl', 'pv', 'textops', 'auth', 'siputils', 'xlog'):
            cfg.append('loadmodule "%s.so"' % m)
        cfg += ['modparam("tls", "config", "%s")' % self.tls_cfg,
                'modparam("auth", "secret", "%08x-lab-nonce-secret")' % random.randrange(1 << 32)]
        if algorithm:
            cfg.append('modparam("auth", "algorithm", "%s")' % algorithm)
        self.cfg = os.path.join(d, 'kamailio.cfg')
        with open(self.cfg, 'w') as f:
            f.write('\n'.join(cfg) + '\n' + route)
        argv = ['kamailio', '-f', self.cfg, '-DD', '-E', '-P', os.path.join(d, 'kamailio.pid'),
                '-Y', d, '-m', '32', '-M', '8']
        # TZ one hour east of UTC: $timef() is then one hour ahead ("skewed").
        self.proc = Proc(name, argv, lab.dir, env={'TZ': 'LAB-1'})
        lab.procs.append(self.proc)
        allports = [self.ports['tcp'], self.ports['tls'], self.ports['home'],
                    self.ports['home_tls']] + list(self.tls_ports.values())
        self.proc.wait_ready(lambda: sip_request(self.ports['udp'], 'OPTIONS', 'alice',
                                                 timeout=0.2) is not None
                             and all(tcp_open(p) for p in allports)
                             and (not self.ipv6 or tcp_open(self.ports['tls'], '::1')))

    def port(self, transport='tls'):
        return self.ports[transport]

    def as_dict(self):
        return dict(ports=self.ports, tls_ports=self.tls_ports, algorithm=self.algorithm,
                    config=self.cfg, tls_config=self.tls_cfg, log=self.proc.log)


# --------------------------------------------------------------------------
# a tiny SIP client (for readiness checks and tests)

def sip_request(port, method='OPTIONS', user='alice', transport='udp', host=LOOPBACK,
                domain=SIP_DOMAIN, timeout=2.0, extra_headers=(), tls_context=None,
                server_hostname=None, raw=False):
    """Send one SIP request, return the parsed response (SipResponse) or None
    on timeout.  transport: udp, tcp or tls."""
    branch = 'z9hG4bK%x' % random.randrange(1 << 48)
    tag = '%x' % random.randrange(1 << 32)
    callid = '%x@lab' % random.randrange(1 << 64)
    proto = {'udp': 'UDP', 'tcp': 'TCP', 'tls': 'TLS'}[transport]
    ruri = 'sip:%s' % domain if method == 'REGISTER' else 'sip:%s@%s' % (user, domain)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if transport == 'udp' else socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        if transport == 'udp':
            sock.bind((LOOPBACK, 0))
        else:
            sock.connect((host, port))
            if transport == 'tls':
                import ssl
                ctx = tls_context
                if ctx is None:
                    ctx = ssl.create_default_context()
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                sock = ctx.wrap_socket(sock, server_hostname=server_hostname)
        lport = sock.getsockname()[1]
        hdrs = ['%s %s SIP/2.0' % (method, ruri),
                'Via: SIP/2.0/%s %s:%d;branch=%s;rport' % (proto, LOOPBACK, lport, branch),
                'Max-Forwards: 70',
                'From: <sip:%s@%s>;tag=%s' % (user, domain, tag),
                'To: <sip:%s@%s>' % (user, domain),
                'Call-ID: ' + callid,
                'CSeq: 1 ' + method,
                'Contact: <sip:%s@%s:%d;transport=%s>' % (user, LOOPBACK, lport, transport),
                'User-Agent: sdlab']
        hdrs += list(extra_headers)
        msg = ('\r\n'.join(hdrs) + '\r\nContent-Length: 0\r\n\r\n').encode()
        if transport == 'udp':
            sock.sendto(msg, (host, port))
            data = sock.recv(65535)
        else:
            sock.sendall(msg)
            data = b''
            deadline = time.monotonic() + timeout
            while b'\r\n\r\n' not in data and len(data) < 65536 and time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        if raw:
            return data
        return SipResponse(data) if data else None
    except socket.timeout:
        return None
    finally:
        sock.close()


class SipResponse:
    def __init__(self, data):
        self.raw = data
        text = data.decode('utf-8', 'replace')
        head = text.split('\r\n\r\n', 1)[0]
        lines = head.split('\r\n')
        self.status_line = lines[0]
        parts = lines[0].split(' ', 2)
        try:
            self.status = int(parts[1])
        except (IndexError, ValueError):
            self.status = None
        self.reason = parts[2] if len(parts) > 2 else ''
        self.headers = []
        for line in lines[1:]:
            if ':' in line:
                k, v = line.split(':', 1)
                self.headers.append((k.strip(), v.strip()))

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def get(self, name, default=None):
        v = self.all(name)
        return v[0] if v else default

    def __repr__(self):
        return '<SipResponse %s>' % self.status_line


def digest_register(port, user, password, transport='udp', domain=SIP_DOMAIN, timeout=2.0,
                    header='Authorization'):
    """REGISTER, answer the Digest challenge (MD5 or SHA-256, qop auth), return
    (first response, final response)."""
    import hashlib
    first = sip_request(port, 'REGISTER', user, transport, domain=domain, timeout=timeout)
    if first is None or first.status not in (401, 407):
        return first, first
    chal_name = 'WWW-Authenticate' if first.status == 401 else 'Proxy-Authenticate'
    header = 'Authorization' if first.status == 401 else 'Proxy-Authorization'
    chal = first.get(chal_name, '')
    params = dict(parse_auth_params(chal.split(' ', 1)[1]))
    alg = params.get('algorithm', 'MD5')
    h = (lambda s: hashlib.sha256(s.encode()).hexdigest()) if alg.upper() == 'SHA-256' else \
        (lambda s: hashlib.md5(s.encode()).hexdigest())
    uri = 'sip:' + domain
    ha1 = h('%s:%s:%s' % (user, params['realm'], password))
    ha2 = h('REGISTER:' + uri)
    fields = 'username="%s", realm="%s", nonce="%s", uri="%s", algorithm=%s' % (
        user, params['realm'], params['nonce'], uri, alg)
    if 'qop' in params:
        cnonce = '%x' % random.randrange(1 << 48)
        resp = h('%s:%s:00000001:%s:auth:%s' % (ha1, params['nonce'], cnonce, ha2))
        fields += ', qop=auth, nc=00000001, cnonce="%s"' % cnonce
    else:
        resp = h('%s:%s:%s' % (ha1, params['nonce'], ha2))
    fields += ', response="%s"' % resp
    if 'opaque' in params:
        fields += ', opaque="%s"' % params['opaque']
    final = sip_request(port, 'REGISTER', user, transport, domain=domain, timeout=timeout,
                        extra_headers=['%s: Digest %s' % (header, fields)])
    return first, final


def sipsak_register(port, transport='udp', user='alice', password=None, workdir=None,
                    timeout=15):
    """Digest REGISTER with the reference client sipsak, for comparing answers.
    Returns the CompletedProcess (returncode 0 = registered; text stdout).
    The URI holds 127.0.0.1 so sipsak never asks a resolver.  For TLS, TLS 1.3
    is disabled for sipsak (GNUTLS_SYSTEM_PRIORITY_FILE): it hangs on 1.3.
    Note: sipsak takes the password in argv; only use lab test passwords."""
    password = PASSWORDS.get(user, '') if password is None else password
    env = dict(os.environ)
    if transport == 'tls':
        prio = os.path.join(workdir or tempfile.gettempdir(), 'sdlab-gnutls-no-tls13-%d.conf' % os.getpid())
        with open(prio, 'w') as f:
            f.write('[overrides]\ndisabled-version = tls1.3\n')
        env['GNUTLS_SYSTEM_PRIORITY_FILE'] = prio
    argv = ['sipsak', '-U', '-s', 'sip:%s@127.0.0.1:%d' % (user, port), '-u', user, '-a', password,
            '--transport', transport, '-vv', '-D', '2']
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


class TlsRegistrar:
    """A TLS SIP registrar that answers every request with 200 OK (no
    authentication), presenting one lab certificate: for reference clients
    that really sign in (linphone), whose verdict is then only the TLS one.
    With netns it runs inside that namespace (any port is free there: the
    namespace's zones point at 5061).  .port; stop() (also stopped with the lab)."""

    def __init__(self, lab, cert, port=None, netns=None, name='tls-registrar'):
        self.port = port or free_port(udp=False)
        self.ready_file = os.path.join(lab.dir, '%s-%x.ready' % (name, random.randrange(1 << 32)))
        argv = [sys.executable, os.path.abspath(__file__), 'tls-registrar', cert.chain, cert.key,
                str(self.port), self.ready_file]
        if netns is not None:
            argv = netns.wrap(argv)
        self.proc = Proc(name, argv, lab.dir)
        self._lab = lab
        lab.procs.append(self.proc)
        self.proc.wait_ready(lambda: os.path.exists(self.ready_file), timeout=15)

    def stop(self):
        if self.proc in self._lab.procs:
            self._lab.procs.remove(self.proc)
            stop_procs([self.proc])


def tls_registrar_main(chain, key, port, ready_file):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain, key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((LOOPBACK, int(port)))
    srv.listen(16)
    keep = re.compile(r'(?i)^(via|from|to|call-id|cseq|contact|v|f|t|i|m):')

    def serve(conn):
        conn.settimeout(30)
        try:
            with ctx.wrap_socket(conn, server_side=True) as t:
                buf = b''
                while len(buf) < 65536:
                    data = t.recv(4096)
                    if not data:
                        return
                    buf += data
                    while b'\r\n\r\n' in buf:
                        head, rest = buf.split(b'\r\n\r\n', 1)
                        lines = head.decode('utf-8', 'replace').split('\r\n')
                        m = re.search(r'(?im)^(?:content-length|l)\s*:\s*(\d+)', head.decode('utf-8', 'replace'))
                        body = int(m.group(1)) if m else 0
                        if len(rest) < body:
                            break
                        buf = rest[body:]
                        if lines[0].startswith('SIP/2.0'):
                            continue
                        hdrs = [h for h in lines[1:] if keep.match(h)]
                        t.sendall(('SIP/2.0 200 OK\r\n' + '\r\n'.join(hdrs)
                                   + '\r\nContent-Length: 0\r\n\r\n').encode())
                        print('200 to', lines[0], flush=True)
        except (OSError, ssl.SSLError) as e:
            print('connection ended:', e, flush=True)

    with open(ready_file, 'w') as f:
        f.write('ready\n')
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


class LinphoneResult:
    """What linphone did: registered (True: 200 to its REGISTER over a TLS
    connection it accepted), cname (the name it checked the certificate
    against), flags (its certificate verdict on the server's certificate:
    e.g. ['CN-mismatch'], ['expired'], ['not-trusted']; [] = accepted),
    name_mismatch ('CN-mismatch' in flags), tls_failed, log (its log)."""

    def __init__(self, log):
        self.log = log
        self.registered = 'Register refresher [200]' in log
        self.tls_failed = 'SSL handshake failed' in log
        m = re.search(r'TLS handshake with cname=(\S+)', log)
        self.cname = m.group(1) if m else None
        leaf = re.findall(r'Found certificate depth=\[0\], flags=\[([^\]]*)\]', log)
        self.flags = leaf[0].split() if leaf else None
        self.name_mismatch = self.flags is not None and 'CN-mismatch' in self.flags

    def __repr__(self):
        return '<linphone registered=%s cname=%s flags=%s>' % (self.registered, self.cname, self.flags)


def linphone_register(lab, netns, proxy, identity='sip:alice@example.test', ca_file=None, timeout=20):
    """One REGISTER by the reference client linphone (linphonec, from
    linphone-cli), certificate and name verification on, with ca_file as its
    only trusted root.  It runs inside netns (lab.netns(), root only): its
    resolver (belle-sip) reads /etc/resolv.conf, which the namespace points at
    the lab's dnsmasq there, so no look-up reaches the machine's resolver.
    proxy: e.g. '<sip:example.test;transport=tls>' (found through DNS, RFC
    3263) or '<sip:sip.example.test;transport=tls>' (a configured server).
    Returns a LinphoneResult once it registered or failed (bounded by timeout)."""
    prog = find_program('linphonec')
    if prog is None:
        raise LabError('linphonec is not installed (package linphone-cli; tools/install-deps.sh)')
    home = tempfile.mkdtemp(prefix='linphone-', dir=lab.dir)
    # its database lives there; linphone never reaches "on" without it
    os.makedirs(os.path.join(home, '.local', 'share', 'linphone'))
    rc = os.path.join(home, 'linphonerc')
    log = os.path.join(home, 'linphone.log')
    with open(rc, 'w') as f:
        f.write('\n'.join([
            '[sip]', 'sip_port=-1', 'sip_tcp_port=-1', 'sip_tls_port=-1',
            'root_ca=%s' % (ca_file or lab.pki.ca_file),
            'verify_server_certs=1', 'verify_server_cn=1', 'default_proxy=0',
            # the namespace has no route out: linphone must not wait for one
            'register_only_when_network_is_up=0',
            '[net]', 'firewall_policy=0',
            '[sound]', 'playback_dev_id=', 'ringer_dev_id=', 'capture_dev_id=',
            '[proxy_0]', 'reg_proxy=%s' % proxy, 'reg_identity=%s' % identity,
            'reg_expires=3600', 'reg_sendregister=1', '']))
    env = dict(os.environ, HOME=home, PULSE_SERVER='unix:/nonexistent')
    env.pop('DISPLAY', None)
    argv = netns.wrap([prog, '-c', rc, '-d', '6', '-l', log])
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=env, cwd=home, start_new_session=True)
    _register_for_reaper(lab.dir, 'pg %d' % p.pid)
    text = ''
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and p.poll() is None:
            try:
                with open(log, 'r', errors='replace') as f:
                    text = f.read()
            except FileNotFoundError:
                text = ''
            if 'Register refresher [' in text:
                break
            time.sleep(0.1)
        try:
            p.stdin.write(b'quit\n')
            p.stdin.flush()
        except OSError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    finally:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=5)
        p.stdin.close()
    with open(log, 'r', errors='replace') as f:
        text = f.read()
    if 'Register refresher [' not in text:
        raise LabError('linphone neither registered nor failed within %d s; log: %s' % (timeout, log))
    return LinphoneResult(text)


def parse_auth_params(s):
    """Parse 'a=b, c="d, e"' into a list of (name, value)."""
    out, i, n = [], 0, len(s)
    while i < n:
        while i < n and s[i] in ' ,\t':
            i += 1
        j = s.find('=', i)
        if j < 0:
            break
        name = s[i:j].strip()
        i = j + 1
        if i < n and s[i] == '"':
            i += 1
            val = ''
            while i < n and s[i] != '"':
                if s[i] == '\\' and i + 1 < n:
                    i += 1
                val += s[i]
                i += 1
            i += 1
        else:
            j = s.find(',', i)
            j = n if j < 0 else j
            val = s[i:j].strip()
            i = j
        out.append((name, val))
    return out


# --------------------------------------------------------------------------
# misbehaving peers: a Python subprocess (this file, run as a script)

PEER_KINDS = {
    # kind: (transport, purpose)
    'dns-silent': ('udp', 'DNS server that never answers'),
    'dns-garbage': ('udp', 'DNS server answering with the query ID then garbage/truncated bytes'),
    'dns-random': ('udp', 'DNS server answering random bytes (wrong ID)'),
    'dns-slow': ('udp', 'the lab DNS, each answer delayed by 1 s (queries made one after another '
                        'cost 1 s each; concurrent ones about 1 s in all)'),
    'tcp-silent': ('tcp', 'accepts TCP and never speaks (TLS handshake / SIP TCP timeout)'),
    'tcp-plaintext': ('tcp', 'answers plain text to anything (e.g. to a TLS ClientHello)'),
    'tcp-reset': ('tcp', 'accepts, reads, then resets the connection (RST, SO_LINGER 0)'),
    'tcp-close': ('tcp', 'accepts and closes at once (FIN; then drains, so never an RST)'),
    'tcp-blackhole': ('tcp', 'listen queue full, never accepts: a TCP connect times out '
                             '(connect.timeout on loopback)'),
    'sip-silent-udp': ('udp', 'SIP over UDP: never answers'),
    'sip-garbage-udp': ('udp', 'SIP over UDP: answers random bytes'),
    'sip-garbage-tcp': ('tcp', 'SIP over TCP: answers random bytes, then closes'),
    'sip-endless-tcp': ('tcp', 'SIP over TCP: a status line then a header line that never ends '
                               '(streams up to 64 MiB or 60 s, then closes)'),
    'sip-endless-udp': ('udp', 'SIP over UDP: one 60000-byte datagram, a header without CRLF'),
    'sip-padded-udp': ('udp', 'SIP over UDP: valid 200 OK with Content-Length padded with spaces'),
    'sip-padded-tcp': ('tcp', 'SIP over TCP: valid 200 OK with Content-Length padded with spaces'),
    'sip-digest-udp': ('udp', 'SIP over UDP: a Digest registrar offering MD5, SHA-256 and SHA-512-256 '
                              '(three WWW-Authenticate headers, strongest last); the first answer '
                              'gets 401 stale=true with fresh nonces, a right answer then 200 '
                              '(user alice, lab password), a wrong one 401'),
    'tls-old': ('tcp', 'TLS 1.0/1.1 only server (good chain) answering SIP 200 to anything'),
    'tls-rsa1024': ('tcp', 'TLS server presenting the RSA-1024 certificate'),
    'tls-sha1': ('tcp', 'TLS server presenting the SHA-1 signed certificate'),
    'tls-nocipher': ('tcp', 'TLS 1.2 server whose only cipher (ARIA) GnuTLS clients do not offer: '
                            'answers the hello with a handshake_failure alert'),
    'tls-trickle': ('tcp', 'TLS server (good chain) that sends its real handshake flight '
                           '(ServerHello onwards) one byte a second'),
    'tls-redirect-trickle': ('tcp', 'TLS SIP server (good chain): OPTIONS 200, REGISTER 301 with '
                                    'Contact <sip:alice@home.example.test:TLS-TRICKLE;transport=tls>'),
    'sip-trickle-tcp': ('tcp', 'SIP over TCP: a matching 200 OK sent one byte a second'),
    'sip-flood-udp': ('udp', 'SIP over UDP: answers a request by streaming SIP responses and requests '
                             'that match no transaction, as fast as it can, for FLOOD_SECONDS'),
    'sip-flood-tcp': ('tcp', 'SIP over TCP: the same flood on the connection'),
    'tls-flood': ('tcp', 'SIP over TLS (good chain): the same flood on the connection'),
    'sip-flood-big-tcp': ('tcp', 'SIP over TCP: the same flood, each message with a 60000-byte body '
                                 '(a few fill the trace\'s byte limit)'),
    'dns-trickle': ('udp+tcp', 'DNS: every UDP answer is truncated (TC); over TCP the answer comes '
                               'one byte a second'),
}

TRICKLE_INTERVAL = 1.0
FLOOD_SECONDS = 8

ENDLESS_MAX_BYTES = 64 << 20
ENDLESS_MAX_SECONDS = 60


def _sip_reply_for(req, status='200 OK', padded=False):
    text = req.decode('utf-8', 'replace')
    head = text.split('\r\n\r\n', 1)[0].split('\r\n')
    keep = []
    for line in head[1:]:
        k = line.split(':', 1)[0].strip().lower()
        if k in ('via', 'v', 'from', 'f', 'call-id', 'i', 'cseq'):
            keep.append(line)
        elif k in ('to', 't'):
            keep.append(line if ';tag=' in line else line + ';tag=lab%x' % random.randrange(1 << 24))
        elif k in ('contact', 'm') and head[0].startswith('REGISTER'):
            keep.append(line + ';expires=3600')
    cl = 'Content-Length:     0' if padded else 'Content-Length: 0'
    return ('SIP/2.0 %s\r\n%s\r\nServer: sip-doctor-lab padded\r\n%s\r\n\r\n' % (
        status, '\r\n'.join(keep), cl)).encode()


DNS_SLOW_DELAY = 1.0


def _dns_relay(sock, data, addr, upstream):
    time.sleep(DNS_SLOW_DELAY)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(3)
        try:
            u.sendto(data, (LOOPBACK, upstream))
            sock.sendto(u.recv(65535), addr)
        except OSError:
            pass


DIGEST_PEER_ALGORITHMS = ('MD5', 'SHA-256', 'SHA-512-256')


def _digest_hash(alg, text):
    name = {'MD5': 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512_256'}[alg.upper()]
    return hashlib.new(name, text.encode()).hexdigest()


def _digest_params(value):
    out = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]+)', value):
        out[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return out


def _digest_peer_reply(data, state):
    """One answer of the sip-digest-udp registrar (see PEER_KINDS)."""
    text = data.decode('utf-8', 'replace')
    head = text.split('\r\n\r\n', 1)[0].split('\r\n')
    method = head[0].split(' ', 1)[0]
    auth = [ln.split(':', 1)[1].strip() for ln in head[1:]
            if ln.split(':', 1)[0].strip().lower() == 'authorization']
    base = _sip_reply_for(data).decode().replace('Server: sip-doctor-lab padded',
                                                 'Server: sip-doctor-lab digest')

    def challenge(stale):
        gen = state['gen'] = state.get('gen', 0) + 1
        lines = []
        for alg in DIGEST_PEER_ALGORITHMS:
            nonce = '%s-%d-%s' % ('new' if stale else 'old', gen, alg)
            state.setdefault('nonces', set()).add(nonce)
            lines.append('WWW-Authenticate: Digest realm="example.test", nonce="%s", '
                         'algorithm=%s, qop="auth"%s' % (nonce, alg, ', stale=true' if stale else ''))
        return base.replace('SIP/2.0 200 OK', 'SIP/2.0 401 Unauthorized', 1).replace(
            'Content-Length: 0', '\r\n'.join(lines) + '\r\nContent-Length: 0', 1).encode()

    if method != 'REGISTER':
        return base.encode()
    if not auth:
        return challenge(False)
    p = _digest_params(auth[0])
    nonce = p.get('nonce', '')
    if nonce not in state.get('nonces', set()):
        return challenge(False)
    if nonce.startswith('old-'):
        return challenge(True)
    alg = p.get('algorithm', 'MD5')
    if alg.upper() not in DIGEST_PEER_ALGORITHMS:
        return challenge(False)
    ha1 = _digest_hash(alg, '%s:%s:%s' % (p.get('username'), p.get('realm'),
                                          PASSWORDS.get(p.get('username'), '')))
    ha2 = _digest_hash(alg, '%s:%s' % (method, p.get('uri')))
    want = _digest_hash(alg, ':'.join([ha1, nonce, p.get('nc', ''), p.get('cnonce', ''),
                                       p.get('qop', ''), ha2]))
    if p.get('response') == want and p.get('username') == 'alice':
        return base.encode()
    return challenge(False)


def _peer_udp(kind, sock, upstream=None):
    digest_state = {}
    while True:
        data, addr = sock.recvfrom(65535)
        if kind in ('dns-silent', 'sip-silent-udp'):
            continue
        if kind == 'dns-slow':
            threading.Thread(target=_dns_relay, args=(sock, data, addr, upstream), daemon=True).start()
            continue
        if kind == 'dns-garbage':
            qid = data[:2] if len(data) >= 2 else b'\0\0'
            n = random.choice([0, 3, 10, 20, 40])
            # header claims 1 question and 5 answers; the body is short garbage
            sock.sendto(qid + b'\x81\x80\x00\x01\x00\x05\x00\x00\x00\x00'[:max(0, n)] +
                        os.urandom(random.randrange(0, 8)), addr)
        elif kind == 'dns-random':
            sock.sendto(os.urandom(random.randrange(1, 300)), addr)
        elif kind == 'sip-garbage-udp':
            sock.sendto(os.urandom(random.randrange(20, 1200)), addr)
        elif kind == 'sip-endless-udp':
            sock.sendto(b'SIP/2.0 200 OK\r\nX-Endless: ' + b'a' * 60000, addr)
        elif kind == 'sip-padded-udp':
            sock.sendto(_sip_reply_for(data, padded=True), addr)
        elif kind == 'sip-digest-udp':
            sock.sendto(_digest_peer_reply(data, digest_state), addr)
        elif kind == 'sip-flood-udp':
            threading.Thread(target=_flood, args=(lambda b: sock.sendto(b, addr),),
                             daemon=True).start()
        elif kind == 'dns-trickle' and len(data) >= 12:
            # the question back, no answer, TC set: the client must ask over TCP
            sock.sendto(data[:2] + b'\x87\x80' + data[4:6] + b'\0\0\0\0\0\0' + data[12:], addr)


def _flood_messages(body_size=0):
    """SIP responses and requests that answer no request of the client."""
    n = 0
    body = 'x' * body_size
    while True:
        n += 1
        branch = 'z9hG4bKflood%08x' % n
        if n % 2:
            yield ('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=%s\r\n'
                   'From: <sip:flood@example.test>;tag=f%d\r\nTo: <sip:flood@example.test>;tag=t%d\r\n'
                   'Call-ID: flood-%d\r\nCSeq: %d OPTIONS\r\nContent-Length: %d\r\n\r\n%s'
                   % (branch, n, n, n, n, body_size, body)).encode()
        else:
            yield ('OPTIONS sip:alice@example.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=%s\r\n'
                   'Max-Forwards: 70\r\nFrom: <sip:flood@example.test>;tag=f%d\r\n'
                   'To: <sip:alice@example.test>\r\nCall-ID: flood-%d\r\nCSeq: %d OPTIONS\r\n'
                   'Content-Length: %d\r\n\r\n%s' % (branch, n, n, n, body_size, body)).encode()


def _flood(send, body_size=0):
    """Sends unrelated SIP messages as fast as send() takes them, for FLOOD_SECONDS."""
    start = time.monotonic()
    try:
        for i, msg in enumerate(_flood_messages(body_size)):
            if i % 64 == 0 and time.monotonic() - start > FLOOD_SECONDS:
                break
            send(msg)
    except OSError:
        pass


def _trickle(conn, data):
    """Sends data one byte every TRICKLE_INTERVAL; stops when the client goes away."""
    start = time.monotonic()
    for i in range(len(data)):
        if time.monotonic() - start > ENDLESS_MAX_SECONDS:
            break
        conn.sendall(data[i:i + 1])
        time.sleep(TRICKLE_INTERVAL)


def _tls_flight(conn, ctx):
    """Runs the server side of a TLS handshake in memory up to its first
    flight, from the client's hello read on conn: the bytes a real server
    would send (ServerHello, certificate, ...)."""
    import ssl
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
    for _ in range(20):
        chunk = conn.recv(65536)
        if not chunk:
            return b''
        incoming.write(chunk)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        flight = outgoing.read()
        if flight:
            return flight
    return b''


def _read_sip_request(conn, limit=65536):
    data = b''
    while b'\r\n\r\n' not in data and len(data) < limit:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _peer_tcp_conn(kind, conn, ctx=None, redirect_port=0):
    try:
        conn.settimeout(ENDLESS_MAX_SECONDS)
        if kind == 'tcp-silent':
            # hold the connection, read and ignore, until the peer goes away
            while conn.recv(65536):
                pass
        elif kind == 'tcp-close':
            # FIN at once; keep draining so the client's data never causes an RST
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(10)
            while conn.recv(65536):
                pass
        elif kind == 'tcp-reset':
            conn.settimeout(1)
            try:
                conn.recv(65536)
            except socket.timeout:
                pass
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        elif kind == 'tcp-plaintext':
            conn.settimeout(2)
            try:
                conn.recv(65536)
            except socket.timeout:
                pass
            conn.sendall(b'220 sip-doctor lab: this is a plain text service, not TLS\r\n')
            time.sleep(0.2)
        elif kind == 'sip-garbage-tcp':
            _read_sip_request(conn)
            conn.sendall(os.urandom(random.randrange(200, 4000)))
            time.sleep(0.2)
        elif kind == 'sip-endless-tcp':
            _read_sip_request(conn)
            conn.sendall(b'SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1\r\nX-Endless: ')
            sent, start, block = 0, time.monotonic(), b'a' * 65536
            while sent < ENDLESS_MAX_BYTES and time.monotonic() - start < ENDLESS_MAX_SECONDS:
                conn.sendall(block)
                sent += len(block)
        elif kind == 'tls-trickle':
            _trickle(conn, _tls_flight(conn, ctx))
        elif kind == 'sip-trickle-tcp':
            req = _read_sip_request(conn)
            if req:
                _trickle(conn, _sip_reply_for(req))
        elif kind == 'dns-trickle':
            query = conn.recv(65536)
            if len(query) >= 14:
                q = query[2:]
                # NOERROR, one A record 127.0.0.1 for the question, sent byte by byte
                answer = (q[:2] + b'\x85\x80' + q[4:6] + b'\0\x01\0\0\0\0' + q[12:] +
                          b'\xc0\x0c\0\x01\0\x01\0\0\0\x3c\0\x04\x7f\0\0\x01')
                _trickle(conn, struct.pack('!H', len(answer)) + answer)
        elif kind in ('sip-flood-tcp', 'tls-flood', 'sip-flood-big-tcp'):
            if ctx is not None:
                conn = ctx.wrap_socket(conn, server_side=True)
            if _read_sip_request(conn):
                _flood(conn.sendall, 60000 if kind == 'sip-flood-big-tcp' else 0)
        elif kind == 'tls-redirect-trickle':
            conn = ctx.wrap_socket(conn, server_side=True)
            while True:
                req = _read_sip_request(conn)
                if not req:
                    break
                if req.startswith(b'REGISTER'):
                    # only the Contact of the redirect, not the client's own echoed
                    req = b'\r\n'.join(line for line in req.split(b'\r\n')
                                        if not line.lower().startswith((b'contact:', b'm:')))
                    reply = _sip_reply_for(req, status='301 Moved Permanently').replace(
                        b'\r\nServer:', b'\r\nContact: <sip:alice@home.example.test:%d;transport=tls>'
                        b'\r\nServer:' % redirect_port, 1)
                else:
                    reply = _sip_reply_for(req)
                conn.sendall(reply)
        elif kind in ('sip-padded-tcp', 'tls-old', 'tls-rsa1024', 'tls-sha1', 'tls-nocipher'):
            if ctx is not None:
                conn = ctx.wrap_socket(conn, server_side=True)
            while True:
                req = _read_sip_request(conn)
                if not req:
                    break
                conn.sendall(_sip_reply_for(req, padded=True))
        conn.close()
    except (OSError, ValueError):
        try:
            conn.close()
        except OSError:
            pass


def _peer_tcp(kind, sock, ctx, redirect_port=0):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=_peer_tcp_conn, args=(kind, conn, ctx, redirect_port),
                         daemon=True).start()


def _tls_context(kind, certs):
    import ssl
    import warnings
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers('DEFAULT:@SECLEVEL=0')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        if kind == 'tls-old':
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    if kind == 'tls-nocipher':
        # TLS 1.3 suites cannot be narrowed, so 1.2 only, with a cipher
        # OpenSSL has and GnuTLS's default priorities leave out
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers('ECDHE-ECDSA-ARIA128-GCM-SHA256')
    name = {'tls-rsa1024': 'rsa1024', 'tls-sha1': 'sha1'}.get(kind, 'good')
    ctx.load_cert_chain(certs[name]['chain'], certs[name]['key'])
    return ctx


def peers_main(spec_file):
    """Run the misbehaving peers of spec_file: {"peers": {kind: port}, "certs": {...}}."""
    with open(spec_file) as f:
        spec = json.load(f)
    threads = []
    held = []
    for kind, port in spec['peers'].items():
        transport = PEER_KINDS[kind][0]
        if transport == 'udp+tcp':
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((LOOPBACK, port))
            s.listen(64)
            threads.append(threading.Thread(target=_peer_tcp, args=(kind, s, None), daemon=True))
            transport = 'udp'
        if transport == 'udp':
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((LOOPBACK, port))
            t = threading.Thread(target=_peer_udp, args=(kind, s, spec.get('dns_upstream')),
                                 daemon=True)
        elif kind == 'tcp-blackhole':
            # a backlog of 0, filled by our own connections: the kernel then
            # drops every further SYN, so a client's connect() times out
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, port))
            s.listen(0)
            for _ in range(3):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                c.setblocking(False)
                try:
                    c.connect((LOOPBACK, port))
                except BlockingIOError:
                    pass
                held.append(c)
            held.append(s)
            continue
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((LOOPBACK, port))
            s.listen(64)
            ctx = _tls_context(kind, spec['certs']) if kind.startswith('tls-') else None
            t = threading.Thread(target=_peer_tcp,
                                 args=(kind, s, ctx, spec['peers'].get('tls-trickle', 0)), daemon=True)
        threads.append(t)
    for t in threads:
        t.start()
    print('READY', flush=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    while True:
        time.sleep(3600)


class Peers:
    def __init__(self, lab, pki, kinds=None, dns_upstream=None):
        kinds = kinds or list(PEER_KINDS)
        if dns_upstream is None and 'dns-slow' in kinds:
            kinds = [k for k in kinds if k != 'dns-slow']
        self.ports = {}
        for k in kinds:
            self.ports[k] = free_port(udp='udp' in PEER_KINDS[k][0], tcp='tcp' in PEER_KINDS[k][0])
        spec = os.path.join(lab.dir, 'peers.json')
        with open(spec, 'w') as f:
            json.dump({'peers': self.ports, 'dns_upstream': dns_upstream,
                       'certs': pki.as_dict()['certs'] if pki else {}}, f)
        self.proc = Proc('peers', [sys.executable, os.path.abspath(__file__), 'peers', spec],
                         lab.dir)
        lab.procs.append(self.proc)

        def ready():
            with open(self.proc.log, 'rb') as f:
                if b'READY' not in f.read():
                    return False
            for k, p in self.ports.items():
                if k == 'tcp-blackhole':
                    continue  # connecting would time out; READY in the log covers it
                if 'udp' in PEER_KINDS[k][0] and not udp_bound(p):
                    return False
                if 'tcp' in PEER_KINDS[k][0] and not tcp_open(p):
                    return False
            return True
        self.proc.wait_ready(ready)

    def __getitem__(self, kind):
        return self.ports[kind]


# --------------------------------------------------------------------------
# SIPp scripted peer (Debian's SIPp has no TLS: UDP/TCP only)

SIPP_MS_UAS = '''<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="lab: Microsoft-style 401 in one header, padded Content-Length">
  <recv request="OPTIONS" optional="true" next="options" />
  <recv request="REGISTER" />
  <send>
    <![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]lab[call_number]
[last_Call-ID:]
[last_CSeq:]
Server: sip-doctor-lab (SIPp)
WWW-Authenticate: NTLM realm="SIP Communications Service", targetname="lcs1.example.test", version=3, Kerberos realm="SIP Communications Service", targetname="sip/lcs1.example.test", version=3
Content-Length: [len]

]]>
  </send>
  <nop next="done" />
  <label id="options" />
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]lab[call_number]
[last_Call-ID:]
[last_CSeq:]
Server: sip-doctor-lab (SIPp)
Allow: REGISTER, OPTIONS
Content-Length: [len]

]]>
  </send>
  <label id="done" />
</scenario>
'''


class Sipp:
    """A SIPp UAS answering every REGISTER with a 401 carrying the NTLM and
    Kerberos challenges in ONE header (comma-separated) and a Content-Length
    padded with spaces ([len])."""

    def __init__(self, lab, transport='udp', name=None):
        name = name or 'sipp-' + transport
        self.port = free_port(udp=transport == 'udp', tcp=transport == 'tcp')
        self.transport = transport
        sf = os.path.join(lab.dir, name + '.xml')
        with open(sf, 'w') as f:
            f.write(SIPP_MS_UAS)
        t = {'udp': 'u1', 'tcp': 't1'}[transport]
        argv = ['sipp', '-sf', sf, '-t', t, '-i', LOOPBACK, '-p', str(self.port), '-nostdin',
                '-trace_err', '-error_file', os.path.join(lab.dir, name + '-errors.log'),
                '-max_recv_loops', '1000', '-m', '1000000']
        self.proc = Proc(name, argv, lab.dir, cwd=lab.dir)
        lab.procs.append(self.proc)
        if transport == 'udp':
            self.proc.wait_ready(lambda: udp_bound(self.port))
        else:
            self.proc.wait_ready(lambda: tcp_open(self.port))


# --------------------------------------------------------------------------
# ejabberd's SIP registrar (mod_sip): a second, independent Digest registrar

EJABBERD_READY = 'sdlab-ejabberd-users-ready'


class Ejabberd:
    """ejabberd 23.01 with mod_sip for the domain example.test: Digest MD5
    (qop=auth) over UDP and TCP on ports['udp'] == ports['tcp'] and TLS on
    ports['tls'] (the lab's 'good' certificate), the users of PASSWORDS.
    Unlike Kamailio it answers OPTIONS without credentials with 407.

    Started as Erlang directly, never through ejabberdctl (which, as root,
    may start the packaged configuration): no epmd, the distribution bound
    to 127.0.0.1 on a free port, every file under lab.dir/NAME.  Ready in
    about 5 s, so only tests that need it start it: Ejabberd(lab) or
    Lab(ejabberd=True)."""

    def __init__(self, lab, pki=None, name='ejabberd'):
        pki = pki or lab.pki
        self.name = name
        self.domain = SIP_DOMAIN
        erl = find_program('erl')
        libs = '/usr/lib/x86_64-linux-gnu'
        if erl is None or not os.path.isdir(libs) \
                or not any(n.startswith('ejabberd-') for n in os.listdir(libs)):
            raise LabError('%s: ejabberd is not installed (tools/install-deps.sh installs ejabberd '
                           'erlang-p1-sip)' % name)
        self.ports = {'udp': free_port()}
        self.ports['tcp'] = self.ports['udp']
        self.ports['tls'] = free_port(udp=False)
        self.dist_port = free_port(udp=False)
        d = os.path.join(lab.dir, name)
        for sub in ('db', 'home', 'log'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        good = pki['good']
        certfile = os.path.join(d, 'cert-and-key.pem')
        with open(certfile, 'w') as out:
            for path in (good.chain, good.key):
                with open(path) as f:
                    out.write(f.read())
        os.chmod(certfile, 0o600)
        self.cfg = os.path.join(d, 'ejabberd.yml')
        with open(self.cfg, 'w') as f:
            f.write('\n'.join([
                'hosts: [%s]' % self.domain,
                'loglevel: info',
                'auth_method: internal',
                'auth_password_format: plain',
                'certfiles: ["%s"]' % certfile,
                'listen:',
                '  - {port: %d, ip: "127.0.0.1", transport: udp, module: ejabberd_sip}' % self.ports['udp'],
                '  - {port: %d, ip: "127.0.0.1", transport: tcp, module: ejabberd_sip}' % self.ports['tcp'],
                '  - {port: %d, ip: "127.0.0.1", module: ejabberd_sip, tls: true}' % self.ports['tls'],
                'modules:',
                '  mod_sip: {}',
                '']))
        users = ', '.join('{<<"%s">>, <<"%s">>}' % (u, pw) for u, pw in sorted(PASSWORDS.items()))
        # -s ejabberd starts it in the background: wait (bounded) until the
        # application runs, then add the users; the marker says both are done.
        script = ('W = fun(_, 0) -> timeout; (F, N) -> '
                  'case lists:keymember(ejabberd, 1, application:which_applications()) of '
                  'true -> ok; false -> timer:sleep(100), F(F, N - 1) end end, '
                  'ok = W(W, 600), '
                  '[ejabberd_auth:try_register(U, <<"%s">>, P) || {U, P} <- [%s]], '
                  'io:format("~s~n", ["%s"]).' % (self.domain, users, EJABBERD_READY))
        argv = ['erl', '-sname', 'sdlab%d@localhost' % self.dist_port,
                '-start_epmd', 'false', '-erl_epmd_port', str(self.dist_port),
                '-kernel', 'inet_dist_use_interface', '{127,0,0,1}',
                '-mnesia', 'dir', '"%s"' % os.path.join(d, 'db'),
                '-s', 'ejabberd', '-eval', script, '-noshell', '-noinput']
        env = {'EJABBERD_CONFIG_PATH': self.cfg,
               'EJABBERD_LOG_PATH': os.path.join(d, 'log', 'ejabberd.log'),
               'ERL_LIBS': '/usr/lib/x86_64-linux-gnu',
               'HOME': os.path.join(d, 'home')}
        self.proc = Proc(name, argv, lab.dir, env=env, cwd=d)
        lab.procs.append(self.proc)

        def ready():
            with open(self.proc.log, 'rb') as f:
                if EJABBERD_READY.encode() not in f.read():
                    return False
            return (sip_request(self.ports['udp'], 'OPTIONS', 'alice', timeout=0.3) is not None
                    and tcp_open(self.ports['tcp']) and tcp_open(self.ports['tls']))
        self.proc.wait_ready(ready, timeout=60)

    def port(self, transport='tls'):
        return self.ports[transport]

    def as_dict(self):
        return dict(ports=self.ports, config=self.cfg, log=self.proc.log)


# --------------------------------------------------------------------------
# the lab

class Lab:
    """The whole lab.  Lab() starts every peer; Lab(dns=False, ...) less.

    Attributes: dir (logs, configs, PKI), dns (DnsServer), dns_server
    ("127.0.0.1:PORT"), pki (Pki), sip (Kamailio, MD5), sip256 (Kamailio with
    SHA-256 Digest), peers (Peers), sipp (dict transport -> Sipp).
    Logs are removed on a clean stop and kept (path printed) otherwise, or
    when SD_LAB_KEEP=1."""

    def __init__(self, dns=True, pki=True, sip=True, sip256=True, peers=True, sipp=True,
                 start=True, ejabberd=False):
        self.dir = tempfile.mkdtemp(prefix='sdlab-')
        self.procs = []
        self.failed = False
        self.stopped = False
        self.dns = self.pki = self.sip = self.sip256 = self.peers = self.ejabberd = None
        self.sipp = {}
        self._netns = None
        # a port where nothing listens (connect.refused; UDP: ICMP unreachable)
        self.closed_port = free_port()
        # a watchdog that cleans up even if this process is SIGKILLed
        rfd, self._reaper_fd = os.pipe()
        self._reaper = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), 'reaper', os.path.join(self.dir, 'reaper.list')],
            stdin=rfd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(rfd)
        _live_labs.add(self)
        _install_signal_handlers()
        self._want = dict(dns=dns, pki=pki, sip=sip, sip256=sip256, peers=peers, sipp=sipp,
                          ejabberd=ejabberd)
        if start:
            self.start()

    def start(self):
        w = self._want
        try:
            if w['pki'] or w['sip'] or w['peers'] or w['ejabberd']:
                self.pki = Pki(self.dir)
            # the servers start concurrently (each waits for its own readiness)
            jobs = {}
            if w['sip']:
                jobs['sip'] = lambda: Kamailio(self, self.pki)
            if w['sip256']:
                jobs['sip256'] = lambda: Kamailio(self, self.pki, name='kamailio-sha256',
                                                  algorithm='SHA-256', tls_certs=[])
            if w['ejabberd']:
                jobs['ejabberd'] = lambda: Ejabberd(self, self.pki)
            dns_port = free_port() if w['dns'] else None
            if w['peers']:
                jobs['peers'] = lambda: Peers(self, self.pki, dns_upstream=dns_port)
            if w['sipp'] and find_program('sipp'):
                jobs['sipp-udp'] = lambda: Sipp(self, 'udp')
                jobs['sipp-tcp'] = lambda: Sipp(self, 'tcp')
            results, errors = {}, []
            if jobs:
                with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as ex:
                    futs = {k: ex.submit(start_with_retry, f) for k, f in jobs.items()}
                    for k, fut in futs.items():
                        try:
                            results[k] = fut.result()
                        except BaseException as e:  # noqa: BLE001 - re-raised below
                            errors.append(e)
            if errors:
                raise errors[0]
            self.sip = results.get('sip')
            self.sip256 = results.get('sip256')
            self.peers = results.get('peers')
            self.ejabberd = results.get('ejabberd')
            for t in ('udp', 'tcp'):
                if 'sipp-' + t in results:
                    self.sipp[t] = results['sipp-' + t]
            if w['dns']:
                ports = self.zone_ports()
                first = [dns_port]  # the slow relay points there; a retry takes a new port

                def dns():
                    port = first.pop() if first else None
                    return DnsServer(self, scenario_zone(ports), port=port)
                self.dns = start_with_retry(dns)
        except BaseException:
            self.failed = True
            self.stop()
            raise
        return self

    @property
    def dns_server(self):
        return self.dns.addr

    def zone_ports(self):
        """The ports the lab's zones point at (the main Kamailio's)."""
        if not self.sip:
            return {'sip_udp': 5060, 'sip_tcp': 5060, 'sip_tls': 5061,
                    'home_udp': 5060, 'home_tcp': 5060, 'home_tls': 5061}
        p = self.sip.ports
        return {'sip_udp': p['udp'], 'sip_tcp': p['tcp'], 'sip_tls': p['tls'],
                'home_udp': p['home'], 'home_tcp': p['home'], 'home_tls': p['home_tls']}

    def dns_with(self, edit, name='dnsmasq-extra'):
        """Another dnsmasq serving the lab's zones plus what edit(zone) adds,
        e.g. lambda z: z.srv('_sip._tls.mine.test', 'sip.example.test',
        lab.sip.tls_ports['expired']).  Returns a DnsServer (.addr, .port);
        stopped with the lab.  Each call needs a distinct name."""
        zone = scenario_zone(self.zone_ports())
        edit(zone)
        return start_with_retry(lambda: DnsServer(self, zone, name=name))

    def netns(self):
        """The lab's network namespace (created on first use; root only,
        raises LabError otherwise): see Netns.  Stopped with the lab."""
        if self._netns is None:
            zone = self.dns.zone if self.dns else scenario_zone(self.zone_ports())
            self._netns = Netns(self, zone)
        return self._netns

    def password(self, user='alice'):
        return PASSWORDS[user]

    def password_file(self, user='alice', password=None):
        """A 0600 file holding the password (for --password-file)."""
        path = os.path.join(self.dir, 'password-%s-%x' % (user, random.randrange(1 << 32)))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(password if password is not None else PASSWORDS[user])
        return path

    def cli_base(self, address='alice@example.test'):
        """The usual start of a sip-doctor-cli command line against this lab."""
        args = [address]
        if self.dns:
            args += ['--dns-server', self.dns_server]
        if self.pki:
            args += ['--ca-file', self.pki.ca_file]
        return args

    def describe(self):
        d = {'dir': self.dir, 'domain': SIP_DOMAIN, 'passwords': dict(PASSWORDS),
             'closed_port': self.closed_port}
        if self.dns:
            d['dns'] = {'server': self.dns_server, 'port': self.dns.port, 'config': self.dns.conf}
        if self.pki:
            d['pki'] = self.pki.as_dict()
        if self.sip:
            d['sip'] = self.sip.as_dict()
        if self.sip256:
            d['sip_sha256'] = self.sip256.as_dict()
        if self.peers:
            d['peers'] = dict(self.peers.ports)
        if self.ejabberd:
            d['ejabberd'] = self.ejabberd.as_dict()
        if self.sipp:
            d['sipp'] = {t: s.port for t, s in self.sipp.items()}
        return d

    def env(self):
        """Environment variables describing the lab (for C tests run by tools/lab-up --exec)."""
        e = {'SD_LAB_DIR': self.dir, 'SD_LAB_CLOSED_PORT': str(self.closed_port)}
        if self.dns:
            e['SD_LAB_DNS'] = self.dns_server
        if self.pki:
            e['SD_LAB_CA_FILE'] = self.pki.ca_file
        if self.sip:
            for k, v in self.sip.ports.items():
                e['SD_LAB_SIP_%s_PORT' % k.upper()] = str(v)
            for k, v in self.sip.tls_ports.items():
                e['SD_LAB_TLS_%s_PORT' % k.upper().replace('-', '_')] = str(v)
        if self.sip256:
            for k, v in self.sip256.ports.items():
                e['SD_LAB_SIP256_%s_PORT' % k.upper()] = str(v)
        if self.peers:
            for k, v in self.peers.ports.items():
                e['SD_LAB_PEER_%s_PORT' % k.upper().replace('-', '_')] = str(v)
        for t, s in self.sipp.items():
            e['SD_LAB_SIPP_%s_PORT' % t.upper()] = str(s.port)
        if self.ejabberd:
            for k, v in self.ejabberd.ports.items():
                e['SD_LAB_EJABBERD_%s_PORT' % k.upper()] = str(v)
        return e

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        try:
            stop_procs(self.procs)
        finally:
            if self._netns is not None:
                self._netns.close()
            # all gone: tell the watchdog there is nothing left, and let it go
            try:
                open(os.path.join(self.dir, 'reaper.list'), 'w').close()
            except OSError:
                pass
            os.close(self._reaper_fd)
            try:
                self._reaper.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._reaper.kill()
            _live_labs.discard(self)
            keep = self.failed or os.environ.get('SD_LAB_KEEP') == '1'
            if keep:
                sys.stderr.write('sdlab: logs kept in %s\n' % self.dir)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.stop()
        return False


# --------------------------------------------------------------------------
# running the CLI under test

def cli_path():
    """Path of the built sip-doctor-cli: $SD_CLI, else the meson build dir
    ($MESON_BUILD_ROOT or <source>/_build)/app/cli/sip-doctor-cli."""
    if os.environ.get('SD_CLI'):
        return os.environ['SD_CLI']
    build = os.environ.get('MESON_BUILD_ROOT') or os.path.join(SRCROOT, '_build')
    return os.path.join(build, 'app', 'cli', 'sip-doctor-cli')


def step_ids(cli=None):
    """The step ids in the order they run, from the engine's one step table
    (sip-doctor-cli --list-steps), so tests need not restate it."""
    out = subprocess.run([cli or cli_path(), '--list-steps'], capture_output=True, text=True,
                         check=True, timeout=30, env=dict(os.environ, LANG='C.UTF-8')).stdout
    return [line.split('\t', 1)[0] for line in out.splitlines()]


def have_cli():
    p = cli_path()
    return os.path.isfile(p) and os.access(p, os.X_OK)


class CliResult(tuple):
    """(exit code, parsed JSON or None, stdout, stderr) with names too."""

    def __new__(cls, rc, report, out, err):
        self = super().__new__(cls, (rc, report, out, err))
        self.rc, self.report, self.stdout, self.stderr = rc, report, out, err
        return self


class BlackholeHosts:
    """A TCP port on each of many loopback addresses (127.x.y.z) where
    connect() times out: each listener has a backlog of 0, filled by our own
    connections, so the kernel drops every further SYN.  Held by the test
    process itself (no server to start); close() or `with` releases them.
    syn_sent() counts the connections to that port still waiting for an
    answer, other than our own fillers: how many a client has in flight."""

    def __init__(self, addresses, port=None):
        self.addresses = list(addresses)
        self.address_set = set(self.addresses)
        self.sockets = []
        self.fillers = set()
        for _ in range(20):
            self.port = port or free_port(udp=False)
            try:
                self._open()
                return
            except OSError:
                self.close()
                if port:
                    raise
        raise LabError('no port free on all of %d addresses' % len(self.addresses))

    def _open(self):
        for addr in self.addresses:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sockets.append(s)
            s.bind((addr, self.port))
            s.listen(0)
            for _ in range(2):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                self.sockets.append(c)
                c.setblocking(False)
                try:
                    c.connect((addr, self.port))
                except BlockingIOError:
                    pass
                self.fillers.add(c.getsockname())

    def syn_sent(self):
        return len(self.syn_sent_list())

    def syn_sent_list(self):
        """[(local address, local port, remote address)] of those connections."""
        found = []
        with open('/proc/net/tcp') as f:
            next(f)
            for line in f:
                fields = line.split()
                local, remote, state = fields[1], fields[2], fields[3]
                if state != '02' or int(remote.split(':')[1], 16) != self.port:
                    continue
                rip = socket.inet_ntoa(struct.pack('<I', int(remote.split(':')[0], 16)))
                if rip not in self.address_set:
                    continue   # another program's connection to the same port number
                ip_hex, port_hex = local.split(':')
                ip = socket.inet_ntoa(struct.pack('<I', int(ip_hex, 16)))
                if (ip, int(port_hex, 16)) not in self.fillers:
                    found.append((ip, int(port_hex, 16), rip))
        # /proc/net/tcp is read a page at a time, not as one snapshot: a
        # socket the kernel moves between reads can be listed twice. The
        # triple names one connection (the remote port is fixed), so a
        # repeat is the reading's artefact, not a seventeenth connection.
        return sorted(set(found))

    def close(self):
        for s in self.sockets:
            s.close()
        self.sockets = []
        self.fillers = set()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


NO_DNS_KRB5_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'krb5-no-dns.conf')


def run_cli(args, timeout=30, stdin=None, env=None, netns=None, nofile=None):
    """Run sip-doctor-cli with args; returns CliResult(rc, report, stdout, stderr).
    report is the parsed JSON when stdout is JSON, else None.  Raises LabError
    if the CLI does not end within timeout seconds (it is killed).
    netns: a Netns (lab.netns()) to run it in, for the system resolver path.
    nofile: a limit of open files for the CLI (RLIMIT_NOFILE), to run it
    short of file descriptors."""
    argv = [cli_path()] + list(args)
    if netns is not None:
        argv = netns.wrap(argv)
    full_env = dict(os.environ)
    full_env.setdefault('G_DEBUG', 'fatal-criticals')
    # Kerberos sign-in finds KDCs through DNS: never the machine's own
    # configuration or resolver in a test (a test may give the lab KDC's).
    full_env['KRB5_CONFIG'] = NO_DNS_KRB5_CONF
    if env:
        full_env.update(env)
    preexec = None
    if nofile is not None:
        def preexec():
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
                         start_new_session=True, preexec_fn=preexec)
    try:
        out, err = p.communicate(input=stdin.encode() if isinstance(stdin, str) else stdin,
                                 timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise LabError('sip-doctor-cli did not end within %s s: %s\nstderr: %s' % (
            timeout, ' '.join(argv), err.decode('utf-8', 'replace')[-2000:]))
    out_s, err_s = out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')
    report = None
    if out_s.lstrip().startswith('{'):
        try:
            report = json.loads(out_s)
        except ValueError:
            report = None
    return CliResult(p.returncode, report, out_s, err_s)


class PtyResult:
    """What run_cli_pty saw: returncode, screen (every byte the program and the
    terminal's echo put on the terminal), stdout, stderr, report (parsed JSON
    stdout or None), echo_before / echo_at_prompt / echo_after (the terminal's
    ECHO flag before the start, while the prompt was up, after the end)."""


def _pty_echo(fd):
    import termios
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)


def run_cli_pty(args, typed=None, send_signal=None, prompt=b'Password for', timeout=30, env=None):
    """Run sip-doctor-cli with a pseudo-terminal as its standard input and
    controlling terminal (stdout and stderr stay pipes). Waits for `prompt` on
    the terminal, then types `typed` (str or bytes) or sends `send_signal` to the
    program. Returns a PtyResult. Raises LabError when the prompt does not
    come or the program does not end within timeout seconds (it is killed)."""
    import fcntl
    import select
    import termios
    master, slave = os.openpty()
    full_env = dict(os.environ)
    full_env.setdefault('G_DEBUG', 'fatal-criticals')
    full_env['KRB5_CONFIG'] = NO_DNS_KRB5_CONF
    full_env.update(env or {})
    res = PtyResult()
    res.echo_before = _pty_echo(slave)
    res.echo_at_prompt = None
    screen = bytearray()
    outs = {}

    def make_controlling():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen([cli_path()] + list(args), stdin=slave, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=full_env, start_new_session=True,
                         preexec_fn=make_controlling)
    readers = []
    for name, stream in (('out', p.stdout), ('err', p.stderr)):
        t = threading.Thread(target=lambda n=name, st=stream: outs.__setitem__(n, st.read()),
                             daemon=True)
        t.start()
        readers.append(t)
    deadline = time.monotonic() + timeout
    acted = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b''
                screen += chunk
            if not acted and prompt in screen:
                # The prompt is written after echo is turned off.
                res.echo_at_prompt = _pty_echo(slave)
                acted = True
                if send_signal is not None:
                    os.kill(p.pid, send_signal)
                elif typed is not None:
                    os.write(master, typed if isinstance(typed, bytes) else typed.encode('utf-8'))
            if p.poll() is not None and not ready:
                break
        else:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise LabError('sip-doctor-cli did not end within %s s; terminal: %r' % (timeout, bytes(screen)))
        for t in readers:
            t.join(timeout)
        p.stdout.close()
        p.stderr.close()
        res.echo_after = _pty_echo(slave)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        os.close(master)
        os.close(slave)
    res.returncode = p.returncode
    res.screen = bytes(screen).decode('utf-8', 'replace')
    res.stdout = outs.get('out', b'').decode('utf-8', 'replace')
    res.stderr = outs.get('err', b'').decode('utf-8', 'replace')
    res.report = None
    if res.stdout.lstrip().startswith('{'):
        try:
            res.report = json.loads(res.stdout)
        except ValueError:
            pass
    if not acted:
        raise LabError('no prompt %r on the terminal; it showed %r; stderr: %s'
                       % (prompt, res.screen, res.stderr[-2000:]))
    return res


def find_finding(report, code):
    """The first finding with this code in a JSON report, or None."""
    for f in (report or {}).get('findings', []):
        if f.get('code') == code:
            return f
    return None


def find_findings(report, code):
    return [f for f in (report or {}).get('findings', []) if f.get('code') == code]


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'peers':
        peers_main(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == 'reaper':
        reaper_main(sys.argv[2])
    elif len(sys.argv) == 6 and sys.argv[1] == 'tls-registrar':
        tls_registrar_main(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == 'dnsq':
        sys.exit(0 if dns_query(int(sys.argv[2]), 'example.test', 'A', timeout=0.3) else 1)
    else:
        sys.stderr.write('usage: sdlab.py peers SPEC.json (internal); see tools/lab-up\n')
        sys.exit(2)
