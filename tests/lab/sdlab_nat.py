#!/usr/bin/python3
"""A small Internet in three network namespaces, for NAT, SIP ALG, blocked
UDP and lost IP fragments (root only).

    lan  (10.77.0.2, the computer running the tool, default route via the router)
     |  veth l0 -- r0
    router  (10.77.0.1 inside, 198.51.100.1 outside: nftables masquerade)
     |  veth r1 -- w0
    wan  (198.51.100.10: Kamailio with rport on UDP/TCP 5060 and TLS 5061,
          dnsmasq on port 53 for example.test)

The router's rules are switched per test with router.set_rules(alg=...,
drop_udp=..., drop_fragments=...):

  - alg: the kernel's own SIP ALG (nf_conntrack_sip / nf_nat_sip) on UDP
    port 5060, through an nftables ct helper;
  - drop_udp: every forwarded UDP packet but DNS is dropped;
  - drop_fragments: IP fragments are dropped before the kernel reassembles
    them (a hook below conntrack's defragmentation, priority -400).

The addresses are private (10.77.0.0/24) or documentation ones
(198.51.100.0/24, "public" to the tool) and exist only inside these
namespaces; nothing is routed out of them. The namespaces are deleted by
close(), with the lab, and by the lab's watchdog if the test process dies.

    import sdlab, sdlab_nat
    lab = sdlab.Lab(dns=False, sip=False, sip256=False, peers=False, sipp=False)
    net = sdlab_nat.RouterLab(lab)
    net.set_rules(alg=True)
    sdlab.run_cli([... '--dns-server', net.dns_server ...], netns=net.lan)
"""
import atexit
import os
import random
import shutil
import subprocess

import sdlab

LAN_ADDR = '10.77.0.2'
LAN_GW = '10.77.0.1'
ROUTER_WAN = '198.51.100.1'
SERVER = '198.51.100.10'

KAMAILIO_ROUTE = r'''
request_route {
	force_rport();
	if (is_method("OPTIONS")) {
		append_to_reply("Allow: REGISTER, OPTIONS\r\n");
		sl_send_reply("200", "OK");
		exit;
	}
	if (!is_method("REGISTER")) { sl_send_reply("405", "Method Not Allowed"); exit; }
	if ($tU != "alice") { sl_send_reply("404", "Not Found"); exit; }
	if (!has_credentials("$td") || $au != "alice" || !pv_www_authenticate("$td", "PW_ALICE", "0")) {
		www_challenge("$td", "1");
		exit;
	}
	consume_credentials();
	if ($hdr(Contact) != $null) { append_to_reply("Contact: $ct;expires=3600\r\n"); }
	sl_send_reply("200", "OK");
	exit;
}
'''


class Namespace:
    """One namespace; wrap(argv) runs argv inside it (sdlab.run_cli's netns)."""

    def __init__(self, name):
        self.name = name

    def wrap(self, argv):
        return ['ip', 'netns', 'exec', self.name] + list(argv)

    def run(self, argv, **kw):
        return sdlab._run(self.wrap(argv), **kw)


def available():
    """None when the namespace lab can run here, else why not (for skipTest)."""
    if os.geteuid() != 0:
        return 'network namespaces need root (CI runs the tests as root)'
    for prog in ('ip', 'nft', 'kamailio', 'dnsmasq'):
        if sdlab.find_program(prog) is None:
            return '%s is not installed (tools/install-deps.sh installs it)' % prog
    probe = 'sdnat-probe-%d-%x' % (os.getpid(), random.randrange(1 << 24))
    r = subprocess.run(['ip', 'netns', 'add', probe], capture_output=True, timeout=10)
    if r.returncode != 0:
        return 'no network namespace support: ' + r.stderr.decode('utf-8', 'replace').strip()
    subprocess.run(['ip', 'netns', 'del', probe], capture_output=True, timeout=10)
    return None


