#!/usr/bin/python3
"""An MIT Kerberos KDC on loopback for the test lab (see README.md).

    import sdlab, sdlab_kdc
    with sdlab.Lab(dns=False, sip=False, sip256=False, peers=False, sipp=False) as lab:
        kdc = sdlab_kdc.Kdc(lab, users={'alice': 'pw'},
                            services=['sip/sipae.example.test'])
        kdc.env        # KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME, KRB5RCACHENAME
        kdc.keytab     # keytab holding the keys of `services`

Everything lives in a throw-away directory: krb5.conf (KRB5_CONFIG), kdc.conf
(KRB5_KDC_PROFILE), the database, its stash and ACL, the keytab, a private
credential cache and replay cache.  The system /etc/krb5.conf, /etc/krb5kdc
and the user's caches are never read or written: every command gets the
private variables, and the KDC listens only on 127.0.0.1 (UDP and TCP, one
free port).  No DNS: dns_lookup_kdc/realm, rdns and hostname
canonicalisation are off, and the realm of the lab domains is fixed in
[domain_realm].

Passwords go to kadmin.local on standard input, never in argv; kadmin's
echo of them is dropped.  Needs krb5-kdc and krb5-admin-server (kdb5_util,
kadmin.local, krb5kdc).
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdlab  # noqa: E402

REALM = 'LAB.TEST'
KDC_TOOLS = ('krb5kdc', 'kdb5_util', 'kadmin.local')
TOOL_DIRS = ('/usr/sbin', '/usr/bin', '/sbin', '/bin')


def tool(name):
    """Absolute path of a KDC tool (they live in /usr/sbin, which a non-root
    PATH may lack), or None."""
    found = shutil.which(name)
    if found:
        return found
    for d in TOOL_DIRS:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return None


def have_kdc():
    return all(tool(t) for t in KDC_TOOLS)


KRB5_CONF = '''[libdefaults]
 default_realm = {realm}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 dns_canonicalize_hostname = false
 rdns = false
 ignore_acceptor_hostname = false
 udp_preference_limit = 1
 default_ccache_name = FILE:{dir}/ccache
 default_keytab_name = FILE:{dir}/keytab
 kdc_timesync = 0
 clockskew = 300

[realms]
 {realm} = {{
  kdc = 127.0.0.1:{port}
 }}

[domain_realm]
{domain_realm}
'''

KDC_CONF = '''[kdcdefaults]
 kdc_listen = 127.0.0.1:{port}
 kdc_tcp_listen = 127.0.0.1:{port}

[realms]
 {realm} = {{
  database_name = {dir}/principal
  key_stash_file = {dir}/stash
  acl_file = {dir}/kadm5.acl
  kdc_listen = 127.0.0.1:{port}
  kdc_tcp_listen = 127.0.0.1:{port}
  max_life = 10h 0m 0s
  default_principal_flags = +preauth
 }}

[logging]
 kdc = FILE:{dir}/kdc.log
 default = FILE:{dir}/kdc.log
'''


def _kdc_bound(port):
    return sdlab.udp_bound(port) and sdlab.tcp_open(port)


class Kdc:
    """An MIT KDC for `realm` on 127.0.0.1:port (UDP and TCP).

    users: {name: password} (principals with a password, preauth required);
    services: service principals with random keys, all put in self.keytab;
    domains: DNS domains mapped to the realm.  clock_offset: seconds the
    KDC's clock is off (faketime; a skewed KDC).  lab: an sdlab.Lab (the KDC
    then stops with it and keeps its files in lab.dir/kdc); without one the
    KDC has its own temp dir and stop() removes it."""

    def __init__(self, lab=None, realm=REALM, users=None, services=(),
                 domains=('example.test', 'lab.test'), clock_offset=0):
        missing = [t for t in KDC_TOOLS if not tool(t)]
        if missing:
            raise sdlab.LabError('the Kerberos KDC needs %s (tools/install-deps.sh installs '
                                 'krb5-kdc and krb5-admin-server)' % ', '.join(missing))
        self.lab = lab
        self.realm = realm
        self.users = dict(users or {})
        self.services = list(services)
        self.clock_offset = int(clock_offset)
        if self.clock_offset and not tool('faketime'):
            raise sdlab.LabError('a KDC with a skewed clock needs faketime '
                                 '(tools/install-deps.sh installs it)')
        if lab is not None:
            self.dir = os.path.join(lab.dir, 'kdc')
            os.makedirs(self.dir, exist_ok=True)
            logdir = lab.dir
        else:
            self.dir = tempfile.mkdtemp(prefix='sdlab-kdc-')
            logdir = self.dir
        self.keytab = os.path.join(self.dir, 'keytab')
        self.krb5_conf = os.path.join(self.dir, 'krb5.conf')
        self.kdc_conf = os.path.join(self.dir, 'kdc.conf')
        self.proc = None
        self.stopped = False
        self.port = None
        self._logdir = logdir
        sdlab.start_with_retry(lambda: self._start(domains))
        if lab is not None:
            lab.procs.append(self.proc)

    @property
    def env(self):
        """Variables that point every Kerberos library call at this KDC's
        private files (and nothing of the system's)."""
        return {
            'KRB5_CONFIG': self.krb5_conf,
            'KRB5_KDC_PROFILE': self.kdc_conf,
            'KRB5_KTNAME': 'FILE:' + self.keytab,
            'KRB5_CLIENT_KTNAME': 'FILE:' + os.path.join(self.dir, 'client.keytab'),
            'KRB5CCNAME': 'FILE:' + os.path.join(self.dir, 'ccache'),
            'KRB5RCACHENAME': 'file2:' + os.path.join(self.dir, 'rcache2'),
            'KRB5RCACHEDIR': self.dir,
        }

    def principal(self, name):
        return name if '@' in name else '%s@%s' % (name, self.realm)

    def _write(self, path, text):
        with open(path, 'w') as f:
            f.write(text)

    def _admin(self, commands, secret_lines=()):
        """Run kadmin.local with commands on standard input (so passwords
        never reach argv); its output, which echoes them, is dropped."""
        r = subprocess.run([tool('kadmin.local')], input=''.join(c + '\n' for c in commands).encode(),
                           capture_output=True, env=self._cmd_env(), timeout=30)
        if r.returncode != 0:
            err = r.stderr.decode('utf-8', 'replace')
            for s in secret_lines:
                err = err.replace(s, '***')
            raise sdlab.LabError('kadmin.local failed (%d): %s' % (r.returncode, err[-1000:]))

    def _cmd_env(self):
        env = dict(os.environ)
        env.update(self.env)
        return env

    def _start(self, domains):
        for f in os.listdir(self.dir):
            if f.startswith('principal') or f in ('stash', 'keytab'):
                os.unlink(os.path.join(self.dir, f))
        self.port = sdlab.free_port()
        domain_realm = ''.join(' .%s = %s\n %s = %s\n' % (d, self.realm, d, self.realm)
                               for d in domains)
        self._write(self.krb5_conf, KRB5_CONF.format(realm=self.realm, port=self.port,
                                                     dir=self.dir, domain_realm=domain_realm))
        self._write(self.kdc_conf, KDC_CONF.format(realm=self.realm, port=self.port, dir=self.dir))
        self._write(os.path.join(self.dir, 'kadm5.acl'), '')
        # the master key of a database that lives for one test run
        master = os.urandom(18).hex()
        r = subprocess.run([tool('kdb5_util'), 'create', '-s', '-r', self.realm],
                           input=('%s\n%s\n' % (master, master)).encode(), capture_output=True,
                           env=self._cmd_env(), timeout=30)
        if r.returncode != 0:
            raise sdlab.LabError('kdb5_util create failed (%d): %s' % (
                r.returncode, r.stderr.decode('utf-8', 'replace')[-1000:]))
        cmds = ['addprinc -pw %s %s' % (pw, self.principal(u)) for u, pw in self.users.items()]
        cmds += ['addprinc -randkey %s' % self.principal(s) for s in self.services]
        if self.services:
            cmds.append('ktadd -k %s %s' % (self.keytab, ' '.join(self.principal(s)
                                                                   for s in self.services)))
        self._admin(cmds, secret_lines=list(self.users.values()))
        argv = [tool('krb5kdc'), '-n', '-r', self.realm, '-P', os.path.join(self.dir, 'kdc.pid')]
        if self.clock_offset:
            # only the daemon's clock moves: the database was made on time
            argv = [tool('faketime'), '-f', '%+ds' % self.clock_offset] + argv
        self.proc = sdlab.Proc('krb5kdc', argv, self._logdir, env=self.env)
        try:
            # krb5kdc binds its sockets a moment before it logs that it is
            # serving; ready means both, or a caller that reads the log
            # right away races the daemon.
            self.proc.wait_ready(lambda: _kdc_bound(self.port)
                                 and 'commencing operation' in self.log(), timeout=10)
        except sdlab.LabError:
            self.proc.close()
            raise

    def add_user(self, name, password):
        self._admin(['addprinc -pw %s %s' % (password, self.principal(name))],
                    secret_lines=[password])
        self.users[name] = password

    def log(self):
        try:
            with open(os.path.join(self.dir, 'kdc.log'), errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        if self.lab is not None:
            if self.proc in self.lab.procs:
                self.lab.procs.remove(self.proc)
        sdlab.stop_procs([self.proc])
        if self.lab is None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