class RouterLab:
    def __init__(self, lab):
        why = available()
        if why is not None:
            raise sdlab.LabError(why)
        self.lab = lab
        tag = '%d-%x' % (os.getpid(), random.randrange(1 << 24))
        self.lan = Namespace('sdnat-lan-' + tag)
        self.router = Namespace('sdnat-rt-' + tag)
        self.wan = Namespace('sdnat-wan-' + tag)
        self.created = []
        self.procs = []
        self.dir = os.path.join(lab.dir, 'nat-' + tag)
        os.makedirs(self.dir, exist_ok=True)
        self.dns_server = '%s:53' % SERVER
        try:
            self._build()
            self._start_servers()
        except BaseException:
            self.close()
            raise
        lab.procs.extend(self.procs)
        atexit.register(self.close)

    def _build(self):
        for ns in (self.lan, self.router, self.wan):
            sdlab._register_for_reaper(self.lab.dir, 'netns ' + ns.name)
            sdlab._run(['ip', 'netns', 'add', ns.name])
            self.created.append(ns)
            ns.run(['ip', 'link', 'set', 'lo', 'up'])
        sdlab._run(['ip', 'link', 'add', 'l0', 'netns', self.lan.name, 'type', 'veth',
                    'peer', 'name', 'r0', 'netns', self.router.name])
        sdlab._run(['ip', 'link', 'add', 'r1', 'netns', self.router.name, 'type', 'veth',
                    'peer', 'name', 'w0', 'netns', self.wan.name])
        self.lan.run(['ip', 'addr', 'add', LAN_ADDR + '/24', 'dev', 'l0'])
        self.lan.run(['ip', 'link', 'set', 'l0', 'up'])
        self.lan.run(['ip', 'route', 'add', 'default', 'via', LAN_GW])
        self.router.run(['ip', 'addr', 'add', LAN_GW + '/24', 'dev', 'r0'])
        self.router.run(['ip', 'addr', 'add', ROUTER_WAN + '/24', 'dev', 'r1'])
        self.router.run(['ip', 'link', 'set', 'r0', 'up'])
        self.router.run(['ip', 'link', 'set', 'r1', 'up'])
        self.router.run(['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
        self.wan.run(['ip', 'addr', 'add', SERVER + '/24', 'dev', 'w0'])
        self.wan.run(['ip', 'link', 'set', 'w0', 'up'])
        self.set_rules()

    def set_rules(self, alg=False, drop_udp=False, drop_fragments=False, drop_tcp=False):
        """Replaces the router's nftables rules (masquerade always)."""
        rules = ['flush ruleset', 'table ip sdlab {']
        if alg:
            rules += ['  ct helper sip-5060 { type "sip" protocol udp; }',
                      '  chain helpers { type filter hook prerouting priority 0; policy accept;',
                      '    udp dport 5060 ct helper set "sip-5060"', '  }']
        if drop_fragments:
            # before conntrack reassembles them (nf_defrag_ipv4 runs at -400)
            rules += ['  chain fragments { type filter hook prerouting priority -450; policy accept;',
                      '    ip frag-off & 0x3fff != 0 drop', '  }']
        if drop_udp:
            rules += ['  chain forward { type filter hook forward priority 0; policy accept;',
                      '    udp dport 53 accept', '    udp sport 53 accept',
                      '    meta l4proto udp drop', '  }']
        if drop_tcp:
            # silently, as a firewall does: no reset, so the client waits
            rules += ['  chain forward_tcp { type filter hook forward priority 0; policy accept;',
                      '    tcp dport 53 accept', '    tcp sport 53 accept',
                      '    meta l4proto tcp drop', '  }']
        rules += ['  chain postrouting { type nat hook postrouting priority 100; policy accept;',
                  '    oifname "r1" masquerade', '  }', '}']
        path = os.path.join(self.dir, 'router.nft')
        with open(path, 'w') as f:
            f.write('\n'.join(rules) + '\n')
        self.router.run(['nft', '-f', path])
        # Mappings made under the old rules (a helper attached or not) die
        # with them; conntrack is off in the lan and wan namespaces.
        if shutil.which('conntrack'):
            subprocess.run(self.router.wrap(['conntrack', '-F']), capture_output=True, timeout=10)
        self.rules = dict(alg=alg, drop_udp=drop_udp, drop_fragments=drop_fragments, drop_tcp=drop_tcp)

    def _start_servers(self):
        lab, d = self.lab, self.dir
        good = lab.pki['good']
        zone = sdlab.Zone().domain('example.test')
        zone.srv('_sip._tls.example.test', 'sip.example.test', 5061, 0, 0)
        zone.srv('_sip._tcp.example.test', 'sip.example.test', 5060, 10, 0)
        zone.srv('_sip._udp.example.test', 'sip.example.test', 5060, 20, 0)
        zone.a('sip.example.test', SERVER)
        zone.a('example.test', SERVER)
        conf = os.path.join(d, 'dnsmasq.conf')
        with open(conf, 'w') as f:
            f.write('\n'.join(['no-resolv', 'no-hosts', 'no-poll', 'bind-interfaces',
                               'listen-address=' + SERVER, 'port=53', 'log-queries',
                               'cache-size=0'] + zone.dnsmasq_lines()) + '\n')
        self.procs.append(sdlab.Proc('nat-dnsmasq', self.wan.wrap(
            ['dnsmasq', '-C', conf, '--keep-in-foreground', '--log-facility=-',
             '--pid-file=' + os.path.join(d, 'dnsmasq.pid')]), lab.dir))

        tls_cfg = os.path.join(d, 'tls.cfg')
        with open(tls_cfg, 'w') as f:
            f.write('\n'.join(['[server:default]', 'method = TLSv1.2+', 'verify_certificate = no',
                               'require_certificate = no', 'private_key = ' + good.key,
                               'certificate = ' + good.chain, '']))
        cfg = ['#!KAMAILIO', 'debug=2', 'log_stderror=yes', 'children=1', 'tcp_children=2',
               'dns=no', 'rev_dns=no', 'use_dns_cache=no', 'auto_aliases=no',
               'server_header="Server: sip-doctor-lab (Kamailio, wan)"', 'enable_tls=yes',
               'listen=udp:%s:5060' % SERVER, 'listen=tcp:%s:5060' % SERVER,
               'listen=tls:%s:5061' % SERVER, 'mpath="%s"' % sdlab.KAMAILIO_MODULES]
        for m in ('tls', 'sl', 'pv', 'textops', 'auth', 'siputils'):
            cfg.append('loadmodule "%s.so"' % m)
        cfg += ['modparam("tls", "config", "%s")' % tls_cfg,
                'modparam("auth", "secret", "%08x-nat-lab")' % random.randrange(1 << 32)]
        path = os.path.join(d, 'kamailio.cfg')
        with open(path, 'w') as f:
            f.write('\n'.join(cfg) + '\n' + KAMAILIO_ROUTE.replace('PW_ALICE', sdlab.PASSWORDS['alice']))
        kam = sdlab.Proc('nat-kamailio', self.wan.wrap(
            ['kamailio', '-f', path, '-DD', '-E', '-P', os.path.join(d, 'kamailio.pid'),
             '-Y', d, '-m', '32', '-M', '8']), lab.dir)
        self.procs.append(kam)

        def listening():
            r = subprocess.run(self.wan.wrap(['ss', '-Hln']), capture_output=True, text=True, timeout=5)
            have = r.stdout
            return all(('%s:%s' % (SERVER, p)) in have for p in ('5060', '5061', '53'))
        kam.wait_ready(listening)

    def close(self):
        procs, self.procs = self.procs, []
        try:
            sdlab.stop_procs(procs)
        finally:
            for p in procs:
                if p in self.lab.procs:
                    self.lab.procs.remove(p)
            for ns in self.created:
                subprocess.run(['ip', 'netns', 'del', ns.name], capture_output=True, timeout=10)
            self.created = []
